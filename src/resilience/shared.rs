//! The pace and the breaker as the processes on one key share them: the
//! state a `RateLimiter` and a `Breaker` hold, as a file carries it from
//! process to process, and merged back in. Instants
//! do not cross processes: times travel as wall-clock unix milliseconds and
//! are turned back into Instants on load. Pure: both clocks are passed in.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::breaker::{Breaker, State};
use super::limiter::{MIN_SHARE, RateLimiter};

/// Bumped when the meaning of a field changes: a file of another version is
/// ignored (and rewritten).
pub const VERSION: u32 = 1;
/// State nobody has written for this long is nobody's any more: a slot or a
/// hold in it has long passed, a limit may have changed.
pub const STALE_AFTER: Duration = Duration::from_secs(5 * 60);
/// The file is a few hundred bytes; a larger one is not ours.
pub const MAX_BYTES: usize = 4096;
/// Two processes read the wall clock a moment apart: a file written this
/// little "in the future" is still fresh.
const CLOCK_SKEW_MS: u64 = 1000;
/// A probe out longer than this is presumed lost (its process killed):
/// another process may probe. Renewed at each write of the prober's.
const PROBE_LEASE: Duration = Duration::from_secs(60);
/// Nothing the limiter or the breaker keeps lies further ahead: a time
/// beyond this is clamped to it.
const MAX_AHEAD: Duration = Duration::from_secs(3600);
/// A time read back from the file is off by up to this much (whole
/// milliseconds, and two clocks read a moment apart): within it, a time is
/// the one this process holds already, or each read-back would move it.
const TOLERANCE: Duration = Duration::from_millis(2);

fn near(a: Instant, b: Instant) -> bool {
    a.max(b) - a.min(b) <= TOLERANCE
}

/// The later of two times, ours when theirs is ours read back.
fn later(ours: Option<Instant>, theirs: Option<Instant>) -> Option<Instant> {
    match (ours, theirs) {
        (Some(own), Some(other)) if other <= own + TOLERANCE => ours,
        _ => ours.max(theirs),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SharedState {
    pub version: u32,
    pub written_at_ms: u64,
    /// By kind: requests, input tokens, output tokens, tokens.
    pub learned: [Option<u64>; 4],
    pub next_free_ms: [Option<u64>; 4],
    /// A 429's "nothing before": every process waits for it.
    pub hold_until_ms: Option<u64>,
    pub pause_gap_ms: Option<u64>,
    /// The share of the limits after a 429 met despite the pace, and when.
    pub decreased: Option<(f64, u64)>,
    pub breaker: SharedBreaker,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SharedBreaker {
    /// Unhealthy outcomes in a row, over every process.
    pub streak: u32,
    /// Open until then; a time passed means half-open: the next request probes.
    pub open_until_ms: Option<u64>,
    pub cooldown_ms: u64,
    pub failed_probes: u32,
    /// Half-open, a process's probe is out until then: the others wait for
    /// its outcome.
    pub probing_until_ms: Option<u64>,
}

/// The state in `bytes`, if it is ours, of this version and fresh at `now_ms`.
pub fn parse(bytes: &[u8], now_ms: u64) -> Option<SharedState> {
    if bytes.len() > MAX_BYTES {
        return None;
    }
    let state: SharedState = serde_json::from_slice(bytes).ok()?;
    let age = now_ms.saturating_sub(state.written_at_ms);
    // Written "in the future" (the clock went back since): every time in it
    // would be read that much later.
    let future = state.written_at_ms > now_ms.saturating_add(CLOCK_SKEW_MS);
    (state.version == VERSION && !future && u128::from(age) <= STALE_AFTER.as_millis())
        .then_some(state)
}

pub fn to_bytes(state: &SharedState) -> Vec<u8> {
    serde_json::to_vec(state).unwrap_or_default()
}

/// Two clocks read at one moment: the process's and the wall's.
#[derive(Clone, Copy, Debug)]
pub struct Now {
    pub instant: Instant,
    pub unix_ms: u64,
}

impl Now {
    /// A wall time as an Instant of this process; `None` once it has passed.
    fn ahead(self, ms: Option<u64>) -> Option<Instant> {
        let ahead = ms?.checked_sub(self.unix_ms).filter(|ms| *ms > 0)?;
        Some(self.instant + Duration::from_millis(ahead).min(MAX_AHEAD))
    }

    /// An Instant as a wall time, to the nearest millisecond: rounding
    /// always up would move a time later at each hand-over.
    fn ms(self, at: Instant) -> u64 {
        let ahead = at.saturating_duration_since(self.instant).min(MAX_AHEAD);
        self.unix_ms + (ahead.as_micros() + 500) as u64 / 1000
    }

    /// An Instant in the future, as a wall time; `None` once passed.
    fn ms_ahead(self, at: Option<Instant>) -> Option<u64> {
        at.filter(|at| *at > self.instant).map(|at| self.ms(at))
    }
}

/// Takes in what other processes have written: the slots and the hold are
/// the later of theirs and ours, the limits theirs when they learned any,
/// the share the lower, the breaker theirs (it is written after each change).
pub fn merge_in(state: &SharedState, limiter: &mut RateLimiter, breaker: &mut Breaker, now: Now) {
    for (kind, limit) in limiter.limits.iter_mut().enumerate() {
        limit.learned = state.learned[kind].filter(|n| *n > 0).or(limit.learned);
        limit.next_free = later(limit.next_free, now.ahead(state.next_free_ms[kind]));
    }
    if let Some(held) = now.ahead(state.hold_until_ms)
        && later(limiter.hold_until, Some(held)) != limiter.hold_until
    {
        limiter.hold_until = Some(held);
        // A worker waiting for its slot takes a new one behind the hold.
        limiter.holds += 1;
    }
    // Theirs even when none: the first reply any process saw ends the
    // spacing of processes that know no limit yet.
    limiter.pause_gap = state
        .pause_gap_ms
        .map(|gap| Duration::from_millis(gap).min(Duration::from_secs(1)));
    if let Some((share, at_ms)) = state.decreased
        && let Some(at) = now
            .instant
            .checked_sub(Duration::from_millis(now.unix_ms.saturating_sub(at_ms)))
    {
        let theirs = Some((share.clamp(MIN_SHARE, 1.0), at));
        let ours = limiter.decreased;
        let own_share = limiter.share(now.instant);
        limiter.decreased = theirs;
        if limiter.share(now.instant) > own_share {
            limiter.decreased = ours;
        }
    }
    merge_breaker(&state.breaker, breaker, now);
}

fn merge_breaker(shared: &SharedBreaker, breaker: &mut Breaker, now: Now) {
    let (first, max) = (breaker.config.first_cooldown, breaker.config.max_cooldown);
    breaker.cooldown = Duration::from_millis(shared.cooldown_ms).clamp(first, max);
    // Counts past the verdicts they lead to say nothing more.
    breaker.failed_probes = shared.failed_probes.min(breaker.config.give_up_after);
    breaker.probe_elsewhere = None;
    let own = breaker.state;
    breaker.state = match (own, shared.open_until_ms, now.ahead(shared.open_until_ms)) {
        // This process gave up: its verdict stands.
        (State::GaveUp, ..) => own,
        // Its own opening read back: kept as it is.
        (State::Open { until: mine }, _, Some(until)) if near(mine, until) => own,
        // Open again (another process's probe failed): a probe of this
        // process's out as well is a straggler, which counts no more.
        (_, _, Some(until)) => State::Open { until },
        // Its probe is out: its outcome decides.
        (State::HalfOpen { probing: true }, ..) => own,
        (_, None, _) => State::Closed {
            streak: shared.streak.min(breaker.config.threshold),
        },
        (_, Some(_), None) => {
            breaker.probe_elsewhere = now.ahead(shared.probing_until_ms);
            State::HalfOpen { probing: false }
        }
    };
}

/// What to write for the others.
pub fn snapshot(limiter: &RateLimiter, breaker: &Breaker, now: Now) -> SharedState {
    let (streak, open_until_ms) = match breaker.state {
        State::Closed { streak } => (streak, None),
        State::Open { until } => (0, Some(now.ms(until))),
        // Half-open: a time passed.
        State::HalfOpen { .. } | State::GaveUp => (0, Some(now.unix_ms)),
    };
    SharedState {
        version: VERSION,
        written_at_ms: now.unix_ms,
        learned: limiter.limits.each_ref().map(|limit| limit.learned),
        next_free_ms: limiter
            .limits
            .each_ref()
            .map(|limit| now.ms_ahead(limit.next_free)),
        hold_until_ms: now.ms_ahead(limiter.hold_until),
        pause_gap_ms: limiter.pause_gap.map(|gap| gap.as_millis() as u64),
        decreased: limiter.decreased.map(|(share, at)| {
            let ago = now.instant.saturating_duration_since(at).as_millis() as u64;
            (share, now.unix_ms.saturating_sub(ago))
        }),
        breaker: SharedBreaker {
            streak,
            open_until_ms,
            cooldown_ms: breaker.cooldown.as_millis() as u64,
            failed_probes: breaker.failed_probes,
            probing_until_ms: match breaker.state {
                State::HalfOpen { probing: true } => Some(now.ms(now.instant + PROBE_LEASE)),
                State::HalfOpen { probing: false } => now.ms_ahead(breaker.probe_elsewhere),
                _ => None,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::breaker::{Admission, BreakerConfig, Health};
    use proptest::prelude::*;

    const T0: u64 = 1_700_000_000_000;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn fresh() -> (RateLimiter, Breaker) {
        (
            RateLimiter::new(None, None, 1.0),
            Breaker::new(BreakerConfig::default()),
        )
    }

    /// One process writes at `a`, another reads at `b`, `offset` ms later
    /// on the wall clock: the two processes' Instants share no origin.
    fn hand_over(
        limiter: &RateLimiter,
        breaker: &Breaker,
        a: Now,
        offset: u64,
    ) -> (RateLimiter, Breaker, Now) {
        let state = parse(
            &to_bytes(&snapshot(limiter, breaker, a)),
            a.unix_ms + offset,
        )
        .expect("a fresh state of this version is read back");
        let b = Now {
            instant: Instant::now() + Duration::from_secs(1000),
            unix_ms: a.unix_ms + offset,
        };
        let (mut limiter, mut breaker) = fresh();
        merge_in(&state, &mut limiter, &mut breaker, b);
        (limiter, breaker, b)
    }

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_second_process_takes_the_slot_after_the_firsts() {
        let a = Now {
            instant: Instant::now(),
            unix_ms: T0,
        };
        let (mut limiter, breaker) = fresh();
        let limit = headers(&[("anthropic-ratelimit-requests-limit", "600")]);
        limiter.observe(a.instant, std::time::SystemTime::now(), &limit);
        // 600 a minute: one every 100 ms; three taken by the first process.
        for _ in 0..3 {
            limiter.reserve(a.instant, 1);
        }
        let (mut other, _, b) = hand_over(&limiter, &breaker, a, 40);
        assert_eq!(other.limits[0].learned, Some(600));
        // The next free slot was 300 ms after a, which is 260 ms after b.
        assert_eq!(other.reserve(b.instant, 1), b.instant + ms(260));
        assert_eq!(other.reserve(b.instant, 1), b.instant + ms(360));
    }

    #[test]
    fn a_hold_crosses_processes_and_voids_waiting_slots() {
        let a = Now {
            instant: Instant::now(),
            unix_ms: T0,
        };
        let (mut limiter, breaker) = fresh();
        limiter.hold(a.instant, a.instant + ms(2_000), 0.0);
        let (other, _, b) = hand_over(&limiter, &breaker, a, 500);
        assert_eq!(other.held_until(), Some(b.instant + ms(1_500)));
        assert_eq!(other.holds(), 1);
        // Passed by the time it is read: no hold.
        let (late, _, _) = hand_over(&limiter, &breaker, a, 2_000);
        assert_eq!(late.held_until(), None);
    }

    #[test]
    fn the_first_reply_anywhere_ends_the_first_gap_everywhere() {
        let a = Now {
            instant: Instant::now(),
            unix_ms: T0,
        };
        let gap = ms(50);
        let mut limiter = RateLimiter::new(None, None, 1.0).spaced_until_known(gap);
        limiter.reserve(a.instant, 1);
        let breaker = fresh().1;
        // Before any reply, a new process keeps its distance.
        let state = snapshot(&limiter, &breaker, a);
        let mut other = RateLimiter::new(None, None, 1.0).spaced_until_known(gap);
        merge_in(&state, &mut other, &mut fresh().1, a);
        assert_eq!(other.reserve(a.instant, 1), a.instant + gap);
        // A reply without rate-limit headers: nobody waits any more.
        limiter.observe(a.instant, std::time::SystemTime::now(), &[]);
        let state = snapshot(&limiter, &breaker, a);
        let mut later = RateLimiter::new(None, None, 1.0).spaced_until_known(gap);
        merge_in(&state, &mut later, &mut fresh().1, a);
        assert_eq!(later.reserve(a.instant, 1), a.instant);
    }

    #[test]
    fn the_later_slot_and_hold_and_the_lower_share_win() {
        let now = Now {
            instant: Instant::now(),
            unix_ms: T0,
        };
        let mut theirs = SharedState {
            version: VERSION,
            written_at_ms: T0,
            next_free_ms: [Some(T0 + 100), None, None, None],
            hold_until_ms: Some(T0 + 50),
            decreased: Some((0.5, T0)),
            ..SharedState::default()
        };
        let (mut limiter, mut breaker) = fresh();
        limiter.limits[0].next_free = Some(now.instant + ms(300));
        limiter.hold_until = Some(now.instant + ms(80));
        limiter.decreased = Some((0.7, now.instant));
        merge_in(&theirs, &mut limiter, &mut breaker, now);
        assert_eq!(limiter.limits[0].next_free, Some(now.instant + ms(300)));
        assert_eq!(limiter.hold_until, Some(now.instant + ms(80)));
        assert_eq!(limiter.holds, 0, "an earlier hold changes nothing");
        assert_eq!(limiter.share(now.instant), 0.5);
        theirs.decreased = Some((0.9, T0));
        merge_in(&theirs, &mut limiter, &mut breaker, now);
        assert_eq!(limiter.share(now.instant), 0.5, "the lower share stays");
    }

    /// A breaker opened at T0 by five overloads.
    fn opened() -> (RateLimiter, Breaker, Now) {
        let a = Now {
            instant: Instant::now(),
            unix_ms: T0,
        };
        let (limiter, mut breaker) = fresh();
        for _ in 0..5 {
            breaker.record(a.instant, Health::Unhealthy, false);
        }
        (limiter, breaker, a)
    }

    #[test]
    fn an_open_breaker_holds_the_other_process_until_its_end() {
        let (limiter, breaker, a) = opened();
        let (_, mut other, b) = hand_over(&limiter, &breaker, a, 1_000);
        assert_eq!(
            other.admit(b.instant),
            Admission::WaitUntil(b.instant + ms(4_000))
        );
        // After the cool-down, the next one probes; a failed probe doubles it.
        let (_, mut later, c) = hand_over(&limiter, &breaker, a, 6_000);
        assert_eq!(later.admit(c.instant), Admission::Go { probe: true });
        later.record(c.instant, Health::Unhealthy, true);
        let (_, mut third, d) = hand_over(&limiter, &later, c, 0);
        assert_eq!(
            third.admit(d.instant),
            Admission::WaitUntil(d.instant + ms(10_000))
        );
    }

    #[test]
    fn one_process_probes_at_a_time_and_a_failed_probe_counts_once() {
        let after = |now: Now, n: u64| Now {
            instant: now.instant + ms(n),
            unix_ms: now.unix_ms + n,
        };
        let (limiter, breaker, a) = opened();
        // After the cool-down one process probes; the others wait for it.
        let (_, mut first, b) = hand_over(&limiter, &breaker, a, 6_000);
        assert_eq!(first.admit(b.instant), Admission::Go { probe: true });
        let (_, mut second, c) = hand_over(&limiter, &first, b, 100);
        assert_eq!(second.admit(c.instant), Admission::WaitForProbe);
        assert_eq!(second.admit(c.instant), Admission::WaitForProbe);
        // A probe out past its lease is presumed lost: another goes.
        let lease = PROBE_LEASE.as_millis() as u64;
        let (_, mut third, d) = hand_over(&limiter, &first, b, lease + 1_000);
        assert_eq!(third.admit(d.instant), Admission::Go { probe: true });
        // The first probe fails and opens it again; the third's, failing
        // too, is a straggler of the same open period.
        let e = after(b, lease + 1_010);
        first.record(e.instant, Health::Unhealthy, true);
        let written = parse(&to_bytes(&snapshot(&limiter, &first, e)), e.unix_ms).unwrap();
        let (mut limiter_3, d) = (fresh().0, after(d, 10));
        merge_in(&written, &mut limiter_3, &mut third, d);
        assert_eq!(third.record(d.instant, Health::Unhealthy, true), None);
        assert_eq!(third.failed_probes, 1);
        assert_eq!(
            third.admit(d.instant),
            Admission::WaitUntil(d.instant + ms(10_000))
        );
    }

    #[test]
    fn a_streak_adds_up_over_processes() {
        let a = Now {
            instant: Instant::now(),
            unix_ms: T0,
        };
        let (limiter, mut breaker) = fresh();
        for _ in 0..4 {
            breaker.record(a.instant, Health::Unhealthy, false);
            let (_, next, _) = hand_over(&limiter, &breaker, a, 0);
            breaker = next;
        }
        assert_eq!(breaker.admit(a.instant), Admission::Go { probe: false });
        let mut b = breaker.clone();
        assert!(
            b.record(a.instant, Health::Unhealthy, false).is_some(),
            "the fifth opens it"
        );
    }

    #[test]
    fn times_read_back_do_not_creep_later() {
        let t = Instant::now();
        // The wall clock is read in whole milliseconds, here 0.9 ms behind.
        let at = |us: u64| Now {
            instant: t + Duration::from_micros(us),
            unix_ms: (T0 * 1000 + 900 + us) / 1000,
        };
        let (mut limiter, mut breaker) = fresh();
        let (hold, slot) = (t + Duration::from_micros(2_000_300), t + ms(500));
        limiter.hold(t, hold, 0.0);
        limiter.limits[0].next_free = Some(slot);
        for _ in 0..5 {
            breaker.record(t, Health::Unhealthy, false);
        }
        let open = breaker.state;
        // The process reads back what it wrote, at each call.
        for call in 0..100 {
            let now = at(call * 1_370);
            let state = snapshot(&limiter, &breaker, now);
            merge_in(&state, &mut limiter, &mut breaker, now);
        }
        assert_eq!(limiter.held_until(), Some(hold));
        assert_eq!(limiter.holds(), 1, "no new hold");
        assert_eq!(limiter.limits[0].next_free, Some(slot));
        assert_eq!(breaker.state, open);
        // A later time of another process's is taken.
        let state = snapshot(&limiter, &breaker, at(0));
        let (mut other, _) = fresh();
        other.limits[0].next_free = Some(slot - ms(3));
        merge_in(&state, &mut other, &mut fresh().1, at(0));
        assert!(other.limits[0].next_free > Some(slot - ms(2)));
    }

    #[test]
    fn stale_future_dated_other_version_and_damaged_files_are_ignored() {
        let state = SharedState {
            version: VERSION,
            written_at_ms: T0,
            ..SharedState::default()
        };
        let bytes = to_bytes(&state);
        assert_eq!(parse(&bytes, T0 + 1_000), Some(state.clone()));
        let stale = T0 + STALE_AFTER.as_millis() as u64 + 1;
        assert_eq!(parse(&bytes, stale), None, "stale");
        assert_eq!(parse(&bytes, T0 - 2_000), None, "written in the future");
        assert_eq!(
            parse(&bytes, T0 - 500),
            Some(state.clone()),
            "a clock a moment off"
        );
        let future = to_bytes(&SharedState {
            version: VERSION + 1,
            ..state.clone()
        });
        assert_eq!(parse(&future, T0), None, "a future version");
        assert_eq!(parse(&bytes[..bytes.len() / 2], T0), None, "cut short");
        assert_eq!(parse(b"", T0), None);
        assert_eq!(parse(&vec![b' '; MAX_BYTES + 1], T0), None, "too long");
    }

    #[test]
    fn numbers_from_the_file_are_clamped() {
        let now = Now {
            instant: Instant::now(),
            unix_ms: T0,
        };
        let state = SharedState {
            version: VERSION,
            written_at_ms: T0,
            next_free_ms: [Some(u64::MAX); 4],
            hold_until_ms: Some(u64::MAX),
            pause_gap_ms: Some(u64::MAX),
            decreased: Some((-3.0, 0)),
            breaker: SharedBreaker {
                streak: u32::MAX,
                open_until_ms: Some(u64::MAX),
                cooldown_ms: u64::MAX,
                failed_probes: 0,
                probing_until_ms: Some(u64::MAX),
            },
            ..SharedState::default()
        };
        let (mut limiter, mut breaker) = fresh();
        merge_in(&state, &mut limiter, &mut breaker, now);
        assert_eq!(limiter.held_until(), Some(now.instant + MAX_AHEAD));
        assert_eq!(breaker.cooldown, Duration::from_secs(60));
        assert!(limiter.share(now.instant) >= MIN_SHARE);
    }

    proptest! {
        #[test]
        fn any_bytes_parse_without_panic_and_merge_within_bounds(
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            now_ms in any::<u64>(),
        ) {
            if let Some(state) = parse(&bytes, now_ms) {
                let now = Now { instant: Instant::now(), unix_ms: now_ms };
                let (mut limiter, mut breaker) = fresh();
                merge_in(&state, &mut limiter, &mut breaker, now);
                prop_assert!(limiter.held_until().is_none_or(|h| h <= now.instant + MAX_AHEAD));
                let _ = snapshot(&limiter, &breaker, now);
            }
        }

        #[test]
        fn any_numbers_in_a_state_of_ours_merge_within_bounds(
            numbers in proptest::collection::vec(
                // Mostly of the right type, so that most states are read.
                prop_oneof![
                    20 => any::<u64>().prop_map(serde_json::Value::from),
                    4 => Just(serde_json::Value::Null),
                    1 => any::<i64>().prop_map(serde_json::Value::from),
                    1 => any::<f64>().prop_map(serde_json::Value::from),
                ],
                16,
            ),
            age in 0u64..400_000,
        ) {
            let n = |i: usize| numbers[i].clone();
            let text = serde_json::json!({
                "version": VERSION,
                "written_at_ms": T0 - age,
                "learned": [n(0), n(1), n(2), n(3)],
                "next_free_ms": [n(4), n(5), n(6), n(7)],
                "hold_until_ms": n(8),
                "pause_gap_ms": n(9),
                "decreased": [n(10), n(11)],
                "breaker": {"streak": n(12), "open_until_ms": n(13), "cooldown_ms": n(14), "failed_probes": n(15)},
            })
            .to_string();
            let now = Now { instant: Instant::now(), unix_ms: T0 };
            // A wrong type anywhere is a state not ours.
            if let Some(state) = parse(text.as_bytes(), T0) {
                prop_assert!(u128::from(age) <= STALE_AFTER.as_millis());
                let (mut limiter, mut breaker) = fresh();
                merge_in(&state, &mut limiter, &mut breaker, now);
                let ahead = now.instant + MAX_AHEAD;
                prop_assert!(limiter.held_until().is_none_or(|h| h <= ahead));
                prop_assert!(limiter.limits.iter().all(|l| l.next_free.is_none_or(|t| t <= ahead)));
                prop_assert!((MIN_SHARE..=1.0).contains(&limiter.share(now.instant)));
                prop_assert!(breaker.cooldown <= Duration::from_secs(60));
                // What it writes back is read back.
                prop_assert!(parse(&to_bytes(&snapshot(&limiter, &breaker, now)), T0).is_some());
            }
        }

        #[test]
        fn any_breaker_counts_merge_within_bounds_and_count_on_without_overflow(
            streak in prop_oneof![Just(u32::MAX), any::<u32>(), 0u32..6],
            failed_probes in prop_oneof![Just(u32::MAX), any::<u32>(), 0u32..6],
            open in any::<bool>(),
        ) {
            let now = Now { instant: Instant::now(), unix_ms: T0 };
            let state = SharedState {
                version: VERSION,
                written_at_ms: T0,
                breaker: SharedBreaker {
                    streak,
                    open_until_ms: open.then_some(T0),
                    cooldown_ms: 5_000,
                    failed_probes,
                    ..SharedBreaker::default()
                },
                ..SharedState::default()
            };
            let (mut limiter, mut breaker) = fresh();
            merge_in(&state, &mut limiter, &mut breaker, now);
            prop_assert!(breaker.failed_probes <= breaker.config.give_up_after);
            let probe = breaker.admit(now.instant) == Admission::Go { probe: true };
            breaker.record(now.instant, Health::Unhealthy, probe);
            breaker.record(now.instant, Health::Unhealthy, false);
            let written = snapshot(&limiter, &breaker, now).breaker;
            prop_assert!(written.streak <= breaker.config.threshold);
            // One probe more than a verdict at most: that probe gives up.
            prop_assert!(written.failed_probes <= breaker.config.give_up_after + 1);
        }

        #[test]
        fn any_state_survives_a_round_trip(
            learned in any::<[Option<u64>; 4]>(),
            offsets in any::<[Option<u16>; 4]>(),
            streak in 0u32..5,
        ) {
            let state = SharedState {
                version: VERSION,
                written_at_ms: T0,
                learned,
                next_free_ms: offsets.map(|o| o.map(|o| T0 + u64::from(o))),
                breaker: SharedBreaker { streak, cooldown_ms: 5_000, ..SharedBreaker::default() },
                ..SharedState::default()
            };
            let parsed = parse(&to_bytes(&state), T0);
            prop_assert_eq!(parsed, Some(state));
        }
    }
}
