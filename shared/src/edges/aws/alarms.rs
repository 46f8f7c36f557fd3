//! CloudWatch `DescribeAlarms`: rebuilds the EventBridge "CloudWatch Alarm State Change" event of an alarm's
//! current state, so `fa2 capture --alarm NAME` records the input the alarm would have started the analysis with.

use aws_sdk_cloudwatch::types::{AlarmType, CompositeAlarm, Dimension, MetricAlarm, MetricDataQuery};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::sdk_error;
use crate::error::{Fa2Error, Result};

/// The event EventBridge delivers for the alarm's last state change (`previousState` is not kept by the alarm
/// and is left out). `region` and `account` default to the ones in the alarm's ARN when empty.
pub async fn alarm_event(
    client: &aws_sdk_cloudwatch::Client,
    name: &str,
    region: &str,
    account: &str,
) -> Result<Value> {
    let described = client
        .describe_alarms()
        .alarm_names(name)
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .map_err(|e| sdk_error("CloudWatch DescribeAlarms", e))?;
    let alarm = if let Some(alarm) = described.metric_alarms().iter().find(|a| a.alarm_name() == Some(name)) {
        metric_alarm(alarm)
    } else if let Some(alarm) = described.composite_alarms().iter().find(|a| a.alarm_name() == Some(name)) {
        composite_alarm(alarm)
    } else {
        let place = if region.is_empty() { String::new() } else { format!(" in {region}") };
        return Err(Fa2Error::invalid(format!(
            "there is no CloudWatch alarm named {name:?}{place} (names are case-sensitive; list them with \
             `aws cloudwatch describe-alarms`)"
        )));
    };
    event(name, alarm, region, account)
}

/// What the event needs of either kind of alarm.
struct AlarmState<'a> {
    arn: Option<&'a str>,
    state_value: Option<&'a str>,
    reason: Option<&'a str>,
    reason_data: Option<&'a str>,
    updated: Option<&'a aws_smithy_types::DateTime>,
    configuration: Map<String, Value>,
}

fn metric_alarm(alarm: &MetricAlarm) -> AlarmState<'_> {
    let mut configuration = Map::new();
    if let Some(description) = alarm.alarm_description() {
        configuration.insert("description".into(), description.into());
    }
    let metrics: Vec<Value> = if alarm.metrics().is_empty() {
        let stat = alarm.extended_statistic().or(alarm.statistic().map(|s| s.as_str())).unwrap_or_default();
        vec![json!({
            "id": "m1",
            "metricStat": {
                "metric": metric(alarm.namespace(), alarm.metric_name(), alarm.dimensions()),
                "period": alarm.period(),
                "stat": stat,
            },
            "returnData": true,
        })]
    } else {
        alarm.metrics().iter().map(metric_query).collect()
    };
    configuration.insert("metrics".into(), metrics.into());
    AlarmState {
        arn: alarm.alarm_arn(),
        state_value: alarm.state_value().map(|s| s.as_str()),
        reason: alarm.state_reason(),
        reason_data: alarm.state_reason_data(),
        updated: alarm.state_updated_timestamp(),
        configuration,
    }
}

fn composite_alarm(alarm: &CompositeAlarm) -> AlarmState<'_> {
    let mut configuration = Map::new();
    if let Some(rule) = alarm.alarm_rule() {
        configuration.insert("alarmRule".into(), rule.into());
    }
    if let Some(description) = alarm.alarm_description() {
        configuration.insert("description".into(), description.into());
    }
    AlarmState {
        arn: alarm.alarm_arn(),
        state_value: alarm.state_value().map(|s| s.as_str()),
        reason: alarm.state_reason(),
        reason_data: alarm.state_reason_data(),
        updated: alarm.state_updated_timestamp(),
        configuration,
    }
}

/// One `Metrics[]` entry of a metric-math alarm, as the event's `configuration.metrics[]` spells it.
fn metric_query(query: &MetricDataQuery) -> Value {
    let mut entry = Map::new();
    entry.insert("id".into(), query.id().unwrap_or_default().into());
    if let Some(expression) = query.expression() {
        entry.insert("expression".into(), expression.into());
    }
    if let Some(label) = query.label() {
        entry.insert("label".into(), label.into());
    }
    if let Some(stat) = query.metric_stat() {
        let inner = stat.metric();
        entry.insert(
            "metricStat".into(),
            json!({
                "metric": metric(
                    inner.and_then(|m| m.namespace()),
                    inner.and_then(|m| m.metric_name()),
                    inner.map_or(&[][..], |m| m.dimensions()),
                ),
                "period": stat.period(),
                "stat": stat.stat().unwrap_or_default(),
            }),
        );
    }
    if let Some(period) = query.period() {
        entry.insert("period".into(), period.into());
    }
    entry.insert("returnData".into(), query.return_data().unwrap_or(true).into());
    Value::Object(entry)
}

fn metric(namespace: Option<&str>, name: Option<&str>, dimensions: &[Dimension]) -> Value {
    let dimensions: Map<String, Value> = dimensions
        .iter()
        .filter_map(|d| Some((d.name()?.to_string(), Value::from(d.value().unwrap_or_default()))))
        .collect();
    json!({"namespace": namespace.unwrap_or_default(), "name": name.unwrap_or_default(), "dimensions": dimensions})
}

fn event(name: &str, alarm: AlarmState<'_>, region: &str, account: &str) -> Result<Value> {
    let updated = alarm
        .updated
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()))
        .ok_or_else(|| Fa2Error::Upstream(format!("CloudWatch alarm {name:?} has no StateUpdatedTimestamp")))?;
    // arn:aws:cloudwatch:<region>:<account>:alarm:<name>
    let arn_parts: Vec<&str> = alarm.arn.unwrap_or_default().split(':').collect();
    let from_arn = |index: usize, given: &str| {
        if given.is_empty() { arn_parts.get(index).copied().unwrap_or_default().to_string() } else { given.to_string() }
    };
    let (region, account) = (from_arn(3, region), from_arn(4, account));
    let arn = alarm.arn.map_or_else(|| format!("arn:aws:cloudwatch:{region}:{account}:alarm:{name}"), str::to_string);
    let mut state = Map::new();
    state.insert("value".into(), alarm.state_value.unwrap_or("ALARM").into());
    state.insert("reason".into(), alarm.reason.unwrap_or_default().into());
    if let Some(data) = alarm.reason_data {
        state.insert("reasonData".into(), data.into());
    }
    // CloudWatch's own spelling, `2026-02-16T14:40:26.214+0000`.
    state.insert("timestamp".into(), updated.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string().into());
    Ok(json!({
        "version": "0",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": account,
        "time": updated.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": region,
        "resources": [arn],
        "detail": {
            "alarmName": name,
            "state": state,
            "configuration": alarm.configuration,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatch::Client;
    use aws_sdk_cloudwatch::operation::describe_alarms::{DescribeAlarmsError, DescribeAlarmsOutput};
    use aws_sdk_cloudwatch::types::{Metric, MetricStat, StateValue, Statistic};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use crate::config::Config;
    use crate::contract::TriggerKind;
    use crate::domain::input::parse_input;

    const ARN: &str = "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-api-5xx";

    fn dimension(name: &str, value: &str) -> Dimension {
        Dimension::builder().name(name).value(value).build()
    }

    fn single_metric_alarm() -> MetricAlarm {
        MetricAlarm::builder()
            .alarm_name("orders-api-5xx")
            .alarm_arn(ARN)
            .alarm_description("5xx of orders-api")
            .state_value(StateValue::Alarm)
            .state_reason("Threshold Crossed: 1 datapoint [7.0] was greater than the threshold (2.5).")
            .state_reason_data(r#"{"threshold":2.5}"#)
            .state_updated_timestamp(aws_smithy_types::DateTime::from_millis(1_785_254_990_651))
            .namespace("AWS/ApiGateway")
            .metric_name("5XXError")
            .dimensions(dimension("ApiName", "orders-api"))
            .dimensions(dimension("Stage", "prod"))
            .statistic(Statistic::Sum)
            .period(60)
            .build()
    }

    async fn event_of(output: DescribeAlarmsOutput, name: &str) -> Result<Value> {
        let rule = mock!(Client::describe_alarms)
            .match_requests(|request| request.alarm_names().len() == 1)
            .then_output(move || output.clone());
        let client = mock_client!(aws_sdk_cloudwatch, RuleMode::Sequential, &[&rule]);
        alarm_event(&client, name, "", "").await
    }

    #[tokio::test]
    async fn a_metric_alarm_becomes_the_event_prepare_accepts() {
        let output = DescribeAlarmsOutput::builder().metric_alarms(single_metric_alarm()).build();
        let event = event_of(output, "orders-api-5xx").await.unwrap();
        assert_eq!(event["source"], "aws.cloudwatch");
        assert_eq!(event["detail-type"], "CloudWatch Alarm State Change");
        assert_eq!((event["region"].as_str(), event["account"].as_str()), (Some("eu-west-1"), Some("111122223333")));
        assert_eq!(event["resources"][0], ARN);
        let detail = &event["detail"];
        assert_eq!(detail["state"]["value"], "ALARM");
        assert_eq!(detail["state"]["timestamp"], "2026-07-28T16:09:50.651+0000");
        assert_eq!(detail["state"]["reasonData"], r#"{"threshold":2.5}"#);
        let stat = &detail["configuration"]["metrics"][0]["metricStat"];
        assert_eq!(stat["metric"]["dimensions"]["ApiName"], "orders-api");
        assert_eq!((stat["stat"].as_str(), stat["period"].as_i64()), (Some("Sum"), Some(60)));

        let now = "2026-08-01T00:00:00Z".parse().unwrap();
        let parsed = parse_input(&event, &Config::default(), now).unwrap();
        assert_eq!(parsed.trigger.kind, TriggerKind::Alarm);
        let alarm = parsed.alarm.unwrap();
        assert_eq!(alarm.threshold, Some(2.5));
        assert_eq!(alarm.description, "5xx of orders-api");
        assert_eq!(alarm.metrics[0].metric_name, "5XXError");
    }

    #[tokio::test]
    async fn metric_math_keeps_the_expression_and_every_metric() {
        let metric = Metric::builder()
            .namespace("AWS/Lambda")
            .metric_name("Errors")
            .dimensions(dimension("FunctionName", "f"))
            .build();
        let alarm = MetricAlarm::builder()
            .alarm_name("error-rate")
            .state_value(StateValue::Alarm)
            .state_updated_timestamp(aws_smithy_types::DateTime::from_secs(1_785_254_990))
            .metrics(
                MetricDataQuery::builder().id("e1").expression("100 * m1 / m2").label("rate").return_data(true).build(),
            )
            .metrics(
                MetricDataQuery::builder()
                    .id("m1")
                    .metric_stat(MetricStat::builder().metric(metric).period(300).stat("p99").build())
                    .return_data(false)
                    .build(),
            )
            .build();
        let output = DescribeAlarmsOutput::builder().metric_alarms(alarm).build();
        let event = event_of(output, "error-rate").await.unwrap();
        let metrics = event["detail"]["configuration"]["metrics"].as_array().unwrap();
        assert_eq!(metrics[0]["expression"], "100 * m1 / m2");
        assert_eq!(metrics[0]["returnData"], true);
        assert_eq!(metrics[1]["metricStat"]["stat"], "p99");
        assert_eq!(metrics[1]["metricStat"]["metric"]["dimensions"]["FunctionName"], "f");
        assert_eq!(metrics[1]["returnData"], false);
        // No ARN came back: the rebuilt one uses the given (here empty) region and account.
        assert_eq!(event["resources"][0], "arn:aws:cloudwatch:::alarm:error-rate");
    }

    #[tokio::test]
    async fn a_composite_alarm_carries_its_rule() {
        let alarm = CompositeAlarm::builder()
            .alarm_name("checkout-degraded")
            .alarm_rule("ALARM(a) OR ALARM(b)")
            .state_value(StateValue::Alarm)
            .state_updated_timestamp(aws_smithy_types::DateTime::from_secs(1_785_254_990))
            .build();
        let output = DescribeAlarmsOutput::builder().composite_alarms(alarm).build();
        let event = event_of(output, "checkout-degraded").await.unwrap();
        assert_eq!(event["detail"]["configuration"]["alarmRule"], "ALARM(a) OR ALARM(b)");
        assert!(event["detail"]["configuration"].get("metrics").is_none());
    }

    #[tokio::test]
    async fn an_unknown_alarm_is_named_in_an_input_error() {
        let error = event_of(DescribeAlarmsOutput::builder().build(), "no-such-alarm").await.unwrap_err();
        assert!(matches!(error, Fa2Error::InvalidInput(_)), "{error:?}");
        assert!(error.to_string().contains("\"no-such-alarm\""), "{error}");
    }

    #[tokio::test]
    async fn access_denied_says_which_call_needs_permission() {
        let rule = mock!(Client::describe_alarms).then_error(|| {
            DescribeAlarmsError::generic(
                aws_smithy_types::error::ErrorMetadata::builder().code("AccessDenied").message("no").build(),
            )
        });
        let client = mock_client!(aws_sdk_cloudwatch, RuleMode::Sequential, &[&rule]);
        let error = alarm_event(&client, "x", "us-east-1", "1").await.unwrap_err();
        assert!(matches!(error, Fa2Error::Upstream(_)), "{error:?}");
        assert!(error.to_string().contains("CloudWatch DescribeAlarms"), "{error}");
    }
}
