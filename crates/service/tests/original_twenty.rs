//! The original automation's 20-pull-request state, side by side with its own call pattern
//! (issue 14): one repository, 20 open pull requests, none of the three coordination labels in
//! the repository yet; by the original's own decision (`coderabbit_follow_up.py`: the newest
//! CodeRabbit review, compared with the head) 15 need a CodeRabbit review (5 never reviewed, 5
//! reviewed on an older commit, 5 COMMENTED on the head), 3 need a fix (CHANGES_REQUESTED on the
//! head) and 2 are approved.
//!
//! The original, every 30 minutes: list the labels (1), create the missing ones (3, first tick
//! only), list the open pull requests (1), read each one's reviews (20), relabel and comment
//! where the label changed (20 + 20, first tick only) and post `@coderabbit review` on each one
//! needing a review (15, every tick). First tick 80 calls, then 37 a tick: 1,776 a day, all
//! charged (it sends no conditional request).
//!
//! Ours: one `serve` (4 workers, SQLite) against the fake GitHub holding that state, the sweep
//! run by hand on a clock moved 30 minutes a time; every figure is counted from the fake's
//! request log. `cargo test -p plasma-service --test original_twenty -- --nocapture` prints the
//! table in BENCHMARKS.md and writes it to `target/original-twenty.txt`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use plasma_fakehub::{FakeHub, FakeReview, RecordedRequest};
use plasma_github::{Auth, ClientConfig, GitHubClient, Secret};
use plasma_service::{App, start};
use support::*;

const SETTLE: Duration = Duration::from_secs(60);
const HALF_HOUR_MS: i64 = 30 * 60 * 1000;
const SWEEPS_A_DAY: usize = 48;

/// The original's figures for this state (see the module comment).
const ORIGINAL_FIRST_TICK: usize = 80;
const ORIGINAL_TICK: usize = 37;
const ORIGINAL_DAY: usize = ORIGINAL_TICK * SWEEPS_A_DAY;

#[derive(Debug, Default, Clone)]
struct Cost {
    calls: usize,
    charged: usize,
    writes: usize,
    refused: usize,
    /// Charged calls by what they are for (templated route).
    by_route: BTreeMap<String, usize>,
}

/// The route of a request with its numbers and SHAs templated.
fn template(r: &RecordedRequest) -> String {
    let path: Vec<String> = r
        .path
        .split('/')
        .map(|seg| {
            if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
                "{n}".to_string()
            } else if seg.len() == 40 && seg.chars().all(|c| c.is_ascii_hexdigit()) {
                "{sha}".to_string()
            } else {
                seg.to_string()
            }
        })
        .collect();
    format!("{} {}", r.method, path.join("/"))
}

impl Cost {
    fn of(reqs: &[RecordedRequest]) -> Cost {
        let mut c = Cost::default();
        for r in reqs {
            c.calls += 1;
            if r.status == 304 {
                continue;
            }
            c.charged += 1;
            *c.by_route.entry(template(r)).or_default() += 1;
            if r.is_write() {
                c.writes += 1;
            }
            if r.status >= 400 {
                c.refused += 1;
            }
        }
        c
    }

    fn add(&mut self, o: &Cost) {
        self.calls += o.calls;
        self.charged += o.charged;
        self.writes += o.writes;
        self.refused += o.refused;
        for (k, v) in &o.by_route {
            *self.by_route.entry(k.clone()).or_default() += v;
        }
    }
}

/// The state: 20 pull requests in the five kinds above.
fn twenty(hub: &FakeHub) -> Vec<u64> {
    let mut pulls = Vec::new();
    for i in 0..20 {
        let n = good_pull(hub);
        match i / 5 {
            0 => {}
            1 => {
                let mut r = FakeReview::new(CODERABBIT, "APPROVED");
                r.commit_id = Some("0".repeat(40));
                hub.add_review(REPO, n, r);
            }
            2 => {
                hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "COMMENTED"));
            }
            _ if i < 18 => {
                hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "CHANGES_REQUESTED"));
            }
            _ => {
                hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "APPROVED"));
            }
        }
        pulls.push(n);
    }
    pulls
}

struct Bench {
    env: Env,
    app: Arc<App>,
    clock: Arc<AtomicI64>,
}

impl Bench {
    async fn new() -> Bench {
        init_test_logs();
        let hub = FakeHub::start().await.unwrap();
        hub.add_repo(REPO);
        let api = hub.url();
        let db = temp_db("original-twenty");
        let mut cfg = service_config(&db, &api);
        cfg.workers = 4;
        cfg.repositories = vec![REPO.to_string()];
        let start_ms = jiff::Timestamp::now().as_millisecond();
        let clock = Arc::new(AtomicI64::new(start_ms));
        let c = Arc::clone(&clock);
        let store = plasma_store::open(&cfg.database_url).await.unwrap();
        // The sweeps are run by hand: the scheduler finds this period (and every later one of the
        // test) claimed.
        store
            .claim_schedule("sweep", "bench", Duration::from_secs(10 * 365 * 86_400), start_ms)
            .await
            .unwrap();
        let gh = GitHubClient::new(
            ClientConfig::new(Auth::Token(Secret::new("test-installation-token")))
                .base_url(api.clone()),
        )
        .unwrap();
        let app = App::new(cfg, store, Some(gh), Arc::new(move || c.load(Ordering::SeqCst)));
        let running = start(Arc::clone(&app)).await.unwrap();
        let env = Env::around(hub, Some(running), db, api);
        Bench { env, app, clock }
    }

    async fn measured(&self, step: impl AsyncFnOnce()) -> Cost {
        self.env.hub.reset_requests();
        step().await;
        self.env.settle(SETTLE).await;
        Cost::of(&self.env.hub.requests())
    }

    async fn sweep(&self) -> Cost {
        self.measured(async || {
            assert_eq!(plasma_service::scheduler::sweep(&self.app).await.unwrap(), 20);
        })
        .await
    }

    fn later(&self) {
        self.clock.fetch_add(HALF_HOUR_MS, Ordering::SeqCst);
    }

    /// A day of sweeps every 30 minutes, each after the clock moved on.
    async fn day(&self, between: impl AsyncFn(usize)) -> Cost {
        let mut total = Cost::default();
        for i in 0..SWEEPS_A_DAY {
            self.later();
            between(i).await;
            total.add(&self.sweep().await);
        }
        total
    }
}

fn row(what: &str, ours: &Cost, original: &str) -> String {
    format!(
        "| {what} | {} | {} | {} | {} | {original} |",
        ours.calls, ours.charged, ours.writes, ours.refused
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_original_automations_twenty_pull_requests() {
    let mut b = Bench::new().await;
    let pulls = twenty(&b.env.hub);
    let mut table = vec![
        "| | calls | charged | writes | refused (4xx) | original: charged calls |".to_string(),
        "| --- | ---: | ---: | ---: | ---: | ---: |".to_string(),
    ];

    let first = b.sweep().await;
    table.push(row("first sweep", &first, &ORIGINAL_FIRST_TICK.to_string()));
    assert_eq!(
        first.refused
            - first
                .by_route
                .iter()
                .filter(|(k, _)| k.contains("/contents/"))
                .map(|(_, v)| v)
                .sum::<usize>(),
        0,
        "no refused write: {:?}",
        first.by_route
    );
    let labels: Vec<_> = first
        .by_route
        .iter()
        .filter(|(k, _)| k.starts_with("POST") && k.ends_with("/labels") && !k.contains("/issues/"))
        .collect();
    b.later();
    let second = b.sweep().await;
    table.push(row(
        "second sweep (reads back what the first wrote)",
        &second,
        &ORIGINAL_TICK.to_string(),
    ));
    b.later();
    let third = b.sweep().await;
    table.push(row("an unchanged sweep", &third, &ORIGINAL_TICK.to_string()));
    assert_eq!(third.charged, 0, "an unchanged sweep is free: {:?}", third.by_route);
    assert_eq!(third.writes, 0);

    // One event: CodeRabbit approves a pull request that needed a review.
    let n = pulls[0];
    b.env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "APPROVED"));
    let event = b
        .measured(async || {
            assert_eq!(b.env.deliver("pull_request_review", "ev-1", &review_event(n)).await, 202);
        })
        .await;
    table.push(row("one event (CodeRabbit approves one pull request)", &event, "6"));
    // The event's own writes are read back once by the next sweep.
    b.later();
    let _ = b.sweep().await;

    let quiet = b.day(async |_| {}).await;
    table.push(row(
        "a day of unchanged sweeps (48, every 30 min)",
        &quiet,
        &ORIGINAL_DAY.to_string(),
    ));
    let quiet_share = quiet.charged as f64 / ORIGINAL_DAY as f64;
    assert!(quiet_share < 0.05, "a quiet day costs {} charged calls", quiet.charged);

    // A day with a push to the base branch before each sweep that touches no configuration, and
    // one (at noon) that changes `.github/`.
    let pushes = b
        .day(async |i| {
            let files: &[&str] = if i == 24 { &[".github/plasma.yml"] } else { &["app/main.py"] };
            let id = format!("push-{i}");
            assert_eq!(b.env.deliver("push", &id, &push_payload(REPO, "main", files)).await, 202);
        })
        .await;
    table.push(row(
        "a day with a push to the base branch before every sweep (one touching `.github/`)",
        &pushes,
        &ORIGINAL_DAY.to_string(),
    ));
    let push_share = pushes.charged as f64 / ORIGINAL_DAY as f64;

    let mut out = table.join("\n");
    out.push_str("\n\nfirst sweep, charged calls by route:\n");
    for (route, count) in &first.by_route {
        out.push_str(&format!("  {count:>3}  {route}\n"));
    }
    out.push_str(&format!(
        "\nlabel creations in the first sweep: {labels:?}\nquiet day: {:.1}% of the original's; day with pushes: {:.1}%\n",
        quiet_share * 100.0,
        push_share * 100.0
    ));
    println!("{out}");
    let target =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/original-twenty.txt");
    let _ = std::fs::write(target, &out);
    b.env.stop().await;
}
