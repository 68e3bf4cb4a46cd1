//! The client-side rate limiter a batch's workers share: requests, input,
//! output and combined tokens per minute, each spaced evenly (the API enforces
//! its per-minute limits over shorter intervals, so a burst up to the minute's
//! allowance is not safe), at a fraction of the limit, the headroom. Limits
//! come from the flags, from the `anthropic-ratelimit-*` headers, or both (the
//! lower wins).
//!
//! Two rules keep workers and clients out of lockstep. A pause ("nothing
//! before T", a 429's retry-after) releases the workers one slot apart, the
//! first at a random point of the first slot, never all at T. And a 429 that
//! arrives despite the pacing (another client on the same key) lowers the pace
//! by a factor, which then climbs back linearly (AIMD): two batches on one
//! limit settle on shares instead of fighting.
//! Pure: time and randomness are passed in, so it is tested without a clock.

use std::time::{Duration, Instant, SystemTime};

/// What is left of the pace after a 429 met despite it.
const DECREASE: f64 = 0.7;
/// How fast the pace climbs back: this fraction of the limit per second.
const CLIMB_PER_SECOND: f64 = 0.05;
/// The pace never drops below this fraction of the limit.
pub(super) const MIN_SHARE: f64 = 0.05;

/// The limits the API reports, by the word in their header names.
const KINDS: [&str; 4] = ["requests", "input-tokens", "output-tokens", "tokens"];
const REQUESTS: usize = 0;
const INPUT: usize = 1;
const OUTPUT: usize = 2;
const TOTAL: usize = 3;

/// One limit and its evenly spaced slots: each reservation starts no earlier
/// than the previous one's start plus its cost's share of a minute.
#[derive(Clone, Debug, Default)]
pub(super) struct Limit {
    flag: Option<u64>,
    pub(super) learned: Option<u64>,
    pub(super) next_free: Option<Instant>,
}

impl Limit {
    /// The lower of the flag and the learned limit.
    fn limit(&self) -> Option<u64> {
        self.flag.into_iter().chain(self.learned).min()
    }

    fn earliest(&self, now: Instant) -> Instant {
        self.next_free.map_or(now, |at| at.max(now))
    }
}

/// The time `cost` takes at `per_minute`; 0/0 is NaN, which no clamp removes:
/// a cost-free slot takes no time.
fn spacing(cost: f64, per_minute: f64) -> Duration {
    Duration::try_from_secs_f64((cost * 60.0 / per_minute).clamp(0.0, 3600.0))
        .unwrap_or(Duration::ZERO)
}

#[derive(Clone, Debug, Default)]
pub struct RateLimiter {
    /// The fraction of each limit used: 0.9 keeps 10% headroom.
    fraction: f64,
    // `pub(super)`: `shared` moves these between processes.
    pub(super) limits: [Limit; 4],
    /// Nothing starts before this: a 429's retry-after, or a bucket the
    /// server says is empty.
    pub(super) hold_until: Option<Instant>,
    /// Pauses placed so far: a worker waiting for a slot takes a new one
    /// when this changes.
    pub(super) holds: u64,
    /// How far apart starts are after a pause while no limit is known.
    pub(super) pause_gap: Option<Duration>,
    /// The share of the limits aimed at after the last decrease, and when.
    pub(super) decreased: Option<(f64, Instant)>,
}

impl RateLimiter {
    pub fn new(rpm: Option<u32>, tpm: Option<u64>, fraction: f64) -> RateLimiter {
        let mut limits: [Limit; 4] = Default::default();
        limits[REQUESTS].flag = rpm.map(u64::from);
        limits[INPUT].flag = tpm;
        RateLimiter {
            fraction: fraction.clamp(0.01, 1.0),
            limits,
            ..RateLimiter::default()
        }
    }

    /// Starts at least `gap` apart until a reply has been seen (which tells
    /// the limits): processes started together (`xargs -P 8`) must not all
    /// go at once before any of them knows the pace.
    pub fn spaced_until_known(self, gap: Duration) -> RateLimiter {
        RateLimiter {
            pause_gap: Some(gap),
            ..self
        }
    }

    /// The share of the limits aimed at: 1 until a 429 met despite the pace
    /// lowers it, then climbing back.
    pub fn share(&self, now: Instant) -> f64 {
        self.decreased.map_or(1.0, |(share, at)| {
            let climbed = now.saturating_duration_since(at).as_secs_f64() * CLIMB_PER_SECOND;
            (share + climbed).min(1.0)
        })
    }

    fn rate(&self, kind: usize, now: Instant) -> Option<f64> {
        self.limits[kind]
            .limit()
            .map(|limit| limit as f64 * self.fraction * self.share(now))
    }

    /// The time between two request starts: the request pace, or after a
    /// pause with no limit known, the pause's own spread.
    fn request_gap(&self, now: Instant) -> Option<Duration> {
        self.rate(REQUESTS, now)
            .map(|rate| spacing(1.0, rate))
            .or(self.pause_gap)
    }

    /// When a request of `tokens` estimated input tokens may start, counting
    /// it as started then. Later reservations queue behind it.
    pub fn reserve(&mut self, now: Instant, tokens: u64) -> Instant {
        let gap = self.request_gap(now);
        let paced = |kind| self.rate(kind, now).is_some() || (kind == REQUESTS && gap.is_some());
        let start = (0..KINDS.len())
            .filter(|kind| paced(*kind))
            .map(|kind| self.limits[kind].earliest(now))
            .fold(
                self.hold_until.map_or(now, |hold| hold.max(now)),
                Instant::max,
            );
        if let Some(gap) = gap {
            self.limits[REQUESTS].next_free = Some(start + gap);
        }
        // Output tokens are counted when the reply says how many.
        for kind in [INPUT, TOTAL] {
            if let Some(rate) = self.rate(kind, now) {
                self.limits[kind].next_free = Some(start + spacing(tokens as f64, rate));
            }
        }
        start
    }

    /// Counts the output tokens of a reply against the output and combined
    /// limits: they are known only once the reply has arrived.
    pub fn spend_output(&mut self, now: Instant, tokens: u64) {
        for kind in [OUTPUT, TOTAL] {
            if let Some(rate) = self.rate(kind, now) {
                let from = self.limits[kind].earliest(now);
                self.limits[kind].next_free = Some(from + spacing(tokens as f64, rate));
            }
        }
    }

    /// Nothing starts before `until` (a 429 pauses every worker, not just the
    /// one that got it). Then the workers leave one request slot apart, the
    /// first `jitter` (in [0, 1)) of a slot after `until`, so that neither
    /// they nor another client's workers fire together at `until`.
    pub fn hold(&mut self, now: Instant, until: Instant, jitter: f64) {
        if self.hold_until.is_some_and(|held| held >= until) {
            return;
        }
        self.hold_until = Some(until);
        self.holds += 1;
        if self.rate(REQUESTS, now).is_none() {
            // An eighth of the pause: four workers leave within half of it.
            let pause = until.saturating_duration_since(now) / 8;
            self.pause_gap = Some(pause.clamp(Duration::from_millis(10), Duration::from_secs(1)));
        }
        let gap = self.request_gap(now).unwrap_or_default();
        // Not `clamp`, which keeps a NaN: a NaN jitter counts as none.
        let jitter = if jitter > 0.0 { jitter.min(1.0) } else { 0.0 };
        // The slots taken before the pause are void: every waiting worker
        // takes a new one.
        self.limits[REQUESTS].next_free = Some(until + gap.mul_f64(jitter));
    }

    pub fn held_until(&self) -> Option<Instant> {
        self.hold_until
    }

    /// Changes whenever a pause is placed.
    pub fn holds(&self) -> u64 {
        self.holds
    }

    /// A 429 for a request that started at `sent`. One met despite the pace
    /// (a limit is known and the request went at the current pace, after the
    /// last decrease) means the limit is shared: the pace drops.
    pub fn rate_limited(&mut self, now: Instant, sent: Instant) {
        let paced = self.limits.iter().any(|limit| limit.limit().is_some());
        let at_current_pace = self.decreased.is_none_or(|(_, at)| sent >= at);
        if paced && at_current_pace {
            let share = (self.share(now) * DECREASE).max(MIN_SHARE);
            self.decreased = Some((share, now));
        }
    }

    /// Learns from a successful response's `anthropic-ratelimit-*` headers:
    /// the limits set the pace, and a bucket the server says is empty starts
    /// nothing of its kind before its next unit has refilled: one unit's time
    /// at the limit, or sooner if its `-reset` (by the wall clock `wall`,
    /// read with `now`) comes first. Not until the reset itself: that is
    /// when the bucket is *full* again, and a batch at the limit sees an
    /// empty bucket after every reply, so waiting for it would stall the run.
    pub fn observe(&mut self, now: Instant, wall: SystemTime, headers: &[(String, String)]) {
        self.pause_gap = None;
        let value = |kind: &str, field: &str| {
            let name = format!("anthropic-ratelimit-{kind}-{field}");
            headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(&name))
                .map(|(_, value)| value.trim())
        };
        for (kind, name) in KINDS.iter().enumerate() {
            let number = |field| value(name, field).and_then(|v| v.parse::<u64>().ok());
            let Some(limit) = number("limit").filter(|n| *n > 0) else {
                continue;
            };
            self.limits[kind].learned = Some(limit);
            if number("remaining") != Some(0) {
                continue;
            }
            // Without a readable reset time: one unit's refill.
            let one_unit = spacing(1.0, limit as f64);
            let wait = value(name, "reset")
                .and_then(|reset| humantime::parse_rfc3339_weak(reset).ok())
                .map_or(one_unit, |reset| {
                    reset.duration_since(wall).unwrap_or_default().min(one_unit)
                });
            let next_free = &mut self.limits[kind].next_free;
            *next_free = Some(next_free.map_or(now + wait, |at| at.max(now + wait)));
        }
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

    /// The request pace, to a thousandth.
    fn rpm(limiter: &RateLimiter, at: Instant) -> f64 {
        (limiter.rate(REQUESTS, at).unwrap() * 1000.0).round() / 1000.0
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn without_a_limit_everything_starts_now() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(None, None, 0.9);
        assert_eq!(offsets(&mut limiter, now, 3, 100), vec![0, 0, 0]);
        assert_eq!(limiter.rate(REQUESTS, now), None);
    }

    #[test]
    fn slot_n_starts_at_n_intervals_exactly() {
        let now = Instant::now();
        // 600 rpm exactly: one every 100 ms, slot n at n × 100 ms.
        let mut exact = RateLimiter::new(Some(600), None, 1.0);
        for n in 0..1000u64 {
            assert_eq!(exact.reserve(now, 1), now + ms(100 * n));
        }
        // 600 rpm at 90% is 540 a minute: one every 111.1 ms.
        let mut limiter = RateLimiter::new(Some(600), None, 0.9);
        let gap = Duration::from_secs_f64(60.0 / 540.0);
        let mut expected = now;
        for _ in 0..100 {
            assert_eq!(limiter.reserve(now, 1), expected);
            expected += gap;
        }
    }

    #[test]
    fn until_a_reply_tells_the_limits_starts_are_spaced_by_the_first_gap() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(None, None, 0.9).spaced_until_known(ms(50));
        assert_eq!(offsets(&mut limiter, now, 3, 1), vec![0, 50, 100]);
        // A reply without rate-limit headers: nothing to pace by.
        limiter.observe(now, SystemTime::now(), &[]);
        assert_eq!(offsets(&mut limiter, now + ms(150), 2, 1), vec![0, 0]);
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
        assert_eq!(limiter.reserve(now, 2_000), now + ms(1500));
        assert_eq!(limiter.reserve(now, 1), now + ms(3500));
    }

    #[test]
    fn the_stricter_of_two_limits_sets_the_pace() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(Some(6000), Some(60_000), 1.0);
        // 100 requests/s allows 10 ms apart; 1,000 tokens/s at 100 each allows 100 ms.
        assert_eq!(offsets(&mut limiter, now, 3, 100), vec![0, 100, 200]);
    }

    #[test]
    fn output_and_combined_tokens_are_charged_when_the_reply_arrives() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(None, None, 1.0);
        limiter.observe(
            now,
            SystemTime::now(),
            &headers(&[
                ("anthropic-ratelimit-output-tokens-limit", "60000"),
                ("anthropic-ratelimit-tokens-limit", "120000"),
            ]),
        );
        // 100 input tokens against 2,000 combined a second: 50 ms.
        assert_eq!(limiter.reserve(now, 100), now);
        // A reply of 500 output tokens: 500 ms of the output limit, and 250 ms
        // more of the combined one.
        limiter.spend_output(now, 500);
        assert_eq!(limiter.reserve(now, 100), now + ms(500));
        assert_eq!(limiter.reserve(now, 100), now + ms(550));
    }

    #[test]
    fn limits_are_learned_from_headers_and_the_flag_can_only_lower_them() {
        let now = Instant::now();
        let wall = SystemTime::now();
        let mut limiter = RateLimiter::new(None, None, 0.9);
        limiter.observe(
            now,
            wall,
            &headers(&[
                ("anthropic-ratelimit-requests-limit", "50"),
                ("anthropic-ratelimit-requests-remaining", "49"),
                ("anthropic-ratelimit-input-tokens-limit", "30000"),
            ]),
        );
        assert_eq!(limiter.held_until(), None);
        assert_eq!(limiter.rate(REQUESTS, now), Some(45.0));
        assert_eq!(limiter.rate(INPUT, now), Some(27_000.0));
        let limit_50 = headers(&[("anthropic-ratelimit-requests-limit", "50")]);
        let mut flagged = RateLimiter::new(Some(1000), None, 1.0);
        flagged.observe(now, wall, &limit_50);
        assert_eq!(
            flagged.rate(REQUESTS, now),
            Some(50.0),
            "the server's lower limit wins"
        );
        let mut lower_flag = RateLimiter::new(Some(10), None, 1.0);
        lower_flag.observe(now, wall, &limit_50);
        assert_eq!(lower_flag.rate(REQUESTS, now), Some(10.0));
    }

    #[test]
    fn an_empty_bucket_waits_for_its_next_unit_not_for_the_reset() {
        let now = Instant::now();
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let in_7s = humantime::format_rfc3339_seconds(wall + Duration::from_secs(7)).to_string();
        // 60 a minute: a unit refills in 1 s, well before the bucket is full.
        let empty = |reset: &str| {
            headers(&[
                ("anthropic-ratelimit-requests-limit", "60"),
                ("anthropic-ratelimit-requests-remaining", "0"),
                ("anthropic-ratelimit-requests-reset", reset),
            ])
        };
        let mut limiter = RateLimiter::new(None, None, 1.0);
        limiter.observe(now, wall, &empty(&in_7s));
        assert_eq!(limiter.held_until(), None, "no one is held until the reset");
        assert_eq!(limiter.reserve(now, 1), now + ms(1000));
        // A reset sooner than a unit's refill: the reset.
        let in_0s = humantime::format_rfc3339_seconds(wall).to_string();
        let mut soon = RateLimiter::new(None, None, 1.0);
        soon.observe(now, wall, &empty(&in_0s));
        assert_eq!(soon.reserve(now, 1), now);
        // Without a reset time: one unit's refill.
        let mut no_reset = RateLimiter::new(None, None, 1.0);
        no_reset.observe(
            now,
            wall,
            &headers(&[
                ("anthropic-ratelimit-requests-limit", "60"),
                ("anthropic-ratelimit-requests-remaining", "0"),
            ]),
        );
        assert_eq!(no_reset.reserve(now, 1), now + ms(1000));
    }

    #[test]
    fn a_hold_delays_every_start_and_only_grows() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(Some(6000), None, 1.0);
        limiter.hold(now, now + Duration::from_secs(5), 0.0);
        limiter.hold(now, now + Duration::from_secs(2), 0.0);
        assert_eq!(limiter.holds(), 1);
        assert_eq!(limiter.reserve(now, 1), now + Duration::from_secs(5));
        let after = now + Duration::from_secs(9);
        assert_eq!(limiter.reserve(after, 1), after);
    }

    #[test]
    fn after_a_pause_four_workers_leave_one_slot_apart_never_together() {
        let now = Instant::now();
        // 1,200 a minute: a slot every 50 ms.
        let mut limiter = RateLimiter::new(Some(1200), None, 1.0);
        // Four workers had their slots; a 429 says nothing before 1 s.
        assert_eq!(offsets(&mut limiter, now, 4, 1), vec![0, 50, 100, 150]);
        let until = now + Duration::from_secs(1);
        limiter.hold(now, until, 0.5);
        // Every waiting worker takes a new slot, all at the same instant.
        let slots = offsets(&mut limiter, now, 4, 1);
        assert_eq!(slots, vec![1025, 1075, 1125, 1175]);
        // Another jitter draw puts the first elsewhere in its slot: two
        // clients paused by one 429 do not come back together either.
        let mut other = RateLimiter::new(Some(1200), None, 1.0);
        other.hold(now, until, 0.1);
        assert_eq!(offsets(&mut other, now, 2, 1), vec![1005, 1055]);
    }

    #[test]
    fn with_no_limit_known_a_pause_still_releases_workers_one_at_a_time() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(None, None, 1.0);
        limiter.hold(now, now + Duration::from_secs(1), 0.0);
        // An eighth of the pause apart, until a reply says how it went.
        assert_eq!(
            offsets(&mut limiter, now, 4, 1),
            vec![1000, 1125, 1250, 1375]
        );
        limiter.observe(now, SystemTime::now(), &[]);
        let later = now + Duration::from_secs(2);
        assert_eq!(offsets(&mut limiter, later, 2, 1), vec![0, 0]);
    }

    #[test]
    fn a_429_despite_the_pace_lowers_it_and_it_climbs_back() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(Some(600), None, 1.0);
        limiter.rate_limited(now, now);
        assert_eq!(rpm(&limiter, now), 420.0);
        // A second 429 for a request sent before the decrease changes nothing.
        limiter.rate_limited(now + ms(10), now - ms(10));
        assert_eq!(rpm(&limiter, now), 420.0);
        // Five percent of the limit a second: back to 600 after 6 s.
        let later = now + Duration::from_secs(2);
        assert_eq!(rpm(&limiter, later), 480.0);
        assert_eq!(limiter.reserve(later, 1), later);
        assert_eq!(limiter.reserve(later, 1), later + ms(125));
        assert_eq!(rpm(&limiter, now + Duration::from_secs(6)), 600.0);
        assert_eq!(rpm(&limiter, now + Duration::from_secs(99)), 600.0);
        // One sent after the decrease lowers it again, from where it stands.
        limiter.rate_limited(later, later);
        assert_eq!(rpm(&limiter, later), 336.0);
        // And never below a twentieth.
        for _ in 0..50 {
            limiter.rate_limited(later, later);
        }
        assert_eq!(rpm(&limiter, later), 30.0);
    }

    #[test]
    fn a_429_with_no_limit_known_has_no_pace_to_lower() {
        let now = Instant::now();
        let mut limiter = RateLimiter::new(None, None, 1.0);
        limiter.rate_limited(now, now);
        assert_eq!(limiter.share(now), 1.0);
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
                " 5 ",
                "9999-12-31T23:59:59Z",
                "1970-01-01T00:00:00Z",
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
            jitter in any::<f64>(),
            values in proptest::collection::vec(header_value(), 12),
            tokens in proptest::collection::vec(any::<u64>(), 1..5),
        ) {
            let now = Instant::now();
            let mut limiter = RateLimiter::new(rpm, tpm, fraction);
            let mut pairs = Vec::new();
            for (kind, name) in KINDS.iter().enumerate() {
                for (field, value) in ["limit", "remaining", "reset"].iter().zip(&values[kind * 3..]) {
                    pairs.push((format!("anthropic-ratelimit-{name}-{field}"), value.clone()));
                }
            }
            limiter.observe(now, SystemTime::now(), &pairs);
            limiter.hold(now, now + Duration::from_secs(1), jitter);
            limiter.rate_limited(now, now);
            let mut previous = now;
            for cost in tokens {
                let start = limiter.reserve(now, cost);
                limiter.spend_output(now, cost);
                // Four limits, each at most an hour per reservation.
                prop_assert!(start <= previous.max(now + Duration::from_secs(60)) + Duration::from_secs(4 * 3600));
                previous = start;
            }
        }
    }
}
