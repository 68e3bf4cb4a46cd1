//! Every command's data goes to stdout through here, so that one place knows
//! whether it all arrived. A reader closing the pipe (`| head`) is normal use
//! and stays quiet; any other write error (a full disk, an I/O error) is
//! remembered, further output is dropped, and `run` turns it into exit code
//! `Output`: a reply that could not be written is a failure, not a success.

use std::io::{self, Write};
use std::sync::Mutex;

/// What became of stdout so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Open,
    /// The reader went away: nothing more is written, and that is fine.
    Closed,
    /// Writing failed: the error, as shown to the user.
    Failed(String),
}

static STATE: Mutex<State> = Mutex::new(State::Open);

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes `text` and flushes it. Returns false when it was not written
/// because stdout failed (now or before); a closed pipe counts as written.
pub fn write(text: &str) -> bool {
    let mut state = state();
    match *state {
        State::Open => {}
        State::Closed => return true,
        State::Failed(_) => return false,
    }
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => true,
        Err(error) => record(&mut state, &error),
    }
}

/// One line of data.
pub fn line(text: &str) -> bool {
    write(&format!("{text}\n"))
}

/// Notes an error met by a writer of its own (clap printing `--help`).
pub fn note_error(error: &io::Error) {
    record(&mut state(), error);
}

fn record(state: &mut State, error: &io::Error) -> bool {
    if error.kind() == io::ErrorKind::BrokenPipe {
        *state = State::Closed;
        return true;
    }
    *state = State::Failed(error.to_string());
    false
}

/// Why stdout failed, if it did.
pub fn failure() -> Option<String> {
    match &*state() {
        State::Failed(error) => Some(error.clone()),
        _ => None,
    }
}
