//! The tool Lambdas (`ToolMetrics`, `ToolLogs`, ...): run one call, store the raw output, return a bounded digest.
//! A failure the brain can act on becomes feedback; only transient failures are errors (the state machine retries).

use crate::contract::{ToolName, ToolOutcome, ToolRequest, ToolResult};
use crate::domain::budget::bound_digest;
use crate::error::{Fa2Error, Result};
use crate::ports::BlobStore;
use crate::tools::{self, Toolbox};

/// Runs `request.call` with the tool this Lambda serves (`serves`); a call for another tool is feedback.
pub async fn tool(
    request: ToolRequest,
    serves: ToolName,
    toolbox: &Toolbox,
    blobs: &dyn BlobStore,
) -> Result<ToolResult> {
    let ToolRequest { run, call } = request;
    if call.tool != serves {
        let feedback = format!("the {} call was routed to the {serves} tool", call.tool);
        return Ok(ToolResult { call, outcome: Some(ToolOutcome::Failed { feedback }), failure: None });
    }
    let key = format!("{}tools/{}.json", run.blob_prefix, call.id);
    let location = blobs.locate(&key);
    let outcome = match tools::run(call.tool, &call.args, &run, toolbox, &location).await {
        Ok(answer) => {
            let body = serde_json::to_vec(&answer.raw).map_err(|e| Fa2Error::Upstream(format!("raw output: {e}")))?;
            let blob_key = blobs.put(&key, body, "application/json").await?;
            ToolOutcome::Ok { digest: bound_digest(answer.digest), blob_key: Some(blob_key) }
        }
        Err(error @ (Fa2Error::Transient(_) | Fa2Error::Throttled(_))) => return Err(error),
        Err(error) => ToolOutcome::Failed { feedback: error.to_string() },
    };
    Ok(ToolResult { call, outcome: Some(outcome), failure: None })
}
