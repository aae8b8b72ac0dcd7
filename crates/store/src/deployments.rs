//! Deployment records: deployments and their statuses as GitHub reported them, the change each
//! successful production deployment brought, and the production gate's requests and answers.
//! Every write is keyed by GitHub's ids, so a redelivered event writes nothing new. Written once
//! against [`Conn`], like the queue, so SQLite and PostgreSQL share every statement.

use crate::error::StoreError;
use crate::exec::{Backend, Commit, Conn, Param};
use crate::outbox::{self, NewNotification};
use crate::rows::{StoreRow, to_u64};
use crate::types::Timestamp;

/// A deployment, as the `deployment` (or `deployment_status`) event carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeployment {
    /// `owner/name`.
    pub repo: String,
    /// GitHub's id.
    pub id: i64,
    /// The environment.
    pub environment: String,
    /// The commit deployed.
    pub sha: String,
    /// The ref requested.
    pub git_ref: String,
    /// Who created it.
    pub creator: Option<String>,
    /// GitHub's `created_at`, unix milliseconds.
    pub created_at: Timestamp,
}

/// One status of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeploymentStatus {
    /// `owner/name`.
    pub repo: String,
    /// The deployment's id.
    pub deployment_id: i64,
    /// GitHub's id of the status.
    pub id: i64,
    /// Its state.
    pub state: String,
    /// GitHub's `created_at`, unix milliseconds.
    pub created_at: Timestamp,
    /// Its link (log or target URL).
    pub url: Option<String>,
    /// Its description.
    pub description: Option<String>,
}

/// A stored status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentStatusRow {
    /// GitHub's id.
    pub id: i64,
    /// Its state.
    pub state: String,
    /// GitHub's `created_at`, unix milliseconds.
    pub created_at: Timestamp,
    /// Its link.
    pub url: Option<String>,
    /// Its description.
    pub description: Option<String>,
}

/// What a successful production deployment was and brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentChange {
    /// `first`, `change`, `redeploy` or `rollback`.
    pub kind: String,
    /// The deployment it was compared with.
    pub previous_id: Option<i64>,
    /// The commits it brought, oldest first, with their committer dates.
    pub commits: Vec<(String, Option<Timestamp>)>,
    /// The pull requests it brought, ascending.
    pub pulls: Vec<u64>,
}

/// A stored deployment with everything recorded about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRow {
    /// The deployment itself.
    pub deployment: NewDeployment,
    /// Its statuses, oldest first.
    pub statuses: Vec<DeploymentStatusRow>,
    /// What it brought, once computed.
    pub change: Option<DeploymentChange>,
}

/// A request of the production gate (a `deployment_protection_rule` event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRequest {
    /// `owner/name`.
    pub repo: String,
    /// The workflow run waiting.
    pub run_id: i64,
    /// The environment.
    pub environment: String,
    /// The deployment, 0 when GitHub made none.
    pub deployment_id: i64,
    /// The commit waiting.
    pub sha: String,
    /// The delivery that asked.
    pub delivery_id: String,
}

/// The decision taken on a gate request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateAnswer {
    /// `approved` or `rejected`.
    pub decision: String,
    /// The comment sent (or, in a dry run, that would have been).
    pub comment: String,
    /// Decided in a dry run: logged, not sent; the request stays unanswered.
    pub dry_run: bool,
}

/// Deployment records; implemented by every [`crate::Store`].
#[async_trait::async_trait]
pub trait DeploymentStore: Send + Sync {
    /// Records a deployment; one recorded before is left as it is.
    async fn record_deployment(&self, d: &NewDeployment) -> Result<(), StoreError>;

    /// Records a status (and, in the same transaction, its deployment); a status recorded
    /// before is left as it is.
    async fn record_deployment_status(
        &self,
        d: &NewDeployment,
        s: &NewDeploymentStatus,
    ) -> Result<(), StoreError>;

    /// The deployments of `repo` created at or after `since` (all when `None`), in `environment`
    /// when given (any case), newest first (by GitHub's time, then id).
    async fn deployments(
        &self,
        repo: &str,
        environment: Option<&str>,
        since: Option<Timestamp>,
    ) -> Result<Vec<DeploymentRow>, StoreError>;

    /// Replaces what a deployment brought.
    async fn set_deployment_change(
        &self,
        repo: &str,
        deployment_id: i64,
        change: &DeploymentChange,
    ) -> Result<(), StoreError>;

    /// [`DeploymentStore::set_deployment_change`] and, in the same transaction, the notifications
    /// the deployment causes (`deployment`, `rollback`); the outbox's key makes a second call for
    /// the same deployment enqueue nothing. Returns how many notifications were new.
    async fn set_deployment_change_notify(
        &self,
        repo: &str,
        deployment_id: i64,
        change: &DeploymentChange,
        notifications: &[NewNotification],
        now: Timestamp,
    ) -> Result<u64, StoreError>;

    /// Records a gate request; false when it was recorded before (a redelivery).
    async fn record_gate_request(&self, r: &GateRequest) -> Result<bool, StoreError>;

    /// The gate requests of `repo` not yet answered, oldest first; without `decided`, only those
    /// no dry run has decided either (so a dry run logs each decision once).
    async fn unanswered_gate_requests(
        &self,
        repo: &str,
        decided: bool,
    ) -> Result<Vec<GateRequest>, StoreError>;

    /// Records the decision on a request; unless it is a dry run, the request counts as answered
    /// from then on. False when it was already answered (nothing changes then).
    async fn record_gate_answer(
        &self,
        r: &GateRequest,
        answer: &GateAnswer,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

const INSERT_DEPLOYMENT: &str = "INSERT INTO deployments \
     (repository, id, environment, sha, git_ref, creator, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (repository, id) DO NOTHING";
const INSERT_STATUS: &str = "INSERT INTO deployment_statuses \
     (repository, deployment_id, id, state, created_at, url, description) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (repository, id) DO NOTHING";
const SELECT_DEPLOYMENTS: &str = "SELECT repository, id, environment, sha, git_ref, creator, \
     created_at FROM deployments WHERE repository = $1 AND created_at >= $2 \
     AND ($3 = '' OR LOWER(environment) = LOWER($3)) ORDER BY created_at DESC, id DESC";
const SELECT_STATUSES: &str = "SELECT id, state, created_at, url, description \
     FROM deployment_statuses WHERE repository = $1 AND deployment_id = $2 \
     ORDER BY created_at, id";
const SELECT_CHANGE: &str = "SELECT kind, previous_id FROM deployment_changes \
     WHERE repository = $1 AND deployment_id = $2";
const SELECT_COMMITS: &str = "SELECT sha, committed_at FROM deployment_commits \
     WHERE repository = $1 AND deployment_id = $2 ORDER BY position";
const SELECT_PULLS: &str = "SELECT number FROM deployment_pulls \
     WHERE repository = $1 AND deployment_id = $2 ORDER BY number";
const DELETE_CHANGE: &str =
    "DELETE FROM deployment_changes WHERE repository = $1 AND deployment_id = $2";
const DELETE_COMMITS: &str =
    "DELETE FROM deployment_commits WHERE repository = $1 AND deployment_id = $2";
const DELETE_PULLS: &str =
    "DELETE FROM deployment_pulls WHERE repository = $1 AND deployment_id = $2";
const INSERT_CHANGE: &str = "INSERT INTO deployment_changes \
     (repository, deployment_id, kind, previous_id) VALUES ($1, $2, $3, $4)";
const INSERT_COMMIT: &str = "INSERT INTO deployment_commits \
     (repository, deployment_id, position, sha, committed_at) VALUES ($1, $2, $3, $4, $5)";
const INSERT_PULL: &str = "INSERT INTO deployment_pulls (repository, deployment_id, number) \
     VALUES ($1, $2, $3) ON CONFLICT (repository, deployment_id, number) DO NOTHING";
const INSERT_GATE: &str = "INSERT INTO deployment_gates \
     (repository, run_id, environment, deployment_id, sha, delivery_id) \
     VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (repository, run_id, environment, deployment_id) DO NOTHING";
const SELECT_UNANSWERED: &str = "SELECT repository, run_id, environment, deployment_id, sha, \
     delivery_id FROM deployment_gates WHERE repository = $1 AND answered_at IS NULL \
     AND ($2 OR decided_at IS NULL) \
     ORDER BY run_id, environment, deployment_id";
const ANSWER_GATE: &str = "UPDATE deployment_gates SET decision = $5, comment = $6, \
     dry_run = $7, decided_at = $8, answered_at = $9 WHERE repository = $1 AND run_id = $2 \
     AND environment = $3 AND deployment_id = $4 AND answered_at IS NULL";

fn deployment_params(d: &NewDeployment) -> [Param<'_>; 7] {
    [
        Param::Text(&d.repo),
        Param::Int(d.id),
        Param::Text(&d.environment),
        Param::Text(&d.sha),
        Param::Text(&d.git_ref),
        Param::OptText(d.creator.as_deref()),
        Param::Int(d.created_at),
    ]
}

fn gate_key(r: &GateRequest) -> [Param<'_>; 4] {
    [
        Param::Text(&r.repo),
        Param::Int(r.run_id),
        Param::Text(&r.environment),
        Param::Int(r.deployment_id),
    ]
}

async fn read_one<C: Conn>(
    conn: &mut C,
    repo: &str,
    d: NewDeployment,
    op: &'static str,
) -> Result<DeploymentRow, StoreError> {
    let key = [Param::Text(repo), Param::Int(d.id)];
    let statuses = conn
        .fetch_all(SELECT_STATUSES, &key, op)
        .await?
        .iter()
        .map(|r| {
            Ok(DeploymentStatusRow {
                id: r.int("id", op)?,
                state: r.text("state", op)?,
                created_at: r.int("created_at", op)?,
                url: r.opt_text("url", op)?,
                description: r.opt_text("description", op)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let change = match conn.fetch_optional(SELECT_CHANGE, &key, op).await? {
        None => None,
        Some(row) => {
            let commits = conn
                .fetch_all(SELECT_COMMITS, &key, op)
                .await?
                .iter()
                .map(|r| Ok((r.text("sha", op)?, r.opt_int("committed_at", op)?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            let pulls = conn
                .fetch_all(SELECT_PULLS, &key, op)
                .await?
                .iter()
                .map(|r| to_u64(r.int("number", op)?, "pull request number"))
                .collect::<Result<Vec<_>, StoreError>>()?;
            Some(DeploymentChange {
                kind: row.text("kind", op)?,
                previous_id: row.opt_int("previous_id", op)?,
                commits,
                pulls,
            })
        }
    };
    Ok(DeploymentRow { deployment: d, statuses, change })
}

#[async_trait::async_trait]
impl<B: Backend> DeploymentStore for B {
    async fn record_deployment(&self, d: &NewDeployment) -> Result<(), StoreError> {
        const OP: &str = "record a deployment";
        let mut tx = self.write(OP).await?;
        tx.execute(INSERT_DEPLOYMENT, &deployment_params(d), OP).await?;
        tx.commit(OP).await
    }

    async fn record_deployment_status(
        &self,
        d: &NewDeployment,
        s: &NewDeploymentStatus,
    ) -> Result<(), StoreError> {
        const OP: &str = "record a deployment status";
        let mut tx = self.write(OP).await?;
        tx.execute(INSERT_DEPLOYMENT, &deployment_params(d), OP).await?;
        let params = [
            Param::Text(&s.repo),
            Param::Int(s.deployment_id),
            Param::Int(s.id),
            Param::Text(&s.state),
            Param::Int(s.created_at),
            Param::OptText(s.url.as_deref()),
            Param::OptText(s.description.as_deref()),
        ];
        tx.execute(INSERT_STATUS, &params, OP).await?;
        tx.commit(OP).await
    }

    async fn deployments(
        &self,
        repo: &str,
        environment: Option<&str>,
        since: Option<Timestamp>,
    ) -> Result<Vec<DeploymentRow>, StoreError> {
        const OP: &str = "read deployments";
        let mut conn = self.read(OP).await?;
        let params = [
            Param::Text(repo),
            Param::Int(since.unwrap_or(i64::MIN)),
            Param::Text(environment.unwrap_or("")),
        ];
        let rows = conn.fetch_all(SELECT_DEPLOYMENTS, &params, OP).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let d = NewDeployment {
                repo: r.text("repository", OP)?,
                id: r.int("id", OP)?,
                environment: r.text("environment", OP)?,
                sha: r.text("sha", OP)?,
                git_ref: r.text("git_ref", OP)?,
                creator: r.opt_text("creator", OP)?,
                created_at: r.int("created_at", OP)?,
            };
            out.push(read_one(&mut conn, repo, d, OP).await?);
        }
        Ok(out)
    }

    async fn set_deployment_change(
        &self,
        repo: &str,
        deployment_id: i64,
        change: &DeploymentChange,
    ) -> Result<(), StoreError> {
        self.set_deployment_change_notify(repo, deployment_id, change, &[], 0).await?;
        Ok(())
    }

    async fn set_deployment_change_notify(
        &self,
        repo: &str,
        deployment_id: i64,
        change: &DeploymentChange,
        notifications: &[NewNotification],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        const OP: &str = "record what a deployment brought";
        let mut tx = self.write(OP).await?;
        let key = [Param::Text(repo), Param::Int(deployment_id)];
        for statement in [DELETE_CHANGE, DELETE_COMMITS, DELETE_PULLS] {
            tx.execute(statement, &key, OP).await?;
        }
        let params = [
            Param::Text(repo),
            Param::Int(deployment_id),
            Param::Text(&change.kind),
            Param::OptInt(change.previous_id),
        ];
        tx.execute(INSERT_CHANGE, &params, OP).await?;
        for (position, (sha, at)) in change.commits.iter().enumerate() {
            let position = i64::try_from(position).unwrap_or(i64::MAX);
            let params = [
                Param::Text(repo),
                Param::Int(deployment_id),
                Param::Int(position),
                Param::Text(sha),
                Param::OptInt(*at),
            ];
            tx.execute(INSERT_COMMIT, &params, OP).await?;
        }
        for number in &change.pulls {
            let n = i64::try_from(*number).unwrap_or(i64::MAX);
            let params = [Param::Text(repo), Param::Int(deployment_id), Param::Int(n)];
            tx.execute(INSERT_PULL, &params, OP).await?;
        }
        let inserted = outbox::enqueue_in(&mut tx, notifications, now).await?;
        tx.commit(OP).await?;
        Ok(inserted)
    }

    async fn record_gate_request(&self, r: &GateRequest) -> Result<bool, StoreError> {
        const OP: &str = "record a gate request";
        let mut tx = self.write(OP).await?;
        let [a, b, c, d] = gate_key(r);
        let params = [a, b, c, d, Param::Text(&r.sha), Param::Text(&r.delivery_id)];
        let new = tx.execute(INSERT_GATE, &params, OP).await? == 1;
        tx.commit(OP).await?;
        Ok(new)
    }

    async fn unanswered_gate_requests(
        &self,
        repo: &str,
        decided: bool,
    ) -> Result<Vec<GateRequest>, StoreError> {
        const OP: &str = "read gate requests";
        let mut conn = self.read(OP).await?;
        let params = [Param::Text(repo), Param::Bool(decided)];
        let rows = conn.fetch_all(SELECT_UNANSWERED, &params, OP).await?;
        rows.iter()
            .map(|r| {
                Ok(GateRequest {
                    repo: r.text("repository", OP)?,
                    run_id: r.int("run_id", OP)?,
                    environment: r.text("environment", OP)?,
                    deployment_id: r.int("deployment_id", OP)?,
                    sha: r.text("sha", OP)?,
                    delivery_id: r.text("delivery_id", OP)?,
                })
            })
            .collect()
    }

    async fn record_gate_answer(
        &self,
        r: &GateRequest,
        answer: &GateAnswer,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        const OP: &str = "record a gate answer";
        let mut tx = self.write(OP).await?;
        let [a, b, c, d] = gate_key(r);
        let answered = (!answer.dry_run).then_some(now);
        let params = [
            a,
            b,
            c,
            d,
            Param::Text(&answer.decision),
            Param::Text(&answer.comment),
            Param::Bool(answer.dry_run),
            Param::Int(now),
            Param::OptInt(answered),
        ];
        let changed = tx.execute(ANSWER_GATE, &params, OP).await? == 1;
        tx.commit(OP).await?;
        Ok(changed)
    }
}
