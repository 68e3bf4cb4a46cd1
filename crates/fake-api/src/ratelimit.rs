//! Rate limits as token buckets, the algorithm the real API uses: capacity
//! refills continuously up to the maximum instead of resetting at fixed
//! intervals. Optional buckets count requests, input tokens and output
//! tokens; they report what the real API's `anthropic-ratelimit-*` headers
//! report, and `anthropic-ratelimit-tokens-*` repeats the most restrictive
//! token bucket, as the real API does.

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
    OutputTokens,
    /// Not a bucket: the most restrictive token bucket, under its own headers.
    Tokens,
}

impl Resource {
    fn header_prefix(self) -> &'static str {
        match self {
            Resource::Requests => "anthropic-ratelimit-requests",
            Resource::InputTokens => "anthropic-ratelimit-input-tokens",
            Resource::OutputTokens => "anthropic-ratelimit-output-tokens",
            Resource::Tokens => "anthropic-ratelimit-tokens",
        }
    }

    pub fn refusal_message(self) -> &'static str {
        match self {
            Resource::Requests => "Number of requests has exceeded your per-minute rate limit",
            Resource::InputTokens => {
                "Number of input tokens has exceeded your per-minute rate limit"
            }
            Resource::OutputTokens | Resource::Tokens => {
                "Number of output tokens has exceeded your per-minute rate limit"
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

    /// Returns `tokens` taken earlier, up to the capacity.
    pub fn give_back(&mut self, tokens: u64, now: Instant) {
        self.refill(now);
        self.level = self
            .level
            .saturating_add(units(tokens))
            .min(units(self.capacity));
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

/// The per-minute limits a server enforces; `None` does not limit.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Limits {
    pub rpm: Option<u32>,
    /// The request bucket's capacity (default: `rpm`).
    pub burst: Option<u32>,
    pub input_tpm: Option<u64>,
    pub output_tpm: Option<u64>,
}

/// What one `/v1/messages` request costs each bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Cost {
    pub input_tokens: u64,
    /// The real API's estimate at the start: the request's `max_tokens`.
    /// What the reply did not use is given back by `settle_output`.
    pub output_tokens: u64,
}

/// The buckets a `/v1/messages` request must pass; absent ones do not limit.
/// One per server, so every client of the server shares them, as every
/// client of one API key shares the real limits.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    requests: Option<TokenBucket>,
    input_tokens: Option<TokenBucket>,
    output_tokens: Option<TokenBucket>,
}

impl RateLimits {
    pub fn new(limits: Limits, now: Instant) -> RateLimits {
        let tokens = |resource, limit: Option<u64>| {
            limit.map(|limit| TokenBucket::new(resource, limit, limit, now))
        };
        RateLimits {
            requests: limits.rpm.map(|limit| {
                let capacity = limits.burst.unwrap_or(limit);
                TokenBucket::new(
                    Resource::Requests,
                    u64::from(limit),
                    u64::from(capacity),
                    now,
                )
            }),
            input_tokens: tokens(Resource::InputTokens, limits.input_tpm),
            output_tokens: tokens(Resource::OutputTokens, limits.output_tpm),
        }
    }

    /// Takes one request and `cost` from the token buckets when every bucket
    /// can give them; otherwise takes nothing, so a refusal by one bucket costs the others nothing.
    pub fn try_acquire(
        &mut self,
        cost: Cost,
        now: Instant,
    ) -> Result<Vec<(String, String)>, Refusal> {
        let mut refused: Option<(Resource, Duration)> = None;
        for (bucket, cost) in self.buckets_with_costs(cost) {
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
        for (bucket, cost) in self.buckets_with_costs(cost) {
            bucket.take(cost, now);
        }
        Ok(self.peek(now))
    }

    /// The end of a request: the output tokens it was charged (`estimate`)
    /// beyond what its reply used (`used`) go back to the bucket.
    pub fn settle_output(&mut self, estimate: u64, used: u64, now: Instant) {
        if let Some(bucket) = self.output_tokens.as_mut() {
            bucket.give_back(estimate.saturating_sub(used), now);
        }
    }

    /// The headers without taking anything (for routes that are not limited).
    pub fn peek(&mut self, now: Instant) -> Vec<(String, String)> {
        let requests = self.requests.as_mut().map(|bucket| bucket.snapshot(now));
        let input = self.input_tokens.as_mut().map(|b| b.snapshot(now));
        let output = self.output_tokens.as_mut().map(|b| b.snapshot(now));
        // The fewest tokens left wins; on a tie, the later reset.
        let tightest = [&input, &output]
            .into_iter()
            .flatten()
            .min_by_key(|snapshot| (snapshot.remaining, std::cmp::Reverse(snapshot.until_full)))
            .map(|snapshot| Snapshot {
                resource: Resource::Tokens,
                ..snapshot.clone()
            });
        [requests, tightest, input, output]
            .into_iter()
            .flatten()
            .flat_map(|snapshot| snapshot.headers())
            .collect()
    }

    fn buckets_with_costs(&mut self, cost: Cost) -> Vec<(&mut TokenBucket, u64)> {
        [
            self.requests.as_mut().map(|bucket| (bucket, 1)),
            self.input_tokens
                .as_mut()
                .map(|bucket| (bucket, cost.input_tokens)),
            self.output_tokens
                .as_mut()
                .map(|bucket| (bucket, cost.output_tokens)),
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
        let mut limits = RateLimits::new(
            Limits {
                rpm: Some(5),
                burst: Some(2),
                input_tpm: Some(1000),
                output_tpm: Some(400),
            },
            now,
        );
        let headers = limits.peek(now);
        let names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "anthropic-ratelimit-requests-limit",
                "anthropic-ratelimit-requests-remaining",
                "anthropic-ratelimit-requests-reset",
                "anthropic-ratelimit-tokens-limit",
                "anthropic-ratelimit-tokens-remaining",
                "anthropic-ratelimit-tokens-reset",
                "anthropic-ratelimit-input-tokens-limit",
                "anthropic-ratelimit-input-tokens-remaining",
                "anthropic-ratelimit-input-tokens-reset",
                "anthropic-ratelimit-output-tokens-limit",
                "anthropic-ratelimit-output-tokens-remaining",
                "anthropic-ratelimit-output-tokens-reset",
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
        let mut limits = RateLimits::new(limits(Some(60), None, Some(100)), start);
        let taken = limits.try_acquire(input(80), start).unwrap();
        assert_eq!(
            header(&taken, "anthropic-ratelimit-requests-remaining"),
            Some("59")
        );
        assert_eq!(
            header(&taken, "anthropic-ratelimit-input-tokens-remaining"),
            Some("20")
        );
        let refused = limits.try_acquire(input(50), start).unwrap_err();
        assert_eq!(refused.resource, Resource::InputTokens);
        // 100 per minute: 30 missing tokens take 18 s.
        assert_eq!(refused.wait, Duration::from_secs(18));
        assert_eq!(refused.retry_after_seconds(), 18);
        assert_eq!(
            header(&refused.headers, "anthropic-ratelimit-requests-remaining"),
            Some("59")
        );
        assert!(limits.try_acquire(input(20), start).is_ok());
    }

    #[test]
    fn the_request_bucket_names_the_refusal_and_the_longest_wait_wins() {
        let start = Instant::now();
        let mut limits = RateLimits::new(limits(Some(60), Some(1), Some(60)), start);
        assert!(limits.try_acquire(input(60), start).is_ok());
        let refused = limits.try_acquire(input(30), start).unwrap_err();
        assert_eq!(refused.resource, Resource::Requests);
        assert_eq!(refused.wait, Duration::from_secs(30));
        assert_eq!(
            refused.resource.refusal_message(),
            "Number of requests has exceeded your per-minute rate limit"
        );
        assert!(limits.try_acquire(input(30), start + refused.wait).is_ok());
    }

    fn limits(rpm: Option<u32>, burst: Option<u32>, input_tpm: Option<u64>) -> Limits {
        Limits {
            rpm,
            burst,
            input_tpm,
            output_tpm: None,
        }
    }

    fn input(tokens: u64) -> Cost {
        Cost {
            input_tokens: tokens,
            output_tokens: 0,
        }
    }

    #[test]
    fn twelve_hundred_a_minute_with_a_burst_of_one_admits_one_every_50_ms() {
        let start = Instant::now();
        let mut limits = RateLimits::new(limits(Some(1200), Some(1), None), start);
        let mut admitted = Vec::new();
        // 10 ms steps up to 950 ms: exactly one admission per 50 ms.
        for tick in 0..=95u32 {
            let now = start + Duration::from_millis(u64::from(tick) * 10);
            if limits.try_acquire(Cost::default(), now).is_ok() {
                admitted.push(tick * 10);
            }
        }
        let expected: Vec<u32> = (0..20).map(|n| n * 50).collect();
        assert_eq!(admitted, expected);
        let refused = limits
            .try_acquire(Cost::default(), start + Duration::from_millis(960))
            .unwrap_err();
        assert_eq!(refused.wait, Duration::from_millis(40));
        assert_eq!(
            header(&refused.headers, "anthropic-ratelimit-requests-limit"),
            Some("1200")
        );
    }

    #[test]
    fn output_tokens_are_charged_max_tokens_and_given_back_what_went_unused() {
        let start = Instant::now();
        let only_output = Limits {
            output_tpm: Some(1000),
            ..Limits::default()
        };
        let mut limits = RateLimits::new(only_output, start);
        let estimate = Cost {
            input_tokens: 0,
            output_tokens: 600,
        };
        let taken = limits.try_acquire(estimate, start).unwrap();
        assert_eq!(
            header(&taken, "anthropic-ratelimit-output-tokens-remaining"),
            Some("400")
        );
        let refused = limits.try_acquire(estimate, start).unwrap_err();
        assert_eq!(refused.resource, Resource::OutputTokens);
        assert_eq!(
            refused.resource.refusal_message(),
            "Number of output tokens has exceeded your per-minute rate limit"
        );
        // 1000 a minute: 200 missing tokens take 12 s.
        assert_eq!(refused.wait, Duration::from_secs(12));
        // The reply used 50 of its 600: 550 come back.
        limits.settle_output(600, 50, start);
        let after = limits.peek(start);
        assert_eq!(
            header(&after, "anthropic-ratelimit-output-tokens-remaining"),
            Some("950")
        );
        limits.settle_output(600, 0, start);
        assert_eq!(
            header(
                &limits.peek(start),
                "anthropic-ratelimit-output-tokens-remaining"
            ),
            Some("1000"),
            "never above the capacity"
        );
    }

    #[test]
    fn the_tokens_headers_repeat_the_tightest_token_bucket() {
        let start = Instant::now();
        let both = Limits {
            input_tpm: Some(1000),
            output_tpm: Some(500),
            ..Limits::default()
        };
        let mut limits = RateLimits::new(both, start);
        let cost = Cost {
            input_tokens: 100,
            output_tokens: 450,
        };
        let headers = limits.try_acquire(cost, start).unwrap();
        assert_eq!(
            header(&headers, "anthropic-ratelimit-tokens-limit"),
            Some("500")
        );
        assert_eq!(
            header(&headers, "anthropic-ratelimit-tokens-remaining"),
            Some("50")
        );
        assert_eq!(
            header(&headers, "anthropic-ratelimit-tokens-reset"),
            header(&headers, "anthropic-ratelimit-output-tokens-reset")
        );
        limits.settle_output(450, 0, start);
        let input_heavy = Cost {
            input_tokens: 700,
            output_tokens: 0,
        };
        let headers = limits.try_acquire(input_heavy, start).unwrap();
        assert_eq!(
            header(&headers, "anthropic-ratelimit-tokens-limit"),
            Some("1000")
        );
        assert_eq!(
            header(&headers, "anthropic-ratelimit-tokens-remaining"),
            Some("200")
        );
        assert!(
            RateLimits::new(limits_default(), start)
                .peek(start)
                .iter()
                .all(|(name, _)| !name.starts_with("anthropic-ratelimit-tokens")),
            "no token bucket, no tokens headers"
        );
    }

    fn limits_default() -> Limits {
        limits(Some(60), None, None)
    }
}
