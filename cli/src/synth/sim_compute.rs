//! The simulation of compute-side faults: ECS tasks whose vCPUs queue a CPU-heavy code path and fail their load
//! balancer health checks, a service on EC2 instances in an impaired Availability Zone, a Kinesis stream whose
//! shards cap its producers while its consumer falls behind, and a Lambda function's memory size with the share of
//! CPU that comes with it. Every hook is a no-op, and draws nothing, for a workload without these faults, so the
//! bundles of the other kinds keep their bytes.

use std::collections::{BTreeMap, VecDeque};

use super::errors::Failure;
use super::faults::Effect;
use super::json::Field;
use super::logs::{self, Level, LineContext};
use super::metrics::Stat;
use super::model::{Dep, EcsService, Entry, Instance, KinesisStream, LogStyle, RouteKind, Runtime, Workload};
use super::random::{chance, hex, lognormal, stable_hash, uniform};
use super::sim::{CallResult, CallStatus, Execution, Outcome, RngRanges, Sim, Task, Trigger, ecs_host};

/// ALB health checks of a target group: every 30 s with a 5 s timeout; unhealthy after two failures in a row,
/// healthy again after three passes.
const CHECK_INTERVAL_MS: i64 = 30_000;
const CHECK_TIMEOUT_MS: f64 = 5_000.0;
const UNHEALTHY_AFTER: u32 = 2;
const HEALTHY_AFTER: u32 = 3;
/// The load balancer's idle timeout: a client whose target answers later gets a 504.
const IDLE_TIMEOUT_MS: f64 = 60_000.0;
/// How long the load balancer tries to connect to a target before it answers 504.
const CONNECT_TIMEOUT_MS: f64 = 10_000.0;
/// Lambda gives a function one full vCPU at this memory size, and a proportional share below it.
const FULL_VCPU_MB: f64 = 1769.0;
/// Kinesis accepts at most this many records and bytes per second on one shard.
const SHARD_RECORDS_PER_S: f64 = 1000.0;
const SHARD_BYTES_PER_S: f64 = 1_048_576.0;
/// Largest payload Lambda accepts for a synchronous invocation (what limits a stream batch of big records).
const INVOKE_PAYLOAD_BYTES: f64 = 6_291_456.0;

/// The state of the compute-side faults, per workload.
#[derive(Debug, Default)]
pub struct ComputeState {
    targets: BTreeMap<usize, Targets>,
    streams: Vec<StreamSim>,
}

/// The load balancer's view of one ECS service whose targets can fail their health checks.
#[derive(Debug)]
struct Targets {
    cause: TargetCause,
    /// Target state per task index.
    tasks: BTreeMap<usize, Target>,
    /// CPU of one task, in vCPUs its code can use.
    vcpus: f64,
    /// Milliseconds a task's vCPUs were busy, per (task, minute of the window).
    busy: BTreeMap<(usize, usize), f64>,
    /// The longest CPU burst of a task, per (task, minute): how long its event loop or threads stalled.
    longest_burst: BTreeMap<(usize, usize), f64>,
}

#[derive(Debug)]
enum TargetCause {
    /// Health checks time out behind a queue of CPU work.
    Cpu,
    /// Health checks and requests to instances in one zone fail.
    Zone(ZoneOutage),
}

#[derive(Debug)]
struct ZoneOutage {
    zone: usize,
    severity: f64,
    since_ms: i64,
    replace_ms: i64,
    /// The instance under each task, with when it was launched (`i64::MIN` for the window's own).
    instances: BTreeMap<usize, (Instance, i64)>,
}

#[derive(Debug, Clone)]
struct Target {
    healthy: bool,
    fails: u32,
    passes: u32,
    next_check_ms: i64,
    /// When the task's vCPUs are through the CPU work queued so far.
    free_at: f64,
}

/// One simulated Kinesis stream: its shards, the records other producers write, and its consumer's progress.
#[derive(Debug)]
struct StreamSim {
    producer: usize,
    dep: usize,
    stream: KinesisStream,
    /// Shard counts over time: (from, shard ids), oldest first.
    layout: Vec<(i64, Vec<u32>)>,
    seed: u64,
    /// Records of the simulated producer accepted per (shard, second).
    ours: BTreeMap<(u32, i64), u32>,
    /// This minute's calls of the simulated producer.
    minute_calls: MinuteCalls,
    consumer: Option<Consumer>,
}

#[derive(Debug)]
struct Consumer {
    workload: usize,
    ms_per_record: f64,
    max_batch: u32,
    /// Seconds before this one are in the backlogs.
    filled_until_s: i64,
    shards: Vec<u32>,
    readers: BTreeMap<u32, Reader>,
}

/// The simulated producer's `PutRecord` calls of one minute.
#[derive(Debug, Default)]
struct MinuteCalls {
    accepted: u32,
    failed: u32,
    /// Attempts Kinesis rejected, retried ones included.
    rejected: u32,
    latency_ms: f64,
}

/// The event source mapping's position in one shard: records not yet handed over, by second of arrival.
#[derive(Debug, Default)]
struct Reader {
    backlog: VecDeque<(i64, u32)>,
    busy_until: f64,
}

/// What happens to a request the load balancer sends to a target.
enum Admission {
    /// The request reached the task's code after `wait` ms (queued for the CPU, or retransmitted); its CPU burst
    /// takes `extra` ms.
    Served { wait: f64, extra: f64 },
    /// The connection to the target failed after `after` ms.
    Lost { after: f64 },
}

impl ComputeState {
    /// Whether the load balancer sends requests to this task (any task of a workload it does not track).
    fn in_service(&self, index: usize, task: usize) -> bool {
        self.targets.get(&index).and_then(|targets| targets.tasks.get(&task)).is_none_or(|target| target.healthy)
    }

    /// The tasks the load balancer routes to among `alive`: the healthy ones, or all of them when none is healthy
    /// (a target group fails open).
    pub fn routable(&self, index: usize, alive: Vec<usize>) -> Vec<usize> {
        if !self.targets.contains_key(&index) {
            return alive;
        }
        let healthy: Vec<usize> = alive.iter().copied().filter(|task| self.in_service(index, *task)).collect();
        if healthy.is_empty() { alive } else { healthy }
    }

    /// Running tasks the load balancer counts as unhealthy at `t`.
    pub fn unhealthy_targets(&self, index: usize, tasks: &[Task], t: i64) -> f64 {
        if !self.targets.contains_key(&index) {
            return 0.0;
        }
        let running = tasks.iter().enumerate().filter(|(_, task)| task.ready_ms <= t && task.stop_ms > t);
        running.filter(|(task, _)| !self.in_service(index, *task)).count() as f64
    }

    /// CPU utilisation (average, maximum) of a service whose CPU is simulated, from the busy time of its tasks;
    /// the estimate passed in otherwise.
    pub fn cpu_utilisation(&self, index: usize, minute: usize, average: f64, maximum: f64) -> (f64, f64) {
        let Some(targets) = self.targets.get(&index).filter(|t| matches!(t.cause, TargetCause::Cpu)) else {
            return (average, maximum);
        };
        let shares: Vec<f64> = targets
            .busy
            .iter()
            .filter(|((_, m), _)| *m == minute)
            .map(|(_, busy)| (busy / 60_000.0 * 100.0).min(100.0))
            .collect();
        if shares.is_empty() {
            return (average, maximum);
        }
        let mean = shares.iter().sum::<f64>() / shares.len() as f64;
        let peak = shares.iter().copied().fold(0.0, f64::max);
        (average.max(mean), maximum.max(peak))
    }

    /// The load balancer gave up on a request its target answered after the idle timeout (a 504 for the client).
    pub fn gave_up(&self, execution: &Execution) -> bool {
        let cpu_bound = self.targets.get(&execution.workload).is_some_and(|t| matches!(t.cause, TargetCause::Cpu));
        cpu_bound && execution.end_ms() - execution.arrival_ms as f64 > IDLE_TIMEOUT_MS
    }
}

/// A normal deviate drawn from a hash, for noise that must be the same whoever asks for it.
fn hashed_normal(seed: u64, a: u64, b: i64) -> f64 {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let first = mix(seed ^ a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (b as u64).wrapping_mul(0xc2b2_ae3d_27d4_eb4f));
    let second = mix(first);
    let u1 = ((first >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = (second >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// `shardId-000000000004`
pub fn shard_name(id: u32) -> String {
    format!("shardId-{id:012}")
}

impl StreamSim {
    fn shards_at(&self, t: i64) -> &[u32] {
        self.layout.iter().rev().find(|(from, _)| *from <= t).map_or(&[], |(_, ids)| ids.as_slice())
    }

    /// Records all producers but the simulated one want to write to shard `position` of `count` in the second
    /// starting at `second_ms`, and the share Kinesis rejects.
    fn second_load(&self, position: usize, count: usize, second_ms: i64, multiplier: f64) -> (f64, f64) {
        let second = second_ms.div_euclid(1000);
        let drift = 1.0 + 0.06 * (second as f64 / 600.0 + (self.seed % 628) as f64 / 100.0).sin();
        // Bursts: a second's own jitter plus a few seconds' swell, both per shard.
        let noise = 1.0
            + 0.12 * hashed_normal(self.seed, position as u64, second)
            + 0.2 * hashed_normal(self.seed ^ 0x5eed, position as u64, second.div_euclid(5));
        let demand = self.stream.records_per_s * multiplier * drift / count.max(1) as f64 * noise.max(0.0);
        let capacity = SHARD_RECORDS_PER_S.min(SHARD_BYTES_PER_S / self.stream.record_bytes.max(1.0));
        let rejected = if demand > capacity { 1.0 - capacity / demand } else { 0.0 };
        (demand, rejected)
    }
}

impl Sim<'_> {
    /// Sets up the state of the compute-side faults once the workloads are initialised.
    pub fn init_compute(&mut self) {
        let sys = self.sys;
        let faults = self.faults;
        for (index, workload) in sys.workloads.iter().enumerate() {
            let Some(service) = workload.compute.ecs() else { continue };
            let vcpus = f64::from(service.cpu_units) / 1024.0;
            // Node.js and a single uvicorn worker run their handlers on one thread.
            let vcpus = if service.style.runtime() == Runtime::Java { vcpus } else { vcpus.min(1.0) };
            let mut cause = None;
            for fault in faults.iter().filter(|f| f.workload == index) {
                match &fault.effect {
                    Effect::CpuHeavy { .. } => cause = Some(TargetCause::Cpu),
                    Effect::AzImpaired { zone, severity, replace_ms, replacements } => {
                        let outage = (*zone, fault.start_ms, *replace_ms);
                        cause = self.place_on_instances(index, service, outage, replacements).map(|instances| {
                            TargetCause::Zone(ZoneOutage {
                                zone: *zone,
                                severity: *severity,
                                since_ms: fault.start_ms,
                                replace_ms: *replace_ms,
                                instances,
                            })
                        });
                    }
                    _ => {}
                }
            }
            if let Some(cause) = cause {
                self.compute.targets.insert(
                    index,
                    Targets {
                        cause,
                        tasks: BTreeMap::new(),
                        vcpus,
                        busy: BTreeMap::new(),
                        longest_burst: BTreeMap::new(),
                    },
                );
            }
        }
        for (index, workload) in sys.workloads.iter().enumerate() {
            for (dep, entry) in workload.deps.iter().enumerate() {
                if let Dep::Stream(stream) = entry {
                    let simulated = self.stream_sim(index, dep, stream);
                    self.compute.streams.push(simulated);
                }
            }
        }
    }

    /// Puts the service's tasks on the instances of its Auto Scaling group (those in the impaired zone, from
    /// `since_ms`, go at `replace_ms`) and starts a task on each replacement; returns the instance under each task.
    fn place_on_instances(
        &mut self,
        index: usize,
        service: &EcsService,
        (zone, since_ms, replace_ms): (usize, i64, i64),
        replacements: &[(Instance, i64)],
    ) -> Option<BTreeMap<usize, (Instance, i64)>> {
        let capacity = service.capacity.as_ref()?;
        let ecs = self.state[index].ecs.as_mut()?;
        let mut placed = BTreeMap::new();
        for (task_index, instance) in capacity.instances.iter().enumerate() {
            let Some(task) = ecs.tasks.get_mut(task_index) else { break };
            task.host = instance.host.clone();
            if instance.zone == zone && since_ms < replace_ms {
                task.stop_ms = task.stop_ms.min(replace_ms);
            }
            placed.insert(task_index, (instance.clone(), i64::MIN));
        }
        let base_mb = ecs.tasks.first().map_or(256.0, |task| task.base_mb);
        for (instance, ready_ms) in replacements {
            let version = ecs.versions.iter().rposition(|v| v.live_from_ms <= *ready_ms).unwrap_or(0);
            ecs.tasks.push(Task::started(
                format!("ecs/{}/{}", service.container, hex(&mut self.rng, 32)),
                version,
                *ready_ms,
                instance.host.clone(),
                base_mb,
            ));
            // Booting, joining the cluster and starting the task take about two and a half minutes.
            placed.insert(ecs.tasks.len() - 1, (instance.clone(), ready_ms - 150_000));
        }
        Some(placed)
    }

    fn stream_sim(&self, producer: usize, dep: usize, stream: &KinesisStream) -> StreamSim {
        let mut layout =
            vec![(i64::MIN, (stream.first_shard..stream.first_shard + stream.shards).collect::<Vec<u32>>())];
        let mut next = stream.first_shard + stream.shards;
        let mut changes: Vec<(i64, u32)> = self
            .faults
            .iter()
            .filter(|f| f.workload == producer)
            .filter_map(|f| match f.effect {
                Effect::ShardCount { dep: changed, shards } if changed == dep => Some((f.start_ms, shards)),
                _ => None,
            })
            .collect();
        changes.sort_unstable();
        for (from, shards) in changes {
            layout.push((from, (next..next + shards).collect()));
            next += shards;
        }
        let consumer = self.sys.workloads.iter().enumerate().find_map(|(index, workload)| match &workload.entry {
            Entry::Stream(source) if source.stream == stream.name => {
                let (ms_per_record, max_batch) = self
                    .faults
                    .iter()
                    .filter(|f| f.workload == index)
                    .find_map(|f| match f.effect {
                        Effect::RecordCost { ms_per_record, max_batch } => Some((ms_per_record, max_batch)),
                        _ => None,
                    })
                    .unwrap_or((0.05, 10_000));
                Some(Consumer {
                    workload: index,
                    ms_per_record,
                    max_batch,
                    filled_until_s: self.start_ms.div_euclid(1000) - 5,
                    shards: Vec::new(),
                    readers: BTreeMap::new(),
                })
            }
            _ => None,
        });
        StreamSim {
            producer,
            dep,
            stream: stream.clone(),
            layout,
            seed: stable_hash(&[&stream.name, "kinesis"]),
            ours: BTreeMap::new(),
            minute_calls: MinuteCalls::default(),
            consumer,
        }
    }

    /// Runs the load balancer's health checks of a service's targets up to `t`.
    pub fn advance_targets(&mut self, index: usize, t: i64) {
        if !self.compute.targets.contains_key(&index) {
            return;
        }
        let count = self.state[index].ecs.as_ref().map_or(0, |ecs| ecs.tasks.len());
        for task_index in 0..count {
            let Some((ready, stop)) = self.state[index]
                .ecs
                .as_ref()
                .and_then(|ecs| ecs.tasks.get(task_index))
                .map(|t| (t.ready_ms, t.stop_ms))
            else {
                continue;
            };
            loop {
                let Some(targets) = self.compute.targets.get_mut(&index) else { return };
                // The checks of one target keep their own phase.
                let phase = (task_index as i64 * 7_919 + index as i64 * 3_313) % CHECK_INTERVAL_MS;
                let target = targets.tasks.entry(task_index).or_insert_with(|| Target {
                    healthy: true,
                    fails: 0,
                    passes: 0,
                    next_check_ms: ready + phase,
                    free_at: ready as f64,
                });
                let at = target.next_check_ms;
                if at > t || at >= stop || ready > t {
                    break;
                }
                target.next_check_ms += CHECK_INTERVAL_MS;
                let backlog = target.free_at - at as f64;
                let failed = match &targets.cause {
                    TargetCause::Cpu => backlog > CHECK_TIMEOUT_MS,
                    TargetCause::Zone(outage) => {
                        let impaired = outage
                            .instances
                            .get(&task_index)
                            .is_some_and(|(instance, _)| instance.zone == outage.zone && at >= outage.since_ms);
                        let severity = outage.severity;
                        impaired && chance(&mut self.rng, severity)
                    }
                };
                let Some(target) = self.compute.targets.get_mut(&index).and_then(|t| t.tasks.get_mut(&task_index))
                else {
                    return;
                };
                if failed {
                    target.fails += 1;
                    target.passes = 0;
                } else {
                    target.passes += 1;
                    target.fails = 0;
                }
                if target.healthy && target.fails >= UNHEALTHY_AFTER {
                    target.healthy = false;
                    self.replace_unhealthy_task(index, task_index, at);
                } else if !target.healthy && target.passes >= HEALTHY_AFTER {
                    target.healthy = true;
                }
            }
        }
    }

    /// ECS stops a Fargate task that failed its health checks and starts another one.
    fn replace_unhealthy_task(&mut self, index: usize, task_index: usize, at: i64) {
        if !self.compute.targets.get(&index).is_some_and(|t| matches!(t.cause, TargetCause::Cpu)) {
            return;
        }
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let Some(service) = workload.compute.ecs() else { return };
        let stop = at + self.rng.random_range_ms(5_000, 20_000);
        let ready = at + self.rng.random_range_ms(60_000, 100_000);
        let id = hex(&mut self.rng, 32);
        let host = ecs_host(&mut self.rng);
        let Some(ecs) = self.state[index].ecs.as_mut() else { return };
        let Some(task) = ecs.tasks.get_mut(task_index) else { return };
        task.stop_ms = task.stop_ms.min(stop);
        let (stream, old_host, version, base_mb) = (task.stream.clone(), task.host.clone(), task.version, task.base_mb);
        ecs.tasks.push(Task::started(format!("ecs/{}/{id}", service.container), version, ready, host, base_mb));
        self.shutdown_lines(workload, service, &stream, &old_host, stop);
    }

    /// What the application prints when ECS stops its task (SIGTERM, then a graceful shutdown).
    fn shutdown_lines(&mut self, workload: &Workload, service: &EcsService, stream: &str, host: &str, at: i64) {
        let ctx = app_context(workload, service, "-", host, 1, "app");
        let lines: Vec<(i64, String)> = match service.style {
            LogStyle::EcsSpring => vec![
                (
                    at,
                    spring_line(
                        at,
                        "INFO",
                        workload,
                        "ionShutdownHook",
                        "o.s.b.w.e.tomcat.GracefulShutdown",
                        "Commencing graceful shutdown. Waiting for active requests to complete",
                    ),
                ),
                (
                    at + 1_800,
                    spring_line(
                        at + 1_800,
                        "INFO",
                        workload,
                        "tomcat-shutdown",
                        "o.s.b.w.e.tomcat.GracefulShutdown",
                        "Graceful shutdown complete",
                    ),
                ),
            ],
            LogStyle::EcsStructlog => vec![
                (at, "INFO:     Shutting down".to_string()),
                (at + 900, "INFO:     Waiting for application shutdown.".to_string()),
                (at + 905, "INFO:     Application shutdown complete.".to_string()),
                (at + 906, "INFO:     Finished server process [1]".to_string()),
            ],
            _ => vec![(
                at,
                logs::app_line(
                    &ctx,
                    at,
                    Level::Info,
                    "received SIGTERM, closing server",
                    &[("signal", Field::str("SIGTERM"))],
                    None,
                ),
            )],
        };
        for (time, line) in lines {
            self.push_log(&workload.log_group, stream, time as f64, line);
        }
    }

    /// Admits one request to the task the load balancer picked: a request to an impaired instance may be lost
    /// (the outcome is set and `None` returned); otherwise it waits for the task's CPU and the length of its CPU
    /// burst is returned (0 for services whose CPU is not simulated).
    pub fn admit_to_target(&mut self, index: usize, task_index: usize, execution: &mut Execution) -> Option<f64> {
        if !self.compute.targets.contains_key(&index) {
            return Some(0.0);
        }
        match self.admission(index, task_index, execution) {
            Admission::Lost { after } => {
                execution.outcome = Outcome::Refused;
                execution.sampled = false;
                execution.duration_ms = after;
                None
            }
            Admission::Served { wait, extra } => {
                execution.exec_start_ms += wait;
                Some(extra)
            }
        }
    }

    fn admission(&mut self, index: usize, task_index: usize, execution: &Execution) -> Admission {
        let t = execution.arrival_ms;
        let Some(targets) = self.compute.targets.get(&index) else {
            return Admission::Served { wait: 0.0, extra: 0.0 };
        };
        if let TargetCause::Zone(outage) = &targets.cause {
            let impaired = outage
                .instances
                .get(&task_index)
                .is_some_and(|(instance, _)| instance.zone == outage.zone && t >= outage.since_ms);
            if !impaired {
                return Admission::Served { wait: 0.0, extra: 0.0 };
            }
            let severity = outage.severity;
            if chance(&mut self.rng, severity) {
                // Mostly the connection attempt times out; sometimes an established connection is reset.
                let after = if chance(&mut self.rng, 0.7) {
                    CONNECT_TIMEOUT_MS + uniform(&mut self.rng, 1.0, 40.0)
                } else {
                    uniform(&mut self.rng, 150.0, 4_000.0)
                };
                return Admission::Lost { after };
            }
            // Packets that get through are retransmitted: the request arrives late, but is answered.
            return Admission::Served { wait: lognormal(&mut self.rng, 600.0, 0.8), extra: 0.0 };
        }
        let vcpus = targets.vcpus.max(0.05);
        let route = match execution.trigger {
            Trigger::Request { route, .. } => Some(route),
            _ => None,
        };
        let heavy = self.faults_at(index, t).find_map(|(fault, strength)| match fault.effect {
            Effect::CpuHeavy { route: hot, share, cpu_ms } if Some(hot) == route => Some((share, cpu_ms * strength)),
            _ => None,
        });
        let mut work = lognormal(&mut self.rng, 4.0, 0.4);
        let mut slow = None;
        if let Some((share, cpu_ms)) = heavy
            && chance(&mut self.rng, share)
        {
            let burst = lognormal(&mut self.rng, cpu_ms, 0.3);
            work += burst;
            slow = Some(burst);
        }
        let arrival = execution.exec_start_ms;
        // The health checks that ran up to the arrival created the target.
        let Some(target) = self.compute.targets.get_mut(&index).and_then(|t| t.tasks.get_mut(&task_index)) else {
            return Admission::Served { wait: 0.0, extra: 0.0 };
        };
        let start = target.free_at.max(arrival);
        let wall = work / vcpus;
        target.free_at = start + wall;
        self.add_busy(index, task_index, start, start + wall);
        let minute = ((start - self.start_ms as f64) / 60_000.0).floor().max(0.0) as usize;
        if let Some(targets) = self.compute.targets.get_mut(&index) {
            let longest = targets.longest_burst.entry((task_index, minute)).or_insert(0.0);
            *longest = longest.max(wall);
        }
        if let Some(burst) = slow
            && burst / vcpus > 1_000.0
        {
            self.slow_path_line(index, execution, start + wall, burst / vcpus);
        }
        Admission::Served { wait: start - arrival, extra: wall }
    }

    /// Spreads a busy interval of a task's vCPUs over the minutes it covers.
    fn add_busy(&mut self, index: usize, task_index: usize, from: f64, to: f64) {
        let start_ms = self.start_ms as f64;
        let Some(targets) = self.compute.targets.get_mut(&index) else { return };
        let mut at = from;
        while at < to {
            let minute = ((at - start_ms) / 60_000.0).floor().max(0.0);
            let minute_end = start_ms + (minute + 1.0) * 60_000.0;
            let until = to.min(minute_end);
            *targets.busy.entry((task_index, minute as usize)).or_insert(0.0) += until - at;
            at = until;
        }
    }

    /// The application's own warning about the request that took the expensive path.
    fn slow_path_line(&mut self, index: usize, execution: &Execution, at: f64, took_ms: f64) {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let Some(service) = workload.compute.ecs() else { return };
        let route = execution.route(workload).map(|r| r.kind);
        let logger = match service.style {
            LogStyle::EcsSpring => format!(
                "c.{}.{}.service.{}Service",
                sys.company.slug,
                workload.domain.plural,
                workload.domain.singular_title()
            ),
            _ => "app.service".to_string(),
        };
        let ctx = app_context(workload, service, &execution.request_id, &execution.host, execution.thread, &logger);
        let (message, fields) = match route {
            Some(RouteKind::Create | RouteKind::Update) => {
                let field = validated_field(workload);
                (
                    "input validation slow".to_string(),
                    vec![
                        ("field", Field::str(field)),
                        ("length", Field::Int(i64::from(self.rng.random_range_u32(3_000, 24_000)))),
                        ("duration_ms", Field::Int(took_ms.round() as i64)),
                    ],
                )
            }
            _ => (
                format!("slow {} rendering", workload.domain.singular),
                vec![
                    ("id", Field::str(execution.path.rsplit('/').next().unwrap_or_default().to_string())),
                    ("line_items", Field::Int(i64::from(self.rng.random_range_u32(1_800, 30_000)))),
                    ("duration_ms", Field::Int(took_ms.round() as i64)),
                ],
            ),
        };
        let line = logs::app_line(&ctx, at as i64, Level::Warn, &message, &fields, None);
        self.push_log(&workload.log_group, &execution.stream, at, line);
    }

    /// Counts an error the load balancer answered itself, by status code, for a service whose targets it tracks.
    pub fn count_elb_error(&mut self, execution: &Execution) {
        let index = execution.workload;
        if !self.compute.targets.contains_key(&index) {
            return;
        }
        let sys = self.sys;
        let Some(alb) = sys.workloads[index].alb() else { return };
        let code = match execution.outcome {
            Outcome::Unavailable => "503",
            Outcome::Refused if execution.duration_ms < CONNECT_TIMEOUT_MS => "502",
            Outcome::Killed => "502",
            _ => "504",
        };
        let id = self.metrics.id(
            "AWS/ApplicationELB",
            &format!("HTTPCode_ELB_{code}_Count"),
            &[("LoadBalancer", alb.dimension.as_str())],
            Stat::Sum,
            "Count",
        );
        let minute = self.minute;
        self.metrics.add(id, minute, 1.0);
    }

    /// Per-minute series and lines of the compute-side faults of one workload.
    pub fn compute_gauges(&mut self, index: usize, t0: i64) {
        if self.compute.targets.contains_key(&index) {
            self.advance_targets(index, t0 + 59_999);
            self.starvation_lines(index, t0);
            self.zone_gauges(index, t0);
        }
        if let Some(position) = self.compute.streams.iter().position(|s| s.producer == index) {
            self.stream_gauges(position, t0);
        }
    }

    /// Runtime warnings of tasks whose CPU was saturated during the minute starting at `t0`.
    fn starvation_lines(&mut self, index: usize, t0: i64) {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let Some(service) = workload.compute.ecs() else { return };
        let minute = self.minute;
        let Some(targets) = self.compute.targets.get(&index).filter(|t| matches!(t.cause, TargetCause::Cpu)) else {
            return;
        };
        let saturated: Vec<(usize, f64)> = targets
            .busy
            .iter()
            .filter(|((_, m), busy)| *m == minute && **busy > 0.9 * 60_000.0)
            .map(|((task, m), _)| (*task, targets.longest_burst.get(&(*task, *m)).copied().unwrap_or(0.0)))
            .collect();
        for (task_index, burst) in saturated {
            let Some((stream, host)) = self.state[index]
                .ecs
                .as_ref()
                .and_then(|ecs| ecs.tasks.get(task_index))
                .map(|task| (task.stream.clone(), task.host.clone()))
            else {
                continue;
            };
            let at = t0 + self.rng.random_range_ms(5_000, 55_000);
            let lag = burst * uniform(&mut self.rng, 0.85, 1.0) + uniform(&mut self.rng, 5.0, 60.0);
            let line = match service.style {
                LogStyle::EcsSpring => {
                    let delta = 30_000.0 + lag;
                    let text = format!(
                        "HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta={}).",
                        hikari_duration(delta)
                    );
                    spring_line(at, "WARN", workload, "l-1 housekeeper", "com.zaxxer.hikari.pool.HikariPool", &text)
                }
                LogStyle::EcsStructlog => {
                    let ctx = app_context(workload, service, "-", &host, 1, "asyncio");
                    let task = self.rng.random_range_u32(2_000, 90_000);
                    let text = format!(
                        "Executing <Task pending name='Task-{task}' coro=<RequestResponseCycle.run_asgi() running at /usr/local/lib/python3.12/site-packages/uvicorn/protocols/http/h11_impl.py:403> cb=[set.discard()]> took {:.3} seconds",
                        lag / 1000.0
                    );
                    logs::app_line(&ctx, at, Level::Warn, &text, &[], None)
                }
                _ => {
                    let ctx = app_context(workload, service, "-", &host, 1, "app");
                    let fields = [("lag_ms", Field::Int(lag.round() as i64)), ("threshold_ms", Field::Int(500))];
                    logs::app_line(&ctx, at, Level::Warn, "event loop blocked", &fields, None)
                }
            };
            self.push_log(&workload.log_group, &stream, at as f64, line);
        }
    }

    /// EC2 status checks and CPU of each instance, the target group's hosts per zone, and the Auto Scaling group.
    fn zone_gauges(&mut self, index: usize, t0: i64) {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let (Some(service), Some(alb)) = (workload.compute.ecs(), workload.alb()) else { return };
        let Some(capacity) = service.capacity.as_ref() else { return };
        let Some(Targets { cause: TargetCause::Zone(outage), .. }) = self.compute.targets.get(&index) else { return };
        let t = t0 + 30_000;
        let minute = self.minute;
        let (impaired_zone, since, replace) = (outage.zone, outage.since_ms, outage.replace_ms);
        let instances: Vec<(usize, Instance, i64)> =
            outage.instances.iter().map(|(task, (instance, launched))| (*task, instance.clone(), *launched)).collect();
        let tasks: Vec<(i64, i64)> = self.state[index]
            .ecs
            .as_ref()
            .map(|ecs| ecs.tasks.iter().map(|task| (task.ready_ms, task.stop_ms)).collect())
            .unwrap_or_default();
        let mut per_zone = vec![(0.0, 0.0); capacity.zones.len()];
        let mut in_service: f64 = 0.0;
        for (task_index, instance, launched) in &instances {
            let (ready, stop) = tasks.get(*task_index).copied().unwrap_or((i64::MAX, i64::MAX));
            let terminated = instance.zone == impaired_zone && t >= replace && *launched == i64::MIN;
            if t < *launched || terminated {
                continue;
            }
            let impaired = instance.zone == impaired_zone && *launched == i64::MIN && t >= since;
            // The first failed status check shows about a minute after the impairment starts.
            let status_failed = impaired && t0 >= since + 60_000;
            let dims = [("InstanceId", instance.id.as_str())];
            let running = ready <= t && stop > t;
            let cpu = if impaired {
                uniform(&mut self.rng, 0.5, 2.5)
            } else if running {
                uniform(&mut self.rng, 6.0, 14.0)
            } else {
                uniform(&mut self.rng, 1.0, 3.0)
            };
            let failed = if status_failed { 1.0 } else { 0.0 };
            for (name, value, stat, unit) in [
                ("CPUUtilization", cpu, Stat::Average, "Percent"),
                ("StatusCheckFailed", failed, Stat::Maximum, "Count"),
                ("StatusCheckFailed_System", failed, Stat::Maximum, "Count"),
                ("StatusCheckFailed_Instance", 0.0, Stat::Maximum, "Count"),
            ] {
                let id = self.metrics.id("AWS/EC2", name, &dims, stat, unit);
                self.metrics.add(id, minute, value);
            }
            // The group takes an instance out of service when it terminates it; a new one is in service when its
            // task runs.
            if !(instance.zone == impaired_zone && *launched == i64::MIN && t >= replace - 20_000)
                && ready <= t + 60_000
            {
                in_service += 1.0;
            }
            if running && let Some(zone) = per_zone.get_mut(instance.zone) {
                if self.compute.in_service(index, *task_index) {
                    zone.0 += 1.0;
                } else {
                    zone.1 += 1.0;
                }
            }
        }
        for (zone, (healthy, unhealthy)) in capacity.zones.iter().zip(per_zone) {
            let dims = [
                ("TargetGroup", alb.target_group.as_str()),
                ("LoadBalancer", alb.dimension.as_str()),
                ("AvailabilityZone", zone.0.as_str()),
            ];
            let healthy_id = self.metrics.id("AWS/ApplicationELB", "HealthyHostCount", &dims, Stat::Minimum, "Count");
            self.metrics.add(healthy_id, minute, healthy);
            let unhealthy_id =
                self.metrics.id("AWS/ApplicationELB", "UnHealthyHostCount", &dims, Stat::Maximum, "Count");
            self.metrics.add(unhealthy_id, minute, unhealthy);
        }
        let dims = [("AutoScalingGroupName", capacity.asg.as_str())];
        let desired = capacity.instances.len() as f64;
        for (name, value) in [("GroupDesiredCapacity", desired), ("GroupInServiceInstances", in_service.min(desired))] {
            let id = self.metrics.id("AWS/AutoScaling", name, &dims, Stat::Average, "Count");
            self.metrics.add(id, minute, value);
        }
    }

    /// The memory size of a function at `t` (its configuration unless a change lowered or raised it).
    pub fn lambda_memory(&self, index: usize, t: i64, configured: u32) -> u32 {
        let mut memory = configured;
        for (fault, _) in self.faults_at(index, t) {
            if let Effect::MemorySize { mb } = fault.effect {
                memory = mb;
            }
        }
        memory
    }

    /// How much slower a cold start is than at the configured memory size, when the size changed.
    pub fn init_slowdown(&self, index: usize, t: i64, configured: u32) -> Option<f64> {
        let now = self.lambda_memory(index, t, configured);
        (now != configured).then(|| cpu_share(configured) / cpu_share(now))
    }

    /// CPU time of a request's handler code at the function's memory size (0 for functions not profiled).
    pub fn handler_cpu(&mut self, index: usize, t: i64, trigger: &Trigger, memory_mb: f64) -> f64 {
        let Some((cpu_ms, _)) = self.profile(index, t, trigger) else { return 0.0 };
        cpu_ms * lognormal(&mut self.rng, 1.0, 0.35) / cpu_share_f(memory_mb)
    }

    /// The memory a request's handler peaks at, runtime included (`None`: the function is not profiled).
    pub fn handler_peak_memory(&mut self, index: usize, t: i64, trigger: &Trigger) -> Option<f64> {
        let (_, peak) = self.profile(index, t, trigger)?;
        Some(peak * lognormal(&mut self.rng, 1.0, 0.12))
    }

    /// CPU milliseconds (on a full vCPU) and typical peak memory of the request's handler, if it is profiled.
    fn profile(&self, index: usize, t: i64, trigger: &Trigger) -> Option<(f64, f64)> {
        self.faults_at(index, t).find_map(|(fault, _)| match fault.effect {
            Effect::HandlerProfile { cpu_ms, peak_mb, heavy_route, heavy_cpu, heavy_memory } => {
                let on_heavy = matches!(trigger, Trigger::Request { route, .. } if *route == heavy_route);
                Some(if on_heavy { (cpu_ms * heavy_cpu, peak_mb * heavy_memory) } else { (cpu_ms, peak_mb) })
            }
            _ => None,
        })
    }

    /// One `PutRecord` of the simulated producer, with the SDK's retries while the shard is over its limit.
    pub fn put_record(&mut self, index: usize, dep: usize, result: &mut CallResult) {
        let Some(position) = self.compute.streams.iter().position(|s| s.producer == index && s.dep == dep) else {
            return;
        };
        let runtime = self.sys.workloads[index].compute.runtime();
        let attempts = if runtime == Runtime::Python { 5 } else { 3 };
        let start = result.start_ms;
        let pick = self.rng.random_range_u32(0, 1 << 16);
        let mut elapsed = result.duration_ms;
        let mut rejected = 0;
        let mut accepted_on = None;
        let mut last_shard = 0;
        for attempt in 0..attempts {
            let at = (start + elapsed) as i64;
            let (multiplier, _) = self.demand(index, at);
            let stream = &self.compute.streams[position];
            let shards = stream.shards_at(at);
            // The partition key hashes to one shard; merged shards keep the key's range.
            let slot = (pick as usize * shards.len()) >> 16;
            let Some(&shard) = shards.get(slot) else { return };
            last_shard = shard;
            let (_, share) = stream.second_load(slot, shards.len(), at.div_euclid(1000) * 1000, multiplier);
            if !chance(&mut self.rng, share) {
                accepted_on = Some((shard, at.div_euclid(1000) * 1000));
                break;
            }
            rejected += 1;
            if attempt + 1 < attempts {
                // The SDKs back off from throttling with a jittered, doubling delay.
                elapsed +=
                    uniform(&mut self.rng, 0.1, 1.0) * 500.0 * 2f64.powi(attempt) + lognormal(&mut self.rng, 16.0, 0.3);
            }
        }
        result.duration_ms = elapsed;
        result.retries = rejected;
        result.throttled = rejected > 0;
        let account = self.sys.account.clone();
        let stream = &mut self.compute.streams[position];
        stream.minute_calls.rejected += rejected;
        stream.minute_calls.latency_ms += elapsed;
        match accepted_on {
            Some(key) => {
                *stream.ours.entry(key).or_insert(0) += 1;
                stream.minute_calls.accepted += 1;
            }
            None => {
                stream.minute_calls.failed += 1;
                result.status = CallStatus::Failed(Failure::StreamThrottled {
                    stream: stream.stream.name.clone(),
                    shard: shard_name(last_shard),
                    account,
                });
            }
        }
    }

    /// The stream's per-minute series: what all producers wrote, what Kinesis throttled, and the simulated
    /// producer's own calls.
    fn stream_gauges(&mut self, position: usize, t0: i64) {
        let producer = self.compute.streams[position].producer;
        let mut demand = 0.0;
        let mut throttled = 0.0;
        for second in 0..60 {
            let at = t0 + second * 1000;
            let (multiplier, _) = self.demand(producer, at + 500);
            let stream = &self.compute.streams[position];
            let count = stream.shards_at(at).len();
            for slot in 0..count {
                let (records, share) = stream.second_load(slot, count, at, multiplier);
                demand += records;
                throttled += records * share;
            }
        }
        let stream = &mut self.compute.streams[position];
        let calls = std::mem::take(&mut stream.minute_calls);
        let name = stream.stream.name.clone();
        let bytes = stream.stream.record_bytes;
        let accepted = (demand - throttled).round() + f64::from(calls.accepted);
        let dims = [("StreamName", name.as_str())];
        let minute = self.minute;
        let mut series = vec![
            ("IncomingRecords", accepted, Stat::Sum, "Count"),
            ("IncomingBytes", (accepted * bytes).round(), Stat::Sum, "Bytes"),
            ("WriteProvisionedThroughputExceeded", throttled.round() + f64::from(calls.rejected), Stat::Sum, "Count"),
            ("PutRecords.TotalRecords", demand.round(), Stat::Sum, "Count"),
            ("PutRecords.SuccessfulRecords", (demand - throttled).round(), Stat::Sum, "Count"),
            ("PutRecords.ThrottledRecords", throttled.round(), Stat::Sum, "Count"),
            ("PutRecord.Success", f64::from(calls.accepted), Stat::Sum, "Count"),
        ];
        let count = calls.accepted + calls.failed;
        if count > 0 {
            let average = (calls.latency_ms / f64::from(count)).round();
            series.push(("PutRecord.Latency", average, Stat::Average, "Milliseconds"));
        }
        for (metric, value, stat, unit) in series {
            let id = self.metrics.id("AWS/Kinesis", metric, &dims, stat, unit);
            self.metrics.add(id, minute, value);
        }
    }

    /// Moves the records of every complete second before `until_ms` into the consumer's shard backlogs, following
    /// the stream's shards as they merge.
    fn fill_backlogs(&mut self, position: usize, until_ms: i64) {
        let producer = self.compute.streams[position].producer;
        let Some(from) = self.compute.streams[position].consumer.as_ref().map(|c| c.filled_until_s) else { return };
        let until = until_ms.div_euclid(1000);
        for second in from..until {
            let at = second * 1000;
            let (multiplier, _) = self.demand(producer, at + 500);
            let stream = &mut self.compute.streams[position];
            let shards: Vec<u32> = stream.shards_at(at).to_vec();
            let loads: Vec<u32> = (0..shards.len())
                .map(|slot| {
                    let (records, share) = stream.second_load(slot, shards.len(), at, multiplier);
                    let ours = stream.ours.remove(&(shards[slot], at)).unwrap_or(0);
                    (records * (1.0 - share)).round() as u32 + ours
                })
                .collect();
            let Some(consumer) = stream.consumer.as_mut() else { return };
            if consumer.shards != shards {
                consumer.reshard(&shards);
            }
            for (shard, count) in shards.iter().zip(loads) {
                if count > 0 {
                    consumer.readers.entry(*shard).or_default().backlog.push_back((at, count));
                }
            }
            consumer.filled_until_s = second + 1;
        }
    }

    /// A tick of a stream consumer's event source mapping; false when the workload is not a simulated stream's
    /// consumer (its records are then drawn as before).
    pub fn consume_stream(&mut self, index: usize, t: i64) -> bool {
        let Some(position) =
            self.compute.streams.iter().position(|s| s.consumer.as_ref().is_some_and(|c| c.workload == index))
        else {
            return false;
        };
        // Batches start until the next tick; one that starts in the next minute is counted in this one.
        let horizon = t + 10_000;
        self.fill_backlogs(position, t);
        let shards: Vec<u32> =
            self.compute.streams[position].consumer.as_ref().map(|c| c.shards.clone()).unwrap_or_default();
        for shard in shards {
            let mut at = t as f64;
            loop {
                let Some(consumer) = self.compute.streams[position].consumer.as_ref() else { return true };
                let busy_until = consumer.readers.get(&shard).map_or(0.0, |r| r.busy_until);
                at = at.max(busy_until);
                if at >= horizon as f64 {
                    break;
                }
                self.fill_backlogs(position, at as i64);
                if !self.invoke_consumer(position, index, shard, at) {
                    break;
                }
            }
        }
        true
    }

    /// Hands the next batch of one shard to the consumer function at `at`; false when the shard has nothing.
    fn invoke_consumer(&mut self, position: usize, index: usize, shard: u32, at: f64) -> bool {
        let stream = &mut self.compute.streams[position];
        let bytes = stream.stream.record_bytes;
        let name = stream.stream.name.clone();
        let Some(consumer) = stream.consumer.as_mut() else { return false };
        let (ms_per_record, max_batch) = (consumer.ms_per_record, consumer.max_batch);
        let Some(reader) = consumer.readers.get_mut(&shard) else { return false };
        let limit = f64::from(max_batch).min(INVOKE_PAYLOAD_BYTES / bytes.max(1.0)).floor().max(1.0) as u32;
        let mut taken = 0u32;
        let mut first = None;
        let mut last = 0;
        while taken < limit {
            let Some(chunk) = reader.backlog.front_mut() else { break };
            let take = chunk.1.min(limit - taken);
            first.get_or_insert(chunk.0);
            last = chunk.0 + 999;
            taken += take;
            chunk.1 -= take;
            if chunk.1 == 0 {
                reader.backlog.pop_front();
            }
        }
        let Some(oldest_ms) = first.filter(|_| taken > 0) else { return false };
        let start = at as i64;
        let mut execution = self.run_lambda(index, start, Trigger::Stream { records: taken, oldest_ms });
        if execution.outcome != Outcome::Throttled {
            execution.duration_ms += f64::from(taken) * ms_per_record * lognormal(&mut self.rng, 1.0, 0.08);
            let end = execution.end_ms();
            if let Some(container) = self.state[index]
                .lambda
                .as_mut()
                .and_then(|lambda| lambda.containers.iter_mut().find(|c| c.stream == execution.stream))
            {
                container.busy_until = end;
                container.last_used = end;
            }
        }
        let done = execution.end_ms() + uniform(&mut self.rng, 20.0, 250.0);
        if let Some(reader) =
            self.compute.streams[position].consumer.as_mut().and_then(|consumer| consumer.readers.get_mut(&shard))
        {
            reader.busy_until = done;
        }
        let age = (start - last.min(start)) as f64;
        let minute = self.minute;
        let function = self.sys.workloads[index].name().to_string();
        let lambda_age = self.metrics.id(
            "AWS/Lambda",
            "IteratorAge",
            &[("FunctionName", function.as_str())],
            Stat::Maximum,
            "Milliseconds",
        );
        self.metrics.add(lambda_age, minute, age);
        let dims = [("StreamName", name.as_str())];
        let stream_age =
            self.metrics.id("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", &dims, Stat::Maximum, "Milliseconds");
        self.metrics.add(stream_age, minute, age);
        let records = self.metrics.id("AWS/Kinesis", "GetRecords.Records", &dims, Stat::Sum, "Count");
        self.metrics.add(records, minute, f64::from(taken));
        let read_bytes = self.metrics.id("AWS/Kinesis", "GetRecords.Bytes", &dims, Stat::Sum, "Bytes");
        self.metrics.add(read_bytes, minute, (f64::from(taken) * bytes).round());
        self.emit(&execution);
        true
    }
}

impl Consumer {
    /// Shards merged pairwise: each child starts with what is left of its two parents, and after both are done.
    fn reshard(&mut self, shards: &[u32]) {
        let parents = std::mem::take(&mut self.shards);
        if !parents.is_empty() && shards.len() < parents.len() {
            let per_child = parents.len().div_ceil(shards.len().max(1));
            for (slot, child) in shards.iter().enumerate() {
                let mut merged = Reader::default();
                for parent in parents.iter().skip(slot * per_child).take(per_child) {
                    if let Some(reader) = self.readers.remove(parent) {
                        merged.busy_until = merged.busy_until.max(reader.busy_until);
                        merged.backlog.extend(reader.backlog);
                    }
                }
                merged.backlog.make_contiguous().sort_by_key(|chunk| chunk.0);
                self.readers.insert(*child, merged);
            }
        }
        self.shards = shards.to_vec();
    }
}

/// Share of a full vCPU a function gets at `memory_mb`.
fn cpu_share(memory_mb: u32) -> f64 {
    cpu_share_f(f64::from(memory_mb))
}

fn cpu_share_f(memory_mb: f64) -> f64 {
    (memory_mb.min(FULL_VCPU_MB) / FULL_VCPU_MB).max(0.01)
}

/// Free-text fields a validation regular expression can choke on.
const FREE_TEXT_FIELDS: &[&str] = &["notes", "description", "shippingAddress.line1", "customerReference", "comment"];

/// The free-text field whose validation is slow in a workload's code.
pub fn validated_field(workload: &Workload) -> &'static str {
    let hash = stable_hash(&[workload.name(), "slow-path"]);
    FREE_TEXT_FIELDS[(hash % FREE_TEXT_FIELDS.len() as u64) as usize]
}

fn app_context<'a>(
    workload: &'a Workload,
    service: &'a EcsService,
    request_id: &'a str,
    host: &'a str,
    thread: u32,
    logger: &'a str,
) -> LineContext<'a> {
    LineContext {
        style: service.style,
        request_id,
        service: workload.domain.plural,
        logger,
        function_name: &service.service,
        cold_start: false,
        trace_id: None,
        hostname: host,
        thread,
    }
}

/// A Spring Boot console line from a thread other than a request's.
fn spring_line(at: i64, level: &str, workload: &Workload, thread: &str, logger: &str, text: &str) -> String {
    format!(
        "{} {level:>5} 1 --- [{}] [{thread:>15}] {logger:<40} : {text}",
        super::clock::iso_ms(at),
        workload.domain.plural
    )
}

/// Hikari's way of printing a duration: `1m4s123ms`.
fn hikari_duration(ms: f64) -> String {
    let total = ms.round() as i64;
    let (minutes, seconds, millis) = (total / 60_000, total % 60_000 / 1000, total % 1000);
    if minutes > 0 { format!("{minutes}m{seconds}s{millis}ms") } else { format!("{seconds}s{millis}ms") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_noise_is_repeatable_and_roughly_standard() {
        let draws: Vec<f64> = (0..4000).map(|n| hashed_normal(7, 3, n)).collect();
        assert_eq!(hashed_normal(7, 3, 11), hashed_normal(7, 3, 11));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let variance = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!(mean.abs() < 0.08 && (variance - 1.0).abs() < 0.12, "mean {mean}, variance {variance}");
    }

    #[test]
    fn merged_shards_inherit_their_parents_backlog() {
        let mut consumer = Consumer {
            workload: 0,
            ms_per_record: 1.0,
            max_batch: 100,
            filled_until_s: 0,
            shards: vec![0, 1, 2, 3],
            readers: BTreeMap::new(),
        };
        for (shard, at) in [(0u32, 5_000i64), (1, 1_000), (2, 2_000), (3, 3_000)] {
            let reader = consumer.readers.entry(shard).or_default();
            reader.backlog.push_back((at, 10));
            reader.busy_until = at as f64;
        }
        consumer.reshard(&[4, 5]);
        assert_eq!(consumer.shards, vec![4, 5]);
        let first: Vec<i64> = consumer.readers[&4].backlog.iter().map(|c| c.0).collect();
        assert_eq!(first, vec![1_000, 5_000]);
        assert_eq!(consumer.readers[&5].busy_until, 3_000.0);
        assert!(!consumer.readers.contains_key(&0));
    }

    #[test]
    fn hikari_prints_minutes_seconds_and_millis() {
        assert_eq!(hikari_duration(64_123.0), "1m4s123ms");
        assert_eq!(hikari_duration(45_010.0), "45s10ms");
    }
}
