//! What the fake server does with one scripted request (`POST /v1/messages`,
//! or any Message Batches call), and the compact string syntax used by
//! `claude-rs mock --script` and `ask --mock`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One scripted answer to a `POST /v1/messages` request. Message Batches calls
/// take steps from the same sequence: there the error, proxy-page and
/// connection steps act as here and the call does not take effect; `truncated`
/// and `invalid-json` damage the 200 answer of a call that did take effect;
/// the rest (stream faults, `slow`, `reply=`, the steps that pass a bound,
/// `html-200`) give the normal answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Success with the echo reply; JSON or SSE depending on the request's `"stream"`.
    Ok,
    /// Success with exactly this reply text.
    Reply(String),
    /// An API error JSON body for `status`; `None` fields take the canonical values.
    Status {
        status: u16,
        error_type: Option<String>,
        message: Option<String>,
        headers: Vec<(String, String)>,
    },
    /// 429 `rate_limit_error` without `retry-after`, `error.details.error_code = "enforced_spend_limit_reached"`.
    SpendLimit,
    /// 400 `invalid_request_error` about the credit balance.
    LowCredit,
    /// 500 whose `error.type` is `api_error` but whose message is `Overloaded`.
    OverloadedAs500,
    /// 502 HTML page from a proxy, without `request-id`.
    Html502,
    /// Reads the request, then closes the connection without answering.
    Reset,
    /// Reads the request and never answers (until the server is dropped).
    Hang,
    /// 200 JSON whose `content-length` promises more than is sent, then closes.
    Truncated,
    /// 200 `application/json` whose body is not JSON.
    InvalidJson,
    /// 200 SSE that starts a reply, then sends an `event: error` and ends the body.
    ///
    /// This and the other SSE steps answer SSE even to a request without `"stream": true`.
    SseError { error_type: String, message: String },
    /// 200 SSE cut (connection closed mid-body) after two text deltas.
    SseCut,
    /// 200 SSE cut right after `message_start`.
    SseCutBeforeText,
    /// 200 SSE with a whole reply but no `message_stop`.
    SseNoStop,
    /// 200 SSE (`message_start`, `content_block_start`, one text delta) that then goes
    /// silent with the connection open, until the server is dropped.
    Stall,
    /// 200 SSE with `deltas` text deltas (`Slow part N of DELTAS. `) `gap` apart, then a normal end.
    Slow { deltas: u32, gap: Duration },
    /// A hostile server or proxy: echoes the `x-api-key` it received back in
    /// one place of a failure.
    EchoKey(EchoPlace),
    /// 200 SSE with a whole reply, `message_stop` included, after which the body
    /// never ends: the connection stays open until the server is dropped.
    SseHold,
    /// 200 SSE with a whole reply whose lines end in a bare CR, after a leading BOM.
    SseCr,
    /// 200 SSE: `message_start`, then one `data:` line of this many bytes,
    /// streamed without ever being held in memory (`u64::MAX` is endless).
    SseLongLine(u64),
    /// A `text/plain` body of `bytes` bytes with `status` (500 unless given;
    /// 200 sends it as `application/json`), streamed without being held in memory.
    HugeBody { bytes: u64, status: u16 },
    /// A normal answer whose head carries one header of this many bytes.
    HugeHeader(u64),
    /// 200 `text/html`: a proxy's or captive portal's sign-in page, no `request-id`.
    Html200,
    /// 200 whose reply the model refused: `stop_reason` refusal, with
    /// `stop_details` naming a category and an explanation.
    Refusal,
    /// 200 whose reply stopped at the model's context window
    /// (`stop_reason` model_context_window_exceeded).
    ContextWindow,
}

/// Where `echo-key=PLACE` puts the key it received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoPlace {
    /// A 401 API error JSON whose message quotes the key.
    Json,
    /// A 502 HTML page whose title quotes the key.
    Html,
    /// A 500 `text/plain` body that quotes the key.
    Text,
    /// A 200 SSE stream whose `event: error` quotes the key.
    Sse,
    /// A 401 whose `request-id` and rate-limit headers quote the key.
    Header,
}

impl EchoPlace {
    const ALL: [(EchoPlace, &'static str); 5] = [
        (EchoPlace::Json, "json"),
        (EchoPlace::Html, "html"),
        (EchoPlace::Text, "text"),
        (EchoPlace::Sse, "sse"),
        (EchoPlace::Header, "header"),
    ];

    fn name(self) -> &'static str {
        EchoPlace::ALL
            .iter()
            .find(|(place, _)| *place == self)
            .map_or("json", |(_, name)| name)
    }
}

pub(crate) const DEFAULT_SSE_ERROR_TYPE: &str = "overloaded_error";
pub(crate) const DEFAULT_SLOW_DELTAS: u32 = 10;
pub(crate) const DEFAULT_SLOW_GAP: Duration = Duration::from_millis(200);
pub(crate) const DEFAULT_HUGE_BODY_STATUS: u16 = 500;

/// Every form a step takes, for help texts and errors.
pub const STEP_FORMS: &str = "ok, reply=TEXT, \
<status>[:retry-after=S][:retry-after-ms=MS][:x-should-retry=BOOL][:type=ERROR_TYPE][:HEADER=VALUE][:message=TEXT], \
spend-limit, low-credit, overloaded-500, html-502, reset, hang, truncated, invalid-json, \
sse-error[=ERROR_TYPE][:message=TEXT], sse-cut, sse-cut-before-text, sse-no-stop, stall, slow[=DELTAS/GAPMS], \
echo-key=json|html|text|sse|header, sse-hold, sse-cr, sse-long-line=BYTES, huge-body=BYTES[/STATUS], huge-header=BYTES, html-200, refusal, context-window; \
a 3xx status with :location=URL redirects; \
STEP*N is N copies of STEP (ok*20,429:retry-after=1 makes the 21st request the limits admit a 429)";

/// The most copies `STEP*N` makes: a script is held in memory.
const MAX_REPEAT: usize = 100_000;

/// A script: steps separated by commas, blanks skipped, `STEP*N` for N copies of STEP.
pub fn parse_script(script: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for text in script.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (step, copies) = match text.rsplit_once('*') {
            Some((step, count))
                if !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit()) =>
            {
                let copies = count
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_REPEAT).contains(n))
                    .ok_or_else(|| format!("'{text}': give 1 to {MAX_REPEAT} copies of a step"))?;
                (step, copies)
            }
            _ => (text, 1),
        };
        let step: Step = step.parse()?;
        if steps.len().saturating_add(copies) > MAX_REPEAT {
            return Err(format!(
                "'{script}': a script holds at most {MAX_REPEAT} steps"
            ));
        }
        steps.extend(std::iter::repeat_n(step, copies));
    }
    Ok(steps)
}

/// The message an error of this type carries when none is given.
pub(crate) fn canonical_message_for_type(error_type: &str) -> &'static str {
    match error_type {
        "overloaded_error" => "Overloaded",
        "rate_limit_error" => "Number of requests has exceeded your per-minute rate limit",
        "authentication_error" => "invalid x-api-key",
        "permission_error" => {
            "Your API key does not have permission to use the specified resource."
        }
        "not_found_error" => "Not found",
        "request_too_large" => "Request exceeds the maximum allowed number of bytes.",
        "billing_error" => "Your account has a billing issue. Please check Plans & Billing.",
        "timeout_error" => "Request timed out",
        "conflict_error" => "Conflict",
        "invalid_request_error" => "Invalid request",
        _ => "Internal server error",
    }
}

/// Parses one step of a `--script`: `ok`, `reply=TEXT`, `529`,
/// `429:retry-after=2:x-should-retry=false`, `500:type=api_error:message=TEXT`,
/// `sse-error=api_error`, `slow=5/300`, ... (the error lists every form).
/// Keywords are case-insensitive; reply and message text is kept verbatim.
impl FromStr for Step {
    type Err = String;

    fn from_str(text: &str) -> Result<Step, String> {
        let text = text.trim();
        let (keyword, argument) = match text.split_once('=') {
            Some((keyword, argument)) => (keyword, Some(argument)),
            None => (text, None),
        };
        let keyword = keyword.to_ascii_lowercase();
        if keyword.starts_with(|c: char| c.is_ascii_digit()) {
            return parse_status(text);
        }
        match (keyword.as_str(), argument) {
            ("reply", Some(reply)) => Ok(Step::Reply(reply.to_string())),
            ("sse-error", argument) => parse_sse_error(text, argument),
            ("slow", None) => Ok(Step::Slow {
                deltas: DEFAULT_SLOW_DELTAS,
                gap: DEFAULT_SLOW_GAP,
            }),
            ("slow", Some(argument)) => parse_slow(text, argument),
            ("echo-key", Some(place)) => EchoPlace::ALL
                .iter()
                .find(|(_, name)| name.eq_ignore_ascii_case(place.trim()))
                .map(|(place, _)| Step::EchoKey(*place))
                .ok_or_else(|| unknown_step(text)),
            ("sse-long-line", Some(bytes)) => parse_bytes(text, bytes).map(Step::SseLongLine),
            ("huge-header", Some(bytes)) => parse_bytes(text, bytes).map(Step::HugeHeader),
            ("huge-body", Some(argument)) => parse_huge_body(text, argument),
            (keyword, None) => simple_step(keyword).ok_or_else(|| unknown_step(text)),
            _ => Err(unknown_step(text)),
        }
    }
}

fn simple_step(keyword: &str) -> Option<Step> {
    let step = match keyword {
        "ok" => Step::Ok,
        "spend-limit" => Step::SpendLimit,
        "low-credit" => Step::LowCredit,
        "overloaded-500" => Step::OverloadedAs500,
        "html-502" => Step::Html502,
        "reset" => Step::Reset,
        "hang" => Step::Hang,
        "truncated" => Step::Truncated,
        "invalid-json" => Step::InvalidJson,
        "sse-cut" => Step::SseCut,
        "sse-cut-before-text" => Step::SseCutBeforeText,
        "sse-no-stop" => Step::SseNoStop,
        "stall" => Step::Stall,
        "sse-hold" => Step::SseHold,
        "sse-cr" => Step::SseCr,
        "html-200" => Step::Html200,
        "refusal" => Step::Refusal,
        "context-window" => Step::ContextWindow,
        _ => return None,
    };
    Some(step)
}

fn unknown_step(text: &str) -> String {
    format!("unknown step '{text}': expected one of {STEP_FORMS}")
}

/// `429:retry-after=2:type=rate_limit_error:message=Slow down`.
fn parse_status(text: &str) -> Result<Step, String> {
    let (code, options) = match text.split_once(':') {
        Some((code, options)) => (code, Some(options)),
        None => (text, None),
    };
    let status = code
        .parse::<u16>()
        .ok()
        .filter(|status| (300..=599).contains(status))
        .ok_or_else(|| {
            format!("invalid status '{code}' in step '{text}': expected a number from 300 to 599")
        })?;
    let mut error_type = None;
    let mut message = None;
    let mut headers = Vec::new();
    for (key, value) in split_options(text, options.unwrap_or(""))? {
        match key.as_str() {
            "type" => error_type = Some(value),
            "message" => message = Some(value),
            _ => headers.push((key, value)),
        }
    }
    Ok(Step::Status {
        status,
        error_type,
        message,
        headers,
    })
}

/// Splits `key=value:key=value` pairs. A `:` not followed by `key=` belongs to
/// the previous value (so `retry-after=Wed, 21 Oct 2015 07:28:00 GMT` survives),
/// and `message=` swallows the rest because free text may contain anything.
fn split_options(text: &str, options: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if options.is_empty() {
        return Ok(pairs);
    }
    let mut rest = options;
    loop {
        let (segment, remainder) = match rest.split_once(':') {
            Some((segment, remainder)) => (segment, Some(remainder)),
            None => (rest, None),
        };
        match segment
            .split_once('=')
            .filter(|(key, _)| is_option_key(key))
        {
            Some((key, _)) if key.eq_ignore_ascii_case("message") => {
                let message = &rest[key.len() + 1..];
                pairs.push(("message".to_string(), message.to_string()));
                return Ok(pairs);
            }
            Some((key, value)) => pairs.push((key.to_ascii_lowercase(), value.to_string())),
            None => match pairs.last_mut() {
                Some((_, value)) => {
                    value.push(':');
                    value.push_str(segment);
                }
                None => {
                    return Err(format!(
                        "invalid option '{segment}' in step '{text}': expected KEY=VALUE, \
                         e.g. 429:retry-after=2"
                    ));
                }
            },
        }
        match remainder {
            Some(remainder) => rest = remainder,
            None => return Ok(pairs),
        }
    }
}

/// Option keys double as header names, so they must be HTTP tokens.
fn is_option_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `sse-error`, `sse-error=api_error`, `sse-error=api_error:message=Boom`.
fn parse_sse_error(text: &str, argument: Option<&str>) -> Result<Step, String> {
    let Some(argument) = argument else {
        return Ok(Step::SseError {
            error_type: DEFAULT_SSE_ERROR_TYPE.to_string(),
            message: canonical_message_for_type(DEFAULT_SSE_ERROR_TYPE).to_string(),
        });
    };
    let (error_type, options) = match argument.split_once(':') {
        Some((error_type, options)) => (error_type, options),
        None => (argument, ""),
    };
    if !is_option_key(error_type) {
        return Err(format!(
            "invalid error type '{error_type}' in step '{text}': expected e.g. sse-error=api_error"
        ));
    }
    let mut message = canonical_message_for_type(error_type).to_string();
    for (key, value) in split_options(text, options)? {
        if key != "message" {
            return Err(format!(
                "invalid option '{key}' in step '{text}': sse-error only takes :message=TEXT"
            ));
        }
        message = value;
    }
    Ok(Step::SseError {
        error_type: error_type.to_string(),
        message,
    })
}

/// `slow=DELTAS/GAPMS`, e.g. `slow=5/300`.
fn parse_slow(text: &str, argument: &str) -> Result<Step, String> {
    let invalid = || format!("invalid step '{text}': expected slow=DELTAS/GAPMS, e.g. slow=5/300");
    let (deltas, gap_ms) = argument.split_once('/').ok_or_else(invalid)?;
    let deltas = deltas.trim().parse::<u32>().map_err(|_| invalid())?;
    let gap_ms = gap_ms.trim().parse::<u64>().map_err(|_| invalid())?;
    Ok(Step::Slow {
        deltas,
        gap: Duration::from_millis(gap_ms),
    })
}

/// A byte count: `sse-long-line=20000000`.
fn parse_bytes(text: &str, bytes: &str) -> Result<u64, String> {
    bytes
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("invalid step '{text}': expected a number of bytes after '='"))
}

/// `huge-body=BYTES[/STATUS]`, e.g. `huge-body=2000000/502`.
fn parse_huge_body(text: &str, argument: &str) -> Result<Step, String> {
    let invalid = || {
        format!(
            "invalid step '{text}': expected huge-body=BYTES[/STATUS], e.g. huge-body=2000000/502"
        )
    };
    let (bytes, status) = match argument.split_once('/') {
        Some((bytes, status)) => {
            let status = status
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|s| (200..=599).contains(s))
                .ok_or_else(invalid)?;
            (bytes, status)
        }
        None => (argument, DEFAULT_HUGE_BODY_STATUS),
    };
    let bytes = bytes.trim().parse::<u64>().map_err(|_| invalid())?;
    Ok(Step::HugeBody { bytes, status })
}

/// Writes the string syntax back, so `s.parse::<Step>()?.to_string()` can be parsed again.
impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Ok => f.write_str("ok"),
            Step::Reply(text) => write!(f, "reply={text}"),
            Step::Status {
                status,
                error_type,
                message,
                headers,
            } => {
                write!(f, "{status}")?;
                for (name, value) in headers {
                    write!(f, ":{name}={value}")?;
                }
                if let Some(error_type) = error_type {
                    write!(f, ":type={error_type}")?;
                }
                if let Some(message) = message {
                    write!(f, ":message={message}")?;
                }
                Ok(())
            }
            Step::SpendLimit => f.write_str("spend-limit"),
            Step::LowCredit => f.write_str("low-credit"),
            Step::OverloadedAs500 => f.write_str("overloaded-500"),
            Step::Html502 => f.write_str("html-502"),
            Step::Reset => f.write_str("reset"),
            Step::Hang => f.write_str("hang"),
            Step::Truncated => f.write_str("truncated"),
            Step::InvalidJson => f.write_str("invalid-json"),
            Step::SseError {
                error_type,
                message,
            } => {
                let canonical_message = message == canonical_message_for_type(error_type);
                if error_type == DEFAULT_SSE_ERROR_TYPE && canonical_message {
                    return f.write_str("sse-error");
                }
                write!(f, "sse-error={error_type}")?;
                if !canonical_message {
                    write!(f, ":message={message}")?;
                }
                Ok(())
            }
            Step::SseCut => f.write_str("sse-cut"),
            Step::SseCutBeforeText => f.write_str("sse-cut-before-text"),
            Step::SseNoStop => f.write_str("sse-no-stop"),
            Step::Stall => f.write_str("stall"),
            Step::Slow { deltas, gap } => {
                if *deltas == DEFAULT_SLOW_DELTAS && *gap == DEFAULT_SLOW_GAP {
                    f.write_str("slow")
                } else {
                    write!(f, "slow={deltas}/{}", gap.as_millis())
                }
            }
            Step::EchoKey(place) => write!(f, "echo-key={}", place.name()),
            Step::SseHold => f.write_str("sse-hold"),
            Step::SseCr => f.write_str("sse-cr"),
            Step::SseLongLine(bytes) => write!(f, "sse-long-line={bytes}"),
            Step::HugeBody { bytes, status } if *status == DEFAULT_HUGE_BODY_STATUS => {
                write!(f, "huge-body={bytes}")
            }
            Step::HugeBody { bytes, status } => write!(f, "huge-body={bytes}/{status}"),
            Step::HugeHeader(bytes) => write!(f, "huge-header={bytes}"),
            Step::Html200 => f.write_str("html-200"),
            Step::Refusal => f.write_str("refusal"),
            Step::ContextWindow => f.write_str("context-window"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Step {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn status(status: u16, headers: &[(&str, &str)]) -> Step {
        Step::Status {
            status,
            error_type: None,
            message: None,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_script_repeats_a_step_with_star_n() {
        let steps = parse_script(" ok*3 , 429:retry-after=1,, reply=a*b ").unwrap();
        assert_eq!(
            steps,
            [
                Step::Ok,
                Step::Ok,
                Step::Ok,
                status(429, &[("retry-after", "1")]),
                Step::Reply("a*b".to_string()),
            ]
        );
        assert_eq!(parse_script("").unwrap(), []);
        for (bad, says) in [
            ("ok*0", "give 1 to 100000 copies"),
            ("ok*100001", "give 1 to 100000 copies"),
            ("ok*99999999999999999999999", "give 1 to 100000 copies"),
            ("ok*60000,ok*60000", "at most 100000 steps"),
            ("ok*", "unknown step 'ok*'"),
            ("nope*2", "unknown step 'nope'"),
        ] {
            let error = parse_script(bad).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn parses_simple_keywords() {
        assert_eq!(parse("ok"), Step::Ok);
        assert_eq!(parse(" OK "), Step::Ok);
        assert_eq!(parse("spend-limit"), Step::SpendLimit);
        assert_eq!(parse("low-credit"), Step::LowCredit);
        assert_eq!(parse("overloaded-500"), Step::OverloadedAs500);
        assert_eq!(parse("html-502"), Step::Html502);
        assert_eq!(parse("reset"), Step::Reset);
        assert_eq!(parse("hang"), Step::Hang);
        assert_eq!(parse("truncated"), Step::Truncated);
        assert_eq!(parse("invalid-json"), Step::InvalidJson);
        assert_eq!(parse("sse-cut"), Step::SseCut);
        assert_eq!(parse("sse-cut-before-text"), Step::SseCutBeforeText);
        assert_eq!(parse("sse-no-stop"), Step::SseNoStop);
        assert_eq!(parse("stall"), Step::Stall);
        assert_eq!(parse("sse-hold"), Step::SseHold);
        assert_eq!(parse("SSE-CR"), Step::SseCr);
        assert_eq!(parse("html-200"), Step::Html200);
    }

    #[test]
    fn parses_the_steps_that_send_too_much() {
        assert_eq!(parse("sse-long-line=100"), Step::SseLongLine(100));
        assert_eq!(parse("huge-header=70000"), Step::HugeHeader(70_000));
        assert_eq!(
            parse("huge-body=5"),
            Step::HugeBody {
                bytes: 5,
                status: 500
            }
        );
        assert_eq!(
            parse("huge-body=5/200"),
            Step::HugeBody {
                bytes: 5,
                status: 200
            }
        );
        for bad in [
            "sse-long-line=x",
            "huge-header=",
            "huge-body=5/99",
            "huge-body=a/500",
        ] {
            let error = bad.parse::<Step>().unwrap_err();
            assert!(
                error.starts_with(&format!("invalid step '{bad}'")),
                "{error}"
            );
        }
        assert!("sse-long-line".parse::<Step>().is_err());
    }

    #[test]
    fn parses_reply_keeping_text_verbatim() {
        assert_eq!(parse("reply=Hi there"), Step::Reply("Hi there".into()));
        assert_eq!(parse("reply=a=b:c"), Step::Reply("a=b:c".into()));
        assert_eq!(parse("reply="), Step::Reply(String::new()));
    }

    #[test]
    fn parses_status_with_options() {
        assert_eq!(parse("529"), status(529, &[]));
        assert_eq!(
            parse("429:retry-after=2"),
            status(429, &[("retry-after", "2")])
        );
        assert_eq!(
            parse("429:Retry-After-Ms=1500:x-should-retry=false"),
            status(
                429,
                &[("retry-after-ms", "1500"), ("x-should-retry", "false")]
            )
        );
        assert_eq!(
            parse("500:type=overloaded_error:message=Busy: try again: later"),
            Step::Status {
                status: 500,
                error_type: Some("overloaded_error".into()),
                message: Some("Busy: try again: later".into()),
                headers: vec![],
            }
        );
        assert_eq!(
            parse("503:retry-after=Wed, 21 Oct 2015 07:28:00 GMT:x-foo=bar"),
            status(
                503,
                &[
                    ("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
                    ("x-foo", "bar")
                ]
            )
        );
    }

    #[test]
    fn parses_sse_error_and_slow() {
        assert_eq!(
            parse("sse-error"),
            Step::SseError {
                error_type: "overloaded_error".into(),
                message: "Overloaded".into()
            }
        );
        assert_eq!(
            parse("sse-error=api_error"),
            Step::SseError {
                error_type: "api_error".into(),
                message: "Internal server error".into()
            }
        );
        assert_eq!(
            parse("sse-error=api_error:message=Boom: bang"),
            Step::SseError {
                error_type: "api_error".into(),
                message: "Boom: bang".into()
            }
        );
        assert_eq!(
            parse("slow"),
            Step::Slow {
                deltas: 10,
                gap: Duration::from_millis(200)
            }
        );
        assert_eq!(
            parse("slow=5/300"),
            Step::Slow {
                deltas: 5,
                gap: Duration::from_millis(300)
            }
        );
    }

    #[test]
    fn display_round_trips() {
        let forms = [
            "ok",
            "reply=Hello: world",
            "529",
            "429:retry-after=2",
            "429:retry-after-ms=1500:x-should-retry=false",
            "500:type=overloaded_error:message=Busy: later",
            "503:retry-after=Wed, 21 Oct 2015 07:28:00 GMT",
            "spend-limit",
            "low-credit",
            "overloaded-500",
            "html-502",
            "reset",
            "hang",
            "truncated",
            "invalid-json",
            "sse-error",
            "sse-error=api_error",
            "sse-error=api_error:message=Boom",
            "sse-cut",
            "sse-cut-before-text",
            "sse-no-stop",
            "stall",
            "slow",
            "slow=5/300",
            "sse-hold",
            "sse-cr",
            "sse-long-line=20000000",
            "huge-body=2000000",
            "huge-body=70000000/200",
            "huge-header=70000",
            "html-200",
        ];
        for form in forms {
            let step = parse(form);
            assert_eq!(step.to_string(), form);
            assert_eq!(parse(&step.to_string()), step);
        }
    }

    #[test]
    fn errors_name_the_step_and_the_valid_forms() {
        let error = "bogus".parse::<Step>().unwrap_err();
        assert!(
            error.starts_with(
                "unknown step 'bogus': expected one of ok, reply=TEXT, <status>[:retry-after=S]"
            ),
            "{error}"
        );
        assert!(error.contains("slow[=DELTAS/GAPMS]"), "{error}");
        assert!(
            "ok=1"
                .parse::<Step>()
                .unwrap_err()
                .starts_with("unknown step 'ok=1'")
        );
        assert!(
            "reply"
                .parse::<Step>()
                .unwrap_err()
                .starts_with("unknown step")
        );
        assert!("200".parse::<Step>().unwrap_err().contains("300 to 599"));
        assert!("99999".parse::<Step>().unwrap_err().contains("300 to 599"));
        assert!(
            "429:junk"
                .parse::<Step>()
                .unwrap_err()
                .contains("KEY=VALUE")
        );
        assert!(
            "slow=5"
                .parse::<Step>()
                .unwrap_err()
                .contains("slow=DELTAS/GAPMS")
        );
        assert!(
            "slow=a/b"
                .parse::<Step>()
                .unwrap_err()
                .contains("slow=5/300")
        );
        assert!("sse-error=".parse::<Step>().is_err());
        assert!("sse-error=api_error:x=1".parse::<Step>().is_err());
    }
}
