//! `--events FILE`: what happens during a call or a batch, as it happens, one
//! JSON object a line, for a program wrapping claude-rs (docs/events.md is
//! the contract). The log's records are reused where they say the same thing:
//! a retry is the log's attempt line, an outcome its call line, a run's end
//! its batch line, each renamed and given an exit code where it has one.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::log::timestamp;
use crate::resilience::Failure;
use crate::resilience::breaker::BreakerEvent;

/// Changes when a field changes meaning or goes away (new fields and new
/// events may come without it).
pub const VERSION: u32 = 1;

/// `--events` names this for stderr.
pub const STDERR: &str = "-";

/// The events sink; a default one (no `--events`) writes nothing. Clones
/// share one file: a batch's workers write through it together.
#[derive(Clone, Default)]
pub struct Events(Option<Arc<Sink>>);

struct Sink {
    target: Mutex<Target>,
    warned: AtomicBool,
}

enum Target {
    Stderr,
    /// Opened at the first event, then kept open: a FIFO's reader would see
    /// its end at every close.
    Unopened(PathBuf),
    Open(File, PathBuf),
    /// Could not be opened: nothing more is tried.
    Failed,
}

/// Every line: the record's fields with the contract's version.
#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    version: u32,
    #[serde(flatten)]
    record: &'a T,
}

/// A record with the exit code it stands for.
#[derive(Serialize)]
pub struct WithExit<'a, T: Serialize> {
    #[serde(flatten)]
    pub record: &'a T,
    pub exit_code: u8,
}

/// A wait shared by many calls: a batch's workers, or the processes that
/// share one pace.
#[derive(Debug, Serialize)]
pub struct Pause<'a> {
    pub ts: String,
    pub event: &'static str,
    pub command: &'a str,
    /// `rate_limit`: a 429 holds every worker of a batch; `shared_hold`: an
    /// `ask` waits out a 429 another process was given; `shared_breaker`: an
    /// `ask` waits out the circuit breaker the processes share.
    pub reason: &'static str,
    /// The item whose request met it (a batch's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<&'a str>,
    pub http_status: Option<u16>,
    pub request_id: Option<&'a str>,
    pub wait_ms: u64,
    pub until: String,
}

impl<'a> Pause<'a> {
    pub fn rate_limit(custom_id: &'a str, failure: &'a Failure, wait: Duration) -> Pause<'a> {
        Pause {
            custom_id: Some(custom_id),
            http_status: failure.http_status,
            request_id: failure.request_id.as_deref(),
            ..Pause::new(crate::batch::outcomes::COMMAND, "rate_limit", wait)
        }
    }

    /// A wait that met no response of its own: another process's doing.
    pub fn new(command: &'a str, reason: &'static str, wait: Duration) -> Pause<'a> {
        let now = SystemTime::now();
        Pause {
            ts: timestamp(now),
            event: "pause",
            command,
            reason,
            custom_id: None,
            http_status: None,
            request_id: None,
            wait_ms: millis(wait),
            until: timestamp(crate::dates::later(now, wait)),
        }
    }
}

/// The circuit breaker of a batch changing state.
#[derive(Debug, Serialize)]
pub struct BreakerChange {
    pub ts: String,
    pub event: &'static str,
    pub command: &'static str,
    /// `open`, `half_open`, `closed`, or `gave_up` (the batch stops).
    pub state: &'static str,
    pub reason: String,
    /// The failure's category that moved it, if one did.
    pub category: Option<&'static str>,
    /// How long every worker waits before one request probes (`open`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

impl BreakerChange {
    pub fn new(event: BreakerEvent, failure: Option<&Failure>) -> BreakerChange {
        let now = SystemTime::now();
        let cause = failure.map_or_else(|| "the API".to_string(), Failure::label);
        let (state, reason, cooldown) = match event {
            BreakerEvent::Opened { cooldown } => {
                ("open", format!("{cause} keeps failing"), Some(cooldown))
            }
            BreakerEvent::Closed => ("closed", "a probe succeeded".to_string(), None),
            BreakerEvent::GaveUp { failed_probes } => (
                "gave_up",
                format!("{failed_probes} probes in a row failed ({cause})"),
                None,
            ),
        };
        BreakerChange {
            ts: timestamp(now),
            event: "breaker",
            command: crate::batch::outcomes::COMMAND,
            state,
            reason,
            category: failure.map(|f| f.category.as_str()),
            cooldown_ms: cooldown.map(millis),
            until: cooldown.map(|wait| timestamp(crate::dates::later(now, wait))),
        }
    }

    /// The cool-down is over: one request goes to see whether the API answers.
    pub fn half_open() -> BreakerChange {
        BreakerChange {
            ts: timestamp(SystemTime::now()),
            event: "breaker",
            command: crate::batch::outcomes::COMMAND,
            state: "half_open",
            reason: "the cool-down is over: one request probes".into(),
            category: None,
            cooldown_ms: None,
            until: None,
        }
    }
}

fn millis(wait: Duration) -> u64 {
    u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)
}

/// Lines to a FIFO whose reader lags wait this long for room, then fail.
const FULL_PIPE_WAIT: Duration = Duration::from_secs(2);

impl Events {
    /// The sink `--events` names: `-` for stderr, else a file appended to
    /// (created with mode 0600). `None` writes nothing.
    pub fn open(path: Option<&Path>) -> Events {
        Events(path.map(|path| {
            let target = match Events::on_stderr(Some(path)) {
                true => Target::Stderr,
                false => Target::Unopened(path.to_path_buf()),
            };
            Arc::new(Sink {
                target: Mutex::new(target),
                warned: AtomicBool::new(false),
            })
        }))
    }

    /// Whether `--events` writes to stderr, where a progress bar would be
    /// drawn over its lines.
    pub fn on_stderr(path: Option<&Path>) -> bool {
        path.is_some_and(|path| path.as_os_str() == STDERR)
    }

    /// Writes `record` with its kind renamed to `event`. Returns a warning
    /// to show the first time writing fails; a failed write never fails the
    /// call.
    pub fn emit(&self, record: &impl Serialize) -> Option<String> {
        let sink = self.0.as_deref()?;
        let written = line(record).and_then(|line| sink.write(line.as_bytes()));
        match written {
            Ok(()) => None,
            Err(error) => (!sink.warned.swap(true, Ordering::Relaxed)).then(|| {
                format!("could not write the events ({error}); the call goes on without them")
            }),
        }
    }
}

/// One line: the JSON object, scrubbed of the key, and its newline. A raw
/// newline cannot occur inside: serde_json escapes it in every string.
fn line(record: &impl Serialize) -> io::Result<String> {
    let json = serde_json::to_string(&Line {
        version: VERSION,
        record,
    })?;
    let mut line = crate::secret::scrub(&json).into_owned();
    line.push('\n');
    Ok(line)
}

impl Sink {
    /// One write of the whole line, under the lock: lines of several
    /// threads never interleave.
    fn write(&self, line: &[u8]) -> io::Result<()> {
        let mut target = self.target.lock().unwrap_or_else(|e| e.into_inner());
        if let Target::Unopened(path) = &*target {
            let path = path.clone();
            let mut options = crate::private::new_file_options();
            options.create(true).append(true);
            // A FIFO nobody reads fails at once instead of hanging the call.
            let opened = crate::private::never_wait_to_open(&mut options)
                .open(&path)
                .map_err(crate::private::open_error);
            match opened {
                Ok(file) => *target = Target::Open(file, path),
                Err(error) => {
                    *target = Target::Failed;
                    let shown = format!("{}: {error}", path.display());
                    return Err(io::Error::new(error.kind(), shown));
                }
            }
        }
        match &mut *target {
            Target::Stderr => {
                let mut stderr = io::stderr().lock();
                stderr.write_all(line)?;
                stderr.flush()
            }
            Target::Open(file, path) => write_waiting(file, line)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
            Target::Unopened(_) | Target::Failed => Ok(()),
        }
    }
}

/// `write_all`, except that a full pipe (opened without blocking) is waited
/// on for a while rather than failing the line.
fn write_waiting(file: &mut File, mut bytes: &[u8]) -> io::Result<()> {
    let started = Instant::now();
    while !bytes.is_empty() {
        match file.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock && started.elapsed() < FULL_PIPE_WAIT =>
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Serialize)]
    struct Probe {
        ts: String,
        event: &'static str,
        text: String,
    }

    fn probe(text: &str) -> Probe {
        Probe {
            ts: timestamp(SystemTime::UNIX_EPOCH),
            event: "probe",
            text: text.to_string(),
        }
    }

    proptest! {
        #[test]
        fn every_line_is_one_json_object_whatever_it_carries(text in any::<String>()) {
            let line = line(&probe(&text)).unwrap();
            prop_assert!(line.ends_with('\n'));
            prop_assert_eq!(line.matches('\n').count(), 1);
            prop_assert!(!line.contains('\r'));
            let value: serde_json::Value = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(&value["version"], VERSION);
            prop_assert_eq!(&value["event"], "probe");
            prop_assert_eq!(&value["ts"], "1970-01-01T00:00:00.000Z");
            prop_assert!(value["text"].is_string());
        }
    }

    #[test]
    fn the_key_never_reaches_a_line() {
        let key = "sk-ant-api03-EVENTSSECRETEVENTSSECRET-0123-abcd";
        crate::secret::remember(key);
        let line = line(&probe(&format!("invalid key {key} (\"{key}\")"))).unwrap();
        assert!(!line.contains("EVENTSSECRET"), "{line}");
        assert!(line.contains("invalid key …"), "{line}");
    }

    #[test]
    fn threads_write_whole_lines_to_one_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let events = Events::open(Some(&path));
        let writers: Vec<_> = (0..8)
            .map(|thread| {
                let events = events.clone();
                std::thread::spawn(move || {
                    for n in 0..50 {
                        let long = format!("{thread}-{n}-{}", "x".repeat(5000));
                        assert!(events.emit(&probe(&long)).is_none());
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut texts: Vec<String> = text
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .map(|value| value["text"].as_str().unwrap().to_string())
            .collect();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), 400, "every line once, none torn");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_path_that_cannot_be_opened_warns_once() {
        let dir = tempfile::tempdir().unwrap();
        let events = Events::open(Some(dir.path()));
        let warning = events.emit(&probe("a")).expect("a warning");
        assert!(warning.contains("could not write the events"), "{warning}");
        assert!(warning.contains(&dir.path().display().to_string()));
        assert!(events.emit(&probe("b")).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_with_a_reader_gets_every_line_and_one_without_fails_at_once() {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("events.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let unread = Events::open(Some(&fifo));
        let warning = unread
            .emit(&probe("a"))
            .expect("no reader: a warning, not a hang");
        assert!(warning.contains("no program is reading"), "{warning}");

        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let file = std::io::BufReader::new(File::open(fifo).unwrap());
                file.lines().map(Result::unwrap).collect::<Vec<_>>()
            })
        };
        // Until the reader has opened its end, opening fails (and warns).
        let events = loop {
            let events = Events::open(Some(&fifo));
            if events.emit(&probe("first")).is_none() {
                break events;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        for n in 0..3 {
            assert!(events.emit(&probe(&n.to_string())).is_none());
        }
        // Its close is the reader's end of input.
        drop(events);
        let lines = reader.join().unwrap();
        assert_eq!(lines.len(), 4, "{lines:?}");
    }

    #[test]
    fn without_events_nothing_is_written() {
        assert!(Events::default().emit(&probe("a")).is_none());
        assert!(Events::open(None).emit(&probe("a")).is_none());
    }

    #[test]
    fn a_breaker_change_names_its_state_reason_and_wait() {
        let mut failure = Failure::new(crate::resilience::Category::Overloaded, "x");
        failure.http_status = Some(529);
        let cooldown = Duration::from_secs(5);
        let open = BreakerChange::new(BreakerEvent::Opened { cooldown }, Some(&failure));
        assert_eq!(open.state, "open");
        assert_eq!(open.reason, "overloaded (HTTP 529) keeps failing");
        assert_eq!(open.cooldown_ms, Some(5000));
        let gave_up = BreakerEvent::GaveUp { failed_probes: 3 };
        let gave_up = BreakerChange::new(gave_up, Some(&failure));
        assert_eq!(gave_up.state, "gave_up");
        assert_eq!(
            gave_up.reason,
            "3 probes in a row failed (overloaded (HTTP 529))"
        );
        assert_eq!(
            BreakerChange::new(BreakerEvent::Closed, None).state,
            "closed"
        );
        assert_eq!(BreakerChange::half_open().state, "half_open");
    }
}
