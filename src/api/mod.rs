//! The wire: request and response types, the SSE decoder, the HTTP client.

pub mod batches;
pub mod client;
pub mod models;
pub mod pricing;
pub mod sse;
pub mod stream;
pub mod types;

pub use client::{Client, ClientSettings, Reply, ResultLines};
pub use types::{Message, MessageParams, Usage};
