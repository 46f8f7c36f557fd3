//! S3 as the `BlobStore`: raw tool outputs and reports as objects of one bucket, under the run's prefix.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_s3::primitives::ByteStream;

use super::sdk_error;
use crate::error::{Fa2Error, Result};
use crate::ports::BlobStore;

/// The S3 client of a process. Against a local emulator (an `AWS_ENDPOINT_URL` override) objects are addressed as
/// `endpoint/bucket/key`, because `bucket.127.0.0.1` does not resolve; against AWS the SDK's default
/// (virtual-hosted `bucket.s3.region.amazonaws.com`) stays, as path-style addressing is being retired there.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let mut config = aws_sdk_s3::config::Builder::from(sdk);
    if sdk.endpoint_url().is_some() {
        config = config.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(config.build())
}

/// Blobs as objects of one bucket; the key is the object key. Objects are encrypted as the bucket's default
/// encryption says (SSE-S3 unless the stack sets a KMS key): no per-object setting here, so the bucket policy stays
/// the one place that decides.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Blobs {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        S3Blobs { client, bucket: bucket.into() }
    }

    /// Keys are relative paths without `.`/`..` segments, as the directory store requires, so that a key that works
    /// offline works in AWS and the other way round.
    fn checked<'k>(&self, key: &'k str) -> Result<&'k str> {
        let safe = !key.is_empty() && !key.starts_with('/') && key.split('/').all(|part| part != ".." && part != ".");
        if safe {
            Ok(key)
        } else {
            Err(Fa2Error::invalid(format!("blob key {key:?} must be a relative path without '..'")))
        }
    }
}

#[async_trait]
impl BlobStore for S3Blobs {
    fn locate(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<String> {
        let key = self.checked(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| sdk_error(&format!("S3 PutObject {}", self.locate(key)), e))?;
        Ok(self.locate(key))
    }

    /// The object's bytes; a missing key is an `Upstream` error naming it (`S3 GetObject s3://bucket/key: NoSuchKey`).
    async fn get(&self, key: &str) -> Result<Vec<u8>> {
        let key = self.checked(key)?;
        let api = format!("S3 GetObject {}", self.locate(key));
        let object =
            self.client.get_object().bucket(&self.bucket).key(key).send().await.map_err(|e| sdk_error(&api, e))?;
        let body =
            object.body.collect().await.map_err(|e| Fa2Error::Transient(format!("{api}: reading the body: {e}")))?;
        Ok(body.into_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
    use aws_sdk_s3::config::{ConfigBag, Credentials, Intercept, RuntimeComponents, SharedCredentialsProvider};
    use aws_sdk_s3::error::BoxError;

    use super::*;

    /// Records where a request would go (its URI without the query), then stops it before it leaves the process.
    #[derive(Debug, Clone, Default)]
    struct CaptureUri(Arc<Mutex<Option<String>>>);

    impl Intercept for CaptureUri {
        fn name(&self) -> &'static str {
            "CaptureUri"
        }

        fn read_before_transmit(
            &self,
            context: &BeforeTransmitInterceptorContextRef<'_>,
            _components: &RuntimeComponents,
            _cfg: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            let uri = context.request().uri();
            *self.0.lock().unwrap() = Some(uri.split('?').next().unwrap_or(uri).to_string());
            Err("captured".into())
        }
    }

    async fn uri_of_get(endpoint: Option<&str>) -> String {
        let mut sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::for_tests()));
        if let Some(endpoint) = endpoint {
            sdk = sdk.endpoint_url(endpoint);
        }
        let capture = CaptureUri::default();
        let sent = s3_client(&sdk.build()).get_object().bucket("fa2-runs").key("runs/r1/report.json").customize();
        assert!(sent.interceptor(capture.clone()).send().await.is_err());
        capture.0.lock().unwrap().clone().unwrap()
    }

    #[tokio::test]
    async fn path_style_only_against_an_endpoint_override() {
        assert_eq!(
            uri_of_get(Some("http://127.0.0.1:5000")).await,
            "http://127.0.0.1:5000/fa2-runs/runs/r1/report.json"
        );
        assert_eq!(uri_of_get(None).await, "https://fa2-runs.s3.eu-west-1.amazonaws.com/runs/r1/report.json");
    }

    #[tokio::test]
    async fn keys_that_would_escape_a_directory_are_refused_as_offline() {
        let sdk =
            SdkConfig::builder().behavior_version(BehaviorVersion::latest()).region(Region::new("eu-west-1")).build();
        let store = S3Blobs::new(s3_client(&sdk), "fa2-runs");
        assert_eq!(store.locate("runs/r1/a.json"), "s3://fa2-runs/runs/r1/a.json");
        for key in ["", "/etc/passwd", "runs/../x", "./a"] {
            let error = store.put(key, Vec::new(), "text/plain").await.unwrap_err();
            assert!(matches!(error, Fa2Error::InvalidInput(_)), "{key:?}: {error:?}");
        }
    }
}
