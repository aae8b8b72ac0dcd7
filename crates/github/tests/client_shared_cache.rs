//! The fleet's shared conditional-request cache (issue 14) seen from the client: what one replica
//! learnt makes another's request conditional, a 304 answers it from the shared body, a change is
//! read afresh, and one installation (or token) never gets another's body.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plasma_github::{ClientConfig, GitHubClient, SharedCache, SharedCacheFuture, SharedEntry};
use serde_json::json;
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_ID: u64 = 424242;

/// The store's part, in memory: entries by key, and whether it should fail.
#[derive(Default)]
struct MemShared {
    entries: Mutex<HashMap<String, SharedEntry>>,
    broken: bool,
}

impl MemShared {
    fn keys(&self) -> Vec<String> {
        let mut k: Vec<String> = self.entries.lock().unwrap().keys().cloned().collect();
        k.sort();
        k
    }
    fn fail(&self) -> Result<(), plasma_github::SharedCacheError> {
        if self.broken { Err("the store is down".into()) } else { Ok(()) }
    }
}

impl SharedCache for MemShared {
    fn get<'a>(&'a self, key: &'a str) -> SharedCacheFuture<'a, Option<SharedEntry>> {
        Box::pin(async move {
            self.fail()?;
            Ok(self.entries.lock().unwrap().get(key).cloned())
        })
    }
    fn put<'a>(&'a self, key: &'a str, entry: &'a SharedEntry) -> SharedCacheFuture<'a, ()> {
        Box::pin(async move {
            self.fail()?;
            self.entries.lock().unwrap().insert(key.to_string(), entry.clone());
            Ok(())
        })
    }
    fn touch<'a>(&'a self, key: &'a str) -> SharedCacheFuture<'a, bool> {
        Box::pin(async move {
            self.fail()?;
            Ok(self.entries.lock().unwrap().contains_key(key))
        })
    }
    fn remove<'a>(&'a self, key: &'a str) -> SharedCacheFuture<'a, ()> {
        Box::pin(async move {
            self.fail()?;
            self.entries.lock().unwrap().remove(key);
            Ok(())
        })
    }
}

fn pull_json(title: &str) -> serde_json::Value {
    json!({"number": 1, "title": title, "state": "open",
           "head": {"ref": "h", "sha": "a"}, "base": {"ref": "main", "sha": "b"}})
}

fn token_client(server: &MockServer, token: &str, shared: &Arc<MemShared>) -> GitHubClient {
    let mut cfg = ClientConfig::with_token(token.to_string()).base_url(server.uri());
    cfg.retry_base_delay = Duration::from_millis(1);
    let c = GitHubClient::new(cfg).unwrap();
    assert!(c.set_shared_cache(shared.clone()));
    assert!(!c.set_shared_cache(shared.clone()), "set once");
    c
}

/// `GET /repos/o/r/pulls/1`: 304 to `If-None-Match: "<etag>"`, else 200 with `title`.
async fn mount_pull(server: &MockServer, etag: &str, title: &str) {
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .and(header("if-none-match", format!("\"{etag}\"").as_str()))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", format!("\"{etag}\"").as_str())
                .set_body_json(pull_json(title)),
        )
        .with_priority(2)
        .mount(server)
        .await;
}

async fn conditional_requests(server: &MockServer) -> Vec<Option<String>> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .map(|r| r.headers.get("if-none-match").map(|v| v.to_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn another_replicas_answer_is_revalidated_and_served_after_a_304() {
    let server = MockServer::start().await;
    mount_pull(&server, "v1", "first").await;
    let shared = Arc::new(MemShared::default());
    let a = token_client(&server, "ghp_fleet_token", &shared);
    let b = token_client(&server, "ghp_fleet_token", &shared);

    assert_eq!(a.repo(None, "o/r").unwrap().get_pull(1).await.unwrap().title, "first");
    let pull = b.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(pull.title, "first");
    assert_eq!(b.stats().shared_hits, 1);
    assert_eq!(b.stats().not_modified, 1);
    // B keeps it in memory now: the shared level, asked again, holds the same validator and sends
    // no body, and B's own entry makes the request conditional.
    b.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(b.stats().shared_hits, 1);
    assert_eq!(b.stats().not_modified, 2);
    assert_eq!(
        conditional_requests(&server).await,
        vec![None, Some("\"v1\"".into()), Some("\"v1\"".into())]
    );

    // Keyed by a fingerprint of the token and the URL; nothing of the token is kept.
    let keys = shared.keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].starts_with("token:"), "{keys:?}");
    assert!(keys[0].ends_with("/repos/o/r/pulls/1"), "{keys:?}");
    for (k, e) in shared.entries.lock().unwrap().iter() {
        let text = format!("{k} {e:?} {}", String::from_utf8_lossy(&e.body));
        assert!(!text.contains("ghp_fleet_token") && !text.contains("Bearer"), "{text}");
    }
}

#[tokio::test]
async fn a_change_is_read_afresh_and_replaces_the_shared_entry() {
    let server = MockServer::start().await;
    mount_pull(&server, "v1", "first").await;
    let shared = Arc::new(MemShared::default());
    let a = token_client(&server, "ghp_fleet_token", &shared);
    a.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();

    // The pull request changes on GitHub: "v1" no longer matches.
    server.reset().await;
    mount_pull(&server, "v2", "second").await;
    let b = token_client(&server, "ghp_fleet_token", &shared);
    let pull = b.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(pull.title, "second");
    assert_eq!((b.stats().shared_hits, b.stats().not_modified), (0, 0));
    assert_eq!(conditional_requests(&server).await, vec![Some("\"v1\"".into())]);
    let entries = shared.entries.lock().unwrap().clone();
    let entry = entries.values().next().unwrap();
    assert_eq!(entry.etag.as_deref(), Some("\"v2\""));
    assert!(String::from_utf8_lossy(&entry.body).contains("second"));
}

/// The case a per-process cache gets wrong on a fleet: B holds an older answer in memory, A has
/// since read the new one; B must ask with A's validator (a 304, free) and not its own (a charged
/// 200), and serve A's body.
#[tokio::test]
async fn a_replica_holding_an_older_answer_asks_with_the_newest_validator() {
    let server = MockServer::start().await;
    mount_pull(&server, "v1", "first").await;
    let shared = Arc::new(MemShared::default());
    let a = token_client(&server, "ghp_fleet_token", &shared);
    let b = token_client(&server, "ghp_fleet_token", &shared);
    a.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(b.repo(None, "o/r").unwrap().get_pull(1).await.unwrap().title, "first");

    server.reset().await;
    mount_pull(&server, "v2", "second").await;
    assert_eq!(a.repo(None, "o/r").unwrap().get_pull(1).await.unwrap().title, "second");
    let before = b.stats();
    assert_eq!(b.repo(None, "o/r").unwrap().get_pull(1).await.unwrap().title, "second");
    let after = b.stats();
    assert_eq!(after.not_modified - before.not_modified, 1, "B's read was a 304");
    assert_eq!(after.shared_hits - before.shared_hits, 1, "served from A's entry");
    assert_eq!(
        conditional_requests(&server).await,
        vec![Some("\"v1\"".into()), Some("\"v2\"".into())],
        "A's read with the old validator (200), then B's with the new one (304)"
    );
    // B now holds the new answer itself: the next look is the same-validator path.
    assert_eq!(b.repo(None, "o/r").unwrap().get_pull(1).await.unwrap().title, "second");
    assert_eq!(b.stats().shared_hits, after.shared_hits);
    assert_eq!(b.stats().not_modified, after.not_modified + 1);
}

#[tokio::test]
async fn different_tokens_never_share_an_entry() {
    let server = MockServer::start().await;
    mount_pull(&server, "v1", "first").await;
    let shared = Arc::new(MemShared::default());
    let a = token_client(&server, "ghp_token_one", &shared);
    let b = token_client(&server, "ghp_token_two", &shared);
    a.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    b.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(b.stats().shared_hits, 0);
    assert_eq!(conditional_requests(&server).await, vec![None, None]);
    assert_eq!(shared.keys().len(), 2);
}

#[tokio::test]
async fn last_modified_is_a_validator_too() {
    let server = MockServer::start().await;
    let stamp = "Wed, 21 Oct 2026 07:28:00 GMT";
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        // (`header_exists`: wiremock splits header values at commas, as in this date.)
        .and(header_exists("if-modified-since"))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("last-modified", stamp)
                .set_body_json(pull_json("dated")),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let shared = Arc::new(MemShared::default());
    let a = token_client(&server, "ghp_fleet_token", &shared);
    let b = token_client(&server, "ghp_fleet_token", &shared);
    a.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(b.repo(None, "o/r").unwrap().get_pull(1).await.unwrap().title, "dated");
    assert_eq!(b.stats().shared_hits, 1);
    let reqs = server.received_requests().await.unwrap();
    let sent = reqs[1].headers.get("if-modified-since").unwrap().to_str().unwrap();
    assert_eq!(sent, stamp);
}

#[tokio::test]
async fn a_failing_shared_cache_falls_back_to_github() {
    let server = MockServer::start().await;
    mount_pull(&server, "v1", "first").await;
    let shared = Arc::new(MemShared { broken: true, ..MemShared::default() });
    let a = token_client(&server, "ghp_fleet_token", &shared);
    assert_eq!(a.repo(None, "o/r").unwrap().get_pull(1).await.unwrap().title, "first");
    // The memory level still works alone.
    a.repo(None, "o/r").unwrap().get_pull(1).await.unwrap();
    assert_eq!(a.stats().not_modified, 1);
}

/// Fails the test because `openssl` could not be run: a test that cannot make its key has checked
/// nothing, so it must not pass.
fn no_openssl(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::NotFound {
        panic!("openssl is not installed: apt-get install openssl");
    }
    panic!("cannot run openssl: {e}");
}

/// A throwaway 2048-bit key in GitHub's PKCS#1 form, and its public half.
fn keypair() -> (String, String) {
    let out = Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .unwrap_or_else(|e| no_openssl(&e));
    assert!(out.status.success(), "openssl genrsa: {}", String::from_utf8_lossy(&out.stderr));
    let private = String::from_utf8(out.stdout).unwrap();
    let mut child = Command::new("openssl")
        .args(["rsa", "-pubout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| no_openssl(&e));
    child.stdin.take().unwrap().write_all(private.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl rsa -pubout: {}", String::from_utf8_lossy(&out.stderr));
    let public = String::from_utf8(out.stdout).unwrap();
    assert!(private.contains("BEGIN RSA PRIVATE KEY"), "{private}");
    (private, public)
}

fn token_answer(token: &str, expires_in: i64) -> ResponseTemplate {
    let expires =
        jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() + expires_in).unwrap();
    ResponseTemplate::new(201).set_body_json(json!({
        "token": token, "expires_at": expires.to_string(), "permissions": {"pull_requests": "write"}
    }))
}

#[tokio::test]
async fn an_installation_never_reads_another_installations_body() {
    let (private, _public) = keypair();
    let server = MockServer::start().await;
    for (id, token) in [(1, "ghs_one"), (2, "ghs_two")] {
        Mock::given(method("POST"))
            .and(path(format!("/app/installations/{id}/access_tokens")))
            .respond_with(token_answer(token, 3600))
            .mount(&server)
            .await;
    }
    // Whoever sends the first installation's validator gets a 304: were the second installation
    // to send it, it would be served the first one's body.
    Mock::given(method("GET"))
        .and(path("/repos/o/r/pulls/1"))
        .and(header("if-none-match", "\"one\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&server)
        .await;
    for (token, etag, title) in [("ghs_one", "one", "private to one"), ("ghs_two", "two", "two's")]
    {
        Mock::given(method("GET"))
            .and(path("/repos/o/r/pulls/1"))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", format!("\"{etag}\"").as_str())
                    .set_body_json(pull_json(title)),
            )
            .with_priority(2)
            .mount(&server)
            .await;
    }
    let shared = Arc::new(MemShared::default());
    let app = |shared: &Arc<MemShared>| {
        let c = GitHubClient::new(
            ClientConfig::with_app(APP_ID, private.as_str()).base_url(server.uri()),
        )
        .unwrap();
        assert!(c.set_shared_cache(shared.clone()));
        c
    };
    let (a, b) = (app(&shared), app(&shared));
    assert_eq!(a.repo(Some(1), "o/r").unwrap().get_pull(1).await.unwrap().title, "private to one");
    assert_eq!(b.repo(Some(2), "o/r").unwrap().get_pull(1).await.unwrap().title, "two's");
    assert_eq!(b.stats().shared_hits, 0);
    assert_eq!(
        shared.keys().iter().map(|k| k.split(' ').next().unwrap().to_string()).collect::<Vec<_>>(),
        vec!["installation:1".to_string(), "installation:2".to_string()]
    );
    // The same installation on the other replica is served from the shared entry.
    assert_eq!(b.repo(Some(1), "o/r").unwrap().get_pull(1).await.unwrap().title, "private to one");
    assert_eq!(b.stats().shared_hits, 1);
}
