//! A local Amazon States Language interpreter: runs `fa2.asl.json` (or any JSONPath definition it supports) with
//! Task resources bound to in-process handlers, and records an execution history.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The production definition, embedded so the CLI runs exactly the file that is deployed.
pub const FA2_DEFINITION: &str = include_str!("../fa2.asl.json");

/// What a Task handler returns when it fails: Step Functions' `Error` and `Cause`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct TaskFailure {
    pub error: String,
    pub cause: String,
}

/// An in-process stand-in for a Lambda function: JSON in, JSON out, or a named failure.
#[async_trait::async_trait]
pub trait TaskHandler: Send + Sync {
    async fn invoke(&self, input: Value) -> Result<Value, TaskFailure>;
}

/// Task handlers by the name inside a `${NameFunctionArn}` resource placeholder (e.g. `ToolLogs`).
pub type Handlers = HashMap<String, Arc<dyn TaskHandler>>;
