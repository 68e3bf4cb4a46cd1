//! Sums a stretch of the log up: calls and success rate from `call` lines,
//! retries from `attempt` lines, and the same per fixed window of time, so the
//! worst few minutes of a day are not averaged away. Pure: entries in, numbers out.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::reader::{Entry, Event};
use crate::resilience::Category;

#[derive(Clone, Debug, Default)]
struct Counts {
    calls: u64,
    successes: u64,
    failures: HashMap<Category, u64>,
}

impl Counts {
    fn add_call(&mut self, failed_with: Option<Category>) {
        self.calls += 1;
        match failed_with {
            None => self.successes += 1,
            Some(category) => *self.failures.entry(category).or_default() += 1,
        }
    }

    /// Most frequent first; ties in the order of `Category::ALL`, so output is stable.
    fn sorted_failures(&self) -> Vec<(Category, u64)> {
        let rank = |c: &Category| Category::ALL.iter().position(|x| x == c);
        let mut failures: Vec<_> = self.failures.iter().map(|(c, n)| (*c, *n)).collect();
        failures.sort_by(|a, b| b.1.cmp(&a.1).then(rank(&a.0).cmp(&rank(&b.0))));
        failures
    }
}

/// Success as a percentage, to one decimal; `None` without calls.
pub fn percent(successes: u64, calls: u64) -> Option<f64> {
    (calls > 0).then(|| (successes as f64 * 1000.0 / calls as f64).round() / 10.0)
}

/// Collects entries at or after `since` into totals and windows of `window`,
/// aligned to multiples of `window` since the Unix epoch (so the same log
/// always gives the same windows).
pub struct StatsBuilder {
    since: SystemTime,
    window_ms: u128,
    totals: Counts,
    retries: u64,
    failed_attempts: HashMap<Category, u64>,
    windows: BTreeMap<u128, Counts>,
}

impl StatsBuilder {
    pub fn new(since: SystemTime, window: Duration) -> StatsBuilder {
        StatsBuilder {
            since,
            window_ms: window.as_millis().max(1),
            totals: Counts::default(),
            retries: 0,
            failed_attempts: HashMap::new(),
            windows: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, entry: &Entry) {
        if entry.at < self.since || entry.mock {
            return;
        }
        match &entry.event {
            Event::Attempt(attempt) => {
                self.retries += u64::from(attempt.retry_in_ms.is_some());
                *self.failed_attempts.entry(attempt.category).or_default() += 1;
            }
            Event::Call(call) => {
                self.totals.add_call(call.failed_with);
                let ms = entry
                    .at
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_millis();
                self.windows
                    .entry(ms / self.window_ms)
                    .or_default()
                    .add_call(call.failed_with);
            }
            Event::BatchEnd | Event::Interrupted => {}
        }
    }

    pub fn finish(self) -> Stats {
        let window_ms = self.window_ms;
        let windows = self
            .windows
            .into_iter()
            .map(|(index, counts)| Window {
                start: crate::dates::later(UNIX_EPOCH, millis(index * window_ms)),
                calls: counts.calls,
                successes: counts.successes,
                failures: counts.sorted_failures(),
            })
            .collect();
        Stats {
            calls: self.totals.calls,
            successes: self.totals.successes,
            failures: self.totals.sorted_failures(),
            retries: self.retries,
            failed_attempts: self.failed_attempts,
            window: millis(window_ms),
            windows,
        }
    }
}

fn millis(ms: u128) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
}

/// One window that had calls.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub start: SystemTime,
    pub calls: u64,
    pub successes: u64,
    /// Failed calls by final category, most frequent first.
    pub failures: Vec<(Category, u64)>,
}

impl Window {
    pub fn success_rate(&self) -> f64 {
        percent(self.successes, self.calls).unwrap_or(100.0)
    }

    /// The category most of this window's failed calls ended in.
    pub fn dominant(&self) -> Option<Category> {
        self.failures.first().map(|(category, _)| *category)
    }

    /// Worse means a lower share of successes (compared exactly, without
    /// rounding); between equal shares, the one with more calls.
    fn is_worse_than(&self, other: &Window) -> bool {
        let mine = u128::from(self.successes) * u128::from(other.calls);
        let theirs = u128::from(other.successes) * u128::from(self.calls);
        mine < theirs || (mine == theirs && self.calls > other.calls)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    pub calls: u64,
    pub successes: u64,
    /// Failed calls by final category, most frequent first.
    pub failures: Vec<(Category, u64)>,
    /// Attempt lines followed by a retry.
    pub retries: u64,
    /// Attempt lines (each a failed attempt) by category.
    pub failed_attempts: HashMap<Category, u64>,
    pub window: Duration,
    /// Windows that had calls, oldest first.
    pub windows: Vec<Window>,
}

/// Why `--alert-below` fires: the worst window, and how many were below.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert<'a> {
    pub worst: &'a Window,
    pub category: Category,
    pub windows_below: usize,
}

impl Stats {
    pub fn success_rate(&self) -> Option<f64> {
        percent(self.successes, self.calls)
    }

    /// The window with the lowest success rate; the earliest among equals.
    pub fn worst_window(&self) -> Option<&Window> {
        self.windows
            .iter()
            .reduce(|worst, window| match window.is_worse_than(worst) {
                true => window,
                false => worst,
            })
    }

    /// Fires when any window's success rate is below `below` percent.
    pub fn alert(&self, below: f64) -> Option<Alert<'_>> {
        let is_below = |w: &&Window| (w.successes as f64) * 100.0 < below * w.calls as f64;
        let windows_below = self.windows.iter().filter(is_below).count();
        let worst = self.worst_window().filter(is_below)?;
        Some(Alert {
            worst,
            category: worst.dominant()?,
            windows_below,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::reader::{Attempt, Call};
    use proptest::prelude::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn at(minutes: u64, seconds: u64) -> SystemTime {
        // A multiple of five minutes since the epoch, so windows start on it.
        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + minutes * 60 + seconds)
    }

    fn call(time: SystemTime, failed_with: Option<Category>) -> Entry {
        Entry {
            at: time,
            event: Event::Call(Call {
                failed_with,
                attempts: 1,
            }),
            http_status: None,
            error_type: None,
            message: None,
            request_id: None,
            mock: false,
        }
    }

    fn attempt(time: SystemTime, retry_in_ms: Option<u64>) -> Entry {
        Entry {
            event: Event::Attempt(Attempt {
                category: Category::Overloaded,
                attempt: 1,
                max_attempts: 5,
                retry_in_ms,
            }),
            ..call(time, None)
        }
    }

    fn build(since: SystemTime, entries: &[Entry]) -> Stats {
        let mut builder = StatsBuilder::new(since, 5 * MINUTE);
        for entry in entries {
            builder.add(entry);
        }
        builder.finish()
    }

    /// 10 calls, all fine, in the first window; 10 calls, 5 failed (3
    /// overloaded, 2 rate limited), in the second.
    fn two_windows() -> Vec<Entry> {
        let mut entries: Vec<Entry> = (0..10).map(|s| call(at(1, s), None)).collect();
        entries.extend((0..5).map(|s| call(at(6, s), None)));
        entries.extend((5..8).map(|s| call(at(7, s), Some(Category::Overloaded))));
        entries.extend((8..10).map(|s| call(at(8, s), Some(Category::RateLimit))));
        entries.push(attempt(at(7, 1), Some(3000)));
        entries.push(attempt(at(7, 2), None));
        entries
    }

    #[test]
    fn totals_rates_and_failures_by_category() {
        let stats = build(at(0, 0), &two_windows());
        assert_eq!(stats.calls, 20);
        assert_eq!(stats.successes, 15);
        assert_eq!(stats.success_rate(), Some(75.0));
        assert_eq!(
            stats.failures,
            vec![(Category::Overloaded, 3), (Category::RateLimit, 2)]
        );
        assert_eq!(stats.retries, 1);
        assert_eq!(stats.windows.len(), 2);
    }

    #[test]
    fn the_worst_window_and_its_dominant_category() {
        let stats = build(at(0, 0), &two_windows());
        let worst = stats.worst_window().unwrap();
        assert_eq!(worst.start, at(5, 0));
        assert_eq!((worst.calls, worst.successes), (10, 5));
        assert_eq!(worst.success_rate(), 50.0);
        assert_eq!(worst.dominant(), Some(Category::Overloaded));
    }

    #[test]
    fn alert_fires_only_below_the_threshold() {
        let stats = build(at(0, 0), &two_windows());
        let alert = stats.alert(95.0).unwrap();
        assert_eq!(alert.category, Category::Overloaded);
        assert_eq!(alert.windows_below, 1);
        assert_eq!(alert.worst.start, at(5, 0));
        assert!(stats.alert(50.0).is_none(), "50% is not below 50%");
        assert!(stats.alert(50.1).is_some());
        assert!(stats.alert(0.0).is_none());
    }

    #[test]
    fn since_excludes_older_entries() {
        let stats = build(at(5, 0), &two_windows());
        assert_eq!(stats.calls, 10);
        assert_eq!(stats.windows.len(), 1);
        let empty = build(at(60, 0), &two_windows());
        assert_eq!(empty.calls, 0);
        assert_eq!(empty.success_rate(), None);
        assert_eq!(empty.worst_window(), None);
        assert!(empty.alert(95.0).is_none());
    }

    #[test]
    fn equal_rates_prefer_more_calls_then_the_earliest() {
        let entries = vec![
            call(at(1, 0), Some(Category::Timeout)),
            call(at(6, 0), Some(Category::Connection)),
            call(at(11, 0), Some(Category::RateLimit)),
            call(at(11, 1), Some(Category::RateLimit)),
        ];
        let stats = build(at(0, 0), &entries);
        assert_eq!(stats.worst_window().unwrap().start, at(10, 0));
        let stats = build(at(0, 0), &entries[..2]);
        assert_eq!(stats.worst_window().unwrap().start, at(0, 0));
        assert_eq!(stats.alert(95.0).unwrap().windows_below, 2);
    }

    #[test]
    fn percentages_are_rounded_to_a_tenth() {
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(1, 3), Some(33.3));
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(7, 7), Some(100.0));
    }

    proptest! {
        #[test]
        fn any_times_windows_and_thresholds_sum_up(
            // Every time a log line can hold: 1970 to the end of 9999.
            times in prop::collection::vec(0u64..=253_402_300_799_999, 0..30),
            failed in prop::collection::vec(any::<bool>(), 30),
            since in 0u64..=253_402_300_799_999,
            window in prop_oneof![1u64..1_000_000, Just(u64::MAX)],
            below in any::<f64>(),
        ) {
            let millis = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
            let mut builder = StatsBuilder::new(millis(since), Duration::from_millis(window));
            for (n, time) in times.iter().enumerate() {
                builder.add(&call(millis(*time), failed[n].then_some(Category::ApiError)));
            }
            let stats = builder.finish();
            prop_assert_eq!(stats.windows.iter().map(|w| w.calls).sum::<u64>(), stats.calls);
            for window in &stats.windows {
                let _ = crate::log::timestamp(window.start);
                let _ = crate::log::timestamp(crate::dates::later(window.start, stats.window));
            }
            let _ = stats.alert(below);
        }
    }
}
