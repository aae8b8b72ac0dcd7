//! The fleet load generator: real `plasma-ops serve` processes (one or several) on SQLite or
//! PostgreSQL, the fake GitHub and the sender in this process, all on this machine's cores.
//!
//! `cargo bench -p plasma-ops --bench fleet` with
//! `FLEET_STORE=sqlite|postgres` (default sqlite), `FLEET_REPLICAS` (default 1),
//! `FLEET_PRS` (open pull requests, default 500), `FLEET_FLOOD` (deliveries sent as fast as the
//! replicas acknowledge them, default 3,000), `FLEET_PACED` (deliveries at a steady rate, default
//! 600) and `FLEET_RATE` (that rate per second, default 30), `FLEET_CONCURRENCY` (default 16),
//! `FLEET_WORKERS` (reconcile workers per replica, default 4), `FLEET_LATENCY_MS` (the fake
//! GitHub's answer time, `MIN-MAX` milliseconds, default none) and `FLEET_BIN` (another
//! `plasma-ops` binary to run instead of this build's, for side-by-side comparisons);
//! `FLEET_SERVE_PLASMA_OPS_<NAME>` sets `PLASMA_OPS_<NAME>` for every replica (e.g.
//! `FLEET_SERVE_PLASMA_OPS_SHARED_CACHE_ENTRIES=400000`).
//!
//! `FLEET_MODE` picks what is measured: `full` (the default: everything below), `ingest` (only
//! the flood's acknowledgements per second, then the drain: the ingest figure) or `busy` (a large
//! organisation's busy hour: `FLEET_RATE` deliveries a second for `FLEET_SECONDS`, default 300,
//! delivery-to-applied latency and the queue depth during and after).
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
            review_body(hub, payloads, format!("{prefix}-{i}"), prs[(i * 7919) % prs.len()], i)
        })
        .collect()
}

/// Removes what a run created: the replicas, the database and the scratch directory.
fn teardown(
    children: &mut [std::process::Child],
    backend: &str,
    db_name: &str,
    dir: &std::path::Path,
) {
    for c in children.iter_mut() {
        let _ = c.kill();
        let _ = c.wait();
    }
    if backend == "postgres" {
        drop_database(db_name);
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A fresh review delivery on pull request `n`: the fake gets the review, the body says so.
fn review_body(
    hub: &FakeHub,
    payloads: &Payloads,
    id: String,
    n: u64,
    i: usize,
) -> (String, Vec<u8>, String) {
    let state = if i.is_multiple_of(2) { "CHANGES_REQUESTED" } else { "APPROVED" };
    hub.add_review(REPO, n, FakeReview::new("coderabbitai[bot]", state));
    let body =
        serde_json::to_vec(&review_payload(payloads, REPO, n, "coderabbitai[bot]", state)).unwrap();
    let sig = plasma_github::sign(SECRET.as_bytes(), &body);
    (id, body, sig)
}

/// CPU seconds (user + system) a process has used so far, from `/proc/PID/stat`; 0 when unknown.
fn cpu_secs(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // The command name is in parentheses and may hold spaces: count fields after its end.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else { return 0.0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name; Linux
    // counts them in 100ths of a second.
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds used so far by every PostgreSQL server process on the machine.
fn postgres_cpu_secs() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0.0 };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|pid| cpu_secs(&pid))
        .sum()
}

/// Milliseconds since the epoch, the store's clock.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `FLEET_MODE=busy`: `rate` deliveries a second for `seconds`, each on a pull request picked
/// across all of them, sent on time whatever the answers take (each send is its own task, as
/// GitHub's senders are). Reports what was acknowledged, the delivery-to-applied latency of the
/// phase from the store's timestamps, the queue depth each second and how long after the last
/// delivery it was back to zero.
#[allow(clippy::too_many_arguments)]
async fn busy_hour(
    http: &reqwest::Client,
    hub: &FakeHub,
    payloads: &Payloads,
    store: Arc<dyn plasma_store::Store>,
    ports: &[u16],
    numbers: &[u64],
    rate: usize,
    seconds: usize,
) {
    let total = rate * seconds;
    let start_ms = now_ms();
    let t0 = Instant::now();
    // The queue depth every second, from the start until it is back to zero after the last send.
    let sending = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (store, sending) = (Arc::clone(&store), Arc::clone(&sending));
        tokio::spawn(async move {
            let mut samples: Vec<(f64, u64)> = Vec::new();
            let mut zero_since_end: Option<f64> = None;
            loop {
                let d = store.queue_depth().await.unwrap();
                let depth = d.pending + d.leased;
                let t = t0.elapsed().as_secs_f64();
                samples.push((t, depth));
                if !sending.load(Ordering::SeqCst) {
                    if depth == 0 {
                        zero_since_end.get_or_insert(t);
                        break;
                    }
                    zero_since_end = None;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            (samples, zero_since_end)
        })
    };
    let status = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::<u16, usize>::new()));
    let mut tasks = Vec::with_capacity(total);
    let mut late = Duration::ZERO;
    let pace = Duration::from_secs_f64(1.0 / rate as f64);
    for i in 0..total {
        let due = t0 + pace * i as u32;
        match due.checked_duration_since(Instant::now()) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => late = late.max(due.elapsed()),
        }
        let n = numbers[(i * 7919 + i / numbers.len()) % numbers.len()];
        let (id, body, sig) = review_body(hub, payloads, format!("busy-{i}"), n, i);
        let port = ports[i % ports.len()];
        let (http, status) = (http.clone(), Arc::clone(&status));
        tasks.push(tokio::spawn(async move {
            let code = http
                .post(format!("http://127.0.0.1:{port}/webhook"))
                .header("x-github-event", "pull_request_review")
                .header("x-github-delivery", id)
                .header("x-hub-signature-256", sig)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            *status.lock().unwrap().entry(code).or_default() += 1;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let send_secs = t0.elapsed().as_secs_f64();
    sending.store(false, Ordering::SeqCst);
    let (samples, zero_at) = sampler.await.unwrap();
    let calls = calls(&hub.requests());
    let mut lat: Vec<f64> = store
        .delivery_latencies(start_ms, 10_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|(received, _)| *received >= start_ms)
        .map(|(received, processed)| (processed - received) as f64 / 1000.0)
        .collect();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let answers: Vec<String> =
        status.lock().unwrap().iter().map(|(code, n)| format!("{code}: {n}")).collect();
    println!(
        "busy hour: {total} deliveries at {rate}/s over {seconds} s to {} replica(s), sent in {send_secs:.1} s (the sender was at most {} ms late); answers {}",
        ports.len(),
        late.as_millis(),
        answers.join(", ")
    );
    println!(
        "delivery-to-applied: p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} deliveries applied)",
        percentile(&lat, 0.5) * 1000.0,
        percentile(&lat, 0.9) * 1000.0,
        percentile(&lat, 0.99) * 1000.0,
        lat.last().copied().unwrap_or(f64::NAN) * 1000.0,
        lat.len()
    );
    let during = samples.iter().filter(|s| s.0 <= send_secs);
    let peak = during.clone().map(|s| s.1).max().unwrap_or(0);
    let mean = {
        let v: Vec<u64> = during.map(|s| s.1).collect();
        v.iter().sum::<u64>() as f64 / v.len().max(1) as f64
    };
    println!(
        "queue depth (pending + leased) while sending: mean {mean:.1}, peak {peak}; back to zero {} after the last delivery was acknowledged",
        zero_at.map_or("never".to_owned(), |z| format!("{:.2} s", (z - send_secs).max(0.0)))
    );
    let timeline: Vec<String> = samples
        .iter()
        .step_by((samples.len() / 12).max(1))
        .map(|(t, d)| format!("{t:.0}s:{d}"))
        .collect();
    println!("queue depth over time: {}", timeline.join(" "));
    println!(
        "GitHub: {} calls ({} reads, {} answered 304, {} writes), {:.2} per delivery",
        calls.total,
        calls.reads,
        calls.not_modified,
        calls.writes,
        calls.total as f64 / total.max(1) as f64
    );
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
    let workers = var("FLEET_WORKERS", 4);
    let mode = std::env::var("FLEET_MODE").unwrap_or_else(|_| "full".into());
    let latency: Option<(Duration, Duration)> = std::env::var("FLEET_LATENCY_MS").ok().map(|v| {
        let (lo, hi) = v.split_once('-').unwrap_or((&v, &v));
        let ms =
            |x: &str| Duration::from_millis(x.trim().parse().expect("FLEET_LATENCY_MS=MIN-MAX"));
        (ms(lo), ms(hi))
    });
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
        .map(|(i, &p)| serve_with(&url, &api, p, &dir.join(format!("replica-{i}.log")), workers))
        .collect();
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    for &p in &ports {
        ready(&http, p).await;
    }
    let store = plasma_store::open(&url).await.unwrap();
    println!(
        "fleet: {backend}, {replicas} replica(s) x {workers} workers, {prs} open pull requests, binary {}",
        plasma_ops_bin()
    );

    if mode == "ingest" {
        // The ingest figure: acknowledgements while the workers reconcile what came in.
        let bodies = review_bodies(&hub, &payloads, "flood", flood, &numbers);
        let pids: Vec<String> = children.iter().map(|c| c.id().to_string()).collect();
        let cpu = || {
            let serve: f64 = pids.iter().map(|p| cpu_secs(p)).sum();
            (serve, postgres_cpu_secs(), cpu_secs("self"))
        };
        let before = cpu();
        let t0 = Instant::now();
        let acked =
            send(&http, &ports, Arc::new(bodies), "pull_request_review", concurrency, None).await;
        let ack_secs = t0.elapsed().as_secs_f64();
        let after = cpu();
        // Where the two cores went while deliveries were acknowledged (the workers reconcile
        // beside ingress, so `serve` includes them; "this process" is the sender and the fake).
        println!(
            "CPU during the flood ({ack_secs:.2} s): serve {:.2} s, PostgreSQL {:.2} s, this process {:.2} s",
            after.0 - before.0,
            after.1 - before.1,
            after.2 - before.2
        );
        let samples = drain(store.as_ref(), Duration::from_secs(900)).await;
        println!(
            "ingest: {acked}/{flood} acknowledged in {ack_secs:.2} s = {:.0}/s ({concurrency} senders); all applied after {:.1} s; queue peak {}",
            acked as f64 / ack_secs,
            t0.elapsed().as_secs_f64(),
            samples.iter().map(|s| s.1).max().unwrap_or(0)
        );
        drop(store);
        teardown(&mut children, &backend, &db_name, &dir);
        return;
    }

    if mode == "busy" {
        if std::env::var("FLEET_WARM").as_deref() != Ok("0") {
            // Every pull request seen once before the hour (as a running installation has),
            // answered at once so the warm-up takes minutes, not hours.
            let t = Instant::now();
            let warm = review_bodies(&hub, &payloads, "warm", prs, &numbers);
            send(&http, &ports, Arc::new(warm), "pull_request_review", concurrency, None).await;
            drain(store.as_ref(), Duration::from_secs(3_600)).await;
            println!(
                "warm-up: {prs} pull requests reconciled once in {:.0} s",
                t.elapsed().as_secs_f64()
            );
        }
        hub.set_latency(latency);
        hub.reset_requests();
        let seconds = var("FLEET_SECONDS", 300);
        if let Some((lo, hi)) = latency {
            println!("the fake GitHub answers in {}-{} ms", lo.as_millis(), hi.as_millis());
        }
        busy_hour(&http, &hub, &payloads, Arc::clone(&store), &ports, &numbers, rate, seconds)
            .await;
        let rss: Vec<String> = children
            .iter()
            .map(|c| peak_rss_mib(c.id()).map_or("?".into(), |m| format!("{m:.0} MiB")))
            .collect();
        println!("peak RSS per replica: {}", rss.join(", "));
        drop(store);
        teardown(&mut children, &backend, &db_name, &dir);
        return;
    }
    hub.set_latency(latency);

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
    drop(store);
    teardown(&mut children, &backend, &db_name, &dir);

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
