//! The AWS adapters over the wire: against the local emulator (moto server) where it implements the API, and
//! against aws-smithy-mocks where it does not (see ARCHITECTURE.md for which is which).

mod blobs;
mod capture;
mod kb;
mod logs;
mod replay;
mod roundtrip;
mod xray;

use fa2_tests::emulator::emulator;

#[tokio::test]
async fn the_emulator_starts_and_keeps_what_is_put_into_it() {
    let Some(emulator) = emulator() else { return };
    let logs = aws_sdk_cloudwatchlogs::Client::new(&emulator.sdk_config());
    let event = shared::ports::LogEvent {
        log_group: "/fa2/harness".into(),
        log_stream: "one".into(),
        timestamp: chrono::Utc::now().timestamp_millis(),
        message: "hello".into(),
    };
    fa2_tests::emulator::put_logs(&logs, std::slice::from_ref(&event)).await;
    let found = logs.filter_log_events().log_group_name("/fa2/harness").send().await.unwrap();
    assert_eq!(found.events().iter().filter_map(|e| e.message()).collect::<Vec<_>>(), ["hello"]);
}
