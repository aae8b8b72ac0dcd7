//! The [`Store`] both databases share: every operation written once against [`Conn`], a
//! connection or transaction that runs the statements of `crate::sql`. A backend ([`Backend`])
//! only says how it connects, opens a write transaction (and so how it locks) and records a
//! delivery; the queue's rules are the pure transitions of `crate::queue`, which each operation
//! calls between reading the row and writing it back.

use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::DerefMut;
use std::time::Duration;

use rand::Rng;
use sqlx::{Database, Encode, Executor, IntoArguments, Transaction, Type};

use crate::Store;
use crate::action_log::{ActionFilter, ActionKey};
use crate::backoff::millis;
use crate::causes::{self, Cause};
use crate::error::StoreError;
use crate::incidents::{self, IncidentEventRow, IncidentRow, NewIncidentEvent};
use crate::key::JobKey;
use crate::memory::PrMemory;
use crate::outbox::{
    self, NewNotification, NotificationFilter, NotificationLease, NotificationRow,
};
use crate::pool::Db;
use crate::queue::{self, Failure, JobState, Leasing, Phase, Write};
use crate::rows::{
    APPLIED, StoreRow, decode_action, decode_delivery, decode_job_row, decode_job_state, delivered,
    to_u64,
};
use crate::sql::{self, Dialect};
use crate::types::{
    ActionRow, DeliveryRow, FailOutcome, Job, JobFilter, JobRow, NewAction, NewDelivery, Prunable,
    QueueDepth, RecordOutcome, Timestamp, TriggerOutcome,
};
use crate::verdicts::{self, PrVerdictRow};

/// A statement parameter, of the few types the schema uses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Param<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Text(&'a str),
    OptText(Option<&'a str>),
    Bool(bool),
    Bytes(&'a [u8]),
}

/// A connection (or transaction) the shared operations run statements on.
pub(crate) trait Conn: Send {
    /// The driver's row.
    type Row: StoreRow + Send;

    /// The statements that differ on this database.
    fn dialect(&self) -> &'static Dialect;

    /// Runs a statement; returns the rows affected.
    fn execute(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        op: &'static str,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Runs a query for at most one row.
    fn fetch_optional(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        op: &'static str,
    ) -> impl Future<Output = Result<Option<Self::Row>, StoreError>> + Send;

    /// Runs a query for every row.
    fn fetch_all(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        op: &'static str,
    ) -> impl Future<Output = Result<Vec<Self::Row>, StoreError>> + Send;
}

/// A write transaction's end.
pub(crate) trait Commit {
    /// Commits everything the transaction wrote.
    fn commit(self, op: &'static str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The number of rows a statement affected, whatever the driver's result type.
pub(crate) trait Affected {
    fn affected(&self) -> u64;
}

impl Affected for sqlx::sqlite::SqliteQueryResult {
    fn affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl Affected for sqlx::postgres::PgQueryResult {
    fn affected(&self) -> u64 {
        self.rows_affected()
    }
}

/// A connection `C` of database `DB` (pooled, or a transaction), with whatever `G` must be held
/// for as long as it is used (SQLite's in-process write gate).
pub(crate) struct Exec<DB, C, G = ()> {
    conn: C,
    dialect: &'static Dialect,
    _guard: G,
    _db: PhantomData<fn() -> DB>,
}

impl<DB, C, G> Exec<DB, C, G> {
    pub(crate) fn new(conn: C, dialect: &'static Dialect, guard: G) -> Self {
        Exec { conn, dialect, _guard: guard, _db: PhantomData }
    }
}

/// A statement with its parameters bound.
fn bind<'p, DB>(
    sql: &'static str,
    params: &[Param<'p>],
) -> sqlx::query::Query<'static, DB, DB::Arguments>
where
    DB: Database,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> Option<&'t str>: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
    for<'t> &'t [u8]: Encode<'t, DB> + Type<DB>,
{
    params.iter().fold(sqlx::query::<DB>(sql), |query, param| match *param {
        Param::Int(v) => query.bind(v),
        Param::OptInt(v) => query.bind(v),
        Param::Text(v) => query.bind(v),
        Param::OptText(v) => query.bind(v),
        Param::Bool(v) => query.bind(v),
        Param::Bytes(v) => query.bind(v),
    })
}

impl<DB, C, G> Conn for Exec<DB, C, G>
where
    DB: Database,
    DB::Row: StoreRow,
    DB::QueryResult: Affected,
    DB::Arguments: IntoArguments<DB>,
    C: DerefMut<Target = DB::Connection> + Send,
    G: Send,
    for<'e> &'e mut DB::Connection: Executor<'e, Database = DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
    for<'t> &'t str: Encode<'t, DB> + Type<DB>,
    for<'t> Option<&'t str>: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
    for<'t> &'t [u8]: Encode<'t, DB> + Type<DB>,
{
    type Row = DB::Row;

    fn dialect(&self) -> &'static Dialect {
        self.dialect
    }

    fn execute(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        op: &'static str,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        let query = bind::<DB>(sql, params);
        async move {
            let done = query.execute(&mut *self.conn).await.map_err(StoreError::db(op))?;
            Ok(done.affected())
        }
    }

    fn fetch_optional(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        op: &'static str,
    ) -> impl Future<Output = Result<Option<DB::Row>, StoreError>> + Send {
        let query = bind::<DB>(sql, params);
        async move { query.fetch_optional(&mut *self.conn).await.map_err(StoreError::db(op)) }
    }

    fn fetch_all(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        op: &'static str,
    ) -> impl Future<Output = Result<Vec<DB::Row>, StoreError>> + Send {
        let query = bind::<DB>(sql, params);
        async move { query.fetch_all(&mut *self.conn).await.map_err(StoreError::db(op)) }
    }
}

impl<DB: Database, G: Send> Commit for Exec<DB, Transaction<'static, DB>, G> {
    async fn commit(self, op: &'static str) -> Result<(), StoreError> {
        // The guard is held until the commit has finished.
        let Exec { conn, _guard, .. } = self;
        conn.commit().await.map_err(StoreError::db(op))
    }
}

/// What a database must provide for the shared [`Store`].
pub(crate) trait Backend: Send + Sync + 'static {
    /// The sqlx database.
    type Database: sqlx::Database;
    /// A pooled connection, for reads.
    type Read: Conn;
    /// A write transaction, holding whatever keeps the rows it reads from changing under it.
    type Write<'a>: Conn + Commit
    where
        Self: 'a;

    /// The pool and where it points.
    fn db(&self) -> &Db<Self::Database>;

    /// A connection for reads.
    fn read(&self, op: &'static str)
    -> impl Future<Output = Result<Self::Read, StoreError>> + Send;

    /// A write transaction.
    fn write(
        &self,
        op: &'static str,
    ) -> impl Future<Output = Result<Self::Write<'_>, StoreError>> + Send;

    /// [`Store::record_delivery`]: how deliveries are committed is the backend's (SQLite groups
    /// concurrent ones into one commit); [`record_in`] does the work inside the transaction.
    fn record(
        &self,
        d: &NewDelivery,
        job_keys: &[JobKey],
        now: Timestamp,
    ) -> impl Future<Output = Result<RecordOutcome, StoreError>> + Send;
}

/// Records a delivery and triggers the jobs of `job_keys` inside the caller's transaction;
/// `None` when the delivery id was stored before (then nothing was written).
///
/// Job rows are locked in one global order (sorted stored keys) so two deliveries naming the same
/// pull requests in different orders cannot deadlock; the first key's outcome is reported as given.
pub(crate) async fn record_in<C: Conn>(
    conn: &mut C,
    d: &NewDelivery,
    job_keys: &[JobKey],
    now: Timestamp,
) -> Result<RecordOutcome, StoreError> {
    const OP: &str = "record a delivery";
    let params = [
        Param::Text(&d.id),
        Param::Text(&d.event),
        Param::OptText(d.action.as_deref()),
        Param::OptText(d.repository.as_deref()),
        Param::OptInt(d.installation),
        Param::Int(d.received_at),
        Param::Bytes(&d.body),
    ];
    if conn.execute(sql::INSERT_DELIVERY, &params, OP).await? == 0 {
        return Ok(RecordOutcome::Duplicate);
    }
    let mut keys: Vec<String> = job_keys.iter().map(JobKey::to_string).collect();
    let first_key = keys.first().cloned();
    keys.sort_unstable();
    keys.dedup();
    let cause = Cause::Delivery(d.id.clone());
    let mut first = None;
    for key in keys {
        let outcome = trigger_in(conn, &key, &cause, now).await?;
        if first_key.as_ref() == Some(&key) {
            first = Some(outcome);
        }
    }
    Ok(RecordOutcome::Recorded { job: first })
}

/// Reads a job row with `sql` (one of the dialect's job queries) and its one parameter.
async fn read_job<C: Conn>(
    conn: &mut C,
    sql: &'static str,
    by: Param<'_>,
    op: &'static str,
) -> Result<Option<JobState>, StoreError> {
    let row = conn.fetch_optional(sql, &[by], op).await?;
    row.as_ref().map(|row| decode_job_state(row, op)).transpose()
}

/// Writes what a transition decided about job `id`, read at `read_generation`; false when
/// nothing was written (the key was inserted meanwhile, or the row changed since it was read).
async fn apply<C: Conn>(
    conn: &mut C,
    id: i64,
    read_generation: i64,
    write: &Write,
    op: &'static str,
) -> Result<bool, StoreError> {
    let job = match write {
        Write::Delete => {
            return Ok(conn.execute(sql::DELETE_JOB, &[Param::Int(id)], op).await? == 1);
        }
        Write::Insert(job) | Write::Update(job) => job,
    };
    let causes = causes::encode(&job.causes);
    let rerun_causes = causes::encode(&job.rerun_causes);
    let mut params = vec![
        Param::Text(&job.key),
        Param::Text(job.phase.as_str()),
        Param::Int(job.attempts),
        Param::Int(job.generation),
        Param::Int(job.run_after),
        Param::OptText(job.lease_owner.as_deref()),
        Param::OptInt(job.lease_expires),
        Param::OptInt(job.lease_generation),
        Param::Text(&causes),
        Param::Text(&rerun_causes),
        Param::OptInt(job.rerun_since),
        Param::OptText(job.last_error.as_deref()),
        Param::Int(job.first_triggered_at),
        Param::Int(job.updated_at),
    ];
    let statement = if matches!(write, Write::Insert(_)) {
        sql::INSERT_JOB
    } else {
        params.extend([Param::Int(id), Param::Int(read_generation)]);
        sql::UPDATE_JOB
    };
    Ok(conn.execute(statement, &params, op).await? == 1)
}

/// Enqueues or coalesces the job for `key` (its stored text) inside the caller's transaction.
pub(crate) async fn trigger_in<C: Conn>(
    conn: &mut C,
    key: &str,
    cause: &Cause,
    now: Timestamp,
) -> Result<TriggerOutcome, StoreError> {
    const OP: &str = "trigger a job";
    let dialect = conn.dialect();
    for _ in 0..dialect.trigger_rounds {
        let current = read_job(conn, dialect.select_job_by_key, Param::Text(key), OP).await?;
        let (id, read_generation) = current.as_ref().map_or((0, 0), |j| (j.id, j.generation));
        let (outcome, write) = queue::trigger(current, key, cause, now);
        if apply(conn, id, read_generation, &write, OP).await? {
            return Ok(outcome);
        }
    }
    Err(StoreError::Corrupt {
        what: format!("job {key:?}"),
        detail: format!(
            "it could neither be inserted nor found in {} rounds of concurrent changes",
            dialect.trigger_rounds
        ),
    })
}

/// The row of `job`, or [`StoreError::LeaseLost`] when it is gone.
async fn job_row<C: Conn>(
    conn: &mut C,
    job: &Job,
    op: &'static str,
) -> Result<JobState, StoreError> {
    let by_id = conn.dialect().select_job_by_id;
    read_job(conn, by_id, Param::Int(job.id), op).await?.ok_or_else(|| queue::lease_lost(job))
}

/// Appends one entry to the action log inside the caller's transaction.
async fn insert_action<C: Conn>(
    conn: &mut C,
    a: &NewAction,
    op: &'static str,
) -> Result<(), StoreError> {
    let (before, after) = (a.before.to_string(), a.after.to_string());
    let params = [
        Param::Text(&a.job_key),
        Param::OptText(a.delivery_id.as_deref()),
        Param::OptInt(a.job_id),
        Param::Text(&a.kind),
        Param::Bool(a.dry_run),
        Param::Text(&before),
        Param::Text(&after),
        Param::Int(a.at),
    ];
    conn.execute(sql::INSERT_ACTION, &params, op).await?;
    Ok(())
}

/// Replaces the remembered agent labels of a key inside the caller's transaction.
async fn replace_agent_labels<C: Conn>(
    conn: &mut C,
    job_key: &str,
    labels: &[(String, String)],
    op: &'static str,
) -> Result<(), StoreError> {
    // A repeated label keeps its last fingerprint; inserting in label order keeps two replicas
    // replacing the same key's labels from locking index entries in opposite orders.
    let mut last: BTreeMap<&str, &str> = BTreeMap::new();
    for (label, fingerprint) in labels {
        last.insert(label, fingerprint);
    }
    conn.execute(sql::DELETE_AGENT_LABELS, &[Param::Text(job_key)], op).await?;
    for (label, fingerprint) in last {
        let params = [Param::Text(job_key), Param::Text(label), Param::Text(fingerprint)];
        conn.execute(sql::UPSERT_AGENT_LABEL, &params, op).await?;
    }
    Ok(())
}

/// Every operation of [`Store`], for any [`Backend`].
#[async_trait::async_trait]
impl<B: Backend> Store for B {
    fn location(&self) -> &str {
        self.db().location()
    }

    async fn close(&self) {
        self.db().close().await;
    }

    async fn record_delivery(
        &self,
        d: &NewDelivery,
        job_keys: &[JobKey],
        now: Timestamp,
    ) -> Result<RecordOutcome, StoreError> {
        self.record(d, job_keys, now).await
    }

    async fn trigger(
        &self,
        job_key: &JobKey,
        cause: &Cause,
        now: Timestamp,
    ) -> Result<TriggerOutcome, StoreError> {
        const OP: &str = "trigger a job";
        let mut tx = self.write(OP).await?;
        let outcome = trigger_in(&mut tx, &job_key.to_string(), cause, now).await?;
        tx.commit(OP).await?;
        Ok(outcome)
    }

    async fn lease(
        &self,
        worker: &str,
        lease_for: Duration,
        now: Timestamp,
    ) -> Result<Option<Job>, StoreError> {
        const OP: &str = "lease a job";
        let mut tx = self.write(OP).await?;
        let next = tx.dialect().select_next_runnable;
        loop {
            let current = read_job(&mut tx, next, Param::Int(now), OP).await?;
            let Some(current) = current.filter(|job| queue::runnable(job, now)) else {
                tx.commit(OP).await?;
                return Ok(None);
            };
            let (id, read_generation) = (current.id, current.generation);
            let (row, job) = match queue::lease(current, worker, lease_for, now)? {
                Leasing::Granted(row, job) => (row, Some(job)),
                // Dead-lettered, so the next round reads the row after it.
                Leasing::Unreadable(row) => (row, None),
            };
            let written = apply(&mut tx, id, read_generation, &Write::Update(row), OP).await?;
            if !written || job.is_some() {
                tx.commit(OP).await?;
                // Not written is only possible if something outside the transaction's lock
                // changed the row; the caller polls again rather than get a lease we did not get.
                return Ok(job.filter(|_| written));
            }
        }
    }

    async fn renew(
        &self,
        job: &Job,
        lease_for: Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        const OP: &str = "renew a lease";
        let mut tx = self.write(OP).await?;
        let by_id = tx.dialect().select_job_by_id;
        let current = read_job(&mut tx, by_id, Param::Int(job.id), OP).await?;
        let read_generation = current.as_ref().map_or(0, |j| j.generation);
        let written = match current.and_then(|c| queue::renew(c, job, lease_for, now)) {
            Some(renewed) => {
                apply(&mut tx, job.id, read_generation, &Write::Update(renewed), OP).await?
            }
            None => false,
        };
        tx.commit(OP).await?;
        Ok(written)
    }

    async fn complete(&self, job: &Job, now: Timestamp) -> Result<(), StoreError> {
        const OP: &str = "complete a job";
        let mut tx = self.write(OP).await?;
        let current = job_row(&mut tx, job, OP).await?;
        let read_generation = current.generation;
        let write = queue::complete(current, job, now)?;
        if !apply(&mut tx, job.id, read_generation, &write, OP).await? {
            return Err(queue::lease_lost(job));
        }
        // The deliveries this run covered are processed in the same commit as the job: a crash
        // between two separate transactions would leave an acknowledged delivery unprocessed for
        // ever.
        for id in delivered(job) {
            let params = [Param::Text(id), Param::Int(now), Param::Text(APPLIED)];
            tx.execute(sql::MARK_DELIVERY_PROCESSED, &params, OP).await?;
        }
        tx.commit(OP).await
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
        let mut tx = self.write(OP).await?;
        let current = job_row(&mut tx, job, OP).await?;
        let read_generation = current.generation;
        let failure = Failure { error, retry_after, max_attempts };
        // Full jitter: uniform from no wait up to the ceiling.
        let draw = |ceiling: i64| rand::rng().random_range(0..=ceiling);
        let (outcome, row) = queue::fail(current, job, &failure, now, draw)?;
        if !apply(&mut tx, job.id, read_generation, &Write::Update(row), OP).await? {
            return Err(queue::lease_lost(job));
        }
        tx.commit(OP).await?;
        Ok(outcome)
    }

    async fn jobs(&self, filter: JobFilter) -> Result<Vec<JobRow>, StoreError> {
        const OP: &str = "list jobs";
        let phase = match filter {
            JobFilter::All => None,
            JobFilter::Pending => Some(Phase::Pending),
            JobFilter::Leased => Some(Phase::Leased),
            JobFilter::Dead => Some(Phase::Dead),
        };
        let mut conn = self.read(OP).await?;
        let rows = match phase {
            None => conn.fetch_all(sql::SELECT_JOBS_ALL, &[], OP).await?,
            Some(phase) => {
                let params = [Param::Text(phase.as_str())];
                conn.fetch_all(sql::SELECT_JOBS_IN_STATE, &params, OP).await?
            }
        };
        rows.iter().map(decode_job_row).collect()
    }

    async fn retry_dead(&self, job_key: &str, now: Timestamp) -> Result<bool, StoreError> {
        const OP: &str = "retry a dead job";
        let mut tx = self.write(OP).await?;
        let by_key = tx.dialect().select_job_by_key;
        let current = read_job(&mut tx, by_key, Param::Text(job_key), OP).await?;
        let (id, read_generation) = current.as_ref().map_or((0, 0), |j| (j.id, j.generation));
        let written = match current.and_then(|c| queue::retry_dead(c, now)) {
            Some(revived) => {
                apply(&mut tx, id, read_generation, &Write::Update(revived), OP).await?
            }
            None => false,
        };
        tx.commit(OP).await?;
        Ok(written)
    }

    async fn queue_depth(&self) -> Result<QueueDepth, StoreError> {
        const OP: &str = "count jobs";
        let mut conn = self.read(OP).await?;
        let rows = conn.fetch_all(sql::COUNT_JOBS_BY_STATE, &[], OP).await?;
        let mut depth = QueueDepth::default();
        for row in rows {
            let count = to_u64(row.int("n", OP)?, "job count")?;
            match Phase::parse(&row.text("state", OP)?, "(any)")? {
                Phase::Pending => depth.pending = count,
                Phase::Leased => depth.leased = count,
                Phase::Dead => depth.dead = count,
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
        let mut tx = self.write(OP).await?;
        for a in actions {
            insert_action(&mut tx, a, OP).await?;
        }
        tx.commit(OP).await
    }

    async fn open_verdicts(&self) -> Result<Vec<PrVerdictRow>, StoreError> {
        const OP: &str = "read pull request verdicts";
        let mut conn = self.read(OP).await?;
        let rows = conn.fetch_all(verdicts::SELECT_OPEN_VERDICTS, &[], OP).await?;
        rows.iter().map(verdicts::decode).collect()
    }

    async fn verdict(&self, job_key: &str) -> Result<Option<PrVerdictRow>, StoreError> {
        const OP: &str = "read a pull request verdict";
        let mut conn = self.read(OP).await?;
        let row =
            conn.fetch_optional(verdicts::SELECT_VERDICT, &[Param::Text(job_key)], OP).await?;
        row.as_ref().map(verdicts::decode).transpose()
    }

    async fn delivery_latencies(
        &self,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<(Timestamp, Timestamp)>, StoreError> {
        const OP: &str = "read delivery latencies";
        let mut conn = self.read(OP).await?;
        let params = [Param::Int(since), Param::Int(i64::from(limit))];
        let rows = conn.fetch_all(verdicts::DELIVERY_LATENCIES, &params, OP).await?;
        rows.iter().map(|r| Ok((r.int("received_at", OP)?, r.int("processed_at", OP)?))).collect()
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
        let mut tx = self.write(OP).await?;
        let mut n = 0;
        for id in ids {
            let params = [Param::Text(id), Param::Int(now), Param::Text(outcome)];
            n += tx.execute(sql::MARK_DELIVERY_PROCESSED, &params, OP).await?;
        }
        tx.commit(OP).await?;
        Ok(n)
    }

    async fn actions(&self, job_key: &str, limit: u32) -> Result<Vec<ActionRow>, StoreError> {
        const OP: &str = "read the action log";
        let mut conn = self.read(OP).await?;
        let params = [Param::Text(job_key), Param::Int(i64::from(limit))];
        let rows = conn.fetch_all(sql::SELECT_ACTIONS, &params, OP).await?;
        rows.iter().map(decode_action).collect()
    }

    async fn find_actions(&self, filter: &ActionFilter) -> Result<Vec<ActionRow>, StoreError> {
        const OP: &str = "read the action log";
        let mut conn = self.read(OP).await?;
        let mut params = vec![
            Param::Int(filter.since),
            Param::Bool(!filter.planned_only),
            Param::Int(i64::from(filter.limit)),
        ];
        let query = match &filter.key {
            Some(key) => {
                params.push(Param::Text(key));
                sql::FIND_ACTIONS_OF_KEY
            }
            None => sql::FIND_ACTIONS,
        };
        let rows = conn.fetch_all(query, &params, OP).await?;
        rows.iter().map(decode_action).collect()
    }

    async fn action_keys(&self, limit: u32) -> Result<Vec<ActionKey>, StoreError> {
        const OP: &str = "read the action log's keys";
        let mut conn = self.read(OP).await?;
        let rows = conn.fetch_all(sql::ACTION_KEYS, &[Param::Int(i64::from(limit))], OP).await?;
        rows.iter()
            .map(|r| {
                Ok(ActionKey {
                    key: r.text("job_key", OP)?,
                    first_at: r.int("first_at", OP)?,
                    last_at: r.int("last_at", OP)?,
                })
            })
            .collect()
    }

    async fn delivery(&self, id: &str) -> Result<Option<DeliveryRow>, StoreError> {
        const OP: &str = "read a delivery";
        let mut conn = self.read(OP).await?;
        let row = conn.fetch_optional(sql::SELECT_DELIVERY, &[Param::Text(id)], OP).await?;
        row.as_ref().map(decode_delivery).transpose()
    }

    async fn mark_delivery_processed(
        &self,
        id: &str,
        outcome: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        const OP: &str = "mark a delivery processed";
        let mut tx = self.write(OP).await?;
        let params = [Param::Text(id), Param::Int(now), Param::Text(outcome)];
        if tx.execute(sql::MARK_DELIVERY_PROCESSED, &params, OP).await? == 0 {
            return Err(StoreError::DeliveryNotFound { id: id.to_owned() });
        }
        tx.commit(OP).await
    }

    async fn deliveries_unprocessed(&self) -> Result<u64, StoreError> {
        const OP: &str = "count unprocessed deliveries";
        let mut conn = self.read(OP).await?;
        let row = conn.fetch_optional(sql::COUNT_UNPROCESSED_DELIVERIES, &[], OP).await?;
        let count = row.map(|row| row.int("n", OP)).transpose()?.unwrap_or(0);
        to_u64(count, "count of unprocessed deliveries")
    }

    async fn rereview_requested(&self, job_key: &str, sha: &str) -> Result<bool, StoreError> {
        const OP: &str = "look up a re-review request";
        let mut conn = self.read(OP).await?;
        let params = [Param::Text(job_key), Param::Text(sha)];
        Ok(conn.fetch_optional(sql::SELECT_REREVIEW, &params, OP).await?.is_some())
    }

    async fn record_rereview(
        &self,
        job_key: &str,
        sha: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        const OP: &str = "remember a re-review request";
        let mut tx = self.write(OP).await?;
        let params = [Param::Text(job_key), Param::Text(sha), Param::Int(now)];
        tx.execute(sql::INSERT_REREVIEW, &params, OP).await?;
        tx.commit(OP).await
    }

    async fn applied_agent_labels(
        &self,
        job_key: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        const OP: &str = "read applied agent labels";
        let mut conn = self.read(OP).await?;
        let rows = conn.fetch_all(sql::SELECT_AGENT_LABELS, &[Param::Text(job_key)], OP).await?;
        rows.iter()
            .map(|row| Ok((row.text("label", OP)?, row.text("files_fingerprint", OP)?)))
            .collect()
    }

    async fn set_applied_agent_labels(
        &self,
        job_key: &str,
        labels: &[(String, String)],
    ) -> Result<(), StoreError> {
        const OP: &str = "remember applied agent labels";
        let mut tx = self.write(OP).await?;
        replace_agent_labels(&mut tx, job_key, labels, OP).await?;
        tx.commit(OP).await
    }

    async fn claim_schedule(
        &self,
        name: &str,
        owner: &str,
        period: Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        const OP: &str = "claim a periodic task";
        let mut tx = self.write(OP).await?;
        let next_due = now.saturating_add(millis(period));
        let params = [Param::Text(name), Param::Text(owner), Param::Int(now), Param::Int(next_due)];
        let claimed = tx.execute(sql::CLAIM_SCHEDULE, &params, OP).await? == 1;
        tx.commit(OP).await?;
        Ok(claimed)
    }

    async fn record_incident(
        &self,
        row: &IncidentRow,
        events: &[NewIncidentEvent],
        now: Timestamp,
    ) -> Result<Vec<NewIncidentEvent>, StoreError> {
        Ok(self.record_incident_notify(row, events, &[], now).await?.0)
    }

    async fn record_incident_notify(
        &self,
        row: &IncidentRow,
        events: &[NewIncidentEvent],
        notifications: &[Vec<NewNotification>],
        now: Timestamp,
    ) -> Result<(Vec<NewIncidentEvent>, u64), StoreError> {
        const OP: &str = "record an incident";
        let mut tx = self.write(OP).await?;
        incidents::upsert(&mut tx, row, now, OP).await?;
        let mut new = Vec::new();
        let mut enqueued = 0;
        for (i, e) in events.iter().enumerate() {
            let params = [
                Param::Text(&e.repo),
                Param::Int(e.number),
                Param::Text(&e.kind),
                Param::Int(e.at),
                Param::Text(&e.body),
                Param::Int(now),
            ];
            if tx.execute(incidents::INSERT_EVENT, &params, OP).await? == 1 {
                new.push(e.clone());
                if let Some(notes) = notifications.get(i) {
                    enqueued += outbox::enqueue_in(&mut tx, notes, now).await?;
                }
            }
        }
        tx.commit(OP).await?;
        Ok((new, enqueued))
    }

    async fn incidents(
        &self,
        org: Option<&str>,
        since: Timestamp,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        const OP: &str = "list incidents";
        let prefix = org.map(|o| format!("{o}/")).unwrap_or_default();
        let mut conn = self.read(OP).await?;
        let params = [Param::Int(since), Param::Text(&prefix)];
        let rows = conn.fetch_all(incidents::SELECT_INCIDENTS, &params, OP).await?;
        rows.iter().map(|r| incidents::decode(r, OP)).collect()
    }

    async fn incidents_due(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        const OP: &str = "list incidents past their deadline";
        let mut conn = self.read(OP).await?;
        let params = [Param::Int(now), Param::Bool(false), Param::Int(i64::from(limit))];
        let rows = conn.fetch_all(incidents::SELECT_DUE, &params, OP).await?;
        rows.iter().map(|r| incidents::decode(r, OP)).collect()
    }

    async fn incident_events(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<IncidentEventRow>, StoreError> {
        const OP: &str = "read the incident event outbox";
        let mut conn = self.read(OP).await?;
        let params = [Param::Int(after_id), Param::Int(i64::from(limit))];
        let rows = conn.fetch_all(incidents::SELECT_EVENTS, &params, OP).await?;
        rows.iter().map(|r| incidents::decode_event(r, OP)).collect()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        const OP: &str = "ping";
        let mut conn = self.read(OP).await?;
        conn.fetch_optional(sql::PING, &[], OP).await?;
        Ok(())
    }

    async fn prune_batch(
        &self,
        what: Prunable,
        before: Timestamp,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let op = match what {
            Prunable::Deliveries => "prune old deliveries",
            Prunable::Actions => "prune old actions",
            Prunable::SentNotifications => "prune sent notifications",
            Prunable::DeadNotifications => "prune dead notifications",
        };
        let mut tx = self.write(op).await?;
        let statement = match what {
            Prunable::Deliveries => tx.dialect().prune_deliveries,
            Prunable::Actions => sql::PRUNE_ACTIONS,
            Prunable::SentNotifications => outbox::PRUNE_SENT,
            Prunable::DeadNotifications => outbox::PRUNE_DEAD,
        };
        let params = [Param::Int(before), Param::Int(i64::from(limit))];
        let pruned = tx.execute(statement, &params, op).await?;
        tx.commit(op).await?;
        Ok(pruned)
    }

    // ---- the notification outbox ----

    async fn record_reconcile(
        &self,
        job_key: &str,
        head_sha: &str,
        actions: &[NewAction],
        memory: Option<&PrMemory>,
        verdict: Option<&PrVerdictRow>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.record_reconcile_notify(job_key, head_sha, actions, memory, verdict, &[], now).await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_reconcile_notify(
        &self,
        job_key: &str,
        head_sha: &str,
        actions: &[NewAction],
        memory: Option<&PrMemory>,
        verdict: Option<&PrVerdictRow>,
        notifications: &[NewNotification],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        const OP: &str = "record a reconcile";
        let mut tx = self.write(OP).await?;
        for a in actions {
            insert_action(&mut tx, a, OP).await?;
        }
        if let Some(m) = memory {
            if m.rereview_requested_for_head {
                let params = [Param::Text(job_key), Param::Text(head_sha), Param::Int(now)];
                tx.execute(sql::INSERT_REREVIEW, &params, OP).await?;
            }
            replace_agent_labels(&mut tx, job_key, &m.applied_agent_labels, OP).await?;
        }
        if let Some(v) = verdict {
            verdicts::upsert(&mut tx, v, OP).await?;
        }
        let inserted = outbox::enqueue_in(&mut tx, notifications, now).await?;
        tx.commit(OP).await?;
        Ok(inserted)
    }

    async fn enqueue_notifications(
        &self,
        notifications: &[NewNotification],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        const OP: &str = "enqueue notifications";
        let mut tx = self.write(OP).await?;
        let inserted = outbox::enqueue_in(&mut tx, notifications, now).await?;
        tx.commit(OP).await?;
        Ok(inserted)
    }

    async fn lease_notification(
        &self,
        owner: &str,
        lease_for: Duration,
        now: Timestamp,
    ) -> Result<Option<NotificationLease>, StoreError> {
        const OP: &str = "lease a notification";
        let mut tx = self.write(OP).await?;
        let lease = outbox::lease_in(&mut tx, owner, lease_for, now).await?;
        tx.commit(OP).await?;
        Ok(lease)
    }

    async fn notification_sending(
        &self,
        lease: &NotificationLease,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        const OP: &str = "mark a notification sending";
        let mut tx = self.write(OP).await?;
        let held = outbox::begin_send_in(&mut tx, lease, now).await?;
        tx.commit(OP).await?;
        Ok(held)
    }

    async fn notification_sent(
        &self,
        lease: &NotificationLease,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        const OP: &str = "mark a notification sent";
        let mut tx = self.write(OP).await?;
        outbox::sent_in(&mut tx, lease, now).await?;
        tx.commit(OP).await
    }

    async fn notification_failed(
        &self,
        lease: &NotificationLease,
        error: &str,
        retry_after: Option<Duration>,
        max_attempts: u32,
        now: Timestamp,
    ) -> Result<FailOutcome, StoreError> {
        const OP: &str = "record a failed notification";
        let mut tx = self.write(OP).await?;
        let outcome =
            outbox::failed_in(&mut tx, lease, error, retry_after, max_attempts, now).await?;
        tx.commit(OP).await?;
        Ok(outcome)
    }

    async fn notifications(
        &self,
        filter: NotificationFilter,
    ) -> Result<Vec<NotificationRow>, StoreError> {
        let mut conn = self.read("list notifications").await?;
        outbox::list_in(&mut conn, filter).await
    }

    async fn retry_notification(&self, id: i64, now: Timestamp) -> Result<bool, StoreError> {
        const OP: &str = "retry a dead notification";
        let mut tx = self.write(OP).await?;
        let revived = outbox::retry_in(&mut tx, id, now).await?;
        tx.commit(OP).await?;
        Ok(revived)
    }
}
