//! Following batches until every one has ended and its results are in
//! OUTPUT: a poll of each (`GET /v1/messages/batches/{id}`) every
//! `--poll-interval`, the download as soon as one has ended, and a line in
//! the state file once it is downloaded.

use std::time::Duration;

use super::calls::{BatchCall, Calls, Say};
use super::download::{Output, download};
use super::state::State;
use crate::api::batches::{MessageBatch, RequestCounts};
use crate::batch::progress::Progress;
use crate::batch::summary::{BatchLine, Stop};
use crate::config::BatchLimits;
use crate::sanitize;

/// A batch this run follows.
#[derive(Clone, Debug)]
pub struct Followed {
    pub id: String,
    /// What it was submitted with, when known (not for `--batch-id`).
    pub expected: Option<Vec<String>>,
    /// The last poll's answer.
    pub last: Option<MessageBatch>,
    pub downloaded: bool,
}

impl Followed {
    pub fn new(id: String, expected: Option<Vec<String>>) -> Followed {
        Followed {
            id,
            expected,
            last: None,
            downloaded: false,
        }
    }

    pub fn line(&self) -> BatchLine {
        let counts = self.counts();
        BatchLine {
            id: self.id.clone(),
            status: self.last.as_ref().map(|b| b.processing_status.clone()),
            done: counts.done(),
            total: counts.total(),
        }
    }

    fn counts(&self) -> RequestCounts {
        match &self.last {
            Some(batch) => batch.request_counts,
            // Not polled yet: all of it is still processing, as far as we know.
            None => RequestCounts {
                processing: self.expected.as_ref().map_or(0, |ids| ids.len() as u64),
                ..RequestCounts::default()
            },
        }
    }
}

/// What a remote run shares between its steps: submitting (`submit`),
/// polling and downloading (here), the order of things (`run`).
pub struct Runner<'a> {
    pub calls: &'a Calls<'a>,
    pub state: State,
    pub output: Output,
    pub progress: &'a Progress,
    pub interval: Duration,
    pub limits: BatchLimits,
    /// Every batch this run followed, in the order it met them.
    pub followed: Vec<Followed>,
}

impl Runner<'_> {
    /// Polls and downloads until every batch is in OUTPUT, or a stop.
    pub fn follow_until_ended(&mut self, batches: &mut [Followed]) -> Option<Stop> {
        loop {
            for batch in batches.iter_mut().filter(|b| !b.downloaded) {
                if let Err(stop) = self.poll_once(batch) {
                    return Some(stop);
                }
            }
            let counts = batches.iter().fold(RequestCounts::default(), |sum, batch| {
                sum.plus(&batch.counts())
            });
            let ended = batches
                .iter()
                .filter(|b| b.last.as_ref().is_some_and(MessageBatch::has_ended))
                .count();
            self.progress.update_batches(&counts, batches.len(), ended);
            if batches.iter().all(|b| b.downloaded) {
                return None;
            }
            if self.calls.interrupt().sleep(self.interval) {
                return Some(Stop::Interrupted);
            }
        }
    }

    /// One poll of one batch, and its download when it has ended.
    fn poll_once(&mut self, batch: &mut Followed) -> Result<(), Stop> {
        if self.calls.interrupt().is_set() {
            return Err(Stop::Interrupted);
        }
        let id = batch.id.clone();
        let called = (self.calls).call(BatchCall::Retrieve, Some(&id), |c| c.get_batch(&id));
        let last = batch.last.insert(called.or_stop()?.value);
        if !last.has_ended() {
            return Ok(());
        }
        let missing = download(
            self.calls,
            last,
            batch.expected.as_deref(),
            &mut self.output,
        )?;
        if missing > 0 {
            self.output.tally.missing += missing;
            self.progress.warning(&format!(
                "batch {} returned no result for {missing} of its requests; a rerun submits them again",
                sanitize::one_line(&id),
            ));
        }
        (self.state.record_downloaded(&id)).map_err(|e| self.state.write_failed(&e))?;
        batch.downloaded = true;
        Ok(())
    }
}
