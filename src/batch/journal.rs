//! One JSONL journal, the shape of both files a batch appends to: OUTPUT
//! (result lines) and `OUTPUT.batches` (the Message Batches of a remote run).
//! One line per record, each written with one write; opened for reading and
//! appending at once, locked where asked, read back line by line (a line
//! longer than is ever held is parsed as it streams).
//!
//! The one repair: a last line without its newline that does not parse but
//! starts as our writer starts every line is the torn end of a write a kill
//! cut short, and is cut off before the next append. Anything else that is
//! not one of our lines is refused, never removed: the file may be the
//! user's, named by mistake.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::config::UsageError;

/// A UTF-8 byte order mark, which some editors put at the start of a file:
/// not part of the first line.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The longest line held in memory while the file is read; a longer one (a
/// huge reply) is parsed as it streams.
const HELD_LINE_BYTES: u64 = 1024 * 1024;

/// What a scan found besides the lines themselves.
#[derive(Debug, Default, PartialEq)]
pub struct Scanned {
    /// The length of the whole lines, BOM included.
    pub complete_bytes: u64,
    /// Bytes of a torn last line, cut off before the next append.
    pub torn_bytes: u64,
    /// A whole last line without its newline (an edited file): kept, and
    /// the newline added before the next append.
    pub missing_newline: bool,
}

/// Why a scan stopped.
#[derive(Debug)]
pub enum ScanError {
    Read(io::Error),
    /// Line `number` is not one of the journal's lines.
    Foreign {
        number: u64,
        problem: String,
    },
}

/// Reads every line of `reader` as a `T`, in order. `start` is how the
/// writer begins every line: only a last line that begins so (or is cut
/// before the end of it) may be torn.
pub fn scan<T: DeserializeOwned>(
    mut reader: impl BufRead,
    start: &[u8],
    mut each: impl FnMut(T),
) -> Result<Scanned, ScanError> {
    let mut scanned = Scanned::default();
    let mut buffer = Vec::new();
    let mut number = 0u64;
    loop {
        buffer.clear();
        let read = (&mut reader)
            .take(HELD_LINE_BYTES)
            .read_until(b'\n', &mut buffer)
            .map_err(ScanError::Read)?;
        if read == 0 {
            return Ok(scanned);
        }
        number += 1;
        let bom = usize::from(number == 1 && buffer.starts_with(BOM)) * BOM.len();
        let mut whole = buffer.last() == Some(&b'\n');
        let mut read = read as u64;
        let parsed = if whole || read < HELD_LINE_BYTES {
            serde_json::from_slice::<T>(&buffer[bom..])
        } else {
            let mut rest = OneLine {
                inner: &mut reader,
                read: 0,
                saw_newline: false,
            };
            let parsed = serde_json::from_reader::<_, T>(BufReader::new(
                io::Cursor::new(&buffer[bom..]).chain(&mut rest),
            ));
            if let Err(e) = &parsed
                && let Some(kind) = e.io_error_kind()
            {
                return Err(ScanError::Read(kind.into()));
            }
            io::copy(&mut rest, &mut io::sink()).map_err(ScanError::Read)?;
            read += rest.read;
            whole = rest.saw_newline;
            parsed
        };
        let line = &buffer[bom..];
        if line.iter().all(u8::is_ascii_whitespace) && read < HELD_LINE_BYTES {
            scanned.complete_bytes += read;
            continue;
        }
        match parsed {
            Ok(value) => each(value),
            Err(_) if !whole && (line.starts_with(start) || start.starts_with(line)) => {
                scanned.torn_bytes = read;
                return Ok(scanned);
            }
            Err(e) => {
                let problem = match whole {
                    true => e.to_string(),
                    false => format!(
                        "{e}; it is the last line and lacks its newline, but it does not start as a line claude-rs writes, so it is not a torn one"
                    ),
                };
                return Err(ScanError::Foreign { number, problem });
            }
        }
        scanned.complete_bytes += read;
        scanned.missing_newline = !whole;
    }
}

/// One line of a reader, as a reader of its own: it ends after the line's
/// newline (a JSON line holds none inside), and counts what it gave.
struct OneLine<'r, R> {
    inner: &'r mut R,
    read: u64,
    saw_newline: bool,
}

impl<R: BufRead> io::Read for OneLine<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.saw_newline || out.is_empty() {
            return Ok(0);
        }
        let available = self.inner.fill_buf()?;
        let window = &available[..available.len().min(out.len())];
        let take = window
            .iter()
            .position(|b| *b == b'\n')
            .map_or(window.len(), |at| at + 1);
        out[..take].copy_from_slice(&window[..take]);
        self.saw_newline = take > 0 && window[take - 1] == b'\n';
        self.inner.consume(take);
        self.read += take as u64;
        Ok(take)
    }
}

/// A journal file, read and held open for appending.
#[derive(Debug, Default)]
pub struct Journal {
    pub path: PathBuf,
    /// How messages name it ("OUTPUT", "the state file").
    what: &'static str,
    lock: bool,
    file: Option<File>,
    pub scanned: Scanned,
}

impl Journal {
    /// Opens (and, with `lock`, locks) the file at `path` and reads every
    /// line into `each`, changing nothing. A missing file holds nothing; one
    /// that is not a regular file, or holds anything but our lines, is refused.
    pub fn open<T: DeserializeOwned>(
        path: &Path,
        what: &'static str,
        start: &[u8],
        lock: bool,
        each: impl FnMut(T),
    ) -> Result<Journal, UsageError> {
        let mut journal = Journal {
            path: path.to_path_buf(),
            what,
            lock,
            file: None,
            scanned: Scanned::default(),
        };
        // Asked before opening: opening a FIFO or a device reads or blocks.
        if let Ok(meta) = fs::metadata(path)
            && !meta.is_file()
        {
            return Err(UsageError::new(
                format!(
                    "{what} {} is {}: lines are appended to a file and read back on a rerun",
                    path.display(),
                    match meta.is_dir() {
                        true => "a directory",
                        false => "not a regular file (a FIFO, a device or a socket)",
                    }
                ),
                "give -o the path of a regular file; without -o the results go to stdout",
            ));
        }
        let file = match OpenOptions::new().read(true).append(true).open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(journal),
            // A file that can be read but not written is refused for the writing, and says so.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied && File::open(path).is_ok() => {
                return Err(UsageError::new(
                    format!(
                        "cannot write {what} {}: it is read-only to you ({e}); lines are appended to it",
                        path.display()
                    ),
                    "make it writable (chmod u+w), or give -o another path",
                ));
            }
            Err(e) => return Err(journal.failed("read", e)),
        };
        journal.lock(&file)?;
        journal.scanned =
            scan(BufReader::with_capacity(64 * 1024, &file), start, each).map_err(|e| match e {
                ScanError::Read(e) => journal.failed("read", e),
                ScanError::Foreign { number, problem } => UsageError::new(
                    format!(
                        "{what} {} line {number} is not a line claude-rs wrote ({problem}); nothing was changed",
                        journal.path.display()
                    ),
                    match what {
                        "OUTPUT" => "OUTPUT must be a results file written by claude-rs batch or the Message Batches API: \
                                     give -o a new path, or move that file away",
                        _ => "it lists the Message Batches of an earlier --remote run with this OUTPUT: fix or remove it \
                              (claude-rs batch --list shows recent batches; --batch-id follows one)",
                    },
                ),
            })?;
        journal.file = Some(file);
        Ok(journal)
    }

    fn failed(&self, doing: &str, e: io::Error) -> UsageError {
        UsageError::new(
            format!("cannot {doing} {} {}: {e}", self.what, self.path.display()),
            "check the permissions of the file and its folder, or give -o another path",
        )
    }

    /// Two runs appending to one file would each do what the other is
    /// doing: the second is refused while the first holds it. The lock goes
    /// with the process, however it ends.
    fn lock(&self, file: &File) -> Result<(), UsageError> {
        match self.lock.then(|| file.try_lock()) {
            Some(Err(fs::TryLockError::WouldBlock)) => Err(self.busy()),
            // A filesystem without locks (some network mounts): go on unguarded.
            _ => Ok(()),
        }
    }

    fn busy(&self) -> UsageError {
        UsageError::new(
            format!(
                "{} {} is being written by another claude-rs batch",
                self.what,
                self.path.display()
            ),
            "wait for that run to end (or stop it), then rerun; or give another -o",
        )
    }

    /// The file, ready to append to: created if it was missing, a torn last
    /// line cut off, a missing last newline added.
    pub fn ready(&mut self) -> Result<&mut File, UsageError> {
        let mut file = match self.file.take() {
            Some(file) => file,
            None => {
                let file = crate::private::new_file_options()
                    .read(true)
                    .append(true)
                    .create(true)
                    .open(&self.path)
                    .map_err(|e| self.failed("open", e))?;
                self.lock(&file)?;
                // It did not exist when read: if it holds anything now,
                // another run created it in between.
                if file.metadata().map_err(|e| self.failed("open", e))?.len() > 0 {
                    return Err(self.busy());
                }
                file
            }
        };
        if self.scanned.torn_bytes > 0 {
            file.set_len(self.scanned.complete_bytes)
                .map_err(|e| self.failed("repair", e))?;
            self.scanned.torn_bytes = 0;
        }
        if self.scanned.missing_newline {
            file.write_all(b"\n")
                .map_err(|e| self.failed("repair", e))?;
            self.scanned.missing_newline = false;
        }
        Ok(self.file.insert(file))
    }

    /// Hands the open file over (to a rewrite, or to the run's writer).
    pub fn take(&mut self) -> Option<File> {
        self.file.take()
    }

    /// Forgets the file: the next `ready` creates it again.
    pub fn close(&mut self) {
        self.file = None;
        self.scanned = Scanned::default();
    }
}

/// `path` with `suffix` added to its name (`out.jsonl.batches`).
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Whether `a` and `b` are the same file, however linked (hard links,
/// symlinks, two spellings of one path).
pub fn same_file(a: &fs::Metadata, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(b).is_ok_and(|b| a.dev() == b.dev() && a.ino() == b.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{chunked_buf, splits};
    use proptest::prelude::*;
    use serde_json::Value;

    const START: &[u8] = br#"{"custom_id":"#;

    fn ids(text: &[u8]) -> (Result<Scanned, String>, Vec<Value>) {
        let mut seen = Vec::new();
        let scanned = scan(text, START, |v: Value| seen.push(v)).map_err(|e| format!("{e:?}"));
        (scanned, seen)
    }

    #[test]
    fn a_torn_line_is_one_that_starts_as_ours() {
        let (scanned, seen) = ids(b"{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\",\"res");
        let scanned = scanned.unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!((scanned.complete_bytes, scanned.torn_bytes), (18, 21));
        assert_eq!(ids(b"{\"cus").0.unwrap().torn_bytes, 5);
        for foreign in [&b"hello"[..], b"{\"a\":1", b"[1,2", b"not json\n"] {
            let error = ids(foreign).0.unwrap_err();
            assert!(error.contains("Foreign { number: 1"), "{error}");
        }
    }

    #[test]
    fn a_bom_is_not_part_of_the_first_line() {
        let (scanned, seen) = ids(b"\xEF\xBB\xBF{\"custom_id\":\"a\"}\n");
        assert_eq!(scanned.unwrap().complete_bytes, 21);
        assert_eq!(seen[0]["custom_id"], "a");
        assert!(ids(b"{}\n\xEF\xBB\xBF{}\n").0.is_err(), "only at the start");
    }

    #[test]
    fn a_whole_last_line_without_its_newline_is_kept() {
        let (scanned, seen) = ids(b"{\"custom_id\":\"a\"}");
        assert!(scanned.unwrap().missing_newline);
        assert_eq!(seen.len(), 1);
    }

    fn journal_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"{\"custom_id\":\"a\",\"result\":{}}".to_vec()),
            Just(b"{\"custom_id\":\"b\"".to_vec()),
            Just(BOM.to_vec()),
            Just(b"\n".to_vec()),
            Just(b"  ".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..20),
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn a_scan_never_panics_and_reads_the_same_however_it_is_split(
            text in journal_bytes(),
            split in splits(),
        ) {
            let whole = ids(&text);
            let mut seen = Vec::new();
            let parts = scan(chunked_buf(&text, &split), START, |v: Value| seen.push(v))
                .map_err(|e| format!("{e:?}"));
            prop_assert_eq!(&whole, &(parts, seen));
            if let Ok(scanned) = whole.0 {
                prop_assert!(scanned.complete_bytes + scanned.torn_bytes <= text.len() as u64);
            }
        }
    }
}
