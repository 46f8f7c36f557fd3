//! The CloudWatch Logs adapter of [`LogSearch`]: a Logs Insights query (StartQuery, GetQueryResults polled with
//! backoff, StopQuery when it runs too long), or FilterLogEvents when a stream prefix or filter pattern is asked
//! for. Log groups that do not exist are reported in `missing_groups` while the others still answer.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatchlogs::operation::filter_log_events::{FilterLogEventsError, FilterLogEventsOutput};
use aws_sdk_cloudwatchlogs::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_cloudwatchlogs::operation::start_query::{StartQueryError, StartQueryOutput};
use aws_sdk_cloudwatchlogs::types::{QueryStatus, ResultField};
use chrono::NaiveDateTime;
use tokio::time::Instant;

use super::sdk_error;
use crate::config::MAX_LOG_GROUPS;
use crate::contract::Window;
use crate::error::{Fa2Error, Result};
use crate::ports::{LogEvent, LogFilter, LogQuery, LogQueryResult, LogSearch};

/// Rows of one Insights query, and events of one FilterLogEvents page, at most.
const MAX_RESULTS: usize = 10_000;
/// Each wait between two GetQueryResults calls is this much longer than the one before.
const BACKOFF_FACTOR: f64 = 1.5;
/// How Logs Insights writes `@timestamp` (UTC).
const INSIGHTS_TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";
/// Fields left out of a message built from a row: they become `LogEvent` fields, or (`@ptr`) mean nothing to a reader.
const NOT_IN_BUILT_MESSAGE: [&str; 5] = ["@timestamp", "@message", "@logStream", "@log", "@ptr"];

const START_QUERY: &str = "Logs StartQuery";
const GET_QUERY_RESULTS: &str = "Logs GetQueryResults";
const STOP_QUERY: &str = "Logs StopQuery";
const DESCRIBE_LOG_GROUPS: &str = "Logs DescribeLogGroups";
const FILTER_LOG_EVENTS: &str = "Logs FilterLogEvents";

/// How long to wait for a query: the first wait before GetQueryResults, growing by half each time up to
/// `max_interval`, and the whole time allowed before the query is stopped. FilterLogEvents paging stops at
/// `timeout` too (with `truncated` set).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Polling {
    initial: Duration,
    max_interval: Duration,
    timeout: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            initial: Duration::from_millis(250),
            max_interval: Duration::from_secs(5),
            timeout: Duration::from_secs(60),
        }
    }
}

/// [`LogSearch`] over CloudWatch Logs.
#[derive(Debug, Clone)]
pub struct CloudWatchLogs {
    client: Client,
    polling: Polling,
}

impl CloudWatchLogs {
    pub fn new(client: Client) -> Self {
        CloudWatchLogs { client, polling: Polling::default() }
    }

    /// The same adapter with another polling policy (tests use milliseconds).
    pub fn with_polling(self, initial: Duration, max_interval: Duration, timeout: Duration) -> Self {
        CloudWatchLogs { polling: Polling { initial, max_interval, timeout }, ..self }
    }

    async fn insights(&self, query: &LogQuery) -> Result<LogQueryResult> {
        if query.log_groups.len() > MAX_LOG_GROUPS {
            return Err(Fa2Error::invalid(format!(
                "a Logs Insights query takes at most {MAX_LOG_GROUPS} log groups, {} were given: split them",
                query.log_groups.len()
            )));
        }
        let limit = query.limit.clamp(1, MAX_RESULTS);
        let (started, groups, missing_groups) = match self.start_query(&query.log_groups, query, limit).await {
            Ok(started) => (started, query.log_groups.clone(), Vec::new()),
            // StartQuery refuses the whole set when one group is missing: find which, and ask the others.
            Err(error) if is_missing(&error) => {
                let (existing, missing) = self.split_existing(&query.log_groups).await?;
                if existing.is_empty() {
                    return Ok(LogQueryResult { missing_groups: missing, ..LogQueryResult::default() });
                }
                if missing.is_empty() {
                    // Every group exists, so what was not found is something else; asking again would not help.
                    return Err(sdk_error(START_QUERY, error));
                }
                let started = self.start_query(&existing, query, limit).await.map_err(|e| sdk_error(START_QUERY, e))?;
                (started, existing, missing)
            }
            Err(error) => return Err(sdk_error(START_QUERY, error)),
        };
        let query_id = started
            .query_id()
            .ok_or_else(|| Fa2Error::Upstream(format!("{START_QUERY}: the answer has no query id")))?;
        let output = self.results_of(query_id).await?;

        let rows = output.results();
        let only_group = match groups.as_slice() {
            [group] => Some(group.as_str()),
            _ => None,
        };
        let window_end = query.window.end.timestamp_millis();
        let events: Vec<LogEvent> =
            rows.iter().take(limit).map(|row| event_of_row(row, only_group, window_end)).collect();
        // `stats` rows summarise many records each, so only event rows say anything by being fewer than matched.
        let rows_are_events = rows.iter().any(|row| field(row, "@ptr").is_some());
        let matched = output.statistics().map_or(0.0, |statistics| statistics.records_matched());
        let truncated = rows.len() >= limit || (rows_are_events && matched > rows.len() as f64);
        Ok(LogQueryResult { events, truncated, missing_groups })
    }

    async fn start_query(
        &self,
        groups: &[String],
        query: &LogQuery,
        limit: usize,
    ) -> Result<StartQueryOutput, SdkError<StartQueryError>> {
        let (start, end) = epoch_seconds(query.window);
        self.client
            .start_query()
            .set_log_group_names(Some(groups.to_vec()))
            .start_time(start)
            .end_time(end)
            .query_string(&query.query)
            .limit(limit.min(MAX_RESULTS) as i32)
            .send()
            .await
    }

    /// Polls until the query ends; stops it when it outlives the polling timeout.
    async fn results_of(&self, query_id: &str) -> Result<GetQueryResultsOutput> {
        let deadline = Instant::now() + self.polling.timeout;
        let mut wait = self.polling.initial;
        loop {
            tokio::time::sleep(wait.min(deadline.saturating_duration_since(Instant::now()))).await;
            let output = self
                .client
                .get_query_results()
                .query_id(query_id)
                .send()
                .await
                .map_err(|e| sdk_error(GET_QUERY_RESULTS, e))?;
            let ended = match output.status() {
                Some(QueryStatus::Complete) => return Ok(output),
                Some(QueryStatus::Failed) => Some(
                    "failed in CloudWatch Logs: check that its commands and fields suit these log groups, or simplify it",
                ),
                Some(QueryStatus::Cancelled) => {
                    Some("was cancelled before it finished; run it again if it is still needed")
                }
                Some(QueryStatus::Timeout) => Some(
                    "ran past the CloudWatch Logs time limit; narrow it: a shorter window, fewer log groups, or a \
                     `filter` before any `stats`",
                ),
                // Scheduled or Running.
                _ => None,
            };
            if let Some(ended) = ended {
                return Err(Fa2Error::Upstream(format!("Logs Insights query {query_id} {ended}")));
            }
            if Instant::now() >= deadline {
                self.stop(query_id).await;
                return Err(Fa2Error::Upstream(format!(
                    "Logs Insights query {query_id} was still running after {:.0} s and was stopped; narrow it: a \
                     shorter window, fewer log groups, a `filter` early in the query, or a lower limit",
                    self.polling.timeout.as_secs_f64()
                )));
            }
            wait = wait.mul_f64(BACKOFF_FACTOR).min(self.polling.max_interval);
        }
    }

    async fn stop(&self, query_id: &str) {
        if let Err(error) = self.client.stop_query().query_id(query_id).send().await {
            // CloudWatch ends the query at its own limit; failing to stop it early only costs the scanning.
            tracing::warn!(query_id, error = %sdk_error(STOP_QUERY, error), "could not stop a Logs Insights query");
        }
    }

    /// The groups that exist and those that do not, in the order given.
    async fn split_existing(&self, groups: &[String]) -> Result<(Vec<String>, Vec<String>)> {
        let mut existing = Vec::new();
        let mut missing = Vec::new();
        for group in groups {
            // Log groups are listed in ASCII order, so a group, a prefix of every other match, comes first.
            let listed = self
                .client
                .describe_log_groups()
                .log_group_name_prefix(group)
                .limit(1)
                .send()
                .await
                .map_err(|e| sdk_error(DESCRIBE_LOG_GROUPS, e))?;
            if listed.log_groups().iter().any(|found| found.log_group_name() == Some(group.as_str())) {
                existing.push(group.clone());
            } else {
                missing.push(group.clone());
            }
        }
        Ok((existing, missing))
    }

    /// FilterLogEvents over each group, paged until `limit` events in all, shared between the groups so that a
    /// chatty group does not crowd the others out.
    async fn filter(&self, query: &LogQuery, filter: &LogFilter) -> Result<LogQueryResult> {
        // A blank prefix or pattern means "all", which CloudWatch is told by leaving it out.
        let not_blank =
            |text: &Option<String>| text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(String::from);
        let filter = LogFilter { stream_prefix: not_blank(&filter.stream_prefix), pattern: not_blank(&filter.pattern) };
        let deadline = Instant::now() + self.polling.timeout;
        let mut cursors: Vec<Cursor> =
            query.log_groups.iter().map(|group| Cursor { group, next_token: None, done: false }).collect();
        let mut result = LogQueryResult::default();
        let mut remaining = query.limit.max(1);
        while remaining > 0 && Instant::now() < deadline {
            let active = cursors.iter().filter(|cursor| !cursor.done).count();
            if active == 0 {
                break;
            }
            let share = remaining.div_ceil(active).min(MAX_RESULTS);
            for cursor in cursors.iter_mut().filter(|cursor| !cursor.done) {
                if remaining == 0 {
                    break;
                }
                let page = match self.filter_page(query, &filter, cursor, share.min(remaining)).await {
                    Ok(page) => page,
                    Err(error) if is_missing(&error) => {
                        result.missing_groups.push(cursor.group.to_string());
                        cursor.done = true;
                        continue;
                    }
                    Err(error) => return Err(sdk_error(FILTER_LOG_EVENTS, error)),
                };
                for event in page.events() {
                    let stream = event.log_stream_name().unwrap_or_default();
                    // CloudWatch has applied the prefix already; the emulator ignores it, and checking is free.
                    if remaining == 0 || filter.stream_prefix.as_deref().is_some_and(|p| !stream.starts_with(p)) {
                        continue;
                    }
                    remaining -= 1;
                    result.events.push(LogEvent {
                        log_group: cursor.group.to_string(),
                        log_stream: stream.to_string(),
                        timestamp: event.timestamp().unwrap_or(query.window.end.timestamp_millis()),
                        message: event.message().unwrap_or_default().to_string(),
                    });
                }
                cursor.next_token = page.next_token().map(str::to_string);
                cursor.done = cursor.next_token.is_none();
            }
        }
        result.truncated = cursors.iter().any(|cursor| !cursor.done);
        result.events.sort_by_key(|event| event.timestamp);
        Ok(result)
    }

    async fn filter_page(
        &self,
        query: &LogQuery,
        filter: &LogFilter,
        cursor: &Cursor<'_>,
        limit: usize,
    ) -> Result<FilterLogEventsOutput, SdkError<FilterLogEventsError>> {
        self.client
            .filter_log_events()
            .log_group_name(cursor.group)
            .set_log_stream_name_prefix(filter.stream_prefix.clone())
            .set_filter_pattern(filter.pattern.clone())
            .start_time(query.window.start.timestamp_millis())
            .end_time(query.window.end.timestamp_millis())
            .limit(limit.min(MAX_RESULTS) as i32)
            .set_next_token(cursor.next_token.clone())
            .send()
            .await
    }
}

/// Where the FilterLogEvents paging of one log group is.
struct Cursor<'a> {
    group: &'a str,
    next_token: Option<String>,
    /// No more pages, or the group does not exist.
    done: bool,
}

#[async_trait]
impl LogSearch for CloudWatchLogs {
    async fn query(&self, query: &LogQuery) -> Result<LogQueryResult> {
        if query.log_groups.is_empty() {
            return Err(Fa2Error::invalid("a log query needs at least one log group"));
        }
        match &query.filter {
            Some(filter) => self.filter(query, filter).await,
            None => self.insights(query).await,
        }
    }
}

fn is_missing<E: ProvideErrorMetadata>(error: &SdkError<E>) -> bool {
    error.code() == Some("ResourceNotFoundException")
}

/// The window in whole epoch seconds, widened to take in its last partial second.
fn epoch_seconds(window: Window) -> (i64, i64) {
    let end_millis = window.end.timestamp_millis();
    (window.start.timestamp(), end_millis.div_euclid(1000) + i64::from(end_millis.rem_euclid(1000) > 0))
}

fn field<'a>(row: &'a [ResultField], name: &str) -> Option<&'a str> {
    row.iter().find(|f| f.field() == Some(name)).and_then(ResultField::value)
}

/// One Insights row as an event. A row without `@message` (`stats`, or `fields` without it) becomes the message
/// `name=value name=value`, so nothing it says is lost; one without `@timestamp` is dated at the window's end.
fn event_of_row(row: &[ResultField], only_group: Option<&str>, window_end: i64) -> LogEvent {
    let message = field(row, "@message").map(str::to_string).unwrap_or_else(|| {
        let pairs = row.iter().filter_map(|f| {
            let name = f.field()?;
            (!NOT_IN_BUILT_MESSAGE.contains(&name)).then(|| format!("{name}={}", f.value().unwrap_or("")))
        });
        pairs.collect::<Vec<_>>().join(" ")
    });
    // `@log` is `accountId:logGroupName`; a group name has no colon.
    let log_group = field(row, "@log").and_then(|log| log.rsplit(':').next()).or(only_group).unwrap_or_default();
    LogEvent {
        log_group: log_group.to_string(),
        log_stream: field(row, "@logStream").unwrap_or_default().to_string(),
        timestamp: field(row, "@timestamp").and_then(parse_insights_time).unwrap_or(window_end),
        message,
    }
}

/// `2026-11-20 10:15:03.123` (UTC) as epoch milliseconds; the emulator answers epoch milliseconds themselves.
fn parse_insights_time(text: &str) -> Option<i64> {
    NaiveDateTime::parse_from_str(text, INSIGHTS_TIME_FORMAT)
        .map(|time| time.and_utc().timestamp_millis())
        .ok()
        .or_else(|| text.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
    use aws_sdk_cloudwatchlogs::operation::stop_query::StopQueryOutput;
    use aws_sdk_cloudwatchlogs::types::{FilteredLogEvent, LogGroup, QueryStatistics};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use aws_smithy_types::retry::RetryConfig;
    use chrono::{TimeZone, Utc};

    fn client(rules: &[&Rule]) -> CloudWatchLogs {
        // The SDK's own retries are off so each rule sees exactly the calls the adapter makes.
        let client = mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, rules, |c| c
            .retry_config(RetryConfig::disabled()));
        CloudWatchLogs::new(client).with_polling(
            Duration::from_millis(1),
            Duration::from_millis(4),
            Duration::from_millis(300),
        )
    }

    fn window() -> Window {
        Window {
            start: Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 11, 20, 10, 30, 0).unwrap() + chrono::Duration::milliseconds(500),
        }
    }

    fn insights(groups: &[&str], limit: usize) -> LogQuery {
        LogQuery {
            log_groups: groups.iter().map(|g| g.to_string()).collect(),
            window: window(),
            query: "fields @timestamp, @message | sort @timestamp desc".into(),
            limit,
            filter: None,
        }
    }

    fn row(fields: &[(&str, &str)]) -> Vec<ResultField> {
        fields.iter().map(|(name, value)| ResultField::builder().field(*name).value(*value).build()).collect()
    }

    fn results(status: QueryStatus, rows: Vec<Vec<ResultField>>, matched: f64) -> GetQueryResultsOutput {
        GetQueryResultsOutput::builder()
            .status(status)
            .set_results(Some(rows))
            .statistics(QueryStatistics::builder().records_matched(matched).build())
            .build()
    }

    fn started() -> Rule {
        mock!(Client::start_query).then_output(|| StartQueryOutput::builder().query_id("q-1").build())
    }

    fn stop() -> Rule {
        mock!(Client::stop_query).then_output(|| StopQueryOutput::builder().success(true).build())
    }

    fn aws_error(code: &str) -> Option<String> {
        Some(format!(r#"{{"__type": "{code}", "message": "{code} happened"}}"#))
    }

    #[tokio::test]
    async fn polls_with_backoff_until_complete_and_maps_rows_to_events() {
        let start = mock!(Client::start_query)
            .match_requests(|r| {
                r.log_group_names() == ["/aws/lambda/a", "/aws/lambda/b"]
                    && r.start_time() == Some(window().start.timestamp())
                    && r.end_time() == Some(window().end.timestamp() + 1)
                    && r.limit() == Some(3)
                    && r.query_string().is_some_and(|q| q.starts_with("fields"))
            })
            .then_output(|| StartQueryOutput::builder().query_id("q-1").build());
        let poll = mock!(Client::get_query_results)
            .match_requests(|r| r.query_id() == Some("q-1"))
            .sequence()
            .output(|| results(QueryStatus::Scheduled, vec![], 0.0))
            .output(|| results(QueryStatus::Running, vec![], 0.0))
            .output(|| {
                let event = row(&[
                    ("@timestamp", "2026-11-20 10:15:03.123"),
                    ("@message", "ERROR boom"),
                    ("@logStream", "2026/11/20/[$LATEST]abc"),
                    ("@log", "123456789012:/aws/lambda/b"),
                    ("@ptr", "p1"),
                ]);
                results(QueryStatus::Complete, vec![event], 7.0)
            })
            .build();
        let logs = client(&[&start, &poll]);
        let answer = logs.query(&insights(&["/aws/lambda/a", "/aws/lambda/b"], 3)).await.unwrap();
        assert_eq!((start.num_calls(), poll.num_calls()), (1, 3));
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 10, 15, 3).unwrap() + chrono::Duration::milliseconds(123);
        let expected = LogEvent {
            log_group: "/aws/lambda/b".into(),
            log_stream: "2026/11/20/[$LATEST]abc".into(),
            timestamp: at.timestamp_millis(),
            message: "ERROR boom".into(),
        };
        assert_eq!(answer.events, [expected]);
        // 7 records matched, 1 row returned: more existed than came back.
        assert!(answer.truncated && answer.missing_groups.is_empty());
    }

    #[tokio::test]
    async fn stats_rows_keep_their_values_and_a_full_page_is_truncated() {
        let poll = mock!(Client::get_query_results).then_output(|| {
            let rows = vec![
                row(&[("bin(5m)", "2026-11-20 10:05:00.000"), ("count(*)", "12")]),
                row(&[("bin(5m)", "2026-11-20 10:10:00.000"), ("count(*)", "40")]),
            ];
            results(QueryStatus::Complete, rows, 52.0)
        });
        let logs = client(&[&started(), &poll]);
        let answer = logs.query(&insights(&["/only"], 10)).await.unwrap();
        let messages: Vec<_> = answer.events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            ["bin(5m)=2026-11-20 10:05:00.000 count(*)=12", "bin(5m)=2026-11-20 10:10:00.000 count(*)=40"]
        );
        assert!(answer.events.iter().all(|e| e.log_group == "/only" && e.timestamp == window().end.timestamp_millis()));
        assert!(!answer.truncated, "aggregated rows are fewer than the records they count");

        let capped = logs.query(&insights(&["/only"], 2)).await.unwrap();
        assert!(capped.truncated, "as many rows as the limit");
    }

    #[tokio::test]
    async fn a_query_that_outlives_the_timeout_is_stopped() {
        let poll = mock!(Client::get_query_results).then_output(|| results(QueryStatus::Running, vec![], 0.0));
        let stop = mock!(Client::stop_query)
            .match_requests(|r| r.query_id() == Some("q-1"))
            .then_output(|| StopQueryOutput::builder().success(true).build());
        let logs = client(&[&started(), &poll, &stop]).with_polling(
            Duration::from_millis(1),
            Duration::from_millis(2),
            Duration::from_millis(30),
        );
        let error = logs.query(&insights(&["/a"], 10)).await.unwrap_err();
        assert!(matches!(&error, Fa2Error::Upstream(m) if m.contains("stopped") && m.contains("narrow")), "{error}");
        assert_eq!(stop.num_calls(), 1);
        assert!(poll.num_calls() >= 3, "polled {} times", poll.num_calls());
    }

    #[tokio::test]
    async fn queries_ended_by_cloudwatch_are_feedback_and_not_stopped() {
        for (status, expected) in [
            (QueryStatus::Failed, "failed"),
            (QueryStatus::Timeout, "time limit"),
            (QueryStatus::Cancelled, "cancelled"),
        ] {
            let poll = mock!(Client::get_query_results).then_output(move || results(status.clone(), vec![], 0.0));
            let stop = stop();
            let error = client(&[&started(), &poll, &stop]).query(&insights(&["/a"], 10)).await.unwrap_err();
            assert!(matches!(&error, Fa2Error::Upstream(m) if m.contains(expected)), "{error}");
            assert_eq!(stop.num_calls(), 0);
        }
    }

    #[tokio::test]
    async fn throttling_and_server_errors_are_retryable_and_the_rest_feedback() {
        let cases = [
            (400, "ThrottlingException", "Fa2.Throttled"),
            (400, "LimitExceededException", "Fa2.Throttled"),
            (500, "InternalFailure", "Fa2.Transient"),
            (503, "ServiceUnavailableException", "Fa2.Transient"),
            (400, "MalformedQueryException", "Fa2.Upstream"),
            (400, "AccessDeniedException", "Fa2.Upstream"),
        ];
        for (status, code, expected) in cases {
            let start = mock!(Client::start_query).sequence().http_status(status, aws_error(code)).build();
            let error = client(&[&start]).query(&insights(&["/a"], 10)).await.unwrap_err();
            assert_eq!(error.error_type(), expected, "{code}: {error}");
            assert!(error.to_string().contains(code), "{error}");
        }
        let poll = mock!(Client::get_query_results).sequence().http_status(500, None).build();
        let error = client(&[&started(), &poll]).query(&insights(&["/a"], 10)).await.unwrap_err();
        assert!(matches!(error, Fa2Error::Transient(_)), "{error}");
    }

    fn describe_existing(existing: &'static [&'static str]) -> Rule {
        mock!(Client::describe_log_groups).then_compute_output(move |r| {
            let prefix = r.log_group_name_prefix().unwrap_or_default();
            // Like CloudWatch: every group starting with the prefix, so a longer name must not count as the group.
            let groups = existing.iter().filter(|g| g.starts_with(prefix));
            let groups = groups.map(|g| LogGroup::builder().log_group_name(*g).build()).collect();
            DescribeLogGroupsOutput::builder().set_log_groups(Some(groups)).build()
        })
    }

    #[tokio::test]
    async fn missing_groups_are_reported_and_the_others_asked_again() {
        let refused = mock!(Client::start_query)
            .match_requests(|r| r.log_group_names().len() == 3)
            .sequence()
            .http_status(400, aws_error("ResourceNotFoundException"))
            .build();
        let retried = mock!(Client::start_query)
            .match_requests(|r| r.log_group_names() == ["/a"])
            .then_output(|| StartQueryOutput::builder().query_id("q-1").build());
        let poll = mock!(Client::get_query_results)
            .then_output(|| results(QueryStatus::Complete, vec![row(&[("@message", "hello"), ("@ptr", "p")])], 1.0));
        let describe = describe_existing(&["/a", "/gone-but-longer"]);
        let logs = client(&[&refused, &retried, &describe, &poll]);
        let answer = logs.query(&insights(&["/a", "/gone", "/b"], 10)).await.unwrap();
        assert_eq!(answer.missing_groups, ["/gone", "/b"]);
        assert_eq!((answer.events.len(), answer.events[0].log_group.as_str()), (1, "/a"));
        assert_eq!((refused.num_calls(), retried.num_calls(), describe.num_calls()), (1, 1, 3));
    }

    #[tokio::test]
    async fn when_no_group_exists_the_answer_is_empty_with_all_missing() {
        let refused =
            mock!(Client::start_query).sequence().http_status(400, aws_error("ResourceNotFoundException")).build();
        let logs = client(&[&refused, &describe_existing(&[])]);
        let answer = logs.query(&insights(&["/x", "/y"], 10)).await.unwrap();
        assert_eq!((answer.events.len(), answer.missing_groups), (0, vec!["/x".to_string(), "/y".to_string()]));

        // Every group exists yet something was not found: the service's error stands.
        let refused =
            mock!(Client::start_query).sequence().http_status(400, aws_error("ResourceNotFoundException")).build();
        let error = client(&[&refused, &describe_existing(&["/x"])]).query(&insights(&["/x"], 10)).await.unwrap_err();
        assert!(matches!(&error, Fa2Error::Upstream(m) if m.contains("ResourceNotFoundException")), "{error}");
    }

    fn filtered(stream: &str, at: i64, message: &str) -> FilteredLogEvent {
        FilteredLogEvent::builder().log_stream_name(stream).timestamp(at).message(message).build()
    }

    fn search(groups: &[&str], limit: usize, stream_prefix: Option<&str>, pattern: Option<&str>) -> LogQuery {
        let filter = LogFilter { stream_prefix: stream_prefix.map(String::from), pattern: pattern.map(String::from) };
        LogQuery { filter: Some(filter), ..insights(groups, limit) }
    }

    #[tokio::test]
    async fn filter_log_events_pages_each_group_and_reports_missing_ones() {
        let busy = mock!(Client::filter_log_events)
            .match_requests(|r| {
                r.log_group_name() == Some("/busy")
                    && r.log_stream_name_prefix() == Some("web")
                    && r.filter_pattern() == Some("?ERROR ?FATAL")
                    && r.start_time() == Some(window().start.timestamp_millis())
                    && r.end_time() == Some(window().end.timestamp_millis())
            })
            .then_compute_output(|r| {
                let page = r.next_token().map_or(0, |t| t.parse().unwrap());
                let events = (0..r.limit().unwrap()).map(|i| filtered("web-1", page * 100 + i64::from(i), "ERROR x"));
                FilterLogEventsOutput::builder()
                    .set_events(Some(events.collect()))
                    .next_token((page + 1).to_string())
                    .build()
            });
        let quiet = mock!(Client::filter_log_events)
            .match_requests(|r| r.log_group_name() == Some("/quiet"))
            .then_output(|| FilterLogEventsOutput::builder().events(filtered("web-2", 5, "FATAL y")).build());
        let gone = mock!(Client::filter_log_events)
            .match_requests(|r| r.log_group_name() == Some("/gone"))
            .sequence()
            .http_status(400, aws_error("ResourceNotFoundException"))
            .build();
        let logs = client(&[&busy, &quiet, &gone]);
        let answer =
            logs.query(&search(&["/busy", "/quiet", "/gone"], 7, Some("web"), Some("?ERROR ?FATAL"))).await.unwrap();
        assert_eq!(answer.missing_groups, ["/gone"]);
        assert_eq!(answer.events.len(), 7);
        assert!(answer.events.iter().any(|e| e.log_group == "/quiet" && e.message == "FATAL y"));
        assert!(answer.events.is_sorted_by_key(|e| e.timestamp));
        assert!(answer.truncated, "the busy group had more pages");
        // First round: ceil(7 / 3) = 3 each (busy 3, quiet its only 1, gone missing); then busy takes the last 3.
        assert_eq!((busy.num_calls(), quiet.num_calls(), gone.num_calls()), (2, 1, 1));
    }

    #[tokio::test]
    async fn filter_log_events_errors_are_classified() {
        let throttled =
            mock!(Client::filter_log_events).sequence().http_status(400, aws_error("ThrottlingException")).build();
        let error = client(&[&throttled]).query(&search(&["/a"], 5, None, Some("ERROR"))).await.unwrap_err();
        assert!(matches!(error, Fa2Error::Throttled(_)), "{error}");
        let blank = mock!(Client::filter_log_events)
            .match_requests(|r| r.filter_pattern().is_none() && r.log_stream_name_prefix().is_none())
            .then_output(|| FilterLogEventsOutput::builder().events(filtered("s", 1, "m")).build());
        let answer = client(&[&blank]).query(&search(&["/a"], 5, Some(" "), Some(""))).await.unwrap();
        assert_eq!((answer.events.len(), answer.truncated), (1, false));
    }

    #[tokio::test]
    async fn a_query_needs_groups_and_insights_takes_at_most_fifty() {
        let logs = client(&[]);
        assert!(matches!(logs.query(&insights(&[], 10)).await, Err(Fa2Error::InvalidInput(_))));
        let many: Vec<String> = (0..51).map(|i| format!("/g{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let error = logs.query(&insights(&many, 10)).await.unwrap_err();
        assert!(matches!(&error, Fa2Error::InvalidInput(m) if m.contains("split")), "{error}");
    }

    #[test]
    fn windows_become_whole_seconds_that_cover_them() {
        let (start, end) = epoch_seconds(window());
        assert_eq!((start, end), (window().start.timestamp(), window().end.timestamp() + 1));
        let exact = Window { start: window().start, end: window().start };
        assert_eq!(epoch_seconds(exact), (window().start.timestamp(), window().start.timestamp()));
        assert_eq!(parse_insights_time("1700000000123"), Some(1_700_000_000_123));
        assert_eq!(parse_insights_time("yesterday"), None);
    }
}
