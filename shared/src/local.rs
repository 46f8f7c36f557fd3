//! Local runner (stub).
