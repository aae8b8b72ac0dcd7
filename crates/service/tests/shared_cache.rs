//! The fleet's shared conditional-request cache (issue 14) on two replicas of one PostgreSQL
//! database, each with its own GitHub client and so its own in-memory cache: a pull request the
//! first replica reconciled, looked at again by the second, costs no call charged to GitHub's
//! rate limit (every read is a 304 answered from the shared validators and bodies), and once it
//! changed on GitHub the second replica reads the change afresh and acts on it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use plasma_fakehub::{FakeHub, FakeReview, RecordedRequest};
use plasma_service::{App, Running, start, system_clock};
use support::*;

const SETTLE: Duration = Duration::from_secs(30);
const ORG_REPO: &str = "plasma-engine/.github";

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

/// A database of its own, dropped at the end.
struct Database {
    name: String,
    url: String,
}

impl Database {
    fn create() -> Database {
        let name = format!("plasma_shared_cache_{}", std::process::id());
        let _ = psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        assert!(
            psql(&format!("CREATE DATABASE {name}")),
            "start PostgreSQL on 127.0.0.1:5432 (pg_ctlcluster 15 main start)"
        );
        let url = match admin_url().rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("PLASMA_TEST_POSTGRES_URL has no database part"),
        };
        Database { name, url }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = psql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// One replica: its own store pool and GitHub client (a fresh in-memory cache), the shared
/// database.
async fn replica(db: &Database, api: &str) -> Running {
    init_test_logs();
    let mut cfg = service_config(&temp_db("shared-cache-unused"), api);
    cfg.database_url = db.url.clone();
    let store = plasma_store::open(&db.url).await.expect("PostgreSQL store");
    let gh = plasma_github::GitHubClient::new(
        plasma_github::ClientConfig::new(plasma_github::Auth::Token(plasma_github::Secret::new(
            "test-installation-token",
        )))
        .base_url(api.to_string()),
    )
    .unwrap();
    let app = App::new(cfg, store, Some(gh), system_clock());
    assert!(app.github.as_ref().unwrap().has_shared_cache(), "serve installs the shared cache");
    start(app).await.expect("start replica")
}

/// Requests charged to the rate limit: everything GitHub did not answer 304.
fn charged(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.status != 304)
        .map(|r| format!("{} {}?{} -> {}", r.method, r.path, r.query, r.status))
        .collect()
}

fn hub_with_config(hub: &FakeHub) {
    hub.add_repo(REPO);
    // Both configuration layers exist (a 404 carries no validator, so an absent file is
    // another matter: issue 14 section 0).
    hub.set_file_content(REPO, "main", ".github/plasma.yml", "approvals:\n  required: 1\n");
    hub.set_file_content(ORG_REPO, "main", ".github/plasma.yml", "approvals:\n  required: 1\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_revalidates_an_unchanged_pull_request_for_free_and_reads_a_change() {
    let db = Database::create();
    let hub = FakeHub::start().await.expect("fake GitHub");
    hub_with_config(&hub);
    let api = hub.url();
    let a = replica(&db, &api).await;
    let mut env = Env::around(hub, Some(a), temp_db("shared-cache-unused"), api.clone());
    let n = good_pull(&env.hub);

    // Replica A reconciles the pull request: full reads, its writes, and the answers shared.
    assert_eq!(env.deliver("pull_request", "a-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    let labels = env.labels(n);
    assert!(!labels.is_empty(), "replica A labelled the pull request");
    // Once more on A, so what A wrote is read back and shared too (as a sweep would).
    assert_eq!(env.deliver("pull_request", "a-2", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    env.stop().await;

    // Replica B has never seen it: its in-memory cache is empty.
    env.running = Some(replica(&db, &api).await);
    env.hub.reset_requests();
    assert_eq!(env.deliver("pull_request", "b-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    let seen = env.hub.requests();
    assert!(seen.len() >= 8, "B read the pull request: {seen:?}");
    // The repository's label listing is the one read that changed: A listed the labels once
    // (the listing is reused for five minutes, issue 14 section 0) and then created the missing
    // ones, so the shared entry validates an answer GitHub no longer gives, and its 200 is right.
    // Everything about the pull request itself is answered 304.
    let listing = format!("GET /repos/{REPO}/labels?per_page=100 -> 200");
    assert!(!env.hub.repo_labels(REPO).is_empty(), "A created the coordination labels");
    assert_eq!(charged(&seen), vec![listing], "unchanged: every other read a 304");
    assert!(seen.iter().all(|r| r.if_none_match), "every read conditional: {seen:?}");
    let b = env.app();
    let stats = b.github.as_ref().unwrap().stats();
    assert_eq!(stats.not_modified, seen.len() as u64 - 1, "all but the label listing");
    // Each URL answered from the shared entry the first time, from B's memory after that.
    let urls: std::collections::BTreeSet<(&str, &str)> =
        seen.iter().map(|r| (r.path.as_str(), r.query.as_str())).collect();
    assert_eq!(stats.shared_hits, urls.len() as u64 - 1, "all but the label listing: {urls:?}");
    assert_eq!(env.labels(n), labels, "nothing to change");

    // The pull request changes on GitHub: CodeRabbit asks for changes.
    env.hub.add_review(
        REPO,
        n,
        FakeReview {
            body: "Please handle the error path.".into(),
            ..FakeReview::new(CODERABBIT, "CHANGES_REQUESTED")
        },
    );
    env.hub.reset_requests();
    assert_eq!(env.deliver("pull_request_review", "b-2", &review_event(n)).await, 202);
    env.settle(SETTLE).await;
    let seen = env.hub.requests();
    let reviews: Vec<&RecordedRequest> = seen
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(&format!("/pulls/{n}/reviews")))
        .collect();
    assert!(!reviews.is_empty(), "{seen:?}");
    assert!(
        reviews.iter().all(|r| r.status == 200 && r.if_none_match),
        "the changed list asked conditionally and read afresh: {reviews:?}"
    );
    assert_ne!(env.labels(n), labels, "B acted on the change it read");
    env.stop().await;

    // The store holds the entries, keyed by the token's fingerprint, never the token.
    let store = plasma_store::open(&db.url).await.unwrap();
    let usage = store.http_cache_usage().await.unwrap();
    assert!(usage.rows >= 8, "{usage:?}");
    drop(store);
    let out = std::process::Command::new("psql")
        .args([
            db.url.as_str(),
            "-At",
            "-c",
            "SELECT cache_key FROM http_cache WHERE cache_key LIKE '%test-installation-token%' \
             OR convert_from(body, 'UTF8') LIKE '%test-installation-token%'",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "", "the token is never stored");
}
