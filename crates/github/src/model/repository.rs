//! Repositories, GitHub Apps and their installations.

use serde::Deserialize;

use super::{Account, null_as_default};

/// A repository: the `repository` of a webhook payload, a pull request branch's `repo`, or a REST
/// answer (`GET /installation/repositories`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Repository {
    /// Numeric id.
    #[serde(default)]
    pub id: Option<u64>,
    /// `owner/name`.
    pub full_name: String,
    /// The default branch, where the organisation's and repository's configuration lives.
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Archived repositories take no writes. Old webhook payloads and GitHub's slimmer repository
    /// objects omit it: absent or `null` reads as not archived.
    #[serde(default, deserialize_with = "null_as_default")]
    pub archived: bool,
    /// When the repository was last pushed to: unix seconds in `push` payloads, RFC 3339 text
    /// elsewhere; kept as sent and read by [`Repository::pushed_at_ms`] (anything else reads as
    /// unknown rather than refusing the delivery).
    #[serde(default)]
    pub pushed_at: Option<serde_json::Value>,
}

impl Repository {
    /// [`Repository::pushed_at`] as unix milliseconds, when it is a number or an RFC 3339 time.
    pub fn pushed_at_ms(&self) -> Option<i64> {
        match self.pushed_at.as_ref()? {
            serde_json::Value::Number(n) => n.as_i64()?.checked_mul(1_000),
            serde_json::Value::String(s) => {
                s.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
            }
            _ => None,
        }
    }

    /// `owner` and `name` from `full_name`; `None` when it has no `/`.
    pub fn owner_and_name(&self) -> Option<(&str, &str)> {
        self.full_name.split_once('/')
    }
}

/// A GitHub App installation: in a webhook payload, the one that received the event (absent for
/// repository and organisation webhooks, and in several of GitHub's own examples); in a REST
/// answer (`GET /app/installations`), one of the App's.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Installation {
    /// Installation id, needed to mint an installation token.
    pub id: u64,
    /// The account it is installed on. REST answers send it; webhook payloads other than
    /// `installation` events send only `id` and `node_id`.
    #[serde(default)]
    pub account: Option<Account>,
}

/// A GitHub App: `GET /app` (the App itself), and the owner of a check run or suite in webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct App {
    /// App id.
    #[serde(default)]
    pub id: Option<u64>,
    /// URL-friendly name, e.g. `github-actions`; the App's comments are signed `<slug>[bot]`.
    /// Optional in GitHub's description.
    #[serde(default)]
    pub slug: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
}

#[cfg(test)]
mod pushed_at_tests {
    use super::*;

    #[test]
    fn pushed_at_reads_as_unix_seconds_or_rfc3339_and_anything_else_as_unknown() {
        let read = |v: serde_json::Value| {
            let r: Repository =
                serde_json::from_value(serde_json::json!({"full_name": "o/r", "pushed_at": v}))
                    .unwrap_or_else(|e| panic!("{e}"));
            r.pushed_at_ms()
        };
        assert_eq!(read(serde_json::json!(1_764_583_200)), Some(1_764_583_200_000));
        assert_eq!(read(serde_json::json!("2025-12-01T10:00:00Z")), Some(1_764_583_200_000));
        assert_eq!(read(serde_json::json!(null)), None);
        assert_eq!(read(serde_json::json!(true)), None);
        assert_eq!(read(serde_json::json!("yesterday")), None);
        assert_eq!(read(serde_json::json!(i64::MAX)), None);
    }
}
