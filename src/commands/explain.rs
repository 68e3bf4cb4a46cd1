//! `claude-rs explain`: offline diagnosis of an error someone already has.
//! `input` recognises the form; the core classifies it; this file says what
//! the category means, how claude-rs would retry it, the fix and the exit code.

mod input;

use std::io::{IsTerminal, Read};
use std::time::Duration;

use serde::Serialize;

use crate::cli::ExplainArgs;
use crate::config::UsageError;
use crate::exit_code::ExitCode;
use crate::report;
use crate::resilience::policy::AttemptState;
use crate::resilience::{Decision, Failure, GiveUp, RetryPolicy};
use crate::sanitize;

pub use input::{ACCEPTED_FORMS, InputKind, Understood, understand};

/// Far more than any error text; the rest of a larger input is not read.
const MAX_INPUT_BYTES: u64 = 1024 * 1024;

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let understood = input_text(&args.input)
        .and_then(|text| {
            understand(&text).map_err(|why| format!("cannot explain this input: {why}"))
        })
        .map_err(|problem| UsageError::new(problem, ACCEPTED_FORMS))?;
    let out = match args.json {
        true => serde_json::to_string(&Explanation::of(&understood)).unwrap_or_default(),
        false => render(&understood),
    };
    crate::commands::print_stdout_line(&out);
    Ok(ExitCode::Success)
}

/// The words given, else piped stdin.
fn input_text(words: &[String]) -> Result<String, String> {
    if !words.is_empty() {
        return Ok(words.join(" "));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err("nothing to explain: no INPUT was given and stdin is a terminal".into());
    }
    let mut bytes = Vec::new();
    stdin
        .lock()
        .take(MAX_INPUT_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("could not read stdin: {e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// How claude-rs would retry this failure, from the retry policy itself
/// (its defaults, no jitter, no retry-after), so the words cannot drift from it.
pub fn retry_text(failure: &Failure) -> String {
    let policy = RetryPolicy::default();
    let decide = |attempt| {
        let state = AttemptState {
            attempt,
            elapsed: Duration::ZERO,
            output_shown: false,
            may_have_taken_effect: false,
        };
        policy.decide(failure, state, 0.0)
    };
    let waits: Vec<Duration> = (1..=policy.max_retries)
        .map_while(|attempt| match decide(attempt) {
            Decision::Retry { wait, .. } => Some(wait),
            Decision::GiveUp(_) => None,
        })
        .collect();
    if waits.is_empty() {
        return match decide(1) {
            Decision::GiveUp(GiveUp::ServerSaidNo) => {
                "no: the server said not to (x-should-retry: false)".into()
            }
            _ => "no: claude-rs never retries this, because retrying cannot fix it".into(),
        };
    }
    let shown: Vec<String> = waits.iter().map(|w| duration(*w)).collect();
    format!(
        "yes: up to {} retries (--max-retries), waiting {} ({} doubling, at most {}, each cut at random \
         by up to a quarter); a retry-after from the server replaces the wait, and one over {} fails at once",
        waits.len(),
        shown.join(", "),
        duration(failure.category.base_delay()),
        duration(policy.backoff_cap),
        duration(policy.retry_after_cap),
    )
}

fn duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// The `--json` shape (docs/json.md).
#[derive(Debug, Serialize)]
pub struct Explanation<'a> {
    input_kind: InputKind,
    category: &'static str,
    http_status: Option<u16>,
    error_type: Option<&'a str>,
    message: Option<&'a str>,
    request_id: Option<&'a str>,
    meaning: &'static str,
    retryable: bool,
    retry: String,
    fix: String,
    exit_code: u8,
}

impl<'a> Explanation<'a> {
    pub fn of(understood: &'a Understood) -> Explanation<'a> {
        let failure = &understood.failure;
        Explanation {
            input_kind: understood.kind,
            category: failure.category.as_str(),
            http_status: failure.http_status,
            error_type: failure.error_type.as_deref(),
            message: understood.message.as_deref(),
            request_id: failure.request_id.as_deref(),
            meaning: failure.category.meaning(),
            retryable: failure.retryable(),
            retry: retry_text(failure),
            fix: failure.fix(),
            exit_code: failure.category.exit_code().code(),
        }
    }
}

/// The explanation for a person. Everything from the input is sanitised:
/// it may hold escape sequences, and this goes to a terminal.
fn render(understood: &Understood) -> String {
    let failure = &understood.failure;
    let category = failure.category;
    let mut lines = vec![
        field("category:", &format!("{category} — {}", category.meaning())),
        field("input:", understood.kind.describe()),
    ];
    let what = report::what(failure, understood.message.as_deref().unwrap_or(""));
    if !what.trim().is_empty() {
        lines.push(field("what:", &what));
    }
    if let Some(id) = &failure.request_id {
        lines.push(field("request id:", &sanitize::one_line(id)));
    }
    lines.push(field("retried:", &retry_text(failure)));
    lines.push(field("fix:", &failure.fix()));
    lines.push(field(
        "exit code:",
        &format!(
            "{} (what claude-rs exits with for {category})",
            category.exit_code().code()
        ),
    ));
    for note in &understood.notes {
        lines.push(field("note:", &sanitize::one_line(note)));
    }
    lines.join("\n")
}

fn field(label: &str, value: &str) -> String {
    format!("{label:<11} {value}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::{Category, Cause};

    #[test]
    fn retry_text_follows_the_policy() {
        let overloaded = retry_text(&Failure::new(Category::Overloaded, ""));
        assert!(
            overloaded.starts_with("yes: up to 4 retries (--max-retries), waiting 3s, 6s, 12s, 24s (3s doubling, at most 30s"),
            "{overloaded}"
        );
        let conflict = retry_text(&Failure::new(Category::Conflict, ""));
        assert!(conflict.contains("waiting 500ms, 1s, 2s, 4s"), "{conflict}");
        let auth = retry_text(&Failure::new(Category::Authentication, ""));
        assert!(auth.starts_with("no: claude-rs never retries this"));
        let spend = Failure::new(Category::Billing, "").with_cause(Cause::SpendLimit);
        assert!(retry_text(&spend).starts_with("no"));
        let mut said_no = Failure::new(Category::Overloaded, "");
        said_no.should_retry = Some(false);
        assert!(retry_text(&said_no).contains("x-should-retry"));
    }

    #[test]
    fn the_explanation_is_sanitised_and_complete() {
        let understood = understand(
            "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"bad\\u001b[31m\"},\"request_id\":\"req_1\"}",
        )
        .unwrap();
        let text = render(&understood);
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(
            text.contains("what:       api_error: bad\\u{1b}[31m"),
            "{text}"
        );
        assert!(text.contains("request id: req_1"));
        assert!(text.contains("exit code:  6 "));
        let json = serde_json::to_value(Explanation::of(&understood)).unwrap();
        assert_eq!(json["input_kind"], "error_body");
        assert_eq!(json["message"], "bad\u{1b}[31m");
        assert_eq!(json["exit_code"], 6);
    }
}
