//! The blobs adapter over the wire (see mod.rs).
