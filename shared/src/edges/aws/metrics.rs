//! The CloudWatch metrics adapter: `ListMetrics` discovery of the resources in play and `GetMetricData` reads,
//! batched and paginated, with statistics and periods chosen when the caller left them open.
//!
//! Metric math alarms: the alarm's expressions are not carried in a `MetricRef`; `Prepare` already extracts every
//! `metricStat` of the expression into `AlarmSummary::metrics`, and reading those component metrics is what the
//! analysis needs (the math result is derived from them).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricDataResult, MetricStat, RecentlyActive, ScanBy, StatusCode,
};
use chrono::{DateTime, Duration, Utc};
use futures::{StreamExt, TryStreamExt};

use super::sdk_error;
use crate::contract::{MetricRef, Window};
use crate::domain::resources::metric_dimension_names;
use crate::error::Result;
use crate::ports::{MetricFilter, MetricSeries, MetricSource};

/// Namespaces searched when discovery names none: the AWS services a serverless or container workload is usually
/// built from. A custom namespace is only searched when the caller names it.
pub const DISCOVERY_NAMESPACES: [&str; 19] = [
    "AWS/Lambda",
    "AWS/ApiGateway",
    "AWS/DynamoDB",
    "AWS/SQS",
    "AWS/SNS",
    "AWS/States",
    "AWS/Events",
    "AWS/Kinesis",
    "AWS/Firehose",
    "AWS/ECS",
    "ECS/ContainerInsights",
    "AWS/ApplicationELB",
    "AWS/NetworkELB",
    "AWS/EC2",
    "AWS/RDS",
    "AWS/ElastiCache",
    "AWS/AmazonMQ",
    "AWS/AppSync",
    "AWS/CloudFront",
];

/// `ListMetrics` pages (500 metrics each) read per namespace before discovery gives up on the rest.
const MAX_LIST_PAGES: usize = 10;
/// Namespaces scanned at once (`ListMetrics` allows 25 requests/s per account).
const CONCURRENT_NAMESPACE_SCANS: usize = 4;
/// `GetMetricData` takes at most 500 queries per call.
const MAX_QUERIES_PER_CALL: usize = 500;
/// `GetMetricData` pages (100,800 datapoints each) read per batch; 500 series of 1,440 points need 8.
const MAX_DATA_PAGES: usize = 16;
/// Datapoints per series a default period aims for at most: a day of one-minute points.
const MAX_POINTS_PER_SERIES: u64 = 1_440;
/// Periods a default is chosen from, shortest first. From five minutes on they are multiples of 300 s and from an
/// hour on multiples of 3,600 s, which is what `GetMetricData` demands for data older than 15 and 63 days.
const PERIOD_LADDER: [u32; 11] = [60, 120, 300, 600, 900, 1_800, 3_600, 10_800, 21_600, 43_200, 86_400];

/// Reads CloudWatch metrics with one SDK client.
#[derive(Debug, Clone)]
pub struct CloudWatchMetrics {
    client: Client,
}

impl CloudWatchMetrics {
    pub fn new(client: Client) -> Self {
        CloudWatchMetrics { client }
    }

    /// The metrics of one namespace matching the filter's dimension values, sorted, at most `MAX_LIST_PAGES` pages.
    async fn discover_in(&self, namespace: &str, wanted_values: &[String]) -> Result<Vec<MetricRef>> {
        let mut found = Vec::new();
        let mut next_token = None;
        for _ in 0..MAX_LIST_PAGES {
            let page = self
                .client
                .list_metrics()
                .namespace(namespace)
                // Metrics that reported in the last 3 hours: those of an incident analysed as it happens, without
                // two weeks of deleted resources' metrics. An older window's metrics can still be read by name.
                .recently_active(RecentlyActive::Pt3H)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|error| sdk_error("CloudWatch ListMetrics", error))?;
            found.extend(
                page.metrics()
                    .iter()
                    .filter(|metric| has_wanted_dimension(metric, wanted_values))
                    .filter_map(|metric| metric_ref(metric, namespace)),
            );
            next_token = page.next_token;
            if next_token.is_none() {
                break;
            }
        }
        if next_token.is_some() {
            tracing::warn!(namespace, pages = MAX_LIST_PAGES, "ListMetrics: stopped discovery before the last page");
        }
        // ListMetrics' order is not documented; sorting makes the `limit` cut the same on every run.
        found.sort();
        found.dedup();
        Ok(found)
    }

    /// Reads one batch of at most `MAX_QUERIES_PER_CALL` planned series, query ids `m{first}`.., adding the
    /// datapoints of series `first + i` to `points[first + i]`.
    async fn fetch_batch(
        &self,
        first: usize,
        batch: &[PlannedSeries<'_>],
        window: Window,
        points: &mut [Vec<(i64, f64)>],
    ) -> Result<()> {
        let queries: Vec<MetricDataQuery> =
            batch.iter().enumerate().map(|(offset, plan)| plan.query(first + offset)).collect();
        let ids = first..first + batch.len();
        let mut next_token = None;
        for _ in 0..MAX_DATA_PAGES {
            let page = self
                .client
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(smithy_time(window.start))
                .end_time(smithy_time(window.end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|error| sdk_error("CloudWatch GetMetricData", error))?;
            for message in page.messages() {
                tracing::warn!(code = message.code(), message = message.value(), "GetMetricData: message");
            }
            for result in page.metric_data_results() {
                let Some(index) = result.id().and_then(query_index).filter(|index| ids.contains(index)) else {
                    tracing::warn!(id = ?result.id(), "GetMetricData: a result for a query that was not asked");
                    continue;
                };
                let plan = &batch[index - first];
                report_status(result, plan.metric);
                points[index].extend(datapoints(result, plan.metric));
            }
            // A PartialData status comes with a token; following the token is what completes the series.
            next_token = page.next_token;
            if next_token.is_none() {
                return Ok(());
            }
        }
        tracing::warn!(pages = MAX_DATA_PAGES, "GetMetricData: stopped before the last page; series are cut short");
        Ok(())
    }
}

#[async_trait]
impl MetricSource for CloudWatchMetrics {
    async fn list(&self, filter: &MetricFilter, limit: usize) -> Result<Vec<MetricRef>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let namespaces: Vec<String> = match filter.namespace.as_deref().map(str::trim).filter(|ns| !ns.is_empty()) {
            Some(namespace) => vec![namespace.to_string()],
            None => DISCOVERY_NAMESPACES.iter().map(|namespace| namespace.to_string()).collect(),
        };
        let wanted_values = filter.dimension_values.as_slice();
        // `buffered` keeps the namespaces' order, so the result does not depend on which scan answers first.
        let mut scans = futures::stream::iter(namespaces)
            .map(|namespace| async move { self.discover_in(&namespace, wanted_values).await })
            .buffered(CONCURRENT_NAMESPACE_SCANS);
        let mut found = Vec::new();
        while found.len() < limit {
            match scans.try_next().await? {
                Some(matched) => found.extend(matched),
                None => break,
            }
        }
        found.truncate(limit);
        Ok(found)
    }

    /// One `MetricSeries` per requested metric that returned datapoints. A metric without a stat or period gets
    /// [`default_stat`] and [`default_period`]; the returned series say which were used.
    async fn fetch(&self, metrics: &[MetricRef], window: Window) -> Result<Vec<MetricSeries>> {
        let period = default_period(window, Utc::now());
        let plans: Vec<PlannedSeries> = metrics.iter().map(|metric| PlannedSeries::new(metric, period)).collect();
        let mut points: Vec<Vec<(i64, f64)>> = vec![Vec::new(); plans.len()];
        for (batch_number, batch) in plans.chunks(MAX_QUERIES_PER_CALL).enumerate() {
            self.fetch_batch(batch_number * MAX_QUERIES_PER_CALL, batch, window, &mut points).await?;
        }
        Ok(plans
            .iter()
            .zip(points)
            .filter(|(_, points)| !points.is_empty())
            .map(|(plan, points)| plan.series(points))
            .collect())
    }
}

/// One requested metric with the statistic and period it will be read with.
struct PlannedSeries<'a> {
    metric: &'a MetricRef,
    stat: String,
    period: u32,
}

impl<'a> PlannedSeries<'a> {
    fn new(metric: &'a MetricRef, default_period: u32) -> Self {
        let stat = metric.stat.as_deref().map(str::trim).filter(|stat| !stat.is_empty());
        PlannedSeries {
            metric,
            stat: stat.unwrap_or_else(|| default_stat(&metric.metric_name)).to_string(),
            period: metric.period.filter(|period| *period > 0).unwrap_or(default_period),
        }
    }

    fn query(&self, index: usize) -> MetricDataQuery {
        let dimensions =
            self.metric.dimensions.iter().map(|(name, value)| Dimension::builder().name(name).value(value).build());
        let metric = Metric::builder()
            .namespace(&self.metric.namespace)
            .metric_name(&self.metric.metric_name)
            .set_dimensions(Some(dimensions.collect()))
            .build();
        let stat = MetricStat::builder()
            .metric(metric)
            .stat(&self.stat)
            .period(i32::try_from(self.period).unwrap_or(i32::MAX))
            .build();
        MetricDataQuery::builder().id(query_id(index)).metric_stat(stat).return_data(true).build()
    }

    /// The series, its datapoints put in time order (pages of one scan arrive in order; this makes sure of it).
    fn series(&self, mut points: Vec<(i64, f64)>) -> MetricSeries {
        points.sort_by_key(|(timestamp, _)| *timestamp);
        let (timestamps, values) = points.into_iter().unzip();
        MetricSeries {
            namespace: self.metric.namespace.clone(),
            metric_name: self.metric.metric_name.clone(),
            dimensions: self.metric.dimensions.clone(),
            stat: self.stat.clone(),
            period: self.period,
            // GetMetricData does not say the unit, and asking for one would drop datapoints recorded in another.
            unit: None,
            timestamps,
            values,
        }
    }
}

/// `GetMetricData` query ids must start with a lower-case letter; the number is the metric's index in the request.
fn query_id(index: usize) -> String {
    format!("m{index}")
}

fn query_index(id: &str) -> Option<usize> {
    id.strip_prefix('m')?.parse().ok()
}

/// The statistic a metric is read with when the caller names none.
///
/// A count per period only means something summed: averaging `Errors` gives about 1 whatever the error rate. An
/// age or a concurrency is a level whose worst value is the symptom (a stuck queue, a concurrency limit), which an
/// average dilutes. Everything else (latency, utilisation, gauges) is averaged. Counts of things that exist
/// (`HealthyHostCount`, `RunningTaskCount`) are gauges, not events.
pub fn default_stat(metric_name: &str) -> &'static str {
    const EVENT_SUFFIXES: [&str; 12] = [
        "count",
        "error",
        "errors",
        "throttles",
        "throttled",
        "requests",
        "events",
        "failures",
        "failed",
        "records",
        "dropped",
        "invocations",
    ];
    const EVENT_PREFIXES: [&str; 4] = ["number", "consumed", "executions", "failed"];
    const STATUS_CLASSES: [&str; 4] = ["2xx", "3xx", "4xx", "5xx"];
    const EXISTING_THINGS: [&str; 7] = ["host", "task", "service", "instance", "node", "pod", "container"];
    const LEVEL_WORDS: [&str; 3] = ["age", "concurrent", "concurrency"];

    let words = camel_words(metric_name);
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or_default();
    let last = word(words.len().saturating_sub(1));
    let before_last = words.len().checked_sub(2).map(word).unwrap_or_default();
    if last == "count" && EXISTING_THINGS.contains(&before_last) {
        "Average"
    } else if words.iter().any(|w| LEVEL_WORDS.contains(&w.as_str())) {
        "Maximum"
    } else if EVENT_SUFFIXES.contains(&last)
        || EVENT_PREFIXES.contains(&word(0))
        || words.iter().any(|w| STATUS_CLASSES.contains(&w.as_str()))
    {
        "Sum"
    } else {
        "Average"
    }
}

/// The lower-cased camelCase words of a metric name: `HTTPCode_Target_5XX_Count` gives `http code target 5xx
/// count`, `ApproximateAgeOfOldestMessage` gives `approximate age of oldest message`.
fn camel_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            words.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
            continue;
        }
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        // A new word starts at an upper-case letter after a lower-case one (`requestCount`), or at the last capital
        // of an acronym followed by lower case (`HTTPCode`).
        let starts_word = c.is_ascii_uppercase()
            && previous.is_some_and(|p| {
                p.is_ascii_lowercase() || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
            });
        if starts_word && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.push(c.to_ascii_lowercase());
    }
    words.extend((!current.is_empty()).then_some(current));
    words
}

/// The period a window is read with when the caller names none: the shortest that keeps a series at most
/// `MAX_POINTS_PER_SERIES` points and that CloudWatch still holds for the window's age (one-minute data is kept 15
/// days, five-minute data 63 days, hourly data beyond).
pub fn default_period(window: Window, now: DateTime<Utc>) -> u32 {
    let span_seconds = u64::try_from((window.end - window.start).num_seconds()).unwrap_or_default().max(1);
    let age = now - window.start;
    let finest = if age <= Duration::days(15) {
        60
    } else if age <= Duration::days(63) {
        300
    } else {
        3_600
    };
    PERIOD_LADDER
        .into_iter()
        .find(|&period| period >= finest && span_seconds.div_ceil(u64::from(period)) <= MAX_POINTS_PER_SERIES)
        .unwrap_or(PERIOD_LADDER[PERIOD_LADDER.len() - 1])
}

/// Any dimension names one of the wanted resources (`metric_dimension_names`); no wanted values matches every metric.
fn has_wanted_dimension(metric: &Metric, wanted_values: &[String]) -> bool {
    wanted_values.is_empty()
        || metric
            .dimensions()
            .iter()
            .filter_map(|dimension| dimension.name().zip(dimension.value()))
            .any(|(key, value)| wanted_values.iter().any(|wanted| metric_dimension_names(key, value, wanted)))
}

fn metric_ref(metric: &Metric, listed_namespace: &str) -> Option<MetricRef> {
    let dimensions: BTreeMap<String, String> = metric
        .dimensions()
        .iter()
        .filter_map(|dimension| Some((dimension.name()?.to_string(), dimension.value()?.to_string())))
        .collect();
    Some(MetricRef {
        namespace: metric.namespace().unwrap_or(listed_namespace).to_string(),
        metric_name: metric.metric_name()?.to_string(),
        dimensions,
        stat: None,
        period: None,
    })
}

/// The datapoints of one result as (epoch ms, value); a result whose two lists differ in length is cut to the
/// shorter, with a warning.
fn datapoints(result: &MetricDataResult, metric: &MetricRef) -> Vec<(i64, f64)> {
    let (timestamps, values) = (result.timestamps(), result.values());
    if timestamps.len() != values.len() {
        tracing::warn!(%metric, timestamps = timestamps.len(), values = values.len(), "GetMetricData: misaligned result");
    }
    timestamps.iter().zip(values).filter_map(|(time, value)| Some((time.to_millis().ok()?, *value))).collect()
}

/// Surfaces what CloudWatch says about one query (an error status, its messages) in the log.
fn report_status(result: &MetricDataResult, metric: &MetricRef) {
    if matches!(result.status_code(), Some(StatusCode::InternalError | StatusCode::Forbidden)) {
        tracing::warn!(%metric, status = ?result.status_code(), "GetMetricData: the query failed");
    }
    for message in result.messages() {
        tracing::warn!(%metric, code = message.code(), message = message.value(), "GetMetricData: query message");
    }
}

fn smithy_time(time: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_millis(time.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_cloudwatch::operation::get_metric_data::{GetMetricDataError, GetMetricDataOutput};
    use aws_sdk_cloudwatch::operation::list_metrics::ListMetricsOutput;
    use aws_sdk_cloudwatch::types::MessageData;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;
    use aws_smithy_types::retry::RetryConfig;

    use super::*;
    use crate::error::Fa2Error;

    fn window_ending_at(end: DateTime<Utc>, span: Duration) -> Window {
        Window { start: end - span, end }
    }

    fn metric(namespace: &str, name: &str, dimensions: &[(&str, &str)]) -> Metric {
        let dimensions = dimensions.iter().map(|(n, v)| Dimension::builder().name(*n).value(*v).build());
        Metric::builder().namespace(namespace).metric_name(name).set_dimensions(Some(dimensions.collect())).build()
    }

    fn reference(namespace: &str, name: &str, dimensions: &[(&str, &str)]) -> MetricRef {
        MetricRef {
            namespace: namespace.into(),
            metric_name: name.into(),
            dimensions: dimensions.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            stat: None,
            period: None,
        }
    }

    fn filter(namespace: Option<&str>, values: &[&str]) -> MetricFilter {
        MetricFilter {
            namespace: namespace.map(str::to_string),
            dimension_values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    /// The SDK's own retries are off, so an error reaches the adapter on the first answer.
    macro_rules! cloudwatch {
        ($mode:expr, $rules:expr) => {
            CloudWatchMetrics::new(
                mock_client!(aws_sdk_cloudwatch, $mode, $rules, |config| config.retry_config(RetryConfig::disabled()))
            )
        };
    }

    #[test]
    fn default_period_keeps_a_window_under_a_day_of_minutes_and_within_retention() {
        let now = Utc::now();
        let cases = [
            (Duration::hours(1), Duration::zero(), 60),
            (Duration::days(1), Duration::zero(), 60),
            (Duration::hours(25), Duration::zero(), 120),
            (Duration::days(7), Duration::zero(), 600),
            (Duration::hours(1), Duration::days(20), 300),
            (Duration::hours(1), Duration::days(70), 3_600),
            (Duration::days(3_000), Duration::zero(), 86_400),
            (Duration::zero(), Duration::zero(), 60),
        ];
        for (span, ago, expected) in cases {
            let window = window_ending_at(now - ago, span);
            assert_eq!(default_period(window, now), expected, "span {span}, ended {ago} ago");
        }
    }

    #[test]
    fn default_stat_sums_counts_takes_the_worst_level_and_averages_the_rest() {
        let cases = [
            ("Errors", "Sum"),
            ("Throttles", "Sum"),
            ("Invocations", "Sum"),
            ("5XXError", "Sum"),
            ("Count", "Sum"),
            ("ThrottledRequests", "Sum"),
            ("WriteThrottleEvents", "Sum"),
            ("NumberOfMessagesSent", "Sum"),
            ("ConsumedReadCapacityUnits", "Sum"),
            ("HTTPCode_Target_5XX_Count", "Sum"),
            ("ExecutionsFailed", "Sum"),
            ("ApproximateAgeOfOldestMessage", "Maximum"),
            ("IteratorAge", "Maximum"),
            ("ConcurrentExecutions", "Maximum"),
            ("HealthyHostCount", "Average"),
            ("RunningTaskCount", "Average"),
            ("ApproximateNumberOfMessagesVisible", "Average"),
            ("Duration", "Average"),
            ("SuccessfulRequestLatency", "Average"),
            ("CPUUtilization", "Average"),
            ("MemoryUsage", "Average"),
            ("ProvisionedReadCapacityUnits", "Average"),
            ("", "Average"),
        ];
        for (name, expected) in cases {
            assert_eq!(default_stat(name), expected, "{name}");
        }
    }

    #[test]
    fn camel_words_split_acronyms_separators_and_digits() {
        assert_eq!(camel_words("HTTPCode_Target_5XX_Count"), ["http", "code", "target", "5xx", "count"]);
        assert_eq!(
            camel_words("GetRecords.IteratorAgeMilliseconds"),
            ["get", "records", "iterator", "age", "milliseconds"]
        );
        assert_eq!(camel_words("5XXError"), ["5xx", "error"]);
    }

    #[tokio::test]
    async fn list_pages_through_a_namespace_and_keeps_metrics_with_a_matching_dimension_value() {
        let first_page = mock!(Client::list_metrics)
            .match_requests(|r| {
                r.namespace() == Some("AWS/Lambda")
                    && r.recently_active() == Some(&RecentlyActive::Pt3H)
                    && r.next_token().is_none()
            })
            .then_output(|| {
                ListMetricsOutput::builder()
                    .metrics(metric("AWS/Lambda", "Errors", &[("FunctionName", "Orders")]))
                    .metrics(metric("AWS/Lambda", "Errors", &[("FunctionName", "billing")]))
                    .metrics(metric("AWS/Lambda", "Invocations", &[]))
                    .next_token("page-2")
                    .build()
            });
        let second_page = mock!(Client::list_metrics)
            .match_requests(|r| r.namespace() == Some("AWS/Lambda") && r.next_token() == Some("page-2"))
            .then_output(|| {
                ListMetricsOutput::builder()
                    .metrics(metric(
                        "AWS/Lambda",
                        "Duration",
                        &[("FunctionName", "orders"), ("Resource", "orders:live")],
                    ))
                    .metrics(metric("AWS/Lambda", "Duration", &[("FunctionName", "orders-replay")]))
                    .build()
            });
        let source = cloudwatch!(RuleMode::MatchAny, [&first_page, &second_page]);

        let found = source.list(&filter(Some("AWS/Lambda"), &["ORDERS"]), 10).await.unwrap();

        assert_eq!(
            found,
            [
                reference("AWS/Lambda", "Duration", &[("FunctionName", "orders"), ("Resource", "orders:live")]),
                reference("AWS/Lambda", "Errors", &[("FunctionName", "Orders")]),
            ]
        );
        assert_eq!((first_page.num_calls(), second_page.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn list_without_a_namespace_searches_the_common_ones_in_order_and_stops_at_the_limit() {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let recorded = asked.clone();
        let every_namespace = mock!(Client::list_metrics).then_compute_output(move |r| {
            let namespace = r.namespace().unwrap_or_default().to_string();
            recorded.lock().unwrap().push(namespace.clone());
            ListMetricsOutput::builder()
                .metrics(metric(&namespace, "Throttles", &[("TableName", "orders")]))
                .metrics(metric(&namespace, "Errors", &[("TableName", "other")]))
                .build()
        });
        let source = cloudwatch!(RuleMode::MatchAny, [&every_namespace]);

        let all = source.list(&filter(None, &["orders"]), 1_000).await.unwrap();
        let namespaces: Vec<&str> = all.iter().map(|m| m.namespace.as_str()).collect();
        assert_eq!(namespaces, DISCOVERY_NAMESPACES);
        assert!(all.iter().all(|m| m.metric_name == "Throttles"));
        assert_eq!(every_namespace.num_calls(), DISCOVERY_NAMESPACES.len());

        let calls_before = every_namespace.num_calls();
        let first_two = source.list(&filter(None, &["orders"]), 2).await.unwrap();
        assert_eq!(first_two, all[..2]);
        // Only the scans already in flight when the limit was reached ran.
        assert!(every_namespace.num_calls() - calls_before <= CONCURRENT_NAMESPACE_SCANS);
    }

    /// A `GetMetricData` answer giving query `mN` one datapoint at minute N with the value N, for every query asked.
    fn echo_index(r: &aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataInput) -> GetMetricDataOutput {
        let results = r.metric_data_queries().iter().map(|query| {
            let id = query.id().unwrap_or_default();
            let index = query_index(id).unwrap_or_default() as i64;
            MetricDataResult::builder()
                .id(id)
                .timestamps(aws_smithy_types::DateTime::from_millis(index * 60_000))
                .values(index as f64)
                .status_code(StatusCode::Complete)
                .build()
        });
        GetMetricDataOutput::builder().set_metric_data_results(Some(results.collect())).build()
    }

    #[tokio::test]
    async fn fetch_sends_at_most_500_queries_a_call_and_maps_each_result_back_to_its_metric() {
        let batch_sizes = Arc::new(Mutex::new(Vec::new()));
        let recorded = batch_sizes.clone();
        let answer = mock!(Client::get_metric_data).then_compute_output(move |r| {
            recorded.lock().unwrap().push(r.metric_data_queries().len());
            echo_index(r)
        });
        let source = cloudwatch!(RuleMode::MatchAny, [&answer]);
        let metrics: Vec<MetricRef> =
            (0..700).map(|i| reference("AWS/Lambda", &format!("M{i}"), &[("FunctionName", "f")])).collect();

        let series = source.fetch(&metrics, window_ending_at(Utc::now(), Duration::hours(1))).await.unwrap();

        assert_eq!(answer.num_calls(), 2);
        assert_eq!(*batch_sizes.lock().unwrap(), [500, 200]);
        assert_eq!(series.len(), 700);
        for (i, one) in series.iter().enumerate() {
            assert_eq!(one.metric_name, format!("M{i}"));
            assert_eq!(one.timestamps, [i as i64 * 60_000]);
            assert_eq!(one.values, [i as f64]);
        }
    }

    #[tokio::test]
    async fn fetch_follows_next_tokens_merges_pages_and_drops_series_without_data() {
        let window = window_ending_at(Utc::now(), Duration::hours(1));
        let (start, end) = (smithy_time(window.start), smithy_time(window.end));
        let point = |minute: i64| aws_smithy_types::DateTime::from_millis(minute * 60_000);
        let pages = mock!(Client::get_metric_data)
            .match_requests(move |r| {
                let query = &r.metric_data_queries()[0];
                let stat = query.metric_stat().unwrap();
                r.scan_by() == Some(&ScanBy::TimestampAscending)
                    && r.start_time() == Some(&start)
                    && r.end_time() == Some(&end)
                    && query.id() == Some("m0")
                    && (stat.stat(), stat.period()) == (Some("Sum"), Some(60))
                    && r.metric_data_queries()[1].metric_stat().unwrap().stat() == Some("p99")
            })
            .sequence()
            .output(move || {
                let partial = MetricDataResult::builder()
                    .id("m0")
                    .timestamps(point(1))
                    .timestamps(point(2))
                    .values(1.0)
                    .values(2.0)
                    .status_code(StatusCode::PartialData)
                    .build();
                let empty = MetricDataResult::builder().id("m1").status_code(StatusCode::Complete).build();
                GetMetricDataOutput::builder()
                    .metric_data_results(partial)
                    .metric_data_results(empty)
                    .next_token("more")
                    .build()
            })
            .output(move || {
                let rest = MetricDataResult::builder()
                    .id("m0")
                    .timestamps(point(3))
                    .values(3.0)
                    .status_code(StatusCode::Complete)
                    .messages(MessageData::builder().code("Note").value("hello").build())
                    .build();
                GetMetricDataOutput::builder().metric_data_results(rest).build()
            })
            .build();
        let source = cloudwatch!(RuleMode::Sequential, [&pages]);
        let errors = reference("AWS/Lambda", "Errors", &[("FunctionName", "f")]);
        let latency = MetricRef { stat: Some("p99".into()), ..reference("AWS/ApiGateway", "Latency", &[]) };

        let series = source.fetch(&[errors, latency], window).await.unwrap();

        assert_eq!(pages.num_calls(), 2);
        assert_eq!(series.len(), 1);
        let errors = &series[0];
        assert_eq!((errors.metric_name.as_str(), errors.stat.as_str(), errors.period), ("Errors", "Sum", 60));
        assert_eq!(errors.dimensions, BTreeMap::from([("FunctionName".to_string(), "f".to_string())]));
        assert_eq!(errors.timestamps, [60_000, 120_000, 180_000]);
        assert_eq!(errors.values, [1.0, 2.0, 3.0]);
    }

    #[tokio::test]
    async fn fetch_of_nothing_asks_nothing() {
        let answer = mock!(Client::get_metric_data).then_compute_output(echo_index);
        let source = cloudwatch!(RuleMode::MatchAny, [&answer]);
        assert!(source.fetch(&[], window_ending_at(Utc::now(), Duration::hours(1))).await.unwrap().is_empty());
        assert_eq!(answer.num_calls(), 0);
    }

    #[tokio::test]
    async fn sdk_failures_become_retryable_or_feedback_errors() {
        let window = window_ending_at(Utc::now(), Duration::hours(1));
        let metrics = [reference("AWS/Lambda", "Errors", &[])];
        let error = |code: &'static str| {
            move || GetMetricDataError::generic(ErrorMetadata::builder().code(code).message("no").build())
        };
        let throttled = mock!(Client::get_metric_data).then_error(error("Throttling"));
        let server_error = mock!(Client::get_metric_data).sequence().http_status(500, None).build();
        let denied = mock!(Client::get_metric_data).then_error(error("AccessDenied"));

        let outcome = cloudwatch!(RuleMode::Sequential, [&throttled]).fetch(&metrics, window).await;
        assert!(matches!(outcome, Err(Fa2Error::Throttled(_))), "{outcome:?}");
        let outcome = cloudwatch!(RuleMode::Sequential, [&server_error]).fetch(&metrics, window).await;
        assert!(matches!(outcome, Err(Fa2Error::Transient(_))), "{outcome:?}");
        let outcome = cloudwatch!(RuleMode::Sequential, [&denied]).fetch(&metrics, window).await;
        assert!(
            matches!(&outcome, Err(Fa2Error::Upstream(m)) if m.contains("AccessDenied") && m.contains("GetMetricData") && m.contains("grant")),
            "{outcome:?}"
        );
    }
}
