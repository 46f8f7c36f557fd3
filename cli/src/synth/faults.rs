//! What a scenario injects into the simulation: timed effects on one workload (capacity cuts, denied actions,
//! dependency errors and slowness, deployments with defects, concurrency limits, demand, leaks, timeouts, poison,
//! unusable encryption keys, connection limits, provider quotas, misconfigured names, scale-outs, database failovers).

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
