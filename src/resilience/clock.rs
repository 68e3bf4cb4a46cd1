//! The one clock: time, sleep and jitter for every wait a failure causes.
//! Tests inject a fake one; `CLAUDE_RS_TEST_SLEEP_SCALE` is applied here and
//! nowhere else.

use std::time::{Duration, Instant};

/// Where waits get time and randomness.
pub trait Clock {
    fn now(&self) -> Instant;
    fn sleep(&self, duration: Duration);
    /// A number in [0, 1) for jitter.
    fn jitter(&self) -> f64;
}

/// The real clock. `sleep_scale` shrinks every wait a failure causes; it
/// exists so the integration tests can observe real retries without sleeping
/// real seconds (`CLAUDE_RS_TEST_SLEEP_SCALE`). The policy's answer, printed
/// and logged, is unscaled, and pacing is never scaled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SystemClock {
    pub sleep_scale: f64,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock { sleep_scale: 1.0 }
    }
}

impl SystemClock {
    /// How long a wait of `duration` really lasts.
    pub fn scaled(&self, duration: Duration) -> Duration {
        duration.mul_f64(self.sleep_scale.clamp(0.0, 1.0))
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(self.scaled(duration));
    }
    fn jitter(&self) -> f64 {
        fastrand::f64()
    }
}
