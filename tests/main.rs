//! The one integration-test binary: contract checks, end-to-end runs of the real state machine over bundles, tidy.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod aws;
mod contract;
mod e2e;
mod tidy;
