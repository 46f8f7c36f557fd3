//! The brains behind one port: given the run and the notebook, decide what to call next, and conclude. The
//! deterministic `rules` brain needs no model; model brains join behind the same trait and fall back to it.

use async_trait::async_trait;

use crate::contract::{Conclusion, Decision, Notebook, RunContext};
use crate::domain::rules;
use crate::error::Result;

/// A reasoning strategy for the ReAct loop.
#[async_trait]
pub trait Brain: Send + Sync {
    /// How the report's `usage.brain` names it: `rules`, `bedrock:<modelId>`, `openai:<model>`.
    fn label(&self) -> String;
    /// The next step: which tools to call with what arguments, or finish.
    async fn think(&self, run: &RunContext, notebook: &Notebook) -> Result<Decision>;
    /// The ranked conclusion over everything observed.
    async fn conclude(&self, run: &RunContext, notebook: &Notebook) -> Result<Conclusion>;
}

/// The deterministic, evidence-driven brain (`domain::rules`).
#[derive(Debug, Default, Clone, Copy)]
pub struct RulesBrain;

#[async_trait]
impl Brain for RulesBrain {
    fn label(&self) -> String {
        "rules".into()
    }

    async fn think(&self, run: &RunContext, notebook: &Notebook) -> Result<Decision> {
        Ok(rules::plan(run, notebook))
    }

    async fn conclude(&self, run: &RunContext, notebook: &Notebook) -> Result<Conclusion> {
        Ok(rules::conclude(run, notebook))
    }
}
