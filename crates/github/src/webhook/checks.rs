//! `check_run`, `check_suite` and `status` events: they name a commit (and, for check runs and
//! suites, sometimes the pull requests whose head it is) whose pull requests must be looked at
//! again.

use serde::Deserialize;

use crate::model::{Account, App, Installation, Repository, null_as_default};

/// A `check_run` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckRunEvent {
    /// `created`, `completed`, `rerequested` or `requested_action`.
    #[serde(default)]
    pub action: Option<String>,
    /// The check run.
    pub check_run: CheckRun,
    /// The repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who triggered the event.
    #[serde(default)]
    pub sender: Option<Account>,
    /// For `requested_action`: the button the user pressed.
    #[serde(default)]
    pub requested_action: Option<RequestedAction>,
}

/// A check run as sent in a `check_run` event.
///
/// Kept apart from the REST client's [`crate::client::CheckRunInfo`]: here `head_sha` is required,
/// as it is the only way to know which commit (and, for forks, which pull requests) to look at
/// again; the client lists check runs *by* head SHA, reads neither it nor `pull_requests`, and
/// needs the times as timestamps for the snapshot (here they are kept as sent).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckRun {
    /// Check run id.
    pub id: u64,
    /// Name, e.g. `lint`.
    pub name: String,
    /// The commit it checks.
    pub head_sha: String,
    /// `queued`, `in_progress`, `completed`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// Set when completed.
    #[serde(default)]
    pub conclusion: Option<String>,
    /// When it started (RFC 3339), as sent.
    #[serde(default)]
    pub started_at: Option<String>,
    /// When it completed (RFC 3339), as sent.
    #[serde(default)]
    pub completed_at: Option<String>,
    /// Pull requests whose head is this commit. GitHub lists only pull requests whose head branch
    /// is in the same repository: for forks this is empty and the pull requests must be found by
    /// SHA.
    #[serde(default, deserialize_with = "null_as_default")]
    pub pull_requests: Vec<PullRequestRef>,
    /// The suite it belongs to.
    #[serde(default)]
    pub check_suite: Option<CheckSuiteRef>,
    /// The app that owns the check run.
    #[serde(default)]
    pub app: Option<App>,
}

/// The `check_suite` object inside a check run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckSuiteRef {
    /// Suite id.
    #[serde(default)]
    pub id: Option<u64>,
    /// Head branch; `null` for forks and some events.
    #[serde(default)]
    pub head_branch: Option<String>,
    /// Head SHA.
    #[serde(default)]
    pub head_sha: Option<String>,
}

/// The button of a `requested_action` check run event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RequestedAction {
    /// The action's identifier, as set when the check run was created.
    #[serde(default)]
    pub identifier: Option<String>,
}

/// A pull request as listed in a check run or suite: number and branches only.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequestRef {
    /// Pull request number.
    pub number: u64,
    /// Numeric id.
    #[serde(default)]
    pub id: Option<u64>,
    /// Head branch and SHA.
    #[serde(default)]
    pub head: Option<ShaRef>,
    /// Base branch and SHA.
    #[serde(default)]
    pub base: Option<ShaRef>,
}

/// A branch and the commit it pointed at.
///
/// Not the REST client's [`crate::client::ShaRef`], which is a commit's parent (`{sha, url}`,
/// `sha` required): a different object that happens to share the name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShaRef {
    /// Branch name.
    #[serde(default, rename = "ref")]
    pub name: Option<String>,
    /// Commit SHA.
    #[serde(default)]
    pub sha: Option<String>,
}

/// A `check_suite` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckSuiteEvent {
    /// `completed`, `requested` or `rerequested`.
    #[serde(default)]
    pub action: Option<String>,
    /// The suite.
    pub check_suite: CheckSuite,
    /// The repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who triggered the event.
    #[serde(default)]
    pub sender: Option<Account>,
}

/// A check suite as sent in a `check_suite` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckSuite {
    /// Suite id.
    pub id: u64,
    /// The commit it checks.
    pub head_sha: String,
    /// Head branch; `null` for forks.
    #[serde(default)]
    pub head_branch: Option<String>,
    /// `requested`, `in_progress`, `completed`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// Set when completed.
    #[serde(default)]
    pub conclusion: Option<String>,
    /// Pull requests whose head is this commit (same-repository branches only, as for check
    /// runs).
    #[serde(default, deserialize_with = "null_as_default")]
    pub pull_requests: Vec<PullRequestRef>,
    /// The app that owns the suite.
    #[serde(default)]
    pub app: Option<App>,
}

/// A `status` event: a legacy commit status was set.
///
/// The event *is* the status (its fields are top-level, beside `repository` and `sender`), so it
/// shares no type with the REST client's [`crate::client::StatusInfo`], one entry of a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StatusEvent {
    /// Status id.
    #[serde(default)]
    pub id: Option<u64>,
    /// The commit.
    pub sha: String,
    /// Context, e.g. `CodeRabbit`.
    pub context: String,
    /// `error`, `failure`, `pending` or `success`.
    pub state: String,
    /// Description shown next to it.
    #[serde(default)]
    pub description: Option<String>,
    /// Link shown next to it.
    #[serde(default)]
    pub target_url: Option<String>,
    /// Branches whose tip is this commit (GitHub lists at most ten).
    #[serde(default, deserialize_with = "null_as_default")]
    pub branches: Vec<StatusBranch>,
    /// When it was last set (RFC 3339), as sent.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The repository.
    pub repository: Repository,
    /// Present when a GitHub App received the event.
    #[serde(default)]
    pub installation: Option<Installation>,
    /// Who set the status.
    #[serde(default)]
    pub sender: Option<Account>,
}

/// A branch listed in a `status` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StatusBranch {
    /// Branch name.
    pub name: String,
}
