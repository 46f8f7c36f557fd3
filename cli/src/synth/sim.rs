//! The minute-by-minute simulator: request arrivals, Lambda containers and concurrency, ECS tasks, queues,
//! DynamoDB capacity (token bucket), databases and external calls, with the scenario's faults applied.
//! Each execution is handed to the emitters (emit.rs) so logs, metrics and traces all describe the same events.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::errors::Failure;
use super::faults::{DepError, Effect, Fault};
use super::json::JsonlWriter;
use super::logs::LogEvent;
use super::metrics::{Metrics, SeriesId, Stat};
use super::model::{Action, Cache, Compute, Database, Dep, Entry, JobKind, Op, RouteKind, Runtime, System, Workload};
use super::naming::USER_AGENTS;
use super::random::{SimRng, chance, hex, lognormal, pick, poisson, public_ip, uniform, uuid};

/// What the simulator needs to know about one bundle.
#[derive(Debug, Clone)]
pub struct SimConfig<'a> {
    pub system: &'a System,
    pub faults: &'a [Fault],
    pub start_ms: i64,
    pub minutes: usize,
    pub scale: f64,
}

/// What the simulation produced besides the files it streamed.
#[derive(Debug)]
pub struct SimSummary {
    pub metrics: Metrics,
    pub log_lines: u64,
    pub log_bytes: u64,
    pub traces: u64,
    /// Cold starts (time, workload), for CloudTrail's `CreateLogStream` noise.
    pub cold_starts: Vec<(i64, usize)>,
}

/// Runs the simulation, streaming logs.jsonl (and traces.jsonl when X-Ray is on) into `dir`.
pub fn simulate(config: &SimConfig, rng: SimRng, dir: &Path, xray: bool) -> Result<SimSummary, String> {
    let logs = JsonlWriter::create(&dir.join("logs.jsonl"))?;
    let traces = if xray { Some(JsonlWriter::create(&dir.join("traces.jsonl"))?) } else { None };
    let mut sim = Sim::new(config, rng, logs, traces);
    sim.init_compute();
    for minute in 0..config.minutes {
        sim.run_minute(minute)?;
    }
    let log_bytes = sim.logs.bytes();
    let log_lines = sim.logs.finish()?;
    let traces = match sim.traces.take() {
        Some(writer) => writer.finish()?,
        None => 0,
    };
    Ok(SimSummary { metrics: sim.metrics, log_lines, log_bytes, traces, cold_starts: sim.cold_starts })
}

/// Result of one call to a dependency.
#[derive(Debug, Clone, PartialEq)]
pub enum CallStatus {
    Ok,
    NotFound,
    Conditional,
    Failed(Failure),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    pub op: Op,
    /// Start, epoch milliseconds.
    pub start_ms: f64,
    pub duration_ms: f64,
    pub status: CallStatus,
    pub retries: u32,
    pub throttled: bool,
    pub aws_request_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientReason {
    NotFound,
    Validation(&'static str),
    Duplicate,
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Ok,
    Client(ClientReason),
    Failed(Failure),
    TimedOut {
        seconds: f64,
    },
    OutOfMemory,
    /// Lambda refused the invocation (concurrency).
    Throttled,
    /// ECS: no healthy target.
    Unavailable,
    /// ECS: the task ran out of memory during this request and died.
    Killed,
    /// ECS: the load balancer still routed to a task that had died.
    Refused,
}

/// A queue message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: String,
    pub sent_ms: i64,
    pub available_ms: i64,
    pub receives: u32,
    pub poison: Option<usize>,
}

/// What started an execution.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Request { route: usize, client: usize, synthetic: bool },
    Batch { messages: Vec<Message> },
    Stream { records: u32, oldest_ms: i64 },
    Job,
}

/// One execution (Lambda invocation or ECS request), everything the emitters need.
#[derive(Debug, Clone)]
pub struct Execution {
    pub workload: usize,
    pub arrival_ms: i64,
    pub request_id: String,
    /// API Gateway's own request id, or the ALB trace id.
    pub edge_request_id: String,
    pub trigger: Trigger,
    pub path: String,
    pub stream: String,
    pub version_label: String,
    pub cold_init_ms: Option<f64>,
    pub exec_start_ms: f64,
    pub duration_ms: f64,
    pub calls: Vec<CallResult>,
    pub outcome: Outcome,
    pub memory_used_mb: u32,
    pub sampled: bool,
    pub trace_id: String,
    pub segment_id: String,
    pub host: String,
    pub thread: u32,
    /// The instance (container or task) started just now; its start-up lines are due.
    pub new_instance: bool,
    /// When the code version serving this execution went live.
    pub version_live_from: i64,
}

impl Execution {
    pub fn end_ms(&self) -> f64 {
        self.exec_start_ms + self.duration_ms
    }

    pub fn route<'w>(&self, workload: &'w Workload) -> Option<&'w super::model::Route> {
        match self.trigger {
            Trigger::Request { route, .. } => workload.routes.get(route),
            _ => workload.routes.first(),
        }
    }

    /// HTTP status returned to the client (request-driven workloads).
    pub fn http_status(&self, workload: &Workload) -> u16 {
        let kind = self.route(workload).map(|r| r.kind);
        match &self.outcome {
            Outcome::Ok => {
                if kind == Some(RouteKind::Create) {
                    201
                } else {
                    200
                }
            }
            Outcome::Client(ClientReason::NotFound) => 404,
            Outcome::Client(ClientReason::Validation(_)) => 400,
            Outcome::Client(ClientReason::Duplicate) => 409,
            Outcome::Failed(_) | Outcome::Throttled => 500,
            Outcome::TimedOut { .. } | Outcome::OutOfMemory => 502,
            Outcome::Unavailable => 503,
            Outcome::Killed | Outcome::Refused => 502,
        }
    }

    pub fn is_server_error(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Failed(_)
                | Outcome::TimedOut { .. }
                | Outcome::OutOfMemory
                | Outcome::Throttled
                | Outcome::Unavailable
                | Outcome::Killed
                | Outcome::Refused
        )
    }
}

/// A Lambda execution environment.
#[derive(Debug, Clone)]
pub struct Container {
    pub stream: String,
    pub busy_until: f64,
    pub last_used: f64,
    pub version: usize,
    pub memory_mb: f64,
}

/// A code version and when it went live.
#[derive(Debug, Clone)]
pub struct Version {
    pub live_from_ms: i64,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct LambdaState {
    pub containers: Vec<Container>,
    pub versions: Vec<Version>,
    pub base_memory_mb: f64,
    pub peak_concurrency: u32,
    pub ids: LambdaIds,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub stream: String,
    pub version: usize,
    pub ready_ms: i64,
    pub stop_ms: i64,
    pub memory_mb: f64,
    pub announced: bool,
    pub host: String,
    /// Killed (out of memory); the load balancer keeps routing to it until this time.
    pub deregistered_ms: Option<i64>,
    /// Memory at start, and (growth start, time to fill the limit) when memory grows.
    pub base_mb: f64,
    pub growth: Option<(i64, f64)>,
}

impl Task {
    /// A task that starts serving at `ready_ms` and runs until stopped, its memory steady at `base_mb`.
    pub fn started(stream: String, version: usize, ready_ms: i64, host: String, base_mb: f64) -> Task {
        Task {
            stream,
            version,
            ready_ms,
            stop_ms: i64::MAX,
            memory_mb: base_mb,
            announced: false,
            host,
            deregistered_ms: None,
            base_mb,
            growth: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct EcsState {
    pub tasks: Vec<Task>,
    pub versions: Vec<Version>,
    pub next: usize,
    pub requests_this_minute: u32,
    pub ids: EcsIds,
}

#[derive(Debug, Clone)]
pub struct QueueState {
    pub messages: Vec<Message>,
    pub dlq: u32,
    pub ids: QueueIds,
}

#[derive(Debug, Clone)]
pub struct DbState {
    pub dep: usize,
    pub free_bytes: f64,
    pub pool: f64,
    pub ids: DbIds,
}

#[derive(Debug, Clone, Copy)]
pub struct LambdaIds {
    pub invocations: SeriesId,
    pub errors: SeriesId,
    pub throttles: SeriesId,
    pub duration: SeriesId,
    pub concurrency: SeriesId,
}

#[derive(Debug, Clone, Copy)]
pub struct EdgeIds {
    pub count: SeriesId,
    pub client_errors: SeriesId,
    pub server_errors: SeriesId,
    pub latency: SeriesId,
    pub latency_p99: SeriesId,
    /// API Gateway only.
    pub integration: Option<SeriesId>,
    /// Load balancer only: successful target responses and errors the balancer itself returned.
    pub success: Option<SeriesId>,
    pub elb_errors: Option<SeriesId>,
}

#[derive(Debug, Clone, Copy)]
pub struct EcsIds {
    pub cpu: SeriesId,
    pub cpu_max: SeriesId,
    pub memory: SeriesId,
    pub memory_max: SeriesId,
    pub healthy: SeriesId,
    pub unhealthy: SeriesId,
}

#[derive(Debug, Clone, Copy)]
pub struct QueueIds {
    pub sent: SeriesId,
    pub received: SeriesId,
    pub deleted: SeriesId,
    pub visible: SeriesId,
    pub age: SeriesId,
    pub dlq_visible: SeriesId,
}

#[derive(Debug, Clone, Copy)]
pub struct DbIds {
    pub connections: SeriesId,
    pub cpu: SeriesId,
    pub free: SeriesId,
    pub write_latency: SeriesId,
}

#[derive(Debug, Clone)]
pub struct TableState {
    pub read_units: f64,
    pub write_units: f64,
    pub tokens: f64,
    pub last_refill_ms: f64,
    pub consumed_read: SeriesId,
    pub consumed_write: SeriesId,
    pub provisioned: Option<(SeriesId, SeriesId)>,
}

/// Per-workload simulation state.
#[derive(Debug, Clone)]
pub struct WorkloadState {
    pub lambda: Option<LambdaState>,
    pub ecs: Option<EcsState>,
    pub queue: Option<QueueState>,
    pub db: Option<DbState>,
    pub edge: Option<EdgeIds>,
    pub sample_rate: f64,
    pub phase: f64,
    pub clients: Vec<(String, &'static str)>,
    pub job_offset_s: i64,
    /// Stream names of the API access and execution log groups.
    pub access_stream: String,
    pub execution_stream: String,
    /// The application logs SDK retries on throttling.
    pub logs_retries: bool,
}

/// The running simulation. Fields are shared with the emitters.
#[derive(Debug)]
pub struct Sim<'a> {
    pub sys: &'a System,
    pub faults: &'a [Fault],
    pub start_ms: i64,
    pub scale: f64,
    pub rng: SimRng,
    pub metrics: Metrics,
    pub logs: JsonlWriter,
    pub traces: Option<JsonlWriter>,
    pub buffer: Vec<LogEvent>,
    pub state: Vec<WorkloadState>,
    pub tables: BTreeMap<String, TableState>,
    pub minute: usize,
    pub cold_starts: Vec<(i64, usize)>,
    /// Calls a rate-limited provider accepted per (workload, dependency): (clock minute, count).
    pub quota_used: BTreeMap<(usize, usize), (i64, u32)>,
    /// Load balancer targets, streams and their consumers of the compute-side faults.
    pub compute: super::sim_compute::ComputeState,
}

fn baseline_latency(rng: &mut SimRng, action: Action) -> f64 {
    let (median, sigma) = match action {
        Action::GetItem => (3.2, 0.3),
        Action::Query => (6.0, 0.35),
        Action::PutItem => (6.5, 0.3),
        Action::UpdateItem => (6.0, 0.3),
        Action::TransactWriteItems => (13.0, 0.3),
        Action::BatchWriteItem => (12.0, 0.35),
        Action::SqlSelect => (2.4, 0.4),
        Action::SqlInsert => (4.5, 0.35),
        Action::SqlUpdate => (4.0, 0.35),
        Action::HttpCall => (100.0, 0.4),
        Action::PutObject => (32.0, 0.35),
        Action::GetSecretValue => (24.0, 0.3),
        Action::SendMessage => (11.0, 0.3),
        Action::GetObject => (28.0, 0.35),
        Action::CacheGet => (0.6, 0.35),
        Action::CacheSet | Action::CacheLock => (0.7, 0.35),
        Action::PutRecord => (18.0, 0.35),
    };
    lognormal(rng, median, sigma)
}

fn init_duration(rng: &mut SimRng, runtime: Runtime) -> f64 {
    match runtime {
        Runtime::Node => uniform(rng, 180.0, 520.0),
        Runtime::Python => uniform(rng, 250.0, 820.0),
        Runtime::Java => uniform(rng, 1900.0, 3600.0),
    }
}

impl<'a> Sim<'a> {
    fn new(config: &SimConfig<'a>, mut rng: SimRng, logs: JsonlWriter, traces: Option<JsonlWriter>) -> Sim<'a> {
        let mut metrics = Metrics::new(config.start_ms, config.minutes);
        let sys = config.system;
        let mut state = Vec::new();
        let mut tables = BTreeMap::new();
        for (index, workload) in sys.workloads.iter().enumerate() {
            let faults: Vec<&Fault> = config.faults.iter().filter(|f| f.workload == index).collect();
            state.push(init_workload(&mut rng, &mut metrics, workload, &faults, config));
            for dep in &workload.deps {
                if let Dep::Table(table) = dep {
                    tables.entry(table.name.clone()).or_insert_with(|| init_table(&mut metrics, table));
                }
            }
        }
        Sim {
            sys,
            faults: config.faults,
            start_ms: config.start_ms,
            scale: config.scale,
            rng,
            metrics,
            logs,
            traces,
            buffer: Vec::new(),
            state,
            tables,
            minute: 0,
            cold_starts: Vec::new(),
            quota_used: BTreeMap::new(),
            compute: super::sim_compute::ComputeState::default(),
        }
    }

    /// Faults of one workload active at `t`.
    pub fn faults_at(&self, workload: usize, t: i64) -> impl Iterator<Item = (&'a Fault, f64)> + use<'a> {
        let faults: &'a [Fault] = self.faults;
        faults.iter().filter(move |f| f.workload == workload).filter_map(move |f| {
            let strength = f.strength(t);
            (strength > 0.0).then_some((f, strength))
        })
    }

    pub(super) fn demand(&self, workload: usize, t: i64) -> (f64, f64) {
        let mut multiplier = 1.0;
        let mut synthetic_share = 0.0;
        for (fault, strength) in self.faults_at(workload, t) {
            if let Effect::Demand { multiplier: peak, synthetic } = fault.effect {
                let extra = (peak - 1.0) * strength;
                multiplier += extra;
                if synthetic {
                    synthetic_share = extra / (1.0 + extra);
                }
            }
        }
        (multiplier, synthetic_share)
    }

    fn run_minute(&mut self, minute: usize) -> Result<(), String> {
        self.minute = minute;
        let t0 = self.start_ms + minute as i64 * 60_000;
        let mut arrivals: Vec<(i64, usize, u8)> = Vec::new();
        for index in 0..self.sys.workloads.len() {
            self.plan_arrivals(index, minute, t0, &mut arrivals);
        }
        arrivals.sort_by_key(|(t, workload, kind)| (*t, *workload, *kind));
        for index in 0..self.sys.workloads.len() {
            self.announce_tasks(index, t0);
        }
        for (t, workload, kind) in arrivals {
            self.dispatch(workload, t, kind);
        }
        self.minute_gauges(t0);
        self.metrics.close_minute(minute);
        self.flush_logs()
    }

    fn flush_logs(&mut self) -> Result<(), String> {
        let mut events = std::mem::take(&mut self.buffer);
        events.sort_by_key(|event| event.timestamp);
        for event in &events {
            self.logs.line(&event.to_json())?;
        }
        events.clear();
        self.buffer = events;
        Ok(())
    }

    pub fn push_log(&mut self, group: &str, stream: &str, timestamp: f64, message: String) {
        self.buffer.push(LogEvent {
            group: group.to_string(),
            stream: stream.to_string(),
            timestamp: timestamp as i64,
            message,
        });
    }

    /// Arrival kinds: 0 request, 1 queue message produced, 2 queue poll, 3 stream tick, 4 scheduled job.
    fn plan_arrivals(&mut self, index: usize, minute: usize, t0: i64, out: &mut Vec<(i64, usize, u8)>) {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let phase = self.state[index].phase;
        let wobble =
            1.0 + 0.12 * (phase + minute as f64 / 17.0).sin() + 0.06 * (phase * 3.0 + minute as f64 / 5.3).sin();
        let (multiplier, _) = self.demand(index, t0 + 30_000);
        let mean = workload.rate_per_min * self.scale * wobble * multiplier;
        match &workload.entry {
            Entry::Api(_) | Entry::Alb(_) => {
                for _ in 0..poisson(&mut self.rng, mean) {
                    out.push((t0 + self.rng.random_ms(), index, 0));
                }
            }
            Entry::Queue(_) => {
                for _ in 0..poisson(&mut self.rng, mean) {
                    out.push((t0 + self.rng.random_ms(), index, 1));
                }
                for tick in 0..6 {
                    out.push((t0 + tick * 10_000 + (index as i64 * 997) % 9_000, index, 2));
                }
            }
            Entry::Stream(_) => {
                for tick in 0..6 {
                    out.push((t0 + tick * 10_000 + (index as i64 * 613) % 9_000, index, 3));
                }
            }
            Entry::Schedule(schedule) => {
                let due = match schedule.job {
                    // A daily job runs in the minute of its schedule, when the window covers it.
                    JobKind::Report { at_min, .. } => t0.div_euclid(60_000).rem_euclid(1440) == i64::from(at_min),
                    _ => (minute as u32).is_multiple_of(schedule.every_min.max(1)),
                };
                if due {
                    out.push((t0 + self.state[index].job_offset_s * 1000 + self.rng.random_range_ms(0, 400), index, 4));
                }
            }
        }
    }

    fn dispatch(&mut self, index: usize, t: i64, kind: u8) {
        match kind {
            0 => {
                let route = self.pick_route(index);
                let (_, synthetic_share) = self.demand(index, t);
                let synthetic = synthetic_share > 0.0 && chance(&mut self.rng, synthetic_share);
                let client = self.rng.random_index(self.state[index].clients.len());
                let trigger = Trigger::Request { route, client, synthetic };
                let execution = match self.sys.workloads[index].compute {
                    Compute::Lambda(_) => self.run_lambda(index, t, trigger),
                    Compute::Ecs(_) => self.run_ecs(index, t, trigger),
                };
                self.emit(&execution);
            }
            1 => self.produce_message(index, t),
            2 => self.poll_queue(index, t),
            3 => {
                if self.consume_stream(index, t) {
                    return;
                }
                let sys = self.sys;
                let workload = &sys.workloads[index];
                let shards = match &workload.entry {
                    Entry::Stream(stream) => stream.shards.max(1),
                    _ => 1,
                };
                let mean = workload.rate_per_min * self.scale / 6.0 / f64::from(shards);
                for _ in 0..shards {
                    let records = poisson(&mut self.rng, mean);
                    if records > 0 {
                        let oldest_ms = t - self.rng.random_range_ms(200, 2_500);
                        let execution = self.run_lambda(index, t, Trigger::Stream { records, oldest_ms });
                        self.emit(&execution);
                    }
                }
            }
            _ => {
                let execution = self.run_lambda(index, t, Trigger::Job);
                self.emit(&execution);
            }
        }
    }

    fn pick_route(&mut self, index: usize) -> usize {
        let weights: Vec<f64> = self.sys.workloads[index].routes.iter().map(|r| r.weight).collect();
        super::random::weighted(&mut self.rng, &weights)
    }

    fn produce_message(&mut self, index: usize, t: i64) {
        let mut poison = None;
        for (fault, strength) in self.faults_at(index, t) {
            if let Effect::Poison { fraction, variant } = fault.effect
                && chance(&mut self.rng, fraction * strength)
            {
                poison = Some(variant);
            }
        }
        let id = uuid(&mut self.rng);
        let minute = self.minute;
        if let Some(queue) = self.state[index].queue.as_mut() {
            queue.messages.push(Message { id, sent_ms: t, available_ms: t + 20, receives: 0, poison });
            self.metrics.add(queue.ids.sent, minute, 1.0);
        }
    }

    fn poll_queue(&mut self, index: usize, t: i64) {
        let sys = self.sys;
        let Some(source) = sys.workloads[index].queue() else { return };
        let batch_size = source.batch_size.max(1) as usize;
        let visibility_ms = i64::from(source.visibility_s) * 1000;
        let max_receive = source.max_receive;
        let max_batches = (5.0 * self.scale.max(1.0)).ceil() as usize;
        let Some(queue) = self.state[index].queue.as_mut() else { return };
        let mut ready: Vec<usize> =
            (0..queue.messages.len()).filter(|i| queue.messages[*i].available_ms <= t).collect();
        ready.sort_by_key(|i| queue.messages[*i].sent_ms);
        ready.truncate(batch_size * max_batches);
        let mut batches: Vec<Vec<Message>> = Vec::new();
        for chunk in ready.chunks(batch_size) {
            let mut batch = Vec::new();
            for &i in chunk {
                let message = &mut queue.messages[i];
                message.receives += 1;
                message.available_ms = t + visibility_ms;
                batch.push(message.clone());
            }
            batches.push(batch);
        }
        let received: usize = batches.iter().map(Vec::len).sum();
        let ids = queue.ids;
        self.metrics.add(ids.received, self.minute, received as f64);
        // Outcomes are applied once per poll: a message leaves the queue when its batch succeeded, or to the
        // dead-letter queue when it failed for the last allowed time.
        let mut processed: BTreeSet<String> = BTreeSet::new();
        let mut failed: BTreeSet<String> = BTreeSet::new();
        for (n, batch) in batches.into_iter().enumerate() {
            let start = t + 15 + n as i64 * 7;
            let execution = self.run_lambda(index, start, Trigger::Batch { messages: batch });
            if let Trigger::Batch { messages } = &execution.trigger {
                let target = if execution.outcome == Outcome::Ok { &mut processed } else { &mut failed };
                target.extend(messages.iter().map(|m| m.id.clone()));
            }
            self.emit(&execution);
        }
        let Some(queue) = self.state[index].queue.as_mut() else { return };
        let mut dead = 0;
        queue.messages.retain(|m| {
            if processed.contains(&m.id) {
                return false;
            }
            let exhausted = failed.contains(&m.id) && m.receives >= max_receive;
            dead += u32::from(exhausted);
            !exhausted
        });
        queue.dlq += dead;
        self.metrics.add(ids.deleted, self.minute, processed.len() as f64);
    }

    /// Gauges sampled once a minute: capacity, queue depth, ECS utilisation, database state.
    fn minute_gauges(&mut self, t0: i64) {
        let minute = self.minute;
        let t_mid = t0 + 30_000;
        for table in self.tables.values() {
            if let Some((read_id, write_id)) = table.provisioned {
                self.metrics.add(read_id, minute, table.read_units);
                self.metrics.add(write_id, minute, table.write_units);
            }
        }
        for index in 0..self.sys.workloads.len() {
            let t_end = t0 + 59_000;
            if let Some(queue) = self.state[index].queue.as_ref() {
                let visible = queue.messages.iter().filter(|m| m.available_ms <= t_end).count();
                let oldest = queue.messages.iter().map(|m| m.sent_ms).min().map_or(0, |sent| (t_end - sent) / 1000);
                let ids = queue.ids;
                let dlq = queue.dlq;
                self.metrics.add(ids.visible, minute, visible as f64);
                self.metrics.add(ids.age, minute, oldest.max(0) as f64);
                self.metrics.add(ids.dlq_visible, minute, f64::from(dlq));
            }
            if let Some(lambda) = self.state[index].lambda.as_mut() {
                let peak = lambda.peak_concurrency;
                lambda.peak_concurrency = 0;
                if peak > 0 {
                    let id = lambda.ids.concurrency;
                    self.metrics.add(id, minute, f64::from(peak));
                }
            }
            self.ecs_gauges(index, t_mid);
            self.db_gauges(index, t0);
            self.cache_gauges(index, t0);
            self.compute_gauges(index, t0);
        }
    }

    fn ecs_gauges(&mut self, index: usize, t: i64) {
        let sys = self.sys;
        let Some(service) = sys.workloads[index].compute.ecs() else { return };
        let limit = f64::from(service.memory_mb);
        let desired = self.faults_at(index, t).find_map(|(fault, _)| match fault.effect {
            Effect::ScaleOut { desired } => Some(desired),
            _ => None,
        });
        let tasks_wanted = f64::from(desired.unwrap_or(service.tasks));
        let cpu_per_request = 900.0 / f64::from(service.cpu_units);
        let Some(ecs) = self.state[index].ecs.as_mut() else { return };
        let running: Vec<&Task> = ecs.tasks.iter().filter(|task| task.ready_ms <= t && task.stop_ms > t).collect();
        let healthy = running.len() as f64 - self.compute.unhealthy_targets(index, &ecs.tasks, t);
        let jitter: Vec<f64> = running.iter().map(|_| uniform(&mut self.rng, -0.012, 0.012)).collect();
        let memory: Vec<f64> = running
            .iter()
            .zip(jitter)
            .map(|(task, jitter)| ((task.memory_mb / limit + jitter) * 100.0).clamp(1.0, 100.0))
            .collect();
        let requests = f64::from(ecs.requests_this_minute);
        ecs.requests_this_minute = 0;
        let ids = ecs.ids;
        let minute = self.minute;
        if !memory.is_empty() {
            let average = memory.iter().sum::<f64>() / memory.len() as f64;
            let max = memory.iter().copied().fold(0.0, f64::max);
            self.metrics.add(ids.memory, minute, average);
            self.metrics.add(ids.memory_max, minute, max);
            let cpu = 6.0 + requests * cpu_per_request / healthy.max(1.0) / 60.0 + uniform(&mut self.rng, 0.0, 4.0);
            let (cpu, cpu_max) =
                self.compute.cpu_utilisation(index, minute, cpu, cpu * uniform(&mut self.rng, 1.1, 1.6));
            self.metrics.add(ids.cpu, minute, cpu.min(100.0));
            self.metrics.add(ids.cpu_max, minute, cpu_max.min(100.0));
        }
        self.metrics.add(ids.healthy, minute, healthy.min(tasks_wanted));
        self.metrics.add(ids.unhealthy, minute, (tasks_wanted - healthy).max(0.0));
    }

    fn db_gauges(&mut self, index: usize, t0: i64) {
        let Some(db_state) = self.state[index].db.clone() else { return };
        let mut connect_block = 0.0;
        let mut fill: Option<&Fault> = None;
        let mut max_connections: Option<u32> = None;
        // Looked up whether or not it started yet, so its read series cover the whole window.
        let faults: &[Fault] = self.faults;
        let failover = faults.iter().find(|f| f.workload == index && matches!(f.effect, Effect::DbFailover { .. }));
        if let Some(rotation) =
            faults.iter().find(|f| f.workload == index && matches!(f.effect, Effect::StaleCredentials { .. }))
        {
            self.emit_rotation_lines(index, rotation, t0);
        }
        let mut load_cpu = 0.0;
        for (fault, strength) in self.faults_at(index, t0 + 30_000) {
            match fault.effect {
                // Pools lose the connections they cannot replace, as they do when the database is unreachable.
                Effect::DepError { error: DepError::ConnectTimeout, .. } | Effect::StaleCredentials { .. } => {
                    connect_block = strength
                }
                Effect::DbLoad { cpu, .. } => load_cpu += cpu * strength,
                Effect::DiskFill { .. } => fill = Some(fault),
                Effect::ConnectionCap { max_connections: max, .. } => max_connections = Some(max),
                _ => {}
            }
        }
        // The share of the minute the database was unreachable, and how cold its cache still is (1 right after).
        let (down, cold) = match failover.map(|f| (f.start_ms, &f.effect)) {
            Some((start, Effect::DbFailover { outage_ms, warmup_ms, .. })) => {
                let end = start + outage_ms;
                let overlap = (end.min(t0 + 60_000) - start.max(t0)).max(0) as f64 / 60_000.0;
                let cold = if t0 + 30_000 >= end { 1.0 - (t0 + 30_000 - end) as f64 / *warmup_ms as f64 } else { 0.0 };
                (overlap, cold.clamp(0.0, 1.0))
            }
            _ => (0.0, 0.0),
        };
        if let Some(fault) = failover {
            self.emit_db_failover_lines(index, db_state.dep, fault, t0);
            self.db_cache_gauges(index, db_state.dep, down, cold);
        }
        let tasks = self.running_tasks(index, t0);
        // RDS samples its connections a few times a minute: a minute spent largely unreachable reads as empty.
        let reachable = if down >= 0.25 { 0.0 } else { 1.0 - down };
        let wanted = tasks * db_state.pool * (1.0 - connect_block) * reachable;
        let connections = match max_connections {
            // Pools fill every free slot; the reserved ones stay free for the administrators.
            Some(max) if wanted >= f64::from(max.saturating_sub(RESERVED_CONNECTIONS)) => {
                self.emit_db_refused_lines(index, db_state.dep, t0);
                f64::from(max.saturating_sub(RESERVED_CONNECTIONS)) + uniform(&mut self.rng, 0.0, 2.0).round()
            }
            _ => (wanted + uniform(&mut self.rng, 0.0, 3.0)).round(),
        };
        let free = match fill {
            Some(fault) => {
                let progress = fault.strength(t0 + 30_000);
                let floor = uniform(&mut self.rng, 20.0e6, 90.0e6);
                floor + (db_state.free_bytes - floor) * (1.0 - progress)
            }
            None => db_state.free_bytes - self.minute as f64 * 2.0e6,
        };
        let ids = db_state.ids;
        let minute = self.minute;
        self.metrics.add(ids.connections, minute, connections);
        self.metrics.add(ids.cpu, minute, uniform(&mut self.rng, 4.0, 14.0) * (1.0 - down) + 30.0 * cold + load_cpu);
        self.metrics.add(ids.free, minute, free.round());
        self.metrics.add(ids.write_latency, minute, uniform(&mut self.rng, 0.0012, 0.0035));
        if let Some(fault) = fill
            && fault.strength(t0) >= 1.0
        {
            self.emit_db_full_lines(index, db_state.dep, t0);
        }
    }

    /// Read activity of a database after a failover: storage reads (and their latency) jump while the buffer cache
    /// warms up. Only a failing-over database gets these series.
    fn db_cache_gauges(&mut self, index: usize, dep: usize, down: f64, cold: f64) {
        let sys = self.sys;
        let Some(Dep::Database(db)) = sys.workloads[index].deps.get(dep) else { return };
        let dims = [("DBInstanceIdentifier", db.id.as_str())];
        let iops = self.metrics.id("AWS/RDS", "ReadIOPS", &dims, Stat::Average, "Count/Second");
        let latency = self.metrics.id("AWS/RDS", "ReadLatency", &dims, Stat::Average, "Seconds");
        let minute = self.minute;
        let base_iops = uniform(&mut self.rng, 8.0, 40.0);
        self.metrics.add(iops, minute, (base_iops + 900.0 * cold) * (1.0 - down));
        let base_latency = uniform(&mut self.rng, 0.0006, 0.0014);
        self.metrics.add(latency, minute, base_latency * (1.0 + 8.0 * cold) * (1.0 - down));
    }

    /// The version live at `t` (index into the state's version list).
    fn live_version(versions: &[Version], t: i64) -> usize {
        versions.iter().rposition(|v| v.live_from_ms <= t).unwrap_or(0)
    }

    pub(super) fn run_lambda(&mut self, index: usize, t: i64, trigger: Trigger) -> Execution {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let Compute::Lambda(function) = &workload.compute else {
            return self.run_ecs(index, t, trigger);
        };
        let tf = t as f64;
        let mut limit = function.reserved_concurrency;
        let mut timeout_s = f64::from(function.timeout_s);
        let mut leak = 0.0;
        for (fault, _) in self.faults_at(index, t) {
            match fault.effect {
                Effect::ConcurrencyLimit { limit: value } => limit = Some(value),
                Effect::Timeout { seconds } => timeout_s = seconds,
                Effect::MemoryLeak { mb_per_request } => leak = mb_per_request,
                _ => {}
            }
        }
        let request_id = uuid(&mut self.rng);
        let sampled = workload.xray && chance(&mut self.rng, self.state[index].sample_rate);
        let trace_id = super::random::trace_id(&mut self.rng, t);
        let segment_id = hex(&mut self.rng, 16);
        let edge_request_id = match workload.api().map(|api| api.kind) {
            Some(super::model::ApiKind::Http) => format!("{}=", super::random::alnum(&mut self.rng, 15)),
            _ => uuid(&mut self.rng),
        };
        let path = self.concrete_path(index, &trigger);
        let memory_size = f64::from(self.lambda_memory(index, t, function.memory_mb));
        let init_slowdown = self.init_slowdown(index, t, function.memory_mb);
        let date_path = super::clock::date_path(t);
        let uses_alias = function.alias.is_some();
        let runtime = function.runtime;

        let mut execution = Execution {
            workload: index,
            arrival_ms: t,
            request_id,
            edge_request_id,
            trigger,
            path,
            stream: String::new(),
            version_label: String::new(),
            cold_init_ms: None,
            exec_start_ms: tf,
            duration_ms: 0.0,
            calls: Vec::new(),
            outcome: Outcome::Ok,
            memory_used_mb: 0,
            sampled,
            trace_id,
            segment_id,
            host: String::new(),
            thread: 0,
            new_instance: false,
            version_live_from: 0,
        };
        let Some(lambda) = self.state[index].lambda.as_mut() else { return execution };
        lambda.containers.retain(|c| tf - c.busy_until.max(c.last_used) < 9.0 * 60_000.0);
        let busy = lambda.containers.iter().filter(|c| c.busy_until > tf).count() as u32;
        if limit.is_some_and(|limit| busy >= limit) {
            execution.outcome = Outcome::Throttled;
            execution.sampled = false;
            return execution;
        }
        lambda.peak_concurrency = lambda.peak_concurrency.max(busy + 1);
        let version = Self::live_version(&lambda.versions, t);
        let label = if uses_alias { lambda.versions[version].label.clone() } else { "$LATEST".to_string() };
        execution.version_live_from = lambda.versions[version].live_from_ms;
        let reusable = lambda
            .containers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.busy_until <= tf && c.version == version)
            .max_by(|a, b| a.1.last_used.total_cmp(&b.1.last_used))
            .map(|(i, _)| i);
        let base_memory = lambda.base_memory_mb;
        let container_index = match reusable {
            Some(i) => i,
            None => {
                let hex_len = if uses_alias { 24 } else { 32 };
                let stream = format!("{date_path}/[{label}]{}", hex(&mut self.rng, hex_len));
                lambda.containers.push(Container {
                    stream,
                    busy_until: tf,
                    last_used: tf,
                    version,
                    memory_mb: base_memory,
                });
                let init = init_duration(&mut self.rng, runtime);
                // Less memory, less CPU: a cold start takes longer (Lambda stops an init phase at ten seconds).
                execution.cold_init_ms =
                    Some(init_slowdown.map_or(init, |slowdown| (init * slowdown).min(9_600.0 + init % 397.0)));
                execution.new_instance = true;
                lambda.containers.len() - 1
            }
        };
        execution.stream = lambda.containers[container_index].stream.clone();
        execution.version_label = if uses_alias { label } else { "$LATEST".to_string() };
        let init = execution.cold_init_ms.unwrap_or(0.0);
        execution.exec_start_ms = tf + init + uniform(&mut self.rng, 0.5, 3.0);
        if execution.new_instance {
            self.cold_starts.push((t, index));
        }

        let mut elapsed = match runtime {
            Runtime::Node => uniform(&mut self.rng, 1.0, 4.0),
            Runtime::Python => uniform(&mut self.rng, 1.5, 6.0),
            Runtime::Java => uniform(&mut self.rng, 2.0, 8.0),
        };
        // Secrets are fetched once per container.
        if execution.new_instance
            && let Some(secret) = sys.workloads[index].dep_index(|d| matches!(d, Dep::Secret(_)))
        {
            let call =
                self.call(index, Op { dep: secret, action: Action::GetSecretValue }, execution.exec_start_ms + elapsed);
            elapsed += call.duration_ms + 1.0;
            let failed = matches!(call.status, CallStatus::Failed(_));
            let failure = if let CallStatus::Failed(failure) = &call.status { Some(failure.clone()) } else { None };
            execution.calls.push(call);
            if failed && let Some(failure) = failure {
                execution.outcome = Outcome::Failed(failure);
            }
        }
        if execution.outcome == Outcome::Ok {
            elapsed = self.execute_trigger(index, &mut execution, elapsed);
        }
        elapsed += self.handler_cpu(index, t, &execution.trigger, memory_size);
        let peak_memory = self.handler_peak_memory(index, t, &execution.trigger);
        let duration = elapsed + uniform(&mut self.rng, 0.2, 1.5);
        execution.duration_ms = duration;
        if duration > timeout_s * 1000.0 {
            execution.duration_ms = timeout_s * 1000.0 + uniform(&mut self.rng, 0.5, 12.0);
            execution.outcome = Outcome::TimedOut { seconds: timeout_s };
            let cutoff = execution.exec_start_ms + timeout_s * 1000.0;
            execution.calls.retain(|call| call.start_ms < cutoff);
        }
        let Some(lambda) = self.state[index].lambda.as_mut() else { return execution };
        let container = &mut lambda.containers[container_index];
        container.memory_mb += leak + uniform(&mut self.rng, 0.0, 0.08);
        let used_mb = peak_memory.map_or(container.memory_mb, |peak| container.memory_mb.max(peak));
        if used_mb >= memory_size {
            execution.outcome = Outcome::OutOfMemory;
            execution.memory_used_mb = memory_size as u32;
            container.busy_until = f64::MAX / 4.0;
            container.last_used = f64::MAX / 4.0;
            if peak_memory.is_some() {
                // A killed environment frees its concurrency at once (left as it was for the kinds before, so
                // their bundles keep their bytes).
                container.busy_until = execution.end_ms();
                container.last_used = execution.end_ms();
            }
            // The environment is gone: it will be reaped, the next request cold-starts.
            container.version = usize::MAX;
        } else {
            execution.memory_used_mb = used_mb.round() as u32;
            container.busy_until = execution.exec_start_ms + execution.duration_ms;
            container.last_used = container.busy_until;
        }
        execution
    }

    /// Runs the work of a trigger; returns the elapsed milliseconds.
    fn execute_trigger(&mut self, index: usize, execution: &mut Execution, mut elapsed: f64) -> f64 {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let start = execution.exec_start_ms;
        match execution.trigger.clone() {
            Trigger::Request { route, .. } => {
                let Some(route_def) = workload.routes.get(route) else { return elapsed };
                if let Some(reason) = self.client_error(route_def.kind) {
                    if reason == ClientReason::Validation("") {
                        execution.outcome =
                            Outcome::Client(ClientReason::Validation(pick::<&str>(&mut self.rng, VALIDATION_ERRORS)));
                        return elapsed + uniform(&mut self.rng, 0.5, 2.0);
                    }
                    let ops: Vec<Op> = route_def.ops.iter().take(1).copied().collect();
                    elapsed = self.run_ops(index, execution, &ops, start + elapsed, elapsed);
                    if execution.outcome == Outcome::Ok {
                        if let Some(call) = execution.calls.last_mut() {
                            call.status = if reason == ClientReason::NotFound {
                                CallStatus::NotFound
                            } else {
                                CallStatus::Conditional
                            };
                        }
                        execution.outcome = Outcome::Client(reason);
                    }
                    return elapsed;
                }
                let broken = self
                    .defect_for(index, route, execution.version_live_from)
                    .map(|variant| Failure::CodeDefect { variant })
                    .or_else(|| self.flag_failure(index, route, start as i64));
                if let Some(failure) = broken {
                    let ops: Vec<Op> = route_def.ops.iter().filter(|op| !op.action.is_write()).copied().collect();
                    elapsed = self.run_ops(index, execution, &ops, start + elapsed, elapsed);
                    if execution.outcome == Outcome::Ok {
                        execution.outcome = Outcome::Failed(failure);
                    }
                    return elapsed;
                }
                if chance(&mut self.rng, 0.0015) {
                    let ops: Vec<Op> = route_def.ops.iter().take(1).copied().collect();
                    elapsed = self.run_ops(index, execution, &ops, start + elapsed, elapsed);
                    if execution.outcome == Outcome::Ok {
                        execution.outcome = Outcome::Failed(Failure::ConnReset { endpoint: self.aws_endpoint(index) });
                    }
                    return elapsed;
                }
                let ops = route_def.ops.clone();
                self.run_ops(index, execution, &ops, start + elapsed, elapsed)
            }
            Trigger::Batch { messages } => {
                let ops = workload.routes.first().map(|r| r.ops.clone()).unwrap_or_default();
                for message in &messages {
                    if let Some(variant) = message.poison {
                        elapsed += uniform(&mut self.rng, 0.5, 3.0);
                        execution.outcome = Outcome::Failed(Failure::Poison { variant });
                        execution.path = message.id.clone();
                        return elapsed;
                    }
                    elapsed = self.run_ops(index, execution, &ops, start + elapsed, elapsed);
                    if execution.outcome != Outcome::Ok {
                        return elapsed;
                    }
                }
                elapsed
            }
            Trigger::Stream { records, .. } => {
                let ops = workload.routes.first().map(|r| r.ops.clone()).unwrap_or_default();
                elapsed += f64::from(records) * uniform(&mut self.rng, 0.05, 0.2);
                self.run_ops(index, execution, &ops, start + elapsed, elapsed)
            }
            Trigger::Job => {
                if let Entry::Schedule(schedule) = &workload.entry
                    && schedule.job == JobKind::ErpSync
                {
                    let failure = Failure::HttpTimeout { host: schedule.erp_host.clone(), timeout_ms: 10_000 };
                    execution.outcome = Outcome::Failed(failure);
                    return elapsed + 10_000.0 + uniform(&mut self.rng, 5.0, 400.0);
                }
                if let Entry::Schedule(schedule) = &workload.entry
                    && let JobKind::Report { run_s, .. } = schedule.job
                {
                    // The report's queries: their load on the database is planned as a fault of its owner.
                    elapsed += f64::from(run_s) * 1000.0 * uniform(&mut self.rng, 0.97, 1.03);
                }
                let ops = workload.routes.first().map(|r| r.ops.clone()).unwrap_or_default();
                elapsed += uniform(&mut self.rng, 20.0, 90.0);
                self.run_ops(index, execution, &ops, start + elapsed, elapsed)
            }
        }
    }

    fn client_error(&mut self, kind: RouteKind) -> Option<ClientReason> {
        let roll: f64 = uniform(&mut self.rng, 0.0, 1.0);
        match kind {
            RouteKind::Get if roll < 0.03 => Some(ClientReason::NotFound),
            RouteKind::Create | RouteKind::Update if roll < 0.02 => Some(ClientReason::Validation("")),
            RouteKind::Update if roll < 0.03 => Some(ClientReason::Duplicate),
            _ => None,
        }
    }

    /// The defect variant hitting this route on the serving code version, if any.
    fn defect_for(&mut self, index: usize, route: usize, version_live_from: i64) -> Option<usize> {
        let mut hit = None;
        for fault in self.faults.iter().filter(|f| f.workload == index) {
            if let Effect::Defect { route: bad_route, variant, probability } = fault.effect
                && bad_route == route
                && version_live_from >= fault.start_ms
                && fault.end_ms > version_live_from
                && chance(&mut self.rng, probability)
            {
                hit = Some(variant);
            }
        }
        hit
    }

    fn run_ops(&mut self, index: usize, execution: &mut Execution, ops: &[Op], mut t: f64, mut elapsed: f64) -> f64 {
        for op in ops {
            let call = self.call(index, *op, t);
            let step = call.duration_ms + uniform(&mut self.rng, 0.2, 1.2);
            t += step;
            elapsed += step;
            let failure = match &call.status {
                CallStatus::Failed(failure) => Some(failure.clone()),
                _ => None,
            };
            // A cache hit answers the request's reads; a failed best-effort cache write is logged and passed over.
            let hit = op.action == Action::CacheGet && call.status == CallStatus::Ok;
            execution.calls.push(call);
            if let Some(failure) = failure
                && op.action != Action::CacheSet
            {
                execution.outcome = Outcome::Failed(failure);
                break;
            }
            if hit {
                break;
            }
        }
        elapsed
    }

    fn aws_endpoint(&self, index: usize) -> String {
        let workload = &self.sys.workloads[index];
        let service = if workload.table().is_some() { "dynamodb" } else { "sqs" };
        format!("{service}.{}.amazonaws.com", self.sys.region)
    }

    fn principal(&self, index: usize) -> String {
        let workload = &self.sys.workloads[index];
        let session = match &workload.compute {
            Compute::Lambda(function) => function.name.clone(),
            Compute::Ecs(_) => hex_session(workload.name()),
        };
        format!("arn:aws:sts::{}:assumed-role/{}/{session}", self.sys.account, workload.compute.role())
    }

    fn denied(&self, index: usize, t: i64, action: &str) -> bool {
        self.faults_at(index, t).any(|(fault, _)| match &fault.effect {
            Effect::Deny { actions } => actions.iter().any(|a| a == action),
            _ => false,
        })
    }

    /// One call to a dependency at time `t`.
    pub fn call(&mut self, index: usize, op: Op, t: f64) -> CallResult {
        let ti = t as i64;
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let aws_request_id = super::random::aws_request_id(&mut self.rng);
        let mut result = CallResult {
            op,
            start_ms: t,
            duration_ms: baseline_latency(&mut self.rng, op.action),
            status: CallStatus::Ok,
            retries: 0,
            throttled: false,
            aws_request_id,
        };
        let Some(dep) = workload.deps.get(op.dep) else { return result };
        if let Some(action) = op.action.iam_action()
            && self.denied(index, ti, &action)
        {
            let (service, resource) = match dep {
                Dep::Table(table) => ("dynamodb", self.sys.arn("dynamodb", &format!("table/{}", table.name))),
                Dep::Bucket(bucket) => ("s3", format!("arn:aws:s3:::{bucket}/*")),
                Dep::Secret(secret) => ("secretsmanager", secret.arn.clone()),
                Dep::Publish(queue) => ("sqs", self.sys.arn("sqs", queue)),
                _ => ("dynamodb", String::new()),
            };
            result.duration_ms = uniform(&mut self.rng, 4.0, 14.0);
            result.status = CallStatus::Failed(Failure::AccessDenied {
                action,
                resource,
                principal: self.principal(index),
                operation: op.action.operation(),
                service,
            });
            return result;
        }
        if let Some(failure) = self.unusable_dependency(index, op, dep, ti) {
            result.duration_ms = uniform(&mut self.rng, 3.0, 12.0);
            result.status = CallStatus::Failed(failure);
            return result;
        }
        // Under heavy demand everything downstream gets a little slower.
        let (demand, _) = self.demand(index, ti);
        let contention = 1.0 + 0.05 * (demand - 1.0);
        result.duration_ms *= contention;
        let reset = self.faults_at(index, ti).any(|(fault, strength)| {
            matches!(fault.effect, Effect::DepError { dep, error: DepError::ConnReset, .. } if dep == op.dep)
                && strength > 0.0
        });
        if reset && !matches!(dep, Dep::Http(_)) {
            let probability = self
                .faults_at(index, ti)
                .find_map(|(fault, _)| match fault.effect {
                    Effect::DepError { dep, error: DepError::ConnReset, probability, .. } if dep == op.dep => {
                        Some(probability)
                    }
                    _ => None,
                })
                .unwrap_or(0.0);
            if chance(&mut self.rng, probability) {
                result.duration_ms = uniform(&mut self.rng, 2.0, 30.0);
                let endpoint = match dep {
                    Dep::Database(db) => db.endpoint.clone(),
                    _ => format!("dynamodb.{}.amazonaws.com", sys.region),
                };
                result.status = CallStatus::Failed(Failure::ConnReset { endpoint });
                return result;
            }
        }
        match dep {
            Dep::Table(table) => self.table_call(index, &table.name, table.write_units, &mut result),
            Dep::Database(db) => {
                let running_tasks = self.running_tasks(index, ti);
                for (fault, strength) in self.faults_at(index, ti) {
                    match &fault.effect {
                        Effect::ConnectionCap { dep, max_connections, pool }
                            if *dep == op.dep && result.status == CallStatus::Ok =>
                        {
                            let wanted = running_tasks * f64::from(*pool);
                            let slots = f64::from(max_connections.saturating_sub(RESERVED_CONNECTIONS));
                            if wanted > slots && chance(&mut self.rng, 1.0 - slots / wanted) {
                                let waited_ms =
                                    if workload.compute.runtime() == Runtime::Java { HIKARI_WAIT_MS } else { 0 };
                                result.duration_ms = f64::from(waited_ms) + uniform(&mut self.rng, 3.0, 25.0);
                                result.status = CallStatus::Failed(Failure::TooManyConnections {
                                    endpoint: db.endpoint.clone(),
                                    ip: db.ip.clone(),
                                    port: db.engine.port(),
                                    engine: db.engine,
                                    waited_ms,
                                });
                            }
                        }
                        Effect::DepError { dep, error: DepError::ConnectTimeout, probability, .. }
                            if *dep == op.dep && chance(&mut self.rng, probability * strength) =>
                        {
                            let timeout_ms = match workload.compute.runtime() {
                                Runtime::Node => 5_000,
                                Runtime::Python => 10_000,
                                Runtime::Java => 30_000,
                            };
                            result.duration_ms = f64::from(timeout_ms) + uniform(&mut self.rng, 1.0, 40.0);
                            result.status = CallStatus::Failed(Failure::DbConnect {
                                endpoint: db.endpoint.clone(),
                                ip: db.ip.clone(),
                                port: db.engine.port(),
                                engine: db.engine,
                                timeout_ms,
                            });
                        }
                        Effect::DbFailover { dep, outage_ms, cut_ms, warmup_ms, graceful } if *dep == op.dep => {
                            let since = ti - fault.start_ms;
                            let java = workload.compute.runtime() == Runtime::Java;
                            let in_flight = since < *cut_ms;
                            let left = outage_ms - since;
                            if since >= outage_ms + warmup_ms {
                                continue;
                            }
                            if left <= 0 {
                                // A cold buffer cache: reads go to storage until the working set is back in memory.
                                let cold = 1.0 - (-left) as f64 / *warmup_ms as f64;
                                result.duration_ms *= lognormal(&mut self.rng, 1.0 + 14.0 * cold, 0.6);
                            } else if java && !in_flight && left < i64::from(HIKARI_WAIT_MS) {
                                // Hikari keeps trying for its whole connectionTimeout: a short rest of the outage
                                // only delays the request.
                                result.duration_ms += left as f64 + uniform(&mut self.rng, 20.0, 250.0);
                            } else {
                                let waited_ms = if java && !in_flight { HIKARI_WAIT_MS } else { 0 };
                                result.duration_ms = f64::from(waited_ms)
                                    + if in_flight {
                                        uniform(&mut self.rng, 2.0, 400.0)
                                    } else {
                                        uniform(&mut self.rng, 0.5, 4.0)
                                    };
                                result.status = CallStatus::Failed(Failure::DbFailover {
                                    endpoint: db.endpoint.clone(),
                                    ip: db.ip.clone(),
                                    port: db.engine.port(),
                                    engine: db.engine,
                                    in_flight,
                                    graceful: *graceful,
                                    waited_ms,
                                });
                            }
                        }
                        Effect::DbLoad { dep, slowdown, .. } if *dep == op.dep => {
                            let weight = if op.action.is_write() { 1.0 / 3.0 } else { 1.0 };
                            result.duration_ms *= 1.0 + lognormal(&mut self.rng, slowdown * strength * weight, 0.5);
                        }
                        Effect::StaleCredentials { dep, .. }
                            if *dep == op.dep && result.status == CallStatus::Ok && chance(&mut self.rng, strength) =>
                        {
                            result.status = CallStatus::Failed(self.refused_login(index, db, ti));
                            if let CallStatus::Failed(Failure::AuthFailed { waited_ms, .. }) = &result.status {
                                result.duration_ms = f64::from(*waited_ms) + uniform(&mut self.rng, 4.0, 30.0);
                            }
                        }
                        Effect::DiskFill { dep } if *dep == op.dep && op.action.is_write() && strength >= 1.0 => {
                            result.duration_ms = uniform(&mut self.rng, 2.0, 9.0);
                            result.status = CallStatus::Failed(Failure::DiskFull {
                                engine: db.engine,
                                table: workload.domain.plural.replace('-', "_"),
                            });
                        }
                        _ => {}
                    }
                }
            }
            Dep::Http(http) => {
                result.duration_ms = lognormal(&mut self.rng, http.median_ms, 0.35) * contention;
                let mut timeout_ms = http.timeout_ms;
                for (fault, strength) in self.faults_at(index, ti) {
                    match &fault.effect {
                        Effect::RateLimit { dep, per_minute } if *dep == op.dep => {
                            if let Some(retry_after_s) = self.over_quota(index, op.dep, *per_minute, ti) {
                                result.duration_ms = uniform(&mut self.rng, 12.0, 60.0);
                                result.status = CallStatus::Failed(Failure::RateLimited {
                                    host: http.host.clone(),
                                    path: http.path.to_string(),
                                    retry_after_s,
                                    body: rate_limit_body(*per_minute, retry_after_s),
                                });
                            }
                        }
                        Effect::HttpTimeout { dep, timeout_ms: value } if *dep == op.dep => timeout_ms = *value,
                        Effect::DepSlow { dep, extra_median_ms } if *dep == op.dep => {
                            result.duration_ms += lognormal(&mut self.rng, extra_median_ms * strength, 0.45);
                        }
                        Effect::DepError { dep, error, probability, .. }
                            if *dep == op.dep && chance(&mut self.rng, probability * strength) =>
                        {
                            let path = http.path.to_string();
                            let host = http.host.clone();
                            let (duration, failure) = match error {
                                DepError::Unauthorized => (
                                    uniform(&mut self.rng, 25.0, 70.0),
                                    Failure::HttpStatus {
                                        host,
                                        path,
                                        status: 401,
                                        body: UNAUTHORIZED_BODY.to_string(),
                                    },
                                ),
                                DepError::Upstream503 => (
                                    uniform(&mut self.rng, 20.0, 90.0),
                                    Failure::HttpStatus {
                                        host,
                                        path,
                                        status: 503,
                                        body: "upstream unavailable".to_string(),
                                    },
                                ),
                                DepError::DnsNotFound => {
                                    (uniform(&mut self.rng, 1.0, 12.0), Failure::DnsNotFound { host, path })
                                }
                                DepError::TlsExpired => (
                                    uniform(&mut self.rng, 18.0, 60.0),
                                    Failure::TlsExpired { host, path, not_after: tls_not_after(ti) },
                                ),
                                DepError::ConnReset | DepError::ConnectTimeout => {
                                    (uniform(&mut self.rng, 5.0, 40.0), Failure::ConnReset { endpoint: host })
                                }
                            };
                            result.duration_ms = duration;
                            result.status = CallStatus::Failed(failure);
                        }
                        _ => {}
                    }
                }
                if result.status == CallStatus::Ok && result.duration_ms > f64::from(timeout_ms) {
                    result.duration_ms = f64::from(timeout_ms) + uniform(&mut self.rng, 0.5, 6.0);
                    result.status = CallStatus::Failed(Failure::HttpTimeout { host: http.host.clone(), timeout_ms });
                }
            }
            Dep::Cache(cache) => self.cache_call(index, cache, &mut result),
            Dep::Stream(_) => self.put_record(index, op.dep, &mut result),
            Dep::Bucket(_) | Dep::Secret(_) | Dep::Publish(_) | Dep::Credentials(_) => {}
        }
        result
    }

    /// A dependency the workload cannot use at all: a misconfigured name, or a KMS key it can no longer use.
    fn unusable_dependency(&mut self, index: usize, op: Op, dep: &Dep, t: i64) -> Option<Failure> {
        let operation = op.action.operation();
        for (fault, strength) in self.faults_at(index, t) {
            match &fault.effect {
                Effect::Misconfigured { dep: target, value } if *target == op.dep => {
                    return match dep {
                        Dep::Table(_) => {
                            Some(Failure::ResourceMissing { service: "dynamodb", operation, name: value.clone() })
                        }
                        Dep::Publish(_) => {
                            Some(Failure::ResourceMissing { service: "sqs", operation, name: value.clone() })
                        }
                        Dep::Http(http) => {
                            Some(Failure::DnsNotFound { host: value.clone(), path: http.path.to_string() })
                        }
                        _ => None,
                    };
                }
                Effect::BucketDeny { dep: target, actions } if *target == op.dep => {
                    let (Some(action), Dep::Bucket(bucket)) = (op.action.iam_action(), dep) else { continue };
                    if !actions.contains(&action) {
                        continue;
                    }
                    let plural = self.sys.workloads[index].domain.plural;
                    let key =
                        format!("{plural}/{}/{}.pdf", super::clock::ymd(t), super::random::alnum(&mut self.rng, 14));
                    return Some(Failure::PolicyDenied {
                        action,
                        resource: format!("arn:aws:s3:::{bucket}/{key}"),
                        principal: self.principal(index),
                        operation,
                    });
                }
                Effect::KeyUnusable { dep: target, key_arn, pending_deletion }
                    if *target == op.dep && chance(&mut self.rng, strength) =>
                {
                    let (service, resource) = match dep {
                        Dep::Table(table) => ("dynamodb", table.name.clone()),
                        Dep::Bucket(bucket) => ("s3", bucket.clone()),
                        _ => continue,
                    };
                    return Some(Failure::KeyUnusable {
                        service,
                        operation,
                        resource,
                        key_arn: key_arn.clone(),
                        pending_deletion: *pending_deletion,
                        kms_request_id: uuid(&mut self.rng),
                    });
                }
                _ => {}
            }
        }
        None
    }

    /// Counts one call against the provider's per-minute quota; over it, the seconds until the window resets.
    fn over_quota(&mut self, index: usize, dep: usize, per_minute: u32, t: i64) -> Option<u32> {
        let window = t.div_euclid(60_000);
        let used = self.quota_used.entry((index, dep)).or_insert((window, 0));
        if window > used.0 {
            *used = (window, 0);
        } else if window < used.0 {
            // A call that started in the previous window was counted there.
            return None;
        }
        if used.1 >= per_minute {
            return Some((((window + 1) * 60_000 - t + 999) / 1000).max(1) as u32);
        }
        used.1 += 1;
        None
    }

    /// ECS tasks running at `t` (2 for other compute, whose connections the database barely notices).
    fn running_tasks(&self, index: usize, t: i64) -> f64 {
        self.state[index]
            .ecs
            .as_ref()
            .map_or(2.0, |ecs| ecs.tasks.iter().filter(|task| task.ready_ms <= t && task.stop_ms > t).count() as f64)
    }

    fn table_call(&mut self, index: usize, table_name: &str, write_units: f64, result: &mut CallResult) {
        let runtime = self.sys.workloads[index].compute.runtime();
        let minute = self.minute;
        let operation = result.op.action.operation();
        let is_write = result.op.action.is_write();
        let units = match result.op.action {
            Action::TransactWriteItems => write_units * 2.0,
            Action::BatchWriteItem => write_units * 3.0,
            _ if is_write => write_units,
            Action::Query => uniform(&mut self.rng, 1.0, 8.0).round() / 2.0,
            _ => 0.5,
        };
        let cut = self.faults_at(index, result.start_ms as i64).find_map(|(fault, _)| match fault.effect {
            Effect::CapacityCut { dep, write_units } if dep == result.op.dep => Some((fault.start_ms, write_units)),
            _ => None,
        });
        let Some(table) = self.tables.get_mut(table_name) else { return };
        let mut throttled_attempts: u32 = 0;
        let max_attempts = if runtime == Runtime::Python { 10 } else { 3 };
        if is_write && table.provisioned.is_some() {
            if let Some((cut_at, capacity)) = cut
                && (table.write_units - f64::from(capacity)).abs() > f64::EPSILON
            {
                // The burst allowance is capped by the new, smaller capacity.
                refill(table, cut_at as f64);
                table.write_units = f64::from(capacity);
                table.tokens = table.tokens.min(f64::from(capacity) * 300.0);
            }
            let mut t = result.start_ms;
            loop {
                refill(table, t);
                if table.tokens >= units {
                    table.tokens -= units;
                    break;
                }
                throttled_attempts += 1;
                if throttled_attempts >= max_attempts {
                    break;
                }
                let backoff = 25.0 * 2f64.powi(throttled_attempts.min(6) as i32) * uniform(&mut self.rng, 0.5, 1.0);
                result.duration_ms += backoff + lognormal(&mut self.rng, 4.0, 0.3);
                t += backoff;
            }
        }
        let (consumed_read, consumed_write) = (table.consumed_read, table.consumed_write);
        let failed = throttled_attempts > 0 && throttled_attempts >= max_attempts;
        if !failed {
            let consumed = if is_write { consumed_write } else { consumed_read };
            self.metrics.add(consumed, minute, units);
            let latency = self.metrics.id(
                "AWS/DynamoDB",
                "SuccessfulRequestLatency",
                &[("TableName", table_name), ("Operation", operation)],
                Stat::Average,
                "Milliseconds",
            );
            self.metrics.add(latency, minute, (result.duration_ms * 0.8).max(1.0));
        }
        if throttled_attempts > 0 {
            result.retries = throttled_attempts;
            result.throttled = true;
            let throttled = self.metrics.id(
                "AWS/DynamoDB",
                "ThrottledRequests",
                &[("TableName", table_name), ("Operation", operation)],
                Stat::Sum,
                "Count",
            );
            self.metrics.add(throttled, minute, f64::from(throttled_attempts));
            let events = self.metrics.id(
                "AWS/DynamoDB",
                "WriteThrottleEvents",
                &[("TableName", table_name)],
                Stat::Sum,
                "Count",
            );
            self.metrics.add(events, minute, f64::from(throttled_attempts) * units);
        }
        if failed {
            result.status = CallStatus::Failed(Failure::Throttled { table: table_name.to_string(), operation });
        }
    }

    fn run_ecs(&mut self, index: usize, t: i64, trigger: Trigger) -> Execution {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let tf = t as f64;
        let sampled = workload.xray && chance(&mut self.rng, self.state[index].sample_rate);
        let path = self.concrete_path(index, &trigger);
        let mut execution = Execution {
            workload: index,
            arrival_ms: t,
            request_id: uuid(&mut self.rng),
            edge_request_id: format!("Root=1-{:08x}-{}", t / 1000, hex(&mut self.rng, 24)),
            trigger,
            path,
            stream: String::new(),
            version_label: String::new(),
            cold_init_ms: None,
            exec_start_ms: tf + uniform(&mut self.rng, 0.3, 1.5),
            duration_ms: 0.0,
            calls: Vec::new(),
            outcome: Outcome::Ok,
            memory_used_mb: 0,
            sampled,
            trace_id: super::random::trace_id(&mut self.rng, t),
            segment_id: hex(&mut self.rng, 16),
            host: String::new(),
            thread: self.rng.random_range_u32(1, 10),
            new_instance: false,
            version_live_from: 0,
        };
        let Some(service) = workload.compute.ecs() else { return execution };
        let limit = f64::from(service.memory_mb);
        self.advance_targets(index, t);
        let Some(ecs) = self.state[index].ecs.as_mut() else { return execution };
        let routable = |task: &Task| {
            task.ready_ms <= t && (task.stop_ms > t || task.deregistered_ms.is_some_and(|until| t < until))
        };
        let alive: Vec<usize> = (0..ecs.tasks.len()).filter(|i| routable(&ecs.tasks[*i])).collect();
        let alive = self.compute.routable(index, alive);
        if alive.is_empty() {
            execution.outcome = Outcome::Unavailable;
            execution.sampled = false;
            execution.duration_ms = uniform(&mut self.rng, 0.5, 2.0);
            return execution;
        }
        ecs.next = ecs.next.wrapping_add(1);
        let task_index = alive[ecs.next % alive.len()];
        ecs.requests_this_minute += 1;
        let task = &ecs.tasks[task_index];
        if task.stop_ms <= t {
            execution.outcome = Outcome::Refused;
            execution.sampled = false;
            execution.duration_ms = uniform(&mut self.rng, 0.5, 3.0);
            return execution;
        }
        execution.stream = task.stream.clone();
        execution.host = task.host.clone();
        execution.version_label = ecs.versions[task.version].label.clone();
        execution.version_live_from = ecs.versions[task.version].live_from_ms;
        let Some(extra) = self.admit_to_target(index, task_index, &mut execution) else { return execution };
        let elapsed = uniform(&mut self.rng, 1.0, 5.0);
        let elapsed = self.execute_trigger(index, &mut execution, elapsed);
        execution.duration_ms = elapsed + extra;
        let Some(ecs) = self.state[index].ecs.as_mut() else { return execution };
        let task = &mut ecs.tasks[task_index];
        if let Some((since, fill_ms)) = task.growth {
            let progress = ((t - since) as f64 / fill_ms).max(0.0);
            task.memory_mb = task.base_mb + (limit - task.base_mb) * progress;
        }
        execution.memory_used_mb = task.memory_mb.round() as u32;
        if task.memory_mb >= limit {
            execution.outcome = Outcome::Killed;
            let died = (execution.end_ms()) as i64;
            task.stop_ms = died;
            task.deregistered_ms = Some(died + self.rng.random_range_ms(15_000, 40_000));
            let restart_delay = self.rng.random_range_ms(40_000, 90_000);
            let version = task.version;
            let base_mb = task.base_mb;
            let growth = task.growth.map(|(_, fill_ms)| (died + restart_delay, fill_ms));
            let id = hex(&mut self.rng, 32);
            let container = service.container.clone();
            let host = ecs_host(&mut self.rng);
            ecs.tasks.push(Task {
                growth,
                ..Task::started(format!("ecs/{container}/{id}"), version, died + restart_delay, host, base_mb)
            });
        }
        execution
    }

    /// Replaces `{id}` in the route template with a concrete id.
    fn concrete_path(&mut self, index: usize, trigger: &Trigger) -> String {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        match trigger {
            Trigger::Request { route, .. } => {
                let template = workload.routes.get(*route).map(|r| r.template.as_str()).unwrap_or("/");
                if template.contains("{id}") {
                    let len = 10 + self.rng.random_range_usize(0, 3);
                    let id = format!("{}_{}", workload.domain.id_prefix, super::random::alnum(&mut self.rng, len));
                    template.replace("{id}", &id)
                } else {
                    template.to_string()
                }
            }
            _ => String::new(),
        }
    }
}

const VALIDATION_ERRORS: &[&str] = &[
    "quantity must be >= 1",
    "email is not valid",
    "postalCode is required",
    "missing field: currency",
    "date must be in the future",
];

/// Connection slots a database keeps for administrators (PostgreSQL's reserved slots, RDS's own sessions).
const RESERVED_CONNECTIONS: u32 = 3;

/// Hikari's default `connectionTimeout`.
const HIKARI_WAIT_MS: u32 = 30_000;

fn rate_limit_body(per_minute: u32, retry_after_s: u32) -> String {
    format!(
        "{{\"error\":\"rate_limit_exceeded\",\"message\":\"Rate limit of {per_minute} requests per minute exceeded for this API key. Retry after {retry_after_s} seconds.\"}}"
    )
}

const UNAUTHORIZED_BODY: &str =
    "{\"error\":\"invalid_api_key\",\"message\":\"The API key provided is expired or has been revoked.\"}";

fn tls_not_after(t: i64) -> String {
    let expired = super::clock::civil(t - 3_600_000 * 5);
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{} {:02} {:02}:00:00 UTC {}",
        months[(expired.month as usize + 11) % 12],
        expired.day,
        expired.hour,
        expired.year
    )
}

fn refill(table: &mut TableState, t: f64) {
    if t > table.last_refill_ms {
        table.tokens =
            (table.tokens + (t - table.last_refill_ms) / 1000.0 * table.write_units).min(table.write_units * 300.0);
        table.last_refill_ms = t;
    }
}

fn hex_session(name: &str) -> String {
    format!("{}-{:08x}", name.to_lowercase(), super::random::stable_hash(&[name]) as u32)
}

pub(super) fn ecs_host(rng: &mut SimRng) -> String {
    format!("ip-10-0-{}-{}.ec2.internal", rng.random_range_u32(0, 63), rng.random_range_u32(4, 250))
}

fn init_table(metrics: &mut Metrics, table: &super::model::Table) -> TableState {
    let dims = [("TableName", table.name.as_str())];
    let (read, write) = table.provisioned.map_or((0.0, 0.0), |(r, w)| (f64::from(r), f64::from(w)));
    TableState {
        read_units: read,
        write_units: write,
        tokens: write * 300.0,
        last_refill_ms: 0.0,
        consumed_read: metrics.id("AWS/DynamoDB", "ConsumedReadCapacityUnits", &dims, Stat::Sum, "Count"),
        consumed_write: metrics.id("AWS/DynamoDB", "ConsumedWriteCapacityUnits", &dims, Stat::Sum, "Count"),
        provisioned: table.provisioned.map(|_| {
            (
                metrics.id("AWS/DynamoDB", "ProvisionedReadCapacityUnits", &dims, Stat::Average, "Count"),
                metrics.id("AWS/DynamoDB", "ProvisionedWriteCapacityUnits", &dims, Stat::Average, "Count"),
            )
        }),
    }
}

fn lambda_ids(metrics: &mut Metrics, name: &str) -> LambdaIds {
    let dims = [("FunctionName", name)];
    LambdaIds {
        invocations: metrics.id("AWS/Lambda", "Invocations", &dims, Stat::Sum, "Count"),
        errors: metrics.id("AWS/Lambda", "Errors", &dims, Stat::Sum, "Count"),
        throttles: metrics.id("AWS/Lambda", "Throttles", &dims, Stat::Sum, "Count"),
        duration: metrics.id("AWS/Lambda", "Duration", &dims, Stat::Average, "Milliseconds"),
        concurrency: metrics.id("AWS/Lambda", "ConcurrentExecutions", &dims, Stat::Maximum, "Count"),
    }
}

fn edge_ids(metrics: &mut Metrics, workload: &Workload) -> Option<EdgeIds> {
    match &workload.entry {
        Entry::Api(api) => {
            let (dims, names): (Vec<(&str, &str)>, [&str; 2]) = match api.kind {
                super::model::ApiKind::Rest => {
                    (vec![("ApiName", &api.name), ("Stage", &api.stage)], ["4XXError", "5XXError"])
                }
                super::model::ApiKind::Http => (vec![("ApiId", &api.id), ("Stage", &api.stage)], ["4xx", "5xx"]),
            };
            Some(EdgeIds {
                count: metrics.id("AWS/ApiGateway", "Count", &dims, Stat::Sum, "Count"),
                client_errors: metrics.id("AWS/ApiGateway", names[0], &dims, Stat::Sum, "Count"),
                server_errors: metrics.id("AWS/ApiGateway", names[1], &dims, Stat::Sum, "Count"),
                latency: metrics.id("AWS/ApiGateway", "Latency", &dims, Stat::Average, "Milliseconds"),
                latency_p99: metrics.id("AWS/ApiGateway", "Latency", &dims, Stat::P99, "Milliseconds"),
                integration: Some(metrics.id(
                    "AWS/ApiGateway",
                    "IntegrationLatency",
                    &dims,
                    Stat::Average,
                    "Milliseconds",
                )),
                success: None,
                elb_errors: None,
            })
        }
        Entry::Alb(alb) => {
            let dims = [("LoadBalancer", alb.dimension.as_str())];
            Some(EdgeIds {
                count: metrics.id("AWS/ApplicationELB", "RequestCount", &dims, Stat::Sum, "Count"),
                client_errors: metrics.id("AWS/ApplicationELB", "HTTPCode_Target_4XX_Count", &dims, Stat::Sum, "Count"),
                server_errors: metrics.id("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", &dims, Stat::Sum, "Count"),
                latency: metrics.id("AWS/ApplicationELB", "TargetResponseTime", &dims, Stat::Average, "Seconds"),
                latency_p99: metrics.id("AWS/ApplicationELB", "TargetResponseTime", &dims, Stat::P99, "Seconds"),
                integration: None,
                success: Some(metrics.id("AWS/ApplicationELB", "HTTPCode_Target_2XX_Count", &dims, Stat::Sum, "Count")),
                elb_errors: Some(metrics.id("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", &dims, Stat::Sum, "Count")),
            })
        }
        _ => None,
    }
}

fn versions_for(initial: String, faults: &[&Fault]) -> Vec<Version> {
    let mut versions = vec![Version { live_from_ms: i64::MIN / 2, label: initial }];
    let mut deploys: Vec<(i64, String)> = faults
        .iter()
        .filter_map(|f| match &f.effect {
            Effect::Deploy { label } => Some((f.start_ms, label.clone())),
            _ => None,
        })
        .collect();
    deploys.sort();
    for (at, label) in deploys {
        versions.push(Version { live_from_ms: at, label });
    }
    versions
}

fn init_workload(
    rng: &mut SimRng,
    metrics: &mut Metrics,
    workload: &Workload,
    faults: &[&Fault],
    config: &SimConfig,
) -> WorkloadState {
    let mut clients = Vec::new();
    for _ in 0..60 {
        clients.push((public_ip(rng), *pick(rng, USER_AGENTS)));
    }
    let expected = (workload.rate_per_min * config.scale).max(0.5);
    let mut state = WorkloadState {
        lambda: None,
        ecs: None,
        queue: None,
        db: None,
        edge: edge_ids(metrics, workload),
        // About one sampled trace every two minutes per workload, whatever the scale.
        sample_rate: (0.6 / expected).min(0.2),
        phase: uniform(rng, 0.0, std::f64::consts::TAU),
        clients,
        job_offset_s: rng.random_range_i64(2, 50),
        access_stream: hex(rng, 32),
        execution_stream: hex(rng, 32),
        logs_retries: chance(rng, 0.5),
    };
    match &workload.compute {
        Compute::Lambda(function) => {
            let base_memory = match function.runtime {
                Runtime::Node => uniform(rng, 72.0, 118.0),
                Runtime::Python => uniform(rng, 64.0, 104.0),
                Runtime::Java => uniform(rng, 140.0, 210.0),
            };
            let label = if function.alias.is_some() { function.version.to_string() } else { "$LATEST".to_string() };
            state.lambda = Some(LambdaState {
                containers: Vec::new(),
                versions: versions_for(label, faults),
                base_memory_mb: base_memory.min(f64::from(function.memory_mb) * 0.6),
                peak_concurrency: 0,
                ids: lambda_ids(metrics, &function.name),
            });
        }
        Compute::Ecs(service) => {
            let versions = versions_for(service.revision.to_string(), faults);
            let dims = [("ClusterName", service.cluster.as_str()), ("ServiceName", service.service.as_str())];
            let ids = EcsIds {
                cpu: metrics.id("AWS/ECS", "CPUUtilization", &dims, Stat::Average, "Percent"),
                cpu_max: metrics.id("AWS/ECS", "CPUUtilization", &dims, Stat::Maximum, "Percent"),
                memory: metrics.id("AWS/ECS", "MemoryUtilization", &dims, Stat::Average, "Percent"),
                memory_max: metrics.id("AWS/ECS", "MemoryUtilization", &dims, Stat::Maximum, "Percent"),
                healthy: {
                    let alb = workload.alb().map(|a| (a.target_group.clone(), a.dimension.clone())).unwrap_or_default();
                    metrics.id(
                        "AWS/ApplicationELB",
                        "HealthyHostCount",
                        &[("TargetGroup", &alb.0), ("LoadBalancer", &alb.1)],
                        Stat::Minimum,
                        "Count",
                    )
                },
                unhealthy: {
                    let alb = workload.alb().map(|a| (a.target_group.clone(), a.dimension.clone())).unwrap_or_default();
                    metrics.id(
                        "AWS/ApplicationELB",
                        "UnHealthyHostCount",
                        &[("TargetGroup", &alb.0), ("LoadBalancer", &alb.1)],
                        Stat::Maximum,
                        "Count",
                    )
                },
            };
            let limit = f64::from(service.memory_mb);
            let base_memory = limit * uniform(rng, 0.28, 0.42);
            let growth = faults.iter().find_map(|f| match f.effect {
                Effect::MemoryGrowth { fill_ms } => Some((f.start_ms, fill_ms)),
                _ => None,
            });
            let mut tasks = Vec::new();
            for n in 0..service.tasks {
                let id = hex(rng, 32);
                let spread = limit * uniform(rng, 0.0, 0.05);
                // Tasks fill up one after another, a few minutes apart.
                let task_growth = growth.map(|(since, fill_ms)| {
                    (
                        since,
                        fill_ms as f64
                            + f64::from(n) * uniform(rng, 60_000.0, 240_000.0)
                            + uniform(rng, 20_000.0, 90_000.0),
                    )
                });
                tasks.push(Task {
                    announced: true,
                    growth: task_growth,
                    ..Task::started(
                        format!("ecs/{}/{id}", service.container),
                        0,
                        config.start_ms - rng.random_range_i64(3_600_000, 40 * 3_600_000),
                        ecs_host(rng),
                        base_memory + spread,
                    )
                });
            }
            // Rolling deployments: each new-revision task replaces one old task.
            for (version_index, version) in versions.iter().enumerate().skip(1) {
                let old: Vec<usize> = (0..tasks.len()).filter(|i| tasks[*i].stop_ms == i64::MAX).collect();
                for (n, old_index) in old.into_iter().enumerate() {
                    let ready = version.live_from_ms + 40_000 + n as i64 * 35_000 + rng.random_range_i64(0, 10_000);
                    tasks[old_index].stop_ms = ready + 15_000;
                    let id = hex(rng, 32);
                    tasks.push(Task::started(
                        format!("ecs/{}/{id}", service.container),
                        version_index,
                        ready,
                        ecs_host(rng),
                        base_memory,
                    ));
                }
            }
            // A scale-out starts the extra tasks one after another.
            for fault in faults {
                let Effect::ScaleOut { desired } = fault.effect else { continue };
                for n in 0..desired.saturating_sub(service.tasks) {
                    let ready = fault.start_ms + 45_000 + i64::from(n) * rng.random_range_i64(4_000, 15_000);
                    tasks.push(Task::started(
                        format!("ecs/{}/{}", service.container, hex(rng, 32)),
                        versions.iter().rposition(|v| v.live_from_ms <= ready).unwrap_or(0),
                        ready,
                        ecs_host(rng),
                        base_memory,
                    ));
                }
            }
            state.ecs = Some(EcsState { tasks, versions, next: 0, requests_this_minute: 0, ids });
        }
    }
    if let Some(queue) = workload.queue() {
        let dims = [("QueueName", queue.queue.as_str())];
        let dlq = [("QueueName", queue.dlq.as_str())];
        state.queue = Some(QueueState {
            messages: Vec::new(),
            dlq: 0,
            ids: QueueIds {
                sent: metrics.id("AWS/SQS", "NumberOfMessagesSent", &dims, Stat::Sum, "Count"),
                received: metrics.id("AWS/SQS", "NumberOfMessagesReceived", &dims, Stat::Sum, "Count"),
                deleted: metrics.id("AWS/SQS", "NumberOfMessagesDeleted", &dims, Stat::Sum, "Count"),
                visible: metrics.id("AWS/SQS", "ApproximateNumberOfMessagesVisible", &dims, Stat::Maximum, "Count"),
                age: metrics.id("AWS/SQS", "ApproximateAgeOfOldestMessage", &dims, Stat::Maximum, "Seconds"),
                dlq_visible: metrics.id("AWS/SQS", "ApproximateNumberOfMessagesVisible", &dlq, Stat::Maximum, "Count"),
            },
        });
    }
    if let Some((dep, db)) = workload.database() {
        let dims = [("DBInstanceIdentifier", db.id.as_str())];
        // Drawn in this order whatever the faults, so other bundles keep their bytes.
        let free_bytes = f64::from(db.allocated_gb) * 1.0e9 * uniform(rng, 0.25, 0.6);
        let drawn_pool = f64::from(*pick(rng, &[5u32, 10, 10, 20]));
        let pool = faults
            .iter()
            .find_map(|f| match f.effect {
                Effect::ConnectionCap { pool, .. } => Some(f64::from(pool)),
                _ => None,
            })
            .unwrap_or(drawn_pool);
        state.db = Some(DbState {
            dep,
            free_bytes,
            pool,
            ids: DbIds {
                connections: metrics.id("AWS/RDS", "DatabaseConnections", &dims, Stat::Average, "Count"),
                cpu: metrics.id("AWS/RDS", "CPUUtilization", &dims, Stat::Average, "Percent"),
                free: metrics.id("AWS/RDS", "FreeStorageSpace", &dims, Stat::Average, "Bytes"),
                write_latency: metrics.id("AWS/RDS", "WriteLatency", &dims, Stat::Average, "Seconds"),
            },
        });
    }
    state
}

/// Small helpers on the generator for the integer ranges the simulator draws.
pub trait RngRanges {
    fn random_ms(&mut self) -> i64;
    fn random_range_ms(&mut self, low: i64, high: i64) -> i64;
    fn random_range_i64(&mut self, low: i64, high: i64) -> i64;
    fn random_range_u32(&mut self, low: u32, high: u32) -> u32;
    fn random_range_usize(&mut self, low: usize, high: usize) -> usize;
    fn random_index(&mut self, len: usize) -> usize;
}

impl RngRanges for SimRng {
    fn random_ms(&mut self) -> i64 {
        rand::Rng::random_range(self, 0..60_000)
    }

    fn random_range_ms(&mut self, low: i64, high: i64) -> i64 {
        self.random_range_i64(low, high)
    }

    fn random_range_i64(&mut self, low: i64, high: i64) -> i64 {
        if high <= low { low } else { rand::Rng::random_range(self, low..high) }
    }

    fn random_range_u32(&mut self, low: u32, high: u32) -> u32 {
        if high <= low { low } else { rand::Rng::random_range(self, low..high) }
    }

    fn random_range_usize(&mut self, low: usize, high: usize) -> usize {
        if high <= low { low } else { rand::Rng::random_range(self, low..high) }
    }

    fn random_index(&mut self, len: usize) -> usize {
        self.random_range_usize(0, len)
    }
}

/// Behaviour of caches, rotated passwords and feature flags.
impl Sim<'_> {
    /// One Redis command: hits and misses while the node has room; once it is full, evictions of keys with a TTL,
    /// and refused writes when none are left.
    fn cache_call(&mut self, index: usize, cache: &Cache, result: &mut CallResult) {
        let (full, drained) = self.cache_pressure(index, result.op.dep, result.start_ms as i64);
        let dims = [("CacheClusterId", cache.primary.as_str())];
        let minute = self.minute;
        if result.op.action == Action::CacheGet {
            let gets = self.metrics.id("AWS/ElastiCache", "GetTypeCmds", &dims, Stat::Sum, "Count");
            self.metrics.add(gets, minute, 1.0);
            // Evictions take the keys with a TTL first, and those are the cached lookups.
            let hit = chance(&mut self.rng, cache.hit_ratio * (1.0 - 0.85 * drained));
            let name = if hit { "CacheHits" } else { "CacheMisses" };
            let id = self.metrics.id("AWS/ElastiCache", name, &dims, Stat::Sum, "Count");
            self.metrics.add(id, minute, 1.0);
            if !hit {
                result.status = CallStatus::NotFound;
            }
            return;
        }
        let sets = self.metrics.id("AWS/ElastiCache", "SetTypeCmds", &dims, Stat::Sum, "Count");
        self.metrics.add(sets, minute, 1.0);
        if full && chance(&mut self.rng, 0.95 * drained) {
            result.status = CallStatus::Failed(Failure::CacheOom { command: result.op.action.operation() });
        } else if full {
            let evictions = self.metrics.id("AWS/ElastiCache", "Evictions", &dims, Stat::Sum, "Count");
            let evicted = uniform(&mut self.rng, 1.0, 3.0).round();
            self.metrics.add(evictions, minute, evicted);
        }
    }

    /// Whether cache dependency `dep` is at `maxmemory` at `t`, and how far the keys it may evict are used up (0-1).
    fn cache_pressure(&self, index: usize, dep: usize, t: i64) -> (bool, f64) {
        self.faults
            .iter()
            .filter(|fault| fault.workload == index)
            .find_map(|fault| match fault.effect {
                Effect::CacheFill { dep: filled, drain_ms } if filled == dep => {
                    let full_at = fault.start_ms + fault.ramp_ms;
                    Some((t >= full_at, ((t - full_at) as f64 / drain_ms.max(1) as f64).clamp(0.0, 1.0)))
                }
                _ => None,
            })
            .unwrap_or((false, 0.0))
    }

    /// ElastiCache's per-minute view of a workload's caches: memory, items, hit rate, engine CPU and connections.
    fn cache_gauges(&mut self, index: usize, t0: i64) {
        let sys = self.sys;
        let t = t0 + 30_000;
        for (dep, entry) in sys.workloads[index].deps.iter().enumerate() {
            let Dep::Cache(cache) = entry else { continue };
            // Looked up whether or not it started yet: memory climbs towards the limit from the window's start.
            let progress = self
                .faults
                .iter()
                .find(|f| f.workload == index && matches!(f.effect, Effect::CacheFill { dep: d, .. } if d == dep))
                .map_or(0.0, |f| ((t - f.start_ms) as f64 / f.ramp_ms.max(1) as f64).clamp(0.0, 1.0));
            let (full, drained) = self.cache_pressure(index, dep, t);
            let percent = if full {
                uniform(&mut self.rng, 99.6, 100.2)
            } else {
                cache.used_percent + (100.0 - cache.used_percent) * progress + uniform(&mut self.rng, -0.05, 0.05)
            };
            let bytes = cache.maxmemory_bytes * percent / 100.0;
            let dims = [("CacheClusterId", cache.primary.as_str())];
            let minute = self.minute;
            // Commands of the minute (zero when there were none), and everything counted so far.
            let mut counted = [0.0; 5];
            for (n, name) in ["CacheHits", "CacheMisses", "GetTypeCmds", "SetTypeCmds", "Evictions"].iter().enumerate()
            {
                let id = self.metrics.id("AWS/ElastiCache", name, &dims, Stat::Sum, "Count");
                self.metrics.add(id, minute, 0.0);
                let points = self.metrics.datapoints(id);
                counted[n] = if n < 2 {
                    points.iter().find(|p| p.0 == t0).map_or(0.0, |p| p.1)
                } else {
                    points.iter().map(|p| p.1).sum()
                };
            }
            let [hits, misses, _, sets, evicted] = counted;
            // The lists without a TTL grow in size, not in number; most writes replace or refresh a key.
            let items = (cache.maxmemory_bytes * cache.used_percent / 100.0 / 1900.0 + 0.2 * sets - evicted).round();
            let evicting = if full { 3.0 + 6.0 * (1.0 - drained) } else { 0.0 };
            let cpu = uniform(&mut self.rng, 1.5, 4.5) + evicting;
            let connections = self.running_tasks(index, t) * 2.0 + uniform(&mut self.rng, 2.0, 5.0).round();
            let gauges = [
                ("DatabaseMemoryUsagePercentage", "Percent", percent),
                ("BytesUsedForCache", "Bytes", bytes.round()),
                ("CurrItems", "Count", items),
                ("EngineCPUUtilization", "Percent", cpu),
                ("CurrConnections", "Count", connections),
            ];
            for (name, unit, value) in gauges {
                let id = self.metrics.id("AWS/ElastiCache", name, &dims, Stat::Average, unit);
                self.metrics.add(id, minute, value);
            }
            if hits + misses > 0.0 {
                let id = self.metrics.id("AWS/ElastiCache", "CacheHitRate", &dims, Stat::Average, "Percent");
                self.metrics.add(id, minute, 100.0 * hits / (hits + misses));
            }
        }
    }

    /// The failure a feature flag's code path raises on this request of `route`, if the flag reached it.
    fn flag_failure(&mut self, index: usize, route: usize, t: i64) -> Option<Failure> {
        let mut failure = None;
        for (fault, strength) in self.faults_at(index, t) {
            if let Effect::FlagPath { route: flagged, variant, share } = fault.effect
                && flagged == route
                && chance(&mut self.rng, share * strength)
            {
                failure = Some(Failure::FlagPath { variant });
            }
        }
        failure
    }

    /// A new connection presenting the old password: the driver's error, and PostgreSQL's log line of it.
    fn refused_login(&mut self, index: usize, db: &Database, t: i64) -> Failure {
        let client_ip = self.task_ip(index, t);
        self.emit_auth_failed_line(db, t, &client_ip);
        let java = self.sys.workloads[index].compute.runtime() == Runtime::Java;
        Failure::AuthFailed {
            endpoint: db.endpoint.clone(),
            ip: db.ip.clone(),
            port: db.engine.port(),
            engine: db.engine,
            client_ip,
            waited_ms: if java { HIKARI_WAIT_MS } else { 0 },
        }
    }

    /// The private address of one of the workload's running tasks (another address of the app subnets otherwise).
    fn task_ip(&mut self, index: usize, t: i64) -> String {
        let hosts: Vec<String> = self.state[index]
            .ecs
            .as_ref()
            .map(|ecs| {
                ecs.tasks
                    .iter()
                    .filter(|task| task.ready_ms <= t && task.stop_ms > t)
                    .map(|task| task.host.clone())
                    .collect()
            })
            .unwrap_or_default();
        let host = match hosts.get(self.rng.random_index(hosts.len())) {
            Some(host) => host.clone(),
            None => ecs_host(&mut self.rng),
        };
        host.trim_start_matches("ip-").split('.').next().unwrap_or_default().replace('-', ".")
    }
}
