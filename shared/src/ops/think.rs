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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brain::RulesBrain;
    use crate::config::Config;
    use crate::ops::prepare::{ExecutionRef, PrepareRequest, prepare};
    use chrono::{DateTime, Utc};
    use serde_json::json;

    fn run(max_agent_cycles: u32) -> RunContext {
        let now = DateTime::parse_from_rfc3339("2026-07-10T10:00:00Z").unwrap().with_timezone(&Utc);
        let input = json!({"source": "fa2.slack", "description": "orders-api is failing",
            "startTime": "2026-07-10T08:00:00Z", "endTime": "2026-07-10T09:00:00Z"});
        let config =
            Config { max_agent_cycles, log_groups: vec!["/aws/lambda/orders-api".into()], ..Config::default() };
        let request = PrepareRequest {
            input,
            execution: ExecutionRef { id: String::new(), name: "run-1".into(), start_time: None },
        };
        let state = prepare(request, &config, now).unwrap();
        assert_eq!(state.run.as_ref().unwrap().blob_prefix, "runs/run-1/");
        state.run.unwrap()
    }

    #[tokio::test]
    async fn calls_get_ids_and_the_cycle_budget_ends_the_loop() {
        let decision = think(ThinkRequest { run: run(3), notebook: Notebook::default() }, &RulesBrain).await.unwrap();
        assert_eq!(decision.action, Action::CallTools);
        assert!(decision.calls.len() <= MAX_CALLS_PER_CYCLE);
        assert_eq!(decision.calls[0].id, "c1-1-metrics");
        let spent = Notebook { cycle: 3, ..Notebook::default() };
        let decision = think(ThinkRequest { run: run(3), notebook: spent }, &RulesBrain).await.unwrap();
        assert_eq!(decision.action, Action::Finish);
        assert!(decision.calls.is_empty());
        assert!(decision.thought.contains("cycle budget of 3"));
    }
}
