//! The S3 blob store against the emulator (see mod.rs): objects round-trip with their content type, and a missing
//! key is an error that names it.

use std::time::{SystemTime, UNIX_EPOCH};

use fa2_tests::emulator::emulator;
use shared::edges::aws::blobs::{S3Blobs, s3_client};
use shared::error::Fa2Error;
use shared::ports::BlobStore;

/// A bucket of its own for each test: the emulator is shared by the whole test process.
async fn fresh_bucket(client: &aws_sdk_s3::Client, purpose: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    let bucket = format!("fa2-{purpose}-{nanos:x}");
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    bucket
}

#[tokio::test]
async fn objects_round_trip_with_their_content_type() {
    let Some(emulator) = emulator() else { return };
    let client = s3_client(&emulator.sdk_config());
    let bucket = fresh_bucket(&client, "round-trip").await;
    let store = S3Blobs::new(client.clone(), &bucket);

    let raw = br#"{"traces": []}"#.to_vec();
    let key = "runs/r-1/tools/xray-1.json";
    assert_eq!(store.put(key, raw.clone(), "application/json").await.unwrap(), format!("s3://{bucket}/{key}"));
    let report = "# Report\n\nRoot cause: é".as_bytes().to_vec();
    store.put("runs/r-1/report.md", report.clone(), "text/markdown; charset=utf-8").await.unwrap();

    assert_eq!(store.get(key).await.unwrap(), raw);
    assert_eq!(store.get("runs/r-1/report.md").await.unwrap(), report);
    let head = client.head_object().bucket(&bucket).key(key).send().await.unwrap();
    assert_eq!(head.content_type(), Some("application/json"));
    let head = client.head_object().bucket(&bucket).key("runs/r-1/report.md").send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/markdown; charset=utf-8"));
}

#[tokio::test]
async fn a_missing_key_or_bucket_is_feedback_that_names_it() {
    let Some(emulator) = emulator() else { return };
    let client = s3_client(&emulator.sdk_config());
    let bucket = fresh_bucket(&client, "missing").await;
    let store = S3Blobs::new(client.clone(), &bucket);

    let error = store.get("runs/r-1/none.json").await.unwrap_err();
    let Fa2Error::Upstream(message) = &error else { panic!("{error:?}") };
    assert!(
        message.contains(&format!("s3://{bucket}/runs/r-1/none.json")) && message.contains("NoSuchKey"),
        "{message}"
    );

    let nowhere = S3Blobs::new(client, format!("{bucket}-never-created"));
    let error = nowhere.put("runs/r-1/a.json", b"{}".to_vec(), "application/json").await.unwrap_err();
    let Fa2Error::Upstream(message) = &error else { panic!("{error:?}") };
    assert!(message.contains("NoSuchBucket"), "{message}");
}
