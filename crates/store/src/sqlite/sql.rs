//! The SQL only the SQLite store runs; the rest is in `crate::sql`.

use crate::sql::{Dialect, next_runnable, select_job_state};

/// Opens a write transaction. SQLite takes the write lock up front with `IMMEDIATE`, so a
/// transaction that reads and then writes can never fail half-way with `SQLITE_BUSY` (a deferred
/// one can, and busy_timeout does not help there).
pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// No row locks: every write transaction holds SQLite's single write lock from its start, so a
/// row read in one cannot change before it ends.
pub(crate) const DIALECT: Dialect = Dialect {
    select_job_by_key: select_job_state!("WHERE job_key = $1"),
    select_job_by_id: select_job_state!("WHERE id = $1"),
    select_next_runnable: next_runnable!(""),
    // `rowid`: the deliveries table's primary key is TEXT, and SQLite deletes by rowid fastest.
    prune_deliveries: "DELETE FROM deliveries WHERE rowid IN \
         (SELECT rowid FROM deliveries WHERE processed_at IS NOT NULL AND received_at < $1 \
         LIMIT $2)",
    // Under the single writer a missing row cannot appear meanwhile; the second round only
    // guards against a database changed by hand.
    trigger_rounds: 2,
    // The single writer serialises leases.
    select_next_notification: crate::outbox::next_notification!(""),
};
