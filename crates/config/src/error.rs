//! The error of compiling a configuration into rules (a pattern, a glob, a threshold that the
//! loader accepted but that cannot work), located by its key path. Every product that compiles
//! part of the configuration (the pull-request policy, the coverage gate) reports with it.

use crate::pattern::PatternError;

/// A configuration problem found while compiling it, located by key path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct PolicyError {
    /// Dotted key path, e.g. `dispatch.rules[2].globs[0]`.
    pub key: String,
    /// What is wrong, naming the value.
    pub message: String,
    /// What to do.
    pub hint: String,
}

impl From<PatternError> for PolicyError {
    fn from(e: PatternError) -> Self {
        PolicyError {
            key: e.key.clone(),
            message: format!("invalid pattern `{}`: {}", e.pattern, e.reason),
            hint: "fix the pattern; `plasma-ops config init` shows working examples".into(),
        }
    }
}
