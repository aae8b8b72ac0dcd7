//! Helpers shared by the store's integration tests: temporary SQLite files and PostgreSQL
//! databases, and a recognisable delivery.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use plasma_store::{JobKey, NewDelivery, PgStore, SqliteStore, Store, Timestamp};

/// A fixed starting time; tests move it forward by hand.
pub const T0: Timestamp = 1_800_000_000_000;

/// A database file in the temp directory, removed (with its WAL and shared-memory files) on drop.
///
/// A file rather than `sqlite::memory:` so that several pooled connections, and several stores,
/// see the same database.
pub struct TempDb {
    pub path: PathBuf,
}

impl TempDb {
    pub fn new(name: &str) -> TempDb {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let file = format!("plasma-store-{name}-{}-{nanos}-{n}.db", std::process::id());
        TempDb { path: std::env::temp_dir().join(file) }
    }

    pub fn path_str(&self) -> &str {
        self.path.to_str().unwrap()
    }

    pub async fn open(&self) -> SqliteStore {
        SqliteStore::open(self.path_str()).await.unwrap()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}

/// The job key a test names by its stored text.
pub fn key(text: &str) -> JobKey {
    text.parse().unwrap()
}

/// A delivery with a recognisable body.
pub fn delivery(id: &str) -> NewDelivery {
    NewDelivery {
        id: id.to_owned(),
        event: "pull_request".to_owned(),
        action: Some("opened".to_owned()),
        repository: Some("plasma/engine".to_owned()),
        installation: Some(42),
        received_at: T0,
        body: format!("{{\"delivery\":\"{id}\"}}").into_bytes(),
    }
}

/// Which database a shared test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database of either backend, removed when dropped; `open` may be called several
/// times (a reopen, or several replicas on one database).
pub enum TestDb {
    Sqlite(TempDb),
    Postgres(PgDb),
}

impl TestDb {
    pub async fn new(backend: Backend, name: &str) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::Sqlite(TempDb::new(name)),
            Backend::Postgres => TestDb::Postgres(PgDb::create().await),
        }
    }

    /// A new store instance (its own connection pool) on this database.
    pub async fn open(&self) -> Arc<dyn Store> {
        match self {
            TestDb::Sqlite(db) => Arc::new(db.open().await),
            TestDb::Postgres(db) => Arc::new(db.open().await),
        }
    }
}

/// The maintenance database tests create their databases through.
pub fn postgres_admin_url() -> String {
    std::env::var("PLASMA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A PostgreSQL database of its own for one test: `plasma_test_<pid>_<n>`, dropped (WITH (FORCE),
/// so open pools do not keep it alive) when this value is dropped, even if the test panicked.
pub struct PgDb {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl PgDb {
    pub async fn create() -> PgDb {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let admin_url = postgres_admin_url();
        let mut admin = admin_connect(&admin_url).await;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // Only digits go into the name: it is spliced into DDL, which takes no bind parameters.
        let name = format!("plasma_test_{}_{n}", std::process::id());
        // A leftover from an earlier run that had the same pid and was killed before cleaning up.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(&mut admin)
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        // Durability of a test database is irrelevant; skipping the flush per commit makes the
        // suite several times faster on a slow disk without changing any visible behaviour.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        )))
        .execute(&mut admin)
        .await
        .unwrap();
        let _ = sqlx::Connection::close(admin).await;
        let url = with_database(&admin_url, &name);
        PgDb { name, url, admin_url }
    }

    pub async fn open(&self) -> PgStore {
        PgStore::open(&self.url).await.unwrap()
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop cannot await: a thread with its own runtime drops the database and is joined.
        let dropper = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let mut admin = admin_connect(&admin_url).await;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .unwrap();
            });
        });
        let _ = dropper.join();
    }
}

/// Connects to the maintenance database, or fails the test saying how to start PostgreSQL.
async fn admin_connect(admin_url: &str) -> sqlx::PgConnection {
    match <sqlx::PgConnection as sqlx::Connection>::connect(admin_url).await {
        Ok(conn) => conn,
        Err(e) => panic!(
            "PostgreSQL is not reachable through {}: {e}\n\
             The PostgreSQL tests need a server: start PostgreSQL: `pg_ctlcluster 15 main start` \
             (see `pg_lsclusters`), or set PLASMA_TEST_POSTGRES_URL to a maintenance database \
             where the user may CREATE DATABASE.",
            without_password(admin_url)
        ),
    }
}

/// The admin URL with its database replaced by `name` (query parameters kept).
pub fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end =
        base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &base[..authority_end])
}

/// The URL with any password replaced by `***`, for messages.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..])
        }
        None => url.to_owned(),
    }
}

/// Runs each named `async fn name(db: &TestDb)` of the calling test file against SQLite and
/// against PostgreSQL: `shared_tests!(a, b)` makes `sqlite::a`, `postgres::a`, and so on.
#[allow(unused_macros)]
macro_rules! shared_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::support::TestDb::new(crate::support::Backend::Sqlite, stringify!($name)).await;
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::support::TestDb::new(crate::support::Backend::Postgres, stringify!($name)).await;
                    super::$name(&db).await;
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use shared_tests;
