//! Kind planners for incidents in the compute layer: a code path that pins an ECS service's CPU under normal
//! traffic, a Kinesis stream whose shards no longer carry its producers' writes, an impaired Availability Zone
//! under a service on EC2 instances, and a Lambda function whose memory size (and with it its CPU) was lowered.

use super::clock;
use super::cloudtrail::{Actor, Change, PlannedChange};
use super::faults::{Effect, Fault};
use super::kinds::{answer, busy, core, error_signals, healthy_blip, logical_aliases, slack, who};
use super::knowledge;
use super::model::{
    Action, Compute, Dep, Ec2Capacity, Entry, Instance, KinesisStream, Needs, Op, RouteKind, Runtime, Template,
};
use super::naming::{NamingStyle, camel};
use super::random::{SimRng, chance, hex, pick, range_i64, range_u32, uniform};
use super::scenario::{Core, Draft, Signal, busiest_route};
use super::sim_compute::{shard_name, validated_field};

/// Kinesis write limit of one shard.
const SHARD_RECORDS_PER_S: f64 = 1000.0;
const SHARD_BYTES_PER_S: f64 = 1_048_576.0;

pub fn cpu_saturation(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let target = draft.add(rng, Template::AlbEcs, Needs::default());
    // Real traffic on small tasks: a code path that needs seconds of CPU is then enough to pin them.
    draft.workload_mut(target).rate_per_min = uniform(rng, 120.0, 220.0);
    let cpu_units = *pick(rng, &[256u32, 512, 512, 1024]);
    let tasks = range_u32(rng, 2, 4);
    if let Compute::Ecs(service) = &mut draft.workload_mut(target).compute {
        service.cpu_units = cpu_units;
        service.tasks = tasks;
    }
    let workload = draft.workload(target).clone();
    let Some(service) = workload.compute.ecs().cloned() else { return healthy_blip(draft, rng) };
    let Some(db) = workload.database().map(|(_, db)| db.clone()) else { return healthy_blip(draft, rng) };
    let validation = chance(rng, 0.5);
    let route = busiest_route(&workload, Some(if validation { RouteKind::Create } else { RouteKind::Get }));
    let route_def = workload.routes[route].clone();
    let total_weight: f64 = workload.routes.iter().map(|r| r.weight).sum::<f64>().max(1e-9);
    let share = uniform(rng, 0.35, 0.8);
    let hot_per_s = draft.requests_per_second(target) * route_def.weight / total_weight * share;
    // The sim runs Node.js and uvicorn handlers on one thread, Java on every vCPU of the task.
    let vcpus = f64::from(cpu_units) / 1024.0;
    let vcpus = if service.style.runtime() == Runtime::Java { vcpus } else { vcpus.min(1.0) };
    let overload = uniform(rng, 1.5, 2.3);
    let cpu_ms = overload * vcpus * f64::from(tasks) * 1000.0 / hot_per_s.max(1e-6);
    // The cost grows with the data behind the path; it crosses the tasks' capacity at the onset.
    let ramp = range_i64(rng, 5, 12) * 60_000;
    let start = draft.onset_ms - (ramp as f64 / overload) as i64;
    draft.fault(Fault::new(target, start, Effect::CpuHeavy { route, share, cpu_ms }).ramp(ramp));

    let mut forbidden = Vec::new();
    if chance(rng, 0.5) {
        // A maintenance setting of the database, changed by hand a little earlier: plausible, innocent.
        let at = draft.onset_ms - range_i64(rng, 12, 40) * 60_000;
        let hour = range_u32(rng, 0, 5);
        let actor = draft.person(rng);
        let backup_window = format!("{hour:02}:{:02}-{hour:02}:{:02}", 0, 30);
        draft.change(at, actor, Change::ModifyDbInstance { db: db.id.clone(), backup_window });
        forbidden.push(db.id.clone());
    }
    let story = if validation {
        format!(
            "validate the free-text field {} with a regular expression that backtracks catastrophically on long inputs (some clients started sending pasted documents)",
            validated_field(&workload)
        )
    } else {
        format!(
            "load {} with thousands of line items (a customer's bulk import) and re-price them on every read, in quadratic time",
            workload.domain.plural
        )
    };
    let notes = format!(
        "No deployment and no configuration change: from about {} the requests to {} {} that {story} cost more and more CPU ({:.0}% of that route's requests, up to about {:.1} s of CPU each). The {} tasks ({tasks} tasks of {cpu_units} CPU units, fixed desired count) reached 100% CPUUtilization around {}; requests queued behind the CPU (TargetResponseTime of many seconds, the service logs slow-request warnings), the tasks failed their load balancer health checks and ECS replaced them one after another, and while no healthy target was left the load balancer answered 502/503/504 (HTTPCode_ELB_5XX_Count). Scale out, then fix the code path.",
        clock::iso_s(start),
        route_def.method,
        route_def.template,
        share * 100.0,
        cpu_ms / 1000.0,
        service.service,
        clock::iso_s(draft.onset_ms),
    );
    let mut aliases = logical_aliases(&service.service, &camel(&format!("{}-service", workload.domain.plural)));
    aliases.push(service.family.clone());
    let mut core = core(
        target,
        answer(
            &service.service,
            aliases,
            "resource-exhaustion",
            &["resource-exhaustion", "code-defect"],
            &["metrics", "logs"],
            notes,
        ),
        vec![Signal::EcsCpu, Signal::AlbElb5xx, Signal::LatencyP99, Signal::AlbUnhealthyHosts],
        slack("{thing} extremely slow since {time}, the load balancer returns 502/504 now and then"),
        Some(knowledge::cpu_saturation_runbook(&workload, &service)),
    );
    core.answer.forbidden.extend(forbidden);
    core
}

/// The name of the stream every service publishes its domain events to, in the system's naming style.
fn event_stream_name(draft: &Draft, rng: &mut SimRng) -> (String, String) {
    let company = draft.system().company.slug;
    let base =
        pick(rng, &["domain-events", "platform-events", "{company}-events", "event-bus"]).replace("{company}", company);
    let name = draft.system().namer.name(rng, "events", &base, "Stream");
    (name, base)
}

pub fn kinesis_throughput_exceeded(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let producer = draft.add(rng, Template::ApiLambda, Needs { table: true, ..Needs::default() });
    busy(draft, rng, producer);
    let consumer = draft.add(rng, Template::StreamLambda, Needs::default());
    let shard_cut = chance(rng, 0.6);
    let shards = *pick(rng, &[4u32, 6, 8, 8]);
    let first_shard = *pick(rng, &[0u32, 0, 0, 2, 4]);
    let record_bytes = uniform(rng, 400.0, 1_400.0).round();
    let capacity = SHARD_RECORDS_PER_S.min(SHARD_BYTES_PER_S / record_bytes);
    let (utilisation, multiplier) = if shard_cut {
        (uniform(rng, 0.66, 0.8), 1.0)
    } else {
        let utilisation = uniform(rng, 0.5, 0.62);
        (utilisation, uniform(rng, 1.9, 2.5).max(1.4 / utilisation))
    };
    let (name, base) = event_stream_name(draft, rng);
    let stream = KinesisStream {
        name: name.clone(),
        shards,
        first_shard,
        records_per_s: (utilisation * f64::from(shards) * capacity).round(),
        record_bytes,
        other_producers: pick(
            rng,
            &[
                "about a dozen other services",
                "the web and mobile trackers and the other backend services",
                "the other services of the platform",
            ],
        )
        .to_string(),
    };
    let dep = {
        let workload = draft.workload_mut(producer);
        workload.deps.push(Dep::Stream(stream.clone()));
        let dep = workload.deps.len() - 1;
        for route in &mut workload.routes {
            if matches!(route.kind, RouteKind::Create | RouteKind::Update) {
                route.ops.push(Op { dep, action: Action::PutRecord });
            }
        }
        if let Compute::Lambda(function) = &mut workload.compute {
            // Publishing failures surface to the caller: the write is not complete without its event.
            function.timeout_s = function.timeout_s.max(10);
        }
        dep
    };
    // The consumer processes one batch per shard at a time and keeps up with room to spare, until each shard
    // carries a full shard's worth of records.
    let behind = uniform(rng, 1.15, 1.4).min(0.9 / utilisation);
    let ms_per_record = (behind * 1000.0 / capacity - 0.125).max(0.05);
    let max_batch = *pick(rng, &[5_000u32, 10_000, 10_000]);
    let draft_scale = draft.scale.max(1e-3);
    {
        let workload = draft.workload_mut(consumer);
        if let Entry::Stream(source) = &mut workload.entry {
            source.stream = name.clone();
            source.shards = shards;
        }
        if let Compute::Lambda(function) = &mut workload.compute {
            function.timeout_s = *pick(rng, &[120, 300, 300, 900]);
        }
        // Up to six batches a minute per shard whatever the scale: what the simulation samples traces against.
        workload.rate_per_min = 6.0 * f64::from(shards) / draft_scale;
    }
    draft.fault(Fault::new(consumer, draft.start_ms, Effect::RecordCost { ms_per_record, max_batch }));
    let producer_workload = draft.workload(producer).clone();
    let consumer_workload = draft.workload(consumer).clone();
    let consumer_name = consumer_workload.name().to_string();
    let account = draft.system().account.clone();
    let after = shards / 2;
    let (story, acceptable, evidence): (String, &[&'static str], &[&'static str]) = if shard_cut {
        let merged_ms = range_i64(rng, 90_000, 240_000);
        let at = draft.onset_ms - merged_ms;
        let actor = if chance(rng, 0.7) { draft.person(rng) } else { Actor::Iac };
        draft.change(at, actor.clone(), Change::UpdateShardCount { stream: name.clone(), from: shards, to: after });
        draft.fault(Fault::new(producer, draft.onset_ms, Effect::ShardCount { dep, shards: after }));
        (
            format!(
                "UpdateShardCount by {} at {} halved the shards of the Kinesis data stream {name} from {shards} to {after} (UNIFORM_SCALING, to save cost; the merges finished about {} minutes later, at {}).",
                who(draft, &actor),
                clock::iso_s(at),
                (merged_ms as f64 / 60_000.0).round(),
                clock::iso_s(draft.onset_ms)
            ),
            &["capacity-limit", "configuration-change"],
            &["metrics", "audit"],
        )
    } else {
        let ramp = range_i64(rng, 4, 9) * 60_000;
        let start = draft.onset_ms - ramp / 2;
        draft.fault(Fault::new(producer, start, Effect::Demand { multiplier, synthetic: false }).ramp(ramp));
        (
            format!(
                "From about {} the traffic of every producer of the Kinesis data stream {name} rose about {multiplier:.1}-fold (a promotion went live; nothing changed in the account), and its {shards} shards were sized for the usual peak.",
                clock::iso_s(start)
            ),
            &["capacity-limit", "traffic-surge"],
            &["metrics"],
        )
    };
    let (first_open, open) = if shard_cut { (first_shard + shards, after) } else { (first_shard, shards) };
    let notes = format!(
        "{story} All services publish their domain events to this stream, about {:.0} records/s of ~{record_bytes:.0} bytes before, {:.0}% of its write capacity; now each shard is asked for more than its 1,000 records/s (1 MiB/s), so Kinesis rejects part of the writes (WriteProvisionedThroughputExceeded; 'Rate exceeded for shard ... in stream {name} under account {account}.' on {} to {}). {}'s PutRecord calls fail once the SDK's retries are used up and its API returns 5XX, and the consumer {consumer_name}, which processes one batch per shard at a time, falls behind (IteratorAge grows).",
        stream.records_per_s,
        utilisation * 100.0,
        shard_name(first_open),
        shard_name(first_open + open - 1),
        producer_workload.name(),
    );
    if chance(rng, 0.5)
        && let Some(function) = consumer_workload.compute.lambda().cloned()
    {
        // The consumer got a routine release shortly before: a plausible suspect for its growing lag.
        let at = draft.onset_ms - range_i64(rng, 10, 30) * 60_000 - range_i64(rng, 0, 59_000);
        draft.deploy_lambda(rng, consumer, &consumer_workload, &function, at);
    }
    let mut aliases = vec![draft.system().arn("kinesis", &format!("stream/{name}"))];
    if name != base {
        aliases.push(base.clone());
    }
    let mut signals = vec![Signal::KinesisWriteThrottles];
    signals.extend(error_signals(&producer_workload));
    signals.push(Signal::StreamIteratorAge);
    let doc = knowledge::kinesis_runbook(draft, &stream, producer_workload.name(), &consumer_name, utilisation * 100.0);
    let mut core = core(
        producer,
        answer(&name, aliases, "capacity-limit", acceptable, evidence, notes),
        signals,
        slack("{thing}: creating and updating {plural} fails on and off since {time}, and the analytics are lagging"),
        Some(doc),
    );
    core.answer.forbidden.push(consumer_name);
    core
}

/// The prefix of a region's zone ids (`use1` in `use1-az4`).
fn zone_id_prefix(region: &str) -> String {
    let mut parts = region.split('-');
    let (Some(geo), Some(direction), Some(number)) = (parts.next(), parts.next(), parts.next()) else {
        return region.to_string();
    };
    let direction = match direction {
        "northeast" => "ne",
        "southeast" => "se",
        "northwest" => "nw",
        "southwest" => "sw",
        other => &other[..1],
    };
    format!("{geo}{direction}{number}")
}

fn private_host(rng: &mut SimRng, zone: usize) -> (String, String) {
    let (third, fourth) = (zone as u32 * 16 + range_u32(rng, 0, 15), range_u32(rng, 4, 250));
    (format!("ip-10-0-{third}-{fourth}.ec2.internal"), format!("10.0.{third}.{fourth}"))
}

fn asg_name(draft: &Draft, rng: &mut SimRng, plural: &str, cluster: &str) -> String {
    match &draft.system().namer.style {
        NamingStyle::Cdk => draft.system().namer.name(rng, plural, &format!("{plural}-cluster-capacity"), "Asg"),
        NamingStyle::Camel => format!("{}EcsCapacity", camel(plural)),
        _ => format!("{cluster}-{}", pick(rng, &["asg", "ecs-nodes", "capacity"])),
    }
}

pub fn az_impairment(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let target = draft.add(rng, Template::AlbEcs, Needs::default());
    // Enough traffic that the share sent to the impaired zone before the health checks catch it shows.
    draft.workload_mut(target).rate_per_min = uniform(rng, 80.0, 150.0);
    let region = draft.system().region;
    let mut ids: Vec<u32> = (1..=6).collect();
    let mut zones = Vec::new();
    for letter in ["a", "b", "c"] {
        let id = ids.remove(range_i64(rng, 0, ids.len() as i64 - 1) as usize);
        zones.push((format!("{region}{letter}"), format!("{}-az{id}", zone_id_prefix(region))));
    }
    let tasks = *pick(rng, &[3u32, 4, 6, 6]);
    let instances: Vec<Instance> = (0..tasks as usize)
        .map(|n| {
            let zone = n % zones.len();
            Instance { id: format!("i-0{}", hex(rng, 16)), zone, host: private_host(rng, zone).0 }
        })
        .collect();
    let impaired = range_i64(rng, 0, zones.len() as i64 - 1) as usize;
    let instance_type = *pick(rng, &["m6i.large", "m5.large", "c6i.large", "m7g.large", "c7g.xlarge"]);
    let (plural, cluster) = {
        let workload = draft.workload(target);
        (workload.domain.plural, workload.compute.ecs().map(|s| s.cluster.clone()).unwrap_or_default())
    };
    let asg = asg_name(draft, rng, plural, &cluster);
    let capacity = Ec2Capacity { asg: asg.clone(), instance_type, zones: zones.clone(), instances: instances.clone() };
    if let Compute::Ecs(service) = &mut draft.workload_mut(target).compute {
        service.tasks = tasks;
        service.capacity = Some(capacity.clone());
    }
    let workload = draft.workload(target).clone();
    let (Some(service), Some(alb)) = (workload.compute.ecs().cloned(), workload.alb().cloned()) else {
        return healthy_blip(draft, rng);
    };
    let severity = uniform(rng, 0.5, 0.9);
    let replace_ms = draft.onset_ms + range_i64(rng, 4, 9) * 60_000 + range_i64(rng, 0, 59_000);
    let lost: Vec<&Instance> = instances.iter().filter(|i| i.zone == impaired).collect();
    let healthy_zones: Vec<usize> = (0..zones.len()).filter(|z| *z != impaired).collect();
    let mut replacements = Vec::new();
    let mut launched = Vec::new();
    for (n, _) in lost.iter().enumerate() {
        let zone = healthy_zones[n % healthy_zones.len()];
        let (host, address) = private_host(rng, zone);
        let instance = Instance { id: format!("i-0{}", hex(rng, 16)), zone, host };
        let ready = replace_ms + range_i64(rng, 150_000, 240_000);
        launched.push((instance.id.clone(), zones[zone].0.clone(), address));
        replacements.push((instance, ready));
    }
    let failed_zone = chance(rng, 0.5).then(|| zones[impaired].0.clone());
    draft.fault(Fault::new(
        target,
        draft.onset_ms,
        Effect::AzImpaired { zone: impaired, severity, replace_ms, replacements: replacements.clone() },
    ));
    draft.aftermath.push(PlannedChange {
        at_ms: replace_ms,
        actor: Actor::Iac,
        change: Change::AsgReplace {
            asg: asg.clone(),
            instance_type,
            terminated: lost.iter().map(|i| i.id.clone()).collect(),
            failed_zone: failed_zone.clone(),
            launched,
            zones: zones.iter().map(|(zone, _)| zone.clone()).collect(),
        },
    });
    let mut forbidden = Vec::new();
    if chance(rng, 0.5) {
        // A monitoring rule added to the tasks' security group earlier the same hour: a change, but not this one.
        let at = draft.onset_ms - range_i64(rng, 15, 45) * 60_000;
        let actor = draft.person(rng);
        let (cidr, port, description) = *pick(
            rng,
            &[
                ("10.40.0.0/16", 9100, "node exporter from the monitoring VPC"),
                ("10.8.0.0/20", 22, "bastion access for the on-call"),
                ("172.20.0.0/16", 9404, "JMX exporter scraping"),
            ],
        );
        draft.change(
            at,
            actor,
            Change::AuthorizeIngress {
                group_id: service.app_sg_id.clone(),
                cidr: cidr.to_string(),
                port,
                description: description.to_string(),
            },
        );
        forbidden.push(service.app_sg_id.clone());
    }
    let (zone_name, zone_id) = zones[impaired].clone();
    let lost_ids: Vec<String> = lost.iter().map(|i| i.id.clone()).collect();
    let others: Vec<&str> = healthy_zones.iter().map(|z| zones[*z].0.as_str()).collect();
    let notes = format!(
        "At {} the Availability Zone {zone_name} ({zone_id}) became impaired (an AWS-side event; nothing relevant changed in the account): the instances {} of the Auto Scaling group {asg} in that zone failed their EC2 system status checks (StatusCheckFailed_System = 1) and lost most of their packets. Requests the load balancer {} sent to the {} tasks on them timed out after the 10 s connect timeout or were reset (HTTPCode_ELB_504_Count, HTTPCode_ELB_502_Count) until their targets failed the health checks (UnHealthyHostCount for {zone_name}); some checks still passed, so targets could flap back. At {} the group replaced the impaired instances (TerminateInstances{}, RunInstances in {}); their tasks served again from about {}. Nothing to roll back: shift traffic away from the zone and wait for AWS.",
        clock::iso_s(draft.onset_ms),
        lost_ids.join(", "),
        alb.name,
        service.service,
        clock::iso_s(replace_ms),
        if failed_zone.is_some() {
            ", a launch in the impaired zone failed with InsufficientInstanceCapacity"
        } else {
            ""
        },
        others.join(" and "),
        clock::iso_s(replacements.iter().map(|(_, ready)| *ready).max().unwrap_or(replace_ms)),
    );
    let mut aliases = vec![zone_name, zone_id];
    aliases.extend(lost_ids);
    let mut core = core(
        target,
        answer(&asg, aliases, "infrastructure-failure", &["infrastructure-failure"], &["metrics"], notes),
        vec![Signal::AlbElb5xx, Signal::AlbUnhealthyHosts, Signal::LatencyP99],
        slack("{thing}: bursts of 502/504 from the load balancer since {time}, some requests hang for 10 s"),
        Some(knowledge::zone_impairment_runbook(&workload, &service, &capacity, &alb.name)),
    );
    core.answer.forbidden.extend(forbidden);
    core
}

pub fn lambda_memory_lowered(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let template = if chance(rng, 0.75) { Template::ApiLambda } else { Template::QueueLambda };
    let target = draft.add(rng, template, Needs::default());
    busy(draft, rng, target);
    let before = *pick(rng, &[512u32, 1024, 1024, 1536, 2048]);
    let java = draft.workload(target).compute.runtime() == Runtime::Java;
    // A JVM does not even start in 128 MB; the cut there is usually to 256.
    let after = if java && chance(rng, 0.7) { 256 } else { 128 };
    let timeout = *pick(rng, &[3u32, 3, 5, 6]);
    if let Compute::Lambda(function) = &mut draft.workload_mut(target).compute {
        // A configuration update changes $LATEST; the traffic must go there for it to matter.
        function.alias = None;
        function.memory_mb = before;
        function.timeout_s = timeout;
    }
    let workload = draft.workload(target).clone();
    let Some(function) = workload.compute.lambda().cloned() else { return healthy_blip(draft, rng) };
    let heavy_route = if workload.api().is_some() { busiest_route(&workload, Some(RouteKind::List)) } else { 0 };
    // A rendering route: CPU-heavy, a little hungrier for memory than the others.
    let (heavy_cpu, heavy_memory) =
        if workload.api().is_some() { (uniform(rng, 6.0, 10.0), uniform(rng, 1.0, 1.06)) } else { (1.0, 1.0) };
    let cpu_ms = uniform(rng, 15.0, 35.0);
    // Requests peak at about the new size: what REPORT showed before is what made it look like enough (a JVM
    // cut to 128 MB was part of a blanket cut and never fitted).
    let blanket = java && after == 128;
    let peak_mb = if blanket { uniform(rng, 200.0, 250.0) } else { f64::from(after) * uniform(rng, 0.95, 1.08) };
    draft.fault(Fault::new(
        target,
        draft.start_ms,
        Effect::HandlerProfile { cpu_ms, peak_mb, heavy_route, heavy_cpu, heavy_memory },
    ));
    let at = draft.onset_ms - range_i64(rng, 5_000, 40_000);
    let actor = if chance(rng, 0.6) { draft.person(rng) } else { Actor::Iac };
    let mut forbidden = Vec::new();
    if chance(rng, 0.5) {
        // The same cost review lowered another function too; that one has room to spare.
        let other = draft.add(rng, Template::QueueLambda, Needs::default());
        draft.workload_mut(other).rate_per_min *= uniform(rng, 0.3, 0.8);
        if let Compute::Lambda(function) = &mut draft.workload_mut(other).compute {
            function.alias = None;
            function.memory_mb = *pick(rng, &[512, 1024]);
        }
        let other_name = draft.workload(other).name().to_string();
        let other_at = at - range_i64(rng, 30_000, 240_000);
        draft.change(
            other_at,
            actor.clone(),
            Change::UpdateFunctionConfiguration {
                function: other_name.clone(),
                timeout: None,
                memory: Some(256),
                environment: None,
            },
        );
        draft.fault(Fault::new(other, other_at + 3_000, Effect::Deploy { label: "$LATEST".to_string() }));
        draft.fault(Fault::new(other, other_at + 3_000, Effect::MemorySize { mb: 256 }));
        forbidden.push(other_name);
    }
    draft.change(
        at,
        actor.clone(),
        Change::UpdateFunctionConfiguration {
            function: function.name.clone(),
            timeout: None,
            memory: Some(after),
            environment: None,
        },
    );
    draft.fault(Fault::new(target, at + 3_000, Effect::Deploy { label: "$LATEST".to_string() }));
    draft.fault(Fault::new(target, at + 3_000, Effect::MemorySize { mb: after }));
    let cpu_ratio = f64::from(before.min(1769)) / f64::from(after);
    let how_many = if blanket {
        "the JVM alone needs more than 128 MB, so every invocation is killed".to_string()
    } else {
        format!("invocations whose peak goes past {after} MB are killed")
    };
    let entry = match workload.api() {
        Some(api) => format!("{} returns 5XX", api.name),
        None => "failed batches are retried and the queue backs up".to_string(),
    };
    let notes = format!(
        "UpdateFunctionConfiguration by {} at {} lowered the memory size of {} from {before} MB to {after} MB ({}: its REPORT lines showed a Max Memory Used of about {peak:.0} MB). Lambda sizes CPU with memory, so the handler also got about {cpu_ratio:.0}x less CPU: {how_many} ('Error: Runtime exited with error: signal: killed', Runtime.ExitError; REPORT with Max Memory Used: {after} MB), requests run several times longer (Duration) and the slowest can hit the {timeout} s timeout ('Task timed out'), cold starts take seconds, and {entry}. Restore the memory size.",
        who(draft, &actor),
        clock::iso_s(at),
        function.name,
        if blanket {
            "part of a blanket cost cut"
        } else {
            "a cost cut with no headroom for the requests that need more"
        },
        peak = (peak_mb / 5.0).round() * 5.0,
    );
    let mut signals = error_signals(&workload);
    signals.push(Signal::LambdaErrors);
    if workload.is_request_driven() {
        signals.push(Signal::LatencyP99);
    }
    let mut core = core(
        target,
        answer(
            &function.name,
            logical_aliases(&function.name, &camel(&format!("{}-api", workload.domain.plural))),
            "configuration-change",
            &["configuration-change", "resource-exhaustion"],
            &["logs", "audit"],
            notes,
        ),
        signals,
        slack("{thing} failing a lot since {time}, and what works is slow"),
        Some(knowledge::lambda_memory_runbook(draft)),
    );
    core.answer.forbidden.extend(forbidden);
    core
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_ids_use_the_regions_short_form() {
        assert_eq!(zone_id_prefix("us-east-1"), "use1");
        assert_eq!(zone_id_prefix("ap-northeast-1"), "apne1");
        assert_eq!(zone_id_prefix("eu-central-1"), "euc1");
        assert_eq!(zone_id_prefix("sa-east-1"), "sae1");
    }
}
