//! Error classes recognised in text (exception types and messages, log lines), shared by the analyzers so that
//! logs and traces name the same failure alike. The class names are the values of `attr::ERROR_CLASS`.

/// The class of error a text names, from a fixed vocabulary (see `attr::ERROR_CLASS`); the most specific first.
pub fn error_class(text: &str) -> Option<&'static str> {
    classify(text).map(|(class, _)| class)
}

/// What an instance's operating system logs as it shuts down when the instance is stopped (lower case).
const HOST_SHUTDOWN: [&str; 3] = ["power key pressed", "powering off", "system is going down"];

/// What a runtime or kernel logs as it kills a process for want of memory (lower case).
const KILLED_FOR_MEMORY: [&str; 4] =
    ["terminating due to java.lang.outofmemoryerror", "out of memory: killed process", "oom-kill", "oomkilled"];

/// Whether `text` is an instance's operating system shutting down: an event written once, in the host's own log.
pub fn host_shutdown(text: &str) -> bool {
    says_any(text, &HOST_SHUTDOWN)
}

/// Whether `text` is a process killed for want of memory (a JVM terminating on `OutOfMemoryError`, the kernel's
/// OOM killer): an event written once per process, however few lines it took.
pub fn killed_for_memory(text: &str) -> bool {
    says_any(text, &KILLED_FOR_MEMORY)
}

/// Whether `text` holds any of the (lower-case) phrases, whatever its case.
fn says_any(text: &str, phrases: &[&str]) -> bool {
    let lower = text.to_ascii_lowercase();
    phrases.iter().any(|phrase| lower.contains(phrase))
}

/// Where in `text` (a byte offset) the words that give its error class begin, for a class a phrase names (not
/// merely an error type's name).
pub fn error_phrase_at(text: &str) -> Option<usize> {
    classify(text).and_then(|(_, at)| at)
}

/// The class of error a text names and, when a listed phrase named it, where that phrase begins.
fn classify(text: &str) -> Option<(&'static str, Option<usize>)> {
    const CLASSES: [(&str, &[&str]); 19] = [
        // A host's clock drifted past what AWS's request signing tolerates (SigV4 allows five minutes, S3 fifteen):
        // before `credential`, since the refusal is worded as an invalid signature.
        (
            "clockSkew",
            &[
                "signature expired",
                "signature not yet current",
                "requesttimetooskewed",
                "request time too skewed",
                "clock skew",
            ],
        ),
        (
            "credential",
            &[
                "expiredtoken",
                "token is expired",
                "token has expired",
                "expired token",
                "credentials have expired",
                "expired credentials",
                "invalidsignature",
                "signaturedoesnotmatch",
                "signature does not match",
                "unrecognizedclientexception",
                "security token included in the request is invalid",
                "invalidclienttokenid",
                "nocredentials",
                "unable to locate credentials",
                "authentication failed",
                "invalid_api_key",
                "invalid api key",
                "api key expired",
                "401 client error",
                "client error: unauthorized",
                "401 unauthorized",
                "status code 401",
                "http 401",
            ],
        ),
        ("throttling", &["throttl", "provisionedthroughputexceeded", "requestlimitexceeded", "slowdown"]),
        // A JVM out of heap says `OutOfMemoryError: GC overhead limit exceeded`: memory, not a limit.
        ("outOfMemory", &["outofmemoryerror"]),
        // Lambda's concurrency limit says `TooManyRequestsException: Rate Exceeded`: a limit, not a throttled API.
        (
            "limitExceeded",
            &[
                "toomanyrequestsexception",
                "limitexceeded",
                "limit exceeded",
                "quota exceeded",
                "quotaexceeded",
                "too many connections",
                "too many clients",
                "remaining connection slots are reserved",
                // A VPC function's subnets out of addresses, or its account out of network interfaces.
                "insufficientfreeaddresses",
                "no available ip addresses",
                "subnetipaddresslimitreached",
                "enilimitreached",
                // A client's connection pool with every connection in use (HikariCP, SQLAlchemy, Apache HttpClient).
                "connection is not available",
                "queuepool limit",
                "waiting for connection from pool",
                "pool exhausted",
                // OpenSearch turning work away when a thread pool's queue or its indexing memory is full.
                "rejected_execution",
                "rejected execution",
            ],
        ),
        // A full disk, before access: OpenSearch blocks writes at its flood-stage disk watermark with a FORBIDDEN.
        (
            "diskFull",
            &[
                "no space left",
                "enospc",
                "disk full",
                "disk quota",
                "read-only / allow delete",
                "flood-stage",
                "flood stage",
            ],
        ),
        // KMS: "You have exceeded the rate at which you may call KMS".
        ("throttling", &["rate exceeded", "toomanyrequests", "too many requests", "exceeded the rate at which"]),
        (
            "accessDenied",
            &[
                "accessdenied",
                "access denied",
                "not authorized",
                "unauthorized",
                "forbidden",
                "permission denied",
                // A KMS key that is disabled or pending deletion refuses every use of it.
                "disabledexception",
                "kmsinvalidstate",
                "kmsdisabled",
                "is pending deletion",
                "key is disabled",
                // Secrets Manager's DecryptionFailure: the secret's KMS key refused to decrypt it.
                "decryptionfailure",
                "can't decrypt",
                "cannot decrypt",
                // A secret deleted with a recovery window refuses every read until restored.
                "marked for deletion",
                // API Gateway refused by the function's resource policy: "Invalid permissions on Lambda function".
                "invalid permissions",
                // A role whose trust policy no longer lets the service assume it (ECS, Lambda).
                "unable to assume the role",
                "cannot be assumed",
            ],
        ),
        (
            "outOfMemory",
            &[
                "out of memory",
                "outofmemory",
                "memoryerror",
                "enomem",
                "oomkilled",
                "signal: killed",
                "cannot allocate memory",
                // Redis refusing writes at its memory limit.
                "oom command not allowed",
                // OpenSearch's circuit breaker refusing a request that would overflow the JVM heap.
                "circuit_breaking_exception",
            ],
        ),
        (
            "dns",
            &[
                "enotfound",
                "getaddrinfo",
                "nxdomain",
                "eai_again",
                "name resolution",
                "unknownhostexception",
                "name or service not known",
            ],
        ),
        ("tls", &["certificate", "handshake", "ssl", "x509", "cert_"]),
        // A managed server going down or coming back (a database failover or host replacement), as the server
        // logs it or its clients relay it.
        (
            "restart",
            &[
                "administrator command",
                "database system is shut down",
                "database system was shut down",
                "database system is starting up",
                "database system was interrupted",
                "fast shutdown request",
                "starting postgresql",
                "shutting down mysqld",
                "mysqld: shutdown complete",
                "mysqld (mysqld",
                "crash recovery",
                "failover",
                // Redis: a replica promoted or cut off from its primary, a node back up.
                "master mode enabled",
                "connection with master lost",
                "just started",
                // An instance's operating system shutting down when it is stopped (`Power key pressed.`).
                HOST_SHUTDOWN[0],
                HOST_SHUTDOWN[1],
                HOST_SHUTDOWN[2],
                // Fargate Spot or EC2 Spot capacity taken back by AWS.
                "spotinterruption",
                "spot task was interrupted",
                "spot instance interruption",
            ],
        ),
        // A server answering that it cannot serve now (a provider's 503, a proxy's 502): the far end is failing.
        (
            "unavailable",
            &[
                "service unavailable",
                "serviceunavailable",
                "bad gateway",
                "502 server error",
                "503 server error",
                "status code 502",
                "status code 503",
            ],
        ),
        ("timeout", &["timed out", "timed-out", "timeout", "etimedout", "deadline exceeded", "deadlineexceeded"]),
        (
            "connection",
            &[
                "econnrefused",
                "econnreset",
                "connection reset",
                "connection refused",
                "connection closed",
                "connection dropped",
                "connection lost",
                "connection aborted",
                "no connection established",
                "connection was closed",
                "socket hang up",
                "epipe",
                "broken pipe",
                "ehostunreach",
                "network is unreachable",
                "unable to execute http request",
            ],
        ),
        ("notFound", &["notfound", "not found", "nosuchkey", "nosuchbucket", "does not exist", "no such file"]),
        // A request refused as malformed: a validator's schema (API Gateway's model), a service's parameter checks.
        (
            "invalidRequest",
            &[
                "validationexception",
                "validation error",
                "failed validation",
                "invalid request body",
                "does not match model schema",
                "missing required request parameters",
                "invalidparameter",
                "invalid parameter",
            ],
        ),
        (
            "exception",
            &["exception", "traceback", "panic", "unhandled", "uncaught", "segmentation fault", "stack trace"],
        ),
        ("exception", &["fatal error", "runtime.exiterror", "exited with error"]),
    ];
    let lower = text.to_ascii_lowercase();
    // A deprecation notice names settings and APIs (`javax.persistence.lock.timeout` is deprecated), not failures.
    if lower.contains("deprecat") {
        return None;
    }
    CLASSES
        .iter()
        .find_map(|(class, needles)| {
            needles.iter().find_map(|needle| word_start_of(text, &lower, needle)).map(|at| (*class, Some(at)))
        })
        .or_else(|| names_an_error_type(&lower).then_some(("exception", None)))
}

/// Where `needle` (lower case) first occurs in `text` at the start of a word or a CamelCase part: `NotFound` in
/// `ResourceNotFoundException`, but not `ENOTFOUND` inside it.
fn word_start_of(text: &str, lower: &str, needle: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    lower
        .match_indices(needle)
        .map(|(at, _)| at)
        .find(|&at| at == 0 || !bytes[at - 1].is_ascii_alphanumeric() || bytes[at].is_ascii_uppercase())
}

/// An error type in (lower-cased) text: a word ending in `error` or `exception` with a prefix (`typeerror`,
/// `keyerror`, `nullpointerexception`), as opposed to the plain word `error`. A field's name (`gwError=…`,
/// `"lastError":…`) is not an error: its value says whether there was one.
fn names_an_error_type(lower: &str) -> bool {
    let in_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    let mut rest = lower;
    while let Some(start) = rest.find(in_word) {
        let after_start = &rest[start..];
        let end = after_start.find(|c: char| !in_word(c)).unwrap_or(after_start.len());
        let (word, after) = after_start.split_at(end);
        rest = after;
        let field_name = after.starts_with('=') || after.starts_with("\":");
        let word = word.rsplit('.').next().unwrap_or(word);
        if !field_name
            && ["error", "exception"].iter().any(|suffix| word.len() > suffix.len() && word.ends_with(suffix))
        {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_classes_are_recognised_generically() {
        let cases = [
            ("ProvisionedThroughputExceededException: level exceeded", Some("throttling")),
            ("Rate exceeded", Some("throttling")),
            ("TooManyRequestsException: Rate Exceeded. (Service: Lambda)", Some("limitExceeded")),
            ("429 Too Many Requests", Some("throttling")),
            ("RequestLimitExceeded: Request limit exceeded.", Some("throttling")),
            ("FATAL: sorry, too many connections for role app", Some("limitExceeded")),
            ("FATAL:  sorry, too many clients already", Some("limitExceeded")),
            (
                "Lambda was not able to set up VPC access: the subnets have no available IP addresses",
                Some("limitExceeded"),
            ),
            ("Runtime exited with error: signal: killed Runtime.ExitError", Some("outOfMemory")),
            ("botocore.exceptions.NoCredentialsError: Unable to locate credentials", Some("credential")),
            ("User: x is not authorized to perform: s3:GetObject", Some("accessDenied")),
            ("AccessDeniedException: denied", Some("accessDenied")),
            ("KMS.KMSInvalidStateException: arn:aws:kms:r:1:key/k is pending deletion.", Some("accessDenied")),
            ("KMS key disabled error: com.amazonaws.services.kms.model.DisabledException", Some("accessDenied")),
            ("DecryptionFailure: Secrets Manager can't decrypt the protected secret text", Some("accessDenied")),
            ("HHH90000021: Encountered deprecated setting [javax.persistence.lock.timeout], use [jakarta…]", None),
            ("The security token included in the request is expired (ExpiredTokenException)", Some("credential")),
            ("Request body does not match model schema for content type application/json", Some("invalidRequest")),
            ("ValidationException: 1 validation error detected: Value null at 'name'", Some("invalidRequest")),
            ("Task timed out after 3.00 seconds", Some("timeout")),
            ("systemd-logind[612]: Power key pressed.", Some("restart")),
            (
                "(InvalidSignatureException) Signature expired: 20260224T152951Z is now earlier than 20260224T153451Z",
                Some("clockSkew"),
            ),
            ("ECS was unable to assume the role 'arn:aws:iam::1:role/app' that was provided", Some("accessDenied")),
            (
                "Execution failed due to configuration error: Invalid permissions on Lambda function",
                Some("accessDenied"),
            ),
            ("OperationalError(9501, 'Timed-out waiting to acquire database connection')", Some("timeout")),
            ("TransportError(429, 'circuit_breaking_exception', '[parent] Data too large')", Some("outOfMemory")),
            (
                "requests.exceptions.HTTPError: 503 Server Error: Service Unavailable for url: https://api.x.com/v2",
                Some("unavailable"),
            ),
            ("upstream answered 502 Bad Gateway", Some("unavailable")),
            ("GET /v1/rates returned 503 Service Unavailable", Some("unavailable")),
            (
                "java.sql.SQLTransientConnectionException: HikariPool-2 - Connection is not available, request timed out after 30000ms",
                Some("limitExceeded"),
            ),
            (
                r#"first error: {"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"}"#,
                Some("limitExceeded"),
            ),
            ("java.lang.OutOfMemoryError: Java heap space", Some("outOfMemory")),
            ("Terminating due to java.lang.OutOfMemoryError: GC overhead limit exceeded", Some("outOfMemory")),
            ("ReplyError: OOM command not allowed when used memory > 'maxmemory'.", Some("outOfMemory")),
            ("write failed: No space left on device", Some("diskFull")),
            (
                "cluster_block_exception blocked by: [FORBIDDEN/12/index read-only / allow delete (api)];",
                Some("diskFull"),
            ),
            ("connect ECONNREFUSED 10.0.0.1:5432", Some("connection")),
            ("14 UNAVAILABLE: Connection dropped", Some("connection")),
            ("FATAL:  terminating connection due to administrator command", Some("restart")),
            ("LOG:  database system is shut down", Some("restart")),
            (
                "ECS Task State Change lastStatus=STOPPED stopCode=SpotInterruption Your Spot Task was interrupted.",
                Some("restart"),
            ),
            (
                "InvalidRequestException: You can't perform this operation on the secret because it was marked for deletion.",
                Some("accessDenied"),
            ),
            ("INFO: Application shutdown complete.", None),
            ("[Server] /rdsdbbin/mysql/bin/mysqld (mysqld 8.0.39) starting as process 588", Some("restart")),
            ("* MASTER MODE enabled (user request from 'id=78 cmd=replicaof')", Some("restart")),
            ("KmsException: You have exceeded the rate at which you may call KMS.", Some("throttling")),
            ("getaddrinfo ENOTFOUND db.internal", Some("dns")),
            ("unable to verify the first certificate", Some("tls")),
            ("KeyError: 'id'", Some("exception")),
            ("NullPointerException at Foo.bar", Some("exception")),
            ("ResourceNotFoundException: Requested resource not found", Some("notFound")),
            ("request completed", None),
            ("reqId=<*> status=<*> gwError=<*>", None),
            (r#"{"status":200,"lastError":null}"#, None),
            ("an error happened", None),
        ];
        for (text, class) in cases {
            assert_eq!(error_class(text), class, "{text}");
        }
    }

    #[test]
    fn the_phrase_that_gives_the_class_is_found() {
        let text = "ERROR servlet threw exception with root cause java.sql.SQLTransientConnectionException: \
                    HikariPool-2 - Connection is not available, request timed out after 30000ms";
        let at = error_phrase_at(text).unwrap();
        assert!(text[at..].starts_with("Connection is not available"), "{}", &text[at..]);
        assert_eq!(error_phrase_at("KeyError: 'id'"), None);
    }
}
