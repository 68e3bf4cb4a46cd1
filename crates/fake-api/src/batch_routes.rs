//! The Message Batches endpoints: parsing and validating each call, what it
//! does to the batch store, and how the scripted steps (shared with
//! `/v1/messages`, one sequence) apply to calls that have no stream to break.

use std::collections::HashSet;
use std::time::SystemTime;

use serde_json::Value;

use super::Step;
use super::batch_wire;
use super::batches::{AlreadyEnded, Batch, BatchItem, ItemResult};
use super::http::Request;
use super::outcome::{Ids, Outcome, api_error, json_outcome, with_api_headers};
use super::responses;
use super::state::Shared;
use super::validate::{parse_error_message, validate_body};

pub(crate) const BATCHES_PATH: &str = "/v1/messages/batches";
/// The real API's limits on one batch.
const MAX_REQUESTS: usize = 100_000;
const CUSTOM_ID_PATTERN: &str = "^[a-zA-Z0-9_-]{1,64}$";
const CUSTOM_ID_MAX_CHARS: usize = 64;
const DEFAULT_LIST_LIMIT: usize = 20;
const MAX_LIST_LIMIT: usize = 1000;
/// What the real results endpoint answers with (it once sent no content type at all).
const JSONL: &str = "application/x-jsonl";
/// `metadata.user_id` values that make a request's result errored or expired; see `Trigger`.
const ERROR_TRIGGER_PREFIX: &str = "mock-error-";
const EXPIRED_TRIGGER: &str = "mock-expired";

/// One Message Batches endpoint, with the batch id where the path has one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Call<'a> {
    Create,
    List,
    Retrieve(&'a str),
    Cancel(&'a str),
    Results(&'a str),
}

/// `None` for a method and path that are no batches endpoint (a plain 404).
pub(super) fn call<'a>(method: &str, path: &'a str) -> Option<Call<'a>> {
    let rest = path.strip_prefix(BATCHES_PATH)?;
    if rest.is_empty() {
        return match method {
            "POST" => Some(Call::Create),
            "GET" => Some(Call::List),
            _ => None,
        };
    }
    let rest = rest.strip_prefix('/')?;
    let (id, action) = match rest.split_once('/') {
        Some((id, action)) => (id, Some(action)),
        None => (rest, None),
    };
    if id.is_empty() {
        return None;
    }
    match (method, action) {
        ("GET", None) => Some(Call::Retrieve(id)),
        ("GET", Some("results")) => Some(Call::Results(id)),
        ("POST", Some("cancel")) => Some(Call::Cancel(id)),
        _ => None,
    }
}

/// How a step treats a batches call.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Effect {
    /// The normal answer: success steps, and the SSE-only steps (nothing to stream here).
    Answer,
    /// The step's error, proxy page or dropped connection, exactly as on
    /// `/v1/messages`; the call does not take effect.
    Refuse,
    /// The call takes effect; its 200 answer is cut in half, then the connection closes.
    Truncate,
    /// The call takes effect; its 200 answer's body stops mid-JSON.
    InvalidJson,
}

fn effect(step: &Step) -> Effect {
    match step {
        Step::Ok
        | Step::Reply(_)
        | Step::SseError { .. }
        | Step::SseCut
        | Step::SseCutBeforeText
        | Step::SseNoStop
        | Step::Stall
        | Step::Slow { .. }
        | Step::SseHold
        | Step::SseCr
        | Step::SseLongLine(_)
        | Step::HugeBody { .. }
        | Step::HugeHeader(_)
        | Step::Html200
        | Step::Refusal
        | Step::ContextWindow => Effect::Answer,
        Step::Truncated => Effect::Truncate,
        Step::InvalidJson => Effect::InvalidJson,
        Step::Status { .. }
        | Step::SpendLimit
        | Step::LowCredit
        | Step::OverloadedAs500
        | Step::Html502
        | Step::Reset
        | Step::Hang
        | Step::EchoKey(_) => Effect::Refuse,
    }
}

/// A request whose params carry `"metadata": {"user_id": "mock-error-<STATUS>"}`
/// (STATUS 400 to 599) gets an errored result with the error the real API sends
/// for that status, e.g. `mock-error-529` → `overloaded_error`; `"mock-expired"`
/// gets an expired result. `metadata.user_id` is a real field, so such a request
/// stays valid for any client that checks what it sends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Trigger {
    Error(u16),
    Expired,
}

fn trigger(params: &Value) -> Option<Trigger> {
    let user_id = params.get("metadata")?.get("user_id")?.as_str()?;
    if user_id == EXPIRED_TRIGGER {
        return Some(Trigger::Expired);
    }
    let status = user_id
        .strip_prefix(ERROR_TRIGGER_PREFIX)?
        .parse::<u16>()
        .ok()
        .filter(|status| (400..=599).contains(status))?;
    Some(Trigger::Error(status))
}

impl Shared {
    /// Every batches call needs a key, is refused with it by the `auth` and
    /// `permission` scenarios, and takes the next step; the rate limits do not apply.
    pub(super) fn batch_call(&self, call: Call<'_>, request: &Request, ids: &Ids) -> Outcome {
        if let Some(missing_key) = self.require_api_key(request, ids, &[]) {
            return missing_key;
        }
        if let Some(status) = self.refused_key_status() {
            let message = responses::canonical_error(status).1;
            return api_error(status, None, message, ids, vec![]);
        }
        let step = self.next_step();
        let effect = effect(&step);
        if effect == Effect::Refuse {
            return self.perform(&step, request, ids, Vec::new());
        }
        let outcome = match call {
            Call::Create => self.create_batch(request, ids),
            Call::List => self.list_batches(request, ids),
            Call::Retrieve(id) => self.retrieve_batch(id, ids),
            Call::Cancel(id) => self.cancel_batch(id, ids),
            Call::Results(id) => self.batch_results(id, ids),
        };
        damage(outcome, effect, call)
    }

    fn create_batch(&self, request: &Request, ids: &Ids) -> Outcome {
        let requests = match parse_requests(&request.body) {
            Ok(requests) => requests,
            Err(message) => return api_error(400, None, &message, ids, vec![]),
        };
        let items = requests
            .into_iter()
            .map(|(custom_id, params)| BatchItem {
                custom_id,
                result: self.process(params),
            })
            .collect();
        let mut store = self.batch_store();
        let batch = store.create(items, SystemTime::now());
        self.batch_outcome(batch, ids)
    }

    /// Decided at creation, as `POST /v1/messages` would answer the params:
    /// its validation first, then the `Trigger`, else the echo reply with its own message id.
    fn process(&self, params: Value) -> ItemResult {
        let valid = match validate_body(params, &self.config.models) {
            Ok(valid) => valid,
            Err((status, message)) => return errored(status, message),
        };
        match trigger(&valid.body) {
            Some(Trigger::Error(status)) => {
                errored(status, responses::canonical_error(status).1.to_string())
            }
            Some(Trigger::Expired) => ItemResult::Expired,
            None => ItemResult::Succeeded(valid.answer(self.next_ids().message_id, None)),
        }
    }

    fn retrieve_batch(&self, id: &str, ids: &Ids) -> Outcome {
        let mut store = self.batch_store();
        let Some(batch) = store.get_mut(id) else {
            return self.batch_not_found(id, ids);
        };
        batch.poll(self.config.batch_polls, SystemTime::now());
        self.batch_outcome(batch, ids)
    }

    fn cancel_batch(&self, id: &str, ids: &Ids) -> Outcome {
        let mut store = self.batch_store();
        let Some(batch) = store.get_mut(id) else {
            return self.batch_not_found(id, ids);
        };
        match batch.cancel(SystemTime::now()) {
            Ok(()) => self.batch_outcome(batch, ids),
            Err(AlreadyEnded) => {
                let message =
                    format!("Message Batch {id} has already ended and can no longer be canceled");
                api_error(400, None, &message, ids, vec![])
            }
        }
    }

    fn batch_results(&self, id: &str, ids: &Ids) -> Outcome {
        let mut store = self.batch_store();
        let Some(batch) = store.get_mut(id) else {
            return self.batch_not_found(id, ids);
        };
        let Some(lines) = batch.results(self.config.seed) else {
            let message = format!(
                "Results for Message Batch {id} are not available yet: its processing_status is {}, not ended",
                batch.status().as_str()
            );
            return api_error(400, None, &message, ids, vec![]);
        };
        let disposition = format!("attachment; filename*=utf-8''{id}_results.jsonl");
        Outcome::Full {
            status: 200,
            headers: with_api_headers(
                JSONL,
                ids,
                vec![("content-disposition".to_string(), disposition)],
            ),
            body: batch_wire::results_jsonl(&lines).into_bytes(),
        }
    }

    fn list_batches(&self, request: &Request, ids: &Ids) -> Outcome {
        let query = request
            .target
            .split_once('?')
            .map_or("", |(_, query)| query);
        let page = match ListPage::parse(query) {
            Ok(page) => page,
            Err(message) => return api_error(400, None, &message, ids, vec![]),
        };
        let store = self.batch_store();
        let (batches, has_more) = page.select(&store.newest_first());
        let body = batch_wire::batch_list(&batches, has_more, &self.base_url);
        json_outcome(200, body, ids, vec![])
    }

    fn batch_outcome(&self, batch: &Batch, ids: &Ids) -> Outcome {
        let body = batch_wire::batch_object(batch, &self.base_url);
        json_outcome(200, body, ids, vec![])
    }

    fn batch_not_found(&self, id: &str, ids: &Ids) -> Outcome {
        let message = format!("message_batch: {id}");
        api_error(404, None, &message, ids, vec![])
    }
}

fn errored(status: u16, message: String) -> ItemResult {
    ItemResult::Errored {
        error_type: responses::canonical_error(status).0.to_string(),
        message,
    }
}

/// The damage a `truncated` or `invalid-json` step does to an answer; an API
/// error (a 404, a validation 400) is sent as it is.
fn damage(outcome: Outcome, effect: Effect, call: Call<'_>) -> Outcome {
    match (outcome, effect) {
        (
            Outcome::Full {
                status: 200,
                headers,
                body,
            },
            Effect::Truncate,
        ) => Outcome::Truncated {
            headers,
            promised: body.len() + 64,
            body,
        },
        (
            Outcome::Full {
                status: 200,
                headers,
                ..
            },
            Effect::InvalidJson,
        ) => Outcome::Full {
            status: 200,
            headers,
            body: invalid_json_body(call).as_bytes().to_vec(),
        },
        (outcome, _) => outcome,
    }
}

/// Starts like the endpoint's answer and stops mid-string.
fn invalid_json_body(call: Call<'_>) -> &'static str {
    match call {
        Call::Create | Call::Retrieve(_) | Call::Cancel(_) => r#"{"id": "msgbatch_"#,
        Call::List => r#"{"data": [{"id": "msgbatch_"#,
        Call::Results(_) => r#"{"custom_id": ""#,
    }
}

/// The create body's `(custom_id, params)` pairs, or the 400 message the real API would send.
fn parse_requests(raw: &[u8]) -> Result<Vec<(String, Value)>, String> {
    let mut body: Value = serde_json::from_slice(raw).map_err(|e| parse_error_message(&e))?;
    let Some(object) = body.as_object_mut() else {
        return Err("The request body must be a JSON object".to_string());
    };
    // Taken, not cloned: a batch body may be 256 MB.
    let requests = match object.get_mut("requests").map(Value::take) {
        None => return Err("requests: Field required".to_string()),
        Some(Value::Array(requests)) => requests,
        Some(_) => return Err("requests: Input should be a valid list".to_string()),
    };
    if requests.is_empty() {
        return Err(
            "requests: List should have at least 1 item after validation, not 0".to_string(),
        );
    }
    if requests.len() > MAX_REQUESTS {
        return Err(format!(
            "requests: List should have at most {MAX_REQUESTS} items after validation, not {}",
            requests.len()
        ));
    }
    let mut seen = HashSet::new();
    requests
        .into_iter()
        .enumerate()
        .map(|(index, request)| {
            let (custom_id, params) = parse_request(index, request)?;
            if !seen.insert(custom_id.clone()) {
                return Err(format!(
                    "requests.{index}.custom_id: '{custom_id}' is used by an earlier request; \
                     each custom_id must be unique within the batch"
                ));
            }
            Ok((custom_id, params))
        })
        .collect()
}

fn parse_request(index: usize, request: Value) -> Result<(String, Value), String> {
    let Value::Object(mut request) = request else {
        return Err(format!(
            "requests.{index}: Input should be a valid dictionary"
        ));
    };
    let custom_id = match request.get("custom_id") {
        None => return Err(format!("requests.{index}.custom_id: Field required")),
        Some(Value::String(id)) if is_valid_custom_id(id) => id.clone(),
        Some(Value::String(_)) => {
            return Err(format!(
                "requests.{index}.custom_id: String should match pattern '{CUSTOM_ID_PATTERN}'"
            ));
        }
        Some(_) => {
            return Err(format!(
                "requests.{index}.custom_id: Input should be a valid string"
            ));
        }
    };
    match request.remove("params") {
        None => Err(format!("requests.{index}.params: Field required")),
        Some(params @ Value::Object(_)) => Ok((custom_id, params)),
        Some(_) => Err(format!(
            "requests.{index}.params: Input should be a valid dictionary"
        )),
    }
}

fn is_valid_custom_id(id: &str) -> bool {
    (1..=CUSTOM_ID_MAX_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `?limit=N&after_id=ID&before_id=ID` of the list endpoint, paging the
/// newest-first list the way the real API's cursors do.
#[derive(Debug, PartialEq)]
struct ListPage {
    limit: usize,
    after_id: Option<String>,
    before_id: Option<String>,
}

impl ListPage {
    fn parse(query: &str) -> Result<ListPage, String> {
        let mut page = ListPage {
            limit: DEFAULT_LIST_LIMIT,
            after_id: None,
            before_id: None,
        };
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "limit" => page.limit = parse_limit(value)?,
                "after_id" => page.after_id = Some(value.to_string()),
                "before_id" => page.before_id = Some(value.to_string()),
                _ => {}
            }
        }
        if page.after_id.is_some() && page.before_id.is_some() {
            return Err("after_id and before_id cannot be given together".to_string());
        }
        Ok(page)
    }

    /// The page and whether more lie beyond it, in the direction of paging.
    /// An unknown cursor gives an empty page.
    fn select<'a>(&self, newest_first: &[&'a Batch]) -> (Vec<&'a Batch>, bool) {
        let position = |id: &str| newest_first.iter().position(|batch| batch.id == id);
        let candidates: &[&Batch] = match (&self.after_id, &self.before_id) {
            (Some(after), _) => position(after).map_or(&[], |at| &newest_first[at + 1..]),
            (None, Some(before)) => position(before).map_or(&[], |at| &newest_first[..at]),
            (None, None) => newest_first,
        };
        let has_more = candidates.len() > self.limit;
        let page = if self.before_id.is_some() {
            &candidates[candidates.len().saturating_sub(self.limit)..]
        } else {
            &candidates[..candidates.len().min(self.limit)]
        };
        (page.to_vec(), has_more)
    }
}

fn parse_limit(value: &str) -> Result<usize, String> {
    let limit = value
        .parse::<usize>()
        .map_err(|_| "limit: Input should be a valid integer".to_string())?;
    match limit {
        0 => Err("limit: Input should be greater than or equal to 1".to_string()),
        limit if limit > MAX_LIST_LIMIT => Err(format!(
            "limit: Input should be less than or equal to {MAX_LIST_LIMIT}"
        )),
        limit => Ok(limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batches::BatchStore;
    use serde_json::json;

    #[test]
    fn calls_are_routed_by_method_and_path() {
        assert_eq!(call("POST", "/v1/messages/batches"), Some(Call::Create));
        assert_eq!(call("GET", "/v1/messages/batches"), Some(Call::List));
        assert_eq!(
            call("GET", "/v1/messages/batches/msgbatch_1"),
            Some(Call::Retrieve("msgbatch_1"))
        );
        assert_eq!(
            call("GET", "/v1/messages/batches/b/results"),
            Some(Call::Results("b"))
        );
        assert_eq!(
            call("POST", "/v1/messages/batches/b/cancel"),
            Some(Call::Cancel("b"))
        );
        for (method, path) in [
            ("DELETE", "/v1/messages/batches"),
            ("GET", "/v1/messages/batchesx"),
            ("GET", "/v1/messages/batches/"),
            ("POST", "/v1/messages/batches/b"),
            ("GET", "/v1/messages/batches/b/cancel"),
            ("GET", "/v1/messages/batches/b/results/x"),
            ("GET", "/v1/messages"),
        ] {
            assert_eq!(call(method, path), None, "{method} {path}");
        }
    }

    #[test]
    fn every_step_has_an_effect_on_batches() {
        for (step, expected) in [
            ("ok", Effect::Answer),
            ("reply=x", Effect::Answer),
            ("sse-cut", Effect::Answer),
            ("stall", Effect::Answer),
            ("slow", Effect::Answer),
            ("truncated", Effect::Truncate),
            ("invalid-json", Effect::InvalidJson),
            ("529", Effect::Refuse),
            ("spend-limit", Effect::Refuse),
            ("html-502", Effect::Refuse),
            ("reset", Effect::Refuse),
            ("hang", Effect::Refuse),
        ] {
            assert_eq!(effect(&step.parse().unwrap()), expected, "{step}");
        }
    }

    #[test]
    fn triggers_read_metadata_user_id() {
        let with = |user_id: &str| json!({"metadata": {"user_id": user_id}});
        assert_eq!(trigger(&with("mock-error-529")), Some(Trigger::Error(529)));
        assert_eq!(trigger(&with("mock-error-400")), Some(Trigger::Error(400)));
        assert_eq!(trigger(&with("mock-expired")), Some(Trigger::Expired));
        assert_eq!(trigger(&with("mock-error-200")), None);
        assert_eq!(trigger(&with("mock-error-x")), None);
        assert_eq!(trigger(&with("user-42")), None);
        assert_eq!(trigger(&json!({"model": "m"})), None);
    }

    fn create_error(body: &str) -> String {
        parse_requests(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn create_bodies_are_validated_like_the_real_api() {
        assert!(create_error("nope").starts_with("There was an error parsing"));
        assert_eq!(create_error("[]"), "The request body must be a JSON object");
        assert_eq!(create_error("{}"), "requests: Field required");
        assert_eq!(
            create_error(r#"{"requests": {}}"#),
            "requests: Input should be a valid list"
        );
        assert_eq!(
            create_error(r#"{"requests": []}"#),
            "requests: List should have at least 1 item after validation, not 0"
        );
        assert_eq!(
            create_error(r#"{"requests": [1]}"#),
            "requests.0: Input should be a valid dictionary"
        );
        assert_eq!(
            create_error(r#"{"requests": [{"params": {}}]}"#),
            "requests.0.custom_id: Field required"
        );
        let long = "a".repeat(65);
        for bad in ["", "has space", "é", long.as_str()] {
            let body = json!({"requests": [{"custom_id": bad, "params": {}}]}).to_string();
            assert_eq!(
                create_error(&body),
                "requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
                "{bad:?}"
            );
        }
        assert_eq!(
            create_error(r#"{"requests": [{"custom_id": 7, "params": {}}]}"#),
            "requests.0.custom_id: Input should be a valid string"
        );
        assert_eq!(
            create_error(r#"{"requests": [{"custom_id": "a"}]}"#),
            "requests.0.params: Field required"
        );
        assert_eq!(
            create_error(r#"{"requests": [{"custom_id": "a", "params": []}]}"#),
            "requests.0.params: Input should be a valid dictionary"
        );
        assert_eq!(
            create_error(
                r#"{"requests": [{"custom_id": "a", "params": {}}, {"custom_id": "b", "params": {}}, {"custom_id": "a", "params": {}}]}"#
            ),
            "requests.2.custom_id: 'a' is used by an earlier request; each custom_id must be unique within the batch"
        );
        let ok = parse_requests(
            format!(
                r#"{{"requests": [{{"custom_id": "{}", "params": {{"x": 1}}}}]}}"#,
                "A-z_9".repeat(12)
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(ok[0].1, json!({"x": 1}));
    }

    #[test]
    fn at_most_100_000_requests() {
        let request = json!({"custom_id": "a", "params": {}});
        let body = json!({"requests": vec![request; MAX_REQUESTS + 1]}).to_string();
        assert_eq!(
            create_error(&body),
            "requests: List should have at most 100000 items after validation, not 100001"
        );
    }

    #[test]
    fn list_pages_follow_the_cursors() {
        let mut store = BatchStore::default();
        for _ in 0..5 {
            store.create(Vec::new(), SystemTime::UNIX_EPOCH);
        }
        let all = store.newest_first();
        let ids = |query: &str| -> (Vec<String>, bool) {
            let (page, has_more) = ListPage::parse(query).unwrap().select(&all);
            let ids = page
                .iter()
                .map(|batch| {
                    batch
                        .id
                        .trim_start_matches("msgbatch_mock_00000")
                        .to_string()
                })
                .collect();
            (ids, has_more)
        };
        assert_eq!(
            ids(""),
            (
                vec!["5".into(), "4".into(), "3".into(), "2".into(), "1".into()],
                false
            )
        );
        assert_eq!(ids("limit=2"), (vec!["5".into(), "4".into()], true));
        assert_eq!(
            ids("limit=2&after_id=msgbatch_mock_000004"),
            (vec!["3".into(), "2".into()], true)
        );
        assert_eq!(
            ids("limit=2&after_id=msgbatch_mock_000002"),
            (vec!["1".into()], false)
        );
        assert_eq!(
            ids("limit=2&before_id=msgbatch_mock_000002"),
            (vec!["4".into(), "3".into()], true)
        );
        assert_eq!(ids("after_id=nope"), (vec![], false));
        assert!(ListPage::parse("limit=0").is_err());
        assert!(ListPage::parse("limit=1001").is_err());
        assert!(ListPage::parse("limit=x").is_err());
        assert!(ListPage::parse("after_id=a&before_id=b").is_err());
    }
}
