//! Which certificate authorities the client trusts, as one value that yields
//! both ureq's TLS settings and the rustls verifier of a probe handshake
//! (`handshake`): what `doctor` and a failure's explanation see is what a
//! request sees.
//!
//! ureq 3.5 can be given its bundled Mozilla roots, the operating system's
//! store, or a list of roots to use *instead* of its own: it cannot add to
//! them. So the user's CA (`--ca-cert`, `SSL_CERT_FILE`) is added by handing
//! ureq the same Mozilla roots as whole certificates (`webpki-root-certs`,
//! made from the same Mozilla data and version as ureq's `webpki-roots`)
//! followed by the user's. The probe builds the same set from
//! `webpki-roots`' trust anchors.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

/// A CA file larger than this is not a CA file (a system bundle is ~250 KB).
const MAX_CA_FILE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Clone, Default)]
pub enum Trust {
    /// The Mozilla roots built into the binary: ureq's default.
    #[default]
    Bundled,
    /// The bundled roots, and the user's certificates besides.
    Added(Arc<AddedRoots>),
    /// The operating system's store, through its own verifier (`--native-roots`).
    Native,
}

pub struct AddedRoots {
    pub certs: Vec<CertificateDer<'static>>,
    /// Where they came from, for messages: `--ca-cert PATH` or `SSL_CERT_FILE=PATH`.
    pub origin: String,
}

impl Trust {
    pub fn added(certs: Vec<CertificateDer<'static>>, origin: impl Into<String>) -> Trust {
        Trust::Added(Arc::new(AddedRoots {
            certs,
            origin: origin.into(),
        }))
    }

    /// ureq's TLS settings for these roots.
    pub fn tls_config(&self) -> TlsConfig {
        let roots = match self {
            Trust::Bundled => RootCerts::WebPki,
            Trust::Native => RootCerts::PlatformVerifier,
            Trust::Added(added) => {
                let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                    .iter()
                    .map(|cert| Certificate::from_der(cert.as_ref()));
                let own = added
                    .certs
                    .iter()
                    .map(|cert| Certificate::from_der(cert.as_ref()).to_owned());
                RootCerts::from(bundled.chain(own))
            }
        };
        TlsConfig::builder().root_certs(roots).build()
    }

    /// The verifier ureq builds from `tls_config`, built the same way, for a
    /// handshake of our own.
    pub fn verifier(&self) -> Result<Arc<dyn ServerCertVerifier>, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        if let Trust::Native = self {
            let verifier = rustls_platform_verifier::Verifier::new(provider)?;
            return Ok(Arc::new(verifier));
        }
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Trust::Added(added) = self {
            roots.add_parsable_certificates(added.certs.iter().cloned());
        }
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        Ok(verifier)
    }

    /// `the bundled Mozilla roots and 1 certificate from --ca-cert ca.pem`.
    pub fn describe(&self) -> String {
        match self {
            Trust::Bundled => "the bundled Mozilla roots".to_string(),
            Trust::Native => "the operating system's certificate store (--native-roots)".into(),
            Trust::Added(added) => {
                let count = added.certs.len();
                let plural = if count == 1 { "" } else { "s" };
                format!(
                    "the bundled Mozilla roots and {count} certificate{plural} from {}",
                    added.origin
                )
            }
        }
    }
}

/// Certificates would fill a screen: say what is trusted instead.
impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Trust({})", self.describe())
    }
}

/// Reads a PEM file of CA certificates. `Err` completes the sentence
/// "FILE …": it cannot be read, is not PEM, or holds no certificate.
pub fn read_pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let unreadable = |e: std::io::Error| format!("cannot be read: {e}");
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_CA_FILE_BYTES {
        return Err(format!("is {size} bytes, too large for a certificate file"));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("is not valid PEM: {e}"))?;
    if certs.is_empty() {
        return Err("holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)".into());
    }
    Ok(certs)
}

/// What is wrong with the first certificate that cannot be a root, if one
/// cannot: the check rustls makes when it takes a root, which would
/// otherwise drop such a certificate without a word. Completes "FILE …".
pub fn first_unusable(certs: &[CertificateDer<'static>]) -> Option<String> {
    certs.iter().enumerate().find_map(|(index, cert)| {
        let problem = RootCertStore::empty().add(cert.clone()).err()?;
        Some(format!(
            "holds a certificate (number {}) that cannot be used as a CA: {problem}",
            index + 1
        ))
    })
}

/// Whether any of them can be a root. Stops at the first that can: a system
/// bundle holds a hundred or more, and each check parses one.
pub fn any_usable(certs: &[CertificateDer<'static>]) -> bool {
    certs
        .iter()
        .any(|cert| RootCertStore::empty().add(cert.clone()).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, text).unwrap();
        file
    }

    #[test]
    fn a_pem_file_gives_its_certificates() {
        let test_ca = include_str!("../../crates/fake-api/certs/ca.pem");
        let two = format!(
            "{test_ca}\n{}",
            include_str!("../../crates/fake-api/certs/server.pem")
        );
        let file = file(two.as_bytes());
        let found = read_pem_certificates(file.path()).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(first_unusable(&found), None);
    }

    #[test]
    fn unreadable_empty_der_and_broken_files_say_what_is_wrong() {
        let missing = read_pem_certificates(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(missing.starts_with("cannot be read"), "{missing}");
        let empty = read_pem_certificates(file(b"just text\n").path()).unwrap_err();
        assert!(empty.contains("no PEM certificate"), "{empty}");
        let der = read_pem_certificates(file(&[0x30, 0x82, 0x01, 0x00, 0x30]).path()).unwrap_err();
        assert!(der.contains("no PEM certificate"), "{der}");
        let broken = b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
        let broken = read_pem_certificates(file(broken).path()).unwrap_err();
        assert!(broken.contains("not valid PEM"), "{broken}");
        let garbage = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let garbage = read_pem_certificates(file(garbage).path()).unwrap();
        assert!(!any_usable(&garbage));
        let problem = first_unusable(&garbage).unwrap();
        assert!(
            problem.contains("(number 1) that cannot be used as a CA"),
            "{problem}"
        );
    }

    #[test]
    fn every_kind_of_trust_builds_a_verifier_and_describes_itself() {
        let ca =
            CertificateDer::from_pem_slice(include_bytes!("../../crates/fake-api/certs/ca.pem"))
                .unwrap();
        let added = Trust::added(vec![ca], "--ca-cert ca.pem");
        for trust in [Trust::Bundled, added.clone()] {
            assert!(trust.verifier().is_ok(), "{trust:?}");
            let _ = trust.tls_config();
        }
        assert_eq!(
            added.describe(),
            "the bundled Mozilla roots and 1 certificate from --ca-cert ca.pem"
        );
        assert_eq!(
            format!("{:?}", Trust::Bundled),
            "Trust(the bundled Mozilla roots)"
        );
    }
}
