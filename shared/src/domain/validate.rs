//! Checks a report JSON value against the report contract (`../shared/spec/report.md`), naming every violation.
//!
//! Hand-written on the JSON value rather than through the serde types, so it catches what deserialization would
//! accept silently (unknown fields, missing optional-looking data, broken ranking) and reports every problem with
//! its JSON path instead of stopping at the first.

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use crate::contract::{Category, MAX_HYPOTHESES, SCHEMA_VERSION};

const STATUSES: &[&str] = &["root_cause_identified", "inconclusive", "healthy"];
const LANGUAGES: &[&str] = &["en", "ja"];
const TRIGGER_KINDS: &[&str] = &["alarm", "slack", "replay"];
const SEVERITIES: &[&str] = &["critical", "high", "medium", "low"];
const SOURCES: &[&str] = &["logs", "metrics", "audit", "traces", "knowledge"];
const PRIORITIES: &[&str] = &["immediate", "short-term", "long-term"];
/// `usage.brain` is `rules`, or one of these prefixes followed by a model id.
const MODEL_BRAIN_PREFIXES: &[&str] = &["bedrock:", "openai:"];

const REPORT_FIELDS: &[&str] = &[
    "schemaVersion",
    "runId",
    "status",
    "language",
    "window",
    "trigger",
    "summary",
    "hypotheses",
    "timeline",
    "impact",
    "actions",
    "prevention",
    "usage",
];
const WINDOW_FIELDS: &[&str] = &["start", "end"];
const TRIGGER_FIELDS: &[&str] = &["kind", "alarmName", "description"];
const HYPOTHESIS_FIELDS: &[&str] =
    &["rank", "component", "category", "statement", "confidence", "severity", "evidence"];
const EVIDENCE_FIELDS: &[&str] = &["source", "ref", "time", "excerpt"];
const TIMELINE_FIELDS: &[&str] = &["time", "source", "event"];
const ACTION_FIELDS: &[&str] = &["priority", "title", "detail"];
const USAGE_FIELDS: &[&str] =
    &["brain", "cycles", "toolCalls", "inputTokens", "outputTokens", "durationMs", "fallback"];

/// Every way `report` breaks the contract; empty when it is valid.
pub fn report_violations(report: &Value) -> Vec<String> {
    let mut check = Checker::default();
    check.report(report);
    check.violations
}

/// Whether a string field may be empty.
#[derive(Clone, Copy, PartialEq)]
enum Text {
    Any,
    NonEmpty,
}

#[derive(Default)]
struct Checker {
    violations: Vec<String>,
}

impl Checker {
    fn add(&mut self, path: &str, message: impl AsRef<str>) {
        self.violations.push(format!("{path}: {}", message.as_ref()));
    }

    fn report(&mut self, report: &Value) {
        let Some(root) = self.object(report, "$") else { return };
        self.unknown_fields(root, "$", REPORT_FIELDS);
        if let Some(version) = self.required(root, "$", "schemaVersion")
            && version.as_u64() != Some(u64::from(SCHEMA_VERSION))
        {
            self.add("$.schemaVersion", format!("must be {SCHEMA_VERSION}, got {}", describe(version)));
        }
        self.string(root, "$", "runId", Text::NonEmpty);
        let status = self.one_of(root, "$", "status", STATUSES);
        self.one_of(root, "$", "language", LANGUAGES);
        self.window(root);
        self.trigger(root);
        self.string(root, "$", "summary", Text::NonEmpty);
        let hypotheses = self.hypotheses(root);
        if status == Some("root_cause_identified") && hypotheses == Some(0) {
            self.add("$.hypotheses", "status root_cause_identified needs at least one hypothesis");
        }
        self.timeline(root);
        self.string(root, "$", "impact", Text::Any);
        self.actions(root);
        self.prevention(root);
        self.usage(root);
    }

    fn window(&mut self, root: &Map<String, Value>) {
        let Some(window) = self.required(root, "$", "window") else { return };
        let Some(window) = self.object(window, "$.window") else { return };
        self.unknown_fields(window, "$.window", WINDOW_FIELDS);
        let start = self.time(window, "$.window", "start");
        let end = self.time(window, "$.window", "end");
        if let (Some(start), Some(end)) = (start, end)
            && start > end
        {
            self.add("$.window", format!("start {start} is after end {end}"));
        }
    }

    fn trigger(&mut self, root: &Map<String, Value>) {
        let Some(trigger) = self.required(root, "$", "trigger") else { return };
        let Some(trigger) = self.object(trigger, "$.trigger") else { return };
        self.unknown_fields(trigger, "$.trigger", TRIGGER_FIELDS);
        self.one_of(trigger, "$.trigger", "kind", TRIGGER_KINDS);
        self.optional_string(trigger, "$.trigger", "alarmName");
        self.optional_string(trigger, "$.trigger", "description");
    }

    /// Checks the hypotheses; returns how many there are when the field is an array.
    fn hypotheses(&mut self, root: &Map<String, Value>) -> Option<usize> {
        let hypotheses = self.array(root, "$", "hypotheses")?;
        if hypotheses.len() > MAX_HYPOTHESES {
            self.add(
                "$.hypotheses",
                format!("holds {} hypotheses, at most {MAX_HYPOTHESES} allowed", hypotheses.len()),
            );
        }
        let mut previous_confidence: Option<(usize, f64)> = None;
        for (index, hypothesis) in hypotheses.iter().enumerate() {
            let path = format!("$.hypotheses[{index}]");
            let Some(hypothesis) = self.object(hypothesis, &path) else { continue };
            self.unknown_fields(hypothesis, &path, HYPOTHESIS_FIELDS);
            if let Some(rank) = self.required(hypothesis, &path, "rank")
                && rank.as_u64() != Some(index as u64 + 1)
            {
                self.add(
                    &format!("{path}.rank"),
                    format!("must be {} (ranks run 1..n in order), got {}", index + 1, describe(rank)),
                );
            }
            self.string(hypothesis, &path, "component", Text::NonEmpty);
            let categories = Category::ALL.map(Category::as_str);
            self.one_of(hypothesis, &path, "category", &categories);
            self.string(hypothesis, &path, "statement", Text::NonEmpty);
            if let Some(confidence) = self.confidence(hypothesis, &path) {
                if let Some((previous_index, previous)) = previous_confidence
                    && confidence > previous
                {
                    self.add(
                        &format!("{path}.confidence"),
                        format!(
                            "{confidence} is higher than {previous} at $.hypotheses[{previous_index}] (confidence must not rise with rank)"
                        ),
                    );
                }
                previous_confidence = Some((index, confidence));
            }
            self.one_of(hypothesis, &path, "severity", SEVERITIES);
            self.evidence(hypothesis, &path);
        }
        Some(hypotheses.len())
    }

    fn confidence(&mut self, hypothesis: &Map<String, Value>, path: &str) -> Option<f64> {
        let value = self.required(hypothesis, path, "confidence")?;
        match value.as_f64() {
            Some(confidence) if (0.0..=1.0).contains(&confidence) => Some(confidence),
            _ => {
                self.add(&format!("{path}.confidence"), format!("must be a number in [0, 1], got {}", describe(value)));
                None
            }
        }
    }

    fn evidence(&mut self, hypothesis: &Map<String, Value>, path: &str) {
        let Some(items) = self.array(hypothesis, path, "evidence") else { return };
        if items.is_empty() {
            self.add(&format!("{path}.evidence"), "every hypothesis must cite at least one piece of evidence");
        }
        for (index, item) in items.iter().enumerate() {
            let path = format!("{path}.evidence[{index}]");
            let Some(item) = self.object(item, &path) else { continue };
            self.unknown_fields(item, &path, EVIDENCE_FIELDS);
            self.one_of(item, &path, "source", SOURCES);
            self.string(item, &path, "ref", Text::NonEmpty);
            // Optional in the contract type: a knowledge-base document has no time.
            if item.get("time").is_some_and(|time| !time.is_null()) {
                self.time(item, &path, "time");
            }
            self.string(item, &path, "excerpt", Text::NonEmpty);
        }
    }

    fn timeline(&mut self, root: &Map<String, Value>) {
        let Some(entries) = self.array(root, "$", "timeline") else { return };
        for (index, entry) in entries.iter().enumerate() {
            let path = format!("$.timeline[{index}]");
            let Some(entry) = self.object(entry, &path) else { continue };
            self.unknown_fields(entry, &path, TIMELINE_FIELDS);
            self.time(entry, &path, "time");
            self.one_of(entry, &path, "source", SOURCES);
            self.string(entry, &path, "event", Text::NonEmpty);
        }
    }

    fn actions(&mut self, root: &Map<String, Value>) {
        let Some(actions) = self.array(root, "$", "actions") else { return };
        for (index, action) in actions.iter().enumerate() {
            let path = format!("$.actions[{index}]");
            let Some(action) = self.object(action, &path) else { continue };
            self.unknown_fields(action, &path, ACTION_FIELDS);
            self.one_of(action, &path, "priority", PRIORITIES);
            self.string(action, &path, "title", Text::NonEmpty);
            self.string(action, &path, "detail", Text::Any);
        }
    }

    fn prevention(&mut self, root: &Map<String, Value>) {
        let Some(items) = self.array(root, "$", "prevention") else { return };
        for (index, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(text) if !text.trim().is_empty() => {}
                Some(_) => self.add(&format!("$.prevention[{index}]"), "must not be empty"),
                None => {
                    self.add(&format!("$.prevention[{index}]"), format!("must be a string, got {}", describe(item)))
                }
            }
        }
    }

    fn usage(&mut self, root: &Map<String, Value>) {
        let Some(usage) = self.required(root, "$", "usage") else { return };
        let Some(usage) = self.object(usage, "$.usage") else { return };
        self.unknown_fields(usage, "$.usage", USAGE_FIELDS);
        if let Some(brain) = self.string(usage, "$.usage", "brain", Text::NonEmpty) {
            let is_model = MODEL_BRAIN_PREFIXES
                .iter()
                .any(|prefix| brain.strip_prefix(prefix).is_some_and(|model| !model.trim().is_empty()));
            if brain != "rules" && !is_model {
                self.add("$.usage.brain", format!("must be rules, bedrock:<modelId> or openai:<model>, got {brain:?}"));
            }
        }
        for (key, max) in [
            ("cycles", u64::from(u32::MAX)),
            ("toolCalls", u64::from(u32::MAX)),
            ("inputTokens", u64::MAX),
            ("outputTokens", u64::MAX),
            ("durationMs", u64::MAX),
        ] {
            let Some(value) = self.required(usage, "$.usage", key) else { continue };
            if value.as_u64().is_none_or(|count| count > max) {
                self.add(&format!("$.usage.{key}"), format!("must be a non-negative integer, got {}", describe(value)));
            }
        }
        self.optional_string(usage, "$.usage", "fallback");
    }

    fn object<'a>(&mut self, value: &'a Value, path: &str) -> Option<&'a Map<String, Value>> {
        let object = value.as_object();
        if object.is_none() {
            self.add(path, format!("must be an object, got {}", describe(value)));
        }
        object
    }

    fn unknown_fields(&mut self, object: &Map<String, Value>, path: &str, known: &[&str]) {
        for key in object.keys().filter(|key| !known.contains(&key.as_str())) {
            self.add(&format!("{path}.{key}"), "unknown field");
        }
    }

    fn required<'a>(&mut self, object: &'a Map<String, Value>, path: &str, key: &str) -> Option<&'a Value> {
        let value = object.get(key);
        if value.is_none() {
            self.add(&format!("{path}.{key}"), "missing");
        }
        value
    }

    fn string<'a>(&mut self, object: &'a Map<String, Value>, path: &str, key: &str, text: Text) -> Option<&'a str> {
        let value = self.required(object, path, key)?;
        let Some(string) = value.as_str() else {
            self.add(&format!("{path}.{key}"), format!("must be a string, got {}", describe(value)));
            return None;
        };
        if text == Text::NonEmpty && string.trim().is_empty() {
            self.add(&format!("{path}.{key}"), "must not be empty");
        }
        Some(string)
    }

    /// An optional string: absent and `null` are fine, anything else must be a string.
    fn optional_string(&mut self, object: &Map<String, Value>, path: &str, key: &str) {
        if let Some(value) = object.get(key)
            && !value.is_null()
            && !value.is_string()
        {
            self.add(&format!("{path}.{key}"), format!("must be a string when present, got {}", describe(value)));
        }
    }

    fn one_of<'a>(
        &mut self,
        object: &'a Map<String, Value>,
        path: &str,
        key: &str,
        allowed: &[&str],
    ) -> Option<&'a str> {
        let value = self.required(object, path, key)?;
        match value.as_str() {
            Some(text) if allowed.contains(&text) => Some(text),
            _ => {
                self.add(
                    &format!("{path}.{key}"),
                    format!("must be one of {}, got {}", allowed.join(", "), describe(value)),
                );
                None
            }
        }
    }

    fn array<'a>(&mut self, object: &'a Map<String, Value>, path: &str, key: &str) -> Option<&'a Vec<Value>> {
        let value = self.required(object, path, key)?;
        let array = value.as_array();
        if array.is_none() {
            self.add(&format!("{path}.{key}"), format!("must be an array, got {}", describe(value)));
        }
        array
    }

    fn time(&mut self, object: &Map<String, Value>, path: &str, key: &str) -> Option<DateTime<FixedOffset>> {
        let value = self.required(object, path, key)?;
        let time = value.as_str().and_then(|text| DateTime::parse_from_rfc3339(text).ok());
        if time.is_none() {
            self.add(&format!("{path}.{key}"), format!("must be an RFC 3339 time, got {}", describe(value)));
        }
        time
    }
}

/// A short rendering of an offending value for a message.
fn describe(value: &Value) -> String {
    const MAX_CHARS: usize = 60;
    let text = value.to_string();
    if text.chars().count() <= MAX_CHARS {
        text
    } else {
        format!("{}…", text.chars().take(MAX_CHARS).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;
    use serde_json::json;

    use super::*;
    use crate::contract::{EvidenceSource, Language, Priority, Report, Severity, Status, TriggerKind};

    fn valid() -> Value {
        json!({
            "schemaVersion": 1,
            "runId": "run-1",
            "status": "root_cause_identified",
            "language": "en",
            "window": {"start": "2026-11-20T09:30:00Z", "end": "2026-11-20T10:30:00Z"},
            "trigger": {"kind": "alarm", "alarmName": "orders-5xx"},
            "summary": "orders-api broke after a deployment.",
            "hypotheses": [
                {"rank": 1, "component": "orders-api", "category": "deployment", "statement": "v117 throws.",
                 "confidence": 0.8, "severity": "critical",
                 "evidence": [
                    {"source": "logs", "ref": "/aws/lambda/orders-api", "time": "2026-11-20T10:02:13Z", "excerpt": "TypeError"},
                    {"source": "knowledge", "ref": "kb/rollback.md", "excerpt": "Roll back the alias."}]},
                {"rank": 2, "component": "orders-table", "category": "capacity-limit", "statement": "Throttling.",
                 "confidence": 0.8, "severity": "low",
                 "evidence": [{"source": "metrics", "ref": "m1", "time": "2026-11-20T10:03:00+09:00", "excerpt": "12"}]}
            ],
            "timeline": [{"time": "2026-11-20T10:01:58Z", "source": "audit", "event": "UpdateAlias by alice"}],
            "impact": "",
            "actions": [{"priority": "immediate", "title": "Roll back", "detail": ""}],
            "prevention": ["Canary deployments."],
            "usage": {"brain": "rules", "cycles": 3, "toolCalls": 7, "inputTokens": 0, "outputTokens": 0,
                      "durationMs": 1234, "fallback": "model throttled"}
        })
    }

    /// The violations of `valid()` after `change`.
    fn violations_after(change: impl FnOnce(&mut Value)) -> Vec<String> {
        let mut report = valid();
        change(&mut report);
        report_violations(&report)
    }

    fn assert_only(violations: Vec<String>, expected: &[&str]) {
        assert_eq!(violations, expected, "violations differ");
    }

    #[test]
    fn a_valid_report_has_no_violations_and_deserializes() {
        assert_only(report_violations(&valid()), &[]);
        serde_json::from_value::<Report>(valid()).unwrap();
    }

    #[test]
    fn the_root_must_be_an_object() {
        assert_only(report_violations(&json!([1])), &["$: must be an object, got [1]"]);
    }

    #[test]
    fn every_missing_required_field_is_named() {
        let violations = report_violations(&json!({}));
        for field in REPORT_FIELDS {
            assert!(violations.contains(&format!("$.{field}: missing")), "{field} not reported in {violations:?}");
        }
        assert_eq!(violations.len(), REPORT_FIELDS.len());
    }

    #[test]
    fn unknown_fields_are_named_at_every_level() {
        let violations = violations_after(|report| {
            report["extra"] = json!(1);
            report["hypotheses"][0]["evidence"][1]["note"] = json!("x");
            report["usage"]["costUsd"] = json!(0.1);
        });
        assert_only(
            violations,
            &[
                "$.extra: unknown field",
                "$.hypotheses[0].evidence[1].note: unknown field",
                "$.usage.costUsd: unknown field",
            ],
        );
    }

    #[test]
    fn schema_version_must_be_one() {
        assert_only(violations_after(|r| r["schemaVersion"] = json!(2)), &["$.schemaVersion: must be 1, got 2"]);
        assert_only(violations_after(|r| r["schemaVersion"] = json!("1")), &["$.schemaVersion: must be 1, got \"1\""]);
        assert_only(violations_after(|r| r["schemaVersion"] = json!(1.5)), &["$.schemaVersion: must be 1, got 1.5"]);
    }

    #[test]
    fn strings_must_be_strings_and_identity_fields_non_empty() {
        assert_only(violations_after(|r| r["runId"] = json!(7)), &["$.runId: must be a string, got 7"]);
        assert_only(violations_after(|r| r["summary"] = json!("  ")), &["$.summary: must not be empty"]);
        assert_only(violations_after(|r| r["impact"] = json!(null)), &["$.impact: must be a string, got null"]);
    }

    #[test]
    fn status_language_and_trigger_kind_are_enums() {
        assert_only(
            violations_after(|r| r["status"] = json!("ok")),
            &["$.status: must be one of root_cause_identified, inconclusive, healthy, got \"ok\""],
        );
        assert_only(
            violations_after(|r| r["language"] = json!("fr")),
            &["$.language: must be one of en, ja, got \"fr\""],
        );
        assert_only(
            violations_after(|r| r["trigger"]["kind"] = json!("Alarm")),
            &["$.trigger.kind: must be one of alarm, slack, replay, got \"Alarm\""],
        );
    }

    #[test]
    fn trigger_optional_fields_may_be_absent_or_null_but_not_another_type() {
        assert_only(violations_after(|r| r["trigger"] = json!({"kind": "slack", "alarmName": null})), &[]);
        assert_only(
            violations_after(|r| r["trigger"]["description"] = json!(["x"])),
            &["$.trigger.description: must be a string when present, got [\"x\"]"],
        );
    }

    #[test]
    fn window_times_are_rfc3339_and_ordered() {
        assert_only(
            violations_after(|r| r["window"]["start"] = json!("2026-11-20 09:30")),
            &["$.window.start: must be an RFC 3339 time, got \"2026-11-20 09:30\""],
        );
        assert_only(
            violations_after(|r| r["window"]["end"] = json!("2026-11-20T09:00:00Z")),
            &["$.window: start 2026-11-20 09:30:00 +00:00 is after end 2026-11-20 09:00:00 +00:00"],
        );
        // Offsets are compared as instants: 18:30+09:00 is 09:30Z, the same as the start.
        assert_only(violations_after(|r| r["window"]["end"] = json!("2026-11-20T18:30:00+09:00")), &[]);
        assert_only(
            violations_after(|r| r["window"] = json!("all day")),
            &["$.window: must be an object, got \"all day\""],
        );
    }

    #[test]
    fn at_most_five_hypotheses() {
        let violations = violations_after(|r| {
            let first = r["hypotheses"][0].clone();
            r["hypotheses"] = Value::Array(
                (1..=6)
                    .map(|rank| {
                        let mut hypothesis = first.clone();
                        hypothesis["rank"] = json!(rank);
                        hypothesis
                    })
                    .collect(),
            );
        });
        assert_only(violations, &["$.hypotheses: holds 6 hypotheses, at most 5 allowed"]);
    }

    #[test]
    fn ranks_run_one_to_n_in_order() {
        assert_only(
            violations_after(|r| r["hypotheses"][1]["rank"] = json!(3)),
            &["$.hypotheses[1].rank: must be 2 (ranks run 1..n in order), got 3"],
        );
        assert_only(
            violations_after(|r| r["hypotheses"][0]["rank"] = json!(0)),
            &["$.hypotheses[0].rank: must be 1 (ranks run 1..n in order), got 0"],
        );
    }

    #[test]
    fn component_statement_category_and_severity() {
        let violations = violations_after(|r| {
            let hypothesis = &mut r["hypotheses"][0];
            hypothesis["component"] = json!("");
            hypothesis["statement"] = json!(" ");
            hypothesis["category"] = json!("bad-luck");
            hypothesis["severity"] = json!("urgent");
        });
        assert_only(
            violations,
            &[
                "$.hypotheses[0].component: must not be empty",
                "$.hypotheses[0].category: must be one of deployment, configuration-change, permission-change, credential-expiry, capacity-limit, resource-exhaustion, dependency-failure, network, code-defect, traffic-surge, infrastructure-failure, unknown, got \"bad-luck\"",
                "$.hypotheses[0].statement: must not be empty",
                "$.hypotheses[0].severity: must be one of critical, high, medium, low, got \"urgent\"",
            ],
        );
    }

    #[test]
    fn confidence_is_in_unit_range_and_does_not_rise_with_rank() {
        assert_only(
            violations_after(|r| r["hypotheses"][0]["confidence"] = json!(1.2)),
            &["$.hypotheses[0].confidence: must be a number in [0, 1], got 1.2"],
        );
        assert_only(
            violations_after(|r| r["hypotheses"][1]["confidence"] = json!(-0.1)),
            &["$.hypotheses[1].confidence: must be a number in [0, 1], got -0.1"],
        );
        assert_only(
            violations_after(|r| r["hypotheses"][0]["confidence"] = json!("high")),
            &["$.hypotheses[0].confidence: must be a number in [0, 1], got \"high\""],
        );
        assert_only(
            violations_after(|r| r["hypotheses"][1]["confidence"] = json!(0.9)),
            &[
                "$.hypotheses[1].confidence: 0.9 is higher than 0.8 at $.hypotheses[0] (confidence must not rise with rank)",
            ],
        );
        // Integers 0 and 1 are numbers in range.
        assert_only(
            violations_after(|r| {
                r["hypotheses"][0]["confidence"] = json!(1);
                r["hypotheses"][1]["confidence"] = json!(0);
            }),
            &[],
        );
    }

    #[test]
    fn every_hypothesis_cites_valid_evidence() {
        assert_only(
            violations_after(|r| r["hypotheses"][1]["evidence"] = json!([])),
            &["$.hypotheses[1].evidence: every hypothesis must cite at least one piece of evidence"],
        );
        assert_only(
            violations_after(|r| r["hypotheses"][1]["evidence"] = json!({})),
            &["$.hypotheses[1].evidence: must be an array, got {}"],
        );
        let violations = violations_after(|r| {
            r["hypotheses"][0]["evidence"][0] =
                json!({"source": "slack", "ref": "", "time": "yesterday", "excerpt": ""});
        });
        assert_only(
            violations,
            &[
                "$.hypotheses[0].evidence[0].source: must be one of logs, metrics, audit, traces, knowledge, got \"slack\"",
                "$.hypotheses[0].evidence[0].ref: must not be empty",
                "$.hypotheses[0].evidence[0].time: must be an RFC 3339 time, got \"yesterday\"",
                "$.hypotheses[0].evidence[0].excerpt: must not be empty",
            ],
        );
        assert_only(violations_after(|r| r["hypotheses"][0]["evidence"][0]["time"] = json!(null)), &[]);
    }

    #[test]
    fn root_cause_identified_needs_a_hypothesis_but_healthy_does_not() {
        assert_only(
            violations_after(|r| r["hypotheses"] = json!([])),
            &["$.hypotheses: status root_cause_identified needs at least one hypothesis"],
        );
        assert_only(
            violations_after(|r| {
                r["hypotheses"] = json!([]);
                r["status"] = json!("healthy");
            }),
            &[],
        );
    }

    #[test]
    fn timeline_entries_have_time_source_and_event() {
        let violations = violations_after(|r| {
            r["timeline"] = json!([{"time": "10:01", "source": "cloudtrail", "event": ""}, "x"]);
        });
        assert_only(
            violations,
            &[
                "$.timeline[0].time: must be an RFC 3339 time, got \"10:01\"",
                "$.timeline[0].source: must be one of logs, metrics, audit, traces, knowledge, got \"cloudtrail\"",
                "$.timeline[0].event: must not be empty",
                "$.timeline[1]: must be an object, got \"x\"",
            ],
        );
    }

    #[test]
    fn actions_have_a_priority_and_a_title() {
        let violations = violations_after(|r| r["actions"] = json!([{"priority": "short_term", "title": ""}]));
        assert_only(
            violations,
            &[
                "$.actions[0].priority: must be one of immediate, short-term, long-term, got \"short_term\"",
                "$.actions[0].title: must not be empty",
                "$.actions[0].detail: missing",
            ],
        );
    }

    #[test]
    fn prevention_is_a_list_of_strings() {
        assert_only(
            violations_after(|r| r["prevention"] = json!(["ok", 3, ""])),
            &["$.prevention[1]: must be a string, got 3", "$.prevention[2]: must not be empty"],
        );
        assert_only(
            violations_after(|r| r["prevention"] = json!("one")),
            &["$.prevention: must be an array, got \"one\""],
        );
    }

    #[test]
    fn usage_counts_are_non_negative_integers() {
        let violations = violations_after(|r| {
            let usage = &mut r["usage"];
            usage["cycles"] = json!(-1);
            usage["toolCalls"] = json!(2.5);
            usage["inputTokens"] = json!("10");
            usage["durationMs"] = json!(null);
            usage.as_object_mut().unwrap().remove("outputTokens");
            usage["fallback"] = json!(false);
        });
        assert_only(
            violations,
            &[
                "$.usage.cycles: must be a non-negative integer, got -1",
                "$.usage.toolCalls: must be a non-negative integer, got 2.5",
                "$.usage.inputTokens: must be a non-negative integer, got \"10\"",
                "$.usage.outputTokens: missing",
                "$.usage.durationMs: must be a non-negative integer, got null",
                "$.usage.fallback: must be a string when present, got false",
            ],
        );
        assert_only(
            violations_after(|r| r["usage"]["cycles"] = json!(u64::from(u32::MAX) + 1)),
            &["$.usage.cycles: must be a non-negative integer, got 4294967296"],
        );
    }

    #[test]
    fn usage_brain_names_a_known_kind_of_brain() {
        for brain in ["rules", "bedrock:anthropic.claude-sonnet-4", "openai:gpt-4o"] {
            assert_only(violations_after(|r| r["usage"]["brain"] = json!(brain)), &[]);
        }
        assert_only(
            violations_after(|r| r["usage"]["brain"] = json!("bedrock:")),
            &["$.usage.brain: must be rules, bedrock:<modelId> or openai:<model>, got \"bedrock:\""],
        );
        assert_only(violations_after(|r| r["usage"]["brain"] = json!(1)), &["$.usage.brain: must be a string, got 1"]);
    }

    #[test]
    fn long_values_are_clipped_in_messages() {
        let violations = violations_after(|r| r["status"] = json!("x".repeat(100)));
        assert!(violations[0].ends_with("…"), "{violations:?}");
        assert!(violations[0].len() < 200);
    }

    /// The enum lists here are the spec's; each must be exactly what the contract types accept.
    fn assert_list_matches_type<T: DeserializeOwned>(allowed: &[&str], variants: usize) {
        assert_eq!(allowed.len(), variants);
        for name in allowed {
            assert!(serde_json::from_value::<T>(json!(name)).is_ok(), "{name} is not a variant");
        }
    }

    #[test]
    fn enum_lists_match_the_contract_types() {
        assert_list_matches_type::<Status>(STATUSES, 3);
        assert_list_matches_type::<Language>(LANGUAGES, 2);
        assert_list_matches_type::<TriggerKind>(TRIGGER_KINDS, 3);
        assert_list_matches_type::<Severity>(SEVERITIES, 4);
        assert_list_matches_type::<EvidenceSource>(SOURCES, 5);
        assert_list_matches_type::<Priority>(PRIORITIES, 3);
    }
}
