//! The context object (`$$`): facts about the execution, the state machine, the current state and, inside a Map's
//! ItemSelector, the current item. Built lazily, only when a path actually reads `$$`.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::paths::{Path, Root};

/// The execution-wide part of the context object.
#[derive(Debug, Clone)]
pub(crate) struct ExecutionInfo {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) start_time: String,
    pub(crate) input: Value,
    pub(crate) role_arn: String,
    pub(crate) state_machine_id: String,
    pub(crate) state_machine_name: String,
}

/// The current item of a Map iteration (`$$.Map.Item`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MapItem<'a> {
    pub(crate) index: usize,
    pub(crate) value: &'a Value,
}

/// The context object as seen from one state attempt.
#[derive(Debug)]
pub(crate) struct ContextObject<'a> {
    pub(crate) execution: &'a ExecutionInfo,
    pub(crate) state_name: &'a str,
    pub(crate) entered_time: &'a str,
    pub(crate) retry_count: u32,
    pub(crate) map_item: Option<MapItem<'a>>,
    built: OnceLock<Value>,
}

impl<'a> ContextObject<'a> {
    pub(crate) fn new(execution: &'a ExecutionInfo, state_name: &'a str, entered_time: &'a str) -> ContextObject<'a> {
        ContextObject { execution, state_name, entered_time, retry_count: 0, map_item: None, built: OnceLock::new() }
    }

    pub(crate) fn with_retry_count(&self, retry_count: u32) -> ContextObject<'a> {
        ContextObject { retry_count, built: OnceLock::new(), ..*self }
    }

    pub(crate) fn with_map_item(&self, map_item: MapItem<'a>) -> ContextObject<'a> {
        ContextObject { map_item: Some(map_item), built: OnceLock::new(), ..*self }
    }

    /// The context object as JSON. `Task.Token` is absent: no callback integrations run locally.
    pub(crate) fn value(&self) -> &Value {
        self.built.get_or_init(|| {
            let execution = self.execution;
            let mut context = json!({
                "Execution": {
                    "Id": execution.id,
                    "Input": execution.input,
                    "Name": execution.name,
                    "RoleArn": execution.role_arn,
                    "StartTime": execution.start_time,
                    "RedriveCount": 0,
                },
                "State": {
                    "EnteredTime": self.entered_time,
                    "Name": self.state_name,
                    "RetryCount": self.retry_count,
                },
                "StateMachine": {
                    "Id": execution.state_machine_id,
                    "Name": execution.state_machine_name,
                },
            });
            if let (Some(item), Some(object)) = (self.map_item, context.as_object_mut()) {
                object.insert("Map".to_owned(), json!({"Item": {"Index": item.index, "Value": item.value}}));
            }
            context
        })
    }
}

/// What paths and intrinsic functions evaluate against: the (effective) input and the context object.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    pub(crate) input: &'a Value,
    pub(crate) context: &'a ContextObject<'a>,
}

impl Env<'_> {
    /// Applies `path` to `$` or `$$` as its root says.
    pub(crate) fn select(&self, path: &Path) -> Option<Value> {
        match path.root() {
            Root::Input => path.select(self.input, &Value::Null),
            Root::Context => path.select(&Value::Null, self.context.value()),
        }
    }
}
