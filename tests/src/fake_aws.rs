//! The AWS APIs the emulator lacks (CloudWatch metrics over CBOR, CloudTrail `LookupEvents`, Bedrock `Retrieve`),
//! answered from an incident bundle through aws-smithy-mocks: real SDK clients, real request and response types,
//! the bundle as the account's data. Used by the round trip (bundle → AWS adapters → same conclusion).

use std::sync::Arc;

use aws_sdk_bedrockagentruntime::types::{
    KnowledgeBaseRetrievalResult, RetrievalResultContent, RetrievalResultLocation, RetrievalResultLocationType,
    RetrievalResultS3Location,
};
use aws_sdk_cloudtrail::types::{Event, LookupAttributeKey};
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataResult, StatusCode};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use serde_json::Value;
use shared::edges::bundle::{Bundle, BundleTelemetry};
use shared::ports::{KnowledgeBase, MetricSeries};

fn millis(time: &DateTime) -> i64 {
    time.to_millis().unwrap_or_default()
}

fn same_metric(series: &MetricSeries, metric: &Metric) -> bool {
    let dimensions = metric.dimensions();
    metric.namespace() == Some(series.namespace.as_str())
        && metric.metric_name() == Some(series.metric_name.as_str())
        && dimensions.len() == series.dimensions.len()
        && dimensions
            .iter()
            .all(|d| series.dimensions.get(d.name().unwrap_or_default()).map(String::as_str) == d.value())
}

fn as_metric(series: &MetricSeries) -> Metric {
    let dimensions =
        series.dimensions.iter().map(|(name, value)| Dimension::builder().name(name).value(value).build()).collect();
    Metric::builder()
        .namespace(&series.namespace)
        .metric_name(&series.metric_name)
        .set_dimensions(Some(dimensions))
        .build()
}

/// CloudWatch `ListMetrics` and `GetMetricData` over the bundle's `metrics.jsonl` (one statistic per metric, as
/// the bundle recorded it; no pagination: the bundle is small).
pub fn cloudwatch(bundle: Arc<Bundle>) -> aws_sdk_cloudwatch::Client {
    let listed = bundle.clone();
    let list = mock!(aws_sdk_cloudwatch::Client::list_metrics).then_compute_output(move |input| {
        let wanted = |series: &&MetricSeries| {
            input.namespace().is_none_or(|n| n == series.namespace)
                && input.metric_name().is_none_or(|n| n == series.metric_name)
                && input.dimensions().iter().all(|filter| {
                    let value = series.dimensions.get(filter.name().unwrap_or_default());
                    value.is_some_and(|v| filter.value().is_none_or(|wanted| wanted == v))
                })
        };
        let metrics = listed.metrics.iter().filter(wanted).map(as_metric).collect();
        aws_sdk_cloudwatch::operation::list_metrics::ListMetricsOutput::builder().set_metrics(Some(metrics)).build()
    });
    let fetched = bundle;
    let data = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_compute_output(move |input| {
        let (start, end) = (input.start_time().map(millis), input.end_time().map(millis));
        let results = input
            .metric_data_queries()
            .iter()
            .map(|query| {
                let metric = query.metric_stat().and_then(|stat| stat.metric());
                let series = metric.and_then(|m| fetched.metrics.iter().find(|s| same_metric(s, m)));
                let points: Vec<(i64, f64)> = series
                    .map(|s| s.timestamps.iter().copied().zip(s.values.iter().copied()).collect())
                    .unwrap_or_default();
                let points: Vec<(i64, f64)> = points
                    .into_iter()
                    .filter(|(t, _)| start.is_none_or(|s| *t >= s) && end.is_none_or(|e| *t < e))
                    .collect();
                MetricDataResult::builder()
                    .set_id(query.id().map(String::from))
                    .set_label(metric.and_then(|m| m.metric_name().map(String::from)))
                    .set_timestamps(Some(points.iter().map(|(t, _)| DateTime::from_millis(*t)).collect()))
                    .set_values(Some(points.iter().map(|(_, v)| *v).collect()))
                    .status_code(StatusCode::Complete)
                    .build()
            })
            .collect();
        aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput::builder()
            .set_metric_data_results(Some(results))
            .build()
    });
    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&list, &data])
}

/// CloudTrail `LookupEvents` over the bundle's `cloudtrail.jsonl`: the window, the `ReadOnly` attribute, newest
/// first, pages of `MaxResults` (default 50) with a `NextToken`.
pub fn cloudtrail(bundle: Arc<Bundle>) -> aws_sdk_cloudtrail::Client {
    let lookup = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_compute_output(move |input| {
        let (start, end) = (input.start_time().map(millis), input.end_time().map(millis));
        let read_only = input
            .lookup_attributes()
            .iter()
            .find(|a| a.attribute_key() == &LookupAttributeKey::ReadOnly)
            .map(|a| a.attribute_value() == "true");
        let mut records: Vec<(i64, &Value)> = bundle
            .cloudtrail
            .iter()
            .filter_map(|record| {
                let time = record["eventTime"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())?;
                Some((time.timestamp_millis(), record))
            })
            .filter(|(t, _)| start.is_none_or(|s| *t >= s) && end.is_none_or(|e| *t <= e))
            .filter(|(_, r)| read_only.is_none_or(|wanted| r["readOnly"].as_bool().unwrap_or(false) == wanted))
            .collect();
        records.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
        let page = usize::try_from(input.max_results().unwrap_or(50)).unwrap_or(50);
        let from: usize = input.next_token().and_then(|t| t.parse().ok()).unwrap_or(0);
        let events = records
            .iter()
            .skip(from)
            .take(page)
            .map(|(t, record)| {
                Event::builder()
                    .set_event_id(record["eventID"].as_str().map(String::from))
                    .set_event_name(record["eventName"].as_str().map(String::from))
                    .set_event_source(record["eventSource"].as_str().map(String::from))
                    .read_only(record["readOnly"].as_bool().unwrap_or(false).to_string())
                    .event_time(DateTime::from_millis(*t))
                    .cloud_trail_event(record.to_string())
                    .build()
            })
            .collect();
        let next = (from + page < records.len()).then(|| (from + page).to_string());
        aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput::builder()
            .set_events(Some(events))
            .set_next_token(next)
            .build()
    });
    mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&lookup])
}

/// Bedrock Agent Runtime `Retrieve` over the bundle's `knowledge/*.md`, ranked as the offline adapter ranks.
pub fn knowledge_base(bundle: Arc<Bundle>) -> aws_sdk_bedrockagentruntime::Client {
    let index = Arc::new(BundleTelemetry::new(bundle));
    let retrieve = mock!(aws_sdk_bedrockagentruntime::Client::retrieve).then_compute_output(move |input| {
        let query = input.retrieval_query().map(|q| q.text().to_string()).unwrap_or_default();
        let limit = input
            .retrieval_configuration()
            .and_then(|c| c.vector_search_configuration())
            .map(|v| v.number_of_results())
            .unwrap_or(5);
        // The offline search never waits, so blocking on it inside the synchronous mock is immediate.
        let passages = futures::executor::block_on(index.retrieve(&query, usize::try_from(limit).unwrap_or(5)));
        let results = passages
            .unwrap_or_default()
            .into_iter()
            .map(|passage| {
                let location = RetrievalResultLocation::builder()
                    .r#type(RetrievalResultLocationType::S3)
                    .s3_location(
                        RetrievalResultS3Location::builder().uri(format!("s3://kb/{}", passage.document)).build(),
                    )
                    .build()
                    .expect("a location with a type");
                KnowledgeBaseRetrievalResult::builder()
                    .content(RetrievalResultContent::builder().text(passage.text).build())
                    .location(location)
                    .score(passage.score)
                    .build()
            })
            .collect();
        aws_sdk_bedrockagentruntime::operation::retrieve::RetrieveOutput::builder()
            .set_retrieval_results(Some(results))
            .build()
            .expect("retrieval results are set")
    });
    mock_client!(aws_sdk_bedrockagentruntime, RuleMode::MatchAny, [&retrieve])
}
