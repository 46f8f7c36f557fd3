//! Evidence from audit (stub until the evidence engine lands).

use super::AnalysisFrame;
use crate::contract::Digest;

/// Digest of raw audit records for the frame; `blob_ref` is where the raw output is stored.
pub fn digest(_records: &[serde_json::Value], _frame: &AnalysisFrame, _blob_ref: &str) -> Digest {
    Digest::default()
}
