//! Benchmark (BENCHMARKS.md, "Project board"): `board sync` over 1,000 open issues against the
//! fake GitHub — the function `plasma-ops board sync` runs (`plasma_service::board::sync`, the
//! decision path of the `board:` jobs), twice: cold (no card yet; a new process, so nothing
//! resolved) and warm (every card already in its column; again a new cache, as a second
//! `plasma-ops board sync` would have). Prints, per run: GitHub calls (REST and GraphQL), GraphQL
//! points (`rateLimit.cost` of each query; a mutation counted at GitHub's minimum of 1), Projects
//! mutations and wall time.
//!
//! Load: 1,000 open issues (and 50 closed ones, not listed), a quarter with a pull request
//! carrying their key: drafts, ready with a reviewer requested, and merged, in turn.
//!
//! `cargo run --release -p plasma-service --example board_sync [ISSUES]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use plasma_fakehub::{FakeHub, FakeIssue, FakeProject, FakePull};
use plasma_github::{ClientConfig, GitHubClient, Secret};
use plasma_service::board::{self, BoardCache, CardResult};

const REPO: &str = "plasma-engine/plasma-engine-gateway";

#[tokio::main]
async fn main() {
    let issues: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let hub = FakeHub::start().await.unwrap();
    hub.set_file_content(REPO, "main", ".github/plasma.yml", "board: {project: plasma-engine/3}\n");
    hub.add_project(FakeProject::org("plasma-engine", 3));
    for i in 0..issues + 50 {
        let n =
            hub.add_issue(REPO, FakeIssue { title: format!("Issue {i}"), ..FakeIssue::default() });
        if i >= issues {
            hub.set_state(REPO, n, "closed", false);
            continue;
        }
        if i % 4 != 0 {
            continue;
        }
        let pr = hub.add_pull(
            REPO,
            FakePull {
                title: format!("[PE-{n}] Issue {i}"),
                head_ref: format!("gateway/PE-{n}-work"),
                body: None,
                draft: i % 12 == 0,
                ..FakePull::default()
            },
        );
        match i % 12 {
            4 => hub.set_review_requests(REPO, pr, 1),
            8 => hub.merge_pull(REPO, pr, &format!("{pr:040}")),
            _ => {}
        }
    }
    let client = GitHubClient::new(
        ClientConfig::with_token(Secret::new("ghp_bench".to_string())).base_url(hub.url()),
    )
    .unwrap();
    let policy = board::repo_policy(&client, None, REPO).await.unwrap();
    let rc = client.repo(None, REPO).unwrap();
    println!("board sync over {issues} open issues of {REPO} (fake GitHub)");
    println!(
        "| run | GitHub calls (REST + GraphQL) | GraphQL points | Projects mutations | moves | wall time |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for run in ["cold (no card yet)", "warm (second sync)"] {
        hub.reset_requests();
        let mutations = hub.project_mutations();
        let cache = BoardCache::default();
        let start = Instant::now();
        let report = board::sync(&cache, &rc, &policy, false, |_, _| {}).await.unwrap().unwrap();
        let wall = start.elapsed();
        let requests = hub.requests();
        let graphql = requests.iter().filter(|r| r.is_graphql()).count();
        let rest = requests.len() - graphql;
        let moves =
            report.cards.iter().filter(|(_, r)| matches!(r, CardResult::Moved { .. })).count();
        assert_eq!(report.open_issues as u64, issues);
        println!(
            "| {run} | {} ({rest} + {graphql}) | {graphql} | {} | {moves} | {:.2} s |",
            requests.len(),
            hub.project_mutations() - mutations,
            wall.as_secs_f64()
        );
    }
}
