//! The AWS adapters: one per port, each owning a concrete `aws_sdk_*::Client`, built from one `SdkConfig`.
//!
//! Every SDK failure goes through [`sdk_error`], which decides what the state machine does with it: throttling
//! and 5xx are retried (`Fa2.Throttled`, `Fa2.Transient`); anything else (access denied, a missing resource, a bad
//! query) is `Fa2.Upstream`, which a tool turns into feedback the brain sees.

pub mod alarms;
pub mod audit;
pub mod blobs;
pub mod kb;
pub mod logs;
pub mod metrics;
pub mod xray;

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::config::Config;
use crate::contract::ToolName;
use crate::error::{Fa2Error, Result};
use crate::ports::BlobStore;
use crate::tools::Toolbox;

/// The SDK configuration every adapter of a process shares: the deployment's region, credentials from the
/// environment, and `AWS_ENDPOINT_URL` (a local emulator) when set.
pub async fn sdk_config(config: &Config) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).region(Region::new(config.region.clone())).load().await
}

/// The AWS adapters for `tools`: a tool Lambda asks for its own port only, the CLI (`fa2 capture`, `fa2 replay`)
/// for all. X-Ray only when the deployment traces (`xrayTrace`), the knowledge base only when one is configured
/// (`knowledgeBase`): a port left empty answers the brain "not available in this deployment".
pub fn toolbox(sdk: &SdkConfig, config: &Config, tools: &[ToolName]) -> Toolbox {
    let mut toolbox = Toolbox::default();
    for tool in tools {
        match tool {
            ToolName::Logs => {
                toolbox.logs = Some(Arc::new(logs::CloudWatchLogs::new(aws_sdk_cloudwatchlogs::Client::new(sdk))));
            }
            ToolName::Metrics => {
                toolbox.metrics = Some(Arc::new(metrics::CloudWatchMetrics::new(aws_sdk_cloudwatch::Client::new(sdk))));
            }
            ToolName::Audit => {
                toolbox.changes = Some(Arc::new(audit::CloudTrailLookup::new(aws_sdk_cloudtrail::Client::new(sdk))));
            }
            ToolName::Xray if config.xray => {
                toolbox.traces = Some(Arc::new(xray::XRayTraces::new(aws_sdk_xray::Client::new(sdk))));
            }
            ToolName::Kb => {
                toolbox.knowledge = config.knowledge_base.as_ref().map(|id| {
                    let client = aws_sdk_bedrockagentruntime::Client::new(sdk);
                    Arc::new(kb::BedrockKnowledgeBase::new(client, id)) as Arc<dyn crate::ports::KnowledgeBase>
                });
            }
            ToolName::Xray => {}
        }
    }
    toolbox
}

/// The run's blob store in AWS: the deployment's bucket (`FA2_BUCKET`).
pub fn blob_store(sdk: &SdkConfig, config: &Config) -> Result<Arc<dyn BlobStore>> {
    let bucket = config.bucket.as_ref().ok_or_else(|| {
        Fa2Error::invalid("no blob store configured: set FA2_BUCKET (AWS) or FA2_BLOB_DIR (a local directory)")
    })?;
    Ok(Arc::new(blobs::S3Blobs::new(blobs::s3_client(sdk), bucket)))
}

/// Error codes AWS services use to ask a caller to slow down.
const THROTTLING_CODES: [&str; 9] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    // Logs Insights: too many concurrent queries in the account.
    "LimitExceededException",
];

/// Error codes of a service-side failure that a retry may get past.
const TRANSIENT_CODES: [&str; 6] = [
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
];

/// Classifies one failed SDK call of `api` (`"Logs StartQuery"`), keeping the service's code and message.
pub fn sdk_error<E>(api: &str, error: SdkError<E, HttpResponse>) -> Fa2Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = error.raw_response().map(|response| response.status().as_u16());
    match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            return Fa2Error::Transient(format!("{api}: {}", DisplayErrorContext(&error)));
        }
        SdkError::ConstructionFailure(_) => {
            return Fa2Error::invalid(format!(
                "{api}: the request could not be built: {}",
                DisplayErrorContext(&error)
            ));
        }
        _ => {}
    }
    let code = error.code().unwrap_or_default().to_string();
    let message = error.message().map(str::to_string).unwrap_or_else(|| DisplayErrorContext(&error).to_string());
    let described = if code.is_empty() { format!("{api}: {message}") } else { format!("{api}: {code}: {message}") };
    if THROTTLING_CODES.contains(&code.as_str()) || status == Some(429) {
        Fa2Error::Throttled(described)
    } else if TRANSIENT_CODES.contains(&code.as_str()) || status.is_some_and(|s| s >= 500) {
        Fa2Error::Transient(described)
    } else if code.contains("AccessDenied") || code == "UnauthorizedOperation" || status == Some(403) {
        Fa2Error::Upstream(format!("{described} (grant the function's role permission for {api})"))
    } else {
        Fa2Error::Upstream(described)
    }
}
