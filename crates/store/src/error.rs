//! What can go wrong in the store, worded for the operator who has to act on it.

/// A store failure: what failed, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database location could not be understood.
    #[error(
        "cannot understand the database location {location:?}: {reason}; use `sqlite://PATH`, \
         `sqlite:PATH`, a plain file path, or `postgres://USER:PASSWORD@HOST:PORT/DATABASE`"
    )]
    InvalidLocation {
        /// The location as given.
        location: String,
        /// Why it was rejected.
        reason: String,
    },

    /// The database could not be opened or created.
    #[error(
        "cannot open the database at {location}: {source}; check that the directory exists and \
         that this user may read and write it"
    )]
    Open {
        /// The file or URL.
        location: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// The PostgreSQL server could not be reached or refused the connection.
    #[error(
        "cannot connect to the PostgreSQL database {location}: {source}; check that the server is \
         running and reachable from here, and the user, password and database name"
    )]
    Connect {
        /// The URL without its password.
        location: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// The schema migrations could not be applied.
    #[error(
        "cannot bring the database schema at {location} up to date: {source}; if a newer \
         plasma-ops wrote this file, run that version, otherwise restore a backup"
    )]
    Migrate {
        /// The file or URL.
        location: String,
        /// The migrator's error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// The database is unreachable, locked for too long, out of space or failing I/O.
    #[error(
        "the database is unavailable (while trying to {op}): {source}; the operation can be \
         retried once the database is reachable again (check the disk, its free space and any \
         other program holding the file locked)"
    )]
    Unavailable {
        /// What the store was doing.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// A statement failed for a reason retrying will not fix.
    #[error("database error while trying to {op}: {source}")]
    Query {
        /// What the store was doing.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// The worker no longer holds the job: its lease expired and was taken, or it already reported.
    #[error(
        "the lease on job {key:?} (id {id}) was lost: it expired and another worker took the job \
         (or this attempt was already reported); abandon this attempt, the current holder does the \
         work, and renew leases more often than they expire"
    )]
    LeaseLost {
        /// The job id.
        id: i64,
        /// The job key.
        key: String,
    },

    /// A delivery id that was never recorded.
    #[error("delivery {id:?} is not in the store; record a delivery before marking it processed")]
    DeliveryNotFound {
        /// The delivery id.
        id: String,
    },

    /// The group commit that carried this delivery failed; nothing of the group was committed.
    #[error("cannot {op}: the group commit failed: {detail}")]
    GroupCommit {
        /// What the store was doing.
        op: &'static str,
        /// The error the group hit, as text (it is shared by every delivery of the group).
        detail: String,
        /// Whether that error meant "unavailable".
        unavailable: bool,
    },

    /// A stored value could not be read back.
    #[error(
        "the stored {what} is unreadable: {detail}; the database was changed outside plasma-ops \
         or is damaged"
    )]
    Corrupt {
        /// Which value.
        what: String,
        /// Why it could not be read.
        detail: String,
    },
}

impl StoreError {
    /// True when the database could not be reached (connection lost, locked, I/O, disk full):
    /// answer 503 and retry later rather than treating the request as bad.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable { .. } | StoreError::GroupCommit { unavailable: true, .. }
        )
    }

    /// Wraps a driver error from the operation `op`, deciding whether it means "unavailable".
    pub(crate) fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| {
            if is_unavailable_error(&source) {
                StoreError::Unavailable { op, source }
            } else {
                StoreError::Query { op, source }
            }
        }
    }
}

/// Whether a driver error means the database itself is (perhaps briefly) out of reach.
fn is_unavailable_error(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                return is_unavailable_sqlstate(pg.code());
            }
            db.code()
                .and_then(|code| code.parse::<i32>().ok())
                // SQLite reports extended result codes; the low byte is the primary code.
                .is_some_and(|code| {
                    matches!(
                        code & 0xff,
                        SQLITE_BUSY | SQLITE_LOCKED | SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN
                    )
                })
        }
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs that mean the server, not the statement, is the problem: class 08
/// (connection exception), class 53 (insufficient resources: disk full, out of memory, too many
/// connections), 57P01-57P03 (admin or crash shutdown, cannot connect now), and class 58 (I/O).
fn is_unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("58")
        || matches!(code, "57P01" | "57P02" | "57P03")
}

const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_IOERR: i32 = 10;
const SQLITE_FULL: i32 = 13;
const SQLITE_CANTOPEN: i32 = 14;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_loss_is_unavailable() {
        let err = StoreError::db("ping")(sqlx::Error::PoolTimedOut);
        assert!(err.is_unavailable());
        assert!(err.to_string().contains("while trying to ping"));
    }

    #[test]
    fn postgres_shutdown_and_connection_errors_are_unavailable() {
        for code in ["57P01", "57P02", "57P03", "08006", "08001", "53300", "53100", "58030"] {
            assert!(is_unavailable_sqlstate(code), "{code}");
        }
        for code in ["23505", "40001", "40P01", "42P01", "22001"] {
            assert!(!is_unavailable_sqlstate(code), "{code}");
        }
        assert!(StoreError::db("lease a job")(sqlx::Error::PoolClosed).is_unavailable());
    }

    #[test]
    fn a_bad_statement_is_not_unavailable() {
        let err = StoreError::db("list jobs")(sqlx::Error::RowNotFound);
        assert!(!err.is_unavailable());
    }

    #[test]
    fn lease_lost_says_what_to_do() {
        let err = StoreError::LeaseLost { id: 3, key: "o/r#1".into() };
        let text = err.to_string();
        assert!(text.contains("o/r#1") && text.contains("abandon this attempt"), "{text}");
    }
}
