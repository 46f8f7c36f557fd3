//! `fa2 synth`: generates synthetic incident bundles (format of shared/spec/incident-bundle.md, with answer.json)
//! by simulating a small AWS system request by request, so logs, metrics, traces and CloudTrail agree.
//!
//! It is an independent simulator: it never uses the analyzer's code, so evaluation on its bundles stays honest.

mod clock;
mod cloudtrail;
mod emit;
mod errors;
mod faults;
mod input;
mod json;
mod kinds;
mod kinds_compute;
mod kinds_data;
mod kinds_dependency;
mod kinds_infrastructure;
mod knowledge;
mod logs;
mod metrics;
mod model;
mod naming;
mod random;
mod scenario;
mod sim;
mod sim_compute;
mod traces;

#[cfg(test)]
mod tests;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use self::json::{JsonlWriter, write_pretty};
use self::random::{SimRng, stable_hash};
use self::scenario::{KINDS, Kind, Pins, Plan, find_kind};

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Directory the bundles are written into (one sub-directory per bundle: <kind>-<seed>[-<i>]).
    #[arg(long, required_unless_present = "list")]
    out: Option<PathBuf>,
    /// Kind of incident (see --list), or `all`.
    #[arg(long, default_value = "all")]
    kind: String,
    /// Bundles per kind.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    count: u32,
    /// Seed; the same seed always produces the same bundles.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Multiplies request and log volume (1.0 ≈ a few thousand to ~15k log lines per hour; 100 ≈ a million lines).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Print the kinds with a one-line description and exit.
    #[arg(long)]
    list: bool,
    /// Business domain of the incident's workload (e.g. `orders`, `payments`); random by default.
    #[arg(long)]
    domain: Option<String>,
    /// Naming convention: plain, env-prefix, env-suffix, cdk or camel; random by default.
    #[arg(long)]
    naming: Option<String>,
    /// Directory name of the bundle instead of <kind>-<seed> (one kind, --count 1).
    #[arg(long)]
    name: Option<String>,
    /// Move the incident by whole hours so its window ends within the hour before this instant (RFC 3339, or
    /// `now`): loading a bundle into an AWS emulator needs recent telemetry (CloudWatch Logs refuses events older
    /// than 14 days).
    #[arg(long, value_name = "TIME")]
    ends_at: Option<String>,
}

/// What one generated bundle holds.
#[derive(Debug, Clone)]
pub struct BundleSummary {
    pub dir: PathBuf,
    /// `alarm` or `slack`.
    pub trigger: &'static str,
    pub log_lines: u64,
    pub log_bytes: u64,
    pub metric_series: usize,
    pub traces: u64,
    pub trail_records: usize,
    pub seconds: f64,
}

/// Runs `fa2 synth`, writing results (the `--list` table) to `out` and one progress line per bundle to `progress`.
pub fn run(args: SynthArgs, out: &mut dyn Write, progress: &dyn Fn(&str)) -> Result<(), String> {
    if args.list {
        for kind in KINDS {
            writeln!(out, "{:<28} {}", kind.name, kind.description).map_err(|e| e.to_string())?;
        }
        return Ok(());
    }
    let dir = args.out.clone().ok_or("--out is required")?;
    if !(args.scale.is_finite() && args.scale > 0.0 && args.scale <= 1000.0) {
        return Err(format!("--scale must be in (0, 1000], got {}", args.scale));
    }
    let kinds: Vec<Kind> = if args.kind == "all" {
        KINDS.to_vec()
    } else {
        vec![find_kind(&args.kind).ok_or_else(|| format!("unknown kind {:?}; see `fa2 synth --list`", args.kind))?]
    };
    let pins = pins(&args)?;
    if args.name.is_some() && (kinds.len() != 1 || args.count != 1) {
        return Err("--name needs a single --kind and --count 1".to_string());
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for kind in kinds {
        for index in 1..=args.count {
            let name = match &args.name {
                Some(name) => name.clone(),
                None if args.count == 1 => format!("{}-{}", kind.name, args.seed),
                None => format!("{}-{}-{index}", kind.name, args.seed),
            };
            let summary = generate(&dir.join(name), kind, bundle_seed(args.seed, kind, index), args.scale, &pins)?;
            progress(&format!(
                "fa2 synth: {} ({} input, {} log lines, {:.1} MB, {} series, {} traces, {} CloudTrail records) in {:.1}s",
                summary.dir.display(),
                summary.trigger,
                summary.log_lines,
                summary.log_bytes as f64 / 1e6,
                summary.metric_series,
                summary.traces,
                summary.trail_records,
                summary.seconds
            ));
        }
    }
    Ok(())
}

fn pins(args: &SynthArgs) -> Result<Pins, String> {
    let domain = match &args.domain {
        Some(name) => Some(naming::DOMAINS.iter().copied().find(|d| d.plural == name).ok_or_else(|| {
            let known: Vec<&str> = naming::DOMAINS.iter().map(|d| d.plural).collect();
            format!("unknown domain {name:?}; known: {}", known.join(", "))
        })?),
        None => None,
    };
    let naming = match &args.naming {
        Some(name) => Some(naming::NamingStyle::parse(name).ok_or_else(|| {
            format!("unknown naming style {name:?}; known: plain, env-prefix, env-suffix, cdk, camel")
        })?),
        None => None,
    };
    let ends_at_ms = match args.ends_at.as_deref() {
        None => None,
        Some("now") => Some(chrono::Utc::now().timestamp_millis()),
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|e| format!("--ends-at {text:?} is neither `now` nor an RFC 3339 time: {e}"))?
                .timestamp_millis(),
        ),
    };
    Ok(Pins { domain, naming, ends_at_ms })
}

/// The seed of one bundle: the same (seed, kind, index) always gives the same bundle.
pub fn bundle_seed(seed: u64, kind: Kind, index: u32) -> u64 {
    stable_hash(&[&seed.to_string(), kind.name, &index.to_string()])
}

/// Generates one bundle into `dir` (created or overwritten).
pub fn generate(dir: &Path, kind: Kind, seed: u64, scale: f64, pins: &Pins) -> Result<BundleSummary, String> {
    let started = Instant::now();
    let mut rng = SimRng::seed_from_u64(seed);
    let plan = scenario::plan(kind, &mut rng, scale, pins);
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot replace {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;

    let config = sim::SimConfig {
        system: &plan.system,
        faults: &plan.faults,
        start_ms: plan.start_ms,
        minutes: plan.minutes,
        scale,
    };
    let sim_rng = SimRng::seed_from_u64(rng.random());
    let summary = sim::simulate(&config, sim_rng, dir, plan.xray)?;

    let mut metrics_file = JsonlWriter::create(&dir.join("metrics.jsonl"))?;
    summary.metrics.write(&mut metrics_file)?;
    metrics_file.finish()?;

    let input = input::build(&mut rng, &plan, &summary.metrics);
    write_pretty(&dir.join("input.json"), &input.json)?;

    let mut trail = cloudtrail::Trail::new(&plan.system, rng.random());
    for change in &plan.changes {
        trail.change(&mut rng, change);
    }
    for reaction in &plan.aftermath {
        trail.change(&mut rng, reaction);
    }
    let end_ms = plan.start_ms + plan.minutes as i64 * 60_000;
    trail.noise(&mut rng, plan.start_ms, end_ms, plan.onset_ms, &summary.cold_starts);
    let records = trail.finish();
    let mut trail_file = JsonlWriter::create(&dir.join("cloudtrail.jsonl"))?;
    for record in &records {
        trail_file.value(record)?;
    }
    trail_file.finish()?;

    write_pretty(&dir.join("environment.json"), &environment(&mut rng, &plan))?;
    if !plan.knowledge.is_empty() {
        let knowledge_dir = dir.join("knowledge");
        std::fs::create_dir_all(&knowledge_dir)
            .map_err(|e| format!("cannot create {}: {e}", knowledge_dir.display()))?;
        for doc in &plan.knowledge {
            std::fs::write(knowledge_dir.join(&doc.file_name), &doc.text)
                .map_err(|e| format!("cannot write {}: {e}", doc.file_name))?;
        }
    }
    write_pretty(&dir.join("answer.json"), &answer(&plan))?;
    Ok(BundleSummary {
        dir: dir.to_path_buf(),
        trigger: input.kind,
        log_lines: summary.log_lines,
        log_bytes: summary.log_bytes,
        metric_series: summary.metrics.len(),
        traces: summary.traces,
        trail_records: records.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn environment(rng: &mut SimRng, plan: &Plan) -> Value {
    let system = &plan.system;
    json!({
        "region": system.region,
        "accountId": system.account,
        "language": "en",
        "architecture": model::architecture_text(rng, system),
        "logGroups": system.log_groups(),
        "xray": plan.xray,
        "knowledgeBase": !plan.knowledge.is_empty(),
    })
}

fn answer(plan: &Plan) -> Value {
    let answer = &plan.answer;
    let root_cause = if answer.healthy {
        Value::Null
    } else {
        json!({
            "component": answer.component,
            "aliases": answer.aliases,
            "category": answer.category,
            "acceptableCategories": answer.acceptable,
        })
    };
    json!({
        "status": if answer.healthy { "healthy" } else { "root_cause_identified" },
        "rootCause": root_cause,
        "requiredEvidence": answer.evidence,
        "forbiddenComponents": answer.forbidden,
        "notes": answer.notes,
        "scenario": plan.kind.name,
    })
}
