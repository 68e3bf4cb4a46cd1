//! The retry decision: a pure function of (failure, attempt, elapsed, policy,
//! jitter). It never sleeps and never reads a clock, so it is tested exhaustively.

use std::time::Duration;

use super::failure::Failure;

#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
    /// The whole call, retries and waits included.
    pub deadline: Option<Duration>,
    /// The longest wait we compute ourselves.
    pub backoff_cap: Duration,
    /// The longest wait we accept from a server's retry-after; a longer
    /// request fails at once and tells the user when to come back.
    pub retry_after_cap: Duration,
    /// Whether rate-limit and overload waits leave `max_retries` unspent: a
    /// batch's item is errored only for a failure of its own, and the batch
    /// bounds those waits itself.
    pub pauses_are_free: bool,
    /// Overloads spend `max_retries` even when pauses are free: with a
    /// fallback model to turn to, a batch's item must not wait one out forever.
    pub overloads_are_paid: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            deadline: None,
            backoff_cap: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(60),
            pauses_are_free: false,
            overloads_are_paid: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GiveUp {
    /// The category (or cause) is one no retry can mend.
    NotRetryable,
    /// The server's `x-should-retry: false`.
    ServerSaidNo,
    /// Text of this reply is already on the user's screen: a retry would
    /// duplicate it, so the partial reply stands and the failure is reported.
    OutputAlreadyShown,
    /// The request may already have taken effect (sent, then the connection
    /// broke) and is not idempotent: repeating it could do it twice.
    MayHaveTakenEffect,
    AttemptsExhausted,
    /// The server asked for a longer wait than we accept.
    RetryAfterTooLong(Duration),
    /// Waiting for the next attempt would pass the deadline.
    DeadlineWouldPass,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// After the server's retry-after when it sent one, else after our
    /// exponential backoff with jitter.
    Retry {
        wait: Duration,
    },
    GiveUp(GiveUp),
}

/// What the caller knows about the attempt that just failed.
#[derive(Clone, Copy, Debug)]
pub struct AttemptState {
    /// 1-based number of the attempt that failed.
    pub attempt: u32,
    /// Since the call began, including this attempt.
    pub elapsed: Duration,
    /// Whether any of this attempt's reply already reached the user.
    pub output_shown: bool,
    /// Whether the failed request may have taken effect anyway (see
    /// `AttemptFailure::may_have_taken_effect`).
    pub may_have_taken_effect: bool,
}

impl RetryPolicy {
    pub fn max_attempts(&self) -> u32 {
        self.max_retries.saturating_add(1)
    }

    /// `jitter` is a number in [0, 1): the caller draws it so this stays pure.
    pub fn decide(&self, failure: &Failure, state: AttemptState, jitter: f64) -> Decision {
        let retryable = failure.retryable();
        let server_said_no =
            failure.should_retry == Some(false) && failure.category.retryable_by_default();
        let exhausted = state.attempt >= self.max_attempts();
        // The first reason that applies is the one given.
        let reasons = [
            (!retryable && server_said_no, GiveUp::ServerSaidNo),
            (!retryable, GiveUp::NotRetryable),
            (state.output_shown, GiveUp::OutputAlreadyShown),
            (state.may_have_taken_effect, GiveUp::MayHaveTakenEffect),
            (exhausted, GiveUp::AttemptsExhausted),
        ];
        if let Some((_, reason)) = reasons.into_iter().find(|(applies, _)| *applies) {
            return Decision::GiveUp(reason);
        }
        let wait = match failure.retry_after {
            Some(asked) if asked > self.retry_after_cap => {
                return Decision::GiveUp(GiveUp::RetryAfterTooLong(asked));
            }
            Some(asked) => asked,
            None => self.backoff(failure, state.attempt, jitter),
        };
        if let Some(deadline) = self.deadline
            && state.elapsed.saturating_add(wait) >= deadline
        {
            return Decision::GiveUp(GiveUp::DeadlineWouldPass);
        }
        Decision::Retry { wait }
    }

    /// base × 2^(attempt−1), capped, then shortened by up to a quarter at
    /// random so that many clients failing together do not retry in lockstep.
    fn backoff(&self, failure: &Failure, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let nominal = failure
            .category
            .base_delay()
            .saturating_mul(1u32 << exponent)
            .min(self.backoff_cap);
        // A NaN jitter counts as none: `mul_f64` would panic on it.
        let jitter = if jitter > 0.0 { jitter.min(1.0) } else { 0.0 };
        nominal.mul_f64(1.0 - 0.25 * jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::category::Category;
    use crate::resilience::failure::Cause;
    use proptest::prelude::*;

    fn state(attempt: u32) -> AttemptState {
        AttemptState {
            attempt,
            elapsed: Duration::ZERO,
            output_shown: false,
            may_have_taken_effect: false,
        }
    }

    fn failure(category: Category) -> Failure {
        Failure::new(category, "m")
    }

    fn wait_of(decision: Decision) -> Duration {
        match decision {
            Decision::Retry { wait, .. } => wait,
            other => panic!("expected a retry, got {other:?}"),
        }
    }

    #[test]
    fn non_retryable_categories_give_up_at_once() {
        let policy = RetryPolicy::default();
        for category in Category::ALL {
            let decision = policy.decide(&failure(category), state(1), 0.0);
            let retried = matches!(decision, Decision::Retry { .. });
            assert_eq!(retried, category.retryable_by_default(), "{category}");
        }
    }

    #[test]
    fn backoff_doubles_per_attempt_and_is_capped() {
        let policy = RetryPolicy {
            max_retries: 10,
            ..Default::default()
        };
        let overloaded = failure(Category::Overloaded);
        let waits: Vec<_> = (1..=5)
            .map(|n| wait_of(policy.decide(&overloaded, state(n), 0.0)).as_millis())
            .collect();
        assert_eq!(waits, vec![3_000, 6_000, 12_000, 24_000, 30_000]);
    }

    #[test]
    fn each_category_has_its_own_base_delay() {
        let policy = RetryPolicy::default();
        let first = |c| wait_of(policy.decide(&failure(c), state(1), 0.0));
        assert_eq!(first(Category::RateLimit), Duration::from_secs(2));
        assert_eq!(first(Category::Overloaded), Duration::from_secs(3));
        assert_eq!(first(Category::Timeout), Duration::from_secs(4));
        assert_eq!(first(Category::Connection), Duration::from_secs(1));
        assert!(first(Category::Overloaded) > first(Category::Connection));
    }

    #[test]
    fn jitter_shortens_by_at_most_a_quarter() {
        let policy = RetryPolicy::default();
        let f = failure(Category::ApiError);
        assert_eq!(
            wait_of(policy.decide(&f, state(1), 0.0)),
            Duration::from_millis(1000)
        );
        assert_eq!(
            wait_of(policy.decide(&f, state(1), 0.5)),
            Duration::from_millis(875)
        );
        assert_eq!(
            wait_of(policy.decide(&f, state(1), 0.999_999)).as_millis(),
            750
        );
    }

    #[test]
    fn attempts_are_bounded_by_max_retries() {
        let policy = RetryPolicy {
            max_retries: 2,
            ..Default::default()
        };
        let f = failure(Category::ApiError);
        assert!(matches!(
            policy.decide(&f, state(1), 0.0),
            Decision::Retry { .. }
        ));
        assert!(matches!(
            policy.decide(&f, state(2), 0.0),
            Decision::Retry { .. }
        ));
        assert_eq!(
            policy.decide(&f, state(3), 0.0),
            Decision::GiveUp(GiveUp::AttemptsExhausted)
        );
        let none = RetryPolicy {
            max_retries: 0,
            ..Default::default()
        };
        assert_eq!(
            none.decide(&f, state(1), 0.0),
            Decision::GiveUp(GiveUp::AttemptsExhausted)
        );
    }

    #[test]
    fn server_retry_after_is_honoured_exactly() {
        let policy = RetryPolicy::default();
        let mut f = failure(Category::RateLimit);
        f.retry_after = Some(Duration::from_millis(7_250));
        assert_eq!(
            policy.decide(&f, state(3), 0.9),
            Decision::Retry {
                wait: Duration::from_millis(7_250),
            }
        );
    }

    #[test]
    fn retry_after_beyond_the_cap_fails_at_once() {
        let policy = RetryPolicy::default();
        let mut f = failure(Category::RateLimit);
        f.retry_after = Some(Duration::from_secs(600));
        assert_eq!(
            policy.decide(&f, state(1), 0.0),
            Decision::GiveUp(GiveUp::RetryAfterTooLong(Duration::from_secs(600)))
        );
    }

    #[test]
    fn the_deadline_stops_a_wait_that_would_pass_it() {
        let policy = RetryPolicy {
            deadline: Some(Duration::from_secs(10)),
            ..Default::default()
        };
        let f = failure(Category::ApiError);
        let early = AttemptState {
            attempt: 1,
            elapsed: Duration::from_secs(5),
            output_shown: false,
            may_have_taken_effect: false,
        };
        assert!(matches!(
            policy.decide(&f, early, 0.0),
            Decision::Retry { .. }
        ));
        let late = AttemptState {
            elapsed: Duration::from_millis(9_500),
            ..early
        };
        assert_eq!(
            policy.decide(&f, late, 0.0),
            Decision::GiveUp(GiveUp::DeadlineWouldPass)
        );
    }

    #[test]
    fn shown_output_is_never_resent() {
        let policy = RetryPolicy::default();
        let shown = AttemptState {
            output_shown: true,
            ..state(1)
        };
        assert_eq!(
            policy.decide(&failure(Category::InvalidResponse), shown, 0.0),
            Decision::GiveUp(GiveUp::OutputAlreadyShown)
        );
    }

    #[test]
    fn a_request_that_may_have_taken_effect_is_never_repeated() {
        let policy = RetryPolicy::default();
        let maybe = AttemptState {
            may_have_taken_effect: true,
            ..state(1)
        };
        let reset = failure(Category::Connection).with_cause(Cause::Reset);
        assert_eq!(
            policy.decide(&reset, maybe, 0.0),
            Decision::GiveUp(GiveUp::MayHaveTakenEffect)
        );
        // A failure no retry could mend says so first: that is the truer reason.
        assert_eq!(
            policy.decide(&failure(Category::Authentication), maybe, 0.0),
            Decision::GiveUp(GiveUp::NotRetryable)
        );
    }

    #[test]
    fn server_saying_no_is_told_apart() {
        let policy = RetryPolicy::default();
        let mut f = failure(Category::Overloaded);
        f.should_retry = Some(false);
        assert_eq!(
            policy.decide(&f, state(1), 0.0),
            Decision::GiveUp(GiveUp::ServerSaidNo)
        );
        let mut f = failure(Category::InvalidRequest);
        f.should_retry = Some(true);
        assert!(matches!(
            policy.decide(&f, state(1), 0.0),
            Decision::Retry { .. }
        ));
    }

    const CAUSES: [Cause; 17] = [
        Cause::Dns,
        Cause::Refused,
        Cause::Reset,
        Cause::Tls,
        Cause::Proxy,
        Cause::ConnectionOther,
        Cause::ConnectTimeout,
        Cause::StallTimeout,
        Cause::Deadline,
        Cause::SpendLimit,
        Cause::LowCredit,
        Cause::HtmlPage,
        Cause::UnreadableBody,
        Cause::StreamIncomplete,
        Cause::NotJson,
        Cause::NotAChoice,
        Cause::SchemaMismatch,
    ];

    fn any_duration() -> impl Strategy<Value = Duration> {
        prop_oneof![
            (0u64..100_000).prop_map(Duration::from_millis),
            (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
            Just(Duration::MAX),
            Just(Duration::ZERO),
        ]
    }

    fn any_failure() -> impl Strategy<Value = Failure> {
        (
            prop::sample::select(Category::ALL.to_vec()),
            proptest::option::of(prop::sample::select(CAUSES.to_vec())),
            any::<Option<bool>>(),
            proptest::option::of(any_duration()),
        )
            .prop_map(|(category, cause, should_retry, retry_after)| {
                let mut failure = Failure::new(category, "m");
                failure.cause = cause;
                failure.should_retry = should_retry;
                failure.retry_after = retry_after;
                failure
            })
    }

    fn any_policy() -> impl Strategy<Value = RetryPolicy> {
        (
            any::<u32>(),
            proptest::option::of(any_duration()),
            any_duration(),
            any_duration(),
        )
            .prop_map(|(max_retries, deadline, backoff_cap, retry_after_cap)| {
                RetryPolicy {
                    max_retries,
                    deadline,
                    backoff_cap,
                    retry_after_cap,
                    pauses_are_free: false,
                    overloads_are_paid: false,
                }
            })
    }

    fn any_state() -> impl Strategy<Value = AttemptState> {
        (any::<u32>(), any_duration(), any::<bool>(), any::<bool>()).prop_map(
            |(attempt, elapsed, output_shown, may_have_taken_effect)| AttemptState {
                attempt,
                elapsed,
                output_shown,
                may_have_taken_effect,
            },
        )
    }

    proptest! {
        #[test]
        fn every_wait_stays_within_the_caps_and_the_deadline(
            failure in any_failure(),
            policy in any_policy(),
            state in any_state(),
            jitter in prop_oneof![any::<f64>(), 0.0f64..1.0],
        ) {
            if let Decision::Retry { wait } = policy.decide(&failure, state, jitter) {
                let cap = match failure.retry_after {
                    Some(_) => policy.retry_after_cap,
                    None => policy.backoff_cap,
                };
                prop_assert!(wait <= cap, "{:?} over {:?}", wait, cap);
                if let Some(deadline) = policy.deadline {
                    prop_assert!(state.elapsed.saturating_add(wait) < deadline);
                }
                prop_assert!(state.attempt < policy.max_attempts());
                prop_assert!(!state.output_shown && !state.may_have_taken_effect);
            }
        }

        #[test]
        fn what_cannot_be_mended_is_never_retried_whatever_the_server_says(
            failure in any_failure(),
            policy in any_policy(),
            state in any_state(),
            jitter in any::<f64>(),
        ) {
            let unmendable = failure.category.is_account_wide()
                || matches!(
                    failure.cause,
                    Some(Cause::Dns | Cause::Tls | Cause::Deadline | Cause::SpendLimit | Cause::LowCredit)
                )
                || (failure.should_retry.is_none() && !failure.category.retryable_by_default());
            if unmendable {
                let decision = policy.decide(&failure, state, jitter);
                prop_assert!(
                    !matches!(decision, Decision::Retry { .. }),
                    "{:?} retried: {:?}", failure, decision
                );
            }
        }
    }

    #[test]
    fn dns_failures_are_not_retried_but_resets_are() {
        let policy = RetryPolicy::default();
        let dns = failure(Category::Connection).with_cause(Cause::Dns);
        assert_eq!(
            policy.decide(&dns, state(1), 0.0),
            Decision::GiveUp(GiveUp::NotRetryable)
        );
        let reset = failure(Category::Connection).with_cause(Cause::Reset);
        assert!(matches!(
            policy.decide(&reset, state(1), 0.0),
            Decision::Retry { .. }
        ));
    }
}
