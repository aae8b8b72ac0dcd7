//! The deployment calls against the fake GitHub: a comparison of two full SHAs is asked once and
//! then answered from the cache (a branch name is asked every time), long comparisons are read
//! page by page, and the protection-rule answer arrives as GitHub documents it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use plasma_fakehub::{FakeCommit, FakeHub};
use plasma_github::{ClientConfig, GitHubClient};

const REPO: &str = "o/r";

fn sha(i: u32) -> String {
    format!("{i:040x}")
}

async fn hub_with_history(n: u32) -> (FakeHub, GitHubClient) {
    let hub = FakeHub::start().await.unwrap();
    for i in 1..=n {
        let parents = if i == 1 { vec![] } else { vec![sha(i - 1)] };
        hub.add_repo_commit(REPO, FakeCommit { parents, ..FakeCommit::verified(&sha(i), "x") });
    }
    let gh = GitHubClient::new(ClientConfig::with_token("ghp_test").base_url(hub.url())).unwrap();
    (hub, gh)
}

fn compares(hub: &FakeHub) -> usize {
    hub.requests().iter().filter(|r| r.path.contains("/compare/")).count()
}

#[tokio::test]
async fn comparisons_of_full_shas_are_cached_and_paged() {
    let (hub, gh) = hub_with_history(130).await;
    let rc = gh.repo(None, REPO).unwrap();
    let c = rc.compare(&sha(1), &sha(130)).await.unwrap();
    assert_eq!((c.status.as_str(), c.ahead_by, c.total_commits), ("ahead", 129, 129));
    assert_eq!(c.commits.len(), 129, "both pages read");
    assert_eq!(c.commits.first().map(|c| c.sha.clone()), Some(sha(2)));
    assert!(c.commits[0].committed_at.is_some());
    assert_eq!(compares(&hub), 2, "two pages of 100");
    let again = rc.compare(&sha(1), &sha(130)).await.unwrap();
    assert_eq!(again, c);
    assert_eq!(compares(&hub), 2, "answered from the cache");

    let back = rc.compare(&sha(5), &sha(3)).await.unwrap();
    assert_eq!((back.status.as_str(), back.behind_by, back.commits.len()), ("behind", 2, 0));
    // A name that can move is asked each time.
    hub.reset_requests();
    rc.compare(&sha(3), "main").await.ok();
    rc.compare(&sha(3), "main").await.ok();
    assert_eq!(compares(&hub), 2);
    let missing = rc.compare(&sha(1), &sha(999)).await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}

#[tokio::test]
async fn the_gate_answer_is_posted_as_documented() {
    let (hub, gh) = hub_with_history(1).await;
    let rc = gh.repo(None, REPO).unwrap();
    rc.review_protection_rule(77, "production", "rejected", "#4 did not pass").await.unwrap();
    let answers = hub.gate_answers();
    assert_eq!(answers.len(), 1);
    let a = &answers[0];
    assert_eq!(
        (a.run_id, a.environment.as_str(), a.state.as_deref()),
        (77, "production", Some("rejected"))
    );
    assert_eq!(a.comment.as_deref(), Some("#4 did not pass"));
}
