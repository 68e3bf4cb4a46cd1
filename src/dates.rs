//! Points in time made total. A date can come from the wire (a retry-after),
//! a file (a log line dated 9999-12-31) or a flag (`--since 100years`), and
//! std's `SystemTime + Duration` panics on overflow while humantime's RFC 3339
//! formatting panics before 1970 and fails past the year 9999. Every sum and
//! every formatting of a date goes through here instead, clamped to the range
//! the format can show.

use std::fmt::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use humantime::{format_rfc3339_millis, format_rfc3339_seconds};

/// 9999-12-31T23:59:59.999999999Z: the last instant RFC 3339 can write.
pub fn latest() -> SystemTime {
    UNIX_EPOCH + Duration::new(253_402_300_799, 999_999_999)
}

/// Clamped into what RFC 3339 can write: the Unix epoch to the year 9999.
/// Nothing claude-rs reads or writes lies outside it.
pub fn clamp(at: SystemTime) -> SystemTime {
    at.clamp(UNIX_EPOCH, latest())
}

/// `at + by`, at most `latest()`.
pub fn later(at: SystemTime, by: Duration) -> SystemTime {
    at.checked_add(by).map_or_else(latest, clamp)
}

/// `at - by`, at least the Unix epoch.
pub fn earlier(at: SystemTime, by: Duration) -> SystemTime {
    at.checked_sub(by).map_or(UNIX_EPOCH, clamp)
}

/// `2026-11-26T01:57:56Z`, for any time (clamped).
pub fn rfc3339_seconds(at: SystemTime) -> String {
    total(format_rfc3339_seconds(clamp(at)), "9999-12-31T23:59:59Z")
}

/// `2026-11-26T01:57:56.201Z`, for any time (clamped): the log's format.
pub fn rfc3339_millis(at: SystemTime) -> String {
    total(format_rfc3339_millis(clamp(at)), "9999-12-31T23:59:59.999Z")
}

/// Formats through `write!`, which returns the error `to_string` would panic on.
fn total(value: impl std::fmt::Display, fallback: &str) -> String {
    let mut text = String::new();
    write!(text, "{value}").map_or_else(|_| fallback.to_string(), |()| text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_edges_of_the_range_format() {
        assert_eq!(rfc3339_seconds(latest()), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339_millis(latest()), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_seconds(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let before = UNIX_EPOCH - Duration::from_secs(86_400 * 365 * 50);
        assert_eq!(rfc3339_millis(before), "1970-01-01T00:00:00.000Z");
        let far = later(SystemTime::now(), Duration::MAX);
        assert_eq!(far, latest());
        assert_eq!(rfc3339_seconds(far), "9999-12-31T23:59:59Z");
        assert_eq!(earlier(SystemTime::now(), Duration::MAX), UNIX_EPOCH);
    }

    #[test]
    fn ordinary_sums_are_exact() {
        let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let hour = Duration::from_secs(3600);
        assert_eq!(later(at, hour), at + hour);
        assert_eq!(earlier(at, hour), at - hour);
        assert_eq!(rfc3339_seconds(at), "2027-01-15T08:00:00Z");
    }

    proptest! {
        #[test]
        fn any_sum_of_any_time_and_duration_formats(
            secs in any::<u64>(),
            nanos in 0u32..1_000_000_000,
            back in any::<bool>(),
            by_secs in any::<u64>(),
            by_nanos in 0u32..1_000_000_000,
        ) {
            // Any instant std can hold near the epoch, on either side of it.
            let offset = Duration::new(secs % (1 << 40), nanos);
            let at = if back {
                UNIX_EPOCH.checked_sub(offset).unwrap_or(UNIX_EPOCH)
            } else {
                UNIX_EPOCH + offset
            };
            let by = Duration::new(by_secs, by_nanos);
            for time in [at, later(at, by), earlier(at, by)] {
                let seconds = rfc3339_seconds(time);
                let millis = rfc3339_millis(time);
                prop_assert!(humantime::parse_rfc3339(&seconds).is_ok(), "{}", seconds);
                prop_assert!(humantime::parse_rfc3339(&millis).is_ok(), "{}", millis);
            }
            prop_assert!(later(at, by) >= clamp(at));
            prop_assert!(earlier(at, by) <= clamp(at));
        }
    }
}
