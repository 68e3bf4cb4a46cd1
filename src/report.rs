//! How failures, notices and warnings look to a person on stderr: sanitised,
//! coloured only when stderr is a terminal that wants colour.

use std::io::IsTerminal;
use std::time::{Duration, SystemTime};

use colored::Colorize;

use crate::dates;
use crate::resilience::classify::RETRY_AFTER_MAX;
use crate::resilience::{Decision, FailedAttempt, Failure, FinalFailure, GiveUp};
use crate::sanitize;
use crate::secret::scrub;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Decided once at start; nothing deeper asks again.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub stderr_color: bool,
    pub stderr_is_terminal: bool,
    pub stdout_is_terminal: bool,
}

impl Style {
    pub fn detect(choice: ColorChoice, env: &dyn Fn(&str) -> Option<String>) -> Style {
        let stderr_is_terminal = std::io::stderr().is_terminal();
        let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
        let forced = set("CLICOLOR_FORCE") && env("CLICOLOR_FORCE").as_deref() != Some("0");
        let stderr_color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // NO_COLOR is the user's own wish and wins over a forcing variable.
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto if forced => true,
            ColorChoice::Auto => stderr_is_terminal && env("TERM").as_deref() != Some("dumb"),
        };
        // colored decides from stdout by itself; we decide for stderr, where
        // everything coloured goes, and tell it once.
        colored::control::set_override(stderr_color);
        Style {
            stderr_color,
            stderr_is_terminal,
            stdout_is_terminal: std::io::stdout().is_terminal(),
        }
    }
}

pub fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    let places = if secs < 10.0 { 1 } else { 0 };
    format!("{secs:.places$}s")
}

/// A server's retry-after as said to the user. One clamped at parsing was
/// longer still, so it is not quoted as if the server had asked exactly that.
pub fn asked_wait(wait: Duration) -> String {
    if wait >= RETRY_AFTER_MAX {
        "a day or more".into()
    } else {
        seconds(wait)
    }
}

/// When a wait that starts now ends, as RFC 3339; total for any wait.
pub fn wait_ends(wait: Duration) -> String {
    let at = dates::rfc3339_seconds(dates::later(SystemTime::now(), wait));
    if wait >= RETRY_AFTER_MAX {
        format!("{at} at the earliest")
    } else {
        at
    }
}

/// A warning may quote what a server or the user sent: scrubbed.
pub fn warning(text: &str) -> String {
    format!("{} {}", "warning:".yellow().bold(), scrub(text))
}

/// `overloaded (HTTP 529) · retry 2/4 in 3.1s · req_abc`
pub fn retry_notice(failed: &FailedAttempt) -> Option<String> {
    let Decision::Retry { wait, .. } = failed.decision else {
        return None;
    };
    let mut line = format!(
        "{} · retry {}/{} in {}",
        failed.failure.label(),
        failed.attempt,
        failed.max_attempts.saturating_sub(1),
        seconds(wait)
    );
    if let Some(id) = &failed.failure.request_id {
        line.push_str(&format!(" · {}", sanitize::one_line(id)));
    }
    Some(line.dimmed().to_string())
}

fn give_up_reason(give_up: GiveUp, attempts: u32) -> String {
    match give_up {
        GiveUp::NotRetryable => "not retried: retrying cannot fix this".into(),
        GiveUp::ServerSaidNo => {
            "not retried: the server said not to (x-should-retry: false)".into()
        }
        GiveUp::OutputAlreadyShown => "not retried: part of the reply was already printed".into(),
        GiveUp::MayHaveTakenEffect => {
            "not retried: the request was sent and may have taken effect; sending it again could do it twice".into()
        }
        GiveUp::AttemptsExhausted if attempts == 1 => {
            "retries are disabled (--max-retries 0)".into()
        }
        GiveUp::AttemptsExhausted => "gave up: all retries used".into(),
        GiveUp::RetryAfterTooLong(wait) => format!(
            "not retried: the server asked to wait {} (until {}), longer than claude-rs waits",
            asked_wait(wait),
            wait_ends(wait)
        ),
        GiveUp::DeadlineWouldPass => "gave up: the next retry would pass --deadline".into(),
    }
}

/// The whole failure, for stderr, with the core's fix.
pub fn render_failure(failed: &FinalFailure, attempts: u32, elapsed: Duration) -> String {
    render_failure_with_fix(failed, attempts, elapsed, &failed.failure.fix())
}

/// `render_failure` with a fix that replaces the failure's own: for a context
/// the core's advice does not fit (a Message Batch that was not found is not
/// a wrong model id), or adds to it what only the command knows (the key's
/// last characters, the models that exist).
pub fn render_failure_with_fix(
    failed: &FinalFailure,
    attempts: u32,
    elapsed: Duration,
    fix: &str,
) -> String {
    let failure = &failed.failure;
    let title = if failed.partial.is_some() && failed.give_up == GiveUp::OutputAlreadyShown {
        format!("{} — the reply was interrupted", failure.category)
    } else {
        format!("{} — {}", failure.category, failure.category.meaning())
    };
    let mut out = format!("{} {}\n", "error:".red().bold(), title.bold());
    out.push_str(&what_and_request_id(failure));
    let tries = if attempts == 1 { "attempt" } else { "attempts" };
    out.push_str(&format!(
        "  {:<11} {attempts} {tries} over {} ({})\n",
        "attempts:",
        seconds(elapsed),
        give_up_reason(failed.give_up, attempts)
    ));
    out.push_str(&format!("  {:<11} {}\n", "fix:".green().bold(), fix));
    out.push_str(&format!(
        "  {:<11} {} (category {})",
        "exit code:",
        failure.category.exit_code().code(),
        failure.category
    ));
    // The fix may quote what the server listed (the models that exist).
    scrub(&out).into_owned()
}

/// `HTTP 529 overloaded_error: Overloaded`: the failure's status and type,
/// and `message`, sanitised; empty when there is none of them.
pub fn what(failure: &Failure, message: &str) -> String {
    let status = failure.http_status.map(|status| format!("HTTP {status}"));
    let kind = failure.error_type.as_deref().map(sanitize::one_line);
    let detail = [status.map(Into::into), kind]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let message = sanitize::one_line(message);
    match (detail.is_empty(), message.trim().is_empty()) {
        (true, _) => message.into_owned(),
        (false, true) => detail,
        (false, false) => format!("{detail}: {message}"),
    }
}

/// The `what:` and `request id:` lines of a failure, each ending in a newline.
pub fn what_and_request_id(failure: &Failure) -> String {
    let line = what(failure, &failure.message);
    let request_id = failure
        .request_id
        .as_deref()
        .map(|id| sanitize::one_line(id).into_owned())
        .unwrap_or_else(|| match failure.http_status {
            Some(_) => {
                "none (the response carried no request-id: probably a proxy, not the API)".into()
            }
            None => "none (no response from the API)".into(),
        });
    format!(
        "  {:<11} {}\n  {:<11} {}\n",
        "what:", line, "request id:", request_id
    )
}

/// A problem found before anything was sent (exit 2). Problems quote what
/// the user gave (a config file, the environment, a file name): sanitised.
pub fn render_usage_error(problem: &str, fix: &str) -> String {
    format!(
        "{} {}\n  {:<4} {}",
        "error:".red().bold(),
        sanitize::one_line(problem),
        "fix:".green().bold(),
        sanitize::one_line(fix)
    )
}
