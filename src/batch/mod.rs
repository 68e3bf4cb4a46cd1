//! `claude-rs batch`: many requests from a file, through the same core as
//! `ask` (classification, retry policy, messages, log), with what a batch adds:
//! a shared rate limiter, a shared circuit breaker, results written as each
//! item finishes, and resuming from an earlier run's OUTPUT.
//!
//! input → source (two passes: check everything, then hand out) → run (feeder,
//! workers, writer) → worker (one item through the retry loop, waiting at the
//! gate) → results (the Message Batches results format) → summary.
//! `remote` does the same work through the Message Batches API.

pub mod estimate;
pub mod gate;
pub mod ids;
pub mod input;
pub mod journal;
pub mod outcomes;
pub mod progress;
pub mod remote;
pub mod results;
pub mod resume;
pub mod run;
pub mod source;
pub mod summary;
pub mod worker;
