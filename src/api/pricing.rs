//! The price table, kept in one place: what `ask --usage` and the batch
//! summary multiply tokens by. US dollars per million tokens, as Anthropic's
//! pricing page lists them for the standard (not batch, not priority) tier.
//! An id not in the table gets no estimate rather than a guess.

use crate::api::types::Usage;

/// `(id prefix, input, output)`. Dated snapshots share their family's
/// price; longer prefixes come first so that `claude-opus-4-1` is not read
/// as `claude-opus-4`.
const PRICES: &[(&str, f64, f64)] = &[
    ("claude-opus-4-6", 5.0, 25.0),
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4-1", 15.0, 75.0),
    ("claude-opus-4", 15.0, 75.0),
    ("claude-sonnet-4-6", 3.0, 15.0),
    ("claude-sonnet-4-5", 3.0, 15.0),
    ("claude-sonnet-4", 3.0, 15.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-haiku-4-5", 1.0, 5.0),
    ("claude-3-5-haiku", 0.8, 4.0),
    ("claude-3-haiku", 0.25, 1.25),
    ("claude-3-opus", 15.0, 75.0),
];

/// The Message Batches API charges half the standard price.
pub const MESSAGE_BATCHES_FACTOR: f64 = 0.5;

/// Writing the prompt cache costs a quarter more than input; reading it, a tenth.
const CACHE_WRITE: f64 = 1.25;
const CACHE_READ: f64 = 0.1;

/// The prices of a model: `(input, output)` dollars per million tokens.
pub fn prices(model: &str) -> Option<(f64, f64)> {
    PRICES
        .iter()
        .find(|(prefix, _, _)| {
            model == *prefix
                || model
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('-'))
        })
        .map(|(_, input, output)| (*input, *output))
}

/// The estimated cost of one reply in dollars, cache tokens included.
pub fn cost(model: &str, usage: &Usage) -> Option<f64> {
    let (input, output) = prices(model)?;
    let counter = |name: &str| {
        usage
            .other
            .get(name)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0) as f64
    };
    let input_tokens = usage.input_tokens as f64
        + CACHE_WRITE * counter("cache_creation_input_tokens")
        + CACHE_READ * counter("cache_read_input_tokens");
    Some((input_tokens * input + usage.output_tokens as f64 * output) / 1_000_000.0)
}

/// `$0.0013`: enough digits to see a single small call.
pub fn dollars(amount: f64) -> String {
    if amount >= 1.0 {
        format!("${amount:.2}")
    } else {
        format!("${amount:.4}")
    }
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
        assert_eq!(prices("claude-opus-4-1-20250805"), Some((15.0, 75.0)));
        assert_eq!(prices("claude-opus-4-6"), Some((5.0, 25.0)));
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
        assert_eq!(cost("unknown", &usage(1, 1, &[])), None);
    }

    #[test]
    fn dollars_show_small_amounts() {
        assert_eq!(dollars(0.00132), "$0.0013");
        assert_eq!(dollars(12.345), "$12.35");
    }
}
