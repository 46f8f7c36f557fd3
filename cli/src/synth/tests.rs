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
