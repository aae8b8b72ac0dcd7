//! `plasma-ops audit` end to end on fixture repositories built in a temporary directory: a repository
//! breaking every rule (text and JSON snapshots, SARIF structure), `--fix` on an empty
//! repository, git-listed files, and this project's own checkout.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_TOKEN")
        .env_remove("PLASMA_OPS_GITHUB_TOKEN")
        .env_remove("PLASMA_OPS_GITHUB_API_URL")
        .output()
        .expect("run plasma-ops");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh empty directory under the system temp dir, removed when dropped.
struct TempRepo(PathBuf);

impl TempRepo {
    fn new(name: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "plasma-audit-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempRepo(dir)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

impl Drop for TempRepo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Built at run time so no token-shaped literal is committed (secret scanners would flag it).
fn fake_token() -> String {
    format!("{}_{}", "ghp", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5")
}

/// A repository that breaks every local audit rule at least once.
fn bad_repo() -> TempRepo {
    let r = TempRepo::new("bad");
    r.write(
        ".github/CODEOWNERS",
        "/src/ @org/platform\n/docs/ not-an-owner\n!/vendor/ @org/x\n/nowhere/ @org/ghost\n",
    );
    r.write("docs/CODEOWNERS", "* @org/all\n");
    r.write("src/main.rs", "fn main() {}\n");
    r.write(".github/ISSUE_TEMPLATE/bug.md", "Describe the bug.\n");
    r.write(".github/ISSUE_TEMPLATE/feature.yml", "name: Feature\nbody:\n  - type: input\n    id: what\n    attributes:\n      label: What\n  - type: input\n    id: what\n    attributes:\n      label: Again\n");
    r.write(
        ".github/ISSUE_TEMPLATE/config.yml",
        "blank_issues_enabled: maybe\ncontact_links: []\nsurprise: 1\n",
    );
    r.write(".github/pull_request_template.md", "## Checklist\n- [ ] Tests run\n");
    r.write(
        ".github/workflows/release.yml",
        "name: Release\non:\n  workflow_dispatch:\n    inputs:\n      version:\n        required: true\njobs:\n  security:\n    runs-on: ubuntu-latest\n    steps:\n      - name: Trivy\n        uses: aquasecurity/trivy-action@0.28.0\n        with:\n          exit-code: '0'\n      - name: pip-audit\n        run: pip-audit || true\n      - name: npm audit\n        run: npm audit\n        continue-on-error: true\n  tag:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          git tag v${{ inputs.version }}\n          git push origin v${{ inputs.version }}\n  shared:\n    uses: org/ci/.github/workflows/lint.yml\n",
    );
    r.write(".github/workflows/broken.yml", "jobs:\n  x: [\n");
    r.write(".github/workflows/huge.yml", &format!("# {}\n", "x".repeat(1024 * 1024 + 10)));
    r.write("renovate.json", "{\n  \"extends\": [\"config:recommended\"]\n}\n");
    r.write(
        ".coderabbit.yaml",
        "reviews:\n  request_changes_workflow: false\n  high_level_sumary: true\n",
    );
    r.write(
        "config/rube/mcp-config.template.json",
        &format!("{{\n  \"mcpServers\": {{\n    \"other\": {{\n      \"env\": {{\n        \"RUBE_API_KEY\": \"{}\"\n      }}\n    }}\n  }}\n}}\n", fake_token()),
    );
    r.write("docs/adr/README.md", "# Decisions\n");
    r
}

#[test]
fn a_repository_breaking_every_rule_text_and_json() {
    let r = bad_repo();
    let text = run_in(&r.0, &["audit", "."]);
    assert_eq!(text.code, 1, "{}", text.stderr);
    insta::assert_snapshot!("audit_bad_text", text.stdout);
    assert!(!text.stdout.contains(&fake_token()[4..]), "the secret leaked");

    let json = run_in(&r.0, &["audit", ".", "--format", "json"]);
    assert_eq!(json.code, 1);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["ok"], false);
    insta::assert_json_snapshot!("audit_bad_json", v);
    let rules: std::collections::BTreeSet<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    for rule in [
        "codeowners-owner",
        "codeowners-syntax",
        "codeowners-unmatched",
        "codeowners-unowned",
        "codeowners-shadowed",
        "issue-template-missing",
        "issue-template-invalid",
        "issue-template-config",
        "pr-template-checklist",
        "pr-template-coderabbit",
        "workflow-yaml",
        "workflow-stage-missing",
        "workflow-reusable-path",
        "workflow-security-soft-fail",
        "workflow-script-injection",
        "renovate-schedule",
        "renovate-grouping",
        "coderabbit-request-changes",
        "coderabbit-config-unknown-key",
        "rube-server-id",
        "rube-literal-secret",
        "adr-none-numbered",
        "audit-file-too-large",
    ] {
        assert!(rules.contains(rule), "no {rule} finding: {rules:?}");
    }
}

#[test]
fn missing_everything_then_fix_then_pass() {
    let r = TempRepo::new("empty");
    r.write("src/lib.rs", "\n");
    let before = run_in(&r.0, &["audit", ".", "--format", "json"]);
    assert_eq!(before.code, 1);
    let v: serde_json::Value = serde_json::from_str(&before.stdout).unwrap();
    let rules: Vec<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    for rule in [
        "codeowners-missing",
        "pr-template-missing",
        "workflow-missing",
        "renovate-missing",
        "coderabbit-config-missing",
        "rube-template-missing",
        "adr-missing",
    ] {
        assert!(rules.contains(&rule), "no {rule}: {rules:?}");
    }

    let dry = run_in(&r.0, &["audit", ".", "--fix", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains("--- /dev/null\n+++ b/.github/CODEOWNERS\n@@ -0,0 +1,"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("+++ b/.github/workflows/plasma-stages.yml"));
    assert!(!r.0.join(".github").exists(), "--dry-run wrote files");
    insta::assert_snapshot!("audit_fix_dry_run", dry.stdout);

    // An existing file is never overwritten, even one --fix would write.
    r.write("renovate.json", "{\"schedule\": [\"on monday\"], \"groupName\": \"mine\"}\n");
    let fix = run_in(&r.0, &["audit", ".", "--fix"]);
    assert_eq!(fix.code, 0, "{}\n{}", fix.stdout, fix.stderr);
    assert!(fix.stderr.contains("wrote .github/CODEOWNERS"), "{}", fix.stderr);
    assert!(!fix.stderr.contains("wrote renovate.json"));
    assert_eq!(
        std::fs::read_to_string(r.0.join("renovate.json")).unwrap(),
        "{\"schedule\": [\"on monday\"], \"groupName\": \"mine\"}\n"
    );

    let after = run_in(&r.0, &["audit", ".", "--format", "json"]);
    assert_eq!(after.code, 0, "{}", after.stdout);
    let v: serde_json::Value = serde_json::from_str(&after.stdout).unwrap();
    let errors: Vec<_> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "error").collect();
    assert!(errors.is_empty(), "{errors:?}");
    let again = run_in(&r.0, &["audit", ".", "--fix", "--dry-run"]);
    assert_eq!(again.stdout, "");
}

#[test]
fn sarif_is_structured_for_code_scanning() {
    let r = bad_repo();
    let out = run_in(&r.0, &["audit", ".", "--format", "sarif"]);
    assert_eq!(out.code, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert!(run["tool"]["driver"]["name"].as_str().unwrap().contains("plasma-ops"));
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for res in results {
        assert!(rule_ids.contains(&res["ruleId"].as_str().unwrap()), "{res}");
        assert!(["error", "warning", "note"].contains(&res["level"].as_str().unwrap()));
    }
    let injection = results.iter().find(|r| r["ruleId"] == "workflow-script-injection").unwrap();
    let loc = &injection["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], ".github/workflows/release.yml");
    assert_eq!(loc["region"]["startLine"], 24);
}

#[test]
fn git_lists_the_files_and_ignored_ones_do_not_count() {
    let r = TempRepo::new("git");
    let git = |args: &[&str]| {
        let out = Command::new("git").args(args).current_dir(&r.0).output();
        let ok = out
            .unwrap_or_else(|e| panic!("cannot run git ({e}): apt-get install git"))
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    r.write(".gitignore", "build/\n");
    r.write("build/out.bin", "x");
    r.write(".github/CODEOWNERS", "/src/ @org/a\n/.github/ @org/a\n/.gitignore @org/a\n");
    r.write("src/a.rs", "");
    git(&["add", "-A"]);
    let out = run_in(&r.0, &["audit", ".", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let unowned: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "codeowners-unowned")
        .collect();
    assert!(unowned.is_empty(), "an ignored file counted: {unowned:?}");
}

#[test]
fn this_repository_passes_its_own_audit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = run_in(&root, &["audit", "."]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("audit: ✓ passed (0 errors"), "{}", out.stdout);
}

#[test]
fn usage_errors() {
    let r = TempRepo::new("usage");
    let out = run_in(&r.0, &["audit", "no-such-dir"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("is not a directory"), "{}", out.stderr);
    let out = run_in(&r.0, &["audit", ".", "--dry-run"]);
    assert_eq!(out.code, 2, "--dry-run without --fix must be refused");
}
