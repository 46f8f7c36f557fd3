//! The logs adapter over the wire (see mod.rs): Logs Insights and FilterLogEvents against the emulator, with
//! missing log groups. The emulator's Insights knows only `fields`, `sort` and `limit`, and its filter patterns
//! only plain terms; polling, timeouts and error classification are covered with mocks in the adapter's own tests.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fa2_tests::emulator::{emulator, put_logs};
use shared::config::DEFAULT_INSIGHTS_QUERY;
use shared::contract::Window;
use shared::edges::aws::logs::CloudWatchLogs;
use shared::ports::{LogEvent, LogFilter, LogQuery, LogSearch};

/// A log group name no other test of this process uses (the emulator is shared by all of them).
fn unique_group(name: &str) -> String {
    format!("/fa2-test/{name}/{}", Utc::now().timestamp_nanos_opt().unwrap_or_default())
}

fn event(group: &str, stream: &str, at: DateTime<Utc>, message: &str) -> LogEvent {
    LogEvent {
        log_group: group.into(),
        log_stream: stream.into(),
        timestamp: at.timestamp_millis(),
        message: message.into(),
    }
}

/// The adapter over the emulator, and the last hour as the window (the emulator keeps 14 days at most).
fn setup() -> Option<(aws_sdk_cloudwatchlogs::Client, CloudWatchLogs, Window, DateTime<Utc>)> {
    let emulator = emulator()?;
    let client = aws_sdk_cloudwatchlogs::Client::new(&emulator.sdk_config());
    let logs = CloudWatchLogs::new(client.clone()).with_polling(
        Duration::from_millis(10),
        Duration::from_millis(50),
        Duration::from_secs(10),
    );
    let now = Utc::now();
    Some((client, logs, Window { start: now - chrono::Duration::hours(1), end: now }, now))
}

fn minutes_ago(now: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    now - chrono::Duration::minutes(minutes)
}

fn insights(groups: &[&String], window: Window, limit: usize) -> LogQuery {
    LogQuery {
        log_groups: groups.iter().map(|g| g.to_string()).collect(),
        window,
        query: DEFAULT_INSIGHTS_QUERY.into(),
        limit,
        filter: None,
    }
}

#[tokio::test]
async fn insights_over_two_groups_returns_the_window_newest_first() {
    let Some((client, logs, window, now)) = setup() else { return };
    let (orders, billing) = (unique_group("insights-orders"), unique_group("insights-billing"));
    let seeded = [
        event(&orders, "2026/01/01/[$LATEST]a", minutes_ago(now, 30), "START RequestId: 1"),
        event(&orders, "2026/01/01/[$LATEST]b", minutes_ago(now, 10), "ERROR Task timed out after 3.00 seconds"),
        event(&billing, "billing-stream", minutes_ago(now, 20), "WARN retrying charge"),
        event(&billing, "billing-stream", minutes_ago(now, 180), "too old for the window"),
    ];
    put_logs(&client, &seeded).await;

    let answer = logs.query(&insights(&[&orders, &billing], window, 100)).await.unwrap();
    let expected = [seeded[1].clone(), seeded[2].clone(), seeded[0].clone()];
    assert_eq!(answer.events, expected);
    assert!(!answer.truncated && answer.missing_groups.is_empty());
}

#[tokio::test]
async fn a_missing_group_is_reported_while_the_existing_one_answers() {
    let Some((client, logs, window, now)) = setup() else { return };
    let (present, gone) = (unique_group("present"), unique_group("gone"));
    // A group whose name starts with the missing one's must not pass for it.
    let longer = format!("{gone}-longer");
    let seeded =
        [event(&present, "s", minutes_ago(now, 5), "ERROR boom"), event(&longer, "s", minutes_ago(now, 5), "other")];
    put_logs(&client, &seeded).await;

    let answer = logs.query(&insights(&[&gone, &present], window, 100)).await.unwrap();
    assert_eq!(answer.missing_groups, std::slice::from_ref(&gone));
    assert_eq!(answer.events, [seeded[0].clone()]);

    let nothing = logs.query(&insights(&[&gone], window, 100)).await.unwrap();
    assert!(nothing.events.is_empty());
    assert_eq!(nothing.missing_groups, [gone]);
}

#[tokio::test]
async fn filter_log_events_by_stream_prefix_and_term_pages_to_the_limit() {
    let Some((client, logs, window, now)) = setup() else { return };
    let (api, gone) = (unique_group("filter-api"), unique_group("filter-gone"));
    let seeded = [
        event(&api, "web-1", minutes_ago(now, 40), "ERROR upstream reset"),
        event(&api, "web-1", minutes_ago(now, 30), "INFO request ok"),
        event(&api, "web-2", minutes_ago(now, 20), "ERROR upstream timeout"),
        event(&api, "worker-1", minutes_ago(now, 15), "ERROR job failed"),
        event(&api, "web-2", minutes_ago(now, 10), "ERROR upstream reset again"),
        event(&api, "web-1", minutes_ago(now, 120), "ERROR before the window"),
    ];
    put_logs(&client, &seeded).await;
    let search = |limit: usize| LogQuery {
        filter: Some(LogFilter { stream_prefix: Some("web".into()), pattern: Some("ERROR".into()) }),
        ..insights(&[&api, &gone], window, limit)
    };

    let all = logs.query(&search(10)).await.unwrap();
    assert_eq!(all.events, [seeded[0].clone(), seeded[2].clone(), seeded[4].clone()]);
    assert_eq!((all.truncated, all.missing_groups.as_slice()), (false, [gone.clone()].as_slice()));

    let first_two = logs.query(&search(2)).await.unwrap();
    assert_eq!(first_two.events, [seeded[0].clone(), seeded[2].clone()]);
    assert!(first_two.truncated);
}
