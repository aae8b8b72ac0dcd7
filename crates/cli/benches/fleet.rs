//! The fleet load generator: real `plasma-ops serve` processes (one or several) on SQLite or
//! PostgreSQL, the fake GitHub and the sender in this process, all on this machine's cores.
//!
//! `cargo bench -p plasma-ops --bench fleet` with
//! `FLEET_STORE=sqlite|postgres` (default sqlite), `FLEET_REPLICAS` (default 1),
//! `FLEET_PRS` (open pull requests, default 500), `FLEET_FLOOD` (deliveries sent as fast as the
//! replicas acknowledge them, default 3,000), `FLEET_PACED` (deliveries at a steady rate, default
//! 600) and `FLEET_RATE` (that rate per second, default 30), `FLEET_CONCURRENCY` (default 16).
//!
//! Every delivery carries a real change (a new CodeRabbit review on the fake), so each reconcile
//! reads the change and writes labels, the comment and the status. It reports acknowledged
//! deliveries per second, delivery-to-applied latency from the store's own timestamps
//! (`received_at` -> `processed_at`), GitHub calls per delivery, the queue depth over time, the
//! peak RSS of every replica, and the same workload's calls under the original process (a
//! 30-minute cron re-reading every open pull request and requesting a review on each run).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/fleet.rs"]
mod fleet;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fleet::*;
use plasma_fakehub::{FakeCommit, FakeFile, FakeHub, FakePull, FakeReview, RecordedRequest};

const REPO: &str = "plasma-engine/plasma-engine-gateway";

fn var(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Calls {
    total: usize,
    reads: usize,
    not_modified: usize,
    writes: usize,
}

fn calls(r: &[RecordedRequest]) -> Calls {
    let writes = r.iter().filter(|x| x.is_write()).count();
    let not_modified = r.iter().filter(|x| x.status == 304).count();
    Calls { total: r.len(), reads: r.len() - writes - not_modified, not_modified, writes }
}

/// Sends `ids` (a review delivery each) with `concurrency` senders, round-robin over `ports`;
/// `pace` spaces the sends out when set. Returns how many were acknowledged (202).
async fn send(
    http: &reqwest::Client,
    ports: &[u16],
    bodies: Arc<Vec<(String, Vec<u8>, String)>>,
    event: &'static str,
    concurrency: usize,
    pace: Option<Duration>,
) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, ports, bodies) = (http.clone(), ports.to_vec(), Arc::clone(&bodies));
        let (next, acked) = (Arc::clone(&next), Arc::clone(&acked));
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((id, body, sig)) = bodies.get(i) else { return };
                if let Some(p) = pace {
                    let due = t0 + p * i as u32;
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        tokio::time::sleep(wait).await;
                    }
                }
                let port = ports[i % ports.len()];
                let status = http
                    .post(format!("http://127.0.0.1:{port}/webhook"))
                    .header("x-github-event", event)
                    .header("x-github-delivery", id)
                    .header("x-hub-signature-256", sig)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                match status {
                    202 => {
                        acked.fetch_add(1, Ordering::Relaxed);
                    }
                    200 => {}
                    other => panic!("delivery {id} answered {other}"),
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    acked.load(Ordering::Relaxed)
}

/// Waits until no job is pending or leased, sampling the depth every 250 ms.
async fn drain(store: &dyn plasma_store::Store, limit: Duration) -> Vec<(f64, u64)> {
    let t0 = Instant::now();
    let mut samples = Vec::new();
    let mut quiet = 0;
    loop {
        let d = store.queue_depth().await.unwrap();
        let depth = d.pending + d.leased;
        samples.push((t0.elapsed().as_secs_f64(), depth));
        if depth == 0 {
            quiet += 1;
            if quiet >= 4 {
                return samples;
            }
        } else {
            quiet = 0;
        }
        assert!(t0.elapsed() < limit, "queue never drained: {d:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Latency of each delivery, received -> processed, in seconds, sorted.
async fn latencies(store: &dyn plasma_store::Store, ids: &[String]) -> Vec<f64> {
    let mut l = Vec::new();
    for id in ids {
        if let Some(d) = store.delivery(id).await.unwrap()
            && let Some(done) = d.processed_at
        {
            l.push((done - d.received_at) as f64 / 1000.0);
        }
    }
    l.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    l
}

fn review_bodies(
    hub: &FakeHub,
    payloads: &Payloads,
    prefix: &str,
    count: usize,
    prs: &[u64],
) -> Vec<(String, Vec<u8>, String)> {
    (0..count)
        .map(|i| {
            let n = prs[(i * 7919) % prs.len()];
            let state = if i % 2 == 0 { "CHANGES_REQUESTED" } else { "APPROVED" };
            hub.add_review(REPO, n, FakeReview::new("coderabbitai[bot]", state));
            let body =
                serde_json::to_vec(&review_payload(payloads, REPO, n, "coderabbitai[bot]", state))
                    .unwrap();
            let sig = plasma_github::sign(SECRET.as_bytes(), &body);
            (format!("{prefix}-{i}"), body, sig)
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let backend = std::env::var("FLEET_STORE").unwrap_or_else(|_| "sqlite".into());
    let replicas = var("FLEET_REPLICAS", 1);
    let prs = var("FLEET_PRS", 500);
    let flood = var("FLEET_FLOOD", 3_000);
    let paced = var("FLEET_PACED", 600);
    let rate = var("FLEET_RATE", 30).max(1);
    let concurrency = var("FLEET_CONCURRENCY", 16);
    let dir = std::env::temp_dir().join(format!("plasma-ops-fleet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db_name = format!("plasma_fleet_{}", std::process::id());
    let url = match backend.as_str() {
        "postgres" => create_database(&db_name),
        "sqlite" => {
            assert_eq!(replicas, 1, "SQLite is one process; use FLEET_STORE=postgres for more");
            format!("sqlite://{}", dir.join("plasma-ops.db").display())
        }
        other => panic!("FLEET_STORE={other}: sqlite or postgres"),
    };

    let hub = FakeHub::start().await.unwrap();
    hub.set_bot_login("plasma-ops[bot]");
    hub.set_rate_limit(10_000_000, 4_102_444_800);
    hub.add_repo(REPO);
    let mut numbers = Vec::new();
    for i in 0..prs {
        let head = sha(1_000_000 + i as u64);
        let n = hub.add_pull(
            REPO,
            FakePull {
                title: format!("[PE-{}] Change {i}", 100 + i),
                body: Some(
                    "- [x] Tests run\n- [x] Lint pass\n- [x] Docs updated\n- [x] ADR impact: none\n"
                        .into(),
                ),
                user: "bob".into(),
                head_ref: format!("gateway/PE-{}-change-{i}", 100 + i),
                head_sha: head.clone(),
                ..FakePull::default()
            },
        );
        hub.set_files(
            REPO,
            n,
            vec![FakeFile::modified("app/main.py"), FakeFile::modified("docs/README.md")],
        );
        let mut c = FakeCommit::verified(&head, &format!("Change {i}"));
        c.parents = vec!["0".repeat(40)];
        hub.add_commit(REPO, n, c);
        numbers.push(n);
    }
    let payloads = Payloads::load();
    let api = hub.url();
    let ports: Vec<u16> = (0..replicas).map(|_| free_port()).collect();
    let mut children: Vec<std::process::Child> = ports
        .iter()
        .enumerate()
        .map(|(i, &p)| serve_with(&url, &api, p, &dir.join(format!("replica-{i}.log")), 4))
        .collect();
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    for &p in &ports {
        ready(&http, p).await;
    }
    let store = plasma_store::open(&url).await.unwrap();

    // Warm-up: every pull request once (caches cold, every plan writes), not measured.
    let warm = review_bodies(&hub, &payloads, "warm", prs, &numbers);
    send(&http, &ports, Arc::new(warm), "pull_request_review", concurrency, None).await;
    drain(store.as_ref(), Duration::from_secs(900)).await;

    // Flood: acknowledgements per second and the queue as the replicas work it off.
    hub.reset_requests();
    let bodies = review_bodies(&hub, &payloads, "flood", flood, &numbers);
    let ids: Vec<String> = bodies.iter().map(|b| b.0.clone()).collect();
    let t0 = Instant::now();
    let acked =
        send(&http, &ports, Arc::new(bodies), "pull_request_review", concurrency, None).await;
    let ack_secs = t0.elapsed().as_secs_f64();
    let samples = drain(store.as_ref(), Duration::from_secs(900)).await;
    let total_secs = t0.elapsed().as_secs_f64();
    let flood_calls = calls(&hub.requests());
    let flood_lat = latencies(store.as_ref(), &ids).await;

    // Paced: latency when the replicas keep up.
    hub.reset_requests();
    let bodies = review_bodies(&hub, &payloads, "paced", paced, &numbers);
    let ids: Vec<String> = bodies.iter().map(|b| b.0.clone()).collect();
    let pace = Duration::from_secs_f64(1.0 / rate as f64);
    send(&http, &ports, Arc::new(bodies), "pull_request_review", concurrency, Some(pace)).await;
    drain(store.as_ref(), Duration::from_secs(900)).await;
    let paced_calls = calls(&hub.requests());
    let paced_lat = latencies(store.as_ref(), &ids).await;

    // A sweep's cost per pull request when nothing changed (what a periodic heal costs us).
    hub.reset_requests();
    let sweep_bodies: Vec<(String, Vec<u8>, String)> = numbers
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let body = serde_json::to_vec(&pr_payload(
                &payloads,
                "edited",
                REPO,
                n,
                &sha(1_000_000 + i as u64),
            ))
            .unwrap();
            let sig = plasma_github::sign(SECRET.as_bytes(), &body);
            (format!("unchanged-{i}"), body, sig)
        })
        .collect();
    // Twice: the first look after our own writes re-reads what we wrote; the second is warm.
    for round in 0..2 {
        hub.reset_requests();
        let b: Vec<_> = sweep_bodies
            .iter()
            .map(|(id, body, sig)| (format!("{id}-{round}"), body.clone(), sig.clone()))
            .collect();
        send(&http, &ports, Arc::new(b), "pull_request", concurrency, None).await;
        drain(store.as_ref(), Duration::from_secs(900)).await;
    }
    let unchanged = calls(&hub.requests());

    let rss: Vec<String> = children
        .iter()
        .map(|c| peak_rss_mib(c.id()).map_or("?".into(), |m| format!("{m:.0} MiB")))
        .collect();
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    drop(store);
    if backend == "postgres" {
        drop_database(&db_name);
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!("fleet: {backend}, {replicas} replica(s) x 4 workers, {prs} open pull requests");
    println!(
        "flood: {acked}/{flood} acknowledged in {ack_secs:.2} s = {:.0}/s ({concurrency} senders); all applied after {total_secs:.1} s = {:.0} applied/s",
        acked as f64 / ack_secs,
        flood as f64 / total_secs
    );
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let timeline: Vec<String> = samples
        .iter()
        .step_by((samples.len() / 8).max(1))
        .map(|(t, d)| format!("{t:.0}s:{d}"))
        .collect();
    println!("queue depth after the flood (pending + leased): peak {peak}; {}", timeline.join(" "));
    let show = |l: &[f64]| {
        format!(
            "p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} deliveries)",
            percentile(l, 0.5) * 1000.0,
            percentile(l, 0.99) * 1000.0,
            l.last().copied().unwrap_or(f64::NAN) * 1000.0,
            l.len()
        )
    };
    println!("latency in the flood (queueing included): {}", show(&flood_lat));
    println!("latency at {rate}/s: {}", show(&paced_lat));
    let per = |c: &Calls, n: usize| {
        format!(
            "{:.2} calls per delivery ({:.2} reads, {:.2} answered 304, {:.2} writes)",
            c.total as f64 / n as f64,
            c.reads as f64 / n as f64,
            c.not_modified as f64 / n as f64,
            c.writes as f64 / n as f64
        )
    };
    println!("GitHub, flood: {}", per(&flood_calls, flood));
    println!("GitHub, paced: {}", per(&paced_calls, paced));
    println!("GitHub, unchanged pull request (a sweep's cost): {}", per(&unchanged, prs));
    println!("peak RSS per replica: {}", rss.join(", "));

    // The original process over a day with the same open pull requests and the same events:
    // `coderabbit-follow-up` on a 30-minute cron lists the open pull requests, reads each one's
    // reviews and files (2 reads), and posts a review request on each (1 write), every run,
    // whatever happened; events in between are not looked at until the next run.
    let events_per_day = flood + paced;
    let runs = 48;
    let list_pages = prs.div_ceil(100);
    let original_reads = runs * (list_pages + 2 * prs);
    let original_writes = runs * prs;
    let original = original_reads + original_writes;
    // Ours: the measured calls of the day's events, plus a sweep every 30 minutes (the default
    // `PLASMA_OPS_SWEEP_INTERVAL`) that lists the open pull requests and looks at each, measured
    // above on unchanged pull requests. A 304 is not charged to GitHub's rate limit.
    let event_calls = flood_calls.total + paced_calls.total;
    let event_charged = event_calls - flood_calls.not_modified - paced_calls.not_modified;
    let event_writes = flood_calls.writes + paced_calls.writes;
    let sweep_calls = runs * (list_pages + unchanged.total);
    let sweep_charged = runs * (list_pages + unchanged.total - unchanged.not_modified);
    println!(
        "a day of {events_per_day} events on {prs} open pull requests, original cron (every 30 min: list, 2 reads and 1 review request per open pull request): {original} calls, all {original} charged to the rate limit, {original_writes} writes"
    );
    println!(
        "the same day, plasma-ops (events + a sweep every 30 min): {} calls, {} charged to the rate limit ({event_charged} for the events, {sweep_charged} for the sweeps), {event_writes} writes",
        event_calls + sweep_calls,
        event_charged + sweep_charged
    );
}
