//! `--schema`: the user's JSON Schema, read (inline or from a file), checked
//! and compiled once before anything is sent, and each reply validated
//! against it locally (the crate boon), whatever the API enforced.

use std::fmt;
use std::io::Read;
use std::sync::Arc;

use serde_json::Value;

use super::transform;
use crate::config::usage::UsageError;

/// A schema file larger than this is refused: a schema is a request field.
const MAX_SCHEMA_BYTES: u64 = 1 << 20;
/// Where boon files the schema: it names documents by URL.
const SCHEMA_URL: &str = "urn:claude-rs:schema";
/// Errors listed in a failure or a retry's feedback, and the length of each.
const MAX_ERRORS: usize = 5;
const MAX_ERROR_CHARS: usize = 200;

const FIX: &str =
    "give --schema a JSON Schema inline (starting with {) or the path of a .json file holding one";

#[derive(Clone)]
pub struct Schema {
    /// As the user wrote it: what replies are validated against.
    pub original: Value,
    /// As structured outputs take it, and whether it is wrapped in
    /// `{"value": …}`; `None` when the API cannot express it (it then goes
    /// in the system prompt).
    pub wire: Option<(Value, bool)>,
    compiled: Arc<(boon::Schemas, boon::SchemaIndex)>,
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schema({})", self.original)
    }
}

impl PartialEq for Schema {
    fn eq(&self, other: &Schema) -> bool {
        self.original == other.original
    }
}

/// One way a reply breaks the schema: where (a JSON pointer into the reply)
/// and what.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub at: String,
    pub what: String,
}

impl Schema {
    /// `--schema SCHEMA`: inline when it starts with `{`, else a file's path.
    pub fn load(given: &str) -> Result<Schema, UsageError> {
        let trimmed = given.trim();
        if trimmed.starts_with('{') {
            return Schema::parse(trimmed.as_bytes(), "the inline --schema");
        }
        let unreadable = |e: std::io::Error| {
            UsageError::new(format!("cannot read the --schema file {given}: {e}"), FIX)
        };
        let mut bytes = Vec::new();
        std::fs::File::open(given)
            .and_then(|file| file.take(MAX_SCHEMA_BYTES + 1).read_to_end(&mut bytes))
            .map_err(unreadable)?;
        if bytes.len() as u64 > MAX_SCHEMA_BYTES {
            return Err(UsageError::new(
                format!("the --schema file {given} is over 1 MB"),
                "a schema that large is no request field: trim it",
            ));
        }
        Schema::parse(&bytes, &format!("the --schema file {given}"))
    }

    /// The schema in `bytes`, named `from` in errors.
    pub fn parse(bytes: &[u8], from: &str) -> Result<Schema, UsageError> {
        let original: Value = serde_json::from_slice(bytes).map_err(|e| {
            let (line, column) = (e.line(), e.column());
            let what = e.to_string();
            let what = what.trim_end_matches(&format!(" at line {line} column {column}"));
            UsageError::new(
                format!("{from} is not JSON (line {line}, column {column}: {what})"),
                FIX,
            )
        })?;
        let mut compiler = boon::Compiler::new();
        // A schema stands alone: no $ref reaches out to a file or the network.
        compiler.use_loader(Box::new(NoLoader));
        let mut schemas = boon::Schemas::new();
        let compiled = compiler
            .add_resource(SCHEMA_URL, original.clone())
            .and_then(|()| compiler.compile(SCHEMA_URL, &mut schemas));
        let index = compiled.map_err(|e| {
            let problem = match &e {
                // Where the schema breaks the metaschema, as a reply's errors are named.
                boon::CompileError::ValidationError { src, .. } => describe(&leaves(src)),
                other => clip(&crate::sanitize::one_line(&format!("{other:#}"))),
            };
            UsageError::new(
                format!("{from} is not a valid JSON Schema: {problem}"),
                "fix the schema (https://json-schema.org/understanding-json-schema/); $ref may only point inside it",
            )
        })?;
        Ok(Schema {
            wire: transform::for_the_wire(&original).ok(),
            original,
            compiled: Arc::new((schemas, index)),
        })
    }

    /// Every way `instance` breaks the schema, deepest first (boon's tree
    /// flattened to its leaves).
    pub fn violations(&self, instance: &Value) -> Vec<Violation> {
        let (schemas, index) = &*self.compiled;
        match schemas.validate(instance, *index) {
            Ok(()) => Vec::new(),
            Err(error) => leaves(&error),
        }
    }
}

/// boon's tree of errors flattened to its leaves, in order.
fn leaves(error: &boon::ValidationError) -> Vec<Violation> {
    let mut leaves = Vec::new();
    let mut stack = vec![error];
    while let Some(error) = stack.pop() {
        match error.causes.is_empty() {
            true => leaves.push(Violation {
                at: error.instance_location.to_string(),
                what: error.kind.to_string(),
            }),
            false => stack.extend(error.causes.iter().rev()),
        }
    }
    leaves
}

/// `/items/2/price: must be >=0, but got -1; …`: at most five, each clipped,
/// so a failure message and a retry's feedback stay small.
pub fn describe(violations: &[Violation]) -> String {
    let mut lines: Vec<String> = violations
        .iter()
        .take(MAX_ERRORS)
        .map(|v| {
            let at = if v.at.is_empty() { "/" } else { &v.at };
            clip(&format!("{at}: {}", v.what))
        })
        .collect();
    if violations.len() > MAX_ERRORS {
        lines.push(format!("and {} more", violations.len() - MAX_ERRORS));
    }
    lines.join("; ")
}

fn clip(text: &str) -> String {
    let clipped: String = text.chars().take(MAX_ERROR_CHARS).collect();
    match clipped.len() < text.len() {
        true => format!("{clipped}…"),
        false => clipped,
    }
}

struct NoLoader;

impl boon::UrlLoader for NoLoader {
    fn load(&self, url: &str) -> Result<Value, Box<dyn std::error::Error>> {
        Err(format!("{url} is outside the schema").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn schema(value: Value) -> Schema {
        Schema::parse(value.to_string().as_bytes(), "test").unwrap()
    }

    #[test]
    fn violations_name_the_path_and_what_failed() {
        let order = schema(
            json!({"type": "object", "properties": {"items": {"type": "array",
            "items": {"type": "object", "properties": {"price": {"type": "number", "minimum": 0}},
            "required": ["price"]}}}, "required": ["items"]}),
        );
        let bad = json!({"items": [{"price": 1}, {"price": 2}, {"price": -1}]});
        let found = order.violations(&bad);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].at, "/items/2/price");
        assert!(found[0].what.contains("minimum") || found[0].what.contains(">="));
        assert!(order.violations(&json!({"items": []})).is_empty());
        assert_eq!(order.violations(&json!({}))[0].at, "");
    }

    #[test]
    fn bad_schemas_are_usage_errors_naming_the_problem() {
        let not_json = Schema::parse(b"{\n  \"type\": }", "the inline --schema").unwrap_err();
        assert!(
            not_json.problem.contains("line 2, column"),
            "{}",
            not_json.problem
        );
        let invalid = Schema::parse(br#"{"type": 12}"#, "x").unwrap_err();
        assert!(
            invalid.problem.contains("not a valid JSON Schema"),
            "{}",
            invalid.problem
        );
        let outside = Schema::parse(br#"{"$ref": "https://example.com/s.json"}"#, "x").unwrap_err();
        assert!(
            outside.problem.contains("not a valid JSON Schema"),
            "{}",
            outside.problem
        );
        let missing = Schema::load("/nonexistent/schema.json").unwrap_err();
        assert!(missing.problem.contains("cannot read the --schema file"));
    }

    #[test]
    fn the_description_is_bounded() {
        let many: Vec<Violation> = (0..100)
            .map(|i| Violation {
                at: format!("/{i}"),
                what: "x".repeat(10_000),
            })
            .collect();
        let text = describe(&many);
        assert!(
            text.chars().count() <= 6 * (MAX_ERROR_CHARS + 2) + 20,
            "{}",
            text.len()
        );
        assert!(text.ends_with("and 95 more"));
    }

    proptest! {
        #[test]
        fn any_bytes_are_a_schema_or_a_usage_error(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(schema) = Schema::parse(&bytes, "x") {
                let _ = schema.violations(&Value::Null);
            }
        }

        #[test]
        fn any_schema_shaped_value_compiles_or_is_refused(
            schema in super::super::transform::tests::any_json(),
            instance in super::super::transform::tests::any_json(),
        ) {
            if let Ok(schema) = Schema::parse(schema.to_string().as_bytes(), "x") {
                let _ = describe(&schema.violations(&instance));
            }
        }

        #[test]
        fn any_violations_describe_briefly(
            list in prop::collection::vec((".{0,300}", ".{0,300}"), 0..20)
        ) {
            let violations: Vec<Violation> =
                list.into_iter().map(|(at, what)| Violation { at, what }).collect();
            let text = describe(&violations);
            prop_assert!(text.chars().count() <= MAX_ERRORS * (MAX_ERROR_CHARS + 3) + 20);
        }
    }
}
