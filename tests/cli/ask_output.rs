//! What a user or script reads: stdout, the --json contract, warnings, the
//! log, output validation and fallbacks.

use std::io::Read;
use std::process::Stdio;

use crate::support::*;

#[test]
fn the_reply_goes_to_stdout_and_nothing_else_does() {
    let world = World::steps("ok");
    let run = ask(&world, &["hello", "world"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        "Hello from the claude-rs fake API. You said: hello world\n"
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn the_request_is_what_the_api_documents() {
    let world = World::steps("ok");
    let run = ask(
        &world,
        &[
            "--model",
            "claude-haiku-4-5",
            "--system",
            "be brief",
            "--max-tokens",
            "100",
            "--temperature",
            "0.5",
            "hi",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let request = &world.server.message_requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.header("x-api-key"), Some(TEST_KEY));
    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert!(
        request
            .header("user-agent")
            .unwrap()
            .starts_with("claude-rs/")
    );
    let body = request.json().unwrap();
    assert_eq!(body["model"], "claude-haiku-4-5");
    assert_eq!(body["system"], "be brief");
    assert_eq!(body["max_tokens"], 100);
    assert_eq!(body["temperature"], 0.5);
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["messages"][0],
        serde_json::json!({"role": "user", "content": "hi"})
    );
}

#[test]
fn piped_stdin_joins_the_words_after_a_blank_line() {
    let world = World::steps("ok");
    let run = run(&world, world.ask(&["summarise:"]).write_stdin("the text\n"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let body = world.server.message_requests()[0].json().unwrap();
    assert_eq!(body["messages"][0]["content"], "summarise:\n\nthe text\n");
}

#[test]
fn stdin_alone_is_a_prompt() {
    let world = World::steps("ok");
    let run = run(&world, world.ask(&[]).write_stdin("only stdin"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("only stdin"));
}

#[test]
fn json_success_has_the_documented_shape() {
    let world = World::steps("529,ok");
    let run = ask(&world, &["--json", "hello"]);
    assert_eq!(run.code, 0);
    let json = json_line(&run.stdout);
    assert_eq!(json["status"], "success");
    assert_eq!(
        json["data"],
        "Hello from the claude-rs fake API. You said: hello"
    );
    assert!(json["tokens"]["input"].as_u64().unwrap() > 0);
    assert!(json["tokens"]["output"].as_u64().unwrap() > 0);
    assert!(
        json["request_id"]
            .as_str()
            .unwrap()
            .starts_with("req_mock_")
    );
    assert_eq!(json["model"], "claude-sonnet-5-5");
    assert_eq!(json["stop_reason"], "end_turn");
    assert_eq!(json["attempts"], 2);
}

#[test]
fn json_failure_has_the_documented_shape() {
    let world = World::steps("401");
    let run = ask(&world, &["--json", "hello"]);
    assert_eq!(run.code, 3);
    let json = json_line(&run.stdout);
    assert_eq!(json["status"], "error");
    assert_eq!(json["attempts"], 1);
    let error = &json["error"];
    assert_eq!(error["category"], "authentication");
    assert_eq!(error["http_status"], 401);
    assert_eq!(error["type"], "authentication_error");
    assert_eq!(error["message"], "invalid x-api-key");
    assert!(
        error["request_id"]
            .as_str()
            .unwrap()
            .starts_with("req_mock_")
    );
    assert_eq!(error["retryable"], false);
    assert!(error["fix"].as_str().unwrap().contains("ANTHROPIC_API_KEY"));
    assert!(json.get("partial").is_none());
}

/// A timed-out `--json` ask: its JSON error object.
fn timed_out_json(world: &World) -> serde_json::Value {
    let run = ask(
        world,
        &["--json", "--max-retries", "0", "--timeout", "0.3", "hello"],
    );
    assert_eq!(run.code, 7);
    let json = json_line(&run.stdout);
    assert_eq!(json["error"]["category"], "timeout");
    json["error"].clone()
}

#[test]
fn json_failure_without_a_response_has_null_status() {
    let error = timed_out_json(&World::steps("hang"));
    assert!(error["http_status"].is_null());
    assert!(error["type"].is_null());
    assert_eq!(error["retryable"], true);
}

#[test]
fn json_failure_after_a_200_carries_the_status_that_arrived() {
    let world = World::steps("stall");
    assert_eq!(timed_out_json(&world)["http_status"], 200);
    assert_eq!(world.log_events("call")[0]["http_status"], 200);
}

#[test]
fn expect_json_retries_until_the_reply_parses() {
    let world = World::scripted(vec![
        fake_api::Step::Reply("Sure! Here you go: {\"a\":".into()),
        fake_api::Step::Reply("```json\n{\"answer\": 42}\n```".into()),
    ]);
    let run = ask(&world, &["--expect-json", "--json", "give json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(world.message_requests(), 2);
    let json = json_line(&run.stdout);
    assert_eq!(json["data"]["answer"], 42);
    assert_eq!(json["attempts"], 2);
    assert_eq!(
        world.log_events("attempt")[0]["category"],
        "output_validation"
    );
}

#[test]
fn expect_json_that_never_parses_exits_8() {
    let world = World::steps("reply=not json,reply=still not,reply=nope");
    let run = ask(
        &world,
        &["--expect-json", "--max-retries", "2", "give json"],
    );
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert_eq!(world.message_requests(), 3);
    assert!(
        run.stderr.contains("error: output_validation"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn choices_accept_one_of_the_list_case_insensitively() {
    let world = World::steps("reply=Maybe,reply= YES \n");
    let run = ask(&world, &["--choices", "yes,no", "is it?"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "yes\n");
    assert_eq!(world.message_requests(), 2);
}

#[test]
fn a_reply_cut_at_max_tokens_is_flagged() {
    let world = World::steps("ok");
    let run = ask(&world, &["--max-tokens", "3", "hello"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "Hello from the\n");
    assert!(
        run.stderr.contains("cut at --max-tokens 3"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--max-tokens 6"), "{}", run.stderr);
}

#[test]
fn a_deprecated_model_is_warned_about() {
    let world = World::steps("ok");
    let run = ask(&world, &["--model", "claude-sonnet-4-20250514", "hello"]);
    assert!(
        run.stderr
            .contains("claude-sonnet-4-20250514 was retired on 2026-06-15"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("use claude-sonnet-5-5"),
        "{}",
        run.stderr
    );
    let later = ask(&world, &["--model", "claude-opus-4-5", "hello"]);
    assert!(later.stderr.contains("2027-01-22"), "{}", later.stderr);
    assert!(later.stderr.contains("claude-opus-5-5"), "{}", later.stderr);
}

#[test]
fn the_model_comes_from_the_environment_unless_a_flag_says_otherwise() {
    let world = World::steps("ok");
    run(
        &world,
        world
            .ask(&["hi"])
            .env("ANTHROPIC_MODEL", "claude-haiku-4-5"),
    );
    run(
        &world,
        world
            .ask(&["--model", "claude-opus-4-6", "hi"])
            .env("ANTHROPIC_MODEL", "claude-haiku-4-5"),
    );
    let models: Vec<_> = world
        .server
        .message_requests()
        .iter()
        .map(|r| r.json().unwrap()["model"].clone())
        .collect();
    assert_eq!(models, vec!["claude-haiku-4-5", "claude-opus-4-6"]);
}

#[test]
fn the_log_has_a_line_per_failed_attempt_and_per_call() {
    let world = World::steps("529,ok");
    let run = ask(&world, &["hello"]);
    assert_eq!(run.code, 0);
    let log = world.log();
    assert_eq!(log.len(), 2);
    let attempt = &log[0];
    for field in [
        "ts",
        "command",
        "category",
        "http_status",
        "error_type",
        "message",
        "request_id",
        "attempt",
        "max_attempts",
        "retry_in_ms",
        "model",
        "elapsed_ms",
    ] {
        assert!(
            attempt.get(field).is_some(),
            "attempt line lacks {field}: {attempt}"
        );
    }
    assert_eq!(attempt["event"], "attempt");
    assert_eq!(attempt["command"], "ask");
    assert_eq!(attempt["category"], "overloaded");
    assert_eq!(attempt["http_status"], 529);
    assert_eq!(attempt["error_type"], "overloaded_error");
    assert_eq!(attempt["attempt"], 1);
    assert_eq!(attempt["max_attempts"], 5);
    assert!(attempt["ts"].as_str().unwrap().ends_with('Z'));
    let call = &log[1];
    assert_eq!(call["event"], "call");
    assert_eq!(call["outcome"], "success");
    assert_eq!(call["attempts"], 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(world.log_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn an_unwritable_log_is_a_warning_not_a_failure() {
    let world = World::steps("ok");
    let run = run(
        &world,
        world.ask(&["hello"]).env("CLAUDE_RS_LOG", world.dir.path()),
    );
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Hello"));
    assert!(
        run.stderr.contains("could not write the log"),
        "{}",
        run.stderr
    );
}

#[test]
fn log_file_flag_overrides_the_environment() {
    let world = World::steps("ok");
    let path = world.dir.path().join("flag.jsonl");
    let run = run(
        &world,
        world
            .claude()
            .args(["--log-file", path.to_str().unwrap(), "ask", "hi"]),
    );
    assert_eq!(run.code, 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    assert!(world.log().is_empty());
}

#[test]
fn fallback_text_is_printed_when_the_call_finally_fails() {
    let world = World::steps("500,500");
    let run = ask(
        &world,
        &[
            "--max-retries",
            "1",
            "--fallback",
            "Try again in a minute.",
            "hello",
        ],
    );
    assert_eq!(run.code, 6);
    assert_eq!(run.stdout, "Try again in a minute.\n");
    assert!(run.stderr.contains("error: api_error"), "{}", run.stderr);
    assert!(run.stderr.contains("req_mock_"), "{}", run.stderr);
    assert_eq!(world.log_events("call")[0]["outcome"], "api_error");
}

#[test]
fn the_fallback_cache_answers_an_identical_request_during_an_outage() {
    let world = World::steps("ok,529,529,529,529");
    let first = ask(&world, &["--fallback-cache", "hello"]);
    assert_eq!(first.code, 0);
    let second = ask(&world, &["--fallback-cache", "--max-retries", "1", "hello"]);
    assert_eq!(
        second.code, 6,
        "the failure is still reported: {}",
        second.stderr
    );
    assert_eq!(second.stdout, first.stdout);
    assert!(second.stderr.contains("cached reply"), "{}", second.stderr);
    let different = ask(
        &world,
        &["--fallback-cache", "--max-retries", "0", "another prompt"],
    );
    assert!(
        different.stdout.is_empty(),
        "only an identical request may be answered from the cache"
    );
}

#[test]
fn the_fallback_cache_is_not_used_for_permanent_failures() {
    let world = World::steps("ok,401");
    ask(&world, &["--fallback-cache", "hello"]);
    let run = ask(&world, &["--fallback-cache", "hello"]);
    assert_eq!(run.code, 3);
    assert!(run.stdout.is_empty());
}

#[test]
fn verbose_shows_metadata_but_never_the_key() {
    let world = World::steps("ok");
    let run = ask(&world, &["--verbose", "hello"]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("> POST"), "{}", run.stderr);
    assert!(
        run.stderr.contains("request-id: req_mock_"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("key …wxyz"), "{}", run.stderr);
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let world = World::steps("ok");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("claude-rs"))
        .env_clear()
        .env("ANTHROPIC_API_KEY", TEST_KEY)
        .env("ANTHROPIC_BASE_URL", world.server.base_url())
        .env("CLAUDE_RS_LOG", world.log_path())
        .env("CLAUDE_RS_CONFIG", world.config_path())
        .args(["ask", "--stream", "hello"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn mock_mode_needs_no_key_and_no_network() {
    let world = World::steps("ok");
    let run = run(
        &world,
        world
            .ask(&["--mock", "overloaded", "hello"])
            .env_remove("ANTHROPIC_API_KEY")
            .env("ANTHROPIC_BASE_URL", "http://192.0.2.1:9"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("You said: hello"));
    assert_eq!(
        run.stderr.matches("overloaded (HTTP 529)").count(),
        2,
        "{}",
        run.stderr
    );
    assert_eq!(
        world.message_requests(),
        0,
        "the built-in fake API answered, not the test's"
    );
}

#[test]
fn colour_only_when_asked_or_forced_and_never_under_no_color() {
    let world = World::steps("401,401,401,401");
    let plain = ask(&world, &["hello"]);
    assert!(
        !plain.stderr.contains('\u{1b}'),
        "stderr is not a terminal: no colour"
    );
    let always = ask(&world, &["--color", "always", "hello"]);
    assert!(always.stderr.contains("\u{1b}["), "{}", always.stderr);
    let forced = run(
        &world,
        world
            .ask(&["hello"])
            .env_remove("NO_COLOR")
            .env("CLICOLOR_FORCE", "1"),
    );
    assert!(forced.stderr.contains("\u{1b}["));
    let both = run(
        &world,
        world
            .ask(&["hello"])
            .env("NO_COLOR", "1")
            .env("CLICOLOR_FORCE", "1"),
    );
    assert!(!both.stderr.contains('\u{1b}'));
    assert!(!always.stdout.contains('\u{1b}') && always.stdout.is_empty());
}
