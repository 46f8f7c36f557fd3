//! Behaviour of whole executions, written from the Amazon States Language specification and Step Functions'
//! documented behaviour: processing order, every state type, Retry/Catch, Map concurrency, limits and history.

use std::collections::VecDeque;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::*;
use crate::{HistoryEventType as E, StateMachine, TaskHandler};

/// A handler built from a closure.
struct FnHandler<F>(F);

#[async_trait::async_trait]
impl<F> TaskHandler for FnHandler<F>
where
    F: Fn(Value) -> Result<Value, TaskFailure> + Send + Sync,
{
    async fn invoke(&self, input: Value) -> Result<Value, TaskFailure> {
        (self.0)(input)
    }
}

/// Replies with queued results in order, then echoes; remembers every input.
#[derive(Default)]
struct Scripted {
    replies: Mutex<VecDeque<Result<Value, TaskFailure>>>,
    inputs: Mutex<Vec<Value>>,
}

impl Scripted {
    fn new(replies: Vec<Result<Value, TaskFailure>>) -> Arc<Scripted> {
        Arc::new(Scripted { replies: Mutex::new(replies.into()), inputs: Mutex::new(Vec::new()) })
    }

    fn inputs(&self) -> Vec<Value> {
        self.inputs.lock().expect("lock").clone()
    }
}

#[async_trait::async_trait]
impl TaskHandler for Scripted {
    async fn invoke(&self, input: Value) -> Result<Value, TaskFailure> {
        self.inputs.lock().expect("lock").push(input.clone());
        let reply = self.replies.lock().expect("lock").pop_front();
        reply.unwrap_or(Ok(input))
    }
}

/// Sleeps, counting how many invocations overlap.
#[derive(Default)]
struct Counting {
    running: AtomicU32,
    most: AtomicU32,
    sleep: Duration,
}

#[async_trait::async_trait]
impl TaskHandler for Counting {
    async fn invoke(&self, input: Value) -> Result<Value, TaskFailure> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.sleep).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(json!({"done": input}))
    }
}

fn failure(error: &str, cause: &str) -> TaskFailure {
    TaskFailure { error: error.to_owned(), cause: cause.to_owned() }
}

fn handlers(entries: Vec<(&str, Arc<dyn TaskHandler>)>) -> Handlers {
    entries.into_iter().map(|(name, handler)| (name.to_owned(), handler)).collect()
}

fn echo() -> Arc<dyn TaskHandler> {
    Arc::new(FnHandler(Ok))
}

fn machine(definition: Value) -> StateMachine {
    StateMachine::parse(&definition.to_string()).expect("the test definition is valid")
}

fn instant() -> ExecutionOptions {
    ExecutionOptions { name: "test-run".to_owned(), time_scale: 0.0, ..ExecutionOptions::default() }
}

async fn run(definition: Value, handlers: &Handlers, input: Value) -> Execution {
    execute(&machine(definition), handlers, input, instant()).await
}

fn single(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state}})
}

fn kinds(execution: &Execution) -> Vec<HistoryEventType> {
    execution.history.iter().map(|event| event.kind).collect()
}

fn events_of(execution: &Execution, kind: HistoryEventType) -> Vec<&HistoryEvent> {
    execution.history.iter().filter(|event| event.kind == kind).collect()
}

fn succeeded(execution: &Execution) -> Value {
    assert_eq!(execution.status, ExecutionStatus::Succeeded, "failure: {:?}", execution.failure);
    execution.output.clone().expect("a succeeded execution has output")
}

fn failed(execution: &Execution) -> TaskFailure {
    assert_eq!(execution.status, ExecutionStatus::Failed, "output: {:?}", execution.output);
    execution.failure.clone().expect("a failed execution has a failure")
}

#[tokio::test]
async fn processing_runs_input_path_parameters_task_selector_result_path_output_path_in_order() {
    let task = Scripted::new(vec![Ok(json!({"value": 42, "noise": true}))]);
    let definition = single(json!({
        "Type": "Task",
        "Resource": "${WorkFunctionArn}",
        "InputPath": "$.request",
        "Parameters": {"id.$": "$.id", "fixed": "x", "state.$": "$$.State.Name"},
        "ResultSelector": {"answer.$": "$.value"},
        "ResultPath": "$.request.result",
        "OutputPath": "$.request",
        "End": true
    }));
    let handlers = handlers(vec![("Work", task.clone())]);
    let execution = run(definition, &handlers, json!({"request": {"id": 7}, "other": 1})).await;
    assert_eq!(task.inputs(), vec![json!({"id": 7, "fixed": "x", "state": "S"})]);
    assert_eq!(succeeded(&execution), json!({"id": 7, "result": {"answer": 42}}));
    assert_eq!(
        kinds(&execution),
        vec![
            E::ExecutionStarted,
            E::TaskStateEntered,
            E::LambdaFunctionScheduled,
            E::LambdaFunctionStarted,
            E::LambdaFunctionSucceeded,
            E::TaskStateExited,
            E::ExecutionSucceeded
        ]
    );
    let scheduled = events_of(&execution, E::LambdaFunctionScheduled)[0];
    assert_eq!(scheduled.handler.as_deref(), Some("Work"));
    assert_eq!(scheduled.resource.as_deref(), Some("${WorkFunctionArn}"));
    assert_eq!(events_of(&execution, E::TaskStateEntered)[0].input, Some(json!({"request": {"id": 7}, "other": 1})));
}

#[tokio::test]
async fn null_paths_mean_empty_input_discarded_result_and_empty_output() {
    let task = Scripted::new(vec![Ok(json!("ignored"))]);
    let handlers = handlers(vec![("Work", task.clone())]);
    let discard = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "${WorkFunctionArn}", "InputPath": null, "ResultPath": null, "Next": "P"},
        "P": {"Type": "Pass", "OutputPath": null, "Next": "Keep"},
        "Keep": {"Type": "Pass", "End": true}
    }});
    let execution = run(discard.clone(), &handlers, json!({"a": 1})).await;
    assert_eq!(task.inputs(), vec![json!({})], "InputPath null gives the task {{}}");
    assert_eq!(
        events_of(&execution, E::TaskStateExited)[0].output,
        Some(json!({"a": 1})),
        "ResultPath null keeps the input"
    );
    assert_eq!(succeeded(&execution), json!({}), "OutputPath null gives {{}}");
}

#[tokio::test]
async fn pass_state_result_parameters_and_result_path() {
    let definition = json!({"StartAt": "Result", "States": {
        "Result": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.fixed", "Next": "Params"},
        "Params": {"Type": "Pass", "Parameters": {"copy.$": "$.fixed.x", "list.$": "States.Array($.fixed.x, 2)"}, "ResultPath": "$.made", "Next": "Whole"},
        "Whole": {"Type": "Pass", "Parameters": {"only.$": "$.made"}, "End": true}
    }});
    let execution = run(definition, &Handlers::new(), json!({"in": true})).await;
    assert_eq!(succeeded(&execution), json!({"only": {"copy": 1, "list": [1, 2]}}));
    assert_eq!(
        events_of(&execution, E::PassStateExited)[1].output,
        Some(json!({"in": true, "fixed": {"x": 1}, "made": {"copy": 1, "list": [1, 2]}}))
    );
}

#[tokio::test]
async fn lambda_invoke_passes_the_payload_and_wraps_the_result() {
    let task = Scripted::new(vec![Ok(json!({"answer": 1}))]);
    let handlers = handlers(vec![("ToolLogs", task.clone())]);
    let definition = single(json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "${ToolLogsFunctionArn}", "Payload": {"query.$": "$.q"}},
        "End": true
    }));
    let execution = run(definition, &handlers, json!({"q": "errors"})).await;
    assert_eq!(task.inputs(), vec![json!({"query": "errors"})]);
    let output = succeeded(&execution);
    assert_eq!(output["Payload"], json!({"answer": 1}));
    assert_eq!(output["StatusCode"], json!(200));
    assert_eq!(output["ExecutedVersion"], json!("$LATEST"));
    assert_eq!(
        kinds(&execution)[2..5],
        [E::TaskScheduled, E::TaskStarted, E::TaskSucceeded],
        "the optimised integration records Task* events"
    );
}

fn flaky_task(retry: Value, catch: Value) -> Value {
    let mut definition = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "${FlakyFunctionArn}", "Parameters": {"retry.$": "$$.State.RetryCount"},
              "Retry": retry, "Catch": catch, "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}
    }});
    if definition["States"]["T"]["Catch"].as_array().is_some_and(|catchers| !catchers.is_empty()) {
        definition["States"]["Handled"] = json!({"Type": "Pass", "End": true});
    }
    definition
}

fn delays_ms(execution: &Execution) -> Vec<Option<u64>> {
    events_of(execution, E::LambdaFunctionScheduled).iter().map(|event| event.delay_ms).collect()
}

#[tokio::test]
async fn retry_delays_follow_interval_backoff_and_cap() {
    let task = Scripted::new(vec![
        Err(failure("Transient", "1")),
        Err(failure("Transient", "2")),
        Err(failure("Transient", "3")),
        Ok(json!("finally")),
    ]);
    let handlers = handlers(vec![("Flaky", task.clone())]);
    let retry = json!([{"ErrorEquals": ["Transient"], "IntervalSeconds": 2, "BackoffRate": 3.0, "MaxDelaySeconds": 10, "MaxAttempts": 3}]);
    let execution = run(flaky_task(retry, json!([])), &handlers, json!({})).await;
    assert_eq!(succeeded(&execution), json!("finally"));
    assert_eq!(delays_ms(&execution), vec![None, Some(2_000), Some(6_000), Some(10_000)]);
    let retries: Vec<Option<u32>> = events_of(&execution, E::LambdaFunctionScheduled).iter().map(|e| e.retry).collect();
    assert_eq!(retries, vec![None, Some(1), Some(2), Some(3)]);
    assert_eq!(
        task.inputs(),
        vec![json!({"retry": 0}), json!({"retry": 1}), json!({"retry": 2}), json!({"retry": 3})],
        "$$.State.RetryCount counts the retries"
    );
}

#[tokio::test]
async fn retry_defaults_are_one_second_doubling_three_times() {
    let replies = (0..4).map(|n| Err(failure("Boom", &n.to_string()))).collect();
    let handlers = handlers(vec![("Flaky", Scripted::new(replies))]);
    let execution = run(flaky_task(json!([{"ErrorEquals": ["Boom"]}]), json!([])), &handlers, json!({})).await;
    assert_eq!(delays_ms(&execution), vec![None, Some(1_000), Some(2_000), Some(4_000)]);
    let failure = failed(&execution);
    assert_eq!(failure.error, "Boom");
    assert_eq!(failure.cause, r#"{"errorMessage":"3","errorType":"Boom"}"#, "Lambda errors carry a JSON cause");
}

#[tokio::test]
async fn full_jitter_delays_stay_within_the_backoff() {
    let replies = (0..6).map(|_| Err(failure("Boom", "x"))).collect();
    let handlers = handlers(vec![("Flaky", Scripted::new(replies))]);
    let retry = json!([{"ErrorEquals": ["Boom"], "IntervalSeconds": 4, "MaxAttempts": 5, "JitterStrategy": "FULL"}]);
    let execution = run(flaky_task(retry, json!([])), &handlers, json!({})).await;
    let delays = delays_ms(&execution);
    assert_eq!(delays.len(), 6);
    for (retry_number, delay) in delays.iter().skip(1).enumerate() {
        let ceiling = 4_000 * 2u64.pow(u32::try_from(retry_number).expect("small"));
        assert!(delay.is_some_and(|delay| delay <= ceiling), "retry {retry_number}: {delay:?} > {ceiling}");
    }
}

#[tokio::test(start_paused = true)]
async fn retry_sleeps_for_real_at_time_scale_one() {
    let task = Scripted::new(vec![Err(failure("Boom", "x")), Err(failure("Boom", "x"))]);
    let handlers = handlers(vec![("Flaky", task)]);
    let retry = json!([{"ErrorEquals": ["Boom"], "IntervalSeconds": 3}]);
    let options = ExecutionOptions { time_scale: 1.0, ..ExecutionOptions::default() };
    let execution = execute(&machine(flaky_task(retry, json!([]))), &handlers, json!({}), options).await;
    succeeded(&execution);
    let times: Vec<u64> = events_of(&execution, E::LambdaFunctionScheduled).iter().map(|e| e.elapsed_ms).collect();
    assert_eq!(times, vec![0, 3_000, 9_000]);
}

#[tokio::test]
async fn catch_after_retries_puts_the_error_output_at_result_path() {
    let replies = (0..2).map(|_| Err(failure("Throttled", "slow down"))).collect();
    let task = Scripted::new(replies);
    let handlers = handlers(vec![("Flaky", task.clone())]);
    let retry = json!([{"ErrorEquals": ["Throttled"], "MaxAttempts": 1}]);
    let catch = json!([{"ErrorEquals": ["Other"], "Next": "Done"}, {"ErrorEquals": ["Throttled"], "ResultPath": "$.error", "Next": "Handled"}]);
    let execution = run(flaky_task(retry, catch), &handlers, json!({"keep": 1})).await;
    assert_eq!(task.inputs().len(), 2, "one attempt and one retry");
    assert_eq!(
        succeeded(&execution),
        json!({"keep": 1, "error": {"Error": "Throttled", "Cause": "{\"errorMessage\":\"slow down\",\"errorType\":\"Throttled\"}"}})
    );
    let entered: Vec<&str> =
        events_of(&execution, E::PassStateEntered).iter().filter_map(|e| e.state.as_deref()).collect();
    assert_eq!(entered, vec!["Handled"]);
}

#[tokio::test]
async fn catch_without_result_path_replaces_the_input_and_null_discards_the_error() {
    let handlers = handlers(vec![("Flaky", Scripted::new(vec![Err(failure("X", "c")), Err(failure("X", "c"))]))]);
    let replace = flaky_task(json!([]), json!([{"ErrorEquals": ["States.ALL"], "Next": "Handled"}]));
    let execution = run(replace, &handlers, json!({"keep": 1})).await;
    assert_eq!(succeeded(&execution), json!({"Error": "X", "Cause": "{\"errorMessage\":\"c\",\"errorType\":\"X\"}"}));
    let discard =
        flaky_task(json!([]), json!([{"ErrorEquals": ["States.ALL"], "ResultPath": null, "Next": "Handled"}]));
    let execution = run(discard, &handlers, json!({"keep": 1})).await;
    assert_eq!(succeeded(&execution), json!({"keep": 1}));
}

#[tokio::test(start_paused = true)]
async fn task_timeout_is_matched_by_states_all_but_not_by_task_failed() {
    let slow = Arc::new(Counting { sleep: Duration::from_secs(30), ..Counting::default() });
    let handlers = handlers(vec![("Slow", slow)]);
    let definition = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "${SlowFunctionArn}", "TimeoutSeconds": 5, "Next": "Done",
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "ByTaskFailed"}, {"ErrorEquals": ["States.ALL"], "Next": "ByAll"}]},
        "Done": {"Type": "Succeed"},
        "ByTaskFailed": {"Type": "Fail", "Error": "WrongCatcher"},
        "ByAll": {"Type": "Pass", "End": true}
    }});
    let execution = run(definition, &handlers, json!({})).await;
    assert_eq!(succeeded(&execution)["Error"], json!("States.Timeout"));
    let timed_out = events_of(&execution, E::LambdaFunctionTimedOut);
    assert_eq!(timed_out.len(), 1);
    assert_eq!(timed_out[0].elapsed_ms, 5_000);
}

#[tokio::test]
async fn task_failed_matches_custom_errors() {
    let handlers = handlers(vec![("Flaky", Scripted::new(vec![Err(failure("Custom", "c"))]))]);
    let catch = json!([{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.e", "Next": "Handled"}]);
    let execution = run(flaky_task(json!([]), catch), &handlers, json!({})).await;
    assert_eq!(succeeded(&execution)["e"]["Error"], json!("Custom"));
}

#[tokio::test]
async fn runtime_errors_are_not_caught_by_states_all() {
    let handlers = handlers(vec![("Work", echo())]);
    let definition = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "${WorkFunctionArn}", "Parameters": {"x.$": "$.missing"},
              "Retry": [{"ErrorEquals": ["States.ALL"]}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}], "End": true},
        "Handled": {"Type": "Succeed"}
    }});
    let execution = run(definition, &handlers, json!({"present": 1})).await;
    let failure = failed(&execution);
    assert_eq!(failure.error, "States.Runtime");
    assert!(
        failure.cause.contains("The JSONPath '$.missing' specified for the field 'x.$' could not be found"),
        "{}",
        failure.cause
    );
    assert!(events_of(&execution, E::LambdaFunctionScheduled).is_empty());
    assert!(events_of(&execution, E::SucceedStateEntered).is_empty());
}

#[tokio::test]
async fn input_path_that_selects_nothing_is_a_runtime_error() {
    let definition = single(json!({"Type": "Pass", "InputPath": "$.nope", "End": true}));
    let failure = failed(&run(definition, &Handlers::new(), json!({})).await);
    assert_eq!(failure.error, "States.Runtime");
    assert!(failure.cause.contains("InputPath"));
}

#[tokio::test]
async fn result_path_mismatch_is_catchable() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}],
              "ResultPath": "$.a.b", "Catch": [{"ErrorEquals": ["States.ResultPathMatchFailure"], "ResultPath": "$.err", "Next": "Handled"}],
              "End": true},
        "Handled": {"Type": "Pass", "End": true}
    }});
    let execution = run(definition, &Handlers::new(), json!({"a": "not an object"})).await;
    assert_eq!(succeeded(&execution)["err"]["Error"], json!("States.ResultPathMatchFailure"));
}

#[tokio::test]
async fn intrinsic_failures_are_catchable() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Parameters": {"x.$": "States.ArrayGetItem($.list, 5)"},
              "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}],
              "Catch": [{"ErrorEquals": ["States.IntrinsicFailure"], "Next": "Handled"}], "End": true},
        "Handled": {"Type": "Pass", "End": true}
    }});
    let execution = run(definition, &Handlers::new(), json!({"list": [1]})).await;
    assert_eq!(succeeded(&execution)["Error"], json!("States.IntrinsicFailure"));
}

fn map_machine(max_concurrency: u64) -> Value {
    json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemsPath": "$.items",
        "MaxConcurrency": max_concurrency,
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "${WorkFunctionArn}", "End": true}}},
        "End": true
    }}})
}

#[tokio::test(start_paused = true)]
async fn map_never_runs_more_than_max_concurrency_iterations_at_once() {
    let counting = Arc::new(Counting { sleep: Duration::from_millis(100), ..Counting::default() });
    let handlers = handlers(vec![("Work", counting.clone())]);
    let items: Vec<Value> = (0..10).map(Value::from).collect();
    let execution = run(map_machine(3), &handlers, json!({"items": items})).await;
    let output = succeeded(&execution);
    assert_eq!(counting.most.load(Ordering::SeqCst), 3, "exactly MaxConcurrency iterations overlap");
    let expected: Vec<Value> = (0..10).map(|n| json!({"done": n})).collect();
    assert_eq!(output, Value::Array(expected), "results keep the item order");
    assert_eq!(events_of(&execution, E::MapIterationStarted).len(), 10);
    assert_eq!(events_of(&execution, E::MapIterationSucceeded).len(), 10);
}

#[tokio::test(start_paused = true)]
async fn map_without_max_concurrency_runs_every_item_at_once() {
    let counting = Arc::new(Counting { sleep: Duration::from_millis(100), ..Counting::default() });
    let handlers = handlers(vec![("Work", counting.clone())]);
    let items: Vec<Value> = (0..7).map(Value::from).collect();
    succeeded(&run(map_machine(0), &handlers, json!({"items": items})).await);
    assert_eq!(counting.most.load(Ordering::SeqCst), 7);
}

#[tokio::test]
async fn map_item_selector_sees_the_item_and_its_index() {
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemsPath": "$.tools",
        "ItemSelector": {"tool.$": "$$.Map.Item.Value.name", "index.$": "$$.Map.Item.Index", "cycle.$": "$.cycle"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "ResultSelector": {"count.$": "States.ArrayLength($)", "results.$": "$"},
        "ResultPath": "$.observations",
        "End": true
    }}});
    let execution =
        run(definition, &Handlers::new(), json!({"tools": [{"name": "logs"}, {"name": "metrics"}], "cycle": 2})).await;
    assert_eq!(
        succeeded(&execution),
        json!({
            "tools": [{"name": "logs"}, {"name": "metrics"}],
            "cycle": 2,
            "observations": {"count": 2, "results": [{"tool": "logs", "index": 0, "cycle": 2}, {"tool": "metrics", "index": 1, "cycle": 2}]}
        })
    );
}

#[tokio::test]
async fn legacy_iterator_and_parameters_still_work() {
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "Parameters": {"v.$": "$$.Map.Item.Value"},
        "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "OutputPath": "$.v", "End": true}}},
        "End": true
    }}});
    assert_eq!(succeeded(&run(definition, &Handlers::new(), json!({"items": ["a", "b"]})).await), json!(["a", "b"]));
}

#[tokio::test]
async fn map_items_path_must_select_an_array() {
    let failure = failed(&run(map_machine(1), &handlers(vec![("Work", echo())]), json!({"items": {"a": 1}})).await);
    assert_eq!(failure.error, "States.Runtime");
    assert!(failure.cause.contains("must select an array"));
}

#[tokio::test]
async fn a_failed_iteration_fails_the_map_with_its_own_error() {
    let picky = Arc::new(FnHandler(
        |input: Value| {
            if input == json!(2) { Err(failure("BadItem", "item 2")) } else { Ok(input) }
        },
    ));
    let handlers = handlers(vec![("Work", picky)]);
    let mut definition = map_machine(1);
    definition["States"]["M"]["Catch"] =
        json!([{"ErrorEquals": ["BadItem"], "ResultPath": "$.error", "Next": "Handled"}]);
    definition["States"]["M"].as_object_mut().expect("an object").remove("End");
    definition["States"]["M"]["Next"] = json!("Handled");
    definition["States"]["Handled"] = json!({"Type": "Pass", "End": true});
    let execution = run(definition, &handlers, json!({"items": [0, 1, 2, 3]})).await;
    assert_eq!(succeeded(&execution)["error"]["Error"], json!("BadItem"));
    let failed_iterations: Vec<Option<usize>> =
        events_of(&execution, E::MapIterationFailed).iter().map(|e| e.index).collect();
    assert_eq!(failed_iterations, vec![Some(2)]);
    assert_eq!(events_of(&execution, E::MapIterationStarted).len(), 3, "item 3 never starts with MaxConcurrency 1");
    assert_eq!(events_of(&execution, E::MapStateFailed).len(), 1);
    let scopes: Vec<Option<&str>> =
        events_of(&execution, E::LambdaFunctionFailed).iter().map(|e| e.scope.as_deref()).collect();
    assert_eq!(scopes, vec![Some("M[2]")]);
}

#[tokio::test(start_paused = true)]
async fn a_failed_iteration_aborts_the_running_ones() {
    struct SlowUnlessZero;
    #[async_trait::async_trait]
    impl TaskHandler for SlowUnlessZero {
        async fn invoke(&self, input: Value) -> Result<Value, TaskFailure> {
            if input == json!(0) {
                tokio::time::sleep(Duration::from_secs(1)).await;
                return Err(failure("Boom", "first item"));
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(input)
        }
    }
    let handlers = handlers(vec![("Work", Arc::new(SlowUnlessZero))]);
    let execution = run(map_machine(0), &handlers, json!({"items": [0, 1, 2]})).await;
    assert_eq!(failed(&execution).error, "Boom");
    let aborted: Vec<Option<usize>> = events_of(&execution, E::MapIterationAborted).iter().map(|e| e.index).collect();
    assert_eq!(aborted, vec![Some(1), Some(2)]);
    assert!(
        execution.history.last().is_some_and(|event| event.elapsed_ms < 60_000),
        "the slow iterations were stopped"
    );
}

#[tokio::test]
async fn parallel_returns_branch_outputs_in_order() {
    let definition = json!({"StartAt": "P", "States": {"P": {
        "Type": "Parallel",
        "Parameters": {"n.$": "$.n"},
        "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"a.$": "$.n"}, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "${WorkFunctionArn}", "End": true}}}
        ],
        "ResultPath": "$.branches",
        "End": true
    }}});
    let execution = run(definition, &handlers(vec![("Work", echo())]), json!({"n": 5, "other": true})).await;
    assert_eq!(succeeded(&execution), json!({"n": 5, "other": true, "branches": [{"a": 5}, {"n": 5}]}));
    let scopes: Vec<Option<&str>> =
        events_of(&execution, E::PassStateEntered).iter().map(|e| e.scope.as_deref()).collect();
    assert_eq!(scopes, vec![Some("P#0")]);
    assert_eq!(events_of(&execution, E::ParallelStateSucceeded).len(), 1);
}

#[tokio::test]
async fn a_failed_branch_fails_the_parallel_state_with_its_own_error() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [
            {"StartAt": "Ok", "States": {"Ok": {"Type": "Pass", "End": true}}},
            {"StartAt": "Bad", "States": {"Bad": {"Type": "Fail", "Error": "BranchBroke", "Cause": "on purpose"}}}
        ], "Catch": [{"ErrorEquals": ["BranchBroke"], "Next": "Handled"}], "End": true},
        "Handled": {"Type": "Pass", "End": true}
    }});
    let execution = run(definition, &Handlers::new(), json!({})).await;
    assert_eq!(succeeded(&execution), json!({"Error": "BranchBroke", "Cause": "on purpose"}));
    assert_eq!(events_of(&execution, E::ParallelStateFailed).len(), 1);
}

fn choice_machine() -> Value {
    json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "InputPath": "$.data", "OutputPath": "$.count", "Choices": [
            {"Variable": "$.count", "NumericGreaterThanEquals": 10, "Next": "Big"},
            {"And": [{"Variable": "$.kind", "IsPresent": true}, {"Variable": "$.kind", "StringMatches": "tool-*"}], "Next": "Tool"}
        ], "Default": "Other"},
        "Big": {"Type": "Pass", "Result": "big", "End": true},
        "Tool": {"Type": "Pass", "End": true},
        "Other": {"Type": "Succeed"}
    }})
}

#[tokio::test]
async fn choice_routes_by_the_first_matching_rule_or_the_default() {
    let handlers = Handlers::new();
    let big = run(choice_machine(), &handlers, json!({"data": {"count": 12, "kind": "tool-x"}})).await;
    assert_eq!(succeeded(&big), json!("big"));
    let tool = run(choice_machine(), &handlers, json!({"data": {"count": 1, "kind": "tool-x"}})).await;
    assert!(events_of(&tool, E::PassStateEntered).iter().any(|e| e.state.as_deref() == Some("Tool")));
    assert_eq!(events_of(&tool, E::ChoiceStateExited)[0].output, Some(json!(1)), "Choice applies OutputPath");
    let other = run(choice_machine(), &handlers, json!({"data": {"count": 2}})).await;
    assert!(events_of(&other, E::SucceedStateEntered).iter().any(|e| e.state.as_deref() == Some("Other")));
    assert_eq!(succeeded(&other), json!(2));
}

#[tokio::test]
async fn choice_without_match_or_default_fails_with_no_choice_matched() {
    let definition = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "BooleanEquals": true, "Next": "Yes"}]},
        "Yes": {"Type": "Succeed"}
    }});
    let failure = failed(&run(definition, &Handlers::new(), json!({"x": false})).await);
    assert_eq!(failure.error, "States.NoChoiceMatched");
}

#[tokio::test]
async fn wait_records_each_kind_of_delay_without_sleeping_at_time_scale_zero() {
    let future = (Utc::now() + chrono::Duration::hours(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let definition = json!({"StartAt": "Fixed", "States": {
        "Fixed": {"Type": "Wait", "Seconds": 5, "Next": "FromPath"},
        "FromPath": {"Type": "Wait", "SecondsPath": "$.seconds", "Next": "Past"},
        "Past": {"Type": "Wait", "Timestamp": "2001-01-01T00:00:00Z", "Next": "Until"},
        "Until": {"Type": "Wait", "TimestampPath": "$.until", "End": true}
    }});
    let started = std::time::Instant::now();
    let execution = run(definition, &Handlers::new(), json!({"seconds": 7, "until": future})).await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(succeeded(&execution), json!({"seconds": 7, "until": future}));
    let delays: Vec<u64> = events_of(&execution, E::WaitStateExited).iter().filter_map(|e| e.delay_ms).collect();
    assert_eq!(delays[..3], [5_000, 7_000, 0]);
    assert!((7_190_000..=7_200_000).contains(&delays[3]), "about two hours: {}", delays[3]);
}

#[tokio::test]
async fn wait_seconds_path_must_be_a_non_negative_integer() {
    let definition = single(json!({"Type": "Wait", "SecondsPath": "$.s", "End": true}));
    let failure = failed(&run(definition, &Handlers::new(), json!({"s": "soon"})).await);
    assert_eq!(failure.error, "States.Runtime");
}

#[tokio::test]
async fn fail_state_reports_fixed_or_computed_error_and_cause() {
    let fixed = single(json!({"Type": "Fail", "Error": "Budget", "Cause": "out of cycles"}));
    assert_eq!(failed(&run(fixed, &Handlers::new(), json!({})).await), failure("Budget", "out of cycles"));
    let computed = single(
        json!({"Type": "Fail", "ErrorPath": "$.code", "CausePath": "States.Format('cycle {} of {}', $.n, $.max)"}),
    );
    let execution = run(computed, &Handlers::new(), json!({"code": "E42", "n": 3, "max": 3})).await;
    assert_eq!(failed(&execution), failure("E42", "cycle 3 of 3"));
    assert_eq!(kinds(&execution), vec![E::ExecutionStarted, E::FailStateEntered, E::ExecutionFailed]);
}

#[tokio::test]
async fn context_object_describes_execution_state_and_machine() {
    let definition = single(json!({"Type": "Pass", "Parameters": {
        "name.$": "$$.Execution.Name",
        "id.$": "$$.Execution.Id",
        "input.$": "$$.Execution.Input",
        "start.$": "$$.Execution.StartTime",
        "role.$": "$$.Execution.RoleArn",
        "state.$": "$$.State.Name",
        "entered.$": "$$.State.EnteredTime",
        "retries.$": "$$.State.RetryCount",
        "machine.$": "$$.StateMachine.Name",
        "machineId.$": "$$.StateMachine.Id"
    }, "End": true}));
    let options = ExecutionOptions { state_machine_name: "Fa2".to_owned(), ..instant() };
    let execution = execute(&machine(definition), &Handlers::new(), json!({"alarm": "A"}), options).await;
    let output = succeeded(&execution);
    assert_eq!(output["name"], json!("test-run"));
    assert_eq!(output["id"], json!("arn:aws:states:us-east-1:123456789012:execution:Fa2:test-run"));
    assert_eq!(output["input"], json!({"alarm": "A"}));
    assert_eq!(output["state"], json!("S"));
    assert_eq!(output["retries"], json!(0));
    assert_eq!(output["machine"], json!("Fa2"));
    assert_eq!(output["machineId"], json!("arn:aws:states:us-east-1:123456789012:stateMachine:Fa2"));
    for field in ["start", "entered"] {
        let text = output[field].as_str().expect("a timestamp");
        assert!(crate::choice::parse_timestamp(text).is_some(), "{field}: {text}");
    }
    assert!(output["role"].as_str().is_some_and(|role| role.starts_with("arn:aws:iam::")));
    let token = single(json!({"Type": "Pass", "Parameters": {"t.$": "$$.Task.Token"}, "End": true}));
    assert_eq!(failed(&run(token, &Handlers::new(), json!({})).await).error, "States.Runtime", "no task token locally");
}

#[tokio::test]
async fn outputs_over_256_kib_fail_with_data_limit_exceeded_which_states_all_cannot_catch() {
    let big = Arc::new(FnHandler(|_| Ok(Value::String("x".repeat(PAYLOAD_LIMIT_BYTES)))));
    let definition = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "${BigFunctionArn}", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}], "End": true},
        "Handled": {"Type": "Succeed"}
    }});
    let failure = failed(&run(definition, &handlers(vec![("Big", big)]), json!({})).await);
    assert_eq!(failure.error, "States.DataLimitExceeded");
    let just_fits = Arc::new(FnHandler(|_| Ok(Value::String("x".repeat(PAYLOAD_LIMIT_BYTES - 2)))));
    let definition = single(json!({"Type": "Task", "Resource": "${BigFunctionArn}", "End": true}));
    succeeded(&run(definition, &handlers(vec![("Big", just_fits)]), json!({})).await);
}

#[tokio::test]
async fn missing_handlers_fail_fast_before_any_state_runs() {
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "${ToolLogsFunctionArn}", "Next": "B"},
        "B": {"Type": "Task", "Resource": "${ThinkFunctionArn}", "End": true}
    }});
    let execution = run(definition, &handlers(vec![("ToolLogs", echo())]), json!({})).await;
    let failure = failed(&execution);
    assert_eq!(failure.error, "States.TaskFailed");
    assert!(failure.cause.contains("'Think' (Resource '${ThinkFunctionArn}' in state 'B')"), "{}", failure.cause);
    assert!(failure.cause.contains("ToolLogs"), "lists what is registered: {}", failure.cause);
    assert_eq!(kinds(&execution), vec![E::ExecutionStarted, E::ExecutionFailed]);
}

#[tokio::test]
async fn an_endless_loop_stops_at_the_transition_limit() {
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "BooleanEquals": true, "Next": "End"}], "Default": "A"},
        "End": {"Type": "Succeed"}
    }});
    let options = ExecutionOptions { max_state_transitions: 50, ..instant() };
    let execution = execute(&machine(definition), &Handlers::new(), json!({"stop": false}), options).await;
    let failure = failed(&execution);
    assert_eq!(failure.error, "States.Runtime");
    assert!(failure.cause.contains("max_state_transitions"));
    assert_eq!(
        events_of(&execution, E::PassStateEntered).len() + events_of(&execution, E::ChoiceStateEntered).len(),
        50
    );
}

#[tokio::test(start_paused = true)]
async fn execution_timeout_seconds_times_the_execution_out() {
    let slow = Arc::new(Counting { sleep: Duration::from_secs(120), ..Counting::default() });
    let definition = json!({"TimeoutSeconds": 60, "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${SlowFunctionArn}", "End": true}}});
    let execution = run(definition, &handlers(vec![("Slow", slow)]), json!({})).await;
    assert_eq!(execution.status, ExecutionStatus::TimedOut);
    assert_eq!(execution.failure.map(|f| f.error).as_deref(), Some("States.Timeout"));
    assert_eq!(execution.history.last().map(|e| (e.kind, e.elapsed_ms)), Some((E::ExecutionTimedOut, 60_000)));
}

#[tokio::test]
async fn on_event_sees_every_event_in_order_and_history_serializes() {
    let seen: Arc<Mutex<Vec<u64>>> = Arc::default();
    let sink = seen.clone();
    let options = ExecutionOptions {
        on_event: Some(Arc::new(move |event: &HistoryEvent| sink.lock().expect("lock").push(event.id))),
        ..instant()
    };
    let execution =
        execute(&machine(choice_machine()), &Handlers::new(), json!({"data": {"count": 50}}), options).await;
    let ids: Vec<u64> = execution.history.iter().map(|event| event.id).collect();
    assert_eq!(*seen.lock().expect("lock"), ids);
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    let json = serde_json::to_value(&execution.history[1]).expect("serializes");
    assert_eq!(json["type"], json!("ChoiceStateEntered"));
    assert_eq!(json["state"], json!("C"));
    assert!(json.get("error").is_none(), "empty fields are omitted");
    let back: HistoryEvent = serde_json::from_value(json).expect("deserializes");
    assert_eq!(back, execution.history[1]);
}

#[test]
fn execute_is_send_so_it_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let machine = machine(single(json!({"Type": "Succeed"})));
    let handlers = Handlers::new();
    let future = execute(&machine, &handlers, json!({}), ExecutionOptions::default());
    assert_send(&future);
}

#[tokio::test(start_paused = true)]
async fn max_concurrency_and_timeout_can_come_from_the_input() {
    let counting = Arc::new(Counting { sleep: Duration::from_secs(3), ..Counting::default() });
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemsPath": "$.items",
        "MaxConcurrencyPath": "$.limit",
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {
            "Type": "Task", "Resource": "${WorkFunctionArn}", "TimeoutSecondsPath": "$.timeout", "HeartbeatSeconds": 1,
            "Parameters": {"item.$": "$.item"}, "End": true
        }}},
        "ItemSelector": {"item.$": "$$.Map.Item.Value", "timeout.$": "$.timeout"},
        "End": true
    }}});
    let handlers = handlers(vec![("Work", counting.clone())]);
    let within = run(definition.clone(), &handlers, json!({"items": [1, 2, 3, 4, 5], "limit": 2, "timeout": 5})).await;
    assert_eq!(succeeded(&within).as_array().map(Vec::len), Some(5));
    assert_eq!(counting.most.load(Ordering::SeqCst), 2);
    let too_slow = run(definition, &handlers, json!({"items": [1], "limit": 2, "timeout": 1})).await;
    assert_eq!(failed(&too_slow).error, "States.Timeout");
}

/// A bounded reasoning loop shaped like the FA2 workflow: think, fan out tool calls, observe, loop or finish.
#[tokio::test]
async fn a_bounded_agent_loop_runs_to_its_report() {
    let definition = json!({
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Task", "Resource": "${PrepareFunctionArn}", "Next": "Think",
                        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Finalize"}]},
            "Think": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {"FunctionName": "${ThinkFunctionArn}", "Payload.$": "$"},
                      "ResultSelector": {"plan.$": "$.Payload"}, "ResultPath": "$.think", "Next": "Act?",
                      "Retry": [{"ErrorEquals": ["Throttled"], "IntervalSeconds": 2, "JitterStrategy": "FULL"}],
                      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Finalize"}]},
            "Act?": {"Type": "Choice", "Choices": [
                        {"Variable": "$.think.plan.done", "BooleanEquals": true, "Next": "Finalize"}
                     ], "Default": "Tools"},
            "Tools": {"Type": "Map", "ItemsPath": "$.think.plan.calls", "MaxConcurrency": 2,
                      "ItemSelector": {"call.$": "$$.Map.Item.Value", "cycle.$": "$.cycle"},
                      "ItemProcessor": {"StartAt": "Which", "States": {
                          "Which": {"Type": "Choice", "Choices": [
                              {"Variable": "$.call.tool", "StringEquals": "logs", "Next": "ToolLogs"},
                              {"Variable": "$.call.tool", "StringEquals": "metrics", "Next": "ToolMetrics"}
                          ], "Default": "Unknown"},
                          "ToolLogs": {"Type": "Task", "Resource": "${ToolLogsFunctionArn}", "End": true},
                          "ToolMetrics": {"Type": "Task", "Resource": "${ToolMetricsFunctionArn}", "End": true},
                          "Unknown": {"Type": "Pass", "Parameters": {"tool.$": "$.call.tool", "error": "unknown tool"}, "End": true}
                      }},
                      "ResultPath": "$.observations", "Next": "Observe"},
            "Observe": {"Type": "Pass", "Parameters": {"cycle.$": "States.MathAdd($.cycle, 1)", "max.$": "$.max",
                        "seen.$": "States.ArrayLength($.observations)"}, "Next": "Again?"},
            "Again?": {"Type": "Choice", "Choices": [
                {"Variable": "$.cycle", "NumericLessThanPath": "$.max", "Next": "Think"}
            ], "Default": "Finalize"},
            "Finalize": {"Type": "Task", "Resource": "${FinalizeFunctionArn}", "End": true}
        }
    });
    let think_calls = Arc::new(AtomicU32::new(0));
    let counter = think_calls.clone();
    let think = Arc::new(FnHandler(move |input: Value| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(failure("Throttled", "model busy"));
        }
        Ok(
            json!({"done": false, "calls": [{"tool": "logs"}, {"tool": "metrics"}, {"tool": "xray"}], "cycle": input["cycle"]}),
        )
    }));
    let tool = |name: &'static str| -> Arc<dyn TaskHandler> {
        Arc::new(FnHandler(move |input: Value| Ok(json!({"tool": name, "cycle": input["cycle"]}))))
    };
    let handlers = handlers(vec![
        (
            "Prepare",
            Arc::new(FnHandler(|input: Value| Ok(json!({"cycle": 0, "max": 2, "alarm": input["alarm"]}))))
                as Arc<dyn TaskHandler>,
        ),
        ("Think", think),
        ("ToolLogs", tool("logs")),
        ("ToolMetrics", tool("metrics")),
        ("Finalize", Arc::new(FnHandler(|input: Value| Ok(json!({"report": input})))) as Arc<dyn TaskHandler>),
    ]);
    let execution = run(definition, &handlers, json!({"alarm": "HighLatency"})).await;
    let output = succeeded(&execution);
    assert_eq!(output, json!({"report": {"cycle": 2, "max": 2, "seen": 3}}));
    assert_eq!(think_calls.load(Ordering::SeqCst), 3, "one throttled attempt, then two cycles");
    assert_eq!(events_of(&execution, E::MapIterationStarted).len(), 6);
    let unknown: Vec<Option<&str>> = events_of(&execution, E::PassStateExited)
        .iter()
        .filter(|event| event.state.as_deref() == Some("Unknown"))
        .map(|event| event.scope.as_deref())
        .collect();
    assert_eq!(unknown, vec![Some("Tools[2]"), Some("Tools[2]")]);
}
