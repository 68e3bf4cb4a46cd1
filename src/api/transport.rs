//! Transport errors (ureq's and the body reader's io errors) → `Failure`.
//! ureq reports most network trouble as `Error::Io`; the kind and the text of
//! the io error are what tell a refused connection from a DNS failure.

use std::io;

use crate::resilience::{Category, Cause, Failure};

const STALLED: &str = "no data from the server within --timeout (the stall timeout)";

/// Classifies a ureq error. `proxy` names the proxy in use, if any, so that a
/// failure to reach it is reported as the proxy's and not the API's.
pub fn classify_transport(error: ureq::Error, proxy: Option<&str>) -> Failure {
    classify_transport_to(error, proxy, None)
}

/// `classify_transport` for a request to `tls_subject` (the host, or the host
/// and the https proxy), which a TLS failure names.
pub fn classify_transport_to(
    error: ureq::Error,
    proxy: Option<&str>,
    tls_subject: Option<&str>,
) -> Failure {
    use ureq::Error as E;
    use ureq::Timeout as T;
    let failure = match error {
        E::Timeout(T::Connect | T::Resolve) => timeout(
            Cause::ConnectTimeout,
            "no connection within --connect-timeout",
        ),
        E::Timeout(T::Global | T::PerCall) => {
            timeout(Cause::Deadline, "the call ran past its --deadline")
        }
        E::Timeout(_) => timeout(Cause::StallTimeout, STALLED),
        E::HostNotFound => connection(Cause::Dns, "the API host name did not resolve (DNS)"),
        E::Io(io_error) => return classify_io(io_error, proxy, tls_subject),
        E::Tls(reason) => tls_failed(tls_subject, reason),
        E::Rustls(inner) => tls_failed(tls_subject, inner),
        E::Pem(inner) => connection(
            Cause::Tls,
            format!("TLS certificate could not be read: {inner}"),
        ),
        E::ConnectProxyFailed(reason) => connection(
            Cause::Proxy,
            format!(
                "the proxy {} refused to open a tunnel: {reason}",
                proxy.unwrap_or("in use")
            ),
        ),
        E::InvalidProxyUrl => connection(
            Cause::Proxy,
            "the proxy URL (--proxy, HTTPS_PROXY / HTTP_PROXY / ALL_PROXY) is invalid",
        ),
        E::Protocol(inner) => unreadable(format!(
            "the server's HTTP response could not be parsed: {inner}"
        )),
        E::LargeResponseHeader(_, limit) => unreadable(format!(
            "the response headers are over {}, the most claude-rs reads: \
             the server or a proxy on the way is broken",
            size_text(limit as u64)
        )),
        E::Decompress(_, inner) => unreadable(format!(
            "the response body could not be decompressed: {inner}"
        )),
        E::BodyStalled => timeout(Cause::StallTimeout, "the response body stalled"),
        other => connection(Cause::ConnectionOther, other.to_string()),
    };
    name_the_proxy(failure, proxy)
}

/// A bound in the unit it was set in: `16 MiB`, `64 KiB`, or bytes.
pub fn size_text(bytes: u64) -> String {
    for (unit, size) in [("MiB", 1024 * 1024), ("KiB", 1024)] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{} {unit}", bytes / size);
        }
    }
    format!("{bytes} bytes")
}

/// Classifies an io error from reading a response body; ureq wraps its own
/// errors (a read timeout among them) inside io errors there.
pub fn classify_body_read(error: io::Error, proxy: Option<&str>) -> Failure {
    classify_transport(ureq::Error::from(error), proxy)
}

/// `TLS failed: …`, or `TLS failed for HOST: …` when the host is known.
fn tls_failed(subject: Option<&str>, detail: impl std::fmt::Display) -> Failure {
    let message = match subject {
        Some(subject) => format!("TLS failed for {subject}: {detail}"),
        None => format!("TLS failed: {detail}"),
    };
    connection(Cause::Tls, message)
}

/// How resolvers (glibc, musl, macOS, Windows) word a name that did not resolve.
const DNS_WORDS: &str = "lookup address|name or service not known|nodename nor servname\
    |no address associated|temporary failure in name resolution";

fn classify_io(error: io::Error, proxy: Option<&str>, tls_subject: Option<&str>) -> Failure {
    use io::ErrorKind as K;
    let text = error.to_string();
    let lower = text.to_ascii_lowercase();
    let says = |words: &str| words.split('|').any(|word| lower.contains(word));
    let failure = if says(DNS_WORDS) {
        let message = format!("the API host name did not resolve (DNS): {text}");
        connection(Cause::Dns, message)
    } else if says("certificate|tls|handshake") {
        tls_failed(tls_subject, text)
    } else {
        match error.kind() {
            K::ConnectionRefused => connection(
                Cause::Refused,
                "the connection was refused (nothing listening at that host and port)",
            ),
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => connection(
                Cause::Reset,
                "the connection was reset by the server or a middlebox",
            ),
            K::UnexpectedEof => connection(
                Cause::Reset,
                "the connection closed before the response was complete",
            ),
            K::TimedOut | K::WouldBlock => timeout(Cause::StallTimeout, STALLED),
            K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown | K::AddrNotAvailable => {
                connection(
                    Cause::ConnectionOther,
                    format!("the network is unreachable: {text}"),
                )
            }
            _ => connection(Cause::ConnectionOther, format!("connection failed: {text}")),
        }
    };
    name_the_proxy(failure, proxy)
}

fn name_the_proxy(failure: Failure, proxy: Option<&str>) -> Failure {
    let connecting = matches!(
        failure.cause,
        Some(Cause::Refused | Cause::Dns | Cause::ConnectTimeout)
    );
    match proxy {
        Some(proxy) if connecting => {
            let message = format!("could not reach the proxy {proxy}: {}", failure.message);
            Failure::new(Category::Connection, message).with_cause(Cause::Proxy)
        }
        _ => failure,
    }
}

/// A response that arrived but cannot be read as what the API sends.
pub fn unreadable(message: impl Into<String>) -> Failure {
    Failure::new(Category::InvalidResponse, message).with_cause(Cause::UnreadableBody)
}

fn timeout(cause: Cause, message: impl Into<String>) -> Failure {
    Failure::new(Category::Timeout, message).with_cause(cause)
}

fn connection(cause: Cause, message: impl Into<String>) -> Failure {
    Failure::new(Category::Connection, message).with_cause(cause)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(kind: io::ErrorKind, text: &str) -> ureq::Error {
        ureq::Error::Io(io::Error::new(kind, text))
    }

    #[test]
    fn io_kinds_name_their_cause() {
        let cases = [
            (io::ErrorKind::ConnectionRefused, "refused", Cause::Refused),
            (io::ErrorKind::ConnectionReset, "reset", Cause::Reset),
            (io::ErrorKind::UnexpectedEof, "eof", Cause::Reset),
            (io::ErrorKind::TimedOut, "slow", Cause::StallTimeout),
            (
                io::ErrorKind::Other,
                "failed to lookup address information: Name or service not known",
                Cause::Dns,
            ),
            (
                io::ErrorKind::InvalidData,
                "invalid peer certificate: UnknownIssuer",
                Cause::Tls,
            ),
        ];
        for (kind, text, cause) in cases {
            assert_eq!(
                classify_transport(io(kind, text), None).cause,
                Some(cause),
                "{text}"
            );
        }
    }

    #[test]
    fn bounds_are_named_in_their_unit() {
        assert_eq!(size_text(16 * 1024 * 1024), "16 MiB");
        assert_eq!(size_text(64 * 1024), "64 KiB");
        assert_eq!(size_text(1000), "1000 bytes");
        let headers = classify_transport(ureq::Error::LargeResponseHeader(70_000, 65_536), None);
        assert_eq!(headers.category, Category::InvalidResponse);
        assert!(
            headers.message.contains("over 64 KiB"),
            "{}",
            headers.message
        );
    }

    #[test]
    fn timeouts_are_told_apart() {
        let of = |t| classify_transport(ureq::Error::Timeout(t), None);
        assert_eq!(
            of(ureq::Timeout::Connect).cause,
            Some(Cause::ConnectTimeout)
        );
        assert_eq!(of(ureq::Timeout::PerRead).cause, Some(Cause::StallTimeout));
        assert_eq!(of(ureq::Timeout::Global).cause, Some(Cause::Deadline));
        assert!(of(ureq::Timeout::PerRead).retryable());
        assert!(of(ureq::Timeout::Connect).retryable());
        assert!(!of(ureq::Timeout::Global).retryable());
    }

    #[test]
    fn dns_and_tls_are_connection_failures_not_retried() {
        let dns = classify_transport(ureq::Error::HostNotFound, None);
        assert_eq!(dns.category, Category::Connection);
        assert!(!dns.retryable());
        let tls = classify_transport(ureq::Error::Tls("bad"), None);
        assert_eq!(tls.cause, Some(Cause::Tls));
        assert!(!tls.retryable());
    }

    #[test]
    fn a_refused_connection_through_a_proxy_names_the_proxy() {
        let failure = classify_transport(
            io(io::ErrorKind::ConnectionRefused, "refused"),
            Some("http://127.0.0.1:9"),
        );
        assert_eq!(failure.cause, Some(Cause::Proxy));
        assert!(failure.message.contains("http://127.0.0.1:9"));
        assert!(failure.retryable());
    }

    #[test]
    fn a_wrapped_read_timeout_is_recovered_from_the_body_reader() {
        let wrapped = ureq::Error::Timeout(ureq::Timeout::PerRead).into_io();
        assert_eq!(
            classify_body_read(wrapped, None).cause,
            Some(Cause::StallTimeout)
        );
    }
}
