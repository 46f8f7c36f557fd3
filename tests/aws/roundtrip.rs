//! The roundtrip adapter over the wire (see mod.rs).
