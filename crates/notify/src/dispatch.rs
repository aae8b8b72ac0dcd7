//! One step of the notification workers: lease the next due outbox row, mark it `sending`, send
//! it, and record what happened. The service runs it in a loop; tests call it step by step.
//!
//! What "exactly once" means here: an HTTP webhook cannot be both retried safely and never
//! duplicated, because a sender that dies after the request left cannot know whether it arrived.
//! The outbox chooses *mark before send*: `sending` is committed before the message leaves, and
//! a row found `sending` after its lease expired is dead-lettered as "outcome unknown" rather than
//! sent again. So redeliveries, replays and racing replicas never send a notification twice (the
//! unique key and the lease see to that), a crash *before* sending is redone, and a crash *during*
//! the send costs at most that one message, listed by `plasma-ops notifications --dead` for a
//! person to check and `--retry`. Receivers that can deduplicate get the notification's key
//! (`{{idempotency_key}}` in an MCP template; a marker in a GitHub comment).

use std::sync::Arc;
use std::time::Duration;

use plasma_store::{FailOutcome, NotificationLease, Store, StoreError, Timestamp};

use crate::message::Payload;
use crate::send::Sender;

/// Milliseconds since the Unix epoch; injectable so tests control time.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing was due.
    Idle,
    /// Notification `id` was delivered.
    Sent {
        /// Row id.
        id: i64,
    },
    /// It failed and is tried again at `at`.
    Retry {
        /// Row id.
        id: i64,
        /// Earliest next attempt (unix ms).
        at: Timestamp,
        /// Why it failed.
        error: String,
    },
    /// It failed for the last time, or cannot be sent: dead-lettered.
    Dead {
        /// Row id.
        id: i64,
        /// Why.
        error: String,
    },
    /// Another worker holds it now (this one paused past its lease).
    LeaseLost {
        /// Row id.
        id: i64,
    },
}

/// A notification worker.
pub struct Dispatcher {
    store: Arc<dyn Store>,
    sender: Arc<Sender>,
    owner: String,
    lease: Duration,
    max_attempts: u32,
    clock: Clock,
}

/// Attempts before a notification is dead-lettered.
pub const MAX_ATTEMPTS: u32 = 8;

/// The lease on a notification: four times the HTTP timeout, so a live sender finishes long before
/// anyone may take its row over.
pub const LEASE: Duration = Duration::from_secs(60);

impl Dispatcher {
    /// A worker named `owner` (unique per process and worker).
    pub fn new(
        store: Arc<dyn Store>,
        sender: Arc<Sender>,
        owner: String,
        clock: Clock,
    ) -> Dispatcher {
        Dispatcher { store, sender, owner, lease: LEASE, max_attempts: MAX_ATTEMPTS, clock }
    }

    /// The same worker with another number of attempts.
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Dispatcher {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// The same worker with another lease length.
    pub fn with_lease(mut self, lease: Duration) -> Dispatcher {
        self.lease = lease;
        self
    }

    fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Leases, sends and records one notification, if one is due.
    pub async fn step(&self) -> Result<Step, StoreError> {
        let Some(lease) =
            self.store.lease_notification(&self.owner, self.lease, self.now()).await?
        else {
            return Ok(Step::Idle);
        };
        if lease.attempt > self.max_attempts {
            // Every lease counts: a row whose workers keep dying before they send is given up.
            let why = format!(
                "abandoned by its worker {} times (crash or lost lease) before it was sent",
                lease.attempt - 1
            );
            return self.fail(&lease, &why, None, true).await;
        }
        let payload = match Payload::parse(&lease.payload) {
            Ok(p) => p,
            Err(e) => {
                let why = format!(
                    "the stored payload is unreadable ({e}); the database was changed outside plasma-ops"
                );
                return self.fail(&lease, &why, None, true).await;
            }
        };
        if !self.store.notification_sending(&lease, self.now()).await? {
            return Ok(Step::LeaseLost { id: lease.id });
        }
        let key = format!("plasma-ops-notification-{}", lease.id);
        let sent = self.sender.send(&lease.target, &payload.target, &payload.message, &key).await;
        match sent {
            Ok(()) => match self.store.notification_sent(&lease, self.now()).await {
                Ok(()) => Ok(Step::Sent { id: lease.id }),
                Err(StoreError::LeaseLost { .. }) => Ok(Step::LeaseLost { id: lease.id }),
                Err(e) => Err(e),
            },
            Err(e) => self.fail(&lease, &e.message, e.retry_after, e.permanent).await,
        }
    }

    async fn fail(
        &self,
        lease: &NotificationLease,
        error: &str,
        retry_after: Option<Duration>,
        permanent: bool,
    ) -> Result<Step, StoreError> {
        // A permanent failure is this series' last attempt.
        let max = if permanent { lease.attempt } else { self.max_attempts };
        let failed =
            self.store.notification_failed(lease, error, retry_after, max, self.now()).await;
        let id = lease.id;
        match failed {
            Ok(FailOutcome::Retry { at }) => Ok(Step::Retry { id, at, error: error.to_owned() }),
            Ok(FailOutcome::Dead) => Ok(Step::Dead { id, error: error.to_owned() }),
            Err(StoreError::LeaseLost { .. }) => Ok(Step::LeaseLost { id }),
            Err(e) => Err(e),
        }
    }
}
