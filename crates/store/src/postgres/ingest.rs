//! Group commit of deliveries on PostgreSQL: every delivery waiting while the previous group
//! commits goes into the next group, and a group costs four round trips and one WAL flush
//! however many deliveries it holds:
//!
//! 1. `BEGIN`;
//! 2. one statement inserts the group's deliveries (a delivery id already stored is skipped and
//!    reported back as a duplicate) and then reads and locks (`FOR UPDATE`, in key order) the job
//!    rows of every key the group names;
//! 3. the queue's pure transitions decide each row in memory ([`crate::ingest::plan`]), and one
//!    statement inserts the new job rows and updates the changed ones;
//! 4. `COMMIT`; only then is any caller answered, so every acknowledged delivery and its jobs are
//!    durable together ("durable before acknowledged") and a crash leaves all of a group or none.
//!
//! The only thing the group cannot decide alone is a key whose row another replica inserts after
//! our read: our insert then affects fewer rows than planned, the group is rolled back and each
//! of its deliveries is recorded on its own by [`record_in`] (which re-reads such a row). An
//! error other than "unavailable" (a deadlock with another replica, a value the database refuses)
//! takes the same way, so one bad delivery cannot fail the others of its group.

use std::collections::BTreeSet;

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Row, Transaction};
use tokio::sync::oneshot;

use crate::causes;
use crate::error::StoreError;
use crate::exec::{Commit, Exec, record_in};
use crate::ingest::{self, Item};
use crate::key::JobKey;
use crate::queue::JobState;
use crate::rows::decode_job_state;
use crate::types::{NewDelivery, RecordOutcome, Timestamp};

use super::sql::DIALECT;

const OP: &str = "record a delivery";

/// Inserts the group's deliveries (`$1`..`$7`, one array per column, sorted by id), then locks
/// the job rows of the keys `$8`. The lock waits for the insert (the `cardinality` condition
/// reads its result), so rows are only ever locked after the deliveries: the order every writer
/// follows. Always one row at least: the stored ids, with the job columns NULL when no row is
/// locked.
const INSERT_AND_LOCK: &str = concat!(
    "WITH stored AS (INSERT INTO deliveries ",
    "(id, event, action, repository, installation, received_at, body) ",
    "SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], ",
    "$6::int8[], $7::bytea[]) ON CONFLICT (id) DO NOTHING RETURNING id), ",
    "stored_ids AS (SELECT COALESCE(array_agg(id), '{}'::text[]) AS ids FROM stored), ",
    "locked AS (SELECT id, job_key, state, attempts, generation, run_after, lease_owner, ",
    "lease_expires, lease_generation, causes, rerun_causes, rerun_since, last_error, ",
    "first_triggered_at, updated_at FROM jobs WHERE job_key = ANY($8::text[]) ",
    "AND (SELECT cardinality(ids) FROM stored_ids) >= 0 ORDER BY job_key FOR UPDATE) ",
    "SELECT stored_ids.ids AS stored_ids, locked.* FROM stored_ids LEFT JOIN locked ON true"
);

/// Inserts the new job rows (`$1`..`$14`, the columns of `crate::sql::INSERT_JOB`) and updates
/// the changed ones (`$15` id, `$16` generation read, then `$17`..`$29` the columns after the
/// key) provided their generation is still the one read; answers how many of each it wrote.
const WRITE_JOBS: &str = concat!(
    "WITH inserted AS (INSERT INTO jobs (job_key, state, attempts, generation, run_after, ",
    "lease_owner, lease_expires, lease_generation, causes, rerun_causes, rerun_since, ",
    "last_error, first_triggered_at, updated_at) ",
    "SELECT * FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], ",
    "$6::text[], $7::int8[], $8::int8[], $9::text[], $10::text[], $11::int8[], $12::text[], ",
    "$13::int8[], $14::int8[]) ON CONFLICT (job_key) DO NOTHING RETURNING 1), ",
    "updated AS (UPDATE jobs SET state = u.state, attempts = u.attempts, ",
    "generation = u.generation, run_after = u.run_after, lease_owner = u.lease_owner, ",
    "lease_expires = u.lease_expires, lease_generation = u.lease_generation, ",
    "causes = u.causes, rerun_causes = u.rerun_causes, rerun_since = u.rerun_since, ",
    "last_error = u.last_error, first_triggered_at = u.first_triggered_at, ",
    "updated_at = u.updated_at FROM UNNEST($15::int8[], $16::int8[], $17::text[], ",
    "$18::int8[], $19::int8[], $20::int8[], $21::text[], $22::int8[], $23::int8[], ",
    "$24::text[], $25::text[], $26::int8[], $27::text[], $28::int8[], $29::int8[]) ",
    "AS u(id, read_generation, state, attempts, generation, run_after, lease_owner, ",
    "lease_expires, lease_generation, causes, rerun_causes, rerun_since, last_error, ",
    "first_triggered_at, updated_at) ",
    "WHERE jobs.id = u.id AND jobs.generation = u.read_generation RETURNING 1) ",
    "SELECT (SELECT COUNT(*) FROM inserted) AS inserted, (SELECT COUNT(*) FROM updated) AS updated"
);

/// A `record_delivery` call waiting for its group.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) delivery: NewDelivery,
    pub(super) keys: Vec<JobKey>,
    pub(super) now: Timestamp,
    pub(super) done: oneshot::Sender<Result<RecordOutcome, StoreError>>,
}

/// Records a group and answers each of its callers. Runs to the end even if the caller that
/// started it goes away (it is spawned), so no group is left half-answered.
pub(super) async fn commit_group(pool: PgPool, group: Vec<Pending>) {
    let items: Vec<Item<'_>> =
        group.iter().map(|p| Item { delivery: &p.delivery, keys: &p.keys, now: p.now }).collect();
    let result = record_group(&pool, &items).await;
    drop(items);
    match result {
        Ok(Some(outcomes)) => {
            for (p, outcome) in group.into_iter().zip(outcomes) {
                let _ = p.done.send(Ok(outcome));
            }
        }
        Err(e) if e.is_unavailable() => {
            // The database is away: every delivery of the group is refused for redelivery.
            let detail = e.to_string();
            for p in group {
                let err =
                    StoreError::GroupCommit { op: OP, detail: detail.clone(), unavailable: true };
                let _ = p.done.send(Err(err));
            }
        }
        // A row inserted by another replica meanwhile, or an error one delivery may have caused.
        Ok(None) | Err(_) => one_by_one(&pool, group).await,
    }
}

/// The sequential path: each delivery in its own transaction.
async fn one_by_one(pool: &PgPool, group: Vec<Pending>) {
    for p in group {
        let result = async {
            let tx = pool.begin().await.map_err(StoreError::db(OP))?;
            let mut tx = Exec::<Postgres, _>::new(tx, &DIALECT, ());
            let outcome = record_in(&mut tx, &p.delivery, &p.keys, p.now).await?;
            tx.commit(OP).await?;
            Ok(outcome)
        }
        .await;
        let _ = p.done.send(result);
    }
}

/// The group in one transaction; `None` when a job row was inserted by someone else after it was
/// read (nothing was committed).
pub(super) async fn record_group(
    pool: &PgPool,
    items: &[Item<'_>],
) -> Result<Option<Vec<RecordOutcome>>, StoreError> {
    let mut tx = pool.begin().await.map_err(StoreError::db(OP))?;
    let (stored, rows) = insert_and_lock(&mut tx, items).await?;
    let plan = ingest::plan(items, &stored, rows);
    if !plan.inserts.is_empty() || !plan.updates.is_empty() {
        let (inserted, updated) = write_jobs(&mut tx, &plan.inserts, &plan.updates).await?;
        if inserted != plan.inserts.len() as i64 || updated != plan.updates.len() as i64 {
            tx.rollback().await.map_err(StoreError::db(OP))?;
            return Ok(None);
        }
    }
    tx.commit().await.map_err(StoreError::db(OP))?;
    Ok(Some(plan.outcomes))
}

/// Statement 2 of the module's list: the ids stored and the job rows locked.
async fn insert_and_lock(
    tx: &mut Transaction<'static, Postgres>,
    items: &[Item<'_>],
) -> Result<(BTreeSet<String>, Vec<JobState>), StoreError> {
    let deliveries = ingest::unique_deliveries(items);
    let ids: Vec<&str> = deliveries.iter().map(|d| d.id.as_str()).collect();
    let events: Vec<&str> = deliveries.iter().map(|d| d.event.as_str()).collect();
    let actions: Vec<Option<&str>> = deliveries.iter().map(|d| d.action.as_deref()).collect();
    let repositories: Vec<Option<&str>> =
        deliveries.iter().map(|d| d.repository.as_deref()).collect();
    let installations: Vec<Option<i64>> = deliveries.iter().map(|d| d.installation).collect();
    let received: Vec<i64> = deliveries.iter().map(|d| d.received_at).collect();
    let bodies: Vec<&[u8]> = deliveries.iter().map(|d| d.body.as_slice()).collect();
    let keys = ingest::keys_to_lock(items);
    let rows: Vec<PgRow> = sqlx::query(INSERT_AND_LOCK)
        .bind(ids)
        .bind(events)
        .bind(actions)
        .bind(repositories)
        .bind(installations)
        .bind(received)
        .bind(bodies)
        .bind(keys)
        .fetch_all(&mut **tx)
        .await
        .map_err(StoreError::db(OP))?;
    let mut stored = BTreeSet::new();
    let mut jobs = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if i == 0 {
            let ids: Vec<String> = row.try_get("stored_ids").map_err(StoreError::db(OP))?;
            stored.extend(ids);
        }
        let id: Option<i64> = row.try_get("id").map_err(StoreError::db(OP))?;
        if id.is_some() {
            jobs.push(decode_job_state(row, OP)?);
        }
    }
    Ok((stored, jobs))
}

/// One array per column of `jobs`, in the column order of [`WRITE_JOBS`].
struct Columns {
    state: Vec<&'static str>,
    attempts: Vec<i64>,
    generation: Vec<i64>,
    run_after: Vec<i64>,
    lease_owner: Vec<Option<String>>,
    lease_expires: Vec<Option<i64>>,
    lease_generation: Vec<Option<i64>>,
    causes: Vec<String>,
    rerun_causes: Vec<String>,
    rerun_since: Vec<Option<i64>>,
    last_error: Vec<Option<String>>,
    first_triggered_at: Vec<i64>,
    updated_at: Vec<i64>,
}

impl Columns {
    fn of<'a>(jobs: impl ExactSizeIterator<Item = &'a JobState>) -> Columns {
        let n = jobs.len();
        let mut c = Columns {
            state: Vec::with_capacity(n),
            attempts: Vec::with_capacity(n),
            generation: Vec::with_capacity(n),
            run_after: Vec::with_capacity(n),
            lease_owner: Vec::with_capacity(n),
            lease_expires: Vec::with_capacity(n),
            lease_generation: Vec::with_capacity(n),
            causes: Vec::with_capacity(n),
            rerun_causes: Vec::with_capacity(n),
            rerun_since: Vec::with_capacity(n),
            last_error: Vec::with_capacity(n),
            first_triggered_at: Vec::with_capacity(n),
            updated_at: Vec::with_capacity(n),
        };
        for job in jobs {
            c.state.push(job.phase.as_str());
            c.attempts.push(job.attempts);
            c.generation.push(job.generation);
            c.run_after.push(job.run_after);
            c.lease_owner.push(job.lease_owner.clone());
            c.lease_expires.push(job.lease_expires);
            c.lease_generation.push(job.lease_generation);
            c.causes.push(causes::encode(&job.causes));
            c.rerun_causes.push(causes::encode(&job.rerun_causes));
            c.rerun_since.push(job.rerun_since);
            c.last_error.push(job.last_error.clone());
            c.first_triggered_at.push(job.first_triggered_at);
            c.updated_at.push(job.updated_at);
        }
        c
    }

    fn bind<'q>(
        self,
        query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
        query
            .bind(self.state)
            .bind(self.attempts)
            .bind(self.generation)
            .bind(self.run_after)
            .bind(self.lease_owner)
            .bind(self.lease_expires)
            .bind(self.lease_generation)
            .bind(self.causes)
            .bind(self.rerun_causes)
            .bind(self.rerun_since)
            .bind(self.last_error)
            .bind(self.first_triggered_at)
            .bind(self.updated_at)
    }
}

/// Statement 3: the new rows and the changed ones; how many of each were written.
async fn write_jobs(
    tx: &mut Transaction<'static, Postgres>,
    inserts: &[JobState],
    updates: &[(i64, i64, JobState)],
) -> Result<(i64, i64), StoreError> {
    let new_keys: Vec<&str> = inserts.iter().map(|j| j.key.as_str()).collect();
    let ids: Vec<i64> = updates.iter().map(|u| u.0).collect();
    let read_generations: Vec<i64> = updates.iter().map(|u| u.1).collect();
    let query = sqlx::query(WRITE_JOBS).bind(new_keys);
    let query = Columns::of(inserts.iter()).bind(query).bind(ids).bind(read_generations);
    let query = Columns::of(updates.iter().map(|u| &u.2)).bind(query);
    let row = query.fetch_one(&mut **tx).await.map_err(StoreError::db(OP))?;
    let inserted: i64 = row.try_get("inserted").map_err(StoreError::db(OP))?;
    let updated: i64 = row.try_get("updated").map_err(StoreError::db(OP))?;
    Ok((inserted, updated))
}
