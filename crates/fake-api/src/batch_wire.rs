//! Message Batches bodies in the real API's shapes and key order: the
//! MessageBatch object, the list page, and the lines of the results file.
//! Derived `Serialize` structs like `responses.rs`, because `json!` sorts keys.

use std::time::SystemTime;

use serde::Serialize;

use super::batches::{Batch, Final, ItemResult, RequestCounts};
use super::responses::{ErrorBody, MessageObject, Page, to_json};

/// The real API's timestamps carry microseconds: `2024-09-24T18:37:24.100435Z`.
fn timestamp(time: SystemTime) -> String {
    crate::dates::rfc3339_micros(time)
}

#[derive(Serialize)]
struct BatchObject<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    processing_status: &'static str,
    request_counts: RequestCounts,
    ended_at: Option<String>,
    created_at: String,
    expires_at: String,
    cancel_initiated_at: Option<String>,
    archived_at: Option<String>,
    results_url: Option<String>,
}

/// `base_url` is the server's own, so `results_url` is absolute as the real one is.
fn wire_batch<'a>(batch: &'a Batch, base_url: &str) -> BatchObject<'a> {
    BatchObject {
        id: &batch.id,
        kind: "message_batch",
        processing_status: batch.status().as_str(),
        request_counts: batch.counts(),
        ended_at: batch.ended_at.map(timestamp),
        created_at: timestamp(batch.created_at),
        expires_at: timestamp(batch.expires_at()),
        cancel_initiated_at: batch.cancel_initiated_at.map(timestamp),
        archived_at: None,
        results_url: batch
            .ended_at
            .map(|_| format!("{base_url}{}", results_path(&batch.id))),
    }
}

pub(crate) fn batch_object(batch: &Batch, base_url: &str) -> String {
    to_json(&wire_batch(batch, base_url))
}

pub(crate) fn results_path(batch_id: &str) -> String {
    format!("/v1/messages/batches/{batch_id}/results")
}

/// One page of `GET /v1/messages/batches`.
pub(crate) fn batch_list(page: &[&Batch], has_more: bool, base_url: &str) -> String {
    to_json(&Page {
        data: page.iter().map(|b| wire_batch(b, base_url)).collect(),
        has_more,
        first_id: page.first().map(|b| b.id.as_str()),
        last_id: page.last().map(|b| b.id.as_str()),
    })
}

#[derive(Serialize)]
struct ResultLine<'a> {
    custom_id: &'a str,
    result: ResultBody<'a>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ResultBody<'a> {
    Succeeded { message: MessageObject<'a> },
    Errored { error: ErrorBody<'a> },
    Expired,
    Canceled,
}

/// One line of the results file, without its newline. An errored result
/// carries an error response without `request_id`: no HTTP request of its own.
pub(crate) fn result_line(custom_id: &str, result: Final<'_>) -> String {
    let result = match result {
        Final::Done(ItemResult::Succeeded(answer)) => ResultBody::Succeeded {
            message: answer.object(),
        },
        Final::Done(ItemResult::Errored {
            error_type,
            message,
        }) => ResultBody::Errored {
            error: ErrorBody::new(error_type, message, None),
        },
        Final::Done(ItemResult::Expired) => ResultBody::Expired,
        Final::Canceled => ResultBody::Canceled,
    };
    to_json(&ResultLine { custom_id, result })
}

/// The results file: one JSON object per line, each line ending in a newline.
pub(crate) fn results_jsonl(lines: &[(&str, Final<'_>)]) -> String {
    let mut body = String::new();
    for (custom_id, result) in lines {
        body.push_str(&result_line(custom_id, *result));
        body.push('\n');
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batches::{BatchItem, BatchStore};
    use crate::responses::Answer;
    use serde_json::Value;

    #[test]
    fn a_new_batch_has_the_wire_key_order() {
        let mut store = BatchStore::default();
        let created =
            SystemTime::UNIX_EPOCH + std::time::Duration::from_micros(1_727_203_044_100_435);
        let batch = store.create(
            vec![BatchItem {
                custom_id: "a".into(),
                result: ItemResult::Expired,
            }],
            created,
        );
        assert_eq!(
            batch_object(batch, "http://127.0.0.1:1"),
            r#"{"id":"msgbatch_mock_000001","type":"message_batch","processing_status":"in_progress","request_counts":{"processing":1,"succeeded":0,"errored":0,"canceled":0,"expired":0},"ended_at":null,"created_at":"2024-09-24T18:37:24.100435Z","expires_at":"2024-09-25T18:37:24.100435Z","cancel_initiated_at":null,"archived_at":null,"results_url":null}"#
        );
    }

    #[test]
    fn result_lines_have_the_sdk_shapes() {
        let answer = Answer::new("msg_1".into(), "m".into(), "hi", 10, 1);
        let succeeded = ItemResult::Succeeded(answer.clone());
        let line = result_line("a", Final::Done(&succeeded));
        assert_eq!(
            line,
            format!(
                r#"{{"custom_id":"a","result":{{"type":"succeeded","message":{}}}}}"#,
                answer.json()
            )
        );
        let errored = ItemResult::Errored {
            error_type: "invalid_request_error".into(),
            message: "max_tokens: Field required".into(),
        };
        assert_eq!(
            result_line("b", Final::Done(&errored)),
            r#"{"custom_id":"b","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}}}"#
        );
        assert_eq!(
            result_line("c", Final::Canceled),
            r#"{"custom_id":"c","result":{"type":"canceled"}}"#
        );
        assert_eq!(
            result_line("d", Final::Done(&ItemResult::Expired)),
            r#"{"custom_id":"d","result":{"type":"expired"}}"#
        );
        let jsonl = results_jsonl(&[("c", Final::Canceled), ("a", Final::Done(&succeeded))]);
        assert!(jsonl.ends_with('\n'));
        for line in jsonl.lines() {
            serde_json::from_str::<Value>(line).unwrap();
        }
    }

    #[test]
    fn an_empty_list_has_null_ids() {
        assert_eq!(
            batch_list(&[], false, "http://x"),
            r#"{"data":[],"has_more":false,"first_id":null,"last_id":null}"#
        );
    }
}
