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

/// One line of a report on stdout (doctor, explain, config, log): scrubbed
/// of every secret, since it quotes what servers, logs and users said.
pub(crate) fn print_stdout_line(text: &str) {
    print_data_line(&crate::secret::scrub(text));
}

/// One line of the user's data (a reply) on stdout, exactly as it is. A
/// closed stdout (`| head`) is normal use, not an error: output stops quietly.
pub(crate) fn print_data_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
}
