//! Durable storage for plasma-ops: webhook deliveries, the per-pull-request job queue, the action
//! log and the small memories the reconciler keeps (re-review requests, agent labels).
//!
//! Everything sits behind the [`Store`] trait so the service does not care which database holds
//! it. [`SqliteStore`] is the embedded default; [`PgStore`] (for several replicas on one
//! PostgreSQL database) implements the same trait with the same semantics. `crates/store/README.md` describes the schema,
//! the queue's semantics and what "durable" means here.

mod action_log;
mod announce;
mod backoff;
mod causes;
mod deployments;
mod error;
mod exec;
mod http_cache;
mod incidents;
mod key;
mod memory;
mod outbox;
mod pool;
mod postgres;
mod queue;
mod repo_cache;
mod report;
mod rows;
mod sql;
mod sqlite;
mod types;
mod verdicts;

use std::sync::Arc;
use std::time::Duration;

pub use action_log::{ActionFilter, ActionKey};
pub use announce::{AdrDiscussion, AnnouncementStore, NewRelease, ReleaseRow};
pub use backoff::{BACKOFF_BASE, BACKOFF_CAP, backoff_ceiling, retry_delay};
pub use causes::{Cause, MAX_CAUSES};
pub use deployments::{
    DeploymentChange, DeploymentRow, DeploymentStatusRow, DeploymentStore, GateAnswer, GateRequest,
    NewDeployment, NewDeploymentStatus,
};
pub use error::StoreError;
pub use http_cache::{HttpCacheEntry, HttpCacheLookup, HttpCacheStore, HttpCacheUsage};
pub use incidents::{IncidentEventRow, IncidentRow, NewIncidentEvent};
pub use key::{JobKey, JobKeyError};
pub use memory::PrMemory;
pub use outbox::{
    NewNotification, NotificationFilter, NotificationLease, NotificationRow, NotificationState,
    OUTCOME_UNKNOWN,
};
pub use postgres::PgStore;
pub use repo_cache::{ConfigEpoch, LabelClaim, RepoCacheStore};
pub use report::ReportStore;
pub use sqlite::SqliteStore;
pub use types::{
    ActionRow, DeliveryRow, FailOutcome, Job, JobFilter, JobRow, NewAction, NewDelivery, Prunable,
    QueueDepth, RecordOutcome, Timestamp, TriggerOutcome,
};
pub use verdicts::{PrVerdictRow, STATES as VERDICT_STATES};

/// The store the service, the CLI and the tests talk to.
///
/// Job semantics, shared by every implementation: one job row per key; a trigger for a pending
/// job is absorbed by it; a trigger for a running job makes it run once more afterwards; a lease
/// is exclusive until it expires; a worker whose lease was lost can no longer change the job.
#[async_trait::async_trait]
pub trait Store:
    DeploymentStore
    + RepoCacheStore
    + AnnouncementStore
    + HttpCacheStore
    + ReportStore
    + Send
    + Sync
    + 'static
{
    /// Where this store keeps its data, without any password (for logs and error messages).
    fn location(&self) -> &str;

    /// Closes every connection, waiting for running operations; for a clean shutdown.
    async fn close(&self);

    /// Durably record a delivery and, in the same transaction, trigger the jobs of `job_keys`
    /// (a check run can name several pull requests: all are triggered or none, so a crash between
    /// them cannot leave a redelivery marked duplicate with jobs missing).
    /// A delivery id seen before -> Ok(RecordOutcome::Duplicate) and nothing else changes.
    async fn record_delivery(
        &self,
        d: &NewDelivery,
        job_keys: &[JobKey],
        now: Timestamp,
    ) -> Result<RecordOutcome, StoreError>;

    /// Trigger (enqueue or coalesce) the job for a key without a delivery of its own (sweep, CLI,
    /// a commit's fan-out). A dead job is brought back with a fresh series of attempts.
    async fn trigger(
        &self,
        job_key: &JobKey,
        cause: &Cause,
        now: Timestamp,
    ) -> Result<TriggerOutcome, StoreError>;

    /// Lease the next runnable job (run_after <= now, not leased or lease expired), never a key
    /// leased by someone else. Each lease counts as an attempt. A row whose key is not a
    /// [`JobKey`] (written outside plasma-ops) is dead-lettered with the reason instead of leased.
    async fn lease(
        &self,
        worker: &str,
        lease_for: Duration,
        now: Timestamp,
    ) -> Result<Option<Job>, StoreError>;

    /// Extend the lease (heartbeat); false if the lease was lost (expired and taken).
    async fn renew(
        &self,
        job: &Job,
        lease_for: Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Finish: if triggered again while running (generation changed), the job goes back to
    /// pending; else it is done (deleted). In the same transaction the deliveries among the job's
    /// causes are marked processed (outcome `applied`). [`StoreError::LeaseLost`] if another
    /// worker holds it.
    async fn complete(&self, job: &Job, now: Timestamp) -> Result<(), StoreError>;

    /// Fail an attempt: exponential backoff with full jitter (base 1 s, cap 10 min), or
    /// `retry_after` when GitHub gave one (honoured exactly, never shortened); after
    /// `max_attempts` -> dead-lettered with last error, unless it was triggered again during this
    /// attempt (then, as a trigger on a dead job would, it starts a fresh series of attempts).
    /// [`StoreError::LeaseLost`] if another worker holds it.
    async fn fail(
        &self,
        job: &Job,
        error: &str,
        retry_after: Option<Duration>,
        max_attempts: u32,
        now: Timestamp,
    ) -> Result<FailOutcome, StoreError>;

    /// The jobs matching `filter`, oldest first.
    async fn jobs(&self, filter: JobFilter) -> Result<Vec<JobRow>, StoreError>;

    /// Make a dead job pending again with its attempts reset; false if the key has no dead job.
    async fn retry_dead(&self, job_key: &str, now: Timestamp) -> Result<bool, StoreError>;

    /// Pending, leased and dead job counts.
    async fn queue_depth(&self) -> Result<QueueDepth, StoreError>;

    /// Append to the action log.
    async fn log_action(&self, a: &NewAction) -> Result<(), StoreError>;

    /// Append several entries to the action log in one transaction.
    async fn log_actions(&self, actions: &[NewAction]) -> Result<(), StoreError> {
        for a in actions {
            self.log_action(a).await?;
        }
        Ok(())
    }

    /// Mark several deliveries processed in one transaction; ids not in the store are skipped.
    /// Returns how many were marked.
    async fn mark_deliveries_processed(
        &self,
        ids: &[String],
        outcome: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        for id in ids {
            match self.mark_delivery_processed(id, outcome, now).await {
                Ok(()) => n += 1,
                Err(StoreError::DeliveryNotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// The newest `limit` actions for a key, newest first.
    async fn actions(&self, job_key: &str, limit: u32) -> Result<Vec<ActionRow>, StoreError>;

    /// A stored delivery by id.
    async fn delivery(&self, id: &str) -> Result<Option<DeliveryRow>, StoreError>;

    /// Note that a delivery's processing ended, and how (a later call overwrites an earlier one).
    async fn mark_delivery_processed(
        &self,
        id: &str,
        outcome: &str,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// How many deliveries were recorded but not yet marked processed.
    async fn deliveries_unprocessed(&self) -> Result<u64, StoreError>;

    /// Re-review requests remembered per (key, head sha).
    async fn rereview_requested(&self, job_key: &str, sha: &str) -> Result<bool, StoreError>;

    /// Remember that a re-review was requested for (key, head sha); repeating it is harmless.
    async fn record_rereview(
        &self,
        job_key: &str,
        sha: &str,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Agent labels plasma-ops applied, with a fingerprint of the files that earned them, so a
    /// label a human removed is not re-added until the files change. Sorted by label.
    async fn applied_agent_labels(
        &self,
        job_key: &str,
    ) -> Result<Vec<(String, String)>, StoreError>; // (label, files_fingerprint)

    /// Replace the remembered agent labels of a key with `labels` (label, files_fingerprint).
    async fn set_applied_agent_labels(
        &self,
        job_key: &str,
        labels: &[(String, String)],
    ) -> Result<(), StoreError>;

    /// What is remembered of a pull request for its head commit, read in one call before a
    /// reconcile decides.
    async fn pr_memory(&self, job_key: &str, head_sha: &str) -> Result<PrMemory, StoreError> {
        Ok(PrMemory {
            rereview_requested_for_head: self.rereview_requested(job_key, head_sha).await?,
            applied_agent_labels: self.applied_agent_labels(job_key).await?,
        })
    }

    /// Everything a reconcile writes once it is done, in one call and one transaction: the
    /// actions it took (or planned), when it changed the memory to keep (`None` leaves the memory
    /// as it is), and the verdict it reached for the dashboard (`None` leaves the last one).
    async fn record_reconcile(
        &self,
        job_key: &str,
        head_sha: &str,
        actions: &[NewAction],
        memory: Option<&PrMemory>,
        verdict: Option<&PrVerdictRow>,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The last verdict of every open pull request, by repository and number (the dashboard).
    async fn open_verdicts(&self) -> Result<Vec<PrVerdictRow>, StoreError>;

    /// The last verdict of one pull request (`owner/repo#n`), open or closed.
    async fn verdict(&self, job_key: &str) -> Result<Option<PrVerdictRow>, StoreError>;

    /// (received_at, processed_at) of the deliveries applied since `since`, newest first, at
    /// most `limit` (the dashboard's delivery-to-applied latency).
    async fn delivery_latencies(
        &self,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<(Timestamp, Timestamp)>, StoreError>;

    /// Claim the current period of the periodic task `name` (the sweep): true for exactly one
    /// caller across every process on this database, after which the next claim succeeds from
    /// `now + period` on; false when the period is already claimed. A claimant that dies
    /// mid-period loses that period's run; the next period's claim makes up for it.
    async fn claim_schedule(
        &self,
        name: &str,
        owner: &str,
        period: Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Reachability for /readyz.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Records an incident and appends its new events to the outbox, in one transaction; each
    /// part is idempotent (see `crates/store/src/incidents.rs`). Returns the events that were new.
    async fn record_incident(
        &self,
        row: &IncidentRow,
        events: &[NewIncidentEvent],
        now: Timestamp,
    ) -> Result<Vec<NewIncidentEvent>, StoreError>;

    /// [`Store::record_incident`] and, in the same transaction, the notifications of its events:
    /// `notifications[i]` are enqueued when `events[i]` is new (a fact already recorded, or one a
    /// dry run recorded, announces nothing), with the outbox's own deduplication on top. Returns
    /// the new events and how many notifications were new.
    async fn record_incident_notify(
        &self,
        row: &IncidentRow,
        events: &[NewIncidentEvent],
        notifications: &[Vec<NewNotification>],
        now: Timestamp,
    ) -> Result<(Vec<NewIncidentEvent>, u64), StoreError>;

    /// Incidents opened at or after `since` in repositories of `org` (every one when `None`),
    /// oldest first.
    async fn incidents(
        &self,
        org: Option<&str>,
        since: Timestamp,
    ) -> Result<Vec<IncidentRow>, StoreError>;

    /// Open incidents whose owner deadline passed by `now` and that were not judged since: the
    /// timed check looks at each once. At most `limit`, most overdue first.
    async fn incidents_due(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<IncidentRow>, StoreError>;

    /// The notification hook's outbox: events after `after_id`, in order, at most `limit`.
    async fn incident_events(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<IncidentEventRow>, StoreError>;
    // ---- the notification outbox (`crate::outbox`: states, and what "exactly once" means) ----

    /// [`Store::record_reconcile`] and, in the same transaction, the notifications the reconcile's
    /// state change caused: a crash leaves both or neither. A notification whose (event, subject,
    /// dedupe key, target) is stored already is skipped, so a redelivery or a replayed reconcile
    /// enqueues nothing new. Returns how many notifications were new.
    // One transaction for everything a reconcile leaves: each part is its own argument so a
    // caller cannot forget one; a struct would only rename the list.
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
    ) -> Result<u64, StoreError>;

    /// Enqueues notifications on their own (a scheduled check found the condition); the same
    /// deduplication as [`Store::record_reconcile_notify`]. Returns how many were new.
    async fn enqueue_notifications(
        &self,
        notifications: &[NewNotification],
        now: Timestamp,
    ) -> Result<u64, StoreError>;

    /// Leases the next due notification (pending and due, or leased with an expired lease), never
    /// one another worker holds. Each lease counts as an attempt. A row left `sending` by a worker
    /// whose lease expired is dead-lettered with [`OUTCOME_UNKNOWN`] instead.
    async fn lease_notification(
        &self,
        owner: &str,
        lease_for: Duration,
        now: Timestamp,
    ) -> Result<Option<NotificationLease>, StoreError>;

    /// Commits `sending` just before the message leaves; false when the lease was lost, and then
    /// the message must not be sent.
    async fn notification_sending(
        &self,
        lease: &NotificationLease,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// The message was delivered. [`StoreError::LeaseLost`] if the lease is no longer held.
    async fn notification_sent(
        &self,
        lease: &NotificationLease,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The attempt failed with a known outcome (not delivered): retried after the backoff (or
    /// exactly `retry_after`), dead-lettered with `error` after `max_attempts`.
    async fn notification_failed(
        &self,
        lease: &NotificationLease,
        error: &str,
        retry_after: Option<Duration>,
        max_attempts: u32,
        now: Timestamp,
    ) -> Result<FailOutcome, StoreError>;

    /// The notifications `filter` selects, oldest first.
    async fn notifications(
        &self,
        filter: NotificationFilter,
    ) -> Result<Vec<NotificationRow>, StoreError>;

    /// Makes a dead notification pending again with its attempts reset; false if `id` is not dead.
    async fn retry_notification(&self, id: i64, now: Timestamp) -> Result<bool, StoreError>;
    /// The action log across keys (`plasma-ops actions`, the MCP tools): the entries `filter`
    /// selects, newest first.
    async fn find_actions(&self, filter: &ActionFilter) -> Result<Vec<ActionRow>, StoreError>;

    /// The keys of the action log, the one written about first first, at most `limit`.
    async fn action_keys(&self, limit: u32) -> Result<Vec<ActionKey>, StoreError>;

    /// Deletes one batch, at most `limit` rows, of `what` older than `before`: processed
    /// deliveries received before it, or actions logged before it. Returns how many went.
    /// Deliveries not yet processed are never deleted, whatever their age.
    async fn prune_batch(
        &self,
        what: Prunable,
        before: Timestamp,
        limit: u32,
    ) -> Result<u64, StoreError>;
}

/// Rows [`prune`] deletes per statement: small enough that a batch holds the database's write
/// lock (SQLite) or its row locks (PostgreSQL) for milliseconds, so deliveries keep being
/// acknowledged while a large backlog is pruned.
pub const PRUNE_BATCH: u32 = 1_000;

/// Deletes everything of `what` older than `before`, a batch at a time, yielding between
/// batches. Returns how many rows went.
pub async fn prune(
    store: &dyn Store,
    what: Prunable,
    before: Timestamp,
) -> Result<u64, StoreError> {
    let mut total = 0u64;
    loop {
        let n = store.prune_batch(what, before, PRUNE_BATCH).await?;
        total = total.saturating_add(n);
        if n < u64::from(PRUNE_BATCH) {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// Opens the store a database URL names: `postgres://...` or `postgresql://...` for PostgreSQL;
/// `sqlite://PATH`, `sqlite:PATH` or a bare file path (created on first use) for SQLite. Other
/// schemes are rejected. No error repeats a password the URL may carry.
pub async fn open(url_or_path: &str) -> Result<Arc<dyn Store>, StoreError> {
    if postgres::is_postgres_url(url_or_path) {
        return Ok(Arc::new(PgStore::open(url_or_path).await?));
    }
    // Any other scheme is rejected by the SQLite store without echoing the URL.
    Ok(Arc::new(SqliteStore::open(url_or_path).await?))
}
