//! The API's base URL, parsed once: `http(s)://host[:port]` and nothing
//! else. Its origin is where the key may go; a path, a query, user info or a
//! port out of range is refused before anything is sent.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    pub scheme: Scheme,
    /// Lowercased; an IPv6 address keeps its brackets.
    pub host: String,
    /// The port given, else the scheme's.
    pub port: u16,
    explicit_port: bool,
}

/// What a URL string held besides the base URL itself.
#[derive(Debug, PartialEq, Eq)]
pub struct Parsed {
    pub url: BaseUrl,
    /// A trailing `/v1` was given and dropped (claude-rs adds it itself).
    pub dropped_v1: bool,
}

impl BaseUrl {
    /// Parses `raw`; the error says what is wrong with it, quoting it.
    pub fn parse(raw: &str) -> Result<Parsed, String> {
        let trimmed = raw.trim();
        let shown: String = trimmed.chars().take(200).collect();
        let Some((scheme, rest)) = trimmed.split_once("://") else {
            return Err(format!(
                "the base URL '{shown}' has no http:// or https:// scheme"
            ));
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => {
                return Err(format!(
                    "the base URL '{shown}' uses '{other}://'; only http and https are supported"
                ));
            }
        };
        let rest = rest.trim_end_matches('/');
        let (rest, dropped_v1) = match rest.strip_suffix("/v1") {
            Some(rest) => (rest.trim_end_matches('/'), true),
            None => (rest, false),
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, after) = rest.split_at(end);
        if !after.is_empty() {
            let what = match after.chars().next() {
                Some('?') => "a query",
                Some('#') => "a fragment",
                _ => "a path",
            };
            return Err(format!(
                "the base URL '{shown}' has {what} ('{after}'); it must be only scheme://host[:port]"
            ));
        }
        if authority.contains('@') {
            return Err(format!(
                "the base URL '{}' holds user info (a name or password before '@'); the key goes in ANTHROPIC_API_KEY, a proxy's password in --proxy",
                mask_user_info(&shown)
            ));
        }
        let (host, port) = split_port(authority)
            .ok_or_else(|| format!("the base URL '{shown}' has no valid port: give 1 to 65535"))?;
        if !valid_host(host) {
            return Err(format!(
                "the base URL '{shown}' is not a valid URL with a host"
            ));
        }
        Ok(Parsed {
            url: BaseUrl {
                scheme,
                host: host.to_ascii_lowercase(),
                port: port.unwrap_or(if scheme == Scheme::Http { 80 } else { 443 }),
                explicit_port: port.is_some(),
            },
            dropped_v1,
        })
    }

    /// `scheme://host[:port]`: the only place the key is sent.
    pub fn origin(&self) -> String {
        self.to_string()
    }

    /// The host without an IPv6 address's brackets, for resolving and TLS.
    pub fn bare_host(&self) -> &str {
        self.host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host)
    }

    /// `localhost`, 127.0.0.0/8 and ::1 (an IPv4-mapped 127.x too): hosts
    /// that never leave the machine, where plain http cannot leak the key.
    pub fn is_loopback(&self) -> bool {
        is_loopback(self.bare_host())
    }

    /// Whether `url` (absolute) is on this origin: scheme, host and port.
    pub fn same_origin(&self, url: &str) -> bool {
        // Without a scheme, no prefix of `url` parses.
        let start = url.find("://").map_or(0, |at| at + 3);
        let end = url[start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| start + i);
        BaseUrl::parse(&url[..end]).is_ok_and(|other| {
            (other.url.scheme, other.url.host, other.url.port)
                == (self.scheme, self.host.clone(), self.port)
        })
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}", self.host)?;
        if self.explicit_port {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// `host` and the port after it, if one is given; `None` for a port that is
/// not a number from 1 to 65535.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    // [v6]:port — the colon after the closing bracket, if any.
    let port_at = match authority.starts_with('[') {
        true => authority.find(']')? + 1,
        false => 0,
    };
    let Some(colon) = authority[port_at..].rfind(':').map(|at| port_at + at) else {
        return Some((authority, None));
    };
    let port = &authority[colon + 1..];
    // Digits only: `parse` would take a sign.
    match port.parse::<u32>() {
        Ok(n @ 1..=65535) if port.bytes().all(|b| b.is_ascii_digit()) => {
            Some((&authority[..colon], Some(n as u16)))
        }
        _ => None,
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip == Ipv6Addr::LOCALHOST || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

fn valid_host(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        && !host.starts_with(['.', '-'])
}

/// `https://…@host`: whatever stood before the `@` is not shown.
fn mask_user_info(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}…{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(raw: &str) -> BaseUrl {
        BaseUrl::parse(raw)
            .unwrap_or_else(|e| panic!("{raw}: {e}"))
            .url
    }

    #[test]
    fn the_port_defaults_by_scheme_and_the_origin_keeps_what_was_given() {
        let https = parse("https://API.anthropic.com/");
        assert_eq!(
            (https.host.as_str(), https.port),
            ("api.anthropic.com", 443)
        );
        assert_eq!(https.origin(), "https://api.anthropic.com");
        let http = parse("http://localhost");
        assert_eq!(http.port, 80);
        let given = parse("http://127.0.0.1:8080");
        assert_eq!(
            (given.port, given.origin().as_str()),
            (8080, "http://127.0.0.1:8080")
        );
        let v6 = parse("http://[::1]:9000");
        assert_eq!((v6.bare_host(), v6.port), ("::1", 9000));
    }

    #[test]
    fn a_trailing_v1_is_dropped_and_said() {
        let parsed = BaseUrl::parse("https://api.anthropic.com/v1/").unwrap();
        assert!(parsed.dropped_v1);
        assert_eq!(parsed.url.origin(), "https://api.anthropic.com");
    }

    #[test]
    fn anything_but_scheme_host_and_port_is_refused_with_what_it_held() {
        for (raw, said) in [
            ("api.anthropic.com", "no http:// or https:// scheme"),
            ("ftp://host", "only http and https"),
            ("http://127.0.0.1:99999", "no valid port"),
            ("http://127.0.0.1:0", "no valid port"),
            ("http://127.0.0.1:port", "no valid port"),
            ("https://host/anthropic", "has a path ('/anthropic')"),
            ("https://host?key=1", "has a query"),
            ("https://host#x", "has a fragment"),
            ("https://", "not a valid URL with a host"),
            ("https://bad host", "not a valid URL with a host"),
            ("http://[zz]:80", "not a valid URL with a host"),
        ] {
            let error = BaseUrl::parse(raw).unwrap_err();
            assert!(error.contains(said), "{raw}: {error}");
        }
    }

    #[test]
    fn user_info_is_refused_without_quoting_it() {
        let error = BaseUrl::parse("https://me:s3cr3t-passw0rd@api.example.com").unwrap_err();
        assert!(error.contains("user info"), "{error}");
        assert!(!error.contains("s3cr3t"), "{error}");
    }

    #[test]
    fn same_origin_compares_scheme_host_and_port() {
        let base = parse("https://api.anthropic.com");
        assert!(base.same_origin("https://api.anthropic.com/v1/messages/batches/b/results"));
        assert!(base.same_origin("https://API.anthropic.com:443/v1/x"));
        assert!(!base.same_origin("https://evil.example/v1/x"));
        assert!(!base.same_origin("http://api.anthropic.com/v1/x"));
        assert!(!base.same_origin("https://api.anthropic.com:8443/v1/x"));
        assert!(!base.same_origin("https://api.anthropic.com@evil.example/v1/x"));
        assert!(!base.same_origin("not a url"));
        assert!(parse("http://127.0.0.1:4000").same_origin("http://127.0.0.1:4000/v1/x"));
    }

    #[test]
    fn loopback_is_localhost_127_slash_8_and_ipv6_one() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1",
            "128.0.0.1",
            "0.0.0.0",
            "[::]",
            "localhost.example.com",
            "127.0.0.1.nip.io",
            "[::2]",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_an_origin_parses_to_itself(raw in any::<String>()) {
            if let Ok(parsed) = BaseUrl::parse(&raw) {
                let again = BaseUrl::parse(&parsed.url.origin()).unwrap();
                prop_assert_eq!(again.url, parsed.url);
            }
        }

        #[test]
        fn any_port_out_of_range_is_refused(port in 65536u64..10_000_000_000u64) {
            let url = format!("http://127.0.0.1:{port}");
            prop_assert!(BaseUrl::parse(&url).is_err());
        }
    }
}
