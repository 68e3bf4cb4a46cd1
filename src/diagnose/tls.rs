//! Check 5, tls: a handshake with the API host, verified against the same
//! Mozilla roots and ring provider ureq uses, through the proxy's CONNECT
//! tunnel when an http proxy applies. The leaf certificate's issuer is read
//! even when verification fails: an unknown issuer names the interceptor.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, ProtocolVersion,
    RootCertStore, SignatureScheme,
};

use super::check::{Check, millis, secs};
use super::config::Target;
use super::proxy::ProxyHop;
use crate::resilience::transport::classify_transport;

const NAME: &str = "tls";
/// A proxy's answer to CONNECT is a few hundred bytes; more is not a proxy.
const MAX_CONNECT_HEAD: usize = 16 * 1024;

pub fn check(
    stream: TcpStream,
    target: &Target,
    proxy: Option<&ProxyHop>,
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
    let outcome = handshake(&mut stream, target, timeout);
    let figure = millis(started.elapsed());
    let issuer = outcome
        .leaf
        .as_deref()
        .and_then(issuer_name)
        .map(|name| format!(" (issuer: {name})"))
        .unwrap_or_default();
    match outcome.result {
        Ok(version) => {
            let message = format!(
                "{} with {}{via}, certificate verified{issuer}",
                version_name(version),
                target.host
            );
            (Check::pass(NAME, message).with_figure(figure), Some(()))
        }
        Err(error) => (
            failure_check(error, target, &issuer, timeout).with_figure(figure),
            None,
        ),
    }
}

enum HandshakeError {
    Tls(rustls::Error),
    Io(io::Error),
    TimedOut,
}

struct Handshake {
    result: Result<Option<ProtocolVersion>, HandshakeError>,
    /// The server's certificate, as sent, verified or not.
    leaf: Option<Vec<u8>>,
}

fn handshake(stream: &mut TcpStream, target: &Target, timeout: Duration) -> Handshake {
    let recorder = match RecordingVerifier::new() {
        Ok(recorder) => Arc::new(recorder),
        Err(error) => {
            return Handshake {
                result: Err(HandshakeError::Tls(error)),
                leaf: None,
            };
        }
    };
    let result = connect(stream, target, Arc::clone(&recorder), timeout);
    Handshake {
        result,
        leaf: recorder.leaf(),
    }
}

fn connect(
    stream: &mut TcpStream,
    target: &Target,
    verifier: Arc<RecordingVerifier>,
    timeout: Duration,
) -> Result<Option<ProtocolVersion>, HandshakeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(HandshakeError::Tls)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let server_name = ServerName::try_from(target.host.clone()).map_err(|_| {
        HandshakeError::Tls(rustls::Error::General("not a valid server name".into()))
    })?;
    let mut connection =
        ClientConnection::new(Arc::new(config), server_name).map_err(HandshakeError::Tls)?;
    let started = Instant::now();
    while connection.is_handshaking() {
        if started.elapsed() > timeout {
            return Err(HandshakeError::TimedOut);
        }
        if let Err(error) = connection.complete_io(stream) {
            return Err(handshake_error(error));
        }
    }
    Ok(connection.protocol_version())
}

fn handshake_error(error: io::Error) -> HandshakeError {
    if let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        return HandshakeError::Tls(tls.clone());
    }
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => HandshakeError::TimedOut,
        _ => HandshakeError::Io(error),
    }
}

fn failure_check(error: HandshakeError, target: &Target, issuer: &str, timeout: Duration) -> Check {
    match error {
        HandshakeError::Tls(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
            let failure = classify_transport(
                ureq::Error::Rustls(rustls::Error::InvalidCertificate(
                    CertificateError::UnknownIssuer,
                )),
                None,
            );
            let message = format!(
                "the certificate for {}{issuer} is not signed by a CA claude-rs trusts: this smells of TLS interception (a corporate proxy or antivirus inspecting HTTPS)",
                target.host
            );
            Check::failed(NAME, &failure, message, interception_fix(&target.host))
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
        HandshakeError::Io(error) if is_closed(&error) => {
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

fn interception_fix(host: &str) -> String {
    format!(
        "If your network inspects HTTPS (a proxy in HTTPS_PROXY, or a transparent one), ask IT to exempt {host} from inspection. claude-rs trusts only its bundled Mozilla roots: it does not read SSL_CERT_FILE or the system store, and a --ca-cert option to trust a corporate CA is planned."
    )
}
const NOT_TLS_FIX: &str = "Check that ANTHROPIC_BASE_URL's port speaks TLS: for a plain-HTTP endpoint (a local gateway or mock) use http://; otherwise a firewall or proxy may be holding the connection.";

fn is_closed(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

fn version_name(version: Option<ProtocolVersion>) -> &'static str {
    match version {
        Some(ProtocolVersion::TLSv1_3) => "TLS 1.3",
        Some(ProtocolVersion::TLSv1_2) => "TLS 1.2",
        _ => "TLS",
    }
}

/// Asks an http proxy for a tunnel to the API, as ureq does before its own
/// handshake. Failures are the proxy's and are named so.
fn open_tunnel(
    stream: &mut TcpStream,
    target: &Target,
    proxy: &ProxyHop,
    timeout: Duration,
) -> Result<(), Check> {
    let authority = match target.host.contains(':') {
        true => format!("[{}]:{}", target.host, target.port),
        false => format!("{}:{}", target.host, target.port),
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(credentials) = proxy.credentials() {
        request.push_str(&format!(
            "Proxy-Authorization: Basic {}\r\n",
            base64(credentials.as_bytes())
        ));
    }
    request.push_str("\r\n");
    let name = proxy.name();
    let sent = stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.flush());
    let head = sent.and_then(|()| read_head(stream)).map_err(|error| {
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
        Check::failed(NAME, &failure, message, failure.fix())
    })?;
    let status_line = head.lines().next().unwrap_or_default().trim().to_string();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    if status == "200" {
        return Ok(());
    }
    let failure = classify_transport(ureq::Error::ConnectProxyFailed(status_line), Some(&name));
    let fix = if status == "407" {
        "The proxy wants credentials: put them in the proxy URL (http://user:password@host:port)."
            .to_string()
    } else {
        failure.fix()
    };
    Err(Check::failed(NAME, &failure, failure.message.clone(), fix))
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

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The webpki verifier ureq uses, noting the leaf certificate on its way.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    leaf: Mutex<Option<Vec<u8>>>,
}

impl RecordingVerifier {
    fn new() -> Result<RecordingVerifier, rustls::Error> {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        Ok(RecordingVerifier {
            inner,
            leaf: Mutex::new(None),
        })
    }

    fn leaf(&self) -> Option<Vec<u8>> {
        self.leaf.lock().ok().and_then(|leaf| leaf.clone())
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut leaf) = self.leaf.lock() {
            *leaf = Some(end_entity.to_vec());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// One DER element: its tag, its contents, and what follows it.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |acc, byte| (acc << 8) | usize::from(*byte));
        (length, &rest[count..])
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_ORGANISATION: &[u8] = &[0x55, 0x04, 0x0a];

/// `CN (O)` of a certificate's issuer: Certificate → TBSCertificate →
/// [version], serial, signature algorithm, issuer Name.
fn issuer_name(certificate: &[u8]) -> Option<String> {
    let (_, certificate, _) = der_element(certificate)?;
    let (_, tbs, _) = der_element(certificate)?;
    let (tag, _, mut rest) = der_element(tbs)?;
    if tag == 0xa0 {
        (_, _, rest) = der_element(rest)?;
    }
    let (_, _, rest) = der_element(rest)?;
    let (_, issuer, _) = der_element(rest)?;
    let (mut common_name, mut organisation) = (None, None);
    let mut sets = issuer;
    while let Some((_, set, next)) = der_element(sets) {
        sets = next;
        let Some((_, attribute, _)) = der_element(set) else {
            continue;
        };
        let Some((_, oid, value)) = der_element(attribute) else {
            continue;
        };
        let Some((_, text, _)) = der_element(value) else {
            continue;
        };
        let text = String::from_utf8_lossy(text).into_owned();
        match oid {
            OID_COMMON_NAME => common_name = Some(text),
            OID_ORGANISATION => organisation = Some(text),
            _ => {}
        }
    }
    match (common_name, organisation) {
        (Some(cn), Some(o)) if cn != o => Some(format!("{cn} ({o})")),
        (Some(name), _) | (None, Some(name)) => Some(name),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use super::*;
    use crate::diagnose::check::Status;
    use crate::exit_code::ExitCode;

    fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if contents.len() < 0x80 {
            out.push(contents.len() as u8);
        } else {
            out.push(0x82);
            out.extend_from_slice(&(contents.len() as u16).to_be_bytes());
        }
        out.extend_from_slice(contents);
        out
    }

    fn attribute(oid: &[u8], value: &str) -> Vec<u8> {
        let pair = [der(0x06, oid), der(0x0c, value.as_bytes())].concat();
        der(0x31, &der(0x30, &pair))
    }

    fn certificate(version: bool, issuer: &[Vec<u8>]) -> Vec<u8> {
        let mut tbs = Vec::new();
        if version {
            tbs.extend(der(0xa0, &der(0x02, &[2])));
        }
        tbs.extend(der(0x02, &[0x01; 200])); // a long serial: long-form length
        tbs.extend(der(0x30, &der(0x06, &[0x2a, 0x86, 0x48])));
        tbs.extend(der(0x30, &issuer.concat()));
        tbs.extend(der(0x30, &[]));
        der(
            0x30,
            &[der(0x30, &tbs), der(0x30, &[]), der(0x03, &[0])].concat(),
        )
    }

    #[test]
    fn the_issuer_is_read_from_the_der() {
        let cert = certificate(
            true,
            &[
                attribute(&[0x55, 0x04, 0x06], "US"),
                attribute(OID_ORGANISATION, "Zscaler Inc."),
                attribute(OID_COMMON_NAME, "Zscaler Intermediate Root CA"),
            ],
        );
        assert_eq!(
            issuer_name(&cert).as_deref(),
            Some("Zscaler Intermediate Root CA (Zscaler Inc.)")
        );
        let cert = certificate(false, &[attribute(OID_COMMON_NAME, "WE1")]);
        assert_eq!(issuer_name(&cert).as_deref(), Some("WE1"));
        assert_eq!(issuer_name(&[0x30, 0x05, 0x01]), None);
        assert_eq!(issuer_name(&[]), None);
    }

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
        let (check, out) = super::check(stream, &target(&url), None, Duration::from_secs(2));
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
        let (check, _) = super::check(stream, &target(&url), None, Duration::from_millis(300));
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
