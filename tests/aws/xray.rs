//! The X-Ray trace source against the emulator (see mod.rs): traces put as segments come back whole, in the
//! `traces.jsonl` shape, read in batches of five, windowed and capped. Filter expressions, time slicing and error
//! classification are unit tests over aws-smithy-mocks (the emulator has no filter expressions).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_xray::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_xray::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_xray::error::BoxError;
use chrono::{DateTime, TimeDelta, Utc};
use fa2_tests::emulator::{emulator, put_traces};
use serde_json::{Value, json};
use shared::contract::Window;
use shared::edges::aws::xray::XRayTraces;
use shared::ports::TraceSource;

/// Records how many trace ids each `BatchGetTraces` request carries, as sent over the wire.
#[derive(Debug, Clone, Default)]
struct BatchSizes(Arc<Mutex<Vec<usize>>>);

impl Intercept for BatchSizes {
    fn name(&self) -> &'static str {
        "BatchSizes"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        if request.uri().split('?').next().is_some_and(|path| path.ends_with("/Traces")) {
            let body: Value = serde_json::from_slice(request.body().bytes().unwrap_or_default())?;
            self.0.lock().unwrap().push(body["TraceIds"].as_array().map_or(0, Vec::len));
        }
        Ok(())
    }
}

fn xray_client(batch_sizes: &BatchSizes) -> Option<aws_sdk_xray::Client> {
    let emulator = emulator()?;
    let config = aws_sdk_xray::config::Builder::from(&emulator.sdk_config()).interceptor(batch_sizes.clone()).build();
    Some(aws_sdk_xray::Client::from_conf(config))
}

/// `count` traces of two segments each (an API and the worker it calls), started `ago` before now, one second
/// apart, with ids of their own: the emulator is shared by the whole test process.
fn traces(count: usize, ago: TimeDelta) -> Vec<Value> {
    let nonce = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() & 0xffff_ffff_ffff;
    let first = Utc::now() - ago;
    (0..count)
        .map(|i| {
            let start = (first + TimeDelta::seconds(i as i64)).timestamp_millis() as f64 / 1000.0;
            let id = format!("1-{:08x}-{nonce:012x}{i:012x}", start as i64);
            let (root, child) = (format!("{:012x}{i:04x}", nonce & 0xffff_ffff_ffff), format!("c{:011x}{i:04x}", nonce & 0xfff_ffff_ffff));
            let api = json!({"id": root, "trace_id": id, "name": "orders-api", "start_time": start, "end_time": start + 0.2,
                             "http": {"response": {"status": if i % 3 == 0 { 502 } else { 200 }}}, "fault": i % 3 == 0});
            let worker = json!({"id": child, "trace_id": id, "parent_id": root, "name": "orders-worker",
                                "start_time": start + 0.05, "end_time": start + 0.15, "fault": i % 3 == 0});
            json!({"Id": id, "Duration": 0.2, "LimitExceeded": false, "Segments": [
                {"Id": root, "Document": api.to_string()}, {"Id": child, "Document": worker.to_string()}]})
        })
        .collect()
}

fn window(from_ago: TimeDelta, to_ago: TimeDelta) -> Window {
    let now: DateTime<Utc> = Utc::now();
    Window { start: now - from_ago, end: now - to_ago }
}

/// Segment documents by trace id, as sets of JSON strings: the order of segments is X-Ray's to choose.
fn documents(traces: &[Value]) -> BTreeMap<String, Vec<String>> {
    traces
        .iter()
        .map(|trace| {
            let mut documents: Vec<String> = trace["Segments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|segment| segment["Document"].as_str().unwrap().to_string())
                .collect();
            documents.sort();
            (trace["Id"].as_str().unwrap().to_string(), documents)
        })
        .collect()
}

#[tokio::test]
async fn traces_in_the_window_come_back_whole_in_batches_of_five() {
    let batch_sizes = BatchSizes::default();
    let Some(client) = xray_client(&batch_sizes) else { return };
    let put = traces(12, TimeDelta::minutes(10));
    put_traces(&client, &put).await;

    let result =
        XRayTraces::new(client).traces(window(TimeDelta::minutes(30), TimeDelta::zero()), None, 1_000).await.unwrap();

    let ours: Vec<Value> = result.traces.iter().filter(|t| put.iter().any(|p| p["Id"] == t["Id"])).cloned().collect();
    assert_eq!(documents(&ours), documents(&put), "every trace put, with all of its segments");
    for trace in &ours {
        assert_eq!(trace["LimitExceeded"], false);
        assert!(trace["Duration"].is_number());
        assert!(trace["Segments"].as_array().unwrap().iter().all(|s| s["Id"].is_string()));
    }
    assert!(!result.truncated);
    let sizes = batch_sizes.0.lock().unwrap().clone();
    assert!(sizes.iter().all(|&n| (1..=5).contains(&n)), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), result.traces.len(), "each trace asked for once: {sizes:?}");
    assert!(sizes.len() >= 3, "twelve traces need three batches at least: {sizes:?}");
    assert!(result.service_graph.is_some_and(|graph| graph["services"].is_array()));
}

#[tokio::test]
async fn the_limit_caps_the_traces_and_says_more_existed() {
    let Some(client) = xray_client(&BatchSizes::default()) else { return };
    put_traces(&client, &traces(12, TimeDelta::minutes(20))).await;

    let result =
        XRayTraces::new(client).traces(window(TimeDelta::minutes(30), TimeDelta::zero()), None, 5).await.unwrap();

    assert_eq!(result.traces.len(), 5);
    assert!(result.truncated);
    assert!(result.traces.iter().all(|t| t["Segments"].as_array().is_some_and(|s| !s.is_empty())));
}

#[tokio::test]
async fn traces_outside_the_window_are_left_out() {
    let Some(client) = xray_client(&BatchSizes::default()) else { return };
    let earlier = traces(2, TimeDelta::hours(2));
    put_traces(&client, &earlier).await;
    let ids = |result: &shared::ports::TraceQueryResult| -> Vec<String> {
        let mut ids: Vec<String> = result.traces.iter().filter_map(|t| t["Id"].as_str().map(String::from)).collect();
        ids.retain(|id| earlier.iter().any(|e| e["Id"] == id.as_str()));
        ids.sort();
        ids
    };
    let source = XRayTraces::new(client);

    let recent = source.traces(window(TimeDelta::minutes(30), TimeDelta::zero()), None, 1_000).await.unwrap();
    assert!(ids(&recent).is_empty());
    let then = source.traces(window(TimeDelta::hours(3), TimeDelta::hours(1)), None, 1_000).await.unwrap();
    let mut expected: Vec<String> = earlier.iter().map(|e| e["Id"].as_str().unwrap().to_string()).collect();
    expected.sort();
    assert_eq!(ids(&then), expected);
}
