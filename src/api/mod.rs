//! The wire: request and response types, the SSE decoder, the HTTP client,
//! and how it reaches the API (proxy, trusted roots).

pub mod batches;
pub mod client;
pub mod model_facts;
pub mod models;
pub mod network;
pub mod pricing;
pub mod proxy;
pub mod sse;
pub mod stream;
pub mod tls;
pub mod transport;
pub mod types;

pub use client::{Client, ClientSettings, Reply};
pub use network::Network;
pub use types::{Message, MessageParams, Usage};
