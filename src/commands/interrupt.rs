//! A signal during a one-shot command (`ask`): the call is abandoned, but the
//! command still has its last word: the one JSON object under `--json`, the
//! log's call line, a notice, exit 130 (143 for SIGTERM, 129 for SIGHUP). The
//! main thread may be stuck in a network read for as long as the stall
//! timeout, so that ending is written from a thread of its own; whichever of
//! the two endings starts first is the only one, so nothing is printed twice.
//! A second signal ends the process at once, even if the ending is stuck on
//! a pipe nobody reads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::signal::{Signal, Signals};

const RUNNING: u8 = 0;
const ENDING: u8 = 1;
const INTERRUPTED: u8 = 2;

pub struct Interrupt {
    phase: AtomicU8,
    attempts: AtomicU32,
    started: Instant,
}

impl Interrupt {
    /// Takes over the signals. On the first one before the command's own
    /// ending began, `finish(signal, attempts, elapsed)` runs on a new thread
    /// and the process exits with the signal's code.
    pub fn install(finish: impl FnOnce(Signal, u32, Duration) + Send + 'static) -> Arc<Interrupt> {
        let interrupt = Arc::new(Interrupt {
            phase: AtomicU8::new(RUNNING),
            attempts: AtomicU32::new(0),
            started: Instant::now(),
        });
        let state = Arc::clone(&interrupt);
        let mut finish = Some(finish);
        Signals::install(move |signal, count| {
            if count > 1 {
                signal.exit();
            }
            if !state.claim(INTERRUPTED) {
                // The command is already printing its own ending.
                return;
            }
            let attempts = state.attempts.load(Ordering::SeqCst).max(1);
            let elapsed = state.started.elapsed();
            if let Some(finish) = finish.take() {
                // The signal thread must stay free for a second signal.
                std::thread::spawn(move || {
                    finish(signal, attempts, elapsed);
                    signal.exit();
                });
            }
        });
        interrupt
    }

    /// An attempt is starting (of the call, or of its fallback): what the
    /// ending counts if a signal comes.
    pub fn attempt(&self) {
        self.attempts.fetch_add(1, Ordering::SeqCst);
    }

    /// Called before the command prints its own ending. When a signal got
    /// there first this never returns: the interrupted ending is being
    /// written, and the process exits when it is done.
    pub fn end(&self) {
        if !self.claim(ENDING) {
            loop {
                std::thread::park();
            }
        }
    }

    fn claim(&self, phase: u8) -> bool {
        self.phase
            .compare_exchange(RUNNING, phase, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }
}
