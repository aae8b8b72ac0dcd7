//! What deployments need from GitHub: the comparison of two commits
//! (`GET /repos/{owner}/{repo}/compare/{base}...{head}`, cached, since the answer for two SHAs
//! never changes) and the answer to a custom deployment protection rule
//! (`POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::endpoints::RepoClient;
use super::{Call, GitHubError};

/// Commits per page of a comparison, GitHub's maximum.
const PER_PAGE: usize = 100;
/// At most this many pages are read: 1,000 commits between two deployments is more than any
/// release brings; a longer range is reported as cut (`total_commits` says how many there were).
const MAX_PAGES: usize = 10;
/// Comparisons kept; the cache is emptied when it is full (each entry is a few kilobytes).
const CACHE_ENTRIES: usize = 1_000;

/// One commit of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparedCommit {
    /// Its SHA.
    pub sha: String,
    /// Its committer date, as GitHub reports it.
    pub committed_at: Option<Timestamp>,
}

/// GitHub's comparison of `base` and `head`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared {
    /// `ahead`, `behind`, `identical` or `diverged`: where `head` stands relative to `base`.
    pub status: String,
    /// Commits `head` has that `base` lacks.
    pub ahead_by: u64,
    /// Commits `base` has that `head` lacks.
    pub behind_by: u64,
    /// How many commits the comparison has in all (may exceed `commits` when cut).
    pub total_commits: u64,
    /// The commits `head` has that `base` lacks, oldest first.
    pub commits: Vec<ComparedCommit>,
}

#[derive(Deserialize)]
struct ComparePage {
    status: String,
    #[serde(default)]
    ahead_by: u64,
    #[serde(default)]
    behind_by: u64,
    #[serde(default)]
    total_commits: u64,
    #[serde(default)]
    commits: Vec<PageCommit>,
}

#[derive(Deserialize)]
struct PageCommit {
    sha: String,
    #[serde(default)]
    commit: Option<GitCommit>,
}

#[derive(Deserialize)]
struct GitCommit {
    #[serde(default)]
    committer: Option<GitIdentity>,
}

#[derive(Deserialize)]
struct GitIdentity {
    #[serde(default)]
    date: Option<Timestamp>,
}

/// Comparisons by `owner/repo@base...head`.
#[derive(Default)]
pub(crate) struct CompareCache(Mutex<HashMap<String, Arc<Compared>>>);

impl CompareCache {
    fn get(&self, key: &str) -> Option<Arc<Compared>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }

    fn put(&self, key: String, value: Arc<Compared>) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= CACHE_ENTRIES {
            m.clear();
        }
        m.insert(key, value);
    }
}

/// A full SHA names one commit for ever; a branch or short SHA may name another tomorrow, so only
/// comparisons of full SHAs are cached.
fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl RepoClient {
    /// `GET /repos/{owner}/{repo}/compare/{base}...{head}`, every page up to 1,000 commits.
    /// Comparisons of two full SHAs are answered from the cache after the first call.
    pub async fn compare(&self, base: &str, head: &str) -> Result<Arc<Compared>, GitHubError> {
        let key = format!(
            "{}@{}...{}",
            self.full_name(),
            base.to_ascii_lowercase(),
            head.to_ascii_lowercase()
        );
        let cacheable = is_full_sha(base) && is_full_sha(head);
        if cacheable && let Some(hit) = self.client.inner.compares.get(&key) {
            return Ok(hit);
        }
        let basehead = format!("{base}...{head}");
        let mut compared: Option<Compared> = None;
        for page in 1..=MAX_PAGES {
            let call = Call::get(
                self.route("/repos/{owner}/{repo}/compare/{basehead}", &[&basehead]),
                self.scope(),
            )
            .query("per_page", PER_PAGE.to_string())
            .query("page", page.to_string());
            let p: ComparePage = self.client.fetch(call).await?;
            let n = p.commits.len();
            let commits = p.commits.into_iter().map(|c| ComparedCommit {
                committed_at: c.commit.and_then(|g| g.committer).and_then(|i| i.date),
                sha: c.sha,
            });
            let c = compared.get_or_insert_with(|| Compared {
                status: p.status,
                ahead_by: p.ahead_by,
                behind_by: p.behind_by,
                total_commits: p.total_commits,
                commits: Vec::new(),
            });
            c.commits.extend(commits);
            if n < PER_PAGE || c.commits.len() as u64 >= c.total_commits {
                break;
            }
        }
        let compared = Arc::new(compared.unwrap_or_else(|| Compared {
            status: "identical".into(),
            ahead_by: 0,
            behind_by: 0,
            total_commits: 0,
            commits: Vec::new(),
        }));
        if cacheable {
            self.client.inner.compares.put(key, Arc::clone(&compared));
        }
        Ok(compared)
    }

    /// Approves (`approved`) or rejects (`rejected`) the deployment of workflow run `run_id` to
    /// `environment`, with `comment` shown on the run. Only the App that GitHub asked may answer,
    /// and only while the run waits; GitHub answers 204. Not repeated on a lost answer: the caller
    /// records the answer and a second one would be refused.
    pub async fn review_protection_rule(
        &self,
        run_id: u64,
        environment: &str,
        state: &str,
        comment: &str,
    ) -> Result<(), GitHubError> {
        let run = run_id.to_string();
        // GitHub's comment fields take up to 65,536 characters; ours are far shorter, but a
        // repository's names are not ours to bound.
        let comment: String = comment.chars().take(60_000).collect();
        let call = Call::new(
            Method::POST,
            self.route(
                "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",
                &[&run],
            ),
            self.scope(),
        )
        .json(json!({ "environment_name": environment, "state": state, "comment": comment }));
        self.client.send(call).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_shas_are_cacheable() {
        assert!(is_full_sha(&"a".repeat(40)));
        assert!(!is_full_sha("main"));
        assert!(!is_full_sha(&"g".repeat(40)));
        assert!(!is_full_sha(&"a".repeat(7)));
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = CompareCache::default();
        let c = Arc::new(Compared {
            status: "ahead".into(),
            ahead_by: 1,
            behind_by: 0,
            total_commits: 1,
            commits: vec![],
        });
        for i in 0..=CACHE_ENTRIES {
            cache.put(format!("k{i}"), Arc::clone(&c));
        }
        assert!(cache.get(&format!("k{CACHE_ENTRIES}")).is_some());
        assert!(cache.get("k0").is_none());
    }
}
