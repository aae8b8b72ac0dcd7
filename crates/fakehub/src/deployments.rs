//! What deployments ask of GitHub: the commit graph of a repository's branch for
//! `GET /repos/{owner}/{repo}/compare/{base}...{head}`, and the answers a GitHub App gives to
//! custom deployment protection rules
//! (`POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`), recorded so a
//! test can read what was answered, and how often.

use std::collections::{BTreeMap, BTreeSet};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::FakeHub;
use crate::model::FakeCommit;
use crate::routes::Reply;
use crate::state::{Shared, iso, now};

const COMPARE_DOCS: &str = "https://docs.github.com/rest/commits/commits#compare-two-commits";
const GATE_DOCS: &str = "https://docs.github.com/rest/actions/workflow-runs#review-custom-deployment-protection-rules-for-a-workflow-run";

/// One answer to a protection rule, as the App sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeGateAnswer {
    /// `owner/name`.
    pub repo: String,
    /// The workflow run.
    pub run_id: u64,
    /// `environment_name`.
    pub environment: String,
    /// `approved` or `rejected`; `None` for a comment alone.
    pub state: Option<String>,
    /// The comment.
    pub comment: Option<String>,
}

/// Commits (in the order added, which is their order in time) and answers, per repository.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeployState {
    commits: BTreeMap<String, Vec<(FakeCommit, String)>>,
    answers: Vec<FakeGateAnswer>,
}

impl FakeHub {
    /// Adds a commit to the repository's history (`parents` name earlier commits; none makes a
    /// root). Comparisons are computed on this graph.
    pub fn add_repo_commit(&self, full_name: &str, mut commit: FakeCommit) {
        let mut st = self.inner.shared.lock();
        let key = st.ensure_repo(full_name).to_ascii_lowercase();
        let date = commit.date.take().unwrap_or_else(|| iso(now()));
        commit.date = Some(date.clone());
        st.deploys.commits.entry(key).or_default().push((commit, date));
    }

    /// Every answer given to a deployment protection rule, oldest first.
    pub fn gate_answers(&self) -> Vec<FakeGateAnswer> {
        self.inner.shared.lock().deploys.answers.clone()
    }
}

/// The routes, merged into the fake's router.
pub(crate) fn routes() -> Router<Shared> {
    Router::new().route("/repos/{owner}/{repo}/compare/{basehead}", get(compare)).route(
        "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",
        post(answer_gate),
    )
}

type Answer = Result<Reply, Reply>;

/// Every commit reachable from `sha` (itself included), as indexes into `commits`.
fn ancestors(commits: &[(FakeCommit, String)], sha: &str) -> Option<BTreeSet<usize>> {
    let index = |s: &str| commits.iter().position(|(c, _)| c.sha.eq_ignore_ascii_case(s));
    let start = index(sha)?;
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(i) = todo.pop() {
        if seen.insert(i) {
            todo.extend(commits[i].0.parents.iter().filter_map(|p| index(p)));
        }
    }
    Some(seen)
}

fn query_number(raw: Option<&str>, key: &str, default: usize) -> usize {
    raw.unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

async fn compare(
    State(shared): State<Shared>,
    Path((owner, name, basehead)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let full = format!("{owner}/{name}");
    let repo = st.repo(&full).ok_or_else(Reply::not_found)?;
    let none = Vec::new();
    let commits = st.deploys.commits.get(&full.to_ascii_lowercase()).unwrap_or(&none);
    let Some((base, head)) = basehead.split_once("...") else {
        return Err(Reply::error(StatusCode::NOT_FOUND, "Not Found", COMPARE_DOCS));
    };
    let (Some(from), Some(to)) = (ancestors(commits, base), ancestors(commits, head)) else {
        return Err(Reply::error(StatusCode::NOT_FOUND, "Not Found", COMPARE_DOCS));
    };
    let Some(merge_base) = from.intersection(&to).max().copied() else {
        return Err(Reply::error(
            StatusCode::NOT_FOUND,
            &format!("No common ancestor between {base} and {head}."),
            COMPARE_DOCS,
        ));
    };
    let ahead: Vec<usize> = to.difference(&from).copied().collect();
    let behind = from.difference(&to).count();
    let status = match (ahead.is_empty(), behind == 0) {
        (true, true) => "identical",
        (false, true) => "ahead",
        (true, false) => "behind",
        (false, false) => "diverged",
    };
    let o = crate::routes::objects_of(&st);
    let commit = |i: usize| o.commit(repo, &commits[i].0, &commits[i].1);
    let per_page = query_number(raw.as_deref(), "per_page", 250).min(250);
    let page = query_number(raw.as_deref(), "page", 1);
    let listed: Vec<Value> = ahead
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|i| commit(*i))
        .collect();
    let html = format!("https://github.com/{full}");
    let api = format!("{}/repos/{full}", st.public_url);
    let base_i = from.iter().copied().find(|i| commits[*i].0.sha.eq_ignore_ascii_case(base));
    Ok(Reply::json(
        StatusCode::OK,
        json!({
            "url": format!("{api}/compare/{basehead}"),
            "html_url": format!("{html}/compare/{basehead}"),
            "permalink_url": format!("{html}/compare/{owner}:{base}...{owner}:{head}"),
            "diff_url": format!("{html}/compare/{basehead}.diff"),
            "patch_url": format!("{html}/compare/{basehead}.patch"),
            "base_commit": commit(base_i.unwrap_or(merge_base)),
            "merge_base_commit": commit(merge_base),
            "status": status,
            "ahead_by": ahead.len(),
            "behind_by": behind,
            "total_commits": ahead.len(),
            "commits": listed,
            "files": [],
        }),
    ))
}

async fn answer_gate(
    State(shared): State<Shared>,
    Path((owner, name, run_id)): Path<(String, String, String)>,
    body: Bytes,
) -> Answer {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|_| Reply::error(StatusCode::BAD_REQUEST, "Problems parsing JSON", GATE_DOCS))?;
    let mut st = shared.lock();
    let full = st.repo(&format!("{owner}/{name}")).ok_or_else(Reply::not_found)?.full_name();
    let run_id: u64 = run_id.parse().map_err(|_| Reply::not_found())?;
    let text = |k: &str| body[k].as_str().map(str::to_owned);
    let state = text("state");
    let invalid = || Reply::error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed", GATE_DOCS);
    let Some(environment) = text("environment_name") else { return Err(invalid()) };
    if state.as_deref().is_some_and(|s| s != "approved" && s != "rejected")
        || (state.is_none() && text("comment").is_none())
    {
        return Err(invalid());
    }
    st.deploys.answers.push(FakeGateAnswer {
        repo: full,
        run_id,
        environment,
        state,
        comment: text("comment"),
    });
    Ok(Reply { status: StatusCode::NO_CONTENT, body: None, link: None })
}
