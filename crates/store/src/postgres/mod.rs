//! The PostgreSQL implementation of [`Store`], for several `serve` replicas on one database.
//!
//! No in-process lock protects anything here: every replica is a separate process, so every
//! read-then-write runs in a transaction that locks the job row it decides on (`FOR UPDATE`), and
//! leasing skips rows other replicas hold (`FOR UPDATE SKIP LOCKED`).

mod sql;

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::error::StoreError;
use crate::exec::{Backend, Commit, Exec, record_in};
use crate::key::JobKey;
use crate::pool::Db;
use crate::types::{NewDelivery, RecordOutcome, Timestamp};

/// Connections per replica: workers, ingress and the sweep share them.
const MAX_CONNECTIONS: u32 = 10;

/// How long an operation waits for a free (or new) connection before reporting the store
/// unavailable: short enough that ingress answers 503 well within GitHub's 10 s delivery timeout.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema. Applying it takes a PostgreSQL advisory lock, so when several replicas start at
/// once exactly one migrates and the others wait for it.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// A server that cannot be reached: what to check is the server, not a file.
fn unreachable(location: String, source: sqlx::Error) -> StoreError {
    StoreError::Connect { location, source }
}

/// The PostgreSQL store: a connection pool; migrations run at open.
#[derive(Debug)]
pub struct PgStore {
    db: Db<Postgres>,
}

impl PgStore {
    /// Connects to `postgres://...` or `postgresql://...` and brings the schema up to date.
    /// Errors name the server and database but never the password.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = connect_options(url)?;
        let location = describe(&options);
        let pool =
            PgPoolOptions::new().max_connections(MAX_CONNECTIONS).acquire_timeout(ACQUIRE_TIMEOUT);
        let db = Db::open(pool, options, &MIGRATOR, location, unreachable).await?;
        Ok(PgStore { db })
    }
}

/// Whether a location names a PostgreSQL database.
pub(crate) fn is_postgres_url(location: &str) -> bool {
    let lower = location.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// Parses the URL; the error never repeats it (it may carry a password).
fn connect_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    let scheme = url.split_once("://").map_or("?", |(scheme, _)| scheme);
    let invalid = |reason: String| StoreError::InvalidLocation {
        location: format!("{scheme}://..."),
        reason,
    };
    if !is_postgres_url(url) {
        return Err(invalid("a PostgreSQL URL starts with `postgres://`".to_owned()));
    }
    PgConnectOptions::from_str(url.trim()).map_err(|_| {
        invalid(
            "not a valid PostgreSQL URL; the form is postgres://USER:PASSWORD@HOST:PORT/DATABASE \
             (percent-encode special characters in the password)"
                .to_owned(),
        )
    })
}

/// `postgres://user@host:port/database`, the password left out.
fn describe(options: &PgConnectOptions) -> String {
    let database = options.get_database().unwrap_or(options.get_username());
    match options.get_socket() {
        Some(socket) => format!(
            "postgres://{}@{}/{database} (socket {})",
            options.get_username(),
            options.get_host(),
            socket.display()
        ),
        None => format!(
            "postgres://{}@{}:{}/{database}",
            options.get_username(),
            options.get_host(),
            options.get_port()
        ),
    }
}

impl Backend for PgStore {
    type Database = Postgres;
    type Read = Exec<Postgres, PoolConnection<Postgres>>;
    type Write<'a> = Exec<Postgres, Transaction<'static, Postgres>>;

    async fn read(&self, op: &'static str) -> Result<Self::Read, StoreError> {
        let conn = self.db.pool.acquire().await.map_err(StoreError::db(op))?;
        Ok(Exec::new(conn, &sql::DIALECT, ()))
    }

    async fn write(&self, op: &'static str) -> Result<Self::Write<'_>, StoreError> {
        let tx = self.db.pool.begin().await.map_err(StoreError::db(op))?;
        Ok(Exec::new(tx, &sql::DIALECT, ()))
    }

    async fn record(
        &self,
        d: &NewDelivery,
        job_keys: &[JobKey],
        now: Timestamp,
    ) -> Result<RecordOutcome, StoreError> {
        const OP: &str = "record a delivery";
        // No group commit: PostgreSQL has real concurrent writers and already flushes the WAL of
        // concurrent commits together, so each delivery commits in its own transaction beside the
        // others. A group commit of concurrent deliveries in one transaction (four round trips
        // per group) was built and measured slower on two cores: one group at a time runs on one
        // backend while the other core waits (BENCHMARKS.md, "Ingest on PostgreSQL").
        let mut tx = self.write(OP).await?;
        let outcome = record_in(&mut tx, d, job_keys, now).await?;
        tx.commit(OP).await?;
        Ok(outcome)
    }

    fn db(&self) -> &Db<Postgres> {
        &self.db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_both_schemes() {
        assert!(is_postgres_url("postgres://db/plasma"));
        assert!(is_postgres_url("postgresql://u@db:5433/plasma"));
        assert!(is_postgres_url("POSTGRES://db/plasma"));
        assert!(!is_postgres_url("sqlite://plasma.db"));
        assert!(!is_postgres_url("plasma.db"));
    }

    #[test]
    fn describes_the_location_without_the_password() {
        let options = connect_options("postgres://ops:hunter2@db.internal:6543/plasma").unwrap();
        let text = describe(&options);
        assert_eq!(text, "postgres://ops@db.internal:6543/plasma");
    }

    #[test]
    fn a_malformed_url_is_rejected_without_echoing_it() {
        let err = connect_options("postgres://ops:hunter2@db:notaport/plasma").unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("postgres://..."), "{text}");
    }
}
