//! What a scenario injects into the simulation: timed effects on one workload (capacity cuts, denied actions,
//! dependency errors and slowness, deployments with defects, concurrency limits, demand, leaks, timeouts, poison,
//! unusable encryption keys, connection limits, provider quotas, misconfigured names, scale-outs, database failovers,
//! full caches, busy databases, denying bucket policies, rotated passwords, feature flags, CPU-heavy code paths,
//! impaired Availability Zones, stream shard counts and consumer costs, Lambda handler profiles and memory sizes).

/// An error a dependency starts returning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepError {
    /// The provider rejects the API key (HTTP 401).
    Unauthorized,
    DnsNotFound,
    TlsExpired,
    /// New connections to the database time out (a blocked security group).
    ConnectTimeout,
    /// The provider answers 503.
    Upstream503,
    /// Transient connection resets.
    ConnReset,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Provisioned write capacity of table dependency `dep` becomes `write_units` per second.
    CapacityCut {
        dep: usize,
        write_units: u32,
    },
    /// IAM actions the workload's role may no longer perform.
    Deny {
        actions: Vec<String>,
    },
    DepError {
        dep: usize,
        error: DepError,
        probability: f64,
        writes_only: bool,
    },
    /// The dependency gets slower by a log-normal extra delay with this median.
    DepSlow {
        dep: usize,
        extra_median_ms: f64,
    },
    /// A new version (Lambda) or task definition revision (ECS) goes live at the fault's start.
    Deploy {
        label: String,
    },
    /// Requests to `route` on code deployed at or after the fault start fail with a code defect.
    Defect {
        route: usize,
        variant: usize,
        probability: f64,
    },
    /// Reserved concurrency limit of the function.
    ConcurrencyLimit {
        limit: u32,
    },
    /// Request rate multiplier; `synthetic` marks announced load-test traffic.
    Demand {
        multiplier: f64,
        synthetic: bool,
    },
    /// Memory each request leaks in the serving Lambda execution environment.
    MemoryLeak {
        mb_per_request: f64,
    },
    /// ECS task memory grows steadily; the first task is full `fill_ms` after its start (later ones a little later).
    MemoryGrowth {
        fill_ms: i64,
    },
    /// The function timeout becomes this many seconds.
    Timeout {
        seconds: f64,
    },
    /// The HTTP client timeout for dependency `dep` becomes this many milliseconds.
    HttpTimeout {
        dep: usize,
        timeout_ms: u32,
    },
    /// This fraction of new queue messages cannot be processed.
    Poison {
        fraction: f64,
        variant: usize,
    },
    /// Database storage fills from the fault start until it is full at start + ramp.
    DiskFill {
        dep: usize,
    },
    /// The customer-managed KMS key encrypting table or bucket dependency `dep` can no longer be used (disabled,
    /// or pending deletion); the strength is the share of calls whose cached data key has expired.
    KeyUnusable {
        dep: usize,
        key_arn: String,
        pending_deletion: bool,
    },
    /// The database dependency `dep` accepts at most `max_connections`; every running task keeps a pool of `pool`.
    ConnectionCap {
        dep: usize,
        max_connections: u32,
        pool: u32,
    },
    /// The ECS service runs `desired` tasks from the fault start (new tasks start over the next minutes).
    ScaleOut {
        desired: u32,
    },
    /// The provider behind HTTP dependency `dep` accepts `per_minute` calls per clock minute and answers 429 after.
    RateLimit {
        dep: usize,
        per_minute: u32,
    },
    /// The database dependency `dep` fails over from the fault start: for `outage_ms` it is unreachable (statements
    /// in flight during the first `cut_ms` are cut off, a fast shutdown when `graceful`), then it serves again
    /// but slowly, from a cold buffer cache, for `warmup_ms`.
    DbFailover {
        dep: usize,
        outage_ms: i64,
        cut_ms: i64,
        warmup_ms: i64,
        graceful: bool,
    },
    /// The workload addresses dependency `dep` by a wrong name (table name, queue URL or host) from its
    /// configuration.
    Misconfigured {
        dep: usize,
        value: String,
    },
    /// The cache dependency `dep` fills from its usual memory use at the fault start to full at start + ramp;
    /// then Redis evicts keys that have a TTL, and once those are gone (`drain_ms` later) it refuses writes.
    CacheFill {
        dep: usize,
        drain_ms: i64,
    },
    /// The database dependency `dep` is busy with other work: its CPU rises by `cpu` points and reads take about
    /// `1 + slowdown` times as long (writes a third of that).
    DbLoad {
        dep: usize,
        cpu: f64,
        slowdown: f64,
    },
    /// The policy of bucket dependency `dep` explicitly denies these S3 actions to the workload.
    BucketDeny {
        dep: usize,
        actions: Vec<String>,
    },
    /// The password of database dependency `dep` changed at the fault start (the rotation behind it began at
    /// `rotation_ms` and wrote the secret `credentials` as `version`); as pooled connections are replaced over
    /// the ramp, new ones fail authentication.
    StaleCredentials {
        dep: usize,
        credentials: usize,
        rotation_ms: i64,
        version: String,
    },
    /// A feature flag switched on a code path of `route` that fails for `share` of its requests.
    FlagPath {
        route: usize,
        variant: usize,
        share: f64,
    },
    /// `share` of the requests to `route` take a code path that needs `cpu_ms` of CPU time (on one vCPU) at full
    /// strength; an ECS task's vCPUs run the requests' CPU bursts one after another.
    CpuHeavy {
        route: usize,
        share: f64,
        cpu_ms: f64,
    },
    /// The Availability Zone `zone` (index into the service's EC2 capacity zones) is impaired from the fault start:
    /// a request or health check reaching an instance there fails with probability `severity`. At `replace_ms`
    /// the Auto Scaling group terminates those instances; each replacement (in another zone) runs a task from its
    /// ready time.
    AzImpaired {
        zone: usize,
        severity: f64,
        replace_ms: i64,
        replacements: Vec<(super::model::Instance, i64)>,
    },
    /// Stream dependency `dep` has `shards` open shards from the fault start (pairs of its shards merged).
    ShardCount {
        dep: usize,
        shards: u32,
    },
    /// A stream consumer spends `ms_per_record` on each record; its event source mapping hands it at most
    /// `max_batch` records per invocation.
    RecordCost {
        ms_per_record: f64,
        max_batch: u32,
    },
    /// What a Lambda handler needs besides waiting on its calls: `cpu_ms` of CPU time per request on a full vCPU
    /// (1,769 MB), and a typical peak memory of `peak_mb` (runtime included, what REPORT calls Max Memory Used);
    /// requests to `heavy_route` need `heavy_cpu` times the CPU and `heavy_memory` times the memory.
    HandlerProfile {
        cpu_ms: f64,
        peak_mb: f64,
        heavy_route: usize,
        heavy_cpu: f64,
        heavy_memory: f64,
    },
    /// The function's memory size becomes `mb`, and its share of CPU shrinks with it.
    MemorySize {
        mb: u32,
    },
}

/// One effect on one workload over a time span.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub workload: usize,
    pub start_ms: i64,
    pub end_ms: i64,
    /// The effect grows linearly to full strength over this many milliseconds.
    pub ramp_ms: i64,
    pub effect: Effect,
}

impl Fault {
    pub fn new(workload: usize, start_ms: i64, effect: Effect) -> Fault {
        Fault { workload, start_ms, end_ms: i64::MAX, ramp_ms: 0, effect }
    }

    pub fn ramp(mut self, ramp_ms: i64) -> Fault {
        self.ramp_ms = ramp_ms;
        self
    }

    pub fn until(mut self, end_ms: i64) -> Fault {
        self.end_ms = end_ms;
        self
    }

    /// Strength at `t` in 0..=1.
    pub fn strength(&self, t: i64) -> f64 {
        if t < self.start_ms || t >= self.end_ms {
            return 0.0;
        }
        if self.ramp_ms <= 0 {
            return 1.0;
        }
        ((t - self.start_ms) as f64 / self.ramp_ms as f64).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_ramps_and_ends() {
        let fault = Fault::new(0, 1000, Effect::Timeout { seconds: 3.0 }).ramp(1000).until(5000);
        assert_eq!(fault.strength(500), 0.0);
        assert!((fault.strength(1500) - 0.5).abs() < 1e-9);
        assert_eq!(fault.strength(2500), 1.0);
        assert_eq!(fault.strength(5000), 0.0);
    }
}
