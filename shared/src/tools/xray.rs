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
    let mut raw = json!({"filter": args.filter, "truncated": answer.truncated, "traces": answer.traces});
    // X-Ray's own view of the services and edges of the window, kept beside the traces it summarises.
    if let Some(graph) = answer.service_graph {
        raw["serviceGraph"] = graph;
    }
    Ok(ToolAnswer { digest, raw })
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;
    use crate::contract::Window;
    use crate::ports::TraceQueryResult;

    /// No traces, and the given service graph.
    struct Graph(Option<Value>);

    #[async_trait]
    impl TraceSource for Graph {
        async fn traces(&self, _window: Window, _filter: Option<&str>, _limit: usize) -> Result<TraceQueryResult> {
            Ok(TraceQueryResult { traces: Vec::new(), truncated: false, service_graph: self.0.clone() })
        }
    }

    fn run_context() -> RunContext {
        RunContext { xray: true, ..super::super::test_run() }
    }

    #[tokio::test]
    async fn the_raw_output_keeps_the_service_graph_when_there_is_one() {
        let graph = json!({"services": [{"name": "orders-api"}]});
        let with = run(Args::default(), &run_context(), &Graph(Some(graph.clone())), "blob").await.unwrap();
        assert_eq!(with.raw["serviceGraph"], graph);
        let without = run(Args::default(), &run_context(), &Graph(None), "blob").await.unwrap();
        assert!(without.raw.get("serviceGraph").is_none());
    }
}
