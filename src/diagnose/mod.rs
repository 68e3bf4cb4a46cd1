//! `doctor`'s checks: every hop between this machine and the API, tested in
//! order (config, proxy, dns, tcp, tls, http, auth, model, rate_limits,
//! clock), then the local ones (health, log). Each check is a function that
//! returns one `Check`; a check whose hop failed is skipped with the reason,
//! so the first failure is the broken hop. Network failures are classified
//! by the same core as `ask`'s, so they carry the same fixes and exit codes.

pub mod api;
pub mod check;
pub mod config;
pub mod local;
pub mod network;
pub(crate) mod probe;
pub mod proxy;
pub mod tls;

use std::time::{Duration, SystemTime};

pub use check::{Check, Status, exit_code};

use crate::api::client::ModelsResponse;
use crate::api::{Client, ClientSettings, Network};
use crate::config::user::Source;
use crate::config::{Context, UsageError};
use config::{Settings, Target};
use network::Hop;
use proxy::ProxyHop;

pub struct Options {
    /// Only the checks that need no network: config, proxy, health, log.
    pub offline: bool,
    /// Each network check's own limit.
    pub timeout: Duration,
    pub model: Option<String>,
    /// Why the config file could not be used, if it could not.
    pub config_error: Option<UsageError>,
    /// The proxy and roots requests use (`--proxy`, `--ca-cert`, …).
    pub network: Network,
    /// `--allow-insecure-http`: the key may go over plain http to any host.
    pub allow_insecure_http: bool,
}

/// What a later check needs from an earlier one, or why it is not there.
type Needed<T> = Result<T, String>;

/// The checks so far; each is handed to `emit` as soon as it is known, so a
/// person watching sees which hop is slow while it is slow.
struct Report<'a> {
    checks: Vec<Check>,
    emit: &'a mut dyn FnMut(&Check),
}

impl Report<'_> {
    fn add(&mut self, check: Check) {
        let check = check.sanitized();
        (self.emit)(&check);
        self.checks.push(check);
    }

    /// Runs a check on what it needs, or records it as skipped with the
    /// reason. A check that yields nothing makes its dependents skip with
    /// "<name> failed".
    fn after<T, U>(
        &mut self,
        name: &'static str,
        needed: Needed<T>,
        run: impl FnOnce(T) -> (Check, Option<U>),
    ) -> Needed<U> {
        let input = match needed {
            Ok(input) => input,
            Err(reason) => {
                self.add(Check::skip(name, &reason));
                return Err(reason);
            }
        };
        let (check, output) = run(input);
        self.add(check);
        output.ok_or_else(|| format!("{name} failed"))
    }
}

/// Runs every check in order and returns them all.
pub fn run(options: &Options, ctx: &Context, emit: &mut dyn FnMut(&Check)) -> Vec<Check> {
    let env = ctx.env;
    let mut report = Report {
        checks: Vec::new(),
        emit,
    };
    let (check, settings) = config::check(
        options.model.as_deref(),
        options.allow_insecure_http,
        options.config_error.as_ref(),
        ctx,
    );
    report.add(check);
    let chosen_by = match ctx.shown().iter().find(|s| s.key == "proxy") {
        Some(shown) if !matches!(shown.source, Source::Flag(_)) => "proxy (config file)",
        _ => "--proxy",
    };
    let (check, proxy) = proxy::check(
        settings.target.as_ref().ok(),
        &options.network,
        chosen_by,
        env,
    );
    report.add(check);
    if !options.offline {
        let network = &options.network;
        online(
            &settings,
            proxy.as_ref(),
            network,
            options.timeout,
            &mut report,
        );
    }
    report.add(local::health(
        settings.log_path.as_deref(),
        SystemTime::now(),
    ));
    report.add(local::log_file(settings.log_path.as_deref()));
    report.checks
}

/// Checks 3 to 10, each hop on the one before it.
fn online(
    settings: &Settings,
    proxy: Option<&ProxyHop>,
    network: &Network,
    timeout: Duration,
    report: &mut Report,
) {
    let target: Needed<&Target> = settings.target.as_ref().map_err(Clone::clone);
    let reached = reach(target.clone(), proxy, network, timeout, report);
    let anonymous = target
        .clone()
        .map(|t| Client::without_key(&t.base_url, timeout, timeout, network));
    let answered = report.after("http", reached.and(anonymous), |client| {
        api::http(&client, timeout)
    });
    let keyed = match (&target, &settings.key) {
        (Ok(target), Some(key)) => {
            let client = Client::new(&ClientSettings {
                base_url: target.base_url.clone(),
                api_key: key.clone(),
                connect_timeout: timeout,
                stall_timeout: timeout,
                max_connections: 1,
                network: network.clone(),
            });
            Some((client, key))
        }
        _ => None,
    };
    let can_authenticate = answered.as_ref().map_err(Clone::clone).and_then(|_| {
        keyed
            .as_ref()
            .ok_or_else(|| "no API key (config failed)".to_string())
    });
    let authed = report.after("auth", can_authenticate, |(client, key)| {
        api::auth(client, key, timeout)
    });
    // The models listed to the key, when the key was accepted.
    let served = authed.as_ref().map_err(Clone::clone).and_then(|response| {
        let listed = response.outcome.as_ref();
        listed.map_err(|_| "auth failed".to_string())
    });
    let can_look_up = served.and_then(|listed| {
        let model = settings.model.as_ref().map_err(Clone::clone)?;
        let (client, _) = keyed.as_ref().ok_or("auth failed")?;
        Ok((client, model, listed))
    });
    let _ = report.after("model", can_look_up, |(client, model, listed)| {
        (api::model(client, model, listed, timeout), Some(()))
    });
    read_headers(&answered, &authed, report);
}

/// Checks 3 to 5: the API host (or the proxy) resolves, accepts a
/// connection, and completes a verified TLS handshake.
fn reach(
    target: Needed<&Target>,
    proxy: Option<&ProxyHop>,
    network: &Network,
    timeout: Duration,
    report: &mut Report,
) -> Needed<()> {
    // The first connection goes to the proxy when one applies (it resolves
    // and reaches the API itself), else to the API host.
    let hop = target.clone().map(|target| Hop {
        host: proxy.map_or(target.host.as_str(), |p| p.host()).to_string(),
        port: proxy.map_or(target.port, |p| p.port()),
        proxy: proxy.map(|p| p.name()),
        api_host: target.host.clone(),
    });
    let resolved = report.after("dns", hop, |hop| network::dns(&hop, timeout));
    let connected = report.after("tcp", resolved, |resolved| network::tcp(&resolved, timeout));
    if target.as_ref().is_ok_and(|t| !t.https) {
        report.add(Check::skip("tls", "plain http: no TLS"));
        return connected.map(drop);
    }
    let needed = connected.and_then(|stream| target.map(|t| (stream, t)));
    report.after("tls", needed, |(stream, target)| {
        tls::check(stream, target, proxy, &network.trust, timeout)
    })
}

/// Checks 9 and 10 read the answers already had, newest first: no request
/// of their own.
fn read_headers(
    answered: &Needed<ModelsResponse>,
    authed: &Needed<ModelsResponse>,
    report: &mut Report,
) {
    let heard = answered.as_ref().map_err(Clone::clone).map(|answered| {
        let mut responses: Vec<_> = authed.as_ref().ok().into_iter().collect();
        responses.push(answered);
        responses
    });
    let _ = report.after("rate_limits", heard.clone(), |responses| {
        (api::rate_limits(&responses), Some(()))
    });
    let _ = report.after("clock", heard, |responses| {
        (api::clock(&responses), Some(()))
    });
}

/// An environment made of fixed pairs, for the checks' unit tests.
#[cfg(test)]
pub(crate) mod test_env {
    pub fn env_of(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }
}
