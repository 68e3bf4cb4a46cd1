//! The subcommands, each a thin use of the core.

pub mod ask;
pub mod generate;
pub mod mock;
