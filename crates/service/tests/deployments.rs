//! Deployments end to end through `serve`: GitHub's published `deployment` and
//! `deployment_status` payloads (edited) and a `deployment_protection_rule` request, signed and
//! delivered; the fake GitHub answers comparisons and pull requests and records the gate's
//! answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use plasma_fakehub::{FakeCheckRun, FakeCommit, FakePull, FakeStatus};
use plasma_store::DeploymentRow;
use serde_json::{Value, json};
use support::*;

const SETTLE: Duration = Duration::from_secs(20);

fn sha(c: char) -> String {
    c.to_string().repeat(40)
}

/// main: c1 <- c2 (merges #A) <- c3 (merges #B) <- c4 (merges #C); #A and #B passed the process
/// on their heads (#B as a check run), #C failed it. Returns the three pull request numbers.
fn history(env: &Env) -> [u64; 3] {
    let mut parent: Option<String> = None;
    for c in ['1', '2', '3', '4'] {
        let mut commit = FakeCommit::verified(&sha(c), &format!("commit {c}"));
        commit.parents = parent.iter().cloned().collect();
        commit.date = Some(format!("2026-11-0{c}T10:00:00Z"));
        env.hub.add_repo_commit(REPO, commit);
        parent = Some(sha(c));
    }
    let mut numbers = [0; 3];
    for (i, (merge, head, process)) in
        [('2', 'a', "success"), ('3', 'b', "success"), ('4', 'c', "failure")]
            .into_iter()
            .enumerate()
    {
        let pull = FakePull {
            head_sha: sha(head),
            head_ref: format!("feature-{head}"),
            ..FakePull::titled(&format!("[PE-{i}] Change {head}"))
        };
        let n = env.hub.add_pull(REPO, pull);
        env.hub.merge_pull(REPO, n, &sha(merge));
        // #B's verdict is a check run of that name, the others' a commit status: both count.
        if head == 'b' {
            let run = FakeCheckRun::completed("plasma-ops/process", process);
            env.hub.add_check_run(REPO, &sha(head), run);
        } else {
            env.hub.add_status(REPO, &sha(head), FakeStatus::new("plasma-ops/process", process));
        }
        numbers[i] = n;
    }
    env.hub.set_file_content(
        REPO,
        "main",
        ".github/plasma.yml",
        "deployments:\n  gate: [production]\n",
    );
    numbers
}

fn deployment(id: u64, env_name: &str, commit: &str, at: &str) -> Value {
    let mut v = retarget(example("deployment", Some("created")), 0);
    v["deployment"]["id"] = json!(id);
    v["deployment"]["sha"] = json!(commit);
    v["deployment"]["ref"] = json!("main");
    v["deployment"]["environment"] = json!(env_name);
    v["deployment"]["created_at"] = json!(at);
    v
}

fn status(deployment: &Value, id: u64, state: &str, at: &str) -> Value {
    let mut v = retarget(example("deployment_status", Some("created")), 0);
    v["deployment"] = deployment["deployment"].clone();
    v["deployment_status"]["id"] = json!(id);
    v["deployment_status"]["state"] = json!(state);
    v["deployment_status"]["created_at"] = json!(at);
    v["deployment_status"]["target_url"] =
        json!(format!("https://github.com/{REPO}/actions/runs/{id}"));
    v
}

/// A protection-rule request for a deployment, made of the deployment example's parts.
fn gate_request(deployment: &Value, run_id: u64) -> Value {
    let d = &deployment["deployment"];
    json!({
        "action": "requested",
        "environment": d["environment"],
        "event": "push",
        "sha": d["sha"],
        "ref": "refs/heads/main",
        "deployment_callback_url": format!("https://api.github.com/repos/{REPO}/actions/runs/{run_id}/deployment_protection_rule"),
        "deployment": d,
        "pull_requests": [],
        "repository": deployment["repository"],
        "sender": deployment["sender"],
    })
}

/// Delivers a deployment and its statuses (`(id, state, time)`), each once.
async fn deploy(env: &Env, d: &Value, statuses: &[(u64, &str, &str)]) {
    let id = d["deployment"]["id"].as_u64().unwrap();
    assert_eq!(env.deliver("deployment", &format!("dep-{id}"), d).await, 202);
    for (sid, state, at) in statuses {
        let s = status(d, *sid, state, at);
        assert_eq!(env.deliver("deployment_status", &format!("st-{sid}"), &s).await, 202);
    }
}

fn by_id(rows: &[DeploymentRow], id: i64) -> &DeploymentRow {
    rows.iter().find(|r| r.deployment.id == id).unwrap_or_else(|| panic!("no deployment {id}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_rollbacks_and_the_production_gate() {
    let mut env = Env::new("deployments").await;
    let [a, b, c] = history(&env);
    let d1 = deployment(101, "production", &sha('2'), "2026-11-10T10:00:00Z");
    let d2 = deployment(102, "production", &sha('3'), "2026-11-11T10:00:00Z");
    let d3 = deployment(103, "production", &sha('3'), "2026-11-12T10:00:00Z");
    let d4 = deployment(104, "production", &sha('2'), "2026-11-13T10:00:00Z");
    let d5 = deployment(105, "production", &sha('4'), "2026-11-14T10:00:00Z");
    let d6 = deployment(106, "staging", &sha('4'), "2026-11-14T11:00:00Z");
    deploy(
        &env,
        &d1,
        &[(1, "in_progress", "2026-11-10T10:00:05Z"), (2, "success", "2026-11-10T10:03:00Z")],
    )
    .await;
    // The success of d2 arrives before its in_progress: GitHub's times decide, not arrival.
    deploy(
        &env,
        &d2,
        &[(4, "success", "2026-11-11T10:04:00Z"), (3, "in_progress", "2026-11-11T10:00:05Z")],
    )
    .await;
    // GitHub marks d1 inactive once d2 succeeded: superseded, still a success.
    assert_eq!(
        env.deliver(
            "deployment_status",
            "st-5",
            &status(&d1, 5, "inactive", "2026-11-11T10:04:01Z")
        )
        .await,
        202
    );
    deploy(&env, &d3, &[(6, "success", "2026-11-12T10:02:00Z")]).await;
    deploy(&env, &d4, &[(7, "success", "2026-11-13T10:01:00Z")]).await;
    deploy(
        &env,
        &d5,
        &[(8, "in_progress", "2026-11-14T10:00:05Z"), (9, "failure", "2026-11-14T10:06:00Z")],
    )
    .await;
    deploy(&env, &d6, &[(10, "success", "2026-11-14T11:02:00Z")]).await;
    // A redelivered status is acknowledged and changes nothing.
    assert_eq!(
        env.deliver(
            "deployment_status",
            "st-9",
            &status(&d5, 9, "failure", "2026-11-14T10:06:00Z")
        )
        .await,
        200
    );
    env.settle(SETTLE).await;

    let app = env.app();
    let rows = app.store.deployments(REPO, None, None).await.unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0].deployment.id, 106, "newest first");
    let kind = |id| by_id(&rows, id).change.as_ref().map(|c| c.kind.clone());
    let pulls = |id| by_id(&rows, id).change.as_ref().map(|c| c.pulls.clone()).unwrap_or_default();
    assert_eq!(kind(101).as_deref(), Some("first"));
    assert_eq!(kind(102).as_deref(), Some("change"));
    assert_eq!(pulls(102), vec![b], "d2 brought #B");
    let commits: Vec<String> =
        by_id(&rows, 102).change.as_ref().unwrap().commits.iter().map(|(s, _)| s.clone()).collect();
    assert_eq!(commits, vec![sha('3')]);
    assert_eq!(
        by_id(&rows, 102).change.as_ref().unwrap().commits[0].1,
        Some(1_793_700_000_000),
        "committer date of c3, 2026-11-03T10:00:00Z"
    );
    assert_eq!(kind(103).as_deref(), Some("redeploy"));
    assert_eq!(kind(104).as_deref(), Some("rollback"));
    assert_eq!(by_id(&rows, 104).change.as_ref().unwrap().previous_id, Some(103));
    assert_eq!(kind(105), None, "a failed deployment brought nothing");
    assert_eq!(kind(106), None, "staging is not production");
    let d2_statuses: Vec<(i64, &str)> =
        by_id(&rows, 102).statuses.iter().map(|s| (s.id, s.state.as_str())).collect();
    assert_eq!(d2_statuses, vec![(3, "in_progress"), (4, "success")]);
    assert!(env.hub.gate_answers().is_empty());

    // The gate: production is at c2 (the rollback). Deploying c3 brings #B, which passed.
    let g1 = deployment(201, "production", &sha('3'), "2026-11-15T10:00:00Z");
    assert_eq!(
        env.deliver("deployment_protection_rule", "gate-1", &gate_request(&g1, 501)).await,
        202
    );
    // Deploying c4 brings #B and #C; #C failed the process.
    let g2 = deployment(202, "production", &sha('4'), "2026-11-15T11:00:00Z");
    assert_eq!(
        env.deliver("deployment_protection_rule", "gate-2", &gate_request(&g2, 502)).await,
        202
    );
    env.settle(SETTLE).await;
    let answers = env.hub.gate_answers();
    assert_eq!(answers.len(), 2, "{answers:#?}");
    let approved = answers.iter().find(|x| x.run_id == 501).unwrap();
    assert_eq!(approved.state.as_deref(), Some("approved"));
    assert_eq!(approved.environment, "production");
    assert!(approved.comment.as_deref().unwrap().contains(&format!("#{b}")), "{approved:?}");
    let rejected = answers.iter().find(|x| x.run_id == 502).unwrap();
    assert_eq!(rejected.state.as_deref(), Some("rejected"));
    let why = rejected.comment.as_deref().unwrap();
    assert!(why.contains(&format!("#{c} did not pass `plasma-ops/process`")), "{why}");
    assert!(why.contains("(it is `failure`)") && !why.contains(&format!("#{b} ")), "{why}");
    assert!(!why.contains(&format!("#{a}")), "#{a} was deployed before: {why}");

    // Redelivered, by GitHub's redelivery (same id) or as a new delivery of the same request:
    // nothing is answered twice.
    assert_eq!(
        env.deliver("deployment_protection_rule", "gate-2", &gate_request(&g2, 502)).await,
        200
    );
    assert_eq!(
        env.deliver("deployment_protection_rule", "gate-2b", &gate_request(&g2, 502)).await,
        202
    );
    env.settle(SETTLE).await;
    assert_eq!(env.hub.gate_answers().len(), 2, "answered once");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_dry_run_the_gate_logs_its_decision_and_answers_nothing() {
    use plasma_github::{Auth, ClientConfig, GitHubClient, Secret};
    use plasma_service::{App, start, system_clock};

    let hub = plasma_fakehub::FakeHub::start().await.unwrap();
    hub.add_repo(REPO);
    let api_url = hub.url();
    let db = temp_db("gate-dry-run");
    let mut cfg = service_config(&db, &api_url);
    cfg.dry_run = true;
    let store = plasma_store::open(&cfg.database_url).await.unwrap();
    let gh = GitHubClient::new(
        ClientConfig::new(Auth::Token(Secret::new("test-installation-token")))
            .base_url(api_url.clone()),
    )
    .unwrap();
    let running = start(App::new(cfg, store, Some(gh), system_clock())).await.unwrap();
    let mut env = Env::around(hub, Some(running), db, api_url);
    let [_, _, c] = history(&env);

    let d1 = deployment(301, "production", &sha('2'), "2026-11-10T10:00:00Z");
    deploy(&env, &d1, &[(31, "success", "2026-11-10T10:03:00Z")]).await;
    // Production is gated and #C failed: rejected. Staging is not opted in: approved, unchecked.
    let prod = deployment(302, "production", &sha('4'), "2026-11-11T10:00:00Z");
    let staging = deployment(303, "staging", &sha('4'), "2026-11-11T10:00:00Z");
    assert_eq!(
        env.deliver("deployment_protection_rule", "dry-1", &gate_request(&prod, 601)).await,
        202
    );
    assert_eq!(
        env.deliver("deployment_protection_rule", "dry-2", &gate_request(&staging, 602)).await,
        202
    );
    env.settle(SETTLE).await;

    assert!(env.hub.gate_answers().is_empty(), "a dry run answers nothing");
    let app = env.app();
    let logged = app.store.actions(&format!("gate:{REPO}"), 10).await.unwrap();
    assert_eq!(logged.len(), 2, "{logged:#?}");
    assert!(logged.iter().all(|a| a.dry_run && a.kind == "deployment_gate"));
    let says = |run: i64| {
        logged.iter().find(|a| a.before["run_id"] == run).map(|a| a.after.clone()).unwrap()
    };
    assert_eq!(says(601)["state"], "rejected");
    let why = says(601)["comment"].as_str().unwrap().to_string();
    assert!(why.contains(&format!("#{c} did not pass")), "{why}");
    assert_eq!(says(602)["state"], "approved");
    assert!(says(602)["comment"].as_str().unwrap().contains("does not gate `staging`"));
    // Still waiting: a live run later answers them.
    assert_eq!(app.store.unanswered_gate_requests(REPO, true).await.unwrap().len(), 2);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_deployments_are_recorded_and_nothing_is_asked() {
    use plasma_service::{App, start, system_clock};

    let hub = plasma_fakehub::FakeHub::start().await.unwrap();
    hub.add_repo(REPO);
    let api_url = hub.url();
    let db = temp_db("deploy-no-credentials");
    let cfg = service_config(&db, &api_url);
    let store = plasma_store::open(&cfg.database_url).await.unwrap();
    let running = start(App::new(cfg, store, None, system_clock())).await.unwrap();
    let mut env = Env::around(hub, Some(running), db, api_url);

    let d = deployment(401, "production", &sha('2'), "2026-11-10T10:00:00Z");
    deploy(&env, &d, &[(41, "success", "2026-11-10T10:03:00Z")]).await;
    // A request whose callback URL names no run cannot be answered: recorded, not asked.
    let mut odd = gate_request(&d, 701);
    odd["deployment_callback_url"] = json!("https://api.github.com/somewhere/else");
    assert_eq!(env.deliver("deployment_protection_rule", "nc-1", &odd).await, 202);
    assert_eq!(
        env.deliver("deployment_protection_rule", "nc-2", &gate_request(&d, 702)).await,
        202
    );
    env.settle(SETTLE).await;

    let app = env.app();
    let rows = app.store.deployments(REPO, None, None).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].statuses.len(), 1);
    assert!(rows[0].change.is_none(), "the change needs GitHub's comparison");
    let waiting = app.store.unanswered_gate_requests(REPO, true).await.unwrap();
    assert_eq!(waiting.iter().map(|r| r.run_id).collect::<Vec<_>>(), vec![702]);
    assert!(env.hub.requests().is_empty(), "nothing asked of GitHub without credentials");
    env.stop().await;
}
