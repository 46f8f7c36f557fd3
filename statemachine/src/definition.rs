//! Loading a state machine definition: parses the JSON into typed states, and rejects — with the state and field
//! named — anything this interpreter does not implement or that Step Functions would refuse (unknown fields,
//! JSONata, Distributed Map, `.sync`/callback integrations, bad transitions, unreachable states, invalid rules).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use crate::choice::{ChoiceRule, parse_choices, parse_timestamp};
use crate::error_handling::{Catcher, Retrier, parse_catchers, parse_result_path, parse_retriers};
use crate::paths::Path;
use crate::template::{Expression, Template};

/// The Resource of an optimised Lambda integration whose result is wrapped in `{"Payload": ..., "StatusCode": 200}`.
pub const LAMBDA_INVOKE_RESOURCE: &str = "arn:aws:states:::lambda:invoke";

/// Why a definition was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DefinitionError {
    /// The state, as a path from the top level (`Tools/ItemProcessor/ToolLogs`); `None` for top-level problems.
    pub state: Option<String>,
    /// The offending field, when one is to blame.
    pub field: Option<String>,
    /// What is wrong, and what is expected instead.
    pub message: String,
}

impl std::fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid state machine definition: ")?;
        if let Some(state) = &self.state {
            write!(f, "state '{state}', ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "field '{field}': ")?;
        }
        f.write_str(&self.message)
    }
}

/// A parsed and validated state machine.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub(crate) root: Graph,
    pub(crate) timeout_seconds: Option<u64>,
    definition: Value,
}

/// A set of states with a start: the top level, a Parallel branch or a Map's item processor.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    pub(crate) start_at: String,
    pub(crate) states: BTreeMap<String, State>,
}

#[derive(Debug, Clone)]
pub(crate) struct State {
    pub(crate) name: String,
    /// Where the state sits, e.g. `Tools/ItemProcessor/ToolLogs`.
    pub(crate) location: String,
    pub(crate) state_type: String,
    pub(crate) input_path: DataFilter,
    pub(crate) output_path: DataFilter,
    pub(crate) kind: StateKind,
    pub(crate) definition: Value,
}

/// InputPath/OutputPath: absent means `$` (everything), `null` means `{}`.
#[derive(Debug, Clone)]
pub(crate) enum DataFilter {
    Everything,
    Nothing,
    Path(Path),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Transition {
    Next(String),
    End,
}

/// The fields shared by Task, Parallel and Map.
#[derive(Debug, Clone)]
pub(crate) struct Processing {
    pub(crate) parameters: Option<Template>,
    pub(crate) result_selector: Option<Template>,
    /// `None` when ResultPath is null: the result is discarded and the output is the input.
    pub(crate) result_path: Option<Path>,
    pub(crate) retriers: Vec<Retrier>,
    pub(crate) catchers: Vec<Catcher>,
}

/// How a Task reaches its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Integration {
    /// `"Resource": "${NameFunctionArn}"`: the handler's output is the result.
    LambdaFunction,
    /// `arn:aws:states:::lambda:invoke` with `Parameters.FunctionName`: the result wraps the output.
    LambdaInvoke,
}

#[derive(Debug, Clone)]
pub(crate) struct TaskTarget {
    pub(crate) resource: String,
    pub(crate) handler: String,
    pub(crate) integration: Integration,
}

#[derive(Debug, Clone)]
pub(crate) enum Seconds {
    Fixed(u64),
    Path(Path),
}

#[derive(Debug, Clone)]
pub(crate) enum WaitDuration {
    Seconds(Seconds),
    Timestamp(DateTime<FixedOffset>),
    TimestampPath(Path),
}

#[derive(Debug, Clone)]
pub(crate) enum FailField {
    Fixed(String),
    Dynamic(Expression),
}

#[derive(Debug, Clone)]
pub(crate) enum StateKind {
    Pass {
        parameters: Option<Template>,
        result: Option<Value>,
        result_path: Option<Path>,
        transition: Transition,
    },
    Task {
        target: TaskTarget,
        processing: Processing,
        timeout: Option<Seconds>,
        transition: Transition,
    },
    Choice {
        choices: Vec<ChoiceRule>,
        default: Option<String>,
    },
    Wait {
        duration: WaitDuration,
        transition: Transition,
    },
    Succeed,
    Fail {
        error: Option<FailField>,
        cause: Option<FailField>,
    },
    Parallel {
        branches: Vec<Graph>,
        processing: Processing,
        transition: Transition,
    },
    Map {
        items_path: Path,
        item_selector: Option<Template>,
        processor: Graph,
        /// 0 means no limit.
        max_concurrency: Seconds,
        processing: Processing,
        transition: Transition,
    },
}

/// A state as seen by [`StateMachine::states`].
#[derive(Debug, Clone, Copy)]
pub struct StateInfo<'a> {
    /// The state's name.
    pub name: &'a str,
    /// Where it sits: `Name` at the top level, `Map/ItemProcessor/Name` or `Par/Branches[1]/Name` when nested.
    pub path: &'a str,
    /// `Task`, `Choice`, `Map`, ...
    pub state_type: &'a str,
    /// The state's JSON as written in the definition.
    pub definition: &'a Value,
}

impl StateMachine {
    /// Parses and validates a JSONPath Amazon States Language definition.
    pub fn parse(json: &str) -> Result<StateMachine, DefinitionError> {
        let definition: Value = serde_json::from_str(json)
            .map_err(|error| top_level_error(None, format!("the definition is not valid JSON: {error}")))?;
        let object =
            definition.as_object().ok_or_else(|| top_level_error(None, "the definition must be a JSON object"))?;
        check_query_language(object, None)?;
        if let Some(unknown) = object.keys().find(|key| {
            !["StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"].contains(&key.as_str())
        }) {
            return Err(top_level_error(Some(unknown), "unknown top-level field"));
        }
        let timeout_seconds = match object.get("TimeoutSeconds") {
            None => None,
            Some(value) => Some(
                value
                    .as_u64()
                    .filter(|seconds| *seconds > 0)
                    .ok_or_else(|| top_level_error(Some("TimeoutSeconds"), "must be a positive integer"))?,
            ),
        };
        let root = parse_graph(object, "")?;
        Ok(StateMachine { root, timeout_seconds, definition })
    }

    /// The definition's JSON.
    pub fn definition(&self) -> &Value {
        &self.definition
    }

    /// Every state, including those inside Map item processors and Parallel branches: a container comes before its
    /// children, and the states of one level are sorted by name.
    pub fn states(&self) -> Vec<StateInfo<'_>> {
        let mut found = Vec::new();
        collect_states(&self.root, &mut found);
        found
    }

    /// Every Task `Resource` string, sorted and without duplicates.
    pub fn task_resources(&self) -> Vec<String> {
        let resources: BTreeSet<String> = self.tasks().map(|target| target.resource.clone()).collect();
        resources.into_iter().collect()
    }

    /// The handler names the Tasks need (`ToolLogs` for `${ToolLogsFunctionArn}`), sorted.
    pub fn task_handlers(&self) -> BTreeSet<String> {
        self.tasks().map(|target| target.handler.clone()).collect()
    }

    /// Every error name used in a Retry or Catch `ErrorEquals`, including `States.*` names.
    pub fn error_equals_names(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for state in all_states(&self.root) {
            if let Some(processing) = state.processing() {
                let retried = processing.retriers.iter().flat_map(|retrier| retrier.error_equals.iter());
                let caught = processing.catchers.iter().flat_map(|catcher| catcher.error_equals.iter());
                names.extend(retried.chain(caught).cloned());
            }
        }
        names
    }

    /// The Task targets with the states that use them.
    pub(crate) fn task_states(&self) -> impl Iterator<Item = (&State, &TaskTarget)> {
        all_states(&self.root).into_iter().filter_map(|state| match &state.kind {
            StateKind::Task { target, .. } => Some((state, target)),
            _ => None,
        })
    }

    fn tasks(&self) -> impl Iterator<Item = &TaskTarget> {
        self.task_states().map(|(_, target)| target)
    }
}

impl State {
    fn processing(&self) -> Option<&Processing> {
        match &self.kind {
            StateKind::Task { processing, .. }
            | StateKind::Parallel { processing, .. }
            | StateKind::Map { processing, .. } => Some(processing),
            _ => None,
        }
    }

    fn nested_graphs(&self) -> Vec<&Graph> {
        match &self.kind {
            StateKind::Parallel { branches, .. } => branches.iter().collect(),
            StateKind::Map { processor, .. } => vec![processor],
            _ => Vec::new(),
        }
    }

    /// The states this one may hand over to.
    fn successors(&self) -> Vec<&str> {
        let transition = match &self.kind {
            StateKind::Pass { transition, .. }
            | StateKind::Task { transition, .. }
            | StateKind::Wait { transition, .. }
            | StateKind::Parallel { transition, .. }
            | StateKind::Map { transition, .. } => Some(transition),
            _ => None,
        };
        let mut next: Vec<&str> = Vec::new();
        if let Some(Transition::Next(name)) = transition {
            next.push(name);
        }
        if let StateKind::Choice { choices, default } = &self.kind {
            next.extend(choices.iter().map(|choice| choice.next.as_str()));
            next.extend(default.as_deref());
        }
        if let Some(processing) = self.processing() {
            next.extend(processing.catchers.iter().map(|catcher| catcher.next.as_str()));
        }
        next
    }
}

fn all_states(graph: &Graph) -> Vec<&State> {
    let mut states = Vec::new();
    for state in graph.states.values() {
        states.push(state);
        for nested in state.nested_graphs() {
            states.extend(all_states(nested));
        }
    }
    states
}

fn collect_states<'a>(graph: &'a Graph, found: &mut Vec<StateInfo<'a>>) {
    for state in graph.states.values() {
        found.push(StateInfo {
            name: &state.name,
            path: &state.location,
            state_type: &state.state_type,
            definition: &state.definition,
        });
        for nested in state.nested_graphs() {
            collect_states(nested, found);
        }
    }
}

fn top_level_error(field: Option<&str>, message: impl Into<String>) -> DefinitionError {
    DefinitionError { state: None, field: field.map(str::to_owned), message: message.into() }
}

fn check_query_language(object: &Map<String, Value>, state: Option<&str>) -> Result<(), DefinitionError> {
    match object.get("QueryLanguage") {
        None => Ok(()),
        Some(Value::String(language)) if language == "JSONPath" => Ok(()),
        Some(other) => Err(DefinitionError {
            state: state.map(str::to_owned),
            field: Some("QueryLanguage".to_owned()),
            message: format!(
                "QueryLanguage {other} is not supported: this interpreter implements JSONPath only (not JSONata)"
            ),
        }),
    }
}

/// Parses `StartAt` + `States` and checks transitions and reachability. `prefix` locates the graph's states.
fn parse_graph(object: &Map<String, Value>, prefix: &str) -> Result<Graph, DefinitionError> {
    let graph_error = |field: &str, message: String| DefinitionError {
        state: (!prefix.is_empty()).then(|| prefix.trim_end_matches('/').to_owned()),
        field: Some(field.to_owned()),
        message,
    };
    let start_at = object
        .get("StartAt")
        .and_then(Value::as_str)
        .ok_or_else(|| graph_error("StartAt", "must name the first state".to_owned()))?
        .to_owned();
    let definitions = object
        .get("States")
        .and_then(Value::as_object)
        .filter(|states| !states.is_empty())
        .ok_or_else(|| graph_error("States", "must be a non-empty object of states".to_owned()))?;
    let states = definitions
        .iter()
        .map(|(name, definition)| {
            parse_state(name, &format!("{prefix}{name}"), definition).map(|state| (name.clone(), state))
        })
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    if !states.contains_key(&start_at) {
        return Err(graph_error("StartAt", format!("names '{start_at}', which is not one of the States")));
    }
    for state in states.values() {
        if let Some(missing) = state.successors().into_iter().find(|next| !states.contains_key(*next)) {
            return Err(DefinitionError {
                state: Some(state.location.clone()),
                field: None,
                message: format!("transitions to '{missing}', which is not a state at this level"),
            });
        }
    }
    let mut reached = BTreeSet::from([start_at.as_str()]);
    let mut queue = VecDeque::from([start_at.as_str()]);
    while let Some(name) = queue.pop_front() {
        for next in states.get(name).map(State::successors).unwrap_or_default() {
            if reached.insert(next) {
                queue.push_back(next);
            }
        }
    }
    if let Some(unreachable) = states.values().find(|state| !reached.contains(state.name.as_str())) {
        return Err(DefinitionError {
            state: Some(unreachable.location.clone()),
            field: None,
            message: format!("is unreachable from StartAt '{start_at}'"),
        });
    }
    Ok(Graph { start_at, states })
}

/// Fields every state type accepts.
const COMMON_FIELDS: &[&str] = &["Type", "Comment", "QueryLanguage"];

fn allowed_fields(state_type: &str) -> Option<&'static [&'static str]> {
    Some(match state_type {
        "Pass" => &["InputPath", "OutputPath", "Next", "End", "Parameters", "ResultPath", "Result"],
        "Task" => &[
            "InputPath",
            "OutputPath",
            "Next",
            "End",
            "Resource",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
        ],
        "Choice" => &["InputPath", "OutputPath", "Choices", "Default"],
        "Wait" => &["InputPath", "OutputPath", "Next", "End", "Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
        "Succeed" => &["InputPath", "OutputPath"],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &[
            "InputPath",
            "OutputPath",
            "Next",
            "End",
            "Branches",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
        ],
        "Map" => &[
            "InputPath",
            "OutputPath",
            "Next",
            "End",
            "ItemsPath",
            "ItemSelector",
            "Parameters",
            "Iterator",
            "ItemProcessor",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
        ],
        _ => return None,
    })
}

/// Why a known-but-unimplemented field is refused.
fn unsupported_reason(field: &str) -> Option<&'static str> {
    Some(match field {
        "Arguments" | "Output" | "Items" => "is JSONata syntax; this interpreter implements JSONPath only",
        "Assign" => "(workflow variables) is not supported",
        "Credentials" => "(cross-account Tasks) is not supported",
        "ItemReader"
        | "ResultWriter"
        | "ItemBatcher"
        | "ToleratedFailurePercentage"
        | "ToleratedFailurePercentagePath"
        | "ToleratedFailureCount"
        | "ToleratedFailureCountPath"
        | "Label" => "belongs to Distributed Map, which is not supported (use an inline Map)",
        _ => return None,
    })
}

/// Field access with errors that name the state and the field.
struct StateFields<'a> {
    object: &'a Map<String, Value>,
    location: &'a str,
}

impl StateFields<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> DefinitionError {
        DefinitionError {
            state: Some(self.location.to_owned()),
            field: (!field.is_empty()).then(|| field.to_owned()),
            message: message.into(),
        }
    }

    fn get(&self, field: &str) -> Option<&Value> {
        self.object.get(field)
    }

    fn string(&self, field: &str) -> Result<Option<&str>, DefinitionError> {
        match self.object.get(field) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(self.error(field, "must be a string")),
        }
    }

    fn exclusive(&self, first: &str, second: &str) -> Result<(), DefinitionError> {
        if self.object.contains_key(first) && self.object.contains_key(second) {
            Err(self.error(second, format!("cannot be combined with {first}")))
        } else {
            Ok(())
        }
    }

    fn data_filter(&self, field: &str) -> Result<DataFilter, DefinitionError> {
        match self.object.get(field) {
            None => Ok(DataFilter::Everything),
            Some(Value::Null) => Ok(DataFilter::Nothing),
            Some(Value::String(text)) => Path::parse(text).map(DataFilter::Path).map_err(|e| self.error(field, e)),
            Some(_) => Err(self.error(field, "must be a JSONPath string or null")),
        }
    }

    fn reference_path(&self, field: &str) -> Result<Option<Path>, DefinitionError> {
        self.string(field)?.map(|text| Path::parse_reference(text).map_err(|e| self.error(field, e))).transpose()
    }

    fn template(&self, field: &str) -> Result<Option<Template>, DefinitionError> {
        self.object.get(field).map(|value| Template::compile(value).map_err(|e| self.error(field, e))).transpose()
    }

    fn result_path(&self) -> Result<Option<Path>, DefinitionError> {
        match self.object.get("ResultPath") {
            None => Ok(Some(Path::whole_input())),
            Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => parse_result_path(text).map(Some).map_err(|e| self.error("ResultPath", e)),
            Some(_) => Err(self.error("ResultPath", "must be a Reference Path or null")),
        }
    }

    fn seconds(&self, field: &str, path_field: &str, allow_zero: bool) -> Result<Option<Seconds>, DefinitionError> {
        self.exclusive(field, path_field)?;
        if let Some(value) = self.get(field) {
            let seconds = value.as_u64().filter(|seconds| allow_zero || *seconds > 0);
            let expected = if allow_zero { "a non-negative integer" } else { "a positive integer" };
            return seconds
                .map(|s| Some(Seconds::Fixed(s)))
                .ok_or_else(|| self.error(field, format!("must be {expected}")));
        }
        Ok(self.reference_path(path_field)?.map(Seconds::Path))
    }

    fn transition(&self) -> Result<Transition, DefinitionError> {
        match (self.get("Next"), self.get("End")) {
            (Some(_), Some(_)) => Err(self.error("End", "a state cannot have both Next and End")),
            (Some(Value::String(next)), None) => Ok(Transition::Next(next.clone())),
            (Some(_), None) => Err(self.error("Next", "must be a state name")),
            (None, Some(Value::Bool(true))) => Ok(Transition::End),
            (None, Some(_)) => Err(self.error("End", "must be true (or use Next)")),
            (None, None) => Err(self.error("", "needs either Next or \"End\": true")),
        }
    }

    fn processing(&self) -> Result<Processing, DefinitionError> {
        Ok(Processing {
            parameters: self.template("Parameters")?,
            result_selector: self.template("ResultSelector")?,
            result_path: self.result_path()?,
            retriers: self
                .get("Retry")
                .map(|value| parse_retriers(value).map_err(|e| self.error("Retry", e)))
                .transpose()?
                .unwrap_or_default(),
            catchers: self
                .get("Catch")
                .map(|value| parse_catchers(value).map_err(|e| self.error("Catch", e)))
                .transpose()?
                .unwrap_or_default(),
        })
    }

    fn fail_field(&self, field: &str, path_field: &str) -> Result<Option<FailField>, DefinitionError> {
        self.exclusive(field, path_field)?;
        if let Some(text) = self.string(field)? {
            return Ok(Some(FailField::Fixed(text.to_owned())));
        }
        self.string(path_field)?
            .map(|text| Expression::parse(text).map(FailField::Dynamic).map_err(|e| self.error(path_field, e)))
            .transpose()
    }
}

fn parse_state(name: &str, location: &str, definition: &Value) -> Result<State, DefinitionError> {
    let object = definition.as_object().ok_or_else(|| DefinitionError {
        state: Some(location.to_owned()),
        field: None,
        message: "a state must be a JSON object".to_owned(),
    })?;
    let fields = StateFields { object, location };
    check_query_language(object, Some(location))?;
    let state_type = fields.string("Type")?.ok_or_else(|| fields.error("Type", "is required"))?;
    let allowed = allowed_fields(state_type).ok_or_else(|| {
        fields.error(
            "Type",
            format!(
                "unknown state type '{state_type}' (expected Task, Choice, Map, Parallel, Pass, Wait, Succeed or Fail)"
            ),
        )
    })?;
    for field in object.keys() {
        if COMMON_FIELDS.contains(&field.as_str()) || allowed.contains(&field.as_str()) {
            continue;
        }
        let message = match unsupported_reason(field) {
            Some(reason) => format!("{field} {reason}"),
            None => format!("unknown field for a {state_type} state (allowed: {})", allowed.join(", ")),
        };
        return Err(fields.error(field, message));
    }
    let kind = match state_type {
        "Pass" => StateKind::Pass {
            parameters: fields.template("Parameters")?,
            result: fields.get("Result").cloned(),
            result_path: fields.result_path()?,
            transition: fields.transition()?,
        },
        "Task" => parse_task(&fields)?,
        "Choice" => StateKind::Choice {
            choices: parse_choices(fields.get("Choices").unwrap_or(&Value::Null))
                .map_err(|e| fields.error("Choices", e))?,
            default: fields.string("Default")?.map(str::to_owned),
        },
        "Wait" => parse_wait(&fields)?,
        "Succeed" => StateKind::Succeed,
        "Fail" => StateKind::Fail {
            error: fields.fail_field("Error", "ErrorPath")?,
            cause: fields.fail_field("Cause", "CausePath")?,
        },
        "Parallel" => parse_parallel(&fields)?,
        _ => parse_map(&fields)?,
    };
    Ok(State {
        name: name.to_owned(),
        location: location.to_owned(),
        state_type: state_type.to_owned(),
        input_path: fields.data_filter("InputPath")?,
        output_path: fields.data_filter("OutputPath")?,
        kind,
        definition: definition.clone(),
    })
}

/// The handler name inside a `${NameFunctionArn}` placeholder.
fn handler_from_placeholder(text: &str) -> Option<String> {
    let name = text.strip_prefix("${")?.strip_suffix("FunctionArn}")?;
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric())).then(|| name.to_owned())
}

fn parse_task(fields: &StateFields<'_>) -> Result<StateKind, DefinitionError> {
    let resource = fields.string("Resource")?.ok_or_else(|| fields.error("Resource", "is required"))?;
    let processing = fields.processing()?;
    let target = if let Some(handler) = handler_from_placeholder(resource) {
        TaskTarget { resource: resource.to_owned(), handler, integration: Integration::LambdaFunction }
    } else if resource == LAMBDA_INVOKE_RESOURCE {
        let parameters = processing.parameters.as_ref().ok_or_else(|| {
            fields.error("Parameters", format!("{LAMBDA_INVOKE_RESOURCE} needs Parameters with a FunctionName"))
        })?;
        if let Some(unknown) = parameters
            .field_names()
            .into_iter()
            .find(|key| !["FunctionName", "Payload", "Payload.$", "Qualifier"].contains(&key.as_str()))
        {
            return Err(fields.error(
                "Parameters",
                format!(
                    "'{unknown}' is not supported for {LAMBDA_INVOKE_RESOURCE} (use FunctionName, Payload, Qualifier)"
                ),
            ));
        }
        let function_name = match parameters.static_field("FunctionName") {
            Some(Template::Literal(Value::String(name))) => name,
            _ => {
                return Err(fields.error(
                    "Parameters",
                    "FunctionName must be a literal '${NameFunctionArn}' placeholder (FunctionName.$ is not supported)",
                ));
            }
        };
        let handler = handler_from_placeholder(function_name).ok_or_else(|| {
            fields.error(
                "Parameters",
                format!("FunctionName '{function_name}' must be a '${{NameFunctionArn}}' placeholder"),
            )
        })?;
        TaskTarget { resource: resource.to_owned(), handler, integration: Integration::LambdaInvoke }
    } else if let Some(pattern) =
        [".sync:2", ".sync", ".waitForTaskToken"].iter().find(|suffix| resource.ends_with(*suffix))
    {
        return Err(fields.error(
            "Resource",
            format!("the '{pattern}' integration pattern is not supported (Resource '{resource}')"),
        ));
    } else {
        return Err(fields.error(
            "Resource",
            format!(
                "unsupported Task Resource '{resource}': expected '${{NameFunctionArn}}' or '{LAMBDA_INVOKE_RESOURCE}'"
            ),
        ));
    };
    fields.seconds("HeartbeatSeconds", "HeartbeatSecondsPath", false)?;
    Ok(StateKind::Task {
        target,
        processing,
        timeout: fields.seconds("TimeoutSeconds", "TimeoutSecondsPath", false)?,
        transition: fields.transition()?,
    })
}

fn parse_wait(fields: &StateFields<'_>) -> Result<StateKind, DefinitionError> {
    let present: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
        .into_iter()
        .filter(|field| fields.get(field).is_some())
        .collect();
    if present.len() != 1 {
        return Err(
            fields.error("", "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath")
        );
    }
    let duration =
        if let Some(text) = fields.string("Timestamp")? {
            WaitDuration::Timestamp(parse_timestamp(text).ok_or_else(|| {
                fields.error("Timestamp", "must be an RFC 3339 timestamp such as 2016-03-14T01:59:00Z")
            })?)
        } else if let Some(path) = fields.reference_path("TimestampPath")? {
            WaitDuration::TimestampPath(path)
        } else {
            match fields.seconds("Seconds", "SecondsPath", true)? {
                Some(seconds) => WaitDuration::Seconds(seconds),
                None => return Err(fields.error("Seconds", "is required")),
            }
        };
    Ok(StateKind::Wait { duration, transition: fields.transition()? })
}

fn parse_parallel(fields: &StateFields<'_>) -> Result<StateKind, DefinitionError> {
    let branches = fields
        .get("Branches")
        .and_then(Value::as_array)
        .filter(|branches| !branches.is_empty())
        .ok_or_else(|| fields.error("Branches", "must be a non-empty array of state machines"))?;
    let branches = branches
        .iter()
        .enumerate()
        .map(|(index, branch)| {
            let object = branch
                .as_object()
                .ok_or_else(|| fields.error("Branches", format!("Branches[{index}] must be an object")))?;
            let prefix = format!("{}/Branches[{index}]/", fields.location);
            sub_machine(fields, object, &prefix, &["StartAt", "States", "Comment"], "Branches")
        })
        .collect::<Result<_, _>>()?;
    Ok(StateKind::Parallel { branches, processing: fields.processing()?, transition: fields.transition()? })
}

/// Parses a Parallel branch or Map processor after checking its fields.
fn sub_machine(
    fields: &StateFields<'_>,
    object: &Map<String, Value>,
    prefix: &str,
    allowed: &[&str],
    field: &str,
) -> Result<Graph, DefinitionError> {
    if let Some(unknown) = object.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(fields.error(field, format!("unknown field '{unknown}' (allowed: {})", allowed.join(", "))));
    }
    parse_graph(object, prefix)
}

fn parse_map(fields: &StateFields<'_>) -> Result<StateKind, DefinitionError> {
    fields.exclusive("Iterator", "ItemProcessor")?;
    fields.exclusive("Parameters", "ItemSelector")?;
    let (processor_field, processor) = match (fields.get("ItemProcessor"), fields.get("Iterator")) {
        (Some(processor), _) => ("ItemProcessor", processor),
        (None, Some(iterator)) => ("Iterator", iterator),
        (None, None) => return Err(fields.error("ItemProcessor", "is required (or the legacy Iterator)")),
    };
    let processor = processor.as_object().ok_or_else(|| fields.error(processor_field, "must be an object"))?;
    if let Some(config) = processor.get("ProcessorConfig") {
        let mode = config.get("Mode").and_then(Value::as_str).unwrap_or("INLINE");
        if mode != "INLINE" {
            return Err(fields.error(
                processor_field,
                format!(
                    "ProcessorConfig.Mode '{mode}' is not supported: Distributed Map is not implemented (use INLINE)"
                ),
            ));
        }
        if let Some(unknown) = config.as_object().and_then(|config| config.keys().find(|key| key.as_str() != "Mode")) {
            return Err(
                fields.error(processor_field, format!("ProcessorConfig.{unknown} is not supported for an inline Map"))
            );
        }
    }
    let prefix = format!("{}/{processor_field}/", fields.location);
    let processor =
        sub_machine(fields, processor, &prefix, &["StartAt", "States", "Comment", "ProcessorConfig"], processor_field)?;
    let mut processing = fields.processing()?;
    // The legacy Parameters of a Map is the ItemSelector under its old name.
    let legacy_parameters = processing.parameters.take();
    let max_concurrency = match fields.seconds("MaxConcurrency", "MaxConcurrencyPath", true)? {
        Some(concurrency) => concurrency,
        None => Seconds::Fixed(0),
    };
    Ok(StateKind::Map {
        items_path: fields.reference_path("ItemsPath")?.unwrap_or_else(Path::whole_input),
        item_selector: fields.template("ItemSelector")?.or(legacy_parameters),
        processor,
        max_concurrency,
        processing,
        transition: fields.transition()?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(definition: Value) -> Result<StateMachine, DefinitionError> {
        StateMachine::parse(&definition.to_string())
    }

    fn rejection(definition: Value) -> DefinitionError {
        parse(definition).expect_err("the definition should be rejected")
    }

    fn single_state(state: Value) -> Value {
        json!({"StartAt": "S", "States": {"S": state}})
    }

    fn assert_rejected(definition: Value, state: Option<&str>, field: Option<&str>, message_part: &str) {
        let error = rejection(definition);
        assert_eq!(error.state.as_deref(), state, "{error}");
        assert_eq!(error.field.as_deref(), field, "{error}");
        assert!(error.to_string().contains(message_part), "'{error}' should contain '{message_part}'");
    }

    fn nested_machine() -> Value {
        json!({
            "Comment": "nested",
            "StartAt": "Fanout",
            "States": {
                "Fanout": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${AlphaFunctionArn}", "End": true,
                            "Retry": [{"ErrorEquals": ["Transient", "States.Timeout"]}]}}},
                        {"StartAt": "Tools", "States": {"Tools": {
                            "Type": "Map",
                            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "B", "States": {
                                "B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                      "Parameters": {"FunctionName": "${BetaFunctionArn}", "Payload.$": "$"}, "End": true}
                            }},
                            "End": true
                        }}}
                    ],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                    "Next": "Done"
                },
                "Done": {"Type": "Succeed"}
            }
        })
    }

    #[test]
    fn lists_states_resources_handlers_and_error_names() {
        let machine = parse(nested_machine()).expect("valid");
        let states: Vec<(String, String)> =
            machine.states().iter().map(|s| (s.path.to_owned(), s.state_type.to_owned())).collect();
        assert_eq!(
            states,
            vec![
                ("Done".to_owned(), "Succeed".to_owned()),
                ("Fanout".to_owned(), "Parallel".to_owned()),
                ("Fanout/Branches[0]/A".to_owned(), "Task".to_owned()),
                ("Fanout/Branches[1]/Tools".to_owned(), "Map".to_owned()),
                ("Fanout/Branches[1]/Tools/ItemProcessor/B".to_owned(), "Task".to_owned()),
            ]
        );
        assert_eq!(machine.task_resources(), vec!["${AlphaFunctionArn}", "arn:aws:states:::lambda:invoke"]);
        assert_eq!(machine.task_handlers(), BTreeSet::from(["Alpha".to_owned(), "Beta".to_owned()]));
        assert_eq!(
            machine.error_equals_names(),
            BTreeSet::from(["States.ALL".to_owned(), "States.Timeout".to_owned(), "Transient".to_owned()])
        );
        assert_eq!(machine.states()[2].definition["Resource"], json!("${AlphaFunctionArn}"));
    }

    #[test]
    fn rejects_structural_problems() {
        assert_rejected(json!([]), None, None, "must be a JSON object");
        assert_rejected(json!({"States": {}}), None, Some("StartAt"), "first state");
        assert_rejected(json!({"StartAt": "X", "States": {"S": {"Type": "Succeed"}}}), None, Some("StartAt"), "'X'");
        assert_rejected(
            json!({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}, "Extra": 1}),
            None,
            Some("Extra"),
            "unknown",
        );
        assert_rejected(single_state(json!({"Type": "Pass"})), Some("S"), None, "Next or \"End\": true");
        assert_rejected(
            single_state(json!({"Type": "Pass", "End": true, "Next": "S"})),
            Some("S"),
            Some("End"),
            "both",
        );
        assert_rejected(single_state(json!({"Type": "Pass", "Next": "Nowhere"})), Some("S"), None, "'Nowhere'");
        assert_rejected(single_state(json!({"Type": "Pass", "End": false})), Some("S"), Some("End"), "must be true");
        assert_rejected(
            json!({"StartAt": "S", "States": {"S": {"Type": "Succeed"}, "Orphan": {"Type": "Succeed"}}}),
            Some("Orphan"),
            None,
            "unreachable",
        );
        assert_rejected(
            single_state(json!({"Type": "Loop", "End": true})),
            Some("S"),
            Some("Type"),
            "unknown state type 'Loop'",
        );
        assert_rejected(
            single_state(json!({"Type": "Pass", "End": true, "Foo": 1})),
            Some("S"),
            Some("Foo"),
            "unknown field",
        );
        assert_rejected(
            single_state(json!({"Type": "Succeed", "Next": "S"})),
            Some("S"),
            Some("Next"),
            "unknown field",
        );
    }

    #[test]
    fn rejects_unsupported_features_by_name() {
        assert_rejected(
            json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}),
            None,
            Some("QueryLanguage"),
            "JSONata",
        );
        assert_rejected(
            single_state(json!({"Type": "Pass", "QueryLanguage": "JSONata", "End": true})),
            Some("S"),
            Some("QueryLanguage"),
            "JSONata",
        );
        assert_rejected(
            single_state(json!({"Type": "Pass", "Output": {}, "End": true})),
            Some("S"),
            Some("Output"),
            "JSONata",
        );
        assert_rejected(
            single_state(json!({"Type": "Pass", "Assign": {}, "End": true})),
            Some("S"),
            Some("Assign"),
            "variables",
        );
        let distributed = json!({"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Succeed"}}}, "End": true});
        assert_rejected(single_state(distributed), Some("S"), Some("ItemProcessor"), "Distributed Map");
        let reader = json!({"Type": "Map", "ItemReader": {}, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}, "End": true});
        assert_rejected(single_state(reader), Some("S"), Some("ItemReader"), "Distributed Map");
        let writer = json!({"Type": "Map", "ResultWriter": {}, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}, "End": true});
        assert_rejected(single_state(writer), Some("S"), Some("ResultWriter"), "Distributed Map");
        for (resource, expected) in [
            ("arn:aws:states:::states:startExecution.sync", "'.sync' integration pattern"),
            ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", "'.waitForTaskToken'"),
            ("arn:aws:states:::sns:publish", "unsupported Task Resource"),
            ("arn:aws:lambda:us-east-1:123:function:x", "unsupported Task Resource"),
            ("${lower-caseFunctionArn}", "unsupported Task Resource"),
        ] {
            assert_rejected(
                single_state(json!({"Type": "Task", "Resource": resource, "End": true})),
                Some("S"),
                Some("Resource"),
                expected,
            );
        }
        let invoke = |parameters: Value| {
            single_state(
                json!({"Type": "Task", "Resource": LAMBDA_INVOKE_RESOURCE, "Parameters": parameters, "End": true}),
            )
        };
        assert_rejected(
            invoke(json!({"FunctionName.$": "$.f"})),
            Some("S"),
            Some("Parameters"),
            "'FunctionName.$' is not supported",
        );
        assert_rejected(invoke(json!({"FunctionName": "my-function"})), Some("S"), Some("Parameters"), "placeholder");
        assert_rejected(
            invoke(json!({"FunctionName": "${XFunctionArn}", "InvocationType": "Event"})),
            Some("S"),
            Some("Parameters"),
            "InvocationType",
        );
        assert_rejected(
            single_state(json!({"Type": "Pass", "Parameters": {"x.$": "States.Eval('1')"}, "End": true})),
            Some("S"),
            Some("Parameters"),
            "unknown intrinsic function 'States.Eval'",
        );
    }

    #[test]
    fn rejects_invalid_state_fields() {
        assert_rejected(
            single_state(json!({"Type": "Choice", "Choices": []})),
            Some("S"),
            Some("Choices"),
            "non-empty",
        );
        assert_rejected(
            single_state(json!({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "Nope"}]})),
            Some("S"),
            None,
            "'Nope'",
        );
        assert_rejected(single_state(json!({"Type": "Wait", "End": true})), Some("S"), None, "exactly one of");
        assert_rejected(
            single_state(json!({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true})),
            Some("S"),
            None,
            "exactly one of",
        );
        assert_rejected(
            single_state(json!({"Type": "Wait", "Seconds": -1, "End": true})),
            Some("S"),
            Some("Seconds"),
            "non-negative",
        );
        assert_rejected(
            single_state(json!({"Type": "Wait", "Timestamp": "tomorrow", "End": true})),
            Some("S"),
            Some("Timestamp"),
            "RFC 3339",
        );
        assert_rejected(
            single_state(json!({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"})),
            Some("S"),
            Some("ErrorPath"),
            "cannot be combined",
        );
        assert_rejected(
            single_state(json!({"Type": "Pass", "ResultPath": "$.a[*]", "End": true})),
            Some("S"),
            Some("ResultPath"),
            "Reference Path",
        );
        assert_rejected(
            single_state(json!({"Type": "Pass", "InputPath": 3, "End": true})),
            Some("S"),
            Some("InputPath"),
            "JSONPath string or null",
        );
        assert_rejected(
            single_state(json!({"Type": "Task", "Resource": "${XFunctionArn}", "TimeoutSeconds": 0, "End": true})),
            Some("S"),
            Some("TimeoutSeconds"),
            "positive",
        );
        assert_rejected(
            single_state(
                json!({"Type": "Task", "Resource": "${XFunctionArn}", "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}], "End": true}),
            ),
            Some("S"),
            Some("Retry"),
            "last",
        );
        assert_rejected(
            single_state(
                json!({"Type": "Task", "Resource": "${XFunctionArn}", "Catch": [{"ErrorEquals": ["X"], "Next": "Gone"}], "End": true}),
            ),
            Some("S"),
            None,
            "'Gone'",
        );
        assert_rejected(
            single_state(
                json!({"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass"}}}, "End": true}),
            ),
            Some("S/ItemProcessor/P"),
            None,
            "Next or \"End\"",
        );
        assert_rejected(
            single_state(json!({"Type": "Map", "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}},
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}, "End": true})),
            Some("S"),
            Some("ItemProcessor"),
            "cannot be combined",
        );
        assert_rejected(
            single_state(
                json!({"Type": "Parallel", "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Succeed"}}, "Extra": 1}], "End": true}),
            ),
            Some("S"),
            Some("Branches"),
            "unknown field 'Extra'",
        );
    }

    #[test]
    fn accepts_legacy_iterator_and_parameters() {
        let machine = parse(single_state(json!({
            "Type": "Map", "ItemsPath": "$.items", "Parameters": {"item.$": "$$.Map.Item.Value"}, "MaxConcurrency": 2,
            "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true
        })));
        let machine = machine.expect("valid");
        let Some(State { kind: StateKind::Map { item_selector, processing, .. }, .. }) = machine.root.states.get("S")
        else {
            panic!("S should be a Map state");
        };
        assert!(item_selector.is_some(), "legacy Parameters act as the ItemSelector");
        assert!(processing.parameters.is_none());
    }

    #[test]
    fn error_message_names_state_and_field() {
        let error =
            rejection(single_state(json!({"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": true})));
        assert_eq!(
            error.to_string(),
            "invalid state machine definition: state 'S', field 'Resource': unsupported Task Resource \
             'arn:aws:states:::sns:publish': expected '${NameFunctionArn}' or 'arn:aws:states:::lambda:invoke'"
        );
    }
}
