//! `pull_request_review_thread` events: a review thread was resolved or unresolved. Neither the
//! head commit nor the reviews change, so this event is how the service learns that the threads
//! it read with GraphQL are stale.

use serde::Deserialize;

use crate::model::{Account, Installation, PullRequest, Repository};

/// A `pull_request_review_thread` event (`resolved`, `unresolved`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequestReviewThreadEvent {
    /// What happened: `resolved` or `unresolved`.
    #[serde(default)]
    pub action: Option<String>,
    /// The thread (its state is read again with GraphQL, so only its id is kept).
    pub thread: ThreadRef,
    /// The pull request the thread is on.
    pub pull_request: PullRequest,
    /// The base repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who resolved or unresolved it.
    #[serde(default)]
    pub sender: Option<Account>,
}

/// The thread of a [`PullRequestReviewThreadEvent`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ThreadRef {
    /// GraphQL node id, e.g. `PRRT_kwDO...`.
    #[serde(default)]
    pub node_id: Option<String>,
}
