//! The SQL only the PostgreSQL store runs; the rest is in `crate::sql`.
//!
//! No in-process lock protects anything here: every replica is a separate process, so every
//! read-then-write locks the job row it decides on (`FOR UPDATE`) until its transaction ends.

use crate::sql::{Dialect, next_runnable, select_job_state};

pub(crate) const DIALECT: Dialect = Dialect {
    // `FOR UPDATE` (waiting, not skipping): a trigger, completion or failure must see the state a
    // concurrent lease, completion or trigger committed, never decide on a stale copy.
    select_job_by_key: select_job_state!("WHERE job_key = $1 FOR UPDATE"),
    select_job_by_id: select_job_state!("WHERE id = $1 FOR UPDATE"),
    // `FOR UPDATE SKIP LOCKED`: a row another replica is leasing (or triggering, or completing) is
    // skipped rather than waited for, and a row changed by a transaction that committed after this
    // statement's snapshot is re-checked against the `WHERE` clause before it is returned, so two
    // replicas can never both be granted the same key.
    select_next_runnable: next_runnable!(" FOR UPDATE SKIP LOCKED"),
    prune_deliveries: "DELETE FROM deliveries WHERE id IN \
         (SELECT id FROM deliveries WHERE processed_at IS NOT NULL AND received_at < $1 LIMIT $2)",
    // A concurrent insert of the same key, or a completion deleting the row between our read and
    // write, sends the trigger round again; several replicas racing on one key need a few.
    trigger_rounds: 8,
    // Skipping rows another replica holds, as for jobs.
    select_next_notification: crate::outbox::next_notification!(" FOR UPDATE SKIP LOCKED"),
};
