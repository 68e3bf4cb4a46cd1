//! What claude-rs knows about model ids without asking the API: the default,
//! the deprecation list the official SDKs carry, and known output limits.

pub const DEFAULT_MODEL: &str = "claude-sonnet-4-6";

/// Model ids the official SDKs warn about, with their end-of-life dates
/// (from the SDKs' `DEPRECATED_MODELS`).
const DEPRECATED: &[(&str, &str)] = &[
    ("claude-1.3", "November 6th, 2024"),
    ("claude-1.3-100k", "November 6th, 2024"),
    ("claude-instant-1.1", "November 6th, 2024"),
    ("claude-instant-1.1-100k", "November 6th, 2024"),
    ("claude-instant-1.2", "November 6th, 2024"),
    ("claude-2.0", "July 21st, 2025"),
    ("claude-2.1", "July 21st, 2025"),
    ("claude-3-sonnet-20240229", "July 21st, 2025"),
    ("claude-3-opus-20240229", "January 5th, 2026"),
    ("claude-3-7-sonnet-latest", "February 19th, 2026"),
    ("claude-3-7-sonnet-20250219", "February 19th, 2026"),
    ("claude-3-5-haiku-latest", "February 19th, 2026"),
    ("claude-3-5-haiku-20241022", "February 19th, 2026"),
    ("claude-opus-4-0", "June 15th, 2026"),
    ("claude-opus-4-20250514", "June 15th, 2026"),
    ("claude-sonnet-4-0", "June 15th, 2026"),
    ("claude-sonnet-4-20250514", "June 15th, 2026"),
];

/// The end-of-life date of a deprecated or retired model id.
pub fn deprecation(model: &str) -> Option<&'static str> {
    DEPRECATED
        .iter()
        .find(|(id, _)| *id == model)
        .map(|(_, date)| *date)
}

/// Known maximum output tokens, by id prefix (dated snapshots share their
/// family's limit). Unknown ids are not limited locally: the API decides.
const OUTPUT_LIMITS: &[(&str, u32)] = &[
    ("claude-opus-4-6", 128_000),
    ("claude-sonnet-4-6", 64_000),
    ("claude-sonnet-4-5", 64_000),
    ("claude-haiku-4-5", 64_000),
    ("claude-opus-4-5", 64_000),
    ("claude-opus-4-1", 32_000),
    ("claude-opus-4-0", 32_000),
    ("claude-opus-4-2025", 32_000),
    ("claude-sonnet-4-0", 64_000),
    ("claude-sonnet-4-2025", 64_000),
    ("claude-3-7-sonnet", 64_000),
    ("claude-3-5-haiku", 8_192),
    ("claude-3-haiku", 4_096),
];

pub fn max_output_tokens(model: &str) -> Option<u32> {
    OUTPUT_LIMITS
        .iter()
        .find(|(prefix, _)| model.starts_with(prefix))
        .map(|(_, limit)| *limit)
}

/// Why a model id cannot be one, if it cannot. Model ids are short and made of
/// lowercase letters, digits, `-`, `.`, `_`, `:` and `@` (Bedrock and Vertex
/// style ids included); anything else is a typo or a pasted quote.
pub fn malformed_model_id(model: &str) -> Option<String> {
    if model.trim().is_empty() {
        return Some("the model id is empty".into());
    }
    if model.len() > 128 {
        return Some(format!("the model id is {} characters long", model.len()));
    }
    let bad: Vec<char> = model
        .chars()
        .filter(|c| !(c.is_ascii_alphanumeric() || "-._:@/".contains(*c)))
        .collect();
    if !bad.is_empty() {
        let shown: String = bad.iter().map(|c| format!("{c:?} ")).collect();
        return Some(format!("the model id contains {}", shown.trim_end()));
    }
    None
}

/// Up to three known ids closest to `wanted`, closest first.
pub fn close_matches<'a>(wanted: &str, known: &'a [String]) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = known
        .iter()
        .map(|id| (edit_distance(wanted, id), id.as_str()))
        .filter(|(distance, id)| *distance <= id.len().max(wanted.len()) / 2)
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_current_and_retired_ids_are_known() {
        assert!(deprecation(DEFAULT_MODEL).is_none());
        assert_eq!(
            deprecation("claude-sonnet-4-20250514"),
            Some("June 15th, 2026")
        );
        assert!(max_output_tokens(DEFAULT_MODEL).is_some());
    }

    #[test]
    fn output_limits_cover_dated_snapshots() {
        assert_eq!(max_output_tokens("claude-opus-4-1-20250805"), Some(32_000));
        assert_eq!(max_output_tokens("claude-3-5-haiku-20241022"), Some(8_192));
        assert_eq!(max_output_tokens("some-future-model"), None);
    }

    #[test]
    fn malformed_ids_are_explained() {
        assert!(malformed_model_id("claude-sonnet-4-6").is_none());
        assert!(malformed_model_id("anthropic.claude-3-haiku-20240307-v1:0").is_none());
        assert!(malformed_model_id("claude sonnet").unwrap().contains("' '"));
        assert!(malformed_model_id("\"claude\"").is_some());
        assert!(malformed_model_id("").is_some());
    }

    #[test]
    fn close_matches_find_typos() {
        let known: Vec<String> = ["claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            close_matches("claude-sonet-4-6", &known)[0],
            "claude-sonnet-4-6"
        );
        assert!(close_matches("gpt-4o", &known).is_empty());
    }
}
