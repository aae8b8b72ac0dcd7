//! `plasma-ops notify test TARGET` against a local webhook receiver, and
//! `plasma-ops notifications [--dead] [--retry ID]` over a real store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

use plasma_store::NewNotification;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plasma-ops"));
    cmd.args(args).env("NO_COLOR", "1").env_remove("PLASMA_OPS_CONFIG_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run plasma-ops");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A webhook endpoint answering `ok` to each request, keeping the bodies.
fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/services/T/B/hook", listener.local_addr().unwrap());
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let keep = Arc::clone(&got);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head, then as much body as content-length says.
            let body = loop {
                let Ok(n) = stream.read(&mut chunk) else { break String::new() };
                if n == 0 {
                    break String::new();
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break body.to_owned();
                    }
                }
            };
            keep.lock().unwrap().push(body);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (url, got)
}

#[test]
fn notify_test_sends_one_message_to_the_named_target() {
    let (url, got) = receiver();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("plasma.yml");
    std::fs::write(
        &config,
        "notifications:\n  targets:\n    devops: {slack: {webhook_url_env: PLASMA_OPS_SLACK_WEBHOOK_URL}}\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let env = [("PLASMA_OPS_SLACK_WEBHOOK_URL", url.as_str())];
    let r = run(&["notify", "test", "devops", "--config", config], &env);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "devops (slack): test message sent\n");
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0].contains("plasma-ops test message to `devops`"), "{}", bodies[0]);

    // JSON, and a variable that is not set: exit 1, the reason, never the secret.
    let r = run(&["notify", "test", "devops", "--config", config, "--format", "json"], &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["target"].as_str(), v["kind"].as_str(), v["sent"].as_bool()),
        (Some("devops"), Some("slack"), Some(false))
    );
    assert!(v["error"].as_str().unwrap().contains("PLASMA_OPS_SLACK_WEBHOOK_URL"));

    // An unknown target names the configured ones.
    let r = run(&["notify", "test", "ops", "--config", config], &env);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no notification target named `ops`") && r.stderr.contains("devops"),
        "{}",
        r.stderr
    );
}

#[test]
fn notify_test_refuses_an_invalid_configuration_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("plasma.yml");
    std::fs::write(&config, "notifications:\n  targets: {devops: {slack: {}}}\n  routes: [{events: [release], targets: [nope]}]\n").unwrap();
    let r = run(&["notify", "test", "devops", "--config", config.to_str().unwrap()], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("notifications.routes[0].targets[0]"), "{}", r.stderr);
    assert!(r.stderr.contains("notifications.targets.devops.slack"), "{}", r.stderr);
    // `config validate` reports the same problems, located in the file.
    let path = config.to_str().unwrap();
    let v = run(&["config", "validate", path], &[]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    let all = format!("{}{}", v.stdout, v.stderr);
    assert!(
        all.contains(&format!(
            "{path}:3:3: notifications.routes[0].targets[0]: no target named `nope`"
        )),
        "{all}"
    );
}

#[test]
fn notifications_lists_the_outbox_and_retries_a_dead_letter() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("plasma-ops.db");
    let url = format!("sqlite://{}", db.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let id = rt.block_on(async {
        let store = plasma_store::open(&url).await.unwrap();
        let note = |key: &str| NewNotification {
            event: "release".into(),
            subject: "o/r@v1".into(),
            dedupe_key: key.into(),
            target: "devops".into(),
            payload: "{}".into(),
        };
        store.enqueue_notifications(&[note("a"), note("b")], 1_000).await.unwrap();
        let lease = store
            .lease_notification("w", std::time::Duration::from_secs(60), 1_000)
            .await
            .unwrap()
            .unwrap();
        store
            .notification_failed(&lease, "Slack answered 404 Not Found: no_service", None, 1, 1_001)
            .await
            .unwrap();
        store.close().await;
        lease.id
    });
    let env = [("PLASMA_OPS_DATABASE_URL", url.as_str())];
    let all = run(&["notifications"], &env);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert_eq!(all.stdout.lines().count(), 2, "{}", all.stdout);
    assert!(
        all.stdout.contains("dead") && all.stdout.contains("last error: Slack answered 404"),
        "{}",
        all.stdout
    );
    let dead = run(&["notifications", "--dead", "--format", "json"], &env);
    let v: serde_json::Value = serde_json::from_str(&dead.stdout).unwrap();
    let rows = v["notifications"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"].as_i64(), Some(id));
    assert_eq!(rows[0]["state"], "dead");
    assert_eq!(rows[0]["event"], "release");
    let retry = run(&["notifications", "--retry", &id.to_string()], &env);
    assert_eq!(retry.code, 0, "{}", retry.stderr);
    assert!(retry.stdout.contains("back in the outbox"));
    let again = run(&["notifications", "--retry", &id.to_string()], &env);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("not dead-lettered"), "{}", again.stderr);
    let none = run(&["notifications", "--dead"], &env);
    assert_eq!(none.stdout, "no notifications\n");
}
