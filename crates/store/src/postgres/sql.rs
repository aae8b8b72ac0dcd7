//! Every SQL statement the PostgreSQL store runs, in one place.
//!
//! The twin of `src/sqlite/sql.rs`: the same statements, parameters and columns, differing only
//! where marked "dialect" (row locks instead of SQLite's single writer).

/// Liveness probe.
pub(crate) const PING: &str = "SELECT 1";

// ---- deliveries ----

/// Inserts a delivery unless its id is already stored: zero rows affected means a duplicate.
pub(crate) const INSERT_DELIVERY: &str = "INSERT INTO deliveries \
     (id, event, action, repository, installation, received_at, body) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (id) DO NOTHING";

pub(crate) const SELECT_DELIVERY: &str = "SELECT id, event, action, repository, installation, \
     received_at, processed_at, outcome, body FROM deliveries WHERE id = $1";

pub(crate) const MARK_DELIVERY_PROCESSED: &str =
    "UPDATE deliveries SET processed_at = $2, outcome = $3 WHERE id = $1";

/// Marks a batch in one statement: `$1` ids (TEXT[]), `$2` now, `$3` outcome.
///
/// Dialect: `= ANY($1)` with an array parameter.
pub(crate) const MARK_DELIVERIES_PROCESSED: &str =
    "UPDATE deliveries SET processed_at = $2, outcome = $3 WHERE id = ANY($1)";

pub(crate) const COUNT_UNPROCESSED_DELIVERIES: &str =
    "SELECT COUNT(*) FROM deliveries WHERE processed_at IS NULL";

// ---- jobs ----

/// The columns [`crate::rows::decode_job_state`] reads, the row locked until the transaction ends.
///
/// Dialect: `FOR UPDATE` (waiting, not skipping): a trigger must see the state a concurrent lease,
/// completion or other trigger committed, never decide on a stale copy.
pub(crate) const SELECT_JOB_BY_KEY: &str = "SELECT id, job_key, state, attempts, generation, \
     lease_generation, causes, rerun_causes, rerun_since, first_triggered_at \
     FROM jobs WHERE job_key = $1 FOR UPDATE";

/// The current lease holder's row, locked: `$1` id, `$2` owner, `$3` lease generation.
///
/// Dialect: `FOR UPDATE`, so a trigger committing meanwhile is either seen (its generation bump)
/// or waits for this transaction.
pub(crate) const SELECT_JOB_HELD: &str = "SELECT id, job_key, state, attempts, generation, \
     lease_generation, causes, rerun_causes, rerun_since, first_triggered_at \
     FROM jobs WHERE id = $1 AND state = 'leased' AND lease_owner = $2 AND lease_generation = $3 \
     FOR UPDATE";

/// The next runnable job: pending and due, or leased with an expired lease (a crashed worker).
///
/// Dialect: `FOR UPDATE SKIP LOCKED`: a row another replica is leasing (or triggering, or
/// completing) is skipped rather than waited for, and a row changed by a transaction that
/// committed after this statement's snapshot is re-checked against the `WHERE` clause before it
/// is returned, so two replicas can never both be granted the same key.
pub(crate) const SELECT_NEXT_RUNNABLE: &str = "SELECT id, job_key, state, attempts, generation, \
     lease_generation, causes, rerun_causes, rerun_since, first_triggered_at \
     FROM jobs \
     WHERE (state = 'pending' AND run_after <= $1) \
        OR (state = 'leased' AND lease_expires <= $1) \
     ORDER BY run_after, id \
     LIMIT 1 \
     FOR UPDATE SKIP LOCKED";

/// A new job: `$1` key, `$2` causes JSON, `$3` now.
///
/// Two replicas can race here; `ON CONFLICT` makes the loser wait for the winner's commit and
/// affect zero rows, and the caller then re-reads (and locks) the winner's row.
pub(crate) const INSERT_JOB: &str = "INSERT INTO jobs \
     (job_key, state, attempts, generation, run_after, causes, rerun_causes, \
      first_triggered_at, updated_at) \
     VALUES ($1, 'pending', 0, 0, $3, $2, '[]', $3, $3) \
     ON CONFLICT (job_key) DO NOTHING";

/// Absorbs a trigger into a pending job: `$1` id, `$2` causes JSON, `$3` now.
pub(crate) const COALESCE_PENDING: &str =
    "UPDATE jobs SET causes = $2, updated_at = $3 WHERE id = $1 AND state = 'pending'";

/// Marks a leased job to run again after it finishes: `$1` id, `$2` rerun causes JSON,
/// `$3` rerun_since, `$4` now.
pub(crate) const BUMP_LEASED: &str = "UPDATE jobs SET generation = generation + 1, \
     rerun_causes = $2, rerun_since = $3, updated_at = $4 \
     WHERE id = $1 AND state = 'leased'";

/// Brings a dead job back with a fresh series of attempts: `$1` id, `$2` causes JSON, `$3` now.
pub(crate) const REVIVE_DEAD: &str = "UPDATE jobs SET state = 'pending', attempts = 0, \
     run_after = $3, causes = $2, updated_at = $3 \
     WHERE id = $1 AND state = 'dead'";

/// Grants a lease: `$1` id, `$2` expected generation (guards against a concurrent change),
/// `$3` new generation, `$4` owner, `$5` expiry, `$6` attempts, `$7` causes JSON,
/// `$8` first_triggered_at, `$9` now.
pub(crate) const GRANT_LEASE: &str = "UPDATE jobs SET state = 'leased', generation = $3, \
     lease_generation = $3, lease_owner = $4, lease_expires = $5, attempts = $6, causes = $7, \
     rerun_causes = '[]', rerun_since = NULL, first_triggered_at = $8, updated_at = $9 \
     WHERE id = $1 AND generation = $2";

/// Extends a lease held by `$2` at generation `$3`: `$1` id, `$4` expiry, `$5` now.
pub(crate) const RENEW_LEASE: &str = "UPDATE jobs SET lease_expires = $4, updated_at = $5 \
     WHERE id = $1 AND state = 'leased' AND lease_owner = $2 AND lease_generation = $3";

/// Finishes a job whose run covered every trigger.
pub(crate) const DELETE_JOB: &str = "DELETE FROM jobs WHERE id = $1";

/// Puts a finished job back to pending for the triggers that arrived during its run:
/// `$1` id, `$2` causes JSON, `$3` first_triggered_at, `$4` now.
pub(crate) const REQUEUE_AFTER_RUN: &str = "UPDATE jobs SET state = 'pending', attempts = 0, \
     run_after = $4, lease_owner = NULL, lease_expires = NULL, lease_generation = NULL, \
     causes = $2, rerun_causes = '[]', rerun_since = NULL, last_error = NULL, \
     first_triggered_at = $3, updated_at = $4 \
     WHERE id = $1";

/// Schedules a retry after a failed attempt: `$1` id, `$2` run_after, `$3` causes JSON,
/// `$4` last error, `$5` attempts, `$6` first_triggered_at, `$7` now.
pub(crate) const SCHEDULE_RETRY: &str = "UPDATE jobs SET state = 'pending', run_after = $2, \
     lease_owner = NULL, lease_expires = NULL, lease_generation = NULL, causes = $3, \
     rerun_causes = '[]', rerun_since = NULL, last_error = $4, attempts = $5, \
     first_triggered_at = $6, updated_at = $7 \
     WHERE id = $1";

/// Dead-letters a job: `$1` id, `$2` causes JSON, `$3` last error, `$4` now.
pub(crate) const DEAD_LETTER: &str = "UPDATE jobs SET state = 'dead', lease_owner = NULL, \
     lease_expires = NULL, lease_generation = NULL, causes = $2, rerun_causes = '[]', \
     rerun_since = NULL, last_error = $3, updated_at = $4 \
     WHERE id = $1";

/// Retries a dead job by key: `$1` key, `$2` now.
pub(crate) const RETRY_DEAD: &str = "UPDATE jobs SET state = 'pending', attempts = 0, \
     run_after = $2, updated_at = $2 WHERE job_key = $1 AND state = 'dead'";

/// `SELECT` of the columns [`crate::rows::decode_job_row`] reads, with a `WHERE` clause.
macro_rules! select_job_rows {
    ($where:literal) => {
        concat!(
            "SELECT id, job_key, state, attempts, run_after, lease_owner, lease_expires, ",
            "last_error, causes, rerun_causes, first_triggered_at, updated_at FROM jobs ",
            $where,
            " ORDER BY id"
        )
    };
}

/// Every job, for `plasma-ops jobs`.
pub(crate) const SELECT_JOBS_ALL: &str = select_job_rows!("");
/// Jobs in one state: `$1` state.
pub(crate) const SELECT_JOBS_IN_STATE: &str = select_job_rows!("WHERE state = $1");

/// Job counts per state.
pub(crate) const COUNT_JOBS_BY_STATE: &str = "SELECT state, COUNT(*) FROM jobs GROUP BY state";

// ---- action log ----

pub(crate) const INSERT_ACTION: &str = "INSERT INTO actions \
     (job_key, delivery_id, job_id, kind, dry_run, before_json, after_json, acted_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// The newest actions of a key first: `$1` key, `$2` limit.
pub(crate) const SELECT_ACTIONS: &str = "SELECT id, job_key, delivery_id, job_id, kind, dry_run, \
     before_json, after_json, acted_at FROM actions WHERE job_key = $1 \
     ORDER BY id DESC LIMIT $2";

// ---- re-review requests ----

pub(crate) const SELECT_REREVIEW: &str =
    "SELECT 1 FROM rereviews WHERE job_key = $1 AND head_sha = $2";

pub(crate) const INSERT_REREVIEW: &str = "INSERT INTO rereviews (job_key, head_sha, requested_at) \
     VALUES ($1, $2, $3) ON CONFLICT (job_key, head_sha) DO NOTHING";

// ---- agent labels ----

pub(crate) const SELECT_AGENT_LABELS: &str =
    "SELECT label, files_fingerprint FROM agent_labels WHERE job_key = $1 ORDER BY label";

pub(crate) const DELETE_AGENT_LABELS: &str = "DELETE FROM agent_labels WHERE job_key = $1";

/// A repeated label in one call keeps its last fingerprint.
pub(crate) const UPSERT_AGENT_LABEL: &str = "INSERT INTO agent_labels \
     (job_key, label, files_fingerprint) VALUES ($1, $2, $3) \
     ON CONFLICT (job_key, label) DO UPDATE SET files_fingerprint = excluded.files_fingerprint";

// ---- schedules ----

/// Claims the current period of a periodic task: `$1` name, `$2` owner, `$3` now, `$4` next due.
/// One row affected means this caller won the period; zero means it was already claimed. The
/// conflicting row is locked while the `WHERE` is checked, so concurrent claimants cannot both win.
pub(crate) const CLAIM_SCHEDULE: &str = "INSERT INTO schedules \
     (name, owner, claimed_at, next_due) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, \
     claimed_at = excluded.claimed_at, next_due = excluded.next_due \
     WHERE schedules.next_due <= excluded.claimed_at";

/// Deletes one batch of processed deliveries received before `$1`, at most `$2` rows. An
/// unprocessed delivery is owed work and is never deleted.
pub(crate) const PRUNE_DELIVERIES: &str = "DELETE FROM deliveries WHERE id IN \
     (SELECT id FROM deliveries WHERE processed_at IS NOT NULL AND received_at < $1 LIMIT $2)";

/// Deletes one batch of actions logged before `$1`, oldest first, at most `$2` rows.
pub(crate) const PRUNE_ACTIONS: &str = "DELETE FROM actions WHERE id IN \
     (SELECT id FROM actions WHERE acted_at < $1 ORDER BY acted_at LIMIT $2)";
