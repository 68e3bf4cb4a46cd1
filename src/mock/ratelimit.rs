//! A rolling one-minute request limiter that reports what the real API's
//! `anthropic-ratelimit-requests-*` headers report.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

const WINDOW: Duration = Duration::from_secs(60);

/// The limiter's view at one moment, turned into response headers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Snapshot {
    pub limit: u32,
    pub remaining: u32,
    /// How long until the oldest request in the window stops counting.
    pub until_slot_frees: Duration,
}

impl Snapshot {
    pub fn headers(&self) -> Vec<(String, String)> {
        let reset_at = SystemTime::now() + self.until_slot_frees;
        vec![
            (
                "anthropic-ratelimit-requests-limit".to_string(),
                self.limit.to_string(),
            ),
            (
                "anthropic-ratelimit-requests-remaining".to_string(),
                self.remaining.to_string(),
            ),
            (
                "anthropic-ratelimit-requests-reset".to_string(),
                humantime::format_rfc3339_seconds(reset_at).to_string(),
            ),
        ]
    }

    /// Whole seconds, rounded up and at least 1, so a client that waits this long gets a slot.
    pub fn retry_after_seconds(&self) -> u64 {
        let whole = self.until_slot_frees.as_secs();
        let rounded = if self.until_slot_frees.subsec_nanos() > 0 {
            whole + 1
        } else {
            whole
        };
        rounded.max(1)
    }
}

#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: u32,
    served: VecDeque<Instant>,
}

impl RateLimiter {
    pub fn new(limit: u32) -> RateLimiter {
        RateLimiter {
            limit,
            served: VecDeque::new(),
        }
    }

    /// Counts the request if a slot is free (`Ok`); otherwise leaves the window alone (`Err`).
    pub fn try_acquire(&mut self, now: Instant) -> Result<Snapshot, Snapshot> {
        self.forget_expired(now);
        if self.served.len() >= self.limit as usize {
            return Err(self.snapshot(now));
        }
        self.served.push_back(now);
        Ok(self.snapshot(now))
    }

    /// The current state without counting anything (for routes that are not limited).
    pub fn peek(&mut self, now: Instant) -> Snapshot {
        self.forget_expired(now);
        self.snapshot(now)
    }

    fn forget_expired(&mut self, now: Instant) {
        while let Some(oldest) = self.served.front() {
            if now.saturating_duration_since(*oldest) >= WINDOW {
                self.served.pop_front();
            } else {
                break;
            }
        }
    }

    fn snapshot(&self, now: Instant) -> Snapshot {
        let used = u32::try_from(self.served.len()).unwrap_or(u32::MAX);
        // With a limit of 0 nothing ever frees up; a full window is the honest answer.
        let when_empty = if self.limit == 0 {
            WINDOW
        } else {
            Duration::ZERO
        };
        let until_slot_frees = self.served.front().map_or(when_empty, |oldest| {
            (*oldest + WINDOW).saturating_duration_since(now)
        });
        Snapshot {
            limit: self.limit,
            remaining: self.limit.saturating_sub(used),
            until_slot_frees,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_until_full_then_refuses_without_counting() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(2);
        assert_eq!(limiter.try_acquire(start).unwrap().remaining, 1);
        let second = limiter
            .try_acquire(start + Duration::from_secs(10))
            .unwrap();
        assert_eq!(second.remaining, 0);
        let refused = limiter
            .try_acquire(start + Duration::from_millis(30_500))
            .unwrap_err();
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.until_slot_frees, Duration::from_millis(29_500));
        assert_eq!(refused.retry_after_seconds(), 30);
        assert!(limiter.try_acquire(start + WINDOW).is_ok());
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let snapshot = Snapshot {
            limit: 1,
            remaining: 0,
            until_slot_frees: Duration::from_millis(3),
        };
        assert_eq!(snapshot.retry_after_seconds(), 1);
        let zero = Snapshot {
            until_slot_frees: Duration::ZERO,
            ..snapshot
        };
        assert_eq!(zero.retry_after_seconds(), 1);
    }

    #[test]
    fn headers_carry_limit_remaining_and_rfc3339_reset() {
        let mut limiter = RateLimiter::new(5);
        let headers = limiter.peek(Instant::now()).headers();
        assert_eq!(
            headers[0],
            ("anthropic-ratelimit-requests-limit".into(), "5".into())
        );
        assert_eq!(
            headers[1],
            ("anthropic-ratelimit-requests-remaining".into(), "5".into())
        );
        assert_eq!(headers[2].0, "anthropic-ratelimit-requests-reset");
        assert!(
            humantime::parse_rfc3339(&headers[2].1).is_ok(),
            "{}",
            headers[2].1
        );
    }
}
