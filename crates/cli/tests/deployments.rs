//! `plasma-ops deployments` against a real SQLite store written by the store's own API: the JSON
//! of the interface, newest first, and the filters.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use plasma_store::{DeploymentChange, NewDeployment, NewDeploymentStatus, SqliteStore};
use serde_json::{Value, json};

const REPO: &str = "plasma-engine/gateway";
const T: i64 = 1_800_000_000_000;

async fn seed(path: &str) {
    let store = SqliteStore::open(path).await.unwrap();
    let d = |id: i64, env: &str, sha: &str, at: i64| NewDeployment {
        repo: REPO.into(),
        id,
        environment: env.into(),
        sha: sha.into(),
        git_ref: "main".into(),
        creator: Some("octocat".into()),
        created_at: at,
    };
    let s = |d: &NewDeployment, id: i64, state: &str, at: i64| NewDeploymentStatus {
        repo: REPO.into(),
        deployment_id: d.id,
        id,
        state: state.into(),
        created_at: at,
        url: None,
        description: None,
    };
    use plasma_store::DeploymentStore as _;
    let a = d(1, "production", "aaa", T);
    let b = d(2, "production", "bbb", T + 86_400_000);
    let c = d(3, "staging", "bbb", T + 2 * 86_400_000);
    // Long before any `--since` window: 2020-09-13.
    let old = d(9, "production", "000", 1_600_000_000_000);
    store.record_deployment(&old).await.unwrap();
    store.record_deployment_status(&a, &s(&a, 10, "success", T + 60_000)).await.unwrap();
    store.record_deployment_status(&b, &s(&b, 20, "success", T + 86_460_000)).await.unwrap();
    store
        .record_deployment_status(&c, &s(&c, 30, "failure", T + 2 * 86_400_000 + 5_000))
        .await
        .unwrap();
    let change = |kind: &str, pulls: Vec<u64>| DeploymentChange {
        kind: kind.into(),
        previous_id: None,
        commits: vec![],
        pulls,
    };
    store.set_deployment_change(REPO, 1, &change("first", vec![])).await.unwrap();
    store.set_deployment_change(REPO, 2, &change("rollback", vec![])).await.unwrap();
}

fn run(db: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .args(args)
        .env("PLASMA_OPS_DATABASE_URL", format!("sqlite://{db}"))
        .env_remove("PLASMA_OPS_CONFIG_FILE")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_json_is_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("plasma-ops.db");
    let db = db.to_str().unwrap();
    seed(db).await;

    let (code, out, err) = run(db, &["deployments", REPO, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<i64> =
        v["deployments"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![3, 2, 1, 9], "newest first");
    assert_eq!(
        v["deployments"][1],
        json!({"id": 2, "environment": "production", "sha": "bbb", "ref": "main",
            "state": "success", "created_at": "2027-01-16T08:00:00Z",
            "finished_at": "2027-01-16T08:01:00Z", "rollback": true, "redeploy": false,
            "pull_requests": []})
    );
    assert_eq!(v["deployments"][0]["state"], "failure");

    let (code, out, _) = run(db, &["deployments", REPO, "--env", "PRODUCTION", "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["deployments"].as_array().unwrap().len(), 3);
    assert_eq!(v["deployments"][2]["state"], "pending", "no status yet");

    // `--since` counts back from now: the 2020 deployment is outside 30 days, the others
    // (2027) inside.
    let (code, out, _) = run(db, &["deployments", REPO, "--since", "30d", "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["deployments"].as_array().unwrap().len(), 3);
    let (code, _, err) = run(db, &["deployments", REPO, "--since", "soon"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("30d"), "{err}");

    let (code, out, _) = run(db, &["deployments", REPO]);
    assert_eq!(code, 0);
    assert!(out.contains("rollback") && out.contains("4 deployment(s)"), "{out}");

    let (code, _, err) = run(db, &["deployments", "not-a-repo"]);
    assert_eq!(code, 2);
    assert!(err.contains("OWNER/REPO"), "{err}");
}
