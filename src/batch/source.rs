//! Reading the batch input: line by line, never whole, twice. The first pass
//! checks every line (and every id against every other) before anything is
//! sent; the second hands out the requests. Stdin cannot be read twice, so it
//! is first copied to an unnamed temporary file: memory stays flat either way.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};

use super::estimate::Estimate;
use super::ids::{IdKey, IdLines};
use super::input::{Item, Line, LineError, parse_line};
use super::journal::{BOM, same_file};
use super::resume::{Done, Status};
use crate::api::types::MAX_REQUEST_BYTES;
use crate::config::{BatchInput, RequestDefaults, UsageError};

/// A line longer than this cannot hold a request the API would take; it is
/// skipped without being held in memory.
const MAX_LINE_BYTES: u64 = MAX_REQUEST_BYTES as u64 + 1024 * 1024;

pub struct InputFile {
    file: File,
    /// How messages name it: the path, or "stdin".
    pub name: String,
}

impl InputFile {
    pub fn open(input: &BatchInput) -> Result<InputFile, UsageError> {
        match input {
            BatchInput::File(path) => {
                let file = File::open(path).map_err(|e| {
                    UsageError::new(
                        format!("cannot read INPUT {}: {e}", path.display()),
                        "give the path of a file of requests, one per line, or - for stdin",
                    )
                })?;
                if file.metadata().is_ok_and(|m| m.is_dir()) {
                    return Err(UsageError::new(
                        format!("INPUT {} is a directory", path.display()),
                        "give the path of a file of requests, one per line",
                    ));
                }
                Ok(InputFile {
                    file,
                    name: path.display().to_string(),
                })
            }
            BatchInput::Stdin => spool(&mut io::stdin().lock(), MAX_LINE_BYTES),
        }
    }

    /// A file given as INPUT and as OUTPUT would be read while results are
    /// appended to it, and rewritten by a rerun: refused before either.
    pub fn refuse_as_output(&self, output: &std::path::Path) -> Result<(), UsageError> {
        match self.file.metadata() {
            // Stdin's copy has no name: it is never OUTPUT.
            Ok(meta) if same_file(&meta, output) => Err(UsageError::new(
                format!(
                    "OUTPUT {} is INPUT {} itself (the same file, however linked): results would be written into the requests",
                    output.display(),
                    self.name
                ),
                "give -o a path of its own for the results",
            )),
            _ => Ok(()),
        }
    }

    /// The lines from the start.
    pub fn lines(&mut self) -> io::Result<Lines<BufReader<&File>>> {
        self.file.seek(SeekFrom::Start(0))?;
        Ok(Lines::new(BufReader::with_capacity(64 * 1024, &self.file)))
    }
}

/// The temporary file has no name (it is unlinked at once), so nothing is
/// left behind even when the process is killed. A line longer than any
/// request stops the copy at once: it may never end (`< /dev/zero`), and the
/// temporary folder is often memory.
fn spool(stdin: &mut impl BufRead, cap: u64) -> Result<InputFile, UsageError> {
    // The temporary file that holds stdin could not be made or written.
    let keep = |e: io::Error| {
        UsageError::new(
            format!(
                "cannot keep the requests read from stdin in a temporary file under {}: {e}",
                std::env::temp_dir().display()
            ),
            "point TMPDIR at a writable folder with room, or give the requests as a file",
        )
    };
    let mut file = tempfile::tempfile().map_err(keep)?;
    let (mut line, mut line_bytes) = (1u64, 0u64);
    loop {
        let chunk = stdin.fill_buf().map_err(|e| {
            UsageError::new(
                format!("cannot read the requests from stdin: {e}"),
                "pipe the requests in again, or give them as a file",
            )
        })?;
        if chunk.is_empty() {
            break;
        }
        // A chunk (8 KiB) is far shorter than the cap: only the line it
        // continues and the line it leaves open can be over it.
        let first = chunk
            .iter()
            .position(|b| *b == b'\n')
            .unwrap_or(chunk.len());
        if line_bytes + first as u64 > cap {
            return Err(UsageError::new(
                format!(
                    "line {line} of stdin is over the API's 32 MB request limit (reading stopped there; nothing was sent)"
                ),
                "one request per line: check what is piped in, and split or trim the long line",
            ));
        }
        match chunk.iter().rposition(|b| *b == b'\n') {
            Some(last) => {
                line += chunk.iter().filter(|b| **b == b'\n').count() as u64;
                line_bytes = (chunk.len() - last - 1) as u64;
            }
            None => line_bytes += chunk.len() as u64,
        }
        io::Write::write_all(&mut file, chunk).map_err(keep)?;
        let read = chunk.len();
        stdin.consume(read);
    }
    Ok(InputFile {
        file,
        name: "stdin".into(),
    })
}

/// One line as read: text, or why it could not be text.
pub enum RawLine<'a> {
    Text(&'a str),
    NotUtf8 { offset: usize },
    TooLong,
}

pub struct Lines<R> {
    reader: R,
    number: u64,
    buffer: Vec<u8>,
    /// `MAX_LINE_BYTES`; smaller in tests, so the bound is tried cheaply.
    max_line: u64,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            number: 0,
            buffer: Vec::new(),
            max_line: MAX_LINE_BYTES,
        }
    }

    /// The next line and its 1-based number; `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, RawLine<'_>)>> {
        self.buffer.clear();
        let read = (&mut self.reader)
            .take(self.max_line)
            .read_until(b'\n', &mut self.buffer)?;
        if read == 0 {
            return Ok(None);
        }
        self.number += 1;
        if self.buffer.last() != Some(&b'\n') && read as u64 == self.max_line {
            // The rest of the line is read past, never held.
            self.reader.skip_until(b'\n')?;
            return Ok(Some((self.number, RawLine::TooLong)));
        }
        let bytes = self.buffer.strip_suffix(b"\n").unwrap_or(&self.buffer);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let bytes = match self.number {
            1 => bytes.strip_prefix(BOM).unwrap_or(bytes),
            _ => bytes,
        };
        let raw = match std::str::from_utf8(bytes) {
            Ok(text) => RawLine::Text(text),
            Err(e) => RawLine::NotUtf8 {
                offset: e.valid_up_to(),
            },
        };
        Ok(Some((self.number, raw)))
    }
}

/// The line as a request, or why it is not one.
pub fn parse_raw(line: u64, raw: RawLine<'_>, defaults: &RequestDefaults) -> Line {
    match raw {
        RawLine::Text(text) => parse_line(line, text, defaults),
        RawLine::NotUtf8 { offset } => Line::Invalid(LineError {
            line,
            custom_id: None,
            problem: format!("not valid UTF-8 (invalid byte at offset {offset})"),
        }),
        RawLine::TooLong => Line::Invalid(LineError {
            line,
            custom_id: None,
            problem: "the line is over 33 MB, more than the API's 32 MB request limit".into(),
        }),
    }
}

/// What the first pass found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Lines that are requests.
    pub items: u64,
    /// Requests this run has to do: not already in OUTPUT.
    pub to_do: u64,
    /// Requests already in OUTPUT, by how they ended.
    pub already_succeeded: u64,
    pub already_errored: u64,
    /// The first request whose result in OUTPUT answers a different request
    /// (`(line, custom_id)`): refused, never answered with the old result.
    pub changed: Option<(u64, String)>,
    /// Every invalid line by number, each with the id its errored result
    /// would carry (its own, or `line-N` when it has none that can be used).
    pub invalid: BTreeMap<u64, LineError>,
    /// What the requests to do would use (`--dry-run` shows it).
    pub estimate: Estimate,
}

/// Reads every line once: all problems, duplicates included, with line
/// numbers, and how many requests are still to do after an earlier run.
pub fn check_all(
    input: &mut InputFile,
    defaults: &RequestDefaults,
    done: &mut Done,
) -> io::Result<Checked> {
    let mut checked = Checked::default();
    let mut first = FirstLines::default();
    let mut lines = input.lines()?;
    while let Some((number, raw)) = lines.next_line()? {
        match parse_raw(number, raw, defaults) {
            Line::Blank => {}
            Line::Item(item) => match first.claim(done, IdKey::of(&item.custom_id), number) {
                Some(first) => {
                    let error = LineError {
                        line: number,
                        custom_id: None,
                        problem: format!(
                            "duplicate custom_id \"{}\" (first on line {first})",
                            item.custom_id
                        ),
                    };
                    checked.invalid.insert(number, error);
                }
                None => {
                    let key = IdKey::of(&item.custom_id);
                    let status = done.status_of(key);
                    if status != Status::ToDo
                        && checked.changed.is_none()
                        && done.changed(key, item.fingerprint)
                    {
                        checked.changed = Some((number, item.custom_id.clone()));
                    }
                    match status {
                        Status::ToDo => {
                            done.note_to_do(key);
                            checked.to_do += 1;
                            checked.estimate.add(&item.custom_id, &item.params);
                        }
                        Status::AlreadySucceeded => checked.already_succeeded += 1,
                        Status::AlreadyErrored => checked.already_errored += 1,
                    }
                    checked.items += 1;
                }
            },
            Line::Invalid(error) => {
                // An invalid line's own id still claims its name: a later line
                // with the same id is a duplicate of it.
                if let Some(key) = error.custom_id.as_deref().map(IdKey::of) {
                    first.claim(done, key, number);
                }
                checked.invalid.insert(number, error);
            }
        }
    }
    for error in checked.invalid.values_mut() {
        let usable = error
            .custom_id
            .as_ref()
            .is_some_and(|id| first.of(done, IdKey::of(id)) == Some(error.line));
        if !usable {
            let taken = first.others.len().saturating_add(done.count());
            let id = placeholder_id(error.line, taken, |key| first.of(done, key).is_some());
            error.custom_id = Some(id);
        }
    }
    Ok(checked)
}

/// The line that first has each id of the input: kept in `done` for the ids
/// OUTPUT holds (a resume keeps no second copy of them), here for the rest.
#[derive(Default)]
struct FirstLines {
    others: IdLines,
}

impl FirstLines {
    /// The line that had `key` before `line`, or `None` when `line` is the
    /// first (and is noted as such).
    fn claim(&mut self, done: &mut Done, key: IdKey, line: u64) -> Option<u64> {
        match done.claim(key, line) {
            Some(first) => first,
            None => {
                let known = self.others.get(&key).copied();
                if known.is_none() {
                    self.others.insert(key, line);
                }
                known
            }
        }
    }

    fn of(&self, done: &Done, key: IdKey) -> Option<u64> {
        done.first_line(key)
            .or_else(|| self.others.get(&key).copied())
    }
}

/// `line-N` for an invalid line without an id of its own, or `line-N-2`,
/// `line-N-3`, … when the input already uses that. Of the first `taken + 1`
/// candidates one is free, so the search ends; each is at most 46 characters
/// of the custom_id alphabet, and no two lines ever share one.
fn placeholder_id(line: u64, taken: usize, is_taken: impl Fn(IdKey) -> bool) -> String {
    let candidate = |n: u64| match n {
        0 | 1 => format!("line-{line}"),
        n => format!("line-{line}-{n}"),
    };
    let tries = u64::try_from(taken).unwrap_or(u64::MAX).saturating_add(2);
    (1..=tries)
        .map(candidate)
        .find(|id| !is_taken(IdKey::of(id)))
        .unwrap_or_else(|| candidate(u64::MAX))
}

/// One entry of the second pass.
pub enum Entry {
    Item(Item),
    Invalid(LineError),
}

/// The second pass: every request and every invalid line, in input order.
pub fn for_each_entry(
    input: &mut InputFile,
    defaults: &RequestDefaults,
    invalid: &BTreeMap<u64, LineError>,
    mut visit: impl FnMut(Entry) -> bool,
) -> io::Result<()> {
    let mut lines = input.lines()?;
    while let Some((number, raw)) = lines.next_line()? {
        let entry = match invalid.get(&number) {
            Some(error) => Entry::Invalid(error.clone()),
            None => match parse_raw(number, raw, defaults) {
                Line::Item(item) => Entry::Item(item),
                // The first pass saw the same bytes: blank stays blank.
                Line::Blank | Line::Invalid(_) => continue,
            },
        };
        if !visit(entry) {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::input::valid_custom_id;
    use crate::testing::{chunked_buf, splits};
    use proptest::prelude::*;
    use std::io::Write;

    fn defaults() -> RequestDefaults {
        RequestDefaults {
            model: "claude-sonnet-4-6".into(),
            system: None,
            max_tokens: 10,
            temperature: None,
        }
    }

    fn input_of(text: &[u8]) -> (tempfile::NamedTempFile, InputFile) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text).unwrap();
        let input = InputFile::open(&BatchInput::File(file.path().to_path_buf())).unwrap();
        (file, input)
    }

    #[test]
    fn an_endless_line_on_stdin_stops_the_copy_at_the_cap() {
        let endless = io::Cursor::new(b"a\nb\n".to_vec()).chain(io::repeat(b'y'));
        let mut stdin = BufReader::with_capacity(16, endless);
        let refused = spool(&mut stdin, 1000).err().map(|e| e.problem);
        assert!(refused.is_some_and(|p| p.starts_with("line 3 of stdin is over")));
        let long_but_ended = [vec![b'y'; 999], b"\nz".to_vec()].concat();
        let mut fine = BufReader::with_capacity(16, io::Cursor::new(long_but_ended));
        assert!(spool(&mut fine, 1000).is_ok());
    }

    #[test]
    fn finds_every_problem_with_its_line_number() {
        let text = b"hello\n\n{\"custom_id\":\"a\",\"prompt\":\"x\"}\n{\"custom_id\":\"a\",\"prompt\":\"y\"}\nnot \xff utf8\n{broken\n{\"custom_id\":\"3\",\"prompt\":\"z\"}\n";
        let (_keep, mut input) = input_of(text);
        let checked = check_all(&mut input, &defaults(), &mut Done::default()).unwrap();
        assert_eq!(
            checked.items, 3,
            "line 1 (id 1), line 3 (id a), line 7 (id 3)"
        );
        let problems: Vec<(u64, &str, &str)> = checked
            .invalid
            .values()
            .map(|e| (e.line, e.custom_id.as_deref().unwrap(), e.problem.as_str()))
            .collect();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(problems[0].0, 4);
        assert!(
            problems[0]
                .2
                .contains("duplicate custom_id \"a\" (first on line 3)")
        );
        assert_eq!(problems[0].1, "line-4");
        assert_eq!(problems[1].0, 5);
        assert!(problems[1].2.contains("UTF-8"));
        assert_eq!(problems[2].0, 6);
        assert!(problems[2].2.contains("not valid JSON"));
    }

    #[test]
    fn a_duplicate_of_an_id_already_in_output_names_its_first_line() {
        let text = b"{\"custom_id\":\"a\",\"prompt\":\"x\"}\n{\"custom_id\":\"a\",\"prompt\":\"x\"}\n{\"k\n";
        let (_keep, mut input) = input_of(text);
        let mut done = Done::default();
        done.record(IdKey::of("a"), true, None);
        done.record(IdKey::of("line-3"), false, None);
        let checked = check_all(&mut input, &defaults(), &mut done).unwrap();
        assert_eq!((checked.items, checked.already_succeeded), (1, 1));
        assert!(checked.invalid[&2].problem.contains("(first on line 1)"));
        assert_eq!(checked.invalid[&2].custom_id.as_deref(), Some("line-2"));
        assert_eq!(checked.invalid[&3].custom_id.as_deref(), Some("line-3"));
    }

    #[test]
    fn an_invalid_line_keeps_its_own_id_and_a_later_copy_is_a_duplicate() {
        let text =
            b"{\"custom_id\":\"k\",\"prompt\":\"\"}\n{\"custom_id\":\"k\",\"prompt\":\"x\"}\n";
        let (_keep, mut input) = input_of(text);
        let checked = check_all(&mut input, &defaults(), &mut Done::default()).unwrap();
        assert_eq!(checked.items, 0);
        assert_eq!(checked.invalid[&1].custom_id.as_deref(), Some("k"));
        assert_eq!(checked.invalid[&2].custom_id.as_deref(), Some("line-2"));
    }

    #[test]
    fn the_second_pass_hands_out_items_and_invalid_lines_in_order() {
        let text = b"one\n{bad\ntwo";
        let (_keep, mut input) = input_of(text);
        let checked = check_all(&mut input, &defaults(), &mut Done::default()).unwrap();
        let mut seen = Vec::new();
        for_each_entry(&mut input, &defaults(), &checked.invalid, |entry| {
            seen.push(match entry {
                Entry::Item(item) => item.custom_id,
                Entry::Invalid(error) => format!("invalid {}", error.line),
            });
            true
        })
        .unwrap();
        assert_eq!(seen, ["1", "invalid 2", "3"]);
    }

    #[test]
    fn a_placeholder_never_takes_an_id_in_use() {
        let taken: IdLines = [(IdKey::of("line-2"), 9)].into();
        assert_eq!(
            placeholder_id(2, taken.len(), |k| taken.contains_key(&k)),
            "line-2-2"
        );
        assert_eq!(
            placeholder_id(3, taken.len(), |k| taken.contains_key(&k)),
            "line-3"
        );
    }

    #[test]
    fn a_placeholder_is_found_whatever_ids_the_input_took() {
        // The old `-x` suffixes, up to 64 characters, and the numbered ones.
        let mut taken = IdLines::new();
        let mut id = "line-1".to_string();
        while id.len() <= 64 {
            taken.insert(IdKey::of(&id), 2);
            id.push_str("-x");
        }
        for n in 2..1000 {
            taken.insert(IdKey::of(&format!("line-1-{n}")), 3);
        }
        let id = placeholder_id(1, taken.len(), |k| taken.contains_key(&k));
        assert_eq!(id, "line-1-1000");
        assert!(valid_custom_id(&id));
        assert!(valid_custom_id(&placeholder_id(
            u64::MAX,
            taken.len(),
            |k| taken.contains_key(&k)
        )));
    }

    /// Every line of `text` as the first pass sees it, read through `reader`.
    fn parsed(reader: impl BufRead, max_line: u64) -> Vec<(u64, Line)> {
        let mut lines = Lines {
            max_line,
            ..Lines::new(reader)
        };
        let mut seen = Vec::new();
        while let Some((number, raw)) = lines.next_line().unwrap() {
            seen.push((number, parse_raw(number, raw, &defaults())));
            assert!(lines.buffer.len() as u64 <= max_line);
        }
        seen
    }

    /// Batch input as people and tools make it: prompts, JSON lines good and
    /// bad, stray line endings, bytes that are not UTF-8.
    fn input_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"{\"custom_id\":\"a\",\"prompt\":\"hi\"}".to_vec()),
            Just(b"{\"custom_id\":\"b\",\"params\":{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":5}}".to_vec()),
            "[a-z ]{0,20}".prop_map(String::into_bytes),
            any::<String>().prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..30),
            prop::sample::select(vec![&b"\n"[..], b"\r\n", b"\r", b"{", b"\xff"]).prop_map(<[u8]>::to_vec),
        ];
        proptest::collection::vec(piece, 0..20).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn the_input_reads_the_same_however_it_is_split(
            text in input_bytes(),
            split in splits(),
            max_line in 8u64..200,
        ) {
            let whole = parsed(&text[..], max_line);
            let parts = parsed(chunked_buf(&text, &split), max_line);
            prop_assert_eq!(whole, parts);
        }

        #[test]
        fn placeholders_are_valid_ids_that_no_line_took(
            line in any::<u64>(),
            taken_numbers in proptest::collection::vec(0u64..50, 0..50),
            also_plain in any::<bool>(),
        ) {
            let mut taken: IdLines = taken_numbers
                .iter()
                .map(|n| (IdKey::of(&format!("line-{line}-{n}")), 1))
                .collect();
            if also_plain {
                taken.insert(IdKey::of(&format!("line-{line}")), 1);
            }
            let id = placeholder_id(line, taken.len(), |k| taken.contains_key(&k));
            prop_assert!(valid_custom_id(&id), "{}", id);
            prop_assert!(!taken.contains_key(&IdKey::of(&id)));
        }
    }

    #[test]
    fn a_line_over_the_bound_is_refused_without_being_held() {
        let mut text = vec![b'x'; 1000];
        text.extend_from_slice(b"\nnext\n");
        let seen = parsed(&text[..], 100);
        assert_eq!(seen.len(), 2);
        assert!(matches!(&seen[0].1, Line::Invalid(e) if e.problem.contains("over 33 MB")));
        assert!(matches!(&seen[1].1, Line::Item(item) if item.custom_id == "2"));
    }

    #[test]
    fn a_missing_file_and_a_directory_are_usage_errors() {
        let missing = InputFile::open(&BatchInput::File("/nonexistent/x.jsonl".into()));
        assert!(missing.err().unwrap().problem.contains("cannot read INPUT"));
        let dir = tempfile::tempdir().unwrap();
        let folder = InputFile::open(&BatchInput::File(dir.path().to_path_buf()));
        assert!(folder.is_err());
    }
}
