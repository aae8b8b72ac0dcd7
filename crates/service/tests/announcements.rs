//! The other notification events end to end through `serve` (signed webhooks -> the service ->
//! the fake GitHub and a local Slack receiver): an incident opened, a production deployment, a
//! rollback and a tag pushed are each announced once however their deliveries are repeated
//! (GitHub's redelivery with the same id, or the same event under a new id); the production gate
//! refuses a change while a sev1 incident is open and lets it through once it is not; an ADR
//! proposal is announced once as a Discussion, linked from the pull request's summary, across a
//! replay and a second push; a missing category or `discussions: write` is said on the summary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use plasma_fakehub::{FakeCommit, FakeFile, FakeIssue, FakePull, FakeStatus};
use plasma_store::{NotificationFilter, NotificationRow, NotificationState};
use serde_json::{Value, json};
use support::*;

const SETTLE: Duration = Duration::from_secs(20);
const DOCS: &str = "plasma-engine/plasma-engine-docs";

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

/// `notifications:` sending every event to the receiver, with `extra` configuration after it.
fn config(dir: &tempfile::TempDir, url: &str, extra: &str) -> String {
    let hook_file = dir.path().join("slack-webhook");
    std::fs::write(&hook_file, url).unwrap();
    format!(
        "notifications:\n  targets:\n    devops: {{slack: {{webhook_url_file: {}}}}}\n  routes:\n    \
         - {{events: [incident_opened, incident_unacknowledged, incident_resolved, deployment, \
         rollback, release, adr_proposed], targets: [devops]}}\n{extra}",
        hook_file.display()
    )
}

/// Every row of the outbox once each is sent (or the wait ran out).
async fn sent_rows(env: &Env) -> Vec<NotificationRow> {
    let store = env.app().store.clone();
    let started = Instant::now();
    loop {
        let rows = store.notifications(NotificationFilter::All).await.unwrap();
        if rows.iter().all(|r| r.state == NotificationState::Sent) || started.elapsed() > SETTLE {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sha(c: char) -> String {
    c.to_string().repeat(40)
}

/// RFC 3339 time `minutes` before now: the facts must be recent to be news.
fn ago(minutes: i64) -> String {
    let t = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes);
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn deployment(id: u64, commit: &str, at: &str) -> Value {
    let mut v = retarget(example("deployment", Some("created")), 0);
    v["deployment"]["id"] = json!(id);
    v["deployment"]["sha"] = json!(commit);
    v["deployment"]["ref"] = json!("main");
    v["deployment"]["environment"] = json!("production");
    v["deployment"]["created_at"] = json!(at);
    v
}

fn status(deployment: &Value, id: u64, at: &str) -> Value {
    let mut v = retarget(example("deployment_status", Some("created")), 0);
    v["deployment"] = deployment["deployment"].clone();
    v["deployment_status"]["id"] = json!(id);
    v["deployment_status"]["state"] = json!("success");
    v["deployment_status"]["created_at"] = json!(at);
    v["deployment_status"]["target_url"] =
        json!(format!("https://github.com/{REPO}/actions/runs/{id}"));
    v
}

fn gate_request(deployment: &Value, run_id: u64) -> Value {
    let d = &deployment["deployment"];
    json!({
        "action": "requested",
        "environment": d["environment"],
        "event": "push",
        "sha": d["sha"],
        "ref": "refs/heads/main",
        "deployment_callback_url": format!("https://api.github.com/repos/{REPO}/actions/runs/{run_id}/deployment_protection_rule"),
        "deployment": d,
        "pull_requests": [],
        "repository": deployment["repository"],
        "sender": deployment["sender"],
    })
}

/// A tag pushed, as GitHub's `push` example carries it.
fn tag_push(tag: &str, commit: &str) -> Value {
    let mut v = retarget(example("push", None), 0);
    v["ref"] = json!(format!("refs/tags/{tag}"));
    v["before"] = json!("0".repeat(40));
    v["after"] = json!(commit);
    v["created"] = json!(true);
    v["deleted"] = json!(false);
    v["repository"]["pushed_at"] = json!(jiff::Timestamp::now().as_second() - 60);
    v
}

/// main: c1 <- c2 <- c3 (merges a pull request that passed the process).
fn history(env: &Env) -> u64 {
    let mut parent: Option<String> = None;
    for c in ['1', '2', '3'] {
        let mut commit = FakeCommit::verified(&sha(c), &format!("commit {c}"));
        commit.parents = parent.iter().cloned().collect();
        commit.date = Some(ago(600));
        env.hub.add_repo_commit(REPO, commit);
        parent = Some(sha(c));
    }
    let pull = FakePull {
        head_sha: sha('b'),
        head_ref: "feature-b".into(),
        ..FakePull::titled("[PE-3] Change b")
    };
    let n = env.hub.add_pull(REPO, pull);
    env.hub.merge_pull(REPO, n, &sha('3'));
    env.hub.add_status(REPO, &sha('b'), FakeStatus::new("plasma-ops/process", "success"));
    n
}

fn issues_event(action: &str, n: u64) -> Value {
    let mut v = retarget(example("issues", Some("opened")), n);
    v["action"] = json!(action);
    v["sender"]["login"] = json!("alice");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_deployments_rollbacks_and_releases_are_each_announced_once() {
    let (url, got) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = Env::new("announce-events").await;
    history(&env);
    let extra = "deployments:\n  gate: [production]\n";
    env.hub.set_file_content(REPO, "main", ".github/plasma.yml", &config(&dir, &url, extra));

    // A sev1 incident, opened: delivered, redelivered, and delivered again under a new id.
    let incident = env.hub.add_issue(
        REPO,
        FakeIssue {
            title: "Gateway returns 502".into(),
            body: Some("Since 10:02 every request fails.".into()),
            user: "alice".into(),
            state: "open".into(),
            labels: vec!["incident".into(), "sev1".into()],
        },
    );
    env.hub.assign(REPO, incident, "alice", "bob");
    assert_eq!(env.deliver("issues", "i-1", &issues_event("opened", incident)).await, 202);
    assert_eq!(env.deliver("issues", "i-1", &issues_event("opened", incident)).await, 200);
    assert_eq!(env.deliver("issues", "i-1b", &issues_event("opened", incident)).await, 202);
    env.settle(SETTLE).await;

    // Production: c2 (the first), c3 (a change), c2 again (a rollback); each status twice.
    let d1 = deployment(101, &sha('2'), &ago(30));
    let d2 = deployment(102, &sha('3'), &ago(20));
    let d3 = deployment(103, &sha('2'), &ago(10));
    for (d, sid, at) in [(&d1, 1, ago(29)), (&d2, 2, ago(19)), (&d3, 3, ago(9))] {
        let id = d["deployment"]["id"].as_u64().unwrap();
        assert_eq!(env.deliver("deployment", &format!("dep-{id}"), d).await, 202);
        let s = status(d, sid, &at);
        assert_eq!(env.deliver("deployment_status", &format!("st-{sid}"), &s).await, 202);
        env.settle(SETTLE).await;
        assert_eq!(env.deliver("deployment_status", &format!("st-{sid}"), &s).await, 200);
        assert_eq!(env.deliver("deployment_status", &format!("st-{sid}-again"), &s).await, 202);
    }
    // A tag pushed, redelivered and delivered again; a branch push is no release.
    let push = tag_push("v1.0.0", &sha('3'));
    assert_eq!(env.deliver("push", "p-1", &push).await, 202);
    assert_eq!(env.deliver("push", "p-1", &push).await, 200);
    assert_eq!(env.deliver("push", "p-1b", &push).await, 202);
    let mut branch = tag_push("x", &sha('3'));
    branch["ref"] = json!("refs/heads/feature");
    assert_eq!(env.deliver("push", "p-2", &branch).await, 202);
    env.settle(SETTLE).await;

    let rows = sent_rows(&env).await;
    let mut seen: Vec<(&str, &str)> =
        rows.iter().map(|r| (r.event.as_str(), r.dedupe_key.as_str())).collect();
    seen.sort_unstable();
    let three = sha('3');
    assert_eq!(
        seen,
        [
            ("deployment", "101"),
            ("deployment", "102"),
            ("incident_opened", seen[2].1),
            ("release", three.as_str()),
            ("rollback", "103"),
        ],
        "{rows:#?}"
    );
    assert!(rows.iter().all(|r| r.state == NotificationState::Sent && r.target == "devops"));
    // The receiver got each once, as Block Kit with its plain-text fallback.
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 5, "{bodies:#?}");
    let texts: Vec<&str> = bodies.iter().filter_map(|b| b["text"].as_str()).collect();
    let has = |p: &str| texts.iter().filter(|t| t.starts_with(p)).count();
    assert_eq!(has(&format!("Incident opened (sev1): {REPO}#{incident} Gateway returns 502")), 1);
    assert_eq!(has(&format!("Rollback of {REPO} to production: 2222222")), 1, "{texts:#?}");
    assert_eq!(has(&format!("Deployment of {REPO} to production: 3333333")), 1);
    assert_eq!(has(&format!("Release v1.0.0 of {REPO}")), 1);

    // The gate: deploying c3 over the rollback brings a pull request that passed, but a sev1
    // incident is open, so only rollbacks and redeploys may go.
    let g1 = deployment(201, &sha('3'), &ago(1));
    assert_eq!(
        env.deliver("deployment_protection_rule", "g-1", &gate_request(&g1, 501)).await,
        202
    );
    env.settle(SETTLE).await;
    let answers = env.hub.gate_answers();
    assert_eq!(answers.len(), 1, "{answers:#?}");
    assert_eq!(answers[0].state.as_deref(), Some("rejected"));
    let why = answers[0].comment.clone().unwrap_or_default();
    assert!(why.contains("1 open sev1 incident(s)"), "{why}");
    // The incident is downgraded (its sev1 label taken off): the same change goes through.
    env.hub.remove_label_by_human(REPO, incident, "sev1");
    env.hub.add_label_by_human(REPO, incident, "sev2");
    assert_eq!(env.deliver("issues", "i-2", &issues_event("labeled", incident)).await, 202);
    env.settle(SETTLE).await;
    let g2 = deployment(202, &sha('3'), &ago(1));
    assert_eq!(
        env.deliver("deployment_protection_rule", "g-2", &gate_request(&g2, 502)).await,
        202
    );
    env.settle(SETTLE).await;
    let answers = env.hub.gate_answers();
    let second = answers.iter().find(|a| a.run_id == 502).expect("answered");
    assert_eq!(second.state.as_deref(), Some("approved"), "{second:?}");
    env.stop().await;
}

fn adr_pull(env: &Env, adr: &str) -> u64 {
    let n = env.hub.add_pull(
        REPO,
        FakePull {
            title: "[PE-7] ADR: cache layer".into(),
            body: Some(
                "- [x] Tests run\n- [x] Lint pass\n- [x] Docs updated\n- [x] ADR impact: new ADR\n"
                    .into(),
            ),
            user: "bob".into(),
            head_ref: "docs/PE-7-adr-cache".into(),
            ..FakePull::default()
        },
    );
    env.hub.set_files(
        REPO,
        n,
        vec![FakeFile::added(adr, 40), FakeFile::modified("docs/README.md")],
    );
    n
}

fn summary(env: &Env, n: u64) -> String {
    env.hub
        .comments_of(REPO, n)
        .into_iter()
        .map(|c| c.body)
        .find(|b| b.contains("<!-- plasma-ops:summary -->"))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adr_proposal_is_announced_once_as_a_discussion_and_linked_from_the_summary() {
    let (url, got) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = Env::new("announce-adr").await;
    env.hub.add_repo(DOCS);
    env.hub.enable_discussions(DOCS, &["General", "ADR"]);
    let extra = format!("adr:\n  discussions: {{repo: {DOCS}, category: adr}}\n");
    env.hub.set_file_content(REPO, "main", ".github/plasma.yml", &config(&dir, &url, &extra));
    let n = adr_pull(&env, "docs/adr/0007-cache-layer.md");

    assert_eq!(env.deliver("pull_request", "a-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    // GitHub's redelivery, the same event under a new id, and a second push.
    assert_eq!(env.deliver("pull_request", "a-1", &pr_event("opened", n)).await, 200);
    assert_eq!(env.deliver("pull_request", "a-2", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    env.hub.set_head_sha(REPO, n, &sha('e'));
    assert_eq!(env.deliver("pull_request", "a-3", &pr_event("synchronize", n)).await, 202);
    env.settle(SETTLE).await;

    let made = env.hub.discussions(DOCS);
    assert_eq!(made.len(), 1, "{made:#?}");
    assert_eq!(made[0].category, "ADR");
    assert_eq!(made[0].title, format!("ADR proposal: docs/adr/0007-cache-layer.md ({REPO}#{n})"));
    assert!(made[0].body.contains(&format!("<!-- plasma-ops:adr:{REPO}#{n} -->")));
    let s = summary(&env, n);
    assert!(s.contains("#### ADR proposal"), "{s}");
    assert!(s.contains(&made[0].url), "{s}");
    let rows = sent_rows(&env).await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!((rows[0].event.as_str(), rows[0].state), ("adr_proposed", NotificationState::Sent));
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    let text = bodies[0]["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("ADR proposed: docs/adr/0007-cache-layer.md"), "{text}");

    let store = env.app().store.clone();
    assert!(store.adr_discussion(REPO, n as i64).await.unwrap().is_some());
    env.stop().await;

    // A replica whose store never got the commit (it crashed between GitHub's answer and the
    // commit): the marker in the Discussion's body finds it, and no second one is made.
    let hub = env.hub.clone();
    let api_url = hub.url();
    let mut again = Env::with_hub("announce-adr-again", hub, api_url).await;
    assert_eq!(again.deliver("pull_request", "a-4", &pr_event("synchronize", n)).await, 202);
    again.settle(SETTLE).await;
    assert_eq!(again.hub.discussions(DOCS).len(), 1);
    let found = again.app().store.adr_discussion(REPO, n as i64).await.unwrap();
    assert_eq!(found.map(|d| d.discussion_url), Some(made[0].url.clone()));
    again.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_category_or_discussions_permission_is_said_on_the_summary() {
    let (url, _got) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = Env::new("announce-adr-refused").await;
    env.hub.add_repo(DOCS);
    env.hub.enable_discussions(DOCS, &["General"]);
    let extra = format!("adr:\n  discussions: {{repo: {DOCS}, category: ADR}}\n");
    env.hub.set_file_content(REPO, "main", ".github/plasma.yml", &config(&dir, &url, &extra));
    let n = adr_pull(&env, "docs/adr/0008-queue.md");
    assert_eq!(env.deliver("pull_request", "r-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    let s = summary(&env, n);
    assert!(s.contains("has no Discussion category named `ADR` (it has General)"), "{s}");

    // The category exists now, but the App may not write Discussions: GitHub's "not accessible".
    env.hub.enable_discussions(DOCS, &["General", "ADR"]);
    env.hub.deny_discussion_writes(DOCS);
    assert_eq!(env.deliver("pull_request", "r-2", &pr_event("synchronize", n)).await, 202);
    env.settle(SETTLE).await;
    let s = summary(&env, n);
    assert!(s.contains("`Discussions: Read and write`"), "{s}");
    assert!(s.contains("Resource not accessible by integration"), "{s}");
    assert!(env.hub.discussions(DOCS).is_empty());
    // Nothing was announced, so nothing was enqueued.
    assert!(sent_rows(&env).await.is_empty());

    // A repository without Discussions, or one the App cannot see.
    let extra = "adr:\n  discussions: {repo: nobody/nothing}\n";
    // Changed the way a person changes it: a commit and its `push` webhook (the service reads
    // `.github/plasma.yml` again only when a push touches `.github/`).
    env.push_file(REPO, ".github/plasma.yml", &config(&dir, &url, extra)).await;
    assert_eq!(env.deliver("pull_request", "r-3", &pr_event("synchronize", n)).await, 202);
    env.settle(SETTLE).await;
    let s = summary(&env, n);
    assert!(s.contains("GitHub says it cannot find nobody/nothing"), "{s}");
    env.stop().await;
}
