//! The dashboard in a real browser (issue 10): `plasma-ops serve` fed signed deliveries for pull
//! requests on the fake GitHub, then Debian's chromium driven by playwright-core
//! (`tests/browser/dashboard.mjs`, installed by `tests/browser/install.sh`) loads each page at
//! desktop and phone widths, follows pipeline -> pull request, checks the `<script>` title shows
//! as text, and takes screenshots. `PLASMA_OPS_SCREENSHOTS=docs/screenshots` writes them where
//! the README shows them; by default they go to a temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use plasma_fakehub::{
    FakeCheckRun, FakeCommit, FakeFile, FakeHub, FakePull, FakeReview, FakeStatus,
};
use serde_json::{Value, json};

const REPO: &str = "plasma-engine/plasma-engine-gateway";
const SECRET: &str = "browser-test-secret";
const CODERABBIT: &str = "coderabbitai[bot]";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GitHub's published example payload, pointed at our pull request.
fn pr_event(event: &str, action: &str, number: u64) -> Value {
    let index = root()
        .join("tests/contract/node_modules/@octokit/webhooks-examples/api.github.com/index.json");
    let text = std::fs::read_to_string(&index).expect("run tests/contract/install.sh first");
    let groups: Value = serde_json::from_str(&text).unwrap();
    let mut v = groups
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["name"] == event)
        .flat_map(|g| g["examples"].as_array().cloned().unwrap_or_default())
        .find(|e| e["action"] == action)
        .unwrap_or_else(|| panic!("no {event}.{action} example"));
    let (owner, name) = REPO.split_once('/').unwrap();
    v["repository"]["full_name"] = json!(REPO);
    v["repository"]["name"] = json!(name);
    v["repository"]["owner"]["login"] = json!(owner);
    v["pull_request"]["number"] = json!(number);
    v["number"] = json!(number);
    v
}

fn pull(hub: &FakeHub, title: &str, user: &str, branch: &str, files: &[&str]) -> u64 {
    let n = hub.add_pull(
        REPO,
        FakePull {
            title: title.into(),
            body: Some(
                "- [x] Tests run\n- [x] Lint pass\n- [x] Docs updated\n- [x] ADR impact\n".into(),
            ),
            user: user.into(),
            head_ref: branch.into(),
            ..FakePull::default()
        },
    );
    hub.set_files(REPO, n, files.iter().map(|f| FakeFile::modified(f)).collect());
    let head = hub.head_sha(REPO, n).unwrap();
    hub.add_commit(REPO, n, FakeCommit::verified(&head, title));
    n
}

/// Monday 2026-11-30 00:00 UTC, the start of 2026-W49 (the report the browser opens).
const W49: i64 = 1_795_996_800_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

/// Eight weeks of recorded events for the weekly report: pull requests opened, reviewed and
/// merged, production deployments bringing them, and incidents after some deployments; GitHub's
/// times in the payloads, arrival times long after (the report must not read them).
async fn seed_report(url: &str) {
    let store = plasma_store::open(url).await.unwrap();
    let repo = "plasma-engine/plasma-engine-report";
    let mut number = 100u64;
    let mut deployment = 9000i64;
    let mut i = 0u32;
    let mut record = |event: &str, body: Value| {
        i += 1;
        plasma_store::NewDelivery {
            id: format!("report-{i}"),
            event: event.into(),
            action: body["action"].as_str().map(String::from),
            repository: Some(repo.into()),
            installation: None,
            received_at: W49 + 30 * DAY,
            body: serde_json::to_vec(&body).unwrap(),
        }
    };
    let mut deliveries = Vec::new();
    let mut deployments = Vec::new();
    for week in 0..8i64 {
        let start = W49 - (7 - week) * 7 * DAY;
        let count = [3, 4, 2, 5, 4, 6, 3, 5][week as usize];
        let mut brought = Vec::new();
        for k in 0..count {
            number += 1;
            let opened = start + (k % 5) * DAY + (9 + k) * HOUR;
            let merged = opened + (6 + 5 * k) * HOUR;
            let pr = |action: &str, updated: i64, merged_at: Option<i64>| {
                json!({
                    "action": action,
                    "repository": {"full_name": repo},
                    "pull_request": {"number": number, "title": format!("Change {number}"),
                        "user": {"login": "alice"}, "head": {"ref": format!("b{number}")},
                        "created_at": iso(opened), "updated_at": iso(updated),
                        "merged_at": merged_at.map(iso), "closed_at": merged_at.map(iso)}
                })
            };
            deliveries.push(record("pull_request", pr("opened", opened, None)));
            deliveries.push(record(
                "pull_request_review",
                json!({"action": "submitted", "repository": {"full_name": repo},
                       "pull_request": {"number": number},
                       "review": {"user": {"login": "bob", "type": "User"}, "state": "APPROVED",
                                  "submitted_at": iso(opened + (1 + 3 * k) * HOUR)}}),
            ));
            deliveries.push(record(
                "pull_request_review",
                json!({"action": "submitted", "repository": {"full_name": repo},
                       "pull_request": {"number": number},
                       "review": {"user": {"login": "coderabbitai[bot]", "type": "Bot"},
                                  "state": "APPROVED", "submitted_at": iso(opened + HOUR / 2)}}),
            ));
            if k != 1 {
                deliveries.push(record("pull_request", pr("closed", merged, Some(merged))));
                brought.push(number);
            }
        }
        // Production deployments on days 1, 3 (and 4 in later weeks), each bringing a share.
        let days: &[i64] = if week >= 5 { &[1, 3, 4] } else { &[1, 3] };
        for (j, day) in days.iter().enumerate() {
            deployment += 1;
            let at = start + day * DAY + 20 * HOUR;
            let pulls: Vec<u64> = brought.iter().copied().skip(j * 2).take(2).collect();
            deployments.push((deployment, at, pulls));
        }
    }
    for d in &deliveries {
        store.record_delivery(d, &[], d.received_at).await.unwrap();
    }
    for (id, at, pulls) in &deployments {
        let d = plasma_store::NewDeployment {
            repo: repo.into(),
            id: *id,
            environment: "production".into(),
            sha: format!("{id:040}"),
            git_ref: "main".into(),
            creator: None,
            created_at: *at,
        };
        let ok = plasma_store::NewDeploymentStatus {
            repo: repo.into(),
            deployment_id: *id,
            id: id * 10,
            state: "success".into(),
            created_at: at + HOUR / 4,
            url: None,
            description: None,
        };
        store.record_deployment_status(&d, &ok).await.unwrap();
        let change = plasma_store::DeploymentChange {
            kind: "change".into(),
            previous_id: None,
            commits: vec![],
            pulls: pulls.clone(),
        };
        store.set_deployment_change(repo, *id, &change).await.unwrap();
    }
    // Incidents after a few deployments (weeks 2, 5 and 7), each resolved within hours.
    for (n, week, day, hours) in [(1i64, 2i64, 2i64, 5i64), (2, 5, 4, 3), (3, 7, 3, 7)] {
        let opened = W49 - (7 - week) * 7 * DAY + day * DAY + 2 * HOUR;
        let row = plasma_store::IncidentRow {
            repo: repo.into(),
            number: n,
            title: format!("Outage {n}"),
            severity: Some("sev2".into()),
            state: "resolved".into(),
            opened_at: opened,
            acknowledged_at: Some(opened + HOUR / 3),
            resolved_at: Some(opened + hours * HOUR),
            ack_deadline: opened + HOUR,
            deadline_checked: true,
            postmortem: (n != 3).then(|| "https://example.com/pm".into()),
        };
        store.record_incident(&row, &[], opened + hours * HOUR).await.unwrap();
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_in_chromium_at_desktop_and_phone_widths() {
    let script = root().join("tests/browser/dashboard.mjs");
    let module = root().join("tests/browser/node_modules/playwright-core/package.json");
    assert!(module.exists(), "{} is missing: run tests/browser/install.sh", module.display());
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: apt-get install chromium"
    );

    let hub = FakeHub::start().await.unwrap();
    let fix = pull(
        &hub,
        "[PE-12] Gateway bootstrap",
        "bob",
        "gateway/PE-12-bootstrap",
        &["app/main.py", "docs/README.md"],
    );
    hub.add_review(REPO, fix, FakeReview::new(CODERABBIT, "CHANGES_REQUESTED"));
    let review = pull(
        &hub,
        "[PE-14] Rate limiter",
        "carol",
        "gateway/PE-14-rate-limiter",
        &["app/limits.py"],
    );
    let ready =
        pull(&hub, "[PE-15] Health endpoint", "dave", "gateway/PE-15-health", &["app/health.py"]);
    hub.add_review(REPO, ready, FakeReview::new(CODERABBIT, "APPROVED"));
    hub.add_review(REPO, ready, FakeReview::new("alice", "APPROVED"));
    let sha = hub.head_sha(REPO, ready).unwrap();
    for name in ["lint", "test", "security-scan"] {
        hub.add_check_run(REPO, &sha, FakeCheckRun::completed(name, "success"));
    }
    hub.add_status(REPO, &sha, FakeStatus::new("CodeRabbit", "success"));
    let xss = pull(
        &hub,
        "<script>alert(1)</script>",
        "mallory",
        "x\"><img src=x onerror=alert(2)>",
        &["app/x.py"],
    );

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let db_url = format!("sqlite://{}", dir.path().join("dash.db").display());
    seed_report(&db_url).await;
    let env = [
        ("PLASMA_OPS_DATABASE_URL", db_url.clone()),
        ("PLASMA_OPS_GITHUB_API_URL", hub.url()),
        ("PLASMA_OPS_GITHUB_TOKEN", "browser-test-github-token".into()),
        ("PLASMA_OPS_SWEEP_INTERVAL", "1h".into()),
        ("PLASMA_OPS_LISTEN", format!("127.0.0.1:{port}")),
        ("PLASMA_OPS_WEBHOOK_SECRET", SECRET.into()),
        ("PLASMA_OPS_BOT_LOGIN", "plasma-ops[bot]".into()),
    ];
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plasma-ops"));
    cmd.arg("serve").env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in &env {
        cmd.env(k, v);
    }
    if let Ok(p) = std::env::var("LLVM_PROFILE_FILE") {
        cmd.env("LLVM_PROFILE_FILE", p);
    }
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let _served = Served(cmd.stdout(Stdio::null()).stderr(log).spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let start = Instant::now();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Signed deliveries, as GitHub sends them.
    let deliveries = [
        ("pull_request", "opened", fix),
        ("pull_request", "opened", review),
        ("pull_request", "opened", ready),
        ("pull_request", "opened", xss),
        ("pull_request_review", "submitted", fix),
    ];
    for (i, (event, action, n)) in deliveries.iter().enumerate() {
        let body = serde_json::to_vec(&pr_event(event, action, *n)).unwrap();
        let status = http
            .post(format!("{base}/webhook"))
            .header("x-github-event", *event)
            .header("x-github-delivery", format!("browser-{i}"))
            .header("x-hub-signature-256", plasma_github::sign(SECRET.as_bytes(), &body))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 202);
    }
    // Until the pipeline shows all four and the queue is empty.
    let start = Instant::now();
    loop {
        let ops: Value = http
            .get(format!("{base}/ops"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pipe: Value = http
            .get(format!("{base}/"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if pipe["total"] == 4 && ops["queue"]["pending"] == 0 && ops["queue"]["leased"] == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "not settled: {pipe} {ops}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let shots = match std::env::var("PLASMA_OPS_SCREENSHOTS") {
        Ok(d) if !d.is_empty() => root().join(d),
        _ => dir.path().join("screenshots"),
    };
    let out = tokio::time::timeout(
        Duration::from_secs(180),
        tokio::process::Command::new("node")
            .arg(&script)
            .arg(&base)
            .arg(format!("/pr/{REPO}/{fix}"))
            .arg(format!("/pr/{REPO}/{xss}"))
            .arg(&shots)
            .arg("/report?week=2026-W49&repo=plasma-engine/plasma-engine-report")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the browser test ended within 180 s")
    .expect("node runs");
    assert!(
        out.status.success(),
        "browser checks failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for page in ["pipeline", "pull-request", "ops", "weekly-report"] {
        for size in ["desktop", "phone"] {
            let png = shots.join(format!("{page}-{size}.png"));
            let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
            assert!(bytes.starts_with(b"\x89PNG"), "{} is not a PNG", png.display());
        }
    }
}
