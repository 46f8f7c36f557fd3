//! What the team's documents call normal: "A handful of 502s in the minute of the shift is normal", "a burst of cold
//! starts after a deploy is expected and is not an incident". An alarm on just that, about the resource the document
//! speaks of, is the system doing what its owners expect.

use crate::contract::{Finding, FindingKind};
use crate::domain::evidence::attr;

/// Phrases by which a document declares something normal.
const NORMAL_PHRASES: [&str; 16] = [
    "is normal",
    "are normal",
    "is expected",
    "are expected",
    "not an incident",
    "clears by itself",
    "clear by themselves",
    "clears on its own",
    "recovers by itself",
    "recover by themselves",
    "no action is needed",
    "can be ignored",
    "safe to ignore",
    "is harmless",
    "are harmless",
    "is benign",
];

/// The paragraph of `texts` that calls every one of `symptoms` normal while naming one of `alarmed` (the alarm's
/// resources or its name), if there is one.
pub fn documented_normal(texts: &[&str], symptoms: &[&Finding], alarmed: &[String]) -> Option<String> {
    if symptoms.is_empty() {
        return None;
    }
    let statements: Vec<(&str, String)> = texts
        .iter()
        .flat_map(|text| text.lines())
        .map(|line| (line.trim(), line.to_lowercase()))
        .filter(|(_, lower)| NORMAL_PHRASES.iter().any(|phrase| lower.contains(phrase)))
        .filter(|(_, lower)| alarmed.iter().any(|name| lower.contains(&name.to_lowercase())))
        .collect();
    let covered = |symptom: &&Finding| {
        let signs = signs_of(symptom);
        statements.iter().any(|(_, lower)| signs.iter().any(|sign| lower.contains(sign)))
    };
    if !symptoms.iter().all(covered) {
        return None;
    }
    statements.first().map(|(line, _)| line.trim_start_matches(['-', '*', ' ']).to_string())
}

/// The words a document would use for what a finding shows: "5xx" or "502" for an ALB's `HTTPCode_ELB_502_Count`,
/// "latency" for a p99, "connection" for resets.
fn signs_of(finding: &Finding) -> Vec<String> {
    let mut signs = Vec::new();
    let name = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    if finding.kind == FindingKind::MetricAnomaly {
        let family = |digit: char| {
            let codes = name.match_indices(digit).filter_map(|(at, _)| name.get(at..at + 3));
            let codes: Vec<&str> =
                codes.filter(|code| code[1..].chars().all(|c| c.is_ascii_digit() || c == 'x')).collect();
            (!codes.is_empty()).then(|| codes.into_iter().map(String::from).chain([format!("{digit}xx")]))
        };
        signs.extend(family('5').into_iter().flatten().chain(family('4').into_iter().flatten()));
        const WORDS: [(&str, &[&str]); 7] = [
            ("latency", &["latency", "slow", "p99"]),
            ("duration", &["duration", "slow", "latency"]),
            ("responsetime", &["response time", "latency", "slow"]),
            ("throttl", &["throttl"]),
            ("cpu", &["cpu"]),
            ("memory", &["memory"]),
            ("coldstart", &["cold start"]),
        ];
        for (part, words) in WORDS {
            if name.contains(part) {
                signs.extend(words.iter().map(|w| w.to_string()));
            }
        }
    }
    const CLASS_WORDS: [(&str, &[&str]); 4] = [
        ("connection", &["connection", "reset"]),
        ("timeout", &["timeout", "timed out"]),
        ("throttling", &["throttl"]),
        ("coldStart", &["cold start"]),
    ];
    let class = finding.attr(attr::ERROR_CLASS);
    signs.extend(
        CLASS_WORDS.iter().filter(|(c, _)| *c == class).flat_map(|(_, words)| words.iter().map(|w| w.to_string())),
    );
    signs
}
