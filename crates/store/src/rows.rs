//! Row decoding shared by both backends: the column names and meanings are the same in both
//! schemas, only the driver's row type differs.

use sqlx::Row;

use crate::causes;
use crate::error::StoreError;
use crate::queue::{JobState, Phase};
use crate::types::{ActionRow, DeliveryRow, JobRow};

/// The column reads the decoders need, for any backend's row type.
pub(crate) trait StoreRow {
    /// A non-null TEXT column.
    fn text(&self, column: &str, op: &'static str) -> Result<String, StoreError>;
    /// A nullable TEXT column.
    fn opt_text(&self, column: &str, op: &'static str) -> Result<Option<String>, StoreError>;
    /// A non-null integer column.
    fn int(&self, column: &str, op: &'static str) -> Result<i64, StoreError>;
    /// A nullable integer column.
    fn opt_int(&self, column: &str, op: &'static str) -> Result<Option<i64>, StoreError>;
    /// A boolean column (INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL).
    fn boolean(&self, column: &str, op: &'static str) -> Result<bool, StoreError>;
    /// A BLOB / BYTEA column.
    fn bytes(&self, column: &str, op: &'static str) -> Result<Vec<u8>, StoreError>;
    /// A nullable BLOB / BYTEA column.
    fn opt_bytes(&self, column: &str, op: &'static str) -> Result<Option<Vec<u8>>, StoreError>;
}

macro_rules! impl_store_row {
    ($row:ty) => {
        impl StoreRow for $row {
            fn text(&self, column: &str, op: &'static str) -> Result<String, StoreError> {
                self.try_get(column).map_err(StoreError::db(op))
            }
            fn opt_text(
                &self,
                column: &str,
                op: &'static str,
            ) -> Result<Option<String>, StoreError> {
                self.try_get(column).map_err(StoreError::db(op))
            }
            fn int(&self, column: &str, op: &'static str) -> Result<i64, StoreError> {
                self.try_get(column).map_err(StoreError::db(op))
            }
            fn opt_int(&self, column: &str, op: &'static str) -> Result<Option<i64>, StoreError> {
                self.try_get(column).map_err(StoreError::db(op))
            }
            fn boolean(&self, column: &str, op: &'static str) -> Result<bool, StoreError> {
                self.try_get(column).map_err(StoreError::db(op))
            }
            fn bytes(&self, column: &str, op: &'static str) -> Result<Vec<u8>, StoreError> {
                self.try_get(column).map_err(StoreError::db(op))
            }
            fn opt_bytes(
                &self,
                column: &str,
                op: &'static str,
            ) -> Result<Option<Vec<u8>>, StoreError> {
                self.try_get(column).map_err(StoreError::db(op))
            }
        }
    };
}

impl_store_row!(sqlx::sqlite::SqliteRow);
impl_store_row!(sqlx::postgres::PgRow);

/// Reads the columns of `crate::sql::select_job_state!`.
pub(crate) fn decode_job_state(
    row: &impl StoreRow,
    op: &'static str,
) -> Result<JobState, StoreError> {
    let key = row.text("job_key", op)?;
    Ok(JobState {
        id: row.int("id", op)?,
        phase: Phase::parse(&row.text("state", op)?, &key)?,
        attempts: row.int("attempts", op)?,
        generation: row.int("generation", op)?,
        run_after: row.int("run_after", op)?,
        lease_owner: row.opt_text("lease_owner", op)?,
        lease_expires: row.opt_int("lease_expires", op)?,
        lease_generation: row.opt_int("lease_generation", op)?,
        causes: causes::decode(&row.text("causes", op)?, &key)?,
        rerun_causes: causes::decode(&row.text("rerun_causes", op)?, &key)?,
        rerun_since: row.opt_int("rerun_since", op)?,
        last_error: row.opt_text("last_error", op)?,
        first_triggered_at: row.int("first_triggered_at", op)?,
        updated_at: row.int("updated_at", op)?,
        key,
    })
}

/// Reads a row of the job listing.
pub(crate) fn decode_job_row(row: &impl StoreRow) -> Result<JobRow, StoreError> {
    const OP: &str = "list jobs";
    let key = row.text("job_key", OP)?;
    let mut all = causes::decode(&row.text("causes", OP)?, &key)?;
    let rerun = causes::decode(&row.text("rerun_causes", OP)?, &key)?;
    causes::merge(&mut all, &rerun);
    Ok(JobRow {
        id: row.int("id", OP)?,
        state: row.text("state", OP)?,
        attempts: to_u32(row.int("attempts", OP)?, "attempt count", &key)?,
        run_after: row.int("run_after", OP)?,
        lease_owner: row.opt_text("lease_owner", OP)?,
        lease_expires: row.opt_int("lease_expires", OP)?,
        last_error: row.opt_text("last_error", OP)?,
        causes: all,
        first_triggered_at: row.int("first_triggered_at", OP)?,
        updated_at: row.int("updated_at", OP)?,
        key,
    })
}

/// Reads an action log entry.
pub(crate) fn decode_action(row: &impl StoreRow) -> Result<ActionRow, StoreError> {
    const OP: &str = "read the action log";
    let id = row.int("id", OP)?;
    let json = |column: &str| -> Result<serde_json::Value, StoreError> {
        let text = row.text(column, OP)?;
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            what: format!("`{column}` of action {id}"),
            detail: e.to_string(),
        })
    };
    Ok(ActionRow {
        id,
        job_key: row.text("job_key", OP)?,
        delivery_id: row.opt_text("delivery_id", OP)?,
        job_id: row.opt_int("job_id", OP)?,
        kind: row.text("kind", OP)?,
        dry_run: row.boolean("dry_run", OP)?,
        before: json("before_json")?,
        after: json("after_json")?,
        at: row.int("acted_at", OP)?,
    })
}

/// Reads a stored delivery.
pub(crate) fn decode_delivery(row: &impl StoreRow) -> Result<DeliveryRow, StoreError> {
    const OP: &str = "read a delivery";
    Ok(DeliveryRow {
        id: row.text("id", OP)?,
        event: row.text("event", OP)?,
        action: row.opt_text("action", OP)?,
        repository: row.opt_text("repository", OP)?,
        installation: row.opt_int("installation", OP)?,
        received_at: row.int("received_at", OP)?,
        processed_at: row.opt_int("processed_at", OP)?,
        outcome: row.opt_text("outcome", OP)?,
        body: row.bytes("body", OP)?,
    })
}

/// A stored count or attempt number as `u32`, or [`StoreError::Corrupt`].
pub(crate) fn to_u32(value: i64, what: &str, key: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt {
        what: format!("{what} of job {key:?}"),
        detail: format!("{value} is out of range"),
    })
}

/// A stored count as `u64`, or [`StoreError::Corrupt`].
pub(crate) fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        what: what.to_owned(),
        detail: format!("{value} is negative"),
    })
}

/// The outcome recorded for the deliveries a completed run covered.
pub(crate) const APPLIED: &str = "applied";

/// The delivery ids among a job's causes.
pub(crate) fn delivered(job: &crate::types::Job) -> Vec<&str> {
    job.causes.iter().filter_map(crate::causes::Cause::delivery_id).collect()
}
