//! `--pr-labels`: the `semver:major|minor|patch` labels of the pull requests behind the commits
//! that are not Conventional Commits, read from GitHub (`GET /repos/{owner}/{repo}/commits/{sha}/pulls`,
//! which for a commit on the default branch answers the merged pull request that brought it).
//! Only those commits are asked about, at most [`IN_FLIGHT`] at a time, so a release of
//! conventional commits costs no call at all.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use plasma_github::GitHubClient;
use plasma_github::client::PullRequest;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Concurrent requests; GitHub asks integrators not to fire many at once.
const IN_FLIGHT: usize = 8;

/// Where the labels of non-conventional commits come from.
#[derive(Debug, Default, Args)]
pub struct LabelSource {
    /// Read the `semver:*` labels of the pull request behind each commit that is not a
    /// Conventional Commit from GitHub (token in PLASMA_OPS_GITHUB_TOKEN or GITHUB_TOKEN;
    /// repository from --repo or the `origin` URL). Without it such commits release nothing.
    #[arg(long)]
    pub pr_labels: bool,
    /// Labels already read, per commit: with components, a commit that touches several is
    /// asked about once.
    #[arg(skip)]
    known: RefCell<HashMap<String, Vec<String>>>,
}

impl LabelSource {
    /// Labels for each of `shas` (commits that only labels can count), asking GitHub about those
    /// not read before.
    pub fn labels_for(
        &self,
        repository: Option<&str>,
        shas: &[String],
        format: crate::args::Format,
    ) -> Result<HashMap<String, Vec<String>>> {
        let missing: Vec<String> =
            shas.iter().filter(|s| !self.known.borrow().contains_key(*s)).cloned().collect();
        let found = fetch(repository, &missing, format)?;
        let mut known = self.known.borrow_mut();
        known.extend(found);
        Ok(shas.iter().filter_map(|s| known.get(s).map(|l| (s.clone(), l.clone()))).collect())
    }
}

/// The labels a commit's pull requests carry: those of the merged ones when GitHub names any
/// (the pull request that brought the commit to the default branch), else of every one named.
pub fn labels_of(pulls: &[PullRequest]) -> Vec<String> {
    let merged: Vec<&PullRequest> = pulls.iter().filter(|p| p.merged_at.is_some()).collect();
    let chosen: Vec<&PullRequest> = if merged.is_empty() { pulls.iter().collect() } else { merged };
    let set: BTreeSet<&str> =
        chosen.iter().flat_map(|p| p.labels.iter().map(|l| l.name.as_str())).collect();
    set.into_iter().map(str::to_string).collect()
}

/// Labels per commit SHA for `shas` of `repository` (`owner/name`).
fn fetch(
    repository: Option<&str>,
    shas: &[String],
    format: crate::args::Format,
) -> Result<HashMap<String, Vec<String>>> {
    if shas.is_empty() {
        return Ok(HashMap::new());
    }
    let Some(repository) = repository else {
        bail!(
            "--pr-labels needs the GitHub repository: pass --repo OWNER/NAME (the `origin` remote's URL names none)"
        );
    };
    let Some(client) = crate::github_env::client_from_env()? else {
        bail!(
            "--pr-labels needs a token: set GITHUB_TOKEN or PLASMA_OPS_GITHUB_TOKEN (read access to {repository}'s pull requests)"
        );
    };
    let bar = crate::progress::Progress::new(
        format,
        shas.len() as u64,
        "reading the pull request labels of commits",
    );
    crate::github_env::runtime()?.block_on(fetch_all(client, repository, shas, &bar))
}

async fn fetch_all(
    client: GitHubClient,
    repository: &str,
    shas: &[String],
    bar: &crate::progress::Progress,
) -> Result<HashMap<String, Vec<String>>> {
    let repo = client.repo(None, repository).map_err(|e| anyhow!("{e}"))?;
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = JoinSet::new();
    for sha in shas {
        let (repo, gate, sha) = (repo.clone(), Arc::clone(&gate), sha.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let pulls = repo.pulls_for_commit(&sha).await;
            (sha, pulls)
        });
    }
    let mut out = HashMap::with_capacity(shas.len());
    while let Some(done) = tasks.join_next().await {
        let (sha, pulls) = done.map_err(|e| anyhow!("reading pull request labels: {e}"))?;
        let pulls = pulls.map_err(|e| {
            anyhow!("reading the pull requests of commit {sha} in {repository}: {e}")
        })?;
        out.insert(sha, labels_of(&pulls));
        bar.inc(1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pull(number: u64, merged: bool, labels: &[&str]) -> PullRequest {
        let labels: Vec<serde_json::Value> =
            labels.iter().map(|l| serde_json::json!({"name": l})).collect();
        serde_json::from_value(serde_json::json!({
            "number": number,
            "merged_at": merged.then_some("2026-11-27T10:00:00Z"),
            "head": {"ref": "feature", "sha": "a"},
            "base": {"ref": "main", "sha": "b"},
            "labels": labels,
        }))
        .expect("a pull request")
    }

    #[test]
    fn merged_pull_requests_decide_and_open_ones_count_only_alone() {
        let cases: &[(&[PullRequest], &[&str])] = &[
            (&[], &[]),
            (&[pull(1, false, &["semver:minor"])], &["semver:minor"]),
            // The merged pull request brought the commit; an open one that also holds it
            // (a branch built on it) says nothing about this release.
            (
                &[pull(1, false, &["semver:major"]), pull(2, true, &["semver:patch", "bug"])],
                &["bug", "semver:patch"],
            ),
            (
                &[pull(1, true, &["semver:patch"]), pull(2, true, &["semver:minor"])],
                &["semver:minor", "semver:patch"],
            ),
        ];
        for (pulls, want) in cases {
            assert_eq!(labels_of(pulls), want.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_commit_read_once_is_not_asked_about_again() {
        let source = LabelSource::default();
        source.known.borrow_mut().insert("abc".into(), vec!["semver:minor".into()]);
        // Everything asked for is known: no repository, token or call is needed.
        let got = source
            .labels_for(None, &["abc".to_string()], crate::args::Format::Json)
            .expect("from memory");
        assert_eq!(got.get("abc"), Some(&vec!["semver:minor".to_string()]));
        // Something unknown does need GitHub, and says what is missing.
        let err = source
            .labels_for(None, &["def".to_string()], crate::args::Format::Json)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--pr-labels needs the GitHub repository"), "{err}");
    }
}
