//! The `fa2` command as a library: argument parsing and the commands, writing the result to any `Write` and
//! progress to any sink, so the integration tests run exactly what the binary runs.

pub mod analyze;
pub mod bench;
pub mod capture;
pub mod eval;
pub mod replay;
pub mod synth;
pub mod templates;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "fa2", version, about = "FA2-rs: failure analysis for AWS, offline and in Step Functions")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse an incident bundle with the production state machine (statemachine/fa2.asl.json), offline.
    Analyze(analyze::AnalyzeArgs),
    /// Analyse every bundle in a directory and score each report against its answer.json.
    Eval(eval::EvalArgs),
    /// Generate synthetic incident bundles (with answer.json) for development and evaluation.
    Synth(synth::SynthArgs),
    /// Benchmark the log template miner on 1M realistic lines, against drain3 in the same run.
    Bench(bench::BenchArgs),
    /// Mine log templates from a log file (or a CSV column); one JSON object per record on stdout.
    Templates(templates::TemplatesArgs),
    /// Record a live incident (an alarm, or a window) from AWS into an incident bundle.
    Capture(capture::CaptureArgs),
    /// Run an execution's input (an execution ARN or an input.json) again: locally against AWS, or as a new execution.
    Replay(replay::ReplayArgs),
}

/// Output formats of `fa2 analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

/// Where progress lines go (stderr in the binary).
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// The directory of the example bundle `fa2 analyze` uses when none is given.
pub fn default_bundle() -> PathBuf {
    let cli = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    cli.parent().unwrap_or(&cli).join("examples/orders-throttling")
}

/// The AWS connection (credential chain, region, `AWS_ENDPOINT_URL`) and the deployment settings (`FA2_*`) of the
/// commands that talk to live AWS.
async fn live_aws() -> Result<(aws_config::SdkConfig, shared::config::Config), String> {
    let config = shared::config::Config::from_env().map_err(|e| e.to_string())?;
    Ok((shared::edges::aws::sdk_config(&config).await, config))
}

/// Runs a parsed command: results to `out` (stdout), progress to `progress` (stderr).
pub async fn run(cli: Cli, out: &mut (dyn Write + Send), progress: Progress) -> Result<(), String> {
    match cli.command {
        Command::Analyze(args) => analyze::run(args, out, progress).await,
        Command::Eval(args) => eval::run(args, out, progress).await,
        Command::Templates(args) => templates::run(args, out),
        Command::Bench(args) => bench::run(args, out),
        Command::Synth(args) => synth::run(args, out, &*progress),
        Command::Capture(args) => {
            let (sdk, config) = live_aws().await?;
            capture::run(args, &sdk, config, out, progress).await
        }
        Command::Replay(args) => {
            let (sdk, config) = live_aws().await?;
            replay::run(args, &sdk, config, out, progress).await
        }
    }
}
