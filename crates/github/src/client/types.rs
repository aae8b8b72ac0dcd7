//! The REST-only answers plasma-ops reads, and the REST shapes of objects whose webhook shape
//! disagrees (see [`crate::model`] for the objects both share). Lenient: everything GitHub may
//! omit or send as `null` has a default, and unknown fields are ignored.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Deserialize;

use crate::model::{Account, null_as_default};

/// One file of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullFile {
    /// Path.
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, ...
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    /// Lines added.
    #[serde(default, deserialize_with = "null_as_default")]
    pub additions: u64,
    /// Lines removed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub deletions: u64,
    /// Old path of a rename.
    #[serde(default)]
    pub previous_filename: Option<String>,
}

/// A `{ "sha": ... }` object: a commit's parent. Not [`crate::webhook::ShaRef`], a branch end
/// in a check run's pull request list, which only shares the name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShaRef {
    /// SHA.
    pub sha: String,
}

/// GitHub's signature verification of a commit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VerificationInfo {
    /// Verified.
    #[serde(default, deserialize_with = "null_as_default")]
    pub verified: bool,
    /// Reason, e.g. `valid`, `unsigned`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub reason: String,
}

/// The `commit` part of a pull request commit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullCommitDetail {
    /// Full message.
    #[serde(default, deserialize_with = "null_as_default")]
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
    #[serde(default, deserialize_with = "null_as_default")]
    pub parents: Vec<ShaRef>,
    /// Message and verification.
    pub commit: PullCommitDetail,
}

/// One pull request review. Kept apart from [`crate::webhook::Review`] (see there): `state` is a
/// string here so that a review in an unknown state is skipped, not the whole fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReviewInfo {
    /// Id.
    pub id: u64,
    /// Reviewer (`null` for deleted accounts).
    #[serde(default)]
    pub user: Option<Account>,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`.
    #[serde(default, deserialize_with = "null_as_default")]
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

/// One check run. Kept apart from [`crate::webhook::CheckRun`] (see there): listed by head SHA,
/// so `head_sha` is not read, and the times are parsed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckRunInfo {
    /// Id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// `queued`, `in_progress`, `completed`, ...
    #[serde(default, deserialize_with = "null_as_default")]
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
    #[serde(default, deserialize_with = "null_as_default")]
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

/// A file from the contents API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ContentFile {
    /// `file`, `dir`, `symlink`, `submodule`.
    #[serde(default, rename = "type", deserialize_with = "null_as_default")]
    pub kind: String,
    /// `base64`, or `none` for files over 1 MB.
    #[serde(default)]
    pub encoding: Option<String>,
    /// Encoded content (with line breaks).
    #[serde(default)]
    pub content: Option<String>,
    /// Size in bytes.
    #[serde(default, deserialize_with = "null_as_default")]
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
