//! Routing, and what each `Step` becomes: an `Outcome` ready to be written.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::batch_routes;
use super::http::{self, Request};
use super::ratelimit::Refusal;
use super::responses::{self, Answer, StopDetails};
use super::server::{Dispatch, Ids, Outcome, Part, Shared, StreamEnd};
use super::step::EchoPlace;
use super::{MockConfig, Step};

const MESSAGES_PATH: &str = "/v1/messages";
const MODELS_PATH: &str = "/v1/models";
const MODEL_PATH_PREFIX: &str = "/v1/models/";
/// The real API's request size limit for a Messages request and most others.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// The real API's limit for creating a Message Batch.
const MAX_BATCH_BODY_BYTES: usize = 256 * 1024 * 1024;

/// The largest body accepted for a path (without its query): what the
/// transport is given to refuse a larger one with 413 before reading it.
pub(super) fn max_body_bytes(path: &str) -> usize {
    if path == batch_routes::BATCHES_PATH {
        MAX_BATCH_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// Unit tests only: a handler that panics, to prove the server reports it.
#[cfg(test)]
pub(super) const PANIC_PATH: &str = "/test/panic";

impl Shared {
    pub(super) fn route(&self, request: &Request, ids: &Ids) -> Outcome {
        // A base URL that redirects (`--scenario` or `then` a 3xx) does so on
        // every path, as a moved host or a captive portal does.
        // A hostile server echoes the key on every path too (doctor asks the
        // models endpoint).
        if let Step::Status {
            status: 300..=399, ..
        }
        | Step::EchoKey(_) = &self.config.then
        {
            return self.perform(&self.config.then, request, ids, Vec::new());
        }
        let path = request.path();
        #[cfg(test)]
        if path == PANIC_PATH {
            panic!("a handler bug, on purpose");
        }
        match (request.method.as_str(), path) {
            ("POST", MESSAGES_PATH) => self.messages(request, ids),
            ("POST", "/v1/messages/count_tokens") => self.count_tokens(request, ids),
            ("GET", MODELS_PATH) => self.models(request, ids, None),
            ("GET", _) if path.starts_with(MODEL_PATH_PREFIX) => {
                let id = &path[MODEL_PATH_PREFIX.len()..];
                self.models(request, ids, Some(id))
            }
            (method, _) => match batch_routes::call(method, path) {
                Some(call) => self.batch_call(call, request, ids),
                None => self.error(404, None, "Not found", ids, vec![]),
            },
        }
    }

    fn messages(&self, request: &Request, ids: &Ids) -> Outcome {
        if !self.lifecycle.sleep(self.config.latency) {
            return Outcome::Reset;
        }
        if let Some(missing_key) = self.require_api_key(request, ids, &self.peek_limit_headers()) {
            return missing_key;
        }
        // Charged for what the body holds, even when it is invalid; parsed only
        // when a bucket counts it, as a body may be 32 MB.
        let input_tokens = match self.config.itpm_limit {
            Some(_) => serde_json::from_slice::<Value>(&request.body)
                .map_or(1, |body| responses::estimate_input_tokens(&body)),
            None => 0,
        };
        match self.admit_and_take_step(input_tokens) {
            Ok((step, limit_headers)) => self.perform(&step, request, ids, limit_headers),
            Err(refused) => self.rate_limited(&refused, ids),
        }
    }

    pub(super) fn require_api_key(
        &self,
        request: &Request,
        ids: &Ids,
        limit_headers: &[(String, String)],
    ) -> Option<Outcome> {
        let has_key = request
            .header("x-api-key")
            .is_some_and(|key| !key.is_empty());
        if has_key {
            return None;
        }
        let message = "x-api-key header is required";
        Some(self.error(401, None, message, ids, limit_headers.to_vec()))
    }

    /// A scenario that refuses the key on every message request (`auth`,
    /// `permission`) refuses it on the free models endpoint and the batches
    /// endpoints too, as the real API does; other faults never touch the models endpoint.
    pub(super) fn refused_key_status(&self) -> Option<u16> {
        match &self.config.then {
            Step::Status { status, .. } if matches!(status, 401 | 403) => Some(*status),
            _ => None,
        }
    }

    pub(super) fn peek_limit_headers(&self) -> Vec<(String, String)> {
        self.dispatch().limits.peek(Instant::now())
    }

    /// The limits decide first, so a refused request leaves the script where it was.
    fn admit_and_take_step(
        &self,
        input_tokens: u64,
    ) -> Result<(Step, Vec<(String, String)>), Refusal> {
        let mut dispatch = self.dispatch();
        let limit_headers = dispatch.limits.try_acquire(input_tokens, Instant::now())?;
        Ok((self.take_step(&mut dispatch), limit_headers))
    }

    /// The next step of the one sequence every scripted endpoint shares.
    pub(super) fn next_step(&self) -> Step {
        self.take_step(&mut self.dispatch())
    }

    fn take_step(&self, dispatch: &mut Dispatch) -> Step {
        let config = &self.config;
        let step = match config.script.get(dispatch.steps_served) {
            Some(step) => step.clone(),
            None => random_fault(&mut dispatch.rng, config).unwrap_or_else(|| config.then.clone()),
        };
        dispatch.steps_served = dispatch.steps_served.saturating_add(1);
        step
    }

    fn rate_limited(&self, refused: &Refusal, ids: &Ids) -> Outcome {
        let mut headers = refused.headers.clone();
        headers.push((
            "retry-after".to_string(),
            refused.retry_after_seconds().to_string(),
        ));
        let message = refused.resource.refusal_message();
        self.error(429, None, message, ids, headers)
    }

    pub(super) fn perform(
        &self,
        step: &Step,
        request: &Request,
        ids: &Ids,
        headers: Vec<(String, String)>,
    ) -> Outcome {
        match step {
            Step::Ok => self.answer(request, None, ids, headers),
            Step::Reply(text) => self.answer(request, Some(text), ids, headers),
            Step::Status {
                status,
                error_type,
                message,
                headers: step_headers,
            } => {
                let (canonical_type, canonical_message) = responses::canonical_error(*status);
                let error_type = error_type.as_deref().unwrap_or(canonical_type);
                let message = message.as_deref().unwrap_or(canonical_message);
                let mut outcome = self.error(*status, Some(error_type), message, ids, headers);
                override_headers(&mut outcome, step_headers);
                outcome
            }
            Step::SpendLimit => {
                let body = responses::spend_limit_body(&ids.request_id);
                json_outcome(429, body, ids, headers)
            }
            Step::LowCredit => self.error(400, None, responses::LOW_CREDIT_MESSAGE, ids, headers),
            Step::OverloadedAs500 => self.error(500, Some("api_error"), "Overloaded", ids, headers),
            Step::Html502 => html_502(),
            Step::Reset => Outcome::Reset,
            Step::Hang => Outcome::Hang,
            Step::Truncated => self.truncated(request, ids, headers),
            Step::InvalidJson => {
                json_outcome(200, responses::INVALID_JSON_BODY.to_string(), ids, headers)
            }
            Step::Slow { deltas, gap } => self.slow(request, ids, *deltas, *gap, headers),
            Step::SseError { .. }
            | Step::SseCut
            | Step::SseCutBeforeText
            | Step::SseNoStop
            | Step::Stall
            | Step::SseHold
            | Step::SseCr => self.broken_stream(step, request, ids, headers),
            Step::SseLongLine(bytes) => self.long_line(request, ids, *bytes, headers),
            Step::HugeBody { bytes, status } => huge_body(*status, *bytes, ids, headers),
            Step::HugeHeader(bytes) => Outcome::Bulk {
                status: 200,
                headers: with_api_headers(JSON, ids, headers),
                huge_header: *bytes,
                body: vec![Part::Bytes(
                    self.fault_answer(request, ids).json().into_bytes(),
                )],
            },
            Step::Html200 => proxy_page(200, responses::HTML_200_BODY),
            Step::Refusal => {
                let details = StopDetails {
                    kind: "refusal",
                    category: "cyber",
                    explanation: "The request asks for working malware.",
                };
                self.answer_stopped(request, ids, headers, "refusal", Some(details))
            }
            Step::ContextWindow => {
                self.answer_stopped(request, ids, headers, "model_context_window_exceeded", None)
            }
            Step::EchoKey(place) => self.echo_key(*place, request, ids, headers),
        }
    }

    /// A hostile server: the key it was sent, quoted back in `place`.
    fn echo_key(
        &self,
        place: EchoPlace,
        request: &Request,
        ids: &Ids,
        headers: Vec<(String, String)>,
    ) -> Outcome {
        let key = request.header("x-api-key").unwrap_or_default().to_string();
        let full = |status: u16, content_type: &str, body: String| Outcome::Full {
            status,
            headers: vec![("content-type".to_string(), content_type.to_string())],
            body: body.into_bytes(),
        };
        match place {
            EchoPlace::Json => {
                let message = format!("invalid x-api-key: {key}");
                self.error(401, None, &message, ids, headers)
            }
            EchoPlace::Html => full(
                502,
                "text/html",
                format!("<html><head><title>Bad key {key}</title></head><body>{key}</body></html>"),
            ),
            EchoPlace::Text => full(500, "text/plain", format!("upstream refused the key {key}")),
            EchoPlace::Sse => {
                let answer = self.fault_answer(request, ids);
                let mut events = opening_events(&answer, 1);
                let message = format!("the key {key} was revoked mid-stream");
                events.push(responses::sse_error("api_error", &message, &ids.request_id));
                stream_outcome(immediately(events), StreamEnd::Finish, ids, headers)
            }
            EchoPlace::Header => {
                let mut outcome = self.error(401, None, "invalid x-api-key", ids, headers);
                let echoed = [
                    ("request-id".to_string(), format!("req_{key}")),
                    (
                        "anthropic-ratelimit-requests-limit".to_string(),
                        key.clone(),
                    ),
                    ("retry-after".to_string(), key),
                ];
                override_headers(&mut outcome, &echoed);
                outcome
            }
        }
    }

    /// A stream whose second event is one `data:` line of `bytes` bytes.
    fn long_line(
        &self,
        request: &Request,
        ids: &Ids,
        bytes: u64,
        headers: Vec<(String, String)>,
    ) -> Outcome {
        let answer = self.fault_answer(request, ids);
        let mut headers = with_api_headers(EVENT_STREAM, ids, headers);
        headers.insert(1, ("cache-control".to_string(), "no-cache".to_string()));
        let opening = format!("{}data: ", answer.message_start());
        Outcome::Bulk {
            status: 200,
            headers,
            huge_header: 0,
            body: vec![
                Part::Bytes(opening.into_bytes()),
                Part::Repeat(bytes),
                Part::Bytes(b"\n\n".to_vec()),
            ],
        }
    }

    /// A whole message body announced, half of it sent.
    fn truncated(&self, request: &Request, ids: &Ids, headers: Vec<(String, String)>) -> Outcome {
        let body = self.fault_answer(request, ids).json().into_bytes();
        Outcome::Truncated {
            headers: with_api_headers(JSON, ids, headers),
            promised: body.len() + 64,
            body,
        }
    }

    /// SSE that goes wrong partway; always SSE, whatever the request's `"stream"`.
    fn broken_stream(
        &self,
        step: &Step,
        request: &Request,
        ids: &Ids,
        headers: Vec<(String, String)>,
    ) -> Outcome {
        let answer = self.fault_answer(request, ids);
        let (events, end) = match step {
            Step::SseError {
                error_type,
                message,
            } => {
                let mut events = opening_events(&answer, 1);
                events.push(responses::sse_error(error_type, message, &ids.request_id));
                (events, StreamEnd::Finish)
            }
            Step::SseCut => (opening_events(&answer, 2), StreamEnd::Cut),
            Step::SseCutBeforeText => (vec![answer.message_start()], StreamEnd::Cut),
            Step::SseNoStop => {
                let mut events = answer.sse_events();
                events.pop();
                (events, StreamEnd::Finish)
            }
            Step::Stall => (opening_events(&answer, 1), StreamEnd::Stall),
            Step::SseHold => (answer.sse_events(), StreamEnd::Stall),
            Step::SseCr => {
                let mut events: Vec<String> = answer
                    .sse_events()
                    .iter()
                    .map(|event| event.replace('\n', "\r"))
                    .collect();
                events[0].insert(0, '\u{FEFF}');
                (events, StreamEnd::Finish)
            }
            // Only stream faults are routed here; anything else streams normally.
            _ => (answer.sse_events(), StreamEnd::Finish),
        };
        stream_outcome(immediately(events), end, ids, headers)
    }

    /// A success, after validating the body the way the real API does.
    fn answer(
        &self,
        request: &Request,
        fixed_text: Option<&str>,
        ids: &Ids,
        headers: Vec<(String, String)>,
    ) -> Outcome {
        let valid = match validate(&request.body, &self.config.models) {
            Ok(valid) => valid,
            Err((status, message)) => return self.error(status, None, &message, ids, headers),
        };
        let answer = valid.answer(ids.message_id.clone(), fixed_text);
        reply(&answer, &valid.body, ids, headers)
    }

    /// The reply the request would get, ended by the model for `reason`.
    fn answer_stopped(
        &self,
        request: &Request,
        ids: &Ids,
        headers: Vec<(String, String)>,
        reason: &'static str,
        details: Option<StopDetails>,
    ) -> Outcome {
        let answer = self.fault_answer(request, ids).stopped_for(reason, details);
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        reply(&answer, &body, ids, headers)
    }

    /// Faults skip validation, so they take whatever the body offers.
    fn fault_answer(&self, request: &Request, ids: &Ids) -> Answer {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(responses::FALLBACK_MODEL)
            .to_string();
        Answer::new(
            ids.message_id.clone(),
            model,
            &responses::echo_reply(&body),
            u64::MAX,
            responses::estimate_input_tokens(&body),
        )
    }

    fn slow(
        &self,
        request: &Request,
        ids: &Ids,
        deltas: u32,
        gap: Duration,
        headers: Vec<(String, String)>,
    ) -> Outcome {
        let pieces: Vec<String> = (1..=deltas)
            .map(|n| format!("Slow part {n} of {deltas}. "))
            .collect();
        let base = self.fault_answer(request, ids);
        let answer = Answer::new(
            base.id,
            base.model,
            &pieces.concat(),
            u64::MAX,
            base.input_tokens,
        );
        let mut events = immediately(vec![
            answer.message_start(),
            responses::content_block_start(),
            responses::ping(),
        ]);
        events.extend(
            pieces
                .iter()
                .map(|piece| (gap, responses::text_delta(piece))),
        );
        events.extend(immediately(vec![
            responses::content_block_stop(),
            answer.message_delta(),
            responses::message_stop(),
        ]));
        stream_outcome(events, StreamEnd::Finish, ids, headers)
    }

    /// An API error; `error_type` defaults to the canonical one for `status`.
    pub(super) fn error(
        &self,
        status: u16,
        error_type: Option<&str>,
        message: &str,
        ids: &Ids,
        headers: Vec<(String, String)>,
    ) -> Outcome {
        let error_type = error_type.unwrap_or(responses::canonical_error(status).0);
        let body = responses::error_body(error_type, message, &ids.request_id);
        json_outcome(status, body, ids, headers)
    }
}

fn random_fault(rng: &mut fastrand::Rng, config: &MockConfig) -> Option<Step> {
    if config.fault_steps.is_empty() || rng.f64() >= config.fault_rate {
        return None;
    }
    let index = rng.usize(..config.fault_steps.len());
    config.fault_steps.get(index).cloned()
}

/// The parts of a request body a success needs.
pub(super) struct ValidBody {
    pub body: Value,
    model: String,
    max_tokens: u64,
}

impl ValidBody {
    /// The success the real API would send: the echo reply unless `fixed_text` is given.
    pub fn answer(&self, message_id: String, fixed_text: Option<&str>) -> Answer {
        let text = fixed_text.map_or_else(|| responses::echo_reply(&self.body), str::to_string);
        Answer::new(
            message_id,
            self.model.clone(),
            &text,
            self.max_tokens,
            responses::estimate_input_tokens(&self.body),
        )
    }
}

pub(super) fn parse_error_message(error: &serde_json::Error) -> String {
    format!("There was an error parsing the body of your request as JSON: {error}")
}

fn validate(raw: &[u8], models: &[String]) -> Result<ValidBody, (u16, String)> {
    let body: Value = serde_json::from_slice(raw).map_err(|e| (400, parse_error_message(&e)))?;
    validate_body(body, models)
}

/// Checks a Messages request body as the real API does: `Err((status, message))`.
pub(super) fn validate_body(body: Value, models: &[String]) -> Result<ValidBody, (u16, String)> {
    let invalid = |message: &str| (400, message.to_string());
    if !body.is_object() {
        return Err(invalid("The request body must be a JSON object"));
    }
    let model = match body.get("model") {
        None => return Err(invalid("model: Field required")),
        Some(model) => model
            .as_str()
            .ok_or_else(|| invalid("model: Input should be a valid string"))?,
    };
    match body.get("messages").map(Value::as_array) {
        None => return Err(invalid("messages: Field required")),
        Some(None) => return Err(invalid("messages: Input should be a valid list")),
        Some(Some(messages)) if messages.is_empty() => {
            return Err(invalid("messages: at least one message is required"));
        }
        Some(Some(_)) => {}
    }
    let max_tokens = match body.get("max_tokens") {
        None => return Err(invalid("max_tokens: Field required")),
        Some(max_tokens) => max_tokens
            .as_u64()
            .filter(|max_tokens| *max_tokens >= 1)
            .ok_or_else(|| {
                invalid("max_tokens: Input should be an integer greater than or equal to 1")
            })?,
    };
    if !models.iter().any(|known| known == model) {
        return Err((404, format!("model: {model}")));
    }
    Ok(ValidBody {
        model: model.to_string(),
        max_tokens,
        body,
    })
}

pub(super) const JSON: &str = "application/json";
const EVENT_STREAM: &str = "text/event-stream; charset=utf-8";

/// Content type and request id first, as the real API orders them.
pub(super) fn with_api_headers(
    content_type: &str,
    ids: &Ids,
    mut headers: Vec<(String, String)>,
) -> Vec<(String, String)> {
    headers.insert(0, ("content-type".to_string(), content_type.to_string()));
    headers.insert(1, ("request-id".to_string(), ids.request_id.clone()));
    headers
}

pub(super) fn json_outcome(
    status: u16,
    body: String,
    ids: &Ids,
    headers: Vec<(String, String)>,
) -> Outcome {
    Outcome::Full {
        status,
        headers: with_api_headers(JSON, ids, headers),
        body: body.into_bytes(),
    }
}

fn stream_outcome(
    events: Vec<(Duration, String)>,
    end: StreamEnd,
    ids: &Ids,
    headers: Vec<(String, String)>,
) -> Outcome {
    let mut headers = with_api_headers(EVENT_STREAM, ids, headers);
    headers.insert(1, ("cache-control".to_string(), "no-cache".to_string()));
    Outcome::Stream {
        headers,
        events,
        end,
    }
}

/// A whole reply, as SSE when the request asked to stream and as JSON otherwise.
fn reply(answer: &Answer, body: &Value, ids: &Ids, headers: Vec<(String, String)>) -> Outcome {
    match body.get("stream") == Some(&Value::Bool(true)) {
        true => stream_outcome(
            immediately(answer.sse_events()),
            StreamEnd::Finish,
            ids,
            headers,
        ),
        false => json_outcome(200, answer.json(), ids, headers),
    }
}

fn immediately(events: Vec<String>) -> Vec<(Duration, String)> {
    events
        .into_iter()
        .map(|event| (Duration::ZERO, event))
        .collect()
}

/// `message_start`, the text block's start, and the first `deltas` text deltas.
fn opening_events(answer: &Answer, deltas: usize) -> Vec<String> {
    let mut events = vec![answer.message_start(), responses::content_block_start()];
    events.extend(answer.text_deltas().into_iter().take(deltas));
    events
}

/// A proxy's page: no request-id, no API headers.
fn html_502() -> Outcome {
    proxy_page(502, responses::HTML_502_BODY)
}

fn proxy_page(status: u16, page: &str) -> Outcome {
    Outcome::Full {
        status,
        headers: vec![
            ("server".to_string(), "nginx".to_string()),
            ("content-type".to_string(), "text/html".to_string()),
        ],
        body: page.as_bytes().to_vec(),
    }
}

/// `bytes` bytes of text that is not the API's JSON, as a broken proxy or
/// a runaway log dump sends; a 200 claims to be JSON.
fn huge_body(status: u16, bytes: u64, ids: &Ids, headers: Vec<(String, String)>) -> Outcome {
    let content_type = if status == 200 { JSON } else { "text/plain" };
    Outcome::Bulk {
        status,
        headers: with_api_headers(content_type, ids, headers),
        huge_header: 0,
        body: vec![Part::Repeat(bytes)],
    }
}

/// Scripted headers win over ours, except the ones that frame the message.
fn override_headers(outcome: &mut Outcome, extra: &[(String, String)]) {
    if let Outcome::Full { headers, .. } = outcome {
        for (name, value) in extra {
            let framing = ["content-length", "transfer-encoding", "connection"]
                .iter()
                .any(|reserved| name.eq_ignore_ascii_case(reserved));
            if !framing {
                http::set_header(headers, name, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_batch_creation_may_send_more_than_32_mb() {
        assert_eq!(max_body_bytes("/v1/messages/batches"), 256 * 1024 * 1024);
        assert_eq!(max_body_bytes("/v1/messages"), 32 * 1024 * 1024);
        assert_eq!(
            max_body_bytes("/v1/messages/batches/x/cancel"),
            MAX_BODY_BYTES
        );
    }
}
