//! The database goes away under a running replica and comes back: `/readyz` and the webhook say
//! 503 while it is gone (GitHub keeps the failed delivery for redelivery), nothing is recorded or
//! lost, and the replica resumes by itself — including the job it was running when the
//! connection dropped.
//!
//! The outage is made by a TCP proxy between the service and the machine's PostgreSQL: cutting it
//! closes every open connection and refuses new ones, exactly what a database restart or a network
//! partition looks like to the pool, without disturbing anyone else's use of the server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use plasma_fakehub::{FakeHub, Fault};
use plasma_github::{Auth, ClientConfig, GitHubClient, Secret};
use support::*;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A proxy that can be cut (every connection closed, new ones refused) and restored.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (up2, conns2) = (Arc::clone(&up), Arc::clone(&conns));
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(client); // refused: the server is "down"
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                conns2.lock().unwrap().push(task.abort_handle());
            }
        });
        Proxy { addr, up, conns }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn admin_url() -> String {
    std::env::var("PLASMA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn psql(sql: &str) -> bool {
    std::process::Command::new("psql")
        .args([admin_url().as_str(), "-q", "-c", sql])
        .status()
        .unwrap_or_else(|e| panic!("cannot run psql ({e}): apt-get install postgresql-client"))
        .success()
}

/// Jobs whose end could not be recorded (`plasma_ops_job_attempts_total{outcome="lease_lost"}`).
async fn lease_lost(env: &Env) -> u64 {
    let text = env.http.get(env.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("plasma_ops_job_attempts_total{outcome=\"lease_lost\"} "))
        .map_or(0, |v| v.trim().parse::<f64>().unwrap() as u64)
}

async fn status(http: &reqwest::Client, url: String) -> u16 {
    match http.get(url).timeout(Duration::from_secs(10)).send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_survives_losing_its_database_and_resumes_without_a_restart() {
    let db = format!("plasma_db_loss_{}", std::process::id());
    let _ = psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    assert!(
        psql(&format!("CREATE DATABASE {db}")),
        "start PostgreSQL on 127.0.0.1:5432 (pg_ctlcluster ... start)"
    );
    let upstream: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let proxy = Proxy::start(upstream).await;
    let url = format!("postgres://postgres@{}/{db}", proxy.addr);

    let hub = FakeHub::start().await.unwrap();
    hub.add_repo(REPO);
    let api = hub.url();
    let mut cfg = service_config(&temp_db("db-loss-unused"), &api);
    cfg.database_url = url.clone();
    let store = plasma_store::open(&url).await.expect("PostgreSQL store through the proxy");
    let gh = GitHubClient::new(
        ClientConfig::new(Auth::Token(Secret::new("test-installation-token")))
            .base_url(api.clone()),
    )
    .unwrap();
    // The wall clock plus an offset the test moves forward, to let a lease lapse without waiting.
    let offset = Arc::new(AtomicI64::new(0));
    let clock: plasma_service::app::Clock = {
        let (wall, offset) = (plasma_service::system_clock(), Arc::clone(&offset));
        Arc::new(move || wall() + offset.load(Ordering::SeqCst))
    };
    let lease_ms = i64::try_from(cfg.lease.as_millis()).unwrap();
    let app = plasma_service::App::new(cfg, store, Some(gh), clock);
    let running = plasma_service::start(app).await.unwrap();
    let env = Env::around(hub, Some(running), temp_db("db-loss-unused"), api);

    // Healthy: a delivery is acknowledged and applied.
    let first = good_pull(&env.hub);
    assert_eq!(status(&env.http, env.url("/readyz")).await, 200);
    assert_eq!(env.deliver("pull_request", "loss-1", &pr_event("opened", first)).await, 202);
    env.settle(Duration::from_secs(30)).await;
    assert_eq!(env.sticky_comments(first), 1);

    // A job is running (its comment write held by GitHub) when the database goes away.
    let second = good_pull(&env.hub);
    let comments = format!("/repos/{REPO}/issues/{second}/comments");
    env.hub.inject(Fault::Stall {
        method: "POST".into(),
        route: comments,
        millis: 2_000,
        times: 1,
    });
    assert_eq!(env.deliver("pull_request", "loss-2", &pr_event("opened", second)).await, 202);
    let start = Instant::now();
    while env.hub.labels_of(REPO, second).is_empty() || env.hub.faults_pending() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "job for loss-2 never reached its write"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proxy.cut();

    // Down: not ready, deliveries refused with 503 (so GitHub offers them for redelivery).
    assert_eq!(status(&env.http, env.url("/readyz")).await, 503);
    let third = good_pull(&env.hub);
    assert_eq!(env.deliver("pull_request", "loss-3", &pr_event("opened", third)).await, 503);
    let metrics = env.http.get(env.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("plasma_ops_store_up") && l.ends_with(" 0")),
        "store_up gauge should read 0 while the database is away:\n{metrics}"
    );
    // The running job ends while the store is away and cannot record its completion; then its
    // lease lapses (the clock moved past it) before the store is back.
    let start = Instant::now();
    while lease_lost(&env).await == 0 {
        assert!(start.elapsed() < Duration::from_secs(30), "the job for loss-2 never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    offset.fetch_add(lease_ms + 1_000, Ordering::SeqCst);

    // Back: ready again without a restart, the refused delivery is accepted on redelivery, and
    // the job that was interrupted is finished by the lease protocol.
    proxy.restore();
    let start = Instant::now();
    while status(&env.http, env.url("/readyz")).await != 200 {
        assert!(start.elapsed() < Duration::from_secs(60), "never became ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let recovered_after = start.elapsed();
    assert_eq!(env.deliver("pull_request", "loss-3", &pr_event("opened", third)).await, 202);
    env.settle(Duration::from_secs(60)).await;
    for n in [first, second, third] {
        assert_eq!(env.sticky_comments(n), 1, "pull request #{n}: one summary comment");
        assert_eq!(env.rereview_requests(n), 1, "pull request #{n}: one re-review request");
        assert_eq!(env.labels(n), ["status:needs-coderabbit-review"], "pull request #{n}");
    }
    let app = env.app();
    for id in ["loss-1", "loss-2", "loss-3"] {
        let d = app.store.delivery(id).await.unwrap().unwrap_or_else(|| panic!("{id} lost"));
        assert!(d.processed_at.is_some(), "{id} acknowledged but never processed");
    }
    let depth = app.store.queue_depth().await.unwrap();
    assert_eq!((depth.pending, depth.leased, depth.dead), (0, 0, 0));
    println!("ready again {recovered_after:?} after the database came back");
    let mut env = env;
    env.stop().await;
    let _ = psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
}
