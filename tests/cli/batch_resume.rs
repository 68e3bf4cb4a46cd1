//! Nothing lost, nothing twice: a run killed with SIGKILL (even mid-write) or
//! stopped with Ctrl-C, then rerun with the same OUTPUT, ends with every id
//! exactly once; `--retry-errored` redoes the failures.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fake_api::MockConfig;

use crate::support::*;

/// The batch as a child process we can signal, with the test environment.
fn spawn_batch(world: &World, args: &[&str]) -> Child {
    let command = world.batch(args);
    let mut child = Command::new(command.get_program());
    child
        .args(command.get_args())
        .env_clear()
        .envs(
            command
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    child.spawn().expect("the batch starts")
}

fn lines_in(path: &str) -> usize {
    std::fs::read_to_string(path)
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

fn wait_for_lines(path: &str, at_least: usize) {
    let started = Instant::now();
    while lines_in(path) < at_least {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the batch did not write {at_least} results"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn slow_world() -> World {
    World::new(MockConfig {
        latency: Duration::from_millis(30),
        ..MockConfig::default()
    })
}

#[test]
fn killed_mid_run_and_rerun_every_id_appears_exactly_once() {
    let world = slow_world();
    let input = world.file("in.txt", &prompts(60));
    let output = world.path("out.jsonl");
    let mut child = spawn_batch(&world, &[&input, "-o", &output, "--jobs", "4"]);
    wait_for_lines(&output, 10);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let before = lines_in(&output);
    assert!(before < 60, "the kill came mid-run ({before} results)");
    // A write cut short by the kill: half a line, no newline.
    let mut text = std::fs::read_to_string(&output).unwrap();
    text.push_str("{\"custom_id\":\"59\",\"result\":{\"type\":\"succ");
    std::fs::write(&output, text).unwrap();

    let run = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--jobs", "4"]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("torn line"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("resuming: {before} requests are already in")),
        "{}",
        run.stderr
    );
    assert_all_succeeded_once(&read_results(&output), 60);
}

#[test]
fn a_rerun_of_a_finished_batch_sends_nothing() {
    let world = World::ok();
    let input = world.file("in.txt", &prompts(5));
    let output = world.path("out.jsonl");
    assert_eq!(
        run(&world, &mut world.batch(&[&input, "-o", &output])).code,
        0
    );
    let again = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(world.message_requests(), 5);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
    assert_eq!(lines_in(&output), 5);
}

#[test]
fn retry_errored_redoes_only_the_failures() {
    let world = World::steps("400");
    let input = world.file("in.txt", &prompts(4));
    let output = world.path("out.jsonl");
    let first = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(first.code, 9, "{}", first.stderr);
    assert!(
        first.stderr.contains("redo the errored items with:")
            && first.stderr.contains("--retry-errored"),
        "{}",
        first.stderr
    );
    let plain_rerun = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(plain_rerun.code, 9, "errored items are done unless asked");
    assert_eq!(world.message_requests(), 4);
    let retried = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--retry-errored"]),
    );
    assert_eq!(retried.code, 0, "{}", retried.stderr);
    assert_eq!(
        world.message_requests(),
        5,
        "only the errored item was sent again"
    );
    let results = read_results(&output);
    assert_eq!(result_ids(&results), numbered_ids(4));
    assert!(results.iter().all(|r| r["result"]["type"] == "succeeded"));
}

#[cfg(unix)]
#[test]
fn ctrl_c_lets_in_flight_items_finish_then_a_rerun_completes() {
    let world = slow_world();
    let input = world.file("in.txt", &prompts(80));
    let output = world.path("out.jsonl");
    let child = spawn_batch(&world, &[&input, "-o", &output, "--jobs", "4"]);
    wait_for_lines(&output, 8);
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: no new items start"),
        "{stderr}"
    );
    assert!(stderr.contains("batch interrupted"), "{stderr}");
    assert!(stderr.contains("finish it with:"), "{stderr}");
    let partial = read_results(&output);
    let ids = result_ids(&partial);
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique, "no id twice");
    assert!(partial.len() < 80, "it stopped early");
    let sent = world.message_requests();
    assert_eq!(
        sent,
        partial.len(),
        "every request sent was a finished item: in-flight ones were let finish"
    );

    let rerun = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--jobs", "4"]),
    );
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert_eq!(result_ids(&read_results(&output)), numbered_ids(80));
    assert_eq!(world.message_requests(), 80, "nothing was sent twice");
}

#[test]
fn a_second_run_on_the_same_output_is_refused_while_the_first_runs() {
    let world = slow_world();
    let input = world.file("in.txt", &prompts(40));
    let output = world.path("out.jsonl");
    let first = spawn_batch(&world, &[&input, "-o", &output, "--jobs", "2"]);
    wait_for_lines(&output, 2);
    let second = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains("is being written by another claude-rs batch"),
        "{}",
        second.stderr
    );
    let out = first.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_all_succeeded_once(&read_results(&output), 40);
    assert_eq!(world.message_requests(), 40, "the second run sent nothing");
}

#[cfg(unix)]
#[test]
fn a_second_ctrl_c_abandons_the_items_in_flight() {
    let world = World::new(MockConfig {
        then: fake_api::Step::Hang,
        ..MockConfig::default()
    });
    let input = world.file("in.txt", &prompts(5));
    let output = world.path("out.jsonl");
    let mut child = spawn_batch(&world, &[&input, "-o", &output, "--jobs", "2"]);
    let started = Instant::now();
    while world.message_requests() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no request was sent"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    interrupt(&child);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first Ctrl-C waits for the item in flight"
    );
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted again: abandoning the items in flight"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unfinished: 5 (left for a rerun)"),
        "{stderr}"
    );
    assert!(read_results(&output).is_empty());
    assert_eq!(
        world.message_requests(),
        1,
        "nothing new started after the first Ctrl-C"
    );
}

#[test]
fn retry_errored_leaves_the_errors_of_items_not_in_this_input() {
    let world = World::steps("400,400");
    let input = world.file("in.txt", &prompts(4));
    let output = world.path("out.jsonl");
    let first = run(
        &world,
        &mut world.batch(&[&input, "-o", &output, "--jobs", "1"]),
    );
    assert_eq!(first.code, 9, "{}", first.stderr);
    // Items 1 and 2 errored. A rerun with only item 2's line (still line 2).
    let part = world.file("part.txt", "\nprompt number 2\n");
    let retried = run(
        &world,
        &mut world.batch(&[&part, "-o", &output, "--retry-errored"]),
    );
    assert_eq!(retried.code, 0, "{}", retried.stderr);
    assert!(
        retried.stderr.contains("removed 1 errored line from"),
        "{}",
        retried.stderr
    );
    let results = read_results(&output);
    assert_eq!(
        result_ids(&results),
        numbered_ids(4),
        "item 1's error stays; nothing twice"
    );
    let one = results.iter().find(|r| r["custom_id"] == "1").unwrap();
    assert_eq!(one["result"]["type"], "errored");
    let two = results.iter().find(|r| r["custom_id"] == "2").unwrap();
    assert_eq!(two["result"]["type"], "succeeded");
}

#[test]
fn a_local_run_refuses_an_output_whose_message_batches_are_still_out() {
    let world = World::ok();
    let input = world.file("in.txt", &prompts(2));
    let output = world.path("out.jsonl");
    world.file(
        "out.jsonl.batches",
        "{\"event\":\"submitted\",\"ts\":\"2026-11-26T01:57:56.201Z\",\"batch_id\":\"msgbatch_1\",\"created_at\":\"2026-11-26T01:57:56Z\",\"requests\":2,\"custom_ids\":[\"1\",\"2\"]}\n",
    );
    let run = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not downloaded yet"), "{}", run.stderr);
    assert!(run.stderr.contains("--remote"), "{}", run.stderr);
    assert_eq!(world.message_requests(), 0);
}

#[cfg(unix)]
#[test]
fn sigterm_and_sighup_stop_a_batch_as_ctrl_c_does_with_their_own_exit_codes() {
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let world = slow_world();
        let input = world.file("in.txt", &prompts(80));
        let output = world.path("out.jsonl");
        let child = spawn_batch(&world, &[&input, "-o", &output, "--jobs", "4"]);
        wait_for_lines(&output, 8);
        send_signal(&child, signal);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {stderr}");
        assert!(
            stderr.contains(&format!("SIG{signal}: no new items start")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("batch stopped by SIG{signal}:")),
            "{stderr}"
        );
        let partial = read_results(&output);
        assert!(partial.len() < 80, "it stopped early");
        assert_eq!(
            world.message_requests(),
            partial.len(),
            "in-flight items were let finish and written"
        );
        let left = 80 - partial.len();
        assert!(
            stderr.contains(&format!("unfinished: {left} (left for a rerun)")),
            "{stderr}"
        );
        assert!(
            stderr.contains("next:       finish it with: ") && stderr.contains("--jobs 4"),
            "{stderr}"
        );
        let batch = &world.log_events("batch")[0];
        assert_eq!(batch["outcome"], "interrupted");
        assert_eq!(batch["succeeded"], partial.len());
        assert_eq!(batch["unfinished"], left);
    }
}

#[cfg(unix)]
#[test]
fn stdout_closed_with_items_unfinished_exits_10_not_0() {
    use std::io::BufRead;
    let world = slow_world();
    let input = world.file("in.txt", &prompts(200));
    let mut child = spawn_batch(&world, &[&input, "--jobs", "2"]);
    // `| head -1`: one line read, then the pipe closed.
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"custom_id\""), "{first}");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(10), "{stderr}");
    assert!(
        stderr.contains("batch stopped: stdout was closed by its reader"),
        "{stderr}"
    );
    assert!(stderr.contains("(left for a rerun)"), "{stderr}");
    assert!(
        stderr.contains("write the results to a file with -o OUTPUT"),
        "{stderr}"
    );
    let batch = &world.log_events("batch")[0];
    assert_eq!(batch["outcome"], "output_closed");
    assert!(batch["unfinished"].as_u64().unwrap() > 0, "{batch}");
}
