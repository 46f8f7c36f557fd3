//! The execution history: events named as in Step Functions' `GetExecutionHistory`, with the time since the
//! execution started, recorded as the interpreter runs and passed to an optional progress callback.

use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use crate::error_handling::StateError;

/// Step Functions' history event types, for the states and integrations this interpreter runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HistoryEventType {
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionTimedOut,
    TaskStateEntered,
    TaskStateExited,
    /// An `arn:aws:states:::lambda:invoke` integration was scheduled (`input` holds the Parameters).
    TaskScheduled,
    TaskStarted,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    /// A Lambda function named directly by the Resource (`${NameFunctionArn}`) was scheduled.
    LambdaFunctionScheduled,
    LambdaFunctionStarted,
    LambdaFunctionSucceeded,
    LambdaFunctionFailed,
    LambdaFunctionTimedOut,
    ChoiceStateEntered,
    ChoiceStateExited,
    PassStateEntered,
    PassStateExited,
    WaitStateEntered,
    WaitStateExited,
    SucceedStateEntered,
    SucceedStateExited,
    FailStateEntered,
    MapStateEntered,
    MapStateStarted,
    MapStateSucceeded,
    MapStateFailed,
    MapStateExited,
    MapIterationStarted,
    MapIterationSucceeded,
    MapIterationFailed,
    MapIterationAborted,
    ParallelStateEntered,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateExited,
}

/// One history event. Fields that do not apply to an event's type are `None` (and omitted from JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    /// 1-based, in recording order.
    pub id: u64,
    /// Milliseconds since the execution started (real time: skipped waits are not counted).
    pub elapsed_ms: u64,
    /// The event type.
    #[serde(rename = "type")]
    pub kind: HistoryEventType,
    /// The state the event belongs to (the Map or Parallel state for iteration/branch events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Where a nested event happened: `Map[2]` for iteration 2 of Map state `Map`, `Par#1` for branch 1 of Parallel
    /// state `Par`, joined by `/` when nested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The Task resource (for scheduled events) as written in the definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The handler name a Task resource resolved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// State input (entered events), the task's parameters (scheduled events) or the execution input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    /// State output (exited events), the task's result (succeeded events) or the execution output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The item index of a Map iteration event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// For a retried attempt: which retry this is (1 for the first), on the event that starts the attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<u32>,
    /// The delay the definition asked for before this event: the retry interval (after backoff, cap and jitter) on
    /// a retried attempt, the wait on `WaitStateExited`. Independent of `time_scale`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

impl HistoryEvent {
    /// An event of `kind` with every optional field empty; the recorder fills in `id` and `elapsed_ms`.
    pub(crate) fn new(kind: HistoryEventType) -> HistoryEvent {
        HistoryEvent {
            id: 0,
            elapsed_ms: 0,
            kind,
            state: None,
            scope: None,
            resource: None,
            handler: None,
            input: None,
            output: None,
            error: None,
            cause: None,
            index: None,
            retry: None,
            delay_ms: None,
        }
    }

    pub(crate) fn state(mut self, state: &str) -> HistoryEvent {
        self.state = Some(state.to_owned());
        self
    }

    pub(crate) fn scope(mut self, scope: Option<&str>) -> HistoryEvent {
        self.scope = scope.map(str::to_owned);
        self
    }

    pub(crate) fn input(mut self, input: &serde_json::Value) -> HistoryEvent {
        self.input = Some(input.clone());
        self
    }

    pub(crate) fn output(mut self, output: &serde_json::Value) -> HistoryEvent {
        self.output = Some(output.clone());
        self
    }

    pub(crate) fn failure(mut self, error: &StateError) -> HistoryEvent {
        self.error = Some(error.error.clone());
        self.cause = Some(error.cause.clone());
        self
    }
}

/// The progress callback type of [`crate::ExecutionOptions::on_event`].
pub type EventCallback = Arc<dyn Fn(&HistoryEvent) + Send + Sync>;

/// Collects events from every branch of one execution.
pub(crate) struct Recorder {
    started: Instant,
    events: Mutex<Vec<HistoryEvent>>,
    on_event: Option<EventCallback>,
}

impl Recorder {
    pub(crate) fn new(on_event: Option<EventCallback>) -> Recorder {
        Recorder { started: Instant::now(), events: Mutex::new(Vec::new()), on_event }
    }

    /// Stamps and stores `event`, then reports it to the callback (outside the lock, so the callback may be slow).
    pub(crate) fn record(&self, mut event: HistoryEvent) {
        event.elapsed_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        {
            let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
            event.id = events.len() as u64 + 1;
            events.push(event.clone());
        }
        if let Some(on_event) = &self.on_event {
            on_event(&event);
        }
    }

    pub(crate) fn into_events(self) -> Vec<HistoryEvent> {
        self.events.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}
