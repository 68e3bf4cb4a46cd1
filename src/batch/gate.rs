//! The one place a batch's workers wait: for the rate limiter's next slot, for
//! a 429's pause (which holds every worker, not just the one that got it), for
//! the circuit breaker, and for a stop (Ctrl-C, a failure of the key, an
//! outage the breaker gave up on). Every wait wakes at once on a stop.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::resilience::Failure;
use crate::resilience::breaker::{Admission, Breaker, BreakerConfig, BreakerEvent, Health};
use crate::resilience::limiter::RateLimiter;

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
}

pub struct Gate {
    state: Mutex<State>,
    changed: Condvar,
    /// Shrinks waits that come from failures (tests); pacing is never scaled.
    wait_scale: f64,
}

/// Leave to send one request; `finish` reports how it went.
pub struct Permit<'g> {
    gate: &'g Gate,
    probe: bool,
    first: bool,
    finished: bool,
}

/// Counts for the summary.
#[derive(Clone, Copy, Debug, Default)]
pub struct GateStats {
    pub pauses: u32,
    pub breaker_trips: u32,
}

impl Gate {
    pub fn new(limiter: RateLimiter, breaker: BreakerConfig, wait_scale: f64) -> Gate {
        Gate {
            state: Mutex::new(State {
                limiter,
                breaker: Breaker::new(BreakerConfig {
                    wait_scale,
                    ..breaker
                }),
                stop: None,
                pauses: 0,
                first: FirstRequest::NotSent,
            }),
            changed: Condvar::new(),
            wait_scale: wait_scale.clamp(0.0, 1.0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `until`, or less if something changes; the caller looks again.
    fn wait_until<'s>(
        &self,
        state: MutexGuard<'s, State>,
        until: Instant,
    ) -> MutexGuard<'s, State> {
        let left = until.saturating_duration_since(Instant::now());
        match self.changed.wait_timeout(state, left) {
            Ok((state, _)) => state,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    /// Blocks until a request of `tokens` estimated input tokens may start;
    /// `None` once the batch is stopping.
    pub fn acquire(&self, tokens: u64) -> Option<Permit<'_>> {
        let mut state = self.lock();
        let probe = loop {
            if state.stop.is_some() {
                return None;
            }
            let now = Instant::now();
            if let Some(held) = state.limiter.held_until().filter(|held| *held > now) {
                state = self.wait_until(state, held);
                continue;
            }
            if state.first == FirstRequest::InFlight {
                state = self.wait_until(state, now + PROBE_POLL);
                continue;
            }
            match state.breaker.admit(now) {
                Admission::Go { probe } => break probe,
                Admission::WaitUntil(until) => state = self.wait_until(state, until),
                Admission::WaitForProbe => state = self.wait_until(state, now + PROBE_POLL),
                Admission::GaveUp => return None,
            }
        };
        let first = state.first == FirstRequest::NotSent;
        if first {
            state.first = FirstRequest::InFlight;
        }
        let permit = Permit {
            gate: self,
            probe,
            first,
            finished: false,
        };
        let slot = state.limiter.reserve(Instant::now(), tokens);
        loop {
            if state.stop.is_some() {
                drop(state);
                drop(permit);
                return None;
            }
            // A pause placed while this request waited for its slot holds it too.
            let until = state
                .limiter
                .held_until()
                .map_or(slot, |held| held.max(slot));
            if until <= Instant::now() {
                return Some(permit);
            }
            state = self.wait_until(state, until);
        }
    }

    /// Holds every worker for `wait` (a 429's retry-after or backoff).
    pub fn pause(&self, wait: Duration) {
        let mut state = self.lock();
        state
            .limiter
            .hold(Instant::now() + wait.mul_f64(self.wait_scale));
        state.pauses += 1;
        self.changed.notify_all();
    }

    /// Learns the account's limits from a response's rate-limit headers.
    pub fn observe(&self, headers: &[(String, String)]) {
        if !headers.is_empty() {
            self.lock().limiter.observe(Instant::now(), headers);
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

    /// A retry's wait, cut short by a stop; scaled like every failure's wait.
    pub fn sleep(&self, wait: Duration) {
        let until = Instant::now() + wait.mul_f64(self.wait_scale);
        let mut state = self.lock();
        while state.stop.is_none() && Instant::now() < until {
            state = self.wait_until(state, until);
        }
    }

    pub fn stats(&self) -> GateStats {
        let state = self.lock();
        GateStats {
            pauses: state.pauses,
            breaker_trips: state.breaker.trips,
        }
    }
}

impl Permit<'_> {
    /// Reports the attempt's outcome (`None` for a success) to the breaker,
    /// and stops the batch for a failure of the account or an outage the
    /// breaker gave up on.
    pub fn finish(mut self, failure: Option<&Failure>) -> Option<BreakerEvent> {
        self.finished = true;
        let health = Health::of(failure.map(|f| f.category));
        let mut state = self.gate.lock();
        if self.first {
            state.first = FirstRequest::Answered;
        }
        let event = state.breaker.record(Instant::now(), health, self.probe);
        if let Some(failure) = failure {
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
            state.breaker.record(Instant::now(), Health::Neutral, true);
        }
        self.gate.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::Category;
    use std::sync::Arc;

    fn gate(rpm: Option<u32>) -> Gate {
        Gate::new(
            RateLimiter::new(rpm, None, 1.0),
            BreakerConfig::default(),
            1.0,
        )
    }

    #[test]
    fn a_stop_wakes_a_waiting_worker_at_once() {
        let gate = Arc::new(gate(None));
        gate.pause(Duration::from_secs(3600));
        let waiter = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || gate.acquire(1).is_none())
        };
        std::thread::sleep(Duration::from_millis(20));
        let started = Instant::now();
        gate.stop(Stop::Interrupted);
        assert!(waiter.join().unwrap(), "the waiter got no permit");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn an_account_wide_failure_stops_everything_and_keeps_the_first_reason() {
        let gate = gate(None);
        let permit = gate.acquire(1).unwrap();
        permit.finish(Some(&Failure::new(Category::Authentication, "bad key")));
        assert!(matches!(gate.stopped(), Some(Stop::Systemic(_))));
        gate.stop(Stop::Interrupted);
        assert!(matches!(gate.stopped(), Some(Stop::Systemic(_))));
        assert!(gate.acquire(1).is_none());
    }

    #[test]
    fn the_first_request_goes_alone() {
        let gate = Arc::new(gate(None));
        let first = gate.acquire(1).unwrap();
        let second = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                let permit = gate.acquire(1);
                let admitted = Instant::now();
                permit.map(|permit| permit.finish(None));
                admitted
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        let answered = Instant::now();
        first.finish(None);
        assert!(
            second.join().unwrap() >= answered,
            "admitted only once the first was answered"
        );
        let third = gate.acquire(1).unwrap();
        let fourth = gate.acquire(1).unwrap();
        third.finish(None);
        fourth.finish(None);
    }

    #[test]
    fn a_per_item_failure_does_not_stop_anything() {
        let gate = gate(None);
        let permit = gate.acquire(1).unwrap();
        permit.finish(Some(&Failure::new(Category::InvalidRequest, "bad")));
        assert!(gate.stopped().is_none());
        assert!(gate.acquire(1).is_some());
    }

    #[test]
    fn a_sleep_is_cut_short_by_a_stop() {
        let gate = Arc::new(gate(None));
        let sleeper = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                let started = Instant::now();
                gate.sleep(Duration::from_secs(3600));
                started.elapsed()
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        gate.stop(Stop::Interrupted);
        assert!(sleeper.join().unwrap() < Duration::from_secs(5));
    }

    #[test]
    fn an_unused_probe_permit_frees_the_probe_slot() {
        let gate = Gate::new(
            RateLimiter::new(None, None, 1.0),
            BreakerConfig {
                first_cooldown: Duration::ZERO,
                ..BreakerConfig::default()
            },
            1.0,
        );
        for _ in 0..5 {
            let permit = gate.acquire(1).unwrap();
            permit.finish(Some(&Failure::new(Category::Overloaded, "busy")));
        }
        let probe = gate.acquire(1).unwrap();
        assert!(probe.probe);
        drop(probe);
        let again = gate.acquire(1).unwrap();
        assert!(again.probe, "the next request probes instead");
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
            1.0,
        );
        let busy = Failure::new(Category::Overloaded, "busy");
        let mut gave_up = false;
        for _ in 0..20 {
            let Some(permit) = gate.acquire(1) else { break };
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
