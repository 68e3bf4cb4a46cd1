//! Rate limits as token buckets, the algorithm the real API uses: capacity
//! refills continuously up to the maximum instead of resetting at fixed
//! intervals. One bucket counts requests, an optional second one counts input
//! tokens; both report what the real API's `anthropic-ratelimit-*` headers report.

use std::time::{Duration, Instant, SystemTime};

/// Levels are kept in units of 1/60e9 token, so a refill of `limit` tokens per
/// minute is exactly `limit` units per nanosecond: integer arithmetic, no drift.
const UNITS_PER_TOKEN: i128 = 60_000_000_000;
/// The wait reported by a bucket that can never admit the request (a limit or
/// capacity of 0): a full minute, the honest answer for a per-minute limit.
const NEVER: Duration = Duration::from_secs(60);

/// What a bucket counts, which names its headers and its 429 message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Resource {
    Requests,
    InputTokens,
}

impl Resource {
    fn header_prefix(self) -> &'static str {
        match self {
            Resource::Requests => "anthropic-ratelimit-requests",
            Resource::InputTokens => "anthropic-ratelimit-input-tokens",
        }
    }

    pub fn refusal_message(self) -> &'static str {
        match self {
            Resource::Requests => "Number of requests has exceeded your per-minute rate limit",
            Resource::InputTokens => {
                "Number of input tokens has exceeded your per-minute rate limit"
            }
        }
    }
}

/// A bucket's state at one moment, turned into response headers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Snapshot {
    pub resource: Resource,
    /// The per-minute limit, as the real API reports it.
    pub limit: u64,
    /// Whole tokens left; 0 while an oversized request's debt is paid off.
    pub remaining: u64,
    /// How long until the bucket is full again.
    pub until_full: Duration,
}

impl Snapshot {
    pub fn headers(&self) -> Vec<(String, String)> {
        let prefix = self.resource.header_prefix();
        // A request's token debt can put the refill past the year 9999.
        let reset_at = ceil_to_second(crate::dates::later(SystemTime::now(), self.until_full));
        vec![
            (format!("{prefix}-limit"), self.limit.to_string()),
            (format!("{prefix}-remaining"), self.remaining.to_string()),
            (
                format!("{prefix}-reset"),
                crate::dates::rfc3339_seconds(reset_at),
            ),
        ]
    }
}

/// The header has no fraction: rounding up keeps "full again at `reset`" true.
fn ceil_to_second(time: SystemTime) -> SystemTime {
    let fraction = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    match fraction {
        0 => time,
        nanos => crate::dates::later(time, Duration::from_nanos(u64::from(1_000_000_000 - nanos))),
    }
}

#[derive(Debug)]
pub(crate) struct TokenBucket {
    resource: Resource,
    limit: u64,
    capacity: u64,
    /// In units (see `UNITS_PER_TOKEN`); negative while in debt.
    level: i128,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket holding `capacity` tokens, refilled at `limit` per minute.
    pub fn new(resource: Resource, limit: u64, capacity: u64, now: Instant) -> TokenBucket {
        TokenBucket {
            resource,
            limit,
            capacity,
            level: units(capacity),
            updated: now,
        }
    }

    /// `Ok` when `cost` tokens may be taken now, else how long until they may.
    /// A cost above the capacity could never fit, so it is admitted from a full
    /// bucket instead, which it leaves in debt.
    pub fn check(&mut self, cost: u64, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.capacity == 0 {
            return Err(NEVER);
        }
        let needed = units(cost.min(self.capacity));
        if self.level >= needed {
            return Ok(());
        }
        Err(self.time_to_gain(needed - self.level))
    }

    /// Takes `cost` tokens whether or not they are there; `check` first.
    pub fn take(&mut self, cost: u64, now: Instant) {
        self.refill(now);
        self.level = self.level.saturating_sub(units(cost));
    }

    pub fn snapshot(&mut self, now: Instant) -> Snapshot {
        self.refill(now);
        let whole_tokens = self.level.max(0) / UNITS_PER_TOKEN;
        let missing = units(self.capacity) - self.level;
        Snapshot {
            resource: self.resource,
            limit: self.limit,
            remaining: u64::try_from(whole_tokens).unwrap_or(u64::MAX),
            until_full: if missing <= 0 {
                Duration::ZERO
            } else {
                self.time_to_gain(missing)
            },
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = i128::try_from(now.saturating_duration_since(self.updated).as_nanos())
            .unwrap_or(i128::MAX);
        let gained = elapsed.saturating_mul(i128::from(self.limit));
        self.level = self.level.saturating_add(gained).min(units(self.capacity));
        self.updated = self.updated.max(now);
    }

    /// Rounded up to the nanosecond, so waiting this long is always enough.
    fn time_to_gain(&self, missing_units: i128) -> Duration {
        if self.limit == 0 {
            return NEVER;
        }
        let limit = i128::from(self.limit);
        let nanos = (missing_units + limit - 1) / limit;
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

fn units(tokens: u64) -> i128 {
    i128::from(tokens) * UNITS_PER_TOKEN
}

/// A request refused by the limits: nothing was taken from any bucket.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Refusal {
    /// The first bucket that refused; it names the 429's message.
    pub resource: Resource,
    /// Long enough for every refusing bucket to admit the request.
    pub wait: Duration,
    pub headers: Vec<(String, String)>,
}

impl Refusal {
    /// Whole seconds, rounded up and at least 1, so a client that waits this long gets through.
    pub fn retry_after_seconds(&self) -> u64 {
        retry_after_seconds(self.wait)
    }
}

pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    let whole = wait.as_secs();
    let rounded = if wait.subsec_nanos() > 0 {
        whole + 1
    } else {
        whole
    };
    rounded.max(1)
}

/// The buckets a `/v1/messages` request must pass; absent ones do not limit.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    requests: Option<TokenBucket>,
    input_tokens: Option<TokenBucket>,
}

impl RateLimits {
    /// `burst` is the request bucket's capacity (default: the per-minute limit).
    pub fn new(
        rpm: Option<u32>,
        burst: Option<u32>,
        input_tpm: Option<u64>,
        now: Instant,
    ) -> RateLimits {
        RateLimits {
            requests: rpm.map(|limit| {
                let capacity = burst.unwrap_or(limit);
                TokenBucket::new(
                    Resource::Requests,
                    u64::from(limit),
                    u64::from(capacity),
                    now,
                )
            }),
            input_tokens: input_tpm
                .map(|limit| TokenBucket::new(Resource::InputTokens, limit, limit, now)),
        }
    }

    /// Takes one request and `input_tokens` tokens when every bucket can give
    /// them; otherwise takes nothing, so a refusal by one bucket costs the other nothing.
    pub fn try_acquire(
        &mut self,
        input_tokens: u64,
        now: Instant,
    ) -> Result<Vec<(String, String)>, Refusal> {
        let mut refused: Option<(Resource, Duration)> = None;
        for (bucket, cost) in self.buckets_with_costs(input_tokens) {
            if let Err(wait) = bucket.check(cost, now) {
                refused = Some(match refused {
                    None => (bucket.resource, wait),
                    Some((first, longest)) => (first, longest.max(wait)),
                });
            }
        }
        if let Some((resource, wait)) = refused {
            return Err(Refusal {
                resource,
                wait,
                headers: self.peek(now),
            });
        }
        for (bucket, cost) in self.buckets_with_costs(input_tokens) {
            bucket.take(cost, now);
        }
        Ok(self.peek(now))
    }

    /// The headers without taking anything (for routes that are not limited).
    pub fn peek(&mut self, now: Instant) -> Vec<(String, String)> {
        [self.requests.as_mut(), self.input_tokens.as_mut()]
            .into_iter()
            .flatten()
            .flat_map(|bucket| bucket.snapshot(now).headers())
            .collect()
    }

    fn buckets_with_costs(&mut self, input_tokens: u64) -> Vec<(&mut TokenBucket, u64)> {
        [
            self.requests.as_mut().map(|bucket| (bucket, 1)),
            self.input_tokens
                .as_mut()
                .map(|bucket| (bucket, input_tokens)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    #[test]
    fn starts_full_and_refuses_when_empty() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Resource::Requests, 60, 3, start);
        assert_eq!(bucket.snapshot(start).remaining, 3);
        for _ in 0..3 {
            assert_eq!(bucket.check(1, start), Ok(()));
            bucket.take(1, start);
        }
        assert_eq!(bucket.snapshot(start).remaining, 0);
        // 60 per minute: one token per second.
        assert_eq!(bucket.check(1, start), Err(Duration::from_secs(1)));
        let later = start + Duration::from_millis(400);
        assert_eq!(bucket.check(1, later), Err(Duration::from_millis(600)));
    }

    #[test]
    fn refills_continuously_up_to_the_capacity() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Resource::Requests, 1200, 20, start);
        bucket.take(20, start);
        // 1200 per minute is 20 per second: 0.25 s brings 5 back, not a whole minute's worth.
        let quarter = start + seconds(0.25);
        let snapshot = bucket.snapshot(quarter);
        assert_eq!(snapshot.remaining, 5);
        assert_eq!(snapshot.until_full, seconds(0.75));
        let much_later = start + Duration::from_secs(3600);
        let full = bucket.snapshot(much_later);
        assert_eq!((full.remaining, full.until_full), (20, Duration::ZERO));
    }

    #[test]
    fn a_small_burst_spreads_a_large_limit() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Resource::Requests, 1200, 20, start);
        let admitted = (0..100)
            .filter(|_| {
                let ok = bucket.check(1, start).is_ok();
                if ok {
                    bucket.take(1, start);
                }
                ok
            })
            .count();
        assert_eq!(admitted, 20);
        assert_eq!(bucket.check(1, start), Err(Duration::from_millis(50)));
    }

    #[test]
    fn an_oversized_cost_waits_for_a_full_bucket_then_leaves_debt() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Resource::InputTokens, 600, 600, start);
        bucket.take(100, start);
        // 600 per minute is 10 per second: the bucket is full again in 10 s.
        assert_eq!(bucket.check(1000, start), Err(Duration::from_secs(10)));
        let full = start + Duration::from_secs(10);
        assert_eq!(bucket.check(1000, full), Ok(()));
        bucket.take(1000, full);
        let snapshot = bucket.snapshot(full);
        assert_eq!(snapshot.remaining, 0);
        assert_eq!(snapshot.until_full, Duration::from_secs(100));
        assert_eq!(bucket.check(1, full), Err(Duration::from_millis(40_100)));
    }

    #[test]
    fn a_zero_limit_or_capacity_never_admits() {
        let start = Instant::now();
        let mut empty = TokenBucket::new(Resource::Requests, 0, 0, start);
        assert_eq!(empty.check(1, start), Err(NEVER));
        let mut no_refill = TokenBucket::new(Resource::Requests, 0, 1, start);
        assert_eq!(no_refill.check(1, start), Ok(()));
        no_refill.take(1, start);
        assert_eq!(no_refill.check(1, start + NEVER * 10), Err(NEVER));
    }

    #[test]
    fn reset_rounds_up_to_the_second() {
        let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(10);
        assert_eq!(ceil_to_second(whole), whole);
        assert_eq!(
            ceil_to_second(whole + Duration::from_millis(1)),
            whole + Duration::from_secs(1)
        );
    }

    #[test]
    fn retry_after_rounds_up_to_at_least_one_second() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(3)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_seconds(Duration::from_millis(29_001)), 30);
    }

    #[test]
    fn headers_carry_limit_remaining_and_rfc3339_reset() {
        let now = Instant::now();
        let mut limits = RateLimits::new(Some(5), Some(2), Some(1000), now);
        let headers = limits.peek(now);
        let names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "anthropic-ratelimit-requests-limit",
                "anthropic-ratelimit-requests-remaining",
                "anthropic-ratelimit-requests-reset",
                "anthropic-ratelimit-input-tokens-limit",
                "anthropic-ratelimit-input-tokens-remaining",
                "anthropic-ratelimit-input-tokens-reset",
            ]
        );
        assert_eq!(
            header(&headers, "anthropic-ratelimit-requests-limit"),
            Some("5")
        );
        assert_eq!(
            header(&headers, "anthropic-ratelimit-requests-remaining"),
            Some("2")
        );
        let reset = header(&headers, "anthropic-ratelimit-input-tokens-reset").unwrap();
        assert!(humantime::parse_rfc3339(reset).is_ok(), "{reset}");
        assert!(RateLimits::default().peek(now).is_empty());
    }

    #[test]
    fn a_refusal_by_one_bucket_takes_nothing_from_the_other() {
        let start = Instant::now();
        let mut limits = RateLimits::new(Some(60), None, Some(100), start);
        let taken = limits.try_acquire(80, start).unwrap();
        assert_eq!(
            header(&taken, "anthropic-ratelimit-requests-remaining"),
            Some("59")
        );
        assert_eq!(
            header(&taken, "anthropic-ratelimit-input-tokens-remaining"),
            Some("20")
        );
        let refused = limits.try_acquire(50, start).unwrap_err();
        assert_eq!(refused.resource, Resource::InputTokens);
        // 100 per minute: 30 missing tokens take 18 s.
        assert_eq!(refused.wait, Duration::from_secs(18));
        assert_eq!(refused.retry_after_seconds(), 18);
        assert_eq!(
            header(&refused.headers, "anthropic-ratelimit-requests-remaining"),
            Some("59")
        );
        assert!(limits.try_acquire(20, start).is_ok());
    }

    #[test]
    fn the_request_bucket_names_the_refusal_and_the_longest_wait_wins() {
        let start = Instant::now();
        let mut limits = RateLimits::new(Some(60), Some(1), Some(60), start);
        assert!(limits.try_acquire(60, start).is_ok());
        let refused = limits.try_acquire(30, start).unwrap_err();
        assert_eq!(refused.resource, Resource::Requests);
        assert_eq!(refused.wait, Duration::from_secs(30));
        assert_eq!(
            refused.resource.refusal_message(),
            "Number of requests has exceeded your per-minute rate limit"
        );
        assert!(limits.try_acquire(30, start + refused.wait).is_ok());
    }
}
