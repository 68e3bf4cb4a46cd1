//! How `--status`, `--cancel` and `--list` show batches on stdout: a few
//! aligned lines, every field the server sent sanitised for the terminal.

use crate::api::batches::{MessageBatch, RequestCounts};
use crate::sanitize;

fn text(value: Option<&str>) -> String {
    value.map_or_else(|| "-".to_string(), |v| sanitize::one_line(v).into_owned())
}

/// `10 (7 succeeded, 1 errored, 0 canceled, 0 expired, 2 processing)`, the
/// noun after the total when given.
fn counts_text(counts: &RequestCounts, noun: &str) -> String {
    let mut line = format!(
        "{}{noun} ({} succeeded, {} errored, {} canceled, {} expired",
        counts.total(),
        counts.succeeded,
        counts.errored,
        counts.canceled,
        counts.expired
    );
    if counts.processing > 0 {
        line.push_str(&format!(", {} processing", counts.processing));
    }
    line.push(')');
    line
}

/// One batch, field by field.
pub fn status(batch: &MessageBatch) -> String {
    let row = |label: &str, value: String| format!("{:<10} {value}", format!("{label}:"));
    let mut lines = vec![
        row("id", text(Some(&batch.id))),
        row("status", text(Some(&batch.processing_status))),
        row("requests", counts_text(&batch.request_counts, "")),
        row("created", text(batch.created_at.as_deref())),
        row("ended", text(batch.ended_at.as_deref())),
        row("expires", text(batch.expires_at.as_deref())),
    ];
    if let Some(at) = &batch.cancel_initiated_at {
        lines.push(row("canceled", format!("requested at {}", text(Some(at)))));
    }
    let results = match &batch.results_url {
        Some(url) => text(Some(url)),
        None => "- (once the batch has ended)".to_string(),
    };
    lines.push(row("results", results));
    lines.join("\n")
}

/// One line per batch, newest first.
pub fn list(batches: &[MessageBatch]) -> String {
    let ids: Vec<String> = batches.iter().map(|b| text(Some(&b.id))).collect();
    let width = ids.iter().map(|id| id.chars().count()).max().unwrap_or(0);
    batches
        .iter()
        .zip(&ids)
        .map(|(batch, id)| {
            format!(
                "{id:<width$}  {:<11}  {}  created {}",
                text(Some(&batch.processing_status)),
                counts_text(&batch.request_counts, " requests"),
                text(batch.created_at.as_deref())
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(id: &str, status: &str) -> MessageBatch {
        MessageBatch {
            id: id.into(),
            processing_status: status.into(),
            request_counts: RequestCounts {
                processing: 2,
                succeeded: 7,
                errored: 1,
                canceled: 0,
                expired: 0,
            },
            created_at: Some("2026-01-01T00:00:00Z".into()),
            ended_at: None,
            expires_at: Some("2026-01-02T00:00:00Z".into()),
            cancel_initiated_at: None,
            archived_at: None,
            results_url: None,
        }
    }

    #[test]
    fn a_status_is_a_few_aligned_lines() {
        let text = status(&batch("msgbatch_1", "in_progress"));
        assert_eq!(
            text,
            "id:        msgbatch_1\n\
             status:    in_progress\n\
             requests:  10 (7 succeeded, 1 errored, 0 canceled, 0 expired, 2 processing)\n\
             created:   2026-01-01T00:00:00Z\n\
             ended:     -\n\
             expires:   2026-01-02T00:00:00Z\n\
             results:   - (once the batch has ended)"
        );
    }

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        let text = status(&batch("msgbatch_\u{1b}[31mred", "ended"));
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("\\u{1b}[31mred"), "{text}");
    }

    #[test]
    fn a_list_lines_up_its_columns() {
        let text = list(&[
            batch("msgbatch_22", "ended"),
            batch("msgbatch_1", "in_progress"),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("msgbatch_22  ended        10 requests"),
            "{text}"
        );
        assert!(
            lines[1].starts_with("msgbatch_1   in_progress  10 requests"),
            "{text}"
        );
        assert!(lines[1].ends_with("created 2026-01-01T00:00:00Z"), "{text}");
    }
}
