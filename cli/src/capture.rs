//! `fa2 capture`: records a live incident into an incident bundle (`shared/spec/incident-bundle.md`) through the
//! same ports the tools read, so a real incident becomes a regression case for `fa2 analyze` and `fa2 eval`.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use aws_config::SdkConfig;
use chrono::{DateTime, Duration, Utc};
use clap::{ArgGroup, Args};
use serde::Serialize;
use serde_json::{Value, json};
use shared::config::{Config, DEFAULT_INSIGHTS_QUERY};
use shared::contract::{MetricRef, ToolName, Window, format_time};
use shared::domain::budget::clip;
use shared::domain::input::parse_time;
use shared::domain::resources::component_of_log_group;
use shared::error::{Fa2Error, Result};
use shared::ops::{ExecutionRef, PrepareRequest, prepare};
use shared::ports::{LogEvent, LogFilter, LogQuery, LogSearch, MetricFilter, MetricSeries};
use shared::tools::Toolbox;

use crate::Progress;

/// How much of a source's error the summary shows.
const FAILURE_CHARS: usize = 400;

/// Why the knowledge base is never in a captured bundle.
const KNOWLEDGE_NOT_CAPTURED: &str = "not captured: a Bedrock knowledge base's documents cannot be listed through \
Retrieve; copy the runbooks it holds into knowledge/*.md by hand";

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("trigger").required(true).args(["alarm", "start"])))]
pub struct CaptureArgs {
    /// The CloudWatch alarm to record: input.json is the EventBridge event of its last state change, the window
    /// the one an analysis of that event looks at.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["start", "end", "description"])]
    pub alarm: Option<String>,
    /// Start of the window (ISO 8601, UTC unless an offset is given); input.json is a Slack form submission.
    #[arg(long, value_name = "TIME", requires = "end", value_parser = parse_utc)]
    pub start: Option<DateTime<Utc>>,
    /// End of the window: after --start, not in the future, at most FA2_MAX_WINDOW_HOURS (default 24) later.
    #[arg(long, value_name = "TIME", requires = "start", value_parser = parse_utc)]
    pub end: Option<DateTime<Utc>>,
    /// What the operator saw (the Slack form's description), with --start/--end.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// A log group to record (repeatable). Default: the configured ones (FA2_LOG_GROUPS).
    #[arg(long = "log-group", value_name = "NAME")]
    pub log_groups: Vec<String>,
    /// A resource whose metrics to record (repeatable), besides the alarm's dimensions, names in the
    /// architecture description and the log groups' components.
    #[arg(long = "resource", value_name = "NAME")]
    pub resources: Vec<String>,
    /// The bundle directory to write; it must be empty or absent.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into a non-empty --out, replacing the bundle files a capture writes.
    #[arg(long)]
    pub force: bool,
}

fn parse_utc(text: &str) -> std::result::Result<DateTime<Utc>, String> {
    parse_time(text).ok_or_else(|| format!("{text:?} is not an ISO 8601 time such as 2026-11-20T09:30:00Z"))
}

/// How much of each source a capture keeps at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureLimits {
    /// Log events over all log groups; the newest are kept.
    pub log_events: usize,
    /// Events one log query returns at most; a fuller window is split in halves until each part fits.
    pub log_page: usize,
    /// Metrics discovered for the resources in play (the alarm's own are always read).
    pub metrics: usize,
    pub cloudtrail_records: usize,
    pub traces: usize,
}

impl Default for CaptureLimits {
    fn default() -> Self {
        CaptureLimits {
            log_events: 200_000,
            log_page: shared::tools::logs::MAX_ROWS,
            metrics: 1_000,
            cloudtrail_records: 5_000,
            traces: 2_000,
        }
    }
}

/// What to record: the input, the deployment settings, and what follows from them as the analysis derives it.
#[derive(Debug, Clone)]
pub struct CapturePlan {
    /// input.json, verbatim.
    pub input: Value,
    /// What environment.json records; its log groups are the ones captured.
    pub config: Config,
    /// The window an analysis of `input` looks at (`Prepare`'s).
    pub window: Window,
    /// The alarm's own metrics, read with their stat and period.
    pub alarm_metrics: Vec<MetricRef>,
    /// Names whose metrics are discovered (any dimension value matching).
    pub resources: Vec<String>,
    pub limits: CaptureLimits,
}

impl CapturePlan {
    /// The plan for `input` under `config`: the window, the alarm and the resources in play exactly as `Prepare`
    /// and the tools derive them, plus `extra_resources` and the components the log groups belong to.
    pub fn new(input: Value, config: Config, extra_resources: &[String], now: DateTime<Utc>) -> Result<CapturePlan> {
        let execution = ExecutionRef { id: String::new(), name: "capture".into(), start_time: None };
        let state = prepare(PrepareRequest { input: input.clone(), execution }, &config, now)?;
        let run = state.run.ok_or_else(|| Fa2Error::Upstream("Prepare returned no run context".into()))?;
        let mut resources = shared::tools::frame(&run, extra_resources).resources;
        for component in config.log_groups.iter().map(|group| component_of_log_group(group)) {
            if !component.is_empty() && !resources.iter().any(|r| r.eq_ignore_ascii_case(&component)) {
                resources.push(component);
            }
        }
        Ok(CapturePlan {
            window: run.window,
            alarm_metrics: run.alarm.map(|alarm| alarm.metrics).unwrap_or_default(),
            input,
            config,
            resources,
            limits: CaptureLimits::default(),
        })
    }
}

/// What a capture wrote, and what it could not.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureSummary {
    pub dir: PathBuf,
    pub window: Window,
    pub log_groups: usize,
    pub log_events: usize,
    pub metric_series: usize,
    pub metric_datapoints: usize,
    pub cloudtrail_records: usize,
    pub traces: usize,
    /// Sources that held more than a limit (what was kept is said for each).
    pub truncated: Vec<String>,
    /// (source, why): sources that could not be read, or not all of them (`logs /aws/lambda/x`).
    pub failed: Vec<(String, String)>,
    /// The telemetry files not written because their source could not be read at all.
    pub missing_files: Vec<String>,
}

impl fmt::Display for CaptureSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Captured {} .. {} into {}",
            format_time(&self.window.start),
            format_time(&self.window.end),
            self.dir.display()
        )?;
        writeln!(f, "  input.json        the execution input")?;
        writeln!(
            f,
            "  environment.json  the deployment settings, {} log group{}",
            self.log_groups,
            if self.log_groups == 1 { "" } else { "s" }
        )?;
        let files = [
            ("logs.jsonl", format!("{} events", self.log_events)),
            ("metrics.jsonl", format!("{} series, {} datapoints", self.metric_series, self.metric_datapoints)),
            ("cloudtrail.jsonl", format!("{} records", self.cloudtrail_records)),
            ("traces.jsonl", format!("{} traces", self.traces)),
        ];
        for (file, count) in files {
            let written = !self.missing_files.iter().any(|missing| missing == file);
            writeln!(f, "  {file:<18}{}", if written { count } else { "not written (see below)".into() })?;
        }
        writeln!(f, "  knowledge/        {KNOWLEDGE_NOT_CAPTURED}")?;
        for limit in &self.truncated {
            writeln!(f, "Truncated: {limit}")?;
        }
        for (source, why) in &self.failed {
            writeln!(f, "Not captured: {source}: {why}")?;
        }
        if !self.failed.is_empty() {
            writeln!(f, "The bundle lacks the sources above; an analysis of it sees them as empty.")?;
        }
        Ok(())
    }
}

/// Refuses a non-empty directory unless `force`: a capture must not mix with another bundle's files.
pub fn check_out_dir(dir: &Path, force: bool) -> Result<()> {
    let empty = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(Fa2Error::invalid(format!("{}: {e}", dir.display()))),
    };
    if empty || force {
        return Ok(());
    }
    Err(Fa2Error::invalid(format!(
        "{} is not empty; choose another --out, or pass --force to replace its bundle files",
        dir.display()
    )))
}

/// Asks every port for the plan's window and writes the bundle into `out_dir`. A source that fails is reported
/// (in the summary, and to `progress` as it happens) and left out; the capture goes on with the others.
pub async fn capture(
    toolbox: &Toolbox,
    plan: &CapturePlan,
    out_dir: &Path,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<CaptureSummary> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Fa2Error::Upstream(format!("cannot create {}: {e}", out_dir.display())))?;
    let mut summary = CaptureSummary {
        dir: out_dir.to_path_buf(),
        window: plan.window,
        log_groups: plan.config.log_groups.len(),
        log_events: 0,
        metric_series: 0,
        metric_datapoints: 0,
        cloudtrail_records: 0,
        traces: 0,
        truncated: Vec::new(),
        failed: Vec::new(),
        missing_files: Vec::new(),
    };
    let mut sink = Sink { dir: out_dir, summary: &mut summary, progress };

    write_json(&out_dir.join("input.json"), &plan.input)?;
    let logs = capture_logs(toolbox, plan, &mut sink).await;
    sink.write("logs.jsonl", logs)?;
    let metrics = capture_metrics(toolbox, plan, &mut sink).await;
    sink.write("metrics.jsonl", metrics)?;
    let records = capture_cloudtrail(toolbox, plan, &mut sink).await;
    sink.write("cloudtrail.jsonl", records)?;
    let traces = capture_traces(toolbox, plan, &mut sink).await;
    let traced = traces.as_ref().is_some_and(|t| !t.is_empty());
    sink.write("traces.jsonl", traces)?;
    write_json(&out_dir.join("environment.json"), &environment(&plan.config, traced))?;
    Ok(summary)
}

/// Where the sources' results and problems go.
struct Sink<'a> {
    dir: &'a Path,
    summary: &'a mut CaptureSummary,
    progress: &'a (dyn Fn(&str) + Send + Sync),
}

impl Sink<'_> {
    /// The whole error goes to progress; the summary keeps the start of it (SDK errors can carry a response body).
    fn failed(&mut self, source: &str, why: impl fmt::Display) {
        let why = why.to_string();
        (self.progress)(&format!("fa2: {source} not captured: {why}"));
        self.summary.failed.push((source.to_string(), clip(&why, FAILURE_CHARS)));
    }

    fn truncated(&mut self, what: String) {
        (self.progress)(&format!("fa2: {what}"));
        self.summary.truncated.push(what);
    }

    /// Writes a source's records one JSON object per line; a source that could not be read (`None`) leaves no
    /// file, so a file from an earlier capture (`--force`) cannot pass for this one's.
    fn write<T: Serialize>(&mut self, name: &str, records: Option<Vec<T>>) -> Result<()> {
        let path = self.dir.join(name);
        let Some(records) = records else {
            self.summary.missing_files.push(name.to_string());
            return match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(Fa2Error::Upstream(format!("cannot remove {}: {e}", path.display())))
                }
                _ => Ok(()),
            };
        };
        let io_error = |e: std::io::Error| Fa2Error::Upstream(format!("cannot write {}: {e}", path.display()));
        let file = std::fs::File::create(&path).map_err(io_error)?;
        let mut writer = BufWriter::new(file);
        for record in &records {
            serde_json::to_writer(&mut writer, record)
                .map_err(|e| Fa2Error::Upstream(format!("{}: {e}", path.display())))?;
            writer.write_all(b"\n").map_err(io_error)?;
        }
        writer.flush().map_err(io_error)
    }
}

fn write_json(path: &Path, value: &Value) -> Result<()> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| Fa2Error::Upstream(format!("{}: {e}", path.display())))?;
    std::fs::write(path, text + "\n").map_err(|e| Fa2Error::Upstream(format!("cannot write {}: {e}", path.display())))
}

/// environment.json: what the deployment knows. X-Ray counts as available when configured or when the window
/// has traces; the knowledge base never (its documents are not captured).
fn environment(config: &Config, traced: bool) -> Value {
    let mut environment = json!({
        "region": config.region,
        "accountId": config.account_id,
        "language": config.language.as_str(),
        "architecture": config.architecture,
        "logGroups": config.log_groups,
        "xray": config.xray || traced,
        "knowledgeBase": false,
    });
    if let Some(query) = &config.insights_query {
        environment["insightsQuery"] = query.clone().into();
    }
    environment
}

/// Every event of every log group, sorted by time; `None` when no group could be read.
async fn capture_logs(toolbox: &Toolbox, plan: &CapturePlan, sink: &mut Sink<'_>) -> Option<Vec<LogEvent>> {
    let Some(search) = toolbox.logs.as_deref() else {
        sink.failed("logs", "no log search in this toolbox");
        return None;
    };
    let groups: BTreeSet<&str> = plan.config.log_groups.iter().map(String::as_str).collect();
    if groups.is_empty() {
        sink.failed("logs", "no log groups: set FA2_LOG_GROUPS or pass --log-group");
        return None;
    }
    let mut events: Vec<LogEvent> = Vec::new();
    let mut read_any = false;
    for group in groups {
        let budget = plan.limits.log_events.saturating_sub(events.len());
        match all_events(search, group, plan.window, plan.limits.log_page, budget).await {
            Ok((found, complete)) => {
                (sink.progress)(&format!("fa2: logs {group}: {} events", found.len()));
                if !complete {
                    sink.truncated(format!(
                        "logs {group}: more events than the limit of {} over all log groups; kept the newest {}",
                        plan.limits.log_events,
                        found.len()
                    ));
                }
                events.extend(found);
                read_any = true;
            }
            Err(e) => sink.failed(&format!("logs {group}"), e),
        }
    }
    events.sort_by(|a, b| (a.timestamp, &a.log_group, &a.log_stream).cmp(&(b.timestamp, &b.log_group, &b.log_stream)));
    sink.summary.log_events = events.len();
    read_any.then_some(events)
}

/// Every event of one log group in the window, at most `budget` (the newest), paged through the port: a window
/// holding more than one page is split in halves until each part fits. Returns the events and whether they are all.
async fn all_events(
    search: &dyn LogSearch,
    group: &str,
    window: Window,
    page: usize,
    budget: usize,
) -> Result<(Vec<LogEvent>, bool)> {
    let mut events = Vec::new();
    let mut complete = true;
    // Inclusive millisecond ranges, as both FilterLogEvents and the bundle read a window; newest popped first.
    let mut pending = vec![(window.start.timestamp_millis(), window.end.timestamp_millis())];
    while let Some((start, end)) = pending.pop() {
        if events.len() >= budget {
            complete = false;
            break;
        }
        let part = Window { start: at_millis(start)?, end: at_millis(end)? };
        let query = LogQuery {
            log_groups: vec![group.to_string()],
            window: part,
            query: DEFAULT_INSIGHTS_QUERY.to_string(),
            limit: page,
            filter: Some(LogFilter::default()),
        };
        let mut found = search.query(&query).await?;
        if !found.missing_groups.is_empty() {
            return Err(Fa2Error::Upstream("the log group does not exist or cannot be read".into()));
        }
        if found.truncated && start < end {
            let middle = start + (end - start) / 2;
            pending.push((start, middle));
            pending.push((middle + 1, end));
            continue;
        }
        // More than a page in one millisecond: what the port returned is all there is to have.
        complete &= !found.truncated;
        let room = budget - events.len();
        if found.events.len() > room {
            found.events.sort_by_key(|event| std::cmp::Reverse(event.timestamp));
            found.events.truncate(room);
            complete = false;
        }
        events.extend(found.events);
    }
    Ok((events, complete))
}

fn at_millis(millis: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis).ok_or_else(|| Fa2Error::invalid(format!("{millis} ms is not a time")))
}

/// The alarm's metrics and those of the resources in play, one series per (metric, stat), with datapoints.
async fn capture_metrics(toolbox: &Toolbox, plan: &CapturePlan, sink: &mut Sink<'_>) -> Option<Vec<MetricSeries>> {
    let Some(source) = toolbox.metrics.as_deref() else {
        sink.failed("metrics", "no metric source in this toolbox");
        return None;
    };
    let mut wanted = plan.alarm_metrics.clone();
    if !plan.resources.is_empty() {
        let filter = MetricFilter { namespace: None, dimension_values: plan.resources.clone() };
        match source.list(&filter, plan.limits.metrics).await {
            Ok(found) => {
                if found.len() >= plan.limits.metrics {
                    sink.truncated(format!(
                        "metrics: the resources in play have at least {} metrics; kept the first {}",
                        plan.limits.metrics, plan.limits.metrics
                    ));
                }
                wanted.extend(found);
            }
            // Without discovery and without an alarm metric there is nothing to read: an empty file would say
            // the account has no metrics.
            Err(e) if wanted.is_empty() => {
                sink.failed("metrics", e);
                return None;
            }
            Err(e) => sink.failed("metrics (discovery)", e),
        }
    }
    // The alarm's own metrics first: their stat and period win over a discovered twin's defaults.
    let mut asked = BTreeSet::new();
    wanted.retain(|metric| asked.insert(metric.clone()));
    let series = match source.fetch(&wanted, plan.window).await {
        Ok(series) => series,
        Err(e) => {
            sink.failed("metrics", e);
            return None;
        }
    };
    let mut seen = BTreeSet::new();
    let series: Vec<MetricSeries> = series
        .into_iter()
        .filter(|s| !s.timestamps.is_empty())
        .filter(|s| seen.insert((s.namespace.clone(), s.metric_name.clone(), s.dimensions.clone(), s.stat.clone())))
        .collect();
    sink.summary.metric_series = series.len();
    sink.summary.metric_datapoints = series.iter().map(|s| s.timestamps.len()).sum();
    (sink.progress)(&format!(
        "fa2: metrics: {} series ({} datapoints) of {} metrics asked for {} resources",
        series.len(),
        sink.summary.metric_datapoints,
        wanted.len(),
        plan.resources.len()
    ));
    Some(series)
}

/// CloudTrail management events of the window, oldest first.
async fn capture_cloudtrail(toolbox: &Toolbox, plan: &CapturePlan, sink: &mut Sink<'_>) -> Option<Vec<Value>> {
    let Some(changes) = toolbox.changes.as_deref() else {
        sink.failed("cloudtrail", "no change log in this toolbox");
        return None;
    };
    let limit = plan.limits.cloudtrail_records;
    match changes.lookup(plan.window, limit).await {
        Ok(mut found) => {
            if found.truncated {
                sink.truncated(format!("cloudtrail: more than {limit} records; kept the newest {limit}"));
            }
            // ISO 8601 UTC times sort as text.
            found.records.sort_by(|a, b| a["eventTime"].as_str().cmp(&b["eventTime"].as_str()));
            (sink.progress)(&format!("fa2: cloudtrail: {} records", found.records.len()));
            sink.summary.cloudtrail_records = found.records.len();
            Some(found.records)
        }
        Err(e) => {
            sink.failed("cloudtrail", e);
            None
        }
    }
}

/// X-Ray traces that started in the window.
async fn capture_traces(toolbox: &Toolbox, plan: &CapturePlan, sink: &mut Sink<'_>) -> Option<Vec<Value>> {
    let Some(source) = toolbox.traces.as_deref() else {
        sink.failed("traces", "no trace source in this toolbox");
        return None;
    };
    let limit = plan.limits.traces;
    match source.traces(plan.window, None, limit).await {
        Ok(found) => {
            if found.truncated {
                sink.truncated(format!("traces: more than {limit} traces; kept {limit}"));
            }
            (sink.progress)(&format!("fa2: traces: {} traces", found.traces.len()));
            sink.summary.traces = found.traces.len();
            Some(found.traces)
        }
        Err(e) => {
            sink.failed("traces", e);
            None
        }
    }
}

/// The execution input for an operator's window: the Slack form submission shape.
pub fn slack_form(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    description: Option<&str>,
    max_window_hours: u32,
    now: DateTime<Utc>,
) -> Result<Value> {
    if start >= end {
        return Err(Fa2Error::invalid(format!(
            "--start {} must be before --end {}",
            format_time(&start),
            format_time(&end)
        )));
    }
    if end > now {
        return Err(Fa2Error::invalid(format!(
            "--end {} is in the future (now is {})",
            format_time(&end),
            format_time(&now)
        )));
    }
    if end - start > Duration::hours(i64::from(max_window_hours)) {
        return Err(Fa2Error::invalid(format!(
            "the window {} .. {} is longer than {max_window_hours} hours (FA2_MAX_WINDOW_HOURS); choose a shorter one",
            format_time(&start),
            format_time(&end)
        )));
    }
    Ok(json!({
        "source": "fa2.slack",
        "description": description.unwrap_or_default(),
        "startTime": format_time(&start),
        "endTime": format_time(&end),
    }))
}

/// Runs the command with the AWS connection and deployment settings given (`crate::live_aws`, or the emulator's in
/// tests).
pub async fn run(
    args: CaptureArgs,
    sdk: &SdkConfig,
    mut config: Config,
    out: &mut (dyn Write + Send),
    progress: Progress,
) -> std::result::Result<(), String> {
    check_out_dir(&args.out, args.force).map_err(|e| e.to_string())?;
    if !args.log_groups.is_empty() {
        config.log_groups = args.log_groups.clone();
    }
    let now = Utc::now();
    let input = match (&args.alarm, args.start, args.end) {
        (Some(name), _, _) => {
            progress(&format!("fa2: reading CloudWatch alarm {name:?}"));
            let client = aws_sdk_cloudwatch::Client::new(sdk);
            let event = shared::edges::aws::alarms::alarm_event(&client, name, &config.region, &config.account_id)
                .await
                .map_err(|e| e.to_string())?;
            if config.account_id.is_empty() {
                config.account_id = event["account"].as_str().unwrap_or_default().to_string();
            }
            event
        }
        (None, Some(start), Some(end)) => {
            slack_form(start, end, args.description.as_deref(), config.max_window_hours, now)
                .map_err(|e| e.to_string())?
        }
        _ => return Err("pass --alarm NAME, or --start and --end".into()),
    };
    let plan = CapturePlan::new(input, config, &args.resources, now).map_err(|e| e.to_string())?;
    progress(&format!(
        "fa2: capturing {} .. {} from {} log groups and the metrics of {} resources",
        format_time(&plan.window.start),
        format_time(&plan.window.end),
        plan.config.log_groups.len(),
        plan.resources.len()
    ));
    // Traces are asked for even where the deployment does not trace: what X-Ray has for the window is recorded.
    let toolbox = shared::edges::aws::toolbox(sdk, &Config { xray: true, ..plan.config.clone() }, &ToolName::ALL);
    let summary = capture(&toolbox, &plan, &args.out, &*progress).await.map_err(|e| e.to_string())?;
    out.write_all(summary.to_string().as_bytes()).map_err(|e| format!("cannot write the summary: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use shared::ports::LogQueryResult;
    use std::sync::Mutex;

    fn time(text: &str) -> DateTime<Utc> {
        parse_time(text).unwrap()
    }

    /// A log group with one event per second, answering at most `limit` events like the real search.
    struct Dense {
        events: Vec<LogEvent>,
        queries: Mutex<usize>,
    }

    impl Dense {
        fn new(from: DateTime<Utc>, seconds: i64) -> Dense {
            let events = (0..seconds)
                .map(|i| LogEvent {
                    log_group: "/g".into(),
                    log_stream: "s".into(),
                    timestamp: from.timestamp_millis() + i * 1000,
                    message: format!("event {i}"),
                })
                .collect();
            Dense { events, queries: Mutex::new(0) }
        }
    }

    #[async_trait]
    impl LogSearch for Dense {
        async fn query(&self, query: &LogQuery) -> Result<LogQueryResult> {
            *self.queries.lock().unwrap() += 1;
            assert_eq!(query.filter, Some(LogFilter::default()), "capture asks for every event");
            let (start, end) = (query.window.start.timestamp_millis(), query.window.end.timestamp_millis());
            let matched: Vec<LogEvent> =
                self.events.iter().filter(|e| start <= e.timestamp && e.timestamp <= end).cloned().collect();
            Ok(LogQueryResult {
                truncated: matched.len() > query.limit,
                events: matched.into_iter().take(query.limit).collect(),
                missing_groups: Vec::new(),
            })
        }
    }

    #[tokio::test]
    async fn a_window_fuller_than_a_page_is_split_until_every_event_is_read_once() {
        let from = time("2026-01-01T10:00:00Z");
        let search = Dense::new(from, 1000);
        let window = Window { start: from, end: from + Duration::seconds(999) };
        let (events, complete) = all_events(&search, "/g", window, 64, 200_000).await.unwrap();
        assert!(complete);
        let mut stamps: Vec<i64> = events.iter().map(|e| e.timestamp).collect();
        stamps.sort();
        stamps.dedup();
        assert_eq!(stamps.len(), 1000, "every event once");
        assert!(events.len() == 1000);
        assert!(*search.queries.lock().unwrap() < 100, "bisection, not one query per event");
    }

    #[tokio::test]
    async fn the_budget_keeps_the_newest_events_and_says_the_rest_is_missing() {
        let from = time("2026-01-01T10:00:00Z");
        let search = Dense::new(from, 1000);
        let window = Window { start: from, end: from + Duration::seconds(999) };
        let (events, complete) = all_events(&search, "/g", window, 64, 100).await.unwrap();
        assert!(!complete);
        assert_eq!(events.len(), 100);
        let oldest = events.iter().map(|e| e.timestamp).min().unwrap();
        assert_eq!(oldest, from.timestamp_millis() + 900 * 1000, "the newest 100 seconds");
    }

    #[test]
    fn operator_windows_follow_the_analysis_rules() {
        let now = time("2026-11-20T12:00:00Z");
        let form =
            slack_form(time("2026-11-20T09:30:00Z"), time("2026-11-20T10:30:00Z"), Some("5xx"), 24, now).unwrap();
        assert_eq!(form["source"], "fa2.slack");
        assert_eq!(
            (form["startTime"].as_str(), form["endTime"].as_str()),
            (Some("2026-11-20T09:30:00Z"), Some("2026-11-20T10:30:00Z"))
        );
        let error = |start, end| slack_form(time(start), time(end), None, 24, now).unwrap_err().to_string();
        assert!(error("2026-11-20T10:30:00Z", "2026-11-20T09:30:00Z").contains("must be before --end"));
        assert!(error("2026-11-20T11:30:00Z", "2026-11-20T12:30:00Z").contains("in the future"));
        assert!(error("2026-11-18T09:30:00Z", "2026-11-20T09:30:00Z").contains("longer than 24 hours"));
    }

    fn parse(args: &str) -> std::result::Result<CaptureArgs, String> {
        use clap::Parser;
        let cli = crate::Cli::try_parse_from(["fa2", "capture"].into_iter().chain(args.split(' ')));
        match cli.map_err(|e| e.to_string())?.command {
            crate::Command::Capture(args) => Ok(args),
            other => Err(format!("parsed as {other:?}")),
        }
    }

    #[test]
    fn the_command_line_takes_an_alarm_or_a_window() {
        let args = parse(
            "--start 2026-11-20T09:30:00Z --end 2026-11-20T10:30:00+01:00 --out b --log-group /a \
            --log-group /b --resource orders-table --description x",
        )
        .unwrap();
        assert_eq!(args.start, Some(time("2026-11-20T09:30:00Z")));
        assert_eq!(args.end, Some(time("2026-11-20T09:30:00Z")), "an offset is converted to UTC");
        assert_eq!((args.log_groups.len(), args.resources.len(), args.force), (2, 1, false));
        assert_eq!(parse("--alarm orders-5xx --out b --force").unwrap().alarm.as_deref(), Some("orders-5xx"));
        for wrong in [
            "--out b",
            "--alarm a --start 2026-11-20T09:30:00Z --end 2026-11-20T10:30:00Z --out b",
            "--start 2026-11-20T09:30:00Z --out b",
            "--alarm a --description x --out b",
            "--start yesterday --end 2026-11-20T10:30:00Z --out b",
            "--alarm a",
        ] {
            assert!(parse(wrong).is_err(), "{wrong} must be refused");
        }
    }

    #[test]
    fn a_non_empty_directory_needs_force() {
        let dir = tempfile::tempdir().unwrap();
        check_out_dir(&dir.path().join("absent"), false).unwrap();
        check_out_dir(dir.path(), false).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let error = check_out_dir(dir.path(), false).unwrap_err().to_string();
        assert!(error.contains("is not empty") && error.contains("--force"), "{error}");
        check_out_dir(dir.path(), true).unwrap();
    }
}
