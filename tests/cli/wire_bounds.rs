//! What the wire may send that no well-behaved API does: a body left open
//! after `message_stop`, other line endings, lines, bodies and headers past
//! every bound, pages instead of JSON. Each is delivered or refused clearly,
//! with the status that arrived.

use crate::support::*;

const ECHO: &str = "Hello from the claude-rs fake API. You said: hello\n";

/// `ask hello` with no retries and a stall timeout far longer than any test
/// runs: a run that waited for it would hang the suite, not pass.
fn ask_once(world: &World, extra: &[&str]) -> Run {
    let mut args = vec!["--max-retries", "0", "--timeout", "600"];
    args.extend_from_slice(extra);
    args.push("hello");
    ask(world, &args)
}

fn assert_stderr_says(run: &Run, text: &str) {
    assert!(run.stderr.contains(text), "{}", run.stderr);
}

fn assert_invalid_response(world: &World, run: &Run, bound: &str) {
    assert_eq!(run.code, 6, "stderr:\n{}", run.stderr);
    assert_stderr_says(run, "error: invalid_response");
    assert_stderr_says(run, bound);
    let calls = world.log_events("call");
    assert_eq!(calls[0]["outcome"], "invalid_response");
    assert!(calls[0]["message"].as_str().unwrap().contains(bound));
}

#[test]
fn a_reply_whole_at_message_stop_is_delivered_though_the_body_stays_open() {
    let world = World::steps("sse-hold");
    let run = ask_once(&world, &[]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    assert_eq!(run.stdout, ECHO);
    assert_eq!(world.message_requests(), 1);
    assert_eq!(world.log_events("call")[0]["outcome"], "success");
}

#[test]
fn a_held_open_reply_is_one_json_success() {
    let world = World::steps("sse-hold");
    let run = ask_once(&world, &["--json"]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let json = json_line(&run.stdout);
    assert_eq!(json["status"], "success");
    assert_eq!(json["data"], ECHO.trim_end());
}

#[test]
fn bare_cr_line_endings_and_a_bom_deliver_the_reply_exactly() {
    let world = World::steps("sse-cr");
    let run = ask_once(&world, &[]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    assert_eq!(run.stdout, ECHO);
}

#[test]
fn an_endless_sse_line_fails_at_its_bound_with_the_status_that_arrived() {
    let world = World::steps(&format!("sse-long-line={}", u64::MAX));
    let run = ask_once(&world, &[]);
    assert_invalid_response(&world, &run, "an SSE line over 16 MiB");
    assert_stderr_says(&run, "HTTP 200");
    assert_eq!(world.log_events("call")[0]["http_status"], 200);
}

#[test]
fn a_huge_error_body_is_classified_from_its_start_not_called_empty() {
    let world = World::steps("huge-body=3000000");
    let run = ask_once(&world, &[]);
    assert_eq!(run.code, 6, "stderr:\n{}", run.stderr);
    assert_stderr_says(&run, "error: api_error");
    assert!(!run.stderr.contains("empty"), "{}", run.stderr);
    assert_stderr_says(&run, "filler from the claude-rs fake API");
    assert_stderr_says(&run, "only the first 1 MiB of a longer body was read");
    assert_eq!(world.log_events("call")[0]["http_status"], 500);
}

#[test]
fn a_200_body_past_its_bound_fails_naming_it() {
    let world = World::steps("huge-body=70000000/200");
    let run = ask_once(&world, &[]);
    assert_invalid_response(&world, &run, "the message body is over 64 MiB");
    assert_eq!(world.log_events("call")[0]["http_status"], 200);
}

#[test]
fn huge_response_headers_fail_naming_the_bound() {
    let world = World::steps("huge-header=100000");
    let run = ask_once(&world, &[]);
    assert_invalid_response(&world, &run, "response headers are over 64 KiB");
}

#[test]
fn an_html_page_with_200_is_a_proxy_page_logged_with_its_status() {
    let world = World::steps("html-200");
    let run = ask_once(&world, &["--json"]);
    assert_eq!(run.code, 6, "stderr:\n{}", run.stderr);
    let json = json_line(&run.stdout);
    assert_eq!(json["error"]["category"], "invalid_response");
    assert_eq!(json["error"]["http_status"], 200);
    let call = &world.log_events("call")[0];
    assert_eq!(call["http_status"], 200);
    assert!(
        call["message"]
            .as_str()
            .unwrap()
            .contains("an HTML page \"Sign in to continue\""),
        "{call}"
    );
}

#[test]
fn a_cut_stream_is_named_the_same_in_notices_and_in_the_end() {
    // Not a terminal and no --stream: the reply is buffered, so it is retried.
    let world = World::steps("sse-cut,sse-cut");
    let run = ask(&world, &["--max-retries", "1", "hello"]);
    assert_eq!(run.code, 7, "stderr:\n{}", run.stderr);
    assert_eq!(world.message_requests(), 2);
    assert_stderr_says(&run, "connection (stream cut after HTTP 200)");
    assert_stderr_says(&run, "HTTP 200: the reply stream was cut");
    assert_stderr_says(&run, "fix:        The reply stream was cut");
}

#[test]
fn replies_that_end_their_body_leave_the_connection_for_the_next_call() {
    let world = World::ok();
    let input = world.file("in.txt", &prompts(6));
    let run = run(&world, &mut world.batch(&[&input, "--jobs", "1"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(world.message_requests(), 6);
    // Each body's end is read before the next call when it comes in time:
    // one connection, unless a loaded machine delayed a thread past the wait.
    assert!(
        world.server.connections() < 6,
        "{}",
        world.server.connections()
    );
}
