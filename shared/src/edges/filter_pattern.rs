//! CloudWatch Logs filter patterns for unstructured messages, as `FilterLogEvents` matches them, for the offline
//! log search: terms (all must appear), `"quoted phrases"`, `?any ?of` and `-excluded` terms, case-sensitive.

use crate::error::{Fa2Error, Result};

const SUPPORTED: &str = "offline log search supports terms (all must appear), \"quoted phrases\", ?term (any of) \
                         and -term (exclude)";

/// A parsed filter pattern; the empty pattern matches every message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterPattern {
    /// Every one must appear.
    required: Vec<String>,
    /// When not empty, at least one must appear.
    any_of: Vec<String>,
    /// None may appear.
    excluded: Vec<String>,
}

impl FilterPattern {
    pub fn parse(text: &str) -> Result<FilterPattern> {
        let text = text.trim();
        if let Some(kind) = unsupported_kind(text) {
            return Err(Fa2Error::invalid(format!(
                "{kind} filter patterns are not supported offline (pattern `{text}`); {SUPPORTED}"
            )));
        }
        let mut pattern = FilterPattern::default();
        let mut rest = text;
        while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
            rest = &rest[start..];
            let (list, after_sign) = match rest.as_bytes()[0] {
                b'?' => (&mut pattern.any_of, &rest[1..]),
                b'-' => (&mut pattern.excluded, &rest[1..]),
                _ => (&mut pattern.required, rest),
            };
            let (term, after_term) = read_term(after_sign, text)?;
            list.push(term);
            rest = after_term;
        }
        Ok(pattern)
    }

    pub fn matches(&self, message: &str) -> bool {
        self.required.iter().all(|term| message.contains(term.as_str()))
            && (self.any_of.is_empty() || self.any_of.iter().any(|term| message.contains(term.as_str())))
            && !self.excluded.iter().any(|term| message.contains(term.as_str()))
    }
}

/// The name of a pattern syntax this matcher does not run, when `text` uses one.
fn unsupported_kind(text: &str) -> Option<&'static str> {
    match text.chars().next()? {
        '{' => Some("JSON ({ $.field = value })"),
        '[' => Some("space-delimited ([field, ...])"),
        '%' => Some("regular-expression (%regex%)"),
        _ => None,
    }
}

/// One term at the start of `text` (a quoted phrase or a run of non-blank characters) and what follows it.
fn read_term<'a>(text: &'a str, pattern: &str) -> Result<(String, &'a str)> {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut phrase = String::new();
        let mut chars = quoted.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => return Ok((phrase, &quoted[at + 1..])),
                '\\' => match chars.next() {
                    Some((_, escaped)) => phrase.push(escaped),
                    None => break,
                },
                other => phrase.push(other),
            }
        }
        return Err(Fa2Error::invalid(format!("filter pattern `{pattern}`: a quoted phrase is not closed")));
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    if end == 0 {
        return Err(Fa2Error::invalid(format!("filter pattern `{pattern}`: `?` or `-` must be followed by a term")));
    }
    Ok((text[..end].to_string(), &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matching<'a>(pattern: &str, messages: &[&'a str]) -> Vec<&'a str> {
        let pattern = FilterPattern::parse(pattern).unwrap();
        messages.iter().copied().filter(|m| pattern.matches(m)).collect()
    }

    const MESSAGES: [&str; 4] = [
        "ERROR connection reset by peer",
        "WARN connection slow",
        "error lowercase is another word",
        "FATAL out of memory: Exception",
    ];

    #[test]
    fn terms_must_all_appear_case_sensitively() {
        assert_eq!(matching("", &MESSAGES).len(), 4);
        assert_eq!(matching("  ", &MESSAGES).len(), 4);
        assert_eq!(matching("ERROR", &MESSAGES), ["ERROR connection reset by peer"]);
        assert_eq!(matching("connection ERROR", &MESSAGES), ["ERROR connection reset by peer"]);
        assert!(matching("ERROR slow", &MESSAGES).is_empty());
    }

    #[test]
    fn phrases_any_of_and_exclusions() {
        assert_eq!(matching("\"connection reset\"", &MESSAGES), ["ERROR connection reset by peer"]);
        assert!(matching("\"reset connection\"", &MESSAGES).is_empty());
        assert_eq!(matching("?ERROR ?FATAL", &MESSAGES), [MESSAGES[0], MESSAGES[3]]);
        assert_eq!(matching("connection -ERROR", &MESSAGES), ["WARN connection slow"]);
        assert_eq!(matching("?ERROR ?FATAL -\"out of memory\"", &MESSAGES), [MESSAGES[0]]);
        assert_eq!(matching(r#""memory: Exception""#, &MESSAGES), [MESSAGES[3]]);
        assert_eq!(matching(r#""say \"hi\"""#, &[r#"they say "hi""#, "say hi"]), [r#"they say "hi""#]);
    }

    #[test]
    fn other_syntaxes_and_broken_patterns_are_refused_with_a_reason() {
        for (pattern, expected) in [
            (r#"{ $.level = "ERROR" }"#, "JSON"),
            ("[ip, user, status=5*]", "space-delimited"),
            ("%ERR.R%", "regular-expression"),
            ("\"unclosed phrase", "not closed"),
            ("ERROR ? FATAL", "must be followed by a term"),
        ] {
            let error = FilterPattern::parse(pattern).unwrap_err();
            assert!(
                matches!(&error, Fa2Error::InvalidInput(m) if m.contains(expected)),
                "{pattern}: expected {expected:?}, got {error}"
            );
        }
    }
}
