//! The SQL statements both stores run, in one place.
//!
//! The statements use `$n` placeholders, `ON CONFLICT ... DO ...` and plain `LIMIT`, which SQLite
//! and PostgreSQL both accept; the few that must differ are each backend's [`Dialect`].

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

pub(crate) const COUNT_UNPROCESSED_DELIVERIES: &str =
    "SELECT COUNT(*) AS n FROM deliveries WHERE processed_at IS NULL";

// ---- jobs ----

/// `SELECT` of every column [`crate::rows::decode_job_state`] reads, followed by `$rest`
/// (the `WHERE` clause and, per dialect, the row lock).
macro_rules! select_job_state {
    ($($rest:literal),+) => {
        concat!(
            "SELECT id, job_key, state, attempts, generation, run_after, lease_owner, ",
            "lease_expires, lease_generation, causes, rerun_causes, rerun_since, last_error, ",
            "first_triggered_at, updated_at FROM jobs ",
            $($rest),+
        )
    };
}
pub(crate) use select_job_state;

/// The statements whose text differs between the databases; everything else in this module runs
/// unchanged on both.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// The job of a key: `$1` key.
    pub(crate) select_job_by_key: &'static str,
    /// A job by id: `$1` id.
    pub(crate) select_job_by_id: &'static str,
    /// The next runnable job: pending and due, or leased with an expired lease (a crashed
    /// worker): `$1` now.
    pub(crate) select_next_runnable: &'static str,
    /// Deletes one batch of processed deliveries received before `$1`, at most `$2` rows; an
    /// unprocessed delivery is owed work and is never deleted.
    pub(crate) prune_deliveries: &'static str,
    /// How many times a trigger reads the key's row again when it appeared or vanished under it
    /// (a concurrent insert won, or the job completed between two statements).
    pub(crate) trigger_rounds: usize,
    /// The next notification a worker may take (`crate::outbox`): `$1` now.
    pub(crate) select_next_notification: &'static str,
}

/// The condition and order of the next runnable job, for both dialects' lease query.
macro_rules! next_runnable {
    ($lock:literal) => {
        $crate::sql::select_job_state!(
            "WHERE (state = 'pending' AND run_after <= $1) ",
            "OR (state = 'leased' AND lease_expires <= $1) ",
            "ORDER BY run_after, id LIMIT 1",
            $lock
        )
    };
}
pub(crate) use next_runnable;

/// A new job, every column given: `$1` key .. `$14` updated_at, in the column order below.
/// Under PostgreSQL two replicas can race here: `ON CONFLICT` makes the loser affect zero rows,
/// and it then reads the winner's row.
pub(crate) const INSERT_JOB: &str = "INSERT INTO jobs \
     (job_key, state, attempts, generation, run_after, lease_owner, lease_expires, \
      lease_generation, causes, rerun_causes, rerun_since, last_error, first_triggered_at, \
      updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
     ON CONFLICT (job_key) DO NOTHING";

/// Overwrites a job row with what a transition decided, parameters as in [`INSERT_JOB`], then
/// `$15` id and `$16` the generation read: zero rows affected means the row changed since.
pub(crate) const UPDATE_JOB: &str = "UPDATE jobs SET job_key = $1, state = $2, attempts = $3, \
     generation = $4, run_after = $5, lease_owner = $6, lease_expires = $7, \
     lease_generation = $8, causes = $9, rerun_causes = $10, rerun_since = $11, \
     last_error = $12, first_triggered_at = $13, updated_at = $14 \
     WHERE id = $15 AND generation = $16";

/// Finishes a job whose run covered every trigger.
pub(crate) const DELETE_JOB: &str = "DELETE FROM jobs WHERE id = $1";

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
pub(crate) const COUNT_JOBS_BY_STATE: &str = "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state";

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

/// Deletes one batch of actions logged before `$1`, oldest first, at most `$2` rows.
pub(crate) const PRUNE_ACTIONS: &str = "DELETE FROM actions WHERE id IN \
     (SELECT id FROM actions WHERE acted_at < $1 ORDER BY acted_at LIMIT $2)";

// ---- the action log across keys (`plasma-ops actions`, MCP) ----

/// Entries since `$1`, all (`$2` true) or planned only (`$2` false), newest first, at most `$3`.
pub(crate) const FIND_ACTIONS: &str = "SELECT id, job_key, delivery_id, job_id, kind, dry_run, \
     before_json, after_json, acted_at FROM actions WHERE acted_at >= $1 AND ($2 OR dry_run) \
     ORDER BY id DESC LIMIT $3";

/// [`FIND_ACTIONS`] for one key, `$4`.
pub(crate) const FIND_ACTIONS_OF_KEY: &str = "SELECT id, job_key, delivery_id, job_id, kind, \
     dry_run, before_json, after_json, acted_at FROM actions WHERE acted_at >= $1 \
     AND ($2 OR dry_run) AND job_key = $4 ORDER BY id DESC LIMIT $3";

/// Each key with its first and newest entry's time, first written about first, at most `$1`.
pub(crate) const ACTION_KEYS: &str = "SELECT job_key, MIN(acted_at) AS first_at, \
     MAX(acted_at) AS last_at FROM actions GROUP BY job_key ORDER BY first_at, job_key LIMIT $1";
