//! Checks 3 and 4, dns and tcp: the first hop (the API host, or the proxy
//! when one applies) resolves and accepts a connection, each within its own
//! timeout however dead the network is.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::check::{Check, millis, secs};
use crate::api::transport::classify_transport;

/// Where the first connection goes.
#[derive(Clone, Debug, PartialEq)]
pub struct Hop {
    pub host: String,
    pub port: u16,
    /// `host:port` of the proxy, when the hop is one.
    pub proxy: Option<String>,
    /// The API host, which a proxy resolves itself.
    pub api_host: String,
}

impl Hop {
    fn what(&self) -> &'static str {
        match self.proxy {
            Some(_) => "the proxy",
            None => "the API",
        }
    }
}

/// The address the tcp check connects to.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub hop: Hop,
    pub address: SocketAddr,
}

pub fn dns(hop: &Hop, timeout: Duration) -> (Check, Option<Resolved>) {
    let started = Instant::now();
    // Through a proxy, the API host is the proxy's to resolve: the proxy's
    // own host is what must resolve here.
    let (proxy_note, subject) = match hop.proxy {
        Some(_) => (
            format!("{} is resolved by the proxy; ", hop.api_host),
            format!("the proxy's host {}", hop.host),
        ),
        None => (String::new(), hop.host.clone()),
    };
    let resolved = |address| {
        Some(Resolved {
            hop: hop.clone(),
            address,
        })
    };
    if let Ok(ip) = hop.host.parse::<IpAddr>() {
        let message = format!("{proxy_note}{subject} is an IP address: nothing to resolve");
        let check = Check::pass("dns", message).with_figure("0 ms");
        return (check, resolved(SocketAddr::new(ip, hop.port)));
    }
    match resolve(&hop.host, hop.port, timeout) {
        Ok(addresses) if !addresses.is_empty() => {
            let more = match addresses.len() {
                1 => String::new(),
                n => format!(" (+{} more)", n - 1),
            };
            let message = format!("{proxy_note}{subject} → {}{more}", addresses[0].ip());
            let check = Check::pass("dns", message).with_figure(millis(started.elapsed()));
            (check, resolved(addresses[0]))
        }
        Ok(_) => {
            let error = io::Error::other("failed to lookup address information: no addresses");
            (dns_failure(hop, error, started), None)
        }
        Err(Lookup::Failed(error)) => (dns_failure(hop, error, started), None),
        Err(Lookup::TimedOut) => {
            let failure = classify_transport(
                ureq::Error::Timeout(ureq::Timeout::Resolve),
                hop.proxy.as_deref(),
            );
            let message = format!(
                "no answer from the resolver for {} within {}",
                hop.host,
                secs(timeout)
            );
            let fix = "The resolver did not answer: check the network, the DNS servers (/etc/resolv.conf) and any VPN that must be up; raise --timeout if DNS is merely slow.";
            let check =
                Check::failed("dns", &failure, message, fix).with_figure(millis(started.elapsed()));
            (check, None)
        }
    }
}

fn dns_failure(hop: &Hop, error: io::Error, started: Instant) -> Check {
    let detail = error.to_string();
    let failure = classify_transport(ureq::Error::Io(error), hop.proxy.as_deref());
    let message = format!("{} ({}) did not resolve: {detail}", hop.host, hop.what());
    Check::failed("dns", &failure, message, failure.fix()).with_figure(millis(started.elapsed()))
}

enum Lookup {
    Failed(io::Error),
    TimedOut,
}

/// The system resolver has no timeout of its own: it runs on a thread that
/// is left behind if it does not answer in time (the process exits soon).
fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, Lookup> {
    let (sender, receiver) = mpsc::channel();
    let name = host.to_string();
    let spawned = thread::Builder::new()
        .name("doctor-dns".into())
        .spawn(move || {
            let result = (name.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect::<Vec<_>>);
            let _ = sender.send(result);
        });
    spawned.map_err(Lookup::Failed)?;
    match receiver.recv_timeout(timeout) {
        Ok(result) => result.map_err(Lookup::Failed),
        Err(_) => Err(Lookup::TimedOut),
    }
}

pub fn tcp(resolved: &Resolved, timeout: Duration) -> (Check, Option<TcpStream>) {
    let started = Instant::now();
    let hop = &resolved.hop;
    match TcpStream::connect_timeout(&resolved.address, timeout) {
        Ok(stream) => {
            let message = format!("connected to {} at {}", hop.what(), resolved.address);
            let check = Check::pass("tcp", message).with_figure(millis(started.elapsed()));
            (check, Some(stream))
        }
        Err(error) => (tcp_failure(resolved, error, timeout, started), None),
    }
}

fn tcp_failure(
    resolved: &Resolved,
    error: io::Error,
    timeout: Duration,
    started: Instant,
) -> Check {
    let hop = &resolved.hop;
    let timed_out = matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    );
    let error = match timed_out {
        true => ureq::Error::Timeout(ureq::Timeout::Connect),
        false => ureq::Error::Io(error),
    };
    let failure = classify_transport(error, hop.proxy.as_deref());
    let message = match (timed_out, &hop.proxy) {
        (true, _) => format!(
            "no connection to {} at {} within {}",
            hop.what(),
            resolved.address,
            secs(timeout)
        ),
        // The core already names the proxy.
        (false, Some(_)) => failure.message.clone(),
        (false, None) => format!("{}: {}", resolved.address, failure.message),
    };
    let fix = if timed_out {
        format!(
            "Nothing answered at {}: a firewall may drop the traffic, or the network is down; check the route{}.",
            resolved.address,
            if hop.proxy.is_some() {
                " to the proxy and HTTPS_PROXY / HTTP_PROXY / ALL_PROXY"
            } else {
                " and the host in ANTHROPIC_BASE_URL"
            }
        )
    } else {
        failure.fix()
    };
    Check::failed("tcp", &failure, message, fix).with_figure(millis(started.elapsed()))
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;
    use crate::diagnose::check::Status;
    use crate::exit_code::ExitCode;
    use crate::resilience::Cause;

    fn hop(host: &str, port: u16, proxy: Option<&str>) -> Hop {
        Hop {
            host: host.into(),
            port,
            proxy: proxy.map(str::to_string),
            api_host: "api.anthropic.com".into(),
        }
    }

    #[test]
    fn an_ip_literal_needs_no_resolver() {
        let (check, resolved) = dns(&hop("127.0.0.1", 8080, None), Duration::from_secs(1));
        assert_eq!(check.status, Status::Pass);
        assert_eq!(resolved.unwrap().address, "127.0.0.1:8080".parse().unwrap());
        let (check, _) = dns(
            &hop("10.0.0.1", 3128, Some("10.0.0.1:3128")),
            Duration::from_secs(1),
        );
        assert!(
            check
                .message
                .starts_with("api.anthropic.com is resolved by the proxy")
        );
    }

    #[test]
    fn localhost_resolves() {
        let (check, resolved) = dns(&hop("localhost", 80, None), Duration::from_secs(5));
        assert_eq!(check.status, Status::Pass, "{check:?}");
        assert!(resolved.unwrap().address.ip().is_loopback());
    }

    #[test]
    fn a_refused_connection_is_a_network_failure_naming_the_address() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let resolved = Resolved {
            hop: hop("127.0.0.1", port, None),
            address: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let (check, stream) = tcp(&resolved, Duration::from_secs(1));
        assert!(stream.is_none());
        assert_eq!(check.status, Status::Fail);
        assert_eq!(check.exit_code, Some(ExitCode::Network));
        assert!(check.message.contains("refused"), "{}", check.message);
        assert!(check.message.contains(&format!("127.0.0.1:{port}")));
        let through_proxy = Resolved {
            hop: hop("127.0.0.1", port, Some(&format!("127.0.0.1:{port}"))),
            ..resolved
        };
        let (check, _) = tcp(&through_proxy, Duration::from_secs(1));
        assert!(
            check
                .message
                .contains(&format!("could not reach the proxy 127.0.0.1:{port}"))
        );
        assert!(check.fix.unwrap().contains("proxy"));
        let failure = classify_transport(
            ureq::Error::Io(io::Error::from(io::ErrorKind::ConnectionRefused)),
            Some("p:1"),
        );
        assert_eq!(failure.cause, Some(Cause::Proxy));
    }
}
