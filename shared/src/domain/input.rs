//! Execution input parsing (stub).
