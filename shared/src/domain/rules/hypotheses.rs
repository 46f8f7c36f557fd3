//! From findings to ranked hypotheses.
//!
//! 1. Symptoms are the findings that say something is wrong (error patterns, error/latency metrics rising, trace
//!    faults); their earliest strong onset is the incident's onset.
//! 2. Every change (CloudTrail) is a candidate cause, scored by its kind, how shortly it preceded the onset, how close
//!    it is to the symptomatic resources in the topology, and whether the symptoms are the kind it would cause
//!    (a permission change → access denied, a capacity cut → throttling, a deployment → new errors in the code it
//!    deployed, not calls to a remote that stopped answering). Changes AWS makes on its own (scaling, replacing
//!    hosts) are reactions and count less.
//! 3. Symptoms no change explains become candidates of their own (throttling → capacity limit, out of memory →
//!    resource exhaustion, connection errors → dependency failure, new exceptions with no change → code defect,
//!    demand rising first → traffic surge, a failed host check → infrastructure failure), weighted by how early
//!    they moved; a gauge that stayed well short of its ceiling ran out of nothing.
//! 4. Candidates that are another's effect join it (a client relaying a database's full disk or a cache's memory,
//!    a client throttled or out of connections by what it calls, the clients of a server that failed over, the
//!    faults that start with a failed host or with a resource known by its id hitting a hard limit), and suspects
//!    that touch the alarmed resources come before those that do not.
//! 5. A burst that recovered at once with nothing behind it, at or next to the alarmed resources, is a false alarm
//!    (`healthy`); never when a process was killed for memory or disk or a server restarted.
//! 6. Trouble that began as an activity the architecture or a runbook documents began (a backup window, a weekly
//!    job, a load test announced for the day), with nothing broken and no change by a person behind it, is that
//!    activity (`healthy`); so are new warnings that name no failure, counted by an alarm on log lines, with
//!    nothing broken next to them (log noise). A fault-injection experiment someone started just before the
//!    trouble began, with no later change to explain it, is that experiment (a game day: `healthy`).
//! 7. Context that is no symptom is cited with a candidate: the latest change on a neighbour in the half hour before
//!    a candidate that has no change of its own, and a changed resource's own new log lines after its change.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use super::topology::Topology;
use super::{normalcy, schedule};
use crate::contract::{Category, EvidenceSource, Finding, FindingKind, RunContext};
use crate::domain::evidence::attr;
use crate::domain::evidence::audit::JOB_RUN_EVENTS;
use crate::domain::evidence::terms::{name_tokens, split_words, stem};
use crate::domain::resources::{component_of_log_group, hostnames_in_text, member_group, same_resource};

/// A symptom weaker than this does not set the onset or count as ongoing.
const STRONG: f64 = 0.3;
/// A change candidate at least this strong owns the symptoms it explains.
const CREDIBLE_CHANGE: f64 = 0.3;
/// A symptom that lasted at most this long and recovered before the alarm is a blip.
const BLIP_MINUTES: i64 = 4;
/// A change whose first effect came this long after the incident's onset does not account for its start.
const LATE_MINUTES: i64 = 10;
/// How long before an alarm fired a burst may have ended and still be what the alarm fired on.
const ALARM_LOOK_MINUTES: i64 = 15;
/// How long after a stack update CloudFormation's own changes to its resources are still that update's.
const STACK_MINUTES: i64 = 60;
/// Words of (lower-case) metric names that count things broken: errors, faults, failures, messages given up on.
const BREAKAGE_WORDS: [&str; 6] = ["error", "fault", "5xx", "failed", "dlq", "deadletter"];
/// Words of (lower-case) log text that say something failed, whatever its level.
#[rustfmt::skip]
const FAILURE_WORDS: [&str; 16] = [
    "fail", "error", "unable", "cannot", "can't", "could not", "denied", "refused", "reject", "invalid",
    "not found", "no route", "unavailable", "retry", "stale", " lag",
];
/// How strongly calls to a changed resource refused right after the change corroborate it.
const REFUSED_CORROBORATION: f64 = 0.9;
/// How much faster than requests errors may rise and still be the same error rate.
const DEMAND_SLACK: f64 = 1.5;
/// Minutes after a deploy within which a dependency's load rising is the new code's doing.
const PROMPT_MINUTES: i64 = 5;
/// How long before the trouble began a fault-injection experiment may have started and still be what began it.
const EXPERIMENT_MINUTES: i64 = 15;
/// Trouble a runbook calls normal began at most this long before it was noticed: what goes on longer is no
/// passing effect.
const FRESH_MINUTES: i64 = 10;

/// One candidate root cause and what supports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub component: String,
    pub category: Category,
    /// Unbounded strength; `narrative` turns it into a calibrated confidence.
    pub score: f64,
    /// The change behind it, if it is a change.
    pub cause: Option<Finding>,
    /// Symptoms and knowledge that support it, strongest first.
    pub support: Vec<Finding>,
    /// What sets the scene without being a symptom: the change nearest before a candidate that has none of its own,
    /// the changed resource's own new log lines after its change.
    pub context: Vec<Finding>,
}

/// What the evidence says overall.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub candidates: Vec<Candidate>,
    /// When the symptoms started, if any did.
    pub onset: Option<DateTime<Utc>>,
    /// Symptoms that were there and recovered at once, when that is all there is (a false alarm).
    pub blip: Option<Vec<Finding>>,
    /// The documented schedule (a backup window, a weekly job) whose start the trouble began with, when nothing
    /// else explains it and nothing broke: the activity doing what it always does.
    pub expected: Option<String>,
    /// The paragraph of a runbook that calls what happened normal ("a handful of 502s at the cut-over is normal"),
    /// when it names the alarmed resource, all the trouble is fresh and nothing crashed.
    pub documented_normal: Option<String>,
    /// New warnings (deprecations, chatty libraries), when they are all the trouble there is and nothing broke:
    /// log noise, not a fault.
    pub noise: Option<Vec<Finding>>,
    /// The third party's host a synthetic check (a CloudWatch Synthetics canary) fails on, when the check is all
    /// that fails: the probe's trouble with an asset it loads, not the system's.
    pub probe_only: Option<String>,
    /// A fault-injection experiment someone started just before the trouble began (a game day), closer to it than
    /// any change that explains it: the system doing what the experiment made it do.
    pub experiment: Option<Finding>,
    /// The strongest symptom on the alarmed resource (or overall): what the impact statement quotes.
    pub impact: Option<Finding>,
    /// Evidence sources that returned findings.
    pub sources: Vec<EvidenceSource>,
}

/// Ranks candidate root causes over the findings.
pub fn assess(run: &RunContext, findings: &[&Finding]) -> Assessment {
    let mut topology = Topology::from_architecture(&run.architecture);
    for finding in findings {
        topology.intern(&finding.component);
        let id = finding.attr(attr::RESOURCE_ID);
        if !id.is_empty() {
            topology.alias(&finding.component, id);
        }
        remotes_in(finding).iter().for_each(|h| topology.add_host(h));
    }
    let reports_a_stop = reports_a_stop(run);
    let refined = refine_error_classes(
        findings
            .iter()
            .copied()
            .filter(|f| {
                (is_symptom(f) || on_alarmed_metric(f, run) || reports_a_stop && fell_to_nothing(f))
                    && !in_step_with_demand(f, findings)
            })
            .collect(),
    );
    let symptoms: Vec<&Finding> = refined.iter().collect();
    let onset = onset_of(run, &symptoms);
    // Words of an operator's message that name nothing known ("payments" for the checkout service) say nothing
    // about where the trouble is.
    let alarmed: Vec<String> = alarmed_components(run).into_iter().filter(|name| topology.knows(name)).collect();
    let mut sources: Vec<EvidenceSource> = findings.iter().map(|f| f.source).collect();
    sources.sort();
    sources.dedup();
    let impact = symptoms
        .iter()
        .filter(|f| f.kind == FindingKind::MetricAnomaly)
        .max_by(|a, b| {
            let on_alarm = |f: &Finding| alarmed.iter().any(|c| same_resource(c, &f.component));
            (on_alarm(a), a.score).partial_cmp(&(on_alarm(b), b.score)).unwrap_or(std::cmp::Ordering::Equal)
        })
        .map(|f| (*f).clone());
    // Only trouble at or next to the alarmed resources keeps the alarm from being a false one: another service's
    // own errors are not what the alarm is about.
    let near_alarm =
        |component: &str| alarmed.is_empty() || alarmed.iter().any(|a| topology.distance(component, a) <= 2);
    let ongoing: Vec<&Finding> = symptoms
        .iter()
        .copied()
        // A busier CPU that stayed well short of its ceiling broke nothing.
        .filter(|f| f.score >= STRONG && !recovered_blip(f) && !sporadic(f) && !short_of_ceiling(f))
        .filter(|f| near_alarm(&f.component))
        .collect();
    let logging: Vec<String> = run.log_groups.iter().map(|group| component_of_log_group(group)).collect();
    let mut candidates = change_candidates(findings, &symptoms, onset, run.noticed_at, &topology, &alarmed, &logging);
    yield_to_the_change_right_before(&mut candidates);
    yield_to_the_change_its_refusals_name(&mut candidates);
    yield_to_the_change_a_stack_made(&mut candidates);
    candidates.extend(symptom_candidates(&symptoms, &candidates, onset, &topology, &alarmed));
    let candidates = fold_relayed_throttling(fold_relayed_exhaustion(candidates, &topology), &topology);
    let candidates = fold_into_limit_hit(fold_into_failed_host(candidates, &topology));
    let mut candidates = fold_unspecific(candidates, &topology);
    saturate(&mut candidates, findings, onset);
    yield_to_the_surge_that_crowded_it_out(&mut candidates, findings);
    yield_to_what_ran_out_first(&mut candidates, &topology);
    attach_knowledge(&mut candidates, findings);
    attach_preceding_change(&mut candidates, findings, &topology);
    attach_corroboration(&mut candidates, &symptoms, &topology);
    // What the alarm is about comes first: a suspect that touches neither the alarmed resources nor their
    // neighbours counts half, when some suspect does.
    let touches_alarm = |c: &Candidate| near_alarm(&c.component) || c.support.iter().any(|f| near_alarm(&f.component));
    if !alarmed.is_empty() && candidates.iter().any(touches_alarm) {
        candidates.iter_mut().filter(|c| !touches_alarm(c)).for_each(|c| c.score *= 0.5);
    }
    candidates.retain(|c| c.score > 0.01);
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let strong_change = candidates
        .iter()
        .any(|c| c.cause.is_some() && c.score >= 0.5 && c.support.iter().any(|f| near_alarm(&f.component)));
    // What an alarm fired on is at or next to the resources it watches, and was not over long before it fired:
    // another service's burst, or one over long before, is not it, and something else holds the alarm.
    let alarm_fired_on = |f: &Finding| {
        let ended = parse_time(f.attr(attr::ENDED_AT));
        near_alarm(&f.component)
            && run
                .alarm
                .as_ref()
                .zip(ended)
                .is_none_or(|(alarm, end)| alarm.state_time - end <= Duration::minutes(ALARM_LOOK_MINUTES))
    };
    let blips: Vec<Finding> =
        symptoms.iter().filter(|f| recovered_blip(f) && alarm_fired_on(f)).map(|f| (*f).clone()).collect();
    // A process killed for want of memory or disk, or a server that went down, is never a false alarm, even once
    // it was replaced or came back.
    // Its lines may come from a host's own log (a syslog), with the suspect they point at next to the alarm.
    let crash = |f: &Finding| matches!(f.attr(attr::ERROR_CLASS), "outOfMemory" | "diskFull" | "restart");
    let crashed = symptoms.iter().any(|f| crash(f) && near_alarm(&f.component))
        || candidates.iter().any(|c| touches_alarm(c) && c.support.iter().any(crash));
    // The alarm's own metric still up, however slowly it rose (client errors an alarm counts, though they are no
    // symptom in general; latency creeping up for hours), is no burst that is over.
    let alarm_still_up = findings.iter().any(|f| {
        f.kind == FindingKind::MetricAnomaly
            && moved_up(f.attr(attr::SHAPE))
            && !is_demand_metric(f)
            && f.attr(attr::ENDED_AT).is_empty()
            && counted_by_alarm(f, run)
    });
    let blip =
        (ongoing.is_empty() && !blips.is_empty() && !strong_change && !crashed && !alarm_still_up).then_some(blips);
    // An activity the team documents as starting when the trouble began (a backup window, a weekly job), with
    // nothing broken and no change by a person behind it, is that activity doing what it always does.
    let documents: Vec<&str> = std::iter::once(run.architecture.as_str())
        .chain(findings.iter().filter(|f| f.kind == FindingKind::Runbook).map(|f| f.excerpt.as_str()))
        .collect();
    let broken = symptoms.iter().any(|f| f.score >= STRONG && near_alarm(&f.component) && breaks(f));
    let changed_by_someone = candidates.iter().any(|c| {
        c.score >= 0.5 && c.cause.as_ref().is_some_and(|cause| !aws_acting_on_its_own(cause.attr(attr::ACTOR)))
    });
    let expected = onset
        .filter(|_| blip.is_none() && !broken && !crashed && !changed_by_someone)
        .and_then(|onset| schedule::documented_start(&documents, onset));
    // Warnings that name no failure, with nothing broken or slow next to them, are what a new library or a new
    // setting says about itself, when an alarm counted them; people reporting trouble, or an alarm on errors, saw
    // more than noise.
    let plain_warning = |f: &&Finding| {
        let text = text_of(f);
        is_log(f)
            && f.attr(attr::ERROR_CLASS).is_empty()
            && f.attr(attr::LEVEL).to_ascii_uppercase().starts_with("WARN")
            && !FAILURE_WORDS.iter().any(|word| text.contains(word))
    };
    let alarm_on_breakage = run.alarm.as_ref().is_none_or(|alarm| {
        let watched = alarm.metrics.iter().map(|m| m.metric_name.as_str()).chain([alarm.name.as_str()]);
        watched.map(str::to_ascii_lowercase).any(|name| BREAKAGE_WORDS.iter().any(|word| name.contains(word)))
    });
    let fresh = |f: &&Finding| f.time.is_some_and(|t| t >= run.noticed_at - Duration::minutes(FRESH_MINUTES));
    let documented_normal = (blip.is_none() && expected.is_none() && !crashed && ongoing.iter().all(fresh))
        .then(|| normalcy::documented_normal(&documents, &ongoing, &alarmed))
        .flatten();
    let quiet = blip.is_none()
        && expected.is_none()
        && documented_normal.is_none()
        && !broken
        && !crashed
        && !alarm_on_breakage;
    // All the trouble there is: strong trouble anywhere else (a consumer falling behind), or a change someone made
    // that explains it, is more than noise.
    let lasting_trouble: Vec<&Finding> =
        symptoms.iter().copied().filter(|f| f.score >= STRONG && !recovered_blip(f) && !sporadic(f)).collect();
    let explains_more_than_warnings = candidates.iter().any(|c| {
        c.score >= 0.5
            && c.cause.as_ref().is_some_and(|cause| !aws_acting_on_its_own(cause.attr(attr::ACTOR)))
            && c.support.iter().any(|f| f.source != EvidenceSource::Knowledge && !plain_warning(&f))
    });
    let noise = (quiet
        && !explains_more_than_warnings
        && ongoing.iter().all(plain_warning)
        && lasting_trouble.iter().all(plain_warning))
    .then(|| ongoing.iter().copied().filter(plain_warning).cloned().collect::<Vec<Finding>>())
    .filter(|warnings| !warnings.is_empty());
    let probe_only = third_party_failing_only_a_probe(&symptoms, &candidates, run)
        .filter(|_| blip.is_none() && !changed_by_someone && !crashed);
    let experiment = onset.and_then(|onset| experiment_begun(findings, &candidates, onset));
    Assessment { candidates, onset, blip, expected, documented_normal, noise, probe_only, experiment, impact, sources }
}

/// The fault-injection experiment started at most `EXPERIMENT_MINUTES` before the onset (or just after it), when no
/// credible change that explains the trouble came later than it.
fn experiment_begun(findings: &[&Finding], candidates: &[Candidate], onset: DateTime<Utc>) -> Option<Finding> {
    let started = |f: &&&Finding| {
        f.kind == FindingKind::Change
            && f.attr(attr::CHANGE_KIND) == "experiment"
            && f.time.is_some_and(|t| {
                t <= onset + Duration::minutes(1) && onset - t <= Duration::minutes(EXPERIMENT_MINUTES)
            })
    };
    let experiment = findings.iter().filter(started).max_by_key(|f| f.time)?;
    let later_change = candidates.iter().any(|c| {
        c.score >= CREDIBLE_CHANGE && changed_at(c).zip(experiment.time).is_some_and(|(changed, began)| changed > began)
    });
    (!later_change).then(|| (*experiment).clone())
}

/// The host of the leading suspect, when it is a third party's (no domain the architecture names) and every strong
/// symptom is a synthetic check's own (its metrics in `CloudWatchSynthetics`, its `cwsyn-` function's logs).
fn third_party_failing_only_a_probe(
    symptoms: &[&Finding],
    candidates: &[Candidate],
    run: &RunContext,
) -> Option<String> {
    let synthetic =
        |f: &&Finding| f.attr(attr::NAMESPACE) == "CloudWatchSynthetics" || f.component.starts_with("cwsyn-");
    let strong: Vec<&Finding> = symptoms.iter().copied().filter(|f| f.score >= STRONG).collect();
    if strong.is_empty() || !strong.iter().all(synthetic) {
        return None;
    }
    let top = candidates.first().filter(|c| c.category == Category::DependencyFailure && c.cause.is_none())?;
    let domain = |host: &str| {
        let labels: Vec<&str> = host.rsplitn(3, '.').take(2).collect();
        (labels.len() == 2).then(|| format!("{}.{}", labels[1], labels[0]))
    };
    let ours: Vec<String> = hostnames_in_text(&run.architecture).iter().filter_map(|h| domain(h)).collect();
    let theirs = domain(&top.component).filter(|d| !ours.contains(d) && !d.ends_with("amazonaws.com"));
    theirs.map(|_| top.component.clone())
}

/// A symptom of something broken rather than busy: an error logged as such, a crash, failed requests or
/// messages given up on.
fn breaks(finding: &Finding) -> bool {
    let metric = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    let level = finding.attr(attr::LEVEL).to_ascii_uppercase();
    (is_log(finding) && matches!(level.as_str(), "ERROR" | "FATAL" | "CRITICAL"))
        || matches!(finding.attr(attr::ERROR_CLASS), "outOfMemory" | "diskFull" | "restart" | "exception")
        || BREAKAGE_WORDS.iter().any(|word| metric.contains(word))
}

/// Errors a resource always had that rose no more than its requests did (2 → 8 a minute as traffic quadrupled): the
/// same error rate under more demand, not a new failure.
fn in_step_with_demand(finding: &Finding, findings: &[&Finding]) -> bool {
    let metric = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    let ratio = |f: &Finding| {
        let (before, after) = (count(f, attr::BASELINE), count(f, attr::NEW_LEVEL));
        (before > 0.0).then(|| after / before)
    };
    let Some(errors_rose) = ratio(finding) else { return false };
    // A rate (errors per request) is already in proportion to demand.
    let counts_errors = ["error", "fault", "5xx"].iter().any(|word| metric.contains(word))
        && !["rate", "percent"].iter().any(|word| metric.contains(word));
    finding.kind == FindingKind::MetricAnomaly
        && counts_errors
        && findings.iter().any(|demand| {
            is_demand_metric(demand)
                && same_resource(&demand.component, &finding.component)
                && demand.time.zip(finding.time).is_some_and(|(d, e)| (d - e).num_minutes().abs() <= PROMPT_MINUTES)
                && ratio(demand).is_some_and(|demand_rose| errors_rose <= DEMAND_SLACK * demand_rose)
        })
}

/// A finding that says something is wrong (as opposed to a change, a runbook, or demand going down).
fn is_symptom(finding: &Finding) -> bool {
    match finding.kind {
        FindingKind::NewLogPattern | FindingKind::LogRateChange => {
            let level = finding.attr(attr::LEVEL).to_ascii_uppercase();
            let rising = count(finding, attr::COUNT_AFTER) >= count(finding, attr::COUNT_BEFORE);
            // What the service itself logs as routine ("route not found" at INFO) is a client asking for
            // something that is not there, not a fault.
            let routine_miss =
                finding.attr(attr::ERROR_CLASS) == "notFound" && matches!(level.as_str(), "INFO" | "DEBUG" | "TRACE");
            rising
                && !routine_miss
                && (!finding.attr(attr::ERROR_CLASS).is_empty()
                    || matches!(level.as_str(), "ERROR" | "FATAL" | "CRITICAL" | "WARN" | "WARNING"))
        }
        FindingKind::MetricAnomaly => metric_is_bad(finding),
        FindingKind::TraceAnomaly => true,
        FindingKind::Change | FindingKind::Runbook => false,
    }
}

/// The alarm's own metric falling is what the alarm is about (orders processed falling to zero is as bad as
/// errors rising), though falling demand is not bad in general. Rising metrics are judged by what they count.
fn on_alarmed_metric(finding: &Finding, run: &RunContext) -> bool {
    finding.kind == FindingKind::MetricAnomaly
        && matches!(finding.attr(attr::SHAPE), "levelShiftDown" | "dropToZero" | "flatline")
        && counted_by_alarm(finding, run)
}

/// Whether the operator reports that something stopped arriving: then work falling to nothing (a consumer's
/// invocations, its processed count) is what they report.
fn reports_a_stop(run: &RunContext) -> bool {
    const ABSENCE: [&str; 7] =
        ["no new", "not showing", "missing", "stopped", "not arriving", "no longer", "not processed"];
    let reported = run.trigger.description.as_deref().unwrap_or("").to_ascii_lowercase();
    ABSENCE.iter().any(|words| reported.contains(words))
}

fn fell_to_nothing(finding: &Finding) -> bool {
    finding.kind == FindingKind::MetricAnomaly && finding.attr(attr::SHAPE) == "dropToZero"
}

/// A metric the alarm counts (one of a metric-math alarm's inputs, too).
fn counted_by_alarm(finding: &Finding, run: &RunContext) -> bool {
    run.alarm.iter().flat_map(|a| &a.metrics).any(|metric| {
        metric.metric_name == finding.attr(attr::METRIC_NAME)
            && metric.namespace == finding.attr(attr::NAMESPACE)
            && (metric.dimensions.is_empty()
                || metric.dimensions.values().any(|value| same_resource(value, &finding.component)))
    })
}

fn count(finding: &Finding, key: &str) -> f64 {
    finding.attr(key).parse().unwrap_or(0.0)
}

/// A percentage of use that rose to its top and stays there (a broker's store 100% used): full, whatever it
/// measures. A percentage of good outcomes (successes, availability, hits, idle time) at the top is no harm.
fn filled_up(finding: &Finding) -> bool {
    const FULL: f64 = 99.0;
    const GOOD: [&str; 5] = ["success", "availab", "hit", "idle", "free"];
    let metric = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    finding.kind == FindingKind::MetricAnomaly
        && metric.contains("percent")
        && !GOOD.iter().any(|word| metric.contains(word))
        && finding.attr(attr::NEW_LEVEL).parse::<f64>().is_ok_and(|level| level >= FULL)
        && finding.attr(attr::ENDED_AT).is_empty()
}

/// Error, throttle, latency and saturation metrics rising, or health/capacity metrics falling, are bad.
fn metric_is_bad(finding: &Finding) -> bool {
    let name = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    let shape = finding.attr(attr::SHAPE);
    let up = moved_up(shape);
    let down = matches!(shape, "levelShiftDown" | "dropToZero" | "flatline");
    const BAD_UP: [&str; 27] = [
        "error",
        "fault",
        // Step Functions' ExecutionsFailed, EventBridge's FailedInvocations, EC2's StatusCheckFailed.
        "failed",
        // Messages that never reach their consumer (SNS's NumberOfNotificationsFilteredOut, Lambda's
        // AsyncEventsDropped).
        "filteredout",
        "dropped",
        "5xx",
        "throttl",
        "latency",
        "duration",
        "iteratorage",
        // Work waiting longer and piling up (SQS's ApproximateAgeOfOldestMessage, a pipeline's own
        // OldestPendingAgeSeconds or BacklogSize).
        "ageofoldest",
        "oldest",
        "backlog",
        "cpu",
        "memory",
        // A disk filling (MSK's KafkaDataLogsDiskUsed, the CloudWatch agent's disk_used_percent).
        "diskused",
        "disk_used",
        "dlq",
        "timeout",
        "deadletter",
        "queuedepth",
        // A cache evicting keys is out of memory.
        "eviction",
        "unhealthy",
        // Requests a firewall or a limit turned away (AWS WAF's BlockedRequests).
        "blocked",
        // Kinesis's WriteProvisionedThroughputExceeded: records refused at the shard limit.
        "exceeded",
        // Work a server turned away when full (OpenSearch's ThreadpoolWriteRejected, a cache's RejectedConnections).
        "rejected",
        // A replica or a consumer falling behind (AuroraReplicaLag, ReplicationLag, Kafka's MaxOffsetLag).
        "lag",
    ];
    const BAD_DOWN: [&str; 6] = ["free", "healthy", "available", "success", "succeeded", "hitrate"];
    (up && (BAD_UP.iter().any(|k| name.contains(k)) || is_connection_gauge(&name) || filled_up(finding))
        && !name.contains("4xx"))
        || (down
            && (BAD_DOWN.iter().any(|k| name.contains(k)) || is_burst_credit(&name))
            && !name.contains("unhealthy"))
}

/// A gauge of how busy a resource is (CPU, an Aurora Serverless cluster's ACUs, its capacity or connections in use,
/// how far behind a replica is), as opposed to errors, latency or refusals.
fn is_utilisation(finding: &Finding) -> bool {
    let metric = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    finding.kind == FindingKind::MetricAnomaly
        && (["utilization", "cpu", "capacity", "lag"].iter().any(|word| metric.contains(word))
            || is_connection_gauge(&metric))
}

/// A (lower-case) burst credit gauge (EFS `BurstCreditBalance`, EBS `BurstBalance`, a T instance's
/// `CPUCreditBalance`): run out, it throttles the resource down to its baseline.
fn is_burst_credit(metric: &str) -> bool {
    metric.contains("creditbalance") || metric.contains("burstbalance")
}

/// When a resource's own metric says it hit a hard limit: requests refused at a limit began (a NAT gateway's
/// `ErrorPortAllocation`), or a burst credit balance ran out (reached zero).
fn limit_hit_at(finding: &Finding) -> Option<DateTime<Utc>> {
    let metric = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    if finding.kind != FindingKind::MetricAnomaly {
        return None;
    }
    if is_limit_metric(&metric) && moved_up(finding.attr(attr::SHAPE)) {
        return finding.time;
    }
    let ran_out = is_burst_credit(&metric) && finding.attr(attr::PEAK).parse::<f64>().is_ok_and(|low| low <= 0.0);
    ran_out.then(|| parse_time(finding.attr(attr::PEAK_AT))).flatten()
}

/// A symptom of a limit being hit: throttling, a limit exceeded, a throttle metric or a connection count at its
/// ceiling.
fn hits_a_limit(finding: &Finding) -> bool {
    let metric = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    matches!(finding.attr(attr::ERROR_CLASS), "throttling" | "limitExceeded")
        || is_limit_metric(&metric)
        || is_connection_gauge(&metric)
}

/// A (lower-case) metric that counts requests refused at a limit (`ThrottledRequests`,
/// `WriteProvisionedThroughputExceeded`, a NAT gateway's `ErrorPortAllocation`, a cache's `RejectedConnections`).
fn is_limit_metric(metric: &str) -> bool {
    ["throttl", "exceeded", "portallocation", "rejected"].iter().any(|part| metric.contains(part))
}

/// A setting that names the very limit a symptom hit near it: `max_connections` lowered on a database's parameter
/// group, and its clients refused with "Too many connections"; a pool's size, and the pool out of connections.
fn sets_the_limit(change: &Finding, symptom: &Finding, topology: &Topology) -> bool {
    const LIMIT_WORDS: [&str; 10] = [
        "connections",
        "concurrency",
        "concurrent",
        "heap",
        "threads",
        "processes",
        "sessions",
        "workers",
        "slots",
        "pool",
    ];
    if !hits_a_limit(symptom) {
        return false;
    }
    let words = |text: &str| -> Vec<String> { split_words(text).iter().map(|w| stem(w)).collect() };
    let (set, hit) = (words(&change.excerpt), words(&raw_text_of(symptom)));
    // A client's generated log group is as close as the client.
    let client = topology.owner_of_log_group(&symptom.component).unwrap_or_else(|| symptom.component.clone());
    topology.distance(&change.component, &client) <= 2
        && LIMIT_WORDS.iter().map(|w| stem(w)).any(|w| set.contains(&w) && hit.contains(&w))
}

/// An AWS service acting for the account (a service-linked role, or the service itself): scaling, replacing
/// targets, rotation steps. These follow load and events; a person or a pipeline decides the changes that break
/// things.
pub(super) fn aws_acting_on_its_own(actor: &str) -> bool {
    actor.starts_with("AWSServiceRoleFor") || actor.ends_with(".amazonaws.com")
}

/// A change that set the very host a symptom fails to reach (a task definition pointing its service at a wrong
/// endpoint): the remote is not down, the caller was sent to it.
fn points_at(change: &Finding, symptom: &Finding, topology: &Topology) -> bool {
    let hosts = change.attr(attr::HOSTS);
    !hosts.is_empty()
        && remote_of(symptom, topology)
            .is_some_and(|remote| hosts.split(',').any(|host| host.eq_ignore_ascii_case(&remote)))
}

/// Log lines from the very host a change touched: the CloudWatch agent names its log streams after the instance
/// id (a kernel losing a volume that was just detached from `i-0657…`).
fn logged_on(symptom: &Finding, change: &Finding) -> bool {
    named_by_id(&change.component)
        && is_log(symptom)
        && symptom.attr(attr::LOG_STREAM).to_ascii_lowercase().contains(&change.component.to_ascii_lowercase())
}

/// A call to a remote that failed because the remote did not serve (refused, reset, timed out, unavailable) or its
/// name did not resolve, as the symptom or its siblings of the same class on the same resource say (a request log
/// line rarely names the remote). A resource timing out as its callers' remote (a function whose start-up timed
/// out, at the far end of its API's trace edge) is no remote failing it.
fn remote_failing(symptom: &Finding, symptoms: &[&Finding], topology: &Topology) -> bool {
    let class = symptom.attr(attr::ERROR_CLASS);
    matches!(class, "connection" | "timeout" | "unavailable" | "dns")
        && symptoms.iter().any(|s| {
            s.component == symptom.component
                && s.attr(attr::ERROR_CLASS) == class
                && remote_of(s, topology).is_some_and(|remote| !same_resource(&remote, &symptom.component))
        })
}

/// A symptom about a remote (other than the changed resource itself) that a caller the change does not touch (the
/// changed resource, or one next to it) or name shows too: the same class of failure on the same remote.
fn failing_alike_elsewhere(symptom: &Finding, change: &Finding, symptoms: &[&Finding], topology: &Topology) -> bool {
    let class = symptom.attr(attr::ERROR_CLASS);
    let Some(remote) = remote_of(symptom, topology) else { return false };
    let untouched = |other: &Finding| {
        topology.distance(&change.component, &other.component) > 1
            && !text_of(other).contains(&change.component.to_ascii_lowercase())
    };
    specific_class(class)
        && !same_resource(&change.component, &remote)
        && symptoms.iter().any(|other| {
            other.score >= STRONG
                && other.attr(attr::ERROR_CLASS) == class
                && remote_of(other, topology).is_some_and(|r| r.eq_ignore_ascii_case(&remote))
                && untouched(other)
        })
}

/// Text about running out of IP addresses or network interfaces.
fn about_addresses(lower: &str) -> bool {
    ["ip address", "freeaddresses", "enilimit", "network interface"].iter().any(|word| lower.contains(word))
}

/// Text about TLS certificates (a handshake, an expired or rejected certificate).
fn about_certificates(lower: &str) -> bool {
    ["certificate", "cert", "x509", "ssl", "tls", "handshake", "acm"].iter().any(|word| same_resource(lower, word))
}

/// A cloud resource that is not there (`ResourceNotFoundException`, a queue or bucket that does not exist), as
/// opposed to a record a client asked for.
fn names_a_missing_resource(finding: &Finding) -> bool {
    let text = raw_text_of(finding).to_ascii_lowercase();
    ["resourcenotfound", "requested resource not found", "nonexistentqueue", "queuedoesnotexist", "nosuchbucket"]
        .iter()
        .any(|needle| text.contains(needle))
}

fn is_log(finding: &Finding) -> bool {
    matches!(finding.kind, FindingKind::NewLogPattern | FindingKind::LogRateChange)
}

/// A utilisation gauge in percent (CPU, memory) that rose but peaked well below 100%.
fn short_of_ceiling(finding: &Finding) -> bool {
    const CEILING_NEAR: f64 = 85.0;
    let metric = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    let percent = (metric.contains("cpu") || metric.contains("memory"))
        && (metric.contains("utilization") || metric.contains("percent"));
    let peak = finding.attr(attr::PEAK).parse::<f64>().ok();
    finding.kind == FindingKind::MetricAnomaly && percent && peak.is_some_and(|p| p < CEILING_NEAR)
}

/// A count of the servers in service (healthy targets, running tasks, instances in service) going down, though
/// not to none: a service left with no server is down.
fn counts_servers(finding: &Finding) -> bool {
    let metric = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    let down = finding.attr(attr::SHAPE) == "levelShiftDown";
    down && ["healthyhost", "runningtask", "inservice"].iter().any(|part| metric.contains(part))
        && !metric.contains("unhealthy")
}

/// The number of connections a database or cache holds: at its ceiling, new clients are refused.
fn is_connection_gauge(metric: &str) -> bool {
    metric == "databaseconnections" || metric == "currconnections"
}

/// A metric shape that went up: a spike, a level shift up, or a rising trend.
fn moved_up(shape: &str) -> bool {
    matches!(shape, "spike" | "levelShiftUp" | "trendUp")
}

/// A demand metric (requests, invocations, messages in).
fn is_demand_metric(finding: &Finding) -> bool {
    let name = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    finding.kind == FindingKind::MetricAnomaly
        && moved_up(finding.attr(attr::SHAPE))
        && ["invocations", "count", "requestcount", "incomingmessages", "numberofmessagessent", "consumed"]
            .iter()
            .any(|k| name == *k || name.starts_with(k))
}

/// A handful of transient errors (a few connection resets or timeouts, a missing record): the background noise
/// of any busy system, not an outage that goes on.
fn sporadic(finding: &Finding) -> bool {
    let transient = matches!(
        finding.attr(attr::ERROR_CLASS),
        "" | "connection" | "timeout" | "unavailable" | "throttling" | "notFound"
    );
    is_log(finding) && transient && count(finding, attr::COUNT_AFTER) <= 4.0
}

/// Recovered within minutes, before the alarm's look at it.
fn recovered_blip(finding: &Finding) -> bool {
    let start = parse_time(finding.attr(attr::BURST_START)).or(finding.time);
    let (Some(start), Some(end)) = (start, parse_time(finding.attr(attr::ENDED_AT))) else { return false };
    end - start <= Duration::minutes(BLIP_MINUTES)
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// The earliest strong symptom at or before the time the problem was noticed (plus a little slack). An episode that
/// was over well before anyone noticed is not the incident's start, unless it is all there is.
fn onset_of(run: &RunContext, symptoms: &[&Finding]) -> Option<DateTime<Utc>> {
    let latest = run.noticed_at + Duration::minutes(5);
    let earliest = |over_long_before: bool| {
        symptoms
            .iter()
            .filter(|f| f.score >= STRONG && (over_long_before || !over_before(f, run.noticed_at)))
            .filter_map(|f| f.time)
            .filter(|t| run.window.start <= *t && *t <= latest)
            .min()
    };
    earliest(false).or_else(|| earliest(true))
}

/// A symptom that recovered more than a few minutes before `noticed`.
fn over_before(finding: &Finding, noticed: DateTime<Utc>) -> bool {
    parse_time(finding.attr(attr::ENDED_AT)).is_some_and(|end| end < noticed - Duration::minutes(BLIP_MINUTES))
}

/// Error classes that name a mechanism, as opposed to a generic exception.
fn specific_class(class: &str) -> bool {
    !class.is_empty() && class != "exception"
}

/// An authentication failure (HTTP 401, a rejected API key) rather than a missing permission: the credential is
/// wrong or expired, whereas a missing permission says "not authorized to perform" or "forbidden".
fn authentication_failure(finding: &Finding) -> bool {
    let text = text_of(finding);
    ["401", "unauthorized", "unauthenticated", "invalid_api_key", "invalid api key", "api key", "invalid token"]
        .iter()
        .any(|word| same_resource(&text, word))
}

/// A TLS failure where the far end rejected our (client) certificate as expired: it sent an alert
/// ("Received fatal alert: certificate_expired", "remote error: tls: expired certificate"). When our side finds the
/// server's certificate expired, the remote is at fault instead.
fn own_certificate_expired(finding: &Finding) -> bool {
    let text = text_of(finding);
    let from_peer = ["alert", "remote error"].iter().any(|w| text.contains(w));
    from_peer && ["certificate_expired", "certificate expired", "expired certificate"].iter().any(|w| text.contains(w))
}

/// A setting that expires data: a TTL, a lifecycle rule's expiration.
fn expires_data(change: &Finding) -> bool {
    let text = format!("{} {}", change.attr(attr::EVENT_NAME), change.excerpt).to_ascii_lowercase();
    ["timetolive", "lifecycle", "expiration"].iter().any(|w| text.contains(w))
}

/// The error class each symptom really shows. A 401 is an authentication failure (`credential`), and so is our own
/// certificate rejected as expired. A generic exception, or an error with no class, that starts within minutes of
/// a specific error on the same resource is that error surfacing through the code (a stack trace wrapping a TLS failure, an error response logged after a
/// timeout), so it takes the specific class.
fn refine_error_classes(symptoms: Vec<&Finding>) -> Vec<Finding> {
    let mut refined: Vec<Finding> = symptoms.into_iter().cloned().collect();
    // A server's access log records what it answered its callers: a 401 there is theirs refused, not its own.
    let answered = |f: &Finding| is_access_log(f.attr(attr::LOG_GROUP));
    for finding in refined.iter_mut() {
        let class = finding.attr(attr::ERROR_CLASS);
        if (class == "accessDenied" && authentication_failure(finding) && !answered(finding))
            || (class == "tls" && own_certificate_expired(finding))
        {
            finding.attrs.insert(attr::ERROR_CLASS.into(), "credential".into());
        }
    }
    // A stray error (a single reset) lends its class to nothing: only a strong one does.
    let specific: Vec<(String, Option<DateTime<Utc>>, f64, String)> = refined
        .iter()
        .filter(|f| f.kind != FindingKind::MetricAnomaly && specific_class(f.attr(attr::ERROR_CLASS)))
        .filter(|f| f.score >= STRONG && !answered(f))
        .map(|f| (f.component.clone(), f.time, f.score, f.attr(attr::ERROR_CLASS).to_string()))
        .collect();
    for finding in refined.iter_mut().filter(|f| f.kind != FindingKind::MetricAnomaly) {
        if specific_class(finding.attr(attr::ERROR_CLASS)) {
            continue;
        }
        let together = |time: &Option<DateTime<Utc>>| match (finding.time, time) {
            (Some(a), Some(b)) => (a - *b).num_seconds().abs() <= 180,
            _ => false,
        };
        let surfacing = specific
            .iter()
            .filter(|(component, time, _, _)| same_resource(component, &finding.component) && together(time))
            .max_by(|a, b| a.2.total_cmp(&b.2));
        if let Some((_, _, _, class)) = surfacing {
            finding.attrs.insert(attr::ERROR_CLASS.into(), class.clone());
        }
    }
    refined
}

/// The resources the alarm (or the operator) pointed at.
fn alarmed_components(run: &RunContext) -> Vec<String> {
    let mut names: Vec<String> =
        run.alarm.iter().flat_map(|a| a.metrics.iter().flat_map(|m| m.dimensions.values().cloned())).collect();
    // An alarm's name and description say what it watches (`orders-api-5xx`, "5XX responses on orders-alb"),
    // even when its dimensions are ids (an HTTP API's `ApiId`).
    let texts = run.alarm.iter().flat_map(|a| [&a.name, &a.description]).chain(run.trigger.description.as_ref());
    for text in texts {
        names.extend(
            text.split(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_')
                .filter(|w| w.len() >= 4)
                .map(String::from),
        );
    }
    names
}

/// How close `component` is to the symptoms (and the alarm): 1.0 on them, lower further away.
fn relation(component: &str, symptoms: &[&Finding], topology: &Topology, alarmed: &[String]) -> f64 {
    let factor = |d: u32| match d {
        0 => 1.0,
        1 => 0.85,
        2 => 0.5,
        _ => 0.15,
    };
    let to_symptoms = symptoms
        .iter()
        .filter(|s| s.score >= STRONG)
        .map(|s| factor(topology.distance(component, &s.component)))
        .fold(0.0, f64::max);
    let to_alarm = alarmed.iter().map(|a| factor(topology.distance(component, a))).fold(0.0, f64::max);
    to_symptoms.max(to_alarm * 0.8)
}

/// A change to the network path (security groups, ACLs, routes, DNS): its target is named by an id, not by the
/// names the symptoms carry.
fn on_network(change: &Finding) -> bool {
    change.attr(attr::CHANGE_KIND) == "network"
        || ["SecurityGroup", "NetworkAcl", "Route", "Vpc"].iter().any(|k| change.attr(attr::EVENT_NAME).contains(k))
}

/// A change to the way out to the internet (a NAT gateway, an internet gateway, a route): calls to outside hosts
/// fail however the client words it.
fn on_egress(change: &Finding) -> bool {
    ["NatGateway", "InternetGateway", "Route"].iter().any(|k| change.attr(attr::EVENT_NAME).contains(k))
}

/// When the changed function's invocations surged, from the change on: other functions throttled from then on were
/// crowded out of the account's concurrency, which the surging function took (a queue's backlog let loose on it).
fn surge_after(change: &Finding, findings: &[&Finding]) -> Option<DateTime<Utc>> {
    let changed = change.time?;
    findings
        .iter()
        .filter(|f| {
            f.kind == FindingKind::MetricAnomaly
                && f.attr(attr::NAMESPACE) == "AWS/Lambda"
                && matches!(f.attr(attr::METRIC_NAME), "Invocations" | "ConcurrentExecutions")
                && moved_up(f.attr(attr::SHAPE))
                && f.score >= STRONG
                && same_resource(&f.component, &change.component)
        })
        .filter_map(|f| f.time)
        .filter(|t| *t >= changed - Duration::minutes(1))
        .min()
}

/// Another function throttled within minutes after the changed function's surge (`surge_after`).
fn crowded_out(change: &Finding, surged_at: Option<DateTime<Utc>>, symptom: &Finding) -> bool {
    // Lambda refusing an invocation says "Rate Exceeded" (TooManyRequestsException), and counts it as a throttle.
    let text = raw_text_of(symptom).to_ascii_lowercase();
    let refused_invocation = ["rate exceeded", "toomanyrequestsexception"].iter().any(|w| text.contains(w))
        && aws_quota_named(symptom).is_none();
    let throttled_function = refused_invocation
        || symptom.attr(attr::NAMESPACE) == "AWS/Lambda" && symptom.attr(attr::METRIC_NAME) == "Throttles";
    throttled_function
        && symptom.component != change.component
        && surged_at.zip(symptom.time).is_some_and(|(surge, throttled)| {
            throttled >= surge && throttled - surge <= Duration::minutes(PROMPT_MINUTES)
        })
}

/// A change to how a resource hands work to another: a bucket's notifications, a rule's targets, a topic's
/// subscriptions, a function's event source mapping.
fn feeds_another(change: &Finding) -> bool {
    let name = change.attr(attr::EVENT_NAME);
    ["Notification", "Targets", "Subscri", "EventSourceMapping"].iter().any(|word| name.contains(word))
}

/// A change to where a load balancer sends requests (a listener or its rules).
fn reroutes(change: &Finding) -> bool {
    change.attr(attr::EVENT_SOURCE).starts_with("elasticloadbalancing")
        && ["Rule", "Listener"].iter().any(|k| change.attr(attr::EVENT_NAME).contains(k))
}

/// A failure calling a host outside AWS (the far end of a trace edge, or a host the text names).
fn calls_outside(finding: &Finding) -> bool {
    remotes_in(finding).iter().any(|host| !host.ends_with("amazonaws.com"))
}

/// A job run the audit counts as a deployment: one that migrates a database's schema (an ECS task, a build).
fn runs_a_migration(change: &Finding) -> bool {
    change.attr(attr::CHANGE_KIND) == "deployment" && JOB_RUN_EVENTS.contains(&change.attr(attr::EVENT_NAME))
}

/// A resource known by a generated id (a KMS key's UUID, `sg-0a1b2c3d4e5f`), which symptoms rarely name: such a
/// change is tied to the symptoms it promptly precedes.
fn named_by_id(component: &str) -> bool {
    let hex_run = component.split(|c: char| !c.is_ascii_hexdigit()).map(str::len).max().unwrap_or(0);
    hex_run >= 8 && component.chars().filter(|c| c.is_ascii_digit()).count() >= 4
}

/// Symptom error classes a change of this kind would cause. A security group or network ACL is a permission on
/// the network: removing a rule shows as timeouts and refused connections, not as access denied.
fn consistent(change: &Finding, error_class: &str, finding: &Finding) -> bool {
    match change.attr(attr::CHANGE_KIND) {
        // A VPC endpoint's policy, though, refuses calls through it like any resource policy.
        "permission" if on_network(change) && !change.attr(attr::EVENT_NAME).contains("VpcEndpoint") => {
            matches!(error_class, "connection" | "timeout")
        }
        // AWS says which policy denied: a resource's own (a bucket or key policy) or the caller's identity policies.
        "permission" => {
            let text = text_of(finding);
            let iam = change.attr(attr::EVENT_SOURCE).starts_with("iam.");
            // A role's change cannot be a resource policy's deny, nor a resource's change a missing identity grant.
            let other_policy = if iam { "resource-based policy" } else { "no identity-based policy" };
            let refused = finding.kind == FindingKind::MetricAnomaly && {
                let metric = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
                metric.contains("blocked") || metric.contains("403")
            };
            // An API's authorizer or a user pool's client decides who gets in: changed, callers are rejected.
            let authentication = ["Authorizer", "UserPoolClient", "IdentityProvider"]
                .iter()
                .any(|k| change.attr(attr::EVENT_NAME).contains(k));
            (error_class == "accessDenied" && !text.contains(other_policy))
                || refused
                || (error_class == "credential" && authentication)
        }
        // Less capacity shows as throttling and limits, and, where it removes servers, as errors, latency and
        // stopped processes (a service scaled to zero), which metrics and traces show; not as new log errors.
        // Fewer servers are fewer healthy hosts, each busier: the cut itself, not harm it did, unless a gauge
        // neared its ceiling.
        "capacity" => {
            hits_a_limit(finding)
                || error_class == "restart"
                || matches!(finding.kind, FindingKind::MetricAnomaly | FindingKind::TraceAnomaly)
                    && !short_of_ceiling(finding)
                    && !counts_servers(finding)
        }
        // A rotated password does not break a TLS handshake; a replaced certificate does.
        "credential" => {
            matches!(error_class, "credential" | "accessDenied" | "tls")
                && (!about_certificates(&text_of(finding)) || about_certificates(&text_of(change)))
        }
        // A DNS record changed answers for its own name: a name that stopped resolving is another's trouble.
        "network" if error_class == "dns" && change.attr(attr::EVENT_NAME).contains("ResourceRecordSet") => {
            let records = hostnames_in_text(&change.excerpt);
            let failing = hostnames_in_text(&raw_text_of(finding));
            // Both lists are lower-case names without a trailing dot.
            failing.is_empty() || failing.iter().any(|host| records.contains(host))
        }
        // A load balancer's listener rule sends requests elsewhere: they fail there however it answers (not
        // found, unavailable, errors), though not for want of a permission, a credential or a quota.
        "network" if reroutes(change) => !matches!(
            error_class,
            "throttling" | "limitExceeded" | "credential" | "accessDenied" | "outOfMemory" | "diskFull"
        ),
        // A path cut or moved shows as failed connections, and in the metrics of what lost it; a function moved
        // into small subnets runs out of addresses to start in.
        "network" => {
            matches!(error_class, "connection" | "dns" | "timeout" | "tls")
                || finding.kind == FindingKind::MetricAnomaly
                || error_class == "limitExceeded" && about_addresses(&text_of(finding))
                || on_egress(change) && calls_outside(finding)
        }
        // New code throws new errors (and the deployed resource's own error metrics count them); throttling,
        // limits, credentials, a full disk or a restarting server are mechanisms of their own.
        "deployment" => {
            let metric = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
            let failing_itself = finding.kind == FindingKind::MetricAnomaly
                && change.component.eq_ignore_ascii_case(&finding.component)
                && ["error", "fault", "failed"].iter().any(|k| metric.contains(k));
            let began_at_once = finding.time.zip(change.time).is_some_and(|(effect, deployed)| {
                effect + Duration::minutes(1) >= deployed && effect - deployed <= Duration::minutes(PROMPT_MINUTES)
            });
            // New code that opens more connections or does more work per request loads what it runs on or
            // calls from its first minutes.
            let rose_at_once = moved_up(finding.attr(attr::SHAPE)) && began_at_once;
            let loads_at_once = is_utilisation(finding) && rose_at_once;
            // The deployed resource's own load jumping at once (its invocations, its throttles) is what the new
            // code does: a function that now triggers itself. Its latency right after a deploy is cold starts.
            const LOAD_WORDS: [&str; 4] = ["throttl", "invocation", "concurren", "recursive"];
            let own_load_at_once = finding.kind == FindingKind::MetricAnomaly
                && LOAD_WORDS.iter().any(|word| metric.contains(word))
                && change.component.eq_ignore_ascii_case(&finding.component)
                && rose_at_once;
            // New code refused by a quota from its first minutes (no longer caching its keys, calling in a loop, a
            // workflow step returning more than a state may hold) now calls or returns more than before.
            let own_refusals_at_once = finding.kind == FindingKind::NewLogPattern
                && matches!(error_class, "throttling" | "limitExceeded")
                && (same_resource(&change.component, &finding.component) || mentions(finding, change))
                && began_at_once;
            own_load_at_once
                || own_refusals_at_once
                || !matches!(
                    error_class,
                    "throttling" | "limitExceeded" | "credential" | "restart" | "diskFull" | "clockSkew"
                ) && (finding.kind == FindingKind::NewLogPattern
                    || matches!(error_class, "exception" | "notFound")
                    || failing_itself
                    || loads_at_once)
        }
        // Work put on the system at once (a redriven dead-letter queue) shows as more work and what too much work
        // does: throttling, limits hit, timeouts, refused connections, and busier, slower resources.
        "load" => {
            matches!(error_class, "throttling" | "limitExceeded" | "timeout" | "connection" | "unavailable")
                || finding.kind == FindingKind::MetricAnomaly && moved_up(finding.attr(attr::SHAPE))
        }
        // A setting changes behaviour (timeouts, memory, limits, flags), not which records exist; but a setting
        // that names a resource (a table, a queue) can name one that does not exist, and one that expires data
        // (a TTL, a lifecycle rule) removes records. Nor does a setting fill a disk or move a host's clock.
        "configuration" => {
            (!error_class.is_empty() && !matches!(error_class, "notFound" | "diskFull" | "clockSkew"))
                || finding.kind == FindingKind::MetricAnomaly
                || error_class == "notFound" && (names_a_missing_resource(finding) || expires_data(change))
        }
        _ => false,
    }
}

fn change_category(kind: &str) -> Option<(Category, f64)> {
    Some(match kind {
        "deployment" => (Category::Deployment, 1.0),
        "permission" => (Category::PermissionChange, 1.0),
        "capacity" => (Category::CapacityLimit, 1.0),
        "credential" => (Category::CredentialExpiry, 1.0),
        "network" => (Category::Network, 0.9),
        "configuration" => (Category::ConfigurationChange, 0.8),
        "load" => (Category::TrafficSurge, 0.9),
        _ => return None,
    })
}

/// How much a change's timing says it caused the onset: best a few minutes before, fading over an hour.
fn timing(change: DateTime<Utc>, onset: Option<DateTime<Utc>>) -> f64 {
    let Some(onset) = onset else { return 0.4 };
    let lead = (onset - change).num_seconds() as f64 / 60.0;
    if lead < -2.0 {
        0.1
    } else if lead <= 15.0 {
        1.0
    } else {
        (1.0 - (lead - 15.0) / 90.0).max(0.15)
    }
}

fn change_candidates(
    findings: &[&Finding],
    symptoms: &[&Finding],
    onset: Option<DateTime<Utc>>,
    noticed: DateTime<Utc>,
    topology: &Topology,
    alarmed: &[String],
    logging: &[String],
) -> Vec<Candidate> {
    let mut by_target: BTreeMap<(String, Category), Candidate> = BTreeMap::new();
    for change in findings.iter().filter(|f| f.kind == FindingKind::Change) {
        let kind = change.attr(attr::CHANGE_KIND);
        let Some((category, base)) = change_category(kind) else { continue };
        let Some(time) = change.time else { continue };
        // The symptoms this change would cause: of a consistent kind, and tied to it by name (the same or a
        // neighbouring resource, or named in the symptom's text) or, for a change to the network path whose target
        // is an id, by following it within minutes.
        let surged_at = surge_after(change, findings);
        // A schema migration run deploys to the database it migrates, which the run's request rarely names: the
        // database's trouble and its callers' failures on it, right after the run, are the migration's.
        let migration = runs_a_migration(change);
        let crowds_out = |s: &Finding| crowded_out(change, surged_at, s);
        let named = |s: &Finding| {
            topology.distance(&change.component, &s.component) <= 1
                || mentions(s, change)
                || sets_the_limit(change, s, topology)
                || points_at(change, s, topology)
                || logged_on(s, change)
                || crowds_out(s)
        };
        // A metric's datapoint covers its minute, and a log pattern's first line may be a stray error just before
        // its burst: either may read up to a minute before the change.
        let prompt =
            |s: &Finding| s.time.is_some_and(|t| t + Duration::minutes(1) >= time && t - time <= Duration::minutes(10));
        let own_logs: Vec<&String> = logging.iter().filter(|c| topology.named_after(c, &change.component)).collect();
        let logs_itself = !own_logs.is_empty();
        let related: Vec<&Finding> = symptoms
            .iter()
            .copied()
            // An error that names the very resource changed, by its id, is that change's effect whatever its class
            // ("…key/f9ccd6cb-… is disabled" wrapped in a generic exception).
            .filter(|s| {
                consistent(change, s.attr(attr::ERROR_CLASS), s)
                    || (named_by_id(&change.component) && is_log(s) && mentions(s, change))
            })
            .filter(|s| named(s) || ((on_network(change) || named_by_id(&change.component) || migration) && prompt(s)))
            // An error that names the remote it failed on is explained by a setting only if it names that setting
            // (or the very limit the setting sets) too, and by new code only if it is not the remote failing
            // (refused, reset, timed out).
            .filter(|s| {
                kind != "configuration"
                    || mentions(s, change)
                    || remote_of(s, topology).is_none()
                    || points_at(change, s, topology)
                    || sets_the_limit(change, s, topology)
            })
            // A failure calling a remote that callers the change did not touch share (the same class, the same
            // remote) is the remote's: callers nothing changed fail alike.
            .filter(|s| {
                !matches!(kind, "configuration" | "deployment")
                    || !failing_alike_elsewhere(s, change, symptoms, topology)
            })
            // A setting does not lower another resource's limit: throttling there is that resource's own, unless the
            // setting names the very limit hit (`max_connections` on a database's parameter group, and its clients
            // refused for too many connections).
            .filter(|s| {
                let limit_elsewhere = limited_resource_named(s, topology).is_some() || aws_quota_named(s).is_some();
                kind != "configuration"
                    || !hits_a_limit(s)
                    || topology.distance(&change.component, &s.component) == 0 && !limit_elsewhere
                    || sets_the_limit(change, s, topology)
                    || crowds_out(s)
            })
            .filter(|s| {
                kind != "deployment"
                    || migration
                    || !remote_failing(s, symptoms, topology)
                    || points_at(change, s, topology)
            })
            // Traces say where a server-side failure began: failures a service passed up from its calls are not its
            // code's, and a remote that failed its callers is not explained by new code in a caller.
            .filter(|s| match s.attr(attr::FAULT_ORIGIN) {
                "below" => kind != "deployment" || migration,
                "remote" => {
                    kind != "deployment"
                        || topology.distance(&change.component, &s.component) == 0
                        || points_at(change, s, topology)
                }
                _ => true,
            })
            // New code that logs logs its errors itself: another service's log lines are its own unless they name
            // it. A deployed configuration (a flag profile) logs nothing; its consumers' errors are its effects.
            .filter(|s| {
                kind != "deployment"
                    || migration
                    || !is_log(s)
                    || !logs_itself
                    || topology.distance(&change.component, &s.component) == 0
                    || own_logs.iter().any(|c| same_resource(c, &s.component))
                    || mentions(s, change)
            })
            .collect();
        // A level shift found in a noisy series may be dated a datapoint early: a metric's onset may read up to two
        // minutes before the change that caused it.
        let after = |s: &&Finding| {
            let slack = if s.kind == FindingKind::MetricAnomaly { 2 } else { 1 };
            s.time.is_none_or(|t| t >= time - Duration::minutes(slack))
        };
        let mut explained: Vec<&Finding> = related.iter().copied().filter(after).collect();
        // The changed resource's own activity stopping at the change (a rule disabled, a mapping turned off: its
        // invocations fall to zero) is what the change did, though less activity is no harm in general; so is the
        // activity of the consumer it feeds, when the change was to how it feeds it (a bucket's notifications).
        let reach = if feeds_another(change) { 1 } else { 0 };
        let stopped = findings.iter().copied().filter(|f| {
            f.kind == FindingKind::MetricAnomaly
                && matches!(f.attr(attr::SHAPE), "dropToZero" | "flatline")
                && topology.distance(&change.component, &f.component) <= reach
                && after(f)
                && f.time.is_some_and(|t| t - time <= Duration::minutes(PROMPT_MINUTES))
        });
        for finding in stopped {
            if !explained.contains(&finding) {
                explained.push(finding);
            }
        }
        // Trouble that was already there and still going when the change came shows the change did not start it;
        // an episode over well before the change says nothing about it. A busier gauge before capacity was cut is
        // demand growing, which the cut then could not meet.
        let preexisting = related.iter().any(|s| {
            let demand = kind == "capacity" && is_utilisation(s);
            s.score >= STRONG && !after(s) && !over_before(s, time) && !demand
        });
        // Load rising on what a deploy calls may be the new code or demand: circumstantial, unlike its own errors.
        let weight = |s: &Finding| {
            let circumstantial =
                kind == "deployment" && is_utilisation(s) && topology.distance(&change.component, &s.component) > 0;
            if circumstantial { 0.6 } else { 1.0 }
        };
        // AWS refusing calls to the changed resource right after the change (CloudTrail's own record of a disabled
        // key's failed decrypts) is the change's effect, whatever the services' logs say.
        let refused = parse_time(change.attr(attr::REFUSED_AT));
        let corroboration = explained
            .iter()
            .map(|s| s.score * weight(s))
            .chain(refused.map(|_| REFUSED_CORROBORATION))
            .fold(0.0, f64::max)
            .min(1.0);
        // Direct effects, where there are any, date the change's effect and say where it began.
        let direct = explained.iter().any(|s| weight(s) == 1.0 && s.score >= STRONG);
        let effects: Vec<&Finding> =
            explained.iter().copied().filter(|s| s.score >= STRONG && (!direct || weight(s) == 1.0)).collect();
        let first_effect = effects.iter().filter_map(|s| s.time).chain(refused).min();
        let timing = match first_effect {
            Some(effect) => timing(time, Some(effect)),
            None => timing(time, onset).min(0.5),
        };
        // Effects that began well after the incident had begun next to them (a database slowing down before the
        // service a deploy changed) leave its earliest anomaly to something else; an anomaly far fainter than the
        // effects (a firewall blocking a few more requests) did not begin the incident they are.
        let late = match (first_effect, onset) {
            (Some(effect), Some(onset)) if effect - onset > Duration::minutes(LATE_MINUTES) => {
                let began = |s: &Finding| parse_time(s.attr(attr::BURST_START)).or(s.time);
                let strongest = effects.iter().map(|s| s.score).fold(STRONG, f64::max);
                let earliest: Vec<&Finding> = symptoms
                    .iter()
                    .copied()
                    .filter(|s| {
                        s.score >= strongest / 2.0 && began(s).is_some_and(|t| t <= onset + Duration::minutes(2))
                    })
                    .collect();
                let on_itself = earliest.iter().any(|s| topology.distance(&change.component, &s.component) == 0);
                let next_to_them = earliest.iter().any(|s| {
                    let distances: Vec<u32> =
                        effects.iter().map(|e| topology.distance(&e.component, &s.component)).collect();
                    distances.contains(&1) && !distances.contains(&0)
                });
                if next_to_them && !on_itself { 0.6 } else { 1.0 }
            }
            _ => 1.0,
        };
        // A setting on another resource (a parameter, a flag) explains symptoms only where they name it; a
        // configuration deployed to the services that read it (AppConfig) reaches them like code, and a resource
        // deleted reaches every caller that now cannot find it.
        let deployed = change.attr(attr::EVENT_NAME) == "StartDeployment";
        let removes_records = change.attr(attr::EVENT_NAME).starts_with("Delete") || expires_data(change);
        let reach = if kind == "configuration"
            && !deployed
            && !explained.iter().any(|s| {
                topology.distance(&change.component, &s.component) == 0
                    || mentions(s, change)
                    || sets_the_limit(change, s, topology)
                    || logged_on(s, change)
                    || removes_records && s.attr(attr::ERROR_CLASS) == "notFound"
            }) {
            0.5
        } else {
            1.0
        };
        let related_to_symptoms =
            if refused.is_some() || explained.iter().any(|s| mentions(s, change) || logged_on(s, change)) {
                1.0
            } else if explained.iter().any(|s| named(s)) {
                relation(&change.component, symptoms, topology, alarmed)
            } else if !explained.is_empty() {
                0.6
            } else {
                relation(&change.component, symptoms, topology, alarmed)
            };
        // Effects that were all over well before the alarm are not what the alarm is about.
        let stale = !explained.is_empty() && explained.iter().all(|s| over_before(s, noticed));
        // An autoscaler adding tasks, or a load balancer dropping a stopped target, reacts to what happens.
        let reaction = if aws_acting_on_its_own(change.attr(attr::ACTOR)) { 0.3 } else { 1.0 };
        let score = base
            * timing
            * reach
            * related_to_symptoms
            * (0.35 + 0.65 * corroboration)
            * if preexisting { 0.5 } else { 1.0 }
            * if stale { 0.4 } else { 1.0 }
            * late
            * reaction
            + 0.1 * change.score;
        // Capacity taken away where no limit is hit (a service scaled to zero) is a setting that broke things; a
        // change that let one function take the concurrency others needed made them hit the account's limit.
        let category = if kind == "capacity" && !explained.is_empty() && !explained.iter().any(|s| hits_a_limit(s)) {
            Category::ConfigurationChange
        } else if explained.iter().any(|s| crowds_out(s)) {
            Category::CapacityLimit
        } else {
            category
        };
        let mut support: Vec<Finding> = explained.into_iter().cloned().collect();
        support.sort_by(|a, b| b.score.total_cmp(&a.score));
        // A resource changed by its id is reported by its name, where the architecture or the traces give one.
        let component = topology.name_for_id(&change.component).unwrap_or_else(|| change.component.clone());
        let key = (component.to_ascii_lowercase(), category);
        let entry = by_target.entry(key).or_insert_with(|| Candidate {
            component,
            category,
            score: 0.0,
            cause: None,
            support: Vec::new(),
            context: Vec::new(),
        });
        if score > entry.score {
            entry.score = score;
            entry.cause = Some((*change).clone());
            entry.context = own_lines_after(change, findings, &own_logs, topology).into_iter().cloned().collect();
            entry.support = support;
        }
    }
    by_target.into_values().collect()
}

/// Symptoms that began within minutes of a change that explains them, and long after an earlier change that
/// explains them too, began with the later change: the earlier one counts for less (a deploy eighteen minutes
/// before a table was deleted, and errors from the moment it was).
fn yield_to_the_change_right_before(candidates: &mut [Candidate]) {
    let earlier: Vec<usize> = (0..candidates.len())
        .filter(|&i| {
            let (Some(effect), Some(changed)) = (first_effect(&candidates[i]), changed_at(&candidates[i])) else {
                return false;
            };
            effect - changed > Duration::minutes(LATE_MINUTES)
                && candidates.iter().any(|other| {
                    let shares = other.support.iter().any(|s| candidates[i].support.contains(s));
                    changed_at(other).is_some_and(|at| {
                        at > changed && at <= effect + Duration::minutes(1) && effect - at <= Duration::minutes(3)
                    }) && shares
                })
        })
        .collect();
    for i in earlier {
        candidates[i].score *= 0.6;
    }
}

/// A deploy whose first failures were refusals naming a resource another change had altered before it (a role whose
/// trust policy no longer lets the service assume it, a key disabled, a secret rotated) only brought that change's
/// breakage to light: its effects are the earlier change's.
fn yield_to_the_change_its_refusals_name(candidates: &mut [Candidate]) {
    yield_to(candidates, |deploy, other| {
        let (Some(deployed), Some(first)) = (changed_at(deploy), first_effect(deploy)) else { return false };
        let Some(cause) = &other.cause else { return false };
        change_kind(deploy) == "deployment"
            && matches!(change_kind(other), "permission" | "credential")
            && changed_at(other).is_some_and(|at| at < deployed)
            && other.support.iter().any(|s| {
                deploy.support.contains(s)
                    && matches!(s.attr(attr::ERROR_CLASS), "accessDenied" | "credential")
                    && s.time.is_some_and(|t| t <= first + Duration::minutes(1))
                    && mentions(s, cause)
            })
    });
}

/// A stack update is carried out by the changes CloudFormation then makes to its resources: where one of those
/// explains the same symptoms, it says what in the stack broke them.
fn yield_to_the_change_a_stack_made(candidates: &mut [Candidate]) {
    yield_to(candidates, |stack, other| {
        let made_by_stack =
            other.cause.as_ref().is_some_and(|cause| cause.attr(attr::ACTOR).contains("CloudFormation"));
        let Some(updated) = changed_at(stack) else { return false };
        stack.cause.as_ref().is_some_and(|c| c.attr(attr::EVENT_SOURCE) == "cloudformation.amazonaws.com")
            && made_by_stack
            && changed_at(other).is_some_and(|at| at >= updated && at - updated <= Duration::minutes(STACK_MINUTES))
            && other.support.iter().any(|s| stack.support.contains(s))
    });
}

/// A deploy, or a limit hit with no change behind it, whose effects began only after a resource near them had run
/// out of memory or disk (a cache full and evicting before its clients timed out and the table behind it throttled)
/// did not start them: the resource that ran out first did.
fn yield_to_what_ran_out_first(candidates: &mut [Candidate], topology: &Topology) {
    const FULL_PERCENT: f64 = 95.0;
    let ran_out_at = |c: &Candidate| {
        let full = |f: &&Finding| {
            let metric = f.attr(attr::METRIC_NAME).to_ascii_lowercase();
            let peak = f.attr(attr::PEAK).parse::<f64>().unwrap_or(0.0);
            f.kind == FindingKind::MetricAnomaly
                && f.score >= STRONG
                && (metric.contains("eviction")
                    || (metric.contains("memory") || metric.contains("disk")) && peak >= FULL_PERCENT
                    || filled_up(f))
        };
        let worn_out = c.cause.is_none() && c.category == Category::ResourceExhaustion;
        if worn_out { c.support.iter().filter(full).filter_map(|f| f.time).min() } else { None }
    };
    yield_to(candidates, |effect, other| {
        let (Some(first), Some(ran_out)) = (first_effect(effect), ran_out_at(other)) else { return false };
        let uncaused_limit = effect.cause.is_none() && effect.category == Category::CapacityLimit;
        (change_kind(effect) == "deployment" || uncaused_limit)
            && ran_out < first
            && topology.distance(&effect.component, &other.component) > 0
            && effect.support.iter().any(|s| topology.distance(&s.component, &other.component) <= 2)
    });
}

/// A resource throttled with no surge of its own, minutes after another resource of the same service surged (an
/// API flooded by a partner's retries, under the account's request quota), was crowded out of a limit they share:
/// the surge is the cause.
fn yield_to_the_surge_that_crowded_it_out(candidates: &mut [Candidate], findings: &[&Finding]) {
    let measured_in = |component: &str, namespace: &str| {
        findings.iter().any(|f| f.attr(attr::NAMESPACE) == namespace && same_resource(&f.component, component))
    };
    yield_to(candidates, |throttled, other| {
        let (Some(first), Some((surged, surge))) = (first_effect(throttled), earliest_surge(other)) else {
            return false;
        };
        throttled.cause.is_none()
            && throttled.category == Category::CapacityLimit
            && earliest_surge(throttled).is_none()
            && throttled.support.iter().any(|f| f.attr(attr::ERROR_CLASS) == "throttling")
            && !same_resource(&throttled.component, &other.component)
            && surged <= first + Duration::minutes(1)
            && first - surged <= Duration::minutes(LATE_MINUTES)
            && measured_in(&throttled.component, surge.attr(attr::NAMESPACE))
    });
}

/// A clear rise in demand (requests, invocations, messages in).
fn is_surge(finding: &Finding) -> bool {
    is_demand_metric(finding) && finding.score >= STRONG
}

/// When a candidate's own demand first surged (its requests or invocations), and the finding that says so.
fn earliest_surge(candidate: &Candidate) -> Option<(DateTime<Utc>, &Finding)> {
    let surges = candidate.support.iter().filter(|f| is_surge(f));
    surges.filter_map(|f| Some((f.time?, f))).min_by_key(|(time, _)| *time)
}

/// Candidates that yield to another (`yields(candidate, other)`) hand it half their score and all their support.
fn yield_to(candidates: &mut [Candidate], yields: impl Fn(&Candidate, &Candidate) -> bool) {
    let handovers: Vec<(usize, usize)> = (0..candidates.len())
        .filter_map(|d| {
            let to = (0..candidates.len()).find(|&p| p != d && yields(&candidates[d], &candidates[p]))?;
            Some((d, to))
        })
        .collect();
    for (d, p) in handovers {
        let share = candidates[d].score * 0.5;
        candidates[d].score -= share;
        candidates[p].score += share;
        let moved: Vec<Finding> =
            candidates[d].support.iter().filter(|s| !candidates[p].support.contains(s)).cloned().collect();
        candidates[p].support.extend(moved);
    }
}

fn change_kind(candidate: &Candidate) -> &str {
    candidate.cause.as_ref().map_or("", |cause| cause.attr(attr::CHANGE_KIND))
}

fn changed_at(candidate: &Candidate) -> Option<DateTime<Utc>> {
    candidate.cause.as_ref().and_then(|cause| cause.time)
}

/// When the first strong symptom a candidate explains began.
fn first_effect(candidate: &Candidate) -> Option<DateTime<Utc>> {
    candidate.support.iter().filter(|s| s.score >= STRONG).filter_map(|s| s.time).min()
}

/// The category a symptom points to when no change explains it.
fn symptom_category(finding: &Finding) -> Category {
    let metric = finding.attr(attr::METRIC_NAME).to_ascii_lowercase();
    match finding.attr(attr::ERROR_CLASS) {
        "throttling" | "limitExceeded" => Category::CapacityLimit,
        "accessDenied" => Category::PermissionChange,
        "credential" => Category::CredentialExpiry,
        "outOfMemory" | "diskFull" => Category::ResourceExhaustion,
        "dns" | "tls" => Category::Network,
        // Handshakes a load balancer could not complete (`ClientTLSNegotiationErrorCount`).
        _ if metric.contains("tlsnegotiation") => Category::Network,
        "restart" | "clockSkew" => Category::InfrastructureFailure,
        // A host failing its system status check is AWS's hardware or network under it.
        _ if metric.contains("statuscheckfailed_system") => Category::InfrastructureFailure,
        "connection" | "timeout" | "unavailable" => Category::DependencyFailure,
        // A remote host (a provider, another team's service) answering its callers with server errors is a
        // dependency failing, whatever it threw.
        "exception"
            if finding.attr(attr::FAULT_ORIGIN) == "remote"
                && edge_remote(finding).is_some_and(|r| r.contains('.')) =>
        {
            Category::DependencyFailure
        }
        "exception" | "notFound" | "invalidRequest" => Category::CodeDefect,
        _ if is_limit_metric(&metric) => Category::CapacityLimit,
        // A replica or consumer falling behind is worn out by the work it is given.
        _ if ["memory", "cpu", "disk", "free", "eviction", "lag"].iter().any(|k| metric.contains(k))
            || is_burst_credit(&metric)
            || filled_up(finding) =>
        {
            Category::ResourceExhaustion
        }
        _ if finding.kind == FindingKind::TraceAnomaly => Category::DependencyFailure,
        _ => Category::Unknown,
    }
}

fn symptom_candidates(
    symptoms: &[&Finding],
    changes: &[Candidate],
    onset: Option<DateTime<Utc>>,
    topology: &Topology,
    alarmed: &[String],
) -> Vec<Candidate> {
    // A symptom a credible change explains is that change's effect; one only a weak suspect claims (a setting
    // changed long before, on a resource that merely shares a name) still stands as a cause of its own.
    let explained_by_change =
        |s: &Finding| changes.iter().any(|c| c.score >= CREDIBLE_CHANGE && c.support.iter().any(|x| x == s));
    let unexplained: Vec<(&Finding, Category, String)> = symptoms
        .iter()
        .copied()
        .filter(|s| !explained_by_change(s))
        .map(|s| {
            let category = symptom_category(s);
            (s, category, target_of(s, category, topology))
        })
        .collect();
    // An error on a resource that names no remote shares the remote its sibling errors of the same kind name.
    let remote_of_sibling = |symptom: &Finding, category: Category| {
        unexplained
            .iter()
            .filter(|(s, c, target)| *c == category && s.component == symptom.component && *target != s.component)
            .max_by(|a, b| a.0.score.total_cmp(&b.0.score))
            .map(|(_, _, target)| target.clone())
    };
    let mut groups: BTreeMap<(String, Category), (String, Vec<&Finding>)> = BTreeMap::new();
    for (symptom, category, target) in &unexplained {
        let target = if *target == symptom.component {
            remote_of_sibling(symptom, *category).unwrap_or_else(|| target.clone())
        } else {
            target.clone()
        };
        // A generated log group's name stands for the service that writes it, a cluster's member for the cluster.
        let target = topology
            .owner_of_log_group(&target)
            .or_else(|| member_group(&target).map(str::to_string))
            .or_else(|| topology.name_for_id(&target))
            .unwrap_or(target);
        let group = groups.entry((target.to_ascii_lowercase(), *category)).or_insert_with(|| (target, Vec::new()));
        group.1.push(symptom);
    }
    let demand: Vec<&Finding> = symptoms.iter().copied().filter(|f| is_demand_metric(f)).collect();
    let mut candidates: Vec<Candidate> = groups
        .into_iter()
        .map(|((_, category), (component, mut group))| {
            group.sort_by(|a, b| b.score.total_cmp(&a.score));
            let strength =
                group.iter().take(3).enumerate().map(|(i, f)| f.score / (i as f64 + 1.0)).sum::<f64>().min(1.5);
            let first = group.iter().filter_map(|f| f.time).min();
            let earliness = match (first, onset) {
                (Some(t), Some(o)) => (1.0 - (t - o).num_seconds().max(0) as f64 / 1800.0).max(0.3),
                _ => 0.6,
            };
            // "Not found" is mostly clients asking for what does not exist: a weak sign of a defect.
            let only_not_found = group.iter().all(|f| f.attr(attr::ERROR_CLASS) == "notFound");
            // A busier CPU or fuller memory that stayed well short of its ceiling ran out of nothing.
            let headroom_left = category == Category::ResourceExhaustion && group.iter().all(|f| short_of_ceiling(f));
            let specificity = if headroom_left {
                0.3
            } else if category == Category::Unknown || only_not_found {
                0.5
            } else {
                1.0
            };
            // A target that is no host (a quota's service, a cluster named after its members, the instance a disk
            // filled on) is one step from the symptoms that point at it.
            let resource = !component.contains('.');
            let via_callers = group
                .iter()
                .filter(|f| resource && !same_resource(&f.component, &component))
                .map(|f| relation(&f.component, symptoms, topology, alarmed))
                .fold(0.0, f64::max);
            let related = relation(&component, symptoms, topology, alarmed).max(0.85 * via_callers);
            let score = 0.55 * strength * earliness * specificity * related;
            let support = group.into_iter().cloned().collect();
            Candidate { component, category, score, cause: None, support, context: Vec::new() }
        })
        .collect();
    for surge in demand {
        let leads = match (surge.time, onset) {
            (Some(t), Some(o)) => t <= o + Duration::minutes(1),
            _ => false,
        };
        if leads && surge.score >= STRONG {
            candidates.push(Candidate {
                component: surge.component.clone(),
                category: Category::TrafficSurge,
                score: 0.6 * surge.score * relation(&surge.component, symptoms, topology, alarmed),
                cause: None,
                support: vec![surge.clone()],
                context: Vec::new(),
            });
        }
    }
    candidates
}

/// A resource that slowed, or timed out its callers, after its own load rose (its invocations or requests surged
/// before the onset) ran out of capacity: the limit is what broke, and the surge is why.
fn saturate(candidates: &mut [Candidate], findings: &[&Finding], onset: Option<DateTime<Utc>>) {
    let Some(onset) = onset else { return };
    let surges = findings.iter().filter(|f| is_surge(f));
    for surge in surges.filter(|f| f.time.is_some_and(|t| t <= onset + Duration::minutes(1))) {
        let saturated = candidates.iter_mut().filter(|c| {
            c.cause.is_none()
                && matches!(c.category, Category::DependencyFailure | Category::Unknown)
                && same_resource(&c.component, &surge.component)
                && c.support.iter().all(|f| matches!(f.attr(attr::ERROR_CLASS), "" | "timeout"))
        });
        for candidate in saturated {
            candidate.category = Category::CapacityLimit;
            if !candidate.support.contains(surge) {
                candidate.support.push((*surge).clone());
            }
        }
    }
}

/// Symptoms with no mechanism of their own (an error count, a latency or queue metric, an error response with no
/// class) are effects. When a candidate with a mechanism involves the same or a neighbouring resource and started
/// no later, they corroborate that candidate instead of competing with it; otherwise they stay a weak candidate.
/// An exhausted resource's error relayed by its client ("No space left on device" from the database, logged by the
/// web service too) belongs to the component whose own gauge ran out (free storage, memory), or to the host that
/// ran out with it: the client's candidate joins that one.
fn fold_relayed_exhaustion(candidates: Vec<Candidate>, topology: &Topology) -> Vec<Candidate> {
    const MEMORY_GAUGES: [&str; 2] = ["memory", "eviction"];
    const DISK_GAUGES: [&str; 3] = ["free", "disk", "storage"];
    let exhausted = |c: &Candidate| c.cause.is_none() && c.category == Category::ResourceExhaustion;
    let has_gauge = |c: &Candidate, words: &[&str]| {
        c.support.iter().any(|f| {
            let metric = f.attr(attr::METRIC_NAME).to_ascii_lowercase();
            f.kind == FindingKind::MetricAnomaly && words.iter().any(|k| metric.contains(k))
        })
    };
    let gauge_ran_out = |c: &Candidate| has_gauge(c, &MEMORY_GAUGES) || has_gauge(c, &DISK_GAUGES);
    let classes = |c: &Candidate| -> Vec<String> {
        c.support.iter().map(|f| f.attr(attr::ERROR_CLASS).to_string()).filter(|k| specific_class(k)).collect()
    };
    // The owner ran out of what the client's errors say ran out: it logged the same error, or its gauge for it
    // moved (a cache's memory when its clients are refused for memory).
    let ran_out_of = |owner: &Candidate, class: &str| {
        classes(owner).iter().any(|k| k == class)
            || (class == "outOfMemory" && has_gauge(owner, &MEMORY_GAUGES))
            || (class == "diskFull" && has_gauge(owner, &DISK_GAUGES))
    };
    // A host whose own logs name the service that ran out with it (the container agent's "no space left" for the
    // renderer's container): the service runs on that host's disk and memory.
    let on_the_host = |owner: &Candidate, c: &Candidate| {
        let service = c.component.to_ascii_lowercase();
        is_instance_id(&owner.component) && owner.support.iter().any(|f| text_of(f).contains(&service))
    };
    fold_into(
        candidates,
        |c| exhausted(c) && (gauge_ran_out(c) || is_instance_id(&c.component)),
        |owner, c| {
            exhausted(c)
                && !gauge_ran_out(c)
                && (topology.distance(&owner.component, &c.component) == 1 || on_the_host(owner, c))
                && classes(c).iter().any(|k| ran_out_of(owner, k))
        },
    )
}

/// A client's logged throttling errors, when traces show the throttling starts at one of its dependencies (S3
/// slowing a bucket down), or a dependency next to it began refusing requests in those minutes (a table's
/// throttle events), are that dependency's limit, not the client's. A client's timeouts that name no remote, after
/// the database next to it wore out, wait on that database.
fn fold_relayed_throttling(candidates: Vec<Candidate>, topology: &Topology) -> Vec<Candidate> {
    let limit_without_change = |c: &Candidate| c.cause.is_none() && c.category == Category::CapacityLimit;
    let waits_on_no_named_remote = |c: &Candidate| {
        c.cause.is_none()
            && c.category == Category::DependencyFailure
            && c.support.iter().all(|f| remotes_in(f).is_empty())
            && c.support.iter().filter(|f| is_log(f)).all(|f| f.attr(attr::ERROR_CLASS) == "timeout")
    };
    let throttled_edge = |f: &Finding| {
        f.source == EvidenceSource::Traces
            && f.attr(attr::FAULT_ORIGIN) == "remote"
            && f.attr(attr::ERROR_CLASS) == "throttling"
    };
    // The resource's own count of requests it refused (a table's `WriteThrottleEvents`), rising.
    let own_refusals = |c: &Candidate| {
        own_metrics(c)
            .filter(|f| {
                moved_up(f.attr(attr::SHAPE)) && is_limit_metric(&f.attr(attr::METRIC_NAME).to_ascii_lowercase())
            })
            .filter_map(|f| f.time)
            .min()
    };
    // A resource worn out with no change behind it (a database slowed by a lock), from its own first clear signal on.
    let exhausted_since = |c: &Candidate| {
        let worn_out = c.cause.is_none() && c.category == Category::ResourceExhaustion;
        if worn_out { own_metrics(c).filter(|f| f.score >= STRONG).filter_map(|f| f.time).min() } else { None }
    };
    fold_into(
        candidates,
        |c| {
            limit_without_change(c) && (c.support.iter().any(throttled_edge) || own_refusals(c).is_some())
                || exhausted_since(c).is_some()
        },
        |owner, c| {
            let caller = |edge: &Finding| edge.attr(attr::EDGE).split(" -> ").next().unwrap_or_default().to_string();
            let relayed_by_edge = owner.support.iter().filter(|f| throttled_edge(f)).any(|edge| {
                topology.distance(&caller(edge), &c.component) == 0 || same_resource(&caller(edge), &c.component)
            });
            // A client next to it throttled from the minutes its refusals began.
            let began = c.support.iter().filter_map(|f| f.time).min();
            let relayed_in_time = topology.distance(&owner.component, &c.component) == 1
                && own_refusals(owner)
                    .zip(began)
                    .is_some_and(|(refused, began)| (began - refused).num_minutes().abs() <= PROMPT_MINUTES);
            // A client out of connections to it after it slowed: the connections wait on it.
            let waiting_on_it = c.support.iter().any(|f| topology.distance(&owner.component, &f.component) == 1)
                && exhausted_since(owner).zip(began).is_some_and(|(slowed, began)| slowed <= began);
            let limit_logs_only = c
                .support
                .iter()
                .all(|f| is_log(f) && matches!(f.attr(attr::ERROR_CLASS), "throttling" | "limitExceeded"));
            limit_without_change(c) && limit_logs_only && (relayed_by_edge || relayed_in_time || waiting_on_it)
                || waits_on_no_named_remote(c) && waiting_on_it
        },
    )
}

/// A candidate's own metrics: the metric findings in its support about its very component.
fn own_metrics(candidate: &Candidate) -> impl Iterator<Item = &Finding> {
    candidate
        .support
        .iter()
        .filter(|f| f.kind == FindingKind::MetricAnomaly && same_resource(&f.component, &candidate.component))
}

/// Trouble that began as a resource known by its id hit a hard limit (timeouts from the minute a NAT gateway ran
/// out of ports, or a volume out of burst credits) is that limit's effect, whatever the callers blame: their
/// candidates with no cause of their own join the resource's.
fn fold_into_limit_hit(candidates: Vec<Candidate>) -> Vec<Candidate> {
    let hit_at = |c: &Candidate| own_metrics(c).filter_map(limit_hit_at).min();
    let began = |c: &Candidate| {
        c.support
            .iter()
            .filter(|f| f.score >= STRONG)
            .filter_map(|f| parse_time(f.attr(attr::BURST_START)).or(f.time))
            .min()
    };
    fold_into(
        candidates,
        |c| c.cause.is_none() && named_by_id(&c.component) && hit_at(c).is_some(),
        |owner, c| {
            c.cause.is_none()
                && !same_resource(&owner.component, &c.component)
                // Within minutes either way: a balance read every five minutes ran out between two readings.
                && hit_at(owner)
                    .zip(began(c))
                    .is_some_and(|(hit, began)| (began - hit).num_minutes().abs() <= PROMPT_MINUTES)
        },
    )
}

/// Clients that lost their connections to a server that went down and came back (a failover) show a dependency
/// failure on it; those candidates join the server's own infrastructure failure.
fn fold_into_failed_host(candidates: Vec<Candidate>, topology: &Topology) -> Vec<Candidate> {
    fold_into(
        candidates,
        |c| c.cause.is_none() && c.category == Category::InfrastructureFailure,
        |host, c| {
            c.cause.is_none()
                && c.category == Category::DependencyFailure
                && topology.distance(&host.component, &c.component) <= 1
        },
    )
}

/// Candidates that are another's effect join it: `owns` picks those others may join, `joins(owner, other)` says
/// whether `other` is `owner`'s effect. The owner adds the other's score and support.
fn fold_into(
    candidates: Vec<Candidate>,
    owns: impl Fn(&Candidate) -> bool,
    joins: impl Fn(&Candidate, &Candidate) -> bool,
) -> Vec<Candidate> {
    let (mut owners, others): (Vec<Candidate>, Vec<Candidate>) = candidates.into_iter().partition(|c| owns(c));
    let mut left = Vec::new();
    for candidate in others {
        match owners.iter_mut().find(|owner| joins(owner, &candidate)) {
            Some(owner) => {
                owner.score += candidate.score;
                owner.support.extend(candidate.support);
            }
            None => left.push(candidate),
        }
    }
    owners.extend(left);
    owners
}

fn fold_unspecific(candidates: Vec<Candidate>, topology: &Topology) -> Vec<Candidate> {
    let (mut unspecific, mut specific): (Vec<Candidate>, Vec<Candidate>) =
        candidates.into_iter().partition(|c| c.cause.is_none() && c.category == Category::Unknown);
    // A resource's own signals join it first, so that it is dated by its earliest one.
    unspecific.sort_by_key(|group| !specific.iter().any(|c| c.component.eq_ignore_ascii_case(&group.component)));
    let mut left = Vec::new();
    for group in unspecific {
        let first = group.support.iter().filter_map(|f| f.time).min();
        let explains = |candidate: &Candidate| {
            let began = candidate
                .cause
                .as_ref()
                .and_then(|f| f.time)
                .or_else(|| candidate.support.iter().filter_map(|f| f.time).min());
            let in_time = match (began, first) {
                (Some(began), Some(first)) => first >= began - Duration::minutes(3),
                _ => true,
            };
            let mut involved =
                candidate.support.iter().map(|f| f.component.as_str()).chain([candidate.component.as_str()]);
            let near = involved.any(|name| group.support.iter().any(|s| topology.distance(name, &s.component) <= 1));
            // The hosts under a service (instances, a zone) are rarely named anywhere: their failure explains the
            // faults that start with it.
            let host_failed_then = candidate.category == Category::InfrastructureFailure
                && match (began, first) {
                    (Some(began), Some(first)) => {
                        first >= began - Duration::minutes(3) && first <= began + Duration::minutes(5)
                    }
                    _ => false,
                };
            // A resource's own signals with no mechanism (its latency) and its exhaustion (its CPU at the ceiling)
            // are one trouble, whichever moved first.
            let its_own = candidate.cause.is_none()
                && matches!(candidate.category, Category::ResourceExhaustion | Category::CapacityLimit)
                && candidate.component.eq_ignore_ascii_case(&group.component);
            !candidate.support.is_empty() && ((in_time && (near || host_failed_then)) || its_own)
        };
        match specific.iter_mut().filter(|c| explains(c)).max_by(|a, b| a.score.total_cmp(&b.score)) {
            Some(explainer) => {
                explainer.score += 0.25 * group.score;
                explainer.support.extend(group.support);
            }
            None => left.push(group),
        }
    }
    specific.extend(left);
    specific
}

/// The text a finding rests on: its summary, excerpt and log template.
fn text_of(finding: &Finding) -> String {
    raw_text_of(finding).to_ascii_lowercase()
}

/// The same text as written, for finding host names (case tells code from hosts), with the hosts its lines name.
fn raw_text_of(finding: &Finding) -> String {
    let hosts = finding.attr(attr::HOSTS).replace(',', " ");
    format!("{} {} {} {hosts}", finding.summary, finding.excerpt, finding.attr(attr::TEMPLATE))
}

/// Whether a symptom names the changed resource, a host the change names (a DNS record, an endpoint), or an id the
/// change's request gives (`apiId=5e798bm06l` for an API's authorizer, whose failures name the API).
fn mentions(symptom: &Finding, change: &Finding) -> bool {
    let text = format!("{} {}", text_of(symptom), symptom.component.to_ascii_lowercase());
    let named = |name: &str| name.len() >= 4 && text.contains(&name.to_ascii_lowercase());
    // A workflow names its steps in another case (`normalize-feed` runs as the state 'NormalizeFeed').
    let compact =
        |words: &str| words.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    let spelled_otherwise =
        compact(&change.component).len() >= 8 && compact(&text).contains(&compact(&change.component));
    named(&change.component)
        || spelled_otherwise
        || hostnames_in_text(&change.excerpt).iter().any(|h| named(h))
        || ids_in_request(&change.excerpt).iter().any(|id| named(id))
}

/// The ids a change's request gives (`restApiId=7kfiqycs98`, `dBClusterIdentifier=orders-aurora`), from its excerpt;
/// not a number (`registryId=266342503750` is the account, which every ARN names).
fn ids_in_request(excerpt: &str) -> Vec<&str> {
    excerpt
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, value)| {
            (key.ends_with("Id") || key.ends_with("Identifier"))
                && value.len() >= 6
                && !value.chars().all(|c| c.is_ascii_digit())
                && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        })
        .map(|(_, value)| value)
        .collect()
}

/// The remote systems a finding names: the far end of a trace edge and the hosts in its text, but the
/// documentation an AWS error links to (`docs.aws.amazon.com`).
fn remotes_in(finding: &Finding) -> Vec<String> {
    let mut remotes: Vec<String> = edge_remote(finding).into_iter().filter(|r| r.contains('.')).collect();
    remotes.extend(remote_hosts_in(&raw_text_of(finding)));
    remotes
}

/// The hosts a text names that could be remotes it called: not the documentation an AWS error links to.
fn remote_hosts_in(text: &str) -> Vec<String> {
    hostnames_in_text(text).into_iter().filter(|host| !host.ends_with(".aws.amazon.com")).collect()
}

fn edge_remote(finding: &Finding) -> Option<String> {
    let (_, remote) = finding.attr(attr::EDGE).split_once("->")?;
    let remote = remote.trim();
    (!remote.is_empty()).then(|| remote.to_string())
}

/// The remote system a symptom is about: the far end of a trace edge, else a host its text names (AWS endpoints
/// last, they are rarely the culprit), else a known host it names by its identifying label ("fxdesk call timed
/// out" is about `api.fxdesk.org`).
fn remote_of(finding: &Finding, topology: &Topology) -> Option<String> {
    if let Some(remote) = edge_remote(finding) {
        return Some(remote);
    }
    let text = raw_text_of(finding);
    // The resource's own endpoint in its own log lines is not a remote it called.
    let mut hosts: Vec<String> =
        remote_hosts_in(&text).into_iter().filter(|h| !same_resource(h, &finding.component)).collect();
    // A URL's host is surely a host; a dotted word elsewhere may be a logger or module name (`app.routes`).
    let lower = text.to_ascii_lowercase();
    hosts.sort_by_key(|h| (!lower.contains(&format!("://{h}")), h.ends_with("amazonaws.com")));
    hosts
        .into_iter()
        .next()
        .or_else(|| topology.host_named_in(&text_of(finding), &finding.component))
        .filter(|host| !same_resource(host, &finding.component))
}

/// Where a symptom of this category lies: a failing dependency is the remote, an expired credential is the secret
/// the architecture says the component uses; otherwise the component that shows the symptom.
fn target_of(symptom: &Finding, category: Category, topology: &Topology) -> String {
    // A disk or memory run out on one host, the host going down or its clock drifting (the lines all come from the
    // stream the agent names after its instance), is that host's.
    let stream = symptom.attr(attr::LOG_STREAM);
    let of_the_host = matches!(symptom.attr(attr::ERROR_CLASS), "diskFull" | "outOfMemory" | "restart" | "clockSkew");
    if of_the_host && is_instance_id(stream) {
        return stream.to_string();
    }
    match category {
        Category::DependencyFailure | Category::Network | Category::InfrastructureFailure => {
            remote_of(symptom, topology).unwrap_or_else(|| symptom.component.clone())
        }
        // An outside provider answering 429 is the limit being hit; an AWS API's throttling is about our own
        // resource (a table's capacity, a function's concurrency), which the symptom's component names.
        // An API's access log refusing its callers (429) names them, not a provider: the limit is the API's.
        Category::CapacityLimit => remote_of(symptom, topology)
            .filter(|host| {
                !host.ends_with("amazonaws.com")
                    && symptom.attr(attr::ERROR_CLASS) == "throttling"
                    && !is_access_log(symptom.attr(attr::LOG_GROUP))
            })
            .or_else(|| limited_resource_named(symptom, topology))
            .or_else(|| aws_quota_named(symptom).map(str::to_string))
            .unwrap_or_else(|| symptom.component.clone()),
        Category::CredentialExpiry => {
            let remote = remote_of(symptom, topology);
            // The credential store next to the failing component; of several, the one tied to the remote that
            // rejected the calls (described together with it, or named after it).
            let closeness = |name: &String| -> u8 {
                if !topology.is_credential_store(name) {
                    return 0;
                }
                let tokens = name_tokens(name);
                let for_remote = remote.as_ref().is_some_and(|r| {
                    topology.distance(name, r) <= 1 || tokens.iter().any(|t| t.len() >= 4 && r.contains(t.as_str()))
                });
                let near = topology.distance(name, &symptom.component) <= 1;
                match (for_remote, near) {
                    (true, true) => 3,
                    (true, false) => 2,
                    (false, true) => 1,
                    (false, false) => 0,
                }
            };
            let best = topology.names().iter().map(closeness).max().unwrap_or(0);
            let secret = topology.names().iter().find(|name| best > 0 && closeness(name) == best);
            secret.cloned().or(remote).unwrap_or_else(|| symptom.component.clone())
        }
        _ => symptom.component.clone(),
    }
}

/// A server's log of the requests it answered (an API Gateway access log, a load balancer's or web server's access
/// log): the hosts it names are its callers.
fn is_access_log(group: &str) -> bool {
    let lower = group.to_ascii_lowercase();
    lower.contains("access") || lower.starts_with("/aws/apigateway/")
}

/// An EC2 instance id (`i-0d8cf983098c02dac`).
fn is_instance_id(name: &str) -> bool {
    name.strip_prefix("i-").is_some_and(|hex| matches!(hex.len(), 8 | 17) && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The AWS service whose account-wide quota a limit error names, when it names no resource of ours: SES's sending
/// rate or daily quota, KMS's request rate.
fn aws_quota_named(symptom: &Finding) -> Option<&'static str> {
    const QUOTAS: [(&str, &str); 4] = [
        ("maximum sending rate exceeded", "SES"),
        ("daily message quota exceeded", "SES"),
        ("sending quota exceeded", "SES"),
        ("rate at which you may call kms", "KMS"),
    ];
    let text = raw_text_of(symptom).to_ascii_lowercase();
    QUOTAS.iter().find(|(phrase, _)| text.contains(phrase)).map(|(_, service)| *service)
}

/// The one known resource a client's limit error names (the table in a `ProvisionedThroughputExceededException`,
/// the bucket S3 slowed down, the database refusing connections), by name or by its endpoint: that resource's
/// limit was hit, not the client's.
fn limited_resource_named(symptom: &Finding, topology: &Topology) -> Option<String> {
    if !is_log(symptom) || !matches!(symptom.attr(attr::ERROR_CLASS), "throttling" | "limitExceeded") {
        return None;
    }
    let text = raw_text_of(symptom);
    match topology.resources_named_in(&text, &symptom.component).as_slice() {
        [only] => Some(only.clone()),
        [] => {
            let behind: BTreeSet<String> =
                hostnames_in_text(&text).iter().filter_map(|host| topology.resource_behind_endpoint(host)).collect();
            (behind.len() == 1).then(|| behind.into_iter().next()).flatten()
        }
        _ => None,
    }
}

/// A changed resource's own new log patterns in the minutes after its change (cold starts after provisioned
/// concurrency was removed, a new startup line): what the change did, whether or not it is an error.
fn own_lines_after<'a>(
    change: &Finding,
    findings: &[&'a Finding],
    own_logs: &[&String],
    topology: &Topology,
) -> Option<&'a Finding> {
    let time = change.time?;
    findings
        .iter()
        .copied()
        .filter(|f| f.kind == FindingKind::NewLogPattern)
        .filter(|f| {
            topology.distance(&change.component, &f.component) == 0
                || own_logs.iter().any(|c| same_resource(c, &f.component))
        })
        .filter(|f| f.time.is_some_and(|t| t >= time && t - time <= Duration::minutes(15)))
        .max_by(|a, b| a.score.total_cmp(&b.score))
}

/// A candidate with no change of its own gets, as context, the latest change by a person or pipeline in the half
/// hour before its first symptom, on a resource next to it or its symptoms (a deploy that turned off keep-alive
/// before the NAT gateway ran out of ports, a job started before the bucket slowed down).
fn attach_preceding_change(candidates: &mut [Candidate], findings: &[&Finding], topology: &Topology) {
    let changes: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| f.kind == FindingKind::Change && !aws_acting_on_its_own(f.attr(attr::ACTOR)))
        .collect();
    for candidate in candidates.iter_mut().filter(|c| c.cause.is_none()) {
        let symptoms: Vec<&Finding> =
            candidate.support.iter().filter(|f| f.source != EvidenceSource::Knowledge).collect();
        let Some(first) = symptoms.iter().filter_map(|f| f.time).min() else { continue };
        let near = |change: &Finding| {
            topology.distance(&change.component, &candidate.component) <= 1
                || symptoms
                    .iter()
                    .any(|s| topology.distance(&change.component, &s.component) <= 1 || mentions(s, change))
        };
        let preceding = changes
            .iter()
            .copied()
            .filter(|c| c.time.is_some_and(|t| t <= first + Duration::minutes(1) && first - t <= Duration::minutes(30)))
            .filter(|c| near(c))
            .max_by_key(|c| c.time);
        candidate.context.extend(preceding.cloned());
    }
}

/// Each kind of telemetry a candidate cites nothing from gets, as context, its strongest symptom that began within
/// minutes of the candidate, at the candidate or next to what supports it (the 401s a web client logged after its
/// API's authorizer changed, the throttle metric of the table whose clients logged throttling).
fn attach_corroboration(candidates: &mut [Candidate], symptoms: &[&Finding], topology: &Topology) {
    for candidate in candidates.iter_mut() {
        let began = candidate
            .cause
            .as_ref()
            .and_then(|c| c.time)
            .or_else(|| candidate.support.iter().filter_map(|f| f.time).min());
        let Some(began) = began else { continue };
        let near = |s: &Finding| {
            topology.distance(&candidate.component, &s.component) <= 1
                || candidate.support.iter().any(|f| topology.distance(&f.component, &s.component) <= 1)
        };
        for source in [EvidenceSource::Logs, EvidenceSource::Metrics, EvidenceSource::Traces] {
            let cited = |f: &Finding| f.source == source;
            if candidate.support.iter().any(cited) || candidate.context.iter().any(cited) {
                continue;
            }
            let strongest = symptoms
                .iter()
                .copied()
                .filter(|s| s.source == source && s.score >= STRONG)
                .filter(|s| {
                    s.time.is_some_and(|t| t >= began - Duration::minutes(2) && t - began <= Duration::minutes(10))
                })
                .filter(|s| near(s))
                .max_by(|a, b| a.score.total_cmp(&b.score));
            candidate.context.extend(strongest.cloned());
        }
    }
}

/// Runbooks and postmortems that match a candidate's component or category become its knowledge evidence.
fn attach_knowledge(candidates: &mut [Candidate], findings: &[&Finding]) {
    let runbooks: Vec<&Finding> = findings.iter().copied().filter(|f| f.kind == FindingKind::Runbook).collect();
    for candidate in candidates.iter_mut() {
        let category_words: Vec<&str> = candidate.category.as_str().split('-').collect();
        let matching = runbooks.iter().find(|r| {
            let text = format!("{} {} {}", r.component, r.summary, r.excerpt).to_ascii_lowercase();
            same_resource(&r.component, &candidate.component)
                || (text.contains(&candidate.component.to_ascii_lowercase())
                    && category_words.iter().any(|w| text.contains(w)))
        });
        if let Some(runbook) = matching {
            candidate.support.push((*runbook).clone());
            candidate.score *= 1.05;
        }
    }
}
