//! Checking a Messages request body the way the real API does.

use serde_json::Value;

use super::responses::{self, Answer};
use super::structured;

/// The parts of a request body a success needs.
pub(super) struct ValidBody {
    pub body: Value,
    model: String,
    max_tokens: u64,
}

impl ValidBody {
    /// The success the real API would send: the echo reply (an instance of
    /// the requested schema, with structured outputs) unless `fixed_text` is given.
    pub fn answer(&self, message_id: String, fixed_text: Option<&str>) -> Answer {
        let text = match (fixed_text, structured::requested_schema(&self.body)) {
            (Some(text), _) => text.to_string(),
            (None, Ok(Some(schema))) => structured::instance(schema).to_string(),
            (None, _) => responses::echo_reply(&self.body),
        };
        Answer::new(
            message_id,
            self.model.clone(),
            &text,
            self.max_tokens,
            responses::estimate_input_tokens(&self.body),
        )
    }
}

pub(super) fn parse_error_message(error: &serde_json::Error) -> String {
    format!("There was an error parsing the body of your request as JSON: {error}")
}

pub(super) fn validate(raw: &[u8], models: &[String]) -> Result<ValidBody, (u16, String)> {
    let body: Value = serde_json::from_slice(raw).map_err(|e| (400, parse_error_message(&e)))?;
    validate_body(body, models)
}

/// Checks a Messages request body as the real API does: `Err((status, message))`.
pub(super) fn validate_body(body: Value, models: &[String]) -> Result<ValidBody, (u16, String)> {
    let invalid = |message: &str| (400, message.to_string());
    if !body.is_object() {
        return Err(invalid("The request body must be a JSON object"));
    }
    let model = match body.get("model") {
        None => return Err(invalid("model: Field required")),
        Some(model) => model
            .as_str()
            .ok_or_else(|| invalid("model: Input should be a valid string"))?,
    };
    match body.get("messages").map(Value::as_array) {
        None => return Err(invalid("messages: Field required")),
        Some(None) => return Err(invalid("messages: Input should be a valid list")),
        Some(Some(messages)) if messages.is_empty() => {
            return Err(invalid("messages: at least one message is required"));
        }
        Some(Some(_)) => {}
    }
    let max_tokens = match body.get("max_tokens") {
        None => return Err(invalid("max_tokens: Field required")),
        Some(max_tokens) => max_tokens
            .as_u64()
            .filter(|max_tokens| *max_tokens >= 1)
            .ok_or_else(|| {
                invalid("max_tokens: Input should be an integer greater than or equal to 1")
            })?,
    };
    if !models.iter().any(|known| known == model) {
        return Err((404, format!("model: {model}")));
    }
    structured::requested_schema(&body).map_err(|message| (400, message))?;
    Ok(ValidBody {
        model: model.to_string(),
        max_tokens,
        body,
    })
}
