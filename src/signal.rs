//! The process's one answer to SIGINT (Ctrl-C), SIGTERM and SIGHUP, for
//! `ask`, `batch` and `batch --remote` alike. Each signal is noted in
//! `Signals` (every wait on it ends at once) and then handed to the command's
//! own reaction on a thread of its own: what to finish, what to print, and
//! the exit code, 128 + the signal's number as a shell reports it.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::exit_code::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
    HangUp,
}

impl Signal {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Signal::Interrupt => ExitCode::Interrupted,
            Signal::Terminate => ExitCode::Terminated,
            Signal::HangUp => ExitCode::HungUp,
        }
    }

    /// As messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "Ctrl-C",
            Signal::Terminate => "SIGTERM",
            Signal::HangUp => "SIGHUP",
        }
    }

    /// Ends the process at once, with this signal's exit code.
    pub fn exit(self) -> ! {
        std::process::exit(i32::from(self.exit_code().code()))
    }
}

/// The signals received so far; clones share them.
#[derive(Clone, Default)]
pub struct Signals {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    received: Mutex<(Option<Signal>, u32)>,
    wake: Condvar,
}

impl Signals {
    /// Signals that only `receive` sets (tests, and commands that keep the
    /// default reaction to signals).
    pub fn new() -> Signals {
        Signals::default()
    }

    /// Takes over SIGINT, SIGTERM and SIGHUP for this process: each one is
    /// noted here, then `react(signal, how many so far)` runs on the signal
    /// thread. Without a handler (the system refused one) the signals keep
    /// their default effect.
    pub fn install(mut react: impl FnMut(Signal, u32) + Send + 'static) -> Signals {
        let signals = Signals::new();
        let noted = signals.clone();
        let _ = os::listen(move |signal| react(signal, noted.receive(signal)));
        signals
    }

    fn lock(&self) -> MutexGuard<'_, (Option<Signal>, u32)> {
        self.inner
            .received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Notes `signal`; returns how many have been received. The first one
    /// names the stop.
    pub fn receive(&self, signal: Signal) -> u32 {
        let mut received = self.lock();
        received.0.get_or_insert(signal);
        received.1 += 1;
        self.inner.wake.notify_all();
        received.1
    }

    /// The first signal received, if any.
    pub fn first(&self) -> Option<Signal> {
        self.lock().0
    }

    pub fn count(&self) -> u32 {
        self.lock().1
    }

    pub fn is_set(&self) -> bool {
        self.count() > 0
    }

    /// Sleeps for `duration` unless a signal comes first; `true` when one came.
    pub fn sleep(&self, duration: Duration) -> bool {
        let wait = self
            .inner
            .wake
            .wait_timeout_while(self.lock(), duration, |r| r.1 == 0);
        let (received, _) = wait.unwrap_or_else(|e| e.into_inner());
        received.1 > 0
    }
}

/// The handler writes the signal's number to a socket and a thread of ours
/// reads it: a signal handler may do little more than `write(2)`. `libc`
/// is already in the tree (through `ctrlc` elsewhere); two calls need `unsafe`.
#[cfg(unix)]
#[allow(unsafe_code)]
mod os {
    use std::io::Read;
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::sync::atomic::{AtomicI32, Ordering};

    use super::Signal;

    static WRITE_END: AtomicI32 = AtomicI32::new(-1);

    extern "C" fn on_signal(number: libc::c_int) {
        let byte = number as u8;
        // SAFETY: write(2) is async-signal-safe; the socket lives as long as the process.
        unsafe {
            libc::write(
                WRITE_END.load(Ordering::SeqCst),
                (&raw const byte).cast(),
                1,
            )
        };
    }

    pub fn listen(mut deliver: impl FnMut(Signal) + Send + 'static) -> std::io::Result<()> {
        let (mut read_end, write_end) = UnixStream::pair()?;
        // A handler must never block: with the socket full, a signal is
        // already on its way to the thread.
        write_end.set_nonblocking(true)?;
        let swapped = WRITE_END.compare_exchange(
            -1,
            write_end.as_raw_fd(),
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
        if swapped.is_err() {
            return Err(std::io::Error::other(
                "signal handlers are installed already",
            ));
        }
        std::mem::forget(write_end);
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let mut byte = [0u8];
                while read_end.read_exact(&mut byte).is_ok() {
                    match libc::c_int::from(byte[0]) {
                        libc::SIGINT => deliver(Signal::Interrupt),
                        libc::SIGTERM => deliver(Signal::Terminate),
                        libc::SIGHUP => deliver(Signal::HangUp),
                        _ => {}
                    }
                }
            })?;
        for number in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SAFETY: the handler only loads an atomic and calls write(2).
            unsafe { libc::signal(number, handler) };
        }
        Ok(())
    }
}

/// Elsewhere only Ctrl-C (and the console's close events) can be heard.
#[cfg(not(unix))]
mod os {
    use super::Signal;

    pub fn listen(mut deliver: impl FnMut(Signal) + Send + 'static) -> Result<(), ctrlc::Error> {
        ctrlc::set_handler(move || deliver(Signal::Interrupt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleep_ends_when_a_signal_comes() {
        let signals = Signals::new();
        assert!(!signals.sleep(Duration::from_millis(1)));
        let other = signals.clone();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            other.receive(Signal::Terminate)
        });
        assert!(signals.sleep(Duration::from_secs(3600)));
        assert_eq!(sender.join().unwrap(), 1);
        assert_eq!(signals.receive(Signal::Interrupt), 2);
        assert_eq!(
            signals.first(),
            Some(Signal::Terminate),
            "the first one names the stop"
        );
    }

    #[test]
    fn exit_codes_are_128_plus_the_signal_number() {
        assert_eq!(Signal::Interrupt.exit_code().code(), 130);
        assert_eq!(Signal::Terminate.exit_code().code(), 143);
        assert_eq!(Signal::HangUp.exit_code().code(), 129);
    }
}
