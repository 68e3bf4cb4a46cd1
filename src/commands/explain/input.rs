//! Recognising what someone pasted: a status, an API error type, a category,
//! an error body, an SSE error event, a line of our log or an SDK exception.
//! Every form is handed to the core's classification; nothing here decides a
//! category on its own.

use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;

use crate::api::sse::SseDecoder;
use crate::log::reader::{Event, parse_line};
use crate::resilience::classify::{
    ErrorBody, ResponseMeta, category_for_error_type, classify_error_body, classify_response,
    classify_status, classify_stream_error,
};
use crate::resilience::{Category, Failure};

/// The fix shown when the input is none of the forms below.
pub const ACCEPTED_FORMS: &str = "give a status (claude-rs explain 529), an API error type (overloaded_error) or a category (rate_limit); \
or pipe in an API error body {\"type\":\"error\",\"error\":{...}}, an SSE block (event: error / data: {...}), a line of the claude-rs log, \
an SDK exception (Error code: 429 - {...} from Python, 429 {...} from TypeScript), \
an error quoted by another tool (API Error: 400 {...}; POST \"https://...\": 529 Overloaded (Request-ID: req_...) {...}; HTTP 529), \
or what claude-rs printed (its error block, a retry notice, a batch result line). \
For an SDK error without a status (APIConnectionError, APITimeoutError), name the category: claude-rs explain connection, or timeout";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Status,
    ErrorType,
    Category,
    ErrorBody,
    SseEvent,
    LogLine,
    SdkException,
    /// claude-rs's own error block or retry notice.
    OurOwn,
    /// A status and body quoted by another tool (Claude Code, the Go SDK).
    Quoted,
}

impl InputKind {
    pub fn describe(self) -> &'static str {
        match self {
            InputKind::Status => "an HTTP status",
            InputKind::ErrorType => "an API error type",
            InputKind::Category => "a claude-rs category",
            InputKind::ErrorBody => "an API error body (no HTTP status)",
            InputKind::SseEvent => "an SSE error event (after HTTP 200)",
            InputKind::LogLine => "a claude-rs log line",
            InputKind::SdkException => "an SDK exception",
            InputKind::OurOwn => "claude-rs's own error or retry notice",
            InputKind::Quoted => "an API error quoted by another tool",
        }
    }
}

/// The input, classified by the core.
#[derive(Clone, Debug, PartialEq)]
pub struct Understood {
    pub kind: InputKind,
    pub failure: Failure,
    /// The message the input carried; none for a bare status, type or category.
    pub message: Option<String>,
    /// What is worth saying about this input beyond its category.
    pub notes: Vec<String>,
}

impl Understood {
    fn new(kind: InputKind, failure: Failure) -> Understood {
        Understood {
            kind,
            failure,
            message: None,
            notes: Vec::new(),
        }
    }

    /// For inputs that carried an error message of their own.
    fn with_message(mut self) -> Understood {
        self.message = Some(self.failure.message.clone());
        self
    }

    fn with_note(mut self, note: impl Into<String>) -> Understood {
        self.notes.push(note.into());
        self
    }
}

/// Reads the input; the error says what it was not.
pub fn understand(text: &str) -> Result<Understood, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("there is nothing to explain".into());
    }
    if text.starts_with('{') {
        return json(text);
    }
    if !text.contains(char::is_whitespace) {
        return word(text);
    }
    if text
        .lines()
        .any(|l| l.starts_with("event:") || l.starts_with("data:"))
    {
        return sse(text);
    }
    if let Some(several) = several_statuses(text) {
        return Err(several);
    }
    if let Some(ours) = our_own(text) {
        return Ok(ours);
    }
    sdk_exception(text).or_else(|| quoted(text)).ok_or_else(|| {
        "the text is none of the forms claude-rs explain reads (no status, error body or SSE event found)"
            .to_string()
    })
}

/// `529 429`: two answers in one question.
fn several_statuses(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let all_statuses = words.len() > 1
        && words
            .iter()
            .all(|w| w.len() == 3 && w.bytes().all(|b| b.is_ascii_digit()));
    all_statuses.then(|| {
        format!(
            "there are {} statuses ({}): explain one at a time, e.g. claude-rs explain {}",
            words.len(),
            words.join(", "),
            words[0]
        )
    })
}

/// What claude-rs itself printed: its error block (`error: overloaded — …`
/// with `what:` and `request id:` lines) or a retry notice (`overloaded
/// (HTTP 529) · retry 2/4 in 3.1s · req_…`). The category was decided by
/// the core when it happened, and is carried, not re-derived.
fn our_own(text: &str) -> Option<Understood> {
    let first = text.lines().next()?.trim();
    let named = first.strip_prefix("error: ").unwrap_or(first);
    let word = named.split([' ', '\u{2014}']).next()?;
    let category = Category::from_name(word)?;
    let status = text
        .split("HTTP ")
        .skip(1)
        .find_map(|rest| rest.get(..3)?.parse::<u16>().ok());
    let mut failure = Failure::new(category, String::new());
    failure.http_status = status;
    failure.request_id = request_id_in(text);
    // `what:       HTTP 529 overloaded_error: Overloaded`: the status is
    // said once, by the explanation; the type and message are the failure's.
    if let Some(what) = text.lines().find_map(|l| l.trim().strip_prefix("what:")) {
        let what = what.trim();
        let (head, message) = what.split_once(": ").unwrap_or(("", what));
        failure.error_type = head
            .strip_prefix("HTTP ")
            .and_then(|rest| rest.split_once(' '))
            .map(|(_, kind)| kind.to_string());
        failure.message = message.to_string();
    }
    let message = (!failure.message.is_empty()).then(|| failure.message.clone());
    Some(Understood {
        message,
        ..Understood::new(InputKind::OurOwn, failure)
    })
}

/// An error quoted by another tool: Claude Code's `API Error: 400 {…}`, the
/// Go SDK's and `ant`'s `POST "https://…/v1/messages": 529 Overloaded
/// (Request-ID: req_…) {…}`, or a bare `HTTP 529`: a status, and the API's
/// error body when one follows it.
fn quoted(text: &str) -> Option<Understood> {
    let body_at = text.find('{');
    let before = &text[..body_at.unwrap_or(text.len())];
    let status = statuses_in(before).next();
    let body = body_at.and_then(|at| {
        serde_json::Deserializer::from_str(&text[at..])
            .into_iter::<Value>()
            .next()?
            .ok()
    });
    match (status, body) {
        (Some(status), body) => Some(answered(
            InputKind::Quoted,
            status,
            body.map(|body| body.to_string()),
            request_id_in(text),
        )),
        (None, Some(body)) => error_body(&body),
        (None, None) => None,
    }
}

/// A status, classified with the body that came with it when one did.
fn answered(
    kind: InputKind,
    status: u16,
    body: Option<String>,
    request_id: Option<String>,
) -> Understood {
    let Some(body) = body else {
        let mut failure = classify_status(status);
        failure.request_id = request_id;
        return Understood::new(kind, failure);
    };
    let meta = ResponseMeta {
        request_id,
        ..ResponseMeta::default()
    };
    let failure = classify_response(status, &meta, body.as_bytes(), SystemTime::now());
    Understood::new(kind, failure).with_message()
}

/// Three-digit numbers from 300 to 599 written as a status: at the start,
/// or after `HTTP`, `Error:`, `status`, `code:` or a quoted URL's `":` (the
/// Go SDK). A number elsewhere in a sentence is not taken for one.
fn statuses_in(text: &str) -> impl Iterator<Item = u16> + '_ {
    const MARKERS: [&str; 6] = ["http", "error:", "status", "code:", "\":", "error"];
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < text.len() {
            let start = at + text[at..].find(|c: char| c.is_ascii_digit())?;
            let end = start
                + text[start..]
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(text.len() - start);
            at = end;
            let before = text[..start].trim_end().to_ascii_lowercase();
            let marked = before.is_empty() || MARKERS.iter().any(|m| before.ends_with(m));
            let status = text[start..end].parse::<u16>().ok();
            if let Some(status) =
                status.filter(|s| end - start == 3 && marked && (300..=599).contains(s))
            {
                return Some(status);
            }
        }
        None
    })
}

/// A `req_…` id anywhere in the text.
fn request_id_in(text: &str) -> Option<String> {
    let at = text.find("req_")?;
    let id: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(100)
        .collect();
    (id.len() > 4).then_some(id)
}

fn word(given: &str) -> Result<Understood, String> {
    let word = given.to_ascii_lowercase();
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return status(&word);
    }
    if let Some(category) = Category::from_name(&word) {
        return Ok(Understood::new(
            InputKind::Category,
            Failure::new(category, String::new()),
        ));
    }
    if category_for_error_type(&word).is_some() || looks_like_error_type(&word) {
        return Ok(error_type(&word));
    }
    Err(format!(
        "'{}' is not an HTTP status, an API error type or a category",
        clipped(given)
    ))
}

/// What was given, as typed, cut to what fits on a line: a word read from
/// an endless stdin must not come back as a megabyte of error message.
fn clipped(given: &str) -> String {
    const SHOWN: usize = 80;
    match given.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}… ({} bytes)", &given[..cut], given.len()),
        None => given.to_string(),
    }
}

fn status(digits: &str) -> Result<Understood, String> {
    match digits.parse::<u16>() {
        Ok(status) if (400..=599).contains(&status) => Ok(Understood::new(
            InputKind::Status,
            classify_status(status),
        )
        .with_note(
            "Judged from the status alone; the body can change the verdict (an overloaded_error, \
             a spend limit, a low credit balance): pipe the whole error in for a firmer answer.",
        )),
        _ => Err(format!(
            "HTTP {} is not an error status (claude-rs explains 400 to 599)",
            clipped(digits)
        )),
    }
}

/// New error types appear over time (the API documents that), so a
/// well-formed unknown one is explained rather than refused.
fn looks_like_error_type(word: &str) -> bool {
    word.ends_with("_error")
        && word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn error_type(error_type: &str) -> Understood {
    let failure = classify_error_body(ErrorBody {
        error_type: Some(error_type.to_string()),
        ..ErrorBody::default()
    });
    let understood = Understood::new(InputKind::ErrorType, failure);
    if category_for_error_type(error_type).is_some() {
        return understood;
    }
    understood.with_note(format!(
        "{error_type} is an error type claude-rs does not know: it is kept verbatim and classified by \
         the HTTP status, and without one (as in a stream's error event) it counts as api_error. \
         Explain the status, or the whole error, for a firmer answer."
    ))
}

fn json(text: &str) -> Result<Understood, String> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    match (values.next(), values.next()) {
        (Some(Ok(value)), None) => json_value(text, &value),
        (Some(Ok(_)), Some(_)) => Err(
            "there is more than one JSON value: give one at a time (e.g. tail -n 1 log.jsonl | claude-rs explain)"
                .into(),
        ),
        _ => python_repr_to_json(text)
            .and_then(|converted| serde_json::from_str::<Value>(&converted).ok())
            .and_then(|value| error_body(&value))
            .ok_or_else(|| "the text starts like JSON but is not valid JSON".into()),
    }
}

fn json_value(text: &str, value: &Value) -> Result<Understood, String> {
    if value.get("event").is_some() && value.get("ts").is_some() {
        return log_line(text);
    }
    // A batch result line: `{"custom_id":…,"result":{"type":"errored","error":{…}}}`.
    if let Some(error) = value.get("result").and_then(|r| r.get("error")) {
        return error_body(error)
            .ok_or_else(|| "the batch result line holds no API error body to explain".to_string());
    }
    error_body(value).ok_or_else(|| {
        "the JSON is neither an API error body ({\"type\":\"error\",\"error\":{...}}) nor a claude-rs log line"
            .into()
    })
}

fn error_body(value: &Value) -> Option<Understood> {
    if !value.get("error").is_some_and(Value::is_object) {
        return None;
    }
    let failure = classify_error_body(ErrorBody::from_json(value)?);
    Some(
        Understood::new(InputKind::ErrorBody, failure)
            .with_message()
            .with_note(
                "A body on its own has no HTTP status, so it is classified by its error type; \
                 an unknown type would be classified by the status.",
            ),
    )
}

/// The category in our own log line was decided by the core when the
/// failure happened; it is carried, not re-derived from the message.
fn log_line(text: &str) -> Result<Understood, String> {
    let entry = parse_line(text)
        .map_err(|why| format!("it looks like a claude-rs log line but is not one: {why}"))?;
    let nothing_to_explain = match entry.event {
        Event::BatchEnd => {
            "the log line is a batch's summary: explain one of its item lines instead"
        }
        Event::Interrupted => {
            "the log line records a call interrupted by Ctrl-C: there is no failure to explain"
        }
        _ => "the log line records a successful call: there is no failure to explain",
    };
    let Some(category) = entry.category() else {
        return Err(nothing_to_explain.into());
    };
    let mut failure = Failure::new(category, entry.message.clone().unwrap_or_default());
    failure.http_status = entry.http_status;
    failure.error_type = entry.error_type.clone();
    failure.request_id = entry.request_id.clone();
    let happened = match &entry.event {
        Event::Attempt(a) => match a.retry_in_ms {
            Some(ms) => format!(
                "In the log: attempt {} of {}, retried after {}.",
                a.attempt,
                a.max_attempts,
                humantime::format_duration(std::time::Duration::from_millis(ms))
            ),
            None => format!(
                "In the log: attempt {} of {}, and no retry followed it.",
                a.attempt, a.max_attempts
            ),
        },
        Event::Call(call) => format!(
            "In the log: the call ended with this failure after {} attempt(s).",
            call.attempts
        ),
        Event::BatchEnd | Event::Interrupted => String::new(),
    };
    let mut understood = Understood::new(InputKind::LogLine, failure).with_note(happened);
    understood.message = entry.message;
    Ok(understood)
}

fn sse(text: &str) -> Result<Understood, String> {
    let block = format!("{text}\n\n");
    let mut decoder = SseDecoder::new(block.as_bytes());
    while let Ok(Some(event)) = decoder.next_event() {
        let is_error_json = serde_json::from_str::<Value>(&event.data)
            .is_ok_and(|v| v.get("type").and_then(Value::as_str) == Some("error"));
        if event.event == "error" || is_error_json {
            let failure = classify_stream_error(&event.data, None);
            return Ok(Understood::new(InputKind::SseEvent, failure).with_message());
        }
    }
    Err("the SSE text holds no error event (event: error)".into())
}

fn sdk_exception(text: &str) -> Option<Understood> {
    let (status, body) = text.lines().find_map(status_and_body)?;
    // The TypeScript SDK's words for an error response without a body.
    let no_body = body.is_empty() || body.starts_with("status code (no body)");
    let body = (!no_body).then(|| sdk_body(body));
    Some(answered(InputKind::SdkException, status, body, None))
}

/// `… Error code: 429 - {…}` (Python), or `429 {…}` after an optional
/// `RateLimitError: ` (TypeScript): the status and what follows it.
fn status_and_body(line: &str) -> Option<(u16, &str)> {
    let rest = match line.find("Error code: ") {
        Some(at) => &line[at + "Error code: ".len()..],
        None => without_exception_name(line.trim()),
    };
    let digits = rest.get(..3)?;
    let after = &rest[3..];
    if !digits.bytes().all(|b| b.is_ascii_digit())
        || after.chars().next().is_some_and(|c| !c.is_whitespace())
    {
        return None;
    }
    let status = digits
        .parse::<u16>()
        .ok()
        .filter(|s| (400..=599).contains(s))?;
    let body = after.trim_start();
    let body = body.strip_prefix('-').unwrap_or(body).trim();
    Some((status, body))
}

/// `anthropic.RateLimitError: 429 …` → `429 …`; other lines unchanged.
fn without_exception_name(line: &str) -> &str {
    match line.split_once(": ") {
        Some((name, rest)) if name.ends_with("Error") && !name.contains(char::is_whitespace) => {
            rest
        }
        _ => line,
    }
}

/// The body as JSON when it is JSON or a Python dict's repr; else as given,
/// for the core to classify as an unreadable body.
fn sdk_body(body: &str) -> String {
    if serde_json::from_str::<Value>(body).is_ok() {
        return body.to_string();
    }
    python_repr_to_json(body)
        .filter(|converted| serde_json::from_str::<Value>(converted).is_ok())
        .unwrap_or_else(|| body.to_string())
}

/// The Python SDK prints the parsed body with `repr`: single-quoted strings
/// (double-quoted when they hold a `'`), `None`, `True`, `False`.
fn python_repr_to_json(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let value = python_string(&mut chars, c)?;
                out.push_str(&serde_json::to_string(&value).ok()?);
            }
            // A letter inside a number (1e5) is part of the number.
            c if c.is_ascii_alphabetic() && !previous.is_ascii_digit() && previous != '.' => {
                let mut word = String::from(c);
                while let Some(next) = chars.next_if(|n| n.is_ascii_alphanumeric() || *n == '_') {
                    word.push(next);
                }
                out.push_str(match word.as_str() {
                    "None" => "null",
                    "True" => "true",
                    "False" => "false",
                    _ => return None,
                });
            }
            c => out.push(c),
        }
        previous = c;
    }
    Some(out)
}

/// The rest of a Python string literal whose opening `quote` was read.
fn python_string(chars: &mut impl Iterator<Item = char>, quote: char) -> Option<String> {
    let mut value = String::new();
    loop {
        match chars.next()? {
            c if c == quote => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                'r' => value.push('\r'),
                't' => value.push('\t'),
                'x' => value.push(hex_char(chars, 2)?),
                'u' => value.push(hex_char(chars, 4)?),
                'U' => value.push(hex_char(chars, 8)?),
                c @ ('\\' | '\'' | '"') => value.push(c),
                other => {
                    value.push('\\');
                    value.push(other);
                }
            },
            c => value.push(c),
        }
    }
}

fn hex_char(chars: &mut impl Iterator<Item = char>, digits: usize) -> Option<char> {
    let hex: String = chars.take(digits).collect();
    if hex.len() != digits {
        return None;
    }
    char::from_u32(u32::from_str_radix(&hex, 16).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::Cause;
    use proptest::prelude::*;

    fn ok(text: &str) -> Understood {
        understand(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn words_are_statuses_categories_or_error_types() {
        let u = ok("529");
        assert_eq!(
            (u.kind, u.failure.category),
            (InputKind::Status, Category::Overloaded)
        );
        assert_eq!(u.failure.http_status, Some(529));
        assert_eq!(u.message, None);
        let u = ok("rate_limit");
        assert_eq!(
            (u.kind, u.failure.category),
            (InputKind::Category, Category::RateLimit)
        );
        let u = ok("overloaded_error");
        assert_eq!(
            (u.kind, u.failure.category),
            (InputKind::ErrorType, Category::Overloaded)
        );
        assert_eq!(u.failure.error_type.as_deref(), Some("overloaded_error"));
        assert!(u.notes.is_empty());
        let u = ok("brand_new_error");
        assert_eq!(u.failure.category, Category::ApiError);
        assert!(u.notes[0].contains("does not know"));
        for bad in ["200", "600", "99999999", "hello", "Rate-Limit"] {
            assert!(understand(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn python_repr_becomes_json() {
        let repr = r#"{'type': 'error', 'error': {'type': 'x', 'message': "it's \\ here\n", 'n': 1.5e3, 'ok': True, 'none': None}}"#;
        let json = python_repr_to_json(repr).unwrap();
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["error"]["message"], "it's \\ here\n");
        assert_eq!(value["error"]["ok"], true);
        assert_eq!(value["error"]["none"], Value::Null);
        assert_eq!(value["error"]["n"], 1500.0);
        assert_eq!(
            python_repr_to_json(r"{'a': '\x41\u00e9'}").unwrap(),
            r#"{"a": "Aé"}"#
        );
        assert_eq!(python_repr_to_json("{'a': unknown}"), None);
        assert_eq!(python_repr_to_json("{'unterminated"), None);
    }

    #[test]
    fn python_sdk_exception_with_repr_body() {
        let text = "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Number of request tokens has exceeded your per-minute rate limit'}, 'request_id': 'req_011CPy'}";
        let u = ok(text);
        assert_eq!(u.kind, InputKind::SdkException);
        assert_eq!(u.failure.category, Category::RateLimit);
        assert_eq!(u.failure.http_status, Some(429));
        assert_eq!(u.failure.request_id.as_deref(), Some("req_011CPy"));
        assert_eq!(
            u.message.as_deref(),
            Some("Number of request tokens has exceeded your per-minute rate limit")
        );
    }

    #[test]
    fn sdk_exceptions_in_their_other_shapes() {
        let traceback = "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\nanthropic.InternalServerError: Error code: 529 - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";
        assert_eq!(ok(traceback).failure.category, Category::Overloaded);
        let ts = "429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}";
        assert_eq!(ok(ts).failure.category, Category::RateLimit);
        let named = format!("RateLimitError: {ts}\n    at APIError.generate (core.js:1:1)");
        assert_eq!(ok(&named).failure.category, Category::RateLimit);
        let no_body = ok("Error: 503 status code (no body)");
        assert_eq!(no_body.failure.category, Category::ApiError);
        assert_eq!(no_body.message, None);
        let status_only = ok("anthropic.InternalServerError: Error code: 500");
        assert_eq!(status_only.failure.http_status, Some(500));
        let spend = "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'limit', 'details': {'error_code': 'enforced_spend_limit_reached'}}}";
        let u = ok(spend);
        assert_eq!(u.failure.category, Category::Billing);
        assert_eq!(u.failure.cause, Some(Cause::SpendLimit));
        let html = ok("Error code: 502 - <html><title>502 Bad Gateway</title></html>");
        assert_eq!(html.failure.cause, Some(Cause::HtmlPage));
        assert!(understand("it broke at 429 places").is_err());
        assert!(understand("Error code: 200 - {}").is_err());
    }

    #[test]
    fn sse_blocks_and_bodies() {
        let sse = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";
        let u = ok(sse);
        assert_eq!(
            (u.kind, u.failure.category),
            (InputKind::SseEvent, Category::Overloaded)
        );
        assert_eq!(u.message.as_deref(), Some("Overloaded"));
        assert!(understand("event: ping\ndata: {}").is_err());
        let body = r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_9"}"#;
        let u = ok(body);
        assert_eq!(
            (u.kind, u.failure.category),
            (InputKind::ErrorBody, Category::Authentication)
        );
        assert_eq!(u.failure.request_id.as_deref(), Some("req_9"));
        let repr = "{'type': 'error', 'error': {'type': 'not_found_error', 'message': 'model: x'}}";
        assert_eq!(ok(repr).failure.category, Category::NotFound);
        assert!(understand(r#"{"type":"message"}"#).is_err());
        assert!(understand(r#"{"error":"text"}"#).is_err());
        assert!(understand("{} {}").is_err());
        assert!(understand("{not json").is_err());
    }

    #[test]
    fn log_lines_carry_their_category() {
        let line = r#"{"ts":"2026-11-26T01:57:56.201Z","event":"attempt","command":"ask","category":"connection","http_status":null,"error_type":null,"message":"refused","request_id":null,"attempt":2,"max_attempts":5,"retry_in_ms":2000,"model":"m","elapsed_ms":4}"#;
        let u = ok(line);
        assert_eq!(
            (u.kind, u.failure.category),
            (InputKind::LogLine, Category::Connection)
        );
        assert_eq!(u.message.as_deref(), Some("refused"));
        assert!(u.notes[0].contains("attempt 2 of 5, retried after 2s"));
        let success =
            r#"{"ts":"2026-11-26T01:57:56.201Z","event":"call","outcome":"success","attempts":1}"#;
        assert!(understand(success).unwrap_err().contains("successful call"));
        let broken = r#"{"ts":"2026-11-26T01:57:56.201Z","event":"attempt"}"#;
        assert!(understand(broken).unwrap_err().contains("log line"));
    }

    /// Text in each form `explain` reads, with arbitrary parts spliced in.
    fn pasted() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            any::<String>(),
            "[0-9]{1,25}",
            Just("{'type': 'error', 'error': {'type': 'x', 'message': 'm\\U0010ffff\\x'}}".to_string()),
            Just(r#"{"type":"error","error":{"type":"billing_error","message":"m"}}"#.to_string()),
            Just(r#"{"ts":"9999-12-31T23:59:59.999Z","event":"attempt","command":"ask","category":"overloaded","attempt":1,"max_attempts":5,"retry_in_ms":18446744073709551615}"#.to_string()),
        ];
        (
            prop::sample::select(vec![
                "",
                "Error code: ",
                "anthropic.RateLimitError: ",
                "event: error\ndata: ",
                "HTTP ",
            ]),
            part.clone(),
            prop::sample::select(vec!["", " - ", " ", "\n"]),
            part,
        )
            .prop_map(|(prefix, a, sep, b)| format!("{prefix}{a}{sep}{b}"))
    }

    proptest! {
        #[test]
        fn any_pasted_text_is_understood_or_refused(text in prop_oneof![any::<String>(), pasted()]) {
            let _ = understand(&text);
        }
    }
}
