//! The state file of a remote batch, `OUTPUT.batches`: which Message Batches
//! hold which items, so that a process that dies (Ctrl-C, SIGKILL, a reboot)
//! can be resumed by running the same command again without submitting
//! anything twice. A public contract (docs/batch-files.md).
//!
//! JSONL, one line per event, appended with one write and fsync'd before the
//! run goes on:
//!
//! ```text
//! {"event":"submitted","ts":"…","batch_id":"msgbatch_…","created_at":"…","requests":2,"custom_ids":["a","b"]}
//! {"event":"followed","ts":"…","batch_id":"msgbatch_…"}
//! {"event":"downloaded","ts":"…","batch_id":"msgbatch_…"}
//! ```
//!
//! `followed` is a batch given with `--batch-id`, whose items are not known
//! until its results arrive. Once every batch listed is downloaded the file
//! is removed: OUTPUT then holds everything, and the batch ids are in the log.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::batch::journal::{Journal, sibling};
use crate::batch::summary::Stop;
use crate::config::UsageError;
use crate::log::timestamp;

/// What is added to OUTPUT's name.
pub const SUFFIX: &str = ".batches";

pub fn path_for(output: &Path) -> PathBuf {
    sibling(output, SUFFIX)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Line {
    Submitted {
        ts: String,
        batch_id: String,
        created_at: Option<String>,
        requests: u64,
        custom_ids: Vec<String>,
    },
    Followed {
        ts: String,
        batch_id: String,
    },
    Downloaded {
        ts: String,
        batch_id: String,
    },
}

/// One batch the file knows.
#[derive(Clone, Debug, PartialEq)]
pub struct Tracked {
    pub id: String,
    /// The items it holds; `None` for a followed batch.
    pub custom_ids: Option<Vec<String>>,
    pub downloaded: bool,
}

#[derive(Debug)]
pub struct State {
    journal: Journal,
    pub batches: Vec<Tracked>,
    /// Bytes of a torn last line (a process killed mid-write), cut off before
    /// the next append.
    pub torn_bytes: u64,
}

impl State {
    /// Reads the state file next to OUTPUT; a missing one holds nothing.
    /// OUTPUT's lock guards it too.
    pub fn read(output: &Path) -> Result<State, UsageError> {
        let mut lines = Vec::new();
        let journal = Journal::open(
            &path_for(output),
            "the state file",
            br#"{"event":"#,
            false,
            |line: Line| lines.push(line),
        )?;
        let mut state = State {
            torn_bytes: journal.scanned.torn_bytes,
            journal,
            batches: Vec::new(),
        };
        for line in lines {
            state.apply(line);
        }
        Ok(state)
    }

    fn apply(&mut self, line: Line) {
        match line {
            Line::Submitted {
                batch_id,
                custom_ids,
                ..
            } => self.track(batch_id, Some(custom_ids)),
            Line::Followed { batch_id, .. } => self.track(batch_id, None),
            Line::Downloaded { batch_id, .. } => {
                if let Some(batch) = self.batches.iter_mut().find(|b| b.id == batch_id) {
                    batch.downloaded = true;
                }
            }
        }
    }

    fn track(&mut self, id: String, custom_ids: Option<Vec<String>>) {
        match self.batches.iter_mut().find(|b| b.id == id) {
            // Followed again, or submitted and then followed: what is known stays.
            Some(known) => {
                if known.custom_ids.is_none() {
                    known.custom_ids = custom_ids;
                }
            }
            None => self.batches.push(Tracked {
                id,
                custom_ids,
                downloaded: false,
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.journal.path
    }

    /// What stops a run whose state file cannot be written.
    pub fn write_failed(&self, error: &io::Error) -> Stop {
        Stop::LocalWrite(format!("the state file {}: {error}", self.path().display()))
    }

    pub fn exists(&self) -> bool {
        self.path().exists()
    }

    /// Batches whose results are not all in OUTPUT yet.
    pub fn pending(&self) -> impl Iterator<Item = &Tracked> {
        self.batches.iter().filter(|b| !b.downloaded)
    }

    pub fn has_pending(&self) -> bool {
        self.pending().next().is_some()
    }

    /// Items in a batch not yet downloaded: submitting them again would do them twice.
    pub fn covered_ids(&self) -> HashSet<String> {
        self.pending()
            .filter_map(|b| b.custom_ids.as_ref())
            .flatten()
            .cloned()
            .collect()
    }

    pub fn record_submitted(
        &mut self,
        batch_id: &str,
        created_at: Option<&str>,
        custom_ids: Vec<String>,
    ) -> io::Result<()> {
        self.append(Line::Submitted {
            ts: timestamp(SystemTime::now()),
            batch_id: batch_id.to_string(),
            created_at: created_at.map(str::to_string),
            requests: custom_ids.len() as u64,
            custom_ids,
        })
    }

    pub fn record_followed(&mut self, batch_id: &str) -> io::Result<()> {
        if self.batches.iter().any(|b| b.id == batch_id) {
            return Ok(());
        }
        self.append(Line::Followed {
            ts: timestamp(SystemTime::now()),
            batch_id: batch_id.to_string(),
        })
    }

    pub fn record_downloaded(&mut self, batch_id: &str) -> io::Result<()> {
        self.append(Line::Downloaded {
            ts: timestamp(SystemTime::now()),
            batch_id: batch_id.to_string(),
        })
    }

    /// Removes the file once nothing in it is pending; `Ok(true)` when it is gone.
    pub fn remove_if_done(&mut self) -> io::Result<bool> {
        if self.has_pending() {
            return Ok(false);
        }
        self.journal.close();
        match fs::remove_file(self.path()) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// One write per line on an append-mode file, then fsync: once this
    /// returns, a batch id survives a kill or a power cut. Then the line
    /// counts here too.
    fn append(&mut self, line: Line) -> io::Result<()> {
        let mut bytes = serde_json::to_vec(&line).map_err(io::Error::other)?;
        bytes.push(b'\n');
        let file = self
            .journal
            .ready()
            .map_err(|e| io::Error::other(e.problem))?;
        self.torn_bytes = 0;
        file.write_all(&bytes)?;
        file.sync_all()?;
        self.apply(line);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn the_file_sits_next_to_output() {
        assert_eq!(
            path_for(Path::new("/tmp/out.jsonl")),
            PathBuf::from("/tmp/out.jsonl.batches")
        );
    }

    #[test]
    fn submitted_followed_and_downloaded_batches_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out.jsonl");
        let mut state = State::read(&output).unwrap();
        assert!(state.batches.is_empty());
        assert!(!state.exists(), "reading creates nothing");
        state
            .record_submitted("b1", Some("2026-01-01T00:00:00Z"), ids(&["a", "b"]))
            .unwrap();
        state.record_submitted("b2", None, ids(&["c"])).unwrap();
        state.record_followed("b3").unwrap();
        state.record_followed("b3").unwrap();
        state.record_downloaded("b1").unwrap();
        let text = fs::read_to_string(state.path()).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text.starts_with(r#"{"event":"submitted","ts":""#), "{text}");
        assert!(text.contains(r#""batch_id":"b1","created_at":"2026-01-01T00:00:00Z","requests":2,"custom_ids":["a","b"]}"#));
        let again = State::read(&output).unwrap();
        let pending: Vec<&str> = again.pending().map(|b| b.id.as_str()).collect();
        assert_eq!(pending, ["b2", "b3"]);
        assert_eq!(again.covered_ids(), HashSet::from(["c".to_string()]));
        assert_eq!(again.batches[2].custom_ids, None);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_cut_before_the_next_append() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out.jsonl");
        let mut state = State::read(&output).unwrap();
        state.record_submitted("b1", None, ids(&["a"])).unwrap();
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(state.path())
            .unwrap();
        file.write_all(br#"{"event":"submitted","ts":"x","batch_id":"b2","cre"#)
            .unwrap();
        let mut again = State::read(&output).unwrap();
        assert_eq!(again.batches.len(), 1);
        assert!(again.torn_bytes > 0);
        again.record_downloaded("b1").unwrap();
        let text = fs::read_to_string(again.path()).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.lines().all(|l| l.ends_with('}')), "{text}");
        assert!(again.remove_if_done().unwrap());
        assert!(!again.exists());
    }

    #[test]
    fn a_foreign_line_is_refused_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out.jsonl");
        fs::write(
            path_for(&output),
            "{\"event\":\"followed\",\"ts\":\"t\",\"batch_id\":\"b\"}\nhello\n",
        )
        .unwrap();
        let error = State::read(&output).unwrap_err();
        assert!(
            error
                .problem
                .contains("line 2 is not a line claude-rs wrote"),
            "{}",
            error.problem
        );
    }

    #[test]
    fn a_file_with_pending_batches_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out.jsonl");
        let mut state = State::read(&output).unwrap();
        state.record_submitted("b1", None, ids(&["a"])).unwrap();
        assert!(!state.remove_if_done().unwrap());
        assert!(state.exists());
    }
}
