//! Result lines in the Message Batches results format, so one file works with
//! local and remote batches alike:
//! `{"custom_id","result":{"type":"succeeded","message":{…}}}` or
//! `{"custom_id","result":{"type":"errored","error":{…}}}`, where the error is
//! the API's error response plus what claude-rs made of it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::Message;
use crate::resilience::classify::{ErrorBody, classify_error_body};
use crate::resilience::{Category, Failure};

/// The API's error response (`{"type":"error","error":{…},"request_id"}`)
/// with claude-rs's verdict added: a public contract (docs/batch-files.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorReport {
    #[serde(rename = "type")]
    pub kind: String,
    pub error: ErrorObject,
    pub request_id: Option<String>,
    pub category: Category,
    pub http_status: Option<u16>,
    pub retryable: bool,
    pub fix: String,
    /// Attempts claude-rs made; `null` for results the Message Batches API produced.
    pub attempts: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    /// Anything else the API's error object held (`details`, …), kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ErrorReport {
    pub fn new(failure: &Failure, attempts: Option<u32>) -> ErrorReport {
        ErrorReport {
            kind: "error".into(),
            error: ErrorObject {
                kind: failure
                    .error_type
                    .clone()
                    .unwrap_or_else(|| error_type_for(failure.category).into()),
                message: failure.message.clone(),
                extra: Map::new(),
            },
            request_id: failure.request_id.clone(),
            category: failure.category,
            http_status: failure.http_status,
            retryable: failure.retryable(),
            fix: failure.fix(),
            attempts,
        }
    }

    /// The `error` of an errored Message Batches result (the API's error
    /// response, `{"type":"error","error":{…},"request_id"?}`), with the verdict
    /// claude-rs gives the same error on `/v1/messages`. There is no HTTP
    /// status (the API never answered this item with one) and claude-rs made
    /// no attempts of its own: both are `null`.
    pub fn from_batch_result(error: &Value) -> ErrorReport {
        let failure = match ErrorBody::from_json(error) {
            Some(body) => classify_error_body(body),
            None => Failure::new(
                Category::ApiError,
                "an errored result without the API's error object",
            ),
        };
        let mut report = ErrorReport::new(&failure, None);
        if let Some(Value::Object(object)) = error.get("error") {
            report.error.extra = object
                .iter()
                .filter(|(key, _)| !matches!(key.as_str(), "type" | "message"))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
        }
        report
    }
}

/// The error type a failure gets when no API error body named one (a
/// timeout, a refused connection, a reply that failed --expect-json): the
/// API's own name where it has one, else the category's.
fn error_type_for(category: Category) -> &'static str {
    match category {
        Category::InvalidRequest => "invalid_request_error",
        Category::Authentication => "authentication_error",
        Category::Billing => "billing_error",
        Category::Permission => "permission_error",
        Category::NotFound => "not_found_error",
        Category::RequestTooLarge => "request_too_large",
        Category::RateLimit => "rate_limit_error",
        Category::Overloaded => "overloaded_error",
        Category::Timeout => "timeout_error",
        Category::ApiError | Category::Conflict => "api_error",
        Category::Connection => "connection_error",
        Category::InvalidResponse => "invalid_response_error",
        Category::OutputValidation => "output_validation_error",
        Category::Refusal => "refusal",
    }
}

#[derive(Serialize)]
struct ResultLine<'a> {
    custom_id: &'a str,
    /// Of the request this result answers: a rerun skips the id only for the
    /// same request. Lines of the Message Batches API have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_fingerprint: Option<String>,
    result: Outcome<'a>,
    /// The reply as `--expect-json`, `--choices` or `--schema` read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    parsed: Option<&'a Value>,
}

/// A result line's custom_id and its request's fingerprint.
pub type ResultId = (String, Option<u64>);

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Outcome<'a> {
    Succeeded { message: &'a Message },
    Errored { error: &'a ErrorReport },
}

/// One result line, newline included, ready for one write.
fn line((custom_id, fingerprint): &ResultId, result: Outcome, parsed: Option<&Value>) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(&ResultLine {
        custom_id,
        request_fingerprint: fingerprint.map(|f| format!("{f:016x}")),
        result,
        parsed,
    })
    // Serialising our own structs of strings and numbers cannot fail.
    .unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

pub fn succeeded_line(id: &ResultId, message: &Message, parsed: Option<&Value>) -> Vec<u8> {
    line(id, Outcome::Succeeded { message }, parsed)
}

/// Scrubbed: the error object is the server's text, `details` and all. A
/// succeeded line is the reply itself, the user's data, and is kept exact.
pub fn errored_line(id: &ResultId, report: &ErrorReport) -> Vec<u8> {
    use crate::secret::{scrub, scrub_json};
    let owned = |text: &str| scrub(text).into_owned();
    let mut report = report.clone();
    report.error.kind = owned(&report.error.kind);
    report.error.message = owned(&report.error.message);
    report.request_id = report.request_id.as_deref().map(owned);
    report.fix = owned(&report.fix);
    // Field by field, so the wire order of the error object is kept.
    let mut extra = Value::Object(std::mem::take(&mut report.error.extra));
    scrub_json(&mut extra);
    if let Value::Object(extra) = extra {
        report.error.extra = extra;
    }
    line(id, Outcome::Errored { error: &report }, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn a_success_is_the_batches_succeeded_shape() {
        let message: Message = serde_json::from_str(
            r#"{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":2}}"#,
        )
        .unwrap();
        let bytes = succeeded_line(&("q1".into(), Some(0xab)), &message, None);
        assert_eq!(bytes.last(), Some(&b'\n'));
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.starts_with(
                r#"{"custom_id":"q1","request_fingerprint":"00000000000000ab","result":{"type":"succeeded","message":{"id":"msg_1""#
            ),
            "{text}"
        );
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["result"]["message"]["content"][0]["text"], "hi");
    }

    #[test]
    fn an_error_is_the_api_error_response_plus_our_verdict() {
        let mut failure = Failure::new(Category::Overloaded, "Overloaded");
        failure.http_status = Some(529);
        failure.error_type = Some("overloaded_error".into());
        failure.request_id = Some("req_1".into());
        let text = String::from_utf8(errored_line(
            &("q2".into(), None),
            &ErrorReport::new(&failure, Some(5)),
        ))
        .unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let error = &value["result"]["error"];
        assert_eq!(value["result"]["type"], "errored");
        assert_eq!(error["type"], "error");
        assert_eq!(error["error"]["type"], "overloaded_error");
        assert_eq!(error["error"]["message"], "Overloaded");
        assert_eq!(error["request_id"], "req_1");
        assert_eq!(error["category"], "overloaded");
        assert_eq!(error["http_status"], 529);
        assert_eq!(error["retryable"], true);
        assert_eq!(error["attempts"], 5);
        assert!(
            error["fix"]
                .as_str()
                .unwrap()
                .contains("status.anthropic.com")
        );
    }

    #[test]
    fn a_batch_result_error_keeps_the_api_error_and_gains_our_verdict() {
        let error: Value = serde_json::from_str(
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded","details":{"x":1}},"request_id":"req_9"}"#,
        )
        .unwrap();
        let text = String::from_utf8(errored_line(
            &("q".into(), None),
            &ErrorReport::from_batch_result(&error),
        ))
        .unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"custom_id":"q","result":{{"type":"errored","error":{{"type":"error","error":{{"type":"overloaded_error","message":"Overloaded","details":{{"x":1}}}},"request_id":"req_9","category":"overloaded","http_status":null,"retryable":true,"fix":{},"attempts":null}}}}}}"#,
                Value::String(Category::Overloaded.fix().to_string())
            ) + "\n"
        );
        let unknown: Value = serde_json::from_str(
            r#"{"type":"error","error":{"type":"brand_new_error","message":"hm"}}"#,
        )
        .unwrap();
        let report = ErrorReport::from_batch_result(&unknown);
        assert_eq!(report.category, Category::ApiError);
        assert_eq!(report.error.kind, "brand_new_error");
        assert_eq!(report.request_id, None);
        let invalid: Value = serde_json::from_str(
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}"#,
        )
        .unwrap();
        let report = ErrorReport::from_batch_result(&invalid);
        assert_eq!(report.category, Category::InvalidRequest);
        assert!(!report.retryable);
        assert_eq!(
            ErrorReport::from_batch_result(&Value::Null).category,
            Category::ApiError
        );
    }

    #[test]
    fn a_failure_without_an_api_type_gets_one_from_its_category() {
        let failure = Failure::new(Category::Connection, "refused");
        let report = ErrorReport::new(&failure, Some(1));
        assert_eq!(report.error.kind, "connection_error");
        assert_eq!(report.http_status, None);
        for category in Category::ALL {
            assert!(!error_type_for(category).is_empty());
        }
    }
}
