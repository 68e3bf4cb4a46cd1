//! The threads of a local batch: one feeder reading the input, N workers
//! sending requests, and the calling thread writing each result the moment
//! it arrives (one write per line, so a kill leaves at most a torn last line)
//! and drawing progress. Ctrl-C, SIGTERM or SIGHUP once: stop starting
//! items, let the in-flight ones finish. Twice: stop waiting for them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use colored::Colorize;

use super::gate::Stop;
use super::input::{Item, LineError};
use super::progress::{Figures, Progress};
use super::results::{ErrorReport, ResultId, errored_line, succeeded_line};
use super::resume::{Done, Status};
use super::source::{Entry, InputFile, for_each_entry};
use super::summary::{Ending, How, Tally, command_line};
use super::worker::{Event, Outcome, Shared};
use crate::call::Say;
use crate::config::RequestDefaults;
use crate::exit_code::ExitCode;
use crate::log::EventLog;
use crate::resilience::{Category, Failure};
use crate::signal::{Signal, Signals};

/// Where result lines go.
pub enum Sink {
    Stdout,
    File(File),
}

impl Sink {
    fn write(&mut self, line: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stdout => {
                let mut stdout = io::stdout().lock();
                stdout.write_all(line)?;
                stdout.flush()
            }
            // Unbuffered: each line reaches the file in one write as it finishes.
            Sink::File(file) => file.write_all(line),
        }
    }
}

/// What the feeder reads: the input, checked, and OUTPUT as it was.
pub struct Feed {
    pub input: InputFile,
    pub defaults: RequestDefaults,
    pub invalid: BTreeMap<u64, LineError>,
    pub done: Done,
}

/// Everything a run needs, prepared and checked by the command.
pub struct Plan {
    pub feed: Feed,
    /// Counts so far: the items already in OUTPUT.
    pub tally: Tally,
    pub jobs: usize,
    pub sink: Sink,
    /// Whether stdout is a terminal the progress bar must not draw over.
    pub sink_on_terminal: bool,
    /// Items this run has to do; OUTPUT's path for the summary.
    pub pending: u64,
    pub output: Option<String>,
    /// Where the summary's batch line goes.
    pub log: EventLog,
}

/// Runs the batch, then sums it up: the summary, the log's batch line, the exit code.
pub fn run(plan: Plan, shared: Shared, progress: &Progress) -> ExitCode {
    let started = Instant::now();
    let shared = Arc::new(shared);
    // Bounded: workers wait for the writer rather than results piling up in memory.
    let (events_tx, events_rx) = mpsc::sync_channel::<Event>(plan.jobs * 4 + 16);
    // A signal only counts itself; deciding what it means happens below,
    // within the writer's next look (it wakes every 200 ms). A third one
    // ends the process even if the writer is stuck (a pipe nobody reads).
    let signals = Signals::install(|signal, count| {
        if count >= 3 {
            signal.exit();
        }
    });
    let (jobs_tx, jobs_rx) = mpsc::sync_channel::<Item>(plan.jobs * 2);
    let jobs_rx = Arc::new(Mutex::new(jobs_rx));
    let workers = (0..plan.jobs)
        .filter(|_| spawn_worker(Arc::clone(&shared), Arc::clone(&jobs_rx), events_tx.clone()))
        .count();
    // Only the workers hold the queue now: if they all end, feeding stops.
    drop(jobs_rx);
    if workers == 0 {
        shared.gate.stop(Stop::InputFailed(
            "no worker thread could be started".into(),
        ));
    }
    spawn_feeder(plan.feed, Arc::clone(&shared), jobs_tx, events_tx);
    let mut writer = Writer {
        sink: plan.sink,
        sink_on_terminal: plan.sink_on_terminal,
        broken: false,
        tally: plan.tally,
    };
    collect(&events_rx, &signals, &shared, &mut writer, progress);
    progress.finish();
    let (stop, gate) = (shared.gate.stopped(), shared.gate.stats());
    let rerun = command_line(std::env::args_os().map(|a| a.to_string_lossy().into_owned()));
    let ending = Ending {
        tally: &writer.tally,
        pending: Some(plan.pending),
        retries: shared.retries.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        stop: stop.as_ref(),
        signal: signals.first(),
        output: plan.output.as_deref(),
        rerun: &rerun,
        how: How::Local {
            requests: shared.requests.load(Ordering::Relaxed),
            pauses: gate.pauses,
            breaker_trips: gate.breaker_trips,
        },
    };
    ending.finish(&plan.log, &shared.events, &[])
}

/// Whether the thread started; one that cannot leaves the others the work.
fn spawn_worker(
    shared: Arc<Shared>,
    jobs: Arc<Mutex<Receiver<Item>>>,
    events: SyncSender<Event>,
) -> bool {
    thread::Builder::new()
        .name("batch-worker".into())
        .spawn(move || {
            loop {
                let next = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok(item) = next else { return };
                let event = match shared.process(&item, &events) {
                    Some(outcome) => Event::Finished {
                        custom_id: (item.custom_id, Some(item.fingerprint)),
                        outcome,
                    },
                    None => Event::Unfinished,
                };
                if events.send(event).is_err() {
                    return;
                }
            }
        })
        .is_ok()
}

fn spawn_feeder(
    feed: Feed,
    shared: Arc<Shared>,
    jobs: SyncSender<Item>,
    events: SyncSender<Event>,
) {
    let Feed {
        mut input,
        defaults,
        invalid,
        done,
    } = feed;
    let failed_to_start = events.clone();
    let name = input.name.clone();
    let feed = move || {
        let mut fed = 0u64;
        let read = for_each_entry(&mut input, &defaults, &invalid, |entry| {
            if shared.gate.stopped().is_some() {
                return false;
            }
            match entry {
                Entry::Item(item) => {
                    if done.status(&item.custom_id) != Status::ToDo {
                        return true;
                    }
                    if jobs.send(item).is_err() {
                        return false;
                    }
                }
                Entry::Invalid(error) => {
                    let Some((custom_id, report)) = invalid_result(&error, &name) else {
                        return true;
                    };
                    if done.status(&custom_id) != Status::ToDo {
                        return true;
                    }
                    let outcome = Outcome::Errored(Box::new(report));
                    let custom_id = (custom_id, None);
                    if events.send(Event::Finished { custom_id, outcome }).is_err() {
                        return false;
                    }
                }
            }
            fed += 1;
            true
        });
        if let Err(error) = read {
            shared.gate.stop(Stop::InputFailed(error.to_string()));
        }
        let _ = events.send(Event::FeedDone { fed });
    };
    let spawned = thread::Builder::new()
        .name("batch-feeder".into())
        .spawn(feed);
    if let Err(error) = spawned {
        let _ = failed_to_start.send(Event::FeedDone { fed: 0 });
        let _ = failed_to_start.send(Event::Warning(format!(
            "could not start reading the input: {error}"
        )));
    }
}

/// The errored result an invalid line gets with `--skip-invalid`.
pub(crate) fn invalid_result(error: &LineError, input: &str) -> Option<(String, ErrorReport)> {
    let custom_id = error.custom_id.clone()?;
    let failure = Failure::new(
        Category::InvalidRequest,
        format!("line {}: {}", error.line, error.problem),
    );
    let mut report = ErrorReport::new(&failure, Some(0));
    report.fix = format!(
        "Fix line {} of {input}, then rerun with --retry-errored.",
        error.line
    );
    Some((custom_id, report))
}

struct Writer {
    sink: Sink,
    sink_on_terminal: bool,
    /// Results can no longer be written: the batch is stopping.
    broken: bool,
    tally: Tally,
}

impl Writer {
    fn write(&mut self, id: &ResultId, outcome: &Outcome, shared: &Shared, progress: &Progress) {
        if self.broken {
            self.tally.unfinished += 1;
            return;
        }
        let line = match outcome {
            Outcome::Succeeded(message, parsed) => succeeded_line(id, message, parsed.as_ref()),
            Outcome::Errored(report) => errored_line(id, report),
        };
        // On a terminal, the model's text must not be able to drive it.
        let written = match self.sink_on_terminal {
            true => {
                let text = String::from_utf8_lossy(&line);
                let shown = crate::sanitize::for_terminal(&text);
                progress.suspend(|| self.sink.write(shown.as_bytes()))
            }
            false => self.sink.write(&line),
        };
        if let Err(error) = written {
            self.broken = true;
            self.tally.unfinished += 1;
            shared.gate.stop(match (&self.sink, error.kind()) {
                (Sink::Stdout, io::ErrorKind::BrokenPipe) => Stop::OutputClosed,
                _ => Stop::OutputFailed(error.to_string()),
            });
            return;
        }
        match outcome {
            Outcome::Succeeded(message, _) => self.tally.outcomes.succeeded(
                &message.model,
                &message.usage,
                message.stop_reason.as_deref(),
                1.0,
            ),
            Outcome::Errored(report) => self.tally.outcomes.errored(report.category),
        }
    }
}

/// Writes results and draws progress until every item handed out is
/// accounted for, or a second signal says to stop waiting.
fn collect(
    events: &Receiver<Event>,
    signals: &Signals,
    shared: &Shared,
    writer: &mut Writer,
    progress: &Progress,
) {
    let mut fed: Option<u64> = None;
    let mut settled = 0u64;
    let mut handled = 0;
    while fed.is_none_or(|fed| settled < fed) {
        while handled < signals.count() {
            handled += 1;
            if handled > 1 {
                progress.line(&format!(
                    "{} abandoning the items in flight; they are left for a rerun",
                    "interrupted again:".yellow().bold()
                ));
                return;
            }
            shared.gate.stop(Stop::Interrupted);
            let stopped = match signals.first() {
                Some(Signal::Interrupt) | None => "interrupted:".to_string(),
                Some(signal) => format!("{}:", signal.name()),
            };
            progress.line(&format!(
                "{} no new items start; waiting for those in flight (Ctrl-C again to abandon them)",
                stopped.yellow().bold()
            ));
        }
        let event = match events.recv_timeout(Duration::from_millis(200)) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        match event {
            Event::Finished { custom_id, outcome } => {
                settled += 1;
                writer.write(&custom_id, &outcome, shared, progress);
            }
            Event::Unfinished => {
                settled += 1;
                writer.tally.unfinished += 1;
            }
            Event::Notice(line) => progress.notice(&line),
            Event::Warning(text) => progress.warning(&text),
            Event::FeedDone { fed: count } => fed = Some(count),
            Event::Billed(reply) => writer
                .tally
                .outcomes
                .billed(&reply.model, &reply.usage, 1.0),
        }
        progress.update(Figures {
            succeeded: writer.tally.outcomes.succeeded,
            errored: writer.tally.outcomes.errored_total(),
            retries: shared.retries.load(Ordering::Relaxed),
            requests: shared.requests.load(Ordering::Relaxed),
        });
    }
}
