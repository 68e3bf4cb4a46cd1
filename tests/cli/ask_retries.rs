//! The retry rules: waits come from the policy (asked through the notices and
//! the log, not slept for), retry-after is honoured, partial replies are never
//! duplicated.

use crate::support::*;

fn retry_waits(world: &World) -> Vec<Option<u64>> {
    world
        .log_events("attempt")
        .iter()
        .map(|a| a["retry_in_ms"].as_u64())
        .collect()
}

#[test]
fn retry_after_seconds_is_honoured_exactly() {
    let world = World::steps("429:retry-after=2,ok");
    let run = ask(&world, &["hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("rate_limit (HTTP 429) · retry 1/4 in 2.0s · req_mock_"),
        "{}",
        run.stderr
    );
    assert_eq!(retry_waits(&world), vec![Some(2000)]);
}

#[test]
fn retry_after_ms_wins_over_retry_after() {
    let world = World::steps("429:retry-after-ms=1500:retry-after=9,ok");
    let run = ask(&world, &["hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(retry_waits(&world), vec![Some(1500)]);
}

#[test]
fn the_requests_are_spaced_by_the_wait_the_policy_chose() {
    // With the sleep scale at 0.05, a 2 s retry-after is a real 100 ms gap.
    let world = World::steps("429:retry-after=2,ok");
    let run = run(
        &world,
        world
            .ask(&["hello"])
            .env("CLAUDE_RS_TEST_SLEEP_SCALE", "0.05"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let requests = world.server.message_requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].received_at - requests[0].received_at;
    assert!(gap.as_millis() >= 100, "gap {gap:?}");
}

#[test]
fn a_retry_after_beyond_the_cap_fails_at_once_and_says_when() {
    let world = World::steps("429:retry-after=3600");
    let run = ask(&world, &["hello"]);
    assert_eq!(run.code, 5);
    assert_eq!(world.message_requests(), 1);
    assert!(
        run.stderr.contains("asked to wait 3600s (until 20"),
        "{}",
        run.stderr
    );
}

#[test]
fn each_kind_of_failure_waits_its_own_base_delay() {
    // Jitter shortens a wait by at most a quarter.
    for (step, base) in [("529", 3000), ("500", 1000), ("reset", 1000), ("429", 2000)] {
        let world = World::steps(&format!("{step},ok"));
        let run = ask(&world, &["hello"]);
        assert_eq!(run.code, 0, "{step}: {}", run.stderr);
        let wait = retry_waits(&world)[0].unwrap();
        assert!(
            wait <= base && wait >= base * 3 / 4,
            "{step}: waited {wait} ms, base {base}"
        );
    }
}

#[test]
fn backoff_doubles_between_attempts() {
    let world = World::steps("500,500,500,ok");
    let run = ask(&world, &["hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let waits: Vec<u64> = retry_waits(&world)
        .into_iter()
        .map(Option::unwrap)
        .collect();
    assert_eq!(waits.len(), 3);
    for (n, wait) in waits.iter().enumerate() {
        let nominal = 1000u64 << n;
        assert!(
            *wait <= nominal && *wait >= nominal * 3 / 4,
            "attempt {}: {wait}",
            n + 1
        );
    }
}

#[test]
fn max_retries_zero_makes_one_attempt() {
    let world = World::steps("529,ok");
    let run = ask(&world, &["--max-retries", "0", "hello"]);
    assert_eq!(run.code, 6);
    assert_eq!(world.message_requests(), 1);
    assert!(
        run.stderr.contains("retries are disabled"),
        "{}",
        run.stderr
    );
    assert_eq!(retry_waits(&world), vec![None]);
}

#[test]
fn the_deadline_stops_retries_that_would_pass_it() {
    // Waits of 1 s and 2 s fit in a 2.5 s deadline; the 4 s after them would not.
    let world = World::steps("500,500,500,500,500,500");
    let run = ask(
        &world,
        &["--deadline", "2.5", "--max-retries", "9", "hello"],
    );
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert_eq!(world.message_requests(), 3);
    assert!(
        run.stderr.contains("would pass --deadline"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_deadline_bounds_an_attempt_in_flight() {
    let world = World::steps("hang");
    let run = ask(&world, &["--deadline", "0.5", "--timeout", "30", "hello"]);
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(run.stderr.contains("error: timeout"), "{}", run.stderr);
    assert!(run.stderr.contains("--deadline"), "{}", run.stderr);
    assert_eq!(world.message_requests(), 1);
}

#[test]
fn quiet_hides_retry_notices_but_not_the_log() {
    let world = World::steps("529,ok");
    let run = ask(&world, &["--quiet", "hello"]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert_eq!(world.log_events("attempt").len(), 1);
}

#[test]
fn a_stream_cut_before_any_text_is_retried_invisibly() {
    let world = World::steps("sse-cut-before-text,ok");
    let run = ask(&world, &["--stream", "hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(world.message_requests(), 2);
    assert_eq!(
        run.stdout,
        "Hello from the claude-rs fake API. You said: hello\n"
    );
}

#[test]
fn a_stream_cut_after_text_was_shown_is_not_resent_or_duplicated() {
    let world = World::steps("sse-cut,ok");
    let run = ask(&world, &["--stream", "hello"]);
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert_eq!(
        world.message_requests(),
        1,
        "a shown partial reply must not be re-sent"
    );
    assert!(run.stdout.starts_with("Hello from"), "{}", run.stdout);
    assert_eq!(run.stdout.matches("Hello").count(), 1);
    assert!(
        run.stderr.contains("the reply was interrupted"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("part of the reply was already printed"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_cut_stream_is_retried_when_nothing_was_shown_yet() {
    // Not a terminal and no --stream: the reply is buffered, so a retry is safe.
    let world = World::steps("sse-cut,ok");
    let run = ask(&world, &["hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(world.message_requests(), 2);
    assert_eq!(run.stdout.matches("Hello from").count(), 1);
}

#[test]
fn a_cut_stream_in_json_mode_reports_the_partial_text() {
    let world = World::steps("sse-cut");
    let run = ask(&world, &["--json", "--max-retries", "0", "hello"]);
    let json = json_line(&run.stdout);
    assert_eq!(json["status"], "error");
    assert!(
        json["partial"].as_str().unwrap().starts_with("Hello"),
        "{json}"
    );
}

#[test]
fn a_flaky_server_still_answers() {
    let world = World::new(fake_api::scenario("flaky").unwrap());
    for _ in 0..3 {
        let run = ask(&world, &["--max-retries", "8", "hello"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout.matches("Hello from").count(), 1);
    }
    let calls = world.log_events("call");
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().all(|c| c["outcome"] == "success"));
}
