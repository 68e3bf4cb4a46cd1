//! The subcommands, each a thin use of the core.

pub mod ask;
pub mod batch;
pub mod config;
pub mod doctor;
pub mod dry_run;
pub mod explain;
pub mod generate;
mod interrupt;
pub mod log;
pub mod mock;
mod pace;
mod preflight;

/// One line of a report on stdout (doctor, explain, config, log): scrubbed
/// of every secret, since it quotes what servers, logs and users said.
/// `crate::stdout` keeps what became of it.
pub(crate) fn print_stdout_line(text: &str) {
    crate::stdout::line(&crate::secret::scrub(text));
}
