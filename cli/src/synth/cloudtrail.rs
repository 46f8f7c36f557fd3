//! CloudTrail management events: the scenario's changes (and red herrings) rendered as real records, plus the
//! read-only chatter and benign writes every account has (monitoring pollers, AWS Config, sign-ins, tagging).

use serde_json::{Value, json};

use super::clock;
use super::model::{Compute, Dep, System};
use super::random::{SimRng, access_key_id, chance, hex, pick, public_ip, range_i64, upper_alnum, uuid};

/// Who made a change.
#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    /// An engineer through SSO (index into the system's people).
    Person(usize),
    /// The CI/CD deploy role.
    Ci,
    /// Infrastructure as code (Terraform/CDK).
    Iac,
}

/// A change to a resource, as a scenario plans it.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    UpdateTable {
        table: String,
        read: u32,
        write_before: u32,
        write_after: u32,
    },
    /// UpdateFunctionCode + PublishVersion + UpdateAlias (when aliased).
    LambdaDeploy {
        function: String,
        version: String,
        alias: Option<String>,
        artifact: String,
    },
    PutRolePolicy {
        role: String,
        policy: String,
        actions: Vec<String>,
        resources: Vec<String>,
    },
    DetachRolePolicy {
        role: String,
        policy_arn: String,
    },
    AttachRolePolicy {
        role: String,
        policy_arn: String,
    },
    PutFunctionConcurrency {
        function: String,
        reserved: u32,
    },
    RevokeIngress {
        group_id: String,
        group_name: String,
        source_group: String,
        port: u32,
    },
    UpdateFunctionConfiguration {
        function: String,
        timeout: Option<u32>,
        memory: Option<u32>,
        environment: Option<(String, String)>,
    },
    EcsDeploy {
        cluster: String,
        service: String,
        family: String,
        revision: u32,
        image: String,
    },
    PutSecretValue {
        secret: String,
        arn: String,
    },
    RotateSecret {
        secret: String,
        arn: String,
    },
    DnsRecord {
        zone_id: String,
        record: String,
        action: &'static str,
        target: String,
    },
    PutParameter {
        name: String,
    },
    /// A KMS key management call on a customer-managed key; an engineer first looks the key up by its alias.
    KmsKey {
        key_id: String,
        alias: String,
        action: KeyAction,
    },
    /// The desired count of an ECS service changed, directly or through its auto scaling minimum.
    EcsScale {
        cluster: String,
        service: String,
        from: u32,
        to: u32,
        autoscaling: bool,
    },
    /// UpdateFunctionConfiguration of environment variables; CloudTrail omits their values.
    UpdateFunctionEnvironment {
        function: String,
    },
    /// A network ACL entry created (or an existing one replaced); the engineer first looks the ACL up.
    NetworkAclEntry {
        acl_id: String,
        rule_number: u32,
        deny: bool,
        egress: bool,
        cidr: String,
        /// TCP port range; `None` is every protocol.
        ports: Option<(u32, u32)>,
        replace: bool,
    },
    /// A bucket policy replaced (the engineer reads the old one first).
    PutBucketPolicy {
        bucket: String,
        policy: Value,
    },
    /// A Secrets Manager rotation through its rotation function; `scheduled` rotations start without an API call.
    SecretRotation {
        secret: String,
        arn: String,
        rotation_function: String,
        /// The new version's id (the rotation's client request token).
        version: String,
        scheduled: bool,
    },
    /// A new hosted configuration version of an AppConfig profile, deployed to an environment.
    AppConfigDeployment {
        application_id: String,
        environment_id: String,
        profile: String,
        profile_id: String,
        version: u32,
        strategy_id: String,
        description: Option<String>,
    },
    /// One parameter of an RDS parameter group changed.
    ModifyDbParameterGroup {
        group: String,
        parameter: String,
        value: String,
    },
    /// The shard count of a Kinesis data stream changed (after a look at the stream's summary).
    UpdateShardCount {
        stream: String,
        from: u32,
        to: u32,
    },
    /// A setting of an RDS instance that only applies later (its backup window).
    ModifyDbInstance {
        db: String,
        backup_window: String,
    },
    /// An inbound rule for a CIDR range added to a security group.
    AuthorizeIngress {
        group_id: String,
        cidr: String,
        port: u32,
        description: String,
    },
    /// An Auto Scaling group replacing instances that failed their EC2 health checks, on its own: it terminates
    /// them, may fail to launch in the impaired zone first, then launches in the other zones.
    AsgReplace {
        asg: String,
        instance_type: &'static str,
        terminated: Vec<String>,
        /// The zone a first launch failed in for want of capacity.
        failed_zone: Option<String>,
        /// (instance id, zone, private address) of each replacement.
        launched: Vec<(String, String, String)>,
        /// The group's zones, for the capacity error's advice.
        zones: Vec<String>,
    },
}

/// What a KMS key management call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Disable,
    ScheduleDeletion { days: u32 },
    EnableRotation,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChange {
    pub at_ms: i64,
    pub actor: Actor,
    pub change: Change,
}

/// Renders records for one account.
#[derive(Debug)]
pub struct Trail<'a> {
    pub sys: &'a System,
    pub records: Vec<(i64, Value)>,
    /// Randomness of the record envelopes (request ids, source addresses).
    rng: SimRng,
    /// Keys made unusable: (key id, when, pending deletion).
    unusable_keys: Vec<(String, i64, bool)>,
}

fn cli_agent(command: &str) -> String {
    format!(
        "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#{command}"
    )
}

const TERRAFORM_AGENT: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.6 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64";
const BOTO_AGENT: &str = "Boto3/1.34.91 md/Botocore#1.34.91 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.91";
const CONFIG_AGENT: &str = "config.amazonaws.com";
const CLOUDFORMATION_AGENT: &str = "cloudformation.amazonaws.com";

impl<'a> Trail<'a> {
    pub fn new(sys: &'a System, seed: u64) -> Trail<'a> {
        Trail {
            sys,
            records: Vec::new(),
            rng: <SimRng as rand::SeedableRng>::seed_from_u64(seed),
            unusable_keys: Vec::new(),
        }
    }

    fn role_identity(&self, rng: &mut SimRng, role: &str, session: &str, at_ms: i64) -> Value {
        let account = &self.sys.account;
        let principal = format!("AROA{}", upper_alnum(rng, 17));
        json!({
            "type": "AssumedRole",
            "principalId": format!("{principal}:{session}"),
            "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
            "accountId": account,
            "accessKeyId": access_key_id(rng),
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": principal, "arn": format!("arn:aws:iam::{account}:role/{role}"), "accountId": account, "userName": role},
                "attributes": {"creationDate": clock::iso_s(at_ms - range_i64(rng, 60_000, 2_400_000)), "mfaAuthenticated": "false"}
            }
        })
    }

    fn person_identity(&self, rng: &mut SimRng, person: usize, at_ms: i64, admin: bool) -> Value {
        let permission_set = if admin { "AdministratorAccess" } else { "PowerUserAccess" };
        let role = format!("AWSReservedSSO_{permission_set}_{}", self.sys.company.sso_hash);
        let email = self.sys.email(self.sys.person(person));
        let mut identity = self.role_identity(rng, &role, &email, at_ms);
        identity["sessionContext"]["sessionIssuer"]["arn"] =
            json!(format!("arn:aws:iam::{}:role/aws-reserved/sso.amazonaws.com/{role}", self.sys.account));
        identity["sessionContext"]["webIdFederationData"] = json!({});
        identity
    }

    fn actor_identity(&self, rng: &mut SimRng, actor: &Actor, at_ms: i64) -> (Value, String) {
        let company = &self.sys.company;
        match actor {
            Actor::Person(person) => {
                let admin = chance(rng, 0.5);
                (self.person_identity(rng, *person, at_ms, admin), String::new())
            }
            Actor::Ci => (self.role_identity(rng, &company.ci_role, &company.ci_session, at_ms), "ci".to_string()),
            Actor::Iac if self.sys.iac == "Terraform" => {
                let session = format!("terraform-{}", at_ms / 1000 - range_i64(rng, 5, 60));
                (self.role_identity(rng, &company.iac_role, &session, at_ms), TERRAFORM_AGENT.to_string())
            }
            // CDK and CloudFormation changes are made by CloudFormation with the deployment's execution role.
            Actor::Iac => (
                self.role_identity(rng, &company.iac_role, "AWSCloudFormation", at_ms),
                CLOUDFORMATION_AGENT.to_string(),
            ),
        }
    }

    /// Adds one record.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        at_ms: i64,
        identity: Value,
        source: &str,
        name: &str,
        agent: &str,
        request: Value,
        response: Value,
        read_only: bool,
        resources: Option<Value>,
    ) {
        let region =
            if source == "iam.amazonaws.com" || source == "signin.amazonaws.com" || source == "route53.amazonaws.com" {
                "us-east-1"
            } else {
                self.sys.region
            };
        let host = if source == "iam.amazonaws.com" || source == "route53.amazonaws.com" {
            source.to_string()
        } else {
            format!("{}.{region}.amazonaws.com", source.trim_end_matches(".amazonaws.com"))
        };
        let console = agent == "AWS Internal";
        let rng = &mut self.rng;
        let mut record = json!({
            "eventVersion": "1.09",
            "userIdentity": identity,
            "eventTime": clock::iso_s(at_ms),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": if agent.contains("amazonaws.com") { agent.to_string() } else { public_ip(rng) },
            "userAgent": agent,
            "requestParameters": request,
            "responseElements": response,
            "requestID": uuid(rng),
            "eventID": uuid(rng),
            "readOnly": read_only,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": self.sys.account,
            "eventCategory": "Management",
            "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": host},
        });
        if let Some(resources) = resources {
            record["resources"] = resources;
        }
        if console {
            record["sessionCredentialFromConsole"] = json!("true");
        }
        self.records.push((at_ms, record));
    }

    /// Renders a planned change (one or more records).
    pub fn change(&mut self, rng: &mut SimRng, planned: &PlannedChange) {
        let at = planned.at_ms;
        let (identity, agent_hint) = self.actor_identity(rng, &planned.actor, at);
        // People and CI use the AWS CLI; infrastructure as code has its own user agent.
        let person_agent = |command: &str| {
            if agent_hint.is_empty() || agent_hint == "ci" { cli_agent(command) } else { agent_hint.clone() }
        };
        let sys = self.sys;
        match &planned.change {
            Change::UpdateTable { table, read, write_before, write_after } => {
                let arn = sys.arn("dynamodb", &format!("table/{table}"));
                self.push(
                    at,
                    identity,
                    "dynamodb.amazonaws.com",
                    "UpdateTable",
                    &person_agent("dynamodb.update-table"),
                    json!({"tableName": table, "provisionedThroughput": {"readCapacityUnits": read, "writeCapacityUnits": write_after}}),
                    json!({"tableDescription": {"tableName": table, "tableStatus": "UPDATING", "tableArn": arn, "provisionedThroughput": {"numberOfDecreasesToday": 0, "readCapacityUnits": read, "writeCapacityUnits": write_before}, "billingModeSummary": {"billingMode": "PROVISIONED"}, "itemCount": range_i64(rng, 100_000, 9_000_000), "tableSizeBytes": range_i64(rng, 50_000_000, 9_000_000_000i64)}}),
                    false,
                    Some(json!([{"accountId": sys.account, "type": "AWS::DynamoDB::Table", "ARN": arn}])),
                );
            }
            Change::LambdaDeploy { function, version, alias, artifact } => {
                let arn = sys.arn("lambda", &format!("function:{function}"));
                let sha = format!("{}=", super::random::alnum(rng, 43));
                let bucket = format!("{}-lambda-artifacts-{}", sys.company.slug, sys.account);
                let config = self.function_config(function, &sha);
                self.push(
                    at,
                    identity.clone(),
                    "lambda.amazonaws.com",
                    "UpdateFunctionCode20150331v2",
                    &person_agent("lambda.update-function-code"),
                    json!({"functionName": function, "s3Bucket": bucket, "s3Key": artifact, "publish": false, "dryRun": false}),
                    config.clone(),
                    false,
                    None,
                );
                if let Some(alias) = alias {
                    let mut published = config;
                    published["version"] = json!(version);
                    published["functionArn"] = json!(format!("{arn}:{version}"));
                    self.push(
                        at + 9_000,
                        identity.clone(),
                        "lambda.amazonaws.com",
                        "PublishVersion20150331",
                        &person_agent("lambda.publish-version"),
                        json!({"functionName": function, "codeSha256": sha, "description": artifact.rsplit('/').next().unwrap_or_default().trim_end_matches(".zip")}),
                        published,
                        false,
                        None,
                    );
                    self.push(
                        at + 14_000,
                        identity,
                        "lambda.amazonaws.com",
                        "UpdateAlias20150331",
                        &person_agent("lambda.update-alias"),
                        json!({"functionName": function, "name": alias, "functionVersion": version}),
                        json!({"aliasArn": format!("{arn}:{alias}"), "name": alias, "functionVersion": version, "revisionId": uuid(rng)}),
                        false,
                        None,
                    );
                }
            }
            Change::PutRolePolicy { role, policy, actions, resources } => {
                let document = json!({"Version": "2012-10-17", "Statement": [{"Sid": "LeastPrivilege", "Effect": "Allow", "Action": actions, "Resource": resources}]});
                let text = serde_json::to_string_pretty(&document).unwrap_or_default();
                self.push(
                    at,
                    identity,
                    "iam.amazonaws.com",
                    "PutRolePolicy",
                    &person_agent("iam.put-role-policy"),
                    json!({"roleName": role, "policyName": policy, "policyDocument": text}),
                    Value::Null,
                    false,
                    None,
                );
            }
            Change::DetachRolePolicy { role, policy_arn } | Change::AttachRolePolicy { role, policy_arn } => {
                let name = if matches!(planned.change, Change::DetachRolePolicy { .. }) {
                    "DetachRolePolicy"
                } else {
                    "AttachRolePolicy"
                };
                let command =
                    if name == "DetachRolePolicy" { "iam.detach-role-policy" } else { "iam.attach-role-policy" };
                self.push(
                    at,
                    identity,
                    "iam.amazonaws.com",
                    name,
                    &person_agent(command),
                    json!({"roleName": role, "policyArn": policy_arn}),
                    Value::Null,
                    false,
                    None,
                );
            }
            Change::PutFunctionConcurrency { function, reserved } => {
                self.push(
                    at,
                    identity,
                    "lambda.amazonaws.com",
                    "PutFunctionConcurrency20171031",
                    &person_agent("lambda.put-function-concurrency"),
                    json!({"functionName": function, "reservedConcurrentExecutions": reserved}),
                    json!({"reservedConcurrentExecutions": reserved}),
                    false,
                    None,
                );
            }
            Change::RevokeIngress { group_id, group_name, source_group, port } => {
                self.push(
                    at,
                    identity,
                    "ec2.amazonaws.com",
                    "RevokeSecurityGroupIngress",
                    &person_agent("ec2.revoke-security-group-ingress"),
                    json!({"groupId": group_id, "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {"items": [{"groupId": source_group}]}, "ipRanges": {}, "ipv6Ranges": {}, "prefixListIds": {}}]}}),
                    json!({"requestId": uuid(rng), "_return": true, "revokedSecurityGroupRuleSet": {"items": [{"groupId": group_id, "securityGroupRuleId": format!("sgr-0{}", hex(rng, 16)), "isEgress": false, "ipProtocol": "tcp", "fromPort": port, "toPort": port, "referencedGroupId": source_group, "description": format!("app access to {group_name}")}]}}),
                    false,
                    Some(json!([{"accountId": sys.account, "type": "AWS::EC2::SecurityGroup", "ARN": sys.arn("ec2", &format!("security-group/{group_id}"))}])),
                );
            }
            Change::UpdateFunctionConfiguration { function, timeout, memory, environment } => {
                let mut request = json!({"functionName": function});
                if let Some(timeout) = timeout {
                    request["timeout"] = json!(timeout);
                }
                if let Some(memory) = memory {
                    request["memorySize"] = json!(memory);
                }
                if let Some((key, value)) = environment {
                    request["environment"] = json!({"variables": {key: value}});
                }
                let mut response = self.function_config(function, &format!("{}=", super::random::alnum(rng, 43)));
                if let Some(timeout) = timeout {
                    response["timeout"] = json!(timeout);
                }
                if let Some(memory) = memory {
                    response["memorySize"] = json!(memory);
                }
                self.push(
                    at,
                    identity,
                    "lambda.amazonaws.com",
                    "UpdateFunctionConfiguration20150331v2",
                    &person_agent("lambda.update-function-configuration"),
                    request,
                    response,
                    false,
                    None,
                );
            }
            Change::EcsDeploy { cluster, service, family, revision, image } => {
                let task_arn = sys.arn("ecs", &format!("task-definition/{family}:{revision}"));
                self.push(
                    at,
                    identity.clone(),
                    "ecs.amazonaws.com",
                    "RegisterTaskDefinition",
                    &person_agent("ecs.register-task-definition"),
                    json!({"family": family, "containerDefinitions": [{"name": family.trim_end_matches("-task"), "image": image, "essential": true}], "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc"}),
                    json!({"taskDefinition": {"taskDefinitionArn": task_arn, "family": family, "revision": revision, "status": "ACTIVE"}}),
                    false,
                    None,
                );
                self.push(
                    at + 6_000,
                    identity,
                    "ecs.amazonaws.com",
                    "UpdateService",
                    &person_agent("ecs.update-service"),
                    json!({"cluster": cluster, "service": service, "taskDefinition": format!("{family}:{revision}"), "forceNewDeployment": false}),
                    json!({"service": {"serviceName": service, "clusterArn": sys.arn("ecs", &format!("cluster/{cluster}")), "taskDefinition": task_arn, "deployments": [{"status": "PRIMARY", "taskDefinition": task_arn, "rolloutState": "IN_PROGRESS"}]}}),
                    false,
                    None,
                );
            }
            Change::PutSecretValue { secret, arn } | Change::RotateSecret { secret, arn } => {
                let (name, command, request) = match planned.change {
                    Change::RotateSecret { .. } => (
                        "RotateSecret",
                        "secretsmanager.rotate-secret",
                        json!({"secretId": secret, "rotateImmediately": true}),
                    ),
                    _ => (
                        "PutSecretValue",
                        "secretsmanager.put-secret-value",
                        json!({"secretId": secret, "clientRequestToken": uuid(rng)}),
                    ),
                };
                self.push(
                    at,
                    identity,
                    "secretsmanager.amazonaws.com",
                    name,
                    &person_agent(command),
                    request,
                    json!({"aRN": arn, "name": secret, "versionId": uuid(rng)}),
                    false,
                    Some(json!([{"accountId": sys.account, "type": "AWS::SecretsManager::Secret", "ARN": arn}])),
                );
            }
            Change::DnsRecord { zone_id, record, action, target } => {
                self.push(
                    at,
                    identity,
                    "route53.amazonaws.com",
                    "ChangeResourceRecordSets",
                    &person_agent("route53.change-resource-record-sets"),
                    json!({"hostedZoneId": zone_id, "changeBatch": {"changes": [{"action": action, "resourceRecordSet": {"name": format!("{record}."), "type": "CNAME", "tTL": 60, "resourceRecords": [{"value": target}]}}]}}),
                    json!({"changeInfo": {"id": format!("/change/C{}", upper_alnum(rng, 20)), "status": "PENDING", "submittedAt": clock::console_date(at)}}),
                    false,
                    None,
                );
            }
            Change::KmsKey { .. } => self.key_change(rng, planned, identity, &person_agent),
            Change::EcsScale { .. } => self.scale_change(rng, planned, identity, &person_agent),
            Change::UpdateFunctionEnvironment { function } => {
                let mut response = self.function_config(function, &format!("{}=", super::random::alnum(rng, 43)));
                response["environment"] = json!({});
                self.push(
                    at,
                    identity,
                    "lambda.amazonaws.com",
                    "UpdateFunctionConfiguration20150331v2",
                    &person_agent("lambda.update-function-configuration"),
                    json!({"functionName": function, "environment": {}}),
                    response,
                    false,
                    None,
                );
            }
            Change::NetworkAclEntry { .. } => self.network_acl_change(rng, planned, identity, &person_agent),
            Change::PutBucketPolicy { .. }
            | Change::SecretRotation { .. }
            | Change::AppConfigDeployment { .. }
            | Change::ModifyDbParameterGroup { .. } => self.data_change(rng, planned, identity, &person_agent),
            Change::UpdateShardCount { .. }
            | Change::ModifyDbInstance { .. }
            | Change::AuthorizeIngress { .. }
            | Change::AsgReplace { .. } => self.compute_change(rng, planned, identity, &person_agent),
            Change::PutParameter { name } => {
                let agent = if matches!(planned.actor, Actor::Person(_)) {
                    "AWS Internal".to_string()
                } else {
                    person_agent("ssm.put-parameter")
                };
                self.push(
                    at,
                    identity,
                    "ssm.amazonaws.com",
                    "PutParameter",
                    &agent,
                    json!({"name": name, "type": "String", "overwrite": true, "tier": "Standard"}),
                    json!({"version": range_i64(rng, 2, 60), "tier": "Standard"}),
                    false,
                    None,
                );
            }
        }
    }

    fn key_change(
        &mut self,
        rng: &mut SimRng,
        planned: &PlannedChange,
        identity: Value,
        agent: &dyn Fn(&str) -> String,
    ) {
        let Change::KmsKey { key_id, alias, action } = &planned.change else { return };
        let at = planned.at_ms;
        let key_arn = self.sys.arn("kms", &format!("key/{key_id}"));
        let resources = json!([{"accountId": self.sys.account, "type": "AWS::KMS::Key", "ARN": key_arn}]);
        if *action != KeyAction::EnableRotation {
            self.push(
                at - range_i64(rng, 30_000, 150_000),
                identity.clone(),
                "kms.amazonaws.com",
                "DescribeKey",
                &agent("kms.describe-key"),
                json!({"keyId": alias}),
                Value::Null,
                true,
                Some(resources.clone()),
            );
        }
        let (name, command, request, response) = match action {
            KeyAction::Disable => ("DisableKey", "kms.disable-key", json!({"keyId": key_id}), Value::Null),
            KeyAction::ScheduleDeletion { days } => (
                "ScheduleKeyDeletion",
                "kms.schedule-key-deletion",
                json!({"keyId": key_id, "pendingWindowInDays": days}),
                json!({"keyId": key_arn, "deletionDate": clock::console_date(at + i64::from(*days) * 86_400_000), "keyState": "PendingDeletion", "pendingWindowInDays": days}),
            ),
            KeyAction::EnableRotation => {
                ("EnableKeyRotation", "kms.enable-key-rotation", json!({"keyId": key_id}), Value::Null)
            }
        };
        self.push(at, identity, "kms.amazonaws.com", name, &agent(command), request, response, false, Some(resources));
        if *action != KeyAction::EnableRotation {
            let pending = matches!(action, KeyAction::ScheduleDeletion { .. });
            self.unusable_keys.push((key_id.clone(), at, pending));
        }
    }

    fn scale_change(
        &mut self,
        rng: &mut SimRng,
        planned: &PlannedChange,
        identity: Value,
        agent: &dyn Fn(&str) -> String,
    ) {
        let Change::EcsScale { cluster, service, from, to, autoscaling } = &planned.change else { return };
        let sys = self.sys;
        let at = planned.at_ms;
        let cluster_arn = sys.arn("ecs", &format!("cluster/{cluster}"));
        let service_arn = sys.arn("ecs", &format!("service/{cluster}/{service}"));
        let (identity, agent, at) = if *autoscaling {
            let resource_id = format!("service/{cluster}/{service}");
            self.push(
                at,
                identity,
                "application-autoscaling.amazonaws.com",
                "RegisterScalableTarget",
                &agent("application-autoscaling.register-scalable-target"),
                json!({"serviceNamespace": "ecs", "resourceId": resource_id, "scalableDimension": "ecs:service:DesiredCount", "minCapacity": to, "maxCapacity": to + to / 2}),
                json!({"scalableTargetARN": sys.arn("application-autoscaling", &format!("scalable-target/0ec5{}", hex(rng, 28)))}),
                false,
                None,
            );
            let role = "AWSServiceRoleForApplicationAutoScaling_ECSService";
            let identity = self.role_identity(rng, role, "AutoScaling", at);
            (identity, "application-autoscaling.amazonaws.com".to_string(), at + range_i64(rng, 20_000, 60_000))
        } else {
            (identity, agent("ecs.update-service"), at)
        };
        let task_definition = sys
            .workloads
            .iter()
            .filter_map(|w| w.compute.ecs())
            .find(|s| &s.service == service)
            .map(|s| sys.arn("ecs", &format!("task-definition/{}:{}", s.family, s.revision)))
            .unwrap_or_default();
        self.push(
            at,
            identity,
            "ecs.amazonaws.com",
            "UpdateService",
            &agent,
            json!({"cluster": cluster, "service": service, "desiredCount": to}),
            json!({"service": {"serviceName": service, "serviceArn": service_arn, "clusterArn": cluster_arn, "taskDefinition": task_definition, "desiredCount": to, "runningCount": from, "pendingCount": 0, "launchType": "FARGATE", "status": "ACTIVE", "deployments": [{"id": format!("ecs-svc/{}", super::random::digits(rng, 19)), "status": "PRIMARY", "taskDefinition": task_definition, "desiredCount": to, "runningCount": from, "pendingCount": 0, "rolloutState": "COMPLETED"}]}}),
            false,
            None,
        );
    }

    fn network_acl_change(
        &mut self,
        rng: &mut SimRng,
        planned: &PlannedChange,
        identity: Value,
        agent: &dyn Fn(&str) -> String,
    ) {
        let Change::NetworkAclEntry { acl_id, rule_number, deny, egress, cidr, ports, replace } = &planned.change
        else {
            return;
        };
        let at = planned.at_ms;
        self.push(
            at - range_i64(rng, 40_000, 240_000),
            identity.clone(),
            "ec2.amazonaws.com",
            "DescribeNetworkAcls",
            &agent("ec2.describe-network-acls"),
            json!({"networkAclIdSet": {"items": [{"networkAclId": acl_id}]}, "filterSet": {}}),
            Value::Null,
            true,
            None,
        );
        let (name, command) = if *replace {
            ("ReplaceNetworkAclEntry", "ec2.replace-network-acl-entry")
        } else {
            ("CreateNetworkAclEntry", "ec2.create-network-acl-entry")
        };
        let mut request = json!({"networkAclId": acl_id, "ruleNumber": rule_number, "egress": egress, "ruleAction": if *deny { "deny" } else { "allow" }, "icmpTypeCode": {}, "aclProtocol": "-1", "cidrBlock": cidr});
        if let Some((from, to)) = ports {
            request["aclProtocol"] = json!("6");
            request["portRange"] = json!({"from": from, "to": to});
        }
        self.push(
            at,
            identity,
            "ec2.amazonaws.com",
            name,
            &agent(command),
            request,
            json!({"requestId": uuid(rng), "_return": true}),
            false,
            None,
        );
    }

    /// KMS calls the services make with a customer-managed key on the workload's behalf: DynamoDB refreshes its
    /// table key every few minutes, S3 asks for a data key per object; after the key became unusable they fail.
    fn key_usage(&mut self, rng: &mut SimRng, start_ms: i64, end_ms: i64) {
        let sys = self.sys;
        for key in &sys.kms_keys {
            let unusable =
                self.unusable_keys.iter().find(|(id, _, _)| *id == key.id).map(|(_, at, pending)| (*at, *pending));
            let (name, context) = if key.service == "s3" {
                ("GenerateDataKey", json!({"aws:s3:arn": format!("arn:aws:s3:::{}", key.resource)}))
            } else {
                ("Decrypt", json!({"aws:dynamodb:tableName": key.resource, "aws:dynamodb:subscriberId": sys.account}))
            };
            let agent = format!("{}.amazonaws.com", key.service);
            let mut t = start_ms + range_i64(rng, 0, 300_000);
            while t < end_ms {
                let mut identity = self.role_identity(rng, &key.user_role, &key.user_session, t);
                identity["invokedBy"] = json!(agent);
                let mut request = json!({"encryptionContext": context, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"});
                if name == "GenerateDataKey" {
                    request["keyId"] = json!(key.arn);
                    request["keySpec"] = json!("AES_256");
                }
                let resources = json!([{"accountId": sys.account, "type": "AWS::KMS::Key", "ARN": key.arn}]);
                self.push(t, identity, "kms.amazonaws.com", name, &agent, request, Value::Null, true, Some(resources));
                if let Some((at, pending)) = unusable
                    && t > at
                    && let Some((_, record)) = self.records.last_mut()
                {
                    let (code, state) = if pending {
                        ("KMSInvalidStateException", "is pending deletion")
                    } else {
                        ("DisabledException", "is disabled")
                    };
                    record["errorCode"] = json!(code);
                    record["errorMessage"] = json!(format!("{} {state}.", key.arn));
                }
                t += range_i64(rng, 120_000, 330_000);
            }
        }
    }

    fn function_config(&self, function: &str, sha: &str) -> Value {
        let sys = self.sys;
        let lambda = sys.workloads.iter().filter_map(|w| w.compute.lambda()).find(|f| f.name == function);
        let (runtime, role, timeout, memory, handler, arch) = lambda
            .map(|f| (f.runtime_id, f.role.clone(), f.timeout_s, f.memory_mb, f.handler.clone(), f.arch))
            .unwrap_or(("nodejs20.x", format!("{function}-role"), 30, 512, "index.handler".to_string(), "x86_64"));
        json!({
            "functionName": function,
            "functionArn": sys.arn("lambda", &format!("function:{function}")),
            "runtime": runtime,
            "role": format!("arn:aws:iam::{}:role/{role}", sys.account),
            "handler": handler,
            "timeout": timeout,
            "memorySize": memory,
            "codeSha256": sha,
            "version": "$LATEST",
            "tracingConfig": {"mode": "Active"},
            "state": "Active",
            "lastUpdateStatus": "InProgress",
            "packageType": "Zip",
            "architectures": [arch],
            "loggingConfig": {"logFormat": "Text", "logGroup": format!("/aws/lambda/{function}")},
        })
    }

    /// The background: pollers, AWS Config, sign-ins, Lambda role assumptions and a few benign writes.
    pub fn noise(&mut self, rng: &mut SimRng, start_ms: i64, end_ms: i64, onset_ms: i64, cold_starts: &[(i64, usize)]) {
        let sys = self.sys;
        let sessions = ["cw-scraper", "metrics-poller", "DatadogAWSIntegration"];
        let session_count = range_i64(rng, 1, 3) as usize;
        let tables: Vec<String> = sys
            .workloads
            .iter()
            .flat_map(|w| w.deps.iter())
            .filter_map(|d| match d {
                Dep::Table(t) => Some(t.name.clone()),
                _ => None,
            })
            .collect();
        let databases: Vec<String> =
            sys.workloads.iter().filter_map(|w| w.database().map(|(_, db)| db.id.clone())).collect();
        for session in sessions.iter().take(session_count) {
            let period = range_i64(rng, 4, 10) * 60_000;
            let mut t = start_ms + range_i64(rng, 0, period);
            while t < end_ms {
                let identity = self.role_identity(rng, &sys.company.monitoring_role, session, t);
                for _ in 0..range_i64(rng, 1, 3) {
                    let window_end = t - 2_000;
                    self.push(t, identity.clone(), "monitoring.amazonaws.com", "GetMetricData", BOTO_AGENT,
                        json!({"startTime": clock::iso_s(window_end - 600_000), "endTime": clock::iso_s(window_end), "scanBy": "TimestampAscending"}), Value::Null, true, None);
                }
                for table in &tables {
                    if chance(rng, 0.7) {
                        let arn = sys.arn("dynamodb", &format!("table/{table}"));
                        self.push(
                            t + 700,
                            identity.clone(),
                            "dynamodb.amazonaws.com",
                            "DescribeTable",
                            BOTO_AGENT,
                            json!({"tableName": table}),
                            Value::Null,
                            true,
                            Some(json!([{"accountId": sys.account, "type": "AWS::DynamoDB::Table", "ARN": arn}])),
                        );
                    }
                }
                for db in &databases {
                    self.push(
                        t + 900,
                        identity.clone(),
                        "rds.amazonaws.com",
                        "DescribeDBInstances",
                        BOTO_AGENT,
                        json!({"dBInstanceIdentifier": db}),
                        Value::Null,
                        true,
                        None,
                    );
                }
                if chance(rng, 0.5) {
                    self.push(
                        t + 1_200,
                        identity.clone(),
                        "lambda.amazonaws.com",
                        "ListFunctions20150331",
                        BOTO_AGENT,
                        json!({"maxItems": 50}),
                        Value::Null,
                        true,
                        None,
                    );
                }
                if chance(rng, 0.35) {
                    self.push(
                        t + 1_500,
                        identity.clone(),
                        "tagging.amazonaws.com",
                        "GetResources",
                        BOTO_AGENT,
                        json!({"resourcesPerPage": 100}),
                        Value::Null,
                        true,
                        None,
                    );
                }
                if chance(rng, 0.2) {
                    self.push(
                        t + 1_800,
                        identity,
                        "monitoring.amazonaws.com",
                        "DescribeAlarms",
                        BOTO_AGENT,
                        json!({"maxRecords": 100}),
                        Value::Null,
                        true,
                        None,
                    );
                }
                t += period + range_i64(rng, -20_000, 20_000);
            }
        }
        // AWS Config's periodic describes.
        let mut t = start_ms + range_i64(rng, 0, 900_000);
        while t < end_ms {
            let identity = self.role_identity(rng, "AWSServiceRoleForConfig", "AWSConfig-Describe", t);
            for name in ["DescribeSecurityGroups", "DescribeVpcs", "DescribeNetworkInterfaces", "DescribeInstances"] {
                if chance(rng, 0.7) {
                    self.push(
                        t + range_i64(rng, 0, 4_000),
                        identity.clone(),
                        "ec2.amazonaws.com",
                        name,
                        CONFIG_AGENT,
                        json!({"maxResults": 1000}),
                        Value::Null,
                        true,
                        None,
                    );
                }
            }
            t += range_i64(rng, 12, 25) * 60_000;
        }
        // Lambda assumes function roles at cold starts; some new streams show as CreateLogStream.
        for (at, index) in cold_starts {
            let workload = &sys.workloads[*index];
            let Compute::Lambda(function) = &workload.compute else { continue };
            if chance(rng, 0.25) {
                let role_arn = format!("arn:aws:iam::{}:role/{}", sys.account, function.role);
                let identity = json!({"type": "AWSService", "invokedBy": "lambda.amazonaws.com"});
                self.push(*at, identity, "sts.amazonaws.com", "AssumeRole", "lambda.amazonaws.com",
                    json!({"roleArn": role_arn, "roleSessionName": function.name}),
                    json!({"credentials": {"accessKeyId": access_key_id(rng), "expiration": clock::console_date(at + 43_200_000)}}),
                    true,
                    Some(json!([{"accountId": sys.account, "type": "AWS::IAM::Role", "ARN": role_arn}])));
            }
            if chance(rng, 0.08) {
                let identity = self.role_identity(rng, &function.role, &function.name, *at);
                self.push(*at + 300, identity, "logs.amazonaws.com", "CreateLogStream", "awslambda-worker/1.0 rusoto/0.48.0 rust/1.74.0 linux",
                    json!({"logGroupName": workload.log_group, "logStreamName": format!("{}/[$LATEST]{}", clock::date_path(*at), hex(rng, 32))}), Value::Null, false, None);
            }
            if workload.dep_index(|d| matches!(d, Dep::Secret(_))).is_some() && chance(rng, 0.5) {
                let identity = self.role_identity(rng, &function.role, &function.name, *at);
                let secret = workload
                    .deps
                    .iter()
                    .find_map(|d| match d {
                        Dep::Secret(s) => Some(s.name.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                self.push(
                    *at + 150,
                    identity,
                    "secretsmanager.amazonaws.com",
                    "GetSecretValue",
                    "aws-sdk-js/3.654.0",
                    json!({"secretId": secret}),
                    Value::Null,
                    true,
                    None,
                );
            }
        }
        // People sign in, look around, and (after things go wrong) investigate.
        let people = sys.people.len();
        for n in 0..range_i64(rng, 1, 3) {
            let person = (n as usize * 2 + 1) % people;
            let at = start_ms + range_i64(rng, 0, (end_ms - start_ms).max(1));
            let identity = self.person_identity(rng, person, at, false);
            let mut record_identity = identity.clone();
            record_identity["sessionContext"]["attributes"]["creationDate"] = json!(clock::iso_s(at));
            self.push(
                at,
                record_identity,
                "signin.amazonaws.com",
                "ConsoleLogin",
                "AWS Internal",
                Value::Null,
                json!({"ConsoleLogin": "Success"}),
                false,
                None,
            );
            for table in tables.iter().take(2) {
                self.push(
                    at + range_i64(rng, 30_000, 600_000),
                    identity.clone(),
                    "dynamodb.amazonaws.com",
                    "DescribeTable",
                    "AWS Internal",
                    json!({"tableName": table}),
                    Value::Null,
                    true,
                    None,
                );
            }
        }
        let investigator = people.saturating_sub(1);
        let look = onset_ms + range_i64(rng, 4, 9) * 60_000;
        if look < end_ms {
            let identity = self.person_identity(rng, investigator, look, false);
            let group = pick(rng, &sys.log_groups()).clone();
            self.push(look, identity.clone(), "logs.amazonaws.com", "StartQuery", "AWS Internal",
                json!({"logGroupNames": [group], "startTime": (look - 3_600_000) / 1000, "endTime": look / 1000, "queryString": "fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc | limit 100"}),
                json!({"queryId": uuid(rng)}), true, None);
        }
        self.benign_writes(rng, start_ms, end_ms);
        self.key_usage(rng, start_ms, end_ms);
    }

    fn benign_writes(&mut self, rng: &mut SimRng, start_ms: i64, end_ms: i64) {
        let sys = self.sys;
        let span = (end_ms - start_ms).max(1);
        let count = range_i64(rng, 3, 7);
        for _ in 0..count {
            let at = start_ms + range_i64(rng, 0, span);
            let (identity, agent) = self.actor_identity(rng, &Actor::Iac, at);
            let workload = pick(rng, &sys.workloads);
            match range_i64(rng, 0, 5) {
                0 => self.push(at, identity, "s3.amazonaws.com", "PutBucketTagging", &agent,
                    json!({"bucketName": format!("{}-{}-artifacts", sys.company.slug, sys.namer.style.env_word()), "Tagging": {"TagSet": {"Tag": [{"Key": "cost-center", "Value": format!("cc-{}", range_i64(rng, 100, 999))}]}}}), Value::Null, false, None),
                1 => self.push(at, identity, "logs.amazonaws.com", "PutRetentionPolicy", &agent,
                    json!({"logGroupName": workload.log_group, "retentionInDays": *pick(rng, &[14, 30, 90, 365])}), Value::Null, false, None),
                2 => self.push(at, identity, "monitoring.amazonaws.com", "PutMetricAlarm", &agent,
                    json!({"alarmName": format!("{}-{}-{}", sys.namer.style.env_word(), workload.domain.plural, pick(rng, &["duration-p95", "iterator-age", "throttles", "4xx-rate"])), "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 3, "period": 60}), Value::Null, false, None),
                3 => {
                    let arn = sys.arn("lambda", &format!("function:{}", workload.name()));
                    self.push(at, identity, "lambda.amazonaws.com", "TagResource20170331v2", &agent,
                        json!({"resource": arn, "tags": {"owner": format!("team-{}", workload.domain.plural), "managed-by": sys.iac.to_lowercase()}}), Value::Null, false, None);
                }
                _ => self.push(at, identity, "ec2.amazonaws.com", "CreateTags", &agent,
                    json!({"resourcesSet": {"items": [{"resourceId": format!("sg-0{}", hex(rng, 16))}]}, "tagSet": {"items": [{"key": "Name", "value": format!("{}-sg", workload.domain.plural)}]}}), json!({"_return": true}), false, None),
            }
        }
        // An engineer tweaks an unrelated parameter.
        let at = start_ms + range_i64(rng, 0, span);
        let person = range_i64(rng, 0, sys.people.len() as i64 - 1) as usize;
        let other = pick(
            rng,
            &["feature-flags/new-checkout-banner", "log-level", "maintenance-window", "rate-limits/partner-api"],
        );
        let planned = PlannedChange {
            at_ms: at,
            actor: Actor::Person(person),
            change: Change::PutParameter {
                name: format!("/{}/{}/{other}", sys.namer.style.env_word(), pick(rng, &sys.workloads).domain.plural),
            },
        };
        self.change(rng, &planned);
    }

    /// Records sorted by time.
    pub fn finish(mut self) -> Vec<Value> {
        self.records.sort_by_key(|(at, _)| *at);
        self.records.into_iter().map(|(_, record)| record).collect()
    }
}

const LAMBDA_BOTO_AGENT: &str = "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.145";

/// Bucket policies, secret rotations, AppConfig deployments and parameter groups.
impl Trail<'_> {
    fn data_change(
        &mut self,
        rng: &mut SimRng,
        planned: &PlannedChange,
        identity: Value,
        agent: &dyn Fn(&str) -> String,
    ) {
        let at = planned.at_ms;
        let sys = self.sys;
        match &planned.change {
            Change::PutBucketPolicy { bucket, policy } => {
                let host = format!("{bucket}.s3.{}.amazonaws.com", sys.region);
                let resources = json!([{"accountId": sys.account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]);
                self.push(
                    at - range_i64(rng, 40_000, 300_000),
                    identity.clone(),
                    "s3.amazonaws.com",
                    "GetBucketPolicy",
                    &agent("s3api.get-bucket-policy"),
                    json!({"bucketName": bucket, "Host": host, "policy": ""}),
                    Value::Null,
                    true,
                    Some(resources.clone()),
                );
                let text = policy.to_string();
                self.push(
                    at,
                    identity,
                    "s3.amazonaws.com",
                    "PutBucketPolicy",
                    &agent("s3api.put-bucket-policy"),
                    json!({"bucketPolicy": policy, "bucketName": bucket, "Host": host, "policy": ""}),
                    Value::Null,
                    false,
                    Some(resources),
                );
                if let Some((_, record)) = self.records.last_mut() {
                    record["additionalEventData"] = json!({"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": text.len(), "AuthenticationMethod": "AuthHeader", "x-amz-id-2": format!("{}=", super::random::alnum(rng, 75)), "bytesTransferredOut": 0});
                }
            }
            Change::SecretRotation { secret, arn, rotation_function, version, scheduled } => {
                let resources = json!([{"accountId": sys.account, "type": "AWS::SecretsManager::Secret", "ARN": arn}]);
                if !scheduled {
                    self.push(
                        at,
                        identity,
                        "secretsmanager.amazonaws.com",
                        "RotateSecret",
                        &agent("secretsmanager.rotate-secret"),
                        json!({"secretId": secret}),
                        json!({"aRN": arn, "name": secret, "versionId": version}),
                        false,
                        Some(resources.clone()),
                    );
                }
                self.service_event(
                    at + 300,
                    "secretsmanager.amazonaws.com",
                    "RotationStarted",
                    json!({"SecretId": arn}),
                );
                // The rotation function's own calls, step by step (createSecret, setSecret, testSecret, finishSecret).
                let role = format!("{rotation_function}-role");
                let previous = uuid(rng);
                let calls: [(i64, &str, Value, bool); 10] = [
                    (500, "DescribeSecret", json!({"secretId": arn}), true),
                    (700, "GetSecretValue", json!({"secretId": arn, "versionStage": "AWSCURRENT"}), true),
                    (
                        800,
                        "GetRandomPassword",
                        json!({"excludeCharacters": ":/@\"'\\", "excludePunctuation": false}),
                        true,
                    ),
                    (
                        1_000,
                        "PutSecretValue",
                        json!({"secretId": arn, "clientRequestToken": version, "versionStages": ["AWSPENDING"]}),
                        false,
                    ),
                    (2_000, "DescribeSecret", json!({"secretId": arn}), true),
                    (
                        2_100,
                        "GetSecretValue",
                        json!({"secretId": arn, "versionId": version, "versionStage": "AWSPENDING"}),
                        true,
                    ),
                    (
                        3_600,
                        "GetSecretValue",
                        json!({"secretId": arn, "versionId": version, "versionStage": "AWSPENDING"}),
                        true,
                    ),
                    (4_400, "DescribeSecret", json!({"secretId": arn}), true),
                    (
                        4_500,
                        "UpdateSecretVersionStage",
                        json!({"secretId": arn, "versionStage": "AWSCURRENT", "moveToVersionId": version, "removeFromVersionId": previous}),
                        false,
                    ),
                    (4_600, "DescribeSecret", json!({"secretId": arn}), true),
                ];
                for (offset, name, request, read_only) in calls {
                    let identity = self.role_identity(rng, &role, rotation_function, at + offset);
                    let response = match name {
                        "PutSecretValue" => {
                            json!({"aRN": arn, "name": secret, "versionId": version, "versionStages": ["AWSPENDING"]})
                        }
                        "UpdateSecretVersionStage" => json!({"aRN": arn, "name": secret}),
                        _ => Value::Null,
                    };
                    self.push(
                        at + offset,
                        identity,
                        "secretsmanager.amazonaws.com",
                        name,
                        LAMBDA_BOTO_AGENT,
                        request,
                        response,
                        read_only,
                        Some(resources.clone()),
                    );
                }
                self.service_event(
                    at + 4_900,
                    "secretsmanager.amazonaws.com",
                    "RotationSucceeded",
                    json!({"SecretId": arn}),
                );
            }
            Change::AppConfigDeployment {
                application_id,
                environment_id,
                profile,
                profile_id,
                version,
                strategy_id,
                description,
            } => {
                let created = at - range_i64(rng, 60_000, 360_000);
                self.push(
                    created,
                    identity.clone(),
                    "appconfig.amazonaws.com",
                    "CreateHostedConfigurationVersion",
                    &agent("appconfig.create-hosted-configuration-version"),
                    json!({"applicationId": application_id, "configurationProfileId": profile_id, "content": "HIDDEN_DUE_TO_SECURITY_REASONS", "contentType": "application/json", "latestVersionNumber": version - 1}),
                    json!({"applicationId": application_id, "configurationProfileId": profile_id, "versionNumber": version, "contentType": "application/json"}),
                    false,
                    None,
                );
                let (duration, growth, bake) = match strategy_id.as_str() {
                    "AppConfig.AllAtOnce" => (0, 100.0, 10),
                    "AppConfig.Linear50PercentEvery30Seconds" => (1, 50.0, 1),
                    _ => (10, 20.0, 5),
                };
                let mut request = json!({"applicationId": application_id, "environmentId": environment_id, "deploymentStrategyId": strategy_id, "configurationProfileId": profile_id, "configurationVersion": version.to_string()});
                if let Some(text) = description {
                    request["description"] = json!(text);
                }
                self.push(
                    at,
                    identity,
                    "appconfig.amazonaws.com",
                    "StartDeployment",
                    &agent("appconfig.start-deployment"),
                    request,
                    json!({"applicationId": application_id, "environmentId": environment_id, "deploymentStrategyId": strategy_id, "configurationProfileId": profile_id, "deploymentNumber": range_i64(rng, 3, 80), "configurationName": profile, "configurationLocationUri": "hosted", "configurationVersion": version.to_string(), "deploymentDurationInMinutes": duration, "growthType": "LINEAR", "growthFactor": growth, "finalBakeTimeInMinutes": bake, "state": "DEPLOYING", "percentageComplete": 0.0, "startedAt": clock::console_date(at)}),
                    false,
                    None,
                );
            }
            Change::ModifyDbParameterGroup { group, parameter, value } => {
                self.push(
                    at,
                    identity,
                    "rds.amazonaws.com",
                    "ModifyDBParameterGroup",
                    &agent("rds.modify-db-parameter-group"),
                    json!({"dBParameterGroupName": group, "parameters": [{"parameterName": parameter, "parameterValue": value, "applyMethod": "immediate"}]}),
                    json!({"dBParameterGroupName": group}),
                    false,
                    None,
                );
            }
            _ => {}
        }
    }

    /// A record of something a service did by itself (no caller, no TLS session).
    fn service_event(&mut self, at_ms: i64, source: &str, name: &str, details: Value) {
        let identity = json!({"accountId": self.sys.account, "invokedBy": source});
        self.push(at_ms, identity, source, name, source, Value::Null, Value::Null, false, None);
        if let Some((_, record)) = self.records.last_mut() {
            record["eventType"] = json!("AwsServiceEvent");
            record["additionalEventData"] = details;
            if let Some(fields) = record.as_object_mut() {
                fields.remove("tlsDetails");
            }
        }
    }
}

/// Kinesis shard counts, RDS instance settings, security group rules and Auto Scaling replacements.
impl Trail<'_> {
    fn compute_change(
        &mut self,
        rng: &mut SimRng,
        planned: &PlannedChange,
        identity: Value,
        agent: &dyn Fn(&str) -> String,
    ) {
        let sys = self.sys;
        let at = planned.at_ms;
        match &planned.change {
            Change::UpdateShardCount { stream, from, to } => {
                let arn = sys.arn("kinesis", &format!("stream/{stream}"));
                let resources = json!([{"accountId": sys.account, "type": "AWS::Kinesis::Stream", "ARN": arn}]);
                self.push(
                    at - range_i64(rng, 45_000, 240_000),
                    identity.clone(),
                    "kinesis.amazonaws.com",
                    "DescribeStreamSummary",
                    &agent("kinesis.describe-stream-summary"),
                    json!({"streamName": stream}),
                    Value::Null,
                    true,
                    Some(resources.clone()),
                );
                self.push(
                    at,
                    identity,
                    "kinesis.amazonaws.com",
                    "UpdateShardCount",
                    &agent("kinesis.update-shard-count"),
                    json!({"streamName": stream, "targetShardCount": to, "scalingType": "UNIFORM_SCALING"}),
                    json!({"streamName": stream, "currentShardCount": from, "targetShardCount": to, "streamARN": arn}),
                    false,
                    Some(resources),
                );
            }
            Change::ModifyDbInstance { db, backup_window } => {
                let arn = sys.arn("rds", &format!("db:{db}"));
                self.push(
                    at,
                    identity,
                    "rds.amazonaws.com",
                    "ModifyDBInstance",
                    &agent("rds.modify-db-instance"),
                    json!({"dBInstanceIdentifier": db, "preferredBackupWindow": backup_window, "applyImmediately": false}),
                    json!({"dBInstanceIdentifier": db, "dBInstanceArn": arn, "dBInstanceStatus": "available", "preferredBackupWindow": backup_window, "pendingModifiedValues": {}, "multiAZ": true}),
                    false,
                    Some(json!([{"accountId": sys.account, "type": "AWS::RDS::DBInstance", "ARN": arn}])),
                );
            }
            Change::AuthorizeIngress { group_id, cidr, port, description } => {
                let permission = json!({"ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {}, "ipRanges": {"items": [{"cidrIp": cidr, "description": description}]}, "ipv6Ranges": {}, "prefixListIds": {}});
                self.push(
                    at,
                    identity,
                    "ec2.amazonaws.com",
                    "AuthorizeSecurityGroupIngress",
                    &agent("ec2.authorize-security-group-ingress"),
                    json!({"groupId": group_id, "ipPermissions": {"items": [permission]}}),
                    json!({"requestId": uuid(rng), "_return": true, "securityGroupRuleSet": {"items": [{"groupOwnerId": sys.account, "groupId": group_id, "securityGroupRuleId": format!("sgr-0{}", hex(rng, 16)), "isEgress": false, "ipProtocol": "tcp", "fromPort": port, "toPort": port, "cidrIpv4": cidr, "description": description}]}}),
                    false,
                    Some(json!([{"accountId": sys.account, "type": "AWS::EC2::SecurityGroup", "ARN": sys.arn("ec2", &format!("security-group/{group_id}"))}])),
                );
            }
            Change::AsgReplace { .. } => self.asg_replacement(rng, planned),
            _ => {}
        }
    }

    /// What Amazon EC2 Auto Scaling records when it replaces unhealthy instances with its service-linked role.
    fn asg_replacement(&mut self, rng: &mut SimRng, planned: &PlannedChange) {
        let Change::AsgReplace { asg, instance_type, terminated, failed_zone, launched, zones } = &planned.change
        else {
            return;
        };
        let at = planned.at_ms;
        let service = "autoscaling.amazonaws.com";
        let mut identity = self.role_identity(rng, "AWSServiceRoleForAutoScaling", "AutoScaling", at);
        identity["invokedBy"] = json!(service);
        let items: Vec<Value> = terminated
            .iter()
            .map(|id| json!({"instanceId": id, "currentState": {"code": 32, "name": "shutting-down"}, "previousState": {"code": 16, "name": "running"}}))
            .collect();
        let request: Vec<Value> = terminated.iter().map(|id| json!({"instanceId": id})).collect();
        self.push(
            at,
            identity.clone(),
            "ec2.amazonaws.com",
            "TerminateInstances",
            service,
            json!({"instancesSet": {"items": request}}),
            json!({"requestId": uuid(rng), "instancesSet": {"items": items}}),
            false,
            None,
        );
        let template = format!("lt-0{}", hex(rng, 16));
        let run_request = |zone: &str| json!({"instancesSet": {"items": [{"minCount": 1, "maxCount": 1}]}, "launchTemplate": {"launchTemplateId": template, "version": "$Default"}, "availabilityZone": zone, "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": [{"key": "aws:autoscaling:groupName", "value": asg}]}]}});
        let mut t = at + range_i64(rng, 3_000, 9_000);
        if let Some(zone) = failed_zone {
            self.push(
                t,
                identity.clone(),
                "ec2.amazonaws.com",
                "RunInstances",
                service,
                run_request(zone),
                Value::Null,
                false,
                None,
            );
            let others: Vec<&str> = zones.iter().map(String::as_str).filter(|z| z != zone).collect();
            if let Some((_, record)) = self.records.last_mut() {
                record["errorCode"] = json!("Server.InsufficientInstanceCapacity");
                record["errorMessage"] = json!(format!(
                    "We currently do not have sufficient {instance_type} capacity in the Availability Zone you requested ({zone}). Our system will be working on provisioning additional capacity. You can currently get {instance_type} capacity by not specifying an Availability Zone in your request or choosing {}.",
                    others.join(", ")
                ));
            }
            t += range_i64(rng, 8_000, 25_000);
        }
        for (id, zone, address) in launched {
            let response = json!({"requestId": uuid(rng), "reservationId": format!("r-0{}", hex(rng, 16)), "ownerId": self.sys.account, "instancesSet": {"items": [{"instanceId": id, "imageId": format!("ami-0{}", hex(rng, 16)), "currentState": {"code": 0, "name": "pending"}, "privateIpAddress": address, "instanceType": instance_type, "placement": {"availabilityZone": zone, "tenancy": "default"}, "launchTime": clock::console_date(t)}]}});
            self.push(
                t,
                identity.clone(),
                "ec2.amazonaws.com",
                "RunInstances",
                service,
                run_request(zone),
                response,
                false,
                None,
            );
            t += range_i64(rng, 1_000, 4_000);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::model::{Needs, SystemBuilder, Template};
    use rand::SeedableRng;

    #[test]
    fn changes_render_with_the_fields_an_analyzer_reads() {
        let mut rng = SimRng::seed_from_u64(4);
        let mut builder = SystemBuilder::new(&mut rng);
        builder.add(&mut rng, Template::ApiLambda, Needs { provisioned_table: true, ..Needs::default() });
        let system = builder.finish();
        let mut trail = Trail::new(&system, 1);
        let planned = PlannedChange {
            at_ms: 1_749_397_073_000,
            actor: Actor::Person(0),
            change: Change::UpdateTable { table: "orders".into(), read: 5, write_before: 40, write_after: 1 },
        };
        trail.change(&mut rng, &planned);
        trail.noise(&mut rng, 1_749_390_000_000, 1_749_397_800_000, 1_749_397_073_000, &[]);
        let records = trail.finish();
        let update = records.iter().find(|r| r["eventName"] == "UpdateTable").expect("UpdateTable");
        assert_eq!(update["requestParameters"]["provisionedThroughput"]["writeCapacityUnits"], 1);
        assert_eq!(update["readOnly"], false);
        assert!(update["userIdentity"]["arn"].as_str().unwrap().contains(system.people[0]));
        assert!(records.iter().filter(|r| r["readOnly"] == true).count() > 5);
        for record in &records {
            for field in ["eventTime", "eventSource", "eventName", "awsRegion", "eventID", "userIdentity"] {
                assert!(!record[field].is_null(), "{field} missing in {record}");
            }
        }
    }
}
