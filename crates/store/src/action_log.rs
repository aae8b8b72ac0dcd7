//! Reading the action log across pull requests: `plasma-ops actions` and the MCP tools
//! (`recent_actions`, `agent_queue`) ask the log what the service wrote or planned, with the
//! filters here, instead of a database client.

use crate::types::Timestamp;

/// Which action log entries to read. Entries come newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFilter {
    /// Only this key (`owner/repo#n`); every key when `None`.
    pub key: Option<String>,
    /// Only entries logged at or after this time (Unix milliseconds).
    pub since: Timestamp,
    /// Only planned (dry run) entries.
    pub planned_only: bool,
    /// At most this many entries.
    pub limit: u32,
}

impl ActionFilter {
    /// Every entry of every key, at most `limit`.
    pub fn all(limit: u32) -> Self {
        ActionFilter { key: None, since: 0, planned_only: false, limit }
    }
}

/// A key of the action log and when it was first and last written about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionKey {
    /// `owner/repo#n`.
    pub key: String,
    /// The first entry's time.
    pub first_at: Timestamp,
    /// The newest entry's time.
    pub last_at: Timestamp,
}
