//! Bad local input: exit 2, a message naming the problem and the fix, and
//! not a single request sent.

use crate::support::*;

fn assert_refused(world: &World, run: &Run, problem: &str, fix: &str) {
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    assert_eq!(world.server.requests().len(), 0, "nothing may be sent");
    assert!(
        run.stderr.contains(problem),
        "expected {problem:?} in:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(fix),
        "expected {fix:?} in:\n{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn an_empty_prompt() {
    let world = World::steps("ok");
    assert_refused(
        &world,
        &ask(&world, &[]),
        "the prompt is empty",
        "pipe it in",
    );
    assert_refused(
        &world,
        &ask(&world, &["  "]),
        "the prompt is empty",
        "pipe it in",
    );
}

#[test]
fn max_tokens_zero_or_above_the_models_limit() {
    let world = World::steps("ok");
    assert_refused(
        &world,
        &ask(&world, &["--max-tokens", "0", "hi"]),
        "--max-tokens 0",
        "1 or more",
    );
    let run = ask(&world, &["--max-tokens", "128001", "hi"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "above claude-sonnet-5-5's limit of 128000 output tokens (from the Models API)"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--max-tokens 128000 or less"));
    assert_eq!(world.message_requests(), 0, "the model's object only");
}

#[test]
fn a_malformed_model_id() {
    let world = World::steps("ok");
    let run = ask(&world, &["--model", "claude sonnet", "hi"]);
    assert_refused(&world, &run, "'claude sonnet' is not a model id", "--model");
}

#[test]
fn invalid_utf8_on_stdin() {
    let world = World::steps("ok");
    let run = run(&world, world.ask(&["hi"]).write_stdin(&b"caf\xe9"[..]));
    assert_refused(&world, &run, "stdin is not valid UTF-8", "iconv");
}

#[test]
fn a_request_over_32_mb() {
    let world = World::steps("ok");
    let huge = "a".repeat(33 * 1024 * 1024);
    let run = run(&world, world.ask(&[]).write_stdin(huge));
    assert_refused(&world, &run, "over the API's 32 MB request limit", "trim");
}

#[test]
fn a_base_url_that_is_not_http() {
    let world = World::steps("ok");
    for url in ["ftp://example.com", "api.anthropic.com", "https://"] {
        let refused = run(&world, world.ask(&["hi"]).env("ANTHROPIC_BASE_URL", url));
        assert_refused(&world, &refused, "base URL", "ANTHROPIC_BASE_URL");
    }
}

#[test]
fn a_base_url_with_more_than_scheme_host_and_port() {
    let world = World::steps("ok");
    for (url, said) in [
        ("http://127.0.0.1:99999", "no valid port"),
        ("https://gateway.example.com/anthropic", "has a path"),
        ("https://api.example.com?key=1", "has a query"),
        ("https://me:pa55w0rd@api.example.com", "holds user info"),
    ] {
        let refused = run(&world, world.ask(&["hi"]).env("ANTHROPIC_BASE_URL", url));
        assert_refused(&world, &refused, said, "scheme://host[:port]");
        assert!(!refused.stderr.contains("pa55w0rd"), "{}", refused.stderr);
    }
}

#[test]
fn no_api_key_names_the_variable() {
    let world = World::steps("ok");
    let unset = run(&world, world.ask(&["hi"]).env_remove("ANTHROPIC_API_KEY"));
    assert_refused(
        &world,
        &unset,
        "ANTHROPIC_API_KEY is not set",
        "export ANTHROPIC_API_KEY=",
    );
    let empty = run(&world, world.ask(&["hi"]).env("ANTHROPIC_API_KEY", ""));
    assert_refused(&world, &empty, "ANTHROPIC_API_KEY is not set", "--mock");
}

#[test]
fn out_of_range_numbers() {
    let world = World::steps("ok");
    assert_refused(
        &world,
        &ask(&world, &["--temperature", "1.5", "hi"]),
        "outside 0.0 to 1.0",
        "--temperature",
    );
    assert_refused(
        &world,
        &ask(&world, &["--timeout", "0", "hi"]),
        "--timeout 0",
        "above 0",
    );
    assert_refused(
        &world,
        &ask(&world, &["--deadline", "-1", "hi"]),
        "--deadline -1",
        "above 0",
    );
}

#[test]
fn conflicting_or_empty_validation_flags() {
    let world = World::steps("ok");
    let run = ask(&world, &["--choices", "a,,b", "hi"]);
    assert_refused(
        &world,
        &run,
        "--choices has an empty choice",
        "--choices yes,no",
    );
}

#[test]
fn an_unknown_mock_scenario_lists_the_real_ones() {
    let world = World::steps("ok");
    let run = ask(&world, &["--mock", "nonsense", "hi"]);
    assert_refused(&world, &run, "no mock scenario 'nonsense'", "flaky");
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let world = World::steps("ok");
    let run = ask(&world, &["--no-such-flag", "hi"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--no-such-flag"));
    assert_eq!(world.server.requests().len(), 0);
}

#[test]
fn help_documents_the_exit_codes_and_categories() {
    let world = World::steps("ok");
    let run = run(&world, world.claude().args(["ask", "--help"]));
    assert_eq!(run.code, 0);
    for text in [
        "Exit codes:",
        "130",
        "rate_limit",
        "output_validation",
        "ANTHROPIC_BASE_URL",
        "CLAUDE_RS_LOG",
    ] {
        assert!(run.stdout.contains(text), "--help lacks {text}");
    }
}

#[test]
fn a_timeout_out_of_range_says_which_way_without_three_hundred_digits() {
    let world = World::steps("ok");
    for (value, said) in [
        ("1e19", "--timeout 1e19 is longer than claude-rs waits"),
        ("1e300", "--timeout 1e300 is longer than claude-rs waits"),
        ("-3", "--timeout -3 is not above 0"),
        ("NaN", "--timeout NaN is not a number"),
    ] {
        let run = ask(&world, &["--timeout", value, "hi"]);
        assert_refused(&world, &run, said, "--timeout 30");
        assert!(run.stderr.len() < 300, "{}", run.stderr);
    }
}
