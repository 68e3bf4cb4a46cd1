//! `claude-rs log` (recent failures) and `claude-rs log stats` (success rate,
//! failures by category, the worst window, an alert threshold for cron and CI).
//! Reading and summing are in `crate::log`; this file chooses and prints.

use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::cli::{LogArgs, LogCommand, LogStatsArgs};
use crate::commands::print_stdout_line;
use crate::config::{Context, UsageError, log_path};
use crate::dates;
use crate::exit_code::ExitCode;
use crate::log::reader::{self, Damage, Event, LogFiles, Record};
use crate::log::stats::{Stats, StatsBuilder, Window};
use crate::log::{prometheus, rotated_path, timestamp};
use crate::report;
use crate::resilience::Category;
use crate::sanitize;

pub fn run(args: &LogArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let path = log_path(ctx).ok_or_else(|| {
        UsageError::new(
            "there is no log path: this system has no state directory",
            "name the log with --log-file PATH or CLAUDE_RS_LOG",
        )
    })?;
    if path.is_dir() {
        return Err(UsageError::new(
            format!("the log path {} is a folder, not a log file", path.display()),
            "name the log file itself with --log-file PATH or CLAUDE_RS_LOG (by default claude-rs/log.jsonl in the state directory)",
        )
        .into());
    }
    match &args.command {
        Some(LogCommand::Stats(stats)) => run_stats(stats, &path),
        None => run_list(args, &path),
    }
}

fn no_log_yet(path: &Path) {
    eprintln!(
        "no log yet: nothing at {} (nor {}); claude-rs writes it on its first call. Read another with --log-file or CLAUDE_RS_LOG.",
        path.display(),
        rotated_path(path).display()
    );
}

/// Reads every file of the log; damage is warned about once, an unreadable
/// file is a local problem the user can fix (exit 2).
fn read_log(files: &LogFiles, visit: impl FnMut(Record)) -> Result<Damage, UsageError> {
    let damage = reader::read(files, visit).map_err(|error| {
        UsageError::new(
            error.to_string(),
            "check the file's permissions, or read another log with --log-file",
        )
    })?;
    if let Some(warning) = damage.warning() {
        eprintln!("{}", report::warning(&warning));
    }
    Ok(damage)
}

/// `24h`, `5m`, `90s`: the way people write the flags, rather than humantime's `1day`.
fn short(duration: Duration) -> String {
    let secs = duration.as_secs();
    match (duration.subsec_nanos(), secs) {
        (0, s) if s % 3600 == 0 => format!("{}h", s / 3600),
        (0, s) if s % 60 == 0 => format!("{}m", s / 60),
        (0, s) => format!("{s}s"),
        _ => humantime::format_duration(duration).to_string(),
    }
}

/// No earlier than the epoch: nothing is logged before it, and `--since
/// 100years` must still print as a date.
fn ago(duration: Duration) -> SystemTime {
    dates::earlier(SystemTime::now(), duration)
}

/// The newest `limit` lines, kept while reading so the log is never held
/// whole; `limit` 0 prints each line as it comes.
struct Tail {
    limit: usize,
    lines: VecDeque<String>,
    matched: usize,
}

impl Tail {
    fn push(&mut self, line: String) {
        self.matched += 1;
        if self.limit == 0 {
            print_stdout_line(&line);
            return;
        }
        if self.lines.len() == self.limit {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    fn print(self) {
        for line in self.lines {
            print_stdout_line(&line);
        }
    }
}

fn run_list(args: &LogArgs, path: &Path) -> anyhow::Result<ExitCode> {
    let Some(files) = LogFiles::locate(path) else {
        no_log_yet(path);
        return Ok(ExitCode::Success);
    };
    // clap has already checked the name against the same list.
    let category = args.category.as_deref().and_then(Category::from_name);
    let since = args.since.map(ago);
    let mut tail = Tail {
        limit: args.limit,
        lines: VecDeque::new(),
        matched: 0,
    };
    read_log(&files, |record| {
        let entry = &record.entry;
        let Event::Attempt(attempt) = &entry.event else {
            return;
        };
        if since.is_some_and(|since| entry.at < since)
            || category.is_some_and(|c| c != attempt.category)
        {
            return;
        }
        tail.push(match args.json {
            true => record.raw,
            false => failure_line(&record),
        });
    })?;
    if tail.matched == 0 {
        // ` of category rate_limit in the last 1h`
        let category = args.category.as_ref().map(|c| format!(" of category {c}"));
        let since = args
            .since
            .map(|since| format!(" in the last {}", short(since)));
        let (category, since) = (category.unwrap_or_default(), since.unwrap_or_default());
        eprintln!("no failures in the log {}{category}{since}", path.display());
    }
    tail.print();
    Ok(ExitCode::Success)
}

/// `2026-11-26T01:57:56.201Z  overloaded         HTTP 529  req_…  Overloaded`
fn failure_line(record: &Record) -> String {
    let entry = &record.entry;
    let category = entry.category().map_or("", Category::as_str);
    let status = entry
        .http_status
        .map_or_else(|| "-".to_string(), |s| format!("HTTP {s}"));
    let request_id = entry
        .request_id
        .as_deref()
        .map_or_else(|| "-".into(), sanitize::one_line);
    let message = entry.message.as_deref().map(sanitize::one_line);
    format!(
        "{}  {category:<17}  {status:<8}  {request_id}  {}{}",
        timestamp(entry.at),
        message.unwrap_or_default(),
        if entry.mock { "  (--mock run)" } else { "" }
    )
    .trim_end()
    .to_string()
}

fn run_stats(args: &LogStatsArgs, path: &Path) -> anyhow::Result<ExitCode> {
    let until = SystemTime::now();
    let since = ago(args.since);
    let mut builder = StatsBuilder::new(since, args.window);
    let damage = match LogFiles::locate(path) {
        Some(files) => read_log(&files, |record| builder.add(&record.entry))?,
        None => {
            no_log_yet(path);
            if !args.json && !args.prometheus {
                return Ok(ExitCode::Success);
            }
            Damage::default()
        }
    };
    let stats = builder.finish();
    let alert = args.alert_below.and_then(|below| stats.alert(below));
    let json = StatsJson {
        log: path.display().to_string(),
        since: timestamp(since),
        until: timestamp(until),
        window_secs: stats.window.as_secs_f64(),
        calls: stats.calls,
        successes: stats.successes,
        success_rate: stats.success_rate(),
        failures: stats
            .failures
            .iter()
            // serde_json's map sorts keys: these are in order already.
            .map(|(category, count)| serde_json::json!({"category": category.as_str(), "count": count}))
            .collect(),
        retries: stats.retries,
        worst_window: stats.worst_window().map(|w| WindowJson {
            start: timestamp(w.start),
            end: timestamp(dates::later(w.start, stats.window)),
            calls: w.calls,
            successes: w.successes,
            success_rate: w.success_rate(),
            dominant_category: w.dominant().map(Category::as_str),
        }),
        alert: alert
            .as_ref()
            .zip(args.alert_below)
            .map(|(a, below)| AlertJson {
                below,
                windows_below: a.windows_below,
                category: a.category.as_str(),
                exit_code: a.category.exit_code().code(),
            }),
        damaged_lines: damage.lines,
    };
    print_stdout_line(&match (args.json, args.prometheus) {
        (true, _) => serde_json::to_string(&json).unwrap_or_default(),
        (_, true) => prometheus::render(&stats, damage.lines)
            .trim_end()
            .to_string(),
        _ => json.text(&stats, args),
    });
    Ok(match (&alert, args.alert_below) {
        (Some(alert), Some(below)) => {
            let windows = match alert.windows_below {
                1 => "1 window".to_string(),
                n => format!("{n} windows"),
            };
            eprintln!(
                "alert: {windows} of {} in the last {} had a success rate below {below}%; the worst, from {}, {}; exiting {} (category {})",
                short(args.window),
                short(args.since),
                timestamp(alert.worst.start),
                window_summary(alert.worst),
                alert.category.exit_code().code(),
                alert.category
            );
            alert.category.exit_code()
        }
        _ => ExitCode::Success,
    })
}

/// `50.0% of 10 calls succeeded (5 failed, mostly overloaded)`
fn window_summary(window: &Window) -> String {
    let failed = window.calls - window.successes;
    let mut text = format!(
        "{:.1}% of {} calls succeeded",
        window.success_rate(),
        window.calls
    );
    if let Some(dominant) = window.dominant() {
        text.push_str(&format!(" ({failed} failed, mostly {dominant})"));
    }
    text
}

/// The `log stats --json` shape (docs/json.md).
#[derive(Serialize)]
struct StatsJson {
    log: String,
    since: String,
    until: String,
    window_secs: f64,
    calls: u64,
    successes: u64,
    success_rate: Option<f64>,
    failures: Vec<serde_json::Value>,
    retries: u64,
    worst_window: Option<WindowJson>,
    alert: Option<AlertJson>,
    damaged_lines: u64,
}

#[derive(Serialize)]
struct WindowJson {
    start: String,
    end: String,
    calls: u64,
    successes: u64,
    success_rate: f64,
    dominant_category: Option<&'static str>,
}

#[derive(Serialize)]
struct AlertJson {
    below: f64,
    windows_below: usize,
    category: &'static str,
    exit_code: u8,
}

impl StatsJson {
    /// The same for a person; `stats` for what the JSON has only in numbers.
    fn text(&self, stats: &Stats, args: &LogStatsArgs) -> String {
        let failures = match stats.failures.is_empty() {
            true => "none".to_string(),
            false => stats
                .failures
                .iter()
                .map(|(category, count)| format!("{category} {count}"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let worst = stats.worst_window().map_or_else(
            || "none (no calls)".to_string(),
            |w| format!("{}, from {}", window_summary(w), timestamp(w.start)),
        );
        let window_label = format!("worst {}:", short(args.window));
        [
            ("log:", self.log.clone()),
            (
                "since:",
                format!("{} (the last {})", self.since, short(args.since)),
            ),
            ("calls:", stats.calls.to_string()),
            (
                "succeeded:",
                match stats.success_rate() {
                    Some(rate) => format!("{} ({rate:.1}%)", stats.successes),
                    None => format!("{} (-)", stats.successes),
                },
            ),
            ("failed:", failures),
            ("retries:", stats.retries.to_string()),
            (window_label.as_str(), worst),
        ]
        .iter()
        .map(|(label, value)| format!("{label:<14} {value}"))
        .collect::<Vec<_>>()
        .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_they_were_written() {
        assert_eq!(short(Duration::from_secs(86_400)), "24h");
        assert_eq!(short(Duration::from_secs(300)), "5m");
        assert_eq!(short(Duration::from_secs(90)), "90s");
        assert_eq!(short(Duration::from_millis(1500)), "1s 500ms");
    }
}
