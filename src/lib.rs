//! claude-rs: a command-line client for the Anthropic Claude Messages API whose
//! point is its error handling. `resilience` classifies every failure once and
//! decides about retries; `api` speaks the wire; `commands` are thin uses of both.

pub mod api;
pub mod batch;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnose;
pub mod exit_code;
pub mod log;
pub mod mock;
pub mod output_check;
pub mod report;
pub mod resilience;
pub mod sanitize;
pub mod secret;
pub mod settings;

use cli::Command;
use exit_code::ExitCode;

/// Parses the command line, runs the command, returns the exit code.
pub fn run() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Success
            };
        }
    };
    let env = |name: &str| std::env::var(name).ok();
    let style = report::Style::detect(cli.color, &env);
    match cli.command {
        Command::Ask(args) => commands::ask::run(&args, cli.log_file, &cli.network, &style, &env),
        Command::Batch(args) => {
            commands::batch::run(&args, cli.log_file, &cli.network, &style, &env)
        }
        Command::Explain(args) => commands::explain::run(&args),
        Command::Log(args) => commands::log::run(&args, cli.log_file, &env),
        Command::Doctor(args) => {
            commands::doctor::run(&args, cli.log_file, &cli.network, &style, &env)
        }
        Command::Mock(args) => commands::mock::run(&args, &env),
        Command::Generate(args) => commands::generate::run(&args),
    }
}
