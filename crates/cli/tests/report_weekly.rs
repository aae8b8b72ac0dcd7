//! `plasma-ops report weekly` against a real SQLite store written by the store's own API: the
//! JSON of the interface, the Markdown and the HTML page, and the refusals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use plasma_store::{DeploymentChange, NewDelivery, NewDeployment, NewDeploymentStatus};
use serde_json::{Value, json};

const REPO: &str = "plasma-engine/gateway";
/// Monday 2026-11-30 00:00 UTC: 2026-W49.
const W49: i64 = 1_795_996_800_000;
const HOUR: i64 = 3_600_000;

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

async fn seed(path: &str) {
    let store = plasma_store::open(path).await.unwrap();
    let pr = json!({
        "action": "closed", "repository": {"full_name": REPO},
        "pull_request": {"number": 12, "title": "Gateway bootstrap", "user": {"login": "bob"},
            "head": {"ref": "b"}, "created_at": iso(W49 + 9 * HOUR),
            "updated_at": iso(W49 + 30 * HOUR), "merged_at": iso(W49 + 30 * HOUR),
            "closed_at": iso(W49 + 30 * HOUR)}
    });
    let d = NewDelivery {
        id: "d-12".into(),
        event: "pull_request".into(),
        action: Some("closed".into()),
        repository: Some(REPO.into()),
        installation: None,
        received_at: W49 + 100 * HOUR,
        body: serde_json::to_vec(&pr).unwrap(),
    };
    store.record_delivery(&d, &[], d.received_at).await.unwrap();
    let dep = NewDeployment {
        repo: REPO.into(),
        id: 1,
        environment: "production".into(),
        sha: "a".repeat(40),
        git_ref: "main".into(),
        creator: None,
        created_at: W49 + 40 * HOUR,
    };
    let ok = NewDeploymentStatus {
        repo: REPO.into(),
        deployment_id: 1,
        id: 10,
        state: "success".into(),
        created_at: W49 + 41 * HOUR,
        url: None,
        description: None,
    };
    store.record_deployment_status(&dep, &ok).await.unwrap();
    let change = DeploymentChange {
        kind: "first".into(),
        previous_id: None,
        commits: vec![],
        pulls: vec![12],
    };
    store.set_deployment_change(REPO, 1, &change).await.unwrap();
    store.close().await;
}

fn run(db: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .args(args)
        .env("PLASMA_OPS_DATABASE_URL", format!("sqlite://{db}"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_report_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let db = db.to_str().unwrap();
    seed(db).await;
    let week = ["report", "weekly", "--repo", REPO, "--week", "2026-W49"];

    let (code, out, err) = run(db, &[&week[..], &["--format", "json"]].concat());
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["week"], "2026-W49");
    assert_eq!(v["from"], "2026-11-30T00:00:00+00:00");
    assert_eq!(v["scope"], json!({"kind": "repo", "name": REPO}));
    assert_eq!(v["pull_requests"]["opened"]["value"], 1);
    assert_eq!(v["pull_requests"]["merged"]["value"], 1);
    let df = &v["dora"]["deployment_frequency"];
    assert_eq!((df["value"].as_f64(), df["band"].as_str()), (Some(1.0), Some("high")));
    // Opened Monday 09:00, first in production Tuesday 17:00: 32 h, high.
    assert_eq!(v["dora"]["lead_time"]["value"].as_f64(), Some(32.0));
    assert_eq!(v["dora"]["lead_time"]["band"], "high");
    let cfr = &v["dora"]["change_failure_rate"];
    assert!(cfr["value"].is_null() && cfr["band"].is_null());
    assert!(cfr["no_data"].as_str().unwrap().starts_with("no incident is recorded"));

    let (code, md, _) = run(db, &[&week[..], &["--format", "md"]].concat());
    assert_eq!(code, 0);
    assert!(md.starts_with("## Weekly report 2026-W49 · plasma-engine/gateway\n"), "{md}");
    let (code, html, _) = run(db, &[&week[..], &["--format", "html"]].concat());
    assert_eq!(code, 0);
    assert!(html.starts_with("<!doctype html>") && html.matches("<svg").count() == 6);

    let (code, _, err) = run(db, &["report", "weekly", "--week", "2026-49"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not an ISO week"), "{err}");
    let (code, _, err) = run(db, &["report", "weekly", "--repo", "nope"]);
    assert_ne!(code, 0);
    assert!(err.contains("is not OWNER/REPO"), "{err}");
    let (code, _, err) = run(db, &["labels", "--format", "html"]);
    assert_ne!(code, 0);
    assert!(err.contains("only for `report weekly`"), "{err}");
}
