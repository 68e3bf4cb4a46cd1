//! A hostile server or proxy, and a careless user: whatever echoes the key
//! back, it appears in no output, log or result file; a redirect is never
//! followed, so the key goes nowhere but the base URL's origin.

use fake_api::{MockConfig, Step};
use serde_json::Value;

use crate::support::*;

const PLACES: [&str; 5] = ["json", "html", "text", "sse", "header"];

/// Case-insensitive: a server may upper-case what it echoes.
fn assert_no_key(what: &str, text: &str) {
    let lower = text.to_ascii_lowercase();
    assert!(
        !lower.contains(&KEY_SECRET_PART.to_ascii_lowercase()),
        "the key leaked into {what}:\n{text}"
    );
}

fn assert_no_key_in_log(world: &World) {
    let log = std::fs::read_to_string(world.log_path()).unwrap_or_default();
    assert_no_key("the log", &log);
}

fn echoing(place: &str) -> World {
    World::steps(&format!("echo-key={place}"))
}

#[test]
fn a_key_echoed_anywhere_never_reaches_stderr_or_the_log() {
    for place in PLACES {
        let world = echoing(place);
        let run = ask(&world, &["--max-retries", "0", "--verbose", "hello"]);
        assert_ne!(run.code, 0, "{place}: {}", run.stderr);
        assert_no_key(place, &run.stderr);
        assert_no_key(place, &run.stdout);
        assert_no_key_in_log(&world);
        assert_eq!(world.message_requests(), 1, "{place}");
    }
}

#[test]
fn the_masked_key_keeps_only_its_last_four_characters() {
    let world = echoing("json");
    let run = ask(&world, &["--max-retries", "0", "hello"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("invalid x-api-key: …wxyz"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_key_echoed_anywhere_never_reaches_json_on_stdout() {
    for place in PLACES {
        let world = echoing(place);
        let run = ask(&world, &["--max-retries", "0", "--json", "hello"]);
        assert_ne!(run.code, 0, "{place}");
        let json = json_line(&run.stdout);
        assert_eq!(json["status"], "error", "{place}");
        assert_no_key(place, &run.stdout);
        assert_no_key_in_log(&world);
    }
}

#[test]
fn a_key_echoed_in_upper_case_is_masked_too() {
    let shouted = TEST_KEY.to_ascii_uppercase();
    let world = World::steps(&format!("401:message=key {shouted} is revoked"));
    let run = ask(&world, &["--max-retries", "0", "--json", "hello"]);
    assert_eq!(run.code, 3);
    assert_no_key("stdout", &run.stdout);
    assert!(run.stdout.contains("…WXYZ"), "{}", run.stdout);
}

#[test]
fn a_key_echoed_into_batch_results_is_masked_in_the_output_file() {
    for place in PLACES {
        let world = World::new(MockConfig {
            then: format!("echo-key={place}").parse::<Step>().unwrap(),
            ..MockConfig::default()
        });
        let input = world.file("in.jsonl", "one\ntwo\n");
        let output = world.path("out.jsonl");
        let run = run(
            &world,
            &mut world.batch(&[&input, "-o", &output, "--max-retries", "0"]),
        );
        assert_ne!(run.code, 0, "{place}: {}", run.stderr);
        let written = std::fs::read_to_string(&output).unwrap_or_default();
        assert_no_key(&format!("OUTPUT ({place})"), &written);
        assert_no_key(place, &run.stderr);
        assert_no_key_in_log(&world);
    }
}

#[test]
fn doctor_never_shows_an_echoed_key() {
    for place in PLACES {
        let world = World::new(MockConfig {
            then: format!("echo-key={place}").parse::<Step>().unwrap(),
            ..MockConfig::default()
        });
        for json in [false, true] {
            let mut command = world.claude();
            command.arg("doctor");
            if json {
                command.arg("--json");
            }
            let run = run(&world, &mut command);
            assert_ne!(run.code, 0, "{place}");
            assert_no_key(place, &run.stdout);
            assert_no_key(place, &run.stderr);
        }
    }
}

#[test]
fn explain_masks_a_key_in_pasted_text() {
    let world = World::ok();
    let pasted = format!(
        r#"{{"type":"error","error":{{"type":"authentication_error","message":"invalid x-api-key {TEST_KEY}"}}}}"#
    );
    for json in [false, true] {
        let mut command = world.claude();
        command.arg("explain").arg(&pasted);
        if json {
            command.arg("--json");
        }
        let run = run(&world, &mut command);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_no_key("explain", &run.stdout);
        assert!(run.stdout.contains("authentication"), "{}", run.stdout);
    }
}

#[test]
fn a_reply_that_is_a_key_is_data_on_stdout_but_masked_in_a_diagnostic() {
    let world = World::steps(&format!("reply={TEST_KEY},reply={TEST_KEY}"));
    // As data, the reply is exact.
    let printed = world.ask(&["hello"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&printed.stdout).trim(), TEST_KEY);
    // Quoted in the --choices failure, it is masked.
    let run = ask(&world, &["--choices", "yes,no", "--max-retries", "0", "hi"]);
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert_no_key("the --choices failure", &run.stderr);
}

#[test]
fn a_key_pasted_as_api_key_cmd_is_not_echoed() {
    let world = World::ok();
    world.config(&format!("api_key_cmd = \"{TEST_KEY}\"\n"));
    let mut command = world.claude();
    command
        .env_remove("ANTHROPIC_API_KEY")
        .args(["ask", "hello"]);
    let run = run(&world, &mut command);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("api_key_cmd"), "{}", run.stderr);
    assert_no_key("stderr", &run.stderr);
    assert_eq!(world.message_requests(), 0);
}

/// The second host a redirect points at: it must never hear from us.
fn elsewhere() -> World {
    World::ok()
}

fn redirecting(status: u16, to: &World) -> World {
    let location = format!("{}/v1/messages", to.server.base_url());
    World::new(MockConfig {
        then: format!("{status}:location={location}")
            .parse::<Step>()
            .unwrap(),
        ..MockConfig::default()
    })
}

#[test]
fn a_redirect_is_a_failure_of_its_own_never_followed_or_retried() {
    for status in [301, 302, 303, 307, 308] {
        let other = elsewhere();
        let world = redirecting(status, &other);
        let run = ask(&world, &["hello"]);
        assert_eq!(run.code, 7, "{status}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "the base URL redirects (HTTP {status}) to {}",
                other.server.base_url()
            )),
            "{status}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("ANTHROPIC_BASE_URL"), "{}", run.stderr);
        assert!(!run.stderr.contains("Did you mean"), "{}", run.stderr);
        assert_eq!(world.message_requests(), 1, "{status}: not retried");
        assert!(
            other.server.requests().is_empty(),
            "{status}: the other host heard from us"
        );
        let calls = world.log_events("call");
        assert_eq!(calls[0]["category"], "connection");
        assert_eq!(calls[0]["http_status"], status);
    }
}

#[test]
fn a_redirect_under_json_names_its_cause() {
    let other = elsewhere();
    let world = redirecting(302, &other);
    let run = ask(&world, &["--json", "hello"]);
    assert_eq!(run.code, 7);
    let json: Value = json_line(&run.stdout);
    assert_eq!(json["error"]["category"], "connection");
    assert_eq!(json["error"]["http_status"], 302);
    assert_eq!(json["error"]["retryable"], false);
    assert!(other.server.requests().is_empty());
}

#[test]
fn a_batch_stops_on_a_redirect_without_sending_the_key_elsewhere() {
    let other = elsewhere();
    let world = redirecting(307, &other);
    let input = world.file("in.jsonl", "one\ntwo\nthree\n");
    let output = world.path("out.jsonl");
    let run = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(
        run.stderr.contains("redirects (HTTP 307)"),
        "{}",
        run.stderr
    );
    // The first request goes alone; it shows every other would fail alike.
    assert_eq!(world.message_requests(), 1);
    assert!(
        read_results(&output).is_empty(),
        "no item is errored for the base URL's fault"
    );
    assert!(other.server.requests().is_empty());
}

#[test]
fn doctor_reports_a_redirect_as_the_failing_http_hop() {
    let other = elsewhere();
    let world = redirecting(307, &other);
    let mut command = world.claude();
    command.args(["doctor", "--json"]);
    let run = run(&world, &mut command);
    assert_eq!(run.code, 7, "{}", run.stdout);
    let json = json_line(&run.stdout);
    assert_eq!(check(&json, "http")["status"], "fail");
    assert!(
        check(&json, "http")["message"]
            .as_str()
            .unwrap()
            .contains("redirects (HTTP 307)"),
        "{json}"
    );
    assert_eq!(check(&json, "auth")["status"], "skip");
    assert!(other.server.requests().is_empty());
    // The key was never sent with a request that a redirect answered, either.
    assert!(
        !world.key_was_sent(),
        "doctor sent the key to a base URL that redirects"
    );
}
