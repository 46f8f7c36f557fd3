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

/// Generates a bundle of the kind named `kind` in a folder of its own under `temp`, checks it against the spec
/// and returns the folder and the answer.
fn checked_bundle(temp: &TempDir, kind: &str, seed: u64, scale: f64) -> (PathBuf, Value) {
    let dir = temp.0.join(format!("{kind}-{seed}"));
    generate(&dir, find_kind(kind).unwrap(), seed, scale, &Pins::default()).unwrap();
    let answer = check_bundle(&dir);
    (dir, answer)
}

fn trail_records(dir: &Path) -> Vec<Value> {
    jsonl(&dir.join("cloudtrail.jsonl"))
}

fn metric_series(dir: &Path) -> Vec<Value> {
    jsonl(&dir.join("metrics.jsonl"))
}

/// The values of one series.
fn values_of(series: &Value) -> Vec<f64> {
    series["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

/// The sum of every value of the series `keep` selects.
fn total(metrics: &[Value], keep: impl Fn(&Value) -> bool) -> f64 {
    metrics.iter().filter(|s| keep(s)).flat_map(values_of).sum()
}

/// The record of `event` whose request names `value` as `parameter`; panics when there is none.
fn change_record<'a>(trail: &'a [Value], event: &str, parameter: &str, value: &str) -> &'a Value {
    trail
        .iter()
        .find(|r| r["eventName"] == event && r["requestParameters"][parameter] == value)
        .unwrap_or_else(|| panic!("no {event} on {value}"))
}

/// Whether an epoch-ms timestamp falls at or after a CloudTrail `eventTime` (both compare as ISO text).
fn at_or_after(timestamp_ms: i64, event_time: &str) -> bool {
    crate::synth::clock::iso_s(timestamp_ms).as_str() >= event_time
}

/// Nobody in the account changed anything through `source`: the cause was on AWS's side or in the code.
fn assert_no_change_through(trail: &[Value], source: &str) {
    assert!(!trail.iter().any(|r| r["eventSource"] == source && r["readOnly"] == false), "a change through {source}");
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
    let (dir, answer) = checked_bundle(&temp, "ddb-capacity-cut", 7, 0.5);
    let table = answer["rootCause"]["component"].as_str().unwrap();
    change_record(&trail_records(&dir), "UpdateTable", "tableName", table);
    let throttled = total(&metric_series(&dir), |s| {
        s["metricName"] == "ThrottledRequests" && s["dimensions"]["TableName"] == table
    });
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

/// `bundles` bundles of each kind find a root cause whose component, and the kind's two pieces of evidence,
/// appear somewhere in the telemetry.
fn assert_kinds_leave_their_cause(temp: &TempDir, kinds: &[(&str, [&str; 2])], seed: u64, bundles: u32, scale: f64) {
    for (name, evidence) in kinds {
        let kind = find_kind(name).unwrap();
        for index in 1..=bundles {
            let (dir, answer) = checked_bundle(temp, name, bundle_seed(seed, kind, index), scale);
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
fn the_dependency_kinds_leave_their_cause_in_the_telemetry() {
    let kinds = [
        ("kms-key-disabled", ["kms.amazonaws.com", "KMS"]),
        ("db-connection-limit", ["\"desiredCount\"", "DatabaseConnections"]),
        ("downstream-rate-limit", ["429", "retry_after"]),
        ("env-var-misconfig", ["UpdateFunctionConfiguration20150331v2", "\"environment\":{}"]),
    ];
    assert_kinds_leave_their_cause(&TempDir::new("dependency-kinds"), &kinds, 11, 3, 0.6);
}

#[test]
fn a_disabled_key_fails_the_calls_that_need_it() {
    let temp = TempDir::new("kms");
    let (dir, answer) = checked_bundle(&temp, "kms-key-disabled", 21, 0.5);
    let key_id = answer["rootCause"]["aliases"][0].as_str().unwrap();
    let trail = trail_records(&dir);
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
    let (dir, answer) = checked_bundle(&temp, "db-connection-limit", 5, 1.0);
    let db = answer["rootCause"]["component"].as_str().unwrap();
    let values = series_values(&metric_series(&dir), "DatabaseConnections", "DBInstanceIdentifier", db);
    let peak = values.iter().copied().fold(0.0, f64::max);
    let at_peak = values.iter().filter(|v| **v >= peak - 2.0).count();
    assert!(at_peak >= 10, "the ceiling holds for {at_peak} minutes only");
    assert!(values[0] < peak * 0.7, "connections start at {} of {peak}", values[0]);
    let logs = std::fs::read_to_string(dir.join("logs.jsonl")).unwrap();
    assert!(logs.contains("too many clients") || logs.contains("Too many connections"));
}

#[test]
fn the_infrastructure_kinds_leave_their_cause_in_the_telemetry() {
    let kinds = [
        ("rds-failover", ["DatabaseConnections", "ReadIOPS"]),
        ("nacl-deny", ["\"ruleAction\":\"deny\"", "DescribeNetworkAcls"]),
    ];
    assert_kinds_leave_their_cause(&TempDir::new("infrastructure-kinds"), &kinds, 13, 3, 0.6);
}

fn series_values(metrics: &[Value], name: &str, dimension: &str, value: &str) -> Vec<f64> {
    metrics
        .iter()
        .find(|s| s["metricName"] == name && s["dimensions"][dimension] == value)
        .map(values_of)
        .unwrap_or_default()
}

#[test]
fn a_failover_empties_the_database_for_a_minute_and_changes_nothing() {
    let temp = TempDir::new("failover");
    for seed in [3, 4] {
        let (dir, answer) = checked_bundle(&temp, "rds-failover", seed, 1.0);
        let db = answer["rootCause"]["component"].as_str().unwrap();
        let metrics = metric_series(&dir);
        let connections = series_values(&metrics, "DatabaseConnections", "DBInstanceIdentifier", db);
        let typical = connections[connections.len() / 4];
        let lowest = connections.iter().position(|v| *v < typical * 0.3).expect("connections never drop");
        assert!(connections[lowest + 3..].iter().all(|v| *v > typical * 0.6), "connections do not come back");
        let reads = series_values(&metrics, "ReadIOPS", "DBInstanceIdentifier", db);
        assert!(reads[lowest + 2] > reads[lowest - 5] * 5.0, "no cold cache after the failover");
        // An AWS-side event: nobody touched the database.
        assert_no_change_through(&trail_records(&dir), "rds.amazonaws.com");
        let logs = std::fs::read_to_string(dir.join("logs.jsonl")).unwrap();
        assert!(logs.contains("ready to accept connections") || logs.contains("ready for connections"));
        assert!(logs.contains("ECONNREFUSED") || logs.contains("refused") || logs.contains("Connection refused"));
    }
}

#[test]
fn a_deny_entry_precedes_the_connection_timeouts() {
    let temp = TempDir::new("nacl");
    let (dir, answer) = checked_bundle(&temp, "nacl-deny", 17, 0.8);
    let acl = answer["rootCause"]["component"].as_str().unwrap();
    let trail = trail_records(&dir);
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
    let first = *timeouts.iter().min().expect("no timeouts");
    assert!(at_or_after(first, at), "timeouts from {}, before the entry at {at}", crate::synth::clock::iso_s(first));
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
    for seed in [2, 3] {
        let (dir, answer) = checked_bundle(&temp, "cache-maxmemory", seed, 0.8);
        let node = answer["rootCause"]["aliases"][0].as_str().unwrap();
        let metrics = metric_series(&dir);
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
        assert_no_change_through(&trail_records(&dir), "elasticache.amazonaws.com");
    }
}

#[test]
fn a_bucket_policy_deny_refuses_the_function_only_after_the_change() {
    let temp = TempDir::new("bucket-policy");
    for seed in [4, 5] {
        let (dir, answer) = checked_bundle(&temp, "bucket-policy-deny", seed, 0.6);
        let bucket = answer["rootCause"]["component"].as_str().unwrap();
        let trail = trail_records(&dir);
        let put = change_record(&trail, "PutBucketPolicy", "bucketName", bucket);
        let statements = put["requestParameters"]["bucketPolicy"]["Statement"].as_array().unwrap();
        assert!(statements.iter().any(|s| s["Effect"] == "Deny" && s["Sid"] != "DenyInsecureTransport"));
        let at = put["eventTime"].as_str().unwrap();
        let refusals = log_events_with(&dir, "with an explicit deny in a resource-based policy");
        assert!(!refusals.is_empty(), "seed {seed}: no AccessDenied");
        for (timestamp, message) in &refusals {
            assert!(message.contains(&format!("arn:aws:s3:::{bucket}/")), "{message}");
            assert!(at_or_after(*timestamp, at), "denied before the policy changed");
        }
        // The role's identity policies were not what denied.
        assert!(log_events_with(&dir, "because no identity-based policy allows").is_empty());
    }
}

#[test]
fn a_rotated_password_refuses_new_connections_after_the_rotation() {
    let temp = TempDir::new("rotation");
    for seed in [6, 7] {
        let (dir, answer) = checked_bundle(&temp, "secret-rotation-mismatch", seed, 0.8);
        let secret_arn = answer["rootCause"]["aliases"][0].as_str().unwrap();
        let trail = trail_records(&dir);
        let put = change_record(&trail, "PutSecretValue", "secretId", secret_arn);
        assert!(trail.iter().any(|r| r["eventName"] == "RotationSucceeded" && r["eventType"] == "AwsServiceEvent"));
        let at = put["eventTime"].as_str().unwrap();
        let mut refusals = log_events_with(&dir, "password authentication failed for user \"app\"");
        refusals.extend(log_events_with(&dir, "Access denied for user 'app'@"));
        assert!(!refusals.is_empty(), "seed {seed}: no refused logins");
        assert!(refusals.iter().all(|(t, _)| at_or_after(*t, at)), "refused before");
        assert!(!log_events_with(&dir, "setSecret: Successfully set password for user app").is_empty());
        // The pools shrink: some database ends the window with far fewer connections than it started with.
        assert!(metric_series(&dir).iter().filter(|s| s["metricName"] == "DatabaseConnections").any(|s| {
            let values = values_of(s);
            values.last().is_some_and(|last| *last < values[0] * 0.5)
        }));
    }
}

#[test]
fn a_feature_flag_breaks_its_code_path_only_once_switched_on() {
    let temp = TempDir::new("flag");
    let kind = find_kind("feature-flag-flip").unwrap();
    for index in 1..=4 {
        let (dir, answer) = checked_bundle(&temp, kind.name, bundle_seed(17, kind, index), 0.8);
        let component = answer["rootCause"]["component"].as_str().unwrap();
        let flag = answer["rootCause"]["aliases"][0].as_str().unwrap();
        let trail = trail_records(&dir);
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
        assert!(failures.iter().all(|(t, _)| at_or_after(*t, at)), "failed before {at}");
    }
}

#[test]
fn the_daily_report_spike_is_healthy_and_passes_by_itself() {
    let temp = TempDir::new("batch");
    for seed in [8, 9] {
        let (dir, answer) = checked_bundle(&temp, "healthy-batch-spike", seed, 0.8);
        assert_eq!(answer["status"], "healthy");
        let started = log_events_with(&dir, "report run started");
        let finished = log_events_with(&dir, "report run finished");
        assert_eq!((started.len(), finished.len()), (1, 1), "seed {seed}: one run");
        let (run_start, run_end) = (started[0].0, finished[0].0);
        let metrics = metric_series(&dir);
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
        let errors = total(&metrics, |s| s["metricName"] == "HTTPCode_Target_5XX_Count");
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
    let kinds = [
        ("cpu-saturation", ["\"CPUUtilization\"", "duration_ms"]),
        ("kinesis-throughput-exceeded", ["WriteProvisionedThroughputExceeded", "GetRecords.IteratorAgeMilliseconds"]),
        ("az-impairment", ["StatusCheckFailed_System", "\"AvailabilityZone\""]),
        ("lambda-memory-lowered", ["\"memorySize\"", "Runtime exited with error: signal: killed"]),
    ];
    assert_kinds_leave_their_cause(&TempDir::new("compute-kinds"), &kinds, 17, 2, 0.4);
}

#[test]
fn a_cpu_heavy_path_pins_the_service_without_any_change() {
    let temp = TempDir::new("cpu");
    let (seed, scale) = (8, 0.5);
    let plan = plan_of("cpu-saturation", seed, scale);
    let (dir, answer) = checked_bundle(&temp, "cpu-saturation", seed, scale);
    let service = answer["rootCause"]["component"].as_str().unwrap();
    let metrics = metric_series(&dir);
    let cpu = metrics
        .iter()
        .find(|s| {
            s["metricName"] == "CPUUtilization" && s["dimensions"]["ServiceName"] == service && s["stat"] == "Maximum"
        })
        .expect("CPU of the service");
    let values = values_of(cpu);
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
    assert_no_change_through(&trail_records(&dir), "ecs.amazonaws.com");
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
    let (dir, answer) = checked_bundle(&temp, kind.name, seed, scale);
    let stream = answer["rootCause"]["component"].as_str().unwrap();
    let trail = trail_records(&dir);
    let update = trail.iter().find(|r| r["eventName"] == "UpdateShardCount").expect("UpdateShardCount");
    assert_eq!(update["requestParameters"]["streamName"], stream);
    let from = update["responseElements"]["currentShardCount"].as_i64().unwrap();
    assert_eq!(update["requestParameters"]["targetShardCount"].as_i64().unwrap() * 2, from);
    let metrics = metric_series(&dir);
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
    let (dir, answer) = checked_bundle(&temp, "az-impairment", 6, 0.5);
    let aliases: Vec<&str> =
        answer["rootCause"]["aliases"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    let zone = aliases[0];
    let lost: Vec<&str> = aliases.iter().copied().filter(|a| a.starts_with("i-")).collect();
    assert!(!lost.is_empty());
    let metrics = metric_series(&dir);
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
    let trail = trail_records(&dir);
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
    let (dir, answer) = checked_bundle(&temp, "lambda-memory-lowered", 4, 0.6);
    let function = answer["rootCause"]["component"].as_str().unwrap();
    let trail = trail_records(&dir);
    let change = change_record(&trail, "UpdateFunctionConfiguration20150331v2", "functionName", function);
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
