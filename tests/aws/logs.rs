//! The logs adapter over the wire (see mod.rs).
