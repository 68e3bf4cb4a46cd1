//! The one resilient call every command makes: the retry loop, and around it
//! the attempt lines, the retry notices, the retry counter and the call line,
//! alike for `ask`, a batch's items and the Message Batches calls.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use colored::Colorize;

use crate::events::{Events, WithExit};
use crate::exit_code::ExitCode;
use crate::log::{About, AttemptRecord, CallRecord, EventLog, OUTPUT_FAILED};
use crate::report;
use crate::resilience::retry::run_with_retries;
use crate::resilience::{
    AttemptFailure, CallOutcome, Category, Clock, Decision, FailedAttempt, FinalFailure,
    RetryPolicy,
};

/// What a call is about, as its log lines and notices name it.
#[derive(Clone, Copy, Debug)]
pub enum Subject<'a> {
    /// `ask`'s one prompt.
    Prompt,
    /// A batch item, by its custom_id.
    Item(&'a str),
    /// A Message Batches call (`create`, `retrieve`…) and its batch, if any.
    BatchCall(&'a str, Option<&'a str>),
}

impl<'a> Subject<'a> {
    fn about(self) -> About<'a> {
        let (custom_id, batch_call, batch_id) = match self {
            Subject::Prompt => (None, None, None),
            Subject::Item(id) => (Some(id), None, None),
            Subject::BatchCall(call, batch_id) => (None, Some(call), batch_id),
        };
        About {
            custom_id,
            batch_call,
            batch_id,
        }
    }
}

/// Where a call's words go on stderr: retry notices are for a person
/// watching a terminal; warnings (a log that cannot be written) always show.
pub trait Say {
    fn notice(&self, line: &str);
    fn warning(&self, line: &str);
}

pub struct Call<'a> {
    pub command: &'a str,
    pub model: &'a str,
    pub subject: Subject<'a>,
    pub policy: &'a RetryPolicy,
    pub clock: &'a dyn Clock,
    pub log: &'a EventLog,
    /// `--events`: retries, give-ups and the outcome, for a program.
    pub events: &'a Events,
    pub say: &'a dyn Say,
    /// Retries decided, over every call that shares it.
    pub retries: &'a AtomicU64,
}

impl Call<'_> {
    /// Runs `attempt` (given the attempt's number and deadline) until it
    /// succeeds or the policy gives up; each failed attempt is logged and,
    /// when retried, counted and announced.
    pub fn run<T>(
        &self,
        attempt: impl FnMut(u32, Option<Instant>) -> Result<T, AttemptFailure>,
    ) -> CallOutcome<T> {
        run_with_retries(
            self.policy,
            self.clock,
            &mut |failed| self.failed_attempt(failed),
            attempt,
        )
    }

    fn failed_attempt(&self, failed: &FailedAttempt) {
        let mut record = AttemptRecord {
            about: self.subject.about(),
            ..AttemptRecord::new(self.command, self.model, failed)
        };
        if let Some(warning) = self.log.append(&record) {
            self.say.warning(&warning);
        }
        let retried = matches!(failed.decision, Decision::Retry { .. });
        record.event = if retried { "retry" } else { "give_up" };
        self.emit(&record);
        if !retried {
            return;
        }
        self.retries.fetch_add(1, Ordering::Relaxed);
        let Some(line) = report::retry_notice(failed) else {
            return;
        };
        self.say.notice(&match self.subject {
            Subject::Prompt => line,
            // A rate limit pauses every worker, not just this item's.
            Subject::Item(id) if failed.failure.category == Category::RateLimit => {
                format!("{} · {line}{}", id.dimmed(), " · all workers wait".dimmed())
            }
            Subject::Item(id) => format!("{} · {line}", id.dimmed()),
            Subject::BatchCall(call, _) => format!("{call} · {line}"),
        });
    }

    /// Writes the call's line, named for its subject, and its outcome event
    /// with the exit code the record stands for.
    pub fn log_call(&self, record: CallRecord) {
        let exit = match record.category.and_then(Category::from_name) {
            Some(category) => category.exit_code(),
            None if record.outcome == OUTPUT_FAILED => ExitCode::Output,
            None => ExitCode::Success,
        };
        let mut record = CallRecord {
            about: self.subject.about(),
            ..record
        };
        if let Some(warning) = self.log.append(&record) {
            self.say.warning(&warning);
        }
        record.event = "outcome";
        self.emit(&WithExit {
            record: &record,
            exit_code: exit.code(),
        });
    }

    /// Writes the line of a call that failed for good.
    pub fn log_failure(&self, failed: &FinalFailure, attempts: u32, elapsed: Duration) {
        let failure = &failed.failure;
        self.log_call(CallRecord::failure(
            self.command,
            self.model,
            failure,
            attempts,
            elapsed,
        ));
    }

    fn emit(&self, record: &impl serde::Serialize) {
        if let Some(warning) = self.events.emit(record) {
            self.say.warning(&warning);
        }
    }
}
