//! X-Ray as a `TraceSource`: `GetTraceSummaries` finds the traces of the window, `BatchGetTraces` reads them in the
//! shape `traces.jsonl` records, and `GetServiceGraph` adds the services and edges of the window.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use aws_sdk_xray::types::{ErrorStatistics, FaultStatistics, Service, TimeRangeType, Trace};
use chrono::{DateTime, TimeDelta, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::{Map, Value, json};

use super::sdk_error;
use crate::contract::Window;
use crate::error::{Fa2Error, Result};
use crate::ports::{TraceQueryResult, TraceSource};

/// The longest time range X-Ray accepts in one `GetTraceSummaries` (and `GetServiceGraph`) call.
const MAX_QUERY_RANGE: TimeDelta = TimeDelta::hours(6);
/// `BatchGetTraces` takes at most this many trace ids per call.
const BATCH_GET_TRACES_MAX_IDS: usize = 5;
/// `BatchGetTraces` calls in flight at once: fast enough for a thousand traces, under X-Ray's request rate.
const BATCH_GET_TRACES_CONCURRENCY: usize = 3;
/// `GetTraceSummaries` pages read per call at most. X-Ray scans in chunks and may hand back many empty pages with a
/// `NextToken`; past this the answer is returned as truncated rather than letting the step time out.
const MAX_SUMMARY_PAGES: usize = 50;
/// `GetServiceGraph` pages read at most (a page holds many services; more pages mean a very large account).
const MAX_SERVICE_GRAPH_PAGES: usize = 10;

/// Traces of one account and region, read through X-Ray.
#[derive(Debug, Clone)]
pub struct XRayTraces {
    client: aws_sdk_xray::Client,
}

impl XRayTraces {
    pub fn new(client: aws_sdk_xray::Client) -> Self {
        XRayTraces { client }
    }

    /// The ids of the traces that started in the window and match the filter, at most `limit`, in the order X-Ray
    /// lists them (oldest slice of the window first); `true` when more existed.
    async fn trace_ids(&self, window: Window, filter: Option<&str>, limit: usize) -> Result<(Vec<String>, bool)> {
        let mut ids = Vec::new();
        let mut seen = HashSet::new();
        let mut pages = 0;
        for (start, end) in query_slices(window) {
            let mut next_token = None;
            loop {
                if pages == MAX_SUMMARY_PAGES {
                    tracing::warn!(pages, found = ids.len(), "X-Ray GetTraceSummaries page cap reached");
                    return Ok((ids, true));
                }
                pages += 1;
                let page = self
                    .client
                    .get_trace_summaries()
                    .start_time(smithy_time(start))
                    .end_time(smithy_time(end))
                    // By trace start time (the default, said here because the port promises "started in the window").
                    .time_range_type(TimeRangeType::TraceId)
                    .sampling(false)
                    .set_filter_expression(filter.map(str::to_string))
                    .set_next_token(next_token.take())
                    .send()
                    .await
                    .map_err(|e| sdk_error("X-Ray GetTraceSummaries", e))?;
                for id in page.trace_summaries().iter().filter_map(|summary| summary.id()) {
                    if seen.contains(id) {
                        continue;
                    }
                    if ids.len() == limit {
                        return Ok((ids, true));
                    }
                    seen.insert(id.to_string());
                    ids.push(id.to_string());
                }
                match page.next_token {
                    Some(token) if !token.is_empty() => next_token = Some(token),
                    _ => break,
                }
            }
        }
        Ok((ids, false))
    }

    /// The traces of `ids`, in that order, read in batches; `true` when some could not be read (X-Ray lists them
    /// as unprocessed, for example a trace still being written).
    async fn read_traces(&self, ids: &[String]) -> Result<(Vec<Value>, bool)> {
        let batches: Vec<Vec<Trace>> = stream::iter(ids.chunks(BATCH_GET_TRACES_MAX_IDS).map(<[String]>::to_vec))
            .map(|batch| self.read_batch(batch))
            .buffer_unordered(BATCH_GET_TRACES_CONCURRENCY)
            .try_collect()
            .await?;
        let mut by_id: HashMap<String, Value> = HashMap::new();
        for trace in batches.iter().flatten() {
            let Some(id) = trace.id() else { continue };
            let value = trace_json(trace);
            match by_id.get_mut(id) {
                // A large trace may come back over several pages: keep all of its segments.
                Some(Value::Object(known)) => {
                    if let (Some(Value::Array(segments)), Some(more)) =
                        (known.get_mut("Segments"), value["Segments"].as_array())
                    {
                        segments.extend(more.iter().cloned());
                    }
                }
                _ => {
                    by_id.insert(id.to_string(), value);
                }
            }
        }
        let traces: Vec<Value> = ids.iter().filter_map(|id| by_id.remove(id)).collect();
        let unread = ids.len() - traces.len();
        if unread > 0 {
            tracing::warn!(unread, "X-Ray BatchGetTraces left traces unprocessed");
        }
        Ok((traces, unread > 0))
    }

    async fn read_batch(&self, batch: Vec<String>) -> Result<Vec<Trace>> {
        let mut traces = Vec::new();
        let mut next_token = None;
        loop {
            let page = self
                .client
                .batch_get_traces()
                .set_trace_ids(Some(batch.clone()))
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|e| sdk_error("X-Ray BatchGetTraces", e))?;
            traces.extend(page.traces.unwrap_or_default());
            match page.next_token {
                Some(token) if !token.is_empty() => next_token = Some(token),
                _ => return Ok(traces),
            }
        }
    }

    /// The service graph of the window's last six hours (X-Ray's longest range; the end is nearest the incident),
    /// in the compact shape of [`service_graph_json`]. A graph X-Ray will not give (access denied, a bad range) is
    /// left out with a warning, the traces being the answer; throttling and 5xx are errors the step retries.
    async fn service_graph(&self, window: Window) -> Result<Option<Value>> {
        if window.start > window.end {
            return Ok(None);
        }
        let start = window.start.max(window.end - MAX_QUERY_RANGE);
        let mut services = Vec::new();
        let mut next_token = None;
        for _ in 0..MAX_SERVICE_GRAPH_PAGES {
            let page = self
                .client
                .get_service_graph()
                .start_time(smithy_time(start))
                .end_time(smithy_time(window.end))
                .set_next_token(next_token.take())
                .send()
                .await;
            let page = match page.map_err(|e| sdk_error("X-Ray GetServiceGraph", e)) {
                Ok(page) => page,
                Err(error @ (Fa2Error::Throttled(_) | Fa2Error::Transient(_))) => return Err(error),
                Err(error) => {
                    tracing::warn!(error = %error, "X-Ray service graph unavailable; traces only");
                    return Ok(None);
                }
            };
            services.extend(page.services.unwrap_or_default());
            match page.next_token {
                Some(token) if !token.is_empty() => next_token = Some(token),
                _ => break,
            }
        }
        Ok(Some(service_graph_json(start, window.end, &services)))
    }
}

#[async_trait]
impl TraceSource for XRayTraces {
    async fn traces(&self, window: Window, filter: Option<&str>, limit: usize) -> Result<TraceQueryResult> {
        let filter = filter.map(str::trim).filter(|f| !f.is_empty());
        let ((ids, more), service_graph) =
            tokio::try_join!(self.trace_ids(window, filter, limit), self.service_graph(window))?;
        let (traces, unread) = self.read_traces(&ids).await?;
        Ok(TraceQueryResult { traces, truncated: more || unread, service_graph })
    }
}

/// The window cut into consecutive ranges X-Ray accepts, oldest first; none for a window that ends before it
/// starts.
fn query_slices(window: Window) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut slices = Vec::new();
    let mut start = window.start;
    while start <= window.end {
        let end = (start + MAX_QUERY_RANGE).min(window.end);
        slices.push((start, end));
        if end == window.end {
            break;
        }
        start = end;
    }
    slices
}

fn smithy_time(time: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_millis(time.timestamp_millis())
}

/// One trace as `BatchGetTraces` returns it over the wire (and `traces.jsonl` records it):
/// `{"Id", "Duration", "LimitExceeded", "Segments": [{"Id", "Document"}]}`; segments without a document are dropped.
fn trace_json(trace: &Trace) -> Value {
    let mut object = Map::new();
    object.insert("Id".into(), json!(trace.id()));
    if let Some(duration) = trace.duration() {
        object.insert("Duration".into(), json!(duration));
    }
    object.insert("LimitExceeded".into(), json!(trace.limit_exceeded().unwrap_or(false)));
    let segments = trace.segments().iter().filter_map(|segment| {
        let document = segment.document()?;
        Some(json!({"Id": segment.id().unwrap_or_default(), "Document": document}))
    });
    object.insert("Segments".into(), Value::Array(segments.collect()));
    Value::Object(object)
}

/// The service graph, compact:
///
/// ```json
/// {"startTime": "…", "endTime": "…", "services": [
///   {"name": "orders-api", "type": "AWS::Lambda::Function", "root": true,
///    "summary": {"total": 120, "ok": 100, "errors": 12, "throttles": 4, "faults": 8, "meanResponseTime": 0.21},
///    "edges": [{"to": "orders-table", "summary": {…}}]}]}
/// ```
///
/// `errors` counts 4xx answers (throttles included), `faults` 5xx; `meanResponseTime` is in seconds. Edges name
/// the service they lead to; histograms and account details are left out.
fn service_graph_json(start: DateTime<Utc>, end: DateTime<Utc>, services: &[Service]) -> Value {
    let names: HashMap<i32, &str> =
        services.iter().filter_map(|s| Some((s.reference_id()?, s.name().unwrap_or_default()))).collect();
    let services: Vec<Value> = services
        .iter()
        .map(|service| {
            let edges: Vec<Value> = service
                .edges()
                .iter()
                .map(|edge| {
                    let to = edge.reference_id().and_then(|id| names.get(&id)).copied().unwrap_or_default();
                    let summary = edge.summary_statistics().map(|s| {
                        statistics(
                            s.total_count(),
                            s.ok_count(),
                            s.error_statistics(),
                            s.fault_statistics(),
                            s.total_response_time(),
                        )
                    });
                    json!({"to": to, "summary": summary})
                })
                .collect();
            let summary = service.summary_statistics().map(|s| {
                statistics(
                    s.total_count(),
                    s.ok_count(),
                    s.error_statistics(),
                    s.fault_statistics(),
                    s.total_response_time(),
                )
            });
            json!({
                "name": service.name(),
                "type": service.r#type(),
                "root": service.root().unwrap_or(false),
                "summary": summary,
                "edges": edges,
            })
        })
        .collect();
    json!({"startTime": start.to_rfc3339(), "endTime": end.to_rfc3339(), "services": services})
}

/// Request counts of a service or an edge (X-Ray gives both the same statistics, in two types).
fn statistics(
    total: Option<i64>,
    ok: Option<i64>,
    errors: Option<&ErrorStatistics>,
    faults: Option<&FaultStatistics>,
    total_response_time: Option<f64>,
) -> Value {
    let total = total.unwrap_or(0);
    let mean_response_time = total_response_time.filter(|_| total > 0).map(|t| t / total as f64);
    json!({
        "total": total,
        "ok": ok.unwrap_or(0),
        "errors": errors.and_then(ErrorStatistics::total_count).unwrap_or(0),
        "throttles": errors.and_then(ErrorStatistics::throttle_count).unwrap_or(0),
        "faults": faults.and_then(FaultStatistics::total_count).unwrap_or(0),
        "meanResponseTime": mean_response_time,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_xray::Client;
    use aws_sdk_xray::config::retry::RetryConfig;
    use aws_sdk_xray::operation::batch_get_traces::BatchGetTracesOutput;
    use aws_sdk_xray::operation::get_service_graph::GetServiceGraphOutput;
    use aws_sdk_xray::operation::get_trace_summaries::GetTraceSummariesOutput;
    use aws_sdk_xray::types::{Edge, EdgeStatistics, Segment, ServiceStatistics, TraceSummary};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use chrono::TimeZone;

    use super::*;

    const HOUR: i64 = 3_600;
    const T0: i64 = 1_771_240_000;

    fn window(start_hour: i64, end_hour: i64) -> Window {
        let at = |hour: i64| Utc.timestamp_opt(T0 + hour * HOUR, 0).single().unwrap();
        Window { start: at(start_hour), end: at(end_hour) }
    }

    /// A client answering from `rules`, without the SDK's own retries (a test of one answer sees that answer).
    fn client(rules: &[&Rule]) -> Client {
        mock_client!(aws_sdk_xray, RuleMode::MatchAny, rules, |c| c.retry_config(RetryConfig::disabled()))
    }

    fn summaries(ids: &[String], next_token: Option<&str>) -> GetTraceSummariesOutput {
        let summaries = ids.iter().map(|id| TraceSummary::builder().id(id).build()).collect();
        GetTraceSummariesOutput::builder()
            .set_trace_summaries(Some(summaries))
            .set_next_token(next_token.map(String::from))
            .build()
    }

    fn trace(id: &str) -> Trace {
        let document = json!({"id": format!("seg-{id}"), "trace_id": id, "name": "orders-api", "start_time": T0, "end_time": T0 + 1});
        Trace::builder()
            .id(id)
            .duration(1.0)
            .segments(Segment::builder().id(format!("seg-{id}")).document(document.to_string()).build())
            .build()
    }

    /// `BatchGetTraces` answering every id it is asked for, each batch over two pages, recording the batch sizes.
    fn batch_get_traces(batch_sizes: Arc<Mutex<Vec<usize>>>) -> Rule {
        mock!(Client::batch_get_traces).then_compute_output(move |input| {
            let ids = input.trace_ids();
            match input.next_token() {
                None => {
                    batch_sizes.lock().unwrap().push(ids.len());
                    BatchGetTracesOutput::builder().traces(trace(&ids[0])).next_token("rest").build()
                }
                Some(_) => BatchGetTracesOutput::builder()
                    .set_traces(Some(ids[1..].iter().map(|id| trace(id)).collect()))
                    .build(),
            }
        })
    }

    fn empty_service_graph() -> Rule {
        mock!(Client::get_service_graph).then_output(|| GetServiceGraphOutput::builder().build())
    }

    fn ids(count: usize) -> Vec<String> {
        (0..count).map(|i| format!("1-69930000-{i:024x}")).collect()
    }

    fn returned_ids(result: &TraceQueryResult) -> Vec<String> {
        result.traces.iter().map(|t| t["Id"].as_str().unwrap().to_string()).collect()
    }

    #[tokio::test]
    async fn summaries_are_paged_with_the_filter_and_traces_read_in_batches_of_five() {
        let all = ids(12);
        let pages = all.clone();
        let summary_rule = mock!(Client::get_trace_summaries)
            .match_requests(|r| {
                r.filter_expression() == Some("fault = true OR service(\"orders\")") && r.sampling() == Some(false)
            })
            .then_compute_output(move |input| match input.next_token() {
                None => summaries(&pages[..7], Some("page-2")),
                Some(_) => summaries(&pages[7..], None),
            });
        let batch_sizes = Arc::new(Mutex::new(Vec::new()));
        let batch_rule = batch_get_traces(batch_sizes.clone());
        let graph_rule = empty_service_graph();
        let source = XRayTraces::new(client(&[&summary_rule, &batch_rule, &graph_rule]));

        let result = source.traces(window(0, 1), Some("  fault = true OR service(\"orders\") "), 100).await.unwrap();

        assert_eq!(returned_ids(&result), all);
        assert!(!result.truncated);
        assert_eq!(summary_rule.num_calls(), 2);
        let mut sizes = batch_sizes.lock().unwrap().clone();
        sizes.sort_unstable();
        assert_eq!(sizes, [2, 5, 5]);
        assert_eq!(batch_rule.num_calls(), 6, "each batch read over its two pages");
        let first = &result.traces[0];
        assert_eq!(first["Duration"], 1.0);
        assert_eq!(first["LimitExceeded"], false);
        assert_eq!(first["Segments"][0]["Id"], format!("seg-{}", all[0]));
        let document: Value = serde_json::from_str(first["Segments"][0]["Document"].as_str().unwrap()).unwrap();
        assert_eq!(document["name"], "orders-api");
        assert_eq!(result.service_graph.unwrap()["services"], json!([]));
    }

    #[tokio::test]
    async fn a_window_longer_than_six_hours_is_read_in_six_hour_slices() {
        let asked: Arc<Mutex<Vec<(i64, i64)>>> = Arc::default();
        let recorded = asked.clone();
        let summary_rule = mock!(Client::get_trace_summaries).then_compute_output(move |input| {
            let (start, end) = (input.start_time().unwrap().secs(), input.end_time().unwrap().secs());
            recorded.lock().unwrap().push(((start - T0) / HOUR, (end - T0) / HOUR));
            summaries(&[format!("1-{start:08x}-000000000000000000000000")], None)
        });
        let graph_asked: Arc<Mutex<Vec<(i64, i64)>>> = Arc::default();
        let graph_recorded = graph_asked.clone();
        let graph_rule = mock!(Client::get_service_graph).then_compute_output(move |input| {
            let (start, end) = (input.start_time().unwrap().secs(), input.end_time().unwrap().secs());
            graph_recorded.lock().unwrap().push(((start - T0) / HOUR, (end - T0) / HOUR));
            GetServiceGraphOutput::builder().build()
        });
        let batch_rule = batch_get_traces(Arc::default());
        let source = XRayTraces::new(client(&[&summary_rule, &batch_rule, &graph_rule]));

        let result = source.traces(window(0, 14), None, 100).await.unwrap();

        assert_eq!(*asked.lock().unwrap(), [(0, 6), (6, 12), (12, 14)]);
        assert_eq!(result.traces.len(), 3);
        assert_eq!(*graph_asked.lock().unwrap(), [(8, 14)], "the service graph covers the window's last six hours");
    }

    #[test]
    fn slices_cover_the_window_exactly() {
        assert_eq!(query_slices(window(0, 6)), [(window(0, 6).start, window(0, 6).end)]);
        assert_eq!(query_slices(window(2, 2)).len(), 1);
        assert_eq!(query_slices(window(0, 12)).len(), 2);
        assert!(query_slices(window(3, 1)).is_empty());
    }

    #[tokio::test]
    async fn limit_caps_the_traces_and_says_more_existed() {
        let all = ids(7);
        let page = all.clone();
        let summary_rule = mock!(Client::get_trace_summaries).then_compute_output(move |_| summaries(&page, None));
        let batch_rule = batch_get_traces(Arc::default());
        let graph_rule = empty_service_graph();
        let source = XRayTraces::new(client(&[&summary_rule, &batch_rule, &graph_rule]));

        let capped = source.traces(window(0, 1), None, 5).await.unwrap();
        assert_eq!(returned_ids(&capped), all[..5]);
        assert!(capped.truncated);
        let exact = source.traces(window(0, 1), None, 7).await.unwrap();
        assert_eq!(exact.traces.len(), 7);
        assert!(!exact.truncated);
    }

    #[tokio::test]
    async fn unprocessed_traces_mark_the_answer_truncated() {
        let all = ids(3);
        let page = all.clone();
        let summary_rule = mock!(Client::get_trace_summaries).then_compute_output(move |_| summaries(&page, None));
        let batch_rule = mock!(Client::batch_get_traces).then_compute_output(|input| {
            let ids = input.trace_ids();
            BatchGetTracesOutput::builder()
                .traces(trace(&ids[0]))
                .set_unprocessed_trace_ids(Some(ids[1..].to_vec()))
                .build()
        });
        let graph_rule = empty_service_graph();
        let source = XRayTraces::new(client(&[&summary_rule, &batch_rule, &graph_rule]));

        let result = source.traces(window(0, 1), None, 10).await.unwrap();
        assert_eq!(returned_ids(&result), all[..1]);
        assert!(result.truncated);
    }

    #[tokio::test]
    async fn endless_empty_summary_pages_stop_at_the_cap_as_truncated() {
        let summary_rule = mock!(Client::get_trace_summaries).then_compute_output(|_| summaries(&[], Some("again")));
        let graph_rule = empty_service_graph();
        let source = XRayTraces::new(client(&[&summary_rule, &graph_rule]));

        let result = source.traces(window(0, 1), None, 10).await.unwrap();

        assert!(result.traces.is_empty() && result.truncated);
        assert_eq!(summary_rule.num_calls(), MAX_SUMMARY_PAGES);
    }

    #[tokio::test]
    async fn a_trace_split_over_pages_keeps_all_of_its_segments() {
        let id = ids(1).remove(0);
        let page = vec![id.clone()];
        let summary_rule = mock!(Client::get_trace_summaries).then_compute_output(move |_| summaries(&page, None));
        let batch_rule = mock!(Client::batch_get_traces).then_compute_output(|input| {
            let id = &input.trace_ids()[0];
            let mut part = trace(id);
            if input.next_token().is_none() {
                return BatchGetTracesOutput::builder().traces(part).next_token("rest").build();
            }
            part.segments = Some(vec![Segment::builder().id("second").document("{}").build()]);
            BatchGetTracesOutput::builder().traces(part).build()
        });
        let graph_rule = empty_service_graph();
        let source = XRayTraces::new(client(&[&summary_rule, &batch_rule, &graph_rule]));

        let result = source.traces(window(0, 1), None, 10).await.unwrap();

        assert_eq!(returned_ids(&result), std::slice::from_ref(&id));
        let segments: Vec<&str> =
            result.traces[0]["Segments"].as_array().unwrap().iter().map(|s| s["Id"].as_str().unwrap()).collect();
        assert_eq!(segments, [format!("seg-{id}").as_str(), "second"]);
    }

    fn error_body(code: &str) -> Option<String> {
        Some(json!({"__type": code, "message": "from the mock"}).to_string())
    }

    #[tokio::test]
    async fn server_errors_are_transient_and_throttling_is_throttled() {
        let failing_summaries = mock!(Client::get_trace_summaries)
            .sequence()
            .http_status(500, error_body("InternalFailure"))
            .repeatedly()
            .build();
        let graph_rule = empty_service_graph();
        let source = XRayTraces::new(client(&[&failing_summaries, &graph_rule]));
        let error = source.traces(window(0, 1), None, 10).await.unwrap_err();
        assert!(matches!(error, Fa2Error::Transient(_)), "{error:?}");

        let summary_rule = mock!(Client::get_trace_summaries).then_compute_output(|_| summaries(&ids(1), None));
        let throttled_batch = mock!(Client::batch_get_traces)
            .sequence()
            .http_status(429, error_body("ThrottledException"))
            .repeatedly()
            .build();
        let source = XRayTraces::new(client(&[&summary_rule, &throttled_batch, &graph_rule]));
        let error = source.traces(window(0, 1), None, 10).await.unwrap_err();
        assert!(matches!(&error, Fa2Error::Throttled(m) if m.contains("X-Ray BatchGetTraces")), "{error:?}");
    }

    #[tokio::test]
    async fn the_sdk_retries_throttling_itself_before_the_error_reaches_the_state_machine() {
        let throttled = mock!(Client::get_trace_summaries)
            .sequence()
            .http_status(429, error_body("ThrottledException"))
            .repeatedly()
            .build();
        let graph_rule = empty_service_graph();
        let fast_retries = RetryConfig::standard().with_initial_backoff(std::time::Duration::from_millis(1));
        let client = mock_client!(aws_sdk_xray, RuleMode::MatchAny, [&throttled, &graph_rule], |c| c
            .retry_config(fast_retries.clone()));
        let error = XRayTraces::new(client).traces(window(0, 1), None, 10).await.unwrap_err();
        assert!(matches!(error, Fa2Error::Throttled(_)), "{error:?}");
        assert_eq!(throttled.num_calls(), 3, "the SDK's standard retry makes three attempts");
    }

    #[tokio::test]
    async fn a_service_graph_denied_leaves_the_traces() {
        let summary_rule = mock!(Client::get_trace_summaries).then_compute_output(|_| summaries(&ids(2), None));
        let batch_rule = batch_get_traces(Arc::default());
        let denied_graph = mock!(Client::get_service_graph)
            .sequence()
            .http_status(403, error_body("AccessDeniedException"))
            .repeatedly()
            .build();
        let source = XRayTraces::new(client(&[&summary_rule, &batch_rule, &denied_graph]));
        let result = source.traces(window(0, 1), None, 10).await.unwrap();
        assert_eq!(result.traces.len(), 2);
        assert_eq!(result.service_graph, None);

        let throttled_graph = mock!(Client::get_service_graph)
            .sequence()
            .http_status(429, error_body("ThrottledException"))
            .repeatedly()
            .build();
        let source = XRayTraces::new(client(&[&summary_rule, &batch_rule, &throttled_graph]));
        let error = source.traces(window(0, 1), None, 10).await.unwrap_err();
        assert!(matches!(error, Fa2Error::Throttled(_)), "{error:?}");
    }

    #[tokio::test]
    async fn the_service_graph_is_compact_and_edges_name_their_target() {
        let stats = ServiceStatistics::builder()
            .total_count(10)
            .ok_count(6)
            .error_statistics(ErrorStatistics::builder().total_count(3).throttle_count(2).build())
            .fault_statistics(FaultStatistics::builder().total_count(1).build())
            .total_response_time(2.0)
            .build();
        let edge_stats = EdgeStatistics::builder().total_count(4).ok_count(4).total_response_time(0.4).build();
        let graph_rule = mock!(Client::get_service_graph).then_compute_output(move |_| {
            GetServiceGraphOutput::builder()
                .services(
                    Service::builder()
                        .reference_id(0)
                        .name("orders-api")
                        .r#type("AWS::Lambda::Function")
                        .root(true)
                        .summary_statistics(stats.clone())
                        .edges(Edge::builder().reference_id(1).summary_statistics(edge_stats.clone()).build())
                        .build(),
                )
                .services(
                    Service::builder().reference_id(1).name("orders-table").r#type("AWS::DynamoDB::Table").build(),
                )
                .build()
        });
        let summary_rule = mock!(Client::get_trace_summaries).then_compute_output(|_| summaries(&[], None));
        let source = XRayTraces::new(client(&[&summary_rule, &graph_rule]));

        let graph = source.traces(window(0, 1), None, 10).await.unwrap().service_graph.unwrap();

        assert_eq!(
            graph["services"][0],
            json!({
                "name": "orders-api", "type": "AWS::Lambda::Function", "root": true,
                "summary": {"total": 10, "ok": 6, "errors": 3, "throttles": 2, "faults": 1, "meanResponseTime": 0.2},
                "edges": [{"to": "orders-table",
                           "summary": {"total": 4, "ok": 4, "errors": 0, "throttles": 0, "faults": 0, "meanResponseTime": 0.1}}]
            })
        );
        assert_eq!(graph["services"][1]["edges"], json!([]));
        assert_eq!(graph["startTime"], window(0, 1).start.to_rfc3339());
    }
}
