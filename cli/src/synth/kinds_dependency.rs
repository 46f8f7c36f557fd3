//! Kind planners for incidents where a dependency stops accepting the workload's calls although its code did not
//! change: a disabled KMS key, a database out of connection slots, a provider's lowered quota, a mistyped name in
//! the function's environment.

use super::clock;
use super::cloudtrail::{Actor, Change, KeyAction};
use super::faults::{Effect, Fault};
use super::kinds::{
    DatabaseService, answer, busy, busy_database_service, core, error_signals, healthy_blip, logical_aliases, slack,
    who,
};
use super::knowledge;
use super::model::{Action, Compute, Dep, KmsKey, Needs, Op, RouteKind, Template, Workload};
use super::naming::{camel, title_case};
use super::random::{SimRng, chance, pick, range_i64, uniform, uuid, weighted};
use super::scenario::{Core, Draft, Signal};

/// A new customer-managed key for `resource` (a table or bucket of `workload`).
fn new_key(draft: &Draft, rng: &mut SimRng, workload: &Workload, resource: &str, service: &'static str) -> KmsKey {
    let plural = workload.domain.plural;
    let env = draft.system().namer.style.env_word();
    let alias = match (service, range_i64(rng, 0, 2)) {
        ("s3", 0) => format!("alias/{plural}-documents-key"),
        ("s3", _) => format!("alias/{env}/{plural}-s3"),
        (_, 0) => format!("alias/{plural}-table-key"),
        (_, 1) => format!("alias/{env}/{plural}-dynamodb"),
        _ => format!("alias/{plural}-data"),
    };
    let id = uuid(rng);
    KmsKey {
        arn: draft.system().arn("kms", &format!("key/{id}")),
        alias,
        id,
        resource: resource.to_string(),
        service,
        user_role: workload.compute.role().to_string(),
        user_session: workload.name().to_string(),
    }
}

/// Gives the workload a document bucket written on every create and update (or consumed message).
pub(super) fn ensure_bucket(draft: &mut Draft, target: usize) -> (usize, String) {
    let company = draft.system().company.slug;
    let env = draft.system().namer.style.env_word();
    let workload = draft.workload_mut(target);
    let dep = match workload.dep_index(|d| matches!(d, Dep::Bucket(_))) {
        Some(dep) => dep,
        None => {
            workload.deps.push(Dep::Bucket(format!("{company}-{env}-{}-documents", workload.domain.plural)));
            workload.deps.len() - 1
        }
    };
    for route in &mut workload.routes {
        let writes = matches!(route.kind, RouteKind::Create | RouteKind::Update | RouteKind::Consume);
        if writes && !route.ops.iter().any(|op| op.dep == dep) {
            route.ops.push(Op { dep, action: Action::PutObject });
        }
    }
    (dep, workload.deps[dep].name().to_string())
}

pub fn kms_key_disabled(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let on_s3 = chance(rng, 0.3);
    let template = if chance(rng, 0.7) { Template::ApiLambda } else { Template::QueueLambda };
    let target = draft.add(rng, template, Needs { table: true, ..Needs::default() });
    busy(draft, rng, target);
    let (dep, resource, service) = if on_s3 {
        let (dep, bucket) = ensure_bucket(draft, target);
        (dep, bucket, "s3")
    } else {
        let Some((dep, table)) = draft.workload(target).table() else { return healthy_blip(draft, rng) };
        (dep, table.name.clone(), "dynamodb")
    };
    let workload = draft.workload(target).clone();
    let key = new_key(draft, rng, &workload, &resource, service);
    draft.builder.system.kms_keys.push(key.clone());
    let action = if chance(rng, 0.35) {
        KeyAction::ScheduleDeletion { days: *pick(rng, &[7, 7, 30]) }
    } else {
        KeyAction::Disable
    };
    let pending_deletion = action != KeyAction::Disable;
    // DynamoDB keeps using its cached table key for about five minutes; S3 asks KMS for every object it writes.
    let (at, live, ramp) = if on_s3 {
        let at = draft.onset_ms - range_i64(rng, 5_000, 40_000);
        (at, at + 1_000, 0)
    } else {
        (draft.onset_ms - range_i64(rng, 270_000, 390_000), draft.onset_ms, range_i64(rng, 60_000, 150_000))
    };
    let actor = if chance(rng, 0.85) { draft.person(rng) } else { Actor::Iac };
    draft.change(at, actor.clone(), Change::KmsKey { key_id: key.id.clone(), alias: key.alias.clone(), action });
    draft.fault(
        Fault::new(target, live, Effect::KeyUnusable { dep, key_arn: key.arn.clone(), pending_deletion }).ramp(ramp),
    );
    let forbidden = innocent_key_change(draft, rng);

    let what = if on_s3 { "S3 bucket" } else { "DynamoDB table" };
    let call = match action {
        KeyAction::ScheduleDeletion { days } => format!("ScheduleKeyDeletion ({days}-day window)"),
        _ => "DisableKey".to_string(),
    };
    let error = match (on_s3, pending_deletion) {
        (true, false) => "KMS.DisabledException",
        (true, true) => "KMS.KMSInvalidStateException",
        (false, false) => "ValidationException: KMS key disabled error ... DisabledException",
        (false, true) => "ValidationException: KMS key invalid state error ... KMSInvalidStateException",
    };
    let notes = format!(
        "{call} by {} at {} on the customer-managed KMS key {} ({}), which encrypts the {what} {resource}; {} every call of {} to {resource} failed ({error}: the key {}) and requests failed. Re-enable the key{}.",
        who(draft, &actor),
        clock::iso_s(at),
        key.alias,
        key.id,
        if on_s3 { "from then on" } else { "once DynamoDB's cached table key expired (about five minutes later)," },
        workload.name(),
        if pending_deletion { "is pending deletion" } else { "is disabled" },
        if pending_deletion { " after cancelling the deletion" } else { "" }
    );
    let mut signals = error_signals(&workload);
    if workload.queue().is_some() {
        signals.push(Signal::DlqVisible);
    }
    let symptom = if on_s3 {
        "{thing}: saving {plural} fails since {time}, reads look fine"
    } else {
        "{thing} failing on basically every request since {time}"
    };
    let doc = knowledge::kms_key_runbook(draft, &workload, &key);
    let mut core = core(
        target,
        answer(
            &key.alias,
            vec![key.id.clone(), key.arn.clone(), resource.clone()],
            "permission-change",
            &["permission-change", "configuration-change"],
            &["logs", "audit"],
            notes,
        ),
        signals,
        slack(symptom),
        Some(doc),
    );
    core.answer.forbidden.extend(forbidden);
    core
}

/// Half the time, an unrelated workload's key gets automatic rotation enabled earlier the same hour (a KMS
/// call that changes nothing for its users); returns the names it implicates.
fn innocent_key_change(draft: &mut Draft, rng: &mut SimRng) -> Vec<String> {
    if !chance(rng, 0.5) {
        return Vec::new();
    }
    let other = draft.add(rng, Template::QueueLambda, Needs { table: true, ..Needs::default() });
    draft.workload_mut(other).rate_per_min *= uniform(rng, 0.3, 0.8);
    let workload = draft.workload(other).clone();
    let Some((_, table)) = workload.table() else { return Vec::new() };
    let key = new_key(draft, rng, &workload, &table.name, "dynamodb");
    draft.builder.system.kms_keys.push(key.clone());
    let at = draft.onset_ms - range_i64(rng, 10, 40) * 60_000;
    let actor = if chance(rng, 0.5) { Actor::Iac } else { draft.person(rng) };
    draft.change(
        at,
        actor,
        Change::KmsKey { key_id: key.id.clone(), alias: key.alias.clone(), action: KeyAction::EnableRotation },
    );
    vec![key.alias]
}

/// Default `max_connections` of small RDS instance classes (PostgreSQL, MySQL), smallest first.
const INSTANCE_CLASSES: &[(&str, u32, u32)] =
    &[("db.t4g.micro", 81, 66), ("db.t4g.small", 189, 150), ("db.t4g.medium", 405, 312), ("db.m6g.large", 823, 648)];

pub fn db_connection_limit(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let Some(DatabaseService { target, workload, dep, db, service }) = busy_database_service(draft, rng) else {
        return healthy_blip(draft, rng);
    };
    let pool = *pick(rng, &[10u32, 15, 20, 25]);
    let before = service.tasks;
    let (class, max_connections) = INSTANCE_CLASSES
        .iter()
        .map(|(class, postgres, mysql)| (*class, if db.engine.is_postgres() { *postgres } else { *mysql }))
        .find(|(_, max)| f64::from(before * pool) <= 0.65 * f64::from(*max))
        .unwrap_or(("db.r6g.large", 1600));
    let desired =
        ((f64::from(max_connections) * uniform(rng, 1.35, 1.9) / f64::from(pool)).ceil() as u32).max(before + 3);
    let autoscaling = chance(rng, 0.35);
    let at = draft.onset_ms - range_i64(rng, if autoscaling { 120_000 } else { 60_000 }, 200_000);
    // Application Auto Scaling updates the service a little after its minimum was raised.
    let scale_at = if autoscaling { at + 60_000 } else { at + 5_000 };
    let actor = if chance(rng, 0.7) { draft.person(rng) } else { Actor::Iac };
    draft.change(
        at,
        actor.clone(),
        Change::EcsScale {
            cluster: service.cluster.clone(),
            service: service.service.clone(),
            from: before,
            to: desired,
            autoscaling,
        },
    );
    draft.fault(Fault::new(target, draft.start_ms, Effect::ConnectionCap { dep, max_connections, pool }));
    draft.fault(Fault::new(target, scale_at, Effect::ScaleOut { desired }));
    let how = if autoscaling {
        format!("raised the auto scaling minimum of {} to {desired} (RegisterScalableTarget)", service.service)
    } else {
        format!("set the desired count of {} to {desired} (UpdateService)", service.service)
    };
    let refusal =
        if db.engine.is_postgres() { "FATAL: sorry, too many clients already" } else { "Too many connections (1040)" };
    let notes = format!(
        "{} at {} {how}, up from {before}. Each task keeps a pool of {pool} connections, so {desired} tasks want {} connections, more than the {} instance {} ({class}) allows (max_connections {max_connections}). As the new tasks started, DatabaseConnections went flat at the ceiling and new connections were refused ('{refusal}'), so part of the requests failed with 5XX.",
        who(draft, &actor),
        clock::iso_s(at),
        desired * pool,
        db.engine.label(),
        db.id,
    );
    core(
        target,
        answer(
            &db.id,
            vec![db.endpoint.clone(), service.service.clone()],
            "capacity-limit",
            &["capacity-limit", "resource-exhaustion", "configuration-change"],
            &["logs", "metrics"],
            notes,
        ),
        vec![Signal::AlbTarget5xx, Signal::LatencyP99],
        slack("{thing} failing for part of the requests since {time}, database errors in the logs"),
        Some(knowledge::db_connections_runbook(draft, &workload, &db)),
    )
}

/// Share of the workload's requests that call dependency `dep`.
fn call_share(workload: &Workload, dep: usize) -> f64 {
    let total: f64 = workload.routes.iter().map(|r| r.weight).sum::<f64>().max(1e-9);
    let calling: f64 = workload.routes.iter().filter(|r| r.ops.iter().any(|op| op.dep == dep)).map(|r| r.weight).sum();
    calling / total
}

pub fn downstream_rate_limit(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let template = if chance(rng, 0.65) { Template::ApiLambda } else { Template::AlbEcs };
    let target = draft.add(rng, template, Needs { http: true, ..Needs::default() });
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let Some((dep, http)) = workload.http().map(|(d, h)| (d, h.clone())) else { return healthy_blip(draft, rng) };
    let calls_per_minute = draft.requests_per_second(target) * 60.0 * call_share(&workload, dep);
    let per_minute = ((calls_per_minute * uniform(rng, 0.5, 0.75)).floor() as u32).max(1);
    draft.fault(Fault::new(target, draft.onset_ms, Effect::RateLimit { dep, per_minute }));
    let busier = chance(rng, 0.4);
    if busier {
        let since = draft.onset_ms - range_i64(rng, 10, 25) * 60_000;
        let multiplier = uniform(rng, 1.1, 1.3);
        draft.fault(Fault::new(target, since, Effect::Demand { multiplier, synthetic: false }).ramp(10 * 60_000));
    }
    let notes = format!(
        "From {} {} ({}) accepts only about {per_minute} calls per minute for our API key (the provider lowered the plan's quota; nothing changed in our account{}); calls beyond that answer 429 Too Many Requests with a Retry-After until the minute ends, so part of {}'s requests fail.",
        clock::iso_s(draft.onset_ms),
        http.name,
        http.host,
        if busier { ", our own traffic was only slightly higher than usual" } else { "" },
        workload.name()
    );
    core(
        target,
        answer(
            &http.host,
            vec![http.name.clone(), title_case(&http.name)],
            "dependency-failure",
            &["dependency-failure", "capacity-limit"],
            &["logs", "traces"],
            notes,
        ),
        error_signals(&workload),
        slack("{thing}: {provider} calls failing on and off since {time}"),
        Some(knowledge::provider_rate_limit_runbook(draft, &workload, &http)),
    )
    .with_symptom_provider(&http.name)
}

/// Which setting of the function's environment goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    Table,
    Queue,
    BaseUrl,
}

/// A plausible slip of the keyboard or copy-paste: swapped or dropped letters, or another stage's suffix.
fn typo(rng: &mut SimRng, name: &str, allow_suffix: bool) -> String {
    let chars: Vec<char> = name.chars().collect();
    let letters: Vec<usize> = (1..chars.len().saturating_sub(1)).filter(|i| chars[*i].is_ascii_alphabetic()).collect();
    let choice = if allow_suffix { range_i64(rng, 0, 2) } else { range_i64(rng, 0, 1) };
    let mut out = chars.clone();
    match (choice, letters.is_empty()) {
        (0, false) => {
            let at = letters[range_i64(rng, 0, letters.len() as i64 - 1) as usize];
            if at + 1 < out.len() && out[at] != out[at + 1] && out[at + 1].is_ascii_alphabetic() {
                out.swap(at, at + 1);
            } else {
                out.remove(at);
            }
        }
        (1, false) => {
            let at = letters[range_i64(rng, 0, letters.len() as i64 - 1) as usize];
            out.remove(at);
        }
        _ => return format!("{name}-{}", pick(rng, &["staging", "v2", "dev"])),
    }
    let text: String = out.into_iter().collect();
    if text == name { format!("{name}-v2") } else { text }
}

pub fn env_var_misconfig(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let setting = match weighted(rng, &[0.45, 0.25, 0.3]) {
        0 => Setting::Table,
        1 => Setting::Queue,
        _ => Setting::BaseUrl,
    };
    let needs = if setting == Setting::BaseUrl {
        Needs { http: true, ..Needs::default() }
    } else {
        Needs { table: true, ..Needs::default() }
    };
    let target = draft.add(rng, Template::ApiLambda, needs);
    busy(draft, rng, target);
    // A configuration change applies to $LATEST, which an unaliased function serves.
    if let Compute::Lambda(function) = &mut draft.workload_mut(target).compute {
        function.alias = None;
    }
    if setting == Setting::Queue && draft.workload(target).dep_index(|d| matches!(d, Dep::Publish(_))).is_none() {
        let domain = draft.workload(target).domain;
        let queue = draft.system().namer.queue(rng, &domain, "events");
        let workload = draft.workload_mut(target);
        workload.deps.push(Dep::Publish(queue));
        let dep = workload.deps.len() - 1;
        for route in workload.routes.iter_mut().filter(|r| r.kind == RouteKind::Create) {
            route.ops.push(Op { dep, action: Action::SendMessage });
        }
    }
    let workload = draft.workload(target).clone();
    let queue_url =
        |queue: &str| format!("https://sqs.{}.amazonaws.com/{}/{queue}", draft.system().region, draft.system().account);
    let plural_upper = workload.domain.plural.to_uppercase().replace('-', "_");
    let found = workload.deps.iter().enumerate().find_map(|(dep, d)| match (setting, d) {
        (Setting::Table, Dep::Table(table)) => Some((
            dep,
            pick(rng, &["TABLE_NAME", "DYNAMODB_TABLE"]).to_string(),
            table.name.clone(),
            typo(rng, &table.name, true),
        )),
        (Setting::Queue, Dep::Publish(queue)) => Some((
            dep,
            format!("{plural_upper}_EVENTS_QUEUE_URL"),
            queue_url(queue),
            queue_url(&typo(rng, queue, true)),
        )),
        (Setting::BaseUrl, Dep::Http(http)) => {
            let (first, rest) = http.host.split_once('.').unwrap_or((http.host.as_str(), ""));
            let (label, domain) =
                if rest.contains('.') { rest.split_once('.').unwrap_or((rest, "")) } else { (first, rest) };
            let wrong_label = typo(rng, label, false);
            let wrong_host = if rest.contains('.') {
                format!("{first}.{wrong_label}.{domain}")
            } else {
                format!("{wrong_label}.{rest}")
            };
            Some((
                dep,
                format!("{}_BASE_URL", http.name.to_uppercase().replace('-', "_")),
                format!("https://{}", http.host),
                wrong_host,
            ))
        }
        _ => None,
    });
    let Some((dep, variable, before, wrong)) = found else { return healthy_blip(draft, rng) };
    let at = draft.onset_ms - range_i64(rng, 5_000, 40_000);
    let actor = if chance(rng, 0.6) { draft.person(rng) } else { Actor::Iac };
    draft.change(at, actor.clone(), Change::UpdateFunctionEnvironment { function: workload.name().to_string() });
    draft.fault(Fault::new(target, at + 3_000, Effect::Deploy { label: "$LATEST".to_string() }));
    draft.fault(Fault::new(target, at + 3_000, Effect::Misconfigured { dep, value: wrong.clone() }));
    let (after, error) = match setting {
        Setting::Table => (
            wrong.clone(),
            format!("ResourceNotFoundException: Requested resource not found: Table: {wrong} not found"),
        ),
        Setting::Queue => (
            wrong.clone(),
            "QueueDoesNotExist / AWS.SimpleQueueService.NonExistentQueue: The specified queue does not exist."
                .to_string(),
        ),
        Setting::BaseUrl => {
            (format!("https://{wrong}"), format!("getaddrinfo ENOTFOUND {wrong} / Name or service not known"))
        }
    };
    let notes = format!(
        "UpdateFunctionConfiguration by {} at {} changed the environment variable {variable} of {} from {before} to {after} (CloudTrail records the call but not the values); from then on the routes that use it failed ({error}).",
        who(draft, &actor),
        clock::iso_s(at),
        workload.name()
    );
    let symptom = match setting {
        Setting::Queue => "{thing}: creating {plural} fails since {time}",
        _ => "{thing} returning errors since {time}",
    };
    core(
        target,
        answer(
            workload.name(),
            logical_aliases(workload.name(), &camel(&format!("{}-api", workload.domain.plural))),
            "configuration-change",
            &["configuration-change", "deployment"],
            &["logs", "audit"],
            notes,
        ),
        error_signals(&workload),
        slack(symptom),
        Some(knowledge::lambda_configuration_runbook(draft)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_typo_always_changes_the_name() {
        let mut rng = SimRng::seed_from_u64(3);
        for name in ["orders-table", "ab", "stripe", "x"] {
            for _ in 0..40 {
                let wrong = typo(&mut rng, name, name.len() > 2);
                assert_ne!(wrong, name);
            }
        }
    }

    #[test]
    fn the_connection_limit_sits_between_the_old_and_the_new_task_count() {
        for seed in 0..20 {
            let mut rng = SimRng::seed_from_u64(seed);
            let plan = crate::synth::scenario::plan(
                crate::synth::scenario::find_kind("db-connection-limit").unwrap(),
                &mut rng,
                1.0,
                &crate::synth::scenario::Pins::default(),
            );
            let cap = plan.faults.iter().find_map(|f| match f.effect {
                Effect::ConnectionCap { max_connections, pool, .. } => Some((max_connections, pool)),
                _ => None,
            });
            let desired = plan.faults.iter().find_map(|f| match f.effect {
                Effect::ScaleOut { desired } => Some(desired),
                _ => None,
            });
            let (Some((max, pool)), Some(desired)) = (cap, desired) else { panic!("seed {seed}: no cap or scale-out") };
            let service = plan.system.workloads[0].compute.ecs().unwrap();
            assert!(service.tasks * pool < max && desired * pool > max, "seed {seed}");
        }
    }
}
