//! Check 2, proxy: `--proxy`, or which proxy variables are set, which one
//! ureq uses, and whether it applies to the API host. A proxy password is
//! never shown: only `host:port`.

use ureq::Proxy;

use super::check::Check;
use super::config::Target;
use crate::api::Network;
use crate::api::proxy::ProxyServer;
use crate::config::EnvLookup;

const NAME: &str = "proxy";

/// ureq's order: the first of these that holds a usable proxy URL is used,
/// for every scheme (so HTTP_PROXY applies to https too).
pub(crate) const PROXY_VARIABLES: [&str; 6] = [
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
];
const NO_PROXY_VARIABLES: [&str; 2] = ["NO_PROXY", "no_proxy"];

/// The proxy the API's traffic goes through.
pub struct ProxyHop {
    /// Where it came from: `--proxy`, or the variable that explains it.
    pub variable: Option<&'static str>,
    /// Holds the credentials, if any: only ever used, never displayed.
    server: ProxyServer,
}

/// A hop is its proxy server (`host`, `port`, `name`, `scheme`,
/// `credentials`, …) plus where it came from.
impl std::ops::Deref for ProxyHop {
    type Target = ProxyServer;

    fn deref(&self) -> &ProxyServer {
        &self.server
    }
}

/// The check, and the proxy that applies to the API host, if one does.
/// `chosen_by` names where a proxy of the client's came from (`--proxy`, or
/// the config file's `proxy`).
pub fn check(
    target: Option<&Target>,
    network: &Network,
    chosen_by: &'static str,
    env: EnvLookup,
) -> (Check, Option<ProxyHop>) {
    match &network.proxy {
        Some(server) => flagged(target, server.clone(), chosen_by, env),
        None => assess(target, env, Proxy::try_from_env()),
    }
}

/// A proxy of the client's own applies to every request, whatever the
/// environment says.
fn flagged(
    target: Option<&Target>,
    server: ProxyServer,
    chosen_by: &'static str,
    env: EnvLookup,
) -> (Check, Option<ProxyHop>) {
    let hop = ProxyHop {
        variable: Some(chosen_by),
        server,
    };
    let mut message = format!("{chosen_by} → {}", hop.display());
    if let Some(target) = target {
        message.push_str(&format!(" applies to {}", target.host));
    }
    let overridden = set_variables(env);
    if !overridden.is_empty() {
        message.push_str(&format!(" ({} ignored)", overridden.join(", ")));
    }
    (Check::pass(NAME, message), Some(hop))
}

/// The proxy variables set to something, in ureq's order, then NO_PROXY.
fn set_variables(env: EnvLookup) -> Vec<&'static str> {
    PROXY_VARIABLES
        .iter()
        .chain(NO_PROXY_VARIABLES.iter())
        .copied()
        .filter(|name| env(name).is_some_and(|v| !v.trim().is_empty()))
        .collect()
}

/// `in_use` is the proxy ureq itself picked up (the client builds it the
/// same way), so the verdict is about what will really happen.
fn assess(
    target: Option<&Target>,
    env: EnvLookup,
    in_use: Option<Proxy>,
) -> (Check, Option<ProxyHop>) {
    let set = set_variables(env);
    let unusable: Vec<&'static str> = PROXY_VARIABLES
        .iter()
        .copied()
        .filter(|name| set.contains(name))
        .filter(|name| env(name).is_some_and(|v| Proxy::new(&v).is_err()))
        .collect();
    let Some(proxy) = in_use else {
        return (no_proxy_in_use(&set, &unusable), None);
    };
    let hop = ProxyHop {
        variable: PROXY_VARIABLES
            .iter()
            .copied()
            .find(|name| env(name).is_some_and(|v| Proxy::new(&v).is_ok())),
        server: ProxyServer::from(proxy),
    };
    let source = hop.variable.unwrap_or("the system proxy setting");
    let Some(target) = target else {
        let message = format!(
            "{source} → {}; whether it applies is unknown without a valid base URL",
            hop.display()
        );
        return (Check::pass(NAME, message), Some(hop));
    };
    if hop.server.bypasses(&target.uri) {
        let message = format!(
            "{source} → {} is set, but NO_PROXY matches {}: direct connection",
            hop.display(),
            target.host
        );
        return (with_doubts(message, &unusable, env), None);
    }
    let mut message = format!("{source} → {} applies to {}", hop.display(), target.host);
    if target.https && matches!(hop.variable, Some("HTTP_PROXY" | "http_proxy")) {
        message.push_str(
            " (the first of ALL_PROXY, HTTPS_PROXY, HTTP_PROXY set is used for every scheme)",
        );
    }
    (with_doubts(message, &unusable, env), Some(hop))
}

fn no_proxy_in_use(set: &[&str], unusable: &[&'static str]) -> Check {
    if set.is_empty() {
        return Check::pass(
            NAME,
            "none set (ALL_PROXY, HTTPS_PROXY, HTTP_PROXY, NO_PROXY, or lowercase): direct connection",
        );
    }
    let message = format!("{} set, no proxy in use: direct connection", set.join(", "));
    match unusable.is_empty() {
        true => Check::pass(NAME, message),
        false => unusable_warning(unusable, &message),
    }
}

/// Turns a passing check into a warning when something set is ignored.
/// A pass with `message`, unless a variable is unusable or NO_PROXY is spaced.
fn with_doubts(message: String, unusable: &[&'static str], env: EnvLookup) -> Check {
    if !unusable.is_empty() {
        return unusable_warning(unusable, &message);
    }
    let spaced = NO_PROXY_VARIABLES
        .iter()
        .find(|name| env(name).is_some_and(|v| v.split(',').any(|e| e != e.trim())));
    match spaced {
        // ureq compares NO_PROXY entries untrimmed: " example.com" never matches.
        Some(name) => Check::warn(
            NAME,
            format!("{message}; {name} has spaces around its entries, which then never match"),
            format!(
                "Write {name} without spaces, e.g. {name}=localhost,127.0.0.1,.internal.example"
            ),
        ),
        None => Check::pass(NAME, message),
    }
}

fn unusable_warning(unusable: &[&'static str], message: &str) -> Check {
    Check::warn(
        NAME,
        format!(
            "{message}; {} set but not a usable proxy URL (ignored)",
            unusable.join(", ")
        ),
        "Set it to scheme://host:port (http, https, socks4, socks5), or unset it.",
    )
}

#[cfg(test)]
mod tests {
    use ureq::ProxyProtocol;

    use super::*;
    use crate::diagnose::check::Status;
    use crate::diagnose::test_env::env_of;

    fn target(url: &str) -> Target {
        Target::from_base_url(url).unwrap()
    }

    #[test]
    fn no_variables_means_a_direct_connection() {
        let (check, hop) = assess(
            Some(&target("https://api.anthropic.com")),
            &env_of(&[]),
            None,
        );
        assert_eq!(check.status, Status::Pass);
        assert!(check.message.starts_with("none set"));
        assert!(hop.is_none());
    }

    #[test]
    fn an_applying_proxy_is_named_without_its_password() {
        let env = env_of(&[("HTTP_PROXY", "http://bob:hunter2@proxy.corp:3128")]);
        let proxy = Proxy::new("http://bob:hunter2@proxy.corp:3128").unwrap();
        let (check, hop) = assess(
            Some(&target("https://api.anthropic.com")),
            &env,
            Some(proxy),
        );
        let hop = hop.unwrap();
        assert_eq!(hop.name(), "proxy.corp:3128");
        assert_eq!(hop.variable, Some("HTTP_PROXY"));
        assert!(hop.is_http_tunnel());
        assert_eq!(hop.credentials().as_deref(), Some("bob:hunter2"));
        assert!(!check.message.contains("hunter2"), "{}", check.message);
        assert!(
            check
                .message
                .contains("http://proxy.corp:3128 (with credentials)")
        );
        assert!(check.message.contains("for every scheme"));
    }

    #[test]
    fn no_proxy_bypasses_and_spaces_are_caught() {
        let env = env_of(&[
            ("HTTPS_PROXY", "http://p:3128"),
            ("NO_PROXY", "localhost, api.anthropic.com"),
        ]);
        let proxy = Proxy::builder(ProxyProtocol::Http)
            .host("p")
            .port(3128)
            .no_proxy("api.anthropic.com")
            .build()
            .unwrap();
        let (check, hop) = assess(
            Some(&target("https://api.anthropic.com")),
            &env,
            Some(proxy),
        );
        assert!(hop.is_none());
        assert!(check.message.contains("NO_PROXY matches api.anthropic.com"));
        assert_eq!(check.status, Status::Warn);
        assert!(check.fix.unwrap().contains("without spaces"));
    }

    #[test]
    fn the_proxy_flag_overrides_the_environment_and_hides_its_password() {
        let env = env_of(&[("HTTPS_PROXY", "http://p:3128"), ("NO_PROXY", "*")]);
        let network = Network {
            proxy: Some(ProxyServer::parse("http://bob:hunter2@flag.corp:8080").unwrap()),
            ..Network::default()
        };
        let (check, hop) = super::check(
            Some(&target("https://api.anthropic.com")),
            &network,
            "--proxy",
            &env,
        );
        let hop = hop.unwrap();
        assert_eq!(
            (hop.name(), hop.variable),
            ("flag.corp:8080".into(), Some("--proxy"))
        );
        assert_eq!(check.status, Status::Pass);
        assert_eq!(
            check.message,
            "--proxy → http://flag.corp:8080 (with credentials) applies to api.anthropic.com (HTTPS_PROXY, NO_PROXY ignored)"
        );
    }

    #[test]
    fn an_unusable_value_is_a_warning() {
        let env = env_of(&[("HTTPS_PROXY", "ftp://nope:1")]);
        let (check, hop) = assess(Some(&target("https://api.anthropic.com")), &env, None);
        assert!(hop.is_none());
        assert_eq!(check.status, Status::Warn);
        assert!(
            check
                .message
                .contains("HTTPS_PROXY set but not a usable proxy URL")
        );
    }
}
