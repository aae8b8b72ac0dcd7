//! `pull_request` and `pull_request_review` events.

use plasma_policy::snapshot::{PrState, ReviewState};
use serde::Deserialize;

use crate::model::{
    Account, BranchRef, Installation, Label, Repository, null_as_default, pr_state,
};

/// A `pull_request` event (opened, synchronize, edited, labeled, closed, ...).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequestEvent {
    /// What happened, e.g. `opened` or `synchronize`.
    #[serde(default)]
    pub action: Option<String>,
    /// The pull request after the change.
    pub pull_request: PullRequest,
    /// The base repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who triggered the event.
    #[serde(default)]
    pub sender: Option<Account>,
    /// For `synchronize`: the head SHA before the push.
    #[serde(default)]
    pub before: Option<String>,
    /// For `synchronize`: the head SHA after the push.
    #[serde(default)]
    pub after: Option<String>,
    /// For `labeled` and `unlabeled`: the label concerned.
    #[serde(default)]
    pub label: Option<Label>,
}

/// A `pull_request_review` event (submitted, edited, dismissed).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequestReviewEvent {
    /// What happened: `submitted`, `edited` or `dismissed`.
    #[serde(default)]
    pub action: Option<String>,
    /// The review.
    pub review: Review,
    /// The reviewed pull request (GitHub omits `merged` here; see [`PullRequest::is_merged`]).
    pub pull_request: PullRequest,
    /// The base repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who triggered the event.
    #[serde(default)]
    pub sender: Option<Account>,
}

/// The pull request object of a webhook payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequest {
    /// Numeric id (not the number).
    #[serde(default)]
    pub id: Option<u64>,
    /// Pull request number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Body (Markdown); `None` when GitHub sends `null`.
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`.
    #[serde(deserialize_with = "pr_state")]
    pub state: PrState,
    /// Missing from old payloads and from `pull_request_review` events.
    #[serde(default)]
    pub draft: Option<bool>,
    /// Missing from `pull_request_review` events.
    #[serde(default)]
    pub merged: Option<bool>,
    /// When it was merged.
    #[serde(default)]
    pub merged_at: Option<String>,
    /// Who opened it.
    pub user: Account,
    /// The branch it merges from.
    pub head: BranchRef,
    /// The branch it merges into.
    pub base: BranchRef,
    /// Current labels.
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: Vec<Label>,
    /// Web address.
    #[serde(default)]
    pub html_url: Option<String>,
}

impl PullRequest {
    /// `merged` when GitHub sends it, otherwise whether `merged_at` is set.
    pub fn is_merged(&self) -> bool {
        self.merged.unwrap_or(self.merged_at.is_some())
    }
}

/// A pull request review.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Review {
    /// Review id.
    pub id: u64,
    /// Reviewer; GitHub substitutes `ghost` for deleted accounts, but be lenient.
    #[serde(default)]
    pub user: Option<Account>,
    /// State; webhooks send lowercase, the REST API uppercase, both are accepted.
    pub state: ReviewState,
    /// The commit the review was made on.
    #[serde(default)]
    pub commit_id: Option<String>,
    /// When it was submitted (RFC 3339), as sent.
    #[serde(default)]
    pub submitted_at: Option<String>,
    /// Review body; `None` when GitHub sends `null`.
    #[serde(default)]
    pub body: Option<String>,
}
