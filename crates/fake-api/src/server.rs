//! Accepting connections, the keep-alive loop, and writing outcomes to the wire.

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, SystemTime};

use super::http::{self, ReadError, Request};
use super::outcome::{Outcome, Part, StreamEnd, api_error};
use super::routes;
use super::state::Shared;
use super::tls::Wire;

/// Frees threads held by clients that vanished without closing.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Backoff when `accept` fails (e.g. out of file descriptors) instead of spinning.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);
/// How long a closing connection keeps reading, so unread request bytes do not
/// turn our FIN into an RST that destroys the response before the client reads it.
const LINGER: Duration = Duration::from_millis(100);
const LINGER_MAX_BYTES: u64 = 1024 * 1024;

/// What `Part::Repeat` is made of: text with no line break, since it fills
/// one SSE line or one header, and readable where a client quotes it.
const FILLER: &[u8] = b"filler from the claude-rs fake API, sent to find a bound; ";

/// What happens to the connection after a response.
#[derive(Debug, PartialEq)]
enum Ending {
    KeepAlive,
    Close,
    Abort,
}

pub(crate) fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for incoming in listener.incoming() {
        if shared.lifecycle.is_stopping() {
            return;
        }
        match incoming {
            Ok(stream) => {
                shared.count_connection();
                let shared = Arc::clone(&shared);
                // A failed spawn drops the stream, which closes that one connection.
                let _ = thread::Builder::new()
                    .name("mock-connection".to_string())
                    .spawn(move || serve_connection(&shared, stream));
            }
            Err(_) => {
                if !shared.lifecycle.sleep(ACCEPT_RETRY) {
                    return;
                }
            }
        }
    }
}

/// Records a handler's panic while its connection is still open, so a
/// client never sees the connection close before the panic is known.
struct PanicWatch<'a>(&'a Shared);

impl Drop for PanicWatch<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.record_panic(format!(
                "a handler panicked on {} (its message is above)",
                thread::current().name().unwrap_or("a connection")
            ));
        }
    }
}

fn serve_connection(shared: &Shared, stream: TcpStream) {
    let Some(_registration) = shared.lifecycle.register(&stream) else {
        return;
    };
    // Best effort: without them SSE events may be batched or idle threads linger.
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let Ok(wire) = Wire::new(stream, shared.tls.as_ref()) else {
        return;
    };
    // Declared after the wire, so dropped (and the panic recorded) before it.
    let _watch = PanicWatch(shared);
    let mut reader = BufReader::new(&wire);
    loop {
        let ending = match http::read_request(&mut reader, &mut &wire, &routes::max_body_bytes) {
            Ok(Some(request)) => {
                shared.record(&request);
                shared.respond(&request, &wire)
            }
            Ok(None) | Err(ReadError::Gone) => Ending::Abort,
            Err(ReadError::Bad { status, message }) => {
                let outcome = api_error(status, None, &message, &shared.next_ids(), vec![]);
                shared.deliver(outcome, &wire, true);
                Ending::Close
            }
        };
        match ending {
            Ending::KeepAlive => continue,
            Ending::Close => return close_gracefully(&wire),
            Ending::Abort => {
                wire.with_socket(|socket| socket.shutdown(Shutdown::Both).ok());
                return;
            }
        }
    }
}

fn close_gracefully(wire: &Wire) {
    wire.close_notify();
    wire.with_socket(|socket| {
        if socket.shutdown(Shutdown::Write).is_err() {
            return;
        }
        let _ = socket.set_read_timeout(Some(LINGER));
        let _ = std::io::copy(&mut socket.take(LINGER_MAX_BYTES), &mut std::io::sink());
    });
}

impl Shared {
    fn respond(&self, request: &Request, stream: &Wire) -> Ending {
        let ids = self.next_ids();
        // After a HEAD answer the body we wrote would be misread as the next response.
        let close_after = request.wants_close() || request.chunked || request.method == "HEAD";
        let outcome = if request.chunked {
            let message = "Chunked request bodies are not supported; send Content-Length";
            api_error(411, None, message, &ids, vec![])
        } else {
            self.route(request, &ids)
        };
        self.deliver(outcome, stream, close_after)
    }

    fn deliver(&self, outcome: Outcome, stream: &Wire, close_after: bool) -> Ending {
        let mut out = stream;
        let delivered = match outcome {
            Outcome::Full {
                status,
                headers,
                body,
            } => {
                let headers = with_connection_headers(headers, close_after);
                let bytes = http::full_response_bytes(status, &headers, &body);
                out.write_all(&bytes).map_err(|_| Abort)
            }
            Outcome::Stream {
                headers,
                events,
                end,
            } => {
                let headers = with_connection_headers(headers, close_after);
                self.deliver_stream(&mut out, headers, &events, end)
            }
            Outcome::Truncated {
                headers,
                body,
                promised,
            } => {
                let mut headers = with_connection_headers(headers, close_after);
                http::set_header(&mut headers, "content-length", &promised.to_string());
                let mut bytes = http::head_bytes(200, &headers);
                bytes.extend_from_slice(&body[..body.len() / 2]);
                let _ = out.write_all(&bytes);
                Err(Abort)
            }
            Outcome::Bulk {
                status,
                headers,
                huge_header,
                body,
            } => {
                let mut headers = with_connection_headers(headers, close_after);
                // Sizes past u64 are endless anyway: the client stops first.
                let length = body
                    .iter()
                    .fold(0u64, |sum, part| sum.saturating_add(part.len()));
                http::set_header(&mut headers, "content-length", &length.to_string());
                let mut head = http::head_bytes(status, &headers);
                let mut parts = Vec::new();
                if huge_header > 0 {
                    // The blank line that ends the head comes after the huge header.
                    head.truncate(head.len() - 2);
                    head.extend_from_slice(b"x-huge: ");
                    parts.push(Part::Bytes(head));
                    parts.push(Part::Repeat(huge_header));
                    parts.push(Part::Bytes(b"\r\n\r\n".to_vec()));
                } else {
                    parts.push(Part::Bytes(head));
                }
                parts.extend(body);
                write_parts(&mut out, &parts).map_err(|_| Abort)
            }
            Outcome::Reset => Err(Abort),
            Outcome::Hang => {
                self.lifecycle.wait_until_stopped();
                Err(Abort)
            }
        };
        match delivered {
            Ok(()) if close_after => Ending::Close,
            Ok(()) => Ending::KeepAlive,
            Err(Abort) => Ending::Abort,
        }
    }

    fn deliver_stream(
        &self,
        out: &mut &Wire,
        mut headers: Vec<(String, String)>,
        events: &[(Duration, String)],
        end: StreamEnd,
    ) -> Result<(), Abort> {
        http::set_header(&mut headers, "transfer-encoding", "chunked");
        out.write_all(&http::head_bytes(200, &headers))
            .map_err(|_| Abort)?;
        for (pause, event) in events {
            if !self.lifecycle.sleep(*pause) {
                return Err(Abort);
            }
            // One write per event: with TCP_NODELAY each reaches the client at once.
            out.write_all(&http::chunk_bytes(event.as_bytes()))
                .map_err(|_| Abort)?;
        }
        match end {
            StreamEnd::Finish => out.write_all(http::LAST_CHUNK).map_err(|_| Abort),
            StreamEnd::Cut => Err(Abort),
            StreamEnd::Stall => {
                self.lifecycle.wait_until_stopped();
                Err(Abort)
            }
        }
    }
}

/// Writes `parts` in slices of a fixed buffer: a gigabyte costs no more
/// memory than a kilobyte.
fn write_parts(out: &mut impl Write, parts: &[Part]) -> std::io::Result<()> {
    let slice: Vec<u8> = FILLER.iter().copied().cycle().take(64 * 1024).collect();
    for part in parts {
        match part {
            Part::Bytes(bytes) => out.write_all(bytes)?,
            Part::Repeat(count) => {
                let mut left = *count;
                while left > 0 {
                    let n = left.min(slice.len() as u64) as usize;
                    out.write_all(&slice[..n])?;
                    left -= n as u64;
                }
            }
        }
    }
    out.flush()
}

/// The response cannot (or must not) be completed: drop the connection.
struct Abort;

fn with_connection_headers(
    mut headers: Vec<(String, String)>,
    close_after: bool,
) -> Vec<(String, String)> {
    let date = httpdate::fmt_http_date(SystemTime::now());
    headers.push(("date".to_string(), date));
    if close_after {
        headers.push(("connection".to_string(), "close".to_string()));
    }
    headers
}
