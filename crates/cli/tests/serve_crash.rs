//! The real binary killed with SIGKILL in the middle of applying a plan, then started again on
//! the same database: the job is finished by the new process and nothing is duplicated.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use plasma_fakehub::{FakeHub, Fault};

const REPO: &str = "plasma-engine/plasma-engine-gateway";
const SECRET: &str = "crash-test-secret";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(db: &std::path::Path, api: &str, port: u16, log: Option<&std::path::Path>) -> Child {
    let stderr = match log {
        Some(p) => Stdio::from(std::fs::File::create(p).expect("log file")),
        None => Stdio::null(),
    };
    Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PLASMA_OPS_LISTEN", format!("127.0.0.1:{port}"))
        .env("PLASMA_OPS_WEBHOOK_SECRET", SECRET)
        .env("PLASMA_OPS_DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("PLASMA_OPS_GITHUB_API_URL", api)
        .env("PLASMA_OPS_GITHUB_TOKEN", "crash-test-token")
        .env("PLASMA_OPS_LEASE", "2s")
        .env("PLASMA_OPS_SWEEP_INTERVAL", "1h")
        .env("PLASMA_OPS_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("spawn plasma-ops serve")
}

async fn wait_until(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn healthy(port: u16) {
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && r.status().is_success()
        {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_between_plan_and_apply_loses_nothing_and_duplicates_nothing() {
    let hub = FakeHub::start().await.unwrap();
    let n = hub.add_ready_pull(REPO);
    let head = hub.head_sha(REPO, n).unwrap();
    // The first comment write hangs: the process is killed while its plan is half applied.
    let comments = format!("/repos/{REPO}/issues/{n}/comments");
    hub.inject(Fault::Stall { method: "POST".into(), route: comments, millis: 120_000, times: 1 });

    let dir = std::env::temp_dir().join(format!("plasma-ops-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("plasma-ops.db");
    let port = free_port();
    let mut first = serve(&db, &hub.url(), port, None);
    healthy(port).await;

    // Our example payload, pointed at the fake's pull request; the reconciler reads the rest.
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/pull_request.opened.json");
    let mut payload: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example).unwrap()).unwrap();
    payload["number"] = serde_json::json!(n);
    payload["pull_request"]["number"] = serde_json::json!(n);
    let body = serde_json::to_vec(&payload).unwrap();
    let answer = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/webhook"))
        .header("x-github-event", "pull_request")
        .header("x-github-delivery", "crash-1")
        .header("x-hub-signature-256", plasma_github::sign(SECRET.as_bytes(), &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());

    // Labels were applied, then the comment write hung (the stall fault was consumed): kill now.
    wait_until("the labels", Duration::from_secs(20), || {
        hub.labels_of(REPO, n).contains(&"status:needs-coderabbit-review".to_string())
    })
    .await;
    wait_until("the comment write to reach the fake", Duration::from_secs(20), || {
        hub.faults_pending() == 0
    })
    .await;
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    assert!(hub.comments_of(REPO, n).is_empty(), "the comment write must still be hanging");

    // Started again on the same database: the expired lease is taken over and the job finishes.
    let log = dir.join("second.log");
    let mut second = serve(&db, &hub.url(), port, Some(&log));
    healthy(port).await;
    let sticky = |h: &FakeHub| {
        h.comments_of(REPO, n)
            .iter()
            .filter(|c| c.body.contains("<!-- plasma-ops:summary -->"))
            .count()
    };
    let rereviews = |h: &FakeHub| {
        h.comments_of(REPO, n).iter().filter(|c| c.body.starts_with("@coderabbitai review")).count()
    };
    wait_until("the job to finish after restart", Duration::from_secs(30), || {
        sticky(&hub) == 1 && rereviews(&hub) == 1 && !hub.statuses_of(REPO, &head).is_empty()
    })
    .await;
    // Judge once the queue is empty: writes happen only inside a job, so a wrongly repeated one
    // would have been made by then.
    let store = plasma_store::open(&format!("sqlite://{}", db.display())).await.unwrap();
    let start = Instant::now();
    loop {
        let d = store.queue_depth().await.unwrap();
        if d.pending == 0 && d.leased == 0 {
            assert_eq!(d.dead, 0, "the job dead-lettered");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the queue never drained: {d:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sticky(&hub), 1);
    assert_eq!(rereviews(&hub), 1);
    assert_eq!(hub.labels_of(REPO, n), ["status:needs-coderabbit-review"]);
    // A clean stop (SIGTERM) must end in exit 0: a panic in any task, before or during the stop,
    // ends serve with an "internal error" and another status.
    let _ = Command::new("kill")
        .args(["-TERM", &second.id().to_string()])
        .status()
        .expect("kill (procps) sends the SIGTERM");
    let start = Instant::now();
    let exit = loop {
        if let Some(exit) = second.try_wait().unwrap() {
            break exit;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = second.kill();
            panic!("serve did not stop within 30 s of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Its log: JSON lines, the delivery id carried into the job that finished the work, and no
    // secret anywhere.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(exit.success(), "serve did not stop cleanly ({exit}):\n{text}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty(), "no log lines: {text}");
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["delivery_id"] == "crash-1" && l["fields"]["message"] == "job done"),
        "no `job done` line correlated with delivery crash-1:\n{text}"
    );
    for secret in [SECRET, "crash-test-token"] {
        assert!(!text.contains(secret), "a secret reached the log");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
