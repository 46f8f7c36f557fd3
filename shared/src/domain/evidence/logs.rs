//! Evidence from logs (stub until the evidence engine lands).

use super::AnalysisFrame;
use crate::contract::Digest;

/// Digest of raw logs records for the frame; `blob_ref` is where the raw output is stored.
pub fn digest(_events: &[crate::ports::LogEvent], _frame: &AnalysisFrame, _blob_ref: &str) -> Digest {
    Digest::default()
}
