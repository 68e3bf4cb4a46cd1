//! `claude-rs mock`: the fake API as a process a user's own scripts can use.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

use crate::support::*;

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `claude-rs mock ARGS`, running until dropped, and the URL it printed.
fn start_mock(args: &[&str]) -> (KillOnDrop, String) {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("claude-rs"))
        .arg("mock")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut url = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    (child, url)
}

#[test]
fn mock_prints_its_url_and_serves_the_script() {
    let (_mock, url) = start_mock(&["--script", "529,ok"]);

    let world = World::steps("ok");
    let run = run(
        &world,
        world.ask(&["hello"]).env("ANTHROPIC_BASE_URL", &url),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("overloaded (HTTP 529) · retry 1/4"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("You said: hello"));
}

#[test]
fn mock_help_lists_the_scenarios() {
    let world = World::steps("ok");
    let run = run(&world, world.claude().args(["mock", "--help"]));
    assert_eq!(run.code, 0);
    for scenario in ["flaky", "overloaded", "rate-limited", "hang", "stall"] {
        assert!(
            run.stdout.contains(scenario),
            "mock --help lacks {scenario}"
        );
    }
}

#[test]
fn a_bad_step_is_a_usage_error() {
    let world = World::steps("ok");
    let run = run(
        &world,
        world.claude().args(["mock", "--script", "529,bogus"]),
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bogus"), "{}", run.stderr);
}

#[test]
fn zero_limits_and_a_burst_without_rpm_are_usage_errors() {
    let world = World::steps("ok");
    for args in [
        &["mock", "--tpm", "0"][..],
        &["mock", "--otpm", "0"],
        &["mock", "--rpm", "60", "--burst", "0"],
        &["mock", "--batch-polls", "0"],
        &["mock", "--burst", "5"],
    ] {
        let run = run(&world, world.claude().args(args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
}

/// One POST /v1/messages on a connection of its own: the whole response.
fn post_raw(url: &str) -> String {
    let address = url.trim_start_matches("http://");
    let body = r#"{"model":"claude-sonnet-4-6","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}"#;
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST /v1/messages HTTP/1.1\r\nhost: {address}\r\nx-api-key: k\r\n\
         content-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn mock_injects_a_429_at_the_chosen_request_inside_its_limits() {
    let (_mock, url) = start_mock(&[
        "--rpm",
        "1200",
        "--burst",
        "3",
        "--otpm",
        "1000",
        "--script",
        "ok*2,429:retry-after=1",
    ]);
    let responses: Vec<String> = (0..3).map(|_| post_raw(&url)).collect();
    for response in &responses[..2] {
        assert!(response.starts_with("HTTP/1.1 200 "), "{response}");
    }
    let stray = &responses[2];
    assert!(stray.starts_with("HTTP/1.1 429 "), "{stray}");
    for header in [
        "retry-after: 1\r\n",
        "anthropic-ratelimit-requests-limit: 1200\r\n",
        "anthropic-ratelimit-requests-reset: ",
        "anthropic-ratelimit-output-tokens-limit: 1000\r\n",
        "anthropic-ratelimit-tokens-limit: 1000\r\n",
    ] {
        assert!(stray.contains(header), "{header}: {stray}");
    }
}
