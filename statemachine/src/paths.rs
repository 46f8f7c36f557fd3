//! JSONPath as the Amazon States Language uses it: Paths (`$.a[*].b`, `$..c`, `$.a[1:3]`) that select values,
//! Reference Paths (`$.a.b`, `$['a']`, `$.a[0]`) that name exactly one node and can be written to (ResultPath),
//! and the `$$` root that addresses the context object.

use std::fmt;

use serde_json::{Map, Value};

/// Which document a path starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    /// `$`: the state's (effective) input.
    Input,
    /// `$$`: the context object.
    Context,
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    /// `.name` or `['name']`.
    Field(String),
    /// `[3]` or `[-1]` (negative counts from the end).
    Index(i64),
    /// `.*` or `[*]`.
    Wildcard,
    /// `[start:end:step]`, Python-style.
    Slice { start: Option<i64>, end: Option<i64>, step: i64 },
    /// `['a','b']`.
    Fields(Vec<String>),
    /// `[0,2]`.
    Indexes(Vec<i64>),
    /// `..name`: every `name` field at any depth.
    DescendantField(String),
    /// `..*`: every value below the current one.
    DescendantWildcard,
}

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Path {
    text: String,
    root: Root,
    segments: Vec<Segment>,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Path {
    /// Parses a Path. Filter expressions (`[?(...)]`) and script expressions are not supported and are rejected.
    pub(crate) fn parse(text: &str) -> Result<Path, String> {
        Parser { text, chars: text.char_indices().collect(), position: 0 }.parse()
    }

    /// `$`: the whole input.
    pub(crate) fn whole_input() -> Path {
        Path { text: "$".to_owned(), root: Root::Input, segments: Vec::new() }
    }

    /// Parses a Reference Path: a path that names a single node (fields and indexes only).
    pub(crate) fn parse_reference(text: &str) -> Result<Path, String> {
        let path = Path::parse(text)?;
        if path.is_definite() {
            Ok(path)
        } else {
            Err(format!(
                "'{text}' must be a Reference Path (only field names and array indexes, no wildcards, slices, unions or '..')"
            ))
        }
    }

    pub(crate) fn root(&self) -> Root {
        self.root
    }

    /// A definite path selects at most one value; an indefinite one selects a list.
    pub(crate) fn is_definite(&self) -> bool {
        self.segments.iter().all(|segment| matches!(segment, Segment::Field(_) | Segment::Index(_)))
    }

    /// Applies the path to its root document. A definite path yields the value it names (`None` when nothing is
    /// there); an indefinite path yields an array of every match (possibly empty), as Step Functions does.
    pub(crate) fn select(&self, input: &Value, context: &Value) -> Option<Value> {
        let document = match self.root {
            Root::Input => input,
            Root::Context => context,
        };
        let mut current = vec![document];
        for segment in &self.segments {
            current = current.into_iter().flat_map(|value| apply_segment(segment, value)).collect();
        }
        if self.is_definite() {
            current.first().map(|value| (*value).clone())
        } else {
            Some(Value::Array(current.into_iter().cloned().collect()))
        }
    }

    /// Writes `value` at this Reference Path inside `target` (ResultPath semantics): `$` replaces the whole document,
    /// missing object fields are created, and anything that cannot hold the value is an error.
    pub(crate) fn write(&self, target: Value, value: Value) -> Result<Value, String> {
        if self.segments.is_empty() {
            return Ok(value);
        }
        let mut document = target;
        write_into(&mut document, &self.segments, value, &self.text)?;
        Ok(document)
    }
}

fn write_into(node: &mut Value, segments: &[Segment], value: Value, path: &str) -> Result<(), String> {
    let Some((segment, rest)) = segments.split_first() else {
        *node = value;
        return Ok(());
    };
    let child = match (segment, node) {
        (Segment::Field(name), Value::Object(object)) => object
            .entry(name.clone())
            .or_insert_with(|| if rest.is_empty() { Value::Null } else { Value::Object(Map::new()) }),
        (Segment::Index(index), Value::Array(array)) => {
            let position = resolve_index(*index, array.len())
                .ok_or_else(|| format!("index {index} in '{path}' is outside the array of {} items", array.len()))?;
            &mut array[position]
        }
        (Segment::Field(name), other) => {
            return Err(format!("cannot set field '{name}' of '{path}' on a {} value", json_type_name(other)));
        }
        (Segment::Index(index), other) => {
            return Err(format!("cannot set index {index} of '{path}' on a {} value", json_type_name(other)));
        }
        _ => return Err(format!("'{path}' is not a Reference Path")),
    };
    write_into(child, rest, value, path)
}

/// The JSON type name used in error messages.
pub(crate) fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn resolve_index(index: i64, length: usize) -> Option<usize> {
    let length = i64::try_from(length).ok()?;
    let position = if index < 0 { length + index } else { index };
    if (0..length).contains(&position) { usize::try_from(position).ok() } else { None }
}

fn apply_segment<'v>(segment: &Segment, value: &'v Value) -> Vec<&'v Value> {
    match segment {
        Segment::Field(name) => value.get(name).into_iter().collect(),
        Segment::Index(index) => match value {
            Value::Array(array) => {
                resolve_index(*index, array.len()).map(|position| &array[position]).into_iter().collect()
            }
            _ => Vec::new(),
        },
        Segment::Wildcard => children(value),
        Segment::Slice { start, end, step } => match value {
            Value::Array(array) => {
                slice_positions(array.len(), *start, *end, *step).into_iter().map(|i| &array[i]).collect()
            }
            _ => Vec::new(),
        },
        Segment::Fields(names) => names.iter().filter_map(|name| value.get(name)).collect(),
        Segment::Indexes(indexes) => match value {
            Value::Array(array) => {
                indexes.iter().filter_map(|index| resolve_index(*index, array.len())).map(|i| &array[i]).collect()
            }
            _ => Vec::new(),
        },
        Segment::DescendantField(name) => {
            let mut found = Vec::new();
            collect_descendants(value, &mut |node| {
                if let Some(child) = node.get(name) {
                    found.push(child);
                }
            });
            found
        }
        Segment::DescendantWildcard => {
            let mut found = Vec::new();
            collect_descendants(value, &mut |node| found.extend(children(node)));
            found
        }
    }
}

fn children(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(array) => array.iter().collect(),
        Value::Object(object) => object.values().collect(),
        _ => Vec::new(),
    }
}

/// Visits `value` and every value below it, parents first.
fn collect_descendants<'v>(value: &'v Value, visit: &mut dyn FnMut(&'v Value)) {
    visit(value);
    for child in children(value) {
        collect_descendants(child, visit);
    }
}

fn slice_positions(length: usize, start: Option<i64>, end: Option<i64>, step: i64) -> Vec<usize> {
    let Ok(length) = i64::try_from(length) else {
        return Vec::new();
    };
    let clamp = |bound: i64, low: i64, high: i64| {
        let absolute = if bound < 0 { bound + length } else { bound };
        absolute.clamp(low, high)
    };
    let mut positions = Vec::new();
    if step > 0 {
        let mut i = start.map_or(0, |s| clamp(s, 0, length));
        let stop = end.map_or(length, |e| clamp(e, 0, length));
        while i < stop {
            positions.extend(usize::try_from(i).ok());
            i = i.saturating_add(step);
        }
    } else {
        let mut i = start.map_or(length - 1, |s| clamp(s, -1, length - 1));
        let stop = end.map_or(-1, |e| clamp(e, -1, length - 1));
        while i > stop {
            positions.extend(usize::try_from(i).ok());
            i = i.saturating_add(step);
        }
    }
    positions
}

struct Parser<'t> {
    text: &'t str,
    chars: Vec<(usize, char)>,
    position: usize,
}

impl Parser<'_> {
    fn parse(mut self) -> Result<Path, String> {
        let root = if self.text.starts_with("$$") {
            self.position = 2;
            Root::Context
        } else if self.text.starts_with('$') {
            self.position = 1;
            Root::Input
        } else {
            return Err(format!("'{}' is not a JSONPath: it must start with '$'", self.text));
        };
        let mut segments = Vec::new();
        while let Some(next) = self.peek() {
            let segment = match next {
                '.' if self.peek_at(1) == Some('.') => {
                    self.position += 2;
                    match self.peek() {
                        Some('*') => {
                            self.position += 1;
                            Segment::DescendantWildcard
                        }
                        Some('[') => return Err(self.error("'..[' is not supported; write '..name' or '..*'")),
                        _ => Segment::DescendantField(self.dotted_name()?),
                    }
                }
                '.' => {
                    self.position += 1;
                    if self.peek() == Some('*') {
                        self.position += 1;
                        Segment::Wildcard
                    } else {
                        Segment::Field(self.dotted_name()?)
                    }
                }
                '[' => {
                    self.position += 1;
                    self.bracket()?
                }
                other => return Err(self.error(&format!("unexpected character '{other}'"))),
            };
            segments.push(segment);
        }
        Ok(Path { text: self.text.to_owned(), root, segments })
    }

    fn peek(&self) -> Option<char> {
        self.peek_at(0)
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.position + offset).map(|(_, c)| *c)
    }

    fn error(&self, message: &str) -> String {
        let at = self.chars.get(self.position).map_or(self.text.len(), |(i, _)| *i);
        format!("invalid JSONPath '{}' at byte {at}: {message}", self.text)
    }

    fn dotted_name(&mut self) -> Result<String, String> {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if c == '.' || c == '[' {
                break;
            }
            if c.is_whitespace() || c == '(' || c == ')' || c == '?' || c == '@' {
                return Err(self.error(&format!("character '{c}' is not allowed in a field name; quote it as ['...']")));
            }
            name.push(c);
            self.position += 1;
        }
        if name.is_empty() { Err(self.error("empty field name")) } else { Ok(name) }
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
    }

    fn expect(&mut self, expected: char) -> Result<(), String> {
        self.skip_spaces();
        if self.peek() == Some(expected) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{expected}'")))
        }
    }

    fn bracket(&mut self) -> Result<Segment, String> {
        self.skip_spaces();
        match self.peek() {
            Some('?') | Some('(') => Err(self.error("filter and script expressions are not supported")),
            Some('*') => {
                self.position += 1;
                self.expect(']')?;
                Ok(Segment::Wildcard)
            }
            Some('\'') | Some('"') => {
                let mut names = vec![self.quoted()?];
                loop {
                    self.skip_spaces();
                    match self.peek() {
                        Some(',') => {
                            self.position += 1;
                            self.skip_spaces();
                            names.push(self.quoted()?);
                        }
                        Some(']') => {
                            self.position += 1;
                            break;
                        }
                        _ => return Err(self.error("expected ',' or ']' after a quoted name")),
                    }
                }
                Ok(if names.len() == 1 { Segment::Field(names.remove(0)) } else { Segment::Fields(names) })
            }
            _ => self.numeric_bracket(),
        }
    }

    fn quoted(&mut self) -> Result<String, String> {
        let Some(quote) = self.peek() else {
            return Err(self.error("expected a quoted name"));
        };
        if quote != '\'' && quote != '"' {
            return Err(self.error("expected a quoted name"));
        }
        self.position += 1;
        let mut name = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated quoted name")),
                Some('\\') => {
                    let escaped = self.peek_at(1).ok_or_else(|| self.error("unterminated escape"))?;
                    name.push(escaped);
                    self.position += 2;
                }
                Some(c) if c == quote => {
                    self.position += 1;
                    return Ok(name);
                }
                Some(c) => {
                    name.push(c);
                    self.position += 1;
                }
            }
        }
    }

    fn integer(&mut self) -> Result<Option<i64>, String> {
        self.skip_spaces();
        let mut digits = String::new();
        if self.peek() == Some('-') {
            digits.push('-');
            self.position += 1;
        }
        while let Some(c) = self.peek().filter(char::is_ascii_digit) {
            digits.push(c);
            self.position += 1;
        }
        self.skip_spaces();
        match digits.as_str() {
            "" => Ok(None),
            "-" => Err(self.error("expected digits after '-'")),
            _ => digits.parse().map(Some).map_err(|_| self.error("index out of range")),
        }
    }

    fn numeric_bracket(&mut self) -> Result<Segment, String> {
        let first = self.integer()?;
        match self.peek() {
            Some(']') => {
                self.position += 1;
                first.map(Segment::Index).ok_or_else(|| self.error("empty brackets"))
            }
            Some(',') => {
                let mut indexes = vec![first.ok_or_else(|| self.error("expected an index before ','"))?];
                while self.peek() == Some(',') {
                    self.position += 1;
                    indexes.push(self.integer()?.ok_or_else(|| self.error("expected an index after ','"))?);
                }
                self.expect(']')?;
                Ok(Segment::Indexes(indexes))
            }
            Some(':') => {
                self.position += 1;
                let end = self.integer()?;
                let step = if self.peek() == Some(':') {
                    self.position += 1;
                    self.integer()?.unwrap_or(1)
                } else {
                    1
                };
                if step == 0 {
                    return Err(self.error("slice step must not be 0"));
                }
                self.expect(']')?;
                Ok(Segment::Slice { start: first, end, step })
            }
            _ => Err(self.error("expected an index, a slice, '*' or a quoted name inside brackets")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn select(path: &str, input: &Value) -> Option<Value> {
        Path::parse(path).expect("valid path").select(input, &json!({"Execution": {"Name": "run-1"}}))
    }

    #[test]
    fn definite_paths_select_single_values() {
        let input = json!({"a": {"b": [10, 20, {"c d": true}]}, "x.y": 1});
        assert_eq!(select("$", &input), Some(input.clone()));
        assert_eq!(select("$.a.b[1]", &input), Some(json!(20)));
        assert_eq!(select("$.a.b[-1]['c d']", &input), Some(json!(true)));
        assert_eq!(select("$['a'][\"b\"][0]", &input), Some(json!(10)));
        assert_eq!(select("$['x.y']", &input), Some(json!(1)));
        assert_eq!(select("$.a.missing", &input), None);
        assert_eq!(select("$.a.b[7]", &input), None);
        assert_eq!(select("$$.Execution.Name", &input), Some(json!("run-1")));
    }

    #[test]
    fn indefinite_paths_select_lists() {
        let input = json!({"items": [{"id": 1, "n": {"id": 9}}, {"id": 2}, {"other": 3}], "id": 0});
        assert_eq!(select("$.items[*].id", &input), Some(json!([1, 2])));
        assert_eq!(select("$.items.*.id", &input), Some(json!([1, 2])));
        assert_eq!(select("$..id", &input), Some(json!([0, 1, 9, 2])));
        assert_eq!(select("$.items[0:2].id", &input), Some(json!([1, 2])));
        assert_eq!(select("$.items[::-1].id", &input), Some(json!([2, 1])));
        assert_eq!(select("$.items[0,2]", &input), Some(json!([{"id": 1, "n": {"id": 9}}, {"other": 3}])));
        assert_eq!(select("$.items[0]['id','n']", &input), Some(json!([1, {"id": 9}])));
        assert_eq!(select("$.nothing[*]", &input), Some(json!([])));
        assert_eq!(
            select("$.items[1::9223372036854775807].id", &input),
            Some(json!([2])),
            "huge steps do not overflow"
        );
        assert_eq!(select("$.items[::-9223372036854775808].id", &input), Some(json!([])));
    }

    #[test]
    fn rejects_malformed_and_unsupported_paths() {
        for bad in ["a.b", "$.", "$.a[", "$.a[?(@.b)]", "$.a b", "$.a['x'", "$[1:2:0]"] {
            assert!(Path::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert!(Path::parse_reference("$.a[*]").is_err());
        assert!(Path::parse_reference("$..a").is_err());
        assert!(Path::parse_reference("$.a[0].b").is_ok());
    }

    #[test]
    fn writes_at_reference_paths() {
        let path = |text: &str| Path::parse_reference(text).expect("valid reference path");
        assert_eq!(path("$").write(json!({"a": 1}), json!(5)), Ok(json!(5)));
        assert_eq!(path("$.r").write(json!({"a": 1}), json!(5)), Ok(json!({"a": 1, "r": 5})));
        assert_eq!(path("$.a.b.c").write(json!({"a": {}}), json!(5)), Ok(json!({"a": {"b": {"c": 5}}})));
        assert_eq!(path("$.a").write(json!({"a": {"old": 1}}), json!(5)), Ok(json!({"a": 5})));
        assert_eq!(path("$.l[1]").write(json!({"l": [1, 2]}), json!(5)), Ok(json!({"l": [1, 5]})));
        assert!(path("$.a").write(json!("text"), json!(5)).is_err());
        assert!(path("$.a.b").write(json!({"a": 3}), json!(5)).is_err());
        assert!(path("$.l[4]").write(json!({"l": [1]}), json!(5)).is_err());
    }
}
