//! The parts the notification tests share: a Slack-like HTTP receiver that counts what it was
//! sent, fresh databases of both kinds, and a clock the test moves by hand.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use plasma_notify::{Clock, Dispatcher, Env, Sender};
use plasma_store::{PgStore, SqliteStore, Store};
use serde_json::Value;

pub const T0: i64 = 1_800_000_000_000;

/// How the receiver answers each request, in order; after the list, 200 `ok`.
#[derive(Debug, Clone)]
pub enum Answer {
    Ok,
    TooMany { retry_after_s: u64 },
    Status(u16, &'static str),
}

#[derive(Default)]
pub struct Received {
    /// Every request's body, answered or not.
    pub requests: Vec<Value>,
    /// The bodies answered 200.
    pub accepted: Vec<Value>,
    script: Vec<Answer>,
}

/// A local stand-in for Slack's webhook endpoint.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Received>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start(script: Vec<Answer>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Receiver::on(listener, script)
    }

    pub fn on(listener: tokio::net::TcpListener, script: Vec<Answer>) -> Receiver {
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Received { script, ..Received::default() }));
        let app = axum::Router::new()
            .route("/services/T0/B0/secret", post(hook))
            .with_state(Arc::clone(&received));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { url: format!("http://{addr}/services/T0/B0/secret"), received, task }
    }

    pub fn accepted(&self) -> Vec<Value> {
        self.received.lock().unwrap().accepted.clone()
    }

    pub fn requests(&self) -> usize {
        self.received.lock().unwrap().requests.len()
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

async fn hook(
    State(received): State<Arc<Mutex<Received>>>,
    _headers: HeaderMap,
    body: String,
) -> (StatusCode, HeaderMap, String) {
    let mut r = received.lock().unwrap();
    let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    r.requests.push(value.clone());
    let answer = if r.script.is_empty() { Answer::Ok } else { r.script.remove(0) };
    let mut headers = HeaderMap::new();
    match answer {
        Answer::Ok => {
            r.accepted.push(value);
            (StatusCode::OK, headers, "ok".into())
        }
        Answer::TooMany { retry_after_s } => {
            headers.insert("retry-after", retry_after_s.to_string().parse().unwrap());
            (StatusCode::TOO_MANY_REQUESTS, headers, "rate_limited".into())
        }
        Answer::Status(code, text) => (StatusCode::from_u16(code).unwrap(), headers, text.into()),
    }
}

/// A clock the test moves.
#[derive(Clone)]
pub struct TestClock(pub Arc<AtomicI64>);

impl TestClock {
    pub fn new() -> TestClock {
        TestClock(Arc::new(AtomicI64::new(T0)))
    }
    pub fn clock(&self) -> Clock {
        let t = Arc::clone(&self.0);
        Arc::new(move || t.load(Ordering::SeqCst))
    }
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
    pub fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A sender whose environment holds `vars`, without Slack's pacing.
pub fn sender(vars: &[(&str, &str)]) -> Arc<Sender> {
    let vars: BTreeMap<String, String> =
        vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Arc::new(Sender::new(Env::fixed(vars), None).unwrap().with_pace(Duration::ZERO))
}

pub fn dispatcher(
    store: &Arc<dyn Store>,
    sender: &Arc<Sender>,
    owner: &str,
    clock: &TestClock,
) -> Dispatcher {
    Dispatcher::new(Arc::clone(store), Arc::clone(sender), owner.to_owned(), clock.clock())
}

/// Which database.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database, dropped with the value.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { name: String, url: String },
}

fn admin_url() -> String {
    std::env::var("PLASMA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::Sqlite(tempfile::tempdir().unwrap()),
            Backend::Postgres => {
                static N: AtomicU64 = AtomicU64::new(0);
                let name = format!(
                    "plasma_notify_{}_{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                );
                let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url())
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL on 127.0.0.1:5432 is needed (pg_ctlcluster 15 main start): {e}"));
                for sql in [
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    format!("CREATE DATABASE {name}"),
                ] {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.unwrap();
                }
                let admin = admin_url();
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
                let url = format!("{base}/{name}");
                TestDb::Postgres { name, url }
            }
        }
    }

    pub async fn open(&self) -> Arc<dyn Store> {
        match self {
            TestDb::Sqlite(dir) => {
                let path = dir.path().join("plasma-ops.db");
                Arc::new(SqliteStore::open(path.to_str().unwrap()).await.unwrap())
            }
            TestDb::Postgres { url, .. } => Arc::new(PgStore::open(url).await.unwrap()),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { name, .. } = self {
            let name = name.clone();
            let _ = std::thread::spawn(move || {
                let rt =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async move {
                    if let Ok(mut admin) =
                        <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url()).await
                    {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await;
                    }
                });
            })
            .join();
        }
    }
}
