//! The counts of a batch run, the summary printed on stderr at its end, the
//! command that redoes what is left, and the exit code.

use std::time::Duration;

use colored::Colorize;

use super::gate::{GateStats, Stop};
use super::outcomes::{Outcomes, row};
use super::progress::per_minute;
use crate::api::proxy::mask_credentials;
use crate::exit_code::ExitCode;
use crate::report;
use crate::resilience::{Failure, FinalFailure, GiveUp};

/// What happened to the items, as the results were written.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub outcomes: Outcomes,
    /// Items this run started but did not finish (a stop), or whose result
    /// could not be written: a rerun does them.
    pub unfinished: u64,
    /// Already in OUTPUT before this run.
    pub skipped_succeeded: u64,
    pub skipped_errored: u64,
}

impl Tally {
    /// Results this run wrote.
    pub fn written(&self) -> u64 {
        self.outcomes.succeeded + self.outcomes.errored_total()
    }
}

/// Everything the end of a run reports.
pub struct Ending<'a> {
    pub tally: &'a Tally,
    /// Items in the input that this run had to do (not already in OUTPUT).
    pub pending: u64,
    pub retries: u64,
    pub requests: u64,
    pub gate: GateStats,
    pub elapsed: Duration,
    pub stop: Option<&'a Stop>,
    /// OUTPUT's path, or `None` for stdout.
    pub output: Option<&'a str>,
    /// The command line that reruns this batch.
    pub rerun: &'a str,
}

impl Ending<'_> {
    pub fn exit_code(&self) -> ExitCode {
        match self.stop {
            Some(Stop::Interrupted) => ExitCode::Interrupted,
            Some(
                Stop::Systemic(failure)
                | Stop::Outage(failure)
                | Stop::WaitTooLong(failure)
                | Stop::Stalled(failure, _),
            ) => failure.category.exit_code(),
            Some(Stop::OutputFailed(_)) if self.output.is_none() => ExitCode::Output,
            Some(Stop::OutputFailed(_) | Stop::InputFailed(_)) => ExitCode::Internal,
            Some(Stop::OutputClosed) => ExitCode::Success,
            None if self.tally.outcomes.errored_total() + self.tally.skipped_errored > 0 => {
                ExitCode::BatchPartial
            }
            None => ExitCode::Success,
        }
    }

    /// For the log: `completed`, `interrupted`, or the stopping category.
    pub fn outcome(&self) -> &'static str {
        match self.stop {
            None => "completed",
            Some(Stop::Interrupted) => "interrupted",
            Some(
                Stop::Systemic(failure)
                | Stop::Outage(failure)
                | Stop::WaitTooLong(failure)
                | Stop::Stalled(failure, _),
            ) => failure.category.as_str(),
            Some(Stop::OutputFailed(_)) => "output_failed",
            Some(Stop::OutputClosed) => "output_closed",
            Some(Stop::InputFailed(_)) => "input_failed",
        }
    }

    pub fn render(&self) -> String {
        let tally = self.tally;
        let mut out = String::new();
        out.push_str(&self.headline());
        out.push_str(&tally.outcomes.result_rows());
        if tally.skipped_succeeded + tally.skipped_errored > 0 {
            out.push_str(&row(
                "skipped",
                format!(
                    "{} already in {} ({} succeeded, {} errored)",
                    tally.skipped_succeeded + tally.skipped_errored,
                    self.output.unwrap_or("OUTPUT"),
                    tally.skipped_succeeded,
                    tally.skipped_errored
                ),
            ));
        }
        if self.stop.is_some() || tally.unfinished > 0 {
            let left = self.pending.saturating_sub(tally.written());
            out.push_str(&row("unfinished", format!("{left} (left for a rerun)")));
        }
        let mut retries = self.retries.to_string();
        if self.gate.pauses + self.gate.breaker_trips > 0 {
            retries.push_str(&format!(
                " (rate-limit pauses {}, circuit breaker opened {})",
                self.gate.pauses, self.gate.breaker_trips
            ));
        }
        out.push_str(&row("retries", retries));
        out.push_str(&tally.outcomes.tokens_row());
        let sent = format!(
            "{} {} in {}",
            self.requests,
            if self.requests == 1 {
                "request"
            } else {
                "requests"
            },
            wall_time(self.elapsed)
        );
        // A pace needs a few requests over some time to mean anything: one
        // request in no time is not 47,000 a minute.
        let rate = match self.requests >= 2 && self.elapsed >= Duration::from_secs(1) {
            true => format!(
                "{:.0} requests/min ({sent})",
                per_minute(self.requests, self.elapsed)
            ),
            false => sent,
        };
        out.push_str(&row("rate", rate));
        if let Some(next) = self.next_step() {
            out.push_str(&row("next", next));
        }
        out.trim_end().to_string()
    }

    fn headline(&self) -> String {
        let done = self.tally.written();
        let title = match self.stop {
            None => format!(
                "batch finished: {done} of {} items in {}",
                self.pending,
                wall_time(self.elapsed)
            ),
            Some(Stop::Interrupted) => format!(
                "batch interrupted: {done} of {} items finished; the rest are left for a rerun",
                self.pending
            ),
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
                let mut out = format!("{} {}\n", "error:".red().bold(), why.bold());
                out.push_str(&report::what_and_request_id(failure));
                out.push_str(&format!(
                    "  {:<11} {}\n",
                    "fix:".green().bold(),
                    failure.fix()
                ));
                return out;
            }
            Some(Stop::OutputFailed(error)) => {
                return format!(
                    "{} batch stopped: could not write the results to {}: {error}\n",
                    "error:".red().bold(),
                    self.output.unwrap_or("stdout")
                );
            }
            Some(Stop::OutputClosed) => {
                "batch stopped: stdout was closed by its reader".to_string()
            }
            Some(Stop::InputFailed(error)) => {
                return format!(
                    "{} batch stopped: could not read the input: {error}\n",
                    "error:".red().bold()
                );
            }
        };
        format!("{}\n", title.bold())
    }

    /// What to run next, if anything.
    fn next_step(&self) -> Option<String> {
        let errored = self.tally.outcomes.errored_total() + self.tally.skipped_errored;
        let unfinished = self.stop.is_some() || self.tally.unfinished > 0;
        if self.output.is_none() {
            return (unfinished || errored > 0)
                .then(|| "write the results to a file with -o OUTPUT to be able to rerun only what is missing".into());
        }
        // Whatever stopped the batch, the next run redoes all not yet succeeded.
        let retry_errored = errored > 0 && !self.rerun.contains("--retry-errored");
        let rerun = &match retry_errored {
            true => format!("{} --retry-errored", self.rerun),
            false => self.rerun.to_string(),
        };
        if unfinished {
            let fix_first = match self.stop {
                Some(Stop::Systemic(f)) if f.category.is_account_wide() => {
                    "fix the key or account, then "
                }
                Some(Stop::Systemic(_)) => "once that is fixed, ",
                Some(Stop::Outage(_) | Stop::Stalled(..)) => "once the API is back, ",
                Some(Stop::WaitTooLong(failure)) => {
                    return Some(format!(
                        "after {}, finish it with: {}",
                        failure
                            .retry_after
                            .map_or_else(|| "the wait".to_string(), report::wait_ends),
                        rerun
                    ));
                }
                _ => "",
            };
            return Some(format!("{fix_first}finish it with: {rerun}"));
        }
        (errored > 0).then(|| format!("redo the errored items with: {rerun}"))
    }
}

fn stopped_for(failure: &Failure) -> String {
    let final_failure = FinalFailure {
        failure: failure.clone(),
        give_up: GiveUp::NotRetryable,
        partial: None,
    };
    let mut text = report::render_failure(&final_failure, 1, Duration::ZERO, None);
    // The attempt line speaks of one call; the batch line below says what it meant.
    text = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("attempts:"))
        .collect::<Vec<_>>()
        .join("\n");
    text
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

    fn ending<'a>(tally: &'a Tally, stop: Option<&'a Stop>, output: Option<&'a str>) -> Ending<'a> {
        Ending {
            tally,
            pending: 10,
            retries: 3,
            requests: 13,
            gate: GateStats::default(),
            elapsed: Duration::from_secs(30),
            stop,
            output,
            rerun: "claude-rs batch in.txt -o out.jsonl",
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
    }

    #[test]
    fn one_request_in_no_time_has_no_pace() {
        let tally = Tally::default();
        let mut one = ending(&tally, None, Some("out.jsonl"));
        one.requests = 1;
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
        tally.outcomes.cost = 1.5;
        tally.outcomes.unpriced = 2;
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
