//! The one list of error categories. Every command classifies into these, and
//! their names, exit codes and retry defaults are a public contract.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::exit_code::ExitCode;

named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Category {
        InvalidRequest = "invalid_request",
        Authentication = "authentication",
        Billing = "billing",
        Permission = "permission",
        NotFound = "not_found",
        RequestTooLarge = "request_too_large",
        Conflict = "conflict",
        RateLimit = "rate_limit",
        ApiError = "api_error",
        Overloaded = "overloaded",
        Timeout = "timeout",
        Connection = "connection",
        InvalidResponse = "invalid_response",
        OutputValidation = "output_validation",
        Refusal = "refusal",
    }
}

impl Category {
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }

    pub fn exit_code(self) -> ExitCode {
        match self {
            Category::Authentication | Category::Billing | Category::Permission => ExitCode::Auth,
            Category::InvalidRequest | Category::NotFound | Category::RequestTooLarge => {
                ExitCode::Request
            }
            Category::RateLimit => ExitCode::RateLimit,
            Category::Conflict
            | Category::ApiError
            | Category::Overloaded
            | Category::InvalidResponse => ExitCode::Api,
            Category::Timeout | Category::Connection => ExitCode::Network,
            Category::OutputValidation | Category::Refusal => ExitCode::OutputValidation,
        }
    }

    /// Whether a failure of this category is worth another attempt, before
    /// the finer cause and the server's `x-should-retry` have their say.
    pub fn retryable_by_default(self) -> bool {
        matches!(
            self,
            Category::Conflict
                | Category::RateLimit
                | Category::ApiError
                | Category::Overloaded
                | Category::Timeout
                | Category::Connection
                | Category::InvalidResponse
                | Category::OutputValidation
        )
    }

    /// Failures of the key, its permissions or the account's billing: they
    /// fail every request alike, so a batch stops at the first one instead of
    /// spending the rest of its input on them.
    pub fn is_account_wide(self) -> bool {
        matches!(
            self,
            Category::Authentication | Category::Permission | Category::Billing
        )
    }

    /// The first wait before a retry. Each kind of trouble gets its own: a rate
    /// limit usually names its wait, an overloaded or timed-out server needs
    /// real room to recover, a dropped connection is often gone in a moment.
    pub fn base_delay(self) -> Duration {
        Duration::from_millis(match self {
            Category::RateLimit => 2_000,
            Category::Overloaded => 3_000,
            Category::Timeout => 4_000,
            Category::Conflict | Category::InvalidResponse => 500,
            Category::OutputValidation => 250,
            // A dropped connection, a server error, and the rest.
            _ => 1_000,
        })
    }

    /// What the category means, in a sentence a person at 3 AM can act on.
    pub fn meaning(self) -> &'static str {
        match self {
            Category::InvalidRequest => {
                "the API rejected the request as malformed or out of range; this is a bug in the input, not a passing fault"
            }
            Category::Authentication => "the API key was missing, malformed, expired or revoked",
            Category::Billing => {
                "the account cannot pay for this request (credit, plan or spend limit)"
            }
            Category::Permission => {
                "the key is valid but not allowed to use this model or endpoint"
            }
            Category::NotFound => "the model or endpoint does not exist, or this key cannot see it",
            Category::RequestTooLarge => "the request is larger than the API accepts",
            Category::Conflict => "the request conflicted with another one in flight",
            Category::RateLimit => {
                "requests are being sent faster than the account's rate limit allows"
            }
            Category::ApiError => "the API (or a proxy in front of it) failed with a server error",
            Category::Overloaded => "the API is temporarily overloaded",
            Category::Timeout => {
                "the server or network stopped making progress within the time allowed"
            }
            Category::Connection => "the connection to the API could not be made or was broken",
            Category::InvalidResponse => {
                "the response was not what the API documents (unreadable body or a stream cut short)"
            }
            Category::OutputValidation => "the model's reply did not have the required form",
            Category::Refusal => "the model declined to answer this request (stop_reason refusal)",
        }
    }

    /// The generic fix; a failure may add a more specific one.
    pub fn fix(self) -> &'static str {
        match self {
            Category::InvalidRequest => {
                "Fix the request (see the message); retrying the same request will fail the same way."
            }
            Category::Authentication => {
                "Check ANTHROPIC_API_KEY: it must be a current key from https://console.anthropic.com/settings/keys."
            }
            Category::Billing => {
                "Check Plans & Billing in the Anthropic Console (credit balance and spend limits)."
            }
            Category::Permission => {
                "Use a model or endpoint this key's organisation and workspace may use, or ask an admin to grant access."
            }
            Category::NotFound => {
                "Check the model id (--model / ANTHROPIC_MODEL) and ANTHROPIC_BASE_URL."
            }
            Category::RequestTooLarge => {
                "Trim the prompt, system prompt or history; the request body limit is 32 MB and the context window is per model."
            }
            Category::Conflict => "Retry shortly; nothing in the request needs to change.",
            Category::RateLimit => {
                "Slow down: wait for the retry-after time, lower concurrency, or ask Anthropic for a higher limit."
            }
            Category::ApiError => {
                "Retry later; if it persists, check https://status.anthropic.com and quote the request id to support."
            }
            Category::Overloaded => {
                "Wait a minute and retry, or raise --max-retries / --deadline; check https://status.anthropic.com."
            }
            Category::Timeout => {
                "Check the network; raise --timeout (stall) or --deadline if the server is merely slow."
            }
            Category::Connection => {
                "Check the network, DNS, proxy settings (HTTPS_PROXY) and ANTHROPIC_BASE_URL."
            }
            Category::InvalidResponse => {
                "Retry; if it persists, a proxy may be rewriting responses: check ANTHROPIC_BASE_URL and proxies."
            }
            Category::OutputValidation => {
                "Make the prompt ask for the exact form required, or raise --max-retries."
            }
            Category::Refusal => {
                "Read the model's stated reason above and rephrase the request; sending the same request again gets the same answer."
            }
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for category in Category::ALL {
            assert_eq!(Category::from_name(category.as_str()), Some(category));
        }
        let names: std::collections::BTreeSet<_> =
            Category::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Category::ALL.len(), "a name is used twice");
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        let expected = [
            ("invalid_request", 4),
            ("authentication", 3),
            ("billing", 3),
            ("permission", 3),
            ("not_found", 4),
            ("request_too_large", 4),
            ("conflict", 6),
            ("rate_limit", 5),
            ("api_error", 6),
            ("overloaded", 6),
            ("timeout", 7),
            ("connection", 7),
            ("invalid_response", 6),
            ("output_validation", 8),
            ("refusal", 8),
        ];
        for (name, code) in expected {
            let category = Category::from_name(name).unwrap();
            assert_eq!(category.exit_code().code(), code, "{name}");
        }
    }

    #[test]
    fn serde_name_matches_as_str() {
        for category in Category::ALL {
            let json = serde_json::to_string(&category).unwrap();
            assert_eq!(json, format!("\"{}\"", category.as_str()));
        }
    }
}
