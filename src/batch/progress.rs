//! What a person watching a batch sees on stderr: on a terminal, a progress
//! bar with retry and breaker notices printed above it; anywhere else,
//! nothing until the summary (a log file fills up with bars otherwise) but
//! warnings and, for a remote batch, the batch ids as they are created. A
//! local bar counts the results written; a remote one the items Anthropic
//! has processed (from `request_counts`).

use std::time::{Duration, Instant};

use colored::Colorize;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::api::batches::RequestCounts;
use crate::call::Say;
use crate::report;
use crate::resilience::breaker::BreakerEvent;

pub struct Progress {
    bar: ProgressBar,
    /// Notices are for a terminal and can be silenced with --quiet.
    notices: bool,
    started: Instant,
}

/// The figures the bar's message shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct Figures {
    pub succeeded: u64,
    pub errored: u64,
    pub retries: u64,
    pub requests: u64,
}

impl Progress {
    /// A bar on stderr when it is a terminal, else a hidden one (on which
    /// `suspend` still prints). Its fixed part is under 40 columns and the
    /// message, last, is the one element that gives way: cut at the terminal's
    /// edge, so a narrow terminal never sees the line wrap or the bar vanish.
    pub fn new(total: u64, on_terminal: bool, quiet: bool) -> Progress {
        let bar = match on_terminal {
            true => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()),
            false => ProgressBar::hidden(),
        };
        if on_terminal {
            let template = "{spinner} {elapsed_precise} [{bar:16}] {pos}/{len} {wide_msg}";
            let style = ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(250));
        }
        Progress {
            bar,
            notices: on_terminal && !quiet,
            started: Instant::now(),
        }
    }

    /// On a hidden bar this draws nothing.
    pub fn update(&self, figures: Figures) {
        self.bar.set_position(figures.succeeded + figures.errored);
        let eta = humantime::format_duration(Duration::from_secs(self.bar.eta().as_secs()));
        self.bar.set_message(format!(
            "{} · ETA {eta}",
            message(figures, self.started.elapsed())
        ));
    }

    /// The counts over every Message Batch followed, and how many have ended.
    pub fn update_batches(&self, counts: &RequestCounts, batches: usize, ended: usize) {
        self.bar.set_length(counts.total());
        self.bar.set_position(counts.done());
        self.bar
            .set_message(batches_message(counts, batches, ended));
    }

    /// A line that must always be seen (a batch id as it is created).
    pub fn line(&self, text: &str) {
        self.bar.suspend(|| eprintln!("{text}"));
    }

    /// Output that must not be drawn over (results on a terminal's stdout, warnings).
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Say for Progress {
    /// A line above the bar; nothing when not on a terminal or --quiet.
    fn notice(&self, line: &str) {
        if self.notices {
            self.line(line);
        }
    }

    fn warning(&self, line: &str) {
        self.line(&report::warning(line));
    }
}

/// Plain stderr, for the calls that draw no bar (`--status`, `--cancel`, `--list`).
pub struct Plain {
    pub quiet: bool,
}

impl Say for Plain {
    fn notice(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    fn warning(&self, line: &str) {
        warn(line);
    }
}

/// A warning on stderr, where no bar is drawn.
pub fn warn(line: &str) {
    eprintln!("{}", report::warning(line));
}

fn batches_message(counts: &RequestCounts, batches: usize, ended: usize) -> String {
    let noun = if batches == 1 { "batch" } else { "batches" };
    format!(
        "✓ {} ✗ {} canceled {} expired {} · {ended}/{batches} {noun} ended",
        counts.succeeded, counts.errored, counts.canceled, counts.expired
    )
}

fn message(figures: Figures, elapsed: Duration) -> String {
    format!(
        "✓ {} ✗ {} ↻ {} · {:.0} req/min",
        figures.succeeded,
        figures.errored,
        figures.retries,
        per_minute(figures.requests, elapsed)
    )
}

pub fn per_minute(count: u64, elapsed: Duration) -> f64 {
    let minutes = elapsed.as_secs_f64() / 60.0;
    if minutes <= 0.0 {
        0.0
    } else {
        count as f64 / minutes
    }
}

pub fn breaker_notice(event: BreakerEvent, cause: &str) -> String {
    match event {
        BreakerEvent::Opened { cooldown } => format!(
            "{} {cause} keeps failing: every worker waits {}, then one request probes",
            "circuit breaker open:".yellow().bold(),
            report::seconds(cooldown)
        ),
        BreakerEvent::Closed => format!(
            "{} the API answered again; all workers resume",
            "circuit breaker closed:".green().bold()
        ),
        BreakerEvent::GaveUp { failed_probes } => format!(
            "{} {failed_probes} probes in a row failed ({cause}): stopping the batch",
            "circuit breaker gave up:".red().bold()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_shows_counts_and_the_rate() {
        let figures = Figures {
            succeeded: 120,
            errored: 3,
            retries: 14,
            requests: 137,
        };
        assert_eq!(
            message(figures, Duration::from_secs(30)),
            "✓ 120 ✗ 3 ↻ 14 · 274 req/min"
        );
        assert_eq!(per_minute(10, Duration::ZERO), 0.0);
    }

    #[test]
    fn the_remote_message_shows_each_kind_and_the_batches() {
        let counts = RequestCounts {
            processing: 5,
            succeeded: 90,
            errored: 3,
            canceled: 1,
            expired: 1,
        };
        assert_eq!(
            batches_message(&counts, 2, 1),
            "✓ 90 ✗ 3 canceled 1 expired 1 · 1/2 batches ended"
        );
    }
}
