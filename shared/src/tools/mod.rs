//! The typed tools: for each tool, its `Args` (with the JSON Schema a model sees) and a `run` that asks its port
//! and digests the answer. `ops::tool` stores the raw answer and turns failures into feedback.

pub mod audit;
pub mod kb;
pub mod logs;
pub mod metrics;
pub mod xray;

use std::sync::Arc;

use chrono::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::contract::{Digest, RunContext, ToolName, Window};
use crate::domain::evidence::AnalysisFrame;
use crate::domain::resources::names_in_text;
use crate::error::{Fa2Error, Result};
use crate::ports::{ChangeLog, KnowledgeBase, LogSearch, MetricSource, TraceSource};

/// The ports the tools use. A tool Lambda fills only its own; the local runner fills all.
#[derive(Clone, Default)]
pub struct Toolbox {
    pub logs: Option<Arc<dyn LogSearch>>,
    pub metrics: Option<Arc<dyn MetricSource>>,
    pub changes: Option<Arc<dyn ChangeLog>>,
    pub traces: Option<Arc<dyn TraceSource>>,
    pub knowledge: Option<Arc<dyn KnowledgeBase>>,
}

impl Toolbox {
    /// A toolbox whose every port is served by one adapter (the bundle offline).
    pub fn serving_all<T>(adapter: Arc<T>) -> Toolbox
    where
        T: LogSearch + MetricSource + ChangeLog + TraceSource + KnowledgeBase + 'static,
    {
        Toolbox {
            logs: Some(adapter.clone()),
            metrics: Some(adapter.clone()),
            changes: Some(adapter.clone()),
            traces: Some(adapter.clone()),
            knowledge: Some(adapter),
        }
    }
}

/// What a tool hands back: the bounded digest and the raw output for the blob store.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolAnswer {
    pub digest: Digest,
    pub raw: Value,
}

/// Runs one tool call. `blob_ref` is where the raw output will be stored, for the digest's references.
pub async fn run(
    tool: ToolName,
    args: &Value,
    run: &RunContext,
    toolbox: &Toolbox,
    blob_ref: &str,
) -> Result<ToolAnswer> {
    fn port<T: ?Sized>(port: &Option<Arc<T>>, tool: ToolName) -> Result<&T> {
        port.as_deref().ok_or_else(|| {
            let setting = match tool {
                ToolName::Xray => " (X-Ray is not enabled: xrayTrace, FA2_XRAY)",
                ToolName::Kb => " (no knowledge base is configured: knowledgeBase, FA2_KNOWLEDGE_BASE_ID)",
                _ => "",
            };
            Fa2Error::Upstream(format!("the {tool} tool is not available in this deployment{setting}"))
        })
    }
    match tool {
        ToolName::Metrics => metrics::run(parse_args(tool, args)?, run, port(&toolbox.metrics, tool)?, blob_ref).await,
        ToolName::Logs => logs::run(parse_args(tool, args)?, run, port(&toolbox.logs, tool)?, blob_ref).await,
        ToolName::Audit => audit::run(parse_args(tool, args)?, run, port(&toolbox.changes, tool)?, blob_ref).await,
        ToolName::Xray => xray::run(parse_args(tool, args)?, run, port(&toolbox.traces, tool)?, blob_ref).await,
        ToolName::Kb => kb::run(parse_args(tool, args)?, run, port(&toolbox.knowledge, tool)?, blob_ref).await,
    }
}

/// The JSON Schema of a tool's arguments, as a model is shown it.
pub fn schema(tool: ToolName) -> Value {
    match tool {
        ToolName::Metrics => metrics::schema(),
        ToolName::Logs => logs::schema(),
        ToolName::Audit => audit::schema(),
        ToolName::Xray => xray::schema(),
        ToolName::Kb => kb::schema(),
    }
}

/// One line a model is shown about what a tool does.
pub fn description(tool: ToolName) -> &'static str {
    match tool {
        ToolName::Metrics => {
            "CloudWatch metrics: the alarm's metric and metrics of named resources, with anomalies and onsets"
        }
        ToolName::Logs => {
            "CloudWatch Logs Insights over the configured log groups, mined into new and changed log patterns"
        }
        ToolName::Audit => {
            "CloudTrail management events (deployments, config, IAM, capacity changes) ranked by relation and time"
        }
        ToolName::Xray => {
            "X-Ray traces: fault/error/throttle rates and latency per service edge, before vs after onset"
        }
        ToolName::Kb => "Runbooks and past postmortems from the knowledge base, cited only when relevant",
    }
}

fn parse_args<T: DeserializeOwned + Default>(tool: ToolName, args: &Value) -> Result<T> {
    if args.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(args.clone()).map_err(|e| {
        Fa2Error::invalid(format!("arguments of the {tool} tool do not match its schema ({e}): {}", schema(tool)))
    })
}

/// The frame every analyzer gets: the window, when the problem was noticed, and the resources in play.
/// Minutes of history read before the analysis window, as the baseline of metrics and logs: a slow rise that began
/// before the window (load creeping up for an hour, errors spreading with a phased rollout) shows as a rise, not as
/// the normal level.
pub const BASELINE_MINUTES: i64 = 60;

/// The run's window, reaching `BASELINE_MINUTES` further back.
pub fn with_baseline(window: Window) -> Window {
    Window { start: window.start - Duration::minutes(BASELINE_MINUTES), end: window.end }
}

pub fn frame(run: &RunContext, extra_resources: &[String]) -> AnalysisFrame {
    let mut resources: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        if !name.is_empty() && !resources.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            resources.push(name.to_string());
        }
    };
    extra_resources.iter().for_each(|r| add(r));
    if let Some(alarm) = &run.alarm {
        alarm.metrics.iter().flat_map(|m| m.dimensions.values()).for_each(|v| add(v));
    }
    names_in_text(run.trigger.description.as_deref().unwrap_or_default()).iter().for_each(|r| add(r));
    names_in_text(&run.architecture).iter().for_each(|r| add(r));
    AnalysisFrame { window: run.window, noticed_at: run.noticed_at, resources }
}

/// A schema for an object of optional properties.
fn object_schema(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// The run context the tool tests share: a half-hour Slack-triggered window, nothing configured.
#[cfg(test)]
pub(crate) fn test_run() -> RunContext {
    use chrono::TimeZone;
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
    RunContext {
        run_id: "r".into(),
        trigger: crate::contract::Trigger {
            kind: crate::contract::TriggerKind::Slack,
            alarm_name: None,
            description: None,
        },
        window: crate::contract::Window { start, end: start + chrono::Duration::minutes(30) },
        noticed_at: start + chrono::Duration::minutes(25),
        alarm: None,
        language: crate::contract::Language::En,
        brain: "rules".into(),
        max_agent_cycles: 5,
        architecture: String::new(),
        log_groups: Vec::new(),
        insights_query: None,
        xray: false,
        knowledge_base: false,
        slack: None,
        blob_prefix: "runs/r/".into(),
        started_at: start,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::Duration;

    use super::*;
    use crate::contract::{MetricRef, Window};
    use crate::ports::{
        ChangeLog, ChangeQueryResult, LogQuery, LogQueryResult, LogSearch, MetricFilter, MetricSeries, MetricSource,
    };

    /// Holds no metrics and no changes, and records the windows asked for.
    #[derive(Default)]
    struct WindowRecorder {
        windows: Mutex<Vec<Window>>,
    }

    impl WindowRecorder {
        fn asked(&self) -> Vec<Window> {
            self.windows.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl MetricSource for WindowRecorder {
        async fn list(&self, _filter: &MetricFilter, _limit: usize) -> Result<Vec<MetricRef>> {
            Ok(Vec::new())
        }
        async fn fetch(&self, _metrics: &[MetricRef], window: Window) -> Result<Vec<MetricSeries>> {
            self.windows.lock().unwrap().push(window);
            Ok(Vec::new())
        }
    }

    #[async_trait]
    impl LogSearch for WindowRecorder {
        async fn query(&self, query: &LogQuery) -> Result<LogQueryResult> {
            self.windows.lock().unwrap().push(query.window);
            Ok(LogQueryResult::default())
        }
    }

    #[async_trait]
    impl ChangeLog for WindowRecorder {
        async fn lookup(&self, window: Window, _limit: usize) -> Result<ChangeQueryResult> {
            self.windows.lock().unwrap().push(window);
            Ok(ChangeQueryResult::default())
        }
    }

    /// The window a tool should ask for: the run's, reaching `minutes` further back.
    fn reaching_back(run: &RunContext, minutes: i64) -> Vec<Window> {
        vec![Window { start: run.window.start - Duration::minutes(minutes), end: run.window.end }]
    }

    #[tokio::test]
    async fn metrics_and_logs_read_an_hour_before_the_window_as_the_baseline_and_changes_an_hour_before_it_too() {
        let mut run = test_run();
        let source = WindowRecorder::default();
        metrics::run(metrics::Args::default(), &run, &source, "blob").await.unwrap();
        assert_eq!(source.asked(), reaching_back(&run, BASELINE_MINUTES));

        run.log_groups = vec!["/aws/lambda/shop-fn".into()];
        let logs = WindowRecorder::default();
        logs::run(logs::Args::default(), &run, &logs, "blob").await.unwrap();
        assert_eq!(logs.asked(), reaching_back(&run, BASELINE_MINUTES));

        let changes = WindowRecorder::default();
        audit::run(audit::Args::default(), &run, &changes, "blob").await.unwrap();
        assert_eq!(changes.asked(), reaching_back(&run, audit::LEAD_MINUTES));
    }
}
