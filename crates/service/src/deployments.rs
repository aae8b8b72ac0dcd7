//! Deployments in the service: the facts of `deployment`, `deployment_status` and
//! `deployment_protection_rule` deliveries recorded before they are acknowledged, then two
//! level-triggered jobs per repository. `deployments:owner/repo` works out what each successful
//! production deployment was (change, redeploy, rollback) and brought; `gate:owner/repo` answers
//! the waiting protection-rule requests. Every rule is `plasma_policy::delivery`'s.
//!
//! Notifications: when `deployments:owner/repo` first works out what a successful production
//! deployment was, it enqueues `deployment` (or `rollback`) in the same transaction as the change
//! it records. A rollback is the policy's: a successful production deployment of a commit that is
//! an ancestor of the previous successful production deployment's commit (it takes changes away;
//! GitHub's comparison says `behind`). A redeploy of the same commit is a `deployment`. A tag
//! pushed (`push` of a new `refs/tags/...`) is recorded with the delivery and announced as
//! `release` by the same job, in the transaction that marks it announced. Later recomputations (a
//! status that arrived late changes which deployment came before) announce nothing again.

use std::collections::{BTreeMap, BTreeSet};

use plasma_config::{Config, ConfigSource};
use plasma_github::client::DEFAULT_CONFIG_PATH;
use plasma_github::webhook::{Deployment, WebhookEvent};
use plasma_github::{GitHubClient, RepoClient};
use plasma_notify::message;
use plasma_policy::delivery::gate::{self, GateFacts, PullCheck};
use plasma_policy::delivery::{self, ChangeKind, Comparison, Finished, PullFact};
use plasma_store::{
    DeploymentChange, DeploymentRow, GateAnswer, GateRequest, Job, NewAction, NewDeployment,
    NewDeploymentStatus, NewNotification, NewRelease, StoreError,
};
use serde_json::json;
use tracing::{info, warn};

use crate::app::App;
use crate::reconcile::{Outcome, ReconcileError, cause, installation};

fn deployment_fact(repo: &str, d: &Deployment) -> NewDeployment {
    NewDeployment {
        repo: repo.to_string(),
        id: i64::try_from(d.id).unwrap_or(i64::MAX),
        environment: d.environment.clone(),
        sha: d.sha.clone(),
        git_ref: d.git_ref.clone(),
        creator: d.creator.as_ref().map(|c| c.login.clone()),
        created_at: d.created_at.as_millisecond(),
    }
}

/// Records what a deployment delivery states, before the delivery itself is recorded and
/// acknowledged: every write is keyed by GitHub's ids, so a redelivery writes nothing new, and a
/// failure here refuses the delivery (503) so GitHub can deliver it again.
pub async fn record_facts(
    app: &App,
    ev: &WebhookEvent,
    delivery_id: &str,
) -> Result<(), StoreError> {
    match ev {
        WebhookEvent::Deployment(e) => {
            app.store
                .record_deployment(&deployment_fact(&e.repository.full_name, &e.deployment))
                .await
        }
        WebhookEvent::DeploymentStatus(e) => {
            let repo = &e.repository.full_name;
            let d = deployment_fact(repo, &e.deployment);
            let s = &e.deployment_status;
            let status = NewDeploymentStatus {
                repo: repo.clone(),
                deployment_id: d.id,
                id: i64::try_from(s.id).unwrap_or(i64::MAX),
                state: s.state.clone(),
                created_at: s.created_at.as_millisecond(),
                url: s.url().map(str::to_string),
                description: s.description.clone(),
            };
            app.store.record_deployment_status(&d, &status).await
        }
        WebhookEvent::DeploymentProtectionRule(e) => {
            let repo = &e.repository.full_name;
            let (Some(run_id), Some(sha)) = (e.run_id(), e.commit()) else {
                warn!(delivery_id, repo = %repo, url = %e.deployment_callback_url, "protection rule request without a readable run or commit; cannot answer it");
                return Ok(());
            };
            if let Some(d) = &e.deployment {
                app.store.record_deployment(&deployment_fact(repo, d)).await?;
            }
            let request = GateRequest {
                repo: repo.clone(),
                run_id: i64::try_from(run_id).unwrap_or(i64::MAX),
                environment: e.environment.clone(),
                deployment_id: e
                    .deployment
                    .as_ref()
                    .map_or(0, |d| i64::try_from(d.id).unwrap_or(i64::MAX)),
                sha: sha.to_string(),
                delivery_id: delivery_id.to_string(),
            };
            app.store.record_gate_request(&request).await.map(|_| ())
        }
        WebhookEvent::Push(e) => match release_fact(e) {
            Some(r) => app.store.record_release(&r).await.map(|_| ()),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The release a push states: a tag created (not moved, not deleted), dated by GitHub's
/// `pushed_at` (a push without one is not a release plasma-ops can date, so it is not recorded).
pub fn release_fact(e: &plasma_github::webhook::PushEvent) -> Option<NewRelease> {
    let tag = e.tag()?;
    if !e.created || e.deleted || e.after.bytes().all(|b| b == b'0') || tag.is_empty() {
        return None;
    }
    Some(NewRelease {
        repo: e.repository.full_name.clone(),
        tag: tag.to_string(),
        sha: e.after.clone(),
        pushed_at: e.repository.pushed_at_ms()?,
        pusher: e.pusher.as_ref().and_then(|p| p.name.clone()),
    })
}

/// The repository's configuration, from its default branch and organisation (through the
/// service's configuration cache: read again only after a push touches `.github/`).
async fn repo_config(
    app: &App,
    gh: &GitHubClient,
    inst: Option<u64>,
    repo: &str,
) -> Result<Config, ReconcileError> {
    let layers = crate::repo_config::layers(app, gh, inst, repo, None, DEFAULT_CONFIG_PATH).await?;
    if let crate::repo_config::ConfigFile::Unreadable(why) = &layers.repo {
        return Err(ReconcileError {
            message: format!("the configuration cannot be read: {why}"),
            retry_after: None,
            status: None,
        });
    }
    let org_src = layers
        .org
        .text()
        .map(|text| ConfigSource { name: "<org>/.github/.github/plasma.yml", text });
    let repo_src = layers.repo.text().map(|text| ConfigSource { name: ".github/plasma.yml", text });
    plasma_config::load(org_src, repo_src).map(|e| e.config).map_err(|e| ReconcileError {
        message: format!("the configuration cannot be used: {e}"),
        retry_after: None,
        status: None,
    })
}

/// The successful deployments of `rows` to `environment` (any case), with their finish times.
fn successful(rows: &[DeploymentRow], environment: &str) -> Vec<Finished> {
    rows.iter()
        .filter(|r| r.deployment.environment.eq_ignore_ascii_case(environment))
        .filter_map(|r| {
            let settled = delivery::settle(&status_facts(r));
            let finished_at = settled.finished_at.filter(|_| settled.successful())?;
            Some(Finished {
                id: u64::try_from(r.deployment.id).ok()?,
                sha: r.deployment.sha.clone(),
                finished_at,
            })
        })
        .collect()
}

/// The policy's view of a stored deployment's statuses.
pub fn status_facts(r: &DeploymentRow) -> Vec<delivery::StatusFact> {
    r.statuses
        .iter()
        .map(|s| delivery::StatusFact {
            id: u64::try_from(s.id).unwrap_or(0),
            state: s.state.clone(),
            created_at: s.created_at,
        })
        .collect()
}

/// What moving an environment from `previous` to `sha` brings: the kind of change and its commits
/// with their dates; `None` when GitHub's comparison cannot be read as one.
async fn change_between(
    rc: &RepoClient,
    sha: &str,
    previous: Option<&str>,
) -> Result<Option<(ChangeKind, Vec<(String, Option<i64>)>)>, ReconcileError> {
    let compared = match delivery::comparison_needed(sha, previous) {
        Some((base, head)) => Some(rc.compare(base, head).await?),
        None => None,
    };
    let comparison = compared.as_ref().map(|c| Comparison {
        status: c.status.clone(),
        commits: c.commits.iter().map(|c| c.sha.clone()).collect(),
    });
    let Some((kind, commits)) = delivery::classify(sha, previous, comparison.as_ref()) else {
        return Ok(None);
    };
    let dated: BTreeMap<&str, Option<i64>> = compared
        .iter()
        .flat_map(|c| c.commits.iter())
        .map(|c| (c.sha.as_str(), c.committed_at.map(|t| t.as_millisecond())))
        .collect();
    let commits = commits.into_iter().map(|s| {
        let at = dated.get(s.as_str()).copied().flatten();
        (s, at)
    });
    Ok(Some((kind, commits.collect())))
}

/// The pull requests associated with each commit, as the policy reads them.
async fn pulls_of(rc: &RepoClient, sha: &str) -> Result<Vec<PullFact>, ReconcileError> {
    Ok(rc
        .pulls_for_commit(sha)
        .await?
        .into_iter()
        .map(|p| PullFact { number: p.number, merged: p.merged_at.is_some(), head_sha: p.head.sha })
        .collect())
}

/// `deployments:owner/repo`: works out every successful production deployment whose change is not
/// recorded yet, or was recorded against another previous deployment (a status that arrived late
/// changes the order). Level-triggered: it reads the store, not the deliveries.
pub async fn analyse(app: &App, job: &Job, repo: &str) -> Result<Outcome, ReconcileError> {
    let Some(gh) = &app.github else {
        info!(repo, "no GitHub credentials: deployments are recorded, their changes not computed");
        return Ok(Outcome { writes: 0, dry_run: true });
    };
    let inst = installation(app, &job.causes, repo).await;
    let config = repo_config(app, gh, inst, repo).await?;
    let cfg = &config.deployments;
    let rc = gh.repo(inst, repo)?;
    let mut written = announce_releases(app, &config, repo).await?;
    let rows = app.store.deployments(repo, None, None).await?;
    let environments: BTreeSet<String> = rows
        .iter()
        .filter(|r| cfg.is_production(&r.deployment.environment))
        .map(|r| r.deployment.environment.to_ascii_lowercase())
        .collect();
    let stored: BTreeMap<i64, &DeploymentRow> = rows.iter().map(|r| (r.deployment.id, r)).collect();
    for env in environments {
        let done = successful(&rows, &env);
        for current in &done {
            let previous = delivery::previous(&done, current);
            let id = i64::try_from(current.id).unwrap_or(i64::MAX);
            let previous_id = previous.map(|p| i64::try_from(p.id).unwrap_or(i64::MAX));
            let known = stored.get(&id).and_then(|r| r.change.as_ref());
            if known.is_some_and(|c| c.previous_id == previous_id) {
                continue;
            }
            let Some((kind, commits)) =
                change_between(&rc, &current.sha, previous.map(|p| p.sha.as_str())).await?
            else {
                warn!(
                    repo,
                    deployment = id,
                    "GitHub's comparison could not be read; change left unknown"
                );
                continue;
            };
            let mut facts = Vec::new();
            for (sha, _) in &commits {
                facts.extend(pulls_of(&rc, sha).await?);
            }
            let change = DeploymentChange {
                kind: kind.as_str().to_string(),
                previous_id,
                pulls: delivery::brought_pulls(&facts),
                commits,
            };
            info!(repo, deployment = id, kind = %change.kind, pulls = ?change.pulls, "deployment change recorded");
            // Announced when first worked out only: a recomputation is a correction, not news.
            let notes = match (known, stored.get(&id)) {
                (None, Some(row)) if !app.dry_run() => deployment_notes(
                    &config,
                    row,
                    current,
                    previous.map(|p| p.sha.as_str()),
                    &change,
                    app.now(),
                ),
                _ => Vec::new(),
            };
            let enqueued = app
                .store
                .set_deployment_change_notify(repo, id, &change, &notes, app.now())
                .await?;
            if enqueued > 0 {
                app.notify.notify_waiters();
            }
            written += 1;
        }
    }
    Ok(Outcome { writes: written, dry_run: app.dry_run() })
}

/// The `deployment` or `rollback` notifications of a successful production deployment whose
/// change was just worked out, keyed by the deployment's id; none when GitHub dates its success
/// longer ago than [`crate::notifier::ANNOUNCE_WITHIN`].
fn deployment_notes(
    config: &Config,
    row: &DeploymentRow,
    current: &Finished,
    previous_sha: Option<&str>,
    change: &DeploymentChange,
    now: i64,
) -> Vec<NewNotification> {
    if !crate::notifier::is_news(current.finished_at, now) {
        return Vec::new();
    }
    let d = &row.deployment;
    let url =
        row.statuses.iter().rev().find(|s| s.state == "success").and_then(|s| s.url.as_deref());
    let finished = jiff::Timestamp::from_millisecond(current.finished_at)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| current.finished_at.to_string());
    let facts = message::DeploymentFacts {
        repository: &d.repo,
        id: d.id,
        environment: &d.environment,
        sha: &d.sha,
        previous_sha,
        kind: &change.kind,
        pulls: &change.pulls,
        creator: d.creator.as_deref(),
        finished_at: &finished,
        url,
    };
    message::plan(&config.notifications, &message::deployment(&facts), &d.id.to_string())
}

/// Announces the repository's tags pushed and not announced yet (`release`), each in the
/// transaction that marks it announced; returns how many were marked. In a dry run, or for a tag
/// pushed longer ago than [`crate::notifier::ANNOUNCE_WITHIN`], it is marked with no notification.
async fn announce_releases(app: &App, config: &Config, repo: &str) -> Result<usize, StoreError> {
    let releases = app.store.unannounced_releases(repo).await?;
    let mut marked = 0;
    for r in &releases {
        let r = &r.release;
        let notes = if app.dry_run() || !crate::notifier::is_news(r.pushed_at, app.now()) {
            Vec::new()
        } else {
            let at = jiff::Timestamp::from_millisecond(r.pushed_at).ok().map(|t| t.to_string());
            let url = format!("https://github.com/{}/releases/tag/{}", r.repo, r.tag);
            let m = message::release(&r.repo, &r.tag, Some(url), at);
            message::plan(&config.notifications, &m, &r.sha)
        };
        let enqueued = app.store.announce_release(r, &notes, app.now()).await?;
        info!(repo, tag = %r.tag, sha = %r.sha, notifications = enqueued, "release recorded");
        if enqueued > 0 {
            app.notify.notify_waiters();
        }
        marked += 1;
    }
    Ok(marked)
}

/// The open incidents of `repo` whose severity is the most severe configured
/// (`incidents.severities`' first, `sev1` by default): the gate's second condition.
async fn open_sev1(app: &App, config: &Config, repo: &str) -> Result<u32, ReconcileError> {
    let Some(sev1) = config.incidents.severities.first() else { return Ok(0) };
    let org = repo.split('/').next();
    let open = app
        .store
        .incidents(org, i64::MIN)
        .await?
        .into_iter()
        .filter(|i| i.repo.eq_ignore_ascii_case(repo) && i.state == "open")
        .filter(|i| i.severity.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(sev1)))
        .count();
    Ok(u32::try_from(open).unwrap_or(u32::MAX))
}

/// The newest verdict of the process on `sha`: its commit status, else a check run of that name.
async fn process_state(
    rc: &RepoClient,
    sha: &str,
    context: &str,
) -> Result<Option<String>, ReconcileError> {
    let statuses = rc.list_statuses(sha).await?;
    if let Some(s) = statuses.iter().find(|s| s.context == context) {
        return Ok(Some(s.state.clone()));
    }
    let runs = rc.list_check_runs(sha).await?;
    Ok(runs
        .iter()
        .filter(|r| r.name == context)
        .max_by_key(|r| r.id)
        .map(|r| r.conclusion.clone().unwrap_or_else(|| "pending".into())))
}

/// The facts the gate judges a request by.
async fn gate_facts(
    app: &App,
    rc: &RepoClient,
    config: &Config,
    request: &GateRequest,
) -> Result<GateFacts, ReconcileError> {
    let rows = app.store.deployments(&request.repo, None, None).await?;
    let done = successful(&rows, &request.environment);
    let previous = done
        .iter()
        .filter(|d| i64::try_from(d.id).ok() != Some(request.deployment_id))
        .max_by_key(|d| (d.finished_at, d.id));
    let (change, commits) =
        match change_between(rc, &request.sha, previous.map(|p| p.sha.as_str())).await? {
            Some(found) => found,
            None => {
                return Err(ReconcileError {
                    message: format!("GitHub's comparison of {} could not be read", request.sha),
                    retry_after: None,
                    status: None,
                });
            }
        };
    // Without an earlier deployment the pull requests are those of the deployed commit itself.
    let shas: Vec<String> = match change {
        ChangeKind::First => vec![request.sha.clone()],
        _ => commits.into_iter().map(|(s, _)| s).collect(),
    };
    let mut pulls: BTreeMap<u64, PullFact> = BTreeMap::new();
    let mut commits_without_pull = Vec::new();
    for sha in &shas {
        let merged: Vec<PullFact> =
            pulls_of(rc, sha).await?.into_iter().filter(|p| p.merged).collect();
        if merged.is_empty() && change != ChangeKind::First {
            commits_without_pull.push(sha.clone());
        }
        for p in merged {
            pulls.entry(p.number).or_insert(p);
        }
    }
    let mut checks = Vec::new();
    for p in pulls.into_values() {
        let process = process_state(rc, &p.head_sha, &app.cfg.status_context).await?;
        checks.push(PullCheck {
            number: p.number,
            merged: p.merged,
            head_sha: p.head_sha,
            process,
        });
    }
    let open_sev1 = Some(open_sev1(app, config, &request.repo).await?);
    Ok(GateFacts { change, pulls: checks, commits_without_pull, open_sev1 })
}

/// `gate:owner/repo`: answers every waiting protection-rule request of the repository, once. In a
/// dry run the decision is logged and recorded, and GitHub gets no answer.
pub async fn answer_gates(app: &App, job: &Job, repo: &str) -> Result<Outcome, ReconcileError> {
    // A live run answers every waiting request; a dry run decides each one once.
    let requests = app.store.unanswered_gate_requests(repo, !app.dry_run()).await?;
    let Some(gh) = &app.github else {
        for r in &requests {
            info!(repo, run_id = r.run_id, environment = %r.environment, "dry run without GitHub credentials: the gate cannot be judged; not answered");
        }
        return Ok(Outcome { writes: 0, dry_run: true });
    };
    let inst = installation(app, &job.causes, repo).await;
    let config = repo_config(app, gh, inst, repo).await?;
    let cfg = &config.deployments;
    let rc = gh.repo(inst, repo)?;
    let dry_run = app.dry_run();
    let mut answered = 0;
    for r in &requests {
        let facts = if cfg.is_gated(&r.environment) {
            gate_facts(app, &rc, &config, r).await?
        } else {
            GateFacts {
                change: ChangeKind::Change,
                pulls: vec![],
                commits_without_pull: vec![],
                open_sev1: None,
            }
        };
        let decision = gate::decide(cfg, &r.environment, &r.sha, &facts, &app.cfg.status_context);
        let state = decision.state();
        info!(repo, run_id = r.run_id, environment = %r.environment, sha = %r.sha, decision = state, reasons = ?decision.reasons, dry_run, "production gate decided");
        if !dry_run {
            let run = u64::try_from(r.run_id).unwrap_or(0);
            rc.review_protection_rule(run, &r.environment, state, &decision.comment).await?;
            answered += 1;
        }
        let answer =
            GateAnswer { decision: state.to_string(), comment: decision.comment.clone(), dry_run };
        app.store.record_gate_answer(r, &answer, app.now()).await?;
        app.store
            .log_action(&NewAction {
                job_key: job.key.to_string(),
                delivery_id: Some(r.delivery_id.clone()).or_else(|| cause(job)),
                job_id: Some(job.id),
                kind: "deployment_gate".into(),
                dry_run,
                before: json!({ "run_id": r.run_id, "environment": r.environment, "sha": r.sha }),
                after: json!({ "state": state, "comment": decision.comment, "reasons": decision.reasons }),
                at: app.now(),
            })
            .await?;
    }
    Ok(Outcome { writes: answered, dry_run })
}
