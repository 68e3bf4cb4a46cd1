//! Model facts from the Models API (issue 12): --max-tokens against the live
//! limit (cached a day, the table only a fallback), the pre-flight count of a
//! long prompt, --count-tokens, --beta, and suggestions from the paged list.

use fake_api::{DEFAULT_MODELS, MockConfig, Step};

use crate::support::*;

fn limited(max_tokens: u32, max_input_tokens: u64) -> World {
    World::new(MockConfig {
        limits: Some((max_tokens, max_input_tokens)),
        ..MockConfig::default()
    })
}

fn paths(world: &World) -> Vec<String> {
    world
        .server
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect()
}

#[test]
fn max_tokens_is_checked_against_the_models_live_limit() {
    let world = limited(1000, 2000);
    let run = ask(&world, &["--max-tokens", "5000", "hi"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "--max-tokens 5000 is above claude-sonnet-5-5's limit of 1000 output tokens (from the Models API)"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("give --max-tokens 1000 or less"));
    assert_eq!(world.message_requests(), 0, "refused before sending");
    assert_eq!(paths(&world), ["/v1/models/claude-sonnet-5-5"]);
    // The table says 64000 for claude-sonnet-4-6; the API's 128000 wins.
    let world = World::ok();
    let run = ask(
        &world,
        &[
            "--model",
            "claude-sonnet-4-6",
            "--max-tokens",
            "100000",
            "hi",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(world.message_bodies()[0]["max_tokens"], 100_000);
}

#[test]
fn a_small_max_tokens_and_prompt_cost_no_models_call() {
    let world = World::ok();
    assert_eq!(ask(&world, &["hi"]).code, 0);
    assert_eq!(paths(&world), ["/v1/messages"]);
}

#[test]
fn the_facts_are_kept_a_day_in_a_private_cache_and_a_damaged_entry_is_refetched() {
    let world = limited(1000, 2000);
    for _ in 0..2 {
        assert_eq!(ask(&world, &["--max-tokens", "5000", "hi"]).code, 2);
    }
    assert_eq!(
        paths(&world),
        ["/v1/models/claude-sonnet-5-5"],
        "the second run used the cache"
    );
    let folder = world.dir.path().join("cache/models");
    let entries: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "one file, no temporary left: {entries:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&folder), mode(&entries[0])), (0o700, 0o600));
    }
    std::fs::write(&entries[0], "{\"base_url\": 1, \"model\": [").unwrap();
    let run = ask(&world, &["--max-tokens", "5000", "hi"]);
    assert_eq!(run.code, 2, "a damaged entry is no entry: {}", run.stderr);
    assert_eq!(paths(&world).len(), 2, "fetched again");
    assert!(
        std::fs::read_to_string(&entries[0])
            .unwrap()
            .contains("\"max_tokens\":1000")
    );
}

#[test]
fn a_failed_models_call_falls_back_to_the_table_and_never_fails_the_request() {
    let world = World::new(MockConfig {
        then: "401".parse::<Step>().unwrap(),
        ..MockConfig::default()
    });
    let run = ask(
        &world,
        &[
            "--model",
            "claude-sonnet-4-6",
            "--max-tokens",
            "70000",
            "hi",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "limit of 64000 output tokens (from claude-rs's table (the Models API: authentication))"
        ),
        "{}",
        run.stderr
    );
    let run = ask(&world, &["--max-tokens", "5000", "hi"]);
    assert_eq!(
        run.code, 3,
        "the request itself was sent and refused: {}",
        run.stderr
    );
    assert_eq!(world.message_requests(), 1);
}

#[test]
fn a_prompt_over_the_input_limit_is_counted_and_refused_before_it_is_paid_for() {
    let world = limited(1000, 2000);
    let prompt = "word ".repeat(80_000);
    let long = |world: &World| {
        run(
            world,
            world
                .ask(&["--max-tokens", "100", "-"])
                .write_stdin(prompt.clone()),
        )
    };
    let run = long(&world);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("input tokens, over claude-sonnet-5-5's limit of 2000"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("count_tokens"), "{}", run.stderr);
    assert!(run.stderr.contains("cut at least"), "{}", run.stderr);
    assert_eq!(world.message_requests(), 0);
    let counted = &world.server.requests()[1];
    assert_eq!(counted.path, "/v1/messages/count_tokens");
    let body = counted.json().unwrap();
    assert!(
        body.get("max_tokens").is_none(),
        "count_tokens takes no max_tokens: {body}"
    );
    assert_eq!(body["model"], "claude-sonnet-5-5");
    // A count within the limit lets the request go.
    let world = limited(128_000, 200_000);
    assert_eq!(long(&world).code, 0);
    assert_eq!(world.message_requests(), 1);
}

#[test]
fn count_tokens_prints_the_count_and_sends_nothing_else() {
    let world = World::ok();
    let run = ask(&world, &["--count-tokens", "hello there"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let requests = world.server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/messages/count_tokens");
    // The fake API counts the body's bytes / 4, rounded up.
    let expected = requests[0].body.len().div_ceil(4);
    assert_eq!(run.stdout, format!("{expected}\n"));
    let run = ask(&world, &["--count-tokens", "--json", "hello there"]);
    let json = json_line(&run.stdout);
    assert_eq!(json["input_tokens"], expected as u64);
    assert_eq!(
        (json["status"].as_str(), json["model"].as_str()),
        (Some("success"), Some("claude-sonnet-5-5"))
    );
    let unknown = ask(
        &world,
        &["--count-tokens", "--model", "claude-nope-1", "hi"],
    );
    assert_eq!(unknown.code, 4, "{}", unknown.stderr);
    assert!(unknown.stdout.is_empty());
    assert_eq!(world.message_requests(), 0);
}

#[test]
fn betas_go_in_one_anthropic_beta_header_from_the_flag_or_the_config_file() {
    let world = World::ok();
    assert_eq!(
        ask(
            &world,
            &["--beta", "files-api-2025-04-14", "--beta", "b2", "hi"]
        )
        .code,
        0
    );
    world.config("betas = [\"from-file\"]\n");
    assert_eq!(ask(&world, &["hi"]).code, 0);
    assert_eq!(ask(&world, &["--beta", "flag", "hi"]).code, 0);
    let input = world.file("in.txt", "one\n");
    assert_eq!(run(&world, &mut world.batch(&[&input])).code, 0);
    let mut doctor = world.claude();
    doctor.args(["doctor", "--beta", "d"]);
    assert_eq!(run(&world, &mut doctor).code, 0);
    let sent: Vec<Option<String>> = world
        .server
        .requests()
        .iter()
        .filter(|r| r.header("x-api-key").is_some())
        .map(|r| r.header("anthropic-beta").map(str::to_string))
        .collect();
    let beta = |v: &str| Some(v.to_string());
    assert_eq!(
        sent[..4],
        [
            beta("files-api-2025-04-14,b2"),
            beta("from-file"),
            beta("flag"),
            beta("from-file")
        ]
    );
    assert!(
        sent[4..].iter().all(|b| *b == beta("d")),
        "doctor: {sent:?}"
    );
}

#[test]
fn a_beta_name_that_cannot_be_sent_is_refused_with_exit_2() {
    let world = World::ok();
    for bad in ["", "a b", "a,b", "é"] {
        let run = ask(&world, &["--beta", bad, "hi"]);
        assert_eq!(run.code, 2, "{bad:?}: {}", run.stderr);
        assert!(run.stderr.contains("is not a beta name"), "{}", run.stderr);
    }
    world.config("betas = [\"x y\"]\n");
    let run = ask(&world, &["hi"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("betas = \"x y\" ("), "{}", run.stderr);
    assert!(world.server.requests().is_empty());
}

#[test]
fn an_unknown_model_gets_the_closest_ids_from_every_page_of_the_list() {
    let mut models: Vec<String> = (0..1005).map(|n| format!("m-{n}")).collect();
    models.extend(DEFAULT_MODELS.iter().map(|m| m.to_string()));
    let world = World::new(MockConfig {
        models,
        ..MockConfig::default()
    });
    let run = ask(&world, &["--model", "claude-sonet-5-5", "hi"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("Did you mean claude-sonnet-5-5?"),
        "{}",
        run.stderr
    );
    let pages: Vec<String> = paths(&world)
        .into_iter()
        .filter(|p| p.starts_with("/v1/models?"))
        .collect();
    assert_eq!(
        pages,
        [
            "/v1/models?limit=1000",
            "/v1/models?limit=1000&after_id=m-999"
        ]
    );
}

#[test]
fn a_remote_batch_sends_the_betas_on_every_message_batches_call() {
    let world = World::ok();
    let input = world.file("in.txt", "one\ntwo\n");
    let output = world.path("out.jsonl");
    let args = [
        "--remote",
        &input,
        "-o",
        &output,
        "--poll-interval",
        "0.01",
        "--beta",
        "r1",
        "--beta",
        "r2",
    ];
    let run = run(&world, &mut world.batch(&args));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let calls = world.server.batch_requests();
    assert!(calls.len() >= 3, "create, polls, results: {}", calls.len());
    for call in calls {
        assert_eq!(
            call.header("anthropic-beta"),
            Some("r1,r2"),
            "{}",
            call.path
        );
    }
}
