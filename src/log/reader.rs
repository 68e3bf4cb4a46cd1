//! Reading the JSONL log back: line by line (never the whole file in memory),
//! the rotated `<log>.1` first, and past any damage (a torn last line, garbage,
//! JSON that is not ours), which is counted rather than fatal.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;

use super::rotated_path;
use crate::resilience::Category;

/// Our lines are well under 1 KiB; a longer "line" is garbage, and reading it
/// whole could mean reading a whole corrupt file into memory.
const MAX_LINE_BYTES: u64 = 64 * 1024;

/// A failed attempt, as logged.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub category: Category,
    pub attempt: u32,
    pub max_attempts: u32,
    /// The wait before the next attempt; `None` when none followed.
    pub retry_in_ms: Option<u64>,
}

/// A finished call, as logged.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The final failure's category; `None` for a success.
    pub failed_with: Option<Category>,
    pub attempts: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Attempt(Attempt),
    Call(Call),
    /// The summary line at the end of a batch run; its items have their own lines.
    BatchEnd,
    /// A call abandoned at Ctrl-C: it says nothing about the API's health.
    Interrupted,
}

/// One valid line of our log.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub at: SystemTime,
    pub event: Event,
    pub http_status: Option<u16>,
    pub error_type: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    /// Written by a `--mock` run: the fake API's health, not the real one's.
    pub mock: bool,
}

impl Entry {
    /// The category the line records, if it records a failure.
    pub fn category(&self) -> Option<Category> {
        match &self.event {
            Event::Attempt(attempt) => Some(attempt.category),
            Event::Call(call) => call.failed_with,
            Event::BatchEnd | Event::Interrupted => None,
        }
    }
}

/// The fields both kinds of line may carry; which are required depends on `event`.
#[derive(Deserialize)]
struct RawLine {
    ts: String,
    event: String,
    category: Option<String>,
    http_status: Option<u16>,
    error_type: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    attempt: Option<u32>,
    max_attempts: Option<u32>,
    retry_in_ms: Option<u64>,
    outcome: Option<String>,
    attempts: Option<u32>,
    mock: Option<bool>,
}

/// Reads one line of our log; the error says why it is not one.
pub fn parse_line(line: &str) -> Result<Entry, String> {
    let raw: RawLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let at = humantime::parse_rfc3339(&raw.ts)
        .map_err(|e| format!("ts '{}' is not an RFC 3339 time: {e}", raw.ts))?;
    let category =
        |name: &str| Category::from_name(name).ok_or_else(|| format!("'{name}' is not a category"));
    let event = match raw.event.as_str() {
        "attempt" => Event::Attempt(Attempt {
            category: category(raw.category.as_deref().ok_or("no category")?)?,
            attempt: raw.attempt.ok_or("no attempt")?,
            max_attempts: raw.max_attempts.ok_or("no max_attempts")?,
            retry_in_ms: raw.retry_in_ms,
        }),
        "call" if raw.outcome.as_deref() == Some(super::INTERRUPTED) => Event::Interrupted,
        "call" => Event::Call(Call {
            failed_with: match raw.outcome.as_deref().ok_or("no outcome")? {
                // With `output_failed` the API answered; only writing the
                // reply out failed, which says nothing about the API's health.
                "success" | super::OUTPUT_FAILED => None,
                outcome => Some(category(outcome)?),
            },
            attempts: raw.attempts.ok_or("no attempts")?,
        }),
        "batch" => Event::BatchEnd,
        other => return Err(format!("'{other}' is not an event claude-rs writes")),
    };
    Ok(Entry {
        at,
        event,
        http_status: raw.http_status,
        error_type: raw.error_type,
        message: raw.message,
        request_id: raw.request_id,
        mock: raw.mock.unwrap_or(false),
    })
}

/// A valid line and its exact text (for `log --json`, which passes lines through).
#[derive(Clone, Debug)]
pub struct Record {
    pub raw: String,
    pub entry: Entry,
}

/// Lines that were read past, and where the first one was.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Damage {
    pub lines: u64,
    pub first: Option<(PathBuf, u64)>,
}

impl Damage {
    fn note(&mut self, path: &Path, line: u64) {
        self.lines += 1;
        self.first.get_or_insert_with(|| (path.to_path_buf(), line));
    }

    /// The one warning for the whole read, when anything was damaged.
    pub fn warning(&self) -> Option<String> {
        let (path, line) = self.first.as_ref()?;
        let (count, path) = (self.lines, path.display());
        let lines = if count == 1 { "line" } else { "lines" };
        Some(format!(
            "skipped {count} damaged {lines} in the log (first at line {line} of {path}): not JSON lines written by claude-rs"
        ))
    }
}

/// The files that hold the log, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct LogFiles {
    pub files: Vec<PathBuf>,
}

impl LogFiles {
    /// The rotated file, then the current one, each only if it exists;
    /// `None` when neither does (no log yet).
    pub fn locate(path: &Path) -> Option<LogFiles> {
        let files: Vec<PathBuf> = [rotated_path(path), path.to_path_buf()]
            .into_iter()
            .filter(|p| p.is_file())
            .collect();
        (!files.is_empty()).then_some(LogFiles { files })
    }
}

/// A log file that exists but could not be read.
#[derive(Debug)]
pub struct ReadError {
    pub path: PathBuf,
    pub error: io::Error,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        write!(f, "could not read the log {path}: {}", self.error)
    }
}

/// Hands every valid line to `visit`, oldest first, and returns what was damaged.
pub fn read(files: &LogFiles, mut visit: impl FnMut(Record)) -> Result<Damage, ReadError> {
    let mut damage = Damage::default();
    for path in &files.files {
        let fail = |error| ReadError {
            path: path.clone(),
            error,
        };
        let mut reader = BufReader::new(File::open(path).map_err(fail)?);
        read_file(path, &mut reader, &mut visit, &mut damage).map_err(fail)?;
    }
    Ok(damage)
}

fn read_file(
    path: &Path,
    reader: &mut impl BufRead,
    visit: &mut impl FnMut(Record),
    damage: &mut Damage,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(512);
    let mut number = 0;
    while let Some(whole) = read_capped_line(reader, &mut buf)? {
        number += 1;
        let text = std::str::from_utf8(&buf).ok().filter(|_| whole);
        let text = text.map(|t| t.trim_end_matches(['\n', '\r']));
        if text.is_some_and(|t| t.trim().is_empty()) {
            continue;
        }
        match text.map(|t| (t, parse_line(t))) {
            Some((raw, Ok(entry))) => visit(Record {
                raw: raw.to_string(),
                entry,
            }),
            _ => damage.note(path, number),
        }
    }
    Ok(())
}

/// Reads the next line into `buf`; `Some(false)` when it was longer than
/// `MAX_LINE_BYTES` (the rest is skipped, never held), `None` at the end.
fn read_capped_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    let read = reader
        .by_ref()
        .take(MAX_LINE_BYTES)
        .read_until(b'\n', buf)?;
    if read == 0 {
        return Ok(None);
    }
    if buf.ends_with(b"\n") || (read as u64) < MAX_LINE_BYTES {
        return Ok(Some(true));
    }
    reader.skip_until(b'\n')?;
    Ok(Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{chunked_buf, splits};
    use proptest::prelude::*;
    use std::time::Duration;

    const ATTEMPT: &str = r#"{"ts":"2026-11-26T01:57:56.201Z","event":"attempt","command":"ask","category":"overloaded","http_status":529,"error_type":"overloaded_error","message":"Overloaded","request_id":"req_1","attempt":1,"max_attempts":5,"retry_in_ms":2400,"model":"m","elapsed_ms":412}"#;
    const CALL_OK: &str = r#"{"ts":"2026-11-26T01:58:33.914Z","event":"call","command":"ask","outcome":"success","category":null,"http_status":null,"error_type":null,"message":null,"request_id":"req_2","attempts":2,"model":"m","elapsed_ms":37301,"input_tokens":1,"output_tokens":2}"#;

    fn read_text(text: &[u8]) -> (Vec<Record>, Damage) {
        read_from(&mut &text[..])
    }

    fn read_from(reader: &mut impl BufRead) -> (Vec<Record>, Damage) {
        let mut records = Vec::new();
        let mut damage = Damage::default();
        read_file(
            Path::new("log.jsonl"),
            reader,
            &mut |r| records.push(r),
            &mut damage,
        )
        .unwrap();
        (records, damage)
    }

    /// Log text as damage comes: our lines, torn ones, garbage, stray line
    /// endings, bytes that are not UTF-8, and now and then a line over the cap.
    fn log_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            4 => Just(ATTEMPT.as_bytes().to_vec()),
            4 => Just(CALL_OK.as_bytes().to_vec()),
            2 => (0..ATTEMPT.len()).prop_map(|n| ATTEMPT.as_bytes()[..n].to_vec()),
            4 => proptest::collection::vec(any::<u8>(), 0..40),
            4 => prop::sample::select(vec![&b"\n"[..], b"\r\n", b"\r", b"\n\n"]).prop_map(<[u8]>::to_vec),
            1 => Just(vec![b'x'; MAX_LINE_BYTES as usize + 100]),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    /// A log line's fields with hostile values: any time, any number.
    fn hostile_line() -> impl Strategy<Value = String> {
        (
            prop_oneof![
                any::<String>(),
                Just("9999-12-31T23:59:59.999Z".to_string()),
                Just("+10000-01-01T00:00:00Z".to_string()),
                Just("0000-01-01T00:00:00Z".to_string()),
                "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,12})?Z",
            ],
            prop::sample::select(vec!["attempt", "call", "batch", "other"]),
            prop_oneof![any::<String>(), Just("overloaded".to_string())],
            any::<i128>(),
            any::<f64>(),
        )
            .prop_map(|(ts, event, category, number, float)| {
                format!(
                    r#"{{"ts":{},"event":"{event}","category":{},"outcome":{},"attempt":{number},"max_attempts":{float},"retry_in_ms":{number},"attempts":1,"http_status":{number}}}"#,
                    serde_json::Value::String(ts),
                    serde_json::Value::String(category.clone()),
                    serde_json::Value::String(category),
                )
            })
    }

    proptest! {
        #[test]
        fn any_line_is_an_entry_or_a_reason(line in prop_oneof![any::<String>(), hostile_line()]) {
            if let Ok(entry) = parse_line(&line) {
                // Every date read back can be written again.
                let _ = crate::log::timestamp(entry.at);
            }
        }

        #[test]
        fn the_log_reads_the_same_however_it_is_split(text in log_bytes(), split in splits()) {
            let (whole, whole_damage) = read_text(&text);
            let (parts, parts_damage) = read_from(&mut chunked_buf(&text, &split));
            let raws = |records: &[Record]| records.iter().map(|r| r.raw.clone()).collect::<Vec<_>>();
            prop_assert_eq!(raws(&whole), raws(&parts));
            prop_assert_eq!(whole_damage, parts_damage);
            for record in &whole {
                prop_assert!(record.raw.len() < MAX_LINE_BYTES as usize);
            }
        }
    }

    #[test]
    fn an_endless_line_is_never_held_whole() {
        // 4 MiB with no line ending: the buffer stays near the cap.
        let text = vec![b'{'; 4 << 20];
        let mut reader = &text[..];
        let mut buf = Vec::new();
        assert_eq!(
            read_capped_line(&mut reader, &mut buf).unwrap(),
            Some(false)
        );
        assert!(
            buf.capacity() <= 2 * MAX_LINE_BYTES as usize,
            "{}",
            buf.capacity()
        );
        assert!(reader.is_empty());
    }

    #[test]
    fn parses_both_kinds_of_line() {
        let entry = parse_line(ATTEMPT).unwrap();
        assert_eq!(
            entry.at,
            SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_658_276_201)
        );
        assert_eq!(
            entry.event,
            Event::Attempt(Attempt {
                category: Category::Overloaded,
                attempt: 1,
                max_attempts: 5,
                retry_in_ms: Some(2400)
            })
        );
        assert_eq!(entry.http_status, Some(529));
        assert_eq!(entry.request_id.as_deref(), Some("req_1"));
        let call = parse_line(CALL_OK).unwrap();
        assert_eq!(
            call.event,
            Event::Call(Call {
                failed_with: None,
                attempts: 2
            })
        );
        assert_eq!(call.category(), None);
    }

    #[test]
    fn output_failed_is_the_apis_success_and_interrupted_no_call_at_all() {
        let line = |outcome: &str| {
            format!(
                r#"{{"ts":"2026-11-26T01:58:33.914Z","event":"call","outcome":"{outcome}","attempts":1}}"#
            )
        };
        assert_eq!(
            parse_line(&line("output_failed")).unwrap().event,
            Event::Call(Call {
                failed_with: None,
                attempts: 1
            })
        );
        let interrupted = parse_line(&line("interrupted")).unwrap();
        assert_eq!(interrupted.event, Event::Interrupted);
        assert_eq!(interrupted.category(), None);
        assert!(!interrupted.mock);
    }

    #[test]
    fn json_that_is_not_ours_is_refused() {
        for line in [
            r#"{"hello":1}"#,
            r#"{"ts":"yesterday","event":"call","outcome":"success","attempts":1}"#,
            r#"{"ts":"2026-11-26T01:57:56Z","event":"party"}"#,
            r#"{"ts":"2026-11-26T01:57:56Z","event":"attempt","category":"gremlins","attempt":1,"max_attempts":1}"#,
            r#"{"ts":"2026-11-26T01:57:56Z","event":"call","outcome":"gremlins","attempts":1}"#,
            r#"[1,2]"#,
        ] {
            assert!(parse_line(line).is_err(), "{line}");
        }
    }

    #[test]
    fn damaged_lines_are_counted_and_read_past() {
        let text = format!(
            "{ATTEMPT}\ngarbage\n\n{{\"json\":\"not ours\"}}\n{CALL_OK}\n\u{ff}\u{fe}\n{}",
            &CALL_OK[..40]
        );
        let mut bytes = text.into_bytes();
        // Invalid UTF-8 on line 8 (the blank line 3 is skipped, but numbered).
        bytes.extend_from_slice(b"\n\xff\xfe\n");
        let (records, damage) = read_text(&bytes);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].raw, ATTEMPT);
        assert_eq!(records[1].raw, CALL_OK);
        assert_eq!(damage.lines, 5);
        assert_eq!(damage.first, Some((PathBuf::from("log.jsonl"), 2)));
        let warning = damage.warning().unwrap();
        assert!(warning.contains("skipped 5 damaged lines"), "{warning}");
        assert!(warning.contains("line 2 of log.jsonl"), "{warning}");
    }

    #[test]
    fn a_torn_last_line_is_one_damaged_line() {
        let text = format!("{ATTEMPT}\n{}", &ATTEMPT[..30]);
        let (records, damage) = read_text(text.as_bytes());
        assert_eq!(records.len(), 1);
        assert_eq!(damage.lines, 1);
        assert_eq!(damage.first, Some((PathBuf::from("log.jsonl"), 2)));
        assert!(damage.warning().unwrap().contains("1 damaged line "));
    }

    #[test]
    fn an_overlong_line_is_skipped_without_losing_the_next() {
        let mut bytes = vec![b'x'; (MAX_LINE_BYTES as usize) * 2 + 10];
        bytes.push(b'\n');
        bytes.extend_from_slice(CALL_OK.as_bytes());
        bytes.push(b'\n');
        let (records, damage) = read_text(&bytes);
        assert_eq!(records.len(), 1);
        assert_eq!(damage.lines, 1);
    }

    #[test]
    fn crlf_endings_are_accepted() {
        let text = format!("{ATTEMPT}\r\n{CALL_OK}\r\n");
        let (records, damage) = read_text(text.as_bytes());
        assert_eq!(records.len(), 2);
        assert_eq!(damage, Damage::default());
    }

    #[test]
    fn the_rotated_file_is_read_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        assert_eq!(LogFiles::locate(&path), None);
        std::fs::write(&path, format!("{CALL_OK}\n")).unwrap();
        std::fs::write(rotated_path(&path), format!("{ATTEMPT}\n")).unwrap();
        let files = LogFiles::locate(&path).unwrap();
        let mut raws = Vec::new();
        let damage = read(&files, |r| raws.push(r.raw)).unwrap();
        assert_eq!(raws, vec![ATTEMPT.to_string(), CALL_OK.to_string()]);
        assert_eq!(damage.lines, 0);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            LogFiles::locate(&path).unwrap().files,
            vec![rotated_path(&path)]
        );
    }
}
