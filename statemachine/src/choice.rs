//! Choice rules: comparison operators (String*, Numeric*, Boolean*, Timestamp* and their `*Path` variants,
//! StringMatches, Is*), combined with And/Or/Not. A comparison against a value of the wrong type is false; a
//! `Variable` that selects nothing is a `States.Runtime` error, except for `IsPresent`.

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use crate::context::Env;
use crate::error_handling::StateError;
use crate::paths::Path;

/// The data type a comparison operator works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

/// How a comparison relates the variable to the operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

/// A type test (`IsNull`, `IsPresent`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeTest {
    Null,
    Present,
    Numeric,
    String,
    Boolean,
    Timestamp,
}

/// A `StringMatches` pattern: `*` matches any run of characters; `\*` and `\\` are a literal `*` and `\`.
#[derive(Debug, Clone, PartialEq)]
struct WildcardPattern(Vec<PatternToken>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum PatternToken {
    Char(char),
    Star,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Value(Value),
    Path(Path),
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Compare { kind: Kind, relation: Relation, operand: Operand },
    Matches(WildcardPattern),
    Is { test: TypeTest, expected: bool },
}

/// A (possibly nested) Choice rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Comparison(Comparison),
}

/// A comparison of the value at `variable` (the fields are private to this module).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    variable: Path,
    operator: String,
    test: Test,
}

/// A top-level rule of the `Choices` array.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChoiceRule {
    pub(crate) rule: Rule,
    pub(crate) next: String,
}

const KINDS: &[(&str, Kind)] =
    &[("String", Kind::String), ("Numeric", Kind::Numeric), ("Boolean", Kind::Boolean), ("Timestamp", Kind::Timestamp)];

const RELATIONS: &[(&str, Relation)] = &[
    ("LessThanEquals", Relation::LessThanEquals),
    ("GreaterThanEquals", Relation::GreaterThanEquals),
    ("Equals", Relation::Equals),
    ("LessThan", Relation::LessThan),
    ("GreaterThan", Relation::GreaterThan),
];

const TYPE_TESTS: &[(&str, TypeTest)] = &[
    ("IsNull", TypeTest::Null),
    ("IsPresent", TypeTest::Present),
    ("IsNumeric", TypeTest::Numeric),
    ("IsString", TypeTest::String),
    ("IsBoolean", TypeTest::Boolean),
    ("IsTimestamp", TypeTest::Timestamp),
];

/// Parses a timestamp as the specification requires: RFC 3339 with an uppercase `T` and, without a numeric
/// offset, an uppercase `Z`.
pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    if text.as_bytes().get(10) != Some(&b'T') || text.ends_with('z') {
        return None;
    }
    DateTime::parse_from_rfc3339(text).ok()
}

impl WildcardPattern {
    fn parse(text: &str) -> Result<WildcardPattern, String> {
        let mut tokens = Vec::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' => PatternToken::Star,
                '\\' => match chars.next() {
                    Some(escaped @ ('*' | '\\')) => PatternToken::Char(escaped),
                    _ => return Err(format!("StringMatches pattern '{text}': a backslash must escape '*' or '\\'")),
                },
                other => PatternToken::Char(other),
            });
        }
        Ok(WildcardPattern(tokens))
    }

    /// Iterative wildcard matching with backtracking to the last star.
    fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        let pattern = &self.0;
        let (mut p, mut t) = (0, 0);
        let mut last_star: Option<(usize, usize)> = None;
        while t < text.len() {
            match pattern.get(p) {
                Some(PatternToken::Char(c)) if *c == text[t] => {
                    p += 1;
                    t += 1;
                }
                Some(PatternToken::Star) => {
                    last_star = Some((p, t));
                    p += 1;
                }
                _ => match last_star {
                    Some((star, matched)) => {
                        p = star + 1;
                        t = matched + 1;
                        last_star = Some((star, matched + 1));
                    }
                    None => return false,
                },
            }
        }
        pattern[p.min(pattern.len())..].iter().all(|token| *token == PatternToken::Star)
    }
}

fn parse_operator(name: &str, value: &Value) -> Result<Test, String> {
    if let Some((_, test)) = TYPE_TESTS.iter().find(|(known, _)| *known == name) {
        let expected = value.as_bool().ok_or_else(|| format!("{name} must be true or false"))?;
        return Ok(Test::Is { test: *test, expected });
    }
    if name == "StringMatches" {
        let pattern = value.as_str().ok_or("StringMatches must be a string pattern")?;
        return Ok(Test::Matches(WildcardPattern::parse(pattern)?));
    }
    let (kind_name, kind) = KINDS
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .ok_or_else(|| format!("unknown comparison operator '{name}'"))?;
    let rest = &name[kind_name.len()..];
    let (relation_name, is_path) = match rest.strip_suffix("Path") {
        Some(relation) => (relation, true),
        None => (rest, false),
    };
    let relation = RELATIONS
        .iter()
        .find(|(known, _)| *known == relation_name)
        .map(|(_, relation)| *relation)
        .filter(|relation| *kind != Kind::Boolean || *relation == Relation::Equals)
        .ok_or_else(|| format!("unknown comparison operator '{name}'"))?;
    let operand = if is_path {
        let text = value.as_str().ok_or_else(|| format!("{name} must be a path string"))?;
        Operand::Path(Path::parse(text).map_err(|e| format!("{name}: {e}"))?)
    } else {
        let valid = match kind {
            Kind::String => value.is_string(),
            Kind::Numeric => value.is_number(),
            Kind::Boolean => value.is_boolean(),
            Kind::Timestamp => value.as_str().and_then(parse_timestamp).is_some(),
        };
        if !valid {
            let expected = match kind {
                Kind::String => "a string",
                Kind::Numeric => "a number",
                Kind::Boolean => "a boolean",
                Kind::Timestamp => "an RFC 3339 timestamp such as 2016-03-14T01:59:00Z",
            };
            return Err(format!("{name} must be {expected}, got {value}"));
        }
        Operand::Value(value.clone())
    };
    Ok(Test::Compare { kind: *kind, relation, operand })
}

/// Parses one rule object; `top_level` rules carry `Next`, nested ones must not.
fn parse_rule(object: &Map<String, Value>, top_level: bool) -> Result<Rule, String> {
    let operators: Vec<&String> =
        object.keys().filter(|key| !matches!(key.as_str(), "Variable" | "Next" | "Comment")).collect();
    let [operator] = operators.as_slice() else {
        return Err(format!(
            "a rule needs exactly one operator (a comparison, And, Or or Not), found {}",
            if operators.is_empty() { "none".to_owned() } else { format!("{operators:?}") }
        ));
    };
    if !top_level && object.contains_key("Next") {
        return Err("only top-level rules may have Next".to_owned());
    }
    let value = &object[operator.as_str()];
    let nested = |value: &Value| -> Result<Vec<Rule>, String> {
        let rules = value.as_array().filter(|rules| !rules.is_empty());
        let rules = rules.ok_or_else(|| format!("{operator} must be a non-empty array of rules"))?;
        rules
            .iter()
            .map(|rule| {
                rule.as_object().ok_or("rules must be objects".to_owned()).and_then(|rule| parse_rule(rule, false))
            })
            .collect()
    };
    let boolean_rule = match operator.as_str() {
        "And" => Some(Rule::And(nested(value)?)),
        "Or" => Some(Rule::Or(nested(value)?)),
        "Not" => {
            let inner = value.as_object().ok_or("Not must be a rule object")?;
            Some(Rule::Not(Box::new(parse_rule(inner, false)?)))
        }
        _ => None,
    };
    if let Some(rule) = boolean_rule {
        if object.contains_key("Variable") {
            return Err(format!("{operator} rules must not have a Variable"));
        }
        return Ok(rule);
    }
    let variable =
        object.get("Variable").and_then(Value::as_str).ok_or_else(|| format!("{operator} needs a Variable path"))?;
    let variable = Path::parse(variable).map_err(|e| format!("Variable: {e}"))?;
    Ok(Rule::Comparison(Comparison { variable, operator: (*operator).clone(), test: parse_operator(operator, value)? }))
}

/// Parses the `Choices` array.
pub(crate) fn parse_choices(value: &Value) -> Result<Vec<ChoiceRule>, String> {
    let rules =
        value.as_array().filter(|rules| !rules.is_empty()).ok_or("Choices must be a non-empty array of rules")?;
    rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let object = rule.as_object().ok_or_else(|| format!("Choices[{index}] must be an object"))?;
            let next =
                object.get("Next").and_then(Value::as_str).ok_or_else(|| format!("Choices[{index}] needs Next"))?;
            let rule = parse_rule(object, true).map_err(|e| format!("Choices[{index}]: {e}"))?;
            Ok(ChoiceRule { rule, next: next.to_owned() })
        })
        .collect()
}

fn compare_ordering<T: PartialOrd>(a: T, b: T, relation: Relation) -> bool {
    match relation {
        Relation::Equals => a == b,
        Relation::LessThan => a < b,
        Relation::GreaterThan => a > b,
        Relation::LessThanEquals => a <= b,
        Relation::GreaterThanEquals => a >= b,
    }
}

fn compare(kind: Kind, relation: Relation, variable: &Value, operand: &Value) -> bool {
    match (kind, variable, operand) {
        (Kind::String, Value::String(a), Value::String(b)) => compare_ordering(a, b, relation),
        (Kind::Numeric, Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(a), Some(b)) => compare_ordering(a, b, relation),
            _ => a.as_f64().zip(b.as_f64()).is_some_and(|(a, b)| compare_ordering(a, b, relation)),
        },
        (Kind::Boolean, Value::Bool(a), Value::Bool(b)) => compare_ordering(a, b, relation),
        (Kind::Timestamp, Value::String(a), Value::String(b)) => {
            parse_timestamp(a).zip(parse_timestamp(b)).is_some_and(|(a, b)| compare_ordering(a, b, relation))
        }
        _ => false,
    }
}

fn type_test(test: TypeTest, value: &Value) -> bool {
    match test {
        TypeTest::Null => value.is_null(),
        TypeTest::Present => true,
        TypeTest::Numeric => value.is_number(),
        TypeTest::String => value.is_string(),
        TypeTest::Boolean => value.is_boolean(),
        TypeTest::Timestamp => value.as_str().and_then(parse_timestamp).is_some(),
    }
}

impl Rule {
    /// Evaluates the rule against the Choice state's effective input. And/Or stop at the first decisive rule.
    pub(crate) fn evaluate(&self, env: &Env<'_>) -> Result<bool, StateError> {
        match self {
            Rule::And(rules) => {
                for rule in rules {
                    if !rule.evaluate(env)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Rule::Or(rules) => {
                for rule in rules {
                    if rule.evaluate(env)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Rule::Not(rule) => Ok(!rule.evaluate(env)?),
            Rule::Comparison(Comparison { variable, operator, test }) => {
                let value = env.select(variable);
                if let Test::Is { test: TypeTest::Present, expected } = test {
                    return Ok(value.is_some() == *expected);
                }
                let value = value.ok_or_else(|| {
                    StateError::runtime(format!(
                        "Invalid path '{variable}': The choice state's condition path references an invalid value."
                    ))
                })?;
                Ok(match test {
                    Test::Is { test, expected } => type_test(*test, &value) == *expected,
                    Test::Matches(pattern) => value.as_str().is_some_and(|text| pattern.matches(text)),
                    Test::Compare { kind, relation, operand } => {
                        let operand = match operand {
                            Operand::Value(value) => value.clone(),
                            Operand::Path(path) => env.select(path).ok_or_else(|| {
                                StateError::runtime(format!("Invalid path '{path}' in {operator}: it selects nothing."))
                            })?,
                        };
                        compare(*kind, *relation, &value, &operand)
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::context::{ContextObject, ExecutionInfo};
    use crate::error_handling::error_names;

    fn rule(value: Value) -> Rule {
        parse_rule(value.as_object().expect("an object"), false).expect("valid rule")
    }

    fn evaluate(value: Value, input: &Value) -> Result<bool, StateError> {
        let execution = ExecutionInfo {
            id: "id".to_owned(),
            name: "name".to_owned(),
            start_time: "2024-01-01T00:00:00Z".to_owned(),
            input: json!({}),
            role_arn: "role".to_owned(),
            state_machine_id: "sm".to_owned(),
            state_machine_name: "sm".to_owned(),
        };
        let context = ContextObject::new(&execution, "Choose", "2024-01-01T00:00:00Z");
        rule(value).evaluate(&Env { input, context: &context })
    }

    fn holds(value: Value, input: &Value) -> bool {
        evaluate(value, input).expect("evaluates")
    }

    #[test]
    fn string_operators() {
        let input = json!({"s": "banana", "other": "cherry", "n": 3});
        assert!(holds(json!({"Variable": "$.s", "StringEquals": "banana"}), &input));
        assert!(!holds(json!({"Variable": "$.s", "StringEquals": "Banana"}), &input));
        assert!(holds(json!({"Variable": "$.s", "StringLessThan": "cherry"}), &input));
        assert!(holds(json!({"Variable": "$.s", "StringGreaterThan": "apple"}), &input));
        assert!(holds(json!({"Variable": "$.s", "StringLessThanEquals": "banana"}), &input));
        assert!(holds(json!({"Variable": "$.s", "StringGreaterThanEquals": "banana"}), &input));
        assert!(holds(json!({"Variable": "$.s", "StringLessThanPath": "$.other"}), &input));
        assert!(!holds(json!({"Variable": "$.s", "StringEqualsPath": "$.other"}), &input));
        assert!(!holds(json!({"Variable": "$.n", "StringEquals": "3"}), &input), "a number is not a string");
    }

    #[test]
    fn string_matches_wildcards_and_escapes() {
        let input = json!({"log": "log-2024-errors.txt", "star": "a*b", "slash": "a\\b"});
        assert!(holds(json!({"Variable": "$.log", "StringMatches": "log-*.txt"}), &input));
        assert!(holds(json!({"Variable": "$.log", "StringMatches": "*errors*"}), &input));
        assert!(holds(json!({"Variable": "$.log", "StringMatches": "*"}), &input));
        assert!(!holds(json!({"Variable": "$.log", "StringMatches": "log-*.csv"}), &input));
        assert!(holds(json!({"Variable": "$.star", "StringMatches": "a\\*b"}), &input));
        assert!(!holds(json!({"Variable": "$.log", "StringMatches": "log\\*"}), &input));
        assert!(holds(json!({"Variable": "$.slash", "StringMatches": "a\\\\b"}), &input));
        assert!(holds(json!({"Variable": "$.log", "StringMatches": "l*g*2*4*s.t*t"}), &input));
    }

    #[test]
    fn numeric_operators() {
        let input = json!({"n": 3, "f": 2.5, "limit": 3.0, "s": "3"});
        assert!(holds(json!({"Variable": "$.n", "NumericEquals": 3}), &input));
        assert!(holds(json!({"Variable": "$.n", "NumericEquals": 3.0}), &input));
        assert!(holds(json!({"Variable": "$.f", "NumericLessThan": 3}), &input));
        assert!(holds(json!({"Variable": "$.n", "NumericGreaterThan": 2.5}), &input));
        assert!(holds(json!({"Variable": "$.n", "NumericLessThanEquals": 3}), &input));
        assert!(holds(json!({"Variable": "$.f", "NumericGreaterThanEquals": 2.5}), &input));
        assert!(holds(json!({"Variable": "$.n", "NumericEqualsPath": "$.limit"}), &input));
        assert!(holds(json!({"Variable": "$.f", "NumericLessThanPath": "$.n"}), &input));
        assert!(!holds(json!({"Variable": "$.s", "NumericEquals": 3}), &input), "a string is not a number");
    }

    #[test]
    fn boolean_and_timestamp_operators() {
        let input =
            json!({"b": true, "t": "2024-03-14T01:59:00Z", "later": "2024-03-14T03:59:00+01:00", "bad": "yesterday"});
        assert!(holds(json!({"Variable": "$.b", "BooleanEquals": true}), &input));
        assert!(holds(json!({"Variable": "$.b", "BooleanEqualsPath": "$.b"}), &input));
        assert!(holds(json!({"Variable": "$.t", "TimestampEquals": "2024-03-14T01:59:00Z"}), &input));
        assert!(holds(json!({"Variable": "$.t", "TimestampLessThan": "2024-03-14T02:00:00Z"}), &input));
        assert!(holds(json!({"Variable": "$.t", "TimestampGreaterThan": "2024-03-14T01:58:59.5Z"}), &input));
        assert!(holds(json!({"Variable": "$.t", "TimestampLessThanEquals": "2024-03-14T01:59:00Z"}), &input));
        assert!(holds(json!({"Variable": "$.t", "TimestampGreaterThanEquals": "2024-03-14T01:59:00Z"}), &input));
        assert!(holds(json!({"Variable": "$.t", "TimestampLessThanPath": "$.later"}), &input));
        assert!(!holds(json!({"Variable": "$.bad", "TimestampLessThan": "2024-03-14T02:00:00Z"}), &input));
    }

    #[test]
    fn type_tests() {
        let input = json!({"null": null, "n": 1, "s": "x", "b": false, "t": "2016-03-14T01:59:00Z", "lower": "2016-03-14t01:59:00z"});
        assert!(holds(json!({"Variable": "$.null", "IsNull": true}), &input));
        assert!(holds(json!({"Variable": "$.n", "IsNull": false}), &input));
        assert!(holds(json!({"Variable": "$.n", "IsPresent": true}), &input));
        assert!(holds(json!({"Variable": "$.missing", "IsPresent": false}), &input));
        assert!(!holds(json!({"Variable": "$.missing", "IsPresent": true}), &input));
        assert!(holds(json!({"Variable": "$.n", "IsNumeric": true}), &input));
        assert!(holds(json!({"Variable": "$.s", "IsNumeric": false}), &input));
        assert!(holds(json!({"Variable": "$.s", "IsString": true}), &input));
        assert!(holds(json!({"Variable": "$.b", "IsBoolean": true}), &input));
        assert!(holds(json!({"Variable": "$.t", "IsTimestamp": true}), &input));
        assert!(holds(json!({"Variable": "$.lower", "IsTimestamp": false}), &input));
        assert!(holds(json!({"Variable": "$.s", "IsTimestamp": false}), &input));
    }

    #[test]
    fn boolean_combinators_short_circuit() {
        let input = json!({"n": 5});
        let present_and_big = json!({"And": [
            {"Variable": "$.x", "IsPresent": true},
            {"Variable": "$.x", "NumericGreaterThan": 1}
        ]});
        assert!(!holds(present_and_big, &input), "And stops before reading the missing variable");
        assert!(holds(
            json!({"Or": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.x", "IsNull": true}]}),
            &input
        ));
        assert!(holds(json!({"Not": {"Variable": "$.n", "NumericEquals": 4}}), &input));
        assert!(holds(
            json!({"And": [{"Not": {"Variable": "$.n", "NumericLessThan": 0}}, {"Or": [{"Variable": "$.n", "NumericEquals": 5}]}]}),
            &input
        ));
    }

    #[test]
    fn missing_variable_is_a_runtime_error() {
        let error = evaluate(json!({"Variable": "$.missing", "StringEquals": "x"}), &json!({})).expect_err("fails");
        assert_eq!(error.error, error_names::RUNTIME);
        assert!(error.cause.contains("$.missing"));
        let error =
            evaluate(json!({"Variable": "$.a", "NumericEqualsPath": "$.b"}), &json!({"a": 1})).expect_err("fails");
        assert_eq!(error.error, error_names::RUNTIME);
    }

    #[test]
    fn rejects_invalid_rules() {
        for (value, expected) in [
            (json!([]), "non-empty"),
            (json!([{"Variable": "$.a", "StringEquals": "x"}]), "needs Next"),
            (json!([{"Variable": "$.a", "StringEquals": 1, "Next": "A"}]), "must be a string"),
            (json!([{"Variable": "$.a", "NumericEquals": "1", "Next": "A"}]), "must be a number"),
            (json!([{"Variable": "$.a", "TimestampEquals": "2024-01-01", "Next": "A"}]), "RFC 3339"),
            (json!([{"Variable": "$.a", "StringContains": "x", "Next": "A"}]), "unknown comparison operator"),
            (json!([{"Variable": "$.a", "BooleanLessThan": true, "Next": "A"}]), "unknown comparison operator"),
            (json!([{"Variable": "$.a", "Next": "A"}]), "exactly one operator"),
            (json!([{"Variable": "$.a", "StringEquals": "x", "IsNull": true, "Next": "A"}]), "exactly one operator"),
            (json!([{"And": [], "Next": "A"}]), "non-empty array"),
            (json!([{"And": [{"Variable": "$.a", "IsNull": true, "Next": "B"}], "Next": "A"}]), "only top-level"),
            (json!([{"StringEquals": "x", "Next": "A"}]), "needs a Variable"),
            (json!([{"Variable": "a", "StringEquals": "x", "Next": "A"}]), "must start with '$'"),
            (json!([{"Variable": "$.a", "StringMatches": "a\\b", "Next": "A"}]), "backslash"),
        ] {
            let message = parse_choices(&value).expect_err("invalid");
            assert!(message.contains(expected), "{value}: {message} should contain {expected}");
        }
    }
}
