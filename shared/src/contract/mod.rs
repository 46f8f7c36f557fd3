//! The serde types that cross a boundary: Lambda ↔ Step Functions, tool ↔ brain, and the report. One casing: camelCase.

pub mod evidence;
pub mod report;
pub mod run;

pub use evidence::*;
pub use report::*;
pub use run::*;
