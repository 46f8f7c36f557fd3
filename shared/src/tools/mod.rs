//! Typed tools (stub).
