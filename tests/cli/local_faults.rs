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
        &["doctor", "--offline"],
        &["--help"],
        &["ask", "--help"],
        &["--version"],
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

#[test]
fn an_endless_stdin_is_refused_at_the_request_limit() {
    an_endless_stdin_is_refused(&["ask", "summarise"]);
    an_endless_stdin_is_refused(&["batch", "-"]);
}

fn an_endless_stdin_is_refused(args: &[&str]) {
    let world = World::ok();
    let mut child = world
        .process()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().unwrap();
    // An endless writer, as `yes |` is: it stops when claude-rs stops reading.
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let chunk = vec![b'y'; 1 << 20];
        while stdin.write_all(&chunk).is_ok() {}
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stdin"), "{stderr}");
    assert!(stderr.contains("32 MB"), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(world.message_requests(), 0, "nothing was sent");
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn the_fallback_cache_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::ok();
    assert_eq!(ask(&world, &["--fallback-cache", "hello"]).code, 0);
    let replies = world.dir.path().join("cache").join("replies");
    assert_eq!(mode(&replies), 0o700);
    let entries: Vec<_> = std::fs::read_dir(&replies)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(mode(&entries[0]), 0o600);
    // A folder of ours left readable by an older version is tightened.
    std::fs::set_permissions(&replies, std::fs::Permissions::from_mode(0o755)).unwrap();
    let again = ask(&world, &["--fallback-cache", "again"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.is_empty(), "{}", again.stderr);
    assert_eq!(mode(&replies), 0o700);
}

#[cfg(unix)]
#[test]
fn batch_results_are_created_private_and_a_users_file_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::steps("ok,401:x-should-retry=false");
    let input = world.file("in.txt", "one\ntwo\n");
    let output = world.path("out.jsonl");
    let first = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--jobs", "1"]),
    );
    assert_eq!(first.code, 3, "{}", first.stderr);
    assert_eq!(mode(std::path::Path::new(&output)), 0o600);
    // The user's own choice of mode survives a run that rewrites the file.
    std::fs::set_permissions(&output, std::fs::Permissions::from_mode(0o640)).unwrap();
    let rerun = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--retry-errored"]),
    );
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_eq!(mode(std::path::Path::new(&output)), 0o640);
}

#[cfg(unix)]
#[test]
fn a_remote_batchs_results_are_created_private() {
    let world = World::new(fake_api::MockConfig {
        batch_polls: 1,
        ..fake_api::MockConfig::default()
    });
    let input = world.file("in.txt", "one\ntwo\n");
    let output = world.path("out.jsonl");
    let done = run(
        &world,
        &mut world.batch(&["--remote", &input, "-o", &output, "--poll-interval", "0.01"]),
    );
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(mode(std::path::Path::new(&output)), 0o600);
}

#[test]
fn a_stale_ssl_cert_file_is_no_obstacle_where_no_tls_is_involved() {
    let world = World::ok();
    let stale = world.path("gone.pem");
    let demo = run(
        &world,
        world
            .ask(&["--mock", "ok", "hello"])
            .env("SSL_CERT_FILE", &stale),
    );
    assert_eq!(demo.code, 0, "{}", demo.stderr);
    // The fake API of the tests is plain http on 127.0.0.1 too.
    let plain = run(&world, world.ask(&["hello"]).env("SSL_CERT_FILE", &stale));
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    // Where TLS is involved, it is still refused before anything is sent.
    let tls = run(
        &world,
        world
            .ask(&["hello"])
            .env("SSL_CERT_FILE", &stale)
            .env("ANTHROPIC_BASE_URL", "https://127.0.0.1:9"),
    );
    assert_eq!(tls.code, 2, "{}", tls.stderr);
    assert!(tls.stderr.contains("SSL_CERT_FILE"), "{}", tls.stderr);
}

/// The test key with a line break pasted into its middle.
fn broken_key(inside: &str) -> String {
    format!("sk-ant-api03-{KEY_SECRET_PART}-01234{inside}56789-wxyz")
}

#[test]
fn a_key_that_cannot_go_into_a_header_is_a_usage_error_naming_its_source() {
    let world = World::ok();
    let env = run(
        &world,
        world
            .ask(&["hello"])
            .env("ANTHROPIC_API_KEY", broken_key("\n")),
    );
    assert_eq!(env.code, 2, "{}", env.stderr);
    assert!(env.stderr.contains("ANTHROPIC_API_KEY"), "{}", env.stderr);
    assert!(env.stderr.contains("a line break"), "{}", env.stderr);
    assert!(env.stderr.contains("…wxyz"), "{}", env.stderr);
    assert!(env.stdout.is_empty());

    world.config(&format!("api_key = \"{}\"\n", broken_key("\\u00a0")));
    let file = run(
        &world,
        world.ask(&["hello"]).env_remove("ANTHROPIC_API_KEY"),
    );
    assert_eq!(file.code, 2, "{}", file.stderr);
    assert!(
        file.stderr.contains("api_key in the config file"),
        "{}",
        file.stderr
    );
    assert!(file.stderr.contains("not ASCII"), "{}", file.stderr);

    world.config(&format!(
        "api_key_cmd = \"printf '{}'\"\n",
        broken_key("\\t")
    ));
    let command = run(
        &world,
        world
            .batch(&[&world.file("in.txt", "one\n")])
            .env_remove("ANTHROPIC_API_KEY"),
    );
    assert_eq!(command.code, 2, "{}", command.stderr);
    assert!(command.stderr.contains("api_key_cmd"), "{}", command.stderr);
    assert!(command.stderr.contains("a tab"), "{}", command.stderr);

    assert!(world.server.requests().is_empty(), "nothing was sent");
}

#[test]
fn doctor_fails_its_config_check_on_a_key_that_cannot_be_sent() {
    let world = World::ok();
    let doctor = run(
        &world,
        world
            .claude()
            .args(["doctor", "--json"])
            .env("ANTHROPIC_API_KEY", broken_key("\u{7}")),
    );
    assert_eq!(doctor.code, 2, "{}", doctor.stdout);
    let report = json_line(&doctor.stdout);
    let config = &report["checks"][0];
    assert_eq!(config["name"], "config");
    assert_eq!(config["status"], "fail", "{config}");
    assert!(
        config["message"]
            .as_str()
            .unwrap()
            .contains("a control character (U+0007)"),
        "{config}"
    );
    assert!(!world.key_was_sent(), "the key was not sent");
}

/// Starts `ask` against a fake API that never answers, and waits until the
/// request is in: from then on the process is blocked in a network read.
#[cfg(unix)]
fn ask_stuck_in_a_read(world: &World, args: &[&str]) -> std::process::Child {
    let child = world
        .process()
        .arg("ask")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let started = std::time::Instant::now();
    while world.message_requests() == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the request never arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_ask_json_prints_the_one_object_logs_and_exits_130() {
    let world = World::steps("hang");
    let child = ask_stuck_in_a_read(&world, &["--json", "--timeout", "600", "hello"]);
    interrupt(&child);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    let json = json_line(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(json["status"], "error");
    assert_eq!(json["error"]["category"], "interrupted");
    assert_eq!(json["error"]["http_status"], serde_json::Value::Null);
    assert_eq!(json["attempts"], 1);
    assert_eq!(stderr.lines().count(), 1, "one notice: {stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    let calls = world.log_events("call");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["outcome"], "interrupted");
    assert_eq!(calls[0]["category"], serde_json::Value::Null);
    // An interrupted call is no verdict on the API's health.
    let stats = run(
        &world,
        world
            .claude()
            .args(["log", "stats", "--json", "--alert-below", "95"]),
    );
    assert_eq!(stats.code, 0, "{}", stats.stderr);
    assert_eq!(json_line(&stats.stdout)["calls"], 0);
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_a_streamed_ask_exits_130_with_a_notice_and_a_log_line() {
    let world = World::steps("slow=1000/50");
    let child = ask_stuck_in_a_read(&world, &["--stream", "hello"]);
    interrupt(&child);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains('{'));
    assert_eq!(world.log_events("call")[0]["outcome"], "interrupted");
}

#[cfg(unix)]
#[test]
fn sigterm_during_ask_exits_143_with_the_json_object_and_a_log_line() {
    let world = World::steps("hang");
    let child = ask_stuck_in_a_read(&world, &["--json", "--timeout", "600", "hello"]);
    send_signal(&child, "TERM");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    let json = json_line(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(json["error"]["category"], "interrupted");
    assert_eq!(
        json["error"]["message"],
        "interrupted by SIGTERM before the reply was complete"
    );
    assert!(stderr.contains("interrupted (SIGTERM)"), "{stderr}");
    let calls = world.log_events("call");
    assert_eq!(calls[0]["outcome"], "interrupted");
    assert_eq!(calls[0]["message"], "interrupted by SIGTERM");
}
