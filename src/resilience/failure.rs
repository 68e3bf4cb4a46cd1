//! The one failure type: every outcome of an attempt that is not a success
//! becomes a `Failure`, classified once where it happens and carried as a value.

use std::time::Duration;

use super::category::Category;

named_enum! {
    /// The finer cause behind a category, where the category alone would not say
    /// what to do (a DNS failure and a reset are both `connection`, but only one
    /// is worth retrying).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Cause {
        Dns = "dns",
        Refused = "refused",
        Reset = "reset",
        Tls = "tls",
        Proxy = "proxy",
        ConnectionOther = "connection",
        ConnectTimeout = "connect_timeout",
        StallTimeout = "stall_timeout",
        /// The server or a gateway in front of it timed out (504, 408, `timeout_error`).
        ServerTimeout = "server_timeout",
        Deadline = "deadline",
        SpendLimit = "spend_limit",
        LowCredit = "low_credit",
        HtmlPage = "html_page",
        /// A 3xx: the base URL points somewhere that sends us elsewhere.
        Redirect = "redirect",
        UnreadableBody = "unreadable_body",
        StreamIncomplete = "stream_incomplete",
        NotJson = "not_json",
        NotAChoice = "not_a_choice",
        /// The reply is JSON that does not fit `--schema`.
        SchemaMismatch = "schema_mismatch",
        /// The reply failed an output check because it stopped at max_tokens:
        /// the identical request cannot do better.
        CutAtMaxTokens = "cut_at_max_tokens",
        /// A 400 "prompt is too long: N tokens > M maximum".
        PromptTooLong = "prompt_too_long",
        /// A 400 saying this model takes no `temperature`.
        TemperatureRejected = "temperature_rejected",
    }
}

impl Cause {
    /// Causes that no retry can mend, whatever the category says.
    fn rules_out_retry(self) -> bool {
        matches!(
            self,
            Cause::Dns
                | Cause::Tls
                | Cause::Redirect
                | Cause::CutAtMaxTokens
                | Cause::Deadline
                | Cause::SpendLimit
                | Cause::LowCredit
        )
    }
}

const STREAM_CUT_FIX: &str = "The reply stream was cut before it finished: retry; if it recurs, a proxy may be closing long-lived connections.";

#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub category: Category,
    pub cause: Option<Cause>,
    pub http_status: Option<u16>,
    /// The API's `error.type`, kept verbatim: new types appear over time.
    pub error_type: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    /// What the server asked us to wait (`retry-after-ms` / `retry-after`).
    pub retry_after: Option<Duration>,
    /// The server's `x-should-retry`, which overrides the category's default.
    pub should_retry: Option<bool>,
}

/// "prompt is too long: 203284 tokens > 200000 maximum": the counts, and
/// how far over.
fn prompt_too_long_fix(message: &str) -> String {
    let numbers: Vec<u64> = message
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers.as_slice() {
        [sent, limit, ..] if sent > limit => format!(
            "The prompt is {sent} tokens, over the model's {limit}-token input limit: cut at least {} tokens (the prompt, system prompt or history), or use a model with a larger context window.",
            sent - limit
        ),
        _ => "The prompt is over the model's input limit: shorten the prompt, system prompt or history, or use a model with a larger context window.".to_string(),
    }
}

/// The date in "You will regain access on 2026-12-01 at 00:00 UTC.", as sent.
fn access_returns_on(message: &str) -> Option<String> {
    const SAID: &str = "regain access on ";
    let at = message.to_ascii_lowercase().find(SAID)? + SAID.len();
    let when: String = message[at..]
        .chars()
        .take_while(|c| *c != '.' && *c != '\n')
        .take(60)
        .collect();
    let when = when.trim();
    (!when.is_empty()).then(|| when.to_string())
}

impl Failure {
    /// The message is scrubbed of every secret here, once: it often quotes
    /// what a server, a proxy or the user sent, and a failure is printed,
    /// logged and written into result files.
    pub fn new(category: Category, message: impl Into<String>) -> Failure {
        let message = crate::secret::scrub(&message.into()).into_owned();
        Failure {
            category,
            cause: None,
            http_status: None,
            error_type: None,
            message,
            request_id: None,
            retry_after: None,
            should_retry: None,
        }
    }

    pub fn with_cause(mut self, cause: Cause) -> Failure {
        self.cause = Some(cause);
        self
    }

    /// Whether every other request would fail alike: the key, its
    /// permissions or the account's billing, DNS, TLS, a proxy, or a base
    /// URL that redirects.
    /// A batch stops at the first one rather than spend its input on it.
    pub fn fails_every_request(&self) -> bool {
        self.category.is_account_wide()
            || matches!(
                self.cause,
                Some(Cause::Redirect | Cause::Dns | Cause::Tls | Cause::Proxy)
            )
    }

    /// The server's `x-should-retry` can turn a retry on or off, except where
    /// we know better: a cause no retry mends, or the key, its permissions or
    /// the account's billing, which fail every request alike until a person
    /// acts (exit 3, "retrying cannot help").
    pub fn retryable(&self) -> bool {
        if self.cause.is_some_and(Cause::rules_out_retry) || self.category.is_account_wide() {
            return false;
        }
        self.should_retry
            .unwrap_or_else(|| self.category.retryable_by_default())
    }

    /// The advice for this very failure: the category's, made specific where
    /// the cause or status tells us more.
    pub fn fix(&self) -> String {
        if self.cause == Some(Cause::PromptTooLong) {
            return prompt_too_long_fix(&self.message);
        }
        let after_success = self.http_status.is_some_and(|s| (200..300).contains(&s));
        let specific = match self.cause {
            // A reset after the reply began is the stream being cut, not a
            // network that cannot be reached.
            Some(Cause::Reset) if after_success => Some(STREAM_CUT_FIX),
            Some(Cause::Dns) => Some(
                "The API host name did not resolve: check DNS, the network, and the host in ANTHROPIC_BASE_URL.",
            ),
            Some(Cause::Refused) => Some(
                "Nothing is listening at ANTHROPIC_BASE_URL's host and port: check the URL, or whether a local proxy or mock is running.",
            ),
            Some(Cause::Tls) => Some(
                "The TLS handshake or certificate check failed. If your network inspects HTTPS (a corporate proxy or antivirus), trust its CA: --ca-cert FILE or SSL_CERT_FILE=FILE (PEM), or --native-roots if it is in the system's store; otherwise check the system clock and ANTHROPIC_BASE_URL.",
            ),
            Some(Cause::Proxy) => Some(
                "The proxy failed: check HTTPS_PROXY / HTTP_PROXY / ALL_PROXY or --proxy, or set NO_PROXY for the API host.",
            ),
            Some(Cause::StallTimeout) => Some(
                "The server stopped sending for longer than --timeout: retry, or raise --timeout if it is merely slow.",
            ),
            Some(Cause::ConnectTimeout) => Some(
                "No connection within --connect-timeout: check the network, firewall and proxy settings.",
            ),
            Some(Cause::ServerTimeout) => Some(
                "The API (or a gateway in front of it) timed out on this request; the network is fine. Retry; if it recurs, the request may be too slow to serve: lower --max-tokens or split the work, and check https://status.anthropic.com.",
            ),
            Some(Cause::Deadline) => Some(
                "The whole call ran past --deadline: raise --deadline, or retry when the API is faster.",
            ),
            Some(Cause::SpendLimit) => Some(
                "The organisation reached its monthly spend limit: raise it in the Console (Settings › Limits); retrying before then fails.",
            ),
            Some(Cause::LowCredit) => {
                Some("The credit balance is too low: add credit in the Console (Plans & Billing).")
            }
            Some(Cause::HtmlPage) => Some(
                "A proxy or load balancer answered with an HTML page instead of the API: retry; if it persists, check proxies and ANTHROPIC_BASE_URL.",
            ),
            Some(Cause::Redirect) => Some(
                "Set ANTHROPIC_BASE_URL (or base_url in the config file) to the address the API answers at, without a redirect. A redirect to a login page means a captive portal or proxy wants you to sign in first.",
            ),
            Some(Cause::StreamIncomplete) => Some(STREAM_CUT_FIX),
            Some(Cause::NotJson) => Some(
                "The reply was not valid JSON: ask for JSON explicitly in the prompt, or raise --max-retries.",
            ),
            Some(Cause::TemperatureRejected) => Some(
                "This model takes no temperature: drop --temperature (or temperature in the config file or the batch line).",
            ),
            Some(Cause::CutAtMaxTokens) => Some(
                "The reply stopped at its --max-tokens limit before it was whole, so it could not pass the check: raise --max-tokens (or max_tokens in the request); the same request would stop at the same place.",
            ),
            Some(Cause::NotAChoice) => Some(
                "The reply was not one of --choices: list the choices in the prompt and ask for exactly one word.",
            ),
            Some(Cause::SchemaMismatch) => Some(
                "The reply did not match --schema (each retry showed the model its errors): describe the fields in the prompt, loosen the schema, or raise --max-retries.",
            ),
            _ => None,
        };
        let mut fix = specific.unwrap_or_else(|| self.category.fix()).to_string();
        if self.cause == Some(Cause::SpendLimit)
            && let Some(when) = access_returns_on(&self.message)
        {
            fix.push_str(&format!(" Access returns on {when}."));
        }
        fix
    }

    /// Whether the failure proves the server did not act on the request: it
    /// answered with an error status, or no connection was ever made. A reset,
    /// a stall or an unreadable answer after the request went out proves
    /// nothing, so a request that is not idempotent (creating a Message Batch)
    /// must not be repeated after one. A TLS failure is left out: rustls also
    /// names a connection cut mid-answer as one.
    pub fn proves_nothing_was_done(&self) -> bool {
        let error_status = self.http_status.is_some_and(|s| !(200..300).contains(&s));
        let never_connected = matches!(
            self.cause,
            Some(Cause::Dns | Cause::Refused | Cause::ConnectTimeout | Cause::Proxy)
        );
        error_status || never_connected
    }

    /// A short label for notices: `overloaded (HTTP 529)`, `timeout
    /// (stall_timeout)`, or what went wrong after a success status arrived:
    /// `connection (stream cut after HTTP 200)`.
    pub fn label(&self) -> String {
        match (self.http_status, self.cause) {
            (Some(status), cause) if (200..300).contains(&status) => match cause {
                Some(Cause::Reset) => {
                    format!("{} (stream cut after HTTP {status})", self.category)
                }
                Some(cause) => {
                    format!("{} ({} after HTTP {status})", self.category, cause.as_str())
                }
                None => format!("{} (after HTTP {status})", self.category),
            },
            (Some(status), _) => format!("{} (HTTP {status})", self.category),
            (None, Some(cause)) => format!("{} ({})", self.category, cause.as_str()),
            (None, None) => self.category.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn should_retry_header_overrides_the_category() {
        let mut failure = Failure::new(Category::InvalidRequest, "x");
        assert!(!failure.retryable());
        failure.should_retry = Some(true);
        assert!(failure.retryable());
        let mut failure = Failure::new(Category::Overloaded, "x");
        failure.should_retry = Some(false);
        assert!(!failure.retryable());
    }

    #[test]
    fn the_key_permissions_and_billing_are_never_retried_whatever_the_server_says() {
        for category in [
            Category::Authentication,
            Category::Permission,
            Category::Billing,
        ] {
            let mut failure = Failure::new(category, "x");
            failure.http_status = Some(402);
            failure.should_retry = Some(true);
            assert!(!failure.retryable(), "{category}");
        }
    }

    #[test]
    fn dns_tls_deadline_and_spend_limit_are_never_retried() {
        for (category, cause) in [
            (Category::Connection, Cause::Dns),
            (Category::Connection, Cause::Tls),
            (Category::Timeout, Cause::Deadline),
            (Category::Billing, Cause::SpendLimit),
        ] {
            let mut failure = Failure::new(category, "x").with_cause(cause);
            failure.should_retry = Some(true);
            assert!(!failure.retryable(), "{cause:?}");
        }
        assert!(
            Failure::new(Category::Connection, "x")
                .with_cause(Cause::Reset)
                .retryable()
        );
        assert!(
            Failure::new(Category::Timeout, "x")
                .with_cause(Cause::StallTimeout)
                .retryable()
        );
    }

    #[test]
    fn only_an_error_status_or_no_connection_proves_nothing_was_done() {
        let mut overloaded = Failure::new(Category::Overloaded, "x");
        overloaded.http_status = Some(529);
        assert!(overloaded.proves_nothing_was_done());
        for cause in [
            Cause::Refused,
            Cause::Dns,
            Cause::ConnectTimeout,
            Cause::Proxy,
        ] {
            let failure = Failure::new(Category::Connection, "x").with_cause(cause);
            assert!(failure.proves_nothing_was_done(), "{cause:?}");
        }
        for cause in [
            Cause::Reset,
            Cause::StallTimeout,
            Cause::ConnectionOther,
            Cause::Tls,
        ] {
            let failure = Failure::new(Category::Connection, "x").with_cause(cause);
            assert!(!failure.proves_nothing_was_done(), "{cause:?}");
        }
        // A 200 whose body could not be read: the server did act.
        let unreadable =
            Failure::new(Category::InvalidResponse, "x").with_cause(Cause::UnreadableBody);
        assert!(!unreadable.proves_nothing_was_done());
    }

    #[test]
    fn label_names_status_or_cause() {
        let mut failure = Failure::new(Category::Overloaded, "x");
        failure.http_status = Some(529);
        assert_eq!(failure.label(), "overloaded (HTTP 529)");
        let mut failure = Failure::new(Category::Timeout, "x").with_cause(Cause::StallTimeout);
        assert_eq!(failure.label(), "timeout (stall_timeout)");
        failure.http_status = Some(200);
        assert_eq!(failure.label(), "timeout (stall_timeout after HTTP 200)");
        let mut cut = Failure::new(Category::Connection, "x").with_cause(Cause::Reset);
        cut.http_status = Some(200);
        assert_eq!(cut.label(), "connection (stream cut after HTTP 200)");
        assert!(!cut.proves_nothing_was_done());
    }
}
