//! FA2-rs: failure analysis for AWS. This crate decides; the `functions/*` binaries and the `fa2` CLI only wire it.
//!
//! Zones (ARCHITECTURE.md states them as invariants and `tests/tidy.rs` checks them):
//! - `contract`: serde types that cross Lambda, Step Functions, Slack and the report.
//! - `domain`: pure decisions: the evidence engine, the rules brain, budgets, report rendering. No IO.
//! - `ops`, `tools`, `brain`: one async fn per Lambda, one typed tool per tool, the brains; they call ports.
//! - `ports`: the capabilities the steps need; `edges`: their adapters (bundle/offline, directory blob store).
//! - `config`, `error`: settings and the one error type.

pub mod brain;
pub mod config;
pub mod contract;
pub mod domain;
pub mod edges;
pub mod error;
pub mod local;
pub mod ops;
pub mod ports;
pub mod tools;

pub use error::{Fa2Error, Result};
