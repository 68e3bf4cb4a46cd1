//! Submitting the input: one pass over it in input order, invalid lines
//! written as errored results (`--skip-invalid`), the rest packed into
//! bodies within the API's limits and each created as a Message Batch, its
//! id recorded in the state file before anything else happens.
//!
//! Creating a batch is not idempotent. It is retried only after a failure
//! that proves nothing was created (an error status, or no connection at
//! all); after a reset or a stall once the body was sent, the run stops and
//! says how to find the batch that may exist.

use std::collections::HashSet;

use super::calls::BatchCall;
use super::chunk::{Body, Chunker};
use super::poll::{Followed, Runner};
use crate::batch::run::{Feed, invalid_result};
use crate::batch::source::{Entry, for_each_entry};
use crate::batch::summary::{Stop, count};
use crate::resilience::AttemptFailure;
use crate::sanitize;

impl Runner<'_> {
    /// Submits every item that is neither in OUTPUT nor in a batch still
    /// pending (`covered`); each batch created joins `batches`.
    pub fn submit(
        &mut self,
        feed: &mut Feed,
        covered: &HashSet<String>,
        batches: &mut Vec<Followed>,
    ) -> Option<Stop> {
        let mut chunker = Chunker::new(self.limits);
        let mut stopped = None;
        let name = feed.input.name.clone();
        let read = for_each_entry(&mut feed.input, &feed.defaults, &feed.invalid, |entry| {
            // Ctrl-C: the body being written is dropped, never sent.
            if self.calls.interrupt().is_set() {
                stopped = Some(Stop::Interrupted);
                return false;
            }
            let result = match entry {
                Entry::Item(item) => {
                    if self.output.has(&item.custom_id) || covered.contains(&item.custom_id) {
                        return true;
                    }
                    match chunker.add(&item.custom_id, &item.params) {
                        Ok(Some(body)) => self.create(body, batches),
                        Ok(None) => Ok(()),
                        Err(error) => Err(Stop::LocalWrite(format!(
                            "a batch body to a temporary file: {error}"
                        ))),
                    }
                }
                Entry::Invalid(error) => match invalid_result(&error, &name) {
                    Some((custom_id, report)) if !self.output.has(&custom_id) => self
                        .output
                        .write_invalid(&custom_id, &report)
                        .map_err(|e| Stop::LocalWrite(format!("the results to OUTPUT: {e}"))),
                    _ => Ok(()),
                },
            };
            match result {
                Ok(()) => true,
                Err(stop) => {
                    stopped = Some(stop);
                    false
                }
            }
        });
        if let Err(error) = read {
            stopped.get_or_insert(Stop::InputFailed(error.to_string()));
        }
        if stopped.is_none() {
            let last = chunker
                .finish()
                .map_err(|e| Stop::LocalWrite(format!("a batch body to a temporary file: {e}")))
                .and_then(|body| match body {
                    Some(body) => self.create(body, batches),
                    None => Ok(()),
                });
            stopped = last.err();
        }
        stopped
    }

    /// Creates one batch and records it; on success it joins `batches`.
    fn create(&mut self, body: Body, batches: &mut Vec<Followed>) -> Result<(), Stop> {
        // Checked before each create: once one is sent, its answer is awaited
        // and recorded, so that a batch that exists is never forgotten.
        if self.calls.interrupt().is_set() {
            return Err(Stop::Interrupted);
        }
        let called = self.calls.call(BatchCall::Create, None, |client| {
            client
                .create_batch(&body.file)
                .map_err(|failed| AttemptFailure {
                    may_have_taken_effect: !failed.failure.proves_nothing_was_done(),
                    ..failed
                })
        });
        let batch = called.or_stop()?.value;
        let requests = count(body.custom_ids.len() as u64, "request", "requests");
        let recorded = self.state.record_submitted(
            &batch.id,
            batch.created_at.as_deref(),
            body.custom_ids.clone(),
        );
        let id = sanitize::one_line(&batch.id).into_owned();
        batches.push(Followed::new(batch.id.clone(), Some(body.custom_ids)));
        if let Err(error) = recorded {
            return Err(Stop::LocalWrite(format!(
                "the state file {}: {error}; batch {id} was created: follow it with \
                 claude-rs batch --remote --batch-id {id} -o OUTPUT",
                self.state.path().display()
            )));
        }
        self.progress.line(&format!(
            "submitted batch {id}: {requests} (its id is kept in {})",
            self.state.path().display()
        ));
        Ok(())
    }
}
