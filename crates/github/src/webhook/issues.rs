//! `issues` and `issue_comment` events.

use plasma_policy::snapshot::PrState;
use serde::Deserialize;

use crate::model::{Account, Installation, Label, Repository, null_as_default, opt_pr_state};

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

/// The issue object of a webhook payload; pull requests are issues too.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Issue {
    /// Numeric id (not the number).
    #[serde(default)]
    pub id: Option<u64>,
    /// Issue number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Body; `None` when GitHub sends `null`.
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`; GitHub omits it in `pinned` and `unpinned` events.
    #[serde(default, deserialize_with = "opt_pr_state")]
    pub state: Option<PrState>,
    /// When it was closed.
    #[serde(default)]
    pub closed_at: Option<String>,
    /// Who opened it.
    pub user: Account,
    /// Current labels; GitHub omits them in `pinned` and `unpinned` events.
    #[serde(default)]
    pub labels: Option<Vec<Label>>,
    /// Current assignees.
    #[serde(default, deserialize_with = "null_as_default")]
    pub assignees: Vec<Account>,
    /// The single assignee of old payloads.
    #[serde(default)]
    pub assignee: Option<Account>,
    /// Set when the issue is a pull request.
    #[serde(default)]
    pub pull_request: Option<IssuePullRequest>,
    /// Web address.
    #[serde(default)]
    pub html_url: Option<String>,
}

impl Issue {
    /// Whether this "issue" is a pull request's conversation.
    pub fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }

    /// `state` when sent, otherwise closed exactly when `closed_at` is set.
    pub fn effective_state(&self) -> PrState {
        match (self.state, &self.closed_at) {
            (Some(state), _) => state,
            (None, Some(_)) => PrState::Closed,
            (None, None) => PrState::Open,
        }
    }

    /// Assignee logins, from `assignees` or, in old payloads, `assignee`.
    pub fn assignee_logins(&self) -> Vec<String> {
        let mut logins: Vec<String> = self.assignees.iter().map(|a| a.login.clone()).collect();
        if let Some(single) = &self.assignee
            && !logins.contains(&single.login)
        {
            logins.push(single.login.clone());
        }
        logins
    }
}

/// The `pull_request` links of an issue that is a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IssuePullRequest {
    /// API address of the pull request.
    #[serde(default)]
    pub url: Option<String>,
    /// Web address of the pull request.
    #[serde(default)]
    pub html_url: Option<String>,
    /// When it was merged.
    #[serde(default)]
    pub merged_at: Option<String>,
}

/// A comment on an issue or pull request conversation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comment {
    /// Comment id.
    pub id: u64,
    /// Body (Markdown).
    #[serde(default)]
    pub body: Option<String>,
    /// Author.
    #[serde(default)]
    pub user: Option<Account>,
    /// Web address.
    #[serde(default)]
    pub html_url: Option<String>,
}
