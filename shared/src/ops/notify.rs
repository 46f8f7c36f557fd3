//! `Notify`: stores the report (JSON and Markdown) under the run's prefix and publishes it (Slack thread in AWS,
//! the output directory locally). If `Finalize` failed, it still publishes a report that says so.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::contract::{ExecutionState, StepFailure};
use crate::domain::render;
use crate::error::{Fa2Error, Result};
use crate::ops::finalize::failure_report;
use crate::ports::{BlobStore, Notifier};

/// Where the report went, for the execution output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub status: String,
    pub report_json: String,
    pub report_markdown: String,
    pub published: Vec<String>,
}

pub async fn notify(
    state: ExecutionState,
    blobs: &dyn BlobStore,
    notifiers: &[&dyn Notifier],
    now: DateTime<Utc>,
) -> Result<Notification> {
    let report = match (state.report, &state.run) {
        (Some(report), _) => report,
        (None, run) => {
            let failure = state
                .failure
                .clone()
                .unwrap_or(StepFailure { error: "Fa2.Upstream".into(), cause: "no report was produced".into() });
            let mut report = failure_report(&state.input, Some(&failure), now);
            if let Some(run) = run {
                report.run_id = run.run_id.clone();
                report.window = run.window;
                report.trigger = run.trigger.clone();
                report.language = run.language;
            }
            report
        }
    };
    let prefix = state.run.as_ref().map_or_else(|| format!("runs/{}/", report.run_id), |r| r.blob_prefix.clone());
    let markdown = render::markdown(&report);
    let json = serde_json::to_vec_pretty(&report).map_err(|e| Fa2Error::Upstream(format!("report JSON: {e}")))?;
    let report_json = blobs.put(&format!("{prefix}report.json"), json, "application/json").await?;
    let report_markdown =
        blobs.put(&format!("{prefix}report.md"), markdown.clone().into_bytes(), "text/markdown; charset=utf-8").await?;
    let mut published = Vec::new();
    for notifier in notifiers {
        published.push(notifier.publish(&report, &markdown).await?);
    }
    Ok(Notification { status: report.status.as_str().to_string(), report_json, report_markdown, published })
}
