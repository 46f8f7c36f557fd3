//! `Think`: asks the brain for the next step, within the cycle and call budgets.

use serde::{Deserialize, Serialize};

use crate::brain::Brain;
use crate::contract::{Action, Decision, Notebook, RunContext};
use crate::domain::budget::MAX_CALLS_PER_CYCLE;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkRequest {
    pub run: RunContext,
    pub notebook: Notebook,
}

/// The brain's decision, with call ids assigned and budgets enforced: no calls once the cycles are spent.
pub async fn think(request: ThinkRequest, brain: &dyn Brain) -> Result<Decision> {
    let ThinkRequest { run, notebook } = request;
    if notebook.cycle >= run.max_agent_cycles {
        return Ok(Decision {
            action: Action::Finish,
            thought: format!("cycle budget of {} spent", run.max_agent_cycles),
            calls: Vec::new(),
        });
    }
    let mut decision = brain.think(&run, &notebook).await?;
    decision.calls.truncate(MAX_CALLS_PER_CYCLE);
    for (i, call) in decision.calls.iter_mut().enumerate() {
        call.id = format!("c{}-{}-{}", notebook.cycle + 1, i + 1, call.tool);
    }
    if decision.calls.is_empty() {
        decision.action = Action::Finish;
    }
    Ok(decision)
}
