//! Lambda wiring: each `functions/*` binary calls one `serve_*` here, which initialises tracing, reads `Config`
//! once, builds the adapters and runs the handler that calls its `ops` function.

use std::sync::Arc;

use aws_config::SdkConfig;
use chrono::Utc;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

use crate::brain::{Brain, RulesBrain};
use crate::config::Config;
use crate::contract::{ExecutionState, ToolName, ToolRequest};
use crate::edges::aws;
use crate::edges::blob_dir::DirBlobStore;
use crate::edges::bundle::{Bundle, BundleTelemetry};
use crate::error::Result;
use crate::ops::{self, PrepareRequest, ThinkRequest};
use crate::ports::{BlobStore, Notifier};
use crate::tools::Toolbox;

/// JSON logs for CloudWatch; level from `RUST_LOG` (default info). Prompts and log lines only at debug.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_target(false).without_time().try_init();
}

fn setup() -> Result<Config> {
    init_tracing();
    Config::from_env()
}

/// The port `tool` reads: an incident bundle when `FA2_BUNDLE_DIR` is set (offline runs of the binaries), AWS
/// otherwise.
fn toolbox(config: &Config, sdk: &SdkConfig, tool: ToolName) -> Result<Toolbox> {
    match &config.bundle_dir {
        Some(dir) => Ok(Toolbox::serving_all(Arc::new(BundleTelemetry::new(Arc::new(Bundle::load(dir)?))))),
        None => Ok(aws::toolbox(sdk, config, &[tool])),
    }
}

/// A directory when `FA2_BLOB_DIR` is set, the deployment's S3 bucket otherwise.
fn blob_store(config: &Config, sdk: &SdkConfig) -> Result<Arc<dyn BlobStore>> {
    match &config.blob_dir {
        Some(dir) => Ok(Arc::new(DirBlobStore::new(dir))),
        None => aws::blob_store(sdk, config),
    }
}

fn brain(_config: &Config) -> Arc<dyn Brain> {
    Arc::new(RulesBrain)
}

/// `Prepare`.
pub async fn serve_prepare() -> Result<(), Error> {
    let config = setup()?;
    run(service_fn(|event: LambdaEvent<PrepareRequest>| {
        let config = &config;
        async move { ops::prepare(event.payload, config, Utc::now()) }
    }))
    .await
}

/// `Think`.
pub async fn serve_think() -> Result<(), Error> {
    let brain = brain(&setup()?);
    run(service_fn(|event: LambdaEvent<ThinkRequest>| {
        let brain = brain.clone();
        async move { ops::think(event.payload, brain.as_ref()).await }
    }))
    .await
}

/// One of `ToolMetrics`, `ToolLogs`, `ToolAudit`, `ToolXray`, `ToolKb`.
pub async fn serve_tool(tool: ToolName) -> Result<(), Error> {
    let config = setup()?;
    // Loading the SDK configuration reads the environment only; credentials resolve on the first AWS call.
    let sdk = aws::sdk_config(&config).await;
    let (toolbox, blobs) = (toolbox(&config, &sdk, tool)?, blob_store(&config, &sdk)?);
    run(service_fn(|event: LambdaEvent<ToolRequest>| {
        let (toolbox, blobs) = (&toolbox, blobs.clone());
        async move { ops::tool(event.payload, tool, toolbox, blobs.as_ref()).await }
    }))
    .await
}

/// `Observe`.
pub async fn serve_observe() -> Result<(), Error> {
    setup()?;
    run(service_fn(|event: LambdaEvent<ExecutionState>| async move { ops::observe(event.payload) })).await
}

/// `Finalize`.
pub async fn serve_finalize() -> Result<(), Error> {
    let brain = brain(&setup()?);
    run(service_fn(|event: LambdaEvent<ExecutionState>| {
        let brain = brain.clone();
        async move { ops::finalize(event.payload, brain.as_ref(), Utc::now()).await }
    }))
    .await
}

/// `Notify`.
pub async fn serve_notify() -> Result<(), Error> {
    let config = setup()?;
    let blobs = blob_store(&config, &aws::sdk_config(&config).await)?;
    run(service_fn(|event: LambdaEvent<ExecutionState>| {
        let blobs = blobs.clone();
        async move {
            let notifiers: [&dyn Notifier; 0] = [];
            ops::notify(event.payload, blobs.as_ref(), &notifiers, Utc::now()).await
        }
    }))
    .await
}
