//! The fake's memory: repositories, their issues and pull requests, and request accounting.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::model::{
    Exchange, FakeCheckRun, FakeCommit, FakeFile, FakeReview, FakeStatus, Fault, LabelEvent,
    RecordedRequest,
};

/// GitHub's primary rate limit for an installation or a token.
pub(crate) const RATE_LIMIT: u32 = 5000;

/// State shared by the server tasks and the test API.
#[derive(Clone, Default)]
pub(crate) struct Shared(Arc<Mutex<State>>);

impl Shared {
    /// Locks the state; a panicked holder (only possible in a test) does not wedge the fake.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
pub(crate) struct State {
    /// Base URL objects and `Link` headers point at (the fake's own, or Prism's in front of it).
    pub public_url: String,
    /// Repositories by lower-case `owner/name` (GitHub matches them case-insensitively).
    pub repos: BTreeMap<String, Repo>,
    /// Installation id -> `owner/name` of the repositories it covers.
    pub installations: BTreeMap<u64, Vec<String>>,
    /// Installation access tokens handed out -> installation id.
    pub tokens: HashMap<String, u64>,
    next_id: u64,
    pub requests: Vec<RecordedRequest>,
    /// Answers kept for strict schema checks, while `record_exchanges` is on.
    pub exchanges: Vec<Exchange>,
    pub record_exchanges: bool,
    pub faults: VecDeque<Fault>,
    /// Every `n`th request (counted from when it was set) answers this status: `(status, n, seen)`.
    pub periodic: Option<(u16, u64, u64)>,
    /// Every answer waits between these many milliseconds (inclusive) first, like GitHub's own
    /// answer time: `(min, max, requests seen)`. `None` answers at once.
    pub latency: Option<(u64, u64, u64)>,
    pub rate: Rate,
    /// Login that writes through the API appear to come from.
    pub bot_login: String,
    /// Branch protection, rulesets and environments (`audit --remote`).
    pub protection: crate::protection::ProtectionState,
    /// Organisation teams' members (`infra-approval`).
    pub teams: crate::teams::TeamState,
    /// Commit graphs for comparisons, and protection-rule answers.
    pub deploys: crate::deployments::DeployState,
    /// Review threads by (lower-case `owner/name`, pull request number), answered by GraphQL.
    pub threads: BTreeMap<(String, u64), Vec<crate::graphql::ThreadRec>>,
    /// GraphQL's own budget of points (GitHub's `graphql` resource).
    pub graphql_rate: Rate,
    /// Projects (v2), requested reviewers and issues' `state_reason`, for the board.
    pub projects: crate::projects::ProjectsState,
    /// Discussions (ADR announcements).
    pub discussions: crate::discussions::DiscussionsState,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Rate {
    pub limit: u32,
    pub remaining: u32,
    /// Epoch seconds when `remaining` is refilled.
    pub reset: i64,
}

impl Default for Rate {
    fn default() -> Self {
        Self { limit: RATE_LIMIT, remaining: RATE_LIMIT, reset: now().as_second() + 3600 }
    }
}

impl Rate {
    /// Refills the window once its reset time has passed, as GitHub does.
    pub(crate) fn roll(&mut self) {
        let now = now().as_second();
        if now >= self.reset {
            self.remaining = self.limit;
            self.reset = now + 3600;
        }
    }
}

pub(crate) struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    /// Branch -> head SHA (base branches of pull requests, the default branch).
    pub branches: BTreeMap<String, String>,
    pub labels: Vec<LabelRec>,
    pub issues: BTreeMap<u64, IssueRec>,
    next_number: u64,
    /// (ref, path) -> file text.
    pub contents: BTreeMap<(String, String), String>,
    pub check_runs: Vec<CheckRunRec>,
    pub statuses: Vec<StatusRec>,
    pub comments: Vec<CommentRec>,
    pub created_at: Timestamp,
}

impl Repo {
    pub(crate) fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// The repository's label whose name matches case-insensitively, as GitHub matches them.
    pub(crate) fn label(&self, name: &str) -> Option<&LabelRec> {
        self.labels.iter().find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// Resolves a branch name or SHA to a SHA (a SHA nobody knows resolves to itself).
    pub(crate) fn resolve_ref(&self, git_ref: &str) -> String {
        if let Some(sha) = self.branches.get(git_ref) {
            return sha.clone();
        }
        let head = self
            .issues
            .values()
            .rev()
            .filter_map(|i| i.pull.as_ref())
            .find(|p| p.head_ref == git_ref)
            .map(|p| p.head_sha.clone());
        head.unwrap_or_else(|| git_ref.to_owned())
    }

    /// Names of the branches whose head is this SHA, so contents can be asked for by SHA.
    pub(crate) fn branches_at(&self, sha: &str) -> Vec<String> {
        self.branches.iter().filter(|(_, s)| *s == sha).map(|(b, _)| b.clone()).collect()
    }
}

#[derive(Clone)]
pub(crate) struct LabelRec {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
    pub default: bool,
}

pub(crate) struct IssueRec {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub user: String,
    pub state: String,
    pub labels: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub author_association: String,
    pub pull: Option<PullRec>,
    pub label_events: Vec<LabelEvent>,
    /// Assignee logins.
    pub assignees: Vec<String>,
    /// `completed`, `not_planned`, `reopened`, or none.
    pub state_reason: Option<String>,
    /// Who closed it last.
    pub closed_by: Option<String>,
    /// `assigned`, `closed`, `reopened` events (`GET .../issues/{n}/events`).
    pub events: Vec<IssueEventRec>,
}

/// One entry of an issue's event list.
pub(crate) struct IssueEventRec {
    pub id: u64,
    pub event: String,
    pub actor: String,
    pub assignee: Option<String>,
    pub created_at: Timestamp,
}

pub(crate) struct PullRec {
    pub id: u64,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub draft: bool,
    pub merged_at: Option<Timestamp>,
    /// Set by [`crate::FakeHub::merge_pull`]; a merged pull request without one gets a made-up
    /// SHA, as before.
    pub merge_commit_sha: Option<String>,
    pub files: Vec<FakeFile>,
    pub reviews: Vec<ReviewRec>,
    pub commits: Vec<FakeCommit>,
}

impl PullRec {
    /// The commit a merge landed on the base branch.
    pub fn merge_commit(&self) -> String {
        self.merge_commit_sha
            .clone()
            .unwrap_or_else(|| fake_sha(&format!("merge {}", self.head_sha)))
    }
}

pub(crate) struct ReviewRec {
    pub id: u64,
    pub review: FakeReview,
    pub commit_id: String,
    pub submitted_at: String,
}

pub(crate) struct CheckRunRec {
    pub id: u64,
    pub suite_id: u64,
    pub sha: String,
    pub run: FakeCheckRun,
    pub started_at: Timestamp,
}

pub(crate) struct StatusRec {
    pub id: u64,
    pub sha: String,
    pub status: FakeStatus,
    pub created_at: Timestamp,
}

pub(crate) struct CommentRec {
    pub id: u64,
    pub issue: u64,
    pub body: String,
    pub user: String,
    pub author_association: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Why a state change could not be made (turned into GitHub's error answers by the routes).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    Repo,
    Issue,
    Pull,
}

impl State {
    pub(crate) fn new(public_url: String) -> Self {
        Self {
            public_url,
            next_id: 1000,
            bot_login: "plasma-ops[bot]".to_owned(),
            ..Self::default()
        }
    }

    /// A fresh id, unique across every kind of object the fake makes.
    pub(crate) fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn repo(&self, full_name: &str) -> Option<&Repo> {
        self.repos.get(&full_name.to_ascii_lowercase())
    }

    pub(crate) fn repo_mut(&mut self, full_name: &str) -> Option<&mut Repo> {
        self.repos.get_mut(&full_name.to_ascii_lowercase())
    }

    /// Adds the repository if it is not there yet; returns its lower-case key.
    pub(crate) fn ensure_repo(&mut self, full_name: &str) -> String {
        let key = full_name.to_ascii_lowercase();
        if !self.repos.contains_key(&key) {
            let id = self.id();
            let (owner, name) = full_name.split_once('/').unwrap_or(("octo-org", full_name));
            let mut branches = BTreeMap::new();
            branches.insert("main".to_owned(), fake_sha(&format!("{key}@main")));
            self.repos.insert(
                key.clone(),
                Repo {
                    id,
                    owner: owner.to_owned(),
                    name: name.to_owned(),
                    default_branch: "main".to_owned(),
                    branches,
                    labels: Vec::new(),
                    issues: BTreeMap::new(),
                    next_number: 1,
                    contents: BTreeMap::new(),
                    check_runs: Vec::new(),
                    statuses: Vec::new(),
                    comments: Vec::new(),
                    created_at: now(),
                },
            );
        }
        key
    }

    /// Adds an issue (with a pull request part when `pull` is set) and returns its number.
    pub(crate) fn add_issue(&mut self, full_name: &str, mut issue: IssueRec) -> u64 {
        let key = self.ensure_repo(full_name);
        let labels = std::mem::take(&mut issue.labels);
        issue.id = self.id();
        if let Some(pull) = issue.pull.as_mut() {
            pull.id = self.id();
        }
        let Some(repo) = self.repos.get_mut(&key) else { return 0 };
        let number = repo.next_number;
        repo.next_number += 1;
        issue.number = number;
        if let Some(pull) = issue.pull.as_mut() {
            if pull.head_sha.is_empty() {
                pull.head_sha = fake_sha(&format!("{key}#{number}"));
            }
            let base = pull.base_ref.clone();
            if !repo.branches.contains_key(&base) {
                repo.branches.insert(base.clone(), fake_sha(&format!("{key}@{base}")));
            }
        }
        repo.issues.insert(number, issue);
        for label in labels {
            // Seeded labels are state, not events.
            let _ = self.add_issue_label(full_name, number, &label, None);
        }
        number
    }

    pub(crate) fn issue_mut(
        &mut self,
        full_name: &str,
        number: u64,
    ) -> Result<&mut IssueRec, Missing> {
        let repo = self.repo_mut(full_name).ok_or(Missing::Repo)?;
        repo.issues.get_mut(&number).ok_or(Missing::Issue)
    }

    pub(crate) fn pull_mut(
        &mut self,
        full_name: &str,
        number: u64,
    ) -> Result<&mut PullRec, Missing> {
        self.issue_mut(full_name, number)?.pull.as_mut().ok_or(Missing::Pull)
    }

    /// Creates a repository label; `false` when one of that name (any case) exists.
    pub(crate) fn create_label(
        &mut self,
        full_name: &str,
        name: &str,
        color: &str,
        description: Option<String>,
    ) -> Result<bool, Missing> {
        let id = self.id();
        let repo = self.repo_mut(full_name).ok_or(Missing::Repo)?;
        if repo.label(name).is_some() {
            return Ok(false);
        }
        repo.labels.push(LabelRec {
            id,
            name: name.to_owned(),
            color: color.trim_start_matches('#').to_ascii_lowercase(),
            description,
            default: false,
        });
        repo.labels.sort_by_key(|l| l.name.to_lowercase());
        Ok(true)
    }

    /// Puts a label on an issue, creating it in the repository first (grey, as GitHub does).
    /// `actor` records a label event; `None` for seeded state.
    pub(crate) fn add_issue_label(
        &mut self,
        full_name: &str,
        number: u64,
        name: &str,
        actor: Option<&str>,
    ) -> Result<(), Missing> {
        self.issue_mut(full_name, number)?;
        self.create_label(full_name, name, "ededed", None)?;
        let repo = self.repo_mut(full_name).ok_or(Missing::Repo)?;
        let canonical = repo.label(name).map_or_else(|| name.to_owned(), |l| l.name.clone());
        let issue = repo.issues.get_mut(&number).ok_or(Missing::Issue)?;
        if !issue.labels.iter().any(|l| l.eq_ignore_ascii_case(&canonical)) {
            issue.labels.push(canonical.clone());
            issue.labels.sort_by_key(|l| l.to_lowercase());
            issue.updated_at = now();
            if let Some(actor) = actor {
                issue.label_events.push(LabelEvent {
                    action: "labeled".to_owned(),
                    label: canonical,
                    actor: actor.to_owned(),
                    created_at: now(),
                });
            }
        }
        Ok(())
    }

    /// Takes a label off an issue; `Ok(false)` when it was not there.
    pub(crate) fn remove_issue_label(
        &mut self,
        full_name: &str,
        number: u64,
        name: &str,
        actor: &str,
    ) -> Result<bool, Missing> {
        let issue = self.issue_mut(full_name, number)?;
        let Some(pos) = issue.labels.iter().position(|l| l.eq_ignore_ascii_case(name)) else {
            return Ok(false);
        };
        let label = issue.labels.remove(pos);
        issue.updated_at = now();
        issue.label_events.push(LabelEvent {
            action: "unlabeled".to_owned(),
            label,
            actor: actor.to_owned(),
            created_at: now(),
        });
        Ok(true)
    }

    /// Adds a comment and returns its id.
    pub(crate) fn add_comment(
        &mut self,
        full_name: &str,
        number: u64,
        user: &str,
        body: &str,
    ) -> Result<u64, Missing> {
        let id = self.id();
        let association = if user.ends_with("[bot]") { "NONE" } else { "MEMBER" };
        let issue = self.issue_mut(full_name, number)?;
        issue.updated_at = now();
        let repo = self.repo_mut(full_name).ok_or(Missing::Repo)?;
        let at = now();
        repo.comments.push(CommentRec {
            id,
            issue: number,
            body: body.to_owned(),
            user: user.to_owned(),
            author_association: association.to_owned(),
            created_at: at,
            updated_at: at,
        });
        Ok(id)
    }

    /// Records a commit status and returns its id.
    pub(crate) fn add_status(&mut self, full_name: &str, sha: &str, status: FakeStatus) -> u64 {
        let key = self.ensure_repo(full_name);
        let id = self.id();
        if let Some(repo) = self.repos.get_mut(&key) {
            repo.statuses.push(StatusRec { id, sha: sha.to_owned(), status, created_at: now() });
        }
        id
    }

    /// The installation an `Authorization` header's token was issued for.
    pub(crate) fn installation_of(&self, authorization: Option<&str>) -> Option<u64> {
        let token = authorization?.split_whitespace().nth(1)?;
        self.tokens.get(token).copied()
    }
}

/// The current time, truncated to whole seconds as GitHub reports times.
pub(crate) fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

/// GitHub's time format: `2026-11-27T13:45:00Z`.
pub(crate) fn iso(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A deterministic 40-hex "SHA" for a seed.
pub(crate) fn fake_sha(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let mut hex = hex::encode(digest);
    hex.truncate(40);
    hex
}

/// A stable numeric id for a login (users are not stored; their ids only have to be consistent).
pub(crate) fn user_id(login: &str) -> u64 {
    let digest = Sha256::digest(login.as_bytes());
    let mut id = 0u64;
    for b in digest.iter().take(3) {
        id = (id << 8) | u64::from(*b);
    }
    id + 1_000_000
}
