//! Ctrl-C during a remote batch. The first press asks the run to stop at the
//! next safe point: never between creating a batch and recording it in the
//! state file, so a batch that exists is never forgotten. Waits (polls,
//! retry backoff) end at once. A second press exits at once.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use colored::Colorize;

use crate::exit_code::ExitCode;

#[derive(Clone, Default)]
pub struct Interrupt {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    pressed: Mutex<u32>,
    wake: Condvar,
}

impl Interrupt {
    /// An interrupt that only `trigger` sets (tests, and commands that keep
    /// the default Ctrl-C).
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Takes over Ctrl-C for this process.
    pub fn install() -> Interrupt {
        let interrupt = Interrupt::new();
        let handler = interrupt.clone();
        // Only fails when a handler is already set: then that one stays.
        let _ = ctrlc::set_handler(move || {
            if handler.trigger() > 1 {
                eprintln!(
                    "{} exiting now; a batch that was being created may exist without being recorded: \
                     look for it with claude-rs batch --list",
                    "interrupted again:".yellow().bold()
                );
                std::process::exit(i32::from(ExitCode::Interrupted.code()));
            }
        });
        interrupt
    }

    /// Presses it; returns how many times it has been pressed.
    pub fn trigger(&self) -> u32 {
        let mut pressed = self.inner.pressed.lock().unwrap_or_else(|e| e.into_inner());
        *pressed += 1;
        self.inner.wake.notify_all();
        *pressed
    }

    pub fn is_set(&self) -> bool {
        *self.inner.pressed.lock().unwrap_or_else(|e| e.into_inner()) > 0
    }

    /// Sleeps for `duration` unless interrupted first; `true` when interrupted.
    pub fn sleep(&self, duration: Duration) -> bool {
        let until = Instant::now() + duration;
        let mut pressed = self.inner.pressed.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if *pressed > 0 {
                return true;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            pressed = match self.inner.wake.wait_timeout(pressed, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleep_ends_when_interrupted() {
        let interrupt = Interrupt::new();
        assert!(!interrupt.sleep(Duration::from_millis(1)));
        let other = interrupt.clone();
        let presser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            other.trigger()
        });
        let started = Instant::now();
        assert!(interrupt.sleep(Duration::from_secs(30)));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(presser.join().unwrap(), 1);
        assert!(interrupt.is_set());
    }
}
