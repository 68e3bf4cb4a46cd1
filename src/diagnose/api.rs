//! Checks 6 to 10: what the API itself says. http (it answers at all),
//! auth (it accepts the key), model (it serves the model), rate_limits and
//! clock (read off the headers of those same answers: no extra request).

use std::time::{Duration, Instant};

use super::check::{Check, Status, millis, secs};
use crate::api::client::ModelsResponse;
use crate::api::models::{DEFAULT_MODEL, close_matches, deprecation};
use crate::api::{Client, model_facts};
use crate::resilience::{Category, Cause, Failure};
use crate::secret::ApiKey;

/// The server's `Date` has one-second resolution; past this the clock is off.
const MAX_CLOCK_SKEW_SECS: i64 = 60;

/// The whole of one request may take this many per-step timeouts: a server
/// that trickles bytes is cut off, one that answers is given room.
fn request_timeout(timeout: Duration) -> Duration {
    timeout.saturating_mul(2)
}

/// A transport failure, classified by the core, in doctor's words where the
/// core's name `ask`'s flags.
fn transport_check(
    name: &'static str,
    failure: &Failure,
    timeout: Duration,
    started: Instant,
) -> Check {
    let (message, fix) = match failure.cause {
        Some(Cause::StallTimeout) => (
            format!("no answer within {}", secs(timeout)),
            "The server accepted the connection but did not answer: check for a proxy or firewall holding connections, and https://status.anthropic.com; raise --timeout if it is merely slow.".to_string(),
        ),
        Some(Cause::ConnectTimeout) => (
            format!("no connection within {}", secs(timeout)),
            "Check the network, firewall and proxy settings; raise --timeout if the network is merely slow.".to_string(),
        ),
        Some(Cause::Deadline) => (
            format!("no complete answer within {}", secs(request_timeout(timeout))),
            "The server answers too slowly: check https://status.anthropic.com and any proxy; raise --timeout if it is merely slow.".to_string(),
        ),
        _ => (failure.message.clone(), failure.fix()),
    };
    Check::failed(name, failure, message, fix).with_figure(millis(started.elapsed()))
}

/// Check 6: `GET /v1/models` without a key. Any status proves the path to
/// the API works; only a transport failure fails.
pub fn http(client: &Client, timeout: Duration) -> (Check, Option<ModelsResponse>) {
    let started = Instant::now();
    match client.get_models(None, request_timeout(timeout)) {
        // A redirect is not the API answering: the key must not follow it,
        // and nothing after this hop would be about the API.
        Ok(ModelsResponse {
            status: 300..=399,
            outcome: Err(failure),
            elapsed,
            ..
        }) => {
            let check = Check::failed("http", &failure, failure.message.clone(), failure.fix());
            (check.with_figure(millis(elapsed)), None)
        }
        Ok(response) => {
            let meaning = match response.status {
                401 => "as expected without a key",
                200 => "answered without a key (a gateway that adds its own?)",
                _ => "without a key",
            };
            let id = match &response.request_id {
                Some(id) => format!(" ({id})"),
                None => ", with no request-id (probably a proxy answered, not the API)".into(),
            };
            let message = format!("HTTP {}, {meaning}{id}", response.status);
            let check = Check::pass("http", message).with_figure(millis(response.elapsed));
            (check, Some(response))
        }
        Err(failure) => (transport_check("http", &failure, timeout, started), None),
    }
}

/// Check 7: the same request with the key. Any answer is kept: its headers
/// still tell the rate limits and the time.
pub fn auth(client: &Client, key: &ApiKey, timeout: Duration) -> (Check, Option<ModelsResponse>) {
    let started = Instant::now();
    let response = match client.get_models(None, request_timeout(timeout)) {
        Ok(response) => response,
        Err(failure) => return (transport_check("auth", &failure, timeout, started), None),
    };
    let figure = millis(response.elapsed);
    let check = match &response.outcome {
        Ok(models) => Check::pass(
            "auth",
            format!(
                "key {} accepted: HTTP 200, {} models listed",
                key.masked(),
                models.len()
            ),
        ),
        Err(failure) => {
            let kind = failure.error_type.as_deref().map(|kind| format!(" {kind}"));
            let source = response
                .request_id
                .as_deref()
                .unwrap_or("no request-id: probably a proxy answered, not the API");
            let message = format!(
                "HTTP {}{}: {} (key {}, {source})",
                response.status,
                kind.unwrap_or_default(),
                failure.message,
                key.masked()
            );
            let mut fix = failure.fix();
            if failure.category == Category::Authentication
                && let Some(doubt) = key.doubt()
            {
                fix.push_str(&format!(" The key {doubt}."));
            }
            Check::failed("auth", failure, message, fix)
        }
    };
    (check.with_figure(figure), Some(response))
}

/// Check 8: the model is served to this key, then (issue 12) the limits and
/// capabilities the Models API states for it, or the built-in table's,
/// saying which.
pub fn model(client: &Client, model: &str, listed: &[String], timeout: Duration) -> Check {
    let mut check = served_to_key(client, model, listed, timeout);
    if matches!(check.status, Status::Pass | Status::Warn) {
        let facts = model_facts::lookup(client, None, model);
        check
            .message
            .push_str(&format!("; {} (from {})", facts.describe(), facts.source));
        if !facts.capabilities.is_empty() {
            check
                .message
                .push_str(&format!("; supports {}", facts.capabilities.join(", ")));
        }
    }
    check
}

/// The list holds dated ids; an alias is found by asking for it by name.
fn served_to_key(client: &Client, model: &str, listed: &[String], timeout: Duration) -> Check {
    if listed.iter().any(|id| id == model) {
        return served(model, format!("{model} is served to this key"));
    }
    let started = Instant::now();
    let response = match client.get_models(Some(model), request_timeout(timeout)) {
        Ok(response) => response,
        Err(failure) => return transport_check("model", &failure, timeout, started),
    };
    match response.outcome {
        Ok(ids) => {
            let message = match ids.first() {
                Some(id) if id != model => format!("{model} is served to this key (as {id})"),
                _ => format!("{model} is served to this key"),
            };
            served(model, message).with_figure(millis(response.elapsed))
        }
        Err(failure) if failure.category == Category::NotFound => {
            not_served(model, listed, &failure)
        }
        Err(failure) => {
            let message = format!(
                "HTTP {} asking for {model}: {}",
                response.status, failure.message
            );
            Check::failed("model", &failure, message, failure.fix())
        }
    }
}

fn served(model: &str, message: String) -> Check {
    match deprecation(model) {
        Some(notice) => Check::warn(
            "model",
            format!("{message}, but {notice}"),
            "Change --model (or ANTHROPIC_MODEL, or model in the config file).",
        ),
        None => Check::pass("model", message),
    }
}

fn not_served(model: &str, listed: &[String], failure: &Failure) -> Check {
    let mut message = format!("{model} is not served to this key");
    if let Some(notice) = deprecation(model) {
        message.push_str(&format!(" ({notice})"));
    }
    let matches = close_matches(model, listed);
    let fix = match matches.first() {
        Some(closest) => {
            message.push_str(&format!("; closest: {}", matches.join(", ")));
            format!("Use --model {closest} (or set ANTHROPIC_MODEL={closest}).")
        }
        None => format!(
            "Use a model this key is served, e.g. --model {DEFAULT_MODEL} (or ANTHROPIC_MODEL), and check ANTHROPIC_BASE_URL."
        ),
    };
    Check::failed("model", failure, message, fix)
}

/// One kind of limit (`requests`, `input-tokens`, …) as the headers said.
#[derive(Debug, PartialEq)]
struct Limit {
    kind: String,
    remaining: u64,
    limit: u64,
    reset: Option<String>,
}

fn limits(headers: &[(String, String)]) -> Vec<Limit> {
    let field = |kind: &str, name: &str| {
        headers
            .iter()
            .find(|(header, _)| *header == format!("anthropic-ratelimit-{kind}-{name}"))
            .map(|(_, value)| value.trim().to_string())
    };
    let mut kinds: Vec<&str> = headers
        .iter()
        .filter_map(|(name, _)| {
            name.strip_prefix("anthropic-ratelimit-")?
                .strip_suffix("-limit")
        })
        .collect();
    kinds.sort_by_key(|kind| (*kind != "requests", *kind));
    kinds
        .into_iter()
        .filter_map(|kind| {
            Some(Limit {
                kind: kind.to_string(),
                limit: field(kind, "limit")?.parse().ok()?,
                remaining: field(kind, "remaining")?.parse().ok()?,
                reset: field(kind, "reset"),
            })
        })
        .collect()
}

/// Check 9: the `anthropic-ratelimit-*` headers seen, newest answer first.
pub fn rate_limits(responses: &[&ModelsResponse]) -> Check {
    let Some(found) = responses
        .iter()
        .map(|r| limits(&r.rate_limits))
        .find(|l| !l.is_empty())
    else {
        return Check::pass(
            "rate_limits",
            "none on the /v1/models answers; the API reports anthropic-ratelimit-* headers on /v1/messages answers (see ask --verbose)",
        );
    };
    let listed = found
        .iter()
        .map(|l| format!("{} {}/{}", l.kind, l.remaining, l.limit))
        .collect::<Vec<_>>()
        .join(", ");
    let share = |l: &&Limit| l.remaining as f64 / l.limit.max(1) as f64;
    let tightest = found.iter().min_by(|a, b| share(a).total_cmp(&share(b)));
    let figure = tightest.map_or_else(String::new, |l| format!("{}/{}", l.remaining, l.limit));
    let message = format!("remaining/limit: {listed}");
    let check = match found.iter().find(|l| l.remaining == 0) {
        Some(spent) => Check::warn(
            "rate_limits",
            format!(
                "{message}; no {} left until {}",
                spent.kind,
                spent.reset.as_deref().unwrap_or("the limit resets")
            ),
            Category::RateLimit.fix(),
        ),
        None => Check::pass("rate_limits", message),
    };
    check.with_figure(figure)
}

/// Check 10: the local clock against the server's `Date`, newest answer first.
pub fn clock(responses: &[&ModelsResponse]) -> Check {
    let dated = responses.iter().find_map(|r| {
        let date = httpdate::parse_http_date(r.date.as_deref()?.trim()).ok()?;
        Some((date, r.received_at))
    });
    let Some((server, local)) = dated else {
        return Check::skip("clock", "no Date header on the API's answers");
    };
    // Local minus server, in whole seconds. `Date` is truncated to the
    // second, so a clock in step reads 0 or +1.
    let skew = match local.duration_since(server) {
        Ok(ahead) => i64::try_from(ahead.as_secs()).unwrap_or(i64::MAX),
        Err(behind) => i64::try_from(behind.duration().as_secs()).map_or(i64::MIN + 1, |s| -s),
    };
    let figure = format!("{skew:+} s");
    if skew.abs() > MAX_CLOCK_SKEW_SECS {
        let direction = if skew > 0 { "ahead of" } else { "behind" };
        return Check::warn(
            "clock",
            format!(
                "the local clock is {} {direction} the server's Date",
                humantime::format_duration(Duration::from_secs(skew.unsigned_abs()))
            ),
            "Sync the clock (e.g. `timedatectl set-ntp true`, or `chronyc makestep`): certificate checks and signed URLs break with a large skew.",
        )
        .with_figure(figure);
    }
    Check::pass(
        "clock",
        "the local clock agrees with the server's Date (±1 s resolution)",
    )
    .with_figure(figure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::check::Status;
    use proptest::prelude::*;
    use std::time::SystemTime;

    fn response(
        headers: &[(&str, &str)],
        date: Option<&str>,
        received_at: SystemTime,
    ) -> ModelsResponse {
        ModelsResponse {
            status: 200,
            elapsed: Duration::from_millis(3),
            received_at,
            request_id: Some("req_1".into()),
            date: date.map(str::to_string),
            rate_limits: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            outcome: Ok(vec![]),
        }
    }

    #[test]
    fn rate_limit_headers_become_remaining_over_limit() {
        let seen = response(
            &[
                ("anthropic-ratelimit-input-tokens-limit", "40000"),
                ("anthropic-ratelimit-input-tokens-remaining", "39000"),
                ("anthropic-ratelimit-requests-limit", "50"),
                ("anthropic-ratelimit-requests-remaining", "49"),
                ("anthropic-ratelimit-requests-reset", "2026-01-01T00:00:00Z"),
            ],
            None,
            SystemTime::now(),
        );
        let check = rate_limits(&[&seen]);
        assert_eq!(check.status, Status::Pass);
        assert_eq!(
            check.message,
            "remaining/limit: requests 49/50, input-tokens 39000/40000"
        );
        assert_eq!(check.figure.as_deref(), Some("39000/40000"));
        let spent = response(
            &[
                ("anthropic-ratelimit-requests-limit", "50"),
                ("anthropic-ratelimit-requests-remaining", "0"),
                ("anthropic-ratelimit-requests-reset", "2026-01-01T00:00:00Z"),
            ],
            None,
            SystemTime::now(),
        );
        let check = rate_limits(&[&spent, &seen]);
        assert_eq!(check.status, Status::Warn);
        assert!(
            check
                .message
                .ends_with("no requests left until 2026-01-01T00:00:00Z")
        );
        let none = response(&[], None, SystemTime::now());
        let check = rate_limits(&[&none]);
        assert_eq!(check.status, Status::Pass);
        assert!(check.message.contains("/v1/messages"));
    }

    #[test]
    fn clock_skew_over_a_minute_warns() {
        let server = httpdate::parse_http_date("Wed, 26 Nov 2025 01:57:56 GMT").unwrap();
        let date = Some("Wed, 26 Nov 2025 01:57:56 GMT");
        let in_step = response(&[], date, server + Duration::from_millis(400));
        let check = clock(&[&in_step]);
        assert_eq!(
            (check.status, check.figure.as_deref()),
            (Status::Pass, Some("+0 s"))
        );
        let ahead = response(&[], date, server + Duration::from_secs(300));
        let check = clock(&[&ahead]);
        assert_eq!(check.status, Status::Warn);
        assert_eq!(
            check.message,
            "the local clock is 5m ahead of the server's Date"
        );
        let behind = response(&[], date, server - Duration::from_secs(61));
        let check = clock(&[&behind]);
        assert_eq!(
            (check.status, check.figure.as_deref()),
            (Status::Warn, Some("-61 s"))
        );
        assert!(check.message.contains("behind"));
        let undated = response(&[], None, server);
        assert_eq!(clock(&[&undated]).status, Status::Skip);
    }

    #[test]
    fn an_unknown_model_names_close_matches_and_exits_4() {
        let listed = vec![
            "claude-sonnet-4-6".to_string(),
            "claude-opus-4-6".to_string(),
        ];
        let failure = Failure::new(Category::NotFound, "model: claude-sonet-4-6");
        let check = not_served("claude-sonet-4-6", &listed, &failure);
        assert_eq!(check.status, Status::Fail);
        assert_eq!(check.exit_code.map(|c| c.code()), Some(4));
        assert!(
            check.message.contains("closest: claude-sonnet-4-6"),
            "{}",
            check.message
        );
        assert_eq!(
            check.fix.as_deref(),
            Some("Use --model claude-sonnet-4-6 (or set ANTHROPIC_MODEL=claude-sonnet-4-6).")
        );
    }

    #[test]
    fn a_deprecated_model_warns_with_its_date() {
        let check = served("claude-sonnet-4-20250514", "served".into());
        assert_eq!(check.status, Status::Warn);
        assert!(
            check.message.contains("retired on 2026-06-15"),
            "{}",
            check.message
        );
        assert_eq!(served(DEFAULT_MODEL, "served".into()).status, Status::Pass);
    }

    proptest! {
        #[test]
        fn any_rate_limit_headers_and_date_are_a_check(
            values in prop::collection::vec(
                prop_oneof![any::<String>(), any::<u64>().prop_map(|n| n.to_string()), Just("0".to_string())],
                5,
            ),
            date in prop_oneof![
                any::<String>(),
                (0u64..253_402_300_799).prop_map(|s| httpdate::fmt_http_date(
                    SystemTime::UNIX_EPOCH + Duration::from_secs(s)
                )),
            ],
            received in 0u64..1 << 40,
        ) {
            let seen = response(
                &[
                    ("anthropic-ratelimit-requests-limit", &values[0]),
                    ("anthropic-ratelimit-requests-remaining", &values[1]),
                    ("anthropic-ratelimit-requests-reset", &values[2]),
                    ("anthropic-ratelimit-tokens-limit", &values[3]),
                    ("anthropic-ratelimit-tokens-remaining", &values[4]),
                ],
                Some(&date),
                SystemTime::UNIX_EPOCH + Duration::from_secs(received),
            );
            let _ = rate_limits(&[&seen]);
            let _ = clock(&[&seen]);
        }
    }
}
