//! `ask`'s part in the pace the processes on one key share
//! (`crate::shared_limits`): before each attempt it waits for a 429's hold,
//! for an open circuit breaker and for its slot; a reply teaches the limits;
//! a 429 holds every process; overloads and server errors feed the breaker.
//!
//! One rule for every wait: `ask` waits when the wait ends within the retry
//! policy's retry-after cap (60 s) and before `--deadline`; otherwise the
//! attempt fails at once, unsent, saying what holds it and until when, and
//! the retry policy gives up as for a server's retry-after that long.

use std::time::{Duration, Instant, SystemTime};

use crate::api::{MessageParams, Reply};
use crate::config::{AskSettings, DEFAULT_HEADROOM};
use crate::events::{Events, Pause};
use crate::report;
use crate::resilience::breaker::{Admission, Breaker, BreakerConfig, Health};
use crate::resilience::limiter::RateLimiter;
use crate::resilience::policy::AttemptState;
use crate::resilience::{Category, Clock, Decision, Failure, GiveUp, RetryPolicy, SystemClock};
use crate::shared_limits::SharedLimits;

const COMMAND: &str = "ask";

/// The longest hold one 429 places on the others.
const MAX_HOLD: Duration = Duration::from_secs(3600);
/// How far apart processes that know no limit yet start.
const FIRST_GAP: Duration = Duration::from_millis(50);
/// How often to look again while another process's probe is out.
const PROBE_POLL: Duration = Duration::from_millis(250);

pub struct Pace {
    /// `None`: this process paces alone (`--no-shared-limits`, `--mock`).
    shared: Option<SharedLimits>,
    limiter: RateLimiter,
    breaker: Breaker,
    policy: RetryPolicy,
    clock: SystemClock,
    tokens: u64,
    /// `--fallback-model`: the breaker hears nothing of what it covers and
    /// holds no attempt on it (`crate::fallback::health`).
    fallback: Option<String>,
    /// The slot the last attempt was given, and whether it was the breaker's probe.
    sent: Instant,
    probe: bool,
    /// A wait for another process's hold or breaker is a `pause` event.
    events: Events,
}

enum Wait {
    Slot(Instant, bool),
    Hold(Instant),
    Breaker(Instant),
    GaveUp,
}

impl Pace {
    pub fn for_ask(settings: &AskSettings, params: &MessageParams, events: Events) -> Pace {
        let connection = &settings.connection;
        let clock = SystemClock {
            sleep_scale: connection.sleep_scale,
        };
        Pace {
            shared: connection.shared_limits.as_ref().map(|dir| {
                let client = &connection.client;
                SharedLimits::new(dir, &client.base_url, &client.api_key, params.model())
            }),
            limiter: RateLimiter::new(None, None, 1.0 - DEFAULT_HEADROOM / 100.0)
                .spaced_until_known(FIRST_GAP),
            breaker: Breaker::new(BreakerConfig {
                clock,
                ..BreakerConfig::default()
            }),
            policy: settings.policy.clone(),
            clock,
            tokens: params.estimated_input_tokens(),
            fallback: settings.fallback_model.clone(),
            sent: Instant::now(),
            probe: false,
            events,
        }
    }

    fn with<R>(
        &mut self,
        change: impl FnOnce(&mut RateLimiter, &mut Breaker, Instant) -> R,
    ) -> Option<R> {
        let shared = self.shared.as_ref()?;
        Some(shared.with(&mut self.limiter, &mut self.breaker, change))
    }

    /// Waits until this attempt on `model` may be sent, or says why it is not.
    pub fn before(&mut self, model: &str, deadline: Option<Instant>) -> Result<(), Failure> {
        let on_fallback = self.fallback.as_deref() == Some(model);
        let mut paused = None;
        loop {
            let (tokens, cap) = (self.tokens, self.policy.retry_after_cap);
            let too_far = move |until: Instant, now: Instant| {
                let past_deadline = deadline.is_some_and(|deadline| until > deadline);
                (past_deadline || until.saturating_duration_since(now) > cap)
                    .then_some(past_deadline)
            };
            let Some((wait, now)) = self.with(|limiter, breaker, now| {
                if let Some(held) = limiter.held_until().filter(|held| *held > now) {
                    return (Wait::Hold(held), now);
                }
                let admission = match on_fallback {
                    true => Admission::Go { probe: false },
                    false => breaker.admit(now),
                };
                let wait = match admission {
                    Admission::Go { probe } => {
                        // Looked at first: a slot this ask will not wait for
                        // is left to the asks that will.
                        let slot = limiter.clone().reserve(now, tokens);
                        match too_far(slot, now) {
                            None => _ = limiter.reserve(now, tokens),
                            // Nor the probe: another process may take it.
                            Some(_) if probe => _ = breaker.record(now, Health::Neutral, true),
                            Some(_) => {}
                        }
                        Wait::Slot(slot, probe)
                    }
                    Admission::WaitUntil(until) => Wait::Breaker(until),
                    Admission::WaitForProbe => Wait::Breaker(now + PROBE_POLL),
                    Admission::GaveUp => Wait::GaveUp,
                };
                (wait, now)
            }) else {
                return Ok(());
            };
            let until = match wait {
                Wait::Slot(slot, probe) => {
                    (self.sent, self.probe) = (slot, probe);
                    slot
                }
                Wait::Hold(until) | Wait::Breaker(until) => until,
                Wait::GaveUp => return Err(self.refusal(&wait, Duration::ZERO, "")),
            };
            let left = until.saturating_duration_since(now);
            if let Some(past_deadline) = too_far(until, now) {
                let why = match past_deadline {
                    true => "past --deadline".to_string(),
                    false => format!(
                        "longer than the {} ask waits",
                        report::seconds(self.policy.retry_after_cap)
                    ),
                };
                return Err(self.refusal(&wait, left, &why));
            }
            let reason = match wait {
                Wait::Hold(_) => Some("shared_hold"),
                Wait::Breaker(_) => Some("shared_breaker"),
                _ => None,
            };
            // Once a wait, not at every look while another's probe is out.
            if reason.is_some() && reason != paused {
                paused = reason;
                let pause = Pause::new(COMMAND, reason.unwrap_or_default(), left);
                if let Some(warning) = self.events.emit(&pause) {
                    eprintln!("{}", report::warning(&warning));
                }
            }
            // Pacing is never scaled; holds and cool-downs were scaled when placed.
            std::thread::sleep(until.saturating_duration_since(Instant::now()));
            if let Wait::Slot(..) = wait {
                return Ok(());
            }
        }
    }

    /// An attempt not sent: the failure the retry policy then gives up on.
    fn refusal(&self, wait: &Wait, left: Duration, why: &str) -> Failure {
        let (category, what) = match wait {
            Wait::Hold(_) => (
                Category::RateLimit,
                "the API answered 429 to a claude-rs process using this key, and every such process waits",
            ),
            Wait::Slot(..) => (
                Category::RateLimit,
                "the rate limit shared by the claude-rs processes using this key has no free slot sooner",
            ),
            Wait::Breaker(_) | Wait::GaveUp => (
                Category::Overloaded,
                "overloads or server errors in a row, over the claude-rs processes using this key, opened the circuit breaker, and every such process waits",
            ),
        };
        let message = match wait {
            Wait::GaveUp => format!("not sent: {what}; its probes kept failing"),
            _ => format!(
                "not sent: {what} {} more, {why} (--no-shared-limits paces this process alone)",
                report::seconds(left)
            ),
        };
        Failure {
            retry_after: Some(left),
            ..Failure::new(category, message)
        }
    }

    /// A reply: its headers teach the limits, its output tokens are spent.
    pub fn replied(&mut self, reply: &Reply) {
        let probe = self.probe;
        let output = reply.message.usage.output_tokens;
        self.with(|limiter, breaker, now| {
            limiter.observe(now, SystemTime::now(), &reply.rate_limits);
            limiter.spend_output(now, output);
            breaker.record(now, Health::Healthy, probe);
        });
    }

    /// A failed attempt: a 429 holds every process, as long as the retry
    /// policy would wait (the server's retry-after, up to an hour); the
    /// breaker hears about the API's health.
    pub fn failed(&mut self, failure: &Failure) {
        let (probe, sent, clock) = (self.probe, self.sent, self.clock);
        let health = crate::fallback::health(Some(failure.category), self.fallback.is_some());
        let hold = (failure.category == Category::RateLimit)
            .then(|| hold_for(&self.policy, failure))
            .flatten();
        self.with(|limiter, breaker, now| {
            if let Some(wait) = hold {
                limiter.hold(now, now + clock.scaled(wait), clock.jitter());
                limiter.rate_limited(now, sent);
            }
            breaker.record(now, health, probe);
        });
    }
}

/// How long a 429 holds the others: what the policy would wait before a
/// first retry, or the server's longer retry-after (the policy gives up on
/// it, but the server meant it for every request on the key).
fn hold_for(policy: &RetryPolicy, failure: &Failure) -> Option<Duration> {
    let first = AttemptState {
        attempt: 1,
        elapsed: Duration::ZERO,
        output_shown: false,
        may_have_taken_effect: false,
    };
    let unlimited = RetryPolicy {
        max_retries: u32::MAX,
        deadline: None,
        ..policy.clone()
    };
    match unlimited.decide(failure, first, 0.0) {
        Decision::Retry { wait, .. } => Some(wait),
        Decision::GiveUp(GiveUp::RetryAfterTooLong(wait)) => Some(wait.min(MAX_HOLD)),
        Decision::GiveUp(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ApiKey;

    const MODEL: &str = "claude-main";
    const FALLBACK: &str = "claude-fallback";

    fn pace(dir: &std::path::Path, limiter: RateLimiter, fallback: Option<&str>) -> Pace {
        let key = ApiKey::new("sk-ant-api03-pace-test-key-0123456789").unwrap();
        // A cool-down over the 60 s cap: an ask it holds is refused at once.
        let two_minutes = Duration::from_secs(120);
        Pace {
            shared: Some(SharedLimits::new(dir, "https://api.example", &key, MODEL)),
            limiter,
            breaker: Breaker::new(BreakerConfig {
                first_cooldown: two_minutes,
                max_cooldown: two_minutes,
                ..BreakerConfig::default()
            }),
            policy: RetryPolicy::default(),
            clock: SystemClock::default(),
            tokens: 1,
            fallback: fallback.map(str::to_string),
            sent: Instant::now(),
            probe: false,
            events: Events::default(),
        }
    }

    fn unpaced() -> RateLimiter {
        RateLimiter::new(None, None, 1.0)
    }

    #[test]
    fn with_a_fallback_overloads_leave_the_breaker_shut_and_it_never_holds_the_fallback() {
        let root = tempfile::tempdir().unwrap();
        let overloaded = Failure::new(Category::Overloaded, "overloaded");
        let server_error = Failure::new(Category::ApiError, "internal error");
        let mut with_fallback = pace(root.path(), unpaced(), Some(FALLBACK));
        for failure in [&overloaded, &server_error].repeat(5) {
            with_fallback.before(MODEL, None).unwrap();
            with_fallback.failed(failure);
        }
        assert!(with_fallback.before(MODEL, None).is_ok(), "not opened");
        // Another process without a fallback opens it for every process...
        let mut alone = pace(root.path(), unpaced(), None);
        for _ in 0..5 {
            alone.before(MODEL, None).unwrap();
            alone.failed(&overloaded);
        }
        let held = alone.before(MODEL, None).expect_err("open for 120 s");
        assert_eq!(held.category, Category::Overloaded);
        assert!(with_fallback.before(MODEL, None).is_err());
        // ...but not for the fallback model.
        assert!(with_fallback.before(FALLBACK, None).is_ok());
    }

    #[test]
    fn a_refused_ask_leaves_its_slot_to_the_asks_that_wait() {
        let root = tempfile::tempdir().unwrap();
        // One a minute at half the limit: a slot every 120 s.
        let new_pace = || pace(root.path(), RateLimiter::new(Some(1), None, 0.5), None);
        assert!(
            new_pace().before(MODEL, None).is_ok(),
            "the first slot is now"
        );
        let refused = |pace: &mut Pace| {
            let failure = pace
                .before(MODEL, None)
                .expect_err("120 s is over the 60 s cap");
            assert_eq!(failure.category, Category::RateLimit);
            failure.retry_after.unwrap()
        };
        let first = refused(&mut new_pace());
        assert!(first > Duration::from_secs(119), "{first:?}");
        // Another ask, and this one again: the next slot has not moved.
        for mut pace in [new_pace(), new_pace()] {
            let again = refused(&mut pace);
            assert!(
                again <= first && first - again < Duration::from_secs(1),
                "{again:?}"
            );
        }
    }
}
