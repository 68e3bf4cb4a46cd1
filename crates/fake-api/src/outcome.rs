//! What a request gets back before it is written, and the helpers that
//! build the API's own answers: the leaf every route and the writer share.

use std::time::Duration;

use super::responses;

/// What a request gets back, before it is written.
pub(super) enum Outcome {
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    Stream {
        headers: Vec<(String, String)>,
        /// Each event with the pause before it.
        events: Vec<(Duration, String)>,
        end: StreamEnd,
    },
    Truncated {
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        promised: usize,
    },
    /// A response too large to build in memory: written piece by piece,
    /// framed by its `content-length`.
    Bulk {
        status: u16,
        headers: Vec<(String, String)>,
        /// Bytes of one extra header (`x-huge`), none when 0.
        huge_header: u64,
        body: Vec<Part>,
    },
    Reset,
    Hang,
}

/// A piece of a `Bulk` response.
pub(super) enum Part {
    Bytes(Vec<u8>),
    /// This many bytes of filler text, never held in memory at once.
    Repeat(u64),
}

impl Part {
    pub(super) fn len(&self) -> u64 {
        match self {
            Part::Bytes(bytes) => bytes.len() as u64,
            Part::Repeat(count) => *count,
        }
    }
}

pub(super) enum StreamEnd {
    Finish,
    Cut,
    Stall,
}

/// Per-request identity: `req_mock_000007` and `msg_mock_000007` share the number.
pub(super) struct Ids {
    pub request_id: String,
    pub message_id: String,
}

pub(super) const JSON: &str = "application/json";

pub(super) const EVENT_STREAM: &str = "text/event-stream; charset=utf-8";

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

pub(super) fn stream_outcome(
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

/// An API error; `error_type` defaults to the canonical one for `status`.
pub(super) fn api_error(
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
