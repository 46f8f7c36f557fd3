//! Ports: the capabilities the tools and steps need, each with an AWS adapter and an offline (bundle) adapter.
//!
//! Named by capability, not by SDK method. Every method answers for a time window and respects the same limits
//! the AWS API has (results capped, `truncated` set when more existed).

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::contract::{MetricRef, Window};
use crate::error::Result;

/// One log event, as CloudWatch Logs returns it (and as `logs.jsonl` records it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEvent {
    pub log_group: String,
    #[serde(default)]
    pub log_stream: String,
    /// Epoch milliseconds.
    pub timestamp: i64,
    pub message: String,
}

/// A Logs Insights-style question over some log groups.
#[derive(Debug, Clone, PartialEq)]
pub struct LogQuery {
    pub log_groups: Vec<String>,
    pub window: Window,
    /// A Logs Insights query string.
    pub query: String,
    /// At most this many rows (Logs Insights caps at 10,000).
    pub limit: usize,
    /// When set, a `FilterLogEvents` search (a stream and/or a filter pattern) instead of the Insights query.
    pub filter: Option<LogFilter>,
}

/// A `FilterLogEvents`-style search: events of streams starting with a prefix, matching a filter pattern.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogFilter {
    pub stream_prefix: Option<String>,
    /// A CloudWatch Logs filter pattern (`ERROR`, `"connection reset"`, `?ERROR ?FATAL`).
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogQueryResult {
    pub events: Vec<LogEvent>,
    /// More matched than `limit`.
    pub truncated: bool,
    /// Log groups that do not exist or cannot be read: reported back to the brain as feedback.
    pub missing_groups: Vec<String>,
}

/// Logs Insights queries (AWS) or a bundle's `logs.jsonl` (offline).
#[async_trait]
pub trait LogSearch: Send + Sync {
    async fn query(&self, query: &LogQuery) -> Result<LogQueryResult>;
}

/// One metric series (one line of `metrics.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricSeries {
    pub namespace: String,
    pub metric_name: String,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    #[serde(default)]
    pub stat: String,
    #[serde(default)]
    pub period: u32,
    #[serde(default)]
    pub unit: Option<String>,
    /// Epoch milliseconds, ascending.
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

impl MetricSeries {
    pub fn id(&self) -> MetricRef {
        MetricRef {
            namespace: self.namespace.clone(),
            metric_name: self.metric_name.clone(),
            dimensions: self.dimensions.clone(),
            stat: Some(self.stat.clone()),
            period: Some(self.period),
        }
    }
}

/// Which metrics to discover: a namespace and/or dimension values to match (any of them, `ListMetrics`-style).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricFilter {
    pub namespace: Option<String>,
    /// Match metrics that have any dimension whose value equals (case-insensitively) one of these.
    pub dimension_values: Vec<String>,
}

/// CloudWatch metrics (AWS) or a bundle's `metrics.jsonl` (offline).
#[async_trait]
pub trait MetricSource: Send + Sync {
    /// The metrics that exist for a filter (`ListMetrics`), at most `limit`.
    async fn list(&self, filter: &MetricFilter, limit: usize) -> Result<Vec<MetricRef>>;
    /// Datapoints for the given metrics over the window (`GetMetricData`).
    async fn fetch(&self, metrics: &[MetricRef], window: Window) -> Result<Vec<MetricSeries>>;
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeQueryResult {
    /// CloudTrail records (the parsed `CloudTrailEvent`), newest first.
    pub records: Vec<Value>,
    pub truncated: bool,
}

/// CloudTrail `LookupEvents` (AWS) or a bundle's `cloudtrail.jsonl` (offline).
#[async_trait]
pub trait ChangeLog: Send + Sync {
    async fn lookup(&self, window: Window, limit: usize) -> Result<ChangeQueryResult>;
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceQueryResult {
    /// Traces in the shape of `BatchGetTraces`' `Traces` elements.
    pub traces: Vec<Value>,
    pub truncated: bool,
    /// The `GetServiceGraph` services of the window, when the source has a service graph.
    pub service_graph: Option<Value>,
}

/// X-Ray (AWS) or a bundle's `traces.jsonl` (offline).
#[async_trait]
pub trait TraceSource: Send + Sync {
    /// Traces that started in the window, at most `limit`; `filter` is an X-Ray filter expression.
    async fn traces(&self, window: Window, filter: Option<&str>, limit: usize) -> Result<TraceQueryResult>;
}

/// One retrieved knowledge-base passage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Passage {
    /// The document's location (S3 URI in AWS, file name offline).
    pub document: String,
    pub text: String,
    /// Relevance, 0..=1, higher is better.
    pub score: f64,
}

/// Bedrock Knowledge Base `Retrieve` (AWS) or the bundle's `knowledge/*.md` (offline).
#[async_trait]
pub trait KnowledgeBase: Send + Sync {
    async fn retrieve(&self, query: &str, limit: usize) -> Result<Vec<Passage>>;
}

/// Where raw tool outputs and reports are kept: S3 in AWS, a directory offline.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Where a key is, as a reference a person can follow (`s3://bucket/key`, or a file path).
    fn locate(&self, key: &str) -> String;
    /// Stores a blob and returns `locate(key)`.
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<String>;
    async fn get(&self, key: &str) -> Result<Vec<u8>>;
}

/// Where a finished report goes: the Slack thread (AWS), the output directory (local).
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Publishes the report; returns where it went, for the execution output.
    async fn publish(&self, report: &crate::contract::Report, markdown: &str) -> Result<String>;
}
