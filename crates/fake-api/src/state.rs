//! The server's shared state: the configuration, the one sequence of
//! scripted steps with the rate-limit buckets, the batches, the record of
//! requests; and what every route asks of it (the key check, the next step).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use rustls::ServerConfig;

use super::batches::BatchStore;
use super::http::Request;
use super::lifecycle::Lifecycle;
use super::outcome::{Ids, Outcome, api_error};
use super::ratelimit::{Limits, RateLimits};
use super::{MockConfig, RecordedRequest, Step};

pub(crate) struct Shared {
    pub(super) config: MockConfig,
    /// `http://127.0.0.1:PORT`: batches hand out absolute `results_url`s.
    pub(super) base_url: String,
    /// The server side of TLS, when it serves HTTPS (`MockConfig::tls`).
    pub(super) tls: Option<Arc<ServerConfig>>,
    /// Connections accepted, TLS handshakes that failed included.
    connections: AtomicU64,
    dispatch: Mutex<Dispatch>,
    batches: Mutex<BatchStore>,
    recorded: Mutex<Vec<RecordedRequest>>,
    next_id: AtomicU64,
    pub lifecycle: Lifecycle,
    /// What each handler that panicked said: a broken fake must fail the
    /// test that used it, not pass as a connection reset that was retried.
    panics: Mutex<Vec<String>>,
}

/// Which step the next scripted request gets, and the rate-limit buckets:
/// one lock, so a request the limits refuse cannot take a step.
pub(super) struct Dispatch {
    pub steps_served: usize,
    pub rng: fastrand::Rng,
    pub limits: RateLimits,
}

impl Shared {
    pub fn new(config: MockConfig, base_url: String, tls: Option<Arc<ServerConfig>>) -> Shared {
        let dispatch = Dispatch {
            steps_served: 0,
            rng: fastrand::Rng::with_seed(config.seed),
            limits: RateLimits::new(
                Limits {
                    rpm: config.rpm_limit,
                    burst: config.rpm_burst,
                    input_tpm: config.itpm_limit,
                    output_tpm: config.otpm_limit,
                },
                Instant::now(),
            ),
        };
        Shared {
            config,
            base_url,
            tls,
            connections: AtomicU64::new(0),
            dispatch: Mutex::new(dispatch),
            batches: Mutex::new(BatchStore::default()),
            recorded: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            lifecycle: Lifecycle::default(),
            panics: Mutex::new(Vec::new()),
        }
    }

    pub fn count_connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_panic(&self, message: String) {
        self.panics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    pub fn panics(&self) -> Vec<String> {
        self.panics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn record(&self, request: &Request) {
        let recorded = RecordedRequest {
            method: request.method.clone(),
            path: request.target.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
            received_at: Instant::now(),
        };
        self.recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(recorded);
    }

    #[cfg(test)]
    pub fn steps_served(&self) -> usize {
        self.dispatch().steps_served
    }

    pub(super) fn dispatch(&self) -> MutexGuard<'_, Dispatch> {
        self.dispatch.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn batch_store(&self) -> MutexGuard<'_, BatchStore> {
        self.batches.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn next_ids(&self) -> Ids {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        Ids {
            request_id: format!("req_mock_{n:06}"),
            message_id: format!("msg_mock_{n:06}"),
        }
    }

    pub(super) fn require_api_key(
        &self,
        request: &Request,
        ids: &Ids,
        limit_headers: &[(String, String)],
    ) -> Option<Outcome> {
        let has_key = request
            .header("x-api-key")
            .is_some_and(|key| !key.is_empty());
        if has_key {
            return None;
        }
        let message = "x-api-key header is required";
        Some(api_error(401, None, message, ids, limit_headers.to_vec()))
    }

    /// A scenario that refuses the key on every message request (`auth`,
    /// `permission`) refuses it on the free models endpoint and the batches
    /// endpoints too, as the real API does; other faults never touch the models endpoint.
    pub(super) fn refused_key_status(&self) -> Option<u16> {
        match &self.config.then {
            Step::Status { status, .. } if matches!(status, 401 | 403) => Some(*status),
            _ => None,
        }
    }

    pub(super) fn peek_limit_headers(&self) -> Vec<(String, String)> {
        self.dispatch().limits.peek(Instant::now())
    }

    /// The next step of the one sequence every scripted endpoint shares.
    pub(super) fn next_step(&self) -> Step {
        self.take_step(&mut self.dispatch())
    }

    pub(super) fn take_step(&self, dispatch: &mut Dispatch) -> Step {
        let config = &self.config;
        let step = match config.script.get(dispatch.steps_served) {
            Some(step) => step.clone(),
            None => random_fault(&mut dispatch.rng, config).unwrap_or_else(|| config.then.clone()),
        };
        dispatch.steps_served = dispatch.steps_served.saturating_add(1);
        step
    }
}

fn random_fault(rng: &mut fastrand::Rng, config: &MockConfig) -> Option<Step> {
    if config.fault_steps.is_empty() || rng.f64() >= config.fault_rate {
        return None;
    }
    let index = rng.usize(..config.fault_steps.len());
    config.fault_steps.get(index).cloned()
}
