//! The round trip: a recent synthetic incident loaded into AWS — logs, traces and the blob bucket into the
//! emulator, metrics, CloudTrail and the knowledge base into the SDK fakes — analysed through the AWS adapters by
//! the production state machine, reaches the same conclusion as the offline run over the bundle.

use std::sync::Arc;

use clap::Parser;
use fa2_tests::emulator::{emulator, put_logs, put_traces};
use fa2_tests::fake_aws;
use shared::config::Config;
use shared::contract::Report;
use shared::edges::aws::audit::CloudTrailLookup;
use shared::edges::aws::blobs::{S3Blobs, s3_client};
use shared::edges::aws::kb::BedrockKnowledgeBase;
use shared::edges::aws::logs::CloudWatchLogs;
use shared::edges::aws::metrics::CloudWatchMetrics;
use shared::edges::aws::xray::XRayTraces;
use shared::edges::bundle::Bundle;
use shared::local::{LocalExecution, LocalRun, analyze, execute};
use shared::tools::Toolbox;

fn conclusion(report: &Report) -> (shared::contract::Status, Option<(String, shared::contract::Category)>) {
    (report.status, report.hypotheses.first().map(|h| (h.component.clone(), h.category)))
}

#[tokio::test]
async fn a_bundle_loaded_into_aws_reaches_the_same_conclusion_through_the_aws_adapters() {
    let Some(emulator) = emulator() else { return };
    let scratch = tempfile::tempdir().unwrap();
    let corpus = scratch.path().join("corpus");
    let synth = fa2::Cli::parse_from([
        "fa2",
        "synth",
        "--out",
        corpus.to_str().unwrap(),
        "--kind",
        "dependency-timeout",
        "--seed",
        "21",
        "--domain",
        "quotes",
        "--name",
        "roundtrip",
        "--ends-at",
        "now",
    ]);
    fa2::run(synth, &mut Vec::new(), Arc::new(|_: &str| {})).await.unwrap();
    let dir = corpus.join("roundtrip");
    let bundle = Arc::new(Bundle::load(&dir).unwrap());

    let sdk = emulator.sdk_config();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    put_logs(&logs, &bundle.logs).await;
    let xray = aws_sdk_xray::Client::new(&sdk);
    put_traces(&xray, &bundle.traces).await;
    let s3 = s3_client(&sdk);
    s3.create_bucket().bucket("fa2-roundtrip").send().await.unwrap();

    let toolbox = Toolbox {
        logs: Some(Arc::new(CloudWatchLogs::new(logs))),
        metrics: Some(Arc::new(CloudWatchMetrics::new(fake_aws::cloudwatch(bundle.clone())))),
        changes: Some(Arc::new(CloudTrailLookup::new(fake_aws::cloudtrail(bundle.clone())))),
        traces: Some(Arc::new(XRayTraces::new(xray))),
        knowledge: Some(Arc::new(BedrockKnowledgeBase::new(fake_aws::knowledge_base(bundle.clone()), "KB12345678"))),
    };
    let online = execute(LocalExecution {
        input: bundle.input.clone(),
        config: Config::from_environment(&bundle.environment).unwrap(),
        toolbox,
        blobs: Arc::new(S3Blobs::new(s3.clone(), "fa2-roundtrip")),
        out_dir: scratch.path().join("online"),
        name: "roundtrip-aws".into(),
        time_scale: 0.0,
        on_event: None,
        recorded_at: None,
    })
    .await
    .unwrap();
    let offline = analyze(LocalRun {
        bundle_dir: dir.clone(),
        out_dir: scratch.path().join("offline"),
        max_agent_cycles: None,
        language: None,
        time_scale: 0.0,
        on_event: None,
    })
    .await
    .unwrap();

    assert_eq!(offline.report.status, shared::contract::Status::RootCauseIdentified, "{}", offline.report.summary);
    assert_eq!(conclusion(&online.report), conclusion(&offline.report), "{}", online.report.summary);
    assert_eq!(online.report.usage.tool_calls, offline.report.usage.tool_calls);
    // Every raw tool output and the report went to the bucket under the run's prefix.
    let stored = s3.list_objects_v2().bucket("fa2-roundtrip").prefix("runs/roundtrip-aws/").send().await.unwrap();
    let keys: Vec<&str> = stored.contents().iter().filter_map(|o| o.key()).collect();
    let actions: Vec<&str> = online.report.actions.iter().map(|a| a.detail.as_str()).collect();
    assert!(!actions.iter().any(|a| a.contains("could not read")), "every AWS tool answered: {actions:?}");
    assert!(
        keys.iter().filter(|k| k.contains("/tools/")).count() >= online.report.usage.tool_calls as usize,
        "{keys:?} {actions:?}"
    );
    assert!(keys.iter().any(|k| k.ends_with("report.json")), "{keys:?}");
}
