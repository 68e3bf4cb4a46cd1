//! Stopping the server: every open connection is registered so that dropping
//! the server can shut its socket down, and every wait (latency, hang, stall,
//! slow gaps) is a condvar wait that stopping interrupts.

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

#[derive(Default)]
struct State {
    stopping: bool,
    next_id: u64,
    /// Clones of the open connections' sockets, only ever used to shut them down.
    connections: HashMap<u64, TcpStream>,
}

#[derive(Default)]
pub(crate) struct Lifecycle {
    state: Mutex<State>,
    changed: Condvar,
}

impl Lifecycle {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_stopping(&self) -> bool {
        self.lock().stopping
    }

    /// Refuses the connection when the server is already stopping, so none slips past `stop`.
    pub fn register(&self, stream: &TcpStream) -> Option<Registration<'_>> {
        let clone = stream.try_clone().ok()?;
        let mut state = self.lock();
        if state.stopping {
            return None;
        }
        let id = state.next_id;
        state.next_id += 1;
        state.connections.insert(id, clone);
        Some(Registration {
            lifecycle: self,
            id,
        })
    }

    pub fn stop(&self) {
        let mut state = self.lock();
        state.stopping = true;
        for (_, stream) in state.connections.drain() {
            // Wakes a handler blocked reading or writing; errors mean it is already gone.
            let _ = stream.shutdown(Shutdown::Both);
        }
        drop(state);
        self.changed.notify_all();
    }

    /// Sleeps for `duration`; `false` when the server started stopping meanwhile.
    pub fn sleep(&self, duration: Duration) -> bool {
        let state = self.lock();
        if duration.is_zero() {
            return !state.stopping;
        }
        let (state, _) = self
            .changed
            .wait_timeout_while(state, duration, |state| !state.stopping)
            .unwrap_or_else(|e| e.into_inner());
        !state.stopping
    }

    pub fn wait_until_stopped(&self) {
        let state = self.lock();
        let _state = self
            .changed
            .wait_while(state, |state| !state.stopping)
            .unwrap_or_else(|e| e.into_inner());
    }
}

/// Unregisters (and so closes the clone of) a connection when its handler ends, however it ends.
pub(crate) struct Registration<'a> {
    lifecycle: &'a Lifecycle,
    id: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.lifecycle.lock().connections.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;
    use std::sync::Arc;

    /// Longer than any test run: a wait this long ends only by `stop`.
    const A_DAY: Duration = Duration::from_secs(24 * 3600);

    #[test]
    fn stop_interrupts_waits() {
        let lifecycle = Arc::new(Lifecycle::default());
        assert!(lifecycle.sleep(Duration::from_millis(1)));
        let waiter = {
            let lifecycle = Arc::clone(&lifecycle);
            std::thread::spawn(move || lifecycle.wait_until_stopped())
        };
        let sleeper = {
            let lifecycle = Arc::clone(&lifecycle);
            std::thread::spawn(move || lifecycle.sleep(A_DAY))
        };
        std::thread::sleep(Duration::from_millis(50));
        lifecycle.stop();
        // Both joins return only because `stop` woke them.
        waiter.join().unwrap();
        assert!(!sleeper.join().unwrap());
        assert!(!lifecycle.sleep(A_DAY), "after stop, a sleep ends at once");
        assert!(lifecycle.is_stopping());
    }

    #[test]
    fn stop_shuts_registered_sockets_and_refuses_new_ones() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server_side, _) = listener.accept().unwrap();
        let lifecycle = Lifecycle::default();
        let registration = lifecycle.register(&server_side).unwrap();
        lifecycle.stop();
        let mut buf = [0u8; 1];
        assert_eq!((&server_side).read(&mut buf).unwrap(), 0);
        drop(registration);
        drop(client);
        assert!(lifecycle.register(&server_side).is_none());
    }
}
