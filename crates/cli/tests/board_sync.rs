//! `plasma-ops board sync OWNER/REPO` against the fake GitHub: a dry run prints the moves and
//! writes nothing, a sync makes them, a second sync writes nothing, a person's column is left
//! alone, and a project the token cannot see is reported with what to change (exit 1).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::process::Command;

use plasma_fakehub::{FakeHub, FakeIssue, FakeProject, FakePull};
use serde_json::{Value, json};

const REPO: &str = "plasma-engine/plasma-engine-gateway";
const ORG: &str = "plasma-engine";
const TOKEN: &str = "ghp_board_sync_token_never_printed";

fn sync(hub: &FakeHub, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .args(["board", "sync", REPO])
        .args(args)
        .env("PLASMA_OPS_GITHUB_TOKEN", TOKEN)
        .env("PLASMA_OPS_GITHUB_API_URL", hub.url())
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN), "the token leaked");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

fn json_of(hub: &FakeHub, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = sync(hub, &all);
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (code, v)
}

fn issue(hub: &FakeHub, title: &str) -> u64 {
    hub.add_issue(REPO, FakeIssue { title: title.into(), ..FakeIssue::default() })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_writes_nothing_a_sync_moves_every_card_and_a_second_sync_writes_nothing() {
    let hub = FakeHub::start().await.unwrap();
    hub.set_file_content(REPO, "main", ".github/plasma.yml", "board: {project: plasma-engine/3}\n");
    hub.add_project(FakeProject::org(ORG, 3));
    let plain = issue(&hub, "Plain");
    let worked = issue(&hub, "Worked on");
    let blocked = issue(&hub, "Blocked by a person");
    let closed = issue(&hub, "Closed already");
    hub.set_state(REPO, closed, "closed", false);
    hub.add_pull(
        REPO,
        FakePull {
            title: format!("[PE-{worked}] Worked on"),
            head_ref: format!("gateway/PE-{worked}-work"),
            draft: true,
            ..FakePull::default()
        },
    );
    hub.move_project_card(ORG, 3, REPO, blocked, "Blocked");

    let (code, dry) = json_of(&hub, &["--dry-run"]);
    assert_eq!(code, 0, "{dry}");
    assert_eq!(hub.project_mutations(), 0, "a dry run writes nothing");
    assert_eq!(hub.project_card(ORG, 3, REPO, plain), None);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["open_issues"], 3, "the closed issue is not listed");
    assert_eq!(
        dry["moves"],
        json!([
            {"number": plain, "from": null, "to": "Backlog"},
            {"number": worked, "from": null, "to": "In Progress"},
        ])
    );
    assert_eq!(dry["left"], json!([{"number": blocked, "column": "Blocked"}]));
    assert_eq!(dry["project"], "plasma-engine/3");
    let (_, text, _) = sync(&hub, &["--dry-run"]);
    assert!(text.contains(&format!("{REPO}#{plain}: would move (no card) -> Backlog\n")), "{text}");
    assert!(text.contains("(dry run: nothing written)"), "{text}");
    assert_eq!(hub.project_mutations(), 0);

    let (code, done) = json_of(&hub, &[]);
    assert_eq!(code, 0, "{done}");
    assert_eq!(done["moves"], dry["moves"], "the sync makes the moves the dry run planned");
    assert_eq!(hub.project_mutations(), 4, "two cards added, two Statuses set");
    assert_eq!(hub.project_card(ORG, 3, REPO, plain).as_deref(), Some("Backlog"));
    assert_eq!(hub.project_card(ORG, 3, REPO, worked).as_deref(), Some("In Progress"));
    assert_eq!(hub.project_card(ORG, 3, REPO, blocked).as_deref(), Some("Blocked"));

    let (code, again) = json_of(&hub, &[]);
    assert_eq!(code, 0);
    assert_eq!(again["moves"], json!([]), "{again}");
    assert_eq!(again["unchanged"], 2);
    assert_eq!(hub.project_mutations(), 4, "a second sync writes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_project_the_token_cannot_see_is_reported_with_what_to_change() {
    let hub = FakeHub::start().await.unwrap();
    hub.set_file_content(
        REPO,
        "main",
        ".github/plasma.yml",
        "board: {project: 'https://github.com/users/alice/projects/4'}\n",
    );
    let mut p = FakeProject::org("alice", 4);
    p.user_owned = true;
    p.visible_to_app = false;
    hub.add_project(p);
    issue(&hub, "Plain");
    let (code, v) = json_of(&hub, &[]);
    assert_eq!(code, 1, "{v}");
    let problem = v["problems"][0]["problem"].as_str().unwrap();
    assert!(problem.contains("not visible") && problem.contains("orgs/ORG/projects/N"), "{v}");
    assert_eq!(v["problems"][0]["number"], Value::Null);
    assert_eq!(hub.project_mutations(), 0);

    // No board configured: a usage error that says which key to set.
    hub.set_file_content(REPO, "main", ".github/plasma.yml", "board: {}\n");
    let (code, _, stderr) = sync(&hub, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("board.project"), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .args(["board", "sync", "not-a-repo"])
        .env("PLASMA_OPS_GITHUB_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OWNER/REPO"));
}
