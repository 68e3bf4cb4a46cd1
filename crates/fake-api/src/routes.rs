//! Routing: which handler answers a request, and the Messages endpoint's
//! rate limits. What a scripted step becomes is in `perform`.

use std::time::Instant;

use serde_json::Value;

use super::Step;
use super::batch_routes;
use super::http::Request;
use super::outcome::{Ids, Outcome, api_error};
use super::ratelimit::{Cost, Refusal};
use super::responses;
use super::state::Shared;

const MESSAGES_PATH: &str = "/v1/messages";
const MODELS_PATH: &str = "/v1/models";
const MODEL_PATH_PREFIX: &str = "/v1/models/";
/// The real API's request size limit for a Messages request and most others.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// The real API's limit for creating a Message Batch.
const MAX_BATCH_BODY_BYTES: usize = 256 * 1024 * 1024;

/// The largest body accepted for a path (without its query): what the
/// transport is given to refuse a larger one with 413 before reading it.
pub(super) fn max_body_bytes(path: &str) -> usize {
    if path == batch_routes::BATCHES_PATH {
        MAX_BATCH_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// Unit tests only: a handler that panics, to prove the server reports it.
#[cfg(test)]
pub(super) const PANIC_PATH: &str = "/test/panic";

impl Shared {
    pub(super) fn route(&self, request: &Request, ids: &Ids) -> Outcome {
        // A base URL that redirects (`--scenario` or `then` a 3xx) does so on
        // every path, as a moved host or a captive portal does.
        // A hostile server echoes the key on every path too (doctor asks the
        // models endpoint).
        if let Step::Status {
            status: 300..=399, ..
        }
        | Step::EchoKey(_) = &self.config.then
        {
            return self.perform(&self.config.then, request, ids, Vec::new());
        }
        let path = request.path();
        #[cfg(test)]
        if path == PANIC_PATH {
            panic!("a handler bug, on purpose");
        }
        match (request.method.as_str(), path) {
            ("POST", MESSAGES_PATH) => self.messages(request, ids),
            ("POST", "/v1/messages/count_tokens") => self.count_tokens(request, ids),
            ("GET", MODELS_PATH) => self.models(request, ids, None),
            ("GET", _) if path.starts_with(MODEL_PATH_PREFIX) => {
                let id = &path[MODEL_PATH_PREFIX.len()..];
                self.models(request, ids, Some(id))
            }
            (method, _) => match batch_routes::call(method, path) {
                Some(call) => self.batch_call(call, request, ids),
                None => api_error(404, None, "Not found", ids, vec![]),
            },
        }
    }

    fn messages(&self, request: &Request, ids: &Ids) -> Outcome {
        if !self.lifecycle.sleep(self.config.latency) {
            return Outcome::Reset;
        }
        if let Some(missing_key) = self.require_api_key(request, ids, &self.peek_limit_headers()) {
            return missing_key;
        }
        let cost = self.cost(request);
        let (step, limit_headers) = match self.admit_and_take_step(cost) {
            Ok(admitted) => admitted,
            Err(refused) => return self.rate_limited(&refused, ids),
        };
        let outcome = self.perform(&step, request, ids, limit_headers);
        if self.config.otpm_limit.is_some() {
            let used = self.output_tokens_of(&step, request);
            let mut dispatch = self.dispatch();
            dispatch
                .limits
                .settle_output(cost.output_tokens, used, Instant::now());
        }
        outcome
    }

    /// Charged for what the body holds, even when it is invalid; parsed only
    /// when a bucket counts tokens, as a body may be 32 MB.
    fn cost(&self, request: &Request) -> Cost {
        if self.config.itpm_limit.is_none() && self.config.otpm_limit.is_none() {
            return Cost::default();
        }
        let body = serde_json::from_slice::<Value>(&request.body).ok();
        Cost {
            input_tokens: body.as_ref().map_or(1, responses::estimate_input_tokens),
            output_tokens: body
                .as_ref()
                .and_then(|body| body.get("max_tokens"))
                .and_then(Value::as_u64)
                .unwrap_or(1),
        }
    }

    /// The limits decide first, so a refused request leaves the script where it was.
    fn admit_and_take_step(&self, cost: Cost) -> Result<(Step, Vec<(String, String)>), Refusal> {
        let mut dispatch = self.dispatch();
        let limit_headers = dispatch.limits.try_acquire(cost, Instant::now())?;
        Ok((self.take_step(&mut dispatch), limit_headers))
    }

    fn rate_limited(&self, refused: &Refusal, ids: &Ids) -> Outcome {
        let mut headers = refused.headers.clone();
        headers.push((
            "retry-after".to_string(),
            refused.retry_after_seconds().to_string(),
        ));
        let message = refused.resource.refusal_message();
        api_error(429, None, message, ids, headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_batch_creation_may_send_more_than_32_mb() {
        assert_eq!(max_body_bytes("/v1/messages/batches"), 256 * 1024 * 1024);
        assert_eq!(max_body_bytes("/v1/messages"), 32 * 1024 * 1024);
        assert_eq!(
            max_body_bytes("/v1/messages/batches/x/cancel"),
            MAX_BODY_BYTES
        );
    }
}
