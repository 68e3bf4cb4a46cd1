//! The fallback cache: successful replies kept per exact request, so that when
//! the API is down a previous answer to the identical request can stand in.
//! Bounded: the oldest entries go once there are more than `MAX_ENTRIES`.

use std::fs;
use std::io::Read;
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

/// A folder of entries, each a file named by a hash of its key (the key is
/// kept inside and compared on read), the oldest dropped past `MAX_ENTRIES`.
struct Entries {
    dir: PathBuf,
}

impl Entries {
    /// FNV-1a: a stable hash for file names (std's hasher may change between releases).
    fn path(&self, key: &str) -> PathBuf {
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        self.dir.join(format!("{hash:016x}.json"))
    }

    /// A FIFO in place of an entry would hold the command until something
    /// writes to it: it is no entry.
    fn open(&self, key: &str) -> Option<fs::File> {
        let path = self.path(key);
        crate::private::refuse_pipe(&path).ok()?;
        fs::File::open(path).ok()
    }

    /// Written beside and renamed, so that a reader (another process too)
    /// never sees half an entry; a failure after the folder was made private
    /// leaves nothing behind and is not worth a word.
    fn store(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        // The subfolder is ours whatever folder the user chose for the cache,
        // and a private folder keeps every entry in it private.
        crate::private::own_dir(&self.dir)?;
        let path = self.path(key);
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
        prune(&self.dir, MAX_ENTRIES);
        Ok(())
    }
}

pub struct ReplyCache(Entries);

impl ReplyCache {
    pub fn new(dir: PathBuf) -> ReplyCache {
        ReplyCache(Entries {
            dir: dir.join("replies"),
        })
    }

    pub fn get(&self, request: &Value) -> Option<CachedReply> {
        let file = std::io::BufReader::new(self.0.open(&request.to_string())?);
        let entry: CachedReply = serde_json::from_reader(file).ok()?;
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
        let bytes = serde_json::to_vec(&entry).ok()?;
        let error = self.0.store(&request.to_string(), &bytes).err()?;
        Some(format!(
            "the reply was not cached: the --fallback-cache folder {} cannot be used privately: {error}",
            self.0.dir.display()
        ))
    }
}

/// What the Models API said of a model, a file per base URL and model id,
/// kept for `MODEL_TTL` and shared by every process using the cache folder
/// (bounded like the replies: base URLs come and go).
/// An entry that is stale, damaged or dated in the future is no entry.
pub struct ModelCache(Entries);

pub const MODEL_TTL: Duration = Duration::from_secs(24 * 3600);
/// A model object is about 1 KB; a larger file is not one of ours.
const MAX_MODEL_ENTRY: u64 = 64 * 1024;

fn model_key(base_url: &str, model: &str) -> String {
    format!("{base_url}\n{model}")
}

impl ModelCache {
    pub fn new(dir: PathBuf) -> ModelCache {
        ModelCache(Entries {
            dir: dir.join("models"),
        })
    }

    /// The stored model object, if fresh and really `model`'s.
    pub fn get(&self, base_url: &str, model: &str) -> Option<Value> {
        let file = self.0.open(&model_key(base_url, model))?;
        let age = SystemTime::now().duration_since(file.metadata().ok()?.modified().ok()?);
        if !age.is_ok_and(|age| age < MODEL_TTL) {
            return None;
        }
        let mut raw = Vec::new();
        file.take(MAX_MODEL_ENTRY).read_to_end(&mut raw).ok()?;
        parse_model_entry(&raw, base_url, model)
    }

    pub fn put(&self, base_url: &str, model: &str, object: &Value) {
        let entry = serde_json::json!({"base_url": base_url, "model": object});
        let _ = self
            .0
            .store(&model_key(base_url, model), entry.to_string().as_bytes());
    }
}

/// An entry's model object, when the entry is for this base URL and model.
fn parse_model_entry(raw: &[u8], base_url: &str, model: &str) -> Option<Value> {
    let mut entry: Value = serde_json::from_slice(raw).ok()?;
    let ours = entry["base_url"] == base_url && entry["model"]["id"] == model;
    ours.then(|| entry["model"].take())
}

fn prune(dir: &Path, keep: usize) {
    let mut files: Vec<(SystemTime, PathBuf)> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort();
    for (_, path) in &files[..files.len().saturating_sub(keep)] {
        let _ = fs::remove_file(path);
    }
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
        let entry = cache.0.path(&request.to_string());
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
        let path = cache.0.path(&model_key("http://a", "m"));
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
