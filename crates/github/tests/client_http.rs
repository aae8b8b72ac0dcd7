//! The REST client's transport against a local mock server: headers, secrets, pagination, ETags,
//! rate limits, retries, encoding and metrics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plasma_github::{ClientConfig, GitHubClient, GitHubError, RateLimitKind};
use serde_json::json;
use wiremock::matchers::{header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ghp_TopSecretTokenValue123";

fn config(server: &MockServer) -> ClientConfig {
    let mut c = ClientConfig::with_token(TOKEN).base_url(server.uri());
    c.retry_base_delay = Duration::from_millis(1);
    c.retry_max_delay = Duration::from_millis(5);
    c
}

fn client(server: &MockServer) -> GitHubClient {
    GitHubClient::new(config(server)).unwrap()
}

fn pull_json(number: u64) -> serde_json::Value {
    json!({
        "number": number, "title": "[PE-1] x", "body": null, "state": "open", "draft": false,
        "user": {"login": "bob", "type": "User"},
        "head": {"ref": "feature/x", "sha": "aaa"}, "base": {"ref": "main", "sha": "bbb"},
        "labels": [{"name": "bug"}]
    })
}

#[tokio::test]
async fn every_request_carries_the_documented_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .and(header("accept", "application/vnd.github+json"))
        .and(header("x-github-api-version", "2022-11-28"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("user-agent", plasma_github::client::DEFAULT_USER_AGENT))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull_json(1)))
        .expect(1)
        .mount(&server)
        .await;
    let pr = client(&server).repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(pr.number, 1);
    assert_eq!(pr.head.name, "feature/x");
    assert!(plasma_github::client::DEFAULT_USER_AGENT.starts_with("plasma-ops/"));
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_works_like_ghes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/repos/o/r/pulls/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull_json(1)))
        .expect(1)
        .mount(&server)
        .await;
    let c =
        GitHubClient::new(config(&server).base_url(format!("{}/api/v3/", server.uri()))).unwrap();
    assert_eq!(c.base_url(), format!("{}/api/v3", server.uri()));
    c.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
}

#[tokio::test]
async fn bad_configuration_and_names_are_explained() {
    let err =
        GitHubClient::new(ClientConfig::with_token(TOKEN).base_url("api.github.com")).unwrap_err();
    assert!(err.to_string().contains("PLASMA_OPS_GITHUB_API_URL"), "{err}");
    let err = GitHubClient::new(ClientConfig::with_token("a\nb")).unwrap_err();
    assert!(!err.to_string().contains("a\nb"), "{err}");
    let err = GitHubClient::new(ClientConfig::with_app(1, "not a key")).unwrap_err();
    assert!(err.to_string().contains("private key"), "{err}");
    let c = GitHubClient::new(ClientConfig::with_token(TOKEN)).unwrap();
    for bad in ["norepo", "/r", "o/", "o/r/x"] {
        let err = c.repo(None, bad).unwrap_err();
        assert!(matches!(err, GitHubError::InvalidRepo { .. }), "{bad}: {err}");
        assert!(err.to_string().contains("owner/name"));
    }
}

fn file(i: usize) -> serde_json::Value {
    json!({"filename": format!("src/f{i}.rs"), "status": "modified", "additions": 1, "deletions": 0})
}

#[tokio::test]
async fn lists_follow_link_headers_across_pages() {
    let server = MockServer::start().await;
    let base = server.uri();
    let page = |n: usize| (0..100).map(|i| file(n * 100 + i)).collect::<Vec<_>>();
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/5/files"))
        .and(query_param("per_page", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(0)).insert_header(
            "link",
            format!("<{base}/repositories/9/pulls/5/files?per_page=100&page=2>; rel=\"next\", <{base}/repositories/9/pulls/5/files?per_page=100&page=3>; rel=\"last\"").as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repositories/9/pulls/5/files"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(page(1)).insert_header(
                "link",
                format!("<{base}/repositories/9/pulls/5/files?per_page=100&page=3>; rel=\"next\"")
                    .as_str(),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repositories/9/pulls/5/files"))
        .and(query_param("page", "3"))
        .and(header_exists("authorization"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(vec![file(200), file(201)]).insert_header(
                "link",
                format!("<{base}/repositories/9/pulls/5/files?per_page=100&page=1>; rel=\"first\"")
                    .as_str(),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let files = client(&server).repo(None, "o/r").unwrap().list_pull_files(5).await.unwrap();
    assert_eq!(files.len(), 202);
    assert_eq!(files[0].filename, "src/f0.rs");
    assert_eq!(files[201].filename, "src/f201.rs");
}

#[tokio::test]
async fn pages_stop_at_the_bound() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/repos/o/r/labels"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"name": "a"}])).insert_header(
                "link",
                format!("<{base}/repos/o/r/labels?page=2>; rel=\"next\"").as_str(),
            ),
        )
        .expect(2)
        .mount(&server)
        .await;
    let mut cfg = config(&server);
    cfg.max_pages = 2;
    let labels =
        GitHubClient::new(cfg).unwrap().repo(None, "o/r").unwrap().list_labels().await.unwrap();
    assert_eq!(labels.len(), 2);
}

#[tokio::test]
async fn a_link_to_another_host_is_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/labels"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"name": "a"}]))
                .insert_header("link", "<https://evil.example.com/steal?page=2>; rel=\"next\""),
        )
        .mount(&server)
        .await;
    let err = client(&server).repo(None, "o/r").unwrap().list_labels().await.unwrap_err();
    assert!(matches!(err, GitHubError::ForeignLink { .. }), "{err}");
}

#[tokio::test]
async fn check_runs_come_from_their_wrapper_object_and_refs_are_encoded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/commits/feature%2Fx/check-runs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "total_count": 1,
            "check_runs": [{"id": 4, "name": "CI / test", "status": "completed", "conclusion": "success",
                            "started_at": "2026-01-01T00:00:00Z", "completed_at": null}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/commits/feature%2Fx/statuses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 1, "context": "ci", "state": "success", "description": null}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/repos/o/r/issues/3/labels/area%2Fgateway%20x"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    let runs = rc.list_check_runs("feature/x").await.unwrap();
    assert_eq!(runs[0].name, "CI / test");
    assert_eq!(runs[0].conclusion.as_deref(), Some("success"));
    assert_eq!(rc.list_statuses("feature/x").await.unwrap().len(), 1);
    assert_eq!(
        rc.remove_label(3, "area/gateway x").await.unwrap(),
        plasma_github::client::RemoveOutcome::Removed
    );
}

#[tokio::test]
async fn a_304_reuses_the_cached_body_and_is_counted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", "\"v1\""))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(pull_json(1)).insert_header("etag", "\"v1\""),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let rc = c.repo(Some(1), "o/r").unwrap();
    let first = rc.get_pull(1).await.unwrap();
    let second = rc.get_pull(1).await.unwrap();
    let third = rc.get_pull(1).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(second, third);
    let stats = c.stats();
    assert_eq!(stats.requests, 3);
    assert_eq!(stats.not_modified, 2);
    assert_eq!(stats.cached_answers, 1);
}

#[tokio::test]
async fn a_304_on_a_page_keeps_following_the_cached_next_link() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1/reviews"))
        .and(header("if-none-match", "\"p1\""))
        .respond_with(ResponseTemplate::new(304))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1/reviews"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": 1, "state": "APPROVED", "user": {"login": "a"}}]))
                .insert_header("etag", "\"p1\"")
                .insert_header(
                    "link",
                    format!("<{base}/repositories/1/pulls/1/reviews?page=2>; rel=\"next\"")
                        .as_str(),
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repositories/1/pulls/1/reviews"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"id": 2, "state": "COMMENTED", "user": null}])),
        )
        .expect(2)
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    assert_eq!(rc.list_pull_reviews(1).await.unwrap().len(), 2);
    assert_eq!(rc.list_pull_reviews(1).await.unwrap().len(), 2);
}

#[tokio::test]
async fn etags_are_kept_per_identity() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(pull_json(1)).insert_header("etag", "\"v1\""),
        )
        .mount(&server)
        .await;
    // Two clients do not share a cache: the second one's first request is unconditional.
    let a = client(&server);
    let b = client(&server);
    a.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    b.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(a.stats().not_modified + b.stats().not_modified, 0);
    // A clone shares it.
    a.clone().repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(a.stats().not_modified, 1);
}

#[tokio::test]
async fn a_secondary_rate_limit_is_surfaced_with_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "42")
                .insert_header("x-ratelimit-remaining", "4000")
                .insert_header("x-ratelimit-reset", "9999999999")
                .set_body_json(json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c.repo(None, "o/r").unwrap().get_pull(1).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));
    assert!(
        matches!(err, GitHubError::RateLimited { kind: RateLimitKind::Secondary, .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert!(err.to_string().contains("retry after 42s"), "{err}");
    assert_eq!(c.stats().rate_limited, 1);
    assert_eq!(c.stats().retries, 0);
}

#[tokio::test]
async fn a_429_without_retry_after_waits_a_minute_and_a_plain_403_is_a_permission_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/2"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    assert_eq!(rc.get_pull(1).await.unwrap_err().retry_after(), Some(Duration::from_secs(60)));
    let err = rc.get_pull(2).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(!err.is_transient());
    assert!(err.to_string().contains("permission"), "{err}");
}

#[tokio::test]
async fn below_the_floor_the_client_refuses_until_the_reset() {
    let server = MockServer::start().await;
    let reset = jiff::Timestamp::now().as_second() + 3600;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(pull_json(1))
                .insert_header("x-ratelimit-remaining", "10")
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rate_limit"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "resources": {"core": {"limit": 5000, "remaining": 10, "reset": reset, "used": 4990}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let rc = c.repo(None, "o/r").unwrap();
    rc.get_pull(1).await.unwrap();
    let err = rc.get_pull(1).await.unwrap_err();
    let wait = err.retry_after().unwrap();
    assert!(wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3601), "{wait:?}");
    assert!(matches!(err, GitHubError::RateLimited { kind: RateLimitKind::Primary, .. }));
    let limits = c.rate_limits();
    assert_eq!(limits.len(), 1);
    assert_eq!((limits[0].identity.as_str(), limits[0].remaining), ("token", 10));
    // `GET /rate_limit` is free and always allowed.
    let overview = c.rate_limit(None).await.unwrap();
    assert_eq!(overview.resources["core"].remaining, 10);
}

#[tokio::test]
async fn a_reset_within_the_pause_cap_is_waited_for() {
    let server = MockServer::start().await;
    // Spent, but the window resets within the pause cap: the client waits instead of refusing.
    let reset = jiff::Timestamp::now().as_second() + 2;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(pull_json(1))
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str()),
        )
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server);
    let rc = c.repo(None, "o/r").unwrap();
    rc.get_pull(1).await.unwrap();
    let started = std::time::Instant::now();
    rc.get_pull(1).await.unwrap();
    // A lower bound only: the pause is a sleep until the reset.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(c.stats().rate_limited, 0);
}

#[tokio::test]
async fn server_errors_are_retried_for_gets() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(3)
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull_json(1)))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    assert_eq!(c.repo(None, "o/r").unwrap().get_pull(1).await.unwrap().number, 1);
    assert_eq!(c.stats().retries, 3);
    assert_eq!(c.stats().requests, 4);
}

#[tokio::test]
async fn retries_stop_at_max_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let mut cfg = config(&server);
    cfg.max_retries = 2;
    let err =
        GitHubClient::new(cfg).unwrap().repo(None, "o/r").unwrap().get_pull(1).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.is_transient() && err.answer_lost());
}

#[tokio::test]
async fn a_post_is_not_repeated_blindly_on_a_server_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/statuses/abc"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"id": 9, "context": "c", "state": "success"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/o/r/issues/comments/5"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/o/r/issues/comments/5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 5, "body": "new"})))
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    // PATCH of a comment is idempotent: retried.
    assert_eq!(rc.update_comment(5, "new").await.unwrap().body, "new");
    let s = rc.create_status("abc", "success", "c", &"d".repeat(300), None).await.unwrap();
    assert_eq!(s.id, 9);
    let reqs = server.received_requests().await.unwrap();
    let status_body: serde_json::Value =
        reqs.iter().find(|r| r.method.as_str() == "POST").unwrap().body_json().unwrap();
    assert_eq!(status_body["description"].as_str().unwrap().chars().count(), 140);
}

#[tokio::test]
async fn a_connection_refused_is_retried_and_then_explained() {
    // Bind and drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = ClientConfig::with_token(TOKEN).base_url(format!("http://127.0.0.1:{port}"));
    cfg.retry_base_delay = Duration::from_millis(1);
    cfg.max_retries = 1;
    let c = GitHubClient::new(cfg).unwrap();
    let err = c.repo(None, "o/r").unwrap().get_pull(1).await.unwrap_err();
    assert!(matches!(err, GitHubError::Transport { sent: false, attempts: 2, .. }), "{err:?}");
    assert!(err.to_string().contains("check the base URL"), "{err}");
    assert!(!err.answer_lost());
}

#[tokio::test]
async fn file_contents_are_decoded_and_missing_files_are_none() {
    let server = MockServer::start().await;
    let text = "labels:\n  owned_prefixes: [status:]\n";
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, text);
    let wrapped = format!("{}\n{}", &b64[..10], &b64[10..]);
    Mock::given(method("GET"))
        .and(path("/repos/o/r/contents/.github%2Fplasma.yml"))
        .and(query_param("ref", "release/1.0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "file", "encoding": "base64", "size": text.len(), "content": wrapped
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/contents/missing.yml"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/contents/dir"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"type": "file"}])))
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    assert_eq!(
        rc.get_content(".github/plasma.yml", Some("release/1.0")).await.unwrap().as_deref(),
        Some(text)
    );
    assert_eq!(rc.get_content("missing.yml", None).await.unwrap(), None);
    let err = rc.get_content("dir", None).await.unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");
}

#[tokio::test]
async fn an_unexpected_shape_names_the_field() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"number": 1, "head": {"ref": "x"}, "base": {"ref": "m", "sha": "s"}}),
        ))
        .mount(&server)
        .await;
    let err = client(&server).repo(None, "o/r").unwrap().get_pull(1).await.unwrap_err();
    assert!(matches!(&err, GitHubError::Decode { at, .. } if at == "head"), "{err:?}");
    assert!(err.to_string().contains("GET /repos/o/r/pulls/1"), "{err}");
}

/// A recorder that keeps counters and gauges by their rendered key.
#[derive(Default, Clone)]
struct Recorder {
    values: Arc<Mutex<BTreeMap<String, f64>>>,
}

struct Handle {
    key: String,
    values: Arc<Mutex<BTreeMap<String, f64>>>,
}

impl metrics::CounterFn for Handle {
    fn increment(&self, value: u64) {
        *self.values.lock().unwrap().entry(self.key.clone()).or_default() += value as f64;
    }
    fn absolute(&self, value: u64) {
        self.values.lock().unwrap().insert(self.key.clone(), value as f64);
    }
}

impl metrics::GaugeFn for Handle {
    fn increment(&self, value: f64) {
        *self.values.lock().unwrap().entry(self.key.clone()).or_default() += value;
    }
    fn decrement(&self, value: f64) {
        *self.values.lock().unwrap().entry(self.key.clone()).or_default() -= value;
    }
    fn set(&self, value: f64) {
        self.values.lock().unwrap().insert(self.key.clone(), value);
    }
}

impl metrics::HistogramFn for Handle {
    fn record(&self, _: f64) {}
}

impl Recorder {
    fn handle(&self, key: &metrics::Key) -> Arc<Handle> {
        let mut labels: Vec<String> =
            key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
        labels.sort();
        Arc::new(Handle {
            key: format!("{}{{{}}}", key.name(), labels.join(",")),
            values: self.values.clone(),
        })
    }
}

impl metrics::Recorder for Recorder {
    fn describe_counter(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_gauge(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_histogram(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn register_counter(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        metrics::Counter::from_arc(self.handle(key))
    }
    fn register_gauge(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::from_arc(self.handle(key))
    }
    fn register_histogram(
        &self,
        key: &metrics::Key,
        _: &metrics::Metadata<'_>,
    ) -> metrics::Histogram {
        metrics::Histogram::from_arc(self.handle(key))
    }
}

#[tokio::test]
async fn metrics_use_the_templated_route() {
    let recorder = Recorder::default();
    let _guard = metrics::set_default_local_recorder(&recorder);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/12"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(
            ResponseTemplate::new(304)
                .insert_header("x-ratelimit-remaining", "4998")
                .insert_header("x-ratelimit-reset", "1"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/12"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(pull_json(12))
                .insert_header("etag", "\"v1\"")
                .insert_header("x-ratelimit-remaining", "4999")
                .insert_header("x-ratelimit-reset", "1")
                .insert_header("x-ratelimit-resource", "core"),
        )
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    rc.get_pull(12).await.unwrap();
    rc.get_pull(12).await.unwrap();
    let values = recorder.values.lock().unwrap().clone();
    let route = "route=/repos/{owner}/{repo}/pulls/{pull_number}";
    assert_eq!(
        values.get(&format!("plasma_ops_github_requests_total{{method=GET,{route},status=200}}")),
        Some(&1.0),
        "{values:#?}"
    );
    assert_eq!(
        values.get(&format!("plasma_ops_github_requests_total{{method=GET,{route},status=304}}")),
        Some(&1.0),
        "{values:#?}"
    );
    assert_eq!(
        values.get(&format!("plasma_ops_github_not_modified_total{{{route}}}")),
        Some(&1.0),
        "{values:#?}"
    );
    assert_eq!(
        values.get("plasma_ops_github_rate_limit_remaining{resource=core}"),
        Some(&4998.0),
        "{values:#?}"
    );
    assert!(
        values.keys().all(|k| !k.contains("/repos/o/r")),
        "a concrete path leaked into a label: {values:#?}"
    );
}
