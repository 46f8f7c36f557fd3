//! `fa2 replay`: runs an earlier execution's input (from Step Functions, or an input.json file) again, marked as a
//! replay: locally with the production state machine and the tools on live AWS, or as a new execution.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_config::{Region, SdkConfig};
use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::{Map, Value};
use shared::config::{Config, json_type};
use shared::contract::ToolName;
use shared::domain::budget::MAX_AGENT_CYCLES_CEILING;
use shared::edges::aws::sdk_error;
use shared::edges::blob_dir::DirBlobStore;
use shared::error::{Fa2Error, Result};
use shared::local::{LocalExecution, execute};

use crate::{Format, Progress};

/// Step Functions accepts execution names of at most this many characters.
const MAX_EXECUTION_NAME: usize = 80;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The execution whose input to replay (arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME), or an
    /// input.json file.
    #[arg(value_name = "EXECUTION_ARN | INPUT_JSON")]
    pub target: String,
    /// Run the production state machine here, with the tools on live AWS (the default).
    #[arg(long, conflicts_with = "start_execution")]
    pub local: bool,
    /// Start a new Step Functions execution with the input instead, and print its ARN.
    #[arg(long)]
    pub start_execution: bool,
    /// The state machine of the new execution (default: the original execution's).
    #[arg(long, value_name = "ARN", requires = "start_execution")]
    pub state_machine_arn: Option<String>,
    /// Where a local run writes report.json, report.md and the raw tool outputs.
    #[arg(long, default_value = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Override maxAgentCycles for this run.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_AGENT_CYCLES_CEILING)))]
    pub max_cycles: Option<u32>,
    /// Override the report language for this run.
    #[arg(long, value_parser = ["en", "ja"])]
    pub language: Option<String>,
    /// Override the Bedrock model for this run.
    #[arg(long, value_name = "ID")]
    pub model_id: Option<String>,
    /// Scale Retry and Wait intervals of a local run (1 = real time, 0 = do not sleep).
    /// How a local replay prints the report.
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Print every execution history event of a local replay as it happens.
    #[arg(long)]
    pub trace: bool,
    #[arg(long, default_value_t = 1.0, hide = true)]
    pub time_scale: f64,
}

/// Where the input to replay comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplaySource {
    File(PathBuf),
    Execution(ExecutionArn),
}

/// The parts of a Step Functions execution ARN that a replay needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionArn {
    pub arn: String,
    pub region: String,
    pub name: String,
}

impl ReplaySource {
    /// A path naming an existing file is a file; otherwise the argument must be an execution ARN.
    pub fn parse(target: &str) -> Result<ReplaySource> {
        if Path::new(target).is_file() {
            return Ok(ReplaySource::File(PathBuf::from(target)));
        }
        let parts: Vec<&str> = target.split(':').collect();
        match parts.as_slice() {
            ["arn", partition, "states", region, account, "execution", machine, name, ..]
                if partition.starts_with("aws")
                    && !region.is_empty()
                    && !account.is_empty()
                    && !machine.is_empty()
                    && !name.is_empty() =>
            {
                Ok(ReplaySource::Execution(ExecutionArn {
                    arn: target.to_string(),
                    region: (*region).to_string(),
                    name: (*name).to_string(),
                }))
            }
            _ => Err(Fa2Error::invalid(format!(
                "{target:?} is neither an existing input file nor a Step Functions execution ARN \
                 (arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME)"
            ))),
        }
    }
}

/// The input of the run being replayed, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Original {
    pub input: Value,
    /// The execution ARN or the file path, as `replayOf` records it.
    pub label: String,
    /// The execution's name (or the file's), the stem of the replay's name.
    pub name: String,
    /// The execution's state machine; `None` for a file.
    pub state_machine_arn: Option<String>,
}

/// Reads the input: the file, or `DescribeExecution` of the ARN (in the ARN's region).
pub async fn load(source: &ReplaySource, sdk: &SdkConfig) -> Result<Original> {
    match source {
        ReplaySource::File(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Fa2Error::invalid(format!("{}: cannot read: {e}", path.display())))?;
            let input = serde_json::from_str(&text)
                .map_err(|e| Fa2Error::invalid(format!("{}: malformed JSON: {e}", path.display())))?;
            Ok(Original {
                input,
                label: path.display().to_string(),
                name: file_run_name(path),
                state_machine_arn: None,
            })
        }
        ReplaySource::Execution(execution) => {
            let described = sfn_client(sdk, &execution.region)
                .describe_execution()
                .execution_arn(&execution.arn)
                .send()
                .await
                .map_err(|e| sdk_error("Step Functions DescribeExecution", e))?;
            let text = described
                .input()
                .ok_or_else(|| Fa2Error::invalid(format!("{}: DescribeExecution returned no input", execution.arn)))?;
            let input = serde_json::from_str(text)
                .map_err(|e| Fa2Error::invalid(format!("{}: the execution's input is not JSON: {e}", execution.arn)))?;
            Ok(Original {
                input,
                label: execution.arn.clone(),
                name: execution.name.clone(),
                state_machine_arn: Some(described.state_machine_arn().to_string()),
            })
        }
    }
}

/// `orders-throttling` for `…/orders-throttling/input.json`, else the file's stem.
fn file_run_name(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("input");
    let parent = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str());
    match parent {
        Some(directory) if stem == "input" => directory.to_string(),
        _ => stem.to_string(),
    }
}

/// A client in `region` (an execution is only found in its own region).
fn sfn_client(sdk: &SdkConfig, region: &str) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::config::Builder::from(sdk).region(Region::new(region.to_string())).build();
    aws_sdk_sfn::Client::from_conf(config)
}

/// Per-run overrides, in the input's `overrides` spelling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayOverrides {
    pub max_agent_cycles: Option<u32>,
    pub language: Option<String>,
    pub model_id: Option<String>,
}

/// The input as a replay: `replayOf` names the original, and the overrides are merged into `overrides` (the
/// original's own overrides stay unless overridden again).
pub fn mark_replay(input: Value, replay_of: &str, overrides: &ReplayOverrides) -> Result<Value> {
    let Value::Object(mut object) = input else {
        return Err(Fa2Error::invalid(format!(
            "the input to replay is {}; an execution input is a JSON object",
            json_type(&input)
        )));
    };
    object.insert("replayOf".into(), replay_of.into());
    let given = [
        ("maxAgentCycles", overrides.max_agent_cycles.map(Value::from)),
        ("language", overrides.language.clone().map(Value::from)),
        ("modelId", overrides.model_id.clone().map(Value::from)),
    ];
    if given.iter().any(|(_, value)| value.is_some()) {
        let existing = object.entry("overrides").or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(merged) = existing else {
            return Err(Fa2Error::invalid(format!(
                "the input's \"overrides\" is {}, not an object; fix the input or drop the override flags",
                json_type(existing)
            )));
        };
        for (key, value) in given {
            if let Some(value) = value {
                merged.insert(key.into(), value);
            }
        }
    }
    Ok(Value::Object(object))
}

/// `replay-<original>-<UTC time>`: at most 80 characters, only letters, digits, `-` and `_` (what Step Functions
/// accepts for every kind of state machine).
pub fn replay_name(original: &str, now: DateTime<Utc>) -> String {
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let room = MAX_EXECUTION_NAME - "replay-".len() - 1 - stamp.len();
    let safe: String =
        original.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    let stem: String = safe.trim_matches('-').chars().take(room).collect();
    if stem.is_empty() { format!("replay-{stamp}") } else { format!("replay-{stem}-{stamp}") }
}

/// `StartExecution`; returns the new execution's ARN.
pub async fn start_execution(sdk: &SdkConfig, state_machine_arn: &str, name: &str, input: &Value) -> Result<String> {
    let region = state_machine_arn.split(':').nth(3).filter(|r| !r.is_empty()).ok_or_else(|| {
        Fa2Error::invalid(format!(
            "{state_machine_arn:?} is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)"
        ))
    })?;
    let started = sfn_client(sdk, region)
        .start_execution()
        .state_machine_arn(state_machine_arn)
        .name(name)
        .input(input.to_string())
        .send()
        .await
        .map_err(|e| sdk_error("Step Functions StartExecution", e))?;
    Ok(started.execution_arn().to_string())
}

/// Runs the command with the AWS connection and deployment settings given (`crate::live_aws`, or the emulator's in
/// tests).
pub async fn run(
    args: ReplayArgs,
    sdk: &SdkConfig,
    config: Config,
    out: &mut (dyn Write + Send),
    progress: Progress,
) -> std::result::Result<(), String> {
    let source = ReplaySource::parse(&args.target).map_err(|e| e.to_string())?;
    let original = load(&source, sdk).await.map_err(|e| e.to_string())?;
    let overrides =
        ReplayOverrides { max_agent_cycles: args.max_cycles, language: args.language, model_id: args.model_id };
    let input = mark_replay(original.input, &original.label, &overrides).map_err(|e| e.to_string())?;
    let name = replay_name(&original.name, Utc::now());
    if args.start_execution {
        let state_machine = args.state_machine_arn.or(original.state_machine_arn).ok_or_else(|| {
            format!("{} is a file: pass --state-machine-arn to say which state machine to start", original.label)
        })?;
        progress(&format!("fa2: starting {name} on {state_machine}"));
        let execution = start_execution(sdk, &state_machine, &name, &input).await.map_err(|e| e.to_string())?;
        return writeln!(out, "{execution}").map_err(|e| format!("cannot write the execution ARN: {e}"));
    }
    progress(&format!("fa2: replaying {} locally as {name}, the tools on live AWS", original.label));
    let toolbox = shared::edges::aws::toolbox(sdk, &config, &ToolName::ALL);
    let outcome = execute(LocalExecution {
        input,
        config,
        toolbox,
        blobs: Arc::new(DirBlobStore::new(args.out.join("blobs"))),
        out_dir: args.out.clone(),
        name,
        time_scale: args.time_scale,
        on_event: Some(crate::analyze::history_printer(args.trace, progress.clone())),
        recorded_at: None,
    })
    .await
    .map_err(|e| e.to_string())?;
    crate::analyze::write_report(&outcome.report, args.format, out)?;
    progress(&format!("fa2: {}; the report is in {}", outcome.report.status.as_str(), args.out.display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_argument_is_a_file_or_an_execution_arn() {
        let arn = "arn:aws:states:eu-west-1:123456789012:execution:fa2:run-1";
        let ReplaySource::Execution(execution) = ReplaySource::parse(arn).unwrap() else { panic!("an ARN") };
        assert_eq!((execution.region.as_str(), execution.name.as_str()), ("eu-west-1", "run-1"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("input.json");
        std::fs::write(&file, "{}").unwrap();
        assert_eq!(ReplaySource::parse(file.to_str().unwrap()).unwrap(), ReplaySource::File(file.clone()));
        for bad in ["arn:aws:states:eu-west-1:123456789012:stateMachine:fa2", "missing.json", "arn:aws:lambda:x"] {
            let error = ReplaySource::parse(bad).unwrap_err().to_string();
            assert!(error.contains("neither an existing input file nor a Step Functions execution ARN"), "{error}");
        }
        assert_eq!(file_run_name(&file), dir.path().file_name().unwrap().to_str().unwrap());
        assert_eq!(file_run_name(Path::new("/tmp/incident-7.json")), "incident-7");
    }

    #[test]
    fn a_replay_names_its_original_and_merges_overrides() {
        let input = json!({"source": "fa2.slack", "overrides": {"modelId": "m", "language": "en"}});
        let overrides = ReplayOverrides { max_agent_cycles: Some(3), language: Some("ja".into()), model_id: None };
        let marked = mark_replay(input, "arn:x", &overrides).unwrap();
        assert_eq!(marked["replayOf"], "arn:x");
        assert_eq!(marked["overrides"], json!({"modelId": "m", "language": "ja", "maxAgentCycles": 3}));
        let plain = mark_replay(json!({"source": "fa2.slack"}), "f.json", &ReplayOverrides::default()).unwrap();
        assert!(plain.get("overrides").is_none(), "no flags, no overrides");
        assert!(
            mark_replay(json!([1]), "f", &ReplayOverrides::default()).unwrap_err().to_string().contains("an array")
        );
        let bad = mark_replay(json!({"overrides": 1}), "f", &overrides).unwrap_err().to_string();
        assert!(bad.contains("\"overrides\" is a number"), "{bad}");
    }

    #[test]
    fn local_is_the_default_and_excludes_starting_an_execution() {
        use clap::Parser;
        let parse =
            |args: &[&str]| crate::Cli::try_parse_from(["fa2", "replay"].iter().chain(args)).map(|cli| cli.command);
        let Ok(crate::Command::Replay(args)) = parse(&["input.json", "--max-cycles", "3"]) else { panic!("replay") };
        assert!(!args.start_execution && args.out == Path::new("out") && args.max_cycles == Some(3));
        assert!(parse(&["input.json", "--local", "--start-execution"]).is_err());
        assert!(parse(&["input.json", "--state-machine-arn", "arn:aws:states:r:1:stateMachine:m"]).is_err());
        assert!(parse(&["input.json", "--max-cycles", "21"]).is_err());
        assert!(parse(&["input.json", "--language", "fr"]).is_err());
    }

    #[test]
    fn replay_names_fit_step_functions() {
        let now = "2026-11-20T09:30:00Z".parse().unwrap();
        assert_eq!(replay_name("run-1", now), "replay-run-1-20261120T093000Z");
        assert_eq!(replay_name(".tmp x", now), "replay-tmp-x-20261120T093000Z");
        let long = replay_name(&"x y:z".repeat(40), now);
        assert_eq!(long.len(), MAX_EXECUTION_NAME);
        assert!(long.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{long}");
        assert!(long.ends_with("-20261120T093000Z"));
    }
}
