//! `fa2 bench`: the log template miner on 1,000,000 realistic log lines (the Loghub-2k messages, their variable
//! fields re-drawn), reporting lines per second and memory, and drain3 (PyPI) on the same lines in the same run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::Args;
use shared::domain::evidence::templates::{MinerConfig, TemplateMiner};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// How many lines to mine.
    #[arg(long, default_value_t = 1_000_000)]
    pub lines: usize,
    /// The Loghub-2k directory whose messages seed the lines.
    #[arg(long, default_value = "../shared/bench/loghub-2k")]
    pub loghub: PathBuf,
    /// The Python with drain3 installed (`pip install drain3`); `none` skips the comparison.
    #[arg(long, default_value = "python3")]
    pub python: String,
}

/// The drain3 side: mines the same file and prints `seconds peak_rss_kib templates`.
const DRAIN3_SCRIPT: &str = r#"
import resource, sys, time
from drain3 import TemplateMiner
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
miner = TemplateMiner()
start = time.perf_counter()
for line in lines:
    miner.add_log_message(line)
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(miner.drain.clusters))
"#;

pub fn run(args: BenchArgs, out: &mut (dyn Write + Send)) -> Result<(), String> {
    let seeds = loghub_messages(&args.loghub)?;
    let lines = realistic_lines(&seeds, args.lines);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let rss_before = rss_kib();
    let mut miner = TemplateMiner::new(MinerConfig::default());
    let started = Instant::now();
    for line in &lines {
        miner.add(line);
    }
    let seconds = started.elapsed().as_secs_f64();
    let miner_kib = rss_kib().saturating_sub(rss_before);
    let ours = lines.len() as f64 / seconds;
    let say = |out: &mut (dyn Write + Send), text: String| writeln!(out, "{text}").map_err(|e| e.to_string());
    say(
        out,
        format!("lines: {} ({:.1} MB), from {} Loghub-2k messages", lines.len(), bytes as f64 / 1e6, seeds.len()),
    )?;
    say(
        out,
        format!(
            "fa2 miner: {seconds:.2} s, {ours:.0} lines/s on one core, {} templates, memory growth {:.1} MB, process peak {:.1} MB",
            miner.len(),
            miner_kib as f64 / 1024.0,
            peak_kib() as f64 / 1024.0
        ),
    )?;
    if args.python == "none" {
        return Ok(());
    }
    let file = std::env::temp_dir().join(format!("fa2-bench-{}.log", std::process::id()));
    std::fs::write(&file, lines.join("\n")).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let drain3 = Command::new(&args.python).arg("-c").arg(DRAIN3_SCRIPT).arg(&file).output();
    let _ = std::fs::remove_file(&file);
    match drain3 {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout);
            let fields: Vec<f64> = text.split_whitespace().filter_map(|f| f.parse().ok()).collect();
            let (secs, peak, templates) = (
                fields.first().copied().unwrap_or(f64::NAN),
                fields.get(1).copied().unwrap_or(0.0),
                fields.get(2).copied().unwrap_or(0.0),
            );
            let theirs = lines.len() as f64 / secs;
            say(
                out,
                format!(
                    "drain3:    {secs:.2} s, {theirs:.0} lines/s, {templates:.0} templates, process peak {:.1} MB",
                    peak / 1024.0
                ),
            )?;
            say(out, format!("speed-up:  {:.1}x", ours / theirs))
        }
        Ok(output) => say(
            out,
            format!("drain3: not run ({})", String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("failed")),
        ),
        Err(e) => say(out, format!("drain3: not run ({}: {e}); install it with `pip install drain3`", args.python)),
    }
}

/// The `Content` column of every Loghub-2k CSV.
fn loghub_messages(dir: &Path) -> Result<Vec<String>, String> {
    let mut messages = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    for file in files {
        let mut reader = csv::Reader::from_path(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let column =
            reader.headers().map_err(|e| format!("{}: {e}", file.display()))?.iter().position(|h| h == "Content");
        let Some(column) = column else { continue };
        for record in reader.records().flatten() {
            messages.push(record.get(column).unwrap_or_default().to_string());
        }
    }
    if messages.is_empty() {
        return Err(format!("{} holds no Loghub CSV with a Content column", dir.display()));
    }
    Ok(messages)
}

/// `count` lines cycling through the seeds, each digit re-drawn from a fixed pseudo-random sequence, so ids, counters
/// and addresses vary as in real logs while the templates stay those of the seeds.
fn realistic_lines(seeds: &[String], count: usize) -> Vec<String> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count)
        .map(|i| {
            seeds[i % seeds.len()]
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        char::from(b'0' + (state % 10) as u8)
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect()
}

/// A line of `/proc/self/status` in KiB (Linux); 0 elsewhere.
fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

fn peak_kib() -> u64 {
    status_kib("VmHWM:")
}
