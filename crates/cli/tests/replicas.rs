//! The replica proof: three `plasma-ops serve` processes on one PostgreSQL database behind a
//! round-robin sender, 200 pull requests, 2,000 signed deliveries (10% duplicates, shuffled and
//! late), one replica killed with SIGKILL and started again, the database restarted once
//! (`pg_ctlcluster ... restart`), and a fake GitHub answering 5% of requests with 502 and twice
//! with a secondary rate limit. At the end every pull request is in exactly its desired state and
//! nothing acknowledged was lost. The test prints its counts.
//!
//! The sender behaves like GitHub behind a load balancer: a replica that refuses the connection or
//! answers 503 gets the delivery retried on the next one (GitHub's redelivery, made automatic).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support {
    pub mod fleet;
}

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use plasma_fakehub::{
    FakeCheckRun, FakeCommit, FakeFile, FakeHub, FakePull, FakeReview, FakeStatus, Fault,
};
use plasma_store::JobFilter;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use support::fleet::*;

const REPOS: [&str; 4] = [
    "plasma-engine/plasma-engine-gateway",
    "plasma-engine/plasma-engine-brain",
    "plasma-engine/plasma-engine-research",
    "plasma-engine/plasma-engine-content",
];
const PULLS: usize = 200;
const UNIQUE: usize = 1_800;
const DUPLICATES: usize = 200;
const REPLICAS: usize = 3;
const CODERABBIT: &str = "coderabbitai[bot]";
const SUMMARY_MARKER: &str = "<!-- plasma-ops:summary -->";
const REREVIEW_MARKER: &str = "<!-- plasma-ops:rereview sha=";

/// What happens to a pull request, and so what its end state must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// CodeRabbit and a human approve, checks green: approved, success.
    Approved,
    /// CodeRabbit requests changes: needs-cursor-fix and the agent labels.
    ChangesRequested,
    /// Changes requested, then a new commit: back to needs-review, one request for the new head.
    NewCommit,
    /// Opened and left waiting for CodeRabbit.
    Waiting,
}

struct Pull {
    repo: &'static str,
    number: u64,
    class: Class,
}

#[derive(Clone)]
struct Delivery {
    id: String,
    event: &'static str,
    body: Vec<u8>,
}

/// A state change GitHub made, applied to the fake before the deliveries that describe it.
type Change = Box<dyn FnOnce(&FakeHub) + Send>;

/// One phase: the state changes GitHub made, then the deliveries that describe them.
#[derive(Default)]
struct Phase {
    changes: Vec<Change>,
    deliveries: Vec<(&'static str, Value)>,
}

/// Counts kept by the senders.
#[derive(Default)]
struct Sent {
    accepted: AtomicUsize,
    duplicate: AtomicUsize,
    refused_503: AtomicUsize,
    connection_failed: AtomicUsize,
    acknowledged: Mutex<HashSet<String>>,
}

async fn deliver(http: &reqwest::Client, ports: &[u16], first: usize, d: &Delivery, sent: &Sent) {
    let start = Instant::now();
    let mut i = first;
    loop {
        let port = ports[i % ports.len()];
        let answer = http
            .post(format!("http://127.0.0.1:{port}/webhook"))
            .header("x-github-event", d.event)
            .header("x-github-delivery", &d.id)
            .header("x-hub-signature-256", plasma_github::sign(SECRET.as_bytes(), &d.body))
            .header("content-type", "application/json")
            .timeout(Duration::from_secs(15))
            .body(d.body.clone())
            .send()
            .await;
        match answer.map(|r| r.status().as_u16()) {
            Ok(202) => {
                sent.accepted.fetch_add(1, Ordering::Relaxed);
                sent.acknowledged.lock().unwrap().insert(d.id.clone());
                return;
            }
            Ok(200) => {
                sent.duplicate.fetch_add(1, Ordering::Relaxed);
                sent.acknowledged.lock().unwrap().insert(d.id.clone());
                return;
            }
            Ok(503) => {
                sent.refused_503.fetch_add(1, Ordering::Relaxed);
            }
            Ok(other) => panic!("delivery {} answered {other}", d.id),
            Err(_) => {
                sent.connection_failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        assert!(start.elapsed() < Duration::from_secs(120), "delivery {} never accepted", d.id);
        i += 1;
        if i % ports.len() == first % ports.len() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_one_database_crashes_restarts_and_faults_lose_nothing() {
    let run_start = Instant::now();
    let mut rng = StdRng::seed_from_u64(20261127);
    let db = format!("plasma_replicas_{}", std::process::id());
    let url = create_database(&db);
    let dir = std::env::temp_dir().join(format!("plasma-ops-replicas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let hub = FakeHub::start().await.unwrap();
    hub.set_bot_login("plasma-ops[bot]");
    hub.set_rate_limit(10_000_000, 4_102_444_800);
    for r in REPOS {
        hub.add_repo(r);
    }

    // 200 pull requests, four kinds in turn, spread over four repositories.
    let payloads = Payloads::load();
    let mut pulls = Vec::new();
    let mut heads: HashMap<(&str, u64), String> = HashMap::new();
    let classes = [Class::Approved, Class::ChangesRequested, Class::NewCommit, Class::Waiting];
    for i in 0..PULLS {
        let repo = REPOS[i % REPOS.len()];
        let short = repo.trim_start_matches("plasma-engine/plasma-engine-");
        let key = 100 + i;
        let head = sha(1_000_000 + i as u64);
        let n = hub.add_pull(
            repo,
            FakePull {
                title: format!("[PE-{key}] Change number {i}"),
                body: Some(
                    "- [x] Tests run\n- [x] Lint pass\n- [x] Docs updated\n- [x] ADR impact: none\n"
                        .into(),
                ),
                user: "bob".into(),
                head_ref: format!("{short}/PE-{key}-change-{i}"),
                head_sha: head.clone(),
                ..FakePull::default()
            },
        );
        hub.set_files(
            repo,
            n,
            vec![FakeFile::modified("app/main.py"), FakeFile::modified("docs/README.md")],
        );
        let mut c = FakeCommit::verified(&head, &format!("Change {i}"));
        c.parents = vec!["0".repeat(40)];
        hub.add_commit(repo, n, c);
        heads.insert((repo, n), head);
        pulls.push(Pull { repo, number: n, class: classes[i % classes.len()] });
    }

    // Three phases of GitHub activity, each followed by the deliveries describing it.
    let mut phases: Vec<Phase> = (0..3).map(|_| Phase::default()).collect();
    let mut final_heads = heads.clone();
    for (i, p) in pulls.iter().enumerate() {
        let (repo, n) = (p.repo, p.number);
        let head = heads[&(repo, n)].clone();
        phases[0]
            .deliveries
            .push(("pull_request", pr_payload(&payloads, "opened", repo, n, &head)));
        phases[0]
            .deliveries
            .push(("pull_request", pr_payload(&payloads, "edited", repo, n, &head)));
        let mut head_now = head.clone();
        match p.class {
            Class::Approved => {
                phases[1].changes.push(Box::new(move |h: &FakeHub| {
                    h.add_review(repo, n, FakeReview::new(CODERABBIT, "APPROVED"));
                    h.add_review(repo, n, FakeReview::new("alice", "APPROVED"));
                }));
                phases[1].deliveries.push((
                    "pull_request_review",
                    review_payload(&payloads, repo, n, CODERABBIT, "APPROVED"),
                ));
                phases[1].deliveries.push((
                    "pull_request_review",
                    review_payload(&payloads, repo, n, "alice", "APPROVED"),
                ));
            }
            Class::ChangesRequested | Class::NewCommit => {
                phases[1].changes.push(Box::new(move |h: &FakeHub| {
                    h.add_review(repo, n, FakeReview::new(CODERABBIT, "CHANGES_REQUESTED"));
                }));
                phases[1].deliveries.push((
                    "pull_request_review",
                    review_payload(&payloads, repo, n, CODERABBIT, "CHANGES_REQUESTED"),
                ));
                if p.class == Class::NewCommit {
                    let new_head = sha(2_000_000 + i as u64);
                    let parent = head.clone();
                    let pushed = new_head.clone();
                    phases[2].changes.push(Box::new(move |h: &FakeHub| {
                        let mut c = FakeCommit::verified(&pushed, "Address review");
                        c.parents = vec![parent];
                        h.push_commit(repo, n, c);
                    }));
                    phases[2].deliveries.push((
                        "pull_request",
                        pr_payload(&payloads, "synchronize", repo, n, &new_head),
                    ));
                    head_now = new_head.clone();
                    final_heads.insert((repo, n), new_head);
                }
            }
            Class::Waiting => {
                phases[1].deliveries.push(("issue_comment", comment_payload(&payloads, repo, n)));
            }
        }
        // Checks on the final head: green for the approved ones, one red elsewhere.
        let red = p.class != Class::Approved;
        let checks: Vec<(&str, &str)> = vec![
            ("lint", "success"),
            ("test", if red { "failure" } else { "success" }),
            ("security-scan", "success"),
        ];
        let h2 = head_now.clone();
        let checks2: Vec<(String, String)> =
            checks.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        phases[2].changes.push(Box::new(move |h: &FakeHub| {
            for (name, c) in &checks2 {
                h.add_check_run(repo, &h2, FakeCheckRun::completed(name, c));
            }
            h.add_status(repo, &h2, FakeStatus::new("CodeRabbit", "success"));
        }));
        for (name, c) in checks {
            phases[2]
                .deliveries
                .push(("check_run", check_run_payload(&payloads, repo, n, &head_now, name, c)));
        }
        phases[2]
            .deliveries
            .push(("status", status_payload(&payloads, repo, &head_now, "CodeRabbit", "success")));
    }
    // Pad to exactly 1,800 unique deliveries with edits spread over the pull requests.
    let mut total: usize = phases.iter().map(|p| p.deliveries.len()).sum();
    assert!(total <= UNIQUE, "{total} deliveries before padding");
    while total < UNIQUE {
        let p = &pulls[rng.random_range(0..pulls.len())];
        let head = final_heads[&(p.repo, p.number)].clone();
        phases[2]
            .deliveries
            .push(("pull_request", pr_payload(&payloads, "edited", p.repo, p.number, &head)));
        total += 1;
    }
    // Ids, shuffled order inside each phase, 10% of each phase arriving one phase late, and 200
    // duplicates re-sent later at random places.
    let mut serial = 0;
    let mut batches: Vec<Vec<Delivery>> = vec![Vec::new(); 3];
    let mut late: Vec<Delivery> = Vec::new();
    let mut changes: Vec<Vec<Change>> = Vec::new();
    for (k, phase) in phases.into_iter().enumerate() {
        changes.push(phase.changes);
        let mut ds: Vec<Delivery> = phase
            .deliveries
            .into_iter()
            .map(|(event, v)| {
                serial += 1;
                Delivery {
                    id: format!("replica-{serial:05}"),
                    event,
                    body: serde_json::to_vec(&v).unwrap(),
                }
            })
            .collect();
        ds.shuffle(&mut rng);
        batches[k].append(&mut late);
        let cut = ds.len() / 10;
        if k < 2 {
            late = ds.split_off(ds.len() - cut);
        }
        batches[k].append(&mut ds);
        batches[k].shuffle(&mut rng);
    }
    let all_unique: Vec<Delivery> = batches.iter().flatten().cloned().collect();
    assert_eq!(all_unique.len(), UNIQUE);
    for _ in 0..DUPLICATES {
        let d = all_unique[rng.random_range(0..all_unique.len())].clone();
        // A duplicate lands in the original's batch or a later one, after the original.
        let home = batches.iter().position(|b| b.iter().any(|x| x.id == d.id)).unwrap();
        let k = rng.random_range(home..3);
        let at = if k == home {
            let orig = batches[k].iter().position(|x| x.id == d.id).unwrap();
            rng.random_range(orig + 1..=batches[k].len())
        } else {
            rng.random_range(0..=batches[k].len())
        };
        batches[k].insert(at, d);
    }
    let sends: usize = batches.iter().map(Vec::len).sum();
    assert_eq!(sends, UNIQUE + DUPLICATES);

    // Three replicas, one database, the fake failing 5% of requests with 502.
    hub.fail_every(502, 20);
    let ports: Vec<u16> = (0..REPLICAS).map(|_| free_port()).collect();
    let logs: Vec<std::path::PathBuf> =
        (0..REPLICAS).map(|i| dir.join(format!("replica-{i}.log"))).collect();
    let api = hub.url();
    let children: Arc<Mutex<Vec<Child>>> = Arc::new(Mutex::new(
        (0..REPLICAS).map(|i| serve(&url, &api, ports[i], &logs[i])).collect(),
    ));
    let http = reqwest::Client::new();
    for &p in &ports {
        ready(&http, p).await;
    }

    // Send at a steady pace so the kill and the restart land in the middle of the traffic.
    let sent = Arc::new(Sent::default());
    let progress = Arc::new(AtomicUsize::new(0));
    let mut events: Vec<String> = Vec::new();
    let mut secondary_injected = 0;
    let mut killed = false;
    // The restart runs beside the traffic, so deliveries arrive while the database is away.
    let mut db_restart: Option<tokio::task::JoinHandle<Result<Duration, String>>> = None;
    let mut changes = changes.into_iter();
    for batch in batches {
        for change in changes.next().unwrap_or_default() {
            change(&hub);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for d in batch {
            let k = progress.fetch_add(1, Ordering::SeqCst);
            // Faults at fixed points of the traffic.
            if (k == 500 || k == 1_100) && secondary_injected < 2 {
                hub.inject(Fault::SecondaryRateLimit { retry_after_secs: 1, times: 1 });
                secondary_injected += 1;
                events
                    .push(format!("delivery {k}: secondary rate limit (Retry-After: 1) injected"));
            }
            if k == 800 && !killed {
                killed = true;
                let mut c = children.lock().unwrap();
                c[1].kill().expect("SIGKILL");
                let _ = c[1].wait();
                events.push(format!("delivery {k}: replica 1 killed with SIGKILL"));
                let (children2, url2, api2, port, log) =
                    (Arc::clone(&children), url.clone(), api.clone(), ports[1], logs[1].clone());
                tokio::spawn(async move {
                    // The replica stays down a while, as a crashed one does: this is the outage
                    // under test (the others take over its lapsed leases), not a wait for an event.
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    let fresh = serve(&url2, &api2, port, &log);
                    children2.lock().unwrap()[1] = fresh;
                });
            }
            if k == 1_300 && db_restart.is_none() {
                events.push(format!("delivery {k}: PostgreSQL restart started"));
                db_restart = Some(tokio::task::spawn_blocking(restart_postgres));
            }
            let (http, ports, sent) = (http.clone(), ports.clone(), Arc::clone(&sent));
            tasks.spawn(async move { deliver(&http, &ports, k, &d, &sent).await });
            while tasks.len() >= 16 {
                if let Some(r) = tasks.join_next().await {
                    r.unwrap();
                }
            }
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
    }
    let send_time = run_start.elapsed();
    let took = db_restart.expect("the database was restarted").await.unwrap();
    let took = took.unwrap_or_else(|e| panic!("pg_ctlcluster restart failed: {e}"));
    events.push(format!("PostgreSQL restart took {took:?}"));
    assert!(killed && secondary_injected == 2);
    ready(&http, ports[1]).await;

    // Wait for the queue to drain across all replicas.
    let store = plasma_store::open(&url).await.expect("store for inspection");
    let drain_start = Instant::now();
    let mut quiet = 0;
    loop {
        let d = store.queue_depth().await.unwrap();
        if d.pending == 0 && d.leased == 0 {
            quiet += 1;
            if quiet >= 10 {
                break;
            }
        } else {
            quiet = 0;
        }
        assert!(drain_start.elapsed() < Duration::from_secs(300), "queue never drained: {d:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drain_time = drain_start.elapsed();
    let periodic_502 = hub.periodic_failures();
    hub.clear_faults();

    // Every pull request in exactly its desired state.
    let mut wrong: Vec<String> = Vec::new();
    let mut by_class: BTreeMap<String, usize> = BTreeMap::new();
    let mut rereviews_total = 0;
    for p in &pulls {
        let (repo, n) = (p.repo, p.number);
        let head = &final_heads[&(repo, n)];
        *by_class.entry(format!("{:?}", p.class)).or_default() += 1;
        let want: Vec<&str> = match p.class {
            Class::Approved => vec!["status:coderabbit-approved"],
            Class::ChangesRequested => {
                vec!["agent:docs", "agent:python", "status:needs-cursor-fix"]
            }
            Class::NewCommit | Class::Waiting => vec!["status:needs-coderabbit-review"],
        };
        let labels = hub.labels_of(repo, n);
        if labels != want {
            wrong.push(format!("{repo}#{n} ({:?}): labels {labels:?}, want {want:?}", p.class));
        }
        let status = hub
            .statuses_of(repo, head)
            .into_iter()
            .find(|s| s.context == "plasma-ops/process")
            .map(|s| s.state);
        let want_status = if p.class == Class::Approved { "success" } else { "failure" };
        if status.as_deref() != Some(want_status) {
            wrong
                .push(format!("{repo}#{n} ({:?}): status {status:?}, want {want_status}", p.class));
        }
        let comments = hub.comments_of(repo, n);
        let sticky = comments.iter().filter(|c| c.body.contains(SUMMARY_MARKER)).count();
        if sticky != 1 {
            wrong.push(format!("{repo}#{n}: {sticky} summary comments"));
        }
        let mut per_sha: HashMap<String, usize> = HashMap::new();
        for c in &comments {
            if let Some(i) = c.body.find(REREVIEW_MARKER) {
                let s: String =
                    c.body[i + REREVIEW_MARKER.len()..].chars().take_while(|c| *c != ' ').collect();
                *per_sha.entry(s).or_default() += 1;
                rereviews_total += 1;
            }
        }
        if let Some((s, k)) = per_sha.iter().find(|(_, k)| **k > 1) {
            wrong.push(format!("{repo}#{n}: {k} re-review requests for {s}"));
        }
        let needs_request = matches!(p.class, Class::NewCommit | Class::Waiting);
        if needs_request && per_sha.get(head.as_str()).copied().unwrap_or(0) != 1 {
            wrong.push(format!("{repo}#{n}: no re-review request for its head {head}"));
        }
    }

    // Every acknowledged delivery processed; nothing leased; no dead letters.
    let acknowledged = sent.acknowledged.lock().unwrap().clone();
    let mut unprocessed = Vec::new();
    for id in &acknowledged {
        match store.delivery(id).await.unwrap() {
            Some(d) if d.processed_at.is_some() => {}
            Some(_) => unprocessed.push(format!("{id}: recorded, not processed")),
            None => unprocessed.push(format!("{id}: acknowledged but not in the store")),
        }
    }
    let leased = store.jobs(JobFilter::Leased).await.unwrap();
    let dead = store.jobs(JobFilter::Dead).await.unwrap();
    let depth = store.queue_depth().await.unwrap();

    // What GitHub saw.
    let requests = hub.requests();
    let writes = requests.iter().filter(|r| r.is_write()).count();
    let not_modified = requests.iter().filter(|r| r.status == 304).count();
    let errors_502 = requests.iter().filter(|r| r.status == 502).count();
    let secondary = requests.iter().filter(|r| r.status == 403).count();

    for c in children.lock().unwrap().iter_mut() {
        let _ = c.kill();
        let _ = c.wait();
    }
    // The replicas' logs: JSON lines, and no secret in any of them.
    let mut log_lines = 0;
    for log in &logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        for secret in [SECRET, TOKEN] {
            assert!(!text.contains(secret), "a secret reached {}", log.display());
        }
        // A panic in any task ends its replica with an "internal error" (the panic hook); the
        // other replicas take over its jobs, so only this line shows it.
        assert!(
            !text.contains("internal error in plasma-ops"),
            "a replica crashed, {}:\n{text}",
            log.display()
        );
        log_lines += text.lines().count();
    }

    // The counts, printed (visible with --nocapture) and kept in target/replica-proof.txt, which
    // ./scripts/test shows after the suite: the proof's figures belong in every CI log.
    let mut report = String::new();
    writeln!(report, "replica proof ({:?} in all):", run_start.elapsed()).unwrap();
    writeln!(
        report,
        "  pull requests: {} in {} repositories, by kind {by_class:?}",
        pulls.len(),
        REPOS.len()
    )
    .unwrap();
    writeln!(
        report,
        "  deliveries: {sends} sent ({UNIQUE} unique + {DUPLICATES} duplicates), {} accepted (202), {} acknowledged as duplicates (200)",
        sent.accepted.load(Ordering::Relaxed),
        sent.duplicate.load(Ordering::Relaxed)
    ).unwrap();
    writeln!(
        report,
        "  redelivered: {} answered 503 (database away), {} connections refused or reset (replica down)",
        sent.refused_503.load(Ordering::Relaxed),
        sent.connection_failed.load(Ordering::Relaxed)
    ).unwrap();
    for e in &events {
        writeln!(report, "  {e}").unwrap();
    }
    writeln!(
        report,
        "  sending took {send_time:?}; draining after the last delivery {drain_time:?}"
    )
    .unwrap();
    writeln!(
        report,
        "  GitHub: {} requests, {writes} writes, {not_modified} answered 304, {errors_502} answered 502 ({periodic_502} by the 5% rule), {secondary} secondary rate limits",
        requests.len()
    ).unwrap();
    writeln!(
        report,
        "  end state: {} of {} pull requests exactly as desired; {rereviews_total} re-review requests in all",
        pulls.len()
            - wrong.iter().map(|w| w.split([' ', ':']).next().unwrap_or("")).collect::<HashSet<_>>().len(),
        pulls.len()
    ).unwrap();
    writeln!(
        report,
        "  store: {} acknowledged deliveries, {} unprocessed, {} jobs leased, {} pending, {} dead-lettered",
        acknowledged.len(),
        unprocessed.len(),
        leased.len(),
        depth.pending,
        dead.len()
    ).unwrap();
    writeln!(report, "  logs: {log_lines} lines from {} replicas, no secret in them", REPLICAS)
        .unwrap();
    print!("{report}");
    let out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/replica-proof.txt");
    let _ = std::fs::write(out, &report);

    assert!(wrong.is_empty(), "{} problems:\n{}", wrong.len(), wrong.join("\n"));
    assert!(unprocessed.is_empty(), "{}", unprocessed.join("\n"));
    assert_eq!(acknowledged.len(), UNIQUE, "every unique delivery acknowledged once");
    assert!(leased.is_empty(), "jobs left leased: {leased:?}");
    assert!(dead.is_empty(), "dead letters: {dead:?}");
    assert_eq!(secondary, 2);
    drop(store);
    drop_database(&db);
    let _ = std::fs::remove_dir_all(&dir);
}
