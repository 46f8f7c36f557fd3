//! X-Ray traces of sampled executions, in the shape `BatchGetTraces` returns: API Gateway stage segments,
//! Lambda service and function segments (or an ECS container segment) and one subsegment per dependency call.

use serde_json::{Value, json};

use super::errors::{CodeSite, describe};
use super::model::{Action, ApiKind, Compute, Dep, Entry, System, Workload};
use super::random::{SimRng, hex, upper_alnum};
use super::sim::{CallResult, CallStatus, Execution, Outcome, Trigger};

fn seconds(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1_000_000.0
}

fn exception(rng: &mut SimRng, message: &str, kind: &str, remote: bool) -> Value {
    json!({"id": hex(rng, 16), "message": message, "type": kind, "remote": remote})
}

/// One trace as a JSON line.
pub fn build(rng: &mut SimRng, sys: &System, workload: &Workload, execution: &Execution, status: u16) -> String {
    let site = CodeSite {
        runtime: workload.compute.runtime(),
        on_ecs: workload.compute.ecs().is_some(),
        entity: workload.domain.singular_title(),
        module: workload.domain.plural.to_string(),
        package: sys.company.java_package.clone(),
        aws_request_id: upper_alnum(rng, 16),
    };
    let calls: Vec<Value> =
        execution.calls.iter().map(|call| call_subsegment(rng, sys, workload, call, &site)).collect();
    let trace_id = execution.trace_id.clone();
    let start = execution.arrival_ms as f64;
    let end = execution.end_ms() + 2.0;
    let fault = status >= 500 || execution.is_server_error();
    let error = (400..500).contains(&status);
    let mut segments: Vec<Value> = Vec::new();
    match &workload.compute {
        Compute::Ecs(service) => {
            let mut segment = json!({
                "id": execution.segment_id,
                "trace_id": trace_id,
                "name": service.service,
                "origin": "AWS::ECS::Container",
                "start_time": seconds(execution.exec_start_ms),
                "end_time": seconds(end),
                "http": {
                    "request": {"method": execution.route(workload).map_or("GET", |r| r.method), "url": format!("http://{}{}", execution.host, execution.path), "client_ip": "10.0.0.12", "x_forwarded_for": true},
                    "response": {"status": status}
                },
                "aws": {"ecs": {"container": execution.host, "container_id": execution.stream.rsplit('/').next().unwrap_or_default()}, "xray": {"sdk": sdk_name(workload)}},
                "subsegments": calls,
            });
            flag(&mut segment, fault, error);
            if let Outcome::Failed(failure) = &execution.outcome {
                let report = describe(failure, &site);
                segment["cause"] = json!({"working_directory": "/app", "exceptions": [exception(rng, &report.message, &report.short_type, false)]});
            }
            segments.push(segment);
        }
        Compute::Lambda(function) => {
            let function_arn = sys.arn("lambda", &format!("function:{}", function.name));
            let service_id = hex(rng, 16);
            let mut parent = None;
            if let Entry::Api(api) = &workload.entry
                && api.kind == ApiKind::Rest
            {
                let stage_id = hex(rng, 16);
                let integration_id = hex(rng, 16);
                parent = Some(integration_id.clone());
                let mut invoke = json!({
                    "id": integration_id,
                    "name": "Lambda",
                    "namespace": "aws",
                    "start_time": seconds(start + 1.0),
                    "end_time": seconds(end),
                    "http": {"request": {"url": format!("https://lambda.{}.amazonaws.com/2015-03-31/functions/{function_arn}/invocations", sys.region), "method": "POST"}, "response": {"status": if execution.outcome == Outcome::Throttled { 429 } else { 200 }}},
                    "aws": {"function_name": function.name, "region": sys.region, "operation": "Invoke", "resource_names": [function.name]},
                });
                flag(&mut invoke, fault, false);
                let mut stage = json!({
                    "id": stage_id,
                    "trace_id": trace_id,
                    "name": format!("{}/{}", api.name, api.stage),
                    "origin": "AWS::ApiGateway::Stage",
                    "start_time": seconds(start),
                    "end_time": seconds(end + 3.0),
                    "http": {
                        "request": {"url": format!("https://{}.execute-api.{}.amazonaws.com/{}{}", api.id, sys.region, api.stage, execution.path), "method": execution.route(workload).map_or("GET", |r| r.method), "client_ip": "203.0.113.10", "x_forwarded_for": true},
                        "response": {"status": status, "content_length": 0}
                    },
                    "aws": {"api_gateway": {"account_id": sys.account, "rest_api_id": api.id, "stage": api.stage, "request_id": execution.edge_request_id}},
                    "annotations": {"aws:api_id": api.id, "aws:api_stage": api.stage},
                    "resource_arn": format!("arn:aws:apigateway:{}::/restapis/{}/stages/{}", sys.region, api.id, api.stage),
                    "subsegments": [invoke],
                });
                flag(&mut stage, fault, error);
                segments.push(stage);
            }
            let mut service = json!({
                "id": service_id,
                "trace_id": trace_id,
                "name": function.name,
                "origin": "AWS::Lambda",
                "start_time": seconds(start + 1.5),
                "end_time": seconds(end),
                "http": {"response": {"status": 200}},
                "aws": {"request_id": execution.request_id},
                "resource_arn": function_arn,
            });
            if let Some(parent) = parent {
                service["parent_id"] = json!(parent);
            }
            let function_error = matches!(execution.outcome, Outcome::TimedOut { .. } | Outcome::OutOfMemory)
                || (matches!(execution.outcome, Outcome::Failed(_))
                    && (function.errors_propagate || !matches!(execution.trigger, Trigger::Request { .. })));
            if function_error {
                service["fault"] = json!(true);
            }
            let invocation_end = execution.end_ms();
            let mut subsegments = Vec::new();
            if let Some(init) = execution.cold_init_ms {
                subsegments.push(json!({"id": hex(rng, 16), "name": "Initialization", "start_time": seconds(start + 2.0), "end_time": seconds(start + 2.0 + init)}));
            }
            subsegments.push(json!({"id": hex(rng, 16), "name": "Invocation", "start_time": seconds(execution.exec_start_ms), "end_time": seconds(invocation_end), "subsegments": calls}));
            subsegments.push(json!({"id": hex(rng, 16), "name": "Overhead", "start_time": seconds(invocation_end), "end_time": seconds(invocation_end + 0.4)}));
            let mut body = json!({
                "id": execution.segment_id,
                "trace_id": trace_id,
                "name": function.name,
                "origin": "AWS::Lambda::Function",
                "parent_id": service_id,
                "start_time": seconds(execution.exec_start_ms),
                "end_time": seconds(invocation_end + 0.4),
                "aws": {"account_id": sys.account, "function_arn": function_arn, "resource_names": [function.name]},
                "subsegments": subsegments,
            });
            match &execution.outcome {
                Outcome::Failed(failure) => {
                    let report = describe(failure, &site);
                    body["fault"] = json!(true);
                    body["cause"] = json!({"working_directory": "/var/task", "exceptions": [exception(rng, &report.message, &report.short_type, false)]});
                }
                Outcome::TimedOut { seconds: limit } => {
                    body["fault"] = json!(true);
                    body["cause"] = json!({"exceptions": [exception(rng, &format!("Task timed out after {limit:.2} seconds"), "Sandbox.Timedout", false)]});
                }
                Outcome::OutOfMemory => {
                    body["fault"] = json!(true);
                    body["cause"] = json!({"exceptions": [exception(rng, "Runtime exited with error: signal: killed", "Runtime.ExitError", false)]});
                }
                Outcome::Client(_) => body["error"] = json!(true),
                _ => {}
            }
            segments.push(service);
            segments.push(body);
        }
    }
    let duration = ((end + 3.0 - start) / 1000.0 * 1000.0).round() / 1000.0;
    let segments: Vec<Value> =
        segments.into_iter().map(|doc| json!({"Id": doc["id"].clone(), "Document": doc.to_string()})).collect();
    json!({"Id": trace_id, "Duration": duration, "LimitExceeded": false, "Segments": segments}).to_string()
}

fn flag(segment: &mut Value, fault: bool, error: bool) {
    if fault {
        segment["fault"] = json!(true);
    } else if error {
        segment["error"] = json!(true);
    }
}

fn sdk_name(workload: &Workload) -> &'static str {
    match workload.compute.runtime() {
        super::model::Runtime::Node => "X-Ray for Node.js",
        super::model::Runtime::Python => "X-Ray for Python",
        super::model::Runtime::Java => "X-Ray for Java",
    }
}

fn call_subsegment(rng: &mut SimRng, sys: &System, workload: &Workload, call: &CallResult, site: &CodeSite) -> Value {
    let id = hex(rng, 16);
    let start = seconds(call.start_ms);
    let end = seconds(call.start_ms + call.duration_ms);
    let failure = match &call.status {
        CallStatus::Failed(failure) => Some(failure),
        _ => None,
    };
    let report = failure.map(|f| describe(f, site));
    let Some(dep) = workload.deps.get(call.op.dep) else {
        return json!({"id": id, "name": "unknown", "start_time": start, "end_time": end});
    };
    let mut sub = match dep {
        Dep::Table(table) => json!({
            "id": id, "name": "DynamoDB", "namespace": "aws", "start_time": start, "end_time": end,
            "aws": {"operation": call.op.action.operation(), "region": sys.region, "request_id": call.aws_request_id, "retries": call.retries, "table_name": table.name, "resource_names": [table.name]},
            "http": {"response": {"status": if failure.is_some() || call.status == CallStatus::Conditional { 400 } else { 200 }, "content_length": 300 + call.aws_request_id.len() * 7}},
        }),
        Dep::Database(db) => {
            let (scheme, kind, version) = if db.engine.is_postgres() {
                ("postgresql", "PostgreSQL", "16.4")
            } else {
                ("mysql", "MySQL", "8.0.39")
            };
            json!({
                "id": id, "name": format!("{}@{}", db.db_name, db.endpoint), "namespace": "remote", "start_time": start, "end_time": end,
                "sql": {"url": format!("jdbc:{scheme}://{}:{}/{}", db.endpoint, db.engine.port(), db.db_name), "database_type": kind, "database_version": version, "user": "app", "sanitized_query": sanitized_query(call.op.action, workload)},
            })
        }
        Dep::Http(http) => {
            let mut value = json!({
                "id": id, "name": http.host, "namespace": "remote", "start_time": start, "end_time": end,
                "http": {"request": {"url": format!("https://{}{}", http.host, http.path), "method": http.method}},
            });
            match failure {
                Some(super::errors::Failure::HttpStatus { status, .. }) => {
                    value["http"]["response"] = json!({"status": status})
                }
                Some(super::errors::Failure::RateLimited { .. }) => {
                    value["http"]["response"] = json!({"status": 429});
                    value["throttle"] = json!(true);
                }
                Some(_) => {}
                None => {
                    value["http"]["response"] =
                        json!({"status": 200, "content_length": 180 + (call.duration_ms as u64 % 900)})
                }
            }
            value
        }
        Dep::Bucket(bucket) => {
            json!({"id": id, "name": "S3", "namespace": "aws", "start_time": start, "end_time": end, "aws": {"operation": call.op.action.operation(), "region": sys.region, "bucket_name": bucket, "request_id": call.aws_request_id}})
        }
        Dep::Secret(secret) => {
            json!({"id": id, "name": "SecretsManager", "namespace": "aws", "start_time": start, "end_time": end, "aws": {"operation": "GetSecretValue", "region": sys.region, "resource_names": [secret.name], "request_id": call.aws_request_id}})
        }
        Dep::Publish(queue) => {
            json!({"id": id, "name": "SQS", "namespace": "aws", "start_time": start, "end_time": end, "aws": {"operation": "SendMessage", "region": sys.region, "queue_url": format!("https://sqs.{}.amazonaws.com/{}/{queue}", sys.region, sys.account), "request_id": call.aws_request_id}})
        }
        Dep::Cache(cache) => {
            let hit = (call.op.action == Action::CacheGet).then_some(call.status == CallStatus::Ok);
            json!({"id": id, "name": cache.endpoint, "namespace": "remote", "start_time": start, "end_time": end, "metadata": {"default": {"db.system": "redis", "db.operation": call.op.action.operation(), "cache.hit": hit}}})
        }
        Dep::Credentials(secret) => {
            json!({"id": id, "name": "SecretsManager", "namespace": "aws", "start_time": start, "end_time": end, "aws": {"operation": "GetSecretValue", "region": sys.region, "resource_names": [secret.name], "request_id": call.aws_request_id}})
        }
        Dep::Stream(stream) => json!({
            "id": id, "name": "Kinesis", "namespace": "aws", "start_time": start, "end_time": end,
            "aws": {"operation": "PutRecord", "region": sys.region, "stream_name": stream.name, "resource_names": [stream.name], "request_id": call.aws_request_id, "retries": call.retries},
            "http": {"response": {"status": if failure.is_some() { 400 } else { 200 }}},
        }),
    };
    if call.throttled {
        sub["throttle"] = json!(true);
    }
    match (&call.status, report) {
        (CallStatus::Failed(failure), Some(report)) => {
            let client_side = matches!(
                failure,
                super::errors::Failure::Throttled { .. }
                    | super::errors::Failure::AccessDenied { .. }
                    | super::errors::Failure::HttpStatus { status: 400..=499, .. }
                    | super::errors::Failure::RateLimited { .. }
                    | super::errors::Failure::ResourceMissing { .. }
                    | super::errors::Failure::KeyUnusable { .. }
                    | super::errors::Failure::PolicyDenied { .. }
                    | super::errors::Failure::StreamThrottled { .. }
            );
            sub[if client_side { "error" } else { "fault" }] = json!(true);
            sub["cause"] = json!({"exceptions": [exception(rng, &report.message, &report.short_type, true)]});
        }
        (CallStatus::Conditional, _) => {
            sub["error"] = json!(true);
            sub["cause"] = json!({"exceptions": [exception(rng, "The conditional request failed", "ConditionalCheckFailedException", true)]});
        }
        _ => {}
    }
    sub
}

fn sanitized_query(action: Action, workload: &Workload) -> String {
    let table = workload.domain.plural.replace('-', "_");
    match action {
        Action::SqlInsert => {
            format!("INSERT INTO {table} (id, customer_id, status, total, created_at) VALUES ($1, $2, $3, $4, now())")
        }
        Action::SqlUpdate => format!("UPDATE {table} SET status = $1, updated_at = now() WHERE id = $2"),
        _ => format!("SELECT * FROM {table} WHERE id = $1"),
    }
}
