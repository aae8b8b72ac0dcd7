//! The `infra-approval` rule end to end: signed webhooks into the service, the service reading
//! the pull request, the team's members and CODEOWNERS from the fake GitHub through Stoplight
//! Prism (GitHub's OpenAPI description), and the verdict as the commit status and summary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use plasma_fakehub::prism::{is_undocumented_status, start_with_prism, strict_check};
use plasma_fakehub::{
    FakeCheckRun, FakeCommit, FakeFile, FakeHub, FakePull, FakeReview, FakeStatus,
};
use serde_json::{Value, json};
use support::*;

/// A second repository, judged with `approvers_from: codeowners`.
const INFRA_REPO: &str = "plasma-engine/plasma-engine-infra";
const MEMBERS: &str = "/orgs/plasma-engine/teams/infra/members";

/// A pull request that follows the process in everything but the infra approval: checks green,
/// CodeRabbit and a human (not in any team) approved.
fn terraform_pull(hub: &FakeHub, repo: &str, branch: &str, files: &[&str]) -> u64 {
    let n = hub.add_pull(
        repo,
        FakePull {
            title: "[PE-13] Network for the gateway".into(),
            body: Some(
                "- [x] Tests run\n- [x] Lint pass\n- [x] Docs updated\n- [x] ADR impact: none\n"
                    .into(),
            ),
            user: "bob".into(),
            head_ref: branch.into(),
            ..FakePull::default()
        },
    );
    hub.set_files(repo, n, files.iter().map(|f| FakeFile::modified(f)).collect());
    let head = hub.head_sha(repo, n).unwrap();
    let mut c = FakeCommit::verified(&head, "Add the gateway's network");
    c.parents = vec!["0".repeat(40)];
    hub.add_commit(repo, n, c);
    for name in ["lint", "test", "security-scan"] {
        hub.add_check_run(repo, &head, FakeCheckRun::completed(name, "success"));
    }
    hub.add_status(repo, &head, FakeStatus::new("CodeRabbit", "success"));
    hub.add_review(repo, n, FakeReview::new(CODERABBIT, "APPROVED"));
    hub.add_review(repo, n, FakeReview::new("alice", "APPROVED"));
    n
}

fn at(mut v: Value, repo: &str, number: u64) -> Value {
    let (owner, name) = repo.split_once('/').unwrap();
    v["repository"]["full_name"] = json!(repo);
    v["repository"]["name"] = json!(name);
    v["repository"]["owner"]["login"] = json!(owner);
    v["pull_request"]["number"] = json!(number);
    v["number"] = json!(number);
    v
}

fn status(hub: &FakeHub, repo: &str, n: u64) -> Option<String> {
    let sha = hub.head_sha(repo, n)?;
    hub.statuses_of(repo, &sha)
        .into_iter()
        .find(|s| s.context == "plasma-ops/process")
        .map(|s| s.state)
}

fn summary(hub: &FakeHub, repo: &str, n: u64) -> String {
    hub.comments_of(repo, n)
        .into_iter()
        .map(|c| c.body)
        .find(|b| b.contains("<!-- plasma-ops:summary -->"))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terraform_pull_request_needs_an_infra_approval() {
    let (hub, prism) =
        start_with_prism().await.expect("Prism (run tests/contract/install.sh first)");
    hub.record_exchanges(true);
    hub.add_repo(REPO);
    hub.add_repo(INFRA_REPO);
    hub.set_team_members("plasma-engine", "infra", &["carol", "dave"]);
    hub.set_team_members("plasma-engine", "platform", &["erin"]);
    let mut env = Env::with_hub("infra", hub, prism.url()).await;
    let limit = Duration::from_secs(60);
    let pr_opened = || example("pull_request", Some("opened"));
    let reviewed = || example("pull_request_review", Some("submitted"));

    // Team mode (the default): Terraform changed, only alice (no team) approved -> failing.
    let n = terraform_pull(
        &env.hub,
        REPO,
        "gateway/PE-13-network",
        &["app/main.py", "deploy/terraform/network.tf", "deploy/prod.tfvars"],
    );
    assert_eq!(env.deliver("pull_request", "i-1", &at(pr_opened(), REPO, n)).await, 202);
    env.settle(limit).await;
    let text = summary(&env.hub, REPO, n);
    assert_eq!(status(&env.hub, REPO, n).as_deref(), Some("failure"), "{text}");
    assert!(text.contains("infra-approval"), "{text}");
    assert!(text.contains("@plasma-engine/infra"), "{text}");
    assert!(text.contains("`deploy/prod.tfvars`, `deploy/terraform/network.tf`"), "{text}");
    let reads = |hub: &FakeHub| -> Vec<(u16, bool)> {
        hub.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path == MEMBERS)
            .map(|r| (r.status, r.if_none_match))
            .collect()
    };
    assert_eq!(reads(&env.hub), [(200, false)], "one read of the team");

    // carol, a member of the infra team, approves: the same pull request passes.
    env.hub.add_review(REPO, n, FakeReview::new("carol", "APPROVED"));
    assert_eq!(env.deliver("pull_request_review", "i-2", &at(reviewed(), REPO, n)).await, 202);
    env.settle(limit).await;
    let text = summary(&env.hub, REPO, n);
    assert_eq!(status(&env.hub, REPO, n).as_deref(), Some("success"), "{text}");
    assert!(!text.contains("infra-approval"), "{text}");
    // The unchanged team was answered from the ETag cache (a free 304).
    assert_eq!(reads(&env.hub), [(200, false), (304, true)]);

    // A pull request without infrastructure never asks for the team.
    env.hub.reset_requests();
    let plain = terraform_pull(&env.hub, REPO, "gateway/PE-13-docs", &["docs/README.md"]);
    assert_eq!(env.deliver("pull_request", "i-3", &at(pr_opened(), REPO, plain)).await, 202);
    env.settle(limit).await;
    assert_eq!(status(&env.hub, REPO, plain).as_deref(), Some("success"));
    assert!(reads(&env.hub).is_empty());

    // CODEOWNERS mode: the files' owners approve, files without an owner fall back to the team.
    env.hub.set_file_content(
        INFRA_REPO,
        "main",
        ".github/plasma.yml",
        "infra:\n  approvers_from: codeowners\n",
    );
    env.hub.set_file_content(
        INFRA_REPO,
        "main",
        ".github/CODEOWNERS",
        "* @plasma-engine/platform\n/charts/ @frank\n/modules/ ops@example.com\n",
    );
    let m = terraform_pull(
        &env.hub,
        INFRA_REPO,
        "infra/PE-13-network",
        &["network/main.tf", "charts/gateway/values.yaml"],
    );
    // carol is in the infra team, but owns neither file: both fail, each naming its owners.
    env.hub.add_review(INFRA_REPO, m, FakeReview::new("carol", "APPROVED"));
    assert_eq!(env.deliver("pull_request", "i-4", &at(pr_opened(), INFRA_REPO, m)).await, 202);
    env.settle(limit).await;
    let text = summary(&env.hub, INFRA_REPO, m);
    assert_eq!(status(&env.hub, INFRA_REPO, m).as_deref(), Some("failure"), "{text}");
    assert!(text.contains("`@frank`"), "{text}");
    assert!(text.contains("`@plasma-engine/platform`"), "{text}");
    // erin (platform) approves network/main.tf; frank approves the chart: passes.
    env.hub.add_review(INFRA_REPO, m, FakeReview::new("erin", "APPROVED"));
    env.hub.add_review(INFRA_REPO, m, FakeReview::new("frank", "APPROVED"));
    assert_eq!(
        env.deliver("pull_request_review", "i-5", &at(reviewed(), INFRA_REPO, m)).await,
        202
    );
    env.settle(limit).await;
    let text = summary(&env.hub, INFRA_REPO, m);
    assert_eq!(status(&env.hub, INFRA_REPO, m).as_deref(), Some("success"), "{text}");
    env.stop().await;

    // Every request and answer on the way, the team route included, matched GitHub's description.
    let problems: Vec<String> =
        prism.logged_problems().into_iter().filter(|l| !is_undocumented_status(l)).collect();
    assert!(problems.is_empty(), "Prism reported violations:\n{}", problems.join("\n"));
    let report = strict_check(&env.hub.exchanges()).expect("strict check");
    assert!(
        report.problems.is_empty(),
        "answers breaking GitHub's schema:\n{}",
        report.problems.join("\n")
    );
    let team_answers = env.hub.exchanges().iter().filter(|e| e.path.starts_with("/orgs/")).count();
    assert!(team_answers >= 2, "{team_answers} team answers checked");
}

/// A team GitHub will not list (missing, secret, no permission) fails the pull request with a
/// reason a person can act on, rather than passing or dead-lettering the job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_github_will_not_list_fails_with_what_to_do() {
    let mut env = Env::new("infra-404").await;
    let n = terraform_pull(&env.hub, REPO, "gateway/PE-13-network", &["main.tf"]);
    env.hub.add_review(REPO, n, FakeReview::new("carol", "APPROVED"));
    assert_eq!(env.deliver("pull_request", "j-1", &pr_event("opened", n)).await, 202);
    env.settle(Duration::from_secs(20)).await;
    let text = summary(&env.hub, REPO, n);
    assert_eq!(env.our_status(n).as_deref(), Some("failure"), "{text}");
    assert!(
        text.contains("did not list the members of team `@plasma-engine/infra` (404"),
        "{text}"
    );
    assert!(text.contains("Members: read"), "{text}");
    env.stop().await;
}
