//! Evidence from logs: templates mined per log group, counted per time bucket and compared before and after an
//! estimated onset, so that new error patterns and marked rate changes come out as ranked, cited findings.
//!
//! One pass over the events with bounded state (a miner per group, a histogram per template, example events by
//! index), then the onset estimate, the per-template verdicts and a compact text. Nothing grows with the number of
//! events but counters.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use super::errors::{error_class, error_phrase_at, host_shutdown, killed_for_memory};
use super::templates::{Level, MinerConfig, TemplateId, TemplateMiner};
use super::{AnalysisFrame, attr};
use crate::contract::{Digest, EvidenceSource, Finding, FindingKind};
use crate::domain::budget::{self, bound_digest, clip};
use crate::domain::resources::{component_of_log_group, hosts_named_in, is_server_log};
use crate::ports::LogEvent;

const MINUTE_MS: i64 = 60_000;
/// Time buckets at most: one a minute for windows up to four hours, coarser beyond.
const MAX_BUCKETS: usize = 240;
/// Log groups mined at most; events of further groups are only counted.
const MAX_GROUPS: usize = 64;
/// Templates kept by each group's miner, and tracked over all groups.
const MAX_TEMPLATES_PER_GROUP: usize = 1_024;
const MAX_TRACKED_TEMPLATES: usize = 4_096;
/// Streams remembered per log group and per template.
const MAX_STREAMS_PER_GROUP: usize = 512;
const MAX_STREAMS_PER_TEMPLATE: usize = 3;
/// Of the `DIGEST_FINDINGS` findings, this many are kept for error classes the strongest patterns do not show.
const CLASS_SLOTS: usize = 3;
/// Of the `DIGEST_FINDINGS` findings, this many are kept for log groups the strongest patterns do not show.
const GROUP_SLOTS: usize = 2;
/// Lines per section of the text.
const MAX_TEXT_ITEMS: usize = 6;
/// Example lines in an excerpt, and characters of each (they fit in `FINDING_EXCERPT_CHARS`).
const EXAMPLES: usize = 2;
const EXAMPLE_CHARS: usize = budget::FINDING_EXCERPT_CHARS / EXAMPLES - 2;
/// Characters of a template, or of an example message when its template names none, searched for an error class.
const CLASSIFIED_CHARS: usize = 1_000;
/// Characters of a template in the text.
const TEXT_TEMPLATE_CHARS: usize = 160;
/// The recent part of the window, before `noticed_at`, where the onset is looked for; the rest is the baseline.
const MIN_RECENT_MINUTES: i64 = 10;
/// Empty buckets tolerated inside one rise of problem patterns, at least.
const ONSET_GAP_BUCKETS: usize = 2;
/// How unlikely, given their earlier rate, the rising patterns' lines at the head of a rise must be to count as
/// its start rather than their usual background.
const FORERUNNER_CHANCE: f64 = 0.2;
/// A pattern silent this long before the data ends (and for three of its usual gaps) has ended.
const ENDED_AFTER_MINUTES: i64 = 3;
/// How long CloudWatch Logs may take to make an event queryable.
const INGESTION_LAG_MS: i64 = MINUTE_MS;

/// Digest of raw logs records for the frame; `blob_ref` is where the raw output is stored.
pub fn digest(events: &[LogEvent], frame: &AnalysisFrame, blob_ref: &str) -> Digest {
    let records = events.len() as u64;
    let Some(timeline) = Timeline::new(events, frame) else {
        return Digest { text: "Logs: no events in the window.".into(), records, ..Digest::default() };
    };
    let book = LogBook::read(events, &timeline);
    let patterns = book.patterns(events);
    let group_last: Vec<i64> = book.groups.iter().map(|g| g.last).collect();
    let onset = estimate_onset(&patterns, &timeline, &group_last);
    // A group that logs every minute on average shows when its service stopped logging; a sparse one (an
    // error-only query) does not.
    let span_minutes = Timeline::minutes(timeline.start, timeline.data_end);
    let logged_until: Vec<Option<i64>> =
        book.groups.iter().map(|g| (g.events as f64 >= span_minutes).then_some(g.last)).collect();
    let verdicts = judge(&patterns, &timeline, &onset, &logged_until);
    let findings = chosen(&verdicts).into_iter().map(|v| finding(v, &book, &timeline, events, blob_ref)).collect();
    let text = render_text(&book, &patterns, &verdicts, &timeline, &onset);
    bound_digest(Digest { text, findings, records, truncated: false })
}

/// The span the analysis covers, cut into equal buckets.
#[derive(Debug, Clone, Copy)]
struct Timeline {
    start: i64,
    end: i64,
    bucket_ms: i64,
    buckets: usize,
    noticed: i64,
    /// Up to when the events tell: the window's end, less the minute logs may take to arrive; later if events are.
    /// A query filtered to errors returns nothing after the last error, and that silence is real.
    data_end: i64,
}

impl Timeline {
    /// The frame's window where the events overlap it, else the events' own span; `None` without events.
    ///
    /// It starts at the first event, not before: a capped query (newest rows first) may have dropped the early
    /// part of the window, and counting it as silence would make every pattern look new.
    fn new(events: &[LogEvent], frame: &AnalysisFrame) -> Option<Timeline> {
        let first = events.iter().map(|e| e.timestamp).min()?;
        let last = events.iter().map(|e| e.timestamp).max()?;
        let (window_start, window_end) = (frame.window.start.timestamp_millis(), frame.window.end.timestamp_millis());
        let overlaps = window_start <= window_end && first <= window_end && last >= window_start;
        let (start, end) = if overlaps { (window_start.max(first), window_end) } else { (first, last) };
        let span = (end - start).max(MINUTE_MS);
        let minutes_per_bucket = (span as u64).div_ceil(MAX_BUCKETS as u64 * MINUTE_MS as u64).max(1);
        let bucket_ms = minutes_per_bucket as i64 * MINUTE_MS;
        let buckets = ((span as u64).div_ceil(bucket_ms as u64) as usize + 1).min(MAX_BUCKETS + 1);
        let noticed = frame.noticed_at.timestamp_millis().clamp(start, end);
        let last_in_window = events.iter().map(|e| e.timestamp).filter(|&t| t <= end).max().unwrap_or(end);
        let data_end = last_in_window.max(end - INGESTION_LAG_MS).max(start);
        Some(Timeline { start, end, bucket_ms, buckets, noticed, data_end })
    }

    fn bucket(&self, time: i64) -> Option<usize> {
        if time < self.start || time > self.end {
            return None;
        }
        Some((((time - self.start) / self.bucket_ms) as usize).min(self.buckets - 1))
    }

    fn bucket_start(&self, bucket: usize) -> i64 {
        self.start + bucket as i64 * self.bucket_ms
    }

    fn minutes(from: i64, to: i64) -> f64 {
        (to - from).max(MINUTE_MS) as f64 / MINUTE_MS as f64
    }
}

/// When something was first and last seen, and how often.
#[derive(Debug, Clone, Copy)]
struct Seen {
    first: i64,
    last: i64,
    count: u64,
}

impl Seen {
    fn new(time: i64) -> Seen {
        Seen { first: time, last: time, count: 1 }
    }

    fn add(&mut self, time: i64) {
        self.first = self.first.min(time);
        self.last = self.last.max(time);
        self.count += 1;
    }
}

/// One log group: its miner and its streams.
#[derive(Debug)]
struct GroupBook<'e> {
    name: &'e str,
    miner: TemplateMiner,
    events: u64,
    /// The group's last event: a pattern is over only if its service went on logging without it.
    last: i64,
    streams: HashMap<&'e str, Seen>,
}

/// Counts of one template over time, with the events that show it (by index into the events).
#[derive(Debug)]
struct TemplateStats {
    group: usize,
    id: TemplateId,
    histogram: Vec<u32>,
    seen: Seen,
    first_event: usize,
    recent_events: [usize; 2],
    /// Events of the distinct streams the template occurred in.
    stream_events: Vec<usize>,
}

/// Everything one pass over the events gathers.
#[derive(Debug)]
struct LogBook<'e> {
    groups: Vec<GroupBook<'e>>,
    templates: Vec<TemplateStats>,
    /// Events outside the timeline, beyond `MAX_GROUPS` groups, or of templates beyond `MAX_TRACKED_TEMPLATES`.
    uncounted: u64,
}

impl<'e> LogBook<'e> {
    fn read(events: &'e [LogEvent], timeline: &Timeline) -> LogBook<'e> {
        let mut book = LogBook { groups: Vec::new(), templates: Vec::new(), uncounted: 0 };
        let mut group_index: HashMap<&'e str, usize> = HashMap::new();
        let mut template_index: HashMap<(usize, TemplateId), usize> = HashMap::new();
        let miner_config = MinerConfig { max_clusters: MAX_TEMPLATES_PER_GROUP, ..MinerConfig::default() };
        for (index, event) in events.iter().enumerate() {
            let Some(bucket) = timeline.bucket(event.timestamp) else {
                book.uncounted += 1;
                continue;
            };
            let group = match group_index.get(event.log_group.as_str()) {
                Some(&group) => group,
                None if book.groups.len() < MAX_GROUPS => {
                    group_index.insert(&event.log_group, book.groups.len());
                    book.groups.push(GroupBook {
                        name: &event.log_group,
                        miner: TemplateMiner::new(miner_config.clone()),
                        events: 0,
                        last: event.timestamp,
                        streams: HashMap::new(),
                    });
                    book.groups.len() - 1
                }
                None => {
                    book.uncounted += 1;
                    continue;
                }
            };
            let group_book = &mut book.groups[group];
            group_book.events += 1;
            group_book.last = group_book.last.max(event.timestamp);
            let streams_room = group_book.streams.len() < MAX_STREAMS_PER_GROUP;
            match group_book.streams.get_mut(event.log_stream.as_str()) {
                Some(seen) => seen.add(event.timestamp),
                None if streams_room => {
                    group_book.streams.insert(&event.log_stream, Seen::new(event.timestamp));
                }
                None => {}
            }
            let id = group_book.miner.add(&event.message);
            let slot = match template_index.get(&(group, id)) {
                Some(&slot) => slot,
                None if book.templates.len() < MAX_TRACKED_TEMPLATES => {
                    template_index.insert((group, id), book.templates.len());
                    book.templates.push(TemplateStats {
                        group,
                        id,
                        histogram: vec![0; timeline.buckets],
                        seen: Seen { first: event.timestamp, last: event.timestamp, count: 0 },
                        first_event: index,
                        recent_events: [index; 2],
                        stream_events: Vec::new(),
                    });
                    book.templates.len() - 1
                }
                None => {
                    book.uncounted += 1;
                    continue;
                }
            };
            book.templates[slot].record(index, events, bucket);
        }
        book
    }

    /// The tracked templates with what the analysis needs to know of each.
    fn patterns(&self, events: &[LogEvent]) -> Vec<Pattern<'_>> {
        self.templates
            .iter()
            .map(|stats| {
                let miner = &self.groups[stats.group].miner;
                let first_message = events[stats.first_event].message.as_str();
                let template = match miner.template(stats.id) {
                    // A template the miner has since forgotten is shown by its first example.
                    "" => one_line(first_message, TEXT_TEMPLATE_CHARS),
                    text => text.to_string(),
                };
                let level = miner.level(stats.id);
                // Masking can hide what the error was (`gwError=<*>` for "Too Many Requests"): an example's
                // specific class beats the template's generic one.
                let error_class = match (
                    error_class(&clip(&template, CLASSIFIED_CHARS)),
                    error_class(&clip(first_message, CLASSIFIED_CHARS)),
                ) {
                    (Some("exception"), Some(specific)) => Some(specific),
                    (from_template, from_example) => from_template.or(from_example),
                };
                let problem = level.is_problem() || error_class.is_some();
                let reported_by_aws =
                    first_message.trim_start().starts_with('{') && first_message.contains("\"detail-type\"");
                let by_the_server = reported_by_aws || is_server_log(self.groups[stats.group].name);
                let event = host_shutdown(&template)
                    || killed_for_memory(&template)
                    || by_the_server && error_class == Some("restart");
                Pattern { stats, template, level, error_class, problem, event }
            })
            .collect()
    }
}

impl TemplateStats {
    fn record(&mut self, index: usize, events: &[LogEvent], bucket: usize) {
        let event = &events[index];
        self.histogram[bucket] = self.histogram[bucket].saturating_add(1);
        self.seen.add(event.timestamp);
        if event.timestamp < events[self.first_event].timestamp {
            self.first_event = index;
        }
        if event.timestamp >= events[self.recent_events[1]].timestamp {
            self.recent_events = [self.recent_events[1], index];
        }
        let known = self.stream_events.iter().any(|&other| events[other].log_stream == event.log_stream);
        if !known && self.stream_events.len() < MAX_STREAMS_PER_TEMPLATE + 1 {
            self.stream_events.push(index);
        }
    }

    fn count_in(&self, buckets: std::ops::Range<usize>) -> u64 {
        self.histogram[buckets].iter().map(|&c| u64::from(c)).sum()
    }
}

/// A template as the analysis sees it.
#[derive(Debug)]
struct Pattern<'b> {
    stats: &'b TemplateStats,
    template: String,
    level: Level,
    error_class: Option<&'static str>,
    /// Warning or worse, or a recognised error.
    problem: bool,
    /// A happening written once: a host shutting down, a process killed for want of memory, or a restart or
    /// failover told by the server in its own log or by AWS (an EventBridge event forwarded to a log). How many
    /// lines it took and how soon they ended say nothing of its weight.
    event: bool,
}

impl Pattern<'_> {
    /// How much a problem pattern counts toward the onset: errors fully, warnings half.
    fn onset_weight(&self) -> f64 {
        match (self.level, self.error_class) {
            (Level::Error | Level::Fatal, _) | (_, Some(_)) => 1.0,
            (Level::Warn, None) => 0.5,
            _ => 0.0,
        }
    }
}

/// The estimated start of the problem.
#[derive(Debug, Clone, Copy)]
struct Onset {
    time: i64,
    bucket: usize,
    /// False when no rise of problem patterns was found and the onset is a default before `noticed_at`.
    found: bool,
}

/// Lines over their baseline in one minute that make a burst before the recent part clear.
const CLEAR_BURST_EXCESS: f64 = 20.0;
/// Lines over their baseline in the whole recent part that are more than a few strays.
const STRAY_EXCESS: f64 = 5.0;

/// The onset: the start of the strongest rise of problem patterns above their baseline in the recent part before
/// `noticed_at` (found from its peak back, so that stray lines after a burst do not hide it), else of the last clear
/// burst before the recent part. `group_last` is when each log group last logged.
///
/// The baseline is the window before the recent part (the last quarter before `noticed_at`, at least ten minutes);
/// a bucket counts when a pattern exceeds its baseline rate beyond Poisson noise there, so steady background
/// errors do not move the onset and brand-new errors do.
fn estimate_onset(patterns: &[Pattern<'_>], timeline: &Timeline, group_last: &[i64]) -> Onset {
    let noticed_bucket = timeline.bucket(timeline.noticed).unwrap_or(timeline.buckets - 1);
    let ten_minutes = (MIN_RECENT_MINUTES * MINUTE_MS / timeline.bucket_ms) as usize;
    let recent = ten_minutes.max(noticed_bucket / 4);
    let baseline_end = noticed_bucket.saturating_sub(recent);
    let mut excess = vec![0.0; noticed_bucket + 1];
    // Which patterns rose in each bucket, so that a rise extends back only through its own patterns.
    let mut risers: Vec<Vec<usize>> = vec![Vec::new(); noticed_bucket + 1];
    for (index, pattern) in patterns.iter().enumerate().filter(|(_, p)| p.problem) {
        let histogram = &pattern.stats.histogram;
        // A pattern that first appeared late in the baseline, after a long silence, is the start of something
        // new (an error that recurs every few minutes), not background.
        let first_bucket = histogram.iter().position(|&count| count > 0).unwrap_or(0);
        let newly_started = first_bucket >= (baseline_end / 2).max(ten_minutes);
        let baseline_rate = if baseline_end == 0 || newly_started {
            0.0
        } else {
            pattern.stats.count_in(0..baseline_end) as f64 / baseline_end as f64
        };
        let threshold = baseline_rate + 2.0 * baseline_rate.sqrt() + 1.0;
        for (bucket, &count) in histogram.iter().enumerate().take(noticed_bucket + 1) {
            if f64::from(count) >= threshold {
                excess[bucket] += (f64::from(count) - baseline_rate) * pattern.onset_weight();
                risers[bucket].push(index);
            }
        }
    }
    let active = |bucket: usize| excess[bucket] >= 1.0;
    let recent_part = noticed_bucket.saturating_sub(recent)..=noticed_bucket;
    let in_recent = recent_part
        .clone()
        .rev()
        .filter(|&b| active(b))
        .max_by(|&a, &b| excess[a].total_cmp(&excess[b]).then(b.cmp(&a)));
    // Sparse errors (one every few minutes) are one rise too: the tolerated gap grows with the recent part. A
    // lone stray error of another kind just before is not part of it.
    let gap = ONSET_GAP_BUCKETS.max(recent / 3);
    // A burst that was over before the recent part (an operator asking about a spike that recovered, a batch job
    // that failed twice) is the rise when it stands out clearly and the recent part holds no more than a few stray
    // lines: one minute with many lines, or a few minutes with more than twice the recent part's lines whose logs
    // fell silent after them (a job whose runs failed: errors that stop when the work stops are no recovery).
    let recent_excess: f64 = recent_part.map(|b| excess[b]).sum();
    let stands_out = |bucket: usize| {
        let spell_end = (bucket + gap).min(baseline_end);
        let spell: f64 = excess[bucket..spell_end].iter().sum();
        let silent_after = timeline.bucket_start(spell_end) + ENDED_AFTER_MINUTES * MINUTE_MS;
        let work_stopped = (bucket..spell_end)
            .flat_map(|b| &risers[b])
            .all(|&p| group_last.get(patterns[p].stats.group).is_some_and(|&last| last <= silent_after));
        excess[bucket] >= CLEAR_BURST_EXCESS
            || active(bucket) && work_stopped && spell >= STRAY_EXCESS && spell >= 2.0 * recent_excess
    };
    let earlier_burst = (ten_minutes..baseline_end).rev().find(|&b| stands_out(b));
    let latest = if recent_excess >= STRAY_EXCESS { in_recent } else { earlier_burst.or(in_recent) };
    let Some(mut onset_bucket) = latest else {
        let bucket = noticed_bucket.saturating_sub(recent / 2);
        return Onset { time: timeline.bucket_start(bucket).max(timeline.start), bucket, found: false };
    };
    let mut rising: Vec<usize> = (onset_bucket..=noticed_bucket).flat_map(|b| risers[b].iter().copied()).collect();
    let joins = |bucket: usize, rising: &[usize]| {
        active(bucket) && (excess[bucket] >= 2.0 || risers[bucket].iter().any(|p| rising.contains(p)))
    };
    let rise_end = onset_bucket;
    while let Some(earlier) = (onset_bucket.saturating_sub(gap + 1)..onset_bucket).find(|&b| joins(b, &rising)) {
        onset_bucket = earlier;
        rising.extend(risers[earlier].iter().copied());
    }
    let chain: Vec<usize> = (onset_bucket..=rise_end).filter(|&b| active(b)).collect();
    let onset_bucket = first_unusual(&chain, &rising, &risers, patterns, noticed_bucket);
    let bucket_start = timeline.bucket_start(onset_bucket);
    let bucket_end = bucket_start + timeline.bucket_ms;
    let time = patterns
        .iter()
        .filter(|p| p.problem && p.stats.seen.first >= bucket_start && p.stats.seen.first < bucket_end)
        .map(|p| p.stats.seen.first)
        .min()
        .unwrap_or(bucket_start);
    Onset { time, bucket: onset_bucket, found: true }
}

/// Where a rise (its active buckets, in order) really starts: at its first bucket where a pattern appears that
/// was never seen before the rise, or where the rising patterns' lines up to the next active bucket are unlikely
/// (Poisson tail at most `FORERUNNER_CHANCE`) at the rate these patterns had before the rise. A slow-request
/// warning that came every few minutes all along is not a forerunner because it happened to come just before.
fn first_unusual(
    chain: &[usize],
    rising: &[usize],
    risers: &[Vec<usize>],
    patterns: &[Pattern<'_>],
    noticed_bucket: usize,
) -> usize {
    let chain_start = chain[0];
    let rising: std::collections::BTreeSet<usize> = rising.iter().copied().collect();
    let lines = |range: std::ops::Range<usize>| -> u64 {
        rising.iter().map(|&p| patterns[p].stats.count_in(range.clone())).sum()
    };
    let rate_before = lines(0..chain_start) as f64 / chain_start.max(1) as f64;
    let never_seen = |p: &usize| patterns[*p].stats.count_in(0..chain_start) == 0;
    chain
        .iter()
        .zip(chain.iter().skip(1).copied().chain([noticed_bucket + 1]))
        .find(|&(&bucket, next)| {
            risers[bucket].iter().any(never_seen)
                || poisson_at_least(lines(bucket..next), rate_before * (next - bucket) as f64) <= FORERUNNER_CHANCE
        })
        .map_or(chain[chain.len() - 1], |(&bucket, _)| bucket)
}

/// P(X >= n) for X ~ Poisson(mean).
fn poisson_at_least(n: u64, mean: f64) -> f64 {
    let (mut term, mut below) = ((-mean).exp(), 0.0);
    for k in 0..n {
        below += term;
        term *= mean / (k + 1) as f64;
    }
    (1.0 - below).max(0.0)
}

/// How a template changed at the onset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    New,
    Rise,
    Fall,
}

/// A template that changed at the onset, with its strength.
#[derive(Debug)]
struct Verdict<'p, 'b> {
    pattern: &'p Pattern<'b>,
    change: Change,
    before: u64,
    after: u64,
    rate_before: f64,
    rate_after: f64,
    /// First occurrence at or after the onset.
    first_after: i64,
    ended_at: Option<i64>,
    score: f64,
}

/// The templates that are new after the onset, or rose or fell markedly, strongest first. `logged_until` is when
/// each log group last logged, where its events tell.
fn judge<'p, 'b>(
    patterns: &'p [Pattern<'b>],
    timeline: &Timeline,
    onset: &Onset,
    logged_until: &[Option<i64>],
) -> Vec<Verdict<'p, 'b>> {
    let onset_start = timeline.bucket_start(onset.bucket);
    let minutes_before = Timeline::minutes(timeline.start, onset_start);
    let minutes_after = Timeline::minutes(onset_start, timeline.data_end);
    let mut verdicts: Vec<Verdict<'p, 'b>> = patterns
        .iter()
        .filter_map(|pattern| {
            let stats = pattern.stats;
            let before = stats.count_in(0..onset.bucket);
            let after = stats.count_in(onset.bucket..timeline.buckets);
            let (rate_before, rate_after) = (before as f64 / minutes_before, after as f64 / minutes_after);
            let expected = rate_before * minutes_after;
            let change = if before == 0 && after > 0 && (pattern.problem || after >= 3) {
                Change::New
            } else if after >= 3
                && rate_after >= 3.0 * rate_before
                && after as f64 > expected + 3.0 * expected.sqrt() + 1.0
            {
                Change::Rise
            } else if before >= 10 && expected >= 8.0 && (after as f64) <= 0.25 * expected {
                Change::Fall
            } else {
                return None;
            };
            let first_after = if change == Change::Fall {
                onset.time
            } else if stats.seen.first >= onset_start {
                stats.seen.first
            } else {
                let bucket = (onset.bucket..timeline.buckets).find(|&b| stats.histogram[b] > 0);
                bucket.map_or(onset.time, |b| timeline.bucket_start(b).max(onset.time))
            };
            // Ended: silent for a few minutes and for several of its usual gaps (a sparse error is not over), while
            // its service went on logging (errors stop when the work stops: that is no recovery).
            let silent_since = timeline.data_end - stats.seen.last;
            let usual_gap = (stats.seen.last - first_after) / (after.max(2) as i64 - 1);
            let quiet_enough = silent_since >= (ENDED_AFTER_MINUTES * MINUTE_MS).max(3 * usual_gap);
            let went_on = |ended: &i64| {
                let until = logged_until.get(stats.group).copied().flatten();
                until.is_none_or(|last| last - ended >= ENDED_AFTER_MINUTES * MINUTE_MS)
            };
            let ended_at = match change {
                Change::Fall => None,
                _ => burst_end(stats, timeline, onset.bucket, rate_before)
                    .or_else(|| quiet_enough.then_some(stats.seen.last))
                    .filter(went_on),
            };
            let mut verdict =
                Verdict { pattern, change, before, after, rate_before, rate_after, first_after, ended_at, score: 0.0 };
            verdict.score = strength(&verdict, onset, minutes_before);
            Some(verdict)
        })
        .collect();
    verdicts.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.after.cmp(&a.after)));
    verdicts
}

/// The verdicts the digest's findings report: the strongest, but a noisy service's many patterns (an access log's
/// user agents) do not crowd out the one pattern of another mechanism (a few Spot interruptions, a restart) or of a
/// quieter log group (a database's own log): each error class the strongest do not show keeps its strongest
/// pattern, in up to `CLASS_SLOTS` places, and so does each log group they do not show with a problem pattern, in
/// up to `GROUP_SLOTS` places.
fn chosen<'v, 'p, 'b>(verdicts: &'v [Verdict<'p, 'b>]) -> Vec<&'v Verdict<'p, 'b>> {
    let kept_by_score = budget::DIGEST_FINDINGS - CLASS_SLOTS - GROUP_SLOTS;
    let mut chosen: Vec<&Verdict<'p, 'b>> = verdicts.iter().take(kept_by_score).collect();
    let class_shown =
        |chosen: &[&Verdict<'_, '_>], class: &str| chosen.iter().any(|c| c.pattern.error_class == Some(class));
    for verdict in verdicts.iter().skip(chosen.len()) {
        if chosen.len() == kept_by_score + CLASS_SLOTS {
            break;
        }
        if let Some(class) = verdict.pattern.error_class
            && !class_shown(&chosen, class)
        {
            chosen.push(verdict);
        }
    }
    let group_shown = |chosen: &[&Verdict<'_, '_>], group: usize| chosen.iter().any(|c| c.pattern.stats.group == group);
    for verdict in verdicts.iter().filter(|v| v.pattern.problem) {
        if chosen.len() == budget::DIGEST_FINDINGS {
            break;
        }
        if !group_shown(&chosen, verdict.pattern.stats.group) {
            chosen.push(verdict);
        }
    }
    for verdict in verdicts.iter() {
        if chosen.len() == budget::DIGEST_FINDINGS {
            break;
        }
        if !chosen.iter().any(|c| std::ptr::eq(*c, verdict)) {
            chosen.push(verdict);
        }
    }
    chosen
}

/// Where a burst over a steady background ended: the last bucket from `from` that stood out from the background,
/// when everything after it (a few minutes at least) is back at the background's rate. A pattern that was there
/// before (an occasional connection reset) never falls silent after its burst, yet the burst is over.
fn burst_end(stats: &TemplateStats, timeline: &Timeline, from: usize, rate_before: f64) -> Option<i64> {
    if rate_before <= 0.0 {
        return None;
    }
    let per_bucket = rate_before * timeline.bucket_ms as f64 / MINUTE_MS as f64;
    let standout = (3.0 * per_bucket).max(1.0);
    let last = (from..timeline.buckets).rev().find(|&b| f64::from(stats.histogram[b]) > standout)?;
    let tail_start = timeline.bucket_start(last + 1);
    let tail_minutes = (timeline.data_end - tail_start) as f64 / MINUTE_MS as f64;
    if tail_minutes < ENDED_AFTER_MINUTES as f64 {
        return None;
    }
    let tail = stats.count_in(last + 1..timeline.buckets) as f64;
    let expected = rate_before * tail_minutes;
    (tail <= expected + 2.0 * expected.sqrt() + 1.0).then(|| (tail_start - 1).min(stats.seen.last))
}

/// Where the main burst of an episode began when a few sparse forerunners came first: the start of its last run
/// of activity (runs part at `ENDED_AFTER_MINUTES` of silence) if that run holds two thirds of the occurrences.
fn burst_start(verdict: &Verdict<'_, '_>, timeline: &Timeline) -> Option<i64> {
    let histogram = &verdict.pattern.stats.histogram;
    let first = timeline.bucket(verdict.first_after)?;
    let last = timeline.bucket(verdict.ended_at?)?;
    let gap = ((ENDED_AFTER_MINUTES * MINUTE_MS / timeline.bucket_ms) as usize).max(1);
    let mut start = last;
    let mut silent = 0;
    for bucket in (first..last).rev() {
        if histogram[bucket] > 0 {
            start = bucket;
            silent = 0;
        } else {
            silent += 1;
            if silent >= gap {
                break;
            }
        }
    }
    let in_burst: u64 = histogram[start..=last].iter().map(|&c| u64::from(c)).sum();
    (start > first && 3 * in_burst >= 2 * verdict.after).then(|| timeline.bucket_start(start))
}

/// 0..=1: error level and recognised errors, volume, closeness to the onset, persistence, novelty.
fn strength(verdict: &Verdict<'_, '_>, onset: &Onset, minutes_before: f64) -> f64 {
    let pattern = verdict.pattern;
    let severity = match (pattern.level, pattern.error_class) {
        (Level::Error | Level::Fatal, Some(_)) => 1.0,
        (Level::Error | Level::Fatal, None) => 0.9,
        (Level::Warn, Some(_)) => 0.85,
        (_, Some(_)) => 0.8,
        (Level::Warn, None) => 0.65,
        _ => 0.3,
    };
    let event = pattern.event;
    let volume = if event { 1.0 } else { 0.4 + 0.6 * ((1.0 + verdict.after as f64).ln() / 31f64.ln()).min(1.0) };
    let delay_minutes = (verdict.first_after - onset.time).max(0) as f64 / MINUTE_MS as f64;
    let proximity = 1.0 / (1.0 + delay_minutes / 15.0);
    let persistence = match verdict.ended_at {
        Some(ended) if !event => {
            let active_minutes = (ended - verdict.first_after).max(0) as f64 / MINUTE_MS as f64;
            // A burst that recovered within a minute or two is a blip, however many lines it wrote.
            0.2 + 0.5 * (active_minutes / 10.0).min(1.0)
        }
        _ => 1.0,
    };
    let change = match verdict.change {
        // A pattern is only as new as the history it is compared with is long.
        Change::New => 0.5 + 0.5 * (minutes_before / 15.0).min(1.0),
        Change::Rise => {
            let ratio = verdict.rate_after / verdict.rate_before.max(1e-9);
            // Patterns already frequent before (background noise that grew) count less.
            let frequent_before = 1.0 / (1.0 + verdict.rate_before);
            (0.5 + 0.3 * (ratio.log2() / 4.0).clamp(0.0, 1.0)) * frequent_before.max(0.5)
        }
        Change::Fall => 0.35,
    };
    let onset_confidence = if onset.found { 1.0 } else { 0.8 };
    (severity * volume * proximity * persistence * change * onset_confidence).clamp(0.0, 1.0)
}

/// Words kept before the phrase that gives a line its error class, in an excerpt that must clip the line.
const PHRASE_LEAD_WORDS: usize = 3;
const PHRASE_LEAD_CHARS: usize = 40;

fn finding(
    verdict: &Verdict<'_, '_>,
    book: &LogBook<'_>,
    timeline: &Timeline,
    events: &[LogEvent],
    blob_ref: &str,
) -> Finding {
    let pattern = verdict.pattern;
    let stats = pattern.stats;
    let group = &book.groups[stats.group];
    let example_events = example_events(verdict, events);
    // An EventBridge event forwarded to a log group is about the resource it names, not the group.
    let component = example_events
        .first()
        .and_then(|&i| event_subject(&events[i].message))
        .unwrap_or_else(|| component_of_log_group(group.name));
    let level = pattern.level.as_str();
    let excerpt = example_events
        .iter()
        .map(|&i| excerpt_line(&events[i].message, &pattern.template, EXAMPLE_CHARS))
        .collect::<Vec<_>>()
        .join("\n");
    let reference = match example_events.first() {
        Some(&i) => format!("{} {} {}", group.name, events[i].log_stream, rfc3339(events[i].timestamp)),
        None => blob_ref.to_string(),
    };
    let streams = streams_of(stats, events);
    let new_streams = new_streams_note(stats, group, events, verdict.first_after);
    let kind = match verdict.change {
        Change::New => FindingKind::NewLogPattern,
        Change::Rise | Change::Fall => FindingKind::LogRateChange,
    };
    let mut attrs = std::collections::BTreeMap::new();
    attrs.insert(attr::TEMPLATE.to_string(), pattern.template.clone());
    attrs.insert(attr::LOG_GROUP.to_string(), group.name.to_string());
    attrs.insert(attr::COUNT_BEFORE.to_string(), verdict.before.to_string());
    attrs.insert(attr::COUNT_AFTER.to_string(), verdict.after.to_string());
    if !streams.is_empty() {
        attrs.insert(attr::LOG_STREAM.to_string(), streams);
    }
    if !level.is_empty() {
        attrs.insert(attr::LEVEL.to_string(), level.to_string());
    }
    if let Some(class) = pattern.error_class {
        attrs.insert(attr::ERROR_CLASS.to_string(), class.to_string());
    }
    // The hosts the example lines name, whole: the excerpt may clip a long endpoint.
    let hosts = hosts_named_in(example_events.iter().map(|&i| events[i].message.as_str()));
    if !hosts.is_empty() {
        attrs.insert(attr::HOSTS.to_string(), hosts.join(","));
    }
    if let Some(ended) = verdict.ended_at {
        attrs.insert(attr::ENDED_AT.to_string(), rfc3339(ended));
        if let Some(burst) = burst_start(verdict, timeline) {
            attrs.insert(attr::BURST_START.to_string(), rfc3339(burst));
        }
    }
    Finding {
        source: EvidenceSource::Logs,
        kind,
        component: component.clone(),
        time: DateTime::from_timestamp_millis(verdict.first_after),
        score: verdict.score,
        summary: summary(verdict, &component, new_streams.as_deref()),
        excerpt,
        reference,
        attrs,
    }
}

/// The resource an EventBridge event (`{"detail-type": …, "detail": {…}}`) is about: an ECS task's service
/// (`group: service:checkout`), a function, an Auto Scaling group, a state machine, an instance, or the source an
/// RDS or ElastiCache event names (`SourceIdentifier`).
fn event_subject(message: &str) -> Option<String> {
    if !message.trim_start().starts_with('{') || !message.contains("\"detail-type\"") {
        return None;
    }
    let event: serde_json::Value = serde_json::from_str(message).ok()?;
    let detail = event.get("detail")?;
    let text = |key: &str| detail.get(key).and_then(serde_json::Value::as_str).filter(|v| !v.is_empty());
    if let Some(group) = text("group") {
        return Some(group.split_once(':').map_or(group, |(_, name)| name).to_string());
    }
    ["serviceName", "functionName", "AutoScalingGroupName", "stateMachineArn", "instance-id", "SourceIdentifier"]
        .iter()
        .find_map(|key| text(key))
        .map(|value| value.rsplit([':', '/']).next().unwrap_or(value).to_string())
}

/// Up to `EXAMPLES` example events with different messages, after the onset where possible: the first, then the
/// latest.
fn example_events(verdict: &Verdict<'_, '_>, events: &[LogEvent]) -> Vec<usize> {
    let stats = verdict.pattern.stats;
    let mut chosen: Vec<usize> = Vec::with_capacity(EXAMPLES);
    let candidates = [stats.first_event, stats.recent_events[1], stats.recent_events[0]];
    let after_onset = |i: &usize| verdict.change == Change::Fall || events[*i].timestamp >= verdict.first_after;
    for index in candidates.into_iter().filter(after_onset) {
        if chosen.len() < EXAMPLES && !chosen.iter().any(|&c| events[c].message == events[index].message) {
            chosen.push(index);
        }
    }
    if chosen.is_empty() {
        chosen.push(stats.recent_events[1]);
    }
    chosen.sort_by_key(|&i| events[i].timestamp);
    chosen
}

/// A verbatim example of at most `max` characters. A long line keeps its head and, after ` … `, the part where the
/// template's later words last appear (the error type and message deep inside a JSON record), so the excerpt shows
/// why; what still does not fit loses its middle, not its end, where errors name what failed (`…key/52ae… is
/// disabled`).
fn excerpt_line(message: &str, template: &str, max: usize) -> String {
    // An event forwarded as JSON says why deep inside (an ECS task's `stoppedReason` after its containers).
    let line = one_line(message, 12 * max);
    if line.chars().count() <= max {
        return line;
    }
    let head_chars = max * 2 / 5;
    let head_len = line.char_indices().nth(head_chars).map_or(line.len(), |(at, _)| at);
    let head = &line[..head_len];
    // The words that say what went wrong (deep in a stack trace, after the framework's wrapping), with the few
    // words before them that name the exception and what failed (`HikariPool-2 - Connection is not available`).
    // Text without spaces (a JSON record) keeps a few dozen characters instead.
    let phrase = error_phrase_at(&line[head_len..]).map(|at| {
        let before = line[head_len..head_len + at].trim_end();
        let by_words = before.rmatch_indices(' ').nth(PHRASE_LEAD_WORDS - 1).map_or(0, |(space, _)| space + 1);
        let by_chars = before.char_indices().rev().nth(PHRASE_LEAD_CHARS - 1).map_or(0, |(at, _)| at);
        head_len + by_words.max(by_chars)
    });
    let anchor = phrase.or_else(|| {
        template
            .split_whitespace()
            .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()))
            .filter(|word| word.len() >= 6 && !word.contains('*') && !head.contains(word))
            // The last mention: a record names an error's type before its message (`reason` before
            // `stoppedReason`).
            .find_map(|word| line[head_len..].rfind(word).map(|at| head_len + at))
    });
    let tail_chars = max.saturating_sub(head_chars + 3);
    match (phrase, anchor) {
        // The phrase reads on from its start; what follows it matters less.
        (Some(at), _) => format!("{head} … {}", clip(&line[at..], tail_chars)),
        (None, Some(at)) => format!("{head} … {}", keep_ends(&line[at..], tail_chars)),
        (None, None) => keep_ends(&line, max),
    }
}

/// `text` in at most `max` characters: its start and, after ` … `, its end.
fn keep_ends(text: &str, max: usize) -> String {
    let chars = text.chars().count();
    if chars <= max {
        return text.to_string();
    }
    let start = max * 3 / 5;
    let end = max.saturating_sub(start + 3);
    let head: String = text.chars().take(start).collect();
    let tail: String = text.chars().skip(chars - end).collect();
    format!("{head} … {tail}")
}

fn summary(verdict: &Verdict<'_, '_>, component: &str, new_streams: Option<&str>) -> String {
    let pattern = verdict.pattern;
    let what = match (pattern.level, pattern.error_class) {
        (Level::Unknown, Some(class)) => format!("{class} pattern"),
        (Level::Unknown, None) => "pattern".to_string(),
        (level, Some(class)) => format!("{} {class} pattern", level.as_str()),
        (level, None) => format!("{} pattern", level.as_str()),
    };
    let state = match verdict.ended_at {
        Some(ended) => format!("ended {}", clock(ended)),
        None => "ongoing".to_string(),
    };
    let streams = new_streams.map(|note| format!(", {note}")).unwrap_or_default();
    let template = clip(&pattern.template, TEXT_TEMPLATE_CHARS);
    match verdict.change {
        Change::New => format!(
            "New {what} in {component}: {} since {}, none before ({state}{streams}): {template}",
            verdict.after,
            clock(verdict.first_after)
        ),
        Change::Rise => format!(
            "{what} in {component} rose {:.1}→{:.1}/min at {} ({} before, {} after, {state}{streams}): {template}",
            verdict.rate_before,
            verdict.rate_after,
            clock(verdict.first_after),
            verdict.before,
            verdict.after
        ),
        Change::Fall => format!(
            "{what} in {component} fell {:.1}→{:.1}/min from {} ({} before, {} after): {template}",
            verdict.rate_before,
            verdict.rate_after,
            clock(verdict.first_after),
            verdict.before,
            verdict.after
        ),
    }
}

/// The streams a template occurred in, comma-separated (at most three, `…` when there were more).
fn streams_of(stats: &TemplateStats, events: &[LogEvent]) -> String {
    let mut names: Vec<&str> = stats
        .stream_events
        .iter()
        .take(MAX_STREAMS_PER_TEMPLATE)
        .map(|&i| events[i].log_stream.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    if stats.stream_events.len() > MAX_STREAMS_PER_TEMPLATE {
        names.push("…");
    }
    names.join(", ")
}

/// "only in streams new since hh:mm" when every stream the template occurred in started near or after it did while
/// the group had older streams: the mark of a new deployment or version (Lambda streams carry it as `[version]`).
fn new_streams_note(stats: &TemplateStats, group: &GroupBook<'_>, events: &[LogEvent], since: i64) -> Option<String> {
    let started = |stream: &str| group.streams.get(stream).map(|seen| seen.first);
    let slack = 2 * MINUTE_MS;
    let template_streams: Vec<&str> = stats.stream_events.iter().map(|&i| events[i].log_stream.as_str()).collect();
    let all_new = !template_streams.is_empty()
        && stats.stream_events.len() <= MAX_STREAMS_PER_TEMPLATE
        && template_streams.iter().all(|s| started(s).is_some_and(|first| first >= since - slack));
    let older = group.streams.values().any(|seen| seen.first < since - slack);
    if !(all_new && older) {
        return None;
    }
    let versions: Vec<&str> = template_streams.iter().filter_map(|s| stream_version(s)).collect();
    let first_version = versions.first().copied();
    let one_version = first_version.filter(|v| versions.iter().all(|other| other == v));
    Some(match one_version {
        Some(version) => format!("only in new version [{version}] streams"),
        None => "only in streams new since the onset".to_string(),
    })
}

/// The version in a Lambda stream name: `2026/11/20/[117]abc` → `117`.
fn stream_version(stream: &str) -> Option<&str> {
    let open = stream.find('[')?;
    let close = open + stream[open..].find(']')?;
    Some(&stream[open + 1..close]).filter(|v| !v.is_empty())
}

/// The compact text the brain reads.
fn render_text(
    book: &LogBook<'_>,
    patterns: &[Pattern<'_>],
    verdicts: &[Verdict<'_, '_>],
    timeline: &Timeline,
    onset: &Onset,
) -> String {
    let mut text = String::new();
    let counted: u64 = book.groups.iter().map(|g| g.events).sum();
    let _ = writeln!(
        text,
        "Logs: {counted} events in {} log groups, {}–{} UTC. Estimated onset {} ({}); noticed {}.",
        book.groups.len(),
        clock(timeline.start),
        clock(timeline.data_end),
        clock(onset.time),
        if onset.found {
            "problem patterns rise above their baseline"
        } else {
            "no clear rise; default before noticed"
        },
        clock(timeline.noticed),
    );
    if book.uncounted > 0 {
        let _ =
            writeln!(text, "({} events outside the window or beyond the tracking limits not counted.)", book.uncounted);
    }
    let new: Vec<&Verdict<'_, '_>> = verdicts.iter().filter(|v| v.change == Change::New).collect();
    let changed: Vec<&Verdict<'_, '_>> = verdicts.iter().filter(|v| v.change != Change::New).collect();
    if !new.is_empty() {
        let _ = writeln!(text, "New patterns since the onset (absent before):");
        for verdict in new.iter().take(MAX_TEXT_ITEMS) {
            let _ = writeln!(text, "- {}", text_item(verdict, book));
        }
    }
    if !changed.is_empty() {
        let _ = writeln!(text, "Rate changes at the onset:");
        for verdict in changed.iter().take(MAX_TEXT_ITEMS) {
            let _ = writeln!(text, "- {}", text_item(verdict, book));
        }
    }
    let background = background_problems(patterns, verdicts, timeline);
    if !background.is_empty() {
        let _ = writeln!(text, "Problem patterns already present before the onset, not rising (background):");
        for pattern in background.iter().take(MAX_TEXT_ITEMS / 2) {
            let group = &book.groups[pattern.stats.group];
            let _ = writeln!(
                text,
                "- [{}] {} ×{} {}–{}: {}",
                tag(pattern),
                component_of_log_group(group.name),
                pattern.stats.seen.count,
                clock(pattern.stats.seen.first),
                clock(pattern.stats.seen.last),
                clip(&pattern.template, TEXT_TEMPLATE_CHARS / 2)
            );
        }
    }
    render_versions(&mut text, book, onset);
    let _ = writeln!(text, "Per log group (events before/after the onset; warnings and errors before/after):");
    for (index, group) in book.groups.iter().enumerate() {
        let (mut all, mut problems) = ([0u64; 2], [0u64; 2]);
        for pattern in patterns.iter().filter(|p| p.stats.group == index) {
            let split =
                [pattern.stats.count_in(0..onset.bucket), pattern.stats.count_in(onset.bucket..timeline.buckets)];
            for side in 0..2 {
                all[side] += split[side];
                if pattern.problem {
                    problems[side] += split[side];
                }
            }
        }
        let _ = writeln!(text, "- {}: {}/{}; {}/{}", group.name, all[0], all[1], problems[0], problems[1]);
    }
    text
}

fn text_item(verdict: &Verdict<'_, '_>, book: &LogBook<'_>) -> String {
    let pattern = verdict.pattern;
    let group = &book.groups[pattern.stats.group];
    let state = match verdict.ended_at {
        Some(ended) => format!("ended {}", clock(ended)),
        None => "ongoing".to_string(),
    };
    let counts = match verdict.change {
        Change::New => format!("×{} from {}", verdict.after, clock(verdict.first_after)),
        Change::Rise | Change::Fall => format!(
            "{}→{} ({:.1}→{:.1}/min) at {}",
            verdict.before,
            verdict.after,
            verdict.rate_before,
            verdict.rate_after,
            clock(verdict.first_after)
        ),
    };
    format!(
        "[{}] {} {counts}, {state}, score {:.2}: {}",
        tag(pattern),
        component_of_log_group(group.name),
        verdict.score,
        clip(&pattern.template, TEXT_TEMPLATE_CHARS)
    )
}

fn tag(pattern: &Pattern<'_>) -> String {
    match (pattern.level.as_str(), pattern.error_class) {
        ("", Some(class)) => class.to_string(),
        ("", None) => "-".to_string(),
        (level, Some(class)) => format!("{level} {class}"),
        (level, None) => level.to_string(),
    }
}

/// Problem patterns seen before the onset that did not change there, most frequent first.
fn background_problems<'p, 'b>(
    patterns: &'p [Pattern<'b>],
    verdicts: &[Verdict<'_, '_>],
    timeline: &Timeline,
) -> Vec<&'p Pattern<'b>> {
    let changed: std::collections::HashSet<*const TemplateStats> =
        verdicts.iter().map(|v| std::ptr::from_ref(v.pattern.stats)).collect();
    let mut background: Vec<&Pattern<'b>> = patterns
        .iter()
        .filter(|p| p.problem && p.stats.seen.first < timeline.noticed && p.stats.seen.count >= 3)
        .filter(|p| !changed.contains(&std::ptr::from_ref(p.stats)))
        .collect();
    background.sort_by_key(|p| std::cmp::Reverse(p.stats.seen.count));
    background
}

/// Lambda versions (from `[version]` in stream names) that appeared during the window.
fn render_versions(text: &mut String, book: &LogBook<'_>, onset: &Onset) {
    for group in &book.groups {
        let mut versions: Vec<(&str, Seen)> = Vec::new();
        for (stream, seen) in &group.streams {
            let Some(version) = stream_version(stream) else { continue };
            match versions.iter_mut().find(|(v, _)| *v == version) {
                Some((_, known)) => {
                    known.first = known.first.min(seen.first);
                    known.last = known.last.max(seen.last);
                    known.count += seen.count;
                }
                None => versions.push((version, *seen)),
            }
        }
        if versions.len() < 2 {
            continue;
        }
        versions.sort_by_key(|(_, seen)| seen.first);
        let described: Vec<String> = versions
            .iter()
            .map(|(version, seen)| format!("[{version}] {}–{} ×{}", clock(seen.first), clock(seen.last), seen.count))
            .collect();
        let newest = versions.last().map(|(_, seen)| seen.first).unwrap_or(onset.time);
        let near = if (newest - onset.time).abs() <= 5 * MINUTE_MS { " (new version near the onset)" } else { "" };
        let _ = writeln!(text, "Versions in {}{near}: {}", group.name, described.join("; "));
    }
}

/// One line of at most `max` characters: whitespace (newlines of stack traces included) collapsed to single spaces.
fn one_line(text: &str, max: usize) -> String {
    let mut line = String::with_capacity(text.len().min(max * 4));
    for word in text.split_whitespace() {
        if line.len() > max * 4 {
            break;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    clip(&line, max)
}

fn clock(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default()
}

fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Window;

    /// 2026-11-20T14:00:00Z: minute 0 of the synthetic window.
    const BASE: i64 = 1_795_183_200_000;

    fn at(minute: i64, second: i64) -> i64 {
        BASE + minute * MINUTE_MS + second * 1_000
    }

    fn event(group: &str, stream: &str, time: i64, message: &str) -> LogEvent {
        LogEvent { log_group: group.into(), log_stream: stream.into(), timestamp: time, message: message.into() }
    }

    /// A 65-minute window from `BASE`, noticed at `noticed_minute`.
    fn frame(noticed_minute: i64) -> AnalysisFrame {
        frame_of(65, noticed_minute)
    }

    /// A window of `minutes` from `BASE`, noticed at `noticed_minute`.
    fn frame_of(minutes: i64, noticed_minute: i64) -> AnalysisFrame {
        let time = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap();
        AnalysisFrame {
            window: Window { start: time(BASE), end: time(at(minutes, 0)) },
            noticed_at: time(at(noticed_minute, 0)),
            resources: vec![],
        }
    }

    /// Three successful requests a minute over `minutes`, as a Node Lambda logs them.
    fn traffic(group: &str, stream: &str, minutes: std::ops::Range<i64>) -> Vec<LogEvent> {
        minutes
            .flat_map(|minute| (0..3).map(move |i| (minute, i)))
            .map(|(minute, i)| {
                let message = format!(
                    "2026-11-20T14:{minute:02}:{:02}.000Z\t{minute:08x}-0000-4000-8000-{i:012x}\tINFO\t\
                     {{\"level\":\"info\",\"msg\":\"request completed\",\"status\":200,\"latency_ms\":{}}}",
                    i * 15,
                    10 + i
                );
                event(group, stream, at(minute, i * 15), &message)
            })
            .collect()
    }

    /// An unrelated job failing every minute of the window: background noise.
    fn background_errors() -> Vec<LogEvent> {
        (0..65)
            .map(|m| event("/aws/lambda/sync-job", "s1", at(m, 5), &format!("ERROR connect ETIMEDOUT 10.0.0.{m}:8443")))
            .collect()
    }

    fn type_error(minute: i64, second: i64) -> LogEvent {
        let message = format!(
            "2026-11-20T14:{minute:02}:{second:02}.000Z\tabc-{minute}\tERROR\t{{\"level\":\"error\",\"msg\":\"unhandled error\",\
             \"err\":{{\"type\":\"TypeError\",\"message\":\"Cannot read properties of undefined (reading 'x')\"}}}}"
        );
        event("/aws/lambda/orders-api", "2026/11/20/[117]bbb", at(minute, second), &message)
    }

    fn deploy_scenario() -> Vec<LogEvent> {
        let mut events = traffic("/aws/lambda/orders-api", "2026/11/20/[116]aaa", 0..52);
        events.extend(traffic("/aws/lambda/orders-api", "2026/11/20/[117]bbb", 52..65));
        events.extend(background_errors());
        events.extend((52..65).flat_map(|m| [type_error(m, 10), type_error(m, 40)]));
        events
    }

    #[test]
    fn a_noisy_services_many_error_patterns_do_not_crowd_out_another_mechanism() {
        let mut events = traffic("/aws/lambda/orders-api", "s1", 0..65);
        // Twenty shapes of error line, each a new pattern, each stronger than the one below.
        for shape in 0..20 {
            let words = "x ".repeat(shape + 1);
            events.extend(
                (50..65).map(|m| {
                    event("/aws/lambda/orders-api", "s1", at(m, 30), &format!("ERROR request failed {words}"))
                }),
            );
        }
        events.extend((52..54).map(|m| event("/ecs/worker", "s2", at(m, 2), "FATAL: database system is shut down")));
        let digest = digest(&events, &frame(58), "blob/logs.json");
        assert_eq!(digest.findings.len(), budget::DIGEST_FINDINGS);
        assert!(digest.findings.iter().any(|f| f.attr(attr::ERROR_CLASS) == "restart"), "{:?}", digest.findings);
    }

    #[test]
    fn an_eventbridge_event_is_about_the_resource_it_names() {
        let task_stopped = r#"{"detail-type":"ECS Task State Change","source":"aws.ecs","detail":{"group":"service:checkout","lastStatus":"STOPPED","stopCode":"TaskFailedToStart","stoppedReason":"ResourceInitializationError: unable to pull secrets"}}"#;
        assert_eq!(event_subject(task_stopped).as_deref(), Some("checkout"));
        let machine = r#"{"detail-type":"Step Functions Execution Status Change","detail":{"stateMachineArn":"arn:aws:states:eu-west-1:1:stateMachine:orders-flow","status":"FAILED"}}"#;
        assert_eq!(event_subject(machine).as_deref(), Some("orders-flow"));
        let failover = r#"{"detail-type":"RDS DB Instance Event","source":"aws.rds","detail":{"EventCategories":["failover"],"Message":"Multi-AZ instance failover started.","SourceIdentifier":"orders-db"}}"#;
        assert_eq!(event_subject(failover).as_deref(), Some("orders-db"));
        assert_eq!(event_subject(r#"{"level":"error","detail":{"group":"x"}}"#), None, "not an event");

        let mut events = traffic("/aws/events/ecs", "s1", 0..50);
        events.extend((52..60).map(|m| event("/aws/events/ecs", "s2", at(m, 1), task_stopped)));
        let digest = digest(&events, &frame(58), "blob/logs.json");
        let stopped = digest.findings.iter().find(|f| f.summary.contains("TaskFailedToStart")).expect("a finding");
        assert_eq!(stopped.component, "checkout");
    }

    #[test]
    fn a_new_error_pattern_after_the_onset_ranks_first_with_its_details() {
        let events = deploy_scenario();
        let digest = digest(&events, &frame(55), "blob/logs.json");
        assert_eq!(digest.records, events.len() as u64);
        let top = &digest.findings[0];
        assert_eq!(top.kind, FindingKind::NewLogPattern);
        assert_eq!(top.source, EvidenceSource::Logs);
        assert_eq!(top.component, "orders-api");
        assert_eq!(top.attr(attr::ERROR_CLASS), "exception");
        assert_eq!(top.attr(attr::LEVEL), "ERROR");
        assert_eq!(top.attr(attr::LOG_GROUP), "/aws/lambda/orders-api");
        assert_eq!(top.attr(attr::COUNT_BEFORE), "0");
        assert_eq!(top.attr(attr::COUNT_AFTER), "26");
        assert_eq!(
            top.attr(attr::TEMPLATE),
            "unhandled error TypeError: Cannot read properties of undefined (reading 'x')"
        );
        assert_eq!(top.attr(attr::LOG_STREAM), "2026/11/20/[117]bbb");
        assert_eq!(top.attr(attr::ENDED_AT), "");
        assert_eq!(top.time.map(|t| t.timestamp_millis()), Some(at(52, 10)));
        assert!(top.summary.contains("only in new version [117] streams"), "{}", top.summary);
        assert!(top.reference.starts_with("/aws/lambda/orders-api 2026/11/20/[117]bbb 2026-11-20T14:52:10"));
        assert!(top.excerpt.contains("TypeError") && top.excerpt.lines().count() == 2, "{}", top.excerpt);
        assert!(top.score > 0.8, "{}", top.score);
        // The job that failed all along is background, not a finding; the text says so.
        assert!(digest.findings.iter().all(|f| f.component != "sync-job"));
        assert!(digest.text.contains("background") && digest.text.contains("sync-job"), "{}", digest.text);
        assert!(digest.text.contains("Versions in /aws/lambda/orders-api"), "{}", digest.text);
    }

    #[test]
    fn the_onset_is_where_problem_patterns_rise_not_where_the_background_errors_are() {
        let digest = digest(&deploy_scenario(), &frame(55), "blob");
        assert!(digest.text.contains("Estimated onset 14:52:10 (problem patterns rise"), "{}", digest.text);
        // Without any rise the onset is a default shortly before noticed_at, and says so.
        let quiet: Vec<LogEvent> =
            traffic("/aws/lambda/orders-api", "s", 0..65).into_iter().chain(background_errors()).collect();
        let digest = super::digest(&quiet, &frame(55), "blob");
        assert!(digest.text.contains("no clear rise"), "{}", digest.text);
        assert!(digest.findings.iter().all(|f| f.score < 0.3), "{:?}", digest.findings);
    }

    #[test]
    fn a_lone_stray_error_minutes_before_does_not_pull_the_onset_back() {
        let mut events = traffic("/ecs/reviews", "task/1", 0..65);
        events.push(event("/ecs/reviews", "task/1", at(45, 0), "ERROR read ECONNRESET"));
        let failing = |m: i64, s: i64| event("/ecs/reviews", "task/1", at(m, s), "ERROR TypeError: x is undefined");
        events.extend((49..65).flat_map(|m| (0..4).map(move |s| failing(m, s * 13))));
        let digest = digest(&events, &frame(58), "blob");
        assert!(digest.text.contains("Estimated onset 14:49:00"), "{}", digest.text);
        // The same error a few minutes earlier is the rise's forerunner.
        events.push(failing(45, 0));
        let digest = super::digest(&events, &frame(58), "blob");
        assert!(digest.text.contains("Estimated onset 14:45:00"), "{}", digest.text);
    }

    #[test]
    fn a_clear_burst_over_before_the_recent_part_is_the_onset_when_the_recent_part_holds_only_strays() {
        // An operator asks at minute 64 about a spike from minute 30 to 37 that recovered; one stray error at 55.
        let mut events = traffic("/ecs/web", "task/1", 0..65);
        let failing =
            |m: i64, s: i64| event("/ecs/web", "task/1", at(m, s), "ERROR session store error: Command timed out");
        events.extend((30..38).flat_map(|m| (0..30).map(move |s| failing(m, s * 2))));
        events.push(event("/ecs/web", "task/1", at(55, 0), "ERROR read ECONNRESET"));
        let digest = digest(&events, &frame(64), "blob");
        assert!(digest.text.contains("Estimated onset 14:30:00"), "{}", digest.text);
        assert!(digest.findings.iter().any(|f| f.attr(attr::ERROR_CLASS) == "timeout"), "{:?}", digest.findings);
        // A smaller earlier burst is background to a recent part with no rise of its own.
        let small: Vec<LogEvent> =
            events.iter().filter(|e| !(e.message.contains("Command") && e.timestamp % 4_000 != 0)).cloned().collect();
        let digest = super::digest(&small, &frame(64), "blob");
        assert!(!digest.text.contains("Estimated onset 14:30:00"), "{}", digest.text);
    }

    #[test]
    fn a_job_that_failed_twice_before_the_recent_part_is_the_onset_when_the_recent_part_holds_only_strays() {
        // A nightly job fails at minute 30 and its retry at 33, three error lines each; one stray error at 55.
        let mut events = traffic("/ecs/web", "task/1", 0..65);
        for minute in [30, 33] {
            events.extend((0..3).map(|s| {
                let text = format!("ERROR AnalysisException: column account_ref does not exist (line {s})");
                event("/aws-glue/jobs/error", "jr_1", at(minute, s), &text)
            }));
        }
        events.push(event("/ecs/web", "task/1", at(55, 0), "ERROR read ECONNRESET"));
        let digest = digest(&events, &frame(64), "blob");
        assert!(digest.text.contains("Estimated onset 14:30:00"), "{}", digest.text);
        // As many stray lines in the recent part are a rise of their own, however sparse.
        events.extend((56..62).map(|m| event("/ecs/web", "task/1", at(m, 0), "ERROR read ECONNRESET")));
        let digest = super::digest(&events, &frame(64), "blob");
        assert!(!digest.text.contains("Estimated onset 14:30:00"), "{}", digest.text);
    }

    #[test]
    fn a_stray_error_after_a_burst_does_not_move_the_onset_past_the_burst() {
        let mut events = traffic("/ecs/web", "task/1", 0..65);
        let failing = |m: i64, s: i64| event("/ecs/web", "task/1", at(m, s), "ERROR upstream connect error 503");
        events.extend((46..50).flat_map(|m| (0..20).map(move |s| failing(m, s * 3))));
        events.push(event("/ecs/web", "task/1", at(56, 0), "ERROR read ECONNRESET"));
        let digest = digest(&events, &frame(58), "blob");
        assert!(digest.text.contains("Estimated onset 14:46:00"), "{}", digest.text);
    }

    #[test]
    fn a_quiet_log_group_keeps_a_place_beside_a_noisy_one() {
        let mut events = traffic("/ecs/web", "task/1", 0..65);
        for shape in 0..20 {
            let words = "x ".repeat(shape + 1);
            events
                .extend((50..65).map(|m| event("/ecs/web", "task/1", at(m, 30), &format!("ERROR timed out {words}"))));
        }
        let lost = "# Error condition on socket for SYNC: Connection timed out";
        events.push(event("/aws/elasticache/sessions/engine-log", "node-002", at(51, 0), lost));
        let digest = digest(&events, &frame(58), "blob/logs.json");
        assert!(digest.findings.iter().any(|f| f.component == "sessions"), "{:?}", digest.findings);
    }

    #[test]
    fn background_errors_that_came_all_along_are_not_forerunners_of_the_rise() {
        // A 150-minute window: every 7 minutes a slow request logs a warning and a 503 line, whose shape (the
        // client's user agent) varies; one shape is first seen at minute 60, then again just before the outage.
        let web = |m: i64, message: String| event("/ecs/web", "task/1", at(m, 0), &message);
        let unavailable =
            |m: i64, shape: usize| web(m, format!("ERROR 503 upstream unavailable ua {}", "x ".repeat(shape)));
        let mut events = traffic("/ecs/web", "task/1", 0..150);
        events.extend((0..18).map(|i| 2 + 7 * i).flat_map(|m| {
            [web(m, "WARN slow request took 2100 ms".into()), unavailable(m, ((m - 2) / 7 % 4) as usize)]
        }));
        events.extend([60, 111, 120].map(|m| unavailable(m, 7)));
        // The outage: every request is slow and fails, several times a minute, from minute 128.
        events.extend(
            (128..150)
                .flat_map(|m| (0..24).map(move |i| (m, i)))
                .flat_map(|(m, i)| [web(m, "WARN slow request took 2100 ms".into()), unavailable(m, i % 8)]),
        );
        let digest = digest(&events, &frame_of(150, 145), "blob");
        assert!(digest.text.contains("Estimated onset 16:08:00"), "{}", digest.text);
    }

    #[test]
    fn a_marked_rise_of_a_known_pattern_is_a_rate_change() {
        let throttled = |m: i64, s: i64| {
            event("/ecs/checkout", "task/1", at(m, s), "WARN ThrottlingException: Rate exceeded for table orders")
        };
        let mut events = traffic("/ecs/checkout", "task/1", 0..65);
        events.extend((0..5).map(|i| throttled(i * 10, 30)));
        events.extend((50..65).flat_map(|m| (0..8).map(move |s| throttled(m, s * 7))));
        let digest = digest(&events, &frame(54), "blob");
        let top = &digest.findings[0];
        assert_eq!(top.kind, FindingKind::LogRateChange);
        assert_eq!(top.component, "checkout");
        assert_eq!(top.attr(attr::ERROR_CLASS), "throttling");
        assert_eq!(top.attr(attr::COUNT_BEFORE), "5");
        assert_eq!(top.attr(attr::COUNT_AFTER), "120");
        assert!(top.summary.contains("rose"), "{}", top.summary);
        assert!(top.score > 0.5, "{}", top.score);
    }

    #[test]
    fn a_one_minute_blip_that_recovered_is_weak_and_says_when_it_ended() {
        let dns = |m: i64, s: i64| {
            event("/aws/lambda/invoices", "s", at(m, s), "ERROR getaddrinfo ENOTFOUND dynamodb.eu-west-1.amazonaws.com")
        };
        let mut blip = traffic("/aws/lambda/invoices", "s", 0..65);
        blip.extend((0..40).map(|s| dns(49, s)));
        let blip_digest = digest(&blip, &frame(50), "blob");
        let weak = &blip_digest.findings[0];
        assert_eq!(weak.attr(attr::ERROR_CLASS), "dns");
        assert_eq!(weak.attr(attr::ENDED_AT), "2026-11-20T14:49:39.000Z");
        assert!(weak.score < 0.3, "{}", weak.score);
        assert!(blip_digest.text.contains("ended 14:49:39"), "{}", blip_digest.text);

        // The same errors, after which the service logged nothing more: no sign it recovered.
        let mut stopped = traffic("/aws/lambda/invoices", "s", 0..49);
        stopped.extend((0..40).map(|s| dns(49, s)));
        let stopped_digest = digest(&stopped, &frame(50), "blob");
        assert_eq!(stopped_digest.findings[0].attr(attr::ENDED_AT), "", "{}", stopped_digest.text);

        let mut ongoing = traffic("/aws/lambda/invoices", "s", 0..65);
        ongoing.extend((49..65).flat_map(|m| (0..6).map(move |s| dns(m, s * 9))));
        let strong = &digest(&ongoing, &frame(50), "blob").findings[0];
        assert_eq!(strong.attr(attr::ENDED_AT), "");
        assert!(strong.score > 0.8, "{}", strong.score);
    }

    #[test]
    fn a_host_shutting_down_or_a_process_killed_for_memory_is_one_strong_event() {
        let mut events = traffic("/web/syslog", "i-0d8cf983098c02dac", 0..65);
        events.push(event("/web/syslog", "i-0d8cf983098c02dac", at(49, 2), "systemd-logind[612]: Powering Off..."));
        let shutdown = &digest(&events, &frame(50), "blob").findings[0];
        assert_eq!(shutdown.attr(attr::ERROR_CLASS), "restart");
        assert!(shutdown.score > 0.5, "{}", shutdown.score);
        // So is a database telling its own restart, or AWS reporting a failover.
        let group = "/aws/rds/instance/orders-db/postgresql";
        let mut events = traffic(group, "orders-db.1", 0..65);
        events.push(event(group, "orders-db.1", at(49, 2), "LOG:  database system was interrupted; last known up"));
        assert!(digest(&events, &frame(50), "blob").findings[0].score > 0.5);
        let failover = r#"{"detail-type":"RDS DB Instance Event","detail":{"Message":"Multi-AZ instance failover started.","SourceIdentifier":"orders-db"}}"#;
        let mut events = traffic("/aws/events/rds", "e", 0..65);
        events.push(event("/aws/events/rds", "e", at(49, 2), failover));
        assert!(digest(&events, &frame(50), "blob").findings[0].score > 0.5);
        // So is a process killed for want of memory, once.
        let mut events = traffic("/ecs/reco", "t/1", 0..65);
        let killed = "Terminating due to java.lang.OutOfMemoryError: GC overhead limit exceeded";
        events.push(event("/ecs/reco", "t/1", at(49, 2), killed));
        let oom = &digest(&events, &frame(50), "blob").findings[0];
        assert_eq!(oom.attr(attr::ERROR_CLASS), "outOfMemory");
        assert!(oom.score > 0.5, "{}", oom.score);
        // A client relaying a restart once, in a burst that ended, stays weak.
        let mut events = traffic("/ecs/api", "t/1", 0..65);
        events.push(event("/ecs/api", "t/1", at(49, 2), "FATAL: terminating connection due to administrator command"));
        assert!(digest(&events, &frame(50), "blob").findings[0].score < 0.3);
    }

    #[test]
    fn a_burst_over_an_occasional_background_ends_when_the_background_rate_returns() {
        let reset = |m: i64, s: i64| event("/ecs/tickets", "t/1", at(m, s), "ERROR read ECONNRESET");
        let mut events = traffic("/ecs/tickets", "t/1", 0..65);
        // Every quarter hour before, a burst of 12 in minute 49, then once more at 58: background again.
        events.extend([5, 20, 35].map(|m| reset(m, 10)));
        events.extend((0..12).map(|i| reset(49, i * 3)));
        events.push(reset(58, 20));
        let burst = &digest(&events, &frame(50), "blob").findings[0];
        assert_eq!(burst.attr(attr::ERROR_CLASS), "connection");
        // Minute buckets: the burst ended by the end of its minute.
        assert_eq!(burst.attr(attr::ENDED_AT), "2026-11-20T14:49:59.999Z", "{}", burst.summary);

        // The same burst followed by a steady stream of resets is not over.
        events.extend((50..65).flat_map(|m| (0..3).map(move |s| reset(m, s * 15))));
        let ongoing = &digest(&events, &frame(50), "blob").findings[0];
        assert_eq!(ongoing.attr(attr::ENDED_AT), "", "{}", ongoing.summary);
    }

    #[test]
    fn errors_that_recur_every_few_minutes_from_late_in_the_baseline_set_the_onset() {
        // A 60-minute window noticed at its end: the first kill falls in the baseline part, after 43 quiet minutes.
        let killed =
            |m: i64| event("/aws/lambda/est", "s/1", at(m, 30), "Error: Runtime exited with error: signal: killed");
        let mut events = traffic("/aws/lambda/est", "s/1", 0..65);
        events.extend([43, 49, 51, 55].map(killed));
        let digest = digest(&events, &frame(60), "blob");
        let top = &digest.findings[0];
        assert_eq!(top.kind, FindingKind::NewLogPattern, "{}", digest.text);
        assert_eq!(top.attr(attr::ERROR_CLASS), "outOfMemory");
        assert_eq!(top.time.map(|t| t.timestamp_millis()), Some(at(43, 30)));
    }

    #[test]
    fn an_error_only_query_that_falls_silent_shows_the_episode_ended_and_where_its_burst_began() {
        // Only errors, as a filtered query returns them: two stray resets, a burst at minute 44, then nothing
        // until the window's end at minute 65. So few events cannot tell that the service stopped logging.
        let reset = |m: i64, s: i64| event("/aws/lambda/t", "s/1", at(m, s), "ERROR read ECONNRESET");
        let warning = |m: i64| event("/aws/lambda/t", "s/1", at(m, 0), "WARN validation failed: email is not valid");
        let mut events: Vec<LogEvent> = (0..13).map(|i| warning(i * 3)).collect();
        events.extend([reset(37, 4), reset(41, 32)]);
        events.extend((0..7).map(|i| reset(44, 4 + i * 4)));
        let episode = &digest(&events, &frame(55), "blob").findings[0];
        assert_eq!(episode.attr(attr::ENDED_AT), "2026-11-20T14:44:28.000Z", "{}", episode.summary);
        assert_eq!(episode.attr(attr::BURST_START), "2026-11-20T14:41:00.000Z", "{}", episode.summary);
    }

    #[test]
    fn a_sparse_error_that_keeps_coming_is_not_ended() {
        let mut events = traffic("/aws/lambda/orders-api", "s", 0..65);
        events.extend((0..4).map(|i| {
            event("/aws/lambda/orders-api", "s", at(45 + 4 * i, 0), "ERROR Task timed out after 3.00 seconds")
        }));
        let digest = digest(&events, &frame(55), "blob");
        assert_eq!(digest.findings[0].attr(attr::ERROR_CLASS), "timeout");
        assert_eq!(digest.findings[0].attr(attr::ENDED_AT), "");
    }

    #[test]
    fn a_pattern_that_stops_is_a_weak_fall() {
        let mut events = traffic("/aws/lambda/orders-api", "s", 0..65);
        events.extend((0..50).map(|m| event("/aws/lambda/orders-api", "s", at(m, 50), "INFO order saved to table")));
        events.extend(
            (50..65).map(|m| event("/aws/lambda/orders-api", "s", at(m, 51), "ERROR order save failed: timeout")),
        );
        let digest = digest(&events, &frame(55), "blob");
        let fall = digest.findings.iter().find(|f| f.attr(attr::TEMPLATE) == "INFO order saved to table").unwrap();
        assert_eq!(fall.kind, FindingKind::LogRateChange);
        assert!(fall.summary.contains("fell") && fall.score < 0.3, "{} {}", fall.summary, fall.score);
        assert_eq!(digest.findings[0].attr(attr::ERROR_CLASS), "timeout");
    }

    #[test]
    fn the_digest_stays_within_budget_however_large_and_varied_the_input() {
        let word = |i: usize| -> String {
            [i / 26 / 26 % 26, i / 26 % 26, i % 26].iter().map(|&d| (b'a' + d as u8) as char).collect()
        };
        let long_tail = "x".repeat(1_500);
        let mut events = traffic("/aws/lambda/a", "s", 0..65);
        for i in 0..400 {
            let group = format!("/aws/lambda/fn-{}", word(i % 80));
            let message = format!("ERROR failure in {} while {} the {} {long_tail}", word(i), word(i + 1), word(i + 2));
            events.push(event(&group, "s", at(50 + (i % 15) as i64, (i % 60) as i64), &message));
        }
        let digest = digest(&events, &frame(55), "blob");
        assert_eq!(digest.records, events.len() as u64);
        assert!(digest.findings.len() <= budget::DIGEST_FINDINGS);
        assert!(digest.text.chars().count() <= budget::DIGEST_TEXT_CHARS);
        for finding in &digest.findings {
            assert!(finding.excerpt.chars().count() <= budget::FINDING_EXCERPT_CHARS);
            assert!(finding.summary.chars().count() <= budget::FINDING_SUMMARY_CHARS);
            assert!(finding.attrs.values().all(|v| v.chars().count() <= budget::FINDING_SUMMARY_CHARS));
        }
        // Five times the events of the same kinds: the same number of findings, the same budget.
        let repeated: Vec<LogEvent> = (0..5).flat_map(|_| events.iter().cloned()).collect();
        let bigger = super::digest(&repeated, &frame(55), "blob");
        assert_eq!(bigger.findings.len(), digest.findings.len());
        assert!(bigger.text.chars().count() <= budget::DIGEST_TEXT_CHARS);
    }

    #[test]
    fn odd_inputs_give_a_bounded_digest_without_panicking() {
        let mut unsorted = deploy_scenario();
        unsorted.reverse();
        let sorted = digest(&deploy_scenario(), &frame(55), "blob");
        let reversed = digest(&unsorted, &frame(55), "blob");
        assert_eq!(reversed.findings[0].attr(attr::TEMPLATE), sorted.findings[0].attr(attr::TEMPLATE));
        assert_eq!(reversed.findings[0].time, sorted.findings[0].time);
        // A capped query that lost the early part of the window: what it kept is the baseline.
        let newest: Vec<LogEvent> = deploy_scenario().into_iter().filter(|e| e.timestamp >= at(30, 0)).collect();
        let capped = digest(&newest, &frame(55), "blob");
        assert_eq!(capped.findings[0].attr(attr::TEMPLATE), sorted.findings[0].attr(attr::TEMPLATE));
        assert!(capped.findings.iter().all(|f| f.component != "sync-job"), "{:?}", capped.findings);
        let one = [event("/aws/lambda/a", "", at(3, 0), "ERROR boom")];
        assert_eq!(digest(&one, &frame(55), "blob").records, 1);
        let mut inverted = frame(55);
        std::mem::swap(&mut inverted.window.start, &mut inverted.window.end);
        let outside = [event("g", "s", at(-500, 0), ""), event("g", "s", at(900, 0), "{\"level\":\"error\"}")];
        for frame in [inverted, frame(55)] {
            let digest = digest(&outside, &frame, "blob");
            assert_eq!(digest.records, 2);
            assert!(digest.text.chars().count() <= budget::DIGEST_TEXT_CHARS);
        }
    }

    #[test]
    fn no_events_no_findings() {
        let digest = digest(&[], &frame(55), "blob");
        assert_eq!((digest.records, digest.findings.len()), (0, 0));
        assert!(digest.text.contains("no events"));
    }

    #[test]
    fn long_examples_keep_their_head_and_the_error_detail() {
        let message = format!(
            "2026-11-20T14:52:10.000Z\tabc\tERROR\t{{\"level\":\"error\",\"msg\":\"unhandled error\",\"path\":\"/{}\",\
             \"err\":{{\"type\":\"TypeError\",\"message\":\"Cannot read properties\"}}}}",
            "p".repeat(400)
        );
        let line = excerpt_line(&message, "unhandled error TypeError: Cannot read properties", 200);
        assert!(line.chars().count() <= 200, "{line}");
        assert!(line.starts_with("2026-11-20T14:52:10.000Z abc ERROR"), "{line}");
        assert!(line.contains(" … TypeError\",\"message\":\"Cannot read properties"), "{line}");
        assert_eq!(excerpt_line("short line\n  at frame", "short line", 200), "short line at frame");

        // The resource an error names at its very end survives the cut.
        let message = format!(
            "level=ERROR msg=\"handler failed\" request_id={} err=\"operation error S3: GetObject, RequestID: {}, api \
             error KMS.DisabledException: arn:aws:kms:r:1:key/52ae8155-5a0f is disabled.\"",
            "r".repeat(60),
            "x".repeat(200)
        );
        let template = "handler failed request_id=<*> err=\"operation error S3: GetObject, RequestID: <*> api error \
             KMS.DisabledException: <*> is disabled.";
        let line = excerpt_line(&message, template, 200);
        assert!(line.chars().count() <= 200, "{line}");
        assert!(line.ends_with("key/52ae8155-5a0f is disabled.\""), "{line}");

        // Deep in a framework's wrapping, the words that say what went wrong are kept, with what failed.
        let message = format!(
            "2026-11-14T06:59:56.772Z ERROR 1 --- [billing] [exec-195] o.a.c.c.C.[.[.[/].[dispatcherServlet] : \
             Servlet.service() threw exception [Request processing failed: {}] with root cause\n\n\
             java.sql.SQLTransientConnectionException: HikariPool-2 - Connection is not available, request timed out \
             after 30000ms (total=2, active=2, idle=0, waiting={})",
            "org.springframework.transaction.CannotCreateTransactionException ".repeat(4),
            "9".repeat(120)
        );
        let line =
            excerpt_line(&message, "<*> ERROR <*> --- [billing] [<*>] o.a.c.c.C.[.[.[/].[dispatcherServlet] :", 200);
        assert!(line.chars().count() <= 200, "{line}");
        assert!(line.contains("HikariPool-2 - Connection is not available"), "{line}");

        // A JSON record without spaces keeps a few characters before the words, not all that precedes them.
        let message = format!(
            "{{\"detail-type\":\"ECS Task State Change\",\"containers\":[{}],\"stoppedReason\":\"ECS was unable \
             to assume the role 'arn:aws:iam::1:role/payTaskRole' that was provided for this task.\"}}",
            "{\"name\":\"app\",\"lastStatus\":\"STOPPED\"},".repeat(8)
        );
        let line = excerpt_line(&message, "ECS Task State Change", 200);
        assert!(line.contains("unable to assume the role 'arn:aws:iam::1:role/payTaskRole'"), "{line}");
    }

    #[test]
    fn a_finding_keeps_the_hosts_its_example_lines_name() {
        let events: Vec<LogEvent> = (0..30)
            .map(|i| {
                let message = format!(
                    "[ERROR] bulk request to https://vpc-orders-search-3kq7x2m4q.eu-west-1.es.amazonaws.com/_bulk failed: \
                     {} of 200 items rejected",
                    i % 7
                );
                event("/aws/lambda/indexer", "2026/11/20/[1]a", at(50, i), &message)
            })
            .collect();
        let digest = digest(&events, &frame(55), "blob");
        let top = &digest.findings[0];
        assert_eq!(top.attr(attr::HOSTS), "vpc-orders-search-3kq7x2m4q.eu-west-1.es.amazonaws.com");
    }

    #[test]
    fn stream_versions_are_read_from_lambda_stream_names() {
        assert_eq!(stream_version("2026/11/20/[117]abc"), Some("117"));
        assert_eq!(stream_version("2026/11/20/[$LATEST]abc"), Some("$LATEST"));
        assert_eq!(stream_version("ecs/checkout/abc"), None);
    }

    /// Prints the digest of each development bundle's logs: `cargo test -p shared --lib bundle_digests -- --ignored
    /// --nocapture`. The frame is derived the way the input parser does (alarm: 60 minutes before the state change
    /// to 5 after; Slack: the operator's window).
    #[test]
    #[ignore = "prints the digests of the development bundles for inspection"]
    fn bundle_digests() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/incidents");
        let Ok(entries) = std::fs::read_dir(&root) else {
            println!("no bundles at {}", root.display());
            return;
        };
        let mut dirs: Vec<_> = entries.flatten().map(|e| e.path()).filter(|p| p.join("logs.jsonl").exists()).collect();
        dirs.sort();
        for dir in dirs {
            let input: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("input.json")).unwrap()).unwrap();
            let time = |v: &serde_json::Value| {
                let text = v.as_str().unwrap().replace("+0000", "Z");
                DateTime::parse_from_rfc3339(&text).unwrap().with_timezone(&Utc)
            };
            let (window, noticed_at) = if input["source"] == "fa2.slack" {
                let end = time(&input["endTime"]);
                (Window { start: time(&input["startTime"]), end }, end)
            } else {
                let noticed = time(&input["detail"]["state"]["timestamp"]);
                (
                    Window {
                        start: noticed - chrono::Duration::minutes(60),
                        end: noticed + chrono::Duration::minutes(5),
                    },
                    noticed,
                )
            };
            let events: Vec<LogEvent> = std::fs::read_to_string(dir.join("logs.jsonl"))
                .unwrap()
                .lines()
                .map(|line| serde_json::from_str::<LogEvent>(line).unwrap())
                .filter(|e| DateTime::from_timestamp_millis(e.timestamp).is_some_and(|t| window.contains(t)))
                .collect();
            let frame = AnalysisFrame { window, noticed_at, resources: vec![] };
            let mut fastest = std::time::Duration::MAX;
            for _ in 0..5 {
                let started = std::time::Instant::now();
                std::hint::black_box(digest(&events, &frame, "blob"));
                fastest = fastest.min(started.elapsed());
            }
            let digest = digest(&events, &frame, "blob");
            println!("######## {} ({} events, digest in {fastest:?})\n{}", dir.display(), events.len(), digest.text);
            for finding in &digest.findings {
                println!(
                    "  {:.2} {:?} {} {:?}\n     {}\n     attrs {:?}\n     ref {}\n     excerpt {}",
                    finding.score,
                    finding.kind,
                    finding.component,
                    finding.time.map(|t| t.to_rfc3339()),
                    finding.summary,
                    finding.attrs,
                    finding.reference,
                    finding.excerpt.replace('\n', "\n             ")
                );
            }
        }
    }
}
