//! The CloudTrail adapter: `LookupEvents` write events over the window, paginated, paced to the API's limit of 2
//! requests per second per account, each record's `CloudTrailEvent` JSON parsed.
//!
//! Only write events are read (`ReadOnly=false`). Read events are most of an account's trail, the analysis drops
//! them as noise, and at 2 requests/s every page of them would delay the write events that can explain a failure;
//! a second, unfiltered lookup to fill the remaining room would cost time and find nothing the analysis keeps.

use async_trait::async_trait;
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types::{Event, LookupAttribute, LookupAttributeKey};
use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::{Duration, Instant};

use super::sdk_error;
use crate::contract::Window;
use crate::error::{Fa2Error, Result};
use crate::ports::{ChangeLog, ChangeQueryResult};

/// `LookupEvents` returns at most 50 events a page.
const PAGE_SIZE: usize = 50;
/// `LookupEvents` allows 2 requests per second per account and region.
const MIN_REQUEST_INTERVAL: Duration = Duration::from_millis(500);

/// Reads CloudTrail management events with one SDK client.
#[derive(Debug)]
pub struct CloudTrailLookup {
    client: Client,
    pacer: RequestPacer,
}

impl CloudTrailLookup {
    pub fn new(client: Client) -> Self {
        CloudTrailLookup { client, pacer: RequestPacer::new(MIN_REQUEST_INTERVAL) }
    }
}

#[async_trait]
impl ChangeLog for CloudTrailLookup {
    async fn lookup(&self, window: Window, limit: usize) -> Result<ChangeQueryResult> {
        let write_events = LookupAttribute::builder()
            .attribute_key(LookupAttributeKey::ReadOnly)
            .attribute_value("false")
            .build()
            .map_err(|error| Fa2Error::invalid(format!("CloudTrail LookupEvents: {error}")))?;
        let mut events: Vec<Event> = Vec::new();
        let mut next_token = None;
        while events.len() < limit {
            let room = (limit - events.len()).min(PAGE_SIZE);
            self.pacer.wait_turn().await;
            let page = self
                .client
                .lookup_events()
                .lookup_attributes(write_events.clone())
                .start_time(smithy_time(window.start))
                .end_time(smithy_time(window.end))
                .max_results(i32::try_from(room).unwrap_or(1))
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|error| sdk_error("CloudTrail LookupEvents", error))?;
            events.extend(page.events.unwrap_or_default().into_iter().take(room));
            next_token = page.next_token;
            if next_token.is_none() {
                break;
            }
        }
        // LookupEvents answers newest first; sorting (stable) keeps that promise should a page disagree.
        events.sort_by_key(|event| std::cmp::Reverse(event.event_time));
        let records = events.iter().filter_map(parse_record).collect();
        Ok(ChangeQueryResult { records, truncated: next_token.is_some() })
    }
}

/// The CloudTrail record an event carries as a JSON string; an event without a readable object is skipped.
fn parse_record(event: &Event) -> Option<Value> {
    let id = event.event_id().unwrap_or("?");
    let Some(text) = event.cloud_trail_event() else {
        tracing::warn!(event_id = id, "LookupEvents: an event without its CloudTrailEvent, skipped");
        return None;
    };
    match serde_json::from_str::<Value>(text) {
        Ok(record) if record.is_object() => Some(record),
        Ok(_) => {
            tracing::warn!(event_id = id, "LookupEvents: a CloudTrailEvent that is not a JSON object, skipped");
            None
        }
        Err(error) => {
            tracing::warn!(event_id = id, %error, "LookupEvents: an unreadable CloudTrailEvent, skipped");
            None
        }
    }
}

/// Keeps at least `interval` between the starts of consecutive requests, whichever task makes them.
#[derive(Debug)]
struct RequestPacer {
    interval: Duration,
    next_allowed: Mutex<Option<Instant>>,
}

impl RequestPacer {
    fn new(interval: Duration) -> Self {
        RequestPacer { interval, next_allowed: Mutex::new(None) }
    }

    /// Waits until a request may start, and books the next slot. The lock is held while waiting, so concurrent
    /// callers queue up one interval apart.
    async fn wait_turn(&self) {
        let mut next_allowed = self.next_allowed.lock().await;
        if let Some(at) = *next_allowed {
            tokio::time::sleep_until(at).await;
        }
        *next_allowed = Some(Instant::now() + self.interval);
    }
}

fn smithy_time(time: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_millis(time.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex as StdMutex};

    use aws_sdk_cloudtrail::operation::lookup_events::{LookupEventsError, LookupEventsInput, LookupEventsOutput};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;
    use aws_smithy_types::retry::RetryConfig;
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn window() -> Window {
        Window {
            start: Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 3, 1, 11, 0, 0).unwrap(),
        }
    }

    /// A lookup over mocked rules, pacing requests `interval` apart; the SDK's own retries are off so an error
    /// reaches the adapter on the first answer.
    fn lookup_with(rules: &[&Rule], mode: RuleMode, interval: Duration) -> CloudTrailLookup {
        let client =
            mock_client!(aws_sdk_cloudtrail, mode, rules, |config| config.retry_config(RetryConfig::disabled()));
        CloudTrailLookup { client, pacer: RequestPacer::new(interval) }
    }

    /// A write event `n` minutes into the window, as LookupEvents returns it.
    fn event(n: i64) -> Event {
        let time = window().start + chrono::Duration::minutes(n);
        let record = json!({"eventID": format!("e{n}"), "eventName": "UpdateFunctionConfiguration",
            "eventTime": time.to_rfc3339(), "readOnly": false});
        Event::builder()
            .event_id(format!("e{n}"))
            .event_time(smithy_time(time))
            .cloud_trail_event(record.to_string())
            .build()
    }

    /// Pages of LookupEvents, each the events of the given minutes (newest first), a token after all but the last.
    fn page(minutes: std::ops::Range<i64>, next_token: Option<&str>) -> LookupEventsOutput {
        let events = minutes.rev().map(event).collect();
        LookupEventsOutput::builder().set_events(Some(events)).set_next_token(next_token.map(str::to_string)).build()
    }

    fn asks_for_write_events_in_the_window(input: &LookupEventsInput) -> bool {
        let attributes = input.lookup_attributes();
        attributes.len() == 1
            && attributes[0].attribute_key() == &LookupAttributeKey::ReadOnly
            && attributes[0].attribute_value() == "false"
            && input.start_time() == Some(&smithy_time(window().start))
            && input.end_time() == Some(&smithy_time(window().end))
    }

    fn ids(result: &ChangeQueryResult) -> Vec<&str> {
        result.records.iter().map(|record| record["eventID"].as_str().unwrap_or_default()).collect()
    }

    #[tokio::test]
    async fn lookup_pages_through_write_events_newest_first() {
        let first = mock!(Client::lookup_events)
            .match_requests(|r| {
                asks_for_write_events_in_the_window(r) && r.next_token().is_none() && r.max_results() == Some(50)
            })
            .then_output(|| page(10..60, Some("page-2")));
        let second = mock!(Client::lookup_events)
            .match_requests(|r| asks_for_write_events_in_the_window(r) && r.next_token() == Some("page-2"))
            .then_output(|| page(0..10, None));
        let lookup = lookup_with(&[&first, &second], RuleMode::MatchAny, Duration::ZERO);

        let result = lookup.lookup(window(), 1_000).await.unwrap();

        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
        assert_eq!(result.records.len(), 60);
        assert_eq!(ids(&result)[..2], ["e59", "e58"]);
        assert_eq!(ids(&result)[59], "e0");
        assert!(!result.truncated);
    }

    #[tokio::test]
    async fn lookup_stops_at_the_limit_and_says_more_remained() {
        let asked_sizes = Arc::new(StdMutex::new(Vec::new()));
        let recorded = asked_sizes.clone();
        let pages = mock!(Client::lookup_events).then_compute_output(move |r| {
            let size = r.max_results().unwrap_or_default();
            recorded.lock().unwrap().push(size);
            page(0..i64::from(size), Some("more"))
        });
        let lookup = lookup_with(&[&pages], RuleMode::MatchAny, Duration::ZERO);

        let result = lookup.lookup(window(), 60).await.unwrap();

        assert_eq!(*asked_sizes.lock().unwrap(), [50, 10]);
        assert_eq!(result.records.len(), 60);
        assert!(result.truncated);
    }

    #[tokio::test(start_paused = true)]
    async fn lookup_keeps_requests_apart_by_the_interval() {
        let interval = Duration::from_millis(40);
        let started = Arc::new(StdMutex::new(Vec::new()));
        let recorded = started.clone();
        let pages = mock!(Client::lookup_events).then_compute_output(move |_| {
            let mut started = recorded.lock().unwrap();
            started.push(Instant::now());
            page(0..1, (started.len() < 3).then_some("next"))
        });
        let lookup = lookup_with(&[&pages], RuleMode::MatchAny, interval);

        lookup.lookup(window(), 1_000).await.unwrap();

        let started = started.lock().unwrap();
        assert_eq!(started.len(), 3);
        for pair in started.windows(2) {
            assert!(pair[1] - pair[0] >= interval, "requests {:?} apart", pair[1] - pair[0]);
        }
    }

    #[tokio::test]
    async fn unreadable_records_are_skipped() {
        let pages = mock!(Client::lookup_events).then_output(|| {
            let broken = |id: &str, text: Option<&str>| {
                Event::builder().event_id(id).set_cloud_trail_event(text.map(str::to_string)).build()
            };
            LookupEventsOutput::builder()
                .events(event(2))
                .events(broken("not-json", Some("{\"eventID\": ")))
                .events(broken("not-object", Some("[1, 2]")))
                .events(broken("missing", None))
                .events(event(1))
                .build()
        });
        let lookup = lookup_with(&[&pages], RuleMode::Sequential, Duration::ZERO);

        let result = lookup.lookup(window(), 1_000).await.unwrap();

        assert_eq!(ids(&result), ["e2", "e1"]);
        assert!(!result.truncated);
    }

    #[tokio::test]
    async fn sdk_failures_become_retryable_or_feedback_errors() {
        let error = |code: &'static str| {
            move || LookupEventsError::generic(ErrorMetadata::builder().code(code).message("no").build())
        };
        let throttled = mock!(Client::lookup_events).then_error(error("ThrottlingException"));
        let server_error = mock!(Client::lookup_events).sequence().http_status(503, None).build();
        let denied = mock!(Client::lookup_events).then_error(error("AccessDeniedException"));
        let outcome = |rule: &Rule| {
            let lookup = lookup_with(&[rule], RuleMode::Sequential, Duration::ZERO);
            async move { lookup.lookup(window(), 10).await }
        };

        let throttled = outcome(&throttled).await;
        assert!(matches!(throttled, Err(Fa2Error::Throttled(_))), "{throttled:?}");
        let server_error = outcome(&server_error).await;
        assert!(matches!(server_error, Err(Fa2Error::Transient(_))), "{server_error:?}");
        let denied = outcome(&denied).await;
        assert!(
            matches!(&denied, Err(Fa2Error::Upstream(m)) if m.contains("LookupEvents") && m.contains("grant")),
            "{denied:?}"
        );
    }
}
