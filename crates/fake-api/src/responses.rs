//! Response bodies in the exact shapes the Anthropic API sends: error JSON,
//! message JSON, SSE events, model objects, and the echo reply.
//!
//! Bodies are derived `Serialize` structs rather than `serde_json::json!`
//! because `json!` sorts keys, and the wire order (a struct's field order) is
//! part of what clients get tested on.

use serde::Serialize;
use serde_json::Value;

use super::step::canonical_message_for_type;

/// Model used in fault replies when the request names none.
pub(crate) const FALLBACK_MODEL: &str = "claude-sonnet-4-6";
const ECHO_PREFIX: &str = "Hello from the claude-rs fake API. You said: ";
const ECHO_QUOTE_CHARS: usize = 80;
const WORDS_PER_DELTA: usize = 3;

/// A body as JSON. Structs of strings, numbers and options cannot fail to
/// serialize; were one to, the body would be empty rather than the server down.
pub(crate) fn to_json(body: &impl Serialize) -> String {
    serde_json::to_string(body).unwrap_or_default()
}

/// `{"type":"error","error":{…},"request_id":…}`; without `request_id` in a
/// batch's results file, where no HTTP request of its own was made.
#[derive(Serialize)]
pub(crate) struct ErrorBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    error: ErrorDetail<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    #[serde(rename = "type")]
    error_type: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<ErrorCode>,
}

#[derive(Serialize)]
struct ErrorCode {
    error_code: &'static str,
}

impl<'a> ErrorBody<'a> {
    pub fn new(error_type: &'a str, message: &'a str, request_id: Option<&'a str>) -> Self {
        ErrorBody {
            kind: "error",
            error: ErrorDetail {
                error_type,
                message,
                details: None,
            },
            request_id,
        }
    }
}

/// `(error.type, error.message)` the real API sends for a status.
pub(crate) fn canonical_error(status: u16) -> (&'static str, &'static str) {
    let error_type = match status {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        408 => "timeout_error",
        409 => "conflict_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    };
    let message = match status {
        422 => "Unprocessable request",
        502 => "Bad gateway",
        503 => "Service unavailable",
        504 => "Gateway timeout",
        _ => canonical_message_for_type(error_type),
    };
    (error_type, message)
}

pub(crate) fn error_body(error_type: &str, message: &str, request_id: &str) -> String {
    to_json(&ErrorBody::new(error_type, message, Some(request_id)))
}

pub(crate) const SPEND_LIMIT_MESSAGE: &str = "You have reached your specified API usage limits. \
You will regain access on the first day of next month at 00:00 UTC.";
pub(crate) const LOW_CREDIT_MESSAGE: &str = "Your credit balance is too low to access the \
Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.";

pub(crate) fn spend_limit_body(request_id: &str) -> String {
    let mut body = ErrorBody::new("rate_limit_error", SPEND_LIMIT_MESSAGE, Some(request_id));
    body.error.details = Some(ErrorCode {
        error_code: "enforced_spend_limit_reached",
    });
    to_json(&body)
}

pub(crate) const HTML_502_BODY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// What a captive portal or a proxy's sign-in answers with a success status.
pub(crate) const HTML_200_BODY: &str = "<!DOCTYPE html>\r\n<html><head><title>Sign in to continue</title></head>\r\n\
<body><form action=\"/login\"><input name=\"user\"></form></body></html>\r\n";

/// Starts like a message object and stops mid-string.
pub(crate) const INVALID_JSON_BODY: &str = r#"{"id": "msg_"#;

/// Everything needed to write one successful reply, as JSON or as SSE.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Answer {
    pub id: String,
    pub model: String,
    pub text: String,
    pub stop_reason: &'static str,
    /// A refusal's category and explanation (`stop_details`).
    pub stop_details: Option<StopDetails>,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// `stop_details` of a refusal, as the API sends it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct StopDetails {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub category: &'static str,
    pub explanation: &'static str,
}

/// A message object, whole or (in `message_start`) before its content.
#[derive(Serialize)]
pub(crate) struct MessageObject<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: Vec<TextBlock<'a>>,
    stop_reason: Option<&'static str>,
    stop_sequence: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_details: Option<&'a StopDetails>,
    usage: Usage,
}

#[derive(Serialize)]
struct TextBlock<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

#[derive(Serialize)]
struct Usage {
    input_tokens: u64,
    output_tokens: u64,
}

#[derive(Serialize)]
struct MessageStart<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: MessageObject<'a>,
}

#[derive(Serialize)]
struct MessageDelta<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    delta: StopDelta<'a>,
    usage: OutputUsage,
}

#[derive(Serialize)]
struct StopDelta<'a> {
    stop_reason: &'static str,
    stop_sequence: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_details: Option<&'a StopDetails>,
}

#[derive(Serialize)]
struct OutputUsage {
    output_tokens: u64,
}

#[derive(Serialize)]
struct ContentBlockDelta<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    index: u32,
    delta: TextBlock<'a>,
}

impl Answer {
    /// Cuts `text` to `max_tokens` words (one word = one token here), like the real
    /// API stops at the token budget.
    pub fn new(
        id: String,
        model: String,
        text: &str,
        max_tokens: u64,
        input_tokens: u64,
    ) -> Answer {
        let words = word_count(text) as u64;
        let (text, stop_reason, output_tokens) = if words > max_tokens {
            let kept = usize::try_from(max_tokens).unwrap_or(usize::MAX);
            (first_words(text, kept), "max_tokens", max_tokens)
        } else {
            (text.to_string(), "end_turn", words)
        };
        Answer {
            id,
            model,
            text,
            stop_reason,
            stop_details: None,
            input_tokens,
            output_tokens,
        }
    }

    /// The same reply, ended by the model for `reason` instead.
    pub fn stopped_for(mut self, reason: &'static str, details: Option<StopDetails>) -> Answer {
        self.stop_reason = reason;
        self.stop_details = details;
        self
    }

    /// The message as a whole; `message_start` sends it before its content.
    pub fn object(&self) -> MessageObject<'_> {
        MessageObject {
            id: &self.id,
            kind: "message",
            role: "assistant",
            model: &self.model,
            content: vec![TextBlock {
                kind: "text",
                text: &self.text,
            }],
            stop_reason: Some(self.stop_reason),
            stop_sequence: None,
            stop_details: self.stop_details.as_ref(),
            usage: Usage {
                input_tokens: self.input_tokens,
                output_tokens: self.output_tokens,
            },
        }
    }

    pub fn json(&self) -> String {
        to_json(&self.object())
    }

    pub fn message_start(&self) -> String {
        let message = MessageObject {
            content: Vec::new(),
            stop_reason: None,
            stop_details: None,
            usage: Usage {
                input_tokens: self.input_tokens,
                output_tokens: 1,
            },
            ..self.object()
        };
        let start = MessageStart {
            kind: "message_start",
            message,
        };
        sse_event("message_start", &to_json(&start))
    }

    pub fn text_deltas(&self) -> Vec<String> {
        split_into_deltas(&self.text)
            .iter()
            .map(|piece| text_delta(piece))
            .collect()
    }

    pub fn message_delta(&self) -> String {
        let delta = MessageDelta {
            kind: "message_delta",
            delta: StopDelta {
                stop_reason: self.stop_reason,
                stop_sequence: None,
                stop_details: self.stop_details.as_ref(),
            },
            usage: OutputUsage {
                output_tokens: self.output_tokens,
            },
        };
        sse_event("message_delta", &to_json(&delta))
    }

    /// The complete event sequence of a successful stream.
    pub fn sse_events(&self) -> Vec<String> {
        let mut events = vec![self.message_start(), content_block_start(), ping()];
        events.extend(self.text_deltas());
        events.push(content_block_stop());
        events.push(self.message_delta());
        events.push(message_stop());
        events
    }
}

pub(crate) fn sse_event(name: &str, data: &str) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

pub(crate) fn content_block_start() -> String {
    sse_event(
        "content_block_start",
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
    )
}

pub(crate) fn ping() -> String {
    sse_event("ping", r#"{"type": "ping"}"#)
}

pub(crate) fn text_delta(text: &str) -> String {
    let delta = ContentBlockDelta {
        kind: "content_block_delta",
        index: 0,
        delta: TextBlock {
            kind: "text_delta",
            text,
        },
    };
    sse_event("content_block_delta", &to_json(&delta))
}

pub(crate) fn content_block_stop() -> String {
    sse_event(
        "content_block_stop",
        r#"{"type":"content_block_stop","index":0}"#,
    )
}

pub(crate) fn message_stop() -> String {
    sse_event("message_stop", r#"{"type":"message_stop"}"#)
}

pub(crate) fn sse_error(error_type: &str, message: &str, request_id: &str) -> String {
    sse_event("error", &error_body(error_type, message, request_id))
}

pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The text up to the end of its `count`-th word.
fn first_words(text: &str, count: usize) -> String {
    let end = word_ends(text).get(count.wrapping_sub(1)).copied();
    match (count, end) {
        (0, _) => String::new(),
        (_, Some(end)) => text[..end].to_string(),
        (_, None) => text.to_string(),
    }
}

/// Byte offsets just past each word.
fn word_ends(text: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut in_word = false;
    for (index, c) in text.char_indices() {
        if c.is_whitespace() {
            if in_word {
                ends.push(index);
            }
            in_word = false;
        } else {
            in_word = true;
        }
    }
    if in_word {
        ends.push(text.len());
    }
    ends
}

/// Pieces of about three words; whitespace stays in the pieces, so joining
/// them gives back `text` exactly.
pub(crate) fn split_into_deltas(text: &str) -> Vec<String> {
    let ends = word_ends(text);
    let mut pieces = Vec::new();
    let mut start = 0;
    for end in ends
        .iter()
        .skip(WORDS_PER_DELTA - 1)
        .step_by(WORDS_PER_DELTA)
    {
        pieces.push(text[start..*end].to_string());
        start = *end;
    }
    if start < text.len() {
        pieces.push(text[start..].to_string());
    }
    pieces
}

/// Text of a `content` field: a string, or an array of blocks whose text blocks count.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|block| block.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|block| block.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn messages(request: &Value) -> &[Value] {
    request
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

pub(crate) fn last_user_text(request: &Value) -> String {
    messages(request)
        .iter()
        .rev()
        .find(|message| message.get("role").and_then(Value::as_str) == Some("user"))
        .and_then(|message| message.get("content"))
        .map(content_text)
        .unwrap_or_default()
}

pub(crate) fn echo_reply(request: &Value) -> String {
    let said: String = last_user_text(request)
        .chars()
        .take(ECHO_QUOTE_CHARS)
        .collect();
    format!("{ECHO_PREFIX}{said}")
}

/// About four characters per token over the system prompt and every message.
pub(crate) fn estimate_input_tokens(request: &Value) -> u64 {
    let system_chars = request
        .get("system")
        .map(|system| content_text(system).chars().count())
        .unwrap_or(0);
    let message_chars: usize = messages(request)
        .iter()
        .filter_map(|message| message.get("content"))
        .map(|content| content_text(content).chars().count())
        .sum();
    (system_chars + message_chars) as u64 / 4 + 1
}

/// `claude-opus-4-6` → `Claude Opus 4.6`; a date suffix is dropped.
pub(crate) fn display_name(model_id: &str) -> String {
    let mut words = Vec::new();
    let mut version = Vec::new();
    for part in model_id.split('-') {
        let is_number = !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
        if is_number && part.len() < 8 {
            version.push(part);
        } else if !is_number {
            words.push(capitalize(part));
        }
    }
    if !version.is_empty() {
        words.push(version.join("."));
    }
    words.join(" ")
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One page of a list endpoint (models, Message Batches).
#[derive(Serialize)]
pub(crate) struct Page<'a, T> {
    pub data: Vec<T>,
    pub has_more: bool,
    pub first_id: Option<&'a str>,
    pub last_id: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_body_has_the_wire_key_order() {
        assert_eq!(
            error_body("overloaded_error", "Overloaded", "req_mock_000001"),
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_mock_000001"}"#
        );
    }

    #[test]
    fn bodies_and_events_have_the_wire_key_order() {
        let answer = Answer::new("msg_1".into(), "m".into(), "a \"b\" c d", 3, 7);
        assert_eq!(
            answer.json(),
            r#"{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"a \"b\" c"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":7,"output_tokens":3}}"#
        );
        assert_eq!(
            answer.message_start(),
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n"
        );
        assert_eq!(
            answer.message_delta(),
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":3}}\n\n"
        );
        assert_eq!(
            text_delta("x\n"),
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\\n\"}}\n\n"
        );
        assert_eq!(
            spend_limit_body("req_1"),
            format!(
                r#"{{"type":"error","error":{{"type":"rate_limit_error","message":"{SPEND_LIMIT_MESSAGE}","details":{{"error_code":"enforced_spend_limit_reached"}}}},"request_id":"req_1"}}"#
            )
        );
    }

    #[test]
    fn canonical_errors_match_the_table() {
        assert_eq!(canonical_error(400).0, "invalid_request_error");
        assert_eq!(
            canonical_error(401),
            ("authentication_error", "invalid x-api-key")
        );
        assert_eq!(canonical_error(402).0, "billing_error");
        assert_eq!(
            canonical_error(403),
            (
                "permission_error",
                "Your API key does not have permission to use the specified resource."
            )
        );
        assert_eq!(canonical_error(404).0, "not_found_error");
        assert_eq!(canonical_error(408).0, "timeout_error");
        assert_eq!(canonical_error(409).0, "conflict_error");
        assert_eq!(
            canonical_error(413),
            (
                "request_too_large",
                "Request exceeds the maximum allowed number of bytes."
            )
        );
        assert_eq!(canonical_error(422).0, "invalid_request_error");
        assert_eq!(
            canonical_error(429),
            (
                "rate_limit_error",
                "Number of requests has exceeded your per-minute rate limit"
            )
        );
        assert_eq!(canonical_error(500), ("api_error", "Internal server error"));
        assert_eq!(canonical_error(503).0, "api_error");
        assert_eq!(canonical_error(529), ("overloaded_error", "Overloaded"));
        assert_eq!(canonical_error(418).0, "invalid_request_error");
        assert_eq!(canonical_error(599).0, "api_error");
    }

    #[test]
    fn deltas_rejoin_to_the_text() {
        let text = "Hello from the claude-rs fake API. You said:  two  spaces ";
        let pieces = split_into_deltas(text);
        assert_eq!(pieces[0], "Hello from the");
        assert_eq!(pieces[1], " claude-rs fake API.");
        assert_eq!(pieces.concat(), text);
        assert!(split_into_deltas("").is_empty());
        assert_eq!(split_into_deltas("one two"), vec!["one two"]);
    }

    #[test]
    fn answer_cuts_at_max_tokens() {
        let full = Answer::new("m".into(), "x".into(), "a b c d e", 100, 1);
        assert_eq!(
            (full.text.as_str(), full.stop_reason),
            ("a b c d e", "end_turn")
        );
        assert_eq!(full.output_tokens, 5);
        let cut = Answer::new("m".into(), "x".into(), "a b c d e", 2, 1);
        assert_eq!((cut.text.as_str(), cut.stop_reason), ("a b", "max_tokens"));
        assert_eq!(cut.output_tokens, 2);
    }

    #[test]
    fn echo_reads_string_or_blocks_and_truncates() {
        let request = json!({"messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ignored"},
            {"role": "user", "content": [{"type": "text", "text": "last"}, {"type": "image"}]}
        ]});
        assert_eq!(echo_reply(&request), format!("{ECHO_PREFIX}last"));
        let long = "é".repeat(100);
        let request = json!({"messages": [{"role": "user", "content": long}]});
        assert_eq!(
            echo_reply(&request),
            format!("{ECHO_PREFIX}{}", "é".repeat(80))
        );
    }

    #[test]
    fn input_tokens_count_system_and_messages() {
        let request = json!({"system": "12345678", "messages": [
            {"role": "user", "content": "1234"},
            {"role": "assistant", "content": [{"type": "text", "text": "1234"}]}
        ]});
        assert_eq!(estimate_input_tokens(&request), 16 / 4 + 1);
    }

    #[test]
    fn model_names_and_list() {
        assert_eq!(display_name("claude-opus-4-6"), "Claude Opus 4.6");
        assert_eq!(display_name("claude-haiku-4-5"), "Claude Haiku 4.5");
        assert_eq!(display_name("claude-sonnet-4-20250514"), "Claude Sonnet 4");
        assert_eq!(display_name("b-2"), "B 2");
    }

    #[test]
    fn answer_json_parses() {
        let answer = Answer::new("msg_1".into(), "m".into(), "say \"hi\"\n", 10, 3);
        let value: Value = serde_json::from_str(&answer.json()).unwrap();
        assert_eq!(value["content"][0]["text"], "say \"hi\"\n");
        assert_eq!(value["usage"]["output_tokens"], 2);
    }
}
