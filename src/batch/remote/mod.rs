//! `claude-rs batch --remote`: the same input, checks, OUTPUT format and
//! resume rules as a local batch, with the work done by the Message Batches
//! API. Every call goes through the same core (classification, retry policy,
//! log) as a message request.
//!
//! run (the order of things) → submit (input → chunk → create, each batch
//! recorded in state) → poll (follow until ended) → download (results →
//! OUTPUT) → summary. `show` renders `--status`, `--cancel` and `--list`.

pub mod calls;
pub mod chunk;
pub mod download;
pub mod poll;
pub mod run;
pub mod show;
pub mod state;
pub mod submit;
