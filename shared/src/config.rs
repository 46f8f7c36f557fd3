//! Deployment settings: what a deployment knows through its configuration. `Config::from_env` is the only reader
//! of environment variables in the workspace; offline runs build the same `Config` from a bundle's
//! `environment.json`.

use std::path::PathBuf;

use serde_json::Value;

use crate::contract::Language;
use crate::domain::budget::{DEFAULT_AGENT_CYCLES, MAX_AGENT_CYCLES_CEILING};
use crate::error::{Fa2Error, Result};

/// Logs Insights query used when none is configured (the original sample's default).
pub const DEFAULT_INSIGHTS_QUERY: &str = "fields @timestamp, @message, @logStream, @log | sort @timestamp desc";
/// Minutes before the alarm that an alarm-triggered analysis looks at.
pub const DEFAULT_LOOKBACK_MINUTES: u32 = 60;
/// The longest analysis window by default; deployments may change it (`FA2_MAX_WINDOW_HOURS`).
pub const DEFAULT_MAX_WINDOW_HOURS: u32 = 24;
/// The longest window any deployment may allow: a week of Logs Insights and CloudTrail pages is already slow.
pub const MAX_WINDOW_HOURS_CEILING: u32 = 168;
/// CloudWatch Logs Insights accepts at most this many log groups per query.
pub const MAX_LOG_GROUPS: usize = 50;

/// The settings users know from the original sample, plus where this deployment keeps its blobs.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub region: String,
    pub account_id: String,
    /// `language`: the report language, `en` or `ja`.
    pub language: Language,
    /// `modelId`: the Bedrock model of the model brain; `None` runs the rules brain.
    pub model_id: Option<String>,
    /// `architectureDescription`: free text describing the system.
    pub architecture: String,
    /// `cwLogsLogGroups`: the log groups to search (up to 50 per query; larger sets are split).
    pub log_groups: Vec<String>,
    /// `cwLogsInsightQuery`.
    pub insights_query: Option<String>,
    /// `xrayTrace`: whether X-Ray traces are available.
    pub xray: bool,
    /// `knowledgeBase`: a Bedrock Knowledge Base id (AWS) or `true` when the bundle ships `knowledge/`.
    pub knowledge_base: Option<String>,
    /// `embeddingModelId` of the knowledge base.
    pub embedding_model_id: Option<String>,
    /// `maxAgentCycles`.
    pub max_agent_cycles: u32,
    pub lookback_minutes: u32,
    /// The longest window an analysis may cover (operators' forms and alarm lookbacks alike).
    pub max_window_hours: u32,
    /// S3 bucket for raw tool outputs and reports (AWS).
    pub bucket: Option<String>,
    /// A directory used as the blob store (offline, and Lambda runs under `cargo lambda watch`).
    pub blob_dir: Option<PathBuf>,
    /// An incident bundle the tools read instead of AWS (offline runs of the Lambda binaries).
    pub bundle_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            region: "us-east-1".into(),
            account_id: String::new(),
            language: Language::En,
            model_id: None,
            architecture: String::new(),
            log_groups: Vec::new(),
            insights_query: None,
            xray: false,
            knowledge_base: None,
            embedding_model_id: None,
            max_agent_cycles: DEFAULT_AGENT_CYCLES,
            lookback_minutes: DEFAULT_LOOKBACK_MINUTES,
            max_window_hours: DEFAULT_MAX_WINDOW_HOURS,
            bucket: None,
            blob_dir: None,
            bundle_dir: None,
        }
    }
}

impl Config {
    /// Reads the Lambda environment. Variables (the CDK stack sets exactly these):
    ///
    /// | variable | setting |
    /// | --- | --- |
    /// | `AWS_REGION` | region (set by Lambda) |
    /// | `FA2_ACCOUNT_ID` | account id |
    /// | `FA2_LANGUAGE` | `en` or `ja` |
    /// | `FA2_MODEL_ID` | Bedrock model id; unset: rules brain |
    /// | `FA2_ARCHITECTURE` | architecture description |
    /// | `FA2_LOG_GROUPS` | comma-separated log group names |
    /// | `FA2_INSIGHTS_QUERY` | Logs Insights query |
    /// | `FA2_XRAY` | `true`/`false` |
    /// | `FA2_KNOWLEDGE_BASE_ID` | Knowledge Base id |
    /// | `FA2_EMBEDDING_MODEL_ID` | embedding model id |
    /// | `FA2_MAX_AGENT_CYCLES` | cycle budget (1..=20) |
    /// | `FA2_LOOKBACK_MINUTES` | window length for alarm runs |
    /// | `FA2_MAX_WINDOW_HOURS` | longest window a run may cover (1..=168, default 24) |
    /// | `FA2_BUCKET` | S3 bucket for blobs and reports |
    /// | `FA2_BLOB_DIR` | directory blob store (offline) |
    /// | `FA2_BUNDLE_DIR` | incident bundle the tools read (offline) |
    #[allow(clippy::disallowed_methods)] // the one reader of the environment
    pub fn from_env() -> Result<Config> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the config from any variable lookup; `from_env` passes the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let get = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut config = Config::default();
        if let Some(region) = get("AWS_REGION") {
            config.region = region;
        }
        config.account_id = get("FA2_ACCOUNT_ID").unwrap_or_default();
        if let Some(language) = get("FA2_LANGUAGE") {
            config.language = Language::parse(&language)
                .ok_or_else(|| Fa2Error::invalid(format!("FA2_LANGUAGE must be en or ja, not {language:?}")))?;
        }
        config.model_id = get("FA2_MODEL_ID");
        config.architecture = get("FA2_ARCHITECTURE").unwrap_or_default();
        config.log_groups = get("FA2_LOG_GROUPS")
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
            .unwrap_or_default();
        config.insights_query = get("FA2_INSIGHTS_QUERY");
        config.xray = get("FA2_XRAY").is_some_and(|v| parse_bool("FA2_XRAY", &v).unwrap_or(false));
        config.knowledge_base = get("FA2_KNOWLEDGE_BASE_ID");
        config.embedding_model_id = get("FA2_EMBEDDING_MODEL_ID");
        if let Some(cycles) = get("FA2_MAX_AGENT_CYCLES") {
            config.max_agent_cycles = parse_cycles("FA2_MAX_AGENT_CYCLES", &cycles)?;
        }
        if let Some(minutes) = get("FA2_LOOKBACK_MINUTES") {
            config.lookback_minutes = minutes.parse().map_err(|_| {
                Fa2Error::invalid(format!("FA2_LOOKBACK_MINUTES must be a whole number of minutes, not {minutes:?}"))
            })?;
        }
        if let Some(hours) = get("FA2_MAX_WINDOW_HOURS") {
            config.max_window_hours = hours
                .parse()
                .ok()
                .filter(|h| (1..=MAX_WINDOW_HOURS_CEILING).contains(h))
                .ok_or_else(|| {
                    Fa2Error::invalid(format!(
                        "FA2_MAX_WINDOW_HOURS must be a whole number of hours from 1 to {MAX_WINDOW_HOURS_CEILING}, not {hours:?}"
                    ))
                })?;
        }
        if config.lookback_minutes > config.max_window_hours * 60 {
            return Err(Fa2Error::invalid(format!(
                "FA2_LOOKBACK_MINUTES ({}) is longer than the longest window, FA2_MAX_WINDOW_HOURS ({} h)",
                config.lookback_minutes, config.max_window_hours
            )));
        }
        config.bucket = get("FA2_BUCKET");
        config.blob_dir = get("FA2_BLOB_DIR").map(PathBuf::from);
        config.bundle_dir = get("FA2_BUNDLE_DIR").map(PathBuf::from);
        Ok(config)
    }

    /// Builds the config a deployment would have from a bundle's `environment.json`.
    pub fn from_environment(environment: &Value) -> Result<Config> {
        let object =
            environment.as_object().ok_or_else(|| Fa2Error::invalid("environment.json must hold a JSON object"))?;
        let text = |key: &str| -> Result<Option<String>> {
            match object.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.trim().is_empty())),
                Some(other) => Err(Fa2Error::invalid(format!(
                    "environment.json: \"{key}\" must be a string, found {}",
                    json_type(other)
                ))),
            }
        };
        let flag = |key: &str| -> Result<bool> {
            match object.get(key) {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Bool(b)) => Ok(*b),
                Some(Value::String(s)) => parse_bool(&format!("environment.json: \"{key}\""), s),
                Some(other) => Err(Fa2Error::invalid(format!(
                    "environment.json: \"{key}\" must be true or false, found {}",
                    json_type(other)
                ))),
            }
        };
        let mut config = Config::default();
        if let Some(region) = text("region")? {
            config.region = region;
        }
        config.account_id = text("accountId")?.unwrap_or_default();
        if let Some(language) = text("language")? {
            config.language = Language::parse(&language).ok_or_else(|| {
                Fa2Error::invalid(format!("environment.json: \"language\" must be en or ja, not {language:?}"))
            })?;
        }
        config.model_id = text("modelId")?;
        config.architecture = text("architecture")?.unwrap_or_default();
        config.log_groups = match object.get("logGroups") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    item.as_str().map(String::from).ok_or_else(|| {
                        Fa2Error::invalid(format!(
                            "environment.json: \"logGroups\"[{i}] must be a string, found {}",
                            json_type(item)
                        ))
                    })
                })
                .collect::<Result<_>>()?,
            Some(other) => {
                return Err(Fa2Error::invalid(format!(
                    "environment.json: \"logGroups\" must be an array of strings, found {}",
                    json_type(other)
                )));
            }
        };
        config.insights_query = text("insightsQuery")?;
        config.xray = flag("xray")?;
        config.knowledge_base = flag("knowledgeBase")?.then(|| "bundle".to_string());
        config.embedding_model_id = text("embeddingModelId")?;
        if let Some(cycles) = object.get("maxAgentCycles").and_then(Value::as_u64) {
            config.max_agent_cycles = parse_cycles("environment.json: \"maxAgentCycles\"", &cycles.to_string())?;
        }
        Ok(config)
    }
}

/// The JSON type name of a value, for error messages.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_bool(what: &str, text: &str) -> Result<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(Fa2Error::invalid(format!("{what} must be true or false, not {text:?}"))),
    }
}

/// Parses a cycle budget, which must be 1..=`MAX_AGENT_CYCLES_CEILING`.
pub fn parse_cycles(what: &str, text: &str) -> Result<u32> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_AGENT_CYCLES_CEILING).contains(&n) => Ok(n),
        _ => Err(Fa2Error::invalid(format!(
            "{what} must be a whole number from 1 to {MAX_AGENT_CYCLES_CEILING}, not {text:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn environment_json_maps_to_the_settings_users_know() {
        let config = Config::from_environment(&json!({
            "region": "eu-west-1", "accountId": "1", "language": "ja", "architecture": "a",
            "logGroups": ["/aws/lambda/x"], "xray": true, "knowledgeBase": true, "unknownField": 1
        }))
        .unwrap();
        assert_eq!(config.region, "eu-west-1");
        assert_eq!(config.language, Language::Ja);
        assert_eq!(config.log_groups, vec!["/aws/lambda/x"]);
        assert!(config.xray);
        assert!(config.knowledge_base.is_some());
        assert_eq!(config.max_agent_cycles, DEFAULT_AGENT_CYCLES);
    }

    #[test]
    fn wrong_types_in_environment_json_are_named() {
        let error = Config::from_environment(&json!({"logGroups": "x"})).unwrap_err().to_string();
        assert!(error.contains("\"logGroups\" must be an array"), "{error}");
        let error = Config::from_environment(&json!({"xray": 3})).unwrap_err().to_string();
        assert!(error.contains("\"xray\" must be true or false"), "{error}");
    }

    #[test]
    fn lookup_reads_every_documented_variable() {
        let vars = [
            ("FA2_LANGUAGE", "ja"),
            ("FA2_LOG_GROUPS", " a, b ,,c"),
            ("FA2_MAX_AGENT_CYCLES", "7"),
            ("FA2_XRAY", "true"),
            ("FA2_BUCKET", "bkt"),
        ];
        let config = Config::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string())).unwrap();
        assert_eq!(config.language, Language::Ja);
        assert_eq!(config.log_groups, vec!["a", "b", "c"]);
        assert_eq!(config.max_agent_cycles, 7);
        assert!(config.xray);
        assert_eq!(config.bucket.as_deref(), Some("bkt"));
        let error = Config::from_lookup(|n| (n == "FA2_MAX_AGENT_CYCLES").then(|| "99".to_string())).unwrap_err();
        assert!(error.to_string().contains("1 to 20"));
    }
}
