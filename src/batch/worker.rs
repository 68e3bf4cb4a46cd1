//! One item, start to finish, on one worker thread: the same retry loop,
//! classification and log lines as `ask`, with every wait going through the
//! gate the workers share.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use super::gate::{Gate, Stop};
use super::input::Item;
use super::progress;
use super::results::{ErrorReport, ResultId};
use crate::api::{Client, Message, Reply};
use crate::log::{AttemptRecord, CallRecord, CallUsage, EventLog};
use crate::output_check::Expectation;
use crate::output_check::check_reply;
use crate::resilience::breaker::{BreakerEvent, Health};
use crate::resilience::policy::AttemptState;
use crate::resilience::retry::run_with_retries;
use crate::resilience::{
    AttemptFailure, Category, Clock, Decision, FailedAttempt, Failure, GiveUp, RetryPolicy,
};

pub const COMMAND: &str = "batch";

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
    /// Ctrl-C.
    Interrupt,
}

pub enum Outcome {
    Succeeded(Box<Message>),
    Errored(Box<ErrorReport>),
}

/// What every worker shares.
pub struct Shared {
    pub client: Client,
    pub gate: Gate,
    pub policy: RetryPolicy,
    pub expectation: Option<Expectation>,
    pub log: EventLog,
    /// Retries decided, over all items.
    pub retries: AtomicU64,
    /// Requests sent, retries included.
    pub requests: AtomicU64,
}

/// Retry waits sleep on the gate, so a stop cuts them short.
struct GateClock<'a>(&'a Gate);

impl Clock for GateClock<'_> {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, duration: Duration) {
        self.0.sleep(duration);
    }
    fn jitter(&self) -> f64 {
        fastrand::f64()
    }
}

enum Attempted {
    Done(Box<Reply>),
    Stopped,
}

impl Shared {
    /// Runs one item; `None` when it is left for a rerun.
    pub fn process(&self, item: &Item, events: &SyncSender<Event>) -> Option<Outcome> {
        let tokens = item.params.estimated_input_tokens();
        let model = item.params.model();
        let mut on_failure = |failed: &FailedAttempt| self.on_failed_attempt(item, failed, events);
        let outcome = run_with_retries(
            &self.policy,
            &GateClock(&self.gate),
            &mut on_failure,
            |number, _| self.attempt(item, number, tokens, events),
        );
        match outcome.result {
            Ok(Attempted::Stopped) => None,
            Ok(Attempted::Done(reply)) => {
                let usage = CallUsage {
                    request_id: reply.request_id.as_deref(),
                    input_tokens: reply.message.usage.input_tokens,
                    output_tokens: reply.message.usage.output_tokens,
                };
                let record =
                    CallRecord::success(COMMAND, model, usage, outcome.attempts, outcome.elapsed)
                        .for_item(&item.custom_id);
                self.warn(self.log.append(&record), events);
                Some(Outcome::Succeeded(Box::new(reply.message)))
            }
            Err(failed) if self.left_for_rerun(&failed.failure) => None,
            Err(failed) => {
                let record = CallRecord::failure(
                    COMMAND,
                    model,
                    &failed.failure,
                    outcome.attempts,
                    outcome.elapsed,
                )
                .for_item(&item.custom_id);
                self.warn(self.log.append(&record), events);
                let report = ErrorReport::new(&failed.failure, Some(outcome.attempts));
                Some(Outcome::Errored(Box::new(report)))
            }
        }
    }

    fn attempt(
        &self,
        item: &Item,
        number: u32,
        tokens: u64,
        events: &SyncSender<Event>,
    ) -> Result<Attempted, AttemptFailure> {
        let Some(permit) = self.gate.acquire(tokens) else {
            return Ok(Attempted::Stopped);
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        match self.client.create_message(&item.params, None, &mut |_| {}) {
            Ok(reply) => {
                self.gate.observe(&reply.rate_limits);
                let event = permit.finish(None);
                self.breaker_notice(event, None, events);
                check_reply(&reply, self.expectation.as_ref()).map_err(AttemptFailure::from)?;
                Ok(Attempted::Done(Box::new(reply)))
            }
            Err(failed) => {
                if failed.failure.category == Category::RateLimit {
                    // Before the permit is given back, or the other workers
                    // would slip through before the pause.
                    self.pause_everyone(&failed.failure, number);
                }
                let event = permit.finish(Some(&failed.failure));
                self.breaker_notice(event, Some(&failed.failure), events);
                Err(failed)
            }
        }
    }

    fn on_failed_attempt(&self, item: &Item, failed: &FailedAttempt, events: &SyncSender<Event>) {
        let mut record = AttemptRecord::new(COMMAND, item.params.model(), failed);
        record.custom_id = Some(&item.custom_id);
        self.warn(self.log.append(&record), events);
        if let Decision::Retry { .. } = failed.decision {
            self.retries.fetch_add(1, Ordering::Relaxed);
            if let Some(notice) = progress::retry_notice(&item.custom_id, failed) {
                let _ = events.send(Event::Notice(notice));
            }
        }
    }

    /// A 429 holds every worker for the wait the policy gives it (its longest,
    /// without jitter); one the batch will not wait out stops the batch.
    fn pause_everyone(&self, failure: &Failure, attempt: u32) {
        let state = AttemptState {
            attempt,
            elapsed: Duration::ZERO,
            output_shown: false,
            may_have_taken_effect: false,
        };
        match self.policy.decide(failure, state, 0.0) {
            Decision::Retry { wait, .. } => self.gate.pause(wait),
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
        }
    }

    /// A failure that is the batch's, not the item's: the item is left for a
    /// rerun rather than written as errored.
    fn left_for_rerun(&self, failure: &Failure) -> bool {
        match self.gate.stopped() {
            Some(Stop::Systemic(_)) => failure.fails_every_request(),
            Some(Stop::Outage(_)) => Health::of(Some(failure.category)) == Health::Unhealthy,
            Some(Stop::WaitTooLong(_)) => failure.category == Category::RateLimit,
            _ => false,
        }
    }

    fn warn(&self, warning: Option<String>, events: &SyncSender<Event>) {
        if let Some(warning) = warning {
            let _ = events.send(Event::Warning(warning));
        }
    }
}
