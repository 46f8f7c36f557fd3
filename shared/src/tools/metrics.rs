//! The metrics tool: the alarm's own metrics first, then the metrics of the resources in play, digested into
//! anomalies with onsets.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ToolAnswer, frame, object_schema, with_baseline};
use crate::contract::{MetricRef, RunContext};
use crate::domain::evidence::metrics;
use crate::error::Result;
use crate::ports::{MetricFilter, MetricSource};

/// Metrics read in one call, at most (`GetMetricData` takes 500 queries; we stay well under).
pub const MAX_SERIES: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Args {
    /// Exact metrics to read.
    #[serde(default)]
    pub metrics: Vec<MetricRef>,
    /// Resource names whose metrics to discover (any dimension value matching).
    #[serde(default)]
    pub resources: Vec<String>,
    /// Restrict discovery to one namespace (`AWS/DynamoDB`).
    #[serde(default)]
    pub namespace: Option<String>,
}

pub fn schema() -> Value {
    object_schema(
        json!({
            "metrics": {"type": "array", "description": "exact metrics to read", "items": {"type": "object",
                "properties": {"namespace": {"type": "string"}, "metricName": {"type": "string"},
                    "dimensions": {"type": "object", "additionalProperties": {"type": "string"}},
                    "stat": {"type": "string"}, "period": {"type": "integer"}},
                "required": ["namespace", "metricName"]}},
            "resources": {"type": "array", "items": {"type": "string"},
                "description": "resource names (table, function, API, queue...) whose metrics to discover"},
            "namespace": {"type": "string", "description": "limit discovery to this namespace, e.g. AWS/Lambda"}
        }),
        &[],
    )
}

pub async fn run(args: Args, run: &RunContext, source: &dyn MetricSource, blob_ref: &str) -> Result<ToolAnswer> {
    let frame = frame(run, &args.resources);
    let mut wanted: Vec<MetricRef> = args.metrics.clone();
    if wanted.is_empty() && args.resources.is_empty() {
        wanted.extend(run.alarm.iter().flat_map(|a| a.metrics.iter().cloned()));
    }
    let discover = if args.resources.is_empty() { frame.resources.clone() } else { args.resources.clone() };
    if !discover.is_empty() || args.namespace.is_some() {
        let filter = MetricFilter { namespace: args.namespace.clone(), dimension_values: discover };
        wanted.extend(source.list(&filter, MAX_SERIES).await?);
    }
    wanted.sort();
    wanted.dedup();
    wanted.truncate(MAX_SERIES);
    let series = source.fetch(&wanted, with_baseline(run.window)).await?;
    let digest = metrics::digest(&series, &frame, blob_ref);
    Ok(ToolAnswer { digest, raw: json!({"requested": wanted, "series": series}) })
}
