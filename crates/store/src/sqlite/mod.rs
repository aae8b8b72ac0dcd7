//! The SQLite implementation of [`Store`]: an embedded file in WAL mode.

mod sql;

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};
use tokio::sync::{Mutex, MutexGuard};

use crate::error::StoreError;
use crate::exec::{Backend, Commit, Exec, record_in};
use crate::key::JobKey;
use crate::pool::Db;
use crate::types::{NewDelivery, RecordOutcome, Timestamp};

/// How long a statement waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections for a file database: WAL lets readers proceed beside the single writer.
const MAX_CONNECTIONS: u32 = 8;

/// How long an operation waits for a free connection before reporting the store unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema, applied when the file is opened (a new file starts empty).
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// A file that cannot be opened: what to check is the path and its permissions.
fn unopenable(location: String, source: sqlx::Error) -> StoreError {
    StoreError::Open { location, source }
}

/// The embedded store: one SQLite file in WAL mode, created on first use.
///
/// Durability: WAL with `synchronous=NORMAL`. A committed transaction is in the WAL file before
/// the commit returns, so it survives the process crashing or being killed; only an operating
/// system crash or power loss can lose the last transactions before the next checkpoint.
#[derive(Debug)]
pub struct SqliteStore {
    db: Db<Sqlite>,
    /// Serialises this process's writers before they reach SQLite: waiting on an async mutex is
    /// fair and wakes at once, whereas SQLite's busy handler sleeps and polls. Other processes on
    /// the same file are still arbitrated by SQLite's lock and `BUSY_TIMEOUT`.
    write_gate: Mutex<()>,
    /// Deliveries waiting to be committed: whoever holds the gate commits every waiting one in a
    /// single transaction (group commit), so concurrent webhooks share one commit.
    batch: std::sync::Mutex<Vec<PendingDelivery>>,
}

/// A `record_delivery` call waiting for its group commit.
#[derive(Debug)]
struct PendingDelivery {
    delivery: NewDelivery,
    keys: Vec<JobKey>,
    now: Timestamp,
    done: tokio::sync::oneshot::Sender<Result<RecordOutcome, StoreError>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `sqlite://PATH`, `sqlite:PATH` or a bare path,
    /// and applies the embedded migrations. `sqlite::memory:` gives a private in-memory database
    /// (one connection, so every call sees the same data).
    pub async fn open(url_or_path: &str) -> Result<Self, StoreError> {
        let (options, in_memory) = connect_options(url_or_path)?;
        let location = if in_memory {
            "in-memory database".to_owned()
        } else {
            options.get_filename().display().to_string()
        };
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT);

        let pool_options = if in_memory {
            // An in-memory database lives only as long as a connection to it: keep exactly one.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS)
        };
        let pool = pool_options.acquire_timeout(ACQUIRE_TIMEOUT);
        let db = Db::open(pool, options, &MIGRATOR, location, unopenable).await?;
        Ok(SqliteStore { db, write_gate: Mutex::new(()), batch: std::sync::Mutex::new(Vec::new()) })
    }

    /// One transaction for a group of deliveries; every caller gets its own outcome (or, if the
    /// transaction fails, the error: nothing of the group was committed, so nothing was
    /// acknowledged).
    async fn commit_deliveries(&self, group: Vec<PendingDelivery>) {
        const OP: &str = "record a delivery";
        let result: Result<Vec<RecordOutcome>, StoreError> = async {
            // The caller holds the write gate.
            let tx = self.db.pool.begin_with(sql::BEGIN_WRITE).await.map_err(StoreError::db(OP))?;
            let mut tx = Exec::new(tx, &sql::DIALECT, ());
            let mut outcomes = Vec::with_capacity(group.len());
            for p in &group {
                outcomes.push(record_in(&mut tx, &p.delivery, &p.keys, p.now).await?);
            }
            tx.commit(OP).await?;
            Ok(outcomes)
        }
        .await;
        match result {
            Ok(outcomes) => {
                for (p, o) in group.into_iter().zip(outcomes) {
                    let _ = p.done.send(Ok(o));
                }
            }
            Err(e) => {
                let detail = e.to_string();
                let unavailable = e.is_unavailable();
                for p in group {
                    let err =
                        StoreError::GroupCommit { op: OP, detail: detail.clone(), unavailable };
                    let _ = p.done.send(Err(err));
                }
            }
        }
    }
}

/// Parses the location into connect options; the flag says whether it is in memory.
fn connect_options(url_or_path: &str) -> Result<(SqliteConnectOptions, bool), StoreError> {
    let invalid = |reason: &str| StoreError::InvalidLocation {
        location: url_or_path.to_owned(),
        reason: reason.to_owned(),
    };
    if url_or_path.trim().is_empty() {
        return Err(invalid("it is empty"));
    }
    if url_or_path.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url_or_path)
            .map_err(|e| invalid(&format!("not a valid SQLite URL ({e})")))?;
        let in_memory = url_or_path.contains(":memory:") || url_or_path.contains("mode=memory");
        return Ok((options, in_memory));
    }
    if let Some((scheme, _)) = url_or_path.split_once("://") {
        // Never echo the rest: a database URL can carry a password.
        return Err(StoreError::InvalidLocation {
            location: format!("{scheme}://..."),
            reason: format!("`{scheme}` databases are not supported by the SQLite store"),
        });
    }
    Ok((SqliteConnectOptions::new().filename(url_or_path), false))
}

/// A write transaction of this process, holding the write gate until it ends.
type WriteTx<'a> = Exec<Sqlite, Transaction<'static, Sqlite>, MutexGuard<'a, ()>>;

impl Backend for SqliteStore {
    type Database = Sqlite;
    type Read = Exec<Sqlite, PoolConnection<Sqlite>>;
    type Write<'a> = WriteTx<'a>;

    async fn read(&self, op: &'static str) -> Result<Self::Read, StoreError> {
        let conn = self.db.pool.acquire().await.map_err(StoreError::db(op))?;
        Ok(Exec::new(conn, &sql::DIALECT, ()))
    }

    async fn write(&self, op: &'static str) -> Result<WriteTx<'_>, StoreError> {
        let gate = self.write_gate.lock().await;
        let tx = self.db.pool.begin_with(sql::BEGIN_WRITE).await.map_err(StoreError::db(op))?;
        Ok(Exec::new(tx, &sql::DIALECT, gate))
    }

    async fn record(
        &self,
        d: &NewDelivery,
        job_keys: &[JobKey],
        now: Timestamp,
    ) -> Result<RecordOutcome, StoreError> {
        const OP: &str = "record a delivery";
        let (done, answer) = tokio::sync::oneshot::channel();
        self.batch.lock().unwrap_or_else(|e| e.into_inner()).push(PendingDelivery {
            delivery: d.clone(),
            keys: job_keys.to_vec(),
            now,
            done,
        });
        {
            // The gate holder commits every delivery waiting at that moment, ours included unless
            // an earlier holder already took it.
            let _gate = self.write_gate.lock().await;
            let waiting =
                std::mem::take(&mut *self.batch.lock().unwrap_or_else(|e| e.into_inner()));
            if !waiting.is_empty() {
                self.commit_deliveries(waiting).await;
            }
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::GroupCommit {
                op: OP,
                detail: "the group commit was abandoned".into(),
                unavailable: true,
            })
        })
    }

    fn db(&self) -> &Db<Sqlite> {
        &self.db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_urls_and_bare_paths() {
        for location in ["sqlite://data/plasma.db", "sqlite:data/plasma.db", "data/plasma.db"] {
            let (options, in_memory) = connect_options(location).unwrap();
            assert!(!in_memory, "{location}");
            assert_eq!(
                options.get_filename(),
                std::path::Path::new("data/plasma.db"),
                "{location}"
            );
        }
        assert!(connect_options("sqlite::memory:").unwrap().1);
    }

    #[test]
    fn rejects_other_schemes_without_echoing_credentials() {
        let err = connect_options("postgres://user:secret@db/plasma").unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("postgres"), "{text}");
        assert!(connect_options("  ").is_err());
    }
}
