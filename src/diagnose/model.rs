//! The model check's second half (issue 12): the limits and capabilities the
//! Models API states for the model, or the built-in table's, saying which.

use super::{Check, Status};
use crate::api::{Client, model_facts};

/// `check` with the model's facts appended, when the model is served.
pub fn with_facts(mut check: Check, client: &Client, model: &str) -> Check {
    if matches!(check.status, Status::Pass | Status::Warn) {
        let facts = model_facts::lookup(client, None, model);
        check
            .message
            .push_str(&format!("; {} (from {})", facts.describe(), facts.source));
        if !facts.capabilities.is_empty() {
            check
                .message
                .push_str(&format!("; supports {}", facts.capabilities.join(", ")));
        }
    }
    check
}
