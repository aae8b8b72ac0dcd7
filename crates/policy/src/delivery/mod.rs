//! Deployments, judged from recorded facts: whether a deployment succeeded and when it finished,
//! whether a production deployment was a new change, a redeploy or a rollback, which pull
//! requests it brought, and the production gate's decision ([`gate`]).
//!
//! Pure like the rest of the crate: the store supplies the deployments and their statuses, GitHub
//! the comparison of two commits and each commit's pull requests; nothing here reads a clock, so
//! every time is one GitHub gave (a status's `created_at`), never when a delivery arrived.

pub mod gate;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// One status of a deployment, as GitHub reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusFact {
    /// GitHub's id of the status (orders statuses created in the same millisecond).
    pub id: u64,
    /// `error`, `failure`, `inactive`, `in_progress`, `queued`, `pending` or `success`.
    pub state: String,
    /// The status's `created_at`, unix milliseconds.
    pub created_at: i64,
}

/// What a deployment's statuses add up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settled {
    /// The deciding status's state; `pending` while there is no status at all.
    pub state: String,
    /// When it finished: the time of a `success`, `failure` or `error` status that decides it.
    pub finished_at: Option<i64>,
}

impl Settled {
    /// Whether the deployment succeeded.
    pub fn successful(&self) -> bool {
        self.state == "success"
    }
}

/// The state a deployment is in, from all of its statuses in any order.
///
/// The newest status decides, with one exception: `inactive`. GitHub marks every earlier
/// deployment to an environment `inactive` when a newer one succeeds (`auto_inactive`), so that
/// status says "superseded", not "failed"; taking it as the outcome would lose every deployment
/// but the last one from the record, the miscount DORA tools are known for. An `inactive` status
/// decides only a deployment that never had another outcome.
pub fn settle(statuses: &[StatusFact]) -> Settled {
    let mut ordered: Vec<&StatusFact> = statuses.iter().collect();
    ordered.sort_by_key(|s| (s.created_at, s.id));
    let deciding = ordered.iter().rev().find(|s| s.state != "inactive").or(ordered.last());
    match deciding {
        None => Settled { state: "pending".into(), finished_at: None },
        Some(s) => {
            let finished = matches!(s.state.as_str(), "success" | "failure" | "error");
            Settled { state: s.state.clone(), finished_at: finished.then_some(s.created_at) }
        }
    }
}

/// A deployment that finished successfully, as the chain of an environment needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// GitHub's deployment id.
    pub id: u64,
    /// The commit deployed.
    pub sha: String,
    /// When its `success` status was created.
    pub finished_at: i64,
}

/// The successful deployment to the same environment that finished last before `current`, if
/// any: what `current` replaced. Ties in time are broken by deployment id, GitHub's creation
/// order.
pub fn previous<'a>(successful: &'a [Finished], current: &Finished) -> Option<&'a Finished> {
    let key = |d: &Finished| (d.finished_at, d.id);
    successful.iter().filter(|d| key(d) < key(current)).max_by_key(|d| key(d))
}

/// GitHub's answer to `compare/{base}...{head}`, as far as it matters here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// `ahead`, `behind`, `identical` or `diverged`: where `head` stands relative to `base`.
    pub status: String,
    /// The commits in `head` that are not in `base`, oldest first.
    pub commits: Vec<String>,
}

/// What a successful production deployment was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The first one recorded for its environment: what it brought is unknown.
    First,
    /// It brought commits the previous deployment did not have.
    Change,
    /// The same commit as the previous deployment: nothing new.
    Redeploy,
    /// An ancestor of the previous deployment's commit: it took changes away.
    Rollback,
}

impl ChangeKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::First => "first",
            ChangeKind::Change => "change",
            ChangeKind::Redeploy => "redeploy",
            ChangeKind::Rollback => "rollback",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(text: &str) -> Option<ChangeKind> {
        [ChangeKind::First, ChangeKind::Change, ChangeKind::Redeploy, ChangeKind::Rollback]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// Which comparison [`classify`] needs: `(base, head)` for `compare/{base}...{head}`, or `None`
/// when the answer is known without one (no previous deployment, or the same commit).
pub fn comparison_needed<'a>(
    sha: &'a str,
    previous_sha: Option<&'a str>,
) -> Option<(&'a str, &'a str)> {
    match previous_sha {
        Some(prev) if !same_commit(prev, sha) => Some((prev, sha)),
        _ => None,
    }
}

/// A deployment names its commit by full SHA; compare them without regard to case.
fn same_commit(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// What a successful deployment of `sha` was, given the previous successful deployment's commit
/// to the same environment and, when [`comparison_needed`] asked for one, GitHub's comparison of
/// the previous commit (base) with this one (head). Returns the kind and the commits it brought
/// (empty unless it is a change). `None` when a needed comparison is missing or unreadable.
pub fn classify(
    sha: &str,
    previous_sha: Option<&str>,
    comparison: Option<&Comparison>,
) -> Option<(ChangeKind, Vec<String>)> {
    let Some(prev) = previous_sha else { return Some((ChangeKind::First, Vec::new())) };
    if same_commit(prev, sha) {
        return Some((ChangeKind::Redeploy, Vec::new()));
    }
    let cmp = comparison?;
    match cmp.status.as_str() {
        // This commit is behind the previous one and has nothing of its own: an ancestor.
        "behind" => Some((ChangeKind::Rollback, Vec::new())),
        // Two names for one commit (a short SHA, a tag's commit): nothing new.
        "identical" => Some((ChangeKind::Redeploy, Vec::new())),
        // `diverged` (a hotfix branch deployed over main) still brings its own commits.
        "ahead" | "diverged" => Some((ChangeKind::Change, cmp.commits.clone())),
        _ => None,
    }
}

/// A pull request associated with a commit (`GET .../commits/{sha}/pulls`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullFact {
    /// Its number.
    pub number: u64,
    /// Whether it was merged.
    pub merged: bool,
    /// Its head commit (the one the process judged last).
    pub head_sha: String,
}

/// The pull requests commits brought: every merged pull request associated with one of them,
/// by number, without duplicates. Open pull requests that merely contain a commit (a branch
/// built on another) brought nothing.
pub fn brought_pulls<'a>(associated: impl IntoIterator<Item = &'a PullFact>) -> Vec<u64> {
    let numbers: BTreeSet<u64> =
        associated.into_iter().filter(|p| p.merged).map(|p| p.number).collect();
    numbers.into_iter().collect()
}
