//! Every GraphQL operation plasma-ops sends (each `.graphql` file under `crates/github/graphql/`,
//! found by listing the directory, so a new operation is checked without touching this test) is
//! valid against GitHub's published schema (`@octokit/graphql-schema`, pinned in
//! `tests/contract`). Run `tests/contract/install.sh` once first; without it the test fails and
//! says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `node tests/contract/graphql-check.mjs validate DIR`: (files checked, problems).
fn validate(dir: &Path) -> (Vec<String>, Vec<String>) {
    let contract = root().join("tests/contract");
    let schema = contract.join("node_modules/@octokit/graphql-schema/schema.json");
    assert!(
        schema.is_file(),
        "{} is missing: run tests/contract/install.sh first (needs Node.js and npm)",
        schema.display()
    );
    let out = Command::new("node")
        .arg(contract.join("graphql-check.mjs"))
        .arg("validate")
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node ({e}); install Node.js 18 or newer"));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("graphql-check.mjs said no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr))
    });
    let list = |k: &str| -> Vec<String> {
        report[k].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    };
    (list("checked"), list("problems"))
}

#[test]
fn every_operation_is_valid_against_githubs_schema() {
    let dir = root().join("crates/github/graphql");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".graphql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no operation in {}", dir.display());
    let (checked, problems) = validate(&dir);
    assert_eq!(checked, files, "the checker must see every operation file");
    assert!(problems.is_empty(), "operations that GitHub would refuse:\n{}", problems.join("\n"));
}

#[test]
fn the_checker_refuses_an_operation_github_would_refuse() {
    let dir = std::env::temp_dir().join(format!("plasma-graphql-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("bad.graphql"),
        "query Bad($owner: String!) { repository(owner: $owner, name: \"x\") { pullRequest(number: 1) { reviewThreads(first: 1) { nodes { isResolvd } } } } }",
    )
    .unwrap();
    let (checked, problems) = validate(&dir);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(checked, vec!["bad.graphql".to_string()]);
    assert!(
        problems.iter().any(|p| p.contains("isResolvd") && p.contains("bad.graphql:1:")),
        "{problems:?}"
    );
}
