//! Evidence as the tools hand it to the brain: structured findings and a bounded text digest per tool call.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a piece of evidence comes from; the report cites these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceSource {
    Logs,
    Metrics,
    Audit,
    Traces,
    Knowledge,
}

impl EvidenceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceSource::Logs => "logs",
            EvidenceSource::Metrics => "metrics",
            EvidenceSource::Audit => "audit",
            EvidenceSource::Traces => "traces",
            EvidenceSource::Knowledge => "knowledge",
        }
    }
}

impl fmt::Display for EvidenceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of signal a finding is; the rules brain reasons over these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FindingKind {
    /// A log template that did not occur before the onset.
    NewLogPattern,
    /// A log template whose rate rose (or fell) markedly at the onset.
    LogRateChange,
    /// A metric series that moved away from its baseline (spike, level shift, drop, trend, flatline).
    MetricAnomaly,
    /// A write/management event (deployment, config, IAM, network, capacity, secret) in the window.
    Change,
    /// A service or edge in the traces whose fault/error/throttle rate or latency rose.
    TraceAnomaly,
    /// A knowledge-base document that matches the situation.
    Runbook,
}

/// One compact, cited signal extracted from telemetry by the evidence engine.
///
/// `excerpt` is always copied from the telemetry (never invented); `reference` says where to look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub source: EvidenceSource,
    pub kind: FindingKind,
    /// The resource the signal is about, by its name (function, table, API, role, queue, service...).
    pub component: String,
    /// When it started (onset, first seen, event time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// How strong the signal is, 0..=1, comparable within a kind.
    pub score: f64,
    /// One line for people and models: what moved and how much.
    pub summary: String,
    /// The few lines or numbers that support it, copied from telemetry.
    pub excerpt: String,
    /// Where to look: log group + stream, metric id, CloudTrail eventID, trace id, KB document, or blob key.
    pub reference: String,
    /// Machine-readable details by well-known key (see `domain::evidence::attr`), e.g. `eventName`,
    /// `metricName`, `template`, `errorClass`, `direction`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attrs: BTreeMap<String, String>,
}

impl Finding {
    /// A detail by key, or "" when absent.
    pub fn attr(&self, key: &str) -> &str {
        self.attrs.get(key).map(String::as_str).unwrap_or("")
    }
}

/// The bounded summary of one tool result: what the brain (rules or model) reads.
///
/// Bounded by `domain::budget`: `text` at most `DIGEST_TEXT_CHARS` characters, at most `DIGEST_FINDINGS` findings,
/// whatever the size of the raw output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Digest {
    pub text: String,
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// How many raw records the tool looked at.
    #[serde(default)]
    pub records: u64,
    /// True when the source capped the results (more existed than were read).
    #[serde(default)]
    pub truncated: bool,
}
