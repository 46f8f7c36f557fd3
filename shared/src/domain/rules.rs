//! The rules brain (stub).
