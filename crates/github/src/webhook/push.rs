//! `push` events: a branch or tag moved (pull requests whose head or base it is must be looked at
//! again).

use serde::Deserialize;

use crate::model::{Account, Installation, Repository, null_as_default};

/// A `push` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PushEvent {
    /// Full ref, e.g. `refs/heads/main` or `refs/tags/v1.2.0`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// SHA before the push (all zeros when the ref was created).
    pub before: String,
    /// SHA after the push (all zeros when the ref was deleted).
    pub after: String,
    /// The ref was created.
    #[serde(default, deserialize_with = "null_as_default")]
    pub created: bool,
    /// The ref was deleted.
    #[serde(default, deserialize_with = "null_as_default")]
    pub deleted: bool,
    /// The push was forced.
    #[serde(default, deserialize_with = "null_as_default")]
    pub forced: bool,
    /// Pushed commits, oldest first. GitHub lists at most 20 (and `commits_url` has the rest), so
    /// this is not the whole history.
    #[serde(default, deserialize_with = "null_as_default")]
    pub commits: Vec<PushCommit>,
    /// The tip commit; `null` when the ref was deleted.
    #[serde(default)]
    pub head_commit: Option<PushCommit>,
    /// Who pushed (a git identity, not necessarily a GitHub account).
    #[serde(default)]
    pub pusher: Option<Pusher>,
    /// The repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who triggered the event.
    #[serde(default)]
    pub sender: Option<Account>,
}

impl PushEvent {
    /// The branch name when a branch was pushed (`refs/heads/` removed).
    pub fn branch(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/heads/")
    }

    /// The tag name when a tag was pushed (`refs/tags/` removed).
    pub fn tag(&self) -> Option<&str> {
        self.git_ref.strip_prefix("refs/tags/")
    }
}

/// A commit of a push.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PushCommit {
    /// Commit SHA.
    pub id: String,
    /// Full message.
    #[serde(default)]
    pub message: Option<String>,
    /// Whether this commit is new to the repository.
    #[serde(default)]
    pub distinct: Option<bool>,
    /// Paths added.
    #[serde(default, deserialize_with = "null_as_default")]
    pub added: Vec<String>,
    /// Paths removed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub removed: Vec<String>,
    /// Paths modified.
    #[serde(default, deserialize_with = "null_as_default")]
    pub modified: Vec<String>,
}

/// The git identity that pushed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Pusher {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email; may be `null`.
    #[serde(default)]
    pub email: Option<String>,
}
