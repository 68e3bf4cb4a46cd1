//! Asking an http proxy for a tunnel (`CONNECT host:port`), as ureq does
//! before its own handshake: for the handshakes claude-rs makes itself
//! (`doctor`'s TLS check, the probe that names a certificate's issuer).

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// A proxy's answer to CONNECT is a few hundred bytes; more is not a proxy.
const MAX_CONNECT_HEAD: usize = 16 * 1024;

pub(crate) enum TunnelError {
    /// The proxy could not be written to or read from.
    Io(io::Error),
    /// The proxy answered, but not 200.
    Refused {
        /// `HTTP/1.1 407 Proxy Authentication Required`, as sent.
        status_line: String,
        /// `407`.
        status: String,
    },
}

/// Opens a tunnel to `host:port` on a connection to the proxy. `credentials`
/// (`user:password`) go in `Proxy-Authorization: Basic`.
pub(crate) fn open(
    stream: &mut TcpStream,
    host: &str,
    port: u16,
    credentials: Option<&str>,
) -> Result<(), TunnelError> {
    let authority = match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(credentials) = credentials {
        request.push_str(&format!(
            "Proxy-Authorization: Basic {}\r\n",
            base64(credentials.as_bytes())
        ));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.flush())
        .and_then(|()| read_head(stream))
        .map_err(TunnelError::Io)
        .and_then(|head| {
            let status_line = head.lines().next().unwrap_or_default().trim().to_string();
            let status = status_line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            match status.as_str() {
                "200" => Ok(()),
                _ => Err(TunnelError::Refused {
                    status_line,
                    status,
                }),
            }
        })
}

/// The proxy's answer up to the blank line, byte by byte: nothing of the
/// tunnel behind it may be read here.
fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > MAX_CONNECT_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the proxy's answer is too long",
            ));
        }
        match stream.read(&mut byte)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            _ => head.push(byte[0]),
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// Proxy credentials as `Proxy-Authorization: Basic` wants them; the same
/// crate and version ureq itself uses, so nothing new is compiled.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("user:pass", "dXNlcjpwYXNz"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    /// A proxy that answers one CONNECT with `answer` and hands back what it was sent.
    fn proxy(answer: &'static str) -> (u16, thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let head = read_head(&mut stream).unwrap();
            stream.write_all(answer.as_bytes()).unwrap();
            head
        });
        (port, handle)
    }

    #[test]
    fn a_tunnel_is_asked_for_with_credentials_and_its_refusal_is_named() {
        let (port, sent) = proxy("HTTP/1.1 200 Connection established\r\n\r\n");
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        assert!(open(&mut stream, "::1", 443, Some("user:pass")).is_ok());
        let sent = sent.join().unwrap();
        assert!(sent.starts_with("CONNECT [::1]:443 HTTP/1.1\r\n"), "{sent}");
        assert!(sent.contains("Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"));

        let (port, _) = proxy("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        match open(&mut stream, "api.anthropic.com", 443, None) {
            Err(TunnelError::Refused {
                status_line,
                status,
            }) => {
                assert_eq!(status, "407");
                assert_eq!(status_line, "HTTP/1.1 407 Proxy Authentication Required");
            }
            _ => panic!("a 407 is a refusal"),
        }
    }
}
