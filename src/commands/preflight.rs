//! What `ask` learns before it sends (issue 12): `--max-tokens` against the
//! model's live output limit, a prompt long enough to threaten the model's
//! input limit counted (free) and refused locally rather than paid for as a
//! 400, and `--count-tokens`. A Models or count call that fails never blocks
//! the request: the API then decides, as it would have anyway.

use std::time::Duration;

use crate::api::model_facts;
use crate::api::{Client, MessageParams};
use crate::cache::ModelCache;
use crate::config::{AskSettings, DEFAULT_MAX_TOKENS, UsageError};
use crate::exit_code::ExitCode;
use crate::report;
use crate::resilience::retry::run_with_retries;
use crate::resilience::{FailedAttempt, SystemClock};

/// Half the smallest input limit of any model in service (200,000): a
/// shorter prompt threatens none, and costs no Models call.
const INPUT_FLOOR: u64 = 100_000;
const COUNT_TIMEOUT: Duration = Duration::from_secs(10);

/// `Some(exit code)` when the command is done (`--count-tokens`); `Err` when
/// the request would be refused by the API.
pub fn check(
    settings: &AskSettings,
    params: &MessageParams,
    count_only: bool,
) -> Result<Option<ExitCode>, UsageError> {
    let client = Client::new(&settings.connection.client);
    if count_only {
        return Ok(Some(print_count(settings, &client, params)));
    }
    let (model, max_tokens) = (&settings.request.model, settings.request.max_tokens);
    // A cheap estimate: a token is rarely under 3 bytes.
    let estimate = params.to_body(false).len() as u64 / 3;
    if max_tokens <= DEFAULT_MAX_TOKENS && estimate <= INPUT_FLOOR {
        return Ok(None);
    }
    let cache = settings.model_cache.clone().map(ModelCache::new);
    let facts = model_facts::lookup(&client, cache.as_ref(), model);
    if let Some(limit) = facts
        .max_tokens
        .filter(|limit| u64::from(max_tokens) > *limit)
    {
        return Err(UsageError::new(
            format!(
                "--max-tokens {max_tokens} is above {model}'s limit of {limit} output tokens (from {})",
                facts.source
            ),
            format!("give --max-tokens {limit} or less"),
        ));
    }
    let Some(limit) = facts.max_input_tokens.filter(|limit| estimate > limit / 2) else {
        return Ok(None);
    };
    // A count that fails, or fits, lets the request go: the API decides.
    let Some(count) = client
        .count_tokens(params, COUNT_TIMEOUT)
        .ok()
        .filter(|c| *c > limit)
    else {
        return Ok(None);
    };
    Err(UsageError::new(
        format!(
            "the prompt is {count} input tokens, over {model}'s limit of {limit} (counted by POST /v1/messages/count_tokens, which is free; the request was not sent)"
        ),
        format!(
            "cut at least {} tokens from the prompt or system prompt, or use a model with a larger input limit",
            count - limit
        ),
    ))
}

/// `--count-tokens`: the count on stdout (an object with `--json`), through
/// the same retries as a request.
fn print_count(settings: &AskSettings, client: &Client, params: &MessageParams) -> ExitCode {
    let clock = SystemClock {
        sleep_scale: settings.connection.sleep_scale,
    };
    let mut on_failure = |failed: &FailedAttempt| {
        if let Some(notice) = report::retry_notice(failed).filter(|_| !settings.quiet) {
            eprintln!("{notice}");
        }
    };
    let timeout = settings.connection.client.stall_timeout;
    let outcome = run_with_retries(&settings.policy, &clock, &mut on_failure, |_, _| {
        client.count_tokens(params, timeout)
    });
    let model = &settings.request.model;
    match outcome.result {
        Ok(count) => {
            let object =
                serde_json::json!({"status": "success", "input_tokens": count, "model": model});
            let line = if settings.json { object } else { count.into() };
            crate::stdout::write(&format!("{line}\n"));
            ExitCode::Success
        }
        Err(failed) => {
            let failure = &failed.failure;
            if settings.json {
                let error = serde_json::json!({"category": failure.category.as_str(), "http_status": failure.http_status,
                    "message": failure.message, "request_id": failure.request_id, "fix": failure.fix()});
                let object = serde_json::json!({"status": "error", "error": error, "attempts": outcome.attempts});
                crate::stdout::write(&format!("{object}\n"));
            }
            eprintln!(
                "{}",
                report::render_failure(&failed, outcome.attempts, outcome.elapsed)
            );
            failure.category.exit_code()
        }
    }
}
