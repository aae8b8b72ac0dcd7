//! The plain data the store takes and returns.

use serde::Serialize;

use crate::causes::Cause;
use crate::key::JobKey;

/// A point in time as unix milliseconds; callers pass `now` so tests control the clock.
pub type Timestamp = i64;

/// A webhook delivery as received, before any processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// GitHub's `X-GitHub-Delivery` id; the deduplication key.
    pub id: String,
    /// The `X-GitHub-Event` header.
    pub event: String,
    /// The payload's `action`, when it has one.
    pub action: Option<String>,
    /// `owner/repo`, when the payload names a repository.
    pub repository: Option<String>,
    /// The GitHub App installation id, when present.
    pub installation: Option<i64>,
    /// When ingress received it.
    pub received_at: Timestamp,
    /// The raw body, exactly as signed (ingress caps it at 25 MiB).
    pub body: Vec<u8>,
}

/// What [`crate::Store::record_delivery`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordOutcome {
    /// Stored for the first time; `job` says what happened to the job, if a key was given.
    Recorded {
        /// The first key's trigger outcome, or `None` when no job key was given.
        job: Option<TriggerOutcome>,
    },
    /// The delivery id was stored before; nothing changed.
    Duplicate,
}

/// What a trigger did to the job of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerOutcome {
    /// A new pending job was created (or a dead one brought back).
    Enqueued,
    /// A pending job absorbed the trigger.
    Coalesced,
    /// The job was running: it will run again after it finishes.
    Rerun,
}

/// A job leased to a worker; hand it back to `renew`, `complete` or `fail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    /// The job row's id (never reused).
    pub id: i64,
    /// What the job is about.
    pub key: JobKey,
    /// Which attempt this is, from 1, counted since the last successful run.
    pub attempt: u32,
    /// The job's generation when leased; identifies this lease, and a trigger during the run
    /// moves the stored generation past it.
    pub generation: i64,
    /// Who holds the lease.
    pub lease_owner: String,
    /// When the lease expires unless renewed (as granted; `renew` does not update this copy).
    pub lease_expires: Timestamp,
    /// What triggered the job since its last run; deduplicated, the first 50 kept.
    pub causes: Vec<Cause>,
    /// When the earliest of those triggers arrived (for delivery-to-applied latency).
    pub first_triggered_at: Timestamp,
}

/// What [`crate::Store::fail`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailOutcome {
    /// The job will be leasable again at `at`.
    Retry {
        /// The earliest time of the next attempt.
        at: Timestamp,
    },
    /// The job ran out of attempts and is dead-lettered.
    Dead,
}

/// Which jobs [`crate::Store::jobs`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JobFilter {
    /// Every job.
    #[default]
    All,
    /// Waiting to run (including those backing off).
    Pending,
    /// Held by a worker (the lease may have expired).
    Leased,
    /// Out of attempts.
    Dead,
}

/// A job as `plasma-ops jobs` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRow {
    /// The job row's id.
    pub id: i64,
    /// The job key, `owner/repo#n`.
    pub key: String,
    /// `pending`, `leased` or `dead`.
    pub state: String,
    /// Attempts since the last successful run (or since `retry_dead`).
    pub attempts: u32,
    /// The earliest time a pending job may run.
    pub run_after: Timestamp,
    /// The lease holder, when leased.
    pub lease_owner: Option<String>,
    /// The lease expiry, when leased.
    pub lease_expires: Option<Timestamp>,
    /// The last failure's message.
    pub last_error: Option<String>,
    /// What triggered it: the causes of the current run followed by any that arrived during it.
    pub causes: Vec<Cause>,
    /// When the earliest pending trigger arrived.
    pub first_triggered_at: Timestamp,
    /// When the row last changed.
    pub updated_at: Timestamp,
}

/// A write made to GitHub, or planned in dry run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewAction {
    /// The job key, `owner/repo#n`.
    pub job_key: String,
    /// The delivery that caused it, if any.
    pub delivery_id: Option<String>,
    /// The job that made it, if any.
    pub job_id: Option<i64>,
    /// What kind of write (`add_label`, `edit_comment`, ...).
    pub kind: String,
    /// Planned only, not carried out.
    pub dry_run: bool,
    /// The state before the write.
    pub before: serde_json::Value,
    /// The state after the write.
    pub after: serde_json::Value,
    /// When it was made.
    pub at: Timestamp,
}

/// A stored [`NewAction`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionRow {
    /// The log entry's id (increasing).
    pub id: i64,
    /// The job key, `owner/repo#n`.
    pub job_key: String,
    /// The delivery that caused it, if any.
    pub delivery_id: Option<String>,
    /// The job that made it, if any.
    pub job_id: Option<i64>,
    /// What kind of write.
    pub kind: String,
    /// Planned only, not carried out.
    pub dry_run: bool,
    /// The state before the write.
    pub before: serde_json::Value,
    /// The state after the write.
    pub after: serde_json::Value,
    /// When it was made.
    pub at: Timestamp,
}

/// A stored delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    /// GitHub's delivery id.
    pub id: String,
    /// The event type.
    pub event: String,
    /// The payload's `action`.
    pub action: Option<String>,
    /// `owner/repo`.
    pub repository: Option<String>,
    /// The installation id.
    pub installation: Option<i64>,
    /// When ingress received it.
    pub received_at: Timestamp,
    /// When processing finished, if it has.
    pub processed_at: Option<Timestamp>,
    /// How processing ended.
    pub outcome: Option<String>,
    /// The raw body.
    pub body: Vec<u8>,
}

/// What retention deletes by age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prunable {
    /// Processed deliveries, by `received_at` (never one still owed work).
    Deliveries,
    /// The action log, by `acted_at`.
    Actions,
    /// Notifications sent, by `sent_at`. Their rows are also what keeps a replayed event from
    /// enqueueing the same notification again, so the window must outlast any replay (GitHub
    /// redelivers for a few days; the sweep replays open pull requests for as long as they are open).
    SentNotifications,
    /// Dead-lettered notifications nobody retried, by when they died (`updated_at`).
    DeadNotifications,
}

impl Prunable {
    /// The table's name, for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Prunable::Deliveries => "deliveries",
            Prunable::Actions => "actions",
            Prunable::SentNotifications => "notifications_sent",
            Prunable::DeadNotifications => "notifications_dead",
        }
    }
}

/// Job counts per state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct QueueDepth {
    /// Waiting to run (including those backing off).
    pub pending: u64,
    /// Held by a worker.
    pub leased: u64,
    /// Out of attempts.
    pub dead: u64,
}
