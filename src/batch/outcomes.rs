//! What the results of a batch came to, local or remote: successes, errors by
//! category, tokens and their estimated cost. Both summaries show these rows
//! the same way.

use std::collections::HashMap;

use crate::api::{Usage, pricing};
use crate::resilience::Category;

/// What the log's `command` says for every line of a batch run.
pub const COMMAND: &str = "batch";

#[derive(Clone, Debug, Default)]
pub struct Outcomes {
    pub succeeded: u64,
    pub errored: HashMap<Category, u64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Estimated from the price table, for the replies whose model has a price.
    pub cost: f64,
    /// Replies billed: successes, and replies that failed `--expect-json`.
    pub replies: u64,
    /// Replies whose model has no known price.
    pub unpriced: u64,
    pub cut_at_max_tokens: u64,
}

impl Outcomes {
    /// A success; `price_factor` is 1 for `/v1/messages`, the Message Batches
    /// discount for results the API produced in a batch.
    pub fn succeeded(
        &mut self,
        model: &str,
        usage: &Usage,
        stop_reason: Option<&str>,
        price_factor: f64,
    ) {
        self.succeeded += 1;
        self.billed(model, usage, price_factor);
        if stop_reason == Some("max_tokens") {
            self.cut_at_max_tokens += 1;
        }
    }

    /// A reply's tokens, whether or not it was a success: a reply that
    /// failed output validation was paid for all the same.
    pub fn billed(&mut self, model: &str, usage: &Usage, price_factor: f64) {
        self.replies += 1;
        // Token counts come from the wire: a sum of them must not overflow.
        self.input_tokens = self.input_tokens.saturating_add(usage.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(usage.output_tokens);
        match pricing::cost(model, usage) {
            Some(cost) => self.cost += cost * price_factor,
            None => self.unpriced += 1,
        }
    }

    pub fn errored(&mut self, category: Category) {
        *self.errored.entry(category).or_default() += 1;
    }

    pub fn errored_total(&self) -> u64 {
        self.errored.values().sum()
    }

    /// The `succeeded:` and `errored:` rows.
    pub fn result_rows(&self) -> String {
        let mut succeeded = self.succeeded.to_string();
        if self.cut_at_max_tokens > 0 {
            succeeded.push_str(&format!(
                " ({} cut at max_tokens: raise --max-tokens or the line's max_tokens)",
                self.cut_at_max_tokens
            ));
        }
        // Categories by count, most frequent first: `invalid_request 2, overloaded 1`.
        let mut counts: Vec<(Category, u64)> = self.errored.iter().map(|(c, n)| (*c, *n)).collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
        let by_category: Vec<String> = counts.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let errored = match self.errored_total() {
            0 => "0".to_string(),
            n => format!("{n} ({})", by_category.join(", ")),
        };
        format!("{}{}", row("succeeded", succeeded), row("errored", errored))
    }

    /// The `tokens:` row, with the estimated cost when a price is known.
    pub fn tokens_row(&self) -> String {
        let mut tokens = format!("{} input, {} output", self.input_tokens, self.output_tokens);
        if self.replies > self.unpriced {
            tokens.push_str(&format!(" (≈ {}", pricing::dollars(self.cost)));
            if self.unpriced > 0 {
                tokens.push_str(&format!(
                    "; {} replies from models without a known price not counted",
                    self.unpriced
                ));
            }
            tokens.push(')');
        }
        row("tokens", tokens)
    }
}

/// `  label:      value\n`: one aligned line of a summary.
pub fn row(label: &str, value: String) -> String {
    format!("  {:<11} {value}\n", format!("{label}:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, output: u64) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            other: Default::default(),
        }
    }

    #[test]
    fn rows_count_results_tokens_and_cost() {
        let mut outcomes = Outcomes::default();
        outcomes.succeeded(
            "claude-sonnet-4-6",
            &usage(1_000_000, 0),
            Some("max_tokens"),
            0.5,
        );
        outcomes.succeeded("mystery-model", &usage(10, 20), None, 1.0);
        outcomes.errored(Category::Overloaded);
        outcomes.errored(Category::InvalidRequest);
        outcomes.errored(Category::InvalidRequest);
        let rows = outcomes.result_rows();
        assert!(
            rows.contains("succeeded:  2 (1 cut at max_tokens"),
            "{rows}"
        );
        assert!(
            rows.contains("errored:    3 (invalid_request 2, overloaded 1)"),
            "{rows}"
        );
        let tokens = outcomes.tokens_row();
        assert_eq!(
            tokens,
            "  tokens:     1000010 input, 20 output (≈ $1.50; 1 replies from models without a known price not counted)\n"
        );
    }

    #[test]
    fn no_cost_is_shown_when_no_reply_has_a_price() {
        let mut outcomes = Outcomes::default();
        outcomes.succeeded("mystery-model", &usage(1, 2), None, 1.0);
        assert_eq!(outcomes.tokens_row(), "  tokens:     1 input, 2 output\n");
    }
}
