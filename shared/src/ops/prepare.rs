//! `Prepare`: validates and normalises the execution input into the run context and an empty notebook.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Config;
use crate::contract::{ExecutionState, Notebook, RunContext};
use crate::domain::input::parse_input;
use crate::error::Result;

/// What the state machine passes to `Prepare`: the raw input and the execution's identity (`$$.Execution`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrepareRequest {
    pub input: Value,
    pub execution: ExecutionRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionRef {
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub start_time: Option<String>,
}

/// Builds the run: window, trigger, settings (deployment config with per-run overrides), blob prefix.
pub fn prepare(request: PrepareRequest, config: &Config, now: DateTime<Utc>) -> Result<ExecutionState> {
    let parsed = parse_input(&request.input, config, now)?;
    let run_id = request.execution.name.clone();
    let model_id = parsed.overrides.model_id.clone().or_else(|| config.model_id.clone());
    let run = RunContext {
        blob_prefix: format!("runs/{run_id}/"),
        run_id,
        trigger: parsed.trigger,
        window: parsed.window,
        noticed_at: parsed.noticed_at,
        alarm: parsed.alarm,
        language: parsed.overrides.language.unwrap_or(config.language),
        brain: model_id.map_or_else(|| "rules".to_string(), |m| format!("bedrock:{m}")),
        max_agent_cycles: parsed.overrides.max_agent_cycles.unwrap_or(config.max_agent_cycles),
        architecture: config.architecture.clone(),
        log_groups: config.log_groups.clone(),
        insights_query: config.insights_query.clone(),
        xray: config.xray,
        knowledge_base: config.knowledge_base.is_some(),
        slack: parsed.slack,
        started_at: now,
    };
    Ok(ExecutionState {
        input: request.input,
        run: Some(run),
        notebook: Some(Notebook::default()),
        decision: None,
        results: None,
        failure: None,
        report: None,
    })
}
