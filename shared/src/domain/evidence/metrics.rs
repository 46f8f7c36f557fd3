//! Evidence from metrics: a robust baseline per series, change detection (spike, level shift, drop to zero, trend,
//! flatline, a percentage pinned at its ceiling), onset and recovery, ranked by strength and by how early each
//! series moved before the problem was noticed.
//!
//! Per series: the datapoints before a candidate change give a robust baseline (median, and MAD or a trimmed
//! standard deviation as the noise scale). A change starts at the first datapoint that moved (a noise scale away, or
//! into the baseline's rare tail) and either is an outlier on its own, or begins a run whose median moved by several
//! standard errors, or begins a run lying entirely where the baseline seldom goes. The onset is walked back over the
//! datapoints that had already moved, and the episode ends when the series is back near its baseline. Strength is a
//! saturating mix of robust z-score and relative change, weighted by what the metric's move means (errors rising,
//! capacity settings moving, demand falling...), by shape (a lone recovered spike is a blip) and by timing (earlier
//! movers rank higher: causes move before symptoms).
//! Sum and SampleCount series count a missing datapoint as zero (nothing happened); other statistics that stop
//! reporting while the rest go on are a flatline.

use chrono::{DateTime, Duration, Utc};

use super::{AnalysisFrame, attr};
use crate::contract::{Digest, EvidenceSource, Finding, FindingKind};
use crate::domain::budget;
use crate::ports::MetricSeries;

/// Fewer datapoints than this cannot hold both a baseline and a change.
const MIN_POINTS: usize = 6;
/// Datapoints needed before a candidate onset to trust the baseline.
const MIN_BASELINE_POINTS: usize = 5;
/// The baseline uses at most this many of the latest undisturbed datapoints before a candidate onset. It is
/// recomputed after an eighth of its datapoints are new (a baseline a few points old is as good, and far cheaper).
const MAX_BASELINE_POINTS: usize = 120;
const BASELINE_REFRESH_SHARE: usize = 8;
/// At most this many datapoints per series are analysed (the latest ones): a day of one-minute data.
const MAX_POINTS: usize = 1_440;
/// A datapoint this many noise scales from the baseline is an outlier on its own.
const OUTLIER_SCALES: f64 = 4.0;
/// The median of the next few datapoints this many standard errors from the baseline is a level shift.
const LEVEL_STANDARD_ERRORS: f64 = 4.0;
/// Datapoints after a candidate onset that the level-shift test looks at (and the fewest it needs).
const LEVEL_WINDOW: usize = 6;
/// A step after a drift: from within this share of the gap of the drifted level to within it of the late level...
const STEP_NEAR: f64 = 0.25;
/// ... in at most this many datapoints.
const STEP_MAX_POINTS: usize = 4;
const LEVEL_MIN_WINDOW: usize = 3;
/// A datapoint at least this many noise scales from the baseline, or this far into its tail, has moved.
const MOVED_SCALES: f64 = 1.0;
const MOVED_TAIL_PROBABILITY: f64 = 0.1;
/// Walking the onset back, earlier datapoints this many noise scales out had already started to move.
const WALK_BACK_SCALES: f64 = 2.0;
/// How unlikely, under the baseline, a run of datapoints all beyond its least extreme value must be to be a shift.
const RUN_PROBABILITY: f64 = 1e-4;
/// A run of datapoints whose median is within this many noise scales of the baseline is back to normal.
const BACK_SCALES: f64 = 0.5;
/// An episode of at most this many datapoints that recovered is a spike, not a level shift.
const SPIKE_MAX_POINTS: usize = 3;
/// A trend needs this many datapoints, rising with this rank correlation (Kendall's tau).
const TREND_MIN_POINTS: usize = 6;
const TREND_MIN_TAU: f64 = 0.6;
/// A series that repeats one value this many times after varying at nearly every datapoint went flat.
const FLAT_MIN_RUN: usize = 6;
const FLAT_MIN_CHANGE_RATIO: f64 = 0.8;
/// A non-additive series silent for this many periods while the others report stopped reporting.
const SILENT_MIN_PERIODS: i64 = 5;
/// Noise floor of additive (count) series: below it a single extra event would look like a change.
const COUNT_NOISE_FLOOR: f64 = 0.3;
/// Strength saturation constants: robust z-scores and log ratios at which a move counts as clear.
const Z_SATURATION: f64 = 3.0;
const LOG_RATIO_SATURATION: f64 = 0.7;
/// An anomaly at least this strong (after its shape factor) takes part in the earliest-mover ranking.
const SIGNIFICANT_STRENGTH: f64 = 0.35;
/// Onsets within this span of the latest significant onset are ranked by minutes; older ones count as earliest.
const EARLINESS_MIN_SPAN_MINUTES: i64 = 10;
/// Findings weaker than this are not reported.
const MIN_FINDING_SCORE: f64 = 0.05;
/// Lines of anomalies and names of silent series listed in the text digest.
const TEXT_ANOMALIES: usize = 12;
const TEXT_NAMES: usize = 8;

/// Digest of raw metrics records for the frame; `blob_ref` is where the raw output is stored.
pub fn digest(series: &[MetricSeries], frame: &AnalysisFrame, blob_ref: &str) -> Digest {
    let horizon = DataHorizon::of(series, frame);
    let mut no_data: Vec<&MetricSeries> = Vec::new();
    let mut too_short = 0usize;
    let mut quiet = 0usize;
    let mut anomalies: Vec<Anomaly> = Vec::new();
    for one in series {
        let Some(prepared) = Prepared::of(one, &horizon) else {
            no_data.push(one);
            continue;
        };
        if prepared.values.len() < MIN_POINTS {
            too_short += 1;
            continue;
        }
        match strongest_anomaly(one, prepared, frame) {
            Some(anomaly) => anomalies.push(anomaly),
            None => quiet += 1,
        }
    }
    rank(&mut anomalies, frame);
    anomalies.retain(|a| a.score >= MIN_FINDING_SCORE);
    anomalies.sort_by(|a, b| b.score.total_cmp(&a.score));

    let counts = Counts { examined: series.len(), no_data: no_data.len(), too_short, quiet };
    let text = digest_text(&anomalies, &no_data, &counts, frame, blob_ref);
    let findings = anomalies.iter().take(budget::DIGEST_FINDINGS).map(|a| a.finding(frame)).collect();
    budget::bound_digest(Digest { text, findings, records: series.len() as u64, truncated: false })
}

/// The span covered by the data as a whole: where missing counts become zeros, and where silence is judged.
struct DataHorizon {
    first: i64,
    last: i64,
    window_end: i64,
}

impl DataHorizon {
    fn of(series: &[MetricSeries], frame: &AnalysisFrame) -> DataHorizon {
        let window_end = frame.window.end.timestamp_millis();
        let usable = series
            .iter()
            .flat_map(|s| s.timestamps.iter().zip(&s.values))
            .filter(|(t, v)| **t <= window_end && v.is_finite())
            .map(|(t, _)| *t);
        let (first, last) = usable.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
        DataHorizon { first, last, window_end }
    }
}

/// One series made regular: sorted, bounded, additive gaps counted as zero.
struct Prepared {
    times: Vec<i64>,
    values: Vec<f64>,
    /// True where there was no datapoint and an additive statistic was counted as zero.
    filled: Vec<bool>,
    period_ms: i64,
    additive: bool,
    /// Whole numbers only (counts, concurrency): a change by one is the smallest there is.
    integral: bool,
    /// For a non-additive series that went silent while the others kept reporting: for how long.
    silent_for_ms: Option<i64>,
}

impl Prepared {
    /// None when the series has no usable datapoint.
    fn of(series: &MetricSeries, horizon: &DataHorizon) -> Option<Prepared> {
        let mut points: Vec<(i64, f64)> = series
            .timestamps
            .iter()
            .zip(&series.values)
            .filter(|(t, v)| {
                v.is_finite() && **t <= horizon.window_end && DateTime::from_timestamp_millis(**t).is_some()
            })
            .map(|(t, v)| (*t, *v))
            .collect();
        points.sort_by_key(|(t, _)| *t);
        points.dedup_by_key(|(t, _)| *t);
        if points.is_empty() {
            return None;
        }
        let period_ms = period_ms(series.period, &points);
        let additive = ["Sum", "SampleCount"].iter().any(|s| series.stat.eq_ignore_ascii_case(s));
        let integral = points.iter().all(|(_, v)| v.fract() == 0.0);
        let mut prepared = if additive {
            Prepared { integral, ..Prepared::filled(&points, period_ms, horizon) }
        } else {
            let silent_for_ms = went_silent(&points, period_ms, horizon.last);
            Prepared {
                times: points.iter().map(|p| p.0).collect(),
                values: points.iter().map(|p| p.1).collect(),
                filled: vec![false; points.len()],
                period_ms,
                additive,
                integral,
                silent_for_ms,
            }
        };
        prepared.keep_latest(MAX_POINTS);
        Some(prepared)
    }

    /// A regular grid from the first to the last datapoint of all series, zero where this one has none.
    fn filled(points: &[(i64, f64)], period_ms: i64, horizon: &DataHorizon) -> Prepared {
        let (first, last) = (points[0].0, points[points.len() - 1].0);
        let max_steps = MAX_POINTS as i64;
        let lead_steps = ((first - horizon.first) / period_ms).clamp(0, max_steps);
        let tail_steps = ((horizon.last - last) / period_ms).clamp(0, max_steps);
        let mut prepared = Prepared {
            times: Vec::new(),
            values: Vec::new(),
            filled: Vec::new(),
            period_ms,
            additive: true,
            integral: false,
            silent_for_ms: None,
        };
        let push = |prepared: &mut Prepared, time: i64, value: f64, filled: bool| {
            prepared.times.push(time);
            prepared.values.push(value);
            prepared.filled.push(filled);
        };
        for step in (1..=lead_steps).rev() {
            push(&mut prepared, first - step * period_ms, 0.0, true);
        }
        let mut previous: Option<i64> = None;
        for (time, value) in points {
            if let Some(previous) = previous {
                let mut gap_time = previous + period_ms;
                while gap_time + period_ms / 2 < *time && prepared.times.len() < 4 * MAX_POINTS {
                    push(&mut prepared, gap_time, 0.0, true);
                    gap_time += period_ms;
                }
            }
            push(&mut prepared, *time, *value, false);
            previous = Some(*time);
        }
        for step in 1..=tail_steps {
            push(&mut prepared, last + step * period_ms, 0.0, true);
        }
        prepared
    }

    fn keep_latest(&mut self, max: usize) {
        let excess = self.values.len().saturating_sub(max);
        self.times.drain(..excess);
        self.values.drain(..excess);
        self.filled.drain(..excess);
    }

    fn time(&self, index: usize) -> DateTime<Utc> {
        let millis = match self.times.get(index) {
            Some(t) => *t,
            None => self.times.last().copied().unwrap_or_default() + self.period_ms,
        };
        DateTime::from_timestamp_millis(millis).unwrap_or_default()
    }

    /// The datapoint as it was recorded, or "-" where an additive series had none.
    fn value_text(&self, index: usize) -> String {
        if self.filled[index] { "-".to_string() } else { self.values[index].to_string() }
    }
}

/// The series' period, or the typical spacing of its datapoints when the period is unknown.
fn period_ms(period_seconds: u32, points: &[(i64, f64)]) -> i64 {
    if period_seconds > 0 {
        return i64::from(period_seconds) * 1_000;
    }
    let mut gaps: Vec<f64> = points.windows(2).map(|w| (w[1].0 - w[0].0) as f64).filter(|g| *g > 0.0).collect();
    if gaps.is_empty() {
        return 60_000;
    }
    sort(&mut gaps);
    (quantile(&gaps, 0.5) as i64).max(1_000)
}

/// How long a series has been silent, when it fell silent long before the others stopped.
fn went_silent(points: &[(i64, f64)], period_ms: i64, horizon_last: i64) -> Option<i64> {
    let last = points[points.len() - 1].0;
    let mut gaps: Vec<f64> = points.windows(2).map(|w| (w[1].0 - w[0].0) as f64).collect();
    if gaps.len() + 1 < MIN_POINTS {
        return None;
    }
    sort(&mut gaps);
    let usual_gap = quantile(&gaps, 0.9) as i64;
    let silence = horizon_last - last;
    (silence >= (SILENT_MIN_PERIODS * period_ms).max(3 * usual_gap)).then_some(silence)
}

/// What is normal for a series: its median and noise scale.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Baseline {
    median: f64,
    scale: f64,
}

impl Baseline {
    fn of(values: &[f64], additive: bool) -> Baseline {
        let mut sorted = values.to_vec();
        sort(&mut sorted);
        let median = quantile(&sorted, 0.5);
        let mut deviations: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
        sort(&mut deviations);
        // Capped or bursty series (half their points on one value, the rest spread wide) have a tiny MAD; the
        // standard deviation of the middle 80% of the points sees their real spread yet ignores rare outliers.
        let robust_scale = (1.4826 * quantile(&deviations, 0.5)).max(trimmed_scale(&sorted));
        // Mostly-constant series have a zero MAD; their mean deviation still tells how often they stray.
        let spread = if robust_scale > 0.0 {
            robust_scale
        } else {
            1.2533 * deviations.iter().sum::<f64>() / deviations.len().max(1) as f64
        };
        // Counts are at least as noisy as a Poisson process with the same mean.
        let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
        let floor = if additive { mean.abs().sqrt().max(COUNT_NOISE_FLOOR) } else { (1e-3 * median.abs()).max(1e-9) };
        Baseline { median, scale: spread.max(floor) }
    }

    /// Signed distance from the baseline in noise scales.
    fn z(&self, value: f64) -> f64 {
        (value - self.median) / self.scale
    }
}

/// The standard deviation of the middle 80% of sorted values, scaled to estimate a normal distribution's sigma.
fn trimmed_scale(sorted: &[f64]) -> f64 {
    let trim = sorted.len() / 10;
    let middle = &sorted[trim..sorted.len() - trim];
    if middle.len() < 3 {
        return 0.0;
    }
    let mean = middle.iter().sum::<f64>() / middle.len() as f64;
    let variance = middle.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (middle.len() - 1) as f64;
    // A normal distribution cut at its 10% tails keeps 0.66 of its standard deviation.
    let consistency = if trim > 0 { 0.6616 } else { 1.0 };
    variance.sqrt() / consistency
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Spike,
    LevelShiftUp,
    LevelShiftDown,
    DropToZero,
    TrendUp,
    Flatline,
}

impl Shape {
    fn as_str(self) -> &'static str {
        match self {
            Shape::Spike => "spike",
            Shape::LevelShiftUp => "levelShiftUp",
            Shape::LevelShiftDown => "levelShiftDown",
            Shape::DropToZero => "dropToZero",
            Shape::TrendUp => "trendUp",
            Shape::Flatline => "flatline",
        }
    }
}

/// One departure from the baseline.
#[derive(Debug, Clone, PartialEq)]
struct Episode {
    /// Index of the first datapoint that moved (the series' length for a series that went silent).
    onset: usize,
    /// Index of the first datapoint back to normal, when the series recovered within the data.
    recovered: Option<usize>,
    /// +1 up, -1 down, 0 for a flatline.
    direction: f64,
    shape: Shape,
    baseline: Baseline,
    /// The typical value during the episode (its median), and the most extreme one (none when silent).
    level: f64,
    peak: Option<f64>,
    /// A percentage that reached its ceiling and stayed there (a disk 100% used).
    at_ceiling: bool,
}

impl Episode {
    fn points(&self, len: usize) -> usize {
        self.recovered.unwrap_or(len).saturating_sub(self.onset)
    }

    /// A spike of one datapoint that was gone at the next one: a healthy blip unless something else agrees.
    fn is_blip(&self) -> bool {
        self.shape == Shape::Spike && self.recovered == Some(self.onset + 1)
    }

    /// How much the shape itself says: a lone recovered spike says little, a change still going on says the most.
    fn shape_factor(&self) -> f64 {
        match (self.shape, self.recovered) {
            (Shape::Spike, Some(_)) if self.is_blip() => 0.25,
            (Shape::Spike, Some(_)) => 0.4,
            (Shape::Spike, None) => 0.7,
            (_, Some(_)) => 0.7,
            (_, None) => 1.0,
        }
    }
}

/// Every departure from the baseline in a prepared series, in time order.
fn episodes(prepared: &Prepared) -> Vec<Episode> {
    let values = &prepared.values;
    let len = values.len();
    let mut disturbed = vec![false; len];
    let mut found = Vec::new();
    let mut index = MIN_BASELINE_POINTS;
    let mut normal: Option<Normal> = None;
    while index < len {
        if normal.as_ref().is_none_or(|n| index - n.since > n.history.len() / BASELINE_REFRESH_SHARE) {
            normal = Normal::before(values, index, &disturbed, prepared.additive);
        }
        let Some(direction) = normal.as_ref().and_then(|n| change_starts_at(values, index, n)) else {
            index += 1;
            continue;
        };
        let Some(Normal { baseline, .. }) = normal.take() else { break };
        let first_moved = first_on_new_level(values, index, direction, &baseline);
        let onset = walk_back_onset(values, first_moved, direction, &baseline, &disturbed);
        let recovered = recovery(values, first_moved, direction, &baseline);
        let end = recovered.unwrap_or(len);
        disturbed[onset..end].iter_mut().for_each(|d| *d = true);
        found.push(classify(&values[onset..end], onset, recovered, direction, baseline));
        match recovered {
            Some(next) => index = next,
            None => {
                found.extend(step_after_drift(prepared, onset, direction));
                break;
            }
        }
    }
    if found.is_empty() {
        found.extend(flat_tail(prepared));
    }
    let ongoing = found.last().is_some_and(|e| e.recovered.is_none());
    if prepared.silent_for_ms.is_some() && !ongoing {
        let tail: Vec<f64> = values.iter().rev().take(MAX_BASELINE_POINTS).copied().collect();
        let baseline = Baseline::of(&tail, prepared.additive);
        let level = values[len - 1];
        found.push(Episode {
            onset: len,
            recovered: None,
            direction: 0.0,
            shape: Shape::Flatline,
            baseline,
            level,
            peak: None,
            at_ceiling: false,
        });
    }
    found
}

/// What the series looked like before a candidate onset: its latest undisturbed datapoints, their baseline, and how
/// far the median of a level-shift window wanders among them.
struct Normal {
    since: usize,
    history: Vec<f64>,
    baseline: Baseline,
    median_spread: f64,
}

impl Normal {
    fn before(values: &[f64], index: usize, disturbed: &[bool], additive: bool) -> Option<Normal> {
        let history: Vec<f64> =
            (0..index).rev().filter(|i| !disturbed[*i]).take(MAX_BASELINE_POINTS).map(|i| values[i]).collect();
        if history.len() < MIN_BASELINE_POINTS {
            return None;
        }
        let baseline = Baseline::of(&history, additive);
        let median_spread = rolling_median_spread(&history, LEVEL_WINDOW);
        Some(Normal { since: index, history, baseline, median_spread })
    }
}

/// The direction of a change that starts at `index`, if one does: an outlier, or the first datapoint of a run whose
/// median moved by several standard errors or whose every datapoint lies where the baseline rarely goes.
fn change_starts_at(values: &[f64], index: usize, normal: &Normal) -> Option<f64> {
    let Normal { history, baseline, .. } = normal;
    let z = baseline.z(values[index]);
    let direction = z.signum();
    // Moved: a noise scale away, or somewhere the baseline seldom goes (a zero in a noisy count, say).
    let rare = tail_probability(values[index], direction, history) <= MOVED_TAIL_PROBABILITY;
    if z == 0.0 || (z.abs() < MOVED_SCALES && !rare) {
        return None;
    }
    if z.abs() >= OUTLIER_SCALES {
        return Some(direction);
    }
    let window = &values[index..(index + LEVEL_WINDOW).min(values.len())];
    if window.len() < LEVEL_MIN_WINDOW {
        return None;
    }
    // Medians of skewed or bursty series wander more than a Gaussian's: take the larger of the textbook standard
    // error and the spread of the baseline's own rolling medians (narrower windows wander more).
    let textbook = 1.2533 * baseline.scale / (window.len() as f64).sqrt();
    let observed = normal.median_spread * (LEVEL_WINDOW as f64 / window.len() as f64).sqrt();
    let shift = (median(window) - baseline.median) / textbook.max(observed);
    let moved = window.iter().filter(|v| baseline.z(**v) * direction >= MOVED_SCALES).count();
    let shifted = shift * direction >= LEVEL_STANDARD_ERRORS && moved * 3 >= window.len() * 2;
    (shifted || rare_run(window, direction, history)).then_some(direction)
}

/// The spread (scaled MAD) of the medians of `width` consecutive baseline datapoints; 0 when too short to tell.
fn rolling_median_spread(history: &[f64], width: usize) -> f64 {
    if history.len() < 2 * width {
        return 0.0;
    }
    let mut buffer = Vec::with_capacity(width);
    let mut medians: Vec<f64> = history
        .windows(width)
        .map(|w| {
            buffer.clear();
            buffer.extend_from_slice(w);
            sort(&mut buffer);
            quantile(&buffer, 0.5)
        })
        .collect();
    sort(&mut medians);
    let center = quantile(&medians, 0.5);
    let mut deviations: Vec<f64> = medians.iter().map(|m| (m - center).abs()).collect();
    sort(&mut deviations);
    1.4826 * quantile(&deviations, 0.5)
}

/// True when every datapoint of the run lies beyond its least extreme one, which the baseline reaches so rarely that
/// a whole run there is implausible (a distribution-free test that suits bursty counts and drops to zero).
fn rare_run(window: &[f64], direction: f64, history: &[f64]) -> bool {
    let least_extreme = window.iter().map(|v| v * direction).fold(f64::INFINITY, f64::min) * direction;
    tail_probability(least_extreme, direction, history).powi(window.len() as i32) <= RUN_PROBABILITY
}

/// How often the baseline reached `value` or beyond in `direction` (smoothed so that never is not impossible).
fn tail_probability(value: f64, direction: f64, history: &[f64]) -> f64 {
    let reached = history.iter().filter(|v| **v * direction >= value * direction).count();
    (reached as f64 + 1.0) / (history.len() as f64 + 2.0)
}

/// A move still going on that began as a mild drift and then stepped much further within a few datapoints (requests
/// creeping up for an hour, then quadrupling in three minutes): the step is an episode of its own, against the
/// drifted level.
fn step_after_drift(prepared: &Prepared, onset: usize, direction: f64) -> Option<Episode> {
    let values = &prepared.values;
    let len = values.len();
    if len < onset + 3 * LEVEL_WINDOW {
        return None;
    }
    let (early, late) = (median(&values[onset..onset + LEVEL_WINDOW]), median(&values[len - LEVEL_WINDOW..]));
    let gap = (late - early) * direction;
    let reach = |fraction: f64| early + direction * gap * fraction;
    // The last datapoint still near the drifted level, and the first one near the late level after it.
    let left = (onset..len).rev().find(|&i| (values[i] - reach(STEP_NEAR)) * direction <= 0.0)?;
    let arrived = (left + 1..len).find(|&i| (values[i] - reach(1.0 - STEP_NEAR)) * direction >= 0.0)?;
    let drifted = &values[left.saturating_sub(MAX_BASELINE_POINTS).max(onset)..left];
    if drifted.len() < LEVEL_WINDOW {
        return None;
    }
    let baseline = Baseline::of(drifted, prepared.additive);
    // The step began with the first datapoint clearly off the drifted level.
    let start = if baseline.z(values[left]) * direction >= WALK_BACK_SCALES { left } else { left + 1 };
    let step = gap > 0.0 && arrived - left <= STEP_MAX_POINTS && baseline.z(late) * direction >= OUTLIER_SCALES;
    step.then(|| classify(&values[start..], start, None, direction, baseline))
}

/// The first datapoint from `index` that is nearer the new level than the baseline: a level-shift test fires as soon
/// as its window reaches the new level, possibly a few noisy datapoints early.
fn first_on_new_level(values: &[f64], index: usize, direction: f64, baseline: &Baseline) -> usize {
    if baseline.z(values[index]).abs() >= OUTLIER_SCALES {
        return index;
    }
    let window = &values[index..(index + LEVEL_WINDOW).min(values.len())];
    let midway = (baseline.median + median(window)) / 2.0;
    window.iter().position(|v| (v - midway) * direction >= 0.0).map_or(index, |offset| index + offset)
}

/// The onset refined backwards over datapoints that had already moved the same way (as a CUSUM would).
fn walk_back_onset(values: &[f64], index: usize, direction: f64, baseline: &Baseline, disturbed: &[bool]) -> usize {
    let mut onset = index;
    while onset > 0 && !disturbed[onset - 1] && baseline.z(values[onset - 1]) * direction >= WALK_BACK_SCALES {
        onset -= 1;
    }
    onset
}

/// The first datapoint after `index` from which the series is back to normal, if any: the datapoint itself and the
/// median of the run it starts are both back near the baseline.
fn recovery(values: &[f64], index: usize, direction: f64, baseline: &Baseline) -> Option<usize> {
    (index + 1..values.len()).find(|j| {
        let run = &values[*j..(*j + LEVEL_WINDOW).min(values.len())];
        baseline.z(values[*j]) * direction < MOVED_SCALES && baseline.z(median(run)) * direction < BACK_SCALES
    })
}

fn classify(during: &[f64], onset: usize, recovered: Option<usize>, direction: f64, baseline: Baseline) -> Episode {
    let mut sorted = during.to_vec();
    sort(&mut sorted);
    let level = quantile(&sorted, 0.5);
    let peak = if direction > 0.0 { sorted.last() } else { sorted.first() }.copied();
    let too_short_for_a_level = during.len() <= SPIKE_MAX_POINTS && recovered.is_some();
    let cut_short_by_the_end = recovered.is_none() && during.len() < LEVEL_MIN_WINDOW;
    let shape = if too_short_for_a_level || cut_short_by_the_end {
        Shape::Spike
    } else if direction < 0.0 && baseline.median > 0.0 && level == 0.0 {
        Shape::DropToZero
    } else if direction > 0.0 && rises_steadily(during) {
        Shape::TrendUp
    } else if direction > 0.0 {
        Shape::LevelShiftUp
    } else {
        Shape::LevelShiftDown
    };
    // A count that fell to zero fell when its zeros began, and a shift began with the first datapoint clearly off
    // the old level (as far as a walk back would reach): the datapoints before were the old level's noise (a test
    // window that straddles a step fires a few datapoints early).
    let onset = onset
        + match shape {
            Shape::DropToZero => during.iter().position(|v| *v == 0.0).unwrap_or(0),
            Shape::LevelShiftUp | Shape::LevelShiftDown => {
                during.iter().position(|v| baseline.z(*v) * direction >= WALK_BACK_SCALES).unwrap_or(0)
            }
            _ => 0,
        };
    Episode { onset, recovered, direction, shape, baseline, level, peak, at_ceiling: false }
}

/// A ramp rather than a step: the values keep rising (Kendall's tau over the episode).
fn rises_steadily(during: &[f64]) -> bool {
    let during = &during[during.len().saturating_sub(MAX_BASELINE_POINTS)..];
    if during.len() < TREND_MIN_POINTS {
        return false;
    }
    let mut balance = 0i64;
    for (i, earlier) in during.iter().enumerate() {
        for later in &during[i + 1..] {
            balance += match later.total_cmp(earlier) {
                std::cmp::Ordering::Greater => 1,
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
            };
        }
    }
    let pairs = (during.len() * (during.len() - 1) / 2) as f64;
    balance as f64 / pairs >= TREND_MIN_TAU
}

/// A series that varied at nearly every datapoint and then repeats one value to the end went flat (stuck).
fn flat_tail(prepared: &Prepared) -> Option<Episode> {
    let values = &prepared.values;
    let last = *values.last()?;
    let run_start = values.iter().rposition(|v| *v != last).map_or(0, |i| i + 1);
    if values.len() - run_start < FLAT_MIN_RUN || run_start < MIN_BASELINE_POINTS {
        return None;
    }
    let before = &values[run_start.saturating_sub(MAX_BASELINE_POINTS)..run_start];
    let changes = before.windows(2).filter(|w| w[0] != w[1]).count();
    if (changes as f64) < FLAT_MIN_CHANGE_RATIO * (before.len() - 1) as f64 {
        return None;
    }
    let baseline = Baseline::of(before, prepared.additive);
    let shape = if last == 0.0 && baseline.median > 0.0 { Shape::DropToZero } else { Shape::Flatline };
    let direction = if shape == Shape::DropToZero { -1.0 } else { 0.0 };
    Some(Episode {
        onset: run_start,
        recovered: None,
        direction,
        shape,
        baseline,
        level: last,
        peak: Some(last),
        at_ceiling: false,
    })
}

/// A percentage that climbed to its ceiling and stays there (a broker's disk creeping up to 100% used): however
/// slowly it got there, reaching it is the event. Its onset is the first datapoint at the ceiling.
fn pinned_at_ceiling(series: &MetricSeries, prepared: &Prepared) -> Option<Episode> {
    const CEILING: f64 = 99.0;
    const BELOW: f64 = 97.0;
    const MIN_AT_CEILING: usize = 3;
    let percent = series.unit.as_deref().is_some_and(|u| u.eq_ignore_ascii_case("Percent"))
        || series.metric_name.to_ascii_lowercase().contains("percent");
    let values = &prepared.values;
    let onset = values.iter().position(|v| *v >= CEILING)?;
    let after = &values[onset..];
    let held = after.iter().filter(|v| **v >= CEILING).count();
    let before = &values[onset.saturating_sub(MAX_BASELINE_POINTS)..onset];
    if !percent
        || held < MIN_AT_CEILING
        || (held as f64) < 0.9 * after.len() as f64
        || before.len() < MIN_BASELINE_POINTS
    {
        return None;
    }
    let baseline = Baseline::of(before, prepared.additive);
    (baseline.median < BELOW).then(|| Episode {
        onset,
        recovered: None,
        direction: 1.0,
        shape: Shape::LevelShiftUp,
        baseline,
        level: median(after),
        peak: after.iter().copied().reduce(f64::max),
        at_ceiling: true,
    })
}

/// What a metric is about, which decides what its moving means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Errors, faults, throttles, rejections: bad when they rise.
    Failure,
    /// Provisioned or desired capacity and limits: moving at all is a configuration change.
    Configuration,
    /// Free space, healthy hosts, credits: bad when they fall.
    Headroom,
    /// Latency, duration, age, backlog, utilisation: bad when they rise.
    Saturation,
    /// Invocations, requests, consumed capacity: a rise is demand, a fall is an upstream that stopped.
    Demand,
    Other,
}

/// The role of a metric, from generic words in its name (and a dead-letter queue among its dimension values).
fn role_of(series: &MetricSeries) -> Role {
    let name = series.metric_name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    let dead_letter = series.dimensions.values().any(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("dlq") || v.contains("deadletter") || v.contains("dead-letter")
    });
    if has(&[
        "error",
        "fault",
        "throttl",
        "5xx",
        "4xx",
        "fail",
        "reject",
        "timeout",
        "timedout",
        "deadletter",
        "spillover",
        "exceeded",
        "unhealthy",
        "denied",
        "dropped",
        "abort",
        "deadlock",
    ]) {
        Role::Failure
    } else if has(&["provisioned", "desired", "reserved", "maxsize", "minsize", "maxcapacity", "mincapacity"]) {
        Role::Configuration
    } else if has(&["free", "available", "healthyhost", "remaining", "balance", "credit"]) {
        Role::Headroom
    } else if dead_letter && has(&["message"]) {
        Role::Failure
    } else if has(&[
        "latency",
        "duration",
        "age",
        "lag",
        "cpu",
        "memory",
        "utilization",
        "depth",
        "backlog",
        "pending",
        "wait",
        "swap",
        "load",
        "approximatenumberofmessages",
        "concurrent",
    ]) {
        Role::Saturation
    } else if has(&[
        "invocation",
        "count",
        "request",
        "consumed",
        "incoming",
        "bytes",
        "records",
        "messages",
        "sent",
        "received",
        "connection",
        "hits",
        "calls",
        "events",
        "executions",
    ]) {
        Role::Demand
    } else {
        Role::Other
    }
}

/// How much a move of this kind of metric in this direction points at a problem.
fn weight(role: Role, direction: f64) -> f64 {
    let up = direction > 0.0;
    match role {
        Role::Configuration => 1.0,
        _ if direction == 0.0 => 0.7,
        Role::Failure if up => 1.0,
        Role::Saturation if up => 0.85,
        Role::Headroom if !up => 0.9,
        Role::Demand if up => 0.7,
        Role::Demand => 0.75,
        Role::Other => 0.6,
        Role::Failure | Role::Saturation | Role::Headroom => 0.3,
    }
}

/// The series' strongest episode with its scores; `score` gets its timing factor in `rank`.
struct Anomaly<'a> {
    series: &'a MetricSeries,
    prepared: Prepared,
    episode: Episode,
    onset: DateTime<Utc>,
    ended: Option<DateTime<Utc>>,
    component: String,
    /// Strength of the move times what its shape says, 0..=1.
    strength: f64,
    /// Strength weighted by what the metric's move means and by relevance; then by timing.
    score: f64,
}

fn strongest_anomaly<'a>(series: &'a MetricSeries, prepared: Prepared, frame: &AnalysisFrame) -> Option<Anomaly<'a>> {
    // Datapoints before the window serve as baseline; a move that was over before the window began is not news.
    let mut found = episodes(&prepared);
    found.extend(pinned_at_ceiling(series, &prepared));
    found.retain(|e| e.recovered.is_none_or(|back| prepared.time(back) >= frame.window.start));
    let role = role_of(series);
    let component = component_of(series);
    let relevance = relevance(&component, frame);
    let scored = found.iter().map(|e| {
        let strength = strength(e, &prepared) * e.shape_factor();
        (strength, strength * weight(role, e.direction) * relevance)
    });
    let (best, (strength, score)) = scored.enumerate().max_by(|a, b| a.1.1.total_cmp(&b.1.1))?;
    let episode = found[best].clone();
    let onset = prepared.time(episode.onset);
    let ended = episode.recovered.map(|i| prepared.time(i));
    Some(Anomaly { series, prepared, episode, onset, ended, component, strength, score })
}

/// How far and how clearly the series moved, 0..=1: a robust z-score and a relative change, both saturating.
fn strength(episode: &Episode, prepared: &Prepared) -> f64 {
    const CEILING_STRENGTH: f64 = 0.9;
    if episode.at_ceiling {
        return CEILING_STRENGTH;
    }
    let baseline = episode.baseline;
    match (episode.shape, episode.peak) {
        (Shape::Flatline, None) => {
            let silent_periods = prepared.silent_for_ms.unwrap_or_default() as f64 / prepared.period_ms.max(1) as f64;
            0.8 * (1.0 - (-silent_periods / SILENT_MIN_PERIODS as f64).exp())
        }
        (Shape::Flatline, Some(_)) => 0.5,
        (shape, peak) => {
            // A spike is judged by its peak against the noise of one datapoint; a lasting change by its level against
            // the standard error of a run of datapoints.
            let (value, noise) = if shape == Shape::Spike {
                (peak.unwrap_or(episode.level), baseline.scale)
            } else {
                let run = episode.points(prepared.values.len()).clamp(1, LEVEL_WINDOW) as f64;
                (episode.level, baseline.scale / run.sqrt())
            };
            let z_part = 1.0 - (-((value - baseline.median) / noise).abs() / Z_SATURATION).exp();
            // Relative change of counts is judged from one event up, so 0 → 1 is not an infinite change.
            let offset = if prepared.additive || prepared.integral { 1.0 } else { baseline.scale };
            let log_ratio = ((value.abs() + offset) / (baseline.median.abs() + offset)).ln().abs();
            z_part * (1.0 - (-log_ratio / LOG_RATIO_SATURATION).exp())
        }
    }
}

/// Findings about resources known to be in play rank slightly above the rest.
fn relevance(component: &str, frame: &AnalysisFrame) -> f64 {
    let known = |r: &String| {
        let (r, c) = (r.to_ascii_lowercase(), component.to_ascii_lowercase());
        !r.is_empty() && (r == c || c.contains(&r) || r.contains(&c))
    };
    if frame.resources.is_empty() || frame.resources.iter().any(known) { 1.0 } else { 0.9 }
}

/// Causes move before symptoms: among the significant anomalies, the earliest movers rank higher, and anything
/// that started after the problem was noticed ranks lower.
fn rank(anomalies: &mut [Anomaly], frame: &AnalysisFrame) {
    let grace = |a: &Anomaly| Duration::milliseconds(2 * a.prepared.period_ms).max(Duration::minutes(2));
    let significant: Vec<DateTime<Utc>> = anomalies
        .iter()
        .filter(|a| a.strength >= SIGNIFICANT_STRENGTH && a.onset <= frame.noticed_at + grace(a))
        .map(|a| a.onset)
        .collect();
    let latest = significant.iter().max().copied();
    let earliest = significant.iter().min().copied();
    for anomaly in anomalies {
        let timing = if anomaly.onset > frame.noticed_at + grace(anomaly) {
            0.7
        } else if let (Some(latest), Some(earliest), true) =
            (latest, earliest, anomaly.strength >= SIGNIFICANT_STRENGTH)
        {
            let span = (latest - earliest).max(Duration::minutes(EARLINESS_MIN_SPAN_MINUTES));
            let ahead = (latest - anomaly.onset).num_seconds() as f64 / span.num_seconds().max(1) as f64;
            0.8 + 0.2 * ahead.clamp(0.0, 1.0)
        } else {
            0.8
        };
        anomaly.score = (anomaly.score * timing).clamp(0.0, 1.0);
    }
}

impl Anomaly<'_> {
    fn finding(&self, frame: &AnalysisFrame) -> Finding {
        let e = &self.episode;
        let mut attrs = std::collections::BTreeMap::new();
        attrs.insert(attr::METRIC_NAME.to_string(), self.series.metric_name.clone());
        attrs.insert(attr::NAMESPACE.to_string(), self.series.namespace.clone());
        attrs.insert(attr::SHAPE.to_string(), e.shape.as_str().to_string());
        attrs.insert(attr::BASELINE.to_string(), number(e.baseline.median));
        attrs.insert(attr::PEAK.to_string(), e.peak.map_or_else(|| "no data".to_string(), number));
        attrs.insert(attr::NEW_LEVEL.to_string(), number(e.level));
        let values = &self.prepared.values;
        let during = e.onset..e.recovered.unwrap_or(values.len()).min(values.len());
        if let Some(at) = e.peak.and_then(|peak| during.clone().find(|&i| values[i] == peak)) {
            attrs.insert(attr::PEAK_AT.to_string(), self.prepared.time(at).to_rfc3339());
        }
        if let Some(ended) = self.ended {
            attrs.insert(attr::ENDED_AT.to_string(), ended.to_rfc3339());
        }
        Finding {
            source: EvidenceSource::Metrics,
            kind: FindingKind::MetricAnomaly,
            component: self.component.clone(),
            time: Some(self.onset),
            score: self.score,
            summary: self.summary(frame),
            excerpt: self.excerpt(),
            reference: metric_id(self.series),
            attrs,
        }
    }

    fn summary(&self, frame: &AnalysisFrame) -> String {
        let e = &self.episode;
        let movement = match e.peak {
            None => format!("stopped reporting (last {})", number(e.level)),
            Some(peak) if matches!(e.shape, Shape::Spike | Shape::Flatline | Shape::DropToZero) => {
                format!("{} → {}", number(e.baseline.median), number(peak))
            }
            Some(peak) => {
                let extreme = if e.direction < 0.0 { "lowest" } else { "peak" };
                format!("{} → {} ({extreme} {})", number(e.baseline.median), number(e.level), number(peak))
            }
        };
        let end = match self.ended {
            Some(ended) if e.is_blip() => format!("blip, back at {}", clock(ended)),
            Some(ended) => format!("back to normal at {}", clock(ended)),
            None => "ongoing".to_string(),
        };
        format!(
            "{} {} of {} at {} ({}): {movement}; {end}",
            self.series.metric_name,
            e.shape.as_str(),
            self.component,
            clock(self.onset),
            lead(self.onset, frame.noticed_at),
        )
    }

    /// The datapoints around the onset (and the return to normal), copied from the series.
    fn excerpt(&self) -> String {
        let p = &self.prepared;
        let len = p.values.len();
        let from = self.episode.onset.saturating_sub(3);
        let to = (self.episode.onset + 5).min(len);
        let mut items: Vec<String> = (from..to).map(|i| format!("{} {}", clock(p.time(i)), p.value_text(i))).collect();
        if let Some(back) = self.episode.recovered.filter(|b| *b >= to) {
            items.push("…".to_string());
            items.extend((back.saturating_sub(1)..=back).map(|i| format!("{} {}", clock(p.time(i)), p.value_text(i))));
        }
        if self.episode.peak.is_none() {
            items.push(format!("then no datapoints (from {})", clock(self.onset)));
        }
        let mut excerpt = items.join(", ");
        if p.filled.iter().any(|f| *f) && excerpt.contains(" -") {
            excerpt.push_str(" (- = no datapoint, counted as 0)");
        }
        excerpt
    }

    fn line(&self, frame: &AnalysisFrame) -> String {
        format!("{:.2} {} [{}]", self.score, self.summary(frame), metric_id(self.series))
    }
}

struct Counts {
    examined: usize,
    no_data: usize,
    too_short: usize,
    quiet: usize,
}

fn digest_text(
    anomalies: &[Anomaly],
    no_data: &[&MetricSeries],
    counts: &Counts,
    frame: &AnalysisFrame,
    blob_ref: &str,
) -> String {
    let mut lines = vec![format!(
        "Metrics: {} series examined ({} without data, {} too short to judge, {} without change); window {}–{} UTC, \
         noticed {}.",
        counts.examined,
        counts.no_data,
        counts.too_short,
        counts.quiet,
        clock(frame.window.start),
        clock(frame.window.end),
        clock(frame.noticed_at),
    )];
    if !blob_ref.is_empty() {
        lines.push(format!("Raw series: {blob_ref}"));
    }
    let (blips, moves): (Vec<&Anomaly>, Vec<&Anomaly>) = anomalies.iter().partition(|a| a.episode.is_blip());
    if moves.is_empty() {
        lines.push("No lasting change in any series.".to_string());
    } else {
        lines.push(format!("{} series moved, strongest first (score, what, when, baseline → level):", moves.len()));
        lines.extend(
            moves.iter().take(TEXT_ANOMALIES).enumerate().map(|(i, a)| format!("{}. {}", i + 1, a.line(frame))),
        );
        if moves.len() > TEXT_ANOMALIES {
            lines.push(format!("… and {} weaker.", moves.len() - TEXT_ANOMALIES));
        }
    }
    if !blips.is_empty() {
        let names: Vec<String> = blips
            .iter()
            .take(TEXT_NAMES)
            .map(|a| {
                let peak = a.episode.peak.map_or_else(String::new, number);
                format!("{} of {} at {} ({peak})", a.series.metric_name, a.component, clock(a.onset))
            })
            .collect();
        let more = blips.len().saturating_sub(TEXT_NAMES);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        lines.push(format!(
            "Single-datapoint blips, recovered at once (weak on their own): {}{more}.",
            names.join("; ")
        ));
    }
    if !no_data.is_empty() {
        let names: Vec<String> = no_data.iter().take(TEXT_NAMES).map(|s| metric_id(s)).collect();
        let more = no_data.len().saturating_sub(TEXT_NAMES);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        lines.push(format!("No datapoints in the window: {}{more}.", names.join("; ")));
    }
    let mut text = String::new();
    for line in lines {
        let line = budget::clip(&line, 400);
        if text.chars().count() + line.chars().count() + 1 > budget::DIGEST_TEXT_CHARS {
            break;
        }
        text.push_str(&line);
        text.push('\n');
    }
    text.trim_end().to_string()
}

/// The resource a metric is about: the most specific resource dimension.
fn component_of(series: &MetricSeries) -> String {
    // Most specific first; a dimension not listed here and not a qualifier is used when none of these is present.
    const RESOURCE_DIMENSIONS: &[&str] = &[
        "FunctionName",
        "TableName",
        "QueueName",
        "TopicName",
        "StreamName",
        "DeliveryStreamName",
        "StateMachineArn",
        // An EventBridge rule's metrics name its bus too; the rule is the resource.
        "RuleName",
        "DBInstanceIdentifier",
        "DBClusterIdentifier",
        "CacheClusterId",
        "ReplicationGroupId",
        "ServiceName",
        "TargetGroup",
        "LoadBalancer",
        "LoadBalancerName",
        "ApiName",
        "ApiId",
        "BucketName",
        "DomainName",
        "AutoScalingGroupName",
        "InstanceId",
        "ClusterName",
        // Amazon MSK spells it with a space; its `Broker ID` is a number within the cluster.
        "Cluster Name",
        "NatGatewayId",
        // AWS WAF counts per web ACL and rule; the web ACL is the resource (its `Rule` may be `ALL`).
        "WebACL",
        "VpcId",
    ];
    // Dimensions that narrow a metric (by operation, stage, zone...) without naming a resource.
    const QUALIFIERS: &[&str] = &[
        "Operation",
        "Stage",
        "Method",
        "Resource",
        "StatusCode",
        "AvailabilityZone",
        "Region",
        "ReceivingRegion",
        "Protocol",
        "Type",
        "StorageType",
        "ExecutedVersion",
        "Version",
        "Alias",
        // The deployment environment a custom metric is published for (`Environment=prod`) is not the resource.
        "Environment",
        "Env",
    ];
    let named = RESOURCE_DIMENSIONS.iter().find_map(|d| series.dimensions.get(*d));
    // A bare number (a broker's or shard's) names no resource on its own.
    let other = || {
        series
            .dimensions
            .iter()
            .find(|(k, v)| !QUALIFIERS.contains(&k.as_str()) && !v.chars().all(|c| c.is_ascii_digit()))
            .map(|(_, v)| v)
    };
    match named.or_else(other) {
        Some(value) if !value.is_empty() => resource_name(value),
        _ => series.namespace.clone(),
    }
}

/// An ARN reduced to the resource's own name; other values unchanged.
pub(super) fn resource_name(value: &str) -> String {
    if value.starts_with("arn:") {
        return value.rsplit([':', '/']).find(|s| !s.is_empty()).unwrap_or(value).to_string();
    }
    // Load balancer and target group dimensions: `app/orders-alb/50dc6c495c0c9188`, `targetgroup/orders-tg/73e2d6bc`.
    let parts: Vec<&str> = value.split('/').collect();
    if parts.len() == 3 && matches!(parts[0], "app" | "net" | "gwy" | "targetgroup") && !parts[1].is_empty() {
        return parts[1].to_string();
    }
    value.to_string()
}

/// `AWS/DynamoDB ThrottledRequests TableName=orders Sum 60s`.
fn metric_id(series: &MetricSeries) -> String {
    let mut id = format!("{} {}", series.namespace, series.metric_name);
    for (key, value) in &series.dimensions {
        id.push_str(&format!(" {key}={value}"));
    }
    if !series.stat.is_empty() {
        id.push_str(&format!(" {}", series.stat));
    }
    if series.period > 0 {
        id.push_str(&format!(" {}s", series.period));
    }
    id
}

fn lead(onset: DateTime<Utc>, noticed: DateTime<Utc>) -> String {
    let minutes = (noticed - onset).num_minutes();
    if minutes >= 0 { format!("{minutes} min before noticed") } else { format!("{} min after noticed", -minutes) }
}

fn clock(time: DateTime<Utc>) -> String {
    time.format("%H:%M").to_string()
}

/// A computed number, short: at most three decimals, no trailing zeros.
fn number(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

/// Sorts in place; NaN cannot occur (non-finite values are dropped on the way in) but would sort last.
pub(super) fn sort(values: &mut [f64]) {
    values.sort_by(f64::total_cmp);
}

/// The median of values in any order.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sort(&mut sorted);
    quantile(&sorted, 0.5)
}

/// The `q` quantile (0..=1) of sorted values, interpolated; 0 when empty.
pub(super) fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        len => {
            let position = q.clamp(0.0, 1.0) * (len - 1) as f64;
            let below = position.floor() as usize;
            let above = (below + 1).min(len - 1);
            let fraction = position - below as f64;
            sorted[below] + (sorted[above] - sorted[below]) * fraction
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::TimeZone;

    use super::*;
    use crate::contract::Window;

    const MINUTE: i64 = 60_000;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).single().expect("valid time")
    }

    /// A 65-minute window with the problem noticed at minute 60.
    fn frame() -> AnalysisFrame {
        AnalysisFrame {
            window: Window { start: start(), end: start() + Duration::minutes(65) },
            noticed_at: start() + Duration::minutes(60),
            resources: vec![],
        }
    }

    /// Deterministic noise in -1..1 (a linear congruential generator), so tests do not flake.
    fn noise(seed: u64, len: usize) -> Vec<f64> {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((state >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
            })
            .collect()
    }

    fn series(namespace: &str, name: &str, dims: &[(&str, &str)], stat: &str, values: &[f64]) -> MetricSeries {
        let base = start().timestamp_millis();
        MetricSeries {
            namespace: namespace.into(),
            metric_name: name.into(),
            dimensions: dims.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
            stat: stat.into(),
            period: 60,
            unit: None,
            timestamps: (0..values.len() as i64).map(|i| base + i * MINUTE).collect(),
            values: values.to_vec(),
        }
    }

    /// Errors of one function: zero for `quiet` minutes, then `level` per minute.
    fn errors(function: &str, quiet: usize, level: f64, total: usize) -> MetricSeries {
        let values: Vec<f64> = (0..total).map(|i| if i < quiet { 0.0 } else { level }).collect();
        series("AWS/Lambda", "Errors", &[("FunctionName", function)], "Sum", &values)
    }

    fn only(digest: &Digest) -> &Finding {
        assert_eq!(digest.findings.len(), 1, "expected exactly one finding, got {:#?}", digest.findings);
        &digest.findings[0]
    }

    fn at_minute(minute: i64) -> Option<DateTime<Utc>> {
        Some(start() + Duration::minutes(minute))
    }

    #[test]
    fn a_lasting_rise_is_a_level_shift_with_its_onset_and_the_numbers_around_it() {
        let digest = digest(&[errors("orders-api", 50, 5.0, 62)], &frame(), "");
        let finding = only(&digest);
        assert_eq!(finding.kind, FindingKind::MetricAnomaly);
        assert_eq!(finding.component, "orders-api");
        assert_eq!(finding.attr(attr::SHAPE), "levelShiftUp");
        assert_eq!(finding.attr(attr::BASELINE), "0");
        assert_eq!(finding.attr(attr::PEAK), "5");
        assert_eq!(finding.attr(attr::NEW_LEVEL), "5");
        assert_eq!(finding.attr(attr::ENDED_AT), "");
        assert_eq!(finding.time, at_minute(50));
        assert!(finding.excerpt.starts_with("10:47 0, 10:48 0, 10:49 0, 10:50 5"), "{}", finding.excerpt);
        assert_eq!(finding.reference, "AWS/Lambda Errors FunctionName=orders-api Sum 60s");
        assert!(finding.score > 0.6, "{}", finding.score);
        assert_eq!(digest.records, 1);
        assert!(digest.text.contains("levelShiftUp"), "{}", digest.text);
    }

    #[test]
    fn the_onset_is_walked_back_over_points_that_had_already_moved() {
        let mut values: Vec<f64> = noise(3, 62).iter().map(|n| 100.0 + 2.0 * n).collect();
        values[44] = 112.0; // started to move, not yet an outlier on its own
        values[45..].iter_mut().for_each(|v| *v += 60.0);
        let digest =
            digest(&[series("AWS/ApplicationELB", "TargetResponseTime", &[], "Average", &values)], &frame(), "");
        assert_eq!(only(&digest).time, at_minute(44));
    }

    #[test]
    fn a_step_dates_from_its_first_datapoint_clearly_off_the_old_level_not_the_noise_before_it() {
        // Noise a little above the median just before a sharp step must not pull the onset early.
        let mut values: Vec<f64> = noise(13, 62).iter().map(|n| 0.7 + 0.15 * n).collect();
        values[42..50].iter_mut().for_each(|v| *v = 0.82 + 0.02 * *v);
        values[50..].iter_mut().for_each(|v| *v += 3.3);
        let finding = digest_of_one(series("AWS/CloudFront", "4xxErrorRate", &[], "Average", &values));
        assert_eq!(finding.attr(attr::SHAPE), "levelShiftUp");
        assert_eq!(finding.time, at_minute(50));

        // A count falls when its zeros begin, though the last datapoints before were low already.
        let mut counts: Vec<f64> = noise(17, 62).iter().map(|n| (9.0 + 3.0 * n).round()).collect();
        counts[48..52].copy_from_slice(&[4.0, 4.0, 7.0, 4.0]);
        counts[52..].iter_mut().for_each(|v| *v = 0.0);
        let finding = digest_of_one(series("AWS/Events", "Invocations", &[("RuleName", "r")], "Sum", &counts));
        assert_eq!(finding.attr(attr::SHAPE), "dropToZero");
        assert_eq!(finding.time, at_minute(52));
    }

    #[test]
    fn a_step_after_a_slow_drift_is_dated_and_sized_against_the_drifted_level() {
        // Requests creep up 8% over half an hour, then quadruple within three minutes.
        let values: Vec<f64> = noise(19, 62)
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let drift = if i >= 15 { (i.min(45) - 15) as f64 * 1.5 } else { 0.0 };
                let step = [0.0, 250.0, 900.0, 1500.0, 1800.0][i.saturating_sub(51).min(4)];
                500.0 + 5.0 * n + drift + step
            })
            .collect();
        let finding = digest_of_one(series("AWS/ApiGateway", "Count", &[("ApiName", "shop")], "Sum", &values));
        assert_eq!(finding.attr(attr::SHAPE), "levelShiftUp");
        assert_eq!(finding.time, at_minute(52));
        let baseline: f64 = finding.attr(attr::BASELINE).parse().unwrap();
        assert!((530.0..560.0).contains(&baseline), "{baseline}");
    }

    #[test]
    fn a_balance_that_ran_out_says_when_it_reached_zero() {
        let values: Vec<f64> = (0..62).map(|i| (60.0 - 2.0 * (i as f64 - 20.0).max(0.0)).max(0.0)).collect();
        let finding = digest_of_one(series("AWS/EBS", "BurstBalance", &[("VolumeId", "vol-1")], "Average", &values));
        assert_eq!(finding.attr(attr::PEAK), "0");
        assert_eq!(finding.attr(attr::PEAK_AT), (start() + Duration::minutes(50)).to_rfc3339());
    }

    #[test]
    fn a_single_datapoint_spike_that_recovers_at_once_is_a_weak_blip() {
        let mut values = vec![0.0; 62];
        values[58] = 6.0;
        let blip = series("AWS/ApiGateway", "5XXError", &[("ApiName", "shop")], "Sum", &values);
        let digest = digest(&[blip], &frame(), "");
        let finding = only(&digest);
        assert_eq!(finding.attr(attr::SHAPE), "spike");
        assert_eq!(finding.attr(attr::ENDED_AT), (start() + Duration::minutes(59)).to_rfc3339());
        assert!(finding.score < 0.3, "{}", finding.score);
        assert!(finding.summary.contains("blip"), "{}", finding.summary);
        assert!(digest.text.contains("blips"), "{}", digest.text);

        let lasting = digest_of_one(errors("shop", 58, 6.0, 62));
        assert!(lasting.score > 2.0 * finding.score, "{} vs {}", lasting.score, finding.score);
    }

    fn digest_of_one(series: MetricSeries) -> Finding {
        only(&digest(&[series], &frame(), "")).clone()
    }

    #[test]
    fn a_level_shift_that_ended_reports_when_it_ended_and_ranks_below_an_ongoing_one() {
        let values: Vec<f64> = (0..62).map(|i| if (40..48).contains(&i) { 7.0 } else { 0.0 }).collect();
        let ended = digest_of_one(series("AWS/Lambda", "Errors", &[("FunctionName", "a")], "Sum", &values));
        assert_eq!(ended.attr(attr::SHAPE), "levelShiftUp");
        assert_eq!(ended.attr(attr::ENDED_AT), (start() + Duration::minutes(48)).to_rfc3339());
        let ongoing = digest_of_one(errors("a", 40, 7.0, 62));
        assert!(ongoing.score > ended.score);
    }

    #[test]
    fn a_noisy_count_that_falls_to_nothing_is_a_drop_to_zero() {
        let values: Vec<f64> =
            noise(7, 62).iter().enumerate().map(|(i, n)| if i < 52 { (15.0 + 4.0 * n).round() } else { 0.0 }).collect();
        let finding = digest_of_one(series("AWS/Lambda", "Invocations", &[("FunctionName", "ingest")], "Sum", &values));
        assert_eq!(finding.attr(attr::SHAPE), "dropToZero");
        assert_eq!(finding.time, at_minute(52));
    }

    #[test]
    fn a_provisioned_capacity_cut_is_a_strong_level_shift_down() {
        let values: Vec<f64> = (0..62).map(|i| if i < 55 { 40.0 } else { 1.0 }).collect();
        let finding = digest_of_one(series(
            "AWS/DynamoDB",
            "ProvisionedWriteCapacityUnits",
            &[("TableName", "orders")],
            "Average",
            &values,
        ));
        assert_eq!(finding.attr(attr::SHAPE), "levelShiftDown");
        assert_eq!((finding.attr(attr::BASELINE), finding.attr(attr::PEAK)), ("40", "1"));
        assert_eq!(finding.component, "orders");
        assert!(finding.score > 0.7, "{}", finding.score);
    }

    #[test]
    fn a_steady_climb_is_a_trend() {
        let values: Vec<f64> = noise(11, 62)
            .iter()
            .enumerate()
            .map(|(i, n)| 30.0 + n + if i >= 40 { 4.0 * (i - 39) as f64 } else { 0.0 })
            .collect();
        let finding = digest_of_one(series("AWS/Lambda", "Duration", &[("FunctionName", "f")], "Average", &values));
        assert_eq!(finding.attr(attr::SHAPE), "trendUp");
    }

    #[test]
    fn a_percentage_that_crept_to_its_ceiling_and_stays_there_is_strong() {
        // A disk filling by a fifth of a percent a minute, pinned at 100% from minute 40.
        let values: Vec<f64> = noise(7, 62)
            .iter()
            .enumerate()
            .map(|(i, n)| (92.0 + 0.18 * i as f64 + 0.05 * n).min(99.5 + 0.4 * n.abs()))
            .collect();
        let mut disk = series("AWS/Kafka", "KafkaDataLogsDiskUsed", &[("Cluster Name", "trades")], "Maximum", &values);
        disk.unit = Some("Percent".into());
        let finding = digest_of_one(disk.clone());
        assert_eq!(finding.attr(attr::SHAPE), "levelShiftUp");
        assert!(finding.score > 0.4, "{}", finding.score);
        // The same numbers in another unit are only a slow climb.
        disk.unit = Some("Bytes".into());
        let digest = digest(&[disk], &frame(), "");
        assert!(digest.findings.iter().all(|f| f.score < 0.4), "{:?}", digest.findings);
    }

    #[test]
    fn a_series_that_stops_reporting_while_others_go_on_is_a_flatline() {
        let latency: Vec<f64> = noise(5, 45).iter().map(|n| 8.0 + n).collect();
        let stopped = series(
            "AWS/DynamoDB",
            "SuccessfulRequestLatency",
            &[("TableName", "t"), ("Operation", "PutItem")],
            "Average",
            &latency,
        );
        let still_going = series("AWS/Lambda", "Invocations", &[("FunctionName", "f")], "Sum", &[3.0; 62]);
        let digest = digest(&[stopped, still_going], &frame(), "");
        let finding = only(&digest);
        assert_eq!(finding.attr(attr::SHAPE), "flatline");
        assert_eq!(finding.attr(attr::PEAK), "no data");
        assert_eq!(finding.component, "t");
        assert_eq!(finding.time, at_minute(45));
        assert!(finding.excerpt.ends_with("then no datapoints (from 10:45)"), "{}", finding.excerpt);
    }

    #[test]
    fn a_varying_series_stuck_on_one_value_is_a_flatline() {
        let mut values: Vec<f64> = noise(13, 62).iter().map(|n| 50.0 + 10.0 * n).collect();
        values[50..].iter_mut().for_each(|v| *v = 47.5);
        let finding = digest_of_one(series("Custom/App", "QueueLag", &[("Consumer", "c1")], "Average", &values));
        assert_eq!(finding.attr(attr::SHAPE), "flatline");
        assert_eq!(finding.time, at_minute(50));
    }

    #[test]
    fn missing_datapoints_of_a_sum_count_as_zero_and_show_as_dashes() {
        let base = start().timestamp_millis();
        let mut throttles = series(
            "AWS/DynamoDB",
            "ThrottledRequests",
            &[("TableName", "orders")],
            "Sum",
            &[18.0, 3.0, 24.0, 9.0, 33.0],
        );
        throttles.timestamps = (55..60).map(|m| base + m * MINUTE).collect();
        let context = series("AWS/Lambda", "Invocations", &[("FunctionName", "f")], "Sum", &[3.0; 62]);
        let digest = digest(&[throttles, context], &frame(), "");
        let finding = only(&digest);
        assert_eq!(finding.attr(attr::SHAPE), "levelShiftUp");
        assert_eq!(finding.attr(attr::BASELINE), "0");
        assert_eq!(finding.time, at_minute(55));
        assert!(finding.excerpt.starts_with("10:52 -, 10:53 -, 10:54 -, 10:55 18, 10:56 3"), "{}", finding.excerpt);
        assert!(finding.excerpt.contains("counted as 0"));
    }

    #[test]
    fn of_two_equal_moves_the_earlier_ranks_higher() {
        let early = errors("upstream", 40, 5.0, 62);
        let late = errors("downstream", 55, 5.0, 62);
        let digest = digest(&[late, early], &frame(), "");
        assert_eq!(digest.findings.len(), 2);
        assert_eq!(digest.findings[0].component, "upstream");
        assert!(digest.findings[0].score > digest.findings[1].score);
    }

    #[test]
    fn a_move_after_the_problem_was_noticed_ranks_below_one_before() {
        let before = digest_of_one(errors("x", 55, 5.0, 66));
        let after = digest_of_one(errors("x", 63, 5.0, 66));
        assert!(before.score > after.score);
    }

    #[test]
    fn errors_falling_matter_less_than_errors_rising() {
        let rising = digest_of_one(errors("x", 50, 8.0, 62));
        let falling: Vec<f64> = (0..62).map(|i| if i < 50 { 8.0 } else { 0.0 }).collect();
        let falling = digest_of_one(series("AWS/Lambda", "Errors", &[("FunctionName", "x")], "Sum", &falling));
        assert!(rising.score > 2.0 * falling.score, "{} vs {}", rising.score, falling.score);
    }

    #[test]
    fn stationary_noise_raises_no_strong_anomaly() {
        let mut all = Vec::new();
        for seed in 0..40 {
            let n = noise(seed, 62);
            all.push(series(
                "N",
                &format!("Latency{seed}"),
                &[],
                "Average",
                &n.iter().map(|x| 30.0 + 3.0 * x).collect::<Vec<_>>(),
            ));
            let counts: Vec<f64> = n.iter().map(|x| (10.0 + 3.0 * x).round()).collect();
            all.push(series("N", &format!("Requests{seed}"), &[], "Sum", &counts));
            let sparse: Vec<f64> = n.iter().map(|x| if *x > 0.8 { 1.0 } else { 0.0 }).collect();
            all.push(series("N", &format!("Errors{seed}"), &[], "Sum", &sparse));
        }
        let digest = digest(&all, &frame(), "");
        let strong: Vec<&Finding> = digest.findings.iter().filter(|f| f.score > 0.3).collect();
        assert!(strong.is_empty(), "{strong:#?}");
    }

    #[test]
    fn empty_short_and_broken_series_are_counted_not_fatal() {
        let empty = series("AWS/SQS", "ApproximateAgeOfOldestMessage", &[("QueueName", "q")], "Maximum", &[]);
        let short = series("AWS/SQS", "NumberOfMessagesSent", &[("QueueName", "q")], "Sum", &[1.0, 2.0, 3.0]);
        let mut broken = series("AWS/SQS", "NumberOfMessagesDeleted", &[("QueueName", "q")], "Sum", &[f64::NAN; 10]);
        broken.values.truncate(4); // fewer values than timestamps
        let digest = digest(&[empty, short, broken], &frame(), "blob://raw");
        assert!(digest.findings.is_empty());
        assert_eq!(digest.records, 3);
        assert!(digest.text.contains("3 series examined (2 without data, 1 too short"), "{}", digest.text);
        assert!(
            digest.text.contains("No datapoints in the window: AWS/SQS ApproximateAgeOfOldestMessage"),
            "{}",
            digest.text
        );
    }

    #[test]
    fn the_component_is_the_most_specific_resource_dimension() {
        let of = |dims: &[(&str, &str)]| component_of(&series("AWS/X", "M", dims, "Sum", &[]));
        assert_eq!(of(&[("Operation", "GetItem"), ("TableName", "orders")]), "orders");
        assert_eq!(of(&[("ClusterName", "prod"), ("ServiceName", "checkout")]), "checkout");
        assert_eq!(of(&[("ApiName", "shop"), ("Stage", "v1")]), "shop");
        assert_eq!(of(&[("Stage", "v1"), ("Widget", "w-1")]), "w-1");
        assert_eq!(of(&[("StateMachineArn", "arn:aws:states:eu-west-1:1:stateMachine:orders-flow")]), "orders-flow");
        assert_eq!(of(&[("Environment", "prd"), ("Service", "fulfillment")]), "fulfillment");
        assert_eq!(of(&[("EventBusName", "default"), ("RuleName", "order-placed")]), "order-placed");
        assert_eq!(of(&[]), "AWS/X");
        assert_eq!(of(&[("Broker ID", "3"), ("Cluster Name", "trades-kafka")]), "trades-kafka");
        assert_eq!(of(&[("Shard", "7"), ("Pipeline", "receipts")]), "receipts");
    }

    #[test]
    fn the_digest_stays_within_budget_whatever_the_input_size() {
        let many: Vec<MetricSeries> =
            (0..400).map(|i| errors(&format!("function-{i}-{}", "x".repeat(50)), 50, 5.0, 62)).collect();
        let digest = digest(&many, &frame(), "s3://bucket/raw.json");
        assert_eq!(digest.findings.len(), budget::DIGEST_FINDINGS);
        assert!(digest.text.chars().count() <= budget::DIGEST_TEXT_CHARS);
        assert!(digest.findings.iter().all(|f| f.excerpt.chars().count() <= budget::FINDING_EXCERPT_CHARS));
        assert!(digest.text.contains("Raw series: s3://bucket/raw.json"), "{}", digest.text);
        assert_eq!(digest.records, 400);
    }
}
