//! The kb adapter over the wire (see mod.rs).
