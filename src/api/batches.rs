//! The Message Batches API on the wire: the batch object and the list page,
//! read leniently (fields the API adds later are ignored, absent optional
//! ones are `None`) but never without the two a client acts on: `id` and
//! `processing_status`.

use serde::Deserialize;

/// The real API's limits on one batch: 100,000 requests, 256 MB of body.
pub const MAX_BATCH_REQUESTS: usize = 100_000;
pub const MAX_BATCH_BYTES: u64 = 256 * 1024 * 1024;

/// `request_counts`: how the batch's requests stand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RequestCounts {
    pub processing: u64,
    pub succeeded: u64,
    pub errored: u64,
    pub canceled: u64,
    pub expired: u64,
}

impl RequestCounts {
    /// Requests with a result: everything but `processing`.
    /// The counts come from the server: added without overflowing.
    pub fn done(&self) -> u64 {
        self.succeeded
            .saturating_add(self.errored)
            .saturating_add(self.canceled)
            .saturating_add(self.expired)
    }

    pub fn total(&self) -> u64 {
        self.processing.saturating_add(self.done())
    }

    /// The sum of two batches' counts.
    pub fn plus(&self, other: &RequestCounts) -> RequestCounts {
        RequestCounts {
            processing: self.processing.saturating_add(other.processing),
            succeeded: self.succeeded.saturating_add(other.succeeded),
            errored: self.errored.saturating_add(other.errored),
            canceled: self.canceled.saturating_add(other.canceled),
            expired: self.expired.saturating_add(other.expired),
        }
    }
}

/// A `message_batch` object.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct MessageBatch {
    pub id: String,
    /// `in_progress`, `canceling` or `ended`.
    pub processing_status: String,
    #[serde(default)]
    pub request_counts: RequestCounts,
    pub created_at: Option<String>,
    pub ended_at: Option<String>,
    pub expires_at: Option<String>,
    pub cancel_initiated_at: Option<String>,
    pub archived_at: Option<String>,
    /// Absolute; `null` until the batch has ended.
    pub results_url: Option<String>,
}

impl MessageBatch {
    /// Only an ended batch has results to download.
    pub fn has_ended(&self) -> bool {
        self.processing_status == "ended"
    }
}

/// One page of `GET /v1/messages/batches`, newest first.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BatchPage {
    pub data: Vec<MessageBatch>,
    #[serde(default)]
    pub has_more: bool,
}

/// A batches call's answer: parsed, and the body exactly as the API sent it
/// (`--status --json` prints that, so fields claude-rs does not know survive).
#[derive(Clone, Debug)]
pub struct BatchAnswer<T> {
    pub value: T,
    pub body: String,
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_object_reads_with_unknown_fields_and_nulls() {
        let batch: MessageBatch = serde_json::from_str(
            r#"{"id":"msgbatch_1","type":"message_batch","processing_status":"in_progress","request_counts":{"processing":3,"succeeded":1,"errored":1,"canceled":0,"expired":0},"ended_at":null,"created_at":"2024-09-24T18:37:24.100435Z","expires_at":"2024-09-25T18:37:24.100435Z","cancel_initiated_at":null,"archived_at":null,"results_url":null,"something_new":true}"#,
        )
        .unwrap();
        assert_eq!(batch.id, "msgbatch_1");
        assert!(!batch.has_ended());
        assert_eq!(batch.request_counts.done(), 2);
        assert_eq!(batch.request_counts.total(), 5);
        assert_eq!(batch.results_url, None);
        assert!(serde_json::from_str::<MessageBatch>(r#"{"id":"x"}"#).is_err());
    }
}
