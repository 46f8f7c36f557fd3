//! fa2 replay over the wire (see mod.rs): `--start-execution` against the emulator's Step Functions, from an
//! execution ARN and from an input file, and the arguments it refuses.

use std::sync::Arc;

use aws_sdk_sfn::Client;
use chrono::{Duration, Utc};
use clap::Parser;
use fa2_tests::emulator::{Emulator, emulator};
use serde_json::{Value, json};
use shared::config::Config;
use shared::contract::TriggerKind;
use shared::domain::input::parse_input;

/// A state machine that accepts any input (the replay is about the input, not what the machine does with it).
async fn state_machine(sfn: &Client, name: &str) -> String {
    let definition = r#"{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}"#;
    let created = sfn
        .create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn("arn:aws:iam::123456789012:role/fa2")
        .send()
        .await
        .expect("CreateStateMachine");
    created.state_machine_arn().to_string()
}

fn alarm_event() -> Value {
    let state_time = (Utc::now() - Duration::minutes(10)).format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string();
    json!({
        "version": "0", "source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change",
        "account": "123456789012", "region": "us-east-1",
        "detail": {
            "alarmName": "orders-api-5xx",
            "state": {"value": "ALARM", "reason": "Threshold Crossed", "timestamp": state_time},
            "configuration": {"metrics": [{"id": "m1", "metricStat": {"metric": {"namespace": "AWS/ApiGateway",
                "name": "5XXError", "dimensions": {"ApiName": "orders-api"}}, "period": 60, "stat": "Sum"},
                "returnData": true}]}
        }
    })
}

/// Runs `fa2 replay ARGS` in-process against the emulator; what it printed, or its error.
async fn replay(emulator: &Emulator, args: &[&str]) -> Result<String, String> {
    replay_with(emulator, args, Config::default()).await
}

async fn replay_with(emulator: &Emulator, args: &[&str], config: Config) -> Result<String, String> {
    let cli = fa2::Cli::try_parse_from(["fa2", "replay"].iter().chain(args)).map_err(|e| e.to_string())?;
    let fa2::Command::Replay(args) = cli.command else { panic!("parsed as another command") };
    let mut out = Vec::new();
    let progress: fa2::Progress = Arc::new(|_: &str| {});
    fa2::replay::run(args, &emulator.sdk_config(), config, &mut out, progress).await?;
    Ok(String::from_utf8(out).unwrap())
}

async fn input_of(sfn: &Client, execution: &str) -> (String, Value) {
    let described = sfn.describe_execution().execution_arn(execution).send().await.expect("DescribeExecution");
    (described.name().unwrap_or_default().to_string(), serde_json::from_str(described.input().unwrap()).unwrap())
}

#[tokio::test]
async fn an_execution_is_replayed_as_a_new_execution_with_its_input_marked() {
    let Some(emulator) = emulator() else { return };
    let sfn = Client::new(&emulator.sdk_config());
    let machine = state_machine(&sfn, "fa2-replay-of-an-execution").await;
    let input = alarm_event();
    let started = sfn.start_execution().state_machine_arn(&machine).name("incident-1").input(input.to_string()).send();
    let original = started.await.expect("StartExecution").execution_arn().to_string();

    let printed = replay(emulator, &[&original, "--start-execution", "--max-cycles", "3", "--language", "ja"]).await;
    let replayed_arn = printed.unwrap().trim().to_string();
    assert_ne!(replayed_arn, original);
    let listed = sfn.list_executions().state_machine_arn(&machine).send().await.expect("ListExecutions");
    let arns: Vec<&str> = listed.executions().iter().map(|e| e.execution_arn()).collect();
    assert!(arns.contains(&replayed_arn.as_str()) && arns.contains(&original.as_str()), "{arns:?}");

    let (name, replayed) = input_of(&sfn, &replayed_arn).await;
    assert!(name.starts_with("replay-incident-1-") && name.len() <= 80, "{name}");
    let mut expected = input;
    expected["replayOf"] = original.clone().into();
    expected["overrides"] = json!({"maxAgentCycles": 3, "language": "ja"});
    assert_eq!(replayed, expected);
    let parsed = parse_input(&replayed, &Config::default(), Utc::now()).unwrap();
    assert_eq!(parsed.trigger.kind, TriggerKind::Replay);
    assert_eq!(parsed.overrides.max_agent_cycles, Some(3));
}

#[tokio::test]
async fn an_input_file_is_started_on_the_state_machine_the_flag_names() {
    let Some(emulator) = emulator() else { return };
    let sfn = Client::new(&emulator.sdk_config());
    let machine = state_machine(&sfn, "fa2-replay-of-a-file").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("incident-7")).unwrap();
    let file = dir.path().join("incident-7/input.json");
    let form = json!({"source": "fa2.slack", "description": "checkout 500s",
        "startTime": (Utc::now() - Duration::hours(1)).to_rfc3339(), "endTime": Utc::now().to_rfc3339()});
    std::fs::write(&file, form.to_string()).unwrap();
    let path = file.to_str().unwrap();

    let error = replay(emulator, &[path, "--start-execution"]).await.unwrap_err();
    assert!(error.contains("--state-machine-arn"), "a file has no state machine of its own: {error}");

    let printed = replay(emulator, &[path, "--start-execution", "--state-machine-arn", &machine]).await.unwrap();
    let (name, replayed) = input_of(&sfn, printed.trim()).await;
    assert!(name.starts_with("replay-incident-7-"), "{name}");
    assert_eq!(replayed["replayOf"], path);
    assert_eq!(replayed["description"], "checkout 500s");
    assert!(replayed.get("overrides").is_none());
}

#[tokio::test]
async fn arguments_that_name_no_execution_are_refused_clearly() {
    let Some(emulator) = emulator() else { return };
    let machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:fa2";
    let error = replay(emulator, &[machine_arn, "--start-execution"]).await.unwrap_err();
    assert!(error.contains("neither an existing input file nor a Step Functions execution ARN"), "{error}");
    let error = replay(emulator, &["no-such-input.json"]).await.unwrap_err();
    assert!(error.contains("neither an existing input file"), "{error}");
    let unknown = "arn:aws:states:us-east-1:123456789012:execution:fa2-nothing:never-ran";
    let error = replay(emulator, &[unknown, "--start-execution"]).await.unwrap_err();
    assert!(error.contains("DescribeExecution") && error.contains("ExecutionDoesNotExist"), "{error}");
}

#[tokio::test]
async fn a_local_replay_runs_the_state_machine_here_with_the_tools_on_aws() {
    let Some(emulator) = emulator() else { return };
    let end = Utc::now() - Duration::minutes(2);
    let group = "/fa2-replay-local/aws/lambda/rentals-api";
    let events: Vec<shared::ports::LogEvent> = (0..60)
        .map(|i| shared::ports::LogEvent {
            log_group: group.into(),
            log_stream: "2026/[$LATEST]a".into(),
            timestamp: (end - Duration::seconds(600 - i * 10)).timestamp_millis(),
            message: format!("ERROR rental {i}: upstream timed out"),
        })
        .collect();
    fa2_tests::emulator::put_logs(&aws_sdk_cloudwatchlogs::Client::new(&emulator.sdk_config()), &events).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.json");
    let form = json!({"source": "fa2.slack", "description": "rentals-api times out",
        "startTime": (end - Duration::minutes(15)).to_rfc3339(), "endTime": end.to_rfc3339()});
    std::fs::write(&file, form.to_string()).unwrap();
    let out = dir.path().join("out");
    let config = Config { log_groups: vec![group.into()], ..Config::default() };
    let args = [file.to_str().unwrap(), "--out", out.to_str().unwrap(), "--max-cycles", "1", "--language", "ja"];
    let printed = replay_with(emulator, &[&args[..], &["--time-scale", "0"]].concat(), config).await.unwrap();

    assert_eq!(printed, std::fs::read_to_string(out.join("report.md")).unwrap(), "prints the published report");
    let report: shared::contract::Report =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.trigger.kind, TriggerKind::Replay);
    assert_eq!(report.language, shared::contract::Language::Ja);
    assert!(report.run_id.starts_with("replay-"), "{}", report.run_id);
    assert!(report.usage.cycles <= 1 && report.usage.tool_calls >= 1, "{:?}", report.usage);
    let blobs = out.join("blobs/runs").join(&report.run_id).join("tools");
    let raw: Vec<String> =
        std::fs::read_dir(&blobs).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    assert!(raw.iter().any(|text| text.contains("upstream timed out")), "the logs tool read the emulator's events");
}
