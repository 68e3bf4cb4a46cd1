//! `claude-rs mock`: the fake API as a process a user's own scripts can use.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::*;

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn mock_prints_its_url_and_serves_the_script() {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("claude-rs"))
        .args(["mock", "--script", "529,ok"])
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
        &["mock", "--rpm", "60", "--burst", "0"],
        &["mock", "--batch-polls", "0"],
        &["mock", "--burst", "5"],
    ] {
        let run = run(&world, world.claude().args(args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
}
