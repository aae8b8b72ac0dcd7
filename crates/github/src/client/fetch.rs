//! The snapshot fetcher: everything the policy core needs about one pull request (or issue), read
//! with the REST API, plus what plasma-ops itself already wrote there.

use plasma_policy::plan::{CurrentState, rereview_shas_in};
use plasma_policy::render::SUMMARY_MARKER;
use plasma_policy::snapshot::{
    ChangedFile, CheckRun, Commit, CommitStatus, Review, ReviewState, Verification,
};
use plasma_policy::{IssueSnapshot, PrSnapshot};

use super::types::{PullCommit, PullFile, ReviewInfo};
use super::{GitHubClient, GitHubError, RepoClient};
use crate::model::{Comment, Issue, actor_or_ghost};
use crate::to_snapshot::{from_issue, from_pull_request};

/// The commit status plasma-ops sets.
pub const DEFAULT_STATUS_CONTEXT: &str = "plasma-ops/process";
/// Where repositories (and the organisation's `.github` repository) keep the configuration.
pub const DEFAULT_CONFIG_PATH: &str = ".github/plasma.yml";

/// Options of [`GitHubClient::fetch_pr_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Only comments by this login count as ours (sticky comment, re-review markers); `None`
    /// trusts the markers alone.
    pub marker_login: Option<String>,
    /// The context of our commit status.
    pub status_context: String,
    /// The configuration file's path.
    pub config_path: String,
    /// Read both configuration files; a caller that keeps them itself (the service's cache,
    /// invalidated by push webhooks) says no and gets `None` for both.
    pub read_config: bool,
    /// List the repository's labels; a caller that keeps them itself says no and gets
    /// `repo_labels: None`.
    pub read_repo_labels: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            marker_login: None,
            status_context: DEFAULT_STATUS_CONTEXT.to_string(),
            config_path: DEFAULT_CONFIG_PATH.to_string(),
            read_config: true,
            read_repo_labels: true,
        }
    }
}

/// A pull request as the reconciler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedPr {
    /// Everything the rules judge, every collection known.
    pub snapshot: PrSnapshot,
    /// What plasma-ops wrote before: repository labels, sticky comment, our status.
    pub current: CurrentState,
    /// The configuration file on the base branch (never the head: a pull request does not choose
    /// the policy that judges it); `None` when there is none.
    pub base_config: Option<String>,
    /// The configuration file in `<owner>/.github` on its default branch; `None` when there is
    /// none or it cannot be seen.
    pub org_config: Option<String>,
    /// Why the base branch's configuration file exists but cannot be read (over GitHub's 1 MB
    /// contents limit, not UTF-8, ...): the pull request gets a failing status saying so, rather
    /// than a job that fails until it is dead-lettered.
    pub base_config_error: Option<String>,
    /// Whether the base branch is the repository's default branch (as the pull request's base
    /// repository says), so what is read there is what a read of the default branch gets.
    pub base_is_default: bool,
}

/// An issue as the reconciler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedIssue {
    /// Everything the issue rules judge.
    pub snapshot: IssueSnapshot,
    /// plasma-ops's sticky comment on the issue: id and body. Found exactly as on a pull request
    /// (the marker, and only in comments by the marker login when one is set), so nobody else
    /// can plant a summary for plasma-ops to keep "up to date".
    pub sticky_comment: Option<(u64, String)>,
    /// The issue as GitHub answered (times, `state_reason`, `closed_by`: the incident rules).
    pub issue: Issue,
    /// Every comment, oldest first.
    pub comments: Vec<Comment>,
}

/// A configuration file that exists but cannot be used is the repository's problem to report,
/// not a failure of the fetch: `Ok((None, Some(why)))`.
async fn config_or_reason(
    read: impl Future<Output = Result<Option<String>, GitHubError>>,
) -> Result<(Option<String>, Option<String>), GitHubError> {
    match read.await {
        Ok(text) => Ok((text, None)),
        Err(GitHubError::Content { file, detail, .. }) => {
            Ok((None, Some(format!("{file}: {detail}"))))
        }
        Err(e) => Err(e),
    }
}

fn review_state(raw: &str) -> Option<ReviewState> {
    match raw.to_ascii_lowercase().as_str() {
        "approved" => Some(ReviewState::Approved),
        "changes_requested" => Some(ReviewState::ChangesRequested),
        "commented" => Some(ReviewState::Commented),
        "dismissed" => Some(ReviewState::Dismissed),
        "pending" => Some(ReviewState::Pending),
        _ => None,
    }
}

fn to_file(f: PullFile) -> ChangedFile {
    ChangedFile {
        path: f.filename,
        status: if f.status.is_empty() { "modified".into() } else { f.status },
        additions: f.additions,
        deletions: f.deletions,
        previous_path: f.previous_filename,
    }
}

fn to_commit(c: PullCommit) -> Commit {
    Commit {
        sha: c.sha,
        parents: c.parents.into_iter().map(|p| p.sha).collect(),
        message: c.commit.message.lines().next().unwrap_or("").to_string(),
        verification: c
            .commit
            .verification
            .map(|v| Verification { verified: v.verified, reason: v.reason }),
    }
}

fn to_review(r: ReviewInfo) -> Option<Review> {
    let Some(state) = review_state(&r.state) else {
        tracing::warn!(review = r.id, state = %r.state, "unknown review state; review ignored");
        return None;
    };
    Some(Review {
        id: r.id,
        author: actor_or_ghost(r.user.as_ref()),
        state,
        commit_id: r.commit_id,
        submitted_at: r.submitted_at,
        body: r.body.unwrap_or_default(),
    })
}

fn is_ours(c: &Comment, login: Option<&str>) -> bool {
    match login {
        None => true,
        Some(l) => c.user.as_ref().is_some_and(|u| u.login.eq_ignore_ascii_case(l)),
    }
}

/// Our sticky comment among an issue's or pull request's comments: the oldest of ours carrying
/// the summary marker.
fn our_sticky(ours: &[&Comment], repo: &str, number: u64) -> Option<(u64, String)> {
    let stickies: Vec<&&Comment> =
        ours.iter().filter(|c| c.body.contains(SUMMARY_MARKER)).collect();
    if stickies.len() > 1 {
        tracing::warn!(
            repo,
            number,
            count = stickies.len(),
            "several sticky comments; editing the oldest"
        );
    }
    stickies.iter().min_by_key(|c| c.id).map(|c| (c.id, c.body.clone()))
}

impl GitHubClient {
    /// Fetches a pull request with its files, commits, reviews, check runs and statuses of the
    /// head SHA, our comments and status, the repository's labels and both configuration files.
    pub async fn fetch_pr(
        &self,
        installation: Option<u64>,
        repo: &str,
        number: u64,
        marker_login: Option<&str>,
    ) -> Result<FetchedPr, GitHubError> {
        let opts =
            FetchOptions { marker_login: marker_login.map(str::to_string), ..Default::default() };
        self.fetch_pr_with(installation, repo, number, &opts).await
    }

    /// [`GitHubClient::fetch_pr`] with every option.
    pub async fn fetch_pr_with(
        &self,
        installation: Option<u64>,
        repo: &str,
        number: u64,
        opts: &FetchOptions,
    ) -> Result<FetchedPr, GitHubError> {
        let rc = self.repo(installation, repo)?;
        let org = self.repo(installation, &format!("{}/.github", rc.owner()))?;
        // The pull request first: it names the head SHA and the base branch, and with an App it
        // resolves the installation once for the calls that follow.
        let pull = rc.get_pull(number).await?;
        let head = pull.head.sha.as_str();
        let base_ref = pull.base.name.as_str();
        let (
            files,
            commits,
            reviews,
            check_runs,
            statuses,
            comments,
            repo_labels,
            base_config,
            org_config,
        ) = tokio::try_join!(
            rc.list_pull_files(number),
            rc.list_pull_commits(number),
            rc.list_pull_reviews(number),
            rc.list_check_runs(head),
            rc.list_statuses(head),
            rc.list_issue_comments(number),
            async {
                if opts.read_repo_labels { rc.list_labels().await.map(Some) } else { Ok(None) }
            },
            async {
                if !opts.read_config {
                    return Ok((None, None));
                }
                config_or_reason(rc.get_content(&opts.config_path, Some(base_ref))).await
            },
            async {
                if opts.read_config { org_config(&org, &opts.config_path).await } else { Ok(None) }
            },
        )?;
        let (base_config, base_config_error) = base_config;

        let login = opts.marker_login.as_deref();
        let ours: Vec<&Comment> = comments.iter().filter(|c| is_ours(c, login)).collect();
        let sticky = our_sticky(&ours, repo, number);
        let rereview_requested_shas = rereview_shas_in(ours.iter().map(|c| c.body.as_str()));
        let status = statuses
            .iter()
            .filter(|s| s.context == opts.status_context)
            .max_by_key(|s| s.id)
            .map(|s| (s.state.clone(), s.description.clone().unwrap_or_default()));

        let snapshot = PrSnapshot {
            number,
            files: Some(files.into_iter().map(to_file).collect()),
            commits: Some(commits.into_iter().map(to_commit).collect()),
            reviews: Some(reviews.into_iter().filter_map(to_review).collect()),
            check_runs: Some(
                check_runs
                    .into_iter()
                    .map(|c| CheckRun {
                        id: c.id,
                        name: c.name,
                        status: c.status,
                        conclusion: c.conclusion,
                        started_at: c.started_at,
                        completed_at: c.completed_at,
                    })
                    .collect(),
            ),
            statuses: Some(
                statuses
                    .into_iter()
                    .map(|s| CommitStatus {
                        id: s.id,
                        context: s.context,
                        state: s.state,
                        updated_at: s.updated_at,
                        description: s.description,
                    })
                    .collect(),
            ),
            rereview_requested_shas,
            // What the pull request object itself says, read as from a webhook payload.
            ..from_pull_request(&rc.full_name(), &pull)
        };
        let current = CurrentState {
            repo_labels: repo_labels.map(|ls| ls.into_iter().map(|l| l.name).collect()),
            sticky_comment: sticky,
            status,
        };
        let default_branch = pull.base.repo.as_ref().and_then(|r| r.default_branch.as_deref());
        let base_is_default = default_branch == Some(pull.base.name.as_str());
        Ok(FetchedPr {
            snapshot,
            current,
            base_config,
            org_config,
            base_config_error,
            base_is_default,
        })
    }

    /// Fetches an issue for the issue rules, with plasma-ops's sticky comment on it; with
    /// `marker_login`, only comments by that login count as ours (as in [`GitHubClient::fetch_pr`]).
    pub async fn fetch_issue(
        &self,
        installation: Option<u64>,
        repo: &str,
        number: u64,
        marker_login: Option<&str>,
    ) -> Result<FetchedIssue, GitHubError> {
        let rc = self.repo(installation, repo)?;
        let (issue, comments) =
            tokio::try_join!(rc.get_issue(number), rc.list_issue_comments(number))?;
        let ours: Vec<&Comment> = comments.iter().filter(|c| is_ours(c, marker_login)).collect();
        let sticky_comment = our_sticky(&ours, repo, number);
        let snapshot = from_issue(&rc.full_name(), &issue);
        Ok(FetchedIssue { snapshot, sticky_comment, issue, comments })
    }
}

impl GitHubClient {
    /// The repository's configuration file at `git_ref` (its default branch when `None`) and the
    /// organisation's, for judging something that has no base branch (an issue).
    pub async fn config_files(
        &self,
        installation: Option<u64>,
        repo: &str,
        git_ref: Option<&str>,
        path: &str,
    ) -> Result<(Option<String>, Option<String>), GitHubError> {
        let rc = self.repo(installation, repo)?;
        let org = self.repo(installation, &format!("{}/.github", rc.owner()))?;
        tokio::try_join!(rc.get_content(path, git_ref), org_config(&org, path))
    }
}

/// The organisation's configuration: absent, unreadable (the installation may not cover the
/// `.github` repository) or not installed there all mean "no organisation layer".
async fn org_config(org: &RepoClient, path: &str) -> Result<Option<String>, GitHubError> {
    match org.get_content(path, None).await {
        Ok(text) => Ok(text),
        Err(e) if matches!(e.status(), Some(403 | 404)) => {
            tracing::debug!(repo = %org.full_name(), error = %e, "no organisation configuration");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_review_states_map_in_any_case() {
        assert_eq!(review_state("APPROVED"), Some(ReviewState::Approved));
        assert_eq!(review_state("changes_requested"), Some(ReviewState::ChangesRequested));
        assert_eq!(review_state("COMMENTED"), Some(ReviewState::Commented));
        assert_eq!(review_state("DISMISSED"), Some(ReviewState::Dismissed));
        assert_eq!(review_state("PENDING"), Some(ReviewState::Pending));
        assert_eq!(review_state("WHATEVER"), None);
    }
}
