//! CloudWatch Logs lines as AWS and applications print them: Lambda platform lines (START/END/REPORT, timeouts,
//! runtime exits), application lines in each logging style, unhandled-error dumps and API Gateway access/execution logs.

use super::clock;
use super::errors::ErrorReport;
use super::json::{Field, Obj, push_str_literal, str_literal};
use super::model::LogStyle;

/// One CloudWatch Logs event.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    pub group: String,
    pub stream: String,
    pub timestamp: i64,
    pub message: String,
}

impl LogEvent {
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.message.len() + self.group.len() + self.stream.len() + 64);
        out.push_str("{\"logGroup\":");
        push_str_literal(&mut out, &self.group);
        out.push_str(",\"logStream\":");
        push_str_literal(&mut out, &self.stream);
        out.push_str(",\"timestamp\":");
        out.push_str(&self.timestamp.to_string());
        out.push_str(",\"message\":");
        push_str_literal(&mut out, &self.message);
        out.push('}');
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn lower(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }

    fn upper(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }

    fn pino(self) -> i64 {
        match self {
            Level::Info => 30,
            Level::Warn => 40,
            Level::Error => 50,
        }
    }
}

/// What every application line of one request shares.
#[derive(Debug, Clone)]
pub struct LineContext<'a> {
    pub style: LogStyle,
    pub request_id: &'a str,
    /// Service name (Powertools `service`, Spring application name).
    pub service: &'a str,
    /// Logger / class name (`OrderHandler`).
    pub logger: &'a str,
    pub function_name: &'a str,
    pub cold_start: bool,
    pub trace_id: Option<&'a str>,
    /// ECS container host name.
    pub hostname: &'a str,
    /// Tomcat worker thread number (Spring).
    pub thread: u32,
}

fn error_object(err: &ErrorReport) -> String {
    let mut obj = Obj::new().str("type", &err.short_type).str("message", &err.message).str("stack", &err.stack_text());
    if let Some(code) = &err.code {
        obj = obj.str("code", code);
    }
    obj.finish()
}

fn plain_fields(fields: &[(&str, Field)]) -> String {
    let mut out = String::new();
    for (key, value) in fields {
        out.push(' ');
        out.push_str(key);
        out.push('=');
        out.push_str(&value.to_plain());
    }
    out
}

/// An application log line in the workload's style.
pub fn app_line(
    ctx: &LineContext,
    timestamp: i64,
    level: Level,
    msg: &str,
    fields: &[(&str, Field)],
    err: Option<&ErrorReport>,
) -> String {
    match ctx.style {
        LogStyle::NodeTabJson => {
            let mut obj =
                Obj::new().str("level", level.lower()).str("msg", msg).str("requestId", ctx.request_id).fields(fields);
            if let Some(err) = err {
                obj = obj.raw("err", &error_object(err));
            }
            format!("{}\t{}\t{}\t{}", clock::iso_ms(timestamp), ctx.request_id, level.upper(), obj.finish())
        }
        LogStyle::NodePino => {
            let mut obj = Obj::new()
                .str("level", level.lower())
                .str("time", &clock::iso_ms(timestamp))
                .str("msg", msg)
                .str("requestId", ctx.request_id)
                .fields(fields);
            if let Some(err) = err {
                obj = obj.raw("err", &error_object(err));
            }
            obj.finish()
        }
        LogStyle::Powertools => {
            let mut obj = Obj::new()
                .str("level", level.upper())
                .str("location", &format!("{}:{}", ctx.logger, 40 + msg.len() % 60))
                .str("message", msg)
                .str("timestamp", &clock::powertools(timestamp))
                .str("service", ctx.service)
                .raw("cold_start", if ctx.cold_start { "true" } else { "false" })
                .str("function_name", ctx.function_name)
                .str("function_request_id", ctx.request_id);
            if let Some(trace) = ctx.trace_id {
                obj = obj.str("xray_trace_id", trace);
            }
            obj = obj.fields(fields);
            if let Some(err) = err {
                obj = obj.str("exception", &err.stack_text()).str("exception_name", &err.short_type);
            }
            obj.finish()
        }
        LogStyle::JavaText => {
            let mut line = format!(
                "{} {} {:<5} {} - {}{}",
                clock::space_ms(timestamp),
                ctx.request_id,
                level.upper(),
                ctx.logger,
                msg,
                plain_fields(fields)
            );
            if let Some(err) = err {
                line.push('\n');
                line.push_str(&err.stack_text());
            }
            line
        }
        LogStyle::EcsPino => {
            let mut obj = Obj::new()
                .int("level", level.pino())
                .int("time", timestamp)
                .int("pid", 1)
                .str("hostname", ctx.hostname)
                .str("reqId", ctx.request_id)
                .fields(fields);
            if let Some(err) = err {
                obj = obj.raw("err", &error_object(err));
            }
            obj.str("msg", msg).finish()
        }
        LogStyle::EcsSpring => {
            let mut line = format!(
                "{} {:>5} 1 --- [{}] [nio-8080-exec-{}] {:<40} : {}{}",
                clock::iso_ms(timestamp),
                level.upper(),
                ctx.service,
                ctx.thread,
                ctx.logger,
                msg,
                plain_fields(fields)
            );
            if let Some(err) = err {
                line.push('\n');
                line.push_str(&err.stack_text());
            }
            line
        }
        LogStyle::EcsStructlog => {
            let mut obj = Obj::new()
                .str("event", msg)
                .str("level", level.lower())
                .str("logger", ctx.logger)
                .str("request_id", ctx.request_id)
                .fields(fields)
                .str("timestamp", &clock::iso_ms(timestamp));
            if let Some(err) = err {
                obj = obj.str("exception", &err.stack_text());
            }
            obj.finish()
        }
    }
}

/// The dump the Lambda runtime prints when a handler throws.
pub fn lambda_unhandled(style: LogStyle, timestamp: i64, request_id: &str, err: &ErrorReport) -> String {
    match style {
        LogStyle::Powertools | LogStyle::EcsStructlog => {
            format!("[ERROR] {}: {}\n{}", err.short_type, err.message, err.stack_text())
        }
        LogStyle::JavaText | LogStyle::EcsSpring => {
            let frames: Vec<String> = err.frames.iter().map(|frame| format!("    {}", str_literal(frame))).collect();
            format!(
                "{{\n  \"errorMessage\": {},\n  \"errorType\": {},\n  \"stackTrace\": [\n{}\n  ]\n}}",
                str_literal(&err.message),
                str_literal(&err.qualified_type),
                frames.join(",\n")
            )
        }
        LogStyle::NodeTabJson | LogStyle::NodePino | LogStyle::EcsPino => {
            let mut obj = Obj::new().str("errorType", &err.short_type).str("errorMessage", &err.message);
            if let Some(code) = &err.code {
                obj = obj.str("code", code);
            }
            let stack = Field::List(err.stack_lines());
            let body = obj.field("stack", &stack).finish();
            format!("{}\t{request_id}\tERROR\tInvoke Error \t{body}", clock::iso_ms(timestamp))
        }
    }
}

pub fn lambda_start(request_id: &str, version: &str) -> String {
    format!("START RequestId: {request_id} Version: {version}")
}

pub fn lambda_end(request_id: &str) -> String {
    format!("END RequestId: {request_id}")
}

/// The fields of a Lambda `REPORT` line.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    pub request_id: &'a str,
    pub duration_ms: f64,
    pub memory_mb: u32,
    pub max_memory_mb: u32,
    pub init_ms: Option<f64>,
    /// `Status: timeout`, or an error type such as `Runtime.OutOfMemory`.
    pub status: Option<&'a str>,
    pub xray: Option<(&'a str, &'a str, bool)>,
}

pub fn lambda_report(report: &Report) -> String {
    let mut line = format!(
        "REPORT RequestId: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
        report.request_id,
        report.duration_ms,
        report.duration_ms.ceil() as i64,
        report.memory_mb,
        report.max_memory_mb
    );
    if let Some(init) = report.init_ms {
        line.push_str(&format!("Init Duration: {init:.2} ms\t"));
    }
    match report.status {
        Some("timeout") => line.push_str("Status: timeout\t"),
        Some(error_type) => line.push_str(&format!("Status: error\tError Type: {error_type}\t")),
        None => {}
    }
    if let Some((trace_id, segment_id, sampled)) = report.xray {
        line.push_str(&format!("\nXRAY TraceId: {trace_id}\tSegmentId: {segment_id}\tSampled: {sampled}\t"));
    }
    line
}

pub fn lambda_timeout(timestamp: i64, request_id: &str, timeout_s: f64) -> String {
    format!("{} {request_id} Task timed out after {timeout_s:.2} seconds", clock::iso_ms(timestamp))
}

pub fn lambda_runtime_killed(request_id: &str) -> String {
    format!("RequestId: {request_id} Error: Runtime exited with error: signal: killed\nRuntime.ExitError")
}

/// Harmless warnings runtimes print at cold start (noise every real log has).
pub fn cold_start_warning(style: LogStyle, timestamp: i64) -> Option<String> {
    match style {
        LogStyle::NodeTabJson | LogStyle::NodePino => Some(format!(
            "{}\tundefined\tWARN\t(node:8) [DEP0040] DeprecationWarning: The `punycode` module is deprecated. Please use a userland alternative instead.\n(Use `node --trace-deprecation ...` to show where the warning was created)",
            clock::iso_ms(timestamp)
        )),
        LogStyle::Powertools => Some(
            "/var/task/botocore/auth.py:424: DeprecationWarning: datetime.datetime.utcnow() is deprecated and scheduled for removal in a future version. Use timezone-aware objects to represent datetimes in UTC: datetime.datetime.now(datetime.UTC).\n  datetime_now = datetime.datetime.utcnow()"
                .to_string(),
        ),
        LogStyle::JavaText => Some(
            "WARNING: A terminally deprecated method in java.lang.System has been called\nWARNING: System::setSecurityManager has been called by org.crac.Core".to_string(),
        ),
        _ => None,
    }
}

/// One API Gateway access log record.
#[derive(Debug, Clone)]
pub struct Access<'a> {
    pub request_id: &'a str,
    pub ip: &'a str,
    pub timestamp: i64,
    pub method: &'a str,
    /// Resource path template (`/orders/{id}`).
    pub resource: &'a str,
    pub status: u16,
    pub response_length: u32,
    pub integration_latency_ms: i64,
    pub user_agent: Option<&'a str>,
    pub integration_error: Option<&'a str>,
}

/// REST API access log in the JSON format teams commonly configure.
pub fn rest_access(access: &Access) -> String {
    let mut obj = Obj::new()
        .str("requestId", access.request_id)
        .str("ip", access.ip)
        .str("requestTime", &clock::clf(access.timestamp))
        .str("httpMethod", access.method)
        .str("resourcePath", access.resource)
        .str("status", &access.status.to_string())
        .str("responseLength", &access.response_length.to_string())
        .str("integrationLatency", &access.integration_latency_ms.to_string());
    if let Some(agent) = access.user_agent {
        obj = obj.str("userAgent", agent);
    }
    obj.finish()
}

/// HTTP API access log (route keys, integration error message).
pub fn http_access(access: &Access) -> String {
    Obj::new()
        .str("requestId", access.request_id)
        .str("ip", access.ip)
        .str("requestTime", &clock::clf(access.timestamp))
        .str("httpMethod", access.method)
        .str("routeKey", &format!("{} {}", access.method, access.resource))
        .str("status", &access.status.to_string())
        .str("protocol", "HTTP/1.1")
        .str("responseLength", &access.response_length.to_string())
        .str("integrationErrorMessage", access.integration_error.unwrap_or("-"))
        .str("integrationLatency", &access.integration_latency_ms.to_string())
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::errors::{CodeSite, Failure, describe};
    use crate::synth::model::Runtime;

    fn ctx(style: LogStyle) -> LineContext<'static> {
        LineContext {
            style,
            request_id: "rid-1",
            service: "orders",
            logger: "OrderHandler",
            function_name: "orders-api",
            cold_start: false,
            trace_id: Some("1-abc-def"),
            hostname: "ip-10-0-1-2.ec2.internal",
            thread: 3,
        }
    }

    #[test]
    fn json_styles_parse_and_carry_the_error() {
        let site = CodeSite {
            runtime: Runtime::Node,
            on_ecs: false,
            entity: "Order".into(),
            module: "orders".into(),
            package: "com.acme".into(),
            aws_request_id: "X".into(),
        };
        let err = describe(&Failure::CodeDefect { variant: 0 }, &site);
        for style in [LogStyle::NodePino, LogStyle::Powertools, LogStyle::EcsPino, LogStyle::EcsStructlog] {
            let line = app_line(
                &ctx(style),
                1_749_390_901_281,
                Level::Error,
                "unhandled error",
                &[("status", Field::Int(500))],
                Some(&err),
            );
            let parsed: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("{style:?}: {e}: {line}"));
            assert!(parsed.to_string().contains("shippingAddress"), "{line}");
        }
        let tab = app_line(&ctx(LogStyle::NodeTabJson), 1_749_390_901_281, Level::Info, "done", &[], None);
        assert!(tab.starts_with("2025-06-08T13:55:01.281Z\trid-1\tINFO\t{\"level\":\"info\""), "{tab}");
    }

    #[test]
    fn report_line_matches_the_lambda_layout() {
        let line = lambda_report(&Report {
            request_id: "r",
            duration_ms: 39.734,
            memory_mb: 256,
            max_memory_mb: 96,
            init_ms: None,
            status: None,
            xray: Some(("1-a-b", "seg", true)),
        });
        assert_eq!(
            line,
            "REPORT RequestId: r\tDuration: 39.73 ms\tBilled Duration: 40 ms\tMemory Size: 256 MB\tMax Memory Used: 96 MB\t\nXRAY TraceId: 1-a-b\tSegmentId: seg\tSampled: true\t"
        );
    }
}
