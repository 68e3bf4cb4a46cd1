//! One line of batch input → one request, or the reason it is not one.
//! Three forms, in any mix: the Message Batches request line
//! `{"custom_id","params"}`, a short line `{"custom_id","prompt",…}`, and
//! plain text (its id is its line number). Pure functions, so every rule is
//! unit-tested without a file.

use serde_json::{Map, Value};

use super::ids::fingerprint;
use crate::api::MessageParams;
use crate::api::models::{malformed_model_id, max_output_tokens};
use crate::api::types::MAX_REQUEST_BYTES;
use crate::config::RequestDefaults;

/// What a short line may carry besides `custom_id` and `prompt`.
const SHORT_FORM_FIELDS: &[&str] = &["system", "model", "max_tokens", "temperature"];

/// One request, ready to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// 1-based line number in the input.
    pub line: u64,
    pub custom_id: String,
    pub params: MessageParams,
    /// Of the request body as sent (`ids::fingerprint`), for its result line.
    pub fingerprint: u64,
}

/// Why a line is not a request.
#[derive(Clone, Debug, PartialEq)]
pub struct LineError {
    pub line: u64,
    /// The line's own id when it has a usable one.
    pub custom_id: Option<String>,
    pub problem: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    Blank,
    Item(Item),
    Invalid(LineError),
}

/// The Message Batches API's rule for ids: `^[a-zA-Z0-9_-]{1,64}$`.
pub fn valid_custom_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Reads one line (without its line ending).
pub fn parse_line(line: u64, text: &str, defaults: &RequestDefaults) -> Line {
    let text = text.trim();
    if text.is_empty() {
        return Line::Blank;
    }
    let parsed = if text.starts_with('{') {
        parse_json_line(text, defaults)
    } else {
        let params = MessageParams::for_prompt(defaults, text);
        Ok((line.to_string(), params))
    };
    // The body is made once, here: it is measured and fingerprinted.
    let checked = parsed.and_then(|(custom_id, params)| {
        let body = params.to_body(true);
        match check_size(body.len()) {
            Ok(()) => Ok((custom_id, params, fingerprint(&body))),
            Err(problem) => Err((Some(custom_id), problem)),
        }
    });
    match checked {
        Ok((custom_id, params, fingerprint)) => Line::Item(Item {
            line,
            custom_id,
            params,
            fingerprint,
        }),
        Err((custom_id, problem)) => Line::Invalid(LineError {
            line,
            custom_id,
            problem,
        }),
    }
}

type Parsed = Result<(String, MessageParams), (Option<String>, String)>;

fn parse_json_line(text: &str, defaults: &RequestDefaults) -> Parsed {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        (
            None,
            format!("not valid JSON ({e}); a line starting with {{ must be one JSON object"),
        )
    })?;
    let Value::Object(mut object) = value else {
        return Err((None, "not a JSON object".into()));
    };
    let custom_id = take_custom_id(&mut object)?;
    let with_id = |problem: String| (Some(custom_id.clone()), problem);
    let params = match (object.remove("params"), object.contains_key("prompt")) {
        (Some(_), true) => {
            return Err(with_id(
                "has both params and prompt: give one (params is the Message Batches form, prompt the short form)".into(),
            ));
        }
        (Some(params), false) => {
            reject_unknown(
                &object,
                &[],
                "a Message Batches line has custom_id and params",
            )
            .map_err(with_id)?;
            full_form(params, defaults).map_err(with_id)?
        }
        (None, true) => short_form(object, defaults).map_err(with_id)?,
        (None, false) => {
            return Err(with_id(
                "has neither params (the Message Batches form) nor prompt (the short form)".into(),
            ));
        }
    };
    Ok((custom_id, params))
}

fn take_custom_id(object: &mut Map<String, Value>) -> Result<String, (Option<String>, String)> {
    match object.remove("custom_id") {
        None => Err((None, "custom_id is missing".into())),
        Some(Value::String(id)) if valid_custom_id(&id) => Ok(id),
        Some(Value::String(id)) => Err((
            None,
            format!(
                "custom_id {} must be 1 to 64 letters, digits, '-' or '_'",
                Value::String(id)
            ),
        )),
        Some(other) => Err((
            None,
            format!("custom_id must be a string, not {}", json_kind(&other)),
        )),
    }
}

/// An unknown field is most often a typo (`promt`): better refused than ignored.
fn reject_unknown(object: &Map<String, Value>, allowed: &[&str], form: &str) -> Result<(), String> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(format!(
            "unknown field {} ({form})",
            Value::String(key.clone())
        )),
    }
}

/// `{"custom_id","params":{…Messages API params…}}`: params pass through
/// untouched, with the flags' defaults for what they leave out.
fn full_form(params: Value, defaults: &RequestDefaults) -> Result<MessageParams, String> {
    let Value::Object(mut map) = params else {
        return Err(format!(
            "params must be an object of Messages API parameters, not {}",
            json_kind(&params)
        ));
    };
    match map.get("messages") {
        None => return Err("params.messages is missing".into()),
        Some(Value::Array(messages)) if messages.is_empty() => {
            return Err("params.messages is empty: give at least one message".into());
        }
        Some(Value::Array(_)) => {}
        Some(other) => {
            return Err(format!(
                "params.messages must be a list of messages, not {}",
                json_kind(other)
            ));
        }
    }
    // We choose streaming on the wire ourselves.
    map.remove("stream");
    let mut params = MessageParams::from_map(map);
    check_model_and_tokens(params.as_map(), "params.")?;
    params.fill_defaults(defaults);
    check_max_tokens_for_model(&params, "params.")?;
    Ok(params)
}

/// `{"custom_id","prompt", optional "system","model","max_tokens","temperature"}`.
fn short_form(
    object: Map<String, Value>,
    defaults: &RequestDefaults,
) -> Result<MessageParams, String> {
    reject_unknown(
        &object,
        &["prompt", "system", "model", "max_tokens", "temperature"],
        "a short line has custom_id, prompt, and optionally system, model, max_tokens, temperature",
    )?;
    let prompt = match object.get("prompt") {
        Some(Value::String(prompt)) if !prompt.trim().is_empty() => prompt,
        Some(Value::String(_)) => return Err("prompt is empty".into()),
        Some(other) => {
            return Err(format!("prompt must be a string, not {}", json_kind(other)));
        }
        None => return Err("prompt is missing".into()),
    };
    if let Some(system) = object.get("system").filter(|s| !s.is_string()) {
        return Err(format!(
            "system must be a string, not {}",
            json_kind(system)
        ));
    }
    check_model_and_tokens(&object, "")?;
    let mut map = Map::new();
    map.insert(
        "messages".into(),
        serde_json::json!([{"role": "user", "content": prompt}]),
    );
    for field in SHORT_FORM_FIELDS {
        if let Some(value) = object.get(*field) {
            map.insert((*field).into(), value.clone());
        }
    }
    let mut params = MessageParams::from_map(map);
    params.fill_defaults(defaults);
    check_max_tokens_for_model(&params, "")?;
    Ok(params)
}

/// The fields the line gave itself, checked before defaults fill the rest.
fn check_model_and_tokens(map: &Map<String, Value>, prefix: &str) -> Result<(), String> {
    if let Some(model) = map.get("model") {
        let Some(model) = model.as_str() else {
            return Err(format!(
                "{prefix}model must be a string, not {}",
                json_kind(model)
            ));
        };
        if let Some(problem) = malformed_model_id(model) {
            return Err(format!(
                "{prefix}model '{model}' is not a model id: {problem}"
            ));
        }
    }
    if let Some(max_tokens) = map.get("max_tokens")
        && max_tokens.as_u64().is_none_or(|n| n == 0)
    {
        return Err(format!(
            "{prefix}max_tokens must be a whole number of 1 or more, not {max_tokens}"
        ));
    }
    if let Some(temperature) = map.get("temperature")
        && temperature
            .as_f64()
            .is_none_or(|t| !(0.0..=1.0).contains(&t))
    {
        return Err(format!(
            "{prefix}temperature must be a number from 0.0 to 1.0, not {temperature}"
        ));
    }
    Ok(())
}

fn check_max_tokens_for_model(params: &MessageParams, prefix: &str) -> Result<(), String> {
    let model = params.model();
    let max_tokens = params.as_map().get("max_tokens").and_then(Value::as_u64);
    match (max_tokens, max_output_tokens(model)) {
        (Some(asked), Some(limit)) if asked > u64::from(limit) => Err(format!(
            "{prefix}max_tokens {asked} is above {model}'s limit of {limit} output tokens"
        )),
        _ => Ok(()),
    }
}

fn check_size(bytes: usize) -> Result<(), String> {
    if bytes > MAX_REQUEST_BYTES {
        return Err(format!(
            "the request is {:.1} MB, over the API's 32 MB request limit",
            bytes as f64 / 1_048_576.0
        ));
    }
    Ok(())
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn defaults() -> RequestDefaults {
        RequestDefaults {
            model: "claude-sonnet-4-6".into(),
            system: Some("be brief".into()),
            max_tokens: 100,
            temperature: None,
        }
    }

    fn item(text: &str) -> Item {
        match parse_line(7, text, &defaults()) {
            Line::Item(item) => item,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn problem(text: &str) -> (Option<String>, String) {
        match parse_line(7, text, &defaults()) {
            Line::Invalid(error) => {
                assert_eq!(error.line, 7);
                (error.custom_id, error.problem)
            }
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn plain_text_is_a_prompt_whose_id_is_its_line_number() {
        let item = item("  Summarise Hamlet\r");
        assert_eq!(item.custom_id, "7");
        let map = item.params.as_map();
        assert_eq!(map["messages"][0]["content"], "Summarise Hamlet");
        assert_eq!(map["model"], "claude-sonnet-4-6");
        assert_eq!(map["max_tokens"], 100);
        assert_eq!(map["system"], "be brief");
        assert_eq!(parse_line(1, "   ", &defaults()), Line::Blank);
    }

    #[test]
    fn the_short_form_takes_its_own_settings_over_the_defaults() {
        let item = item(
            r#"{"custom_id":"q-1","prompt":"hi","model":"claude-haiku-4-5","max_tokens":5,"temperature":0.5}"#,
        );
        assert_eq!(item.custom_id, "q-1");
        let map = item.params.as_map();
        assert_eq!(map["model"], "claude-haiku-4-5");
        assert_eq!(map["max_tokens"], 5);
        assert_eq!(map["temperature"], 0.5);
        assert_eq!(map["system"], "be brief");
        assert_eq!(map["messages"][0]["content"], "hi");
    }

    #[test]
    fn the_batches_form_passes_params_through_and_fills_gaps() {
        let item = item(
            r#"{"custom_id":"a_b","params":{"messages":[{"role":"user","content":"x"}],"tools":[{"name":"t"}],"stream":true}}"#,
        );
        let map = item.params.as_map();
        assert_eq!(map["tools"][0]["name"], "t");
        assert_eq!(map["model"], "claude-sonnet-4-6");
        assert_eq!(map["max_tokens"], 100);
        assert!(!map.contains_key("stream"));
    }

    #[test]
    fn every_problem_is_named() {
        let cases = [
            (r#"{"custom_id":"a","prompt":"x""#, "not valid JSON"),
            (r#"{"prompt":"x"}"#, "custom_id is missing"),
            (
                r#"{"custom_id":7,"prompt":"x"}"#,
                "custom_id must be a string, not a number",
            ),
            (r#"{"custom_id":"a b","prompt":"x"}"#, "1 to 64 letters"),
            (r#"{"custom_id":"a"}"#, "neither params"),
            (
                r#"{"custom_id":"a","prompt":"x","params":{}}"#,
                "both params and prompt",
            ),
            (
                r#"{"custom_id":"a","promt":"x","prompt":"y"}"#,
                "unknown field \"promt\"",
            ),
            (
                r#"{"custom_id":"a","params":{"messages":[]}}"#,
                "params.messages is empty",
            ),
            (
                r#"{"custom_id":"a","params":{"model":"m"}}"#,
                "params.messages is missing",
            ),
            (
                r#"{"custom_id":"a","params":[]}"#,
                "params must be an object",
            ),
            (r#"{"custom_id":"a","prompt":""}"#, "prompt is empty"),
            (
                r#"{"custom_id":"a","prompt":["x"]}"#,
                "prompt must be a string",
            ),
            (
                r#"{"custom_id":"a","prompt":"x","max_tokens":0}"#,
                "max_tokens must be a whole number",
            ),
            (
                r#"{"custom_id":"a","prompt":"x","max_tokens":128001}"#,
                "above claude-sonnet-4-6's limit",
            ),
            (
                r#"{"custom_id":"a","prompt":"x","model":"claude sonnet"}"#,
                "is not a model id",
            ),
            (
                r#"{"custom_id":"a","prompt":"x","temperature":3}"#,
                "temperature must be",
            ),
            (
                r#"{"custom_id":"a","prompt":"x","system":1}"#,
                "system must be a string",
            ),
            (
                r#"{"custom_id":"a","params":{"messages":[{}]},"extra":1}"#,
                "unknown field \"extra\"",
            ),
        ];
        for (line, expected) in cases {
            let (_, found) = problem(line);
            assert!(found.contains(expected), "{line}: {found}");
        }
    }

    #[test]
    fn a_usable_id_is_kept_with_the_problem() {
        assert_eq!(
            problem(r#"{"custom_id":"keep","prompt":""}"#).0.as_deref(),
            Some("keep")
        );
        assert_eq!(problem(r#"{"custom_id":"bad id","prompt":"x"}"#).0, None);
    }

    #[test]
    fn ids_follow_the_batches_rule() {
        assert!(valid_custom_id("a"));
        assert!(valid_custom_id(&"x".repeat(64)));
        assert!(!valid_custom_id(&"x".repeat(65)));
        assert!(!valid_custom_id(""));
        assert!(!valid_custom_id("é"));
        assert!(!valid_custom_id("a.b"));
    }

    #[test]
    fn an_oversized_request_is_refused_before_sending() {
        let huge = "x".repeat(MAX_REQUEST_BYTES + 1);
        let (_, found) = problem(&huge);
        assert!(found.contains("32 MB"), "{found}");
    }

    /// JSON lines with hostile values in every field a line may carry.
    fn hostile_json() -> impl Strategy<Value = String> {
        let value = prop_oneof![
            any::<String>().prop_map(serde_json::Value::String),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            Just(serde_json::json!(null)),
            Just(serde_json::json!([])),
            Just(
                serde_json::json!({"messages": [{"role": "user", "content": "x"}], "max_tokens": 1e300})
            ),
        ];
        let key = prop::sample::select(vec![
            "custom_id",
            "prompt",
            "params",
            "model",
            "max_tokens",
            "temperature",
            "system",
            "x",
        ]);
        proptest::collection::btree_map(key, value, 0..6)
            .prop_map(|map| serde_json::to_string(&map).unwrap_or_default())
    }

    proptest! {
        #[test]
        fn any_line_is_a_request_a_blank_or_a_reason(
            number in any::<u64>(),
            text in prop_oneof![any::<String>(), hostile_json()],
        ) {
            match parse_line(number, &text, &defaults()) {
                Line::Item(item) => {
                    prop_assert!(valid_custom_id(&item.custom_id), "{}", item.custom_id);
                    prop_assert_eq!(item.fingerprint, fingerprint(&item.params.to_body(true)));
                    prop_assert_eq!(item.line, number);
                }
                Line::Invalid(error) => {
                    prop_assert_eq!(error.line, number);
                    if let Some(id) = &error.custom_id {
                        prop_assert!(valid_custom_id(id), "{}", id);
                    }
                }
                Line::Blank => prop_assert!(text.trim().is_empty()),
            }
        }
    }
}
