//! The Models API (`GET /v1/models`, paged, and `GET /v1/models/{id}`) and
//! `POST /v1/messages/count_tokens`, in the real API's shapes: a model object
//! carries `max_tokens`, `max_input_tokens` and `capabilities` (as the
//! official SDKs' `ModelInfo` has them), a list page `has_more`, `first_id`
//! and `last_id`, an unknown id a 404 `not_found_error`.

use serde_json::{Value, json};

use super::http::Request;
use super::outcome::{Ids, Outcome, api_error, json_outcome};
use super::responses::{self, display_name};
use super::state::Shared;

/// The most a list page holds, as the real API caps `limit`.
const MAX_PAGE: usize = 1000;
const DEFAULT_PAGE: usize = 20;

/// `max_tokens` and `max_input_tokens` a model id is served with, unless
/// `MockConfig::limits` says otherwise: the 4.5 generation has 64k / 200k,
/// the rest 128k / 1M.
fn own_limits(id: &str) -> (u32, u64) {
    match id.contains("-4-5") {
        true => (64_000, 200_000),
        false => (128_000, 1_000_000),
    }
}

impl Shared {
    pub(super) fn models(&self, request: &Request, ids: &Ids, wanted: Option<&str>) -> Outcome {
        let limit_headers = self.peek_limit_headers();
        if let Some(refused) = self.refuse_key(request, ids, &limit_headers) {
            return refused;
        }
        let known = &self.config.models;
        let body = match wanted {
            None => self.model_page(known, &query(&request.target)),
            Some(id) if known.iter().any(|model| model == id) => self.model(id),
            Some(id) => {
                let message = format!("model: {id}");
                return api_error(404, None, &message, ids, limit_headers);
            }
        };
        json_outcome(200, body.to_string(), ids, limit_headers)
    }

    /// A missing key is 401 and a scenario that refuses every key (`auth`,
    /// `permission`) refuses it here too, as the real API does.
    fn refuse_key(
        &self,
        request: &Request,
        ids: &Ids,
        headers: &[(String, String)],
    ) -> Option<Outcome> {
        if let Some(missing_key) = self.require_api_key(request, ids, headers) {
            return Some(missing_key);
        }
        let status = self.refused_key_status()?;
        let message = responses::canonical_error(status).1;
        Some(api_error(status, None, message, ids, headers.to_vec()))
    }

    fn model(&self, id: &str) -> Value {
        let (max_tokens, max_input_tokens) = self.config.limits.unwrap_or_else(|| own_limits(id));
        let supported = json!({"supported": true});
        json!({
            "type": "model",
            "id": id,
            "display_name": display_name(id),
            "created_at": "2025-01-01T00:00:00Z",
            "max_input_tokens": max_input_tokens,
            "max_tokens": max_tokens,
            "capabilities": {
                "batch": supported,
                "citations": supported,
                "image_input": supported,
                "pdf_input": supported,
                "structured_outputs": {"supported": !self.config.without_structured_outputs.iter().any(|m| m == id)},
                "thinking": {"supported": true, "types": {"adaptive": supported}},
                "effort": {"supported": !id.contains("haiku"), "high": supported},
            },
        })
    }

    /// One page after `after_id` (none: from the start), of `limit` models.
    fn model_page(&self, known: &[String], query: &[(String, String)]) -> Value {
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let limit = param("limit")
            .and_then(|l| l.parse::<usize>().ok())
            .map_or(DEFAULT_PAGE, |l| l.clamp(1, MAX_PAGE));
        let start = param("after_id")
            .and_then(|after| known.iter().position(|id| id == after))
            .map_or(0, |at| at + 1);
        let page: Vec<&String> = known.iter().skip(start).take(limit).collect();
        json!({
            "data": page.iter().map(|id| self.model(id)).collect::<Vec<_>>(),
            "has_more": start + page.len() < known.len(),
            "first_id": page.first(),
            "last_id": page.last(),
        })
    }

    /// `POST /v1/messages/count_tokens`: a deterministic estimate, the body's
    /// bytes / 4 rounded up, for a known model.
    pub(super) fn count_tokens(&self, request: &Request, ids: &Ids) -> Outcome {
        if let Some(refused) = self.refuse_key(request, ids, &[]) {
            return refused;
        }
        let body: Option<Value> = serde_json::from_slice(&request.body).ok();
        let model = body
            .as_ref()
            .and_then(|b| b["model"].as_str())
            .unwrap_or_default();
        if !self.config.models.iter().any(|known| known == model) {
            let message = format!("model: {model}");
            return api_error(404, None, &message, ids, Vec::new());
        }
        let tokens = request.body.len().div_ceil(4);
        json_outcome(
            200,
            json!({"input_tokens": tokens}).to_string(),
            ids,
            Vec::new(),
        )
    }
}

/// `a=1&b=2` of a request target, undecoded (ids and numbers need no decoding).
fn query(target: &str) -> Vec<(String, String)> {
    let Some((_, query)) = target.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_split_into_pairs() {
        assert_eq!(
            query("/v1/models?limit=2&after_id=claude-x&junk"),
            vec![
                ("limit".to_string(), "2".to_string()),
                ("after_id".to_string(), "claude-x".to_string())
            ]
        );
        assert!(query("/v1/models").is_empty());
    }

    #[test]
    fn the_4_5_generation_has_its_smaller_limits() {
        assert_eq!(own_limits("claude-haiku-4-5"), (64_000, 200_000));
        assert_eq!(own_limits("claude-sonnet-5-5"), (128_000, 1_000_000));
    }
}
