//! The local runner: executes the production state machine (`statemachine/fa2.asl.json`) with the interpreter,
//! every Task bound in-process to the same `ops` functions the Lambdas call, tools reading an incident bundle and
//! a directory as the blob store. This is what `fa2 analyze` and the end-to-end tests run; `execute` takes any
//! telemetry sources (the AWS adapters for `fa2 replay --local`).

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use statemachine::{EventCallback, Execution, ExecutionOptions, StateMachine, TaskFailure, TaskHandler};

use crate::brain::{Brain, RulesBrain};
use crate::config::Config;
use crate::contract::{ExecutionState, Language, Report, ToolName, ToolRequest};
use crate::domain::input::stated_time;
use crate::edges::blob_dir::DirBlobStore;
use crate::edges::bundle::{Bundle, BundleTelemetry};
use crate::edges::output_dir::OutputDir;
use crate::error::{Fa2Error, Result};
use crate::ops::{self, PrepareRequest, ThinkRequest};
use crate::ports::{BlobStore, Notifier};
use crate::tools::Toolbox;

/// How to run one offline analysis.
#[derive(Clone)]
pub struct LocalRun {
    pub bundle_dir: PathBuf,
    /// Where `report.json`, `report.md` and the run's blobs go.
    pub out_dir: PathBuf,
    pub max_agent_cycles: Option<u32>,
    pub language: Option<Language>,
    /// 1.0 sleeps Retry/Wait intervals for real; 0.0 records them without waiting (tests).
    pub time_scale: f64,
    /// Called for every execution history event, for progress display.
    pub on_event: Option<EventCallback>,
}

/// What an offline analysis produced.
#[derive(Debug)]
pub struct LocalOutcome {
    pub report: Report,
    pub execution: Execution,
}

/// Any local execution: the production state machine over `input`, with these telemetry sources and blob store,
/// the report published to `out_dir`. `analyze` runs it over a bundle; `fa2 replay --local` over live AWS.
pub struct LocalExecution {
    pub input: Value,
    pub config: Config,
    pub toolbox: Toolbox,
    pub blobs: Arc<dyn BlobStore>,
    pub out_dir: PathBuf,
    /// The execution's name, as Step Functions would show it.
    pub name: String,
    pub time_scale: f64,
    pub on_event: Option<EventCallback>,
    /// A recorded incident's own time: `Prepare` judges the input's times against the later of it and the wall
    /// clock, so a recording is never "in the future" of the machine that replays it.
    pub recorded_at: Option<DateTime<Utc>>,
}

/// Loads the bundle, runs the state machine over it, and returns the report Notify published.
pub async fn analyze(options: LocalRun) -> Result<LocalOutcome> {
    let bundle = Arc::new(Bundle::load(&options.bundle_dir)?);
    let mut config = Config::from_environment(&bundle.environment)?;
    if let Some(cycles) = options.max_agent_cycles {
        config.max_agent_cycles = cycles;
    }
    if let Some(language) = options.language {
        config.language = language;
    }
    execute(LocalExecution {
        input: bundle.input.clone(),
        config,
        toolbox: Toolbox::serving_all(Arc::new(BundleTelemetry::new(bundle.clone()))),
        blobs: Arc::new(DirBlobStore::new(options.out_dir.join("blobs"))),
        name: execution_name(&options.bundle_dir),
        out_dir: options.out_dir,
        time_scale: options.time_scale,
        on_event: options.on_event,
        recorded_at: stated_time(&bundle.input),
    })
    .await
}

/// Runs the state machine in-process and returns the report Notify published to `run.out_dir`.
pub async fn execute(run: LocalExecution) -> Result<LocalOutcome> {
    // A report left by an earlier run in the same directory must never pass for this run's.
    match tokio::fs::remove_file(run.out_dir.join("report.json")).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Fa2Error::Upstream(format!("cannot clear {}: {e}", run.out_dir.display())));
        }
        _ => {}
    }
    let machine = StateMachine::parse(statemachine::FA2_DEFINITION)
        .map_err(|e| Fa2Error::invalid(format!("statemachine/fa2.asl.json: {e}")))?;
    let parts = Parts {
        recorded_at: run.recorded_at,
        config: Arc::new(run.config),
        brain: Arc::new(RulesBrain),
        toolbox: Arc::new(run.toolbox),
        blobs: run.blobs,
        output: Arc::new(OutputDir { dir: run.out_dir.clone() }),
    };
    let execution_options = ExecutionOptions {
        name: run.name,
        time_scale: run.time_scale,
        on_event: run.on_event,
        ..ExecutionOptions::default()
    };
    let execution = statemachine::execute(&machine, &handlers(&parts), run.input, execution_options).await;
    let report = published_report(&run.out_dir, &execution).await?;
    Ok(LocalOutcome { report, execution })
}

/// The report Notify published to the output directory (whatever path the execution took to get there).
async fn published_report(out_dir: &std::path::Path, execution: &Execution) -> Result<Report> {
    let path = out_dir.join("report.json");
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        let failure = execution.failure.as_ref().map_or_else(String::new, |f| format!("; {}: {}", f.error, f.cause));
        Fa2Error::Upstream(format!("the execution published no report at {} ({e}){failure}", path.display()))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| Fa2Error::Upstream(format!("{} is not a report: {e}", path.display())))
}

/// `local-<bundle directory name>-<time>`, as a Step Functions execution name may be spelled.
pub fn execution_name(bundle_dir: &std::path::Path) -> String {
    let stem = bundle_dir.file_name().and_then(|n| n.to_str()).unwrap_or("bundle");
    let safe: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    format!("local-{safe}-{}", Utc::now().format("%Y%m%dT%H%M%S"))
}

/// What the in-process handlers share.
#[derive(Clone)]
struct Parts {
    recorded_at: Option<DateTime<Utc>>,
    config: Arc<Config>,
    brain: Arc<dyn Brain>,
    toolbox: Arc<Toolbox>,
    blobs: Arc<dyn BlobStore>,
    output: Arc<OutputDir>,
}

/// Every Task of the definition, bound to its `ops` function by the placeholder name.
fn handlers(parts: &Parts) -> statemachine::Handlers {
    let mut map: statemachine::Handlers = HashMap::new();
    let p = parts.clone();
    map.insert(
        "Prepare".into(),
        step(move |request: PrepareRequest| {
            let (config, recorded_at) = (p.config.clone(), p.recorded_at);
            async move { ops::prepare(request, &config, recorded_at.map_or_else(Utc::now, |t| t.max(Utc::now()))) }
        }),
    );
    let p = parts.clone();
    map.insert(
        "Think".into(),
        step(move |request: ThinkRequest| {
            let brain = p.brain.clone();
            async move { ops::think(request, brain.as_ref()).await }
        }),
    );
    for tool in ToolName::ALL {
        let p = parts.clone();
        map.insert(
            tool.state_name().into(),
            step(move |request: ToolRequest| {
                let (toolbox, blobs) = (p.toolbox.clone(), p.blobs.clone());
                async move { ops::tool(request, tool, &toolbox, blobs.as_ref()).await }
            }),
        );
    }
    map.insert("Observe".into(), step(|state: ExecutionState| async move { ops::observe(state) }));
    let p = parts.clone();
    map.insert(
        "Finalize".into(),
        step(move |state: ExecutionState| {
            let brain = p.brain.clone();
            async move { ops::finalize(state, brain.as_ref(), Utc::now()).await }
        }),
    );
    let p = parts.clone();
    map.insert(
        "Notify".into(),
        step(move |state: ExecutionState| {
            let (blobs, output) = (p.blobs.clone(), p.output.clone());
            async move {
                let notifiers: [&dyn Notifier; 1] = [output.as_ref()];
                ops::notify(state, blobs.as_ref(), &notifiers, Utc::now()).await
            }
        }),
    );
    map
}

/// A Task handler from a typed op: JSON in through serde, the op, JSON out; errors keep their `error_type`.
fn step<I, O, F, Fut>(op: F) -> Arc<dyn TaskHandler>
where
    I: DeserializeOwned + Send + 'static,
    O: Serialize + Send + 'static,
    F: Fn(I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O>> + Send + 'static,
{
    Arc::new(Step { op, _types: std::marker::PhantomData::<fn(I) -> O> })
}

struct Step<F, I, O> {
    op: F,
    _types: std::marker::PhantomData<fn(I) -> O>,
}

#[async_trait::async_trait]
impl<I, O, F, Fut> TaskHandler for Step<F, I, O>
where
    I: DeserializeOwned + Send + 'static,
    O: Serialize + Send + 'static,
    F: Fn(I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O>> + Send + 'static,
{
    async fn invoke(&self, input: Value) -> std::result::Result<Value, TaskFailure> {
        let request: I = serde_json::from_value(input).map_err(|e| {
            TaskFailure::from(Fa2Error::invalid(format!("the step's input does not match its contract: {e}")))
        })?;
        let output = (self.op)(request).await.map_err(TaskFailure::from)?;
        serde_json::to_value(output).map_err(|e| TaskFailure { error: "Fa2.Upstream".into(), cause: e.to_string() })
    }
}
