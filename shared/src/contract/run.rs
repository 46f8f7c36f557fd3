//! The run state that travels through the state machine: the run context, the brain's decision, tool calls and
//! results, and the notebook of observations.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::evidence::Digest;
use super::report::{Language, Trigger, Window};

/// Everything the steps need to know about one analysis, fixed by `Prepare` at the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunContext {
    pub run_id: String,
    pub trigger: Trigger,
    pub window: Window,
    /// When the problem was noticed: the alarm's state change, or the end of the operator's window.
    pub noticed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm: Option<AlarmSummary>,
    pub language: Language,
    /// `rules`, `bedrock:<modelId>` or `openai:<model>`.
    pub brain: String,
    pub max_agent_cycles: u32,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub log_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insights_query: Option<String>,
    #[serde(default)]
    pub xray: bool,
    #[serde(default)]
    pub knowledge_base: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<SlackThread>,
    /// Where this run's blobs (raw tool outputs, report) live in the blob store.
    pub blob_prefix: String,
    pub started_at: DateTime<Utc>,
}

/// The alarm that started the run, reduced to what the analysis uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmSummary {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub reason: String,
    pub state_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The metrics the alarm evaluates (for metric math alarms, every `metricStat` in the expression).
    #[serde(default)]
    pub metrics: Vec<MetricRef>,
}

/// One CloudWatch metric, identified as `GetMetricData` identifies it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricRef {
    pub namespace: String,
    pub metric_name: String,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
}

impl fmt::Display for MetricRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.metric_name)?;
        for (k, v) in &self.dimensions {
            write!(f, " {k}={v}")?;
        }
        Ok(())
    }
}

/// The Slack thread a report goes back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlackThread {
    pub channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_ts: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// The tools the brain can call; the ASL `RouteTool` Choice has one branch per variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolName {
    Metrics,
    Logs,
    Audit,
    Xray,
    Kb,
}

impl ToolName {
    pub const ALL: [ToolName; 5] = [ToolName::Metrics, ToolName::Logs, ToolName::Audit, ToolName::Xray, ToolName::Kb];

    /// The wire name, as in `{"tool": "logs"}`.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolName::Metrics => "metrics",
            ToolName::Logs => "logs",
            ToolName::Audit => "audit",
            ToolName::Xray => "xray",
            ToolName::Kb => "kb",
        }
    }

    /// The ASL Task state (and Lambda, and CDK construct) that runs this tool.
    pub fn state_name(self) -> &'static str {
        match self {
            ToolName::Metrics => "ToolMetrics",
            ToolName::Logs => "ToolLogs",
            ToolName::Audit => "ToolAudit",
            ToolName::Xray => "ToolXray",
            ToolName::Kb => "ToolKb",
        }
    }

    /// The evidence source a result of this tool is cited as.
    pub fn source(self) -> super::evidence::EvidenceSource {
        use super::evidence::EvidenceSource;
        match self {
            ToolName::Metrics => EvidenceSource::Metrics,
            ToolName::Logs => EvidenceSource::Logs,
            ToolName::Audit => EvidenceSource::Audit,
            ToolName::Xray => EvidenceSource::Traces,
            ToolName::Kb => EvidenceSource::Knowledge,
        }
    }
}

impl fmt::Display for ToolName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One tool invocation the brain asked for. `args` is the tool's own `Args` type, as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCall {
    pub id: String,
    pub tool: ToolName,
    #[serde(default)]
    pub args: Value,
}

/// What `Think` decided: call tools, or stop and write the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub action: Action,
    /// The brain's reasoning for this step, shown in the trace and kept short.
    #[serde(default)]
    pub thought: String,
    #[serde(default)]
    pub calls: Vec<ToolCall>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    CallTools,
    Finish,
}

/// The input of every tool Lambda: the call, and the run it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolRequest {
    pub run: RunContext,
    pub call: ToolCall,
}

/// How a tool call ended. A failure the brain can act on is an outcome, not an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum ToolOutcome {
    /// The tool answered; the digest is bounded, the raw output is in the blob store under `blobKey`.
    #[serde(rename_all = "camelCase")]
    Ok {
        digest: Digest,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blob_key: Option<String>,
    },
    /// The tool could not answer; `feedback` says why and what to try instead.
    #[serde(rename_all = "camelCase")]
    Failed { feedback: String },
}

/// The output of a tool Lambda, or of the ASL `ToolFailed` state when a tool Task failed outright.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResult {
    pub call: ToolCall,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ToolOutcome>,
    /// Set by the state machine's Catch when the Task itself failed (`Error`/`Cause`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<StepFailure>,
}

/// An ASL error object as a Catch with `ResultPath` stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepFailure {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

impl StepFailure {
    /// The human-readable cause: Step Functions wraps a Lambda error's message as JSON
    /// (`{"errorMessage": ..., "errorType": ...}`); this unwraps it.
    pub fn message(&self) -> String {
        serde_json::from_str::<Value>(&self.cause)
            .ok()
            .and_then(|v| v.get("errorMessage").and_then(Value::as_str).map(String::from))
            .unwrap_or_else(|| self.cause.clone())
    }
}

/// The brain's memory across cycles: bounded by construction (see `domain::budget`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notebook {
    /// Completed think → tools → observe cycles.
    pub cycle: u32,
    pub tool_calls: u32,
    pub observations: Vec<Observation>,
    /// The brain's thoughts, one per cycle, newest last.
    #[serde(default)]
    pub thoughts: Vec<String>,
    /// Token use of model brains, summed over the run.
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    /// Why a fallback brain took over, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

/// One tool call and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    pub cycle: u32,
    pub call: ToolCall,
    pub outcome: ToolOutcome,
}

/// The whole state document of an execution (JSONPath `$`). Every field but `input` is filled in as steps run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionState {
    /// The execution input, verbatim.
    pub input: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunContext>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notebook: Option<Notebook>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The tool Map's output for the current cycle, until Observe folds it into the notebook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<ToolResult>>,
    /// Set by a Catch when a step failed; Finalize reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<StepFailure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<super::report::Report>,
}
