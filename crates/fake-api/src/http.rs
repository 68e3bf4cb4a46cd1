//! Just enough HTTP/1.1 to talk to real clients: request parsing with
//! Content-Length bodies, `Expect: 100-continue`, and response writing
//! with either Content-Length or chunked framing.

use std::io::{self, BufRead, Read, Write};

use super::batch_routes::BATCHES_PATH;

const MAX_LINE_BYTES: u64 = 16 * 1024;
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The real API's request size limit for a Messages request and most others.
pub(crate) const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// The real API's limit for creating a Message Batch.
pub(crate) const MAX_BATCH_BODY_BYTES: usize = 256 * 1024 * 1024;

/// The largest body accepted for a path (without its query).
pub(crate) fn max_body_bytes(path: &str) -> usize {
    if path == BATCHES_PATH {
        MAX_BATCH_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Request {
    pub method: String,
    /// Path including the query.
    pub target: String,
    pub http_1_0: bool,
    /// Names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was chunked and left unread; the connection cannot be reused.
    pub chunked: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(path, _)| path)
    }

    pub fn wants_close(&self) -> bool {
        let connection = self.header("connection").unwrap_or("").to_ascii_lowercase();
        let has = |token: &str| connection.split(',').any(|item| item.trim() == token);
        has("close") || (self.http_1_0 && !has("keep-alive"))
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer went away or the socket failed: nothing to answer.
    Gone,
    /// The bytes were not a request we accept: answer this, then close.
    Bad { status: u16, message: String },
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> ReadError {
        ReadError::Gone
    }
}

fn bad(status: u16, message: &str) -> ReadError {
    ReadError::Bad {
        status,
        message: message.to_string(),
    }
}

/// Reads one request. `Ok(None)` is a clean end of the connection between requests.
/// `interim` receives the `100 Continue` that clients sending `Expect` wait for.
pub(crate) fn read_request<R: BufRead>(
    reader: &mut R,
    interim: &mut dyn Write,
) -> Result<Option<Request>, ReadError> {
    let Some(request_line) = read_request_line(reader)? else {
        return Ok(None);
    };
    let (method, target, http_1_0) = parse_request_line(&request_line)?;
    let headers = read_headers(reader)?;
    let mut request = Request {
        method,
        target,
        http_1_0,
        headers,
        body: Vec::new(),
        chunked: false,
    };
    if request.header("transfer-encoding").is_some() {
        request.chunked = true;
        return Ok(Some(request));
    }
    let length = content_length(&request)?;
    if length > max_body_bytes(request.path()) {
        return Err(bad(
            413,
            "Request exceeds the maximum allowed number of bytes.",
        ));
    }
    let expects_continue = request
        .header("expect")
        .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"));
    if expects_continue && length > 0 && !http_1_0 {
        interim.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        interim.flush()?;
    }
    request.body = vec![0; length];
    reader.read_exact(&mut request.body)?;
    Ok(Some(request))
}

/// One line without its line ending; `None` at end of input before any byte.
fn read_line<R: BufRead>(reader: &mut R) -> Result<Option<String>, ReadError> {
    let mut line = Vec::new();
    let read = reader.take(MAX_LINE_BYTES).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return match read as u64 {
            MAX_LINE_BYTES => Err(bad(431, "Request line or header line too long")),
            _ => Err(ReadError::Gone),
        };
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| bad(400, "Request head is not valid UTF-8"))
}

/// Skips the blank lines RFC 9112 tells servers to tolerate before a request.
fn read_request_line<R: BufRead>(reader: &mut R) -> Result<Option<String>, ReadError> {
    loop {
        match read_line(reader)? {
            Some(line) if line.is_empty() => continue,
            other => return Ok(other),
        }
    }
}

fn parse_request_line(line: &str) -> Result<(String, String, bool), ReadError> {
    let malformed = || bad(400, "Malformed request line");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let method_is_token = !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase());
    if !method_is_token || !target.starts_with('/') {
        return Err(malformed());
    }
    let http_1_0 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(bad(505, "HTTP version not supported")),
    };
    Ok((method.to_string(), target.to_string(), http_1_0))
}

fn read_headers<R: BufRead>(reader: &mut R) -> Result<Vec<(String, String)>, ReadError> {
    let mut headers = Vec::new();
    let mut total = 0;
    loop {
        let line = read_line(reader)?.ok_or(ReadError::Gone)?;
        if line.is_empty() {
            return Ok(headers);
        }
        total += line.len();
        if total > MAX_HEADER_BYTES {
            return Err(bad(431, "Request header fields too large"));
        }
        headers.push(parse_header_line(&line)?);
    }
}

fn parse_header_line(line: &str) -> Result<(String, String), ReadError> {
    let malformed = || bad(400, "Malformed header line");
    if line.starts_with([' ', '\t']) {
        return Err(malformed());
    }
    let (name, value) = line.split_once(':').ok_or_else(malformed)?;
    if !is_token(name) {
        return Err(malformed());
    }
    Ok((
        name.to_ascii_lowercase(),
        value.trim_matches([' ', '\t']).to_string(),
    ))
}

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Several Content-Length headers are only acceptable when they agree.
fn content_length(request: &Request) -> Result<usize, ReadError> {
    let mut length = None;
    for (_, value) in request
        .headers
        .iter()
        .filter(|(k, _)| k == "content-length")
    {
        let parsed = value
            .parse::<usize>()
            .map_err(|_| bad(400, "Invalid Content-Length"))?;
        if length.is_some_and(|previous| previous != parsed) {
            return Err(bad(400, "Conflicting Content-Length headers"));
        }
        length = Some(parsed);
    }
    Ok(length.unwrap_or(0))
}

pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        529 => "Site Overloaded",
        _ => "Unknown",
    }
}

/// Sets a header, replacing any with the same name (names compared case-insensitively).
pub(crate) fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    headers.retain(|(key, _)| !key.eq_ignore_ascii_case(name));
    headers.push((name.to_ascii_lowercase(), value.to_string()));
}

/// Status line and headers. Headers that would corrupt the framing
/// (bad names, line breaks in values) are dropped rather than sent.
pub(crate) fn head_bytes(status: u16, headers: &[(String, String)]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    for (name, value) in headers {
        if is_token(name) && !value.contains(['\r', '\n']) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// A whole response with a Content-Length body.
pub(crate) fn full_response_bytes(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut headers = headers.to_vec();
    set_header(&mut headers, "content-length", &body.len().to_string());
    let mut bytes = head_bytes(status, &headers);
    bytes.extend_from_slice(body);
    bytes
}

pub(crate) fn chunk_bytes(data: &[u8]) -> Vec<u8> {
    let mut bytes = format!("{:x}\r\n", data.len()).into_bytes();
    bytes.extend_from_slice(data);
    bytes.extend_from_slice(b"\r\n");
    bytes
}

pub(crate) const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read(raw: &str) -> (Result<Option<Request>, ReadError>, Vec<u8>) {
        let mut interim = Vec::new();
        let result = read_request(&mut Cursor::new(raw.as_bytes().to_vec()), &mut interim);
        (result, interim)
    }

    fn read_ok(raw: &str) -> Request {
        match read(raw).0 {
            Ok(Some(request)) => request,
            other => panic!("{other:?}"),
        }
    }

    fn bad_status(raw: &str) -> u16 {
        match read(raw).0 {
            Err(ReadError::Bad { status, .. }) => status,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_a_post_with_body() {
        let request = read_ok(
            "\r\nPOST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nX-Api-Key:  k \r\nContent-Length: 2\r\n\r\n{}extra",
        );
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/v1/messages?beta=true");
        assert_eq!(request.path(), "/v1/messages");
        assert_eq!(request.header("x-api-key"), Some("k"));
        assert_eq!(request.headers[1].0, "x-api-key");
        assert_eq!(request.body, b"{}");
        assert!(!request.wants_close());
    }

    #[test]
    fn connection_close_and_http_1_0() {
        assert!(read_ok("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").wants_close());
        assert!(read_ok("GET / HTTP/1.0\r\n\r\n").wants_close());
        assert!(!read_ok("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").wants_close());
    }

    #[test]
    fn sends_100_continue_when_asked() {
        let (result, interim) =
            read("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx");
        assert!(matches!(result, Ok(Some(_))));
        assert_eq!(interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    }

    #[test]
    fn end_of_input_is_clean_only_between_requests() {
        assert!(matches!(read("").0, Ok(None)));
        assert!(matches!(
            read("GET / HTTP/1.1\r\nHost").0,
            Err(ReadError::Gone)
        ));
        assert!(matches!(
            read("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab").0,
            Err(ReadError::Gone)
        ));
    }

    #[test]
    fn rejects_malformed_requests() {
        assert_eq!(bad_status("garbage\r\n\r\n"), 400);
        assert_eq!(bad_status("GET / HTTP/1.1 extra\r\n\r\n"), 400);
        assert_eq!(bad_status("GET / HTTP/2.0\r\n\r\n"), 505);
        assert_eq!(bad_status("GET / HTTP/1.1\r\nno colon\r\n\r\n"), 400);
        assert_eq!(
            bad_status("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            400
        );
        assert_eq!(
            bad_status("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            400
        );
        let huge = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(20_000));
        assert_eq!(bad_status(&huge), 431);
        let too_big = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        );
        assert_eq!(bad_status(&too_big), 413);
        let too_big_batch = format!(
            "POST /v1/messages/batches HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BATCH_BODY_BYTES + 1
        );
        assert_eq!(bad_status(&too_big_batch), 413);
    }

    #[test]
    fn only_batch_creation_may_send_more_than_32_mb() {
        assert_eq!(max_body_bytes("/v1/messages/batches"), 256 * 1024 * 1024);
        assert_eq!(max_body_bytes("/v1/messages"), MAX_BODY_BYTES);
        assert_eq!(
            max_body_bytes("/v1/messages/batches/x/cancel"),
            MAX_BODY_BYTES
        );
        // Over 32 MB announced, 2 bytes sent: the batches path waits for the rest
        // (the peer is gone) instead of refusing at the head.
        let big = format!(
            "POST /v1/messages/batches?x=1 HTTP/1.1\r\nContent-Length: {}\r\n\r\n{{}}",
            MAX_BODY_BYTES + 1
        );
        assert!(matches!(read(&big).0, Err(ReadError::Gone)));
    }

    #[test]
    fn chunked_bodies_are_flagged_not_read() {
        let request =
            read_ok("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n");
        assert!(request.chunked);
        assert!(request.body.is_empty());
    }

    #[test]
    fn writes_heads_and_chunks() {
        let headers = vec![
            ("a".to_string(), "1".to_string()),
            ("bad name".to_string(), "x".to_string()),
            ("b".to_string(), "x\r\ninjected: yes".to_string()),
        ];
        let bytes = full_response_bytes(529, &headers, b"hi");
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "HTTP/1.1 529 Site Overloaded\r\na: 1\r\ncontent-length: 2\r\n\r\nhi"
        );
        assert_eq!(
            chunk_bytes(b"0123456789abcdef!"),
            b"11\r\n0123456789abcdef!\r\n"
        );
    }

    #[test]
    fn set_header_replaces_case_insensitively() {
        let mut headers = vec![("Content-Type".to_string(), "a".to_string())];
        set_header(&mut headers, "content-type", "b");
        assert_eq!(headers, vec![("content-type".to_string(), "b".to_string())]);
    }
}
