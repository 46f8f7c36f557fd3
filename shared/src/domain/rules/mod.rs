//! The rules brain: a deterministic analyzer that plans tool calls from the trigger and ranks root-cause
//! hypotheses from the findings. It needs no model and is the fallback when the model is unavailable.
//!
//! Planning: cycle 1 asks every available tool at once (the alarm's metrics and the resources in play, all log
//! groups, CloudTrail, X-Ray, the knowledge base); cycle 2 follows up on what cycle 1 pointed at (metrics of newly
//! implicated resources, an error-only log query when the first was truncated, a runbook search for the leading
//! suspicion); then it finishes. Concluding: see `hypotheses`.

mod hypotheses;
mod narrative;
mod normalcy;
mod schedule;
mod topology;

use serde_json::json;

use crate::contract::{
    Action, Conclusion, Decision, Finding, FindingKind, Notebook, Observation, RunContext, ToolCall, ToolName,
    ToolOutcome,
};
use crate::domain::evidence::attr;

pub use hypotheses::{Assessment, assess};
pub use topology::Topology;

/// The next step of the loop.
pub fn plan(run: &RunContext, notebook: &Notebook) -> Decision {
    let calls = if notebook.observations.is_empty() && notebook.cycle == 0 {
        first_calls(run)
    } else {
        follow_ups(run, notebook)
    };
    if calls.is_empty() {
        return Decision { action: Action::Finish, thought: narrative::enough_evidence(run.language), calls };
    }
    let thought = narrative::planning(run.language, &calls);
    Decision { action: Action::CallTools, thought, calls }
}

fn call(tool: ToolName, args: serde_json::Value) -> ToolCall {
    ToolCall { id: String::new(), tool, args }
}

fn first_calls(run: &RunContext) -> Vec<ToolCall> {
    let mut calls = vec![call(ToolName::Metrics, json!({})), call(ToolName::Audit, json!({}))];
    if !run.log_groups.is_empty() {
        calls.push(call(ToolName::Logs, json!({})));
    }
    if run.xray {
        calls.push(call(ToolName::Xray, json!({})));
    }
    if run.knowledge_base {
        calls.push(call(ToolName::Kb, json!({})));
    }
    calls
}

/// Second-cycle questions, asked only once and only when cycle 1 left something to check.
fn follow_ups(run: &RunContext, notebook: &Notebook) -> Vec<ToolCall> {
    if notebook.cycle >= 2 {
        return Vec::new();
    }
    let findings = all_findings(&notebook.observations);
    let assessment = assess(run, &findings);
    let mut calls = Vec::new();
    let examined: Vec<String> = metric_components(&findings);
    let mut implicated: Vec<String> = assessment.candidates.iter().take(3).map(|c| c.component.clone()).collect();
    implicated.extend(taken_out_by_aws(&findings));
    implicated.retain(|c| !examined.iter().any(|e| crate::domain::resources::same_resource(e, c)));
    implicated.dedup();
    if !implicated.is_empty() {
        calls.push(call(ToolName::Metrics, json!({"resources": implicated})));
    }
    let truncated_logs = notebook.observations.iter().any(|o| {
        o.call.tool == ToolName::Logs && matches!(&o.outcome, ToolOutcome::Ok { digest, .. } if digest.truncated)
    });
    if truncated_logs {
        calls.push(call(
            ToolName::Logs,
            json!({"query": "fields @timestamp, @message, @logStream, @log | filter @message like /(?i)(error|exception|fail|denied|timeout|throttl|refused|fatal|panic)/ | sort @timestamp desc"}),
        ));
    }
    if run.knowledge_base
        && let Some(top) = assessment.candidates.first()
    {
        calls.push(call(ToolName::Kb, json!({"query": narrative::knowledge_query(top)})));
    }
    calls
}

/// What AWS itself took out of service (instances an Auto Scaling group terminated, targets it stopped): where
/// hosts failed, which the architecture rarely names.
fn taken_out_by_aws(findings: &[&Finding]) -> Vec<String> {
    const TAKING_OUT: [&str; 4] = ["Terminate", "Stop", "Reboot", "Replace"];
    findings
        .iter()
        .filter(|f| f.kind == FindingKind::Change && hypotheses::aws_acting_on_its_own(f.attr(attr::ACTOR)))
        .filter(|f| TAKING_OUT.iter().any(|verb| f.attr(attr::EVENT_NAME).starts_with(verb)))
        .map(|f| f.component.clone())
        .collect()
}

fn metric_components(findings: &[&Finding]) -> Vec<String> {
    findings.iter().filter(|f| f.kind == FindingKind::MetricAnomaly).map(|f| f.component.clone()).collect()
}

/// Every finding in the notebook, newest observation last.
pub fn all_findings(observations: &[Observation]) -> Vec<&Finding> {
    observations
        .iter()
        .filter_map(|o| match &o.outcome {
            ToolOutcome::Ok { digest, .. } => Some(digest.findings.iter()),
            ToolOutcome::Failed { .. } => None,
        })
        .flatten()
        .collect()
}

/// The ranked conclusion over the notebook.
pub fn conclude(run: &RunContext, notebook: &Notebook) -> Conclusion {
    let findings = all_findings(&notebook.observations);
    let assessment = assess(run, &findings);
    narrative::conclusion(run, notebook, &assessment)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::contract::{
        AlarmSummary, Category, Digest, EvidenceSource, Language, MetricRef, Status, Trigger, TriggerKind, Window,
    };
    use crate::domain::evidence::attr;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z").unwrap().with_timezone(&Utc) + Duration::minutes(minute)
    }

    fn run() -> RunContext {
        RunContext {
            run_id: "r".into(),
            trigger: Trigger { kind: TriggerKind::Alarm, alarm_name: Some("api-5xx".into()), description: None },
            window: Window { start: at(0), end: at(65) },
            noticed_at: at(60),
            alarm: Some(AlarmSummary {
                name: "api-5xx".into(),
                description: String::new(),
                reason: String::new(),
                state_time: at(60),
                threshold: Some(1.0),
                metrics: vec![MetricRef {
                    namespace: "AWS/ApiGateway".into(),
                    metric_name: "5XXError".into(),
                    dimensions: BTreeMap::from([("ApiName".into(), "shop-api".into())]),
                    stat: Some("Sum".into()),
                    period: Some(60),
                }],
            }),
            language: Language::En,
            brain: "rules".into(),
            max_agent_cycles: 5,
            architecture: "Clients call the API shop-api, which invokes the function shop-fn. shop-fn keeps its data \
                in the table shop-table. A job, ledger-sync, runs every minute."
                .into(),
            log_groups: vec!["/aws/lambda/shop-fn".into()],
            insights_query: None,
            xray: true,
            knowledge_base: true,
            slack: None,
            blob_prefix: "runs/r/".into(),
            started_at: at(61),
        }
    }

    fn finding(
        source: EvidenceSource,
        kind: FindingKind,
        component: &str,
        minute: i64,
        score: f64,
        attrs: &[(&str, &str)],
    ) -> Finding {
        Finding {
            source,
            kind,
            component: component.into(),
            time: Some(at(minute)),
            score,
            summary: format!("{component} {kind:?}"),
            excerpt: "copied line".into(),
            reference: format!("ref-{component}-{minute}"),
            attrs: attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    fn notebook(findings: Vec<Finding>) -> Notebook {
        let observation = Observation {
            cycle: 1,
            call: ToolCall { id: "c1".into(), tool: ToolName::Logs, args: json!({}) },
            outcome: ToolOutcome::Ok {
                digest: Digest { text: String::new(), findings, records: 1, truncated: false },
                blob_key: None,
            },
        };
        Notebook { cycle: 1, tool_calls: 1, observations: vec![observation], ..Notebook::default() }
    }

    fn change(component: &str, minute: i64, kind: &str) -> Finding {
        finding(
            EvidenceSource::Audit,
            FindingKind::Change,
            component,
            minute,
            0.7,
            &[(attr::CHANGE_KIND, kind), (attr::EVENT_NAME, "X")],
        )
    }

    /// A change made by the named API call (`DeleteTable`).
    fn call(component: &str, minute: i64, kind: &str, event_name: &str) -> Finding {
        let mut change = change(component, minute, kind);
        change.attrs.insert(attr::EVENT_NAME.to_string(), event_name.to_string());
        change
    }

    fn error_logs(component: &str, minute: i64, class: &str) -> Finding {
        finding(
            EvidenceSource::Logs,
            FindingKind::NewLogPattern,
            component,
            minute,
            0.8,
            &[
                (attr::ERROR_CLASS, class),
                (attr::LEVEL, "ERROR"),
                (attr::COUNT_BEFORE, "0"),
                (attr::COUNT_AFTER, "120"),
            ],
        )
    }

    fn metric(component: &str, name: &str, minute: i64, shape: &str, ended: Option<i64>) -> Finding {
        let ended = ended.map(|m| crate::contract::format_time(&at(m))).unwrap_or_default();
        let mut attrs = vec![(attr::METRIC_NAME, name), (attr::SHAPE, shape)];
        if !ended.is_empty() {
            attrs.push((attr::ENDED_AT, ended.as_str()));
        }
        finding(EvidenceSource::Metrics, FindingKind::MetricAnomaly, component, minute, 0.8, &attrs)
    }

    #[test]
    fn first_cycle_asks_every_available_tool_then_follows_up_and_finishes() {
        let first = plan(&run(), &Notebook::default());
        assert_eq!(first.action, Action::CallTools);
        let tools: Vec<ToolName> = first.calls.iter().map(|c| c.tool).collect();
        assert_eq!(tools, vec![ToolName::Metrics, ToolName::Audit, ToolName::Logs, ToolName::Xray, ToolName::Kb]);
        let mut later = notebook(vec![]);
        later.cycle = 2;
        assert_eq!(plan(&run(), &later).action, Action::Finish);
    }

    #[test]
    fn a_change_that_explains_the_symptoms_outranks_an_unrelated_one() {
        let findings = vec![
            change("shop-table", 50, "capacity"),
            change("ledger-sync", 40, "deployment"),
            metric("shop-table", "ThrottledRequests", 52, "levelShiftUp", None),
            error_logs("shop-fn", 52, "throttling"),
            metric("shop-api", "5XXError", 53, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        assert_eq!(conclusion.status, Status::RootCauseIdentified);
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-table", Category::CapacityLimit));
        let sources: Vec<EvidenceSource> = top.evidence.iter().map(|e| e.source).collect();
        assert!(sources.contains(&EvidenceSource::Audit) && sources.contains(&EvidenceSource::Metrics), "{sources:?}");
        assert!(conclusion.hypotheses.iter().all(|h| h.confidence <= top.confidence));
        assert!(!conclusion.hypotheses.iter().take(1).any(|h| h.component == "ledger-sync"));
    }

    #[test]
    fn symptoms_with_no_change_point_to_the_resource_and_its_failure_mode() {
        let findings =
            vec![error_logs("shop-fn", 50, "outOfMemory"), metric("shop-api", "5XXError", 51, "levelShiftUp", None)];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-fn", Category::ResourceExhaustion));
    }

    fn run_with_remote() -> RunContext {
        let mut run = run();
        run.architecture.push_str(
            " shop-fn calls the rate service fxdesk (https://api.fxdesk.org), with the API key read from the secret \
             shop/fxdesk-api-key.",
        );
        run
    }

    fn with_text(mut finding: Finding, text: &str) -> Finding {
        finding.excerpt = text.into();
        finding
    }

    /// The finding as strong as findings get.
    /// A strong level shift up of a metric in `namespace`.
    fn rising_in(namespace: &str, component: &str, name: &str, minute: i64) -> Finding {
        let mut rising = strong(metric(component, name, minute, "levelShiftUp", None));
        rising.attrs.insert(attr::NAMESPACE.into(), namespace.into());
        rising
    }

    fn strong(mut finding: Finding) -> Finding {
        finding.score = 1.0;
        finding
    }

    #[test]
    fn timeouts_naming_a_described_remote_blame_it_and_cite_every_source_that_agrees() {
        let findings = vec![
            with_text(error_logs("shop-fn", 50, "timeout"), "fxdesk call timed out after 5000 ms"),
            metric("shop-fn", "Errors", 50, "levelShiftUp", None),
            metric("shop-api", "5XXError", 51, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run_with_remote(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("api.fxdesk.org", Category::DependencyFailure));
        let sources: Vec<EvidenceSource> = top.evidence.iter().map(|e| e.source).collect();
        assert!(sources.contains(&EvidenceSource::Logs) && sources.contains(&EvidenceSource::Metrics), "{sources:?}");
        assert_eq!(conclusion.hypotheses.len(), 1, "the error metrics corroborate it instead of competing");
    }

    #[test]
    fn a_rejected_api_key_points_at_the_secret_and_a_wrapping_exception_joins_it() {
        let findings = vec![
            with_text(error_logs("shop-fn", 50, "accessDenied"), "fxdesk rejected the request: 401 Unauthorized"),
            with_text(error_logs("shop-fn", 50, "exception"), "fxdesk request failed Error: at handler"),
        ];
        let conclusion = conclude(&run_with_remote(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop/fxdesk-api-key", Category::CredentialExpiry));
        assert!(
            conclusion.hypotheses.iter().all(|h| h.category != Category::CodeDefect),
            "{:?}",
            conclusion.hypotheses
        );
    }

    #[test]
    fn a_change_whose_only_effect_ended_long_before_the_alarm_does_not_lead() {
        let findings = vec![
            change("ledger-sync", 10, "configuration"),
            metric("ledger-sync", "Duration", 11, "levelShiftUp", Some(18)),
            metric("shop-table", "ThrottledRequests", 55, "levelShiftUp", None),
            error_logs("shop-fn", 55, "throttling"),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!(top.category, Category::CapacityLimit, "{:?}", conclusion.hypotheses);
    }

    #[test]
    fn a_burst_that_recovered_at_once_is_a_false_alarm() {
        let findings =
            vec![metric("shop-api", "5XXError", 59, "spike", Some(60)), change("ledger-sync", 30, "deployment")];
        let conclusion = conclude(&run(), &notebook(findings));
        assert_eq!(conclusion.status, Status::Healthy);
        assert!(conclusion.hypotheses.is_empty());
    }

    #[test]
    fn another_services_own_trouble_does_not_make_a_blip_an_incident() {
        // orders-svc is not in shop-api's architecture: its errors are its own business, not the alarm's.
        let findings = vec![
            metric("shop-api", "5XXError", 59, "spike", Some(60)),
            error_logs("orders-svc", 40, "notFound"),
            change("orders-svc", 35, "deployment"),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        assert_eq!(conclusion.status, Status::Healthy, "{:?}", conclusion.hypotheses);
    }

    #[test]
    fn client_errors_an_alarm_counts_that_are_still_up_are_no_blip() {
        let mut namespaced = metric("shop-api", "4XXError", 52, "levelShiftUp", None);
        namespaced.attrs.insert(attr::NAMESPACE.into(), "AWS/ApiGateway".into());
        let findings = vec![metric("shop-api", "5XXError", 59, "spike", Some(60)), namespaced];
        assert_eq!(conclude(&run(), &notebook(findings.clone())).status, Status::Healthy, "4xx are no symptom");
        let mut counts_both = run();
        let alarm = counts_both.alarm.as_mut().expect("the test run has an alarm");
        let mut client_errors = alarm.metrics[0].clone();
        client_errors.metric_name = "4XXError".into();
        alarm.metrics.push(client_errors);
        assert_ne!(conclude(&counts_both, &notebook(findings)).status, Status::Healthy);
        // However weak, the alarmed metric creeping up for long is no burst that is over.
        let blip = metric("shop-fn", "Duration", 59, "spike", Some(60));
        assert_eq!(conclude(&run(), &notebook(vec![blip.clone()])).status, Status::Healthy);
        let mut creeping = metric("shop-api", "5XXError", 20, "trendUp", None);
        creeping.score = 0.1;
        creeping.attrs.insert(attr::NAMESPACE.into(), "AWS/ApiGateway".into());
        assert_ne!(conclude(&run(), &notebook(vec![blip, creeping])).status, Status::Healthy);
    }

    #[test]
    fn a_busier_cpu_well_short_of_its_ceiling_keeps_a_burst_a_blip() {
        let burst = metric("shop-table", "WriteThrottleEvents", 50, "spike", Some(53));
        let mut busier = metric("shop-fn", "CPUUtilization", 51, "levelShiftUp", Some(57));
        busier.attrs.insert(attr::PEAK.into(), "56".into());
        let healthy = |busier: &Finding| {
            conclude(&run(), &notebook(vec![burst.clone(), busier.clone()])).status == Status::Healthy
        };
        assert!(healthy(&busier));
        busier.attrs.insert(attr::PEAK.into(), "99".into());
        assert!(!healthy(&busier), "a CPU pinned at its ceiling is trouble that lasted");
    }

    #[test]
    fn a_blip_is_judged_on_its_main_burst_not_its_sparse_forerunners() {
        let mut burst = error_logs("shop-fn", 50, "connection");
        burst.attrs.insert(attr::ENDED_AT.into(), crate::contract::format_time(&at(57)));
        let healthy = |burst: Finding| {
            let findings = vec![metric("shop-api", "5XXError", 56, "spike", Some(57)), burst];
            conclude(&run(), &notebook(findings)).status == Status::Healthy
        };
        assert!(!healthy(burst.clone()), "seven minutes of errors are not a blip");
        burst.attrs.insert(attr::BURST_START.into(), crate::contract::format_time(&at(56)));
        assert!(healthy(burst), "a one-minute burst after two stray errors is");
    }

    #[test]
    fn a_burst_elsewhere_or_over_long_before_the_alarm_fired_is_not_what_it_fired_on() {
        let burst = |minute: i64| vec![metric("shop-fn", "Errors", minute, "spike", Some(minute + 1))];
        assert_eq!(conclude(&run(), &notebook(burst(56))).status, Status::Healthy, "the alarm fired on it");
        assert_ne!(conclude(&run(), &notebook(burst(30))).status, Status::Healthy, "over 29 minutes before");
        // Nor is another service's burst, with trouble going on next to the alarm.
        let mut elsewhere = burst(56);
        elsewhere[0].component = "billing-worker".into();
        elsewhere.push(finding(
            EvidenceSource::Metrics,
            FindingKind::MetricAnomaly,
            "shop-api",
            58,
            0.2,
            &[(attr::METRIC_NAME, "5XXError"), (attr::SHAPE, "levelShiftUp")],
        ));
        assert_ne!(conclude(&run(), &notebook(elsewhere)).status, Status::Healthy, "another service's burst");
    }

    #[test]
    fn a_dead_letter_queue_redriven_right_before_its_consumer_was_swamped_is_a_surge() {
        let mut run = run();
        run.architecture.push_str(" shop-fn consumes the queue shop-queue, whose dead-letter queue is shop-dlq.");
        let findings = vec![
            change("shop-fn", 20, "deployment"),
            change("shop-dlq", 48, "load"),
            strong(metric("shop-fn", "ConcurrentExecutions", 49, "levelShiftUp", None)),
            strong(error_logs("shop-fn", 50, "limitExceeded")),
        ];
        let top = &conclude(&run, &notebook(findings)).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-dlq", Category::TrafficSurge));
    }

    #[test]
    fn an_api_throttled_minutes_after_another_api_surged_was_crowded_out_of_the_accounts_quota() {
        let gateway_metric =
            |component: &str, name: &str, minute: i64| rising_in("AWS/ApiGateway", component, name, minute);
        let mut findings = vec![
            gateway_metric("partner-api", "Count", 47),
            gateway_metric("partner-api", "5XXError", 47),
            strong(with_text(error_logs("shop-api", 50, "throttling"), "429 Too Many Requests")),
            gateway_metric("shop-api", "4XXError", 50),
        ];
        let top = conclude(&run(), &notebook(findings.clone())).hypotheses[0].clone();
        assert_eq!((top.component.as_str(), top.category), ("partner-api", Category::CapacityLimit));
        // A function's surge does not take an API's quota.
        findings[0].attrs.insert(attr::NAMESPACE.into(), "AWS/Lambda".into());
        findings[1].attrs.insert(attr::NAMESPACE.into(), "AWS/Lambda".into());
        let top = conclude(&run(), &notebook(findings)).hypotheses[0].clone();
        assert_eq!(top.component, "shop-api");
    }

    #[test]
    fn a_dependency_that_slowed_after_its_own_load_rose_ran_out_of_capacity() {
        let slow = finding(
            EvidenceSource::Traces,
            FindingKind::TraceAnomaly,
            "scoring-endpoint",
            50,
            0.6,
            &[(attr::EDGE, "shop-fn -> SageMakerRuntime:scoring-endpoint")],
        );
        let mut findings = vec![slow, metric("shop-api", "5XXError", 50, "levelShiftUp", None)];
        let category = |findings: &[Finding]| {
            let conclusion = conclude(&run(), &notebook(findings.to_vec()));
            conclusion.hypotheses.iter().find(|h| h.component.contains("scoring-endpoint")).map(|h| h.category)
        };
        assert_eq!(category(&findings), Some(Category::DependencyFailure));
        findings.push(strong(metric("scoring-endpoint", "Invocations", 20, "trendUp", None)));
        assert_eq!(category(&findings), Some(Category::CapacityLimit));
    }

    #[test]
    fn trouble_that_begins_as_a_documented_schedule_starts_is_that_activity_unless_something_broke() {
        let mut run = run();
        run.architecture.push_str(" shop-table is exported daily at 10:45 UTC by the job table-export.");
        let busy = || vec![metric("shop-table", "SuccessfulRequestLatency", 46, "levelShiftUp", None)];
        let conclusion = conclude(&run, &notebook(busy()));
        assert_eq!(conclusion.status, Status::Healthy, "{:?}", conclusion.hypotheses);
        assert!(conclusion.summary.contains("exported daily at 10:45 UTC"), "{}", conclusion.summary);
        assert!(conclusion.impact.starts_with("Within what the scheduled activity causes"), "{}", conclusion.impact);
        // The same load an hour later is not the schedule's.
        let later = vec![metric("shop-table", "SuccessfulRequestLatency", 56, "levelShiftUp", None)];
        let mut off_schedule = run.clone();
        off_schedule.architecture = off_schedule.architecture.replace("10:45", "09:30");
        assert_ne!(conclude(&off_schedule, &notebook(later)).status, Status::Healthy);
        // Errors logged as such are trouble, whatever the schedule.
        let mut broken = busy();
        broken.push(error_logs("shop-fn", 47, "timeout"));
        assert_ne!(conclude(&run, &notebook(broken)).status, Status::Healthy);
    }

    #[test]
    fn fresh_trouble_a_runbook_calls_normal_for_the_alarmed_resource_is_no_fault() {
        let runbook = |text: &str| {
            let mut passage =
                finding(EvidenceSource::Knowledge, FindingKind::Runbook, "runbook-deploys.md", 0, 0.8, &[]);
            passage.time = None;
            passage.excerpt = text.into();
            passage
        };
        let normal =
            "# Deploys\nA handful of 5XX errors on shop-api while traffic shifts is normal; it clears by itself.";
        let deploy = change("shop-fn", 57, "deployment");
        let errors = metric("shop-api", "5XXError", 58, "spike", None);
        let conclusion = conclude(&run(), &notebook(vec![deploy.clone(), errors.clone(), runbook(normal)]));
        assert_eq!(conclusion.status, Status::Healthy, "{:?}", conclusion.hypotheses);
        assert!(conclusion.summary.contains("runbook calls normal"), "{}", conclusion.summary);
        // The same words about another resource, trouble the paragraph does not speak of, or trouble that has gone
        // on for a quarter of an hour: not what the runbook meant.
        let elsewhere = normal.replace("shop-api", "admin-api");
        let not_this = conclude(&run(), &notebook(vec![deploy.clone(), errors.clone(), runbook(&elsewhere)]));
        assert_ne!(not_this.status, Status::Healthy);
        let latency = metric("shop-api", "Latency", 58, "levelShiftUp", None);
        let other = conclude(&run(), &notebook(vec![deploy.clone(), errors, latency, runbook(normal)]));
        assert_ne!(other.status, Status::Healthy);
        let long = metric("shop-api", "5XXError", 45, "levelShiftUp", None);
        let lasting = conclude(&run(), &notebook(vec![change("shop-fn", 44, "deployment"), long, runbook(normal)]));
        assert_ne!(lasting.status, Status::Healthy);
    }

    #[test]
    fn a_configuration_deployed_to_its_readers_explains_their_errors_like_code() {
        let mut run = run();
        run.architecture.push_str(" Runtime settings come from the AppConfig profile shop-settings.");
        let conclude_with = |event: &str| {
            let mut setting = change("shop-settings", 48, "configuration");
            setting.attrs.insert(attr::EVENT_NAME.into(), event.into());
            let symptoms = vec![error_logs("shop-fn", 50, "timeout"), setting];
            conclude(&run, &notebook(symptoms))
        };
        let deployed = conclude_with("StartDeployment");
        assert_eq!(deployed.hypotheses[0].component, "shop-settings");
        assert_eq!(deployed.hypotheses[0].category, Category::ConfigurationChange);
        // A setting changed on another resource reaches only what names it.
        let set = conclude_with("PutParameter");
        assert!(set.hypotheses[0].confidence < deployed.hypotheses[0].confidence, "{:?}", set.hypotheses);
    }

    #[test]
    fn fewer_hosts_each_busier_with_headroom_is_what_a_scale_in_does_not_harm_it_did() {
        let mut cpu = metric("shop-fn", "CPUUtilization", 51, "levelShiftUp", None);
        cpu.attrs.insert(attr::PEAK.into(), "45".into());
        let scale_in = || {
            vec![
                change("shop-fn", 50, "capacity"),
                metric("shop-fn", "HealthyHostCount", 51, "levelShiftDown", None),
                cpu.clone(),
            ]
        };
        let conclusion = conclude(&run(), &notebook(scale_in()));
        assert_ne!(conclusion.status, Status::RootCauseIdentified, "{:?}", conclusion.hypotheses);
        // Requests failing after the cut are its harm.
        let mut failing = scale_in();
        failing.push(metric("shop-api", "5XXError", 52, "levelShiftUp", None));
        let conclusion = conclude(&run(), &notebook(failing));
        assert_eq!(conclusion.status, Status::RootCauseIdentified, "{:?}", conclusion.hypotheses);
        assert_eq!(conclusion.hypotheses[0].component, "shop-fn");
    }

    #[test]
    fn misses_a_service_logs_as_routine_are_no_fault_of_its_deployment() {
        let misses = |level: &str| {
            let mut missing = error_logs("shop-fn", 52, "notFound");
            missing.attrs.insert(attr::LEVEL.into(), level.into());
            conclude(&run(), &notebook(vec![change("shop-fn", 45, "deployment"), missing]))
        };
        let (routine, errors) = (misses("INFO"), misses("ERROR"));
        assert!(routine.hypotheses[0].statement.contains("no symptom was tied to it"), "{:?}", routine.hypotheses);
        assert!(routine.hypotheses[0].confidence < errors.hypotheses[0].confidence, "logged as an error, it is one");
    }

    #[test]
    fn a_process_killed_for_memory_is_never_a_false_alarm() {
        let mut killed = error_logs("shop-fn", 58, "outOfMemory");
        killed.attrs.insert(attr::ENDED_AT.into(), crate::contract::format_time(&at(59)));
        let findings = vec![metric("shop-api", "5XXError", 58, "spike", Some(59)), killed];
        let conclusion = conclude(&run(), &notebook(findings));
        assert_ne!(conclusion.status, Status::Healthy);
        assert_eq!(conclusion.hypotheses[0].category, Category::ResourceExhaustion, "{:?}", conclusion.hypotheses);
    }

    #[test]
    fn a_full_disk_relayed_by_its_client_is_the_databases() {
        let free = metric("shop-table", "FreeStorageSpace", 20, "levelShiftDown", None);
        let findings = vec![free, error_logs("shop-table", 52, "diskFull"), error_logs("shop-fn", 51, "diskFull")];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-table", Category::ResourceExhaustion));
        assert!(conclusion.hypotheses.iter().all(|h| h.component != "shop-fn"), "{:?}", conclusion.hypotheses);
    }

    #[test]
    fn a_clients_throttling_errors_are_the_dependency_traces_show_throttling() {
        let mut run = run();
        run.architecture.push_str(" shop-fn reads images from the S3 bucket shop-media.");
        let edge = finding(
            EvidenceSource::Traces,
            FindingKind::TraceAnomaly,
            "shop-media",
            51,
            0.8,
            &[
                (attr::EDGE, "shop-fn -> S3:shop-media"),
                (attr::FAULT_ORIGIN, "remote"),
                (attr::ERROR_CLASS, "throttling"),
            ],
        );
        let mut slowed = error_logs("shop-fn", 50, "throttling");
        slowed.excerpt = "get object failed: api error SlowDown: Please reduce your request rate.".into();
        let conclusion = conclude(&run, &notebook(vec![edge, slowed]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("S3:shop-media", Category::CapacityLimit));
        assert!(conclusion.hypotheses.iter().all(|h| h.component != "shop-fn"), "{:?}", conclusion.hypotheses);
    }

    #[test]
    fn a_deploy_that_set_the_host_its_service_cannot_reach_is_the_cause_not_the_host() {
        let refused = || {
            let mut refused = error_logs("shop-fn", 50, "connection");
            refused.excerpt = "media call failed: connect ECONNREFUSED http://media.shop.internal:80/v1".into();
            refused
        };
        let deploy = call("shop-fn", 48, "deployment", "RegisterTaskDefinition");
        let top = |deploy: Finding| conclude(&run(), &notebook(vec![deploy, refused()])).hypotheses[0].clone();
        assert_eq!(top(deploy.clone()).component, "media.shop.internal", "a deploy is no reason for a refusing host");
        let mut pointing = deploy;
        pointing.attrs.insert(attr::HOSTS.into(), "media.shop.internal".into());
        let blamed = top(pointing);
        assert_eq!((blamed.component.as_str(), blamed.category), ("shop-fn", Category::Deployment));
    }

    #[test]
    fn a_resources_slow_signals_join_its_exhaustion_whichever_moved_first() {
        let mut busy = metric("shop-table", "CPUUtilization", 50, "trendUp", None);
        busy.attrs.insert(attr::PEAK.into(), "98".into());
        let findings = vec![metric("shop-table", "ReadLatency", 30, "levelShiftUp", None), busy];
        let conclusion = conclude(&run(), &notebook(findings));
        assert_eq!(conclusion.hypotheses.len(), 1, "{:?}", conclusion.hypotheses);
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-table", Category::ResourceExhaustion));
    }

    #[test]
    fn a_function_throttled_at_once_after_its_deploy_is_the_new_code_at_work() {
        let top = |throttled_at: i64| {
            let throttles = metric("shop-fn", "Throttles", throttled_at, "levelShiftUp", None);
            let conclusion = conclude(&run(), &notebook(vec![change("shop-fn", 40, "deployment"), throttles]));
            conclusion.hypotheses[0].category
        };
        assert_eq!(top(41), Category::Deployment);
        assert_eq!(top(52), Category::CapacityLimit, "throttled long after the deploy: a limit of its own");
    }

    #[test]
    fn a_change_to_a_host_reaches_the_lines_logged_on_that_host() {
        let detached = |stream: &str| {
            let mut volume_gone = error_logs("billing-db", 50, "exception");
            volume_gone.attrs.insert(attr::LOG_STREAM.into(), stream.into());
            let detach = call("i-0657b390f87f7ff52", 49, "configuration", "DetachVolume");
            let conclusion = conclude(&run(), &notebook(vec![detach, volume_gone]));
            conclusion.hypotheses[0].component.clone()
        };
        assert_eq!(detached("i-0657b390f87f7ff52"), "i-0657b390f87f7ff52");
        assert_eq!(detached("i-0aaaabbbbccccdddd"), "billing-db");
    }

    #[test]
    fn a_cache_refusing_writes_for_memory_is_the_caches_exhaustion_not_its_clients() {
        let mut run = run();
        run.architecture.push_str(" shop-fn caches lookups in the Redis cluster shop-cache.");
        let mut refused = error_logs("shop-fn", 51, "outOfMemory");
        refused.excerpt = "cache write failed: OOM command not allowed when used memory > 'maxmemory'.".into();
        let findings = vec![
            metric("shop-cache-001", "Evictions", 50, "levelShiftUp", None),
            refused,
            metric("shop-api", "5XXError", 51, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-cache", Category::ResourceExhaustion));
    }

    #[test]
    fn an_outside_providers_429s_blame_the_provider_named_in_the_url() {
        let mut rejected = error_logs("shop-fn", 50, "throttling");
        rejected.excerpt = "{\"logger\":\"app.routes\",\"event\":\"rates request failed: 429 Client Error: Too Many \
            Requests for url: https://api.ratesdesk.example/v1/quote\"}"
            .into();
        let conclusion = conclude(&run(), &notebook(vec![rejected]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("api.ratesdesk.example", Category::CapacityLimit));
    }

    #[test]
    fn a_change_to_a_resource_known_by_id_explains_the_errors_right_after_it() {
        let key = "0f2c9a4e-6b1d-4c3a-9e8f-2a7b5c1d3e4f";
        let findings = vec![change(key, 48, "permission"), error_logs("shop-fn", 52, "accessDenied")];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), (key, Category::PermissionChange), "{top:?}");
    }

    #[test]
    fn a_change_by_the_id_the_traces_give_an_api_explains_its_errors_and_is_named_after_it() {
        // A stage changed by the API's id at the onset, not a deploy of the function behind it that served cleanly
        // for 27 minutes before.
        let failing = [(attr::ERROR_CLASS, "exception"), (attr::RESOURCE_ID, "k3x9q2w7ab")];
        let findings = vec![
            change("shop-fn", 23, "deployment"),
            change("k3x9q2w7ab", 50, "configuration"),
            metric("shop-api", "5XXError", 50, "levelShiftUp", None),
            error_logs("shop-fn", 50, "exception"),
            finding(EvidenceSource::Traces, FindingKind::TraceAnomaly, "shop-api", 50, 0.6, &failing),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-api", Category::ConfigurationChange), "{top:?}");
    }

    #[test]
    fn a_faint_anomaly_long_before_does_not_make_a_deploys_strong_errors_late() {
        // A firewall rule changed long before blocks a few more requests at the API; the function's new code fails
        // at once and loudly.
        let mut blocked = metric("shop-api", "BlockedRequests", 25, "levelShiftUp", None);
        blocked.score = 0.31;
        let findings = vec![
            change("shop-api", 24, "permission"),
            blocked,
            change("shop-fn", 49, "deployment"),
            error_logs("shop-fn", 50, "exception"),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-fn", Category::Deployment), "{top:?}");
    }

    #[test]
    fn trouble_that_began_as_a_fault_injection_experiment_started_is_no_fault() {
        // A game day: a version published for it, then the experiment, and the injected errors from that minute.
        let findings = |deploy_at: i64| {
            vec![
                change("shop-fn", deploy_at, "deployment"),
                change("gameday-shop", 49, "experiment"),
                error_logs("shop-fn", 50, "exception"),
                metric("shop-api", "5XXError", 50, "levelShiftUp", None),
            ]
        };
        let conclusion = conclude(&run(), &notebook(findings(38)));
        assert_eq!(conclusion.status, Status::Healthy, "{:?}", conclusion.hypotheses);
        assert!(conclusion.summary.contains("fault-injection experiment"), "{}", conclusion.summary);
        // New code deployed after the experiment began is what the errors are about.
        let deployed_after = conclude(&run(), &notebook(findings(50)));
        assert_ne!(deployed_after.status, Status::Healthy);
    }

    #[test]
    fn a_store_pinned_at_its_top_before_a_deploys_errors_ran_out_first() {
        // A message broker's store fills up; the function that publishes to it fails minutes later, after a deploy
        // that had been serving fine.
        let mut run = run();
        run.architecture.push_str(" shop-fn publishes orders to the broker orders-broker.");
        let mut full = metric("orders-broker-1", "StorePercentUsage", 45, "levelShiftUp", None);
        full.attrs.insert(attr::NEW_LEVEL.into(), "100".into());
        full.attrs.insert(attr::PEAK.into(), "100".into());
        full.score = 0.6;
        let mut recovered = full.clone();
        recovered.attrs.insert(attr::METRIC_NAME.into(), "SuccessPercent".into());
        let findings = vec![change("shop-fn", 30, "deployment"), full, error_logs("shop-fn", 47, "exception")];
        let conclusion = conclude(&run, &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert!(top.component.starts_with("orders-broker"), "{top:?}");
        assert_eq!(top.category, Category::ResourceExhaustion);
        // Successes back at 100% are no store filling up.
        let findings = vec![change("shop-fn", 30, "deployment"), recovered, error_logs("shop-fn", 47, "exception")];
        assert_eq!(conclude(&run, &notebook(findings)).hypotheses[0].component, "shop-fn");
    }

    #[test]
    fn callers_timing_out_on_the_database_right_after_a_schema_migration_ran_are_the_migrations_doing() {
        let mut timeouts = error_logs("shop-fn", 52, "timeout");
        timeouts.excerpt = "Lock wait timeout exceeded; try restarting transaction (table shop-table)".into();
        let findings = vec![call("flyway-runner", 50, "deployment", "RunTask"), timeouts];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("flyway-runner", Category::Deployment), "{top:?}");
    }

    #[test]
    fn a_function_timing_out_at_start_after_its_deploy_is_the_deploy_not_a_remote_failing() {
        // New code too heavy to start: the function's own start-up times out, and its API's calls to it time out.
        let edge = [
            (attr::ERROR_CLASS, "timeout"),
            (attr::EDGE, "shop-api -> Lambda:shop-fn"),
            (attr::FAULT_ORIGIN, "remote"),
        ];
        let findings = vec![
            change("shop-fn", 48, "deployment"),
            error_logs("shop-fn", 50, "timeout"),
            finding(EvidenceSource::Traces, FindingKind::TraceAnomaly, "shop-fn", 50, 0.9, &edge),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-fn", Category::Deployment), "{top:?}");
    }

    #[test]
    fn a_setting_can_name_a_resource_that_does_not_exist() {
        let mut missing = error_logs("shop-fn", 51, "notFound");
        missing.excerpt = "ResourceNotFoundException: Requested resource not found: Table: shop-tabel not found".into();
        let findings = vec![change("shop-fn", 50, "configuration"), missing];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-fn", Category::ConfigurationChange), "{top:?}");
    }

    #[test]
    fn a_database_that_went_down_and_came_back_is_an_infrastructure_failure_not_a_false_alarm() {
        let ended = crate::contract::format_time(&at(58));
        let mut restart = error_logs("shop-table", 56, "restart");
        restart.attrs.insert(attr::ENDED_AT.into(), ended.clone());
        let mut refused = error_logs("shop-fn", 56, "connection");
        refused.excerpt = "connection to server at \"shop-table.abc.eu-west-1.rds.amazonaws.com\" failed".into();
        refused.attrs.insert(attr::ENDED_AT.into(), ended);
        let findings = vec![metric("shop-api", "5XXError", 56, "spike", Some(58)), restart, refused];
        let conclusion = conclude(&run(), &notebook(findings));
        assert_ne!(conclusion.status, Status::Healthy);
        let top = &conclusion.hypotheses[0];
        // The database, by its name or its endpoint.
        assert!(top.component.starts_with("shop-table"), "{top:?}");
        assert_eq!(top.category, Category::InfrastructureFailure);
        assert!(conclusion.hypotheses.iter().all(|h| h.category != Category::DependencyFailure), "joined the host");
    }

    #[test]
    fn a_few_stray_connection_resets_do_not_make_a_blip_an_incident() {
        let mut resets = error_logs("shop-fn", 40, "connection");
        resets.attrs.insert(attr::COUNT_AFTER.into(), "3".into());
        let findings = vec![metric("shop-api", "5XXError", 59, "spike", Some(60)), resets.clone()];
        assert_eq!(conclude(&run(), &notebook(findings)).status, Status::Healthy);
        resets.attrs.insert(attr::COUNT_AFTER.into(), "40".into());
        let findings = vec![metric("shop-api", "5XXError", 59, "spike", Some(60)), resets];
        assert_ne!(conclude(&run(), &notebook(findings)).status, Status::Healthy, "forty are not stray");
    }

    #[test]
    fn no_findings_is_inconclusive_and_says_what_is_missing() {
        let conclusion = conclude(&run(), &notebook(vec![]));
        assert_eq!(conclusion.status, Status::Inconclusive);
        assert!(conclusion.summary.contains("No findings came from"), "{}", conclusion.summary);
    }

    #[test]
    fn japanese_reports_are_written_in_japanese() {
        let mut run = run();
        run.language = Language::Ja;
        let findings = vec![
            change("shop-table", 50, "capacity"),
            metric("shop-table", "ThrottledRequests", 52, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        assert!(conclusion.summary.contains("根本原因"), "{}", conclusion.summary);
        assert!(conclusion.actions.iter().all(|a| a.detail.chars().any(|c| c > '\u{3000}')));
    }

    #[test]
    fn errors_naming_a_remote_are_not_explained_by_an_unrelated_setting() {
        let mut timeouts = error_logs("shop-fn", 52, "timeout");
        timeouts.excerpt = "ERROR call to https://api.ratesdesk.example/v1 timed out after 5000 ms".into();
        let findings = vec![change("/prod/shop/maintenance-window", 48, "configuration"), timeouts];
        let conclusion = conclude(&run(), &notebook(findings));
        let ranked: Vec<(&str, Category, f64)> =
            conclusion.hypotheses.iter().map(|h| (h.component.as_str(), h.category, h.confidence)).collect();
        let setting = ranked.iter().find(|h| h.0 == "/prod/shop/maintenance-window").map_or(0.0, |h| h.2);
        assert!(setting < 0.5, "the setting is not blamed with confidence: {ranked:?}");
        assert_ne!(conclusion.status, Status::RootCauseIdentified);
    }

    #[test]
    fn a_deployment_does_not_explain_its_calls_to_a_failing_remote() {
        let mut refused = error_logs("shop-fn", 50, "connection");
        refused.excerpt = "reserve failed: connect ECONNREFUSED stock.shop.internal:50051".into();
        let findings = vec![
            change("shop-fn", 30, "deployment"),
            refused,
            // The request log line of the same failures names no remote; it takes the refused calls' class.
            error_logs("shop-fn", 50, ""),
            metric("shop-api", "5XXError", 50, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("stock.shop.internal", Category::DependencyFailure));
    }

    #[test]
    fn a_deployment_does_not_explain_faults_its_traces_place_below_it() {
        let trace = |component: &str, edge: &str, origin: &str| {
            let attrs = [(attr::EDGE, edge), (attr::ERROR_CLASS, "exception"), (attr::FAULT_ORIGIN, origin)];
            finding(EvidenceSource::Traces, FindingKind::TraceAnomaly, component, 50, 0.6, &attrs)
        };
        let findings = vec![
            change("shop-fn", 30, "deployment"),
            trace("shop-table", "shop-fn -> DynamoDB:shop-table", "remote"),
            trace("shop-fn", "shop-fn", "below"),
            metric("shop-api", "5XXError", 50, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings.clone()));
        let top = &conclusion.hypotheses[0];
        assert_eq!(top.component, "shop-table", "{:?}", conclusion.hypotheses);
        // The same faults starting in the function's own code are the deployment's.
        let mut own = findings;
        own[1].attrs.remove(attr::FAULT_ORIGIN);
        own[2].attrs.remove(attr::FAULT_ORIGIN);
        own.remove(1);
        let conclusion = conclude(&run(), &notebook(own));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-fn", Category::Deployment));
    }

    #[test]
    fn an_episode_over_long_before_a_change_does_not_make_its_effects_preexisting() {
        let findings = vec![
            change("shop-fn", 50, "capacity"),
            metric("shop-fn", "Throttles", 51, "levelShiftUp", None),
            metric("shop-api", "5XXError", 51, "levelShiftUp", None),
        ];
        let mut with_old_spike = findings.clone();
        with_old_spike.push(metric("shop-api", "Latency", 10, "spike", Some(12)));
        let confidence = |findings: Vec<Finding>| {
            let conclusion = conclude(&run(), &notebook(findings));
            let top = &conclusion.hypotheses[0];
            assert_eq!((top.component.as_str(), top.category), ("shop-fn", Category::CapacityLimit));
            top.confidence
        };
        let (with, without) = (confidence(with_old_spike), confidence(findings));
        assert!(with > 0.85 && with <= without, "{with} vs {without}");
    }

    #[test]
    fn the_alarmed_metric_falling_is_the_problem_and_a_disabled_rule_explains_it() {
        let mut run = run();
        if let Some(alarm) = run.alarm.as_mut() {
            alarm.metrics[0].namespace = "Shop/Orders".into();
            alarm.metrics[0].metric_name = "OrdersShipped".into();
            alarm.metrics[0].dimensions = BTreeMap::from([("Service".into(), "shop-shipping".into())]);
        }
        let mut shipped = metric("shop-shipping", "OrdersShipped", 51, "dropToZero", None);
        shipped.attrs.insert(attr::NAMESPACE.into(), "Shop/Orders".into());
        let findings = vec![change("shop-shipping-rule", 50, "configuration"), shipped];
        let conclusion = conclude(&run, &notebook(findings));
        assert_eq!(conclusion.status, Status::RootCauseIdentified);
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-shipping-rule", Category::ConfigurationChange));
        assert!(top.evidence.iter().any(|e| e.reference == "ref-shop-shipping-51"), "{:?}", top.evidence);
    }

    #[test]
    fn a_database_setting_explains_the_limit_its_own_log_reports_at_its_own_endpoint() {
        let mut refused = error_logs("shop-db", 51, "limitExceeded");
        refused.excerpt =
            "FATAL: remaining connection slots are reserved (host shop-db.c1x.eu-west-1.rds.amazonaws.com)".into();
        let findings = vec![
            change("shop-db-params", 45, "configuration"),
            refused,
            metric("shop-api", "5XXError", 51, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-db-params", Category::ConfigurationChange));
        assert!(top.evidence.iter().any(|e| e.source == EvidenceSource::Logs), "{:?}", top.evidence);
    }

    #[test]
    fn a_firewall_rule_that_blocks_customers_is_the_permission_change_before_it() {
        let findings = vec![
            change("shop-acl", 50, "permission"),
            metric("shop-acl", "BlockedRequests", 51, "levelShiftUp", None),
            metric("shop-api", "4XXError", 51, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-acl", Category::PermissionChange));
        assert!(top.evidence.iter().any(|e| e.reference == "ref-shop-acl-51"), "{:?}", top.evidence);
    }

    #[test]
    fn a_provider_failing_its_callers_for_minutes_is_a_dependency_failure_not_a_blip() {
        let mut run = run();
        run.alarm = None;
        run.trigger = Trigger {
            kind: TriggerKind::Slack,
            alarm_name: None,
            description: Some("payments failing for many users since 10:50".into()),
        };
        let mut provider = finding(
            EvidenceSource::Traces,
            FindingKind::TraceAnomaly,
            "pay.example.com",
            50,
            0.9,
            &[
                (attr::EDGE, "shop-fn -> pay.example.com"),
                (attr::ERROR_CLASS, "exception"),
                (attr::FAULT_ORIGIN, "remote"),
            ],
        );
        provider.attrs.insert(attr::ENDED_AT.into(), crate::contract::format_time(&at(58)));
        let errors = metric("shop-api", "5XXError", 50, "levelShiftUp", Some(58));
        // Another service's one-minute blip is no reason to call the whole thing a false alarm.
        let blip = metric("loyalty-api", "Latency", 45, "spike", Some(46));
        let conclusion = conclude(&run, &notebook(vec![provider, errors, blip]));
        assert_ne!(conclusion.status, Status::Healthy, "an 8-minute outage over before the report is no blip");
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("pay.example.com", Category::DependencyFailure));
    }

    #[test]
    fn gauges_of_what_ran_out_name_their_resource_and_mechanism() {
        let cases = [
            // A file system out of burst credits is throttled to its baseline.
            ("fs-0a1b2c3d4e5f60718", "BurstCreditBalance", 45, "levelShiftDown", Category::ResourceExhaustion),
            // A NAT gateway out of ports refuses new connections.
            ("nat-0a1b2c3d4e5f60718", "ErrorPortAllocation", 50, "levelShiftUp", Category::CapacityLimit),
        ];
        for (component, gauge, minute, shape, category) in cases {
            let findings = vec![
                metric(component, gauge, minute, shape, None),
                metric("shop-api", "5XXError", 50, "levelShiftUp", None),
            ];
            let conclusion = conclude(&run(), &notebook(findings));
            let top = &conclusion.hypotheses[0];
            assert_eq!((top.component.as_str(), top.category), (component, category), "{gauge}");
        }
    }

    #[test]
    fn a_function_moved_into_small_subnets_runs_out_of_addresses() {
        let mut no_addresses = error_logs("shop-api", 51, "limitExceeded");
        no_addresses.excerpt =
            "Lambda was not able to set up VPC access: subnets have no available IP addresses".into();
        let findings = vec![
            change("shop-fn", 50, "network"),
            no_addresses,
            metric("shop-fn", "Errors", 51, "levelShiftUp", None),
            metric("shop-api", "5XXError", 51, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!(
            (top.component.as_str(), top.category),
            ("shop-fn", Category::Network),
            "{:?}",
            conclusion.hypotheses
        );
        assert!(top.evidence.iter().any(|e| e.source == EvidenceSource::Logs), "{:?}", top.evidence);
    }

    #[test]
    fn capacity_taken_away_without_a_limit_hit_is_a_configuration_change_and_autoscaling_is_a_reaction() {
        let mut scaled_in = change("shop-fn", 21, "capacity");
        scaled_in.attrs.insert(attr::ACTOR.into(), "ana".into());
        let mut scaled_out = change("shop-fn", 50, "capacity");
        scaled_out
            .attrs
            .insert(attr::ACTOR.into(), "AWSServiceRoleForApplicationAutoScaling_ECSService/scaling".into());
        let findings = vec![
            scaled_out,
            scaled_in,
            metric("shop-api", "5XXError", 51, "levelShiftUp", None),
            metric("shop-fn", "Errors", 51, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-fn", Category::ConfigurationChange));
        let cause = top.evidence.iter().find(|e| e.source == EvidenceSource::Audit).map(|e| e.reference.as_str());
        assert_eq!(cause, Some("ref-shop-fn-21"), "the person's change, not the autoscaler's closer one");
    }

    #[test]
    fn our_client_certificate_rejected_as_expired_blames_the_certificate_not_a_rotated_password() {
        let mut run = run();
        run.architecture.push_str(
            " shop-fn calls the bank https://api.bank.example over mutual TLS with the client certificate stored in \
             the secret shop/bank-client-cert. Its database password shop/db-credentials rotates monthly.",
        );
        let mut rejected = error_logs("shop-fn", 50, "tls");
        rejected.excerpt =
            "POST https://api.bank.example/transfers failed: javax.net.ssl.SSLHandshakeException: Received fatal \
             alert: certificate_expired"
                .into();
        let findings = vec![change("shop/db-credentials", 30, "credential"), rejected];
        let conclusion = conclude(&run, &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop/bank-client-cert", Category::CredentialExpiry));
    }

    #[test]
    fn handshakes_a_load_balancer_could_not_complete_are_the_network() {
        let handshakes = metric("shop-alb", "ClientTLSNegotiationErrorCount", 50, "levelShiftUp", None);
        let conclusion = conclude(&run(), &notebook(vec![handshakes]));
        assert_eq!(conclusion.hypotheses[0].category, Category::Network, "{:?}", conclusion.hypotheses);
    }

    #[test]
    fn a_busier_cpu_with_headroom_left_is_not_exhaustion() {
        let busy = |peak: &str| {
            let mut cpu = metric("shop-table", "CPUUtilization", 50, "levelShiftUp", None);
            cpu.attrs.insert(attr::PEAK.into(), peak.into());
            conclude(&run(), &notebook(vec![cpu]))
        };
        let saturated = busy("99.5");
        assert_eq!(saturated.hypotheses[0].category, Category::ResourceExhaustion);
        assert!(saturated.hypotheses[0].confidence >= 0.5, "{}", saturated.hypotheses[0].confidence);
        let headroom = busy("72");
        assert!(headroom.hypotheses.iter().all(|h| h.confidence < 0.5), "{:?}", headroom.hypotheses);
        assert_ne!(headroom.status, Status::RootCauseIdentified);
    }

    #[test]
    fn hosts_aws_took_out_are_examined_and_a_failed_system_check_is_an_infrastructure_failure() {
        let mut terminated = change("i-0a1b2c3d4e5f60718", 62, "capacity");
        terminated.attrs.insert(attr::ACTOR.into(), "AWSServiceRoleForAutoScaling/AutoScaling".into());
        terminated.attrs.insert(attr::EVENT_NAME.into(), "TerminateInstances".into());
        let first = notebook(vec![terminated.clone(), metric("shop-api", "5XXError", 50, "levelShiftUp", None)]);
        let asked = plan(&run(), &first);
        let metrics = asked.calls.iter().find(|c| c.tool == ToolName::Metrics).map(|c| c.args["resources"].clone());
        assert!(metrics.is_some_and(|r| r.to_string().contains("i-0a1b2c3d4e5f60718")), "{:?}", asked.calls);

        let failed = metric("i-0a1b2c3d4e5f60718", "StatusCheckFailed_System", 50, "levelShiftUp", None);
        let findings = vec![
            terminated,
            failed,
            metric("shop-api", "5XXError", 50, "levelShiftUp", None),
            metric("shop-api", "UnHealthyHostCount", 51, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("i-0a1b2c3d4e5f60718", Category::InfrastructureFailure));
        assert!(top.evidence.iter().any(|e| e.reference == "ref-shop-api-50"), "the faults it explains: {top:?}");
    }

    #[test]
    fn a_deployment_does_not_own_the_new_errors_another_service_logs() {
        let findings = || vec![change("shop-api", 30, "deployment"), error_logs("shop-fn", 50, "exception")];
        let mut run = run();
        run.log_groups.push("/ecs/shop-api".into());
        let conclusion = conclude(&run, &notebook(findings()));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-fn", Category::CodeDefect));
        // Deployed configuration that logs nothing of its own (a flag profile) is behind its consumer's errors.
        run.log_groups.pop();
        let conclusion = conclude(&run, &notebook(findings()));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-api", Category::Deployment));
    }

    #[test]
    fn an_error_naming_the_changed_resource_by_id_is_its_effect_whatever_its_class() {
        let key = "f9ccd6cb-f62b-4c0d-b91f-6a6908e54841";
        let mut wrapped = error_logs("shop-fn", 51, "exception");
        wrapped.excerpt =
            format!("S3Exception: arn:aws:kms:r:1:key/{key} is disabled. (Service: S3, Status Code: 400)");
        let conclusion = conclude(&run(), &notebook(vec![change(key, 50, "permission"), wrapped]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), (key, Category::PermissionChange));
    }

    #[test]
    fn a_denial_by_a_resource_policy_is_not_blamed_on_the_callers_role() {
        let mut role = change("shop-fn-role", 45, "permission");
        role.attrs.insert(attr::EVENT_SOURCE.into(), "iam.amazonaws.com".into());
        let mut bucket = change("shop-table", 40, "permission");
        bucket.attrs.insert(attr::EVENT_SOURCE.into(), "s3.amazonaws.com".into());
        let mut denied = error_logs("shop-fn", 50, "accessDenied");
        denied.excerpt =
            "AccessDenied: User: arn:aws:sts::1:assumed-role/shop-fn-role/x is not authorized to perform: \
            s3:GetObject on resource: arn:aws:s3:::shop-table/k with an explicit deny in a resource-based policy"
                .into();
        let conclusion = conclude(&run(), &notebook(vec![role, bucket, denied]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-table", Category::PermissionChange));
    }

    #[test]
    fn a_setting_does_not_lower_another_resources_limit() {
        let findings = vec![
            change("shop-fn", 45, "configuration"),
            metric("shop-table", "WriteProvisionedThroughputExceeded", 52, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-table", Category::CapacityLimit));
    }

    #[test]
    fn callers_rejected_right_after_an_authorizer_change_on_their_api_blame_the_authorizer() {
        let mut changed = change("shop-authorizer", 45, "permission");
        changed.attrs.insert(attr::EVENT_NAME.into(), "UpdateAuthorizer".into());
        changed.excerpt = "UpdateAuthorizer apiId=a1b2c3d4e5 authorizerId=x9y8z7 identitySource=X-Token".into();
        let rejected = with_text(
            error_logs("a1b2c3d4e5", 46, "accessDenied"),
            "(0f3c) Gateway response type: UNAUTHORIZED with status code: 401",
        );
        let conclusion = conclude(&run(), &notebook(vec![changed.clone(), rejected.clone()]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-authorizer", Category::PermissionChange));

        // A role's policy change does not turn away callers who failed to authenticate.
        changed.attrs.insert(attr::EVENT_NAME.into(), "PutRolePolicy".into());
        let conclusion = conclude(&run(), &notebook(vec![changed, rejected]));
        assert_ne!(conclusion.hypotheses[0].component, "shop-authorizer");
    }

    #[test]
    fn a_database_busier_before_its_capacity_was_capped_was_meeting_demand_and_a_deploy_after_it_slowed_is_late() {
        let mut run = run();
        run.architecture.push_str(" shop-fn stores orders in the Aurora Serverless cluster shop-aurora.");
        let mut busy = metric("shop-aurora", "CPUUtilization", 41, "trendUp", None);
        busy.score = 0.7;
        let capped = vec![
            change("shop-aurora", 45, "capacity"),
            busy,
            metric("shop-aurora", "CommitLatency", 47, "trendUp", None),
        ];
        let timed_out = with_text(
            error_logs("shop-fn", 54, "exception"),
            "OperationalError: maximum statement execution time exceeded",
        );
        let conclusion = conclude(&run, &notebook(capped.clone()));
        assert_eq!(conclusion.hypotheses[0].component, "shop-aurora", "{:?}", conclusion.hypotheses);
        assert_eq!(conclusion.status, Status::RootCauseIdentified, "{:?}", conclusion.hypotheses);

        // The function's new errors came 13 minutes after its database began to strain: its deploy is not the start.
        let mut findings = capped;
        findings.extend([change("shop-fn", 40, "deployment"), timed_out]);
        let conclusion = conclude(&run, &notebook(findings));
        let [top, second, ..] = conclusion.hypotheses.as_slice() else { panic!("{:?}", conclusion.hypotheses) };
        assert_eq!((top.component.as_str(), second.component.as_str()), ("shop-aurora", "shop-fn"));
        assert!(top.confidence > second.confidence, "{:?}", conclusion.hypotheses);
    }

    #[test]
    fn a_deploy_followed_at_once_by_its_cache_filling_with_connections_is_what_filled_it() {
        let mut run = run();
        run.architecture.push_str(" shop-fn caches carts in the Redis cluster shop-cache.");
        let findings = vec![
            change("ledger-sync", 30, "deployment"),
            change("shop-fn", 50, "deployment"),
            metric("shop-cache", "CurrConnections", 51, "trendUp", None),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-fn", Category::Deployment), "{top:?}");
    }

    #[test]
    fn of_two_keys_disabled_minutes_apart_the_one_whose_calls_were_then_refused_broke_the_service() {
        let disabled = |id: &str, minute: i64| call(id, minute, "permission", "DisableKey");
        let mut used = disabled("1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d", 48);
        used.attrs.insert(attr::REFUSED_AT.to_string(), crate::contract::format_time(&at(48)));
        let findings = vec![
            disabled("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", 46),
            used,
            with_text(error_logs("shop-fn", 49, "accessDenied"), "DecryptionFailure: can't decrypt the secret"),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        assert_eq!(
            conclusion.hypotheses[0].component, "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
            "{:?}",
            conclusion.hypotheses
        );
        assert!(conclusion.hypotheses[0].confidence > conclusion.hypotheses[1].confidence);
    }

    #[test]
    fn errors_from_the_moment_a_table_was_deleted_are_the_deletion_not_a_deploy_twenty_minutes_before() {
        let mut run = run();
        run.architecture.push_str(" shop-fn reads settings from the table shop-settings.");
        let findings = vec![
            change("shop-fn", 30, "deployment"),
            call("shop-settings", 50, "configuration", "DeleteTable"),
            with_text(error_logs("shop-fn", 50, "notFound"), "ResourceNotFoundException: Requested resource not found"),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        let [top, second, ..] = conclusion.hypotheses.as_slice() else { panic!("{:?}", conclusion.hypotheses) };
        assert_eq!((top.component.as_str(), second.component.as_str()), ("shop-settings", "shop-fn"));
    }

    #[test]
    fn new_warnings_after_a_deploy_with_nothing_broken_are_log_noise_but_not_next_to_new_errors() {
        let warning = |minute: i64| {
            let mut line = with_text(error_logs("shop-fn", minute, ""), "WARN otel: semconv attribute is deprecated");
            line.attrs.insert(attr::LEVEL.to_string(), "WARN".to_string());
            line
        };
        let mut on_warnings = run();
        if let Some(alarm) = on_warnings.alarm.as_mut() {
            alarm.name = "shop-fn-warn-lines".into();
            alarm.metrics[0].namespace = "Custom/Logs".into();
            alarm.metrics[0].metric_name = "WarnCount".into();
        }
        let findings = vec![change("shop-fn", 50, "deployment"), warning(51), warning(52)];
        let conclusion = conclude(&on_warnings, &notebook(findings.clone()));
        assert_eq!(conclusion.status, Status::Healthy, "{:?}", conclusion.hypotheses);
        assert!(conclusion.summary.contains("2 new warning pattern(s)"), "{}", conclusion.summary);

        // An alarm on errors saw more than the warnings.
        let conclusion = conclude(&run(), &notebook(findings.clone()));
        assert_eq!(conclusion.status, Status::RootCauseIdentified, "{:?}", conclusion.hypotheses);

        let mut broken = findings.clone();
        broken.push(error_logs("shop-fn", 52, "exception"));
        let conclusion = conclude(&on_warnings, &notebook(broken));
        assert_eq!(conclusion.status, Status::RootCauseIdentified, "{:?}", conclusion.hypotheses);

        // Trouble elsewhere (a consumer falling behind) is more than noise, and so is a warning that data is stale.
        let mut behind = findings.clone();
        behind.push(metric("ledger-sync", "MaxOffsetLag", 49, "trendUp", None));
        assert_ne!(conclude(&on_warnings, &notebook(behind)).status, Status::Healthy);
        let stale = with_text(warning(51), "WARN dashboard data is stale (336 s > 300 s)");
        assert_ne!(conclude(&on_warnings, &notebook(vec![stale.clone(), stale])).status, Status::Healthy);
        let lag = with_text(warning(51), "WARN fulfillment lag above 15 minutes");
        assert_ne!(conclude(&on_warnings, &notebook(vec![lag.clone(), lag])).status, Status::Healthy);
        // A change someone made that explains more than the warnings (a queue's messages stopping) is no noise.
        let mut stopped = metric("shop-fn", "NumberOfMessagesSent", 50, "dropToZero", None);
        stopped.score = 0.9;
        let unsubscribed = vec![change("shop-fn", 49, "permission"), stopped, warning(51), warning(52)];
        assert_ne!(conclude(&on_warnings, &notebook(unsubscribed)).status, Status::Healthy);
    }

    #[test]
    fn a_dns_record_changed_for_one_name_does_not_explain_another_name_failing_to_resolve() {
        let record = |name: &str, minute: i64| {
            let mut upsert = call(name, minute, "network", "ChangeResourceRecordSets");
            upsert.excerpt = format!("ChangeResourceRecordSets changeBatch.changes[0].resourceRecordSet.name={name}");
            upsert
        };
        let unresolved = || with_text(error_logs("shop-fn", 51, "dns"), "getaddrinfo ENOTFOUND pricing.shop.private");
        let conclusion = conclude(&run(), &notebook(vec![record("status.shop.example", 50), unresolved()]));
        assert_ne!(conclusion.hypotheses[0].component, "status.shop.example", "{:?}", conclusion.hypotheses);
        let conclusion = conclude(&run(), &notebook(vec![record("pricing.shop.private", 50), unresolved()]));
        assert_eq!(conclusion.hypotheses[0].component, "pricing.shop.private", "{:?}", conclusion.hypotheses);
    }

    #[test]
    fn a_ttl_set_on_a_table_removes_records_its_callers_then_cannot_find() {
        let mut run = run();
        run.architecture.push_str(" shop-fn reads profiles from the table shop-profiles.");
        let findings = vec![
            change("ledger-sync", 38, "deployment"),
            call("shop-profiles", 40, "configuration", "UpdateTimeToLive"),
            with_text(error_logs("shop-fn", 46, "notFound"), "profile not found for user 42"),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-profiles", Category::ConfigurationChange), "{top:?}");
    }

    #[test]
    fn a_hypothesis_cites_each_kind_of_telemetry_that_moved_next_to_it_within_minutes() {
        let findings = vec![
            change("shop-table", 50, "capacity"),
            metric("shop-table", "ThrottledRequests", 51, "levelShiftUp", None),
            with_text(error_logs("shop-fn", 52, "exception"), "ProvisionedThroughputExceededException wrapped"),
            with_text(error_logs("ledger-sync", 52, "exception"), "unrelated job failure"),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!(top.component, "shop-table");
        let cited: Vec<&str> = top.evidence.iter().map(|e| e.reference.as_str()).collect();
        assert!(cited.contains(&"ref-shop-fn-52") && !cited.contains(&"ref-ledger-sync-52"), "{cited:?}");

        // Errors that began long after say nothing about it.
        let findings = vec![
            change("shop-table", 20, "capacity"),
            metric("shop-table", "ThrottledRequests", 21, "levelShiftUp", None),
            with_text(error_logs("shop-fn", 50, "exception"), "unrelated failure"),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = conclusion.hypotheses.iter().find(|h| h.component == "shop-table").expect("a shop-table hypothesis");
        assert!(top.evidence.iter().all(|e| e.source != EvidenceSource::Logs), "{:?}", top.evidence);
    }

    #[test]
    fn failed_executions_rising_after_a_workflow_change_are_its_effect_not_a_false_alarm() {
        let mut run = run();
        run.architecture.push_str(" shop-fn starts the state machine shop-flow.");
        let findings = vec![
            change("shop-flow", 50, "deployment"),
            metric("shop-flow", "ExecutionsFailed", 51, "levelShiftUp", None),
            metric("shop-flow", "ExecutionsSucceeded", 51, "levelShiftDown", None),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        assert_eq!(conclusion.status, Status::RootCauseIdentified);
        assert_eq!(conclusion.hypotheses[0].component, "shop-flow");

        // Messages a subscription's filter now drops are lost to its consumer.
        run.architecture.push_str(" shop-fn publishes to the topic shop-events.");
        let findings = vec![
            change("shop-events", 50, "configuration"),
            metric("shop-events", "NumberOfNotificationsFilteredOut", 51, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        assert_eq!(conclusion.status, Status::RootCauseIdentified);
        assert_eq!(conclusion.hypotheses[0].component, "shop-events");
    }

    #[test]
    fn calls_to_an_outside_host_failing_right_after_its_nat_gateway_was_deleted_blame_the_gateway() {
        let mut deleted = change("nat-0a1b2c3d4e5f67890", 50, "network");
        deleted.attrs.insert(attr::EVENT_NAME.into(), "DeleteNatGateway".into());
        let failing = finding(
            EvidenceSource::Traces,
            FindingKind::TraceAnomaly,
            "shop-fn",
            51,
            1.0,
            &[(attr::ERROR_CLASS, "exception"), (attr::EDGE, "shop-fn -> api.fxdesk.org")],
        );
        let conclusion = conclude(&run_with_remote(), &notebook(vec![deleted.clone(), failing.clone()]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("nat-0a1b2c3d4e5f67890", Category::Network));

        // A security group change is no way out to the internet.
        deleted.attrs.insert(attr::EVENT_NAME.into(), "AuthorizeSecurityGroupIngress".into());
        let conclusion = conclude(&run_with_remote(), &notebook(vec![deleted, failing]));
        assert_ne!(conclusion.hypotheses[0].component, "nat-0a1b2c3d4e5f67890");
    }

    #[test]
    fn a_setting_that_names_the_limit_its_database_clients_hit_explains_them() {
        let mut run = run();
        run.architecture
            .push_str(" shop-fn uses the database shop-db. shop-db uses the parameter group shop-db-params.");
        let mut lowered = change("shop-db-params", 45, "configuration");
        lowered.excerpt = "ModifyDBParameterGroup parameters[0].parameterName=max_connections parameterValue=80".into();
        let refused = with_text(error_logs("shop-fn", 46, "limitExceeded"), "Mysql2::Error: Too many connections");
        let conclusion = conclude(&run, &notebook(vec![lowered.clone(), refused.clone()]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-db-params", Category::ConfigurationChange));

        // A setting that names another limit says nothing about connections refused.
        lowered.excerpt = "ModifyDBParameterGroup parameters[0].parameterName=long_query_time parameterValue=1".into();
        let conclusion = conclude(&run, &notebook(vec![lowered, refused]));
        assert_eq!(conclusion.hypotheses[0].component, "shop-fn");
    }

    #[test]
    fn a_clients_limit_error_naming_one_known_resource_blames_that_resource() {
        let mut run = run();
        run.architecture.push_str(" shop-fn reads images from the bucket shop-media-assets.");
        let slowed = with_text(
            error_logs("shop-fn", 50, "throttling"),
            "get object failed bucket=shop-media-assets err=SlowDown: Please reduce your request rate",
        );
        let conclusion = conclude(&run, &notebook(vec![slowed]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-media-assets", Category::CapacityLimit));
    }

    #[test]
    fn a_generated_log_group_stands_for_the_service_that_writes_it() {
        let mut run = run();
        run.architecture.push_str(
            " The web service ShopStack-ShopWebService468A0A5C-YplhlgbCX3Uj writes to \
             ShopStack-ShopWebTaskDefwebLogGroup73BAC58E-XtItofBdC9H7.",
        );
        let crashed = error_logs("ShopStack-ShopWebTaskDefwebLogGroup73BAC58E-XtItofBdC9H7", 50, "outOfMemory");
        let conclusion = conclude(&run, &notebook(vec![crashed]));
        let top = &conclusion.hypotheses[0];
        assert_eq!(top.component, "ShopStack-ShopWebService468A0A5C-YplhlgbCX3Uj");
    }

    #[test]
    fn a_limit_hit_with_no_change_of_its_own_cites_the_change_just_before_it_on_a_neighbour() {
        let findings = vec![
            change("shop-fn", 40, "deployment"),
            change("ledger-sync", 42, "deployment"),
            metric("shop-table", "ThrottledRequests", 50, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-table", Category::CapacityLimit));
        let cited: Vec<&str> = top.evidence.iter().map(|e| e.reference.as_str()).collect();
        assert!(cited.contains(&"ref-shop-fn-40") && !cited.contains(&"ref-ledger-sync-42"), "{cited:?}");
        assert!(top.statement.contains("nearest change before it"), "{}", top.statement);

        // Half an hour before is too long ago to set the scene.
        let findings = vec![
            change("shop-fn", 10, "deployment"),
            metric("shop-table", "ThrottledRequests", 50, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        assert!(conclusion.hypotheses[0].evidence.iter().all(|e| e.source != EvidenceSource::Audit));
    }

    #[test]
    fn a_change_cites_the_new_lines_its_resource_logs_after_it_even_when_they_are_no_errors() {
        let mut cold_starts = finding(
            EvidenceSource::Logs,
            FindingKind::NewLogPattern,
            "shop-fn",
            47,
            0.07,
            &[(attr::LEVEL, ""), (attr::COUNT_BEFORE, "0"), (attr::COUNT_AFTER, "19")],
        );
        cold_starts.excerpt = "REPORT RequestId: 1 Duration: 3.1 ms Init Duration: 4200.5 ms".into();
        let findings = vec![
            change("shop-fn", 45, "capacity"),
            cold_starts,
            metric("shop-fn", "Duration", 47, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!(top.component, "shop-fn");
        assert!(top.evidence.iter().any(|e| e.reference == "ref-shop-fn-47" && e.source == EvidenceSource::Logs));
    }

    #[test]
    fn a_deploy_whose_service_relays_its_providers_unavailability_does_not_own_it() {
        let unavailable = with_text(
            error_logs("shop-fn", 50, "unavailable"),
            "rate quote failed HTTPError: 503 Server Error: Service Unavailable for url: https://api.fxdesk.org/v1",
        );
        let mut access_log = error_logs("shop-fn", 50, "");
        access_log.excerpt = "10.0.0.1 - - \"POST /quotes HTTP/1.1\" 503 1294".into();
        let findings = vec![change("shop-fn", 30, "deployment"), unavailable, access_log];
        let conclusion = conclude(&run_with_remote(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("api.fxdesk.org", Category::DependencyFailure));
    }

    #[test]
    fn a_change_on_one_caller_does_not_explain_a_failure_its_untouched_peers_share() {
        let mut run = run();
        run.architecture.push_str(" shop-fn posts payments to the ledger at https://ledger.internal.example.");
        let mut changed = change("ledger-sync", 40, "configuration");
        changed.excerpt = "UpdateFunctionConfiguration LEDGER_URL=https://ledger.internal.example TIMEOUT=30".into();
        let text = "ledger call failed: x509: certificate has expired (https://ledger.internal.example/transfer)";
        let findings = vec![
            changed,
            with_text(error_logs("shop-fn", 50, "tls"), text),
            with_text(error_logs("ledger-sync", 51, "tls"), text),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("ledger.internal.example", Category::Network));
    }

    #[test]
    fn a_changed_resources_own_activity_stopping_at_the_change_is_its_effect() {
        let mut run = run();
        run.alarm = None;
        run.trigger =
            Trigger { kind: TriggerKind::Slack, alarm_name: None, description: Some("no orders fulfilled".into()) };
        let findings = vec![
            call("shop-rule", 50, "configuration", "DisableRule"),
            metric("shop-rule", "Invocations", 50, "dropToZero", None),
            metric("ledger-sync", "Duration", 20, "spike", Some(22)),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-rule", Category::ConfigurationChange));
        assert!(top.evidence.iter().any(|e| e.source == EvidenceSource::Metrics), "{:?}", top.evidence);
    }

    #[test]
    fn a_stack_update_yields_to_the_change_it_made_that_explains_the_symptoms() {
        let mut stack = call("shop-stack", 45, "deployment", "ExecuteChangeSet");
        stack.attrs.insert(attr::EVENT_SOURCE.into(), "cloudformation.amazonaws.com".into());
        let mut setting = call("shop-fn", 46, "configuration", "UpdateFunctionConfiguration");
        setting.attrs.insert(attr::ACTOR.into(), "cdk-cfn-exec-role/AWSCloudFormation".into());
        let failing = strong(with_text(error_logs("shop-fn", 47, "exception"), "Runtime.ImportModuleError"));
        let findings = vec![stack, setting, failing, metric("shop-api", "5XXError", 47, "levelShiftUp", None)];
        let top = &conclude(&run(), &notebook(findings)).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-fn", Category::ConfigurationChange));
    }

    #[test]
    fn a_deploy_yields_to_a_cache_that_ran_out_of_memory_before_its_effects_began() {
        let mut run = run();
        run.architecture.push_str(
            " The admin UI shop-admin edits what shop-fn serves. shop-fn caches it in the Redis cache shop-cache.",
        );
        let mut memory = metric("shop-cache", "DatabaseMemoryUsagePercentage", 44, "levelShiftUp", None);
        memory.score = 0.7;
        let findings = vec![
            change("shop-admin", 22, "deployment"),
            memory,
            metric("shop-cache", "Evictions", 45, "trendUp", None),
            strong(with_text(error_logs("shop-fn", 50, "timeout"), "canceling statement due to statement timeout")),
            strong(with_text(error_logs("shop-fn", 51, "outOfMemory"), "OOM command not allowed when used memory")),
        ];
        let top = &conclude(&run, &notebook(findings)).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-cache", Category::ResourceExhaustion));
        // The table behind the cache throttling on the misses that followed is the cache's effect too.
        let findings = vec![
            metric("shop-cache", "Evictions", 45, "trendUp", None),
            strong(metric("shop-table", "ReadThrottleEvents", 49, "trendUp", None)),
            strong(with_text(
                error_logs("shop-fn", 50, "throttling"),
                "BatchGetItem on shop-table: ProvisionedThroughputExceededException",
            )),
        ];
        let top = &conclude(&run, &notebook(findings)).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-cache", Category::ResourceExhaustion));
    }

    #[test]
    fn a_function_let_loose_crowds_others_out_of_the_accounts_concurrency() {
        let lambda_metric = |component: &str, name: &str, minute: i64| rising_in("AWS/Lambda", component, name, minute);
        let findings = vec![
            call("shop-fn", 10, "configuration", "UpdateFunctionConfiguration"),
            call("reindex-fn", 45, "configuration", "UpdateEventSourceMapping"),
            lambda_metric("reindex-fn", "Invocations", 45),
            lambda_metric("reindex-fn", "Throttles", 47),
            lambda_metric("shop-fn", "Throttles", 48),
            strong(with_text(error_logs("shop-fn", 48, "throttling"), "TooManyRequestsException: Rate Exceeded.")),
            metric("shop-api", "5XXError", 48, "levelShiftUp", None),
        ];
        let top = &conclude(&run(), &notebook(findings)).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("reindex-fn", Category::CapacityLimit));
    }

    #[test]
    fn work_waiting_ever_longer_is_a_symptom() {
        let waiting = metric("receipts-pipeline", "OldestPendingAgeSeconds", 50, "trendUp", None);
        let conclusion = conclude(&run(), &notebook(vec![waiting]));
        assert_ne!(conclusion.status, Status::Healthy);
        assert_eq!(conclusion.hypotheses[0].component, "receipts-pipeline");
    }

    #[test]
    fn a_consumer_stopping_when_what_feeds_it_changed_is_that_changes_effect() {
        let mut run = run();
        run.alarm = None;
        let said = "no new scans showing up in the portal since 10:48, uploads still work";
        run.trigger = Trigger { kind: TriggerKind::Slack, alarm_name: None, description: Some(said.into()) };
        run.architecture.push_str(
            " shop-fn writes scans to the S3 bucket shop-inbound. The bucket's event notification invokes shop-ocr.",
        );
        let findings = vec![
            call("shop-inbound", 47, "configuration", "PutBucketNotificationConfiguration"),
            metric("shop-ocr", "Invocations", 48, "dropToZero", None),
            metric("ledger-sync", "Duration", 20, "spike", Some(22)),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        assert_ne!(conclusion.status, Status::Healthy);
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-inbound", Category::ConfigurationChange));
    }

    #[test]
    fn callers_failing_from_the_minute_a_resource_known_by_id_hit_its_limit_blame_that_resource() {
        let mut ports = metric("nat-0a1b2c3d4e5f67890", "ErrorPortAllocation", 50, "levelShiftUp", None);
        ports.score = 0.8;
        let timeouts =
            strong(with_text(error_logs("shop-fn", 50, "timeout"), "POST https://api.fxdesk.org: ETIMEDOUT"));
        let failed = strong(with_text(error_logs("shop-fn", 50, "timeout"), "fxdesk quote failed: connect ETIMEDOUT"));
        let edge = strong(finding(
            EvidenceSource::Traces,
            FindingKind::TraceAnomaly,
            "api.fxdesk.org",
            50,
            1.0,
            &[
                (attr::ERROR_CLASS, "timeout"),
                (attr::EDGE, "shop-fn -> api.fxdesk.org"),
                (attr::FAULT_ORIGIN, "remote"),
            ],
        ));
        let findings = vec![ports, timeouts, failed, edge, metric("shop-api", "5XXError", 51, "levelShiftUp", None)];
        let conclusion = conclude(&run_with_remote(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("nat-0a1b2c3d4e5f67890", Category::CapacityLimit));

        // A burst credit balance that ran out counts from the minute it was first read as zero, give or take the
        // minutes between readings.
        let mut credits = metric("vol-0a1b2c3d4e5f67890", "BurstBalance", 10, "levelShiftDown", None);
        credits.attrs.insert(attr::PEAK.into(), "0".into());
        credits.attrs.insert(attr::PEAK_AT.into(), crate::contract::format_time(&at(53)));
        let findings = vec![
            credits,
            strong(error_logs("shop-fn", 50, "timeout")),
            strong(error_logs("shop-fn", 50, "connection")),
            metric("shop-api", "5XXError", 51, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        assert_eq!(conclusion.hypotheses[0].component, "vol-0a1b2c3d4e5f67890");
    }

    #[test]
    fn a_clients_throttling_from_the_minutes_its_table_began_refusing_is_the_tables_limit() {
        let refused = metric("shop-table", "WriteThrottleEvents", 50, "levelShiftUp", None);
        let throttled = with_text(
            error_logs("shop-fn", 50, "throttling"),
            "ProvisionedThroughputExceededException: check if you have a hot key: https://docs.aws.amazon.com/x",
        );
        let conclusion = conclude(&run(), &notebook(vec![refused, throttled]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-table", Category::CapacityLimit));
        assert!(top.evidence.iter().any(|e| e.source == EvidenceSource::Logs), "{:?}", top.evidence);
        let blamed: Vec<&str> = conclusion.hypotheses.iter().map(|h| h.component.as_str()).collect();
        assert!(!blamed.contains(&"shop-fn") && !blamed.iter().any(|c| c.contains("amazon.com")), "{blamed:?}");
    }

    #[test]
    fn a_setting_that_sizes_the_pool_its_clients_ran_out_of_explains_them_though_they_name_the_database() {
        let mut run = run();
        run.architecture.push_str(" shop-fn reads its settings under /shop/prod/ and uses the database shop-db.");
        let mut lowered = change("/shop/prod/DB_POOL_MAX", 45, "configuration");
        lowered.excerpt = "PutParameter name=/shop/prod/DB_POOL_MAX overwrite=true".into();
        let exhausted = with_text(
            error_logs("shop-fn", 47, "limitExceeded"),
            "HikariPool-2 - Connection is not available, request timed out after 30000ms \
             (jdbc:postgresql://shop-db.c9x.eu-west-1.rds.amazonaws.com:5432/shop)",
        );
        let conclusion = conclude(&run, &notebook(vec![lowered, exhausted]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("/shop/prod/DB_POOL_MAX", Category::ConfigurationChange));
    }

    #[test]
    fn a_clients_limit_error_naming_a_resource_by_its_endpoint_blames_that_resource() {
        let mut run = run();
        run.architecture.push_str(" shop-fn indexes orders into the OpenSearch domain shop-search.");
        let mut rejected = error_logs("shop-fn", 50, "limitExceeded");
        rejected.attrs.insert(attr::HOSTS.into(), "vpc-shop-search-3kq7x2m4.eu-west-1.es.amazonaws.com".into());
        let conclusion = conclude(&run, &notebook(vec![rejected]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-search", Category::CapacityLimit));
    }

    #[test]
    fn a_metric_shift_dated_a_datapoint_before_a_change_on_its_resource_is_still_its_effect() {
        let mut run = run();
        run.architecture.push_str(" shop-fn publishes orders to the topic shop-topic.");
        let mut changed = call("shop-topic", 50, "configuration", "SetSubscriptionAttributes");
        changed.time = Some(at(50) + Duration::seconds(30));
        let filtered = metric("shop-topic", "NumberOfNotificationsFilteredOut", 49, "levelShiftUp", None);
        let conclusion = conclude(&run, &notebook(vec![changed, filtered]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-topic", Category::ConfigurationChange));
        assert!(top.evidence.iter().any(|e| e.source == EvidenceSource::Metrics), "{:?}", top.evidence);
    }

    #[test]
    fn a_neighbours_slow_signals_join_a_limit_dated_by_the_resources_own_first_signal() {
        let findings = vec![
            metric("shop-table", "SuccessfulRequestLatency", 20, "trendUp", None),
            metric("shop-fn", "Duration", 22, "trendUp", None),
            metric("shop-table", "ThrottledRequests", 50, "levelShiftUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-table", Category::CapacityLimit));
        assert!(conclusion.hypotheses.iter().all(|h| h.component != "shop-fn"), "{:?}", conclusion.hypotheses);
    }

    #[test]
    fn work_a_server_turned_away_is_a_limit_it_hit() {
        let mut run = run();
        run.architecture.push_str(" shop-fn indexes orders into the OpenSearch domain shop-search.");
        let findings = vec![metric("shop-search", "ThreadpoolWriteRejected", 50, "levelShiftUp", None)];
        let conclusion = conclude(&run, &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-search", Category::CapacityLimit));
    }

    #[test]
    fn a_vpc_endpoint_policy_narrowed_refuses_the_calls_through_it() {
        let narrowed = call("vpce-0a1b2c3d4e5f67890", 50, "permission", "ModifyVpcEndpoint");
        let denied = with_text(
            error_logs("shop-fn", 51, "accessDenied"),
            "AccessDenied: User: arn:aws:sts::1:assumed-role/shop-fn-role is not authorized to perform: s3:GetObject",
        );
        let findings = vec![change("shop-fn", 20, "deployment"), narrowed, denied];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("vpce-0a1b2c3d4e5f67890", Category::PermissionChange));
    }

    #[test]
    fn a_deploy_does_not_explain_a_remote_name_that_stopped_resolving() {
        let unresolved =
            with_text(error_logs("shop-fn", 50, "dns"), "fxdesk call failed: getaddrinfo ENOTFOUND api.fxdesk.org");
        let conclusion = conclude(&run_with_remote(), &notebook(vec![change("shop-fn", 40, "deployment"), unresolved]));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("api.fxdesk.org", Category::Network));
    }

    #[test]
    fn a_client_out_of_connections_after_its_database_slowed_is_waiting_on_the_database() {
        let mut run = run();
        run.architecture.push_str(" shop-fn keeps orders in the database shop-db.");
        let text = "HikariPool-1 - Connection is not available, request timed out after 30000ms";
        let findings = vec![
            metric("shop-db", "DBLoadNonCPU", 46, "trendUp", None),
            strong(with_text(error_logs("shop-fn", 52, "limitExceeded"), text)),
            strong(with_text(error_logs("shop-fn", 52, "limitExceeded"), text)),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-db", Category::ResourceExhaustion));
    }

    #[test]
    fn a_client_timing_out_on_no_named_remote_after_its_database_slowed_waits_on_the_database() {
        let mut run = run();
        run.architecture.push_str(" shop-fn keeps orders in the database shop-db.");
        let text = "KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full.";
        let findings = vec![
            metric("shop-db", "DBLoadNonCPU", 46, "levelShiftUp", None),
            strong(with_text(error_logs("shop-fn", 52, "timeout"), text)),
            strong(with_text(error_logs("shop-fn", 52, "timeout"), text)),
        ];
        let conclusion = conclude(&run, &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-db", Category::ResourceExhaustion));
    }

    #[test]
    fn an_account_quota_refusing_a_client_is_the_services_limit_not_a_setting_on_the_client() {
        let refused = |minute: i64| {
            strong(with_text(error_logs("shop-fn", minute, "throttling"), "Throttling: Maximum sending rate exceeded."))
        };
        let findings = vec![change("shop-fn", 44, "configuration"), refused(50), refused(51)];
        let top = &conclude(&run(), &notebook(findings)).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("SES", Category::CapacityLimit));
    }

    #[test]
    fn new_code_refused_by_a_quota_from_its_first_minutes_calls_more_than_before() {
        let text = "ThrottlingException: You have exceeded the rate at which you may call KMS.";
        let findings =
            vec![change("shop-fn", 48, "deployment"), strong(with_text(error_logs("shop-fn", 50, "throttling"), text))];
        let top = &conclude(&run(), &notebook(findings.clone())).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-fn", Category::Deployment));
        // Refused only long after the deploy: the quota's own limit.
        let mut later = findings;
        later[0].time = Some(at(20));
        let top = &conclude(&run(), &notebook(later)).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("KMS", Category::CapacityLimit));
    }

    #[test]
    fn an_account_number_in_a_request_names_nothing_the_symptoms_share() {
        let mut push = change("infra/otel-collector", 48, "deployment");
        push.excerpt = "PutImage repositoryName=infra/otel-collector registryId=123456789012".into();
        let text = "NoSuchKey fetching object function_arn=arn:aws:lambda:us-east-1:123456789012:function:ocr-fn";
        let missing = strong(with_text(error_logs("ocr-fn", 50, "notFound"), text));
        let conclusion = conclude(&run(), &notebook(vec![push, missing]));
        assert_ne!(conclusion.hypotheses[0].component, "infra/otel-collector", "{:?}", conclusion.hypotheses);
    }

    #[test]
    fn a_workflow_step_over_a_limit_right_after_its_function_was_deployed_is_the_deploys() {
        let text = "TaskFailed States.DataLimitExceeded The state/task 'NormalizeFeed' returned a result with a size \
            exceeding the maximum number of bytes service limit.";
        let findings = vec![
            change("normalize-feed", 48, "deployment"),
            strong(with_text(error_logs("product-import", 50, "limitExceeded"), text)),
        ];
        let top = &conclude(&run(), &notebook(findings)).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("normalize-feed", Category::Deployment));
    }

    #[test]
    fn requests_failing_the_moment_a_listener_rule_changed_were_sent_elsewhere_by_it() {
        let mut run = run();
        run.architecture.push_str(" The load balancer shop-alb forwards /orders to shop-fn.");
        let mut rule = call("shop-alb", 50, "network", "ModifyRule");
        rule.attrs.insert(attr::EVENT_SOURCE.into(), "elasticloadbalancing.amazonaws.com".into());
        let missing = strong(with_text(error_logs("shop-fn", 50, "notFound"), "route not found: GET /orders/17"));
        let findings = vec![change("shop-fn", 28, "deployment"), rule, missing];
        let top = &conclude(&run, &notebook(findings)).hypotheses[0];
        assert_eq!(top.component, "shop-alb");
    }

    #[test]
    fn a_disk_full_on_one_host_is_that_hosts() {
        let mut full =
            strong(with_text(error_logs("app", 50, "diskFull"), "OSError: [Errno 28] No space left on device"));
        full.attrs.insert(attr::LOG_STREAM.into(), "i-0d8cf983098c02dac".into());
        let top = &conclude(&run(), &notebook(vec![full.clone()])).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("i-0d8cf983098c02dac", Category::ResourceExhaustion));
        // A setting changed minutes before does not fill a disk.
        let setting = change("app", 47, "configuration");
        let top = &conclude(&run(), &notebook(vec![setting, full.clone()])).hypotheses[0];
        assert_eq!(top.category, Category::ResourceExhaustion, "{top:?}");
        // A service's own "no space left" joins the host whose agent logs the same for its container.
        let mut agent = strong(with_text(
            error_logs("ecs-agent", 50, "diskFull"),
            "Unable to write container log container=tile-renderer: no space left on device",
        ));
        agent.attrs.insert(attr::LOG_STREAM.into(), "i-0d8cf983098c02dac".into());
        let service = strong(with_text(error_logs("tile-renderer", 50, "diskFull"), "ENOSPC: no space left on device"));
        let conclusion = conclude(&run(), &notebook(vec![agent, service]));
        assert_eq!(conclusion.hypotheses[0].component, "i-0d8cf983098c02dac");
        assert_eq!(conclusion.hypotheses.len(), 1, "{:?}", conclusion.hypotheses);
        // Lines from several hosts' streams say no one host.
        full.attrs.insert(attr::LOG_STREAM.into(), "i-0d8cf983098c02dac, i-0b1a21147a0a58a2a".into());
        assert_eq!(conclude(&run(), &notebook(vec![full])).hypotheses[0].component, "app");
    }

    #[test]
    fn a_deploy_whose_first_failures_name_a_role_changed_before_it_yields_to_that_change() {
        let mut run = run();
        run.architecture.push_str(" The service shop-svc runs its tasks with the role shop-task-role.");
        let refused = strong(with_text(
            error_logs("shop-svc", 51, "accessDenied"),
            "ECS was unable to assume the role 'arn:aws:iam::1:role/shop-task-role' that was provided for this task.",
        ));
        // The tasks left behind wear out: their pool runs dry, requests time out.
        let worn_out = vec![
            strong(error_logs("shop-svc", 52, "timeout")),
            strong(error_logs("shop-svc", 52, "limitExceeded")),
            metric("shop-svc", "CPUUtilization", 51, "levelShiftUp", None),
        ];
        let findings = [
            vec![change("shop-task-role", 42, "permission"), change("shop-svc", 50, "deployment"), refused.clone()],
            worn_out.clone(),
        ]
        .concat();
        let top = &conclude(&run, &notebook(findings)).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-task-role", Category::PermissionChange));
        // Refusals that name no changed resource leave the deploy its failures.
        let refused = with_text(refused, "ECS was unable to pull secrets or registry auth");
        let findings =
            [vec![change("shop-task-role", 42, "permission"), change("shop-svc", 50, "deployment"), refused], worn_out]
                .concat();
        let top = &conclude(&run, &notebook(findings)).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-svc", Category::Deployment));
    }

    #[test]
    fn a_401_in_an_access_log_is_callers_refused_not_the_servers_credential() {
        let mut unauthorized = strong(with_text(error_logs("shop-api", 50, "accessDenied"), "status=401 Unauthorized"));
        unauthorized.attrs.insert(attr::LOG_GROUP.into(), "/aws/apigateway/shop-api-access".into());
        let failing = strong(with_text(error_logs("shop-api", 50, "exception"), "Internal server error"));
        let categories = |unauthorized: &Finding| {
            let conclusion = conclude(&run(), &notebook(vec![unauthorized.clone(), failing.clone()]));
            conclusion.hypotheses.iter().map(|h| h.category).collect::<Vec<_>>()
        };
        assert!(!categories(&unauthorized).contains(&Category::CredentialExpiry), "{:?}", categories(&unauthorized));
        // Nor does it lend its class to the server's own errors.
        assert!(categories(&unauthorized).contains(&Category::CodeDefect), "{:?}", categories(&unauthorized));
        // The server's own log of a 401 is its credential refused.
        unauthorized.attrs.insert(attr::LOG_GROUP.into(), "/aws/lambda/shop-api".into());
        assert_eq!(categories(&unauthorized)[0], Category::CredentialExpiry);
    }

    #[test]
    fn signatures_refused_as_expired_on_one_host_are_its_clock() {
        let text =
            "An error occurred (InvalidSignatureException) when calling the PutItem operation: Signature expired";
        let mut skewed = strong(with_text(error_logs("app", 50, "clockSkew"), text));
        skewed.attrs.insert(attr::LOG_STREAM.into(), "i-0d8cf983098c02dac".into());
        // A secret rotated minutes before is no clock moved.
        let findings = vec![change("shop/api-key", 47, "credential"), change("app", 46, "deployment"), skewed];
        let top = &conclude(&run(), &notebook(findings)).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("i-0d8cf983098c02dac", Category::InfrastructureFailure));
    }

    #[test]
    fn a_host_that_shut_down_under_a_short_burst_failed() {
        let burst = metric("shop-api", "5XXError", 50, "spike", Some(52));
        let mut shutdown =
            strong(with_text(error_logs("syslog", 50, "restart"), "systemd-logind[612]: Powering Off..."));
        shutdown.attrs.insert(attr::LOG_STREAM.into(), "i-0d8cf983098c02dac".into());
        shutdown.attrs.insert(attr::ENDED_AT.into(), crate::contract::format_time(&at(50)));
        assert_eq!(conclude(&run(), &notebook(vec![burst.clone()])).status, Status::Healthy);
        let conclusion = conclude(&run(), &notebook(vec![burst, shutdown]));
        assert_ne!(conclusion.status, Status::Healthy);
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("i-0d8cf983098c02dac", Category::InfrastructureFailure));
    }

    #[test]
    fn an_api_refusing_its_callers_in_its_access_log_hit_its_own_limit() {
        let text = "status=429 error=Too Many Requests userAgent=tradelane-sync/2.1 (+https://tradelane.example/bot)";
        let mut refused = strong(with_text(error_logs("shop-api", 50, "throttling"), text));
        refused.attrs.insert(attr::LOG_GROUP.into(), "/aws/apigateway/shop-api-access".into());
        let top = &conclude(&run(), &notebook(vec![refused.clone()])).hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-api", Category::CapacityLimit));
        // A client's own log of a provider's 429s blames the provider.
        refused.attrs.insert(attr::LOG_GROUP.into(), "/aws/lambda/shop-api".into());
        assert_eq!(conclude(&run(), &notebook(vec![refused])).hypotheses[0].component, "tradelane.example");
    }

    #[test]
    fn replicas_falling_behind_wear_out_their_cluster() {
        let findings = vec![
            metric("shop-db-reader-1", "AuroraReplicaLag", 46, "trendUp", None),
            metric("shop-db-reader-2", "AuroraReplicaLag", 46, "trendUp", None),
        ];
        let conclusion = conclude(&run(), &notebook(findings));
        let top = &conclusion.hypotheses[0];
        assert_eq!((top.component.as_str(), top.category), ("shop-db", Category::ResourceExhaustion));
    }

    #[test]
    fn a_canary_failing_on_a_third_partys_script_alone_is_the_probes_trouble() {
        let canary = |host: &str| {
            let text = format!("Navigation timeout of 30000 ms exceeded waiting for https://{host}/tag.js");
            let mut finding = with_text(error_logs("cwsyn-shop-home-5f0c", 50, "timeout"), &text);
            finding.attrs.insert(attr::HOSTS.into(), host.into());
            finding
        };
        let mut success = metric("shop-home", "SuccessPercent", 50, "dropToZero", None);
        success.attrs.insert(attr::NAMESPACE.into(), "CloudWatchSynthetics".into());
        let mut run = run();
        run.architecture.push_str(" Customers reach the shop at www.shop.example.");
        let third_party = conclude(&run, &notebook(vec![canary("cdn.tagvendor.example"), success.clone()]));
        assert_eq!(third_party.status, Status::Healthy, "{:?}", third_party.hypotheses);
        assert!(third_party.summary.contains("cdn.tagvendor.example"), "{}", third_party.summary);
        // The shop's own host failing, or real users failing too, is the system's trouble.
        let own = conclude(&run, &notebook(vec![canary("static.shop.example"), success.clone()]));
        assert_ne!(own.status, Status::Healthy);
        let users_too =
            vec![canary("cdn.tagvendor.example"), success, metric("shop-api", "5XXError", 50, "levelShiftUp", None)];
        assert_ne!(conclude(&run, &notebook(users_too)).status, Status::Healthy);
    }

    #[test]
    fn errors_that_rose_no_faster_than_requests_are_the_same_error_rate_not_a_fault() {
        let moved = |name: &str, before: &str, after: &str| {
            let mut finding = metric("shop-api", name, 50, "levelShiftUp", None);
            finding.attrs.insert(attr::BASELINE.into(), before.into());
            finding.attrs.insert(attr::NEW_LEVEL.into(), after.into());
            finding
        };
        let findings =
            vec![change("shop-api", 40, "configuration"), moved("Count", "500", "2000"), moved("5XXError", "2", "8")];
        let conclusion = conclude(&run(), &notebook(findings.clone()));
        assert_ne!(conclusion.status, Status::RootCauseIdentified, "{:?}", conclusion.hypotheses);

        // Errors rising far faster than requests are a failure, and so is an error rate rising at all.
        let mut faster = findings.clone();
        faster[2].attrs.insert(attr::NEW_LEVEL.into(), "80".into());
        assert_eq!(conclude(&run(), &notebook(faster)).status, Status::RootCauseIdentified);
        let mut rate = findings;
        rate[2].attrs.insert(attr::METRIC_NAME.into(), "5xxErrorRate".into());
        assert_eq!(conclude(&run(), &notebook(rate)).status, Status::RootCauseIdentified);
    }
}
