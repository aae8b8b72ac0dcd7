//! The fields plasma-ops reads from GitHub's REST answers. Lenient: everything GitHub may omit or
//! send as `null` has a default, and unknown fields are ignored.

use std::collections::BTreeMap;

use jiff::Timestamp;
use plasma_policy::snapshot::{Actor, ActorKind, PrState};
use serde::{Deserialize, Deserializer};

/// Reads `null` as the default.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A user, bot or organisation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    /// Login.
    pub login: String,
    /// GitHub's `type`: `User`, `Bot`, `Organization`, `Mannequin`, ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl User {
    /// The policy core's actor; a missing or unknown `type` counts as a user.
    pub fn to_actor(&self) -> Actor {
        let kind = match self.kind.as_deref() {
            Some(k) if k.eq_ignore_ascii_case("Bot") => ActorKind::Bot,
            Some(k) if k.eq_ignore_ascii_case("Organization") => ActorKind::Organization,
            Some(k) if k.eq_ignore_ascii_case("Mannequin") => ActorKind::Mannequin,
            _ => ActorKind::User,
        };
        Actor { login: self.login.clone(), kind }
    }
}

/// GitHub shows deleted accounts as `ghost`; the API sends `null`.
pub(crate) fn actor_or_ghost(user: Option<&User>) -> Actor {
    user.map(User::to_actor).unwrap_or(Actor { login: "ghost".into(), kind: ActorKind::Mannequin })
}

/// A label.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LabelInfo {
    /// Name.
    pub name: String,
    /// Colour, hex without `#`.
    #[serde(default)]
    pub color: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

/// A branch end of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Branch {
    /// Branch name.
    #[serde(rename = "ref")]
    pub name: String,
    /// Commit SHA.
    pub sha: String,
}

/// A pull request (`GET /repos/{owner}/{repo}/pulls/{pull_number}` and lists of pulls).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequest {
    /// Number.
    pub number: u64,
    /// Title.
    #[serde(default, deserialize_with = "null_default")]
    pub title: String,
    /// Body.
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`.
    #[serde(default, deserialize_with = "null_default")]
    pub state: String,
    /// Draft.
    #[serde(default)]
    pub draft: Option<bool>,
    /// Merged (absent in lists).
    #[serde(default)]
    pub merged: Option<bool>,
    /// When it was merged.
    #[serde(default)]
    pub merged_at: Option<String>,
    /// Author.
    #[serde(default)]
    pub user: Option<User>,
    /// Head branch.
    pub head: Branch,
    /// Base branch.
    pub base: Branch,
    /// Labels.
    #[serde(default, deserialize_with = "null_default")]
    pub labels: Vec<LabelInfo>,
}

impl PullRequest {
    /// Open or closed.
    pub fn pr_state(&self) -> PrState {
        if self.state.eq_ignore_ascii_case("closed") { PrState::Closed } else { PrState::Open }
    }

    /// Whether it was merged (lists carry only `merged_at`).
    pub fn is_merged(&self) -> bool {
        self.merged.unwrap_or(false) || self.merged_at.is_some()
    }
}

/// One file of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullFile {
    /// Path.
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, ...
    #[serde(default, deserialize_with = "null_default")]
    pub status: String,
    /// Lines added.
    #[serde(default, deserialize_with = "null_default")]
    pub additions: u64,
    /// Lines removed.
    #[serde(default, deserialize_with = "null_default")]
    pub deletions: u64,
    /// Old path of a rename.
    #[serde(default)]
    pub previous_filename: Option<String>,
}

/// A `{ "sha": ... }` object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShaRef {
    /// SHA.
    pub sha: String,
}

/// GitHub's signature verification of a commit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VerificationInfo {
    /// Verified.
    #[serde(default, deserialize_with = "null_default")]
    pub verified: bool,
    /// Reason, e.g. `valid`, `unsigned`.
    #[serde(default, deserialize_with = "null_default")]
    pub reason: String,
}

/// The `commit` part of a pull request commit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullCommitDetail {
    /// Full message.
    #[serde(default, deserialize_with = "null_default")]
    pub message: String,
    /// Signature verification.
    #[serde(default)]
    pub verification: Option<VerificationInfo>,
}

/// One commit of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullCommit {
    /// SHA.
    pub sha: String,
    /// Parents.
    #[serde(default, deserialize_with = "null_default")]
    pub parents: Vec<ShaRef>,
    /// Message and verification.
    pub commit: PullCommitDetail,
}

/// One pull request review.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReviewInfo {
    /// Id.
    pub id: u64,
    /// Reviewer (`null` for deleted accounts).
    #[serde(default)]
    pub user: Option<User>,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`.
    #[serde(default, deserialize_with = "null_default")]
    pub state: String,
    /// Commit reviewed.
    #[serde(default)]
    pub commit_id: Option<String>,
    /// Submission time.
    #[serde(default)]
    pub submitted_at: Option<Timestamp>,
    /// Body.
    #[serde(default)]
    pub body: Option<String>,
}

/// One check run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckRunInfo {
    /// Id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// `queued`, `in_progress`, `completed`, ...
    #[serde(default, deserialize_with = "null_default")]
    pub status: String,
    /// Conclusion when completed.
    #[serde(default)]
    pub conclusion: Option<String>,
    /// Start.
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    /// End.
    #[serde(default)]
    pub completed_at: Option<Timestamp>,
}

/// One commit status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StatusInfo {
    /// Id.
    pub id: u64,
    /// Context, e.g. `plasma-ops/process`.
    #[serde(default, deserialize_with = "null_default")]
    pub context: String,
    /// `error`, `failure`, `pending`, `success`.
    pub state: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Last update.
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

/// An issue or pull request comment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CommentInfo {
    /// Id.
    pub id: u64,
    /// Body.
    #[serde(default, deserialize_with = "null_default")]
    pub body: String,
    /// Author.
    #[serde(default)]
    pub user: Option<User>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
}

/// An issue (`GET /repos/{owner}/{repo}/issues/{issue_number}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IssueInfo {
    /// Number.
    pub number: u64,
    /// Title.
    #[serde(default, deserialize_with = "null_default")]
    pub title: String,
    /// `open` or `closed`.
    #[serde(default, deserialize_with = "null_default")]
    pub state: String,
    /// Labels.
    #[serde(default, deserialize_with = "null_default")]
    pub labels: Vec<LabelInfo>,
    /// Assignees.
    #[serde(default, deserialize_with = "null_default")]
    pub assignees: Vec<User>,
    /// The single assignee of older payloads.
    #[serde(default)]
    pub assignee: Option<User>,
    /// Author.
    #[serde(default)]
    pub user: Option<User>,
    /// Present when the issue is a pull request.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

/// A repository.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RepositoryInfo {
    /// `owner/name`.
    pub full_name: String,
    /// Default branch.
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Archived repositories take no writes.
    #[serde(default, deserialize_with = "null_default")]
    pub archived: bool,
}

/// The App itself, as `GET /app` describes it (only what plasma-ops reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AppInfo {
    /// The App's slug; its comments are signed `<slug>[bot]`. Optional in GitHub's description.
    #[serde(default)]
    pub slug: Option<String>,
}

/// A GitHub App installation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InstallationInfo {
    /// Id.
    pub id: u64,
    /// The account it is installed on.
    #[serde(default)]
    pub account: Option<User>,
}

/// A file from the contents API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ContentFile {
    /// `file`, `dir`, `symlink`, `submodule`.
    #[serde(default, rename = "type", deserialize_with = "null_default")]
    pub kind: String,
    /// `base64`, or `none` for files over 1 MB.
    #[serde(default)]
    pub encoding: Option<String>,
    /// Encoded content (with line breaks).
    #[serde(default)]
    pub content: Option<String>,
    /// Size in bytes.
    #[serde(default, deserialize_with = "null_default")]
    pub size: u64,
}

/// One resource of `GET /rate_limit`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RateLimitResource {
    /// Window size.
    pub limit: u64,
    /// Left in the window.
    pub remaining: u64,
    /// Reset, Unix seconds.
    pub reset: i64,
    /// Used in the window.
    #[serde(default)]
    pub used: Option<u64>,
}

/// `GET /rate_limit`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RateLimitOverview {
    /// By resource: `core`, `search`, `graphql`, ...
    pub resources: BTreeMap<String, RateLimitResource>,
}
