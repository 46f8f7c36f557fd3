//! The metrics adapter over the wire (see mod.rs).
