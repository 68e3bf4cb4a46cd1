//! `claude-rs config show` and `config path`: every setting in effect and
//! where it came from, resolved by the very functions the commands use (so
//! what it prints is what `ask` and `batch` would do), the key masked.

use serde::Serialize;
use serde_json::Value;

use super::print_stdout_line;
use crate::cli::{ConfigArgs, ConfigCommand, RequestArgs, RetryArgs};
use crate::config::user::{self as settings, Source};
use crate::config::{self, Context, Shown, UsageError};
use crate::exit_code::ExitCode;
use crate::report::{self, ColorChoice};
use crate::sanitize;

pub fn run(
    args: &ConfigArgs,
    ctx: &Context,
    color_flag: Option<ColorChoice>,
) -> anyhow::Result<ExitCode> {
    match &args.command {
        ConfigCommand::Path => {
            let path = settings::config_path(ctx.env).ok_or_else(|| {
                UsageError::new(
                    "this system has no config directory",
                    "name the file with CLAUDE_RS_CONFIG=/path/to/config.toml",
                )
            })?;
            print_stdout_line(&path.display().to_string());
            Ok(ExitCode::Success)
        }
        ConfigCommand::Show(show) => Ok(run_show(show.json, ctx, color_flag)),
    }
}

#[derive(Serialize)]
struct Row<'a> {
    key: &'a str,
    value: &'a Value,
    source: String,
}

#[derive(Serialize)]
struct Problem<'a> {
    problem: &'a str,
    fix: &'a str,
}

#[derive(Serialize)]
struct ShowJson<'a> {
    config_file: Option<String>,
    exists: bool,
    profile: Option<&'a str>,
    settings: Vec<Row<'a>>,
    problems: Vec<Problem<'a>>,
}

fn run_show(json: bool, ctx: &Context, color_flag: Option<ColorChoice>) -> ExitCode {
    let problems = resolve_everything(ctx, color_flag);
    let shown = ctx.shown();
    let path = ctx.user.path.as_ref().map(|p| p.display().to_string());
    let exists = ctx.user.file.is_some();
    let profile = ctx.user.profile.as_deref();
    if json {
        let body = ShowJson {
            config_file: path,
            exists,
            profile,
            settings: shown
                .iter()
                .map(|s| Row {
                    key: s.key,
                    value: &s.value,
                    source: s.source.to_string(),
                })
                .collect(),
            problems: problems
                .iter()
                .map(|p| Problem {
                    problem: &p.problem,
                    fix: &p.fix,
                })
                .collect(),
        };
        if let Ok(text) = serde_json::to_string(&body) {
            print_stdout_line(&text);
        }
    } else {
        let file = match (&path, exists) {
            (Some(path), true) => path.clone(),
            (Some(path), false) => {
                format!("{path} (none: every setting is a flag, the environment or a default)")
            }
            (None, _) => "none (this system has no config directory)".to_string(),
        };
        print_stdout_line(&format!("{:<20} {file}", "config file"));
        print_stdout_line(&format!("{:<20} {}", "profile", profile.unwrap_or("none")));
        // Aligned on the widest value, up to a line's worth: one value of a
        // megabyte (a bad paste in the file) must not pad every other row
        // to a megabyte as well.
        const MAX_ALIGNED: usize = 60;
        let width = shown
            .iter()
            .map(|row| shown_value(row).chars().count())
            .filter(|&width| width <= MAX_ALIGNED)
            .max()
            .unwrap_or(0);
        for row in &shown {
            print_stdout_line(&render(row, width));
        }
    }
    for warning in ctx.user.warnings() {
        eprintln!("{}", report::warning(&warning));
    }
    for problem in &problems {
        eprintln!(
            "{}",
            report::render_usage_error(&problem.problem, &problem.fix)
        );
    }
    match problems.is_empty() {
        true => ExitCode::Success,
        false => ExitCode::Usage,
    }
}

/// Resolves every setting as a command would, each recording itself in
/// `ctx`; a setting that is wrong is a problem to list, not the end.
fn resolve_everything(ctx: &Context, color_flag: Option<ColorChoice>) -> Vec<UsageError> {
    let mut problems = Vec::new();
    let mut keep = |result: Result<(), UsageError>| {
        if let Err(error) = result {
            problems.push(error);
        }
    };
    let request = config::resolve_request(&RequestArgs::default(), ctx);
    if let Ok(request) = &request {
        keep(config::fallback_model(None, &request.model, ctx).map(drop));
    }
    keep(request.map(drop));
    keep(config::resolve_retry(&RetryArgs::default(), ctx).map(drop));
    keep(config::api_key(ctx, false).map(drop));
    let base_url = config::resolve_base_url(ctx, &mut Vec::new());
    let network = config::network::resolve(ctx);
    // The same refusal `ask` makes: the key never goes in the clear to another machine.
    if let (Ok(url), Ok(network)) = (&base_url, &network) {
        keep(config::network::check_plain_http(
            url,
            network.allow_insecure_http,
        ));
    }
    keep(base_url.map(drop));
    keep(network.map(drop));
    config::log_path(ctx);
    config::shared_limits_dir(false, ctx);
    // The name clap parses it from.
    let name = |color: ColorChoice| {
        let value = clap::ValueEnum::to_possible_value(&color);
        value.map_or_else(String::new, |v| v.get_name().to_string())
    };
    ctx.pick(
        "color",
        color_flag.map(|c| (name(c), "--color")),
        None,
        ctx.config(|l| l.color.as_ref()).map(|c| c.map(name)),
        "auto".to_string(),
    );
    keep(config::resolve_pacing(None, None, None, None, None, ctx).map(drop));
    problems
}

fn shown_value(row: &Shown) -> String {
    match &row.value {
        Value::Null => "-".to_string(),
        Value::String(text) => sanitize::one_line(text).into_owned(),
        other => other.to_string(),
    }
}

/// `model                claude-opus-4-6   profile work, line 8`
fn render(row: &Shown, width: usize) -> String {
    let source = match &row.source {
        Source::Default if row.value.is_null() => "not set".to_string(),
        source => source.to_string(),
    };
    let value = shown_value(row);
    let pad = width.saturating_sub(value.chars().count());
    format!("{:<20} {value}{}  {source}", row.key, " ".repeat(pad))
}
