//! The SQLite implementation of [`Store`]: an embedded file in WAL mode.

mod sql;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use tokio::sync::{Mutex, MutexGuard};

use crate::Store;
use crate::backoff::millis;
use crate::causes;
use crate::error::StoreError;
use crate::rows::{APPLIED, delivered};
use crate::rows::{
    AfterFailure, JobState, decode_action, decode_delivery, decode_job_row, decode_job_state,
    to_u32, to_u64,
};
use crate::types::Prunable;
use crate::types::{
    ActionRow, DeliveryRow, FailOutcome, Job, JobFilter, JobRow, NewAction, NewDelivery,
    QueueDepth, RecordOutcome, Timestamp, TriggerOutcome,
};

/// How long a statement waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections for a file database: WAL lets readers proceed beside the single writer.
const MAX_CONNECTIONS: u32 = 8;

/// How long an operation waits for a free connection before reporting the store unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The embedded store: one SQLite file in WAL mode, created on first use.
///
/// Durability: WAL with `synchronous=NORMAL`. A committed transaction is in the WAL file before
/// the commit returns, so it survives the process crashing or being killed; only an operating
/// system crash or power loss can lose the last transactions before the next checkpoint.
#[derive(Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Serialises this process's writers before they reach SQLite: waiting on an async mutex is
    /// fair and wakes at once, whereas SQLite's busy handler sleeps and polls. Other processes on
    /// the same file are still arbitrated by SQLite's lock and `BUSY_TIMEOUT`.
    write_gate: Mutex<()>,
    /// Deliveries waiting to be committed: whoever holds the gate commits every waiting one in a
    /// single transaction (group commit), so concurrent webhooks share one commit.
    batch: std::sync::Mutex<Vec<PendingDelivery>>,
    location: String,
}

/// A `record_delivery` call waiting for its group commit.
#[derive(Debug)]
struct PendingDelivery {
    delivery: NewDelivery,
    keys: Vec<String>,
    now: Timestamp,
    done: tokio::sync::oneshot::Sender<Result<RecordOutcome, StoreError>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `sqlite://PATH`, `sqlite:PATH` or a bare path,
    /// and applies the embedded migrations. `sqlite::memory:` gives a private in-memory database
    /// (one connection, so every call sees the same data).
    pub async fn open(url_or_path: &str) -> Result<Self, StoreError> {
        let (options, in_memory) = connect_options(url_or_path)?;
        let location = if in_memory {
            "in-memory database".to_owned()
        } else {
            options.get_filename().display().to_string()
        };
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT);

        let pool_options = if in_memory {
            // An in-memory database lives only as long as a connection to it: keep exactly one.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS)
        };
        let pool = pool_options
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { location: location.clone(), source })?;

        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { location: location.clone(), source })?;

        Ok(SqliteStore {
            pool,
            write_gate: Mutex::new(()),
            batch: std::sync::Mutex::new(Vec::new()),
            location,
        })
    }

    /// The database file this store uses (for logs and error messages).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Closes every connection, waiting for running operations; for a clean shutdown.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction, holding this process's write gate until it ends.
    /// One transaction for a group of deliveries; every caller gets its own outcome (or, if the
    /// transaction fails, the error: nothing of the group was committed, so nothing was
    /// acknowledged).
    async fn commit_deliveries(&self, group: Vec<PendingDelivery>) {
        const OP: &str = "record a delivery";
        let result: Result<Vec<RecordOutcome>, StoreError> = async {
            let mut tx =
                self.pool.begin_with(sql::BEGIN_WRITE).await.map_err(StoreError::db(OP))?;
            let mut outcomes = Vec::with_capacity(group.len());
            for p in &group {
                let d = &p.delivery;
                let inserted = sqlx::query(sql::INSERT_DELIVERY)
                    .bind(&d.id)
                    .bind(&d.event)
                    .bind(&d.action)
                    .bind(&d.repository)
                    .bind(d.installation)
                    .bind(d.received_at)
                    .bind(&d.body)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(OP))?;
                if inserted.rows_affected() == 0 {
                    outcomes.push(RecordOutcome::Duplicate);
                    continue;
                }
                let mut job = None;
                for key in &p.keys {
                    let outcome = trigger_in(&mut tx, key, &d.id, p.now).await?;
                    job.get_or_insert(outcome);
                }
                outcomes.push(RecordOutcome::Recorded { job });
            }
            tx.commit().await.map_err(StoreError::db(OP))?;
            Ok(outcomes)
        }
        .await;
        match result {
            Ok(outcomes) => {
                for (p, o) in group.into_iter().zip(outcomes) {
                    let _ = p.done.send(Ok(o));
                }
            }
            Err(e) => {
                let detail = e.to_string();
                let unavailable = e.is_unavailable();
                for p in group {
                    let err =
                        StoreError::GroupCommit { op: OP, detail: detail.clone(), unavailable };
                    let _ = p.done.send(Err(err));
                }
            }
        }
    }

    async fn begin_write(
        &self,
        op: &'static str,
    ) -> Result<(MutexGuard<'_, ()>, Transaction<'static, Sqlite>), StoreError> {
        let gate = self.write_gate.lock().await;
        let tx = self.pool.begin_with(sql::BEGIN_WRITE).await.map_err(StoreError::db(op))?;
        Ok((gate, tx))
    }
}

/// Parses the location into connect options; the flag says whether it is in memory.
fn connect_options(url_or_path: &str) -> Result<(SqliteConnectOptions, bool), StoreError> {
    let invalid = |reason: &str| StoreError::InvalidLocation {
        location: url_or_path.to_owned(),
        reason: reason.to_owned(),
    };
    if url_or_path.trim().is_empty() {
        return Err(invalid("it is empty"));
    }
    if url_or_path.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url_or_path)
            .map_err(|e| invalid(&format!("not a valid SQLite URL ({e})")))?;
        let in_memory = url_or_path.contains(":memory:") || url_or_path.contains("mode=memory");
        return Ok((options, in_memory));
    }
    if let Some((scheme, _)) = url_or_path.split_once("://") {
        // Never echo the rest: a database URL can carry a password.
        return Err(StoreError::InvalidLocation {
            location: format!("{scheme}://..."),
            reason: format!("`{scheme}` databases are not supported by the SQLite store"),
        });
    }
    Ok((SqliteConnectOptions::new().filename(url_or_path), false))
}

/// Enqueues or coalesces the job for `key` inside the caller's write transaction.
async fn trigger_in(
    conn: &mut SqliteConnection,
    key: &str,
    cause: &str,
    now: Timestamp,
) -> Result<TriggerOutcome, StoreError> {
    const OP: &str = "trigger a job";
    // Two rounds: under a database without SQLite's single writer, a concurrent insert of the
    // same key can win the race, and the second round then coalesces into the winner's row.
    for _ in 0..2 {
        let row = sqlx::query(sql::SELECT_JOB_BY_KEY)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::db(OP))?;
        let Some(row) = row else {
            let inserted = sqlx::query(sql::INSERT_JOB)
                .bind(key)
                .bind(causes::encode(&[cause.to_owned()]))
                .bind(now)
                .execute(&mut *conn)
                .await
                .map_err(StoreError::db(OP))?;
            if inserted.rows_affected() == 1 {
                return Ok(TriggerOutcome::Enqueued);
            }
            continue;
        };
        let job = decode_job_state(&row, OP)?;
        let outcome = match job.state.as_str() {
            "pending" => {
                let mut list = job.causes;
                causes::merge(&mut list, [cause]);
                sqlx::query(sql::COALESCE_PENDING)
                    .bind(job.id)
                    .bind(causes::encode(&list))
                    .bind(now)
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::db(OP))?;
                TriggerOutcome::Coalesced
            }
            "leased" => {
                // The running attempt may already have read the pull request: bump the generation
                // so `complete` knows another run is owed.
                let mut list = job.rerun_causes;
                causes::merge(&mut list, [cause]);
                sqlx::query(sql::BUMP_LEASED)
                    .bind(job.id)
                    .bind(causes::encode(&list))
                    .bind(job.rerun_since.unwrap_or(now))
                    .bind(now)
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::db(OP))?;
                TriggerOutcome::Rerun
            }
            "dead" => {
                // Level-triggered: a new event is a new reason to look, so a dead job gets a fresh
                // series of attempts rather than silently swallowing the event.
                let mut list = job.causes;
                causes::merge(&mut list, [cause]);
                sqlx::query(sql::REVIVE_DEAD)
                    .bind(job.id)
                    .bind(causes::encode(&list))
                    .bind(now)
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::db(OP))?;
                TriggerOutcome::Enqueued
            }
            other => {
                return Err(StoreError::Corrupt {
                    what: format!("state of job {key:?}"),
                    detail: format!("unknown state {other:?}"),
                });
            }
        };
        return Ok(outcome);
    }
    Err(StoreError::Corrupt {
        what: format!("job {key:?}"),
        detail: "it could neither be inserted nor found".to_owned(),
    })
}

/// The row of a job still held by `job`'s lease, or [`StoreError::LeaseLost`].
async fn held(
    conn: &mut SqliteConnection,
    job: &Job,
    op: &'static str,
) -> Result<JobState, StoreError> {
    let row = sqlx::query(sql::SELECT_JOB_HELD)
        .bind(job.id)
        .bind(&job.lease_owner)
        .bind(job.generation)
        .fetch_optional(&mut *conn)
        .await
        .map_err(StoreError::db(op))?;
    match row {
        Some(row) => decode_job_state(&row, op),
        None => Err(StoreError::LeaseLost { id: job.id, key: job.key.clone() }),
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn record_delivery(
        &self,
        d: &NewDelivery,
        job_keys: &[&str],
        now: Timestamp,
    ) -> Result<RecordOutcome, StoreError> {
        const OP: &str = "record a delivery";
        let (done, answer) = tokio::sync::oneshot::channel();
        self.batch.lock().unwrap_or_else(|e| e.into_inner()).push(PendingDelivery {
            delivery: d.clone(),
            keys: job_keys.iter().map(|k| k.to_string()).collect(),
            now,
            done,
        });
        {
            // The gate holder commits every delivery waiting at that moment, ours included unless
            // an earlier holder already took it.
            let _gate = self.write_gate.lock().await;
            let waiting =
                std::mem::take(&mut *self.batch.lock().unwrap_or_else(|e| e.into_inner()));
            if !waiting.is_empty() {
                self.commit_deliveries(waiting).await;
            }
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::GroupCommit {
                op: OP,
                detail: "the group commit was abandoned".into(),
                unavailable: true,
            })
        })
    }

    async fn trigger(
        &self,
        job_key: &str,
        cause: &str,
        now: Timestamp,
    ) -> Result<TriggerOutcome, StoreError> {
        const OP: &str = "trigger a job";
        let (_gate, mut tx) = self.begin_write(OP).await?;
        let outcome = trigger_in(&mut tx, job_key, cause, now).await?;
        tx.commit().await.map_err(StoreError::db(OP))?;
        Ok(outcome)
    }

    async fn lease(
        &self,
        worker: &str,
        lease_for: Duration,
        now: Timestamp,
    ) -> Result<Option<Job>, StoreError> {
        const OP: &str = "lease a job";
        let (_gate, mut tx) = self.begin_write(OP).await?;
        let row = sqlx::query(sql::SELECT_NEXT_RUNNABLE)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::db(OP))?;
        let Some(row) = row else {
            tx.rollback().await.map_err(StoreError::db(OP))?;
            return Ok(None);
        };
        let state = decode_job_state(&row, OP)?;
        // A lease taken over from a crashed worker folds in the triggers that arrived meanwhile.
        let causes = state.all_causes();
        let first_triggered_at = state.earliest_trigger();
        let attempt = to_u32(state.attempts.saturating_add(1), "attempt count", &state.key)?;
        let generation = state.generation.saturating_add(1);
        let lease_expires = now.saturating_add(millis(lease_for));
        let granted = sqlx::query(sql::GRANT_LEASE)
            .bind(state.id)
            .bind(state.generation)
            .bind(generation)
            .bind(worker)
            .bind(lease_expires)
            .bind(i64::from(attempt))
            .bind(causes::encode(&causes))
            .bind(first_triggered_at)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::db(OP))?;
        if granted.rows_affected() != 1 {
            // Only possible if something outside the write lock changed the row; let the caller
            // poll again rather than hand out a lease we did not get.
            tx.rollback().await.map_err(StoreError::db(OP))?;
            return Ok(None);
        }
        tx.commit().await.map_err(StoreError::db(OP))?;
        Ok(Some(Job {
            id: state.id,
            key: state.key,
            attempt,
            generation,
            lease_owner: worker.to_owned(),
            lease_expires,
            causes,
            first_triggered_at,
        }))
    }

    async fn renew(
        &self,
        job: &Job,
        lease_for: Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        const OP: &str = "renew a lease";
        let _gate = self.write_gate.lock().await;
        let renewed = sqlx::query(sql::RENEW_LEASE)
            .bind(job.id)
            .bind(&job.lease_owner)
            .bind(job.generation)
            .bind(now.saturating_add(millis(lease_for)))
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        Ok(renewed.rows_affected() == 1)
    }

    async fn complete(&self, job: &Job, now: Timestamp) -> Result<(), StoreError> {
        const OP: &str = "complete a job";
        let (_gate, mut tx) = self.begin_write(OP).await?;
        let state = held(&mut tx, job, OP).await?;
        if state.generation == job.generation {
            sqlx::query(sql::DELETE_JOB)
                .bind(job.id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(OP))?;
        } else {
            // Triggered during the run: the run may have missed what those triggers announced.
            sqlx::query(sql::REQUEUE_AFTER_RUN)
                .bind(job.id)
                .bind(causes::encode(&state.rerun_causes))
                .bind(state.rerun_since.unwrap_or(now))
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(OP))?;
        }
        // The deliveries this run covered are processed in the same commit as the job: a crash
        // between two separate statements would leave an acknowledged delivery unprocessed for ever.
        for id in delivered(job) {
            sqlx::query(sql::MARK_DELIVERY_PROCESSED)
                .bind(id)
                .bind(now)
                .bind(APPLIED)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(OP))?;
        }
        tx.commit().await.map_err(StoreError::db(OP))?;
        Ok(())
    }

    async fn fail(
        &self,
        job: &Job,
        error: &str,
        retry_after: Option<Duration>,
        max_attempts: u32,
        now: Timestamp,
    ) -> Result<FailOutcome, StoreError> {
        const OP: &str = "record a failed attempt";
        let (_gate, mut tx) = self.begin_write(OP).await?;
        let state = held(&mut tx, job, OP).await?;
        let causes = state.all_causes();
        let (at, attempts) = match state.after_failure(
            job.attempt,
            job.generation,
            max_attempts,
            retry_after,
            now,
        ) {
            AfterFailure::Retry { at, attempts } => (at, attempts),
            AfterFailure::Dead => {
                sqlx::query(sql::DEAD_LETTER)
                    .bind(job.id)
                    .bind(causes::encode(&causes))
                    .bind(error)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db(OP))?;
                tx.commit().await.map_err(StoreError::db(OP))?;
                return Ok(FailOutcome::Dead);
            }
        };
        sqlx::query(sql::SCHEDULE_RETRY)
            .bind(job.id)
            .bind(at)
            .bind(causes::encode(&causes))
            .bind(error)
            .bind(attempts)
            .bind(state.earliest_trigger())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::db(OP))?;
        tx.commit().await.map_err(StoreError::db(OP))?;
        Ok(FailOutcome::Retry { at })
    }

    async fn jobs(&self, filter: JobFilter) -> Result<Vec<JobRow>, StoreError> {
        const OP: &str = "list jobs";
        let query = match filter {
            JobFilter::All => sqlx::query(sql::SELECT_JOBS_ALL),
            JobFilter::Pending => sqlx::query(sql::SELECT_JOBS_IN_STATE).bind("pending"),
            JobFilter::Leased => sqlx::query(sql::SELECT_JOBS_IN_STATE).bind("leased"),
            JobFilter::Dead => sqlx::query(sql::SELECT_JOBS_IN_STATE).bind("dead"),
        };
        let rows = query.fetch_all(&self.pool).await.map_err(StoreError::db(OP))?;
        rows.iter().map(decode_job_row).collect()
    }

    async fn retry_dead(&self, job_key: &str, now: Timestamp) -> Result<bool, StoreError> {
        const OP: &str = "retry a dead job";
        let _gate = self.write_gate.lock().await;
        let updated = sqlx::query(sql::RETRY_DEAD)
            .bind(job_key)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        Ok(updated.rows_affected() == 1)
    }

    async fn queue_depth(&self) -> Result<QueueDepth, StoreError> {
        const OP: &str = "count jobs";
        let rows = sqlx::query(sql::COUNT_JOBS_BY_STATE)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        let mut depth = QueueDepth::default();
        for row in rows {
            let state: String = row.try_get(0).map_err(StoreError::db(OP))?;
            let count = to_u64(row.try_get(1).map_err(StoreError::db(OP))?, "job count")?;
            match state.as_str() {
                "pending" => depth.pending = count,
                "leased" => depth.leased = count,
                "dead" => depth.dead = count,
                other => {
                    return Err(StoreError::Corrupt {
                        what: "job state".to_owned(),
                        detail: format!("unknown state {other:?}"),
                    });
                }
            }
        }
        Ok(depth)
    }

    async fn log_action(&self, a: &NewAction) -> Result<(), StoreError> {
        self.log_actions(std::slice::from_ref(a)).await
    }

    async fn log_actions(&self, actions: &[NewAction]) -> Result<(), StoreError> {
        const OP: &str = "append to the action log";
        if actions.is_empty() {
            return Ok(());
        }
        let (_gate, mut tx) = self.begin_write(OP).await?;
        for a in actions {
            sqlx::query(sql::INSERT_ACTION)
                .bind(&a.job_key)
                .bind(&a.delivery_id)
                .bind(a.job_id)
                .bind(&a.kind)
                .bind(a.dry_run)
                .bind(a.before.to_string())
                .bind(a.after.to_string())
                .bind(a.at)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(OP))?;
        }
        tx.commit().await.map_err(StoreError::db(OP))?;
        Ok(())
    }

    async fn mark_deliveries_processed(
        &self,
        ids: &[String],
        outcome: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        const OP: &str = "mark deliveries processed";
        if ids.is_empty() {
            return Ok(0);
        }
        let (_gate, mut tx) = self.begin_write(OP).await?;
        let mut n = 0;
        for id in ids {
            let updated = sqlx::query(sql::MARK_DELIVERY_PROCESSED)
                .bind(id)
                .bind(now)
                .bind(outcome)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(OP))?;
            n += updated.rows_affected();
        }
        tx.commit().await.map_err(StoreError::db(OP))?;
        Ok(n)
    }

    async fn actions(&self, job_key: &str, limit: u32) -> Result<Vec<ActionRow>, StoreError> {
        const OP: &str = "read the action log";
        let rows = sqlx::query(sql::SELECT_ACTIONS)
            .bind(job_key)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        rows.iter().map(decode_action).collect()
    }

    async fn delivery(&self, id: &str) -> Result<Option<DeliveryRow>, StoreError> {
        const OP: &str = "read a delivery";
        let row = sqlx::query(sql::SELECT_DELIVERY)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        row.as_ref().map(decode_delivery).transpose()
    }

    async fn mark_delivery_processed(
        &self,
        id: &str,
        outcome: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        const OP: &str = "mark a delivery processed";
        let _gate = self.write_gate.lock().await;
        let updated = sqlx::query(sql::MARK_DELIVERY_PROCESSED)
            .bind(id)
            .bind(now)
            .bind(outcome)
            .execute(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::DeliveryNotFound { id: id.to_owned() });
        }
        Ok(())
    }

    async fn deliveries_unprocessed(&self) -> Result<u64, StoreError> {
        const OP: &str = "count unprocessed deliveries";
        let count: i64 = sqlx::query_scalar(sql::COUNT_UNPROCESSED_DELIVERIES)
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        to_u64(count, "count of unprocessed deliveries")
    }

    async fn rereview_requested(&self, job_key: &str, sha: &str) -> Result<bool, StoreError> {
        const OP: &str = "look up a re-review request";
        let row = sqlx::query(sql::SELECT_REREVIEW)
            .bind(job_key)
            .bind(sha)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        Ok(row.is_some())
    }

    async fn record_rereview(
        &self,
        job_key: &str,
        sha: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        const OP: &str = "remember a re-review request";
        let _gate = self.write_gate.lock().await;
        sqlx::query(sql::INSERT_REREVIEW)
            .bind(job_key)
            .bind(sha)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        Ok(())
    }

    async fn applied_agent_labels(
        &self,
        job_key: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        const OP: &str = "read applied agent labels";
        let rows = sqlx::query(sql::SELECT_AGENT_LABELS)
            .bind(job_key)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("label").map_err(StoreError::db(OP))?,
                    row.try_get("files_fingerprint").map_err(StoreError::db(OP))?,
                ))
            })
            .collect()
    }

    async fn set_applied_agent_labels(
        &self,
        job_key: &str,
        labels: &[(String, String)],
    ) -> Result<(), StoreError> {
        const OP: &str = "remember applied agent labels";
        let (_gate, mut tx) = self.begin_write(OP).await?;
        sqlx::query(sql::DELETE_AGENT_LABELS)
            .bind(job_key)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::db(OP))?;
        for (label, fingerprint) in labels {
            sqlx::query(sql::UPSERT_AGENT_LABEL)
                .bind(job_key)
                .bind(label)
                .bind(fingerprint)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(OP))?;
        }
        tx.commit().await.map_err(StoreError::db(OP))?;
        Ok(())
    }

    async fn claim_schedule(
        &self,
        name: &str,
        owner: &str,
        period: Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        const OP: &str = "claim a periodic task";
        let _gate = self.write_gate.lock().await;
        let claimed = sqlx::query(sql::CLAIM_SCHEDULE)
            .bind(name)
            .bind(owner)
            .bind(now)
            .bind(now.saturating_add(millis(period)))
            .execute(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        Ok(claimed.rows_affected() == 1)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query(sql::PING).execute(&self.pool).await.map_err(StoreError::db("ping"))?;
        Ok(())
    }

    async fn prune_batch(
        &self,
        what: Prunable,
        before: Timestamp,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let (statement, op) = match what {
            Prunable::Deliveries => (sql::PRUNE_DELIVERIES, "prune old deliveries"),
            Prunable::Actions => (sql::PRUNE_ACTIONS, "prune old actions"),
        };
        let _gate = self.write_gate.lock().await;
        let done = sqlx::query(statement)
            .bind(before)
            .bind(i64::from(limit))
            .execute(&self.pool)
            .await
            .map_err(StoreError::db(op))?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_urls_and_bare_paths() {
        for location in ["sqlite://data/plasma.db", "sqlite:data/plasma.db", "data/plasma.db"] {
            let (options, in_memory) = connect_options(location).unwrap();
            assert!(!in_memory, "{location}");
            assert_eq!(
                options.get_filename(),
                std::path::Path::new("data/plasma.db"),
                "{location}"
            );
        }
        assert!(connect_options("sqlite::memory:").unwrap().1);
    }

    #[test]
    fn rejects_other_schemes_without_echoing_credentials() {
        let err = connect_options("postgres://user:secret@db/plasma").unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("postgres"), "{text}");
        assert!(connect_options("  ").is_err());
    }
}
