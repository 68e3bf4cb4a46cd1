//! Network realities: the fake API over TLS with a test CA (`--ca-cert`,
//! `SSL_CERT_FILE`, `--native-roots`, certificate failures naming their
//! issuer), proxies (`--proxy`, a CONNECT proxy of our own on 127.0.0.1,
//! credentials never shown), and the key kept off plain HTTP. Everything on
//! 127.0.0.1; nothing leaves the machine.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use fake_api::{MockConfig, TEST_CA_PEM};
use serde_json::Value;

use crate::support::*;

const ISSUER: &str = "claude-rs test CA - not for production (claude-rs tests)";
const PROXY_PASSWORD: &str = "hunter2-proxy-secret";

fn tls_world() -> World {
    World::new(MockConfig {
        tls: true,
        ..MockConfig::default()
    })
}

/// The test CA, written to the test's directory.
fn test_ca(world: &World) -> String {
    world.file("test-ca.pem", TEST_CA_PEM)
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn json_error(out: &Run) -> Value {
    json_line(&out.stdout)["error"].clone()
}

/// Checks what no output and no log line may hold: the proxy's password.
fn assert_no_proxy_password(world: &World, out: &Run) {
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains(PROXY_PASSWORD),
            "the proxy password leaked:\n{text}"
        );
    }
    let log = std::fs::read_to_string(world.log_path()).unwrap_or_default();
    assert!(
        !log.contains(PROXY_PASSWORD),
        "the proxy password leaked into the log"
    );
}

#[test]
fn the_test_ca_makes_the_tls_fake_api_trusted() {
    let world = tls_world();
    let ca = test_ca(&world);
    assert!(world.server.base_url().starts_with("https://127.0.0.1:"));
    let out = ask(&world, &["--ca-cert", &ca, "hello"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("You said: hello"), "{}", out.stdout);
    assert_eq!(world.message_requests(), 1);
}

#[test]
fn ssl_cert_file_works_like_ca_cert_and_the_flag_wins() {
    let world = tls_world();
    let ca = test_ca(&world);
    let out = run(&world, world.ask(&["hello"]).env("SSL_CERT_FILE", &ca));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("You said: hello"));
    let unusable = world.file("unusable.pem", "not a certificate\n");
    let out = run(
        &world,
        world
            .ask(&["--ca-cert", &ca, "hello"])
            .env("SSL_CERT_FILE", &unusable),
    );
    assert_eq!(
        out.code, 0,
        "--ca-cert overrides SSL_CERT_FILE: {}",
        out.stderr
    );
}

#[test]
fn an_untrusted_certificate_fails_once_naming_the_host_the_issuer_and_the_fix() {
    let world = tls_world();
    let out = ask(&world, &["--json", "hello"]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    let error = json_error(&out);
    assert_eq!(error["category"], "connection");
    assert_eq!(error["retryable"], false);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("TLS failed for 127.0.0.1: "),
        "{message}"
    );
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert!(
        message.contains(&format!("the certificate presented was issued by {ISSUER}")),
        "{message}"
    );
    assert!(
        message.contains("trusted: the bundled Mozilla roots"),
        "{message}"
    );
    let fix = error["fix"].as_str().unwrap();
    for advice in ["--ca-cert FILE", "SSL_CERT_FILE", "--native-roots"] {
        assert!(fix.contains(advice), "{fix}");
    }
    assert_eq!(json_line(&out.stdout)["attempts"], 1);
    // One attempt, and one probe handshake that named the issuer; no request.
    assert_eq!(world.server.connections(), 2);
    assert_eq!(world.server.requests().len(), 0);
    let calls = world.log_events("call");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["outcome"], "connection");
    assert_eq!(calls[0]["attempts"], 1);
}

#[test]
fn the_failure_on_a_terminal_reads_as_a_connection_failure_not_retried() {
    let world = tls_world();
    let out = ask(&world, &["hello"]);
    assert_eq!(out.code, 7);
    assert!(out.stderr.contains("error: connection"), "{}", out.stderr);
    assert!(
        out.stderr.contains("1 attempt over") && out.stderr.contains("not retried"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(ISSUER), "{}", out.stderr);
}

#[test]
fn bad_ca_files_are_usage_errors_with_the_path_and_nothing_is_sent() {
    let world = tls_world();
    let missing = world.path("no-such-ca.pem");
    let not_pem = world.file("ca.der", "\u{30}\u{82} binary, not PEM");
    for (path, problem) in [
        (&missing, "cannot be read"),
        (&not_pem, "holds no PEM certificate"),
    ] {
        let out = ask(&world, &["--ca-cert", path, "hello"]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!("--ca-cert {path} {problem}")),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("fix: give --ca-cert a PEM file"),
            "{}",
            out.stderr
        );
        let out = run_with_ssl_cert_file(&world, path);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("SSL_CERT_FILE={path} {problem}")),
            "{}",
            out.stderr
        );
    }
    assert_eq!(world.server.connections(), 0);
}

fn run_with_ssl_cert_file(world: &World, path: &str) -> Run {
    run(world, world.ask(&["hello"]).env("SSL_CERT_FILE", path))
}

#[test]
fn native_roots_conflicts_with_ca_cert() {
    let world = tls_world();
    let ca = test_ca(&world);
    let out = ask(&world, &["--native-roots", "--ca-cert", &ca, "hello"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

#[test]
fn native_roots_uses_the_system_store_which_lacks_the_test_ca() {
    let world = tls_world();
    let out = ask(&world, &["--native-roots", "--json", "hello"]);
    assert_eq!(out.code, 7, "{}", out.stderr);
    let message = json_error(&out)["message"].as_str().unwrap().to_string();
    assert!(message.starts_with("TLS failed for 127.0.0.1"), "{message}");
    assert!(
        message.contains("trusted: the operating system's certificate store (--native-roots)"),
        "{message}"
    );
}

/// On Linux the system store's loader reads SSL_CERT_FILE instead of the
/// store, as OpenSSL does: the way to give `--native-roots` a known store.
#[cfg(target_os = "linux")]
#[test]
fn native_roots_on_linux_reads_ssl_cert_file_as_the_store() {
    let world = tls_world();
    let ca = test_ca(&world);
    let out = run(
        &world,
        world
            .ask(&["--native-roots", "hello"])
            .env("SSL_CERT_FILE", &ca),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("You said: hello"));
}

#[test]
fn the_key_is_not_sent_over_plain_http_to_another_host() {
    let world = World::ok();
    // 0.0.0.0 is not loopback to the rule, yet Linux delivers it to this
    // machine: the same target is refused, then reached with the flag.
    let url = format!("http://0.0.0.0:{}", world.server.port());
    let out = run(
        &world,
        world.ask(&["hello"]).env("ANTHROPIC_BASE_URL", &url),
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "refusing to send the API key in the clear to {url}"
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("use https://"), "{}", out.stderr);
    assert!(
        out.stderr.contains("--allow-insecure-http"),
        "{}",
        out.stderr
    );
    assert_eq!(world.server.connections(), 0, "nothing was sent");
    let batch_input = world.file("in.txt", "one\n");
    let out = run(
        &world,
        world.batch(&[&batch_input]).env("ANTHROPIC_BASE_URL", &url),
    );
    assert_eq!(out.code, 2, "batch refuses too: {}", out.stderr);
    assert_eq!(world.server.connections(), 0, "nothing was sent");

    let out = run(
        &world,
        world
            .ask(&["--allow-insecure-http", "hello"])
            .env("ANTHROPIC_BASE_URL", &url),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(world.message_requests(), 1);
}

#[test]
fn loopback_needs_no_flag() {
    let world = World::ok();
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("http://{host}:{}", world.server.port());
        let out = run(
            &world,
            world.ask(&["hello"]).env("ANTHROPIC_BASE_URL", &url),
        );
        assert_eq!(out.code, 0, "{host}: {}", out.stderr);
    }
}

/// A CONNECT proxy on 127.0.0.1 that tunnels only to 127.0.0.1 and records
/// every request head it gets; with `password`, it wants Basic credentials.
struct ConnectProxy {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
    stopping: Arc<AtomicBool>,
}

impl ConnectProxy {
    fn start(password: Option<&'static str>) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let (seen, stop) = (Arc::clone(&heads), Arc::clone(&stopping));
        thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let seen = Arc::clone(&seen);
                thread::spawn(move || tunnel(client, &seen, password));
            }
        });
        ConnectProxy {
            port,
            heads,
            stopping,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn url_with_credentials(&self) -> String {
        format!("http://tester:{PROXY_PASSWORD}@127.0.0.1:{}", self.port)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn tunnel(client: TcpStream, seen: &Mutex<Vec<String>>, password: Option<&str>) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    seen.lock().unwrap().push(head.clone());
    let mut client = client;
    let target = head
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default()
        .to_string();
    if let Some(password) = password {
        let expected = format!(
            "Proxy-Authorization: Basic {}",
            base64(&format!("tester:{password}"))
        );
        if !head.lines().any(|line| line == expected) {
            let _ = client.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
            return;
        }
    }
    // Never a tunnel off this machine, whatever a test gets wrong.
    if !target.starts_with("127.0.0.1:") {
        let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n");
        return;
    }
    let Ok(upstream) = TcpStream::connect(&target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let buffered = reader.buffer().to_vec();
    let (mut up_writer, mut up_reader) = (upstream.try_clone().unwrap(), upstream);
    let mut client_reader = reader.into_inner();
    let _ = up_writer.write_all(&buffered);
    let forward = thread::spawn(move || {
        let _ = std::io::copy(&mut client_reader, &mut up_writer);
        let _ = up_writer.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut up_reader, &mut client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = forward.join();
}

fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            match i <= chunk.len() {
                true => out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63])),
                false => out.push('='),
            }
        }
    }
    out
}

#[test]
fn a_closed_proxy_is_a_connection_failure_naming_the_proxy() {
    let world = World::ok();
    let port = closed_port();
    let proxy = format!("http://tester:{PROXY_PASSWORD}@127.0.0.1:{port}");
    let out = run(
        &world,
        &mut world.ask(&["--proxy", &proxy, "--max-retries", "1", "--json", "hello"]),
    );
    assert_eq!(out.code, 7, "{}", out.stderr);
    let error = json_error(&out);
    assert_eq!(error["category"], "connection");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("could not reach the proxy 127.0.0.1:{port}")),
        "{message}"
    );
    assert!(
        error["fix"].as_str().unwrap().contains("--proxy"),
        "{error}"
    );
    assert_eq!(world.message_requests(), 0);
    assert_no_proxy_password(&world, &out);
}

#[test]
fn requests_go_through_the_proxy_given_with_its_credentials_never_shown() {
    let world = World::ok();
    let proxy = ConnectProxy::start(Some(PROXY_PASSWORD));
    let out = run(
        &world,
        &mut world.ask(&[
            "--proxy",
            &proxy.url_with_credentials(),
            "--verbose",
            "hello",
        ]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("You said: hello"));
    assert!(
        out.stderr.contains(&format!(
            "proxy http://127.0.0.1:{} (with credentials)",
            proxy.port
        )),
        "{}",
        out.stderr
    );
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!(
            "CONNECT 127.0.0.1:{} HTTP/1.1\r\n",
            world.server.port()
        )),
        "{}",
        heads[0]
    );
    assert_eq!(world.message_requests(), 1);
    assert_no_proxy_password(&world, &out);
}

#[test]
fn the_proxy_flag_overrides_the_environment() {
    let world = World::ok();
    let proxy = ConnectProxy::start(None);
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let out = run(
        &world,
        world
            .ask(&["--proxy", &proxy.url(), "hello"])
            .env("HTTPS_PROXY", &dead)
            .env("HTTP_PROXY", &dead)
            .env("NO_PROXY", "127.0.0.1"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(proxy.heads().len(), 1);
}

#[test]
fn a_proxy_wanting_credentials_is_named_in_the_failure() {
    let world = World::ok();
    let proxy = ConnectProxy::start(Some(PROXY_PASSWORD));
    let out = run(
        &world,
        &mut world.ask(&["--proxy", &proxy.url(), "--json", "hello"]),
    );
    assert_eq!(out.code, 7, "{}", out.stderr);
    let message = json_error(&out)["message"].as_str().unwrap().to_string();
    assert!(
        message.contains(&format!("the proxy 127.0.0.1:{}", proxy.port)),
        "{message}"
    );
    assert!(message.contains("407"), "{message}");
}

#[test]
fn a_malformed_proxy_is_a_usage_error_naming_the_flag_without_the_password() {
    let world = World::ok();
    for bad in [
        format!("http://tester:{PROXY_PASSWORD}@bad host:3128"),
        format!("socks5://tester:{PROXY_PASSWORD}@127.0.0.1:1080"),
    ] {
        let out = ask(&world, &["--proxy", &bad, "hello"]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains("error: --proxy '"), "{}", out.stderr);
        assert!(out.stderr.contains("tester:***@"), "{}", out.stderr);
        assert_no_proxy_password(&world, &out);
    }
    assert_eq!(world.server.connections(), 0);
}

#[test]
fn tls_through_the_proxy_is_trusted_with_the_ca_and_explained_without_it() {
    let world = tls_world();
    let ca = test_ca(&world);
    let proxy = ConnectProxy::start(Some(PROXY_PASSWORD));
    let through = proxy.url_with_credentials();
    let out = run(
        &world,
        &mut world.ask(&["--proxy", &through, "--ca-cert", &ca, "hello"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(proxy.heads().len(), 1);

    let out = run(
        &world,
        &mut world.ask(&["--proxy", &through, "--json", "hello"]),
    );
    assert_eq!(out.code, 7, "{}", out.stderr);
    let message = json_error(&out)["message"].as_str().unwrap().to_string();
    assert!(
        message.contains(ISSUER),
        "the probe went through the tunnel: {message}"
    );
    // The attempt's tunnel and the probe's.
    assert_eq!(proxy.heads().len(), 3);
    assert_no_proxy_password(&world, &out);
}

#[test]
fn batch_trusts_the_ca_too_and_names_the_issuer_without_it() {
    let world = tls_world();
    let ca = test_ca(&world);
    let input = world.file("in.txt", "one\ntwo\n");
    let output = world.path("out.jsonl");
    let out = run(
        &world,
        &mut world.batch(&["--ca-cert", &ca, &input, "-o", &output]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_all_succeeded_once(&read_results(&output), 2);

    let world = tls_world();
    let input = world.file("in.txt", "one\n");
    let output = world.path("out.jsonl");
    let out = run(&world, &mut world.batch(&[&input, "-o", &output]));
    // A TLS failure meets every request alike: the batch stops with the
    // connection's code and the item is left for a rerun, not errored.
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(read_results(&output).is_empty(), "{}", out.stderr);
    assert!(out.stderr.contains(ISSUER), "{}", out.stderr);
    assert!(
        out.stderr.contains("unfinished: 1 (left for a rerun)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("once that is fixed, finish it with:"),
        "{}",
        out.stderr
    );
}

fn doctor_json(world: &World, args: &[&str]) -> (Run, Value) {
    let mut command = world.claude();
    command.arg("doctor").arg("--json").args(args);
    let out = run(world, &mut command);
    let json = json_line(&out.stdout);
    (out, json)
}

#[test]
fn doctor_checks_tls_against_the_roots_in_use() {
    let world = tls_world();
    let ca = test_ca(&world);
    let (out, json) = doctor_json(&world, &["--ca-cert", &ca]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let tls = check(&json, "tls");
    assert_eq!(tls["status"], "pass", "{tls}");
    let message = tls["message"].as_str().unwrap();
    assert!(message.contains("certificate verified against the bundled Mozilla roots and 1 certificate from --ca-cert"), "{message}");
    assert!(
        message.contains(&format!("(issuer: {ISSUER})")),
        "{message}"
    );
    assert_eq!(check(&json, "auth")["status"], "pass");

    let (out, json) = doctor_json(&world, &[]);
    assert_eq!(out.code, 7, "{}", out.stdout);
    let tls = check(&json, "tls");
    assert_eq!(tls["status"], "fail", "{tls}");
    let message = tls["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("(issuer: {ISSUER})")),
        "{message}"
    );
    assert!(
        message.contains("not signed by a CA claude-rs trusts (the bundled Mozilla roots)"),
        "{message}"
    );
    let fix = tls["fix"].as_str().unwrap();
    assert!(
        fix.contains("--ca-cert FILE")
            && fix.contains("SSL_CERT_FILE")
            && fix.contains("--native-roots"),
        "{fix}"
    );
    assert!(!fix.contains("planned"), "{fix}");
}

#[test]
fn doctor_goes_through_the_proxy_flag_and_refuses_plain_http_to_another_host() {
    let world = tls_world();
    let ca = test_ca(&world);
    let proxy = ConnectProxy::start(Some(PROXY_PASSWORD));
    let (out, json) = doctor_json(
        &world,
        &["--proxy", &proxy.url_with_credentials(), "--ca-cert", &ca],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    let message = check(&json, "proxy")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        message,
        format!(
            "--proxy → http://127.0.0.1:{} (with credentials) applies to 127.0.0.1",
            proxy.port
        )
    );
    assert!(
        check(&json, "tls")["message"]
            .as_str()
            .unwrap()
            .contains("through the proxy's CONNECT tunnel")
    );
    assert!(!proxy.heads().is_empty());
    assert_no_proxy_password(&world, &out);

    let world = World::ok();
    let url = format!("http://0.0.0.0:{}", world.server.port());
    let mut command = world.claude();
    command
        .args(["doctor", "--json"])
        .env("ANTHROPIC_BASE_URL", &url);
    let out = run(&world, &mut command);
    assert_eq!(out.code, 2, "{}", out.stdout);
    let json = json_line(&out.stdout);
    let config = check(&json, "config");
    assert!(
        config["message"]
            .as_str()
            .unwrap()
            .contains("refusing to send the API key in the clear"),
        "{config}"
    );
    assert_eq!(check(&json, "auth")["status"], "skip");
    assert!(!world.key_was_sent(), "the key was never sent");
}

#[test]
fn mock_tls_prints_an_https_url_and_where_the_test_ca_is() {
    let world = World::ok();
    let cache = world.path("cache");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("claude-rs"))
        .args(["mock", "--tls"])
        .env_clear()
        .env("CLAUDE_RS_CACHE_DIR", &cache)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let url = url.trim().to_string();
    let ca = format!("{cache}/mock-ca.pem");
    let outcome = run(
        &world,
        world
            .ask(&["--ca-cert", &ca, "hello"])
            .env("ANTHROPIC_BASE_URL", &url),
    );
    let _ = child.kill();
    let _ = child.wait();
    let mut told = String::new();
    let _ = stderr.read_to_string(&mut told);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert!(told.contains(&format!("--ca-cert {ca}")), "{told}");
    assert_eq!(std::fs::read_to_string(&ca).unwrap(), TEST_CA_PEM);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
}

#[test]
fn the_message_batches_calls_go_through_the_same_proxy_and_roots() {
    let world = tls_world();
    let ca = test_ca(&world);
    let proxy = ConnectProxy::start(None);
    let out = run(
        &world,
        &mut world.batch(&[
            "--list",
            "--json",
            "--proxy",
            &proxy.url(),
            "--ca-cert",
            &ca,
        ]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json_line(&out.stdout)["data"], serde_json::json!([]));
    assert_eq!(proxy.heads().len(), 1);

    let out = run(
        &world,
        &mut world.batch(&["--status", "msgbatch_nope", "--json"]),
    );
    assert_eq!(out.code, 7, "without the CA: {}", out.stderr);
    assert!(out.stderr.contains(ISSUER), "{}", out.stderr);
}
