//! The fake API's timestamps, total: std's `SystemTime + Duration` panics on
//! overflow and humantime cannot write a time before 1970 or past the year
//! 9999, so every sum and every timestamp is kept inside that range.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 9999-12-31T23:59:59.999999999Z, the last instant RFC 3339 can write.
fn last_instant() -> SystemTime {
    UNIX_EPOCH + Duration::new(253_402_300_799, 999_999_999)
}

fn within_rfc3339(at: SystemTime) -> SystemTime {
    at.clamp(UNIX_EPOCH, last_instant())
}

/// `at + by`, kept within what RFC 3339 can write.
pub(crate) fn later(at: SystemTime, by: Duration) -> SystemTime {
    at.checked_add(by).map_or_else(last_instant, within_rfc3339)
}

/// `2026-11-26T01:57:56Z`: the rate-limit reset headers.
pub(crate) fn rfc3339_seconds(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(within_rfc3339(at)).to_string()
}

/// `2024-09-24T18:37:24.100435Z`: the Message Batches timestamps.
pub(crate) fn rfc3339_micros(at: SystemTime) -> String {
    humantime::format_rfc3339_micros(within_rfc3339(at)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_time_formats() {
        let far = later(SystemTime::now(), Duration::MAX);
        assert_eq!(rfc3339_seconds(far), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339_micros(far), "9999-12-31T23:59:59.999999Z");
        let before = UNIX_EPOCH - Duration::from_secs(86_400);
        assert_eq!(rfc3339_seconds(before), "1970-01-01T00:00:00Z");
    }
}
