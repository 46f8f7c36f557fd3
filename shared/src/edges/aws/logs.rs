//! The logs adapter (being written).
