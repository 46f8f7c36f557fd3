//! Scenarios: the kinds of incident the generator knows, and how one is planned — the system, the timeline,
//! the faults and changes, red herrings, the trigger (alarm or Slack form), knowledge documents and the answer.

use super::cloudtrail::{Actor, Change, PlannedChange};
use super::faults::{DepError, Effect, Fault};
use super::kinds;
use super::knowledge::Doc;
use super::model::{Compute, Entry, LambdaFn, Needs, RouteKind, System, SystemBuilder, Template, Workload};
use super::random::{SimRng, chance, hex, pick, range_i64, range_u32, uniform, weighted};

/// One kind of incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub name: &'static str,
    pub description: &'static str,
}

pub const KINDS: &[Kind] = &[
    Kind {
        name: "ddb-capacity-cut",
        description: "provisioned DynamoDB write capacity lowered by hand; writes throttle and the API returns 5XX",
    },
    Kind {
        name: "bad-deploy-lambda",
        description: "a new Lambda version breaks one route; another function deployed the same hour is fine",
    },
    Kind {
        name: "iam-policy-detach",
        description: "an IAM policy change removes actions from a function's role; AccessDenied on writes",
    },
    Kind {
        name: "healthy-blip",
        description: "a one-minute burst of transient errors trips a single-datapoint alarm; nothing is wrong",
    },
    Kind {
        name: "traffic-surge",
        description: "demand rises 5-10x; the function hits its concurrency limit, throttles and latency follow",
    },
    Kind {
        name: "memory-leak",
        description: "an ECS task's or Lambda environment's memory grows until it is OOM-killed, repeatedly",
    },
    Kind {
        name: "dependency-timeout",
        description: "an external HTTP provider becomes slow; calls time out and requests fail",
    },
    Kind {
        name: "expired-credentials",
        description: "a provider API key in Secrets Manager expired or was rotated; calls get 401",
    },
    Kind {
        name: "lambda-concurrency-throttle",
        description: "reserved concurrency set far too low; Lambda throttles invocations",
    },
    Kind {
        name: "security-group-revoke",
        description: "an ingress rule removed from the database security group; connections time out",
    },
    Kind {
        name: "poison-message",
        description: "malformed messages make an SQS consumer fail repeatedly; queue age grows, the DLQ fills",
    },
    Kind { name: "disk-full", description: "an RDS instance runs out of storage; writes fail" },
    Kind {
        name: "config-change-timeout",
        description: "a function's timeout or HTTP-timeout setting was changed; invocations time out",
    },
    Kind {
        name: "planned-load-test",
        description: "an announced load test raises traffic and latency within SLO; nothing is wrong",
    },
    Kind { name: "bad-deploy-ecs", description: "a new ECS task definition revision breaks a route" },
    Kind {
        name: "dns-failure",
        description: "a private DNS record of an internal service was deleted; lookups fail with ENOTFOUND",
    },
    Kind {
        name: "tls-cert-expiry",
        description: "a partner API's TLS certificate expired; every call fails the handshake",
    },
    Kind {
        name: "kms-key-disabled",
        description: "the customer-managed KMS key of a table or bucket was disabled; every read or write fails",
    },
    Kind {
        name: "db-connection-limit",
        description: "an ECS service scaled out; its connection pools exceed the database's max_connections",
    },
    Kind {
        name: "downstream-rate-limit",
        description: "an external provider lowered its quota; part of the calls get 429 Too Many Requests",
    },
    Kind {
        name: "env-var-misconfig",
        description: "a Lambda environment variable got a wrong table, queue or host name; a route fails",
    },
    Kind {
        name: "rds-failover",
        description: "an RDS/Aurora host fails; the database is unreachable for a minute, then slow from a cold cache",
    },
    Kind {
        name: "nacl-deny",
        description: "a DENY entry on the database subnets' network ACL cuts the service off; connections time out",
    },
    Kind {
        name: "cache-maxmemory",
        description: "an ElastiCache Redis node fills up; evictions, then OOM-refused writes and slower reads",
    },
    Kind {
        name: "bucket-policy-deny",
        description: "a bucket policy statement explicitly denies the function; S3 calls fail with AccessDenied",
    },
    Kind {
        name: "secret-rotation-mismatch",
        description: "a database password is rotated; tasks holding the old one fail to open new connections",
    },
    Kind {
        name: "feature-flag-flip",
        description: "a feature flag in Parameter Store or AppConfig is switched on; its code path fails for a share",
    },
    Kind {
        name: "healthy-batch-spike",
        description: "the daily report job loads the database as every day; a single-datapoint alarm fires",
    },
    Kind {
        name: "cpu-saturation",
        description: "a code path got CPU-heavy under normal traffic; an ECS service pins its CPU, health checks fail",
    },
    Kind {
        name: "kinesis-throughput-exceeded",
        description: "a Kinesis stream's shards were halved (or its traffic doubled); writes throttle, consumers lag",
    },
    Kind {
        name: "az-impairment",
        description: "EC2 instances in one Availability Zone fail status checks; their targets time out, ELB 502/504",
    },
    Kind {
        name: "lambda-memory-lowered",
        description: "a function's memory size was lowered; invocations are OOM-killed or time out on less CPU",
    },
];

pub fn find_kind(name: &str) -> Option<Kind> {
    KINDS.iter().copied().find(|kind| kind.name == name)
}

/// Which metric the alarm watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    ApiServerErrors,
    ApiRequests,
    LatencyP99,
    LambdaErrors,
    LambdaThrottles,
    AlbTarget5xx,
    AlbElb5xx,
    EcsMemory,
    QueueAge,
    DlqVisible,
    /// Keys the workload's ElastiCache node evicted.
    CacheEvictions,
    /// CPU of the workload's RDS instance.
    DbCpu,
    /// CPU of the workload's ECS service.
    EcsCpu,
    /// Targets of the workload's load balancer that fail their health checks.
    AlbUnhealthyHosts,
    /// Records Kinesis rejected on the stream the workload writes to.
    KinesisWriteThrottles,
    /// How far the consumers of the workload's stream are behind.
    StreamIteratorAge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TriggerSpec {
    /// An alarm on the first signal whose data crosses a threshold after the onset (in this order).
    Alarm {
        workload: usize,
        signals: Vec<Signal>,
        datapoints: (usize, usize),
    },
    Slack {
        workload: usize,
        symptom: String,
    },
}

/// The expected conclusion (answer.json).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub healthy: bool,
    pub component: String,
    pub aliases: Vec<String>,
    pub category: &'static str,
    pub acceptable: Vec<&'static str>,
    pub evidence: Vec<&'static str>,
    pub forbidden: Vec<String>,
    pub notes: String,
}

/// What a kind planner decides about the incident itself.
#[derive(Debug, Clone)]
pub struct Core {
    pub target: usize,
    pub answer: Answer,
    pub signals: Vec<Signal>,
    /// What an operator would say about it in Slack (`None`: always an alarm).
    pub symptom: Option<String>,
    pub relevant_doc: Option<Doc>,
    /// The relevant document is always included (it is part of the story).
    pub doc_required: bool,
    /// Single-datapoint alarm.
    pub single_datapoint: bool,
}

/// Everything decided before the simulation runs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub kind: Kind,
    pub system: System,
    pub start_ms: i64,
    pub minutes: usize,
    pub onset_ms: i64,
    pub faults: Vec<Fault>,
    pub changes: Vec<PlannedChange>,
    /// What AWS itself does in reaction to the incident (recorded in CloudTrail after the onset).
    pub aftermath: Vec<PlannedChange>,
    pub trigger: TriggerSpec,
    pub answer: Answer,
    pub knowledge: Vec<Doc>,
    pub xray: bool,
}

/// The planner's working state, shared with the kind planners.
#[derive(Debug)]
pub struct Draft {
    pub builder: SystemBuilder,
    pub faults: Vec<Fault>,
    pub changes: Vec<PlannedChange>,
    /// AWS's own reactions after the onset (not causes: they may follow it).
    pub aftermath: Vec<PlannedChange>,
    pub start_ms: i64,
    pub minutes: usize,
    pub onset_ms: i64,
    pub scale: f64,
}

impl Draft {
    pub fn system(&self) -> &System {
        &self.builder.system
    }

    pub fn workload(&self, index: usize) -> &Workload {
        &self.builder.system.workloads[index]
    }

    pub fn workload_mut(&mut self, index: usize) -> &mut Workload {
        &mut self.builder.system.workloads[index]
    }

    pub fn add(&mut self, rng: &mut SimRng, template: Template, needs: Needs) -> usize {
        self.builder.add(rng, template, needs)
    }

    pub fn change(&mut self, at_ms: i64, actor: Actor, change: Change) {
        self.changes.push(PlannedChange { at_ms, actor, change });
    }

    pub fn fault(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    /// A CI deployment of a new version of `function` (workload `id`) at `at_ms`, live 15 s later; returns the
    /// version it deployed (`$LATEST` for a function without an alias).
    pub fn deploy_lambda(
        &mut self,
        rng: &mut SimRng,
        id: usize,
        workload: &Workload,
        function: &LambdaFn,
        at_ms: i64,
    ) -> String {
        let version = if function.alias.is_some() { (function.version + 1).to_string() } else { "$LATEST".to_string() };
        let artifact = format!("{}/{}/{}.zip", workload.domain.plural, function.name.to_lowercase(), hex(rng, 7));
        self.change(
            at_ms,
            Actor::Ci,
            Change::LambdaDeploy {
                function: function.name.clone(),
                version: version.clone(),
                alias: function.alias.clone(),
                artifact,
            },
        );
        self.fault(Fault::new(id, at_ms + 15_000, Effect::Deploy { label: version.clone() }));
        version
    }

    /// A random engineer.
    pub fn person(&self, rng: &mut SimRng) -> Actor {
        Actor::Person(range_i64(rng, 0, self.builder.system.people.len() as i64 - 1) as usize)
    }

    pub fn actor_name(&self, actor: &Actor) -> String {
        match actor {
            Actor::Person(index) => self.system().person(*index).to_string(),
            Actor::Ci => format!("the CI role {}", self.system().company.ci_role),
            Actor::Iac => format!("{} ({})", self.system().company.iac_role, self.system().iac),
        }
    }

    /// Expected requests per second of a workload (at this scale, without surges).
    pub fn requests_per_second(&self, index: usize) -> f64 {
        self.workload(index).rate_per_min * self.scale / 60.0
    }

    /// Expected provisioned write units per second a table needs for the workload's normal traffic.
    pub fn write_demand(&self, index: usize) -> f64 {
        let workload = self.workload(index);
        let Some((dep, table)) = workload.table() else { return 0.0 };
        let total_weight: f64 = workload.routes.iter().map(|r| r.weight).sum::<f64>().max(1e-9);
        let per_request: f64 = workload
            .routes
            .iter()
            .map(|route| {
                let units: f64 = route
                    .ops
                    .iter()
                    .filter(|op| op.dep == dep && op.action.is_write())
                    .map(|op| match op.action {
                        super::model::Action::TransactWriteItems => table.write_units * 2.0,
                        super::model::Action::BatchWriteItem => table.write_units * 3.0,
                        _ => table.write_units,
                    })
                    .sum();
                units * route.weight / total_weight
            })
            .sum();
        self.requests_per_second(index) * per_request
    }
}

/// Optional pins for a bundle (for hand-picked examples); by default everything is random.
#[derive(Debug, Clone, Default)]
pub struct Pins {
    pub domain: Option<super::naming::Domain>,
    pub naming: Option<super::naming::NamingStyle>,
    /// Where the window ends (epoch ms), instead of a drawn date.
    pub ends_at_ms: Option<i64>,
}

/// Plans one bundle of the given kind.
pub fn plan(kind: Kind, rng: &mut SimRng, scale: f64, pins: &Pins) -> Plan {
    let mut builder = SystemBuilder::new(rng);
    if let Some(style) = &pins.naming {
        builder.system.namer.style = style.clone();
    }
    builder.next_domain = pins.domain;
    let (mut start_ms, minutes, mut onset_ms) = timeline(rng, kind);
    if let Some(end) = pins.ends_at_ms {
        // Whole hours, so what is aligned to minutes or hours (metrics, certificate expiry) stays aligned.
        let shift = (end - (start_ms + minutes as i64 * 60_000)).div_euclid(3_600_000) * 3_600_000;
        start_ms += shift;
        onset_ms += shift;
    }
    let mut draft = Draft {
        builder,
        faults: Vec::new(),
        changes: Vec::new(),
        aftermath: Vec::new(),
        start_ms,
        minutes,
        onset_ms,
        scale,
    };
    let mut core = kinds::plan_kind(kind, &mut draft, rng);
    add_background(&mut draft, rng, core.target);
    size_tables(&mut draft, rng);
    let forbidden = red_herrings(&mut draft, rng, core.target, kind);
    for name in forbidden {
        if !core.answer.forbidden.contains(&name)
            && name != core.answer.component
            && !core.answer.aliases.contains(&name)
        {
            core.answer.forbidden.push(name);
        }
    }
    let trigger = choose_trigger(rng, &draft, &core);
    let knowledge = super::knowledge::pick_documents(rng, &draft, &core);
    let xray = chance(rng, 0.85);
    if !xray {
        core.answer.evidence.retain(|source| *source != "traces");
    }
    if !draft.system().workloads[core.target].xray {
        core.answer.evidence.retain(|source| *source != "traces");
    }
    Plan {
        kind,
        system: draft.builder.finish(),
        start_ms: draft.start_ms,
        minutes: draft.minutes,
        onset_ms: draft.onset_ms,
        faults: draft.faults,
        changes: draft.changes,
        aftermath: draft.aftermath,
        trigger,
        answer: core.answer,
        knowledge,
        xray,
    }
}

/// Start of the recorded data, its length in minutes, and when the incident begins.
fn timeline(rng: &mut SimRng, kind: Kind) -> (i64, usize, i64) {
    let year = range_i64(rng, 2025, 2026);
    let month = range_u32(rng, 1, 12);
    let day = range_u32(rng, 1, 28);
    // Recorded incidents lie in the past: dates drawn after November 2026 move a year back (without changing the
    // draws, so bundles generated before keep their bytes).
    let year = if year == 2026 && (month == 12 || (month == 11 && day > 20)) { 2025 } else { year };
    let day_start = super::clock::epoch_ms_of_date(year, month, day);
    let hour = range_i64(rng, 1, 21);
    let pre = range_i64(rng, 48, 95);
    let post = range_i64(rng, 20, 30);
    let start = day_start + hour * 3_600_000 + range_i64(rng, 0, 59) * 60_000;
    let mut onset = start + pre * 60_000 + range_i64(rng, 0, 59_000);
    if kind.name == "tls-cert-expiry" {
        // Certificates expire on the hour.
        onset = onset.div_euclid(3_600_000) * 3_600_000;
        if onset < start + 40 * 60_000 {
            onset += 3_600_000;
        }
        let minutes_after = (onset - start) / 60_000 + post;
        return (start, minutes_after as usize, onset);
    }
    (start, (pre + post) as usize, onset)
}

/// Fills the system up to 2–5 workloads with unrelated ones.
fn add_background(draft: &mut Draft, rng: &mut SimRng, target: usize) {
    let wanted = range_i64(rng, 2, 5).max(target as i64 + 2) as usize;
    while draft.system().workloads.len() < wanted {
        let template = match weighted(rng, &[4.0, 2.0, 2.0, 1.5, 1.0]) {
            0 => Template::ApiLambda,
            1 => Template::QueueLambda,
            2 => Template::ScheduledJob,
            3 => Template::AlbEcs,
            _ => Template::StreamLambda,
        };
        let index = draft.add(rng, template, Needs::default());
        // Background traffic is lighter than the workload under study.
        let workload = draft.workload_mut(index);
        workload.rate_per_min *= uniform(rng, 0.3, 0.8);
    }
}

/// Sizes provisioned tables from expected demand (2.5–4x headroom), unless a planner already did.
fn size_tables(draft: &mut Draft, rng: &mut SimRng) {
    for index in 0..draft.system().workloads.len() {
        let demand = draft.write_demand(index);
        let read_demand = draft.requests_per_second(index) * 2.0;
        let workload = draft.workload_mut(index);
        for dep in &mut workload.deps {
            if let super::model::Dep::Table(table) = dep
                && table.provisioned == Some((5, 5))
            {
                let write = ((demand * uniform(rng, 2.5, 4.0)).ceil() as u32).max(5);
                let read = ((read_demand * uniform(rng, 2.0, 4.0)).ceil() as u32).max(5);
                table.provisioned = Some((read, write));
            }
        }
    }
}

/// Adds 1–2 plausible but innocent events elsewhere; returns the names they implicate.
fn red_herrings(draft: &mut Draft, rng: &mut SimRng, target: usize, kind: Kind) -> Vec<String> {
    let mut forbidden = Vec::new();
    let others: Vec<usize> = (0..draft.system().workloads.len()).filter(|i| *i != target).collect();
    if others.is_empty() {
        return forbidden;
    }
    let count = if chance(rng, 0.35) { 2 } else { 1 };
    let mut used: Vec<usize> = Vec::new();
    for _ in 0..count {
        let candidates: Vec<usize> = others.iter().copied().filter(|i| !used.contains(i)).collect();
        let Some(&other) = candidates.get(range_i64(rng, 0, candidates.len() as i64 - 1).max(0) as usize) else {
            break;
        };
        used.push(other);
        let onset = draft.onset_ms;
        let workload = draft.workload(other).clone();
        let is_job =
            matches!(&workload.entry, Entry::Schedule(schedule) if schedule.job == super::model::JobKind::ErpSync);
        if is_job {
            forbidden.push(workload.name().to_string());
            continue;
        }
        let deploy_like = kind.name.contains("deploy") || chance(rng, 0.45);
        match (&workload.compute, deploy_like) {
            (Compute::Lambda(function), true) => {
                let at = onset - range_i64(rng, 20, 40) * 60_000 - range_i64(rng, 0, 59_000);
                draft.deploy_lambda(rng, other, &workload, function, at);
                forbidden.push(function.name.clone());
            }
            (Compute::Ecs(service), true) => {
                let at = onset - range_i64(rng, 20, 40) * 60_000;
                let revision = service.revision + 1;
                let image = format!("{}:{}", service.image_repo, hex(rng, 7));
                draft.change(
                    at,
                    Actor::Ci,
                    Change::EcsDeploy {
                        cluster: service.cluster.clone(),
                        service: service.service.clone(),
                        family: service.family.clone(),
                        revision,
                        image,
                    },
                );
                draft.fault(Fault::new(other, at + 6_000, Effect::Deploy { label: revision.to_string() }));
                forbidden.push(service.service.clone());
            }
            (Compute::Lambda(function), false) if chance(rng, 0.5) => {
                let at = onset - range_i64(rng, 10, 35) * 60_000;
                let memory = (function.memory_mb * 2).min(3008);
                let actor = if chance(rng, 0.5) { Actor::Iac } else { draft.person(rng) };
                draft.change(
                    at,
                    actor,
                    Change::UpdateFunctionConfiguration {
                        function: function.name.clone(),
                        timeout: None,
                        memory: Some(memory),
                        environment: None,
                    },
                );
                draft.fault(Fault::new(
                    other,
                    at + 5_000,
                    Effect::Deploy {
                        label: if function.alias.is_some() {
                            function.version.to_string()
                        } else {
                            "$LATEST".to_string()
                        },
                    },
                ));
                forbidden.push(function.name.clone());
            }
            _ => {
                // A short error blip on another workload's dependency, 10–35 minutes before the onset.
                let dep = workload
                    .http()
                    .map(|(dep, _)| dep)
                    .or(workload.table().map(|(dep, _)| dep))
                    .or(workload.database().map(|(dep, _)| dep));
                if let Some(dep) = dep {
                    let at = onset - range_i64(rng, 10, 35) * 60_000;
                    let error = if workload.http().is_some_and(|(d, _)| d == dep) {
                        DepError::Upstream503
                    } else {
                        DepError::ConnReset
                    };
                    let length = range_i64(rng, 60, 200) * 1000;
                    draft.fault(
                        Fault::new(
                            other,
                            at,
                            Effect::DepError { dep, error, probability: uniform(rng, 0.3, 0.7), writes_only: false },
                        )
                        .until(at + length),
                    );
                    forbidden.push(workload.name().to_string());
                } else {
                    let at = onset - range_i64(rng, 5, 30) * 60_000;
                    let role = workload.compute.role().to_string();
                    draft.change(
                        at,
                        Actor::Iac,
                        Change::AttachRolePolicy {
                            role: role.clone(),
                            policy_arn: "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess".to_string(),
                        },
                    );
                    forbidden.push(role);
                }
            }
        }
    }
    forbidden
}

fn choose_trigger(rng: &mut SimRng, draft: &Draft, core: &Core) -> TriggerSpec {
    let workload = draft.workload(core.target);
    let usable: Vec<Signal> = core.signals.iter().copied().filter(|signal| signal_fits(*signal, workload)).collect();
    if let Some(symptom) = &core.symptom
        && (usable.is_empty() || chance(rng, 0.25))
    {
        return TriggerSpec::Slack { workload: core.target, symptom: symptom.clone() };
    }
    let mut signals = usable;
    if !signals.is_empty() {
        let first = range_i64(rng, 0, signals.len() as i64 - 1) as usize;
        signals.rotate_left(first);
    }
    let datapoints = if core.single_datapoint { (1, 1) } else { *pick(rng, &[(2, 3), (2, 3), (3, 3), (1, 1), (3, 5)]) };
    TriggerSpec::Alarm { workload: core.target, signals, datapoints }
}

/// Whether the workload publishes the metric the signal needs.
pub fn signal_fits(signal: Signal, workload: &Workload) -> bool {
    match signal {
        Signal::ApiServerErrors | Signal::ApiRequests => workload.api().is_some(),
        Signal::LatencyP99 => workload.is_request_driven(),
        Signal::LambdaErrors | Signal::LambdaThrottles => workload.compute.lambda().is_some(),
        Signal::AlbTarget5xx | Signal::AlbElb5xx | Signal::EcsMemory => workload.alb().is_some(),
        Signal::QueueAge | Signal::DlqVisible => workload.queue().is_some(),
        Signal::CacheEvictions => workload.deps.iter().any(|dep| matches!(dep, super::model::Dep::Cache(_))),
        Signal::DbCpu => workload.database().is_some(),
        Signal::EcsCpu => workload.compute.ecs().is_some(),
        Signal::AlbUnhealthyHosts => workload.alb().is_some(),
        Signal::KinesisWriteThrottles | Signal::StreamIteratorAge => {
            workload.deps.iter().any(|dep| matches!(dep, super::model::Dep::Stream(_)))
        }
    }
}

/// The route most requests take that also writes (for write-side faults), or any route.
pub fn busiest_route(workload: &Workload, kind: Option<RouteKind>) -> usize {
    workload
        .routes
        .iter()
        .enumerate()
        .filter(|(_, route)| kind.is_none_or(|k| route.kind == k))
        .max_by(|a, b| a.1.weight.total_cmp(&b.1.weight))
        .map_or(0, |(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_kind_plans_a_consistent_incident() {
        for kind in KINDS {
            for seed in 0..6 {
                let mut rng = SimRng::seed_from_u64(seed);
                let plan = plan(*kind, &mut rng, 1.0, &Pins::default());
                let count = plan.system.workloads.len();
                assert!((2..=5).contains(&count), "{}: {count} workloads", kind.name);
                assert!(plan.onset_ms > plan.start_ms && plan.onset_ms < plan.start_ms + plan.minutes as i64 * 60_000);
                assert!(plan.faults.iter().all(|f| f.workload < count));
                if plan.answer.healthy {
                    assert!(plan.answer.evidence.is_empty());
                } else {
                    assert!(!plan.answer.component.is_empty(), "{}", kind.name);
                    assert!(plan.answer.acceptable.contains(&plan.answer.category));
                    assert!(!plan.answer.forbidden.iter().any(|f| f == &plan.answer.component), "{}", kind.name);
                }
            }
        }
    }
}
