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
    env.hub.set_file_content(REPO, "main", ".github/plasma.yml", "approvals:\n  required: 1\n");
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
    assert_eq!(env.our_status(n).as_deref(), Some("success"));
    // The commit -> pull requests lookup of a status event.
    let status = retarget(example("status", None), n);
    let mut status = status;
    status["sha"] = serde_json::json!(sha);
    assert_eq!(env.deliver("status", "p-4", &status).await, 202);
    env.settle(limit).await;
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
