//! What a person watching a batch sees on stderr: on a terminal, a progress
//! bar with retry and breaker notices printed above it; anywhere else,
//! nothing until the summary (a log file fills up with bars otherwise).

use std::time::{Duration, Instant};

use colored::Colorize;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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

/// A bar on stderr when it is a terminal, else a hidden one (on which
/// `suspend` still prints). Its fixed part is under 40 columns and the
/// message, last, is the one element that gives way: cut at the terminal's
/// edge, so a narrow terminal never sees the line wrap or the bar vanish.
pub fn stderr_bar(total: u64, on_terminal: bool) -> ProgressBar {
    if !on_terminal {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = "{spinner} {elapsed_precise} [{bar:16}] {pos}/{len} {wide_msg}";
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

impl Progress {
    pub fn new(total: u64, on_terminal: bool, quiet: bool) -> Progress {
        let bar = stderr_bar(total, on_terminal);
        Progress {
            bar,
            notices: on_terminal && !quiet,
            started: Instant::now(),
        }
    }

    pub fn update(&self, figures: Figures) {
        if self.bar.is_hidden() {
            return;
        }
        self.bar.set_position(figures.succeeded + figures.errored);
        let eta = humantime::format_duration(Duration::from_secs(self.bar.eta().as_secs()));
        self.bar.set_message(format!(
            "{} · ETA {eta}",
            message(figures, self.started.elapsed())
        ));
    }

    /// A line above the bar; nothing when not on a terminal or --quiet.
    pub fn notice(&self, line: &str) {
        if self.notices {
            self.bar.suspend(|| eprintln!("{line}"));
        }
    }

    /// Output that must not be drawn over (results on a terminal's stdout, warnings).
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
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
}
