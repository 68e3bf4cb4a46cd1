//! A user's JSON Schema as structured outputs take it, the way the official
//! Python SDK's `transform_schema` (`lib/_parse/_transform.py`) makes it:
//! `additionalProperties: false` on every object, `oneOf` sent as `anyOf`,
//! and every keyword the API does not enforce (minLength, maximum, pattern,
//! an unsupported format, minItems above 1…) moved into the `description`,
//! where the model may still follow it. `$schema` is dropped (it tells the
//! model nothing). The reply is still validated against the original schema.

use serde_json::{Map, Value};

/// The string formats structured outputs enforce (the SDK's list).
const FORMATS: &str = "date-time time date duration email hostname uri ipv4 ipv6 uuid";

/// The property a non-object schema is wrapped in: structured outputs want an
/// object at the top.
pub const WRAP_KEY: &str = "value";

/// The schema to send and whether it wraps the user's in `{"value": …}`;
/// `Err` names the first subschema structured outputs cannot express (no
/// `type`, `enum`, `anyOf`, `oneOf`, `allOf` or `$ref`).
pub fn for_the_wire(schema: &Value) -> Result<(Value, bool), String> {
    let mut strict = strict(schema, "")?;
    if strict.get("type").and_then(Value::as_str) == Some("object") {
        return Ok((strict, false));
    }
    // References like "#/$defs/x" must still resolve from the top.
    let defs = strict.as_object_mut().and_then(|map| map.remove("$defs"));
    let mut wrapper = serde_json::json!({
        "type": "object",
        "properties": {WRAP_KEY: strict},
        "required": [WRAP_KEY],
        "additionalProperties": false,
    });
    if let Some(defs) = defs {
        wrapper["$defs"] = defs;
    }
    Ok((wrapper, true))
}

/// One subschema, at JSON pointer `at` (for the error).
pub fn strict(schema: &Value, at: &str) -> Result<Value, String> {
    let Value::Object(map) = schema else {
        return Err(format!("{} is not a schema object", where_(at)));
    };
    let mut rest = map.clone();
    let mut out = Map::new();
    rest.remove("$schema");
    if let Some(Value::Object(defs)) = take(&mut rest, "$defs", Value::is_object) {
        let defs = defs
            .iter()
            .map(|(name, def)| Ok((name.clone(), strict(def, &format!("{at}/$defs/{name}"))?)))
            .collect::<Result<Map<_, _>, String>>()?;
        out.insert("$defs".into(), defs.into());
    }
    if let Some(reference) = rest.remove("$ref") {
        out.insert("$ref".into(), reference);
        return Ok(out.into());
    }
    let kind = rest.remove("type");
    let each = |list: &[Value], key: &str| -> Result<Value, String> {
        let items = list.iter().enumerate();
        items
            .map(|(i, s)| strict(s, &format!("{at}/{key}/{i}")))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array)
    };
    // Unlike the SDK, `type` stays beside `enum` or `anyOf`: dropping it
    // would make a second pass read the object's keys as unsupported.
    if let Some(kind) = &kind {
        out.insert("type".into(), kind.clone());
    }
    if let Some(values) = take(&mut rest, "enum", Value::is_array) {
        out.insert("enum".into(), values);
    } else if let Some(Value::Array(list)) = take(&mut rest, "anyOf", Value::is_array) {
        out.insert("anyOf".into(), each(&list, "anyOf")?);
    } else if let Some(Value::Array(list)) = take(&mut rest, "oneOf", Value::is_array) {
        out.insert("anyOf".into(), each(&list, "oneOf")?);
    } else if let Some(Value::Array(list)) = take(&mut rest, "allOf", Value::is_array) {
        out.insert("allOf".into(), each(&list, "allOf")?);
    } else if kind.is_none() {
        return Err(format!(
            "{} has no type (nor enum, anyOf, oneOf, allOf or $ref)",
            where_(at)
        ));
    }
    for key in ["description", "title"] {
        if let Some(value) = rest.remove(key) {
            out.insert(key.into(), value);
        }
    }
    match kind.as_ref().and_then(Value::as_str) {
        Some("object") => {
            let mut properties = Map::new();
            if let Some(Value::Object(given)) = rest.remove("properties") {
                for (name, property) in &given {
                    let path = format!("{at}/properties/{name}");
                    properties.insert(name.clone(), strict(property, &path)?);
                }
            }
            out.insert("properties".into(), properties.into());
            rest.remove("additionalProperties");
            out.insert("additionalProperties".into(), false.into());
            if let Some(required) = rest.remove("required") {
                out.insert("required".into(), required);
            }
        }
        Some("string") => {
            if let Some(format) = rest.remove("format") {
                match format
                    .as_str()
                    .is_some_and(|f| FORMATS.split(' ').any(|k| k == f))
                {
                    true => out.insert("format".into(), format),
                    false => rest.insert("format".into(), format),
                };
            }
        }
        Some("array") => {
            if let Some(items) = rest.remove("items") {
                out.insert("items".into(), strict(&items, &format!("{at}/items"))?);
            }
            if let Some(min) = rest.remove("minItems") {
                match min.as_u64() {
                    Some(0 | 1) => out.insert("minItems".into(), min),
                    _ => rest.insert("minItems".into(), min),
                };
            }
        }
        _ => {}
    }
    if !rest.is_empty() {
        let described = described(&rest);
        let text = match out.get("description").and_then(Value::as_str) {
            Some(description) => format!("{description}\n\n{described}"),
            None => described,
        };
        out.insert("description".into(), text.into());
    }
    Ok(out.into())
}

/// The value of `key` when `fits` it; anything else stays for the description.
fn take(map: &mut Map<String, Value>, key: &str, fits: fn(&Value) -> bool) -> Option<Value> {
    map.get(key).is_some_and(fits).then(|| map.remove(key))?
}

/// `{minimum: 1, pattern: ^[a-z]+$}`, as the SDK writes what it moved.
fn described(rest: &Map<String, Value>) -> String {
    let pairs: Vec<String> = rest
        .iter()
        .map(|(key, value)| match value {
            Value::String(text) => format!("{key}: {text}"),
            other => format!("{key}: {other}"),
        })
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

fn where_(at: &str) -> String {
    match at {
        "" => "the schema".into(),
        at => format!("the schema at {at}"),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn constraints_move_into_the_description() {
        let schema = json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object", "title": "Order", "additionalProperties": true,
            "properties": {
                "qty": {"type": "integer", "minimum": 1, "maximum": 10, "description": "How many"},
                "code": {"type": "string", "pattern": "^[A-Z]+$", "format": "hex"},
                "when": {"type": "string", "format": "date"},
                "tags": {"type": "array", "items": {"type": "string", "minLength": 2}, "minItems": 3},
                "kind": {"oneOf": [{"type": "string"}, {"type": "null"}]}
            },
            "required": ["qty"]});
        let (wire, wrapped) = for_the_wire(&schema).unwrap();
        assert!(!wrapped);
        assert_eq!(
            wire,
            json!({"type": "object", "title": "Order", "additionalProperties": false,
                "properties": {
                    "qty": {"type": "integer", "description": "How many\n\n{maximum: 10, minimum: 1}"},
                    "code": {"type": "string", "description": "{format: hex, pattern: ^[A-Z]+$}"},
                    "when": {"type": "string", "format": "date"},
                    "tags": {"type": "array", "items": {"type": "string", "description": "{minLength: 2}"},
                        "description": "{minItems: 3}"},
                    "kind": {"anyOf": [{"type": "string"}, {"type": "null"}]}
                },
                "required": ["qty"]})
        );
    }

    #[test]
    fn a_non_object_schema_is_wrapped_and_keeps_its_definitions() {
        let schema = json!({"type": "array", "items": {"$ref": "#/$defs/item"},
            "$defs": {"item": {"type": "object", "properties": {"n": {"type": "number"}}}}});
        let (wire, wrapped) = for_the_wire(&schema).unwrap();
        assert!(wrapped);
        assert_eq!(wire["properties"]["value"]["items"]["$ref"], "#/$defs/item");
        assert_eq!(
            wire["$defs"]["item"]["additionalProperties"], false,
            "{wire}"
        );
        assert_eq!(wire["required"], json!(["value"]));
        assert!(wire["properties"]["value"].get("$defs").is_none());
    }

    #[test]
    fn a_subschema_without_a_type_is_named() {
        let schema = json!({"type": "object", "properties": {"x": {"minimum": 1}}});
        assert_eq!(
            for_the_wire(&schema).unwrap_err(),
            "the schema at /properties/x has no type (nor enum, anyOf, oneOf, allOf or $ref)"
        );
        assert!(for_the_wire(&json!(true)).is_err());
    }

    /// Every schema of type object in `value` says additionalProperties: false.
    fn objects_are_closed(value: &Value) -> bool {
        match value {
            Value::Object(map) => {
                let closed = map.get("type") != Some(&json!("object"))
                    || map.get("additionalProperties") == Some(&json!(false));
                closed && map.values().all(objects_are_closed)
            }
            Value::Array(items) => items.iter().all(objects_are_closed),
            _ => true,
        }
    }

    /// JSON values shaped like schemas, often wrongly: schema.rs uses them too.
    pub(in crate::output_check) fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            prop::sample::select(vec!["object", "array", "string", "integer", "x", "date"])
                .prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            let keys = prop::sample::select(vec![
                "type",
                "properties",
                "items",
                "enum",
                "anyOf",
                "oneOf",
                "allOf",
                "$ref",
                "$defs",
                "format",
                "minItems",
                "required",
                "description",
                "additionalProperties",
                "minimum",
                "title",
                "a",
            ]);
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(keys.prop_map(String::from), inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn never_panics_closes_every_object_and_is_idempotent(schema in any_json()) {
            if let Ok((wire, _)) = for_the_wire(&schema) {
                prop_assert!(objects_are_closed(&wire), "{}", wire);
                let again = for_the_wire(&wire).unwrap();
                prop_assert_eq!(&again.0, &wire);
                prop_assert!(!again.1);
            }
        }
    }
}
