//! fa2 capture (see mod.rs): the capture core over the bundle adapters (a recorded incident captured again must
//! read back with the same telemetry in the window), and over the wire through the AWS adapters: logs and traces
//! in the emulator, metrics and CloudTrail in the SDK fakes.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Utc;
use clap::Parser;
use fa2::capture::{CapturePlan, capture};
use fa2_tests::emulator::{emulator, put_logs, put_traces};
use fa2_tests::{fake_aws, workspace};
use serde_json::Value;
use shared::config::Config;
use shared::contract::Window;
use shared::edges::aws::audit::CloudTrailLookup;
use shared::edges::aws::logs::CloudWatchLogs;
use shared::edges::aws::metrics::CloudWatchMetrics;
use shared::edges::aws::xray::XRayTraces;
use shared::edges::bundle::{Bundle, BundleTelemetry};
use shared::ports::{LogEvent, MetricSeries};
use shared::tools::Toolbox;

/// Runs `fa2 capture ARGS` in-process against the emulator with `config`; what it printed, or its error.
async fn capture_command(args: &[&str], config: Config) -> Result<String, String> {
    let emulator = emulator().expect("the emulator");
    let cli = fa2::Cli::try_parse_from(["fa2", "capture"].iter().chain(args)).map_err(|e| e.to_string())?;
    let fa2::Command::Capture(args) = cli.command else { panic!("parsed as another command") };
    let mut out = Vec::new();
    fa2::capture::run(args, &emulator.sdk_config(), config, &mut out, Arc::new(|_: &str| {})).await?;
    Ok(String::from_utf8(out).unwrap())
}

fn in_window(window: &Window, millis: i64) -> bool {
    window.start.timestamp_millis() <= millis && millis <= window.end.timestamp_millis()
}

/// When a trace started: its earliest segment's `start_time` (epoch seconds).
fn trace_start(trace: &Value) -> f64 {
    let segments = trace["Segments"].as_array().unwrap();
    let starts = segments.iter().map(|s| {
        let document: Value = serde_json::from_str(s["Document"].as_str().unwrap()).unwrap();
        document["start_time"].as_f64().unwrap()
    });
    starts.fold(f64::INFINITY, f64::min)
}

fn sorted_logs(mut events: Vec<LogEvent>) -> Vec<LogEvent> {
    events.sort_by(|a, b| {
        (a.timestamp, &a.log_group, &a.log_stream, &a.message).cmp(&(
            b.timestamp,
            &b.log_group,
            &b.log_stream,
            &b.message,
        ))
    });
    events
}

fn series_ids(series: &[MetricSeries]) -> BTreeSet<String> {
    series.iter().map(|s| format!("{} {} {:?} {}", s.namespace, s.metric_name, s.dimensions, s.stat)).collect()
}

#[tokio::test]
async fn a_bundle_captured_through_the_ports_reads_back_with_the_same_telemetry_in_the_window() {
    let source = Arc::new(Bundle::load(&workspace().join("examples/orders-throttling")).unwrap());
    let config = Config::from_environment(&source.environment).unwrap();
    // Every dimension value as a resource in play, so discovery can find every series that has dimensions.
    let resources: Vec<String> = source.metrics.iter().flat_map(|s| s.dimensions.values().cloned()).collect();
    let mut plan = CapturePlan::new(source.input.clone(), config.clone(), &resources, Utc::now()).unwrap();
    // Small pages, so the window is split many times over.
    plan.limits.log_page = 200;
    let toolbox = Toolbox::serving_all(Arc::new(BundleTelemetry::new(source.clone())));
    let out = tempfile::tempdir().unwrap();
    let progress = std::sync::Mutex::new(Vec::<String>::new());
    let summary =
        capture(&toolbox, &plan, out.path(), &|line: &str| progress.lock().unwrap().push(line.to_string())).await;
    let summary = summary.unwrap();
    assert!(summary.failed.is_empty() && summary.truncated.is_empty(), "{summary}");
    let captured = Bundle::load(out.path()).unwrap();
    let window = plan.window;

    assert_eq!(captured.input, source.input);
    assert_eq!(captured.environment["logGroups"], source.environment["logGroups"]);
    assert_eq!(captured.environment["region"], source.environment["region"]);
    assert_eq!(captured.environment["knowledgeBase"], false, "the knowledge base is never captured");

    let groups: BTreeSet<&String> = config.log_groups.iter().collect();
    let expected_logs: Vec<LogEvent> = source
        .logs
        .iter()
        .filter(|e| groups.contains(&e.log_group) && in_window(&window, e.timestamp))
        .cloned()
        .collect();
    assert!(expected_logs.len() > 1_000, "the example has enough events to page: {}", expected_logs.len());
    assert_eq!(summary.log_events, expected_logs.len());
    assert_eq!(sorted_logs(captured.logs.clone()), sorted_logs(expected_logs));
    assert!(captured.logs.is_sorted_by_key(|e| e.timestamp));

    let expected_series: Vec<MetricSeries> = source
        .metrics
        .iter()
        .filter(|s| !s.dimensions.is_empty() && s.timestamps.iter().any(|t| in_window(&window, *t)))
        .cloned()
        .collect();
    assert_eq!(series_ids(&captured.metrics), series_ids(&expected_series));
    let points = |series: &[MetricSeries], clip: bool| -> usize {
        series.iter().flat_map(|s| &s.timestamps).filter(|t| !clip || in_window(&window, **t)).count()
    };
    assert_eq!(points(&captured.metrics, false), points(&expected_series, true), "datapoints clipped to the window");

    let expected_records = source.cloudtrail.iter().filter(|r| {
        let time: chrono::DateTime<Utc> = r["eventTime"].as_str().unwrap().parse().unwrap();
        window.contains(time)
    });
    assert_eq!(captured.cloudtrail.len(), expected_records.count());
    let (start, end) = (window.start.timestamp_millis() as f64 / 1000.0, window.end.timestamp_millis() as f64 / 1000.0);
    let expected_traces = source.traces.iter().filter(|t| (start..=end).contains(&trace_start(t))).count();
    assert_eq!(captured.traces.len(), expected_traces);
    assert!(!captured.traces.is_empty() && !captured.cloudtrail.is_empty());

    let text = summary.to_string();
    assert!(text.contains(&format!("{} events", summary.log_events)) && text.contains("knowledge/"), "{text}");
    let progress = progress.into_inner().unwrap();
    assert!(progress.iter().any(|l| l.starts_with("fa2: logs /aws/lambda/orders-api:")), "{progress:?}");
}

#[tokio::test]
async fn a_source_that_fails_leaves_the_rest_of_the_bundle_and_says_why() {
    let source = Arc::new(Bundle::load(&workspace().join("examples/healthy-blip")).unwrap());
    let mut config = Config::from_environment(&source.environment).unwrap();
    config.log_groups.push("/aws/lambda/never-created".into());
    let plan = CapturePlan::new(source.input.clone(), config, &[], Utc::now()).unwrap();
    let telemetry = Arc::new(BundleTelemetry::new(source));
    // No trace source: as when the X-Ray adapter cannot be built.
    let toolbox = Toolbox { traces: None, ..Toolbox::serving_all(telemetry) };
    let out = tempfile::tempdir().unwrap();
    // A stale file from an earlier capture (--force) must not pass for this one's traces.
    std::fs::write(out.path().join("traces.jsonl"), "{}\n").unwrap();
    let summary = capture(&toolbox, &plan, out.path(), &|_: &str| {}).await.unwrap();

    let failed: Vec<&str> = summary.failed.iter().map(|(source, _)| source.as_str()).collect();
    assert_eq!(failed, ["logs /aws/lambda/never-created", "traces"], "{summary}");
    assert!(summary.log_events > 0 && summary.metric_series > 0, "{summary}");
    assert!(!out.path().join("traces.jsonl").exists());
    assert_eq!(summary.missing_files, ["traces.jsonl"]);
    let text = summary.to_string();
    assert!(text.contains("Not captured: logs /aws/lambda/never-created: "), "{text}");
    let captured = Bundle::load(out.path()).unwrap();
    assert_eq!(captured.logs.len(), summary.log_events);
    assert!(captured.traces.is_empty());
}

#[tokio::test]
async fn a_live_incident_is_captured_over_the_wire_through_the_aws_adapters() {
    let Some(emulator) = emulator() else { return };
    let scratch = tempfile::tempdir().unwrap();
    let corpus = scratch.path().join("corpus");
    let mut synth = vec!["fa2", "synth", "--out", corpus.to_str().unwrap()];
    synth
        .extend("--kind bad-deploy-lambda --seed 33 --domain rentals --name live --ends-at now --scale 0.3".split(' '));
    let synth = fa2::Cli::parse_from(synth);
    fa2::run(synth, &mut Vec::new(), Arc::new(|_: &str| {})).await.unwrap();
    let mut bundle = Bundle::load(&corpus.join("live")).unwrap();
    // Log groups of this test only: the emulator serves the whole test process.
    let unique = |group: &str| format!("/fa2-capture-test{group}");
    bundle.logs.iter_mut().for_each(|event| event.log_group = unique(&event.log_group));
    let mut config = Config::from_environment(&bundle.environment).unwrap();
    config.log_groups = config.log_groups.iter().map(|group| unique(group)).collect();
    let bundle = Arc::new(bundle);

    let sdk = emulator.sdk_config();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    put_logs(&logs, &bundle.logs).await;
    let xray = aws_sdk_xray::Client::new(&sdk);
    put_traces(&xray, &bundle.traces).await;
    let toolbox = Toolbox {
        logs: Some(Arc::new(CloudWatchLogs::new(logs))),
        metrics: Some(Arc::new(CloudWatchMetrics::new(fake_aws::cloudwatch(bundle.clone())))),
        changes: Some(Arc::new(CloudTrailLookup::new(fake_aws::cloudtrail(bundle.clone())))),
        traces: Some(Arc::new(XRayTraces::new(xray))),
        knowledge: None,
    };
    let mut plan = CapturePlan::new(bundle.input.clone(), config.clone(), &[], Utc::now()).unwrap();
    plan.limits.log_page = 1_000;
    let out = scratch.path().join("captured");
    let summary = capture(&toolbox, &plan, &out, &|_: &str| {}).await.unwrap();
    assert!(summary.failed.is_empty(), "{summary}");
    let captured = Bundle::load(&out).unwrap();
    let window = plan.window;

    let groups: BTreeSet<&String> = config.log_groups.iter().collect();
    let expected_logs: Vec<LogEvent> = bundle
        .logs
        .iter()
        .filter(|e| groups.contains(&e.log_group) && in_window(&window, e.timestamp))
        .cloned()
        .collect();
    assert!(expected_logs.len() > 2 * plan.limits.log_page, "enough to page: {}", expected_logs.len());
    assert_eq!(sorted_logs(captured.logs.clone()), sorted_logs(expected_logs));

    // Write events only (the adapter asks LookupEvents for ReadOnly=false).
    let writes = bundle.cloudtrail.iter().filter(|r| {
        let time: chrono::DateTime<Utc> = r["eventTime"].as_str().unwrap().parse().unwrap();
        window.contains(time) && r["readOnly"].as_bool() != Some(true)
    });
    assert_eq!(captured.cloudtrail.len(), writes.count());
    assert!(!captured.cloudtrail.is_empty());

    let alarm_metric = &plan.alarm_metrics[0];
    let alarm_series = captured.metrics.iter().find(|s| s.metric_name == alarm_metric.metric_name);
    assert!(alarm_series.is_some_and(|s| s.dimensions == alarm_metric.dimensions && !s.values.is_empty()));
    assert!(captured.metrics.len() > 1, "the metrics of the resources in play too");

    // Other tests put traces into the same emulator: every trace of this incident must be there.
    let ids = |traces: &[Value]| -> BTreeSet<String> {
        traces.iter().map(|t| t["Id"].as_str().unwrap().to_string()).collect()
    };
    let (start, end) = (window.start.timestamp_millis() as f64 / 1000.0, window.end.timestamp_millis() as f64 / 1000.0);
    let in_window_traces: Vec<Value> =
        bundle.traces.iter().filter(|t| (start..=end).contains(&trace_start(t))).cloned().collect();
    assert!(!in_window_traces.is_empty());
    let missing: Vec<String> = ids(&in_window_traces).difference(&ids(&captured.traces)).cloned().collect();
    assert!(missing.is_empty(), "traces not captured: {missing:?}");
}

#[tokio::test]
async fn the_command_records_a_window_from_the_emulator_and_says_what_it_could_not() {
    let Some(emulator) = emulator() else { return };
    let end = Utc::now() - chrono::Duration::minutes(1);
    let start = end - chrono::Duration::minutes(30);
    let group = "/fa2-capture-command/aws/lambda/bookings-api";
    let events: Vec<LogEvent> = (0..120)
        .map(|i| LogEvent {
            log_group: group.into(),
            log_stream: format!("2026/[$LATEST]{}", i % 3),
            timestamp: (start + chrono::Duration::seconds(i * 15)).timestamp_millis(),
            message: format!("ERROR booking {i} failed: connection reset"),
        })
        .collect();
    put_logs(&aws_sdk_cloudwatchlogs::Client::new(&emulator.sdk_config()), &events).await;
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("notes.txt"), "someone else's").unwrap();
    let (start, end) = (start.to_rfc3339(), end.to_rfc3339());
    let dir = out.path().to_str().unwrap();
    let args = ["--start", &start, "--end", &end, "--description", "bookings fail", "--log-group", group, "--out", dir];

    let refused = capture_command(&args, Config::default()).await.unwrap_err();
    assert!(refused.contains("is not empty") && refused.contains("--force"), "{refused}");

    let printed = capture_command(&[&args[..], &["--force"]].concat(), Config::default()).await.unwrap();
    let captured = Bundle::load(out.path()).unwrap();
    assert_eq!(sorted_logs(captured.logs.clone()), sorted_logs(events));
    assert!(printed.contains("logs.jsonl        120 events"), "{printed}");
    assert_eq!(captured.input["source"], "fa2.slack");
    assert_eq!(captured.input["description"], "bookings fail");
    assert_eq!(captured.environment["logGroups"], serde_json::json!([group]));
    // Whatever the emulator cannot answer is said, and leaves no file behind.
    for (file, source) in [("metrics.jsonl", "metrics"), ("cloudtrail.jsonl", "cloudtrail"), ("traces.jsonl", "traces")]
    {
        let said = printed.contains(&format!("Not captured: {source}: "))
            && printed.contains(&format!("{file:<18}not written"));
        assert!(out.path().join(file).exists() != said, "{file}: {printed}");
    }
}
