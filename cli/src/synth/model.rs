//! The simulated system: workloads (entry point → compute → dependencies), how each is built from a template
//! with randomised names, runtimes and sizes, and the free-text architecture description a team would write.

pub use super::naming::NamingStyle;
use super::naming::{Company, DOMAINS, Domain, INTERNAL_SERVICES, Namer, PEOPLE, PROVIDERS, REGIONS, camel};
use super::random::{
    SimRng, chance, digits, hex, lower_alnum, pick, private_ip, range_u32, uniform, upper_hex, weighted,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Node,
    Python,
    Java,
}

/// How an application prints its log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStyle {
    /// Lambda Node.js `console.log(JSON)`: `time\trequestId\tLEVEL\t{json}`.
    NodeTabJson,
    /// Lambda Node.js with a JSON logger (pino-like): one JSON object per line.
    NodePino,
    /// Lambda Python with Powertools Logger: JSON with `level`, `location`, `message`, `timestamp`.
    Powertools,
    /// Lambda Java with log4j2: `2025-09-22 12:32:02.197 <requestId> INFO  Handler - text key=value`.
    JavaText,
    /// ECS Node.js with pino: numeric levels, epoch-ms `time`.
    EcsPino,
    /// ECS Java Spring Boot default console pattern.
    EcsSpring,
    /// ECS Python with structlog JSON.
    EcsStructlog,
}

impl LogStyle {
    pub fn runtime(self) -> Runtime {
        match self {
            LogStyle::NodeTabJson | LogStyle::NodePino | LogStyle::EcsPino => Runtime::Node,
            LogStyle::Powertools | LogStyle::EcsStructlog => Runtime::Python,
            LogStyle::JavaText | LogStyle::EcsSpring => Runtime::Java,
        }
    }
}

#[derive(Debug, Clone)]
pub struct LambdaFn {
    pub name: String,
    pub runtime: Runtime,
    pub runtime_id: &'static str,
    pub memory_mb: u32,
    pub timeout_s: u32,
    pub role: String,
    /// Published version the `live` alias points at (when the team uses aliases).
    pub version: u32,
    pub alias: Option<String>,
    pub reserved_concurrency: Option<u32>,
    pub style: LogStyle,
    /// Unhandled exceptions reach the Lambda runtime (counted in `Errors`) instead of being turned into a 500.
    pub errors_propagate: bool,
    pub handler: String,
    pub arch: &'static str,
}

#[derive(Debug, Clone)]
pub struct EcsService {
    pub cluster: String,
    pub service: String,
    pub family: String,
    pub revision: u32,
    pub container: String,
    pub image_repo: String,
    pub tasks: u32,
    pub cpu_units: u32,
    pub memory_mb: u32,
    pub style: LogStyle,
    pub task_role: String,
    pub port: u32,
    pub app_sg_id: String,
    /// EC2 container instances the tasks run on (`None`: Fargate).
    pub capacity: Option<Ec2Capacity>,
}

/// The Auto Scaling group of EC2 container instances an ECS service runs on, one task per instance.
#[derive(Debug, Clone)]
pub struct Ec2Capacity {
    pub asg: String,
    pub instance_type: &'static str,
    /// Availability Zones of the group (`eu-west-1a`), with their zone ids (`euw1-az2`).
    pub zones: Vec<(String, String)>,
    /// The instances at the window's start, in the order of the service's tasks.
    pub instances: Vec<Instance>,
}

/// One EC2 instance of an Auto Scaling group.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub id: String,
    /// Index into the group's zones.
    pub zone: usize,
    /// Private DNS name (`ip-10-0-17-23.ec2.internal`), the host the task's logs and traces name.
    pub host: String,
}

#[derive(Debug, Clone)]
pub enum Compute {
    Lambda(LambdaFn),
    Ecs(EcsService),
}

impl Compute {
    pub fn name(&self) -> &str {
        match self {
            Compute::Lambda(function) => &function.name,
            Compute::Ecs(service) => &service.service,
        }
    }

    pub fn runtime(&self) -> Runtime {
        match self {
            Compute::Lambda(function) => function.runtime,
            Compute::Ecs(service) => service.style.runtime(),
        }
    }

    pub fn role(&self) -> &str {
        match self {
            Compute::Lambda(function) => &function.role,
            Compute::Ecs(service) => &service.task_role,
        }
    }

    pub fn lambda(&self) -> Option<&LambdaFn> {
        match self {
            Compute::Lambda(function) => Some(function),
            Compute::Ecs(_) => None,
        }
    }

    pub fn ecs(&self) -> Option<&EcsService> {
        match self {
            Compute::Ecs(service) => Some(service),
            Compute::Lambda(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKind {
    Rest,
    Http,
}

#[derive(Debug, Clone)]
pub struct Api {
    pub kind: ApiKind,
    pub name: String,
    pub id: String,
    pub stage: String,
    pub access_log_group: Option<String>,
    pub execution_log_group: Option<String>,
    /// The access log format includes the user agent.
    pub access_user_agent: bool,
}

#[derive(Debug, Clone)]
pub struct Alb {
    pub name: String,
    /// `app/<name>/<id>`, the `LoadBalancer` metric dimension.
    pub dimension: String,
    /// `targetgroup/<name>/<id>`
    pub target_group: String,
}

#[derive(Debug, Clone)]
pub struct QueueSource {
    pub queue: String,
    pub dlq: String,
    pub max_receive: u32,
    pub batch_size: u32,
    pub visibility_s: u32,
    pub producer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Writes to a table each run.
    Reconcile,
    /// Pulls from an on-premises ERP host that never answers (a chronic, known failure).
    ErpSync,
    /// A daily report run at `at_min` minutes past midnight UTC, querying for about `run_s` seconds.
    Report { at_min: u32, run_s: u32 },
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub rule: String,
    pub every_min: u32,
    pub job: JobKind,
    pub erp_host: String,
}

#[derive(Debug, Clone)]
pub struct StreamSource {
    pub stream: String,
    pub shards: u32,
}

#[derive(Debug, Clone)]
pub enum Entry {
    Api(Api),
    Alb(Alb),
    Queue(QueueSource),
    Schedule(Schedule),
    Stream(StreamSource),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbEngine {
    Postgres,
    AuroraPostgres,
    MySql,
}

impl DbEngine {
    pub fn label(self) -> &'static str {
        match self {
            DbEngine::Postgres => "PostgreSQL",
            DbEngine::AuroraPostgres => "Aurora PostgreSQL",
            DbEngine::MySql => "MySQL",
        }
    }

    pub fn port(self) -> u32 {
        match self {
            DbEngine::MySql => 3306,
            _ => 5432,
        }
    }

    pub fn is_postgres(self) -> bool {
        self != DbEngine::MySql
    }
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// Provisioned (read, write) capacity units; `None` is on-demand.
    pub provisioned: Option<(u32, u32)>,
    /// Write capacity units one write consumes (item size / transactions).
    pub write_units: f64,
}

#[derive(Debug, Clone)]
pub struct Database {
    pub id: String,
    pub engine: DbEngine,
    pub endpoint: String,
    pub ip: String,
    pub db_name: String,
    pub sg_id: String,
    pub sg_name: String,
    pub allocated_gb: u32,
}

#[derive(Debug, Clone)]
pub struct HttpDep {
    pub name: String,
    pub host: String,
    pub method: &'static str,
    pub path: &'static str,
    pub purpose: String,
    pub success: &'static str,
    pub timeout_ms: u32,
    pub median_ms: f64,
    /// Index of the Secrets Manager dependency that holds its API key.
    pub secret: Option<usize>,
    pub internal: bool,
}

#[derive(Debug, Clone)]
pub struct Secret {
    pub name: String,
    pub arn: String,
}

/// An ElastiCache (Redis OSS) replication group without cluster mode: a primary and one replica.
#[derive(Debug, Clone)]
pub struct Cache {
    /// The replication group id (`orders-cache`).
    pub id: String,
    /// The primary node's cache cluster id (`orders-cache-001`), the `CacheClusterId` metric dimension.
    pub primary: String,
    pub endpoint: String,
    pub node_type: &'static str,
    /// `maxmemory` of a node, bytes.
    pub maxmemory_bytes: f64,
    /// Share of lookups answered from the cache while it works normally.
    pub hit_ratio: f64,
    /// Memory in use at the start of the window, percent of `maxmemory`.
    pub used_percent: f64,
}

/// The Secrets Manager secret holding the database user's password, which a rotation function rotates.
#[derive(Debug, Clone)]
pub struct DbCredentials {
    pub name: String,
    pub arn: String,
    pub rotation_function: String,
}

#[derive(Debug, Clone)]
pub enum Dep {
    Table(Table),
    Database(Database),
    Http(HttpDep),
    Bucket(String),
    Secret(Secret),
    Publish(String),
    Cache(Cache),
    Credentials(DbCredentials),
    Stream(KinesisStream),
}

/// A Kinesis data stream the workload writes to, shared with producers outside the simulated system.
#[derive(Debug, Clone)]
pub struct KinesisStream {
    pub name: String,
    /// Open shards at the window's start.
    pub shards: u32,
    /// Number in the id of the first open shard (`shardId-000000000004` after an earlier resharding).
    pub first_shard: u32,
    /// Records per second all producers together write at the window's start.
    pub records_per_s: f64,
    /// Average size of a record, bytes.
    pub record_bytes: f64,
    /// Who else writes to it, for the architecture notes.
    pub other_producers: String,
}

impl Dep {
    pub fn name(&self) -> &str {
        match self {
            Dep::Table(table) => &table.name,
            Dep::Database(db) => &db.id,
            Dep::Http(http) => &http.name,
            Dep::Bucket(name) | Dep::Publish(name) => name,
            Dep::Secret(secret) => &secret.name,
            Dep::Cache(cache) => &cache.id,
            Dep::Credentials(credentials) => &credentials.name,
            Dep::Stream(stream) => &stream.name,
        }
    }
}

/// One call a request makes to a dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    GetItem,
    Query,
    PutItem,
    UpdateItem,
    TransactWriteItems,
    BatchWriteItem,
    SqlSelect,
    SqlInsert,
    SqlUpdate,
    HttpCall,
    PutObject,
    GetSecretValue,
    SendMessage,
    GetObject,
    /// A cache lookup (Redis `GET`); a hit answers the request's reads.
    CacheGet,
    /// A best-effort cache write (`SET ... EX`): the application logs a failure and carries on.
    CacheSet,
    /// A cache write the request depends on (`SET ... NX EX`, an idempotency key): a failure fails the request.
    CacheLock,
    /// One record written to a Kinesis data stream.
    PutRecord,
}

impl Action {
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Action::PutItem
                | Action::UpdateItem
                | Action::TransactWriteItems
                | Action::BatchWriteItem
                | Action::SqlInsert
                | Action::SqlUpdate
                | Action::PutObject
                | Action::SendMessage
                | Action::CacheSet
                | Action::CacheLock
                | Action::PutRecord
        )
    }

    /// The operation name as SDKs, X-Ray and CloudTrail print it.
    pub fn operation(self) -> &'static str {
        match self {
            Action::GetItem => "GetItem",
            Action::Query => "Query",
            Action::PutItem => "PutItem",
            Action::UpdateItem => "UpdateItem",
            Action::TransactWriteItems => "TransactWriteItems",
            Action::BatchWriteItem => "BatchWriteItem",
            Action::SqlSelect => "SELECT",
            Action::SqlInsert => "INSERT",
            Action::SqlUpdate => "UPDATE",
            Action::HttpCall => "HTTP",
            Action::PutObject => "PutObject",
            Action::GetSecretValue => "GetSecretValue",
            Action::SendMessage => "SendMessage",
            Action::GetObject => "GetObject",
            Action::CacheGet => "GET",
            Action::CacheSet => "SET",
            Action::CacheLock => "SET NX",
            Action::PutRecord => "PutRecord",
        }
    }

    /// The IAM action the call needs, if it goes through an AWS API.
    pub fn iam_action(self) -> Option<String> {
        let service = match self {
            Action::GetItem
            | Action::Query
            | Action::PutItem
            | Action::UpdateItem
            | Action::TransactWriteItems
            | Action::BatchWriteItem => "dynamodb",
            Action::PutObject | Action::GetObject => "s3",
            Action::GetSecretValue => "secretsmanager",
            Action::SendMessage => "sqs",
            Action::PutRecord => "kinesis",
            _ => return None,
        };
        // TransactWriteItems is authorised per contained write.
        let operation = if self == Action::TransactWriteItems { "PutItem" } else { self.operation() };
        Some(format!("{service}:{operation}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    pub dep: usize,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    List,
    Get,
    Create,
    Update,
    /// A queue or stream batch.
    Consume,
    /// A scheduled run.
    Job,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub method: &'static str,
    pub template: String,
    pub kind: RouteKind,
    pub weight: f64,
    pub ops: Vec<Op>,
}

#[derive(Debug, Clone)]
pub struct Workload {
    pub domain: Domain,
    pub entry: Entry,
    pub compute: Compute,
    pub deps: Vec<Dep>,
    pub routes: Vec<Route>,
    /// Requests (or messages) per minute at scale 1.
    pub rate_per_min: f64,
    /// The application's log group.
    pub log_group: String,
    pub xray: bool,
}

impl Workload {
    pub fn name(&self) -> &str {
        self.compute.name()
    }

    pub fn api(&self) -> Option<&Api> {
        match &self.entry {
            Entry::Api(api) => Some(api),
            _ => None,
        }
    }

    pub fn alb(&self) -> Option<&Alb> {
        match &self.entry {
            Entry::Alb(alb) => Some(alb),
            _ => None,
        }
    }

    pub fn queue(&self) -> Option<&QueueSource> {
        match &self.entry {
            Entry::Queue(queue) => Some(queue),
            _ => None,
        }
    }

    pub fn is_request_driven(&self) -> bool {
        matches!(self.entry, Entry::Api(_) | Entry::Alb(_))
    }

    pub fn dep_index(&self, wanted: impl Fn(&Dep) -> bool) -> Option<usize> {
        self.deps.iter().position(wanted)
    }

    pub fn table(&self) -> Option<(usize, &Table)> {
        self.deps.iter().enumerate().find_map(|(index, dep)| match dep {
            Dep::Table(table) => Some((index, table)),
            _ => None,
        })
    }

    pub fn database(&self) -> Option<(usize, &Database)> {
        self.deps.iter().enumerate().find_map(|(index, dep)| match dep {
            Dep::Database(db) => Some((index, db)),
            _ => None,
        })
    }

    pub fn http(&self) -> Option<(usize, &HttpDep)> {
        self.deps.iter().enumerate().find_map(|(index, dep)| match dep {
            Dep::Http(http) => Some((index, http)),
            _ => None,
        })
    }

    /// Log groups this workload writes to (the application's first).
    pub fn log_groups(&self) -> Vec<String> {
        let mut groups = vec![self.log_group.clone()];
        if let Some(api) = self.api() {
            groups.extend(api.access_log_group.iter().cloned());
            groups.extend(api.execution_log_group.iter().cloned());
        }
        groups
    }
}

/// A customer-managed KMS key that encrypts one table or bucket.
#[derive(Debug, Clone)]
pub struct KmsKey {
    /// `alias/orders-table-key`
    pub alias: String,
    /// The key id (a UUID).
    pub id: String,
    pub arn: String,
    /// The table or bucket it encrypts.
    pub resource: String,
    /// `dynamodb` or `s3`.
    pub service: &'static str,
    /// The role (and its session name) whose calls make the service use the key.
    pub user_role: String,
    pub user_session: String,
}

/// Everything about the simulated account.
#[derive(Debug, Clone)]
pub struct System {
    pub region: &'static str,
    pub account: String,
    pub company: Company,
    pub namer: Namer,
    pub people: Vec<&'static str>,
    pub workloads: Vec<Workload>,
    pub iac: &'static str,
    pub vpc_id: String,
    pub kms_keys: Vec<KmsKey>,
}

impl System {
    pub fn person(&self, index: usize) -> &'static str {
        self.people[index % self.people.len()]
    }

    pub fn email(&self, person: &str) -> String {
        format!("{person}@{}", self.company.email_domain)
    }

    pub fn log_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self.workloads.iter().flat_map(Workload::log_groups).collect();
        for workload in &self.workloads {
            if let Some((_, db)) = workload.database() {
                groups.push(rds_log_group(db));
            }
            for dep in &workload.deps {
                if let Dep::Credentials(credentials) = dep {
                    groups.push(format!("/aws/lambda/{}", credentials.rotation_function));
                }
            }
        }
        groups.sort();
        groups.dedup();
        groups
    }

    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{resource}", self.region, self.account)
    }
}

pub fn rds_log_group(db: &Database) -> String {
    let kind = if db.engine.is_postgres() { "postgresql" } else { "error" };
    let class = if db.engine == DbEngine::AuroraPostgres { "cluster" } else { "instance" };
    format!("/aws/rds/{class}/{}/{kind}", db.id)
}

/// The shape of a workload to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    ApiLambda,
    AlbEcs,
    QueueLambda,
    ScheduledJob,
    StreamLambda,
}

/// Which dependencies a workload must have; everything not required is decided at random.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    pub provisioned_table: bool,
    pub table: bool,
    pub http: bool,
    pub internal_http: bool,
    pub secret: bool,
    pub lambda: bool,
    pub erp_job: bool,
    pub no_extras: bool,
}

/// Builds a random system; workloads are added with [`SystemBuilder::add`].
#[derive(Debug)]
pub struct SystemBuilder {
    pub system: System,
    used_domains: Vec<&'static str>,
    /// Domain of the next workload added (the incident's own workload), when pinned.
    pub next_domain: Option<Domain>,
}

impl SystemBuilder {
    pub fn new(rng: &mut SimRng) -> SystemBuilder {
        let style = NamingStyle::random(rng);
        let iac = if style == NamingStyle::Cdk { "CDK" } else { *pick(rng, &["Terraform", "CDK", "CloudFormation"]) };
        let mut people: Vec<&'static str> = Vec::new();
        while people.len() < 6 {
            let person = *pick(rng, PEOPLE);
            if !people.contains(&person) {
                people.push(person);
            }
        }
        let account = format!("{}{}", range_u32(rng, 1, 9), digits(rng, 11));
        SystemBuilder {
            system: System {
                region: pick::<&str>(rng, REGIONS),
                account,
                company: Company::random(rng, iac),
                namer: Namer { style },
                people,
                workloads: Vec::new(),
                iac,
                vpc_id: format!("vpc-0{}", hex(rng, 16)),
                kms_keys: Vec::new(),
            },
            used_domains: Vec::new(),
            next_domain: None,
        }
    }

    fn fresh_domain(&mut self, rng: &mut SimRng) -> Domain {
        if let Some(domain) = self.next_domain.take() {
            self.used_domains.push(domain.plural);
            return domain;
        }
        loop {
            let domain = *pick(rng, DOMAINS);
            if !self.used_domains.contains(&domain.plural) {
                self.used_domains.push(domain.plural);
                return domain;
            }
        }
    }

    /// Adds a workload and returns its index.
    pub fn add(&mut self, rng: &mut SimRng, template: Template, needs: Needs) -> usize {
        let domain = self.fresh_domain(rng);
        let workload = build_workload(rng, &self.system, template, needs, domain);
        self.system.workloads.push(workload);
        self.system.workloads.len() - 1
    }

    pub fn finish(self) -> System {
        self.system
    }
}

fn pick_runtime(rng: &mut SimRng) -> Runtime {
    match weighted(rng, &[5.0, 3.0, 2.0]) {
        0 => Runtime::Node,
        1 => Runtime::Python,
        _ => Runtime::Java,
    }
}

fn lambda_fn(rng: &mut SimRng, system: &System, domain: &Domain, base: &str, runtime: Runtime) -> LambdaFn {
    let namer = &system.namer;
    let name = namer.function(rng, domain.plural, base);
    let role = namer.role(rng, domain.plural, &name, base);
    let (runtime_id, style, handler) = match runtime {
        Runtime::Node => (
            *pick(rng, &["nodejs20.x", "nodejs22.x"]),
            if chance(rng, 0.5) { LogStyle::NodeTabJson } else { LogStyle::NodePino },
            "index.handler".to_string(),
        ),
        Runtime::Python => (
            *pick(rng, &["python3.12", "python3.11", "python3.13"]),
            LogStyle::Powertools,
            "app.lambda_handler".to_string(),
        ),
        Runtime::Java => (
            *pick(rng, &["java21", "java17"]),
            LogStyle::JavaText,
            format!("{}.{}.Handler::handleRequest", system.company.java_package, domain.singular.replace(' ', "")),
        ),
    };
    let uses_alias = chance(rng, 0.4);
    LambdaFn {
        name,
        runtime,
        runtime_id,
        memory_mb: *pick(rng, &[256, 512, 512, 1024, 1024, 1769, 2048]),
        timeout_s: *pick(rng, &[10, 15, 29, 30, 30, 60]),
        role,
        version: if uses_alias { range_u32(rng, 8, 140) } else { 0 },
        alias: uses_alias.then(|| pick(rng, &["live", "prod", "current"]).to_string()),
        reserved_concurrency: None,
        style,
        // Java and Python handlers usually let exceptions escape; Node handlers often catch and return 500.
        errors_propagate: match runtime {
            Runtime::Node => chance(rng, 0.3),
            _ => chance(rng, 0.75),
        },
        handler,
        arch: pick::<&str>(rng, &["x86_64", "arm64"]),
    }
}

fn ecs_service(rng: &mut SimRng, system: &System, domain: &Domain, runtime: Runtime) -> EcsService {
    let namer = &system.namer;
    let base = format!("{}-{}", domain.plural, pick(rng, &["service", "svc", "web", "app"]));
    let service = match &namer.style {
        NamingStyle::Cdk => namer.name(rng, domain.plural, &base, "Service"),
        NamingStyle::Camel => camel(&base),
        _ => namer.name(rng, domain.plural, &base, ""),
    };
    let cluster = match &namer.style {
        NamingStyle::Cdk => namer.name(rng, domain.plural, &format!("{}-cluster", domain.plural), ""),
        NamingStyle::Camel => format!("{}Cluster", domain.title()),
        _ => {
            let base = *pick(rng, &["main", "apps", "services", domain.plural]);
            namer.name(rng, domain.plural, base, "")
        }
    };
    let style = match runtime {
        Runtime::Node => LogStyle::EcsPino,
        Runtime::Python => LogStyle::EcsStructlog,
        Runtime::Java => LogStyle::EcsSpring,
    };
    let container = domain.plural.to_string();
    EcsService {
        family: format!("{}-task", service.to_lowercase()),
        revision: range_u32(rng, 12, 240),
        image_repo: format!("{}.dkr.ecr.{}.amazonaws.com/{}", system.account, system.region, domain.plural),
        tasks: range_u32(rng, 2, 4),
        cpu_units: *pick(rng, &[512, 1024, 2048]),
        memory_mb: *pick(rng, &[1024, 2048, 4096]),
        style,
        task_role: format!("{}-task-role", domain.plural),
        port: match runtime {
            Runtime::Node => 3000,
            Runtime::Python => 8000,
            Runtime::Java => 8080,
        },
        app_sg_id: format!("sg-0{}", hex(rng, 16)),
        cluster,
        service,
        container,
        capacity: None,
    }
}

fn api_entry(rng: &mut SimRng, system: &System, domain: &Domain) -> Api {
    let kind = if chance(rng, 0.7) { ApiKind::Rest } else { ApiKind::Http };
    let name = system.namer.api(domain);
    let id = lower_alnum(rng, 10);
    let stage = match kind {
        ApiKind::Rest => pick(rng, &["prod", "prod", "v1", "live", "api"]).to_string(),
        ApiKind::Http => pick(rng, &["$default", "prod"]).to_string(),
    };
    let access_log_group = chance(rng, 0.85).then(|| match kind {
        ApiKind::Rest => {
            if chance(rng, 0.6) {
                format!("/aws/apigateway/{name}-access")
            } else {
                format!("API-Gateway-Access-Logs_{id}/{stage}")
            }
        }
        ApiKind::Http => format!("/aws/vendedlogs/apigateway/{name}"),
    });
    let execution_log_group =
        (kind == ApiKind::Rest && chance(rng, 0.3)).then(|| format!("API-Gateway-Execution-Logs_{id}/{stage}"));
    Api { kind, name, id, stage, access_log_group, execution_log_group, access_user_agent: chance(rng, 0.7) }
}

fn table_dep(rng: &mut SimRng, system: &System, domain: &Domain, provisioned: bool) -> Dep {
    Dep::Table(Table {
        name: system.namer.table(rng, domain),
        // Capacity is sized by the simulation from the demand; these are placeholders it overwrites.
        provisioned: provisioned.then_some((5, 5)),
        write_units: uniform(rng, 3.0, 9.0).round(),
    })
}

fn http_dep(rng: &mut SimRng, system: &System, internal: bool, secret: Option<usize>) -> Dep {
    if internal {
        let service = *pick(rng, INTERNAL_SERVICES);
        let zone = format!("internal.{}", system.company.email_domain);
        Dep::Http(HttpDep {
            name: format!("{service}-service"),
            host: format!("{service}.{zone}"),
            method: "GET",
            path: "/v1/lookup",
            purpose: format!("internal {service} service"),
            success: "lookup succeeded",
            timeout_ms: *pick(rng, &[2000, 3000, 5000]),
            median_ms: uniform(rng, 15.0, 45.0),
            secret: None,
            internal: true,
        })
    } else {
        let provider = *pick(rng, PROVIDERS);
        Dep::Http(HttpDep {
            name: provider.name.to_string(),
            host: provider.host.to_string(),
            method: provider.method,
            path: provider.path,
            purpose: provider.purpose.to_string(),
            success: provider.success,
            timeout_ms: *pick(rng, &[3000, 5000, 8000, 10000]),
            median_ms: uniform(rng, 60.0, 220.0),
            secret,
            internal: false,
        })
    }
}

fn secret_dep(rng: &mut SimRng, system: &System, domain: &Domain, purpose: &str) -> Dep {
    let env = system.namer.style.env_word();
    let name = match &system.namer.style {
        NamingStyle::Cdk => format!("{}{}Secret{}", domain.title(), camel(purpose), upper_hex(rng, 8)),
        _ => pick(rng, &["{env}/{d}/{p}-api-key", "{d}/{p}", "{env}-{d}-{p}-credentials"])
            .replace("{env}", env)
            .replace("{d}", domain.plural)
            .replace("{p}", purpose),
    };
    let arn = system.arn("secretsmanager", &format!("secret:{name}-{}", super::random::alnum(rng, 6)));
    Dep::Secret(Secret { name, arn })
}

fn database_dep(rng: &mut SimRng, system: &System, domain: &Domain) -> Dep {
    let engine = match weighted(rng, &[3.0, 2.0, 2.0]) {
        0 => DbEngine::Postgres,
        1 => DbEngine::AuroraPostgres,
        _ => DbEngine::MySql,
    };
    let word = if engine == DbEngine::MySql { "mysql" } else { "postgres" };
    let id = system.namer.database(rng, domain, word);
    let host_kind = if engine == DbEngine::AuroraPostgres { "cluster-" } else { "" };
    let endpoint = format!("{id}.{host_kind}{}.{}.rds.amazonaws.com", lower_alnum(rng, 12), system.region);
    Dep::Database(Database {
        sg_name: format!("{}-{}", id, pick(rng, &["sg", "db-sg", "rds-sg"])),
        sg_id: format!("sg-0{}", hex(rng, 16)),
        ip: private_ip(rng),
        db_name: domain.plural.replace('-', "_"),
        allocated_gb: *pick(rng, &[20, 50, 100, 200]),
        engine,
        endpoint,
        id,
    })
}

fn id_path(domain: &Domain) -> String {
    format!("/{}/{{id}}", domain.plural)
}

fn build_workload(rng: &mut SimRng, system: &System, template: Template, needs: Needs, domain: Domain) -> Workload {
    let runtime = pick_runtime(rng);
    let mut deps: Vec<Dep> = Vec::new();
    let extras = !needs.no_extras;
    match template {
        Template::ApiLambda | Template::QueueLambda | Template::StreamLambda => {
            if needs.table || needs.provisioned_table || template != Template::ApiLambda || chance(rng, 0.9) {
                let provisioned = needs.provisioned_table || (!needs.table && chance(rng, 0.35));
                deps.push(table_dep(rng, system, &domain, provisioned));
            }
        }
        Template::AlbEcs => deps.push(database_dep(rng, system, &domain)),
        Template::ScheduledJob => {
            if !needs.erp_job {
                deps.push(table_dep(rng, system, &domain, needs.provisioned_table));
            }
        }
    }
    if template == Template::AlbEcs && needs.table {
        deps.push(table_dep(rng, system, &domain, needs.provisioned_table));
    }
    let wants_http =
        needs.http || needs.internal_http || (extras && template != Template::ScheduledJob && chance(rng, 0.35));
    if wants_http {
        let internal = needs.internal_http || (!needs.http && !needs.secret && chance(rng, 0.3));
        let secret = if !internal && (needs.secret || chance(rng, 0.5)) {
            let provider_word = "provider";
            deps.push(secret_dep(rng, system, &domain, provider_word));
            Some(deps.len() - 1)
        } else {
            None
        };
        deps.push(http_dep(rng, system, internal, secret));
        if let (Some(secret_index), Some(Dep::Http(http))) = (secret, deps.last()) {
            let provider = http.name.clone();
            if let Some(Dep::Secret(secret)) = deps.get_mut(secret_index) {
                secret.name = secret.name.replace("provider", &provider);
            }
        }
    }
    if extras && template != Template::ScheduledJob && chance(rng, 0.2) {
        deps.push(Dep::Bucket(format!(
            "{}-{}-{}-{}",
            system.company.slug,
            system.namer.style.env_word(),
            domain.plural,
            pick(rng, &["exports", "documents", "archive"])
        )));
    }
    if extras && template == Template::ApiLambda && chance(rng, 0.2) {
        let name = system.namer.queue(rng, &domain, "events");
        deps.push(Dep::Publish(name));
    }

    let compute = if template == Template::AlbEcs && !needs.lambda {
        Compute::Ecs(ecs_service(rng, system, &domain, runtime))
    } else {
        let base = match template {
            Template::ApiLambda => format!("{}-{}", domain.plural, pick(rng, &["api", "api", "handler", "service"])),
            Template::QueueLambda => format!("{}-{}", domain.plural, pick(rng, &["consumer", "worker", "processor"])),
            Template::StreamLambda => format!("{}-{}", domain.plural, pick(rng, &["stream-processor", "aggregator"])),
            Template::ScheduledJob if needs.erp_job => format!("{}-erp-sync", domain.plural),
            Template::ScheduledJob => {
                format!("{}-{}", domain.plural, pick(rng, &["reconciler", "digest", "exporter", "cleanup"]))
            }
            Template::AlbEcs => format!("{}-api", domain.plural),
        };
        Compute::Lambda(lambda_fn(rng, system, &domain, &base, runtime))
    };

    let entry = match template {
        Template::ApiLambda => Entry::Api(api_entry(rng, system, &domain)),
        Template::AlbEcs => {
            let name = system.namer.load_balancer(rng, &domain);
            Entry::Alb(Alb {
                dimension: format!("app/{name}/{}", hex(rng, 16)),
                target_group: format!("targetgroup/{}-tg/{}", domain.plural, hex(rng, 16)),
                name,
            })
        }
        Template::QueueLambda => {
            let purpose = *pick(rng, &["events", "jobs", "queue", "inbox"]);
            let queue = system.namer.queue(rng, &domain, purpose);
            Entry::Queue(QueueSource {
                dlq: system.namer.dead_letter_queue(rng, &domain, &queue),
                queue,
                max_receive: range_u32(rng, 3, 5),
                batch_size: *pick(rng, &[5, 10, 10]),
                visibility_s: *pick(rng, &[30, 60, 90]),
                producer: pick(rng, &["the checkout flow", "the mobile backend", "partner webhooks", "the web shop"])
                    .to_string(),
            })
        }
        Template::ScheduledJob => {
            let rule = match &system.namer.style {
                NamingStyle::Cdk => format!("{}Stack-{}Schedule{}", domain.title(), domain.title(), upper_hex(rng, 8)),
                _ => format!("{}-schedule", compute.name()),
            };
            Entry::Schedule(Schedule {
                rule,
                every_min: *pick(rng, &[1, 1, 2, 5]),
                job: if needs.erp_job { JobKind::ErpSync } else { JobKind::Reconcile },
                erp_host: format!(
                    "erp.{}.{}:8443",
                    pick(rng, &["internal", "onprem", "corp"]),
                    system.company.email_domain
                ),
            })
        }
        Template::StreamLambda => Entry::Stream(StreamSource {
            stream: system.namer.name(rng, domain.plural, &format!("{}-stream", domain.plural), "Stream"),
            shards: range_u32(rng, 1, 4),
        }),
    };

    let routes = build_routes(rng, template, &domain, &deps);
    let log_group = match &compute {
        Compute::Lambda(function) => format!("/aws/lambda/{}", function.name),
        Compute::Ecs(service) => {
            if chance(rng, 0.5) {
                format!("/ecs/{}", service.service)
            } else {
                format!("/aws/ecs/{}/{}", service.cluster, service.service)
            }
        }
    };
    let rate_per_min = match template {
        Template::ApiLambda | Template::AlbEcs => uniform(rng, 6.0, 22.0),
        Template::QueueLambda => uniform(rng, 8.0, 25.0),
        Template::StreamLambda => uniform(rng, 20.0, 60.0),
        Template::ScheduledJob => 0.0,
    };
    Workload { domain, entry, compute, deps, routes, rate_per_min, log_group, xray: chance(rng, 0.85) }
}

fn build_routes(rng: &mut SimRng, template: Template, domain: &Domain, deps: &[Dep]) -> Vec<Route> {
    let table = deps.iter().position(|dep| matches!(dep, Dep::Table(_)));
    let database = deps.iter().position(|dep| matches!(dep, Dep::Database(_)));
    let http = deps.iter().position(|dep| matches!(dep, Dep::Http(_)));
    let bucket = deps.iter().position(|dep| matches!(dep, Dep::Bucket(_)));
    let publish = deps.iter().position(|dep| matches!(dep, Dep::Publish(_)));
    let read = |action_table: Action, action_sql: Action| -> Vec<Op> {
        match (database, table) {
            (Some(dep), _) => vec![Op { dep, action: action_sql }],
            (None, Some(dep)) => vec![Op { dep, action: action_table }],
            _ => Vec::new(),
        }
    };
    let write_action = *pick(rng, &[Action::PutItem, Action::TransactWriteItems, Action::PutItem]);
    let mut create = read(write_action, Action::SqlInsert);
    if let Some(dep) = http {
        create.insert(0, Op { dep, action: Action::HttpCall });
    }
    if let Some(dep) = publish {
        create.push(Op { dep, action: Action::SendMessage });
    }
    match template {
        Template::ApiLambda | Template::AlbEcs => {
            let plural = domain.plural;
            let mut update = read(Action::UpdateItem, Action::SqlUpdate);
            let mut get = read(Action::GetItem, Action::SqlSelect);
            if let Some(dep) = http {
                // Updates re-run the provider call (new address, new amount); some reads enrich with it too.
                update.insert(0, Op { dep, action: Action::HttpCall });
                if chance(rng, 0.4) {
                    get.push(Op { dep, action: Action::HttpCall });
                }
            }
            if let Some(dep) = bucket {
                update.push(Op { dep, action: Action::PutObject });
            }
            vec![
                Route {
                    method: "GET",
                    template: format!("/{plural}"),
                    kind: RouteKind::List,
                    weight: 3.0,
                    ops: read(Action::Query, Action::SqlSelect),
                },
                Route { method: "GET", template: id_path(domain), kind: RouteKind::Get, weight: 4.0, ops: get },
                Route {
                    method: "POST",
                    template: format!("/{plural}"),
                    kind: RouteKind::Create,
                    weight: 2.0,
                    ops: create,
                },
                Route { method: "PUT", template: id_path(domain), kind: RouteKind::Update, weight: 1.5, ops: update },
            ]
        }
        Template::QueueLambda | Template::StreamLambda => {
            let mut ops = create;
            if template == Template::QueueLambda {
                ops.retain(|op| op.action != Action::SendMessage);
            } else {
                for op in &mut ops {
                    if op.action == Action::TransactWriteItems {
                        op.action = Action::BatchWriteItem;
                    }
                }
            }
            vec![Route { method: "-", template: String::new(), kind: RouteKind::Consume, weight: 1.0, ops }]
        }
        Template::ScheduledJob => {
            let ops =
                table.map(|dep| vec![Op { dep, action: Action::Query }, Op { dep, action: Action::BatchWriteItem }]);
            vec![Route {
                method: "-",
                template: String::new(),
                kind: RouteKind::Job,
                weight: 1.0,
                ops: ops.unwrap_or_default(),
            }]
        }
    }
}

/// The free-text architecture description of environment.json, in the words a team would use.
pub fn architecture_text(rng: &mut SimRng, system: &System) -> String {
    let mut sentences: Vec<String> = Vec::new();
    for workload in &system.workloads {
        sentences.extend(describe_workload(rng, workload));
    }
    for key in &system.kms_keys {
        let what = if key.service == "s3" { "S3 bucket" } else { "DynamoDB table" };
        sentences.push(format!(
            "The {what} {} is encrypted with the customer-managed KMS key {} ({}).",
            key.resource, key.alias, key.id
        ));
    }
    let closing = match system.iac {
        "CDK" => format!("Everything runs in {} in a single account managed with CDK.", system.region),
        other => format!(
            "Everything runs in {} in one account; infrastructure is managed with {other}, though engineers sometimes make console changes.",
            system.region
        ),
    };
    if chance(rng, 0.7) {
        sentences.push(closing);
    }
    if chance(rng, 0.4) {
        sentences.push("Deployments go through a CI pipeline.".to_string());
    }
    sentences.join(" ")
}

fn describe_workload(rng: &mut SimRng, workload: &Workload) -> Vec<String> {
    let mut out = Vec::new();
    let name = workload.name();
    let runtime_text = match &workload.compute {
        Compute::Lambda(function) => function.runtime_id.to_string(),
        Compute::Ecs(service) => format!("{} tasks of {}", service.tasks, runtime_label(service.style.runtime())),
    };
    match &workload.entry {
        Entry::Api(api) => {
            let kind = if api.kind == ApiKind::Rest { "REST" } else { "HTTP" };
            out.push(format!(
                "Clients call the {} {kind} API {} (API Gateway, stage {}), which invokes the Lambda function {name} ({runtime_text}).",
                workload.domain.plural, api.name, api.stage
            ));
        }
        Entry::Alb(alb) if workload.compute.ecs().is_some_and(|s| s.capacity.is_some()) => {
            out.extend(workload.compute.ecs().and_then(|s| describe_ec2_service(workload, s, alb)));
        }
        Entry::Alb(alb) => {
            let (cluster, service) = workload.compute.ecs().map(|s| (s.cluster.as_str(), s.service.as_str())).unwrap_or_default();
            out.push(format!(
                "The {} service {service} runs on ECS Fargate (cluster {cluster}, {runtime_text}) behind the Application Load Balancer {}.",
                workload.domain.plural, alb.name
            ));
        }
        Entry::Queue(queue) => out.push(format!(
            "{} publishes {} messages to the SQS queue {}; the Lambda function {name} ({runtime_text}) consumes them in batches of {} (failed messages go to the dead-letter queue {} after {} receives).",
            capitalise(&queue.producer),
            workload.domain.singular,
            queue.queue,
            queue.batch_size,
            queue.dlq,
            queue.max_receive
        )),
        Entry::Schedule(schedule) => match schedule.job {
            JobKind::ErpSync => out.push(format!(
                "A legacy job, {name}, pulls deltas from the on-premises ERP system every {} minute{}.",
                schedule.every_min,
                plural_s(schedule.every_min)
            )),
            JobKind::Reconcile => out.push(format!(
                "A scheduled Lambda function, {name}, runs every {} minute{} (EventBridge rule {}).",
                schedule.every_min,
                plural_s(schedule.every_min),
                schedule.rule
            )),
            JobKind::Report { at_min, .. } => out.push(format!(
                "A scheduled Lambda function, {name}, builds the daily {} report every day at {:02}:{:02} UTC (EventBridge Scheduler schedule {}).",
                workload.domain.plural,
                at_min / 60,
                at_min % 60,
                schedule.rule
            )),
        },
        Entry::Stream(stream) => out.push(format!(
            "Events arrive on the Kinesis data stream {} ({} shard{}); the Lambda function {name} ({runtime_text}) aggregates them.",
            stream.stream,
            stream.shards,
            plural_s(stream.shards)
        )),
    }
    for dep in &workload.deps {
        match dep {
            Dep::Table(table) => {
                let mode = match table.provisioned {
                    Some(_) => " (provisioned capacity)",
                    None if chance(rng, 0.5) => " (on-demand)",
                    None => "",
                };
                let verb = if matches!(workload.entry, Entry::Schedule(_)) { "writes to" } else { "keeps its data in" };
                out.push(format!("{name} {verb} the DynamoDB table {}{mode}.", table.name));
            }
            Dep::Database(db) => out.push(format!(
                "It stores data in the RDS {} database {} (endpoint {}, security group {}).",
                db.engine.label(),
                db.id,
                db.endpoint,
                db.sg_name
            )),
            Dep::Http(http) if http.internal => {
                out.push(format!("It calls the {} at https://{}.", http.purpose, http.host));
            }
            Dep::Http(http) => {
                let secret = http
                    .secret
                    .and_then(|index| workload.deps.get(index))
                    .map(|secret| format!(", with the API key read from the Secrets Manager secret {}", secret.name()))
                    .unwrap_or_default();
                out.push(format!(
                    "{name} calls the external {} {} (https://{}){secret}.",
                    http.purpose, http.name, http.host
                ));
            }
            Dep::Bucket(bucket) => out.push(format!("It writes documents to the S3 bucket {bucket}.")),
            Dep::Publish(queue) => out.push(format!("It publishes events to the SQS queue {queue}.")),
            Dep::Secret(_) => {}
            Dep::Cache(cache) => out.push(format!(
                "It caches {} in the ElastiCache for Redis OSS replication group {} ({}, primary endpoint {}).",
                workload.domain.plural, cache.id, cache.node_type, cache.endpoint
            )),
            Dep::Credentials(credentials) => out.push(format!(
                "Its database password lives in the Secrets Manager secret {} (rotated by the Lambda function {}); the tasks receive it as an environment variable when they start.",
                credentials.name, credentials.rotation_function
            )),
            Dep::Stream(stream) => out.push(format!(
                "{name} publishes an event to the Kinesis data stream {} ({} shards, provisioned mode) for every {} it creates or updates; {} write to the same stream.",
                stream.name, stream.shards, workload.domain.singular, stream.other_producers
            )),
        }
    }
    if chance(rng, 0.35) {
        out.push(
            format!("The function runs with the execution role {}.", workload.compute.role())
                .replace("The function", if workload.compute.ecs().is_some() { "The task" } else { "The function" }),
        );
    }
    out
}

/// The sentence about an ECS service whose tasks run on the EC2 instances of an Auto Scaling group.
fn describe_ec2_service(workload: &Workload, service: &EcsService, alb: &Alb) -> Option<String> {
    let capacity = service.capacity.as_ref()?;
    let zones: Vec<&str> = capacity.zones.iter().map(|(zone, _)| zone.as_str()).collect();
    let zones = match zones.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => zones.join(""),
    };
    Some(format!(
        "The {} service {} runs on ECS (cluster {}, {} tasks of {}, one per container instance) on EC2 {} instances of the Auto Scaling group {} spread over {zones}, behind the Application Load Balancer {}.",
        workload.domain.plural,
        service.service,
        service.cluster,
        service.tasks,
        runtime_label(service.style.runtime()),
        capacity.instance_type,
        capacity.asg,
        alb.name
    ))
}

pub fn runtime_label(runtime: Runtime) -> &'static str {
    match runtime {
        Runtime::Node => "Node.js",
        Runtime::Python => "Python",
        Runtime::Java => "Java",
    }
}

fn plural_s(count: u32) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn capitalise(text: &str) -> String {
    super::naming::title_case(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn needs_are_honoured() {
        for seed in 0..30 {
            let mut rng = SimRng::seed_from_u64(seed);
            let mut builder = SystemBuilder::new(&mut rng);
            let api = builder.add(
                &mut rng,
                Template::ApiLambda,
                Needs { provisioned_table: true, http: true, secret: true, ..Needs::default() },
            );
            let web = builder.add(&mut rng, Template::AlbEcs, Needs::default());
            let system = builder.finish();
            let api = &system.workloads[api];
            assert!(api.table().is_some_and(|(_, t)| t.provisioned.is_some()));
            let (_, http) = api.http().expect("http dependency");
            assert!(http.secret.is_some() && !http.internal);
            assert!(system.workloads[web].database().is_some());
            assert_ne!(api.domain, system.workloads[web].domain);
        }
    }

    #[test]
    fn architecture_mentions_every_workload() {
        let mut rng = SimRng::seed_from_u64(11);
        let mut builder = SystemBuilder::new(&mut rng);
        for template in [Template::ApiLambda, Template::QueueLambda, Template::ScheduledJob, Template::AlbEcs] {
            builder.add(&mut rng, template, Needs::default());
        }
        let system = builder.finish();
        let text = architecture_text(&mut rng, &system);
        for workload in &system.workloads {
            assert!(text.contains(workload.name()), "{} missing from {text}", workload.name());
        }
    }
}
