//! Writes and the plan executor: "already exists" and "already absent" are success, and a POST
//! whose answer was lost is found before it is repeated (never duplicated).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use plasma_github::client::{AddLabelsOutcome, LabelOutcome, RemoveOutcome};
use plasma_github::{Applied, ClientConfig, GitHubClient, Outcome};
use plasma_policy::plan::{Plan, Write, rereview_body};
use plasma_policy::render::SUMMARY_MARKER;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn config(base: &str) -> ClientConfig {
    let mut c = ClientConfig::with_token("ghp_test").base_url(base);
    c.retry_base_delay = Duration::from_millis(1);
    c.retry_max_delay = Duration::from_millis(5);
    c
}

fn client(server: &MockServer) -> GitHubClient {
    GitHubClient::new(config(&server.uri())).unwrap()
}

fn comment(id: u64, body: &str) -> serde_json::Value {
    json!({"id": id, "body": body, "user": {"login": "plasma-ops[bot]", "type": "Bot"},
           "created_at": jiff::Timestamp::now().to_string()})
}

async fn count(server: &MockServer, m: &str, p: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == p)
        .count()
}

#[tokio::test]
async fn an_existing_label_is_success() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/labels"))
        .and(body_json(json!({"name": "status:approved", "color": "0e8a16", "description": "ok"})))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed",
            "errors": [{"resource": "Label", "code": "already_exists", "field": "name"}],
            "documentation_url": "https://docs.github.com/rest/issues/labels#create-a-label"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    assert_eq!(
        rc.create_label("status:approved", "#0e8a16", "ok").await.unwrap(),
        LabelOutcome::AlreadyExists
    );
}

#[tokio::test]
async fn another_validation_failure_is_an_error_with_its_code() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/labels"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed", "errors": [{"resource": "Label", "code": "invalid", "field": "color"}]
        })))
        .mount(&server)
        .await;
    let err =
        client(&server).repo(None, "o/r").unwrap().create_label("x", "zz", "").await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert!(err.has_code("invalid"));
    assert!(err.to_string().contains("(invalid)"), "{err}");
    assert!(err.to_string().contains("POST /repos/o/r/labels"), "{err}");
}

#[tokio::test]
async fn removing_an_absent_label_is_success() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/repos/o/r/issues/4/labels/status%3Aneeds-review"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"message": "Label does not exist"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    assert_eq!(
        rc.remove_label(4, "status:needs-review").await.unwrap(),
        RemoveOutcome::AlreadyAbsent
    );
}

#[tokio::test]
async fn a_lost_comment_answer_is_found_not_duplicated() {
    let server = MockServer::start().await;
    let body = format!("{SUMMARY_MARKER}\n## plasma-ops\nall good");
    // GitHub created the comment but the answer never arrived.
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/9/comments"))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/issues/9/comments"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([comment(1, "hello"), comment(55, &body)])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    let out = rc.create_comment(9, &body).await.unwrap();
    assert!(out.recovered);
    assert_eq!(out.comment.id, 55);
}

#[tokio::test]
async fn a_lost_comment_answer_with_nothing_found_is_posted_again_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/9/comments"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/9/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(56, "x")))
        .mount(&server)
        .await;
    // An old comment with the same text does not count: it predates the attempt.
    Mock::given(method("GET"))
        .and(path("/repos/o/r/issues/9/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 3, "body": "x", "user": {"login": "someone"}, "created_at": "2020-01-01T00:00:00Z"}
        ])))
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    let out = rc.create_comment(9, "x").await.unwrap();
    assert!(!out.recovered);
    assert_eq!(out.comment.id, 56);
    assert_eq!(count(&server, "POST", "/repos/o/r/issues/9/comments").await, 2);
    assert_eq!(count(&server, "GET", "/repos/o/r/issues/9/comments").await, 1);
}

#[tokio::test]
async fn a_timed_out_comment_is_found_not_duplicated() {
    let server = MockServer::start().await;
    let body = rereview_body("@coderabbitai review", "abc123");
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/9/comments"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(comment(70, &body))
                .set_delay(Duration::from_secs(3)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/issues/9/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([comment(70, &body)])))
        .expect(1)
        .mount(&server)
        .await;
    let mut cfg = config(&server.uri());
    cfg.timeout = Duration::from_millis(300);
    let rc = GitHubClient::new(cfg).unwrap().repo(None, "o/r").unwrap();
    let out = rc.create_comment(9, &body).await.unwrap();
    assert!(out.recovered);
    assert_eq!(out.comment.id, 70);
}

/// A hand-written HTTP/1.1 server: the first POST's connection is dropped after the request is
/// read (GitHub did the work, the answer is lost); GETs of the comments show the comment.
async fn dropping_server(body: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let log = log.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some(head_end) = text.find("\r\n\r\n") else { continue };
                    let len = text[..head_end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if buf.len() < head_end + 4 + len {
                        continue;
                    }
                    let request_line = text.lines().next().unwrap().to_string();
                    log.lock().unwrap().push(request_line.clone());
                    if request_line.starts_with("POST") {
                        drop(sock);
                        return;
                    }
                    let json = serde_json::to_string(&json!([comment(81, &body)])).unwrap();
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
                        json.len()
                    );
                    let _ = sock.write_all(answer.as_bytes()).await;
                    return;
                }
            });
        }
    });
    (base, seen)
}

#[tokio::test]
async fn a_dropped_connection_on_create_comment_is_not_duplicated() {
    let body = format!("{SUMMARY_MARKER}\nsummary");
    let (base, seen) = dropping_server(body.clone()).await;
    let c = GitHubClient::new(config(&base)).unwrap();
    let out = c.repo(None, "o/r").unwrap().create_comment(3, &body).await.unwrap();
    assert!(out.recovered);
    assert_eq!(out.comment.id, 81);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.iter().filter(|l| l.starts_with("POST")).count(), 1, "{seen:?}");
    assert_eq!(
        seen.iter().filter(|l| l.starts_with("GET /repos/o/r/issues/3/comments")).count(),
        1,
        "{seen:?}"
    );
}

#[tokio::test]
async fn lost_label_additions_are_checked_before_repeating() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/2/labels"))
        .and(body_json(json!({"labels": ["agent:docs", "status:needs-review"]})))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/issues/2/labels"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"name": "bug"}, {"name": "agent:docs"}, {"name": "status:needs-review"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let rc = client(&server).repo(None, "o/r").unwrap();
    let labels = vec!["agent:docs".to_string(), "status:needs-review".to_string()];
    assert_eq!(rc.add_labels(2, &labels).await.unwrap(), AddLabelsOutcome::Recovered);
    assert_eq!(rc.add_labels(2, &[]).await.unwrap(), AddLabelsOutcome::Added);
}

fn plan() -> Plan {
    Plan {
        writes: vec![
            Write::CreateLabel {
                name: "status:needs-review".into(),
                color: "fbca04".into(),
                description: "d".into(),
            },
            Write::RemoveLabel { name: "status:approved".into() },
            Write::AddLabels { labels: vec!["status:needs-review".into()] },
            Write::CreateComment { body: format!("{SUMMARY_MARKER}\nsummary") },
            Write::UpdateComment { id: 12, body: "edited".into() },
            Write::SetStatus {
                sha: "abc".into(),
                context: "plasma-ops/process".into(),
                state: "pending".into(),
                description: "waiting".into(),
            },
            Write::RequestRereview {
                sha: "abc".into(),
                body: rereview_body("@coderabbitai review", "abc"),
            },
        ],
    }
}

#[tokio::test]
async fn a_plan_is_carried_out_in_order() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/labels"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"name": "status:needs-review"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/repos/o/r/issues/7/labels/status%3Aapproved"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/7/labels"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"name": "status:needs-review"}])),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/issues/7/comments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(100, "x")))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/o/r/issues/comments/12"))
        .and(body_json(json!({"body": "edited"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(12, "edited")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/statuses/abc"))
        .and(body_json(
            json!({"state": "pending", "context": "plasma-ops/process", "description": "waiting"}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(
                json!({"id": 900, "context": "plasma-ops/process", "state": "pending"}),
            ),
        )
        .mount(&server)
        .await;
    let mut seen = Vec::new();
    let applied = client(&server)
        .execute_with(None, "o/r", 7, &plan(), |a: &Applied| seen.push(a.write.kind()))
        .await
        .unwrap();
    let outcomes: Vec<Outcome> = applied.iter().map(|a| a.outcome).collect();
    assert_eq!(
        outcomes,
        vec![
            Outcome::Done { id: None },
            Outcome::AlreadyInPlace,
            Outcome::Done { id: None },
            Outcome::Done { id: Some(100) },
            Outcome::Done { id: Some(12) },
            Outcome::Done { id: Some(900) },
            Outcome::Done { id: Some(100) },
        ]
    );
    assert_eq!(seen, plan().writes.iter().map(Write::kind).collect::<Vec<_>>());
    let order: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        order,
        vec![
            "POST /repos/o/r/labels",
            "DELETE /repos/o/r/issues/7/labels/status%3Aapproved",
            "POST /repos/o/r/issues/7/labels",
            "POST /repos/o/r/issues/7/comments",
            "PATCH /repos/o/r/issues/comments/12",
            "POST /repos/o/r/statuses/abc",
            "POST /repos/o/r/issues/7/comments",
        ]
    );
    // The action log can store it as JSON.
    let logged = serde_json::to_value(&applied[3]).unwrap();
    assert_eq!(logged["write"]["op"], "create_comment");
    assert_eq!(logged["outcome"]["outcome"], "done");
    assert_eq!(logged["outcome"]["id"], 100);
}

#[tokio::test]
async fn execution_stops_at_the_first_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/o/r/labels"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"name": "x"})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/repos/o/r/issues/7/labels/status%3Aapproved"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .mount(&server)
        .await;
    let mut seen = 0;
    let err =
        client(&server).execute_with(None, "o/r", 7, &plan(), |_| seen += 1).await.unwrap_err();
    assert_eq!(seen, 1);
    assert_eq!(err.status(), Some(403));
    assert!(
        err.to_string().contains("DELETE /repos/o/r/issues/7/labels/status%3Aapproved"),
        "{err}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    // An empty plan makes no call at all.
    let before = server.received_requests().await.unwrap().len();
    assert!(client(&server).execute(None, "o/r", 7, &Plan::default()).await.unwrap().is_empty());
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}
