//! The hostile matrix: a server that puts the key, or numbers and dates no
//! API sends, in fields the fake API never varies, tried against every
//! output path. The raw server (raw.rs) sends exactly what each test says.

use serde_json::{Value, json};

use crate::raw::*;
use crate::support::*;

/// Case-insensitive: a server may upper-case what it echoes.
fn assert_no_key(what: &str, text: &str) {
    assert!(
        !text
            .to_ascii_lowercase()
            .contains(&KEY_SECRET_PART.to_ascii_lowercase()),
        "the key leaked into {what}:\n{text}"
    );
}

/// `world`'s command pointed at the raw server instead of the fake API.
fn at(server: &RawServer, mut command: assert_cmd::Command) -> assert_cmd::Command {
    command.env("ANTHROPIC_BASE_URL", server.base_url());
    command
}

fn everything_written(world: &World, run: &Run) -> String {
    let log = std::fs::read_to_string(world.log_path()).unwrap_or_default();
    format!("{}\n{}\n{}", run.stdout, run.stderr, log)
}

/// The output modes of `ask` that show what the server said about a reply.
const ASK_MODES: [&[&str]; 7] = [
    &[],
    &["--json"],
    &["--json", "--stream"],
    &["--verbose", "--usage"],
    &["--stream", "--verbose", "--usage"],
    &["--raw", "--verbose"],
    &["--no-stream", "--usage", "--verbose"],
];

#[test]
fn a_key_in_any_metadata_of_a_success_reaches_no_output() {
    let message = message(json!({
        "id": format!("msg_{TEST_KEY}"),
        "model": format!("claude-{TEST_KEY}"),
        "stop_reason": format!("end_{TEST_KEY}"),
        "stop_sequence": TEST_KEY,
        "usage": {"input_tokens": 10, "output_tokens": 5, "service_tier": TEST_KEY},
    }));
    let headers = vec![
        ("request-id".to_string(), format!("req_{TEST_KEY}")),
        (
            "anthropic-ratelimit-requests-remaining".to_string(),
            TEST_KEY.to_string(),
        ),
        (
            "anthropic-ratelimit-tokens-reset".to_string(),
            TEST_KEY.to_ascii_uppercase(),
        ),
        ("x-echo".to_string(), TEST_KEY.to_string()),
    ];
    let server = RawServer::start(answering(message, headers));
    for (mode, world, run) in ask_in_every_mode(&server) {
        assert_eq!(run.code, 0, "{mode:?}: {}", run.stderr);
        assert!(run.stdout.contains("hello"), "{mode:?}: {}", run.stdout);
        assert_no_key(&format!("{mode:?}"), &everything_written(&world, &run));
    }
}

/// `ask hi` in each of ASK_MODES against `server`, each in a world of its own.
fn ask_in_every_mode(server: &RawServer) -> Vec<(&'static [&'static str], World, Run)> {
    ASK_MODES
        .iter()
        .map(|mode| {
            let world = World::ok();
            let mut args = mode.to_vec();
            args.push("hi");
            let run = run(&world, &mut at(server, world.ask(&args)));
            (*mode, world, run)
        })
        .collect()
}

#[test]
fn a_success_json_keeps_the_masked_metadata_it_quotes() {
    let message = message(json!({"model": format!("claude-{TEST_KEY}")}));
    let server = RawServer::start(answering(message, vec![]));
    let world = World::ok();
    let run = run(&world, &mut at(&server, world.ask(&["--json", "hi"])));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = json_line(&run.stdout);
    assert_eq!(json["model"], "claude-…wxyz");
    assert_eq!(json["data"], "hello");
}

/// The key as a server might write it inside JSON: verbatim, shouted, with
/// its dashes JSON-escaped, or percent-encoded.
fn key_forms() -> Vec<String> {
    vec![
        TEST_KEY.to_string(),
        TEST_KEY.to_ascii_uppercase(),
        TEST_KEY.replace('-', "\\u002d"),
        TEST_KEY.replace('-', "%2D"),
    ]
}

/// A batch object with the key (in `form`) in every field that is text.
/// `form` is spliced into the JSON text, so escapes stay escapes on the wire.
fn batch_with_key(form: &str) -> String {
    format!(
        r#"{{"id":"msgbatch_{form}","type":"message_batch","processing_status":"ended_{form}","request_counts":{{"processing":0,"succeeded":1,"errored":0,"canceled":0,"expired":0}},"ended_at":"2025-01-01T00:00:00Z","created_at":"{form}","expires_at":"2025-01-02T00:00:00Z","cancel_initiated_at":null,"archived_at":null,"results_url":"https://example.invalid/results?k={form}"}}"#
    )
}

#[test]
fn a_key_in_any_field_of_a_batch_object_is_masked_in_status_list_and_cancel() {
    for form in key_forms() {
        let batch = batch_with_key(&form);
        let list = format!(
            r#"{{"data":[{batch}],"has_more":false,"first_id":"{form}","last_id":"{form}"}}"#
        );
        let echoed = form.clone();
        let server = RawServer::start(move |seen| {
            let body = match seen.path.starts_with("/v1/messages/batches?") {
                true => list.clone(),
                false => batch.clone(),
            };
            let request_id = format!("req_{echoed}");
            response(
                "200 OK",
                &[
                    ("content-type", "application/json"),
                    ("request-id", &request_id),
                ],
                body.as_bytes(),
            )
        });
        for args in [
            &["--status", "msgbatch_1"][..],
            &["--status", "msgbatch_1", "--json"],
            &["--list"],
            &["--list", "--json"],
            &["--cancel", "msgbatch_1"],
            &["--cancel", "msgbatch_1", "--json"],
        ] {
            let world = World::ok();
            let run = run(&world, &mut at(&server, world.batch(args)));
            assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
            assert!(run.stdout.contains("…"), "{args:?}: {}", run.stdout);
            assert_no_key(
                &format!("{args:?} {form}"),
                &everything_written(&world, &run),
            );
            if args.contains(&"--json") {
                let json: Value = serde_json::from_str(run.stdout.trim()).expect("JSON");
                assert!(json.is_object(), "{}", run.stdout);
            }
        }
    }
}

/// Usage counters at the top of u64, as a broken server might send them.
fn enormous_usage() -> Value {
    json!({
        "input_tokens": u64::MAX,
        "output_tokens": u64::MAX,
        "cache_read_input_tokens": u64::MAX,
        "cache_creation_input_tokens": u64::MAX,
    })
}

#[test]
fn enormous_token_counts_are_shown_not_a_crash_in_every_mode() {
    let server = RawServer::start(answering(
        message(json!({"usage": enormous_usage()})),
        vec![],
    ));
    for (mode, world, run) in ask_in_every_mode(&server) {
        assert_eq!(run.code, 0, "{mode:?}: {}", run.stderr);
        if mode.contains(&"--usage") {
            assert!(
                run.stderr.contains(&format!(
                    "usage: {} input + {} output tokens",
                    u64::MAX,
                    u64::MAX
                )),
                "{mode:?}: {}",
                run.stderr
            );
        }
        let calls = world.log_events("call");
        assert_eq!(calls.len(), 1, "{mode:?}");
        assert_eq!(calls[0]["output_tokens"], u64::MAX, "{mode:?}");
    }
}

#[test]
fn enormous_token_counts_are_summed_in_a_batch_without_a_crash() {
    let server = RawServer::start(answering(
        message(json!({"usage": enormous_usage()})),
        vec![],
    ));
    let world = World::ok();
    let input = world.file("in.txt", &prompts(3));
    let output = world.path("out.jsonl");
    let run = run(
        &world,
        &mut at(&server, world.batch(&[&input, "-o", &output])),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_all_succeeded_once(&read_results(&output), 3);
    assert!(run.stderr.contains(&u64::MAX.to_string()), "{}", run.stderr);
}

#[test]
fn a_token_count_that_is_not_a_count_is_dropped_not_written_twice() {
    let mut events = message_events(&message(json!({})));
    let delta = events
        .iter_mut()
        .find(|(name, _)| *name == "message_delta")
        .unwrap();
    delta.1["usage"] = json!({"output_tokens": -3, "input_tokens": 1.5});
    let body = sse_body(&events);
    let server = RawServer::start(move |_| {
        response("200 OK", &[("content-type", "text/event-stream")], &body)
    });
    let world = World::ok();
    let input = world.file("in.txt", "one\n");
    let output = world.path("out.jsonl");
    let run = run(
        &world,
        &mut at(&server, world.batch(&[&input, "-o", &output])),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&output).unwrap();
    assert_eq!(text.matches("\"output_tokens\"").count(), 1, "{text}");
    assert_eq!(
        read_results(&output)[0]["result"]["message"]["usage"]["output_tokens"],
        5
    );
}

/// A Message Batches API whose one batch has ended with `results` (JSONL),
/// its batch object carrying `fields` over the usual ones.
fn batches_api(results: String, fields: Value) -> RawServer {
    RawServer::start(move |seen| {
        let host = seen.header("host").unwrap_or("127.0.0.1").to_string();
        if seen.path.contains("/results") {
            return response(
                "200 OK",
                &[("content-type", "application/binary")],
                results.as_bytes(),
            );
        }
        let mut batch = json!({
            "id": "msgbatch_1", "type": "message_batch", "processing_status": "ended",
            "request_counts": {"processing": 0, "succeeded": 2, "errored": 0, "canceled": 0, "expired": 0},
            "ended_at": "2025-01-01T00:00:00Z", "created_at": "2025-01-01T00:00:00Z",
            "expires_at": "2025-01-02T00:00:00Z", "cancel_initiated_at": null, "archived_at": null,
            "results_url": format!("http://{host}/v1/messages/batches/msgbatch_1/results"),
        });
        if let (Some(batch), Some(fields)) = (batch.as_object_mut(), fields.as_object()) {
            for (key, value) in fields {
                batch.insert(key.clone(), value.clone());
            }
        }
        let body = match seen.path.starts_with("/v1/messages/batches?") {
            true => json!({"data": [batch], "has_more": false, "first_id": "a", "last_id": "a"}),
            false => batch,
        };
        json_response("200 OK", &[("request-id", "req_1")], &body)
    })
}

#[test]
fn a_key_in_a_remote_results_message_is_masked_and_its_content_kept_exact() {
    for form in key_forms() {
        let line = |id: &str, text: &str| {
            format!(
                r#"{{"custom_id":"{id}","result":{{"type":"succeeded","message":{{"id":"msg_{form}","type":"message","role":"assistant","model":"{form}","content":[{{"type":"text","text":"{text}"}}],"stop_reason":"{form}","stop_sequence":null,"usage":{{"input_tokens":1,"output_tokens":1}}}}}}}}"#
            )
        };
        let results = format!("{}\n{}\n", line("1", "one"), line("2", "two"));
        let server = batches_api(results, json!({}));
        let world = World::ok();
        let input = world.file("in.txt", "first\nsecond\n");
        let output = world.path("out.jsonl");
        let run = run(
            &world,
            &mut at(&server, world.batch(&["--remote", &input, "-o", &output])),
        );
        assert_eq!(run.code, 0, "{form}: {}", run.stderr);
        let written = std::fs::read_to_string(&output).unwrap();
        assert_no_key(&format!("OUTPUT ({form})"), &written);
        let results = read_results(&output);
        assert_all_succeeded_once(&results, 2);
        assert_eq!(results[0]["result"]["message"]["content"][0]["text"], "one");
        assert!(
            results[0]["result"]["message"]["model"]
                .as_str()
                .unwrap()
                .ends_with("…wxyz")
                || results[0]["result"]["message"]["model"]
                    .as_str()
                    .unwrap()
                    .ends_with("…WXYZ"),
            "{written}"
        );
    }
}

#[test]
fn a_remote_result_line_without_a_key_is_written_as_it_came() {
    let line = r#"{"custom_id":"1", "result": {"type":"succeeded","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"one"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}}"#;
    let server = batches_api(format!("{line}\n"), json!({}));
    let world = World::ok();
    let input = world.file("in.txt", "first\n");
    let output = world.path("out.jsonl");
    let run = run(
        &world,
        &mut at(&server, world.batch(&["--remote", &input, "-o", &output])),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        format!("{line}\n")
    );
}

#[test]
fn a_key_pasted_into_api_key_cmd_among_shell_punctuation_is_never_echoed() {
    // Not an Anthropic key's shape: only its being in the command hides it.
    let pasted = "gw-PASTEDPASTEDPASTED-42aa";
    for command in [
        format!("echo {pasted}; exit 3"),
        format!("test -n $({pasted})"),
        format!("printf %s {pasted}|false"),
    ] {
        let world = World::ok();
        world.config(&format!("api_key_cmd = \"{command}\"\n"));
        for args in [
            &["ask", "hello"][..],
            &["ask", "--json", "hello"],
            &["config", "show"],
            &["config", "show", "--json"],
            &["doctor", "--json"],
        ] {
            let mut cmd = world.claude();
            cmd.env_remove("ANTHROPIC_API_KEY").args(args);
            let run = run(&world, &mut cmd);
            let written = everything_written(&world, &run);
            assert!(
                !written.contains("PASTEDPASTED"),
                "{command} {args:?}:\n{written}"
            );
        }
        assert_eq!(world.message_requests(), 0, "{command}");
    }
}

/// A named pipe in the test's directory, with nothing reading or writing it.
#[cfg(unix)]
fn fifo(world: &World, name: &str) -> String {
    let path = world.path(name);
    let made = std::process::Command::new("mkfifo").arg(&path).status();
    assert!(made.expect("mkfifo runs").success());
    path
}

#[cfg(unix)]
#[test]
fn a_config_file_that_is_a_fifo_is_a_usage_error_not_a_hang() {
    let world = World::ok();
    let pipe = fifo(&world, "config.fifo");
    let run = run(&world, world.ask(&["hello"]).env("CLAUDE_RS_CONFIG", &pipe));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("FIFO"), "{}", run.stderr);
    assert_eq!(world.message_requests(), 0);
}

#[cfg(unix)]
#[test]
fn a_log_file_that_is_a_fifo_nobody_reads_is_a_warning_not_a_hang() {
    let world = World::ok();
    let pipe = fifo(&world, "log.fifo");
    for args in [&["ask", "hello"][..], &["doctor", "--json"]] {
        let run = run(
            &world,
            world.claude().env("CLAUDE_RS_LOG", &pipe).args(args),
        );
        assert!(
            run.stderr
                .contains("FIFO (named pipe) that no program is reading")
                || run
                    .stdout
                    .contains("FIFO (named pipe) that no program is reading"),
            "{args:?}: {}\n{}",
            run.stdout,
            run.stderr
        );
        if args[0] == "ask" {
            assert_eq!(run.code, 0, "{}", run.stderr);
            assert!(run.stdout.contains("You said: hello"), "{}", run.stdout);
        }
    }
}

#[cfg(unix)]
#[test]
fn a_log_file_that_is_a_fifo_with_a_reader_gets_the_line() {
    let world = World::ok();
    let pipe = fifo(&world, "log.fifo");
    let reader = std::thread::spawn({
        let pipe = pipe.clone();
        move || std::fs::read_to_string(pipe).expect("the FIFO is read")
    });
    // The reader is in open() until a writer comes; no way to wait for that
    // from here but to retry: a line lost to an early writer is written again.
    let mut run_code = None;
    for _ in 0..50 {
        let run = run(
            &world,
            world
                .claude()
                .env("CLAUDE_RS_LOG", &pipe)
                .args(["ask", "hello"]),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        if !run.stderr.contains("FIFO") {
            run_code = Some(run.code);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(run_code, Some(0), "the log never reached the reader");
    let read = reader.join().unwrap();
    assert!(read.contains(r#""event":"call""#), "{read}");
}

#[cfg(unix)]
#[test]
fn a_batch_output_that_is_a_fifo_is_refused_before_anything_is_sent() {
    let world = World::ok();
    let pipe = fifo(&world, "out.fifo");
    let input = world.file("in.txt", &prompts(2));
    let run = run(&world, &mut world.batch(&[&input, "-o", &pipe]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("OUTPUT") && run.stderr.contains("FIFO"),
        "{}",
        run.stderr
    );
    assert_eq!(world.message_requests(), 0);
}

#[test]
fn explain_quotes_an_endless_word_on_stdin_clipped_to_a_line() {
    let world = World::ok();
    for word in ["a".repeat(4 * 1024 * 1024), "9".repeat(4 * 1024 * 1024)] {
        for json in [false, true] {
            let mut command = world.claude();
            command.arg("explain");
            if json {
                command.arg("--json");
            }
            command.write_stdin(word.clone());
            let run = run(&world, &mut command);
            assert_eq!(run.code, 2, "{}", &run.stderr[..200.min(run.stderr.len())]);
            assert!(
                run.stderr.len() < 2000,
                "{} bytes of stderr",
                run.stderr.len()
            );
            // Explain reads a bounded part of stdin; the count is of that.
            assert!(run.stderr.contains("… (1048576 bytes)"), "{}", run.stderr);
        }
    }
}

#[test]
fn config_show_with_a_huge_value_prints_it_once_not_as_padding_on_every_row() {
    let world = World::ok();
    let huge = "a".repeat(500_000);
    world.config(&format!("model = \"{huge}\"\n"));
    let mut command = world.claude();
    command.args(["config", "show"]);
    let run = run(&world, &mut command);
    // The value is shown (it is the user's own), and the rows stay lines.
    assert!(run.stdout.contains(&huge));
    assert!(
        run.stdout.len() < 2 * huge.len(),
        "{} bytes",
        run.stdout.len()
    );
    let timeout = run
        .stdout
        .lines()
        .find(|l| l.starts_with("timeout "))
        .unwrap();
    assert!(timeout.len() < 200, "{} bytes", timeout.len());
}

/// A 404 for the model, and `ids` as the models list.
fn listing(ids: Vec<String>) -> RawServer {
    let list = json!({"data": ids.iter().map(|id| json!({"id": id, "type": "model"})).collect::<Vec<_>>(), "has_more": false});
    RawServer::start(move |seen| {
        if seen.path.starts_with("/v1/models") {
            return json_response("200 OK", &[], &list);
        }
        json_response(
            "404 Not Found",
            &[("request-id", "req_1")],
            &json!({"type": "error", "error": {"type": "not_found_error", "message": "model: claude-sonet-4-6"}}),
        )
    })
}

#[test]
fn a_hostile_models_list_gives_a_short_did_you_mean() {
    let cases = [
        vec!["claude-sonnet-4-6".to_string() + &"x".repeat(3_000_000)],
        (0..50_000).map(|n| format!("claude-model-{n}")).collect(),
        vec![
            "claude-sonnet-4-6\u{1b}]0;pwned\u{7}".to_string(),
            "claude-sonnet-4-5".to_string(),
        ],
    ];
    for ids in cases {
        let server = listing(ids);
        for json in [false, true] {
            let world = World::ok();
            let mut args = vec!["-m", "claude-sonet-4-6", "hello"];
            if json {
                args.insert(0, "--json");
            }
            let run = run(&world, &mut at(&server, world.ask(&args)));
            assert_eq!(run.code, 4, "{}", &run.stderr[..run.stderr.len().min(300)]);
            let shown = run.stdout.len() + run.stderr.len();
            assert!(shown < 4000, "{shown} bytes shown");
            assert!(!run.stderr.contains('\u{1b}') && !run.stdout.contains("pwned"));
        }
    }
}

#[test]
fn a_key_echoed_cut_short_or_split_shows_nothing_but_its_own_end() {
    let (head, tail) = TEST_KEY.split_at(24);
    let cut = &TEST_KEY[..30];
    let body = json!({"type": "error", "error": {"type": "authentication_error",
        "message": format!("invalid x-api-key: {head}\n{tail} (was {cut}…)")}});
    let server = RawServer::start(move |_| {
        json_response(
            "401 Unauthorized",
            &[("request-id", &format!("req_{cut}")), ("x-echo", cut)],
            &body,
        )
    });
    for args in [&["--verbose", "hello"][..], &["--json", "hello"]] {
        let world = World::ok();
        let run = run(&world, &mut at(&server, world.ask(args)));
        assert_eq!(run.code, 3, "{}", run.stderr);
        let written = everything_written(&world, &run);
        // No four characters from inside the key: only its last four.
        for window in TEST_KEY.as_bytes()[..TEST_KEY.len() - 4].windows(4) {
            let piece = std::str::from_utf8(window).unwrap();
            if piece.chars().all(|c| c.is_ascii_alphanumeric()) && !"wxyz".contains(piece) {
                assert!(
                    !written.contains(piece),
                    "{args:?}: {piece} shown:\n{written}"
                );
            }
        }
    }
}
