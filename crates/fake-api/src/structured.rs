//! Structured outputs (`output_config.format`, `{"type": "json_schema",
//! "schema": …}`): a schema the real API refuses is refused here too (an
//! object without `additionalProperties: false`), and a success answers with
//! a JSON instance of the schema instead of the echo.

use serde_json::{Map, Value};

/// Deep enough for any schema a test writes; a `$ref` loop ends here.
const MAX_DEPTH: usize = 32;

/// The schema a request asks its reply to follow, if any; `Err` holds the
/// message of the 400 the real API gives a schema it cannot take.
pub(super) fn requested_schema(body: &Value) -> Result<Option<&Value>, String> {
    let format = &body["output_config"]["format"];
    if format["type"] != "json_schema" {
        return Ok(None);
    }
    let schema = &format["schema"];
    if !schema.is_object() {
        return Err("output_config.format.schema: Input should be a valid dictionary".into());
    }
    match open_object(schema, "") {
        Some(at) => Err(format!(
            "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false (at '{at}')"
        )),
        None => Ok(Some(schema)),
    }
}

/// The JSON pointer of the first object schema that is not closed.
fn open_object(schema: &Value, at: &str) -> Option<String> {
    match schema {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("object")
                && map.get("additionalProperties") != Some(&Value::Bool(false))
            {
                return Some(at.to_string());
            }
            // `enum` and `const` hold values, not schemas.
            let nested = map
                .iter()
                .filter(|(key, _)| !matches!(key.as_str(), "enum" | "const"));
            nested
                .filter_map(|(key, value)| open_object(value, &format!("{at}/{key}")))
                .next()
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| open_object(item, &format!("{at}/{i}"))),
        _ => None,
    }
}

/// The plainest instance of `schema`: required properties only, the first
/// enum value or variant, zeros and empty strings.
pub(super) fn instance(schema: &Value) -> Value {
    build(schema, schema, 0)
}

fn build(schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let next = |sub: &Value| build(sub, root, depth + 1);
    if let Some(reference) = schema["$ref"].as_str() {
        let target = reference.strip_prefix('#').and_then(|p| root.pointer(p));
        return target.map_or(Value::Null, next);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = schema[key].as_array().and_then(|v| v.first()) {
            return next(first);
        }
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.first().and_then(Value::as_str),
        kind => kind.as_str(),
    };
    match kind {
        Some("object") => {
            let required = schema["required"].as_array().into_iter().flatten();
            let object: Map<String, Value> = required
                .filter_map(Value::as_str)
                .map(|name| (name.to_string(), next(&schema["properties"][name])))
                .collect();
            Value::Object(object)
        }
        Some("array") => match schema["minItems"].as_u64() {
            Some(1..) => Value::Array(vec![next(&schema["items"])]),
            _ => Value::Array(Vec::new()),
        },
        Some("string") => Value::String(String::new()),
        Some("integer" | "number") => 0.into(),
        Some("boolean") => false.into(),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn asking(schema: Value) -> Value {
        json!({"output_config": {"format": {"type": "json_schema", "schema": schema}}})
    }

    #[test]
    fn an_object_that_is_not_closed_is_refused_where_it_is() {
        let open = asking(json!({"type": "object", "additionalProperties": false,
            "properties": {"a": {"type": "array", "items": {"type": "object"}}}}));
        let message = requested_schema(&open).unwrap_err();
        assert!(
            message.contains(
                "'additionalProperties' must be explicitly set to false (at '/properties/a/items')"
            ),
            "{message}"
        );
        assert!(requested_schema(&asking(json!("x"))).is_err());
        assert_eq!(requested_schema(&json!({"model": "m"})), Ok(None));
    }

    #[test]
    fn the_answer_is_the_plainest_instance() {
        let schema = json!({"type": "object", "additionalProperties": false, "required": ["n", "kind", "list", "next"],
            "properties": {"n": {"type": "integer"}, "kind": {"enum": ["b", "a"]}, "optional": {"type": "string"},
                "list": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}},
                "next": {"anyOf": [{"type": "null"}, {"type": "string"}]}},
            "$defs": {"item": {"type": "object", "additionalProperties": false, "required": ["s"],
                "properties": {"s": {"type": "string"}}}}});
        assert_eq!(requested_schema(&asking(schema.clone())), Ok(Some(&schema)));
        assert_eq!(
            instance(&schema),
            json!({"n": 0, "kind": "b", "list": [{"s": ""}], "next": null})
        );
        let endless = json!({"$ref": "#"});
        assert_eq!(instance(&endless), Value::Null);
    }
}
