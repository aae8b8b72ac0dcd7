//! Incidents and the incident event outbox: what plasma-ops records of each incident, and the
//! notification hook's queue. Facts only: which issue is an incident, its severity, its deadline
//! and whether a close stands are the policy core's (`plasma_policy::incident`).
//!
//! Every time is GitHub's, and a write is idempotent: recording the same incident twice leaves
//! the same row (the acknowledgement time only ever moves earlier), and an event is appended once
//! per (incident, kind, time), so a redelivered or late webhook changes no figure and sends no
//! second notification.

use crate::error::StoreError;
use crate::exec::{Conn, Param};
use crate::rows::StoreRow;
use crate::types::Timestamp;

/// One incident as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRow {
    /// `owner/name`.
    pub repo: String,
    /// Issue number.
    pub number: i64,
    /// Title.
    pub title: String,
    /// Severity label, when it has one.
    pub severity: Option<String>,
    /// `open`, `resolved` or `dismissed`.
    pub state: String,
    /// GitHub's `created_at`.
    pub opened_at: Timestamp,
    /// First assignment or first outside comment.
    pub acknowledged_at: Option<Timestamp>,
    /// `closed_at` of the close that stands.
    pub resolved_at: Option<Timestamp>,
    /// When an owner is due.
    pub ack_deadline: Timestamp,
    /// Whether it was judged at or after its deadline.
    pub deadline_checked: bool,
    /// The postmortem link.
    pub postmortem: Option<String>,
}

/// An event for the notification hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncidentEvent {
    /// `owner/name`.
    pub repo: String,
    /// Issue number.
    pub number: i64,
    /// `opened`, `unacknowledged`, `resolved`.
    pub kind: String,
    /// GitHub's time of the fact.
    pub at: Timestamp,
    /// The event as JSON (`plasma_policy::incident::IncidentEvent`).
    pub body: String,
}

/// An event in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentEventRow {
    /// Position in the outbox: consumers read in id order and remember the last id they sent.
    pub id: i64,
    /// The event.
    pub event: NewIncidentEvent,
    /// When plasma-ops appended it (its own clock: only for housekeeping).
    pub recorded_at: Timestamp,
}

/// Inserts or refreshes an incident; the acknowledgement time keeps the earlier of the stored and
/// the new value, and `deadline_checked` once true stays true.
pub(crate) const UPSERT_INCIDENT: &str = "INSERT INTO incidents \
     (repo, number, title, severity, state, opened_at, acknowledged_at, resolved_at, ack_deadline, \
      deadline_checked, postmortem, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
     ON CONFLICT (repo, number) DO UPDATE SET title = excluded.title, \
     severity = excluded.severity, state = excluded.state, opened_at = excluded.opened_at, \
     acknowledged_at = CASE \
       WHEN incidents.acknowledged_at IS NULL THEN excluded.acknowledged_at \
       WHEN excluded.acknowledged_at IS NULL THEN incidents.acknowledged_at \
       WHEN excluded.acknowledged_at < incidents.acknowledged_at THEN excluded.acknowledged_at \
       ELSE incidents.acknowledged_at END, \
     resolved_at = excluded.resolved_at, ack_deadline = excluded.ack_deadline, \
     deadline_checked = (incidents.deadline_checked OR excluded.deadline_checked), \
     postmortem = excluded.postmortem, updated_at = excluded.updated_at";

/// The columns [`decode`] reads, then `$rest`.
macro_rules! select_incidents {
    ($rest:literal) => {
        concat!(
            "SELECT repo, number, title, severity, state, opened_at, acknowledged_at, ",
            "resolved_at, ack_deadline, deadline_checked, postmortem FROM incidents ",
            $rest
        )
    };
}

/// Incidents opened at or after `$1`, of every repository whose name starts with `$2`
/// (`owner/`, or empty for all), oldest first.
pub(crate) const SELECT_INCIDENTS: &str = select_incidents!(
    "WHERE opened_at >= $1 AND substr(repo, 1, length($2)) = $2 ORDER BY opened_at, repo, number"
);

/// Open incidents whose deadline passed by `$1` and that were not judged since.
pub(crate) const SELECT_DUE: &str = select_incidents!(
    "WHERE state = 'open' AND deadline_checked = $2 AND ack_deadline <= $1 ORDER BY ack_deadline LIMIT $3"
);

pub(crate) const INSERT_EVENT: &str = "INSERT INTO incident_events \
     (repo, number, kind, at, body, recorded_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (repo, number, kind, at) DO NOTHING";

pub(crate) const SELECT_EVENTS: &str = "SELECT id, repo, number, kind, at, body, recorded_at \
     FROM incident_events WHERE id > $1 ORDER BY id LIMIT $2";

pub(crate) async fn upsert<C: Conn>(
    conn: &mut C,
    row: &IncidentRow,
    now: Timestamp,
    op: &'static str,
) -> Result<(), StoreError> {
    let params = [
        Param::Text(&row.repo),
        Param::Int(row.number),
        Param::Text(&row.title),
        Param::OptText(row.severity.as_deref()),
        Param::Text(&row.state),
        Param::Int(row.opened_at),
        Param::OptInt(row.acknowledged_at),
        Param::OptInt(row.resolved_at),
        Param::Int(row.ack_deadline),
        Param::Bool(row.deadline_checked),
        Param::OptText(row.postmortem.as_deref()),
        Param::Int(now),
    ];
    conn.execute(UPSERT_INCIDENT, &params, op).await?;
    Ok(())
}

pub(crate) fn decode(row: &impl StoreRow, op: &'static str) -> Result<IncidentRow, StoreError> {
    Ok(IncidentRow {
        repo: row.text("repo", op)?,
        number: row.int("number", op)?,
        title: row.text("title", op)?,
        severity: row.opt_text("severity", op)?,
        state: row.text("state", op)?,
        opened_at: row.int("opened_at", op)?,
        acknowledged_at: row.opt_int("acknowledged_at", op)?,
        resolved_at: row.opt_int("resolved_at", op)?,
        ack_deadline: row.int("ack_deadline", op)?,
        deadline_checked: row.boolean("deadline_checked", op)?,
        postmortem: row.opt_text("postmortem", op)?,
    })
}

pub(crate) fn decode_event(
    row: &impl StoreRow,
    op: &'static str,
) -> Result<IncidentEventRow, StoreError> {
    Ok(IncidentEventRow {
        id: row.int("id", op)?,
        event: NewIncidentEvent {
            repo: row.text("repo", op)?,
            number: row.int("number", op)?,
            kind: row.text("kind", op)?,
            at: row.int("at", op)?,
            body: row.text("body", op)?,
        },
        recorded_at: row.int("recorded_at", op)?,
    })
}
