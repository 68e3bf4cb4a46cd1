//! `ask` in pipelines: `-` reads stdin in place, `--raw` prints exactly the
//! model's text, `--usage` adds tokens and an estimated cost on stderr.

use crate::support::*;

#[test]
fn a_dash_is_replaced_by_stdin_where_it_stands() {
    let world = World::ok();
    let run = run(
        &world,
        world
            .ask(&["Summarise:", "-", "(briefly)"])
            .write_stdin("the incident report"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let body = &world.message_bodies()[0];
    assert_eq!(
        body["messages"][0]["content"],
        "Summarise: the incident report (briefly)"
    );
}

#[test]
fn a_dash_with_empty_stdin_is_an_empty_prompt() {
    let world = World::ok();
    let run = run(&world, world.ask(&["-"]).write_stdin("  \n"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("the prompt is empty"), "{}", run.stderr);
    assert_eq!(world.message_requests(), 0);
}

#[test]
fn raw_prints_exactly_the_model_text() {
    let world = World::steps("reply=no newline \u{1b}[31mhere");
    let run = run(&world, world.ask(&["--raw", "hello"]).write_stdin(""));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout, "no newline \u{1b}[31mhere",
        "nothing added, nothing escaped"
    );
}

#[test]
fn raw_with_expect_json_prints_the_text_not_the_reserialised_json() {
    let world = World::steps("reply=```json\n{\"a\":  1}\n```");
    let run = run(&world, &mut world.ask(&["--raw", "--expect-json", "hello"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "```json\n{\"a\":  1}\n```");
}

#[test]
fn raw_and_json_cannot_be_combined() {
    let world = World::ok();
    let run = run(&world, &mut world.ask(&["--raw", "--json", "hello"]));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(world.message_requests(), 0);
}

#[test]
fn usage_prints_tokens_and_the_estimated_cost_on_stderr() {
    let world = World::ok();
    let run = run(
        &world,
        &mut world.ask(&["--usage", "-m", "claude-haiku-4-5", "hello"]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("Hello from the claude-rs fake API"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("usage:"),
        "usage goes to stderr, not into the data"
    );
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("usage: "))
        .unwrap_or_else(|| panic!("no usage line:\n{}", run.stderr));
    assert!(line.contains(" input + "), "{line}");
    assert!(
        line.contains("claude-haiku-4-5: $1 / $5 per million"),
        "{line}"
    );
    assert!(line.contains("≈ $0.0"), "{line}");
}

#[test]
fn usage_for_a_model_without_a_price_says_so() {
    let world = World::new(fake_api::MockConfig {
        models: vec!["claude-future-9".into()],
        ..fake_api::MockConfig::default()
    });
    let run = run(
        &world,
        &mut world.ask(&["--usage", "-m", "claude-future-9", "hello"]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("no price known for claude-future-9"),
        "{}",
        run.stderr
    );
}

#[test]
fn several_lines_of_stdin_in_place_of_a_dash_are_a_block_between_the_words() {
    let world = World::ok();
    let run = run(
        &world,
        world
            .ask(&["Review this:", "-", "Be brief."])
            .write_stdin("fn main() {\n    run();\n}\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sent = &world.message_bodies()[0]["messages"][0]["content"];
    assert_eq!(
        sent,
        "Review this:\n\nfn main() {\n    run();\n}\n\nBe brief."
    );
}

#[test]
fn a_dash_given_twice_is_refused_rather_than_sending_stdin_twice() {
    let world = World::ok();
    let run = run(&world, world.ask(&["-", "-"]).write_stdin("once"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("stdin can be read only once"),
        "{}",
        run.stderr
    );
    assert_eq!(world.message_requests(), 0);
}
