//! `claude-rs doctor` against the fake API: every check passing, and each hop
//! failing the way it fails in the field, with its exit code, the checks it
//! skips, and a bounded running time.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use fake_api::{DEFAULT_MODELS, MockConfig, scenario};
use serde_json::Value;

use crate::support::*;

const ALL_CHECKS: [&str; 12] = [
    "config",
    "proxy",
    "dns",
    "tcp",
    "tls",
    "http",
    "auth",
    "model",
    "rate_limits",
    "clock",
    "health",
    "log",
];

fn doctor(world: &World, args: &[&str]) -> Run {
    let mut command = world.claude();
    command.arg("doctor").args(args);
    run(world, &mut command)
}

/// `doctor --json` with extra environment; returns the run and its object.
fn doctor_json(world: &World, args: &[&str], env: &[(&str, &str)]) -> (Run, Value) {
    let mut command = world.claude();
    command.arg("doctor").arg("--json").args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    let run = run(world, &mut command);
    let json = json_line(&run.stdout);
    (run, json)
}

/// name → status, from the JSON report.
fn statuses(json: &Value) -> BTreeMap<String, String> {
    json["checks"]
        .as_array()
        .expect("checks is an array")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assert_skipped_because(json: &Value, names: &[&str], reason: &str) {
    for name in names {
        let skipped = check(json, name);
        assert_eq!(skipped["status"], "skip", "{name}: {skipped}");
        assert_eq!(skipped["message"], format!("skipped: {reason}"), "{name}");
    }
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn every_check_passes_against_the_fake_api() {
    let world = World::new(MockConfig {
        rpm_limit: Some(50),
        ..MockConfig::default()
    });
    let run = doctor(&world, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        ALL_CHECKS.len(),
        "one line per check:\n{}",
        run.stdout
    );
    for (line, name) in lines.iter().zip(ALL_CHECKS) {
        let expected = if name == "tls" { "- " } else { "✓ " };
        assert!(line.starts_with(&format!("{expected}{name} ")), "{line}");
    }
    let out = &run.stdout;
    assert!(
        out.contains("key …wxyz from env ANTHROPIC_API_KEY"),
        "{out}"
    );
    assert!(out.contains("skipped: plain http: no TLS"), "{out}");
    assert!(out.contains("HTTP 401, as expected without a key"), "{out}");
    assert!(
        out.contains("key …wxyz accepted: HTTP 200, 10 models listed"),
        "{out}"
    );
    assert!(
        out.contains("claude-sonnet-5-5 is served to this key; max_tokens 128000, max_input_tokens 1000000 (from the Models API); supports batch"),
        "{out}"
    );
    assert!(out.contains("remaining/limit: requests"), "{out}");
    assert!(
        out.contains("the local clock agrees with the server's Date"),
        "{out}"
    );
    assert!(out.contains("is writable, mode 0600"), "{out}");
    assert!(!out.contains("fix:"), "nothing to fix:\n{out}");
    assert!(run.stderr.contains("exit 0"), "{}", run.stderr);
    assert_eq!(world.message_requests(), 0, "doctor never sends a message");
    // http (no key), auth (key), then the model's object for its limits.
    let requests = world.server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].path, "/v1/models/claude-sonnet-5-5");
    assert!(requests[0].header("x-api-key").is_none());
    assert_eq!(requests[1].header("x-api-key"), Some(TEST_KEY));
}

#[test]
fn a_missing_key_fails_config_with_exit_2_but_the_network_checks_still_run() {
    let world = World::new(MockConfig::default());
    let mut command = world.claude();
    command.arg("doctor").env_remove("ANTHROPIC_API_KEY");
    let run = run(&world, &mut command);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.starts_with("✗ config"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("no API key: ANTHROPIC_API_KEY is not set")
    );
    assert!(
        run.stdout
            .contains("  fix: Export ANTHROPIC_API_KEY=sk-ant-..."),
        "{}",
        run.stdout
    );
    for passed in ["✓ dns", "✓ tcp", "✓ http", "✓ clock", "✓ log"] {
        assert!(run.stdout.contains(passed), "{passed}:\n{}", run.stdout);
    }
    assert!(
        run.stdout
            .contains("- auth                 skipped: no API key (config failed)"),
        "{}",
        run.stdout
    );
    assert_eq!(
        world.server.requests().len(),
        1,
        "only the unauthenticated probe"
    );
}

#[test]
fn a_refused_key_is_an_auth_failure_with_exit_3() {
    let world = World::new(scenario("auth").unwrap());
    let (run, json) = doctor_json(&world, &[], &[]);
    assert_eq!(run.code, 3);
    let auth = check(&json, "auth");
    assert_eq!(auth["status"], "fail");
    assert!(
        auth["message"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 401 authentication_error"),
        "{auth}"
    );
    assert!(auth["message"].as_str().unwrap().contains("key …wxyz"));
    assert!(auth["fix"].as_str().unwrap().contains("ANTHROPIC_API_KEY"));
    assert_skipped_because(&json, &["model"], "auth failed");
    assert_eq!(
        check(&json, "clock")["status"],
        "pass",
        "a 401 still has a Date"
    );
}

#[test]
fn a_key_without_permission_is_an_auth_failure_with_exit_3() {
    let world = World::new(scenario("permission").unwrap());
    let (run, json) = doctor_json(&world, &[], &[]);
    assert_eq!(run.code, 3);
    let auth = check(&json, "auth");
    assert!(
        auth["message"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 403 permission_error"),
        "{auth}"
    );
    assert!(auth["fix"].as_str().unwrap().contains("ask an admin"));
}

#[test]
fn an_unknown_model_fails_with_exit_4_naming_the_closest() {
    let world = World::new(MockConfig::default());
    let run = doctor(&world, &["--model", "claude-sonet-4-6"]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(
        run.stdout.contains("✗ model                claude-sonet-4-6 is not served to this key; closest: claude-sonnet-4-6"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("  fix: Use --model claude-sonnet-4-6"));
    // The list, then the model by name (an alias would be found there).
    let paths: Vec<String> = world
        .server
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(paths.last().unwrap(), "/v1/models/claude-sonet-4-6");
}

#[test]
fn a_deprecated_model_warns_with_its_date_but_exits_0() {
    let mut models: Vec<String> = DEFAULT_MODELS.iter().map(|m| m.to_string()).collect();
    models.push("claude-sonnet-4-20250514".into());
    let world = World::new(MockConfig {
        models,
        ..MockConfig::default()
    });
    let (run, json) = doctor_json(&world, &["--model", "claude-sonnet-4-20250514"], &[]);
    assert_eq!(run.code, 0);
    assert_eq!(json["ok"], true);
    let model = check(&json, "model");
    assert_eq!(model["status"], "warn");
    assert!(
        model["message"]
            .as_str()
            .unwrap()
            .contains("claude-sonnet-4-20250514 was retired on 2026-06-15")
    );
    assert!(
        model["message"]
            .as_str()
            .unwrap()
            .contains("use claude-sonnet-5-5")
    );
}

#[test]
fn a_refused_connection_fails_tcp_with_exit_7_and_skips_what_needs_it() {
    let world = World::new(MockConfig::default());
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}");
    let (run, json) = doctor_json(&world, &[], &[("ANTHROPIC_BASE_URL", &url)]);
    assert_eq!(run.code, 7);
    assert_eq!(
        (json["ok"].clone(), json["exit_code"].clone()),
        (Value::Bool(false), Value::from(7))
    );
    let tcp = check(&json, "tcp");
    assert_eq!(tcp["status"], "fail");
    assert!(
        tcp["message"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{port}: the connection was refused")),
        "{tcp}"
    );
    assert!(
        tcp["fix"]
            .as_str()
            .unwrap()
            .contains("Nothing is listening")
    );
    assert_skipped_because(
        &json,
        &["http", "auth", "model", "rate_limits", "clock"],
        "tcp failed",
    );
    assert_eq!(
        check(&json, "tls")["message"],
        "skipped: plain http: no TLS"
    );
    assert_eq!(
        check(&json, "log")["status"],
        "pass",
        "local checks still run"
    );
}

#[test]
fn a_server_that_never_answers_fails_within_the_timeout() {
    let world = World::new(MockConfig::default());
    // Bound and listening, never accepted: the kernel completes the
    // connection, nobody ever answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let started = Instant::now();
    let (run, json) = doctor_json(
        &world,
        &["--timeout", "0.5"],
        &[("ANTHROPIC_BASE_URL", &url)],
    );
    let took = started.elapsed();
    assert_eq!(run.code, 7, "{}", run.stdout);
    // The issue requires a bounded total time, whatever the network does.
    assert!(took < Duration::from_secs(5), "doctor took {took:?}");
    let http = check(&json, "http");
    assert_eq!(http["status"], "fail");
    assert_eq!(http["message"], "no answer within 0.5 s");
    assert_skipped_because(
        &json,
        &["auth", "model", "rate_limits", "clock"],
        "http failed",
    );
    drop(silent);
}

#[test]
fn a_plain_http_server_behind_an_https_url_fails_tls_with_exit_7() {
    let world = World::new(MockConfig::default());
    let url = format!("https://127.0.0.1:{}", world.server.port());
    let (run, json) = doctor_json(&world, &["--timeout", "2"], &[("ANTHROPIC_BASE_URL", &url)]);
    assert_eq!(run.code, 7);
    let tls = check(&json, "tls");
    assert_eq!(tls["status"], "fail");
    assert!(
        tls["message"]
            .as_str()
            .unwrap()
            .contains("does not speak TLS"),
        "{tls}"
    );
    assert!(tls["fix"].as_str().unwrap().contains("use http://"));
    assert_skipped_because(
        &json,
        &["http", "auth", "model", "rate_limits", "clock"],
        "tls failed",
    );
}

#[test]
fn a_proxy_that_is_not_there_is_named_as_the_failure() {
    let world = World::new(MockConfig::default());
    let port = closed_port();
    let proxy = format!("http://user:hunter2@127.0.0.1:{port}");
    let run = {
        let mut command = world.claude();
        command.arg("doctor").env("HTTP_PROXY", &proxy);
        run(&world, &mut command)
    };
    assert_eq!(run.code, 7, "{}", run.stdout);
    assert!(
        !run.stdout.contains("hunter2"),
        "the proxy password leaked:\n{}",
        run.stdout
    );
    assert!(run.stdout.contains(&format!("✓ proxy                HTTP_PROXY → http://127.0.0.1:{port} (with credentials) applies to 127.0.0.1")), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("could not reach the proxy 127.0.0.1:{port}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  fix: The proxy failed: check HTTPS_PROXY")
    );
    assert_eq!(world.server.requests().len(), 0);
    // With an https API, the API host is the proxy's to resolve: no DNS here.
    let proxy = format!("http://127.0.0.1:{port}");
    let (run, json) = doctor_json(
        &world,
        &[],
        &[
            ("HTTPS_PROXY", &proxy),
            ("ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
        ],
    );
    assert_eq!(run.code, 7);
    let dns = check(&json, "dns");
    assert_eq!(dns["status"], "pass");
    assert!(
        dns["message"]
            .as_str()
            .unwrap()
            .starts_with("api.anthropic.com is resolved by the proxy"),
        "{dns}"
    );
    assert!(
        check(&json, "tcp")["message"]
            .as_str()
            .unwrap()
            .contains(&format!("the proxy 127.0.0.1:{port}"))
    );
    assert_skipped_because(&json, &["tls", "http"], "tcp failed");
}

#[test]
fn json_is_one_object_of_the_documented_shape() {
    let world = World::new(MockConfig::default());
    let (run, json) = doctor_json(&world, &[], &[]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.is_empty(),
        "nothing but the object: {}",
        run.stderr
    );
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["checks", "exit_code", "ok"]);
    assert_eq!(
        (json["ok"].clone(), json["exit_code"].clone()),
        (Value::Bool(true), Value::from(0))
    );
    let names: Vec<String> = statuses(&json).into_keys().collect();
    let mut expected: Vec<String> = ALL_CHECKS.iter().map(|n| n.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);
    for item in json["checks"].as_array().unwrap() {
        let mut fields: Vec<&String> = item.as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(
            fields,
            ["figure", "fix", "message", "name", "status"],
            "{item}"
        );
        assert!(["pass", "warn", "fail", "skip"].contains(&item["status"].as_str().unwrap()));
        assert!(item["figure"].is_null() || item["figure"].is_string());
    }
    assert_eq!(
        check(&json, "tcp")["figure"]
            .as_str()
            .map(|f| f.ends_with(" ms")),
        Some(true)
    );
}

#[test]
fn offline_makes_no_request_and_runs_only_the_local_checks() {
    let world = World::new(MockConfig::default());
    let (run, json) = doctor_json(&world, &["--offline"], &[]);
    assert_eq!(run.code, 0);
    let names: Vec<&str> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["config", "proxy", "health", "log"]);
    assert_eq!(world.server.requests().len(), 0);
}

#[test]
fn recent_failures_in_the_log_make_health_warn_without_failing() {
    let world = World::steps("500,500,500");
    let failed = ask(&world, &["--max-retries", "2", "hello"]);
    assert_eq!(failed.code, 6);
    let (run, json) = doctor_json(&world, &[], &[]);
    assert_eq!(run.code, 0, "a warning is not a failure");
    let health = check(&json, "health");
    assert_eq!(health["status"], "warn", "{health}");
    assert_eq!(health["figure"], "0.0%");
    assert!(
        health["message"]
            .as_str()
            .unwrap()
            .contains("last 5 min: 0.0% of 1 calls ok"),
        "{health}"
    );
    assert!(
        health["message"]
            .as_str()
            .unwrap()
            .contains("failures: api_error ×1")
    );
    assert!(
        health["fix"]
            .as_str()
            .unwrap()
            .starts_with("Mostly api_error:")
    );
}

#[cfg(unix)]
#[test]
fn a_log_readable_by_others_warns_with_the_chmod_fix() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::new(MockConfig::default());
    std::fs::create_dir_all(world.log_path().parent().unwrap()).unwrap();
    std::fs::write(world.log_path(), "").unwrap();
    std::fs::set_permissions(world.log_path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = doctor(&world, &["--offline"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("! log         0644"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("  fix: chmod 600 {}", world.log_path().display()))
    );
}

#[test]
fn a_bad_timeout_is_a_usage_error() {
    let world = World::new(MockConfig::default());
    let run = doctor(&world, &["--timeout", "0"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("--timeout 0 is not above 0"));
}
