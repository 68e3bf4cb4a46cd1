//! The global network options (`--proxy`, `--ca-cert`, `--native-roots`,
//! `--allow-insecure-http`) and `SSL_CERT_FILE`, resolved into the client's
//! `Network`; and the rule that keeps the key off plain HTTP. Everything
//! wrong here is a `UsageError` (exit 2), found before anything is sent.

use std::path::Path;

use super::base_url::{BaseUrl, Scheme};
use super::{Context, UsageError, env_or_none, expand_home};
use crate::api::Network;
use crate::api::proxy::{ProxyServer, mask_credentials};
use crate::api::tls::{Trust, any_usable, first_unusable, read_pem_certificates};
use crate::config::user::Source;
use crate::diagnose::proxy::PROXY_VARIABLES;

/// The network settings resolved: what the client uses, and whether plain
/// HTTP to another machine is allowed.
#[derive(Debug)]
pub struct Resolved {
    pub network: Network,
    pub allow_insecure_http: bool,
}

/// The proxy and the trusted roots (flags > environment > profile > file >
/// defaults).
pub fn resolve(ctx: &Context) -> Result<Resolved, UsageError> {
    resolve_for(ctx, false)
}

/// `resolve`, for a connection to a plain `http://` base URL when
/// `plain_http` (the fake API is one): then no TLS is involved unless the
/// proxy speaks it, and an unusable `SSL_CERT_FILE` (set for other programs,
/// or left stale) is not in the way.
pub fn resolve_for(ctx: &Context, plain_http: bool) -> Result<Resolved, UsageError> {
    let args = ctx.network;
    // The proxy variables are read by ureq itself: when one is set, the
    // config file's proxy gives way to it, as the environment outranks the file.
    let env_proxy = PROXY_VARIABLES
        .iter()
        .find_map(|name| env_or_none(ctx.env, name).map(|value| (mask_credentials(&value), *name)));
    let picked = ctx.pick_optional(
        "proxy",
        args.proxy.clone().map(|p| (p, "--proxy")),
        env_proxy,
        ctx.config(|l| l.proxy.as_ref()),
    );
    let proxy = match (&picked.source, &picked.value) {
        (Source::Env(_), _) | (_, None) => None,
        (source, Some(raw)) => {
            let value = format!("'{}'", mask_credentials(raw.trim()));
            let said = ctx.said(source, "--proxy", "proxy", value);
            Some(ProxyServer::parse(raw).map_err(|problem| {
                UsageError::new(
                    format!("{said} {problem}"),
                    "give the proxy as http://host:port (or https://), with credentials if it needs them: \
                     http://user:password@host:port",
                )
            })?)
        }
    };
    if let Some(raw) = &picked.value {
        ctx.record("proxy", mask_credentials(raw).into(), &picked.source);
    }
    let native = ctx.pick(
        "native_roots",
        args.native_roots.then_some((true, "--native-roots")),
        None,
        ctx.config(|l| l.native_roots.as_ref()),
        false,
    );
    let insecure = ctx.pick(
        "allow_insecure_http",
        args.allow_insecure_http
            .then_some((true, "--allow-insecure-http")),
        None,
        ctx.config(|l| l.allow_insecure_http.as_ref()),
        false,
    );
    let https_proxy = picked
        .value
        .as_deref()
        .is_some_and(|p| p.trim().to_ascii_lowercase().starts_with("https://"));
    Ok(Resolved {
        network: Network {
            proxy,
            trust: trust(ctx, native.value, plain_http && !https_proxy)?,
            betas: super::betas(ctx)?,
        },
        allow_insecure_http: insecure.value,
    })
}

fn trust(ctx: &Context, native_roots: bool, no_tls: bool) -> Result<Trust, UsageError> {
    // A flag's path is used as given, even if it is not UTF-8.
    if let Some(path) = &ctx.network.ca_cert {
        let shown = path.display().to_string().into();
        ctx.record("ca_cert", shown, &Source::Flag("--ca-cert"));
        let origin = format!("--ca-cert {}", path.display());
        return added(path, &origin, Strictness::EveryCertificate);
    }
    let picked = ctx.pick_optional(
        "ca_cert",
        None,
        env_or_none(ctx.env, "SSL_CERT_FILE").map(|p| (p, "SSL_CERT_FILE")),
        ctx.config(|l| l.ca_cert.as_ref()),
    );
    // Native roots, when asked for, leave SSL_CERT_FILE to the platform: on
    // Linux its store loader reads it (instead of the system store), as
    // OpenSSL does.
    if native_roots {
        return Ok(Trust::Native);
    }
    match (&picked.source, picked.value) {
        (_, None) => Ok(Trust::Bundled),
        (Source::Env(_), Some(path)) => {
            let origin = format!("SSL_CERT_FILE={path}");
            match added(Path::new(&path), &origin, Strictness::SomeCertificate) {
                // Nothing will be verified, so nothing is trusted from it.
                Err(_) if no_tls => Ok(Trust::Bundled),
                other => other,
            }
        }
        (source, Some(path)) => {
            let path = expand_home(&path);
            let origin = format!("ca_cert {} ({source})", path.display());
            added(&path, &origin, Strictness::EveryCertificate)
        }
    }
}

/// A file given with `--ca-cert` was picked for this: each certificate in it
/// must be usable. `SSL_CERT_FILE` is often a system-wide bundle set for
/// other programs: like OpenSSL, skip what cannot be used, if anything can.
#[derive(Clone, Copy, PartialEq)]
enum Strictness {
    EveryCertificate,
    SomeCertificate,
}

fn added(path: &Path, origin: &str, strictness: Strictness) -> Result<Trust, UsageError> {
    let give = match strictness {
        Strictness::EveryCertificate => "give --ca-cert",
        Strictness::SomeCertificate => "point SSL_CERT_FILE at",
    };
    let refuse = |problem: String| {
        UsageError::new(
            format!("{origin} {problem}"),
            format!(
                "{give} a PEM file of the CA certificates to trust (-----BEGIN CERTIFICATE----- blocks); \
                 convert a DER file first with: openssl x509 -inform der -in CA.der -out CA.pem"
            ),
        )
    };
    let certs = read_pem_certificates(path).map_err(refuse)?;
    match strictness {
        Strictness::EveryCertificate => match first_unusable(&certs) {
            Some(problem) => Err(refuse(problem)),
            None => Ok(Trust::added(certs, origin)),
        },
        Strictness::SomeCertificate if !any_usable(&certs) => Err(refuse(
            "holds no certificate that can be used as a CA".into(),
        )),
        // ureq and the probe leave out the few that cannot be used.
        Strictness::SomeCertificate => Ok(Trust::added(certs, origin)),
    }
}

/// Refuses to send the key in the clear: an `http://` base URL must be this
/// machine (loopback) unless `--allow-insecure-http` says the network is
/// trusted.
pub fn check_plain_http(base_url: &str, allowed: bool) -> Result<(), UsageError> {
    let Ok(parsed) = BaseUrl::parse(base_url) else {
        return Ok(());
    };
    let url = parsed.url;
    if allowed || url.scheme != Scheme::Http || url.is_loopback() {
        return Ok(());
    }
    let host = &url.host;
    Err(UsageError::new(
        format!(
            "refusing to send the API key in the clear to {base_url}: plain http:// to a host other than localhost, 127.0.0.0/8 or ::1"
        ),
        format!(
            "use https:// in ANTHROPIC_BASE_URL (e.g. {}), or pass --allow-insecure-http if the network to {host} is trusted",
            base_url.replacen("http://", "https://", 1)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::NetworkArgs;
    use crate::config::EnvLookup;
    use crate::config::file::ConfigFile;
    use crate::config::user::UserConfig;

    fn resolve_with(args: &NetworkArgs, env: EnvLookup) -> Result<Network, UsageError> {
        let user = UserConfig::default();
        let ctx = Context::new(env, &user, None, args);
        resolve(&ctx).map(|resolved| resolved.network)
    }

    fn with_file(text: &str, env: EnvLookup, args: &NetworkArgs) -> Result<Resolved, UsageError> {
        let user = UserConfig {
            path: Some("/c.toml".into()),
            file: Some(ConfigFile::parse(Path::new("/c.toml"), text.into(), Some(0o600)).unwrap()),
            profile: None,
        };
        let ctx = Context::new(env, &user, None, args);
        resolve(&ctx)
    }

    #[test]
    fn the_config_file_sets_the_proxy_unless_the_environment_does() {
        let file = "proxy = \"http://file-proxy:3128\"\nallow_insecure_http = true\n";
        let resolved = with_file(file, &no_env, &NetworkArgs::default()).unwrap();
        assert_eq!(
            resolved.network.proxy.as_ref().map(|p| p.name()),
            Some("file-proxy:3128".to_string())
        );
        assert!(resolved.allow_insecure_http);
        let env = |name: &str| (name == "HTTPS_PROXY").then(|| "http://env-proxy:8080".to_string());
        let from_env = with_file(file, &env, &NetworkArgs::default()).unwrap();
        assert!(
            from_env.network.proxy.is_none(),
            "ureq reads the environment's proxy itself"
        );
        let flag = NetworkArgs {
            proxy: Some("http://flag-proxy:1".into()),
            ..NetworkArgs::default()
        };
        let from_flag = with_file(file, &env, &flag).unwrap();
        assert_eq!(
            from_flag.network.proxy.as_ref().map(|p| p.name()),
            Some("flag-proxy:1".to_string())
        );
        let bad = with_file(
            "proxy = \"socks5://x:1\"\n",
            &no_env,
            &NetworkArgs::default(),
        )
        .unwrap_err();
        assert!(
            bad.problem.starts_with("proxy = 'socks5://x:1' ("),
            "{bad:?}"
        );
        assert!(bad.problem.contains("/c.toml, line 1"), "{bad:?}");
    }

    #[test]
    fn the_config_file_can_add_a_ca_or_use_native_roots() {
        let missing = with_file(
            "ca_cert = \"/nonexistent/corp.pem\"\n",
            &no_env,
            &NetworkArgs::default(),
        )
        .unwrap_err();
        assert!(
            missing
                .problem
                .contains("ca_cert /nonexistent/corp.pem (config file, line 1)"),
            "{missing:?}"
        );
        let native = with_file("native_roots = true\n", &no_env, &NetworkArgs::default()).unwrap();
        assert!(matches!(native.network.trust, Trust::Native));
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_key_goes_over_plain_http_only_to_loopback_unless_allowed() {
        assert!(check_plain_http("http://127.0.0.1:8080", false).is_ok());
        assert!(check_plain_http("http://localhost:8080", false).is_ok());
        assert!(check_plain_http("http://[::1]:8080", false).is_ok());
        assert!(check_plain_http("https://example.com", false).is_ok());
        assert!(check_plain_http("http://example.com", true).is_ok());
        let refused = check_plain_http("http://example.com", false).unwrap_err();
        assert!(
            refused.problem.contains("http://example.com"),
            "{refused:?}"
        );
        assert!(refused.fix.contains("https://example.com"), "{refused:?}");
        assert!(refused.fix.contains("--allow-insecure-http"), "{refused:?}");
        assert!(check_plain_http("http://10.255.255.1:9", false).is_err());
    }

    #[test]
    fn a_bad_proxy_names_the_flag_and_hides_the_password() {
        let args = NetworkArgs {
            proxy: Some("http://bob:hunter2@pro xy:3128".into()),
            ..NetworkArgs::default()
        };
        let error = resolve_with(&args, &no_env).unwrap_err();
        assert!(
            error
                .problem
                .starts_with("--proxy 'http://bob:***@pro xy:3128'"),
            "{error:?}"
        );
        assert!(!format!("{error:?}").contains("hunter2"));
        let args = NetworkArgs {
            proxy: Some("http://bob:hunter2@proxy:3128".into()),
            ..NetworkArgs::default()
        };
        let network = resolve_with(&args, &no_env).unwrap();
        assert!(!format!("{network:?}").contains("hunter2"), "{network:?}");
    }

    #[test]
    fn ca_cert_wins_over_ssl_cert_file_which_may_hold_unusable_certificates() {
        let missing = |name: &str| (name == "SSL_CERT_FILE").then(|| "/nonexistent/env.pem".into());
        let error = resolve_with(&NetworkArgs::default(), &missing).unwrap_err();
        assert!(
            error
                .problem
                .starts_with("SSL_CERT_FILE=/nonexistent/env.pem cannot be read"),
            "{error:?}"
        );
        assert!(
            error.fix.starts_with("point SSL_CERT_FILE at a PEM file"),
            "{error:?}"
        );
        let args = NetworkArgs {
            ca_cert: Some("/nonexistent/flag.pem".into()),
            ..NetworkArgs::default()
        };
        let error = resolve_with(&args, &missing).unwrap_err();
        assert!(
            error
                .problem
                .starts_with("--ca-cert /nonexistent/flag.pem cannot be read"),
            "{error:?}"
        );
        let mixed = tempfile::NamedTempFile::new().unwrap();
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        std::fs::write(mixed.path(), format!("{}{garbage}", fake_api::TEST_CA_PEM)).unwrap();
        let mixed_path = mixed.path().to_string_lossy().into_owned();
        let bundle = |name: &str| (name == "SSL_CERT_FILE").then(|| mixed_path.clone());
        let trust = resolve_with(&NetworkArgs::default(), &bundle)
            .unwrap()
            .trust;
        assert!(
            trust
                .describe()
                .contains("and 2 certificates from SSL_CERT_FILE="),
            "{trust:?}"
        );
        let strict = NetworkArgs {
            ca_cert: Some(mixed.path().to_path_buf()),
            ..NetworkArgs::default()
        };
        let error = resolve_with(&strict, &no_env).unwrap_err();
        assert!(
            error
                .problem
                .contains("(number 2) that cannot be used as a CA"),
            "{error:?}"
        );
        let native = NetworkArgs {
            native_roots: true,
            ..NetworkArgs::default()
        };
        assert!(matches!(
            resolve_with(&native, &missing).unwrap().trust,
            Trust::Native
        ));
        assert!(matches!(
            resolve_with(&NetworkArgs::default(), &no_env)
                .unwrap()
                .trust,
            Trust::Bundled
        ));
    }
}
