//! The fallback cache: successful replies kept per exact request, so that when
//! the API is down a previous answer to the identical request can stand in.
//! Bounded: the oldest entries go once there are more than `MAX_ENTRIES`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

const MAX_ENTRIES: usize = 256;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CachedReply {
    /// RFC 3339 time the reply was stored.
    pub stored_at: String,
    /// The whole request, compared on read: the file name is only a hash.
    pub request: Value,
    pub text: String,
}

pub struct ReplyCache {
    dir: PathBuf,
}

impl ReplyCache {
    pub fn new(dir: PathBuf) -> ReplyCache {
        ReplyCache {
            dir: dir.join("replies"),
        }
    }

    fn entry_path(&self, request: &Value) -> PathBuf {
        self.dir.join(format!(
            "{:016x}.json",
            fnv1a(request.to_string().as_bytes())
        ))
    }

    pub fn get(&self, request: &Value) -> Option<CachedReply> {
        let path = self.entry_path(request);
        // A FIFO in place of an entry would hold the fallback, and the
        // command, until something writes to it: it is no entry.
        crate::private::refuse_pipe(&path).ok()?;
        let raw = fs::read(path).ok()?;
        let entry: CachedReply = serde_json::from_slice(&raw).ok()?;
        (entry.request == *request).then_some(entry)
    }

    /// Stores a reply. A folder that cannot be made private gets a warning
    /// (returned) and nothing is stored; any later failure is not worth a word.
    pub fn put(&self, request: &Value, text: &str) -> Option<String> {
        let entry = CachedReply {
            stored_at: crate::log::timestamp(SystemTime::now()),
            request: request.clone(),
            text: text.to_string(),
        };
        // `replies` is ours whatever folder the user chose for the cache, and
        // a private folder keeps every entry in it private.
        if let Err(error) = crate::private::own_dir(&self.dir) {
            return Some(format!(
                "the reply was not cached: the --fallback-cache folder {} cannot be used privately: {error}",
                self.dir.display()
            ));
        }
        let bytes = serde_json::to_vec(&entry).ok()?;
        let path = self.entry_path(request);
        // Written beside and renamed, so a reader never sees half an entry.
        let temp = path.with_extension(format!("tmp{}", std::process::id()));
        let written = crate::private::new_file_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)
            .and_then(|mut file| std::io::Write::write_all(&mut file, &bytes));
        if written.is_ok() && fs::rename(&temp, &path).is_err() {
            let _ = fs::remove_file(&temp);
        }
        prune(&self.dir, MAX_ENTRIES);
        None
    }
}

fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if files.len() <= keep {
        return;
    }
    files.sort();
    for (_, path) in &files[..files.len() - keep] {
        let _ = fs::remove_file(path);
    }
}

/// FNV-1a: a stable hash for file names (std's hasher may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_fifo_in_place_of_an_entry_is_no_entry_and_no_wait() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ReplyCache::new(dir.path().to_path_buf());
        let request = serde_json::json!({"model": "m", "prompt": "p"});
        cache.put(&request, "answer");
        let entry = cache.entry_path(&request);
        fs::remove_file(&entry).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&entry).status();
        assert!(made.unwrap().success());
        assert!(cache.get(&request).is_none());
    }

    #[test]
    fn stores_and_finds_by_the_whole_request() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ReplyCache::new(dir.path().to_path_buf());
        let request = serde_json::json!({"model": "m", "prompt": "p"});
        assert!(cache.get(&request).is_none());
        cache.put(&request, "answer");
        assert_eq!(cache.get(&request).unwrap().text, "answer");
        assert!(
            cache
                .get(&serde_json::json!({"model": "m", "prompt": "q"}))
                .is_none()
        );
    }

    #[test]
    fn is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        for n in 0..5 {
            fs::write(dir.path().join(format!("{n}.json")), "{}").unwrap();
        }
        prune(dir.path(), 3);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 3);
    }
}
