//! X-Ray traces offline: what the filter expressions need from a trace (`TraceSummary`), and the subset of the
//! X-Ray filter expression language the bundle's trace source understands (`TraceFilter`).

use serde_json::Value;

use crate::error::{Fa2Error, Result};

const SUPPORTED: &str = "offline X-Ray filters support ok, fault, error, throttle (optionally `= true|false`), \
                         responsetime, duration, http.status, service(\"name\") with an optional { ... } block, AND, \
                         OR, NOT/!, and parentheses";

/// One service node of a trace (a segment, or a downstream call inferred from a subsegment) and its state.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ServiceNode {
    names: Vec<String>,
    flags: Flags,
    response_time: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Flags {
    fault: bool,
    error: bool,
    throttle: bool,
}

/// What the filters ask of a trace.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TraceSummary {
    /// Epoch seconds of the earliest segment start.
    pub start_time: f64,
    duration: f64,
    /// The root segment's response time and HTTP status.
    response_time: f64,
    http_status: Option<f64>,
    flags: Flags,
    services: Vec<ServiceNode>,
}

impl TraceSummary {
    /// Reads a `BatchGetTraces` trace; the error says what is wrong with it.
    pub fn of(trace: &Value) -> Result<TraceSummary, String> {
        let Some(object) = trace.as_object() else {
            return Err("must be a JSON object (a BatchGetTraces trace)".into());
        };
        if !object.get("Id").is_some_and(Value::is_string) {
            return Err("missing required field \"Id\" (a string)".into());
        }
        let segments = match object.get("Segments") {
            Some(Value::Array(segments)) => segments,
            Some(_) => return Err("\"Segments\" must be an array".into()),
            None => return Err("missing required field \"Segments\"".into()),
        };
        let mut documents = Vec::with_capacity(segments.len());
        for (i, segment) in segments.iter().enumerate() {
            let document = segment
                .get("Document")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("\"Segments[{i}].Document\" must be a string"))?;
            let parsed: Value = serde_json::from_str(document)
                .map_err(|e| format!("\"Segments[{i}].Document\" is not a JSON segment document: {e}"))?;
            if !parsed.get("start_time").is_some_and(Value::is_number) {
                return Err(format!("\"Segments[{i}].Document\" has no numeric start_time"));
            }
            documents.push(parsed);
        }
        let number = |doc: &Value, key: &str| doc.get(key).and_then(Value::as_f64).unwrap_or(0.0);
        let Some(start_time) = documents.iter().map(|d| number(d, "start_time")).reduce(f64::min) else {
            return Err("\"Segments\" is empty".into());
        };
        let end_time = documents.iter().map(|d| number(d, "end_time")).fold(start_time, f64::max);
        let root = documents.iter().find(|d| d.get("parent_id").is_none()).or(documents.first());
        let mut services = Vec::new();
        for document in &documents {
            collect_nodes(document, true, &mut services);
        }
        let flags = services.iter().fold(Flags::default(), |acc, node| Flags {
            fault: acc.fault || node.flags.fault,
            error: acc.error || node.flags.error,
            throttle: acc.throttle || node.flags.throttle,
        });
        Ok(TraceSummary {
            start_time,
            duration: object.get("Duration").and_then(Value::as_f64).unwrap_or(end_time - start_time),
            response_time: root.map_or(0.0, |r| number(r, "end_time") - number(r, "start_time")),
            http_status: root.and_then(|r| r.pointer("/http/response/status")).and_then(Value::as_f64),
            flags,
            services,
        })
    }
}

fn flags_of(document: &Value) -> Flags {
    let flag = |key: &str| document.get(key).and_then(Value::as_bool).unwrap_or(false);
    Flags { fault: flag("fault"), error: flag("error"), throttle: flag("throttle") }
}

/// A segment is a service node; a subsegment calling out (`namespace` aws or remote) is an inferred node, named by
/// its name and by the resources it names (table, function, queue).
fn collect_nodes(document: &Value, is_segment: bool, out: &mut Vec<ServiceNode>) {
    let namespace = document.get("namespace").and_then(Value::as_str).unwrap_or("");
    if is_segment || matches!(namespace, "aws" | "remote") {
        let mut names: Vec<String> =
            document.get("name").and_then(Value::as_str).map(str::to_string).into_iter().collect();
        if let Some(aws) = document.get("aws") {
            for key in ["table_name", "function_name", "queue_url"] {
                if let Some(name) = aws.get(key).and_then(Value::as_str) {
                    names.push(name.rsplit('/').next().unwrap_or(name).to_string());
                }
            }
            let listed = aws.get("resource_names").and_then(Value::as_array).into_iter().flatten();
            names.extend(listed.filter_map(Value::as_str).map(str::to_string));
        }
        let time = |key: &str| document.get(key).and_then(Value::as_f64).unwrap_or(0.0);
        out.push(ServiceNode {
            names,
            flags: flags_of(document),
            response_time: time("end_time") - time("start_time"),
        });
    }
    for child in document.get("subsegments").and_then(Value::as_array).into_iter().flatten() {
        collect_nodes(child, false, out);
    }
}

/// A parsed filter expression.
#[derive(Debug, PartialEq)]
pub(super) enum TraceFilter {
    And(Box<TraceFilter>, Box<TraceFilter>),
    Or(Box<TraceFilter>, Box<TraceFilter>),
    Not(Box<TraceFilter>),
    Flag(FlagName, bool),
    Measure(Measure, &'static str, f64),
    /// `service("name")`, optionally with a condition on that service's own node (`{ fault }`).
    Service(String, Option<Box<TraceFilter>>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum FlagName {
    Ok,
    Fault,
    Error,
    Throttle,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Measure {
    ResponseTime,
    Duration,
    HttpStatus,
}

/// What a filter is evaluated against: a whole trace, or one service node inside a `service(...) { }` block.
struct Subject<'a> {
    flags: Flags,
    response_time: f64,
    duration: f64,
    http_status: Option<f64>,
    services: &'a [ServiceNode],
}

impl TraceFilter {
    pub fn parse(text: &str) -> Result<TraceFilter> {
        let tokens = lex(text)?;
        let mut parser = Parser { tokens: &tokens, at: 0 };
        let filter = parser.or()?;
        match parser.tokens.get(parser.at) {
            None => Ok(filter),
            Some(extra) => Err(Fa2Error::invalid(format!("X-Ray filter: unexpected `{extra}`; {SUPPORTED}"))),
        }
    }

    pub fn matches(&self, trace: &TraceSummary) -> bool {
        self.holds(&Subject {
            flags: trace.flags,
            response_time: trace.response_time,
            duration: trace.duration,
            http_status: trace.http_status,
            services: &trace.services,
        })
    }

    fn holds(&self, subject: &Subject<'_>) -> bool {
        match self {
            TraceFilter::And(a, b) => a.holds(subject) && b.holds(subject),
            TraceFilter::Or(a, b) => a.holds(subject) || b.holds(subject),
            TraceFilter::Not(inner) => !inner.holds(subject),
            TraceFilter::Flag(name, wanted) => {
                let f = subject.flags;
                let value = match name {
                    FlagName::Ok => !(f.fault || f.error || f.throttle),
                    FlagName::Fault => f.fault,
                    FlagName::Error => f.error,
                    FlagName::Throttle => f.throttle,
                };
                value == *wanted
            }
            TraceFilter::Measure(measure, op, bound) => {
                let value = match measure {
                    Measure::ResponseTime => Some(subject.response_time),
                    Measure::Duration => Some(subject.duration),
                    Measure::HttpStatus => subject.http_status,
                };
                value.is_some_and(|v| compare(v, op, *bound))
            }
            TraceFilter::Service(pattern, inner) => subject.services.iter().any(|node| {
                node.names.iter().any(|name| glob_matches(pattern, name))
                    && inner.as_ref().is_none_or(|inner| {
                        inner.holds(&Subject {
                            flags: node.flags,
                            response_time: node.response_time,
                            duration: node.response_time,
                            http_status: None,
                            services: std::slice::from_ref(node),
                        })
                    })
            }),
        }
    }
}

fn compare(value: f64, op: &str, bound: f64) -> bool {
    match op {
        "=" => value == bound,
        "!=" => value != bound,
        "<" => value < bound,
        "<=" => value <= bound,
        ">" => value > bound,
        _ => value >= bound,
    }
}

/// X-Ray names allow `*` wildcards; matching is case-insensitive here to forgive how people type names.
fn glob_matches(pattern: &str, name: &str) -> bool {
    let (pattern, name) = (pattern.to_lowercase(), name.to_lowercase());
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(after) = rest.strip_prefix(part) else { return false };
            rest = after;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(at) = rest.find(part) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    true
}

fn lex(text: &str) -> Result<Vec<String>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let end = chars[i + 1..].iter().position(|&d| d == '"').map(|p| i + 1 + p);
            let Some(end) = end else { return Err(Fa2Error::invalid("X-Ray filter: unterminated string")) };
            tokens.push(chars[i..=end].iter().collect());
            i = end + 1;
        } else if matches!(c, '(' | ')' | '{' | '}') {
            tokens.push(c.to_string());
            i += 1;
        } else if matches!(c, '=' | '!' | '<' | '>' | '&' | '|') {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let width = if ["!=", "<=", ">=", "&&", "||", "=="].contains(&two.as_str()) { 2 } else { 1 };
            tokens.push(chars[i..i + width].iter().collect());
            i += width;
        } else if c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ':') {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '.' | '_' | '-' | ':')) {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else {
            return Err(Fa2Error::invalid(format!("X-Ray filter: unexpected character '{c}'; {SUPPORTED}")));
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: &'a [String],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn eat(&mut self, options: &[&str]) -> bool {
        let found = self.peek().is_some_and(|t| options.iter().any(|o| o.eq_ignore_ascii_case(t)));
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, token: &str) -> Result<()> {
        if self.eat(&[token]) {
            Ok(())
        } else {
            Err(Fa2Error::invalid(format!("X-Ray filter: expected `{token}`; {SUPPORTED}")))
        }
    }

    fn or(&mut self) -> Result<TraceFilter> {
        let mut left = self.and()?;
        while self.eat(&["OR", "||"]) {
            left = TraceFilter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<TraceFilter> {
        let mut left = self.unary()?;
        while self.eat(&["AND", "&&"]) {
            left = TraceFilter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<TraceFilter> {
        if self.eat(&["NOT", "!"]) {
            return Ok(TraceFilter::Not(Box::new(self.unary()?)));
        }
        if self.eat(&["("]) {
            let inner = self.or()?;
            self.expect(")")?;
            return Ok(inner);
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<TraceFilter> {
        let Some(word) = self.peek().map(str::to_ascii_lowercase) else {
            return Err(Fa2Error::invalid(format!("X-Ray filter: a condition is missing; {SUPPORTED}")));
        };
        self.at += 1;
        let flag = match word.as_str() {
            "ok" => Some(FlagName::Ok),
            "fault" => Some(FlagName::Fault),
            "error" => Some(FlagName::Error),
            "throttle" => Some(FlagName::Throttle),
            _ => None,
        };
        if let Some(flag) = flag {
            if !self.eat(&["=", "=="]) {
                return Ok(TraceFilter::Flag(flag, true));
            }
            return match self.peek().map(str::to_ascii_lowercase).as_deref() {
                Some(value @ ("true" | "false")) => {
                    let wanted = value == "true";
                    self.at += 1;
                    Ok(TraceFilter::Flag(flag, wanted))
                }
                _ => Err(Fa2Error::invalid(format!("X-Ray filter: `{word} =` takes true or false"))),
            };
        }
        let measure = match word.as_str() {
            "responsetime" => Some(Measure::ResponseTime),
            "duration" => Some(Measure::Duration),
            "http.status" => Some(Measure::HttpStatus),
            _ => None,
        };
        if let Some(measure) = measure {
            let op = ["=", "!=", "<", "<=", ">", ">="].into_iter().find(|op| self.peek() == Some(*op));
            let Some(op) = op else {
                return Err(Fa2Error::invalid(format!("X-Ray filter: `{word}` needs a comparison")));
            };
            self.at += 1;
            let bound = self.peek().and_then(|t| t.parse::<f64>().ok());
            let Some(bound) = bound else {
                return Err(Fa2Error::invalid(format!("X-Ray filter: `{word} {op}` needs a number")));
            };
            self.at += 1;
            return Ok(TraceFilter::Measure(measure, op, bound));
        }
        if word == "service" {
            self.expect("(")?;
            let name = self.peek().filter(|t| t.starts_with('"')).map(|t| t.trim_matches('"').to_string());
            let Some(name) = name else {
                return Err(Fa2Error::invalid("X-Ray filter: service(...) takes a quoted name"));
            };
            self.at += 1;
            self.expect(")")?;
            let inner = if self.eat(&["{"]) {
                let inner = self.or()?;
                self.expect("}")?;
                Some(Box::new(inner))
            } else {
                None
            };
            return Ok(TraceFilter::Service(name, inner));
        }
        Err(Fa2Error::invalid(format!("X-Ray filter keyword `{word}` is not supported offline; {SUPPORTED}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trace(documents: &[Value]) -> TraceSummary {
        let segments: Vec<Value> = documents.iter().map(|d| json!({"Id": "s", "Document": d.to_string()})).collect();
        TraceSummary::of(&json!({"Id": "1-x", "Segments": segments})).unwrap()
    }

    fn check(filter: &str, summary: &TraceSummary) -> bool {
        TraceFilter::parse(filter).unwrap().matches(summary)
    }

    #[test]
    fn service_blocks_look_at_that_service_only() {
        let summary = trace(&[
            json!({"id": "a", "name": "api", "start_time": 10.0, "end_time": 12.5, "http": {"response": {"status": 502}},
                   "fault": true}),
            json!({"id": "b", "parent_id": "a", "name": "worker", "start_time": 10.5, "end_time": 11.0,
                   "subsegments": [{"name": "DynamoDB", "namespace": "aws", "throttle": true, "start_time": 10.6,
                                    "end_time": 10.7, "aws": {"table_name": "orders"}}]}),
        ]);
        assert_eq!(summary.start_time, 10.0);
        assert!(check(r#"service("api") { fault = true }"#, &summary));
        assert!(!check(r#"service("worker") { fault }"#, &summary));
        assert!(check(r#"service("orders") { throttle } AND throttle = true"#, &summary));
        assert!(check(r#"service("Dynamo*")"#, &summary));
        assert!(check("responsetime > 2 AND http.status >= 500 AND duration >= 2.5", &summary));
        assert!(check("!ok AND (error = false OR fault)", &summary));
        assert!(!check("ok", &summary));
    }

    #[test]
    fn unsupported_or_malformed_filters_are_refused() {
        for (filter, expected) in [
            ("annotation.customer = \"a\"", "`annotation.customer` is not supported"),
            ("fault = maybe", "takes true or false"),
            ("service(orders)", "quoted name"),
            ("fault AND", "a condition is missing"),
            ("(fault", "expected `)`"),
            ("fault fault", "unexpected `fault`"),
            ("responsetime > fast", "needs a number"),
        ] {
            let message = TraceFilter::parse(filter).unwrap_err().to_string();
            assert!(message.contains(expected), "{filter}: {message}");
        }
    }

    #[test]
    fn unreadable_traces_are_explained() {
        assert!(TraceSummary::of(&json!([])).unwrap_err().contains("JSON object"));
        assert!(TraceSummary::of(&json!({"Id": "x", "Segments": []})).unwrap_err().contains("empty"));
        let no_start = json!({"Id": "x", "Segments": [{"Document": "{}"}]});
        assert!(TraceSummary::of(&no_start).unwrap_err().contains("start_time"));
    }
}
