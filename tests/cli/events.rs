//! `--events FILE`: the lines a program reads while `ask` or `batch` runs
//! (docs/events.md): retries, give-ups, pauses, breaker changes, outcomes
//! and the run's end, each one JSON object, private, never with the key.

use fake_api::{MockConfig, Step};
use serde_json::Value;

use crate::support::*;

/// The events in `text`, each checked for what every line carries.
fn parse_events(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(event["version"], 1, "{line}");
            let ts = event["ts"].as_str().expect("a timestamp");
            assert_eq!(ts.len(), "2026-12-02T05:40:32.054Z".len(), "{ts}");
            assert!(ts.ends_with('Z') && ts.as_bytes()[19] == b'.', "{ts}");
            assert!(event["event"].is_string(), "{line}");
            event
        })
        .collect()
}

fn read_events(path: &str) -> Vec<Value> {
    parse_events(&std::fs::read_to_string(path).expect("the events file exists"))
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

#[test]
fn ask_writes_each_retry_then_one_success_and_leaves_stdout_alone() {
    let script = "529,429:retry-after=2,ok";
    let plain = World::steps(script);
    let without = ask(&plain, &["hello"]);
    let world = World::steps(script);
    let path = world.path("events.jsonl");
    let run = ask(&world, &["--events", &path, "hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout, without.stdout,
        "stdout is the same with --events"
    );
    assert!(!run.stderr.contains("\"event\""), "{}", run.stderr);

    let events = read_events(&path);
    assert_eq!(kinds(&events), ["retry", "retry", "outcome"]);
    let attempts = world.log_events("attempt");
    for (n, (retry, category, status)) in [
        (&events[0], "overloaded", 529),
        (&events[1], "rate_limit", 429),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(retry["command"], "ask");
        assert_eq!(retry["category"], category);
        assert_eq!(retry["http_status"], status);
        assert_eq!(retry["attempt"], n as u64 + 1);
        assert_eq!(retry["max_attempts"], 5);
        assert!(retry["request_id"].as_str().unwrap().starts_with("req_"));
        // The wait the policy chose, as the log has it.
        assert_eq!(retry["retry_in_ms"], attempts[n]["retry_in_ms"]);
        assert!(retry.get("custom_id").is_none(), "ask has no item");
    }
    assert_eq!(events[1]["retry_in_ms"], 2000, "the server's retry-after");
    assert_eq!(events[1]["error_type"], "rate_limit_error");

    let outcome = &events[2];
    assert_eq!(outcome["outcome"], "success");
    assert_eq!(outcome["exit_code"], 0);
    assert_eq!(outcome["attempts"], 3);
    assert_eq!(outcome["category"], Value::Null);
    assert_eq!(outcome["model"], world.log_events("call")[0]["model"]);
    assert_eq!(
        outcome["request_id"],
        world.log_events("call")[0]["request_id"]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn events_dash_go_to_stderr_and_stdout_is_only_the_reply() {
    let plain = World::steps("529,ok");
    let without = ask(&plain, &["--quiet", "hello"]);
    let world = World::steps("529,ok");
    let run = ask(&world, &["--quiet", "--events", "-", "hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, without.stdout);
    assert!(!run.stdout.contains('{'), "{}", run.stdout);
    let events = parse_events(&run.stderr);
    assert_eq!(kinds(&events), ["retry", "outcome"], "{}", run.stderr);
}

#[test]
fn a_failing_ask_gives_up_and_its_outcome_has_the_category_and_exit_code() {
    let world = World::steps("529,529");
    let path = world.path("events.jsonl");
    let run = ask(&world, &["--max-retries", "1", "--events", &path, "hello"]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    let events = read_events(&path);
    assert_eq!(kinds(&events), ["retry", "give_up", "outcome"]);
    assert_eq!(events[1]["attempt"], 2);
    assert_eq!(events[1]["retry_in_ms"], Value::Null);
    let outcome = &events[2];
    assert_eq!(outcome["outcome"], "overloaded");
    assert_eq!(outcome["category"], "overloaded");
    assert_eq!(outcome["http_status"], 529);
    assert_eq!(outcome["exit_code"], 6);
    assert_eq!(outcome["attempts"], 2);
}

#[test]
fn an_existing_events_file_is_appended_to() {
    let world = World::ok();
    let path = world.file("events.jsonl", "");
    for _ in 0..2 {
        assert_eq!(ask(&world, &["--events", &path, "hello"]).code, 0);
    }
    assert_eq!(kinds(&read_events(&path)), ["outcome", "outcome"]);
}

#[test]
fn an_unwritable_events_path_warns_once_and_the_call_succeeds() {
    let world = World::steps("529,ok");
    for path in [world.path("no-such-dir/events.jsonl"), world.path("")] {
        let run = ask(&world, &["--events", &path, "hello"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stdout.is_empty());
        assert_eq!(
            run.stderr.matches("could not write the events").count(),
            1,
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_batch_writes_its_pause_each_items_outcome_and_the_runs_end() {
    let world = World::steps("429:retry-after=4");
    let input = world.file("in.txt", &prompts(3));
    let output = world.path("out.jsonl");
    let path = world.path("events.jsonl");
    let run = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--jobs", "1", "--events", &path]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let events = read_events(&path);
    let pauses = of_kind(&events, "pause");
    assert_eq!(pauses.len(), 1, "{events:?}");
    assert_eq!(pauses[0]["reason"], "rate_limit");
    assert_eq!(pauses[0]["wait_ms"], 4000);
    assert_eq!(pauses[0]["http_status"], 429);
    assert_eq!(pauses[0]["custom_id"], "1");
    assert!(pauses[0]["until"].as_str().unwrap().ends_with('Z'));
    let retries = of_kind(&events, "retry");
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0]["custom_id"], "1");
    assert_eq!(retries[0]["command"], "batch");

    let outcomes = of_kind(&events, "outcome");
    let mut ids: Vec<&str> = outcomes
        .iter()
        .map(|o| o["custom_id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["1", "2", "3"]);
    assert!(
        outcomes
            .iter()
            .all(|o| o["outcome"] == "success" && o["exit_code"] == 0)
    );
    assert_eq!(
        outcomes.iter().find(|o| o["custom_id"] == "1").unwrap()["attempts"],
        2
    );

    assert_eq!(kinds(&events).last(), Some(&"run_end"));
    let end = events.last().unwrap();
    assert_eq!(end["outcome"], "completed");
    assert_eq!(end["succeeded"], 3);
    assert_eq!(end["errored"], 0);
    assert_eq!(end["retries"], 1);
    assert_eq!(end["exit_code"], 0);
    assert_eq!(end["reason"], Value::Null);
}

#[test]
fn a_breaker_opening_in_a_batch_is_an_event_and_so_is_its_closing() {
    let world = World::steps("529,529,529,529,529");
    let input = world.file("in.txt", &prompts(4));
    let output = world.path("out.jsonl");
    let path = world.path("events.jsonl");
    let run = run(
        &world,
        &mut world.batch(&[
            &input,
            "-o",
            &output,
            "--jobs",
            "1",
            "--max-retries",
            "8",
            "--events",
            &path,
        ]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let events = read_events(&path);
    let states: Vec<&str> = of_kind(&events, "breaker")
        .iter()
        .map(|b| b["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["open", "half_open", "closed"]);
    let open = of_kind(&events, "breaker")[0];
    assert_eq!(open["category"], "overloaded");
    assert_eq!(open["cooldown_ms"], 5000);
    assert!(open["reason"].as_str().unwrap().contains("overloaded"));
}

#[test]
fn a_batch_stopped_by_a_bad_key_ends_with_its_reason_and_exit_code() {
    let world = World::steps("401");
    let input = world.file("in.txt", &prompts(3));
    let output = world.path("out.jsonl");
    let path = world.path("events.jsonl");
    let run = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--events", &path]),
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let events = read_events(&path);
    let end = events.last().unwrap();
    assert_eq!(end["event"], "run_end");
    assert_eq!(end["outcome"], "authentication");
    assert_eq!(end["exit_code"], 3);
    assert!(end["reason"].is_string(), "{end}");
}

#[test]
fn a_remote_batch_writes_each_batch_calls_outcome_and_the_runs_end() {
    let world = World::new(MockConfig {
        batch_polls: 1,
        ..MockConfig::default()
    });
    let input = world.file("in.txt", &prompts(2));
    let output = world.path("out.jsonl");
    let path = world.path("events.jsonl");
    let run = run(
        &world,
        &mut world.batch(&[
            "--remote",
            &input,
            "-o",
            &output,
            "--poll-interval",
            "0.01",
            "--events",
            &path,
        ]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let events = read_events(&path);
    let calls: Vec<&str> = of_kind(&events, "outcome")
        .iter()
        .map(|o| o["batch_call"].as_str().unwrap())
        .collect();
    assert_eq!(calls.first(), Some(&"create"), "{calls:?}");
    assert!(calls.contains(&"retrieve") && calls.contains(&"results"));
    let end = events.last().unwrap();
    assert_eq!(end["event"], "run_end");
    assert_eq!(end["succeeded"], 2);
    assert_eq!(end["batch_ids"].as_array().unwrap().len(), 1);
    assert_eq!(end["exit_code"], 0);
}

#[test]
fn a_key_echoed_by_the_server_never_reaches_the_events() {
    for place in ["json", "html", "text", "sse", "header"] {
        let world = World::steps(&format!("echo-key={place}"));
        let path = world.path("events.jsonl");
        let run = ask(&world, &["--max-retries", "0", "--events", &path, "hi"]);
        assert_ne!(run.code, 0, "{place}");
        let batch = World::new(MockConfig {
            then: format!("echo-key={place}").parse::<Step>().unwrap(),
            ..MockConfig::default()
        });
        let input = batch.file("in.txt", "one\ntwo\n");
        let output = batch.path("out.jsonl");
        let batch_path = batch.path("events.jsonl");
        run_batch_with_events(&batch, &input, &output, &batch_path);
        for text in [
            std::fs::read_to_string(&path).unwrap(),
            std::fs::read_to_string(&batch_path).unwrap(),
        ] {
            assert!(!text.is_empty(), "{place}");
            assert!(
                !text
                    .to_ascii_lowercase()
                    .contains(&KEY_SECRET_PART.to_ascii_lowercase()),
                "the key leaked into the events ({place}):\n{text}"
            );
        }
    }
}

fn run_batch_with_events(world: &World, input: &str, output: &str, events: &str) {
    let run = run(
        world,
        &mut world.batch(&[
            input,
            "-o",
            output,
            "--max-retries",
            "0",
            "--events",
            events,
        ]),
    );
    assert_ne!(run.code, 0, "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn an_ask_stopped_by_sigterm_ends_with_an_interrupted_outcome_and_its_exit_code() {
    let world = World::steps("hang");
    let path = world.path("events.jsonl");
    let child = world
        .process()
        .args(["ask", "--timeout", "600", "--events", &path, "hello"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let started = std::time::Instant::now();
    while world.message_requests() == 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    send_signal(&child, "TERM");
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143));
    let events = read_events(&path);
    assert_eq!(kinds(&events), ["outcome"]);
    assert_eq!(events[0]["outcome"], "interrupted");
    assert_eq!(events[0]["message"], "interrupted by SIGTERM");
    assert_eq!(events[0]["exit_code"], 143);
    assert_eq!(events[0]["attempts"], 1);
}

#[test]
fn a_batch_with_nothing_left_to_do_still_ends_with_run_end() {
    let world = World::ok();
    let input = world.file("in.txt", &prompts(2));
    let output = world.path("out.jsonl");
    assert_eq!(
        run(&world, &mut world.batch(&[&input, "-o", &output])).code,
        0
    );
    let path = world.path("events.jsonl");
    let again = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--events", &path]),
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    let events = read_events(&path);
    assert_eq!(kinds(&events), ["run_end"]);
    assert_eq!(events[0]["outcome"], "nothing_to_do");
    assert_eq!(events[0]["succeeded"], 2);
    assert_eq!(events[0]["exit_code"], 0);
}
