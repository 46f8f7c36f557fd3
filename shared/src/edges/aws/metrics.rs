//! The metrics adapter (being written).
