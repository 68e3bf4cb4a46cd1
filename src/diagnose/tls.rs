//! Check 5, tls: a handshake with the API host, verified against the roots
//! requests trust (`--ca-cert`, `SSL_CERT_FILE`, `--native-roots`, else the
//! bundled Mozilla roots) with the ring provider ureq uses, through the
//! proxy's CONNECT tunnel when an http proxy applies. The handshake itself is
//! `probe::handshake`, which a failed request uses too: the leaf certificate's
//! issuer is read even when verification fails, and names the interceptor.

use std::io;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rustls::{CertificateError, ProtocolVersion};

use super::check::{Check, millis, secs};
use super::config::Target;
use super::probe::handshake::{HandshakeError, handshake};
use super::probe::tunnel::{self, TunnelError};
use super::proxy::ProxyHop;
use crate::api::tls::Trust;
use crate::api::transport::classify_transport;

const NAME: &str = "tls";

pub fn check(
    stream: TcpStream,
    target: &Target,
    proxy: Option<&ProxyHop>,
    trust: &Trust,
    timeout: Duration,
) -> (Check, Option<()>) {
    if let Some(proxy) = proxy.filter(|p| !p.is_http_tunnel()) {
        let reason = format!(
            "through a {} proxy; the http check tests TLS end to end",
            proxy.scheme()
        );
        return (Check::skip(NAME, &reason), Some(()));
    }
    let started = Instant::now();
    let mut stream = stream;
    // Every read and write below is bounded: a silent peer costs one timeout.
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let mut via = String::new();
    if let Some(proxy) = proxy {
        if let Err(check) = open_tunnel(&mut stream, target, proxy, timeout) {
            return (check.with_figure(millis(started.elapsed())), None);
        }
        via = " through the proxy's CONNECT tunnel".to_string();
    }
    let outcome = handshake(&mut stream, &target.host, trust, timeout);
    let figure = millis(started.elapsed());
    let issuer = outcome
        .issuer()
        .map(|name| format!(" (issuer: {name})"))
        .unwrap_or_default();
    match outcome.result {
        Ok(version) => {
            let against = match trust {
                Trust::Bundled => String::new(),
                other => format!(" against {}", other.describe()),
            };
            let version = match version {
                Some(ProtocolVersion::TLSv1_3) => "TLS 1.3",
                Some(ProtocolVersion::TLSv1_2) => "TLS 1.2",
                _ => "TLS",
            };
            let message = format!(
                "{version} with {}{via}, certificate verified{against}{issuer}",
                target.host
            );
            (Check::pass(NAME, message).with_figure(figure), Some(()))
        }
        Err(error) => (
            failure_check(error, target, &issuer, trust, timeout).with_figure(figure),
            None,
        ),
    }
}

fn failure_check(
    error: HandshakeError,
    target: &Target,
    issuer: &str,
    trust: &Trust,
    timeout: Duration,
) -> Check {
    match error {
        HandshakeError::Tls(
            error @ rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        ) => {
            let failure = classify_transport(ureq::Error::Rustls(error), None);
            let message = format!(
                "the certificate for {}{issuer} is not signed by a CA claude-rs trusts ({}): this smells of TLS interception (a corporate proxy or antivirus inspecting HTTPS)",
                target.host,
                trust.describe()
            );
            let fix = format!(
                "If your network inspects HTTPS (a proxy in HTTPS_PROXY, or a transparent one), trust its CA: get its certificate as PEM from IT and pass --ca-cert FILE (or set SSL_CERT_FILE=FILE), or, if the CA is installed in the system's store, use --native-roots; otherwise ask IT to exempt {} from inspection.",
                target.host
            );
            Check::failed(NAME, &failure, message, fix)
        }
        HandshakeError::Tls(error @ rustls::Error::InvalidMessage(_)) => {
            let failure = classify_transport(ureq::Error::Rustls(error), None);
            let message = format!(
                "{}:{} does not speak TLS ({})",
                target.host, target.port, failure.message
            );
            Check::failed(NAME, &failure, message, NOT_TLS_FIX)
        }
        HandshakeError::Tls(error) => {
            let failure = classify_transport(ureq::Error::Rustls(error), None);
            let message = format!("{}{issuer}", failure.message);
            Check::failed(NAME, &failure, message, failure.fix())
        }
        HandshakeError::TimedOut => {
            let failure = classify_transport(ureq::Error::Timeout(ureq::Timeout::Connect), None);
            let message = format!("no TLS handshake within {}", secs(timeout));
            Check::failed(NAME, &failure, message, NOT_TLS_FIX)
        }
        HandshakeError::Io(error)
            if matches!(
                error.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            ) =>
        {
            let failure = classify_transport(
                ureq::Error::Tls("the server closed the connection during the handshake"),
                None,
            );
            Check::failed(NAME, &failure, failure.message.clone(), NOT_TLS_FIX)
        }
        HandshakeError::Io(error) => {
            let failure = classify_transport(ureq::Error::Io(error), None);
            Check::failed(NAME, &failure, failure.message.clone(), failure.fix())
        }
    }
}

const NOT_TLS_FIX: &str = "Check that ANTHROPIC_BASE_URL's port speaks TLS: for a plain-HTTP endpoint (a local gateway or mock) use http://; otherwise a firewall or proxy may be holding the connection.";

/// Asks an http proxy for a tunnel to the API, as ureq does before its own
/// handshake. Failures are the proxy's and are named so.
fn open_tunnel(
    stream: &mut TcpStream,
    target: &Target,
    proxy: &ProxyHop,
    timeout: Duration,
) -> Result<(), Check> {
    let name = proxy.name();
    let credentials = proxy.credentials();
    match tunnel::open(stream, &target.host, target.port, credentials.as_deref()) {
        Ok(()) => Ok(()),
        Err(TunnelError::Io(error)) => {
            let timed_out = matches!(
                error.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            );
            let failure = classify_transport(ureq::Error::Io(error), Some(&name));
            let message = match timed_out {
                true => format!(
                    "the proxy {name} did not answer CONNECT within {}",
                    secs(timeout)
                ),
                false => format!("the proxy {name} broke off CONNECT: {}", failure.message),
            };
            Err(Check::failed(NAME, &failure, message, failure.fix()))
        }
        Err(TunnelError::Refused {
            status_line,
            status,
        }) => {
            let failure =
                classify_transport(ureq::Error::ConnectProxyFailed(status_line), Some(&name));
            let fix = if status == "407" {
                "The proxy wants credentials: put them in the proxy URL (http://user:password@host:port)."
                    .to_string()
            } else {
                failure.fix()
            };
            Err(Check::failed(NAME, &failure, failure.message.clone(), fix))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::thread;

    use super::*;
    use crate::diagnose::check::Status;
    use crate::exit_code::ExitCode;

    fn target(url: &str) -> Target {
        Target::from_base_url(url).unwrap()
    }

    #[test]
    fn a_plain_http_server_fails_the_handshake_as_a_network_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buffer = [0u8; 512];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        });
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let url = format!("https://127.0.0.1:{port}");
        let (check, out) = super::check(
            stream,
            &target(&url),
            None,
            &Trust::Bundled,
            Duration::from_secs(2),
        );
        assert!(out.is_none());
        assert_eq!(check.status, Status::Fail);
        assert_eq!(check.exit_code, Some(ExitCode::Network));
        assert!(
            check.message.contains("does not speak TLS"),
            "{}",
            check.message
        );
        assert!(check.fix.unwrap().contains("http://"));
    }

    #[test]
    fn a_silent_server_times_the_handshake_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let url = format!("https://127.0.0.1:{port}");
        let started = Instant::now();
        let (check, _) = super::check(
            stream,
            &target(&url),
            None,
            &Trust::Bundled,
            Duration::from_millis(300),
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(check.status, Status::Fail);
        assert!(
            check.message.contains("no TLS handshake within 0.3 s"),
            "{}",
            check.message
        );
        drop(listener);
    }
}
