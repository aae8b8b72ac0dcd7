//! Nothing read twice, nothing written twice (issue 14), end to end through signed webhooks and
//! the fake GitHub's request log:
//!
//! - the repository configuration (present or absent) is read once and kept until a push to the
//!   base branch touches `.github/`; a push that does not keeps it; after a push that changes
//!   `.github/plasma.yml` the next reconcile judges with the new file;
//! - missing repository labels are created exactly once, with 4 workers on one replica and with
//!   two replicas on one PostgreSQL database, and GitHub never answers 422.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use plasma_fakehub::{FakeHub, RecordedRequest};
use plasma_github::{Auth, ClientConfig, GitHubClient, Secret};
use plasma_service::{App, start, system_clock};
use plasma_store::{Cause, JobKey};
use serde_json::Value;
use support::*;

const SETTLE: Duration = Duration::from_secs(30);
const CONFIG: &str = ".github/plasma.yml";

fn contents_reads(reqs: &[RecordedRequest]) -> usize {
    reqs.iter().filter(|r| r.method == "GET" && r.path.contains("/contents/")).count()
}

fn label_creations(reqs: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    reqs.iter()
        .filter(|r| {
            r.method == "POST" && r.path.ends_with("/labels") && !r.path.contains("/issues/")
        })
        .collect()
}

/// Our summary on `n`: it names a configuration error when there is one.
fn summary(env: &Env, n: u64) -> String {
    env.hub
        .comments_of(REPO, n)
        .into_iter()
        .map(|c| c.body)
        .find(|b| b.contains("<!-- plasma-ops:summary -->"))
        .unwrap_or_default()
}

fn push(branch: &str, files: &[&str]) -> Value {
    push_payload(REPO, branch, files)
}

/// Delivers a review event about `n`, waits for the queue and returns what GitHub saw.
async fn reconcile_once(env: &Env, n: u64, id: &str) -> Vec<RecordedRequest> {
    env.hub.reset_requests();
    assert_eq!(env.deliver("pull_request_review", id, &review_event(n)).await, 202);
    env.settle(SETTLE).await;
    env.hub.requests()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_is_read_again_only_after_a_push_touching_dot_github() {
    let mut env = Env::new("config-push").await;
    let n = good_pull(&env.hub);
    // Cold: both layers are read (absent: two 404s).
    let first = reconcile_once(&env, n, "c-1").await;
    assert_eq!(contents_reads(&first), 2, "the repository's and the organisation's file");
    assert!(!summary(&env, n).contains("no_such_key"));

    // Absent files are not read again, whatever the number of reconciles.
    for i in 2..5 {
        assert_eq!(contents_reads(&reconcile_once(&env, n, &format!("c-{i}")).await), 0);
    }

    // A push to the base branch that does not touch .github/ keeps the cache.
    env.hub.reset_requests();
    assert_eq!(env.deliver("push", "p-1", &push("main", &["app/main.py"])).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(contents_reads(&reconcile_once(&env, n, "c-5").await), 0);

    // A push to another branch, even under .github/, keeps the base branch's.
    assert_eq!(env.deliver("push", "p-2", &push("feature", &[CONFIG])).await, 202);
    assert_eq!(contents_reads(&reconcile_once(&env, n, "c-6").await), 0);

    // The file appears on main, broken: after the push the next reconcile reads it (once, the
    // organisation's stays kept) and judges with it.
    env.hub.set_file_content(REPO, "main", CONFIG, "no_such_key: 1\n");
    assert_eq!(env.deliver("push", "p-3", &push("main", &[CONFIG])).await, 202);
    let after = reconcile_once(&env, n, "c-7").await;
    assert_eq!(contents_reads(&after), 1, "only the repository's file is read again");
    assert!(summary(&env, n).contains("no_such_key"), "the new file is used: {}", summary(&env, n));
    assert_eq!(env.our_status(n).as_deref(), Some("failure"));
    assert_eq!(contents_reads(&reconcile_once(&env, n, "c-8").await), 0, "and kept");

    // Fixed by another push: read again (a present file is revalidated with its ETag).
    env.hub.set_file_content(REPO, "main", CONFIG, "approvals:\n  required: 1\n");
    assert_eq!(env.deliver("push", "p-4", &push("main", &[".github/plasma.yml"])).await, 202);
    let fixed = reconcile_once(&env, n, "c-9").await;
    assert_eq!(contents_reads(&fixed), 1);
    assert!(!summary(&env, n).contains("no_such_key"), "judged by the fixed file");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_to_the_organisations_dot_github_repository_invalidates_its_layer() {
    let mut env = Env::new("config-org").await;
    let org = format!("{}/.github", REPO.split_once('/').unwrap().0);
    env.hub.add_repo(&org);
    let n = good_pull(&env.hub);
    assert_eq!(contents_reads(&reconcile_once(&env, n, "o-1").await), 2);
    env.hub.set_file_content(&org, "main", CONFIG, "no_such_key: 1\n");
    // The organisation's file changed, but no webhook said so yet: kept.
    assert_eq!(contents_reads(&reconcile_once(&env, n, "o-2").await), 0);
    assert!(!summary(&env, n).contains("no_such_key"));
    assert_eq!(env.deliver("push", "o-p", &push_payload(&org, "main", &[CONFIG])).await, 202);
    let after = reconcile_once(&env, n, "o-3").await;
    assert_eq!(contents_reads(&after), 1, "only the organisation's file");
    assert!(summary(&env, n).contains("no_such_key"), "{}", summary(&env, n));
    env.stop().await;
}

/// A service with `workers` workers on the store at `database_url`, against `hub`.
async fn replica(hub: &FakeHub, database_url: &str, workers: usize) -> plasma_service::Running {
    init_test_logs();
    let mut cfg = service_config(&temp_db("unused"), &hub.url());
    cfg.database_url = database_url.to_string();
    cfg.workers = workers;
    let store = plasma_store::open(database_url).await.expect("store");
    let gh = GitHubClient::new(
        ClientConfig::new(Auth::Token(Secret::new("test-installation-token"))).base_url(hub.url()),
    )
    .expect("client");
    start(App::new(cfg, store, Some(gh), system_clock())).await.expect("start")
}

/// Eight pull requests whose labels the repository lacks, all enqueued at once.
async fn eight_pulls(hub: &FakeHub, app: &Arc<App>) -> Vec<u64> {
    let pulls: Vec<u64> = (0..8).map(|_| good_pull(hub)).collect();
    for &n in &pulls {
        let key = JobKey::Pr { repo: REPO.into(), number: n };
        app.store.trigger(&key, &Cause::Sweep, app.now()).await.unwrap();
    }
    app.notify.notify_waiters();
    pulls
}

fn assert_created_once(hub: &FakeHub, before: &[String]) {
    let reqs = hub.requests();
    let posts = label_creations(&reqs);
    let created: Vec<String> =
        hub.repo_labels(REPO).into_iter().filter(|l| !before.contains(l)).collect();
    assert!(!created.is_empty(), "the pull requests needed labels the repository lacked");
    assert_eq!(posts.len(), created.len(), "one POST per missing label: {created:?}");
    assert!(posts.iter().all(|r| r.status == 201), "every creation succeeded");
    assert_eq!(reqs.iter().filter(|r| r.status == 422).count(), 0, "no 422 at all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_create_each_missing_label_once() {
    let hub = FakeHub::start().await.unwrap();
    hub.add_repo(REPO);
    let before = hub.repo_labels(REPO);
    let db = temp_db("labels-4");
    let running = replica(&hub, &format!("sqlite://{}", db.display()), 4).await;
    let app = Arc::clone(&running.app);
    let api = hub.url();
    let mut env = Env::around(hub, Some(running), db, api);
    let pulls = eight_pulls(&env.hub, &app).await;
    env.settle(SETTLE).await;
    for n in pulls {
        assert!(env.labels(n).contains(&"status:needs-coderabbit-review".to_string()));
    }
    assert_created_once(&env.hub, &before);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_create_each_missing_label_once() {
    let name = format!("plasma_read_once_{}", std::process::id());
    let admin = std::env::var("PLASMA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let psql = |sql: &str| {
        std::process::Command::new("psql")
            .args([admin.as_str(), "-q", "-c", sql])
            .status()
            .unwrap_or_else(|e| panic!("cannot run psql ({e}): apt-get install postgresql-client"))
            .success()
    };
    let _ = psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    assert!(psql(&format!("CREATE DATABASE {name}")), "start PostgreSQL on 127.0.0.1:5432");
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("PLASMA_TEST_POSTGRES_URL has no database part"),
    };
    let hub = FakeHub::start().await.unwrap();
    hub.add_repo(REPO);
    let before = hub.repo_labels(REPO);
    let one = replica(&hub, &url, 4).await;
    let two = replica(&hub, &url, 4).await;
    let app = Arc::clone(&one.app);
    let other = Arc::clone(&two.app);
    let api = hub.url();
    let mut env = Env::around(hub, Some(one), temp_db("unused"), api);
    let pulls = eight_pulls(&env.hub, &app).await;
    other.notify.notify_waiters();
    env.settle(SETTLE).await;
    for n in pulls {
        assert!(env.labels(n).contains(&"status:needs-coderabbit-review".to_string()));
    }
    assert_created_once(&env.hub, &before);
    let failed = two.shutdown().await;
    assert!(failed.is_empty(), "the second replica's tasks panicked");
    env.stop().await;
    let _ = psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
