//! What claude-rs knows about model ids without asking the API: the default,
//! the retirement list, and the limits of the current models. The Models API
//! (`api::model_facts`) is the source of truth for limits; this table is only
//! its fallback (offline, a failed fetch).
//!
//! Checked 2026-12-02 against https://platform.claude.com/docs/en/about-claude/model-deprecations,
//! https://platform.claude.com/docs/en/about-claude/models/overview and the models' own pages
//! (https://platform.claude.com/docs/en/models/…/overview). The copy of the deprecations page at
//! hand lacked its table: the dates are those of the release notes
//! (https://platform.claude.com/docs/en/release-notes/overview) as announcements quoted them;
//! claude-sonnet-4-5's retirement date was found nowhere, so it is not listed.

/// The Sonnet the models overview calls the best combination of speed and intelligence.
pub const DEFAULT_MODEL: &str = "claude-sonnet-5-5";

/// `(retirement date, ids)` on the Claude API: deprecated until that date,
/// retired from it. Dates are `YYYY-MM-DD`, so they compare as text.
const RETIREMENTS: &[(&str, &str)] = &[
    ("2025-07-21", "claude-3-sonnet-20240229"),
    (
        "2025-10-22",
        "claude-3-5-sonnet-20240620 claude-3-5-sonnet-20241022",
    ),
    ("2026-01-05", "claude-3-opus-20240229"),
    (
        "2026-02-19",
        "claude-3-7-sonnet-latest claude-3-7-sonnet-20250219 claude-3-5-haiku-latest claude-3-5-haiku-20241022",
    ),
    ("2026-04-20", "claude-3-haiku-20240307"),
    (
        "2026-06-15",
        "claude-opus-4-0 claude-opus-4-20250514 claude-sonnet-4-0 claude-sonnet-4-20250514",
    ),
    ("2026-08-05", "claude-opus-4-1 claude-opus-4-1-20250805"),
    ("2027-01-22", "claude-opus-4-5 claude-opus-4-5-20251101"),
];

/// The current model of a retired or deprecated model's line (the docs'
/// recommended replacement for every entry above that is still served).
fn replacement(model: &str) -> &'static str {
    match model {
        _ if model.contains("opus") => "claude-opus-5-5",
        _ if model.contains("haiku") => "claude-haiku-5-5",
        _ => DEFAULT_MODEL,
    }
}

/// A deprecated or retired model said in the tense `today` (`YYYY-MM-DD`)
/// calls for, with its replacement; `None` for a model in neither state.
pub fn deprecation_on(model: &str, today: &str) -> Option<String> {
    let (date, _) = RETIREMENTS
        .iter()
        .find(|(_, ids)| ids.split(' ').any(|id| id == model))?;
    let instead = replacement(model);
    Some(match today < *date {
        true => format!(
            "{model} is deprecated and retires on {date}, after which the API answers not_found: move to {instead}"
        ),
        false => format!(
            "{model} was retired on {date}: the API answers not_found for it; use {instead}"
        ),
    })
}

/// `deprecation_on` today, by the system clock.
pub fn deprecation(model: &str) -> Option<String> {
    let now = crate::dates::rfc3339_seconds(std::time::SystemTime::now());
    deprecation_on(model, &now[..10])
}

/// The families in service with 128k output and a 1M context; dated
/// snapshots share their family's limits. Unknown ids are not limited locally.
const LARGE: &str = "claude-fable-5 claude-mythos-5 claude-opus-5 claude-sonnet-5 claude-haiku-5-5 claude-opus-4-8 claude-opus-4-7 claude-opus-4-6";

/// The table's `(max_tokens, max_input_tokens)` of a model.
pub fn table_limits(model: &str) -> Option<(u32, u64)> {
    let family = |prefixes: &str| prefixes.split(' ').any(|p| model.starts_with(p));
    match model {
        _ if family(LARGE) => Some((128_000, 1_000_000)),
        _ if family("claude-sonnet-4-6") => Some((64_000, 1_000_000)),
        _ if family("claude-sonnet-4-5 claude-opus-4-5 claude-haiku-4-5") => {
            Some((64_000, 200_000))
        }
        _ => None,
    }
}

pub fn max_output_tokens(model: &str) -> Option<u32> {
    table_limits(model).map(|(output, _)| output)
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
    fn the_default_is_current_and_retirements_are_said_in_their_tense() {
        assert!(deprecation(DEFAULT_MODEL).is_none());
        assert!(max_output_tokens(DEFAULT_MODEL).is_some());
        let before = deprecation_on("claude-opus-4-5", "2026-12-02").unwrap();
        assert!(
            before.contains("is deprecated and retires on 2027-01-22")
                && before.ends_with("claude-opus-5-5"),
            "{before}"
        );
        let after = deprecation_on("claude-opus-4-5", "2027-01-22").unwrap();
        assert!(after.contains("was retired on 2027-01-22"), "{after}");
        let sonnet = deprecation_on("claude-sonnet-4-20250514", "2026-12-02").unwrap();
        assert!(
            sonnet.contains("was retired on 2026-06-15") && sonnet.ends_with("claude-sonnet-5-5"),
            "{sonnet}"
        );
        assert!(
            deprecation_on("claude-3-haiku-20240307", "2026-12-02")
                .unwrap()
                .ends_with("claude-haiku-5-5")
        );
    }

    #[test]
    fn limits_cover_dated_snapshots() {
        assert_eq!(
            table_limits("claude-haiku-4-5-20251001"),
            Some((64_000, 200_000))
        );
        assert_eq!(max_output_tokens("claude-opus-5-5"), Some(128_000));
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
