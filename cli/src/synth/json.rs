//! Fast JSON text building for the simulator: objects with a fixed key order (as applications print them)
//! and a buffered JSONL file writer that counts lines, so a million-line bundle streams to disk.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Appends `text` as a JSON string literal (quotes included).
pub fn push_str_literal(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub fn str_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_str_literal(&mut out, text);
    out
}

/// A value inside an application log line.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Str(String),
    Int(i64),
    Null,
    List(Vec<String>),
}

impl Field {
    pub fn str(text: impl Into<String>) -> Field {
        Field::Str(text.into())
    }

    /// The JSON text of the value.
    pub fn to_json(&self) -> String {
        match self {
            Field::Str(text) => str_literal(text),
            Field::Int(value) => value.to_string(),
            Field::Null => "null".to_string(),
            Field::List(items) => {
                let inner: Vec<String> = items.iter().map(|item| str_literal(item)).collect();
                format!("[{}]", inner.join(","))
            }
        }
    }

    /// The value as a `key=value` logger prints it (strings bare, lists Python-style).
    pub fn to_plain(&self) -> String {
        match self {
            Field::Str(text) => text.clone(),
            Field::List(items) => {
                let inner: Vec<String> = items.iter().map(|item| format!("'{item}'")).collect();
                format!("[{}]", inner.join(", "))
            }
            other => other.to_json(),
        }
    }
}

/// Builds a JSON object whose keys keep the order they were added in.
#[derive(Debug, Default)]
pub struct Obj {
    text: String,
}

impl Obj {
    pub fn new() -> Obj {
        Obj { text: String::from("{") }
    }

    fn key(&mut self, key: &str) {
        if self.text.len() > 1 {
            self.text.push(',');
        }
        push_str_literal(&mut self.text, key);
        self.text.push(':');
    }

    pub fn str(mut self, key: &str, value: &str) -> Obj {
        self.key(key);
        push_str_literal(&mut self.text, value);
        self
    }

    pub fn int(mut self, key: &str, value: i64) -> Obj {
        self.key(key);
        self.text.push_str(&value.to_string());
        self
    }

    pub fn raw(mut self, key: &str, json: &str) -> Obj {
        self.key(key);
        self.text.push_str(json);
        self
    }

    pub fn field(mut self, key: &str, value: &Field) -> Obj {
        self.key(key);
        self.text.push_str(&value.to_json());
        self
    }

    pub fn fields(mut self, fields: &[(&str, Field)]) -> Obj {
        for (key, value) in fields {
            self = self.field(key, value);
        }
        self
    }

    pub fn finish(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

/// A JSONL file written through a buffer; counts the lines it wrote.
#[derive(Debug)]
pub struct JsonlWriter {
    out: BufWriter<File>,
    lines: u64,
    bytes: u64,
}

impl JsonlWriter {
    pub fn create(path: &Path) -> Result<JsonlWriter, String> {
        let file = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(JsonlWriter { out: BufWriter::with_capacity(1 << 20, file), lines: 0, bytes: 0 })
    }

    pub fn line(&mut self, json: &str) -> Result<(), String> {
        self.out.write_all(json.as_bytes()).map_err(|e| format!("write failed: {e}"))?;
        self.out.write_all(b"\n").map_err(|e| format!("write failed: {e}"))?;
        self.lines += 1;
        self.bytes += json.len() as u64 + 1;
        Ok(())
    }

    pub fn value(&mut self, value: &serde_json::Value) -> Result<(), String> {
        self.line(&value.to_string())
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn finish(mut self) -> Result<u64, String> {
        self.out.flush().map_err(|e| format!("flush failed: {e}"))?;
        Ok(self.lines)
    }
}

/// Writes a pretty-printed JSON document.
pub fn write_pretty(path: &Path, value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keeps_key_order_and_escapes() {
        let json = Obj::new()
            .str("level", "info")
            .str("msg", "say \"hi\"\n")
            .int("status", 201)
            .field("tags", &Field::List(vec!["a".into()]))
            .finish();
        assert_eq!(json, r#"{"level":"info","msg":"say \"hi\"\n","status":201,"tags":["a"]}"#);
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["msg"], "say \"hi\"\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        let literal = str_literal("a\u{1}b");
        let back: String = serde_json::from_str(&literal).unwrap();
        assert_eq!(back, "a\u{1}b");
    }
}
