//! Running a parsed state machine: input/output processing in the specification's order (InputPath → Parameters →
//! task → ResultSelector → ResultPath → OutputPath), every state type, Retry/Catch, Map concurrency, Parallel
//! branches, timeouts and the 256 KiB payload limit, with a history event recorded at each step.

use std::collections::BTreeSet;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::context::{ContextObject, Env, ExecutionInfo, MapItem};
use crate::definition::{
    DataFilter, FailField, Graph, Integration, Processing, Seconds, State, StateKind, StateMachine, TaskTarget,
    Transition, WaitDuration,
};
use crate::error_handling::{RetryDecision, RetryTracker, StateError, error_names, find_catcher};
use crate::history::{EventCallback, HistoryEvent, HistoryEventType, Recorder};
use crate::paths::{Path, json_type_name};
use crate::template::Template;
use crate::{Handlers, TaskFailure};

/// Step Functions' limit on the size of an execution input and of any state's input, result or output.
pub const PAYLOAD_LIMIT_BYTES: usize = 256 * 1024;

/// The account and region used in the ARNs of the context object.
const LOCAL_ARN_PREFIX: &str = "arn:aws:states:us-east-1:123456789012";

/// How to run an execution.
#[derive(Clone)]
pub struct ExecutionOptions {
    /// The execution name (`$$.Execution.Name`, and the end of `$$.Execution.Id`).
    pub name: String,
    /// The state machine name (`$$.StateMachine.Name`).
    pub state_machine_name: String,
    /// Multiplies Wait and Retry delays: 1.0 sleeps for real, 0.0 records the delays without sleeping.
    /// Task and execution `TimeoutSeconds` are not scaled: handlers run in real time.
    pub time_scale: f64,
    /// Called with each history event as it is recorded (progress reporting).
    pub on_event: Option<EventCallback>,
    /// A safety limit on the number of states entered (across all branches and iterations); beyond it the execution
    /// fails with `States.Runtime`. Step Functions itself stops at 25,000 history events.
    pub max_state_transitions: usize,
}

impl Default for ExecutionOptions {
    fn default() -> ExecutionOptions {
        ExecutionOptions {
            name: "local-execution".to_owned(),
            state_machine_name: "LocalStateMachine".to_owned(),
            time_scale: 1.0,
            on_event: None,
            max_state_transitions: 25_000,
        }
    }
}

impl std::fmt::Debug for ExecutionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionOptions")
            .field("name", &self.name)
            .field("state_machine_name", &self.state_machine_name)
            .field("time_scale", &self.time_scale)
            .field("on_event", &self.on_event.as_ref().map(|_| "callback"))
            .field("max_state_transitions", &self.max_state_transitions)
            .finish()
    }
}

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExecutionStatus {
    /// A Succeed state or an `End` was reached; `output` holds the final output.
    Succeeded,
    /// An error was not caught (or a handler was missing); `failure` holds it.
    Failed,
    /// The state machine's top-level `TimeoutSeconds` elapsed.
    TimedOut,
}

/// The result of [`execute`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Execution {
    /// How the execution ended.
    pub status: ExecutionStatus,
    /// The final output, when the execution succeeded.
    pub output: Option<Value>,
    /// The error and cause, when it failed or timed out.
    pub failure: Option<TaskFailure>,
    /// Every event, in recording order.
    pub history: Vec<HistoryEvent>,
}

/// Runs `machine` on `input`, calling Task handlers from `handlers`.
///
/// Every handler the definition needs must be present: a missing one fails the execution before any state runs
/// (`States.TaskFailed`, naming the missing handlers). Handler failures reach Retry/Catch as Step Functions reports
/// Lambda errors: `Error` is the handler's `error`, `Cause` is the JSON `{"errorMessage": cause, "errorType": error}`.
pub async fn execute(
    machine: &StateMachine,
    handlers: &Handlers,
    input: Value,
    options: ExecutionOptions,
) -> Execution {
    let execution = ExecutionInfo {
        id: format!("{LOCAL_ARN_PREFIX}:execution:{}:{}", options.state_machine_name, options.name),
        name: options.name.clone(),
        start_time: now(),
        input: input.clone(),
        role_arn: format!("arn:aws:iam::123456789012:role/{}Role", options.state_machine_name),
        state_machine_id: format!("{LOCAL_ARN_PREFIX}:stateMachine:{}", options.state_machine_name),
        state_machine_name: options.state_machine_name.clone(),
    };
    let runner = Runner {
        handlers,
        recorder: Recorder::new(options.on_event.clone()),
        execution,
        time_scale: if options.time_scale.is_finite() { options.time_scale.max(0.0) } else { 1.0 },
        max_state_transitions: options.max_state_transitions,
        transitions: AtomicUsize::new(0),
    };
    runner.recorder.record(HistoryEvent::new(HistoryEventType::ExecutionStarted).input(&input));
    let outcome =
        match missing_handlers(machine, handlers).or_else(|| check_payload_size(&input, "the execution input").err()) {
            Some(error) => Err(Ending::Failed(error)),
            None => runner.run_to_end(machine, input).await,
        };
    let (status, output, failure, event) = match outcome {
        Ok(output) => {
            let event = HistoryEvent::new(HistoryEventType::ExecutionSucceeded).output(&output);
            (ExecutionStatus::Succeeded, Some(output), None, event)
        }
        Err(Ending::Failed(error)) => {
            let event = HistoryEvent::new(HistoryEventType::ExecutionFailed).failure(&error);
            (ExecutionStatus::Failed, None, Some(error), event)
        }
        Err(Ending::TimedOut(error)) => {
            let event = HistoryEvent::new(HistoryEventType::ExecutionTimedOut).failure(&error);
            (ExecutionStatus::TimedOut, None, Some(error), event)
        }
    };
    runner.recorder.record(event);
    Execution {
        status,
        output,
        failure: failure.map(|error| TaskFailure { error: error.error, cause: error.cause }),
        history: runner.recorder.into_events(),
    }
}

enum Ending {
    Failed(StateError),
    TimedOut(StateError),
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn missing_handlers(machine: &StateMachine, handlers: &Handlers) -> Option<StateError> {
    let missing: Vec<String> = machine
        .task_states()
        .filter(|(_, target)| !handlers.contains_key(&target.handler))
        .map(|(state, target)| {
            format!("'{}' (Resource '{}' in state '{}')", target.handler, target.resource, state.location)
        })
        .collect();
    if missing.is_empty() {
        return None;
    }
    let registered: BTreeSet<&String> = handlers.keys().collect();
    Some(StateError::new(
        error_names::TASK_FAILED,
        format!("no handler registered for {}; registered handlers: {registered:?}", missing.join(", ")),
    ))
}

/// Counts serialized bytes without building the text.
struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn check_payload_size(value: &Value, what: &str) -> Result<(), StateError> {
    let mut counter = ByteCounter(0);
    // Writing to a counter cannot fail for a `Value`; an error would only undercount.
    let _ = serde_json::to_writer(&mut counter, value);
    if counter.0 > PAYLOAD_LIMIT_BYTES {
        Err(StateError::new(
            error_names::DATA_LIMIT_EXCEEDED,
            format!("{what} is {} bytes, over the {PAYLOAD_LIMIT_BYTES}-byte payload limit", counter.0),
        ))
    } else {
        Ok(())
    }
}

/// What a state hands on.
enum Step<'s> {
    Next(&'s str, Value),
    End(Value),
}

/// The history event types of one Task integration.
struct TaskEventTypes {
    scheduled: HistoryEventType,
    started: HistoryEventType,
    succeeded: HistoryEventType,
    failed: HistoryEventType,
    timed_out: HistoryEventType,
}

fn task_event_types(integration: Integration) -> TaskEventTypes {
    match integration {
        Integration::LambdaFunction => TaskEventTypes {
            scheduled: HistoryEventType::LambdaFunctionScheduled,
            started: HistoryEventType::LambdaFunctionStarted,
            succeeded: HistoryEventType::LambdaFunctionSucceeded,
            failed: HistoryEventType::LambdaFunctionFailed,
            timed_out: HistoryEventType::LambdaFunctionTimedOut,
        },
        Integration::LambdaInvoke => TaskEventTypes {
            scheduled: HistoryEventType::TaskScheduled,
            started: HistoryEventType::TaskStarted,
            succeeded: HistoryEventType::TaskSucceeded,
            failed: HistoryEventType::TaskFailed,
            timed_out: HistoryEventType::TaskTimedOut,
        },
    }
}

/// The entered and (when there is one) exited event types of a state.
fn state_event_types(kind: &StateKind) -> (HistoryEventType, Option<HistoryEventType>) {
    use HistoryEventType as E;
    match kind {
        StateKind::Pass { .. } => (E::PassStateEntered, Some(E::PassStateExited)),
        StateKind::Task { .. } => (E::TaskStateEntered, Some(E::TaskStateExited)),
        StateKind::Choice { .. } => (E::ChoiceStateEntered, Some(E::ChoiceStateExited)),
        StateKind::Wait { .. } => (E::WaitStateEntered, Some(E::WaitStateExited)),
        StateKind::Succeed => (E::SucceedStateEntered, Some(E::SucceedStateExited)),
        StateKind::Fail { .. } => (E::FailStateEntered, None),
        StateKind::Parallel { .. } => (E::ParallelStateEntered, Some(E::ParallelStateExited)),
        StateKind::Map { .. } => (E::MapStateEntered, Some(E::MapStateExited)),
    }
}

fn step<'s>(transition: &'s Transition, output: Value) -> Step<'s> {
    match transition {
        Transition::Next(next) => Step::Next(next, output),
        Transition::End => Step::End(output),
    }
}

fn filter(filter: &DataFilter, env: &Env<'_>, field: &str) -> Result<Value, StateError> {
    match filter {
        DataFilter::Everything => Ok(env.input.clone()),
        DataFilter::Nothing => Ok(Value::Object(Map::new())),
        DataFilter::Path(path) => env.select(path).ok_or_else(|| {
            StateError::runtime(format!("Invalid path '{path}' in {field}: it selects nothing from the state's data"))
        }),
    }
}

fn apply_template(template: Option<&Template>, env: &Env<'_>) -> Result<Value, StateError> {
    match template {
        Some(template) => template.evaluate(env),
        None => Ok(env.input.clone()),
    }
}

fn apply_result_path(result_path: Option<&Path>, raw_input: Value, result: Value) -> Result<Value, StateError> {
    match result_path {
        None => Ok(raw_input),
        Some(path) => path.write(raw_input, result).map_err(|message| {
            StateError::new(
                error_names::RESULT_PATH_MATCH_FAILURE,
                format!("Unable to apply ResultPath '{path}': {message}"),
            )
        }),
    }
}

/// A path's value as a whole number of seconds.
fn seconds_at(path: &Path, env: &Env<'_>, field: &str, allow_zero: bool) -> Result<u64, StateError> {
    let value = env.select(path).ok_or_else(|| StateError::runtime(format!("{field} '{path}' selects nothing")))?;
    value
        .as_u64()
        .filter(|seconds| allow_zero || *seconds > 0)
        .ok_or_else(|| StateError::runtime(format!("{field} '{path}' must select a non-negative integer, got {value}")))
}

fn lambda_invoke_result(payload: Value) -> Value {
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {"HttpHeaders": {"Content-Type": "application/json"}, "HttpStatusCode": 200},
        "SdkResponseMetadata": {"RequestId": uuid::Uuid::new_v4().to_string()},
        "StatusCode": 200,
    })
}

/// The Cause Step Functions reports for a failed Lambda function.
fn lambda_error_cause(failure: &TaskFailure) -> String {
    json!({"errorMessage": failure.cause, "errorType": failure.error}).to_string()
}

fn scoped(scope: Option<&str>, step: String) -> String {
    match scope {
        Some(outer) => format!("{outer}/{step}"),
        None => step,
    }
}

struct Runner<'a> {
    handlers: &'a Handlers,
    recorder: Recorder,
    execution: ExecutionInfo,
    time_scale: f64,
    max_state_transitions: usize,
    transitions: AtomicUsize,
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What every attempt of a state needs to know.
struct Attempt<'s, 'v> {
    state: &'s State,
    input: &'v Value,
    scope: Option<&'v str>,
    entered_time: &'v str,
    retry_count: u32,
    retry: Option<RetryDecision>,
}

impl Attempt<'_, '_> {
    /// An event about this attempt's state.
    fn event(&self, kind: HistoryEventType) -> HistoryEvent {
        HistoryEvent::new(kind).state(&self.state.name).scope(self.scope)
    }

    /// The event that starts the attempt's work, marked with the retry (and its delay) that led to it.
    fn start_event(&self, kind: HistoryEventType) -> HistoryEvent {
        HistoryEvent {
            retry: self.retry.map(|decision| decision.retry_number),
            delay_ms: self.retry.map(|decision| millis(decision.delay)),
            ..self.event(kind)
        }
    }
}

impl<'s> Runner<'_> {
    async fn run_to_end(&self, machine: &StateMachine, input: Value) -> Result<Value, Ending> {
        let run = self.run_graph(&machine.root, input, None);
        match machine.timeout_seconds {
            Some(seconds) => match tokio::time::timeout(Duration::from_secs(seconds), run).await {
                Ok(result) => result.map_err(Ending::Failed),
                Err(_) => Err(Ending::TimedOut(StateError::new(
                    error_names::TIMEOUT,
                    format!("the execution ran longer than its TimeoutSeconds ({seconds} s)"),
                ))),
            },
            None => run.await.map_err(Ending::Failed),
        }
    }

    fn record(&self, event: HistoryEvent) {
        self.recorder.record(event);
    }

    async fn pause(&self, delay: Duration) {
        let seconds = delay.as_secs_f64() * self.time_scale;
        if seconds > 0.0 {
            // Too long to represent means "practically forever"; tokio caps far-future deadlines itself.
            tokio::time::sleep(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX)).await;
        }
    }

    fn count_transition(&self) -> Result<(), StateError> {
        let count = self.transitions.fetch_add(1, Ordering::Relaxed) + 1;
        if count > self.max_state_transitions {
            return Err(StateError::runtime(format!(
                "the execution entered more than {} states (ExecutionOptions::max_state_transitions); is it looping?",
                self.max_state_transitions
            )));
        }
        Ok(())
    }

    fn run_graph(
        &'s self,
        graph: &'s Graph,
        input: Value,
        scope: Option<String>,
    ) -> BoxFuture<'s, Result<Value, StateError>> {
        Box::pin(async move {
            let mut name = graph.start_at.as_str();
            let mut input = input;
            loop {
                let state = graph
                    .states
                    .get(name)
                    .ok_or_else(|| StateError::runtime(format!("no state named '{name}' at this level")))?;
                self.count_transition()?;
                match self.run_state(state, input, scope.as_deref()).await? {
                    Step::Next(next, output) => {
                        name = next;
                        input = output;
                    }
                    Step::End(output) => return Ok(output),
                }
            }
        })
    }

    async fn run_state(&'s self, state: &'s State, input: Value, scope: Option<&str>) -> Result<Step<'s>, StateError> {
        let entered_time = now();
        let (entered, exited) = state_event_types(&state.kind);
        self.record(HistoryEvent::new(entered).state(&state.name).scope(scope).input(&input));
        let context = ContextObject::new(&self.execution, &state.name, &entered_time);
        let env = Env { input: &input, context: &context };
        let (step, output) = match &state.kind {
            StateKind::Pass { parameters, result, result_path, transition } => {
                let effective = filter(&state.input_path, &env, "InputPath")?;
                let effective = apply_template(parameters.as_ref(), &Env { input: &effective, context: &context })?;
                let result = result.clone().unwrap_or(effective);
                let output =
                    self.finish(state, &context, apply_result_path(result_path.as_ref(), input.clone(), result)?)?;
                (step(transition, output.clone()), output)
            }
            StateKind::Choice { choices, default } => {
                let effective = filter(&state.input_path, &env, "InputPath")?;
                let effective_env = Env { input: &effective, context: &context };
                let mut next = None;
                for choice in choices {
                    if choice.rule.evaluate(&effective_env)? {
                        next = Some(choice.next.as_str());
                        break;
                    }
                }
                let next = next.or(default.as_deref()).ok_or_else(|| {
                    StateError::new(
                        error_names::NO_CHOICE_MATCHED,
                        format!("no Choice rule of '{}' matched the input and it has no Default", state.name),
                    )
                })?;
                let output = self.finish(state, &context, effective)?;
                (Step::Next(next, output.clone()), output)
            }
            StateKind::Wait { duration, transition } => {
                let effective = filter(&state.input_path, &env, "InputPath")?;
                let delay = wait_delay(duration, &Env { input: &effective, context: &context })?;
                self.pause(delay).await;
                let output = self.finish(state, &context, effective)?;
                let event = HistoryEvent::new(HistoryEventType::WaitStateExited)
                    .state(&state.name)
                    .scope(scope)
                    .output(&output);
                self.record(HistoryEvent { delay_ms: Some(millis(delay)), ..event });
                return Ok(step(transition, output));
            }
            StateKind::Succeed => {
                let effective = filter(&state.input_path, &env, "InputPath")?;
                let output = self.finish(state, &context, effective)?;
                (Step::End(output.clone()), output)
            }
            StateKind::Fail { error, cause } => {
                return Err(StateError {
                    error: fail_field(error.as_ref(), &env, "ErrorPath")?,
                    cause: fail_field(cause.as_ref(), &env, "CausePath")?,
                });
            }
            StateKind::Task { processing, transition, .. }
            | StateKind::Parallel { processing, transition, .. }
            | StateKind::Map { processing, transition, .. } => {
                let attempt =
                    Attempt { state, input: &input, scope, entered_time: &entered_time, retry_count: 0, retry: None };
                match self.run_with_retry_and_catch(attempt, processing).await? {
                    (Some(next), output) => (Step::Next(next, output.clone()), output),
                    (None, output) => (step(transition, output.clone()), output),
                }
            }
        };
        if let Some(exited) = exited {
            self.record(HistoryEvent::new(exited).state(&state.name).scope(scope).output(&output));
        }
        Ok(step)
    }

    /// Applies OutputPath and the payload limit to a state's output.
    fn finish(&self, state: &State, context: &ContextObject<'_>, data: Value) -> Result<Value, StateError> {
        let output = filter(&state.output_path, &Env { input: &data, context }, "OutputPath")?;
        check_payload_size(&output, &format!("the output of state '{}'", state.name))?;
        Ok(output)
    }

    /// Runs attempts of a Task, Parallel or Map state until one succeeds, a catcher takes the error (its `Next` is
    /// returned), or the error propagates.
    async fn run_with_retry_and_catch(
        &'s self,
        mut attempt: Attempt<'s, '_>,
        processing: &'s Processing,
    ) -> Result<(Option<&'s str>, Value), StateError> {
        let mut tracker = RetryTracker::new(&processing.retriers);
        loop {
            let error = match self.run_attempt(&attempt, processing).await {
                Ok(output) => return Ok((None, output)),
                Err(error) => error,
            };
            if let Some(decision) = tracker.next_retry(&error) {
                self.pause(decision.delay).await;
                attempt.retry_count = tracker.total_retries();
                attempt.retry = Some(decision);
                continue;
            }
            let Some(catcher) = find_catcher(&processing.catchers, &error) else {
                return Err(error);
            };
            let output =
                apply_result_path(catcher.result_path.as_ref(), attempt.input.clone(), error.to_error_output())?;
            check_payload_size(&output, &format!("the output of state '{}'", attempt.state.name))?;
            return Ok((Some(catcher.next.as_str()), output));
        }
    }

    async fn run_attempt(&'s self, attempt: &Attempt<'s, '_>, processing: &'s Processing) -> Result<Value, StateError> {
        let state = attempt.state;
        let context = ContextObject::new(&self.execution, &state.name, attempt.entered_time)
            .with_retry_count(attempt.retry_count);
        let effective = filter(&state.input_path, &Env { input: attempt.input, context: &context }, "InputPath")?;
        let result = match &state.kind {
            StateKind::Task { target, timeout, .. } => {
                let parameters =
                    apply_template(processing.parameters.as_ref(), &Env { input: &effective, context: &context })?;
                check_payload_size(&parameters, &format!("the input of task '{}'", state.name))?;
                let timeout = match timeout {
                    Some(Seconds::Fixed(seconds)) => Some(*seconds),
                    Some(Seconds::Path(path)) => Some(seconds_at(
                        path,
                        &Env { input: &effective, context: &context },
                        "TimeoutSecondsPath",
                        false,
                    )?),
                    None => None,
                };
                self.invoke(attempt, target, parameters, timeout).await?
            }
            StateKind::Parallel { branches, .. } => {
                let parameters =
                    apply_template(processing.parameters.as_ref(), &Env { input: &effective, context: &context })?;
                check_payload_size(&parameters, &format!("the input of the branches of '{}'", state.name))?;
                self.run_parallel(attempt, branches, parameters).await?
            }
            StateKind::Map { items_path, item_selector, processor, max_concurrency, .. } => {
                let env = Env { input: &effective, context: &context };
                let items = match env.select(items_path) {
                    Some(Value::Array(items)) => items,
                    Some(other) => {
                        return Err(StateError::runtime(format!(
                            "ItemsPath '{items_path}' must select an array, got {}",
                            json_type_name(&other)
                        )));
                    }
                    None => return Err(StateError::runtime(format!("ItemsPath '{items_path}' selects nothing"))),
                };
                let limit = match max_concurrency {
                    Seconds::Fixed(limit) => *limit,
                    Seconds::Path(path) => seconds_at(path, &env, "MaxConcurrencyPath", true)?,
                };
                let iteration_inputs = items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| match item_selector {
                        Some(selector) => {
                            let item_context = context.with_map_item(MapItem { index, value: item });
                            selector.evaluate(&Env { input: &effective, context: &item_context })
                        }
                        None => Ok(item.clone()),
                    })
                    .collect::<Result<Vec<Value>, StateError>>()?;
                self.run_map(attempt, processor, iteration_inputs, usize::try_from(limit).unwrap_or(usize::MAX)).await?
            }
            _ => return Err(StateError::runtime(format!("state '{}' has no retryable work", state.name))),
        };
        let selected = apply_template(processing.result_selector.as_ref(), &Env { input: &result, context: &context })?;
        let combined = apply_result_path(processing.result_path.as_ref(), attempt.input.clone(), selected)?;
        self.finish(state, &context, combined)
    }

    async fn invoke(
        &self,
        attempt: &Attempt<'_, '_>,
        target: &TaskTarget,
        parameters: Value,
        timeout_seconds: Option<u64>,
    ) -> Result<Value, StateError> {
        let events = task_event_types(target.integration);
        let state_name = &attempt.state.name;
        self.record(HistoryEvent {
            resource: Some(target.resource.clone()),
            handler: Some(target.handler.clone()),
            ..attempt.start_event(events.scheduled).input(&parameters)
        });
        self.record(attempt.event(events.started));
        let payload = match target.integration {
            Integration::LambdaFunction => parameters,
            Integration::LambdaInvoke => {
                parameters.get("Payload").cloned().unwrap_or_else(|| Value::Object(Map::new()))
            }
        };
        let outcome = match self.handlers.get(&target.handler) {
            None => Some(Err(TaskFailure {
                error: error_names::TASK_FAILED.to_owned(),
                cause: format!("no handler registered for '{}'", target.handler),
            })),
            Some(handler) => match timeout_seconds {
                Some(seconds) => tokio::time::timeout(Duration::from_secs(seconds), handler.invoke(payload)).await.ok(),
                None => Some(handler.invoke(payload).await),
            },
        };
        let (kind, error) = match outcome {
            Some(Ok(output)) => {
                let result = match target.integration {
                    Integration::LambdaFunction => output,
                    Integration::LambdaInvoke => lambda_invoke_result(output),
                };
                self.record(attempt.event(events.succeeded).output(&result));
                check_payload_size(&result, &format!("the result of task '{state_name}'"))?;
                return Ok(result);
            }
            Some(Err(failure)) => {
                (events.failed, StateError { cause: lambda_error_cause(&failure), error: failure.error })
            }
            None => {
                let seconds = timeout_seconds.unwrap_or_default();
                let cause = format!("task '{state_name}' did not finish within {seconds} seconds");
                (events.timed_out, StateError::new(error_names::TIMEOUT, cause))
            }
        };
        self.record(attempt.event(kind).failure(&error));
        Err(error)
    }

    async fn run_parallel(
        &'s self,
        attempt: &Attempt<'s, '_>,
        branches: &'s [Graph],
        input: Value,
    ) -> Result<Value, StateError> {
        self.record(attempt.start_event(HistoryEventType::ParallelStateStarted));
        let runs = branches.iter().enumerate().map(|(index, branch)| {
            let scope = scoped(attempt.scope, format!("{}#{index}", attempt.state.name));
            self.run_graph(branch, input.clone(), Some(scope))
        });
        match futures::future::try_join_all(runs).await {
            Ok(outputs) => {
                self.record(attempt.event(HistoryEventType::ParallelStateSucceeded));
                Ok(Value::Array(outputs))
            }
            Err(error) => {
                self.record(attempt.event(HistoryEventType::ParallelStateFailed).failure(&error));
                Err(error)
            }
        }
    }

    async fn run_map(
        &'s self,
        attempt: &Attempt<'s, '_>,
        processor: &'s Graph,
        inputs: Vec<Value>,
        max_concurrency: usize,
    ) -> Result<Value, StateError> {
        self.record(attempt.start_event(HistoryEventType::MapStateStarted));
        let limit = if max_concurrency == 0 { inputs.len().max(1) } else { max_concurrency };
        // The iterations under way, so that those cut short by a failure can be reported as aborted.
        let running: Mutex<BTreeSet<usize>> = Mutex::new(BTreeSet::new());
        let iteration_event =
            |kind: HistoryEventType, index: usize| HistoryEvent { index: Some(index), ..attempt.event(kind) };
        let iterations = inputs.into_iter().enumerate().map(|(index, input)| {
            let running = &running;
            async move {
                running.lock().unwrap_or_else(PoisonError::into_inner).insert(index);
                self.record(iteration_event(HistoryEventType::MapIterationStarted, index).input(&input));
                let scope = scoped(attempt.scope, format!("{}[{index}]", attempt.state.name));
                let outcome = self.run_graph(processor, input, Some(scope)).await;
                running.lock().unwrap_or_else(PoisonError::into_inner).remove(&index);
                match outcome {
                    Ok(output) => {
                        self.record(iteration_event(HistoryEventType::MapIterationSucceeded, index).output(&output));
                        Ok((index, output))
                    }
                    Err(error) => {
                        self.record(iteration_event(HistoryEventType::MapIterationFailed, index).failure(&error));
                        Err(error)
                    }
                }
            }
        });
        let outcome: Result<Vec<(usize, Value)>, StateError> =
            stream::iter(iterations).buffer_unordered(limit).try_collect().await;
        match outcome {
            Ok(mut outputs) => {
                outputs.sort_by_key(|(index, _)| *index);
                self.record(attempt.event(HistoryEventType::MapStateSucceeded));
                Ok(Value::Array(outputs.into_iter().map(|(_, output)| output).collect()))
            }
            Err(error) => {
                let aborted = std::mem::take(&mut *running.lock().unwrap_or_else(PoisonError::into_inner));
                for index in aborted {
                    self.record(iteration_event(HistoryEventType::MapIterationAborted, index));
                }
                self.record(attempt.event(HistoryEventType::MapStateFailed).failure(&error));
                Err(error)
            }
        }
    }
}

fn wait_delay(duration: &WaitDuration, env: &Env<'_>) -> Result<Duration, StateError> {
    let until = |timestamp: chrono::DateTime<chrono::FixedOffset>| {
        (timestamp.with_timezone(&Utc) - Utc::now()).to_std().unwrap_or(Duration::ZERO)
    };
    Ok(match duration {
        WaitDuration::Seconds(Seconds::Fixed(seconds)) => Duration::from_secs(*seconds),
        WaitDuration::Seconds(Seconds::Path(path)) => Duration::from_secs(seconds_at(path, env, "SecondsPath", true)?),
        WaitDuration::Timestamp(timestamp) => until(*timestamp),
        WaitDuration::TimestampPath(path) => {
            let value = env
                .select(path)
                .ok_or_else(|| StateError::runtime(format!("TimestampPath '{path}' selects nothing")))?;
            let timestamp = value.as_str().and_then(crate::choice::parse_timestamp).ok_or_else(|| {
                StateError::runtime(format!("TimestampPath '{path}' must select an RFC 3339 timestamp, got {value}"))
            })?;
            until(timestamp)
        }
    })
}

fn fail_field(field: Option<&FailField>, env: &Env<'_>, path_field: &str) -> Result<String, StateError> {
    match field {
        None => Ok(String::new()),
        Some(FailField::Fixed(text)) => Ok(text.clone()),
        Some(FailField::Dynamic(expression)) => {
            match expression.evaluate(env, |path| format!("{path_field} '{path}' selects nothing from the input"))? {
                Value::String(text) => Ok(text),
                other => Err(StateError::runtime(format!("{path_field} must produce a string, got {other}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests;
