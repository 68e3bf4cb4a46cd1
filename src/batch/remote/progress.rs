//! What a person watching a remote batch sees on stderr: on a terminal, a
//! bar of the items Anthropic has processed (from `request_counts`) with
//! notices above it; anywhere else, only the batch ids as they are created,
//! warnings, and the summary.

use indicatif::ProgressBar;

use super::calls::Say;
use crate::api::batches::RequestCounts;
use crate::batch::progress::stderr_bar;
use crate::report;

pub struct Progress {
    bar: ProgressBar,
    /// Retry notices: on a terminal, unless --quiet.
    notices: bool,
}

impl Progress {
    pub fn new(on_terminal: bool, quiet: bool) -> Progress {
        let bar = stderr_bar(0, on_terminal);
        Progress {
            bar,
            notices: on_terminal && !quiet,
        }
    }

    /// The counts over every batch followed, and how many of them have ended.
    pub fn update(&self, counts: &RequestCounts, batches: usize, ended: usize) {
        if self.bar.is_hidden() {
            return;
        }
        self.bar.set_length(counts.total());
        self.bar.set_position(counts.done());
        self.bar.set_message(message(counts, batches, ended));
    }

    /// A line that must always be seen (a batch id as it is created).
    pub fn line(&self, text: &str) {
        self.bar.suspend(|| eprintln!("{text}"));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Say for Progress {
    fn notice(&self, line: &str) {
        if self.notices {
            self.bar.suspend(|| eprintln!("{line}"));
        }
    }

    fn warning(&self, line: &str) {
        self.bar.suspend(|| eprintln!("{}", report::warning(line)));
    }
}

fn message(counts: &RequestCounts, batches: usize, ended: usize) -> String {
    let noun = if batches == 1 { "batch" } else { "batches" };
    format!(
        "✓ {} ✗ {} canceled {} expired {} · {ended}/{batches} {noun} ended",
        counts.succeeded, counts.errored, counts.canceled, counts.expired
    )
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
        eprintln!("{}", report::warning(line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_shows_each_kind_and_the_batches() {
        let counts = RequestCounts {
            processing: 5,
            succeeded: 90,
            errored: 3,
            canceled: 1,
            expired: 1,
        };
        assert_eq!(
            message(&counts, 2, 1),
            "✓ 90 ✗ 3 canceled 1 expired 1 · 1/2 batches ended"
        );
    }
}
