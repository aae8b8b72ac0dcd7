//! Issues (pull requests are issues too).

use plasma_policy::snapshot::PrState;
use serde::Deserialize;

use super::{Account, Label, null_as_default, opt_pr_state};

/// An issue: `GET /repos/{owner}/{repo}/issues/{issue_number}` and the `issue` of `issues` and
/// `issue_comment` webhooks; pull requests are issues too (see [`Issue::is_pull_request`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Issue {
    /// Numeric id (not the number).
    #[serde(default)]
    pub id: Option<u64>,
    /// Issue number.
    pub number: u64,
    /// Title. GitHub always sends it; absent or `null` reads as empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: String,
    /// Body; `None` when GitHub sends `null`.
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`, in any case; webhooks omit it in `pinned` and `unpinned` events (see
    /// [`Issue::effective_state`]). Another word is an error at its path.
    #[serde(default, deserialize_with = "opt_pr_state")]
    pub state: Option<PrState>,
    /// When it was closed.
    #[serde(default)]
    pub closed_at: Option<String>,
    /// When it was opened (RFC 3339); GitHub always sends it, test fixtures may not. Kept as
    /// text, as `closed_at` is, so a payload with an odd time is still accepted; the incident
    /// rules parse it.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Why it is in its state: `completed`, `not_planned`, `reopened`, ...; older servers send
    /// none.
    #[serde(default)]
    pub state_reason: Option<String>,
    /// Who closed it (the single-issue REST answer only).
    #[serde(default)]
    pub closed_by: Option<Account>,
    /// Who opened it; the REST API sends `null` for deleted accounts (webhooks send `ghost`).
    #[serde(default)]
    pub user: Option<Account>,
    /// Current labels; webhooks omit them in `pinned` and `unpinned` events.
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

    /// Label names; none when the payload omits them.
    pub fn label_names(&self) -> Vec<String> {
        self.labels.iter().flatten().map(|l| l.name.clone()).collect()
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
