//! Checks 11 and 12, on this machine only: recent health from the JSONL log,
//! and whether the log can be written, privately.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::check::Check;
use crate::log::reader::{self, LogFiles};
use crate::log::stats::{Stats, StatsBuilder};

/// Below this share of successful calls in five minutes, something is wrong
/// now, whatever the network checks say.
const HEALTHY_PERCENT: f64 = 95.0;
const RECENT: Duration = Duration::from_secs(5 * 60);
const HOUR: Duration = Duration::from_secs(60 * 60);

/// The mode `ask` creates the log with: prompts' metadata is nobody else's.
#[cfg(unix)]
const PRIVATE_MODE: u32 = 0o600;

/// Check 11: the success rate of the calls logged in the last five minutes
/// and the last hour, and what the failures were. Read with the log
/// command's own reader and window arithmetic, so both always agree.
pub fn health(path: Option<&Path>, now: SystemTime) -> Check {
    let Some(path) = path else {
        return Check::skip("health", "no log path");
    };
    let Some(files) = LogFiles::locate(path) else {
        return Check::pass(
            "health",
            format!("no calls logged yet ({})", path.display()),
        );
    };
    let mut recent = StatsBuilder::new(now.checked_sub(RECENT).unwrap_or(now), RECENT);
    let mut hour = StatsBuilder::new(now.checked_sub(HOUR).unwrap_or(now), RECENT);
    let read = reader::read(&files, |record| {
        recent.add(&record.entry);
        hour.add(&record.entry);
    });
    let damage = match read {
        Ok(damage) => damage,
        Err(error) => {
            let fix = format!("Check the permissions of {}.", error.path.display());
            return Check::warn("health", error.to_string(), fix);
        }
    };
    let mut check = verdict(&recent.finish(), &hour.finish());
    if damage.lines > 0 {
        check
            .message
            .push_str(&format!(" (skipped {} damaged lines)", damage.lines));
    }
    check
}

fn rate(stats: &Stats) -> String {
    match stats.success_rate() {
        Some(percent) => format!("{percent:.1}% of {} calls ok", stats.calls),
        None => "no calls".to_string(),
    }
}

fn verdict(recent: &Stats, hour: &Stats) -> Check {
    if hour.calls == 0 {
        return Check::pass("health", "no calls logged in the last hour");
    }
    let mut message = format!("last 5 min: {}; last hour: {}", rate(recent), rate(hour));
    if !hour.failures.is_empty() {
        let top: Vec<String> = hour
            .failures
            .iter()
            .take(3)
            .map(|(category, count)| format!("{category} ×{count}"))
            .collect();
        message.push_str(&format!("; failures: {}", top.join(", ")));
    }
    let figure = recent
        .success_rate()
        .or(hour.success_rate())
        .map(|percent| format!("{percent:.1}%"));
    let recent_is_low = recent.success_rate().is_some_and(|p| p < HEALTHY_PERCENT);
    let check = match (recent_is_low, hour.alert(HEALTHY_PERCENT)) {
        (false, None) => Check::pass("health", message),
        (_, alert) => {
            if let Some(alert) = &alert {
                message.push_str(&format!(
                    "; worst 5-minute window {:.1}% from {}",
                    alert.worst.success_rate(),
                    crate::dates::rfc3339_seconds(alert.worst.start)
                ));
            }
            let dominant = recent
                .failures
                .first()
                .map(|(category, _)| *category)
                .or(alert.map(|a| a.category));
            let fix = match dominant {
                Some(category) => format!(
                    "Mostly {category}: {} See `claude-rs log --since 1h`.",
                    category.fix()
                ),
                None => "See `claude-rs log --since 1h`.".to_string(),
            };
            Check::warn("health", message, fix)
        }
    };
    Check { figure, ..check }
}

/// Check 12: the log opens for appending (nothing is written) with mode 0600.
/// Its folder is created as `ask` would create it.
pub fn log_file(path: Option<&Path>) -> Check {
    let Some(path) = path else {
        return Check::warn(
            "log",
            "no log path: there is no state or data directory for this user",
            "Set CLAUDE_RS_LOG (or --log-file) to a writable file.",
        );
    };
    let unwritable_fix = format!(
        "Set --log-file or CLAUDE_RS_LOG to a writable path, or fix the permissions of {}.",
        path.parent().unwrap_or(path).display()
    );
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Err(error) = folder.map_or(Ok(()), crate::log::create_private_dir) {
        let message = format!("{} cannot be created: {error}", path.display());
        return Check::warn("log", message, unwritable_fix);
    }
    // Opening is the test: a new file is created empty, with `ask`'s mode.
    let mut options = crate::private::new_file_options();
    options.create(true).append(true);
    let opened = crate::private::never_wait_to_open(&mut options).open(path);
    if let Err(error) = opened.map_err(crate::private::open_error) {
        let message = format!("{} is not writable: {error}", path.display());
        return Check::warn("log", message, unwritable_fix);
    }
    mode_check(path)
}

#[cfg(unix)]
fn mode_check(path: &Path) -> Check {
    use std::os::unix::fs::PermissionsExt;
    let mode = match fs::metadata(path) {
        Ok(meta) => meta.permissions().mode() & 0o777,
        Err(error) => {
            let message = format!("{} cannot be inspected: {error}", path.display());
            return Check::warn("log", message, "Check the file's permissions.");
        }
    };
    let figure = format!("{mode:04o}");
    if mode != PRIVATE_MODE {
        let message = format!(
            "{} is writable, but its mode is {figure}, not 0600: other users may read what failed and when",
            path.display()
        );
        let fix = format!("chmod 600 {}", path.display());
        return Check::warn("log", message, fix).with_figure(figure);
    }
    Check::pass("log", format!("{} is writable, mode 0600", path.display())).with_figure(figure)
}

#[cfg(not(unix))]
fn mode_check(path: &Path) -> Check {
    Check::pass("log", format!("{} is writable", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::check::Status;

    fn call_line(at: SystemTime, outcome: &str) -> String {
        let category = match outcome {
            "success" => "null".to_string(),
            other => format!("\"{other}\""),
        };
        format!(
            "{{\"ts\":\"{}\",\"event\":\"call\",\"command\":\"ask\",\"outcome\":\"{outcome}\",\"category\":{category},\"attempts\":1,\"model\":\"m\",\"elapsed_ms\":1}}\n",
            humantime::format_rfc3339_millis(at)
        )
    }

    #[test]
    fn a_log_dated_at_the_end_of_time_is_summed_not_crashed_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let end = crate::dates::latest();
        let log = [call_line(end, "overloaded"), call_line(end, "success")].concat();
        fs::write(&path, log).unwrap();
        for now in [SystemTime::now(), end, SystemTime::UNIX_EPOCH] {
            let check = health(Some(&path), now);
            assert!(check.message.contains("last hour"), "{check:?}");
        }
        let check = health(Some(&path), end);
        assert!(check.message.contains("9999-12-31T23:55:00Z"), "{check:?}");
    }

    #[test]
    fn health_sums_up_the_last_five_minutes_and_hour() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        assert!(
            health(Some(&path), SystemTime::now())
                .message
                .starts_with("no calls logged yet")
        );
        let now = SystemTime::now();
        let minutes = |m: u64| now - Duration::from_secs(60 * m);
        let mut log = String::new();
        for _ in 0..19 {
            log.push_str(&call_line(minutes(30), "success"));
        }
        log.push_str(&call_line(minutes(30), "overloaded"));
        log.push_str(&call_line(minutes(2 * 60), "rate_limit"));
        log.push_str("not json\n");
        fs::write(&path, &log).unwrap();
        let check = health(Some(&path), now);
        assert_eq!(check.status, Status::Pass, "{check:?}");
        assert!(
            check
                .message
                .contains("last 5 min: no calls; last hour: 95.0% of 20 calls ok"),
            "{}",
            check.message
        );
        assert!(check.message.contains("failures: overloaded ×1"));
        assert!(!check.message.contains("rate_limit"), "older than an hour");
        assert!(check.message.ends_with("(skipped 1 damaged lines)"));
        for _ in 0..3 {
            log.push_str(&call_line(minutes(1), "overloaded"));
        }
        log.push_str(&call_line(minutes(1), "success"));
        fs::write(&path, &log).unwrap();
        let check = health(Some(&path), now);
        assert_eq!(check.status, Status::Warn, "{check:?}");
        assert_eq!(check.figure.as_deref(), Some("25.0%"));
        assert!(
            check.message.contains("last 5 min: 25.0% of 4 calls ok"),
            "{}",
            check.message
        );
        assert!(check.fix.unwrap().starts_with("Mostly overloaded:"));
    }

    #[test]
    fn a_missing_folder_and_file_are_created_private_and_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("log.jsonl");
        let check = log_file(Some(&path));
        assert_eq!(check.status, Status::Pass, "{check:?}");
        assert_eq!(check.figure.as_deref(), Some("0600"));
        assert_eq!(fs::read(&path).unwrap(), b"");
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_log_warns_with_the_chmod_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        fs::write(&path, "{}\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let check = log_file(Some(&path));
        assert_eq!(check.status, Status::Warn);
        assert_eq!(check.figure.as_deref(), Some("0644"));
        assert_eq!(check.fix.unwrap(), format!("chmod 600 {}", path.display()));
        assert_eq!(fs::read(&path).unwrap(), b"{}\n", "nothing is appended");
    }

    #[test]
    fn an_unwritable_path_warns() {
        let dir = tempfile::tempdir().unwrap();
        let check = log_file(Some(dir.path()));
        assert_eq!(check.status, Status::Warn);
        assert!(
            check.message.contains("is not writable"),
            "{}",
            check.message
        );
        assert!(log_file(None).message.starts_with("no log path"));
    }
}
