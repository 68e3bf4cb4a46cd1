//! The subcommands, each a thin use of the core.

pub mod ask;
pub mod batch;
mod batch_remote;
pub mod config;
pub mod doctor;
pub mod explain;
pub mod generate;
pub mod log;
pub mod mock;

use std::io::Write;

/// One line of data on stdout. A closed stdout (`| head`) is normal use, not
/// an error: output stops quietly.
pub(crate) fn print_stdout_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
}
