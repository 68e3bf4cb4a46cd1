//! Local faults: a full disk under stdout, an endless stdin, private files,
//! a key that cannot be sent, Ctrl-C, `--mock` runs in the log, a stale
//! SSL_CERT_FILE. Nothing lost, nothing claimed that did not happen.

use std::process::{Output, Stdio};

use crate::support::*;

/// Runs claude-rs with stdout on /dev/full: every write fails with ENOSPC.
#[cfg(target_os = "linux")]
fn into_full_disk(world: &World, args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full opens");
    let output = world
        .process()
        .args(args)
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    output
}

#[cfg(target_os = "linux")]
fn assert_stdout_failed(output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(10), "{stderr}");
    assert!(
        stderr.contains("could not write to stdout"),
        "names stdout: {stderr}"
    );
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_reply_that_cannot_be_written_is_exit_10_and_not_logged_as_success() {
    for mode in [&["--no-stream"][..], &["--stream"], &["--raw"], &["--json"]] {
        let world = World::steps("ok");
        let mut args = vec!["ask"];
        args.extend_from_slice(mode);
        args.push("hello");
        let output = into_full_disk(&world, &args);
        assert_stdout_failed(&output);
        let calls = world.log_events("call");
        assert_eq!(calls.len(), 1, "{mode:?}");
        assert_eq!(calls[0]["outcome"], "output_failed", "{mode:?}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn every_command_that_prints_data_fails_on_a_full_disk() {
    let world = World::steps("529,ok");
    assert_eq!(
        ask(&world, &["hello"]).code,
        0,
        "a log with a failure to list"
    );
    for args in [
        &["explain", "529"][..],
        &["log", "--limit", "0"],
        &["log", "stats"],
        &["config", "show"],
        &["config", "path"],
        &["doctor", "--offline", "--json"],
    ] {
        let output = into_full_disk(&world, args);
        assert_stdout_failed(&output);
    }
    let input = world.file("in.jsonl", "one\ntwo\n");
    let output = into_full_disk(&world, &["batch", &input]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(10), "{stderr}");
    assert!(stderr.contains("stdout"), "{stderr}");
}

#[test]
fn a_mock_run_is_logged_as_mock_and_is_not_the_apis_health() {
    let world = World::ok();
    let demo = ask(&world, &["--mock", "auth", "hello"]);
    assert_eq!(demo.code, 3, "{}", demo.stderr);
    let lines = world.log();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|line| line["mock"] == true), "{lines:?}");
    let stats = run(
        &world,
        world.claude().args(["log", "stats", "--alert-below", "95"]),
    );
    assert_eq!(stats.code, 0, "{}{}", stats.stdout, stats.stderr);
    let health = run(
        &world,
        world.claude().args(["doctor", "--offline", "--json"]),
    );
    let report = json_line(&health.stdout);
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "health")
        .unwrap()
        .clone();
    assert_eq!(check["status"], "pass", "{check}");
    // A real failure still counts, and a real call has no `mock` field.
    let world_real = World::steps("401");
    assert_eq!(ask(&world_real, &["hello"]).code, 3);
    assert!(world_real.log().iter().all(|l| l.get("mock").is_none()));
    let alarm = run(
        &world_real,
        world_real
            .claude()
            .args(["log", "stats", "--alert-below", "95"]),
    );
    assert_eq!(alarm.code, 3, "{}", alarm.stdout);
}

#[test]
fn the_log_lists_mock_failures_marked_as_such() {
    let world = World::ok();
    assert_eq!(ask(&world, &["--mock", "529,ok", "hello"]).code, 0);
    let listed = run(&world, world.claude().arg("log"));
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stdout.contains("(--mock run)"), "{}", listed.stdout);
}
