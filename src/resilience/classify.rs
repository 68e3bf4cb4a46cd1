//! HTTP outcomes → `Failure`. Pure functions of what the server sent, so every
//! row of the classification table is unit-tested without a socket.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::category::Category;
use super::failure::{Cause, Failure};

/// The response headers classification reads, taken off the wire by the client.
#[derive(Clone, Debug, Default)]
pub struct ResponseMeta {
    pub request_id: Option<String>,
    pub retry_after_ms: Option<String>,
    pub retry_after: Option<String>,
    pub should_retry: Option<String>,
    pub content_type: Option<String>,
    /// Where a 3xx points.
    pub location: Option<String>,
}

/// The parts of an API error body `{"type":"error","error":{..},"request_id":..}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorBody {
    pub error_type: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub error_code: Option<String>,
}

impl ErrorBody {
    /// Reads an API error object; `None` when the value is not one.
    pub fn from_json(value: &Value) -> Option<ErrorBody> {
        let error = value.get("error")?;
        // Every field is the server's text, shown and logged later: scrubbed.
        let text = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .map(|s| crate::secret::scrub(s).into_owned())
        };
        Some(ErrorBody {
            error_type: text(error.get("type")),
            message: text(error.get("message")),
            request_id: text(value.get("request_id")),
            error_code: text(error.get("details").and_then(|d| d.get("error_code"))),
        })
    }

    /// Reads an API error object from raw bytes; `None` when they are not one.
    fn parse(bytes: &[u8]) -> Option<ErrorBody> {
        ErrorBody::from_json(&serde_json::from_slice(bytes).ok()?)
    }
}

/// The category an API `error.type` names on its own (for SSE `event: error`,
/// which has no status). Unknown types give `None` and are classified by status.
pub fn category_for_error_type(error_type: &str) -> Option<Category> {
    Some(match error_type {
        "invalid_request_error" => Category::InvalidRequest,
        "authentication_error" => Category::Authentication,
        "billing_error" => Category::Billing,
        "permission_error" => Category::Permission,
        "not_found_error" => Category::NotFound,
        "request_too_large" => Category::RequestTooLarge,
        "rate_limit_error" => Category::RateLimit,
        "api_error" => Category::ApiError,
        "overloaded_error" => Category::Overloaded,
        "timeout_error" => Category::Timeout,
        "conflict_error" => Category::Conflict,
        _ => return None,
    })
}

/// A status with nothing else known (no body, no headers), as someone quoting
/// an error may have it. The same table `classify_response` starts from.
pub fn classify_status(status: u16) -> Failure {
    by_status(status, format!("HTTP {status}"))
}

/// `message` with what its status alone says: the category, and the cause
/// a timeout has.
fn by_status(status: u16, message: String) -> Failure {
    let category = category_for_status(status);
    let mut failure = Failure::new(category, message);
    failure.cause = (category == Category::Timeout).then_some(Cause::ServerTimeout);
    failure.http_status = Some(status);
    failure
}

fn category_for_status(status: u16) -> Category {
    match status {
        400 | 422 => Category::InvalidRequest,
        401 => Category::Authentication,
        402 => Category::Billing,
        403 => Category::Permission,
        404 => Category::NotFound,
        // The SDKs retry a server-side request timeout; so do we. A gateway
        // timeout is the same failure one hop further out.
        408 | 504 => Category::Timeout,
        409 => Category::Conflict,
        413 => Category::RequestTooLarge,
        429 => Category::RateLimit,
        529 => Category::Overloaded,
        500..=599 => Category::ApiError,
        400..=499 => Category::InvalidRequest,
        _ => Category::InvalidResponse,
    }
}

/// Refines the category with what the error body says beyond its status.
fn refine(status_category: Category, body: &ErrorBody) -> (Category, Option<Cause>) {
    let error_type = body.error_type.as_deref();
    let overloaded = error_type == Some("overloaded_error")
        || (error_type == Some("api_error")
            && body.message.as_deref().map(str::trim) == Some("Overloaded"));
    if overloaded {
        return (Category::Overloaded, None);
    }
    if body.error_code.as_deref() == Some("enforced_spend_limit_reached") {
        return (Category::Billing, Some(Cause::SpendLimit));
    }
    let message = body.message.as_deref().unwrap_or("").to_ascii_lowercase();
    if message.contains("credit balance is too low") {
        return (Category::Billing, Some(Cause::LowCredit));
    }
    // A spend limit the user set arrives as a 400 invalid_request_error:
    // "You have reached your specified API usage limits. You will regain
    // access on … UTC". Nothing in the request is wrong, and every request
    // fails alike until then.
    if message.contains("reached your specified") || message.contains("you will regain access on") {
        return (Category::Billing, Some(Cause::SpendLimit));
    }
    if message.contains("prompt is too long") {
        return (status_category, Some(Cause::PromptTooLong));
    }
    if message.contains("temperature") && message.contains("deprecated for this model") {
        return (status_category, Some(Cause::TemperatureRejected));
    }
    // 504 and timeout_error are one failure: the server (or a gateway in
    // front of it) gave up on the request, whatever path reported it.
    if status_category == Category::Timeout || error_type == Some("timeout_error") {
        return (Category::Timeout, Some(Cause::ServerTimeout));
    }
    (status_category, None)
}

/// Classifies a non-success HTTP response.
pub fn classify_response(
    status: u16,
    meta: &ResponseMeta,
    body: &[u8],
    now: SystemTime,
) -> Failure {
    if (300..400).contains(&status) {
        return redirect(status, meta);
    }
    let status_category = category_for_status(status);
    let mut failure = match ErrorBody::parse(body) {
        Some(error_body) => from_body(status_category, error_body, || {
            format!("HTTP {status} with no error message")
        }),
        None => classify_unreadable_error(status, status_category, meta, body),
    };
    failure.http_status = Some(status);
    failure.request_id = meta.request_id.clone().or(failure.request_id);
    failure.retry_after = parse_retry_after(
        meta.retry_after_ms.as_deref(),
        meta.retry_after.as_deref(),
        now,
    );
    failure.should_retry = parse_should_retry(meta.should_retry.as_deref());
    failure
}

/// The Messages API never redirects, so a 3xx is never followed: following
/// would send the key to wherever the `Location` points, and a 301 or 302
/// turns the POST into a GET without the prompt. It is a failure of the base
/// URL (or of a captive portal in front of it), and no retry mends it.
fn redirect(status: u16, meta: &ResponseMeta) -> Failure {
    let message = match &meta.location {
        Some(location) => {
            let location: String = location.chars().take(300).collect();
            format!(
                "the base URL redirects (HTTP {status}) to {location}; the API never redirects, so claude-rs does not follow"
            )
        }
        None => format!(
            "the base URL answered with a redirect (HTTP {status}) and no Location; the API never redirects"
        ),
    };
    let mut failure = Failure::new(Category::Connection, message).with_cause(Cause::Redirect);
    failure.http_status = Some(status);
    failure.request_id = meta.request_id.clone();
    failure
}

/// An error response whose body is not the API's JSON: usually a proxy's page.
fn classify_unreadable_error(
    status: u16,
    status_category: Category,
    meta: &ResponseMeta,
    body: &[u8],
) -> Failure {
    let looks_like_html = meta
        .content_type
        .as_deref()
        .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
        || body.trim_ascii_start().starts_with(b"<");
    if looks_like_html {
        let category = match status_category {
            // A gateway's timeout page is still a timeout.
            Category::Timeout => Category::Timeout,
            _ if status >= 500 => Category::ApiError,
            other => other,
        };
        let message = match html_title(body).filter(|title| !title.is_empty()) {
            Some(title) => format!(
                "an HTML page \"{title}\" instead of the API's JSON (a proxy or load balancer answered)"
            ),
            None => "an HTML page instead of the API's JSON (a proxy or load balancer answered)"
                .to_string(),
        };
        return Failure::new(category, message).with_cause(Cause::HtmlPage);
    }
    // Leading blanks do not make a body empty: quote from its first text.
    let text = body.trim_ascii_start();
    let snippet = String::from_utf8_lossy(&text[..text.len().min(200)]).into_owned();
    let message = if snippet.trim().is_empty() {
        "an empty body instead of the API's error JSON".to_string()
    } else {
        format!("a body that is not the API's error JSON: {snippet}")
    };
    by_status(status, message)
}

fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned();
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    Some(text[start..end].trim().to_string())
}

/// A 200 reply that is no answer: the model refused (`stop_reason` refusal,
/// with `stop_details` naming its category and explanation). Never retried:
/// the same request gets the same refusal.
pub fn classify_stop(
    stop_reason: Option<&str>,
    stop_details: Option<&Value>,
    request_id: Option<&str>,
) -> Option<Failure> {
    if stop_reason != Some("refusal") {
        return None;
    }
    let detail = |key: &str| {
        stop_details
            .and_then(|d| d.get(key))
            .and_then(Value::as_str)
            .map(|s| s.chars().take(500).collect::<String>())
    };
    let message = match (detail("category"), detail("explanation")) {
        (Some(category), Some(explanation)) => {
            format!("the model refused ({category}): {explanation}")
        }
        (Some(category), None) => format!("the model refused ({category})"),
        (None, Some(explanation)) => format!("the model refused: {explanation}"),
        (None, None) => "the model refused to answer (stop_reason refusal)".to_string(),
    };
    let mut failure = Failure::new(Category::Refusal, message);
    failure.http_status = Some(200);
    failure.error_type = Some("refusal".into());
    failure.request_id = request_id.map(str::to_string);
    Some(failure)
}

/// Classifies an SSE `event: error` that arrived after a 200.
pub fn classify_stream_error(data: &str, request_id: Option<&str>) -> Failure {
    let mut failure = match ErrorBody::parse(data.as_bytes()) {
        Some(body) => classify_error_body(body),
        None => Failure::new(
            Category::InvalidResponse,
            format!("the stream sent an error event that is not the API's error JSON: {data}"),
        ),
    };
    failure.request_id = request_id.map(str::to_string).or(failure.request_id);
    failure
}

/// Classifies an API error body that came without an HTTP status: the data
/// of an SSE `event: error`, or a body quoted on its own. With no status to
/// fall back on, an unknown `error.type` counts as `api_error`.
pub fn classify_error_body(body: ErrorBody) -> Failure {
    let by_type = body
        .error_type
        .as_deref()
        .and_then(category_for_error_type)
        .unwrap_or(Category::ApiError);
    from_body(by_type, body, || "error event with no message".into())
}

/// The failure an API error body describes, starting from the category `by`
/// its status or type names; `no_message` when the body has none.
fn from_body(by: Category, body: ErrorBody, no_message: impl FnOnce() -> String) -> Failure {
    let (category, cause) = refine(by, &body);
    let mut failure = Failure::new(category, body.message.unwrap_or_else(no_message));
    failure.cause = cause;
    failure.error_type = body.error_type;
    failure.request_id = body.request_id;
    failure
}

fn parse_should_retry(value: Option<&str>) -> Option<bool> {
    value?.trim().to_ascii_lowercase().parse().ok()
}

/// The longest retry-after kept as sent. Every cap of the policy is far
/// below it, so a longer ask still gives up as too long; clamping here only
/// keeps a server's `1e30` from reaching duration and date arithmetic.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(86_400);

/// `retry-after-ms` wins over `retry-after`, which is seconds or an HTTP date.
/// Zero, negative or unreadable values count as absent; anything longer than
/// `RETRY_AFTER_MAX` (up to infinity) counts as `RETRY_AFTER_MAX`.
pub fn parse_retry_after(
    ms: Option<&str>,
    secs: Option<&str>,
    now: SystemTime,
) -> Option<Duration> {
    let millis = ms.and_then(|v| v.trim().parse::<f64>().ok());
    if let Some(wait) = millis.and_then(|ms| positive_seconds(ms / 1000.0)) {
        return Some(wait);
    }
    let secs = secs?.trim();
    if let Ok(seconds) = secs.parse::<f64>() {
        return positive_seconds(seconds);
    }
    let at = httpdate::parse_http_date(secs).ok()?;
    let wait = at.duration_since(now).ok()?;
    (!wait.is_zero()).then(|| wait.min(RETRY_AFTER_MAX))
}

/// A wait in seconds from the wire, clamped before it becomes a `Duration`;
/// `None` unless above zero (NaN included).
fn positive_seconds(seconds: f64) -> Option<Duration> {
    if seconds.is_nan() || seconds <= 0.0 {
        return None;
    }
    let clamped = seconds.min(RETRY_AFTER_MAX.as_secs_f64());
    Duration::try_from_secs_f64(clamped)
        .ok()
        .filter(|wait| !wait.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn body(error_type: &str, message: &str) -> Vec<u8> {
        serde_json::json!({"type":"error","error":{"type":error_type,"message":message},"request_id":"req_body"})
            .to_string()
            .into_bytes()
    }

    fn classify(status: u16, body: &[u8]) -> Failure {
        classify_response(
            status,
            &ResponseMeta::default(),
            body,
            SystemTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn every_status_in_the_table_maps_to_its_category() {
        let table = [
            (400, "invalid_request_error", Category::InvalidRequest),
            (422, "invalid_request_error", Category::InvalidRequest),
            (418, "teapot_error", Category::InvalidRequest),
            (401, "authentication_error", Category::Authentication),
            (402, "billing_error", Category::Billing),
            (403, "permission_error", Category::Permission),
            (404, "not_found_error", Category::NotFound),
            (408, "timeout_error", Category::Timeout),
            (409, "conflict_error", Category::Conflict),
            (413, "request_too_large", Category::RequestTooLarge),
            (429, "rate_limit_error", Category::RateLimit),
            (500, "api_error", Category::ApiError),
            (502, "api_error", Category::ApiError),
            (503, "api_error", Category::ApiError),
            (504, "api_error", Category::Timeout),
            (599, "api_error", Category::ApiError),
            (529, "overloaded_error", Category::Overloaded),
        ];
        for (status, error_type, category) in table {
            let failure = classify(status, &body(error_type, "m"));
            assert_eq!(failure.category, category, "HTTP {status}");
            assert_eq!(failure.http_status, Some(status));
            assert_eq!(failure.error_type.as_deref(), Some(error_type));
            assert_eq!(failure.request_id.as_deref(), Some("req_body"));
        }
    }

    #[test]
    fn overloaded_error_wins_whatever_the_status() {
        assert_eq!(
            classify(500, &body("overloaded_error", "x")).category,
            Category::Overloaded
        );
        assert_eq!(
            classify(500, &body("api_error", "Overloaded")).category,
            Category::Overloaded
        );
        assert_eq!(
            classify(500, &body("api_error", "Internal")).category,
            Category::ApiError
        );
    }

    #[test]
    fn low_credit_400_is_billing_and_not_retried() {
        let failure = classify(
            400,
            &body(
                "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API.",
            ),
        );
        assert_eq!(failure.category, Category::Billing);
        assert_eq!(failure.cause, Some(Cause::LowCredit));
        assert!(!failure.retryable());
    }

    #[test]
    fn spend_limit_429_is_billing_and_never_retried() {
        let raw = serde_json::json!({"type":"error","error":{"type":"rate_limit_error","message":"spend limit","details":{"error_code":"enforced_spend_limit_reached"}}});
        let failure = classify(429, raw.to_string().as_bytes());
        assert_eq!(failure.category, Category::Billing);
        assert_eq!(failure.cause, Some(Cause::SpendLimit));
        assert!(!failure.retryable());
    }

    #[test]
    fn html_502_from_a_proxy_is_api_error() {
        let meta = ResponseMeta {
            content_type: Some("text/html".into()),
            ..Default::default()
        };
        let page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
        let failure = classify_response(502, &meta, page, SystemTime::UNIX_EPOCH);
        assert_eq!(failure.category, Category::ApiError);
        assert_eq!(failure.cause, Some(Cause::HtmlPage));
        assert!(
            failure.message.contains("502 Bad Gateway"),
            "{}",
            failure.message
        );
        assert!(failure.retryable());
    }

    #[test]
    fn unknown_error_types_are_kept_and_classified_by_status() {
        let failure = classify(503, &body("brand_new_error", "new"));
        assert_eq!(failure.category, Category::ApiError);
        assert_eq!(failure.error_type.as_deref(), Some("brand_new_error"));
    }

    #[test]
    fn header_request_id_wins_over_body() {
        let meta = ResponseMeta {
            request_id: Some("req_header".into()),
            ..Default::default()
        };
        let failure =
            classify_response(500, &meta, &body("api_error", "x"), SystemTime::UNIX_EPOCH);
        assert_eq!(failure.request_id.as_deref(), Some("req_header"));
    }

    #[test]
    fn should_retry_header_is_read() {
        let meta = ResponseMeta {
            should_retry: Some("false".into()),
            ..Default::default()
        };
        let failure = classify_response(
            529,
            &meta,
            &body("overloaded_error", "x"),
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(failure.should_retry, Some(false));
        assert!(!failure.retryable());
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            parse_retry_after(Some("1500"), Some("9"), now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after(None, Some("2"), now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            parse_retry_after(None, Some("0.5"), now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_retry_after(None, Some("0"), now), None);
        assert_eq!(parse_retry_after(None, Some("-3"), now), None);
        assert_eq!(
            parse_retry_after(Some("0"), Some("4"), now),
            Some(Duration::from_secs(4))
        );
        assert_eq!(parse_retry_after(None, Some("soon"), now), None);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(None, Some(&later), now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(None, Some(&earlier), now), None);
    }

    #[test]
    fn a_spend_limit_the_user_set_is_billing_with_the_date_access_returns() {
        let message = "You have reached your specified API usage limits. You will regain access on 2027-01-01 at 00:00 UTC.";
        let failure = classify(400, &body("invalid_request_error", message));
        assert_eq!(failure.category, Category::Billing);
        assert_eq!(failure.cause, Some(Cause::SpendLimit));
        assert!(!failure.retryable());
        assert!(failure.fails_every_request());
        assert!(
            failure
                .fix()
                .ends_with("Access returns on 2027-01-01 at 00:00 UTC."),
            "{}",
            failure.fix()
        );
        // The same text quoted with no status (a stream's error event).
        let quoted = classify_stream_error(
            &String::from_utf8(body("invalid_request_error", message)).unwrap(),
            None,
        );
        assert_eq!(quoted.category, Category::Billing);
    }

    #[test]
    fn a_gateway_timeout_and_timeout_error_are_one_server_side_failure_everywhere() {
        let over_http = classify(504, &body("api_error", "Gateway timeout"));
        let bare = classify(504, b"");
        let html = classify_response(
            504,
            &ResponseMeta {
                content_type: Some("text/html".into()),
                ..ResponseMeta::default()
            },
            b"<html><title>504 Gateway Time-out</title></html>",
            SystemTime::UNIX_EPOCH,
        );
        let in_a_stream = classify_stream_error(
            r#"{"type":"error","error":{"type":"timeout_error","message":"Request timed out"}}"#,
            None,
        );
        let alone = classify_status(504);
        for failure in [&over_http, &bare, &html, &in_a_stream, &alone] {
            assert_eq!(failure.category, Category::Timeout, "{failure:?}");
            assert!(failure.retryable(), "{failure:?}");
        }
        for failure in [&over_http, &bare, &in_a_stream, &alone] {
            assert_eq!(failure.cause, Some(Cause::ServerTimeout));
            assert!(failure.fix().contains("the network is fine"));
        }
    }

    #[test]
    fn known_400s_get_their_own_fix() {
        let long = classify(
            400,
            &body(
                "invalid_request_error",
                "prompt is too long: 203284 tokens > 200000 maximum",
            ),
        );
        assert_eq!(long.category, Category::InvalidRequest);
        assert_eq!(long.cause, Some(Cause::PromptTooLong));
        assert!(
            long.fix()
                .starts_with("The prompt is 203284 tokens, over the model's 200000-token input limit: cut at least 3284 tokens"),
            "{}",
            long.fix()
        );
        let temperature = classify(
            400,
            &body(
                "invalid_request_error",
                "`temperature` is deprecated for this model.",
            ),
        );
        assert_eq!(temperature.cause, Some(Cause::TemperatureRejected));
        assert!(temperature.fix().contains("drop --temperature"));
        assert!(!temperature.retryable());
    }

    #[test]
    fn conflict_error_is_a_conflict_in_every_path() {
        let data = r#"{"type":"error","error":{"type":"conflict_error","message":"Conflict"}}"#;
        assert_eq!(
            classify_stream_error(data, None).category,
            Category::Conflict
        );
        assert_eq!(classify(409, data.as_bytes()).category, Category::Conflict);
    }

    #[test]
    fn stream_error_event_is_classified_by_type() {
        let data = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let failure = classify_stream_error(data, Some("req_1"));
        assert_eq!(failure.category, Category::Overloaded);
        assert_eq!(failure.http_status, None);
        assert_eq!(failure.request_id.as_deref(), Some("req_1"));
        let unknown = r#"{"type":"error","error":{"type":"mystery_error","message":"?"}}"#;
        assert_eq!(
            classify_stream_error(unknown, None).category,
            Category::ApiError
        );
        assert_eq!(
            classify_stream_error("garbage", None).category,
            Category::InvalidResponse
        );
    }

    #[test]
    fn status_alone_matches_the_status_column_of_classify_response() {
        for status in 400..=599 {
            let alone = classify_status(status);
            assert_eq!(alone.http_status, Some(status));
            assert_eq!(alone.error_type, None);
            // An empty body leaves nothing but the status to classify by.
            let empty = classify(status, b"");
            assert_eq!(alone.category, empty.category, "HTTP {status}");
            assert_eq!(alone.cause, empty.cause, "HTTP {status}");
        }
        assert_eq!(classify_status(529).category, Category::Overloaded);
        assert_eq!(classify_status(408).category, Category::Timeout);
        assert_eq!(classify_status(418).category, Category::InvalidRequest);
    }

    #[test]
    fn error_body_without_status_is_classified_by_type_and_refined() {
        let typed = |error_type: &str| ErrorBody {
            error_type: Some(error_type.into()),
            ..ErrorBody::default()
        };
        assert_eq!(
            classify_error_body(typed("rate_limit_error")).category,
            Category::RateLimit
        );
        let unknown = classify_error_body(typed("brand_new_error"));
        assert_eq!(unknown.category, Category::ApiError);
        assert_eq!(unknown.error_type.as_deref(), Some("brand_new_error"));
        let spend = classify_error_body(ErrorBody {
            error_code: Some("enforced_spend_limit_reached".into()),
            request_id: Some("req_1".into()),
            ..typed("rate_limit_error")
        });
        assert_eq!(spend.category, Category::Billing);
        assert_eq!(spend.cause, Some(Cause::SpendLimit));
        assert_eq!(spend.request_id.as_deref(), Some("req_1"));
        assert!(!spend.retryable());
    }

    #[test]
    fn stream_error_request_id_prefers_the_header() {
        let data = r#"{"type":"error","error":{"type":"api_error","message":"x"},"request_id":"req_body"}"#;
        assert_eq!(
            classify_stream_error(data, Some("req_head"))
                .request_id
                .as_deref(),
            Some("req_head")
        );
        assert_eq!(
            classify_stream_error(data, None).request_id.as_deref(),
            Some("req_body")
        );
    }

    #[test]
    fn endless_retry_afters_are_clamped_not_panicked_on() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for ms in ["1e30", "1e15", "inf", "1e400", "18446744073709551616"] {
            assert_eq!(
                parse_retry_after(Some(ms), None, now),
                Some(RETRY_AFTER_MAX),
                "{ms}"
            );
        }
        for secs in ["99999999999", "1e308", "Fri, 31 Dec 9999 23:59:59 GMT"] {
            assert_eq!(
                parse_retry_after(None, Some(secs), now),
                Some(RETRY_AFTER_MAX),
                "{secs}"
            );
        }
        for absent in ["NaN", "-inf", "-1e30", "1e-30", ""] {
            assert_eq!(parse_retry_after(Some(absent), None, now), None, "{absent}");
        }
    }

    /// Header values a hostile server or proxy might send: anything at all,
    /// numbers in every spelling, and dates from any year.
    fn header_value() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(prop_oneof![
            any::<String>(),
            "[-+]?[0-9]{0,30}(\\.[0-9]{0,10})?([eE][-+]?[0-9]{1,4})?",
            any::<f64>().prop_map(|f| f.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            prop::sample::select(vec![
                "NaN",
                "inf",
                "-inf",
                "infinity",
                "true",
                "false",
                "TRUE",
                " true ",
                "Fri, 31 Dec 9999 23:59:59 GMT",
                "Thu, 01 Jan 1970 00:00:00 GMT",
                "text/html",
                "application/json",
            ])
            .prop_map(str::to_string),
            (0u64..253_402_300_799).prop_map(|s| httpdate::fmt_http_date(
                SystemTime::UNIX_EPOCH + Duration::from_secs(s)
            )),
        ])
    }

    fn meta() -> impl Strategy<Value = ResponseMeta> {
        (
            header_value(),
            header_value(),
            header_value(),
            header_value(),
            header_value(),
            header_value(),
        )
            .prop_map(
                |(
                    request_id,
                    retry_after_ms,
                    retry_after,
                    should_retry,
                    content_type,
                    location,
                )| {
                    ResponseMeta {
                        request_id,
                        retry_after_ms,
                        retry_after,
                        should_retry,
                        content_type,
                        location,
                    }
                },
            )
    }

    /// Arbitrary bytes, and error bodies that are almost the API's.
    fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..600),
            (any::<String>(), any::<String>(), any::<Option<String>>()).prop_map(
                |(error_type, message, code)| {
                    serde_json::json!({"type":"error","error":{"type":error_type,"message":message,
                        "details":{"error_code":code}},"request_id":"req_p"})
                    .to_string()
                    .into_bytes()
                }
            ),
            any::<String>().prop_map(|title| format!("<html><title>{title}</title>").into_bytes()),
        ]
    }

    fn any_time() -> impl Strategy<Value = SystemTime> {
        (0u64..1 << 40).prop_map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
    }

    proptest! {
        #[test]
        fn classification_never_panics_and_clamps_every_wait(
            status in any::<u16>(),
            meta in meta(),
            body in body_bytes(),
            now in any_time(),
        ) {
            let failure = classify_response(status, &meta, &body, now);
            prop_assert_eq!(failure.http_status, Some(status));
            if let Some(wait) = failure.retry_after {
                prop_assert!(!wait.is_zero() && wait <= RETRY_AFTER_MAX, "{:?}", wait);
            }
            let _ = classify_status(status);
            let _ = failure.fix();
            let _ = failure.label();
        }

        #[test]
        fn the_key_permissions_and_billing_are_never_retried_whatever_the_headers(
            status in prop::sample::select(vec![401u16, 402, 403]),
            meta in meta(),
            body in body_bytes(),
            now in any_time(),
            attempt in 1u32..10,
        ) {
            let failure = classify_response(status, &meta, &body, now);
            let state = crate::resilience::policy::AttemptState {
                attempt,
                elapsed: Duration::ZERO,
                output_shown: false,
                may_have_taken_effect: false,
            };
            // A body can still make it another category (overloaded_error
            // wins whatever the status); what stays account-wide never retries.
            if failure.category.is_account_wide() {
                let decision = crate::resilience::RetryPolicy::default().decide(&failure, state, 0.0);
                prop_assert!(
                    !matches!(decision, crate::resilience::Decision::Retry { .. }),
                    "{:?} retried", failure.category
                );
            }
        }

        #[test]
        fn stream_error_events_never_panic(data in any::<String>(), id in any::<Option<String>>()) {
            let _ = classify_stream_error(&data, id.as_deref());
        }
    }

    #[test]
    fn non_json_error_body_keeps_a_snippet() {
        let failure = classify(500, b"upstream connect error");
        assert_eq!(failure.category, Category::ApiError);
        assert!(failure.message.contains("upstream connect error"));
        let failure = classify(503, b"");
        assert!(failure.message.contains("empty body"));
    }
}
