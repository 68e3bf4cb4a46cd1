//! What each `Step` becomes: an `Outcome` ready to be written.

use std::time::Duration;

use serde_json::Value;

use super::Step;
use super::http::{self, Request};
use super::outcome::{
    EVENT_STREAM, Ids, JSON, Outcome, Part, StreamEnd, api_error, json_outcome, stream_outcome,
    with_api_headers,
};
use super::responses::{self, Answer, StopDetails};
use super::state::Shared;
use super::step::EchoPlace;
use super::validate::validate;

impl Shared {
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
                let mut outcome = api_error(*status, Some(error_type), message, ids, headers);
                override_headers(&mut outcome, step_headers);
                outcome
            }
            Step::SpendLimit => {
                let body = responses::spend_limit_body(&ids.request_id);
                json_outcome(429, body, ids, headers)
            }
            Step::LowCredit => api_error(400, None, responses::LOW_CREDIT_MESSAGE, ids, headers),
            Step::OverloadedAs500 => api_error(500, Some("api_error"), "Overloaded", ids, headers),
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

    /// The output tokens a step's reply bills: a whole answer's; none for a
    /// failure (the fake bills no partial reply).
    pub(super) fn output_tokens_of(&self, step: &Step, request: &Request) -> u64 {
        let fixed_text = match step {
            Step::Ok => None,
            Step::Reply(text) => Some(text.as_str()),
            _ => return 0,
        };
        validate(&request.body, &self.config.models).map_or(0, |valid| {
            valid.answer(String::new(), fixed_text).output_tokens
        })
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
                api_error(401, None, &message, ids, headers)
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
                let mut outcome = api_error(401, None, "invalid x-api-key", ids, headers);
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
            Err((status, message)) => return api_error(status, None, &message, ids, headers),
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
