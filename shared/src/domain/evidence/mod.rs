//! The evidence engine: turns raw telemetry into ranked, cited findings and a bounded digest per tool call.

pub mod attr;
pub mod audit;
pub mod errors;
pub mod knowledge;
pub mod logs;
pub mod metrics;
pub mod templates;
pub mod terms;
pub mod traces;

use chrono::{DateTime, Utc};

use crate::contract::Window;

/// What every analyzer knows about the run besides the telemetry itself.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisFrame {
    pub window: Window,
    /// When the problem was noticed (alarm state change, or the end of the operator's window). Causes precede it.
    pub noticed_at: DateTime<Utc>,
    /// Resource names known to be in play (from the alarm, the architecture description, the operator's text),
    /// used to attribute findings to components and to rank related changes first.
    pub resources: Vec<String>,
}
