//! The JSONL event log: one line per failed attempt and one per finished call,
//! so that a success rate can be computed from it. The field names are a
//! public contract (docs/log-format.md). This file writes it; `reader` reads it
//! back and `stats` sums it up.

pub mod prometheus;
pub mod reader;
pub mod stats;

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use serde::Serialize;

use crate::resilience::{Decision, FailedAttempt, Failure};

/// The call line's outcome for a call abandoned at Ctrl-C.
pub const INTERRUPTED: &str = "interrupted";

/// The call line's outcome when the reply arrived but stdout failed.
pub const OUTPUT_FAILED: &str = "output_failed";

/// Messages are cut to this many characters in the log.
const MESSAGE_CHARS: usize = 200;

/// Past this size the log is rotated to `<log>.1` before the next line, so
/// the two files together stay near twice this, however long claude-rs runs.
pub const MAX_LOG_BYTES: u64 = 10 * 1024 * 1024;

/// The one older file kept by rotation: `<log>.1`.
pub fn rotated_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(".1");
    PathBuf::from(name)
}

/// `dirs::state_dir()` (None on macOS), else `data_local_dir()`, then `claude-rs/log.jsonl`.
pub fn default_path() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|dir| dir.join("claude-rs").join("log.jsonl"))
}

pub fn timestamp(at: SystemTime) -> String {
    crate::dates::rfc3339_millis(at)
}

fn clip_message(message: &str) -> String {
    message.chars().take(MESSAGE_CHARS).collect()
}

/// What a line is about besides its command; all absent for `ask`.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct About<'a> {
    /// The batch item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<&'a str>,
    /// A Message Batches call (`create`, `retrieve`, `cancel`, `results`,
    /// `list`); absent for message requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_call: Option<&'a str>,
    /// The Message Batch the call was about, once it has an id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<&'a str>,
}

/// One failed attempt.
#[derive(Debug, Default, Serialize)]
pub struct AttemptRecord<'a> {
    pub ts: String,
    pub event: &'static str,
    pub command: &'a str,
    #[serde(flatten)]
    pub about: About<'a>,
    pub category: &'a str,
    pub http_status: Option<u16>,
    pub error_type: Option<&'a str>,
    pub message: String,
    pub request_id: Option<&'a str>,
    pub attempt: u32,
    pub max_attempts: u32,
    /// The wait before the next attempt; null when none follows.
    pub retry_in_ms: Option<u64>,
    pub model: &'a str,
    pub elapsed_ms: u64,
}

/// One finished call, successful or not.
#[derive(Debug, Default, Serialize)]
pub struct CallRecord<'a> {
    pub ts: String,
    pub event: &'static str,
    pub command: &'a str,
    #[serde(flatten)]
    pub about: About<'a>,
    /// `success`, or the final failure's category.
    pub outcome: &'a str,
    pub category: Option<&'a str>,
    pub http_status: Option<u16>,
    pub error_type: Option<&'a str>,
    pub message: Option<String>,
    pub request_id: Option<&'a str>,
    pub attempts: u32,
    pub model: &'a str,
    /// The model that failed before `model`, its `--fallback-model`, was tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_from: Option<&'a str>,
    pub elapsed_ms: u64,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

impl<'a> AttemptRecord<'a> {
    pub fn new(command: &'a str, model: &'a str, failed: &'a FailedAttempt) -> AttemptRecord<'a> {
        let failure = failed.failure;
        AttemptRecord {
            ts: timestamp(SystemTime::now()),
            event: "attempt",
            command,
            category: failure.category.as_str(),
            http_status: failure.http_status,
            error_type: failure.error_type.as_deref(),
            message: clip_message(&failure.message),
            request_id: failure.request_id.as_deref(),
            attempt: failed.attempt,
            max_attempts: failed.max_attempts,
            retry_in_ms: match failed.decision {
                Decision::Retry { wait, .. } => Some(wait.as_millis() as u64),
                Decision::GiveUp(_) => None,
            },
            model,
            elapsed_ms: failed.elapsed.as_millis() as u64,
            ..AttemptRecord::default()
        }
    }
}

/// What a successful call used.
#[derive(Clone, Copy, Debug)]
pub struct CallUsage<'a> {
    pub request_id: Option<&'a str>,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl<'a> CallRecord<'a> {
    pub fn success(
        command: &'a str,
        model: &'a str,
        usage: CallUsage<'a>,
        attempts: u32,
        elapsed: std::time::Duration,
    ) -> CallRecord<'a> {
        CallRecord {
            request_id: usage.request_id,
            input_tokens: Some(usage.input_tokens),
            output_tokens: Some(usage.output_tokens),
            ..CallRecord::bare(command, model, "success", attempts, elapsed)
        }
    }

    /// A successful call that used no tokens (a Message Batches call).
    pub fn success_without_usage(
        command: &'a str,
        model: &'a str,
        request_id: Option<&'a str>,
        attempts: u32,
        elapsed: std::time::Duration,
    ) -> CallRecord<'a> {
        CallRecord {
            request_id,
            ..CallRecord::bare(command, model, "success", attempts, elapsed)
        }
    }

    pub fn failure(
        command: &'a str,
        model: &'a str,
        failure: &'a Failure,
        attempts: u32,
        elapsed: std::time::Duration,
    ) -> CallRecord<'a> {
        CallRecord {
            category: Some(failure.category.as_str()),
            http_status: failure.http_status,
            error_type: failure.error_type.as_deref(),
            message: Some(clip_message(&failure.message)),
            request_id: failure.request_id.as_deref(),
            ..CallRecord::bare(command, model, failure.category.as_str(), attempts, elapsed)
        }
    }

    /// A call abandoned at a signal (`by`: `Ctrl-C`, `SIGTERM`, `SIGHUP`):
    /// no verdict on the API either way.
    pub fn interrupted(
        command: &'a str,
        model: &'a str,
        by: &str,
        attempts: u32,
        elapsed: std::time::Duration,
    ) -> CallRecord<'a> {
        CallRecord {
            message: Some(format!("interrupted by {by}")),
            ..CallRecord::bare(command, model, INTERRUPTED, attempts, elapsed)
        }
    }

    fn bare(
        command: &'a str,
        model: &'a str,
        outcome: &'a str,
        attempts: u32,
        elapsed: std::time::Duration,
    ) -> CallRecord<'a> {
        CallRecord {
            ts: timestamp(SystemTime::now()),
            event: "call",
            command,
            outcome,
            attempts,
            model,
            elapsed_ms: elapsed.as_millis() as u64,
            ..CallRecord::default()
        }
    }
}

/// The end of a batch run: one line with its counts.
#[derive(Debug, Serialize)]
pub struct BatchRecord<'a> {
    pub ts: String,
    pub event: &'static str,
    pub command: &'static str,
    /// `completed`, `interrupted`, or why it stopped (`authentication`, `overloaded`, …).
    pub outcome: &'a str,
    pub succeeded: u64,
    pub errored: u64,
    /// Items neither done before nor finished in this run (left for a resume).
    pub unfinished: u64,
    pub retries: u64,
    pub elapsed_ms: u64,
    /// The Message Batches this run followed (`batch --remote`); absent for a local batch.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub batch_ids: &'a [String],
}

/// Appends records to the log. A log that cannot be written is a warning,
/// given once, never a failed call.
pub struct EventLog {
    path: Option<PathBuf>,
    max_bytes: u64,
    warned: AtomicBool,
    mock: bool,
}

impl EventLog {
    pub fn new(path: Option<PathBuf>) -> EventLog {
        EventLog {
            path,
            max_bytes: MAX_LOG_BYTES,
            warned: AtomicBool::new(false),
            mock: false,
        }
    }

    /// The same log with another rotation size (tests use a tiny one).
    #[cfg(test)]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> EventLog {
        self.max_bytes = max_bytes;
        self
    }

    /// The same log for a `--mock` run: every line says `"mock": true`, so
    /// that the fake API's failures never count as the real API's health.
    pub fn for_mock(mut self, mock: bool) -> EventLog {
        self.mock = mock;
        self
    }

    /// Writes one line. Returns a warning to show the first time writing fails.
    pub fn append(&self, record: &impl Serialize) -> Option<String> {
        let path = self.path.as_deref()?;
        // The threads of one process (a batch's workers) take turns to check,
        // rotate and append: two that both saw a full log would otherwise
        // rename twice, the second rename replacing the freshly rotated file.
        static APPENDING: Mutex<()> = Mutex::new(());
        let _turn = APPENDING.lock().unwrap_or_else(|e| e.into_inner());
        // A log that cannot be rotated is still written: losing the line
        // would be worse than a log that grows.
        let rotated = rotate_if_full(path, self.max_bytes).map_err(|e| {
            format!(
                "could not rotate the log {} to {}: {e}",
                path.display(),
                rotated_path(path).display()
            )
        });
        // Whatever a server echoed into a message, the key never reaches
        // the log.
        let written = serde_json::to_string(record)
            .map_err(|e| e.to_string())
            .and_then(|mut line| {
                // Spliced in as the last field: going through a `Value` would
                // reorder every field alphabetically.
                if self.mock && line.len() > 2 && line.ends_with('}') {
                    line.pop();
                    line.push_str(",\"mock\":true}");
                }
                let mut line = crate::secret::scrub(&line).into_owned();
                line.push('\n');
                write_line(path, line.as_bytes()).map_err(|e| e.to_string())
            })
            .map_err(|error| {
                format!(
                    "could not write the log {}: {error} (set --log-file or CLAUDE_RS_LOG to a writable path)",
                    path.display()
                )
            });
        written
            .and(rotated)
            .err()
            .filter(|_| !self.warned.swap(true, Ordering::Relaxed))
    }
}

/// Renames a log larger than `max_bytes` to `<log>.1`, replacing the older
/// one. Threads of one process take turns (see `append`); two processes
/// rotating at the same instant can at worst drop that older file: the log
/// is diagnostics, and a lock between processes would cost every call.
fn rotate_if_full(path: &Path, max_bytes: u64) -> std::io::Result<()> {
    match fs::metadata(path) {
        Ok(meta) if meta.len() > max_bytes => match fs::rename(path, rotated_path(path)) {
            // Another process rotated it first: nothing left to do.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        },
        _ => Ok(()),
    }
}

/// One `write` of the whole line on a file opened for appending: concurrent
/// processes appending to the same log never interleave within a line.
fn write_line(path: &Path, line: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    let mut options = crate::private::new_file_options();
    options.create(true).append(true);
    let mut file = crate::private::never_wait_to_open(&mut options)
        .open(path)
        .map_err(crate::private::open_error)?;
    file.write_all(line)
}

/// Creates the log's folder, readable by its owner only (mode 0700). A
/// folder that exists is left as it is: the user may have chosen it.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    match dir.is_dir() {
        true => Ok(()),
        false => crate::private::own_dir(dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_whole_lines_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("log.jsonl");
        let log = EventLog::new(Some(path.clone()));
        assert!(log.append(&serde_json::json!({"a": 1})).is_none());
        assert!(log.append(&serde_json::json!({"b": 2})).is_none());
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"a\":1}\n{\"b\":2}\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn a_mock_runs_lines_end_with_mock_true() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let log = EventLog::new(Some(path.clone())).for_mock(true);
        assert!(log.append(&serde_json::json!({"b": 1, "a": 2})).is_none());
        let line = fs::read_to_string(&path).unwrap();
        assert_eq!(line, "{\"a\":2,\"b\":1,\"mock\":true}\n");
        assert!(super::reader::parse_line(r#"{"ts":"2026-11-26T01:58:33.914Z","event":"call","outcome":"success","attempts":1,"mock":true}"#).unwrap().mock);
    }

    #[test]
    fn an_unwritable_log_warns_once() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::new(Some(dir.path().to_path_buf()));
        let first = log.append(&serde_json::json!({}));
        assert!(first.unwrap().contains("could not write the log"));
        assert!(log.append(&serde_json::json!({})).is_none());
    }

    #[test]
    fn a_full_log_is_rotated_to_one_older_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let old = rotated_path(&path);
        assert_eq!(old, dir.path().join("log.jsonl.1"));
        // Each line is 8 bytes; past 20 bytes the next append rotates first.
        let log = EventLog::new(Some(path.clone())).with_max_bytes(20);
        let line = |n: u32| serde_json::json!({ "n": n });
        for n in 1..=3 {
            assert!(log.append(&line(n)).is_none());
        }
        assert!(
            !old.exists(),
            "24 bytes is over the cap only after the third"
        );
        assert!(log.append(&line(4)).is_none());
        assert_eq!(
            fs::read_to_string(&old).unwrap(),
            "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"n\":4}\n");
        for n in 5..=8 {
            assert!(log.append(&line(n)).is_none());
        }
        // The second rotation replaced the first older file: only one is kept.
        assert_eq!(
            fs::read_to_string(&old).unwrap(),
            "{\"n\":4}\n{\"n\":5}\n{\"n\":6}\n"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"n\":7}\n{\"n\":8}\n");
        assert!(!dir.path().join("log.jsonl.2").exists());
        assert!(!dir.path().join("log.jsonl.1.1").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600,
                "the fresh file after rotation is private too"
            );
        }
    }

    #[test]
    fn threads_appending_across_a_rotation_lose_no_line() {
        // Enough rounds that a race at rotation shows up; each round writes
        // more than one cap and less than two, so exactly one rotation keeps
        // every line in the log or its older file.
        for round in 0..300 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("log.jsonl");
            let log = std::sync::Arc::new(EventLog::new(Some(path.clone())).with_max_bytes(1_000));
            let start = std::sync::Arc::new(std::sync::Barrier::new(8));
            let writers: Vec<_> = (0..8)
                .map(|thread| {
                    let log = std::sync::Arc::clone(&log);
                    let start = std::sync::Arc::clone(&start);
                    std::thread::spawn(move || {
                        start.wait();
                        for n in 0..12 {
                            let line = serde_json::json!({ "id": format!("{thread}-{n:03}") });
                            assert!(log.append(&line).is_none());
                        }
                    })
                })
                .collect();
            for writer in writers {
                writer.join().unwrap();
            }
            let text = fs::read_to_string(rotated_path(&path)).unwrap()
                + &fs::read_to_string(&path).unwrap();
            let mut ids: Vec<&str> = text.lines().collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(
                text.lines().count(),
                96,
                "round {round}: lines lost or doubled"
            );
            assert_eq!(ids.len(), 96, "round {round}: a line twice");
        }
    }

    #[test]
    fn the_default_cap_is_ten_mebibytes() {
        assert_eq!(MAX_LOG_BYTES, 10_485_760);
        let log = EventLog::new(None);
        assert_eq!(log.max_bytes, MAX_LOG_BYTES);
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let ts = timestamp(SystemTime::UNIX_EPOCH);
        assert_eq!(ts, "1970-01-01T00:00:00.000Z");
    }
}
