//! `--schema`: checked before sending, sent as structured outputs where the
//! model takes them, every reply validated locally, a bad reply retried with
//! its errors shown to the model.

use fake_api::{MockConfig, Step};
use serde_json::{Value, json};

use crate::support::{World, ask, read_results, run};

/// Orders whose items each need a price of at least 0.
const ORDERS: &str = r#"{"type": "object", "properties": {"items": {"type": "array",
    "items": {"type": "object", "properties": {"price": {"type": "number", "minimum": 0}},
    "required": ["price"]}}}, "required": ["items"]}"#;
/// Fails ORDERS at /items/2/price.
const BAD_ORDER: &str = r#"{"items": [{"price": 1}, {"price": 2}, {"price": -1}]}"#;

fn sent_schema(body: &Value) -> &Value {
    &body["output_config"]["format"]["schema"]
}

#[test]
fn an_inline_schema_is_sent_transformed_and_the_reply_validated() {
    let world = World::ok();
    let schema = r#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "properties": {"qty": {"type": "integer", "maximum": 10}, "tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["qty", "tags"]}"#;
    let run = ask(&world, &["--schema", schema, "Count them"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "{\"qty\":0,\"tags\":[]}\n");
    let bodies = world.message_bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["output_config"]["format"]["type"], "json_schema");
    assert_eq!(
        sent_schema(&bodies[0]),
        &json!({"type": "object", "additionalProperties": false, "required": ["qty", "tags"],
            "properties": {"qty": {"type": "integer", "description": "{maximum: 10}"},
                "tags": {"type": "array", "items": {"type": "string"}}}})
    );
    let models: Vec<String> = world
        .server
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert!(
        models.contains(&"/v1/models/claude-sonnet-5-5".to_string()),
        "{models:?}"
    );
}

#[test]
fn a_schema_file_that_is_not_an_object_is_wrapped_and_unwrapped() {
    let world = World::ok();
    let path = world.file(
        "list.json",
        r#"{"type": "array", "items": {"type": "integer"}, "minItems": 1}"#,
    );
    let run = ask(&world, &["--schema", &path, "--json", "Numbers"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(line["data"], json!([0]));
    let sent = sent_schema(&world.message_bodies()[0]).clone();
    assert_eq!(sent["required"], json!(["value"]));
    assert_eq!(sent["additionalProperties"], false);
    assert_eq!(
        sent["properties"]["value"],
        json!({"type": "array", "items": {"type": "integer"}, "minItems": 1})
    );
}

#[test]
fn a_bad_schema_is_refused_before_anything_is_sent() {
    let world = World::ok();
    let missing = world.path("missing.json");
    let not_json = world.file("broken.json", "{\n  \"type\": \"object\",\n}");
    for (schema, problem) in [
        (missing.as_str(), "cannot read the --schema file"),
        (not_json.as_str(), "is not JSON (line 3, column 1"),
        (
            r#"{"type": 12}"#,
            "the inline --schema is not a valid JSON Schema",
        ),
        (
            r#"{"$ref": "https://example.com/x.json"}"#,
            "not a valid JSON Schema",
        ),
    ] {
        let run = ask(&world, &["--schema", schema, "hi"]);
        assert_eq!(run.code, 2, "{schema}: {}", run.stderr);
        assert!(run.stderr.contains(problem), "{schema}: {}", run.stderr);
        assert!(
            run.stderr.contains("give --schema a JSON Schema")
                || run.stderr.contains("fix the schema"),
            "{}",
            run.stderr
        );
    }
    let both = ask(&world, &["--schema", "{}", "--expect-json", "hi"]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    assert!(world.server.requests().is_empty());
}

#[test]
fn a_reply_that_fails_is_retried_with_its_errors_and_then_passes() {
    let world = World::scripted(vec![Step::Reply(BAD_ORDER.into()), Step::Ok]);
    let run = ask(&world, &["--schema", ORDERS, "Orders"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "{\"items\":[]}\n");
    assert!(
        run.stderr
            .contains("output_validation (schema_mismatch) · retry 1/"),
        "{}",
        run.stderr
    );
    let bodies = world.message_bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["messages"].as_array().unwrap().len(), 1);
    let retry = bodies[1]["messages"].as_array().unwrap();
    assert_eq!(retry.len(), 3);
    assert_eq!(retry[1], json!({"role": "assistant", "content": BAD_ORDER}));
    assert_eq!(retry[2]["role"], "user");
    let feedback = retry[2]["content"].as_str().unwrap();
    assert!(feedback.contains("/items/2/price: "), "{feedback}");
    assert_eq!(sent_schema(&bodies[1]), sent_schema(&bodies[0]));
}

#[test]
fn a_reply_that_always_fails_exits_8_naming_the_path() {
    let world = World::new(MockConfig {
        then: Step::Reply(BAD_ORDER.into()),
        ..MockConfig::default()
    });
    let run = ask(
        &world,
        &["--schema", ORDERS, "--max-retries", "2", "Orders"],
    );
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert_eq!(world.message_requests(), 3);
    assert!(
        run.stderr.contains("error: output_validation"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("does not match --schema: /items/2/price: "),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    let attempts = world.log_events("attempt");
    assert_eq!(attempts.len(), 3);
    let logged = attempts[0]["message"].as_str().unwrap();
    assert!(logged.contains("/items/2/price"), "{logged}");
}

#[test]
fn a_reply_cut_at_max_tokens_is_not_retried() {
    let world = World::new(MockConfig {
        then: Step::Reply(r#"{"items": [{"price": 1}, {"price": 2}]}"#.into()),
        ..MockConfig::default()
    });
    let run = ask(&world, &["--schema", ORDERS, "--max-tokens", "2", "Orders"]);
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert_eq!(world.message_requests(), 1);
    assert!(
        run.stderr.contains("stopped at max_tokens"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_model_without_structured_outputs_gets_the_schema_in_the_system_prompt() {
    let world = World::new(MockConfig {
        script: vec![
            Step::Reply(BAD_ORDER.into()),
            Step::Reply(r#"{"items": [{"price": 3}]}"#.into()),
        ],
        without_structured_outputs: vec!["claude-opus-4-6".into()],
        ..MockConfig::default()
    });
    let run = ask(
        &world,
        &["--schema", ORDERS, "--model", "claude-opus-4-6", "Orders"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "{\"items\":[{\"price\":3}]}\n");
    let bodies = world.message_bodies();
    assert_eq!(bodies.len(), 2, "the bad reply was caught locally");
    for body in &bodies {
        assert!(body.get("output_config").is_none(), "{body}");
        let system = body["system"].as_str().unwrap();
        assert!(
            system.starts_with("Reply with only a JSON value that conforms to this JSON Schema"),
            "{system}"
        );
        assert!(system.contains("\"minimum\":0"), "{system}");
    }
}

#[test]
fn choices_are_sent_as_an_enum_where_the_model_takes_structured_outputs() {
    let world = World::ok();
    let run = ask(&world, &["--choices", "yes,no", "Is it?"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "yes\n");
    assert_eq!(
        sent_schema(&world.message_bodies()[0]),
        &json!({"type": "object", "additionalProperties": false, "required": ["value"],
            "properties": {"value": {"type": "string", "enum": ["yes", "no"]}}})
    );
}

#[test]
fn batch_result_lines_carry_the_parsed_reply() {
    let world = World::ok();
    let input = world.file("in.txt", "first\nsecond\n");
    for (flags, parsed) in [
        (vec!["--schema", ORDERS], json!({"items": []})),
        (vec!["--choices", "no,yes"], json!("no")),
    ] {
        let output = world.path(&format!("out-{}.jsonl", flags[0].trim_start_matches('-')));
        let mut args = vec![input.as_str(), "-o", output.as_str()];
        args.extend(&flags);
        let run = run(&world, &mut world.batch(&args));
        assert_eq!(run.code, 0, "{}", run.stderr);
        let results = read_results(&output);
        assert_eq!(results.len(), 2);
        for line in &results {
            assert_eq!(line["result"]["type"], "succeeded");
            assert_eq!(line["parsed"], parsed, "{line}");
            let text = line["result"]["message"]["content"][0]["text"]
                .as_str()
                .unwrap();
            assert!(text.starts_with('{'), "the message stays exact: {text}");
        }
    }
    // One look at the model's facts, not one per item: the second run finds
    // them in the cache folder.
    let looks = world
        .server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1/models/"))
        .count();
    assert_eq!(looks, 1);
}

#[test]
fn batch_without_a_check_has_no_parsed_field() {
    let world = World::ok();
    let input = world.file("in.txt", "first\n");
    let output = world.path("out.jsonl");
    let run = run(&world, &mut world.batch(&[&input, "-o", &output]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(read_results(&output)[0].get("parsed").is_none());
    assert!(
        world
            .server
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/v1/models/"))
    );
}
