//! The audit adapter (being written).
