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

/// The issue's sticky summary, if any.
fn summary(env: &Env, n: u64) -> Option<String> {
    env.hub
        .comments_of(REPO, n)
        .into_iter()
        .find(|c| c.body.contains("<!-- plasma-ops:summary -->"))
        .map(|c| c.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_problem_is_on_the_issues_summary_until_the_board_is_fixed() {
    let mut env = Env::new("board-summary").await;
    config(&env, "board: {project: 'https://github.com/users/alice/projects/4'}\n").await;
    let mut p = FakeProject::org("alice", 4);
    p.user_owned = true;
    p.visible_to_app = false;
    env.hub.add_project(p);
    env.hub.add_project(FakeProject::org(ORG, 3));
    let n = issue(&env);
    let pr = pull_for(&env, n);

    // Only a pull request's event: the card job finds the problem and has the issue evaluated
    // again, so the summary says it, with what to change.
    step(&env, "pull_request", "s-1", &pr_event("opened", pr)).await;
    let text = summary(&env, n).expect("the issue has a summary");
    assert!(text.contains("project-board"), "{text}");
    assert!(text.contains("not visible"), "{text}");
    assert!(text.contains("https://github.com/orgs/ORG/projects/N"), "what to change: {text}");
    assert_eq!(card(&env, n), None);

    // A column the project lacks: the summary names the options the field has.
    config(&env, "board: {project: plasma-engine/3, columns: {done: Shipped}}\n").await;
    step(&env, "issues", "s-2", &retarget(example("issues", Some("edited")), n)).await;
    let text = summary(&env, n).expect("the summary stays");
    assert!(!text.contains("not visible"), "the old problem went: {text}");
    assert!(
        text.contains("Shipped") && text.contains("Backlog, In Progress, Review, Done, Blocked")
    );

    // Fixed: the next card move takes the finding off the summary (level-triggered).
    config(&env, "board: {project: plasma-engine/3}\n").await;
    step(&env, "pull_request", "s-3", &pr_event("labeled", pr)).await;
    assert_eq!(card(&env, n).as_deref(), Some("In Progress"));
    let text = summary(&env, n).unwrap_or_default();
    assert!(!text.contains("project-board") && !text.contains("Shipped"), "{text}");
    assert_eq!(env.sticky_comments(n), 1, "one summary, edited in place");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_keyed_only_in_its_branch_moves_the_card_from_both_sides() {
    let mut env = Env::new("board-branch").await;
    config(&env, "board: {project: plasma-engine/3}\n").await;
    env.hub.add_project(FakeProject::org(ORG, 3));
    let n = issue(&env);
    // No key in the title: title search cannot find it. Its body links the issue (a cross-
    // reference on the issue's timeline), as the process's pull request template asks.
    let pr = env.hub.add_pull(
        REPO,
        FakePull {
            title: "Bootstrap the gateway".into(),
            head_ref: format!("gateway/PE-{n}-bootstrap"),
            body: Some(format!("Closes #{n}")),
            draft: true,
            ..FakePull::default()
        },
    );
    // One keyed in its branch that does not link the issue: found from its own events only.
    let quiet = env.hub.add_pull(
        REPO,
        FakePull {
            title: "Gateway follow-up".into(),
            head_ref: format!("gateway/PE-{n}-follow-up"),
            body: None,
            draft: false,
            ..FakePull::default()
        },
    );
    step(&env, "pull_request", "h-1", &pr_event("opened", pr)).await;
    assert_eq!(card(&env, n).as_deref(), Some("In Progress"));
    // The issue's side finds it through the cross-reference: nothing moves back to Backlog.
    let (_, writes) =
        step(&env, "issues", "h-2", &retarget(example("issues", Some("labeled")), n)).await;
    assert_eq!((card(&env, n).as_deref(), writes), (Some("In Progress"), 0));

    env.hub.set_state(REPO, pr, "closed", false);
    env.hub.set_review_requests(REPO, quiet, 1);
    step(&env, "pull_request", "h-3", &pr_event("review_requested", quiet)).await;
    assert_eq!(card(&env, n).as_deref(), Some("Review"), "the pull request's own event counts");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_puts_cards_no_webhook_told_us_about() {
    let mut env = Env::new("board-sweep").await;
    config(&env, "board: {project: plasma-engine/3}\n").await;
    env.hub.add_project(FakeProject::org(ORG, 3));
    let a = issue(&env);
    let b = issue(&env);
    let closed = issue(&env);
    env.hub.set_state(REPO, closed, "closed", false);
    let mut cfg = env.app().cfg.clone();
    cfg.repositories = vec![REPO.to_string()];
    let app = plasma_service::App::new(
        cfg,
        env.app().store.clone(),
        env.app().github.clone(),
        plasma_service::system_clock(),
    );
    let n = plasma_service::scheduler::sweep(&app).await.unwrap();
    assert_eq!(n, 2, "one card job per open issue, no pull request open");
    env.settle(SETTLE).await;
    assert_eq!(card(&env, a).as_deref(), Some("Backlog"));
    assert_eq!(card(&env, b).as_deref(), Some("Backlog"));
    assert_eq!(card(&env, closed), None, "a closed issue is not swept");
    // Healed: the next sweep's jobs write nothing.
    let before = env.hub.project_mutations();
    plasma_service::scheduler::sweep(&app).await.unwrap();
    env.settle(SETTLE).await;
    assert_eq!(env.hub.project_mutations(), before);
    env.stop().await;
}

/// The weekly report's status goes on the board as a Projects v2 status update, posted by the
/// replica that claims the week and by no other.
#[tokio::test]
async fn the_weekly_status_is_posted_on_the_board_once() {
    use plasma_service::weekly_report::{Turn, turn};
    let mut env = Env::new("board-weekly-status").await;
    env.hub.add_project(FakeProject::org(ORG, 3));
    let text = "board: {project: plasma-engine/3}\nreport: {weekly: {enabled: true, day: monday, time: '09:00'}}\n";
    let src = plasma_config::ConfigSource { name: ".github/plasma.yml", text };
    let config = plasma_policy::compile_policy(None, Some(src)).unwrap().config().clone();
    // Monday 2026-12-07 10:00 UTC: W49's report is due.
    let now = 1_796_637_600_000;
    let app = env.app();
    let first = turn(&app, ORG, REPO, &config, "replica-a", now).await;
    assert!(matches!(first, Turn::Posted { status: "ON_TRACK", .. }), "{first:?}");
    let updates = env.hub.project_status_updates(ORG, 3);
    assert_eq!(updates.len(), 1, "{updates:?}");
    let (status, body, start) = &updates[0];
    assert_eq!((status.as_str(), start.as_str()), ("ON_TRACK", "2026-11-30"));
    assert!(body.contains("Weekly report 2026-W49"), "{body}");
    assert!(body.contains("- Status: ON_TRACK"), "{body}");

    assert_eq!(turn(&app, ORG, REPO, &config, "replica-b", now + 60_000).await, Turn::Elsewhere);
    assert_eq!(env.hub.project_status_updates(ORG, 3).len(), 1, "posted once");
    env.stop().await;
}

/// A board the credentials cannot see does not lose the report: the notifications are written
/// and the status update's failure is logged with what to change.
#[tokio::test]
async fn an_invisible_board_does_not_stop_the_weekly_report() {
    use plasma_service::weekly_report::{Turn, post_status_update, turn};
    let mut env = Env::new("board-weekly-invisible").await;
    let text = "board: {project: 'https://github.com/users/alice/projects/4'}\nreport: {weekly: {enabled: true}}\n";
    let src = plasma_config::ConfigSource { name: ".github/plasma.yml", text };
    let config = plasma_policy::compile_policy(None, Some(src)).unwrap().config().clone();
    let now = 1_796_637_600_000;
    let app = env.app();
    assert!(matches!(turn(&app, ORG, REPO, &config, "replica-a", now).await, Turn::Posted { .. }));
    let tz = plasma_service::weekly_report::time_zone("UTC").unwrap();
    let week = "2026-W49".parse().unwrap();
    let report = plasma_service::weekly_report::load(
        app.store.as_ref(),
        plasma_report::Scope::Org(ORG.into()),
        week,
        &tz,
        "UTC",
        &[],
    )
    .await
    .unwrap();
    let err = post_status_update(&app, &config, REPO, &report, "AT_RISK").await.unwrap_err();
    assert!(err.contains("not visible") && err.contains("Projects: read and write"), "{err}");
    env.stop().await;
}
