//! A 200 that is no answer: a refusal is its own failure (exit 8, never
//! retried, an errored item in a batch); a reply cut at max_tokens is never
//! retried as an output-validation failure; a full context window warns.

use crate::support::*;

#[test]
fn a_refusal_is_exit_8_with_its_reason_and_is_not_retried() {
    let world = World::steps("refusal");
    let run = ask(&world, &["hello"]);
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert_eq!(world.message_requests(), 1, "a refusal is not retried");
    assert!(run.stderr.contains("error: refusal"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the model refused (cyber): The request asks for working malware."),
        "{}",
        run.stderr
    );
    let calls = world.log_events("call");
    assert_eq!(calls[0]["outcome"], "refusal");
    assert_eq!(calls[0]["http_status"], 200);
}

#[test]
fn a_refusal_under_json_is_an_error_object_of_category_refusal() {
    let world = World::steps("refusal");
    let run = ask(&world, &["--json", "hello"]);
    assert_eq!(run.code, 8, "{}", run.stderr);
    let json = json_line(&run.stdout);
    assert_eq!(json["status"], "error");
    assert_eq!(json["error"]["category"], "refusal");
    assert_eq!(json["error"]["retryable"], false);
}

#[test]
fn a_refused_item_is_errored_in_a_batch_and_the_rest_go_on() {
    let world = World::steps("ok,refusal,ok");
    let input = world.file("in.txt", &prompts(3));
    let output = world.path("out.jsonl");
    let run = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--jobs", "1"]),
    );
    assert_eq!(run.code, 9, "{}", run.stderr);
    let results = read_results(&output);
    let refused: Vec<_> = results
        .iter()
        .filter(|r| r["result"]["type"] == "errored")
        .collect();
    assert_eq!(refused.len(), 1, "{results:?}");
    assert_eq!(refused[0]["result"]["error"]["category"], "refusal");
    assert_eq!(world.message_requests(), 3, "nothing retried");
}

#[test]
fn a_reply_cut_at_max_tokens_is_not_retried_as_invalid_json() {
    let world = World::ok();
    let run = ask(&world, &["--expect-json", "--max-tokens", "3", "hello"]);
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert_eq!(
        world.message_requests(),
        1,
        "the same request cannot do better"
    );
    assert!(run.stderr.contains("raise --max-tokens"), "{}", run.stderr);
    assert!(
        run.stderr.contains("stopped at max_tokens"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_full_context_window_is_a_success_with_a_warning_and_its_fix() {
    let world = World::steps("context-window");
    let run = ask(&world, &["hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("filled claude-sonnet-5-5's context window"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("shorten the prompt"), "{}", run.stderr);
}
