//! `plasma-ops audit --remote` against the fake GitHub: classic protection, rulesets, the
//! production environment, an unprotected branch, and a token without administration read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use plasma_fakehub::{FakeHub, FakeProtection};
use serde_json::{Value, json};

const TOKEN: &str = "test-token-never-printed-1234";

fn audit(hub: &FakeHub, repo: &str, token: Option<&str>) -> (i32, Value, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plasma-ops"));
    cmd.args(["audit", ".", "--remote", repo, "--format", "json"])
        .current_dir(root)
        .env("GITHUB_API_URL", hub.url())
        .env_remove("GITHUB_TOKEN")
        .env_remove("PLASMA_OPS_GITHUB_TOKEN")
        .env_remove("PLASMA_OPS_GITHUB_API_URL")
        .env_remove("GITHUB_STEP_SUMMARY");
    if let Some(t) = token {
        cmd.env("GITHUB_TOKEN", t);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN), "the token leaked");
    let v = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v, stderr)
}

fn findings(v: &Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (f["rule"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string())
        })
        .collect()
}

fn production_with_reviewers() -> BTreeMap<String, Value> {
    BTreeMap::from([(
        "production".to_string(),
        json!({"id": 1, "protection_rules": [{"id": 2, "type": "required_reviewers", "reviewers": [{"type": "Team", "reviewer": {"slug": "ops"}}]}]}),
    )])
}

#[tokio::test(flavor = "multi_thread")]
async fn remote_settings_from_classic_protection_and_rulesets() {
    let hub = FakeHub::start().await.unwrap();

    // Classic protection with everything, and a production environment with reviewers.
    hub.set_protection("o/classic", FakeProtection {
        classic: BTreeMap::from([(
            "main".to_string(),
            json!({
                "required_signatures": {"enabled": true},
                "required_linear_history": {"enabled": true},
                "required_status_checks": {"strict": true, "contexts": ["lint", "test", "security"], "checks": [{"context": "CodeRabbit", "app_id": null}]},
                "required_pull_request_reviews": {"required_approving_review_count": 1, "require_code_owner_reviews": true, "dismiss_stale_reviews": true}
            }),
        )]),
        environments: production_with_reviewers(),
        ..FakeProtection::default()
    });
    let (code, v, err) = audit(&hub, "o/classic", Some(TOKEN));
    assert_eq!(code, 0, "{v} {err}");
    assert!(findings(&v).is_empty(), "{v}");

    // Rulesets only (no classic protection): the same settings count.
    hub.set_protection("o/rulesets", FakeProtection {
        rules: BTreeMap::from([(
            "main".to_string(),
            vec![
                json!({"type": "required_signatures", "ruleset_source_type": "Repository", "ruleset_source": "o/rulesets", "ruleset_id": 1}),
                json!({"type": "required_linear_history", "ruleset_id": 1}),
                json!({"type": "pull_request", "ruleset_id": 1, "parameters": {"required_approving_review_count": 2, "require_code_owner_review": true, "dismiss_stale_reviews_on_push": true, "require_last_push_approval": false, "required_review_thread_resolution": false}}),
                json!({"type": "required_status_checks", "ruleset_id": 1, "parameters": {"strict_required_status_checks_policy": true, "required_status_checks": [{"context": "ci / lint"}, {"context": "ci / tests"}, {"context": "security-scan"}, {"context": "CodeRabbit"}]}}),
            ],
        )]),
        environments: production_with_reviewers(),
        ..FakeProtection::default()
    });
    let (code, v, err) = audit(&hub, "o/rulesets", Some(TOKEN));
    assert_eq!(code, 0, "{v} {err}");
    assert!(findings(&v).is_empty(), "{v}");

    // Not protected at all, no production environment: every setting is missing.
    hub.add_repo("o/bare");
    let (code, v, _) = audit(&hub, "o/bare", Some(TOKEN));
    assert_eq!(code, 1);
    let got = findings(&v);
    for rule in [
        "protection-signed-commits",
        "protection-linear-history",
        "protection-status-checks",
        "protection-approvals",
        "protection-code-owner-review",
        "protection-dismiss-stale-reviews",
        "protection-production-reviewers",
    ] {
        assert!(got.contains(&(rule.to_string(), "error".to_string())), "{rule}: {got:?}");
    }

    // No administration read: classic protection answers 403; a setting the rulesets do not
    // cover is unknown, never missing.
    hub.set_protection(
        "o/noadmin",
        FakeProtection {
            classic_forbidden: true,
            rules: BTreeMap::from([(
                "main".to_string(),
                vec![json!({"type": "required_linear_history"})],
            )]),
            environments: production_with_reviewers(),
            ..FakeProtection::default()
        },
    );
    let (code, v, err) = audit(&hub, "o/noadmin", Some(TOKEN));
    assert_eq!(code, 0, "{v} {err}");
    let got = findings(&v);
    assert!(!got.is_empty() && got.iter().all(|(_, s)| s == "warning"), "{got:?}");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["message"].as_str().unwrap().contains("unknown (needs admin read)")),
        "{v}"
    );
    assert!(!got.iter().any(|(r, _)| r == "protection-linear-history"));

    // What was asked of GitHub.
    let paths: Vec<String> = hub.requests().iter().map(|r| r.path.clone()).collect();
    assert!(paths.iter().any(|p| p == "/repos/o/classic/branches/main/protection"), "{paths:?}");
    assert!(
        paths.iter().any(|p| p.starts_with("/repos/o/classic/rules/branches/main")),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p == "/repos/o/classic/environments/production"), "{paths:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn remote_without_a_token_is_a_usage_error() {
    let hub = FakeHub::start().await.unwrap();
    let (code, _, err) = audit(&hub, "o/r", None);
    assert_eq!(code, 2);
    assert!(err.contains("GITHUB_TOKEN"), "{err}");
}

/// The three reads through Stoplight Prism loaded with GitHub's OpenAPI description: our
/// requests and the fake's answers (shaped as GitHub documents them) must validate.
#[tokio::test(flavor = "multi_thread")]
async fn remote_reads_through_prism_validate_against_githubs_openapi() {
    use plasma_fakehub::prism::{is_undocumented_status, start_with_prism, strict_check};
    let (hub, prism) =
        start_with_prism().await.expect("Prism (run tests/contract/install.sh first)");
    hub.record_exchanges(true);
    let api = "https://api.github.com/repos/o/classic/branches/main/protection";
    hub.set_protection("o/classic", FakeProtection {
        classic: BTreeMap::from([(
            "main".to_string(),
            json!({
                "url": api,
                "required_signatures": {"url": format!("{api}/required_signatures"), "enabled": true},
                "required_linear_history": {"enabled": true},
                "required_status_checks": {
                    "url": format!("{api}/required_status_checks"), "strict": true,
                    "contexts": ["lint", "test", "security", "CodeRabbit"],
                    "contexts_url": format!("{api}/required_status_checks/contexts"),
                    "checks": [{"context": "lint", "app_id": null}, {"context": "test", "app_id": null}, {"context": "security", "app_id": null}, {"context": "CodeRabbit", "app_id": null}]
                },
                "required_pull_request_reviews": {"url": format!("{api}/required_pull_request_reviews"), "dismiss_stale_reviews": true, "require_code_owner_reviews": true, "required_approving_review_count": 1, "require_last_push_approval": false},
                "enforce_admins": {"url": format!("{api}/enforce_admins"), "enabled": true}
            }),
        )]),
        rules: BTreeMap::from([(
            "main".to_string(),
            vec![
                json!({"type": "required_linear_history", "ruleset_source_type": "Repository", "ruleset_source": "o/classic", "ruleset_id": 7}),
                json!({"type": "pull_request", "ruleset_source_type": "Repository", "ruleset_source": "o/classic", "ruleset_id": 7, "parameters": {"dismiss_stale_reviews_on_push": true, "require_code_owner_review": true, "require_last_push_approval": false, "required_approving_review_count": 1, "required_review_thread_resolution": false}}),
                json!({"type": "required_status_checks", "ruleset_source_type": "Repository", "ruleset_source": "o/classic", "ruleset_id": 7, "parameters": {"strict_required_status_checks_policy": true, "required_status_checks": [{"context": "lint"}]}}),
            ],
        )]),
        environments: BTreeMap::from([(
            "production".to_string(),
            json!({
                "id": 161088068, "node_id": "MDExOkVudmlyb25tZW50MTYxMDg4MDY4", "name": "production",
                "url": "https://api.github.com/repos/o/classic/environments/production",
                "html_url": "https://github.com/o/classic/deployments/activity_log?environments_filter=production",
                "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z",
                "protection_rules": [{"id": 3736, "node_id": "MDQ6R2F0ZTM3MzY=", "type": "required_reviewers", "prevent_self_review": true,
                    "reviewers": [{"type": "Team", "reviewer": {"id": 1, "node_id": "MDQ6VGVhbTE=", "url": "https://api.github.com/teams/1", "html_url": "https://github.com/orgs/o/teams/ops", "name": "ops", "slug": "ops", "description": null, "privacy": "closed", "permission": "push", "members_url": "https://api.github.com/teams/1/members{/member}", "repositories_url": "https://api.github.com/teams/1/repos", "parent": null}}]}],
                "deployment_branch_policy": null
            }),
        )]),
        ..FakeProtection::default()
    });
    let (code, v, err) = audit_at(&prism.url(), "o/classic");
    assert_eq!(code, 0, "{v} {err}");
    assert!(findings(&v).is_empty(), "{v}");
    // An unprotected branch: GitHub's documented 404 for the protection read.
    hub.add_repo("o/bare");
    let (code, _, err) = audit_at(&prism.url(), "o/bare");
    assert_eq!(code, 1, "{err}");

    let problems: Vec<String> =
        prism.logged_problems().into_iter().filter(|l| !is_undocumented_status(l)).collect();
    assert!(problems.is_empty(), "Prism reported violations:\n{}", problems.join("\n"));
    let report = strict_check(&hub.exchanges()).expect("strict check");
    assert!(report.checked >= 3, "only {} answers checked", report.checked);
    assert!(
        report.problems.is_empty(),
        "answers breaking GitHub's schema:\n{}",
        report.problems.join("\n")
    );
    println!("Prism: {} answers strictly validated, 0 violations", report.checked);
}

fn audit_at(api: &str, repo: &str) -> (i32, Value, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .args(["audit", ".", "--remote", repo, "--format", "json"])
        .current_dir(root)
        .env("GITHUB_API_URL", api)
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
