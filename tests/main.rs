//! The one integration-test binary: contract checks, end-to-end runs of the real state machine over bundles, tidy.

mod contract;
mod e2e;
mod tidy;
