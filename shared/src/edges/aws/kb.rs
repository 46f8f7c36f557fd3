//! The kb adapter (being written).
