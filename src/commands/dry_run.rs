//! `--dry-run`: what `ask` or `batch` would send, printed from the request
//! the client itself builds (`Client::outgoing`), and nothing sent: no
//! Models API look-up, no token count, no request at all. A batch's OUTPUT
//! is read without its lock, and never created or changed.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::client::{Header, Outgoing};
use crate::api::{Client, MessageParams, model_facts, pricing};
use crate::batch::estimate::{Estimate, eta};
use crate::batch::remote::chunk;
use crate::cache::ModelCache;
use crate::config::{AskSettings, BatchSettings, Connection, NO_KEY, RemoteSettings};
use crate::exit_code::ExitCode;
use crate::output_check::{Attempts, Expectation};
use crate::secret::scrub;
use crate::stdout::write as write_stdout;

/// `ask --dry-run`: the request, or with `--json` one object holding it.
pub fn ask(settings: &AskSettings, params: &MessageParams) -> ExitCode {
    let client = Client::new(&settings.connection.client);
    let expectation = settings.expectation.as_ref();
    let cache = settings.model_cache.as_deref();
    let params = as_sent(&client, params, expectation, cache);
    let (outgoing, body) = client.message_request(&params);
    let headers = headers(&outgoing, Some(body.len()), &settings.connection);
    let text = match settings.json {
        true => {
            let object = DryRun {
                status: "dry_run",
                method: outgoing.method.as_str(),
                url: &outgoing.url,
                headers: headers.iter().cloned().collect(),
                body: &String::from_utf8_lossy(&body),
                fallback_model: settings.fallback_model.as_deref(),
            };
            serde_json::to_string(&object).unwrap_or_default() + "\n"
        }
        false => request_text(&outgoing, &headers, &body),
    };
    write_stdout(&scrub(&text));
    let fallback = settings
        .fallback_model
        .as_ref()
        .map(|model| format!(" (after an overload or a server error, {model} would be tried once)"))
        .unwrap_or_default();
    eprintln!("dry run: nothing was sent{fallback}");
    ExitCode::Success
}

#[derive(Serialize)]
struct DryRun<'a> {
    status: &'static str,
    method: &'a str,
    url: &'a str,
    headers: Map<String, Value>,
    /// The body as sent, byte for byte (it is JSON, and so UTF-8).
    body: &'a str,
    fallback_model: Option<&'a str>,
}

/// Every header of the request, in order: the client's, then ureq's own.
/// The key shows only as its last 4 characters, and where it comes from.
fn headers(
    outgoing: &Outgoing,
    body_bytes: Option<usize>,
    connection: &Connection,
) -> Vec<(String, Value)> {
    let ours = outgoing.headers.iter().map(|(name, value)| {
        let value = match value {
            Header::Text(text) => text.to_string(),
            Header::Key(_) if connection.key_source == NO_KEY => format!("(none: {NO_KEY})"),
            Header::Key(key) => {
                format!("{} (masked; from {})", key.masked(), connection.key_source)
            }
        };
        (name.to_string(), value)
    });
    ours.chain(
        outgoing
            .added_by_ureq(body_bytes)
            .into_iter()
            .map(|(name, value)| (name.to_string(), value)),
    )
    .map(|(name, value)| (name, Value::String(value)))
    .collect()
}

/// `POST url`, a header a line, a blank line, the body and a newline.
fn request_text(outgoing: &Outgoing, headers: &[(String, Value)], body: &[u8]) -> String {
    let mut text = format!("{} {}\n", outgoing.method, outgoing.url);
    for (name, value) in headers {
        text.push_str(&format!("{name}: {}\n", value.as_str().unwrap_or("")));
    }
    text.push('\n');
    text.push_str(&String::from_utf8_lossy(body));
    text.push('\n');
    text
}

/// What a batch's dry run knows once INPUT and OUTPUT are checked.
pub struct BatchPlan<'a> {
    pub settings: &'a BatchSettings,
    pub input: &'a str,
    pub estimate: &'a Estimate,
    /// Already in OUTPUT: (succeeded, errored).
    pub skipped: (u64, u64),
    /// Invalid lines `--skip-invalid` would write as errored results.
    pub invalid: u64,
    /// Message Batches of an earlier `--remote` run not downloaded yet.
    pub pending_batches: usize,
    pub remote: Option<&'a RemoteSettings>,
}

/// `batch --dry-run`: the plan as `name: value` lines, then the first
/// request in full.
pub fn batch(plan: &BatchPlan) -> ExitCode {
    let settings = plan.settings;
    let estimate = plan.estimate;
    let mut lines: Vec<(&str, String)> = Vec::new();
    lines.push((
        "items",
        format!("{} to send from {}", estimate.items, plan.input),
    ));
    let output = settings.output.as_ref().map(|p| p.display().to_string());
    if let Some(output) = &output {
        let (succeeded, errored) = plan.skipped;
        lines.push((
            "skipped",
            format!(
                "{} already in {output} ({succeeded} succeeded, {errored} errored)",
                succeeded + errored
            ),
        ));
    }
    if plan.invalid > 0 {
        let what = format!("{} invalid lines written as errored results", plan.invalid);
        lines.push(("invalid", what));
    }
    lines.push((
        "output",
        match &output {
            Some(output) if settings.output.as_ref().is_some_and(|p| p.exists()) => {
                format!("{output} (appended to)")
            }
            Some(output) => format!("{output} (created)"),
            None => "stdout".to_string(),
        },
    ));
    let headroom = (1.0 - settings.pacing.rate_fraction) * 100.0;
    let factor = match plan.remote {
        Some(remote) => {
            let per_batch = remote.limits.max_requests as u64;
            let batches = estimate.items.div_ceil(per_batch.max(1));
            lines.push((
                "mode",
                format!("Message Batches API (--remote): {batches} batch(es) of at most {per_batch} requests and 256 MB"),
            ));
            if plan.pending_batches > 0 {
                let what = format!(
                    "{} Message Batches of an earlier run are followed first; their items are not sent again",
                    plan.pending_batches
                );
                lines.push(("pending", what));
            }
            lines.push(("pace", "the API's own".to_string()));
            lines.push((
                "eta",
                "a Message Batch ends within 24 hours (most within an hour)".to_string(),
            ));
            pricing::MESSAGE_BATCHES_FACTOR
        }
        None => {
            let pacing = &settings.pacing;
            lines.push(("workers", pacing.jobs.to_string()));
            let limit =
                |n: Option<String>| n.unwrap_or_else(|| "learned from the API's headers".into());
            lines.push((
                "pace",
                format!(
                    "rpm {}, tpm {}, headroom {headroom:.0}%",
                    limit(pacing.rpm.map(|n| n.to_string())),
                    limit(pacing.tpm.map(|n| n.to_string())),
                ),
            ));
            let eta = eta(
                estimate.items,
                estimate.input_tokens,
                pacing.rpm,
                pacing.tpm,
                pacing.rate_fraction,
            );
            lines.push((
                "eta",
                eta.map_or(
                    "unknown: the pace is learned from the API's rate-limit headers".into(),
                    |eta| {
                        format!(
                            "{} at that pace",
                            humantime::format_duration(whole_seconds(eta))
                        )
                    },
                ),
            ));
            1.0
        }
    };
    lines.push((
        "input tokens",
        format!("≈ {} (4 characters a token)", estimate.input_tokens),
    ));
    let mut cost = format!(
        "≈ {} for the input; at most {} if every reply used its max_tokens",
        pricing::dollars(estimate.input_dollars * factor),
        pricing::dollars(estimate.most_dollars * factor)
    );
    if estimate.unpriced > 0 {
        cost.push_str(&format!(
            " ({} items of models without a known price not counted)",
            estimate.unpriced
        ));
    }
    lines.push(("cost", cost));
    // The Message Batches API runs the items itself: no fallback there.
    if let (Some(model), None) = (&settings.fallback_model, plan.remote) {
        lines.push(("fallback model", model.clone()));
    }
    let mut text: String = lines
        .iter()
        .map(|(name, value)| format!("{name}: {value}\n"))
        .collect();
    if let Some((custom_id, params)) = &estimate.first {
        text.push_str(&format!("first request: custom_id {custom_id:?}\n"));
        text.push_str(&first_request(
            settings,
            plan.remote,
            custom_id,
            params,
            estimate.items,
        ));
    }
    write_stdout(&scrub(&text));
    eprintln!("dry run: nothing was sent, and OUTPUT was not touched");
    ExitCode::Success
}

/// The first request in full: a local batch's first message request, or
/// the create call of a remote batch, whose body begins with the first item.
fn first_request(
    settings: &BatchSettings,
    remote: Option<&RemoteSettings>,
    custom_id: &str,
    params: &MessageParams,
    items: u64,
) -> String {
    let client = Client::new(&settings.connection.client);
    if remote.is_none() {
        let expectation = settings.expectation.as_ref();
        let cache = settings.model_cache.as_deref();
        let params = as_sent(&client, params, expectation, cache);
        let (outgoing, body) = client.message_request(&params);
        let headers = headers(&outgoing, Some(body.len()), &settings.connection);
        return request_text(&outgoing, &headers, &body);
    }
    let outgoing = client.batch_create_request();
    let headers = headers(&outgoing, None, &settings.connection);
    let entry = chunk::entry(custom_id, params).unwrap_or_default();
    // The rest of the body is the other items, written the same way.
    let more: &[u8] = if items > 1 { ",…".as_bytes() } else { b"" };
    let body = [chunk::PREFIX, &entry, more, chunk::SUFFIX].concat();
    request_text(&outgoing, &headers, &body)
}

/// The first attempt's request, the reply check's schema in it: sent as
/// structured outputs when the cached Models API facts say the model takes
/// them, else in the system prompt. A dry run asks the API nothing, so
/// unknown facts are said on stderr.
fn as_sent(
    client: &Client,
    params: &MessageParams,
    expectation: Option<&Expectation>,
    cache: Option<&Path>,
) -> MessageParams {
    let cache = cache.map(|dir| ModelCache::new(dir.to_path_buf()));
    let model = params.model();
    let attempts = Attempts::new(params, expectation, || {
        match model_facts::cached(client, cache.as_ref(), model) {
            Some(facts) => facts.capabilities.iter().any(|c| c == "structured_outputs"),
            None => {
                eprintln!(
                    "dry run: whether {model} takes structured outputs is not known offline, so the schema is shown in the system prompt; a real run asks the Models API first"
                );
                false
            }
        }
    });
    attempts.params().clone()
}

fn whole_seconds(duration: Duration) -> Duration {
    Duration::from_secs(duration.as_secs().max(1))
}
