//! No secret reaches a log line, a `Debug` print or an error message. In a test binary of its own:
//! a thread-local tracing subscriber sees every callsite only when no other test registers
//! callsites concurrently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plasma_github::{ClientConfig, GitHubClient, Secret};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ghp_TopSecretTokenValue123";

fn config(server: &MockServer) -> ClientConfig {
    let mut c = ClientConfig::with_token(TOKEN).base_url(server.uri());
    c.retry_base_delay = Duration::from_millis(1);
    c.retry_max_delay = Duration::from_millis(5);
    c
}

fn pull_json(number: u64) -> serde_json::Value {
    json!({
        "number": number, "title": "[PE-1] x", "body": null, "state": "open", "draft": false,
        "user": {"login": "bob", "type": "User"},
        "head": {"ref": "feature/x", "sha": "aaa"}, "base": {"ref": "main", "sha": "bbb"},
        "labels": [{"name": "bug"}]
    })
}

/// A subscriber that writes every span and event field into one string.
struct Capture {
    out: Arc<Mutex<String>>,
    next_id: AtomicU64,
}

struct Visit<'a>(&'a mut String);

impl tracing::field::Visit for Visit<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut out = self.out.lock().unwrap();
        let _ = write!(out, "\nspan {} ", attrs.metadata().name());
        attrs.record(&mut Visit(&mut out));
        tracing::span::Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Visit(&mut self.out.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut out = self.out.lock().unwrap();
        let _ = write!(out, "\nevent {} ", event.metadata().level());
        event.record(&mut Visit(&mut out));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn the_token_never_reaches_logs_debug_output_or_errors() {
    let out = Arc::new(Mutex::new(String::new()));
    let _guard =
        tracing::subscriber::set_default(Capture { out: out.clone(), next_id: AtomicU64::new(0) });
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull_json(1)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/2"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/3"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
        )
        .mount(&server)
        .await;
    let cfg = config(&server);
    let c = GitHubClient::new(cfg.clone()).unwrap();
    let rc = c.repo(Some(7), "o/r").unwrap();
    rc.get_pull(1).await.unwrap();
    let e502 = rc.get_pull(2).await.unwrap_err();
    let e401 = rc.get_pull(3).await.unwrap_err();
    assert_eq!(e401.status(), Some(401));
    assert!(e401.to_string().contains("GET /repos/o/r/pulls/3"), "{e401}");
    assert!(e401.to_string().contains("Bad credentials"), "{e401}");
    assert!(e502.to_string().contains("5 attempt"), "{e502}");

    let logs = out.lock().unwrap().clone();
    assert!(logs.contains("route=\"/repos/{owner}/{repo}/pulls/{pull_number}\""), "{logs}");
    assert!(logs.contains("status=\"200\""), "{logs}");
    assert!(logs.contains("duration_ms="), "{logs}");
    let shown = [
        logs,
        format!("{cfg:?}"),
        format!("{c:?}"),
        format!("{rc:?}"),
        format!("{e502:?} {e502}"),
        format!("{e401:?} {e401}"),
        format!("{:?}", Secret::new(TOKEN)),
    ];
    for text in shown {
        assert!(!text.contains(TOKEN), "token leaked in: {text}");
        assert!(!text.contains("TopSecret"), "token leaked in: {text}");
    }
}
