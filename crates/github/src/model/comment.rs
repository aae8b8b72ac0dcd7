//! Comments on an issue's or pull request's conversation.

use jiff::Timestamp;
use serde::Deserialize;

use super::{Account, null_as_default};

/// A comment on an issue or pull request conversation: `GET .../issues/{n}/comments`, the answer
/// to posting or editing one, and the `comment` of an `issue_comment` webhook.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comment {
    /// Comment id.
    pub id: u64,
    /// Body (Markdown); absent or `null` reads as empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub body: String,
    /// Author; the REST API sends `null` for deleted accounts.
    #[serde(default)]
    pub user: Option<Account>,
    /// Creation time (RFC 3339); both payload kinds send it, answers of GitHub Enterprise Server
    /// and test fixtures may not. Something else than a timestamp is an error at its path.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// Web address.
    #[serde(default)]
    pub html_url: Option<String>,
}
