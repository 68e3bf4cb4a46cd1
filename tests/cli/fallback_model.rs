//! `--fallback-model`: one more call on another model after an overload or a
//! server error outlasted the retries; never for the key, the request or the
//! rate limit, never after reply text was printed.

use crate::support::*;

const MODEL: &str = "claude-sonnet-5-5";
const FALLBACK: &str = "claude-haiku-5-5";

/// A script with `STEP*N` copies, as `--mock` reads it.
fn script(text: &str) -> World {
    World::scripted(fake_api::parse_script(text).expect("a valid script"))
}

fn models_asked(world: &World) -> Vec<String> {
    world
        .message_bodies()
        .iter()
        .map(|body| body["model"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn an_overloaded_model_falls_back_once_and_says_so() {
    let world = script("529*5,ok");
    let run = ask(&world, &["--fallback-model", FALLBACK, "--json", "hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut expected = vec![MODEL.to_string(); 5];
    expected.push(FALLBACK.to_string());
    assert_eq!(models_asked(&world), expected);
    assert!(
        run.stderr.contains(&format!(
            "{MODEL}: overloaded (HTTP 529) after 5 attempts · trying {FALLBACK} once"
        )),
        "{}",
        run.stderr
    );
    let object = json_line(&run.stdout);
    assert_eq!(object["status"], "success");
    assert_eq!(object["model"], FALLBACK);
    assert_eq!(object["fallback_from"], MODEL);
    assert_eq!(object["attempts"], 6);
    let calls = world.log_events("call");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["outcome"], "success");
    assert_eq!(calls[0]["model"], FALLBACK);
    assert_eq!(calls[0]["fallback_from"], MODEL);
    assert_eq!(calls[0]["attempts"], 6);
    let attempts = world.log_events("attempt");
    assert_eq!(attempts.len(), 5);
    assert!(attempts.iter().all(|a| a["model"] == MODEL));
}

#[test]
fn a_call_without_a_fallback_keeps_its_lines_as_they_were() {
    let world = World::steps("529,ok");
    let run = ask(&world, &["--json", "hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(json_line(&run.stdout).get("fallback_from").is_none());
    assert!(world.log_events("call")[0].get("fallback_from").is_none());
}

#[test]
fn a_failing_fallback_is_the_failure_reported_with_its_exit_code() {
    // The model is overloaded; its fallback then refuses the key (exit 3).
    let world = script("529*5,401");
    let run = ask(&world, &["--fallback-model", FALLBACK, "--json", "hello"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(world.message_requests(), 6);
    let object = json_line(&run.stdout);
    assert_eq!(object["error"]["category"], "authentication");
    assert_eq!(object["model"], FALLBACK);
    assert_eq!(object["fallback_from"], MODEL);
    let call = &world.log_events("call")[0];
    assert_eq!(call["outcome"], "authentication");
    assert_eq!(call["model"], FALLBACK);
    assert_eq!(call["fallback_from"], MODEL);
}

#[test]
fn no_fallback_for_the_key_the_request_or_the_rate_limit() {
    for (step, code) in [("401", 3), ("403", 3), ("400", 4), ("429", 5)] {
        let world = World::steps(step);
        let run = ask(
            &world,
            &["--fallback-model", FALLBACK, "--max-retries", "0", "hello"],
        );
        assert_eq!(run.code, code, "{step}: {}", run.stderr);
        assert_eq!(models_asked(&world), [MODEL], "{step}");
        assert!(!run.stderr.contains("· trying"), "{step}: {}", run.stderr);
    }
}

#[test]
fn no_fallback_once_reply_text_was_printed() {
    let world = World::steps("sse-error,ok");
    let run = ask(&world, &["--fallback-model", FALLBACK, "--stream", "hello"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert_eq!(models_asked(&world), [MODEL]);
    assert!(!run.stderr.contains("· trying"), "{}", run.stderr);
}

#[test]
fn a_server_error_falls_back_too_and_the_config_file_can_name_the_fallback() {
    let world = script("500*2,ok");
    world.config(&format!("fallback_model = \"{FALLBACK}\"\n"));
    let run = ask(&world, &["--max-retries", "1", "--json", "hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(models_asked(&world), [MODEL, MODEL, FALLBACK]);
    assert_eq!(json_line(&run.stdout)["model"], FALLBACK);
}

#[test]
fn a_config_fallback_naming_the_model_itself_is_no_fallback_not_an_error() {
    // The file's fallback is a default for every command; one on that very
    // model runs without a fallback.
    let world = script("529*2");
    world.config(&format!("fallback_model = \"{MODEL}\"\n"));
    let run = ask(&world, &["--max-retries", "1", "hello"]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert_eq!(models_asked(&world), [MODEL, MODEL]);
    assert!(!run.stderr.contains("· trying"), "{}", run.stderr);
}

#[test]
fn the_fallback_must_be_another_model() {
    let world = World::ok();
    let run = ask(&world, &["--fallback-model", MODEL, "hello"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is the model itself"), "{}", run.stderr);
    let input = world.file("in.jsonl", "hi\n");
    let output = world.path("out.jsonl");
    let remote = run_batch(
        &world,
        &[
            "--remote",
            &input,
            "-o",
            &output,
            "--fallback-model",
            FALLBACK,
        ],
    );
    assert_eq!(remote.code, 2, "{}", remote.stderr);
    assert!(world.server.requests().is_empty());
}

fn run_batch(world: &World, args: &[&str]) -> Run {
    run(world, &mut world.batch(args))
}

#[test]
fn a_batch_item_falls_back_and_its_result_names_the_model() {
    let world = script("500*2,ok,ok");
    let input = world.file("in.jsonl", "first\nsecond\n");
    let output = world.path("out.jsonl");
    let run = run_batch(
        &world,
        &[
            &input,
            "-o",
            &output,
            "-j",
            "1",
            "--max-retries",
            "1",
            "--fallback-model",
            FALLBACK,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(models_asked(&world), [MODEL, MODEL, FALLBACK, MODEL]);
    let results = read_results(&output);
    assert_eq!(results[0]["result"]["message"]["model"], FALLBACK);
    assert_eq!(results[1]["result"]["message"]["model"], MODEL);
    let calls = world.log_events("call");
    assert_eq!(calls[0]["custom_id"], "1");
    assert_eq!(calls[0]["model"], FALLBACK);
    assert_eq!(calls[0]["fallback_from"], MODEL);
    assert!(calls[1].get("fallback_from").is_none());
}

#[test]
fn a_batch_item_overloaded_past_its_retries_falls_back() {
    // Overloads are otherwise waited out for free in a batch; with a
    // fallback they spend the item's retries.
    let world = script("529*3,ok");
    let input = world.file("in.jsonl", "first\n");
    let output = world.path("out.jsonl");
    let run = run_batch(
        &world,
        &[
            &input,
            "-o",
            &output,
            "--max-retries",
            "2",
            "--fallback-model",
            FALLBACK,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(models_asked(&world), [MODEL, MODEL, MODEL, FALLBACK]);
    let results = read_results(&output);
    assert_eq!(results[0]["result"]["message"]["model"], FALLBACK);
}
