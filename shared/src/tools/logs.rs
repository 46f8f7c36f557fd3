//! The logs tool: a Logs Insights query over the run's log groups (in sets of at most 50), mined into new and
//! changed log patterns.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ToolAnswer, frame, object_schema};
use crate::config::{DEFAULT_INSIGHTS_QUERY, MAX_LOG_GROUPS};
use crate::contract::RunContext;
use crate::domain::evidence::logs;
use crate::error::{Fa2Error, Result};
use crate::ports::{LogQuery, LogQueryResult, LogSearch};

/// Rows one Logs Insights query returns at most.
pub const MAX_ROWS: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Args {
    /// Log groups to search; default: the configured ones.
    #[serde(default)]
    pub log_groups: Vec<String>,
    /// A Logs Insights query; default: the configured one, or every message newest first.
    #[serde(default)]
    pub query: Option<String>,
    /// Rows per query, at most 10,000.
    #[serde(default)]
    pub limit: Option<usize>,
}

pub fn schema() -> Value {
    object_schema(
        json!({
            "logGroups": {"type": "array", "items": {"type": "string"}, "description": "default: the configured log groups"},
            "query": {"type": "string", "description": "Logs Insights query, e.g. fields @timestamp, @message | filter @message like /ERROR/"},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS}
        }),
        &[],
    )
}

pub async fn run(args: Args, run: &RunContext, search: &dyn LogSearch, blob_ref: &str) -> Result<ToolAnswer> {
    let groups = if args.log_groups.is_empty() { run.log_groups.clone() } else { args.log_groups.clone() };
    if groups.is_empty() {
        return Err(Fa2Error::invalid(
            "no log groups to search: configure cwLogsLogGroups (FA2_LOG_GROUPS) or pass logGroups",
        ));
    }
    let query =
        args.query.clone().or_else(|| run.insights_query.clone()).unwrap_or_else(|| DEFAULT_INSIGHTS_QUERY.into());
    let limit = args.limit.unwrap_or(MAX_ROWS).clamp(1, MAX_ROWS);
    let mut answer = LogQueryResult::default();
    for chunk in groups.chunks(MAX_LOG_GROUPS) {
        let part = search
            .query(&LogQuery { log_groups: chunk.to_vec(), window: run.window, query: query.clone(), limit, filter: None })
            .await?;
        answer.events.extend(part.events);
        answer.truncated |= part.truncated;
        answer.missing_groups.extend(part.missing_groups);
    }
    answer.events.sort_by_key(|e| e.timestamp);
    let mut digest = logs::digest(&answer.events, &frame(run, &[]), blob_ref);
    digest.truncated |= answer.truncated;
    if !answer.missing_groups.is_empty() {
        digest.text =
            format!("Log groups not found or not readable: {}.\n{}", answer.missing_groups.join(", "), digest.text);
    }
    let raw = json!({"query": query, "logGroups": groups, "missingGroups": answer.missing_groups,
        "truncated": answer.truncated, "events": answer.events});
    Ok(ToolAnswer { digest: crate::domain::budget::bound_digest(digest), raw })
}
