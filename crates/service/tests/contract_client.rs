//! The real plasma-ops client, driven by the real service, through Stoplight Prism loaded with
//! GitHub's official OpenAPI description: every request we make and every answer the fake gives
//! must validate. A violation fails the suite.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use plasma_fakehub::prism::{is_undocumented_status, start_with_prism, strict_check};
use plasma_fakehub::{FakeCheckRun, FakeReview, FakeStatus};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_loop_through_prism_has_zero_violations() {
    let (hub, prism) =
        start_with_prism().await.expect("Prism (run tests/contract/install.sh first)");
    hub.record_exchanges(true);
    hub.add_repo(REPO);
    let mut env = Env::with_hub("prism", hub, prism.url()).await;
    let n = good_pull(&env.hub);
    env.hub.add_label_by_human(REPO, n, "bug");
    // A fix_waiting route makes the reconcile read the events while the fix label is on
    // (GET /repos/{owner}/{repo}/issues/{n}/events), so that call is checked too.
    let config = format!(
        "approvals:\n  required: 1\nnotifications:\n  targets: {{status: {{github: {{repository: {REPO}, issue: {n}}}}}}}\n  \
         routes: [{{events: [fix_waiting], targets: [status]}}]\n"
    );
    env.hub.set_file_content(REPO, "main", ".github/plasma.yml", &config);
    let limit = Duration::from_secs(60);

    assert_eq!(env.deliver("pull_request", "p-1", &pr_event("opened", n)).await, 202);
    env.settle(limit).await;
    env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "CHANGES_REQUESTED"));
    assert_eq!(env.deliver("pull_request_review", "p-2", &review_event(n)).await, 202);
    env.settle(limit).await;
    assert!(env.labels(n).contains(&"status:needs-cursor-fix".to_string()), "{:?}", env.labels(n));
    env.hub.add_review(REPO, n, FakeReview::new(CODERABBIT, "APPROVED"));
    env.hub.add_review(REPO, n, FakeReview::new("alice", "APPROVED"));
    let sha = env.hub.head_sha(REPO, n).unwrap();
    for name in ["lint", "test", "security-scan"] {
        env.hub.add_check_run(REPO, &sha, FakeCheckRun::completed(name, "success"));
    }
    env.hub.add_status(REPO, &sha, FakeStatus::new("CodeRabbit", "success"));
    assert_eq!(env.deliver("pull_request_review", "p-3", &review_event(n)).await, 202);
    env.settle(limit).await;
    assert_eq!(env.labels(n), ["bug", "status:coderabbit-approved"]);
    let events = format!("GET /repos/{REPO}/issues/{n}/events 200");
    let calls: Vec<String> = env
        .hub
        .requests()
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    assert!(calls.contains(&events), "no `{events}`: {calls:#?}");
    assert_eq!(env.our_status(n).as_deref(), Some("success"));
    // The commit -> pull requests lookup of a status event: a status names a commit, not a pull
    // request, so the service must ask GitHub which pull requests carry it and reconcile those.
    // Another open pull request, on another head, must be left alone.
    let other = good_pull(&env.hub);
    assert_ne!(env.hub.head_sha(REPO, other).unwrap(), sha);
    let mut status = retarget(example("status", None), n);
    status["sha"] = serde_json::json!(sha);
    let seen = env.hub.requests().len();
    assert_eq!(env.deliver("status", "p-4", &status).await, 202);
    env.settle(limit).await;
    let after: Vec<String> = env.hub.requests()[seen..]
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    let lookup = format!("GET /repos/{REPO}/commits/{sha}/pulls 200");
    let at = after
        .iter()
        .position(|r| *r == lookup)
        .unwrap_or_else(|| panic!("no `{lookup}` for the status event: {after:#?}"));
    let read = |number: u64| format!("GET /repos/{REPO}/pulls/{number} ");
    assert!(
        after[at..].iter().any(|r| r.starts_with(&read(n))),
        "#{n}, named by the lookup, was not reconciled after it: {after:#?}"
    );
    assert!(
        !after.iter().any(|r| r.starts_with(&read(other))),
        "#{other}, not on {sha}, was reconciled: {after:#?}"
    );
    env.stop().await;

    let problems: Vec<String> =
        prism.logged_problems().into_iter().filter(|l| !is_undocumented_status(l)).collect();
    assert!(problems.is_empty(), "Prism reported violations:\n{}", problems.join("\n"));
    let report = strict_check(&env.hub.exchanges()).expect("strict check");
    assert!(report.checked > 20, "only {} answers checked", report.checked);
    assert!(
        report.problems.is_empty(),
        "answers breaking GitHub's schema:\n{}",
        report.problems.join("\n")
    );
    println!("Prism: {} answers strictly validated, 0 violations", report.checked);
}
