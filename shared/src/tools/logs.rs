//! The logs tool: a Logs Insights query over the run's log groups (in sets of at most 50), or a FilterLogEvents
//! search for a stream prefix and/or filter pattern, mined into new and changed log patterns.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ToolAnswer, frame, object_schema, with_baseline};
use crate::config::{DEFAULT_INSIGHTS_QUERY, MAX_LOG_GROUPS};
use crate::contract::RunContext;
use crate::domain::evidence::logs;
use crate::error::{Fa2Error, Result};
use crate::ports::{LogFilter, LogQuery, LogQueryResult, LogSearch};

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
    /// Only streams whose name starts with this (a FilterLogEvents search instead of the Insights query).
    #[serde(default)]
    pub log_stream: Option<String>,
    /// A CloudWatch Logs filter pattern (a FilterLogEvents search instead of the Insights query).
    #[serde(default)]
    pub filter_pattern: Option<String>,
}

pub fn schema() -> Value {
    object_schema(
        json!({
            "logGroups": {"type": "array", "items": {"type": "string"}, "description": "default: the configured log groups"},
            "query": {"type": "string", "description": "Logs Insights query, e.g. fields @timestamp, @message | filter @message like /ERROR/"},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS},
            "logStream": {"type": "string", "description": "log stream name prefix; with it (or filterPattern) the search is FilterLogEvents and query is not used"},
            "filterPattern": {"type": "string", "description": "CloudWatch Logs filter pattern: terms all present, \"exact phrase\", ?any ?of, -excluded (case-sensitive)"}
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
    let filter = (args.log_stream.is_some() || args.filter_pattern.is_some())
        .then(|| LogFilter { stream_prefix: args.log_stream.clone(), pattern: args.filter_pattern.clone() });
    let mut answer = LogQueryResult::default();
    for chunk in groups.chunks(MAX_LOG_GROUPS) {
        let part = search
            .query(&LogQuery {
                log_groups: chunk.to_vec(),
                window: with_baseline(run.window),
                query: query.clone(),
                limit,
                filter: filter.clone(),
            })
            .await?;
        answer.events.extend(part.events);
        answer.truncated |= part.truncated;
        answer.missing_groups.extend(part.missing_groups);
    }
    answer.events.sort_by_key(|e| e.timestamp);
    let mut frame = frame(run, &[]);
    frame.window = with_baseline(run.window);
    let mut digest = logs::digest(&answer.events, &frame, blob_ref);
    digest.truncated |= answer.truncated;
    if !answer.missing_groups.is_empty() {
        digest.text =
            format!("Log groups not found or not readable: {}.\n{}", answer.missing_groups.join(", "), digest.text);
    }
    // The Insights query was not run when a FilterLogEvents search was.
    let raw = json!({"query": filter.is_none().then_some(&query), "logStream": args.log_stream,
        "filterPattern": args.filter_pattern, "logGroups": groups, "missingGroups": answer.missing_groups,
        "truncated": answer.truncated, "events": answer.events});
    Ok(ToolAnswer { digest: crate::domain::budget::bound_digest(digest), raw })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::ports::LogEvent;

    /// Answers every query with one event per existing group and records what was asked.
    #[derive(Default)]
    struct Recorder {
        asked: Mutex<Vec<LogQuery>>,
    }

    impl Recorder {
        fn asked(&self) -> Vec<LogQuery> {
            self.asked.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl LogSearch for Recorder {
        async fn query(&self, query: &LogQuery) -> Result<LogQueryResult> {
            self.asked.lock().unwrap().push(query.clone());
            let (missing, existing): (Vec<String>, Vec<String>) =
                query.log_groups.iter().cloned().partition(|g| g.contains("gone"));
            let events = existing
                .into_iter()
                .map(|log_group| LogEvent {
                    log_group,
                    log_stream: "s".into(),
                    timestamp: query.window.start.timestamp_millis(),
                    message: "ERROR boom".into(),
                })
                .collect();
            Ok(LogQueryResult { events, truncated: false, missing_groups: missing })
        }
    }

    fn run_context(log_groups: Vec<String>) -> RunContext {
        RunContext { log_groups, insights_query: Some("fields @message | limit 5".into()), ..super::super::test_run() }
    }

    #[tokio::test]
    async fn insights_over_sets_of_fifty_with_the_configured_query() {
        let groups: Vec<String> = (0..51).map(|i| format!("/aws/lambda/f{i}")).chain(["/gone".into()]).collect();
        let search = Recorder::default();
        let answer = run(Args::default(), &run_context(groups), &search, "blob").await.unwrap();
        let asked = search.asked();
        assert_eq!(asked.iter().map(|q| q.log_groups.len()).collect::<Vec<_>>(), [50, 2]);
        assert!(asked.iter().all(|q| q.filter.is_none() && q.query == "fields @message | limit 5"));
        assert_eq!(answer.raw["query"], "fields @message | limit 5");
        assert_eq!(answer.raw["missingGroups"], json!(["/gone"]));
        assert!(
            answer.digest.text.starts_with("Log groups not found or not readable: /gone."),
            "{}",
            answer.digest.text
        );
    }

    #[tokio::test]
    async fn a_stream_or_pattern_makes_it_a_filter_search() {
        let search = Recorder::default();
        let args: Args =
            serde_json::from_value(json!({"logStream": "web", "filterPattern": "?ERROR ?FATAL", "limit": 20})).unwrap();
        let answer = run(args, &run_context(vec!["/a".into()]), &search, "blob").await.unwrap();
        let asked = search.asked();
        let expected = LogFilter { stream_prefix: Some("web".into()), pattern: Some("?ERROR ?FATAL".into()) };
        assert_eq!((asked[0].filter.as_ref(), asked[0].limit), (Some(&expected), 20));
        assert!(answer.raw["query"].is_null());
        assert_eq!(answer.raw["filterPattern"], "?ERROR ?FATAL");

        let pattern_only: Args = serde_json::from_value(json!({"filterPattern": "timeout"})).unwrap();
        run(pattern_only, &run_context(vec!["/a".into()]), &search, "blob").await.unwrap();
        let asked = search.asked();
        assert_eq!(asked[1].filter, Some(LogFilter { stream_prefix: None, pattern: Some("timeout".into()) }));
        let schema = schema();
        assert!(schema.to_string().contains("logStream") && schema.to_string().contains("filterPattern"));
    }
}
