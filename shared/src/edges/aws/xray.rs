//! The xray adapter (being written).
