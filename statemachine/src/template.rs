//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`): JSON whose `"key.$"` fields are replaced by
//! the value of a path or an intrinsic function, recursively through nested objects and arrays.

use serde_json::{Map, Value};

use crate::context::Env;
use crate::error_handling::StateError;
use crate::intrinsics::Call;
use crate::paths::Path;

/// What a `.$` field (or a Fail state's `ErrorPath`/`CausePath`) computes its value from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expression {
    Path(Path),
    Intrinsic(Call),
}

impl Expression {
    /// Parses a path (`$...`, `$$...`) or an intrinsic function call (`States.X(...)`).
    pub(crate) fn parse(text: &str) -> Result<Expression, String> {
        if text.starts_with('$') {
            Path::parse(text).map(Expression::Path)
        } else if text.starts_with("States.") {
            Call::parse(text).map(Expression::Intrinsic)
        } else {
            Err(format!("'{text}' is neither a JSONPath (starting with '$') nor an intrinsic function (States.*)"))
        }
    }

    /// Evaluates the expression; `describe_missing` explains a path that selects nothing.
    pub(crate) fn evaluate(
        &self,
        env: &Env<'_>,
        describe_missing: impl FnOnce(&Path) -> String,
    ) -> Result<Value, StateError> {
        match self {
            Expression::Path(path) => env.select(path).ok_or_else(|| StateError::runtime(describe_missing(path))),
            Expression::Intrinsic(call) => call.evaluate(env),
        }
    }
}

/// A compiled payload template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Template {
    Literal(Value),
    Object(Vec<TemplateField>),
    Array(Vec<Template>),
}

/// One field of an object template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TemplateField {
    Static {
        key: String,
        value: Template,
    },
    /// A `"key.$"` field: the output key is `key`.
    Dynamic {
        key: String,
        expression: Expression,
    },
}

/// Limits the size of the input quoted in error messages.
fn abbreviate(value: &Value) -> String {
    const LIMIT: usize = 512;
    let text = value.to_string();
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

impl Template {
    /// Compiles a template; every `.$` field must hold a valid path or intrinsic function.
    pub(crate) fn compile(value: &Value) -> Result<Template, String> {
        match value {
            Value::Object(object) => object
                .iter()
                .map(|(key, value)| match key.strip_suffix(".$") {
                    Some(output_key) => {
                        let text = value.as_str().ok_or_else(|| format!("field '{key}' must be a string"))?;
                        let expression = Expression::parse(text).map_err(|e| format!("field '{key}': {e}"))?;
                        Ok(TemplateField::Dynamic { key: output_key.to_owned(), expression })
                    }
                    None => Ok(TemplateField::Static { key: key.clone(), value: Template::compile(value)? }),
                })
                .collect::<Result<_, String>>()
                .map(Template::Object),
            Value::Array(items) => items.iter().map(Template::compile).collect::<Result<_, _>>().map(Template::Array),
            other => Ok(Template::Literal(other.clone())),
        }
    }

    /// Produces the payload for `env`.
    pub(crate) fn evaluate(&self, env: &Env<'_>) -> Result<Value, StateError> {
        match self {
            Template::Literal(value) => Ok(value.clone()),
            Template::Array(items) => {
                items.iter().map(|item| item.evaluate(env)).collect::<Result<_, _>>().map(Value::Array)
            }
            Template::Object(fields) => {
                let mut object = Map::new();
                for field in fields {
                    match field {
                        TemplateField::Static { key, value } => {
                            object.insert(key.clone(), value.evaluate(env)?);
                        }
                        TemplateField::Dynamic { key, expression } => {
                            let value = expression.evaluate(env, |path| {
                                format!(
                                    "The JSONPath '{path}' specified for the field '{key}.$' \
                                     could not be found in the input '{}'",
                                    abbreviate(env.input)
                                )
                            })?;
                            object.insert(key.clone(), value);
                        }
                    }
                }
                Ok(Value::Object(object))
            }
        }
    }

    /// The literal value of a static top-level field (e.g. a lambda:invoke `FunctionName`).
    pub(crate) fn static_field(&self, name: &str) -> Option<&Template> {
        match self {
            Template::Object(fields) => fields.iter().find_map(|field| match field {
                TemplateField::Static { key, value } if key == name => Some(value),
                _ => None,
            }),
            _ => None,
        }
    }

    /// The keys of the top-level fields, as written (with `.$` for dynamic ones).
    pub(crate) fn field_names(&self) -> Vec<String> {
        match self {
            Template::Object(fields) => fields
                .iter()
                .map(|field| match field {
                    TemplateField::Static { key, .. } => key.clone(),
                    TemplateField::Dynamic { key, .. } => format!("{key}.$"),
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::context::{ContextObject, ExecutionInfo, MapItem};
    use crate::error_handling::error_names;

    fn execution() -> ExecutionInfo {
        ExecutionInfo {
            id: "exec-id".to_owned(),
            name: "exec".to_owned(),
            start_time: "2024-01-01T00:00:00Z".to_owned(),
            input: json!({"original": true}),
            role_arn: "role".to_owned(),
            state_machine_id: "sm-id".to_owned(),
            state_machine_name: "sm".to_owned(),
        }
    }

    #[test]
    fn replaces_dynamic_fields_recursively() {
        let template = Template::compile(&json!({
            "static": {"keep": "$.not.a.path"},
            "value.$": "$.a",
            "nested": {"list": [{"item.$": "$.b[1]"}, 3], "count.$": "States.ArrayLength($.b)"},
            "all.$": "$.b[*]",
            "exec.$": "$$.Execution.Name",
            "original.$": "$$.Execution.Input.original"
        }))
        .expect("valid template");
        let execution = execution();
        let context = ContextObject::new(&execution, "S", "t");
        let input = json!({"a": {"x": 1}, "b": [5, 6]});
        let output = template.evaluate(&Env { input: &input, context: &context }).expect("evaluates");
        assert_eq!(
            output,
            json!({
                "static": {"keep": "$.not.a.path"},
                "value": {"x": 1},
                "nested": {"list": [{"item": 6}, 3], "count": 2},
                "all": [5, 6],
                "exec": "exec",
                "original": true
            })
        );
    }

    #[test]
    fn map_item_is_visible_in_the_context() {
        let template = Template::compile(&json!({"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value.id"}))
            .expect("valid template");
        let execution = execution();
        let item = json!({"id": "x"});
        let context = ContextObject::new(&execution, "S", "t").with_map_item(MapItem { index: 4, value: &item });
        let output = template.evaluate(&Env { input: &json!({}), context: &context }).expect("evaluates");
        assert_eq!(output, json!({"i": 4, "v": "x"}));
    }

    #[test]
    fn missing_path_is_a_runtime_error_naming_the_field() {
        let template = Template::compile(&json!({"x.$": "$.missing"})).expect("valid template");
        let execution = execution();
        let context = ContextObject::new(&execution, "S", "t");
        let error = template.evaluate(&Env { input: &json!({"a": 1}), context: &context }).expect_err("fails");
        assert_eq!(error.error, error_names::RUNTIME);
        assert!(error.cause.contains("'$.missing' specified for the field 'x.$'"), "{}", error.cause);
    }

    #[test]
    fn rejects_bad_dynamic_fields() {
        for (template, expected) in [
            (json!({"x.$": 3}), "must be a string"),
            (json!({"x.$": "plain"}), "neither a JSONPath"),
            (json!({"x.$": "States.Unknown()"}), "unknown intrinsic function"),
            (json!({"deep": [{"x.$": "$..["}]}), "field 'x.$'"),
        ] {
            let message = Template::compile(&template).expect_err("invalid");
            assert!(message.contains(expected), "{message} should contain {expected}");
        }
    }
}
