//! The analysis report, version 1 (`../shared/spec/report.md`): what `report.json` holds.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, Serializer};

use super::evidence::EvidenceSource;

pub const SCHEMA_VERSION: u32 = 1;
/// A report holds at most this many hypotheses.
pub const MAX_HYPOTHESES: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema_version: u32,
    pub run_id: String,
    pub status: Status,
    pub language: Language,
    pub window: Window,
    pub trigger: Trigger,
    pub summary: String,
    pub hypotheses: Vec<Hypothesis>,
    pub timeline: Vec<TimelineEntry>,
    pub impact: String,
    pub actions: Vec<ActionItem>,
    pub prevention: Vec<String>,
    pub usage: Usage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    RootCauseIdentified,
    Inconclusive,
    Healthy,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::RootCauseIdentified => "root_cause_identified",
            Status::Inconclusive => "inconclusive",
            Status::Healthy => "healthy",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Ja,
}

impl Language {
    pub fn parse(text: &str) -> Option<Language> {
        match text.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Language::En),
            "ja" | "japanese" | "jp" => Some(Language::Ja),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Ja => "ja",
        }
    }
}

/// A UTC timestamp that serialises as RFC 3339 with whole seconds (`2026-11-20T09:30:00Z`).
pub fn serialize_time<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_time(time))
}

/// The report's time format: RFC 3339, whole seconds, `Z`.
pub fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    #[serde(serialize_with = "serialize_time")]
    pub start: DateTime<Utc>,
    #[serde(serialize_with = "serialize_time")]
    pub end: DateTime<Utc>,
}

impl Window {
    pub fn contains(&self, time: DateTime<Utc>) -> bool {
        self.start <= time && time <= self.end
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trigger {
    pub kind: TriggerKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggerKind {
    Alarm,
    Slack,
    Replay,
}

/// The categories of `report.md`; `unknown` when none fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Deployment,
    ConfigurationChange,
    PermissionChange,
    CredentialExpiry,
    CapacityLimit,
    ResourceExhaustion,
    DependencyFailure,
    Network,
    CodeDefect,
    TrafficSurge,
    InfrastructureFailure,
    Unknown,
}

impl Category {
    pub const ALL: [Category; 12] = [
        Category::Deployment,
        Category::ConfigurationChange,
        Category::PermissionChange,
        Category::CredentialExpiry,
        Category::CapacityLimit,
        Category::ResourceExhaustion,
        Category::DependencyFailure,
        Category::Network,
        Category::CodeDefect,
        Category::TrafficSurge,
        Category::InfrastructureFailure,
        Category::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Deployment => "deployment",
            Category::ConfigurationChange => "configuration-change",
            Category::PermissionChange => "permission-change",
            Category::CredentialExpiry => "credential-expiry",
            Category::CapacityLimit => "capacity-limit",
            Category::ResourceExhaustion => "resource-exhaustion",
            Category::DependencyFailure => "dependency-failure",
            Category::Network => "network",
            Category::CodeDefect => "code-defect",
            Category::TrafficSurge => "traffic-surge",
            Category::InfrastructureFailure => "infrastructure-failure",
            Category::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hypothesis {
    pub rank: u32,
    pub component: String,
    pub category: Category,
    pub statement: String,
    pub confidence: f64,
    pub severity: Severity,
    pub evidence: Vec<EvidenceItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceItem {
    pub source: EvidenceSource,
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none", serialize_with = "serialize_opt_time")]
    pub time: Option<DateTime<Utc>>,
    pub excerpt: String,
}

fn serialize_opt_time<S: Serializer>(time: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
    match time {
        Some(t) => serialize_time(t, serializer),
        None => serializer.serialize_none(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    #[serde(serialize_with = "serialize_time")]
    pub time: DateTime<Utc>,
    pub source: EvidenceSource,
    pub event: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionItem {
    pub priority: Priority,
    pub title: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Priority {
    Immediate,
    ShortTerm,
    LongTerm,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub brain: String,
    pub cycles: u32,
    pub tool_calls: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

/// What a brain concludes: the analytic part of a report, before `Finalize` adds identity, window and usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conclusion {
    pub status: Status,
    pub summary: String,
    pub hypotheses: Vec<Hypothesis>,
    pub timeline: Vec<TimelineEntry>,
    pub impact: String,
    pub actions: Vec<ActionItem>,
    pub prevention: Vec<String>,
}
