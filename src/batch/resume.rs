//! The OUTPUT of an earlier run, read back so that a rerun does only what is
//! missing: every id ends up in the file exactly once, however the earlier run
//! ended (finished, Ctrl-C, SIGKILL mid-write). OUTPUT is locked before it is
//! read, and stays locked until the process ends: a second run on the same
//! file is refused instead of redoing the first one's items.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
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
    /// The errored ids this run's input does again: only their lines are
    /// dropped from OUTPUT (an errored id not in the input stays).
    pub redo: IdSet,
    /// Bytes of a torn last line (a run killed mid-write), cut off by `open_output`.
    pub torn_bytes: u64,
    /// A last line that is whole but lacks its newline (an edited file):
    /// kept, and the newline added before anything is appended.
    missing_newline: bool,
    /// The length of OUTPUT's complete lines.
    complete_bytes: u64,
    /// Errored lines removed for `--retry-errored`.
    pub dropped_for_retry: u64,
    /// OUTPUT, opened and locked when it was read.
    held: Option<File>,
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
        self.status_of(IdKey::of(id))
    }

    pub fn status_of(&self, key: IdKey) -> Status {
        if self.succeeded.contains(&key) {
            Status::AlreadySucceeded
        } else if self.errored.contains(&key) && !self.retry_errored {
            Status::AlreadyErrored
        } else {
            Status::ToDo
        }
    }

    /// Notes that an id of the input is to be done again although OUTPUT
    /// holds an error for it (`--retry-errored`).
    pub fn note_to_do(&mut self, key: IdKey) {
        if self.retry_errored && self.errored.contains(&key) {
            self.redo.insert(key);
        }
    }

    /// What `open_output` repaired or rewrote, for stderr: `(warning, text)`.
    pub fn repairs(&self, output: &str) -> Vec<(bool, String)> {
        let mut said = Vec::new();
        if self.torn_bytes > 0 {
            said.push((
                true,
                format!(
                    "{output} ended in a torn line ({} bytes) left by a run that was killed: removed; that item is done again",
                    self.torn_bytes
                ),
            ));
        }
        if self.dropped_for_retry > 0 {
            let lines = if self.dropped_for_retry == 1 {
                "line"
            } else {
                "lines"
            };
            said.push((
                false,
                format!(
                    "--retry-errored: removed {} errored {lines} from {output}; those items are done again",
                    self.dropped_for_retry
                ),
            ));
        }
        said
    }

    /// Whether OUTPUT keeps a line for this id through this run.
    pub fn keeps(&self, key: &IdKey) -> bool {
        self.succeeded.contains(key) || (self.errored.contains(key) && !self.redo.contains(key))
    }
}

/// The longest line of OUTPUT held in memory while it is read; a longer one
/// (a huge reply) is parsed as it streams.
const HELD_LINE_BYTES: u64 = 1024 * 1024;

/// One line of a reader, as a reader of its own: it ends after the line's
/// newline (a JSON line holds none inside), and counts what it gave.
struct OneLine<'r, R> {
    inner: &'r mut R,
    read: u64,
    saw_newline: bool,
    /// A read error of the file itself, kept apart from the JSON's.
    error: Option<io::Error>,
}

impl<'r, R: BufRead> OneLine<'r, R> {
    fn new(inner: &'r mut R) -> OneLine<'r, R> {
        OneLine {
            inner,
            read: 0,
            saw_newline: false,
            error: None,
        }
    }
}

impl<R: BufRead> io::Read for OneLine<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.saw_newline || self.error.is_some() || out.is_empty() {
            return Ok(0);
        }
        let available = match self.inner.fill_buf() {
            Ok(available) => available,
            Err(error) => {
                let kind = error.kind();
                self.error = Some(error);
                return Err(io::Error::new(kind, "OUTPUT could not be read"));
            }
        };
        let window = &available[..available.len().min(out.len())];
        let take = window
            .iter()
            .position(|b| *b == b'\n')
            .map_or(window.len(), |at| at + 1);
        out[..take].copy_from_slice(&available[..take]);
        self.saw_newline = take > 0 && available[take - 1] == b'\n';
        self.inner.consume(take);
        self.read += take as u64;
        Ok(take)
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

/// Locks OUTPUT (if it exists) and reads what an earlier run left in it,
/// changing nothing. A missing file holds nothing.
pub fn read_output(path: &Path, retry_errored: bool) -> Result<Done, UsageError> {
    if path.is_dir() {
        return Err(unusable(format!(
            "OUTPUT {} is a directory",
            path.display()
        )));
    }
    if let Err(e) = crate::private::refuse_pipe(path) {
        return Err(unusable(format!("OUTPUT {}: {e}", path.display())));
    }
    let opened = OpenOptions::new().read(true).append(true).open(path);
    let mut done = match opened {
        Ok(file) => {
            lock(&file, path)?;
            let mut done = scan(&file, path)?;
            done.held = Some(file);
            done
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Done::default(),
        // Opened for reading and appending at once: a file that can be read
        // but not written is refused for the writing, and says so.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied && File::open(path).is_ok() => {
            return Err(UsageError::new(
                format!(
                    "cannot write OUTPUT {}: it is read-only to you ({e}); results are appended to it",
                    path.display()
                ),
                "make it writable (chmod u+w), or give -o another path",
            ));
        }
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

/// Makes OUTPUT ready for this run and returns it, locked, for appending: a
/// torn last line is cut off, a missing last newline added, and the lines of
/// `done.redo` dropped. Called only once the input is known to be good.
pub fn open_output(path: &Path, done: &mut Done) -> Result<File, UsageError> {
    let open_error = |e: io::Error| unusable(format!("cannot open OUTPUT {}: {e}", path.display()));
    let mut file = match done.held.take() {
        Some(file) => file,
        None => {
            let file = crate::private::new_file_options()
                .read(true)
                .append(true)
                .create(true)
                .open(path)
                .map_err(open_error)?;
            lock(&file, path)?;
            // It did not exist when read: if it holds anything now, another
            // run created it in between.
            if file.metadata().map_err(open_error)?.len() > 0 {
                return Err(busy(path));
            }
            file
        }
    };
    if done.torn_bytes > 0 {
        file.set_len(done.complete_bytes).map_err(open_error)?;
    }
    if done.missing_newline {
        file.write_all(b"\n").map_err(open_error)?;
    }
    if !done.redo.is_empty() {
        let (rewritten, dropped) = drop_redone(path, &mut file, done).map_err(|e| {
            unusable(format!(
                "cannot rewrite OUTPUT {} without its errored lines: {e}",
                path.display()
            ))
        })?;
        done.dropped_for_retry = dropped;
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
        Err(std::fs::TryLockError::WouldBlock) => Err(busy(path)),
        // A filesystem without locks (some network mounts): go on unguarded.
        Err(std::fs::TryLockError::Error(_)) => Ok(()),
    }
}

fn busy(path: &Path) -> UsageError {
    UsageError::new(
        format!(
            "OUTPUT {} is being written by another claude-rs batch",
            path.display()
        ),
        "wait for that run to end (or stop it), then rerun; or give another -o",
    )
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
    let mut complete_bytes: u64 = 0;
    let mut number = 0u64;
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = (&mut reader)
            .take(HELD_LINE_BYTES)
            .read_until(b'\n', &mut buffer)
            .map_err(read_error)?;
        if read == 0 {
            break;
        }
        let mut whole = buffer.last() == Some(&b'\n');
        let mut read = read as u64;
        let parsed = if whole || read < HELD_LINE_BYTES {
            serde_json::from_slice::<ResultHead>(&buffer)
        } else {
            // A line longer than is ever held: the rest is parsed as it
            // streams, the fields a rerun needs kept and the rest (a reply
            // of any size) skipped unheld.
            let mut rest = OneLine::new(&mut reader);
            let parsed = serde_json::from_reader::<_, ResultHead>(io::BufReader::new(
                io::Cursor::new(&buffer).chain(&mut rest),
            ));
            io::copy(&mut rest, &mut io::sink()).map_err(read_error)?;
            if let Some(error) = rest.error.take() {
                return Err(read_error(error));
            }
            read += rest.read;
            whole = rest.saw_newline;
            parsed
        };
        number += 1;
        if buffer.iter().all(u8::is_ascii_whitespace) && read < HELD_LINE_BYTES {
            complete_bytes += read;
            continue;
        }
        let head = match parsed {
            Ok(head) => head,
            // Only the last line can lack its newline: a run killed mid-write.
            Err(_) if !whole => {
                done.torn_bytes = read;
                break;
            }
            Err(e) => {
                return Err(UsageError::new(
                    format!(
                        "OUTPUT {} line {number} is not a result line ({e})",
                        path.display()
                    ),
                    "OUTPUT must be a results file written by claude-rs batch or the Message Batches API: \
                     move it away, or fix that line",
                ));
            }
        };
        complete_bytes += read;
        done.missing_newline = !whole;
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
        for line in BufReader::new(&*old).split(b'\n') {
            let line = line?;
            let Ok(head) = serde_json::from_slice::<ResultHead>(&line) else {
                continue;
            };
            let key = IdKey::of(&head.custom_id);
            let success = head.result.kind == "succeeded";
            let keep = if success {
                // A success is kept once, even if an older file held it twice.
                kept_successes.insert(key)
            } else {
                !done.redo.contains(&key) && !done.succeeded.contains(&key)
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
        assert!(done.succeeded.is_empty() && done.errored.is_empty());
        assert!(!path.exists(), "reading changes nothing");
        let (_, _) = open(&path, false, &[]);
        assert!(path.exists());
    }

    #[test]
    fn a_line_longer_than_is_ever_held_is_read_as_it_streams() {
        let dir = tempfile::tempdir().unwrap();
        let reply = "x".repeat(3 * HELD_LINE_BYTES as usize);
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
