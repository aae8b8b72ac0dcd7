//! The snapshot fetcher: every collection known and mapped, our own comment and status found,
//! configuration read from the base branch (never the head) and the organisation's `.github`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use base64::Engine as _;
use plasma_github::{ClientConfig, FetchOptions, GitHubClient};
use plasma_policy::plan::rereview_body;
use plasma_policy::render::SUMMARY_MARKER;
use plasma_policy::snapshot::{ActorKind, PrState, ReviewState};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HEAD: &str = "1111111111111111111111111111111111111111";
const BASE: &str = "2222222222222222222222222222222222222222";

fn client(server: &MockServer) -> GitHubClient {
    let mut c = ClientConfig::with_token("ghp_test").base_url(server.uri());
    c.retry_base_delay = Duration::from_millis(1);
    GitHubClient::new(c).unwrap()
}

fn content(text: &str) -> Value {
    json!({"type": "file", "encoding": "base64", "size": text.len(),
           "content": base64::engine::general_purpose::STANDARD.encode(text)})
}

async fn get(server: &MockServer, p: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

/// A pull request from `evil/plasma-yml` (which edits the configuration) into `main`.
async fn mount_pr(server: &MockServer) {
    get(
        server,
        "/repos/o/r/pulls/12",
        json!({
            "number": 12, "title": "[PE-12] Gateway", "body": "- [x] Tests run", "state": "open",
            "draft": false, "merged": false,
            "user": {"login": "bob", "type": "User"},
            "head": {"ref": "evil/plasma-yml", "sha": HEAD},
            "base": {"ref": "main", "sha": BASE},
            "labels": [{"name": "bug"}, {"name": "status:needs-review"}]
        }),
    )
    .await;
    get(server, "/repos/o/r/pulls/12/files", json!([
        {"filename": ".github/plasma.yml", "status": "modified", "additions": 3, "deletions": 1},
        {"filename": "new.py", "status": "renamed", "additions": 0, "deletions": 0, "previous_filename": "old.py"}
    ]))
    .await;
    get(server, "/repos/o/r/pulls/12/commits", json!([
        {"sha": "c1", "parents": [{"sha": BASE}],
         "commit": {"message": "feat: one\n\nbody", "verification": {"verified": true, "reason": "valid"}}},
        {"sha": "c2", "parents": [{"sha": "c1"}, {"sha": "x"}],
         "commit": {"message": "Merge main", "verification": null}}
    ]))
    .await;
    get(server, "/repos/o/r/pulls/12/reviews", json!([
        {"id": 1, "user": {"login": "coderabbitai[bot]", "type": "Bot"}, "state": "CHANGES_REQUESTED",
         "commit_id": "c1", "submitted_at": "2026-01-01T00:00:00Z", "body": "Actionable comments posted: 2"},
        {"id": 2, "user": null, "state": "APPROVED", "commit_id": HEAD, "submitted_at": "2026-01-02T00:00:00Z", "body": null},
        {"id": 3, "user": {"login": "x"}, "state": "SOMETHING_NEW"}
    ]))
    .await;
    get(server, &format!("/repos/o/r/commits/{HEAD}/check-runs"), json!({
        "total_count": 1,
        "check_runs": [{"id": 5, "name": "lint", "status": "completed", "conclusion": "success",
                        "started_at": "2026-01-01T00:00:00Z", "completed_at": "2026-01-01T00:01:00Z"}]
    }))
    .await;
    get(server, &format!("/repos/o/r/commits/{HEAD}/statuses"), json!([
        {"id": 30, "context": "plasma-ops/process", "state": "failure", "description": "newest"},
        {"id": 10, "context": "plasma-ops/process", "state": "pending", "description": "older"},
        {"id": 20, "context": "CodeRabbit", "state": "success", "description": null}
    ]))
    .await;
    let ours = |id: u64, body: &str| json!({"id": id, "body": body, "user": {"login": "plasma-ops[bot]", "type": "Bot"}});
    get(server, "/repos/o/r/issues/12/comments", json!([
        {"id": 40, "body": format!("quoting {SUMMARY_MARKER}"), "user": {"login": "mallory"}},
        {"id": 41, "body": rereview_body("@coderabbitai review", "deadbeef"), "user": {"login": "mallory"}},
        ours(50, &format!("{SUMMARY_MARKER}\nold summary")),
        ours(60, &format!("{SUMMARY_MARKER}\nduplicate")),
        ours(70, &rereview_body("@coderabbitai review", "c1"))
    ]))
    .await;
    get(server, "/repos/o/r/labels", json!([{"name": "bug"}, {"name": "status:needs-review"}]))
        .await;
}

#[tokio::test]
async fn fetch_pr_reads_everything_and_the_config_from_the_base_branch() {
    let server = MockServer::start().await;
    mount_pr(&server).await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/contents/.github%2Fplasma.yml"))
        .and(query_param("ref", "main"))
        .respond_with(ResponseTemplate::new(200).set_body_json(content("from: base\n")))
        .expect(1)
        .mount(&server)
        .await;
    // The head's edited file must never be read.
    Mock::given(method("GET"))
        .and(path("/repos/o/r/contents/.github%2Fplasma.yml"))
        .and(query_param("ref", "evil/plasma-yml"))
        .respond_with(ResponseTemplate::new(200).set_body_json(content("from: head\n")))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/.github/contents/.github%2Fplasma.yml"))
        .respond_with(ResponseTemplate::new(200).set_body_json(content("from: org\n")))
        .expect(1)
        .mount(&server)
        .await;

    let f = client(&server).fetch_pr(None, "o/r", 12, Some("plasma-ops[bot]")).await.unwrap();
    assert_eq!(f.base_config.as_deref(), Some("from: base\n"));
    assert_eq!(f.org_config.as_deref(), Some("from: org\n"));

    let s = &f.snapshot;
    assert_eq!((s.repository.as_str(), s.number, s.state), ("o/r", 12, PrState::Open));
    assert_eq!(s.title, "[PE-12] Gateway");
    assert_eq!(s.author.login, "bob");
    assert_eq!((s.head.name.as_str(), s.head.sha.as_str()), ("evil/plasma-yml", HEAD));
    assert_eq!((s.base.name.as_str(), s.base.sha.as_str()), ("main", BASE));
    assert_eq!(s.labels, vec!["bug", "status:needs-review"]);
    let files = s.files.as_ref().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[1].previous_path.as_deref(), Some("old.py"));
    let commits = s.commits.as_ref().unwrap();
    assert_eq!(commits[0].message, "feat: one");
    assert_eq!(commits[0].parents, vec![BASE]);
    assert!(commits[0].verification.as_ref().unwrap().verified);
    assert_eq!(commits[1].parents.len(), 2);
    assert_eq!(commits[1].verification, None);
    let reviews = s.reviews.as_ref().unwrap();
    assert_eq!(reviews.len(), 2, "an unknown state is skipped: {reviews:?}");
    assert_eq!(reviews[0].state, ReviewState::ChangesRequested);
    assert_eq!(reviews[0].author.kind, ActorKind::Bot);
    assert_eq!(reviews[0].body, "Actionable comments posted: 2");
    assert_eq!(reviews[1].state, ReviewState::Approved);
    assert_eq!(reviews[1].author.login, "ghost");
    assert_eq!(s.check_runs.as_ref().unwrap()[0].conclusion.as_deref(), Some("success"));
    assert_eq!(s.statuses.as_ref().unwrap().len(), 3);
    // Only our own markers count: mallory's `deadbeef` marker is ignored.
    assert_eq!(s.rereview_requested_shas, vec!["c1"]);

    let cur = &f.current;
    assert_eq!(
        cur.repo_labels.as_deref(),
        Some(&["bug".to_string(), "status:needs-review".to_string()][..])
    );
    assert_eq!(cur.sticky_comment, Some((50, format!("{SUMMARY_MARKER}\nold summary"))));
    assert_eq!(cur.status, Some(("failure".into(), "newest".into())));
}

#[tokio::test]
async fn without_a_login_markers_alone_count_and_missing_configs_are_none() {
    let server = MockServer::start().await;
    mount_pr(&server).await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/contents/conf%2Fplasma.yml"))
        .and(query_param("ref", "main"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})))
        .expect(1)
        .mount(&server)
        .await;
    // The installation may not cover the organisation's `.github` repository.
    Mock::given(method("GET"))
        .and(path("/repos/o/.github/contents/conf%2Fplasma.yml"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let opts = FetchOptions {
        marker_login: None,
        status_context: "CodeRabbit".into(),
        config_path: "conf/plasma.yml".into(),
        ..FetchOptions::default()
    };
    let f = client(&server).fetch_pr_with(None, "o/r", 12, &opts).await.unwrap();
    assert_eq!(f.base_config, None);
    assert_eq!(f.org_config, None);
    assert_eq!(f.snapshot.rereview_requested_shas, vec!["c1", "deadbeef"]);
    assert_eq!(f.current.sticky_comment.as_ref().map(|c| c.0), Some(40));
    assert_eq!(f.current.status, Some(("success".into(), String::new())));
}

#[tokio::test]
async fn fetching_twice_costs_only_not_modified_answers_with_etags() {
    let server = MockServer::start().await;
    // Every answer carries an ETag; a conditional request gets 304.
    let mut routes: Vec<(String, Value)> = vec![
        (
            "/repos/o/r/pulls/1".into(),
            json!({"number": 1, "title": "t", "state": "open",
            "head": {"ref": "h", "sha": HEAD}, "base": {"ref": "main", "sha": BASE}}),
        ),
        ("/repos/o/r/pulls/1/files".into(), json!([])),
        ("/repos/o/r/pulls/1/commits".into(), json!([])),
        ("/repos/o/r/pulls/1/reviews".into(), json!([])),
        (
            format!("/repos/o/r/commits/{HEAD}/check-runs"),
            json!({"total_count": 0, "check_runs": []}),
        ),
        (format!("/repos/o/r/commits/{HEAD}/statuses"), json!([])),
        ("/repos/o/r/issues/1/comments".into(), json!([])),
        ("/repos/o/r/labels".into(), json!([])),
        ("/repos/o/r/contents/.github%2Fplasma.yml".into(), content("a: 1\n")),
    ];
    routes.push(("/repos/o/.github/contents/.github%2Fplasma.yml".into(), content("b: 2\n")));
    for (i, (p, body)) in routes.iter().enumerate() {
        let etag = format!("\"e{i}\"");
        Mock::given(method("GET"))
            .and(path(p.as_str()))
            .and(wiremock::matchers::header("if-none-match", etag.as_str()))
            .respond_with(ResponseTemplate::new(304))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(p.as_str()))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(body).insert_header("etag", etag.as_str()),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    let cold = c.fetch_pr(Some(3), "o/r", 1, None).await.unwrap();
    assert_eq!(c.stats().requests, 10);
    let warm = c.fetch_pr(Some(3), "o/r", 1, None).await.unwrap();
    assert_eq!(cold, warm);
    assert_eq!(c.stats().not_modified, 10);
}

#[tokio::test]
async fn fetch_issue_maps_the_issue() {
    let server = MockServer::start().await;
    // Fetched twice below (with and without a login), so each route answers twice.
    let twice = |p: &str, body: Value| {
        Mock::given(method("GET"))
            .and(path(p.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(2)
    };
    twice(
        "/repos/o/r/issues/13",
        json!({
            "number": 13, "title": "[PE-13] Rate limiting", "state": "closed",
            "labels": [{"name": "phase-0"}], "assignees": [], "assignee": {"login": "dave"},
            "user": {"login": "carol", "type": "User"}
        }),
    )
    .mount(&server)
    .await;
    let comment = |id: u64, login: &str, body: &str| json!({"id": id, "body": body, "user": {"login": login, "type": "User"}});
    twice(
        "/repos/o/r/issues/13/comments",
        json!([
            comment(60, "mallory", &format!("{SUMMARY_MARKER}\nforged")),
            comment(61, "plasma-ops[bot]", &format!("{SUMMARY_MARKER}\nours")),
        ]),
    )
    .mount(&server)
    .await;
    let f = client(&server).fetch_issue(None, "o/r", 13, Some("plasma-ops[bot]")).await.unwrap();
    let i = &f.snapshot;
    assert_eq!(i.title, "[PE-13] Rate limiting");
    assert_eq!(i.state, PrState::Closed);
    assert_eq!(i.labels, vec!["phase-0"]);
    assert_eq!(i.assignees, vec!["dave"]);
    assert_eq!(i.author.login, "carol");
    // Only our own summary counts, as on a pull request: mallory's older one is not ours.
    assert_eq!(f.sticky_comment, Some((61, format!("{SUMMARY_MARKER}\nours"))));
    // Without a login the marker alone decides (the oldest).
    let f = client(&server).fetch_issue(None, "o/r", 13, None).await.unwrap();
    assert_eq!(f.sticky_comment.map(|s| s.0), Some(60));
}

#[tokio::test]
async fn pulls_for_a_commit_and_open_pulls() {
    let server = MockServer::start().await;
    let pr = json!({"number": 4, "title": "t", "state": "open", "merged_at": null,
                    "head": {"ref": "h", "sha": HEAD}, "base": {"ref": "main", "sha": BASE}});
    get(&server, &format!("/repos/o/r/commits/{HEAD}/pulls"), json!([pr])).await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls"))
        .and(query_param("state", "open"))
        .and(query_param("per_page", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([pr])))
        .expect(1)
        .mount(&server)
        .await;
    let rc = client(&server).repo(Some(1), "o/r").unwrap();
    assert_eq!(rc.pulls_for_commit(HEAD).await.unwrap()[0].number, 4);
    let open = rc.list_open_pulls().await.unwrap();
    assert_eq!(open[0].pr_state(), PrState::Open);
    assert!(!open[0].is_merged());
}

#[test]
fn the_fetch_and_execute_futures_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let c = GitHubClient::new(ClientConfig::with_token("t")).unwrap();
    assert_send(&c.fetch_pr(None, "o/r", 1, None));
    assert_send(&c.execute(None, "o/r", 1, &plasma_policy::plan::Plan::default()));
    assert_send(&c.fetch_issue(None, "o/r", 1, None));
}

#[tokio::test]
async fn a_caller_keeping_config_and_labels_itself_reads_neither() {
    let server = MockServer::start().await;
    let routes: Vec<(String, Value)> = vec![
        (
            "/repos/o/r/pulls/1".into(),
            json!({"number": 1, "title": "t", "state": "open",
            "head": {"ref": "h", "sha": HEAD}, "base": {"ref": "main", "sha": BASE}}),
        ),
        ("/repos/o/r/pulls/1/files".into(), json!([])),
        ("/repos/o/r/pulls/1/commits".into(), json!([])),
        ("/repos/o/r/pulls/1/reviews".into(), json!([])),
        (
            format!("/repos/o/r/commits/{HEAD}/check-runs"),
            json!({"total_count": 0, "check_runs": []}),
        ),
        (format!("/repos/o/r/commits/{HEAD}/statuses"), json!([])),
        ("/repos/o/r/issues/1/comments".into(), json!([])),
    ];
    for (p, body) in routes {
        Mock::given(method("GET"))
            .and(path(p.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    // Neither the labels nor a configuration file is asked for.
    for p in ["/repos/o/r/labels", "/repos/o/r/contents/.github%2Fplasma.yml"] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(500))
            .expect(0)
            .mount(&server)
            .await;
    }
    let opts =
        FetchOptions { read_config: false, read_repo_labels: false, ..FetchOptions::default() };
    let f = client(&server).fetch_pr_with(None, "o/r", 1, &opts).await.unwrap();
    assert_eq!((f.base_config, f.org_config, f.base_config_error), (None, None, None));
    assert_eq!(f.current.repo_labels, None);
}

#[tokio::test]
async fn a_fresh_content_read_asks_github_every_time() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/contents/.github%2Fplasma.yml"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})))
        .expect(3)
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    // The remembering read asks once and then remembers the absence...
    assert_eq!(rc.get_content(".github/plasma.yml", None).await.unwrap(), None);
    assert_eq!(rc.get_content(".github/plasma.yml", None).await.unwrap(), None);
    // ...the fresh one asks every time.
    assert_eq!(rc.get_content_fresh(".github/plasma.yml", None).await.unwrap(), None);
    assert_eq!(rc.get_content_fresh(".github/plasma.yml", None).await.unwrap(), None);
}
