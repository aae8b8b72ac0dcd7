//! The branch ends of a pull request.

use serde::Deserialize;

use super::Repository;

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
