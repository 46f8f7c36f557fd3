//! The subset of the CloudWatch Logs Insights query language that the offline log search runs over `logs.jsonl`:
//! `fields`/`display`, `filter` (like, not like, =~, comparisons, and/or/not, parentheses, `ispresent`),
//! `sort @timestamp`, `limit`. Anything else is refused with a message naming it.

use std::cell::OnceCell;
use std::cmp::Ordering;

use regex::Regex;
use serde_json::Value;

use crate::error::{Fa2Error, Result};
use crate::ports::LogEvent;

const SUPPORTED: &str = "offline log search supports fields, display, filter, sort @timestamp and limit";

/// A parsed query: every `filter` must hold; results in timestamp order, newest first when `descending`.
#[derive(Debug)]
pub(super) struct InsightsQuery {
    filters: Vec<Expr>,
    pub descending: bool,
    pub limit: Option<usize>,
}

impl InsightsQuery {
    pub fn parse(text: &str) -> Result<InsightsQuery> {
        let tokens = lex(text)?;
        let mut query = InsightsQuery { filters: Vec::new(), descending: false, limit: None };
        for command in tokens.split(|t| *t == Token::Pipe) {
            let Some((Token::Word(name), rest)) = command.split_first() else {
                if command.is_empty() {
                    continue;
                }
                return Err(Fa2Error::invalid(format!(
                    "a Logs Insights command must start with its name; {SUPPORTED}"
                )));
            };
            match name.to_ascii_lowercase().as_str() {
                // The offline search returns whole events, so the projection does not change the answer.
                "fields" | "display" => {}
                "filter" => {
                    let mut parser = Parser { tokens: rest, at: 0 };
                    let expr = parser.or()?;
                    if let Some(extra) = parser.peek() {
                        return Err(Fa2Error::invalid(format!("filter: unexpected {extra} after the condition")));
                    }
                    query.filters.push(expr);
                }
                "sort" => query.descending = parse_sort(rest)?,
                "limit" => match rest {
                    [Token::Number(n)] if *n >= 1.0 && n.fract() == 0.0 => query.limit = Some(*n as usize),
                    _ => return Err(Fa2Error::invalid("limit takes one positive whole number")),
                },
                "stats" => {
                    return Err(Fa2Error::invalid(
                        "stats is not supported offline (bundle log search): query the events with fields/filter/limit \
                         and let the evidence engine count them",
                    ));
                }
                other => {
                    return Err(Fa2Error::invalid(format!("unsupported Logs Insights command `{other}`; {SUPPORTED}")));
                }
            }
        }
        Ok(query)
    }

    pub fn matches(&self, event: &LogEvent) -> bool {
        let context = EventContext { event, json: OnceCell::new() };
        self.filters.iter().all(|f| f.holds(&context))
    }
}

fn parse_sort(rest: &[Token]) -> Result<bool> {
    match rest {
        [Token::Word(field), order @ ..] if field.eq_ignore_ascii_case("@timestamp") => match order {
            [] => Ok(true),
            [Token::Word(o)] if o.eq_ignore_ascii_case("desc") => Ok(true),
            [Token::Word(o)] if o.eq_ignore_ascii_case("asc") => Ok(false),
            _ => Err(Fa2Error::invalid("sort @timestamp takes asc or desc")),
        },
        _ => Err(Fa2Error::invalid("offline log search can sort only by @timestamp")),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Regex(String),
    Number(f64),
    Op(&'static str),
    Open,
    Close,
    Comma,
    Pipe,
    /// `[` or `]`: only lexed so that list syntax (`in [...]`) gets a message about the operator, not the character.
    Bracket(char),
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Word(w) => write!(f, "`{w}`"),
            Token::Str(s) => write!(f, "\"{s}\""),
            Token::Regex(r) => write!(f, "/{r}/"),
            Token::Number(n) => write!(f, "{n}"),
            Token::Op(op) => write!(f, "`{op}`"),
            Token::Open => f.write_str("`(`"),
            Token::Close => f.write_str("`)`"),
            Token::Comma => f.write_str("`,`"),
            Token::Pipe => f.write_str("`|`"),
            Token::Bracket(c) => write!(f, "`{c}`"),
        }
    }
}

fn lex(text: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let regex_allowed = matches!(tokens.last(), Some(Token::Op("=~")))
            || matches!(tokens.last(), Some(Token::Word(w)) if w.eq_ignore_ascii_case("like"));
        match c {
            _ if c.is_whitespace() => i += 1,
            '|' => push(&mut tokens, Token::Pipe, &mut i, 1),
            '(' => push(&mut tokens, Token::Open, &mut i, 1),
            ')' => push(&mut tokens, Token::Close, &mut i, 1),
            ',' => push(&mut tokens, Token::Comma, &mut i, 1),
            '[' | ']' => push(&mut tokens, Token::Bracket(c), &mut i, 1),
            '"' | '\'' => {
                let (literal, next) = quoted(&chars, i, c)?;
                tokens.push(Token::Str(literal));
                i = next;
            }
            '`' => {
                let (name, next) = quoted(&chars, i, '`')?;
                tokens.push(Token::Word(name));
                i = next;
            }
            '/' if regex_allowed => {
                let (pattern, next) = quoted(&chars, i, '/')?;
                tokens.push(Token::Regex(pattern));
                i = next;
            }
            '=' | '!' | '<' | '>' => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let op = ["=~", "==", "!=", "<=", ">="].into_iter().find(|op| *op == two);
                match (op, c) {
                    (Some(op), _) => push(&mut tokens, Token::Op(op), &mut i, 2),
                    (None, '=') => push(&mut tokens, Token::Op("="), &mut i, 1),
                    (None, '<') => push(&mut tokens, Token::Op("<"), &mut i, 1),
                    (None, '>') => push(&mut tokens, Token::Op(">"), &mut i, 1),
                    (None, _) => push(&mut tokens, Token::Word("not".into()), &mut i, 1),
                }
            }
            _ if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let literal: String = chars[start..i].iter().collect();
                let number = literal.parse().map_err(|_| Fa2Error::invalid(format!("bad number {literal}")))?;
                tokens.push(Token::Number(number));
            }
            _ if c.is_alphanumeric() || matches!(c, '@' | '_' | '$' | '*') => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '@' | '_' | '$' | '.' | '*'))
                {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
            _ => return Err(Fa2Error::invalid(format!("unexpected character '{c}' at position {i} of the query"))),
        }
    }
    Ok(tokens)
}

fn push(tokens: &mut Vec<Token>, token: Token, at: &mut usize, width: usize) {
    tokens.push(token);
    *at += width;
}

/// Reads a literal delimited by `delimiter` starting at `start`; a backslash keeps the next character (and, in a
/// regex, the backslash too, so `\d` still means a digit).
fn quoted(chars: &[char], start: usize, delimiter: char) -> Result<(String, usize)> {
    let mut literal = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                let escaped = chars[i + 1];
                if delimiter == '/' && escaped != '/' {
                    literal.push('\\');
                }
                literal.push(escaped);
                i += 2;
            }
            c if c == delimiter => return Ok((literal, i + 1)),
            c => {
                literal.push(c);
                i += 1;
            }
        }
    }
    Err(Fa2Error::invalid(format!("unterminated {delimiter}…{delimiter} in the query")))
}

#[derive(Debug)]
enum Field {
    Message,
    LogStream,
    LogGroup,
    Timestamp,
    /// A field of a JSON message, by dotted path (Logs Insights discovers these automatically).
    Json(Vec<String>),
}

impl Field {
    fn parse(name: &str) -> Result<Field> {
        match name {
            "@message" => Ok(Field::Message),
            "@logStream" => Ok(Field::LogStream),
            "@log" | "@logGroup" => Ok(Field::LogGroup),
            "@timestamp" => Ok(Field::Timestamp),
            _ if name.starts_with('@') => Err(Fa2Error::invalid(format!(
                "field {name} is not available offline (use @message, @logStream, @log, @timestamp or a JSON field of \
                 the message)"
            ))),
            _ => Ok(Field::Json(name.split('.').map(str::to_string).collect())),
        }
    }
}

#[derive(Debug)]
enum Pattern {
    Substring(String),
    Regex(Regex),
}

impl Pattern {
    fn found_in(&self, text: &str) -> bool {
        match self {
            Pattern::Substring(s) => text.contains(s.as_str()),
            Pattern::Regex(r) => r.is_match(text),
        }
    }
}

#[derive(Debug)]
enum Literal {
    Text(String),
    Number(f64),
}

#[derive(Debug)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Like(Field, Pattern),
    Compare(Field, &'static str, Literal),
    IsPresent(Field),
}

/// One event under evaluation; its message is parsed as JSON at most once, and only if a filter asks for a field.
struct EventContext<'a> {
    event: &'a LogEvent,
    json: OnceCell<Option<Value>>,
}

enum FieldValue<'a> {
    Text(std::borrow::Cow<'a, str>),
    Number(f64),
}

impl EventContext<'_> {
    fn value(&self, field: &Field) -> Option<FieldValue<'_>> {
        use std::borrow::Cow;
        match field {
            Field::Message => Some(FieldValue::Text(Cow::Borrowed(&self.event.message))),
            Field::LogStream => Some(FieldValue::Text(Cow::Borrowed(&self.event.log_stream))),
            Field::LogGroup => Some(FieldValue::Text(Cow::Borrowed(&self.event.log_group))),
            Field::Timestamp => Some(FieldValue::Number(self.event.timestamp as f64)),
            Field::Json(path) => {
                let root = self.json.get_or_init(|| parse_json_message(&self.event.message)).as_ref()?;
                let found = path.iter().try_fold(root, |value, key| value.get(key))?;
                match found {
                    Value::String(s) => Some(FieldValue::Text(Cow::Borrowed(s))),
                    Value::Number(n) => n.as_f64().map(FieldValue::Number),
                    Value::Null => None,
                    other => Some(FieldValue::Text(Cow::Owned(other.to_string()))),
                }
            }
        }
    }
}

fn parse_json_message(message: &str) -> Option<Value> {
    let trimmed = message.trim_start();
    // Lambda prefixes JSON with a timestamp and request id in some runtimes: parse from the first brace.
    let start = trimmed.find('{')?;
    serde_json::from_str(&trimmed[start..]).ok()
}

impl Expr {
    fn holds(&self, context: &EventContext<'_>) -> bool {
        match self {
            Expr::And(a, b) => a.holds(context) && b.holds(context),
            Expr::Or(a, b) => a.holds(context) || b.holds(context),
            Expr::Not(inner) => !inner.holds(context),
            Expr::IsPresent(field) => context.value(field).is_some(),
            Expr::Like(field, pattern) => match context.value(field) {
                Some(FieldValue::Text(text)) => pattern.found_in(&text),
                Some(FieldValue::Number(n)) => pattern.found_in(&n.to_string()),
                None => false,
            },
            Expr::Compare(field, op, literal) => {
                let ordering = match (context.value(field), literal) {
                    (Some(FieldValue::Number(a)), Literal::Number(b)) => a.partial_cmp(b),
                    (Some(FieldValue::Text(a)), Literal::Number(b)) => {
                        a.trim().parse::<f64>().ok().and_then(|a| a.partial_cmp(b))
                    }
                    (Some(FieldValue::Text(a)), Literal::Text(b)) => Some(a.as_ref().cmp(b.as_str())),
                    (Some(FieldValue::Number(a)), Literal::Text(b)) => Some(a.to_string().as_str().cmp(b.as_str())),
                    (None, _) => None,
                };
                ordering.is_some_and(|o| compare(o, op))
            }
        }
    }
}

fn compare(ordering: Ordering, op: &str) -> bool {
    match op {
        "=" | "==" => ordering == Ordering::Equal,
        "!=" => ordering != Ordering::Equal,
        "<" => ordering == Ordering::Less,
        "<=" => ordering != Ordering::Greater,
        ">" => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    }
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<&Token> {
        let token = self.tokens.get(self.at);
        self.at += 1;
        token
    }

    fn keyword(&mut self, word: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word));
        if found {
            self.at += 1;
        }
        found
    }

    fn or(&mut self) -> Result<Expr> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr> {
        if self.keyword("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            return match self.next() {
                Some(Token::Close) => Ok(inner),
                _ => Err(Fa2Error::invalid("filter: missing `)`")),
            };
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr> {
        let name = match self.next() {
            Some(Token::Word(name)) => name.clone(),
            Some(other) => return Err(Fa2Error::invalid(format!("filter: expected a field name, found {other}"))),
            None => return Err(Fa2Error::invalid("filter: the condition is missing")),
        };
        if self.peek() == Some(&Token::Open) {
            return self.function(&name);
        }
        let field = Field::parse(&name)?;
        if self.keyword("not") {
            if !self.keyword("like") {
                return Err(Fa2Error::invalid(format!("filter: expected `like` after `{name} not`")));
            }
            return Ok(Expr::Not(Box::new(Expr::Like(field, self.pattern(false)?))));
        }
        if self.keyword("like") {
            return Ok(Expr::Like(field, self.pattern(false)?));
        }
        match self.next().cloned() {
            Some(Token::Op("=~")) => Ok(Expr::Like(field, self.pattern(true)?)),
            Some(Token::Op(op)) => {
                let literal = match self.next() {
                    Some(Token::Str(s)) => Literal::Text(s.clone()),
                    Some(Token::Number(n)) => Literal::Number(*n),
                    Some(Token::Word(w)) if w == "true" || w == "false" => Literal::Text(w.clone()),
                    other => {
                        let found = other.map_or("nothing".to_string(), ToString::to_string);
                        return Err(Fa2Error::invalid(format!("filter: expected a value after `{op}`, found {found}")));
                    }
                };
                Ok(Expr::Compare(field, op, literal))
            }
            Some(Token::Word(w)) => Err(Fa2Error::invalid(format!(
                "filter: operator `{w}` is not supported offline (use like, not like, =~, =, !=, <, >)"
            ))),
            other => {
                let found = other.map_or("nothing".to_string(), |t| t.to_string());
                Err(Fa2Error::invalid(format!("filter: expected an operator after `{name}`, found {found}")))
            }
        }
    }

    fn function(&mut self, name: &str) -> Result<Expr> {
        if !name.eq_ignore_ascii_case("ispresent") {
            return Err(Fa2Error::invalid(format!(
                "filter: function `{name}` is not supported offline (only ispresent)"
            )));
        }
        self.at += 1;
        let field = match self.next() {
            Some(Token::Word(field)) => Field::parse(&field.clone())?,
            _ => return Err(Fa2Error::invalid("ispresent takes a field name")),
        };
        match self.next() {
            Some(Token::Close) => Ok(Expr::IsPresent(field)),
            _ => Err(Fa2Error::invalid("ispresent: missing `)`")),
        }
    }

    /// The right side of `like` (a "substring" or a /regex/) or of `=~` (where a string is a regex too).
    fn pattern(&mut self, string_is_regex: bool) -> Result<Pattern> {
        let (source, is_regex) = match self.next() {
            Some(Token::Regex(r)) => (r.clone(), true),
            Some(Token::Str(s)) => (s.clone(), string_is_regex),
            other => {
                let found = other.map_or("nothing".to_string(), ToString::to_string);
                return Err(Fa2Error::invalid(format!("filter: expected \"text\" or /regex/, found {found}")));
            }
        };
        if !is_regex {
            return Ok(Pattern::Substring(source));
        }
        Regex::new(&source)
            .map(Pattern::Regex)
            .map_err(|e| Fa2Error::invalid(format!("filter: invalid regex /{source}/: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(message: &str) -> LogEvent {
        LogEvent {
            log_group: "/g".into(),
            log_stream: "2026/01/01/[7]abc".into(),
            timestamp: 5,
            message: message.into(),
        }
    }

    fn check(query: &str, message: &str) -> bool {
        InsightsQuery::parse(query).unwrap().matches(&event(message))
    }

    #[test]
    fn filters_combine_with_precedence_and_parentheses() {
        assert!(check("filter @message like /a|b/", "xbx"));
        assert!(check(r"filter @message like /\d{3}/", "status 503"));
        assert!(check("filter @message like 'x' or @message like 'y' and @message like 'z'", "x"));
        assert!(!check("filter (@message like 'x' or @message like 'y') and @message like 'z'", "x"));
        assert!(check("filter not @message like 'x'", "y"));
        assert!(check("filter @logStream like /\\[7\\]/ and ispresent(@message)", "m"));
        assert!(check("filter @message != 'a' and @timestamp >= 5", "b"));
        assert!(check("filter @message like /path\\/to/", "a path/to b"));
    }

    #[test]
    fn json_fields_compare_as_numbers_or_text() {
        assert!(check("filter status >= 500 and req.method = 'GET'", r#"{"status": 502, "req": {"method": "GET"}}"#));
        assert!(!check("filter status >= 500", r#"{"status": "404"}"#));
        assert!(!check("filter status >= 500", "not json"));
        assert!(check("filter !ispresent(status)", "not json"));
    }

    #[test]
    fn sort_and_limit_are_read() {
        let query = InsightsQuery::parse("fields @timestamp, @message | sort @timestamp asc | limit 20").unwrap();
        assert_eq!((query.descending, query.limit), (false, Some(20)));
        assert!(InsightsQuery::parse("sort @timestamp").unwrap().descending);
    }

    #[test]
    fn bad_queries_are_explained() {
        for (query, expected) in [
            ("sort @message desc", "only by @timestamp"),
            ("limit -3", "positive whole number"),
            ("filter @message like", "expected \"text\" or /regex/"),
            ("filter @message like /(/", "invalid regex"),
            ("filter @type = 'REPORT'", "@type is not available offline"),
            ("filter @message in ['a']", "operator `in`"),
            ("filter strcontains(@message, 'a')", "function `strcontains`"),
            ("filter (@message like 'a'", "missing `)`"),
            ("filter @message like 'a' @message", "unexpected"),
            ("dedup @message", "`dedup`"),
            ("filter @message like \"open", "unterminated"),
        ] {
            let message = InsightsQuery::parse(query).unwrap_err().to_string();
            assert!(message.contains(expected), "{query}: {message}");
        }
    }
}
