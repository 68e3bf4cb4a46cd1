//! One test per row of the classification table: the exit code, the words on
//! stderr, how many requests the server saw, and the log lines.

use fake_api::{MockConfig, Step};

use crate::support::*;

/// Runs `ask` against `script` with 2 retries allowed and returns the run.
fn ask_with(world: &World, extra: &[&str]) -> Run {
    let mut args = vec!["--max-retries", "2"];
    args.extend_from_slice(extra);
    args.push("hello");
    ask(world, &args)
}

fn assert_not_retried(world: &World, run: &Run, code: i32, category: &str) {
    assert_eq!(run.code, code, "stderr:\n{}", run.stderr);
    assert_eq!(
        world.message_requests(),
        1,
        "a {category} failure must not be retried"
    );
    assert!(
        run.stderr.contains(&format!("error: {category}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("not retried"), "{}", run.stderr);
    let calls = world.log_events("call");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["outcome"], category);
}

fn assert_retried_then_failed(world: &World, run: &Run, code: i32, category: &str) {
    assert_eq!(run.code, code, "stderr:\n{}", run.stderr);
    assert_eq!(
        world.message_requests(),
        3,
        "a {category} failure is retried twice"
    );
    assert!(
        run.stderr.contains(&format!("error: {category}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("3 attempts"), "{}", run.stderr);
    assert_eq!(world.log_events("attempt").len(), 3);
    assert_eq!(world.log_events("call")[0]["outcome"], category);
}

#[test]
fn http_400_is_invalid_request_exit_4_not_retried() {
    let world = World::steps("400:message=messages: field required");
    let run = ask_with(&world, &[]);
    assert_not_retried(&world, &run, 4, "invalid_request");
    assert!(
        run.stderr
            .contains("HTTP 400 invalid_request_error: messages: field required")
    );
}

#[test]
fn http_422_and_unlisted_4xx_are_invalid_requests() {
    for status in ["422", "418"] {
        let world = World::steps(status);
        let run = ask_with(&world, &[]);
        assert_not_retried(&world, &run, 4, "invalid_request");
    }
}

#[test]
fn http_401_is_authentication_exit_3_and_shows_only_the_keys_tail() {
    let world = World::steps("401");
    let run = ask_with(&world, &[]);
    assert_not_retried(&world, &run, 3, "authentication");
    assert!(run.stderr.contains("ANTHROPIC_API_KEY"), "{}", run.stderr);
    assert!(run.stderr.contains("…wxyz"), "{}", run.stderr);
}

#[test]
fn http_402_is_billing() {
    let world = World::steps("402");
    let run = ask_with(&world, &[]);
    assert_not_retried(&world, &run, 3, "billing");
}

#[test]
fn a_low_credit_400_is_billing() {
    let world = World::steps("low-credit");
    let run = ask_with(&world, &[]);
    assert_not_retried(&world, &run, 3, "billing");
    assert!(run.stderr.contains("credit"), "{}", run.stderr);
}

#[test]
fn a_spend_limit_429_is_billing_and_never_retried() {
    let world = World::steps("spend-limit");
    let run = ask_with(&world, &[]);
    assert_not_retried(&world, &run, 3, "billing");
    assert!(run.stderr.contains("spend limit"), "{}", run.stderr);
}

#[test]
fn http_403_is_permission() {
    let world = World::steps("403");
    let run = ask_with(&world, &[]);
    assert_not_retried(&world, &run, 3, "permission");
}

#[test]
fn an_unknown_model_is_not_found_and_names_the_models_that_exist() {
    let world = World::new(MockConfig::default());
    let run = ask_with(&world, &["--model", "claude-sonet-4-6"]);
    assert_not_retried(&world, &run, 4, "not_found");
    assert!(
        run.stderr.contains("Did you mean claude-sonnet-4-6?"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("claude-haiku-4-5"), "{}", run.stderr);
    let models_calls = world
        .server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1/models"))
        .count();
    assert_eq!(models_calls, 1);
}

#[test]
fn http_413_is_request_too_large_and_says_to_trim() {
    let world = World::steps("413");
    let run = ask_with(&world, &[]);
    assert_not_retried(&world, &run, 4, "request_too_large");
    assert!(run.stderr.contains("Trim"), "{}", run.stderr);
}

#[test]
fn http_409_is_a_conflict_and_retried() {
    let world = World::steps("409,ok");
    let run = ask_with(&world, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(world.message_requests(), 2);
    assert!(
        run.stderr.contains("conflict (HTTP 409) · retry 1/2"),
        "{}",
        run.stderr
    );
}

#[test]
fn http_409_exhausted_exits_6() {
    let world = World::steps("409,409,409");
    let run = ask_with(&world, &[]);
    assert_retried_then_failed(&world, &run, 6, "conflict");
}

#[test]
fn http_429_exhausted_is_rate_limit_exit_5() {
    let world = World::steps("429,429,429");
    let run = ask_with(&world, &[]);
    assert_retried_then_failed(&world, &run, 5, "rate_limit");
}

#[test]
fn every_5xx_but_a_gateway_timeout_is_api_error_and_retried() {
    for status in ["500", "502", "503"] {
        let world = World::steps(&format!("{status},{status},{status}"));
        let run = ask_with(&world, &[]);
        assert_retried_then_failed(&world, &run, 6, "api_error");
        assert!(
            run.stderr.contains(&format!("HTTP {status}")),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_gateway_timeout_is_a_server_side_timeout_retried_and_not_blamed_on_the_network() {
    let world = World::steps("504,504,504");
    let run = ask_with(&world, &[]);
    assert_retried_then_failed(&world, &run, 7, "timeout");
    assert!(run.stderr.contains("HTTP 504"), "{}", run.stderr);
    assert!(run.stderr.contains("the network is fine"), "{}", run.stderr);
}

#[test]
fn a_spend_limit_the_user_set_is_billing_not_retried_with_the_date_access_returns() {
    let world = World::steps(
        "400:message=You have reached your specified API usage limits. You will regain access on 2027-01-01 at 00:00 UTC.",
    );
    let run = ask_with(&world, &[]);
    assert_not_retried(&world, &run, 3, "billing");
    assert!(
        run.stderr
            .contains("Access returns on 2027-01-01 at 00:00 UTC."),
        "{}",
        run.stderr
    );
}

#[test]
fn an_html_502_from_a_proxy_is_api_error() {
    let world = World::steps("html-502,html-502,html-502");
    let run = ask_with(&world, &[]);
    assert_retried_then_failed(&world, &run, 6, "api_error");
    assert!(run.stderr.contains("HTML page"), "{}", run.stderr);
    assert!(run.stderr.contains("probably a proxy"), "{}", run.stderr);
}

#[test]
fn http_529_is_overloaded() {
    let world = World::steps("529,529,529");
    let run = ask_with(&world, &[]);
    assert_retried_then_failed(&world, &run, 6, "overloaded");
}

#[test]
fn overloaded_arrives_as_a_500_or_inside_a_200_stream() {
    for step in ["overloaded-500", "sse-error"] {
        let world = World::steps(&format!("{step},{step},{step}"));
        let run = ask_with(&world, &[]);
        assert_retried_then_failed(&world, &run, 6, "overloaded");
    }
}

#[test]
fn an_unknown_error_type_is_kept_and_classified_by_status() {
    let world = World::steps("503:type=brand_new_error,ok");
    let run = ask_with(&world, &[]);
    assert_eq!(run.code, 0);
    let attempt = &world.log_events("attempt")[0];
    assert_eq!(attempt["category"], "api_error");
    assert_eq!(attempt["error_type"], "brand_new_error");
}

#[test]
fn a_stalled_stream_is_a_timeout_exit_7_and_retried() {
    let world = World::steps("stall,stall,stall");
    let run = ask_with(&world, &["--timeout", "0.3"]);
    assert_retried_then_failed(&world, &run, 7, "timeout");
    assert!(run.stderr.contains("stall"), "{}", run.stderr);
}

#[test]
fn a_server_that_never_answers_is_a_timeout() {
    let world = World::steps("hang,hang,hang");
    let run = ask_with(&world, &["--timeout", "0.3"]);
    assert_retried_then_failed(&world, &run, 7, "timeout");
}

#[test]
fn a_long_reply_that_keeps_streaming_is_not_a_timeout() {
    // 6 pieces 150 ms apart: 0.9 s in all, never silent for the 0.5 s allowed
    let world = World::steps("slow=6/150");
    let run = ask_with(&world, &["--timeout", "0.5"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(world.message_requests(), 1);
}

#[test]
fn a_refused_connection_is_connection_exit_7_and_retried() {
    let world = World::new(MockConfig::default());
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let run = run(
        &world,
        world.ask(&["--max-retries", "2", "hello"]).env(
            "ANTHROPIC_BASE_URL",
            format!("http://127.0.0.1:{closed_port}"),
        ),
    );
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(run.stderr.contains("error: connection"), "{}", run.stderr);
    assert!(run.stderr.contains("refused"), "{}", run.stderr);
    assert!(run.stderr.contains("3 attempts"), "{}", run.stderr);
    assert_eq!(world.log_events("attempt").len(), 3);
}

#[test]
fn a_reset_connection_is_retried() {
    let world = World::steps("reset,ok");
    let run = ask_with(&world, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(world.message_requests(), 2);
    assert!(
        run.stderr.contains("connection (reset) · retry 1/2"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unreadable_body_is_invalid_response_and_retried() {
    let world = World::steps("invalid-json,invalid-json,invalid-json");
    let run = ask_with(&world, &[]);
    assert_retried_then_failed(&world, &run, 6, "invalid_response");
}

#[test]
fn a_stream_without_message_stop_is_invalid_response() {
    let world = World::steps("sse-no-stop,sse-no-stop,sse-no-stop");
    let run = ask_with(&world, &[]);
    assert_retried_then_failed(&world, &run, 6, "invalid_response");
    assert!(run.stderr.contains("message_stop"), "{}", run.stderr);
}

#[test]
fn x_should_retry_false_stops_a_retryable_failure() {
    let world = World::steps("529:x-should-retry=false");
    let run = ask_with(&world, &[]);
    assert_eq!(run.code, 6);
    assert_eq!(world.message_requests(), 1);
    assert!(
        run.stderr.contains("x-should-retry: false"),
        "{}",
        run.stderr
    );
}

#[test]
fn x_should_retry_true_retries_what_the_table_would_not() {
    let world = World::steps("400:x-should-retry=true,ok");
    let run = ask_with(&world, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(world.message_requests(), 2);
}

#[test]
fn server_text_is_sanitised_before_it_reaches_the_terminal() {
    let world = World::scripted(vec![Step::Status {
        status: 400,
        error_type: None,
        message: Some("bad \u{1b}[2J\u{1b}]0;pwned\u{7} input".into()),
        headers: vec![],
    }]);
    let run = ask_with(&world, &[]);
    assert_eq!(run.code, 4);
    assert!(!run.stderr.contains('\u{1b}'), "raw escape reached stderr");
    assert!(run.stderr.contains("\\u{1b}[2J"), "{}", run.stderr);
}

#[test]
fn a_rejected_key_is_named_by_where_it_came_from() {
    let world = World::steps("401");
    world.config(&format!("api_key = \"{TEST_KEY}\"\n"));
    let mut from_file = world.claude();
    from_file
        .env_remove("ANTHROPIC_API_KEY")
        .args(["ask", "--max-retries", "0", "hi"]);
    let refused = run(&world, &mut from_file);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("the key in use (config file, line 1) ends in …wxyz"),
        "{}",
        refused.stderr
    );
    let mut no_key = world.claude();
    world.config("");
    no_key
        .env_remove("ANTHROPIC_API_KEY")
        .args(["ask", "--mock", "auth", "hi"]);
    let run = run(&world, &mut no_key);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        !run.stderr.contains("(env ANTHROPIC_API_KEY)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("the fake API's own"), "{}", run.stderr);
}

#[test]
fn a_prompt_too_long_and_a_rejected_temperature_get_fixes_that_name_them() {
    let world = World::steps(
        "400:message=prompt is too long: 203284 tokens > 200000 maximum,400:message=`temperature` is deprecated for this model.",
    );
    let long = ask_with(&world, &[]);
    assert_not_retried(&world, &long, 4, "invalid_request");
    assert!(
        long.stderr.contains(
            "The prompt is 203284 tokens, over the model's 200000-token input limit: cut at least 3284 tokens"
        ),
        "{}",
        long.stderr
    );
    let warm = ask_with(&world, &["--temperature", "0.7"]);
    assert_eq!(warm.code, 4, "{}", warm.stderr);
    assert!(
        warm.stderr.contains("drop --temperature"),
        "{}",
        warm.stderr
    );
}
