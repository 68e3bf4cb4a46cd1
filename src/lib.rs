//! claude-rs: a command-line client for the Anthropic Claude Messages API whose
//! point is its error handling. `resilience` classifies every failure once and
//! decides about retries; `api` speaks the wire; `commands` are thin uses of both.

pub(crate) mod api;
pub(crate) mod batch;
pub(crate) mod cache;
pub(crate) mod call;
pub(crate) mod cli;
pub mod commands;
pub mod config;
pub(crate) mod dates;
pub(crate) mod diagnose;
pub(crate) mod events;
pub mod exit_code;
pub(crate) mod fallback;
pub mod log;
pub(crate) mod output_check;
pub(crate) mod private;
pub(crate) mod report;
pub mod resilience;
pub(crate) mod sanitize;
pub(crate) mod secret;
pub(crate) mod shared_limits;
pub(crate) mod signal;
pub(crate) mod stdout;
#[cfg(test)]
pub(crate) mod testing;

use cli::Command;
use config::user::UserConfig;
use config::{Refused, UsageError};
use exit_code::ExitCode;
use report::ColorChoice;

/// Parses the command line, runs the command, returns the exit code.
pub fn run() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(error) => {
            let printed = error.print();
            if error.use_stderr() {
                return ExitCode::Usage;
            }
            // `--help` and `--version` are data on stdout like any other.
            if let Err(e) = printed {
                stdout::note_error(&e);
            }
            return checked_stdout(ExitCode::Success);
        }
    };
    let env = |name: &str| std::env::var(name).ok();
    // Known before anything is read or printed: `log` and `explain` resolve
    // no key, yet must mask the user's own wherever it shows.
    if let Some(key) = env("ANTHROPIC_API_KEY") {
        secret::remember(&key);
    }
    let style = report::Style::detect(cli.color.unwrap_or(ColorChoice::Auto), &env);
    let uses_config = match &cli.command {
        Command::Explain(_) | Command::Mock(_) | Command::Generate(_) => false,
        Command::Config(args) => !matches!(args.command, cli::ConfigCommand::Path),
        _ => true,
    };
    let (user, config_error) = match uses_config {
        true => match UserConfig::load(cli.profile.as_deref(), &env) {
            Ok(user) => (user, None),
            Err(error) => (UserConfig::default(), Some(error)),
        },
        false => (UserConfig::default(), None),
    };
    // doctor reports a bad config file as its first check; every other command stops on it.
    if let Some(error) = &config_error
        && !matches!(cli.command, Command::Doctor(_))
    {
        return refuse(&error.clone().into());
    }
    let style = match (cli.color, user.get(|layer| layer.color.as_ref())) {
        (None, Some(color)) => report::Style::detect(color.value, &env),
        _ => style,
    };
    let ctx = config::Context::new(&env, &user, cli.log_file.clone(), &cli.network);
    let ran = match cli.command {
        Command::Ask(args) => commands::ask::run(&args, &ctx, &style),
        Command::Batch(args) => commands::batch::run(&args, &ctx, &style),
        Command::Explain(args) => commands::explain::run(&args),
        Command::Log(args) => commands::log::run(&args, &ctx),
        Command::Doctor(args) => commands::doctor::run(&args, &ctx, config_error, &style),
        Command::Mock(args) => commands::mock::run(&args, &env),
        Command::Config(args) => commands::config::run(&args, &ctx, cli.color),
        Command::Generate(args) => commands::generate::run(&args),
    };
    checked_stdout(ran.unwrap_or_else(|error| refuse(&error)))
}

/// The one place a command's refusal is printed. A `UsageError` or a
/// refusal already written out is exit 2 (nothing was sent); anything else
/// that reaches here is a local failure claude-rs cannot work around, said
/// with its context chain, exit 1. Failures of the API never come this way:
/// they stay typed in the core and are reported by the command itself.
fn refuse(error: &anyhow::Error) -> ExitCode {
    if let Some(usage) = error.downcast_ref::<UsageError>() {
        eprintln!("{}", report::render_usage_error(&usage.problem, &usage.fix));
        return ExitCode::Usage;
    }
    if let Some(refused) = error.downcast_ref::<Refused>() {
        eprintln!("{refused}");
        return ExitCode::Usage;
    }
    eprintln!(
        "{}",
        report::render_usage_error(
            &format!("{error:#}"),
            "check the file or folder named, its permissions and the free space, then run again"
        )
    );
    ExitCode::Internal
}

/// A failed stdout is said once here for every command; a failure code of
/// the command's own is the more specific news and stays.
fn checked_stdout(code: ExitCode) -> ExitCode {
    match stdout::failure() {
        Some(error) => {
            let problem =
                format!("could not write to stdout: {error}; the output is incomplete or missing");
            let fix = "free space on the disk stdout goes to, or redirect stdout elsewhere, then run the command again";
            eprintln!("{}", report::render_usage_error(&problem, fix));
            match code {
                ExitCode::Success => ExitCode::Output,
                other => other,
            }
        }
        None => code,
    }
}
