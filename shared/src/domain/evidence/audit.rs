//! Evidence from CloudTrail: read-only and session noise filtered out, each write classified (deployment,
//! permission, capacity...), attributed to the resource it touched, grouped into changes and ranked by how likely it
//! is to explain the incident (kind, time before the problem was noticed, relation to the resources in play).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::terms::{mention_count, name_tokens, split_words, stem};
use super::{AnalysisFrame, attr};
use crate::contract::{Digest, EvidenceSource, Finding, FindingKind, format_time};
use crate::domain::budget::{bound_digest, clip};
use crate::domain::resources::hosts_named_in;

/// Changes by the same actor to the same resource, of the same kind, this close together are one change (a deploy
/// is UpdateFunctionCode + PublishVersion + UpdateAlias).
const GROUP_GAP_MINUTES: i64 = 15;
/// Changes this close before the problem was noticed are as suspicious as it gets; older ones fade with
/// `TIME_DECAY_MINUTES`.
const PROXIMITY_MINUTES: f64 = 5.0;
const TIME_DECAY_MINUTES: f64 = 40.0;
/// A change after the problem was noticed is more likely a reaction than the cause.
const AFTER_NOTICED_FACTOR: f64 = 0.2;
/// A call that failed changed nothing.
const FAILED_CALL_FACTOR: f64 = 0.15;
/// A modification queued for the next maintenance window (`applyImmediately=false`) has not happened yet.
const DEFERRED_FACTOR: f64 = 0.15;
/// How much a change unrelated to any resource in play keeps of its score (network changes hit everything).
const UNRELATED_FACTOR: f64 = 0.35;
const UNRELATED_NETWORK_FACTOR: f64 = 0.6;
/// Changes listed in the text digest.
const TEXT_CHANGES: usize = 15;
/// Minutes either side of a change in which calls to its target are compared: refused after, none refused before.
const REFUSAL_MINUTES: i64 = 30;

/// Words of resource names that say what kind of thing it is or where it runs, not which system it belongs to.
#[rustfmt::skip]
const GENERIC_NAME_WORDS: [&str; 40] = [
    "api", "app", "service", "svc", "role", "policy", "table", "function", "lambda", "handler", "stack", "queue",
    "topic", "bucket", "db", "database", "cluster", "prod", "production", "prd", "live", "dev", "stage", "staging",
    "stg", "test", "default", "main", "aws", "v1", "v2", "iam", "group", "rule", "alias", "version", "task", "job",
    "worker", "log",
];

/// Request parameters that identify the target of a call, most specific first (top level of `requestParameters`).
#[rustfmt::skip]
const TARGET_KEYS: [&str; 65] = [
    "functionName", "tableName", "roleName", "userName", "bucketName", "queueUrl", "queueName", "topicArn",
    "subscriptionArn",
    "stateMachineArn", "service", "serviceName", "autoScalingGroupName", "dBInstanceIdentifier", "dBClusterIdentifier",
    "dBProxyName", "cacheClusterId", "replicationGroupId", "secretId", "stackName", "ruleName", "streamName",
    // An AppSync resolver is the field it resolves, within the API.
    "deliveryStreamName", "domainName", "repositoryName", "applicationName", "restApiId", "fieldName", "apiId",
    "loadBalancerArn",
    "targetGroupArn", "listenerArn", "routeTableId", "networkAclId", "vpcEndpointId", "natGatewayId", "subnetId",
    "vpcId", "groupId", "groupName", "keyId", "targetKeyId", "aliasName", "certificateArn", "policyArn", "policyName",
    "name", "family", "taskDefinition", "cluster", "resourceId", "resource", "resourceArn", "arn", "logGroupName",
    "alarmName", "uUID", "parameterName", "identifier",
    // An EventBridge call names its rule `name`; the bus is where the rule lives.
    "eventBusName",
    // A listener rule, a distribution (CloudFront's update names it `id`, its origins deeper in the request), a
    // usage plan.
    "ruleArn", "distributionId", "id", "usagePlanId",
    // A dead-letter queue redriven (`StartMessageMoveTask`), whatever its destination.
    "sourceArn",
];

/// The category of a change (`attr::CHANGE_KIND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    Deployment,
    Configuration,
    Permission,
    Credential,
    Capacity,
    Network,
    /// Work put on the system at once: a dead-letter queue's messages moved back, an event archive replayed.
    Load,
    /// Faults injected on purpose: an AWS FIS experiment started (a game day).
    Experiment,
    Other,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Deployment => "deployment",
            ChangeKind::Configuration => "configuration",
            ChangeKind::Permission => "permission",
            ChangeKind::Credential => "credential",
            ChangeKind::Capacity => "capacity",
            ChangeKind::Network => "network",
            ChangeKind::Load => "load",
            ChangeKind::Experiment => "experiment",
            ChangeKind::Other => "other",
        }
    }
}

/// Why an event was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Noise {
    ReadOnly,
    Session,
    Runtime,
}

impl Noise {
    fn label(self) -> &'static str {
        match self {
            Noise::ReadOnly => "read-only",
            Noise::Session => "sign-in/session",
            Noise::Runtime => "runtime telemetry",
        }
    }
}

/// One write event, read and judged.
#[derive(Debug, Clone)]
struct Change {
    time: DateTime<Utc>,
    name: String,
    source: String,
    kind: ChangeKind,
    /// How often a change of this kind and direction breaks things, 0..=1.
    strength: f64,
    target: String,
    actor: String,
    failed: Option<String>,
    excerpt: String,
    event_id: String,
    score: f64,
    /// Calls to the target refused after this change, none in the same time before it.
    refused: Option<Refusals>,
    /// Host names in the request (an endpoint a new task definition points its service at).
    hosts: Vec<String>,
}

/// A read of some resource that AWS refused (a `Decrypt` with a disabled key, a `GetSecretValue` of a deleted
/// secret): CloudTrail records the caller's failures as well as the change that caused them.
#[derive(Debug, Clone)]
struct Refusal {
    time: DateTime<Utc>,
    /// The resources the call names: those CloudTrail lists, and the one its request names.
    targets: Vec<String>,
    code: String,
}

/// The refused calls that followed a change to their target.
#[derive(Debug, Clone)]
struct Refusals {
    count: usize,
    code: String,
    first: DateTime<Utc>,
}

/// Digest of CloudTrail records for the frame; `blob_ref` is where the raw output is stored.
pub fn digest(records: &[Value], frame: &AnalysisFrame, blob_ref: &str) -> Digest {
    let mut noise: BTreeMap<Noise, usize> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut refusals = Vec::new();
    let mut seen_ids = std::collections::HashSet::new();
    for record in records {
        let id = text_at(record, "eventID");
        if !id.is_empty() && !seen_ids.insert(id) {
            continue;
        }
        match read_change(record) {
            Ok(Some(change)) => changes.push(change),
            Ok(None) => {}
            Err(reason) => {
                *noise.entry(reason).or_default() += 1;
                refusals.extend(read_refusal(record));
            }
        }
    }
    let relation = Relation::new(frame, &changes);
    for change in &mut changes {
        change.refused = refused_after(change, &refusals);
        change.score = score(change, frame, &relation);
    }
    changes.sort_by_key(|c| c.time);
    let groups = group(changes);

    let filtered: usize = noise.values().sum();
    let writes: usize = groups.iter().map(|g| g.members.len()).sum();
    let mut text = format!("CloudTrail: {} events; {filtered} filtered as noise", records.len());
    if filtered > 0 {
        let parts: Vec<String> = noise.iter().map(|(reason, n)| format!("{n} {}", reason.label())).collect();
        let _ = write!(text, " ({})", parts.join(", "));
    }
    let _ = writeln!(text, "; {writes} writes in {} changes, strongest first:", groups.len());
    let mut findings = Vec::new();
    for (rank, group) in groups.iter().enumerate() {
        if rank < TEXT_CHANGES {
            let _ = writeln!(text, "{}", group.line(frame.noticed_at));
        }
        findings.push(group.finding(frame.noticed_at));
    }
    if groups.len() > TEXT_CHANGES {
        let _ = writeln!(text, "(+{} weaker changes not listed)", groups.len() - TEXT_CHANGES);
    }
    if !blob_ref.is_empty() {
        let _ = writeln!(text, "Raw records: {blob_ref}");
    }
    bound_digest(Digest { text, findings, records: records.len() as u64, truncated: false })
}

fn text_at<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A write event as a `Change`, `Ok(None)` for a record that cannot be read, or why it is noise.
fn read_change(record: &Value) -> Result<Option<Change>, Noise> {
    let raw_name = text_at(record, "eventName");
    let name = strip_api_version(raw_name).to_string();
    let source = text_at(record, "eventSource").to_string();
    let service = source.split('.').next().unwrap_or("").to_string();
    if let Some(noise) = noise_reason(record, &name, &service) {
        return Err(noise);
    }
    let Some(time) = text_at(record, "eventTime").parse::<DateTime<Utc>>().ok() else {
        return Ok(None);
    };
    let absent = Value::Null;
    // What AWS did by itself (`AwsServiceEvent`) is described in `serviceEventDetails` instead of a request.
    let params = record
        .get("requestParameters")
        .filter(|p| p.is_object())
        .or_else(|| record.get("serviceEventDetails").filter(|p| p.is_object()))
        .unwrap_or(&absent);
    let request_leaves = leaves(params);
    let response_leaves = leaves(record.get("responseElements").unwrap_or(&absent));
    let direction = direction_of(&request_leaves, &response_leaves);
    let (mut kind, mut strength) = classify(&service, &name, &request_leaves, direction);
    let target = target_of(record, params, &request_leaves);
    if kind == ChangeKind::Configuration && about_logging(&target, &request_leaves) {
        strength *= 0.5;
    }
    // A modification left pending until the next maintenance window changes nothing yet.
    if deferred(&request_leaves) {
        kind = ChangeKind::Other;
        strength *= DEFERRED_FACTOR;
    }
    let failed = record.get("errorCode").and_then(Value::as_str).filter(|c| !c.is_empty()).map(str::to_string);
    let mut excerpt = format!("{name} {}", describe_parameters(&request_leaves, &response_leaves));
    if let Some(code) = &failed {
        let _ = write!(excerpt, " -> {code}");
    }
    Ok(Some(Change {
        time,
        name,
        source,
        kind,
        strength,
        target,
        actor: actor_of(record),
        failed,
        excerpt: clip(excerpt.trim(), 400),
        event_id: text_at(record, "eventID").to_string(),
        score: 0.0,
        refused: None,
        hosts: hosts_named_in(request_leaves.iter().filter_map(|(_, value)| value.as_str())),
    }))
}

/// A read that AWS refused, and the resource it read.
fn read_refusal(record: &Value) -> Option<Refusal> {
    let code = text_at(record, "errorCode");
    let time = text_at(record, "eventTime").parse::<DateTime<Utc>>().ok()?;
    if code.is_empty() {
        return None;
    }
    let params = record.get("requestParameters").filter(|p| p.is_object()).unwrap_or(&Value::Null);
    let listed = record.get("resources").and_then(Value::as_array).into_iter().flatten();
    let mut targets: Vec<String> = listed
        .filter_map(|r| r.get("ARN").or_else(|| r.get("arn")).and_then(Value::as_str))
        .map(resource_name)
        .collect();
    targets.push(requested_target(record, params));
    Some(Refusal { time, targets, code: code.to_string() })
}

/// The calls to a change's target that AWS refused after it, if none were refused in the same time before.
fn refused_after(change: &Change, refusals: &[Refusal]) -> Option<Refusals> {
    let window = Duration::minutes(REFUSAL_MINUTES);
    let to_target: Vec<&Refusal> =
        refusals.iter().filter(|r| r.targets.iter().any(|t| t.eq_ignore_ascii_case(&change.target))).collect();
    if to_target.iter().any(|r| r.time < change.time && r.time >= change.time - window) {
        return None;
    }
    let after: Vec<&Refusal> =
        to_target.into_iter().filter(|r| r.time >= change.time && r.time <= change.time + window).collect();
    let first = after.iter().min_by_key(|r| r.time)?;
    Some(Refusals { count: after.len(), code: first.code.clone(), first: first.time })
}

/// Lambda's event names carry the API version (`UpdateFunctionCode20150331v2`); the action is what matters.
fn strip_api_version(name: &str) -> &str {
    let without_revision = match name.rfind('v') {
        Some(at) if at + 1 < name.len() && name[at + 1..].bytes().all(|b| b.is_ascii_digit()) => &name[..at],
        _ => name,
    };
    let digits = without_revision.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 8 && without_revision.len() > 8 { &without_revision[..without_revision.len() - 8] } else { name }
}

#[rustfmt::skip]
const READ_VERBS: [&str; 30] = [
    "Get", "List", "Describe", "Lookup", "Search", "Query", "Scan", "BatchGet", "Head", "Check", "Validate", "Test",
    "Simulate", "Estimate", "Preview", "Filter", "Select", "View", "Read", "Decrypt", "Encrypt", "ReEncrypt",
    "Generate", "Sign", "Verify", "Assume", "Download", "Poll", "Receive", "Detect",
];

#[rustfmt::skip]
const SESSION_EVENTS: [&str; 10] = [
    "ConsoleLogin", "SwitchRole", "CheckMfa", "ExitRole", "RenewRole", "GetSigninToken", "Federate", "Logout",
    "UserAuthentication", "CredentialVerification",
];

/// Writes that services and runtimes make as they run, not changes anyone made.
#[rustfmt::skip]
const RUNTIME_EVENTS: [&str; 7] = [
    "CreateLogStream", "PutLogEvents", "PutMetricData", "PutTraceSegments", "PutTelemetryRecords", "StartQuery",
    "StopQuery",
];

fn noise_reason(record: &Value, name: &str, service: &str) -> Option<Noise> {
    let read_only = match record.get("readOnly") {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(flag)) => flag.eq_ignore_ascii_case("true"),
        _ => false,
    };
    if SESSION_EVENTS.contains(&name)
        || text_at(record, "eventType") == "AwsConsoleSignIn"
        || matches!(service, "signin" | "sts" | "sso")
    {
        return Some(Noise::Session);
    }
    if read_only || READ_VERBS.iter().any(|verb| starts_with_word(name, verb)) {
        return Some(Noise::ReadOnly);
    }
    RUNTIME_EVENTS.contains(&name).then_some(Noise::Runtime)
}

/// `name` starts with `word` followed by a new camelCase word (`GetItem` yes, `Getaway` no).
fn starts_with_word(name: &str, word: &str) -> bool {
    name.strip_prefix(word).is_some_and(|rest| rest.chars().next().is_none_or(|c| c.is_uppercase()))
}

/// Whether a numeric parameter went down or up, compared with what the response says it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Down,
    Up,
    Unknown,
}

/// Scalar leaves of a JSON value, by dotted path (`provisionedThroughput.writeCapacityUnits`).
fn leaves(value: &Value) -> Vec<(String, Value)> {
    fn walk(value: &Value, path: &str, out: &mut Vec<(String, Value)>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let child_path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    walk(child, &child_path, out);
                }
            }
            Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
                if !items.is_empty() {
                    out.push((path.to_string(), value.clone()));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{path}[{i}]"), out);
                }
            }
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            scalar => out.push((path.to_string(), scalar.clone())),
        }
    }
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out
}

/// The value the response reports for a requested numeric parameter, when it differs: services that answer while
/// the change is still applying (DynamoDB `UpdateTable`) report the previous value.
fn previous_value(path: &str, requested: &Value, response: &[(String, Value)]) -> Option<f64> {
    let requested = requested.as_f64()?;
    let suffix = format!(".{path}");
    response
        .iter()
        .find(|(p, _)| p == path || p.ends_with(&suffix))
        .and_then(|(_, v)| v.as_f64())
        .filter(|before| (before - requested).abs() > f64::EPSILON)
}

/// Words of parameter names that mean "how much": capacity, concurrency, counts, sizes, throttles.
#[rustfmt::skip]
const CAPACITY_WORDS: [&str; 16] = [
    "capacity", "concurren", "throttl", "desiredcount", "minsize", "maxsize", "shardcount", "instancetype",
    "instanceclass", "nodetype", "instancecount", "allocatedstorage", "iops", "billingmode", "burstlimit", "ratelimit",
];

fn is_capacity_key(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    CAPACITY_WORDS.iter().any(|w| lower.contains(w))
}

fn direction_of(request: &[(String, Value)], response: &[(String, Value)]) -> Direction {
    let mut direction = Direction::Unknown;
    for (path, value) in request.iter().filter(|(p, _)| is_capacity_key(p)) {
        // Zero of something (reserved concurrency, desired count, max size) shuts it off; a minimum of zero does not.
        if value.as_f64() == Some(0.0) && !path.to_ascii_lowercase().contains("min") {
            return Direction::Down;
        }
        match previous_value(path, value, response) {
            Some(before) if value.as_f64().is_some_and(|now| now < before) => return Direction::Down,
            Some(_) => direction = Direction::Up,
            None => {}
        }
    }
    direction
}

/// Verbs of changes that take something away or stop it: the ones that break callers.
#[rustfmt::skip]
const REMOVING_VERBS: [&str; 16] = [
    "delete", "detach", "remove", "revoke", "disable", "deregister", "disassociate", "stop", "terminate", "retire",
    "schedule", "decrease", "suspend", "purge", "cancel", "reject",
];
/// Verbs of changes that add something, which rarely breaks what already works.
const ADDING_VERBS: [&str; 9] =
    ["attach", "add", "authorize", "create", "associate", "register", "enable", "accept", "request"];
/// Verbs of any other change of state; `put` and `replace` overwrite what was there.
const CHANGING_VERBS: [&str; 11] =
    ["update", "modify", "set", "change", "restore", "reset", "import", "apply", "rollback", "put", "replace"];
/// Verbs of operations on running things (restart, failover, run a command).
const OPERATING_VERBS: [&str; 8] = ["reboot", "failover", "restart", "start", "send", "invoke", "run", "execute"];

/// Calls that put new code or a new definition in front of traffic.
#[rustfmt::skip]
const DEPLOYMENT_EVENTS: [&str; 14] = [
    "UpdateFunctionCode", "PublishVersion", "CreateDeployment", "ExecuteChangeSet", "UpdateStack",
    "UpdateStateMachine", "UpdateStateMachineAlias", "PublishStateMachineVersion", "StartDeployment",
    "CreateContainerServiceDeployment", "UpdateEnvironment", "PublishFunction", "UpdateStackSet",
    "UpdateStackInstances",
];
/// Calls that run a one-off job (an ECS task, a build, a Glue job, a function): a deployment when the job migrates
/// a database's schema.
pub const JOB_RUN_EVENTS: [&str; 4] = ["RunTask", "StartBuild", "StartJobRun", "Invoke"];
/// Words that name a database schema migration (a task, build or job that runs one).
const SCHEMA_MIGRATION_WORDS: [&str; 5] = ["migrat", "flyway", "liquibase", "alembic", "schema"];
/// Calls that prepare a deployment without (necessarily) shifting traffic.
#[rustfmt::skip]
const STAGING_EVENTS: [&str; 8] = [
    "RegisterTaskDefinition", "CreateStack", "PublishLayerVersion", "PutImage", "CreateAlias",
    "CreateApplicationVersion", "StartPipelineExecution", "CreateChangeSet",
];
/// Calls that change how much of something there is.
#[rustfmt::skip]
const CAPACITY_EVENTS: [&str; 27] = [
    "PutFunctionConcurrency", "DeleteFunctionConcurrency", "PutProvisionedConcurrencyConfig",
    "DeleteProvisionedConcurrencyConfig", "UpdateAutoScalingGroup", "SetDesiredCapacity", "PutScalingPolicy",
    "DeleteScalingPolicy", "RegisterScalableTarget", "DeregisterScalableTarget", "PutScheduledAction",
    "DeleteScheduledAction", "PutScheduledUpdateGroupAction", "UpdateShardCount", "StopInstances",
    "TerminateInstances", "StopDBInstance", "StopDBCluster", "DetachInstances", "EnterStandby", "SuspendProcesses",
    "IncreaseReplicaCount", "DecreaseReplicaCount", "UpdateUsagePlan", "RequestServiceQuotaIncrease",
    "DeregisterTargets", "PutFunctionEventInvokeConfig",
];
/// Parts of event names that handle credentials, keys and certificates.
#[rustfmt::skip]
const CREDENTIAL_NAME_PARTS: [&str; 10] = [
    "accesskey", "loginprofile", "password", "servercertificate", "signingcertificate", "sshpublickey",
    "servicespecificcredential", "mfadevice", "apikey", "secret",
];
/// Parts of request parameter names that carry a secret.
const SECRET_PARAMETER_PARTS: [&str; 4] = ["password", "secretstring", "secretbinary", "clientsecret"];
/// Policies that are not about access.
const NON_ACCESS_POLICY_WORDS: [&str; 5] = ["scaling", "lifecycle", "retention", "replication", "backup"];
/// Services whose every change is a network change.
/// Load balancers are not among them: only their routing and subnets are (see `Call::network`).
const NETWORK_SERVICES: [&str; 5] =
    ["route53", "route53resolver", "directconnect", "globalaccelerator", "network-firewall"];
/// Parts of EC2 event names that change routing or connectivity.
#[rustfmt::skip]
const NETWORK_NAME_PARTS: [&str; 16] = [
    "route", "networkacl", "vpcendpoint", "natgateway", "internetgateway", "transitgateway", "vpcpeering", "subnet",
    "vpc", "vpn", "dhcpoptions", "networkinterface", "prefixlist", "resourcerecordset", "hostedzone", "address",
];
/// Calls that put a batch of work on the system at once: an SQS dead-letter queue redriven to its source, an
/// EventBridge archive replayed.
const LOAD_EVENTS: [&str; 2] = ["StartMessageMoveTask", "StartReplay"];
/// Services whose changes are about observing the system (alarms, log retention, trails), not running it.
const OBSERVABILITY_SERVICES: [&str; 5] = ["monitoring", "logs", "xray", "cloudtrail", "config"];

/// What `classify` looks at in one call.
struct Call<'a> {
    service: &'a str,
    name: &'a str,
    /// `name` lowercased (`putrolepolicy`).
    compact: String,
    /// `name` as camelCase words (`put`, `role`, `policy`).
    words: Vec<String>,
    request: &'a [(String, Value)],
    direction: Direction,
}

impl Call<'_> {
    fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }

    fn verb(&self) -> &str {
        self.words.first().map_or("", String::as_str)
    }

    fn key_contains(&self, part: &str) -> bool {
        self.request.iter().any(|(path, _)| path.to_ascii_lowercase().contains(part))
    }

    /// An API Gateway-style patch that touches `what` (`/deploymentId`, `/*/*/throttling/rateLimit`).
    fn patches(&self, what: &str) -> bool {
        self.request.iter().any(|(p, v)| p.contains("patchOperations") && v.as_str().is_some_and(|s| s.contains(what)))
    }

    /// Strength of a change that can add or take away: taking away (or replacing wholesale) breaks callers.
    fn removing_or_adding(&self, removing: f64, adding: f64) -> f64 {
        if ADDING_VERBS.contains(&self.verb()) { adding } else { removing }
    }

    fn metadata_only(&self) -> Option<(ChangeKind, f64)> {
        let tagging = ["tag", "tags", "tagging", "untag", "description"].iter().any(|w| self.has(w));
        let observing = OBSERVABILITY_SERVICES.contains(&self.service)
            || self.has("logging")
            || self.has("monitoring")
            || self.has("flow") && self.has("logs");
        match (tagging, observing) {
            (true, _) => Some((ChangeKind::Other, 0.1)),
            (_, true) => Some((ChangeKind::Other, 0.15)),
            _ => None,
        }
    }

    fn deployment(&self) -> Option<(ChangeKind, f64)> {
        // An ECS UpdateService with a new task definition is a deploy even if it also scales.
        // Restarting a service's tasks on the same task definition runs the same code; the tasks pick up what
        // changed before (a parameter, a secret, a mutable image tag), which is where the trouble comes from.
        let forced = self.request.iter().any(|(p, v)| p == "forceNewDeployment" && v.as_bool() == Some(true));
        if self.name == "UpdateService" && forced && !self.key_contains("taskdefinition") {
            return Some((ChangeKind::Other, 0.5));
        }
        // AppConfig deploys a configuration, not code.
        if self.service == "appconfig" && self.name == "StartDeployment" {
            return Some((ChangeKind::Configuration, 1.0));
        }
        let new_task = self.name == "UpdateService" && self.key_contains("taskdefinition");
        if new_task
            || DEPLOYMENT_EVENTS.contains(&self.name)
            || self.name == "UpdateAlias" && self.service == "lambda"
            || self.patches("deploymentId")
        {
            return Some((ChangeKind::Deployment, 1.0));
        }
        // A job run that migrates a database's schema (an ECS task, a build, a function named for it) deploys the
        // schema: tables rewritten, columns renamed, locks held while it runs.
        let run = JOB_RUN_EVENTS.contains(&self.name);
        let migrates = |value: &Value| {
            value.as_str().is_some_and(|text| {
                let text = text.to_ascii_lowercase();
                SCHEMA_MIGRATION_WORDS.iter().any(|word| text.contains(word))
            })
        };
        if run && self.request.iter().any(|(_, value)| migrates(value)) {
            return Some((ChangeKind::Deployment, 0.9));
        }
        // Images deleted from a repository, by hand or by a lifecycle policy expiring them, are gone for the next
        // task that pulls them: the deployed artifact changed.
        if self.service == "ecr" && matches!(self.name, "BatchDeleteImage" | "PolicyExecutionEvent") {
            return Some((ChangeKind::Deployment, 0.9));
        }
        STAGING_EVENTS.contains(&self.name).then_some((ChangeKind::Deployment, 0.45))
    }

    fn credential(&self) -> bool {
        let secure_parameter =
            self.name == "PutParameter" && self.request.iter().any(|(p, v)| p == "type" && v == "SecureString");
        matches!(self.service, "secretsmanager" | "acm" | "acm-pca")
            || CREDENTIAL_NAME_PARTS.iter().any(|part| self.compact.contains(part))
            || self.service == "kms" && !self.has("policy") && !self.has("grant") && !self.key_state_change()
            || secure_parameter
            || SECRET_PARAMETER_PARTS.iter().any(|part| self.key_contains(part))
    }

    fn permission(&self) -> bool {
        let access_policy = self.has("policy") && !NON_ACCESS_POLICY_WORDS.iter().any(|w| self.has(w));
        // A policy set as an attribute, or as the document of what is modified (a VPC endpoint's policy).
        let policy_attribute = self.request.iter().any(|(p, v)| {
            p.ends_with("attributes.Policy")
                || p == "attributeName" && v == "Policy"
                || p.rsplit('.').next().is_some_and(|key| key.eq_ignore_ascii_case("policyDocument"))
        });
        let security_group_rule = self.compact.contains("securitygroup")
            && (matches!(self.verb(), "authorize" | "revoke") || self.has("rules"));
        self.service == "iam" && !self.credential()
            || access_policy
            || policy_attribute
            || security_group_rule
            || ["permission", "permissions", "grant", "authorizer"].iter().any(|w| self.has(w))
            || self.has("acl") && !self.has("network")
            || self.compact.contains("publicaccessblock")
            || self.key_state_change()
    }

    /// Disabling a KMS key or scheduling its deletion (or undoing either) decides who can use the data it
    /// encrypts: an access change, unlike rotating the key material.
    fn key_state_change(&self) -> bool {
        self.service == "kms"
            && matches!(self.name, "DisableKey" | "EnableKey" | "ScheduleKeyDeletion" | "CancelKeyDeletion")
    }

    fn capacity(&self) -> Option<(ChangeKind, f64)> {
        let sized = CAPACITY_EVENTS.contains(&self.name)
            || self.request.iter().any(|(p, _)| is_capacity_key(p))
            || self.patches("throttling");
        if !sized {
            return None;
        }
        let strength = match self.direction {
            Direction::Down => 1.0,
            Direction::Up => 0.45,
            // Reserving concurrency caps a function; the other unknowns could go either way.
            Direction::Unknown if REMOVING_VERBS.contains(&self.verb()) || self.name == "PutFunctionConcurrency" => 1.0,
            Direction::Unknown => 0.85,
        };
        Some((ChangeKind::Capacity, strength))
    }

    fn network(&self) -> bool {
        NETWORK_SERVICES.contains(&self.service)
            || self.service == "ec2" && NETWORK_NAME_PARTS.iter().any(|part| self.compact.contains(part))
            // A load balancer's routing (its listeners and their rules) or its subnets; its health checks,
            // timeouts and attributes are its configuration.
            || self.service == "elasticloadbalancing"
                && ["listener", "rule", "rules", "priorities", "subnets"].iter().any(|w| self.has(w))
            || self.request.iter().any(|(p, _)| {
                let key = p.to_ascii_lowercase();
                key.starts_with("vpcconfig") || key.contains("subnetid") || key.contains("securitygroupid")
            })
    }

    /// A modification whose every setting is about backups, snapshots or the maintenance window
    /// (`snapshotWindow`, `backupRetentionPeriod`, `preferredMaintenanceWindow`).
    fn housekeeping(&self) -> bool {
        let settings: Vec<String> = self
            .request
            .iter()
            .map(|(path, _)| path.split(['.', '[']).next().unwrap_or(path))
            .filter(|key| !TARGET_KEYS.contains(key) && !key.eq_ignore_ascii_case("applyImmediately"))
            .map(str::to_ascii_lowercase)
            .collect();
        !settings.is_empty()
            && settings.iter().all(|key| ["snapshot", "backup", "maintenance"].iter().any(|w| key.contains(w)))
    }

    fn configuration_or_other(&self) -> (ChangeKind, f64) {
        let verb = self.verb();
        // Failing a database over, or rebooting it, drops every connection to it: a change to how it serves.
        if matches!(verb, "failover" | "reboot") {
            return (ChangeKind::Configuration, 0.8);
        }
        // Taking a snapshot or a backup copies data, and invalidating a CDN's cache empties it; neither changes a
        // setting. Moving when backups or maintenance happen changes none that serves traffic either.
        if OPERATING_VERBS.contains(&verb)
            || ["snapshot", "backup", "backups", "invalidation"].iter().any(|w| self.has(w))
            || self.housekeeping()
        {
            (ChangeKind::Other, 0.5)
        } else if REMOVING_VERBS.contains(&verb) {
            (ChangeKind::Configuration, 0.9)
        } else if ADDING_VERBS.contains(&verb) {
            (ChangeKind::Configuration, 0.45)
        } else if CHANGING_VERBS.contains(&verb) {
            (ChangeKind::Configuration, 0.8)
        } else {
            (ChangeKind::Other, 0.3)
        }
    }
}

/// The kind of a write and how strongly such a change tends to cause incidents (0..=1).
fn classify(service: &str, name: &str, request: &[(String, Value)], direction: Direction) -> (ChangeKind, f64) {
    let call = Call { service, name, compact: name.to_ascii_lowercase(), words: split_words(name), request, direction };
    if let Some(judged) = call.metadata_only().or_else(|| call.deployment()) {
        return judged;
    }
    if LOAD_EVENTS.contains(&name) {
        return (ChangeKind::Load, 0.9);
    }
    if service == "fis" && name == "StartExperiment" {
        return (ChangeKind::Experiment, 0.9);
    }
    // Order matters: a KMS key policy is about access, a rotated secret is a credential, a resized table capacity.
    if call.permission() {
        // A new policy version becomes the default: it replaces the policy, like a Put.
        let replaces = name.starts_with("CreatePolicyVersion");
        return (ChangeKind::Permission, if replaces { 1.0 } else { call.removing_or_adding(1.0, 0.6) });
    }
    if call.credential() {
        return (ChangeKind::Credential, call.removing_or_adding(0.95, 0.5));
    }
    if let Some(judged) = call.capacity() {
        return judged;
    }
    if call.network() {
        return (ChangeKind::Network, call.removing_or_adding(1.0, 0.6));
    }
    call.configuration_or_other()
}

/// A configuration change that only turns logging up or down (a `log-level` parameter, a `logConfig`).
fn about_logging(target: &str, request: &[(String, Value)]) -> bool {
    let logging_word =
        |w: &String| matches!(w.as_str(), "log" | "logs" | "logging" | "loglevel" | "verbose" | "verbosity" | "debug");
    split_words(target).iter().any(logging_word)
        || request.iter().any(|(path, _)| split_words(path).iter().any(logging_word))
}

/// RDS and ElastiCache modifications asked not to apply immediately wait for the maintenance window.
fn deferred(request: &[(String, Value)]) -> bool {
    request.iter().any(|(path, value)| path.eq_ignore_ascii_case("applyImmediately") && value.as_bool() == Some(false))
}

/// The name of the resource a call changed, from its request parameters, else the `resources` it lists. A resource
/// the request names only by an id (an event source mapping's UUID, a usage plan's or AppConfig profile's id) goes
/// by the name its response gives (the function the mapping feeds, the plan's or profile's name).
fn target_of(record: &Value, params: &Value, request: &[(String, Value)]) -> String {
    const RESPONSE_NAMES: [&str; 5] = ["functionArn", "functionName", "name", "configurationName", "applicationName"];
    let requested = requested_target(record, params);
    let given_as_id = request.iter().any(|(path, value)| {
        let key = path.rsplit('.').next().unwrap_or(path);
        (key.ends_with("Id") || key.ends_with("ID") || key == "uUID") && value.as_str() == Some(requested.as_str())
    });
    if !given_as_id && !is_uuid_like(&requested) {
        return requested;
    }
    let response = record.get("responseElements").and_then(Value::as_object);
    // Services spell their fields `configurationName` or `ConfigurationName`.
    let field = |key: &str| {
        response?.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)).and_then(|(_, value)| value.as_str())
    };
    RESPONSE_NAMES
        .iter()
        .find_map(|key| field(key))
        .map(resource_name)
        .filter(|name| !name.is_empty() && !is_uuid_like(name))
        .unwrap_or(requested)
}

/// A UUID or a bare hex id (`220d0d60-e7c6-…`, a KMS key id): a name nobody would recognise.
fn is_uuid_like(name: &str) -> bool {
    name.chars().all(|c| c.is_ascii_hexdigit() || c == '-') && name.chars().filter(char::is_ascii_hexdigit).count() >= 8
}

fn requested_target(record: &Value, params: &Value) -> String {
    let given = |v: &&str| !v.is_empty() && !left_at_default(v);
    let from_keys = TARGET_KEYS.iter().find_map(|key| params.get(*key).and_then(Value::as_str).filter(given));
    let found = from_keys
        .map(str::to_string)
        .or_else(|| nested_name(params))
        .or_else(|| {
            let resources = record.get("resources").and_then(Value::as_array)?;
            resources
                .iter()
                .find_map(|r| r.get("ARN").or_else(|| r.get("arn")).and_then(Value::as_str))
                .map(str::to_string)
        })
        .or_else(|| {
            let response = record.get("responseElements")?;
            TARGET_KEYS.iter().find_map(|key| response.get(*key).and_then(Value::as_str)).map(str::to_string)
        });
    found.map_or_else(
        || text_at(record, "eventSource").split('.').next().unwrap_or("").to_string(),
        |v| resource_name(&v),
    )
}

/// A part left at its default (a proxy's `targetGroupName: default`, a schedule's `groupName: default`) is no name
/// anyone gave.
fn left_at_default(value: &str) -> bool {
    value == "default"
}

/// A name or id deeper in the request (`changeBatch.changes[0].resourceRecordSet.name`, `resourcesSet.items[0]
/// .resourceId`): names before ids.
fn nested_name(params: &Value) -> Option<String> {
    let all = leaves(params);
    let last_key = |path: &str| path.rsplit('.').next().unwrap_or(path).split('[').next().unwrap_or("").to_string();
    let pick = |wanted: &dyn Fn(&str, &str) -> bool| {
        all.iter().find_map(|(p, v)| v.as_str().filter(|v| wanted(&last_key(p), v))).map(str::to_string)
    };
    let named = |k: &str| k == "name" || k.ends_with("Name");
    pick(&|k, v| named(k) && !left_at_default(v))
        .or_else(|| pick(&|k, _| named(k)))
        .or_else(|| pick(&|k, _| ["Id", "Arn", "Identifier", "Url"].iter().any(|s| k.ends_with(s))))
}

/// A resource's name from an ARN, a queue URL, a qualified function name or a plain name.
pub(crate) fn resource_name(value: &str) -> String {
    let value = value.trim().trim_end_matches('.');
    if let Some(rest) = value.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let (service, resource) = match parts.as_slice() {
            [_, service, _, _, resource] => (*service, *resource),
            _ => return value.to_string(),
        };
        return name_in_arn_resource(service, resource);
    }
    if value.starts_with("https://") || value.starts_with("http://") {
        return value.trim_end_matches('/').rsplit('/').next().unwrap_or(value).to_string();
    }
    // A Lambda function named with its qualifier or account (`orders:live`, `123456789012:function:orders`).
    let parts: Vec<&str> = value.split(':').collect();
    match parts.iter().position(|p| *p == "function") {
        Some(at) if at + 1 < parts.len() => parts[at + 1].to_string(),
        _ if parts.len() == 2 && !value.starts_with('/') => parts[0].to_string(),
        _ => value.to_string(),
    }
}

fn name_in_arn_resource(service: &str, resource: &str) -> String {
    // `function:orders:live`, `secret:db-AbCdEf`, `stateMachine:flow`: type, name, qualifier.
    if let Some((kind, rest)) = resource.split_once(':')
        && !kind.contains('/')
    {
        // An SNS subscription (`topic:uuid`) is known by its topic.
        let name = if service == "sns" { kind } else { rest.split(':').next().unwrap_or(rest) };
        if service == "secretsmanager" {
            // Secrets Manager appends "-" and six random characters to the secret's name.
            if let Some((base, suffix)) = name.rsplit_once('-')
                && suffix.len() == 6
            {
                return base.to_string();
            }
        }
        return name.to_string();
    }
    let segments: Vec<&str> = resource.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [] => resource.to_string(),
        [only] => (*only).to_string(),
        [_, name, ..] if matches!(service, "dynamodb" | "kinesis" | "s3") => (*name).to_string(),
        [_, rest @ ..] => {
            // IAM paths and ECS cluster/service put the name last; ELB ARNs end with an id.
            let named: Vec<&&str> =
                rest.iter().filter(|s| !is_uuid_like(s) && (!name_tokens(s).is_empty() || s.len() < 8)).collect();
            named.last().map_or_else(|| rest[rest.len() - 1].to_string(), |s| (**s).to_string())
        }
    }
}

/// Who made the call: the person for SSO sessions, else role/session, user, or service.
fn actor_of(record: &Value) -> String {
    let Some(identity) = record.get("userIdentity") else { return "unknown".into() };
    // A rule or schedule of EventBridge started it (a nightly job's RunTask): the scheduler acted, not a person.
    let invoked_by = text_at(identity, "invokedBy");
    if matches!(invoked_by, "events.amazonaws.com" | "scheduler.amazonaws.com") {
        return invoked_by.to_string();
    }
    let arn = text_at(identity, "arn");
    match text_at(identity, "type") {
        "AssumedRole" => {
            let mut parts = arn.rsplit('/');
            let session = parts.next().unwrap_or("");
            let role = parts.next().unwrap_or("");
            if role.starts_with("AWSReservedSSO_") || role.is_empty() {
                session.to_string()
            } else {
                format!("{role}/{session}")
            }
        }
        "IAMUser" => text_at(identity, "userName").to_string(),
        "Root" => "root".into(),
        "AWSService" => text_at(identity, "invokedBy").to_string(),
        _ if !arn.is_empty() => arn.rsplit('/').next().unwrap_or(arn).to_string(),
        // AWS acting on its own schedule (a lifecycle policy expiring images) names no principal.
        _ => [text_at(identity, "principalId"), text_at(identity, "invokedBy")]
            .into_iter()
            .find(|name| !name.is_empty())
            .unwrap_or_default()
            .to_string(),
    }
}

/// The request parameters worth reading, as `key=value` pairs: policy documents summarized, previous values noted,
/// secrets masked, transport noise dropped.
fn describe_parameters(request: &[(String, Value)], response: &[(String, Value)]) -> String {
    let mut pairs = Vec::new();
    for (path, value) in request {
        let key = path.rsplit('.').next().unwrap_or(path).to_ascii_lowercase();
        if matches!(key.as_str(), "host" | "xmlns" | "dryrun" | "codesha256" | "revisionid") {
            continue;
        }
        let shown = if ["password", "secret", "token", "credential", "privatekey"].iter().any(|w| key.contains(w)) {
            "***".to_string()
        } else if let Some(policy) = value.as_str().and_then(policy_summary) {
            policy
        } else {
            match value {
                Value::String(s) => clip(&s.split_whitespace().collect::<Vec<_>>().join(" "), 100),
                Value::Array(items) => {
                    let items: Vec<String> =
                        items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string)).collect();
                    clip(&format!("[{}]", items.join(",")), 100)
                }
                other => other.to_string(),
            }
        };
        let mut pair = format!("{path}={shown}");
        if let Some(before) = previous_value(path, value, response) {
            let _ = write!(pair, " (was {before})");
        }
        pairs.push(pair);
    }
    pairs.join(" ")
}

/// "Allow dynamodb:GetItem,dynamodb:Query on 2 resources" for an IAM-style policy document in a string.
fn policy_summary(text: &str) -> Option<String> {
    let document: Value = serde_json::from_str(text.trim()).ok()?;
    let statements = match document.get("Statement")? {
        Value::Array(items) => items.clone(),
        single => vec![single.clone()],
    };
    let list = |value: Option<&Value>| -> Vec<String> {
        match value {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        }
    };
    let described: Vec<String> = statements
        .iter()
        .map(|statement| {
            let effect = text_at(statement, "Effect");
            let actions = list(statement.get("Action"));
            let not_actions = list(statement.get("NotAction"));
            let resources = list(statement.get("Resource")).len();
            let what =
                if actions.is_empty() { format!("all but {}", not_actions.join(",")) } else { actions.join(",") };
            format!("{effect} {what} on {resources} resource{}", if resources == 1 { "" } else { "s" })
        })
        .collect();
    Some(format!("{{{}}}", described.join("; ")))
}

/// How related a resource name is to the resources in play, 0..=1: the same name, a name that contains one, or a
/// weighted share of distinctive words (`orders-api-role` ~ `orders-api`; `api` and `role` say little).
struct Relation {
    resources: Vec<(String, Vec<String>)>,
    weights: HashMap<String, f64>,
}

impl Relation {
    fn new(frame: &AnalysisFrame, changes: &[Change]) -> Relation {
        let resources: Vec<(String, Vec<String>)> =
            frame.resources.iter().map(|r| (r.clone(), name_tokens(r))).collect();
        let mut names: Vec<Vec<String>> = resources.iter().map(|(_, tokens)| tokens.clone()).collect();
        let mut targets: Vec<&str> = changes.iter().map(|c| c.target.as_str()).collect();
        targets.sort_unstable();
        targets.dedup();
        names.extend(targets.iter().map(|t| name_tokens(t)));
        let mut frequency: HashMap<&str, usize> = HashMap::new();
        for tokens in &names {
            for token in tokens {
                *frequency.entry(token.as_str()).or_default() += 1;
            }
        }
        let total = names.len().max(1) as f64;
        let weights = frequency
            .into_iter()
            .map(|(token, df)| {
                let generic = if GENERIC_NAME_WORDS.iter().any(|w| stem(w) == token) { 0.25 } else { 1.0 };
                (token.to_string(), generic * (1.0 + total / df as f64).ln())
            })
            .collect();
        Relation { resources, weights }
    }

    /// The best relation to any resource in play, discounted slightly for resources further down the frame's list
    /// (the alarm's and the operator's own resources come first). `None` when nothing is known to be in play.
    fn to_frame(&self, target: &str) -> Option<f64> {
        if self.resources.is_empty() {
            return None;
        }
        let tokens = name_tokens(target);
        let best = self
            .resources
            .iter()
            .enumerate()
            .map(|(position, (resource, resource_tokens))| {
                let similarity = if resource.eq_ignore_ascii_case(target) {
                    1.0
                } else if mention_count(target, resource) > 0 || mention_count(resource, target) > 0 {
                    0.85
                } else {
                    self.shared_weight(&tokens, resource_tokens)
                };
                similarity * (1.0 - 0.04 * position as f64).max(0.7)
            })
            .fold(0.0, f64::max);
        Some(best)
    }

    fn shared_weight(&self, a: &[String], b: &[String]) -> f64 {
        let weight = |t: &String| self.weights.get(t).copied().unwrap_or(1.0);
        let shared: f64 = a.iter().filter(|t| b.contains(t)).map(weight).sum();
        let union: f64 =
            a.iter().map(weight).sum::<f64>() + b.iter().filter(|t| !a.contains(t)).map(weight).sum::<f64>();
        if union == 0.0 { 0.0 } else { shared / union }
    }
}

fn score(change: &Change, frame: &AnalysisFrame, relation: &Relation) -> f64 {
    let minutes_before = (frame.noticed_at - change.time).num_seconds() as f64 / 60.0;
    let timing = if minutes_before < 0.0 {
        AFTER_NOTICED_FACTOR
    } else {
        (-(minutes_before - PROXIMITY_MINUTES).max(0.0) / TIME_DECAY_MINUTES).exp().max(0.05)
    };
    let floor = if change.kind == ChangeKind::Network { UNRELATED_NETWORK_FACTOR } else { UNRELATED_FACTOR };
    // A change whose target AWS then refused to serve is as related to the trouble as a change can be.
    let related = if change.refused.is_some() {
        1.0
    } else {
        relation.to_frame(&change.target).map_or(0.6, |r| floor + (1.0 - floor) * r)
    };
    let failed = if change.failed.is_some() { FAILED_CALL_FACTOR } else { 1.0 };
    (change.strength * timing * related * failed).clamp(0.0, 1.0)
}

/// Changes that belong together (see `GROUP_GAP_MINUTES`), strongest first.
struct ChangeGroup {
    members: Vec<Change>,
}

fn group(changes: Vec<Change>) -> Vec<ChangeGroup> {
    let mut groups: Vec<ChangeGroup> = Vec::new();
    for change in changes {
        let open = groups.iter_mut().rev().find(|g| {
            let last = &g.members[g.members.len() - 1];
            last.kind == change.kind
                && last.actor == change.actor
                && last.target.eq_ignore_ascii_case(&change.target)
                && last.failed.is_none() == change.failed.is_none()
                && (change.time - last.time).num_minutes() <= GROUP_GAP_MINUTES
        });
        match open {
            Some(group) => group.members.push(change),
            None => groups.push(ChangeGroup { members: vec![change] }),
        }
    }
    groups.sort_by(|a, b| b.score().total_cmp(&a.score()).then(b.last().time.cmp(&a.last().time)));
    groups
}

impl ChangeGroup {
    fn last(&self) -> &Change {
        &self.members[self.members.len() - 1]
    }

    /// The member that stands for the group: the strongest, the latest among equals.
    fn representative(&self) -> &Change {
        self.members.iter().max_by(|a, b| a.score.total_cmp(&b.score)).unwrap_or(self.last())
    }

    fn score(&self) -> f64 {
        self.members.iter().map(|c| c.score).fold(0.0, f64::max)
    }

    fn names(&self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for change in &self.members {
            if !names.contains(&change.name.as_str()) {
                names.push(&change.name);
            }
        }
        names.join(", ")
    }

    fn when(&self, noticed_at: DateTime<Utc>) -> String {
        let minutes = (noticed_at - self.last().time).num_minutes();
        match minutes {
            m if m > 0 => format!("{m} min before the problem was noticed"),
            0 => "as the problem was noticed".to_string(),
            m => format!("{} min after the problem was noticed", -m),
        }
    }

    fn line(&self, noticed_at: DateTime<Utc>) -> String {
        let lead = self.representative();
        let failed = lead.failed.as_ref().map(|code| format!(" FAILED {code}")).unwrap_or_default();
        format!(
            "{:.2} {} {} {} by {}: {}{failed} ({}) | {} [{}]",
            self.score(),
            format_time(&self.last().time),
            lead.kind.as_str(),
            lead.target,
            lead.actor,
            self.names(),
            self.when(noticed_at),
            clip(&lead.excerpt, 160),
            lead.event_id
        )
    }

    fn finding(&self, noticed_at: DateTime<Utc>) -> Finding {
        let lead = self.representative();
        let failed = lead.failed.as_ref().map(|code| format!(" (failed: {code})")).unwrap_or_default();
        let mut excerpt =
            self.members.iter().map(|c| format!("{} {}", format_time(&c.time), c.excerpt)).collect::<Vec<_>>();
        let refused = self.members.iter().find_map(|c| c.refused.as_ref());
        if let Some(refused) = refused {
            excerpt.push(format!(
                "then {} calls to {} were refused with {} (first {}), none in the {REFUSAL_MINUTES} min before",
                refused.count,
                lead.target,
                refused.code,
                format_time(&refused.first)
            ));
        }
        let mut attrs: BTreeMap<String, String> = [
            (attr::EVENT_NAME, lead.name.clone()),
            (attr::EVENT_SOURCE, lead.source.clone()),
            (attr::ACTOR, lead.actor.clone()),
            (attr::CHANGE_KIND, lead.kind.as_str().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if let Some(refused) = refused {
            attrs.insert(attr::REFUSED_AT.to_string(), format_time(&refused.first));
        }
        let mut hosts: Vec<&str> = self.members.iter().flat_map(|c| c.hosts.iter().map(String::as_str)).collect();
        hosts.sort_unstable();
        hosts.dedup();
        if !hosts.is_empty() {
            attrs.insert(attr::HOSTS.to_string(), hosts.join(","));
        }
        Finding {
            source: EvidenceSource::Audit,
            kind: FindingKind::Change,
            component: lead.target.clone(),
            time: Some(self.last().time),
            score: self.score(),
            summary: format!(
                "{} change to {} by {}: {}{failed}, {}",
                lead.kind.as_str(),
                lead.target,
                lead.actor,
                self.names(),
                self.when(noticed_at)
            ),
            excerpt: excerpt.join("\n"),
            reference: lead.event_id.clone(),
            attrs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Window;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, minute, 0).unwrap()
    }

    fn frame(resources: &[&str]) -> AnalysisFrame {
        AnalysisFrame {
            window: Window { start: at(0), end: at(59) },
            noticed_at: at(40),
            resources: resources.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn event(minute: u32, source: &str, name: &str, actor: &str, params: Value) -> Value {
        json!({
            "eventTime": format_time(&at(minute)), "eventSource": format!("{source}.amazonaws.com"), "eventName": name,
            "eventID": format!("{name}-{minute}"), "readOnly": false, "requestParameters": params,
            "userIdentity": {"type": "AssumedRole", "arn": format!("arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_1/{actor}")},
        })
    }

    fn check(records: &[Value], resources: &[&str]) -> Digest {
        digest(records, &frame(resources), "runs/r/audit.json")
    }

    #[test]
    fn reads_refused_after_a_change_to_their_target_are_its_effect() {
        let key = |id: &str| format!("arn:aws:kms:r:1:key/{id}");
        let decrypt = |minute: u32, id: &str, refused: bool| {
            let mut read = event(minute, "kms", "Decrypt", "fn", json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}));
            read["readOnly"] = json!(true);
            read["eventID"] = json!(format!("decrypt-{id}-{minute}"));
            read["resources"] = json!([{"ARN": key(id), "type": "AWS::KMS::Key"}]);
            if refused {
                read["errorCode"] = json!("DisabledException");
            }
            read
        };
        let disable = |minute: u32, id: &str| event(minute, "kms", "DisableKey", "ops", json!({"keyId": id}));
        let records = [
            decrypt(20, "1b2c3d4e-used", false),
            disable(30, "9f8e7d6c-unused"),
            disable(32, "1b2c3d4e-used"),
            decrypt(33, "1b2c3d4e-used", true),
            decrypt(35, "1b2c3d4e-used", true),
        ];
        let digest = check(&records, &[]);
        let refused_at = |id: &str| {
            let finding = digest.findings.iter().find(|f| f.component == id).expect("a finding per key");
            finding.attr(attr::REFUSED_AT).to_string()
        };
        assert_eq!(refused_at("1b2c3d4e-used"), format_time(&at(33)));
        assert_eq!(refused_at("9f8e7d6c-unused"), "");
        // Refused as often before the change, the refusals are not its doing.
        let digest = check(
            &[decrypt(25, "1b2c3d4e-used", true), disable(32, "1b2c3d4e-used"), decrypt(33, "1b2c3d4e-used", true)],
            &[],
        );
        assert_eq!(digest.findings[0].attr(attr::REFUSED_AT), "");
    }

    #[test]
    fn noise_is_filtered_and_counted() {
        let mut read = event(10, "dynamodb", "DescribeTable", "ci", json!({"tableName": "t"}));
        read["readOnly"] = json!(true);
        let records = [
            read,
            event(11, "lambda", "GetFunction20150331v2", "ci", json!({})),
            event(12, "signin", "ConsoleLogin", "ana", Value::Null),
            event(13, "sts", "AssumeRole", "svc", json!({"roleArn": "arn:aws:iam::1:role/x"})),
            event(14, "logs", "CreateLogStream", "fn", json!({"logGroupName": "/aws/lambda/x"})),
            event(15, "kms", "Decrypt", "fn", json!({})),
        ];
        let digest = check(&records, &["x"]);
        assert!(digest.findings.is_empty(), "{digest:#?}");
        assert_eq!(digest.records, 6);
        assert!(
            digest.text.contains("6 filtered as noise (3 read-only, 2 sign-in/session, 1 runtime telemetry)"),
            "{}",
            digest.text
        );
    }

    #[test]
    fn writes_are_classified_generically() {
        let cases = [
            ("lambda", "UpdateFunctionCode20150331v2", json!({"functionName": "f"}), "deployment"),
            ("ecs", "UpdateService", json!({"service": "s", "taskDefinition": "s:7"}), "deployment"),
            ("ecs", "UpdateService", json!({"service": "s", "desiredCount": 0}), "capacity"),
            (
                "dynamodb",
                "UpdateTable",
                json!({"tableName": "t", "provisionedThroughput": {"writeCapacityUnits": 1}}),
                "capacity",
            ),
            (
                "dynamodb",
                "UpdateTable",
                json!({"tableName": "t", "streamSpecification": {"streamEnabled": true}}),
                "configuration",
            ),
            (
                "lambda",
                "PutFunctionConcurrency20171031",
                json!({"functionName": "f", "reservedConcurrentExecutions": 0}),
                "capacity",
            ),
            ("application-autoscaling", "RegisterScalableTarget", json!({"resourceId": "table/t"}), "capacity"),
            (
                "iam",
                "DetachRolePolicy",
                json!({"roleName": "r", "policyArn": "arn:aws:iam::aws:policy/P"}),
                "permission",
            ),
            ("s3", "PutBucketPolicy", json!({"bucketName": "b"}), "permission"),
            ("ec2", "RevokeSecurityGroupIngress", json!({"groupId": "sg-1"}), "permission"),
            ("lambda", "RemovePermission20150331v2", json!({"functionName": "f"}), "permission"),
            ("kms", "PutKeyPolicy", json!({"keyId": "k"}), "permission"),
            ("kms", "DisableKey", json!({"keyId": "k"}), "permission"),
            ("kms", "ScheduleKeyDeletion", json!({"keyId": "k", "pendingWindowInDays": 7}), "permission"),
            ("kms", "EnableKeyRotation", json!({"keyId": "k"}), "credential"),
            (
                "sqs",
                "SetQueueAttributes",
                json!({"queueUrl": "https://sqs/1/q", "attributes": {"Policy": "{}"}}),
                "permission",
            ),
            ("secretsmanager", "RotateSecret", json!({"secretId": "db"}), "credential"),
            ("iam", "UpdateAccessKey", json!({"accessKeyId": "AKIA", "status": "Inactive"}), "credential"),
            ("acm", "ImportCertificate", json!({"certificateArn": "arn:aws:acm:r:1:certificate/abc"}), "credential"),
            ("ec2", "ReplaceRoute", json!({"routeTableId": "rtb-1"}), "network"),
            ("route53", "ChangeResourceRecordSets", json!({"hostedZoneId": "Z1"}), "network"),
            (
                "elasticloadbalancing",
                "ModifyTargetGroup",
                json!({"targetGroupArn": "arn:aws:elasticloadbalancing:r:1:targetgroup/tg/0f8f", "healthCheckPort": "9090"}),
                "configuration",
            ),
            (
                "elasticloadbalancing",
                "SetSubnets",
                json!({"loadBalancerArn": "lb", "subnets": ["subnet-1"]}),
                "network",
            ),
            (
                "elasticloadbalancing",
                "ModifyRule",
                json!({"ruleArn": "arn:aws:elasticloadbalancing:r:1:listener-rule/app/lb/1/2/3"}),
                "network",
            ),
            (
                "sqs",
                "StartMessageMoveTask",
                json!({"sourceArn": "arn:aws:sqs:r:1:orders-dlq", "destinationArn": "arn:aws:sqs:r:1:orders"}),
                "load",
            ),
            ("rds", "CreateDBClusterSnapshot", json!({"dBClusterIdentifier": "db"}), "other"),
            ("rds", "FailoverDBCluster", json!({"dBClusterIdentifier": "db"}), "configuration"),
            (
                "elasticache",
                "ModifyReplicationGroup",
                json!({"replicationGroupId": "c", "snapshotWindow": "03:00-04:00", "applyImmediately": true}),
                "other",
            ),
            (
                "elasticache",
                "ModifyReplicationGroup",
                json!({"replicationGroupId": "c", "snapshotWindow": "03:00-04:00", "cacheParameterGroupName": "p"}),
                "configuration",
            ),
            ("kafka", "UpdateMonitoring", json!({"clusterArn": "arn:aws:kafka:r:1:cluster/k/a17f-1"}), "other"),
            ("ecs", "UpdateService", json!({"service": "web", "forceNewDeployment": true}), "other"),
            ("ecs", "UpdateService", json!({"service": "web", "taskDefinition": "web:8"}), "deployment"),
            (
                "appconfig",
                "StartDeployment",
                json!({"ApplicationId": "a1b2c3d", "ConfigurationProfileId": "x"}),
                "configuration",
            ),
            (
                "lambda",
                "UpdateFunctionConfiguration20150331v2",
                json!({"functionName": "f", "timeout": 3}),
                "configuration",
            ),
            ("ssm", "PutParameter", json!({"name": "/app/flag", "type": "String"}), "configuration"),
            (
                "ec2",
                "ModifyVpcEndpoint",
                json!({"ModifyVpcEndpointRequest": {"VpcEndpointId": "vpce-0339f48e5838f7c67", "PolicyDocument": "{}"}}),
                "permission",
            ),
            (
                "dynamodb",
                "UpdateContinuousBackups",
                json!({"tableName": "promo", "pointInTimeRecoverySpecification": {"pointInTimeRecoveryEnabled": true}}),
                "other",
            ),
            (
                "cloudfront",
                "CreateInvalidation",
                json!({"distributionId": "E2PV4NTVW9XYCU", "invalidationBatch": {"paths": {"items": ["/static/*"]}}}),
                "other",
            ),
            (
                "rds",
                "ModifyDBInstance",
                json!({"dBInstanceIdentifier": "db", "dBInstanceClass": "db.t3.micro"}),
                "capacity",
            ),
            ("lambda", "TagResource20170331v2", json!({"resource": "arn:aws:lambda:r:1:function:f"}), "other"),
            ("monitoring", "PutMetricAlarm", json!({"alarmName": "a"}), "other"),
        ];
        for (source, name, params, kind) in cases {
            let digest = check(&[event(30, source, name, "ana", params)], &[]);
            assert_eq!(digest.findings.len(), 1, "{name}");
            assert_eq!(digest.findings[0].attr(attr::CHANGE_KIND), kind, "{source} {name}");
        }
    }

    #[test]
    fn an_appsync_resolver_is_the_field_it_resolves() {
        let request = json!({"apiId": "onv1eg4ldygfejhrjee40bx", "typeName": "Query", "fieldName": "getProduct"});
        let digest = check(&[event(40, "appsync", "UpdateResolver", "priya", request)], &[]);
        assert_eq!(digest.findings[0].component, "getProduct");
    }

    #[test]
    fn a_redriven_dead_letter_queue_is_the_target_whatever_its_destination() {
        let request = json!({
            "destinationArn": "arn:aws:sqs:eu-west-1:1:InvoiceJobs",
            "sourceArn": "arn:aws:sqs:eu-west-1:1:InvoiceJobsDlq",
            "maxNumberOfMessagesPerSecond": 500
        });
        let digest = check(&[event(40, "sqs", "StartMessageMoveTask", "priya", request)], &[]);
        assert_eq!(digest.findings[0].component, "InvoiceJobsDlq");
        assert_eq!(digest.findings[0].attr(attr::CHANGE_KIND), "load");
    }

    #[test]
    fn a_task_run_that_migrates_a_schema_is_a_deployment_and_other_runs_are_not() {
        let migrate = json!({"cluster": "apps", "taskDefinition": "ordersDbMigrate:80", "count": 1});
        let report = json!({"cluster": "apps", "taskDefinition": "nightly-report:12", "count": 1});
        let digest =
            check(&[event(40, "ecs", "RunTask", "ci", migrate), event(41, "ecs", "RunTask", "ci", report)], &[]);
        let kind_of = |target: &str| {
            digest.findings.iter().find(|f| f.component.starts_with(target)).map(|f| f.attr(attr::CHANGE_KIND))
        };
        assert_eq!(kind_of("ordersDbMigrate"), Some("deployment"));
        assert_ne!(kind_of("nightly-report"), Some("deployment"));
    }

    #[test]
    fn a_fault_injection_experiment_started_is_an_experiment() {
        let request = json!({"experimentTemplateId": "EXT8aNcHusYbCDei0", "tags": {"Name": "gameday-checkout"}});
        let digest = check(&[event(40, "fis", "StartExperiment", "priya", request)], &[]);
        assert_eq!(digest.findings[0].attr(attr::CHANGE_KIND), "experiment");
    }

    #[test]
    fn a_name_left_at_its_default_is_not_the_target() {
        let request = json!({"groupName": "default", "name": "nightly-export", "scheduleExpressionTimezone": "UTC"});
        let digest = check(&[event(40, "scheduler", "UpdateSchedule", "priya", request)], &[]);
        assert_eq!(digest.findings[0].component, "nightly-export");
        let params = json!({"poolName": "default", "serverName": "ledger-proxy", "settings": {"maxPercent": 10}});
        assert_eq!(nested_name(&params).as_deref(), Some("ledger-proxy"));
        assert_eq!(nested_name(&json!({"poolName": "default"})).as_deref(), Some("default"));
    }

    #[test]
    fn targets_are_resource_names() {
        assert_eq!(resource_name("arn:aws:lambda:eu-west-1:1:function:orders-api:live"), "orders-api");
        assert_eq!(resource_name("arn:aws:dynamodb:eu-west-1:1:table/orders/index/by-day"), "orders");
        assert_eq!(resource_name("arn:aws:iam::1:role/service-role/orders-api-role"), "orders-api-role");
        assert_eq!(resource_name("arn:aws:ecs:eu-west-1:1:service/main/checkout"), "checkout");
        assert_eq!(resource_name("arn:aws:elasticloadbalancing:r:1:targetgroup/web-tg/73e2d6bc24d8a067"), "web-tg");
        assert_eq!(resource_name("arn:aws:elasticloadbalancing:r:1:targetgroup/WebTg/e7ed5b1c86029c37"), "WebTg");
        assert_eq!(resource_name("arn:aws:secretsmanager:r:1:secret:db-password-AbC123"), "db-password");
        assert_eq!(resource_name("arn:aws:sns:r:1:alerts"), "alerts");
        assert_eq!(resource_name("arn:aws:sns:r:1:alerts:dd4b6087-e201-43a1-a7b3-de468caae7f3"), "alerts");
        assert_eq!(resource_name("https://sqs.eu-west-1.amazonaws.com/1/orders-queue"), "orders-queue");
        assert_eq!(resource_name("orders-api:live"), "orders-api");
        assert_eq!(resource_name("/prod/orders/flag"), "/prod/orders/flag");

        let dns = event(
            30,
            "route53",
            "ChangeResourceRecordSets",
            "ana",
            json!({"hostedZoneId": "Z1", "changeBatch": {"changes": [{"action": "UPSERT", "resourceRecordSet": {"name": "api.example.com."}}]}}),
        );
        let tags = event(31, "ec2", "CreateTags", "ana", json!({"resourcesSet": {"items": [{"resourceId": "vol-1"}]}}));
        let mut listed = event(32, "s3", "PutBucketVersioning", "ana", json!({}));
        listed["resources"] = json!([{"ARN": "arn:aws:s3:::exports"}]);
        let mut mapping = event(
            33,
            "lambda",
            "UpdateEventSourceMapping20150331",
            "ana",
            json!({"uUID": "220d0d60-e7c6-4506-8bd1-e5af64ae77de", "enabled": false}),
        );
        mapping["responseElements"] = json!({"uUID": "220d0d60-e7c6-4506-8bd1-e5af64ae77de",
            "functionArn": "arn:aws:lambda:r:1:function:fulfillment-worker", "state": "Disabling"});
        let key = event(34, "kms", "DisableKey", "ana", json!({"keyId": "8f6c0b52-1b3e-4c2a-9d7e-2f1a3b4c5d6e"}));
        let mut flags = event(
            35,
            "appconfig",
            "StartDeployment",
            "ana",
            json!({"ApplicationId": "lu40ate", "ConfigurationProfileId": "jyzzvrj", "ConfigurationVersion": "7"}),
        );
        // AppConfig spells its fields in PascalCase.
        flags["responseElements"] = json!({"ApplicationId": "lu40ate", "ConfigurationName": "shop-feature-flags"});
        // CloudFront's update names the distribution `id`, and its origins' domains deeper in the request.
        let origins = json!({"items": [{"id": "S3-assets", "domainName": "assets.s3.us-east-1.amazonaws.com"}]});
        let distribution = event(
            36,
            "cloudfront",
            "UpdateDistribution2020_05_31",
            "ana",
            json!({"id": "EK6L15TMUDPX0N", "ifMatch": "E2QWRUHAPOMQZL", "distributionConfig": {"origins": origins}}),
        );
        let digest = check(&[dns, tags, listed, mapping, key, flags, distribution], &[]);
        let mut components: Vec<&str> = digest.findings.iter().map(|f| f.component.as_str()).collect();
        components.sort();
        assert_eq!(
            components,
            [
                "8f6c0b52-1b3e-4c2a-9d7e-2f1a3b4c5d6e",
                "EK6L15TMUDPX0N",
                "api.example.com",
                "exports",
                "fulfillment-worker",
                "shop-feature-flags",
                "vol-1"
            ],
            "a mapping or a profile known by its id goes by the name in the response; a key with no name keeps its id"
        );
    }

    #[test]
    fn related_recent_strong_changes_rank_first() {
        let records = [
            // The cause: the role of the function in play lost permissions shortly before the problem.
            event(
                30,
                "iam",
                "PutRolePolicy",
                "ana",
                json!({"roleName": "orders-api-role", "policyName": "orders-db",
                "policyDocument": "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"dynamodb:GetItem\"], \"Resource\": \"*\"}]}"}),
            ),
            // A grant closer to the onset, on something unrelated.
            event(
                36,
                "iam",
                "AttachRolePolicy",
                "ci",
                json!({"roleName": "billing-role", "policyArn": "arn:aws:iam::aws:policy/X"}),
            ),
            // A deploy of an unrelated function long before.
            event(2, "lambda", "UpdateFunctionCode20150331v2", "ci", json!({"functionName": "billing-sync"})),
            // Tagging right before: weak.
            event(
                39,
                "lambda",
                "TagResource20170331v2",
                "ci",
                json!({"resource": "arn:aws:lambda:r:1:function:orders-api"}),
            ),
            // A change after the problem was noticed: a reaction.
            event(
                45,
                "lambda",
                "UpdateFunctionConfiguration20150331v2",
                "bo",
                json!({"functionName": "orders-api", "timeout": 30}),
            ),
        ];
        let digest = check(&records, &["orders-api", "orders-table"]);
        let ranked: Vec<&str> = digest.findings.iter().map(|f| f.attr(attr::EVENT_NAME)).collect();
        assert_eq!(ranked[0], "PutRolePolicy", "{}", digest.text);
        let top = &digest.findings[0];
        assert_eq!(
            (top.component.as_str(), top.attr(attr::ACTOR), top.attr(attr::CHANGE_KIND)),
            ("orders-api-role", "ana", "permission")
        );
        assert!(top.excerpt.contains("policyDocument={Allow dynamodb:GetItem on 1 resource}"), "{}", top.excerpt);
        assert_eq!(top.reference, "PutRolePolicy-30");
        assert_eq!(top.time, Some(at(30)));
        assert!(top.score > 0.7, "{}", top.score);
        let score_of = |name: &str| digest.findings.iter().find(|f| f.attr(attr::EVENT_NAME) == name).unwrap().score;
        assert!(score_of("AttachRolePolicy") < 0.5 * top.score, "{}", digest.text);
        assert!(score_of("UpdateFunctionCode") < 0.3, "{}", digest.text);
        assert!(score_of("TagResource") < 0.2 && score_of("UpdateFunctionConfiguration") < 0.3, "{}", digest.text);
        assert!(
            digest.text.lines().nth(1).unwrap().contains("permission orders-api-role by ana: PutRolePolicy"),
            "{}",
            digest.text
        );
    }

    #[test]
    fn deploy_steps_group_and_capacity_cuts_show_the_previous_value() {
        let mut table = event(
            35,
            "dynamodb",
            "UpdateTable",
            "ana",
            json!({"tableName": "orders", "provisionedThroughput": {"readCapacityUnits": 5, "writeCapacityUnits": 1}}),
        );
        table["responseElements"] =
            json!({"tableDescription": {"provisionedThroughput": {"readCapacityUnits": 5, "writeCapacityUnits": 40}}});
        let records = [
            event(
                36,
                "lambda",
                "UpdateFunctionCode20150331v2",
                "ci",
                json!({"functionName": "arn:aws:lambda:r:1:function:orders-api"}),
            ),
            event(36, "lambda", "PublishVersion20150331", "ci", json!({"functionName": "orders-api"})),
            event(
                37,
                "lambda",
                "UpdateAlias20150331",
                "ci",
                json!({"functionName": "orders-api", "name": "live", "functionVersion": "12"}),
            ),
            table,
        ];
        let digest = check(&records, &["orders-api", "orders"]);
        assert_eq!(digest.findings.len(), 2, "{}", digest.text);
        let deploy = digest.findings.iter().find(|f| f.attr(attr::CHANGE_KIND) == "deployment").unwrap();
        assert!(deploy.summary.contains("UpdateFunctionCode, PublishVersion, UpdateAlias"), "{}", deploy.summary);
        assert_eq!(deploy.excerpt.lines().count(), 3);
        assert!(deploy.excerpt.contains("functionVersion=12"));
        let capacity = digest.findings.iter().find(|f| f.attr(attr::CHANGE_KIND) == "capacity").unwrap();
        assert!(
            capacity.excerpt.contains("provisionedThroughput.writeCapacityUnits=1 (was 40)"),
            "{}",
            capacity.excerpt
        );
        assert!(!capacity.excerpt.contains("readCapacityUnits=5 (was"), "{}", capacity.excerpt);
        assert!(capacity.score > 0.9 && deploy.score > 0.9, "{}", digest.text);
    }

    #[test]
    fn a_change_carries_the_hosts_its_request_sets() {
        let container = json!({"name": "tickets", "environment": [
            {"name": "MEDIA_ENDPOINT", "value": "http://media.prod.example.internal:80"},
            {"name": "LOG_LEVEL", "value": "info"}]});
        let records = [event(
            40,
            "ecs",
            "RegisterTaskDefinition",
            "ci",
            json!({"family": "tickets", "containerDefinitions": [container]}),
        )];
        let digest = check(&records, &["tickets"]);
        assert_eq!(digest.findings[0].attr(attr::HOSTS), "media.prod.example.internal", "{:?}", digest.findings[0]);
    }

    #[test]
    fn failed_calls_are_weak_and_secrets_are_masked() {
        let mut denied =
            event(38, "iam", "DeleteRolePolicy", "eve", json!({"roleName": "orders-api-role", "policyName": "p"}));
        denied["errorCode"] = json!("AccessDenied");
        let secret = event(
            37,
            "rds",
            "ModifyDBInstance",
            "ana",
            json!({"dBInstanceIdentifier": "orders-db", "masterUserPassword": "hunter2"}),
        );
        let digest = check(&[denied, secret], &["orders-api", "orders-db"]);
        let failed = digest.findings.iter().find(|f| f.attr(attr::EVENT_NAME) == "DeleteRolePolicy").unwrap();
        assert!(failed.score < 0.2 && failed.summary.contains("failed: AccessDenied"), "{failed:?}");
        let rotated = digest.findings.iter().find(|f| f.attr(attr::EVENT_NAME) == "ModifyDBInstance").unwrap();
        assert_eq!(rotated.attr(attr::CHANGE_KIND), "credential");
        assert!(rotated.excerpt.contains("masterUserPassword=***") && !rotated.excerpt.contains("hunter2"));
    }

    #[test]
    fn a_call_an_eventbridge_schedule_made_is_the_schedulers() {
        let mut scheduled = event(40, "ecs", "RunTask", "", json!({"cluster": "jobs", "taskDefinition": "etl:3"}));
        scheduled["userIdentity"] = json!({"type": "AssumedRole", "invokedBy": "events.amazonaws.com",
            "arn": "arn:aws:sts::1:assumed-role/ecsEventsRole/a5841a40"});
        let digest = check(&[scheduled], &["etl"]);
        assert_eq!(digest.findings[0].attr(attr::ACTOR), "events.amazonaws.com");
    }

    #[test]
    fn images_expired_by_a_lifecycle_policy_are_a_change_to_the_repository() {
        let mut expired = event(40, "ecr", "PolicyExecutionEvent", "", Value::Null);
        expired["eventType"] = json!("AwsServiceEvent");
        expired["userIdentity"] = json!({"accountId": "1", "invokedBy": "AWS Internal"});
        expired["serviceEventDetails"] = json!({"repositoryName": "shop/orders",
            "lifecycleEventImageActions": [{"lifecycleEventImage": {"tagList": ["v7"]}, "rulePriority": 1}]});
        let deleted = event(
            41,
            "ecr",
            "BatchDeleteImage",
            "ana",
            json!({"repositoryName": "shop/billing", "imageIds": [{"imageTag": "v3"}]}),
        );
        let digest = check(&[expired, deleted], &["orders"]);
        let change = |name: &str| digest.findings.iter().find(|f| f.attr(attr::EVENT_NAME) == name).unwrap();
        let expired = change("PolicyExecutionEvent");
        assert_eq!((expired.component.as_str(), expired.attr(attr::CHANGE_KIND)), ("shop/orders", "deployment"));
        assert_eq!(expired.attr(attr::ACTOR), "AWS Internal");
        assert!(expired.excerpt.contains("v7"), "{}", expired.excerpt);
        assert_eq!(change("BatchDeleteImage").attr(attr::CHANGE_KIND), "deployment");
    }

    #[test]
    fn modifications_left_for_the_maintenance_window_are_weak() {
        let modify = |minute, apply: bool| {
            let request = json!({"dBInstanceIdentifier": "orders-db", "dBInstanceClass": "db.r6g.large",
                "applyImmediately": apply});
            event(minute, "rds", "ModifyDBInstance", "ana", request)
        };
        let now = check(&[modify(38, true)], &["orders-db"]);
        let later = check(&[modify(38, false)], &["orders-db"]);
        let (now, later) = (&now.findings[0], &later.findings[0]);
        assert!(later.score < now.score * 0.2, "now {now:?}\nlater {later:?}");
        assert_eq!((now.attr(attr::CHANGE_KIND), later.attr(attr::CHANGE_KIND)), ("capacity", "other"));
    }
}
