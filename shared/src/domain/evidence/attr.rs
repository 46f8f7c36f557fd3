//! Well-known keys of `Finding::attrs`, shared by the analyzers that write them and the brains that read them.

/// CloudTrail `eventName` of a change (`UpdateTable`, `PutRolePolicy`...).
pub const EVENT_NAME: &str = "eventName";
/// CloudTrail `eventSource` (`dynamodb.amazonaws.com`).
pub const EVENT_SOURCE: &str = "eventSource";
/// Who made a change (user name or role session).
pub const ACTOR: &str = "actor";
/// When AWS first refused a call to a changed resource (CloudTrail `errorCode`), none refused in the same time
/// before the change: the change's own effect.
pub const REFUSED_AT: &str = "refusedAt";
/// Host names a change's request sets (an endpoint in a task definition's environment), or a log pattern's example
/// lines name, comma-separated.
pub const HOSTS: &str = "hosts";
/// The category of change as the audit analyzer classifies it: `deployment`, `configuration`, `permission`,
/// `credential`, `capacity`, `network`, `load`, `experiment`, `other`.
pub const CHANGE_KIND: &str = "changeKind";
/// A metric's name (`ThrottledRequests`) and namespace (`AWS/DynamoDB`).
pub const METRIC_NAME: &str = "metricName";
pub const NAMESPACE: &str = "namespace";
/// How a metric moved: `spike`, `levelShiftUp`, `levelShiftDown`, `dropToZero`, `trendUp`, `flatline`.
pub const SHAPE: &str = "shape";
/// Baseline and peak/after values of a metric, formatted numbers.
pub const BASELINE: &str = "baseline";
pub const PEAK: &str = "peak";
/// The typical value of a metric during its move (the median), a formatted number.
pub const NEW_LEVEL: &str = "newLevel";
/// When a metric first reached its peak (or its lowest, for a fall) during the move.
pub const PEAK_AT: &str = "peakAt";
/// A mined log template (variables masked) and the log group it was found in.
pub const TEMPLATE: &str = "template";
pub const LOG_GROUP: &str = "logGroup";
/// The log stream(s) a log finding comes from.
pub const LOG_STREAM: &str = "logStream";
/// Occurrences of a template before and after the onset, and per-minute rates.
pub const COUNT_BEFORE: &str = "countBefore";
pub const COUNT_AFTER: &str = "countAfter";
/// When a finding's signal ended (recovered), if it did within the window.
pub const ENDED_AT: &str = "endedAt";
/// For a log episode that ended: when its main burst began, after a few sparse forerunners.
pub const BURST_START: &str = "burstStart";
/// An error class recognised in text: `throttling`, `accessDenied`, `timeout`, `outOfMemory`, `diskFull`,
/// `connection`, `unavailable`, `dns`, `tls`, `restart`, `credential`, `clockSkew`, `exception`, `notFound`, `invalidRequest`, `limitExceeded`.
pub const ERROR_CLASS: &str = "errorClass";
/// Log level of a template (`ERROR`, `WARN`...).
pub const LEVEL: &str = "level";
/// For traces: the calling service and the remote it called (`edge` = "caller -> remote").
pub const EDGE: &str = "edge";
/// For traces: where server-side failures came from when not the location's own work: `below` (passed up from
/// a call it made) or `remote` (the called dependency failed to serve).
pub const FAULT_ORIGIN: &str = "faultOrigin";
/// For traces: the id AWS knows the finding's resource by, as the traces give it (an API's `rest_api_id`): calls
/// that change the resource often name it by that id alone.
pub const RESOURCE_ID: &str = "resourceId";
/// Fault/error/throttle rates before and after, as fractions.
pub const RATE_BEFORE: &str = "rateBefore";
pub const RATE_AFTER: &str = "rateAfter";
/// Knowledge: the document title.
pub const TITLE: &str = "title";
