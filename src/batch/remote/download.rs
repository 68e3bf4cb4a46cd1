//! Results into OUTPUT: each line of a batch's results file, in whatever
//! order it comes, written with one write the moment it arrives, unless OUTPUT
//! already has that id. A download cut off and done again (a retry, a rerun
//! after a kill) therefore never duplicates a line.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Write};

use serde::Deserialize;
use serde_json::Value;

use super::calls::{BatchCall, Called, Calls};
use crate::api::batches::{BatchAnswer, MessageBatch};
use crate::api::{Usage, pricing};
use crate::batch::ids::IdKey;
use crate::batch::results::{ErrorReport, errored_line};
use crate::batch::resume::Done;
use crate::batch::summary::{Stop, Tally};
use crate::resilience::{AttemptFailure, Category, Cause, Failure};

/// How an id came to be in OUTPUT.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Present {
    /// Before this run, succeeded or not.
    Before { succeeded: bool },
    /// Written by this run.
    Now,
}

/// OUTPUT, open for appending, and the ids it holds.
pub struct Output {
    file: File,
    present: HashMap<IdKey, Present>,
    pub tally: Tally,
    /// Count the results a download finds already in OUTPUT as skipped
    /// (`--batch-id`; with INPUT, the input check has counted them).
    pub count_skips: bool,
}

impl Output {
    /// `done` is OUTPUT as read before this run; with `--retry-errored` its
    /// errored lines are gone from the file (`open_output`), so those ids are
    /// not present any more.
    pub fn new(file: File, done: &Done) -> Output {
        let present: HashMap<IdKey, Present> = done
            .kept()
            .map(|(id, succeeded)| (id, Present::Before { succeeded }))
            .collect();
        Output {
            file,
            present,
            tally: Tally::default(),
            count_skips: false,
        }
    }

    pub fn has(&self, custom_id: &str) -> bool {
        self.present.contains_key(&IdKey::of(custom_id))
    }

    /// An invalid input line's errored result (`--skip-invalid`).
    pub fn write_invalid(&mut self, custom_id: &str, report: &ErrorReport) -> io::Result<()> {
        self.file
            .write_all(&errored_line(&(custom_id.into(), None), report))?;
        self.present.insert(IdKey::of(custom_id), Present::Now);
        self.tally.outcomes.errored(report.category);
        Ok(())
    }
}

/// The fields of a result line claude-rs acts on; the rest passes through.
#[derive(Deserialize)]
struct ResultLine {
    custom_id: String,
    result: ResultBody,
}

#[derive(Deserialize)]
struct ResultBody {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    message: Option<MessageHead>,
}

#[derive(Deserialize)]
struct MessageHead {
    #[serde(default)]
    model: String,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Usage,
}

/// How one attempt at the download ended (a failure of the API is an `Err`).
enum End {
    Complete,
    Interrupted,
    WriteFailed(io::Error),
}

impl<T> Called<T> {
    /// The answer, or what stops the run.
    pub fn or_stop(self) -> Result<T, Stop> {
        match self {
            Called::Done(answer) => Ok(answer),
            Called::Interrupted => Err(Stop::Interrupted),
            Called::Failed(failed) => Err(Stop::Failed(failed)),
        }
    }
}

/// Downloads an ended batch's results into OUTPUT. `expected` is what the
/// batch was submitted with, when known. Gives how many items the batch
/// should have held but returned no result for.
pub fn download(
    calls: &Calls,
    batch: &MessageBatch,
    expected: Option<&[String]>,
    output: &mut Output,
) -> Result<u64, Stop> {
    // Every id this batch returned, written now or found already present.
    let mut seen: HashSet<String> = HashSet::new();
    let called = calls.call(BatchCall::Results, Some(&batch.id), |client| {
        let mut lines = client.batch_results(batch)?;
        let request_id = lines.request_id.clone();
        let ended = |value| {
            Ok(BatchAnswer {
                value,
                body: String::new(),
                request_id: request_id.clone(),
            })
        };
        let mut line = Vec::new();
        loop {
            if calls.interrupt().is_set() {
                return ended(End::Interrupted);
            }
            if !lines.next_line(&mut line).map_err(AttemptFailure::from)? {
                return ended(End::Complete);
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match take_line(&line, output, &mut seen) {
                Ok(()) => {}
                Err(Taken::NotAResult(problem)) => {
                    let mut failure = Failure::new(
                        Category::InvalidResponse,
                        format!("a line of the batch results is not a result ({problem})"),
                    )
                    .with_cause(Cause::UnreadableBody);
                    failure.request_id = lines.request_id.clone();
                    return Err(failure.into());
                }
                Err(Taken::WriteFailed(error)) => return ended(End::WriteFailed(error)),
            }
        }
    });
    match called.or_stop()?.value {
        End::Complete => {}
        End::Interrupted => return Err(Stop::Interrupted),
        End::WriteFailed(error) => {
            return Err(Stop::LocalWrite(format!("the results to OUTPUT: {error}")));
        }
    }
    let missing = expected.map_or(0, |ids| ids.iter().filter(|id| !seen.contains(*id)).count());
    Ok(missing as u64)
}

enum Taken {
    NotAResult(String),
    WriteFailed(io::Error),
}

/// Writes one result line unless OUTPUT has its id. Succeeded, canceled and
/// expired lines go as they came; an errored one gains claude-rs's verdict.
fn take_line(line: &[u8], output: &mut Output, seen: &mut HashSet<String>) -> Result<(), Taken> {
    let parsed: ResultLine =
        serde_json::from_slice(line).map_err(|e| Taken::NotAResult(e.to_string()))?;
    let first_sight = seen.insert(parsed.custom_id.clone());
    let key = IdKey::of(&parsed.custom_id);
    if let Some(present) = output.present.get(&key) {
        if let (true, true, Present::Before { succeeded }) =
            (output.count_skips, first_sight, *present)
        {
            match succeeded {
                true => output.tally.skipped_succeeded += 1,
                false => output.tally.skipped_errored += 1,
            }
        }
        return Ok(());
    }
    let result = parsed.result;
    let report = (result.kind == "errored")
        .then(|| ErrorReport::from_batch_result(result.error.as_ref().unwrap_or(&Value::Null)));
    let bytes = match &report {
        Some(report) => errored_line(&(parsed.custom_id, None), report),
        None => {
            let mut bytes = scrubbed_result(line).unwrap_or_else(|| line.to_vec());
            bytes.push(b'\n');
            bytes
        }
    };
    output.file.write_all(&bytes).map_err(Taken::WriteFailed)?;
    output.present.insert(key, Present::Now);
    let tally = &mut output.tally;
    match (report, result.kind.as_str(), result.message) {
        (Some(report), _, _) => tally.outcomes.errored(report.category),
        (None, "succeeded", Some(message)) => tally.outcomes.succeeded(
            &message.model,
            &message.usage,
            message.stop_reason.as_deref(),
            pricing::MESSAGE_BATCHES_FACTOR,
        ),
        (None, "succeeded", None) => tally.outcomes.succeeded += 1,
        (None, "canceled", _) => tally.canceled += 1,
        (None, "expired", _) => tally.expired += 1,
        _ => tally.other += 1,
    }
    Ok(())
}

/// The result line re-encoded with any key masked in what the server says
/// about it (message id, model, stop reason, ...), or `None` when there is
/// none and the line goes as it came. The reply's content is the model's
/// data and the custom_id is the user's: both stay byte-exact, as a local
/// batch writes them.
fn scrubbed_result(line: &[u8]) -> Option<Vec<u8>> {
    let original: Value = serde_json::from_slice(line).ok()?;
    let mut value = original.clone();
    let content = value
        .pointer_mut("/result/message/content")
        .map(Value::take);
    let custom_id = value.get_mut("custom_id").map(Value::take);
    crate::secret::scrub_json(&mut value);
    if let (Some(content), Some(slot)) = (content, value.pointer_mut("/result/message/content")) {
        *slot = content;
    }
    if let (Some(id), Some(slot)) = (custom_id, value.get_mut("custom_id")) {
        *slot = id;
    }
    (value != original).then(|| serde_json::to_vec(&value).unwrap_or_else(|_| line.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output() -> (tempfile::NamedTempFile, Output) {
        let file = tempfile::NamedTempFile::new().unwrap();
        let handle = file.reopen().unwrap();
        (file, Output::new(handle, &Done::default()))
    }

    #[test]
    fn lines_are_written_once_and_errors_gain_a_verdict() {
        let (file, mut out) = output();
        let mut seen = HashSet::new();
        let ok = br#"{"custom_id":"a","result":{"type":"succeeded","message":{"id":"m","usage":{"input_tokens":3,"output_tokens":4},"stop_reason":"end_turn"}}}"#;
        let errored = br#"{"custom_id":"b","result":{"type":"errored","error":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}}}"#;
        let canceled = br#"{"custom_id":"c","result":{"type":"canceled"}}"#;
        for line in [&ok[..], errored, canceled, ok] {
            assert!(take_line(line, &mut out, &mut seen).is_ok());
        }
        let text = std::fs::read_to_string(file.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0].as_bytes(), ok);
        let value: Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(value["result"]["error"]["category"], "overloaded");
        assert_eq!(value["result"]["error"]["attempts"], Value::Null);
        assert_eq!(lines[2].as_bytes(), canceled);
        assert_eq!(out.tally.outcomes.succeeded, 1);
        assert_eq!(out.tally.canceled, 1);
        assert_eq!(out.tally.outcomes.errored[&Category::Overloaded], 1);
        assert_eq!(out.tally.outcomes.input_tokens, 3);
        assert_eq!(seen.len(), 3);
    }

    #[test]
    fn an_id_already_in_output_is_skipped_and_garbage_is_refused() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut done = Done::default();
        done.record(IdKey::of("a"), true, None);
        done.record(IdKey::of("b"), false, None);
        let mut out = Output::new(file.reopen().unwrap(), &done);
        let mut seen = HashSet::new();
        let line = br#"{"custom_id":"a","result":{"type":"succeeded","message":{}}}"#;
        assert!(take_line(line, &mut out, &mut seen).is_ok());
        assert_eq!(std::fs::read_to_string(file.path()).unwrap(), "");
        assert!(out.has("b"));
        assert_eq!(out.tally.skipped_succeeded, 0, "not counted unless asked");
        out.count_skips = true;
        let errored_b = br#"{"custom_id":"b","result":{"type":"canceled"}}"#;
        assert!(take_line(errored_b, &mut out, &mut seen).is_ok());
        assert!(take_line(errored_b, &mut out, &mut seen).is_ok());
        assert_eq!(out.tally.skipped_errored, 1, "once per id");
        assert!(matches!(
            take_line(b"{oops", &mut out, &mut seen),
            Err(Taken::NotAResult(_))
        ));
        done.retry_errored = true;
        done.note_to_do(IdKey::of("b"));
        let retrying = Output::new(file.reopen().unwrap(), &done);
        assert!(!retrying.has("b"), "--retry-errored dropped it from OUTPUT");
    }
}
