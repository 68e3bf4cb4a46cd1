//! Builds a whole `Message` from the Messages API's stream events, the way the
//! official SDKs accumulate them, and hands out text deltas as they arrive.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::sse::SseEvent;
use super::types::{Message, Usage};
use crate::api::transport::size_text;
use crate::resilience::classify::classify_stream_error;
use crate::resilience::{Category, Cause, Failure};

/// A whole reply, streamed or not: 128k output tokens are well under a MB of
/// text, and server tool results ride along; past this it is not a reply.
pub const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

pub struct StreamAssembler {
    message: Option<Message>,
    blocks: BTreeMap<usize, Block>,
    tool_input_json: BTreeMap<usize, String>,
    text: String,
    stopped: bool,
    /// Bytes of the events whose content is kept, against `limit`: a server
    /// that never stops sending deltas must not take all memory.
    kept: usize,
    limit: usize,
}

impl Default for StreamAssembler {
    fn default() -> StreamAssembler {
        StreamAssembler::new()
    }
}

impl StreamAssembler {
    pub fn new() -> StreamAssembler {
        StreamAssembler::with_limit(MAX_REPLY_BYTES)
    }

    /// An assembler that keeps at most `limit` bytes of events.
    pub fn with_limit(limit: usize) -> StreamAssembler {
        StreamAssembler {
            message: None,
            blocks: BTreeMap::new(),
            tool_input_json: BTreeMap::new(),
            text: String::new(),
            stopped: false,
            kept: 0,
            limit,
        }
    }

    /// All text received so far (what a cut stream leaves behind).
    pub fn text_so_far(&self) -> &str {
        &self.text
    }

    /// Whether `message_stop` arrived: nothing after it belongs to the reply.
    pub fn is_complete(&self) -> bool {
        self.stopped
    }

    /// Applies one event. Returns the new text, if the event carried any.
    pub fn apply(
        &mut self,
        event: &SseEvent,
        request_id: Option<&str>,
    ) -> Result<Option<String>, Failure> {
        if event.event == "error" {
            return Err(classify_stream_error(&event.data, request_id));
        }
        let data: Value = serde_json::from_str(&event.data).map_err(|e| {
            let clipped: String = event.data.chars().take(120).collect();
            let message = format!("a stream event's data is not JSON ({e}): {clipped}");
            invalid(message, request_id)
        })?;
        let kind = data["type"].as_str().unwrap_or(&event.event);
        if matches!(
            kind,
            "message_start" | "content_block_start" | "content_block_delta"
        ) {
            self.kept = self.kept.saturating_add(event.data.len());
            if self.kept > self.limit {
                let message = format!(
                    "the reply stream is over {}, more than any reply the API sends: reading stopped at that bound",
                    size_text(self.limit as u64)
                );
                return Err(invalid(message, request_id));
            }
        }
        match kind {
            "message_start" => {
                let problem = "message_start carried no readable message";
                let message = Message::deserialize(&data["message"]);
                self.message = Some(message.map_err(|_| invalid(problem, request_id))?);
            }
            "content_block_start" => {
                let block = Block::new(data["content_block"].clone());
                self.blocks.insert(index_of(&data), block);
            }
            "content_block_delta" => return Ok(self.apply_delta(&data)),
            "content_block_stop" => self.finish_tool_input(index_of(&data)),
            "message_delta" => self.apply_message_delta(&data),
            "message_stop" => self.stopped = true,
            // ping, and event types added to the API after this was written
            _ => {}
        }
        Ok(None)
    }

    fn apply_delta(&mut self, data: &Value) -> Option<String> {
        let index = index_of(data);
        let delta = data.get("delta")?;
        let block = self
            .blocks
            .entry(index)
            .or_insert_with(|| Block::new(serde_json::json!({"type": "text", "text": ""})));
        let piece = |field: &str| delta[field].as_str().unwrap_or("").to_string();
        let field = match delta["type"].as_str()? {
            "input_json_delta" => {
                let json = self.tool_input_json.entry(index).or_default();
                json.push_str(&piece("partial_json"));
                return None;
            }
            "text_delta" => "text",
            // A thinking block's text and signature grow the same way.
            "thinking_delta" => "thinking",
            "signature_delta" => "signature",
            _ => return None,
        };
        let text = piece(field);
        block.append(field, &text);
        (field == "text").then(|| {
            self.text.push_str(&text);
            text
        })
    }

    fn finish_tool_input(&mut self, index: usize) {
        let Some(json) = self.tool_input_json.remove(&index) else {
            return;
        };
        if let (Some(block), Ok(input)) = (
            self.blocks.get_mut(&index),
            serde_json::from_str::<Value>(&json),
        ) && let Some(object) = block.value.as_object_mut()
        {
            object.insert("input".into(), input);
        }
    }

    fn apply_message_delta(&mut self, data: &Value) {
        let Some(message) = self.message.as_mut() else {
            return;
        };
        let delta = &data["delta"];
        let text = |field: &str| delta[field].as_str().map(str::to_string);
        message.stop_reason = text("stop_reason").or(message.stop_reason.take());
        message.stop_sequence = text("stop_sequence").or(message.stop_sequence.take());
        if !delta["stop_details"].is_null() {
            message.stop_details = Some(delta["stop_details"].clone());
        }
        // The usage in message_delta is cumulative: its fields replace ours.
        if let Some(Value::Object(usage)) = data.get("usage") {
            merge_usage(&mut message.usage, usage);
        }
    }

    /// The finished message; a stream that ended without `message_stop` is incomplete.
    pub fn finish(&mut self, request_id: Option<&str>) -> Result<Message, Failure> {
        let Some(mut message) = self.message.take() else {
            let message = "the stream ended before message_start";
            return Err(broken(message, Cause::StreamIncomplete, request_id));
        };
        if !self.stopped {
            let message = "the stream ended before message_stop (the reply is incomplete)";
            return Err(broken(message, Cause::StreamIncomplete, request_id));
        }
        message.content = std::mem::take(&mut self.blocks)
            .into_values()
            .map(Block::finish)
            .collect();
        Ok(message.scrubbed())
    }
}

fn merge_usage(usage: &mut Usage, update: &serde_json::Map<String, Value>) {
    for (key, value) in update {
        match (key.as_str(), value.as_u64()) {
            ("input_tokens", Some(n)) => usage.input_tokens = n,
            ("output_tokens", Some(n)) => usage.output_tokens = n,
            // A count that is not a count (negative, fractional, text) is
            // dropped: kept in `other` it would be a second, clashing field
            // of the same name in the message written out.
            ("input_tokens" | "output_tokens", None) => {}
            _ if !value.is_null() => {
                usage.other.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
}

/// A content block as it streams in. Its text fields grow in `String`s of
/// their own and join the JSON only at the end: rebuilding the JSON string on
/// every delta made a long reply cost the square of its length.
struct Block {
    value: Value,
    /// Text appended to each field, in the order the fields first grew.
    appended: Vec<(&'static str, String)>,
}

impl Block {
    fn new(value: Value) -> Block {
        Block {
            value,
            appended: Vec::new(),
        }
    }

    fn append(&mut self, field: &'static str, text: &str) {
        match self.appended.iter_mut().find(|(name, _)| *name == field) {
            Some((_, grown)) => grown.push_str(text),
            None => self.appended.push((field, text.to_string())),
        }
    }

    /// The block's JSON with everything appended; a block that is not an
    /// object keeps what it was, as before.
    fn finish(self) -> Value {
        let mut value = self.value;
        if let Some(object) = value.as_object_mut() {
            for (field, grown) in self.appended {
                let sent = object.get(field).and_then(Value::as_str).unwrap_or("");
                let text = format!("{sent}{grown}");
                object.insert(field.into(), Value::String(text));
            }
        }
        value
    }
}

fn index_of(data: &Value) -> usize {
    data["index"].as_u64().unwrap_or(0) as usize
}

fn invalid(message: impl Into<String>, request_id: Option<&str>) -> Failure {
    broken(message, Cause::UnreadableBody, request_id)
}

fn broken(message: impl Into<String>, cause: Cause, request_id: Option<&str>) -> Failure {
    let mut failure = Failure::new(Category::InvalidResponse, message).with_cause(cause);
    failure.request_id = request_id.map(str::to_string);
    failure
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, data: &str) -> SseEvent {
        SseEvent {
            event: name.into(),
            data: data.into(),
        }
    }

    fn start() -> SseEvent {
        event(
            "message_start",
            r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":7,"output_tokens":1}}}"#,
        )
    }

    fn text_delta(text: &str) -> SseEvent {
        event(
            "content_block_delta",
            &serde_json::json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":text}}).to_string(),
        )
    }

    #[test]
    fn assembles_a_whole_message() {
        let mut assembler = StreamAssembler::new();
        let events = [
            start(),
            event(
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            ),
            event("ping", r#"{"type": "ping"}"#),
            text_delta("Hello"),
            text_delta(", world"),
            event(
                "content_block_stop",
                r#"{"type":"content_block_stop","index":0}"#,
            ),
            event("brand_new_event", r#"{"type":"brand_new_event"}"#),
            event(
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":12}}"#,
            ),
            event("message_stop", r#"{"type":"message_stop"}"#),
        ];
        let mut shown = String::new();
        for e in &events {
            if let Some(text) = assembler.apply(e, None).unwrap() {
                shown.push_str(&text);
            }
        }
        assert_eq!(shown, "Hello, world");
        let message = assembler.finish(None).unwrap();
        assert_eq!(message.text(), "Hello, world");
        assert_eq!(message.stop_reason.as_deref(), Some("max_tokens"));
        assert_eq!(message.usage.input_tokens, 7);
        assert_eq!(message.usage.output_tokens, 12);
    }

    #[test]
    fn tool_input_json_is_parsed_at_block_stop() {
        let mut assembler = StreamAssembler::new();
        assembler.apply(&start(), None).unwrap();
        assembler
            .apply(&event("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}"#), None)
            .unwrap();
        for part in [r#"{"a":"#, r#"1}"#] {
            let data = serde_json::json!({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":part}});
            assembler
                .apply(&event("content_block_delta", &data.to_string()), None)
                .unwrap();
        }
        assembler
            .apply(
                &event(
                    "content_block_stop",
                    r#"{"type":"content_block_stop","index":0}"#,
                ),
                None,
            )
            .unwrap();
        assembler
            .apply(&event("message_stop", r#"{"type":"message_stop"}"#), None)
            .unwrap();
        let message = assembler.finish(None).unwrap();
        assert_eq!(message.content[0]["input"]["a"], 1);
    }

    #[test]
    fn an_error_event_after_200_is_classified() {
        let mut assembler = StreamAssembler::new();
        assembler.apply(&start(), None).unwrap();
        let failure = assembler
            .apply(&event("error", r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#), Some("req_9"))
            .unwrap_err();
        assert_eq!(failure.category, Category::Overloaded);
        assert_eq!(failure.request_id.as_deref(), Some("req_9"));
    }

    #[test]
    fn a_stream_without_message_stop_is_incomplete_and_keeps_its_text() {
        let mut assembler = StreamAssembler::new();
        assembler.apply(&start(), None).unwrap();
        assembler.apply(&text_delta("partial"), None).unwrap();
        assert_eq!(assembler.text_so_far(), "partial");
        let failure = assembler.finish(None).unwrap_err();
        assert_eq!(failure.category, Category::InvalidResponse);
        assert_eq!(failure.cause, Some(Cause::StreamIncomplete));
    }

    fn assemble_text(deltas: &[String]) -> (String, Message) {
        let mut assembler = StreamAssembler::new();
        assembler.apply(&start(), None).unwrap();
        let mut shown = String::new();
        for delta in deltas {
            if let Some(text) = assembler.apply(&text_delta(delta), None).unwrap() {
                shown.push_str(&text);
            }
        }
        assembler
            .apply(&event("message_stop", r#"{"type":"message_stop"}"#), None)
            .unwrap();
        (shown, assembler.finish(None).unwrap())
    }

    /// Event data shaped like the API's, with fields that may be missing,
    /// of the wrong type, or huge numbers.
    fn wire_value() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let scalar = prop_oneof![
            Just("null".to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            Just("18446744073709551615".to_string()),
            Just("1e400".to_string()),
            "\"[a-z_]{0,12}\"",
            Just("{}".to_string()),
            Just("[]".to_string()),
        ];
        let kind = prop_oneof![
            Just("message_start"),
            Just("content_block_start"),
            Just("content_block_delta"),
            Just("content_block_stop"),
            Just("message_delta"),
            Just("message_stop"),
            Just("ping"),
        ];
        let delta = prop_oneof![
            Just("text_delta"),
            Just("thinking_delta"),
            Just("signature_delta"),
            Just("input_json_delta"),
        ];
        (kind, delta, scalar.clone(), scalar).prop_map(|(kind, delta, a, b)| {
            format!(
                r#"{{"type":"{kind}","index":{a},"delta":{{"type":"{delta}","text":{b},"partial_json":{b},"stop_reason":{a}}},"message":{b},"content_block":{a},"usage":{{"output_tokens":{a}}}}}"#
            )
        })
    }

    proptest::proptest! {
        #[test]
        fn no_sequence_of_events_panics(
            events in proptest::collection::vec(
                (proptest::prop_oneof![proptest::strategy::Just("error".to_string()), "[a-z_]{0,20}"],
                 proptest::prop_oneof![wire_value(), ".{0,40}"]),
                0..20,
            ),
        ) {
            let mut assembler = StreamAssembler::with_limit(4096);
            assembler.apply(&start(), None).unwrap();
            for (name, data) in &events {
                let _ = assembler.apply(&event(name, data), None);
            }
            let _ = assembler.finish(None);
        }

        #[test]
        fn any_text_deltas_assemble_to_their_concatenation(
            deltas in proptest::collection::vec(".{0,8}", 0..40),
        ) {
            let (shown, message) = assemble_text(&deltas);
            proptest::prop_assert_eq!(&shown, &deltas.concat());
            proptest::prop_assert_eq!(message.text(), deltas.concat());
        }
    }

    /// The shape that took seconds when every delta copied the whole text
    /// (the issue measured 400,000; a quarter keeps the debug test quick).
    #[test]
    fn a_hundred_thousand_one_character_deltas() {
        let deltas: Vec<String> = (0..100_000)
            .map(|n| char::from(b'a' + (n % 26) as u8).to_string())
            .collect();
        let (shown, message) = assemble_text(&deltas);
        assert_eq!(shown.len(), 100_000);
        assert_eq!(message.text(), deltas.concat());
    }

    #[test]
    fn thinking_and_signature_deltas_grow_their_own_fields() {
        let mut assembler = StreamAssembler::new();
        assembler.apply(&start(), None).unwrap();
        assembler
            .apply(&event("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#), None)
            .unwrap();
        for delta in [
            serde_json::json!({"type":"thinking_delta","thinking":"Let me "}),
            serde_json::json!({"type":"thinking_delta","thinking":"think."}),
            serde_json::json!({"type":"signature_delta","signature":"c2ln"}),
        ] {
            let data = serde_json::json!({"type":"content_block_delta","index":0,"delta":delta});
            assembler
                .apply(&event("content_block_delta", &data.to_string()), None)
                .unwrap();
        }
        assembler
            .apply(&event("message_stop", r#"{"type":"message_stop"}"#), None)
            .unwrap();
        let message = assembler.finish(None).unwrap();
        assert_eq!(message.content[0]["thinking"], "Let me think.");
        assert_eq!(message.content[0]["signature"], "c2ln");
        assert_eq!(message.content[0]["type"], "thinking");
    }

    #[test]
    fn a_reply_that_never_stops_growing_fails_at_the_bound() {
        let mut assembler = StreamAssembler::with_limit(4096);
        assembler.apply(&start(), None).unwrap();
        let delta = text_delta(&"x".repeat(100));
        let failure = (0..100)
            .find_map(|_| assembler.apply(&delta, Some("req_1")).err())
            .expect("the bound stops the stream");
        assert_eq!(failure.category, Category::InvalidResponse);
        assert_eq!(failure.request_id.as_deref(), Some("req_1"));
        assert!(
            failure
                .message
                .starts_with("the reply stream is over 4 KiB"),
            "{}",
            failure.message
        );
        // Pings keep nothing, so an endless run of them is no memory at all.
        let mut assembler = StreamAssembler::with_limit(64);
        for _ in 0..100 {
            assembler
                .apply(&event("ping", r#"{"type": "ping"}"#), None)
                .unwrap();
        }
    }

    #[test]
    fn garbage_data_is_an_invalid_response() {
        let failure = StreamAssembler::new()
            .apply(&event("message_start", "{not json"), None)
            .unwrap_err();
        assert_eq!(failure.category, Category::InvalidResponse);
    }
}
