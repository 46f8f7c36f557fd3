//! `Finalize`: the brain's conclusion over the notebook, assembled into the report; a failed step still gets one.

use chrono::{DateTime, Utc};

use crate::brain::Brain;
use crate::contract::{
    Conclusion, ExecutionState, Language, MAX_HYPOTHESES, Notebook, Report, SCHEMA_VERSION, Status, StepFailure,
    Trigger, TriggerKind, Usage, Window,
};
use crate::error::Result;

/// The report for this execution state. Never fails for lack of evidence: it says `inconclusive` and why.
pub async fn finalize(state: ExecutionState, brain: &dyn Brain, now: DateTime<Utc>) -> Result<Report> {
    let Some(run) = state.run else {
        return Ok(failure_report(&state.input, state.failure.as_ref(), now));
    };
    let notebook = state.notebook.unwrap_or_default();
    let mut conclusion = brain.conclude(&run, &notebook).await?;
    if let Some(failure) = &state.failure {
        conclusion.summary = format!("{} {}", conclusion.summary, cut_short(run.language, failure)).trim().to_string();
    }
    Ok(assemble(conclusion, &run, &notebook, brain.label(), now))
}

fn assemble(
    mut conclusion: Conclusion,
    run: &crate::contract::RunContext,
    notebook: &Notebook,
    brain: String,
    now: DateTime<Utc>,
) -> Report {
    conclusion.hypotheses.truncate(MAX_HYPOTHESES);
    for (i, hypothesis) in conclusion.hypotheses.iter_mut().enumerate() {
        hypothesis.rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
        hypothesis.confidence = hypothesis.confidence.clamp(0.0, 1.0);
    }
    Report {
        schema_version: SCHEMA_VERSION,
        run_id: run.run_id.clone(),
        status: conclusion.status,
        language: run.language,
        window: run.window,
        trigger: run.trigger.clone(),
        summary: conclusion.summary,
        hypotheses: conclusion.hypotheses,
        timeline: conclusion.timeline,
        impact: conclusion.impact,
        actions: conclusion.actions,
        prevention: conclusion.prevention,
        usage: Usage {
            brain,
            cycles: notebook.cycle,
            tool_calls: notebook.tool_calls,
            input_tokens: notebook.input_tokens,
            output_tokens: notebook.output_tokens,
            duration_ms: u64::try_from((now - run.started_at).num_milliseconds()).unwrap_or(0),
            fallback: notebook.fallback.clone(),
        },
    }
}

fn cut_short(language: Language, failure: &StepFailure) -> String {
    match language {
        Language::En => {
            format!("The analysis was cut short by a failed step ({}: {}).", failure.error, failure.message())
        }
        Language::Ja => {
            format!("ステップの失敗により分析は途中で終了しました（{}: {}）。", failure.error, failure.message())
        }
    }
}

/// The report of a run that never got a run context (the input was rejected, or `Prepare` failed): inconclusive,
/// saying what was wrong and what to do. Pure and infallible, so `Notify` can use it as the last resort too.
pub fn failure_report(input: &serde_json::Value, failure: Option<&StepFailure>, now: DateTime<Utc>) -> Report {
    let reason = failure.map_or_else(|| "no run context".to_string(), |f| format!("{}: {}", f.error, f.message()));
    let alarm_name = input.pointer("/detail/alarmName").and_then(|v| v.as_str()).map(String::from);
    let description = input.get("description").and_then(|v| v.as_str()).map(String::from);
    Report {
        schema_version: SCHEMA_VERSION,
        run_id: String::from("unknown"),
        status: Status::Inconclusive,
        language: Language::En,
        window: Window { start: now, end: now },
        trigger: Trigger {
            kind: if alarm_name.is_some() { TriggerKind::Alarm } else { TriggerKind::Slack },
            alarm_name,
            description,
        },
        summary: format!(
            "The analysis could not run: {reason}. Fix the input or configuration and start the analysis again \
             (replay the execution from the Step Functions console, or run `fa2 replay`)."
        ),
        hypotheses: Vec::new(),
        timeline: Vec::new(),
        impact: "Unknown: no telemetry was analysed.".into(),
        actions: Vec::new(),
        prevention: Vec::new(),
        usage: Usage {
            brain: "rules".into(),
            cycles: 0,
            tool_calls: 0,
            input_tokens: 0,
            output_tokens: 0,
            duration_ms: 0,
            fallback: None,
        },
    }
}
