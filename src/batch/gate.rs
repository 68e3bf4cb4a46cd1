//! The one place a batch's workers wait: for the rate limiter's next slot, for
//! a 429's pause (which holds every worker, not just the one that got it), for
//! the circuit breaker, and for a stop (Ctrl-C, a failure of the key or the
//! network, an outage the breaker gave up on, nothing succeeding for the
//! give-up bound). Every wait wakes at once on a stop. The limiter and the
//! breaker are also those of every other claude-rs process on the same key
//! (`crate::shared_limits`), merged in at each change.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use crate::resilience::breaker::{Admission, Breaker, BreakerConfig, BreakerEvent, Health};
use crate::resilience::limiter::RateLimiter;
use crate::resilience::{Category, Clock, Failure, SystemClock};
use crate::shared_limits::SharedLimits;

/// How long a worker waiting on a probe sleeps before looking again, in case
/// a notification is missed.
const PROBE_POLL: Duration = Duration::from_millis(250);

pub use super::summary::Stop;

/// The first request goes alone: a bad key then costs one request, not one
/// per worker, and the rate-limit headers are known before the others start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FirstRequest {
    NotSent,
    InFlight,
    Answered,
}

struct State {
    limiter: RateLimiter,
    breaker: Breaker,
    stop: Option<Stop>,
    pauses: u32,
    first: FirstRequest,
    /// The give-up bound counts from here: the start, or the last success.
    progress_at: Instant,
    last_failure: Option<Failure>,
}

pub struct Gate {
    state: Mutex<State>,
    changed: Condvar,
    /// Shrinks waits that come from failures (tests); pacing is never scaled.
    clock: SystemClock,
    give_up_after: Duration,
    shared: Option<SharedLimits>,
    /// A fallback model is configured (`crate::fallback::health`).
    fallback: bool,
}

/// Leave to send one request; `finish` reports how it went.
pub struct Permit<'g> {
    gate: &'g Gate,
    probe: bool,
    first: bool,
    finished: bool,
    /// The slot it was given: a 429 for a request sent at the current pace
    /// lowers the pace.
    sent: Instant,
}

/// Counts for the summary.
#[derive(Clone, Copy, Debug, Default)]
pub struct GateStats {
    pub pauses: u32,
    pub breaker_trips: u32,
}

impl Gate {
    pub fn new(
        limiter: RateLimiter,
        breaker: BreakerConfig,
        clock: SystemClock,
        give_up_after: Duration,
    ) -> Gate {
        Gate {
            state: Mutex::new(State {
                limiter,
                breaker: Breaker::new(BreakerConfig { clock, ..breaker }),
                stop: None,
                pauses: 0,
                first: FirstRequest::NotSent,
                progress_at: Instant::now(),
                last_failure: None,
            }),
            changed: Condvar::new(),
            clock,
            give_up_after,
            shared: None,
            fallback: false,
        }
    }

    /// Paces with the other processes that share `shared`.
    pub fn sharing(self, shared: Option<SharedLimits>) -> Gate {
        Gate { shared, ..self }
    }

    /// With a fallback model, the breaker hears nothing of what the fallback
    /// covers, and holds no attempt on the fallback model.
    pub fn with_fallback(self, fallback: bool) -> Gate {
        Gate { fallback, ..self }
    }

    /// Changes the limiter or the breaker, with what the other processes
    /// on the key wrote merged in first and the result written for them.
    fn synced<R>(
        &self,
        state: &mut State,
        change: impl FnOnce(&mut RateLimiter, &mut Breaker, Instant) -> R,
    ) -> R {
        match &self.shared {
            Some(shared) => shared.with(&mut state.limiter, &mut state.breaker, change),
            None => change(&mut state.limiter, &mut state.breaker, Instant::now()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `until`, or less if something changes or the give-up
    /// bound comes first; the caller looks again.
    fn wait_until<'s>(
        &self,
        state: MutexGuard<'s, State>,
        until: Instant,
    ) -> MutexGuard<'s, State> {
        let bound = state.progress_at.checked_add(self.give_up_after);
        let until = bound.map_or(until, |bound| until.min(bound));
        let left = until.saturating_duration_since(Instant::now());
        match self.changed.wait_timeout(state, left) {
            Ok((state, _)) => state,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    /// Whether the batch is stopping; nothing having succeeded for the
    /// give-up bound stops it here.
    fn stopping(&self, state: &mut State) -> bool {
        if state.stop.is_none()
            && Instant::now().saturating_duration_since(state.progress_at) >= self.give_up_after
        {
            let failure = state.last_failure.clone().unwrap_or_else(|| {
                Failure::new(Category::ApiError, "no request was answered in time")
            });
            state.stop = Some(Stop::Stalled(failure, self.give_up_after));
            self.changed.notify_all();
        }
        state.stop.is_some()
    }

    /// Blocks until a request of `tokens` estimated input tokens may start;
    /// `None` once the batch is stopping. `on_fallback`: an attempt on the
    /// fallback model, which the breaker does not hold.
    pub fn acquire(&self, tokens: u64, on_fallback: bool) -> Option<Permit<'_>> {
        let mut state = self.lock();
        let (probe, mut slot) = loop {
            if self.stopping(&mut state) {
                return None;
            }
            let first_in_flight = state.first == FirstRequest::InFlight;
            let admitted = self.synced(&mut state, |limiter, breaker, now| {
                if let Some(held) = limiter.held_until().filter(|held| *held > now) {
                    return Err((held, false));
                }
                if first_in_flight {
                    return Err((now + PROBE_POLL, false));
                }
                let admission = match on_fallback {
                    true => Admission::Go { probe: false },
                    false => breaker.admit(now),
                };
                match admission {
                    Admission::Go { probe } => Ok(Some((probe, limiter.reserve(now, tokens)))),
                    Admission::WaitUntil(until) => Err((until, true)),
                    Admission::WaitForProbe => Err((now + PROBE_POLL, false)),
                    Admission::GaveUp => Ok(None),
                }
            });
            match admitted {
                Ok(Some(admitted)) => break admitted,
                Ok(None) => return None,
                Err((until, breaker_open)) => {
                    // Opened by another process: the give-up bound's stop says so.
                    if breaker_open && state.last_failure.is_none() {
                        let open = "the circuit breaker shared with the other claude-rs processes using this key is open (overloads or server errors in a row)";
                        state.last_failure = Some(Failure::new(Category::Overloaded, open));
                    }
                    state = self.wait_until(state, until);
                }
            }
        };
        let first = state.first == FirstRequest::NotSent;
        if first {
            state.first = FirstRequest::InFlight;
        }
        let mut permit = Permit {
            gate: self,
            probe,
            first,
            finished: false,
            sent: Instant::now(),
        };
        let mut holds = state.limiter.holds();
        loop {
            if self.stopping(&mut state) {
                drop(state);
                drop(permit);
                return None;
            }
            // A pause placed while this request waited voids its slot: it
            // takes a new one behind the pause, as every waiting worker does.
            if state.limiter.holds() != holds {
                holds = state.limiter.holds();
                slot = self.synced(&mut state, |limiter, _, now| limiter.reserve(now, tokens));
            }
            if slot <= Instant::now() {
                permit.sent = slot;
                return Some(permit);
            }
            state = self.wait_until(state, slot);
        }
    }

    /// Stops the batch; the first reason given is the one kept.
    pub fn stop(&self, reason: Stop) {
        let mut state = self.lock();
        if state.stop.is_none() {
            state.stop = Some(reason);
        }
        self.changed.notify_all();
    }

    pub fn stopped(&self) -> Option<Stop> {
        self.lock().stop.clone()
    }

    pub fn stats(&self) -> GateStats {
        let state = self.lock();
        GateStats {
            pauses: state.pauses,
            breaker_trips: state.breaker.trips,
        }
    }
}

/// The workers' clock: a retry's wait sleeps on the gate, so a stop cuts it
/// short, and is scaled like every failure's wait.
impl Clock for Gate {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, wait: Duration) {
        let until = Instant::now() + self.clock.scaled(wait);
        let mut state = self.lock();
        while !self.stopping(&mut state) && Instant::now() < until {
            state = self.wait_until(state, until);
        }
    }
    fn jitter(&self) -> f64 {
        self.clock.jitter()
    }
}

impl Permit<'_> {
    /// The request that probes whether the API answers again (the breaker is half-open).
    pub fn is_probe(&self) -> bool {
        self.probe
    }

    /// A reply: the rate-limit headers set the pace (and an empty bucket
    /// pauses everyone until its reset), its output tokens are counted, and
    /// the give-up bound starts again.
    pub fn replied(&self, headers: &[(String, String)], output_tokens: u64) {
        let mut state = self.gate.lock();
        state.progress_at = Instant::now();
        self.gate.synced(&mut state, |limiter, _, now| {
            limiter.observe(now, SystemTime::now(), headers);
            limiter.spend_output(now, output_tokens);
        });
    }

    /// Holds every worker for `wait` (a 429's retry-after or backoff), and
    /// slows the pace if this request was sent at it.
    pub fn pause(&self, wait: Duration) {
        let mut state = self.gate.lock();
        let (clock, sent) = (self.gate.clock, self.sent);
        self.gate.synced(&mut state, |limiter, _, now| {
            limiter.hold(now, now + clock.scaled(wait), clock.jitter());
            limiter.rate_limited(now, sent);
        });
        state.pauses += 1;
        self.gate.changed.notify_all();
    }

    /// Reports the attempt's outcome (`None` for a success) to the breaker,
    /// and stops the batch for a failure of the account or the network, or
    /// an outage the breaker gave up on.
    pub fn finish(mut self, failure: Option<&Failure>) -> Option<BreakerEvent> {
        self.finished = true;
        let health = crate::fallback::health(failure.map(|f| f.category), self.gate.fallback);
        let mut state = self.gate.lock();
        if self.first {
            state.first = FirstRequest::Answered;
        }
        let probe = self.probe;
        let event = self.gate.synced(&mut state, |_, breaker, now| {
            breaker.record(now, health, probe)
        });
        if let Some(failure) = failure {
            state.last_failure = Some(failure.clone());
            let stop = if failure.fails_every_request() {
                Some(Stop::Systemic(failure.clone()))
            } else if matches!(event, Some(BreakerEvent::GaveUp { .. })) {
                Some(Stop::Outage(failure.clone()))
            } else {
                None
            };
            if let (Some(stop), None) = (stop, &state.stop) {
                state.stop = Some(stop);
            }
        }
        self.gate.changed.notify_all();
        event
    }
}

impl Drop for Permit<'_> {
    /// A permit given up unused must not leave the first request's or a
    /// probe's slot taken.
    fn drop(&mut self) {
        if self.finished || !(self.probe || self.first) {
            return;
        }
        let mut state = self.gate.lock();
        if self.first {
            state.first = FirstRequest::NotSent;
        }
        if self.probe {
            self.gate.synced(&mut state, |_, breaker, now| {
                breaker.record(now, Health::Neutral, true)
            });
        }
        self.gate.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;

    const NEVER: Duration = Duration::from_secs(365 * 24 * 3600);

    fn gate(rpm: Option<u32>) -> Gate {
        Gate::new(
            RateLimiter::new(rpm, None, 1.0),
            BreakerConfig::default(),
            SystemClock::default(),
            NEVER,
        )
    }

    /// Runs `wait` on a thread that has said it is about to block, then
    /// `wake`s it: a wake that does not reach the waiter hangs the test.
    fn woken<T: Send + 'static>(
        gate: &Arc<Gate>,
        wait: impl FnOnce(&Gate) -> T + Send + 'static,
        wake: impl FnOnce(&Gate),
    ) -> T {
        let (ready_tx, ready) = mpsc::channel();
        let waiter = {
            let gate = Arc::clone(gate);
            std::thread::spawn(move || {
                ready_tx.send(()).unwrap();
                wait(&gate)
            })
        };
        ready.recv().unwrap();
        wake(gate);
        waiter.join().unwrap()
    }

    #[test]
    fn a_stop_wakes_a_worker_waiting_on_a_pause() {
        let gate = Arc::new(gate(None));
        gate.acquire(1, false).unwrap().pause(NEVER);
        let got = woken(
            &gate,
            |g| g.acquire(1, false).is_some(),
            |g| g.stop(Stop::Interrupted),
        );
        assert!(!got, "the waiter got no permit");
        assert_eq!(gate.stats().pauses, 1);
    }

    #[test]
    fn a_retry_wait_is_cut_short_by_a_stop() {
        let gate = Arc::new(gate(None));
        woken(&gate, |g| g.sleep(NEVER), |g| g.stop(Stop::Interrupted));
        assert!(matches!(gate.stopped(), Some(Stop::Interrupted)));
    }

    #[test]
    fn an_account_wide_failure_stops_everything_and_keeps_the_first_reason() {
        let gate = gate(None);
        let permit = gate.acquire(1, false).unwrap();
        permit.finish(Some(&Failure::new(Category::Authentication, "bad key")));
        assert!(matches!(gate.stopped(), Some(Stop::Systemic(_))));
        gate.stop(Stop::Interrupted);
        assert!(matches!(gate.stopped(), Some(Stop::Systemic(_))));
        assert!(gate.acquire(1, false).is_none());
    }

    #[test]
    fn a_dns_or_tls_failure_stops_everything_at_once() {
        for cause in [crate::resilience::Cause::Dns, crate::resilience::Cause::Tls] {
            let gate = gate(None);
            let mut failure = Failure::new(Category::Connection, "no such host");
            failure.cause = Some(cause);
            gate.acquire(1, false).unwrap().finish(Some(&failure));
            assert!(
                matches!(gate.stopped(), Some(Stop::Systemic(_))),
                "{cause:?}"
            );
        }
    }

    #[test]
    fn the_first_request_goes_alone() {
        let gate = Arc::new(gate(None));
        let first = gate.acquire(1, false).unwrap();
        let answered = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&answered);
        let second = woken(
            &gate,
            move |g| {
                let permit = g.acquire(1, false).unwrap();
                let after_the_first = seen.load(Ordering::SeqCst);
                permit.finish(None);
                after_the_first
            },
            |_| {
                answered.store(true, Ordering::SeqCst);
                first.finish(None);
            },
        );
        assert!(second, "admitted only once the first was answered");
        let third = gate.acquire(1, false).unwrap();
        let fourth = gate.acquire(1, false).unwrap();
        third.finish(None);
        fourth.finish(None);
    }

    #[test]
    fn a_per_item_failure_does_not_stop_anything() {
        let gate = gate(None);
        let permit = gate.acquire(1, false).unwrap();
        permit.finish(Some(&Failure::new(Category::InvalidRequest, "bad")));
        assert!(gate.stopped().is_none());
        assert!(gate.acquire(1, false).is_some());
    }

    #[test]
    fn nothing_succeeding_for_the_bound_stops_the_batch_with_the_last_failure() {
        let gate = Gate::new(
            RateLimiter::new(None, None, 1.0),
            BreakerConfig::default(),
            SystemClock::default(),
            Duration::ZERO,
        );
        assert!(gate.acquire(1, false).is_none());
        match gate.stopped() {
            Some(Stop::Stalled(failure, bound)) => {
                assert_eq!(failure.category, Category::ApiError);
                assert_eq!(bound, Duration::ZERO);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_reply_restarts_the_give_up_bound_and_a_429_does_not() {
        let gate = Arc::new(Gate::new(
            RateLimiter::new(None, None, 1.0),
            BreakerConfig::default(),
            SystemClock::default(),
            NEVER,
        ));
        let limited = Failure::new(Category::RateLimit, "slow down");
        let permit = gate.acquire(1, false).unwrap();
        permit.pause(Duration::ZERO);
        permit.finish(Some(&limited));
        let before = gate.lock().progress_at;
        let permit = gate.acquire(1, false).unwrap();
        permit.replied(&[], 10);
        permit.finish(None);
        assert!(gate.lock().progress_at > before);
        assert_eq!(
            gate.lock().last_failure.as_ref().map(|f| f.category),
            Some(Category::RateLimit)
        );
    }

    #[test]
    fn an_unused_probe_permit_frees_the_probe_slot() {
        let gate = Gate::new(
            RateLimiter::new(None, None, 1.0),
            BreakerConfig {
                first_cooldown: Duration::ZERO,
                ..BreakerConfig::default()
            },
            SystemClock::default(),
            NEVER,
        );
        for _ in 0..5 {
            let permit = gate.acquire(1, false).unwrap();
            permit.finish(Some(&Failure::new(Category::Overloaded, "busy")));
        }
        let probe = gate.acquire(1, false).unwrap();
        assert!(probe.probe);
        drop(probe);
        let again = gate.acquire(1, false).unwrap();
        assert!(again.probe, "the next request probes instead");
    }

    #[test]
    fn with_a_fallback_overloads_leave_the_breaker_shut_and_it_never_holds_the_fallback() {
        let gate = Gate::new(
            RateLimiter::new(None, None, 1.0),
            BreakerConfig {
                first_cooldown: NEVER,
                max_cooldown: NEVER,
                ..BreakerConfig::default()
            },
            SystemClock::default(),
            NEVER,
        )
        .with_fallback(true);
        for category in [Category::Overloaded, Category::ApiError].repeat(5) {
            let permit = gate.acquire(1, false).unwrap();
            assert_eq!(permit.finish(Some(&Failure::new(category, "busy"))), None);
        }
        assert_eq!(gate.stats().breaker_trips, 0);
        // Timeouts are no model's: they still open it.
        for _ in 0..5 {
            let permit = gate.acquire(1, false).unwrap();
            permit.finish(Some(&Failure::new(Category::Timeout, "slow")));
        }
        assert_eq!(gate.stats().breaker_trips, 1);
        let permit = gate.acquire(1, true).expect("the fallback is not held");
        assert!(!permit.is_probe());
        permit.finish(None);
    }

    #[test]
    fn the_outage_stop_carries_the_last_failure() {
        let gate = Gate::new(
            RateLimiter::new(None, None, 1.0),
            BreakerConfig {
                first_cooldown: Duration::ZERO,
                max_cooldown: Duration::ZERO,
                ..BreakerConfig::default()
            },
            SystemClock::default(),
            NEVER,
        );
        let busy = Failure::new(Category::Overloaded, "busy");
        let mut gave_up = false;
        for _ in 0..20 {
            let Some(permit) = gate.acquire(1, false) else {
                break;
            };
            gave_up |= matches!(
                permit.finish(Some(&busy)),
                Some(BreakerEvent::GaveUp { .. })
            );
        }
        assert!(gave_up);
        match gate.stopped() {
            Some(Stop::Outage(failure)) => assert_eq!(failure.message, "busy"),
            other => panic!("{other:?}"),
        }
        assert_eq!(gate.stats().breaker_trips, 5);
    }
}
