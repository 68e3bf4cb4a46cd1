//! Output validation: a reply that must be JSON, one of a fixed set of
//! choices, or JSON that fits a schema. A reply that fails is an
//! `output_validation` failure, retried like any other.

mod attempts;
mod schema;
mod transform;

use serde_json::Value;

pub use attempts::{Attempts, Capabilities};
pub use schema::Schema;

use crate::config::usage::UsageError;
use crate::resilience::{Category, Cause, Failure};

#[derive(Clone, Debug, PartialEq)]
pub enum Expectation {
    Json,
    Choices(Vec<String>),
    Schema(Box<Schema>),
}

impl Expectation {
    pub fn from_flags(
        expect_json: bool,
        choices: Option<&[String]>,
        schema: Option<&str>,
    ) -> Result<Option<Expectation>, UsageError> {
        // clap refuses --schema beside the other two.
        if let Some(schema) = schema {
            return Ok(Some(Expectation::Schema(Box::new(Schema::load(schema)?))));
        }
        match (expect_json, choices) {
            (true, Some(_)) => Err(UsageError::new(
                "--expect-json and --choices cannot be used together",
                "use one of them",
            )),
            (true, None) => Ok(Some(Expectation::Json)),
            (false, Some(choices)) => {
                let choices: Vec<String> = choices.iter().map(|c| c.trim().to_string()).collect();
                if choices.iter().any(String::is_empty) {
                    return Err(UsageError::new(
                        "--choices has an empty choice",
                        "list the choices separated by commas, e.g. --choices yes,no",
                    ));
                }
                Ok(Some(Expectation::Choices(choices)))
            }
            (false, None) => Ok(None),
        }
    }

    /// The schema structured outputs are asked for (and whether it wraps
    /// the answer in `{"value": …}`): `--schema`'s, or `--choices` as an enum.
    pub fn wire_schema(&self) -> Option<(Value, bool)> {
        match self {
            Expectation::Json => None,
            Expectation::Choices(choices) => {
                transform::for_the_wire(&serde_json::json!({"type": "string", "enum": choices}))
                    .ok()
            }
            Expectation::Schema(schema) => schema.wire.clone(),
        }
    }

    /// The reply as data: the parsed JSON, or the choice as the user spelled
    /// it. `wrapped`: the answer was asked for as `{"value": …}`.
    pub fn check(&self, reply: &str, wrapped: bool) -> Result<Value, Failure> {
        match self {
            Expectation::Json => parse_json(reply),
            Expectation::Schema(schema) => {
                let parsed = parse_json(reply)?;
                let value = match wrapped {
                    true => unwrap(parsed),
                    false => parsed,
                };
                let violations = schema.violations(&value);
                if violations.is_empty() {
                    return Ok(value);
                }
                Err(Failure::new(
                    Category::OutputValidation,
                    format!(
                        "the reply does not match --schema: {}",
                        schema::describe(&violations)
                    ),
                )
                .with_cause(Cause::SchemaMismatch))
            }
            Expectation::Choices(choices) => {
                let unwrapped = match wrapped {
                    true => serde_json::from_str(reply).ok().map(unwrap),
                    false => None,
                };
                let answer = match &unwrapped {
                    Some(Value::String(choice)) => choice.trim(),
                    _ => reply.trim(),
                };
                choices
                    .iter()
                    .find(|c| c.to_lowercase() == answer.to_lowercase())
                    .map(|c| Value::String(c.clone()))
                    .ok_or_else(|| {
                        Failure::new(
                            Category::OutputValidation,
                            format!(
                                "the reply \"{}\" is not one of: {}",
                                preview(answer),
                                choices.join(", ")
                            ),
                        )
                        .with_cause(Cause::NotAChoice)
                    })
            }
        }
    }
}

fn parse_json(reply: &str) -> Result<Value, Failure> {
    serde_json::from_str(strip_fence(reply)).map_err(|e| {
        Failure::new(
            Category::OutputValidation,
            format!("the reply is not valid JSON ({e}): {}", preview(reply)),
        )
        .with_cause(Cause::NotJson)
    })
}

/// `{"value": x}` is `x`; a reply that ignored the wrapper is taken as it is.
fn unwrap(reply: Value) -> Value {
    match reply {
        Value::Object(mut map) if map.len() == 1 && map.contains_key(transform::WRAP_KEY) => {
            map.remove(transform::WRAP_KEY).unwrap_or_default()
        }
        other => other,
    }
}

/// Accepts a reply wrapped in a ```json (or bare ```) fence.
fn strip_fence(reply: &str) -> &str {
    let trimmed = reply.trim();
    let Some(inner) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let inner = inner.strip_suffix("```").unwrap_or(inner);
    let inner = inner
        .strip_prefix("json")
        .or_else(|| inner.strip_prefix("JSON"))
        .unwrap_or(inner);
    inner.trim()
}

fn preview(text: &str) -> String {
    let clipped: String = text.chars().take(80).collect();
    if clipped.len() < text.len() {
        format!("{clipped}…")
    } else {
        clipped
    }
}

/// What a successful reply holds for the caller, or why it is no answer: a
/// refusal (never retried), or a reply that fails `expectation` (retried,
/// unless it stopped at max_tokens, which the same request would do again).
fn check_reply(
    reply: &crate::api::Reply,
    expectation: Option<&Expectation>,
    wrapped: bool,
) -> Result<Value, Failure> {
    let message = &reply.message;
    if let Some(refusal) = crate::resilience::classify::classify_stop(
        message.stop_reason.as_deref(),
        message.stop_details.as_ref(),
        reply.request_id.as_deref(),
    ) {
        return Err(refusal);
    }
    let text = message.text();
    let Some(expectation) = expectation else {
        return Ok(Value::String(text));
    };
    expectation.check(&text, wrapped).map_err(|mut failure| {
        failure.request_id = reply.request_id.clone();
        if message.stop_reason.as_deref() == Some("max_tokens") {
            failure.cause = Some(Cause::CutAtMaxTokens);
            failure.message = format!(
                "{} (the reply stopped at max_tokens, {} output tokens)",
                failure.message, message.usage.output_tokens
            );
        }
        failure
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_with_or_without_a_fence() {
        assert_eq!(
            Expectation::Json.check(" {\"a\": 1} ", false).unwrap()["a"],
            1
        );
        assert_eq!(
            Expectation::Json
                .check("```json\n{\"a\": 2}\n```", false)
                .unwrap()["a"],
            2
        );
        assert_eq!(
            Expectation::Json.check("```\n[1]\n```", false).unwrap()[0],
            1
        );
        let failure = Expectation::Json
            .check("Sure! Here it is: {", false)
            .unwrap_err();
        assert_eq!(failure.category, Category::OutputValidation);
        assert_eq!(failure.cause, Some(Cause::NotJson));
    }

    #[test]
    fn choices_are_trimmed_and_case_insensitive() {
        let yes_no = Expectation::Choices(vec!["Yes".into(), "No".into()]);
        assert_eq!(
            yes_no.check("  yes\n", false).unwrap(),
            Value::String("Yes".into())
        );
        assert!(
            yes_no
                .check("maybe", false)
                .unwrap_err()
                .message
                .contains("Yes, No")
        );
    }

    #[test]
    fn flags_are_validated() {
        assert!(Expectation::from_flags(true, Some(&["a".into()]), None).is_err());
        assert!(Expectation::from_flags(false, Some(&["a".into(), " ".into()]), None).is_err());
        assert_eq!(Expectation::from_flags(false, None, None).unwrap(), None);
    }

    proptest::proptest! {
        /// Whatever the model writes, the check answers the value or an
        /// output_validation failure of bounded length: never a panic.
        #[test]
        fn any_reply_is_a_value_or_a_brief_validation_failure(
            reply in ".{0,400}|\\{\"value\": .{0,40}\\}",
            wrapped in proptest::bool::ANY,
        ) {
            let schema = schema::Schema::parse(
                br#"{"type":"object","properties":{"a":{"type":"integer","minimum":0}},"required":["a"]}"#,
                "x",
            )
            .unwrap();
            for expectation in [
                Expectation::Json,
                Expectation::Schema(Box::new(schema.clone())),
                Expectation::Choices(vec!["yes".into(), "no".into()]),
            ] {
                if let Err(failure) = expectation.check(&reply, wrapped) {
                    proptest::prop_assert_eq!(failure.category, Category::OutputValidation);
                    proptest::prop_assert!(failure.message.chars().count() < 2_000);
                }
            }
        }
    }
}
