//! The Messages API on the wire: request parameters and the response message.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::RequestDefaults;

/// The API rejects request bodies above 32 MB; we refuse them before sending.
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;

/// Messages API parameters, kept as a JSON object so that fields we do not
/// model (tools, metadata, …) pass through untouched.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageParams(Map<String, Value>);

impl MessageParams {
    pub fn from_map(map: Map<String, Value>) -> MessageParams {
        MessageParams(map)
    }

    /// A single-turn request for a prompt.
    pub fn for_prompt(defaults: &RequestDefaults, prompt: &str) -> MessageParams {
        let messages = serde_json::json!([{"role": "user", "content": prompt}]);
        let mut params = MessageParams(Map::from_iter([("messages".into(), messages)]));
        params.fill_defaults(defaults);
        params
    }

    /// Fills in what the request does not say itself: model, max tokens,
    /// and the system prompt and temperature when given.
    pub fn fill_defaults(&mut self, defaults: &RequestDefaults) {
        let map = &mut self.0;
        map.entry("model")
            .or_insert_with(|| defaults.model.clone().into());
        map.entry("max_tokens")
            .or_insert_with(|| defaults.max_tokens.into());
        if let Some(system) = &defaults.system {
            map.entry("system").or_insert_with(|| system.clone().into());
        }
        if let Some(temperature) = defaults.temperature {
            map.entry("temperature")
                .or_insert_with(|| temperature.into());
        }
    }

    pub fn model(&self) -> &str {
        self.0.get("model").and_then(Value::as_str).unwrap_or("")
    }

    /// The same request, to another model.
    pub fn with_model(&self, model: &str) -> MessageParams {
        let mut map = self.0.clone();
        map.insert("model".into(), model.into());
        MessageParams(map)
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// A rough count of input tokens (4 characters a token, the usual rule of
    /// thumb for English), for pacing against a tokens-per-minute limit. The
    /// API's own count differs; the headroom absorbs the difference.
    pub fn estimated_input_tokens(&self) -> u64 {
        fn chars(value: &Value) -> usize {
            match value {
                Value::String(text) => text.chars().count(),
                Value::Array(items) => items.iter().map(chars).sum(),
                Value::Object(block) => match block.get("text") {
                    Some(text) => chars(text),
                    None => block.get("content").map_or(0, chars),
                },
                _ => 0,
            }
        }
        let system = self.0.get("system").map_or(0, chars);
        let messages = self.0.get("messages").map_or(0, chars);
        ((system + messages) / 4 + 1) as u64
    }

    /// The request body; `stream` is set here, not by the caller.
    pub fn to_body(&self, stream: bool) -> Vec<u8> {
        let mut map = self.0.clone();
        map.insert("stream".into(), stream.into());
        serde_json::to_vec(&Value::Object(map)).unwrap_or_default()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Cache and server-tool counters, kept as the API sent them.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A response message. Content blocks stay JSON so that block types added to
/// the API later survive a round trip (the batch results format needs them whole).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    #[serde(rename = "type", default = "message_type")]
    pub kind: String,
    #[serde(default = "assistant_role")]
    pub role: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub content: Vec<Value>,
    pub stop_reason: Option<String>,
    pub stop_sequence: Option<String>,
    /// Why the model stopped, beyond the reason: a refusal's category and
    /// explanation. Absent from older replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_details: Option<Value>,
    #[serde(default)]
    pub usage: Usage,
}

fn message_type() -> String {
    "message".into()
}

fn assistant_role() -> String {
    "assistant".into()
}

impl Message {
    /// The message with what the server says about it (id, model, stop
    /// reason and sequence) scrubbed of any key; the content is the model's
    /// data and stays byte-exact. Applied where a message leaves the wire,
    /// so `--json`, `--verbose`, `--usage`, the log and batch results all
    /// get the scrubbed fields without each remembering to.
    pub fn scrubbed(mut self) -> Message {
        use crate::secret::scrub;
        let clean = |text: &mut String| {
            if let std::borrow::Cow::Owned(scrubbed) = scrub(text) {
                *text = scrubbed;
            }
        };
        let optional = [self.stop_reason.as_mut(), self.stop_sequence.as_mut()];
        let fields = [
            &mut self.id,
            &mut self.kind,
            &mut self.role,
            &mut self.model,
        ];
        fields
            .into_iter()
            .chain(optional.into_iter().flatten())
            .for_each(clean);
        let mut other = Value::Object(std::mem::take(&mut self.usage.other));
        crate::secret::scrub_json(&mut other);
        if let Value::Object(map) = other {
            self.usage.other = map;
        }
        self
    }

    /// The text of every text block, in order.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter(|block| block.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|block| block.get("text").and_then(Value::as_str))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_params_serialise_with_stream_flag() {
        let defaults = RequestDefaults {
            model: "claude-x".into(),
            system: Some("be brief".into()),
            max_tokens: 10,
            temperature: Some(0.2),
        };
        let params = MessageParams::for_prompt(&defaults, "hi");
        let body: Value = serde_json::from_slice(&params.to_body(true)).unwrap();
        assert_eq!(body["model"], "claude-x");
        assert_eq!(body["max_tokens"], 10);
        assert_eq!(body["messages"][0]["content"], "hi");
        assert_eq!(body["system"], "be brief");
        assert_eq!(body["temperature"], 0.2);
        assert_eq!(body["stream"], true);
        let bare = RequestDefaults {
            model: "m".into(),
            system: None,
            max_tokens: 1,
            temperature: None,
        };
        let plain: Value =
            serde_json::from_slice(&MessageParams::for_prompt(&bare, "p").to_body(false)).unwrap();
        assert!(plain.get("system").is_none());
        assert!(plain.get("temperature").is_none());
    }

    #[test]
    fn input_tokens_are_estimated_from_the_text() {
        let mut map = Map::new();
        map.insert("system".into(), "abcd".into());
        map.insert(
            "messages".into(),
            serde_json::json!([
                {"role": "user", "content": "12345678"},
                {"role": "assistant", "content": [{"type": "text", "text": "abcd"}]}
            ]),
        );
        assert_eq!(
            MessageParams::from_map(map).estimated_input_tokens(),
            16 / 4 + 1
        );
    }

    #[test]
    fn message_text_joins_text_blocks_and_keeps_unknown_ones() {
        let raw = r#"{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"a"},{"type":"future_block","x":1},{"type":"text","text":"b"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4,"cache_read_input_tokens":0}}"#;
        let message: Message = serde_json::from_str(raw).unwrap();
        assert_eq!(message.text(), "ab");
        assert_eq!(message.content.len(), 3);
        assert_eq!(message.usage.output_tokens, 4);
        let again: Value = serde_json::to_value(&message).unwrap();
        assert_eq!(again["usage"]["cache_read_input_tokens"], 0);
    }
}
