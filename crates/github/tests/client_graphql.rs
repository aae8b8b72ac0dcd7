//! GraphQL on the client: review threads read page by page from the fake GitHub, points counted
//! from the answers, `errors` reported with their path and message, GitHub Enterprise's URL, and
//! GraphQL's own rate limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use plasma_fakehub::{FakeHub, FakePull, FakeThread};
use plasma_github::{ClientConfig, GitHubClient, GitHubError, ops};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REPO: &str = "plasma-engine/plasma-ops";

fn client(url: &str) -> GitHubClient {
    let mut c = ClientConfig::with_token("ghp_test").base_url(url);
    c.retry_base_delay = Duration::from_millis(1);
    GitHubClient::new(c).unwrap()
}

#[tokio::test]
async fn threads_are_read_page_by_page_and_their_points_counted() {
    let hub = FakeHub::start().await.unwrap();
    let n = hub.add_pull(REPO, FakePull::default());
    for i in 0..150u64 {
        let mut t = FakeThread::open("coderabbitai", &format!("src/f{i:03}.rs"), i + 1);
        t.resolved = i < 100;
        t.outdated = i == 149;
        hub.add_review_thread(REPO, n, t);
    }
    let gh = client(&hub.url());
    let threads = gh.repo(None, REPO).unwrap().review_threads(n).await.unwrap();
    assert_eq!(threads.len(), 150);
    assert_eq!(threads.iter().filter(|t| !t.resolved).count(), 50);
    let last = threads.last().unwrap();
    assert!(last.outdated);
    assert_eq!(last.line, Some(150), "an outdated thread keeps its original line");
    assert_eq!(last.author, "coderabbitai");
    assert!(last.url.starts_with("https://github.com/plasma-engine/plasma-ops/pull/"));
    let stats = gh.stats();
    assert_eq!((stats.graphql_requests, stats.graphql_points), (2, 2));
    assert_eq!(hub.requests().iter().filter(|r| r.is_graphql()).count(), 2);
    let graphql = gh.rate_limits().into_iter().find(|l| l.resource == "graphql").unwrap();
    assert_eq!(graphql.remaining, u64::from(hub.graphql_points_remaining()));
}

#[tokio::test]
async fn pages_stop_at_the_page_bound() {
    let hub = FakeHub::start().await.unwrap();
    let n = hub.add_pull(REPO, FakePull::default());
    for i in 0..250u64 {
        hub.add_review_thread(REPO, n, FakeThread::open("coderabbitai", "a.rs", i));
    }
    let mut c = ClientConfig::with_token("ghp_test").base_url(hub.url());
    c.max_pages = 2;
    let gh = GitHubClient::new(c).unwrap();
    let threads = gh.repo(None, REPO).unwrap().review_threads(n).await.unwrap();
    assert_eq!(threads.len(), 200);
}

#[tokio::test]
async fn graphql_errors_name_their_path_and_message() {
    let hub = FakeHub::start().await.unwrap();
    hub.add_repo(REPO);
    let err = client(&hub.url()).repo(None, REPO).unwrap().review_threads(404).await.unwrap_err();
    assert!(matches!(err, GitHubError::GraphQl { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("ReviewThreads")
            && text.contains("repository.pullRequest: Could not resolve to a PullRequest")
            && text.contains("(NOT_FOUND)"),
        "{text}"
    );
    assert!(!text.contains("ghp_test"));
}

#[tokio::test]
async fn a_spent_graphql_budget_is_a_rate_limit_not_a_failure() {
    let hub = FakeHub::start().await.unwrap();
    let n = hub.add_pull(REPO, FakePull::default());
    let reset = jiff::Timestamp::now().as_second() + 120;
    hub.set_graphql_rate_limit(0, reset);
    let err = client(&hub.url()).repo(None, REPO).unwrap().review_threads(n).await.unwrap_err();
    let wait = err.retry_after().expect("a rate limit says how long to wait");
    assert!(wait > Duration::from_secs(60) && wait <= Duration::from_secs(122), "{wait:?}");
}

#[tokio::test]
async fn enterprise_server_is_asked_at_api_graphql_and_data_is_decoded() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/graphql"))
        .and(body_partial_json(json!({"operationName": "ReviewThreads"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "rateLimit": {"cost": 3, "remaining": 4990, "resetAt": "2026-01-01T00:00:00Z"},
            "repository": {"pullRequest": {"reviewThreads": {
                "pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": []}}}}})))
        .expect(1)
        .mount(&server)
        .await;
    let gh = client(&format!("{}/api/v3", server.uri()));
    let rc = gh.repo(None, "o/r").unwrap();
    let data: serde_json::Value = rc
        .graphql(&ops::REVIEW_THREADS, json!({"owner": "o", "name": "r", "number": 1}))
        .await
        .unwrap();
    assert_eq!(data["rateLimit"]["remaining"], 4990);
    assert_eq!(gh.stats().graphql_points, 3);
}

#[tokio::test]
async fn an_answer_of_the_wrong_shape_names_the_field() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "repository": {"pullRequest": {"reviewThreads": {
                "pageInfo": {"hasNextPage": false},
                "nodes": [{"id": "x", "isResolved": "no"}]}}}}})))
        .mount(&server)
        .await;
    let err = client(&server.uri()).repo(None, "o/r").unwrap().review_threads(1).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("data.repository.pullRequest.reviewThreads.nodes[].isResolved"),
        "{text}"
    );
    // No data and no errors at all.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": null})))
        .mount(&server)
        .await;
    let err = client(&server.uri()).repo(None, "o/r").unwrap().review_threads(1).await.unwrap_err();
    assert!(err.to_string().contains("missing, and no errors given"), "{err}");
}
