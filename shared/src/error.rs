//! The one error type of FA2-rs, and the stable `error_type` names the state machine retries and catches on.

use std::fmt;

/// What went wrong, phrased as what the caller can do about it.
///
/// A tool problem the brain can act on (bad query, empty log group, access denied on one resource) is not an
/// error: it is a `ToolOutcome::Failed` observation. These variants are for failures of the step itself.
#[derive(Debug, thiserror::Error)]
pub enum Fa2Error {
    /// A network blip or a 5xx from a dependency: retry the step.
    #[error("transient failure: {0}")]
    Transient(String),
    /// The dependency asked us to slow down: retry later, with backoff.
    #[error("throttled: {0}")]
    Throttled(String),
    /// The input cannot be used as it is; retrying will not help.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A budget (cycles, tokens, time, state size) ran out.
    #[error("budget exhausted: {0}")]
    BudgetExhausted(String),
    /// A dependency failed in a way that retrying will not fix.
    #[error("upstream failure: {0}")]
    Upstream(String),
}

/// Every `error_type` an FA2 Lambda can raise; the ASL `Retry`/`Catch` clauses name only these (and `States.*`).
pub const ERROR_TYPES: [&str; 5] =
    ["Fa2.Transient", "Fa2.Throttled", "Fa2.InvalidInput", "Fa2.BudgetExhausted", "Fa2.Upstream"];

impl Fa2Error {
    /// The stable name Step Functions sees as the task's `Error`.
    pub fn error_type(&self) -> &'static str {
        match self {
            Fa2Error::Transient(_) => ERROR_TYPES[0],
            Fa2Error::Throttled(_) => ERROR_TYPES[1],
            Fa2Error::InvalidInput(_) => ERROR_TYPES[2],
            Fa2Error::BudgetExhausted(_) => ERROR_TYPES[3],
            Fa2Error::Upstream(_) => ERROR_TYPES[4],
        }
    }

    /// Shorthand for an input problem, the most common error at the edges.
    pub fn invalid(message: impl fmt::Display) -> Self {
        Fa2Error::InvalidInput(message.to_string())
    }
}

impl From<Fa2Error> for lambda_runtime::Diagnostic {
    fn from(error: Fa2Error) -> Self {
        lambda_runtime::Diagnostic { error_type: error.error_type().to_string(), error_message: error.to_string() }
    }
}

impl From<Fa2Error> for statemachine::TaskFailure {
    fn from(error: Fa2Error) -> Self {
        statemachine::TaskFailure { error: error.error_type().to_string(), cause: error.to_string() }
    }
}

/// Result alias used across the crate.
pub type Result<T, E = Fa2Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_a_listed_error_type() {
        let all = [
            Fa2Error::Transient(String::new()),
            Fa2Error::Throttled(String::new()),
            Fa2Error::InvalidInput(String::new()),
            Fa2Error::BudgetExhausted(String::new()),
            Fa2Error::Upstream(String::new()),
        ];
        let names: Vec<_> = all.iter().map(Fa2Error::error_type).collect();
        assert_eq!(names, ERROR_TYPES.to_vec());
    }
}
