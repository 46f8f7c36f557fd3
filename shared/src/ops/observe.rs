//! `Observe`: folds the cycle's tool results into the notebook and keeps the state within its size budget.

use crate::contract::{ExecutionState, Observation, ToolOutcome, ToolResult};
use crate::domain::budget::{MAX_OBSERVATIONS, STATE_SOFT_LIMIT_BYTES};
use crate::error::{Fa2Error, Result};

/// The state after one cycle: results become observations, the cycle count advances, decision and results clear.
pub fn observe(mut state: ExecutionState) -> Result<ExecutionState> {
    let mut notebook = state.notebook.take().unwrap_or_default();
    notebook.cycle += 1;
    if let Some(decision) = state.decision.take()
        && !decision.thought.is_empty()
    {
        notebook.thoughts.push(decision.thought);
    }
    for result in state.results.take().unwrap_or_default() {
        notebook.tool_calls += 1;
        notebook.observations.push(observation(notebook.cycle, result));
    }
    state.notebook = Some(notebook);
    fit_state(&mut state)?;
    Ok(state)
}

fn observation(cycle: u32, result: ToolResult) -> Observation {
    let outcome = match (result.outcome, result.failure) {
        (Some(outcome), _) => outcome,
        (None, Some(failure)) => ToolOutcome::Failed {
            feedback: format!("the tool failed after retries: {}: {}", failure.error, failure.message()),
        },
        (None, None) => ToolOutcome::Failed { feedback: "the tool returned nothing".into() },
    };
    Observation { cycle, call: result.call, outcome }
}

/// Keeps the state under `STATE_SOFT_LIMIT_BYTES`: first drop the digest text of the oldest observations (their
/// findings stay), then drop the oldest observations. The raw outputs stay in the blob store either way.
fn fit_state(state: &mut ExecutionState) -> Result<()> {
    if let Some(notebook) = state.notebook.as_mut() {
        let excess = notebook.observations.len().saturating_sub(MAX_OBSERVATIONS);
        notebook.observations.drain(..excess);
    }
    while size_of(state)? > STATE_SOFT_LIMIT_BYTES {
        let Some(notebook) = state.notebook.as_mut().filter(|n| !n.observations.is_empty()) else { break };
        let with_text = notebook.observations.iter_mut().find_map(|o| match &mut o.outcome {
            ToolOutcome::Ok { digest, .. } if !digest.text.is_empty() => Some(digest),
            _ => None,
        });
        match with_text {
            Some(digest) => digest.text.clear(),
            None => {
                notebook.observations.remove(0);
            }
        }
    }
    let size = size_of(state)?;
    if size > STATE_SOFT_LIMIT_BYTES {
        return Err(Fa2Error::BudgetExhausted(format!(
            "the run state is {size} bytes even after compaction (limit {STATE_SOFT_LIMIT_BYTES})"
        )));
    }
    Ok(())
}

fn size_of(state: &ExecutionState) -> Result<usize> {
    serde_json::to_vec(state).map(|v| v.len()).map_err(|e| Fa2Error::Upstream(format!("state serialization: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Action, Decision, Digest, Notebook, StepFailure, ToolCall, ToolName};
    use serde_json::json;

    fn result(i: usize, text_len: usize) -> ToolResult {
        ToolResult {
            call: ToolCall { id: format!("c{i}"), tool: ToolName::Logs, args: json!({}) },
            outcome: Some(ToolOutcome::Ok {
                digest: Digest { text: "x".repeat(text_len), ..Digest::default() },
                blob_key: Some(format!("k{i}")),
            }),
            failure: None,
        }
    }

    fn state(results: Vec<ToolResult>) -> ExecutionState {
        ExecutionState {
            input: json!({}),
            run: None,
            notebook: Some(Notebook::default()),
            decision: Some(Decision { action: Action::CallTools, thought: "look at logs".into(), calls: vec![] }),
            results: Some(results),
            failure: None,
            report: None,
        }
    }

    #[test]
    fn results_become_observations_and_the_cycle_advances() {
        let mut failed = result(2, 0);
        failed.outcome = None;
        failed.failure = Some(StepFailure { error: "Fa2.Transient".into(), cause: "timeout".into() });
        let next = observe(state(vec![result(1, 10), failed])).unwrap();
        let notebook = next.notebook.unwrap();
        assert_eq!((notebook.cycle, notebook.tool_calls), (1, 2));
        assert_eq!(notebook.thoughts, vec!["look at logs"]);
        assert!(
            matches!(&notebook.observations[1].outcome, ToolOutcome::Failed { feedback } if feedback.contains("timeout"))
        );
        assert!(next.decision.is_none() && next.results.is_none());
    }

    #[test]
    fn oversized_state_is_compacted_under_the_soft_limit() {
        let results = (0..60).map(|i| result(i, 10_000)).collect();
        let next = observe(state(results)).unwrap();
        assert!(size_of(&next).unwrap() <= STATE_SOFT_LIMIT_BYTES);
        let notebook = next.notebook.unwrap();
        assert!(notebook.observations.len() <= MAX_OBSERVATIONS);
        assert_eq!(notebook.tool_calls, 60, "every call is still counted");
        let newest = notebook.observations.last().unwrap();
        assert!(
            matches!(&newest.outcome, ToolOutcome::Ok { digest, .. } if !digest.text.is_empty()),
            "newest keep their text"
        );
    }
}
