//! Why a notification was not delivered, and whether trying again can help.

use std::time::Duration;

/// A failed delivery whose outcome is known: the message did not arrive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// What happened and what to do; never a secret.
    pub message: String,
    /// The receiver asked to wait this long (Slack's `Retry-After`).
    pub retry_after: Option<Duration>,
    /// Retrying cannot help (a missing secret, a revoked webhook): dead-letter now.
    pub permanent: bool,
}

impl SendError {
    /// A failure worth retrying with backoff.
    pub fn retry(message: impl Into<String>) -> SendError {
        SendError { message: message.into(), retry_after: None, permanent: false }
    }

    /// A failure no retry can fix until someone changes something.
    pub fn permanent(message: impl Into<String>) -> SendError {
        SendError { message: message.into(), retry_after: None, permanent: true }
    }
}
