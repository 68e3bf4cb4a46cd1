//! `batch` input: the three line forms, every problem reported with its line
//! number before anything is sent, `--skip-invalid`, stdin, and bad flags.

use crate::support::*;

#[test]
fn the_three_forms_mix_and_every_id_comes_back_once() {
    let world = World::ok();
    let input = world.file(
        "in.jsonl",
        concat!(
            "Summarise Hamlet\n",
            "\n",
            "{\"custom_id\":\"short-1\",\"prompt\":\"hello\",\"max_tokens\":7}\n",
            "{\"custom_id\":\"full_1\",\"params\":{\"model\":\"claude-haiku-4-5\",\"max_tokens\":9,",
            "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"metadata\":{\"user_id\":\"u1\"}}}\n",
        ),
    );
    let run = run(&world, &mut world.batch(&[&input]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let results = result_lines(&run.stdout);
    assert_eq!(result_ids(&results), ["1", "full_1", "short-1"]);
    for result in &results {
        assert_eq!(result["result"]["type"], "succeeded", "{result}");
        assert_eq!(result["result"]["message"]["type"], "message");
    }
    let bodies = world.message_bodies();
    let full = bodies
        .iter()
        .find(|b| b["model"] == "claude-haiku-4-5")
        .expect("the full form's own model was sent");
    assert_eq!(full["max_tokens"], 9);
    assert_eq!(
        full["metadata"]["user_id"], "u1",
        "unknown params pass through"
    );
    let short = bodies.iter().find(|b| b["max_tokens"] == 7).unwrap();
    assert_eq!(
        short["model"], "claude-sonnet-5-5",
        "the default model filled in"
    );
    assert_eq!(short["messages"][0]["content"], "hello");
    assert!(
        run.stderr.contains("batch finished: 3 of 3 items"),
        "{}",
        run.stderr
    );
}

#[test]
fn flags_give_the_defaults_for_lines_that_do_not_say() {
    let world = World::ok();
    let input = world.file(
        "in.txt",
        "one\n{\"custom_id\":\"own\",\"prompt\":\"two\",\"system\":\"mine\",\"max_tokens\":3}\n",
    );
    let run = run(
        &world,
        &mut world.batch(&[
            &input,
            "-m",
            "claude-opus-4-6",
            "-s",
            "be brief",
            "--max-tokens",
            "50",
        ]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bodies = world.message_bodies();
    let plain = bodies
        .iter()
        .find(|b| b["messages"][0]["content"] == "one")
        .unwrap();
    assert_eq!(plain["model"], "claude-opus-4-6");
    assert_eq!(plain["system"], "be brief");
    assert_eq!(plain["max_tokens"], 50);
    let own = bodies
        .iter()
        .find(|b| b["messages"][0]["content"] == "two")
        .unwrap();
    assert_eq!(own["system"], "mine");
    assert_eq!(own["max_tokens"], 3);
    assert_eq!(own["model"], "claude-opus-4-6");
}

#[test]
fn every_invalid_line_is_reported_with_its_number_and_nothing_is_sent() {
    let world = World::ok();
    let input = world.file(
        "in.jsonl",
        concat!(
            "{\"custom_id\":\"a\",\"prompt\":\"x\"}\n",
            "{\"custom_id\":\"b\",\"prompt\":\"y\"}\n",
            "{\"custom_id\":\"a\",\"prompt\":\"z\"}\n",
            "{\"custom_id\":\"has space\",\"prompt\":\"z\"}\n",
            "{not json\n",
            "{\"custom_id\":\"c\"}\n",
            "fine plain text\n",
            "{\"custom_id\":\"b\",\"prompt\":\"again\"}\n",
        ),
    );
    let output = world.path("out.jsonl");
    let run = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(world.message_requests(), 0, "nothing may be sent");
    assert!(
        !std::path::Path::new(&output).exists(),
        "OUTPUT is not touched"
    );
    assert!(run.stdout.is_empty());
    for expected in [
        "has 5 invalid lines; nothing was sent",
        "line 3: duplicate custom_id \"a\" (first on line 1)",
        "line 4: custom_id \"has space\" must be 1 to 64 letters, digits, '-' or '_'",
        "line 5: not valid JSON",
        "line 6: has neither params (the Message Batches form) nor prompt (the short form)",
        "line 8: duplicate custom_id \"b\" (first on line 2)",
        "--skip-invalid",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn skip_invalid_writes_errored_results_and_sends_the_rest() {
    let world = World::ok();
    let input = world.file(
        "in.jsonl",
        "{\"custom_id\":\"a\",\"prompt\":\"x\"}\n{\"custom_id\":\"a\",\"prompt\":\"y\"}\n{\"custom_id\":\"k\",\"prompt\":\"\"}\nplain\n",
    );
    let output = world.path("out.jsonl");
    let run = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--skip-invalid"]),
    );
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert_eq!(world.message_requests(), 2);
    let results = read_results(&output);
    assert_eq!(result_ids(&results), ["4", "a", "k", "line-2"]);
    let errored: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r["result"]["type"] == "errored")
        .collect();
    assert_eq!(errored.len(), 2);
    for result in errored {
        let error = &result["result"]["error"];
        assert_eq!(error["type"], "error");
        assert_eq!(error["error"]["type"], "invalid_request_error");
        assert_eq!(error["category"], "invalid_request");
        assert_eq!(error["attempts"], 0);
        assert!(
            error["fix"].as_str().unwrap().contains("Fix line"),
            "{error}"
        );
    }
    assert!(
        run.stderr.contains("errored:    2 (invalid_request 2)"),
        "{}",
        run.stderr
    );
}

#[test]
fn stdin_is_read_with_a_dash() {
    let world = World::ok();
    let run = run(&world, world.batch(&["-"]).write_stdin("first\nsecond\n"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(result_ids(&result_lines(&run.stdout)), ["1", "2"]);
}

#[test]
fn bad_input_files_and_flags_are_usage_errors() {
    let world = World::ok();
    let empty = world.file("empty.txt", "\n\n");
    let input = world.file("in.txt", "hello\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![&empty], "holds no requests"),
        (vec!["/nonexistent/in.txt"], "cannot read INPUT"),
        (
            vec![&input, "-o", &input],
            "itself (the same file, however linked)",
        ),
        (vec![&input, "--jobs", "0"], "--jobs 0 is outside 1 to 256"),
        (vec![&input, "--rpm", "0"], "would never send anything"),
        (
            vec![&input, "--headroom", "100"],
            "keeps the whole limit unused",
        ),
        (
            vec![&input, "--retry-errored"],
            "--retry-errored needs the OUTPUT",
        ),
        (vec![&input, "--max-tokens", "0"], "--max-tokens 0"),
    ];
    let dir = world.dir.path().to_string_lossy().into_owned();
    let mut cases = cases;
    cases.push((vec![&input, "-o", &dir], "is a directory"));
    for (args, expected) in cases {
        let run = run(&world, &mut world.batch(&args));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("fix:"), "{args:?}: {}", run.stderr);
    }
    assert_eq!(world.message_requests(), 0);
}

#[test]
fn a_result_file_that_is_not_ours_is_refused_not_overwritten() {
    let world = World::ok();
    let input = world.file("in.txt", "hello\n");
    let output = world.file("out.jsonl", "my notes\nmore notes\n");
    let run = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("line 1 is not a line claude-rs wrote"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "my notes\nmore notes\n"
    );
    assert_eq!(world.message_requests(), 0);
}

#[test]
fn stdin_that_cannot_be_kept_names_the_temporary_folder_not_stdin() {
    let world = World::ok();
    let missing = world.path("no-such-tmp");
    let run = run(
        &world,
        world
            .batch(&["-"])
            .env("TMPDIR", &missing)
            .write_stdin("one\ntwo\n"),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("in a temporary file under {missing}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("TMPDIR"), "{}", run.stderr);
    assert_eq!(world.message_requests(), 0);
}
