//! `fa2 analyze`: runs the production state machine over an incident bundle and prints the report.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use shared::contract::Language;
use shared::domain::render;
use shared::local::{LocalRun, analyze};
use statemachine::{HistoryEvent, HistoryEventType};

use crate::{Format, Progress};

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The incident bundle directory (input.json, environment.json, telemetry). Default: the bundled example.
    pub bundle: Option<PathBuf>,
    /// What stdout holds: the report as Markdown, or exactly the report JSON.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: Format,
    /// The brain that reasons over the evidence (`rules` works offline with no model).
    #[arg(long, default_value = "rules", value_parser = ["rules"])]
    pub brain: String,
    /// Override maxAgentCycles (1..=20).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_cycles: Option<u32>,
    /// Report language (default: the bundle's environment.json).
    #[arg(long, value_parser = ["en", "ja"])]
    pub language: Option<String>,
    /// Where report.json, report.md and the run's raw tool outputs are written.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Print the execution history (every event, with state and timing) as it happens.
    #[arg(long)]
    pub trace: bool,
    /// Print every tool call's digest (text and findings) after the run, as the brain saw them.
    #[arg(long)]
    pub evidence: bool,
    /// Scale Retry and Wait intervals (1 = real time, 0 = do not sleep).
    #[arg(long, default_value_t = 1.0, hide = true)]
    pub time_scale: f64,
}

pub async fn run(args: AnalyzeArgs, out: &mut (dyn Write + Send), progress: Progress) -> Result<(), String> {
    let bundle = args.bundle.clone().unwrap_or_else(crate::default_bundle);
    progress(&format!("fa2: analysing {} with the {} brain", bundle.display(), args.brain));
    let on_event = history_printer(args.trace, progress.clone());
    let options = LocalRun {
        bundle_dir: bundle,
        out_dir: args.out.clone(),
        max_agent_cycles: args.max_cycles,
        language: args.language.as_deref().and_then(Language::parse),
        time_scale: args.time_scale,
        on_event: Some(on_event),
    };
    let outcome = analyze(options).await.map_err(|e| e.to_string())?;
    let report = &outcome.report;
    if args.evidence {
        print_evidence(&outcome.execution, &progress);
    }
    write_report(report, args.format, out)?;
    progress(&format!(
        "fa2: {} after {} cycles and {} tool calls; wrote {} and report.md",
        report.status.as_str(),
        report.usage.cycles,
        report.usage.tool_calls,
        args.out.join("report.json").display()
    ));
    Ok(())
}

/// Prints the execution's progress: a line per Task entered, or every history event with `trace`.
pub fn history_printer(trace: bool, progress: Progress) -> statemachine::EventCallback {
    Arc::new(move |event: &HistoryEvent| {
        let line = if trace { Some(trace_line(event)) } else { progress_line(event) };
        if let Some(line) = line {
            progress(&format!("  {line}"));
        }
    })
}

/// Writes the report as the format asks: exactly the report JSON, or its Markdown.
pub fn write_report(
    report: &shared::contract::Report,
    format: Format,
    out: &mut (dyn Write + Send),
) -> Result<(), String> {
    let text = match format {
        Format::Json => serde_json::to_string_pretty(report).map_err(|e| e.to_string())? + "\n",
        Format::Markdown => render::markdown(report),
    };
    out.write_all(text.as_bytes()).map_err(|e| format!("cannot write the report: {e}"))
}

/// The notebook's observations from the execution output: each call, its digest text and findings.
fn print_evidence(execution: &statemachine::Execution, progress: &Progress) {
    let notebook = execution.output.as_ref().and_then(|o| o.get("notebook")).cloned().unwrap_or_default();
    let Ok(notebook) = serde_json::from_value::<shared::contract::Notebook>(notebook) else {
        progress("fa2: the execution output holds no notebook");
        return;
    };
    for observation in &notebook.observations {
        progress(&format!("── {} {}", observation.call.id, observation.call.args));
        match &observation.outcome {
            shared::contract::ToolOutcome::Ok { digest, .. } => {
                progress(&digest.text);
                for f in &digest.findings {
                    progress(&format!(
                        "  [{:.2}] {:?} {} {}: {}",
                        f.score,
                        f.kind,
                        f.component,
                        f.attrs.get("errorClass").map_or("", String::as_str),
                        f.summary
                    ));
                }
            }
            shared::contract::ToolOutcome::Failed { feedback } => progress(&format!("failed: {feedback}")),
        }
    }
}

/// One line per Task entered, so a person sees the loop advance.
fn progress_line(event: &HistoryEvent) -> Option<String> {
    if event.kind != HistoryEventType::TaskStateEntered {
        return None;
    }
    let state = event.state.as_deref().unwrap_or("?");
    Some(match &event.scope {
        Some(scope) => format!("{:>7.1}s  {state}  ({scope})", seconds(event)),
        None => format!("{:>7.1}s  {state}", seconds(event)),
    })
}

/// Every event: elapsed time, type, state, scope, and error or retry details.
fn trace_line(event: &HistoryEvent) -> String {
    let mut line = format!(
        "{:>7.1}s  {:<28} {}",
        seconds(event),
        format!("{:?}", event.kind),
        event.state.as_deref().unwrap_or("")
    );
    if let Some(scope) = &event.scope {
        line.push_str(&format!("  [{scope}]"));
    }
    if let Some(retry) = event.retry {
        line.push_str(&format!("  retry {retry} after {} ms", event.delay_ms.unwrap_or(0)));
    }
    if let Some(error) = &event.error {
        line.push_str(&format!("  {error}: {}", event.cause.as_deref().unwrap_or("")));
    }
    line
}

fn seconds(event: &HistoryEvent) -> f64 {
    event.elapsed_ms as f64 / 1000.0
}
