//! Evidence from X-Ray traces: fault/error/throttle rates and latency per service and per edge (service → remote
//! dependency) before vs after the onset, with the deepest failing element of each trace as the likely origin.
//!
//! Each trace is read as a tree (segments linked through `parent_id`, subsegments nested). A failing element with no
//! failing element below it that explains it is where that trace's failure started: a throttled DynamoDB call under a
//! faulting function points at the table, a function faulting on its own points at the function. The onset is the
//! start of the stretch of traces whose failure rate differs most from the rest (a likelihood-ratio scan), bounded by
//! the window and the time the problem was noticed; without failures, the point where trace latency rose.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::metrics::{quantile, resource_name, sort};
use super::{AnalysisFrame, attr};
use crate::contract::{Digest, EvidenceSource, Finding, FindingKind};
use crate::domain::budget;

/// Subsegments nested deeper than this are not read (a guard against pathological documents).
const MAX_DEPTH: usize = 32;
/// An onset may lie this long after the problem was noticed (clocks and sampling are not exact).
const ONSET_SLACK_SECONDS: f64 = 120.0;
/// A stretch of failing traces must be this much likelier than a constant failure rate (log-likelihood ratio).
const MIN_LIKELIHOOD_RATIO: f64 = 6.0;
/// Failing traces needed for a failure onset, and per location for a finding.
const MIN_FAILING: usize = 2;
/// Traces after the last failing one needed to call the failures over.
const RECOVERY_MIN_TRACES: usize = 3;
/// Failures that stopped within this many seconds of their onset were a blip.
const BLIP_SECONDS: f64 = 180.0;
/// A failure rate must rise by at least this much (as a fraction) to be reported.
const MIN_RATE_RISE: f64 = 0.05;
/// Traces needed on each side of a latency onset, and the rank-test z-score and p90 ratio it needs.
const LATENCY_MIN_SIDE: usize = 5;
const LATENCY_MIN_Z: f64 = 4.0;
const LATENCY_MIN_RATIO: f64 = 1.5;
/// Milliseconds a p90 must grow by, besides the ratio, to count as slower.
const LATENCY_MIN_GROWTH_MS: f64 = 20.0;
/// A location's own slowdown: calls needed after its onset, the rank-test z-score, and how much the median after it
/// must exceed the p90 before it (as a factor and in milliseconds). With most calls after it also slower than every
/// call before, two or three slow calls in a row suffice while scattered slow calls of a noisy dependency do not.
const SLOWDOWN_MIN_AFTER: usize = 2;
const SLOWDOWN_MIN_Z: f64 = 2.0;
const SLOWDOWN_MIN_RATIO: f64 = 3.0;
const SLOWDOWN_MIN_GROWTH_MS: f64 = 100.0;
/// Slow calls ending within this fraction past a whole second hit a ceiling: a timeout.
const CEILING_TOLERANCE: f64 = 0.01;
/// Rows of the per-edge table and distinct failure details per excerpt.
const TABLE_ROWS: usize = 15;
const EXCERPT_DETAILS: usize = 3;
const DETAIL_CHARS: usize = 220;

/// Digest of raw traces records for the frame; `blob_ref` is where the raw output is stored.
pub fn digest(records: &[Value], frame: &AnalysisFrame, blob_ref: &str) -> Digest {
    let mut reading = Reading::default();
    let mut traces: Vec<Trace> = records.iter().filter_map(|record| reading.trace(record)).collect();
    traces.sort_by(|a, b| a.time.total_cmp(&b.time));
    let slowdowns = location_slowdowns(&traces, frame);
    // Without a trace-wide change, the earliest location that slowed down marks the onset.
    let onset = failure_onset(&traces, frame)
        .or_else(|| latency_onset(&traces, frame))
        .or_else(|| slowdowns.values().min_by(|a, b| a.time.total_cmp(&b.time)).cloned());
    // A location that slowed down before the trace-wide onset is compared across its own onset.
    let splits: BTreeMap<&Location, &Onset> =
        slowdowns.iter().filter(|(_, slowdown)| onset.as_ref().is_none_or(|o| slowdown.time < o.time)).collect();
    let split_of = |location: &Location| splits.get(location).copied().or(onset.as_ref());
    let mut stats = location_stats(&traces, &split_of);
    stats.iter_mut().for_each(|(location, s)| s.sudden = slowdowns.contains_key(location));
    let slowed: Vec<&Location> = stats.iter().filter(|(_, s)| s.slowdown().is_some()).map(|(l, _)| l).collect();
    let mut findings: Vec<Finding> = stats
        .iter()
        .filter_map(|(location, s)| s.finding(location, split_of(location), explained_by(location, s, &slowed)))
        .collect();
    for finding in &mut findings {
        if let Some(id) = reading.ids.get(&finding.component) {
            finding.attrs.insert(attr::RESOURCE_ID.to_string(), id.clone());
        }
    }
    findings.sort_by(|a, b| b.score.total_cmp(&a.score));
    let early: Vec<(&Location, &Onset)> = splits.into_iter().filter(|(l, _)| slowed.contains(l)).collect();
    let text = digest_text(&traces, &reading, onset.as_ref(), &early, &stats, &findings, blob_ref);
    findings.truncate(budget::DIGEST_FINDINGS);
    budget::bound_digest(Digest { text, findings, records: records.len() as u64, truncated: false })
}

/// How serious a failure is: a 4xx error, or a fault (5xx) or throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Severity {
    Error,
    Severe,
}

/// What went wrong at one element of a trace.
#[derive(Debug, Clone, PartialEq)]
struct Failure {
    severity: Severity,
    /// One of the `attr::ERROR_CLASS` values.
    class: &'static str,
    /// The operation, status and first exception as the segment recorded them.
    detail: String,
}

impl Failure {
    fn of(element: &serde_json::Map<String, Value>) -> Option<Failure> {
        let flag = |name: &str| element.get(name).and_then(Value::as_bool).unwrap_or(false);
        let status = element.get("http").and_then(|h| h.get("response")).and_then(|r| r.get("status"));
        let status = status.and_then(Value::as_u64);
        let throttle = flag("throttle") || status == Some(429);
        let severity = if throttle || flag("fault") || status.is_some_and(|s| s >= 500) {
            Severity::Severe
        } else if flag("error") || status.is_some_and(|s| s >= 400) {
            Severity::Error
        } else {
            return None;
        };
        let exceptions: Vec<String> = element
            .get("cause")
            .and_then(|c| c.get("exceptions"))
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(exception_text).collect())
            .unwrap_or_default();
        let class = error_class(&exceptions.join(" "), status, throttle);
        let operation = element.get("aws").and_then(|a| a.get("operation")).and_then(Value::as_str);
        let mut parts: Vec<String> = operation.map(str::to_string).into_iter().collect();
        parts.extend(status.map(|s| format!("HTTP {s}")));
        let flags: Vec<&str> = ["fault", "error", "throttle"].into_iter().filter(|f| flag(f)).collect();
        if !flags.is_empty() {
            parts.push(flags.join("+"));
        }
        parts.extend(exceptions.first().cloned());
        Some(Failure { severity, class, detail: budget::clip(&parts.join(" "), DETAIL_CHARS) })
    }

    /// Whether this failure below `other` accounts for it: at least as serious, or the same specific kind.
    fn explains(&self, other: &Failure) -> bool {
        self.severity >= other.severity || (self.class == other.class && self.class != GENERIC_CLASS)
    }
}

/// "Type: message" of one `cause.exceptions` entry.
fn exception_text(exception: &Value) -> Option<String> {
    let kind = exception.get("type").and_then(Value::as_str).unwrap_or_default();
    let message = exception.get("message").and_then(Value::as_str).unwrap_or_default();
    match (kind.is_empty(), message.is_empty()) {
        (true, true) => None,
        (false, true) => Some(kind.to_string()),
        (true, false) => Some(message.to_string()),
        (false, false) => Some(format!("{kind}: {message}")),
    }
}

const GENERIC_CLASS: &str = "exception";

/// The error class of a failure from its exception texts, then its HTTP status and throttle flag.
fn error_class(text: &str, status: Option<u64>, throttle: bool) -> &'static str {
    let from_text = super::errors::error_class(text);
    if let Some(class) = from_text.filter(|c| *c != GENERIC_CLASS) {
        return class;
    }
    match status {
        Some(429) => "throttling",
        Some(401) => "credential",
        Some(403) => "accessDenied",
        Some(404) => "notFound",
        Some(408 | 504) => "timeout",
        _ if throttle => "throttling",
        _ => GENERIC_CLASS,
    }
}

/// A place a trace passes through: a service, or a call from a service to a remote dependency.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Location {
    Service(String),
    Edge { caller: String, remote: String },
}

impl Location {
    fn key(&self) -> String {
        match self {
            Location::Service(name) => name.clone(),
            Location::Edge { caller, remote } => format!("{caller} -> {remote}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum ElementKind {
    Segment,
    /// A call to another service (`namespace` aws or remote), with the called resource when named.
    Remote {
        remote: String,
        resource: Option<String>,
    },
    /// Work inside the service (`Invocation`, custom subsegments).
    Internal,
}

/// One segment or subsegment.
#[derive(Debug, Clone)]
struct Element {
    id: Option<String>,
    /// The enclosing element (subsegments) or the calling subsegment (segments, once linked).
    parent: Option<usize>,
    parent_ref: Option<String>,
    service: String,
    /// The resource name to report for the service (API Gateway stages drop their `/stage`).
    service_component: String,
    kind: ElementKind,
    duration_ms: Option<f64>,
    start: Option<f64>,
    failure: Option<Failure>,
}

/// One visit of a trace to a location.
#[derive(Debug, Clone)]
struct Visit {
    location: Location,
    /// The resource the location is about (the called resource for an edge), and the calling service's.
    component: String,
    caller_component: String,
    duration_ms: Option<f64>,
    failure: Option<Failure>,
    /// The failure started here: nothing below it in the trace accounts for it.
    origin: bool,
}

#[derive(Debug, Clone)]
struct Trace {
    id: String,
    /// Epoch seconds of its earliest segment.
    time: f64,
    duration_ms: Option<f64>,
    visits: Vec<Visit>,
    severe: bool,
    failing: bool,
}

/// Counts of what was read, for the text digest.
#[derive(Debug, Default)]
struct Reading {
    segments: usize,
    malformed: usize,
    untimed: usize,
    /// The ids the segments give their resources, by reported component (an API stage's `rest_api_id`).
    ids: BTreeMap<String, String>,
}

impl Reading {
    fn trace(&mut self, record: &Value) -> Option<Trace> {
        let id = record.get("Id").and_then(Value::as_str).unwrap_or("unknown").to_string();
        let Some(segments) = record.get("Segments").and_then(Value::as_array) else {
            self.malformed += 1;
            return None;
        };
        let mut elements: Vec<Element> = Vec::new();
        for segment in segments {
            self.segments += 1;
            let parsed = match segment.get("Document") {
                Some(Value::String(text)) => serde_json::from_str::<Value>(text).ok(),
                Some(document @ Value::Object(_)) => Some(document.clone()),
                _ => None,
            };
            if !parsed.as_ref().is_some_and(|doc| read_segment(doc, &mut elements)) {
                self.malformed += 1;
            } else if let Some((component, id)) = parsed.as_ref().and_then(api_id) {
                self.ids.insert(component, id);
            }
        }
        link_segments(&mut elements);
        let Some(time) =
            elements.iter().filter(|e| e.kind == ElementKind::Segment).filter_map(|e| e.start).reduce(f64::min)
        else {
            self.untimed += usize::from(!segments.is_empty());
            return None;
        };
        let longest_segment =
            || elements.iter().filter(|e| e.kind == ElementKind::Segment).filter_map(|e| e.duration_ms);
        let duration_ms = record
            .get("Duration")
            .and_then(Value::as_f64)
            .map(|d| d * 1_000.0)
            .or_else(|| longest_segment().reduce(f64::max));
        Some(Trace::from_elements(id, time, duration_ms, &elements))
    }
}

/// Reads one segment document and its subsegments; false when it is not a segment.
fn read_segment(document: &Value, elements: &mut Vec<Element>) -> bool {
    let Some(segment) = document.as_object() else { return false };
    let Some(name) = segment.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()) else { return false };
    let is_stage = segment.get("origin").and_then(Value::as_str) == Some("AWS::ApiGateway::Stage");
    let component = if is_stage { name.split('/').next().unwrap_or(name) } else { name };
    let index = elements.len();
    elements.push(Element {
        id: text(segment, "id"),
        parent: None,
        parent_ref: text(segment, "parent_id"),
        service: name.to_string(),
        service_component: component.to_string(),
        kind: ElementKind::Segment,
        duration_ms: duration_ms(segment),
        start: segment.get("start_time").and_then(Value::as_f64),
        failure: Failure::of(segment),
    });
    read_subsegments(segment, index, elements, 0);
    true
}

/// An API Gateway stage's segment names its API (`orders-api/prod`) and gives the API's id (`aws.api_gateway.
/// rest_api_id`), which CloudTrail's changes to the API name it by.
fn api_id(document: &Value) -> Option<(String, String)> {
    let name = document.get("name").and_then(Value::as_str)?;
    let id = document.pointer("/aws/api_gateway/rest_api_id").and_then(Value::as_str).filter(|id| !id.is_empty())?;
    let api = name.split('/').next().filter(|api| !api.is_empty() && *api != id)?;
    Some((api.to_string(), id.to_string()))
}

fn read_subsegments(parent: &serde_json::Map<String, Value>, index: usize, elements: &mut Vec<Element>, depth: usize) {
    if depth >= MAX_DEPTH {
        return;
    }
    let Some(children) = parent.get("subsegments").and_then(Value::as_array) else { return };
    for child in children.iter().filter_map(Value::as_object) {
        let namespace = child.get("namespace").and_then(Value::as_str).unwrap_or_default();
        let kind = if namespace == "aws" || namespace == "remote" { remote_of(child) } else { ElementKind::Internal };
        let child_index = elements.len();
        let (service, service_component) = (elements[index].service.clone(), elements[index].service_component.clone());
        elements.push(Element {
            id: text(child, "id"),
            parent: Some(index),
            parent_ref: None,
            service,
            service_component,
            kind,
            duration_ms: duration_ms(child),
            start: child.get("start_time").and_then(Value::as_f64),
            failure: Failure::of(child),
        });
        read_subsegments(child, child_index, elements, depth + 1);
    }
}

/// The remote a subsegment calls: `DynamoDB:orders-table` when the resource is named, else the subsegment's name. An
/// SQL subsegment is named `database@host` by the X-Ray SDKs: its remote is the host.
fn remote_of(call: &serde_json::Map<String, Value>) -> ElementKind {
    let name = call.get("name").and_then(Value::as_str).unwrap_or("remote");
    let name = match name.split_once('@') {
        Some((_, host)) if call.contains_key("sql") && !host.is_empty() => host.to_string(),
        _ => name.to_string(),
    };
    let aws = call.get("aws");
    let field = |key: &str| aws.and_then(|a| a.get(key));
    let named = ["table_name", "function_name", "queue_name", "bucket_name", "topic_arn", "stream_name"]
        .iter()
        .find_map(|key| field(key).and_then(Value::as_str))
        .or_else(|| field("queue_url").and_then(Value::as_str).and_then(|url| url.rsplit('/').next()))
        .or_else(|| {
            ["table_names", "resource_names"]
                .iter()
                .find_map(|key| field(key).and_then(Value::as_array).and_then(|list| list.first()?.as_str()))
        })
        .filter(|r| !r.is_empty())
        .map(resource_name);
    let remote = match &named {
        Some(resource) if *resource != name => format!("{name}:{resource}"),
        _ => name,
    };
    ElementKind::Remote { remote, resource: named }
}

fn text(object: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_string)
}

fn duration_ms(element: &serde_json::Map<String, Value>) -> Option<f64> {
    let start = element.get("start_time").and_then(Value::as_f64)?;
    let end = element.get("end_time").and_then(Value::as_f64)?;
    (end >= start).then_some((end - start) * 1_000.0)
}

/// Resolves each segment's `parent_id` to the element (usually a subsegment of the caller) with that id.
fn link_segments(elements: &mut [Element]) {
    let by_id: HashMap<String, usize> =
        elements.iter().enumerate().filter_map(|(i, e)| e.id.clone().map(|id| (id, i))).collect();
    for (index, element) in elements.iter_mut().enumerate() {
        let parent = element.parent_ref.as_ref().and_then(|id| by_id.get(id)).copied();
        if let Some(parent) = parent.filter(|p| *p != index) {
            element.parent = Some(parent);
        }
    }
}

impl Trace {
    fn from_elements(id: String, time: f64, duration_ms: Option<f64>, elements: &[Element]) -> Trace {
        // Mark every element that has a failing descendant accounting for its own failure.
        let mut explained = vec![false; elements.len()];
        for (index, element) in elements.iter().enumerate() {
            let Some(failure) = &element.failure else { continue };
            let mut current = element.parent;
            let mut steps = 0;
            while let Some(ancestor) = current.filter(|_| steps < elements.len()) {
                if elements[ancestor].failure.as_ref().is_some_and(|f| failure.explains(f)) {
                    explained[ancestor] = true;
                }
                current = elements[ancestor].parent.filter(|p| *p != index);
                steps += 1;
            }
        }
        let origin = |i: usize| elements[i].failure.is_some() && !explained[i];
        let mut visits: Vec<Visit> = Vec::new();
        let mut services: BTreeMap<&str, Visit> = BTreeMap::new();
        for (index, element) in elements.iter().enumerate() {
            match &element.kind {
                ElementKind::Remote { remote, resource } => visits.push(Visit {
                    location: Location::Edge { caller: element.service.clone(), remote: remote.clone() },
                    component: resource.clone().unwrap_or_else(|| remote.clone()),
                    caller_component: element.service_component.clone(),
                    duration_ms: element.duration_ms,
                    failure: element.failure.clone(),
                    origin: origin(index),
                }),
                ElementKind::Segment | ElementKind::Internal => {
                    let visit = services.entry(&element.service).or_insert_with(|| Visit {
                        location: Location::Service(element.service.clone()),
                        component: element.service_component.clone(),
                        caller_component: element.service_component.clone(),
                        duration_ms: None,
                        failure: None,
                        origin: false,
                    });
                    if element.kind == ElementKind::Segment {
                        visit.duration_ms = match (visit.duration_ms, element.duration_ms) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            (a, b) => a.or(b),
                        };
                    }
                    // The service's failure: its origin if it has one, else its most serious, most specific one.
                    if let Some(failure) = &element.failure {
                        let better = match &visit.failure {
                            None => true,
                            Some(current) => {
                                (origin(index) && !visit.origin)
                                    || (origin(index) == visit.origin && failure.severity > current.severity)
                                    || (current.class == GENERIC_CLASS && failure.class != GENERIC_CLASS)
                            }
                        };
                        if better {
                            visit.failure = Some(failure.clone());
                        }
                        visit.origin |= origin(index);
                    }
                }
            }
        }
        visits.extend(services.into_values());
        let severe = elements.iter().any(|e| e.failure.as_ref().is_some_and(|f| f.severity == Severity::Severe));
        let failing = elements.iter().any(|e| e.failure.is_some());
        Trace { id, time, duration_ms, visits, severe, failing }
    }
}

/// When the behaviour changed: the first trace of the changed stretch, and the end of it if it ended.
#[derive(Debug, Clone, PartialEq)]
struct Onset {
    time: f64,
    /// When the failures stopped (the first good trace after the last failing one), if they did.
    ended: Option<f64>,
    /// Failing traces before and during the stretch, as fractions.
    rate_before: f64,
    rate_during: f64,
    /// True when the onset was found from latency because nothing failed more.
    from_latency: bool,
}

impl Onset {
    fn covers(&self, time: f64) -> bool {
        time >= self.time && self.ended.is_none_or(|end| time < end)
    }

    fn blip(&self) -> bool {
        self.ended.is_some_and(|end| end - self.time <= BLIP_SECONDS)
    }
}

/// The stretch of traces whose failure rate stands out most (an epidemic change-point scan), starting within the
/// window and not after the problem was noticed.
fn failure_onset(traces: &[Trace], frame: &AnalysisFrame) -> Option<Onset> {
    let use_severe = traces.iter().any(|t| t.severe);
    let failing: Vec<bool> = traces.iter().map(|t| if use_severe { t.severe } else { t.failing }).collect();
    let mut prefix = vec![0usize; traces.len() + 1];
    for (i, f) in failing.iter().enumerate() {
        prefix[i + 1] = prefix[i] + usize::from(*f);
    }
    let (total, all) = (traces.len(), prefix[traces.len()]);
    let (earliest_start, latest_start) = onset_bounds(frame);
    let failing_at: Vec<usize> = (0..total).filter(|i| failing[*i]).collect();
    let mut best: Option<(f64, usize, usize)> = None;
    for (n, &start) in failing_at.iter().enumerate() {
        if traces[start].time < earliest_start || traces[start].time > latest_start {
            continue;
        }
        for &end in &failing_at[n..] {
            let (inside, inside_failing) = (end - start + 1, prefix[end + 1] - prefix[start]);
            let (outside, outside_failing) = (total - inside, all - inside_failing);
            if inside_failing < MIN_FAILING || rate(inside_failing, inside) <= rate(outside_failing, outside) {
                continue;
            }
            let ratio = log_likelihood(inside_failing, inside) + log_likelihood(outside_failing, outside)
                - log_likelihood(all, total);
            if best.is_none_or(|(r, _, _)| ratio > r) {
                best = Some((ratio, start, end));
            }
        }
    }
    let (ratio, start, end) = best?;
    if ratio < MIN_LIKELIHOOD_RATIO {
        return None;
    }
    let ended = (total - 1 - end >= RECOVERY_MIN_TRACES).then(|| traces[end + 1].time);
    Some(Onset {
        time: traces[start].time,
        ended,
        rate_before: rate(prefix[start], start),
        rate_during: rate(prefix[end + 1] - prefix[start], end - start + 1),
        from_latency: false,
    })
}

fn rate(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// Log-likelihood of `hits` in `n` Bernoulli trials at their own rate.
fn log_likelihood(hits: usize, n: usize) -> f64 {
    let p = rate(hits, n);
    let term = |count: usize, probability: f64| if count == 0 { 0.0 } else { count as f64 * probability.ln() };
    term(hits, p) + term(n - hits, 1.0 - p)
}

/// Where trace durations rose the most (a rank-sum scan over split points), when nothing failed more.
fn latency_onset(traces: &[Trace], frame: &AnalysisFrame) -> Option<Onset> {
    let timed: Vec<(f64, f64)> = traces.iter().filter_map(|t| t.duration_ms.map(|d| (t.time, d))).collect();
    let (z, split) = rank_split(&timed, LATENCY_MIN_SIDE, LATENCY_MIN_SIDE, frame)?;
    let p90 = |slice: &[(f64, f64)]| percentiles_of(slice.iter().map(|t| t.1))[1];
    let (before, after) = (p90(&timed[..split]), p90(&timed[split..]));
    if z < LATENCY_MIN_Z || after < before * LATENCY_MIN_RATIO {
        return None;
    }
    let failing_before = rate(traces.iter().filter(|t| t.time < timed[split].0 && t.failing).count(), split);
    Some(Onset {
        time: timed[split].0,
        ended: None,
        rate_before: failing_before,
        rate_during: failing_before,
        from_latency: true,
    })
}

/// The split of time-ordered `(time, duration)` pairs whose later part is slowest by rank (the Mann-Whitney z-score
/// of the later part), with at least `min_before` and `min_after` on each side and the split within the onset bounds.
fn rank_split(
    timed: &[(f64, f64)],
    min_before: usize,
    min_after: usize,
    frame: &AnalysisFrame,
) -> Option<(f64, usize)> {
    let total = timed.len();
    if total < min_before + min_after {
        return None;
    }
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_by(|a, b| timed[*a].1.total_cmp(&timed[*b].1));
    // Ranks 1..=n, ties sharing their average rank.
    let mut ranks = vec![0.0; total];
    let mut first = 0;
    while first < total {
        let tied = order[first..].iter().take_while(|i| timed[**i].1 == timed[order[first]].1).count();
        let average = first as f64 + (tied as f64 + 1.0) / 2.0;
        order[first..first + tied].iter().for_each(|i| ranks[*i] = average);
        first += tied;
    }
    let (earliest_start, latest_start) = onset_bounds(frame);
    let mut suffix = vec![0.0; total + 1];
    for i in (0..total).rev() {
        suffix[i] = suffix[i + 1] + ranks[i];
    }
    let n = total as f64;
    (min_before..=total - min_after)
        .filter(|k| timed[*k].0 >= earliest_start && timed[*k].0 <= latest_start)
        .map(|k| {
            let (after, before) = ((total - k) as f64, k as f64);
            let u = suffix[k] - after * (after + 1.0) / 2.0;
            let z = (u - after * before / 2.0) / (after * before * (n + 1.0) / 12.0).sqrt();
            (z, k)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// The earliest and latest time an onset may have: within the window, not (much) after the problem was noticed.
fn onset_bounds(frame: &AnalysisFrame) -> (f64, f64) {
    let latest_start =
        (frame.noticed_at.timestamp() as f64 + ONSET_SLACK_SECONDS).min(frame.window.end.timestamp() as f64);
    (frame.window.start.timestamp() as f64, latest_start)
}

/// p50, p90, p99 of some durations (zeros when there are none).
fn percentiles_of(durations: impl Iterator<Item = f64>) -> [f64; 3] {
    let mut sorted: Vec<f64> = durations.collect();
    if sorted.is_empty() {
        return [0.0; 3];
    }
    sort(&mut sorted);
    [quantile(&sorted, 0.5), quantile(&sorted, 0.9), quantile(&sorted, 0.99)]
}

/// One timed visit of a location, in trace order.
#[derive(Debug, Clone, Copy)]
struct TimedVisit {
    time: f64,
    duration_ms: f64,
    failing: bool,
}

/// Per location, when its own calls became markedly slower and stayed so: a rank-sum split whose later calls are
/// mostly slower than every earlier one, by a large factor. This finds a dependency that slows down before (or
/// without) failing, which the trace-wide scans miss when other, unaffected traffic dominates.
fn location_slowdowns(traces: &[Trace], frame: &AnalysisFrame) -> BTreeMap<Location, Onset> {
    let mut series: BTreeMap<&Location, Vec<TimedVisit>> = BTreeMap::new();
    for trace in traces {
        for visit in &trace.visits {
            if let Some(duration_ms) = visit.duration_ms {
                let failing = visit.failure.is_some();
                series.entry(&visit.location).or_default().push(TimedVisit { time: trace.time, duration_ms, failing });
            }
        }
    }
    series
        .into_iter()
        .filter_map(|(location, visits)| slowdown_onset(&visits, frame).map(|onset| (location.clone(), onset)))
        .collect()
}

fn slowdown_onset(visits: &[TimedVisit], frame: &AnalysisFrame) -> Option<Onset> {
    let timed: Vec<(f64, f64)> = visits.iter().map(|v| (v.time, v.duration_ms)).collect();
    let (z, mut split) = rank_split(&timed, LATENCY_MIN_SIDE, SLOWDOWN_MIN_AFTER, frame)?;
    let slowest_before = timed[..split].iter().map(|t| t.1).fold(0.0, f64::max);
    // The slowdown starts with its first call slower than every call before it (the rank split may lean earlier).
    while split + SLOWDOWN_MIN_AFTER < timed.len() && timed[split].1 <= slowest_before {
        split += 1;
    }
    let (before, after) = (&timed[..split], &timed[split..]);
    let [_, before_p90, _] = percentiles_of(before.iter().map(|t| t.1));
    let [after_p50, _, _] = percentiles_of(after.iter().map(|t| t.1));
    let slower_than_all = after.iter().filter(|t| t.1 > slowest_before).count();
    let marked = slower_than_all * 2 > after.len()
        && after_p50 >= SLOWDOWN_MIN_RATIO * before_p90
        && after_p50 - before_p90 >= SLOWDOWN_MIN_GROWTH_MS;
    if z < SLOWDOWN_MIN_Z || !marked {
        return None;
    }
    let failing = |slice: &[TimedVisit]| rate(slice.iter().filter(|v| v.failing).count(), slice.len());
    Some(Onset {
        time: timed[split].0,
        ended: None,
        rate_before: failing(&visits[..split]),
        rate_during: failing(&visits[split..]),
        from_latency: true,
    })
}

/// Calls and failures at one location on one side of the onset.
#[derive(Debug, Default, Clone)]
struct Side {
    calls: usize,
    failed: usize,
    origins: usize,
    /// Failures that were server-side (a fault, a 5XX, a throttle), not the caller's bad request.
    severe: usize,
    durations: Vec<f64>,
    classes: BTreeMap<&'static str, usize>,
}

impl Side {
    fn add(&mut self, visit: &Visit) {
        self.calls += 1;
        self.durations.extend(visit.duration_ms);
        if let Some(failure) = &visit.failure {
            self.failed += 1;
            self.origins += usize::from(visit.origin);
            self.severe += usize::from(failure.severity == Severity::Severe);
            *self.classes.entry(failure.class).or_default() += 1;
        }
    }

    fn failure_rate(&self) -> f64 {
        rate(self.failed, self.calls)
    }

    /// p50, p90, p99 of the durations in milliseconds.
    fn percentiles(&self) -> Option<[f64; 3]> {
        (!self.durations.is_empty()).then(|| percentiles_of(self.durations.iter().copied()))
    }
}

/// One location before vs after the onset, and what its failures after the onset looked like.
#[derive(Debug, Default, Clone)]
struct LocationStats {
    component: String,
    caller_component: String,
    before: Side,
    after: Side,
    /// The first failing visit after the onset: trace id and time.
    first: Option<(String, f64)>,
    /// Distinct failure details after the onset with their counts.
    details: BTreeMap<String, usize>,
    /// The slowest visit after the onset: trace id and milliseconds.
    slowest: Option<(String, f64)>,
    /// Its own calls slowed down markedly (see `location_slowdowns`), so fewer slow calls make a slowdown.
    sudden: bool,
}

/// Each location's calls before and after its onset (`split_of`: its own, or the trace-wide one).
fn location_stats<'a>(
    traces: &[Trace],
    split_of: &dyn Fn(&Location) -> Option<&'a Onset>,
) -> BTreeMap<Location, LocationStats> {
    let mut stats: BTreeMap<Location, LocationStats> = BTreeMap::new();
    for trace in traces {
        for visit in &trace.visits {
            let onset = split_of(&visit.location);
            let after = onset.is_some_and(|o| o.covers(trace.time));
            let before = onset.is_none_or(|o| trace.time < o.time);
            if !after && !before {
                continue;
            }
            let entry = stats.entry(visit.location.clone()).or_default();
            entry.component.clone_from(&visit.component);
            entry.caller_component.clone_from(&visit.caller_component);
            if before {
                entry.before.add(visit);
                continue;
            }
            entry.after.add(visit);
            if let Some(duration) = visit.duration_ms.filter(|d| entry.slowest.as_ref().is_none_or(|s| *d > s.1)) {
                entry.slowest = Some((trace.id.clone(), duration));
            }
            if let Some(failure) = &visit.failure {
                if entry.first.is_none() {
                    entry.first = Some((trace.id.clone(), trace.time));
                }
                *entry.details.entry(failure.detail.clone()).or_default() += 1;
            }
        }
    }
    stats
}

impl LocationStats {
    /// The class whose failures rose the most after the onset; without failures after it, the most common before.
    fn dominant_class(&self) -> &'static str {
        let expected = |class: &str| {
            let before = self.before.classes.get(class).copied().unwrap_or_default();
            rate(before, self.before.calls) * self.after.calls as f64
        };
        let most = |classes: &BTreeMap<&'static str, usize>, weigh: &dyn Fn(&str, usize) -> f64| {
            classes.iter().map(|(class, count)| (*class, weigh(class, *count))).max_by(|a, b| a.1.total_cmp(&b.1))
        };
        most(&self.after.classes, &|class, count| count as f64 - expected(class))
            .or_else(|| most(&self.before.classes, &|_, count| count as f64))
            .map_or(GENERIC_CLASS, |(class, _)| class)
    }

    /// How much slower it got: the p90 ratio after/before, when both sides have enough calls and it grew.
    fn slowdown(&self) -> Option<f64> {
        let ([_, before, _], [_, after, _]) = (self.before.percentiles()?, self.after.percentiles()?);
        let min_after = if self.sudden { SLOWDOWN_MIN_AFTER } else { 3 };
        let enough = self.before.durations.len() >= LATENCY_MIN_SIDE && self.after.durations.len() >= min_after;
        let ratio = after / before.max(1e-3);
        (enough && ratio >= LATENCY_MIN_RATIO && after - before >= LATENCY_MIN_GROWTH_MS).then_some(ratio)
    }

    fn rate_rise(&self) -> f64 {
        self.after.failure_rate() - self.before.failure_rate()
    }

    /// Whether several slow calls after the onset ended just past the same whole second, as calls cut off by a
    /// timeout do (timeouts are set in whole seconds; slow calls that finish on their own spread out).
    fn hits_ceiling(&self) -> bool {
        let slowest = self.after.durations.iter().copied().fold(0.0, f64::max);
        let ceiling = (slowest / 1_000.0).floor() * 1_000.0;
        let at_ceiling = |d: &&f64| **d >= ceiling && **d <= ceiling * (1.0 + CEILING_TOLERANCE);
        let count = self.after.durations.iter().filter(at_ceiling).count();
        ceiling >= 1_000.0 && count >= 2 && count * 5 >= self.after.durations.len()
    }

    /// `explained`: something this location waits on slowed down too, so the slowdown likely started there.
    fn finding(&self, location: &Location, onset: Option<&Onset>, explained: bool) -> Option<Finding> {
        let onset = onset?;
        let failing = self.after.failed >= MIN_FAILING && self.rate_rise() >= MIN_RATE_RISE;
        let slowdown = self.slowdown();
        if !failing && slowdown.is_none() {
            return None;
        }
        // Failures that start here rank above failures passed up from below; a blip ranks low.
        let origin_share = rate(self.after.origins, self.after.failed);
        let role = if origin_share >= 0.5 { 1.0 } else { 0.6 };
        let persistence = if onset.blip() {
            0.3
        } else if onset.ended.is_some() {
            0.7
        } else {
            1.0
        };
        let volume = 1.0 - (-(self.after.failed as f64) / 4.0).exp();
        let failure_score = if failing { (0.4 + 0.6 * self.rate_rise().min(1.0)) * volume * role } else { 0.0 };
        // A sudden slowdown has passed a stricter test (see `location_slowdowns`), so fewer calls convince.
        let calls_scale = if self.sudden { 2.0 } else { 5.0 };
        let calls = 1.0 - (-(self.after.calls as f64) / calls_scale).exp();
        let latency_role = if explained { 0.6 } else { 1.0 };
        let latency_score = slowdown.map_or(0.0, |ratio| 0.6 * (1.0 - 1.0 / ratio) * calls * latency_role);
        let score = (failure_score.max(latency_score) * persistence).clamp(0.0, 1.0);

        let class = self.dominant_class();
        let component = match location {
            // A caller refused access or holding bad credentials is the caller's problem, not the callee's.
            Location::Edge { .. } if failing && matches!(class, "accessDenied" | "credential") => {
                self.caller_component.clone()
            }
            _ => self.component.clone(),
        };
        let mut attrs = BTreeMap::new();
        attrs.insert(attr::EDGE.to_string(), location.key());
        attrs.insert(attr::RATE_BEFORE.to_string(), fraction(self.before.failure_rate()));
        attrs.insert(attr::RATE_AFTER.to_string(), fraction(self.after.failure_rate()));
        attrs.insert(attr::COUNT_BEFORE.to_string(), self.before.failed.to_string());
        attrs.insert(attr::COUNT_AFTER.to_string(), self.after.failed.to_string());
        if failing {
            attrs.insert(attr::ERROR_CLASS.to_string(), class.to_string());
        } else if slowdown.is_some() && (self.after.classes.contains_key("timeout") || self.hits_ceiling()) {
            attrs.insert(attr::ERROR_CLASS.to_string(), "timeout".to_string());
        }
        if let Some(origin) = self.fault_origin(location).filter(|_| failing) {
            attrs.insert(attr::FAULT_ORIGIN.to_string(), origin.to_string());
        }
        if let Some(ended) = onset.ended.and_then(time_of) {
            attrs.insert(attr::ENDED_AT.to_string(), ended.to_rfc3339());
        }
        let (reference, time) = match (&self.first, &self.slowest) {
            // A slowdown starts at its onset, which may precede the first failure.
            (Some((trace, time)), _) if slowdown.is_some() => {
                (format!("trace {trace}"), time_of(onset.time.min(*time)))
            }
            (Some((trace, time)), _) => (format!("trace {trace}"), time_of(*time)),
            (None, Some((trace, _))) => (format!("trace {trace}"), time_of(onset.time)),
            (None, None) => (format!("traces from {}", clock(onset.time)), time_of(onset.time)),
        };
        Some(Finding {
            source: EvidenceSource::Traces,
            kind: FindingKind::TraceAnomaly,
            component,
            time,
            score,
            summary: self.summary(location, onset, failing.then_some(class), slowdown),
            excerpt: self.excerpt(),
            reference,
            attrs,
        })
    }

    /// Where server-side failures came from, when not from this service's own work: passed up from a call
    /// below it (`below`), or a remote that failed to serve its caller (`remote`).
    fn fault_origin(&self, location: &Location) -> Option<&'static str> {
        let after = &self.after;
        if after.severe * 2 < after.failed {
            return None;
        }
        match location {
            Location::Service(_) if after.origins * 2 < after.failed => Some("below"),
            Location::Edge { .. } if after.origins * 2 >= after.failed => Some("remote"),
            _ => None,
        }
    }

    fn summary(&self, location: &Location, onset: &Onset, class: Option<&str>, slowdown: Option<f64>) -> String {
        let mut parts = vec![format!("{} from {}", location.key(), clock(onset.time))];
        if let Some(class) = class {
            parts.push(format!(
                "failed {}/{} before → {}/{} after ({class}{})",
                self.before.failed,
                self.before.calls,
                self.after.failed,
                self.after.calls,
                if self.after.origins * 2 >= self.after.failed { ", starts here" } else { ", passed up from below" },
            ));
        }
        if let (Some(ratio), Some(before), Some(after)) =
            (slowdown, self.before.percentiles(), self.after.percentiles())
        {
            parts.push(format!("p90 {} → {} ms (×{:.1})", ms(before[1]), ms(after[1]), ratio));
        }
        if let Some(ended) = onset.ended {
            parts.push(format!("over by {}", clock(ended)));
        }
        parts.join("; ")
    }

    /// The failure details seen after the onset, most frequent first, copied from the segments.
    fn excerpt(&self) -> String {
        let mut details: Vec<(&String, &usize)> = self.details.iter().collect();
        details.sort_by(|a, b| b.1.cmp(a.1));
        let mut lines: Vec<String> =
            details.iter().take(EXCERPT_DETAILS).map(|(detail, count)| format!("×{count} {detail}")).collect();
        if let Some((trace, time)) = &self.first {
            lines.push(format!("first at {} in trace {trace}", clock(*time)));
        }
        if let (Some(before), Some(after)) = (self.before.percentiles(), self.after.percentiles()) {
            lines.push(format!(
                "p50/p90/p99 ms {} → {} over {} → {} calls",
                triple(before),
                triple(after),
                self.before.durations.len(),
                self.after.durations.len()
            ));
        }
        if let Some((trace, slowest)) = self.slowest.as_ref().filter(|_| self.slowdown().is_some()) {
            lines.push(format!("slowest {} ms in trace {trace}", ms(*slowest)));
        }
        lines.join("; ")
    }
}

/// Whether a slowed location waits on another slowed one: a service on its slowed calls, a call on the slowed service
/// it calls.
fn explained_by(location: &Location, stats: &LocationStats, slowed: &[&Location]) -> bool {
    slowed.iter().any(|other| match (location, other) {
        (Location::Service(name), Location::Edge { caller, .. }) => caller == name,
        (Location::Edge { .. }, Location::Service(name)) => *name == stats.component,
        _ => false,
    })
}

fn digest_text(
    traces: &[Trace],
    reading: &Reading,
    onset: Option<&Onset>,
    early: &[(&Location, &Onset)],
    stats: &BTreeMap<Location, LocationStats>,
    findings: &[Finding],
    blob_ref: &str,
) -> String {
    let mut lines = Vec::new();
    let span = match (traces.first(), traces.last()) {
        (Some(first), Some(last)) => format!(", {}–{} UTC", clock(first.time), clock(last.time)),
        _ => String::new(),
    };
    let skipped = if reading.malformed + reading.untimed > 0 {
        format!(" ({} malformed or untimed, skipped)", reading.malformed + reading.untimed)
    } else {
        String::new()
    };
    lines.push(format!("Traces: {} traces, {} segments{skipped}{span}.", traces.len(), reading.segments));
    if !blob_ref.is_empty() {
        lines.push(format!("Raw traces: {blob_ref}"));
    }
    let failing = traces.iter().filter(|t| t.failing).count();
    lines.push(match onset {
        Some(o) if o.from_latency => format!("No rise in failures; latency rose from {}.", clock(o.time)),
        Some(o) => format!(
            "Failures rose at {} (failing traces {} before → {} after){}.",
            clock(o.time),
            percent(o.rate_before),
            percent(o.rate_during),
            match o.ended {
                Some(end) if o.blip() => format!(", over by {} (a blip of {:.0} s)", clock(end), end - o.time),
                Some(end) => format!(", over by {}", clock(end)),
                None => ", ongoing".to_string(),
            }
        ),
        None => format!("No onset: {failing} of {} traces failed, at a steady rate.", traces.len()),
    });
    if !early.is_empty() {
        let slowed: Vec<String> =
            early.iter().take(EXCERPT_DETAILS).map(|(l, o)| format!("{} from {}", l.key(), clock(o.time))).collect();
        lines.push(format!("Slower before that (compared across their own onset): {}.", slowed.join("; ")));
    }
    let side = |s: &LocationStats| if onset.is_some() { s.after.origins } else { s.before.origins };
    let origins: Vec<String> = stats
        .iter()
        .filter(|(_, s)| side(s) >= MIN_FAILING)
        .map(|(location, s)| format!("{} ({} traces, {})", location.key(), side(s), s.dominant_class()))
        .collect();
    if !origins.is_empty() {
        lines.push(format!("Failures start at (deepest failing element): {}.", origins.join("; ")));
    }
    let mut rows: Vec<(&Location, &LocationStats)> = stats.iter().collect();
    rows.sort_by(|a, b| {
        let change = |s: &LocationStats| s.rate_rise().max(0.0) + s.slowdown().map_or(0.0, |r| (r - 1.0).min(1.0));
        change(b.1).total_cmp(&change(a.1)).then(b.1.after.calls.cmp(&a.1.after.calls))
    });
    let header = if onset.is_some() { "before → after onset" } else { "whole sample" };
    lines.push(format!("Per service and edge, {header} (calls, failed %, p50/p90/p99 ms):"));
    for (location, s) in rows.iter().take(TABLE_ROWS) {
        let class = if s.after.failed > 0 || (onset.is_none() && s.before.failed > 0) {
            format!(" {}", s.dominant_class())
        } else {
            String::new()
        };
        let latency = match (s.before.percentiles(), s.after.percentiles()) {
            (Some(b), Some(a)) => format!("{} → {}", triple(b), triple(a)),
            (Some(b), None) => triple(b),
            (None, Some(a)) => format!("– → {}", triple(a)),
            (None, None) => "–".to_string(),
        };
        let row = if onset.is_some() {
            format!(
                "- {} | {}→{} | {}→{}{class} | {latency}",
                budget::clip(&location.key(), 90),
                s.before.calls,
                s.after.calls,
                percent(s.before.failure_rate()),
                percent(s.after.failure_rate()),
            )
        } else {
            format!(
                "- {} | {} | {}{class} | {latency}",
                budget::clip(&location.key(), 90),
                s.before.calls,
                percent(s.before.failure_rate())
            )
        };
        lines.push(row);
    }
    if rows.len() > TABLE_ROWS {
        lines.push(format!("… and {} more without change.", rows.len() - TABLE_ROWS));
    }
    if findings.is_empty() {
        lines.push("No service or edge got worse.".to_string());
    }
    let mut text = String::new();
    for line in lines {
        if text.chars().count() + line.chars().count() + 1 > budget::DIGEST_TEXT_CHARS {
            break;
        }
        text.push_str(&line);
        text.push('\n');
    }
    text.trim_end().to_string()
}

fn time_of(epoch_seconds: f64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis((epoch_seconds * 1_000.0).round() as i64)
}

fn clock(epoch_seconds: f64) -> String {
    time_of(epoch_seconds).map_or_else(|| "?".to_string(), |t| t.format("%H:%M:%S").to_string())
}

fn fraction(value: f64) -> String {
    format!("{value:.2}")
}

fn percent(value: f64) -> String {
    format!("{:.0}%", value * 100.0)
}

fn ms(value: f64) -> String {
    if value >= 100.0 { format!("{value:.0}") } else { format!("{value:.1}") }
}

fn triple(values: [f64; 3]) -> String {
    format!("{}/{}/{}", ms(values[0]), ms(values[1]), ms(values[2]))
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use serde_json::json;

    use super::*;
    use crate::contract::Window;

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

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Outcome {
        Ok,
        Throttled,
        CodeFault,
        AccessDenied,
        DnsFailure,
    }

    fn trace_id(index: usize) -> String {
        format!("1-{index:08x}-0123456789abcdef01234567")
    }

    /// One request through an API Gateway stage, a Lambda function and a DynamoDB table, as X-Ray records it.
    fn request(index: usize, outcome: Outcome, table_ms: f64) -> Value {
        let at = start().timestamp() as f64 + 30.0 * index as f64 + 0.01;
        let failing = outcome != Outcome::Ok;
        let denied = "User: arn:aws:sts::1:assumed-role/orders-api-role/orders-api is not authorized to perform: \
                      dynamodb:PutItem on resource: orders-table";
        let mut call = json!({"id": format!("ddb{index}"), "name": "DynamoDB", "namespace": "aws",
            "start_time": at + 0.002, "end_time": at + 0.002 + table_ms / 1000.0,
            "aws": {"operation": "PutItem", "table_name": "orders-table"}, "http": {"response": {"status": 200}}});
        let mut invocation = json!({"id": format!("inv{index}"), "name": "Invocation", "start_time": at,
            "end_time": at + 0.01 + table_ms / 1000.0});
        match outcome {
            Outcome::Throttled => {
                call["http"]["response"]["status"] = json!(400);
                call["error"] = json!(true);
                call["throttle"] = json!(true);
                call["cause"] = json!({"exceptions": [{"type": "ProvisionedThroughputExceededException",
                    "message": "The level of configured provisioned throughput for the table was exceeded."}]});
            }
            Outcome::AccessDenied => {
                call["http"]["response"]["status"] = json!(400);
                call["error"] = json!(true);
                call["cause"] = json!({"exceptions": [{"type": "AccessDeniedException", "message": denied}]});
                invocation["fault"] = json!(true);
                invocation["cause"] = json!({"exceptions": [{"type": "ClientError", "message": denied}]});
            }
            Outcome::DnsFailure => {
                invocation["fault"] = json!(true);
                invocation["cause"] = json!({"exceptions": [{"type": "SdkClientException", "message":
                    "Unable to execute HTTP request: dynamodb.eu-west-1.amazonaws.com: Temporary failure in name resolution"}]});
            }
            Outcome::Ok | Outcome::CodeFault => {}
        }
        if outcome != Outcome::DnsFailure {
            invocation["subsegments"] = json!([call]);
        }
        let function = json!({"id": format!("fn{index}"), "name": "orders-api", "origin": "AWS::Lambda::Function",
            "parent_id": format!("lam{index}"), "start_time": at, "end_time": at + 0.02 + table_ms / 1000.0,
            "subsegments": [invocation], "fault": failing});
        let lambda = json!({"id": format!("lam{index}"), "name": "orders-api", "origin": "AWS::Lambda",
            "parent_id": format!("gwcall{index}"), "start_time": at, "end_time": at + 0.03 + table_ms / 1000.0,
            "http": {"response": {"status": 200}}});
        let gateway = json!({"id": format!("gw{index}"), "name": "shop-api/prod", "origin": "AWS::ApiGateway::Stage",
            "start_time": at - 0.01, "end_time": at + 0.04 + table_ms / 1000.0,
            "http": {"response": {"status": if failing { 502 } else { 200 }}}, "fault": failing,
            "aws": {"api_gateway": {"rest_api_id": "k3x9q2w7ab", "stage": "prod"}},
            "subsegments": [{"id": format!("gwcall{index}"), "name": "Lambda", "namespace": "aws",
                "start_time": at, "end_time": at + 0.035 + table_ms / 1000.0, "fault": failing,
                "aws": {"function_name": "orders-api", "operation": "Invoke"}, "http": {"response": {"status": 200}}}]});
        let segments: Vec<Value> =
            [gateway, lambda, function].iter().map(|d| json!({"Id": d["id"], "Document": d.to_string()})).collect();
        json!({"Id": trace_id(index), "Duration": 0.05 + table_ms / 1000.0, "Segments": segments})
    }

    /// A request every 30 seconds for an hour; `outcome` for those in `failing`, fine otherwise.
    fn traffic(failing: std::ops::Range<usize>, outcome: Outcome) -> Vec<Value> {
        (0..120).map(|i| request(i, if failing.contains(&i) { outcome } else { Outcome::Ok }, 5.0)).collect()
    }

    fn top(digest: &Digest) -> &Finding {
        digest.findings.first().unwrap_or_else(|| panic!("no findings; text:\n{}", digest.text))
    }

    #[test]
    fn a_throttled_table_under_a_failing_function_is_where_failures_start() {
        let digest = digest(&traffic(100..120, Outcome::Throttled), &frame(), "");
        let finding = top(&digest);
        assert_eq!(finding.kind, FindingKind::TraceAnomaly);
        assert_eq!(finding.component, "orders-table");
        assert_eq!(finding.attr(attr::EDGE), "orders-api -> DynamoDB:orders-table");
        assert_eq!(finding.attr(attr::ERROR_CLASS), "throttling");
        assert_eq!((finding.attr(attr::RATE_BEFORE), finding.attr(attr::RATE_AFTER)), ("0.00", "1.00"));
        assert_eq!(finding.time, Some(start() + Duration::minutes(50)));
        assert_eq!(finding.reference, format!("trace {}", trace_id(100)));
        assert!(finding.excerpt.contains("×20 PutItem HTTP 400 error+throttle ProvisionedThroughputExceededException"));
        // The function and the API fail too, but only because the table throttles: they rank lower.
        let propagated: Vec<&Finding> = digest.findings.iter().skip(1).collect();
        let api = propagated.iter().find(|f| f.component == "shop-api").expect("API finding");
        assert!(api.score < finding.score);
        // The API's stage gives the API's id, which CloudTrail names it by; the table's calls give none.
        assert_eq!((api.attr(attr::RESOURCE_ID), finding.attr(attr::RESOURCE_ID)), ("k3x9q2w7ab", ""));
        assert!(propagated.iter().any(|f| f.attr(attr::EDGE) == "orders-api" && f.score < finding.score));
        // Where the failures began: the table failed its caller; the function passed them up.
        assert_eq!(finding.attr(attr::FAULT_ORIGIN), "remote");
        let function = propagated.iter().find(|f| f.attr(attr::EDGE) == "orders-api").expect("function finding");
        assert_eq!(function.attr(attr::FAULT_ORIGIN), "below");
        assert!(digest.text.contains("Failures rose at 10:50:00"), "{}", digest.text);
        assert_eq!(digest.records, 120);
    }

    #[test]
    fn a_function_failing_on_its_own_points_at_the_function() {
        let digest = digest(&traffic(90..120, Outcome::CodeFault), &frame(), "");
        let finding = top(&digest);
        assert_eq!(finding.component, "orders-api");
        assert_eq!(finding.attr(attr::EDGE), "orders-api");
        assert_eq!(finding.attr(attr::ERROR_CLASS), "exception");
        assert!(finding.summary.contains("starts here"), "{}", finding.summary);
        assert_eq!(finding.attr(attr::FAULT_ORIGIN), "");
    }

    #[test]
    fn access_denied_points_at_the_caller_that_lacks_the_permission() {
        let digest = digest(&traffic(100..120, Outcome::AccessDenied), &frame(), "");
        let finding = top(&digest);
        assert_eq!(finding.component, "orders-api");
        assert_eq!(finding.attr(attr::EDGE), "orders-api -> DynamoDB:orders-table");
        assert_eq!(finding.attr(attr::ERROR_CLASS), "accessDenied");
        assert!(finding.excerpt.contains("AccessDeniedException: User: arn:aws:sts::1:assumed-role/orders-api-role"));
        // A refused request is the caller's, not a remote failing to serve.
        assert_eq!(finding.attr(attr::FAULT_ORIGIN), "");
    }

    #[test]
    fn an_sql_subsegment_calls_the_database_host_it_is_named_after() {
        let call = json!({"name": "billing@billing-proxy.proxy-5vb.eu-north-1.rds.amazonaws.com",
            "sql": {"url": "jdbc:mysql://billing-proxy.proxy-5vb.eu-north-1.rds.amazonaws.com:3306/billing"}});
        let ElementKind::Remote { remote, .. } = remote_of(call.as_object().unwrap()) else { panic!("a remote") };
        assert_eq!(remote, "billing-proxy.proxy-5vb.eu-north-1.rds.amazonaws.com");
        // Without `sql`, an `@` is part of the name.
        let call = json!({"name": "team@partner"});
        let ElementKind::Remote { remote, .. } = remote_of(call.as_object().unwrap()) else { panic!("a remote") };
        assert_eq!(remote, "team@partner");
    }

    #[test]
    fn a_short_burst_that_stopped_is_a_weak_blip_with_its_end() {
        let digest = digest(&traffic(110..114, Outcome::DnsFailure), &frame(), "");
        let finding = top(&digest);
        assert_eq!(finding.attr(attr::ERROR_CLASS), "dns");
        assert_eq!(finding.attr(attr::ENDED_AT), (start() + Duration::minutes(57)).to_rfc3339());
        assert!(finding.score < 0.3, "{}", finding.score);
        assert!(digest.text.contains("a blip of"), "{}", digest.text);
        let lasting = digest_of(traffic(110..120, Outcome::DnsFailure));
        assert!(top(&lasting).score > 2.0 * finding.score);
    }

    fn digest_of(records: Vec<Value>) -> Digest {
        digest(&records, &frame(), "")
    }

    #[test]
    fn failures_that_begin_after_the_problem_was_noticed_give_no_onset() {
        let records: Vec<Value> =
            (0..130).map(|i| request(i, if i >= 125 { Outcome::CodeFault } else { Outcome::Ok }, 5.0)).collect();
        let digest = digest(&records, &frame(), "");
        assert!(digest.findings.is_empty(), "{:#?}", digest.findings);
        assert!(digest.text.contains("No onset"), "{}", digest.text);
    }

    #[test]
    fn latency_that_rose_without_failures_is_found_from_the_durations() {
        let records: Vec<Value> =
            (0..120).map(|i| request(i, Outcome::Ok, if i >= 100 { 400.0 } else { 5.0 })).collect();
        let digest = digest(&records, &frame(), "");
        assert!(digest.text.contains("latency rose from 10:50:00"), "{}", digest.text);
        let slower = digest.findings.iter().find(|f| f.attr(attr::EDGE) == "orders-api -> DynamoDB:orders-table");
        let slower = slower.unwrap_or_else(|| panic!("{:#?}", digest.findings));
        assert!(slower.summary.contains("p90 5.0 → 400 ms"), "{}", slower.summary);
        assert_eq!(slower.attr(attr::ERROR_CLASS), "");
        assert!(slower.reference.starts_with("trace 1-"), "{}", slower.reference);
    }

    /// A function calling an external HTTP API every 30 seconds; the call takes `call_ms` and times out at 5 s.
    fn external_call(index: usize, call_ms: f64) -> Value {
        let at = start().timestamp() as f64 + 30.0 * index as f64 + 0.01;
        let timed_out = call_ms >= 5_000.0;
        let call_ms = call_ms.min(5_000.0 + (index % 4) as f64);
        let mut call = json!({"id": format!("http{index}"), "name": "api.example.net", "namespace": "remote",
            "start_time": at + 0.002, "end_time": at + 0.002 + call_ms / 1000.0,
            "http": {"request": {"method": "POST"}, "response": {"status": 200}}});
        if timed_out {
            call["fault"] = json!(true);
            call["http"] = json!({"request": {"method": "POST"}});
            call["cause"] = json!({"exceptions": [{"type": "AxiosError", "message": "timeout of 5000ms exceeded"}]});
        }
        let function = json!({"id": format!("fn{index}"), "name": "quotes-service", "origin": "AWS::Lambda::Function",
            "start_time": at, "end_time": at + 0.01 + call_ms / 1000.0, "fault": timed_out, "subsegments": [call]});
        let own = json!({"Id": format!("1-{index:08x}-feedfacefeedfacefeedface"), "Duration": 0.01 + call_ms / 1000.0,
            "Segments": [{"Id": function["id"], "Document": function.to_string()}]});
        // Unaffected traffic at the same time keeps the trace-wide latency steady.
        json!([own, request(index, Outcome::Ok, 5.0)])
    }

    /// `external_call` traffic as flat records, with the call durations given per request.
    fn external_traffic(call_ms: impl Fn(usize) -> f64) -> Vec<Value> {
        (0..120)
            .flat_map(|i| {
                let pair = external_call(i, call_ms(i));
                [pair[0].clone(), pair[1].clone()]
            })
            .collect()
    }

    /// Steady 150–250 ms calls with some jitter, deterministic per request.
    fn normal_call_ms(index: usize) -> f64 {
        150.0 + ((index * 37) % 101) as f64
    }

    fn edge_finding(digest: &Digest) -> Option<&Finding> {
        digest.findings.iter().find(|f| f.attr(attr::EDGE) == "quotes-service -> api.example.net")
    }

    #[test]
    fn a_remote_that_slows_down_without_failing_is_found_at_its_onset() {
        let digest =
            digest_of(external_traffic(
                |i| if i >= 116 { 4_000.0 + 100.0 * i as f64 % 700.0 } else { normal_call_ms(i) },
            ));
        let finding = edge_finding(&digest).unwrap_or_else(|| panic!("{}\n{:#?}", digest.text, digest.findings));
        assert_eq!(finding.kind, FindingKind::TraceAnomaly);
        assert_eq!(finding.component, "api.example.net");
        assert_eq!(finding.time, Some(start() + Duration::milliseconds(58 * 60_000 + 10)));
        assert_eq!((finding.attr(attr::RATE_BEFORE), finding.attr(attr::RATE_AFTER)), ("0.00", "0.00"));
        assert_eq!(finding.attr(attr::ERROR_CLASS), "");
        assert!(finding.excerpt.contains("over 116 → 4 calls"), "{}", finding.excerpt);
        assert!(finding.excerpt.contains("slowest 4600 ms in trace 1-00000076-"), "{}", finding.excerpt);
        assert!(finding.reference.starts_with("trace 1-"), "{}", finding.reference);
        // The function only waited on the call: it ranks below it.
        let service = digest.findings.iter().find(|f| f.attr(attr::EDGE) == "quotes-service");
        assert!(service.is_some_and(|s| s.score < finding.score), "{:#?}", digest.findings);
        assert!(digest.text.contains("latency rose from 10:58:00"), "{}", digest.text);
    }

    #[test]
    fn a_slowdown_that_turns_into_timeouts_starts_when_the_calls_slowed() {
        let digest = digest_of(external_traffic(|i| match i {
            110..=112 => 2_500.0 + 300.0 * (i - 110) as f64,
            113.. => 9_000.0,
            _ => normal_call_ms(i),
        }));
        let finding = edge_finding(&digest).unwrap_or_else(|| panic!("{}\n{:#?}", digest.text, digest.findings));
        assert_eq!(finding.component, "api.example.net");
        assert_eq!(finding.attr(attr::ERROR_CLASS), "timeout");
        assert_eq!(finding.time, Some(start() + Duration::milliseconds(55 * 60_000 + 10)));
        assert!(finding.excerpt.contains("timeout of 5000ms exceeded"), "{}", finding.excerpt);
        assert!(finding.summary.contains("from 10:55:00"), "{}", finding.summary);
        assert!(digest.text.contains("Slower before that"), "{}", digest.text);
    }

    #[test]
    fn slow_calls_cut_off_at_one_duration_are_timeouts_even_without_faults() {
        let digest =
            digest_of(external_traffic(|i| if i >= 114 { 3_001.0 + (i % 3) as f64 } else { normal_call_ms(i) }));
        let finding = edge_finding(&digest).unwrap_or_else(|| panic!("{}\n{:#?}", digest.text, digest.findings));
        assert_eq!(finding.attr(attr::RATE_AFTER), "0.00");
        assert_eq!(finding.attr(attr::ERROR_CLASS), "timeout");
    }

    #[test]
    fn a_stable_remote_with_noisy_latency_is_no_finding() {
        // Mostly 100–300 ms with a slow call now and then, up to 3 s, spread over the hour.
        let noisy =
            |i: usize| if i % 13 == 5 { 1_000.0 + (i % 3) as f64 * 1_000.0 } else { 100.0 + ((i * 53) % 200) as f64 };
        let digest = digest_of(external_traffic(noisy));
        assert!(edge_finding(&digest).is_none(), "{}\n{:#?}", digest.text, digest.findings);
        assert!(digest.findings.is_empty(), "{:#?}", digest.findings);
    }

    #[test]
    fn malformed_records_and_documents_are_skipped() {
        let mut records = traffic(100..120, Outcome::Throttled);
        records.push(json!("not a trace"));
        records.push(json!({"Id": "1-no-segments"}));
        records.push(json!({"Id": "1-bad", "Segments": [
            {"Id": "a", "Document": "{not json"},
            {"Id": "b", "Document": 42},
            {"Id": "c", "Document": "{\"id\": \"c\"}"},
            {"Id": "d", "Document": "[1, 2]"},
            {"Id": "e", "Document": "{\"name\": \"x\", \"start_time\": \"soon\", \"subsegments\": \"none\"}"},
            {"Id": "f", "Document": "{\"name\": \"y\", \"start_time\": 1, \"subsegments\": [7, null, {\"fault\": \"yes\"}]}"}
        ]}));
        let digest = digest(&records, &frame(), "");
        assert_eq!(digest.records, 123);
        assert_eq!(top(&digest).component, "orders-table");
        assert!(digest.text.contains("malformed or untimed, skipped"), "{}", digest.text);
    }

    #[test]
    fn segments_that_name_each_other_as_parents_do_not_hang() {
        let a = json!({"id": "a", "parent_id": "b", "name": "a", "start_time": 1.0, "end_time": 2.0, "fault": true});
        let b = json!({"id": "b", "parent_id": "a", "name": "b", "start_time": 1.0, "end_time": 2.0, "fault": true});
        let record = json!({"Id": "1-loop", "Segments": [{"Document": a.to_string()}, {"Document": b.to_string()}]});
        let digest = digest(&[record], &frame(), "");
        assert!(digest.text.starts_with("Traces: 1 traces, 2 segments"), "{}", digest.text);
    }

    #[test]
    fn error_classes_come_from_exception_texts_then_status() {
        assert_eq!(
            error_class("ProvisionedThroughputExceededException: level exceeded", Some(400), false),
            "throttling"
        );
        assert_eq!(error_class("AccessDeniedException: User x is not authorized", Some(400), false), "accessDenied");
        assert_eq!(
            error_class("ExpiredTokenException: The security token included in the request is expired", None, false),
            "credential"
        );
        assert_eq!(error_class("getaddrinfo ENOTFOUND db.internal", None, false), "dns");
        assert_eq!(error_class("Task timed out after 3.00 seconds", None, false), "timeout");
        assert_eq!(error_class("Connection reset by peer", None, false), "connection");
        assert_eq!(error_class("", Some(429), false), "throttling");
        assert_eq!(error_class("", Some(403), false), "accessDenied");
        assert_eq!(error_class("", Some(500), true), "throttling");
        assert_eq!(error_class("TypeError: Cannot read properties of undefined", Some(502), false), "exception");
    }

    #[test]
    fn the_digest_stays_within_budget_whatever_the_input_size() {
        let records: Vec<Value> = (0..600)
            .map(|i| {
                let mut r = request(i % 120, if i % 120 >= 100 { Outcome::Throttled } else { Outcome::Ok }, 5.0);
                let renamed = r["Segments"][2]["Document"]
                    .as_str()
                    .unwrap_or_default()
                    .replace("orders-table", &format!("table-{i}"));
                r["Segments"][2]["Document"] = json!(renamed);
                r
            })
            .collect();
        let digest = digest(&records, &frame(), "s3://bucket/raw.json");
        assert!(digest.findings.len() <= budget::DIGEST_FINDINGS);
        assert!(digest.text.chars().count() <= budget::DIGEST_TEXT_CHARS);
        assert!(digest.findings.iter().all(|f| f.excerpt.chars().count() <= budget::FINDING_EXCERPT_CHARS));
        assert!(digest.text.contains("Raw traces: s3://bucket/raw.json"), "{}", digest.text);
    }
}
