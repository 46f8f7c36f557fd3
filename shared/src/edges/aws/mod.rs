//! The AWS adapters: one per port, each owning a concrete `aws_sdk_*::Client`, built from one `SdkConfig`.
//!
//! Every SDK failure goes through [`sdk_error`], which decides what the state machine does with it: throttling
//! and 5xx are retried (`Fa2.Throttled`, `Fa2.Transient`); anything else (access denied, a missing resource, a bad
//! query) is `Fa2.Upstream`, which a tool turns into feedback the brain sees.

pub mod audit;
pub mod blobs;
pub mod kb;
pub mod logs;
pub mod metrics;
pub mod xray;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::config::Config;
use crate::error::Fa2Error;

/// The SDK configuration every adapter of a process shares: the deployment's region, credentials from the
/// environment, and `AWS_ENDPOINT_URL` (a local emulator) when set.
pub async fn sdk_config(config: &Config) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).region(Region::new(config.region.clone())).load().await
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
            return Fa2Error::invalid(format!("{api}: the request could not be built: {}", DisplayErrorContext(&error)));
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
