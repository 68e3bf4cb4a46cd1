//! `log stats --prometheus`: the stats in Prometheus's text exposition format,
//! for node_exporter's textfile collector. Every figure is a gauge over the
//! `--since` span (a cron job rewrites the file), and every category is
//! listed, at 0 when it did not occur, so a series never vanishes.

use std::fmt::Write;

use super::stats::Stats;
use crate::resilience::Category;

/// The exposition text: `# HELP`, `# TYPE` and the samples of each metric.
pub fn render(stats: &Stats, damaged_lines: u64) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, help: &str, samples: &[(String, f64)]| {
        let _ = writeln!(out, "# HELP claude_rs_{name} {help}");
        let _ = writeln!(out, "# TYPE claude_rs_{name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(out, "claude_rs_{name}{labels} {}", number(*value));
        }
    };
    let failed = |category: &Category| -> u64 {
        let found = stats.failures.iter().find(|(c, _)| c == category);
        found.map_or(0, |(_, n)| *n)
    };
    let mut calls = vec![(r#"{outcome="success"}"#.to_string(), stats.successes as f64)];
    calls.extend(
        Category::ALL
            .iter()
            .map(|c| (format!(r#"{{outcome="{}"}}"#, c.as_str()), failed(c) as f64)),
    );
    metric(
        "calls",
        "Calls logged in the span, by outcome: success or the final failure's category.",
        &calls,
    );
    let attempts: Vec<_> = Category::ALL
        .iter()
        .map(|c| {
            let count = stats.failed_attempts.get(c).copied().unwrap_or(0);
            (format!(r#"{{category="{}"}}"#, c.as_str()), count as f64)
        })
        .collect();
    metric(
        "failed_attempts",
        "Failed attempts logged in the span, by category.",
        &attempts,
    );
    let one = |value: f64| [(String::new(), value)];
    metric(
        "retries",
        "Failed attempts that were retried.",
        &one(stats.retries as f64),
    );
    let ratio = |successes: u64, calls: u64| match calls {
        0 => f64::NAN,
        _ => successes as f64 / calls as f64,
    };
    metric(
        "success_ratio",
        "Successful calls over all calls in the span (NaN without calls).",
        &one(ratio(stats.successes, stats.calls)),
    );
    let worst = stats.worst_window().map(|w| ratio(w.successes, w.calls));
    metric(
        "worst_window_success_ratio",
        "The lowest success ratio of any window with calls (NaN without calls).",
        &one(worst.unwrap_or(f64::NAN)),
    );
    metric(
        "window_seconds",
        "The length of the windows.",
        &one(stats.window.as_secs_f64()),
    );
    metric(
        "log_damaged_lines",
        "Log lines that could not be read.",
        &one(damaged_lines as f64),
    );
    out
}

/// Prometheus spells not-a-number `NaN`; whole numbers without a fraction.
fn number(value: f64) -> String {
    match value {
        v if v.is_nan() => "NaN".to_string(),
        v if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        v => format!("{v}"),
    }
}
