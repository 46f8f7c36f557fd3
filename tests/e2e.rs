//! End to end: the real state machine over every incident bundle through the local interpreter, and the CLI's
//! contract (stdout holds exactly the report JSON; bad bundles name the file and line).

use std::path::Path;
use std::sync::{Arc, Mutex};

use clap::Parser;
use fa2_tests::{bundles, copy_without_answer};
use shared::domain::validate::report_violations;
use shared::local::{LocalRun, analyze};

fn local_run(bundle: &Path, out: &Path) -> LocalRun {
    LocalRun {
        bundle_dir: bundle.to_path_buf(),
        out_dir: out.to_path_buf(),
        max_agent_cycles: None,
        language: None,
        time_scale: 0.0,
        on_event: None,
    }
}

#[tokio::test]
async fn every_bundle_gets_a_schema_valid_report_from_the_real_state_machine() {
    let bundles = bundles();
    assert!(!bundles.is_empty(), "no bundles found under examples/ or ../shared/incidents");
    for bundle in bundles {
        let scratch = tempfile::tempdir().unwrap();
        let copy = scratch.path().join("bundle");
        copy_without_answer(&bundle, &copy).unwrap();
        let out = scratch.path().join("out");
        let outcome = analyze(local_run(&copy, &out)).await.unwrap_or_else(|e| panic!("{}: {e}", bundle.display()));
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
        let violations = report_violations(&written);
        assert!(violations.is_empty(), "{}: {violations:?}", bundle.display());
        assert_eq!(written, serde_json::to_value(&outcome.report).unwrap());
        assert!(std::fs::read_to_string(out.join("report.md")).unwrap().len() > 100);
        let states: Vec<String> = outcome.execution.history.iter().filter_map(|e| e.state.clone()).collect();
        for state in ["Prepare", "Think", "Observe", "Finalize", "Notify"] {
            assert!(states.iter().any(|s| s == state), "{}: {state} never ran", bundle.display());
        }
        assert!(outcome.report.usage.tool_calls > 0, "{}: no tool was called", bundle.display());
    }
}

/// Runs the CLI in-process; returns (result, stdout, progress lines).
async fn cli(args: &[&str]) -> (Result<(), String>, String, Vec<String>) {
    let parsed = fa2::Cli::try_parse_from(std::iter::once("fa2").chain(args.iter().copied())).unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let progress: fa2::Progress = Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_string()));
    let mut stdout = Vec::new();
    let result = fa2::run(parsed, &mut stdout, progress).await;
    let lines = lines.lock().unwrap().clone();
    (result, String::from_utf8(stdout).unwrap(), lines)
}

/// `a/b` after `label ` in the eval summary line.
fn fraction(summary: &str, label: &str) -> (u32, u32) {
    let rest = summary.split(&format!("{label} ")).nth(1).unwrap_or_else(|| panic!("no {label} in {summary}"));
    let (got, of) = rest.split_whitespace().next().unwrap().trim_end_matches(';').split_once('/').unwrap();
    (got.parse().unwrap(), of.parse().unwrap())
}

/// CI's evaluation of the project's own examples (`make test` shows this table): every example is right.
#[tokio::test]
async fn eval_scores_every_example_right_without_schema_errors() {
    let examples = fa2_tests::workspace().join("examples");
    let (result, stdout, _) = cli(&["eval", examples.to_str().unwrap()]).await;
    result.unwrap();
    println!("{stdout}");
    let summary = stdout.lines().find(|l| l.starts_with("summary:")).expect("a summary line");
    for label in ["top-1", "top-3", "herring-free", "healthy"] {
        let (got, of) = fraction(summary, label);
        assert!(of > 0 && got == of, "{label} {got}/{of}: {summary}");
    }
    assert!(summary.ends_with("schema errors 0"), "{summary}");
}

#[tokio::test]
async fn analyze_json_prints_exactly_the_report_on_stdout_and_progress_elsewhere() {
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let (result, stdout, progress) =
        cli(&["analyze", "--format", "json", "--out", out_dir, "--time-scale", "0", "--language", "ja"]).await;
    result.unwrap();
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is one JSON document");
    assert!(report_violations(&report).is_empty());
    assert_eq!(report["language"], "ja");
    assert!(progress.iter().any(|l| l.contains("analysing")), "{progress:?}");
    let markdown = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(markdown.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)), "the Markdown report is in Japanese");
}

#[tokio::test]
async fn max_cycles_bounds_the_loop() {
    let out = tempfile::tempdir().unwrap();
    let (result, stdout, _) = cli(&[
        "analyze",
        "--format",
        "json",
        "--max-cycles",
        "1",
        "--out",
        out.path().to_str().unwrap(),
        "--time-scale",
        "0",
    ])
    .await;
    result.unwrap();
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["usage"]["cycles"], 1);
}

#[tokio::test]
async fn trace_prints_the_execution_history() {
    let out = tempfile::tempdir().unwrap();
    let (result, _, progress) =
        cli(&["analyze", "--trace", "--out", out.path().to_str().unwrap(), "--time-scale", "0"]).await;
    result.unwrap();
    for needle in ["ExecutionStarted", "TaskStateEntered", "Prepare", "ExecutionSucceeded"] {
        assert!(progress.iter().any(|l| l.contains(needle)), "trace lacks {needle}");
    }
}

#[tokio::test]
async fn a_bad_bundle_names_the_file_and_line() {
    let scratch = tempfile::tempdir().unwrap();
    let bundle = scratch.path().join("bundle");
    copy_without_answer(&fa2::default_bundle(), &bundle).unwrap();
    std::fs::write(bundle.join("metrics.jsonl"), "{\"namespace\": \"AWS/X\"}\nnot json\n").unwrap();
    let out = scratch.path().join("out");
    let (result, stdout, _) =
        cli(&["analyze", bundle.to_str().unwrap(), "--out", out.to_str().unwrap(), "--time-scale", "0"]).await;
    let error = result.unwrap_err();
    assert!(error.contains("metrics.jsonl") && error.contains("line 1"), "{error}");
    assert!(stdout.is_empty());
    std::fs::remove_file(bundle.join("input.json")).unwrap();
    let (result, _, _) = cli(&["analyze", bundle.to_str().unwrap(), "--out", out.to_str().unwrap()]).await;
    assert!(result.unwrap_err().contains("input.json"));
}

#[tokio::test]
async fn a_rejected_input_still_ends_in_a_report_that_says_why() {
    let scratch = tempfile::tempdir().unwrap();
    let bundle = scratch.path().join("bundle");
    copy_without_answer(&fa2::default_bundle(), &bundle).unwrap();
    std::fs::write(bundle.join("input.json"), r#"{"source": "aws.ec2", "detail": {}}"#).unwrap();
    let out = scratch.path().join("out");
    let outcome = analyze(local_run(&bundle, &out)).await.unwrap();
    assert_eq!(outcome.report.status, shared::contract::Status::Inconclusive);
    assert!(outcome.report.summary.contains("aws.ec2"), "{}", outcome.report.summary);
    assert!(report_violations(&serde_json::to_value(&outcome.report).unwrap()).is_empty());
}

#[tokio::test]
async fn a_recording_dated_after_today_is_analysed_not_refused_as_future() {
    let scratch = tempfile::tempdir().unwrap();
    let bundle = scratch.path().join("bundle");
    copy_without_answer(&fa2::default_bundle(), &bundle).unwrap();
    let path = bundle.join("input.json");
    let mut input: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    input["detail"]["state"]["timestamp"] = serde_json::json!("2099-01-01T00:00:00.000+0000");
    std::fs::write(&path, input.to_string()).unwrap();
    let report = analyze(local_run(&bundle, &scratch.path().join("out"))).await.unwrap().report;
    assert!(report.usage.cycles >= 1 && !report.summary.contains("in the future"), "{}", report.summary);
}

#[tokio::test]
async fn a_deployment_without_log_groups_still_reports_and_says_logs_were_not_read() {
    let scratch = tempfile::tempdir().unwrap();
    let bundle = scratch.path().join("bundle");
    copy_without_answer(&fa2::default_bundle(), &bundle).unwrap();
    let environment = bundle.join("environment.json");
    let mut settings: serde_json::Value = serde_json::from_slice(&std::fs::read(&environment).unwrap()).unwrap();
    settings["logGroups"] = serde_json::json!([]);
    std::fs::write(&environment, settings.to_string()).unwrap();
    let out = scratch.path().join("out");
    let report = analyze(local_run(&bundle, &out)).await.unwrap().report;
    assert!(report_violations(&serde_json::to_value(&report).unwrap()).is_empty());
    let gaps = report.actions.iter().find(|a| a.title.contains("evidence gaps")).expect("an evidence-gaps action");
    assert!(gaps.detail.contains("no log groups to search are configured"), "{}", gaps.detail);
}

#[tokio::test]
async fn templates_prints_one_record_per_input_line_in_order() {
    let scratch = tempfile::tempdir().unwrap();
    let log = scratch.path().join("app.log");
    std::fs::write(&log, "Connection from 10.0.0.1 closed\nConnection from 10.0.0.2 closed\nDisk /dev/sda1 is full\n")
        .unwrap();
    let (result, stdout, _) = cli(&["templates", log.to_str().unwrap()]).await;
    result.unwrap();
    let rows: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.iter().map(|r| r["line"].as_u64().unwrap()).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(rows[0]["templateId"], rows[1]["templateId"]);
    assert_ne!(rows[0]["templateId"], rows[2]["templateId"]);
    assert!(rows[0]["template"].as_str().unwrap().contains("<*>"));
    let csv = scratch.path().join("logs.csv");
    std::fs::write(&csv, "LineId,Content\n1,\"user alice logged in, ok\"\n2,\"user bob logged in, ok\"\n").unwrap();
    let (result, stdout, _) = cli(&["templates", csv.to_str().unwrap(), "--csv-column", "Content"]).await;
    result.unwrap();
    assert_eq!(stdout.lines().count(), 2);
    let (result, _, _) = cli(&["templates", csv.to_str().unwrap(), "--csv-column", "Nope"]).await;
    assert!(result.unwrap_err().contains("no column \"Nope\""));
}
