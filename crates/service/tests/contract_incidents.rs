//! The incident and issue-template calls through Stoplight Prism loaded with GitHub's OpenAPI
//! description: reading the templates (a directory listing, then each file), an issue's events
//! and comments, the reopen comment and the reopen itself (`PATCH` with `state: open`), the label
//! lookup of a linked issue. Every request and every answer must validate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use plasma_fakehub::FakeIssue;
use plasma_fakehub::prism::{is_undocumented_status, start_with_prism, strict_check};
use serde_json::json;
use support::*;

const FORM: &str = "name: Incident\ndescription: Something is down\nlabels: [incident]\nbody:\n  - type: textarea\n    id: impact\n    attributes:\n      label: Impact\n    validations:\n      required: true\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_through_prism_have_zero_violations() {
    let (hub, prism) =
        start_with_prism().await.expect("Prism (run tests/contract/install.sh first)");
    hub.record_exchanges(true);
    hub.add_repo(REPO);
    let mut env = Env::with_hub("prism-incidents", hub, prism.url()).await;
    env.hub.set_file_content(REPO, "main", ".github/ISSUE_TEMPLATE/incident.yml", FORM);
    let pm = env.hub.add_issue(
        REPO,
        FakeIssue {
            title: "Postmortem".into(),
            body: None,
            user: "bob".into(),
            state: "open".into(),
            labels: vec!["postmortem".into()],
        },
    );
    let n = env.hub.add_issue(
        REPO,
        FakeIssue {
            title: "Gateway down".into(),
            body: Some("### Impact\n\n_No response_\n".into()),
            user: "alice".into(),
            state: "open".into(),
            labels: vec!["incident".into(), "sev1".into()],
        },
    );
    env.hub.assign(REPO, n, "alice", "bob");
    let limit = Duration::from_secs(60);
    let mut closed = retarget(example("issues", Some("opened")), n);
    closed["action"] = json!("closed");
    closed["issue"]["state"] = json!("closed");
    closed["issue"]["state_reason"] = json!("completed");

    env.hub.close_issue(REPO, n, "bob", "completed");
    assert_eq!(env.deliver("issues", "pi-1", &closed).await, 202);
    env.settle(limit).await;
    assert_eq!(env.hub.issue_state(REPO, n).unwrap().0, "open", "reopened through Prism");
    env.hub.add_comment(
        REPO,
        n,
        "bob",
        &format!("postmortem: https://github.com/{REPO}/issues/{pm}"),
    );
    env.hub.close_issue(REPO, n, "bob", "completed");
    assert_eq!(env.deliver("issues", "pi-2", &closed).await, 202);
    env.settle(limit).await;
    assert_eq!(env.hub.issue_state(REPO, n).unwrap().0, "closed");
    let paths: Vec<String> =
        env.hub.requests().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    for wanted in [
        format!("PATCH /repos/{REPO}/issues/{n}"),
        format!("GET /repos/{REPO}/issues/{n}/events"),
        format!("GET /repos/{REPO}/issues/{pm}"),
        format!("POST /repos/{REPO}/issues/{n}/comments"),
    ] {
        assert!(paths.iter().any(|p| p.starts_with(&wanted)), "no `{wanted}`: {paths:#?}");
    }
    assert!(
        paths.iter().any(|p| p.contains("/contents/.github") && p.contains("ISSUE_TEMPLATE")),
        "{paths:#?}"
    );
    env.stop().await;

    let problems: Vec<String> =
        prism.logged_problems().into_iter().filter(|l| !is_undocumented_status(l)).collect();
    assert!(problems.is_empty(), "Prism reported violations:\n{}", problems.join("\n"));
    let report = strict_check(&env.hub.exchanges()).expect("strict check");
    assert!(report.checked > 10, "only {} answers checked", report.checked);
    assert!(
        report.problems.is_empty(),
        "answers breaking GitHub's schema:\n{}",
        report.problems.join("\n")
    );
    println!("Prism: {} answers strictly validated, 0 violations", report.checked);
}
