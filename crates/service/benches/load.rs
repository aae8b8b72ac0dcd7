//! The load generator for `plasma-ops serve` (run: `cargo bench -p plasma-service --bench load`).
//!
//! Everything runs on this machine, in this process: the service, the fake GitHub and the load
//! generator share the same two cores, so the figures are a floor, not a ceiling. It measures:
//! 1. signed deliveries acknowledged per second (durable: each is committed to SQLite first);
//! 2. GitHub calls of one reconcile, cold (empty caches) and warm (unchanged pull request);
//! 3. delivery-to-applied latency, p50/p90/p99, with 1,000 open pull requests, each delivery
//!    carrying a real change (a new CodeRabbit review) so the plan writes;
//! 4. peak resident memory of the process (service + fake + generator: an upper bound).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use plasma_fakehub::{FakeCommit, FakeFile, FakeHub, FakePull, FakeReview};
use plasma_github::{Auth, ClientConfig, GitHubClient, Secret, sign};
use plasma_service::reconcile::{JobContext, reconcile_pr};
use plasma_service::{App, ServiceConfig, start, system_clock};
use tracing_subscriber::layer::SubscriberExt;

/// `reqwest::Body` from shared bytes, cloned without copying.
mod bytes_like {
    pub use axum::body::Bytes;
}

const REPO: &str = "plasma-engine/plasma-engine-gateway";
const SECRET: &str = "bench-secret";

/// Collects `latency_s` of every "job done" event.
struct Latencies(Arc<Mutex<Vec<f64>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Latencies {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct V(Option<f64>);
        impl tracing::field::Visit for V {
            fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
                if field.name() == "latency_s" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut v = V(None);
        event.record(&mut v);
        if let Some(x) = v.0 {
            self.0.lock().unwrap().push(x);
        }
    }
}

fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plasma-ops-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("plasma-ops.db")
}

fn config(db: &Path, api: Option<&str>, workers: usize) -> ServiceConfig {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("PLASMA_OPS_LISTEN".into(), "127.0.0.1:0".into());
    env.insert("PLASMA_OPS_WEBHOOK_SECRET".into(), SECRET.into());
    env.insert("PLASMA_OPS_DATABASE_URL".into(), format!("sqlite://{}", db.display()));
    env.insert("PLASMA_OPS_SWEEP_INTERVAL".into(), "10h".into());
    env.insert("PLASMA_OPS_WORKERS".into(), workers.to_string());
    if let Some(api) = api {
        env.insert("PLASMA_OPS_GITHUB_API_URL".into(), api.into());
        env.insert("PLASMA_OPS_GITHUB_TOKEN".into(), "bench-token".into());
    }
    ServiceConfig::load(&env, None).unwrap()
}

fn client(api: &str) -> GitHubClient {
    GitHubClient::new(
        ClientConfig::new(Auth::Token(Secret::new("bench-token"))).base_url(api.to_string()),
    )
    .unwrap()
}

fn example_payload(number: u64) -> Vec<u8> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/pull_request.opened.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["number"] = serde_json::json!(number);
    v["pull_request"]["number"] = serde_json::json!(number);
    serde_json::to_vec(&v).unwrap()
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn deliver(http: &reqwest::Client, url: &str, event: &str, id: &str, body: Vec<u8>) -> u16 {
    let sig = sign(SECRET.as_bytes(), &body);
    http.post(url)
        .header("x-github-event", event)
        .header("x-github-delivery", id)
        .header("x-hub-signature-256", sig)
        .body(body)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

async fn settle(app: &App, limit: Duration) {
    let start = Instant::now();
    loop {
        let d = app.store.queue_depth().await.unwrap();
        if d.pending + d.leased == 0 {
            return;
        }
        assert!(start.elapsed() < limit, "queue did not drain: {d:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn seed(hub: &FakeHub, prs: u64) {
    for i in 0..prs {
        let n = hub.add_pull(
            REPO,
            FakePull {
                title: format!("[PE-{}] Change {i}", i + 1),
                body: Some(
                    "- [x] Tests run\n- [x] Lint pass\n- [x] Docs updated\n- [x] ADR impact\n"
                        .into(),
                ),
                user: "bob".into(),
                head_ref: format!("gateway/PE-{}-change", i + 1),
                ..FakePull::default()
            },
        );
        hub.set_files(
            REPO,
            n,
            vec![FakeFile::modified("app/main.py"), FakeFile::modified("docs/x.md")],
        );
        let head = hub.head_sha(REPO, n).unwrap();
        hub.add_commit(REPO, n, FakeCommit::verified(&head, "change"));
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Latencies(Arc::clone(&latencies)));
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();

    // 1. Acknowledgements per second: dry run (no GitHub), one worker draining in the background.
    let deliveries: usize =
        std::env::var("BENCH_DELIVERIES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let app = App::new(
        config(&temp_db("ack"), None, 1),
        plasma_store::open(&format!("sqlite://{}", temp_db("ack").display())).await.unwrap(),
        None,
        system_clock(),
    );
    let running = start(app).await.unwrap();
    let url = format!("http://{}/webhook", running.addr);
    // Bodies and their signatures are made before the clock starts: the generator's own work is
    // not what is measured, and it shares the two cores with the service.
    let bodies: Arc<Vec<(reqwest::Body, String)>> = Arc::new(Vec::new());
    let raw: Vec<Vec<u8>> = (1..=1000).map(example_payload).collect();
    let body_len = raw[0].len();
    let signed: Arc<Vec<(bytes_like::Bytes, String)>> = Arc::new(
        raw.into_iter()
            .map(|b| {
                let sig = sign(SECRET.as_bytes(), &b);
                (bytes_like::Bytes::from(b), sig)
            })
            .collect(),
    );
    drop(bodies);
    let t0 = Instant::now();
    let concurrency: usize =
        std::env::var("BENCH_CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let http = http.clone();
        let url = url.clone();
        let signed = Arc::clone(&signed);
        tasks.push(tokio::spawn(async move {
            let mut ok = 0usize;
            let mut i = w;
            while i < deliveries {
                let (body, sig) = &signed[i % signed.len()];
                let sent = http
                    .post(&url)
                    .header("x-github-event", "pull_request")
                    .header("x-github-delivery", format!("ack-{i}"))
                    .header("x-hub-signature-256", sig.as_str())
                    .body(body.clone())
                    .send()
                    .await;
                if sent.map(|r| r.status().as_u16()).unwrap_or(0) == 202 {
                    ok += 1;
                }
                i += concurrency;
            }
            ok
        }));
    }
    let mut acked = 0;
    for t in tasks {
        acked += t.await.unwrap();
    }
    let ack_secs = t0.elapsed().as_secs_f64();
    let recorded = running.app.store.deliveries_unprocessed().await.unwrap_or(0);
    let failed = running.shutdown().await;
    assert!(failed.is_empty(), "service tasks ended abnormally: {failed:?}");
    eprintln!("ack phase done");
    println!("peak RSS after the acknowledgement phase: {:.0} MiB", peak_rss_mib());
    println!(
        "ack: {acked}/{deliveries} deliveries of {body_len} bytes acknowledged (202) in {ack_secs:.2} s = {:.0}/s with {concurrency} concurrent senders; {recorded} still unprocessed by the single dry-run worker",
        acked as f64 / ack_secs
    );

    // 2 and 3: live against the fake with 1,000 open pull requests.
    let prs: u64 = std::env::var("BENCH_PRS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let hub = FakeHub::start().await.unwrap();
    hub.add_repo(REPO);
    // GitHub's 5,000 an hour would stop this run early; the calls are counted instead.
    hub.set_rate_limit(10_000_000, 4_102_444_800);
    seed(&hub, prs);
    let db = temp_db("live");
    let store = plasma_store::open(&format!("sqlite://{}", db.display())).await.unwrap();
    let app =
        App::new(config(&db, Some(&hub.url()), 4), store, Some(client(&hub.url())), system_clock());
    // Calls of one reconcile, cold then warm, through the same path the workers use.
    hub.reset_requests();
    let causes = vec![plasma_store::Cause::from("bench")];
    let key = format!("{REPO}#1");
    reconcile_pr(&app, &JobContext { key: &key, causes: &causes, job_id: None }, REPO, 1)
        .await
        .unwrap();
    let cold = hub.requests();
    hub.reset_requests();
    reconcile_pr(&app, &JobContext { key: &key, causes: &causes, job_id: None }, REPO, 1)
        .await
        .unwrap();
    hub.reset_requests();
    reconcile_pr(&app, &JobContext { key: &key, causes: &causes, job_id: None }, REPO, 1)
        .await
        .unwrap();
    let warm = hub.requests();
    let count = |r: &[plasma_fakehub::RecordedRequest]| {
        let writes = r.iter().filter(|x| x.is_write()).count();
        let not_modified = r.iter().filter(|x| x.status == 304).count();
        (r.len(), writes, r.len() - writes - not_modified, not_modified)
    };
    let (cn, cw, cr, c304) = count(&cold);
    let (wn, ww, wr, w304) = count(&warm);
    println!(
        "calls per reconcile: cold {cn} ({cw} writes, {cr} full reads, {c304} 304s); warm unchanged {wn} ({ww} writes, {wr} full reads, {w304} 304s)"
    );

    let running = start(Arc::clone(&app)).await.unwrap();
    let url = format!("http://{}/webhook", running.addr);
    // Warm every pull request once (the sweep's job), then measure changes.
    let t0 = Instant::now();
    for n in 1..=prs {
        let key = plasma_store::JobKey::Pr { repo: REPO.into(), number: n };
        app.store.trigger(&key, &plasma_store::Cause::Sweep, app.now()).await.unwrap();
    }
    app.notify.notify_waiters();
    settle(&app, Duration::from_secs(600)).await;
    let sweep_secs = t0.elapsed().as_secs_f64();
    println!(
        "first pass over {prs} pull requests (cold caches, every plan writes): {sweep_secs:.1} s = {:.0} reconciles/s",
        prs as f64 / sweep_secs
    );
    latencies.lock().unwrap().clear();
    hub.reset_requests();
    let rate: f64 = std::env::var("BENCH_RATE").ok().and_then(|v| v.parse().ok()).unwrap_or(50.0);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let t0 = Instant::now();
    let mut sent = 0u64;
    for i in 0..prs {
        let n = 1 + (i * 7919) % prs;
        let state = if i % 2 == 0 { "CHANGES_REQUESTED" } else { "APPROVED" };
        hub.add_review(REPO, n, FakeReview::new("coderabbitai[bot]", state));
        let code =
            deliver(&http, &url, "pull_request", &format!("lat-{i}"), example_payload(n)).await;
        assert_eq!(code, 202);
        sent += 1;
        let due = t0 + interval * (i as u32 + 1);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    settle(&app, Duration::from_secs(600)).await;
    let elapsed = t0.elapsed().as_secs_f64();
    let mut l = latencies.lock().unwrap().clone();
    l.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let reqs = hub.requests();
    let writes = reqs.iter().filter(|r| r.is_write()).count();
    println!(
        "latency: {sent} deliveries at {rate:.0}/s over {elapsed:.1} s, {} jobs: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} GitHub calls ({writes} writes)",
        l.len(),
        percentile(&l, 0.50) * 1000.0,
        percentile(&l, 0.90) * 1000.0,
        percentile(&l, 0.99) * 1000.0,
        l.last().copied().unwrap_or(f64::NAN) * 1000.0,
        reqs.len()
    );
    let failed = running.shutdown().await;
    assert!(failed.is_empty(), "service tasks ended abnormally: {failed:?}");
    println!(
        "peak RSS of the whole process (service + fake GitHub + generator): {:.0} MiB",
        peak_rss_mib()
    );
}
