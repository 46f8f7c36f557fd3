//! The incident bundle (`../shared/spec/incident-bundle.md`): loading it with errors that name file and line, and
//! the offline adapters (`BundleTelemetry`) that answer the ports' questions from it as the AWS APIs would.

#[path = "bundle_insights.rs"]
mod insights;
#[path = "bundle_jsonl.rs"]
mod jsonl;
#[path = "bundle_knowledge.rs"]
mod knowledge;
#[path = "bundle_xray.rs"]
mod xray;

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use self::jsonl::read_jsonl;
use crate::config::json_type;
use crate::contract::{MetricRef, Window};
use crate::domain::resources::metric_dimension_names;
use crate::error::{Fa2Error, Result};
use crate::ports::{
    ChangeLog, ChangeQueryResult, KnowledgeBase, LogEvent, LogQuery, LogQueryResult, LogSearch, MetricFilter,
    MetricSeries, MetricSource, Passage, TraceQueryResult, TraceSource,
};

/// One knowledge-base document of a bundle (`knowledge/*.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeDoc {
    pub name: String,
    pub text: String,
}

/// A loaded incident bundle. `answer.json` is never read.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub dir: PathBuf,
    pub input: Value,
    pub environment: Value,
    /// Sorted by timestamp.
    pub logs: Vec<LogEvent>,
    pub metrics: Vec<MetricSeries>,
    pub cloudtrail: Vec<Value>,
    pub traces: Vec<Value>,
    pub knowledge: Vec<KnowledgeDoc>,
}

impl Bundle {
    /// Loads a bundle directory; a bad file gives an error naming the file (and line, for JSONL).
    pub fn load(dir: &Path) -> Result<Bundle> {
        if !dir.is_dir() {
            return Err(Fa2Error::invalid(format!("{}: no such bundle directory", dir.display())));
        }
        let input = read_json_object(&dir.join("input.json"))?;
        let environment = read_json_object(&dir.join("environment.json"))?;
        let mut logs = read_jsonl(&dir.join("logs.jsonl"), parse_log_event)?;
        // Stable, and nearly free when the file is already in order.
        logs.sort_by_key(|event| event.timestamp);
        let metrics = read_jsonl(&dir.join("metrics.jsonl"), parse_metric_series)?;
        let cloudtrail = read_jsonl(&dir.join("cloudtrail.jsonl"), parse_cloudtrail_record)?;
        let traces = read_jsonl(&dir.join("traces.jsonl"), parse_trace)?;
        let knowledge = read_knowledge(&dir.join("knowledge"))?;
        Ok(Bundle { dir: dir.to_path_buf(), input, environment, logs, metrics, cloudtrail, traces, knowledge })
    }

    /// The log groups the account has: those with events, and those `environment.json` names (maybe empty).
    pub fn log_groups(&self) -> BTreeSet<String> {
        let configured = self.environment.get("logGroups").and_then(Value::as_array).into_iter().flatten();
        configured
            .filter_map(Value::as_str)
            .map(str::to_string)
            .chain(self.logs.iter().map(|e| e.log_group.clone()))
            .collect()
    }
}

fn read_json_object(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => Fa2Error::invalid(format!("{}: missing (every bundle needs this file)", path.display())),
        _ => Fa2Error::invalid(format!("{}: cannot read: {e}", path.display())),
    })?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Fa2Error::invalid(format!("{}: malformed JSON: {e}", path.display())))?;
    if !value.is_object() {
        return Err(Fa2Error::invalid(format!(
            "{}: must be a JSON object, found {}",
            path.display(),
            json_type(&value)
        )));
    }
    Ok(value)
}

fn read_knowledge(dir: &Path) -> Result<Vec<KnowledgeDoc>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Fa2Error::invalid(format!("{}: cannot read: {e}", dir.display()))),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Fa2Error::invalid(format!("{}: cannot read: {e}", dir.display())))?.path();
        if path.is_file() && path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("md")) {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Fa2Error::invalid(format!("{}: cannot read as UTF-8 text: {e}", path.display())))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(KnowledgeDoc { name, text })
        })
        .collect()
}

/// What is expected of one field of a JSONL record, to explain a line that did not parse.
struct FieldRule {
    name: &'static str,
    required: bool,
    /// Completes "\"name\" must be …".
    must_be: &'static str,
    accepts: fn(&Value) -> bool,
}

const LOG_EVENT_RULES: [FieldRule; 4] = [
    FieldRule { name: "logGroup", required: true, must_be: "a string", accepts: Value::is_string },
    FieldRule { name: "logStream", required: false, must_be: "a string", accepts: Value::is_string },
    FieldRule { name: "timestamp", required: true, must_be: "an integer (epoch milliseconds)", accepts: Value::is_i64 },
    FieldRule { name: "message", required: true, must_be: "a string", accepts: Value::is_string },
];

const METRIC_SERIES_RULES: [FieldRule; 8] = [
    FieldRule { name: "namespace", required: true, must_be: "a string", accepts: Value::is_string },
    FieldRule { name: "metricName", required: true, must_be: "a string", accepts: Value::is_string },
    FieldRule {
        name: "dimensions",
        required: false,
        must_be: "an object of string values",
        accepts: |v| v.as_object().is_some_and(|o| o.values().all(Value::is_string)),
    },
    FieldRule { name: "stat", required: false, must_be: "a string", accepts: Value::is_string },
    FieldRule {
        name: "period",
        required: false,
        must_be: "a whole number of seconds",
        accepts: |v| v.as_u64().is_some_and(|p| u32::try_from(p).is_ok()),
    },
    FieldRule { name: "unit", required: false, must_be: "a string", accepts: |v| v.is_string() || v.is_null() },
    FieldRule {
        name: "timestamps",
        required: true,
        must_be: "an array of integers (epoch milliseconds)",
        accepts: |v| v.as_array().is_some_and(|a| a.iter().all(Value::is_i64)),
    },
    FieldRule {
        name: "values",
        required: true,
        must_be: "an array of numbers",
        accepts: |v| v.as_array().is_some_and(|a| a.iter().all(Value::is_number)),
    },
];

const CLOUDTRAIL_RULES: [FieldRule; 3] = [
    FieldRule {
        name: "eventTime",
        required: true,
        must_be: "an ISO 8601 time",
        accepts: |v| v.as_str().is_some_and(|t| t.parse::<DateTime<Utc>>().is_ok()),
    },
    FieldRule { name: "eventName", required: true, must_be: "a string", accepts: Value::is_string },
    FieldRule { name: "eventSource", required: true, must_be: "a string", accepts: Value::is_string },
];

/// The first thing wrong with a record, in words; `fallback` when every rule holds.
fn explain(line: &[u8], rules: &[FieldRule], fallback: impl FnOnce() -> String) -> String {
    let value: Value = match serde_json::from_slice(line) {
        Ok(value) => value,
        Err(e) => return format!("malformed JSON: {e}"),
    };
    let Some(object) = value.as_object() else {
        return format!("must be a JSON object, found {}", json_type(&value));
    };
    for rule in rules {
        match object.get(rule.name) {
            None if rule.required => return format!("missing required field \"{}\"", rule.name),
            Some(field) if !(rule.accepts)(field) => return format!("\"{}\" must be {}", rule.name, rule.must_be),
            _ => {}
        }
    }
    fallback()
}

fn parse_log_event(line: &[u8]) -> Result<LogEvent, String> {
    serde_json::from_slice(line).map_err(|e| explain(line, &LOG_EVENT_RULES, || e.to_string()))
}

fn parse_metric_series(line: &[u8]) -> Result<MetricSeries, String> {
    let mut series: MetricSeries =
        serde_json::from_slice(line).map_err(|e| explain(line, &METRIC_SERIES_RULES, || e.to_string()))?;
    if series.timestamps.len() != series.values.len() {
        return Err(format!(
            "\"timestamps\" has {} entries but \"values\" has {}; they must have equal length",
            series.timestamps.len(),
            series.values.len()
        ));
    }
    if !series.timestamps.is_sorted() {
        // The spec says ascending; a recorder that wrote them out of order still describes the same series.
        let mut points: Vec<(i64, f64)> =
            series.timestamps.iter().copied().zip(series.values.iter().copied()).collect();
        points.sort_by_key(|(t, _)| *t);
        (series.timestamps, series.values) = points.into_iter().unzip();
    }
    Ok(series)
}

fn parse_cloudtrail_record(line: &[u8]) -> Result<Value, String> {
    let record: Value = serde_json::from_slice(line).map_err(|e| format!("malformed JSON: {e}"))?;
    match event_time(&record) {
        Some(_)
            if record.get("eventName").is_some_and(Value::is_string)
                && record.get("eventSource").is_some_and(Value::is_string) =>
        {
            Ok(record)
        }
        _ => Err(explain(line, &CLOUDTRAIL_RULES, || "not a CloudTrail record".to_string())),
    }
}

fn parse_trace(line: &[u8]) -> Result<Value, String> {
    let trace: Value = serde_json::from_slice(line).map_err(|e| format!("malformed JSON: {e}"))?;
    xray::TraceSummary::of(&trace)?;
    Ok(trace)
}

/// A CloudTrail record's `eventTime`.
fn event_time(record: &Value) -> Option<DateTime<Utc>> {
    record.get("eventTime")?.as_str()?.parse().ok()
}

/// The offline adapters: every port answered from one loaded bundle, with the limits of the AWS API it stands for.
#[derive(Debug, Clone)]
pub struct BundleTelemetry {
    bundle: Arc<Bundle>,
    log_groups: BTreeSet<String>,
    /// (eventTime, index into `bundle.cloudtrail`), oldest first.
    change_times: Vec<(DateTime<Utc>, usize)>,
    /// Parallel to `bundle.traces`; `None` for a trace that cannot be read.
    traces: Vec<Option<xray::TraceSummary>>,
    knowledge: knowledge::KnowledgeIndex,
}

impl BundleTelemetry {
    pub fn new(bundle: Arc<Bundle>) -> Self {
        let mut change_times: Vec<_> =
            bundle.cloudtrail.iter().enumerate().filter_map(|(i, record)| Some((event_time(record)?, i))).collect();
        change_times.sort();
        let traces = bundle.traces.iter().map(|trace| xray::TraceSummary::of(trace).ok()).collect();
        let knowledge = knowledge::KnowledgeIndex::build(&bundle.knowledge);
        BundleTelemetry { log_groups: bundle.log_groups(), bundle, change_times, traces, knowledge }
    }

    /// Loads the bundle in `dir` and serves it.
    pub fn open(dir: &Path) -> Result<Self> {
        Ok(Self::new(Arc::new(Bundle::load(dir)?)))
    }

    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }
}

#[async_trait]
impl LogSearch for BundleTelemetry {
    async fn query(&self, query: &LogQuery) -> Result<LogQueryResult> {
        if query.log_groups.is_empty() {
            return Err(Fa2Error::invalid("a log query needs at least one log group"));
        }
        let (present, missing): (Vec<&String>, Vec<&String>) =
            query.log_groups.iter().partition(|group| self.log_groups.contains(group.as_str()));
        let wanted: BTreeSet<&str> = present.into_iter().map(String::as_str).collect();
        let (start, end) = (query.window.start.timestamp_millis(), query.window.end.timestamp_millis());
        let logs = &self.bundle.logs;
        let in_window =
            &logs[logs.partition_point(|e| e.timestamp < start)..logs.partition_point(|e| e.timestamp <= end)];
        let in_groups = |event: &LogEvent| wanted.contains(event.log_group.as_str());

        let (mut found, limit): (Vec<LogEvent>, usize) = match &query.filter {
            // FilterLogEvents: the stream prefix and filter pattern instead of the Insights query, oldest first.
            Some(filter) => {
                let pattern =
                    crate::edges::filter_pattern::FilterPattern::parse(filter.pattern.as_deref().unwrap_or_default())?;
                let prefix = filter.stream_prefix.as_deref().unwrap_or_default();
                let matching = |event: &&LogEvent| {
                    in_groups(event) && event.log_stream.starts_with(prefix) && pattern.matches(&event.message)
                };
                let found = in_window.iter().filter(matching).take(query.limit.saturating_add(1)).cloned().collect();
                (found, query.limit)
            }
            None => {
                let plan = insights::InsightsQuery::parse(&query.query)?;
                let limit = plan.limit.map_or(query.limit, |n| n.min(query.limit));
                let matching = |event: &&LogEvent| in_groups(event) && plan.matches(event);
                let found = if plan.descending {
                    in_window.iter().rev().filter(matching).take(limit.saturating_add(1)).cloned().collect()
                } else {
                    in_window.iter().filter(matching).take(limit.saturating_add(1)).cloned().collect()
                };
                (found, limit)
            }
        };
        let truncated = found.len() > limit;
        found.truncate(limit);
        Ok(LogQueryResult { events: found, truncated, missing_groups: missing.into_iter().cloned().collect() })
    }
}

#[async_trait]
impl MetricSource for BundleTelemetry {
    async fn list(&self, filter: &MetricFilter, limit: usize) -> Result<Vec<MetricRef>> {
        let wanted = |series: &&MetricSeries| {
            filter.namespace.as_ref().is_none_or(|ns| ns.eq_ignore_ascii_case(&series.namespace))
                && (filter.dimension_values.is_empty()
                    || series
                        .dimensions
                        .iter()
                        .any(|(k, v)| filter.dimension_values.iter().any(|w| metric_dimension_names(k, v, w))))
        };
        // ListMetrics names a metric once, whatever statistics were recorded for it.
        let mut seen = BTreeSet::new();
        let metrics = self.bundle.metrics.iter().filter(wanted).map(|series| MetricRef {
            namespace: series.namespace.clone(),
            metric_name: series.metric_name.clone(),
            dimensions: series.dimensions.clone(),
            stat: None,
            period: None,
        });
        Ok(metrics.filter(|metric| seen.insert(metric.clone())).take(limit).collect())
    }

    async fn fetch(&self, metrics: &[MetricRef], window: Window) -> Result<Vec<MetricSeries>> {
        let (start, end) = (window.start.timestamp_millis(), window.end.timestamp_millis());
        let mut found = Vec::new();
        for wanted in metrics {
            for series in self.bundle.metrics.iter().filter(|s| series_matches(s, wanted)) {
                let from = series.timestamps.partition_point(|t| *t < start);
                let to = series.timestamps.partition_point(|t| *t <= end);
                found.push(MetricSeries {
                    timestamps: series.timestamps[from..to].to_vec(),
                    values: series.values[from..to].to_vec(),
                    ..clone_header(series)
                });
            }
        }
        Ok(found)
    }
}

fn series_matches(series: &MetricSeries, wanted: &MetricRef) -> bool {
    series.namespace == wanted.namespace
        && series.metric_name == wanted.metric_name
        && series.dimensions == wanted.dimensions
        && wanted.stat.as_ref().is_none_or(|stat| stat.eq_ignore_ascii_case(&series.stat))
        && wanted.period.is_none_or(|period| period == series.period)
}

/// A series' identity without its datapoints, so clipping copies only the points it keeps.
fn clone_header(series: &MetricSeries) -> MetricSeries {
    MetricSeries {
        namespace: series.namespace.clone(),
        metric_name: series.metric_name.clone(),
        dimensions: series.dimensions.clone(),
        stat: series.stat.clone(),
        period: series.period,
        unit: series.unit.clone(),
        timestamps: Vec::new(),
        values: Vec::new(),
    }
}

#[async_trait]
impl ChangeLog for BundleTelemetry {
    async fn lookup(&self, window: Window, limit: usize) -> Result<ChangeQueryResult> {
        let times = &self.change_times;
        let in_window =
            &times[times.partition_point(|(t, _)| *t < window.start)..times.partition_point(|(t, _)| *t <= window.end)];
        let records = in_window.iter().rev().take(limit).map(|(_, i)| self.bundle.cloudtrail[*i].clone()).collect();
        Ok(ChangeQueryResult { records, truncated: in_window.len() > limit })
    }
}

#[async_trait]
impl TraceSource for BundleTelemetry {
    async fn traces(&self, window: Window, filter: Option<&str>, limit: usize) -> Result<TraceQueryResult> {
        let filter = filter.map(str::trim).filter(|f| !f.is_empty()).map(xray::TraceFilter::parse).transpose()?;
        let (start, end) = (seconds(window.start), seconds(window.end));
        let mut matched = self.traces.iter().zip(&self.bundle.traces).filter(|(summary, _)| {
            summary.as_ref().is_some_and(|s| {
                start <= s.start_time && s.start_time <= end && filter.as_ref().is_none_or(|f| f.matches(s))
            })
        });
        let traces: Vec<Value> = matched.by_ref().take(limit).map(|(_, trace)| trace.clone()).collect();
        Ok(TraceQueryResult { traces, truncated: matched.next().is_some(), service_graph: None })
    }
}

fn seconds(time: DateTime<Utc>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}

#[async_trait]
impl KnowledgeBase for BundleTelemetry {
    async fn retrieve(&self, query: &str, limit: usize) -> Result<Vec<Passage>> {
        Ok(self.knowledge.search(query, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn bundle_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("input.json"), r#"{"source": "fa2.slack"}"#).unwrap();
        std::fs::write(dir.path().join("environment.json"), r#"{"logGroups": ["/aws/lambda/quiet"]}"#).unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn load_error(files: &[(&str, &str)]) -> String {
        let dir = bundle_dir(files);
        match Bundle::load(dir.path()) {
            Err(Fa2Error::InvalidInput(message)) => message,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 10, minute, 0).unwrap()
    }

    fn window(from: u32, to: u32) -> Window {
        Window { start: at(from), end: at(to) }
    }

    fn telemetry(files: &[(&str, &str)]) -> BundleTelemetry {
        let dir = bundle_dir(files);
        BundleTelemetry::open(dir.path()).unwrap()
    }

    #[test]
    fn a_minimal_bundle_loads_with_empty_telemetry() {
        let dir = bundle_dir(&[("answer.json", "not even json")]);
        let bundle = Bundle::load(dir.path()).unwrap();
        assert_eq!(bundle.input["source"], "fa2.slack");
        assert!(bundle.logs.is_empty() && bundle.metrics.is_empty() && bundle.cloudtrail.is_empty());
        assert!(bundle.traces.is_empty() && bundle.knowledge.is_empty());
        assert_eq!(bundle.log_groups().into_iter().collect::<Vec<_>>(), ["/aws/lambda/quiet"]);
    }

    #[test]
    fn required_files_must_exist_and_be_objects() {
        let dir = tempfile::tempdir().unwrap();
        let missing = Bundle::load(dir.path()).unwrap_err().to_string();
        assert!(missing.contains("input.json: missing"), "{missing}");
        assert!(load_error(&[("input.json", "[1, 2]")]).contains("input.json: must be a JSON object, found an array"));
        assert!(load_error(&[("environment.json", "{nope")]).contains("environment.json: malformed JSON"));
        let gone = Bundle::load(&dir.path().join("absent")).unwrap_err().to_string();
        assert!(gone.contains("no such bundle directory"), "{gone}");
    }

    #[test]
    fn jsonl_errors_name_file_line_and_problem() {
        let good_log = r#"{"logGroup": "g", "timestamp": 1, "message": "m"}"#;
        let cases = [
            ("logs.jsonl", format!("{good_log}\n\n{{\"logGroup\": \"g\""), "logs.jsonl line 3: malformed JSON"),
            (
                "logs.jsonl",
                r#"{"logGroup": "g", "message": "m"}"#.to_string(),
                r#"logs.jsonl line 1: missing required field "timestamp""#,
            ),
            (
                "logs.jsonl",
                r#"{"logGroup": "g", "timestamp": "soon", "message": "m"}"#.to_string(),
                r#""timestamp" must be an integer"#,
            ),
            ("logs.jsonl", "[1]".to_string(), "logs.jsonl line 1: must be a JSON object, found an array"),
            (
                "metrics.jsonl",
                format!("\n\n{}", r#"{"namespace": "N", "metricName": "M", "timestamps": [1], "values": ["x"]}"#),
                r#"metrics.jsonl line 3: "values" must be an array of numbers"#,
            ),
            (
                "metrics.jsonl",
                r#"{"namespace": "N", "metricName": "M", "timestamps": [1, 2], "values": [1]}"#.to_string(),
                r#"metrics.jsonl line 1: "timestamps" has 2 entries but "values" has 1"#,
            ),
            (
                "metrics.jsonl",
                r#"{"namespace": "N", "timestamps": [], "values": []}"#.to_string(),
                r#"missing required field "metricName""#,
            ),
            (
                "cloudtrail.jsonl",
                r#"{"eventTime": "yesterday", "eventName": "X", "eventSource": "s"}"#.to_string(),
                r#"cloudtrail.jsonl line 1: "eventTime" must be an ISO 8601 time"#,
            ),
            (
                "cloudtrail.jsonl",
                r#"{"eventTime": "2026-01-01T10:00:00Z"}"#.to_string(),
                r#"missing required field "eventName""#,
            ),
            (
                "traces.jsonl",
                r#"{"Id": "1-a", "Segments": "none"}"#.to_string(),
                r#"traces.jsonl line 1: "Segments" must be an array"#,
            ),
            (
                "traces.jsonl",
                r#"{"Id": "1-a", "Segments": [{"Id": "s", "Document": "{oops"}]}"#.to_string(),
                "traces.jsonl line 1: \"Segments[0].Document\" is not a JSON segment document",
            ),
        ];
        for (file, text, expected) in cases {
            let message = load_error(&[(file, &text)]);
            assert!(message.contains(expected), "{file}: expected {expected:?} in {message:?}");
        }
    }

    #[test]
    fn logs_are_sorted_and_unknown_fields_ignored() {
        let logs = [
            r#"{"logGroup": "g", "logStream": "s", "timestamp": 20, "message": "b", "extra": true}"#,
            r#"{"logGroup": "g", "timestamp": 10, "message": "a"}"#,
        ]
        .join("\n");
        let dir = bundle_dir(&[
            ("logs.jsonl", &logs),
            ("knowledge/b.md", "# B"),
            ("knowledge/a.md", "# A"),
            ("knowledge/x.txt", ""),
        ]);
        let bundle = Bundle::load(dir.path()).unwrap();
        assert_eq!(bundle.logs.iter().map(|e| e.message.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(bundle.logs[0].log_stream, "");
        assert_eq!(bundle.knowledge.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["a.md", "b.md"]);
    }

    fn log_line(group: &str, stream: &str, minute: u32, message: &str) -> String {
        serde_json::json!({"logGroup": group, "logStream": stream, "timestamp": at(minute).timestamp_millis(), "message": message})
            .to_string()
    }

    fn log_query(groups: &[&str], text: &str, limit: usize) -> LogQuery {
        LogQuery {
            log_groups: groups.iter().map(|g| g.to_string()).collect(),
            window: window(0, 30),
            query: text.into(),
            limit,
            filter: None,
        }
    }

    fn messages(result: &LogQueryResult) -> Vec<&str> {
        result.events.iter().map(|e| e.message.as_str()).collect()
    }

    #[tokio::test]
    async fn log_search_filters_sorts_limits_and_reports_missing_groups() {
        let logs = [
            log_line("/a", "v1", 1, "ok request"),
            log_line("/a", "v2", 2, "ERROR timeout calling db"),
            log_line("/b", "v1", 3, "ERROR AccessDenied"),
            log_line("/a", "v2", 4, r#"{"level": "WARN", "status": 503}"#),
            log_line("/a", "v2", 40, "ERROR outside the window"),
        ]
        .join("\n");
        let telemetry = telemetry(&[("logs.jsonl", &logs)]);

        let all = telemetry
            .query(&log_query(&["/a", "/b", "/gone", "/aws/lambda/quiet"], "fields @message", 100))
            .await
            .unwrap();
        assert_eq!(messages(&all).len(), 4);
        assert_eq!(all.missing_groups, ["/gone"]);

        let errors = telemetry
            .query(&log_query(
                &["/a", "/b"],
                "fields @message | filter @message like /(?i)error/ | sort @timestamp desc",
                100,
            ))
            .await
            .unwrap();
        assert_eq!(messages(&errors), ["ERROR AccessDenied", "ERROR timeout calling db"]);

        let capped =
            telemetry.query(&log_query(&["/a", "/b"], "filter @message like \"ERROR\" | limit 1", 100)).await.unwrap();
        assert_eq!((messages(&capped), capped.truncated), (vec!["ERROR timeout calling db"], true));

        let combined = "filter @logStream like \"v2\" and (@message like /timeout/ or status >= 500) | filter @message not like \"ok\"";
        let result = telemetry.query(&log_query(&["/a"], combined, 1)).await.unwrap();
        assert_eq!((messages(&result).len(), result.truncated), (1, true));
        let json_field = telemetry.query(&log_query(&["/a"], "filter level = \"WARN\"", 10)).await.unwrap();
        assert_eq!(messages(&json_field), [r#"{"level": "WARN", "status": 503}"#]);
        let regex_op =
            telemetry.query(&log_query(&["/a", "/b"], "filter @message =~ /Access|timeout/", 10)).await.unwrap();
        assert_eq!(messages(&regex_op).len(), 2);
    }

    #[tokio::test]
    async fn log_search_rejects_what_it_cannot_run() {
        let telemetry = telemetry(&[]);
        let stats =
            telemetry.query(&log_query(&["/a"], "stats count(*) by bin(5m)", 10)).await.unwrap_err().to_string();
        assert!(stats.contains("stats") && stats.contains("not supported offline"), "{stats}");
        let parse = telemetry
            .query(&log_query(&["/a"], "fields @message | parse @message \"* *\" as a, b", 10))
            .await
            .unwrap_err();
        assert!(parse.to_string().contains("`parse`"), "{parse}");
        let no_groups = telemetry.query(&log_query(&[], "fields @message", 10)).await.unwrap_err();
        assert!(no_groups.to_string().contains("log group"));
    }

    fn log_filter(groups: &[&str], stream_prefix: Option<&str>, pattern: Option<&str>, limit: usize) -> LogQuery {
        let filter = crate::ports::LogFilter {
            stream_prefix: stream_prefix.map(String::from),
            pattern: pattern.map(String::from),
        };
        LogQuery { filter: Some(filter), ..log_query(groups, "this Insights query is not used", limit) }
    }

    #[tokio::test]
    async fn log_filter_matches_streams_and_patterns_like_filter_log_events() {
        let logs = [
            log_line("/a", "web-1", 1, "ERROR connection reset"),
            log_line("/a", "worker-1", 2, "ERROR job failed"),
            log_line("/b", "web-2", 3, "FATAL out of memory"),
            log_line("/a", "web-1", 4, "error in lowercase"),
            log_line("/a", "web-1", 40, "ERROR outside the window"),
        ]
        .join("\n");
        let telemetry = telemetry(&[("logs.jsonl", &logs)]);
        let everything = telemetry.query(&log_filter(&["/a", "/b", "/gone"], None, None, 10)).await.unwrap();
        assert_eq!(messages(&everything).len(), 4);
        assert_eq!(everything.missing_groups, ["/gone"]);
        let web_errors =
            telemetry.query(&log_filter(&["/a", "/b"], Some("web"), Some("?ERROR ?FATAL"), 10)).await.unwrap();
        assert_eq!(messages(&web_errors), ["ERROR connection reset", "FATAL out of memory"]);
        let phrase = telemetry.query(&log_filter(&["/a"], None, Some("\"job failed\" -web"), 10)).await.unwrap();
        assert_eq!(messages(&phrase), ["ERROR job failed"]);
        let capped = telemetry.query(&log_filter(&["/a"], None, Some("ERROR"), 1)).await.unwrap();
        assert_eq!((messages(&capped), capped.truncated), (vec!["ERROR connection reset"], true));
        let json = telemetry.query(&log_filter(&["/a"], None, Some(r#"{ $.level = "ERROR" }"#), 10)).await.unwrap_err();
        assert!(matches!(&json, Fa2Error::InvalidInput(m) if m.contains("not supported offline")), "{json}");
    }

    fn metric_line(name: &str, dims: &str, stat: &str, minutes: &[u32]) -> String {
        let timestamps: Vec<i64> = minutes.iter().map(|m| at(*m).timestamp_millis()).collect();
        let values: Vec<f64> = minutes.iter().map(|m| f64::from(*m)).collect();
        format!(
            r#"{{"namespace": "AWS/Lambda", "metricName": "{name}", "dimensions": {dims}, "stat": "{stat}", "period": 60, "timestamps": {timestamps:?}, "values": {values:?}}}"#
        )
    }

    #[tokio::test]
    async fn metrics_list_like_list_metrics_and_fetch_clipped_series() {
        let metrics = [
            metric_line("Errors", r#"{"FunctionName": "orders"}"#, "Sum", &[1, 5, 9]),
            metric_line("Errors", r#"{"FunctionName": "orders"}"#, "Maximum", &[1, 5, 9]),
            metric_line("Duration", r#"{"FunctionName": "billing"}"#, "Average", &[1]),
        ]
        .join("\n");
        let telemetry = telemetry(&[("metrics.jsonl", &metrics)]);
        let for_orders = MetricFilter { namespace: Some("AWS/Lambda".into()), dimension_values: vec!["ORDERS".into()] };
        let listed = telemetry.list(&for_orders, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].metric_name, "Errors");
        assert_eq!(telemetry.list(&MetricFilter::default(), 9).await.unwrap().len(), 2);
        assert_eq!(telemetry.list(&MetricFilter::default(), 1).await.unwrap().len(), 1);
        assert!(telemetry.list(&MetricFilter::default(), 0).await.unwrap().is_empty());
        assert!(
            telemetry
                .list(&MetricFilter { namespace: Some("AWS/SQS".into()), ..Default::default() }, 9)
                .await
                .unwrap()
                .is_empty()
        );

        let both_stats = telemetry.fetch(&listed, window(2, 9)).await.unwrap();
        assert_eq!(both_stats.len(), 2);
        assert_eq!(both_stats[0].values, [5.0, 9.0]);
        let mut sum_only = listed[0].clone();
        sum_only.stat = Some("Sum".into());
        let fetched = telemetry.fetch(&[sum_only], window(0, 4)).await.unwrap();
        assert_eq!((fetched.len(), fetched[0].stat.as_str(), fetched[0].values.as_slice()), (1, "Sum", &[1.0][..]));
    }

    fn trail_line(minute: u32, name: &str) -> String {
        format!(
            r#"{{"eventTime": "{}", "eventName": "{name}", "eventSource": "x.amazonaws.com", "eventID": "{name}"}}"#,
            at(minute).to_rfc3339()
        )
    }

    #[tokio::test]
    async fn change_log_returns_the_window_newest_first_capped() {
        let trail = [trail_line(5, "B"), trail_line(1, "A"), trail_line(9, "C"), trail_line(50, "Late")].join("\n");
        let telemetry = telemetry(&[("cloudtrail.jsonl", &trail)]);
        let all = telemetry.lookup(window(0, 30), 10).await.unwrap();
        let names: Vec<_> = all.records.iter().map(|r| r["eventName"].as_str().unwrap()).collect();
        assert_eq!((names, all.truncated), (vec!["C", "B", "A"], false));
        let capped = telemetry.lookup(window(0, 30), 2).await.unwrap();
        assert_eq!((capped.records.len(), capped.truncated), (2, true));
    }

    fn trace_line(id: &str, minute: u32, name: &str, flags: &str) -> String {
        let start = at(minute).timestamp() as f64;
        let document =
            format!(r#"{{"id": "s1", "name": "{name}", "start_time": {start}, "end_time": {} {flags}}}"#, start + 0.5);
        serde_json::json!({"Id": id, "Duration": 0.5, "Segments": [{"Id": "s1", "Document": document}]}).to_string()
    }

    #[tokio::test]
    async fn traces_are_windowed_and_filtered() {
        let traces = [
            trace_line("t1", 1, "orders", r#", "fault": true"#),
            trace_line("t2", 2, "billing", r#", "throttle": true, "error": true"#),
            trace_line("t3", 3, "orders", ""),
            trace_line("t4", 45, "orders", r#", "fault": true"#),
        ]
        .join("\n");
        let telemetry = telemetry(&[("traces.jsonl", &traces)]);
        let ids = |result: TraceQueryResult| {
            result.traces.iter().map(|t| t["Id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        };
        assert_eq!(ids(telemetry.traces(window(0, 30), None, 10).await.unwrap()), ["t1", "t2", "t3"]);
        assert_eq!(
            ids(telemetry.traces(window(0, 30), Some("fault = true OR throttle"), 10).await.unwrap()),
            ["t1", "t2"]
        );
        assert_eq!(
            ids(telemetry.traces(window(0, 30), Some(r#"service("orders") AND NOT fault"#), 10).await.unwrap()),
            ["t3"]
        );
        let capped = telemetry.traces(window(0, 30), None, 1).await.unwrap();
        assert!(capped.truncated);
        let unknown = telemetry.traces(window(0, 30), Some("annotation.tier = \"gold\""), 10).await.unwrap_err();
        assert!(matches!(unknown, Fa2Error::InvalidInput(_)) && unknown.to_string().contains("annotation.tier"));
    }

    #[tokio::test]
    async fn knowledge_base_ranks_matching_passages_high_and_others_near_zero() {
        let runbook = "# Runbook: queue backlog\n\n## Symptoms\nApproximateAgeOfOldestMessage grows on the orders queue.\n\n## Fix\nScale the consumer.";
        let other = "# Postmortem: certificate expiry\n\nThe TLS certificate of the portal expired.";
        let telemetry = telemetry(&[("knowledge/queue.md", runbook), ("knowledge/tls.md", other)]);
        let passages = telemetry.retrieve("orders queue backlog ApproximateAgeOfOldestMessage", 5).await.unwrap();
        assert_eq!(passages[0].document, "queue.md");
        assert!(passages[0].score > 0.5, "{passages:?}");
        assert!(passages.iter().all(|p| p.document != "tls.md"));
        assert!(telemetry.retrieve("kubernetes etcd quorum", 5).await.unwrap().is_empty());
    }

    /// Scratch: `cargo test -p shared --lib print_example_digests -- --ignored --nocapture` prints the audit and
    /// knowledge digests of every example bundle, with a crude frame (the real one is built by `Prepare`).
    #[tokio::test]
    #[ignore = "prints digests for a person to read"]
    async fn print_example_digests() {
        use crate::domain::evidence::{AnalysisFrame, audit, knowledge};
        use crate::domain::resources::names_in_text;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/incidents");
        let mut dirs: Vec<PathBuf> =
            std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
        dirs.sort();
        for dir in dirs {
            let telemetry = BundleTelemetry::open(&dir).unwrap();
            let input = &telemetry.bundle().input;
            let noticed_at = input
                .pointer("/detail/state/timestamp")
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z").ok())
                .map(|t| t.with_timezone(&Utc))
                .or_else(|| input["endTime"].as_str().and_then(|t| t.parse().ok()))
                .unwrap();
            let alarm_dimensions = input
                .pointer("/detail/configuration/metrics")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| m.pointer("/metricStat/metric/dimensions").and_then(Value::as_object))
                .flat_map(|d| d.values().filter_map(Value::as_str).map(str::to_string));
            let described = format!(
                "{} {}",
                input["description"].as_str().unwrap_or(""),
                telemetry.bundle().environment["architecture"].as_str().unwrap_or("")
            );
            let mut resources: Vec<String> = alarm_dimensions.collect();
            for name in names_in_text(&described) {
                if !resources.contains(&name) {
                    resources.push(name);
                }
            }
            let window = Window {
                start: noticed_at - chrono::Duration::minutes(60),
                end: noticed_at + chrono::Duration::minutes(5),
            };
            let frame = AnalysisFrame { window, noticed_at, resources };
            let changes = telemetry.lookup(window, 1000).await.unwrap();
            println!("===== {} resources={:?}", dir.display(), frame.resources);
            let audit = audit::digest(&changes.records, &frame, "blob");
            println!("{}", audit.text);
            for f in audit.findings.iter().take(3) {
                println!(
                    "  #{:.2} {} | {}\n     {}",
                    f.score,
                    f.component,
                    f.summary,
                    f.excerpt.replace('\n', "\n     ")
                );
            }
            let symptoms = [
                "AccessDeniedException not authorized to perform dynamodb:UpdateItem",
                "ProvisionedThroughputExceededException throttling",
                "TypeError after deployment of a new version, 5XX",
                "ENOTFOUND getaddrinfo DNS timeout",
                "deploy rollback new version errors",
            ];
            for symptom in symptoms {
                let query =
                    format!("{symptom} {}", frame.resources.iter().take(3).cloned().collect::<Vec<_>>().join(" "));
                let query = query.as_str();
                let passages = telemetry.retrieve(query, 5).await.unwrap();
                let digest = knowledge::digest(&passages, query, &frame, "");
                println!("{}", digest.text);
                for f in &digest.findings {
                    println!("  KB {:.2} {} {} ", f.score, f.component, f.attr(crate::domain::evidence::attr::TITLE));
                }
            }
        }
    }

    #[test]
    fn every_example_bundle_loads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/incidents");
        let Ok(entries) = std::fs::read_dir(&root) else {
            eprintln!("skipped: {} is absent", root.display());
            return;
        };
        for entry in entries {
            let dir = entry.unwrap().path();
            if dir.join("input.json").is_file() {
                let bundle = Bundle::load(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
                let telemetry = BundleTelemetry::new(Arc::new(bundle));
                assert!(telemetry.traces.iter().all(Option::is_some), "{}", dir.display());
            }
        }
    }
}
