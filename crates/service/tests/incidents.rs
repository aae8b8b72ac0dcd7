//! Incidents and issue templates end to end: signed webhooks -> the service -> the fake GitHub.
//! An incident closed without a postmortem is reopened once with one comment; closed again with
//! a link it stays closed; a waiver or a close as not planned is left alone; a duplicate close
//! delivery reopens once. The owner deadline is checked by the timed check. An issue that leaves
//! a required template field empty gets the finding on its summary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use plasma_fakehub::{FakeHub, FakeIssue};
use plasma_github::{Auth, ClientConfig, GitHubClient, Secret};
use plasma_service::{App, start};
use serde_json::{Value, json};
use support::{Env, REPO, example, retarget, service_config, temp_db};

const SETTLE: Duration = Duration::from_secs(20);
const MARKER: &str = "<!-- plasma-ops:incident-reopen";
const POSTMORTEM: &str = "https://github.com/plasma-engine/plasma-engine-docs/blob/main/docs/postmortems/2026-12-05-gateway.md";

/// A service whose clock the test moves (`offset` milliseconds ahead of the system's).
async fn env_with_clock(name: &str, offset: Arc<AtomicI64>) -> Env {
    support::init_test_logs();
    let hub = FakeHub::start().await.expect("fake GitHub");
    hub.add_repo(REPO);
    let api_url = hub.url();
    let db = temp_db(name);
    let cfg = service_config(&db, &api_url);
    let store = plasma_store::open(&cfg.database_url).await.expect("store");
    let gh = GitHubClient::new(
        ClientConfig::new(Auth::Token(Secret::new("test-installation-token")))
            .base_url(api_url.clone()),
    )
    .expect("client");
    let clock =
        Arc::new(move || jiff::Timestamp::now().as_millisecond() + offset.load(Ordering::SeqCst));
    let app = App::new(cfg, store, Some(gh), clock);
    let running = start(app).await.expect("start service");
    Env::around(hub, Some(running), db, api_url)
}

fn incident(env: &Env, labels: &[&str]) -> u64 {
    let n = env.hub.add_issue(
        REPO,
        FakeIssue {
            title: "Gateway returns 502".into(),
            body: Some("Since 10:02 every request fails.".into()),
            user: "alice".into(),
            state: "open".into(),
            labels: labels.iter().map(|s| s.to_string()).collect(),
        },
    );
    env.hub.assign(REPO, n, "alice", "bob");
    n
}

fn issues_event(action: &str, n: u64, sender: &str) -> Value {
    let mut v = retarget(example("issues", Some(action)), n);
    v["sender"]["login"] = json!(sender);
    v
}

/// The published examples hold no `closed` issue event: an `opened` one, closed as GitHub sends it.
fn closed_event(n: u64, sender: &str) -> Value {
    let mut v = issues_event("opened", n, sender);
    v["action"] = json!("closed");
    v["issue"]["state"] = json!("closed");
    v["issue"]["state_reason"] = json!("completed");
    v["issue"]["closed_at"] = json!("2026-12-05T10:00:00Z");
    v
}

fn comment_event(n: u64, sender: &str) -> Value {
    let mut v = retarget(example("issue_comment", Some("created")), n);
    v["sender"]["login"] = json!(sender);
    v["issue"]["pull_request"] = Value::Null;
    v
}

fn reopen_comments(env: &Env, n: u64) -> Vec<String> {
    env.hub
        .comments_of(REPO, n)
        .into_iter()
        .map(|c| c.body)
        .filter(|b| b.contains(MARKER))
        .collect()
}

fn summary(env: &Env, n: u64) -> String {
    env.hub
        .comments_of(REPO, n)
        .into_iter()
        .map(|c| c.body)
        .find(|b| b.contains("<!-- plasma-ops:summary -->"))
        .unwrap_or_default()
}

fn state(env: &Env, n: u64) -> (String, Option<String>) {
    env.hub.issue_state(REPO, n).expect("issue")
}

async fn incident_row(env: &Env, n: u64) -> plasma_store::IncidentRow {
    let rows = env.app().store.incidents(None, 0).await.unwrap();
    rows.into_iter().find(|r| r.number == n as i64).expect("the incident is recorded")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_without_a_postmortem_it_is_reopened_once_then_closes_with_a_link() {
    let mut env = Env::new("incident-close").await;
    let n = incident(&env, &["incident", "sev1"]);
    assert_eq!(env.deliver("issues", "o-1", &issues_event("opened", n, "alice")).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(state(&env, n).0, "open");
    assert!(reopen_comments(&env, n).is_empty());

    // Closed as completed, no postmortem: reopened, one comment saying what is missing.
    env.hub.close_issue(REPO, n, "bob", "completed");
    let closed = closed_event(n, "bob");
    assert_eq!(env.deliver("issues", "c-1", &closed).await, 202);
    // The same close twice at once, as GitHub sometimes sends it.
    assert_eq!(env.deliver("issues", "c-1-twin", &closed).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(state(&env, n), ("open".into(), Some("reopened".into())));
    let comments = reopen_comments(&env, n);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].contains("without a postmortem link"), "{}", comments[0]);
    assert!(comments[0].contains("`postmortem:waived`"), "{}", comments[0]);
    assert!(summary(&env, n).contains("without a postmortem link"), "{}", summary(&env, n));

    // The same close delivered again (a redelivery, and a copy under another id): nothing more.
    assert_eq!(env.deliver("issues", "c-1", &closed).await, 200, "a redelivery is a duplicate");
    assert_eq!(env.deliver("issues", "c-1-copy", &closed).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(reopen_comments(&env, n).len(), 1);
    assert_eq!(state(&env, n).0, "open");

    // The postmortem is linked in a comment, and it is closed again: it stays closed.
    env.hub.add_comment(REPO, n, "bob", &format!("Postmortem: [here]({POSTMORTEM})."));
    assert_eq!(env.deliver("issue_comment", "pm-1", &comment_event(n, "bob")).await, 202);
    env.hub.close_issue(REPO, n, "bob", "completed");
    assert_eq!(env.deliver("issues", "c-2", &closed_event(n, "bob")).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(state(&env, n).0, "closed");
    assert_eq!(reopen_comments(&env, n).len(), 1);
    let row = incident_row(&env, n).await;
    assert_eq!(row.state, "resolved");
    assert_eq!(row.postmortem.as_deref(), Some(POSTMORTEM));
    assert_eq!(row.severity.as_deref(), Some("sev1"));
    assert!(row.acknowledged_at.is_some_and(|a| a >= row.opened_at));
    assert!(row.resolved_at.is_some_and(|r| r >= row.opened_at));
    let kinds: Vec<String> = env
        .app()
        .store
        .incident_events(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event.kind)
        .collect();
    assert_eq!(kinds, ["opened", "resolved"]);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiver_or_a_close_as_not_planned_is_left_alone() {
    let mut env = Env::new("incident-waived").await;
    let waived = incident(&env, &["incident", "sev2", "postmortem:waived"]);
    let dismissed = incident(&env, &["incident", "sev3"]);
    env.hub.close_issue(REPO, waived, "bob", "completed");
    env.hub.close_issue(REPO, dismissed, "bob", "not_planned");
    assert_eq!(env.deliver("issues", "w-1", &closed_event(waived, "bob")).await, 202);
    assert_eq!(env.deliver("issues", "d-1", &closed_event(dismissed, "bob")).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(state(&env, waived), ("closed".into(), Some("completed".into())));
    assert_eq!(state(&env, dismissed), ("closed".into(), Some("not_planned".into())));
    assert!(reopen_comments(&env, waived).is_empty());
    assert!(reopen_comments(&env, dismissed).is_empty());
    assert_eq!(incident_row(&env, waived).await.state, "resolved");
    assert_eq!(incident_row(&env, waived).await.postmortem, None);
    assert_eq!(incident_row(&env, dismissed).await.state, "dismissed");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_to_an_issue_labelled_postmortem_counts_and_an_unlabelled_one_does_not() {
    let mut env = Env::new("incident-labelled").await;
    let n = incident(&env, &["incident", "sev2"]);
    let plain = env.hub.add_issue(
        REPO,
        FakeIssue {
            title: "notes".into(),
            body: None,
            user: "bob".into(),
            state: "open".into(),
            labels: vec![],
        },
    );
    let pm = env.hub.add_issue(
        REPO,
        FakeIssue {
            title: "Postmortem: 502s".into(),
            body: None,
            user: "bob".into(),
            state: "open".into(),
            labels: vec!["postmortem".into()],
        },
    );
    let link = |k: u64| format!("https://github.com/{REPO}/issues/{k}");
    env.hub.add_comment(REPO, n, "bob", &format!("see {}", link(plain)));
    env.hub.close_issue(REPO, n, "bob", "completed");
    assert_eq!(env.deliver("issues", "l-1", &closed_event(n, "bob")).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(state(&env, n).0, "open", "an unlabelled issue is no postmortem");
    env.hub.add_comment(REPO, n, "bob", &format!("postmortem: {}", link(pm)));
    env.hub.close_issue(REPO, n, "bob", "completed");
    assert_eq!(env.deliver("issues", "l-2", &closed_event(n, "bob")).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(state(&env, n).0, "closed");
    assert_eq!(incident_row(&env, n).await.postmortem, Some(link(pm)));
    assert_eq!(reopen_comments(&env, n).len(), 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plasma_ops_never_reacts_to_its_own_events() {
    let mut env = Env::new("incident-own").await;
    let n = incident(&env, &["incident", "sev1"]);
    env.hub.close_issue(REPO, n, "bob", "completed");
    // A close that only plasma-ops's own delivery announces (as a replay of its own reopen
    // would): no job runs for it, so nothing is reopened.
    assert_eq!(env.deliver("issues", "own-1", &closed_event(n, "plasma-ops[bot]")).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(state(&env, n).0, "closed");
    assert!(env.hub.comments_of(REPO, n).is_empty());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unowned_incident_is_flagged_when_its_deadline_passes() {
    let offset = Arc::new(AtomicI64::new(0));
    let mut env = env_with_clock("incident-deadline", Arc::clone(&offset)).await;
    let n = env.hub.add_issue(
        REPO,
        FakeIssue {
            title: "Brain latency".into(),
            body: None,
            user: "alice".into(),
            state: "open".into(),
            labels: vec!["incident".into()],
        },
    );
    assert_eq!(env.deliver("issues", "u-1", &issues_event("opened", n, "alice")).await, 202);
    env.settle(SETTLE).await;
    let first = summary(&env, n);
    assert!(first.contains("no severity label"), "{first}");
    assert!(first.contains("an assignee is due by"), "{first}");
    assert_eq!(plasma_service::incident_check::check_due(&env.app()).await.unwrap(), 0);

    // 31 minutes later, by the service's clock: the timed check finds it.
    offset.store(31 * 60_000, Ordering::SeqCst);
    assert_eq!(plasma_service::incident_check::check_due(&env.app()).await.unwrap(), 1);
    env.settle(SETTLE).await;
    let later = summary(&env, n);
    assert!(later.contains("no assignee 30m after the incident was opened"), "{later}");
    let outbox = env.app().store.incident_events(0, 100).await.unwrap();
    let kinds: Vec<&str> = outbox.iter().map(|e| e.event.kind.as_str()).collect();
    assert_eq!(kinds, ["opened", "unacknowledged"]);
    let event: Value = serde_json::from_str(&outbox[1].event.body).unwrap();
    assert_eq!(event["kind"], "unacknowledged");
    // Judged once past its deadline, it is not queued again.
    assert_eq!(plasma_service::incident_check::check_due(&env.app()).await.unwrap(), 0);
    assert_eq!(incident_row(&env, n).await.acknowledged_at, None);
    env.stop().await;
}

const BUG_FORM: &str = "name: Bug report\ndescription: Something is broken\ntitle: \"[Bug]: \"\nlabels: [bug]\nbody:\n  - type: textarea\n    id: what\n    attributes:\n      label: What happened?\n    validations:\n      required: true\n  - type: input\n    id: version\n    attributes:\n      label: Version\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_missing_a_required_template_field_gets_the_finding() {
    let mut env = Env::new("issue-template").await;
    env.hub.set_file_content(REPO, "main", ".github/ISSUE_TEMPLATE/bug.yml", BUG_FORM);
    env.hub.set_file_content(
        REPO,
        "main",
        ".github/ISSUE_TEMPLATE/config.yml",
        "blank_issues_enabled: false\n",
    );
    let n = env.hub.add_issue(
        REPO,
        FakeIssue {
            title: "[Bug]: login fails".into(),
            body: Some("### What happened?\n\n_No response_\n\n### Version\n\n1.2\n".into()),
            user: "alice".into(),
            state: "open".into(),
            labels: vec!["bug".into(), "phase-0".into(), "gateway".into(), "needs-review".into()],
        },
    );
    assert_eq!(env.deliver("issues", "t-1", &issues_event("opened", n, "alice")).await, 202);
    env.settle(SETTLE).await;
    let s = summary(&env, n);
    assert!(s.contains("`issue-template`"), "{s}");
    assert!(
        s.contains("the required field `What happened?` of the template `Bug report` is empty"),
        "{s}"
    );
    // Filled in: the summary says so, in place.
    env.hub.set_issue_body(
        REPO,
        n,
        "### What happened?\n\nThe login form answers 500.\n\n### Version\n\n1.2\n",
    );
    assert_eq!(env.deliver("issues", "t-2", &issues_event("edited", n, "alice")).await, 202);
    env.settle(SETTLE).await;
    let s = summary(&env, n);
    assert!(!s.contains("`issue-template`"), "{s}");
    assert_eq!(env.sticky_comments(n), 1);
    env.stop().await;
}
