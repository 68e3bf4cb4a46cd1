//! TLS handshakes of claude-rs's own, beside ureq's: `doctor`'s tls check,
//! and the one probe a failed request makes to name a certificate's issuer.

pub(crate) mod certificate;
pub(crate) mod handshake;
pub(crate) mod tunnel;
