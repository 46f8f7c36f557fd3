//! The audit adapter over the wire (see mod.rs).
