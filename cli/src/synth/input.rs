//! input.json: a CloudWatch alarm state-change event whose threshold and datapoints come from the simulated
//! metrics (so the alarm really fires when the data says it would), or an operator's Slack form.

use serde_json::{Value, json};

use super::clock;
use super::metrics::{Metrics, Stat};
use super::model::{ApiKind, NamingStyle, System, Workload};
use super::naming::camel;
use super::random::{SimRng, chance, digits, pick, range_i64, uniform, upper_alnum, upper_hex, uuid};
use super::scenario::{Plan, Signal, TriggerSpec};

/// The execution input and what started it (`alarm` or `slack`).
#[derive(Debug, Clone)]
pub struct Input {
    pub json: Value,
    pub kind: &'static str,
}

/// Metric coordinates of a signal on a workload.
struct Coordinates {
    namespace: &'static str,
    name: &'static str,
    dimensions: Vec<(&'static str, String)>,
    stat: Stat,
    what: String,
}

fn coordinates(signal: Signal, workload: &Workload) -> Option<Coordinates> {
    let api_dims = |api: &super::model::Api| match api.kind {
        ApiKind::Rest => vec![("ApiName", api.name.clone()), ("Stage", api.stage.clone())],
        ApiKind::Http => vec![("ApiId", api.id.clone()), ("Stage", api.stage.clone())],
    };
    let function = || vec![("FunctionName", workload.name().to_string())];
    Some(match signal {
        Signal::ApiServerErrors => {
            let api = workload.api()?;
            let name = if api.kind == ApiKind::Rest { "5XXError" } else { "5xx" };
            Coordinates {
                namespace: "AWS/ApiGateway",
                name,
                dimensions: api_dims(api),
                stat: Stat::Sum,
                what: format!("Server errors returned by the {} API ({}).", api.name, api.stage),
            }
        }
        Signal::ApiRequests => {
            let api = workload.api()?;
            Coordinates {
                namespace: "AWS/ApiGateway",
                name: "Count",
                dimensions: api_dims(api),
                stat: Stat::Sum,
                what: format!("Unusual request volume on the {} API.", api.name),
            }
        }
        Signal::LatencyP99 => match (workload.api(), workload.alb()) {
            (Some(api), _) => Coordinates {
                namespace: "AWS/ApiGateway",
                name: "Latency",
                dimensions: api_dims(api),
                stat: Stat::P99,
                what: format!("p99 latency of the {} API.", api.name),
            },
            (None, Some(alb)) => Coordinates {
                namespace: "AWS/ApplicationELB",
                name: "TargetResponseTime",
                dimensions: vec![("LoadBalancer", alb.dimension.clone())],
                stat: Stat::P99,
                what: format!("p99 target response time of {}.", alb.name),
            },
            _ => return None,
        },
        Signal::LambdaErrors => Coordinates {
            namespace: "AWS/Lambda",
            name: "Errors",
            dimensions: function(),
            stat: Stat::Sum,
            what: format!("Errors of the Lambda function {}.", workload.name()),
        },
        Signal::LambdaThrottles => Coordinates {
            namespace: "AWS/Lambda",
            name: "Throttles",
            dimensions: function(),
            stat: Stat::Sum,
            what: format!("Throttled invocations of {}.", workload.name()),
        },
        Signal::AlbTarget5xx | Signal::AlbElb5xx => {
            let alb = workload.alb()?;
            let name =
                if signal == Signal::AlbTarget5xx { "HTTPCode_Target_5XX_Count" } else { "HTTPCode_ELB_5XX_Count" };
            Coordinates {
                namespace: "AWS/ApplicationELB",
                name,
                dimensions: vec![("LoadBalancer", alb.dimension.clone())],
                stat: Stat::Sum,
                what: format!("5XX responses on {}.", alb.name),
            }
        }
        Signal::EcsMemory => {
            let service = workload.compute.ecs()?;
            Coordinates {
                namespace: "AWS/ECS",
                name: "MemoryUtilization",
                dimensions: vec![("ClusterName", service.cluster.clone()), ("ServiceName", service.service.clone())],
                stat: Stat::Maximum,
                what: format!("Memory utilization of the {} service.", service.service),
            }
        }
        Signal::QueueAge | Signal::DlqVisible => {
            let queue = workload.queue()?;
            if signal == Signal::QueueAge {
                Coordinates {
                    namespace: "AWS/SQS",
                    name: "ApproximateAgeOfOldestMessage",
                    dimensions: vec![("QueueName", queue.queue.clone())],
                    stat: Stat::Maximum,
                    what: format!("Age of the oldest message in {}.", queue.queue),
                }
            } else {
                Coordinates {
                    namespace: "AWS/SQS",
                    name: "ApproximateNumberOfMessagesVisible",
                    dimensions: vec![("QueueName", queue.dlq.clone())],
                    stat: Stat::Maximum,
                    what: format!("Messages in the dead-letter queue {}.", queue.dlq),
                }
            }
        }
        Signal::CacheEvictions => {
            let cache = workload.deps.iter().find_map(|dep| match dep {
                super::model::Dep::Cache(cache) => Some(cache),
                _ => None,
            })?;
            Coordinates {
                namespace: "AWS/ElastiCache",
                name: "Evictions",
                dimensions: vec![("CacheClusterId", cache.primary.clone())],
                stat: Stat::Sum,
                what: format!("Keys evicted from the ElastiCache node {}.", cache.primary),
            }
        }
        Signal::DbCpu => {
            let (_, db) = workload.database()?;
            Coordinates {
                namespace: "AWS/RDS",
                name: "CPUUtilization",
                dimensions: vec![("DBInstanceIdentifier", db.id.clone())],
                stat: Stat::Average,
                what: format!("CPU utilization of the RDS instance {}.", db.id),
            }
        }
        Signal::EcsCpu => {
            let service = workload.compute.ecs()?;
            Coordinates {
                namespace: "AWS/ECS",
                name: "CPUUtilization",
                dimensions: vec![("ClusterName", service.cluster.clone()), ("ServiceName", service.service.clone())],
                stat: Stat::Average,
                what: format!("CPU utilization of the {} service.", service.service),
            }
        }
        Signal::AlbUnhealthyHosts => {
            let alb = workload.alb()?;
            Coordinates {
                namespace: "AWS/ApplicationELB",
                name: "UnHealthyHostCount",
                dimensions: vec![("TargetGroup", alb.target_group.clone()), ("LoadBalancer", alb.dimension.clone())],
                stat: Stat::Maximum,
                what: format!("Unhealthy targets behind {}.", alb.name),
            }
        }
        Signal::KinesisWriteThrottles | Signal::StreamIteratorAge => {
            let stream = workload.deps.iter().find_map(|dep| match dep {
                super::model::Dep::Stream(stream) => Some(stream),
                _ => None,
            })?;
            if signal == Signal::KinesisWriteThrottles {
                Coordinates {
                    namespace: "AWS/Kinesis",
                    name: "WriteProvisionedThroughputExceeded",
                    dimensions: vec![("StreamName", stream.name.clone())],
                    stat: Stat::Sum,
                    what: format!("Records Kinesis rejected on {} (write throughput exceeded).", stream.name),
                }
            } else {
                Coordinates {
                    namespace: "AWS/Kinesis",
                    name: "GetRecords.IteratorAgeMilliseconds",
                    dimensions: vec![("StreamName", stream.name.clone())],
                    stat: Stat::Maximum,
                    what: format!("How far the consumers of {} are behind.", stream.name),
                }
            }
        }
    })
}

fn alarm_name(rng: &mut SimRng, system: &System, workload: &Workload, signal: Signal) -> String {
    let suffix = match signal {
        Signal::ApiServerErrors | Signal::AlbTarget5xx | Signal::AlbElb5xx => "5xx",
        Signal::ApiRequests => "request-count",
        Signal::LatencyP99 => "p99-latency",
        Signal::LambdaErrors => "errors",
        Signal::LambdaThrottles => "throttles",
        Signal::EcsMemory => "memory-high",
        Signal::QueueAge => "oldest-message-age",
        Signal::DlqVisible => "dlq-not-empty",
        Signal::CacheEvictions => "cache-evictions",
        Signal::DbCpu => "db-cpu-high",
        Signal::EcsCpu => "cpu-high",
        Signal::AlbUnhealthyHosts => "unhealthy-hosts",
        Signal::KinesisWriteThrottles => "kinesis-write-throttled",
        Signal::StreamIteratorAge => "stream-iterator-age",
    };
    let plural = workload.domain.plural;
    match &system.namer.style {
        NamingStyle::Cdk => format!(
            "{}Stack-{}Alarm{}-{}",
            workload.domain.title(),
            camel(suffix),
            upper_hex(rng, 8),
            upper_alnum(rng, 12)
        ),
        NamingStyle::EnvPrefix(env) => format!("{env}-{plural}-{suffix}"),
        _ => {
            if chance(rng, 0.4) {
                format!("[{}] {plural} {}", pick(rng, &["P1", "P2", "P3"]), suffix.replace('-', " "))
            } else {
                format!("{}-{suffix}", workload.name().to_lowercase())
            }
        }
    }
}

/// A "nice" threshold strictly above `floor` and at most `ceiling`.
fn nice_threshold(rng: &mut SimRng, floor: f64, ceiling: f64) -> f64 {
    let raw = floor + (ceiling - floor) * uniform(rng, 0.3, 0.75);
    let step = if ceiling - floor >= 50.0 {
        10.0
    } else if ceiling - floor >= 5.0 {
        1.0
    } else {
        0.5
    };
    let rounded = (raw / step).round() * step;
    if rounded > floor && rounded <= ceiling { rounded } else { ((floor + ceiling) / 2.0 * 100.0).round() / 100.0 }
}

/// Evaluates an M-of-N alarm over the simulated series; `None` when the data never crosses a sensible threshold.
fn evaluate(
    rng: &mut SimRng,
    points: &[(i64, f64, u32)],
    onset_ms: i64,
    last_ms: i64,
    m: usize,
    n: usize,
) -> Option<(f64, usize)> {
    // Onsets are planned; the first symptoms can show a few minutes earlier (a burst allowance drains, a cut lands).
    let onset_minute = (onset_ms - 6 * 60_000).div_euclid(60_000) * 60_000;
    let baseline = points.iter().filter(|p| p.0 < onset_minute).map(|p| p.1).fold(0.0, f64::max);
    let post: Vec<usize> =
        (0..points.len()).filter(|i| points[*i].0 >= onset_minute && points[*i].0 <= last_ms).collect();
    // Best achievable threshold: the m-th largest value of any window of n consecutive minutes.
    let window_value = |end: usize| -> Option<f64> {
        let end_ts = points[end].0;
        let mut values: Vec<f64> =
            points.iter().filter(|p| p.0 > end_ts - n as i64 * 60_000 && p.0 <= end_ts).map(|p| p.1).collect();
        values.sort_by(|a, b| b.total_cmp(a));
        values.get(m - 1).copied()
    };
    let best = post.iter().filter_map(|&i| window_value(i)).fold(f64::MIN, f64::max);
    if best <= baseline || best <= 0.0 {
        return None;
    }
    let threshold = nice_threshold(rng, baseline, best);
    let fired = post.iter().copied().find(|&i| window_value(i).is_some_and(|v| v >= threshold))?;
    Some((threshold, fired))
}

fn value_text(value: f64) -> String {
    let text = format!("{value:?}");
    if text.contains('.') || text.contains('e') { text } else { format!("{text}.0") }
}

pub fn build(rng: &mut SimRng, plan: &Plan, metrics: &Metrics) -> Input {
    if let TriggerSpec::Alarm { workload, signals, datapoints } = &plan.trigger {
        for signal in signals {
            if let Some(input) = alarm(rng, plan, metrics, *workload, *signal, *datapoints) {
                return input;
            }
        }
    }
    let workload = match plan.trigger {
        TriggerSpec::Alarm { workload, .. } | TriggerSpec::Slack { workload, .. } => workload,
    };
    let symptom = match &plan.trigger {
        TriggerSpec::Slack { symptom, .. } => symptom.clone(),
        TriggerSpec::Alarm { .. } => "{thing} looks unhealthy since about {time}, can someone check?".to_string(),
    };
    slack(rng, plan, workload, &symptom)
}

fn alarm(
    rng: &mut SimRng,
    plan: &Plan,
    metrics: &Metrics,
    index: usize,
    signal: Signal,
    (m, n): (usize, usize),
) -> Option<Input> {
    let system = &plan.system;
    let workload = system.workloads.get(index)?;
    let coordinates = coordinates(signal, workload)?;
    let dims: Vec<(&str, &str)> = coordinates.dimensions.iter().map(|(d, v)| (*d, v.as_str())).collect();
    let id = metrics.find(coordinates.namespace, coordinates.name, &dims, coordinates.stat)?;
    let points = metrics.datapoints(id);
    let last_ms = plan.start_ms + (plan.minutes as i64 - 4) * 60_000;
    let (threshold, fired, m, n) = match evaluate(rng, &points, plan.onset_ms, last_ms, m, n) {
        Some((threshold, fired)) => (threshold, fired, m, n),
        None => {
            let (threshold, fired) = evaluate(rng, &points, plan.onset_ms, last_ms, 1, 1)?;
            (threshold, fired, 1, 1)
        }
    };
    let fired_ts = points[fired].0;
    let alarm_ms = fired_ts + 60_000 + range_i64(rng, 60_000, 150_000);
    let window: Vec<&(i64, f64, u32)> =
        points.iter().filter(|p| p.0 > fired_ts - n as i64 * 60_000 && p.0 <= fired_ts).collect();
    let listed: Vec<String> =
        window.iter().rev().map(|p| format!("{} ({})", value_text(p.1), clock::alarm_reason_ts(p.0))).collect();
    let reason = if n == 1 {
        format!(
            "Threshold Crossed: 1 datapoint [{}] was greater than or equal to the threshold ({}).",
            listed.join(", "),
            value_text(threshold)
        )
    } else {
        format!(
            "Threshold Crossed: {m} out of the last {n} datapoints [{}] were greater than or equal to the threshold ({}) (minimum {m} datapoints for OK -> ALARM transition).",
            listed.join(", "),
            value_text(threshold)
        )
    };
    let stat_key = if coordinates.stat == Stat::P99 { "extendedStatistic" } else { "statistic" };
    let evaluated: Vec<Value> = window
        .iter()
        .rev()
        .map(|p| json!({"timestamp": clock::alarm_ts(p.0), "sampleCount": f64::from(p.2), "value": p.1}))
        .collect();
    let mut reason_data = json!({
        "version": "1.0",
        "queryDate": clock::alarm_ts(alarm_ms - 30),
        "startDate": clock::alarm_ts(window.first().map_or(fired_ts, |p| p.0)),
        "period": 60,
        "recentDatapoints": window.iter().map(|p| p.1).collect::<Vec<f64>>(),
        "threshold": threshold,
        "evaluatedDatapoints": evaluated,
    });
    reason_data[stat_key] = json!(coordinates.stat.as_str());
    let name = alarm_name(rng, system, workload, signal);
    let previous_ms = alarm_ms - range_i64(rng, 3, 90) * 3_600_000;
    let dimensions: serde_json::Map<String, Value> =
        coordinates.dimensions.iter().map(|(d, v)| (d.to_string(), json!(v))).collect();
    let event = json!({
        "version": "0",
        "id": uuid(rng),
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": system.account,
        "time": clock::iso_s(alarm_ms),
        "region": system.region,
        "resources": [format!("arn:aws:cloudwatch:{}:{}:alarm:{name}", system.region, system.account)],
        "detail": {
            "alarmName": name,
            "state": {"value": "ALARM", "reason": reason, "reasonData": reason_data.to_string(), "timestamp": clock::alarm_ts(alarm_ms)},
            "previousState": {
                "value": "OK",
                "reason": format!("Threshold Crossed: {n} out of the last {n} datapoints were not greater than or equal to the threshold ({}).", value_text(threshold)),
                "reasonData": json!({"version": "1.0", "queryDate": clock::alarm_ts(previous_ms), "period": 60, "threshold": threshold}).to_string(),
                "timestamp": clock::alarm_ts(previous_ms),
            },
            "configuration": {
                "description": coordinates.what,
                "metrics": [{
                    "id": uuid(rng),
                    "metricStat": {
                        "metric": {"namespace": coordinates.namespace, "name": coordinates.name, "dimensions": dimensions},
                        "period": 60,
                        "stat": coordinates.stat.as_str(),
                    },
                    "returnData": true,
                }],
            },
        },
    });
    Some(Input { json: event, kind: "alarm" })
}

fn slack(rng: &mut SimRng, plan: &Plan, index: usize, symptom: &str) -> Input {
    let system = &plan.system;
    let workload = &system.workloads[index];
    let thing = match (workload.api(), chance(rng, 0.5)) {
        (Some(api), true) => api.name.clone(),
        _ if chance(rng, 0.5) => workload.domain.plural.to_string(),
        _ => workload.name().to_string(),
    };
    let noticed = plan.onset_ms + range_i64(rng, 0, 180_000);
    let rounded = noticed.div_euclid(300_000) * 300_000;
    let queue = workload.queue().map_or_else(|| workload.domain.plural.to_string(), |q| q.queue.clone());
    let description = symptom
        .replace("{thing}", &thing)
        .replace("{time}", &clock::hh_mm(rounded))
        .replace("{plural}", workload.domain.plural)
        .replace("{queue}", &queue);
    let sim_end = plan.start_ms + plan.minutes as i64 * 60_000;
    let end = ((plan.onset_ms + range_i64(rng, 8, 18) * 60_000).div_euclid(300_000) * 300_000 + 300_000)
        .min(sim_end - 60_000);
    let start = end - 3_600_000;
    let submitted = end + range_i64(rng, 10_000, 240_000);
    let json = json!({
        "source": "fa2.slack",
        "description": description,
        "startTime": clock::iso_s(start),
        "endTime": clock::iso_s(end),
        "slack": {
            "channel": format!("C0{}", upper_alnum(rng, 9)),
            "threadTs": format!("{}.{}", submitted / 1000, digits(rng, 6)),
            "user": format!("U0{}", upper_alnum(rng, 9)),
        },
    });
    Input { json, kind: "slack" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn evaluation_fires_after_onset_above_the_baseline() {
        let mut rng = SimRng::seed_from_u64(2);
        let start = 1_700_000_040_000 / 60_000 * 60_000;
        let points: Vec<(i64, f64, u32)> = (0..60)
            .map(|minute| {
                let value = if minute >= 40 {
                    12.0
                } else if minute == 10 {
                    2.0
                } else {
                    0.0
                };
                (start + minute * 60_000, value, 20)
            })
            .collect();
        let onset = start + 40 * 60_000 + 5_000;
        let (threshold, fired) = evaluate(&mut rng, &points, onset, start + 59 * 60_000, 2, 3).unwrap();
        // The blip at minute 10 is long before the onset and must stay below the threshold.
        assert!(threshold > 2.0 && threshold <= 12.0, "{threshold}");
        assert_eq!(points[fired].0, start + 41 * 60_000);
    }

    #[test]
    fn evaluation_refuses_a_signal_that_never_rises() {
        let mut rng = SimRng::seed_from_u64(2);
        let points: Vec<(i64, f64, u32)> = (0..30).map(|minute| (minute * 60_000, 3.0, 10)).collect();
        assert!(evaluate(&mut rng, &points, 20 * 60_000, 29 * 60_000, 1, 1).is_none());
    }
}
