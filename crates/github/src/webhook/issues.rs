//! `issues` and `issue_comment` events.

use serde::Deserialize;

use crate::model::{Account, Comment, Installation, Issue, Label, Repository};

/// An `issues` event (opened, edited, labeled, assigned, closed, ...).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IssuesEvent {
    /// What happened, e.g. `opened`.
    #[serde(default)]
    pub action: Option<String>,
    /// The issue after the change.
    pub issue: Issue,
    /// The repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who triggered the event.
    #[serde(default)]
    pub sender: Option<Account>,
    /// For `labeled` and `unlabeled`: the label concerned.
    #[serde(default)]
    pub label: Option<Label>,
}

/// An `issue_comment` event: a comment on an issue or on a pull request's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IssueCommentEvent {
    /// `created`, `edited` or `deleted`.
    #[serde(default)]
    pub action: Option<String>,
    /// The issue (or pull request, see [`Issue::is_pull_request`]) commented on.
    pub issue: Issue,
    /// The comment.
    pub comment: Comment,
    /// The repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who triggered the event.
    #[serde(default)]
    pub sender: Option<Account>,
}
