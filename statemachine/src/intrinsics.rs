//! Intrinsic functions (`States.Format(...)`, `States.Array(...)`, ...): parsed once when the definition is loaded
//! (unknown functions, wrong arity and bad literals are definition errors) and evaluated against a state's input.
//! Run-time failures (wrong argument types, out-of-range values) raise `States.IntrinsicFailure`.

use std::fmt::Write as _;

use base64::Engine as _;
use md5::Md5;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::context::Env;
use crate::error_handling::{StateError, error_names};
use crate::paths::{Path, json_type_name};

/// Step Functions' limit on the size of arrays built by `States.ArrayRange`.
const MAX_RANGE_ITEMS: i64 = 1000;
/// Step Functions' limit on the strings given to `States.Base64Encode`, `States.Base64Decode` and `States.Hash`.
const MAX_ENCODED_CHARS: usize = 10_000;

/// The intrinsic functions this interpreter implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

/// Every function with its name and its (minimum, maximum) argument count.
const FUNCTIONS: &[(Function, &str, usize, usize)] = &[
    (Function::Format, "States.Format", 1, usize::MAX),
    (Function::StringToJson, "States.StringToJson", 1, 1),
    (Function::JsonToString, "States.JsonToString", 1, 1),
    (Function::Array, "States.Array", 0, usize::MAX),
    (Function::ArrayPartition, "States.ArrayPartition", 2, 2),
    (Function::ArrayContains, "States.ArrayContains", 2, 2),
    (Function::ArrayRange, "States.ArrayRange", 3, 3),
    (Function::ArrayGetItem, "States.ArrayGetItem", 2, 2),
    (Function::ArrayLength, "States.ArrayLength", 1, 1),
    (Function::ArrayUnique, "States.ArrayUnique", 1, 1),
    (Function::Base64Encode, "States.Base64Encode", 1, 1),
    (Function::Base64Decode, "States.Base64Decode", 1, 1),
    (Function::Hash, "States.Hash", 2, 2),
    (Function::JsonMerge, "States.JsonMerge", 3, 3),
    (Function::MathRandom, "States.MathRandom", 2, 3),
    (Function::MathAdd, "States.MathAdd", 2, 2),
    (Function::StringSplit, "States.StringSplit", 2, 2),
    (Function::Uuid, "States.UUID", 0, 0),
];

const HASH_ALGORITHMS: &[&str] = &["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"];

impl Function {
    fn name(self) -> &'static str {
        FUNCTIONS.iter().find(|(function, ..)| *function == self).map_or("States.?", |(_, name, ..)| name)
    }
}

/// A piece of a `States.Format` template.
#[derive(Debug, Clone, PartialEq)]
enum FormatPiece {
    Text(String),
    Placeholder,
}

/// A quoted string argument; keeps where its unescaped `{}` placeholders are, for `States.Format`.
#[derive(Debug, Clone, PartialEq)]
struct TextLiteral {
    value: String,
    pieces: Vec<FormatPiece>,
}

#[derive(Debug, Clone, PartialEq)]
enum Argument {
    Text(TextLiteral),
    Literal(Value),
    Path(Path),
    Call(Call),
}

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    function: Function,
    arguments: Vec<Argument>,
}

/// The names of all supported intrinsic functions.
pub(crate) fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|(_, name, ..)| *name)
}

impl Call {
    /// Parses an intrinsic function call such as `States.Format('{} items', States.ArrayLength($.items))`.
    pub(crate) fn parse(text: &str) -> Result<Call, String> {
        let mut parser = CallParser { text, chars: text.chars().collect(), position: 0 };
        parser.skip_spaces();
        let call = parser.call()?;
        parser.skip_spaces();
        if parser.position < parser.chars.len() {
            return Err(parser.error("unexpected text after the closing ')'"));
        }
        Ok(call)
    }

    /// Evaluates the call (arguments first, innermost calls first).
    pub(crate) fn evaluate(&self, env: &Env<'_>) -> Result<Value, StateError> {
        let values = self
            .arguments
            .iter()
            .map(|argument| match argument {
                Argument::Text(text) => Ok(Value::String(text.value.clone())),
                Argument::Literal(value) => Ok(value.clone()),
                Argument::Path(path) => env.select(path).ok_or_else(|| {
                    StateError::runtime(format!(
                        "The JSONPath '{path}' given to {} could not be found in the input",
                        self.function.name()
                    ))
                }),
                Argument::Call(call) => call.evaluate(env),
            })
            .collect::<Result<Vec<Value>, StateError>>()?;
        Evaluation { function: self.function }.run(&self.arguments, values)
    }
}

struct Evaluation {
    function: Function,
}

impl Evaluation {
    fn fail(&self, message: impl std::fmt::Display) -> StateError {
        StateError::new(error_names::INTRINSIC_FAILURE, format!("{}: {message}", self.function.name()))
    }

    fn string<'v>(&self, value: &'v Value, what: &str) -> Result<&'v str, StateError> {
        value.as_str().ok_or_else(|| self.fail(format!("{what} must be a string, got {}", json_type_name(value))))
    }

    fn array<'v>(&self, value: &'v Value, what: &str) -> Result<&'v Vec<Value>, StateError> {
        value.as_array().ok_or_else(|| self.fail(format!("{what} must be an array, got {}", json_type_name(value))))
    }

    fn object<'v>(&self, value: &'v Value, what: &str) -> Result<&'v Map<String, Value>, StateError> {
        value.as_object().ok_or_else(|| self.fail(format!("{what} must be an object, got {}", json_type_name(value))))
    }

    /// An integer argument. The Math functions round other numbers to the nearest integer, as Step Functions does;
    /// the others require a whole number.
    fn integer(&self, value: &Value, what: &str, round: bool) -> Result<i64, StateError> {
        if let Some(integer) = value.as_i64() {
            return Ok(integer);
        }
        let number = value.as_f64().ok_or_else(|| self.fail(format!("{what} must be an integer, got {value}")))?;
        let whole = if round { number.round() } else { number };
        if whole.fract() != 0.0 || !(-9.0e15..=9.0e15).contains(&whole) {
            return Err(self.fail(format!("{what} must be an integer, got {value}")));
        }
        // The range check above makes this conversion exact.
        #[allow(clippy::cast_possible_truncation)]
        Ok(whole as i64)
    }

    fn bounded_text<'v>(&self, value: &'v Value, what: &str) -> Result<&'v str, StateError> {
        let text = self.string(value, what)?;
        if text.chars().count() > MAX_ENCODED_CHARS {
            return Err(self.fail(format!("{what} must be at most {MAX_ENCODED_CHARS} characters")));
        }
        Ok(text)
    }

    fn run(&self, arguments: &[Argument], values: Vec<Value>) -> Result<Value, StateError> {
        let value = |index: usize| values.get(index).unwrap_or(&Value::Null);
        match self.function {
            Function::Format => {
                let pieces = match arguments.first() {
                    Some(Argument::Text(text)) => text.pieces.clone(),
                    _ => split_format_template(self.string(value(0), "the template")?),
                };
                self.format(&pieces, &values[1..])
            }
            Function::StringToJson => serde_json::from_str(self.string(value(0), "the argument")?)
                .map_err(|error| self.fail(format!("the argument is not valid JSON: {error}"))),
            Function::JsonToString => Ok(Value::String(value(0).to_string())),
            Function::Array => Ok(Value::Array(values)),
            Function::ArrayPartition => {
                let items = self.array(value(0), "the first argument")?;
                let size = self.integer(value(1), "the chunk size", false)?;
                let size = usize::try_from(size)
                    .ok()
                    .filter(|size| *size > 0)
                    .ok_or_else(|| self.fail("the chunk size must be a positive integer"))?;
                Ok(Value::Array(items.chunks(size).map(|chunk| Value::Array(chunk.to_vec())).collect()))
            }
            Function::ArrayContains => {
                let items = self.array(value(0), "the first argument")?;
                Ok(Value::Bool(items.iter().any(|item| json_equal(item, value(1)))))
            }
            Function::ArrayRange => self.range(value(0), value(1), value(2)),
            Function::ArrayGetItem => {
                let items = self.array(value(0), "the first argument")?;
                let index = self.integer(value(1), "the index", false)?;
                usize::try_from(index)
                    .ok()
                    .and_then(|index| items.get(index))
                    .cloned()
                    .ok_or_else(|| self.fail(format!("index {index} is outside the array of {} items", items.len())))
            }
            Function::ArrayLength => Ok(Value::from(self.array(value(0), "the argument")?.len())),
            Function::ArrayUnique => {
                let mut unique: Vec<Value> = Vec::new();
                for item in self.array(value(0), "the argument")? {
                    if !unique.iter().any(|seen| json_equal(seen, item)) {
                        unique.push(item.clone());
                    }
                }
                Ok(Value::Array(unique))
            }
            Function::Base64Encode => Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(self.bounded_text(value(0), "the data")?),
            )),
            Function::Base64Decode => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(self.bounded_text(value(0), "the data")?)
                    .map_err(|error| self.fail(format!("the argument is not valid Base64: {error}")))?;
                String::from_utf8(bytes).map(Value::String).map_err(|_| self.fail("the decoded data is not UTF-8 text"))
            }
            Function::Hash => {
                let data = self.bounded_text(value(0), "the data")?;
                let algorithm = self.string(value(1), "the algorithm")?;
                hash(data, algorithm).map(Value::String).ok_or_else(|| {
                    self.fail(format!(
                        "unknown algorithm '{algorithm}' (expected one of {})",
                        HASH_ALGORITHMS.join(", ")
                    ))
                })
            }
            Function::JsonMerge => {
                let mut merged = self.object(value(0), "the first argument")?.clone();
                let second = self.object(value(1), "the second argument")?;
                if value(2) != &Value::Bool(false) {
                    return Err(self.fail("only shallow merging is supported: the third argument must be false"));
                }
                merged.extend(second.iter().map(|(key, value)| (key.clone(), value.clone())));
                Ok(Value::Object(merged))
            }
            Function::MathRandom => {
                let start = self.integer(value(0), "the start", true)?;
                let end = self.integer(value(1), "the end", true)?;
                if start > end {
                    return Err(self.fail(format!("the start ({start}) must not be greater than the end ({end})")));
                }
                let number = match values.get(2) {
                    Some(seed) => {
                        let seed = self.integer(seed, "the seed", true)?;
                        rand::rngs::StdRng::seed_from_u64(seed.unsigned_abs()).random_range(start..=end)
                    }
                    None => rand::rng().random_range(start..=end),
                };
                Ok(Value::from(number))
            }
            Function::MathAdd => {
                let sum = self
                    .integer(value(0), "the first argument", true)?
                    .checked_add(self.integer(value(1), "the second argument", true)?)
                    .ok_or_else(|| self.fail("the sum overflows"))?;
                Ok(Value::from(sum))
            }
            Function::StringSplit => {
                let text = self.string(value(0), "the string")?;
                let delimiters: Vec<char> = self.string(value(1), "the delimiter")?.chars().collect();
                Ok(Value::Array(
                    text.split(|c| delimiters.contains(&c))
                        .filter(|part| !part.is_empty())
                        .map(|part| Value::String(part.to_owned()))
                        .collect(),
                ))
            }
            Function::Uuid => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
        }
    }

    fn format(&self, pieces: &[FormatPiece], arguments: &[Value]) -> Result<Value, StateError> {
        let placeholders = pieces.iter().filter(|piece| **piece == FormatPiece::Placeholder).count();
        if placeholders != arguments.len() {
            return Err(self.fail(format!(
                "the template has {placeholders} placeholders but {} values were given",
                arguments.len()
            )));
        }
        let mut remaining = arguments.iter();
        let mut formatted = String::new();
        for piece in pieces {
            match piece {
                FormatPiece::Text(text) => formatted.push_str(text),
                FormatPiece::Placeholder => match remaining.next() {
                    Some(Value::String(text)) => formatted.push_str(text),
                    Some(value @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => {
                        let _ = write!(formatted, "{value}");
                    }
                    Some(value) => {
                        return Err(self.fail(format!("cannot format a {} value", json_type_name(value))));
                    }
                    None => return Err(self.fail("too few values for the template")),
                },
            }
        }
        Ok(Value::String(formatted))
    }

    fn range(&self, start: &Value, end: &Value, step: &Value) -> Result<Value, StateError> {
        let start = self.integer(start, "the start", false)?;
        let end = self.integer(end, "the end", false)?;
        let step = self.integer(step, "the step", false)?;
        if step == 0 {
            return Err(self.fail("the step must not be 0"));
        }
        // i128 cannot overflow for any pair of i64 bounds.
        let (start, end, step) = (i128::from(start), i128::from(end), i128::from(step));
        let count = if (end - start).signum() * step.signum() < 0 { 0 } else { (end - start) / step + 1 };
        if count > i128::from(MAX_RANGE_ITEMS) {
            return Err(self.fail(format!("the range would have {count} items; the limit is {MAX_RANGE_ITEMS}")));
        }
        (0..count)
            .map(|i| {
                i64::try_from(start + i * step)
                    .map(Value::from)
                    .map_err(|_| self.fail("the range leaves the integer range"))
            })
            .collect::<Result<_, _>>()
            .map(Value::Array)
    }
}

/// Equality of JSON values where numbers compare by value (`1` equals `1.0`).
pub(crate) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(key, value)| y.get(key).is_some_and(|other| json_equal(value, other)))
        }
        _ => a == b,
    }
}

fn hex_digest<D: Digest>(data: &str) -> String {
    D::digest(data.as_bytes()).iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

fn hash(data: &str, algorithm: &str) -> Option<String> {
    match algorithm {
        "MD5" => Some(hex_digest::<Md5>(data)),
        "SHA-1" => Some(hex_digest::<Sha1>(data)),
        "SHA-256" => Some(hex_digest::<Sha256>(data)),
        "SHA-384" => Some(hex_digest::<Sha384>(data)),
        "SHA-512" => Some(hex_digest::<Sha512>(data)),
        _ => None,
    }
}

/// Splits a template that came from the input (not a literal) at each `{}`.
fn split_format_template(template: &str) -> Vec<FormatPiece> {
    let mut pieces = Vec::new();
    for (index, text) in template.split("{}").enumerate() {
        if index > 0 {
            pieces.push(FormatPiece::Placeholder);
        }
        if !text.is_empty() {
            pieces.push(FormatPiece::Text(text.to_owned()));
        }
    }
    pieces
}

struct CallParser<'t> {
    text: &'t str,
    chars: Vec<char>,
    position: usize,
}

impl CallParser<'_> {
    fn error(&self, message: &str) -> String {
        format!("invalid intrinsic function '{}' at character {}: {message}", self.text, self.position)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
    }

    fn rest_starts_with(&self, prefix: &str) -> bool {
        prefix.chars().enumerate().all(|(offset, c)| self.chars.get(self.position + offset) == Some(&c))
    }

    fn call(&mut self) -> Result<Call, String> {
        let start = self.position;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '.') {
            self.position += 1;
        }
        let name: String = self.chars[start..self.position].iter().collect();
        let Some(&(function, _, min, max)) = FUNCTIONS.iter().find(|(_, known, ..)| *known == name) else {
            return Err(format!(
                "unknown intrinsic function '{name}' in '{}' (supported: {})",
                self.text,
                function_names().collect::<Vec<_>>().join(", ")
            ));
        };
        self.skip_spaces();
        if self.peek() != Some('(') {
            return Err(self.error("expected '(' after the function name"));
        }
        self.position += 1;
        let mut arguments = Vec::new();
        self.skip_spaces();
        if self.peek() == Some(')') {
            self.position += 1;
        } else {
            loop {
                self.skip_spaces();
                arguments.push(self.argument()?);
                self.skip_spaces();
                match self.peek() {
                    Some(',') => self.position += 1,
                    Some(')') => {
                        self.position += 1;
                        break;
                    }
                    _ => return Err(self.error("expected ',' or ')'")),
                }
            }
        }
        if arguments.len() < min || arguments.len() > max {
            let expected = match (min, max) {
                (min, usize::MAX) => format!("at least {min}"),
                (min, max) if min == max => format!("{min}"),
                (min, max) => format!("{min} to {max}"),
            };
            return Err(format!("{name} takes {expected} arguments, got {} in '{}'", arguments.len(), self.text));
        }
        let call = Call { function, arguments };
        check_literals(&call).map_err(|message| format!("{name}: {message} in '{}'", self.text))?;
        Ok(call)
    }

    fn argument(&mut self) -> Result<Argument, String> {
        match self.peek() {
            Some('\'') => self.text_literal().map(Argument::Text),
            Some('$') => self.path().map(Argument::Path),
            Some(_) if self.rest_starts_with("States.") => self.call().map(Argument::Call),
            Some(_) if self.rest_starts_with("true") => self.keyword("true", Value::Bool(true)),
            Some(_) if self.rest_starts_with("false") => self.keyword("false", Value::Bool(false)),
            Some(_) if self.rest_starts_with("null") => self.keyword("null", Value::Null),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            _ => Err(self.error("expected a string, number, boolean, null, path or intrinsic function")),
        }
    }

    fn keyword(&mut self, keyword: &str, value: Value) -> Result<Argument, String> {
        self.position += keyword.chars().count();
        Ok(Argument::Literal(value))
    }

    fn number(&mut self) -> Result<Argument, String> {
        let start = self.position;
        while self.peek().is_some_and(|c| c.is_ascii_digit() || "+-.eE".contains(c)) {
            self.position += 1;
        }
        let token: String = self.chars[start..self.position].iter().collect();
        serde_json::from_str::<serde_json::Number>(&token)
            .map(|number| Argument::Literal(Value::Number(number)))
            .map_err(|_| self.error(&format!("'{token}' is not a number")))
    }

    /// A path argument ends at the first `,` or `)` outside brackets and quotes.
    fn path(&mut self) -> Result<Path, String> {
        let start = self.position;
        let mut bracket_depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            match (quote, c) {
                (Some(open), c) if c == open => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '[') => bracket_depth += 1,
                (None, ']') => bracket_depth = bracket_depth.saturating_sub(1),
                (None, ',' | ')') if bracket_depth == 0 => break,
                _ => {}
            }
            self.position += 1;
        }
        let text: String = self.chars[start..self.position].iter().collect();
        Path::parse(text.trim_end())
    }

    fn text_literal(&mut self) -> Result<TextLiteral, String> {
        self.position += 1;
        let mut value = String::new();
        let mut pieces = Vec::new();
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string literal")),
                Some('\'') => {
                    self.position += 1;
                    break;
                }
                Some('\\') => match self.chars.get(self.position + 1) {
                    Some(&escaped @ ('\'' | '{' | '}' | '\\')) => {
                        value.push(escaped);
                        text.push(escaped);
                        self.position += 2;
                    }
                    _ => return Err(self.error("a backslash must escape one of ' { } \\")),
                },
                Some('{') if self.chars.get(self.position + 1) == Some(&'}') => {
                    value.push_str("{}");
                    if !text.is_empty() {
                        pieces.push(FormatPiece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(FormatPiece::Placeholder);
                    self.position += 2;
                }
                Some(c) => {
                    value.push(c);
                    text.push(c);
                    self.position += 1;
                }
            }
        }
        if !text.is_empty() {
            pieces.push(FormatPiece::Text(text));
        }
        Ok(TextLiteral { value, pieces })
    }
}

/// Definition-time checks of literal arguments, so that obvious mistakes fail when the definition is loaded.
fn check_literals(call: &Call) -> Result<(), String> {
    let literal = |index: usize| match call.arguments.get(index) {
        Some(Argument::Literal(value)) => Some(value.clone()),
        Some(Argument::Text(text)) => Some(Value::String(text.value.clone())),
        _ => None,
    };
    match call.function {
        Function::Format => match call.arguments.first() {
            Some(Argument::Text(template)) => {
                let placeholders = template.pieces.iter().filter(|piece| **piece == FormatPiece::Placeholder).count();
                let values = call.arguments.len() - 1;
                if placeholders == values {
                    Ok(())
                } else {
                    Err(format!("the template has {placeholders} '{{}}' placeholders but {values} values follow"))
                }
            }
            Some(Argument::Path(_) | Argument::Call(_)) => Ok(()),
            _ => Err("the first argument must be a string template".to_owned()),
        },
        Function::JsonToString => match call.arguments.first() {
            Some(Argument::Path(_)) => Ok(()),
            _ => Err("the argument must be a path".to_owned()),
        },
        Function::Hash => match literal(1) {
            Some(Value::String(algorithm)) if !HASH_ALGORITHMS.contains(&algorithm.as_str()) => {
                Err(format!("unknown algorithm '{algorithm}' (expected one of {})", HASH_ALGORITHMS.join(", ")))
            }
            _ => Ok(()),
        },
        Function::JsonMerge => match literal(2) {
            Some(Value::Bool(false)) | None => Ok(()),
            Some(_) => Err("only shallow merging is supported: the third argument must be false".to_owned()),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::context::{ContextObject, ExecutionInfo};

    fn execution() -> ExecutionInfo {
        ExecutionInfo {
            id: "arn:aws:states:local:000000000000:execution:sm:run".to_owned(),
            name: "run".to_owned(),
            start_time: "2024-01-01T00:00:00Z".to_owned(),
            input: json!({}),
            role_arn: "arn:aws:iam::000000000000:role/local".to_owned(),
            state_machine_id: "arn:aws:states:local:000000000000:stateMachine:sm".to_owned(),
            state_machine_name: "sm".to_owned(),
        }
    }

    fn evaluate(text: &str, input: Value) -> Result<Value, StateError> {
        let execution = execution();
        let context = ContextObject::new(&execution, "State", "2024-01-01T00:00:01Z");
        Call::parse(text).expect("valid call").evaluate(&Env { input: &input, context: &context })
    }

    fn ok(text: &str, input: Value) -> Value {
        evaluate(text, input).expect("evaluates")
    }

    fn intrinsic_failure(text: &str, input: Value) -> String {
        let error = evaluate(text, input).expect_err("fails");
        assert_eq!(error.error, error_names::INTRINSIC_FAILURE, "{}", error.cause);
        error.cause
    }

    #[test]
    fn format_interpolates_and_honours_escapes() {
        let input = json!({"name": "Foo", "n": 2020, "flag": true, "nothing": null, "template": "{} and {}"});
        assert_eq!(
            ok("States.Format('Your name is {}, we are in the year {}', $.name, $.n)", input.clone()),
            json!("Your name is Foo, we are in the year 2020")
        );
        assert_eq!(ok("States.Format('{} {}', $.flag, $.nothing)", input.clone()), json!("true null"));
        assert_eq!(ok(r"States.Format('\{\} it\'s {} \\', $.name)", input.clone()), json!(r"{} it's Foo \"));
        assert_eq!(ok("States.Format($.template, 1, 'b')", input.clone()), json!("1 and b"));
        assert!(intrinsic_failure("States.Format('{}', $)", input.clone()).contains("cannot format"));
        assert!(intrinsic_failure("States.Format($.template, 1)", input).contains("placeholders"));
    }

    #[test]
    fn json_conversions() {
        let input = json!({"text": "{\"number\": 20}", "object": {"name": "Foo", "year": 2020}});
        assert_eq!(ok("States.StringToJson($.text)", input.clone()), json!({"number": 20}));
        assert_eq!(ok("States.JsonToString($.object)", input.clone()), json!("{\"name\":\"Foo\",\"year\":2020}"));
        assert!(intrinsic_failure("States.StringToJson('{nope')", input).contains("not valid JSON"));
    }

    #[test]
    fn array_functions() {
        let input = json!({"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "dupes": [1, 2, 3, 3, 3, 1.0, 4], "obj": {"x": 1}});
        assert_eq!(ok("States.Array('Foo', 2020, $.obj, null)", input.clone()), json!(["Foo", 2020, {"x": 1}, null]));
        assert_eq!(ok("States.Array()", input.clone()), json!([]));
        assert_eq!(ok("States.ArrayPartition($.a, 4)", input.clone()), json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]]));
        assert_eq!(ok("States.ArrayContains($.a, 5)", input.clone()), json!(true));
        assert_eq!(ok("States.ArrayContains($.a, 5.0)", input.clone()), json!(true));
        assert_eq!(ok("States.ArrayContains($.a, '5')", input.clone()), json!(false));
        assert_eq!(ok("States.ArrayRange(1, 9, 2)", input.clone()), json!([1, 3, 5, 7, 9]));
        assert_eq!(ok("States.ArrayRange(5, 1, -2)", input.clone()), json!([5, 3, 1]));
        assert_eq!(ok("States.ArrayRange(5, 1, 1)", input.clone()), json!([]));
        assert_eq!(ok("States.ArrayGetItem($.a, 5)", input.clone()), json!(6));
        assert_eq!(ok("States.ArrayLength($.a)", input.clone()), json!(9));
        assert_eq!(ok("States.ArrayUnique($.dupes)", input.clone()), json!([1, 2, 3, 4]));
        assert!(intrinsic_failure("States.ArrayRange(1, 2000, 1)", input.clone()).contains("limit is 1000"));
        assert!(intrinsic_failure("States.ArrayRange(1, 2, 0)", input.clone()).contains("step"));
        let widest = "States.ArrayRange(-9223372036854775808, 9223372036854775807, 1)";
        assert!(intrinsic_failure(widest, input.clone()).contains("limit is 1000"), "no overflow on extreme bounds");
        assert_eq!(
            ok("States.ArrayRange(-9223372036854775808, 9223372036854775807, 9223372036854775807)", input.clone()),
            json!([i64::MIN, -1, i64::MAX - 1])
        );
        assert!(intrinsic_failure("States.ArrayPartition($.a, 0)", input.clone()).contains("positive"));
        assert!(intrinsic_failure("States.ArrayGetItem($.a, 9)", input.clone()).contains("outside"));
        assert!(intrinsic_failure("States.ArrayLength($.obj)", input).contains("must be an array"));
    }

    #[test]
    fn encoding_and_hashing() {
        let input = json!({"data": "Data to encode", "long": "x".repeat(10_001)});
        assert_eq!(ok("States.Base64Encode($.data)", input.clone()), json!("RGF0YSB0byBlbmNvZGU="));
        assert_eq!(ok("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", input.clone()), json!("Data to encode"));
        assert_eq!(
            ok("States.Hash('input data', 'SHA-1')", input.clone()),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7")
        );
        assert_eq!(
            ok("States.Hash('abc', 'SHA-256')", input.clone()),
            json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(ok("States.Hash('abc', 'MD5')", input.clone()), json!("900150983cd24fb0d6963f7d28e17f72"));
        assert_eq!(ok("States.Hash('', 'SHA-384')", input.clone()).as_str().map(str::len), Some(96));
        assert_eq!(ok("States.Hash('', 'SHA-512')", input.clone()).as_str().map(str::len), Some(128));
        assert!(intrinsic_failure("States.Base64Encode($.long)", input.clone()).contains("10000"));
        assert!(intrinsic_failure("States.Base64Decode('***')", input).contains("Base64"));
    }

    #[test]
    fn merge_math_split_and_uuid() {
        let input =
            json!({"j1": {"a": {"a1": 1}, "b": 2}, "j2": {"a": {"a3": 1}, "c": 3}, "s": "This.is+a,test=string"});
        assert_eq!(ok("States.JsonMerge($.j1, $.j2, false)", input.clone()), json!({"a": {"a3": 1}, "b": 2, "c": 3}));
        assert_eq!(ok("States.MathAdd(111, -1)", input.clone()), json!(110));
        assert_eq!(ok("States.MathAdd(1.6, 1)", input.clone()), json!(3));
        let seeded = ok("States.MathRandom(1, 999, 7)", input.clone());
        assert_eq!(ok("States.MathRandom(1, 999, 7)", input.clone()), seeded, "same seed, same number");
        for _ in 0..50 {
            let n = ok("States.MathRandom(3, 5)", input.clone()).as_i64().expect("an integer");
            assert!((3..=5).contains(&n));
        }
        assert_eq!(ok("States.StringSplit($.s, '.+,=')", input.clone()), json!(["This", "is", "a", "test", "string"]));
        assert_eq!(ok("States.StringSplit('a,,b,', ',')", input.clone()), json!(["a", "b"]));
        let uuid = ok("States.UUID()", input.clone());
        let uuid = uuid.as_str().expect("a string");
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.as_bytes()[14], b'4', "version 4");
        assert!(intrinsic_failure("States.MathRandom(5, 1)", input).contains("greater"));
    }

    #[test]
    fn nested_calls_and_context_paths() {
        let input = json!({"arn": "arn:aws:imagebuilder:us-east-1:123:image/recipe/1.0.2"});
        assert_eq!(
            ok(
                "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.arn, '/'), 2), '.'), 1))",
                input.clone()
            ),
            json!("1.0")
        );
        assert_eq!(ok("States.Format('{}-{}', $$.Execution.Name, $$.State.Name)", input), json!("run-State"));
    }

    #[test]
    fn missing_path_arguments_are_runtime_errors() {
        let error = evaluate("States.ArrayLength($.missing)", json!({})).expect_err("fails");
        assert_eq!(error.error, error_names::RUNTIME);
        assert!(error.cause.contains("$.missing"));
    }

    #[test]
    fn definition_errors() {
        for (text, expected) in [
            ("States.Nope(1)", "unknown intrinsic function 'States.Nope'"),
            ("States.ArrayLength()", "takes 1 arguments, got 0"),
            ("States.Format('{} {}', 1)", "2 '{}' placeholders but 1 values"),
            ("States.JsonToString('x')", "must be a path"),
            ("States.Hash('x', 'SHA-3')", "unknown algorithm"),
            ("States.JsonMerge($.a, $.b, true)", "shallow"),
            ("States.Array(1", "expected ',' or ')'"),
            ("States.Format('\\n')", "backslash"),
            ("States.Array(1) x", "unexpected text"),
            ("States.Array('x)", "unterminated"),
        ] {
            let message = Call::parse(text).expect_err(text);
            assert!(message.contains(expected), "{text}: {message}");
        }
    }
}
