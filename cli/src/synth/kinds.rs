//! The kind planners: for each kind of incident, the workload it happens in, the faults and changes that
//! cause it, the alarm signals that fit, what an operator would say, and the expected answer.

use super::clock;
use super::cloudtrail::{Actor, Change};
use super::errors::{CodeSite, Failure, describe};
use super::faults::{DepError, Effect, Fault};
use super::kinds_compute;
use super::kinds_data;
use super::kinds_dependency;
use super::kinds_infrastructure;
use super::knowledge;
use super::model::{ApiKind, Compute, Database, Dep, EcsService, Needs, RouteKind, Template, Workload};
use super::naming::camel;
use super::random::{SimRng, chance, hex, pick, range_i64, range_u32, uniform, upper_alnum};
use super::scenario::{Answer, Core, Draft, Kind, Signal, busiest_route};

pub fn plan_kind(kind: Kind, draft: &mut Draft, rng: &mut SimRng) -> Core {
    match kind.name {
        "ddb-capacity-cut" => ddb_capacity_cut(draft, rng),
        "bad-deploy-lambda" => bad_deploy_lambda(draft, rng),
        "iam-policy-detach" => iam_policy_detach(draft, rng),
        "healthy-blip" => healthy_blip(draft, rng),
        "traffic-surge" => traffic_surge(draft, rng),
        "memory-leak" => memory_leak(draft, rng),
        "dependency-timeout" => dependency_timeout(draft, rng),
        "expired-credentials" => expired_credentials(draft, rng),
        "lambda-concurrency-throttle" => concurrency_throttle(draft, rng),
        "security-group-revoke" => security_group_revoke(draft, rng),
        "poison-message" => poison_message(draft, rng),
        "disk-full" => disk_full(draft, rng),
        "config-change-timeout" => config_change_timeout(draft, rng),
        "planned-load-test" => planned_load_test(draft, rng),
        "bad-deploy-ecs" => bad_deploy_ecs(draft, rng),
        "dns-failure" => dns_failure(draft, rng),
        "kms-key-disabled" => kinds_dependency::kms_key_disabled(draft, rng),
        "db-connection-limit" => kinds_dependency::db_connection_limit(draft, rng),
        "downstream-rate-limit" => kinds_dependency::downstream_rate_limit(draft, rng),
        "env-var-misconfig" => kinds_dependency::env_var_misconfig(draft, rng),
        "nacl-deny" => kinds_infrastructure::nacl_deny(draft, rng),
        "rds-failover" => kinds_infrastructure::rds_failover(draft, rng),
        "cache-maxmemory" => kinds_data::cache_maxmemory(draft, rng),
        "bucket-policy-deny" => kinds_data::bucket_policy_deny(draft, rng),
        "secret-rotation-mismatch" => kinds_data::secret_rotation_mismatch(draft, rng),
        "feature-flag-flip" => kinds_data::feature_flag_flip(draft, rng),
        "healthy-batch-spike" => kinds_data::healthy_batch_spike(draft, rng),
        "cpu-saturation" => kinds_compute::cpu_saturation(draft, rng),
        "kinesis-throughput-exceeded" => kinds_compute::kinesis_throughput_exceeded(draft, rng),
        "az-impairment" => kinds_compute::az_impairment(draft, rng),
        "lambda-memory-lowered" => kinds_compute::lambda_memory_lowered(draft, rng),
        _ => tls_cert_expiry(draft, rng),
    }
}

pub(super) fn answer(
    component: &str,
    aliases: Vec<String>,
    category: &'static str,
    acceptable: &[&'static str],
    evidence: &[&'static str],
    notes: String,
) -> Answer {
    let mut unique: Vec<String> = Vec::new();
    for alias in aliases {
        if alias != component && !alias.is_empty() && !unique.contains(&alias) {
            unique.push(alias);
        }
    }
    Answer {
        healthy: false,
        component: component.to_string(),
        aliases: unique,
        category,
        acceptable: acceptable.to_vec(),
        evidence: evidence.to_vec(),
        forbidden: Vec::new(),
        notes,
    }
}

/// The answer of a healthy bundle: no root cause, and the components an analyzer must not blame.
pub(super) fn healthy_answer(notes: String, forbidden: Vec<String>) -> Answer {
    Answer { healthy: true, forbidden, ..answer("", Vec::new(), "unknown", &["unknown"], &[], notes) }
}

/// The names of the system's workloads other than `workload` (the innocent bystanders of a healthy bundle).
pub(super) fn other_workload_names(draft: &Draft, workload: &Workload) -> Vec<String> {
    draft.system().workloads.iter().filter(|w| w.name() != workload.name()).map(|w| w.name().to_string()).collect()
}

pub(super) fn core(
    target: usize,
    answer: Answer,
    signals: Vec<Signal>,
    symptom: Option<String>,
    relevant_doc: Option<knowledge::Doc>,
) -> Core {
    Core { target, answer, signals, symptom, relevant_doc, doc_required: false, single_datapoint: false }
}

/// Signals that show server errors of a workload, whatever its entry point.
pub(super) fn error_signals(workload: &Workload) -> Vec<Signal> {
    let mut signals = Vec::new();
    if workload.api().is_some() {
        signals.push(Signal::ApiServerErrors);
    }
    if workload.alb().is_some() {
        signals.push(Signal::AlbTarget5xx);
    }
    let propagates = workload.compute.lambda().is_some_and(|f| f.errors_propagate);
    if propagates || (workload.compute.lambda().is_some() && !workload.is_request_driven()) {
        signals.push(Signal::LambdaErrors);
    }
    if workload.queue().is_some() {
        signals.push(Signal::QueueAge);
    }
    signals
}

fn entry_label(workload: &Workload) -> String {
    match workload.api() {
        Some(api) => api.name.clone(),
        None => workload.name().to_string(),
    }
}

/// Names a report could reasonably use for a resource besides its physical name.
pub(super) fn logical_aliases(name: &str, logical: &str) -> Vec<String> {
    let mut aliases = Vec::new();
    if name.contains("Stack-") || name != logical {
        aliases.push(logical.to_string());
    }
    aliases
}

pub(super) fn who(draft: &Draft, actor: &Actor) -> String {
    draft.actor_name(actor)
}

fn site_for(draft: &Draft, workload: &Workload) -> CodeSite {
    CodeSite {
        runtime: workload.compute.runtime(),
        on_ecs: workload.compute.ecs().is_some(),
        entity: workload.domain.singular_title(),
        module: workload.domain.plural.to_string(),
        package: draft.system().company.java_package.clone(),
        aws_request_id: "-".to_string(),
    }
}

/// The workload under study carries real traffic (so one minute of errors is more than a handful).
pub(super) fn busy(draft: &mut Draft, rng: &mut SimRng, target: usize) {
    draft.workload_mut(target).rate_per_min *= uniform(rng, 1.6, 2.4);
}

pub(super) fn slack(text: &str) -> Option<String> {
    Some(text.to_string())
}

fn ddb_capacity_cut(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let template = if chance(rng, 0.7) { Template::ApiLambda } else { Template::QueueLambda };
    let target = draft.add(rng, template, Needs { provisioned_table: true, ..Needs::default() });
    // Large items (documents with line items) on a busy write path, so the cut really bites at any scale.
    let rate = uniform(rng, 30.0, 55.0);
    let item_units = uniform(rng, 40.0, 100.0).round();
    {
        let workload = draft.workload_mut(target);
        workload.rate_per_min = rate;
        for dep in &mut workload.deps {
            if let Dep::Table(table) = dep {
                table.write_units = item_units;
            }
        }
    }
    let demand = draft.write_demand(target).max(0.05);
    let write_before = ((demand * uniform(rng, 2.5, 4.0)).ceil() as u32).max(5);
    let read = ((draft.requests_per_second(target) * uniform(rng, 4.0, 8.0)).ceil() as u32).max(5);
    let write_after = ((demand * uniform(rng, 0.12, 0.35)).floor() as u32).max(1);
    let (dep, table_name) = match draft.workload(target).table() {
        Some((dep, table)) => (dep, table.name.clone()),
        None => (0, String::new()),
    };
    if let Some(Dep::Table(table)) = draft.workload_mut(target).deps.get_mut(dep) {
        table.provisioned = Some((read, write_before));
    }
    let at = draft.onset_ms - range_i64(rng, 60_000, 200_000);
    let actor = if chance(rng, 0.8) { draft.person(rng) } else { Actor::Iac };
    draft.change(at, actor.clone(), Change::UpdateTable { table: table_name.clone(), read, write_before, write_after });
    draft.fault(Fault::new(target, at, Effect::CapacityCut { dep, write_units: write_after }));
    let workload = draft.workload(target).clone();
    let notes = format!(
        "UpdateTable by {} at {} lowered the provisioned write capacity of {table_name} from {write_before} to {write_after}; once the burst allowance was used up, writes throttled (ProvisionedThroughputExceededException) and {} failed{}.",
        who(draft, &actor),
        clock::iso_s(at),
        workload.name(),
        workload
            .api()
            .map(|api| format!(", so {} returned 5XX", api.name))
            .unwrap_or_else(|| ", so messages piled up in the queue".to_string())
    );
    let mut aliases = logical_aliases(&table_name, &format!("{}Table", workload.domain.title()));
    aliases.push(format!("{}-table", workload.domain.plural));
    let mut signals = error_signals(&workload);
    if workload.is_request_driven() {
        signals.push(Signal::LatencyP99);
    }
    let doc = knowledge::dynamodb_runbook(draft, &workload, &table_name);
    core(
        target,
        answer(
            &table_name,
            aliases,
            "capacity-limit",
            &["capacity-limit", "configuration-change"],
            &["metrics", "audit"],
            notes,
        ),
        signals,
        slack("{thing} failing for some requests (saving {plural} mostly?) since around {time}"),
        Some(doc),
    )
}

fn bad_deploy_lambda(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let target = draft.add(rng, Template::ApiLambda, Needs::default());
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let Some(function) = workload.compute.lambda().cloned() else { return healthy_blip(draft, rng) };
    // The broken route is a busy one: a regression nobody notices is not an incident.
    let candidates = [RouteKind::Get, RouteKind::Get, RouteKind::List];
    let route = busiest_route(&workload, Some(*pick(rng, &candidates)));
    let variant = range_u32(rng, 0, 5) as usize;
    let at = draft.onset_ms - range_i64(rng, 5_000, 40_000);
    let live = at + 15_000;
    let version = draft.deploy_lambda(rng, target, &workload, &function, at);
    draft.fault(Fault::new(target, live, Effect::Defect { route, variant, probability: uniform(rng, 0.8, 1.0) }));
    let report = describe(&Failure::CodeDefect { variant }, &site_for(draft, &workload));
    let route_def = &workload.routes[route];
    let alias_text = match &function.alias {
        Some(alias) => format!(" and alias {alias} moved to version {version}"),
        None => String::new(),
    };
    let notes = format!(
        "New code for {} was deployed by CI at {}{alias_text}; requests to {} {} then failed with {}: {} (only the new version's log streams show it).",
        function.name,
        clock::iso_s(at),
        route_def.method,
        route_def.template,
        report.short_type,
        report.message
    );
    let doc = knowledge::lambda_rollback_runbook(draft);
    core(
        target,
        answer(
            &function.name,
            logical_aliases(&function.name, &camel(&format!("{}-api", workload.domain.plural))),
            "deployment",
            &["deployment"],
            &["logs", "audit"],
            notes,
        ),
        error_signals(&workload),
        slack("{thing} started returning errors around {time}, looks like only some endpoints"),
        Some(doc),
    )
}

fn iam_policy_detach(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let template = if chance(rng, 0.7) { Template::ApiLambda } else { Template::QueueLambda };
    let target = draft.add(rng, template, Needs { table: true, ..Needs::default() });
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let Some((dep, table)) = workload.table() else { return healthy_blip(draft, rng) };
    let mut denied: Vec<String> = Vec::new();
    for route in &workload.routes {
        for op in route.ops.iter().filter(|op| op.dep == dep && op.action.is_write()) {
            if let Some(action) = op.action.iam_action()
                && !denied.contains(&action)
            {
                denied.push(action);
            }
        }
    }
    let role = workload.compute.role().to_string();
    let at = draft.onset_ms - range_i64(rng, 0, 50_000);
    let actor = draft.person(rng);
    let table_arn = draft.system().arn("dynamodb", &format!("table/{}", table.name));
    let (change, policy, description) = if chance(rng, 0.65) {
        let policy = format!("{}-dynamodb", workload.domain.plural);
        let allowed = vec!["dynamodb:GetItem".to_string(), "dynamodb:Query".to_string()];
        let description = format!(
            "PutRolePolicy replaced the inline policy {policy} on {role} with one that allows only {}",
            allowed.join(", ")
        );
        (
            Change::PutRolePolicy {
                role: role.clone(),
                policy: policy.clone(),
                actions: allowed,
                resources: vec![table_arn.clone(), format!("{table_arn}/index/*")],
            },
            policy,
            description,
        )
    } else {
        let policy = format!("{}-table-write", workload.domain.plural);
        let policy_arn = format!("arn:aws:iam::{}:policy/{policy}", draft.system().account);
        let description = format!("DetachRolePolicy removed the managed policy {policy} from {role}");
        (Change::DetachRolePolicy { role: role.clone(), policy_arn }, policy, description)
    };
    draft.change(at, actor.clone(), change);
    draft.fault(Fault::new(target, at + 4_000, Effect::Deny { actions: denied.clone() }));
    let notes = format!(
        "{description} at {} (by {}); from then on {} gets AccessDenied for {} on {}.",
        clock::iso_s(at),
        who(draft, &actor),
        workload.name(),
        denied.join(", "),
        table.name
    );
    let mut signals = error_signals(&workload);
    if workload.queue().is_some() {
        signals.push(Signal::DlqVisible);
    }
    let doc = knowledge::iam_change_runbook(draft);
    core(
        target,
        answer(
            &role,
            vec![policy, camel(&role)],
            "permission-change",
            &["permission-change"],
            &["logs", "audit"],
            notes,
        ),
        signals,
        slack("{thing} is broken for some requests since {time}ish, 500s"),
        Some(doc),
    )
}

pub(super) fn healthy_blip(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let template = if chance(rng, 0.7) { Template::ApiLambda } else { Template::AlbEcs };
    let target = draft.add(rng, template, Needs { table: template == Template::ApiLambda, ..Needs::default() });
    let workload = draft.workload(target).clone();
    let dep = workload.table().map(|(d, _)| d).or(workload.database().map(|(d, _)| d)).unwrap_or(0);
    // The burst stays inside one minute, so exactly one datapoint is high.
    let length_s = range_i64(rng, 25, 48);
    let start = draft.onset_ms.div_euclid(60_000) * 60_000 + range_i64(rng, 2_000, 9_000);
    draft.fault(
        Fault::new(
            target,
            start,
            Effect::DepError {
                dep,
                error: DepError::ConnReset,
                probability: uniform(rng, 0.6, 0.9),
                writes_only: false,
            },
        )
        .until(start + length_s * 1000),
    );
    busy(draft, rng, target);
    let notes = format!(
        "One-minute burst of transient connection resets in {} at {} ({length_s} s long); the alarm evaluates a single datapoint so it fired, and the metric was back to normal the next minute. Nothing changed, nothing to fix.",
        workload.name(),
        clock::iso_s(start)
    );
    let mut signals = Vec::new();
    if workload.api().is_some() {
        signals.push(Signal::ApiServerErrors);
    }
    if workload.alb().is_some() {
        signals.push(Signal::AlbTarget5xx);
    }
    if workload.compute.lambda().is_some_and(|f| f.errors_propagate) {
        signals.push(Signal::LambdaErrors);
    }
    let others = other_workload_names(draft, &workload);
    Core {
        target,
        answer: healthy_answer(notes, others),
        signals,
        symptom: None,
        relevant_doc: None,
        doc_required: false,
        single_datapoint: true,
    }
}

/// Mean duration (seconds) of a request, roughly, from its dependencies.
fn rough_duration_s(workload: &Workload) -> f64 {
    let http = workload.http().map_or(0.0, |(_, http)| http.median_ms);
    (http + 25.0) / 1000.0
}

fn traffic_surge(draft: &mut Draft, rng: &mut SimRng) -> Core {
    // An on-demand table: the surge must show at the function, not as table throttling.
    let target = draft.add(rng, Template::ApiLambda, Needs { http: true, table: true, ..Needs::default() });
    draft.workload_mut(target).rate_per_min = uniform(rng, 25.0, 40.0);
    let workload = draft.workload(target).clone();
    let normal = draft.requests_per_second(target) * rough_duration_s(&workload);
    let reserved = ((normal * uniform(rng, 2.5, 3.5)).ceil() as u32).max(1);
    let multiplier = uniform(rng, 5.0, 10.0).max(f64::from(reserved) * 1.6 / normal.max(1e-6)).min(12.0);
    if let Compute::Lambda(function) = &mut draft.workload_mut(target).compute {
        function.reserved_concurrency = Some(reserved);
    }
    let ramp = range_i64(rng, 3, 8) * 60_000;
    draft.fault(Fault::new(target, draft.onset_ms, Effect::Demand { multiplier, synthetic: false }).ramp(ramp));
    let api = entry_label(&workload);
    let notes = format!(
        "From {} requests to {api} rose about {multiplier:.0}x over {} minutes with no change anywhere; {} hit its reserved concurrency of {reserved}, invocations were throttled (API 5XX) and latency rose.",
        clock::iso_s(draft.onset_ms),
        ramp / 60_000,
        workload.name()
    );
    let mut aliases = vec![workload.name().to_string()];
    if let Some(api) = workload.api()
        && api.kind == ApiKind::Http
    {
        aliases.push(api.id.clone());
    }
    core(
        target,
        answer(&api, aliases, "traffic-surge", &["traffic-surge", "capacity-limit"], &["metrics"], notes),
        vec![Signal::ApiServerErrors, Signal::LambdaThrottles, Signal::LatencyP99],
        slack("{thing} very slow and some 500s since {time}, traffic looks high"),
        Some(knowledge::scaling_runbook(draft, &workload)),
    )
}

fn memory_leak(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let on_ecs = chance(rng, 0.6);
    if on_ecs {
        let target = draft.add(rng, Template::AlbEcs, Needs::default());
        draft.workload_mut(target).rate_per_min *= uniform(rng, 1.3, 2.0);
        let workload = draft.workload(target).clone();
        let Some(service) = workload.compute.ecs() else { return healthy_blip(draft, rng) };
        let fill_ms = draft.onset_ms - draft.start_ms;
        draft.fault(Fault::new(target, draft.start_ms, Effect::MemoryGrowth { fill_ms }));
        let notes = format!(
            "Memory of every {} task grows steadily (a leak; no deployment in the window); MemoryUtilization climbs to 100%, tasks are OOM-killed one after another from about {} and replaced, and the load balancer returns 502s for requests routed to the killed tasks.",
            service.service,
            clock::iso_s(draft.onset_ms)
        );
        core(
            target,
            answer(
                &service.service,
                logical_aliases(&service.service, &camel(&format!("{}-service", workload.domain.plural))),
                "resource-exhaustion",
                &["resource-exhaustion", "code-defect"],
                &["metrics", "logs"],
                notes,
            ),
            vec![Signal::AlbElb5xx, Signal::EcsMemory],
            slack("intermittent 502s on {thing} since about {time}"),
            Some(knowledge::memory_postmortem(draft, &workload)),
        )
    } else {
        let target = draft.add(rng, Template::ApiLambda, Needs::default());
        draft.workload_mut(target).rate_per_min *= uniform(rng, 1.3, 2.0);
        let workload = draft.workload(target).clone();
        let Some(function) = workload.compute.lambda().cloned() else { return healthy_blip(draft, rng) };
        let per_min = draft.requests_per_second(target) * 60.0;
        let headroom = f64::from(function.memory_mb) * 0.75;
        let leak = headroom / (per_min * uniform(rng, 3.0, 7.0)).max(1.0);
        let ramp = 3 * 60_000;
        draft.fault(Fault::new(target, draft.onset_ms, Effect::MemoryLeak { mb_per_request: leak }).ramp(ramp));
        let notes = format!(
            "From about {} each warm execution environment of {} retains memory per request until it reaches its {} MB limit and the runtime is killed (Runtime.OutOfMemory, 'signal: killed'), then a new environment cold-starts and the cycle repeats; no deployment or configuration change.",
            clock::iso_s(draft.onset_ms),
            function.name,
            function.memory_mb
        );
        core(
            target,
            answer(
                &function.name,
                logical_aliases(&function.name, &camel(&format!("{}-api", workload.domain.plural))),
                "resource-exhaustion",
                &["resource-exhaustion", "code-defect"],
                &["logs"],
                notes,
            ),
            vec![Signal::ApiServerErrors, Signal::LambdaErrors],
            slack("{thing} returns 502 now and then since {time}"),
            None,
        )
    }
}

fn dependency_timeout(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let template = if chance(rng, 0.65) { Template::ApiLambda } else { Template::AlbEcs };
    let target = draft.add(rng, template, Needs { http: true, ..Needs::default() });
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let Some((dep, http)) = workload.http().map(|(d, h)| (d, h.clone())) else { return healthy_blip(draft, rng) };
    if let Compute::Lambda(function) = &mut draft.workload_mut(target).compute
        && chance(rng, 0.7)
    {
        function.timeout_s = function.timeout_s.max(http.timeout_ms / 1000 + 3);
    }
    let ramp = range_i64(rng, 2, 6) * 60_000;
    let extra = f64::from(http.timeout_ms) * uniform(rng, 0.8, 1.4);
    draft.fault(Fault::new(target, draft.onset_ms, Effect::DepSlow { dep, extra_median_ms: extra }).ramp(ramp));
    let notes = format!(
        "From {} the {} {} ({}) became slow (several seconds per call); calls from {} hit their {} ms timeout and requests failed. Nothing changed on our side.",
        clock::iso_s(draft.onset_ms),
        http.purpose,
        http.name,
        http.host,
        workload.name(),
        http.timeout_ms
    );
    let mut signals = error_signals(&workload);
    signals.push(Signal::LatencyP99);
    let doc = knowledge::provider_runbook(draft, &workload, &http);
    core(
        target,
        answer(
            &http.name,
            vec![http.host.clone(), super::naming::title_case(&http.name)],
            "dependency-failure",
            &["dependency-failure"],
            &["logs", "traces"],
            notes,
        ),
        signals,
        slack("{thing} requests hanging / timing out since {time}"),
        Some(doc),
    )
}

fn expired_credentials(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let template = if chance(rng, 0.8) { Template::ApiLambda } else { Template::QueueLambda };
    let target = draft.add(rng, template, Needs { http: true, secret: true, ..Needs::default() });
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let Some((dep, http)) = workload.http().map(|(d, h)| (d, h.clone())) else { return healthy_blip(draft, rng) };
    let Some(Dep::Secret(secret)) = http.secret.and_then(|i| workload.deps.get(i)).cloned() else {
        return healthy_blip(draft, rng);
    };
    let rotated = chance(rng, 0.6);
    let mut evidence = vec!["logs"];
    let story = if rotated {
        let at = draft.onset_ms - range_i64(rng, 10_000, 80_000);
        let actor = if chance(rng, 0.5) { draft.person(rng) } else { Actor::Iac };
        let change = if chance(rng, 0.5) {
            Change::RotateSecret { secret: secret.name.clone(), arn: secret.arn.clone() }
        } else {
            Change::PutSecretValue { secret: secret.name.clone(), arn: secret.arn.clone() }
        };
        draft.change(at, actor.clone(), change);
        evidence.push("audit");
        format!(
            "The secret {} holding the {} API key was rotated at {} by {}, which revoked the old key at {}; {} still used the old key and every call got 401 Unauthorized.",
            secret.name,
            http.name,
            clock::iso_s(at),
            who(draft, &actor),
            http.name,
            workload.name()
        )
    } else {
        format!(
            "The {} API key stored in {} expired at {} (nobody renewed it); from then on every call from {} got 401 Unauthorized (invalid_api_key).",
            http.name,
            secret.name,
            clock::iso_s(draft.onset_ms),
            workload.name()
        )
    };
    draft.fault(Fault::new(
        target,
        draft.onset_ms,
        Effect::DepError { dep, error: DepError::Unauthorized, probability: 1.0, writes_only: false },
    ));
    let acceptable: &[&'static str] =
        if rotated { &["credential-expiry", "configuration-change"] } else { &["credential-expiry"] };
    let doc = knowledge::secret_rotation_runbook(draft, &http.name, &secret.name);
    core(
        target,
        answer(&secret.name, vec![format!("{} API key", http.name)], "credential-expiry", acceptable, &evidence, story),
        error_signals(&workload),
        slack("{thing}: {provider} calls failing with 401 since {time}?"),
        Some(doc),
    )
    .with_symptom_provider(&http.name)
}

impl Core {
    pub(super) fn with_symptom_provider(mut self, provider: &str) -> Core {
        self.symptom = self.symptom.map(|s| s.replace("{provider}", provider));
        self
    }
}

fn concurrency_throttle(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let template = if chance(rng, 0.75) { Template::ApiLambda } else { Template::QueueLambda };
    let target = draft.add(rng, template, Needs { http: true, ..Needs::default() });
    draft.workload_mut(target).rate_per_min = uniform(rng, 40.0, 60.0);
    let workload = draft.workload(target).clone();
    let Some(function) = workload.compute.lambda().cloned() else { return healthy_blip(draft, rng) };
    let normal = draft.requests_per_second(target) * rough_duration_s(&workload);
    let limit = ((normal * uniform(rng, 0.25, 0.5)).floor() as u32).max(1);
    let at = draft.onset_ms - range_i64(rng, 5_000, 40_000);
    let actor = if chance(rng, 0.7) { draft.person(rng) } else { Actor::Iac };
    draft.change(
        at,
        actor.clone(),
        Change::PutFunctionConcurrency { function: function.name.clone(), reserved: limit },
    );
    draft.fault(Fault::new(target, at + 2_000, Effect::ConcurrencyLimit { limit }));
    let notes = format!(
        "PutFunctionConcurrency by {} at {} set the reserved concurrency of {} to {limit}, below what its normal traffic needs; invocations were throttled (Throttles metric){}.",
        who(draft, &actor),
        clock::iso_s(at),
        function.name,
        if workload.queue().is_some() { " and the queue backed up" } else { " and the API returned 5XX" }
    );
    let mut signals = vec![Signal::LambdaThrottles];
    if workload.api().is_some() {
        signals.push(Signal::ApiServerErrors);
    }
    if workload.queue().is_some() {
        signals.push(Signal::QueueAge);
    }
    core(
        target,
        answer(
            &function.name,
            logical_aliases(&function.name, &camel(&format!("{}-api", workload.domain.plural))),
            "capacity-limit",
            &["capacity-limit", "configuration-change"],
            &["metrics", "audit"],
            notes,
        ),
        signals,
        slack("{thing} erroring for a lot of requests since {time}"),
        Some(knowledge::throttling_runbook(draft)),
    )
}

/// A busy service on ECS behind a load balancer, with its database: what the database-side kinds break.
pub(super) struct DatabaseService {
    pub target: usize,
    pub workload: Workload,
    pub dep: usize,
    pub db: Database,
    pub service: EcsService,
}

/// Draws a busy ECS service with a database; `None` when the drawn system lacks one (the caller falls back).
pub(super) fn busy_database_service(draft: &mut Draft, rng: &mut SimRng) -> Option<DatabaseService> {
    let target = draft.add(rng, Template::AlbEcs, Needs::default());
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let (dep, db) = workload.database().map(|(d, db)| (d, db.clone()))?;
    let service = workload.compute.ecs().cloned()?;
    Some(DatabaseService { target, workload, dep, db, service })
}

fn security_group_revoke(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let Some(DatabaseService { target, workload, dep, db, service }) = busy_database_service(draft, rng) else {
        return healthy_blip(draft, rng);
    };
    let at = draft.onset_ms - range_i64(rng, 5_000, 40_000);
    let actor = if chance(rng, 0.6) { draft.person(rng) } else { Actor::Iac };
    draft.change(
        at,
        actor.clone(),
        Change::RevokeIngress {
            group_id: db.sg_id.clone(),
            group_name: db.sg_name.clone(),
            source_group: service.app_sg_id.clone(),
            port: db.engine.port(),
        },
    );
    let ramp = range_i64(rng, 2, 4) * 60_000;
    draft.fault(
        Fault::new(
            target,
            at + 3_000,
            Effect::DepError { dep, error: DepError::ConnectTimeout, probability: 1.0, writes_only: false },
        )
        .ramp(ramp),
    );
    let notes = format!(
        "RevokeSecurityGroupIngress by {} at {} removed the rule on {} ({}) that let the {} tasks ({}) reach port {}; as pooled connections were recycled, new connections to {} timed out and requests failed.",
        who(draft, &actor),
        clock::iso_s(at),
        db.sg_name,
        db.sg_id,
        service.service,
        service.app_sg_id,
        db.engine.port(),
        db.id
    );
    core(
        target,
        answer(
            &db.sg_name,
            vec![db.sg_id.clone(), db.id.clone()],
            "network",
            &["network", "permission-change", "configuration-change"],
            &["logs", "audit"],
            notes,
        ),
        vec![Signal::AlbTarget5xx, Signal::LatencyP99],
        slack("{thing} down? requests take 30s and fail, since {time}"),
        Some(knowledge::db_connectivity_runbook(draft, &workload)),
    )
}

fn poison_message(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let target = draft.add(rng, Template::QueueLambda, Needs::default());
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let Some(queue) = workload.queue().cloned() else { return healthy_blip(draft, rng) };
    let variant = range_u32(rng, 0, 3) as usize;
    let fraction = uniform(rng, 0.03, 0.08);
    draft.fault(Fault::new(target, draft.onset_ms, Effect::Poison { fraction, variant }));
    let report = describe(&Failure::Poison { variant }, &site_for(draft, &workload));
    let notes = format!(
        "From {} some messages on {} ({:.0}% of them) cannot be parsed by {} ({}: {}); each such message fails its whole batch, so the batch is retried until messages reach {} receives and move to {}. ApproximateAgeOfOldestMessage grows and the DLQ fills. A latent bug triggered by data; nothing was deployed.",
        clock::iso_s(draft.onset_ms),
        queue.queue,
        fraction * 100.0,
        workload.name(),
        report.short_type,
        report.message,
        queue.max_receive,
        queue.dlq
    );
    core(
        target,
        answer(
            workload.name(),
            logical_aliases(workload.name(), &camel(&format!("{}-consumer", workload.domain.plural))),
            "code-defect",
            &["code-defect"],
            &["logs", "metrics"],
            notes,
        ),
        vec![Signal::QueueAge, Signal::DlqVisible, Signal::LambdaErrors],
        slack("{queue} backlog keeps growing since ~{time}, {plural} not processed"),
        Some(knowledge::dlq_runbook(draft, &queue.queue, &queue.dlq)),
    )
}

fn disk_full(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let target = draft.add(rng, Template::AlbEcs, Needs::default());
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let Some((dep, db)) = workload.database().map(|(d, db)| (d, db.clone())) else { return healthy_blip(draft, rng) };
    let fill_minutes = range_i64(rng, 25, 45).min((draft.onset_ms - draft.start_ms) / 60_000 - 5);
    let start = draft.onset_ms - fill_minutes * 60_000;
    draft.fault(Fault::new(target, start, Effect::DiskFill { dep }).ramp(fill_minutes * 60_000));
    let notes = format!(
        "FreeStorageSpace of the RDS {} instance {} fell steadily from {} and reached ~0 at {}; from then on writes fail ('{}') while reads still work. Storage autoscaling is off; nothing was changed.",
        db.engine.label(),
        db.id,
        clock::iso_s(start),
        clock::iso_s(draft.onset_ms),
        if db.engine.is_postgres() { "could not extend file ... No space left on device" } else { "The table is full" }
    );
    core(
        target,
        answer(
            &db.id,
            vec![db.endpoint.clone()],
            "resource-exhaustion",
            &["resource-exhaustion", "capacity-limit"],
            &["metrics", "logs"],
            notes,
        ),
        vec![Signal::AlbTarget5xx],
        slack("can't create or update {plural} since {time}, reads are fine"),
        Some(knowledge::storage_postmortem(draft)),
    )
}

fn config_change_timeout(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let target = draft.add(rng, Template::ApiLambda, Needs { http: true, ..Needs::default() });
    busy(draft, rng, target);
    let function_timeout_variant = chance(rng, 0.55);
    let (dep, http_name, timeout_before) = {
        let workload = draft.workload_mut(target);
        let timeout_before = match &mut workload.compute {
            Compute::Lambda(function) => {
                function.alias = None;
                function.timeout_s = function.timeout_s.max(15);
                function.timeout_s
            }
            Compute::Ecs(_) => 30,
        };
        let mut found = (0, String::new());
        for (index, dep) in workload.deps.iter_mut().enumerate() {
            if let Dep::Http(http) = dep {
                http.median_ms =
                    if function_timeout_variant { uniform(rng, 1400.0, 2400.0) } else { uniform(rng, 140.0, 300.0) };
                http.timeout_ms = http.timeout_ms.max(8_000);
                found = (index, http.name.clone());
            }
        }
        (found.0, found.1, timeout_before)
    };
    let workload = draft.workload(target).clone();
    let at = draft.onset_ms - range_i64(rng, 5_000, 40_000);
    let actor = if chance(rng, 0.5) { Actor::Iac } else { draft.person(rng) };
    let (change, effect, what) = if function_timeout_variant {
        let seconds = 1;
        (
            Change::UpdateFunctionConfiguration {
                function: workload.name().to_string(),
                timeout: Some(seconds),
                memory: None,
                environment: None,
            },
            Effect::Timeout { seconds: f64::from(seconds) },
            format!(
                "lowered its timeout from {timeout_before} s to {seconds} s; calls to {http_name} usually take one to two seconds, so invocations now time out ('Task timed out after {seconds}.00 seconds')"
            ),
        )
    } else {
        let variable = format!("{}_TIMEOUT_MS", http_name.to_uppercase());
        let value = *pick(rng, &[50u32, 80, 100]);
        (
            Change::UpdateFunctionConfiguration {
                function: workload.name().to_string(),
                timeout: None,
                memory: None,
                environment: Some((variable.clone(), value.to_string())),
            },
            Effect::HttpTimeout { dep, timeout_ms: value },
            format!(
                "set the environment variable {variable}={value}; calls to {http_name} take longer than {value} ms, so they now time out in the HTTP client and requests fail"
            ),
        )
    };
    draft.change(at, actor.clone(), change);
    draft.fault(Fault::new(target, at + 3_000, Effect::Deploy { label: "$LATEST".to_string() }));
    draft.fault(Fault::new(target, at + 3_000, effect));
    let notes = format!(
        "UpdateFunctionConfiguration on {} by {} at {} {what}.",
        workload.name(),
        who(draft, &actor),
        clock::iso_s(at)
    );
    let mut signals = error_signals(&workload);
    if function_timeout_variant {
        signals.push(Signal::LambdaErrors);
    }
    core(
        target,
        answer(
            workload.name(),
            logical_aliases(workload.name(), &camel(&format!("{}-api", workload.domain.plural))),
            "configuration-change",
            &["configuration-change"],
            &["logs", "audit"],
            notes,
        ),
        signals,
        slack("every request to {thing} failing since {time}"),
        Some(knowledge::lambda_timeout_runbook(draft)),
    )
}

fn planned_load_test(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let target = draft.add(rng, Template::ApiLambda, Needs::default());
    let workload = draft.workload(target).clone();
    let multiplier = uniform(rng, 4.0, 8.0);
    let length = range_i64(rng, 15, 25) * 60_000;
    draft.fault(
        Fault::new(target, draft.onset_ms, Effect::Demand { multiplier, synthetic: true })
            .ramp(120_000)
            .until(draft.onset_ms + length),
    );
    let api = entry_label(&workload);
    let doc = knowledge::load_test_announcement(draft, &workload, draft.onset_ms, length, multiplier);
    let notes = format!(
        "An announced load test (k6, see {}) drove about {multiplier:.0}x traffic at {api} from {} for {} minutes; latency rose with cold starts and request volume but stayed within the agreed limits and errors stayed within SLO. Nothing is wrong.",
        doc.file_name,
        clock::iso_s(draft.onset_ms),
        length / 60_000
    );
    let others = other_workload_names(draft, &workload);
    Core {
        target,
        answer: healthy_answer(notes, others),
        signals: vec![Signal::LatencyP99, Signal::ApiRequests],
        symptom: None,
        relevant_doc: Some(doc),
        doc_required: true,
        single_datapoint: false,
    }
}

fn bad_deploy_ecs(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let target = draft.add(rng, Template::AlbEcs, Needs::default());
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let Some(service) = workload.compute.ecs().cloned() else { return healthy_blip(draft, rng) };
    let revision = service.revision + 1;
    let tag = hex(rng, 7);
    let image = format!("{}:{tag}", service.image_repo);
    let at = draft.onset_ms - range_i64(rng, 60_000, 100_000);
    draft.change(
        at,
        Actor::Ci,
        Change::EcsDeploy {
            cluster: service.cluster.clone(),
            service: service.service.clone(),
            family: service.family.clone(),
            revision,
            image: image.clone(),
        },
    );
    let route = busiest_route(&workload, Some(*pick(rng, &[RouteKind::Get, RouteKind::List, RouteKind::Create])));
    let variant = range_u32(rng, 0, 5) as usize;
    draft.fault(Fault::new(target, at + 6_000, Effect::Deploy { label: revision.to_string() }));
    draft.fault(Fault::new(target, at + 6_000, Effect::Defect { route, variant, probability: uniform(rng, 0.7, 1.0) }));
    let report = describe(&Failure::CodeDefect { variant }, &site_for(draft, &workload));
    let route_def = &workload.routes[route];
    let notes = format!(
        "CI registered {}:{revision} (image tag {tag}) and updated {} at {}; as the new tasks replaced the old ones, {} {} started failing with {}: {}.",
        service.family,
        service.service,
        clock::iso_s(at),
        route_def.method,
        route_def.template,
        report.short_type,
        report.message
    );
    core(
        target,
        answer(
            &service.service,
            vec![service.family.clone()],
            "deployment",
            &["deployment"],
            &["logs", "audit"],
            notes,
        ),
        vec![Signal::AlbTarget5xx],
        slack("{thing} 500s on some pages since the deploy around {time}?"),
        Some(knowledge::ecs_rollback_runbook(draft)),
    )
}

fn dns_failure(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let template = if chance(rng, 0.6) { Template::ApiLambda } else { Template::AlbEcs };
    let target = draft.add(rng, template, Needs { internal_http: true, ..Needs::default() });
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let Some((dep, http)) = workload.http().map(|(d, h)| (d, h.clone())) else { return healthy_blip(draft, rng) };
    let zone = http.host.split_once('.').map(|(_, zone)| zone.to_string()).unwrap_or_default();
    let zone_id = format!("Z0{}", upper_alnum(rng, 19));
    let at = draft.onset_ms - range_i64(rng, 10_000, 50_000);
    let actor = if chance(rng, 0.5) { Actor::Iac } else { draft.person(rng) };
    let service_word = http.name.trim_end_matches("-service").to_string();
    let target_host = format!("internal-{service_word}-{}.{}.elb.amazonaws.com", hex(rng, 10), draft.system().region);
    draft.change(
        at,
        actor.clone(),
        Change::DnsRecord {
            zone_id: zone_id.clone(),
            record: http.host.clone(),
            action: "DELETE",
            target: target_host,
        },
    );
    draft.fault(
        Fault::new(
            target,
            at + 5_000,
            Effect::DepError { dep, error: DepError::DnsNotFound, probability: 1.0, writes_only: false },
        )
        .ramp(60_000),
    );
    let notes = format!(
        "ChangeResourceRecordSets by {} at {} deleted the record {} from the private hosted zone {zone} ({zone_id}); once cached answers expired (TTL 60 s), {} failed to resolve it (ENOTFOUND / Name or service not known) and requests failed.",
        who(draft, &actor),
        clock::iso_s(at),
        http.host,
        workload.name()
    );
    core(
        target,
        answer(
            &http.host,
            vec![http.name.clone(), zone.clone(), zone_id],
            "network",
            &["network", "configuration-change"],
            &["logs", "audit"],
            notes,
        ),
        error_signals(&workload),
        slack("{thing} failing, something about {provider} lookups, since {time}"),
        Some(knowledge::internal_dns_runbook(draft, &zone)),
    )
    .with_symptom_provider(&service_word)
}

fn tls_cert_expiry(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let template = if chance(rng, 0.6) { Template::ApiLambda } else { Template::AlbEcs };
    let target = draft.add(rng, template, Needs { http: true, ..Needs::default() });
    busy(draft, rng, target);
    let workload = draft.workload(target).clone();
    let Some((dep, http)) = workload.http().map(|(d, h)| (d, h.clone())) else { return healthy_blip(draft, rng) };
    draft.fault(Fault::new(
        target,
        draft.onset_ms,
        Effect::DepError { dep, error: DepError::TlsExpired, probability: 1.0, writes_only: false },
    ));
    let notes = format!(
        "The TLS certificate of {} ({} {}) expired at {}; from then on every call from {} fails the TLS handshake (certificate has expired). Nothing changed in the account; the fix is on the provider's side (or a temporary fallback).",
        http.host,
        http.purpose,
        http.name,
        clock::iso_s(draft.onset_ms),
        workload.name()
    );
    core(
        target,
        answer(
            &http.name,
            vec![http.host.clone()],
            "credential-expiry",
            &["credential-expiry", "network", "dependency-failure"],
            &["logs"],
            notes,
        ),
        error_signals(&workload),
        slack("{thing}: all {provider} calls failing since {time}"),
        None,
    )
    .with_symptom_provider(&http.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::scenario::{KINDS, Pins, plan};
    use rand::SeedableRng;

    #[test]
    fn scenario_changes_precede_or_meet_the_onset() {
        for kind in KINDS {
            let mut rng = SimRng::seed_from_u64(9);
            let plan = plan(*kind, &mut rng, 1.0, &Pins::default());
            for change in &plan.changes {
                assert!(change.at_ms <= plan.onset_ms + 1, "{}: change after onset", kind.name);
                assert!(change.at_ms >= plan.start_ms, "{}: change before the data starts", kind.name);
            }
        }
    }
}
