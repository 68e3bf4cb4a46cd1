//! How requests reach the API: through which proxy, trusting which roots.
//! Resolved once from flags and environment (`config::network`); the client,
//! its TLS probe and `doctor` all go by the same value.

use ureq::http::Uri;

use super::proxy::ProxyServer;
use super::tls::Trust;

#[derive(Clone, Debug, Default)]
pub struct Network {
    /// `--proxy`: every request goes through it, whatever the environment says.
    pub proxy: Option<ProxyServer>,
    pub trust: Trust,
    /// `--beta` names, comma-joined: the `anthropic-beta` header every API
    /// request carries.
    pub betas: Option<String>,
}

impl Network {
    /// The proxy a request to `base_url` goes through: `--proxy`, else the
    /// environment's, unless NO_PROXY exempts the host (ureq's own rules).
    pub fn proxy_for(&self, base_url: &str) -> Option<ProxyServer> {
        let target = base_url.parse::<Uri>().ok();
        let bypassed = |proxy: &ProxyServer| target.as_ref().is_some_and(|t| proxy.bypasses(t));
        self.proxy
            .clone()
            .or_else(|| ProxyServer::from_env().filter(|p| !bypassed(p)))
    }
}
