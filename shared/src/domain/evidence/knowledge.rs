//! Evidence from knowledge (stub until the evidence engine lands).

use super::AnalysisFrame;
use crate::contract::Digest;

/// Digest of raw knowledge records for the frame; `blob_ref` is where the raw output is stored.
pub fn digest(_passages: &[crate::ports::Passage], _query: &str, _frame: &AnalysisFrame, _blob_ref: &str) -> Digest {
    Digest::default()
}
