//! TEST ONLY: the fake API's HTTPS (`MockConfig::tls`, `claude-rs mock
//! --tls`). Its certificate, for localhost, 127.0.0.1 and ::1, is signed by
//! a test CA that nothing trusts unless told to (the crate's `certs/`, see its README),
//! so that `--ca-cert`, `SSL_CERT_FILE` and certificate failures can be
//! tested offline with the real client stack.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, MutexGuard};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The test CA's certificate: what a client must trust to talk to the fake
/// API over TLS. Never trust it outside tests.
pub const TEST_CA_PEM: &str = include_str!("../certs/ca.pem");
const SERVER_CERT_PEM: &str = include_str!("../certs/server.pem");
const SERVER_KEY_PEM: &str = include_str!("../certs/server.key");

/// The server side of TLS with the test certificate, ring as the provider.
pub(crate) fn server_config() -> io::Result<Arc<ServerConfig>> {
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
    let chain = vec![
        CertificateDer::from_pem_slice(SERVER_CERT_PEM.as_bytes())
            .map_err(|e| invalid(e.to_string()))?,
    ];
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY_PEM.as_bytes())
        .map_err(|e| invalid(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| invalid(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| invalid(e.to_string()))?;
    Ok(Arc::new(config))
}

/// One accepted connection, plain or TLS. Like `&TcpStream`, a shared
/// reference reads and writes, so the request reader and the response writer
/// can both hold one; a connection is served by one thread, so the lock is
/// never contended.
pub(crate) enum Wire {
    Plain(TcpStream),
    /// Boxed: a TLS connection's state is a kilobyte beside a bare socket.
    Tls(Box<Mutex<StreamOwned<ServerConnection, TcpStream>>>),
}

impl Wire {
    /// The handshake happens on the first read, where a client that rejects
    /// the certificate simply ends the connection.
    pub fn new(stream: TcpStream, tls: Option<&Arc<ServerConfig>>) -> io::Result<Wire> {
        match tls {
            None => Ok(Wire::Plain(stream)),
            Some(config) => {
                let connection = ServerConnection::new(Arc::clone(config))
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                Ok(Wire::Tls(Box::new(Mutex::new(StreamOwned::new(
                    connection, stream,
                )))))
            }
        }
    }

    fn tls(lock: &Mutex<StreamOwned<ServerConnection, TcpStream>>) -> TlsGuard<'_> {
        lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Says goodbye at the TLS layer (close_notify), so the client sees a
    /// clean end and not a truncation; nothing to do for plain TCP.
    pub fn close_notify(&self) {
        if let Wire::Tls(lock) = self {
            let mut stream = Wire::tls(lock);
            stream.conn.send_close_notify();
            let _ = stream.flush();
        }
    }

    /// The socket underneath, for shutting it down.
    pub fn with_socket<T>(&self, f: impl FnOnce(&TcpStream) -> T) -> T {
        match self {
            Wire::Plain(stream) => f(stream),
            Wire::Tls(lock) => f(&Wire::tls(lock).sock),
        }
    }
}

type TlsGuard<'a> = MutexGuard<'a, StreamOwned<ServerConnection, TcpStream>>;

impl Read for &Wire {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Wire::Plain(stream) => (&*stream).read(buf),
            Wire::Tls(lock) => Wire::tls(lock).read(buf),
        }
    }
}

impl Write for &Wire {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Wire::Plain(stream) => (&*stream).write(buf),
            Wire::Tls(lock) => Wire::tls(lock).write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Wire::Plain(stream) => (&*stream).flush(),
            Wire::Tls(lock) => Wire::tls(lock).flush(),
        }
    }
}
