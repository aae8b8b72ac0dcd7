//! Pull requests and their branch ends.

use plasma_policy::snapshot::PrState;
use serde::Deserialize;

use super::{Account, Label, Repository, null_as_default, pr_state};

/// A pull request: `GET /repos/{owner}/{repo}/pulls/{pull_number}`, lists of pulls (GitHub's
/// "simple" pull request, which lacks `merged`), and the `pull_request` of `pull_request` and
/// `pull_request_review` webhooks (the latter also lacks `merged`; see
/// [`PullRequest::is_merged`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequest {
    /// Numeric id (not the number).
    #[serde(default)]
    pub id: Option<u64>,
    /// Pull request number.
    pub number: u64,
    /// Title. GitHub always sends it; absent or `null` reads as empty (only the number is needed
    /// to know what to look at again).
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: String,
    /// Body (Markdown); `None` when GitHub sends `null`.
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`, in any case. `null` or another word is an error at its path (GitHub
    /// sends only these two); absent reads as open, as REST list fixtures omit it.
    #[serde(default = "open", deserialize_with = "pr_state")]
    pub state: PrState,
    /// Missing from old webhook payloads and from `pull_request_review` events.
    #[serde(default)]
    pub draft: Option<bool>,
    /// Missing from lists of pulls and from `pull_request_review` events.
    #[serde(default)]
    pub merged: Option<bool>,
    /// When it was merged.
    #[serde(default)]
    pub merged_at: Option<String>,
    /// Who opened it; the REST API sends `null` for deleted accounts (webhooks send `ghost`).
    #[serde(default)]
    pub user: Option<Account>,
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

fn open() -> PrState {
    PrState::Open
}

impl PullRequest {
    /// Open or closed (the REST client's accessor, from before `state` was typed).
    pub fn pr_state(&self) -> PrState {
        self.state
    }

    /// Whether it was merged: `merged` when GitHub sends it, or `merged_at` being set (lists and
    /// `pull_request_review` events carry only `merged_at`).
    pub fn is_merged(&self) -> bool {
        self.merged.unwrap_or(false) || self.merged_at.is_some()
    }
}

/// `head` or `base` of a pull request, in a REST answer or a webhook payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BranchRef {
    /// Branch name, without `refs/heads/`.
    #[serde(rename = "ref")]
    pub name: String,
    /// Commit SHA.
    pub sha: String,
    /// `owner:branch`; both payload kinds send it, but plasma-ops does not need it.
    #[serde(default)]
    pub label: Option<String>,
    /// The repository the branch lives in; `null` when a fork was deleted.
    #[serde(default)]
    pub repo: Option<Repository>,
}
