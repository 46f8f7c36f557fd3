//! fa2 replay over the wire (see mod.rs).
