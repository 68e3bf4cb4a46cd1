//! Reading a certificate without verifying it: who issued it. A certificate
//! that fails verification is exactly the one whose issuer a person needs to
//! see (a TLS-inspecting proxy names itself there).

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
pub(crate) fn issuer_name(certificate: &[u8]) -> Option<String> {
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
    use super::*;

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
    fn the_issuer_of_the_fake_apis_certificate_is_the_test_ca() {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let cert = CertificateDer::from_pem_slice(include_bytes!(
            "../../../crates/fake-api/certs/server.pem"
        ))
        .unwrap();
        assert_eq!(
            issuer_name(&cert).as_deref(),
            Some("claude-rs test CA - not for production (claude-rs tests)")
        );
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
}
