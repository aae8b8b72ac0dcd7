//! End to end through `serve`: signed deliveries in, the fake GitHub's state out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use plasma_fakehub::{FakeCheckRun, FakeCommit, FakeReview, FakeStatus, Fault};
use support::*;

const SETTLE: Duration = Duration::from_secs(20);

fn green_checks(env: &Env, n: u64) {
    let sha = env.hub.head_sha(REPO, n).unwrap();
    for name in ["lint", "test", "security-scan"] {
        env.hub.add_check_run(REPO, &sha, FakeCheckRun::completed(name, "success"));
    }
    env.hub.add_status(REPO, &sha, FakeStatus::new("CodeRabbit", "success"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_loop_end_to_end() {
    let mut env = Env::new("loop").await;
    let n = good_pull(&env.hub);
    env.hub.add_label_by_human(REPO, n, "bug");

    // Opened: the coordination label, one summary, a status, one re-review request.
    assert_eq!(env.deliver("pull_request", "d-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.labels(n), ["bug", "status:needs-coderabbit-review"]);
    assert_eq!(env.sticky_comments(n), 1);
    assert_eq!(env.rereview_requests(n), 1);
    assert_eq!(env.our_status(n).as_deref(), Some("failure"));

    // CodeRabbit requests changes: needs-cursor-fix and the agent labels of the files.
    env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "CHANGES_REQUESTED"));
    assert_eq!(env.deliver("pull_request_review", "d-2", &review_event(n)).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.labels(n), ["agent:docs", "agent:python", "bug", "status:needs-cursor-fix"]);
    assert_eq!(env.sticky_comments(n), 1, "the summary is edited in place");

    // A new commit: back to needs-review, agent labels gone, one request for the new head.
    let new_head = "b".repeat(40);
    let mut c = FakeCommit::verified(&new_head, "Address review");
    c.parents = vec![env.hub.head_sha(REPO, n).unwrap()];
    env.hub.push_commit(REPO, n, c);
    assert_eq!(env.deliver("pull_request", "d-3", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.labels(n), ["bug", "status:needs-coderabbit-review"]);
    assert_eq!(env.rereview_requests(n), 2, "one request per head SHA");

    // CodeRabbit approves, a human approves, checks are green: approved and success.
    env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "APPROVED"));
    env.hub.add_review(REPO, n, FakeReview::new("alice", "APPROVED"));
    green_checks(&env, n);
    assert_eq!(env.deliver("pull_request_review", "d-4", &review_event(n)).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.labels(n), ["bug", "status:coderabbit-approved"]);
    let summary: Vec<String> = env
        .hub
        .comments_of(REPO, n)
        .into_iter()
        .map(|c| c.body)
        .filter(|b| b.contains("plasma-ops:summary"))
        .collect();
    assert_eq!(env.our_status(n).as_deref(), Some("success"), "{summary:?}");
    assert_eq!(env.sticky_comments(n), 1);
    assert_eq!(env.rereview_requests(n), 2);

    // The same delivery again: acknowledged, nothing processed.
    env.hub.reset_requests();
    assert_eq!(env.deliver("pull_request_review", "d-4", &review_event(n)).await, 200);
    env.settle(SETTLE).await;
    assert!(env.hub.requests().is_empty(), "a duplicate delivery costs no GitHub call");

    // A new delivery about an unchanged pull request: no write. Our own last writes changed the
    // comments, labels and statuses, so the first look after them re-reads those; the next is warm.
    assert_eq!(env.deliver("pull_request", "d-5", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert!(!env.hub.requests().iter().any(|r| r.is_write()));
    env.hub.reset_requests();
    assert_eq!(env.deliver("pull_request", "d-6", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    let reqs = env.hub.requests();
    assert!(!reqs.iter().any(|r| r.is_write()), "warm reconcile wrote: {reqs:?}");
    let fresh = reqs.iter().filter(|r| r.status != 304).count();
    let detail: Vec<String> =
        reqs.iter().map(|r| format!("{} {} {}", r.method, r.path, r.status)).collect();
    assert!(fresh <= 1, "warm reconcile: {fresh} non-304 reads of {}: {detail:#?}", reqs.len());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_in_reverse_order_reach_the_same_state() {
    let mut env = Env::new("reverse").await;
    let n = good_pull(&env.hub);
    env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "APPROVED"));
    env.hub.add_review(REPO, n, FakeReview::new("alice", "APPROVED"));
    green_checks(&env, n);
    // The review arrives before the pull request was "opened": level-triggered, it does not matter.
    assert_eq!(env.deliver("pull_request_review", "r-2", &review_event(n)).await, 202);
    assert_eq!(env.deliver("pull_request", "r-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.labels(n), ["status:coderabbit-approved"]);
    assert_eq!(env.our_status(n).as_deref(), Some("success"));
    assert_eq!(env.sticky_comments(n), 1);
    assert_eq!(env.rereview_requests(n), 0, "CodeRabbit already reviewed the head");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_failing_three_times_then_answering() {
    let mut env = Env::new("502").await;
    let n = good_pull(&env.hub);
    env.hub.inject(Fault::Status { code: 502, times: 3, route: None });
    assert_eq!(env.deliver("pull_request", "f-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.labels(n), ["status:needs-coderabbit-review"]);
    assert_eq!(env.sticky_comments(n), 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secondary_rate_limit_is_waited_out() {
    let mut env = Env::new("ratelimit").await;
    let n = good_pull(&env.hub);
    env.hub.inject(Fault::SecondaryRateLimit { retry_after_secs: 1, times: 1 });
    assert_eq!(env.deliver("pull_request", "s-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.labels(n), ["status:needs-coderabbit-review"]);
    assert_eq!(env.sticky_comments(n), 1);
    assert_eq!(env.rereview_requests(n), 1);
    let jobs = env.app().store.jobs(plasma_store::JobFilter::Dead).await.unwrap();
    assert!(jobs.is_empty(), "{jobs:?}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_human_who_removes_an_agent_label_wins_until_the_files_change() {
    let mut env = Env::new("human").await;
    let n = good_pull(&env.hub);
    env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "CHANGES_REQUESTED"));
    assert_eq!(env.deliver("pull_request", "h-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert!(env.labels(n).contains(&"agent:python".to_string()));
    env.hub.remove_label_by_human(REPO, n, "agent:python");
    assert_eq!(env.deliver("pull_request", "h-2", &pr_event("unlabeled", n)).await, 202);
    env.settle(SETTLE).await;
    assert!(
        !env.labels(n).contains(&"agent:python".to_string()),
        "re-added a label a human removed"
    );
    // New Python files: the label is earned again.
    env.hub.set_files(
        REPO,
        n,
        vec![
            plasma_fakehub::FakeFile::modified("app/main.py"),
            plasma_fakehub::FakeFile::added("app/new.py", 3),
            plasma_fakehub::FakeFile::modified("docs/README.md"),
        ],
    );
    assert_eq!(env.deliver("pull_request", "h-3", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert!(env.labels(n).contains(&"agent:python".to_string()));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_configuration_on_the_base_branch_is_a_failing_status() {
    let mut env = Env::new("badconfig").await;
    let n = good_pull(&env.hub);
    env.hub.set_file_content(REPO, "main", ".github/plasma.yml", "approvals:\n  requried: 2\n");
    // The head branch "fixes" it: irrelevant, the base branch's file judges.
    env.hub.set_file_content(
        REPO,
        "gateway/PE-12-bootstrap-fastapi",
        ".github/plasma.yml",
        "approvals:\n  required: 0\n",
    );
    assert_eq!(env.deliver("pull_request", "c-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.our_status(n).as_deref(), Some("failure"));
    let comments = env.hub.comments_of(REPO, n);
    let summary = comments.iter().find(|c| c.body.contains("plasma-ops:summary")).unwrap();
    assert!(summary.body.contains(".github/plasma.yml:2:3"), "{}", summary.body);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingress_refuses_what_it_must() {
    let mut env = Env::new("ingress").await;
    let body = serde_json::to_vec(&pr_event("opened", 1)).unwrap();
    let post = |sig: Option<String>, event: Option<&str>| {
        let mut r = env.http.post(env.url("/webhook")).body(body.clone());
        if let Some(s) = sig {
            r = r.header("x-hub-signature-256", s);
        }
        if let Some(e) = event {
            r = r.header("x-github-event", e).header("x-github-delivery", "i-1");
        }
        r
    };
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(post(None, Some("pull_request")).send().await.unwrap()), 401);
    assert_eq!(
        status(post(Some("sha256=00".into()), Some("pull_request")).send().await.unwrap()),
        401
    );
    let good = plasma_github::sign(SECRET.as_bytes(), &body);
    assert_eq!(status(post(Some(good.clone()), None).send().await.unwrap()), 400);
    let ping = env
        .http
        .post(env.url("/webhook"))
        .header("x-github-event", "ping")
        .header("x-github-delivery", "p")
        .header("x-hub-signature-256", plasma_github::sign(SECRET.as_bytes(), b"{}"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status().as_u16(), 200);
    let big = vec![b' '; 26 * 1024 * 1024];
    // A fresh client: the server closes the connection after refusing the body.
    let r = reqwest::Client::new()
        .post(env.url("/webhook"))
        .header("x-github-event", "push")
        .header("x-github-delivery", "big")
        .header("x-hub-signature-256", plasma_github::sign(SECRET.as_bytes(), &big))
        .body(big)
        .send()
        .await;
    assert_eq!(r.map(|r| r.status().as_u16()).unwrap_or(413), 413);
    assert_eq!(env.http.get(env.url("/healthz")).send().await.unwrap().status().as_u16(), 200);
    assert_eq!(env.http.get(env.url("/readyz")).send().await.unwrap().status().as_u16(), 200);
    let metrics = env.http.get(env.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("plasma_ops_webhook_signature_failures_total"), "{metrics}");
    assert!(!metrics.contains(SECRET) && !metrics.contains("test-installation-token"));
    let depth = env.app().store.queue_depth().await.unwrap();
    assert_eq!(depth.pending + depth.leased, 0, "refused deliveries must not reach the queue");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_gets_its_label_findings_as_one_comment_and_no_label_changes() {
    let mut env = Env::new("issue").await;
    let n = env.hub.add_issue(
        REPO,
        plasma_fakehub::FakeIssue {
            title: "[PE-13] Rate limiting".into(),
            body: None,
            user: "alice".into(),
            state: "open".into(),
            labels: vec!["gateway".into()],
        },
    );
    let event = retarget(example("issues", Some("opened")), n);
    assert_eq!(env.deliver("issues", "i-1", &event).await, 202);
    env.settle(SETTLE).await;
    let comments = env.hub.comments_of(REPO, n);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].body.contains("no phase label"), "{}", comments[0].body);
    assert_eq!(env.hub.labels_of(REPO, n), ["gateway"], "issue labels are the humans' to change");
    // Again: the comment is kept, not repeated.
    assert_eq!(env.deliver("issues", "i-2", &event).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.hub.comments_of(REPO, n).len(), 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_heals_pull_requests_no_webhook_told_us_about() {
    let mut env = Env::new("sweep").await;
    let a = good_pull(&env.hub);
    let b = good_pull(&env.hub);
    env.hub.set_state(REPO, b, "closed", true);
    // A plain token sweeps PLASMA_OPS_REPOSITORIES; no delivery arrived for either pull request.
    let mut cfg = env.app().cfg.clone();
    cfg.repositories = vec![REPO.to_string()];
    let app = plasma_service::App::new(
        cfg,
        env.app().store.clone(),
        env.app().github.clone(),
        plasma_service::system_clock(),
    );
    let n = plasma_service::scheduler::sweep(&app).await.unwrap();
    assert_eq!(n, 1, "only open pull requests are swept");
    env.settle(SETTLE).await;
    assert_eq!(env.labels(a), ["status:needs-coderabbit-review"]);
    assert_eq!(env.sticky_comments(a), 1);
    assert_eq!(env.sticky_comments(b), 0, "closed pull requests get nothing");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_does_not_revive_dead_letters() {
    let mut env = Env::new("sweep-dead").await;
    let a = good_pull(&env.hub);
    let b = good_pull(&env.hub);
    let store = env.app().store.clone();
    let github = env.app().github.clone();
    let mut cfg = env.app().cfg.clone();
    env.stop().await; // no worker races us for the job we kill
    let key = plasma_store::JobKey::Pr { repo: REPO.into(), number: b };
    let now = plasma_service::system_clock()();
    store.trigger(&key, &plasma_store::Cause::from("test"), now).await.unwrap();
    let job = store.lease("test", Duration::from_secs(30), now).await.unwrap().unwrap();
    store.fail(&job, "meant to fail", None, 1, now).await.unwrap();
    cfg.repositories = vec![REPO.to_string()];
    let app = plasma_service::App::new(cfg, store.clone(), github, plasma_service::system_clock());
    assert_eq!(plasma_service::scheduler::sweep(&app).await.unwrap(), 1, "only #{a} is enqueued");
    let dead = store.jobs(plasma_store::JobFilter::Dead).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key, key.to_string());
    assert_eq!(dead[0].last_error.as_deref(), Some("meant to fail"));
}

/// The same service on the machine's PostgreSQL (a database of its own, dropped at the end).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_on_postgresql() {
    let db = format!("plasma_scenario_{}", std::process::id());
    let admin = std::env::var("PLASMA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let psql = |sql: &str| {
        std::process::Command::new("psql")
            .args([admin.as_str(), "-q", "-c", sql])
            .status()
            .unwrap_or_else(|e| panic!("cannot run psql ({e}): apt-get install postgresql-client"))
            .success()
    };
    let _ = psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    assert!(
        psql(&format!("CREATE DATABASE {db}")),
        "start PostgreSQL on 127.0.0.1:5432 (pg_ctlcluster ... start)"
    );
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{db}"),
        None => panic!("PLASMA_TEST_POSTGRES_URL has no database part"),
    };
    let hub = plasma_fakehub::FakeHub::start().await.unwrap();
    hub.add_repo(REPO);
    let api = hub.url();
    let mut cfg = service_config(&temp_db("pg-unused"), &api);
    cfg.database_url = url.clone();
    let store = plasma_store::open(&url).await.expect("PostgreSQL store");
    let gh = plasma_github::GitHubClient::new(
        plasma_github::ClientConfig::new(plasma_github::Auth::Token(plasma_github::Secret::new(
            "test-installation-token",
        )))
        .base_url(api.clone()),
    )
    .unwrap();
    let app = plasma_service::App::new(cfg, store, Some(gh), plasma_service::system_clock());
    let running = plasma_service::start(app).await.unwrap();
    let mut env = Env::around(hub, Some(running), temp_db("pg-unused"), api);
    let n = good_pull(&env.hub);
    assert_eq!(env.deliver("pull_request", "pg-1", &pr_event("opened", n)).await, 202);
    assert_eq!(env.deliver("pull_request", "pg-1", &pr_event("opened", n)).await, 200);
    env.settle(SETTLE).await;
    assert_eq!(env.labels(n), ["status:needs-coderabbit-review"]);
    assert_eq!(env.sticky_comments(n), 1);
    assert_eq!(env.rereview_requests(n), 1);
    env.stop().await;
    let _ = psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_forging_our_markers_are_not_taken_as_ours() {
    let mut env = Env::new("forged").await;
    let n = good_pull(&env.hub);
    let head = env.hub.head_sha(REPO, n).unwrap();
    env.hub.add_comment(REPO, n, "mallory", "<!-- plasma-ops:summary -->\nall good, merge it");
    env.hub.add_comment(
        REPO,
        n,
        "mallory",
        &format!("@coderabbitai review\n\n<!-- plasma-ops:rereview sha={head} -->"),
    );
    assert_eq!(env.deliver("pull_request", "x-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    let ours: Vec<_> =
        env.hub.comments_of(REPO, n).into_iter().filter(|c| c.user == "plasma-ops[bot]").collect();
    assert_eq!(
        ours.iter().filter(|c| c.body.contains("<!-- plasma-ops:summary -->")).count(),
        1,
        "our own summary"
    );
    assert_eq!(
        ours.iter().filter(|c| c.body.starts_with("@coderabbitai review")).count(),
        1,
        "the forged marker did not stop the request"
    );
    let forged = env.hub.comments_of(REPO, n).into_iter().find(|c| c.user == "mallory").unwrap();
    assert!(forged.body.contains("all good, merge it"), "a human's comment is never edited");
    env.stop().await;
}

/// The issue path honours `PLASMA_OPS_BOT_LOGIN` as the pull request path does: a summary or a
/// re-review marker that someone else posted is neither edited nor taken as ours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_issue_summaries_and_rereview_markers_change_nothing() {
    let mut env = Env::new("forged-issue").await;
    let i = env.hub.add_issue(
        REPO,
        plasma_fakehub::FakeIssue {
            title: "[PE-13] Rate limiting".into(),
            body: None,
            user: "alice".into(),
            state: "open".into(),
            labels: vec!["gateway".into()],
        },
    );
    let n = good_pull(&env.hub);
    let head = env.hub.head_sha(REPO, n).unwrap();
    let forged_summary = "<!-- plasma-ops:summary -->\nall good, nothing to fix";
    let forged_marker = format!("@coderabbitai review\n\n<!-- plasma-ops:rereview sha={head} -->");
    for number in [i, n] {
        env.hub.add_comment(REPO, number, "mallory", forged_summary);
        env.hub.add_comment(REPO, number, "mallory", &forged_marker);
    }
    let issue_event = retarget(example("issues", Some("opened")), i);
    assert_eq!(env.deliver("issues", "f-1", &issue_event).await, 202);
    assert_eq!(env.deliver("pull_request", "f-2", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;

    let ours = |number: u64| -> Vec<plasma_fakehub::FakeComment> {
        env.hub
            .comments_of(REPO, number)
            .into_iter()
            .filter(|c| c.user == "plasma-ops[bot]")
            .collect()
    };
    let untouched = |number: u64| {
        let forged: Vec<String> = env
            .hub
            .comments_of(REPO, number)
            .into_iter()
            .filter(|c| c.user == "mallory")
            .map(|c| c.body)
            .collect();
        assert_eq!(forged, [forged_summary.to_string(), forged_marker.clone()], "#{number}");
    };
    let summaries = |number: u64| {
        ours(number).into_iter().filter(|c| c.body.contains("<!-- plasma-ops:summary -->")).count()
    };
    // The issue: our own summary, with the finding the forged one hid.
    let mine = ours(i);
    assert_eq!(summaries(i), 1, "our own issue summary: {mine:?}");
    assert!(mine.iter().any(|c| c.body.contains("no phase label")), "{mine:?}");
    untouched(i);
    // The pull request: our own summary, and the re-review still requested.
    assert_eq!(summaries(n), 1, "our own pull request summary");
    let asks = ours(n).iter().filter(|c| c.body.starts_with("@coderabbitai review")).count();
    assert_eq!(asks, 1, "the forged marker did not stop the request");
    untouched(n);

    // The issue changes: our summary is updated in place, the forged one still untouched.
    env.hub.add_label_by_human(REPO, i, "phase-0");
    assert_eq!(env.deliver("issues", "f-3", &issue_event).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(summaries(i), 1, "updated, not repeated");
    assert!(!ours(i).iter().any(|c| c.body.contains("no phase label")), "{:?}", ours(i));
    untouched(i);
    let asked = env.hub.requests().iter().filter(|r| r.path == "/user" || r.path == "/app").count();
    assert_eq!(asked, 0, "a configured login wins: GitHub is not asked");
    env.stop().await;
}

/// Without `PLASMA_OPS_BOT_LOGIN` the service asks GitHub who it is (`GET /user` for a token), once,
/// and honours that login exactly as a configured one. While GitHub cannot say, the reconcile
/// fails and is retried: markers are never taken as anyone's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_login_is_learned_from_github_once_and_honoured() {
    let mut env = Env::learning_its_login("learned-login").await;
    let n = good_pull(&env.hub);
    let head = env.hub.head_sha(REPO, n).unwrap();
    env.hub.add_comment(REPO, n, "mallory", "<!-- plasma-ops:summary -->\nall good, merge it");
    let marker = format!("@coderabbitai review\n\n<!-- plasma-ops:rereview sha={head} -->");
    env.hub.add_comment(REPO, n, "mallory", &marker);
    // Every attempt of the client's first try fails (one plus four retries): the job fails.
    env.hub.inject(Fault::Status { code: 502, times: 5, route: Some("/user".into()) });
    assert_eq!(env.deliver("pull_request", "l-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    let ours: Vec<_> =
        env.hub.comments_of(REPO, n).into_iter().filter(|c| c.user == "plasma-ops[bot]").collect();
    let summaries = ours.iter().filter(|c| c.body.contains("<!-- plasma-ops:summary -->")).count();
    assert_eq!(summaries, 1, "our own summary, after the retry: {ours:?}");
    let asks = ours.iter().filter(|c| c.body.starts_with("@coderabbitai review")).count();
    assert_eq!(asks, 1, "the forged marker did not stop the request");
    let forged: Vec<_> =
        env.hub.comments_of(REPO, n).into_iter().filter(|c| c.user == "mallory").collect();
    assert!(forged[0].body.contains("all good, merge it"), "a human's comment is never edited");
    // Again: nothing to do, and the login is not asked for again.
    assert_eq!(env.deliver("pull_request", "l-2", &pr_event("synchronize", n)).await, 202);
    env.settle(SETTLE).await;
    let asked: Vec<u16> =
        env.hub.requests().iter().filter(|r| r.path == "/user").map(|r| r.status).collect();
    assert_eq!(asked, [502, 502, 502, 502, 502, 200], "learned once, after the failures");
    assert_eq!(env.sticky_comments(n), 2, "ours and the forged one, nothing more");
    env.stop().await;
}

/// Retention, through the running service: processed deliveries older than `keep_deliveries` go,
/// the action log stays inside `keep_actions`, and the pull request's state is untouched; a
/// redelivery of a pruned delivery is simply reconciled again (level-triggered), without a
/// duplicate write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_prunes_processed_deliveries_and_keeps_the_action_log() {
    let mut env = Env::new("retention").await;
    let n = good_pull(&env.hub);
    assert_eq!(env.deliver("pull_request", "r-1", &pr_event("opened", n)).await, 202);
    assert_eq!(env.deliver("pull_request_review", "r-2", &review_event(n)).await, 202);
    env.settle(SETTLE).await;
    let app = env.app();
    assert!(app.store.delivery("r-1").await.unwrap().unwrap().processed_at.is_some());
    let key = format!("{REPO}#{n}");
    let actions = app.store.actions(&key, 100).await.unwrap().len();
    assert!(actions > 0, "the run logged its writes");

    // Eight days later (the default windows: deliveries 7 days, actions 90 days).
    let later = app.now() + 8 * 86_400_000;
    let aged = plasma_service::App::new(
        app.cfg.clone(),
        app.store.clone(),
        None,
        std::sync::Arc::new(move || later),
    );
    let (deliveries, pruned_actions) = plasma_service::retention::prune_once(&aged).await.unwrap();
    assert_eq!((deliveries, pruned_actions), (2, 0));
    assert!(app.store.delivery("r-1").await.unwrap().is_none());
    assert_eq!(app.store.actions(&key, 100).await.unwrap().len(), actions);
    let metrics = reqwest::get(env.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("plasma_ops_store_pruned_rows_total{table=\"deliveries\"}"),
        "{metrics}"
    );

    // GitHub redelivers r-1 after all: it is a new delivery now, reconciled to the same state.
    let before = (env.labels(n), env.sticky_comments(n));
    assert_eq!(env.deliver("pull_request", "r-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert_eq!((env.labels(n), env.sticky_comments(n)), before);
    assert_eq!(app.store.actions(&key, 100).await.unwrap().len(), actions, "no write repeated");
    env.stop().await;
}

/// Makes the job of pull request `n` dead-letter, as a job out of attempts does. Its run is due an
/// hour from now, so the service's workers (on the wall clock) cannot lease it before the test.
async fn dead_letter(env: &Env, n: u64) {
    let store = env.app().store.clone();
    let later = plasma_service::system_clock()() + 3_600_000;
    let key = plasma_store::JobKey::Pr { repo: REPO.into(), number: n };
    store.trigger(&key, &plasma_store::Cause::from("test"), later).await.unwrap();
    let job = store.lease("test", Duration::from_secs(30), later).await.unwrap().unwrap();
    store.fail(&job, "meant to fail", None, 1, later).await.unwrap();
}

/// The harness itself: a dead letter the test did not declare fails it, where the drained queue
/// alone would have let it pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "1 job(s) dead-lettered, 0 expected")]
async fn an_undeclared_dead_letter_fails_the_test() {
    let env = Env::new("dead-undeclared").await;
    dead_letter(&env, 1).await;
    env.settle(SETTLE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_dead_letter_does_not_fail_the_test() {
    let mut env = Env::new("dead-declared").await;
    env.expect_dead_letters(1);
    dead_letter(&env, 1).await;
    env.settle(SETTLE).await;
    env.stop().await;
}

/// The harness itself: a service task that panicked fails the test at `stop`. The panic comes from
/// the injected clock, which every worker reads when it looks for a job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "service tasks panicked")]
async fn a_panicking_worker_fails_the_test() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let hub = plasma_fakehub::FakeHub::start().await.unwrap();
    let db = temp_db("panicking-worker");
    let cfg = service_config(&db, &hub.url());
    let store = plasma_store::open(&cfg.database_url).await.unwrap();
    let broken = Arc::new(AtomicBool::new(false));
    let panics = Arc::new(AtomicUsize::new(0));
    let wall = plasma_service::system_clock();
    let clock: plasma_service::app::Clock = {
        let (broken, panics) = (Arc::clone(&broken), Arc::clone(&panics));
        Arc::new(move || {
            if broken.load(Ordering::SeqCst) {
                panics.fetch_add(1, Ordering::SeqCst);
                panic!("the test broke the clock");
            }
            wall()
        })
    };
    let app = plasma_service::App::new(cfg, store, None, clock);
    let running = plasma_service::start(app).await.unwrap();
    let mut env = Env::around(hub, Some(running), db, String::new());
    broken.store(true, Ordering::SeqCst);
    // Idle workers look for a job every 250 ms: wait for the first to have panicked.
    let start = std::time::Instant::now();
    while panics.load(Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < SETTLE, "no task read the clock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    env.stop().await;
}
