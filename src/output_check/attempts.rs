//! One call's attempts under an output check, alike for `ask` and a batch's
//! items: the request each attempt sends (the schema as structured outputs,
//! or in the system prompt when the model has none), and what each reply
//! holds. A reply that fails the check is shown back to the model, with what
//! was wrong, in the retry's request.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use super::{Expectation, check_reply};
use crate::api::{Client, MessageParams, Reply, model_facts};
use crate::cache::ModelCache;
use crate::resilience::{Category, Cause, Failure};

pub struct Attempts<'a> {
    /// The call's own request, before the check's changes.
    base: &'a MessageParams,
    expectation: Option<&'a Expectation>,
    params: Cow<'a, MessageParams>,
    /// The answer was asked for as `{"value": …}`.
    wrapped: bool,
    /// After a reply that failed the check: the request with that reply and
    /// its errors as two more turns (only the latest, so it stays small).
    retry: Option<MessageParams>,
}

impl<'a> Attempts<'a> {
    /// `structured` is asked only when the check has a schema to send.
    pub fn new(
        params: &'a MessageParams,
        expectation: Option<&'a Expectation>,
        structured: impl FnOnce() -> bool,
    ) -> Attempts<'a> {
        Attempts::build(params, Cow::Borrowed(params), expectation, structured)
    }

    /// The same call on another model (`--fallback-model`), afresh: the
    /// feedback of the first model's replies is not the second's.
    pub fn on_model(&self, model: &str, structured: impl FnOnce() -> bool) -> Attempts<'a> {
        let params = Cow::Owned(self.base.with_model(model));
        Attempts::build(self.base, params, self.expectation, structured)
    }

    fn build(
        base: &'a MessageParams,
        params: Cow<'a, MessageParams>,
        expectation: Option<&'a Expectation>,
        structured: impl FnOnce() -> bool,
    ) -> Attempts<'a> {
        let mut attempts = Attempts {
            base,
            expectation,
            params,
            wrapped: false,
            retry: None,
        };
        let Some(expectation) = expectation else {
            return attempts;
        };
        let mut map = attempts.params.as_map().clone();
        match (expectation.wire_schema(), expectation) {
            (Some((schema, wrapped)), _) if structured() => {
                let format = json!({"type": "json_schema", "schema": schema});
                let config = map.entry("output_config").or_insert_with(|| json!({}));
                if let Some(config) = config.as_object_mut() {
                    // A batch line's own format wins.
                    config.entry("format").or_insert(format);
                }
                attempts.wrapped = wrapped;
            }
            (_, Expectation::Schema(schema)) => {
                let instruction = format!(
                    "Reply with only a JSON value that conforms to this JSON Schema, and no other text:\n{}",
                    schema.original
                );
                add_to_system(&mut map, instruction);
            }
            _ => return attempts,
        }
        attempts.params = Cow::Owned(MessageParams::from_map(map));
        attempts
    }

    /// The request of the next attempt.
    pub fn params(&self) -> &MessageParams {
        self.retry.as_ref().unwrap_or(&self.params)
    }

    /// What the reply holds, as `check_reply` says; a reply that failed the
    /// check (and may be mended) makes the next request carry it and why.
    pub fn check(&mut self, reply: &Reply) -> Result<Value, Failure> {
        let checked = check_reply(reply, self.expectation, self.wrapped);
        if let Err(failure) = &checked
            && failure.category == Category::OutputValidation
            && failure.cause != Some(Cause::CutAtMaxTokens)
        {
            self.retry = Some(with_feedback(
                &self.params,
                &reply.message.text(),
                &failure.message,
            ));
        }
        checked
    }
}

/// `params` with the bad reply as the assistant's turn and a user turn
/// saying what was wrong (the failure message: bounded in length).
fn with_feedback(params: &MessageParams, reply: &str, problem: &str) -> MessageParams {
    let mut map = params.as_map().clone();
    let mut turns = Vec::new();
    // The API refuses an empty text turn.
    if !reply.trim().is_empty() {
        turns.push(json!({"role": "assistant", "content": reply}));
    }
    turns.push(json!({"role": "user", "content": format!(
        "That reply failed the check: {problem}. Reply again with only the corrected answer."
    )}));
    if let Some(Value::Array(messages)) = map.get_mut("messages") {
        messages.extend(turns);
    }
    MessageParams::from_map(map)
}

/// The system prompt, a string or a list of blocks, with `text` after it.
fn add_to_system(map: &mut Map<String, Value>, text: String) {
    match map.get_mut("system") {
        Some(Value::String(system)) => *system = format!("{system}\n\n{text}"),
        Some(Value::Array(blocks)) => blocks.push(json!({"type": "text", "text": text})),
        _ => {
            map.insert("system".into(), text.into());
        }
    }
}

/// Whether each model takes structured outputs, asked of the Models API once
/// per model and run (and kept a day in the cache folder, when there is one).
pub struct Capabilities {
    cache: Option<ModelCache>,
    known: Mutex<HashMap<String, bool>>,
}

impl Capabilities {
    pub fn new(cache_dir: Option<PathBuf>) -> Capabilities {
        Capabilities {
            cache: cache_dir.map(ModelCache::new),
            known: Mutex::new(HashMap::new()),
        }
    }

    /// Unknown facts count as no: the schema then goes in the system prompt,
    /// which every model takes.
    pub fn structured_outputs(&self, client: &Client, model: &str) -> bool {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        *known.entry(model.to_string()).or_insert_with(|| {
            model_facts::lookup(client, self.cache.as_ref(), model)
                .capabilities
                .iter()
                .any(|name| name == "structured_outputs")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Message;

    fn reply(text: &str) -> Reply {
        let message: Message = serde_json::from_value(
            json!({"id": "m", "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": null}),
        )
        .unwrap();
        Reply {
            message,
            request_id: None,
            rate_limits: Vec::new(),
        }
    }

    fn params() -> MessageParams {
        let map = json!({"model": "m", "max_tokens": 5, "system": "Be brief.",
            "messages": [{"role": "user", "content": "List"}]});
        MessageParams::from_map(map.as_object().unwrap().clone())
    }

    #[test]
    fn a_schema_goes_as_structured_outputs_or_in_the_system_prompt() {
        let schema = Expectation::Schema(Box::new(
            super::super::Schema::parse(br#"{"type": "array", "items": {"type": "integer"}}"#, "x")
                .unwrap(),
        ));
        let params = params();
        let structured = Attempts::new(&params, Some(&schema), || true);
        let sent = structured.params().as_map();
        assert_eq!(
            sent["output_config"]["format"]["schema"]["properties"]["value"]["type"],
            "array"
        );
        assert_eq!(sent["system"], "Be brief.");
        let plain = Attempts::new(&params, Some(&schema), || false);
        let sent = plain.params().as_map();
        assert!(sent.get("output_config").is_none());
        assert!(
            sent["system"]
                .as_str()
                .unwrap()
                .starts_with("Be brief.\n\nReply with only a JSON value")
        );
        let json = Expectation::Json;
        let untouched = Attempts::new(&params, Some(&json), || panic!("not asked"));
        assert_eq!(untouched.params(), &params);
    }

    #[test]
    fn a_failed_reply_and_its_errors_go_in_the_retry() {
        let schema = Expectation::Schema(Box::new(
            super::super::Schema::parse(br#"{"type": "array", "items": {"type": "integer"}}"#, "x")
                .unwrap(),
        ));
        let params = params();
        let mut attempts = Attempts::new(&params, Some(&schema), || true);
        let failure = attempts
            .check(&reply(r#"{"value": [1, "x"]}"#))
            .unwrap_err();
        assert!(failure.message.contains("/1: "), "{}", failure.message);
        let messages = attempts.params().as_map()["messages"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[1]["content"], r#"{"value": [1, "x"]}"#);
        assert!(messages[2]["content"].as_str().unwrap().contains("/1: "));
        // A second failure replaces the first feedback rather than piling up.
        attempts.check(&reply("nope")).unwrap_err();
        assert_eq!(
            attempts.params().as_map()["messages"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        assert_eq!(
            attempts.check(&reply(r#"{"value": [1, 2]}"#)).unwrap(),
            json!([1, 2])
        );
    }
}
