//! A fake Anthropic API on 127.0.0.1 (Messages, Models, Message Batches), for
//! integration tests and for `claude-rs mock`. It speaks real HTTP/1.1 over
//! real sockets so that the client's whole stack (connection reuse, timeouts,
//! streaming, retries) is exercised, and it can misbehave on cue: see [`Step`]
//! and [`scenario`].
//!
//! A crate of its own in the claude-rs workspace, depending on nothing of
//! claude-rs: the CLI's integration tests and `claude-rs mock` use it.

mod batch_routes;
mod batch_wire;
mod batches;
mod dates;
mod http;
mod lifecycle;
mod models;
mod outcome;
mod perform;
mod ratelimit;
mod responses;
mod routes;
mod scenario;
mod server;
mod state;
mod step;
mod structured;
mod tls;
mod validate;

#[cfg(test)]
mod tests;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub use scenario::{SCENARIOS, scenario};
pub use step::{STEP_FORMS, Step, parse_script};
pub use tls::TEST_CA_PEM;

use state::Shared;

/// Model ids the fake server knows unless configured otherwise.
pub const DEFAULT_MODELS: &[&str] = &[
    "claude-sonnet-5-5",
    "claude-opus-5-5",
    "claude-haiku-5-5",
    "claude-fable-5-1",
    "claude-opus-4-6",
    "claude-sonnet-4-6",
    "claude-haiku-4-5",
    "claude-sonnet-4-5",
    "claude-opus-4-5",
    "claude-opus-4-1",
];

/// How long `Drop` waits to wake the accept thread before leaving it behind.
const WAKE_TIMEOUT: Duration = Duration::from_millis(200);

#[derive(Clone, Debug)]
pub struct MockConfig {
    pub port: u16,
    /// Responses for successive scripted requests (POST /v1/messages and every
    /// Message Batches call, in one sequence): the 1st request gets script[0], etc.
    pub script: Vec<Step>,
    /// What every request after the script gets.
    pub then: Step,
    /// Probability 0..=1 that a request after the script gets a random fault from `fault_steps` instead of `then`.
    pub fault_rate: f64,
    pub fault_steps: Vec<Step>,
    /// Seeds the random faults: same seed, same sequence.
    pub seed: u64,
    /// Requests per minute on /v1/messages, as a token bucket refilled at
    /// rpm/60 per second; empty: 429 `rate_limit_error` with `retry-after`.
    pub rpm_limit: Option<u32>,
    /// The request bucket's capacity (default: `rpm_limit`). A small burst models
    /// the real API enforcing its per-minute limit over shorter intervals.
    pub rpm_burst: Option<u32>,
    /// Input tokens per minute on /v1/messages (`estimate_input_tokens` of each
    /// body), as a token bucket of that capacity refilled at itpm/60 per second.
    pub itpm_limit: Option<u64>,
    /// Output tokens per minute on /v1/messages, as a token bucket of that
    /// capacity: a request is charged its `max_tokens` when admitted (the real
    /// API's estimate) and given back what its reply did not use.
    pub otpm_limit: Option<u64>,
    /// Polls (GET /v1/messages/batches/{id}) until a batch has ended; 0 counts as 1.
    pub batch_polls: u32,
    /// Added before answering each /v1/messages request (not the batches calls).
    pub latency: Duration,
    /// Model ids served by /v1/models; any other model gets 404.
    pub models: Vec<String>,
    /// `(max_tokens, max_input_tokens)` served for every model instead of
    /// each one's own (`--mock small-limits`).
    pub limits: Option<(u32, u64)>,
    /// Model ids whose capabilities say `structured_outputs` is not supported.
    pub without_structured_outputs: Vec<String>,
    /// Serve HTTPS with the test certificate for localhost and 127.0.0.1,
    /// signed by the test CA (`TEST_CA_PEM`), instead of plain HTTP.
    pub tls: bool,
}

impl Default for MockConfig {
    fn default() -> MockConfig {
        MockConfig {
            port: 0,
            script: Vec::new(),
            then: Step::Ok,
            fault_rate: 0.0,
            fault_steps: vec![status_step(529), status_step(500)],
            seed: 1,
            rpm_limit: None,
            rpm_burst: None,
            itpm_limit: None,
            otpm_limit: None,
            batch_polls: 2,
            latency: Duration::ZERO,
            models: DEFAULT_MODELS
                .iter()
                .map(|model| model.to_string())
                .collect(),
            limits: None,
            without_structured_outputs: Vec::new(),
            tls: false,
        }
    }
}

fn status_step(status: u16) -> Step {
    Step::Status {
        status,
        error_type: None,
        message: None,
        headers: Vec::new(),
    }
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// Path including the query.
    pub path: String,
    /// Names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received_at: Instant,
}

impl RecordedRequest {
    /// The first header with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    fn is_message_request(&self) -> bool {
        self.method == "POST" && self.path_only() == "/v1/messages"
    }

    fn is_batch_request(&self) -> bool {
        self.path_only().starts_with(batch_routes::BATCHES_PATH)
    }
}

/// A running fake server; dropping it stops it.
pub struct MockServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Binds 127.0.0.1:config.port (0 = ephemeral), starts the accept thread, returns at once.
    pub fn start(config: MockConfig) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let address = listener.local_addr()?;
        let (scheme, tls) = match config.tls {
            true => ("https", Some(tls::server_config()?)),
            false => ("http", None),
        };
        let shared = Arc::new(Shared::new(config, format!("{scheme}://{address}"), tls));
        let accept_thread = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("mock-accept".to_string())
                .spawn(move || server::accept_loop(listener, shared))?
        };
        Ok(MockServer {
            address,
            shared,
            accept_thread: Some(accept_thread),
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` with `tls`), without a trailing slash or `/v1`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Connections accepted so far, whether or not a request came on them
    /// (a client that rejects the certificate sends none).
    pub fn connections(&self) -> u64 {
        self.shared.connections()
    }

    /// Every request received so far (all paths), in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Only POST /v1/messages requests.
    pub fn message_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(RecordedRequest::is_message_request)
            .collect()
    }

    /// Only Message Batches requests (paths starting with /v1/messages/batches).
    pub fn batch_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(RecordedRequest::is_batch_request)
            .collect()
    }

    /// Blocks until the process is killed (for the `claude-rs mock` command).
    pub fn run_forever(&self) {
        self.shared.lifecycle.wait_until_stopped();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shared.lifecycle.stop();
        // `accept` has no timeout, so a connection is what wakes it to see the stop.
        let woke = TcpStream::connect_timeout(&self.address, WAKE_TIMEOUT).is_ok();
        if let Some(accept_thread) = self.accept_thread.take()
            && (woke || accept_thread.is_finished())
        {
            let _ = accept_thread.join();
        }
        let panics = self.shared.panics();
        if !panics.is_empty() && !std::thread::panicking() {
            panic!(
                "the fake API's handler panicked ({} times): {}",
                panics.len(),
                panics.join("; ")
            );
        }
    }
}
