//! A TLS handshake of claude-rs's own, verified against the roots a request
//! uses (`Trust`), that keeps the server's certificate whatever the verdict.
//! ureq's handshake throws the certificate away with the error; this one is
//! how `doctor`'s TLS check and a failed request can name who issued it (a
//! TLS-inspecting proxy names itself there).

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, ProtocolVersion, SignatureScheme,
};

use super::certificate::issuer_name;
use super::tunnel;
use crate::api::proxy::ProxyServer;
use crate::api::tls::Trust;
use crate::config::base_url::BaseUrl;
use crate::resilience::Failure;

pub(crate) enum HandshakeError {
    Tls(rustls::Error),
    Io(io::Error),
    TimedOut,
}

pub(crate) struct Handshake {
    /// The protocol version agreed, or why there is none.
    pub(crate) result: Result<Option<ProtocolVersion>, HandshakeError>,
    /// The server's certificate, as sent, verified or not.
    leaf: Option<Vec<u8>>,
}

impl Handshake {
    /// `CN (O)` of whoever issued the server's certificate.
    pub(crate) fn issuer(&self) -> Option<String> {
        self.leaf.as_deref().and_then(issuer_name)
    }
}

/// Shakes hands with `host` over `stream` (already connected, through a
/// tunnel if need be), within `timeout`.
pub(crate) fn handshake(
    stream: &mut TcpStream,
    host: &str,
    trust: &Trust,
    timeout: Duration,
) -> Handshake {
    let recorder = match trust.verifier() {
        Ok(inner) => Arc::new(RecordingVerifier {
            inner,
            leaf: Mutex::new(None),
        }),
        Err(error) => {
            let result = Err(HandshakeError::Tls(error));
            return Handshake { result, leaf: None };
        }
    };
    let result = connect(stream, host, Arc::clone(&recorder), timeout);
    let leaf = recorder.leaf.lock().ok().and_then(|leaf| leaf.clone());
    Handshake { result, leaf }
}

fn connect(
    stream: &mut TcpStream,
    host: &str,
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
    let server_name = ServerName::try_from(host.to_string()).map_err(|_| {
        HandshakeError::Tls(rustls::Error::General("not a valid server name".into()))
    })?;
    let mut connection =
        ClientConnection::new(Arc::new(config), server_name).map_err(HandshakeError::Tls)?;
    let started = Instant::now();
    while connection.is_handshaking() {
        if started.elapsed() > timeout {
            return Err(HandshakeError::TimedOut);
        }
        connection.complete_io(stream).map_err(handshake_error)?;
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

/// Explains a request's TLS failure with one handshake of our own, made at
/// most once per client however many requests fail (a batch's workers share
/// it): the host, the issuer of the certificate presented, and the roots
/// trusted.
pub(crate) struct IssuerProbe {
    host: String,
    /// Who the failed handshake may have been with, for the message.
    subject: String,
    port: u16,
    proxy: Option<ProxyServer>,
    trust: Trust,
    timeout: Duration,
    found: OnceLock<Option<String>>,
}

impl IssuerProbe {
    pub(crate) fn new(
        base_url: &str,
        proxy: Option<ProxyServer>,
        trust: Trust,
        timeout: Duration,
    ) -> IssuerProbe {
        // Parsed once by the one type; the port defaults by scheme.
        let url = BaseUrl::parse(base_url).ok().map(|parsed| parsed.url);
        let host = url.as_ref().map_or("", BaseUrl::bare_host).to_string();
        let port = url.as_ref().map_or(443, |url| url.port);
        // An https proxy has a handshake of its own, which may be the one
        // that failed.
        let subject = match &proxy {
            Some(proxy) if proxy.scheme() == "https" => {
                format!("{host} or the https proxy {}", proxy.name())
            }
            _ => host.clone(),
        };
        IssuerProbe {
            subject,
            host,
            port,
            proxy,
            trust,
            timeout,
            found: OnceLock::new(),
        }
    }

    /// Who a TLS failure is about: the host, or the host or the https proxy.
    pub(crate) fn subject(&self) -> &str {
        &self.subject
    }

    /// The TLS failure (already naming `subject`), with who issued the
    /// certificate presented (when a handshake of our own can tell) and what
    /// is trusted.
    pub(crate) fn explain(&self, failure: Failure) -> Failure {
        let mut message = failure.message.clone();
        if let Some(issuer) = self.issuer() {
            message.push_str(&format!(
                "; the certificate presented was issued by {issuer}"
            ));
        }
        message.push_str(&format!("; trusted: {}", self.trust.describe()));
        Failure { message, ..failure }
    }

    fn issuer(&self) -> Option<&str> {
        self.found.get_or_init(|| self.probe()).as_deref()
    }

    fn probe(&self) -> Option<String> {
        // Through an https or SOCKS proxy the tunnel is not ours to open.
        let (host, port) = match &self.proxy {
            Some(proxy) if proxy.is_http_tunnel() => (proxy.host(), proxy.port()),
            Some(_) => return None,
            None => (self.host.as_str(), self.port),
        };
        // The request just resolved this name, so the lookup is answered at once.
        let address = (host, port).to_socket_addrs().ok()?.next()?;
        let mut stream = TcpStream::connect_timeout(&address, self.timeout).ok()?;
        stream.set_read_timeout(Some(self.timeout)).ok()?;
        stream.set_write_timeout(Some(self.timeout)).ok()?;
        if let Some(proxy) = &self.proxy {
            let credentials = proxy.credentials();
            tunnel::open(&mut stream, &self.host, self.port, credentials.as_deref()).ok()?;
        }
        handshake(&mut stream, &self.host, &self.trust, self.timeout).issuer()
    }
}

/// The verifier ureq would use, noting the server's certificate on its way.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<dyn ServerCertVerifier>,
    leaf: Mutex<Option<Vec<u8>>>,
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

#[cfg(test)]
mod tests {
    use rustls::pki_types::pem::PemObject;

    use super::*;
    use crate::resilience::Cause;
    use fake_api::{MockConfig, MockServer, TEST_CA_PEM};

    const ISSUER: &str = "claude-rs test CA - not for production (claude-rs tests)";

    fn tls_server() -> MockServer {
        MockServer::start(MockConfig {
            tls: true,
            ..MockConfig::default()
        })
        .unwrap()
    }

    fn test_ca() -> Trust {
        let ca = CertificateDer::from_pem_slice(TEST_CA_PEM.as_bytes()).unwrap();
        Trust::added(vec![ca], "the test CA")
    }

    #[test]
    fn the_issuer_is_read_whether_or_not_the_certificate_is_trusted() {
        let server = tls_server();
        for (trust, trusted) in [(Trust::Bundled, false), (test_ca(), true)] {
            for host in ["127.0.0.1", "localhost"] {
                let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
                let outcome = handshake(&mut stream, host, &trust, Duration::from_secs(5));
                assert_eq!(outcome.result.is_ok(), trusted, "{trust:?} {host}");
                assert_eq!(outcome.issuer().as_deref(), Some(ISSUER));
            }
        }
    }

    /// A TLS failure as the client classifies it: naming the probe's subject.
    fn tls_failure(probe: &IssuerProbe, detail: &'static str) -> Failure {
        crate::api::transport::classify_transport_to(
            ureq::Error::Tls(detail),
            None,
            Some(probe.subject()),
        )
    }

    #[test]
    fn a_tls_failure_is_explained_with_one_probe_however_often_it_fails() {
        let server = tls_server();
        let probe = IssuerProbe::new(
            &server.base_url(),
            None,
            Trust::Bundled,
            Duration::from_secs(5),
        );
        let failure = tls_failure(&probe, "invalid peer certificate: UnknownIssuer");
        for _ in 0..3 {
            let explained = probe.explain(failure.clone());
            assert_eq!(
                explained.message,
                format!(
                    "TLS failed for 127.0.0.1: invalid peer certificate: UnknownIssuer; \
                     the certificate presented was issued by {ISSUER}; trusted: the bundled Mozilla roots"
                )
            );
            assert_eq!(explained.cause, Some(Cause::Tls));
            assert!(!explained.retryable());
        }
        assert_eq!(server.connections(), 1, "one probe handshake");
    }

    #[test]
    fn through_an_https_proxy_either_handshake_may_have_failed_and_none_is_probed() {
        let proxy = ProxyServer::parse("https://u:secret@proxy.corp:3128").unwrap();
        let probe = IssuerProbe::new(
            "https://api.anthropic.com",
            Some(proxy),
            Trust::Bundled,
            Duration::from_secs(1),
        );
        let failure = tls_failure(&probe, "x");
        assert_eq!(
            probe.explain(failure).message,
            "TLS failed for api.anthropic.com or the https proxy proxy.corp:3128: x; trusted: the bundled Mozilla roots"
        );
    }

    #[test]
    fn a_probe_that_cannot_connect_still_names_the_host_and_the_roots() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let probe = IssuerProbe::new(
            &format!("https://127.0.0.1:{port}"),
            None,
            test_ca(),
            Duration::from_secs(1),
        );
        let failure = tls_failure(&probe, "handshake");
        assert_eq!(
            probe.explain(failure).message,
            "TLS failed for 127.0.0.1: handshake; trusted: the bundled Mozilla roots and 1 certificate from the test CA"
        );
    }
}
