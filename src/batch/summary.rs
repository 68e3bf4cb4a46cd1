//! The end of a batch run, local or through the Message Batches API: its
//! counts, why it stopped, the summary on stderr, the command that redoes
//! what is left, the log's batch line and the exit code, decided once.

use std::time::{Duration, SystemTime};

use colored::Colorize;
use serde::Serialize;

use super::outcomes::{Outcomes, row};
use super::progress::per_minute;
use super::remote::calls::{BatchCall, Failed};
use crate::api::proxy::mask_credentials;
use crate::events::Events;
use crate::exit_code::ExitCode;
use crate::log::{BatchRecord, EventLog, timestamp};
use crate::resilience::{Failure, FinalFailure, GiveUp};
use crate::signal::Signal;
use crate::{report, sanitize};

/// Result lines, as this run wrote them or found them.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub outcomes: Outcomes,
    /// Message Batches results that were canceled or expired.
    pub canceled: u64,
    pub expired: u64,
    /// Result types claude-rs does not know (the API may add some).
    pub other: u64,
    /// Items a downloaded batch returned no result for: a rerun submits them again.
    pub missing: u64,
    /// Items this run started but did not finish (a stop), or whose result
    /// could not be written: a rerun does them.
    pub unfinished: u64,
    /// Already in OUTPUT before this run.
    pub skipped_succeeded: u64,
    pub skipped_errored: u64,
}

impl Tally {
    /// Everything but successes: what `--retry-errored` redoes.
    pub fn not_succeeded(&self) -> u64 {
        self.outcomes.errored_total() + self.canceled + self.expired + self.other
    }

    /// Results this run wrote.
    pub fn written(&self) -> u64 {
        self.outcomes.succeeded + self.not_succeeded()
    }
}

/// Why a batch stopped before its end.
#[derive(Clone, Debug)]
pub enum Stop {
    /// Ctrl-C, SIGTERM or SIGHUP (`Ending::signal` says which).
    Interrupted,
    /// A failure that every request would meet alike: the key, its
    /// permissions or billing, DNS, TLS, a proxy, or a base URL that redirects.
    Systemic(Failure),
    /// The circuit breaker's probes kept failing; the last failure.
    Outage(Failure),
    /// A 429 asked for a longer wait than a batch waits.
    WaitTooLong(Failure),
    /// No request succeeded for the give-up bound; the last failure.
    Stalled(Failure, Duration),
    /// A Message Batches call failed for good (its retries used, or a
    /// failure no retry mends).
    Failed(Box<Failed>),
    /// Results cannot be written any more.
    OutputFailed(String),
    /// OUTPUT or the state file of a remote batch could not be written.
    LocalWrite(String),
    /// Stdout was closed by its reader (`| head`).
    OutputClosed,
    /// The input could not be read to its end.
    InputFailed(String),
}

impl Stop {
    /// The failure that stopped the batch, when one did.
    fn failure(&self) -> Option<&Failure> {
        match self {
            Stop::Systemic(failure)
            | Stop::Outage(failure)
            | Stop::WaitTooLong(failure)
            | Stop::Stalled(failure, _) => Some(failure),
            Stop::Failed(failed) => Some(&failed.failure.failure),
            _ => None,
        }
    }
}

/// One Message Batch as the summary shows it.
#[derive(Clone, Debug)]
pub struct BatchLine {
    pub id: String,
    /// The last status seen; `None` when it was never polled.
    pub status: Option<String>,
    pub done: u64,
    pub total: u64,
}

/// The `run_end` event: the log's batch line, why it stopped and the exit code.
#[derive(Serialize)]
struct RunEnd<'a> {
    #[serde(flatten)]
    record: &'a BatchRecord<'a>,
    reason: Option<String>,
    exit_code: u8,
}

/// The `run_end` of a run that found every item already in OUTPUT: a program
/// waiting for the run's end gets one whichever way it ends.
pub fn nothing_to_do(events: &Events, skipped: (u64, u64), exit: ExitCode) {
    let record = BatchRecord {
        ts: timestamp(SystemTime::now()),
        event: "run_end",
        command: super::outcomes::COMMAND,
        outcome: "nothing_to_do",
        succeeded: skipped.0,
        errored: skipped.1,
        unfinished: 0,
        retries: 0,
        elapsed_ms: 0,
        batch_ids: &[],
    };
    let end = RunEnd {
        record: &record,
        reason: Some("every request is already in OUTPUT".into()),
        exit_code: exit.code(),
    };
    if let Some(warning) = events.emit(&end) {
        eprintln!("{}", report::warning(&warning));
    }
}

/// Everything the end of a run reports.
pub struct Ending<'a> {
    pub tally: &'a Tally,
    /// Items this run had to do (not already in OUTPUT); `None` when
    /// following a Message Batch (unknown).
    pub pending: Option<u64>,
    pub retries: u64,
    pub elapsed: Duration,
    pub stop: Option<&'a Stop>,
    /// The signal that stopped the run, when one did.
    pub signal: Option<Signal>,
    /// OUTPUT's path, or `None` for stdout.
    pub output: Option<&'a str>,
    /// The command line that reruns this batch.
    pub rerun: &'a str,
    /// How it was run: here, or through the Message Batches API.
    pub how: How<'a>,
}

pub enum How<'a> {
    Local {
        requests: u64,
        pauses: u32,
        breaker_trips: u32,
    },
    Remote {
        batches: &'a [BatchLine],
    },
}

impl Ending<'_> {
    pub fn exit_code(&self) -> ExitCode {
        if let Some(failure) = self.stop.and_then(Stop::failure) {
            return failure.category.exit_code();
        }
        match self.stop {
            Some(Stop::Interrupted) => self.signal.unwrap_or(Signal::Interrupt).exit_code(),
            // Stdout closed or failed with items unfinished: never a success.
            Some(Stop::OutputClosed) => ExitCode::Output,
            Some(Stop::OutputFailed(_)) if self.output.is_none() => ExitCode::Output,
            // Local writes and reads: OUTPUT, the state file, the input.
            Some(_) => ExitCode::Internal,
            None if self.tally.missing > 0 => ExitCode::Api,
            None if self.tally.not_succeeded() + self.tally.skipped_errored > 0 => {
                ExitCode::BatchPartial
            }
            None => ExitCode::Success,
        }
    }

    /// For the log: `completed`, `interrupted`, or why it stopped.
    pub fn outcome(&self) -> &'static str {
        if let Some(failure) = self.stop.and_then(Stop::failure) {
            return failure.category.as_str();
        }
        match self.stop {
            None => "completed",
            Some(Stop::Interrupted) => "interrupted",
            Some(Stop::OutputFailed(_) | Stop::LocalWrite(_)) => "output_failed",
            Some(Stop::OutputClosed) => "output_closed",
            Some(_) => "input_failed",
        }
    }

    /// Prints the summary, writes the log's batch line and the `run_end`
    /// event, gives the exit code.
    pub fn finish(&self, log: &EventLog, events: &Events, batch_ids: &[String]) -> ExitCode {
        eprintln!("{}", self.render());
        let written = self.tally.written();
        let mut record = BatchRecord {
            ts: timestamp(SystemTime::now()),
            event: "batch",
            command: super::outcomes::COMMAND,
            outcome: self.outcome(),
            succeeded: self.tally.outcomes.succeeded,
            errored: self.tally.not_succeeded(),
            unfinished: self.pending.map_or(0, |p| p.saturating_sub(written)),
            retries: self.retries,
            elapsed_ms: self.elapsed.as_millis() as u64,
            batch_ids,
        };
        if let Some(warning) = log.append(&record) {
            eprintln!("{}", report::warning(&warning));
        }
        record.event = "run_end";
        let end = RunEnd {
            record: &record,
            reason: self.reason(),
            exit_code: self.exit_code().code(),
        };
        if let Some(warning) = events.emit(&end) {
            eprintln!("{}", report::warning(&warning));
        }
        self.exit_code()
    }

    /// Why the run stopped before its end, in words; `None` when it did not.
    fn reason(&self) -> Option<String> {
        let stop = self.stop?;
        Some(match (stop.failure(), stop) {
            (Some(failure), _) => failure.message.clone(),
            (None, Stop::OutputFailed(e) | Stop::LocalWrite(e) | Stop::InputFailed(e)) => e.clone(),
            (None, Stop::OutputClosed) => "stdout was closed by its reader".into(),
            (None, _) => format!(
                "stopped by {}",
                self.signal.unwrap_or(Signal::Interrupt).name()
            ),
        })
    }

    pub fn render(&self) -> String {
        let tally = self.tally;
        let mut out = self.headline();
        out.push_str(&tally.outcomes.result_rows());
        if let How::Remote { .. } = self.how {
            out.push_str(&row("canceled", tally.canceled.to_string()));
            out.push_str(&row("expired", tally.expired.to_string()));
        }
        let skipped = tally.skipped_succeeded + tally.skipped_errored;
        let only_when_some = [
            (
                tally.other,
                "other",
                "(result types claude-rs does not know, written as sent)".to_string(),
            ),
            (
                tally.missing,
                "missing",
                "(a downloaded batch had no result for them; a rerun submits them again)".into(),
            ),
            (
                skipped,
                "skipped",
                format!(
                    "already in {} ({} succeeded, {} errored)",
                    self.output.unwrap_or("OUTPUT"),
                    tally.skipped_succeeded,
                    tally.skipped_errored
                ),
            ),
        ];
        for (count, label, text) in only_when_some.into_iter().filter(|(n, ..)| *n > 0) {
            out.push_str(&row(label, format!("{count} {text}")));
        }
        if let Some(pending) = self.pending.filter(|_| self.unfinished()) {
            let left = pending.saturating_sub(tally.written());
            out.push_str(&row("unfinished", format!("{left} (left for a rerun)")));
        }
        match self.how {
            How::Local {
                requests,
                pauses,
                breaker_trips,
            } => {
                let mut retries = self.retries.to_string();
                if pauses + breaker_trips > 0 {
                    retries.push_str(&format!(
                        " (rate-limit pauses {pauses}, circuit breaker opened {breaker_trips})"
                    ));
                }
                out.push_str(&row("retries", retries));
                out.push_str(&tally.outcomes.tokens_row());
                let sent = format!(
                    "{} in {}",
                    count(requests, "request", "requests"),
                    wall_time(self.elapsed)
                );
                // A pace needs a few requests over some time to mean anything:
                // one request in no time is not 47,000 a minute.
                let rate = match requests >= 2 && self.elapsed >= Duration::from_secs(1) {
                    true => format!(
                        "{:.0} requests/min ({sent})",
                        per_minute(requests, self.elapsed)
                    ),
                    false => sent,
                };
                out.push_str(&row("rate", rate));
            }
            How::Remote { batches } => {
                out.push_str(&tally.outcomes.tokens_row());
                let listed: Vec<String> = (batches.iter())
                    .map(|batch| {
                        let id = sanitize::one_line(&batch.id).into_owned();
                        match (&batch.status, self.stop.is_some()) {
                            (Some(status), true) => format!(
                                "{id} ({}, {} of {} done)",
                                sanitize::one_line(status),
                                batch.done,
                                batch.total
                            ),
                            _ => id,
                        }
                    })
                    .collect();
                let listed = match listed.is_empty() {
                    true => "none".to_string(),
                    false => listed.join(", "),
                };
                out.push_str(&row("batches", listed));
                out.push_str(&row("retries", self.retries.to_string()));
                out.push_str(&row("time", wall_time(self.elapsed)));
            }
        }
        for (label, text) in self.next_steps() {
            out.push_str(&row(label, text));
        }
        out.trim_end().to_string()
    }

    /// Items are left for a rerun.
    fn unfinished(&self) -> bool {
        self.stop.is_some() || self.tally.unfinished > 0
    }

    fn headline(&self) -> String {
        let done = self.tally.written();
        let remote = matches!(self.how, How::Remote { .. });
        let items = match self.pending {
            // The local summary has always said `1 of 1 items`.
            Some(pending) if !remote => format!("{done} of {pending} items"),
            Some(pending) => format!("{done} of {}", count(pending, "item", "items")),
            None => count(done, "item", "items"),
        };
        let stopped = match self.signal {
            None | Some(Signal::Interrupt) => "batch interrupted".to_string(),
            Some(signal) => format!("batch stopped by {}", signal.name()),
        };
        let title = match self.stop {
            None if remote => format!(
                "batch finished: {items} in {} through the Message Batches API",
                wall_time(self.elapsed)
            ),
            None => format!("batch finished: {items} in {}", wall_time(self.elapsed)),
            Some(Stop::Interrupted) if remote => {
                let running = match self.how {
                    How::Remote { batches } if !batches.is_empty() => {
                        "the batches keep running on Anthropic's side"
                    }
                    _ => "nothing was submitted",
                };
                format!("{stopped}: {items} downloaded; {running}")
            }
            Some(Stop::Interrupted) => {
                format!("{stopped}: {items} finished; the rest are left for a rerun")
            }
            Some(Stop::Systemic(failure)) => {
                return format!(
                    "{}\n  {:<11} nothing more was sent; unfinished items are left untouched for a rerun\n",
                    stopped_for(failure),
                    "batch:"
                );
            }
            Some(
                Stop::Outage(failure) | Stop::WaitTooLong(failure) | Stop::Stalled(failure, _),
            ) => {
                let why = match self.stop {
                    Some(Stop::Stalled(_, bound)) => format!(
                        "batch stopped: no request succeeded for {} (the last failure: {})",
                        report::seconds(*bound),
                        failure.category
                    ),
                    Some(Stop::WaitTooLong(_)) => format!(
                        "batch stopped: the API asked to wait {}, longer than a batch waits",
                        failure
                            .retry_after
                            .map_or_else(|| "long".to_string(), report::asked_wait)
                    ),
                    _ => format!(
                        "batch stopped: the API kept failing ({}) through the circuit breaker's probes",
                        failure.category
                    ),
                };
                let mut out = error_line(why.bold());
                out.push_str(&report::what_and_request_id(failure));
                out.push_str(&format!(
                    "  {:<11} {}\n",
                    "fix:".green().bold(),
                    failure.fix()
                ));
                return out;
            }
            Some(Stop::Failed(failed)) => {
                return format!(
                    "{}\n  {:<11} stopped while {}\n",
                    failed.render(),
                    "batch:",
                    failed.call.names().1
                );
            }
            Some(Stop::OutputFailed(error)) => {
                let output = self.output.unwrap_or("stdout");
                return error_line(format!(
                    "batch stopped: could not write the results to {output}: {error}"
                ));
            }
            Some(Stop::LocalWrite(error)) => {
                return error_line(format!("batch stopped: could not write {error}"));
            }
            Some(Stop::OutputClosed) => {
                "batch stopped: stdout was closed by its reader".to_string()
            }
            Some(Stop::InputFailed(error)) => {
                return error_line(format!("batch stopped: could not read the input: {error}"));
            }
        };
        format!("{}\n", title.bold())
    }

    /// What to run next: `(label, text)` rows.
    fn next_steps(&self) -> Vec<(&'static str, String)> {
        let errored = self.tally.not_succeeded() + self.tally.skipped_errored;
        let Some(output) = self.output else {
            return match self.unfinished() || errored > 0 {
                true => vec![("next", "write the results to a file with -o OUTPUT to be able to rerun only what is missing".into())],
                false => vec![],
            };
        };
        // A remote create that failed without proof that nothing was created.
        if let Some(Stop::Failed(failed)) = self.stop
            && failed.call == BatchCall::Create
            && !failed.failure.failure.proves_nothing_was_done()
        {
            let sent = crate::dates::earlier(SystemTime::now(), failed.elapsed);
            return vec![
                (
                    "created?",
                    format!(
                        "a batch may have been created although its answer was lost: look for one created \
                         around {} with claude-rs batch --list",
                        crate::dates::rfc3339_seconds(sent)
                    ),
                ),
                (
                    "then",
                    format!(
                        "if it is there, follow it first with: claude-rs batch --remote --batch-id ID -o {output}; \
                         then (or if it is not there) finish with: {}",
                        self.rerun
                    ),
                ),
            ];
        }
        let remote = match self.how {
            How::Remote { batches } => Some(batches),
            How::Local { .. } => None,
        };
        // Whatever stopped the batch, the next run redoes all not yet succeeded.
        let rerun = &match errored > 0 && !self.rerun.contains("--retry-errored") {
            true => format!("{} --retry-errored", self.rerun),
            false => self.rerun.to_string(),
        };
        let next = if let Some(Stop::WaitTooLong(failure)) = self.stop {
            let wait = failure
                .retry_after
                .map_or_else(|| "the wait".to_string(), report::wait_ends);
            format!("after {wait}, finish it with: {rerun}")
        } else if self.unfinished() {
            let fix_first = match self.stop {
                Some(Stop::Systemic(f)) if f.category.is_account_wide() => {
                    "fix the key or account, then "
                }
                Some(Stop::Systemic(_)) => "once that is fixed, ",
                Some(Stop::Outage(_) | Stop::Stalled(..)) => "once the API is back, ",
                Some(Stop::Failed(failed)) if failed.failure.failure.fails_every_request() => {
                    "fix the key, account or base URL, then "
                }
                Some(Stop::Failed(_)) => "once the API answers again, ",
                _ => "",
            };
            let verb = if remote.is_some() {
                "resume"
            } else {
                "finish it"
            };
            format!("{fix_first}{verb} with: {rerun}")
        } else if self.tally.missing > 0 {
            format!("submit the missing items with: {rerun}")
        } else if errored > 0 && self.pending.is_none() {
            // Following a batch again downloads the same results.
            format!(
                "redo the errored items by sending their input again: \
                 claude-rs batch --remote INPUT -o {output} --retry-errored"
            )
        } else if errored > 0 {
            format!("redo the errored items with: {rerun}")
        } else {
            return vec![];
        };
        let mut steps = vec![("next", next)];
        let running: Vec<&BatchLine> = remote
            .filter(|_| self.stop.is_some())
            .unwrap_or_default()
            .iter()
            .filter(|b| b.status.as_deref() != Some("ended"))
            .collect();
        if let Some(first) = running.first() {
            let others = if running.len() > 1 {
                " (and the other batches above)"
            } else {
                ""
            };
            steps.push((
                "cancel",
                format!(
                    "to stop paying for the rest: claude-rs batch --cancel {}{others}",
                    sanitize::one_line(&first.id)
                ),
            ));
        }
        steps
    }
}

/// `error: TEXT`, a line of its own.
fn error_line(text: impl std::fmt::Display) -> String {
    format!("{} {text}\n", "error:".red().bold())
}

/// `1 item`, `2 items`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        _ => format!("{n} {many}"),
    }
}

fn stopped_for(failure: &Failure) -> String {
    let final_failure = FinalFailure {
        failure: failure.clone(),
        give_up: GiveUp::NotRetryable,
        partial: None,
    };
    // The attempt line speaks of one call; the batch line below says what it meant.
    report::render_failure(&final_failure, 1, Duration::ZERO)
        .lines()
        .filter(|line| !line.trim_start().starts_with("attempts:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `4.2s`, `38s`, `21m 40s`, `3h 05m`: a batch can run for hours.
pub fn wall_time(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    match secs {
        0..=59 => report::seconds(elapsed),
        60..=3599 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
    }
}

/// The command line as given, quoted for a POSIX shell, for "rerun with";
/// a proxy's password is masked (the rerun line is printed, and often pasted).
pub fn command_line(args: impl IntoIterator<Item = String>) -> String {
    let mut after_proxy = false;
    args.into_iter()
        .map(|arg| {
            let shown = match arg.strip_prefix("--proxy=") {
                Some(url) => format!("--proxy={}", mask_credentials(url)),
                None if after_proxy => mask_credentials(&arg),
                None => arg.clone(),
            };
            after_proxy = arg == "--proxy";
            shell_quote(&shown)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::Category;
    use std::collections::HashMap;

    fn ending<'a>(tally: &'a Tally, stop: Option<&'a Stop>, output: Option<&'a str>) -> Ending<'a> {
        Ending {
            tally,
            pending: Some(10),
            retries: 3,
            elapsed: Duration::from_secs(30),
            stop,
            signal: None,
            output,
            rerun: "claude-rs batch in.txt -o out.jsonl",
            how: How::Local {
                requests: 13,
                pauses: 0,
                breaker_trips: 0,
            },
        }
    }

    fn remote<'a>(
        tally: &'a Tally,
        stop: Option<&'a Stop>,
        batches: &'a [BatchLine],
    ) -> Ending<'a> {
        Ending {
            tally,
            pending: Some(10),
            retries: 1,
            elapsed: Duration::from_secs(30),
            stop,
            signal: None,
            output: Some("out.jsonl"),
            rerun: "claude-rs batch --remote in.txt -o out.jsonl",
            how: How::Remote { batches },
        }
    }

    fn outcomes(succeeded: u64, errored: &[(Category, u64)]) -> Outcomes {
        Outcomes {
            succeeded,
            errored: HashMap::from_iter(errored.iter().copied()),
            ..Outcomes::default()
        }
    }

    fn failed(category: Category, give_up: GiveUp, call: BatchCall) -> Stop {
        Stop::Failed(Box::new(Failed {
            failure: FinalFailure {
                failure: Failure::new(category, "boom"),
                give_up,
                partial: None,
            },
            attempts: 1,
            elapsed: Duration::from_secs(1),
            call,
        }))
    }

    fn batch(status: &str) -> BatchLine {
        BatchLine {
            id: "msgbatch_1".into(),
            status: Some(status.into()),
            done: 3,
            total: 10,
        }
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        let mut clean = Tally::default();
        clean.outcomes.succeeded = 10;
        assert_eq!(ending(&clean, None, None).exit_code(), ExitCode::Success);
        let mut partial = clean.clone();
        partial.outcomes.errored(Category::InvalidRequest);
        assert_eq!(
            ending(&partial, None, None).exit_code(),
            ExitCode::BatchPartial
        );
        let old_errors = Tally {
            skipped_errored: 1,
            ..clean.clone()
        };
        assert_eq!(
            ending(&old_errors, None, None).exit_code(),
            ExitCode::BatchPartial
        );
        let auth = Stop::Systemic(Failure::new(Category::Authentication, "bad"));
        assert_eq!(
            ending(&clean, Some(&auth), None).exit_code(),
            ExitCode::Auth
        );
        let outage = Stop::Outage(Failure::new(Category::Connection, "refused"));
        assert_eq!(
            ending(&clean, Some(&outage), None).exit_code(),
            ExitCode::Network
        );
        assert_eq!(
            ending(&clean, Some(&Stop::Interrupted), None).exit_code(),
            ExitCode::Interrupted
        );
        // Stdout closed by its reader with items unfinished is not a success.
        assert_eq!(
            ending(&clean, Some(&Stop::OutputClosed), None).exit_code(),
            ExitCode::Output
        );
    }

    #[test]
    fn a_signal_names_the_stop_and_gives_its_exit_code() {
        let mut tally = Tally::default();
        tally.outcomes.succeeded = 4;
        for (signal, code) in [
            (Signal::Terminate, ExitCode::Terminated),
            (Signal::HangUp, ExitCode::HungUp),
        ] {
            let mut stopped = ending(&tally, Some(&Stop::Interrupted), Some("out.jsonl"));
            stopped.signal = Some(signal);
            assert_eq!(stopped.exit_code(), code);
            assert_eq!(stopped.outcome(), "interrupted");
            let text = stopped.render();
            assert!(
                text.contains(&format!(
                    "batch stopped by {}: 4 of 10 items finished",
                    signal.name()
                )),
                "{text}"
            );
            assert!(
                text.contains("next:       finish it with: claude-rs batch"),
                "{text}"
            );
        }
    }

    #[test]
    fn remote_exit_codes_follow_the_contract() {
        let clean = Tally {
            outcomes: outcomes(10, &[]),
            ..Tally::default()
        };
        assert_eq!(remote(&clean, None, &[]).exit_code(), ExitCode::Success);
        for partial in [
            Tally {
                canceled: 1,
                ..clean.clone()
            },
            Tally {
                expired: 1,
                ..clean.clone()
            },
            Tally {
                outcomes: outcomes(10, &[(Category::Overloaded, 1)]),
                ..clean.clone()
            },
        ] {
            assert_eq!(
                remote(&partial, None, &[]).exit_code(),
                ExitCode::BatchPartial
            );
        }
        let network = failed(
            Category::Connection,
            GiveUp::AttemptsExhausted,
            BatchCall::Retrieve,
        );
        assert_eq!(
            remote(&clean, Some(&network), &[]).exit_code(),
            ExitCode::Network
        );
        let missing = Tally {
            missing: 1,
            ..clean.clone()
        };
        assert_eq!(remote(&missing, None, &[]).exit_code(), ExitCode::Api);
    }

    #[test]
    fn the_remote_summary_counts_every_kind_and_says_how_to_redo_failures() {
        let tally = Tally {
            outcomes: outcomes(7, &[(Category::Overloaded, 1)]),
            canceled: 1,
            expired: 1,
            ..Tally::default()
        };
        let batches = [batch("ended")];
        let text = remote(&tally, None, &batches).render();
        assert!(
            text.contains("batch finished: 10 of 10 items in 30s through the Message Batches API"),
            "{text}"
        );
        assert!(text.contains("errored:    1 (overloaded 1)"), "{text}");
        assert!(text.contains("canceled:   1"), "{text}");
        assert!(text.contains("expired:    1"), "{text}");
        assert!(text.contains("batches:    msgbatch_1\n"), "{text}");
        assert!(
            text.contains("redo the errored items with: claude-rs batch --remote in.txt -o out.jsonl --retry-errored"),
            "{text}"
        );
    }

    #[test]
    fn an_interrupted_remote_run_says_the_batch_keeps_running_and_how_to_resume_or_cancel() {
        let tally = Tally::default();
        let batches = [batch("in_progress")];
        let text = remote(&tally, Some(&Stop::Interrupted), &batches).render();
        assert!(text.contains("keep running on Anthropic's side"), "{text}");
        assert!(
            text.contains("msgbatch_1 (in_progress, 3 of 10 done)"),
            "{text}"
        );
        assert!(
            text.contains("resume with: claude-rs batch --remote in.txt -o out.jsonl"),
            "{text}"
        );
        assert!(
            text.contains("claude-rs batch --cancel msgbatch_1"),
            "{text}"
        );
    }

    #[test]
    fn a_lost_create_answer_says_how_to_find_the_batch() {
        let tally = Tally::default();
        let lost = failed(
            Category::Connection,
            GiveUp::MayHaveTakenEffect,
            BatchCall::Create,
        );
        let text = remote(&tally, Some(&lost), &[]).render();
        assert!(text.contains("claude-rs batch --list"), "{text}");
        assert!(text.contains("--batch-id ID -o out.jsonl"), "{text}");
        assert!(text.contains("stopped while submitting a batch"), "{text}");
    }

    #[test]
    fn one_request_in_no_time_has_no_pace() {
        let tally = Tally::default();
        let mut one = ending(&tally, None, Some("out.jsonl"));
        one.how = How::Local {
            requests: 1,
            pauses: 0,
            breaker_trips: 0,
        };
        one.elapsed = Duration::from_millis(20);
        let text = one.render();
        assert!(text.contains("rate:       1 request in 0.0s"), "{text}");
        assert!(!text.contains("requests/min"), "{text}");
    }

    #[test]
    fn the_summary_counts_and_says_how_to_redo_failures() {
        let mut tally = Tally::default();
        tally.outcomes.succeeded = 7;
        tally.outcomes.input_tokens = 100;
        tally.outcomes.output_tokens = 200;
        tally.outcomes.errored.insert(Category::InvalidRequest, 2);
        tally.outcomes.errored.insert(Category::Overloaded, 1);
        let text = ending(&tally, None, Some("out.jsonl")).render();
        assert!(
            text.contains("batch finished: 10 of 10 items in 30s"),
            "{text}"
        );
        assert!(
            text.contains("errored:    3 (invalid_request 2, overloaded 1)"),
            "{text}"
        );
        assert!(
            text.contains("26 requests/min (13 requests in 30s)"),
            "{text}"
        );
        assert!(
            text.contains(
                "redo the errored items with: claude-rs batch in.txt -o out.jsonl --retry-errored"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_stopped_run_says_how_to_finish() {
        let mut tally = Tally::default();
        tally.outcomes.succeeded = 4;
        let auth = Stop::Systemic(Failure::new(Category::Authentication, "invalid x-api-key"));
        let text = ending(&tally, Some(&auth), Some("out.jsonl")).render();
        assert!(text.contains("authentication"), "{text}");
        assert!(text.contains("nothing more was sent"), "{text}");
        assert!(text.contains("unfinished: 6 (left for a rerun)"), "{text}");
        assert!(
            text.contains("fix the key or account, then finish it with: claude-rs batch"),
            "{text}"
        );
        let to_stdout = ending(&tally, Some(&Stop::Interrupted), None).render();
        assert!(
            to_stdout.contains("write the results to a file with -o"),
            "{to_stdout}"
        );
    }

    #[test]
    fn wall_time_reads_well_from_seconds_to_hours() {
        assert_eq!(wall_time(Duration::from_millis(4200)), "4.2s");
        assert_eq!(wall_time(Duration::from_secs(1300)), "21m 40s");
        assert_eq!(wall_time(Duration::from_secs(11_100)), "3h 05m");
    }

    #[test]
    fn a_proxy_password_never_reaches_the_rerun_line() {
        let line = command_line(
            [
                "claude-rs",
                "--proxy",
                "http://bob:s3cret@proxy:3128",
                "batch",
                "--proxy=http://x:s3cret@p:1",
            ]
            .map(String::from),
        );
        assert!(!line.contains("s3cret"), "{line}");
        assert!(line.contains("http://bob:***@proxy:3128"), "{line}");
    }

    #[test]
    fn arguments_are_quoted_for_the_shell() {
        let line = command_line(
            [
                "claude-rs",
                "batch",
                "my prompts.txt",
                "-o",
                "it's.jsonl",
                "--rpm=50",
            ]
            .map(String::from),
        );
        assert_eq!(
            line,
            "claude-rs batch 'my prompts.txt' -o 'it'\\''s.jsonl' --rpm=50"
        );
    }
}
