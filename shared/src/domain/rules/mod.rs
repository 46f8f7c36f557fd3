//! The rules brain: a deterministic analyzer that plans tool calls from the trigger and ranks root-cause
//! hypotheses from the findings. It needs no model and is the fallback when the model is unavailable.
//!
//! Planning: cycle 1 asks every available tool at once (the alarm's metrics and the resources in play, all log
//! groups, CloudTrail, X-Ray, the knowledge base); cycle 2 follows up on what cycle 1 pointed at (metrics of newly
//! implicated resources, an error-only log query when the first was truncated, a runbook search for the leading
//! suspicion); then it finishes. Concluding: see `hypotheses`.

mod hypotheses;
mod narrative;
mod topology;

use serde_json::json;

use crate::contract::{
    Action, Conclusion, Decision, Finding, FindingKind, Notebook, Observation, RunContext, ToolCall, ToolName,
    ToolOutcome,
};

pub use hypotheses::{Assessment, assess};
pub use topology::Topology;

/// The next step of the loop.
pub fn plan(run: &RunContext, notebook: &Notebook) -> Decision {
    let calls = if notebook.observations.is_empty() && notebook.cycle == 0 { first_calls(run) } else { follow_ups(run, notebook) };
    if calls.is_empty() {
        return Decision { action: Action::Finish, thought: narrative::enough_evidence(run.language), calls };
    }
    let thought = narrative::planning(run.language, &calls);
    Decision { action: Action::CallTools, thought, calls }
}

fn call(tool: ToolName, args: serde_json::Value) -> ToolCall {
    ToolCall { id: String::new(), tool, args }
}

fn first_calls(run: &RunContext) -> Vec<ToolCall> {
    let mut calls = vec![call(ToolName::Metrics, json!({})), call(ToolName::Audit, json!({}))];
    if !run.log_groups.is_empty() {
        calls.push(call(ToolName::Logs, json!({})));
    }
    if run.xray {
        calls.push(call(ToolName::Xray, json!({})));
    }
    if run.knowledge_base {
        calls.push(call(ToolName::Kb, json!({})));
    }
    calls
}

/// Second-cycle questions, asked only once and only when cycle 1 left something to check.
fn follow_ups(run: &RunContext, notebook: &Notebook) -> Vec<ToolCall> {
    if notebook.cycle >= 2 {
        return Vec::new();
    }
    let findings = all_findings(&notebook.observations);
    let assessment = assess(run, &findings);
    let mut calls = Vec::new();
    let examined: Vec<String> = metric_components(&findings);
    let implicated: Vec<String> = assessment
        .candidates
        .iter()
        .take(3)
        .map(|c| c.component.clone())
        .filter(|c| !examined.iter().any(|e| crate::domain::resources::same_resource(e, c)))
        .collect();
    if !implicated.is_empty() {
        calls.push(call(ToolName::Metrics, json!({"resources": implicated})));
    }
    let truncated_logs = notebook.observations.iter().any(|o| {
        o.call.tool == ToolName::Logs && matches!(&o.outcome, ToolOutcome::Ok { digest, .. } if digest.truncated)
    });
    if truncated_logs {
        calls.push(call(
            ToolName::Logs,
            json!({"query": "fields @timestamp, @message, @logStream, @log | filter @message like /(?i)(error|exception|fail|denied|timeout|throttl|refused|fatal|panic)/ | sort @timestamp desc"}),
        ));
    }
    if run.knowledge_base
        && let Some(top) = assessment.candidates.first()
    {
        calls.push(call(ToolName::Kb, json!({"query": narrative::knowledge_query(top)})));
    }
    calls
}

fn metric_components(findings: &[&Finding]) -> Vec<String> {
    findings.iter().filter(|f| f.kind == FindingKind::MetricAnomaly).map(|f| f.component.clone()).collect()
}

/// Every finding in the notebook, newest observation last.
pub fn all_findings(observations: &[Observation]) -> Vec<&Finding> {
    observations
        .iter()
        .filter_map(|o| match &o.outcome {
            ToolOutcome::Ok { digest, .. } => Some(digest.findings.iter()),
            ToolOutcome::Failed { .. } => None,
        })
        .flatten()
        .collect()
}

/// The ranked conclusion over the notebook.
pub fn conclude(run: &RunContext, notebook: &Notebook) -> Conclusion {
    let findings = all_findings(&notebook.observations);
    let assessment = assess(run, &findings);
    narrative::conclusion(run, notebook, &assessment)
}
