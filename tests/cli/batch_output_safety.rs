//! OUTPUT never destroys what it did not write: a file that is not ours, the
//! input itself, anything but a regular file is refused (exit 2) before
//! anything is sent, and left as it was. A BOM is not part of a first line.
//! A result is reused only for the request it answers.

use crate::support::*;

/// Runs the batch and checks the refusal: exit 2, the wording, nothing sent.
fn refused(world: &World, args: &[&str], wording: &[&str]) -> Run {
    let out = run(world, &mut world.batch(args));
    assert_eq!(out.code, 2, "{}", out.stderr);
    for words in wording {
        assert!(out.stderr.contains(words), "{words}:\n{}", out.stderr);
    }
    assert_eq!(world.server.requests().len(), 0, "nothing is sent");
    out
}

#[test]
fn a_file_that_is_not_result_lines_is_refused_and_left_byte_identical() {
    let world = World::ok();
    let input = world.file("in.txt", &prompts(2));
    // One line without its newline that is not a torn result line, a JSON
    // object of another shape, and a whole file of notes.
    for (name, text) in [
        ("notes.txt", "my notes, not results"),
        ("other.json", "{\"id\":1,\"text\":\"mine\"}"),
        ("list.txt", "first\nsecond\n"),
    ] {
        let output = world.file(name, text);
        for remote in [false, true] {
            let mut args = vec![input.as_str(), "-o", output.as_str()];
            if remote {
                args.push("--remote");
            }
            refused(
                &world,
                &args,
                &[
                    &format!("OUTPUT {output} line 1 is not a line claude-rs wrote"),
                    "nothing was changed",
                    "give -o a new path, or move that file away",
                ],
            );
            assert_eq!(std::fs::read_to_string(&output).unwrap(), text);
        }
    }
}

#[test]
fn a_torn_result_line_is_still_repaired() {
    let world = World::ok();
    let input = world.file("in.txt", &prompts(2));
    let output = world.file(
        "out.jsonl",
        "{\"custom_id\":\"1\",\"request_fingerprint\":\"0",
    );
    let out = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("ended in a torn line (41 bytes)"),
        "{}",
        out.stderr
    );
    assert_all_succeeded_once(&read_results(&output), 2);
}

#[test]
fn output_that_is_the_input_however_linked_is_refused() {
    let world = World::ok();
    let text = prompts(2);
    let input = world.file("in.txt", &text);
    let hard = world.path("hard.txt");
    std::fs::hard_link(&input, &hard).unwrap();
    let soft = world.path("soft.txt");
    std::os::unix::fs::symlink(&input, &soft).unwrap();
    for output in [&input, &hard, &soft] {
        refused(
            &world,
            &[&input, "-o", output],
            &[
                &format!("OUTPUT {output} is INPUT {input} itself"),
                "give -o a path of its own for the results",
            ],
        );
        assert_eq!(std::fs::read_to_string(&input).unwrap(), text);
    }
}

#[test]
fn output_that_is_not_a_regular_file_is_refused_and_stdout_is_named() {
    let world = World::ok();
    let input = world.file("in.txt", &prompts(2));
    let fifo = world.path("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let folder = world.dir.path().to_string_lossy().into_owned();
    for (output, kind) in [
        ("/dev/full", "not a regular file"),
        ("/dev/null", "not a regular file"),
        (fifo.as_str(), "not a regular file"),
        (folder.as_str(), "a directory"),
    ] {
        refused(
            &world,
            &[&input, "-o", output],
            &[
                &format!("OUTPUT {output} is {kind}"),
                "without -o the results go to stdout",
            ],
        );
    }
}

#[test]
fn a_bom_is_not_part_of_the_first_line_of_input_or_output() {
    let world = World::ok();
    let input = world.file(
        "in.jsonl",
        "\u{feff}{\"custom_id\":\"first\",\"prompt\":\"hi\"}\n{\"custom_id\":\"second\",\"prompt\":\"yo\"}\n",
    );
    let output = world.path("out.jsonl");
    let out = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Requests may reach the server in either order: what matters is that
    // the first line was read as the JSON it is, not as a plain-text prompt.
    let ids = result_ids(&read_results(&output));
    assert_eq!(ids, ["first", "second"]);
    let prompts: Vec<_> = world
        .message_bodies()
        .iter()
        .map(|body| body["messages"][0]["content"].clone())
        .collect();
    assert!(prompts.contains(&"hi".into()), "{prompts:?}");
    // The same OUTPUT, now with a BOM an editor added: both ids are done.
    let text = std::fs::read_to_string(&output).unwrap();
    std::fs::write(&output, format!("\u{feff}{text}")).unwrap();
    let again = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
    assert_eq!(world.message_requests(), 2);
}

#[test]
fn a_changed_request_is_never_answered_with_the_old_result() {
    let world = World::ok();
    let output = world.path("out.jsonl");
    // The nightly pattern: plain-text lines, whose ids are their line numbers.
    let monday = world.file("monday.txt", "What is 1+1?\nWhat is 2+2?\n");
    let first = run(&world, &mut world.batch(&[&monday, "-o", &output]));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let results = read_results(&output);
    let fingerprint = results[0]["request_fingerprint"].as_str().unwrap();
    assert_eq!(fingerprint.len(), 16, "{fingerprint}");
    assert!(fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
    let before = std::fs::read(&output).unwrap();
    let tuesday = world.file("tuesday.txt", "What is 1+1?\nWhat is 3+3?\n");
    let out = run(&world, &mut world.batch(&[&tuesday, "-o", &output]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "OUTPUT {output} answers custom_id \"2\" for a different request than line 2 of {tuesday} makes"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("give this input a new -o"),
        "{}",
        out.stderr
    );
    assert_eq!(world.message_requests(), 2, "nothing more is sent");
    assert_eq!(std::fs::read(&output).unwrap(), before);
    // The same input again, and a different -o, both go on.
    let same = run(&world, &mut world.batch(&[&monday, "-o", &output]));
    assert_eq!(same.code, 0, "{}", same.stderr);
    let fresh = world.path("tuesday.jsonl");
    let new = run(&world, &mut world.batch(&[&tuesday, "-o", &fresh]));
    assert_eq!(new.code, 0, "{}", new.stderr);
}

#[test]
fn a_result_line_of_an_earlier_version_without_a_fingerprint_still_resumes() {
    let world = World::ok();
    let input = world.file("in.txt", "one\ntwo\n");
    let output = world.file(
        "out.jsonl",
        "{\"custom_id\":\"1\",\"result\":{\"type\":\"succeeded\",\"message\":{}}}\n",
    );
    let out = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("resuming: 1 request is already in"),
        "{}",
        out.stderr
    );
    assert_eq!(world.message_requests(), 1);
    assert_eq!(result_ids(&read_results(&output)), ["1", "2"]);
}
