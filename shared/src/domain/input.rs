//! Normalises the three execution input shapes (EventBridge alarm event, Slack form submission, replay) into one
//! `ParsedInput`, or says exactly what is wrong with the input.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use crate::config::{Config, json_type, parse_cycles};
use crate::contract::{AlarmSummary, Language, MetricRef, SlackThread, Trigger, TriggerKind, Window};
use crate::error::{Fa2Error, Result};

/// Minutes added after the alarm's state change so the window covers the moment it fired.
pub const ALARM_MARGIN_MINUTES: i64 = 5;
/// How far in the future an alarm's state time may lie before the event is refused (clock skew).
const CLOCK_SKEW_MINUTES: i64 = 5;

/// What the input says, whatever its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedInput {
    pub trigger: Trigger,
    pub window: Window,
    pub noticed_at: DateTime<Utc>,
    pub alarm: Option<AlarmSummary>,
    pub slack: Option<SlackThread>,
    pub overrides: Overrides,
}

/// Per-run overrides of the deployment settings (replay and the CLI).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub max_agent_cycles: Option<u32>,
    pub language: Option<Language>,
    pub model_id: Option<String>,
}

const EXPECTED: &str = "expected an EventBridge \"CloudWatch Alarm State Change\" event (source aws.cloudwatch), \
a Slack form submission (source fa2.slack), or one of those replayed with \"overrides\"";

/// Parses an execution input. `now` bounds windows that would lie in the future.
pub fn parse_input(raw: &Value, config: &Config, now: DateTime<Utc>) -> Result<ParsedInput> {
    let object = raw
        .as_object()
        .ok_or_else(|| Fa2Error::invalid(format!("the execution input is {}; {EXPECTED}", json_type(raw))))?;
    let overrides = parse_overrides(object.get("overrides"))?;
    let replayed = object.contains_key("overrides") || object.contains_key("replayOf");
    let source = object.get("source").and_then(Value::as_str).unwrap_or_default();
    let mut parsed = match source {
        "aws.cloudwatch" => parse_alarm_event(object, config, now)?,
        "fa2.slack" => parse_slack_form(object, config, now)?,
        "" => return Err(Fa2Error::invalid(format!("the execution input has no \"source\"; {EXPECTED}"))),
        other => return Err(Fa2Error::invalid(format!("the execution input has source {other:?}; {EXPECTED}"))),
    };
    if replayed {
        parsed.trigger.kind = TriggerKind::Replay;
    }
    parsed.overrides = overrides;
    Ok(parsed)
}

fn parse_overrides(value: Option<&Value>) -> Result<Overrides> {
    let Some(value) = value else { return Ok(Overrides::default()) };
    let object = value
        .as_object()
        .ok_or_else(|| Fa2Error::invalid(format!("\"overrides\" must be an object, found {}", json_type(value))))?;
    let mut overrides = Overrides::default();
    for (key, value) in object {
        match key.as_str() {
            "maxAgentCycles" => {
                let text = match value {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.clone(),
                    other => json_type(other).to_string(),
                };
                overrides.max_agent_cycles = Some(parse_cycles("overrides.maxAgentCycles", &text)?);
            }
            "language" => {
                let text = value.as_str().unwrap_or_default();
                overrides.language = Some(Language::parse(text).ok_or_else(|| {
                    Fa2Error::invalid(format!("overrides.language must be \"en\" or \"ja\", found {value}"))
                })?);
            }
            "modelId" => {
                overrides.model_id = Some(
                    value
                        .as_str()
                        .filter(|s| !s.trim().is_empty())
                        .ok_or_else(|| Fa2Error::invalid("overrides.modelId must be a non-empty string"))?
                        .to_string(),
                );
            }
            other => {
                return Err(Fa2Error::invalid(format!(
                    "overrides.{other} is not a known override (maxAgentCycles, language, modelId)"
                )));
            }
        }
    }
    Ok(overrides)
}

fn parse_alarm_event(event: &Map<String, Value>, config: &Config, now: DateTime<Utc>) -> Result<ParsedInput> {
    let detail_type = event.get("detail-type").and_then(Value::as_str).unwrap_or_default();
    if detail_type != "CloudWatch Alarm State Change" {
        return Err(Fa2Error::invalid(format!(
            "an aws.cloudwatch event must have detail-type \"CloudWatch Alarm State Change\", found {detail_type:?}"
        )));
    }
    let detail = event
        .get("detail")
        .and_then(Value::as_object)
        .ok_or_else(|| Fa2Error::invalid("the alarm event has no \"detail\" object"))?;
    let alarm = parse_alarm_detail(detail, "detail")?;
    let state = alarm.state_time;
    if state > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
        return Err(Fa2Error::invalid(format!(
            "the alarm's state time {state} is in the future (now is {now}): the event's clock is wrong or it was \
             edited; replay it with a state time in the past"
        )));
    }
    let end = (state + Duration::minutes(ALARM_MARGIN_MINUTES)).min(now.max(state));
    let start = state - Duration::minutes(i64::from(config.lookback_minutes));
    Ok(ParsedInput {
        trigger: Trigger { kind: TriggerKind::Alarm, alarm_name: Some(alarm.name.clone()), description: None },
        window: Window { start, end },
        noticed_at: state,
        alarm: Some(alarm),
        slack: None,
        overrides: Overrides::default(),
    })
}

/// The latest time an input states (an alarm's state change, a form's end), whatever its shape, if it has one.
pub fn stated_time(raw: &Value) -> Option<DateTime<Utc>> {
    let state = raw.pointer("/detail/state/timestamp").and_then(Value::as_str);
    let end = raw.get("endTime").and_then(Value::as_str);
    [state, end].into_iter().flatten().filter_map(parse_time).max()
}

/// Reads an alarm's `detail` (from an event, or embedded in a Slack form): name, state, metrics.
fn parse_alarm_detail(detail: &Map<String, Value>, path: &str) -> Result<AlarmSummary> {
    let name = detail
        .get("alarmName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fa2Error::invalid(format!("{path}.alarmName is missing or not a string")))?;
    let state = detail
        .get("state")
        .and_then(Value::as_object)
        .ok_or_else(|| Fa2Error::invalid(format!("{path}.state is missing or not an object")))?;
    let timestamp = state
        .get("timestamp")
        .and_then(Value::as_str)
        .ok_or_else(|| Fa2Error::invalid(format!("{path}.state.timestamp is missing or not a string")))?;
    let state_time = parse_time(timestamp)
        .ok_or_else(|| Fa2Error::invalid(format!("{path}.state.timestamp {timestamp:?} is not a timestamp")))?;
    let reason = state.get("reason").and_then(Value::as_str).unwrap_or_default().to_string();
    let threshold = state
        .get("reasonData")
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|data| data.get("threshold").and_then(Value::as_f64));
    let configuration = detail.get("configuration");
    let description =
        configuration.and_then(|c| c.get("description")).and_then(Value::as_str).unwrap_or_default().to_string();
    let metrics = configuration
        .and_then(|c| c.get("metrics"))
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(metric_stat).collect())
        .unwrap_or_default();
    Ok(AlarmSummary { name: name.to_string(), description, reason, state_time, threshold, metrics })
}

/// One `configuration.metrics[]` entry's `metricStat`, if it has one (metric math expressions do not).
fn metric_stat(entry: &Value) -> Option<MetricRef> {
    let stat = entry.get("metricStat")?;
    let metric = stat.get("metric")?;
    Some(MetricRef {
        namespace: metric.get("namespace")?.as_str()?.to_string(),
        metric_name: metric.get("name")?.as_str()?.to_string(),
        dimensions: metric
            .get("dimensions")
            .and_then(Value::as_object)
            .map(|d| d.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
            .unwrap_or_default(),
        stat: stat.get("stat").and_then(Value::as_str).map(String::from),
        period: stat.get("period").and_then(Value::as_u64).and_then(|p| u32::try_from(p).ok()),
    })
}

fn parse_slack_form(form: &Map<String, Value>, config: &Config, now: DateTime<Utc>) -> Result<ParsedInput> {
    let time = |key: &str| -> Result<DateTime<Utc>> {
        let text = form.get(key).and_then(Value::as_str).ok_or_else(|| {
            Fa2Error::invalid(format!("the Slack form submission needs \"{key}\" (an ISO 8601 UTC time)"))
        })?;
        parse_time(text).ok_or_else(|| Fa2Error::invalid(format!("\"{key}\" {text:?} is not an ISO 8601 time")))
    };
    let start = time("startTime")?;
    let end = time("endTime")?;
    if start >= end {
        return Err(Fa2Error::invalid(format!("startTime {start} must be before endTime {end}")));
    }
    if start > now {
        return Err(Fa2Error::invalid(format!("startTime {start} is in the future (now is {now})")));
    }
    let longest = config.max_window_hours;
    if end - start > Duration::hours(i64::from(longest)) {
        return Err(Fa2Error::invalid(format!(
            "the window {start} .. {end} is longer than {longest} hours (FA2_MAX_WINDOW_HOURS); choose a shorter one"
        )));
    }
    let description = form.get("description").and_then(Value::as_str).map(str::trim).unwrap_or_default();
    let alarm = match form.get("alarm") {
        None | Some(Value::Null) => None,
        Some(Value::Object(alarm)) => {
            let detail = alarm.get("detail").and_then(Value::as_object).unwrap_or(alarm);
            Some(parse_alarm_detail(detail, "alarm")?)
        }
        Some(other) => {
            return Err(Fa2Error::invalid(format!("\"alarm\" must be an object, found {}", json_type(other))));
        }
    };
    let slack = match form.get("slack") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            serde_json::from_value::<SlackThread>(value.clone())
                .map_err(|e| Fa2Error::invalid(format!("\"slack\" must be {{channel, threadTs, user}}: {e}")))?,
        ),
    };
    Ok(ParsedInput {
        trigger: Trigger {
            kind: TriggerKind::Slack,
            alarm_name: alarm.as_ref().map(|a| a.name.clone()),
            description: Some(description.to_string()).filter(|d| !d.is_empty()),
        },
        window: Window { start, end: end.min(now) },
        noticed_at: end.min(now),
        alarm,
        slack,
        overrides: Overrides::default(),
    })
}

/// Parses the timestamp forms AWS and Slack use: RFC 3339, and CloudWatch's `2026-02-16T14:40:26.214+0000`.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    if let Ok(time) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(time.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        parse_time("2026-11-27T00:00:00Z").unwrap()
    }

    fn alarm_event() -> Value {
        json!({
            "source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change",
            "detail": {
                "alarmName": "api-5xx",
                "state": {"value": "ALARM", "reason": "Threshold Crossed", "timestamp": "2026-02-16T14:40:26.214+0000",
                          "reasonData": "{\"threshold\":2.0}"},
                "configuration": {"description": "errors", "metrics": [
                    {"id": "m1", "metricStat": {"metric": {"namespace": "AWS/ApiGateway", "name": "5XXError",
                        "dimensions": {"ApiName": "a"}}, "period": 60, "stat": "Sum"}, "returnData": false},
                    {"id": "e1", "expression": "m1 * 2", "returnData": true}]}
            }
        })
    }

    fn check_rejects(input: Value, expected: &str) {
        let error = parse_input(&input, &Config::default(), now()).unwrap_err();
        assert!(matches!(error, Fa2Error::InvalidInput(_)), "{error:?}");
        assert!(error.to_string().contains(expected), "{error} should contain {expected:?}");
    }

    #[test]
    fn the_longest_window_is_the_deployment_setting() {
        let form =
            json!({"source": "fa2.slack", "startTime": "2026-11-20T00:00:00Z", "endTime": "2026-11-20T06:00:00Z"});
        let strict = Config { max_window_hours: 4, lookback_minutes: 60, ..Config::default() };
        let error = parse_input(&form, &strict, now()).unwrap_err();
        assert!(error.to_string().contains("longer than 4 hours (FA2_MAX_WINDOW_HOURS)"), "{error}");
        assert!(parse_input(&form, &Config::default(), now()).is_ok(), "6 hours is within the default 24");
    }

    #[test]
    fn alarm_event_gives_a_lookback_window_ending_after_the_state_change() {
        let parsed = parse_input(&alarm_event(), &Config::default(), now()).unwrap();
        assert_eq!(parsed.trigger.kind, TriggerKind::Alarm);
        assert_eq!(parsed.trigger.alarm_name.as_deref(), Some("api-5xx"));
        let noticed = parse_time("2026-02-16T14:40:26.214Z").unwrap();
        assert_eq!(parsed.noticed_at, noticed);
        assert_eq!(parsed.window.end, noticed + Duration::minutes(5));
        assert_eq!(parsed.window.start, noticed - Duration::minutes(60));
        let alarm = parsed.alarm.unwrap();
        assert_eq!(alarm.threshold, Some(2.0));
        assert_eq!(alarm.metrics.len(), 1, "the math expression has no metricStat");
        assert_eq!(alarm.metrics[0].metric_name, "5XXError");
    }

    #[test]
    fn slack_form_uses_the_operators_window_and_thread() {
        let form = json!({"source": "fa2.slack", "description": " 500s since 08:55 ",
            "startTime": "2026-07-10T08:05:00Z", "endTime": "2026-07-10T09:05:00Z",
            "slack": {"channel": "C1", "threadTs": "1.2", "user": "U1"}});
        let parsed = parse_input(&form, &Config::default(), now()).unwrap();
        assert_eq!(parsed.trigger.kind, TriggerKind::Slack);
        assert_eq!(parsed.trigger.description.as_deref(), Some("500s since 08:55"));
        assert_eq!(parsed.window.end, parse_time("2026-07-10T09:05:00Z").unwrap());
        assert_eq!(parsed.slack.unwrap().channel, "C1");
    }

    #[test]
    fn replay_overrides_apply_and_mark_the_trigger() {
        let mut input = alarm_event();
        input["overrides"] = json!({"maxAgentCycles": 3, "language": "ja", "modelId": "m"});
        let parsed = parse_input(&input, &Config::default(), now()).unwrap();
        assert_eq!(parsed.trigger.kind, TriggerKind::Replay);
        assert_eq!(parsed.overrides.max_agent_cycles, Some(3));
        assert_eq!(parsed.overrides.language, Some(Language::Ja));
    }

    #[test]
    fn anything_else_is_rejected_naming_what_is_wrong() {
        check_rejects(json!([1, 2]), "the execution input is an array");
        check_rejects(json!({"hello": 1}), "has no \"source\"");
        check_rejects(json!({"source": "aws.ec2"}), "source \"aws.ec2\"");
        check_rejects(json!({"source": "aws.cloudwatch", "detail-type": "x"}), "detail-type");
        check_rejects(
            json!({"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change",
            "detail": {"state": {}}}),
            "detail.alarmName",
        );
        check_rejects(json!({"source": "fa2.slack", "endTime": "2026-07-10T09:05:00Z"}), "\"startTime\"");
        check_rejects(
            json!({"source": "fa2.slack", "startTime": "2026-07-10T10:00:00Z",
            "endTime": "2026-07-10T09:00:00Z"}),
            "must be before endTime",
        );
        check_rejects(
            json!({"source": "fa2.slack", "startTime": "2026-07-01T10:00:00Z",
            "endTime": "2026-07-10T09:00:00Z"}),
            "longer than 24 hours",
        );
        check_rejects(
            json!({"source": "fa2.slack", "startTime": "2027-07-01T10:00:00Z",
            "endTime": "2027-07-01T11:00:00Z"}),
            "in the future",
        );
        let mut future_alarm = alarm_event();
        future_alarm["detail"]["state"]["timestamp"] = json!("2026-11-27T00:30:00.000+0000");
        check_rejects(future_alarm, "is in the future");
        let mut input = alarm_event();
        input["overrides"] = json!({"maxAgentCycles": 0});
        check_rejects(input.clone(), "overrides.maxAgentCycles");
        input["overrides"] = json!({"colour": "red"});
        check_rejects(input, "overrides.colour is not a known override");
    }
}
