//! Synthetic incident bundles (stub).
