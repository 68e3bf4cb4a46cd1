//! `api_key_cmd`: the key comes from a command (`pass show anthropic`,
//! `op read …`, `security find-generic-password -w …`) so that it never has
//! to sit in a file. The first line of its output is the key; its output is
//! never shown, and a command that fails or hangs is an error with the fix.

use std::io::{BufRead, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::config::usage::UsageError;
use crate::sanitize;
use crate::secret::{self, ApiKey};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(10);

/// Runs `command` through the shell and returns the key it printed.
pub fn key_from_command(command: &str, timeout: Duration) -> Result<ApiKey, UsageError> {
    let fail = |problem: String| {
        UsageError::new(
            problem,
            "run the command yourself: it must print the key on its first line and exit 0 \
             (api_key_cmd in the config file; api_key_cmd_timeout gives it more time)",
        )
    };
    // People paste the key itself here; the shell then says "<key>: not
    // found", and we quote the command: any word of it that has a key's
    // shape is masked wherever it shows.
    secret::remember_key_like_words(command);
    let (shell, run) = if cfg!(unix) {
        ("sh", "-c")
    } else {
        ("cmd", "/C")
    };
    let mut child = Command::new(shell)
        .args([run, command])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("api_key_cmd `{command}` could not be started: {e}")))?;
    // Drained on their own threads, so a chatty command cannot fill a pipe and hang.
    let stdout = read_on_a_thread(child.stdout.take(), true);
    let stderr = read_on_a_thread(child.stderr.take(), false);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "api_key_cmd `{command}` did not finish within {:.1}s",
                    timeout.as_secs_f64()
                )));
            }
            Ok(None) => thread::sleep(POLL),
            Err(e) => return Err(fail(format!("api_key_cmd `{command}` failed: {e}"))),
        }
    };
    // A pipe stays open as long as anything holds it: a helper the command
    // left running in the background would keep a plain join waiting for
    // ever. What has not arrived by the deadline is done without.
    let deadline = started + timeout.max(Duration::from_secs(1));
    let left = || deadline.saturating_duration_since(Instant::now());
    let stdout = stdout.recv_timeout(left()).unwrap_or_default();
    let stderr = stderr.recv_timeout(left()).unwrap_or_default();
    if !status.success() {
        let said = last_line(&stderr).map_or(String::new(), |said| format!(": {said}"));
        let code = status
            .code()
            .map_or_else(|| "killed by a signal".to_string(), |c| format!("exit {c}"));
        return Err(fail(format!(
            "api_key_cmd `{command}` failed ({code}){said}"
        )));
    }
    let stdout = String::from_utf8_lossy(&stdout);
    ApiKey::new(stdout.lines().next().unwrap_or_default()).ok_or_else(|| {
        fail(format!(
            "api_key_cmd `{command}` printed no key (its first line is empty)"
        ))
    })
}

/// Reads a pipe on a thread of its own: its first line only when
/// `first_line` (the key is all that is wanted, and it arrives even if the
/// pipe is never closed), else to its end. The bytes arrive on the channel.
fn read_on_a_thread(
    pipe: Option<impl Read + Send + 'static>,
    first_line: bool,
) -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(pipe) = pipe {
            let mut pipe = std::io::BufReader::new(pipe);
            let _ = match first_line {
                true => pipe.read_until(b'\n', &mut bytes),
                false => pipe.read_to_end(&mut bytes),
            };
        }
        let _ = sender.send(bytes);
    });
    receiver
}

/// The command's last words on stderr, for the error: sanitised, clipped, and
/// with anything shaped like a key cut off, in case the command misprinted it.
fn last_line(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let masked: String = line
        .split(' ')
        .map(|word| match word.find("sk-ant-") {
            Some(at) => format!("{}sk-ant-…", &word[..at]),
            None => word.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let clipped: String = masked.trim().chars().take(200).collect();
    Some(sanitize::one_line(&clipped).into_owned())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(5);

    #[test]
    fn the_first_line_is_the_key() {
        let key = key_from_command(
            "printf 'sk-ant-from-cmd-0000000001\\nsecond line\\n'",
            SECOND,
        )
        .unwrap();
        assert_eq!(key.expose(), "sk-ant-from-cmd-0000000001");
    }

    #[test]
    fn a_failing_command_says_why_without_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("key");
        std::fs::write(&key_file, "sk-ant-leaked-by-mistake\n").unwrap();
        let command = format!(
            "cat {}; echo 'gpg: decryption failed' >&2; exit 3",
            key_file.display()
        );
        let error = key_from_command(&command, SECOND).unwrap_err();
        assert!(
            error
                .problem
                .contains("failed (exit 3): gpg: decryption failed"),
            "{}",
            error.problem
        );
        assert!(!error.problem.contains("leaked"), "{}", error.problem);
        let misprinted = format!("echo bad key $(cat {}) >&2; exit 1", key_file.display());
        let masked = key_from_command(&misprinted, SECOND).unwrap_err();
        assert!(!masked.problem.contains("leaked"), "{}", masked.problem);
        assert!(
            masked.problem.contains("bad key sk-ant-…"),
            "{}",
            masked.problem
        );
    }

    #[test]
    fn an_empty_answer_is_no_key() {
        let error = key_from_command("echo", SECOND).unwrap_err();
        assert!(
            error.problem.contains("printed no key"),
            "{}",
            error.problem
        );
    }

    #[test]
    fn a_slow_command_is_stopped_at_its_timeout() {
        let started = Instant::now();
        let error = key_from_command("sleep 5", Duration::from_millis(200)).unwrap_err();
        assert!(
            error.problem.contains("did not finish within 0.2s"),
            "{}",
            error.problem
        );
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_helper_left_running_in_the_background_does_not_hang_the_read() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("helper.pid");
        let started = Instant::now();
        let result = key_from_command(
            &format!(
                "echo sk-ant-from-cmd-0000000003; sleep 30 & echo $! > '{}'",
                pid_file.display()
            ),
            Duration::from_millis(300),
        );
        let waited = started.elapsed();
        // The helper is ours to end: a test leaves nothing running behind it.
        if let Ok(pid) = std::fs::read_to_string(&pid_file) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        assert!(
            waited < Duration::from_secs(25),
            "waited for the helper: {waited:?}"
        );
        assert_eq!(result.unwrap().expose(), "sk-ant-from-cmd-0000000003");
    }

    #[test]
    fn a_command_that_does_not_exist_fails_cleanly() {
        let error = key_from_command("no-such-command-claude-rs-test", SECOND).unwrap_err();
        assert!(
            error.problem.contains("failed (exit 127)"),
            "{}",
            error.problem
        );
    }
}
