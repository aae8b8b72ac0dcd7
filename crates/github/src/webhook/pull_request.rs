//! `pull_request` and `pull_request_review` events.

use plasma_policy::snapshot::ReviewState;
use serde::Deserialize;

use crate::model::{Account, Installation, Label, PullRequest, Repository};

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

/// A pull request review.
///
/// Kept apart from the REST client's [`crate::client::ReviewInfo`] although GitHub sends the same
/// object: a webhook review is the whole payload's point, so an unknown `state` is an error at
/// `review.state`; the fetcher reads all of a pull request's reviews and must not fail on one with
/// a state it does not know (it logs and skips it), so there `state` is a string. Times differ for
/// the same reason: kept as sent here, parsed there.
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
