//! Just enough HTTP/1.1 to talk to real clients: request heads parsed by
//! httparse within this server's limits, Content-Length bodies,
//! `Expect: 100-continue`, and response writing with either Content-Length
//! or chunked framing. Routing is not its business: the caller says how large
//! a body may be for each path.

use std::io::{self, BufRead, Read, Write};

const MAX_LINE_BYTES: u64 = 16 * 1024;
const MAX_HEADER_BYTES: usize = 64 * 1024;

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
/// `interim` receives the `100 Continue` that clients sending `Expect` wait for;
/// `max_body_bytes` is the largest body accepted for a path (without its query).
pub(crate) fn read_request<R: BufRead>(
    reader: &mut R,
    interim: &mut dyn Write,
    max_body_bytes: &dyn Fn(&str) -> usize,
) -> Result<Option<Request>, ReadError> {
    let Some(mut request) = read_head(reader)? else {
        return Ok(None);
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
    if expects_continue && length > 0 && !request.http_1_0 {
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

/// The request line and headers, each line judged as it arrives (so that
/// bytes that are no request, a TLS hello say, are answered at once). The
/// blank lines RFC 9112 tells servers to tolerate before a request are
/// skipped; the header lines may add up to `MAX_HEADER_BYTES`.
fn read_head<R: BufRead>(reader: &mut R) -> Result<Option<Request>, ReadError> {
    let request_line = loop {
        match read_line(reader)? {
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
            None => return Ok(None),
        }
    };
    let mut request = parse_request_line(&request_line)?;
    let mut total = 0;
    loop {
        let line = read_line(reader)?.ok_or(ReadError::Gone)?;
        if line.is_empty() {
            return Ok(Some(request));
        }
        total += line.len();
        if total > MAX_HEADER_BYTES {
            return Err(bad(431, "Request header fields too large"));
        }
        request.headers.push(parse_header_line(&line)?);
    }
}

/// The request line, by httparse, with this server's own refusals on top:
/// only upper-case methods, only origin-form targets.
fn parse_request_line(line: &str) -> Result<Request, ReadError> {
    let malformed = || bad(400, "Malformed request line");
    let head = format!("{line}\r\n\r\n");
    let mut parsed = httparse::Request::new(&mut []);
    match parsed.parse(head.as_bytes()) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::Version) if names_a_version(line) => {
            return Err(bad(505, "HTTP version not supported"));
        }
        Ok(httparse::Status::Partial) | Err(_) => return Err(malformed()),
    }
    let (Some(method), Some(target), Some(version)) = (parsed.method, parsed.path, parsed.version)
    else {
        return Err(malformed());
    };
    let method_is_upper = !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase());
    if !method_is_upper || !target.starts_with('/') {
        return Err(malformed());
    }
    Ok(Request {
        method: method.to_string(),
        target: target.to_string(),
        http_1_0: version == 0,
        headers: Vec::new(),
        body: Vec::new(),
        chunked: false,
    })
}

/// One header line, by httparse: the name lowercased, the value trimmed.
fn parse_header_line(line: &str) -> Result<(String, String), ReadError> {
    let text = format!("{line}\r\n\r\n");
    let mut one = [httparse::EMPTY_HEADER; 1];
    match httparse::parse_headers(text.as_bytes(), &mut one) {
        Ok(httparse::Status::Complete((_, [header]))) => Ok((
            header.name.to_ascii_lowercase(),
            String::from_utf8_lossy(header.value)
                .trim_matches([' ', '\t'])
                .to_string(),
        )),
        _ => Err(bad(400, "Malformed header line")),
    }
}

/// A request line of three parts whose last is `HTTP/…`: httparse's version
/// error is then one of version (505), not of a line that is no request (400).
fn names_a_version(line: &str) -> bool {
    let parts: Vec<&str> = line.split(' ').collect();
    matches!(parts.as_slice(), [_, _, version] if version.starts_with("HTTP/"))
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

    /// Bodies up to 10 bytes, 100 on `/big`.
    const SMALL: usize = 10;
    const BIG: usize = 100;

    fn read(raw: &str) -> (Result<Option<Request>, ReadError>, Vec<u8>) {
        let mut interim = Vec::new();
        let limit = |path: &str| if path == "/big" { BIG } else { SMALL };
        let result = read_request(
            &mut Cursor::new(raw.as_bytes().to_vec()),
            &mut interim,
            &limit,
        );
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
        assert_eq!(bad_status("this is not http\r\n\r\n"), 400);
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
        let too_big = format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", SMALL + 1);
        assert_eq!(bad_status(&too_big), 413);
        let too_big_there = format!("POST /big HTTP/1.1\r\nContent-Length: {}\r\n\r\n", BIG + 1);
        assert_eq!(bad_status(&too_big_there), 413);
    }

    #[test]
    fn the_body_limit_is_the_callers_for_the_path_without_its_query() {
        // Over the small limit announced, 2 bytes sent: `/big` waits for the
        // rest (the peer is gone) instead of refusing at the head.
        let big = format!(
            "POST /big?x=1 HTTP/1.1\r\nContent-Length: {}\r\n\r\n{{}}",
            SMALL + 1
        );
        assert!(matches!(read(&big).0, Err(ReadError::Gone)));
    }

    #[test]
    fn the_head_may_be_64_kb_in_lines_of_16_kb() {
        let line = format!("x-filler: {}\r\n", "a".repeat(15_000));
        let four = format!("GET / HTTP/1.1\r\n{}\r\n", line.repeat(4));
        assert_eq!(read_ok(&four).headers.len(), 4);
        let five = format!("GET / HTTP/1.1\r\n{}\r\n", line.repeat(5));
        assert_eq!(bad_status(&five), 431);
        let bare_newlines = "\n\nGET / HTTP/1.1\nA: 1\n\n";
        assert_eq!(read_ok(bare_newlines).header("a"), Some("1"));
        assert_eq!(bad_status("GET / HTTP/1.1\r\n folded: x\r\n\r\n"), 400);
        assert_eq!(bad_status("get / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(bad_status("GET * HTTP/1.1\r\n\r\n"), 400);
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
