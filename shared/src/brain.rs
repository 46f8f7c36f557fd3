//! The brains (stub).
