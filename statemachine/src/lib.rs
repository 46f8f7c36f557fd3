//! A local Amazon States Language interpreter: runs `fa2.asl.json` (or any JSONPath definition it supports) with
//! Task resources bound to in-process handlers, and records an execution history.
//!
//! ```no_run
//! # async fn run(handlers: statemachine::Handlers) -> Result<(), statemachine::DefinitionError> {
//! use statemachine::{ExecutionOptions, StateMachine, execute};
//!
//! let machine = StateMachine::parse(statemachine::FA2_DEFINITION)?;
//! let options = ExecutionOptions { time_scale: 0.0, ..ExecutionOptions::default() };
//! let execution = execute(&machine, &handlers, serde_json::json!({"alarm": "HighLatency"}), options).await;
//! println!("{:?}: {:?}", execution.status, execution.output);
//! # Ok(())
//! # }
//! ```
//!
//! What is implemented, per the Amazon States Language specification and Step Functions' behaviour:
//! - states: Task, Choice, Map (inline), Parallel, Pass, Wait, Succeed, Fail;
//! - input/output processing: InputPath → Parameters → task → ResultSelector → ResultPath → OutputPath, `.$` fields,
//!   the context object `$$`, intrinsic functions, `null` InputPath/OutputPath/ResultPath;
//! - Retry (backoff, MaxDelaySeconds, FULL jitter) and Catch; `States.ALL` and `States.TaskFailed` wildcards;
//!   `States.Runtime` and `States.DataLimitExceeded` are terminal, as in Step Functions;
//! - Task resources: `${NameFunctionArn}` (handler `Name`) and `arn:aws:states:::lambda:invoke` with
//!   `Parameters.FunctionName` set to such a placeholder (the result is wrapped as `{"Payload": ..., "StatusCode": 200}`).
//!
//! The history uses Step Functions' event names: a `${NameFunctionArn}` Task records `LambdaFunctionScheduled`,
//! `...Started`, `...Succeeded`/`...Failed`/`...TimedOut`; a `lambda:invoke` Task records `TaskScheduled`, `TaskStarted`,
//! `TaskSucceeded`/`TaskFailed`/`TaskTimedOut`; both are framed by `TaskStateEntered`/`TaskStateExited`. Handler
//! failures reach Retry/Catch as Lambda errors do: `Error` is the handler's `error`, `Cause` is the JSON text
//! `{"errorMessage": cause, "errorType": error}`.
//!
//! Two deliberate choices follow Step Functions rather than the specification's wording: a `.$` path that selects
//! nothing raises `States.Runtime` (not `States.ParameterPathFailure`), and a failed Parallel branch or Map iteration
//! fails the state with the branch's own error (not `States.BranchFailed`).
//!
//! [`StateMachine::parse`] rejects what is not implemented (JSONata, Distributed Map, `.sync`/`.waitForTaskToken`,
//! other service integrations, workflow variables) with an error naming the state and the field.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod choice;
mod context;
mod definition;
mod error_handling;
mod execution;
mod history;
mod intrinsics;
mod paths;
mod template;

pub use definition::{DefinitionError, LAMBDA_INVOKE_RESOURCE, StateInfo, StateMachine};
pub use error_handling::error_names;
pub use execution::{Execution, ExecutionOptions, ExecutionStatus, PAYLOAD_LIMIT_BYTES, execute};
pub use history::{EventCallback, HistoryEvent, HistoryEventType};

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
