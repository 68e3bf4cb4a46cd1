//! The subcommands, each a thin use of the core.

pub mod ask;
pub mod batch;
mod batch_remote;
pub mod config;
pub mod doctor;
pub mod explain;
pub mod generate;
mod interrupt;
pub mod log;
pub mod mock;

/// One line of data on stdout; `crate::stdout` keeps what became of it.
pub(crate) fn print_stdout_line(text: &str) {
    crate::stdout::line(text);
}
