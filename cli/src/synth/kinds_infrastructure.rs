//! Kind planners for incidents below the application: a database failover on a failed host, and a network ACL
//! entry that cuts the application off from its database.

use super::clock;
use super::cloudtrail::{Actor, Change};
use super::faults::{DepError, Effect, Fault};
use super::kinds::{DatabaseService, answer, busy_database_service, core, healthy_blip, who};
use super::knowledge;
use super::random::{SimRng, chance, hex, pick, range_i64};
use super::scenario::{Core, Draft, Signal};

pub fn nacl_deny(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let Some(DatabaseService { target, workload, dep, db, service }) = busy_database_service(draft, rng) else {
        return healthy_blip(draft, rng);
    };
    let acl_id = format!("acl-0{}", hex(rng, 16));
    // The tasks live in 10.0.0.0/18 (four /20 app subnets); the entry is meant for a narrower range.
    let (cidr, intended) = *pick(
        rng,
        &[
            ("10.0.0.0/18", "the retired batch subnet 10.0.48.0/20"),
            ("10.0.0.0/16", "a peered partner VPC range 10.0.0.0/24"),
            ("10.0.0.0/17", "the legacy build subnets 10.0.64.0/18"),
            ("0.0.0.0/0", "direct access from the office VPN on the database port"),
        ],
    );
    let replace = chance(rng, 0.3);
    let rule_number = if replace { *pick(rng, &[100u32, 110, 120]) } else { *pick(rng, &[50u32, 80, 90, 95, 99]) };
    let port = db.engine.port();
    let ports = if chance(rng, 0.6) { Some((port, port)) } else { None };
    let at = draft.onset_ms - range_i64(rng, 5_000, 40_000);
    let actor = if chance(rng, 0.65) { draft.person(rng) } else { Actor::Iac };
    draft.change(
        at,
        actor.clone(),
        Change::NetworkAclEntry {
            acl_id: acl_id.clone(),
            rule_number,
            deny: true,
            egress: false,
            cidr: cidr.to_string(),
            ports,
            replace,
        },
    );
    // A network ACL is stateless: established connections stall as well, so the failures start within seconds.
    let ramp = range_i64(rng, 10_000, 30_000);
    draft.fault(
        Fault::new(
            target,
            at + 2_000,
            Effect::DepError { dep, error: DepError::ConnectTimeout, probability: 1.0, writes_only: false },
        )
        .ramp(ramp),
    );
    let call = if replace { "ReplaceNetworkAclEntry" } else { "CreateNetworkAclEntry" };
    let what = match ports {
        Some((from, _)) => format!("TCP port {from}"),
        None => "all traffic".to_string(),
    };
    let notes = format!(
        "{call} by {} at {} put inbound rule {rule_number} (DENY {what} from {cidr}) on the network ACL {acl_id} of the database subnets, meant to block {intended}; the rule number is below the allow rules and the range covers the subnets of the {} tasks, so every packet from them to {} ({}) was dropped. Established and new connections timed out and requests failed.",
        who(draft, &actor),
        clock::iso_s(at),
        service.service,
        db.id,
        db.endpoint
    );
    core(
        target,
        answer(
            &acl_id,
            vec![db.id.clone(), db.endpoint.clone()],
            "network",
            &["network", "permission-change", "configuration-change"],
            &["logs", "audit"],
            notes,
        ),
        vec![Signal::AlbTarget5xx, Signal::LatencyP99],
        Some("{thing} down? every request hangs and then fails, since {time}".to_string()),
        Some(knowledge::network_acl_runbook(draft, &workload, &db, &acl_id)),
    )
}

pub fn rds_failover(draft: &mut Draft, rng: &mut SimRng) -> Core {
    let Some(DatabaseService { target, workload, dep, db, .. }) = busy_database_service(draft, rng) else {
        return healthy_blip(draft, rng);
    };
    let outage_ms = range_i64(rng, 30, 120) * 1000;
    // A degraded host can still be stopped cleanly (fast shutdown); a lost one cannot.
    let graceful = chance(rng, 0.5);
    // Pooled connections fail on first use until the pools noticed: a few seconds of cut statements.
    let cut_ms = range_i64(rng, 2_000, 8_000);
    let warmup_ms = range_i64(rng, 4, 9) * 60_000;
    draft.fault(Fault::new(target, draft.onset_ms, Effect::DbFailover { dep, outage_ms, cut_ms, warmup_ms, graceful }));
    let aurora = db.engine == super::model::DbEngine::AuroraPostgres;
    let how = if aurora {
        "the Aurora writer instance's host failed and Aurora promoted a reader in another Availability Zone"
    } else if graceful {
        "the primary's host degraded; RDS shut the primary down and failed over to the Multi-AZ standby"
    } else {
        "the primary's host failed; RDS failed over to the Multi-AZ standby, which started with crash recovery"
    };
    let cut = match (db.engine.is_postgres(), graceful) {
        (true, true) => "terminating connection due to administrator command",
        (true, false) => "server closed the connection unexpectedly / Connection terminated unexpectedly",
        (false, true) => "Server shutdown in progress / Communications link failure",
        (false, false) => "Lost connection to MySQL server during query / Communications link failure",
    };
    let notes = format!(
        "At {} {how} (an AWS-side hardware problem; nobody changed anything, CloudTrail shows no change). For about {} s {} ({}) was unreachable: statements in flight failed ('{cut}'), new connections were refused (ECONNREFUSED / Connection refused), DatabaseConnections fell to ~0 and {} returned 5XX. Then it served again, but from a cold buffer cache: query latency and ReadIOPS stayed high for about {} minutes. The database log shows the {} and the new primary's start.",
        clock::iso_s(draft.onset_ms),
        outage_ms / 1000,
        db.id,
        db.endpoint,
        workload.name(),
        warmup_ms / 60_000,
        if graceful { "fast shutdown" } else { "crash recovery" }
    );
    core(
        target,
        answer(
            &db.id,
            vec![db.endpoint.clone()],
            "infrastructure-failure",
            &["infrastructure-failure", "dependency-failure"],
            &["logs", "metrics"],
            notes,
        ),
        vec![Signal::AlbTarget5xx, Signal::LatencyP99],
        Some("{thing} threw a burst of 500s around {time} and is still slow, db errors in the logs".to_string()),
        Some(knowledge::database_failover_runbook(&workload, &db)),
    )
}
