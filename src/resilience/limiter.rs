//! The client-side rate limiter a batch's workers share: requests and input
//! tokens per minute, each spaced evenly (the API enforces its per-minute
//! limits over shorter intervals, so a burst up to the minute's allowance is
//! not safe), at a fraction of the limit, the headroom. Limits come from the
//! flags, from the `anthropic-ratelimit-*` headers, or both (the lower wins).
//! Pure: time is passed in, so it is tested without a clock.

use std::time::{Duration, Instant};

/// Evenly spaced slots at a rate: each reservation starts no earlier than the
/// previous one's start plus its cost's share of a minute.
#[derive(Clone, Debug, Default)]
struct Pacer {
    next_free: Option<Instant>,
}

impl Pacer {
    fn earliest(&self, now: Instant) -> Instant {
        self.next_free.map_or(now, |at| at.max(now))
    }

    fn take(&mut self, start: Instant, cost: f64, per_minute: f64) {
        // 0/0 is NaN, which no clamp removes: a cost-free slot takes no time.
        let spacing = Duration::try_from_secs_f64((cost * 60.0 / per_minute).clamp(0.0, 3600.0))
            .unwrap_or(Duration::ZERO);
        self.next_free = Some(start + spacing);
    }
}

#[derive(Clone, Debug)]
pub struct RateLimiter {
    /// The fraction of each limit used: 0.9 keeps 10% headroom.
    fraction: f64,
    requests_flag: Option<u32>,
    tokens_flag: Option<u64>,
    requests_learned: Option<u64>,
    tokens_learned: Option<u64>,
    requests: Pacer,
    tokens: Pacer,
    /// Nothing starts before this: a 429's retry-after, or a bucket the
    /// server says is empty.
    hold_until: Option<Instant>,
}

impl RateLimiter {
    pub fn new(rpm: Option<u32>, tpm: Option<u64>, fraction: f64) -> RateLimiter {
        RateLimiter {
            fraction: fraction.clamp(0.01, 1.0),
            requests_flag: rpm,
            tokens_flag: tpm,
            requests_learned: None,
            tokens_learned: None,
            requests: Pacer::default(),
            tokens: Pacer::default(),
            hold_until: None,
        }
    }

    /// The requests per minute actually aimed at, if any limit is known.
    pub fn request_rate(&self) -> Option<f64> {
        lower(self.requests_flag.map(u64::from), self.requests_learned)
            .map(|limit| limit as f64 * self.fraction)
    }

    /// The input tokens per minute actually aimed at, if any limit is known.
    pub fn token_rate(&self) -> Option<f64> {
        lower(self.tokens_flag, self.tokens_learned).map(|limit| limit as f64 * self.fraction)
    }

    /// When a request of `tokens` estimated input tokens may start, counting
    /// it as started then. Later reservations queue behind it.
    pub fn reserve(&mut self, now: Instant, tokens: u64) -> Instant {
        let mut start = self.hold_until.map_or(now, |hold| hold.max(now));
        let request_rate = self.request_rate();
        let token_rate = self.token_rate();
        if request_rate.is_some() {
            start = start.max(self.requests.earliest(now));
        }
        if token_rate.is_some() {
            start = start.max(self.tokens.earliest(now));
        }
        if let Some(rate) = request_rate {
            self.requests.take(start, 1.0, rate);
        }
        if let Some(rate) = token_rate {
            self.tokens.take(start, tokens as f64, rate);
        }
        start
    }

    /// Nothing starts before `until` (a 429 pauses every worker, not just the
    /// one that got it).
    pub fn hold(&mut self, until: Instant) {
        self.hold_until = Some(self.hold_until.map_or(until, |held| held.max(until)));
    }

    pub fn held_until(&self) -> Option<Instant> {
        self.hold_until
    }

    /// Learns from a response's `anthropic-ratelimit-*` headers: the limits
    /// set the pace, and an empty bucket holds everything for one refill.
    pub fn observe(&mut self, now: Instant, headers: &[(String, String)]) {
        let number = |name: &str| {
            headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .and_then(|(_, value)| value.trim().parse::<u64>().ok())
        };
        if let Some(limit) = number("anthropic-ratelimit-requests-limit").filter(|n| *n > 0) {
            self.requests_learned = Some(limit);
            if number("anthropic-ratelimit-requests-remaining") == Some(0) {
                self.hold(now + Duration::from_secs_f64(60.0 / limit as f64));
            }
        }
        if let Some(limit) = number("anthropic-ratelimit-input-tokens-limit").filter(|n| *n > 0) {
            self.tokens_learned = Some(limit);
        }
    }
}

fn lower(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn offsets(limiter: &mut RateLimiter, start: Instant, count: usize, tokens: u64) -> Vec<u128> {
        (0..count)
            .map(|_| (limiter.reserve(start, tokens) - start).as_millis())
            .collect()
    }

    #[test]
    fn without_a_limit_everything_starts_now() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(None, None, 0.9);
        assert_eq!(offsets(&mut limiter, now, 3, 100), vec![0, 0, 0]);
        assert_eq!(limiter.request_rate(), None);
    }

    #[test]
    fn requests_are_spaced_evenly_at_the_headroom_rate() {
        let now = Instant::now();
        // 600 rpm at 90% is 540 a minute: one every 111 ms.
        let mut limiter = RateLimiter::new(Some(600), None, 0.9);
        assert_eq!(offsets(&mut limiter, now, 4, 1), vec![0, 111, 222, 333]);
        let mut exact = RateLimiter::new(Some(600), None, 1.0);
        assert_eq!(offsets(&mut exact, now, 3, 1), vec![0, 100, 200]);
    }

    #[test]
    fn a_late_request_is_not_owed_the_slots_nobody_used() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(Some(60), None, 1.0);
        limiter.reserve(now, 1);
        let later = now + Duration::from_secs(10);
        assert_eq!(limiter.reserve(later, 1), later);
        assert_eq!(limiter.reserve(later, 1), later + Duration::from_secs(1));
    }

    #[test]
    fn input_tokens_space_requests_by_their_size() {
        let now = Instant::now();
        // 60,000 tokens a minute = 1,000 a second.
        let mut limiter = RateLimiter::new(None, Some(60_000), 1.0);
        assert_eq!(offsets(&mut limiter, now, 3, 500), vec![0, 500, 1000]);
        assert_eq!(
            limiter.reserve(now, 2_000),
            now + Duration::from_millis(1500)
        );
        assert_eq!(limiter.reserve(now, 1), now + Duration::from_millis(3500));
    }

    #[test]
    fn the_stricter_of_two_limits_sets_the_pace() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(Some(6000), Some(60_000), 1.0);
        // 100 requests/s allows 10 ms apart; 1,000 tokens/s at 100 each allows 100 ms.
        assert_eq!(offsets(&mut limiter, now, 3, 100), vec![0, 100, 200]);
    }

    #[test]
    fn limits_are_learned_from_headers_and_the_flag_can_only_lower_them() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(None, None, 0.9);
        limiter.observe(
            now,
            &headers(&[
                ("anthropic-ratelimit-requests-limit", "50"),
                ("anthropic-ratelimit-requests-remaining", "49"),
                ("anthropic-ratelimit-input-tokens-limit", "30000"),
            ]),
        );
        assert_eq!(limiter.request_rate(), Some(45.0));
        assert_eq!(limiter.token_rate(), Some(27_000.0));
        let mut flagged = RateLimiter::new(Some(1000), None, 1.0);
        flagged.observe(
            now,
            &headers(&[("anthropic-ratelimit-requests-limit", "50")]),
        );
        assert_eq!(
            flagged.request_rate(),
            Some(50.0),
            "the server's lower limit wins"
        );
        let mut lower_flag = RateLimiter::new(Some(10), None, 1.0);
        lower_flag.observe(
            now,
            &headers(&[("anthropic-ratelimit-requests-limit", "50")]),
        );
        assert_eq!(lower_flag.request_rate(), Some(10.0));
    }

    #[test]
    fn an_empty_bucket_holds_everything_for_one_refill() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(None, None, 1.0);
        limiter.observe(
            now,
            &headers(&[
                ("anthropic-ratelimit-requests-limit", "60"),
                ("anthropic-ratelimit-requests-remaining", "0"),
            ]),
        );
        assert_eq!(limiter.held_until(), Some(now + Duration::from_secs(1)));
        assert!(limiter.reserve(now, 1) >= now + Duration::from_secs(1));
    }

    #[test]
    fn a_hold_delays_every_start_and_only_grows() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(None, None, 1.0);
        limiter.hold(now + Duration::from_secs(5));
        limiter.hold(now + Duration::from_secs(2));
        assert_eq!(limiter.reserve(now, 1), now + Duration::from_secs(5));
        let after = now + Duration::from_secs(9);
        assert_eq!(limiter.reserve(after, 1), after);
    }

    fn header_value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            any::<u64>().prop_map(|n| n.to_string()),
            prop::sample::select(vec![
                "0",
                "1",
                "-1",
                "1e30",
                "NaN",
                "18446744073709551616",
                " 5 "
            ])
            .prop_map(str::to_string),
        ]
    }

    proptest! {
        #[test]
        fn any_headers_and_flags_give_waits_of_at_most_a_minute_or_an_hour(
            rpm in any::<Option<u32>>(),
            tpm in any::<Option<u64>>(),
            fraction in any::<f64>(),
            values in proptest::collection::vec(header_value(), 3),
            tokens in proptest::collection::vec(any::<u64>(), 1..5),
        ) {
            let now = Instant::now();
            let mut limiter = RateLimiter::new(rpm, tpm, fraction);
            limiter.observe(
                now,
                &headers(&[
                    ("anthropic-ratelimit-requests-limit", &values[0]),
                    ("anthropic-ratelimit-requests-remaining", &values[1]),
                    ("anthropic-ratelimit-input-tokens-limit", &values[2]),
                ]),
            );
            if let Some(held) = limiter.held_until() {
                prop_assert!(held <= now + Duration::from_secs(60));
            }
            let mut previous = now;
            for cost in tokens {
                let start = limiter.reserve(now, cost);
                // Two pacers, each at most an hour per reservation.
                prop_assert!(start <= previous.max(now + Duration::from_secs(60)) + Duration::from_secs(7200));
                previous = start;
            }
        }
    }
}
