//! What failures look like from inside an application: exception types, messages and stack traces as
//! Node.js, Python and Java print them, for every failure the simulator can inject.

use super::model::{DbEngine, Runtime};

/// A failure of one request (or of one call inside it).
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    Throttled {
        table: String,
        operation: &'static str,
    },
    AccessDenied {
        action: String,
        resource: String,
        principal: String,
        operation: &'static str,
        service: &'static str,
    },
    HttpTimeout {
        host: String,
        timeout_ms: u32,
    },
    HttpStatus {
        host: String,
        path: String,
        status: u16,
        body: String,
    },
    DnsNotFound {
        host: String,
        path: String,
    },
    TlsExpired {
        host: String,
        path: String,
        not_after: String,
    },
    DbConnect {
        endpoint: String,
        ip: String,
        port: u32,
        engine: DbEngine,
        timeout_ms: u32,
    },
    DiskFull {
        engine: DbEngine,
        table: String,
    },
    /// A transient connection reset to an AWS endpoint (benign background noise).
    ConnReset {
        endpoint: String,
    },
    /// A bug in new code; `variant` picks one of a few realistic defects.
    CodeDefect {
        variant: usize,
    },
    /// A message the consumer cannot process.
    Poison {
        variant: usize,
    },
    /// DynamoDB or S3 cannot use the customer-managed KMS key of the table or bucket.
    KeyUnusable {
        service: &'static str,
        operation: &'static str,
        resource: String,
        key_arn: String,
        pending_deletion: bool,
        kms_request_id: String,
    },
    /// The database refuses a new connection: its connection slots are all taken.
    TooManyConnections {
        endpoint: String,
        ip: String,
        port: u32,
        engine: DbEngine,
        /// How long the pool waited for a connection (Java's Hikari waits; the others fail at once).
        waited_ms: u32,
    },
    /// The provider answered 429 Too Many Requests.
    RateLimited {
        host: String,
        path: String,
        retry_after_s: u32,
        body: String,
    },
    /// The database went away under the application (a failover): statements in flight are cut (`in_flight`; by
    /// a fast shutdown when `graceful`, else by the lost host), new connections are refused (Java's Hikari keeps
    /// trying for `waited_ms` first).
    DbFailover {
        endpoint: String,
        ip: String,
        port: u32,
        engine: DbEngine,
        in_flight: bool,
        graceful: bool,
        waited_ms: u32,
    },
    /// The table or queue the code addresses does not exist (`name` is the table name or queue URL).
    ResourceMissing {
        service: &'static str,
        operation: &'static str,
        name: String,
    },
    /// Redis refuses a write: the node is at `maxmemory` and has nothing left it may evict.
    CacheOom {
        command: &'static str,
    },
    /// An explicit Deny in the bucket policy; S3 names the kind of policy that denied.
    PolicyDenied {
        action: String,
        resource: String,
        principal: String,
        operation: &'static str,
    },
    /// The database rejects the password a new connection presents (`client_ip` is the application's address;
    /// Java's Hikari keeps trying for `waited_ms` first).
    AuthFailed {
        endpoint: String,
        ip: String,
        port: u32,
        engine: DbEngine,
        client_ip: String,
        waited_ms: u32,
    },
    /// The code path a feature flag switched on throws; `variant` picks the feature ([`feature_flag`]).
    FlagPath {
        variant: usize,
    },
    /// Kinesis rejected a record after the SDK's retries: the shard's write throughput was exceeded.
    StreamThrottled {
        stream: String,
        shard: String,
        account: String,
    },
}

/// How an exception prints in one runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorReport {
    /// Short type name (`ProvisionedThroughputExceededException`).
    pub short_type: String,
    /// Fully qualified type name where the runtime prints one.
    pub qualified_type: String,
    pub message: String,
    pub code: Option<String>,
    /// Frames, innermost last for Python and innermost first for Node/Java, already formatted for the runtime.
    pub frames: Vec<String>,
    /// Extra lines after the trace (Java `Caused by`, Postgres `HINT`).
    pub trailer: Vec<String>,
    pub runtime: Runtime,
}

impl ErrorReport {
    /// The stack trace text exactly as the runtime prints it (multi-line).
    pub fn stack_text(&self) -> String {
        match self.runtime {
            Runtime::Node => {
                let mut text = format!("{}: {}", self.short_type, self.message);
                for frame in &self.frames {
                    text.push_str("\n    ");
                    text.push_str(frame);
                }
                text
            }
            Runtime::Python => {
                let mut text = String::from("Traceback (most recent call last):");
                for frame in &self.frames {
                    text.push_str("\n  ");
                    text.push_str(frame);
                }
                text.push_str(&format!("\n{}: {}", self.qualified_type, self.message));
                for line in &self.trailer {
                    text.push('\n');
                    text.push_str(line);
                }
                text
            }
            Runtime::Java => {
                let mut text = format!("{}: {}", self.qualified_type, self.message);
                for frame in &self.frames {
                    text.push_str("\n\tat ");
                    text.push_str(frame);
                }
                for line in &self.trailer {
                    text.push('\n');
                    text.push_str(line);
                }
                text
            }
        }
    }

    /// Stack frames as a list, the way Lambda's Node.js runtime puts them in `Invoke Error` JSON.
    pub fn stack_lines(&self) -> Vec<String> {
        self.stack_text().lines().map(str::to_string).collect()
    }
}

/// Where the failing code lives, to name the application frames.
#[derive(Debug, Clone)]
pub struct CodeSite {
    pub runtime: Runtime,
    pub on_ecs: bool,
    /// `Order`
    pub entity: String,
    /// `orders`
    pub module: String,
    /// `com.acme.orders`
    pub package: String,
    /// A request id to embed in AWS service errors.
    pub aws_request_id: String,
}

impl CodeSite {
    fn node_app_frame(&self, function: &str, line: u32) -> String {
        let file =
            if self.on_ecs { format!("/app/src/{}/service.js", self.module) } else { "/var/task/index.js".to_string() };
        format!("at async {function} ({file}:{line}:{})", 5 + line % 13)
    }

    fn python_frames(&self, function: &str, code: &str) -> Vec<String> {
        if self.on_ecs {
            vec![
                format!(
                    "File \"/app/{}/routes.py\", line 64, in handle\n    return await {function}(request)",
                    self.module
                ),
                format!("File \"/app/{}/service.py\", line 112, in {function}\n    {code}", self.module),
            ]
        } else {
            vec![
                "File \"/var/task/app.py\", line 58, in lambda_handler\n    return ROUTES[route](event)".to_string(),
                format!("File \"/var/task/{}/service.py\", line 77, in {function}\n    {code}", self.module),
            ]
        }
    }

    fn java_app_frames(&self, method: &str) -> Vec<String> {
        let package = &self.package;
        let entity = &self.entity;
        vec![
            format!("{package}.{}.{entity}Repository.{method}({entity}Repository.java:61)", self.module),
            format!("{package}.{}.{entity}Service.handle({entity}Service.java:88)", self.module),
            if self.on_ecs {
                format!("{package}.{}.web.{entity}Controller.dispatch({entity}Controller.java:47)", self.module)
            } else {
                format!("{package}.{}.Handler.handleRequest(Handler.java:39)", self.module)
            },
        ]
    }

    /// A `NullPointerException` thrown at `frame`, below the application's frames from `method` up.
    fn java_null_pointer(&self, frame: String, method: &str, message: String) -> ErrorReport {
        let mut frames = vec![frame];
        frames.extend(self.java_app_frames(method));
        self.report("NullPointerException", "java.lang.NullPointerException", message, frames)
    }

    fn report(&self, short: &str, qualified: &str, message: String, frames: Vec<String>) -> ErrorReport {
        ErrorReport {
            short_type: short.to_string(),
            qualified_type: qualified.to_string(),
            message,
            code: None,
            frames,
            trailer: Vec::new(),
            runtime: self.runtime,
        }
    }
}

const NODE_SDK_FRAMES: &[&str] = &[
    "at throwDefaultError (/var/runtime/node_modules/@aws-sdk/node_modules/@smithy/smithy-client/dist-cjs/index.js:838:20)",
    "at /var/runtime/node_modules/@aws-sdk/node_modules/@smithy/smithy-client/dist-cjs/index.js:847:5",
    "at de_CommandError (/var/runtime/node_modules/@aws-sdk/client-dynamodb/dist-cjs/index.js:2305:14)",
    "at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    "at async /var/runtime/node_modules/@aws-sdk/node_modules/@smithy/middleware-serde/dist-cjs/index.js:35:20",
];

const BOTOCORE_FRAMES: &[&str] = &[
    "File \"/var/runtime/botocore/client.py\", line 565, in _api_call\n    return self._make_api_call(operation_name, kwargs)",
    "File \"/var/runtime/botocore/client.py\", line 1021, in _make_api_call\n    raise error_class(parsed_response, operation_name)",
];

const JAVA_SDK_FRAMES: &[&str] = &[
    "software.amazon.awssdk.core.internal.http.CombinedResponseHandler.handleErrorResponse(CombinedResponseHandler.java:125)",
    "software.amazon.awssdk.core.internal.http.CombinedResponseHandler.handleResponse(CombinedResponseHandler.java:82)",
    "software.amazon.awssdk.core.internal.http.pipeline.stages.RetryableStage.execute(RetryableStage.java:47)",
];

fn snake(operation: &str) -> String {
    let mut out = String::new();
    for (index, ch) in operation.chars().enumerate() {
        if ch.is_uppercase() && index > 0 {
            out.push('_');
        }
        out.extend(ch.to_lowercase());
    }
    out
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

const THROTTLE_TEXT: &str = "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.";

/// The exception a failure raises in the given code.
pub fn describe(failure: &Failure, site: &CodeSite) -> ErrorReport {
    match failure {
        Failure::Throttled { table, operation } => aws_error(
            site,
            &ApiError::modeled("dynamodb", "ProvisionedThroughputExceededException", None),
            THROTTLE_TEXT,
            operation,
            table,
            Some(9),
        ),
        Failure::AccessDenied { action, resource, principal, operation, service } => {
            let text = format!(
                "User: {principal} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
            );
            let code = if *service == "s3" { "AccessDenied" } else { "AccessDeniedException" };
            aws_error(site, &ApiError::generic(service, code), &text, operation, resource, None)
        }
        Failure::HttpTimeout { host, timeout_ms } => http_timeout(site, host, *timeout_ms),
        Failure::HttpStatus { host, path, status, body } => http_status(site, host, path, *status, body),
        Failure::DnsNotFound { host, path } => dns_not_found(site, host, path),
        Failure::TlsExpired { host, path, not_after } => tls_expired(site, host, path, not_after),
        Failure::DbConnect { endpoint, ip, port, engine, timeout_ms } => {
            db_connect(site, endpoint, ip, *port, *engine, *timeout_ms)
        }
        Failure::DiskFull { engine, table } => disk_full(site, *engine, table),
        Failure::ConnReset { endpoint } => conn_reset(site, endpoint),
        Failure::CodeDefect { variant } => code_defect(site, *variant),
        Failure::Poison { variant } => poison(site, *variant),
        Failure::KeyUnusable { service, operation, resource, key_arn, pending_deletion, kms_request_id } => {
            key_unusable(site, service, operation, resource, key_arn, *pending_deletion, kms_request_id)
        }
        Failure::TooManyConnections { endpoint, ip, port, engine, waited_ms } => {
            too_many_connections(site, endpoint, ip, *port, *engine, *waited_ms)
        }
        Failure::RateLimited { host, path, body, .. } => http_status(site, host, path, 429, body),
        Failure::ResourceMissing { service, operation, name } => resource_missing(site, service, operation, name),
        Failure::DbFailover { endpoint, ip, port, engine, in_flight, graceful, waited_ms } => {
            let refused = (!*in_flight).then_some(*waited_ms);
            db_failover(site, endpoint, ip, *port, *engine, refused, *graceful)
        }
        Failure::CacheOom { command } => cache_oom(site, command),
        Failure::PolicyDenied { action, resource, principal, operation } => {
            let text = format!(
                "User: {principal} is not authorized to perform: {action} on resource: \"{resource}\" with an explicit deny in a resource-based policy"
            );
            let mut report =
                aws_error(site, &ApiError::generic("s3", "AccessDenied"), &text, operation, resource, None);
            // S3 answers an authorization failure with 403 Forbidden.
            report.message = report.message.replace("Status Code: 400", "Status Code: 403");
            report
        }
        Failure::AuthFailed { endpoint, ip, port, engine, client_ip, waited_ms } => {
            auth_failed(site, endpoint, ip, *port, *engine, client_ip, *waited_ms)
        }
        Failure::FlagPath { variant } => flag_path(site, *variant),
        Failure::StreamThrottled { stream, shard, account } => aws_error(
            site,
            &ApiError::modeled("kinesis", "ProvisionedThroughputExceededException", None),
            &format!("Rate exceeded for shard {shard} in stream {stream} under account {account}."),
            "PutRecord",
            stream,
            Some(4),
        ),
    }
}

/// An AWS API error as the service returns it: the wire code, and the exception class the SDKs model for it
/// (`None`: the SDK raises its generic service exception).
struct ApiError<'a> {
    service: &'a str,
    code: &'a str,
    /// (Node.js and Python name, Java class) of the modeled exception.
    modeled: Option<(&'a str, &'a str)>,
}

impl<'a> ApiError<'a> {
    fn generic(service: &'a str, code: &'a str) -> ApiError<'a> {
        ApiError { service, code, modeled: None }
    }

    /// A modeled exception; `name` defaults to the code (and the Java class to the name).
    fn modeled(service: &'a str, code: &'a str, name: Option<(&'a str, &'a str)>) -> ApiError<'a> {
        ApiError { service, code, modeled: Some(name.unwrap_or((code, code))) }
    }
}

fn aws_error(
    site: &CodeSite,
    error: &ApiError,
    text: &str,
    operation: &str,
    resource: &str,
    python_retries: Option<u32>,
) -> ErrorReport {
    let entity = &site.entity;
    let (service, code) = (error.service, error.code);
    match site.runtime {
        Runtime::Node => {
            let mut frames: Vec<String> = NODE_SDK_FRAMES
                .iter()
                .map(|f| f.replace("client-dynamodb", &format!("client-{}", sdk_package(service))))
                .collect();
            frames.push(site.node_app_frame(&format!("{}{entity}", lower_first(&verb_for(operation))), 88));
            let name = error.modeled.map_or(code, |(name, _)| name);
            let mut report = site.report(name, name, text.to_string(), frames);
            report.code = Some(name.to_string());
            report
        }
        Runtime::Python => {
            let retries = python_retries.map(|n| format!(" (reached max retries: {n})")).unwrap_or_default();
            let message = format!("An error occurred ({code}) when calling the {operation} operation{retries}: {text}");
            let call = match service {
                "dynamodb" => format!("table.{}(Item=item)", snake(operation)),
                "s3" if operation == "GetObject" => {
                    "s3.get_object(Bucket=BUCKET, Key=key)[\"Body\"].read()".to_string()
                }
                "s3" => format!("s3.put_object(Bucket=BUCKET, Key=key, Body=body)  # {resource}"),
                "sqs" => "sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps(event))".to_string(),
                "kinesis" => {
                    "kinesis.put_record(StreamName=STREAM_NAME, Data=json.dumps(event), PartitionKey=key)".to_string()
                }
                _ => "secrets.get_secret_value(SecretId=SECRET_ID)".to_string(),
            };
            let mut frames = site.python_frames(&snake(&verb_for(operation)), &call);
            frames.extend(BOTOCORE_FRAMES.iter().map(|f| f.to_string()));
            match error.modeled {
                Some((name, _)) => site.report(name, &format!("botocore.errorfactory.{name}"), message, frames),
                None => site.report("ClientError", "botocore.exceptions.ClientError", message, frames),
            }
        }
        Runtime::Java => {
            let sdk = sdk_package(service).replace('-', "");
            let service_label = java_service_label(service);
            let short = match error.modeled {
                Some((_, class)) => class.to_string(),
                None => format!("{service_label}Exception"),
            };
            let qualified = format!("software.amazon.awssdk.services.{sdk}.model.{short}");
            let message =
                format!("{text} (Service: {service_label}, Status Code: 400, Request ID: {})", site.aws_request_id);
            let mut frames: Vec<String> = JAVA_SDK_FRAMES.iter().map(|f| f.to_string()).collect();
            frames.extend(site.java_app_frames(&lower_first(&verb_for(operation))));
            site.report(&short, &qualified, message, frames)
        }
    }
}

/// DynamoDB wraps the KMS error in a ValidationException; S3 passes KMS's own code through.
fn key_unusable(
    site: &CodeSite,
    service: &str,
    operation: &str,
    resource: &str,
    key_arn: &str,
    pending_deletion: bool,
    kms_request_id: &str,
) -> ErrorReport {
    let (kms_code, state) = if pending_deletion {
        ("KMSInvalidStateException", "is pending deletion")
    } else {
        ("DisabledException", "is disabled")
    };
    if service == "s3" {
        let code = format!("KMS.{kms_code}");
        return aws_error(
            site,
            &ApiError::generic("s3", &code),
            &format!("{key_arn} {state}."),
            operation,
            resource,
            None,
        );
    }
    let kind = if pending_deletion { "KMS key invalid state error" } else { "KMS key disabled error" };
    let text = format!(
        "{kind}: com.amazonaws.services.kms.model.{kms_code}: {key_arn} {state}. (Service: AWSKMS; Status Code: 400; Error Code: {kms_code}; Request ID: {kms_request_id}; Proxy: null)"
    );
    aws_error(site, &ApiError::generic("dynamodb", "ValidationException"), &text, operation, resource, None)
}

fn resource_missing(site: &CodeSite, service: &str, operation: &str, name: &str) -> ErrorReport {
    if service == "sqs" {
        let error = ApiError::modeled(
            "sqs",
            "AWS.SimpleQueueService.NonExistentQueue",
            Some(("QueueDoesNotExist", "QueueDoesNotExistException")),
        );
        return aws_error(site, &error, "The specified queue does not exist.", operation, name, None);
    }
    let text = format!("Requested resource not found: Table: {name} not found");
    aws_error(site, &ApiError::modeled("dynamodb", "ResourceNotFoundException", None), &text, operation, name, None)
}

fn sdk_package(service: &str) -> &str {
    match service {
        "secretsmanager" => "secrets-manager",
        other => other,
    }
}

fn java_service_label(service: &str) -> &'static str {
    match service {
        "dynamodb" => "DynamoDb",
        "s3" => "S3",
        "sqs" => "Sqs",
        "kinesis" => "Kinesis",
        _ => "SecretsManager",
    }
}

/// `PutItem` → `save`, the verb of the application method that issued it.
fn verb_for(operation: &str) -> String {
    match operation {
        "PutItem" | "TransactWriteItems" | "BatchWriteItem" | "INSERT" => "Save".to_string(),
        "UpdateItem" | "UPDATE" => "Update".to_string(),
        "GetItem" | "Query" | "SELECT" => "Find".to_string(),
        "PutObject" => "Upload".to_string(),
        "SendMessage" | "PutRecord" => "Publish".to_string(),
        _ => "Load".to_string(),
    }
}

fn http_timeout(site: &CodeSite, host: &str, timeout_ms: u32) -> ErrorReport {
    match site.runtime {
        Runtime::Node => {
            let mut report = site.report(
                "AxiosError",
                "AxiosError",
                format!("timeout of {timeout_ms}ms exceeded"),
                vec![
                    "at RedirectableRequest.handleRequestTimeout (/var/task/node_modules/axios/dist/node/axios.cjs:3163:16)".to_string(),
                    "at RedirectableRequest.emit (node:events:519:28)".to_string(),
                    "at Timeout.<anonymous> (/var/task/node_modules/follow-redirects/index.js:221:12)".to_string(),
                    "at listOnTimeout (node:internal/timers:581:17)".to_string(),
                    "at process.processTimers (node:internal/timers:519:7)".to_string(),
                ],
            );
            report.code = Some("ECONNABORTED".to_string());
            report
        }
        Runtime::Python => {
            let mut frames =
                site.python_frames("call_provider", "resp = session.post(url, json=payload, timeout=TIMEOUT)");
            frames.push(
                "File \"/var/task/requests/adapters.py\", line 713, in send\n    raise ReadTimeout(e, request=request)"
                    .to_string(),
            );
            site.report(
                "ReadTimeout",
                "requests.exceptions.ReadTimeout",
                format!(
                    "HTTPSConnectionPool(host='{host}', port=443): Read timed out. (read timeout={:.1})",
                    f64::from(timeout_ms) / 1000.0
                ),
                frames,
            )
        }
        Runtime::Java => {
            let mut frames = vec![
                "java.net.http/jdk.internal.net.http.HttpClientImpl.send(HttpClientImpl.java:951)".to_string(),
                "java.net.http/jdk.internal.net.http.HttpClientFacade.send(HttpClientFacade.java:133)".to_string(),
            ];
            frames.extend(site.java_app_frames("callProvider"));
            site.report(
                "HttpTimeoutException",
                "java.net.http.HttpTimeoutException",
                "request timed out".to_string(),
                frames,
            )
        }
    }
}

fn http_status(site: &CodeSite, host: &str, path: &str, status: u16, body: &str) -> ErrorReport {
    let reason = match status {
        401 => "Unauthorized",
        403 => "Forbidden",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    match site.runtime {
        Runtime::Node => {
            let mut report = site.report(
                "AxiosError",
                "AxiosError",
                format!("Request failed with status code {status}"),
                vec![
                    "at settle (/var/task/node_modules/axios/dist/node/axios.cjs:1983:12)".to_string(),
                    "at IncomingMessage.handleStreamEnd (/var/task/node_modules/axios/dist/node/axios.cjs:3085:11)"
                        .to_string(),
                    "at IncomingMessage.emit (node:events:531:35)".to_string(),
                    "at endReadableNT (node:internal/streams/readable:1698:12)".to_string(),
                ],
            );
            report.code = Some(if status < 500 { "ERR_BAD_REQUEST" } else { "ERR_BAD_RESPONSE" }.to_string());
            report
        }
        Runtime::Python => {
            let mut frames = site.python_frames("call_provider", "resp.raise_for_status()");
            frames.push("File \"/var/task/requests/models.py\", line 1024, in raise_for_status\n    raise HTTPError(http_error_msg, response=self)".to_string());
            let class = if status < 500 { "Client" } else { "Server" };
            site.report(
                "HTTPError",
                "requests.exceptions.HTTPError",
                format!("{status} {class} Error: {reason} for url: https://{host}{path}"),
                frames,
            )
        }
        Runtime::Java => {
            let provider = host.split('.').nth(1).unwrap_or(host);
            let class = format!("{}ClientException", super::naming::title_case(provider));
            let qualified = format!("{}.{}.client.{class}", site.package, site.module);
            let frames = site.java_app_frames("callProvider");
            site.report(&class, &qualified, format!("{provider} returned HTTP {status}: {body}"), frames)
        }
    }
}

fn dns_not_found(site: &CodeSite, host: &str, path: &str) -> ErrorReport {
    match site.runtime {
        Runtime::Node => {
            let mut report = site.report(
                "Error",
                "Error",
                format!("getaddrinfo ENOTFOUND {host}"),
                vec!["at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:109:26)".to_string()],
            );
            report.code = Some("ENOTFOUND".to_string());
            report
        }
        Runtime::Python => {
            let frames = site.python_frames("call_service", "resp = session.get(url, timeout=TIMEOUT)");
            site.report(
                "ConnectionError",
                "requests.exceptions.ConnectionError",
                format!(
                    "HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: {path} (Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f3a2c1d5e10>: Failed to resolve '{host}' ([Errno -2] Name or service not known)\"))"
                ),
                frames,
            )
        }
        Runtime::Java => {
            let mut frames = vec![
                "java.base/java.net.InetAddress$CachedLookup.get(InetAddress.java:988)".to_string(),
                "java.base/java.net.InetAddress.getAllByName0(InetAddress.java:1818)".to_string(),
            ];
            frames.extend(site.java_app_frames("callService"));
            site.report(
                "UnknownHostException",
                "java.net.UnknownHostException",
                format!("{host}: Name or service not known"),
                frames,
            )
        }
    }
}

fn tls_expired(site: &CodeSite, host: &str, path: &str, not_after: &str) -> ErrorReport {
    match site.runtime {
        Runtime::Node => {
            let mut report = site.report(
                "Error",
                "Error",
                "certificate has expired".to_string(),
                vec![
                    "at TLSSocket.onConnectSecure (node:_tls_wrap:1674:34)".to_string(),
                    "at TLSSocket.emit (node:events:519:28)".to_string(),
                    "at TLSSocket._finishInit (node:_tls_wrap:1085:8)".to_string(),
                    "at ssl.onhandshakedone (node:_tls_wrap:871:12)".to_string(),
                ],
            );
            report.code = Some("CERT_HAS_EXPIRED".to_string());
            report
        }
        Runtime::Python => {
            let frames = site
                .python_frames("call_provider", "resp = session.request(method, url, json=payload, timeout=TIMEOUT)");
            site.report(
                "SSLError",
                "requests.exceptions.SSLError",
                format!(
                    "HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: {path} (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)')))"
                ),
                frames,
            )
        }
        Runtime::Java => {
            let mut frames = vec![
                "java.base/sun.security.ssl.Alert.createSSLException(Alert.java:130)".to_string(),
                "java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:378)".to_string(),
                "java.base/sun.security.ssl.CertificateMessage$T13CertificateConsumer.checkServerCerts(CertificateMessage.java:1296)".to_string(),
            ];
            frames.extend(site.java_app_frames("callProvider"));
            let mut report = site.report(
                "SSLHandshakeException",
                "javax.net.ssl.SSLHandshakeException",
                "PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed"
                    .to_string(),
                frames,
            );
            report.trailer =
                vec![format!("Caused by: java.security.cert.CertificateExpiredException: NotAfter: {not_after}")];
            report
        }
    }
}

fn db_connect(site: &CodeSite, endpoint: &str, ip: &str, port: u32, engine: DbEngine, timeout_ms: u32) -> ErrorReport {
    match (site.runtime, engine.is_postgres()) {
        (Runtime::Node, _) => {
            let mut report = site.report(
                "Error",
                "Error",
                format!("connect ETIMEDOUT {ip}:{port}"),
                vec!["at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)".to_string()],
            );
            report.code = Some("ETIMEDOUT".to_string());
            report
        }
        (Runtime::Python, true) => {
            let mut frames = site.python_frames("find", "async with pool.acquire() as conn:");
            frames.push("File \"/usr/local/lib/python3.12/site-packages/psycopg2/__init__.py\", line 122, in connect\n    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)".to_string());
            site.report(
                "OperationalError",
                "psycopg2.OperationalError",
                format!("connection to server at \"{endpoint}\" ({ip}), port {port} failed: timeout expired"),
                frames,
            )
        }
        (Runtime::Python, false) => {
            let frames = site.python_frames("find", "conn = pool.connection()");
            site.report(
                "OperationalError",
                "pymysql.err.OperationalError",
                format!("(2003, \"Can't connect to MySQL server on '{endpoint}' (timed out)\")"),
                frames,
            )
        }
        (Runtime::Java, postgres) => {
            let mut frames: Vec<String> = HIKARI_FRAMES.iter().map(|f| f.to_string()).collect();
            frames.extend(site.java_app_frames("find"));
            let mut report = site.report(
                "SQLTransientConnectionException",
                "java.sql.SQLTransientConnectionException",
                format!("HikariPool-1 - Connection is not available, request timed out after {timeout_ms}ms (total=0, active=0, idle=0, waiting=12)"),
                frames,
            );
            report.trailer = vec![if postgres {
                "Caused by: org.postgresql.util.PSQLException: The connection attempt failed.\nCaused by: java.net.SocketTimeoutException: Connect timed out".to_string()
            } else {
                "Caused by: com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure\n\nThe last packet sent successfully to the server was 0 milliseconds ago. The driver has not received any packets from the server.".to_string()
            }];
            report
        }
    }
}

/// Every connection slot of the database is taken: PostgreSQL's `53300`, MySQL's error 1040.
fn too_many_connections(
    site: &CodeSite,
    endpoint: &str,
    ip: &str,
    port: u32,
    engine: DbEngine,
    waited_ms: u32,
) -> ErrorReport {
    let pg_text = "sorry, too many clients already";
    connection_refused(
        site,
        engine,
        &ConnectionRefusal {
            pg_text,
            pg_code: "53300",
            psycopg_message: format!("connection to server at \"{endpoint}\" ({ip}), port {port} failed: FATAL:  {pg_text}"),
            psycopg_call: "async with pool.acquire() as conn:",
            mysql_text: "Too many connections".to_string(),
            mysql_code: "ER_CON_COUNT_ERROR",
            pymysql_message: "(1040, 'Too many connections')".to_string(),
            mysql_cause: "Caused by: java.sql.SQLNonTransientConnectionException: Data source rejected establishment of connection,  message from server: \"Too many connections\"".to_string(),
            waited_ms,
            waiting: 4,
        },
    )
}

/// How each database client reports a server that refuses a new connection; the parts that differ by reason.
struct ConnectionRefusal {
    /// PostgreSQL's message, as node-postgres prints it and as the JDBC driver quotes it after `FATAL:`.
    pg_text: &'static str,
    /// The SQLSTATE node-postgres sets as the error's `code`.
    pg_code: &'static str,
    /// psycopg2's whole message (it names the server it tried).
    psycopg_message: String,
    /// The application's line that asked the pool for a connection, in Python with PostgreSQL.
    psycopg_call: &'static str,
    mysql_text: String,
    /// The `code` mysql2 sets on the error.
    mysql_code: &'static str,
    /// PyMySQL's message: the error number and MySQL's text.
    pymysql_message: String,
    /// The `Caused by:` line Hikari's timeout carries with MySQL.
    mysql_cause: String,
    /// Java's Hikari retries for this long, with this many threads waiting, before it gives up.
    waited_ms: u32,
    waiting: u32,
}

/// A refused connection in node-postgres or mysql2, psycopg2 or PyMySQL, and Hikari with either driver.
fn connection_refused(site: &CodeSite, engine: DbEngine, refusal: &ConnectionRefusal) -> ErrorReport {
    let postgres = engine.is_postgres();
    match site.runtime {
        Runtime::Node if postgres => {
            let mut report = site.report(
                "error",
                "error",
                refusal.pg_text.to_string(),
                PG_PROTOCOL_FRAMES.iter().map(|f| f.to_string()).collect(),
            );
            report.code = Some(refusal.pg_code.to_string());
            report
        }
        Runtime::Node => {
            let mut report = site.report(
                "Error",
                "Error",
                refusal.mysql_text.clone(),
                vec![
                    "at Packet.asError (/app/node_modules/mysql2/lib/packets/packet.js:740:17)".to_string(),
                    "at ClientHandshake.execute (/app/node_modules/mysql2/lib/commands/command.js:29:26)".to_string(),
                    "at PoolConnection.handlePacket (/app/node_modules/mysql2/lib/connection.js:481:34)".to_string(),
                ],
            );
            report.code = Some(refusal.mysql_code.to_string());
            report
        }
        Runtime::Python if postgres => {
            let mut frames = site.python_frames("find", refusal.psycopg_call);
            frames.push("File \"/usr/local/lib/python3.12/site-packages/psycopg2/__init__.py\", line 122, in connect\n    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)".to_string());
            site.report("OperationalError", "psycopg2.OperationalError", refusal.psycopg_message.clone(), frames)
        }
        Runtime::Python => {
            let mut frames = site.python_frames("find", "conn = pool.connection()");
            frames.push("File \"/usr/local/lib/python3.12/site-packages/pymysql/connections.py\", line 361, in __init__\n    self.connect()".to_string());
            site.report("OperationalError", "pymysql.err.OperationalError", refusal.pymysql_message.clone(), frames)
        }
        Runtime::Java => {
            let mut frames: Vec<String> = HIKARI_FRAMES.iter().map(|f| f.to_string()).collect();
            frames.extend(site.java_app_frames("find"));
            let mut report = site.report(
                "SQLTransientConnectionException",
                "java.sql.SQLTransientConnectionException",
                format!(
                    "HikariPool-1 - Connection is not available, request timed out after {}ms (total=0, active=0, idle=0, waiting={})",
                    refusal.waited_ms, refusal.waiting
                ),
                frames,
            );
            report.trailer = vec![if postgres {
                format!("Caused by: org.postgresql.util.PSQLException: FATAL: {}", refusal.pg_text)
            } else {
                refusal.mysql_cause.clone()
            }];
            report
        }
    }
}

const PG_PROTOCOL_FRAMES: &[&str] = &[
    "at Parser.parseErrorMessage (/app/node_modules/pg-protocol/dist/parser.js:283:98)",
    "at Parser.handlePacket (/app/node_modules/pg-protocol/dist/parser.js:122:29)",
    "at Parser.parse (/app/node_modules/pg-protocol/dist/parser.js:35:38)",
    "at Socket.<anonymous> (/app/node_modules/pg-protocol/dist/index.js:11:42)",
];

const HIKARI_FRAMES: &[&str] = &[
    "com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)",
    "com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:179)",
    "com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:128)",
];

/// What the drivers raise while a database fails over: `refused` (with Hikari's wait) for new connections,
/// otherwise a statement cut off on an open connection.
fn db_failover(
    site: &CodeSite,
    endpoint: &str,
    ip: &str,
    port: u32,
    engine: DbEngine,
    refused: Option<u32>,
    graceful: bool,
) -> ErrorReport {
    let postgres = engine.is_postgres();
    let lines = |frames: &[&str]| frames.iter().map(|f| f.to_string()).collect::<Vec<String>>();
    match (site.runtime, refused) {
        (Runtime::Node, Some(_)) => {
            let mut report = site.report(
                "Error",
                "Error",
                format!("connect ECONNREFUSED {ip}:{port}"),
                vec!["at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)".to_string()],
            );
            report.code = Some("ECONNREFUSED".to_string());
            report
        }
        (Runtime::Node, None) if postgres && graceful => {
            let mut report = site.report(
                "error",
                "error",
                "terminating connection due to administrator command".to_string(),
                lines(PG_PROTOCOL_FRAMES),
            );
            report.code = Some("57P01".to_string());
            report
        }
        (Runtime::Node, None) if postgres => site.report(
            "Error",
            "Error",
            "Connection terminated unexpectedly".to_string(),
            vec![
                "at Connection.<anonymous> (/app/node_modules/pg/lib/client.js:132:73)".to_string(),
                "at Object.onceWrapper (node:events:632:28)".to_string(),
                "at Connection.emit (node:events:518:28)".to_string(),
                "at Socket.<anonymous> (/app/node_modules/pg/lib/connection.js:63:12)".to_string(),
            ],
        ),
        (Runtime::Node, None) => {
            let (message, code) = if graceful {
                ("Server shutdown in progress", "ER_SERVER_SHUTDOWN")
            } else {
                ("Connection lost: The server closed the connection.", "PROTOCOL_CONNECTION_LOST")
            };
            let mut report = site.report(
                "Error",
                "Error",
                message.to_string(),
                vec![
                    "at Socket.<anonymous> (/app/node_modules/mysql2/lib/base/connection.js:113:31)".to_string(),
                    "at Socket.emit (node:events:518:28)".to_string(),
                    "at TCP.<anonymous> (node:net:343:12)".to_string(),
                ],
            );
            report.code = Some(code.to_string());
            report
        }
        (Runtime::Python, refused) => {
            let frames = site.python_frames(
                "find",
                if postgres { "cur.execute(SQL, params)" } else { "cursor.execute(SQL, params)" },
            );
            let (class, message) = match (postgres, refused.is_some(), graceful) {
                (true, true, _) => ("psycopg2.OperationalError", format!("connection to server at \"{endpoint}\" ({ip}), port {port} failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n")),
                (true, false, true) => ("psycopg2.OperationalError", "terminating connection due to administrator command\nSSL connection has been closed unexpectedly\n".to_string()),
                (true, false, false) => ("psycopg2.OperationalError", "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.\n".to_string()),
                (false, true, _) => ("pymysql.err.OperationalError", format!("(2003, \"Can't connect to MySQL server on '{endpoint}' ([Errno 111] Connection refused)\")")),
                (false, false, true) => ("pymysql.err.OperationalError", "(1053, 'Server shutdown in progress')".to_string()),
                (false, false, false) => ("pymysql.err.OperationalError", "(2013, 'Lost connection to MySQL server during query')".to_string()),
            };
            site.report("OperationalError", class, message, frames)
        }
        (Runtime::Java, Some(waited_ms)) => {
            let mut frames = lines(HIKARI_FRAMES);
            frames.extend(site.java_app_frames("find"));
            let mut report = site.report(
                "SQLTransientConnectionException",
                "java.sql.SQLTransientConnectionException",
                format!("HikariPool-1 - Connection is not available, request timed out after {waited_ms}ms (total=0, active=0, idle=0, waiting=9)"),
                frames,
            );
            report.trailer = vec![if postgres {
                format!(
                    "Caused by: org.postgresql.util.PSQLException: Connection to {endpoint}:{port} refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.\nCaused by: java.net.ConnectException: Connection refused"
                )
            } else {
                "Caused by: com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure\n\nThe last packet sent successfully to the server was 0 milliseconds ago. The driver has not received any packets from the server.\nCaused by: java.net.ConnectException: Connection refused".to_string()
            }];
            report
        }
        (Runtime::Java, None) if postgres => {
            let mut frames = lines(&[
                "org.postgresql.core.v3.QueryExecutorImpl.execute(QueryExecutorImpl.java:395)",
                "org.postgresql.jdbc.PgStatement.executeInternal(PgStatement.java:498)",
                "org.postgresql.jdbc.PgPreparedStatement.executeQuery(PgPreparedStatement.java:134)",
            ]);
            frames.extend(site.java_app_frames("find"));
            let message = if graceful {
                "FATAL: terminating connection due to administrator command"
            } else {
                "An I/O error occurred while sending to the backend."
            };
            let mut report =
                site.report("PSQLException", "org.postgresql.util.PSQLException", message.to_string(), frames);
            if !graceful {
                report.trailer = vec!["Caused by: java.io.EOFException".to_string()];
            }
            report
        }
        (Runtime::Java, None) => {
            let mut frames = lines(&[
                "com.mysql.cj.jdbc.exceptions.SQLError.createCommunicationsException(SQLError.java:174)",
                "com.mysql.cj.jdbc.exceptions.SQLExceptionsMapping.translateException(SQLExceptionsMapping.java:64)",
                "com.mysql.cj.jdbc.ClientPreparedStatement.executeInternal(ClientPreparedStatement.java:916)",
            ]);
            frames.extend(site.java_app_frames("find"));
            let mut report = site.report(
                "CommunicationsException",
                "com.mysql.cj.jdbc.exceptions.CommunicationsException",
                "Communications link failure\n\nThe last packet successfully received from the server was 1,204 milliseconds ago. The last packet sent successfully to the server was 1,205 milliseconds ago.".to_string(),
                frames,
            );
            report.trailer = vec!["Caused by: java.io.EOFException: Can not read response from server. Expected to read 4 bytes, read 0 bytes before connection was unexpectedly lost.".to_string()];
            report
        }
    }
}

fn disk_full(site: &CodeSite, engine: DbEngine, table: &str) -> ErrorReport {
    let pg_text = "could not extend file \"base/16401/24577.3\": No space left on device";
    if engine.is_postgres() {
        match site.runtime {
            Runtime::Node => {
                let mut report = site.report(
                    "error",
                    "error",
                    pg_text.to_string(),
                    PG_PROTOCOL_FRAMES.iter().map(|f| f.to_string()).collect(),
                );
                report.code = Some("53100".to_string());
                report
            }
            Runtime::Python => {
                let frames =
                    site.python_frames("save", &format!("await conn.execute(\"INSERT INTO {table} ...\", *values)"));
                let mut report = site.report("DiskFull", "psycopg2.errors.DiskFull", pg_text.to_string(), frames);
                report.trailer = vec!["HINT:  Check free disk space.".to_string()];
                report
            }
            Runtime::Java => {
                let mut frames = vec![
                    "org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2725)"
                        .to_string(),
                    "org.postgresql.core.v3.QueryExecutorImpl.processResults(QueryExecutorImpl.java:2412)".to_string(),
                    "org.postgresql.jdbc.PgPreparedStatement.executeUpdate(PgPreparedStatement.java:152)".to_string(),
                ];
                frames.extend(site.java_app_frames("save"));
                let mut report = site.report(
                    "PSQLException",
                    "org.postgresql.util.PSQLException",
                    format!("ERROR: {pg_text}"),
                    frames,
                );
                report.trailer = vec!["  Hint: Check free disk space.".to_string()];
                report
            }
        }
    } else {
        let text = format!("The table '{table}' is full");
        match site.runtime {
            Runtime::Node => {
                let mut report = site.report(
                    "Error",
                    "Error",
                    text,
                    vec![
                        "at PromisePool.query (/app/node_modules/mysql2/lib/promise/pool.js:36:22)".to_string(),
                        site.node_app_frame(&format!("save{}", site.entity), 54),
                    ],
                );
                report.code = Some("ER_RECORD_FILE_FULL".to_string());
                report
            }
            Runtime::Python => {
                let frames = site.python_frames("save", "cursor.execute(INSERT_SQL, values)");
                site.report("OperationalError", "pymysql.err.OperationalError", format!("(1114, \"{text}\")"), frames)
            }
            Runtime::Java => {
                let mut frames =
                    vec!["com.mysql.cj.jdbc.exceptions.SQLError.createSQLException(SQLError.java:130)".to_string()];
                frames.extend(site.java_app_frames("save"));
                site.report("SQLException", "java.sql.SQLException", text, frames)
            }
        }
    }
}

fn conn_reset(site: &CodeSite, endpoint: &str) -> ErrorReport {
    match site.runtime {
        Runtime::Node => {
            let mut report = site.report(
                "Error",
                "Error",
                "read ECONNRESET".to_string(),
                vec![
                    "at TLSWrap.onStreamRead (node:internal/stream_base_commons:216:20)".to_string(),
                    "at TLSWrap.callbackTrampoline (node:internal/async_hooks:130:17)".to_string(),
                ],
            );
            report.code = Some("ECONNRESET".to_string());
            report
        }
        Runtime::Python => {
            let mut frames = site.python_frames("find", "table.get_item(Key=key)");
            frames.extend(BOTOCORE_FRAMES.iter().map(|f| f.to_string()));
            frames.push(
                "File \"/var/runtime/botocore/httpsession.py\", line 501, in send\n    raise ConnectionClosedError("
                    .to_string(),
            );
            site.report(
                "ConnectionClosedError",
                "botocore.exceptions.ConnectionClosedError",
                format!("Connection was closed before we received a valid response from endpoint URL: \"https://{endpoint}/\"."),
                frames,
            )
        }
        Runtime::Java => {
            let mut frames = vec![
                "software.amazon.awssdk.core.exception.SdkClientException$BuilderImpl.build(SdkClientException.java:111)".to_string(),
                "software.amazon.awssdk.core.internal.http.pipeline.stages.utils.RetryableStageHelper.setLastException(RetryableStageHelper.java:223)".to_string(),
            ];
            frames.extend(site.java_app_frames("find"));
            site.report(
                "SdkClientException",
                "software.amazon.awssdk.core.exception.SdkClientException",
                "Unable to execute HTTP request: Connection reset".to_string(),
                frames,
            )
        }
    }
}

/// Property names a new version might wrongly assume present.
const DEFECT_FIELDS: &[&str] =
    &["shippingAddress", "billingAddress", "currency", "lineItems", "customerTier", "taxRegion"];

fn code_defect(site: &CodeSite, variant: usize) -> ErrorReport {
    let field = DEFECT_FIELDS[variant % DEFECT_FIELDS.len()];
    let entity = &site.entity;
    match site.runtime {
        Runtime::Node => {
            let file = if site.on_ecs {
                format!("/app/src/{}/mapper.js", site.module)
            } else {
                "/var/task/index.js".to_string()
            };
            site.report(
                "TypeError",
                "TypeError",
                format!("Cannot read properties of undefined (reading '{field}')"),
                vec![
                    format!("at toResponse ({file}:138:22)"),
                    "at Array.map (<anonymous>)".to_string(),
                    format!("at build{entity}Response ({file}:121:24)"),
                    if site.on_ecs {
                        format!("at /app/src/{}/routes.js:44:18", site.module)
                    } else {
                        format!("at Runtime.handler ({file}:31:12)")
                    },
                ],
            )
        }
        Runtime::Python => {
            let key = snake(field);
            let frames = site.python_frames("to_response", &format!("\"{key}\": item[\"{key}\"][\"line1\"],"));
            site.report("KeyError", "KeyError", format!("'{key}'"), frames)
        }
        Runtime::Java => {
            let getter = format!("get{}", super::naming::title_case(field));
            site.java_null_pointer(
                format!("{}.{}.web.{entity}Mapper.toResponse({entity}Mapper.java:57)", site.package, site.module),
                "find",
                format!("Cannot invoke \"String.trim()\" because the return value of \"{}.{}.model.{entity}.{getter}()\" is null", site.package, site.module),
            )
        }
    }
}

fn poison(site: &CodeSite, variant: usize) -> ErrorReport {
    match (site.runtime, variant % 2) {
        (Runtime::Node, 0) => site.report(
            "SyntaxError",
            "SyntaxError",
            "Unexpected end of JSON input".to_string(),
            vec![
                "at JSON.parse (<anonymous>)".to_string(),
                "at parseRecord (/var/task/index.js:19:23)".to_string(),
                "at Array.map (<anonymous>)".to_string(),
                "at Runtime.handler (/var/task/index.js:42:32)".to_string(),
            ],
        ),
        (Runtime::Node, _) => site.report(
            "TypeError",
            "TypeError",
            "Cannot read properties of null (reading 'toFixed')".to_string(),
            vec![
                "at formatAmount (/var/task/lib/money.js:12:17)".to_string(),
                "at processRecord (/var/task/index.js:57:21)".to_string(),
                "at Runtime.handler (/var/task/index.js:44:11)".to_string(),
            ],
        ),
        (Runtime::Python, 0) => {
            let frames = site.python_frames("process_record", "body = json.loads(record[\"body\"])");
            site.report(
                "JSONDecodeError",
                "json.decoder.JSONDecodeError",
                "Expecting ',' delimiter: line 1 column 212 (char 211)".to_string(),
                frames,
            )
        }
        (Runtime::Python, _) => {
            let frames = site.python_frames("process_record", "amount = Decimal(body[\"amount\"])");
            site.report(
                "InvalidOperation",
                "decimal.InvalidOperation",
                "[<class 'decimal.ConversionSyntax'>]".to_string(),
                frames,
            )
        }
        (Runtime::Java, _) => {
            let mut frames = vec![
                "com.fasterxml.jackson.databind.exc.InvalidFormatException.from(InvalidFormatException.java:67)".to_string(),
                "com.fasterxml.jackson.databind.DeserializationContext.weirdStringException(DeserializationContext.java:1958)".to_string(),
            ];
            frames.extend(site.java_app_frames("process"));
            site.report(
                "InvalidFormatException",
                "com.fasterxml.jackson.databind.exc.InvalidFormatException",
                "Cannot deserialize value of type `java.math.BigDecimal` from String \"12,50\": not a valid representation".to_string(),
                frames,
            )
        }
    }
}

const OOM_TEXT: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Redis's refusal of a write at `maxmemory`, as ioredis, redis-py and Lettuce (through Spring Data) report it.
fn cache_oom(site: &CodeSite, command: &str) -> ErrorReport {
    match site.runtime {
        Runtime::Node => {
            let modules = if site.on_ecs { "/app/node_modules" } else { "/var/task/node_modules" };
            site.report(
                "ReplyError",
                "ReplyError",
                OOM_TEXT.to_string(),
                vec![
                    format!("at parseError ({modules}/redis-parser/lib/parser.js:179:12)"),
                    format!("at parseType ({modules}/redis-parser/lib/parser.js:302:14)"),
                    format!("at JavascriptRedisParser.execute ({modules}/redis-parser/lib/parser.js:563:20)"),
                    format!("at Socket.<anonymous> ({modules}/ioredis/built/redis/event_handler.js:214:20)"),
                ],
            )
        }
        Runtime::Python => {
            let packages = if site.on_ecs { "/usr/local/lib/python3.12/site-packages" } else { "/var/task" };
            let (function, call) = if command == "SET NX" {
                (
                    "reserve_idempotency_key",
                    "if not cache.set(idempotency_key, request_id, nx=True, ex=IDEMPOTENCY_TTL):",
                )
            } else {
                ("cache_put", "cache.set(cache_key, payload, ex=CACHE_TTL)")
            };
            let mut frames = site.python_frames(function, call);
            frames.push(format!(
                "File \"{packages}/redis/commands/core.py\", line 2341, in set\n    return self.execute_command(\"SET\", *pieces, **options)"
            ));
            frames.push(format!(
                "File \"{packages}/redis/connection.py\", line 666, in read_response\n    raise response"
            ));
            site.report("OutOfMemoryError", "redis.exceptions.OutOfMemoryError", OOM_TEXT.to_string(), frames)
        }
        Runtime::Java => {
            let lettuce = "io.lettuce.core.RedisCommandExecutionException";
            let lettuce_frames =
                ["io.lettuce.core.internal.ExceptionFactory.createExecutionException(ExceptionFactory.java:147)"];
            let mut frames: Vec<String> = Vec::new();
            if site.on_ecs {
                frames.push("org.springframework.data.redis.connection.lettuce.LettuceExceptionConverter.convert(LettuceExceptionConverter.java:52)".to_string());
                frames.push("org.springframework.data.redis.connection.lettuce.LettuceConnection.convertLettuceAccessException(LettuceConnection.java:302)".to_string());
            } else {
                frames.extend(lettuce_frames.iter().map(|f| f.to_string()));
            }
            frames.extend(site.java_app_frames("cache"));
            let mut report = if site.on_ecs {
                site.report(
                    "RedisSystemException",
                    "org.springframework.data.redis.RedisSystemException",
                    "Error in execution".to_string(),
                    frames,
                )
            } else {
                site.report("RedisCommandExecutionException", lettuce, OOM_TEXT.to_string(), frames)
            };
            if site.on_ecs {
                report.trailer = vec![format!("Caused by: {lettuce}: {OOM_TEXT}\n\tat {}", lettuce_frames[0])];
            }
            report
        }
    }
}

/// A new connection refused because the password is wrong: PostgreSQL's `28P01`, MySQL's error 1045.
fn auth_failed(
    site: &CodeSite,
    endpoint: &str,
    ip: &str,
    port: u32,
    engine: DbEngine,
    client_ip: &str,
    waited_ms: u32,
) -> ErrorReport {
    let pg_text = "password authentication failed for user \"app\"";
    let mysql_text = format!("Access denied for user 'app'@'{client_ip}' (using password: YES)");
    connection_refused(
        site,
        engine,
        &ConnectionRefusal {
            pg_text,
            pg_code: "28P01",
            // psycopg2 keeps the newline the server's message ends with.
            psycopg_message: format!(
                "connection to server at \"{endpoint}\" ({ip}), port {port} failed: FATAL:  {pg_text}\n"
            ),
            psycopg_call: "conn = pool.getconn()",
            pymysql_message: format!("(1045, \"{mysql_text}\")"),
            mysql_cause: format!("Caused by: java.sql.SQLException: {mysql_text}"),
            mysql_text,
            mysql_code: "ER_ACCESS_DENIED_ERROR",
            waited_ms,
            waiting: 6,
        },
    )
}

/// Features released dark behind a flag: (flag, the property the new code reads, the type it expects it on).
const FEATURE_FLAGS: &[(&str, &str, &str)] = &[
    ("dynamic-pricing", "multiplier", "PriceRule"),
    ("loyalty-discounts", "tier", "LoyaltyProfile"),
    ("split-shipments", "warehouseId", "StockLocation"),
    ("new-tax-engine", "jurisdiction", "TaxContext"),
    ("smart-routing", "region", "RoutingHint"),
    ("bundle-offers", "bundleId", "OfferLine"),
];

/// The flag name of a feature variant.
pub fn feature_flag(variant: usize) -> &'static str {
    FEATURE_FLAGS[variant % FEATURE_FLAGS.len()].0
}

/// The new code path of a flagged feature meets data it did not expect (a value the old path never needed).
fn flag_path(site: &CodeSite, variant: usize) -> ErrorReport {
    let (flag, field, owner) = FEATURE_FLAGS[variant % FEATURE_FLAGS.len()];
    let feature = super::naming::camel(flag);
    match site.runtime {
        Runtime::Node => {
            let root = if site.on_ecs { "/app/src" } else { "/var/task/src" };
            site.report(
                "TypeError",
                "TypeError",
                format!("Cannot read properties of undefined (reading '{field}')"),
                vec![
                    format!("at apply{feature} ({root}/features/{flag}.js:48:37)"),
                    format!("at Array.map (<anonymous>)"),
                    site.node_app_frame(&format!("price{}", site.entity), 112),
                ],
            )
        }
        Runtime::Python => {
            let module = flag.replace('-', "_");
            let key = snake(field);
            let root = if site.on_ecs { format!("/app/{}", site.module) } else { "/var/task".to_string() };
            let mut frames = site.python_frames(
                &format!("price_{}", snake(&site.entity)),
                &format!("line = {module}.apply(line, context)"),
            );
            frames.push(format!(
                "File \"{root}/features/{module}.py\", line 41, in apply\n    value = context[\"{}\"][\"{key}\"]",
                snake(owner)
            ));
            site.report("KeyError", "KeyError", format!("'{key}'"), frames)
        }
        Runtime::Java => {
            let getter = format!("get{}", super::naming::title_case(field));
            let variable = lower_first(owner);
            site.java_null_pointer(
                format!("{}.{}.features.{feature}.apply({feature}.java:57)", site.package, site.module),
                "price",
                format!(
                    "Cannot invoke \"{}.{}.model.{owner}.{getter}()\" because \"{variable}\" is null",
                    site.package, site.module
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(runtime: Runtime) -> CodeSite {
        CodeSite {
            runtime,
            on_ecs: false,
            entity: "Order".into(),
            module: "orders".into(),
            package: "com.acme".into(),
            aws_request_id: "REQ".into(),
        }
    }

    #[test]
    fn throttling_reads_like_each_sdk() {
        let failure = Failure::Throttled { table: "orders".into(), operation: "PutItem" };
        let node = describe(&failure, &site(Runtime::Node)).stack_text();
        assert!(node.starts_with("ProvisionedThroughputExceededException: The level of configured"), "{node}");
        assert!(node.contains("\n    at "));
        let python = describe(&failure, &site(Runtime::Python)).stack_text();
        assert!(python.starts_with("Traceback (most recent call last):"));
        assert!(python.contains("when calling the PutItem operation (reached max retries: 9)"));
        let java = describe(&failure, &site(Runtime::Java)).stack_text();
        assert!(
            java.starts_with("software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException")
        );
        assert!(java.contains("(Service: DynamoDb, Status Code: 400, Request ID: REQ)"));
    }

    #[test]
    fn access_denied_names_action_and_principal() {
        let failure = Failure::AccessDenied {
            action: "dynamodb:PutItem".into(),
            resource: "arn:aws:dynamodb:eu-west-1:1:table/orders".into(),
            principal: "arn:aws:sts::1:assumed-role/orders-role/orders-api".into(),
            operation: "PutItem",
            service: "dynamodb",
        };
        for runtime in [Runtime::Node, Runtime::Python, Runtime::Java] {
            let text = describe(&failure, &site(runtime)).stack_text();
            assert!(text.contains("is not authorized to perform: dynamodb:PutItem"), "{text}");
        }
    }
}
