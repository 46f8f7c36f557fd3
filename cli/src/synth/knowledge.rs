//! Knowledge-base documents: runbooks and postmortems, some relevant to the incident's true cause (named after
//! the system's own resources), most about other things (distractors about other services, past outages).

use super::clock;
use super::model::{Cache, Database, DbCredentials, HttpDep, KmsKey, Workload};
use super::naming::{DOMAINS, PROVIDERS};
use super::random::{SimRng, chance, hex, pick, range_i64, weighted};
use super::scenario::{Core, Draft};

/// One markdown document of `knowledge/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub file_name: String,
    pub text: String,
}

fn doc(file_name: String, text: String) -> Doc {
    Doc { file_name, text }
}

fn past_date(draft: &Draft, rng: &mut SimRng) -> String {
    clock::ymd(draft.start_ms - range_i64(rng, 20, 400) * 86_400_000)
}

fn team(workload: &Workload) -> String {
    format!("team-{}", workload.domain.plural)
}

pub fn dynamodb_runbook(draft: &Draft, workload: &Workload, table: &str) -> Doc {
    let function = workload.name();
    let entry = workload.api().map_or_else(|| "the queue".to_string(), |api| format!("`5XXError` on `{}`", api.name));
    doc(
        format!("runbook-{}-dynamodb-throttling.md", workload.domain.plural),
        format!(
            "# Runbook: throttling on the {plural} DynamoDB table\n\n**Table:** `{table}` · **Mode:** provisioned, auto scaling disabled (cost decision) · **Owner:** {team}\n\n## Symptoms\n- `ProvisionedThroughputExceededException` in `/aws/lambda/{function}`; the SDK retries a few times before giving up.\n- {entry} and higher `Duration` on `{function}`.\n\n## Checks\n1. Compare `ConsumedWriteCapacityUnits` / `ConsumedReadCapacityUnits` (Sum per minute, divide by 60) with `ProvisionedWriteCapacityUnits` / `ProvisionedReadCapacityUnits`.\n2. `ThrottledRequests` by operation tells you which access pattern is affected.\n3. Was the capacity changed recently? CloudTrail `UpdateTable` events on the table.\n4. Is it a hot key instead (throttles while consumption is well below capacity)?\n\n## Mitigation\n`aws dynamodb update-table --table-name {table} --provisioned-throughput ReadCapacityUnits=<r>,WriteCapacityUnits=<w>` (region {region})\nor switch to on-demand (`--billing-mode PAY_PER_REQUEST`).\n",
            plural = workload.domain.plural,
            team = team(workload),
            region = draft.system().region,
        ),
    )
}

pub fn lambda_rollback_runbook(draft: &Draft) -> Doc {
    let alias = draft
        .system()
        .workloads
        .iter()
        .filter_map(|w| w.compute.lambda())
        .find_map(|f| f.alias.clone())
        .unwrap_or_else(|| "live".to_string());
    doc(
        "runbook-lambda-rollback.md".to_string(),
        format!(
            "# Runbook: rolling back a Lambda function\n\nProduction traffic goes to the `{alias}` alias of aliased functions (API Gateway integrations use `:{alias}`).\n\n1. Find the previous version: `aws lambda list-versions-by-function --function-name <fn>`.\n2. Point the alias back: `aws lambda update-alias --function-name <fn> --name {alias} --function-version <previous>`.\n3. For functions deployed as `$LATEST` only, redeploy the previous artifact from CI (re-run the last green pipeline).\n4. Confirm `Errors` drops to its usual level and post in #deploys.\n\nA new version shows up in the logs as new log streams (`[<version>]` in the stream name) and in CloudTrail as\n`UpdateFunctionCode` / `PublishVersion` / `UpdateAlias`.\n"
        ),
    )
}

pub fn iam_change_runbook(draft: &Draft) -> Doc {
    doc(
        "runbook-requesting-iam-changes.md".to_string(),
        format!(
            "# Requesting IAM changes\n\nAll IAM changes go through the `platform-iam` {} repository. Open a PR, get a review from #platform, apply from the pipeline.\nOngoing project: remove unused permissions from execution roles based on IAM Access Analyzer findings.\nIf a function starts failing with `AccessDenied` / `AccessDeniedException`, check CloudTrail for `DetachRolePolicy`, `PutRolePolicy`,\n`DeleteRolePolicy` and `CreatePolicyVersion` on its role, and revert through the same repository.\n",
            draft.system().iac
        ),
    )
}

pub fn scaling_runbook(draft: &Draft, workload: &Workload) -> Doc {
    let _ = draft;
    doc(
        format!("runbook-{}-api-capacity.md", workload.domain.plural),
        format!(
            "# Runbook: {} API capacity\n\n`{}` has reserved concurrency so that a spike cannot starve other functions in the account.\nThe reserved value was sized for normal peak traffic plus a margin.\n\nWhen `Throttles` is non-zero and the API returns 5XX:\n1. Check `Count` on the API: is it a genuine spike (campaign, partner batch, bot)? Look at client IPs and user agents in the access log.\n2. Raise reserved concurrency temporarily (`aws lambda put-function-concurrency`), watch the table and downstream providers.\n3. If it is abusive traffic, add a WAF rate-based rule instead.\n",
            workload.domain.plural,
            workload.name()
        ),
    )
}

pub fn memory_postmortem(draft: &Draft, workload: &Workload) -> Doc {
    let mut rng = super::random::SimRng::from_seed_u64(super::random::stable_hash(&[workload.name(), "memory"]));
    doc(
        format!("postmortem-{}-{}-memory.md", past_date(draft, &mut rng), workload.domain.plural),
        format!(
            "# Postmortem: {} service restarts\n\n**Severity:** SEV-3\n\nTasks of `{}` were OOM-killed every few hours; each kill caused a burst of 502s from the load balancer.\nRoot cause: an in-process cache without a size limit. `MemoryUtilization` rose steadily between restarts (a sawtooth).\n\nAction items: cap the cache (done), alarm on `MemoryUtilization` Maximum > 90% (open).\n",
            workload.domain.plural,
            workload.name()
        ),
    )
}

pub fn provider_runbook(draft: &Draft, workload: &Workload, http: &HttpDep) -> Doc {
    let _ = draft;
    doc(
        format!("runbook-{}-degradation.md", http.name),
        format!(
            "# Runbook: {} degradation\n\n{} calls {} at `https://{}` with a {} ms client timeout.\n\n- Status page: https://status.{}\n- Timeouts show up as `timeout of ... exceeded` / `Read timed out` in `{}` and as slow `{}` subsegments in X-Ray.\n- If the provider is slow, enable the fallback flag (`/{}/{}/fallback-enabled`) and open a ticket with their support.\n",
            http.name,
            workload.name(),
            http.purpose,
            http.host,
            http.timeout_ms,
            http.host.split_once('.').map_or(http.host.as_str(), |(_, rest)| rest),
            workload.log_group,
            http.host,
            draft.system().namer.style.env_word(),
            workload.domain.plural
        ),
    )
}

pub fn secret_rotation_runbook(draft: &Draft, provider: &str, secret: &str) -> Doc {
    let _ = draft;
    doc(
        format!("runbook-rotating-{provider}-api-key.md"),
        format!(
            "# Rotating the {provider} API key\n\nThe key lives in Secrets Manager (`{secret}`). Keys expire after 12 months; the provider emails the billing contact 30 days before.\n\n1. Create a new key in the {provider} dashboard (both keys are valid for 24 hours).\n2. `aws secretsmanager put-secret-value --secret-id {secret} --secret-string <new key>`.\n3. Functions cache the secret per execution environment: force new environments (publish a new version or update the configuration).\n4. Revoke the old key only after the consumers picked up the new one.\n\nSymptom of a stale or expired key: HTTP 401 `invalid_api_key` from {provider}.\n"
        ),
    )
}

pub fn throttling_runbook(draft: &Draft) -> Doc {
    let _ = draft;
    doc(
        "runbook-lambda-throttling.md".to_string(),
        "# Runbook: Lambda throttling\n\n`Throttles` > 0 means invocations were rejected because the function hit its reserved concurrency or the account limit.\n\n1. Check the function's reserved concurrency (`aws lambda get-function-concurrency`) and whether it changed recently (CloudTrail `PutFunctionConcurrency`, `DeleteFunctionConcurrency`).\n2. Compare `ConcurrentExecutions` (Maximum) with the limit.\n3. API Gateway returns 500/502 for throttled synchronous invocations; SQS consumers retry, so the queue backs up.\n".to_string(),
    )
}

pub fn db_connectivity_runbook(draft: &Draft, workload: &Workload) -> Doc {
    let db = workload.database().map(|(_, db)| db.id.clone()).unwrap_or_default();
    doc(
        "runbook-database-connectivity.md".to_string(),
        format!(
            "# Runbook: application cannot reach its database\n\nSymptoms: connection timeouts (`ETIMEDOUT`, `timeout expired`, `Connection is not available`), `DatabaseConnections` dropping.\n\n1. Is the instance up? (`aws rds describe-db-instances --db-instance-identifier {db}`)\n2. Security groups: the DB group must allow the app's group on the DB port. Check CloudTrail for `RevokeSecurityGroupIngress` / `ModifyDBInstance`.\n3. Network ACLs and route tables in {} rarely change; check them last.\n",
            draft.system().vpc_id
        ),
    )
}

pub fn dlq_runbook(draft: &Draft, queue: &str, dlq: &str) -> Doc {
    let _ = draft;
    doc(
        format!("runbook-{queue}-dlq.md").to_lowercase(),
        format!(
            "# Runbook: messages in {dlq}\n\nMessages land in `{dlq}` after the consumer failed them `maxReceiveCount` times.\n\n1. Look at the consumer's errors: the `messageId` in the log line identifies the record.\n2. Peek at a DLQ message (do not delete it) to see whether the payload is malformed.\n3. Fix the consumer or the producer, then redrive: `aws sqs start-message-move-task --source-arn <dlq arn>`.\n\nNote: one bad record fails the whole batch unless the consumer reports partial batch failures; the other records of the batch are retried with it.\nWatch `ApproximateAgeOfOldestMessage` on `{queue}`.\n"
        ),
    )
}

pub fn storage_postmortem(draft: &Draft) -> Doc {
    let mut rng =
        super::random::SimRng::from_seed_u64(super::random::stable_hash(&[&draft.system().account, "storage"]));
    let other = pick(&mut rng, DOMAINS).plural;
    doc(
        format!("postmortem-{}-{other}-db-storage-full.md", past_date(draft, &mut rng)),
        format!(
            "# Postmortem: {other} database ran out of storage\n\n**Severity:** SEV-2\n\n`{other}-db` (RDS) reached 100% of its allocated storage. Writes failed with `No space left on device` for 41 minutes until storage was increased.\n\nRoot cause: a nightly export wrote a large temporary table; storage autoscaling was disabled.\n\nAction items: enable storage autoscaling; alarm on `FreeStorageSpace < 20%`.\n"
        ),
    )
}

pub fn lambda_timeout_runbook(draft: &Draft) -> Doc {
    let _ = draft;
    doc(
        "runbook-lambda-timeouts.md".to_string(),
        "# Runbook: Lambda timeouts\n\n`Task timed out after N seconds` means the invocation ran longer than the function's timeout.\n\n- Check the function configuration history (CloudTrail `UpdateFunctionConfiguration`): timeout, memory, environment variables such as client timeouts.\n- Compare `Duration` (Average, Maximum) with the configured timeout.\n- Downstream slowness looks similar; check X-Ray subsegments before raising the timeout.\n".to_string(),
    )
}

pub fn load_test_announcement(
    draft: &Draft,
    workload: &Workload,
    start_ms: i64,
    length_ms: i64,
    multiplier: f64,
) -> Doc {
    let api = workload.api().map_or_else(|| workload.name().to_string(), |api| api.name.clone());
    let person = draft.system().person(1);
    doc(
        format!("load-test-{}-{}.md", clock::ymd(start_ms), workload.domain.plural),
        format!(
            "# Load test: {api}, {date}\n\n**Owner:** {person} · **Announced in:** #eng-announcements\n\nWe will run a k6 load test against `{api}` on {date} from {from} to {to} UTC (about {multiplier:.0}x normal traffic, user agent `k6`).\nExpect higher latency (p99 up to a few seconds while new execution environments start) and alarms on request volume and latency.\nThis is planned: errors below 1% and p99 below 5 s are within the test's acceptance criteria. Do not page the {plural} team for these alarms during the window.\n",
            date = clock::ymd(start_ms),
            from = clock::hh_mm(start_ms - 5 * 60_000),
            to = clock::hh_mm(start_ms + length_ms + 10 * 60_000),
            plural = workload.domain.plural,
        ),
    )
}

pub fn ecs_rollback_runbook(draft: &Draft) -> Doc {
    let _ = draft;
    doc(
        "runbook-ecs-rollback.md".to_string(),
        "# Runbook: rolling back an ECS service\n\nDeployments register a new task definition revision and call `UpdateService` (CloudTrail: `RegisterTaskDefinition`, `UpdateService`).\nNew tasks log to new log streams (`ecs/<container>/<task id>`).\n\n1. `aws ecs describe-services` shows the PRIMARY and ACTIVE deployments.\n2. Roll back: `aws ecs update-service --task-definition <family>:<previous revision>`.\n3. The deployment circuit breaker only catches tasks that fail health checks, not application errors.\n".to_string(),
    )
}

pub fn internal_dns_runbook(draft: &Draft, zone: &str) -> Doc {
    let _ = draft;
    doc(
        "runbook-internal-dns.md".to_string(),
        format!(
            "# Runbook: internal service discovery\n\nInternal services are reached through CNAMEs in the private hosted zone `{zone}` (Route 53), managed by the platform team.\nRecords have a TTL of 60 s.\n\n- `ENOTFOUND` / `Name or service not known` / `UnknownHostException` for a `*.{zone}` name: check the record (`aws route53 list-resource-record-sets`) and CloudTrail `ChangeResourceRecordSets`.\n- Restore the record from the IaC repository rather than by hand.\n"
        ),
    )
}

/// Documents about other things: past outages and runbooks that mention other services.
pub fn kms_key_runbook(draft: &Draft, workload: &Workload, key: &KmsKey) -> Doc {
    let what = if key.service == "s3" { "bucket" } else { "table" };
    doc(
        format!("runbook-kms-customer-managed-keys-{}.md", workload.domain.plural),
        format!(
            "# Runbook: customer-managed KMS keys of the {plural} data\n\n**Owner:** {team} · **Region:** {region}\n\nThe {what} `{resource}` is encrypted with `{alias}`. If the key is disabled or scheduled for deletion, every read and write of the {what} fails once the service's cached data key expires (a few minutes for DynamoDB, at once for S3). After 7 days without key access DynamoDB archives the table.\n\n## Symptoms\n- `KMS key disabled error` / `KMS key invalid state error` (DynamoDB, as `ValidationException`), `KMS.DisabledException` / `KMS.KMSInvalidStateException` (S3).\n- Failed `Decrypt` / `GenerateDataKey` calls in CloudTrail with `errorCode` `DisabledException` or `KMSInvalidStateException`.\n\n## Checks\n1. `aws kms describe-key --key-id {alias}`: `KeyState` must be `Enabled`.\n2. CloudTrail: `DisableKey`, `ScheduleKeyDeletion`, `PutKeyPolicy`, `RevokeGrant` on the key.\n\n## Mitigation\n`aws kms enable-key --key-id <key id>`, or `aws kms cancel-key-deletion --key-id <key id>` followed by `enable-key`.\nNever disable a key before checking `aws kms list-aliases` and the resources that use it.\n",
            plural = workload.domain.plural,
            team = team(workload),
            region = draft.system().region,
            resource = key.resource,
            alias = key.alias,
        ),
    )
}

pub fn db_connections_runbook(draft: &Draft, workload: &Workload, db: &Database) -> Doc {
    let _ = draft;
    let (error, parameter) = if db.engine.is_postgres() {
        (
            "FATAL: sorry, too many clients already",
            "max_connections (default LEAST({DBInstanceClassMemory/9531392}, 5000))",
        )
    } else {
        ("Too many connections (1040)", "max_connections (default {DBInstanceClassMemory/12582880})")
    };
    doc(
        format!("runbook-{}-database-connections.md", workload.domain.plural),
        format!(
            "# Runbook: connection limits of {id}\n\n**Owner:** {team}\n\nEvery task of the {plural} service keeps its own connection pool, so the connections the database sees are roughly tasks x pool size. The instance allows `{parameter}` minus a few reserved slots.\n\n## Symptoms\n- `{error}` in the application logs (and in the RDS log for PostgreSQL).\n- `DatabaseConnections` flat at its ceiling while requests fail.\n\n## Checks\n1. How many tasks are running, and did the desired count change (CloudTrail `UpdateService`, `RegisterScalableTarget`)?\n2. Pool size per task x tasks vs `max_connections` (`SHOW max_connections;`).\n\n## Mitigation\nScale the service back, lower the pool size per task, or put RDS Proxy in front of the instance. Raising `max_connections` needs a parameter group change and a reboot.\n",
            id = db.id,
            team = team(workload),
            plural = workload.domain.plural,
        ),
    )
}

pub fn provider_rate_limit_runbook(draft: &Draft, workload: &Workload, http: &HttpDep) -> Doc {
    doc(
        format!("runbook-{}-rate-limits.md", http.name),
        format!(
            "# Runbook: {name} rate limits\n\n{function} calls the {name} API (`https://{host}`) with one API key for the whole {env} environment. The plan limits requests per minute per key; over the limit {name} answers `429 Too Many Requests` with a `Retry-After` header until the minute ends.\n\n- Our client does not retry 429s (the request fails with a 5xx to the caller).\n- Usage and the current plan limit are on the {name} dashboard (Billing -> Usage); plan changes are announced by email to the account owner.\n- If we are over the limit: enable request shedding for non-critical calls (`/{env}/{plural}/provider-shedding`) and contact {name} support.\n",
            name = http.name,
            function = workload.name(),
            host = http.host,
            env = draft.system().namer.style.env_word(),
            plural = workload.domain.plural,
        ),
    )
}

pub fn lambda_configuration_runbook(draft: &Draft) -> Doc {
    let _ = draft;
    doc(
        "runbook-lambda-configuration-changes.md".to_string(),
        "# Runbook: Lambda configuration changes\n\nEnvironment variables hold table names, queue URLs and base URLs of the services a function calls. `UpdateFunctionConfiguration` replaces the whole set of variables and starts new execution environments at once, without a new code version.\n\n- CloudTrail records `UpdateFunctionConfiguration20150331v2` but omits the variable values; compare with `aws lambda get-function-configuration` and the values in the infrastructure code.\n- Typical errors after a wrong value: `ResourceNotFoundException` (table name), `QueueDoesNotExist` / `NonExistentQueue` (queue URL), `ENOTFOUND` / `Name or service not known` (base URL).\n- Roll back by re-applying the last known configuration from the infrastructure code.\n".to_string(),
    )
}

pub fn network_acl_runbook(draft: &Draft, workload: &Workload, db: &Database, acl_id: &str) -> Doc {
    doc(
        format!("runbook-{}-network-acls.md", workload.domain.plural),
        format!(
            "# Runbook: network ACLs of the data subnets\n\n**Owner:** platform · **VPC:** {vpc}\n\nThe data subnets (RDS, ElastiCache) share the network ACL `{acl_id}`. Rules are evaluated in ascending rule number; the first match wins, and the application subnets are allowed from rule 100 on. Network ACLs are stateless: a DENY also cuts established connections (return traffic included).\n\n## Symptoms\n- Connection timeouts to `{endpoint}` from every task at once (`ETIMEDOUT`, `timeout expired`, `Communications link failure`), no errors in the database log.\n- `DatabaseConnections` falls to zero while the instance is healthy.\n\n## Checks\n1. `aws ec2 describe-network-acls --network-acl-ids {acl_id}`: look for DENY entries numbered below 100.\n2. CloudTrail: `CreateNetworkAclEntry`, `ReplaceNetworkAclEntry`, `DeleteNetworkAclEntry`, `ReplaceNetworkAclAssociation`.\n3. VPC Flow Logs show `REJECT` for the application subnets on port {port}.\n\n## Mitigation\n`aws ec2 delete-network-acl-entry --network-acl-id {acl_id} --rule-number <n> --ingress`, then fix the rule in {iac}.\n",
            vpc = draft.system().vpc_id,
            endpoint = db.endpoint,
            port = db.engine.port(),
            iac = draft.system().iac,
        ),
    )
}

pub fn database_failover_runbook(workload: &Workload, db: &Database) -> Doc {
    let aurora = db.engine == super::model::DbEngine::AuroraPostgres;
    let topology = if aurora {
        "an Aurora cluster with one reader in another Availability Zone; the cluster endpoint follows the writer"
    } else {
        "a Multi-AZ instance: a synchronous standby in another Availability Zone takes over when the primary fails"
    };
    doc(
        format!("runbook-{}-database-failover.md", workload.domain.plural),
        format!(
            "# Runbook: failover of {id}\n\n**Owner:** {team} · **Engine:** {engine}\n\n`{id}` is {topology}. A failover takes 30-120 s: the endpoint `{endpoint}` points at the new primary once DNS is updated (TTL 5 s).\n\n## Symptoms\n- A burst of connection errors in `{group}`: `Connection refused`, `server closed the connection unexpectedly`, `terminating connection due to administrator command`, `Communications link failure`.\n- `DatabaseConnections` drops to about zero for a minute or two, then recovers.\n- Higher query latency for several minutes afterwards (cold buffer cache), visible in `ReadIOPS` / `ReadLatency`.\n\n## Checks\n1. `aws rds describe-events --source-identifier {id} --source-type {source} --duration 120`: look for `Multi-AZ instance failover started/completed` or `Started cross AZ failover`.\n2. The database log group shows the shutdown and the start of the new primary.\n3. CloudTrail: a `RebootDBInstance` with `forceFailover` or a `FailoverDBCluster` means someone triggered it; otherwise it was AWS.\n\n## Mitigation\nNothing to undo once it recovered. Make sure the pools validate connections and retry; open an AWS support case for the root cause of the host failure.\n",
            id = db.id,
            team = team(workload),
            engine = db.engine.label(),
            endpoint = db.endpoint,
            group = workload.log_group,
            source = if aurora { "db-cluster" } else { "db-instance" },
        ),
    )
}

pub fn redis_memory_runbook(workload: &Workload, cache: &Cache, db: &Database) -> Doc {
    doc(
        format!("runbook-{}-redis-cache.md", workload.domain.plural),
        format!(
            "# Runbook: {id} (ElastiCache for Redis OSS)\n\n**Owner:** {team} · **Node type:** {node} · **Parameter group:** default.redis7 (`maxmemory-policy volatile-lru`)\n\n`{service}` keeps lookups in the cache (cache-aside, keys with a TTL of 5-15 minutes) and the idempotency keys of create requests (`SET NX EX 86400`). Reads fall back to `{db}` on a miss.\n\n## Symptoms of a full node\n- `DatabaseMemoryUsagePercentage` at 100%, `Evictions` above zero, `CacheHitRate` falling.\n- Writes refused with `OOM command not allowed when used memory > 'maxmemory'.` (ioredis `ReplyError`, redis-py `OutOfMemoryError`, Lettuce `RedisCommandExecutionException`).\n- More load and latency on `{db}` as lookups miss.\n\n## Checks\n1. `INFO memory` and `INFO keyspace` on `{endpoint}`: `used_memory` against `maxmemory`, `expires` against `keys`. Under volatile-lru only keys with a TTL can be evicted.\n2. `redis-cli --bigkeys`, or `SCAN` with `TTL` per key pattern, to find what is stored without expiry.\n\n## Mitigation\nScale the node up (`aws elasticache modify-replication-group --replication-group-id {id} --cache-node-type <larger> --apply-immediately`) or `UNLINK` the keys without a TTL by pattern, then fix the code path that writes them.\n",
            id = cache.id,
            team = team(workload),
            node = cache.node_type,
            service = workload.name(),
            db = db.id,
            endpoint = cache.endpoint,
        ),
    )
}

pub fn bucket_policy_runbook(draft: &Draft, workload: &Workload, bucket: &str, endpoint_id: &str) -> Doc {
    doc(
        format!("runbook-{bucket}-access.md"),
        format!(
            "# Runbook: access to {bucket}\n\n**Owner:** {team} · **Bucket policy:** managed in {iac}\n\n`{function}` reads and writes the bucket from the VPC `{vpc}` through the S3 gateway endpoint `{endpoint_id}`. The bucket policy denies requests without TLS. An explicit Deny in a bucket policy wins over every Allow of an IAM policy.\n\n## Symptoms\n- `AccessDenied` with `... with an explicit deny in a resource-based policy`: a bucket policy statement denies (an IAM problem reads `because no identity-based policy allows ...` instead).\n\n## Checks\n1. `aws s3api get-bucket-policy --bucket {bucket}`\n2. CloudTrail: `PutBucketPolicy`, `DeleteBucketPolicy`, `PutPublicAccessBlock` on the bucket.\n3. Conditions must match how we call S3: `aws:SourceVpce` = `{endpoint_id}`, function roles present in `aws:PrincipalArn` lists, no encryption header required that the SDK does not send.\n\n## Mitigation\nRe-apply the policy from {iac}, or remove the faulty statement with `aws s3api put-bucket-policy`.\n",
            team = team(workload),
            iac = draft.system().iac,
            function = workload.name(),
            vpc = draft.system().vpc_id,
        ),
    )
}

pub fn db_credentials_runbook(workload: &Workload, db: &Database, credentials: &DbCredentials) -> Doc {
    let error = if db.engine.is_postgres() {
        "`password authentication failed for user \"app\"` (SQLSTATE 28P01)"
    } else {
        "`Access denied for user 'app'@'<address>' (using password: YES)` (error 1045)"
    };
    doc(
        format!("runbook-{}-database-credentials.md", workload.domain.plural),
        format!(
            "# Runbook: database credentials of {service}\n\n**Owner:** {team}\n\nThe `{service}` tasks connect to `{db}` as the user `app`. Its password is kept in Secrets Manager (`{secret}`) and injected into the containers when a task starts (the task definition's `secrets`). Rotation: every 30 days, by the single-user rotation function `{function}` (createSecret, setSecret, testSecret, finishSecret).\n\nRunning tasks keep the password they started with, and their connection pools keep working connections open. After every rotation the service needs a new deployment (`aws ecs update-service --cluster <cluster> --service {service} --force-new-deployment`); this step is still manual.\n\n## Symptoms of a stale password\n- {error} in `{group}`, growing as the pools replace their connections.\n- `DatabaseConnections` falling while the instance is healthy.\n\n## Checks\nCloudTrail: `RotateSecret`, `RotationStarted`, `PutSecretValue`, `UpdateSecretVersionStage`, `RotationSucceeded` on the secret; the log group `/aws/lambda/{function}`.\n",
            service = workload.name(),
            team = team(workload),
            db = db.id,
            secret = credentials.name,
            function = credentials.rotation_function,
            group = workload.log_group,
        ),
    )
}

/// Where a workload's feature flags live and how they are switched, in the team's words.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagStore {
    /// `SSM Parameter Store under /prod/orders/feature-flags/`
    pub place: String,
    /// How long the application caches what it read, seconds.
    pub cache_s: u32,
    /// How to switch a flag off.
    pub switch_off: String,
    /// The CloudTrail events that record a change.
    pub audit: &'static str,
}

pub fn feature_flag_runbook(workload: &Workload, store: &FlagStore) -> Doc {
    doc(
        format!("runbook-{}-feature-flags.md", workload.domain.plural),
        format!(
            "# Runbook: feature flags of {service}\n\n**Owner:** {team}\n\nFlags live in {place}. `{service}` reads them at run time and caches them for {cache_s} s, so a change takes effect within minutes, without a deployment. New features ship dark and are switched on by the product team.\n\n- Switching a flag on is a production change: announce it in #releases and watch the 5XX rate for 15 minutes.\n- Switching a flag off: {switch_off}.\n- Who changed what and when: CloudTrail ({audit}).\n",
            service = workload.name(),
            team = team(workload),
            place = store.place,
            cache_s = store.cache_s,
            switch_off = store.switch_off,
            audit = store.audit,
        ),
    )
}

/// A daily report job's page in the knowledge base: when it runs and what it does to the database every day.
pub fn report_job_runbook(workload: &Workload, job: &Workload, db: &Database, at_min: u32) -> Doc {
    let rule = match &job.entry {
        super::model::Entry::Schedule(schedule) => schedule.rule.clone(),
        _ => String::new(),
    };
    let time = |minutes: u32| format!("{:02}:{:02}", minutes / 60 % 24, minutes % 60);
    doc(
        format!("runbook-{}-daily-report.md", workload.domain.plural),
        format!(
            "# Runbook: daily {plural} report\n\n**Owner:** {team} (data) · **Schedule:** every day at {start} UTC (EventBridge Scheduler `{rule}`)\n\nThe Lambda function `{job}` runs the report's aggregate queries directly on the primary `{db}` (there is no read replica yet) for 6-15 minutes, then uploads the result to S3.\n\n**Expected while it runs:** `CPUUtilization` of `{db}` at 50-85% and slower responses from `{service}` (p99 up to about a second). The single-datapoint alarms on the database CPU and on the `{service}` latency fire on some days between {start} and {until} UTC. This is known and needs no action as long as errors stay at their usual level and everything is back to normal by {until}. Moving the report to a read replica is planned.\n\nPage the owner only if a run takes longer than 30 minutes or 5XX responses rise.\n",
            plural = workload.domain.plural,
            team = team(workload),
            start = time(at_min),
            until = time(at_min + 20),
            job = job.name(),
            db = db.id,
            service = workload.name(),
        ),
    )
}

pub fn cpu_saturation_runbook(workload: &Workload, service: &super::model::EcsService) -> Doc {
    let runtime_sign = match service.style.runtime() {
        super::model::Runtime::Java => "`HikariPool-1 - Thread starvation or clock leap detected` warnings",
        super::model::Runtime::Python => "asyncio `Executing <Task ...> took N seconds` warnings",
        super::model::Runtime::Node => "`event loop blocked` warnings",
    };
    doc(
        format!("runbook-{}-service-cpu.md", workload.domain.plural),
        format!(
            "# Runbook: CPU of {name}\n\n**Owner:** {team} · **Cluster:** {cluster} · **Tasks:** {tasks} x {cpu} CPU units, fixed desired count (no service auto scaling yet)\n\n## Symptoms\n- `CPUUtilization` of the service (AWS/ECS, ClusterName/ServiceName) near 100%, `TargetResponseTime` climbing.\n- Targets failing the load balancer health check (`UnHealthyHostCount`); ECS stops them (\"Task failed ELB health checks\") and starts new tasks, which fill up again.\n- `HTTPCode_ELB_5XX_Count` (502/503/504) while no healthy target is left; {runtime_sign} in `{group}`.\n\n## Checks\n1. Was anything deployed? CloudTrail `RegisterTaskDefinition` / `UpdateService`. A climb without a deployment usually means a code path got expensive for some data.\n2. Which requests are slow? The service logs a warning with the path and duration of requests slower than a second.\n3. Is the database slow instead? Compare `TargetResponseTime` with the database's `ReadLatency` and `CPUUtilization`.\n\n## Mitigation\nScale out first: `aws ecs update-service --cluster {cluster} --service {name} --desired-count <n>` (or a bigger task size), then fix the hot path and add target tracking on CPU.\n",
            name = service.service,
            team = team(workload),
            cluster = service.cluster,
            tasks = service.tasks,
            cpu = service.cpu_units,
            group = workload.log_group,
        ),
    )
}

/// `peak_percent`: how much of the stream's write capacity its usual peak takes.
pub fn kinesis_runbook(
    draft: &Draft,
    stream: &super::model::KinesisStream,
    producer: &str,
    consumer: &str,
    peak_percent: f64,
) -> Doc {
    doc(
        "runbook-kinesis-domain-events.md".to_string(),
        format!(
            "# Runbook: the Kinesis stream {name}\n\n**Owner:** platform · **Mode:** provisioned, {shards} shards · **Region:** {region}\n\nEvery service publishes its domain events to `{name}`; `{consumer}` (and the analytics export) read it. A shard takes at most 1,000 records or 1 MiB per second of writes and 2 MiB per second of reads; peak traffic uses about {peak:.0}% of the current shards.\n\n## Symptoms\n- `WriteProvisionedThroughputExceeded` above zero; writers (`{producer}`, ...) log `ProvisionedThroughputExceededException: Rate exceeded for shard shardId-... in stream {name} under account ...` once the SDK's retries are used up.\n- `GetRecords.IteratorAgeMilliseconds` and the consumer's Lambda `IteratorAge` growing: the event source mapping processes one batch per shard at a time, so fewer shards also means less consumer parallelism.\n\n## Checks\n1. `aws kinesis describe-stream-summary --stream-name {name}`: `OpenShardCount`, `StreamStatus`.\n2. CloudTrail: `UpdateShardCount`, `MergeShards`, `SplitShard`, `UpdateStreamMode` on the stream.\n3. `IncomingRecords` / `IncomingBytes` (Sum per minute) against shards x 60,000 records or 60 MiB.\n\n## Mitigation\n`aws kinesis update-shard-count --stream-name {name} --target-shard-count <n> --scaling-type UNIFORM_SCALING` (at most double or half per call; takes a few minutes), or switch the stream to on-demand mode. Do not lower the shard count without checking the peak of `IncomingRecords`.\n",
            name = stream.name,
            shards = stream.shards,
            region = draft.system().region,
            peak = (peak_percent / 5.0).round() * 5.0,
        ),
    )
}

pub fn zone_impairment_runbook(
    workload: &Workload,
    service: &super::model::EcsService,
    capacity: &super::model::Ec2Capacity,
    load_balancer: &str,
) -> Doc {
    let zones: Vec<String> = capacity.zones.iter().map(|(zone, id)| format!("{zone} ({id})")).collect();
    doc(
        format!("runbook-{}-availability-zones.md", workload.domain.plural),
        format!(
            "# Runbook: losing an Availability Zone under {name}\n\n**Owner:** {team} · **Capacity:** Auto Scaling group `{asg}` ({instance_type}, EC2 health checks) in {zones}, behind `{lb}`\n\n## Symptoms\n- `UnHealthyHostCount` of the target group for one `AvailabilityZone` only; `HTTPCode_ELB_502_Count` / `HTTPCode_ELB_504_Count` on the load balancer (the target did not answer within the 10 s connect timeout).\n- `StatusCheckFailed_System` = 1 (AWS/EC2, per `InstanceId`) on the instances of that zone: a problem of the AWS host or network, not of our code.\n- The AWS Health Dashboard names zone ids (`{first_id}`), not zone names: map them with `aws ec2 describe-availability-zones`.\n\n## Checks\n1. Are all failing instances in one zone? `aws ec2 describe-instance-status --include-all-instances --filters Name=availability-zone,Values=<zone>`.\n2. Did the group replace them? CloudTrail `TerminateInstances` / `RunInstances` by `autoscaling.amazonaws.com`; a launch may fail with `InsufficientInstanceCapacity` in the impaired zone.\n3. Compare the zones: when only one zone's targets fail, check AWS Health before our own changes.\n\n## Mitigation\nShift traffic away from the zone: `aws arc-zonal-shift start-zonal-shift --resource-identifier <load balancer ARN> --away-from <zone id> --expires-in 3h --comment \"AZ impairment\"`, and suspend the group's `AZRebalance` process until AWS resolves the event.\n",
            name = service.service,
            team = team(workload),
            asg = capacity.asg,
            instance_type = capacity.instance_type,
            zones = zones.join(", "),
            lb = load_balancer,
            first_id = capacity.zones.first().map_or("use1-az1", |(_, id)| id.as_str()),
        ),
    )
}

pub fn lambda_memory_runbook(draft: &Draft) -> Doc {
    doc(
        "runbook-lambda-memory-settings.md".to_string(),
        format!(
            "# Runbook: Lambda memory settings\n\nMemory size also sets a function's CPU: 1,769 MB is one full vCPU, 128 MB about a fourteenth of one. Lowering memory makes handlers and cold starts slower, not only tighter on memory.\n\n- Every invocation's `REPORT` line shows `Memory Size` and `Max Memory Used`. `Max Memory Used` is sampled and misses short peaks: keep 30-50% headroom over the highest value seen.\n- An invocation that runs out of memory ends with `Error: Runtime exited with error: signal: killed` / `Runtime.ExitError`; its `REPORT` shows `Max Memory Used` equal to `Memory Size` and `Error Type: Runtime.OutOfMemory`.\n- Less CPU shows as a higher `Duration` and as `Task timed out after N seconds`.\n- History: CloudTrail `UpdateFunctionConfiguration20150331v2` with `memorySize` in the request parameters. Memory changes go through {iac}; cost reviews use Lambda Power Tuning, not the console.\n",
            iac = draft.system().iac,
        ),
    )
}

fn distractor(rng: &mut SimRng, draft: &Draft, which: usize) -> Doc {
    let used: Vec<&str> = draft.system().workloads.iter().map(|w| w.domain.plural).collect();
    let other = loop {
        let domain = pick(rng, DOMAINS);
        if !used.contains(&domain.plural) {
            break domain.plural;
        }
    };
    let provider = pick(rng, PROVIDERS);
    let date = past_date(draft, rng);
    match which {
        0 => doc(
            format!("postmortem-{date}-{}-provider-outage.md", provider.name),
            format!(
                "# Postmortem: {} outage\n\n**Severity:** SEV-3\n\nThe {} {} returned 503 for 47 minutes. `{other}-api` degraded gracefully (cached results), alarms fired on latency.\nAction item: shorter client timeout and a circuit breaker.\n",
                provider.name, provider.purpose, provider.name
            ),
        ),
        1 => doc(
            format!("postmortem-{date}-nat-port-exhaustion.md"),
            format!(
                "# Postmortem: NAT gateway port allocation errors\n\n**Severity:** SEV-2\n\nOutbound calls from private subnets failed intermittently with `ETIMEDOUT`/`ECONNRESET`.\n`ErrorPortAllocation` on NAT gateway `nat-0{}` was non-zero: the {other} batch job opened >55,000 concurrent\nconnections to a single partner IP.\n\nFix: connection pooling in the batch job, second NAT gateway per AZ, alarm on `ErrorPortAllocation > 0`.\n",
                hex(rng, 16)
            ),
        ),
        2 => doc(
            "runbook-lambda-cold-starts.md".to_string(),
            "# Runbook: Lambda cold starts\n\n`Init Duration` in REPORT lines is the cold start. Java functions take 2-4 s, Node.js and Python a few hundred ms.\nA deployment or a configuration update replaces every execution environment, so expect a wave of cold starts right after it.\nProvisioned concurrency removes cold starts for latency-critical functions; it is enabled nowhere yet.\n".to_string(),
        ),
        3 => doc(
            format!("runbook-{other}-4xx-after-client-release.md"),
            format!(
                "# Runbook: 4XX spike after a mobile client release\n\nA new app version can send requests the {other} API rejects (`400 validation failed`, `401` for expired tokens).\nCheck the `4XXError` metric together with the user agent in the access logs: a single app version\ndominating the 4XX responses points at the client, not the backend. Contact #mobile; do not roll back the API.\n"
            ),
        ),
        4 => doc(
            format!("postmortem-{date}-search-cluster-yellow.md"),
            format!(
                "# Postmortem: search cluster yellow\n\n**Severity:** SEV-3\n\nThe OpenSearch domain behind {other} search went yellow after a node was replaced; replica shards were unassigned\nfor 25 minutes and query latency doubled. No data loss.\n\nAction items: dedicated master nodes, alarm on `ClusterStatus.yellow`.\n"
            ),
        ),
        5 => doc(
            "runbook-dynamodb-hot-partitions.md".to_string(),
            format!(
                "# Runbook: DynamoDB hot partitions\n\nThrottling while consumed capacity is well below provisioned capacity means one partition key gets too much traffic\n(seen on the `{other}` table during a flash sale). Use CloudWatch Contributor Insights to find the key; spread writes with a suffix.\n"
            ),
        ),
        6 => doc(
            format!("postmortem-{date}-{other}-bad-config-push.md"),
            format!(
                "# Postmortem: {other} feature flag misconfiguration\n\n**Severity:** SEV-3\n\nA feature flag in SSM Parameter Store (`/{}/{other}/feature-flags`) was set to an invalid JSON value; the {other} service\nfell back to defaults and showed the old checkout page for 20 minutes. Detected by a customer.\n\nAction items: schema validation for flags; flags changes need a review.\n",
                draft.system().namer.style.env_word()
            ),
        ),
        _ => doc(
            "runbook-certificate-renewal.md".to_string(),
            "# Runbook: certificate renewal\n\nPublic certificates of our own domains are issued by ACM and renew automatically (DNS validation).\nPartner APIs manage their own certificates; if a partner's certificate expires, calls fail with TLS errors and only the partner can fix it — use the fallback path and contact them.\n".to_string(),
        ),
    }
}

/// The knowledge base of one bundle: 1–4 documents, the relevant one only sometimes.
pub fn pick_documents(rng: &mut SimRng, draft: &Draft, core: &Core) -> Vec<Doc> {
    let mut documents = Vec::new();
    if let Some(relevant) = &core.relevant_doc
        && (core.doc_required || chance(rng, 0.55))
    {
        documents.push(relevant.clone());
    }
    let wanted = 1 + weighted(rng, &[2.0, 3.0, 2.0, 1.0]);
    let mut tries = 0;
    let mut kinds_used: Vec<usize> = Vec::new();
    while documents.len() < wanted && tries < 20 {
        tries += 1;
        let which = range_i64(rng, 0, 7) as usize;
        let candidate = distractor(rng, draft, which);
        if !kinds_used.contains(&which) && !documents.iter().any(|d| d.file_name == candidate.file_name) {
            kinds_used.push(which);
            documents.push(candidate);
        }
    }
    documents
}

/// A generator seeded from a hash, for documents whose wording must not disturb the main random stream.
trait FromSeed {
    fn from_seed_u64(seed: u64) -> Self;
}

impl FromSeed for SimRng {
    fn from_seed_u64(seed: u64) -> SimRng {
        <SimRng as rand::SeedableRng>::seed_from_u64(seed)
    }
}
