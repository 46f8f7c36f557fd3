//! fa2 capture over the wire (see mod.rs).
