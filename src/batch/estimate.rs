//! What a batch's items would use before any is sent (`--dry-run`): input
//! tokens by the project's rule of thumb (4 characters a token, as pacing
//! counts them), dollars by the price table, and the time a pace allows.

use std::time::Duration;

use crate::api::{MessageParams, Usage, pricing};

/// The items a run would send, summed as the input's first pass reads them.
#[derive(Debug, Default)]
pub struct Estimate {
    pub items: u64,
    pub input_tokens: u64,
    /// Input tokens alone, for the items whose model has a price.
    pub input_dollars: f64,
    /// Input plus every reply as long as its `max_tokens` allows: the most
    /// the items can cost.
    pub most_dollars: f64,
    /// Items whose model has no price in the table.
    pub unpriced: u64,
    /// The first item to send (its custom_id and request), shown in full.
    pub first: Option<(String, MessageParams)>,
}

impl Estimate {
    pub fn add(&mut self, custom_id: &str, params: &MessageParams) {
        let tokens = params.estimated_input_tokens();
        // Counts from the input may be anything a u64 holds.
        let max_tokens = params.as_map().get("max_tokens").and_then(|v| v.as_u64());
        self.items += 1;
        self.input_tokens = self.input_tokens.saturating_add(tokens);
        let usage = |output_tokens| Usage {
            input_tokens: tokens,
            output_tokens,
            ..Usage::default()
        };
        match (
            pricing::cost(params.model(), &usage(0)),
            pricing::cost(params.model(), &usage(max_tokens.unwrap_or(0))),
        ) {
            (Some(input), Some(most)) => {
                self.input_dollars += input;
                self.most_dollars += most;
            }
            _ => self.unpriced += 1,
        }
        if self.first.is_none() {
            self.first = Some((custom_id.to_string(), params.clone()));
        }
    }
}

/// How long `items` of `tokens` input tokens take at a client-side pace
/// (`--rpm`, `--tpm`, each used up to `fraction`): the slower of the two.
/// `None` without either: the pace is then the API's, learned as it goes.
pub fn eta(
    items: u64,
    tokens: u64,
    rpm: Option<u32>,
    tpm: Option<u64>,
    fraction: f64,
) -> Option<Duration> {
    let minutes = |count: u64, limit: f64| count as f64 / (limit * fraction).max(f64::MIN_POSITIVE);
    let by_requests = rpm.map(|rpm| minutes(items, f64::from(rpm)));
    let by_tokens = tpm.map(|tpm| minutes(tokens, tpm as f64));
    let minutes = by_requests.into_iter().chain(by_tokens).reduce(f64::max)?;
    let seconds = (minutes * 60.0).min(u32::MAX as f64);
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(model: &str, prompt: &str, max_tokens: u64) -> MessageParams {
        let value = json!({"model": model, "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": prompt}]});
        MessageParams::from_map(value.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn items_are_summed_and_the_first_is_kept() {
        let mut estimate = Estimate::default();
        // 400 characters: 101 tokens by the rule (characters / 4, plus 1).
        estimate.add("a", &params("claude-sonnet-5-5", &"x".repeat(400), 1000));
        estimate.add("b", &params("claude-sonnet-5-5", &"x".repeat(400), 1000));
        estimate.add("c", &params("no-such-model", "hi", 10));
        assert_eq!(estimate.items, 3);
        assert_eq!(estimate.input_tokens, 101 + 101 + 1);
        assert_eq!(estimate.unpriced, 1);
        // $2 / $10 per million input / output tokens.
        assert!((estimate.input_dollars - 2.0 * 101.0 * 2.0 / 1e6).abs() < 1e-12);
        let most = 2.0 * (101.0 * 2.0 + 1000.0 * 10.0) / 1e6;
        assert!((estimate.most_dollars - most).abs() < 1e-12);
        assert_eq!(estimate.first.map(|(id, _)| id).as_deref(), Some("a"));
    }

    #[test]
    fn a_huge_max_tokens_does_not_overflow() {
        let mut estimate = Estimate::default();
        estimate.add("a", &params("claude-sonnet-5-5", "hi", u64::MAX));
        assert!(estimate.most_dollars.is_finite());
    }

    #[test]
    fn the_eta_is_the_slower_limit() {
        // 300 items at 100 rpm with 0% headroom: 3 minutes.
        assert_eq!(
            eta(300, 0, Some(100), None, 1.0),
            Some(Duration::from_secs(180))
        );
        // Tokens are slower: 1,000,000 at 100,000 tpm × 0.5 is 20 minutes.
        assert_eq!(
            eta(10, 1_000_000, Some(100), Some(100_000), 0.5),
            Some(Duration::from_secs(20 * 60))
        );
        assert_eq!(eta(10, 10, None, None, 0.9), None);
    }
}
