//! The end of a remote batch: its counts, the summary on stderr (in the style
//! of the local one), what to run next, and the exit code.

use std::time::Duration;

use colored::Colorize;

use super::calls::{BatchCall, Failed};
use crate::batch::outcomes::{Outcomes, row};
use crate::batch::summary::wall_time;
use crate::exit_code::ExitCode;
use crate::sanitize;

/// `1 item`, `2 items`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        _ => format!("{n} {many}"),
    }
}

/// Result lines, as this run wrote them or found them.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub outcomes: Outcomes,
    pub canceled: u64,
    pub expired: u64,
    /// Result types claude-rs does not know (the API may add some).
    pub other: u64,
    /// Items a downloaded batch returned no result for: a rerun submits them again.
    pub missing: u64,
    /// Already in OUTPUT before this run.
    pub skipped_succeeded: u64,
    pub skipped_errored: u64,
}

impl Tally {
    /// Everything but successes: what `--retry-errored` redoes.
    pub fn not_succeeded(&self) -> u64 {
        self.outcomes.errored_total() + self.canceled + self.expired + self.other
    }

    pub fn written(&self) -> u64 {
        self.outcomes.succeeded + self.not_succeeded()
    }
}

/// Why a run stopped before every batch was downloaded.
#[derive(Debug)]
pub enum Stop {
    Interrupted,
    /// A call failed for good (its retries used, or a failure no retry mends).
    Failed(Box<Failed>),
    /// OUTPUT or the state file could not be written.
    LocalWrite(String),
    InputFailed(String),
}

/// One batch as the summary shows it.
#[derive(Clone, Debug)]
pub struct BatchLine {
    pub id: String,
    /// The last status seen; `None` when it was never polled.
    pub status: Option<String>,
    pub done: u64,
    pub total: u64,
}

pub struct Ending<'a> {
    pub tally: &'a Tally,
    /// Items this run had to do; `None` when following a batch (unknown).
    pub pending: Option<u64>,
    pub batches: &'a [BatchLine],
    pub retries: u64,
    pub elapsed: Duration,
    pub stop: Option<&'a Stop>,
    pub output: &'a str,
    /// The command line that resumes this run.
    pub rerun: &'a str,
}

impl Ending<'_> {
    pub fn exit_code(&self) -> ExitCode {
        match self.stop {
            Some(Stop::Interrupted) => ExitCode::Interrupted,
            Some(Stop::Failed(failed)) => failed.failure.failure.category.exit_code(),
            Some(Stop::LocalWrite(_) | Stop::InputFailed(_)) => ExitCode::Internal,
            None if self.tally.missing > 0 => ExitCode::Api,
            None if self.tally.not_succeeded() + self.tally.skipped_errored > 0 => {
                ExitCode::BatchPartial
            }
            None => ExitCode::Success,
        }
    }

    /// For the log: `completed`, `interrupted`, or why it stopped.
    pub fn outcome(&self) -> &'static str {
        match self.stop {
            None => "completed",
            Some(Stop::Interrupted) => "interrupted",
            Some(Stop::Failed(failed)) => failed.failure.failure.category.as_str(),
            Some(Stop::LocalWrite(_)) => "output_failed",
            Some(Stop::InputFailed(_)) => "input_failed",
        }
    }

    /// A create that failed without proof that nothing was created.
    fn may_have_created(&self) -> Option<&Failed> {
        match self.stop {
            Some(Stop::Failed(failed))
                if failed.call == BatchCall::Create
                    && !failed.failure.failure.proves_nothing_was_done() =>
            {
                Some(failed)
            }
            _ => None,
        }
    }

    pub fn render(&self) -> String {
        let tally = self.tally;
        let mut out = self.headline();
        out.push_str(&tally.outcomes.result_rows());
        out.push_str(&row("canceled", tally.canceled.to_string()));
        out.push_str(&row("expired", tally.expired.to_string()));
        if tally.other > 0 {
            out.push_str(&row(
                "other",
                format!(
                    "{} (result types claude-rs does not know, written as sent)",
                    tally.other
                ),
            ));
        }
        if tally.missing > 0 {
            out.push_str(&row(
                "missing",
                format!(
                    "{} (a downloaded batch had no result for them; a rerun submits them again)",
                    tally.missing
                ),
            ));
        }
        if tally.skipped_succeeded + tally.skipped_errored > 0 {
            out.push_str(&row(
                "skipped",
                format!(
                    "{} already in {} ({} succeeded, {} errored)",
                    tally.skipped_succeeded + tally.skipped_errored,
                    self.output,
                    tally.skipped_succeeded,
                    tally.skipped_errored
                ),
            ));
        }
        if let (Some(_), Some(pending)) = (self.stop, self.pending) {
            let left = pending.saturating_sub(tally.written());
            out.push_str(&row("unfinished", format!("{left} (left for a rerun)")));
        }
        out.push_str(&tally.outcomes.tokens_row());
        out.push_str(&row("batches", self.batch_list()));
        out.push_str(&row("retries", self.retries.to_string()));
        out.push_str(&row("time", wall_time(self.elapsed)));
        for (label, text) in self.next_steps() {
            out.push_str(&row(label, text));
        }
        out.trim_end().to_string()
    }

    fn batch_list(&self) -> String {
        if self.batches.is_empty() {
            return "none".into();
        }
        let still_running = self.stop.is_some();
        self.batches
            .iter()
            .map(|batch| {
                let id = sanitize::one_line(&batch.id).into_owned();
                match (&batch.status, still_running) {
                    (Some(status), true) => format!(
                        "{id} ({}, {} of {} done)",
                        sanitize::one_line(status),
                        batch.done,
                        batch.total
                    ),
                    _ => id,
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn headline(&self) -> String {
        let done = self.tally.written();
        let items = match self.pending {
            Some(pending) => format!("{done} of {}", count(pending, "item", "items")),
            None => count(done, "item", "items"),
        };
        match self.stop {
            None => format!(
                "{}\n",
                format!(
                    "batch finished: {items} in {} through the Message Batches API",
                    wall_time(self.elapsed)
                )
                .bold()
            ),
            Some(Stop::Interrupted) => {
                let running = match self.batches.is_empty() {
                    true => "nothing was submitted".to_string(),
                    false => "the batches keep running on Anthropic's side".to_string(),
                };
                format!(
                    "{}\n",
                    format!("batch interrupted: {items} downloaded; {running}").bold()
                )
            }
            Some(Stop::Failed(failed)) => {
                let mut text = failed.render();
                text.push('\n');
                let during = match failed.call {
                    BatchCall::Create => "submitting a batch",
                    BatchCall::Retrieve => "polling a batch",
                    BatchCall::Results => "downloading results",
                    BatchCall::Cancel => "canceling a batch",
                    BatchCall::List => "listing batches",
                };
                text.push_str(&format!("  {:<11} stopped while {during}\n", "batch:"));
                text
            }
            Some(Stop::LocalWrite(error)) => format!(
                "{} batch stopped: could not write {error}\n",
                "error:".red().bold()
            ),
            Some(Stop::InputFailed(error)) => format!(
                "{} batch stopped: could not read the input: {error}\n",
                "error:".red().bold()
            ),
        }
    }

    /// What to run next: `(label, text)` rows.
    fn next_steps(&self) -> Vec<(&'static str, String)> {
        let mut steps = Vec::new();
        if let Some(failed) = self.may_have_created() {
            let sent = crate::dates::earlier(std::time::SystemTime::now(), failed.elapsed);
            steps.push((
                "created?",
                format!(
                    "a batch may have been created although its answer was lost: look for one created \
                     around {} with claude-rs batch --list",
                    crate::dates::rfc3339_seconds(sent)
                ),
            ));
            steps.push((
                "then",
                format!(
                    "if it is there, follow it first with: claude-rs batch --remote --batch-id ID -o {}; \
                     then (or if it is not there) finish with: {}",
                    self.output, self.rerun
                ),
            ));
            return steps;
        }
        match self.stop {
            Some(Stop::Interrupted)
            | Some(Stop::Failed(_))
            | Some(Stop::LocalWrite(_))
            | Some(Stop::InputFailed(_)) => {
                let fix_first = match self.stop {
                    Some(Stop::Failed(failed)) if failed.failure.failure.fails_every_request() => {
                        "fix the key, account or base URL, then "
                    }
                    Some(Stop::Failed(_)) => "once the API answers again, ",
                    _ => "",
                };
                steps.push(("next", format!("{fix_first}resume with: {}", self.rerun)));
                let running: Vec<&str> = self
                    .batches
                    .iter()
                    .filter(|b| b.status.as_deref() != Some("ended"))
                    .map(|b| b.id.as_str())
                    .collect();
                if let Some(first) = running.first() {
                    steps.push((
                        "cancel",
                        format!(
                            "to stop paying for the rest: claude-rs batch --cancel {}{}",
                            sanitize::one_line(first),
                            if running.len() > 1 {
                                " (and the other batches above)"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
            }
            None => {
                if self.tally.missing > 0 {
                    steps.push((
                        "next",
                        format!("submit the missing items with: {}", self.rerun),
                    ));
                } else if self.tally.not_succeeded() + self.tally.skipped_errored > 0
                    && self.pending.is_none()
                {
                    // Following a batch again downloads the same results.
                    steps.push((
                        "next",
                        format!(
                            "redo the errored items by sending their input again: \
                             claude-rs batch --remote INPUT -o {} --retry-errored",
                            self.output
                        ),
                    ));
                } else if self.tally.not_succeeded() + self.tally.skipped_errored > 0 {
                    let rerun = if self.rerun.contains("--retry-errored") {
                        self.rerun.to_string()
                    } else {
                        format!("{} --retry-errored", self.rerun)
                    };
                    steps.push(("next", format!("redo the errored items with: {rerun}")));
                }
            }
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::{Category, Failure, FinalFailure, GiveUp};
    use std::collections::HashMap;

    fn outcomes(succeeded: u64, errored: &[(Category, u64)]) -> Outcomes {
        Outcomes {
            succeeded,
            errored: HashMap::from_iter(errored.iter().copied()),
            ..Outcomes::default()
        }
    }

    fn ending<'a>(
        tally: &'a Tally,
        stop: Option<&'a Stop>,
        batches: &'a [BatchLine],
    ) -> Ending<'a> {
        Ending {
            tally,
            pending: Some(10),
            batches,
            retries: 1,
            elapsed: Duration::from_secs(30),
            stop,
            output: "out.jsonl",
            rerun: "claude-rs batch --remote in.txt -o out.jsonl",
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
        let clean = Tally {
            outcomes: outcomes(10, &[]),
            ..Tally::default()
        };
        assert_eq!(ending(&clean, None, &[]).exit_code(), ExitCode::Success);
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
                skipped_errored: 1,
                ..clean.clone()
            },
            Tally {
                outcomes: outcomes(10, &[(Category::Overloaded, 1)]),
                ..clean.clone()
            },
        ] {
            assert_eq!(
                ending(&partial, None, &[]).exit_code(),
                ExitCode::BatchPartial
            );
        }
        let auth = failed(
            Category::Authentication,
            GiveUp::NotRetryable,
            BatchCall::Create,
        );
        assert_eq!(ending(&clean, Some(&auth), &[]).exit_code(), ExitCode::Auth);
        let network = failed(
            Category::Connection,
            GiveUp::AttemptsExhausted,
            BatchCall::Retrieve,
        );
        assert_eq!(
            ending(&clean, Some(&network), &[]).exit_code(),
            ExitCode::Network
        );
        assert_eq!(
            ending(&clean, Some(&Stop::Interrupted), &[]).exit_code(),
            ExitCode::Interrupted
        );
        let missing = Tally {
            missing: 1,
            ..clean.clone()
        };
        assert_eq!(ending(&missing, None, &[]).exit_code(), ExitCode::Api);
    }

    #[test]
    fn the_summary_counts_every_kind_and_says_how_to_redo_failures() {
        let tally = Tally {
            outcomes: outcomes(7, &[(Category::Overloaded, 1)]),
            canceled: 1,
            expired: 1,
            ..Tally::default()
        };
        let batches = [batch("ended")];
        let text = ending(&tally, None, &batches).render();
        assert!(
            text.contains("batch finished: 10 of 10 items in 30s"),
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
    fn an_interrupted_run_says_the_batch_keeps_running_and_how_to_resume_or_cancel() {
        let tally = Tally::default();
        let batches = [batch("in_progress")];
        let text = ending(&tally, Some(&Stop::Interrupted), &batches).render();
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
        let text = ending(&tally, Some(&lost), &[]).render();
        assert!(text.contains("claude-rs batch --list"), "{text}");
        assert!(text.contains("--batch-id ID -o out.jsonl"), "{text}");
        assert!(text.contains("stopped while submitting a batch"), "{text}");
        assert_eq!(
            ending(&tally, Some(&lost), &[]).exit_code(),
            ExitCode::Network
        );
    }
}
