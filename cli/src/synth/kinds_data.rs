//! Kind planners for incidents around what a workload keeps beside its code: a Redis cache that fills up, a
//! bucket policy that denies, a rotated database password the tasks never picked up, a feature flag switched on,
//! and a daily report that loads the database as it does every day (nothing wrong).

use serde_json::{Value, json};

use super::clock;
use super::cloudtrail::{Actor, Change};
use super::errors::feature_flag;
use super::faults::{Effect, Fault};
use super::kinds::{
    DatabaseService, answer, busy, busy_database_service, core, error_signals, healthy_answer, healthy_blip,
    other_workload_names, slack, who,
};
use super::kinds_dependency::ensure_bucket;
use super::knowledge::{self, FlagStore};
use super::model::{
    Action, Cache, Compute, Database, DbCredentials, Dep, Entry, JobKind, NamingStyle, Needs, Op, Route, RouteKind,
    Runtime, Schedule, Template, Workload,
};
use super::naming::camel;
use super::random::{SimRng, alnum, chance, hex, lower_alnum, pick, range_i64, range_u32, uniform, upper_hex, uuid};
use super::scenario::{Core, Draft, Signal, busiest_route};

/// ElastiCache node types: name and usable memory (GiB, after the default 25% reserved for the engine).
const NODE_TYPES: &[(&str, f64)] = &[("cache.t4g.medium", 2.32), ("cache.m7g.large", 4.79), ("cache.r7g.large", 9.8)];

/// The short region code in ElastiCache endpoints (`eu-west-1` → `euw1`).
fn region_code(region: &str) -> String {
    let parts: Vec<&str> = region.split('-').collect();
    let direction = match parts.get(1).copied().unwrap_or_default() {
        "northeast" => "ne",
        "southeast" => "se",
        "northwest" => "nw",
        "southwest" => "sw",
        other => &other[..other.len().min(1)],
    };
    format!("{}{direction}{}", parts.first().copied().unwrap_or_default(), parts.get(2).copied().unwrap_or_default())
}

/// A resource name in the team's style, lower case as ElastiCache and Secrets Manager paths want it.
fn styled(draft: &Draft, rng: &mut SimRng, base: &str) -> String {
    match &draft.system().namer.style {
        NamingStyle::EnvPrefix(env) => format!("{env}-{base}"),
        NamingStyle::EnvSuffix(env) => format!("{base}-{env}"),
        NamingStyle::Cdk => format!("{base}-{}", lower_alnum(rng, 6)),
        NamingStyle::Plain | NamingStyle::Camel => base.to_string(),
    }
}

fn new_cache(draft: &Draft, rng: &mut SimRng, workload: &Workload) -> Cache {
    let plural = workload.domain.plural;
    let word = *pick(rng, &["cache", "redis", "cache"]);
    let id = styled(draft, rng, &format!("{plural}-{word}"));
    let (node_type, gib) = *pick(rng, NODE_TYPES);
    let endpoint =
        format!("master.{id}.{}.{}.cache.amazonaws.com", lower_alnum(rng, 6), region_code(draft.system().region));
    Cache {
        primary: format!("{id}-001"),
        id,
        endpoint,
        node_type,
        maxmemory_bytes: gib * 1_073_741_824.0,
        hit_ratio: uniform(rng, 0.78, 0.93),
        used_percent: uniform(rng, 86.0, 93.0),
    }
}

/// Puts the cache in front of the workload's reads (cache-aside), idempotency keys before creates, and a cached
/// copy after updates; returns the cache's dependency index.
fn add_cache(draft: &mut Draft, target: usize, cache: Cache) -> usize {
    let workload = draft.workload_mut(target);
    workload.deps.push(Dep::Cache(cache));
    let dep = workload.deps.len() - 1;
    for route in &mut workload.routes {
        match route.kind {
            RouteKind::List | RouteKind::Get => {
                if let Some(read) = route.ops.iter().position(|op| !op.action.is_write()) {
                    route.ops.insert(read + 1, Op { dep, action: Action::CacheSet });
                    route.ops.insert(read, Op { dep, action: Action::CacheGet });
                }
            }
            RouteKind::Create => route.ops.insert(0, Op { dep, action: Action::CacheLock }),
            RouteKind::Update => route.ops.push(Op { dep, action: Action::CacheSet }),
            RouteKind::Consume | RouteKind::Job => {}
        }
    }
    dep
}

pub fn cache_maxmemory(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let Some(DatabaseService { target, workload, dep: db_dep, db, service }) = busy_database_service(draft, rng) else {
        return healthy_blip(draft, rng);
    };
    let cache = new_cache(draft, rng, &workload);
    let cache_dep = add_cache(draft, target, cache.clone());
    let ttl_bug = chance(rng, 0.6);
    // Memory climbs all through the window and reaches maxmemory at the onset; the keys Redis may evict (those
    // with a TTL) last a few more minutes.
    let drain_ms = range_i64(rng, 3, 8) * 60_000;
    draft.fault(
        Fault::new(target, draft.start_ms, Effect::CacheFill { dep: cache_dep, drain_ms })
            .ramp(draft.onset_ms - draft.start_ms),
    );
    // Cached lookups are the expensive queries; when they miss, the database does that work again.
    draft.fault(Fault::new(
        target,
        draft.start_ms,
        Effect::DbLoad { dep: db_dep, cpu: 0.0, slowdown: uniform(rng, 12.0, 30.0) },
    ));
    draft.fault(
        Fault::new(
            target,
            draft.onset_ms,
            Effect::DbLoad { dep: db_dep, cpu: uniform(rng, 25.0, 45.0), slowdown: uniform(rng, 3.0, 8.0) },
        )
        .ramp(drain_ms),
    );
    let singular = workload.domain.singular;
    let why = if ttl_bug {
        format!(
            "the `{singular}:recent:*` lists the update path writes, without a TTL since a release some days earlier dropped the EXPIRE, kept growing and took its memory"
        )
    } else {
        format!(
            "the data set kept without a TTL on purpose (per-customer `{singular}:recent:*` lists) grew with traffic and took its memory"
        )
    };
    let notes = format!(
        "The ElastiCache for Redis OSS node {} (replication group {}, {}, maxmemory-policy volatile-lru) filled up: {why} from {:.0}% of maxmemory at the start of the window to 100% at {}. From then on Redis evicted the keys that have a TTL, which are the cached lookups: Evictions rose, CacheHitRate fell, more reads went to {} (its CPU and the response times of {} rose). About {} minutes later nothing evictable was left and Redis refused writes ('OOM command not allowed when used memory > 'maxmemory'.'): idempotency keys could not be stored, so creating {} failed with 5XX, and cache fills failed (logged as warnings). Nothing was changed at the time; scale the node up or remove the keys without a TTL.",
        cache.primary,
        cache.id,
        cache.node_type,
        cache.used_percent,
        clock::iso_s(draft.onset_ms),
        db.id,
        service.service,
        drain_ms / 60_000,
        workload.domain.plural,
    );
    let mut core = core(
        target,
        answer(
            &cache.id,
            vec![cache.primary.clone(), cache.endpoint.clone()],
            "resource-exhaustion",
            &["resource-exhaustion", "capacity-limit"],
            &["metrics", "logs"],
            notes,
        ),
        vec![Signal::AlbTarget5xx, Signal::LatencyP99, Signal::CacheEvictions],
        slack("{thing} got slow around {time} and now creating {plural} fails now and then"),
        Some(knowledge::redis_memory_runbook(&workload, &cache, &db)),
    );
    // The database is slower because the cache misses: a victim, not the cause.
    core.answer.forbidden.push(db.id);
    core
}

/// Adds a route that serves a stored document of an item from the bucket.
fn add_document_route(draft: &mut Draft, rng: &mut SimRng, target: usize, bucket_dep: usize) {
    let word = *pick(rng, &["document", "pdf", "receipt", "export"]);
    let weight = uniform(rng, 1.5, 3.0);
    let workload = draft.workload_mut(target);
    let lookup = workload.routes.iter().find(|r| r.kind == RouteKind::Get).and_then(|r| r.ops.first().copied());
    let mut ops: Vec<Op> = lookup.into_iter().collect();
    ops.push(Op { dep: bucket_dep, action: Action::GetObject });
    let template = format!("/{}/{{id}}/{word}", workload.domain.plural);
    workload.routes.push(Route { method: "GET", template, kind: RouteKind::Get, weight, ops });
}

/// The statement that breaks access, the S3 actions it denies the workload, and what it was meant to do.
fn denying_statement(
    draft: &Draft,
    rng: &mut SimRng,
    bucket_arn: &str,
    role: &str,
    endpoint_id: &str,
) -> (Value, Vec<String>, String) {
    let objects = format!("{bucket_arn}/*");
    let everything = vec!["s3:GetObject".to_string(), "s3:PutObject".to_string()];
    match range_u32(rng, 0, 2) {
        0 => {
            let wrong = format!("vpce-0{}", hex(rng, 16));
            (
                json!({"Sid": "DenyOutsideVpcEndpoint", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [bucket_arn, objects], "Condition": {"StringNotEquals": {"aws:SourceVpce": wrong}}}),
                everything,
                format!(
                    "meant to allow access only through the VPC's S3 gateway endpoint {endpoint_id}, but naming {wrong} (another VPC's endpoint), so every request of the function was denied"
                ),
            )
        }
        1 => (
            json!({"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": objects, "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}),
            vec!["s3:PutObject".to_string()],
            "meant to enforce SSE-KMS on uploads; the function relies on the bucket's default encryption and sends no encryption header, so its uploads were denied (reads still worked)".to_string(),
        ),
        _ => {
            let account = &draft.system().account;
            let allowed = vec![
                format!("arn:aws:iam::{account}:role/{}", draft.system().company.ci_role),
                format!("arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/*"),
                format!("arn:aws:iam::{account}:role/{}-export-role", draft.system().namer.style.env_word()),
            ];
            (
                json!({"Sid": "DenyAllButApprovedRoles", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [bucket_arn, objects], "Condition": {"StringNotLike": {"aws:PrincipalArn": allowed}}}),
                everything,
                format!("meant to restrict the bucket to a list of approved roles, which left out the function's role {role}"),
            )
        }
    }
}

pub fn bucket_policy_deny(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let target = draft.add(rng, Template::ApiLambda, Needs { table: true, ..Needs::default() });
    busy(draft, rng, target);
    let (bucket_dep, bucket) = ensure_bucket(draft, target);
    add_document_route(draft, rng, target, bucket_dep);
    let workload = draft.workload(target).clone();
    let role = workload.compute.role().to_string();
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let endpoint_id = format!("vpce-0{}", hex(rng, 16));
    let (statement, actions, intent) = denying_statement(draft, rng, &bucket_arn, &role, &endpoint_id);
    let secure_transport = json!({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [bucket_arn, format!("{bucket_arn}/*")], "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
    let policy = json!({"Version": "2012-10-17", "Statement": [secure_transport, statement]});
    let at = draft.onset_ms - range_i64(rng, 5_000, 40_000);
    let actor = if chance(rng, 0.75) { draft.person(rng) } else { Actor::Iac };
    draft.change(at, actor.clone(), Change::PutBucketPolicy { bucket: bucket.clone(), policy });
    draft.fault(Fault::new(target, at + 2_000, Effect::BucketDeny { dep: bucket_dep, actions: actions.clone() }));
    // Half the time the function's role changed earlier the same hour, harmlessly: AccessDenied invites blaming it.
    let mut forbidden = Vec::new();
    if chance(rng, 0.5) {
        let earlier = draft.onset_ms - range_i64(rng, 10, 40) * 60_000;
        let actor = if chance(rng, 0.5) { Actor::Iac } else { draft.person(rng) };
        let policy_arn = "arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy".to_string();
        draft.change(earlier, actor, Change::AttachRolePolicy { role: role.clone(), policy_arn });
        forbidden.push(role.clone());
    }
    let notes = format!(
        "PutBucketPolicy by {} at {} added a Deny statement to the policy of the S3 bucket {bucket}, {intent}. From then on {} got AccessDenied ('... is not authorized to perform: {} ... with an explicit deny in a resource-based policy') and the requests that use the bucket failed with 5XX. The function's IAM role was fine{}; fix or remove the statement.",
        who(draft, &actor),
        clock::iso_s(at),
        workload.name(),
        actions.join(" / "),
        if forbidden.is_empty() { "" } else { " (the policy attached to it earlier changed nothing here)" },
    );
    let mut core = core(
        target,
        answer(
            &bucket,
            vec![bucket_arn, format!("{bucket} bucket policy")],
            "permission-change",
            &["permission-change"],
            &["logs", "audit"],
            notes,
        ),
        error_signals(&workload),
        slack("{thing} returns 500 for documents since {time}"),
        Some(knowledge::bucket_policy_runbook(draft, &workload, &bucket, &endpoint_id)),
    );
    core.answer.forbidden.extend(forbidden);
    core
}

fn new_credentials(draft: &Draft, rng: &mut SimRng, workload: &Workload, db: &Database) -> DbCredentials {
    let plural = workload.domain.plural;
    let env = draft.system().namer.style.env_word();
    let engine = if db.engine.is_postgres() { "postgres" } else { "mysql" };
    let name = match &draft.system().namer.style {
        NamingStyle::Cdk => format!("{}DbCredentials{}-{}", workload.domain.title(), upper_hex(rng, 8), alnum(rng, 6)),
        _ => pick(rng, &["{env}/{d}/db-credentials", "{d}/{engine}/app", "{env}-{d}-db-app-user", "rds/{db}/app"])
            .replace("{env}", env)
            .replace("{d}", plural)
            .replace("{engine}", engine)
            .replace("{db}", &db.id),
    };
    let template = if db.engine.is_postgres() { "PostgreSQL" } else { "MySQL" };
    let rotation_function = match range_u32(rng, 0, 2) {
        0 => format!("{plural}-db-rotation"),
        1 => format!("SecretsManagerRDS{template}RotationSingleUser"),
        _ => styled(draft, rng, &format!("{plural}-secret-rotation")),
    };
    DbCredentials {
        arn: draft.system().arn("secretsmanager", &format!("secret:{name}-{}", alnum(rng, 6))),
        name,
        rotation_function,
    }
}

/// How long the pools of a runtime take to replace their connections (Node's pg pool closes idle ones after
/// seconds, SQLAlchemy recycles after minutes, Hikari's maxLifetime is 30 minutes).
fn pool_turnover_ms(rng: &mut SimRng, runtime: Runtime) -> i64 {
    match runtime {
        Runtime::Node => range_i64(rng, 60, 180) * 1000,
        Runtime::Python => range_i64(rng, 4, 8) * 60_000,
        Runtime::Java => range_i64(rng, 10, 20) * 60_000,
    }
}

/// An unrelated, harmless parameter change on the database earlier the same hour; returns the group's name.
fn innocent_parameter_change(draft: &mut Draft, rng: &mut SimRng, db: &Database) -> String {
    let (group, parameter, value) = if db.engine.is_postgres() {
        (format!("{}-pg16", db.id), "log_min_duration_statement", "500")
    } else {
        (format!("{}-mysql80", db.id), "long_query_time", "2")
    };
    let at = draft.onset_ms - range_i64(rng, 15, 40) * 60_000;
    let actor = draft.person(rng);
    draft.change(
        at,
        actor,
        Change::ModifyDbParameterGroup {
            group: group.clone(),
            parameter: parameter.to_string(),
            value: value.to_string(),
        },
    );
    group
}

pub fn secret_rotation_mismatch(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let Some(DatabaseService { target, workload, dep, db, service }) = busy_database_service(draft, rng) else {
        return healthy_blip(draft, rng);
    };
    let credentials = new_credentials(draft, rng, &workload, &db);
    let secret_dep = {
        let workload = draft.workload_mut(target);
        workload.deps.push(Dep::Credentials(credentials.clone()));
        workload.deps.len() - 1
    };
    let turnover_ms = pool_turnover_ms(rng, service.style.runtime());
    // setSecret changes the password about two and a half seconds into the rotation.
    let rotation_ms = draft.onset_ms - 2_600;
    let scheduled = chance(rng, 0.5);
    let actor = if scheduled { Actor::Iac } else { draft.person(rng) };
    let version = uuid(rng);
    draft.change(
        rotation_ms,
        actor.clone(),
        Change::SecretRotation {
            secret: credentials.name.clone(),
            arn: credentials.arn.clone(),
            rotation_function: credentials.rotation_function.clone(),
            version: version.clone(),
            scheduled,
        },
    );
    draft.fault(
        Fault::new(
            target,
            draft.onset_ms,
            Effect::StaleCredentials { dep, credentials: secret_dep, rotation_ms, version: version.clone() },
        )
        .ramp(turnover_ms),
    );
    let red_herring = chance(rng, 0.5).then(|| innocent_parameter_change(draft, rng, &db));
    let started = if scheduled {
        "Its rotation schedule started a rotation".to_string()
    } else {
        format!("{} ran RotateSecret", who(draft, &actor))
    };
    let refusal = if db.engine.is_postgres() {
        "password authentication failed for user \"app\""
    } else {
        "Access denied for user 'app'@'10.0.x.x' (using password: YES)"
    };
    let notes = format!(
        "{started} on the Secrets Manager secret {} at {}: the rotation function {} set a new password for the database user app on {} (setSecret) and moved AWSCURRENT to version {version}. The {} tasks read the password once, when they start, so they kept the old one: open pooled connections went on working, but every new connection was refused ('{refusal}'), and as the pools replaced their connections over about {} minutes more and more requests failed with 5XX. A new deployment of the service (or a rotation strategy with alternating users) fixes it{}.",
        credentials.name,
        clock::iso_s(rotation_ms),
        credentials.rotation_function,
        db.id,
        service.service,
        (turnover_ms + 59_999) / 60_000,
        if red_herring.is_some() { "; the parameter group change earlier that hour is unrelated" } else { "" },
    );
    let mut core = core(
        target,
        answer(
            &credentials.name,
            vec![credentials.arn.clone(), format!("app@{}", db.db_name)],
            "credential-expiry",
            &["credential-expiry", "configuration-change"],
            &["logs", "audit"],
            notes,
        ),
        vec![Signal::AlbTarget5xx, Signal::LatencyP99],
        slack("{thing} failing for more and more requests since {time}, db login errors in the logs"),
        Some(knowledge::db_credentials_runbook(&workload, &db, &credentials)),
    );
    core.answer.forbidden.extend(red_herring);
    core
}

/// The flag's home and how the change was made: the answer's component and aliases, the store's description, and
/// how long until every instance serves the new value.
struct FlagChange {
    component: String,
    aliases: Vec<String>,
    store: FlagStore,
    live_ms: i64,
    what: String,
}

fn flag_in_parameter_store(
    draft: &mut Draft,
    rng: &mut SimRng,
    workload: &Workload,
    flag: &str,
    at: i64,
) -> FlagChange {
    let env = draft.system().namer.style.env_word();
    let plural = workload.domain.plural;
    let prefix =
        if chance(rng, 0.6) { format!("/{env}/{plural}/feature-flags") } else { format!("/{plural}/{env}/flags") };
    let name = format!("{prefix}/{flag}");
    let cache_s = *pick(rng, &[60u32, 120, 300]);
    let actor = if chance(rng, 0.85) { draft.person(rng) } else { Actor::Iac };
    draft.change(at, actor.clone(), Change::PutParameter { name: name.clone() });
    let arn = draft.system().arn("ssm", &format!("parameter{name}"));
    FlagChange {
        aliases: vec![flag.to_string(), arn],
        store: FlagStore {
            place: format!("SSM Parameter Store under `{prefix}/` (one String parameter per flag, `true` or `false`)"),
            cache_s,
            switch_off: format!("`aws ssm put-parameter --name {prefix}/<flag> --value false --overwrite`"),
            audit: "`PutParameter`, `DeleteParameter`",
        },
        // Instances pick the value up when their cached copy expires.
        live_ms: i64::from(cache_s) * 1000,
        what: format!(
            "PutParameter by {} at {} set the parameter {name} (the feature flag {flag}) to true",
            who(draft, &actor),
            clock::iso_s(at)
        ),
        component: name,
    }
}

fn flag_in_appconfig(draft: &mut Draft, rng: &mut SimRng, workload: &Workload, flag: &str, at: i64) -> FlagChange {
    let plural = workload.domain.plural;
    let application = format!("{plural}-{}", pick(rng, &["service", "app", "api"]));
    let profile = format!("{plural}-{}", pick(rng, &["feature-flags", "flags", "release-toggles"]));
    let (application_id, environment_id, profile_id) = (lower_alnum(rng, 7), lower_alnum(rng, 7), lower_alnum(rng, 7));
    let version = range_u32(rng, 4, 60);
    let (strategy_id, live_ms) = match range_u32(rng, 0, 2) {
        0 => ("AppConfig.AllAtOnce".to_string(), range_i64(rng, 45, 90) * 1000),
        1 => ("AppConfig.Linear50PercentEvery30Seconds".to_string(), range_i64(rng, 75, 120) * 1000),
        _ => (lower_alnum(rng, 7), range_i64(rng, 9, 11) * 60_000),
    };
    let description = chance(rng, 0.5).then(|| format!("enable {flag}"));
    let actor = if chance(rng, 0.85) { draft.person(rng) } else { Actor::Ci };
    draft.change(
        at,
        actor.clone(),
        Change::AppConfigDeployment {
            application_id: application_id.clone(),
            environment_id,
            profile: profile.clone(),
            profile_id: profile_id.clone(),
            version,
            strategy_id: strategy_id.clone(),
            description,
        },
    );
    FlagChange {
        // Not the application: its name is close to the workload's, which is not the answer.
        aliases: vec![flag.to_string(), profile_id],
        store: FlagStore {
            place: format!("AWS AppConfig (application `{application}` ({application_id}), feature flag profile `{profile}`), read through the AppConfig Lambda extension or agent"),
            cache_s: 45,
            switch_off: "create a configuration version with the flag disabled and deploy it with `AppConfig.AllAtOnce`, or `aws appconfig stop-deployment` while a deployment is still rolling out".to_string(),
            audit: "`CreateHostedConfigurationVersion`, `StartDeployment`, `StopDeployment`",
        },
        live_ms,
        what: format!(
            "{} deployed version {version} of the AppConfig profile {profile} (application {application}) at {} with the strategy {strategy_id}, switching the feature flag {flag} on",
            who(draft, &actor),
            clock::iso_s(at)
        ),
        component: profile,
    }
}

/// Half the time, another team's flag or setting changed earlier the same hour; returns the parameter's name.
fn innocent_parameter(draft: &mut Draft, rng: &mut SimRng, target: usize) -> Option<String> {
    let others: Vec<usize> = (0..draft.system().workloads.len()).filter(|i| *i != target).collect();
    if others.is_empty() || !chance(rng, 0.5) {
        return None;
    }
    let other = draft.workload(others[range_i64(rng, 0, others.len() as i64 - 1) as usize]).domain.plural;
    let env = draft.system().namer.style.env_word();
    let name = format!(
        "/{env}/{other}/{}",
        pick(rng, &["log-level", "feature-flags/new-search-ranking", "rate-limits/partner-api"])
    );
    let at = draft.onset_ms - range_i64(rng, 10, 40) * 60_000;
    let actor = draft.person(rng);
    draft.change(at, actor, Change::PutParameter { name: name.clone() });
    Some(name)
}

pub fn feature_flag_flip(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let template = if chance(rng, 0.7) { Template::ApiLambda } else { Template::AlbEcs };
    let target = draft.add(rng, template, Needs::default());
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let route = busiest_route(&workload, Some(*pick(rng, &[RouteKind::Create, RouteKind::Get, RouteKind::Get])));
    let variant = range_u32(rng, 0, 5) as usize;
    let flag = feature_flag(variant);
    let share = uniform(rng, 0.25, 0.7);
    let at = draft.onset_ms - range_i64(rng, 5_000, 40_000);
    let change = if chance(rng, 0.55) {
        flag_in_parameter_store(draft, rng, &workload, flag, at)
    } else {
        flag_in_appconfig(draft, rng, &workload, flag, at)
    };
    draft.fault(Fault::new(target, at + 2_000, Effect::FlagPath { route, variant, share }).ramp(change.live_ms));
    let innocent = innocent_parameter(draft, rng, target);
    let route_def = &workload.routes[route];
    let notes = format!(
        "{}. The new code path behind the flag (already deployed, dormant until then) fails for about {:.0}% of the requests to {} {} (an unhandled error in apply{}), so {} returned 5XX for them once instances picked the new value up (within about {} s). Nothing was deployed; switch the flag off. {} is where the errors show but is not accepted as the root-cause component: its code did not change, and rolling it back would not help.",
        change.what,
        share * 100.0,
        route_def.method,
        route_def.template,
        camel(flag),
        workload.name(),
        change.live_ms / 1000,
        workload.name(),
    );
    let mut core = core(
        target,
        answer(
            &change.component,
            change.aliases,
            "configuration-change",
            &["configuration-change", "deployment"],
            &["logs", "audit"],
            notes,
        ),
        error_signals(&workload),
        slack("{thing}: some {plural} requests failing with 500 since {time}"),
        Some(knowledge::feature_flag_runbook(&workload, &change.store)),
    );
    core.answer.forbidden.extend(innocent);
    core
}

/// Turns a freshly added scheduled workload into the daily report job of `owner`'s data.
fn make_report_job(draft: &mut Draft, rng: &mut SimRng, job: usize, owner: &Workload, at_min: u32, run_s: u32) {
    let plural = owner.domain.plural;
    let base = format!("{plural}-daily-report");
    let namer = draft.system().namer.clone();
    let name = namer.function(rng, plural, &base);
    let role = namer.role(rng, plural, &name, &base);
    let rule = match &namer.style {
        NamingStyle::Cdk => format!("{}Stack-DailyReportSchedule{}", owner.domain.title(), upper_hex(rng, 8)),
        _ => format!("{name}-schedule"),
    };
    let bucket = format!("{}-{}-reports", draft.system().company.slug, namer.style.env_word());
    let workload = draft.workload_mut(job);
    workload.domain = owner.domain;
    if let Compute::Lambda(function) = &mut workload.compute {
        function.name = name.clone();
        function.role = role;
        function.timeout_s = 900;
        function.memory_mb = 2048;
        function.alias = None;
        function.reserved_concurrency = Some(1);
    }
    workload.log_group = format!("/aws/lambda/{name}");
    workload.entry = Entry::Schedule(Schedule {
        rule,
        every_min: 1440,
        job: JobKind::Report { at_min, run_s },
        erp_host: String::new(),
    });
    workload.deps = vec![Dep::Bucket(bucket)];
    workload.routes = vec![Route {
        method: "-",
        template: String::new(),
        kind: RouteKind::Job,
        weight: 1.0,
        ops: vec![Op { dep: 0, action: Action::PutObject }],
    }];
}

pub fn healthy_batch_spike(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let Some(DatabaseService { target, workload, dep, db, service }) = busy_database_service(draft, rng) else {
        return healthy_blip(draft, rng);
    };
    // Report jobs are scheduled on the quarter hour; the incident starts when the job does.
    let scheduled_ms = draft.onset_ms.div_euclid(900_000) * 900_000;
    draft.onset_ms = scheduled_ms + range_i64(rng, 40_000, 70_000);
    let at_min = (scheduled_ms.div_euclid(60_000).rem_euclid(1440)) as u32;
    let run_s = range_u32(rng, 6 * 60, 13 * 60);
    let job = draft.add(rng, Template::ScheduledJob, Needs::default());
    make_report_job(draft, rng, job, &workload, at_min, run_s);
    let cpu = uniform(rng, 45.0, 70.0);
    draft.fault(
        Fault::new(target, draft.onset_ms, Effect::DbLoad { dep, cpu, slowdown: uniform(rng, 15.0, 40.0) })
            .ramp(range_i64(rng, 60_000, 150_000))
            .until(scheduled_ms + i64::from(run_s) * 1000 + 20_000),
    );
    let job_workload = draft.workload(job).clone();
    let doc = knowledge::report_job_runbook(&workload, &job_workload, &db, at_min);
    let notes = format!(
        "The daily report job {} started at its usual time ({:02}:{:02} UTC, every day) and ran its aggregate queries on {} for about {} minutes: the database's CPU rose to about {:.0}% and the response times of {} rose with it, which crossed a single-datapoint alarm. It happens every day (see {}); errors stayed at their usual level and everything was back to normal once the run finished. Nothing is wrong (a read replica for the report is planned).",
        job_workload.name(),
        at_min / 60,
        at_min % 60,
        db.id,
        run_s / 60,
        cpu + 9.0,
        service.service,
        doc.file_name,
    );
    let mut forbidden = other_workload_names(draft, &workload);
    forbidden.push(db.id.clone());
    Core {
        target,
        answer: healthy_answer(notes, forbidden),
        signals: vec![Signal::DbCpu, Signal::LatencyP99],
        symptom: None,
        relevant_doc: Some(doc),
        doc_required: true,
        single_datapoint: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_read_like_elasticache_endpoints() {
        assert_eq!(region_code("us-east-1"), "use1");
        assert_eq!(region_code("ap-northeast-1"), "apne1");
        assert_eq!(region_code("eu-central-1"), "euc1");
        assert_eq!(region_code("ap-southeast-2"), "apse2");
    }
}
