//! The audit tool: CloudTrail management events over the window (and an hour before it), write events ranked by
//! relation and time.

use chrono::Duration;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ToolAnswer, frame, object_schema};
use crate::contract::{RunContext, Window};
use crate::domain::evidence::audit;
use crate::error::Result;
use crate::ports::ChangeLog;

/// CloudTrail records read per call, at most (LookupEvents pages hold 50; 20 pages at 2 requests/s).
pub const MAX_RECORDS: usize = 1_000;

/// Minutes before the analysis window whose changes are read too: a change may bite only when it is next used
/// (a task pulling an overwritten image tag, a cached setting refreshed), well after it was made.
pub const LEAD_MINUTES: i64 = 60;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Args {
    /// Resource names to rank related changes first.
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

pub fn schema() -> Value {
    object_schema(
        json!({
            "resources": {"type": "array", "items": {"type": "string"}, "description": "resources whose changes matter most"},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_RECORDS}
        }),
        &[],
    )
}

pub async fn run(args: Args, run: &RunContext, changes: &dyn ChangeLog, blob_ref: &str) -> Result<ToolAnswer> {
    let limit = args.limit.unwrap_or(MAX_RECORDS).clamp(1, MAX_RECORDS);
    let since = Window { start: run.window.start - Duration::minutes(LEAD_MINUTES), end: run.window.end };
    let answer = changes.lookup(since, limit).await?;
    let mut digest = audit::digest(&answer.records, &frame(run, &args.resources), blob_ref);
    digest.truncated |= answer.truncated;
    Ok(ToolAnswer { digest, raw: json!({"truncated": answer.truncated, "records": answer.records}) })
}
