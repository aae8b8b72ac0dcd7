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
