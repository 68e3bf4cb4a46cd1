//! Message Batches as the fake server keeps them. Each request's result is
//! decided when its batch is created; polls then move the batch along
//! deterministically, so a test sees every state without waiting for a clock.

use std::time::{Duration, SystemTime};

use super::responses::Answer;

/// How long after creation the real API expires a batch.
const EXPIRES_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// What one request of a batch becomes once it is processed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ItemResult {
    Succeeded(Answer),
    Errored { error_type: String, message: String },
    Expired,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BatchItem {
    pub custom_id: String,
    pub result: ItemResult,
}

/// A line of the results file: an item's result, or `Canceled` for an item
/// the batch ended before processing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Final<'a> {
    Done(&'a ItemResult),
    Canceled,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Status {
    InProgress,
    Canceling,
    Ended,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "in_progress",
            Status::Canceling => "canceling",
            Status::Ended => "ended",
        }
    }
}

/// `request_counts`: their sum is always the number of requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub(crate) struct RequestCounts {
    pub processing: usize,
    pub succeeded: usize,
    pub errored: usize,
    pub canceled: usize,
    pub expired: usize,
}

/// Cancelling a batch whose processing has already ended.
#[derive(Debug, PartialEq)]
pub(crate) struct AlreadyEnded;

#[derive(Clone, Debug)]
pub(crate) struct Batch {
    pub id: String,
    /// Seeds the order of the results file.
    number: u64,
    pub created_at: SystemTime,
    items: Vec<BatchItem>,
    polls: u32,
    /// `items[..processed]` have their results; the rest are processing, or canceled once ended.
    processed: usize,
    pub cancel_initiated_at: Option<SystemTime>,
    pub ended_at: Option<SystemTime>,
}

impl Batch {
    pub fn status(&self) -> Status {
        match (self.ended_at, self.cancel_initiated_at) {
            (Some(_), _) => Status::Ended,
            (None, Some(_)) => Status::Canceling,
            (None, None) => Status::InProgress,
        }
    }

    pub fn expires_at(&self) -> SystemTime {
        self.created_at + EXPIRES_AFTER
    }

    pub fn counts(&self) -> RequestCounts {
        let mut counts = RequestCounts::default();
        for item in &self.items[..self.processed] {
            match item.result {
                ItemResult::Succeeded(_) => counts.succeeded += 1,
                ItemResult::Errored { .. } => counts.errored += 1,
                ItemResult::Expired => counts.expired += 1,
            }
        }
        let unprocessed = self.items.len() - self.processed;
        if self.ended_at.is_some() {
            counts.canceled = unprocessed;
        } else {
            counts.processing = unprocessed;
        }
        counts
    }

    /// One GET of the batch. After k of `polls_to_end` polls about k/N of the
    /// requests are processed and the N-th poll ends the batch; once a cancel
    /// was initiated, the next poll ends it with the rest canceled.
    pub fn poll(&mut self, polls_to_end: u32, now: SystemTime) {
        if self.ended_at.is_some() {
            return;
        }
        if self.cancel_initiated_at.is_some() {
            self.ended_at = Some(now);
            return;
        }
        let polls_to_end = polls_to_end.max(1);
        self.polls = self.polls.saturating_add(1).min(polls_to_end);
        let done = self.items.len() as u128 * u128::from(self.polls) / u128::from(polls_to_end);
        self.processed = usize::try_from(done).unwrap_or(self.items.len());
        if self.polls == polls_to_end {
            self.ended_at = Some(now);
        }
    }

    /// Starts canceling; cancelling again while canceling changes nothing.
    pub fn cancel(&mut self, now: SystemTime) -> Result<(), AlreadyEnded> {
        if self.ended_at.is_some() {
            return Err(AlreadyEnded);
        }
        self.cancel_initiated_at.get_or_insert(now);
        Ok(())
    }

    /// Every request exactly once, in an order shuffled by `seed` and the batch
    /// (clients must match results by `custom_id`); `None` until the batch has ended.
    pub fn results(&self, seed: u64) -> Option<Vec<(&str, Final<'_>)>> {
        self.ended_at?;
        let mut order: Vec<usize> = (0..self.items.len()).collect();
        fastrand::Rng::with_seed(seed ^ self.number.rotate_left(32)).shuffle(&mut order);
        let lines = order
            .into_iter()
            .map(|index| {
                let item = &self.items[index];
                let result = if index < self.processed {
                    Final::Done(&item.result)
                } else {
                    Final::Canceled
                };
                (item.custom_id.as_str(), result)
            })
            .collect();
        Some(lines)
    }
}

/// Every batch a server has created, oldest first.
#[derive(Debug, Default)]
pub(crate) struct BatchStore {
    batches: Vec<Batch>,
}

impl BatchStore {
    pub fn create(&mut self, items: Vec<BatchItem>, now: SystemTime) -> &Batch {
        let number = self.batches.len() as u64 + 1;
        self.batches.push(Batch {
            id: format!("msgbatch_mock_{number:06}"),
            number,
            created_at: now,
            items,
            polls: 0,
            processed: 0,
            cancel_initiated_at: None,
            ended_at: None,
        });
        &self.batches[self.batches.len() - 1]
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Batch> {
        self.batches.iter_mut().find(|batch| batch.id == id)
    }

    /// The order the list endpoint uses: most recently created first.
    pub fn newest_first(&self) -> Vec<&Batch> {
        self.batches.iter().rev().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn succeeded(custom_id: &str) -> BatchItem {
        BatchItem {
            custom_id: custom_id.to_string(),
            result: ItemResult::Succeeded(Answer::new(
                format!("msg_{custom_id}"),
                "m".into(),
                "hi",
                10,
                1,
            )),
        }
    }

    fn errored(custom_id: &str) -> BatchItem {
        BatchItem {
            custom_id: custom_id.to_string(),
            result: ItemResult::Errored {
                error_type: "overloaded_error".into(),
                message: "Overloaded".into(),
            },
        }
    }

    fn items(count: usize) -> Vec<BatchItem> {
        (0..count)
            .map(|n| {
                if n % 4 == 3 {
                    errored(&format!("r{n}"))
                } else {
                    succeeded(&format!("r{n}"))
                }
            })
            .collect()
    }

    fn counts(
        processing: usize,
        succeeded: usize,
        errored: usize,
        canceled: usize,
    ) -> RequestCounts {
        RequestCounts {
            processing,
            succeeded,
            errored,
            canceled,
            expired: 0,
        }
    }

    #[test]
    fn polls_process_a_share_each_and_the_last_one_ends_the_batch() {
        let now = SystemTime::UNIX_EPOCH;
        let mut store = BatchStore::default();
        let created = store.create(items(8), now);
        assert_eq!(created.id, "msgbatch_mock_000001");
        assert_eq!(created.status(), Status::InProgress);
        assert_eq!(created.counts(), counts(8, 0, 0, 0));
        assert_eq!(created.expires_at(), now + EXPIRES_AFTER);
        let batch = store.get_mut("msgbatch_mock_000001").unwrap();
        assert!(batch.results(1).is_none());
        batch.poll(4, now);
        assert_eq!(batch.counts(), counts(6, 2, 0, 0));
        batch.poll(4, now);
        assert_eq!(batch.counts(), counts(4, 3, 1, 0));
        batch.poll(4, now);
        assert_eq!(batch.status(), Status::InProgress);
        let end = now + Duration::from_secs(5);
        batch.poll(4, end);
        assert_eq!(batch.status(), Status::Ended);
        assert_eq!(batch.ended_at, Some(end));
        assert_eq!(batch.counts(), counts(0, 6, 2, 0));
        batch.poll(4, end + Duration::from_secs(5));
        assert_eq!(
            batch.ended_at,
            Some(end),
            "an ended batch stays as it ended"
        );
    }

    #[test]
    fn cancel_ends_at_the_next_poll_with_the_rest_canceled() {
        let now = SystemTime::UNIX_EPOCH;
        let mut store = BatchStore::default();
        store.create(items(4), now);
        let batch = store.get_mut("msgbatch_mock_000001").unwrap();
        batch.poll(2, now);
        assert_eq!(batch.cancel(now), Ok(()));
        let later = now + Duration::from_secs(1);
        assert_eq!(batch.cancel(later), Ok(()));
        assert_eq!(batch.cancel_initiated_at, Some(now));
        assert_eq!(batch.status(), Status::Canceling);
        assert_eq!(batch.counts(), counts(2, 2, 0, 0));
        batch.poll(2, later);
        assert_eq!(batch.status(), Status::Ended);
        assert_eq!(batch.counts(), counts(0, 2, 0, 2));
        let results = batch.results(1).unwrap();
        let canceled: Vec<&str> = results
            .iter()
            .filter(|(_, result)| *result == Final::Canceled)
            .map(|(custom_id, _)| *custom_id)
            .collect();
        assert_eq!(canceled.len(), 2);
        assert!(canceled.iter().all(|id| ["r2", "r3"].contains(id)));
        assert_eq!(batch.cancel(later), Err(AlreadyEnded));
    }

    #[test]
    fn results_hold_every_item_once_in_a_seeded_order() {
        let now = SystemTime::UNIX_EPOCH;
        let mut store = BatchStore::default();
        store.create(items(50), now);
        let batch = store.get_mut("msgbatch_mock_000001").unwrap();
        batch.poll(1, now);
        let ids = |seed| -> Vec<String> {
            batch
                .results(seed)
                .unwrap()
                .iter()
                .map(|(id, _)| id.to_string())
                .collect()
        };
        let first = ids(7);
        assert_eq!(first, ids(7));
        assert_ne!(first, ids(8));
        let input: Vec<String> = (0..50).map(|n| format!("r{n}")).collect();
        assert_ne!(first, input, "not in input order");
        let mut sorted = first.clone();
        sorted.sort();
        let mut expected = input;
        expected.sort();
        assert_eq!(sorted, expected);
    }

    #[test]
    fn zero_polls_counts_as_one_and_the_list_is_newest_first() {
        let now = SystemTime::UNIX_EPOCH;
        let mut store = BatchStore::default();
        store.create(items(1), now);
        store.create(items(1), now);
        let batch = store.get_mut("msgbatch_mock_000002").unwrap();
        batch.poll(0, now);
        assert_eq!(batch.status(), Status::Ended);
        let ids: Vec<&str> = store
            .newest_first()
            .iter()
            .map(|batch| batch.id.as_str())
            .collect();
        assert_eq!(ids, ["msgbatch_mock_000002", "msgbatch_mock_000001"]);
        assert!(store.get_mut("msgbatch_mock_000003").is_none());
    }
}
