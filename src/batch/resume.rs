//! The OUTPUT of an earlier run, read back so that a rerun does only what is
//! missing: every id ends up in the file exactly once, however the earlier run
//! ended (finished, Ctrl-C, SIGKILL mid-write), and an id is skipped only
//! when its request is the same as the one its result answers. OUTPUT is a
//! journal (`journal`): locked before it is read, and until the process ends.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;

use serde::Deserialize;

use super::ids::{IdKey, IdSet};
use super::journal::{BOM, Journal, sibling};
use super::summary::count;
use crate::config::UsageError;

/// How every result line we write starts: only a torn line that starts so
/// is repaired.
pub const LINE_START: &[u8] = br#"{"custom_id":"#;

/// What OUTPUT holds for one id, in one word: whether it succeeded, and the
/// fingerprint of its request (the low two bits are the flags).
#[derive(Clone, Copy, Debug)]
struct Record(u64);

const SUCCEEDED: u64 = 1;
const FINGERPRINTED: u64 = 2;

impl Record {
    fn new(succeeded: bool, fingerprint: Option<u64>) -> Record {
        let flags = u64::from(succeeded) | fingerprint.map_or(0, |_| FINGERPRINTED);
        Record((fingerprint.unwrap_or(0) & !3) | flags)
    }

    fn succeeded(self) -> bool {
        self.0 & SUCCEEDED != 0
    }

    /// A line written before fingerprints were (no fingerprint) matches any request.
    fn matches(self, fingerprint: u64) -> bool {
        self.0 & FINGERPRINTED == 0 || (self.0 ^ fingerprint) & !3 == 0
    }
}

/// What OUTPUT already holds.
#[derive(Debug, Default)]
pub struct Done {
    /// Each id of OUTPUT once, sorted: its record, and the input line that
    /// has it (0 until one does). A sorted list, not a map: a third of the
    /// memory for a million ids, and no doubling on the way.
    records: Vec<(IdKey, Record, u64)>,
    /// Where the records of each run of equal top bits start: a lookup is a
    /// step into `records` and a search of one or two of them, not twenty.
    starts: Vec<u32>,
    /// Whether errored items are to be done again.
    pub retry_errored: bool,
    /// The errored ids this run's input does again: only their lines are
    /// dropped from OUTPUT (an errored id not in the input stays).
    pub redo: IdSet,
    /// Bytes of a torn last line (a run killed mid-write), cut off by `open_output`.
    pub torn_bytes: u64,
    /// Errored lines removed for `--retry-errored`.
    pub dropped_for_retry: u64,
    /// OUTPUT, read and locked; `None` without `-o`.
    journal: Option<Journal>,
}

/// What an id in the input gets in this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    ToDo,
    AlreadySucceeded,
    AlreadyErrored,
}

impl Done {
    fn find(&self, key: IdKey) -> Option<usize> {
        let bucket = key.top(self.starts.len().saturating_sub(1));
        let (low, high) = match (self.starts.get(bucket), self.starts.get(bucket + 1)) {
            (Some(low), Some(high)) => (*low as usize, *high as usize),
            _ => (0, self.records.len()),
        };
        let run = self.records.get(low..high)?;
        run.binary_search_by_key(&key, |r| r.0)
            .ok()
            .map(|at| low + at)
    }

    fn get(&self, key: IdKey) -> Option<Record> {
        self.find(key).map(|at| self.records[at].1)
    }

    pub fn status(&self, id: &str) -> Status {
        self.status_of(IdKey::of(id))
    }

    pub fn status_of(&self, key: IdKey) -> Status {
        match self.get(key) {
            Some(record) if record.succeeded() => Status::AlreadySucceeded,
            Some(_) if !self.retry_errored => Status::AlreadyErrored,
            _ => Status::ToDo,
        }
    }

    /// Whether OUTPUT answers this id for a different request than `fingerprint`.
    pub fn changed(&self, key: IdKey, fingerprint: u64) -> bool {
        self.get(key)
            .is_some_and(|record| !record.matches(fingerprint))
    }

    /// For an id of OUTPUT, the input line that had it first, or `Some(None)`
    /// when `line` is the first; `None` for an id OUTPUT does not hold.
    pub fn claim(&mut self, key: IdKey, line: u64) -> Option<Option<u64>> {
        let at = self.find(key)?;
        let first = &mut self.records[at].2;
        Some(match *first {
            0 => {
                *first = line;
                None
            }
            first => Some(first),
        })
    }

    /// The input line that had this id of OUTPUT first, once one has.
    pub fn first_line(&self, key: IdKey) -> Option<u64> {
        self.find(key)
            .map(|at| self.records[at].2)
            .filter(|line| *line > 0)
    }

    /// How many ids OUTPUT holds.
    pub fn count(&self) -> usize {
        self.records.len()
    }

    /// Notes a line of OUTPUT (`read_output` notes them all at once).
    #[cfg(test)]
    pub fn record(&mut self, key: IdKey, succeeded: bool, fingerprint: Option<u64>) {
        self.records
            .push((key, Record::new(succeeded, fingerprint), 0));
        self.settle();
    }

    /// Sorts the lines noted by id, one record an id: a later success wins
    /// over an earlier error (the sort is stable: file order within an id).
    fn settle(&mut self) {
        self.records.sort_by_key(|r| r.0);
        self.records.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same && (later.1.succeeded() || !earlier.1.succeeded()) {
                earlier.1 = later.1;
            }
            same
        });
        // As many buckets as records (a power of two), and the end of the last.
        let buckets = self.records.len().next_power_of_two();
        self.starts = vec![0; buckets + 1];
        for (key, _, _) in &self.records {
            self.starts[key.top(buckets) + 1] += 1;
        }
        for at in 1..self.starts.len() {
            self.starts[at] += self.starts[at - 1];
        }
    }

    /// Notes that an id of the input is to be done again although OUTPUT
    /// holds an error for it (`--retry-errored`).
    pub fn note_to_do(&mut self, key: IdKey) {
        if self.retry_errored && self.find(key).is_some() {
            self.redo.insert(key);
        }
    }

    /// The ids OUTPUT keeps through this run, and whether each succeeded.
    pub fn kept(&self) -> impl Iterator<Item = (IdKey, bool)> + '_ {
        self.records
            .iter()
            .filter(|(key, record, _)| record.succeeded() || !self.redo.contains(key))
            .map(|(key, record, _)| (*key, record.succeeded()))
    }

    /// Says on stderr what `open_output` repaired or rewrote.
    pub fn say_repairs(&self, output: &str) {
        if self.torn_bytes > 0 {
            super::progress::warn(&format!(
                "{output} ended in a torn line ({} bytes) left by a run that was killed: removed; that item is done again",
                self.torn_bytes
            ));
        }
        if self.dropped_for_retry > 0 {
            eprintln!(
                "--retry-errored: removed {} from {output}; those items are done again",
                count(self.dropped_for_retry, "errored line", "errored lines")
            );
        }
    }
}

/// The fields a rerun needs from each line.
#[derive(Deserialize)]
struct ResultHead {
    custom_id: String,
    /// 16 hex digits; missing on lines of earlier versions and of the API.
    #[serde(default)]
    request_fingerprint: Option<String>,
    result: ResultKind,
}

#[derive(Deserialize)]
struct ResultKind {
    #[serde(rename = "type")]
    kind: String,
}

impl ResultHead {
    fn fingerprint(&self) -> Option<u64> {
        let hex = self.request_fingerprint.as_deref()?;
        u64::from_str_radix(hex, 16).ok()
    }
}

/// Locks OUTPUT (if it exists) and reads what an earlier run left in it,
/// changing nothing. A missing file holds nothing.
pub fn read_output(path: &Path, retry_errored: bool) -> Result<Done, UsageError> {
    read_output_locked(path, retry_errored, true)
}

/// `read_output` without taking the lock: a dry run only looks, and leaves
/// OUTPUT to whichever run may be writing it.
pub fn peek_output(path: &Path, retry_errored: bool) -> Result<Done, UsageError> {
    read_output_locked(path, retry_errored, false)
}

fn read_output_locked(path: &Path, retry_errored: bool, lock: bool) -> Result<Done, UsageError> {
    let mut done = Done {
        retry_errored,
        ..Done::default()
    };
    let records = &mut done.records;
    let journal = Journal::open(path, "OUTPUT", LINE_START, lock, |head: ResultHead| {
        let record = Record::new(head.result.kind == "succeeded", head.fingerprint());
        records.push((IdKey::of(&head.custom_id), record, 0));
    })?;
    done.settle();
    done.torn_bytes = journal.scanned.torn_bytes;
    done.journal = Some(journal);
    Ok(done)
}

/// Makes OUTPUT ready for this run and returns it, locked, for appending: a
/// torn last line is cut off, a missing last newline added, and the lines of
/// `done.redo` dropped. Called only once the input is known to be good.
pub fn open_output(path: &Path, done: &mut Done) -> Result<File, UsageError> {
    let not_read = || {
        UsageError::new(
            format!(
                "OUTPUT {} was not read before it was opened",
                path.display()
            ),
            "report this as a bug of claude-rs",
        )
    };
    let journal = done.journal.as_mut().ok_or_else(not_read)?;
    journal.ready()?;
    let mut file = journal.take().ok_or_else(not_read)?;
    if !done.redo.is_empty() {
        let (rewritten, dropped) = drop_redone(path, &mut file, done).map_err(|e| {
            UsageError::new(
                format!(
                    "cannot rewrite OUTPUT {} without its errored lines: {e}",
                    path.display()
                ),
                "check the folder's permissions and free space, or give -o another path",
            )
        })?;
        done.dropped_for_retry = dropped;
        return Ok(rewritten);
    }
    Ok(file)
}
/// Rewrites OUTPUT without the errored lines of the ids to redo, through a
/// temporary file renamed over it: a crash leaves the old file or the new one,
/// never half of each. The new file is locked before it takes the old one's
/// place, and the old one stays locked until then: no moment lets a second
/// run in. Returns the new file (open for appending) and how many lines were
/// dropped.
fn drop_redone(path: &Path, old: &mut File, done: &Done) -> io::Result<(File, u64)> {
    let temporary = sibling(path, ".claude-rs-rewrite");
    let mut new = crate::private::new_file_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temporary)?;
    // The rewrite takes the old file's place: it keeps the mode the user gave it.
    new.set_permissions(old.metadata()?.permissions())?;
    if new.try_lock().is_err() {
        return Err(io::Error::other(format!(
            "{} is in use by another run",
            temporary.display()
        )));
    }
    let mut dropped = 0;
    let mut kept_successes = IdSet::new();
    {
        old.seek(SeekFrom::Start(0))?;
        let mut out = io::BufWriter::new(&mut new);
        for (number, line) in BufReader::new(&*old).split(b'\n').enumerate() {
            let line = line?;
            let line = match number {
                0 => line.strip_prefix(BOM).unwrap_or(&line).to_vec(),
                _ => line,
            };
            let Ok(head) = serde_json::from_slice::<ResultHead>(&line) else {
                continue;
            };
            let key = IdKey::of(&head.custom_id);
            let success = head.result.kind == "succeeded";
            let keep = if success {
                // A success is kept once, even if an older file held it twice.
                kept_successes.insert(key)
            } else {
                !done.redo.contains(&key) && done.status_of(key) != Status::AlreadySucceeded
            };
            if keep {
                out.write_all(&line)?;
                out.write_all(b"\n")?;
            } else if !success {
                dropped += 1;
            }
        }
        out.flush()?;
    }
    new.sync_all()?;
    fs::rename(&temporary, path)?;
    new.seek(SeekFrom::End(0))?;
    Ok((new, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const OK_A: &str = r#"{"custom_id":"a","result":{"type":"succeeded","message":{}}}"#;
    const ERR_B: &str = r#"{"custom_id":"b","result":{"type":"errored","error":{}}}"#;
    const CANCELED_C: &str = r#"{"custom_id":"c","result":{"type":"canceled"}}"#;

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("out.jsonl");
        fs::write(&path, text).unwrap();
        path
    }

    /// Reads OUTPUT, marks `redo` as the input's ids to do again, opens it.
    fn open(path: &Path, retry_errored: bool, redo: &[&str]) -> (Done, File) {
        let mut done = read_output(path, retry_errored).unwrap();
        for id in redo {
            done.note_to_do(IdKey::of(id));
        }
        let file = open_output(path, &mut done).unwrap();
        (done, file)
    }

    #[test]
    fn a_missing_output_is_created_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.jsonl");
        let done = read_output(&path, false).unwrap();
        assert_eq!(done.kept().count(), 0);
        assert!(!path.exists(), "reading changes nothing");
        let (_, _) = open(&path, false, &[]);
        assert!(path.exists());
    }

    #[test]
    fn a_line_longer_than_is_ever_held_is_read_as_it_streams() {
        let dir = tempfile::tempdir().unwrap();
        let reply = "x".repeat(3 * 1024 * 1024);
        let long = format!(
            r#"{{"custom_id":"big","result":{{"type":"succeeded","message":{{"content":[{{"type":"text","text":"{reply}"}}]}}}}}}"#
        );
        let path = write(&dir, &format!("{OK_A}\n{long}\n{ERR_B}\n"));
        let done = read_output(&path, false).unwrap();
        assert_eq!(done.status("big"), Status::AlreadySucceeded);
        assert_eq!(done.status("a"), Status::AlreadySucceeded);
        assert_eq!(done.status("b"), Status::AlreadyErrored);
        assert_eq!(done.torn_bytes, 0);
        drop(done);
        // Cut short, the same long line is a torn last line, its size known.
        let torn = &long[..long.len() - 10];
        let path = write(&dir, &format!("{OK_A}\n{torn}"));
        let done = read_output(&path, false).unwrap();
        assert_eq!(done.torn_bytes, torn.len() as u64);
        assert_eq!(done.status("big"), Status::ToDo);
    }

    #[test]
    fn succeeded_and_errored_ids_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("{OK_A}\n{ERR_B}\n{CANCELED_C}\n"));
        let done = read_output(&path, false).unwrap();
        assert_eq!(done.status("a"), Status::AlreadySucceeded);
        assert_eq!(done.status("b"), Status::AlreadyErrored);
        assert_eq!(done.status("c"), Status::AlreadyErrored);
        assert_eq!(done.status("d"), Status::ToDo);
        drop(done);
        let retrying = read_output(&path, true).unwrap();
        assert_eq!(retrying.status("b"), Status::ToDo);
        assert_eq!(retrying.status("a"), Status::AlreadySucceeded);
    }

    #[test]
    fn a_torn_last_line_is_cut_off_and_appending_goes_on_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("{OK_A}\n{{\"custom_id\":\"b\",\"resu"));
        let (done, mut file) = open(&path, false, &[]);
        assert_eq!(done.torn_bytes, 22);
        assert_eq!(
            done.status("b"),
            Status::ToDo,
            "a torn line is not done: it is redone"
        );
        file.write_all(format!("{ERR_B}\n").as_bytes()).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{OK_A}\n{ERR_B}\n")
        );
    }

    #[test]
    fn a_whole_last_line_without_its_newline_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("{ERR_B}\n{OK_A}"));
        let (done, mut file) = open(&path, false, &[]);
        assert_eq!(done.torn_bytes, 0);
        assert_eq!(done.status("a"), Status::AlreadySucceeded);
        file.write_all(format!("{CANCELED_C}\n").as_bytes())
            .unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{ERR_B}\n{OK_A}\n{CANCELED_C}\n")
        );
    }

    #[test]
    fn retry_errored_drops_only_the_errored_lines_of_the_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("{OK_A}\n{ERR_B}\n{CANCELED_C}\n{OK_A}\n"));
        // Only b is in this run's input: c's line stays.
        let (done, mut file) = open(&path, true, &["b", "a"]);
        assert_eq!(done.dropped_for_retry, 1);
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{OK_A}\n{CANCELED_C}\n")
        );
        assert!(!sibling(&path, ".claude-rs-rewrite").exists());
        file.write_all(format!("{ERR_B}\n").as_bytes()).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{OK_A}\n{CANCELED_C}\n{ERR_B}\n"),
            "appending goes on at the end of the rewritten file"
        );
    }

    #[test]
    fn a_second_run_on_the_same_output_is_refused_while_the_first_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("{OK_A}\n"));
        let (_, first) = open(&path, false, &[]);
        let error = read_output(&path, false).unwrap_err();
        assert!(
            error
                .problem
                .contains("being written by another claude-rs batch"),
            "{}",
            error.problem
        );
        drop(first);
        assert!(
            read_output(&path, false).is_ok(),
            "free once the first run ends"
        );
    }

    #[test]
    fn the_lock_is_held_from_the_reading_to_the_end_of_a_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("{OK_A}\n{ERR_B}\n"));
        let mut done = read_output(&path, true).unwrap();
        assert!(
            read_output(&path, false).is_err(),
            "locked while the input is checked"
        );
        done.note_to_do(IdKey::of("b"));
        let rewritten = open_output(&path, &mut done).unwrap();
        assert!(
            read_output(&path, false).is_err(),
            "the rewritten file is locked too"
        );
        drop(rewritten);
        assert!(read_output(&path, false).is_ok());
    }

    #[test]
    fn an_output_created_by_another_run_meanwhile_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("late.jsonl");
        let mut done = read_output(&path, false).unwrap();
        fs::write(&path, format!("{OK_A}\n")).unwrap();
        let error = open_output(&path, &mut done).unwrap_err();
        assert!(
            error.problem.contains("another claude-rs batch"),
            "{}",
            error.problem
        );
    }

    #[test]
    fn a_foreign_line_in_the_middle_is_refused_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("{OK_A}\nhello\n{ERR_B}\n"));
        let error = read_output(&path, false).unwrap_err();
        assert!(
            error
                .problem
                .contains("line 2 is not a line claude-rs wrote"),
            "{}",
            error.problem
        );
    }

    #[test]
    fn a_last_line_that_is_not_ours_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        for text in ["my notes", "{\"id\":1}", "[1,"] {
            let path = write(&dir, text);
            let error = read_output(&path, false).unwrap_err();
            assert!(
                error
                    .problem
                    .contains("line 1 is not a line claude-rs wrote"),
                "{}",
                error.problem
            );
            assert_eq!(fs::read_to_string(&path).unwrap(), text);
        }
    }

    #[test]
    fn a_bom_is_kept_and_the_first_line_still_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("\u{feff}{OK_A}\n{ERR_B}\n"));
        let (done, _) = open(&path, true, &["b"]);
        assert_eq!(done.status("a"), Status::AlreadySucceeded);
        assert_eq!(done.dropped_for_retry, 1);
        assert_eq!(fs::read_to_string(&path).unwrap(), format!("{OK_A}\n"));
    }

    #[test]
    fn a_fingerprint_tells_a_changed_request() {
        let dir = tempfile::tempdir().unwrap();
        let new = r#"{"custom_id":"n","request_fingerprint":"00000000000000f0","result":{"type":"succeeded"}}"#;
        let path = write(&dir, &format!("{OK_A}\n{new}\n"));
        let done = read_output(&path, false).unwrap();
        assert!(
            !done.changed(IdKey::of("a"), 7),
            "an old line matches anything"
        );
        assert!(!done.changed(IdKey::of("n"), 0xf0));
        assert!(done.changed(IdKey::of("n"), 0xf4));
        assert!(
            !done.changed(IdKey::of("x"), 1),
            "an id not in OUTPUT is not changed"
        );
    }

    proptest::proptest! {
        #[test]
        fn a_fingerprint_field_is_read_back_or_ignored(text in ".{0,20}", value in proptest::prelude::any::<u64>()) {
            let head = |hex: String| ResultHead {
                custom_id: String::new(),
                request_fingerprint: Some(hex),
                result: ResultKind { kind: String::new() },
            };
            let _ = head(text).fingerprint();
            proptest::prop_assert_eq!(head(format!("{value:016x}")).fingerprint(), Some(value));
        }

        #[test]
        fn every_id_noted_is_found_and_no_other(
            held in proptest::collection::hash_set("[a-z0-9]{1,6}", 0..300),
            absent in proptest::collection::vec("[A-Z]{1,6}", 0..50),
        ) {
            let mut done = Done::default();
            for id in &held {
                done.records.push((IdKey::of(id), Record::new(true, None), 0));
            }
            done.settle();
            for id in &held {
                proptest::prop_assert_eq!(done.status(id), Status::AlreadySucceeded);
            }
            for id in &absent {
                proptest::prop_assert_eq!(done.status(id), Status::ToDo);
            }
        }
    }

    #[test]
    fn a_later_success_wins_over_an_earlier_error() {
        let dir = tempfile::tempdir().unwrap();
        let ok_b = r#"{"custom_id":"b","result":{"type":"succeeded","message":{}}}"#;
        let path = write(&dir, &format!("{ERR_B}\n{ok_b}\n"));
        let done = read_output(&path, false).unwrap();
        assert_eq!(done.status("b"), Status::AlreadySucceeded);
    }
}
