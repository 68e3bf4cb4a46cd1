//! One remote batch run, start to end: follow what the state file says is
//! still out there, submit what is in no batch and not in OUTPUT, poll and
//! download everything, sum up.

use std::time::Instant;

use colored::Colorize;

use super::calls::{Calls, Say};
use super::download::Output;
use super::poll::{Followed, Runner};
use super::state::State;
use crate::batch::progress::{Progress, warn};
use crate::batch::run::Feed;
use crate::batch::summary::{BatchLine, Ending, How, Stop, command_line, count};
use crate::config::BatchApiSettings;
use crate::events::Events;
use crate::exit_code::ExitCode;
use crate::log::EventLog;
use crate::report::Style;
use crate::signal::Signals;

/// What the run works from.
pub enum Work {
    /// `--remote INPUT`: checked by the same code as a local batch, and the
    /// items not in OUTPUT before this run (invalid lines to write included).
    Input(Box<Feed>, u64),
    /// `--batch-id ID`: one batch submitted elsewhere.
    Follow(String),
}

pub struct Job {
    pub settings: BatchApiSettings,
    pub work: Work,
    /// OUTPUT, open for appending (already repaired by `open_output`), with
    /// what it held before the run; its tally counts the items already there.
    pub output: Output,
    pub state: State,
}

pub fn run(job: Job, style: &Style) -> ExitCode {
    let started = Instant::now();
    let settings = job.settings;
    if job.state.torn_bytes > 0 {
        warn(&format!(
            "{} ended in a torn line ({} bytes) left by a run killed while writing it: ignored; \
             if a batch was created just then, claude-rs batch --list shows it",
            job.state.path().display(),
            job.state.torn_bytes
        ));
    }
    let bar = style.stderr_is_terminal && !Events::on_stderr(settings.events.as_deref());
    let progress = Progress::new(0, bar, settings.quiet);
    let calls = Calls::new(
        &settings,
        // The first signal stops the run at the next safe point: never
        // between creating a batch and recording it in the state file, so a
        // batch that exists is never forgotten. Waits end at once. A second
        // signal exits at once.
        Signals::install(|signal, count| {
            if count > 1 {
                eprintln!(
                    "{} exiting now; a batch that was being created may exist without being recorded: \
                     look for it with claude-rs batch --list",
                    "interrupted again:".yellow().bold()
                );
                signal.exit();
            }
        }),
        &progress,
    );
    let mut runner = Runner {
        calls: &calls,
        state: job.state,
        output: job.output,
        progress: &progress,
        interval: settings.remote.poll_interval,
        limits: settings.remote.limits,
        followed: Vec::new(),
    };
    let (pending, stop) = match job.work {
        Work::Follow(id) => (None, runner.follow_one(id)),
        Work::Input(mut feed, pending) => (Some(pending), runner.submit_and_follow(&mut feed)),
    };
    progress.finish();
    if stop.is_none()
        && let Err(error) = runner.state.remove_if_done()
    {
        progress.warning(&format!(
                "could not remove the state file {} (every batch in it is downloaded; it can go): {error}",
                runner.state.path().display()
            ));
    }
    let lines: Vec<BatchLine> = runner.followed.iter().map(Followed::line).collect();
    let output_name = settings.output.as_ref().map(|p| p.display().to_string());
    let rerun = command_line(std::env::args_os().map(|a| a.to_string_lossy().into_owned()));
    let ending = Ending {
        tally: &runner.output.tally,
        pending,
        retries: calls.retries(),
        elapsed: started.elapsed(),
        stop: stop.as_ref(),
        signal: calls.interrupt().first(),
        output: output_name.as_deref(),
        rerun: &rerun,
        how: How::Remote { batches: &lines },
    };
    let batch_ids: Vec<String> = runner.followed.iter().map(|b| b.id.clone()).collect();
    ending.finish(
        &EventLog::new(settings.log_path.clone()),
        calls.events(),
        &batch_ids,
    )
}

impl Runner<'_> {
    /// Polls and downloads `batches` until all are in OUTPUT, or a stop;
    /// either way they join the run's list.
    fn follow(&mut self, mut batches: Vec<Followed>) -> Option<Stop> {
        let stop = self.follow_until_ended(&mut batches);
        self.followed.extend(batches);
        stop
    }

    /// `--batch-id ID`.
    fn follow_one(&mut self, id: String) -> Option<Stop> {
        // Ids already in OUTPUT are this batch's results from an earlier run.
        self.output.count_skips = true;
        let tracked = self.state.batches.iter().find(|b| b.id == id);
        let batch = Followed::new(id, tracked.and_then(|b| b.custom_ids.clone()));
        if let Err(error) = self.state.record_followed(&batch.id) {
            self.followed.push(batch);
            return Some(self.state.write_failed(&error));
        }
        self.follow(vec![batch])
    }

    /// `--remote INPUT`.
    fn submit_and_follow(&mut self, feed: &mut Feed) -> Option<Stop> {
        let (unknown, known): (Vec<Followed>, Vec<Followed>) = self
            .state
            .pending()
            .map(|b| Followed::new(b.id.clone(), b.custom_ids.clone()))
            .partition(|b| b.expected.is_none());
        let resumed = (known.len() + unknown.len()) as u64;
        if resumed > 0 {
            self.progress.line(&format!(
                "resuming: following {} from {} (not submitted again)",
                count(resumed, "batch", "batches"),
                self.state.path().display()
            ));
        }
        // A followed batch's items are known only from its results, and they
        // decide what is left to submit: it is finished first.
        if !unknown.is_empty()
            && let Some(stop) = self.follow(unknown)
        {
            self.followed.extend(known);
            return Some(stop);
        }
        let covered = self.state.covered_ids();
        let mut open = known;
        match self.submit(feed, &covered, &mut open) {
            Some(stop) => {
                self.followed.extend(open);
                Some(stop)
            }
            None => self.follow(open),
        }
    }
}
