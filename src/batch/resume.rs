//! The OUTPUT of an earlier run, read back so that a rerun does only what is
//! missing: every id ends up in the file exactly once, however the earlier run
//! ended (finished, Ctrl-C, SIGKILL mid-write).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ids::{IdKey, IdSet};
use crate::config::UsageError;

/// What OUTPUT already holds.
#[derive(Debug, Default)]
pub struct Done {
    pub succeeded: IdSet,
    /// Errored, canceled or expired: done unless `--retry-errored`.
    pub errored: IdSet,
    /// Whether errored items are to be done again.
    pub retry_errored: bool,
    /// Bytes of a torn last line (a run killed mid-write), cut off by `open_output`.
    pub torn_bytes: u64,
    /// The length of OUTPUT's complete lines.
    complete_bytes: u64,
    /// Errored lines removed for `--retry-errored`.
    pub dropped_for_retry: u64,
}

/// What an id in the input gets in this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    ToDo,
    AlreadySucceeded,
    AlreadyErrored,
}

impl Done {
    pub fn status(&self, id: &str) -> Status {
        let key = IdKey::of(id);
        if self.succeeded.contains(&key) {
            Status::AlreadySucceeded
        } else if self.errored.contains(&key) && !self.retry_errored {
            Status::AlreadyErrored
        } else {
            Status::ToDo
        }
    }

    pub fn is_empty(&self) -> bool {
        self.succeeded.is_empty() && self.errored.is_empty()
    }
}

/// The two fields a rerun needs from each line.
#[derive(Deserialize)]
struct ResultHead {
    custom_id: String,
    result: ResultKind,
}

#[derive(Deserialize)]
struct ResultKind {
    #[serde(rename = "type")]
    kind: String,
}

/// Reads what an earlier run left in OUTPUT, changing nothing (a missing
/// file holds nothing).
pub fn read_output(path: &Path, retry_errored: bool) -> Result<Done, UsageError> {
    if path.is_dir() {
        return Err(unusable(format!(
            "OUTPUT {} is a directory",
            path.display()
        )));
    }
    let mut done = match File::open(path) {
        Ok(file) => scan(&file, path)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Done::default(),
        Err(e) => {
            return Err(unusable(format!(
                "cannot read OUTPUT {}: {e}",
                path.display()
            )));
        }
    };
    done.retry_errored = retry_errored;
    Ok(done)
}

/// Makes OUTPUT ready for this run and opens it for appending: a torn last
/// line is cut off, and with `--retry-errored` the errored lines are dropped.
/// Called only once the input is known to be good.
pub fn open_output(path: &Path, done: &mut Done) -> Result<File, UsageError> {
    let open_error = |e: io::Error| unusable(format!("cannot open OUTPUT {}: {e}", path.display()));
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(open_error)?;
    lock(&file, path)?;
    if done.torn_bytes > 0 {
        file.set_len(done.complete_bytes).map_err(open_error)?;
    }
    if done.retry_errored && !done.errored.is_empty() {
        drop(file);
        done.dropped_for_retry = drop_errored(path).map_err(|e| {
            unusable(format!(
                "cannot rewrite OUTPUT {} without its errored lines: {e}",
                path.display()
            ))
        })?;
        let rewritten = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(open_error)?;
        lock(&rewritten, path)?;
        return Ok(rewritten);
    }
    Ok(file)
}

/// Two runs appending to one OUTPUT would each do the items the other is
/// doing: the second is refused while the first holds the file. The lock goes
/// with the process, however it ends.
fn lock(file: &File, path: &Path) -> Result<(), UsageError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(UsageError::new(
            format!(
                "OUTPUT {} is being written by another claude-rs batch",
                path.display()
            ),
            "wait for that run to end (or stop it), then rerun; or give another -o",
        )),
        // A filesystem without locks (some network mounts): go on unguarded.
        Err(std::fs::TryLockError::Error(_)) => Ok(()),
    }
}

fn unusable(what: String) -> UsageError {
    UsageError::new(
        what,
        "give -o a path to a results file of an earlier run, or a new one",
    )
}

fn scan(file: &File, path: &Path) -> Result<Done, UsageError> {
    let read_error = |e: io::Error| {
        UsageError::new(
            format!("cannot read OUTPUT {}: {e}", path.display()),
            "check the file's permissions, or give another -o",
        )
    };
    let mut done = Done::default();
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut buffer = Vec::new();
    let mut complete_bytes: u64 = 0;
    let mut number = 0u64;
    loop {
        buffer.clear();
        let read = reader.read_until(b'\n', &mut buffer).map_err(read_error)?;
        if read == 0 {
            break;
        }
        if buffer.last() != Some(&b'\n') {
            // Only the last line can lack its newline: a run killed mid-write.
            done.torn_bytes = read as u64;
            break;
        }
        number += 1;
        complete_bytes += read as u64;
        if buffer.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let head: ResultHead = serde_json::from_slice(&buffer).map_err(|e| {
            UsageError::new(
                format!(
                    "OUTPUT {} line {number} is not a result line ({e})",
                    path.display()
                ),
                "OUTPUT must be a results file written by claude-rs batch or the Message Batches API: \
                 move it away, or fix that line",
            )
        })?;
        let key = IdKey::of(&head.custom_id);
        if head.result.kind == "succeeded" {
            done.errored.remove(&key);
            done.succeeded.insert(key);
        } else if !done.succeeded.contains(&key) {
            done.errored.insert(key);
        }
    }
    done.complete_bytes = complete_bytes;
    Ok(done)
}

/// Rewrites OUTPUT without the lines that are not successes, through a
/// temporary file renamed over it: a crash leaves the old file or the new one,
/// never half of each. Returns how many lines were dropped.
fn drop_errored(path: &Path) -> io::Result<u64> {
    let temporary = sibling(path, ".claude-rs-rewrite");
    let mut dropped = 0;
    let mut kept = IdSet::new();
    {
        let reader = BufReader::new(File::open(path)?);
        let mut out = io::BufWriter::new(File::create(&temporary)?);
        for line in reader.split(b'\n') {
            let line = line?;
            let Ok(head) = serde_json::from_slice::<ResultHead>(&line) else {
                continue;
            };
            if head.result.kind != "succeeded" {
                dropped += 1;
            } else if kept.insert(IdKey::of(&head.custom_id)) {
                // A success is kept once, even if an older file held it twice.
                out.write_all(&line)?;
                out.write_all(b"\n")?;
            }
        }
        out.flush()?;
        out.get_ref().sync_all()?;
    }
    fs::rename(&temporary, path)?;
    Ok(dropped)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK_A: &str = r#"{"custom_id":"a","result":{"type":"succeeded","message":{}}}"#;
    const ERR_B: &str = r#"{"custom_id":"b","result":{"type":"errored","error":{}}}"#;
    const CANCELED_C: &str = r#"{"custom_id":"c","result":{"type":"canceled"}}"#;

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("out.jsonl");
        fs::write(&path, text).unwrap();
        path
    }

    fn open(path: &Path, retry_errored: bool) -> (Done, File) {
        let mut done = read_output(path, retry_errored).unwrap();
        let file = open_output(path, &mut done).unwrap();
        (done, file)
    }

    #[test]
    fn a_missing_output_is_created_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.jsonl");
        let done = read_output(&path, false).unwrap();
        assert!(done.is_empty());
        assert!(!path.exists(), "reading changes nothing");
        let (_, _) = open(&path, false);
        assert!(path.exists());
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
        let retrying = read_output(&path, true).unwrap();
        assert_eq!(retrying.status("b"), Status::ToDo);
        assert_eq!(retrying.status("a"), Status::AlreadySucceeded);
    }

    #[test]
    fn a_torn_last_line_is_cut_off_and_appending_goes_on_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("{OK_A}\n{{\"custom_id\":\"b\",\"resu"));
        let (done, mut file) = open(&path, false);
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
    fn retry_errored_drops_everything_but_successes() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("{OK_A}\n{ERR_B}\n{CANCELED_C}\n{OK_A}\n"));
        let (done, _) = open(&path, true);
        assert_eq!(done.dropped_for_retry, 2);
        assert_eq!(fs::read_to_string(&path).unwrap(), format!("{OK_A}\n"));
        assert!(!sibling(&path, ".claude-rs-rewrite").exists());
    }

    #[test]
    fn a_second_run_on_the_same_output_is_refused_while_the_first_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("{OK_A}\n"));
        let (_, first) = open(&path, false);
        let mut done = read_output(&path, false).unwrap();
        let error = open_output(&path, &mut done).unwrap_err();
        assert!(
            error
                .problem
                .contains("being written by another claude-rs batch"),
            "{}",
            error.problem
        );
        drop(first);
        assert!(
            open_output(&path, &mut done).is_ok(),
            "free once the first run ends"
        );
    }

    #[test]
    fn a_foreign_line_in_the_middle_is_refused_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, &format!("{OK_A}\nhello\n{ERR_B}\n"));
        let error = read_output(&path, false).unwrap_err();
        assert!(
            error.problem.contains("line 2 is not a result line"),
            "{}",
            error.problem
        );
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
