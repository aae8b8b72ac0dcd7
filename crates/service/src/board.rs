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
//! Kept in memory (lost on restart, by choice): the resolved project (ids of the project, the
//! field and its options), re-resolved when a configured name is missing from it or GitHub
//! refuses a cached id; and the state fingerprint each card was last seen in, so a card a human
//! moved outside the mapping stays until the state changes. After a restart no fingerprint is
//! known and such a card is left where it is, the safe side.

use std::collections::HashMap;
use std::sync::Mutex;

use plasma_config::{BoardColumns, ProjectRef};
use plasma_github::client::DEFAULT_CONFIG_PATH;
use plasma_github::{GitHubError, ProjectBoard, ProjectLookup, RepoClient};
use plasma_policy::Policy;
use plasma_policy::board::{self, Card, IssueState, LinkedPull, Move, PullState};
use plasma_store::{Job, NewAction};
use serde_json::json;
use tracing::{info, warn};

use crate::app::App;
use crate::reconcile::{Outcome, ReconcileError, cause, installation, policy_for};

/// Most boards and fingerprints kept; past it the cache starts again (it only saves calls).
const MAX_ENTRIES: usize = 10_000;

/// Resolved projects and the state each card was last seen in.
#[derive(Default)]
pub struct BoardCache {
    boards: Mutex<HashMap<(String, String), ProjectBoard>>,
    seen: Mutex<HashMap<(String, String), String>>,
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

    fn remember(&self, project_id: &str, issue: &str, fingerprint: String) {
        if let Ok(mut m) = self.seen.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert((project_id.to_string(), issue.to_string()), fingerprint);
        }
    }
}

/// What one card reconcile found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardResult {
    /// No board configured.
    NoBoard,
    /// The card is where it belongs.
    Stayed,
    /// A human's column left alone.
    LeftHumanMove(String),
    /// Moved (or, in a dry run, would be) to this column.
    Moved(String),
    /// The board cannot be used; what to change.
    Problem(String),
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
    let result = reconcile_card(app, &rc, &policy, number, app.dry_run()).await?;
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
    let pull = gh.repo(inst, repo)?.get_pull(number).await?;
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
    let result = reconcile_card(app, &rc, &tracker_policy, key.number, app.dry_run()).await?;
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
        CardResult::Moved(column) => (1, vec![record("board-move", json!({ "column": column }))]),
        CardResult::Problem(why) => {
            warn!(job_key = %job.key, problem = %why, "the project board cannot be used");
            (0, vec![record("board-problem", json!({ "problem": why }))])
        }
        CardResult::LeftHumanMove(column) => {
            info!(job_key = %job.key, column = %column, "card left in a human's column");
            (0, vec![])
        }
        CardResult::NoBoard | CardResult::Stayed => (0, vec![]),
    };
    app.store.log_actions(&actions).await?;
    info!(job_key = %job.key, ?result, "board reconciled");
    Ok(Outcome { writes, dry_run })
}

/// Resolves the project (from the cache unless `fresh`), checking every configured column is
/// an option of the field.
async fn resolve(
    app: &App,
    rc: &RepoClient,
    project: &ProjectRef,
    field: &str,
    columns: &BoardColumns,
    fresh: bool,
) -> Result<Result<ProjectBoard, String>, GitHubError> {
    let key = project.to_string();
    let has_all = |b: &ProjectBoard| columns.named().iter().all(|(_, n)| b.option_id(n).is_some());
    if !fresh && let Some(b) = app.board.board(&key, field).filter(has_all) {
        return Ok(Ok(b));
    }
    let board = match rc.project_board(project, field).await? {
        ProjectLookup::Found(b) => b,
        ProjectLookup::Invisible => {
            return Ok(Err(format!(
                "project {key} is not visible to plasma-ops's credentials: GitHub shows a GitHub \
                 App no user-owned project, and an organisation's only with the App's \
                 organisation permission Projects: read and write. Move the board to an \
                 organisation project (board.project: https://github.com/orgs/ORG/projects/N) \
                 and grant that permission"
            )));
        }
        ProjectLookup::NoSuchField { title } => {
            return Ok(Err(format!(
                "project {key} (`{title}`) has no single-select field `{field}`: set \
                 board.status_field to the name of the field that holds the columns"
            )));
        }
    };
    if let Some((k, missing)) =
        columns.named().into_iter().find(|(_, n)| board.option_id(n).is_none())
    {
        return Ok(Err(format!(
            "board.columns.{k}: `{missing}` is not an option of field `{field}` of project {key}; \
             its options are: {}",
            board.option_names().join(", ")
        )));
    }
    app.board.put_board(&key, field, board.clone());
    Ok(Ok(board))
}

/// Reconciles one issue's card; writes only when the card is missing or in the wrong column.
pub async fn reconcile_card(
    app: &App,
    rc: &RepoClient,
    policy: &Policy,
    number: u64,
    dry_run: bool,
) -> Result<CardResult, ReconcileError> {
    let cfg = &policy.config().board;
    let project = match cfg.project_ref() {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(CardResult::NoBoard),
        Err(e) => return Ok(CardResult::Problem(format!("{e} ({})", e.hint))),
    };
    let field = cfg.status_field.as_str();
    let mut board = match resolve(app, rc, &project, field, &cfg.columns, false).await? {
        Ok(b) => b,
        Err(problem) => return Ok(CardResult::Problem(problem)),
    };
    let key = format!("{}-{number}", policy.config().issue_key.prefix);
    let search = format!("org:{} is:pr in:title \"{key}\"", rc.owner());
    let Some(issue) = rc.board_issue(number, field, &search).await? else {
        return Ok(CardResult::Stayed);
    };
    // Search matches words; only a key written exactly, in the title or the branch, counts.
    let pulls: Vec<LinkedPull> = issue
        .pulls
        .iter()
        .filter(|p| policy.issue_key_of(&p.title, &p.branch).is_some_and(|k| k.to_string() == key))
        .map(|p| LinkedPull {
            repo: p.repo.clone(),
            number: p.number,
            state: match p.state.as_str() {
                "MERGED" => PullState::Merged,
                "CLOSED" => PullState::Closed,
                _ => PullState::Open,
            },
            draft: p.draft,
            in_review: p.review_requests > 0 || p.reviews > 0,
        })
        .collect();
    let state = IssueState::from_rest(&issue.state, issue.state_reason.as_deref());
    let want = board::column(state, &pulls);
    let now = board::fingerprint(state, &pulls);
    let card_rec = issue.cards.iter().find(|c| c.project_id == board.id);
    let card = match card_rec {
        Some(c) => Card::At(c.status.clone()),
        None => Card::Missing,
    };
    let issue_ref = format!("{}#{number}", rc.full_name());
    let remembered = app.board.seen(&board.id, &issue_ref);
    let mv = board::decide(want, &card, &cfg.columns, remembered.as_deref(), &now);
    let result = match mv {
        Move::Stay => CardResult::Stayed,
        Move::LeaveHumanMove { column } => CardResult::LeftHumanMove(column),
        Move::To(column) if dry_run => CardResult::Moved(column),
        Move::To(column) => {
            let item = match card_rec {
                Some(c) => c.item_id.clone(),
                None => rc.add_project_item(&board.id, &issue.id).await?,
            };
            let option = board.option_id(&column).unwrap_or_default().to_string();
            if let Err(e) =
                rc.set_project_item_status(&board.id, &item, &board.field_id, &option).await
            {
                if !matches!(e, GitHubError::GraphQl { .. }) {
                    return Err(e.into());
                }
                // A cached id GitHub no longer knows (an option deleted and recreated):
                // resolve the names again and try once more.
                warn!(error = %e, "a cached project id was refused; resolving the board again");
                app.board.forget_board(&project.to_string(), field);
                board = match resolve(app, rc, &project, field, &cfg.columns, true).await? {
                    Ok(b) => b,
                    Err(problem) => return Ok(CardResult::Problem(problem)),
                };
                let option = board.option_id(&column).unwrap_or_default().to_string();
                rc.set_project_item_status(&board.id, &item, &board.field_id, &option).await?;
            }
            CardResult::Moved(column)
        }
    };
    if !dry_run {
        app.board.remember(&board.id, &issue_ref, now);
    }
    Ok(result)
}
