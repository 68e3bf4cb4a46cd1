//! `claude-rs explain`: every form of input it reads, what it says about each,
//! and exit 2 for what it cannot read. Offline: the fake API is only used to
//! produce a real log line.

use fake_api::MockConfig;
use serde_json::Value;

use crate::support::*;

fn world() -> World {
    World::new(MockConfig::default())
}

fn explain(world: &World, args: &[&str]) -> Run {
    let mut command = world.claude();
    command.arg("explain").args(args);
    run(world, &mut command)
}

fn explain_stdin(world: &World, args: &[&str], stdin: &str) -> Run {
    let mut command = world.claude();
    command
        .arg("explain")
        .args(args)
        .write_stdin(stdin.to_string());
    run(world, &mut command)
}

/// `explain --json` on words or stdin; it must succeed with one object.
fn explained(world: &World, words: &[&str], stdin: Option<&str>) -> Value {
    let mut args = vec!["--json"];
    args.extend_from_slice(words);
    let run = match stdin {
        Some(text) => explain_stdin(world, &args, text),
        None => explain(world, &args),
    };
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    json_line(&run.stdout)
}

fn assert_verdict(json: &Value, kind: &str, category: &str, exit_code: u64, retryable: bool) {
    assert_eq!(json["input_kind"], kind, "{json}");
    assert_eq!(json["category"], category, "{json}");
    assert_eq!(json["exit_code"], exit_code, "{json}");
    assert_eq!(json["retryable"], retryable, "{json}");
    let retry = json["retry"].as_str().unwrap();
    assert!(
        retry.starts_with(if retryable { "yes:" } else { "no:" }),
        "{retry}"
    );
    assert!(!json["meaning"].as_str().unwrap().is_empty());
    assert!(!json["fix"].as_str().unwrap().is_empty());
}

#[test]
fn every_category_name_is_explained_with_its_exit_code() {
    let world = world();
    let table = [
        ("invalid_request", 4, false),
        ("authentication", 3, false),
        ("billing", 3, false),
        ("permission", 3, false),
        ("not_found", 4, false),
        ("request_too_large", 4, false),
        ("conflict", 6, true),
        ("rate_limit", 5, true),
        ("api_error", 6, true),
        ("overloaded", 6, true),
        ("timeout", 7, true),
        ("connection", 7, true),
        ("invalid_response", 6, true),
        ("output_validation", 8, true),
    ];
    for (name, code, retryable) in table {
        let json = explained(&world, &[name], None);
        assert_verdict(&json, "category", name, code, retryable);
        assert_eq!(json["http_status"], Value::Null);
        assert_eq!(json["error_type"], Value::Null);
        assert_eq!(json["message"], Value::Null);
        assert_eq!(json["request_id"], Value::Null);
    }
}

#[test]
fn representative_statuses_map_to_their_categories() {
    let world = world();
    let table = [
        (400, "invalid_request", 4, false),
        (401, "authentication", 3, false),
        (402, "billing", 3, false),
        (403, "permission", 3, false),
        (404, "not_found", 4, false),
        (408, "timeout", 7, true),
        (409, "conflict", 6, true),
        (413, "request_too_large", 4, false),
        (429, "rate_limit", 5, true),
        (500, "api_error", 6, true),
        (502, "api_error", 6, true),
        (529, "overloaded", 6, true),
        (418, "invalid_request", 4, false),
        (599, "api_error", 6, true),
    ];
    for (status, category, code, retryable) in table {
        let json = explained(&world, &[&status.to_string()], None);
        assert_verdict(&json, "status", category, code, retryable);
        assert_eq!(json["http_status"], status);
    }
}

#[test]
fn the_retry_text_gives_the_categorys_waits() {
    let world = world();
    let rate_limit = explained(&world, &["429"], None);
    let retry = rate_limit["retry"].as_str().unwrap();
    assert!(retry.contains("waiting 2s, 4s, 8s, 16s"), "{retry}");
    assert!(retry.contains("retry-after"), "{retry}");
    let overloaded = explained(&world, &["overloaded"], None);
    assert!(
        overloaded["retry"]
            .as_str()
            .unwrap()
            .contains("waiting 3s, 6s, 12s, 24s"),
        "{overloaded}"
    );
    let auth = explained(&world, &["401"], None);
    assert!(
        auth["retry"]
            .as_str()
            .unwrap()
            .starts_with("no: claude-rs never retries this")
    );
}

#[test]
fn the_human_explanation_names_everything() {
    let world = world();
    let run = explain(&world, &["429"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("category:   rate_limit — requests are being sent faster"),
        "{out}"
    );
    assert!(out.contains("what:       HTTP 429"), "{out}");
    assert!(out.contains("retried:    yes: up to 4 retries"), "{out}");
    assert!(out.contains("fix:        Slow down"), "{out}");
    assert!(out.contains("exit code:  5 "), "{out}");
    assert!(
        out.contains("note:       Judged from the status alone"),
        "{out}"
    );
    assert!(run.stderr.is_empty());
    assert!(!out.contains('\u{1b}'), "stdout is never coloured");
}

#[test]
fn error_types_known_and_unknown() {
    let world = world();
    for (error_type, category, code) in [
        ("overloaded_error", "overloaded", 6),
        ("rate_limit_error", "rate_limit", 5),
        ("authentication_error", "authentication", 3),
        ("billing_error", "billing", 3),
        ("not_found_error", "not_found", 4),
        ("timeout_error", "timeout", 7),
    ] {
        let json = explained(&world, &[error_type], None);
        assert_eq!(json["input_kind"], "error_type");
        assert_eq!(json["category"], category);
        assert_eq!(json["error_type"], error_type);
        assert_eq!(json["exit_code"], code);
    }
    let json = explained(&world, &["brand_new_error"], None);
    assert_verdict(&json, "error_type", "api_error", 6, true);
    assert_eq!(json["error_type"], "brand_new_error");
    let run = explain(&world, &["brand_new_error"]);
    assert!(
        run.stdout.contains("claude-rs does not know"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_error_body_on_stdin() {
    let world = world();
    let body = r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CWbody"}"#;
    let json = explained(&world, &[], Some(body));
    assert_verdict(&json, "error_body", "authentication", 3, false);
    assert_eq!(json["http_status"], Value::Null);
    assert_eq!(json["error_type"], "authentication_error");
    assert_eq!(json["message"], "invalid x-api-key");
    assert_eq!(json["request_id"], "req_011CWbody");
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(body).unwrap()).unwrap();
    let again = explained(&world, &[], Some(&pretty));
    assert_eq!(
        again["category"], "authentication",
        "a pretty body spans lines"
    );
}

#[test]
fn a_spend_limit_body_is_billing_and_never_retried() {
    let world = world();
    let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified API usage limits.","details":{"error_code":"enforced_spend_limit_reached"}},"request_id":"req_spend"}"#;
    let json = explained(&world, &[], Some(body));
    assert_verdict(&json, "error_body", "billing", 3, false);
    assert_eq!(json["error_type"], "rate_limit_error");
    assert!(
        json["fix"].as_str().unwrap().contains("spend limit"),
        "{json}"
    );
    let sdk = "anthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'You have reached your specified API usage limits.', 'details': {'error_code': 'enforced_spend_limit_reached'}}, 'request_id': 'req_spend'}";
    let json = explained(&world, &[], Some(sdk));
    assert_verdict(&json, "sdk_exception", "billing", 3, false);
    assert_eq!(json["http_status"], 429);
}

#[test]
fn an_sse_error_block_on_stdin() {
    let world = world();
    let block = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":\"req_sse\"}\n\n";
    let json = explained(&world, &[], Some(block));
    assert_verdict(&json, "sse_event", "overloaded", 6, true);
    assert_eq!(json["http_status"], Value::Null);
    assert_eq!(json["message"], "Overloaded");
    assert_eq!(json["request_id"], "req_sse");
    let run = explain_stdin(&world, &[], "event: ping\ndata: {}\n\n");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no error event"), "{}", run.stderr);
}

#[test]
fn a_log_line_written_by_a_real_ask() {
    let world = World::steps("529");
    let failed = ask(&world, &["--max-retries", "0", "hello"]);
    assert_eq!(failed.code, 6, "{}", failed.stderr);
    let text = std::fs::read_to_string(world.log_path()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "one attempt line and one call line");
    let logged: Value = serde_json::from_str(lines[0]).unwrap();
    for line in &lines {
        let json = explained(&world, &[], Some(&format!("{line}\n")));
        assert_verdict(&json, "log_line", "overloaded", 6, true);
        assert_eq!(json["http_status"], 529);
        assert_eq!(json["error_type"], "overloaded_error");
        assert_eq!(json["message"], "Overloaded");
        assert_eq!(json["request_id"], logged["request_id"]);
    }
    let run = explain_stdin(&world, &[], lines[0]);
    assert!(
        run.stdout
            .contains("note:       In the log: attempt 1 of 1, and no retry followed it."),
        "{}",
        run.stdout
    );
}

#[test]
fn a_successful_log_line_has_nothing_to_explain() {
    let world = world();
    assert_eq!(ask(&world, &["hello"]).code, 0);
    let text = std::fs::read_to_string(world.log_path()).unwrap();
    let run = explain_stdin(&world, &[], &text);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("successful call"), "{}", run.stderr);
}

#[test]
fn python_sdk_exception_text() {
    let world = world();
    let text = "Traceback (most recent call last):\n  File \"app.py\", line 9, in <module>\nanthropic.RateLimitError: Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': \"Number of request tokens has exceeded your per-minute rate limit (it's 40,000)\"}, 'request_id': 'req_py'}\n";
    let json = explained(&world, &[], Some(text));
    assert_verdict(&json, "sdk_exception", "rate_limit", 5, true);
    assert_eq!(json["http_status"], 429);
    assert_eq!(json["error_type"], "rate_limit_error");
    assert_eq!(
        json["message"],
        "Number of request tokens has exceeded your per-minute rate limit (it's 40,000)"
    );
    assert_eq!(json["request_id"], "req_py");
    let json_body = "anthropic.InternalServerError: Error code: 529 - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";
    let json = explained(&world, &[], Some(json_body));
    assert_verdict(&json, "sdk_exception", "overloaded", 6, true);
    assert_eq!(json["http_status"], 529);
}

#[test]
fn typescript_sdk_exception_text() {
    let world = world();
    let text = "RateLimitError: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"},\"request_id\":\"req_ts\"}\n    at APIError.generate (node_modules/@anthropic-ai/sdk/error.js:61:20)\n";
    let json = explained(&world, &[], Some(text));
    assert_verdict(&json, "sdk_exception", "rate_limit", 5, true);
    assert_eq!(json["http_status"], 429);
    assert_eq!(json["request_id"], "req_ts");
    let bare =
        "500 {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Overloaded\"}}";
    let json = explained(&world, &[], Some(bare));
    assert_eq!(
        json["category"], "overloaded",
        "the core's body rules apply to SDK text too"
    );
}

#[test]
fn untrusted_text_is_sanitised_for_the_terminal() {
    let world = world();
    let body = "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"bad \\u001b]0;pwned\\u0007\"},\"request_id\":\"req_\\u001b[2J\"}";
    let run = explain_stdin(&world, &[], body);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains('\u{1b}'), "{}", run.stdout);
    assert!(run.stdout.contains("\\u{1b}]0;pwned"), "{}", run.stdout);
}

#[test]
fn input_it_cannot_read_exits_2_and_lists_the_forms() {
    let world = world();
    for (args, stdin) in [
        (vec!["garbage"], None),
        (vec!["200"], None),
        (vec!["--json", "hello", "world"], None),
        (vec![], Some("")),
        (vec![], Some("{\"type\":\"message\",\"content\":[]}")),
        (vec![], Some("{not json at all")),
        (vec!["--json"], Some("something went wrong at 3pm")),
    ] {
        let run = match stdin {
            Some(text) => explain_stdin(&world, &args, text),
            None => explain(&world, &args),
        };
        assert_eq!(run.code, 2, "{args:?} {stdin:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "nothing on stdout: {}", run.stdout);
        assert!(
            run.stderr.contains("error: cannot explain this input"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("an SSE block"), "{}", run.stderr);
        assert!(run.stderr.contains("Error code: 429"), "{}", run.stderr);
    }
}

/// The texts people paste most: other tools' quotes of an API error and what
/// claude-rs itself printed.
#[test]
fn explain_reads_errors_quoted_by_other_tools_and_by_claude_rs_itself() {
    let world = World::ok();
    let cases: [(&str, &str, &str); 7] = [
        (
            r#"API Error: 400 {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 203284 tokens > 200000 maximum"},"request_id":"req_011CV"}"#,
            "invalid_request",
            "req_011CV",
        ),
        (
            r#"POST "https://api.anthropic.com/v1/messages": 529 Overloaded (Request-ID: req_011CVabc) {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            "overloaded",
            "req_011CVabc",
        ),
        ("HTTP 529", "overloaded", "HTTP 529"),
        (
            "error: rate_limit — requests are being sent faster than the account's rate limit allows\n  what:       HTTP 429 rate_limit_error: Slow down\n  request id: req_ours",
            "rate_limit",
            "req_ours",
        ),
        (
            "overloaded (HTTP 529) · retry 2/4 in 3.1s · req_notice",
            "overloaded",
            "req_notice",
        ),
        (
            r#"{"custom_id":"q2","result":{"type":"errored","error":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_9","category":"overloaded","http_status":529,"retryable":true,"fix":"x","attempts":5}}}"#,
            "overloaded",
            "req_9",
        ),
        ("timeout_error", "timeout", "server"),
    ];
    for (pasted, category, shown) in cases {
        let mut command = world.claude();
        command.arg("explain").arg(pasted.replace("\\n", "\n"));
        let run = run(&world, &mut command);
        assert_eq!(run.code, 0, "{pasted}: {}", run.stderr);
        assert!(
            run.stdout.starts_with(&format!("category:   {category}")),
            "{pasted}: {}",
            run.stdout
        );
        assert!(run.stdout.contains(shown), "{pasted}: {}", run.stdout);
    }
}

#[test]
fn explain_refuses_two_statuses_at_once_rather_than_guessing() {
    let world = World::ok();
    let mut command = world.claude();
    command.args(["explain", "529", "429"]);
    let run = run(&world, &mut command);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("explain one at a time"),
        "{}",
        run.stderr
    );
}
