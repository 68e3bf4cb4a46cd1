//! The circuit breaker a batch's workers share. Each worker backing off on
//! its own still leaves N workers knocking on an overloaded API; the breaker
//! makes them back off together: after a run of failures that say the API
//! (or the way to it) is unwell, nobody sends until a cool-down has passed,
//! then one request probes. A probe that fails doubles the cool-down; too many
//! in a row and the breaker gives up, so that a long outage stops a batch
//! instead of turning every item into an error. Pure: time is passed in.

use std::time::{Duration, Instant};

use super::category::Category;
use super::clock::SystemClock;

/// What an attempt's outcome says about the API's health.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// The API answered as an API does (a success, or a refusal of this request).
    Healthy,
    /// Overloaded, a server error, or the network: the API may be down.
    Unhealthy,
    /// Says nothing about health (a rate limit has its own pause).
    Neutral,
}

impl Health {
    /// `None` is a success.
    pub fn of(failure: Option<Category>) -> Health {
        match failure {
            None => Health::Healthy,
            Some(Category::RateLimit) => Health::Neutral,
            Some(
                Category::Overloaded
                | Category::ApiError
                | Category::Timeout
                | Category::Connection
                | Category::InvalidResponse,
            ) => Health::Unhealthy,
            Some(_) => Health::Healthy,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BreakerConfig {
    /// Unhealthy outcomes in a row, across all workers, that open the breaker.
    pub threshold: u32,
    pub first_cooldown: Duration,
    pub max_cooldown: Duration,
    /// Failed probes in a row after which the breaker gives up.
    pub give_up_after: u32,
    /// The clock whose scale shrinks real waits in tests; the cool-downs
    /// reported stay unscaled.
    pub clock: SystemClock,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            threshold: 5,
            first_cooldown: Duration::from_secs(5),
            max_cooldown: Duration::from_secs(60),
            give_up_after: 5,
            clock: SystemClock::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Closed { streak: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
    GaveUp,
}

/// May a request start now?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Yes; a probe's outcome decides whether the breaker closes.
    Go {
        probe: bool,
    },
    WaitUntil(Instant),
    /// A probe is in flight: wait for its outcome.
    WaitForProbe,
    GaveUp,
}

/// A change of state, for notices and the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerEvent {
    /// Opened for this long (unscaled).
    Opened {
        cooldown: Duration,
    },
    Closed,
    GaveUp {
        failed_probes: u32,
    },
}

#[derive(Clone, Debug)]
pub struct Breaker {
    // `pub(super)`: `shared` moves these between processes.
    pub(super) config: BreakerConfig,
    pub(super) state: State,
    pub(super) cooldown: Duration,
    pub(super) failed_probes: u32,
    /// Another process's probe is out until then (`shared`): wait for it.
    pub(super) probe_elsewhere: Option<Instant>,
    pub trips: u32,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Breaker {
        Breaker {
            cooldown: config.first_cooldown,
            config,
            state: State::Closed { streak: 0 },
            failed_probes: 0,
            probe_elsewhere: None,
            trips: 0,
        }
    }

    pub fn admit(&mut self, now: Instant) -> Admission {
        match self.state {
            State::Closed { .. } => Admission::Go { probe: false },
            State::Open { until } if now < until => Admission::WaitUntil(until),
            State::Open { .. } | State::HalfOpen { .. }
                if self.probe_elsewhere.is_some_and(|until| now < until) =>
            {
                Admission::WaitForProbe
            }
            State::Open { .. } | State::HalfOpen { probing: false } => {
                self.state = State::HalfOpen { probing: true };
                Admission::Go { probe: true }
            }
            State::HalfOpen { probing: true } => Admission::WaitForProbe,
            State::GaveUp => Admission::GaveUp,
        }
    }

    /// The outcome of a request that `admit` let go.
    pub fn record(&mut self, now: Instant, health: Health, probe: bool) -> Option<BreakerEvent> {
        match (health, self.state) {
            (_, State::GaveUp) => None,
            (Health::Healthy, State::Closed { .. }) => {
                self.state = State::Closed { streak: 0 };
                None
            }
            (Health::Healthy, _) => {
                self.state = State::Closed { streak: 0 };
                self.failed_probes = 0;
                self.cooldown = self.config.first_cooldown;
                Some(BreakerEvent::Closed)
            }
            (Health::Neutral, State::HalfOpen { probing: true }) if probe => {
                self.state = State::HalfOpen { probing: false };
                None
            }
            (Health::Neutral, _) => None,
            (Health::Unhealthy, State::Closed { streak }) => {
                let streak = streak.saturating_add(1);
                if streak >= self.config.threshold {
                    Some(self.open(now))
                } else {
                    self.state = State::Closed { streak };
                    None
                }
            }
            (Health::Unhealthy, State::HalfOpen { .. }) if probe => {
                self.failed_probes = self.failed_probes.saturating_add(1);
                if self.failed_probes >= self.config.give_up_after {
                    self.state = State::GaveUp;
                    return Some(BreakerEvent::GaveUp {
                        failed_probes: self.failed_probes,
                    });
                }
                self.cooldown = (self.cooldown * 2).min(self.config.max_cooldown);
                Some(self.open(now))
            }
            // A straggler sent before the breaker opened: already accounted for.
            (Health::Unhealthy, _) => None,
        }
    }

    fn open(&mut self, now: Instant) -> BreakerEvent {
        self.trips += 1;
        let wait = self.config.clock.scaled(self.cooldown);
        self.state = State::Open { until: now + wait };
        BreakerEvent::Opened {
            cooldown: self.cooldown,
        }
    }

    #[cfg(test)]
    pub fn gave_up(&self) -> bool {
        self.state == State::GaveUp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE: Duration = Duration::from_secs(5);

    fn breaker() -> Breaker {
        Breaker::new(BreakerConfig::default())
    }

    fn fail_times(breaker: &mut Breaker, now: Instant, times: u32) -> Option<BreakerEvent> {
        let mut last = None;
        for _ in 0..times {
            last = breaker.record(now, Health::Unhealthy, false);
        }
        last
    }

    #[test]
    fn health_follows_the_category() {
        assert_eq!(Health::of(None), Health::Healthy);
        assert_eq!(Health::of(Some(Category::Overloaded)), Health::Unhealthy);
        assert_eq!(Health::of(Some(Category::Connection)), Health::Unhealthy);
        assert_eq!(Health::of(Some(Category::RateLimit)), Health::Neutral);
        assert_eq!(Health::of(Some(Category::InvalidRequest)), Health::Healthy);
    }

    #[test]
    fn opens_after_a_run_of_failures_and_a_success_breaks_the_run() {
        let now = Instant::now();
        let mut b = breaker();
        assert_eq!(fail_times(&mut b, now, 4), None);
        b.record(now, Health::Healthy, false);
        assert_eq!(fail_times(&mut b, now, 4), None);
        assert_eq!(
            b.record(now, Health::Unhealthy, false),
            Some(BreakerEvent::Opened { cooldown: FIVE })
        );
        assert_eq!(b.admit(now), Admission::WaitUntil(now + FIVE));
        assert_eq!(b.trips, 1);
    }

    #[test]
    fn after_the_cooldown_one_probe_goes_and_the_rest_wait_for_it() {
        let now = Instant::now();
        let mut b = breaker();
        fail_times(&mut b, now, 5);
        let later = now + FIVE;
        assert_eq!(b.admit(later), Admission::Go { probe: true });
        assert_eq!(b.admit(later), Admission::WaitForProbe);
        assert_eq!(
            b.record(later, Health::Healthy, true),
            Some(BreakerEvent::Closed)
        );
        assert_eq!(b.admit(later), Admission::Go { probe: false });
    }

    #[test]
    fn a_failed_probe_doubles_the_cooldown_up_to_the_cap_then_gives_up() {
        let mut now = Instant::now();
        let mut b = breaker();
        fail_times(&mut b, now, 5);
        let mut cooldowns = vec![5];
        for _ in 0..4 {
            now += Duration::from_secs(60);
            assert_eq!(b.admit(now), Admission::Go { probe: true });
            match b.record(now, Health::Unhealthy, true) {
                Some(BreakerEvent::Opened { cooldown }) => cooldowns.push(cooldown.as_secs()),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(cooldowns, vec![5, 10, 20, 40, 60]);
        now += Duration::from_secs(60);
        b.admit(now);
        assert_eq!(
            b.record(now, Health::Unhealthy, true),
            Some(BreakerEvent::GaveUp { failed_probes: 5 })
        );
        assert!(b.gave_up());
        assert_eq!(b.admit(now), Admission::GaveUp);
    }

    #[test]
    fn a_neutral_probe_lets_another_probe_go() {
        let now = Instant::now();
        let mut b = breaker();
        fail_times(&mut b, now, 5);
        let later = now + FIVE;
        b.admit(later);
        assert_eq!(b.record(later, Health::Neutral, true), None);
        assert_eq!(b.admit(later), Admission::Go { probe: true });
    }

    #[test]
    fn stragglers_do_not_move_an_open_breaker_but_a_straggling_success_closes_it() {
        let now = Instant::now();
        let mut b = breaker();
        fail_times(&mut b, now, 5);
        assert_eq!(b.record(now, Health::Unhealthy, false), None);
        assert_eq!(b.admit(now), Admission::WaitUntil(now + FIVE));
        assert_eq!(
            b.record(now, Health::Healthy, false),
            Some(BreakerEvent::Closed)
        );
        assert_eq!(b.admit(now), Admission::Go { probe: false });
    }

    #[test]
    fn the_wait_scale_shrinks_real_waits_but_not_the_reported_cooldown() {
        let now = Instant::now();
        let mut b = Breaker::new(BreakerConfig {
            clock: SystemClock { sleep_scale: 0.001 },
            ..BreakerConfig::default()
        });
        assert_eq!(
            fail_times(&mut b, now, 5),
            Some(BreakerEvent::Opened { cooldown: FIVE })
        );
        assert_eq!(
            b.admit(now),
            Admission::WaitUntil(now + Duration::from_millis(5))
        );
    }
}
