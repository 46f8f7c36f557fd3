//! The blobs adapter (being written).
