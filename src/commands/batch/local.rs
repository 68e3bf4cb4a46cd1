//! A local batch: the whole input checked, OUTPUT read back for a resume,
//! the items run here through the shared gate, the summary.

use std::sync::atomic::AtomicU64;

use crate::api::Client;
use crate::batch::gate::Gate;
use crate::batch::ids::IdKey;
use crate::batch::progress::{Progress, warn};
use crate::batch::remote::state::State;
use crate::batch::resume::{Done, Status, open_output, peek_output, read_output};
use crate::batch::run::{self, Feed, Plan, Sink};
use crate::batch::source::{Checked, InputFile, check_all};
use crate::batch::summary::{Tally, count};
use crate::batch::worker::Shared;
use crate::cli::BatchArgs;
use crate::commands::dry_run::BatchPlan;
use crate::config::{BatchSettings, Context, Refused, RemoteSettings, UsageError, resolve_batch};
use crate::events::Events;
use crate::exit_code::ExitCode;
use crate::log::EventLog;
use crate::report::{self, Style};
use crate::resilience::SystemClock;
use crate::resilience::breaker::BreakerConfig;
use crate::resilience::limiter::RateLimiter;
use crate::sanitize;
use crate::shared_limits::SharedLimits;

/// A checked batch, ready to run locally or through the Message Batches API.
pub(super) struct Batch {
    pub(super) settings: BatchSettings,
    pub(super) input: InputFile,
    pub(super) checked: Checked,
    pub(super) done: Done,
    /// Items this run has to do, invalid lines written as errored included.
    pub(super) pending: u64,
    pub(super) tally: Tally,
}

/// Checks the whole input and reads what an earlier run left in OUTPUT: the
/// same for a local and a remote batch.
pub(super) fn prepare(args: &BatchArgs, ctx: &Context) -> anyhow::Result<Box<Batch>> {
    let settings = resolve_batch(args, ctx)?;
    let mut input = InputFile::open(&settings.input)?;
    let mut done = match &settings.output {
        Some(path) => {
            input.refuse_as_output(path)?;
            match settings.dry_run {
                true => peek_output(path, settings.retry_errored)?,
                false => read_output(path, settings.retry_errored)?,
            }
        }
        None => Done::default(),
    };
    let checked = check_all(&mut input, &settings.request, &mut done).map_err(|e| {
        UsageError::new(
            format!("cannot read INPUT {}: {e}", input.name),
            "check that the file is readable",
        )
    })?;
    if !checked.invalid.is_empty() && !settings.skip_invalid {
        return Err(Refused(invalid_lines_report(&input.name, &checked)).into());
    }
    if let (Some((line, id)), Some(output)) = (&checked.changed, &settings.output) {
        return Err(UsageError::new(
            format!(
                "OUTPUT {} answers custom_id \"{id}\" for a different request than line {line} of {} makes (the input changed since that run); nothing was sent",
                output.display(),
                input.name
            ),
            "to keep both, give this input a new -o; to redo it, move OUTPUT away (its results are not reused for a changed request)",
        )
        .into());
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
        let Some(key) = error.custom_id.as_deref().map(IdKey::of) else {
            continue;
        };
        match done.status_of(key) {
            Status::ToDo => {
                done.note_to_do(key);
                pending += 1;
            }
            Status::AlreadyErrored => tally.skipped_errored += 1,
            Status::AlreadySucceeded => tally.skipped_succeeded += 1,
        }
    }
    say_warnings(&settings.connection.warnings);
    Ok(Box::new(Batch {
        settings,
        input,
        checked,
        done,
        pending,
        tally,
    }))
}

pub(super) fn say_warnings(warnings: &[String]) {
    warnings.iter().for_each(|warning| warn(warning));
}

/// Every invalid line, by number: the whole list, so one edit fixes them all.
fn invalid_lines_report(input: &str, checked: &Checked) -> String {
    let invalid = checked.invalid.len() as u64;
    let them = if invalid == 1 { "it" } else { "them" };
    let lines = count(invalid, "invalid line", "invalid lines");
    let mut text = report::render_usage_error(
        &format!("{input} has {lines}; nothing was sent"),
        &format!(
            "correct {them}, or add --skip-invalid to write {them} as errored results and send the rest"
        ),
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

    /// Says so when every item is already in OUTPUT; the exit code says how they stand.
    pub(super) fn nothing_to_do(&self) -> ExitCode {
        let output = self.output_name().unwrap_or_default();
        let mut line = format!(
            "nothing to do: every request in {} is already in {output} ({} succeeded, {} errored)",
            self.input.name, self.tally.skipped_succeeded, self.tally.skipped_errored
        );
        if self.tally.skipped_errored > 0 {
            line.push_str("; add --retry-errored to redo the errored ones");
        }
        eprintln!("{line}");
        let exit = match self.tally.skipped_errored {
            0 => ExitCode::Success,
            _ => ExitCode::BatchPartial,
        };
        let skipped = (self.tally.skipped_succeeded, self.tally.skipped_errored);
        let events = Events::open(self.settings.events.as_deref());
        crate::batch::summary::nothing_to_do(&events, skipped, exit);
        exit
    }

    /// Notes about OUTPUT before the run: what is skipped, what was repaired.
    pub(super) fn say_resuming(&self) {
        let Some(output) = self.output_name() else {
            return;
        };
        self.done.say_repairs(&output);
        let skipped = self.tally.skipped_succeeded + self.tally.skipped_errored;
        if skipped > 0 {
            let already = count(skipped, "request is", "requests are");
            let mut line = format!(
                "resuming: {already} already in {output} ({} succeeded, {} errored); {} to do",
                self.tally.skipped_succeeded, self.tally.skipped_errored, self.pending
            );
            if self.tally.skipped_errored > 0 {
                line.push_str(" (--retry-errored redoes the errored ones)");
            }
            eprintln!("{line}");
        }
    }

    /// Message Batches of OUTPUT not downloaded yet (OUTPUT.batches).
    fn pending_batches(&self) -> Result<usize, UsageError> {
        match &self.settings.output {
            Some(output) => Ok(State::read(output)?.pending().count()),
            None => Ok(0),
        }
    }

    /// A local run on an OUTPUT whose Message Batches are still running
    /// would send their items a second time (and pay for them twice).
    fn refuse_pending_batches(&self) -> Result<(), UsageError> {
        match (&self.settings.output, self.pending_batches()?) {
            (Some(output), 1..) => Err(UsageError::new(
                format!(
                    "{} lists Message Batches of this OUTPUT that are not downloaded yet",
                    crate::batch::remote::state::path_for(output).display()
                ),
                "finish them first with the same command and --remote (or remove that file to send their items again)",
            )),
            _ => Ok(()),
        }
    }

    /// `--dry-run`: the plan and the first request; nothing sent, OUTPUT untouched.
    pub(super) fn dry_run(&mut self, remote: Option<&RemoteSettings>) -> anyhow::Result<ExitCode> {
        if remote.is_none() {
            self.refuse_pending_batches()?;
        }
        // The fake API's address, for the URL shown; it gets no request.
        let _mock = crate::commands::mock::start_for(&mut self.settings.connection)?;
        let tally = &self.tally;
        Ok(crate::commands::dry_run::batch(&BatchPlan {
            settings: &self.settings,
            input: &self.input.name,
            estimate: &self.checked.estimate,
            skipped: (tally.skipped_succeeded, tally.skipped_errored),
            invalid: self.pending - self.checked.to_do,
            pending_batches: self.pending_batches()?,
            remote,
        }))
    }

    pub(super) fn run(mut self, style: &Style) -> anyhow::Result<ExitCode> {
        if self.pending == 0 {
            return Ok(self.nothing_to_do());
        }
        self.refuse_pending_batches()?;
        let sink = match &self.settings.output {
            Some(path) => Sink::File(open_output(path, &mut self.done)?),
            None => Sink::Stdout,
        };
        self.say_resuming();
        // Kept alive for the whole run: dropping it stops the fake API.
        let _mock = crate::commands::mock::start_for(&mut self.settings.connection)?;
        let settings = &self.settings;
        let log = || {
            EventLog::new(settings.log_path.clone())
                .for_mock(settings.connection.mock_scenario.is_some())
        };
        let shared = Shared {
            client: Client::new(&settings.connection.client),
            gate: Gate::new(
                RateLimiter::new(
                    settings.pacing.rpm,
                    settings.pacing.tpm,
                    settings.pacing.rate_fraction,
                ),
                BreakerConfig::default(),
                SystemClock {
                    sleep_scale: settings.connection.sleep_scale,
                },
                settings.pacing.give_up_after,
            )
            .sharing(settings.connection.shared_limits.as_ref().map(|dir| {
                let client = &settings.connection.client;
                let model = &settings.request.model;
                SharedLimits::new(dir, &client.base_url, &client.api_key, model)
            }))
            .with_fallback(settings.fallback_model.is_some()),
            policy: settings.policy.clone(),
            expectation: settings.expectation.clone(),
            capabilities: crate::output_check::Capabilities::new(settings.model_cache.clone()),
            log: log(),
            events: Events::open(settings.events.as_deref()),
            retries: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            fallback_model: settings.fallback_model.clone(),
        };
        let bar = style.stderr_is_terminal && !Events::on_stderr(settings.events.as_deref());
        let progress = Progress::new(self.pending, bar, settings.quiet);
        let plan = Plan {
            feed: Feed {
                input: self.input,
                defaults: settings.request.clone(),
                invalid: self.checked.invalid,
                done: self.done,
            },
            tally: self.tally,
            jobs: settings.pacing.jobs,
            sink,
            sink_on_terminal: settings.output.is_none() && style.stdout_is_terminal,
            pending: self.pending,
            output: settings.output.as_ref().map(|p| p.display().to_string()),
            log: log(),
        };
        Ok(run::run(plan, shared, &progress))
    }
}
