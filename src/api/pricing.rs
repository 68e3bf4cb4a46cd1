//! The price table, kept in one place: what `ask --usage` and the batch
//! summary multiply tokens by. US dollars per million tokens, as Anthropic's
//! pricing page lists them for the standard (not batch, not priority) tier.
//! An id not in the table gets no estimate rather than a guess.

use crate::api::types::Usage;

/// `(id prefix, input, output, cache read)`. Dated snapshots share their
/// family's price; longer prefixes come first so that `claude-opus-4-5` is
/// not read as `claude-opus-4`. Retired models are left out.
/// Checked 2026-12-02 against https://platform.claude.com/docs/en/about-claude/pricing
/// (Sonnet 5.5's cache reads are $0.10 since 2026-10-07 and Haiku 5.5 is priced by prompt
/// length, both as the model pages and pricing-page changelogs of 2026-10 state them).
const PRICES: &[(&str, f64, f64, f64)] = &[
    ("claude-fable-5-1", 10.0, 50.0, 0.25),
    ("claude-mythos-5-1", 10.0, 50.0, 0.25),
    ("claude-fable-5", 10.0, 50.0, 1.0),
    ("claude-mythos-5", 10.0, 50.0, 1.0),
    ("claude-opus-5-5", 4.0, 20.0, 0.2),
    ("claude-opus-5", 5.0, 25.0, 0.5),
    ("claude-opus-4-8", 5.0, 25.0, 0.5),
    ("claude-opus-4-7", 5.0, 25.0, 0.5),
    ("claude-opus-4-6", 5.0, 25.0, 0.5),
    ("claude-opus-4-5", 5.0, 25.0, 0.5),
    ("claude-sonnet-5-5", 2.0, 10.0, 0.1),
    ("claude-sonnet-5", 2.0, 10.0, 0.2),
    ("claude-sonnet-4", 3.0, 15.0, 0.3),
    ("claude-haiku-5-5", 0.1, 0.5, 0.01),
    ("claude-haiku-4-5", 1.0, 5.0, 0.1),
];

/// The Message Batches API charges half the standard price.
pub const MESSAGE_BATCHES_FACTOR: f64 = 0.5;

/// Writing the prompt cache costs a quarter more than input for 5 minutes,
/// twice the input for an hour.
const CACHE_WRITE_5M: f64 = 1.25;
const CACHE_WRITE_1H: f64 = 2.0;

/// Haiku 5.5 charges every token of a request whose prompt (input, cache
/// reads and writes) is over 100,000 tokens five times its base rates.
const LONG_PROMPT: (&str, f64, f64) = ("claude-haiku-5-5", 100_000.0, 5.0);

fn row(model: &str) -> Option<&'static (&'static str, f64, f64, f64)> {
    PRICES.iter().find(|(prefix, ..)| {
        model == *prefix
            || model
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('-'))
    })
}

/// The prices of a model: `(input, output)` dollars per million tokens.
pub fn prices(model: &str) -> Option<(f64, f64)> {
    row(model).map(|(_, input, output, _)| (*input, *output))
}

/// The estimated cost of one reply in dollars, cache tokens included.
pub fn cost(model: &str, usage: &Usage) -> Option<f64> {
    let (_, input, output, read) = row(model)?;
    // `Map`'s index panics on a missing key; `Value`'s gives null.
    let other = serde_json::Value::Object(usage.other.clone());
    let counter = |value: &serde_json::Value| value.as_u64().unwrap_or(0) as f64;
    let written = counter(&other["cache_creation_input_tokens"]);
    let hour = counter(&other["cache_creation"]["ephemeral_1h_input_tokens"]).min(written);
    let cached_read = counter(&other["cache_read_input_tokens"]);
    let prompt = usage.input_tokens as f64 + written + cached_read;
    let band = match model.starts_with(LONG_PROMPT.0) && prompt > LONG_PROMPT.1 {
        true => LONG_PROMPT.2,
        false => 1.0,
    };
    let dollars = usage.input_tokens as f64 * input
        + (written - hour) * input * CACHE_WRITE_5M
        + hour * input * CACHE_WRITE_1H
        + cached_read * read
        + usage.output_tokens as f64 * output;
    Some(band * dollars / 1_000_000.0)
}

/// `$0.0013`: enough digits to see a single small call.
pub fn dollars(amount: f64) -> String {
    let digits = if amount >= 1.0 { 2 } else { 4 };
    format!("${amount:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, output: u64, extra: &[(&str, u64)]) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            other: extra
                .iter()
                .map(|(k, v)| (k.to_string(), (*v).into()))
                .collect(),
        }
    }

    #[test]
    fn families_and_dated_snapshots_share_a_price() {
        assert_eq!(prices("claude-sonnet-4-6"), Some((3.0, 15.0)));
        assert_eq!(prices("claude-sonnet-4-20250514"), Some((3.0, 15.0)));
        assert_eq!(prices("claude-opus-4-8"), Some((5.0, 25.0)));
        assert_eq!(prices("claude-opus-5-5"), Some((4.0, 20.0)));
        assert_eq!(prices("claude-fable-5-1-20260901"), Some((10.0, 50.0)));
        assert_eq!(prices("claude-haiku-4-5"), Some((1.0, 5.0)));
        assert_eq!(
            prices("claude-opus-40"),
            None,
            "a prefix must end at a dash"
        );
        assert_eq!(prices("some-other-model"), None);
    }

    #[test]
    fn cost_counts_input_output_and_the_cache() {
        let plain = cost("claude-sonnet-4-6", &usage(1_000_000, 100_000, &[])).unwrap();
        assert!((plain - 4.5).abs() < 1e-9, "{plain}");
        let cached = cost(
            "claude-haiku-4-5",
            &usage(
                0,
                0,
                &[
                    ("cache_creation_input_tokens", 1_000_000),
                    ("cache_read_input_tokens", 1_000_000),
                ],
            ),
        )
        .unwrap();
        assert!((cached - 1.35).abs() < 1e-9, "{cached}");
        let hour = serde_json::json!({"ephemeral_1h_input_tokens": 1_000_000});
        let mut one_hour = usage(0, 0, &[("cache_creation_input_tokens", 1_000_000)]);
        one_hour.other.insert("cache_creation".into(), hour);
        let written = cost("claude-haiku-4-5", &one_hour).unwrap();
        assert!(
            (written - 2.0).abs() < 1e-9,
            "1-hour writes cost twice the input: {written}"
        );
        let long = cost("claude-haiku-5-5", &usage(200_000, 0, &[])).unwrap();
        assert!(
            (long - 0.1).abs() < 1e-9,
            "a long Haiku 5.5 prompt pays 5x: {long}"
        );
        assert_eq!(cost("unknown", &usage(1, 1, &[])), None);
    }

    #[test]
    fn dollars_show_small_amounts() {
        assert_eq!(dollars(0.00132), "$0.0013");
        assert_eq!(dollars(12.345), "$12.35");
    }
}
