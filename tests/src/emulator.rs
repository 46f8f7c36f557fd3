//! The local AWS API emulator the adapter tests run against: a moto server on a free loopback port, started once
//! per test process, stopped when the process ends, and helpers that load a bundle's telemetry into it.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use shared::ports::LogEvent;

use crate::workspace;

/// A running emulator.
#[derive(Debug)]
pub struct Emulator {
    /// `http://127.0.0.1:PORT`, what `AWS_ENDPOINT_URL` would be.
    pub endpoint: String,
    /// Held so the server lives as long as the test process: its stdin closing is the signal to stop.
    _server: Mutex<Child>,
}

impl Emulator {
    /// An SDK configuration pointing every client at the emulator, with fake credentials.
    pub fn sdk_config(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
                aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "fa2-tests"),
            ))
            .build()
    }
}

/// Starts moto's server with one correction: its `GetTraceSummaries` answers `"Users": {}` where the API has a
/// list, which the Rust SDK (rightly) refuses to read.
const MOTO_LAUNCHER: &str = r#"
import sys
import moto.xray.models as xray
summary = xray.SegmentCollection.summary
def summary_with_user_lists(self, *args, **kwargs):
    result = summary(self, *args, **kwargs)
    for trace in result["TraceSummaries"]:
        trace["Users"] = []
    return result
xray.SegmentCollection.summary = summary_with_user_lists
from moto.server import main
sys.exit(main(sys.argv[1:]))
"#;

/// A Python that can import moto's server: the one `make emulator` installs into `.venv`, else `python3`.
fn python_with_moto() -> Option<PathBuf> {
    let local = workspace().join(".venv/bin/python3");
    let candidates = [local, PathBuf::from("python3")];
    candidates.into_iter().find(|python| {
        let probe = Command::new(python).args(["-c", "import moto.server"]).stderr(Stdio::null()).status();
        probe.is_ok_and(|s| s.success())
    })
}

/// Whether a missing emulator fails the tests (`make test` sets it) instead of skipping them.
#[allow(clippy::disallowed_methods)] // test harness switch, not deployment configuration
fn emulator_required() -> bool {
    std::env::var("FA2_REQUIRE_EMULATOR").is_ok_and(|v| v == "1")
}

fn start() -> Result<Emulator, String> {
    let python = python_with_moto().ok_or("moto server is not installed (run `make emulator`)")?;
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    // The shell stops the server when our end of its stdin closes, that is when this test process exits.
    let script = format!(
        "'{}' -c \"$FA2_MOTO_LAUNCHER\" -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; read _; kill $pid",
        python.display()
    );
    let child = Command::new("sh")
        .args(["-c", &script])
        .env("FA2_MOTO_LAUNCHER", MOTO_LAUNCHER)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start moto with {}: {e}", python.display()))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() && configure(port).is_ok() {
            return Ok(Emulator { endpoint: format!("http://127.0.0.1:{port}"), _server: Mutex::new(child) });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("moto server ({}) did not answer on port {port} within 30 s", python.display()))
}

/// Asks the server to really run Step Functions definitions (without Docker for Lambda tasks).
fn configure(port: u16) -> std::io::Result<()> {
    use std::io::Write;
    let body = r#"{"stepfunctions":{"execute_state_machine":true},"lambda":{"use_docker":false}}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        stream,
        "POST /moto-api/config HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut status = String::new();
    BufReader::new(stream).read_line(&mut status)?;
    if status.contains(" 200 ") || status.contains(" 201 ") { Ok(()) } else { Err(std::io::Error::other(status)) }
}

/// The emulator of this test process, started on first use; `None` (with the reason printed) when it cannot
/// start and the run does not require it.
pub fn emulator() -> Option<&'static Emulator> {
    static EMULATOR: OnceLock<Result<Emulator, String>> = OnceLock::new();
    match EMULATOR.get_or_init(start) {
        Ok(emulator) => Some(emulator),
        Err(reason) if emulator_required() => panic!("the AWS emulator is required (FA2_REQUIRE_EMULATOR=1): {reason}"),
        Err(reason) => {
            eprintln!("skipping an emulator test: {reason}");
            None
        }
    }
}

/// Creates the log groups and streams of `events` and puts the events, in batches as `PutLogEvents` allows
/// (chronological per stream, at most 10,000 events and 1 MiB per call).
pub async fn put_logs(client: &aws_sdk_cloudwatchlogs::Client, events: &[LogEvent]) {
    let mut streams: std::collections::BTreeMap<(&str, &str), Vec<&LogEvent>> = Default::default();
    for event in events {
        streams.entry((&event.log_group, &event.log_stream)).or_default().push(event);
    }
    let mut groups: Vec<&str> = streams.keys().map(|(group, _)| *group).collect();
    groups.dedup();
    for group in groups {
        client.create_log_group().log_group_name(group).send().await.expect("CreateLogGroup");
    }
    for ((group, stream), mut events) in streams {
        client.create_log_stream().log_group_name(group).log_stream_name(stream).send().await.expect("CreateLogStream");
        events.sort_by_key(|e| e.timestamp);
        let mut batch: Vec<InputLogEvent> = Vec::new();
        let mut bytes = 0;
        for event in events {
            if batch.len() == 10_000 || bytes + event.message.len() + 26 > 1_000_000 {
                send_batch(client, group, stream, std::mem::take(&mut batch)).await;
                bytes = 0;
            }
            bytes += event.message.len() + 26;
            batch.push(
                InputLogEvent::builder()
                    .timestamp(event.timestamp)
                    .message(&event.message)
                    .build()
                    .expect("InputLogEvent"),
            );
        }
        send_batch(client, group, stream, batch).await;
    }
}

async fn send_batch(client: &aws_sdk_cloudwatchlogs::Client, group: &str, stream: &str, batch: Vec<InputLogEvent>) {
    if batch.is_empty() {
        return;
    }
    let sent = client
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(batch))
        .send()
        .await
        .expect("PutLogEvents");
    assert!(sent.rejected_log_events_info().is_none(), "events rejected: {:?}", sent.rejected_log_events_info());
}

/// Puts the segments of X-Ray traces (`BatchGetTraces` shape, as `traces.jsonl` holds them).
pub async fn put_traces(client: &aws_sdk_xray::Client, traces: &[serde_json::Value]) {
    let documents: Vec<String> = traces
        .iter()
        .flat_map(|trace| trace["Segments"].as_array().cloned().unwrap_or_default())
        .filter_map(|segment| segment["Document"].as_str().map(String::from))
        .collect();
    for chunk in documents.chunks(50) {
        let sent = client.put_trace_segments().set_trace_segment_documents(Some(chunk.to_vec())).send().await;
        let sent = sent.expect("PutTraceSegments");
        assert!(sent.unprocessed_trace_segments().is_empty(), "unprocessed: {:?}", sent.unprocessed_trace_segments());
    }
}
