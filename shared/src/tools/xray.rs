//! The X-Ray tool: traces over the window, digested into fault/error/throttle rates and latency per edge.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ToolAnswer, frame, object_schema};
use crate::contract::RunContext;
use crate::domain::evidence::traces;
use crate::error::{Fa2Error, Result};
use crate::ports::TraceSource;

/// Traces read per call, at most.
pub const MAX_TRACES: usize = 1_000;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Args {
    /// An X-Ray filter expression, e.g. `fault = true OR throttle = true`.
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

pub fn schema() -> Value {
    object_schema(
        json!({
            "filter": {"type": "string", "description": "X-Ray filter expression, e.g. fault = true OR service(\"orders\")"},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_TRACES}
        }),
        &[],
    )
}

pub async fn run(args: Args, run: &RunContext, source: &dyn TraceSource, blob_ref: &str) -> Result<ToolAnswer> {
    if !run.xray {
        return Err(Fa2Error::invalid("X-Ray tracing is not enabled for this system (xrayTrace is off)"));
    }
    let limit = args.limit.unwrap_or(MAX_TRACES).clamp(1, MAX_TRACES);
    let answer = source.traces(run.window, args.filter.as_deref(), limit).await?;
    let mut digest = traces::digest(&answer.traces, &frame(run, &[]), blob_ref);
    digest.truncated |= answer.truncated;
    Ok(ToolAnswer {
        digest,
        raw: json!({"filter": args.filter, "truncated": answer.truncated, "traces": answer.traces}),
    })
}
