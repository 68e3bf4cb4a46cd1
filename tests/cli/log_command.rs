//! `claude-rs log` and `claude-rs log stats`: on logs written by real `ask`
//! runs against the fake API, and on synthetic logs with known timestamps.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use claude_rs::log::timestamp;
use serde_json::{Value, json};

use crate::support::*;

fn log_cmd(world: &World, args: &[&str]) -> Run {
    let mut command = world.claude();
    command.arg("log").args(args);
    run(world, &mut command)
}

fn stats_json(world: &World, args: &[&str]) -> (Run, Value) {
    let mut all = vec!["stats", "--json"];
    all.extend_from_slice(args);
    let run = log_cmd(world, &all);
    let json = json_line(&run.stdout);
    (run, json)
}

fn write_log(path: &Path, lines: &[String]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn attempt_line(
    at: SystemTime,
    category: &str,
    status: u16,
    id: &str,
    retry: Option<u64>,
) -> String {
    json!({"ts": timestamp(at), "event": "attempt", "command": "ask", "category": category,
        "http_status": status, "error_type": null, "message": "synthetic", "request_id": id,
        "attempt": 1, "max_attempts": 5, "retry_in_ms": retry, "model": "m", "elapsed_ms": 1})
    .to_string()
}

fn call_line(at: SystemTime, failed_with: Option<&str>) -> String {
    json!({"ts": timestamp(at), "event": "call", "command": "ask",
        "outcome": failed_with.unwrap_or("success"), "category": failed_with,
        "http_status": null, "error_type": null, "message": null, "request_id": "req_call",
        "attempts": 1, "model": "m", "elapsed_ms": 1, "input_tokens": null, "output_tokens": null})
    .to_string()
}

/// The start of the five-minute window that began about an hour ago, so the
/// synthetic windows sit well inside the default `--since 24h`.
fn window_an_hour_ago() -> SystemTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3600;
    UNIX_EPOCH + Duration::from_secs(secs - secs % 300)
}

/// A log written by `ask`: a 529 and a 429 retried into a success, a 401,
/// a connection reset, and one plain success.
fn world_with_real_log() -> World {
    let world = World::steps("529,429,ok,401,reset,ok");
    assert_eq!(ask(&world, &["--max-retries", "2", "one"]).code, 0);
    assert_eq!(ask(&world, &["--max-retries", "0", "two"]).code, 3);
    assert_eq!(ask(&world, &["--max-retries", "0", "three"]).code, 7);
    assert_eq!(ask(&world, &["four"]).code, 0);
    world
}

#[test]
fn log_lists_the_failures_newest_last_with_request_ids() {
    let world = world_with_real_log();
    let attempts = world.log_events("attempt");
    assert_eq!(attempts.len(), 4);
    let run = log_cmd(&world, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    let expected = [
        ("overloaded", "HTTP 529"),
        ("rate_limit", "HTTP 429"),
        ("authentication", "HTTP 401"),
        ("connection", "-"),
    ];
    for ((line, (category, status)), logged) in lines.iter().zip(expected).zip(&attempts) {
        assert!(line.starts_with(logged["ts"].as_str().unwrap()), "{line}");
        let fields: Vec<&str> = line
            .split("  ")
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect();
        assert_eq!(fields[1], category, "{line}");
        assert_eq!(fields[2], status, "{line}");
        // A reset connection never got a response, so it has no request id.
        let id = logged["request_id"].as_str().unwrap_or("-");
        assert_eq!(id.starts_with("req_"), category != "connection", "{id}");
        assert_eq!(fields[3], id, "{line}");
        assert!(line.contains(logged["message"].as_str().unwrap()), "{line}");
    }
}

#[test]
fn log_category_filters_and_is_validated() {
    let world = world_with_real_log();
    let run = log_cmd(&world, &["--category", "rate_limit"]);
    assert_eq!(run.code, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert!(lines[0].contains("rate_limit"));
    let none = log_cmd(&world, &["--category", "billing"]);
    assert_eq!(none.code, 0);
    assert!(none.stdout.is_empty());
    assert!(
        none.stderr.contains("no failures in the log")
            && none.stderr.contains("of category billing"),
        "{}",
        none.stderr
    );
    let bad = log_cmd(&world, &["--category", "gremlins"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stdout.is_empty());
    for valid in ["rate_limit", "overloaded", "output_validation"] {
        assert!(bad.stderr.contains(valid), "{}", bad.stderr);
    }
}

#[test]
fn log_json_prints_the_raw_lines_unchanged() {
    let world = world_with_real_log();
    let text = std::fs::read_to_string(world.log_path()).unwrap();
    let raw_attempts: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"event\":\"attempt\""))
        .collect();
    let run = log_cmd(&world, &["--json"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), raw_attempts);
    let limited = log_cmd(&world, &["--json", "--limit", "2"]);
    assert_eq!(
        limited.stdout.lines().collect::<Vec<_>>(),
        raw_attempts[2..],
        "the newest two"
    );
    let filtered = log_cmd(&world, &["--json", "--category", "authentication"]);
    let only: Vec<&str> = filtered.stdout.lines().collect();
    assert_eq!(only, vec![raw_attempts[2]]);
}

#[test]
fn log_since_leaves_out_older_lines() {
    let world = world_with_real_log();
    let old = attempt_line(
        SystemTime::now() - Duration::from_secs(2 * 3600),
        "timeout",
        408,
        "req_old",
        None,
    );
    let mut text = std::fs::read_to_string(world.log_path()).unwrap();
    text.push_str(&old);
    text.push('\n');
    std::fs::write(world.log_path(), text).unwrap();
    let all = log_cmd(&world, &[]);
    assert!(all.stdout.contains("req_old"), "{}", all.stdout);
    assert_eq!(all.stdout.lines().count(), 5);
    let recent = log_cmd(&world, &["--since", "1h"]);
    assert_eq!(recent.code, 0);
    assert!(!recent.stdout.contains("req_old"), "{}", recent.stdout);
    assert_eq!(recent.stdout.lines().count(), 4);
    let bad = log_cmd(&world, &["--since", "soon"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--since"), "{}", bad.stderr);
}

#[test]
fn log_reads_the_rotated_file_first_and_honours_log_file() {
    let world = World::steps("ok");
    let elsewhere = world.dir.path().join("other.jsonl");
    let now = SystemTime::now();
    write_log(
        &claude_rs::log::rotated_path(&elsewhere),
        &[attempt_line(
            now - Duration::from_secs(60),
            "overloaded",
            529,
            "req_older",
            Some(3000),
        )],
    );
    write_log(
        &elsewhere,
        &[attempt_line(now, "rate_limit", 429, "req_newer", None)],
    );
    let run = log_cmd(&world, &["--log-file", elsewhere.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(lines[0].contains("req_older") && lines[1].contains("req_newer"));
}

/// 10 calls, all fine, in one window; 10 calls with 5 failures (3 overloaded,
/// 2 rate limited) in the next; 4 attempts retried and 2 not.
fn two_window_log(world: &World) -> SystemTime {
    let base = window_an_hour_ago();
    let at = |secs: u64| base + Duration::from_secs(secs);
    let mut lines: Vec<String> = (0..10).map(|s| call_line(at(10 + s), None)).collect();
    lines.extend((0..5).map(|s| call_line(at(310 + s), None)));
    lines.extend((0..3).map(|s| call_line(at(320 + s), Some("overloaded"))));
    lines.extend((0..2).map(|s| call_line(at(330 + s), Some("rate_limit"))));
    lines.extend((0..4).map(|s| attempt_line(at(315 + s), "overloaded", 529, "req_r", Some(3000))));
    lines.extend((0..2).map(|s| attempt_line(at(325 + s), "overloaded", 529, "req_n", None)));
    write_log(&world.log_path(), &lines);
    base + Duration::from_secs(300)
}

#[test]
fn stats_sum_up_calls_failures_retries_and_the_worst_window() {
    let world = World::steps("ok");
    let worst_start = two_window_log(&world);
    let (run, json) = stats_json(&world, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json["calls"], 20);
    assert_eq!(json["successes"], 15);
    assert_eq!(json["success_rate"], 75.0);
    assert_eq!(
        json["failures"],
        json!([{"category": "overloaded", "count": 3}, {"category": "rate_limit", "count": 2}])
    );
    assert_eq!(json["retries"], 4);
    assert_eq!(json["window_secs"], 300.0);
    let worst = &json["worst_window"];
    assert_eq!(worst["start"], timestamp(worst_start));
    assert_eq!(
        worst["end"],
        timestamp(worst_start + Duration::from_secs(300))
    );
    assert_eq!(worst["calls"], 10);
    assert_eq!(worst["successes"], 5);
    assert_eq!(worst["success_rate"], 50.0);
    assert_eq!(worst["dominant_category"], "overloaded");
    assert_eq!(json["alert"], Value::Null);
    assert_eq!(json["damaged_lines"], 0);
    assert_eq!(json["log"], world.log_path().display().to_string());

    let text = log_cmd(&world, &["stats"]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("calls:         20"), "{}", text.stdout);
    assert!(
        text.stdout.contains("succeeded:     15 (75.0%)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("failed:        overloaded 3, rate_limit 2"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("retries:       4"), "{}", text.stdout);
    assert!(
        text.stdout.contains(&format!(
            "worst 5m:      50.0% of 10 calls succeeded (5 failed, mostly overloaded), from {}",
            timestamp(worst_start)
        )),
        "{}",
        text.stdout
    );
}

#[test]
fn stats_alert_exits_with_the_worst_windows_category_code() {
    let world = World::steps("ok");
    let worst_start = two_window_log(&world);
    let (run, json) = stats_json(&world, &["--alert-below", "95"]);
    assert_eq!(
        run.code, 6,
        "overloaded dominates the worst window: {}",
        run.stderr
    );
    assert_eq!(
        json["alert"],
        json!({"below": 95.0, "windows_below": 1, "category": "overloaded", "exit_code": 6})
    );
    assert!(
        run.stderr.contains("alert: 1 window of 5m"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("below 95%"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&timestamp(worst_start)),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("50.0% of 10 calls"), "{}", run.stderr);
    assert!(
        run.stderr.contains("exiting 6 (category overloaded)"),
        "{}",
        run.stderr
    );
    let fine = log_cmd(&world, &["stats", "--alert-below", "50"]);
    assert_eq!(fine.code, 0, "50% is not below 50%: {}", fine.stderr);
    assert!(fine.stderr.is_empty());
    let narrow = log_cmd(&world, &["stats", "--since", "1m", "--alert-below", "95"]);
    assert_eq!(
        narrow.code, 0,
        "nothing in the last minute: {}",
        narrow.stderr
    );
    let bad = log_cmd(&world, &["stats", "--alert-below", "120"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn stats_alert_uses_each_categorys_own_code() {
    for (category, code) in [("rate_limit", 5), ("connection", 7), ("authentication", 3)] {
        let world = World::steps("ok");
        let base = window_an_hour_ago();
        let mut lines = vec![call_line(base, None)];
        lines.extend((1..4).map(|s| call_line(base + Duration::from_secs(s), Some(category))));
        lines.push(call_line(base + Duration::from_secs(5), Some("overloaded")));
        write_log(&world.log_path(), &lines);
        let run = log_cmd(&world, &["stats", "--alert-below", "99.5"]);
        assert_eq!(run.code, code, "{category}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("mostly {category}")),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn damaged_lines_are_read_past_counted_and_warned_once() {
    let world = World::steps("ok");
    two_window_log(&world);
    let mut text = std::fs::read_to_string(world.log_path()).unwrap();
    let lines_before = text.lines().count();
    text.push_str("garbage that is not JSON\n");
    text.push_str("{\"json\":\"but not ours\"}\n");
    text.push_str(&call_line(SystemTime::now(), None)[..50]);
    std::fs::write(world.log_path(), text).unwrap();
    let (run, json) = stats_json(&world, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json["calls"], 20, "the good lines all count");
    assert_eq!(json["damaged_lines"], 3);
    assert_eq!(run.stderr.matches("warning:").count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("skipped 3 damaged lines"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("first at line {}", lines_before + 1)),
        "{}",
        run.stderr
    );
    let list = log_cmd(&world, &[]);
    assert_eq!(list.code, 0);
    assert!(
        list.stderr.contains("skipped 3 damaged lines"),
        "{}",
        list.stderr
    );
    assert_eq!(list.stdout.lines().count(), 6);
}

#[test]
fn a_missing_log_is_not_an_error() {
    let world = World::steps("ok");
    let path = world.log_path().display().to_string();
    for args in [
        vec![],
        vec!["--json"],
        vec!["stats"],
        vec!["stats", "--alert-below", "95"],
    ] {
        let run = log_cmd(&world, &args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains("no log yet"), "{}", run.stderr);
        assert!(run.stderr.contains(&path), "{}", run.stderr);
    }
    let (run, json) = stats_json(&world, &[]);
    assert_eq!(run.code, 0);
    assert_eq!(json["calls"], 0);
    assert_eq!(json["success_rate"], Value::Null);
    assert_eq!(json["worst_window"], Value::Null);
}

#[test]
fn a_log_path_that_is_a_folder_is_said_to_be_one() {
    let world = World::ok();
    let folder = world.path("logs");
    std::fs::create_dir(&folder).unwrap();
    for args in [&["log"][..], &["log", "stats"][..]] {
        let mut command = world.claude();
        command.args(args).env("CLAUDE_RS_LOG", &folder);
        let run = run(&world, &mut command);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains("is a folder, not a log file"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("no log yet"), "{}", run.stderr);
    }
}

#[test]
fn stats_in_prometheus_text_format_for_the_textfile_collector() {
    let world = World::steps("ok");
    two_window_log(&world);
    let run = log_cmd(&world, &["stats", "--prometheus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let samples: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect();
    for expected in [
        r#"claude_rs_calls{outcome="success"} 15"#,
        r#"claude_rs_calls{outcome="overloaded"} 3"#,
        r#"claude_rs_calls{outcome="rate_limit"} 2"#,
        r#"claude_rs_calls{outcome="authentication"} 0"#,
        r#"claude_rs_failed_attempts{category="overloaded"} 6"#,
        r#"claude_rs_failed_attempts{category="rate_limit"} 0"#,
        "claude_rs_retries 4",
        "claude_rs_success_ratio 0.75",
        "claude_rs_worst_window_success_ratio 0.5",
        "claude_rs_window_seconds 300",
        "claude_rs_log_damaged_lines 0",
    ] {
        assert!(samples.contains(&expected), "{expected} in\n{}", run.stdout);
    }
    // Every sample is `name{labels} value` under its own HELP and TYPE.
    for line in &samples {
        let name = line.split(['{', ' ']).next().unwrap();
        assert!(
            run.stdout.contains(&format!("# TYPE {name} gauge")),
            "{line}"
        );
        let value = line.rsplit(' ').next().unwrap();
        assert!(value == "NaN" || value.parse::<f64>().is_ok(), "{line}");
    }
    let categories = claude_rs::resilience::Category::ALL.len();
    assert_eq!(samples.len(), 1 + 2 * categories + 5, "{}", run.stdout);
}

#[test]
fn prometheus_stats_without_calls_say_nan_not_a_made_up_ratio() {
    let world = World::steps("ok");
    write_log(&world.log_path(), &[]);
    let run = log_cmd(&world, &["stats", "--prometheus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("\nclaude_rs_success_ratio NaN\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(r#"claude_rs_calls{outcome="success"} 0"#),
        "{}",
        run.stdout
    );
    let both = log_cmd(&world, &["stats", "--prometheus", "--json"]);
    assert_eq!(both.code, 2, "{}", both.stderr);
}
