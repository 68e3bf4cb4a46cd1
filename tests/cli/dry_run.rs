//! `--dry-run`: exactly what would be sent (compared with what a real run
//! sends), the key masked, nothing sent, OUTPUT untouched.

use std::collections::BTreeMap;

use crate::support::*;

/// The head and body of a dry run's printed request: `METHOD URL`, headers,
/// a blank line, the body.
fn printed_request(stdout: &str) -> (String, BTreeMap<String, String>, String) {
    let (head, body) = stdout
        .split_once("\n\n")
        .expect("a blank line after the headers");
    let mut lines = head.lines();
    let start = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(": ").expect("name: value");
            (name.to_string(), value.to_string())
        })
        .collect();
    (
        start,
        headers,
        body.strip_suffix('\n').unwrap_or(body).to_string(),
    )
}

#[test]
fn ask_prints_the_request_a_real_run_sends_and_sends_nothing() {
    let world = World::ok();
    let args = ["--system", "be brief", "--max-tokens", "77", "hello there"];
    let dry = run(&world, world.ask(&args).arg("--dry-run"));
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        world.server.requests().is_empty(),
        "a dry run sent a request"
    );
    assert!(!dry.stdout.contains(TEST_KEY) && !dry.stderr.contains(TEST_KEY));
    assert_eq!(dry.stderr, "dry run: nothing was sent\n");
    let (start, headers, body) = printed_request(&dry.stdout);
    let base = world.server.base_url();
    assert_eq!(start, format!("POST {base}/v1/messages"));
    assert_eq!(
        headers["x-api-key"],
        "…wxyz (masked; from env ANTHROPIC_API_KEY)"
    );

    // The same request, sent for real: every header and the body's bytes.
    assert_eq!(ask(&world, &args).code, 0);
    let sent = &world.server.message_requests()[0];
    assert_eq!(body.as_bytes(), &sent.body[..]);
    let mut received: BTreeMap<String, String> = sent.headers.iter().cloned().collect();
    assert_eq!(received.remove("x-api-key").as_deref(), Some(TEST_KEY));
    let mut shown = headers.clone();
    shown.remove("x-api-key");
    assert_eq!(shown, received);
}

#[test]
fn ask_json_holds_the_same_request_in_one_object() {
    let world = World::ok();
    let dry = ask(&world, &["--dry-run", "--json", "hello"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let object = json_line(&dry.stdout);
    assert_eq!(object["status"], "dry_run");
    assert_eq!(object["method"], "POST");
    assert_eq!(object["headers"]["anthropic-version"], "2023-06-01");
    assert_eq!(ask(&world, &["hello"]).code, 0);
    let sent = &world.server.message_requests()[0];
    assert_eq!(
        object["body"].as_str().map(str::as_bytes),
        Some(&sent.body[..])
    );
}

#[test]
fn without_a_key_a_dry_run_says_where_one_would_come_from() {
    let world = World::ok();
    let dry = run(
        &world,
        world
            .ask(&["--dry-run", "hi"])
            .env_remove("ANTHROPIC_API_KEY"),
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains(
            "x-api-key: (none: no key is set; it would come from ANTHROPIC_API_KEY, else api_key_cmd or api_key in the config file)"
        ),
        "{}",
        dry.stdout
    );
    assert!(world.server.requests().is_empty());
}

#[test]
fn bad_input_is_still_refused_in_a_dry_run() {
    let world = World::ok();
    let refused = ask(&world, &["--dry-run", "--temperature", "3", "hi"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let input = world.file(
        "in.jsonl",
        "{\"custom_id\":\"a\",\"prompt\":\"x\"}\n{broken\n",
    );
    let refused = run(&world, &mut world.batch(&[&input, "--dry-run"]));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("line 2"), "{}", refused.stderr);
    assert!(world.server.requests().is_empty());
}

#[test]
fn a_batch_dry_run_prints_the_plan_and_leaves_output_alone() {
    let world = World::ok();
    let input = world.file("in.jsonl", "first\nsecond one\nthird\n");
    let output = world.path("out.jsonl");
    let dry = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--dry-run", "--rpm", "60", "-j", "2"]),
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(world.server.requests().is_empty());
    assert!(
        !std::path::Path::new(&output).exists(),
        "OUTPUT was created"
    );
    let lines: Vec<&str> = dry.stdout.lines().collect();
    assert_eq!(lines[0], format!("items: 3 to send from {input}"));
    for expected in [
        format!("output: {output} (created)"),
        "workers: 2".to_string(),
        "pace: rpm 60, tpm learned from the API's headers, headroom 10%".to_string(),
        // 3 requests at 54 a minute.
        "eta: 3s at that pace".to_string(),
        // "first" 5 + "second one" 10 + "third" 5 characters: 2 + 3 + 2 tokens.
        "input tokens: ≈ 7 (4 characters a token)".to_string(),
        "first request: custom_id \"1\"".to_string(),
    ] {
        assert!(
            lines.contains(&expected.as_str()),
            "{expected}\n{}",
            dry.stdout
        );
    }
    assert!(
        dry.stdout
            .contains(&format!("POST {}/v1/messages\n", world.server.base_url())),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.ends_with(
        "\n{\"max_tokens\":4096,\"messages\":[{\"content\":\"first\",\"role\":\"user\"}],\"model\":\"claude-sonnet-5-5\",\"stream\":true}\n"
    ));
}

#[test]
fn a_batch_dry_run_counts_what_output_holds_without_locking_or_changing_it() {
    let world = World::ok();
    let input = world.file("in.jsonl", "first\n");
    let output = world.path("out.jsonl");
    assert_eq!(
        run(&world, &mut world.batch(&[&input, "-o", &output])).code,
        0
    );
    let input = world.file("in.jsonl", "first\nsecond\nthird\n");
    let before = std::fs::read(&output).unwrap();
    // Another run holds OUTPUT: a dry run only reads it.
    let held = std::fs::File::open(&output).unwrap();
    held.lock().unwrap();
    let dry = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--dry-run"]),
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(std::fs::read(&output).unwrap(), before);
    assert_eq!(world.message_requests(), 1, "only the first run's request");
    assert!(dry.stdout.contains("items: 2 to send"), "{}", dry.stdout);
    assert!(
        dry.stdout.contains(&format!(
            "skipped: 1 already in {output} (1 succeeded, 0 errored)"
        )),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("first request: custom_id \"2\""));
    assert!(dry.stdout.contains("eta: unknown: the pace is learned"));
}

#[test]
fn a_remote_dry_run_shows_the_create_call_and_sends_nothing() {
    let world = World::ok();
    let input = world.file("in.jsonl", "{\"custom_id\":\"a\",\"prompt\":\"hi\"}\n");
    let output = world.path("out.jsonl");
    let dry = run(
        &world,
        &mut world.batch(&["--remote", &input, "-o", &output, "--dry-run"]),
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(world.server.requests().is_empty());
    assert!(!std::path::Path::new(&output).exists());
    assert!(!std::path::Path::new(&format!("{output}.batches")).exists());
    let base = world.server.base_url();
    assert!(
        dry.stdout
            .contains(&format!("POST {base}/v1/messages/batches\n")),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("mode: Message Batches API (--remote): 1 batch(es)")
    );
    assert!(dry.stdout.ends_with(
        "\n{\"requests\":[{\"custom_id\":\"a\",\"params\":{\"max_tokens\":4096,\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],\"model\":\"claude-sonnet-5-5\"}}]}\n"
    ), "{}", dry.stdout);
}

#[test]
fn a_dry_run_refuses_what_the_run_would_refuse_and_counts_batches_still_out() {
    let world = World::ok();
    let input = world.file("in.txt", "one\ntwo\nthree\n");
    let output = world.path("out.jsonl");
    let state = "{\"event\":\"submitted\",\"ts\":\"2026-11-26T01:57:56.201Z\",\"batch_id\":\"msgbatch_1\",\"created_at\":\"2026-11-26T01:57:56Z\",\"requests\":2,\"custom_ids\":[\"1\",\"2\"]}\n";
    let state_path = world.file("out.jsonl.batches", state);
    let local = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--dry-run"]),
    );
    assert_eq!(local.code, 2, "{}", local.stderr);
    assert!(
        local.stderr.contains("not downloaded yet"),
        "{}",
        local.stderr
    );
    let remote = run(
        &world,
        &mut world.batch(&["--remote", &input, "-o", &output, "--dry-run"]),
    );
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    assert!(
        remote.stdout.contains(
            "pending: 1 Message Batches of an earlier run are followed first; their items are not sent again"
        ),
        "{}",
        remote.stdout
    );
    assert!(world.server.requests().is_empty());
    assert_eq!(std::fs::read_to_string(&state_path).unwrap(), state);
    assert!(!std::path::Path::new(&output).exists());
}

#[test]
fn a_dry_run_shows_the_schema_as_the_request_would_carry_it() {
    let world = World::ok();
    let schema = r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#;
    let args = ["--schema", schema, "Which city?"];
    // Nothing known of the model yet, and a dry run asks nothing: the schema
    // is shown in the system prompt, and stderr says why.
    let dry = run(&world, world.ask(&args).arg("--dry-run"));
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        world.server.requests().is_empty(),
        "a dry run sent a request"
    );
    assert!(dry.stderr.contains("not known offline"), "{}", dry.stderr);
    let (_, _, body) = printed_request(&dry.stdout);
    assert!(
        body.contains(r#""system":"Reply with only a JSON value"#),
        "{body}"
    );
    assert!(!body.contains("output_config"), "{body}");

    // A real run asks the Models API (and keeps its answer): the dry run then
    // shows the very request that run sent, structured outputs and all.
    assert_eq!(ask(&world, &args).code, 0);
    let sent = world.server.message_requests()[0].body.clone();
    let requests = world.server.requests().len();
    let dry = run(&world, world.ask(&args).arg("--dry-run"));
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert_eq!(world.server.requests().len(), requests);
    let (_, _, body) = printed_request(&dry.stdout);
    assert!(body.contains(r#""output_config""#), "{body}");
    assert_eq!(body.as_bytes(), &sent[..]);
}
