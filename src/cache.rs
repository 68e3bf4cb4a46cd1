//! The fallback cache: successful replies kept per exact request, so that when
//! the API is down a previous answer to the identical request can stand in.
//! Bounded: the oldest entries go once there are more than `MAX_ENTRIES`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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
        if let Ok(bytes) = serde_json::to_vec(&entry) {
            write_whole(&self.entry_path(request), &bytes);
        }
        prune(&self.dir, MAX_ENTRIES);
        None
    }
}

/// Written beside and renamed, so that a reader (another process too) never
/// sees half an entry; a failure leaves nothing behind and is not worth a word.
fn write_whole(path: &Path, bytes: &[u8]) {
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = crate::private::new_file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .and_then(|mut file| std::io::Write::write_all(&mut file, bytes));
    if written.is_err() || fs::rename(&temp, path).is_err() {
        let _ = fs::remove_file(&temp);
    }
}

/// What the Models API said of a model, a file per base URL and model id,
/// kept for `MODEL_TTL` and shared by every process using the cache folder
/// (bounded like the replies: base URLs come and go).
/// An entry that is stale, damaged or dated in the future is no entry.
pub struct ModelCache {
    dir: PathBuf,
}

pub const MODEL_TTL: Duration = Duration::from_secs(24 * 3600);
/// A model object is about 1 KB; a larger file is not one of ours.
const MAX_MODEL_ENTRY: u64 = 64 * 1024;

impl ModelCache {
    pub fn new(dir: PathBuf) -> ModelCache {
        ModelCache {
            dir: dir.join("models"),
        }
    }

    fn entry_path(&self, base_url: &str, model: &str) -> PathBuf {
        let key = format!("{base_url}\n{model}");
        self.dir
            .join(format!("{:016x}.json", fnv1a(key.as_bytes())))
    }

    /// The stored model object, if fresh and really `model`'s.
    pub fn get(&self, base_url: &str, model: &str) -> Option<Value> {
        let path = self.entry_path(base_url, model);
        crate::private::refuse_pipe(&path).ok()?;
        let file = fs::File::open(&path).ok()?;
        let age = SystemTime::now().duration_since(file.metadata().ok()?.modified().ok()?);
        if !age.is_ok_and(|age| age < MODEL_TTL) {
            return None;
        }
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_MODEL_ENTRY), &mut raw)
            .ok()?;
        parse_model_entry(&raw, base_url, model)
    }

    pub fn put(&self, base_url: &str, model: &str, object: &Value) {
        if crate::private::own_dir(&self.dir).is_ok() {
            let entry = serde_json::json!({"base_url": base_url, "model": object});
            write_whole(
                &self.entry_path(base_url, model),
                entry.to_string().as_bytes(),
            );
            prune(&self.dir, MAX_ENTRIES);
        }
    }
}

/// An entry's model object, when the entry is for this base URL and model.
fn parse_model_entry(raw: &[u8], base_url: &str, model: &str) -> Option<Value> {
    let mut entry: Value = serde_json::from_slice(raw).ok()?;
    let ours = entry["base_url"] == base_url && entry["model"]["id"] == model;
    ours.then(|| entry["model"].take())
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
    fn a_model_entry_is_kept_per_base_url_and_model() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ModelCache::new(dir.path().to_path_buf());
        let object = serde_json::json!({"id": "m", "max_tokens": 5});
        assert!(cache.get("http://a", "m").is_none());
        cache.put("http://a", "m", &object);
        assert_eq!(cache.get("http://a", "m"), Some(object));
        assert!(cache.get("http://b", "m").is_none());
        let path = cache.entry_path("http://a", "m");
        fs::write(
            &path,
            "{\"base_url\": \"http://a\", \"model\": {\"id\": \"other\"}}",
        )
        .unwrap();
        assert!(
            cache.get("http://a", "m").is_none(),
            "another model's entry"
        );
        fs::write(&path, "garbage").unwrap();
        assert!(cache.get("http://a", "m").is_none(), "a damaged entry");
        cache.put("http://a", "m", &serde_json::json!({"id": "m"}));
        let old = SystemTime::now() - MODEL_TTL - Duration::from_secs(1);
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(cache.get("http://a", "m").is_none(), "a stale entry");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_an_entry_or_none(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_model_entry(&raw, "http://a", "m");
        }

        #[test]
        fn json_entries_are_read_only_when_they_match(base in ".{0,20}", id in ".{0,20}") {
            let entry = serde_json::json!({"base_url": base, "model": {"id": id}}).to_string();
            let read = parse_model_entry(entry.as_bytes(), "http://a", "m");
            proptest::prop_assert_eq!(read.is_some(), base == "http://a" && id == "m");
        }
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
