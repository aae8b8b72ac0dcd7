//! `plasma-ops check pr --snapshot` honours the snapshot's `infra` field: the bundled ready
//! pull request, changed to touch Terraform, fails `infra-approval` until a member of the infra
//! team approves, and reports it "not evaluated" (not ready) when `infra` is absent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

fn check(snapshot: &Value) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.json");
    std::fs::write(&file, serde_json::to_vec(snapshot).unwrap()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .args(["check", "pr", "--format", "json", "--snapshot"])
        .arg(&file)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

fn infra_findings(v: &Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "infra-approval")
        .map(|f| (f["severity"].as_str().unwrap().into(), f["message"].as_str().unwrap().into()))
        .collect()
}

#[test]
fn check_pr_snapshot_judges_infra_approvals_from_the_snapshot() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/snapshot.ready.json");
    let mut pr: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (code, v) = check(&pr);
    assert_eq!(code, 0, "{v}");
    assert!(infra_findings(&v).is_empty(), "no infrastructure, no finding: {v}");

    pr["files"].as_array_mut().unwrap().push(json!({"path": "deploy/terraform/main.tf"}));
    let (code, v) = check(&pr);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["ready"], false, "{v}");
    let f = infra_findings(&v);
    assert!(f.len() == 1 && f[0].0 == "info" && f[0].1.contains("not evaluated"), "{f:?}");

    let repo = pr["repository"].as_str().unwrap().to_string();
    let owner = repo.split('/').next().unwrap().to_ascii_lowercase();
    pr["infra"] = json!({"teams": {format!("{owner}/infra"): ["carol"]}});
    let (code, v) = check(&pr);
    assert_eq!(code, 1, "{v}");
    let f = infra_findings(&v);
    assert!(f.len() == 1 && f[0].0 == "error", "{f:?}");
    assert!(f[0].1.contains("`deploy/terraform/main.tf`"), "{f:?}");

    let head = pr["head"]["sha"].clone();
    pr["reviews"].as_array_mut().unwrap().push(json!({
        "id": 99_999, "author": {"login": "carol"}, "state": "APPROVED",
        "commit_id": head, "submitted_at": "2026-11-27T12:00:00Z"
    }));
    let (code, v) = check(&pr);
    assert_eq!(code, 0, "{v}");
    assert!(infra_findings(&v).is_empty(), "{v}");
    assert_eq!(v["ready"], true, "{v}");
}
