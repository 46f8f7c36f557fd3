//! Turns each simulated execution into what the account records: application and platform log lines,
//! API Gateway access/execution logs, Lambda/API/ALB metrics and (when sampled) an X-Ray trace.

use super::clock;
use super::errors::{CodeSite, Failure, describe};
use super::faults::{Effect, Fault};
use super::json::Field;
use super::logs::{self, Access, Level, LineContext, Report};
use super::model::{
    Action, ApiKind, Compute, Database, Dep, EcsService, Entry, JobKind, LambdaFn, LogStyle, RouteKind, Runtime,
    Workload,
};
use super::random::{SimRng, alnum, chance, uniform};
use super::sim::{CallStatus, ClientReason, Execution, Outcome, RngRanges, Sim, Trigger};
use super::traces;

const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "JPY", "BRL", "AUD"];

impl Sim<'_> {
    /// Records one execution in every signal.
    pub fn emit(&mut self, execution: &Execution) {
        let sys = self.sys;
        let workload = &sys.workloads[execution.workload];
        let status = self.client_status(workload, execution);
        match &workload.compute {
            Compute::Lambda(function) => self.emit_lambda(workload, function, execution, status),
            Compute::Ecs(service) => self.emit_ecs(workload, service, execution, status),
        }
        if workload.is_request_driven() {
            self.emit_edge(workload, execution, status);
        }
        if execution.sampled && self.traces.is_some() {
            // Trace ids get their own generator, so how many requests are sampled never changes the simulation.
            let mut trace_rng =
                <super::random::SimRng as rand::SeedableRng>::seed_from_u64(super::random::stable_hash(&[
                    &execution.trace_id
                ]));
            let trace = traces::build(&mut trace_rng, sys, workload, execution, status);
            if let Some(writer) = self.traces.as_mut() {
                // A failed trace write surfaces when the writer is flushed at the end.
                let _ = writer.line(&trace);
            }
        }
    }

    /// HTTP status the client sees.
    fn client_status(&self, workload: &Workload, execution: &Execution) -> u16 {
        let propagated = workload.compute.lambda().is_some_and(|f| f.errors_propagate);
        match (&execution.outcome, workload.api().map(|api| api.kind)) {
            (Outcome::Failed(_), Some(ApiKind::Rest)) if propagated => 502,
            _ => execution.http_status(workload),
        }
    }

    fn code_site(&mut self, workload: &Workload) -> CodeSite {
        CodeSite {
            runtime: workload.compute.runtime(),
            on_ecs: workload.compute.ecs().is_some(),
            entity: workload.domain.singular_title(),
            module: workload.domain.plural.to_string(),
            package: self.sys.company.java_package.clone(),
            aws_request_id: super::random::upper_alnum(&mut self.rng, 16),
        }
    }

    fn emit_lambda(&mut self, workload: &Workload, function: &LambdaFn, execution: &Execution, status: u16) {
        let index = execution.workload;
        let Some(ids) = self.state[index].lambda.as_ref().map(|l| l.ids) else { return };
        let minute = self.minute;
        if execution.outcome == Outcome::Throttled {
            self.metrics.add(ids.throttles, minute, 1.0);
            return;
        }
        let failed = matches!(execution.outcome, Outcome::Failed(_));
        let counts_as_error = match execution.trigger {
            Trigger::Request { .. } => failed && function.errors_propagate,
            _ => failed,
        } || matches!(execution.outcome, Outcome::TimedOut { .. } | Outcome::OutOfMemory);
        self.metrics.add(ids.invocations, minute, 1.0);
        self.metrics.add(ids.errors, minute, if counts_as_error { 1.0 } else { 0.0 });
        self.metrics.add(ids.throttles, minute, 0.0);
        self.metrics.add(ids.duration, minute, execution.duration_ms);

        let group = workload.log_group.clone();
        let stream = execution.stream.clone();
        let start = execution.exec_start_ms;
        let end = execution.end_ms();
        if let Some(init) = execution.cold_init_ms
            && chance(&mut self.rng, 0.35)
            && let Some(warning) = logs::cold_start_warning(function.style, execution.arrival_ms + (init * 0.6) as i64)
        {
            self.push_log(&group, &stream, execution.arrival_ms as f64 + init * 0.6, warning);
        }
        self.push_log(&group, &stream, start, logs::lambda_start(&execution.request_id, &execution.version_label));

        let trace_for_logs = execution.sampled.then_some(execution.trace_id.as_str());
        let logger = format!("{}Handler", workload.domain.singular_title());
        let ctx = LineContext {
            style: function.style,
            request_id: &execution.request_id,
            service: workload.domain.plural,
            logger: if function.style == LogStyle::Powertools { "handler" } else { &logger },
            function_name: &function.name,
            cold_start: execution.cold_init_ms.is_some(),
            trace_id: trace_for_logs,
            hostname: "",
            thread: 0,
        };
        let lines = self.app_lines(workload, execution, &ctx, status);
        for (t, line) in lines {
            self.push_log(&group, &stream, t, line);
        }

        let mut report_status = None;
        match &execution.outcome {
            Outcome::TimedOut { seconds } => {
                self.push_log(
                    &group,
                    &stream,
                    end - 1.0,
                    logs::lambda_timeout(end as i64 - 1, &execution.request_id, *seconds),
                );
                report_status = Some("timeout");
            }
            Outcome::OutOfMemory => {
                self.push_log(&group, &stream, end - 1.0, logs::lambda_runtime_killed(&execution.request_id));
                report_status = Some("Runtime.OutOfMemory");
            }
            Outcome::Failed(failure) if counts_as_error => {
                let site = self.code_site(workload);
                let report = describe(failure, &site);
                self.push_log(
                    &group,
                    &stream,
                    end - 0.5,
                    logs::lambda_unhandled(function.style, end as i64, &execution.request_id, &report),
                );
            }
            _ => {}
        }
        self.push_log(&group, &stream, end, logs::lambda_end(&execution.request_id));
        let xray =
            (workload.xray).then_some((execution.trace_id.as_str(), execution.segment_id.as_str(), execution.sampled));
        let report = logs::lambda_report(&Report {
            request_id: &execution.request_id,
            duration_ms: execution.duration_ms,
            memory_mb: self.lambda_memory(execution.workload, execution.arrival_ms, function.memory_mb),
            max_memory_mb: execution.memory_used_mb,
            init_ms: execution.cold_init_ms,
            status: report_status,
            xray,
        });
        self.push_log(&group, &stream, end + 0.4, report);
    }

    /// Application lines of one execution, with their timestamps.
    fn app_lines(
        &mut self,
        workload: &Workload,
        execution: &Execution,
        ctx: &LineContext,
        status: u16,
    ) -> Vec<(f64, String)> {
        let mut lines = Vec::new();
        let end = execution.end_ms();
        let propagated = workload.compute.lambda().is_some_and(|f| f.errors_propagate);
        self.call_lines(workload, execution, ctx, &mut lines);
        match &execution.trigger {
            Trigger::Request { .. } => {
                let Some(route) = execution.route(workload) else { return lines };
                let latency = Field::Int(execution.duration_ms.round() as i64);
                let completed = || {
                    vec![
                        ("method", Field::str(route.method)),
                        ("path", Field::str(execution.path.clone())),
                        ("status", Field::Int(i64::from(status))),
                        ("latency_ms", latency.clone()),
                    ]
                };
                match &execution.outcome {
                    Outcome::Ok => {
                        if chance(&mut self.rng, 0.5) {
                            let (msg, fields) = self.domain_line(workload, route.kind, execution);
                            lines.push((
                                end - 1.0,
                                logs::app_line(ctx, end as i64 - 1, Level::Info, &msg, &fields, None),
                            ));
                        }
                        lines.push((
                            end - 0.5,
                            logs::app_line(ctx, end as i64, Level::Info, "request completed", &completed(), None),
                        ));
                    }
                    Outcome::Client(reason) => {
                        let (msg, fields) = client_line(workload, execution, *reason, status);
                        lines.push((end - 1.0, logs::app_line(ctx, end as i64, Level::Warn, &msg, &fields, None)));
                        lines.push((
                            end - 0.5,
                            logs::app_line(ctx, end as i64, Level::Warn, "request completed", &completed(), None),
                        ));
                    }
                    Outcome::Failed(failure) => {
                        let site = self.code_site(workload);
                        let report = describe(failure, &site);
                        let lead = failure_lead(workload, execution, failure);
                        if let Some((msg, fields)) = lead {
                            lines.push((
                                end - 1.5,
                                logs::app_line(ctx, end as i64 - 1, Level::Error, &msg, &fields, None),
                            ));
                        }
                        if !propagated || chance(&mut self.rng, 0.4) {
                            let msg = failure_message(workload, execution, failure);
                            let fields =
                                vec![("status", Field::Int(500)), ("path", Field::str(execution.path.clone()))];
                            lines.push((
                                end - 1.0,
                                logs::app_line(ctx, end as i64, Level::Error, &msg, &fields, Some(&report)),
                            ));
                        }
                        if !propagated {
                            lines.push((
                                end - 0.5,
                                logs::app_line(ctx, end as i64, Level::Error, "request completed", &completed(), None),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            Trigger::Batch { messages } => {
                let queue = workload.queue().map(|q| q.queue.clone()).unwrap_or_default();
                let start = execution.exec_start_ms + 0.5;
                lines.push((
                    start,
                    logs::app_line(
                        ctx,
                        start as i64,
                        Level::Info,
                        "received batch",
                        &[("records", Field::Int(messages.len() as i64)), ("queue", Field::str(queue))],
                        None,
                    ),
                ));
                match &execution.outcome {
                    Outcome::Ok => lines.push((
                        end - 0.5,
                        logs::app_line(
                            ctx,
                            end as i64,
                            Level::Info,
                            "batch processed",
                            &[("records", Field::Int(messages.len() as i64)), ("failed", Field::Int(0))],
                            None,
                        ),
                    )),
                    Outcome::Failed(failure) => {
                        let site = self.code_site(workload);
                        let report = describe(failure, &site);
                        let culprit = messages.iter().find(|m| m.poison.is_some()).or(messages.first());
                        let mut fields = Vec::new();
                        if let Some(message) = culprit {
                            fields.push(("messageId", Field::str(message.id.clone())));
                            fields.push(("receiveCount", Field::Int(i64::from(message.receives))));
                        }
                        lines.push((
                            end - 1.0,
                            logs::app_line(
                                ctx,
                                end as i64,
                                Level::Error,
                                "failed to process record",
                                &fields,
                                Some(&report),
                            ),
                        ));
                    }
                    _ => {}
                }
            }
            Trigger::Stream { records, .. } => {
                if execution.outcome == Outcome::Ok {
                    let fields = [
                        ("records", Field::Int(i64::from(*records))),
                        ("windows", Field::Int(i64::from(records / 7 + 1))),
                    ];
                    lines.push((
                        end - 0.5,
                        logs::app_line(ctx, end as i64, Level::Info, "aggregated records", &fields, None),
                    ));
                }
            }
            Trigger::Job => {
                let start = execution.exec_start_ms + 0.5;
                match (&workload.entry, &execution.outcome) {
                    (Entry::Schedule(schedule), Outcome::Failed(_)) if schedule.job == JobKind::ErpSync => {
                        let since =
                            clock::iso_s(execution.arrival_ms - i64::from(schedule.every_min) * 60_000 - 70_000);
                        let fields = [
                            ("since", Field::str(since)),
                            ("attempt", Field::Int(i64::from(self.rng.random_range_u32(1, 4)))),
                        ];
                        lines.push((
                            end - 1.0,
                            logs::app_line(
                                ctx,
                                end as i64,
                                Level::Error,
                                "erp delta export failed, will retry next run",
                                &fields,
                                None,
                            ),
                        ));
                    }
                    (Entry::Schedule(schedule), Outcome::Ok) if matches!(schedule.job, JobKind::Report { .. }) => {
                        lines.extend(self.report_lines(workload, schedule.job, execution, ctx));
                    }
                    (_, Outcome::Ok) => {
                        lines.push((start, logs::app_line(ctx, start as i64, Level::Info, "run started", &[], None)));
                        let fields = [
                            ("updated", Field::Int(i64::from(self.rng.random_range_u32(0, 40)))),
                            ("scanned", Field::Int(i64::from(self.rng.random_range_u32(40, 400)))),
                        ];
                        lines.push((
                            end - 0.5,
                            logs::app_line(
                                ctx,
                                end as i64,
                                Level::Info,
                                &format!("{} reconciled", workload.domain.plural),
                                &fields,
                                None,
                            ),
                        ));
                    }
                    _ => {}
                }
            }
        }
        lines
    }

    /// Lines about individual dependency calls: retries on throttling, slow providers.
    fn call_lines(
        &mut self,
        workload: &Workload,
        execution: &Execution,
        ctx: &LineContext,
        lines: &mut Vec<(f64, String)>,
    ) {
        let logs_retries = self.state[execution.workload].logs_retries;
        for call in &execution.calls {
            let at = call.start_ms + call.duration_ms;
            if call.throttled && logs_retries && call.status == CallStatus::Ok {
                let fields = [
                    ("operation", Field::str(call.op.action.operation())),
                    ("retries", Field::Int(i64::from(call.retries))),
                ];
                lines.push((
                    at,
                    logs::app_line(
                        ctx,
                        at as i64,
                        Level::Warn,
                        if call.op.action == Action::PutRecord {
                            "Kinesis PutRecord throttled, succeeded after retries"
                        } else {
                            "DynamoDB request throttled, succeeded after retries"
                        },
                        &fields,
                        None,
                    ),
                ));
            }
            if call.op.action == Action::CacheSet
                && let CallStatus::Failed(failure) = &call.status
            {
                let site = self.code_site(workload);
                // Updates keep the customer's recent items; lookups cache what they read.
                let key = match execution.route(workload).map(|route| route.kind) {
                    Some(RouteKind::Update) => format!(
                        "{}:recent:{}",
                        workload.domain.singular,
                        execution.path.rsplit('/').next().unwrap_or_default()
                    ),
                    _ => format!("cache{}", execution.path.replace('/', ":")),
                };
                let fields = [("key", Field::Str(key)), ("error", Field::Str(describe(failure, &site).message))];
                let line = logs::app_line(ctx, at as i64, Level::Warn, "cache write failed, continuing", &fields, None);
                lines.push((at, line));
            }
            if call.op.action == Action::HttpCall
                && let Some(Dep::Http(http)) = workload.deps.get(call.op.dep)
            {
                if call.status == CallStatus::Ok && call.duration_ms > 1500.0 {
                    let fields = [
                        ("provider", Field::str(http.name.clone())),
                        ("latency_ms", Field::Int(call.duration_ms as i64)),
                    ];
                    lines.push((
                        at,
                        logs::app_line(
                            ctx,
                            at as i64,
                            Level::Warn,
                            &format!("slow response from {}", http.name),
                            &fields,
                            None,
                        ),
                    ));
                } else if call.status == CallStatus::Ok && chance(&mut self.rng, 0.3) {
                    let fields = [
                        ("provider", Field::str(http.name.clone())),
                        ("latency_ms", Field::Int(call.duration_ms as i64)),
                    ];
                    lines.push((at, logs::app_line(ctx, at as i64, Level::Info, http.success, &fields, None)));
                }
            }
        }
    }

    fn domain_line(
        &mut self,
        workload: &Workload,
        kind: RouteKind,
        execution: &Execution,
    ) -> (String, Vec<(&'static str, Field)>) {
        let domain = workload.domain;
        let id = execution.path.rsplit('/').next().unwrap_or_default().to_string();
        match kind {
            RouteKind::List => (
                format!("listed {}", domain.plural),
                vec![
                    ("count", Field::Int(i64::from(self.rng.random_range_u32(0, 26)))),
                    (
                        "cursor",
                        if chance(&mut self.rng, 0.5) { Field::Str(alnum(&mut self.rng, 16)) } else { Field::Null },
                    ),
                ],
            ),
            RouteKind::Get => (
                format!("{} fetched", domain.singular),
                vec![
                    ("id", Field::str(id)),
                    (
                        "cache",
                        Field::str(if cache_hit(execution, chance(&mut self.rng, 0.3)) { "hit" } else { "miss" }),
                    ),
                ],
            ),
            RouteKind::Create => (
                format!("{} created", domain.singular),
                vec![
                    ("id", Field::Str(format!("{}_{}", domain.id_prefix, alnum(&mut self.rng, 12)))),
                    ("items", Field::Int(i64::from(self.rng.random_range_u32(1, 7)))),
                    ("total", Field::Str(format!("{:.2}", uniform(&mut self.rng, 5.0, 480.0)))),
                    ("currency", Field::str(*super::random::pick(&mut self.rng, CURRENCIES))),
                ],
            ),
            _ => (
                format!("{} updated", domain.singular),
                vec![("id", Field::str(id)), ("version", Field::Int(i64::from(self.rng.random_range_u32(2, 40))))],
            ),
        }
    }

    fn emit_ecs(&mut self, workload: &Workload, service: &EcsService, execution: &Execution, status: u16) {
        if matches!(execution.outcome, Outcome::Unavailable | Outcome::Refused) {
            return;
        }
        let group = workload.log_group.clone();
        let stream = execution.stream.clone();
        let logger = match service.style {
            LogStyle::EcsSpring => format!(
                "c.{}.{}.web.{}Controller",
                self.sys.company.slug,
                workload.domain.plural,
                workload.domain.singular_title()
            ),
            _ => "app.routes".to_string(),
        };
        let ctx = LineContext {
            style: service.style,
            request_id: &execution.request_id,
            service: workload.domain.plural,
            logger: &logger,
            function_name: &service.service,
            cold_start: false,
            trace_id: None,
            hostname: &execution.host,
            thread: execution.thread,
        };
        if execution.outcome == Outcome::Killed {
            let at = execution.end_ms();
            for line in oom_lines(service.style, at as i64, f64::from(service.memory_mb)) {
                self.push_log(&group, &stream, at, line);
            }
            return;
        }
        let limit = f64::from(service.memory_mb);
        if f64::from(execution.memory_used_mb) > limit * 0.88 && chance(&mut self.rng, 0.03) {
            let fields = [
                ("heap_used_mb", Field::Int(i64::from(execution.memory_used_mb))),
                ("limit_mb", Field::Int(limit as i64)),
            ];
            let at = execution.exec_start_ms;
            self.push_log(
                &group,
                &stream,
                at,
                logs::app_line(&ctx, at as i64, Level::Warn, "memory usage high", &fields, None),
            );
        }
        let lines = self.app_lines(workload, execution, &ctx, status);
        for (t, line) in lines {
            self.push_log(&group, &stream, t, line);
        }
    }

    /// Edge metrics and logs: API Gateway (access/execution logs) or the load balancer.
    fn emit_edge(&mut self, workload: &Workload, execution: &Execution, status: u16) {
        let index = execution.workload;
        let Some(ids) = self.state[index].edge else { return };
        let minute = self.minute;
        let total_ms = match execution.outcome {
            Outcome::Throttled => uniform(&mut self.rng, 4.0, 15.0),
            _ => execution.end_ms() - execution.arrival_ms as f64 + uniform(&mut self.rng, 1.0, 4.0),
        };
        self.metrics.add(ids.count, minute, 1.0);
        match &workload.entry {
            Entry::Api(api) => {
                self.metrics.add(ids.client_errors, minute, if (400..500).contains(&status) { 1.0 } else { 0.0 });
                self.metrics.add(ids.server_errors, minute, if status >= 500 { 1.0 } else { 0.0 });
                let latency = total_ms + uniform(&mut self.rng, 6.0, 16.0);
                self.metrics.add(ids.latency, minute, latency);
                self.metrics.add(ids.latency_p99, minute, latency);
                if let Some(integration) = ids.integration {
                    self.metrics.add(integration, minute, total_ms);
                }
                let done = execution.arrival_ms as f64 + latency;
                let (ip, agent) = self.client(index, &execution.trigger);
                let resource = execution.route(workload).map(|r| r.template.clone()).unwrap_or_default();
                let method = execution.route(workload).map_or("GET", |r| r.method);
                let error_text = self.integration_error(workload, execution);
                let response_length =
                    if status >= 400 { self.rng.random_range_u32(36, 90) } else { self.rng.random_range_u32(60, 2400) };
                let access = Access {
                    request_id: &execution.edge_request_id,
                    ip: &ip,
                    timestamp: done as i64,
                    method,
                    resource: &resource,
                    status,
                    response_length,
                    integration_latency_ms: total_ms.round() as i64,
                    user_agent: api.access_user_agent.then_some(agent),
                    integration_error: error_text.as_deref(),
                };
                if let Some(group) = api.access_log_group.clone() {
                    let line =
                        if api.kind == ApiKind::Rest { logs::rest_access(&access) } else { logs::http_access(&access) };
                    let stream = self.state[index].access_stream.clone();
                    self.push_log(&group, &stream, done, line);
                }
                if let (Some(group), Some(error)) = (api.execution_log_group.clone(), error_text) {
                    let stream = self.state[index].execution_stream.clone();
                    let id = &execution.edge_request_id;
                    self.push_log(&group, &stream, done - 1.0, format!("({id}) {error}"));
                    self.push_log(&group, &stream, done, format!("({id}) Method completed with status: {status}"));
                }
            }
            Entry::Alb(_) => {
                let reached_target =
                    !matches!(execution.outcome, Outcome::Unavailable | Outcome::Killed | Outcome::Refused)
                        && !self.compute.gave_up(execution);
                if reached_target {
                    self.metrics.add(ids.client_errors, minute, if (400..500).contains(&status) { 1.0 } else { 0.0 });
                    self.metrics.add(ids.server_errors, minute, if status >= 500 { 1.0 } else { 0.0 });
                    if let Some(success) = ids.success {
                        self.metrics.add(success, minute, if status < 400 { 1.0 } else { 0.0 });
                    }
                    let seconds = total_ms / 1000.0;
                    self.metrics.add(ids.latency, minute, seconds);
                    self.metrics.add(ids.latency_p99, minute, seconds);
                } else if let Some(elb) = ids.elb_errors {
                    self.metrics.add(elb, minute, 1.0);
                    self.count_elb_error(execution);
                }
            }
            _ => {}
        }
    }

    fn client(&mut self, index: usize, trigger: &Trigger) -> (String, &'static str) {
        match trigger {
            Trigger::Request { synthetic: true, client, .. } => (
                format!("18.{}.{}.{}", 200 + client % 40, client * 7 % 250, 10 + client % 5),
                "k6/0.52.0 (https://k6.io/)",
            ),
            Trigger::Request { client, .. } => self.state[index].clients.get(*client).cloned().unwrap_or_default(),
            _ => (String::new(), ""),
        }
    }

    /// API Gateway's description of a failed integration, if the integration failed.
    fn integration_error(&mut self, workload: &Workload, execution: &Execution) -> Option<String> {
        let propagated = workload.compute.lambda().is_some_and(|f| f.errors_propagate);
        match &execution.outcome {
            Outcome::Throttled => Some(format!(
                "Lambda invocation failed with status: 429. Lambda request id: {}. Execution failed due to configuration error: Rate Exceeded.",
                execution.request_id
            )),
            Outcome::TimedOut { seconds } => Some(format!(
                "Lambda execution failed with status 200 due to customer function error: {} Task timed out after {seconds:.2} seconds. Lambda request id: {}",
                clock::iso_ms(execution.end_ms() as i64),
                execution.request_id
            )),
            Outcome::OutOfMemory => Some(format!(
                "Lambda execution failed with status 200 due to customer function error: Runtime exited with error: signal: killed. Lambda request id: {}",
                execution.request_id
            )),
            Outcome::Failed(failure) if propagated => {
                let site = self.code_site(workload);
                let report = describe(failure, &site);
                Some(format!(
                    "Lambda execution failed with status 200 due to customer function error: {}. Lambda request id: {}",
                    report.message, execution.request_id
                ))
            }
            _ => None,
        }
    }

    /// Start-up lines of ECS tasks that become ready this minute.
    pub fn announce_tasks(&mut self, index: usize, t0: i64) {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let Some(service) = workload.compute.ecs() else { return };
        let Some(ecs) = self.state[index].ecs.as_mut() else { return };
        let mut due = Vec::new();
        for task in ecs.tasks.iter_mut() {
            if !task.announced && task.ready_ms < t0 + 60_000 {
                task.announced = true;
                due.push((
                    task.ready_ms,
                    task.stream.clone(),
                    task.host.clone(),
                    ecs.versions[task.version].label.clone(),
                ));
            }
        }
        for (ready, stream, host, revision) in due {
            let at = ready - 2_500;
            let ctx = LineContext {
                style: service.style,
                request_id: "-",
                service: workload.domain.plural,
                logger: "app",
                function_name: &service.service,
                cold_start: false,
                trace_id: None,
                hostname: &host,
                thread: 1,
            };
            let lines: Vec<String> = match service.style {
                LogStyle::EcsSpring => vec![
                    format!(
                        "{}  INFO 1 --- [{}] [           main] c.{}.{}.Application                     : Starting {}Application v1.{}.0 using Java 21.0.4 with PID 1",
                        clock::iso_ms(at - 6_000),
                        workload.domain.plural,
                        sys.company.slug,
                        workload.domain.plural,
                        workload.domain.singular_title(),
                        revision
                    ),
                    format!(
                        "{}  INFO 1 --- [{}] [           main] c.{}.{}.Application                     : Started {}Application in 6.{} seconds (process running for 7.1)",
                        clock::iso_ms(at),
                        workload.domain.plural,
                        sys.company.slug,
                        workload.domain.plural,
                        workload.domain.singular_title(),
                        revision.len() * 97 % 1000
                    ),
                ],
                LogStyle::EcsStructlog => vec![
                    format!("INFO:     Started server process [1]"),
                    format!("INFO:     Uvicorn running on http://0.0.0.0:{} (Press CTRL+C to quit)", service.port),
                    logs::app_line(
                        &ctx,
                        at,
                        Level::Info,
                        "application startup complete",
                        &[("revision", Field::str(revision))],
                        None,
                    ),
                ],
                _ => vec![logs::app_line(
                    &ctx,
                    at,
                    Level::Info,
                    "server listening",
                    &[("port", Field::Int(i64::from(service.port))), ("revision", Field::str(revision))],
                    None,
                )],
            };
            let group = workload.log_group.clone();
            for (n, line) in lines.into_iter().enumerate() {
                self.push_log(&group, &stream, (at + n as i64) as f64, line);
            }
        }
    }

    /// Database engine log lines once storage is exhausted.
    pub fn emit_db_full_lines(&mut self, index: usize, dep: usize, t0: i64) {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let Some(Dep::Database(db)) = workload.deps.get(dep) else { return };
        let group = super::model::rds_log_group(db);
        let stream = db.id.clone();
        let count = self.rng.random_range_u32(2, 6);
        for _ in 0..count {
            let at = t0 + self.rng.random_ms();
            let line = if db.engine.is_postgres() {
                pg_session_line(
                    &mut self.rng,
                    at,
                    &db.db_name,
                    4,
                    "ERROR:  could not extend file \"base/16401/24577.3\": No space left on device\n\tHINT:  Check free disk space.",
                )
            } else {
                format!(
                    "{} 0 [ERROR] [MY-012639] [InnoDB] Write to file ./{}/{}.ibd failed at offset 1048576, 16384 bytes should have been written, only 0 were written. Operating system error number 28. Check that your OS and file system support files of this size. Check also that the disk is not full or a disk quota exceeded.",
                    clock::iso_ms(at),
                    db.db_name,
                    db.db_name
                )
            };
            self.push_log(&group, &stream, at as f64, line);
        }
    }

    /// What the database's own log shows of a failover that touches the minute starting at `t0`: a fast shutdown
    /// (when the old primary could still stop cleanly) and the start of the new primary, with crash recovery
    /// when it could not.
    pub fn emit_db_failover_lines(&mut self, index: usize, dep: usize, fault: &Fault, t0: i64) {
        let sys = self.sys;
        let Some(Dep::Database(db)) = sys.workloads[index].deps.get(dep) else { return };
        let Effect::DbFailover { outage_ms, graceful, .. } = fault.effect else { return };
        let start = fault.start_ms;
        let ready = start + outage_ms - 1_500;
        if start >= t0 + 60_000 || ready < t0 {
            return;
        }
        // Drawn from the event itself, so the lines are the same whichever minute asks for them.
        let mut rng = <super::random::SimRng as rand::SeedableRng>::seed_from_u64(super::random::stable_hash(&[
            &db.id,
            &start.to_string(),
        ]));
        let mut lines: Vec<(i64, String)> = Vec::new();
        if db.engine.is_postgres() {
            let postmaster = rng.random_range_u32(380, 900);
            let server =
                |at: i64, pid: u32, text: &str| (at, format!("{} UTC::@:[{pid}]:{text}", &clock::space_ms(at)[..19]));
            if graceful {
                lines.push(server(start, postmaster, "LOG:  received fast shutdown request"));
                lines.push(server(start + 2, postmaster, "LOG:  aborting any active transactions"));
                for n in 0..rng.random_range_u32(4, 12) {
                    let at = start + 5 + i64::from(n) * 3;
                    let text = "FATAL:  terminating connection due to administrator command";
                    lines.push((at, pg_session_line(&mut rng, at, &db.db_name, 64, text)));
                }
                let launcher = postmaster + rng.random_range_u32(8, 30);
                lines.push(server(start + 60, postmaster, &format!("LOG:  background worker \"logical replication launcher\" (PID {launcher}) exited with exit code 1")));
                lines.push(server(start + 80, postmaster + rng.random_range_u32(2, 6), "LOG:  shutting down"));
                lines.push(server(start + 900, postmaster, "LOG:  database system is shut down"));
            }
            let new_postmaster = rng.random_range_u32(380, 900);
            let boot = ready - rng.random_range_i64(4_000, 9_000);
            let port = db.engine.port();
            lines.push(server(boot, new_postmaster, "LOG:  starting PostgreSQL 16.4 on aarch64-unknown-linux-gnu, compiled by aarch64-unknown-linux-gnu-gcc (GCC) 9.5.0, 64-bit"));
            lines.push(server(
                boot + 3,
                new_postmaster,
                &format!("LOG:  listening on IPv4 address \"0.0.0.0\", port {port}"),
            ));
            lines.push(server(
                boot + 4,
                new_postmaster,
                &format!("LOG:  listening on IPv6 address \"::\", port {port}"),
            ));
            lines.push(server(
                boot + 6,
                new_postmaster,
                &format!("LOG:  listening on Unix socket \"/tmp/.s.PGSQL.{port}\""),
            ));
            let startup = new_postmaster + 3;
            if graceful {
                lines.push(server(
                    boot + 40,
                    startup,
                    &format!("LOG:  database system was shut down at {} UTC", &clock::space_ms(start + 900)[..19]),
                ));
            } else {
                let segment = rng.random_range_u32(0x20, 0x7f);
                let lsn = rng.random_range_u32(0x1000_0000, 0x7fff_ffff);
                lines.push(server(
                    boot + 40,
                    startup,
                    &format!(
                        "LOG:  database system was interrupted; last known up at {} UTC",
                        &clock::space_ms(start - rng.random_range_i64(20_000, 290_000))[..19]
                    ),
                ));
                lines.push(server(
                    boot + 300,
                    startup,
                    "LOG:  database system was not properly shut down; automatic recovery in progress",
                ));
                lines.push(server(boot + 320, startup, &format!("LOG:  redo starts at {segment:X}/{lsn:X}")));
                let end_lsn = lsn + rng.random_range_u32(0x10_0000, 0x3f0_0000);
                lines.push(server(
                    ready - 900,
                    startup,
                    &format!("LOG:  invalid record length at {segment:X}/{end_lsn:X}: expected at least 24, got 0"),
                ));
                lines.push(server(ready - 899, startup, &format!("LOG:  redo done at {segment:X}/{:X} system usage: CPU: user: 0.{:02} s, system: 0.{:02} s, elapsed: {}.{:02} s", end_lsn - 0x38, rng.random_range_u32(10, 99), rng.random_range_u32(10, 99), rng.random_range_u32(1, 4), rng.random_range_u32(0, 99))));
                lines.push(server(
                    ready - 880,
                    startup + 1,
                    "LOG:  checkpoint starting: end-of-recovery immediate wait",
                ));
            }
            lines.push(server(ready, new_postmaster, "LOG:  database system is ready to accept connections"));
        } else {
            let server = |at: i64, text: &str| (at, format!("{} 0 {text}", clock::iso_ms(at)));
            if graceful {
                lines.push(server(start, "[System] [MY-013172] [Server] Received SHUTDOWN from user <via user signal>. Shutting down mysqld (Version: 8.0.39)."));
                lines.push(server(start + 1_400, "[System] [MY-010910] [Server] /rdsdbbin/mysql/bin/mysqld: Shutdown complete (mysqld 8.0.39)  Source distribution."));
            }
            let boot = ready - rng.random_range_i64(5_000, 12_000);
            lines.push(server(
                boot,
                &format!(
                    "[System] [MY-010116] [Server] /rdsdbbin/mysql/bin/mysqld (mysqld 8.0.39) starting as process {}",
                    rng.random_range_u32(400, 900)
                ),
            ));
            lines.push(server(boot + 40, "[System] [MY-013576] [InnoDB] InnoDB initialization has started."));
            lines.push(server(ready - 2_000, "[System] [MY-013577] [InnoDB] InnoDB initialization has ended."));
            lines.push(server(ready, &format!("[System] [MY-010931] [Server] /rdsdbbin/mysql/bin/mysqld: ready for connections. Version: '8.0.39'  socket: '/tmp/mysql.sock'  port: {}  Source distribution.", db.engine.port())));
        }
        let group = super::model::rds_log_group(db);
        for (at, line) in lines {
            if (t0..t0 + 60_000).contains(&at) {
                self.push_log(&group, &db.id, at as f64, line);
            }
        }
    }

    /// PostgreSQL logs every refused connection; MySQL's error log stays quiet at the default verbosity.
    pub fn emit_db_refused_lines(&mut self, index: usize, dep: usize, t0: i64) {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let Some(Dep::Database(db)) = workload.deps.get(dep) else { return };
        if !db.engine.is_postgres() {
            return;
        }
        let group = super::model::rds_log_group(db);
        for _ in 0..self.rng.random_range_u32(3, 12) {
            let at = t0 + self.rng.random_ms();
            let line = pg_session_line(&mut self.rng, at, &db.db_name, 4, "FATAL:  sorry, too many clients already");
            self.push_log(&group, &db.id, at as f64, line);
        }
    }
}

/// Queries of a daily report job, in the order it runs them.
const REPORT_QUERIES: &[&str] = &[
    "daily_totals",
    "revenue_by_region",
    "status_breakdown",
    "top_customers",
    "refund_ratio",
    "sla_breaches",
    "cohort_retention",
    "late_items",
];

/// Lines of daily report runs, of the rotation of database passwords and of the logins they refuse.
impl Sim<'_> {
    /// What a daily report job logs: the run, its queries one after another, the upload and the summary.
    fn report_lines(
        &mut self,
        workload: &Workload,
        job: JobKind,
        execution: &Execution,
        ctx: &LineContext,
    ) -> Vec<(f64, String)> {
        let JobKind::Report { at_min, .. } = job else { return Vec::new() };
        let start = execution.exec_start_ms + 0.5;
        let end = execution.end_ms();
        let cron = format!("cron({} {} * * ? *)", at_min % 60, at_min / 60);
        let fields = [
            ("report", Field::Str(format!("daily-{}", workload.domain.plural))),
            ("reportDate", Field::Str(clock::ymd(execution.arrival_ms - 86_400_000))),
            ("schedule", Field::Str(cron)),
        ];
        let mut lines =
            vec![(start, logs::app_line(ctx, start as i64, Level::Info, "report run started", &fields, None))];
        let upload = execution.calls.iter().find(|call| call.op.action == Action::PutObject);
        let queries_end = upload.map_or(end - 5.0, |call| call.start_ms - 5.0);
        let count = self.rng.random_range_u32(4, 8);
        let mut previous = start;
        let mut total_rows = 0;
        for n in 0..count {
            let at =
                start + (queries_end - start) * (f64::from(n) + uniform(&mut self.rng, 0.7, 1.0)) / f64::from(count);
            let rows = i64::from(self.rng.random_range_u32(200, 250_000));
            total_rows += rows;
            let fields = [
                ("query", Field::str(REPORT_QUERIES[n as usize % REPORT_QUERIES.len()])),
                ("rows", Field::Int(rows)),
                ("duration_ms", Field::Int((at - previous).round() as i64)),
            ];
            lines.push((at, logs::app_line(ctx, at as i64, Level::Info, "query finished", &fields, None)));
            previous = at;
        }
        if let Some(call) = upload
            && call.status == CallStatus::Ok
        {
            let at = call.start_ms + call.duration_ms;
            let bucket = workload.deps.get(call.op.dep).map(|dep| dep.name().to_string()).unwrap_or_default();
            let fields = [
                ("bucket", Field::Str(bucket)),
                (
                    "key",
                    Field::Str(format!(
                        "daily/{}/{}.csv.gz",
                        clock::ymd(execution.arrival_ms - 86_400_000),
                        workload.domain.plural
                    )),
                ),
                ("bytes", Field::Int(i64::from(self.rng.random_range_u32(400_000, 9_000_000)))),
            ];
            lines.push((at, logs::app_line(ctx, at as i64, Level::Info, "report uploaded", &fields, None)));
        }
        let fields = [("rows", Field::Int(total_rows)), ("duration_ms", Field::Int((end - start).round() as i64))];
        lines.push((end - 0.5, logs::app_line(ctx, end as i64, Level::Info, "report run finished", &fields, None)));
        lines
    }

    /// The rotation function's four invocations (createSecret, setSecret, testSecret, finishSecret), as the AWS
    /// single-user rotation template logs them, where they fall in the minute starting at `t0`.
    pub fn emit_rotation_lines(&mut self, index: usize, fault: &Fault, t0: i64) {
        let sys = self.sys;
        let workload = &sys.workloads[index];
        let Effect::StaleCredentials { dep, credentials, rotation_ms, version } = &fault.effect else { return };
        let (Some(Dep::Database(db)), Some(Dep::Credentials(secret))) =
            (workload.deps.get(*dep), workload.deps.get(*credentials))
        else {
            return;
        };
        if *rotation_ms >= t0 + 60_000 || rotation_ms + 10_000 < t0 {
            return;
        }
        // Drawn from the rotation itself, so the lines are the same whichever minute asks for them.
        let mut rng = <SimRng as rand::SeedableRng>::seed_from_u64(super::random::stable_hash(&[
            &secret.name,
            &rotation_ms.to_string(),
        ]));
        let group = format!("/aws/lambda/{}", secret.rotation_function);
        let stream = format!("{}/[$LATEST]{}", clock::date_path(*rotation_ms), super::random::hex(&mut rng, 32));
        let engine = if db.engine.is_postgres() { "PostgreSQL" } else { "MySQL" };
        let arn = &secret.arn;
        let steps = [
            (400, 850.0, format!("createSecret: Successfully put secret for ARN {arn} and version {version}.")),
            (
                1_900,
                1_150.0,
                format!("setSecret: Successfully set password for user app in {engine} DB for secret arn {arn}."),
            ),
            (3_500, 310.0, format!("testSecret: Successfully signed into {engine} DB for secret arn {arn}.")),
            (
                4_300,
                240.0,
                format!("finishSecret: Successfully set AWSCURRENT stage to version {version} for secret {arn}."),
            ),
        ];
        let mut lines: Vec<(i64, String)> = Vec::new();
        for (n, (offset, millis, message)) in steps.into_iter().enumerate() {
            let at = rotation_ms + offset;
            let request_id = super::random::uuid(&mut rng);
            let init_ms = (n == 0).then(|| uniform(&mut rng, 380.0, 520.0));
            let duration_ms = millis * uniform(&mut rng, 0.8, 1.25);
            let begin = at + init_ms.unwrap_or(0.0) as i64;
            let done = begin + duration_ms as i64;
            lines.push((begin, logs::lambda_start(&request_id, "$LATEST")));
            lines.push((done - 3, format!("[INFO]\t{}\t{request_id}\t{message}", clock::iso_ms(done - 3))));
            lines.push((done, logs::lambda_end(&request_id)));
            let report = logs::lambda_report(&Report {
                request_id: &request_id,
                duration_ms,
                memory_mb: 128,
                max_memory_mb: rng.random_range_u32(74, 86),
                init_ms,
                status: None,
                xray: None,
            });
            lines.push((done + 1, report));
        }
        for (at, line) in lines {
            if (t0..t0 + 60_000).contains(&at) {
                self.push_log(&group, &stream, at as f64, line);
            }
        }
    }

    /// PostgreSQL logs every login it refuses; MySQL's error log stays quiet at the default verbosity.
    pub fn emit_auth_failed_line(&mut self, db: &Database, t: i64, client_ip: &str) {
        if !db.engine.is_postgres() {
            return;
        }
        let at = t + self.rng.random_range_i64(2, 9);
        let (port, pid) = (self.rng.random_range_u32(32768, 61000), self.rng.random_range_u32(1000, 30000));
        let prefix = format!("{} UTC:{client_ip}({port}):app@{}:[{pid}]:", &clock::space_ms(at)[..19], db.db_name);
        let group = super::model::rds_log_group(db);
        self.push_log(
            &group,
            &db.id,
            at as f64,
            format!("{prefix}FATAL:  password authentication failed for user \"app\""),
        );
        self.push_log(
            &group,
            &db.id,
            at as f64,
            format!("{prefix}DETAIL:  Connection matched file \"/rdsdbdata/config/pg_hba.conf\" line 13: \"host\tall\tall\t0.0.0.0/0\tmd5\""),
        );
    }
}

/// Whether a lookup was answered from a cache: the workload's Redis when it called one, otherwise what the
/// application's in-process cache did (`drawn`).
fn cache_hit(execution: &Execution, drawn: bool) -> bool {
    execution
        .calls
        .iter()
        .find(|call| call.op.action == Action::CacheGet)
        .map_or(drawn, |call| call.status == CallStatus::Ok)
}

/// A PostgreSQL log line of a client session, in RDS's `log_line_prefix` (`%t:%r:%u@%d:[%p]:`): the client's
/// address in one of the first `subnets` 10.0.x subnets, its port and the backend's pid drawn in that order.
fn pg_session_line(rng: &mut SimRng, at: i64, db_name: &str, subnets: u32, text: &str) -> String {
    let stamp = clock::space_ms(at);
    let (subnet, host) = (rng.random_range_u32(0, subnets), rng.random_range_u32(4, 250));
    let (port, pid) = (rng.random_range_u32(32768, 61000), rng.random_range_u32(1000, 30000));
    format!("{} UTC:10.0.{subnet}.{host}({port}):app@{db_name}:[{pid}]:{text}", &stamp[..19])
}

fn client_line(
    workload: &Workload,
    execution: &Execution,
    reason: ClientReason,
    status: u16,
) -> (String, Vec<(&'static str, Field)>) {
    let id = execution.path.rsplit('/').next().unwrap_or_default().to_string();
    match reason {
        ClientReason::NotFound => (
            format!("{} not found", workload.domain.singular),
            vec![("id", Field::Str(id)), ("status", Field::Int(i64::from(status)))],
        ),
        ClientReason::Validation(error) => (
            "validation failed".to_string(),
            vec![
                ("path", Field::str(execution.path.clone())),
                ("status", Field::Int(400)),
                ("errors", Field::List(vec![error.to_string()])),
            ],
        ),
        ClientReason::Duplicate => {
            let table = workload
                .table()
                .map(|(_, t)| t.name.clone())
                .or(workload.database().map(|(_, d)| d.id.clone()))
                .unwrap_or_default();
            (
                "duplicate request ignored (idempotency key exists)".to_string(),
                vec![("status", Field::Int(409)), ("table", Field::Str(table))],
            )
        }
    }
}

/// An extra line some failures produce before the exception (what the app knows about the failure).
fn failure_lead(
    workload: &Workload,
    execution: &Execution,
    failure: &Failure,
) -> Option<(String, Vec<(&'static str, Field)>)> {
    match failure {
        Failure::HttpStatus { status: 401, body, .. } => {
            let provider = failing_provider(workload, execution)?;
            Some((
                format!("{provider} rejected the request: 401 Unauthorized"),
                vec![
                    ("provider", Field::Str(provider)),
                    ("status", Field::Int(401)),
                    ("response", Field::str(body.clone())),
                ],
            ))
        }
        Failure::HttpTimeout { timeout_ms, .. } => {
            let provider = failing_provider(workload, execution)?;
            Some((
                format!("{provider} call timed out"),
                vec![("provider", Field::Str(provider)), ("timeout_ms", Field::Int(i64::from(*timeout_ms)))],
            ))
        }
        Failure::Throttled { table, operation } => Some((
            "DynamoDB throughput exceeded, giving up after retries".to_string(),
            vec![("table", Field::str(table.clone())), ("operation", Field::str(*operation))],
        )),
        Failure::StreamThrottled { stream, shard, .. } => Some((
            format!("could not publish {} event to Kinesis", workload.domain.singular),
            vec![("stream", Field::str(stream.clone())), ("shardId", Field::str(shard.clone()))],
        )),
        Failure::RateLimited { retry_after_s, .. } => {
            let provider = failing_provider(workload, execution)?;
            Some((
                format!("{provider} rejected the request: 429 Too Many Requests"),
                vec![
                    ("provider", Field::Str(provider)),
                    ("status", Field::Int(429)),
                    ("retry_after", Field::Int(i64::from(*retry_after_s))),
                ],
            ))
        }
        // The code logs the name it was configured with: the one thing that tells which resource is missing.
        Failure::ResourceMissing { service: "sqs", name, .. } => Some((
            format!("could not publish {} event", workload.domain.singular),
            vec![("queueUrl", Field::str(name.clone()))],
        )),
        Failure::ResourceMissing { name, operation, .. } => Some((
            format!("DynamoDB {operation} failed"),
            vec![("table", Field::str(name.clone())), ("operation", Field::str(*operation))],
        )),
        _ => None,
    }
}

fn failing_provider(workload: &Workload, execution: &Execution) -> Option<String> {
    let call = execution.calls.iter().rev().find(|c| matches!(c.status, CallStatus::Failed(_)))?;
    match workload.deps.get(call.op.dep)? {
        Dep::Http(http) => Some(http.name.clone()),
        _ => None,
    }
}

/// `failed to save order`, named after what the failing call was doing.
fn failure_message(workload: &Workload, execution: &Execution, failure: &Failure) -> String {
    if matches!(failure, Failure::CodeDefect { .. } | Failure::ConnReset { .. } | Failure::FlagPath { .. }) {
        return "unhandled error in handler".to_string();
    }
    let singular = workload.domain.singular;
    let call = execution.calls.iter().rev().find(|c| matches!(c.status, CallStatus::Failed(_)));
    match call.map(|c| (c.op.action, workload.deps.get(c.op.dep))) {
        Some((Action::HttpCall, Some(Dep::Http(http)))) => format!("{} request failed", http.name),
        Some((Action::GetSecretValue, _)) => "failed to load secret".to_string(),
        Some((Action::PutObject, _)) => format!("failed to store {singular} document"),
        Some((Action::GetObject, _)) => format!("failed to load {singular} document"),
        Some((Action::CacheLock, _)) => format!("could not reserve the idempotency key of the {singular}"),
        Some((Action::SendMessage | Action::PutRecord, _)) => format!("failed to publish {singular} event"),
        Some((action, _)) if action.is_write() => format!("failed to save {singular}"),
        _ => format!("failed to load {singular}"),
    }
}

/// What a container prints when it runs out of memory and is killed.
fn oom_lines(style: LogStyle, at: i64, limit_mb: f64) -> Vec<String> {
    match style.runtime() {
        Runtime::Node => vec![
            format!(
                "\n<--- Last few GCs --->\n\n[1:0x6c2e0a0]  {} ms: Mark-Compact {:.1} ({:.1}) -> {:.1} ({:.1}) MB, 1843.21 / 0.00 ms  (average mu = 0.112, current mu = 0.031) allocation failure; scavenge might not succeed\n\n\n<--- JS stacktrace --->\n\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
                at % 86_400_000,
                limit_mb * 0.95,
                limit_mb * 0.97,
                limit_mb * 0.94,
                limit_mb * 0.97
            ),
            "----- Native stack trace -----\n\n 1: 0xb8cf03 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [node]\n 2: 0xf06460 v8::Utils::ReportOOMFailure(v8::internal::Isolate*, char const*, v8::OOMDetails const&) [node]".to_string(),
        ],
        Runtime::Java => vec![format!(
            "Exception in thread \"http-nio-8080-exec-{}\" java.lang.OutOfMemoryError: Java heap space\n\tat java.base/java.util.Arrays.copyOf(Arrays.java:3541)\n\tat java.base/java.lang.AbstractStringBuilder.ensureCapacityInternal(AbstractStringBuilder.java:242)",
            at % 9 + 1
        )],
        Runtime::Python => vec![
            format!("[{}] [1] [CRITICAL] WORKER TIMEOUT (pid:{})", clock::space_ms(at), at % 90 + 7),
            format!("[{}] [1] [ERROR] Worker (pid:{}) was sent SIGKILL! Perhaps out of memory?", clock::space_ms(at + 40), at % 90 + 7),
        ],
    }
}
