//! Renders a report as Markdown for people, in the run's language (stub until rendering lands).

use crate::contract::Report;

/// The report as Markdown (`report.md`), in `report.language`.
pub fn markdown(report: &Report) -> String {
    format!("# {}\n\n{}\n", report.status.as_str(), report.summary)
}
