//! `claude-rs batch`: check the whole input, pick up where an earlier run
//! left OUTPUT, run the items, sum up. The work itself is in `crate::batch`.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::time::SystemTime;

use crate::api::Client;
use crate::batch::gate::Gate;
use crate::batch::progress::Progress;
use crate::batch::resume::{Done, Status, open_output, read_output};
use crate::batch::run::{self, Plan, Sink};
use crate::batch::source::{Checked, InputFile, check_all};
use crate::batch::summary::{Ending, Tally, command_line};
use crate::batch::worker::{COMMAND, Shared};
use crate::cli::BatchArgs;
use crate::config::{BatchSettings, EnvLookup, UsageError, resolve_batch};
use crate::exit_code::ExitCode;
use crate::log::{BatchRecord, EventLog, timestamp};
use crate::report::{self, Style};
use crate::resilience::breaker::BreakerConfig;
use crate::resilience::limiter::RateLimiter;
use crate::sanitize;

pub fn run(args: &BatchArgs, log_file: Option<PathBuf>, style: &Style, env: EnvLookup) -> ExitCode {
    match prepare(args, log_file, env) {
        Ok(Prepared::Run(batch)) => batch.run(style),
        Ok(Prepared::Nothing(code)) => code,
        Err(Refusal::Usage(error)) => {
            eprintln!("{}", report::render_usage_error(&error.problem, &error.fix));
            ExitCode::Usage
        }
        Err(Refusal::InvalidLines(text)) => {
            eprintln!("{text}");
            ExitCode::Usage
        }
    }
}

enum Prepared {
    Run(Box<Batch>),
    /// Nothing left to send; the exit code says how the items stand.
    Nothing(ExitCode),
}

enum Refusal {
    Usage(UsageError),
    InvalidLines(String),
}

impl From<UsageError> for Refusal {
    fn from(error: UsageError) -> Refusal {
        Refusal::Usage(error)
    }
}

/// A checked batch, ready to run.
struct Batch {
    settings: BatchSettings,
    input: InputFile,
    checked: Checked,
    done: Done,
    /// Items this run has to do, invalid lines written as errored included.
    pending: u64,
    tally: Tally,
}

fn prepare(
    args: &BatchArgs,
    log_file: Option<PathBuf>,
    env: EnvLookup,
) -> Result<Prepared, Refusal> {
    let settings = resolve_batch(args, log_file, env)?;
    let mut input = InputFile::open(&settings.input)?;
    let done = match &settings.output {
        Some(path) => read_output(path, settings.retry_errored)?,
        None => Done::default(),
    };
    let checked = check_all(&mut input, &settings.request, &done).map_err(|e| {
        UsageError::new(
            format!("cannot read INPUT {}: {e}", input.name),
            "check that the file is readable",
        )
    })?;
    if !checked.invalid.is_empty() && !settings.skip_invalid {
        return Err(Refusal::InvalidLines(invalid_lines_report(
            &input.name,
            &checked,
        )));
    }
    if checked.items == 0 && checked.invalid.is_empty() {
        return Err(UsageError::new(
            format!("INPUT {} holds no requests", input.name),
            "give one request per line: plain text, {\"custom_id\",\"prompt\"} or {\"custom_id\",\"params\"}",
        )
        .into());
    }
    let mut tally = Tally {
        skipped_succeeded: checked.already_succeeded,
        skipped_errored: checked.already_errored,
        ..Tally::default()
    };
    let mut pending = checked.to_do;
    for error in checked.invalid.values() {
        match error.custom_id.as_deref().map(|id| done.status(id)) {
            Some(Status::ToDo) => pending += 1,
            Some(Status::AlreadyErrored) => tally.skipped_errored += 1,
            Some(Status::AlreadySucceeded) => tally.skipped_succeeded += 1,
            None => {}
        }
    }
    for warning in &settings.connection.warnings {
        eprintln!("{}", report::warning(warning));
    }
    let batch = Batch {
        settings,
        input,
        checked,
        done,
        pending,
        tally,
    };
    if pending == 0 {
        batch.say_nothing_to_do();
        let code = match batch.tally.skipped_errored {
            0 => ExitCode::Success,
            _ => ExitCode::BatchPartial,
        };
        return Ok(Prepared::Nothing(code));
    }
    Ok(Prepared::Run(Box::new(batch)))
}

/// Every invalid line, by number: the whole list, so one edit fixes them all.
fn invalid_lines_report(input: &str, checked: &Checked) -> String {
    let count = checked.invalid.len();
    let lines = if count == 1 { "line" } else { "lines" };
    let mut text = report::render_usage_error(
        &format!("{input} has {count} invalid {lines}; nothing was sent"),
        "correct them, or add --skip-invalid to write them as errored results and send the rest",
    );
    for error in checked.invalid.values() {
        text.push_str(&format!(
            "\n  line {}: {}",
            error.line,
            sanitize::one_line(&error.problem)
        ));
    }
    text
}

impl Batch {
    fn output_name(&self) -> Option<String> {
        self.settings
            .output
            .as_ref()
            .map(|path| path.display().to_string())
    }

    fn say_nothing_to_do(&self) {
        let output = self.output_name().unwrap_or_default();
        let mut line = format!(
            "nothing to do: every request in {} is already in {output} ({} succeeded, {} errored)",
            self.input.name, self.tally.skipped_succeeded, self.tally.skipped_errored
        );
        if self.tally.skipped_errored > 0 {
            line.push_str("; add --retry-errored to redo the errored ones");
        }
        eprintln!("{line}");
    }

    /// Notes about OUTPUT before the run: what is skipped, what was repaired.
    fn say_resuming(&self) {
        let Some(output) = self.output_name() else {
            return;
        };
        if self.done.torn_bytes > 0 {
            eprintln!(
                "{}",
                report::warning(&format!(
                    "{output} ended in a torn line ({} bytes) left by a run that was killed: removed; that item is done again",
                    self.done.torn_bytes
                ))
            );
        }
        if self.done.dropped_for_retry > 0 {
            eprintln!(
                "--retry-errored: removed {} errored lines from {output}; those items are done again",
                self.done.dropped_for_retry
            );
        }
        let skipped = self.tally.skipped_succeeded + self.tally.skipped_errored;
        if skipped > 0 {
            let mut line = format!(
                "resuming: {skipped} requests are already in {output} ({} succeeded, {} errored); {} to do",
                self.tally.skipped_succeeded, self.tally.skipped_errored, self.pending
            );
            if self.tally.skipped_errored > 0 {
                line.push_str(" (--retry-errored redoes the errored ones)");
            }
            eprintln!("{line}");
        }
    }

    fn run(mut self, style: &Style) -> ExitCode {
        let sink = match &self.settings.output {
            Some(path) => match open_output(path, &mut self.done) {
                Ok(file) => Sink::File(file),
                Err(error) => {
                    eprintln!("{}", report::render_usage_error(&error.problem, &error.fix));
                    return ExitCode::Usage;
                }
            },
            None => Sink::Stdout,
        };
        self.say_resuming();
        // Kept alive for the whole run: dropping it stops the fake API.
        let _mock = match crate::commands::mock::start_for(&mut self.settings.connection) {
            Ok(mock) => mock,
            Err(error) => {
                eprintln!("{}", report::render_usage_error(&error.problem, &error.fix));
                return ExitCode::Usage;
            }
        };
        let settings = &self.settings;
        let shared = Shared {
            client: Client::new(&settings.connection.client),
            gate: Gate::new(
                RateLimiter::new(settings.rpm, settings.tpm, settings.rate_fraction),
                BreakerConfig::default(),
                settings.connection.sleep_scale,
            ),
            policy: settings.policy.clone(),
            expectation: settings.expectation.clone(),
            log: EventLog::new(settings.log_path.clone()),
            retries: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        };
        let log = EventLog::new(settings.log_path.clone());
        let progress = Progress::new(self.pending, style.stderr_is_terminal, settings.quiet);
        let plan = Plan {
            input: self.input,
            defaults: settings.request.clone(),
            invalid: self.checked.invalid,
            done: self.done,
            jobs: settings.jobs,
            sink,
            sink_on_terminal: settings.output.is_none() && style.stdout_is_terminal,
        };
        let finished = run::run(plan, shared, &progress);
        progress.finish();
        let tally = Tally {
            skipped_succeeded: self.tally.skipped_succeeded,
            skipped_errored: self.tally.skipped_errored,
            ..finished.tally
        };
        let output = settings.output.as_ref().map(|p| p.display().to_string());
        let rerun = command_line(std::env::args_os().map(|a| a.to_string_lossy().into_owned()));
        let ending = Ending {
            tally: &tally,
            pending: self.pending,
            retries: finished.retries,
            requests: finished.requests,
            gate: finished.gate,
            elapsed: finished.elapsed,
            stop: finished.stop.as_ref(),
            output: output.as_deref(),
            rerun: &rerun,
        };
        eprintln!("{}", ending.render());
        let unfinished = self
            .pending
            .saturating_sub(tally.succeeded + tally.errored_total());
        if let Some(warning) = log.append(&BatchRecord {
            ts: timestamp(SystemTime::now()),
            event: "batch",
            command: COMMAND,
            outcome: ending.outcome(),
            succeeded: tally.succeeded,
            errored: tally.errored_total(),
            unfinished,
            retries: finished.retries,
            elapsed_ms: finished.elapsed.as_millis() as u64,
        }) {
            eprintln!("{}", report::warning(&warning));
        }
        ending.exit_code()
    }
}
