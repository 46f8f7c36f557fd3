//! `fa2 eval <dir>`: runs the full pipeline over every bundle in a directory (each on a copy without its
//! `answer.json`), scores each report against the answer as `../shared/spec/report.md` describes, and prints a table
//! and a summary line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use shared::domain::score::{Answer, Score, score, summarize};
use shared::domain::validate::report_violations;
use shared::local::{LocalRun, analyze};

use crate::Progress;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A directory of incident bundles, each with an answer.json.
    pub dir: PathBuf,
    /// Print the per-bundle scores and the summary as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One bundle's result.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    bundle: String,
    status: String,
    top: String,
    score: Score,
    schema_errors: Vec<String>,
    wall_ms: u64,
}

pub async fn run(args: EvalArgs, out: &mut (dyn Write + Send), progress: Progress) -> Result<(), String> {
    let bundles = bundles_in(&args.dir)?;
    let scratch = tempdir()?;
    let mut rows = Vec::new();
    for (i, bundle) in bundles.iter().enumerate() {
        let name = bundle.file_name().unwrap_or_default().to_string_lossy().to_string();
        progress(&format!("fa2 eval: [{}/{}] {name}", i + 1, bundles.len()));
        rows.push(evaluate(bundle, &scratch.join(&name), name).await?);
    }
    if args.json {
        let scores: Vec<Score> = rows.iter().map(|r| r.score.clone()).collect();
        let json = serde_json::json!({"bundles": rows, "summary": summarize(&scores)});
        writeln!(out, "{}", serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    } else {
        write_table(out, &rows).map_err(|e| e.to_string())?;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

fn tempdir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("fa2-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

fn bundles_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut bundles: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("input.json").is_file() && p.join("answer.json").is_file())
        .collect();
    bundles.sort();
    if bundles.is_empty() {
        return Err(format!("{} holds no bundles with an answer.json", dir.display()));
    }
    Ok(bundles)
}

async fn evaluate(bundle: &Path, work: &Path, name: String) -> Result<Row, String> {
    let answer_text =
        std::fs::read_to_string(bundle.join("answer.json")).map_err(|e| format!("{name}/answer.json: {e}"))?;
    let answer: Answer = serde_json::from_str(&answer_text).map_err(|e| format!("{name}/answer.json: {e}"))?;
    let copy = work.join("bundle");
    copy_without_answer(bundle, &copy).map_err(|e| format!("cannot copy {name}: {e}"))?;
    let started = Instant::now();
    let run = LocalRun {
        bundle_dir: copy,
        out_dir: work.join("out"),
        max_agent_cycles: None,
        language: None,
        time_scale: 0.0,
        on_event: None,
    };
    let outcome = analyze(run).await.map_err(|e| format!("{name}: {e}"))?;
    let wall_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let report = outcome.report;
    let schema_errors = report_violations(&serde_json::to_value(&report).map_err(|e| e.to_string())?);
    let top = report
        .hypotheses
        .first()
        .map(|h| format!("{} {} {:.2}", h.component, h.category, h.confidence))
        .unwrap_or_else(|| "-".into());
    Ok(Row {
        bundle: name,
        status: report.status.as_str().into(),
        top,
        score: score(&report, &answer),
        schema_errors,
        wall_ms,
    })
}

/// Copies a bundle directory without its `answer.json`, so the analyzer cannot read it.
pub fn copy_without_answer(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default();
        if name == "answer.json" {
            continue;
        }
        if path.is_dir() {
            copy_without_answer(&path, &to.join(name))?;
        } else {
            std::fs::copy(&path, to.join(name))?;
        }
    }
    Ok(())
}

fn mark(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn write_table(out: &mut (dyn Write + Send), rows: &[Row]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<34} {:<22} {:<5} {:<5} {:<8} {:<8} {:<7} {:>7} {:>6} {:>5}  top hypothesis",
        "bundle", "status", "top1", "top3", "evidence", "herring", "healthy", "ms", "cycles", "calls"
    )?;
    for row in rows {
        let s = &row.score;
        let (top1, top3, evidence) =
            if s.is_root_cause_case() { (mark(s.top1), mark(s.top3), mark(s.evidence)) } else { ("-", "-", "-") };
        let healthy = s.healthy.map_or("-", mark);
        writeln!(
            out,
            "{:<34} {:<22} {:<5} {:<5} {:<8} {:<8} {:<7} {:>7} {:>6} {:>5}  {}{}",
            row.bundle,
            row.status,
            top1,
            top3,
            evidence,
            mark(s.herring_free),
            healthy,
            row.wall_ms,
            s.cost.cycles,
            s.cost.tool_calls,
            row.top,
            if row.schema_errors.is_empty() {
                String::new()
            } else {
                format!("  SCHEMA: {}", row.schema_errors.join("; "))
            }
        )?;
    }
    let scores: Vec<Score> = rows.iter().map(|r| r.score.clone()).collect();
    let summary = summarize(&scores);
    let rate = |r: &shared::domain::score::Rate| {
        format!("{}/{} ({})", r.hits, r.cases, r.fraction().map_or("-".into(), |f| format!("{:.0}%", f * 100.0)))
    };
    let mut times: Vec<u64> = rows.iter().map(|r| r.wall_ms).collect();
    times.sort_unstable();
    let p50 = times.get(times.len() / 2).copied().unwrap_or(0);
    let n = rows.len().max(1) as f64;
    let schema = rows.iter().filter(|r| !r.schema_errors.is_empty()).count();
    writeln!(
        out,
        "summary: {} bundles; top-1 {}; top-3 {}; evidence {}; herring-free {}; healthy {}; p50 time {} ms; cycles {:.1}/run; tool calls {:.1}/run; schema errors {}",
        summary.cases,
        rate(&summary.top1),
        rate(&summary.top3),
        rate(&summary.evidence),
        rate(&summary.herring_free),
        rate(&summary.healthy),
        p50,
        summary.total_cost.cycles as f64 / n,
        summary.total_cost.tool_calls as f64 / n,
        schema
    )
}
