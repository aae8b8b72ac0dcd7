//! The documented, versioned input formats of the policy core: what a pull request or an issue looks
//! like at one moment. Front doors (CLI, service, MCP) build these from webhooks or the REST API;
//! the rules never see anything else.
//!
//! A collection that the builder could not know (a webhook payload carries no file list, for
//! example) is `None`, not empty: rules that need it report "not evaluated" instead of a false
//! failure. `Some(vec![])` means "known to be empty".

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// Version of the snapshot JSON format; bumped on any incompatible change.
pub const SNAPSHOT_VERSION: u32 = 1;

fn snapshot_version() -> u32 {
    SNAPSHOT_VERSION
}

/// Everything the rules need to judge one pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrSnapshot {
    /// Format version ([`SNAPSHOT_VERSION`]).
    #[serde(default = "snapshot_version")]
    pub version: u32,
    /// `owner/name` of the base repository.
    pub repository: String,
    /// Pull request number.
    pub number: u64,
    /// Title as shown on GitHub.
    pub title: String,
    /// Body (Markdown); empty when GitHub sends `null`.
    #[serde(default)]
    pub body: String,
    /// Open or closed.
    pub state: PrState,
    /// Whether the pull request was merged (only meaningful when closed).
    #[serde(default)]
    pub merged: bool,
    /// Draft pull requests are never ready.
    #[serde(default)]
    pub draft: bool,
    /// Who opened it.
    pub author: Actor,
    /// The branch it merges into.
    pub base: GitRef,
    /// The branch it merges from.
    pub head: GitRef,
    /// Current label names.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Changed files; `None` when unknown.
    #[serde(default)]
    pub files: Option<Vec<ChangedFile>>,
    /// Commits of the pull request; `None` when unknown.
    #[serde(default)]
    pub commits: Option<Vec<Commit>>,
    /// Every review, in any order; `None` when unknown.
    #[serde(default)]
    pub reviews: Option<Vec<Review>>,
    /// Check runs on the head SHA; `None` when unknown.
    #[serde(default)]
    pub check_runs: Option<Vec<CheckRun>>,
    /// Legacy commit statuses on the head SHA; `None` when unknown.
    #[serde(default)]
    pub statuses: Option<Vec<CommitStatus>>,
    /// Head SHAs for which a CodeRabbit re-review was already requested (kept by the caller), so the
    /// request is made at most once per SHA.
    #[serde(default)]
    pub rereview_requested_shas: Vec<String>,
    /// Who may approve the infrastructure files it changes (rule `infra-approval`); `None` when
    /// unknown (a webhook payload, or a pull request that changes no infrastructure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infra: Option<InfraFacts>,
    /// Review threads (GitHub's GraphQL `reviewThreads`); `None` when unknown. The service reads
    /// them only when the review loop needs them (CodeRabbit reviewed the head and has not
    /// approved), so their absence from a snapshot is the common case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_threads: Option<Vec<ReviewThread>>,
}

impl PrSnapshot {
    /// A placeholder for a pull request nothing is known about yet (logs, dry runs without a
    /// payload): open, empty title, unknown collections.
    pub fn unknown(repository: &str, number: u64) -> Self {
        let unknown_ref = || GitRef { name: String::new(), sha: String::new() };
        PrSnapshot {
            version: SNAPSHOT_VERSION,
            repository: repository.to_string(),
            number,
            title: String::new(),
            body: String::new(),
            state: PrState::Open,
            merged: false,
            draft: false,
            author: Actor::user(""),
            base: unknown_ref(),
            head: unknown_ref(),
            labels: Vec::new(),
            files: None,
            commits: None,
            reviews: None,
            check_runs: None,
            statuses: None,
            rereview_requested_shas: Vec::new(),
            infra: None,
            review_threads: None,
        }
    }
}

/// What GitHub says about the people who may approve infrastructure changes, read for the
/// `infra-approval` rule: team members and the changed files' CODEOWNERS owners.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InfraFacts {
    /// Member logins of each team the rule needs, keyed `org/team-slug` (lower case).
    #[serde(default)]
    pub teams: BTreeMap<String, Vec<String>>,
    /// Teams GitHub would not list (missing, secret, or no permission), with GitHub's answer.
    #[serde(default)]
    pub unreadable_teams: BTreeMap<String, String>,
    /// With `infra.approvers_from: codeowners`: each changed infrastructure file's owners as the
    /// base branch's CODEOWNERS gives them (`@user`, `@org/team`, e-mail; last matching line
    /// wins); `[]` for a file it gives none.
    #[serde(default)]
    pub owners: BTreeMap<String, Vec<String>>,
    /// With `approvers_from: codeowners`: which CODEOWNERS file was read (`None`: there is none).
    #[serde(default)]
    pub codeowners_path: Option<String>,
}

/// Open or closed, as GitHub reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrState {
    /// Open.
    Open,
    /// Closed (merged or not).
    Closed,
}

/// A user, bot or organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// Login, e.g. `octocat` or `coderabbitai[bot]`.
    pub login: String,
    /// GitHub's account type.
    #[serde(default)]
    pub kind: ActorKind,
}

impl Actor {
    /// A human user with this login.
    pub fn user(login: &str) -> Self {
        Actor { login: login.to_string(), kind: ActorKind::User }
    }

    /// Bots by type or by GitHub's `[bot]` login suffix.
    pub fn is_bot(&self) -> bool {
        self.kind == ActorKind::Bot || self.login.ends_with("[bot]")
    }
}

/// GitHub's account `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum ActorKind {
    /// A person.
    #[default]
    User,
    /// A GitHub App or machine account.
    Bot,
    /// An organisation.
    Organization,
    /// GitHub's placeholder for deleted accounts and the like.
    Mannequin,
}

/// A branch name and the commit it points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitRef {
    /// Branch name without `refs/heads/`.
    #[serde(rename = "ref")]
    pub name: String,
    /// Commit SHA.
    pub sha: String,
}

/// One file of the pull request's diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangedFile {
    /// Path in the head commit.
    pub path: String,
    /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed` or `unchanged`.
    #[serde(default = "default_file_status")]
    pub status: String,
    /// Lines added.
    #[serde(default)]
    pub additions: u64,
    /// Lines removed.
    #[serde(default)]
    pub deletions: u64,
    /// The old path of a renamed file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_path: Option<String>,
}

fn default_file_status() -> String {
    "modified".to_string()
}

/// One commit of the pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Commit {
    /// Commit SHA.
    pub sha: String,
    /// Parent SHAs; two or more means a merge commit.
    #[serde(default)]
    pub parents: Vec<String>,
    /// First line of the message (for messages in findings).
    #[serde(default)]
    pub message: String,
    /// GitHub's signature verification; `None` when unknown.
    #[serde(default)]
    pub verification: Option<Verification>,
}

/// GitHub's `commit.verification` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// Whether GitHub verified the signature.
    pub verified: bool,
    /// GitHub's reason, e.g. `valid`, `unsigned`, `unknown_key`, `bad_email`.
    #[serde(default)]
    pub reason: String,
}

/// One pull request review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Review id (ties on `submitted_at` are broken by the larger id).
    pub id: u64,
    /// Reviewer.
    pub author: Actor,
    /// Review state.
    pub state: ReviewState,
    /// The commit the review was made on.
    #[serde(default)]
    pub commit_id: Option<String>,
    /// When it was submitted; pending reviews have none.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub submitted_at: Option<Timestamp>,
    /// Review body (CodeRabbit puts its "Actionable comments posted: N" line here).
    #[serde(default)]
    pub body: String,
}

/// A review's state. Webhooks send lowercase, the REST API uppercase; both are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewState {
    /// Approved.
    Approved,
    /// Changes requested.
    ChangesRequested,
    /// Commented only.
    Commented,
    /// Dismissed; does not count.
    Dismissed,
    /// Not yet submitted.
    Pending,
}

impl<'de> Deserialize<'de> for ReviewState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        match raw.to_ascii_lowercase().as_str() {
            "approved" => Ok(ReviewState::Approved),
            "changes_requested" => Ok(ReviewState::ChangesRequested),
            "commented" => Ok(ReviewState::Commented),
            "dismissed" => Ok(ReviewState::Dismissed),
            "pending" => Ok(ReviewState::Pending),
            _ => Err(serde::de::Error::unknown_variant(
                &raw,
                &["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"],
            )),
        }
    }
}

/// One review thread of a pull request (GitHub's GraphQL `PullRequestReviewThread`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewThread {
    /// GraphQL node id of the thread.
    pub id: String,
    /// Who opened it (its first comment's author) as GraphQL names accounts: a bot without
    /// REST's `[bot]` suffix (`coderabbitai`); empty for a deleted account.
    #[serde(default)]
    pub author: String,
    /// Whether someone resolved it.
    #[serde(default)]
    pub resolved: bool,
    /// Whether the lines it is about changed since (GitHub's `isOutdated`).
    #[serde(default)]
    pub outdated: bool,
    /// File the thread is on.
    pub path: String,
    /// Line in the head's version of the file; the original line when outdated; `None` for a
    /// comment on the whole file.
    #[serde(default)]
    pub line: Option<u64>,
    /// Link to the thread's first comment.
    #[serde(default)]
    pub url: String,
}

/// A check run on the head SHA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRun {
    /// Check run id (a later run of the same name has a larger id).
    pub id: u64,
    /// Check name as shown on GitHub, e.g. `lint` or `CI / test`.
    pub name: String,
    /// `queued`, `in_progress`, `completed`, `waiting`, `requested` or `pending`.
    pub status: String,
    /// Set when completed: `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out`,
    /// `action_required`, `stale`, `startup_failure`.
    #[serde(default)]
    pub conclusion: Option<String>,
    /// When it started.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub started_at: Option<Timestamp>,
    /// When it completed.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub completed_at: Option<Timestamp>,
}

/// A legacy commit status on the head SHA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitStatus {
    /// Status id.
    pub id: u64,
    /// The status context, e.g. `CodeRabbit`.
    pub context: String,
    /// `error`, `failure`, `pending` or `success`.
    pub state: String,
    /// When it was last set.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub updated_at: Option<Timestamp>,
    /// Description shown next to it.
    #[serde(default)]
    pub description: Option<String>,
}

/// Everything the rules need to judge one issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueSnapshot {
    /// Format version ([`SNAPSHOT_VERSION`]).
    #[serde(default = "snapshot_version")]
    pub version: u32,
    /// `owner/name`.
    pub repository: String,
    /// Issue number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// `open` or `closed`.
    pub state: PrState,
    /// Current label names.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Assignee logins; an assigned issue counts as triaged.
    #[serde(default)]
    pub assignees: Vec<String>,
    /// Who opened it.
    pub author: Actor,
}
