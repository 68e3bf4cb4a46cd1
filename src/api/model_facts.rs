//! A model's limits and capabilities as the Models API states them
//! (`GET /v1/models/{id}`: `max_tokens`, `max_input_tokens`, `capabilities`,
//! the names of the official SDKs' `ModelInfo`), kept a day in the cache
//! folder; the built-in table (`api::models`) stands in when the API cannot
//! be asked. Asking never fails a command.

use std::time::Duration;

use serde_json::Value;

use super::Client;
use super::models::table_limits;
use crate::cache::ModelCache;

/// A Models call waits no longer than this: the facts are a nicety.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Capabilities listed: the API has about a dozen.
const MAX_CAPABILITIES: usize = 32;

#[derive(Clone, Debug, PartialEq)]
pub struct ModelFacts {
    pub max_tokens: Option<u64>,
    pub max_input_tokens: Option<u64>,
    /// The capabilities whose `supported` is true, e.g. `batch`, `pdf_input`.
    pub capabilities: Vec<String>,
    /// `the Models API` or `claude-rs's table (…)`, for messages.
    pub source: String,
}

impl ModelFacts {
    /// `max_tokens 128000, max_input_tokens 1000000`, or what is unknown.
    pub fn describe(&self) -> String {
        let shown = |n: Option<u64>| n.map_or("unknown".to_string(), |n| n.to_string());
        let (output, input) = (shown(self.max_tokens), shown(self.max_input_tokens));
        format!("max_tokens {output}, max_input_tokens {input}")
    }
}

/// The facts in a model object (numbers as sent: they are only compared);
/// `None` for anything that
/// is not a model object.
pub fn parse(object: &Value) -> Option<ModelFacts> {
    object["id"].as_str()?;
    let capabilities = object["capabilities"]
        .as_object()
        .map_or_else(Vec::new, |all| {
            all.iter()
                .filter(|(name, value)| value["supported"] == true && name.len() <= 64)
                .map(|(name, _)| crate::sanitize::one_line(name).into_owned())
                .take(MAX_CAPABILITIES)
                .collect()
        });
    Some(ModelFacts {
        max_tokens: object["max_tokens"].as_u64(),
        max_input_tokens: object["max_input_tokens"].as_u64(),
        capabilities,
        source: "the Models API".into(),
    })
}

/// The facts the cache holds of `model`, asking nothing of the API.
pub fn cached(client: &Client, cache: Option<&ModelCache>, model: &str) -> Option<ModelFacts> {
    cache
        .and_then(|c| c.get(client.base_url(), model))
        .as_ref()
        .and_then(parse)
}

/// The facts of `model`: the cache's, else the Models API's (then cached),
/// else the table's, saying why.
pub fn lookup(client: &Client, cache: Option<&ModelCache>, model: &str) -> ModelFacts {
    let base_url = client.base_url();
    if let Some(facts) = cached(client, cache, model) {
        return facts;
    }
    let why = match client.model_info(model, FETCH_TIMEOUT) {
        Err(failure) => failure.category.to_string(),
        Ok(object) => match parse(&object) {
            None => "no model object".into(),
            Some(facts) => {
                if let Some(cache) = cache {
                    cache.put(base_url, model, &object);
                }
                return facts;
            }
        },
    };
    let (output, max_input_tokens) = table_limits(model).unzip();
    ModelFacts {
        max_tokens: output.map(u64::from),
        max_input_tokens,
        capabilities: Vec::new(),
        source: format!("claude-rs's table (the Models API: {why})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_model_object_gives_its_limits_and_supported_capabilities() {
        let object = serde_json::json!({
            "id": "claude-x", "max_tokens": 128000, "max_input_tokens": 1000000,
            "capabilities": {"batch": {"supported": true}, "effort": {"supported": false, "high": {"supported": true}}}
        });
        let facts = parse(&object).unwrap();
        assert_eq!(
            (facts.max_tokens, facts.max_input_tokens),
            (Some(128_000), Some(1_000_000))
        );
        assert_eq!(facts.capabilities, ["batch"]);
        let huge = serde_json::json!({"id": "m", "max_tokens": u64::MAX, "max_input_tokens": -1});
        let clamped = parse(&huge).unwrap();
        assert_eq!(
            (clamped.max_tokens, clamped.max_input_tokens),
            (Some(u64::MAX), None)
        );
        assert!(parse(&serde_json::json!({"type": "error"})).is_none());
    }

    proptest! {
        #[test]
        fn any_bytes_are_facts_or_none(raw in prop::collection::vec(any::<u8>(), 0..1024)) {
            if let Ok(value) = serde_json::from_slice::<Value>(&raw) {
                let _ = parse(&value);
            }
        }

        #[test]
        fn any_model_object_parses(limit in any::<i64>(), name in ".{0,80}", supported in any::<bool>()) {
            let object = serde_json::json!({"id": "m", "max_tokens": limit, "capabilities": {name.clone(): {"supported": supported}}});
            let facts = parse(&object).unwrap();
            prop_assert_eq!(facts.max_tokens.is_some(), limit >= 0);
            prop_assert!(facts.capabilities.len() <= 1);
        }
    }
}
