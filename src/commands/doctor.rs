//! `claude-rs doctor`: one command that tells which hop to the API is broken
//! and what to do. The checks live in `diagnose`; this prints them, one line
//! each as they finish (or one JSON object), and exits with the code of the
//! first failure.

use anyhow::Context as _;
use colored::Colorize;
use serde::Serialize;

use super::print_stdout_line;
use crate::api::Network;
use crate::cli::DoctorArgs;
use crate::config::{self, Context, UsageError};
use crate::diagnose::{self, Check, Options, Status};
use crate::exit_code::ExitCode;
use crate::report::Style;

#[derive(Serialize)]
struct Verdict<'a> {
    ok: bool,
    exit_code: u8,
    checks: &'a [Check],
}

/// `config_error`: why the config file could not be used (its check fails,
/// the others run on flags and environment alone).
pub fn run(
    args: &DoctorArgs,
    ctx: &Context,
    config_error: Option<UsageError>,
    style: &Style,
) -> anyhow::Result<ExitCode> {
    let timeout = config::seconds("--timeout", args.timeout)?;
    // A proxy or CA file that cannot be used is a finding of the config
    // check, like the rest of the configuration; the other checks go on
    // without it.
    let (network, allow_insecure_http, config_error) = match config::network::resolve(ctx) {
        Ok(resolved) => (resolved.network, resolved.allow_insecure_http, config_error),
        Err(error) => (Network::default(), false, config_error.or(Some(error))),
    };
    let options = Options {
        offline: args.offline,
        timeout,
        model: args.model.clone(),
        config_error,
        network,
        allow_insecure_http,
    };
    // The lines are data on stdout: coloured only for a person at a
    // terminal, never into a pipe or file, and only if colour is wanted.
    let colour = style.stdout_is_terminal && style.stderr_color;
    let checks = diagnose::run(&options, ctx, &mut |check| {
        if !args.json {
            print_stdout_line(&render(check, colour));
        }
    });
    let code = diagnose::exit_code(&checks);
    if !args.json {
        eprintln!("{}", summary(&checks, code));
        return Ok(code);
    }
    let verdict = Verdict {
        ok: code == ExitCode::Success,
        exit_code: code.code(),
        checks: &checks,
    };
    let json =
        serde_json::to_string(&verdict).context("the report could not be written as JSON")?;
    print_stdout_line(&json);
    Ok(code)
}

/// `✗ tcp         0 ms     the connection was refused …` and, for anything
/// not passing, `  fix: …` on the next line.
fn render(check: &Check, colour: bool) -> String {
    let symbol = check.status.symbol();
    let symbol = match (colour, check.status) {
        (false, _) => symbol.to_string(),
        (true, Status::Pass) => symbol.green().bold().to_string(),
        (true, Status::Warn) => symbol.yellow().bold().to_string(),
        (true, Status::Fail) => symbol.red().bold().to_string(),
        (true, Status::Skip) => symbol.dimmed().to_string(),
    };
    let figure = check.figure.as_deref().unwrap_or("");
    let mut line = format!("{symbol} {:<11} {figure:<8} {}", check.name, check.message);
    if let Some(fix) = &check.fix {
        let label = match colour {
            true => "fix:".green().bold(),
            false => "fix:".normal(),
        };
        line.push_str(&format!("\n  {label} {fix}"));
    }
    line
}

/// One line on stderr for the person: counts, and what the exit code means.
fn summary(checks: &[Check], code: ExitCode) -> String {
    let count = |status| checks.iter().filter(|c| c.status == status).count();
    let parts: Vec<String> = [
        (Status::Pass, "passed"),
        (Status::Warn, "warned"),
        (Status::Fail, "failed"),
        (Status::Skip, "skipped"),
    ]
    .into_iter()
    .map(|(status, word)| (count(status), word))
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}"))
    .collect();
    // Exit 2's general meaning says nothing was sent, which is not so here.
    let meaning = match code {
        ExitCode::Usage => "the configuration is missing or invalid",
        other => other.meaning(),
    };
    let first_failure = checks.iter().find(|c| c.status == Status::Fail);
    match first_failure {
        Some(failed) => format!(
            "doctor: {}; exit {} because {} failed ({meaning})",
            parts.join(", "),
            code.code(),
            failed.name,
        ),
        None => format!("doctor: {}; exit 0", parts.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_symbol_name_figure_message_and_the_fix_below() {
        let check =
            Check::fail("tcp", "refused", "start it", ExitCode::Network).with_figure("0 ms");
        assert_eq!(
            render(&check, false),
            "✗ tcp         0 ms     refused\n  fix: start it"
        );
        let check = Check::skip("tls", "tcp failed");
        assert_eq!(
            render(&check, false),
            "- tls                  skipped: tcp failed"
        );
    }

    #[test]
    fn the_summary_names_the_first_failure() {
        let checks = [
            Check::pass("config", "ok"),
            Check::fail("tcp", "refused", "start it", ExitCode::Network),
            Check::skip("tls", "tcp failed"),
        ];
        assert_eq!(
            summary(&checks, ExitCode::Network),
            "doctor: 1 passed, 1 failed, 1 skipped; exit 7 because tcp failed (network: timeout or connection failure)"
        );
        assert_eq!(
            summary(&checks[..1], ExitCode::Success),
            "doctor: 1 passed; exit 0"
        );
    }
}
