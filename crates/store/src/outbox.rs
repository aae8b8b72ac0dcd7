//! The notification outbox: rows written in the same transaction as the state change that caused
//! them, then leased, sent and marked by the notification workers of any replica.
//!
//! A row moves `pending -> leased -> sending -> sent`. `sending` is committed *before* the message
//! leaves (mark before send): a replica that dies after that point leaves a row whose outcome is
//! unknown, and the next lease dead-letters it with that reason instead of sending it again. So a
//! crash costs at most one notification that a person may resend (`plasma-ops notifications
//! --retry ID`); it never makes a receiver without idempotency keys (a Slack webhook) show a
//! message twice. A crash before `sending` (the row is only `leased`) is safe to redo, and is.

use std::time::Duration;

use serde::Serialize;

use crate::backoff::{millis, retry_delay};
use crate::error::StoreError;
use crate::exec::{Conn, Param};
use crate::rows::StoreRow;
use crate::types::{FailOutcome, Timestamp};

/// A notification to enqueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewNotification {
    /// The event name (`ready_to_merge`, ...).
    pub event: String,
    /// What it is about (`owner/repo#12`).
    pub subject: String,
    /// What makes this occurrence distinct for its subject (a head SHA, a GitHub timestamp).
    pub dedupe_key: String,
    /// The configured target's name.
    pub target: String,
    /// The message and the target's settings, as JSON.
    pub payload: String,
}

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationState {
    /// Waiting to be sent (including while backing off).
    Pending,
    /// Held by a worker, not yet sent.
    Leased,
    /// Being sent: the worker committed this just before the message left.
    Sending,
    /// Sent.
    Sent,
    /// Out of attempts, or its outcome is unknown.
    Dead,
}

impl NotificationState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationState::Pending => "pending",
            NotificationState::Leased => "leased",
            NotificationState::Sending => "sending",
            NotificationState::Sent => "sent",
            NotificationState::Dead => "dead",
        }
    }

    fn parse(text: &str, id: i64) -> Result<NotificationState, StoreError> {
        Ok(match text {
            "pending" => NotificationState::Pending,
            "leased" => NotificationState::Leased,
            "sending" => NotificationState::Sending,
            "sent" => NotificationState::Sent,
            "dead" => NotificationState::Dead,
            other => {
                return Err(StoreError::Corrupt {
                    what: format!("state of notification {id}"),
                    detail: format!("unknown state {other:?}"),
                });
            }
        })
    }
}

/// Which notifications to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationFilter {
    /// Every row.
    All,
    /// Dead-lettered rows only.
    Dead,
}

/// A stored notification, for `plasma-ops notifications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationRow {
    /// Row id (the `--retry` argument).
    pub id: i64,
    /// Event name.
    pub event: String,
    /// What it is about.
    pub subject: String,
    /// The occurrence's key.
    pub dedupe_key: String,
    /// Target name.
    pub target: String,
    /// Where it stands.
    pub state: NotificationState,
    /// Attempts of the current series.
    pub attempts: i64,
    /// Not sent before (unix ms).
    pub run_after: Timestamp,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it was enqueued (unix ms).
    pub created_at: Timestamp,
    /// When it was sent (unix ms).
    pub sent_at: Option<Timestamp>,
    /// The message and target settings (JSON text).
    #[serde(skip)]
    pub payload: String,
}

/// A notification leased to a worker: hand it back to the store's `notification_sending`,
/// `notification_sent` or `notification_failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationLease {
    /// Row id.
    pub id: i64,
    /// Event name.
    pub event: String,
    /// What it is about.
    pub subject: String,
    /// The occurrence's key.
    pub dedupe_key: String,
    /// Target name.
    pub target: String,
    /// The message and target settings (JSON text).
    pub payload: String,
    /// This lease's attempt number (from 1); with the owner, the lease's identity.
    pub attempt: u32,
    /// Who holds it.
    pub owner: String,
    /// When the lease expires (unix ms).
    pub lease_expires: Timestamp,
}

/// The reason a row found in `sending` with an expired lease is dead-lettered.
pub const OUTCOME_UNKNOWN: &str = "outcome unknown: the worker sending it stopped (crash or lost \
     lease) after the message may have left; it is not sent again automatically so the receiver \
     never shows it twice. Check the receiver and, if it is missing, run `plasma-ops \
     notifications --retry ID`";

/// The lease query's `SELECT`, with each dialect's lock clause.
macro_rules! next_notification {
    ($lock:literal) => {
        concat!(
            "SELECT id, event, subject, dedupe_key, target, payload, state, attempts, run_after, ",
            "last_error, created_at, sent_at FROM notifications ",
            "WHERE (state = 'pending' AND run_after <= $1) ",
            "OR (state IN ('leased', 'sending') AND lease_expires <= $1) ",
            "ORDER BY run_after, id LIMIT 1",
            $lock
        )
    };
}
pub(crate) use next_notification;

/// Every notification, for `plasma-ops notifications`.
const SELECT_ALL: &str = "SELECT id, event, subject, dedupe_key, target, payload, state, attempts, \
     run_after, last_error, created_at, sent_at FROM notifications ORDER BY id";

/// The dead-lettered ones, for `--dead`.
const SELECT_DEAD: &str = "SELECT id, event, subject, dedupe_key, target, payload, state, \
     attempts, run_after, last_error, created_at, sent_at FROM notifications \
     WHERE state = 'dead' ORDER BY id";

const INSERT: &str = "INSERT INTO notifications \
     (event, subject, dedupe_key, target, payload, state, attempts, run_after, created_at, \
      updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6) \
     ON CONFLICT (event, subject, dedupe_key, target) DO NOTHING";

const LEASE: &str = "UPDATE notifications SET state = 'leased', attempts = $2, lease_owner = $3, \
     lease_expires = $4, updated_at = $5 WHERE id = $1";

const DEAD_UNKNOWN: &str = "UPDATE notifications SET state = 'dead', lease_owner = NULL, \
     lease_expires = NULL, last_error = $2, updated_at = $3 WHERE id = $1";

/// `$1` id, `$2` owner, `$3` attempt: the lease still held by its worker.
macro_rules! held {
    ($set:literal, $states:literal) => {
        concat!(
            "UPDATE notifications SET ",
            $set,
            " WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state IN ",
            $states
        )
    };
}

const BEGIN_SEND: &str = held!("state = 'sending', updated_at = $4", "('leased')");

const SENT: &str = held!(
    "state = 'sent', sent_at = $4, updated_at = $4, lease_owner = NULL, lease_expires = NULL, \
     last_error = NULL",
    "('leased', 'sending')"
);

/// `$4` now, `$5` next state, `$6` run_after, `$7` error.
const FAILED: &str = held!(
    "state = $5, run_after = $6, last_error = $7, updated_at = $4, lease_owner = NULL, \
     lease_expires = NULL",
    "('leased', 'sending')"
);

const RETRY_DEAD: &str = "UPDATE notifications SET state = 'pending', attempts = 0, \
     run_after = $2, updated_at = $2 WHERE id = $1 AND state = 'dead'";

/// Retention of sent rows: `$1` cutoff, `$2` batch size.
pub(crate) const PRUNE_SENT: &str = "DELETE FROM notifications WHERE id IN \
     (SELECT id FROM notifications WHERE state = 'sent' AND sent_at < $1 ORDER BY id LIMIT $2)";

/// Retention of dead rows nobody retried: `$1` cutoff (on when they died), `$2` batch size.
pub(crate) const PRUNE_DEAD: &str = "DELETE FROM notifications WHERE id IN \
     (SELECT id FROM notifications WHERE state = 'dead' AND updated_at < $1 ORDER BY id LIMIT $2)";

/// Inserts `notifications` in the caller's transaction; returns how many were new (a row whose
/// key is stored already is skipped).
pub(crate) async fn enqueue_in<C: Conn>(
    conn: &mut C,
    notifications: &[NewNotification],
    now: Timestamp,
) -> Result<u64, StoreError> {
    const OP: &str = "enqueue a notification";
    let mut inserted = 0;
    for n in notifications {
        let params = [
            Param::Text(&n.event),
            Param::Text(&n.subject),
            Param::Text(&n.dedupe_key),
            Param::Text(&n.target),
            Param::Text(&n.payload),
            Param::Int(now),
        ];
        inserted += conn.execute(INSERT, &params, OP).await?;
    }
    Ok(inserted)
}

/// Leases the next due notification inside the caller's write transaction. A row left in
/// `sending` by a worker whose lease expired is dead-lettered ([`OUTCOME_UNKNOWN`]) and the next
/// row is looked at.
pub(crate) async fn lease_in<C: Conn>(
    conn: &mut C,
    owner: &str,
    lease_for: Duration,
    now: Timestamp,
) -> Result<Option<NotificationLease>, StoreError> {
    const OP: &str = "lease a notification";
    let next = conn.dialect().select_next_notification;
    loop {
        let Some(row) = conn.fetch_optional(next, &[Param::Int(now)], OP).await? else {
            return Ok(None);
        };
        let found = decode(&row, OP)?;
        if found.state == NotificationState::Sending {
            let params = [Param::Int(found.id), Param::Text(OUTCOME_UNKNOWN), Param::Int(now)];
            conn.execute(DEAD_UNKNOWN, &params, OP).await?;
            continue;
        }
        let attempts = found.attempts.saturating_add(1);
        let attempt = u32::try_from(attempts).unwrap_or(u32::MAX);
        let lease_expires = now.saturating_add(millis(lease_for));
        let params = [
            Param::Int(found.id),
            Param::Int(attempts),
            Param::Text(owner),
            Param::Int(lease_expires),
            Param::Int(now),
        ];
        conn.execute(LEASE, &params, OP).await?;
        return Ok(Some(NotificationLease {
            id: found.id,
            event: found.event,
            subject: found.subject,
            dedupe_key: found.dedupe_key,
            target: found.target,
            payload: found.payload,
            attempt,
            owner: owner.to_owned(),
            lease_expires,
        }));
    }
}

fn lost(lease: &NotificationLease) -> StoreError {
    StoreError::LeaseLost {
        id: lease.id,
        key: format!("notification {} of {} to {}", lease.event, lease.subject, lease.target),
    }
}

/// `sending`, committed before the message leaves; false when the lease was lost (then the
/// message must not be sent).
pub(crate) async fn begin_send_in<C: Conn>(
    conn: &mut C,
    lease: &NotificationLease,
    now: Timestamp,
) -> Result<bool, StoreError> {
    const OP: &str = "mark a notification sending";
    let params = held_params(lease, now);
    Ok(conn.execute(BEGIN_SEND, &params, OP).await? == 1)
}

fn held_params(lease: &NotificationLease, now: Timestamp) -> [Param<'_>; 4] {
    [
        Param::Int(lease.id),
        Param::Text(&lease.owner),
        Param::Int(i64::from(lease.attempt)),
        Param::Int(now),
    ]
}

/// Marks the leased notification sent.
pub(crate) async fn sent_in<C: Conn>(
    conn: &mut C,
    lease: &NotificationLease,
    now: Timestamp,
) -> Result<(), StoreError> {
    const OP: &str = "mark a notification sent";
    if conn.execute(SENT, &held_params(lease, now), OP).await? != 1 {
        return Err(lost(lease));
    }
    Ok(())
}

/// A failed attempt whose outcome is known (the receiver answered with an error, or could not be
/// reached): retried after the store's backoff (or exactly after `retry_after`), dead-lettered with
/// `error` after `max_attempts`.
pub(crate) async fn failed_in<C: Conn>(
    conn: &mut C,
    lease: &NotificationLease,
    error: &str,
    retry_after: Option<Duration>,
    max_attempts: u32,
    now: Timestamp,
) -> Result<FailOutcome, StoreError> {
    const OP: &str = "record a failed notification";
    let (state, at, outcome) = if lease.attempt >= max_attempts {
        (NotificationState::Dead, now, FailOutcome::Dead)
    } else {
        let at = now.saturating_add(millis(retry_delay(lease.attempt, retry_after)));
        (NotificationState::Pending, at, FailOutcome::Retry { at })
    };
    let [id, owner, attempt, now] = held_params(lease, now);
    let params =
        [id, owner, attempt, now, Param::Text(state.as_str()), Param::Int(at), Param::Text(error)];
    if conn.execute(FAILED, &params, OP).await? != 1 {
        return Err(lost(lease));
    }
    Ok(outcome)
}

/// The notifications `filter` selects, oldest first.
pub(crate) async fn list_in<C: Conn>(
    conn: &mut C,
    filter: NotificationFilter,
) -> Result<Vec<NotificationRow>, StoreError> {
    const OP: &str = "list notifications";
    let sql = match filter {
        NotificationFilter::All => SELECT_ALL,
        NotificationFilter::Dead => SELECT_DEAD,
    };
    let rows = conn.fetch_all(sql, &[], OP).await?;
    rows.iter().map(|row| decode(row, OP)).collect()
}

/// Makes a dead notification pending again with its attempts reset; false when `id` is not dead.
pub(crate) async fn retry_in<C: Conn>(
    conn: &mut C,
    id: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    const OP: &str = "retry a dead notification";
    Ok(conn.execute(RETRY_DEAD, &[Param::Int(id), Param::Int(now)], OP).await? == 1)
}

fn decode(row: &impl StoreRow, op: &'static str) -> Result<NotificationRow, StoreError> {
    let id = row.int("id", op)?;
    Ok(NotificationRow {
        id,
        event: row.text("event", op)?,
        subject: row.text("subject", op)?,
        dedupe_key: row.text("dedupe_key", op)?,
        target: row.text("target", op)?,
        payload: row.text("payload", op)?,
        state: NotificationState::parse(&row.text("state", op)?, id)?,
        attempts: row.int("attempts", op)?,
        run_after: row.int("run_after", op)?,
        last_error: row.opt_text("last_error", op)?,
        created_at: row.int("created_at", op)?,
        sent_at: row.opt_int("sent_at", op)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_as_written() {
        for s in [
            NotificationState::Pending,
            NotificationState::Leased,
            NotificationState::Sending,
            NotificationState::Sent,
            NotificationState::Dead,
        ] {
            assert_eq!(NotificationState::parse(s.as_str(), 1).unwrap(), s);
        }
        let err = NotificationState::parse("gone", 7).unwrap_err().to_string();
        assert!(err.contains("notification 7") && err.contains("gone"), "{err}");
    }

    #[test]
    fn the_statements_list_every_decoded_column() {
        for sql in [SELECT_ALL, SELECT_DEAD, next_notification!("")] {
            for column in ["payload", "state", "attempts", "sent_at", "last_error"] {
                assert!(sql.contains(column), "{sql}");
            }
        }
    }
}
