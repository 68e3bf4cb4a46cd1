//! The pace every `ask` and local `batch` on this machine keeps for one base
//! URL, key and model (the API's limits are per model): a small file under
//! the user's runtime directory, named by a hash of the base URL, of the key
//! (never the key) and of the model, read, changed and
//! written back under an OS file lock (released when a process dies, so a
//! killed process wedges nobody). Whatever goes wrong with the file (missing,
//! damaged, stale, of another version, unwritable, locked too long) the
//! process goes on with its own state: the file can only make it slower
//! to hit the limit, never make a command fail.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::resilience::breaker::Breaker;
use crate::resilience::limiter::RateLimiter;
use crate::resilience::shared::{self, Now};
use crate::secret::ApiKey;

/// How long to wait for another process's lock before going on alone: it
/// holds the lock for a read and a write, tens of microseconds.
const LOCK_PATIENCE: Duration = Duration::from_millis(50);

pub struct SharedLimits {
    path: PathBuf,
    /// Kept open from call to call (a batch makes a few a request), and
    /// locked only within one.
    file: Mutex<Option<File>>,
}

/// SHA-256 (from the TLS stack already in the binary), hex.
fn sha256_hex(bytes: &[u8]) -> String {
    let hash = rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256
        .tls13()
        .map(|suite| suite.common.hash_provider.hash(bytes));
    hash.map_or_else(String::new, |out| {
        out.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    })
}

impl SharedLimits {
    /// The state of `base_url`, `key` and `model` (`ask`'s, a batch's
    /// default) in `dir` (`limits/` under the runtime or cache folder). The
    /// name hashes the key's own hash: neither the key nor a fingerprint that
    /// could be checked against one is written.
    pub fn new(dir: &Path, base_url: &str, key: &ApiKey, model: &str) -> SharedLimits {
        let fingerprint = sha256_hex(key.expose().as_bytes());
        let name = sha256_hex(format!("{base_url}\n{fingerprint}\n{model}").as_bytes());
        SharedLimits {
            path: dir.join(format!("{}.json", &name[..name.len().min(32)])),
            file: Mutex::new(None),
        }
    }

    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open(&self) -> Option<File> {
        let open = || {
            crate::private::new_file_options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&self.path)
        };
        match open() {
            Ok(file) => Some(file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                crate::private::own_dir(self.path.parent()?).ok()?;
                open().ok()
            }
            Err(_) => None,
        }
    }

    /// Locks `file`, unless another process holds it too long.
    fn lock(file: &File) -> bool {
        let patience = Instant::now() + LOCK_PATIENCE;
        loop {
            match file.try_lock() {
                Ok(()) => return true,
                Err(TryLockError::WouldBlock) if Instant::now() < patience => {
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(_) => return false,
            }
        }
    }

    /// Runs `change` on `limiter` and `breaker` with what the other processes
    /// wrote merged in, then writes the result for them. Without the file,
    /// `change` runs on this process's own state.
    pub fn with<R>(
        &self,
        limiter: &mut RateLimiter,
        breaker: &mut Breaker,
        change: impl FnOnce(&mut RateLimiter, &mut Breaker, Instant) -> R,
    ) -> R {
        let mut open = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if open.is_none() {
            *open = crate::private::refuse_pipe(&self.path)
                .ok()
                .and_then(|()| self.open());
        }
        let Some(file) = open.as_mut().filter(|file| Self::lock(file)) else {
            return change(limiter, breaker, Instant::now());
        };
        let now = Now {
            instant: Instant::now(),
            unix_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                // To the nearest millisecond, as times are written: a
                // truncated clock reads every time in the file later.
                .map_or(0, |d| ((d.as_micros() + 500) / 1000) as u64),
        };
        let mut bytes = Vec::with_capacity(512);
        let read = file.seek(SeekFrom::Start(0)).and_then(|_| {
            (&mut *file)
                .take(shared::MAX_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
        });
        if let Some(state) = read.ok().and_then(|_| shared::parse(&bytes, now.unix_ms)) {
            shared::merge_in(&state, limiter, breaker, now);
        }
        let result = change(limiter, breaker, now.instant);
        let mut state = shared::to_bytes(&shared::snapshot(limiter, breaker, now));
        // Overwritten in place, padded with blanks (which JSON ignores) to
        // the old length: no truncation, which costs a journal entry on
        // some file systems. A failed write leaves a damaged file, which the
        // next reader ignores.
        let rewrite = match bytes.len() > shared::MAX_BYTES {
            // Not ours, and too long to pad over.
            true => file.set_len(0),
            false => {
                state.resize(state.len().max(bytes.len()), b' ');
                Ok(())
            }
        };
        let _ = rewrite
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(&state));
        let _ = file.unlock();
        result
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use crate::resilience::breaker::BreakerConfig;
    use std::os::unix::fs::PermissionsExt;

    const KEY: &str = "sk-ant-api03-shared-limits-test-key-0123456789";
    const MODEL: &str = "claude-opus-test";

    fn parts() -> (RateLimiter, Breaker) {
        (
            RateLimiter::new(None, None, 1.0),
            Breaker::new(BreakerConfig::default()),
        )
    }

    #[test]
    fn the_state_is_shared_through_a_private_file_that_never_holds_the_key() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("claude-rs").join("limits");
        let key = ApiKey::new(KEY).unwrap();
        let shared = SharedLimits::new(&dir, "https://api.example", &key, MODEL);
        let (mut limiter, mut breaker) = parts();
        let limit = [(
            "anthropic-ratelimit-requests-limit".to_string(),
            "60".to_string(),
        )];
        shared.with(&mut limiter, &mut breaker, |limiter, _, now| {
            limiter.observe(now, SystemTime::now(), &limit);
            limiter.reserve(now, 1);
        });
        let (mut other, mut other_breaker) = parts();
        let (first, second) = shared.with(&mut other, &mut other_breaker, |limiter, _, now| {
            (limiter.reserve(now, 1) - now, limiter.reserve(now, 1) - now)
        });
        // 60 a minute: the first process took the slot at 0, so the next is
        // about a second away, the one after two.
        assert!(
            first > Duration::ZERO && first <= Duration::from_secs(1),
            "{first:?}"
        );
        assert_eq!(second - first, Duration::from_secs(1));
        let text = std::fs::read_to_string(shared.path()).unwrap();
        let path = shared.path().to_string_lossy().into_owned();
        let fingerprint = sha256_hex(KEY.as_bytes());
        for leak in [KEY, &KEY[KEY.len() - 8..], &fingerprint[..16]] {
            assert!(
                !text.contains(leak) && !path.contains(leak),
                "{leak} in {path}: {text}"
            );
        }
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(shared.path()), 0o600);
        assert_eq!(mode(&dir), 0o700);
        let elsewhere = SharedLimits::new(&dir, "https://other.example", &key, MODEL);
        assert_ne!(elsewhere.path(), shared.path(), "one file per base URL");
        let other_model = SharedLimits::new(&dir, "https://api.example", &key, "claude-haiku-test");
        assert_ne!(other_model.path(), shared.path(), "one file per model");
    }

    #[test]
    fn a_damaged_file_is_rewritten_and_an_unwritable_folder_is_no_error() {
        let root = tempfile::tempdir().unwrap();
        let key = ApiKey::new(KEY).unwrap();
        let shared = SharedLimits::new(root.path(), "https://api.example", &key, MODEL);
        std::fs::write(shared.path(), b"{\"version\": 1, \"learned\": [\x00").unwrap();
        let (mut limiter, mut breaker) = parts();
        assert_eq!(shared.with(&mut limiter, &mut breaker, |_, _, _| 7), 7);
        let bytes = std::fs::read(shared.path()).unwrap();
        assert!(shared::parse(&bytes, shared::SharedState::default().written_at_ms).is_none());
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        assert!(shared::parse(&bytes, now_ms).is_some(), "rewritten whole");
        std::fs::write(shared.path(), vec![b'x'; 3 * shared::MAX_BYTES]).unwrap();
        shared.with(&mut limiter, &mut breaker, |_, _, _| ());
        let bytes = std::fs::read(shared.path()).unwrap();
        assert!(shared::parse(&bytes, now_ms).is_some(), "a long one too");

        // A file where the folder should be: no folder can be made (even by root).
        let blocked = root.path().join("blocked");
        std::fs::write(&blocked, b"").unwrap();
        let nowhere =
            SharedLimits::new(&blocked.join("limits"), "https://api.example", &key, MODEL);
        assert_eq!(nowhere.with(&mut limiter, &mut breaker, |_, _, _| 8), 8);
        assert!(!nowhere.path().exists());
    }

    #[test]
    fn a_lock_held_elsewhere_is_waited_for_briefly_then_gone_around() {
        let root = tempfile::tempdir().unwrap();
        let key = ApiKey::new(KEY).unwrap();
        let shared = SharedLimits::new(root.path(), "https://api.example", &key, MODEL);
        let holder = shared.open().unwrap();
        holder.lock().unwrap();
        let (mut limiter, mut breaker) = parts();
        // Another open file description: the lock blocks it as it would another process.
        assert_eq!(shared.with(&mut limiter, &mut breaker, |_, _, _| 9), 9);
        assert_eq!(
            std::fs::read(shared.path()).unwrap(),
            b"",
            "not written without the lock"
        );
        drop(holder);
        shared.with(&mut limiter, &mut breaker, |_, _, _| ());
        assert!(!std::fs::read(shared.path()).unwrap().is_empty());
    }
}
