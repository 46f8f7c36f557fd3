//! Errors raised while a state runs, the built-in `States.*` error names, and the Retry/Catch rules that decide
//! whether an error is retried (with exponential backoff, a cap and jitter), caught, or fails the execution.

use std::time::Duration;

use rand::Rng;
use serde_json::{Value, json};

use crate::paths::Path;

/// The error names the Amazon States Language predefines.
pub mod error_names {
    /// Matches every error except the terminal ones (`States.Runtime`, `States.DataLimitExceeded`).
    pub const ALL: &str = "States.ALL";
    /// Matches every error that `States.ALL` matches except `States.Timeout`.
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// A Task ran longer than its `TimeoutSeconds`, or the execution ran longer than its own `TimeoutSeconds`.
    pub const TIMEOUT: &str = "States.Timeout";
    /// A Task failed to heartbeat in time (never raised locally: handlers do not heartbeat).
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    /// The execution hit something it could not process (e.g. a path that selects nothing). Terminal.
    pub const RUNTIME: &str = "States.Runtime";
    /// A state's input or output was larger than 256 KiB. Terminal.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    /// A ResultPath could not be applied to the state's input.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// The specification's name for a failed `.$` path in Parameters; Step Functions (and this interpreter)
    /// actually raise `States.Runtime` for it.
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    /// An intrinsic function failed at run time (bad argument type or value).
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// No Choice rule matched and the Choice state has no Default.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// The specification's name for a failed Parallel branch; Step Functions (and this interpreter) propagate the
    /// branch's own error instead.
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    /// A Task lacked permissions (never raised locally).
    pub const PERMISSIONS: &str = "States.Permissions";
}

/// An error raised inside a state: what `Catch` sees as `{"Error", "Cause"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StateError {
    pub(crate) error: String,
    pub(crate) cause: String,
}

impl StateError {
    pub(crate) fn new(error: &str, cause: impl Into<String>) -> StateError {
        StateError { error: error.to_owned(), cause: cause.into() }
    }

    pub(crate) fn runtime(cause: impl Into<String>) -> StateError {
        StateError::new(error_names::RUNTIME, cause)
    }

    /// Terminal errors are never retried or caught: they always fail the execution.
    pub(crate) fn is_terminal(&self) -> bool {
        self.error == error_names::RUNTIME || self.error == error_names::DATA_LIMIT_EXCEEDED
    }

    /// The Error Output a Catcher passes on.
    pub(crate) fn to_error_output(&self) -> Value {
        json!({"Error": self.error, "Cause": self.cause})
    }
}

/// Whether a Retrier's or Catcher's `ErrorEquals` list matches `error`.
fn error_equals_matches(error_equals: &[String], error: &StateError) -> bool {
    if error.is_terminal() {
        return false;
    }
    error_equals.iter().any(|name| {
        name == &error.error
            || name == error_names::ALL
            || (name == error_names::TASK_FAILED && error.error != error_names::TIMEOUT)
    })
}

/// How a retry delay is randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Jitter {
    /// The computed delay, exactly.
    None,
    /// A uniformly random delay between 0 and the computed delay.
    Full,
}

/// One entry of a state's `Retry` array.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Retrier {
    pub(crate) error_equals: Vec<String>,
    interval_seconds: f64,
    max_attempts: u32,
    backoff_rate: f64,
    max_delay_seconds: Option<f64>,
    jitter: Jitter,
}

impl Retrier {
    /// The delay before retry number `retry_number` (1 for the first retry), before jitter.
    fn base_delay_seconds(&self, retry_number: u32) -> f64 {
        let exponent = i32::try_from(retry_number.saturating_sub(1)).unwrap_or(i32::MAX);
        let delay = self.interval_seconds * self.backoff_rate.powi(exponent);
        self.max_delay_seconds.map_or(delay, |cap| delay.min(cap))
    }

    fn delay(&self, retry_number: u32) -> Duration {
        let seconds = self.base_delay_seconds(retry_number);
        let seconds = match self.jitter {
            Jitter::None => seconds,
            Jitter::Full => rand::rng().random_range(0.0..=seconds),
        };
        Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX)
    }
}

/// One entry of a state's `Catch` array.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Catcher {
    pub(crate) error_equals: Vec<String>,
    pub(crate) next: String,
    /// Where the Error Output goes in the state's input; `None` (ResultPath null) discards it.
    pub(crate) result_path: Option<Path>,
}

/// Finds the catcher for `error`, if any.
pub(crate) fn find_catcher<'c>(catchers: &'c [Catcher], error: &StateError) -> Option<&'c Catcher> {
    catchers.iter().find(|catcher| error_equals_matches(&catcher.error_equals, error))
}

/// Tracks how many times each retrier of one state has fired, across attempts of that state.
#[derive(Debug)]
pub(crate) struct RetryTracker<'r> {
    retriers: &'r [Retrier],
    retries_used: Vec<u32>,
}

/// The decision after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RetryDecision {
    /// 1 for the first retry by this retrier.
    pub(crate) retry_number: u32,
    pub(crate) delay: Duration,
}

impl<'r> RetryTracker<'r> {
    pub(crate) fn new(retriers: &'r [Retrier]) -> RetryTracker<'r> {
        RetryTracker { retriers, retries_used: vec![0; retriers.len()] }
    }

    /// Total retries so far (the context object's `State.RetryCount`).
    pub(crate) fn total_retries(&self) -> u32 {
        self.retries_used.iter().sum()
    }

    /// The first retrier whose ErrorEquals matches decides: retry if it has attempts left, otherwise give up.
    pub(crate) fn next_retry(&mut self, error: &StateError) -> Option<RetryDecision> {
        let position = self.retriers.iter().position(|retrier| error_equals_matches(&retrier.error_equals, error))?;
        let retrier = &self.retriers[position];
        let used = &mut self.retries_used[position];
        if *used >= retrier.max_attempts {
            return None;
        }
        *used += 1;
        Some(RetryDecision { retry_number: *used, delay: retrier.delay(*used) })
    }
}

fn error_equals_field(rule: &serde_json::Map<String, Value>, is_last: bool) -> Result<Vec<String>, String> {
    let names = match rule.get("ErrorEquals") {
        Some(Value::Array(names)) if !names.is_empty() => names,
        _ => return Err("ErrorEquals must be a non-empty array of error names".to_owned()),
    };
    let names: Vec<String> = names
        .iter()
        .map(|name| name.as_str().map(str::to_owned).ok_or_else(|| "ErrorEquals entries must be strings".to_owned()))
        .collect::<Result<_, _>>()?;
    if names.iter().any(|name| name == error_names::ALL) {
        if names.len() != 1 {
            return Err("States.ALL must appear alone in its ErrorEquals".to_owned());
        }
        if !is_last {
            return Err("a rule with States.ALL must be the last one".to_owned());
        }
    }
    Ok(names)
}

fn check_fields(rule: &serde_json::Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    match rule.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(unknown) => Err(format!("unknown field '{unknown}' (allowed: {})", allowed.join(", "))),
        None => Ok(()),
    }
}

fn positive_number(rule: &serde_json::Map<String, Value>, field: &str, integer: bool) -> Result<Option<f64>, String> {
    match rule.get(field) {
        None => Ok(None),
        Some(value) => {
            let number = value.as_f64().filter(|n| *n > 0.0 && (!integer || value.is_u64()));
            let kind = if integer { "a positive integer" } else { "a positive number" };
            number.map(Some).ok_or_else(|| format!("{field} must be {kind}"))
        }
    }
}

/// Parses a `Retry` array.
pub(crate) fn parse_retriers(value: &Value) -> Result<Vec<Retrier>, String> {
    let rules = value.as_array().ok_or("Retry must be an array")?;
    rules
        .iter()
        .enumerate()
        .map(|(index, rule)| parse_retrier(rule, index + 1 == rules.len()).map_err(|e| format!("Retry[{index}]: {e}")))
        .collect()
}

fn parse_retrier(rule: &Value, is_last: bool) -> Result<Retrier, String> {
    let rule = rule.as_object().ok_or("must be an object")?;
    check_fields(
        rule,
        &[
            "ErrorEquals",
            "IntervalSeconds",
            "MaxAttempts",
            "BackoffRate",
            "MaxDelaySeconds",
            "JitterStrategy",
            "Comment",
        ],
    )?;
    let max_attempts = match rule.get("MaxAttempts") {
        None => 3,
        Some(value) => {
            value.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or("MaxAttempts must be a non-negative integer")?
        }
    };
    let backoff_rate = match rule.get("BackoffRate") {
        None => 2.0,
        Some(value) => value.as_f64().filter(|rate| *rate >= 1.0).ok_or("BackoffRate must be a number >= 1.0")?,
    };
    let jitter = match rule.get("JitterStrategy") {
        None => Jitter::None,
        Some(value) => match value.as_str() {
            Some("FULL") => Jitter::Full,
            Some("NONE") => Jitter::None,
            _ => return Err("JitterStrategy must be \"FULL\" or \"NONE\"".to_owned()),
        },
    };
    Ok(Retrier {
        error_equals: error_equals_field(rule, is_last)?,
        interval_seconds: positive_number(rule, "IntervalSeconds", true)?.unwrap_or(1.0),
        max_attempts,
        backoff_rate,
        max_delay_seconds: positive_number(rule, "MaxDelaySeconds", true)?,
        jitter,
    })
}

/// Parses a `Catch` array. `Next` targets are checked by the caller, which knows the state names.
pub(crate) fn parse_catchers(value: &Value) -> Result<Vec<Catcher>, String> {
    let rules = value.as_array().ok_or("Catch must be an array")?;
    rules
        .iter()
        .enumerate()
        .map(|(index, rule)| parse_catcher(rule, index + 1 == rules.len()).map_err(|e| format!("Catch[{index}]: {e}")))
        .collect()
}

fn parse_catcher(rule: &Value, is_last: bool) -> Result<Catcher, String> {
    let rule = rule.as_object().ok_or("must be an object")?;
    check_fields(rule, &["ErrorEquals", "Next", "ResultPath", "Comment"])?;
    let next = rule.get("Next").and_then(Value::as_str).ok_or("Next must be a state name")?.to_owned();
    let result_path = match rule.get("ResultPath") {
        None => Some(Path::whole_input()),
        Some(Value::Null) => None,
        Some(Value::String(path)) => Some(parse_result_path(path)?),
        Some(_) => return Err("ResultPath must be a Reference Path or null".to_owned()),
    };
    Ok(Catcher { error_equals: error_equals_field(rule, is_last)?, next, result_path })
}

/// Parses a ResultPath value (a Reference Path into the input, never the context object).
pub(crate) fn parse_result_path(text: &str) -> Result<Path, String> {
    let path = Path::parse_reference(text)?;
    if path.root() == crate::paths::Root::Context {
        return Err(format!("ResultPath '{text}' cannot write to the context object ($$)"));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retriers(value: Value) -> Vec<Retrier> {
        parse_retriers(&value).expect("valid Retry")
    }

    fn error(name: &str) -> StateError {
        StateError::new(name, "boom")
    }

    #[test]
    fn defaults_follow_the_specification() {
        let retrier = &retriers(json!([{"ErrorEquals": ["X"]}]))[0];
        assert_eq!(retrier.max_attempts, 3);
        assert_eq!(retrier.base_delay_seconds(1), 1.0);
        assert_eq!(retrier.base_delay_seconds(2), 2.0);
        assert_eq!(retrier.base_delay_seconds(3), 4.0);
        assert_eq!(retrier.jitter, Jitter::None);
    }

    #[test]
    fn backoff_is_capped_by_max_delay_seconds() {
        let rule = json!([{"ErrorEquals": ["X"], "IntervalSeconds": 3, "BackoffRate": 3.0, "MaxDelaySeconds": 20}]);
        let retrier = &retriers(rule)[0];
        let delays: Vec<f64> = (1..=4).map(|n| retrier.base_delay_seconds(n)).collect();
        assert_eq!(delays, vec![3.0, 9.0, 20.0, 20.0]);
    }

    #[test]
    fn full_jitter_stays_between_zero_and_the_computed_delay() {
        let rule = json!([{"ErrorEquals": ["X"], "IntervalSeconds": 2, "JitterStrategy": "FULL", "MaxAttempts": 50}]);
        let retrier = &retriers(rule)[0];
        let delays: Vec<Duration> = (0..200).map(|_| retrier.delay(3)).collect();
        assert!(delays.iter().all(|delay| *delay <= Duration::from_secs(8)));
        assert!(delays.iter().any(|delay| *delay < Duration::from_secs(4)), "jitter should spread the delays");
    }

    #[test]
    fn states_all_and_task_failed_wildcards() {
        let all = [error_names::ALL.to_owned()];
        let task_failed = [error_names::TASK_FAILED.to_owned()];
        assert!(error_equals_matches(&all, &error("Custom")));
        assert!(error_equals_matches(&all, &error(error_names::TIMEOUT)));
        assert!(!error_equals_matches(&all, &error(error_names::RUNTIME)));
        assert!(!error_equals_matches(&all, &error(error_names::DATA_LIMIT_EXCEEDED)));
        assert!(error_equals_matches(&task_failed, &error("Custom")));
        assert!(!error_equals_matches(&task_failed, &error(error_names::TIMEOUT)));
        assert!(!error_equals_matches(&["Other".to_owned()], &error("Custom")));
        assert!(!error_equals_matches(&[error_names::RUNTIME.to_owned()], &error(error_names::RUNTIME)));
    }

    #[test]
    fn first_matching_retrier_decides_and_counts_separately() {
        let rules = retriers(json!([
            {"ErrorEquals": ["A"], "MaxAttempts": 1},
            {"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}
        ]));
        let mut tracker = RetryTracker::new(&rules);
        assert!(tracker.next_retry(&error("A")).is_some());
        assert!(tracker.next_retry(&error("A")).is_none(), "the A retrier is exhausted; States.ALL must not take over");
        assert_eq!(tracker.next_retry(&error("B")).map(|d| d.retry_number), Some(1));
        assert_eq!(tracker.next_retry(&error("B")).map(|d| d.retry_number), Some(2));
        assert!(tracker.next_retry(&error("B")).is_none());
        assert_eq!(tracker.total_retries(), 3);
    }

    #[test]
    fn max_attempts_zero_never_retries() {
        let rules = retriers(json!([{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]));
        assert!(RetryTracker::new(&rules).next_retry(&error("A")).is_none());
    }

    #[test]
    fn rejects_invalid_rules() {
        for (rule, expected) in [
            (json!([{"ErrorEquals": []}]), "non-empty"),
            (json!([{"ErrorEquals": ["States.ALL", "X"]}]), "alone"),
            (json!([{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]), "last"),
            (json!([{"ErrorEquals": ["X"], "BackoffRate": 0.5}]), "BackoffRate"),
            (json!([{"ErrorEquals": ["X"], "IntervalSeconds": 0}]), "IntervalSeconds"),
            (json!([{"ErrorEquals": ["X"], "JitterStrategy": "HALF"}]), "JitterStrategy"),
            (json!([{"ErrorEquals": ["X"], "Backoff": 2}]), "unknown field 'Backoff'"),
        ] {
            let message = parse_retriers(&rule).expect_err("invalid Retry");
            assert!(message.contains(expected), "{message} should mention {expected}");
        }
        let message = parse_catchers(&json!([{"ErrorEquals": ["X"]}])).expect_err("Catch without Next");
        assert!(message.contains("Next"), "{message}");
        let message = parse_catchers(&json!([{"ErrorEquals": ["X"], "Next": "A", "ResultPath": "$$.x"}]))
            .expect_err("ResultPath into the context object");
        assert!(message.contains("context object"), "{message}");
    }
}
