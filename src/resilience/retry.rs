//! The retry loop shared by every command: attempt, classify, ask the policy,
//! report, wait, again. Time comes from a `Clock`, so tests run it instantly.

use std::time::{Duration, Instant};

use super::category::Category;
use super::clock::Clock;
use super::failure::Failure;
use super::policy::{AttemptState, Decision, GiveUp, RetryPolicy};

/// An attempt that failed, as the attempt itself knows it.
#[derive(Clone, Debug)]
pub struct AttemptFailure {
    pub failure: Failure,
    /// Reply text received before the failure, if any.
    pub partial: Option<String>,
    /// Whether that text already reached the user (then it is never re-sent).
    pub output_shown: bool,
    /// Whether the request may have taken effect on the server although it
    /// failed (a create sent, then the connection reset): repeating a request
    /// that is not idempotent could then do it twice.
    pub may_have_taken_effect: bool,
}

impl From<Failure> for AttemptFailure {
    fn from(failure: Failure) -> Self {
        AttemptFailure {
            failure,
            partial: None,
            output_shown: false,
            may_have_taken_effect: false,
        }
    }
}

/// One failed attempt and what the policy decided, for notices and the log.
#[derive(Debug)]
pub struct FailedAttempt<'a> {
    pub attempt: u32,
    pub max_attempts: u32,
    pub failure: &'a Failure,
    pub decision: Decision,
    pub elapsed: Duration,
}

/// How the call finally failed.
#[derive(Clone, Debug)]
pub struct FinalFailure {
    pub failure: Failure,
    pub give_up: GiveUp,
    pub partial: Option<String>,
}

#[derive(Debug)]
pub struct CallOutcome<T> {
    pub result: Result<T, FinalFailure>,
    pub attempts: u32,
    pub elapsed: Duration,
}

/// Runs `attempt` until it succeeds or the policy gives up. `attempt` gets the
/// 1-based attempt number and the instant by which it must finish (the deadline).
pub fn run_with_retries<T>(
    policy: &RetryPolicy,
    clock: &dyn Clock,
    on_failure: &mut dyn FnMut(&FailedAttempt),
    mut attempt: impl FnMut(u32, Option<Instant>) -> Result<T, AttemptFailure>,
) -> CallOutcome<T> {
    let started = clock.now();
    let deadline_at = policy.deadline.and_then(|d| started.checked_add(d));
    // Free failures are decided as if the retries were unlimited.
    let unlimited = RetryPolicy {
        max_retries: u32::MAX,
        ..policy.clone()
    };
    let mut number = 0;
    // Attempts that spent the budget; a free one is still "the same" attempt.
    let mut spent = 0;
    let mut elapsed;
    let result = loop {
        number += 1;
        let result = attempt(number, deadline_at);
        elapsed = clock.now().saturating_duration_since(started);
        let failed = match result {
            Ok(value) => break Ok(value),
            Err(failed) => failed,
        };
        let free = policy.pauses_are_free
            && match failed.failure.category {
                Category::RateLimit => true,
                Category::Overloaded => !policy.overloads_are_paid,
                _ => false,
            };
        if !free {
            spent += 1;
        }
        let state = AttemptState {
            attempt: spent.max(1),
            elapsed,
            output_shown: failed.output_shown,
            may_have_taken_effect: failed.may_have_taken_effect,
        };
        let decider = if free { &unlimited } else { policy };
        let decision = decider.decide(&failed.failure, state, clock.jitter());
        on_failure(&FailedAttempt {
            attempt: state.attempt,
            max_attempts: policy.max_attempts(),
            failure: &failed.failure,
            decision,
            elapsed,
        });
        match decision {
            Decision::Retry { wait, .. } => clock.sleep(wait),
            Decision::GiveUp(give_up) => {
                break Err(FinalFailure {
                    failure: failed.failure,
                    give_up,
                    partial: failed.partial,
                });
            }
        }
    };
    CallOutcome {
        result,
        attempts: number,
        elapsed,
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::resilience::category::Category;
    use proptest::prelude::*;
    use std::cell::{Cell, RefCell};

    /// A clock that only moves when slept on, and records every sleep.
    pub struct FakeClock {
        start: Instant,
        offset: Cell<Duration>,
        pub sleeps: RefCell<Vec<Duration>>,
    }

    impl Default for FakeClock {
        fn default() -> Self {
            FakeClock::new()
        }
    }

    impl FakeClock {
        pub fn new() -> FakeClock {
            FakeClock {
                start: Instant::now(),
                offset: Cell::new(Duration::ZERO),
                sleeps: RefCell::new(Vec::new()),
            }
        }
        pub fn advance(&self, by: Duration) {
            self.offset.set(self.offset.get() + by);
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Instant {
            self.start + self.offset.get()
        }
        fn sleep(&self, duration: Duration) {
            self.sleeps.borrow_mut().push(duration);
            self.advance(duration);
        }
        fn jitter(&self) -> f64 {
            0.0
        }
    }

    #[test]
    fn retries_until_success_and_reports_each_failure() {
        let clock = FakeClock::new();
        let mut seen = Vec::new();
        let outcome = run_with_retries(
            &RetryPolicy::default(),
            &clock,
            &mut |f| seen.push((f.attempt, f.failure.category, f.decision)),
            |n, _| {
                if n < 3 {
                    Err(Failure::new(Category::Overloaded, "busy").into())
                } else {
                    Ok("done")
                }
            },
        );
        assert_eq!(outcome.result.unwrap(), "done");
        assert_eq!(outcome.attempts, 3);
        assert_eq!(seen.len(), 2);
        assert_eq!(
            *clock.sleeps.borrow(),
            vec![Duration::from_secs(3), Duration::from_secs(6)]
        );
        assert_eq!(outcome.elapsed, Duration::from_secs(9));
    }

    #[test]
    fn gives_up_after_max_retries_with_the_last_failure() {
        let clock = FakeClock::new();
        let policy = RetryPolicy {
            max_retries: 2,
            ..Default::default()
        };
        let outcome: CallOutcome<()> = run_with_retries(&policy, &clock, &mut |_| {}, |n, _| {
            Err(Failure::new(Category::ApiError, format!("failure {n}")).into())
        });
        let failed = outcome.result.unwrap_err();
        assert_eq!(outcome.attempts, 3);
        assert_eq!(failed.give_up, GiveUp::AttemptsExhausted);
        assert_eq!(failed.failure.message, "failure 3");
        assert_eq!(clock.sleeps.borrow().len(), 2);
    }

    #[test]
    fn free_pauses_leave_the_retries_unspent_and_count_as_the_same_retry() {
        let clock = FakeClock::new();
        let policy = RetryPolicy {
            max_retries: 2,
            pauses_are_free: true,
            ..Default::default()
        };
        let mut seen = Vec::new();
        // Six 429s and a 529 in between, a 500, then success: only the 500 spends.
        let script = [429, 429, 529, 429, 500, 429, 429, 429];
        let outcome = run_with_retries(
            &policy,
            &clock,
            &mut |f| seen.push((f.attempt, f.decision)),
            |n, _| match script.get(n as usize - 1) {
                Some(429) => Err(Failure::new(Category::RateLimit, "slow").into()),
                Some(529) => Err(Failure::new(Category::Overloaded, "busy").into()),
                Some(_) => Err(Failure::new(Category::ApiError, "oops").into()),
                None => Ok("done"),
            },
        );
        assert_eq!(outcome.result.unwrap(), "done");
        assert_eq!(outcome.attempts, 9);
        let numbers: Vec<u32> = seen.iter().map(|(n, _)| *n).collect();
        // The one retry the 500 spent is the only one counted, before and after.
        assert_eq!(numbers, vec![1; 8]);
        assert!(
            seen.iter()
                .all(|(_, d)| matches!(d, Decision::Retry { .. }))
        );
        // Without the rule, the third failure exhausts the item.
        let counted: CallOutcome<()> = run_with_retries(
            &RetryPolicy {
                pauses_are_free: false,
                ..policy
            },
            &clock,
            &mut |_| {},
            |_, _| Err(Failure::new(Category::RateLimit, "slow").into()),
        );
        assert_eq!(counted.attempts, 3);
        assert_eq!(
            counted.result.unwrap_err().give_up,
            GiveUp::AttemptsExhausted
        );
        // With a fallback model waiting, overloads spend; rate limits stay free.
        let paid = RetryPolicy {
            overloads_are_paid: true,
            ..policy
        };
        let mut n = 0;
        let overloaded: CallOutcome<()> = run_with_retries(&paid, &clock, &mut |_| {}, |_, _| {
            n += 1;
            let category = [Category::RateLimit, Category::Overloaded][n % 2];
            Err(Failure::new(category, "busy").into())
        });
        // 529, 429, 529, 429, 529: three overloads spend the two retries.
        assert_eq!(overloaded.attempts, 5);
        assert_eq!(
            overloaded.result.unwrap_err().failure.category,
            Category::Overloaded
        );
    }

    #[test]
    fn passes_the_deadline_to_each_attempt_and_stops_before_it() {
        let clock = FakeClock::new();
        let policy = RetryPolicy {
            max_retries: 10,
            deadline: Some(Duration::from_secs(5)),
            ..Default::default()
        };
        let expected_deadline = clock.now() + Duration::from_secs(5);
        let outcome: CallOutcome<()> =
            run_with_retries(&policy, &clock, &mut |_| {}, |_, deadline| {
                assert_eq!(deadline, Some(expected_deadline));
                Err(Failure::new(Category::ApiError, "x").into())
            });
        let failed = outcome.result.unwrap_err();
        assert_eq!(failed.give_up, GiveUp::DeadlineWouldPass);
        // waits of 1 s and 2 s fit in 5 s; the next (4 s) would not
        assert_eq!(outcome.attempts, 3);
    }

    #[test]
    fn a_partial_reply_already_shown_is_not_retried() {
        let clock = FakeClock::new();
        let outcome: CallOutcome<()> =
            run_with_retries(&RetryPolicy::default(), &clock, &mut |_| {}, |_, _| {
                Err(AttemptFailure {
                    failure: Failure::new(Category::InvalidResponse, "cut"),
                    partial: Some("Hello".into()),
                    output_shown: true,
                    may_have_taken_effect: false,
                })
            });
        let failed = outcome.result.unwrap_err();
        assert_eq!(outcome.attempts, 1);
        assert_eq!(failed.give_up, GiveUp::OutputAlreadyShown);
        assert_eq!(failed.partial.as_deref(), Some("Hello"));
    }

    #[test]
    fn a_request_that_may_have_taken_effect_is_not_repeated() {
        let clock = FakeClock::new();
        let outcome: CallOutcome<()> =
            run_with_retries(&RetryPolicy::default(), &clock, &mut |_| {}, |_, _| {
                Err(AttemptFailure {
                    may_have_taken_effect: true,
                    ..Failure::new(Category::Connection, "reset").into()
                })
            });
        let failed = outcome.result.unwrap_err();
        assert_eq!(outcome.attempts, 1);
        assert_eq!(failed.give_up, GiveUp::MayHaveTakenEffect);
    }

    proptest! {
        #[test]
        fn the_loop_never_sleeps_past_the_deadline_or_the_attempts(
            deadline_ms in 1u64..200_000,
            max_retries in 0u32..12,
            waits_ms in prop::collection::vec(prop::option::of(0u64..120_000), 1..16),
            attempt_ms in 0u64..5_000,
        ) {
            let clock = FakeClock::new();
            let policy = RetryPolicy {
                max_retries,
                deadline: Some(Duration::from_millis(deadline_ms)),
                ..Default::default()
            };
            let outcome: CallOutcome<()> = run_with_retries(&policy, &clock, &mut |_| {}, |n, _| {
                // Each attempt takes a while, then the server names a wait or not.
                clock.advance(Duration::from_millis(attempt_ms));
                let mut failure = Failure::new(Category::RateLimit, "slow down");
                failure.retry_after = waits_ms[(n as usize - 1) % waits_ms.len()]
                    .map(Duration::from_millis)
                    .filter(|w| !w.is_zero());
                Err(failure.into())
            });
            let slept: Duration = clock.sleeps.borrow().iter().sum();
            prop_assert!(outcome.attempts <= policy.max_attempts());
            prop_assert_eq!(clock.sleeps.borrow().len() as u32, outcome.attempts - 1);
            for wait in clock.sleeps.borrow().iter() {
                prop_assert!(*wait <= policy.retry_after_cap.max(policy.backoff_cap));
            }
            // Every sleep began and ended before the deadline.
            let busy = Duration::from_millis(attempt_ms) * (outcome.attempts - 1);
            prop_assert!(slept + busy < Duration::from_millis(deadline_ms));
        }
    }
}
