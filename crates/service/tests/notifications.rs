//! Notifications end to end through `serve`: a pull request that becomes ready to merge is
//! announced once on the configured Slack webhook (a local receiver) and once as a comment on the
//! configured issue (the fake GitHub), however many deliveries about it arrive afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use plasma_fakehub::{FakeCheckRun, FakeReview, FakeStatus};
use plasma_store::{NotificationFilter, NotificationState};
use serde_json::Value;
use support::*;

const SETTLE: Duration = Duration::from_secs(20);

/// A Slack-like webhook endpoint that keeps every body it accepted.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let keep = Arc::clone(&got);
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: String| {
            let keep = Arc::clone(&keep);
            async move {
                keep.lock().unwrap().push(serde_json::from_str(&body).unwrap_or(Value::Null));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_to_merge_is_announced_once() {
    let (url, got) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let hook_file = dir.path().join("slack-webhook");
    std::fs::write(&hook_file, &url).unwrap();
    let mut env = Env::new("notify-ready").await;
    let n = good_pull(&env.hub);
    let config = format!(
        "notifications:\n  targets:\n    devops: {{slack: {{webhook_url_file: {}}}}}\n    \
         status: {{github: {{repository: {REPO}, issue: {n}}}}}\n  \
         routes:\n    - {{events: [ready_to_merge], targets: [devops, status]}}\n",
        hook_file.display()
    );
    env.hub.set_file_content(REPO, "main", ".github/plasma.yml", &config);

    // Opened, not ready: nothing to announce.
    assert_eq!(env.deliver("pull_request", "d-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    let store = env.app().store.clone();
    assert!(store.notifications(NotificationFilter::All).await.unwrap().is_empty());

    // CodeRabbit and a human approve, checks are green: ready.
    env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "APPROVED"));
    env.hub.add_review(REPO, n, FakeReview::new("alice", "APPROVED"));
    let sha = env.hub.head_sha(REPO, n).unwrap();
    for name in ["lint", "test", "security-scan"] {
        env.hub.add_check_run(REPO, &sha, FakeCheckRun::completed(name, "success"));
    }
    env.hub.add_status(REPO, &sha, FakeStatus::new("CodeRabbit", "success"));
    assert_eq!(env.deliver("pull_request_review", "d-2", &review_event(n)).await, 202);
    env.settle(SETTLE).await;
    // The same delivery redelivered, and another event about the unchanged pull request.
    assert_eq!(env.deliver("pull_request_review", "d-2", &review_event(n)).await, 200);
    assert_eq!(env.deliver("pull_request", "d-3", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;

    // One row for the head, and the worker delivers it.
    let started = Instant::now();
    let rows = loop {
        let rows = store.notifications(NotificationFilter::All).await.unwrap();
        if rows.iter().all(|r| r.state == NotificationState::Sent) || started.elapsed() > SETTLE {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let targets: Vec<&str> = rows.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["devops", "status"], "{rows:?}");
    for r in &rows {
        assert_eq!((r.event.as_str(), r.dedupe_key.as_str()), ("ready_to_merge", sha.as_str()));
        assert_eq!(r.state, NotificationState::Sent, "{rows:?}");
    }
    // The github target commented once, with the notification's marker.
    let comments: Vec<String> = env
        .hub
        .comments_of(REPO, n)
        .into_iter()
        .map(|c| c.body)
        .filter(|b| b.contains("plasma-ops:notification:"))
        .collect();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].contains("**Ready to merge:"), "{}", comments[0]);
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    let text = bodies[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("Ready to merge: {REPO}#{n} [PE-12] Gateway bootstrap")),
        "{text}"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fix_waiting_longer_than_configured_is_announced_once_per_labelling() {
    let (url, got) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let hook_file = dir.path().join("slack-webhook");
    std::fs::write(&hook_file, &url).unwrap();
    let mut env = Env::new("notify-fix-waiting").await;
    let n = good_pull(&env.hub);
    let config = format!(
        "notifications:\n  fix_waiting_after: 4h\n  targets:\n    devops: {{slack: {{webhook_url_file: {}}}}}\n  \
         routes:\n    - {{events: [fix_waiting], targets: [devops]}}\n",
        hook_file.display()
    );
    env.hub.set_file_content(REPO, "main", ".github/plasma.yml", &config);

    // CodeRabbit asks for changes: plasma-ops adds status:needs-cursor-fix (GitHub records when).
    env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "CHANGES_REQUESTED"));
    assert_eq!(env.deliver("pull_request_review", "f-1", &review_event(n)).await, 202);
    env.settle(SETTLE).await;
    assert!(env.labels(n).contains(&"status:needs-cursor-fix".to_owned()), "{:?}", env.labels(n));
    let store = env.app().store.clone();
    // Just labelled: nothing yet, and nothing on a second look either.
    assert_eq!(env.deliver("pull_request", "f-2", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert!(store.notifications(NotificationFilter::All).await.unwrap().is_empty());

    // By GitHub's clock the label went on five hours ago: the next look announces it, once.
    let five_hours_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(5);
    let five_hours_ago = jiff::Timestamp::from_second(five_hours_ago.as_second()).unwrap();
    env.hub.backdate_label(REPO, n, "status:needs-cursor-fix", five_hours_ago);
    assert_eq!(env.deliver("pull_request", "f-3", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.deliver("pull_request", "f-4", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    let started = Instant::now();
    let rows = loop {
        let rows = store.notifications(NotificationFilter::All).await.unwrap();
        if rows.iter().all(|r| r.state == NotificationState::Sent) || started.elapsed() > SETTLE {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].event, "fix_waiting");
    assert_eq!(rows[0].dedupe_key, five_hours_ago.to_string());
    assert_eq!(rows[0].state, NotificationState::Sent);
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    let text = bodies[0]["text"].as_str().unwrap();
    assert!(text.starts_with(&format!("Fix waiting 5h: {REPO}#{n}")), "{text}");
    assert!(text.contains("agent:docs, agent:python"), "{text}");
    env.stop().await;
}
