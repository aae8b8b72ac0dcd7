//! The board job: put an issue's card in the column `policy::board` gives, level-triggered and
//! idempotent like the review loop. The job only says which issue (or which pull request, whose
//! key names the issue); everything is read again, so a replayed or reordered delivery writes
//! nothing new.
//!
//! One move costs, cold: the project lookup (one GraphQL query, then cached), the issue with its
//! cards and the pull requests carrying its key (one query), and at most two mutations (add the
//! card when missing, set its Status when it differs). Warm: one query, and a mutation only when
//! the card moves.
//!
//! [`reconcile_card`] is the one decision path: the `board:` and `board-pr:` jobs call it for one
//! card, `plasma-ops board sync` ([`sync`]) for every open issue of a repository, and the issue
//! job asks [`summary_findings`] whether the board can be used at all, so a board problem shows
//! on the issue's summary with what to change ([`Problem`]), not only in the log.
//!
//! Kept in memory (lost on restart, by choice): the resolved project (ids of the project, the
//! field and its options), re-resolved when a configured name is missing from it or GitHub
//! refuses a cached id; and the state fingerprint each card was last seen in, so a card a human
//! moved outside the mapping stays until the state changes. After a restart no fingerprint is
//! known and such a card is left where it is, the safe side.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use plasma_config::{BoardColumns, Finding, ProjectRef, rule_id};
use plasma_github::client::DEFAULT_CONFIG_PATH;
use plasma_github::{
    GitHubClient, GitHubError, KeyedPull, ProjectBoard, ProjectLookup, RepoClient,
};
use plasma_policy::Policy;
use plasma_policy::board::{self, Card, IssueState, LinkedPull, Move, PullState};
use plasma_store::{Cause, Job, JobKey, NewAction};
use serde_json::json;
use tracing::{debug, info, warn};

use crate::app::App;
use crate::reconcile::{Outcome, ReconcileError, cause, installation, policy_for};

/// Most boards and fingerprints kept; past it the cache starts again (it only saves calls).
const MAX_ENTRIES: usize = 10_000;

/// Resolved projects and the state each card was last seen in.
#[derive(Default)]
pub struct BoardCache {
    boards: Mutex<HashMap<(String, String), ProjectBoard>>,
    seen: Mutex<HashMap<(String, String), String>>,
    /// Issues (`owner/repo#N`) whose last board job found a problem: when that changes, the
    /// issue's summary is evaluated again so the finding comes or goes.
    problems: Mutex<HashSet<String>>,
}

impl BoardCache {
    fn board(&self, project: &str, field: &str) -> Option<ProjectBoard> {
        self.boards.lock().ok()?.get(&(project.to_string(), field.to_string())).cloned()
    }

    fn put_board(&self, project: &str, field: &str, board: ProjectBoard) {
        if let Ok(mut m) = self.boards.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert((project.to_string(), field.to_string()), board);
        }
    }

    fn forget_board(&self, project: &str, field: &str) {
        if let Ok(mut m) = self.boards.lock() {
            m.remove(&(project.to_string(), field.to_string()));
        }
    }

    fn seen(&self, project_id: &str, issue: &str) -> Option<String> {
        self.seen.lock().ok()?.get(&(project_id.to_string(), issue.to_string())).cloned()
    }

    /// Records whether the issue's board has a problem; true when that changed since last time
    /// (a problem never seen before counts as a change, its absence does not).
    fn problem_changed(&self, issue: &str, problem: bool) -> bool {
        let Ok(mut m) = self.problems.lock() else { return false };
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        if problem { m.insert(issue.to_string()) } else { m.remove(issue) }
    }

    fn remember(&self, project_id: &str, issue: &str, fingerprint: String) {
        if let Ok(mut m) = self.seen.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert((project_id.to_string(), issue.to_string()), fingerprint);
        }
    }
}

/// Why the board cannot be used, and what to change: the log, the action log, the issue's
/// summary and `board sync` all say the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong, naming the project, field or option.
    pub what: String,
    /// What to change.
    pub fix: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.fix)
    }
}

/// What one card reconcile found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardResult {
    /// No board configured.
    NoBoard,
    /// The card is where it belongs (or the issue has no column, or no such issue).
    Stayed,
    /// A human's column left alone.
    LeftHumanMove(String),
    /// Moved (or, in a dry run, would be).
    Moved {
        /// The column it was in (`None`: no card yet, or no Status).
        from: Option<String>,
        /// The column it goes to.
        to: String,
    },
    /// The board cannot be used.
    Problem(Problem),
}

/// The pull request whose event triggered a card move: it carries the issue's key (perhaps in
/// its branch alone, which neither title search nor cross-references may find).
pub struct Carried<'a> {
    /// A client for the pull request's repository.
    pub repo: &'a RepoClient,
    /// Its number.
    pub number: u64,
}

/// The repository's policy; `None` when its configuration cannot be used (the pull request's
/// status and the issue's summary already say where it is broken: retrying would not fix it).
async fn load_policy(
    app: &App,
    inst: Option<u64>,
    repo: &str,
) -> Result<Option<std::sync::Arc<Policy>>, ReconcileError> {
    let Some(gh) = &app.github else { return Ok(None) };
    let layers = crate::repo_config::layers(app, gh, inst, repo, None, DEFAULT_CONFIG_PATH).await;
    let layers = match layers {
        Ok(l) => l,
        // GitHub busy or limiting, the store away: retry later. Anything else (a file too large
        // to be sent, one that cannot be read) will not change by retrying; the pull request's
        // status says it.
        Err(e) if e.retry_after.is_some() || matches!(e.status, None | Some(500..=599)) => {
            return Err(e);
        }
        Err(e) => {
            warn!(repo, error = %e, "configuration unreadable: no card moved");
            return Ok(None);
        }
    };
    if let crate::repo_config::ConfigFile::Unreadable(why) = &layers.repo {
        warn!(repo, error = %why, "configuration unreadable: no card moved");
        return Ok(None);
    }
    match policy_for(app, layers.org.text(), layers.repo.text()) {
        Ok(p) => Ok(Some(p)),
        Err(why) => {
            warn!(repo, error = %why, "unusable configuration: no card moved");
            Ok(None)
        }
    }
}

/// The policy of `repo` from its default branch's `.github/plasma.yml` and the organisation's
/// layer, as the service reads them (for `plasma-ops board sync`).
pub async fn repo_policy(
    gh: &GitHubClient,
    inst: Option<u64>,
    repo: &str,
) -> Result<Policy, String> {
    let (base, org) =
        gh.config_files(inst, repo, None, ".github/plasma.yml").await.map_err(|e| e.to_string())?;
    crate::reconcile::policy_from(org.as_deref(), base.as_deref())
}

/// The `board:owner/repo#N` job.
pub async fn card_of_issue(
    app: &App,
    job: &Job,
    repo: &str,
    number: u64,
) -> Result<Outcome, ReconcileError> {
    let Some(gh) = &app.github else { return Ok(Outcome { writes: 0, dry_run: true }) };
    let inst = installation(app, &job.causes, repo).await;
    let Some(policy) = load_policy(app, inst, repo).await? else {
        return Ok(Outcome { writes: 0, dry_run: app.dry_run() });
    };
    let rc = gh.repo(inst, repo)?;
    let result = reconcile_card(&app.board, &rc, &policy, number, app.dry_run(), None).await?;
    finish(app, job, repo, number, result).await
}

/// The `board-pr:owner/repo#N` job: the issue the pull request's key names, in the tracker
/// (`issue_key.tracker`, default the pull request's repository).
pub async fn card_of_pull(
    app: &App,
    job: &Job,
    repo: &str,
    number: u64,
) -> Result<Outcome, ReconcileError> {
    let Some(gh) = &app.github else { return Ok(Outcome { writes: 0, dry_run: true }) };
    let inst = installation(app, &job.causes, repo).await;
    let Some(policy) = load_policy(app, inst, repo).await? else {
        return Ok(Outcome { writes: 0, dry_run: app.dry_run() });
    };
    if policy.config().board.project.is_none() {
        return Ok(Outcome { writes: 0, dry_run: app.dry_run() });
    }
    let pr_repo = gh.repo(inst, repo)?;
    let pull = pr_repo.get_pull(number).await?;
    let Some(key) = policy.issue_key_of(&pull.title, &pull.head.name) else {
        info!(job_key = %job.key, "the pull request carries no issue key: no card to move");
        return Ok(Outcome { writes: 0, dry_run: app.dry_run() });
    };
    let tracker = policy.config().issue_key.tracker.clone().unwrap_or_else(|| repo.to_string());
    let rc = gh.repo(inst, &tracker)?;
    let tracker_policy = if tracker == repo {
        policy
    } else {
        match load_policy(app, inst, &tracker).await? {
            Some(p) => p,
            None => return Ok(Outcome { writes: 0, dry_run: app.dry_run() }),
        }
    };
    let carried = Carried { repo: &pr_repo, number };
    let result =
        reconcile_card(&app.board, &rc, &tracker_policy, key.number, app.dry_run(), Some(carried))
            .await?;
    finish(app, job, &tracker, key.number, result).await
}

async fn finish(
    app: &App,
    job: &Job,
    repo: &str,
    number: u64,
    result: CardResult,
) -> Result<Outcome, ReconcileError> {
    let dry_run = app.dry_run();
    let record = |kind: &str, after: serde_json::Value| NewAction {
        job_key: job.key.to_string(),
        delivery_id: cause(job),
        job_id: Some(job.id),
        kind: kind.to_string(),
        dry_run,
        before: json!({ "issue": format!("{repo}#{number}") }),
        after,
        at: app.now(),
    };
    let (writes, actions) = match &result {
        CardResult::Moved { from, to } => {
            (1, vec![record("board-move", json!({ "from": from, "column": to }))])
        }
        CardResult::Problem(why) => {
            warn!(job_key = %job.key, problem = %why, "the project board cannot be used");
            (0, vec![record("board-problem", json!({ "problem": why.to_string() }))])
        }
        CardResult::LeftHumanMove(column) => {
            info!(job_key = %job.key, column = %column, "card left in a human's column");
            (0, vec![])
        }
        CardResult::NoBoard | CardResult::Stayed => (0, vec![]),
    };
    app.store.log_actions(&actions).await?;
    // The issue's summary carries the problem (`summary_findings`): when it appears or goes,
    // evaluate the issue again so its summary follows (an `issues` event does that anyway).
    let issue = format!("{repo}#{number}");
    let problem = matches!(result, CardResult::Problem(_));
    if !matches!(result, CardResult::NoBoard) && app.board.problem_changed(&issue, problem) {
        let key = JobKey::Issue { repo: repo.to_string(), number };
        app.store
            .trigger(&key, &cause(job).map_or(Cause::Sweep, Cause::Delivery), app.now())
            .await?;
        app.notify.notify_waiters();
    }
    info!(job_key = %job.key, ?result, "board reconciled");
    Ok(Outcome { writes, dry_run })
}

/// Resolves the project (from the cache unless `fresh`), checking every configured column is
/// an option of the field.
async fn resolve(
    cache: &BoardCache,
    rc: &RepoClient,
    project: &ProjectRef,
    field: &str,
    columns: &BoardColumns,
    fresh: bool,
) -> Result<Result<ProjectBoard, Problem>, GitHubError> {
    let key = project.to_string();
    let has_all = |b: &ProjectBoard| columns.named().iter().all(|(_, n)| b.option_id(n).is_some());
    if !fresh && let Some(b) = cache.board(&key, field).filter(has_all) {
        return Ok(Ok(b));
    }
    let board = match rc.project_board(project, field).await? {
        ProjectLookup::Found(b) => b,
        ProjectLookup::Invisible => {
            return Ok(Err(Problem {
                what: format!(
                    "project {key} is not visible to plasma-ops's credentials (GitHub shows a \
                     GitHub App no user-owned project, and an organisation's only with the \
                     App's organisation permission Projects: read and write)"
                ),
                fix: "move the board to an organisation project (board.project: \
                      https://github.com/orgs/ORG/projects/N) and grant the App that permission; \
                      or check the project's number"
                    .into(),
            }));
        }
        ProjectLookup::NoSuchField { title } => {
            return Ok(Err(Problem {
                what: format!("project {key} (`{title}`) has no single-select field `{field}`"),
                fix: "set board.status_field to the name of the field that holds the columns"
                    .into(),
            }));
        }
    };
    if let Some((k, missing)) =
        columns.named().into_iter().find(|(_, n)| board.option_id(n).is_none())
    {
        return Ok(Err(Problem {
            what: format!(
                "board.columns.{k}: `{missing}` is not an option of field `{field}` of project \
                 {key}; its options are: {}",
                board.option_names().join(", ")
            ),
            fix: format!(
                "set board.columns.{k} to one of those options, or add `{missing}` to the field"
            ),
        }));
    }
    cache.put_board(&key, field, board.clone());
    Ok(Ok(board))
}

/// Whether the policy's board can be used: `None` when it can (or none is configured), else
/// the problem. Answered from the cache when the board was resolved before.
pub async fn problem(
    cache: &BoardCache,
    rc: &RepoClient,
    policy: &Policy,
) -> Result<Option<Problem>, GitHubError> {
    let cfg = &policy.config().board;
    let project = match cfg.project_ref() {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(None),
        Err(e) => return Ok(Some(Problem { what: e.to_string(), fix: e.hint })),
    };
    Ok(resolve(cache, rc, &project, &cfg.status_field, &cfg.columns, false).await?.err())
}

/// The issue summary's board finding (rule `project-board`, a warning: the issue is fine, the
/// board's configuration or permissions are not), or none. Level-triggered: asked on each
/// evaluation of the issue, so the finding goes once the board is fixed.
pub async fn summary_findings(
    app: &App,
    gh: &GitHubClient,
    inst: Option<u64>,
    repo: &str,
    policy: &Policy,
) -> Result<Vec<Finding>, ReconcileError> {
    if policy.config().board.project.is_none() {
        return Ok(vec![]);
    }
    let rc = gh.repo(inst, repo)?;
    Ok(problem(&app.board, &rc, policy)
        .await?
        .map(|p| {
            let what = format!("the project board cannot be used: {}", p.what);
            Finding::warning(rule_id::PROJECT_BOARD, what, p.fix)
        })
        .into_iter()
        .collect())
}

fn linked(p: &KeyedPull) -> LinkedPull {
    LinkedPull {
        repo: p.repo.clone(),
        number: p.number,
        state: match p.state.as_str() {
            "MERGED" => PullState::Merged,
            "CLOSED" => PullState::Closed,
            _ => PullState::Open,
        },
        draft: p.draft,
        in_review: p.review_requests > 0 || p.reviews > 0,
    }
}

/// Reconciles one issue's card; writes only when the card is missing or in the wrong column
/// (never in a dry run). `carried`: the pull request whose event asked, read on its own when
/// the issue's side did not find it.
pub async fn reconcile_card(
    cache: &BoardCache,
    rc: &RepoClient,
    policy: &Policy,
    number: u64,
    dry_run: bool,
    carried: Option<Carried<'_>>,
) -> Result<CardResult, ReconcileError> {
    let cfg = &policy.config().board;
    let project = match cfg.project_ref() {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(CardResult::NoBoard),
        Err(e) => return Ok(CardResult::Problem(Problem { what: e.to_string(), fix: e.hint })),
    };
    let field = cfg.status_field.as_str();
    let mut board = match resolve(cache, rc, &project, field, &cfg.columns, false).await? {
        Ok(b) => b,
        Err(problem) => return Ok(CardResult::Problem(problem)),
    };
    let key = format!("{}-{number}", policy.config().issue_key.prefix);
    let search = format!("org:{} is:pr in:title \"{key}\"", rc.owner());
    let Some(mut issue) = rc.board_issue(number, field, &search).await? else {
        return Ok(CardResult::Stayed);
    };
    if let Some(c) = carried {
        let full = c.repo.full_name();
        let known =
            issue.pulls.iter().any(|p| p.number == c.number && p.repo.eq_ignore_ascii_case(&full));
        if !known && let Some(p) = c.repo.keyed_pull(c.number).await? {
            issue.pulls.push(p);
        }
    }
    // Search matches words; only a key written exactly, in the title or the branch, counts.
    let pulls: Vec<LinkedPull> = issue
        .pulls
        .iter()
        .filter(|p| policy.issue_key_of(&p.title, &p.branch).is_some_and(|k| k.to_string() == key))
        .map(linked)
        .collect();
    let state = IssueState::from_rest(&issue.state, issue.state_reason.as_deref());
    let want = board::column(state, &pulls);
    let now = board::fingerprint(state, &pulls);
    let card_rec = issue.cards.iter().find(|c| c.project_id == board.id);
    let (card, from) = match card_rec {
        Some(c) => (Card::At(c.status.clone()), c.status.clone()),
        None => (Card::Missing, None),
    };
    let issue_ref = format!("{}#{number}", rc.full_name());
    let remembered = cache.seen(&board.id, &issue_ref);
    let mv = board::decide(want, &card, &cfg.columns, remembered.as_deref(), &now);
    debug!(issue = %issue_ref, state = %now, remembered = ?remembered, ?want, ?card, ?mv, "card decided");
    let result = match mv {
        Move::Stay => CardResult::Stayed,
        Move::LeaveHumanMove { column } => CardResult::LeftHumanMove(column),
        Move::To(to) if dry_run => CardResult::Moved { from, to },
        Move::To(to) => {
            let item = match card_rec {
                Some(c) => c.item_id.clone(),
                None => rc.add_project_item(&board.id, &issue.id).await?,
            };
            let option = board.option_id(&to).unwrap_or_default().to_string();
            if let Err(e) =
                rc.set_project_item_status(&board.id, &item, &board.field_id, &option).await
            {
                if !matches!(e, GitHubError::GraphQl { .. }) {
                    return Err(e.into());
                }
                // A cached id GitHub no longer knows (an option deleted and recreated):
                // resolve the names again and try once more.
                warn!(error = %e, "a cached project id was refused; resolving the board again");
                cache.forget_board(&project.to_string(), field);
                board = match resolve(cache, rc, &project, field, &cfg.columns, true).await? {
                    Ok(b) => b,
                    Err(problem) => return Ok(CardResult::Problem(problem)),
                };
                let option = board.option_id(&to).unwrap_or_default().to_string();
                rc.set_project_item_status(&board.id, &item, &board.field_id, &option).await?;
            }
            CardResult::Moved { from, to }
        }
    };
    if !dry_run {
        cache.remember(&board.id, &issue_ref, now);
    }
    Ok(result)
}

/// What `board sync` did to one repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Open issues looked at.
    pub open_issues: usize,
    /// (issue number, result), in the order of the issues, cards that stayed included.
    pub cards: Vec<(u64, CardResult)>,
}

/// Reconciles the card of every open issue of `rc`'s repository by [`reconcile_card`], the path
/// the jobs take; `on_issue(done, total)` after each (a progress bar). The board is checked
/// first: when it cannot be used, that one problem is the answer, not one per issue.
pub async fn sync(
    cache: &BoardCache,
    rc: &RepoClient,
    policy: &Policy,
    dry_run: bool,
    mut on_issue: impl FnMut(usize, usize),
) -> Result<Result<SyncReport, Problem>, ReconcileError> {
    if let Some(p) = problem(cache, rc, policy).await? {
        return Ok(Err(p));
    }
    let numbers = rc.open_issue_numbers().await?;
    let mut report = SyncReport { open_issues: numbers.len(), cards: Vec::new() };
    for (i, n) in numbers.iter().enumerate() {
        let result = reconcile_card(cache, rc, policy, *n, dry_run, None).await?;
        report.cards.push((*n, result));
        on_issue(i + 1, numbers.len());
    }
    Ok(Ok(report))
}

/// The sweep's share: when `repo` has a board, a `board:` job for each of its open issues, so a
/// missed delivery heals. Cost per repository and period: its configuration (two conditional
/// REST reads, usually answered 304 from the cache's ETags) and one GraphQL listing of its open
/// issue numbers (one point per 100 issues); the jobs themselves then cost one `BoardIssue`
/// query each and write only a card that is wrong. A repository without a board costs the
/// configuration reads alone. Returns the jobs enqueued.
pub async fn sweep_repo(
    app: &App,
    inst: Option<u64>,
    repo: &str,
    dead: &HashSet<String>,
) -> Result<usize, ReconcileError> {
    let Some(gh) = &app.github else { return Ok(0) };
    let Some(policy) = load_policy(app, inst, repo).await? else { return Ok(0) };
    if policy.config().board.project.is_none() {
        return Ok(0);
    }
    let mut n = 0;
    for number in gh.repo(inst, repo)?.open_issue_numbers().await? {
        let key = JobKey::Board { repo: repo.to_string(), number };
        if dead.contains(&key.to_string()) {
            continue;
        }
        app.store.trigger(&key, &Cause::Sweep, app.now()).await?;
        n += 1;
    }
    Ok(n)
}
