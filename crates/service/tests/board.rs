//! The project board end to end: signed webhooks -> `serve` -> the fake GitHub (REST and
//! GraphQL). An issue's card goes Backlog -> In Progress -> Review -> Done by its pull request's
//! events; a replay of every delivery writes nothing; a human's "Blocked" stays until the state
//! changes; a user-owned project is reported, not skipped; an option renamed between two events
//! is resolved again. With `--nocapture` it prints what each move cost (BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use plasma_fakehub::{FakeIssue, FakeProject, FakePull};
use support::*;

const SETTLE: Duration = Duration::from_secs(20);
const ORG: &str = "plasma-engine";

/// The configuration changes the way a person changes it: a commit and its `push` webhook.
async fn config(env: &Env, text: &str) {
    env.push_file(REPO, ".github/plasma.yml", text).await;
}

fn issue(env: &Env) -> u64 {
    env.hub.add_issue(
        REPO,
        FakeIssue {
            title: "Bootstrap the gateway".into(),
            user: "alice".into(),
            state: "open".into(),
            labels: vec!["phase-0".into(), "gateway".into(), "needs-review".into()],
            ..FakeIssue::default()
        },
    )
}

fn pull_for(env: &Env, n: u64) -> u64 {
    env.hub.add_pull(
        REPO,
        FakePull {
            title: format!("[PE-{n}] Bootstrap the gateway"),
            head_ref: format!("gateway/PE-{n}-bootstrap"),
            draft: true,
            ..FakePull::default()
        },
    )
}

fn card(env: &Env, n: u64) -> Option<String> {
    env.hub.project_card(ORG, 3, REPO, n)
}

/// Delivers, waits, and returns (GraphQL calls, Projects mutations) it cost.
async fn step(env: &Env, event: &str, id: &str, payload: &serde_json::Value) -> (usize, u64) {
    env.hub.reset_requests();
    let before = env.hub.project_mutations();
    assert_eq!(env.deliver(event, id, payload).await, 202);
    env.settle(SETTLE).await;
    let graphql = env.hub.requests().iter().filter(|r| r.is_graphql()).count();
    (graphql, env.hub.project_mutations() - before)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_moves_through_the_board_by_its_pull_requests_events() {
    let mut env = Env::new("board-flow").await;
    config(&env, "board:\n  project: https://github.com/orgs/plasma-engine/projects/3\n").await;
    env.hub.add_project(FakeProject::org(ORG, 3));
    let n = issue(&env);
    env.start().await;
    let mut deliveries = Vec::new();

    let opened = retarget(example("issues", Some("opened")), n);
    let cold = step(&env, "issues", "b-1", &opened).await;
    deliveries.push(("issues", opened));
    assert_eq!(card(&env, n).as_deref(), Some("Backlog"));
    assert_eq!(cold.1, 2, "cold: the card added, then its Status set");
    println!("cold move (Backlog): {} GraphQL calls, {} of them mutations", cold.0, cold.1);

    let pr = pull_for(&env, n);
    let ev = pr_event("opened", pr);
    let warm = step(&env, "pull_request", "b-2", &ev).await;
    deliveries.push(("pull_request", ev));
    assert_eq!(card(&env, n).as_deref(), Some("In Progress"));
    assert_eq!(warm.1, 1, "warm: the Status alone");
    println!("warm move (In Progress): {} GraphQL calls, {} of them mutations", warm.0, warm.1);

    env.hub.set_draft(REPO, pr, false);
    env.hub.set_review_requests(REPO, pr, 1);
    let ev = pr_event("ready_for_review", pr);
    step(&env, "pull_request", "b-3", &ev).await;
    deliveries.push(("pull_request", ev));
    assert_eq!(card(&env, n).as_deref(), Some("Review"));

    env.hub.merge_pull(REPO, pr, &"a".repeat(40));
    let ev = pr_event("closed", pr);
    step(&env, "pull_request", "b-4", &ev).await;
    deliveries.push(("pull_request", ev));
    assert_eq!(card(&env, n).as_deref(), Some("Done"));

    // Every delivery again (GitHub's redelivery has a new id): the card stays, nothing written.
    let before = env.hub.project_mutations();
    for (i, (event, payload)) in deliveries.iter().enumerate() {
        assert_eq!(env.deliver(event, &format!("replay-{i}"), payload).await, 202);
    }
    env.settle(SETTLE).await;
    assert_eq!(env.hub.project_mutations(), before, "a replay writes nothing");
    assert_eq!(card(&env, n).as_deref(), Some("Done"));

    // Reopened: back by the same function (the merged pull request no longer counts).
    env.hub.set_state(REPO, n, "open", false);
    env.hub.set_state_reason(REPO, n, Some("reopened"));
    step(&env, "issues", "b-5", &retarget(example("issues", Some("reopened")), n)).await;
    assert_eq!(card(&env, n).as_deref(), Some("Backlog"));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_humans_blocked_move_is_respected_until_the_state_changes() {
    let mut env = Env::new("board-blocked").await;
    config(&env, "board: {project: plasma-engine/3}\n").await;
    env.hub.add_project(FakeProject::org(ORG, 3));
    let n = issue(&env);
    let pr = pull_for(&env, n);
    env.start().await;
    step(&env, "pull_request", "k-1", &pr_event("opened", pr)).await;
    assert_eq!(card(&env, n).as_deref(), Some("In Progress"));

    env.hub.move_project_card(ORG, 3, REPO, n, "Blocked");
    let (_, writes) =
        step(&env, "issues", "k-2", &retarget(example("issues", Some("labeled")), n)).await;
    assert_eq!((card(&env, n).as_deref(), writes), (Some("Blocked"), 0));
    let (_, writes) = step(&env, "pull_request", "k-3", &pr_event("labeled", pr)).await;
    assert_eq!((card(&env, n).as_deref(), writes), (Some("Blocked"), 0), "same state: left there");

    env.hub.set_draft(REPO, pr, false);
    env.hub.set_review_requests(REPO, pr, 2);
    step(&env, "pull_request", "k-4", &pr_event("ready_for_review", pr)).await;
    assert_eq!(card(&env, n).as_deref(), Some("Review"), "the state changed: back in the flow");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_owned_project_is_reported_not_skipped() {
    let mut env = Env::new("board-user").await;
    config(&env, "board: {project: 'https://github.com/users/alice/projects/4'}\n").await;
    let mut p = FakeProject::org("alice", 4);
    p.user_owned = true;
    p.visible_to_app = false;
    env.hub.add_project(p);
    let n = issue(&env);
    env.start().await;
    let (_, writes) =
        step(&env, "issues", "u-1", &retarget(example("issues", Some("opened")), n)).await;
    assert_eq!(writes, 0);
    let logged = env.app().store.actions(&format!("board:{REPO}#{n}"), 10).await.unwrap();
    let problem = logged.iter().find(|a| a.kind == "board-problem").expect("the problem is logged");
    let text = problem.after.to_string();
    assert!(text.contains("not visible") && text.contains("orgs/ORG/projects/N"), "{text}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_renamed_or_recreated_between_two_events_are_resolved_again() {
    let mut env = Env::new("board-rename").await;
    config(&env, "board: {project: plasma-engine/3}\n").await;
    env.hub.add_project(FakeProject::org(ORG, 3));
    let n = issue(&env);
    let pr = pull_for(&env, n);
    env.start().await;
    step(&env, "pull_request", "o-1", &pr_event("opened", pr)).await;
    assert_eq!(card(&env, n).as_deref(), Some("In Progress"));

    // Renamed on the board and in the configuration: the cached names lack it, so resolved again.
    env.hub.rename_project_option(ORG, 3, "Review", "In review");
    config(&env, "board: {project: plasma-engine/3, columns: {review: In review}}\n").await;
    env.hub.set_draft(REPO, pr, false);
    env.hub.set_review_requests(REPO, pr, 1);
    step(&env, "pull_request", "o-2", &pr_event("ready_for_review", pr)).await;
    assert_eq!(card(&env, n).as_deref(), Some("In review"));

    // Deleted and recreated (a new id): the cached id is refused, resolved again, set.
    env.hub.recreate_project_option(ORG, 3, "Done");
    env.hub.merge_pull(REPO, pr, &"b".repeat(40));
    step(&env, "pull_request", "o-3", &pr_event("closed", pr)).await;
    assert_eq!(card(&env, n).as_deref(), Some("Done"));

    // A column the project lacks is a configuration problem naming the options it has.
    config(
        &env,
        "board: {project: plasma-engine/3, columns: {review: In review, done: Shipped}}\n",
    )
    .await;
    step(&env, "issues", "o-4", &retarget(example("issues", Some("labeled")), n)).await;
    let logged = env.app().store.actions(&format!("board:{REPO}#{n}"), 10).await.unwrap();
    let text: String = logged.iter().map(|a| a.after.to_string()).collect();
    assert!(
        text.contains("Shipped") && text.contains("Backlog, In Progress, In review, Blocked, Done"),
        "{text}"
    );
    env.stop().await;
}
