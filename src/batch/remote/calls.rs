//! Every Message Batches call goes through here: the same retry loop, policy
//! and log as a message request, with Ctrl-C cutting retry waits short. The
//! caller says what a failed attempt means (whether the call may be repeated).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::api::Client;
use crate::api::batches::BatchAnswer;
use crate::call::{Call, Subject};
use crate::config::BatchApiSettings;
use crate::events::Events;
use crate::log::{CallRecord, EventLog};
use crate::resilience::{AttemptFailure, Category, Clock, FinalFailure, RetryPolicy, SystemClock};
use crate::signal::Signals;

/// What the log's `command` says for every line of a batch run.
pub use crate::batch::outcomes::COMMAND;
pub use crate::call::Say;
/// Message Batches calls are about no one model: the log's `model` is empty.
const NO_MODEL: &str = "";

/// The Message Batches calls, as the log's `batch_call` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchCall {
    Create,
    Retrieve,
    Cancel,
    Results,
    List,
}

impl BatchCall {
    /// The log's name for the call, and what the batch was doing in it.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            BatchCall::Create => ("create", "submitting a batch"),
            BatchCall::Retrieve => ("retrieve", "polling a batch"),
            BatchCall::Cancel => ("cancel", "canceling a batch"),
            BatchCall::Results => ("results", "downloading results"),
            BatchCall::List => ("list", "listing batches"),
        }
    }
}

/// A call that failed for good.
#[derive(Clone, Debug)]
pub struct Failed {
    pub failure: FinalFailure,
    pub attempts: u32,
    pub elapsed: Duration,
    pub call: BatchCall,
}

impl Failed {
    /// The fix to show: the core's, except where a batch call's context
    /// changes it (a batch that was not found is not a wrong model id).
    pub fn fix(&self) -> String {
        let failure = &self.failure.failure;
        match (failure.category, self.call) {
            (Category::NotFound, BatchCall::Retrieve | BatchCall::Cancel | BatchCall::Results) => {
                "The API does not know this batch: check its id (claude-rs batch --list shows the recent \
                 ones). A batch belongs to the workspace of the key that created it, and its results are \
                 kept for 29 days. If a batch named in OUTPUT.batches is gone for good, remove that file \
                 and rerun: its items are submitted again."
                    .to_string()
            }
            _ => failure.fix(),
        }
    }

    pub fn render(&self) -> String {
        crate::report::render_failure_with_fix(
            &self.failure,
            self.attempts,
            self.elapsed,
            &self.fix(),
        )
    }
}

pub enum Called<T> {
    Done(T),
    /// Ctrl-C, before an attempt or during a retry wait.
    Interrupted,
    Failed(Box<Failed>),
}

/// Retry waits sleep on the interrupt, so Ctrl-C cuts them short.
impl Clock for Calls<'_> {
    fn now(&self) -> std::time::Instant {
        self.clock.now()
    }
    fn sleep(&self, duration: Duration) {
        self.interrupt.sleep(self.clock.scaled(duration));
    }
    fn jitter(&self) -> f64 {
        self.clock.jitter()
    }
}

pub struct Calls<'a> {
    client: Client,
    policy: RetryPolicy,
    clock: SystemClock,
    interrupt: Signals,
    log: EventLog,
    events: Events,
    say: &'a dyn Say,
    retries: AtomicU64,
}

impl<'a> Calls<'a> {
    pub fn new(settings: &BatchApiSettings, interrupt: Signals, say: &'a dyn Say) -> Calls<'a> {
        Calls {
            client: Client::new(&settings.connection.client),
            policy: settings.policy.clone(),
            clock: SystemClock {
                sleep_scale: settings.connection.sleep_scale,
            },
            interrupt,
            log: EventLog::new(settings.log_path.clone()),
            events: Events::open(settings.events.as_deref()),
            say,
            retries: AtomicU64::new(0),
        }
    }

    /// Retries decided so far, over all calls.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    pub fn events(&self) -> &Events {
        &self.events
    }

    pub fn interrupt(&self) -> &Signals {
        &self.interrupt
    }

    /// Runs one call to the end: success, Ctrl-C, or a final failure. Each
    /// failed attempt and the finished call are logged.
    pub fn call<T>(
        &self,
        call: BatchCall,
        batch_id: Option<&str>,
        mut attempt: impl FnMut(&Client) -> Result<BatchAnswer<T>, AttemptFailure>,
    ) -> Called<BatchAnswer<T>> {
        let resilient = Call {
            command: COMMAND,
            model: NO_MODEL,
            subject: Subject::BatchCall(call.names().0, batch_id),
            policy: &self.policy,
            clock: self,
            log: &self.log,
            events: &self.events,
            say: self.say,
            retries: &self.retries,
        };
        let outcome = resilient.run(|_, _| {
            if self.interrupt.is_set() {
                return Ok(None);
            }
            attempt(&self.client).map(Some)
        });
        match outcome.result {
            Ok(Some(value)) => {
                resilient.log_call(CallRecord::success_without_usage(
                    COMMAND,
                    NO_MODEL,
                    value.request_id.as_deref(),
                    outcome.attempts,
                    outcome.elapsed,
                ));
                Called::Done(value)
            }
            // Not a finished call: only its failed attempts are in the log.
            Ok(None) => Called::Interrupted,
            Err(failure) => {
                resilient.log_failure(&failure, outcome.attempts, outcome.elapsed);
                Called::Failed(Box::new(Failed {
                    failure,
                    attempts: outcome.attempts,
                    elapsed: outcome.elapsed,
                    call,
                }))
            }
        }
    }
}
