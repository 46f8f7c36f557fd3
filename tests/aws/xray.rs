//! The xray adapter over the wire (see mod.rs).
