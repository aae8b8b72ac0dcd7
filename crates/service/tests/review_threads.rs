//! CodeRabbit's review threads end to end through `serve`, against the fake GitHub's REST and
//! GraphQL APIs: a COMMENTED head with open threads gets needs-cursor-fix and the threads in the
//! summary; once they are resolved or outdated, one new review is requested; an approval is
//! approved; a replay writes nothing; GraphQL points are read from the answers into the metrics.
//! With `--nocapture` it prints the calls each reconcile cost (the figures in BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use plasma_fakehub::{FakeReview, FakeThread, RecordedRequest};
use plasma_store::{Cause, JobKey};
use support::*;

const SETTLE: Duration = Duration::from_secs(20);

/// The metrics recorder is one per process: the tests of this file run one at a time so each can
/// compare the points in `/metrics` with its own.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What one reconcile (or a batch of them) cost, from the fake's request log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Cost {
    rest: usize,
    not_modified: usize,
    writes: usize,
    graphql: usize,
}

impl Cost {
    fn of(reqs: &[RecordedRequest]) -> Cost {
        Cost {
            rest: reqs.iter().filter(|r| !r.is_graphql()).count(),
            not_modified: reqs.iter().filter(|r| r.status == 304).count(),
            writes: reqs.iter().filter(|r| r.is_write()).count(),
            graphql: reqs.iter().filter(|r| r.is_graphql()).count(),
        }
    }

    /// Calls charged to a rate limit: REST answers other than 304, and GraphQL queries.
    fn charged(&self) -> usize {
        self.rest - self.not_modified + self.graphql
    }
}

fn summary(env: &Env, n: u64) -> String {
    env.hub
        .comments_of(REPO, n)
        .into_iter()
        .map(|c| c.body)
        .find(|b| b.contains("<!-- plasma-ops:summary -->"))
        .unwrap_or_default()
}

fn thread_event(n: u64, action: &str) -> serde_json::Value {
    retarget(example("pull_request_review_thread", Some(action)), n)
}

/// Runs `step`, waits for the queue, and returns what it cost at the fake.
async fn measured(env: &Env, step: impl AsyncFnOnce()) -> Cost {
    env.hub.reset_requests();
    step().await;
    env.settle(SETTLE).await;
    Cost::of(&env.hub.requests())
}

/// `plasma_ops_github_graphql_points_total` summed over operations, from `/metrics`.
async fn points_in_metrics(env: &Env) -> u64 {
    let text = reqwest::get(env.url("/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("plasma_ops_github_graphql_points_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coderabbits_open_threads_drive_the_review_loop() {
    let _serial = SERIAL.lock().await;
    let mut env = Env::new("threads").await;
    let n = good_pull(&env.hub);
    let points_before = env.hub.graphql_points_remaining();
    let metrics_before = points_in_metrics(&env).await;
    let mut table = Vec::new();

    // Opened: not reviewed yet, so the threads are not read.
    let c = measured(&env, async || {
        assert_eq!(env.deliver("pull_request", "t-1", &pr_event("opened", n)).await, 202);
    })
    .await;
    assert_eq!(env.labels(n), ["status:needs-coderabbit-review"]);
    assert_eq!(env.rereview_requests(n), 1);
    assert_eq!(c.graphql, 0);
    table.push(("opened, no CodeRabbit review yet", c));

    // CodeRabbit COMMENTED on the head and opened two threads: a fix, with the agent labels and
    // the threads (path, line, link) in the summary.
    env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "COMMENTED"));
    let t1 =
        env.hub.add_review_thread(REPO, n, FakeThread::open("coderabbitai", "app/main.py", 12));
    let t2 =
        env.hub.add_review_thread(REPO, n, FakeThread::open("coderabbitai", "docs/README.md", 3));
    let c = measured(&env, async || {
        assert_eq!(env.deliver("pull_request_review", "t-2", &review_event(n)).await, 202);
    })
    .await;
    assert_eq!(env.labels(n), ["agent:docs", "agent:python", "status:needs-cursor-fix"]);
    let s = summary(&env, n);
    assert!(s.contains("#### Open CodeRabbit review threads (2)"), "{s}");
    assert!(
        s.contains("address the thread and resolve it, or push a fix and let CodeRabbit re-review"),
        "{s}"
    );
    let link = |id: u64| format!("https://github.com/{REPO}/pull/{n}#discussion_r{}", id + 1);
    assert!(s.contains(&format!("| `app/main.py` | 12 | [open]({}) |", link(t1))), "{s}");
    assert!(s.contains(&format!("| `docs/README.md` | 3 | [open]({}) |", link(t2))), "{s}");
    assert_eq!(env.rereview_requests(n), 1, "a fix is needed: no new review requested");
    assert_eq!(c.graphql, 1);
    table.push(("COMMENTED on the head, 2 open threads", c));

    // Nothing changed: the threads are not read again, and nothing is written.
    let c = measured(&env, async || {
        assert_eq!(env.deliver("pull_request", "t-3", &pr_event("opened", n)).await, 202);
    })
    .await;
    assert_eq!((c.graphql, c.writes), (0, 0), "{c:?}");
    let c = measured(&env, async || {
        assert_eq!(env.deliver("pull_request", "t-4", &pr_event("opened", n)).await, 202);
    })
    .await;
    assert_eq!(c.charged(), 0, "an unchanged pull request costs nothing: {c:?}");
    table.push(("the same, unchanged, looked at again", c));

    // One thread resolved, the other outdated: no open thread, so one new review is requested.
    env.hub.set_thread_resolved(REPO, n, t1, true);
    env.hub.set_thread_outdated(REPO, n, t2, true);
    let c = measured(&env, async || {
        assert_eq!(
            env.deliver("pull_request_review_thread", "t-5", &thread_event(n, "resolved")).await,
            202
        );
    })
    .await;
    assert_eq!(env.labels(n), ["status:needs-coderabbit-review"]);
    assert_eq!(env.rereview_requests(n), 2, "one request after CodeRabbit's review");
    let s = summary(&env, n);
    assert!(!s.contains("Open CodeRabbit review threads"), "{s}");
    assert!(s.contains("none of its review threads is open"), "{s}");
    assert_eq!(c.graphql, 1, "a thread event reads the threads again");
    table.push(("one thread resolved, one outdated (thread event)", c));

    // More thread events: still once per head.
    env.hub.set_thread_resolved(REPO, n, t1, false);
    env.hub.set_thread_resolved(REPO, n, t1, true);
    let c = measured(&env, async || {
        assert_eq!(
            env.deliver("pull_request_review_thread", "t-6", &thread_event(n, "unresolved")).await,
            202
        );
        env.settle(SETTLE).await;
        assert_eq!(
            env.deliver("pull_request_review_thread", "t-7", &thread_event(n, "resolved")).await,
            202
        );
    })
    .await;
    assert_eq!(env.rereview_requests(n), 2, "re-review requested once per head");
    assert_eq!(c.writes, 0, "{c:?}");
    assert_eq!(c.graphql, 2, "each thread event reads the threads again");

    // CodeRabbit approves: approved, and the threads are not read.
    env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "APPROVED"));
    let c = measured(&env, async || {
        assert_eq!(env.deliver("pull_request_review", "t-8", &review_event(n)).await, 202);
    })
    .await;
    assert_eq!(env.labels(n), ["status:coderabbit-approved"]);
    assert_eq!(c.graphql, 0);
    table.push(("CodeRabbit approved the head", c));

    // A replay of a delivery already processed: acknowledged, nothing read, nothing written.
    let c = measured(&env, async || {
        assert_eq!(env.deliver("pull_request_review", "t-8", &review_event(n)).await, 200);
        assert_eq!(
            env.deliver("pull_request_review_thread", "t-5", &thread_event(n, "resolved")).await,
            200
        );
    })
    .await;
    assert_eq!(c, Cost::default(), "a replay writes nothing and reads nothing");
    table.push(("replay of processed deliveries", c));

    // The points GitHub reported are the points in the metrics.
    let spent = u64::from(points_before - env.hub.graphql_points_remaining());
    assert_eq!(spent, 4);
    assert_eq!(points_in_metrics(&env).await - metrics_before, spent);
    assert_eq!(env.app().github.as_ref().unwrap().stats().graphql_points, spent);

    println!("| state | REST calls | of which 304 | writes | GraphQL points | charged calls |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (state, c) in &table {
        println!(
            "| {state} | {} | {} | {} | {} | {} |",
            c.rest,
            c.not_modified,
            c.writes,
            c.graphql,
            c.charged()
        );
    }
    env.stop().await;
}

/// What the sweep does for each open pull request: a job caused by the sweep.
async fn sweep(app: &plasma_service::App, numbers: &[u64]) {
    for &n in numbers {
        let key = JobKey::Pr { repo: REPO.into(), number: n };
        app.store.trigger(&key, &Cause::Sweep, app.now()).await.unwrap();
    }
    app.notify.notify_waiters();
}

/// A sweep over pull requests in every state of the loop (unreviewed, a fix with open threads,
/// no open thread, approved): once each has been reconciled, sweeping them again costs no call
/// charged to a rate limit, GraphQL included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_of_unchanged_pull_requests_costs_nothing() {
    let _serial = SERIAL.lock().await;
    let mut env = Env::new("threads-sweep").await;
    let unreviewed = good_pull(&env.hub);
    let open = good_pull(&env.hub);
    let resolved = good_pull(&env.hub);
    let approved = good_pull(&env.hub);
    for n in [open, resolved] {
        env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "COMMENTED"));
        let t =
            env.hub.add_review_thread(REPO, n, FakeThread::open("coderabbitai", "app/main.py", 1));
        env.hub.set_thread_resolved(REPO, n, t, n == resolved);
    }
    env.hub.add_review(REPO, approved, FakeReview::new(CODERABBIT, "APPROVED"));
    let all = [unreviewed, open, resolved, approved];
    let app = env.app();
    let first = measured(&env, async || sweep(&app, &all).await).await;
    assert_eq!(first.graphql, 2, "threads read for the two COMMENTED heads only");
    assert_eq!(env.labels(open), ["agent:docs", "agent:python", "status:needs-cursor-fix"]);
    assert_eq!(env.labels(resolved), ["status:needs-coderabbit-review"]);
    assert_eq!(env.labels(approved), ["status:coderabbit-approved"]);
    // Our own writes changed the comments, labels and statuses: the next look reads those once.
    let second = measured(&env, async || sweep(&app, &all).await).await;
    assert_eq!((second.writes, second.graphql), (0, 0), "{second:?}");
    let third = measured(&env, async || sweep(&app, &all).await).await;
    assert_eq!(third.charged(), 0, "an unchanged sweep costs no charged call: {third:?}");
    assert_eq!(third.writes, 0);
    println!(
        "sweep of {} pull requests: first {first:?} (charged {}), second {second:?} (charged {}), \
         third {third:?} (charged {})",
        all.len(),
        first.charged(),
        second.charged(),
        third.charged()
    );
    env.stop().await;
}
