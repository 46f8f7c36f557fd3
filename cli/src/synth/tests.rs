//! Bundle-level tests of the generator: every kind writes a spec-valid bundle, a seed is deterministic,
//! the signals agree with the answer, and large scales stream.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::scenario::{KINDS, Pins, find_kind};
use super::{bundle_seed, generate};

const CATEGORIES: &[&str] = &[
    "deployment",
    "configuration-change",
    "permission-change",
    "credential-expiry",
    "capacity-limit",
    "resource-exhaustion",
    "dependency-failure",
    "network",
    "code-defect",
    "traffic-surge",
    "infrastructure-failure",
    "unknown",
];

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("fa2-synth-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn jsonl(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{}: {e}: {line}", path.display())))
        .collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Checks one bundle against the bundle spec; returns its answer.
fn check_bundle(dir: &Path) -> Value {
    let input = read_json(&dir.join("input.json"));
    let environment = read_json(&dir.join("environment.json"));
    let answer = read_json(&dir.join("answer.json"));
    let kind = answer["scenario"].as_str().unwrap().to_string();

    match input["source"].as_str() {
        Some("aws.cloudwatch") => {
            assert_eq!(input["detail-type"], "CloudWatch Alarm State Change");
            assert_eq!(input["detail"]["state"]["value"], "ALARM");
            let metric = &input["detail"]["configuration"]["metrics"][0]["metricStat"];
            assert!(metric["metric"]["namespace"].is_string() && metric["period"] == 60, "{kind}");
            let reason_data: Value =
                serde_json::from_str(input["detail"]["state"]["reasonData"].as_str().unwrap()).unwrap();
            assert!(reason_data["threshold"].is_number());
            // The alarm's metric exists in metrics.jsonl with the same coordinates.
            let metrics = jsonl(&dir.join("metrics.jsonl"));
            let found = metrics.iter().any(|series| {
                series["namespace"] == metric["metric"]["namespace"]
                    && series["metricName"] == metric["metric"]["name"]
                    && series["dimensions"] == metric["metric"]["dimensions"]
                    && series["stat"] == metric["stat"]
            });
            assert!(found, "{kind}: alarm metric missing from metrics.jsonl");
        }
        Some("fa2.slack") => {
            assert!(input["description"].as_str().is_some_and(|d| !d.is_empty()));
            assert!(input["startTime"].as_str().unwrap() < input["endTime"].as_str().unwrap());
        }
        other => panic!("{kind}: unexpected input source {other:?}"),
    }

    for field in ["region", "accountId", "language", "architecture"] {
        assert!(environment[field].as_str().is_some_and(|v| !v.is_empty()), "{kind}: environment.{field}");
    }
    let declared: BTreeSet<String> =
        environment["logGroups"].as_array().unwrap().iter().map(|g| g.as_str().unwrap().to_string()).collect();

    let logs = jsonl(&dir.join("logs.jsonl"));
    assert!(logs.len() > 500, "{kind}: only {} log lines", logs.len());
    for event in &logs {
        assert!(
            event["timestamp"].is_i64() && event["message"].is_string() && event["logStream"].is_string(),
            "{event}"
        );
        assert!(
            declared.contains(event["logGroup"].as_str().unwrap()),
            "{kind}: undeclared group {}",
            event["logGroup"]
        );
    }

    for series in jsonl(&dir.join("metrics.jsonl")) {
        let timestamps = series["timestamps"].as_array().unwrap();
        let values = series["values"].as_array().unwrap();
        assert_eq!(timestamps.len(), values.len(), "{kind}: {series}");
        assert!(!timestamps.is_empty());
        assert!(timestamps.windows(2).all(|w| w[0].as_i64() < w[1].as_i64()), "{kind}: timestamps not ascending");
        assert_eq!(series["period"], 60);
    }

    let records = jsonl(&dir.join("cloudtrail.jsonl"));
    assert!(records.len() > 10, "{kind}: {} CloudTrail records", records.len());
    for record in &records {
        for field in [
            "eventVersion",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "userIdentity",
            "eventID",
            "eventType",
        ] {
            assert!(!record[field].is_null(), "{kind}: {field} missing");
        }
        assert!(record["readOnly"].is_boolean());
    }

    let traces_path = dir.join("traces.jsonl");
    assert_eq!(environment["xray"].as_bool().unwrap(), traces_path.exists(), "{kind}: xray flag vs traces.jsonl");
    for trace in jsonl(&traces_path) {
        assert!(trace["Id"].as_str().unwrap().starts_with("1-"));
        for segment in trace["Segments"].as_array().unwrap() {
            let document: Value = serde_json::from_str(segment["Document"].as_str().unwrap()).unwrap();
            assert_eq!(document["id"], segment["Id"]);
            assert!(document["start_time"].as_f64().unwrap() <= document["end_time"].as_f64().unwrap());
        }
    }

    let has_knowledge = dir.join("knowledge").is_dir();
    assert_eq!(environment["knowledgeBase"].as_bool().unwrap(), has_knowledge);

    let status = answer["status"].as_str().unwrap();
    assert!(status == "root_cause_identified" || status == "healthy");
    if status == "healthy" {
        assert!(answer["rootCause"].is_null());
    } else {
        let root = &answer["rootCause"];
        let category = root["category"].as_str().unwrap();
        assert!(CATEGORIES.contains(&category), "{kind}: {category}");
        let acceptable: Vec<&str> =
            root["acceptableCategories"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert!(acceptable.contains(&category) && acceptable.iter().all(|c| CATEGORIES.contains(c)));
        assert!(root["component"].as_str().is_some_and(|c| !c.is_empty()));
    }
    for source in answer["requiredEvidence"].as_array().unwrap() {
        assert!(["logs", "metrics", "audit", "traces", "knowledge"].contains(&source.as_str().unwrap()));
    }
    if answer["requiredEvidence"].as_array().unwrap().iter().any(|s| s == "traces") {
        assert!(traces_path.exists(), "{kind}: traces required but absent");
    }
    answer
}

#[test]
fn every_kind_writes_a_spec_valid_bundle() {
    let temp = TempDir::new("kinds");
    for kind in KINDS {
        let dir = temp.0.join(kind.name);
        let summary = generate(&dir, *kind, bundle_seed(3, *kind, 1), 0.12, &Pins::default()).unwrap();
        assert!(summary.log_lines > 0);
        let answer = check_bundle(&dir);
        assert_eq!(answer["scenario"], kind.name);
    }
}

#[test]
fn a_seed_always_gives_the_same_bundle() {
    let temp = TempDir::new("determinism");
    let kind = find_kind("iam-policy-detach").unwrap();
    for name in ["a", "b"] {
        generate(&temp.0.join(name), kind, 42, 0.2, &Pins::default()).unwrap();
    }
    for file in ["input.json", "environment.json", "answer.json", "logs.jsonl", "metrics.jsonl", "cloudtrail.jsonl"] {
        let a = std::fs::read(temp.0.join("a").join(file)).unwrap();
        let b = std::fs::read(temp.0.join("b").join(file)).unwrap();
        assert!(a == b, "{file} differs between two runs with the same seed");
    }
    generate(&temp.0.join("c"), kind, 43, 0.2, &Pins::default()).unwrap();
    let a = std::fs::read(temp.0.join("a").join("logs.jsonl")).unwrap();
    let c = std::fs::read(temp.0.join("c").join("logs.jsonl")).unwrap();
    assert_ne!(a, c, "another seed must give another bundle");
}

#[test]
fn the_capacity_cut_shows_in_metrics_and_audit() {
    let temp = TempDir::new("capacity");
    let kind = find_kind("ddb-capacity-cut").unwrap();
    let dir = temp.0.join("bundle");
    generate(&dir, kind, 7, 0.5, &Pins::default()).unwrap();
    let answer = check_bundle(&dir);
    let table = answer["rootCause"]["component"].as_str().unwrap();
    let trail = jsonl(&dir.join("cloudtrail.jsonl"));
    assert!(trail.iter().any(|r| r["eventName"] == "UpdateTable" && r["requestParameters"]["tableName"] == table));
    let metrics = jsonl(&dir.join("metrics.jsonl"));
    let throttled: f64 = metrics
        .iter()
        .filter(|s| s["metricName"] == "ThrottledRequests" && s["dimensions"]["TableName"] == table)
        .flat_map(|s| s["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>())
        .sum();
    assert!(throttled > 0.0, "no throttling recorded on {table}");
    let logs = std::fs::read_to_string(dir.join("logs.jsonl")).unwrap();
    assert!(logs.contains("ProvisionedThroughputExceededException"));
}

#[test]
fn scale_multiplies_volume_and_streams() {
    let temp = TempDir::new("scale");
    let kind = find_kind("traffic-surge").unwrap();
    let small = generate(&temp.0.join("small"), kind, 5, 0.2, &Pins::default()).unwrap();
    let large = generate(&temp.0.join("large"), kind, 5, 2.0, &Pins::default()).unwrap();
    assert!(large.log_lines > small.log_lines * 5, "{} vs {}", large.log_lines, small.log_lines);
    // Written through a buffer as it goes: the file on disk holds every counted line.
    let on_disk = std::fs::read_to_string(temp.0.join("large").join("logs.jsonl")).unwrap().lines().count() as u64;
    assert_eq!(on_disk, large.log_lines);
}

/// Every text of a bundle an analyzer can read (not the answer).
fn telemetry_text(dir: &Path) -> String {
    let mut text = String::new();
    for file in ["logs.jsonl", "metrics.jsonl", "cloudtrail.jsonl", "traces.jsonl", "environment.json", "input.json"] {
        text.push_str(&std::fs::read_to_string(dir.join(file)).unwrap_or_default());
    }
    text
}

#[test]
fn the_dependency_kinds_leave_their_cause_in_the_telemetry() {
    let temp = TempDir::new("dependency-kinds");
    for (name, evidence) in [
        ("kms-key-disabled", ["kms.amazonaws.com", "KMS"]),
        ("db-connection-limit", ["\"desiredCount\"", "DatabaseConnections"]),
        ("downstream-rate-limit", ["429", "retry_after"]),
        ("env-var-misconfig", ["UpdateFunctionConfiguration20150331v2", "\"environment\":{}"]),
    ] {
        let kind = find_kind(name).unwrap();
        for index in 1..=3 {
            let dir = temp.0.join(format!("{name}-{index}"));
            generate(&dir, kind, bundle_seed(11, kind, index), 0.6, &Pins::default()).unwrap();
            let answer = check_bundle(&dir);
            let text = telemetry_text(&dir);
            let component = answer["rootCause"]["component"].as_str().unwrap();
            assert!(text.contains(component), "{name}: {component} appears nowhere");
            for needle in evidence {
                assert!(text.contains(needle), "{name}-{index}: no {needle}");
            }
        }
    }
}

#[test]
fn a_disabled_key_fails_the_calls_that_need_it() {
    let temp = TempDir::new("kms");
    let kind = find_kind("kms-key-disabled").unwrap();
    let dir = temp.0.join("bundle");
    generate(&dir, kind, 21, 0.5, &Pins::default()).unwrap();
    let answer = check_bundle(&dir);
    let key_id = answer["rootCause"]["aliases"][0].as_str().unwrap();
    let trail = jsonl(&dir.join("cloudtrail.jsonl"));
    let change = trail
        .iter()
        .find(|r| {
            (r["eventName"] == "DisableKey" || r["eventName"] == "ScheduleKeyDeletion")
                && r["requestParameters"]["keyId"] == key_id
        })
        .expect("key change");
    let at = change["eventTime"].as_str().unwrap();
    // The services' own KMS calls fail after the change, and only after it.
    let failed: Vec<&Value> = trail.iter().filter(|r| r["errorCode"].is_string()).collect();
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|r| r["eventTime"].as_str().unwrap() > at && r["eventSource"] == "kms.amazonaws.com"));
    let logs = std::fs::read_to_string(dir.join("logs.jsonl")).unwrap();
    assert!(logs.contains("is disabled") || logs.contains("is pending deletion"));
}

#[test]
fn a_scale_out_pins_database_connections_at_the_ceiling() {
    let temp = TempDir::new("connections");
    let kind = find_kind("db-connection-limit").unwrap();
    let dir = temp.0.join("bundle");
    generate(&dir, kind, 5, 1.0, &Pins::default()).unwrap();
    let answer = check_bundle(&dir);
    let db = answer["rootCause"]["component"].as_str().unwrap();
    let metrics = jsonl(&dir.join("metrics.jsonl"));
    let series = metrics
        .iter()
        .find(|s| s["metricName"] == "DatabaseConnections" && s["dimensions"]["DBInstanceIdentifier"] == db)
        .expect("DatabaseConnections");
    let values: Vec<f64> = series["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let peak = values.iter().copied().fold(0.0, f64::max);
    let at_peak = values.iter().filter(|v| **v >= peak - 2.0).count();
    assert!(at_peak >= 10, "the ceiling holds for {at_peak} minutes only");
    assert!(values[0] < peak * 0.7, "connections start at {} of {peak}", values[0]);
    let logs = std::fs::read_to_string(dir.join("logs.jsonl")).unwrap();
    assert!(logs.contains("too many clients") || logs.contains("Too many connections"));
}

#[test]
fn the_infrastructure_kinds_leave_their_cause_in_the_telemetry() {
    let temp = TempDir::new("infrastructure-kinds");
    for (name, evidence) in [
        ("rds-failover", ["DatabaseConnections", "ReadIOPS"]),
        ("nacl-deny", ["\"ruleAction\":\"deny\"", "DescribeNetworkAcls"]),
    ] {
        let kind = find_kind(name).unwrap();
        for index in 1..=3 {
            let dir = temp.0.join(format!("{name}-{index}"));
            generate(&dir, kind, bundle_seed(13, kind, index), 0.6, &Pins::default()).unwrap();
            let answer = check_bundle(&dir);
            assert_eq!(answer["status"], "root_cause_identified", "{name}");
            let text = telemetry_text(&dir);
            let component = answer["rootCause"]["component"].as_str().unwrap();
            assert!(text.contains(component), "{name}: {component} appears nowhere");
            for needle in evidence {
                assert!(text.contains(needle), "{name}-{index}: no {needle}");
            }
        }
    }
}

fn series_values(metrics: &[Value], name: &str, dimension: &str, value: &str) -> Vec<f64> {
    metrics
        .iter()
        .find(|s| s["metricName"] == name && s["dimensions"][dimension] == value)
        .map(|s| s["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect())
        .unwrap_or_default()
}

#[test]
fn a_failover_empties_the_database_for_a_minute_and_changes_nothing() {
    let temp = TempDir::new("failover");
    let kind = find_kind("rds-failover").unwrap();
    for seed in [3, 4] {
        let dir = temp.0.join(format!("bundle-{seed}"));
        generate(&dir, kind, seed, 1.0, &Pins::default()).unwrap();
        let answer = check_bundle(&dir);
        let db = answer["rootCause"]["component"].as_str().unwrap();
        let metrics = jsonl(&dir.join("metrics.jsonl"));
        let connections = series_values(&metrics, "DatabaseConnections", "DBInstanceIdentifier", db);
        let typical = connections[connections.len() / 4];
        let lowest = connections.iter().position(|v| *v < typical * 0.3).expect("connections never drop");
        assert!(connections[lowest + 3..].iter().all(|v| *v > typical * 0.6), "connections do not come back");
        let reads = series_values(&metrics, "ReadIOPS", "DBInstanceIdentifier", db);
        assert!(reads[lowest + 2] > reads[lowest - 5] * 5.0, "no cold cache after the failover");
        // An AWS-side event: nobody touched the database.
        let trail = jsonl(&dir.join("cloudtrail.jsonl"));
        assert!(!trail.iter().any(|r| r["eventSource"] == "rds.amazonaws.com" && r["readOnly"] == false));
        let logs = std::fs::read_to_string(dir.join("logs.jsonl")).unwrap();
        assert!(logs.contains("ready to accept connections") || logs.contains("ready for connections"));
        assert!(logs.contains("ECONNREFUSED") || logs.contains("refused") || logs.contains("Connection refused"));
    }
}

#[test]
fn a_deny_entry_precedes_the_connection_timeouts() {
    let temp = TempDir::new("nacl");
    let kind = find_kind("nacl-deny").unwrap();
    let dir = temp.0.join("bundle");
    generate(&dir, kind, 17, 0.8, &Pins::default()).unwrap();
    let answer = check_bundle(&dir);
    let acl = answer["rootCause"]["component"].as_str().unwrap();
    let trail = jsonl(&dir.join("cloudtrail.jsonl"));
    let entry = trail
        .iter()
        .find(|r| r["eventName"].as_str().is_some_and(|n| n.ends_with("NetworkAclEntry")))
        .expect("NetworkAclEntry record");
    assert_eq!(entry["requestParameters"]["networkAclId"], acl);
    assert_eq!(entry["requestParameters"]["ruleAction"], "deny");
    let at = entry["eventTime"].as_str().unwrap();
    let logs = jsonl(&dir.join("logs.jsonl"));
    let timeouts: Vec<i64> = logs
        .iter()
        .filter(|e| {
            let m = e["message"].as_str().unwrap();
            m.contains("ETIMEDOUT") || m.contains("timeout expired") || m.contains("Connection is not available")
        })
        .map(|e| e["timestamp"].as_i64().unwrap())
        .collect();
    assert!(!timeouts.is_empty());
    let first = crate::synth::clock::iso_s(*timeouts.iter().min().unwrap());
    assert!(first.as_str() >= at, "timeouts from {first}, before the entry at {at}");
}

/// Log events whose message contains `needle`, as (timestamp, message).
fn log_events_with(dir: &Path, needle: &str) -> Vec<(i64, String)> {
    jsonl(&dir.join("logs.jsonl"))
        .iter()
        .filter_map(|e| {
            let message = e["message"].as_str()?;
            message.contains(needle).then(|| (e["timestamp"].as_i64().unwrap_or_default(), message.to_string()))
        })
        .collect()
}

#[test]
fn a_full_cache_evicts_at_its_limit_then_refuses_writes() {
    let temp = TempDir::new("cache");
    let kind = find_kind("cache-maxmemory").unwrap();
    for seed in [2, 3] {
        let dir = temp.0.join(format!("bundle-{seed}"));
        generate(&dir, kind, seed, 0.8, &Pins::default()).unwrap();
        let answer = check_bundle(&dir);
        let node = answer["rootCause"]["aliases"][0].as_str().unwrap();
        let metrics = jsonl(&dir.join("metrics.jsonl"));
        let memory = series_values(&metrics, "DatabaseMemoryUsagePercentage", "CacheClusterId", node);
        let evictions = series_values(&metrics, "Evictions", "CacheClusterId", node);
        assert_eq!(memory.len(), evictions.len(), "seed {seed}: one value per minute in both");
        assert!(memory[0] < 95.0, "seed {seed}: starts full at {}", memory[0]);
        // Redis evicts only at maxmemory: nothing before the node is full.
        let first = evictions.iter().position(|v| *v > 0.0).expect("no evictions");
        assert!(memory[first] >= 99.0, "seed {seed}: evictions at {}% memory", memory[first]);
        assert!(memory[..first].windows(2).all(|w| w[1] >= w[0] - 0.2), "seed {seed}: memory does not climb");
        let refusals = log_events_with(&dir, "OOM command not allowed when used memory > 'maxmemory'.");
        assert!(!refusals.is_empty(), "seed {seed}: no refused writes");
        // Nothing was changed on the cache.
        let trail = jsonl(&dir.join("cloudtrail.jsonl"));
        assert!(!trail.iter().any(|r| r["eventSource"] == "elasticache.amazonaws.com" && r["readOnly"] == false));
    }
}

#[test]
fn a_bucket_policy_deny_refuses_the_function_only_after_the_change() {
    let temp = TempDir::new("bucket-policy");
    let kind = find_kind("bucket-policy-deny").unwrap();
    for seed in [4, 5] {
        let dir = temp.0.join(format!("bundle-{seed}"));
        generate(&dir, kind, seed, 0.6, &Pins::default()).unwrap();
        let answer = check_bundle(&dir);
        let bucket = answer["rootCause"]["component"].as_str().unwrap();
        let trail = jsonl(&dir.join("cloudtrail.jsonl"));
        let put = trail
            .iter()
            .find(|r| r["eventName"] == "PutBucketPolicy" && r["requestParameters"]["bucketName"] == bucket)
            .expect("PutBucketPolicy on the bucket");
        let statements = put["requestParameters"]["bucketPolicy"]["Statement"].as_array().unwrap();
        assert!(statements.iter().any(|s| s["Effect"] == "Deny" && s["Sid"] != "DenyInsecureTransport"));
        let at = put["eventTime"].as_str().unwrap();
        let refusals = log_events_with(&dir, "with an explicit deny in a resource-based policy");
        assert!(!refusals.is_empty(), "seed {seed}: no AccessDenied");
        for (timestamp, message) in &refusals {
            assert!(message.contains(&format!("arn:aws:s3:::{bucket}/")), "{message}");
            assert!(crate::synth::clock::iso_s(*timestamp).as_str() >= at, "denied before the policy changed");
        }
        // The role's identity policies were not what denied.
        assert!(log_events_with(&dir, "because no identity-based policy allows").is_empty());
    }
}

#[test]
fn a_rotated_password_refuses_new_connections_after_the_rotation() {
    let temp = TempDir::new("rotation");
    let kind = find_kind("secret-rotation-mismatch").unwrap();
    for seed in [6, 7] {
        let dir = temp.0.join(format!("bundle-{seed}"));
        generate(&dir, kind, seed, 0.8, &Pins::default()).unwrap();
        let answer = check_bundle(&dir);
        let secret_arn = answer["rootCause"]["aliases"][0].as_str().unwrap();
        let trail = jsonl(&dir.join("cloudtrail.jsonl"));
        let put = trail
            .iter()
            .find(|r| r["eventName"] == "PutSecretValue" && r["requestParameters"]["secretId"] == secret_arn)
            .expect("PutSecretValue by the rotation function");
        assert!(trail.iter().any(|r| r["eventName"] == "RotationSucceeded" && r["eventType"] == "AwsServiceEvent"));
        let at = put["eventTime"].as_str().unwrap();
        let mut refusals = log_events_with(&dir, "password authentication failed for user \"app\"");
        refusals.extend(log_events_with(&dir, "Access denied for user 'app'@"));
        assert!(!refusals.is_empty(), "seed {seed}: no refused logins");
        assert!(refusals.iter().all(|(t, _)| crate::synth::clock::iso_s(*t).as_str() >= at), "refused before");
        assert!(!log_events_with(&dir, "setSecret: Successfully set password for user app").is_empty());
        // The pools shrink: some database ends the window with far fewer connections than it started with.
        let metrics = jsonl(&dir.join("metrics.jsonl"));
        assert!(metrics.iter().filter(|s| s["metricName"] == "DatabaseConnections").any(|s| {
            let values: Vec<f64> = s["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            values.last().is_some_and(|last| *last < values[0] * 0.5)
        }));
    }
}

#[test]
fn a_feature_flag_breaks_its_code_path_only_once_switched_on() {
    let temp = TempDir::new("flag");
    let kind = find_kind("feature-flag-flip").unwrap();
    for index in 1..=4 {
        let dir = temp.0.join(format!("bundle-{index}"));
        generate(&dir, kind, bundle_seed(17, kind, index), 0.8, &Pins::default()).unwrap();
        let answer = check_bundle(&dir);
        let component = answer["rootCause"]["component"].as_str().unwrap();
        let flag = answer["rootCause"]["aliases"][0].as_str().unwrap();
        let trail = jsonl(&dir.join("cloudtrail.jsonl"));
        let change = trail
            .iter()
            .find(|r| {
                (r["eventName"] == "PutParameter" && r["requestParameters"]["name"] == component)
                    || r["eventName"] == "StartDeployment"
            })
            .expect("the flag change");
        let at = change["eventTime"].as_str().unwrap();
        // Node and Python name the feature's module after the flag, Java its class.
        let module = flag.replace('-', "_");
        let class = crate::synth::naming::camel(flag);
        let failures: Vec<(i64, String)> =
            [format!("features/{flag}.js"), format!("features/{module}.py"), format!("features.{class}.")]
                .iter()
                .flat_map(|needle| log_events_with(&dir, needle))
                .collect();
        assert!(!failures.is_empty(), "bundle {index}: the flag's code path never failed");
        assert!(failures.iter().all(|(t, _)| crate::synth::clock::iso_s(*t).as_str() >= at), "failed before {at}");
    }
}

#[test]
fn the_daily_report_spike_is_healthy_and_passes_by_itself() {
    let temp = TempDir::new("batch");
    let kind = find_kind("healthy-batch-spike").unwrap();
    for seed in [8, 9] {
        let dir = temp.0.join(format!("bundle-{seed}"));
        generate(&dir, kind, seed, 0.8, &Pins::default()).unwrap();
        let answer = check_bundle(&dir);
        assert_eq!(answer["status"], "healthy");
        let started = log_events_with(&dir, "report run started");
        let finished = log_events_with(&dir, "report run finished");
        assert_eq!((started.len(), finished.len()), (1, 1), "seed {seed}: one run");
        let (run_start, run_end) = (started[0].0, finished[0].0);
        let metrics = jsonl(&dir.join("metrics.jsonl"));
        let db = answer["forbiddenComponents"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c.as_str())
            .find(|c| !series_values(&metrics, "CPUUtilization", "DBInstanceIdentifier", c).is_empty())
            .expect("the database");
        let series = metrics
            .iter()
            .find(|s| s["metricName"] == "CPUUtilization" && s["dimensions"]["DBInstanceIdentifier"] == db)
            .unwrap();
        let points: Vec<(i64, f64)> = series["timestamps"]
            .as_array()
            .unwrap()
            .iter()
            .zip(series["values"].as_array().unwrap())
            .map(|(t, v)| (t.as_i64().unwrap(), v.as_f64().unwrap()))
            .collect();
        let before = points.iter().filter(|p| p.0 < run_start - 60_000).map(|p| p.1).fold(0.0, f64::max);
        let during = points.iter().filter(|p| p.0 >= run_start && p.0 < run_end).map(|p| p.1).fold(0.0, f64::max);
        let after = points.iter().filter(|p| p.0 > run_end + 120_000).map(|p| p.1).fold(0.0, f64::max);
        assert!(during > before * 2.5, "seed {seed}: CPU {during} during the run vs {before} before");
        assert!(after <= before + 1.0, "seed {seed}: CPU {after} after the run vs {before} before");
        // Errors stay at their background level.
        let errors: f64 = metrics
            .iter()
            .filter(|s| s["metricName"] == "HTTPCode_Target_5XX_Count")
            .flat_map(|s| s["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>())
            .sum();
        assert!(errors <= 4.0, "seed {seed}: {errors} server errors");
        assert!(
            std::fs::read_dir(dir.join("knowledge"))
                .unwrap()
                .any(|entry| { entry.unwrap().file_name().to_string_lossy().ends_with("-daily-report.md") })
        );
        let input = read_json(&dir.join("input.json"));
        if input["source"] == "aws.cloudwatch" {
            assert!(input["detail"]["state"]["reason"].as_str().unwrap().contains("1 datapoint"));
        }
    }
}

/// The plan `generate` made for a bundle (the same seed draws the same plan).
fn plan_of(kind: &str, seed: u64, scale: f64) -> super::scenario::Plan {
    let mut rng = <super::random::SimRng as rand::SeedableRng>::seed_from_u64(seed);
    super::scenario::plan(find_kind(kind).unwrap(), &mut rng, scale, &Pins::default())
}

/// Values of a series before and from `at` (epoch ms).
fn split_at(metrics: &[Value], name: &str, dimension: &str, value: &str, at: i64) -> (Vec<f64>, Vec<f64>) {
    let series = metrics
        .iter()
        .find(|s| s["metricName"] == name && s["dimensions"][dimension] == value)
        .unwrap_or_else(|| panic!("no {name} for {value}"));
    let points = series["timestamps"].as_array().unwrap().iter().zip(series["values"].as_array().unwrap());
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for (ts, v) in points {
        let target = if ts.as_i64().unwrap() < at { &mut before } else { &mut after };
        target.push(v.as_f64().unwrap());
    }
    (before, after)
}

#[test]
fn the_compute_kinds_leave_their_cause_in_the_telemetry() {
    let temp = TempDir::new("compute-kinds");
    for (name, evidence) in [
        ("cpu-saturation", ["\"CPUUtilization\"", "duration_ms"]),
        ("kinesis-throughput-exceeded", ["WriteProvisionedThroughputExceeded", "GetRecords.IteratorAgeMilliseconds"]),
        ("az-impairment", ["StatusCheckFailed_System", "\"AvailabilityZone\""]),
        ("lambda-memory-lowered", ["\"memorySize\"", "Runtime exited with error: signal: killed"]),
    ] {
        let kind = find_kind(name).unwrap();
        for index in 1..=2 {
            let dir = temp.0.join(format!("{name}-{index}"));
            generate(&dir, kind, bundle_seed(17, kind, index), 0.4, &Pins::default()).unwrap();
            let answer = check_bundle(&dir);
            assert_eq!(answer["status"], "root_cause_identified", "{name}");
            let text = telemetry_text(&dir);
            let component = answer["rootCause"]["component"].as_str().unwrap();
            assert!(text.contains(component), "{name}: {component} appears nowhere");
            for needle in evidence {
                assert!(text.contains(needle), "{name}-{index}: no {needle}");
            }
        }
    }
}

#[test]
fn a_cpu_heavy_path_pins_the_service_without_any_change() {
    let temp = TempDir::new("cpu");
    let (seed, scale) = (8, 0.5);
    let plan = plan_of("cpu-saturation", seed, scale);
    let dir = temp.0.join("bundle");
    generate(&dir, find_kind("cpu-saturation").unwrap(), seed, scale, &Pins::default()).unwrap();
    let answer = check_bundle(&dir);
    let service = answer["rootCause"]["component"].as_str().unwrap();
    let metrics = jsonl(&dir.join("metrics.jsonl"));
    let cpu = metrics
        .iter()
        .find(|s| {
            s["metricName"] == "CPUUtilization" && s["dimensions"]["ServiceName"] == service && s["stat"] == "Maximum"
        })
        .expect("CPU of the service");
    let values: Vec<f64> = cpu["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let onset_minute = ((plan.onset_ms - plan.start_ms) / 60_000) as usize;
    assert!(values[..onset_minute - 15].iter().all(|v| *v < 40.0), "busy long before the onset");
    assert!(values[onset_minute + 3..].iter().filter(|v| **v >= 99.0).count() >= 5, "never pinned");
    // The load balancer answers for the tasks once they fail their health checks, and only then.
    let alb = plan.system.workloads[0].alb().unwrap().dimension.clone();
    // (The cost crosses the tasks' capacity around the planned onset, give or take the traffic's noise.)
    let (before, after) = split_at(&metrics, "UnHealthyHostCount", "LoadBalancer", &alb, plan.onset_ms - 300_000);
    assert!(before.iter().all(|v| *v == 0.0) && after.iter().any(|v| *v > 0.0), "{before:?} {after:?}");
    let elb = metrics
        .iter()
        .find(|s| s["metricName"] == "HTTPCode_ELB_5XX_Count" && s["dimensions"]["LoadBalancer"] == alb.as_str())
        .expect("the load balancer answered 5XX");
    assert!(elb["timestamps"][0].as_i64().unwrap() >= plan.onset_ms - 300_000, "ELB errors before the onset");
    // No deployment and no change to the service: the cause is in the code path, not in CloudTrail.
    let trail = jsonl(&dir.join("cloudtrail.jsonl"));
    assert!(!trail.iter().any(|r| r["eventSource"] == "ecs.amazonaws.com" && r["readOnly"] == false));
}

#[test]
fn halved_shards_throttle_writes_and_the_consumer_falls_behind() {
    let temp = TempDir::new("kinesis");
    let kind = find_kind("kinesis-throughput-exceeded").unwrap();
    let scale = 0.4;
    // The shard cut is one of two variants: take the first seed that drew it.
    let (seed, plan) = (1..20)
        .map(|seed| (seed, plan_of(kind.name, seed, scale)))
        .find(|(_, plan)| {
            plan.changes.iter().any(|c| matches!(c.change, super::cloudtrail::Change::UpdateShardCount { .. }))
        })
        .expect("no seed with a shard cut");
    let dir = temp.0.join("bundle");
    generate(&dir, kind, seed, scale, &Pins::default()).unwrap();
    let answer = check_bundle(&dir);
    let stream = answer["rootCause"]["component"].as_str().unwrap();
    let trail = jsonl(&dir.join("cloudtrail.jsonl"));
    let update = trail.iter().find(|r| r["eventName"] == "UpdateShardCount").expect("UpdateShardCount");
    assert_eq!(update["requestParameters"]["streamName"], stream);
    let from = update["responseElements"]["currentShardCount"].as_i64().unwrap();
    assert_eq!(update["requestParameters"]["targetShardCount"].as_i64().unwrap() * 2, from);
    let metrics = jsonl(&dir.join("metrics.jsonl"));
    let (before, after) = split_at(&metrics, "WriteProvisionedThroughputExceeded", "StreamName", stream, plan.onset_ms);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    assert!(mean(&after[3..]) > 10.0 * mean(&before).max(1.0), "{} vs {}", mean(&after), mean(&before));
    let (age_before, age_after) =
        split_at(&metrics, "GetRecords.IteratorAgeMilliseconds", "StreamName", stream, plan.onset_ms);
    let worst_before = age_before.iter().copied().fold(0.0, f64::max);
    assert!(*age_after.last().unwrap() > 60_000.0 && age_after.last().unwrap() > &(5.0 * worst_before));
    // Producers that gave up name the shard and the stream as Kinesis does.
    for (at, message) in log_events_with(&dir, "Rate exceeded for shard shardId-") {
        assert!(at > update_ms(update), "a throttled write before the change");
        assert!(message.contains(&format!("in stream {stream} under account")));
    }
}

fn update_ms(record: &Value) -> i64 {
    let time = record["eventTime"].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(time).unwrap().timestamp_millis()
}

#[test]
fn an_impaired_zone_fails_its_own_instances_and_the_group_replaces_them() {
    let temp = TempDir::new("zone");
    let dir = temp.0.join("bundle");
    generate(&dir, find_kind("az-impairment").unwrap(), 6, 0.5, &Pins::default()).unwrap();
    let answer = check_bundle(&dir);
    let aliases: Vec<&str> =
        answer["rootCause"]["aliases"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    let zone = aliases[0];
    let lost: Vec<&str> = aliases.iter().copied().filter(|a| a.starts_with("i-")).collect();
    assert!(!lost.is_empty());
    let metrics = jsonl(&dir.join("metrics.jsonl"));
    let failed: Vec<&str> = metrics
        .iter()
        .filter(|s| s["metricName"] == "StatusCheckFailed_System")
        .filter(|s| s["values"].as_array().unwrap().iter().any(|v| v.as_f64() == Some(1.0)))
        .map(|s| s["dimensions"]["InstanceId"].as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), lost.len());
    assert!(failed.iter().all(|id| lost.contains(id)), "{failed:?} vs {lost:?}");
    // Only the impaired zone's targets turn unhealthy.
    for series in metrics
        .iter()
        .filter(|s| s["metricName"] == "UnHealthyHostCount" && s["dimensions"]["AvailabilityZone"].is_string())
    {
        let unhealthy = series["values"].as_array().unwrap().iter().any(|v| v.as_f64().unwrap() > 0.0);
        assert_eq!(unhealthy, series["dimensions"]["AvailabilityZone"] == zone, "{series}");
    }
    // AWS replaced them; nobody in the account touched them.
    let trail = jsonl(&dir.join("cloudtrail.jsonl"));
    let terminate = trail.iter().find(|r| r["eventName"] == "TerminateInstances").expect("TerminateInstances");
    assert_eq!(terminate["userIdentity"]["invokedBy"], "autoscaling.amazonaws.com");
    let terminated: Vec<&str> = terminate["requestParameters"]["instancesSet"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["instanceId"].as_str().unwrap())
        .collect();
    assert_eq!(terminated, lost);
    assert!(
        trail.iter().filter(|r| r["eventName"] == "RunInstances" && r["errorCode"].is_null()).count() >= lost.len()
    );
}

#[test]
fn lowered_memory_kills_invocations_only_after_the_change() {
    let temp = TempDir::new("lambda-memory");
    let dir = temp.0.join("bundle");
    generate(&dir, find_kind("lambda-memory-lowered").unwrap(), 4, 0.6, &Pins::default()).unwrap();
    let answer = check_bundle(&dir);
    let function = answer["rootCause"]["component"].as_str().unwrap();
    let trail = jsonl(&dir.join("cloudtrail.jsonl"));
    let change = trail
        .iter()
        .find(|r| {
            r["eventName"] == "UpdateFunctionConfiguration20150331v2"
                && r["requestParameters"]["functionName"] == function
        })
        .expect("the memory change");
    let memory = change["requestParameters"]["memorySize"].as_i64().unwrap();
    let at = update_ms(change);
    let group = format!("/aws/lambda/{function}");
    let logs = jsonl(&dir.join("logs.jsonl"));
    let in_group = |needle: &str| -> Vec<(i64, String)> {
        logs.iter()
            .filter(|e| e["logGroup"] == group.as_str())
            .filter_map(|e| {
                let m = e["message"].as_str()?;
                m.contains(needle).then(|| (e["timestamp"].as_i64().unwrap(), m.to_string()))
            })
            .collect()
    };
    let killed = in_group("Runtime exited with error: signal: killed");
    assert!(!killed.is_empty(), "nothing was killed");
    assert!(killed.iter().all(|(t, _)| *t > at), "killed before the change");
    let small = format!("Memory Size: {memory} MB");
    let oom = in_group("Runtime.OutOfMemory");
    assert!(oom.iter().all(|(_, m)| m.contains(&small) && m.contains(&format!("Max Memory Used: {memory} MB"))));
    assert!(in_group(&small).iter().all(|(t, _)| *t > at), "the new size shows before the change");
}
