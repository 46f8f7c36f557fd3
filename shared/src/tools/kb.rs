//! The knowledge-base tool: runbooks and postmortems retrieved for a query, cited only when they match.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ToolAnswer, frame, object_schema};
use crate::contract::RunContext;
use crate::domain::evidence::knowledge;
use crate::error::{Fa2Error, Result};
use crate::ports::KnowledgeBase;

/// Passages retrieved per call, at most.
pub const MAX_PASSAGES: usize = 10;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Args {
    /// What to look for; default: the alarm or the operator's description.
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

pub fn schema() -> Value {
    object_schema(
        json!({
            "query": {"type": "string", "description": "symptoms and suspected cause, e.g. DynamoDB throttling on orders table"},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PASSAGES}
        }),
        &[],
    )
}

pub async fn run(args: Args, run: &RunContext, kb: &dyn KnowledgeBase, blob_ref: &str) -> Result<ToolAnswer> {
    if !run.knowledge_base {
        return Err(Fa2Error::invalid("no knowledge base is configured (knowledgeBase is off)"));
    }
    let query = args
        .query
        .clone()
        .filter(|q| !q.trim().is_empty())
        .or_else(|| run.trigger.description.clone())
        .or_else(|| run.alarm.as_ref().map(|a| format!("{} {}", a.name, a.description)))
        .unwrap_or_default();
    if query.trim().is_empty() {
        return Err(Fa2Error::invalid("the kb tool needs a query: describe the symptoms to look for"));
    }
    let limit = args.limit.unwrap_or(5).clamp(1, MAX_PASSAGES);
    let passages = kb.retrieve(&query, limit).await?;
    let digest = knowledge::digest(&passages, &query, &frame(run, &[]), blob_ref);
    Ok(ToolAnswer { digest, raw: json!({"query": query, "passages": passages}) })
}
