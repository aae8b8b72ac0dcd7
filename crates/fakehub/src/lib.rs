//! A stateful fake of the GitHub REST API for plasma-ops's tests.
//!
//! [`FakeHub::start`] serves the endpoints plasma-ops uses on `127.0.0.1`; tests seed pull
//! requests, reviews, commits, checks and contents through the methods below, read back what the
//! code under test wrote (labels, comments, statuses), count requests, and inject faults (5xx,
//! secondary rate limits, slow answers, dropped connections). Every answer carries an `ETag` and
//! GitHub's rate-limit headers, and a matching `If-None-Match` gets a free 304.
//!
//! Its honesty is checked against GitHub's official OpenAPI description: [`prism`] runs Stoplight
//! Prism as a validating proxy in front of it (`tests/contract.rs`).

// `json!` of a full repository object nests deeper than the default limit.
#![recursion_limit = "256"]

mod deployments;
mod discussions;
mod graphql;
mod model;
mod objects;
pub mod prism;
mod projects;
mod protection;
mod routes;
mod server;
mod state;
mod teams;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use deployments::FakeGateAnswer;
pub use discussions::FakeDiscussion;
pub use graphql::FakeThread;
pub use model::{
    Exchange, FakeCheckRun, FakeComment, FakeCommit, FakeFile, FakeIssue, FakePull, FakeReview,
    FakeStatus, Fault, LabelEvent, RecordedRequest,
};
pub use prism::{
    Prism, PrismError, StrictReport, is_undocumented_status, start_prism, start_with_prism,
    strict_check, violations,
};
pub use projects::FakeProject;
pub use protection::FakeProtection;

use state::{CheckRunRec, IssueRec, PullRec, ReviewRec, Shared, iso, now};

/// A running fake GitHub; clones share it, and it stops when the last clone is dropped.
#[derive(Clone)]
pub struct FakeHub {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Shared,
    url: String,
    task: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeHub {
    /// Starts the fake on a free port of `127.0.0.1`.
    pub async fn start() -> std::io::Result<FakeHub> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Shared::default();
        *shared.lock() = state::State::new(url.clone());
        let task = tokio::spawn(server::serve(listener, server::app(shared.clone())));
        Ok(FakeHub { inner: Arc::new(Inner { shared, url, task }) })
    }

    /// The API base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        self.inner.url.clone()
    }

    /// The base URL that object URLs and `Link` headers use: a proxy's in front of the fake (Prism
    /// rewrites `Host`, so the request cannot tell). Defaults to [`FakeHub::url`].
    pub fn set_public_base_url(&self, url: &str) {
        self.inner.shared.lock().public_url = url.trim_end_matches('/').to_owned();
    }

    /// The login that writes through the API are attributed to (default `plasma-ops[bot]`).
    pub fn set_bot_login(&self, login: &str) {
        self.inner.shared.lock().bot_login = login.to_owned();
    }

    // ----- state setup ---------------------------------------------------------------------------

    /// Adds a repository (`owner/name`, default branch `main`); adding it again does nothing.
    pub fn add_repo(&self, full_name: &str) {
        self.inner.shared.lock().ensure_repo(full_name);
    }

    /// Adds a pull request (and its repository if needed) and returns its number.
    pub fn add_pull(&self, full_name: &str, pr: FakePull) -> u64 {
        let at = now();
        let merged = pr.merged;
        let state = if merged { "closed".to_owned() } else { pr.state };
        let closed = state == "closed";
        let issue = IssueRec {
            id: 0,
            number: 0,
            title: pr.title,
            body: pr.body,
            user: pr.user,
            state,
            labels: pr.labels,
            created_at: at,
            updated_at: at,
            closed_at: closed.then_some(at),
            author_association: pr.author_association,
            pull: Some(PullRec {
                id: 0,
                head_ref: pr.head_ref,
                head_sha: pr.head_sha,
                base_ref: pr.base_ref,
                draft: pr.draft,
                merged_at: merged.then_some(at),
                merge_commit_sha: None,
                files: Vec::new(),
                reviews: Vec::new(),
                commits: Vec::new(),
            }),
            label_events: Vec::new(),
            assignees: Vec::new(),
            state_reason: None,
            closed_by: None,
            events: Vec::new(),
        };
        self.inner.shared.lock().add_issue(full_name, issue)
    }

    /// Adds an issue that is not a pull request and returns its number.
    pub fn add_issue(&self, full_name: &str, issue: FakeIssue) -> u64 {
        let at = now();
        let closed = issue.state == "closed";
        let rec = IssueRec {
            id: 0,
            number: 0,
            title: issue.title,
            body: issue.body,
            user: issue.user,
            state: issue.state,
            labels: issue.labels,
            created_at: at,
            updated_at: at,
            closed_at: closed.then_some(at),
            author_association: "MEMBER".to_owned(),
            pull: None,
            label_events: Vec::new(),
            assignees: Vec::new(),
            state_reason: None,
            closed_by: None,
            events: Vec::new(),
        };
        self.inner.shared.lock().add_issue(full_name, rec)
    }

    /// Changes a pull request's title and body (as an `edited` event would follow).
    pub fn edit_pull(&self, full_name: &str, number: u64, title: &str, body: Option<&str>) {
        if let Ok(issue) = self.inner.shared.lock().issue_mut(full_name, number) {
            issue.title = title.to_owned();
            issue.body = body.map(str::to_owned);
            issue.updated_at = now();
        }
    }

    /// A person closes an issue with GitHub's `state_reason` (`completed`, `not_planned`), as
    /// the `closed` webhook that follows says.
    pub fn close_issue(&self, full_name: &str, number: u64, by: &str, reason: &str) {
        let mut st = self.inner.shared.lock();
        let id = st.id();
        if let Ok(issue) = st.issue_mut(full_name, number) {
            // GitHub's times have one-second resolution; two closes a second apart differ.
            let at = now()
                .max(issue.closed_at.map_or(now(), |c| c + jiff::SignedDuration::from_secs(1)));
            issue.state = "closed".into();
            issue.state_reason = Some(reason.into());
            issue.closed_at = Some(at);
            issue.closed_by = Some(by.into());
            issue.updated_at = at;
            issue.events.push(state::IssueEventRec {
                id,
                event: "closed".into(),
                actor: by.into(),
                assignee: None,
                created_at: at,
            });
        }
    }

    /// `by` assigns `login` to an issue (an `assigned` event at GitHub's time, now).
    pub fn assign(&self, full_name: &str, number: u64, by: &str, login: &str) {
        let mut st = self.inner.shared.lock();
        let id = st.id();
        if let Ok(issue) = st.issue_mut(full_name, number) {
            let at = now();
            if !issue.assignees.iter().any(|a| a == login) {
                issue.assignees.push(login.into());
            }
            issue.updated_at = at;
            issue.events.push(state::IssueEventRec {
                id,
                event: "assigned".into(),
                actor: by.into(),
                assignee: Some(login.into()),
                created_at: at,
            });
        }
    }

    /// Sets when an issue was opened (an incident that has been open for a while).
    pub fn set_created_at(&self, full_name: &str, number: u64, at: jiff::Timestamp) {
        if let Ok(issue) = self.inner.shared.lock().issue_mut(full_name, number) {
            issue.created_at = at;
        }
    }

    /// An issue's `state` and `state_reason`.
    pub fn issue_state(&self, full_name: &str, number: u64) -> Option<(String, Option<String>)> {
        let mut st = self.inner.shared.lock();
        let issue = st.issue_mut(full_name, number).ok()?;
        Some((issue.state.clone(), issue.state_reason.clone()))
    }

    /// An issue's body.
    pub fn set_issue_body(&self, full_name: &str, number: u64, body: &str) {
        if let Ok(issue) = self.inner.shared.lock().issue_mut(full_name, number) {
            issue.body = Some(body.into());
            issue.updated_at = now();
        }
    }

    /// Closes (optionally merging) or reopens a pull request or issue: `state` is `open` or
    /// `closed`.
    pub fn set_state(&self, full_name: &str, number: u64, state: &str, merged: bool) {
        if let Ok(issue) = self.inner.shared.lock().issue_mut(full_name, number) {
            let at = now();
            issue.state = state.to_owned();
            issue.updated_at = at;
            issue.closed_at = (state == "closed").then_some(at);
            if let Some(pull) = issue.pull.as_mut() {
                pull.merged_at = (merged && state == "closed").then_some(at);
            }
        }
    }

    /// Merges a pull request as GitHub's squash or merge button does: closed, merged, and
    /// `merge_commit_sha` the commit that landed on the base branch, so
    /// `GET /repos/{owner}/{repo}/commits/{sha}/pulls` finds the pull request from that commit.
    pub fn merge_pull(&self, full_name: &str, number: u64, merge_commit_sha: &str) {
        self.set_state(full_name, number, "closed", true);
        if let Ok(pull) = self.inner.shared.lock().pull_mut(full_name, number) {
            pull.merge_commit_sha = Some(merge_commit_sha.to_owned());
        }
    }

    /// Marks a pull request draft or ready for review.
    pub fn set_draft(&self, full_name: &str, number: u64, draft: bool) {
        if let Ok(pull) = self.inner.shared.lock().pull_mut(full_name, number) {
            pull.draft = draft;
        }
    }

    /// Replaces a pull request's changed files.
    pub fn set_files(&self, full_name: &str, number: u64, files: Vec<FakeFile>) {
        if let Ok(pull) = self.inner.shared.lock().pull_mut(full_name, number) {
            pull.files = files;
        }
    }

    /// Adds a submitted review and returns its id.
    pub fn add_review(&self, full_name: &str, number: u64, review: FakeReview) -> u64 {
        let mut st = self.inner.shared.lock();
        let id = st.id();
        if let Ok(pull) = st.pull_mut(full_name, number) {
            let commit_id = review.commit_id.clone().unwrap_or_else(|| pull.head_sha.clone());
            let submitted_at = review.submitted_at.clone().unwrap_or_else(|| iso(now()));
            pull.reviews.push(ReviewRec { id, review, commit_id, submitted_at });
        }
        id
    }

    /// Appends a commit to a pull request's commit list (the head does not move; see
    /// [`FakeHub::push_commit`]).
    pub fn add_commit(&self, full_name: &str, number: u64, mut commit: FakeCommit) {
        if commit.date.is_none() {
            commit.date = Some(iso(now()));
        }
        if let Ok(pull) = self.inner.shared.lock().pull_mut(full_name, number) {
            if commit.parents.is_empty()
                && let Some(last) = pull.commits.last()
            {
                commit.parents.push(last.sha.clone());
            }
            pull.commits.push(commit);
        }
    }

    /// A push: appends the commit and moves the head to it.
    pub fn push_commit(&self, full_name: &str, number: u64, commit: FakeCommit) {
        let sha = commit.sha.clone();
        self.add_commit(full_name, number, commit);
        self.set_head_sha(full_name, number, &sha);
    }

    /// Moves a pull request's head to `sha` (a push).
    pub fn set_head_sha(&self, full_name: &str, number: u64, sha: &str) {
        if let Ok(issue) = self.inner.shared.lock().issue_mut(full_name, number) {
            issue.updated_at = now();
            if let Some(pull) = issue.pull.as_mut() {
                pull.head_sha = sha.to_owned();
            }
        }
    }

    /// Adds the pull request every rule of the default policy passes (the Plasma Engine example:
    /// `[PE-12] Gateway bootstrap` from `bob` on `gateway/PE-12-bootstrap-fastapi`, the whole
    /// checklist ticked, `app/main.py` changed, one verified commit) and returns its number; tests
    /// then add the one fact they are about.
    pub fn add_ready_pull(&self, full_name: &str) -> u64 {
        let number = self.add_pull(
            full_name,
            FakePull {
                title: "[PE-12] Gateway bootstrap".into(),
                body: Some(
                    "- [x] Tests run\n- [x] Lint pass\n- [x] Docs updated\n- [x] ADR impact\n"
                        .into(),
                ),
                user: "bob".into(),
                head_ref: "gateway/PE-12-bootstrap-fastapi".into(),
                ..FakePull::default()
            },
        );
        self.set_files(full_name, number, vec![FakeFile::modified("app/main.py")]);
        if let Some(head) = self.head_sha(full_name, number) {
            self.add_commit(full_name, number, FakeCommit::verified(&head, "Bootstrap"));
        }
        number
    }

    /// The head SHA of a pull request.
    pub fn head_sha(&self, full_name: &str, number: u64) -> Option<String> {
        self.inner.shared.lock().pull_mut(full_name, number).ok().map(|p| p.head_sha.clone())
    }

    /// Points a branch at `sha` (a pull request's `base.sha` is its base branch's head).
    pub fn set_branch(&self, full_name: &str, branch: &str, sha: &str) {
        let mut st = self.inner.shared.lock();
        st.ensure_repo(full_name);
        if let Some(repo) = st.repo_mut(full_name) {
            repo.branches.insert(branch.to_owned(), sha.to_owned());
        }
    }

    /// Adds a check run on a commit and returns its id.
    pub fn add_check_run(&self, full_name: &str, sha: &str, run: FakeCheckRun) -> u64 {
        let mut st = self.inner.shared.lock();
        st.ensure_repo(full_name);
        let id = st.id();
        let suite_id = st.id();
        if let Some(repo) = st.repo_mut(full_name) {
            repo.check_runs.push(CheckRunRec {
                id,
                suite_id,
                sha: sha.to_owned(),
                run,
                started_at: now(),
            });
        }
        id
    }

    /// Adds a commit status on a commit and returns its id.
    pub fn add_status(&self, full_name: &str, sha: &str, status: FakeStatus) -> u64 {
        self.inner.shared.lock().add_status(full_name, sha, status)
    }

    /// Stores a file's text at a ref (a branch name such as `main`, or a SHA).
    pub fn set_file_content(&self, full_name: &str, git_ref: &str, path: &str, text: &str) {
        let mut st = self.inner.shared.lock();
        st.ensure_repo(full_name);
        if let Some(repo) = st.repo_mut(full_name) {
            let key = (git_ref.to_owned(), path.trim_start_matches('/').to_owned());
            repo.contents.insert(key, text.to_owned());
        }
    }

    /// Adds a comment by `user` and returns its id (0 when there is no such issue).
    pub fn add_comment(&self, full_name: &str, number: u64, user: &str, body: &str) -> u64 {
        self.inner.shared.lock().add_comment(full_name, number, user, body).unwrap_or(0)
    }

    /// Adds an installation of the App covering these repositories (each added if needed).
    pub fn add_installation(&self, id: u64, repos: &[&str]) {
        let mut st = self.inner.shared.lock();
        for repo in repos {
            st.ensure_repo(repo);
        }
        st.installations.insert(id, repos.iter().map(|r| (*r).to_owned()).collect());
    }

    /// Creates a repository label; `false` when it already exists.
    pub fn add_repo_label(
        &self,
        full_name: &str,
        name: &str,
        color: &str,
        description: Option<&str>,
    ) -> bool {
        let mut st = self.inner.shared.lock();
        st.ensure_repo(full_name);
        st.create_label(full_name, name, color, description.map(str::to_owned)).unwrap_or(false)
    }

    /// A person puts a label on an issue or pull request (a label event by actor `a-human`).
    pub fn add_label_by_human(&self, full_name: &str, number: u64, label: &str) {
        let _ = self.inner.shared.lock().add_issue_label(full_name, number, label, Some("a-human"));
    }

    /// A person takes a label off an issue or pull request (a label event by actor `a-human`).
    pub fn remove_label_by_human(&self, full_name: &str, number: u64, label: &str) {
        let _ = self.inner.shared.lock().remove_issue_label(full_name, number, label, "a-human");
    }

    // ----- inspection ----------------------------------------------------------------------------

    /// Label names on an issue or pull request, sorted case-insensitively as GitHub lists them.
    pub fn labels_of(&self, full_name: &str, number: u64) -> Vec<String> {
        let st = self.inner.shared.lock();
        st.repo(full_name)
            .and_then(|r| r.issues.get(&number))
            .map(|i| i.labels.clone())
            .unwrap_or_default()
    }

    /// Label changes on an issue or pull request, oldest first.
    pub fn label_events(&self, full_name: &str, number: u64) -> Vec<LabelEvent> {
        let st = self.inner.shared.lock();
        st.repo(full_name)
            .and_then(|r| r.issues.get(&number))
            .map(|i| i.label_events.clone())
            .unwrap_or_default()
    }

    /// Moves the newest `labeled` event of `label` on an issue or pull request to `at` (a test's
    /// "the label was added five hours ago").
    pub fn backdate_label(&self, full_name: &str, number: u64, label: &str, at: jiff::Timestamp) {
        let mut st = self.inner.shared.lock();
        if let Ok(issue) = st.issue_mut(full_name, number)
            && let Some(e) = issue
                .label_events
                .iter_mut()
                .rev()
                .find(|e| e.action == "labeled" && e.label.eq_ignore_ascii_case(label))
        {
            e.created_at = at;
        }
    }

    /// Names of the repository's labels.
    pub fn repo_labels(&self, full_name: &str) -> Vec<String> {
        let st = self.inner.shared.lock();
        st.repo(full_name)
            .map(|r| r.labels.iter().map(|l| l.name.clone()).collect())
            .unwrap_or_default()
    }

    /// Comments on an issue or pull request, oldest first.
    pub fn comments_of(&self, full_name: &str, number: u64) -> Vec<FakeComment> {
        let st = self.inner.shared.lock();
        st.repo(full_name)
            .map(|r| {
                r.comments
                    .iter()
                    .filter(|c| c.issue == number)
                    .map(|c| FakeComment { id: c.id, body: c.body.clone(), user: c.user.clone() })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Commit statuses on a SHA, newest first (as GitHub lists them).
    pub fn statuses_of(&self, full_name: &str, sha: &str) -> Vec<FakeStatus> {
        let st = self.inner.shared.lock();
        st.repo(full_name)
            .map(|r| {
                r.statuses.iter().rev().filter(|s| s.sha == sha).map(|s| s.status.clone()).collect()
            })
            .unwrap_or_default()
    }

    // ----- request accounting and faults ---------------------------------------------------------

    /// Every request received since the start or the last [`FakeHub::reset_requests`], in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.shared.lock().requests.clone()
    }

    /// Forgets the recorded requests (and exchanges).
    pub fn reset_requests(&self) {
        let mut st = self.inner.shared.lock();
        st.requests.clear();
        st.exchanges.clear();
    }

    /// Starts or stops keeping every answer's body for [`prism::strict_check`] (off by default:
    /// benchmarks make many requests).
    pub fn record_exchanges(&self, on: bool) {
        self.inner.shared.lock().record_exchanges = on;
    }

    /// The answers kept while [`FakeHub::record_exchanges`] was on, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.inner.shared.lock().exchanges.clone()
    }

    /// Queues a fault; the next matching requests consume it, in the order queued.
    pub fn inject(&self, fault: Fault) {
        let times = match &fault {
            Fault::Status { times, .. }
            | Fault::SecondaryRateLimit { times, .. }
            | Fault::Slow { times, .. }
            | Fault::Stall { times, .. }
            | Fault::DropConnection { times } => *times,
        };
        if times > 0 {
            self.inner.shared.lock().faults.push_back(fault);
        }
    }

    /// How many queued faults no request has consumed yet: a test waits for 0 to know that the
    /// request a fault was meant for has arrived (a stalled write is held from then on).
    pub fn faults_pending(&self) -> usize {
        self.inner.shared.lock().faults.len()
    }

    /// Drops every queued fault and the periodic failure.
    pub fn clear_faults(&self) {
        let mut st = self.inner.shared.lock();
        st.faults.clear();
        st.periodic = None;
    }

    /// From now on every `every`th request answers `status` (502 with `every = 20` is a 5%
    /// failure rate); `every = 0` turns it off. Queued faults take precedence.
    pub fn fail_every(&self, status: u16, every: u64) {
        self.inner.shared.lock().periodic = (every > 0).then_some((status, every, 0));
    }

    /// From now on every answer takes between `min` and `max` (whole milliseconds, inclusive),
    /// as GitHub's do (tens to hundreds of milliseconds): load tests see the latency a real
    /// installation sees. `max` below `min` is taken as `min`; `None` answers at once again.
    pub fn set_latency(&self, range: Option<(Duration, Duration)>) {
        let to_ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.inner.shared.lock().latency =
            range.map(|(min, max)| (to_ms(min), to_ms(max).max(to_ms(min)), 0));
    }

    /// How many requests the periodic failure has answered so far.
    pub fn periodic_failures(&self) -> u64 {
        self.inner.shared.lock().periodic.map_or(0, |(_, every, seen)| seen / every)
    }

    /// Sets the primary rate limit window: `remaining` requests until `reset_epoch` (seconds). A
    /// reset time in the past refills the window on the next request, as on GitHub.
    pub fn set_rate_limit(&self, remaining: u32, reset_epoch: i64) {
        let mut st = self.inner.shared.lock();
        // A budget above the limit raises the limit (load tests need more than 5,000 an hour).
        st.rate.limit = st.rate.limit.max(remaining);
        st.rate.remaining = remaining;
        st.rate.reset = reset_epoch;
    }

    /// Requests left in the current rate limit window.
    pub fn rate_limit_remaining(&self) -> u32 {
        self.inner.shared.lock().rate.remaining
    }
}
