//! A proxy as one value that is used and never shown: its credentials stay
//! inside, and everything it prints is `host:port`.

use std::fmt;

use ureq::http::Uri;
use ureq::{Proxy, ProxyProtocol};

#[derive(Clone)]
pub struct ProxyServer {
    proxy: Proxy,
}

impl ProxyServer {
    /// A proxy URL given on the command line (`--proxy`). `Err` completes the
    /// sentence "--proxy URL …" and never repeats the URL's password.
    pub fn parse(raw: &str) -> Result<ProxyServer, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is empty".into());
        }
        if let Some((scheme, _)) = raw.split_once("://") {
            let scheme = scheme.to_ascii_lowercase();
            if scheme.starts_with("socks") {
                // ureq is built without SOCKS: it would panic on such a proxy.
                return Err(format!(
                    "is a {scheme} proxy; claude-rs supports http:// and https:// proxies (HTTP CONNECT)"
                ));
            }
            if scheme != "http" && scheme != "https" {
                return Err(format!(
                    "uses '{scheme}://'; a proxy URL starts with http:// or https://"
                ));
            }
        }
        let proxy = Proxy::new(raw).map_err(|_| "is not a valid proxy URL".to_string())?;
        if proxy.host().trim_matches(['[', ']']).is_empty() {
            return Err("has no host".into());
        }
        Ok(ProxyServer { proxy })
    }

    /// The proxy ureq itself reads from ALL_PROXY / HTTPS_PROXY / HTTP_PROXY
    /// (with NO_PROXY), if any.
    pub fn from_env() -> Option<ProxyServer> {
        Proxy::try_from_env().map(ProxyServer::from)
    }

    pub fn to_ureq(&self) -> Proxy {
        self.proxy.clone()
    }

    /// Without the brackets of an IPv6 literal.
    pub fn host(&self) -> &str {
        self.proxy.host().trim_matches(['[', ']'])
    }

    pub fn port(&self) -> u16 {
        self.proxy.port()
    }

    /// `host:port`: how the proxy is named in every message.
    pub fn name(&self) -> String {
        format!("{}:{}", self.proxy.host(), self.proxy.port())
    }

    pub fn scheme(&self) -> &'static str {
        match self.proxy.protocol() {
            ProxyProtocol::Http => "http",
            ProxyProtocol::Https => "https",
            ProxyProtocol::Socks4 => "socks4",
            ProxyProtocol::Socks4A => "socks4a",
            ProxyProtocol::Socks5 => "socks5",
            ProxyProtocol::Socks5h => "socks5h",
            _ => "proxy",
        }
    }

    /// A plain http proxy: reached in the clear, then asked with CONNECT for
    /// a tunnel, which a probe handshake can do itself.
    pub fn is_http_tunnel(&self) -> bool {
        self.proxy.protocol() == ProxyProtocol::Http
    }

    /// `user:password` for `Proxy-Authorization: Basic`, when the URL has them.
    pub fn credentials(&self) -> Option<String> {
        let user = self.proxy.username()?;
        Some(format!("{user}:{}", self.proxy.password().unwrap_or("")))
    }

    /// `http://host:port (with credentials)`: for people, never the password.
    pub fn display(&self) -> String {
        let with = self.proxy.username().map_or("", |_| " (with credentials)");
        format!("{}://{}{with}", self.scheme(), self.name())
    }

    /// Whether NO_PROXY sends requests to this host around the proxy.
    pub fn bypasses(&self, target: &Uri) -> bool {
        self.proxy.is_no_proxy(target)
    }
}

impl From<Proxy> for ProxyServer {
    fn from(proxy: Proxy) -> ProxyServer {
        ProxyServer { proxy }
    }
}

/// Never the password, whatever prints it.
impl fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyServer({})", self.display())
    }
}

/// A proxy URL as typed, with the password replaced by `***`: for a message
/// about a URL too broken to be parsed into a `ProxyServer`.
pub fn mask_credentials(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    // The userinfo ends at the last `@`: a password typed raw may hold `/`,
    // `?`, `#` or `@` itself, and must still be masked whole.
    let Some(at) = rest.rfind('@') else {
        return url.to_string();
    };
    let end = rest[at..]
        .find(['/', '?', '#'])
        .map_or(rest.len(), |i| at + i);
    let (authority, tail) = rest.split_at(end);
    let (userinfo, host) = (&authority[..at], &authority[at + 1..]);
    let shown = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        // A lone userinfo may be a token: hide it whole.
        None => "***".to_string(),
    };
    format!("{scheme}{shown}@{host}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_with_url_characters_is_masked_whole() {
        for url in [
            "http://alice:pa#ss@proxy:3128",
            "http://alice:pa/ss@proxy:3128/",
            "http://alice:p?a@ss@proxy:3128",
        ] {
            let masked = mask_credentials(url);
            assert!(
                masked.starts_with("http://alice:***@proxy:3128"),
                "{url} → {masked}"
            );
            assert!(!masked.contains("pa"), "{url} → {masked}");
        }
        assert_eq!(
            mask_credentials("http://proxy:3128/path"),
            "http://proxy:3128/path"
        );
    }

    #[test]
    fn a_proxy_with_credentials_is_named_without_them() {
        let proxy = ProxyServer::parse("http://bob:hunter2@proxy.corp:3128").unwrap();
        assert_eq!(proxy.name(), "proxy.corp:3128");
        assert_eq!(proxy.display(), "http://proxy.corp:3128 (with credentials)");
        assert_eq!(proxy.credentials().as_deref(), Some("bob:hunter2"));
        assert!(proxy.is_http_tunnel());
        assert!(!format!("{proxy:?}").contains("hunter2"));
        let bare = ProxyServer::parse("proxy.corp:8080").unwrap();
        assert_eq!(bare.display(), "http://proxy.corp:8080");
        let v6 = ProxyServer::parse("https://[::1]:3128").unwrap();
        assert_eq!((v6.host(), v6.port(), v6.scheme()), ("::1", 3128, "https"));
        assert_eq!(ProxyServer::parse("http://p").unwrap().port(), 80);
    }

    #[test]
    fn malformed_and_unsupported_proxies_are_refused_without_the_password() {
        for (url, expected) in [
            ("", "is empty"),
            ("socks5://u:secret@h:1080", "socks5 proxy"),
            ("ftp://h:21", "uses 'ftp://'"),
            ("http://u:secret@pro xy:3128", "not a valid proxy URL"),
            ("http://:3128", "no host"),
        ] {
            let problem = ProxyServer::parse(url).unwrap_err();
            assert!(problem.contains(expected), "{url}: {problem}");
            assert!(!problem.contains("secret"), "{problem}");
        }
    }

    #[test]
    fn masking_hides_the_password_and_keeps_the_rest() {
        assert_eq!(
            mask_credentials("http://bob:hunter2@proxy.corp:3128"),
            "http://bob:***@proxy.corp:3128"
        );
        assert_eq!(
            mask_credentials("http://bob:p@ss@proxy:1/x"),
            "http://bob:***@proxy:1/x"
        );
        assert_eq!(mask_credentials("token@proxy:1"), "***@proxy:1");
        assert_eq!(mask_credentials("http://proxy:1"), "http://proxy:1");
        // An `@` after a `/` is read as the end of a password typed raw:
        // masking too much is the safe mistake.
        assert_eq!(mask_credentials("http://proxy:1/a@b"), "http://proxy:***@b");
    }
}
