//! The PostgreSQL implementation of [`Store`], for several `serve` replicas on one database.
//!
//! No in-process lock protects anything here: every replica is a separate process, so every
//! read-then-write runs in a transaction that locks the job row it decides on (`FOR UPDATE`), and
//! leasing skips rows other replicas hold (`FOR UPDATE SKIP LOCKED`).

mod sql;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, Row, Transaction};

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

/// Connections per replica: workers, ingress and the sweep share them.
const MAX_CONNECTIONS: u32 = 10;

/// How long an operation waits for a free (or new) connection before reporting the store
/// unavailable: short enough that ingress answers 503 well within GitHub's 10 s delivery timeout.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How many times a trigger retries when the job row it wanted vanished or appeared under it
/// (a concurrent insert won, or the row was completed and deleted between two statements).
const TRIGGER_ROUNDS: usize = 8;

/// The PostgreSQL store: a connection pool; migrations run at open.
///
/// Several replicas may open the same database at once: the migrator holds a PostgreSQL advisory
/// lock while it applies migrations, so exactly one applies them and the others wait.
#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    location: String,
}

impl PgStore {
    /// Connects to `postgres://...` or `postgresql://...` and brings the schema up to date.
    /// Errors name the server and database but never the password.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = connect_options(url)?;
        let location = describe(&options);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect { location: location.clone(), source })?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate { location: location.clone(), source })?;
        Ok(PgStore { pool, location })
    }

    /// The server and database this store uses, without the password (for logs and errors).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Closes every connection, waiting for running operations; for a clean shutdown.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin(&self, op: &'static str) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(StoreError::db(op))
    }
}

/// Whether a location names a PostgreSQL database.
pub(crate) fn is_postgres_url(location: &str) -> bool {
    let lower = location.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// Parses the URL; the error never repeats it (it may carry a password).
fn connect_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    let scheme = url.split_once("://").map_or("?", |(scheme, _)| scheme);
    let invalid = |reason: String| StoreError::InvalidLocation {
        location: format!("{scheme}://..."),
        reason,
    };
    if !is_postgres_url(url) {
        return Err(invalid("a PostgreSQL URL starts with `postgres://`".to_owned()));
    }
    PgConnectOptions::from_str(url.trim()).map_err(|_| {
        invalid(
            "not a valid PostgreSQL URL; the form is postgres://USER:PASSWORD@HOST:PORT/DATABASE \
             (percent-encode special characters in the password)"
                .to_owned(),
        )
    })
}

/// `postgres://user@host:port/database`, the password left out.
fn describe(options: &PgConnectOptions) -> String {
    let database = options.get_database().unwrap_or(options.get_username());
    match options.get_socket() {
        Some(socket) => format!(
            "postgres://{}@{}/{database} (socket {})",
            options.get_username(),
            options.get_host(),
            socket.display()
        ),
        None => format!(
            "postgres://{}@{}:{}/{database}",
            options.get_username(),
            options.get_host(),
            options.get_port()
        ),
    }
}

/// Enqueues or coalesces the job for `key` inside the caller's transaction, holding the job row's
/// lock until that transaction ends.
async fn trigger_in(
    conn: &mut PgConnection,
    key: &str,
    cause: &str,
    now: Timestamp,
) -> Result<TriggerOutcome, StoreError> {
    const OP: &str = "trigger a job";
    for _ in 0..TRIGGER_ROUNDS {
        let row = sqlx::query(sql::SELECT_JOB_BY_KEY)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::db(OP))?;
        let Some(row) = row else {
            // Another replica inserting the same key makes this wait for its commit and then
            // affect nothing; the next round locks the winner's row.
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
                // Level-triggered: a new event is a new reason to look.
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
        detail: format!(
            "it could neither be inserted nor found in {TRIGGER_ROUNDS} rounds of concurrent changes"
        ),
    })
}

/// The locked row of a job still held by `job`'s lease, or [`StoreError::LeaseLost`].
async fn held(
    conn: &mut PgConnection,
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
impl Store for PgStore {
    async fn record_delivery(
        &self,
        d: &NewDelivery,
        job_keys: &[&str],
        now: Timestamp,
    ) -> Result<RecordOutcome, StoreError> {
        const OP: &str = "record a delivery";
        // No group commit: PostgreSQL has real concurrent writers, and each replica's webhooks
        // commit side by side.
        let mut tx = self.begin(OP).await?;
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
            tx.rollback().await.map_err(StoreError::db(OP))?;
            return Ok(RecordOutcome::Duplicate);
        }
        // Lock job rows in one global order (sorted keys) so two deliveries naming the same pull
        // requests in different orders cannot deadlock; report the first key's outcome as given.
        let mut keys: Vec<&str> = job_keys.to_vec();
        keys.sort_unstable();
        keys.dedup();
        let mut first = None;
        for key in keys {
            let outcome = trigger_in(&mut tx, key, &d.id, now).await?;
            if job_keys.first() == Some(&key) {
                first = Some(outcome);
            }
        }
        tx.commit().await.map_err(StoreError::db(OP))?;
        Ok(RecordOutcome::Recorded { job: first })
    }

    async fn trigger(
        &self,
        job_key: &str,
        cause: &str,
        now: Timestamp,
    ) -> Result<TriggerOutcome, StoreError> {
        const OP: &str = "trigger a job";
        let mut tx = self.begin(OP).await?;
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
        let mut tx = self.begin(OP).await?;
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
            // Cannot happen while the row lock is held; never hand out a lease we did not get.
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
        let mut tx = self.begin(OP).await?;
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
        let delivered = delivered(job);
        if !delivered.is_empty() {
            sqlx::query(sql::MARK_DELIVERIES_PROCESSED)
                .bind(&delivered)
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
        let mut tx = self.begin(OP).await?;
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
        let mut tx = self.begin(OP).await?;
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
        let updated = sqlx::query(sql::MARK_DELIVERIES_PROCESSED)
            .bind(ids)
            .bind(now)
            .bind(outcome)
            .execute(&self.pool)
            .await
            .map_err(StoreError::db(OP))?;
        Ok(updated.rows_affected())
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
        // A repeated label keeps its last fingerprint; inserting in label order keeps two replicas
        // replacing the same key's labels from locking index entries in opposite orders.
        let mut last: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
        for (label, fingerprint) in labels {
            last.insert(label, fingerprint);
        }
        let mut tx = self.begin(OP).await?;
        sqlx::query(sql::DELETE_AGENT_LABELS)
            .bind(job_key)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::db(OP))?;
        for (label, fingerprint) in last {
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
        let done = sqlx::query(statement)
            .bind(before)
            .bind(i64::from(limit))
            .execute(&self.pool)
            .await
            .map_err(StoreError::db(op))?;
        Ok(done.rows_affected())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query(sql::PING).execute(&self.pool).await.map_err(StoreError::db("ping"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_both_schemes() {
        assert!(is_postgres_url("postgres://db/plasma"));
        assert!(is_postgres_url("postgresql://u@db:5433/plasma"));
        assert!(is_postgres_url("POSTGRES://db/plasma"));
        assert!(!is_postgres_url("sqlite://plasma.db"));
        assert!(!is_postgres_url("plasma.db"));
    }

    #[test]
    fn describes_the_location_without_the_password() {
        let options = connect_options("postgres://ops:hunter2@db.internal:6543/plasma").unwrap();
        let text = describe(&options);
        assert_eq!(text, "postgres://ops@db.internal:6543/plasma");
    }

    #[test]
    fn a_malformed_url_is_rejected_without_echoing_it() {
        let err = connect_options("postgres://ops:hunter2@db:notaport/plasma").unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("postgres://..."), "{text}");
    }
}
