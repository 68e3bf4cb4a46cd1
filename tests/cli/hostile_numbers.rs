//! Numbers and dates nobody sane would send: a retry-after of 1e30 ms, a log
//! line dated 9999-12-31, `--since 100years`. Each is an answer, never a panic
//! (`run` checks stderr for one on every run).

use crate::support::*;

/// Waits a server may ask for that are far past any cap: the fraction that
/// overflows a `Duration`, the one that passes the year 9999, whole seconds
/// past it, infinity, and an HTTP date near the end of the calendar.
const ENDLESS_WAITS: [&str; 5] = [
    "retry-after-ms=1e30",
    "retry-after-ms=1e15",
    "retry-after=99999999999",
    "retry-after-ms=inf",
    "retry-after=Fri, 31 Dec 9999 23:59:59 GMT",
];

/// Steps parsed one by one: an HTTP date holds the comma `steps` splits on.
/// A part ending in `:` is joined to the next.
fn script(parts: &[&str]) -> Vec<fake_api::Step> {
    let joined = parts.join("\n").replace(":\n", ":");
    joined
        .lines()
        .map(|step| {
            step.parse()
                .unwrap_or_else(|e| panic!("bad step {step}: {e}"))
        })
        .collect()
}

#[test]
fn ask_gives_up_at_once_on_an_endless_retry_after() {
    for wait in ENDLESS_WAITS {
        let world = World::scripted(script(&["429:", wait]));
        let run = ask(&world, &["hello"]);
        assert_eq!(run.code, 5, "{wait}: {}", run.stderr);
        assert_eq!(world.message_requests(), 1, "{wait}");
        assert!(
            run.stderr
                .contains("not retried: the server asked to wait a day or more (until 20"),
            "{wait}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("at the earliest)"), "{}", run.stderr);
        let attempts = world.log_events("attempt");
        assert_eq!(attempts.len(), 1, "{wait}");
        assert_eq!(attempts[0]["retry_in_ms"], serde_json::Value::Null);
    }
}

#[test]
fn ask_json_reports_an_endless_retry_after_as_one_object() {
    let world = World::steps("429:retry-after-ms=1e30");
    let run = ask(&world, &["--json", "hello"]);
    assert_eq!(run.code, 5, "{}", run.stderr);
    let json = json_line(&run.stdout);
    assert_eq!(json["error"]["category"], "rate_limit");
    assert_eq!(json["error"]["http_status"], 429);
}

#[test]
fn batch_stops_with_exit_5_on_an_endless_retry_after() {
    for wait in ENDLESS_WAITS {
        let world = World::scripted(script(&["ok", "429:", wait]));
        let input = world.file("in.txt", &prompts(5));
        let output = world.path("out.jsonl");
        let run = run(
            &world,
            &mut world.batch(&[&input, "-o", &output, "--jobs", "1"]),
        );
        assert_eq!(run.code, 5, "{wait}: {}", run.stderr);
        assert_eq!(world.message_requests(), 2, "{wait}");
        assert!(
            run.stderr
                .contains("the API asked to wait a day or more, longer than a batch waits"),
            "{wait}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("at the earliest, finish it with:"),
            "{wait}: {}",
            run.stderr
        );
        assert_eq!(result_ids(&read_results(&output)), ["1"], "{wait}");
    }
}

#[test]
fn billing_is_not_retried_even_when_the_server_says_to() {
    for step in [
        "402:x-should-retry=true",
        "401:x-should-retry=true",
        "403:x-should-retry=true",
    ] {
        let world = World::steps(&format!("{step},ok"));
        let run = ask(&world, &["hello"]);
        assert_eq!(run.code, 3, "{step}: {}", run.stderr);
        assert_eq!(world.message_requests(), 1, "{step}");
        assert!(
            run.stderr.contains("not retried: retrying cannot fix this"),
            "{step}: {}",
            run.stderr
        );
    }
}

#[test]
fn batch_stops_at_a_billing_failure_the_server_says_to_retry() {
    let world = World::steps("402:x-should-retry=true,ok,ok");
    let input = world.file("in.txt", &prompts(3));
    let output = world.path("out.jsonl");
    let run = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--jobs", "1"]),
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(world.message_requests(), 1);
}

fn log_line(ts: &str, outcome: &str) -> String {
    serde_json::json!({"ts": ts, "event": "call", "command": "ask", "outcome": outcome,
        "category": null, "http_status": null, "error_type": null, "message": null,
        "request_id": "req_x", "attempts": 1, "model": "m", "elapsed_ms": 1})
    .to_string()
}

fn log_cmd(world: &World, args: &[&str]) -> Run {
    let mut command = world.claude();
    command.arg("log").args(args);
    run(world, &mut command)
}

fn write_log(world: &World, lines: &[String]) {
    let path = world.log_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The first and the last instant RFC 3339 can write, and one past the end.
fn edge_of_time_log(world: &World) {
    write_log(
        world,
        &[
            log_line("1970-01-01T00:00:00.000Z", "success"),
            log_line("9999-12-31T23:59:59.999Z", "overloaded"),
            log_line("9999-12-31T23:59:59Z", "success"),
            log_line("+10000-01-01T00:00:00Z", "success"),
        ],
    );
}

#[test]
fn log_stats_reads_a_line_dated_9999_and_any_since() {
    let world = World::ok();
    edge_of_time_log(&world);
    for since in ["100years", "1000000000years", "24h"] {
        let run = log_cmd(&world, &["stats", "--since", since]);
        assert_eq!(run.code, 0, "--since {since}: {}", run.stderr);
        assert!(run.stdout.contains("calls:"), "{}", run.stdout);
        let run = log_cmd(&world, &["stats", "--json", "--since", since]);
        assert_eq!(run.code, 0, "--since {since}: {}", run.stderr);
        let json = json_line(&run.stdout);
        assert!(json["since"].as_str().is_some(), "{json}");
    }
    let run = log_cmd(&world, &["stats", "--json", "--since", "100years"]);
    let json = json_line(&run.stdout);
    assert_eq!(json["since"], "1970-01-01T00:00:00.000Z");
    // The two lines in the year 9999 count; the one past it is damage.
    assert_eq!(json["calls"], 3);
    assert_eq!(json["damaged_lines"], 1);
    assert_eq!(json["worst_window"]["end"], "9999-12-31T23:59:59.999Z");
}

#[test]
fn log_stats_alerts_on_a_window_at_the_end_of_time() {
    let world = World::ok();
    edge_of_time_log(&world);
    let run = log_cmd(
        &world,
        &[
            "stats",
            "--since",
            "1000000000years",
            "--window",
            "1000000000years",
            "--alert-below",
            "99",
        ],
    );
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("alert:"), "{}", run.stderr);
}

#[test]
fn log_lists_failures_at_the_end_of_time() {
    let world = World::ok();
    write_log(
        &world,
        &[
            serde_json::json!({"ts": "9999-12-31T23:59:59.999Z", "event": "attempt",
            "command": "ask", "category": "overloaded", "http_status": 529, "error_type": null,
            "message": "late", "request_id": "req_late", "attempt": 1, "max_attempts": 5,
            "retry_in_ms": 18446744073709551615u64, "model": "m", "elapsed_ms": 1})
            .to_string(),
        ],
    );
    for since in [None, Some("100years"), Some("1000000000years")] {
        let mut args = vec![];
        if let Some(since) = since {
            args.extend(["--since", since]);
        }
        let run = log_cmd(&world, &args);
        assert_eq!(run.code, 0, "{since:?}: {}", run.stderr);
        assert!(
            run.stdout
                .starts_with("9999-12-31T23:59:59.999Z  overloaded"),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn skip_invalid_finds_a_free_id_whatever_the_input_took() {
    // An invalid line 1, then every id the old `-x` placeholders would try.
    let mut lines = vec!["{broken".to_string()];
    let mut id = "line-1".to_string();
    while id.len() <= 64 {
        lines.push(format!(r#"{{"custom_id":"{id}","prompt":"hi"}}"#));
        id.push_str("-x");
    }
    lines.push(r#"{"custom_id":"line-1-2","prompt":"hi"}"#.to_string());
    let world = World::ok();
    let input = world.file("in.jsonl", &(lines.join("\n") + "\n"));
    let output = world.path("out.jsonl");
    let run = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--skip-invalid"]),
    );
    assert_eq!(run.code, 9, "{}", run.stderr);
    let results = read_results(&output);
    let errored: Vec<&str> = results
        .iter()
        .filter(|r| r["result"]["type"] == "errored")
        .map(|r| r["custom_id"].as_str().unwrap())
        .collect();
    assert_eq!(errored, ["line-1-3"]);
    assert_eq!(results.len(), lines.len());
}
