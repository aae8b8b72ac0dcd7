//! Hostile and malformed input through the real service: webhooks that must be refused (each with
//! its status, its counter in `/metrics`, and nothing stored), clients that trickle bytes in, and
//! repository configuration built to crash, hang or loosen the policy that judges it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use plasma_github::sign;
use plasma_service::ServiceConfig;
use plasma_service::http_server::HEADER_READ_TIMEOUT;
use plasma_service::ingress::BODY_READ_TIMEOUT;
use plasma_store::JobFilter;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SETTLE: Duration = Duration::from_secs(30);

/// The value of `plasma_ops_webhook_rejected_total{reason="..."}` (0 when absent).
async fn rejected(env: &Env, reason: &str) -> u64 {
    let text = env.http.get(env.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let prefix = format!("plasma_ops_webhook_rejected_total{{reason=\"{reason}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().parse::<f64>().unwrap() as u64)
        .unwrap_or(0)
}

/// One refused request: what is sent and what must come back.
struct Case {
    name: &'static str,
    event: Option<&'static str>,
    delivery: Option<&'static str>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    /// `None`: no signature header; `Some(body)`: the signature of that body.
    signed_over: Option<Vec<u8>>,
    /// A raw `X-Hub-Signature-256` value instead.
    raw_signature: Option<&'static str>,
    status: u16,
    reason: &'static str,
}

impl Case {
    fn new(name: &'static str, body: &[u8], status: u16, reason: &'static str) -> Case {
        Case {
            name,
            event: Some("pull_request"),
            delivery: Some(name),
            content_type: Some("application/json"),
            body: body.to_vec(),
            signed_over: Some(body.to_vec()),
            raw_signature: None,
            status,
            reason,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refused_webhook_has_its_status_its_counter_and_stores_nothing() {
    let mut env = Env::new("hostile-webhooks").await;
    let good = serde_json::to_vec(&pr_event("opened", 1)).unwrap();
    let truncated = good[..good.len() / 2].to_vec();
    let big = vec![b' '; 26 * 1024 * 1024];
    let cases = vec![
        Case { signed_over: None, ..Case::new("no-signature", &good, 401, "missing_signature") },
        Case {
            raw_signature: Some(
                "sha256=0000000000000000000000000000000000000000000000000000000000000000",
            ),
            ..Case::new("wrong-signature", &good, 401, "bad_signature")
        },
        Case {
            raw_signature: Some("sha1=2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
            ..Case::new("sha1-only-signature", &good, 401, "bad_signature")
        },
        Case {
            signed_over: Some(br#"{"action":"opened"}"#.to_vec()),
            ..Case::new("signature-over-another-body", &good, 401, "bad_signature")
        },
        Case { event: None, ..Case::new("no-event-header", &good, 400, "missing_header") },
        Case { delivery: None, ..Case::new("no-delivery-header", &good, 400, "missing_header") },
        Case {
            content_type: Some("application/x-www-form-urlencoded"),
            ..Case::new("form-encoded", &good, 415, "unsupported_content_type")
        },
        Case::new("truncated-json", &truncated, 400, "malformed"),
        Case::new("not-json", b"\xff\xfe<xml/>", 400, "malformed"),
        Case::new("wrong-shape-array", b"[1,2,3]", 400, "malformed"),
        Case::new("wrong-shape-object", br#"{"pull_request":"yes","number":-1}"#, 400, "malformed"),
        Case { event: Some("star"), ..Case::new("unknown-event", &good, 202, "unknown_event") },
        Case::new("26-MiB", &big, 413, "too_large"),
    ];
    let mut table = Vec::new();
    for case in &cases {
        let before = rejected(&env, case.reason).await;
        // A fresh client each time: after some refusals the server closes the connection.
        let mut req = reqwest::Client::new().post(env.url("/webhook")).body(case.body.clone());
        if let Some(e) = case.event {
            req = req.header("x-github-event", e);
        }
        if let Some(d) = case.delivery {
            req = req.header("x-github-delivery", d);
        }
        if let Some(ct) = case.content_type {
            req = req.header("content-type", ct);
        }
        if let Some(sig) = case.raw_signature {
            req = req.header("x-hub-signature-256", sig);
        } else if let Some(over) = &case.signed_over {
            req = req.header("x-hub-signature-256", sign(SECRET.as_bytes(), over));
        }
        let started = Instant::now();
        let status = match req.send().await {
            Ok(r) => r.status().as_u16(),
            // The 413 is answered before the 26 MiB are read; the client may see the close first.
            Err(e) if case.status == 413 => {
                eprintln!("{}: {e} (connection closed on the oversized body)", case.name);
                413
            }
            Err(e) => panic!("{}: {e}", case.name),
        };
        assert_eq!(status, case.status, "{}", case.name);
        let after = rejected(&env, case.reason).await;
        assert_eq!(after, before + 1, "{}: counter {} did not move", case.name, case.reason);
        if let Some(d) = case.delivery {
            assert!(env.app().store.delivery(d).await.unwrap().is_none(), "{}: stored", case.name);
        }
        table.push(format!(
            "{:<28} {} {:<26} {:>6} ms",
            case.name,
            status,
            case.reason,
            started.elapsed().as_millis()
        ));
    }
    let jobs = env.app().store.jobs(JobFilter::All).await.unwrap();
    assert!(jobs.is_empty(), "refused deliveries made jobs: {jobs:?}");
    assert_eq!(env.app().store.deliveries_unprocessed().await.unwrap(), 0);
    println!(
        "case                         status reason                     time\n{}",
        table.join("\n")
    );

    // What is admitted still is: the refusals above left the service working.
    let n = good_pull(&env.hub);
    assert_eq!(env.deliver("pull_request", "after-hostile", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert!(env.app().store.delivery("after-hostile").await.unwrap().is_some());
    assert_eq!(env.sticky_comments(n), 1);

    // Neither /metrics nor /healthz nor /readyz carries a secret.
    for path in ["/metrics", "/healthz", "/readyz"] {
        let text = env.http.get(env.url(path)).send().await.unwrap().text().await.unwrap();
        for secret in [SECRET, "test-installation-token"] {
            assert!(!text.contains(secret), "{path} carries a secret");
        }
        assert!(!text.contains("Secret to Everybody"), "{path}");
    }
    env.stop().await;
}

/// Read from `stream` until the server closes it; the bytes read and when the close came.
async fn read_until_close(stream: &mut tokio::net::tcp::OwnedReadHalf) -> (Vec<u8>, Instant) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return (out, Instant::now()),
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_without_holding_a_worker() {
    let mut env = Env::new("hostile-slow").await;
    let addr = env.running.as_ref().unwrap().addr;
    let body_timeouts = rejected(&env, "body_timeout").await;
    let header_timeouts = rejected(&env, "header_timeout").await;
    // Each slow client says when it is connected and sending, so the honest delivery below is
    // sent while all of them are holding their connections.
    let (connected, mut all_connected) = tokio::sync::mpsc::channel::<()>(3);

    // Slow body: headers at once, then one byte of a 1,000-byte signed body every 250 ms.
    let body_connected = connected.clone();
    let slow_body = tokio::spawn(async move {
        let body = vec![b' '; 1000];
        let head = format!(
            "POST /webhook HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
             x-github-event: pull_request\r\nx-github-delivery: slow-body\r\n\
             x-hub-signature-256: {}\r\ncontent-length: {}\r\n\r\n",
            sign(SECRET.as_bytes(), &body),
            body.len()
        );
        // Timed from before the connection: the server's body timer cannot start earlier, so
        // `closed - start >= BODY_READ_TIMEOUT` holds by causality, however loaded the machine.
        let start = Instant::now();
        let (mut rd, mut wr) = TcpStream::connect(addr).await.unwrap().into_split();
        wr.write_all(head.as_bytes()).await.unwrap();
        body_connected.send(()).await.unwrap();
        let writer = tokio::spawn(async move {
            for b in body {
                if wr.write_all(&[b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
        let (answer, closed) = read_until_close(&mut rd).await;
        writer.abort();
        (String::from_utf8_lossy(&answer).into_owned(), closed - start)
    });

    // Slow headers: the request line and a header, one byte every 250 ms, never finished.
    let headers_connected = connected.clone();
    let slow_headers = tokio::spawn(async move {
        let head = b"POST /webhook HTTP/1.1\r\nx-github-event: pull_request\r\nx-padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let start = Instant::now();
        let (mut rd, mut wr) = TcpStream::connect(addr).await.unwrap().into_split();
        wr.write_all(&head[..1]).await.unwrap();
        headers_connected.send(()).await.unwrap();
        let writer = tokio::spawn(async move {
            for b in &head[1..] {
                if wr.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            // Keep the socket open past the writes: only the server may end it.
            tokio::time::sleep(Duration::from_secs(120)).await;
        });
        let (answer, closed) = read_until_close(&mut rd).await;
        writer.abort();
        (String::from_utf8_lossy(&answer).into_owned(), closed - start)
    });

    // A connection that sends nothing at all.
    let idle = tokio::spawn(async move {
        let start = Instant::now();
        let (mut rd, _wr) = TcpStream::connect(addr).await.unwrap().into_split();
        connected.send(()).await.unwrap();
        let (_, closed) = read_until_close(&mut rd).await;
        closed - start
    });

    // Meanwhile a real delivery is admitted and processed: the slow clients hold no worker and
    // no store connection (the store is only touched once a body is complete and signed).
    for _ in 0..3 {
        all_connected.recv().await.expect("a slow client failed before connecting");
    }
    let n = good_pull(&env.hub);
    let t = Instant::now();
    assert_eq!(env.deliver("pull_request", "while-slow", &pr_event("opened", n)).await, 202);
    let ack = t.elapsed();
    env.settle(SETTLE).await;
    let applied = t.elapsed();
    assert_eq!(env.sticky_comments(n), 1, "the honest delivery was processed");

    let (answer, held) = slow_body.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "slow body answer: {answer:?}");
    assert!(held >= BODY_READ_TIMEOUT, "cut off early: {held:?}");
    assert!(held < BODY_READ_TIMEOUT + Duration::from_secs(10), "held too long: {held:?}");
    let (answer, held_headers) = slow_headers.await.unwrap();
    assert!(!answer.contains(" 2"), "slow headers must not be admitted: {answer:?}");
    assert!(held_headers < HEADER_READ_TIMEOUT + Duration::from_secs(10), "{held_headers:?}");
    let held_idle = idle.await.unwrap();
    assert!(held_idle < HEADER_READ_TIMEOUT + Duration::from_secs(10), "{held_idle:?}");

    assert_eq!(rejected(&env, "body_timeout").await, body_timeouts + 1);
    assert!(rejected(&env, "header_timeout").await > header_timeouts);
    assert!(env.app().store.delivery("slow-body").await.unwrap().is_none());
    println!(
        "slow body held the socket {held:?} (limit {BODY_READ_TIMEOUT:?}); slow headers \
         {held_headers:?}, idle connection {held_idle:?} (limit {HEADER_READ_TIMEOUT:?}); an \
         honest delivery meanwhile: acknowledged in {ack:?}, applied in {applied:?}"
    );
    env.stop().await;
}

#[test]
fn the_service_binds_loopback_unless_told_otherwise() {
    let env: BTreeMap<String, String> =
        [("PLASMA_OPS_WEBHOOK_SECRET".to_string(), SECRET.to_string())].into_iter().collect();
    let cfg = ServiceConfig::load(&env, None).unwrap();
    assert!(cfg.listen.ip().is_loopback(), "default listen address {}", cfg.listen);
    // The configuration's Debug (it is logged at start) hides the secret.
    assert!(!format!("{cfg:?}").contains(SECRET));
}

/// The summary comment's body, once there is one.
fn summary(env: &Env, n: u64) -> String {
    env.hub
        .comments_of(REPO, n)
        .into_iter()
        .map(|c| c.body)
        .find(|b| b.contains("plasma-ops:summary"))
        .unwrap_or_default()
}

fn billion_laughs() -> String {
    let mut text = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
        ));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_configuration_is_a_located_failing_status_never_a_crash_or_a_hang() {
    let mut env = Env::new("hostile-config").await;
    let n = good_pull(&env.hub);
    let long_pattern =
        format!("title:\n  pattern: \"[{{issue_key}}] {{summary}}{}\"\n", "(a+)+$".repeat(300));
    let cases: Vec<(&str, String, &str)> = vec![
        ("syntax error", "title: {pattern: 'x'\nbranches: [\n".into(), ".github/plasma.yml:2:1"),
        (
            "unknown key",
            "approvals:\n  required: 1\ntilte:\n  pattern: x\n".into(),
            ".github/plasma.yml:3:1",
        ),
        (
            "10 MB string",
            format!("title:\n  pattern: \"{}\"\n", "x".repeat(10 * 1024 * 1024)),
            ".github/plasma.yml: GitHub did not send its content",
        ),
        (
            "300 KB file (under GitHub's 1 MB, over ours)",
            format!("title:\n  pattern: \"{}\"\n", "x".repeat(300 * 1024)),
            ".github/plasma.yml: the file is",
        ),
        ("backtracking pattern over the length limit", long_pattern, ".github/plasma.yml:2:3"),
        ("billion laughs", billion_laughs(), ".github/plasma.yml:2:10"),
        (
            "deep nesting",
            format!("title: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            ".github/plasma.yml:1:40",
        ),
    ];
    let mut table = Vec::new();
    for (i, (name, text, location)) in cases.iter().enumerate() {
        env.push_file(REPO, ".github/plasma.yml", text).await;
        let t = Instant::now();
        let delivery = format!("config-{i}");
        assert_eq!(env.deliver("pull_request", &delivery, &pr_event("opened", n)).await, 202);
        env.settle(SETTLE).await;
        let took = t.elapsed();
        assert_eq!(env.our_status(n).as_deref(), Some("failure"), "{name}");
        let body = summary(&env, n);
        assert!(body.contains(location), "{name}: no {location} in the summary:\n{body}");
        let dead = env.app().store.jobs(JobFilter::Dead).await.unwrap();
        assert!(dead.is_empty(), "{name}: the job died instead of reporting: {dead:?}");
        let line = body.lines().find(|l| l.starts_with(".github/plasma.yml")).unwrap_or("").trim();
        table.push(format!(
            "{name:<44} {:>6} ms  {}",
            took.as_millis(),
            line.chars().take(140).collect::<String>()
        ));
    }
    println!("{}", table.join("\n"));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_cannot_loosen_the_rules_that_judge_it() {
    let mut env = Env::new("hostile-loosen").await;
    let n = good_pull(&env.hub);
    // The title breaks the base branch's (default) title rule.
    env.hub.edit_pull(REPO, n, "Gateway bootstrap", None);
    env.hub.set_file_content(REPO, "main", ".github/plasma.yml", "approvals:\n  required: 1\n");
    // The pull request's own branch switches the title rule off and asks for no approvals.
    env.hub.set_file_content(
        REPO,
        "gateway/PE-12-bootstrap-fastapi",
        ".github/plasma.yml",
        "approvals:\n  required: 0\nrules:\n  title-format:\n    severity: off\n",
    );
    assert_eq!(env.deliver("pull_request", "loosen-1", &pr_event("opened", n)).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.our_status(n).as_deref(), Some("failure"));
    let body = summary(&env, n);
    assert!(body.contains("title-format"), "the base file's title rule judged: {body}");
    env.stop().await;
}

/// A fresh RSA key in GitHub's PKCS#1 PEM form, from `openssl` (present on the development and CI
/// machines; the test fails without it rather than passing without having looked).
fn app_private_key() -> String {
    let out = std::process::Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl ({e}): apt-get install openssl"));
    assert!(out.status.success(), "openssl genrsa: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_authenticated_service_logs_no_key_jwt_or_installation_token() {
    use plasma_github::{Auth, ClientConfig, GitHubClient, Secret};
    init_test_logs();
    let hub = plasma_fakehub::FakeHub::start().await.unwrap();
    hub.add_repo(REPO);
    let installation = 4242;
    hub.add_installation(installation, &[REPO]);
    let pem = app_private_key();
    let db = temp_db("hostile-app");
    let cfg = service_config(&db, &hub.url());
    let store = plasma_store::open(&cfg.database_url).await.unwrap();
    let gh = GitHubClient::new(
        ClientConfig::new(Auth::App { app_id: 424242, private_key_pem: Secret::new(pem.clone()) })
            .base_url(hub.url()),
    )
    .unwrap();
    let app = plasma_service::App::new(cfg, store, Some(gh), plasma_service::system_clock());
    let running = plasma_service::start(app).await.unwrap();
    let env = Env::around(hub, Some(running), db, String::new());
    let n = good_pull(&env.hub);
    let mut event = pr_event("opened", n);
    event["installation"] = serde_json::json!({ "id": installation });
    assert_eq!(env.deliver("pull_request", "app-1", &event).await, 202);
    env.settle(SETTLE).await;
    assert_eq!(env.sticky_comments(n), 1, "the App's installation token did the writes");
    // Every token the fake minted for us, as it saw them on the wire.
    let tokens: Vec<String> = env
        .hub
        .requests()
        .iter()
        .filter_map(|r| r.authorization.as_deref())
        .filter_map(|a| a.strip_prefix("Bearer ").or_else(|| a.strip_prefix("token ")))
        .map(str::to_string)
        .collect();
    assert!(tokens.iter().any(|t| t.starts_with("ghs_")), "no installation token seen: {tokens:?}");
    let mut env = env;
    env.stop().await;
    // This process's own log so far: none of the key's lines, no JWT, no minted token.
    let log_dir = test_log_dir();
    let mut text = String::new();
    for entry in std::fs::read_dir(&log_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains(&format!("-{}.jsonl", std::process::id())) {
            text.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    assert!(!text.is_empty(), "nothing was logged to {}", log_dir.display());
    let key_lines = pem.lines().filter(|l| !l.starts_with("-----") && l.len() >= 16);
    for secret in key_lines.map(str::to_string).chain(tokens) {
        assert!(!text.contains(&secret), "a secret reached the log: {}...", &secret[..8]);
    }
}
