//! One item, start to finish, on one worker thread: the same retry loop,
//! classification and log lines as `ask`, with every wait going through the
//! gate the workers share.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::Duration;

use serde_json::Value;

use super::gate::{Gate, Permit, Stop};
use super::input::Item;
use super::progress;
use super::results::{ErrorReport, ResultId};
use crate::api::{Client, Message, Reply};
use crate::call::{Call, Say, Subject};
use crate::events::{BreakerChange, Events, Pause};
use crate::fallback;
use crate::log::{CallRecord, CallUsage, EventLog};
use crate::output_check::{Attempts, Capabilities, Expectation};
use crate::resilience::breaker::{BreakerEvent, Health};
use crate::resilience::policy::AttemptState;
use crate::resilience::{AttemptFailure, Category, Decision, Failure, GiveUp, RetryPolicy};

pub use super::outcomes::COMMAND;

/// What workers tell the thread that writes results and draws progress.
pub enum Event {
    Finished {
        custom_id: ResultId,
        outcome: Outcome,
    },
    /// Started but left for a rerun (the batch is stopping).
    Unfinished,
    /// For the terminal only (retry notices).
    Notice(String),
    /// Always shown (a log that cannot be written).
    Warning(String),
    /// The input has been read; this many items were handed out.
    FeedDone { fed: u64 },
    /// A reply that failed `--expect-json`: paid for all the same.
    Billed(Box<Message>),
}

pub enum Outcome {
    /// The reply, and what the output check read in it (`None` without one).
    Succeeded(Box<Message>, Option<Value>),
    Errored(Box<ErrorReport>),
}

/// What every worker shares.
pub struct Shared {
    pub client: Client,
    pub gate: Gate,
    pub policy: RetryPolicy,
    pub expectation: Option<Expectation>,
    /// Which models take structured outputs (for `--schema`, `--choices`).
    pub capabilities: Capabilities,
    pub log: EventLog,
    pub events: Events,
    /// Retries decided, over all items.
    pub retries: AtomicU64,
    /// Requests sent, retries included.
    pub requests: AtomicU64,
    /// `--fallback-model`.
    pub fallback_model: Option<String>,
}

/// A worker's words go to the thread that draws progress.
impl Say for SyncSender<Event> {
    fn notice(&self, line: &str) {
        let _ = self.send(Event::Notice(line.to_string()));
    }
    fn warning(&self, line: &str) {
        let _ = self.send(Event::Warning(line.to_string()));
    }
}

enum Attempted {
    Done(Box<Reply>, Option<Value>),
    Stopped,
}

impl Shared {
    /// Runs one item; `None` when it is left for a rerun.
    pub fn process(&self, item: &Item, events: &SyncSender<Event>) -> Option<Outcome> {
        let tokens = item.params.estimated_input_tokens();
        let model = item.params.model();
        let call = Call {
            command: COMMAND,
            model,
            subject: Subject::Item(&item.custom_id),
            policy: &self.policy,
            clock: &self.gate,
            log: &self.log,
            events: &self.events,
            say: events,
            retries: &self.retries,
        };
        let fallback = self.fallback_model.as_deref();
        let structured = |model: &str| self.capabilities.structured_outputs(&self.client, model);
        let mut attempts = Attempts::new(&item.params, self.expectation.as_ref(), || {
            structured(model)
        });
        let (outcome, by) = fallback::run(&call, fallback, |model, number, _| {
            if attempts.params().model() != model {
                attempts = attempts.on_model(model, || structured(model));
            }
            let on_fallback = fallback == Some(model);
            self.attempt(
                &item.custom_id,
                &mut attempts,
                (number, on_fallback),
                tokens,
                events,
            )
        });
        match outcome.result {
            Ok(Attempted::Stopped) => None,
            Ok(Attempted::Done(reply, parsed)) => {
                let usage = CallUsage {
                    request_id: reply.request_id.as_deref(),
                    input_tokens: reply.message.usage.input_tokens,
                    output_tokens: reply.message.usage.output_tokens,
                };
                let record =
                    CallRecord::success(COMMAND, model, usage, outcome.attempts, outcome.elapsed);
                call.log_call(by.record(record));
                Some(Outcome::Succeeded(Box::new(reply.message), parsed))
            }
            Err(failed) if self.left_for_rerun(&failed.failure) => None,
            Err(failed) => {
                let (attempts, elapsed) = (outcome.attempts, outcome.elapsed);
                let record =
                    CallRecord::failure(COMMAND, model, &failed.failure, attempts, elapsed);
                call.log_call(by.record(record));
                let report = ErrorReport::new(&failed.failure, Some(outcome.attempts));
                Some(Outcome::Errored(Box::new(report)))
            }
        }
    }

    fn attempt(
        &self,
        custom_id: &str,
        attempts: &mut Attempts,
        (number, on_fallback): (u32, bool),
        tokens: u64,
        events: &SyncSender<Event>,
    ) -> Result<Attempted, AttemptFailure> {
        let Some(permit) = self.gate.acquire(tokens, on_fallback) else {
            return Ok(Attempted::Stopped);
        };
        if permit.is_probe() {
            self.emit(&BreakerChange::half_open(), events);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        match self
            .client
            .create_message(attempts.params(), None, &mut |_| {})
        {
            Ok(reply) => {
                permit.replied(&reply.rate_limits, reply.message.usage.output_tokens);
                let event = permit.finish(None);
                self.breaker_notice(event, None, events);
                let parsed = match attempts.check(&reply) {
                    Ok(parsed) => self.expectation.is_some().then_some(parsed),
                    Err(failure) => {
                        let _ = events.send(Event::Billed(Box::new(reply.message)));
                        return Err(failure.into());
                    }
                };
                Ok(Attempted::Done(Box::new(reply), parsed))
            }
            Err(failed) => {
                if failed.failure.category == Category::RateLimit {
                    // Before the permit is given back, or the other workers
                    // would slip through before the pause.
                    self.pause_everyone(&permit, &failed.failure, number, custom_id, events);
                }
                let event = permit.finish(Some(&failed.failure));
                self.breaker_notice(event, Some(&failed.failure), events);
                Err(failed)
            }
        }
    }

    /// A 429 holds every worker for the wait the policy gives it (its longest,
    /// without jitter); one the batch will not wait out stops the batch.
    fn pause_everyone(
        &self,
        permit: &Permit,
        failure: &Failure,
        attempt: u32,
        custom_id: &str,
        events: &SyncSender<Event>,
    ) {
        // The pause is not the item's: it is decided as a first retry's.
        let state = AttemptState {
            attempt: attempt.min(self.policy.max_retries),
            elapsed: Duration::ZERO,
            output_shown: false,
            may_have_taken_effect: false,
        };
        match self.policy.decide(failure, state, 0.0) {
            Decision::Retry { wait, .. } => {
                permit.pause(wait);
                self.emit(&Pause::rate_limit(custom_id, failure, wait), events);
            }
            Decision::GiveUp(GiveUp::RetryAfterTooLong(_)) => {
                self.gate.stop(Stop::WaitTooLong(failure.clone()));
            }
            Decision::GiveUp(_) => {}
        }
    }

    fn breaker_notice(
        &self,
        event: Option<BreakerEvent>,
        failure: Option<&Failure>,
        events: &SyncSender<Event>,
    ) {
        if let Some(event) = event {
            let cause = failure.map_or_else(|| "the API".to_string(), Failure::label);
            let _ = events.send(Event::Notice(progress::breaker_notice(event, &cause)));
            self.emit(&BreakerChange::new(event, failure), events);
        }
    }

    /// An `--events` line; a write that fails is a warning, once.
    fn emit(&self, record: &impl serde::Serialize, events: &SyncSender<Event>) {
        if let Some(warning) = self.events.emit(record) {
            events.warning(&warning);
        }
    }

    /// A failure that is the batch's, not the item's: the item is left for a
    /// rerun rather than written as errored.
    fn left_for_rerun(&self, failure: &Failure) -> bool {
        let unhealthy = Health::of(Some(failure.category)) == Health::Unhealthy;
        let limited = failure.category == Category::RateLimit;
        match self.gate.stopped() {
            Some(Stop::Systemic(_)) => failure.fails_every_request(),
            Some(Stop::Outage(_)) => unhealthy,
            Some(Stop::WaitTooLong(_)) => limited,
            Some(Stop::Stalled(..)) => unhealthy || limited || failure.fails_every_request(),
            _ => false,
        }
    }
}
