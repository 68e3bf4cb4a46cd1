//! `claude-rs batch --remote`, `--batch-id`, `--status`, `--cancel`, `--list`:
//! the real binary against the fake Message Batches API. Polls are tiny
//! (`--poll-interval 0.01`) and retry waits shrunk (`CLAUDE_RS_TEST_SLEEP_SCALE`).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use fake_api::{MockConfig, RecordedRequest};
use serde_json::Value;

use crate::support::*;

const POLL: &str = "0.01";

/// A world whose batches end after `polls` polls.
fn world_with(polls: u32, script: &str) -> World {
    World::new(MockConfig {
        batch_polls: polls,
        script: if script.is_empty() {
            Vec::new()
        } else {
            steps(script)
        },
        ..MockConfig::default()
    })
}

/// `count` plain prompts (ids 1..=count) and one request whose result the
/// fake API makes errored with a 529's error (`mock-error-529`).
fn input_with_one_error(world: &World, count: usize) -> String {
    let mut text = prompts(count);
    text.push_str(
        r#"{"custom_id":"boom","params":{"messages":[{"role":"user","content":"x"}],"metadata":{"user_id":"mock-error-529"}}}"#,
    );
    text.push('\n');
    world.file("in.jsonl", &text)
}

fn ids_with_boom(count: usize) -> Vec<String> {
    let mut ids = numbered_ids(count);
    ids.push("boom".into());
    ids.sort();
    ids
}

fn remote(world: &World, input: &str, output: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--remote", input, "-o", output, "--poll-interval", POLL];
    args.extend_from_slice(extra);
    run(world, &mut world.batch(&args))
}

fn is_create(request: &RecordedRequest) -> bool {
    request.method == "POST" && request.path == "/v1/messages/batches"
}

fn creates(world: &World) -> Vec<RecordedRequest> {
    world
        .server
        .batch_requests()
        .into_iter()
        .filter(is_create)
        .collect()
}

fn polls(world: &World) -> usize {
    world
        .server
        .batch_requests()
        .iter()
        .filter(|r| {
            r.method == "GET"
                && r.path.starts_with("/v1/messages/batches/")
                && !r.path.ends_with("/results")
        })
        .count()
}

/// The custom_ids a create call carried, in order.
fn created_ids(request: &RecordedRequest) -> Vec<String> {
    let body = request.json().expect("the create body is JSON");
    body["requests"]
        .as_array()
        .expect("a requests list")
        .iter()
        .map(|r| r["custom_id"].as_str().unwrap().to_string())
        .collect()
}

fn state_path(output: &str) -> String {
    format!("{output}.batches")
}

/// The binary as a child process, with the same clean environment as `World::claude`.
fn spawn(world: &World, args: &[&str]) -> Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("claude-rs"))
        .env_clear()
        .env("ANTHROPIC_API_KEY", TEST_KEY)
        .env("ANTHROPIC_BASE_URL", world.server.base_url())
        .env("CLAUDE_RS_LOG", world.log_path())
        .env("CLAUDE_RS_CONFIG", world.config_path())
        .env("CLAUDE_RS_TEST_SLEEP_SCALE", SLEEP_SCALE)
        .env("NO_COLOR", "1")
        .arg("batch")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Reads the child's stderr up to the line announcing a batch; returns what was read.
fn wait_for_submission(child: &mut Child) -> (BufReader<std::process::ChildStderr>, String) {
    let mut reader = BufReader::new(child.stderr.take().expect("stderr is piped"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect("stderr is readable");
        assert!(read > 0, "the run ended before submitting:\n{seen}");
        seen.push_str(&line);
        if line.contains("submitted batch") {
            return (reader, seen);
        }
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn assert_clean(text: &str) {
    assert!(!text.contains(KEY_SECRET_PART), "the key leaked:\n{text}");
    assert!(!text.contains("panicked"), "a panic:\n{text}");
}

#[test]
fn a_remote_batch_writes_every_result_once_and_explains_the_errored_one() {
    let world = world_with(2, "");
    let input = input_with_one_error(&world, 4);
    let output = world.path("out.jsonl");
    let run = remote(&world, &input, &output, &["--max-tokens", "50"]);
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "results go to OUTPUT: {}",
        run.stdout
    );

    let results = read_results(&output);
    assert_eq!(result_ids(&results), ids_with_boom(4));
    let boom = results.iter().find(|r| r["custom_id"] == "boom").unwrap();
    let error = &boom["result"]["error"];
    assert_eq!(boom["result"]["type"], "errored");
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "overloaded_error");
    assert_eq!(error["category"], "overloaded");
    assert_eq!(error["retryable"], true);
    assert_eq!(error["http_status"], Value::Null);
    assert_eq!(error["attempts"], Value::Null);
    assert!(
        error["fix"]
            .as_str()
            .unwrap()
            .contains("status.anthropic.com")
    );
    let ok = results.iter().find(|r| r["custom_id"] == "1").unwrap();
    assert_eq!(ok["result"]["type"], "succeeded");
    assert!(
        ok["result"]["message"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("prompt number 1")
    );

    // One batch, holding the params as given with the flags' defaults and no `stream`.
    let created = creates(&world);
    assert_eq!(created.len(), 1);
    let body = created[0].json().unwrap();
    assert_eq!(created_ids(&created[0]), ["1", "2", "3", "4", "boom"]);
    let params = &body["requests"][0]["params"];
    assert_eq!(params["max_tokens"], 50);
    assert_eq!(params["model"], "claude-sonnet-5-5");
    assert!(params.get("stream").is_none(), "{params}");
    assert_eq!(
        body["requests"][4]["params"]["metadata"]["user_id"],
        "mock-error-529"
    );
    assert_eq!(created[0].header("anthropic-version"), Some("2023-06-01"));

    assert!(
        run.stderr
            .contains("submitted batch msgbatch_mock_000001: 5 requests"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("batch finished: 5 of 5 items"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("errored:    1 (overloaded 1)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("batches:    msgbatch_mock_000001"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--retry-errored"), "{}", run.stderr);
    assert!(
        !std::path::Path::new(&state_path(&output)).exists(),
        "the state file is removed once all is downloaded"
    );

    // Every call is in the log, named; the run's line lists its batch.
    let calls: Vec<String> = world
        .log_events("call")
        .iter()
        .map(|c| c["batch_call"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(calls.first().map(String::as_str), Some("create"));
    assert_eq!(calls.last().map(String::as_str), Some("results"));
    assert!(
        calls.iter().filter(|c| *c == "retrieve").count() >= 2,
        "{calls:?}"
    );
    let end = world.log_events("batch");
    assert_eq!(end.len(), 1);
    assert_eq!(end[0]["batch_ids"][0], "msgbatch_mock_000001");
    assert_eq!(end[0]["succeeded"], 4);
    assert_eq!(end[0]["errored"], 1);

    // Rerunning finds everything done and sends nothing.
    let before = world.server.batch_requests().len();
    let again = remote(&world, &input, &output, &[]);
    assert_eq!(again.code, 9, "{}", again.stderr);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
    assert_eq!(world.server.batch_requests().len(), before);
}

#[test]
fn a_clean_batch_exits_0() {
    let world = world_with(1, "");
    let input = world.file("in.txt", &prompts(3));
    let output = world.path("out.jsonl");
    let run = remote(&world, &input, &output, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(result_ids(&read_results(&output)), numbered_ids(3));
}

#[test]
fn an_overloaded_create_is_retried_and_creates_one_batch() {
    let world = world_with(2, "529");
    let input = world.file("in.txt", &prompts(3));
    let output = world.path("out.jsonl");
    let run = remote(&world, &input, &output, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        creates(&world).len(),
        2,
        "the 529, then the create that worked"
    );
    let ids: Vec<String> = world
        .server
        .batch_requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert!(
        ids.iter().all(|p| !p.contains("msgbatch_mock_000002")),
        "{ids:?}"
    );
    assert_eq!(result_ids(&read_results(&output)), numbered_ids(3));
    let attempts = world.log_events("attempt");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["batch_call"], "create");
    assert_eq!(attempts[0]["category"], "overloaded");
    assert_eq!(attempts[0]["command"], "batch");
    assert!(attempts[0]["retry_in_ms"].as_u64().is_some());
}

#[test]
fn a_refused_key_stops_at_once_with_exit_3_and_creates_nothing() {
    let world = world_with(2, "401");
    let input = world.file("in.txt", &prompts(3));
    let output = world.path("out.jsonl");
    let run = remote(&world, &input, &output, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(world.server.batch_requests().len(), 1, "not retried");
    assert!(run.stderr.contains("authentication"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("fix the key, account or base URL, then resume with"),
        "{}",
        run.stderr
    );
    assert!(read_results(&output).is_empty());
    assert!(!std::path::Path::new(&state_path(&output)).exists());
}

#[test]
fn a_create_whose_answer_is_lost_is_not_repeated_and_says_how_to_find_the_batch() {
    // `truncated`: the batch is created, its answer cut off mid-body.
    let world = world_with(1, "truncated");
    let input = world.file("in.txt", &prompts(2));
    let output = world.path("out.jsonl");
    let lost = remote(&world, &input, &output, &[]);
    assert_eq!(lost.code, 7, "{}", lost.stderr);
    assert_eq!(
        creates(&world).len(),
        1,
        "a create is never repeated after it may have worked"
    );
    assert!(
        lost.stderr.contains("may have taken effect"),
        "{}",
        lost.stderr
    );
    assert!(
        lost.stderr.contains("claude-rs batch --list"),
        "{}",
        lost.stderr
    );
    assert!(lost.stderr.contains("--batch-id ID"), "{}", lost.stderr);

    // --list finds it; --batch-id follows it; then the rerun has nothing left.
    let list = run_list(&world);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(
        list.stdout.starts_with("msgbatch_mock_000001  "),
        "{}",
        list.stdout
    );
    assert!(list.stdout.contains("2 requests"), "{}", list.stdout);
    let follow = run(
        &world,
        &mut world.batch(&[
            "--remote",
            "--batch-id",
            "msgbatch_mock_000001",
            "-o",
            &output,
            "--poll-interval",
            POLL,
        ]),
    );
    assert_eq!(follow.code, 0, "{}", follow.stderr);
    let rerun = remote(&world, &input, &output, &[]);
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert!(rerun.stderr.contains("nothing to do"), "{}", rerun.stderr);
    assert_eq!(creates(&world).len(), 1);
    assert_eq!(result_ids(&read_results(&output)), numbered_ids(2));
}

#[test]
fn a_reset_after_the_create_was_sent_is_not_repeated() {
    let world = world_with(1, "reset");
    let input = world.file("in.txt", &prompts(2));
    let output = world.path("out.jsonl");
    let run = remote(&world, &input, &output, &[]);
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert_eq!(creates(&world).len(), 1);
    assert!(
        run.stderr.contains("a batch may have been created"),
        "{}",
        run.stderr
    );
}

fn run_list(world: &World) -> Run {
    run(world, &mut world.batch(&["--list"]))
}

#[test]
fn a_run_killed_while_polling_resumes_from_the_state_file() {
    let world = world_with(60, "");
    let input = input_with_one_error(&world, 6);
    let output = world.path("out.jsonl");
    let args = [
        "--remote",
        input.as_str(),
        "-o",
        output.as_str(),
        "--poll-interval",
        POLL,
    ];
    let mut child = spawn(&world, &args);
    let (mut stderr, seen) = wait_for_submission(&mut child);
    assert!(seen.contains("msgbatch_mock_000001"), "{seen}");
    let state = std::fs::read_to_string(state_path(&output))
        .expect("the state is written before the id is printed");
    assert!(
        state.contains(r#""batch_id":"msgbatch_mock_000001""#),
        "{state}"
    );
    wait_until("a few polls", || polls(&world) >= 3);
    child.kill().expect("SIGKILL");
    child.wait().expect("the child ends");
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap_or_default();
    assert_clean(&format!("{seen}{rest}"));
    assert!(polls(&world) < 60, "killed before the batch ended");

    let rerun = remote(&world, &input, &output, &[]);
    assert_eq!(rerun.code, 9, "{}", rerun.stderr);
    assert!(
        rerun.stderr.contains("resuming: following 1 batch from"),
        "{}",
        rerun.stderr
    );
    assert_eq!(creates(&world).len(), 1, "nothing is submitted twice");
    assert_eq!(result_ids(&read_results(&output)), ids_with_boom(6));
    assert!(!std::path::Path::new(&state_path(&output)).exists());
}

#[test]
fn ctrl_c_while_polling_says_the_batch_keeps_running_and_exits_130() {
    let world = world_with(1000, "");
    let input = world.file("in.txt", &prompts(2));
    let output = world.path("out.jsonl");
    let args = [
        "--remote",
        input.as_str(),
        "-o",
        output.as_str(),
        "--poll-interval",
        "0.05",
    ];
    let mut child = spawn(&world, &args);
    let (mut stderr, seen) = wait_for_submission(&mut child);
    wait_until("a poll", || polls(&world) >= 1);
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let mut rest = String::new();
    stderr
        .read_to_string(&mut rest)
        .expect("stderr is readable");
    let code = child.wait().expect("the child ends").code();
    let text = format!("{seen}{rest}");
    assert_clean(&text);
    assert_eq!(code, Some(130), "{text}");
    assert!(text.contains("keep running on Anthropic's side"), "{text}");
    assert!(text.contains("resume with:"), "{text}");
    assert!(
        text.contains("claude-rs batch --cancel msgbatch_mock_000001"),
        "{text}"
    );
    assert!(
        std::path::Path::new(&state_path(&output)).exists(),
        "kept for the resume"
    );
}

#[test]
fn batch_id_follows_a_batch_an_earlier_run_created() {
    let world = world_with(30, "");
    let input = input_with_one_error(&world, 3);
    let first_output = world.path("first.jsonl");
    let args = [
        "--remote",
        input.as_str(),
        "-o",
        first_output.as_str(),
        "--poll-interval",
        POLL,
    ];
    let mut child = spawn(&world, &args);
    let _ = wait_for_submission(&mut child);
    child.kill().expect("SIGKILL");
    child.wait().expect("the child ends");

    // Elsewhere, without the state file: follow the batch by its id.
    let output = world.path("followed.jsonl");
    let follow = run(
        &world,
        &mut world.batch(&[
            "--remote",
            "--batch-id",
            "msgbatch_mock_000001",
            "-o",
            &output,
            "--poll-interval",
            POLL,
        ]),
    );
    assert_eq!(follow.code, 9, "{}", follow.stderr);
    assert_eq!(result_ids(&read_results(&output)), ids_with_boom(3));
    assert!(
        follow.stderr.contains("batch finished: 4 items"),
        "{}",
        follow.stderr
    );
    assert!(!std::path::Path::new(&state_path(&output)).exists());
    assert_eq!(creates(&world).len(), 1);

    // Following it again writes nothing twice and still reports the errored item.
    let again = run(
        &world,
        &mut world.batch(&[
            "--remote",
            "--batch-id",
            "msgbatch_mock_000001",
            "-o",
            &output,
            "--poll-interval",
            POLL,
        ]),
    );
    assert_eq!(again.code, 9, "{}", again.stderr);
    assert!(
        again.stderr.contains("skipped:    4 already in"),
        "{}",
        again.stderr
    );
    assert_eq!(result_ids(&read_results(&output)), ids_with_boom(3));
}

#[test]
fn a_followed_batch_in_the_state_file_is_finished_before_anything_is_submitted() {
    let world = world_with(20, "");
    let input = input_with_one_error(&world, 3);
    let output = world.path("out.jsonl");
    let args = [
        "--remote",
        input.as_str(),
        "-o",
        output.as_str(),
        "--poll-interval",
        POLL,
    ];
    let mut child = spawn(&world, &args);
    let _ = wait_for_submission(&mut child);
    child.kill().expect("SIGKILL");
    child.wait().expect("the child ends");
    // As an interrupted `--batch-id` run leaves it: the batch, its items unknown.
    std::fs::write(
        state_path(&output),
        "{\"event\":\"followed\",\"ts\":\"2026-01-01T00:00:00.000Z\",\"batch_id\":\"msgbatch_mock_000001\"}\n",
    )
    .unwrap();
    let rerun = remote(&world, &input, &output, &[]);
    assert_eq!(rerun.code, 9, "{}", rerun.stderr);
    assert_eq!(
        creates(&world).len(),
        1,
        "its results showed every item done"
    );
    assert_eq!(result_ids(&read_results(&output)), ids_with_boom(3));
    assert!(!std::path::Path::new(&state_path(&output)).exists());
}

#[test]
fn status_prints_the_batch_and_json_prints_it_as_sent() {
    let world = world_with(2, "");
    let input = world.file("in.txt", &prompts(2));
    let output = world.path("out.jsonl");
    assert_eq!(remote(&world, &input, &output, &[]).code, 0);

    let status = run(
        &world,
        &mut world.batch(&["--status", "msgbatch_mock_000001"]),
    );
    assert_eq!(status.code, 0, "{}", status.stderr);
    let lines: Vec<&str> = status.stdout.lines().collect();
    assert_eq!(lines[0], "id:        msgbatch_mock_000001");
    assert_eq!(lines[1], "status:    ended");
    assert_eq!(
        lines[2],
        "requests:  2 (2 succeeded, 0 errored, 0 canceled, 0 expired)"
    );
    assert!(
        status.stdout.contains("results:   http://127.0.0.1:"),
        "{}",
        status.stdout
    );

    let json = run(
        &world,
        &mut world.batch(&["--status", "msgbatch_mock_000001", "--json"]),
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let batch = json_line(&json.stdout);
    assert_eq!(batch["type"], "message_batch");
    assert_eq!(batch["processing_status"], "ended");
    assert_eq!(batch["request_counts"]["succeeded"], 2);
    assert!(
        json.stdout
            .starts_with(r#"{"id":"msgbatch_mock_000001","type":"message_batch""#),
        "as sent: {}",
        json.stdout
    );

    let unknown = run(&world, &mut world.batch(&["--status", "msgbatch_nope"]));
    assert_eq!(unknown.code, 4, "{}", unknown.stderr);
    assert!(unknown.stdout.is_empty());
    assert!(unknown.stderr.contains("not_found"), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("claude-rs batch --list"),
        "{}",
        unknown.stderr
    );

    let list = run(&world, &mut world.batch(&["--list", "--json"]));
    assert_eq!(list.code, 0, "{}", list.stderr);
    let page = json_line(&list.stdout);
    assert_eq!(page["data"][0]["id"], "msgbatch_mock_000001");
    assert_eq!(page["has_more"], false);

    let bad = run(&world, &mut world.batch(&["--status", "../x"]));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn cancel_then_the_rerun_downloads_canceled_results() {
    let world = world_with(1000, "");
    let input = input_with_one_error(&world, 3);
    let output = world.path("out.jsonl");
    let args = [
        "--remote",
        input.as_str(),
        "-o",
        output.as_str(),
        "--poll-interval",
        POLL,
    ];
    let mut child = spawn(&world, &args);
    let _ = wait_for_submission(&mut child);
    child.kill().expect("SIGKILL");
    child.wait().expect("the child ends");

    let cancel = run(
        &world,
        &mut world.batch(&["--cancel", "msgbatch_mock_000001"]),
    );
    assert_eq!(cancel.code, 0, "{}", cancel.stderr);
    assert!(
        cancel.stdout.contains("status:    canceling"),
        "{}",
        cancel.stdout
    );
    assert!(
        cancel.stdout.contains("canceled:  requested at"),
        "{}",
        cancel.stdout
    );

    let rerun = remote(&world, &input, &output, &[]);
    assert_eq!(rerun.code, 9, "{}", rerun.stderr);
    let results = read_results(&output);
    assert_eq!(result_ids(&results), ids_with_boom(3));
    assert!(
        results.iter().all(|r| r["result"]["type"] == "canceled"),
        "{results:?}"
    );
    assert!(rerun.stderr.contains("canceled:   4"), "{}", rerun.stderr);

    // An ended batch cannot be canceled: the API's 400, classified.
    let late = run(
        &world,
        &mut world.batch(&["--cancel", "msgbatch_mock_000001"]),
    );
    assert_eq!(late.code, 4, "{}", late.stderr);
    assert!(late.stderr.contains("already ended"), "{}", late.stderr);
}

#[test]
fn the_input_is_split_into_several_batches_at_the_limit() {
    let world = world_with(1, "");
    let input = world.file("in.txt", &prompts(5));
    let output = world.path("out.jsonl");
    let run = run(
        &world,
        world
            .batch(&["--remote", &input, "-o", &output, "--poll-interval", POLL])
            .env("CLAUDE_RS_TEST_BATCH_LIMIT", "2"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let created: Vec<Vec<String>> = creates(&world).iter().map(created_ids).collect();
    assert_eq!(created, [vec!["1", "2"], vec!["3", "4"], vec!["5"]]);
    assert!(
        run.stderr
            .contains("msgbatch_mock_000001, msgbatch_mock_000002, msgbatch_mock_000003"),
        "{}",
        run.stderr
    );
    assert_eq!(result_ids(&read_results(&output)), numbered_ids(5));
}

#[test]
fn invalid_lines_stop_everything_or_become_local_errored_results() {
    let world = world_with(1, "");
    let input = world.file("in.jsonl", "first\n{broken\nthird\n{\"custom_id\":\"x\"}\n");
    let output = world.path("out.jsonl");
    let refused = remote(&world, &input, &output, &[]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("line 2:"), "{}", refused.stderr);
    assert!(refused.stderr.contains("line 4:"), "{}", refused.stderr);
    assert!(world.server.batch_requests().is_empty(), "nothing was sent");

    let skipped = remote(&world, &input, &output, &["--skip-invalid"]);
    assert_eq!(skipped.code, 9, "{}", skipped.stderr);
    let created = creates(&world);
    assert_eq!(created.len(), 1);
    assert_eq!(created_ids(&created[0]), ["1", "3"]);
    let results = read_results(&output);
    assert_eq!(result_ids(&results), ["1", "3", "line-2", "x"]);
    let broken = results.iter().find(|r| r["custom_id"] == "line-2").unwrap();
    assert_eq!(broken["result"]["error"]["category"], "invalid_request");
    assert_eq!(broken["result"]["error"]["attempts"], 0);
    assert!(
        skipped.stderr.contains("errored:    2 (invalid_request 2)"),
        "{}",
        skipped.stderr
    );
}

#[test]
fn ids_already_in_output_are_not_submitted_and_retry_errored_redoes_the_rest() {
    let world = world_with(1, "");
    let input = input_with_one_error(&world, 3);
    let output = world.path("out.jsonl");
    std::fs::write(
        &output,
        "{\"custom_id\":\"1\",\"result\":{\"type\":\"succeeded\",\"message\":{}}}\n{\"custom_id\":\"2\",\"result\":{\"type\":\"expired\"}}\n",
    )
    .unwrap();
    let run = remote(&world, &input, &output, &[]);
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert_eq!(created_ids(&creates(&world)[0]), ["3", "boom"]);
    assert!(
        run.stderr.contains("skipped:    2 already in"),
        "{}",
        run.stderr
    );
    assert_eq!(result_ids(&read_results(&output)), ids_with_boom(3));

    let retry = remote(&world, &input, &output, &["--retry-errored"]);
    assert_eq!(retry.code, 9, "boom errors again: {}", retry.stderr);
    assert_eq!(created_ids(&creates(&world)[1]), ["2", "boom"]);
    let results = read_results(&output);
    assert_eq!(result_ids(&results), ids_with_boom(3));
    let two = results.iter().find(|r| r["custom_id"] == "2").unwrap();
    assert_eq!(two["result"]["type"], "succeeded");
}

#[test]
fn remote_flags_are_checked_before_anything_is_sent() {
    let world = world_with(1, "");
    let input = world.file("in.txt", &prompts(1));
    let output = world.path("out.jsonl");
    for (extra, needle) in [
        (vec!["--poll-interval", "0"], "--poll-interval"),
        (vec!["--expect-json"], "--expect-json"),
        (vec!["--mock", "ok"], "--mock"),
        (vec!["--rpm", "5"], "--rpm"),
    ] {
        let mut args = vec!["--remote", input.as_str(), "-o", output.as_str()];
        args.extend(extra);
        let run = run(&world, &mut world.batch(&args));
        assert_eq!(run.code, 2, "{needle}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    let no_output = run(&world, &mut world.batch(&["--remote", &input]));
    assert_eq!(no_output.code, 2, "{}", no_output.stderr);
    assert!(world.server.batch_requests().is_empty());
}

#[test]
fn sigterm_while_polling_stops_as_ctrl_c_does_and_exits_143() {
    let world = world_with(1000, "");
    let input = world.file("in.txt", &prompts(2));
    let output = world.path("out.jsonl");
    let args = [
        "--remote",
        input.as_str(),
        "-o",
        output.as_str(),
        "--poll-interval",
        "0.05",
    ];
    let mut child = spawn(&world, &args);
    let (mut stderr, seen) = wait_for_submission(&mut child);
    wait_until("a poll", || polls(&world) >= 1);
    send_signal(&child, "TERM");
    let mut rest = String::new();
    stderr
        .read_to_string(&mut rest)
        .expect("stderr is readable");
    let code = child.wait().expect("the child ends").code();
    let text = format!("{seen}{rest}");
    assert_clean(&text);
    assert_eq!(code, Some(143), "{text}");
    assert!(
        text.contains(
            "batch stopped by SIGTERM: 0 of 2 items downloaded; the batches keep running"
        ),
        "{text}"
    );
    assert!(text.contains("resume with:"), "{text}");
    let batch = &world.log_events("batch")[0];
    assert_eq!(batch["outcome"], "interrupted");
    assert_eq!(batch["unfinished"], 2);
    assert_eq!(batch["batch_ids"][0], "msgbatch_mock_000001");
}
