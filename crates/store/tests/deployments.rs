//! Deployment records on both databases: deployments and statuses kept exactly once whatever the
//! redeliveries, read back newest first with what each brought, and gate requests answered once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use plasma_store::{DeploymentChange, GateAnswer, GateRequest, NewDeployment, NewDeploymentStatus};
use support::shared_tests;
use support::{T0, TestDb};

const REPO: &str = "plasma/engine";

shared_tests!(
    deployments_and_statuses_are_recorded_once_and_read_newest_first,
    what_a_deployment_brought_is_replaced_not_added,
    a_gate_request_is_answered_once_and_a_dry_run_answers_nothing,
);

fn deployment(id: i64, env: &str, sha: &str, at: i64) -> NewDeployment {
    NewDeployment {
        repo: REPO.into(),
        id,
        environment: env.into(),
        sha: sha.into(),
        git_ref: "main".into(),
        creator: Some("octocat".into()),
        created_at: at,
    }
}

fn status(d: &NewDeployment, id: i64, state: &str, at: i64) -> NewDeploymentStatus {
    NewDeploymentStatus {
        repo: REPO.into(),
        deployment_id: d.id,
        id,
        state: state.into(),
        created_at: at,
        url: Some(format!("https://github.com/{REPO}/actions/runs/{id}")),
        description: None,
    }
}

async fn deployments_and_statuses_are_recorded_once_and_read_newest_first(db: &TestDb) {
    let store = db.open().await;
    let a = deployment(1, "production", "aaa", T0);
    let b = deployment(2, "staging", "bbb", T0 + 1_000);
    let c = deployment(3, "Production", "ccc", T0 + 2_000);
    for _ in 0..2 {
        store.record_deployment(&a).await.unwrap();
        // A status brings its deployment along (the status may arrive first).
        store.record_deployment_status(&b, &status(&b, 20, "success", T0 + 1_500)).await.unwrap();
        store.record_deployment_status(&c, &status(&c, 31, "success", T0 + 2_900)).await.unwrap();
        store
            .record_deployment_status(&c, &status(&c, 30, "in_progress", T0 + 2_100))
            .await
            .unwrap();
    }
    let all = store.deployments(REPO, None, None).await.unwrap();
    let ids: Vec<i64> = all.iter().map(|d| d.deployment.id).collect();
    assert_eq!(ids, vec![3, 2, 1]);
    assert_eq!(all[2].deployment, a);
    let states: Vec<&str> = all[0].statuses.iter().map(|s| s.state.as_str()).collect();
    assert_eq!(states, vec!["in_progress", "success"], "oldest first, each once");
    assert_eq!(all[0].statuses[1].created_at, T0 + 2_900);
    assert!(all[0].change.is_none());

    let production = store.deployments(REPO, Some("production"), None).await.unwrap();
    assert_eq!(production.iter().map(|d| d.deployment.id).collect::<Vec<_>>(), vec![3, 1]);
    let recent = store.deployments(REPO, None, Some(T0 + 1_000)).await.unwrap();
    assert_eq!(recent.len(), 2);
    assert!(store.deployments("other/repo", None, None).await.unwrap().is_empty());
}

async fn what_a_deployment_brought_is_replaced_not_added(db: &TestDb) {
    let store = db.open().await;
    let d = deployment(7, "production", "bbb", T0);
    store.record_deployment(&d).await.unwrap();
    let first = DeploymentChange {
        kind: "change".into(),
        previous_id: Some(6),
        commits: vec![("c1".into(), Some(T0 - 10)), ("c2".into(), None)],
        pulls: vec![3, 5],
    };
    store.set_deployment_change(REPO, 7, &first).await.unwrap();
    store.set_deployment_change(REPO, 7, &first).await.unwrap();
    let read = store.deployments(REPO, None, None).await.unwrap();
    assert_eq!(read[0].change.as_ref(), Some(&first));
    let rollback = DeploymentChange {
        kind: "rollback".into(),
        previous_id: Some(8),
        commits: vec![],
        pulls: vec![],
    };
    store.set_deployment_change(REPO, 7, &rollback).await.unwrap();
    let read = store.deployments(REPO, None, None).await.unwrap();
    assert_eq!(read[0].change.as_ref(), Some(&rollback));
}

async fn a_gate_request_is_answered_once_and_a_dry_run_answers_nothing(db: &TestDb) {
    let store = db.open().await;
    let req = |run_id, env: &str| GateRequest {
        repo: REPO.into(),
        run_id,
        environment: env.into(),
        deployment_id: 0,
        sha: "abc".into(),
        delivery_id: format!("d-{run_id}"),
    };
    assert!(store.record_gate_request(&req(1, "production")).await.unwrap());
    assert!(!store.record_gate_request(&req(1, "production")).await.unwrap(), "redelivery");
    assert!(store.record_gate_request(&req(2, "production")).await.unwrap());
    assert_eq!(
        store.unanswered_gate_requests(REPO, true).await.unwrap(),
        vec![req(1, "production"), req(2, "production")]
    );

    let dry = GateAnswer { decision: "rejected".into(), comment: "why".into(), dry_run: true };
    assert!(store.record_gate_answer(&req(1, "production"), &dry, T0).await.unwrap());
    assert_eq!(
        store.unanswered_gate_requests(REPO, true).await.unwrap().len(),
        2,
        "a dry run answers nothing"
    );

    assert_eq!(
        store.unanswered_gate_requests(REPO, false).await.unwrap(),
        vec![req(2, "production")],
        "a dry run decides each request once"
    );
    let live = GateAnswer { dry_run: false, ..dry };
    assert!(store.record_gate_answer(&req(1, "production"), &live, T0).await.unwrap());
    assert!(
        !store.record_gate_answer(&req(1, "production"), &live, T0).await.unwrap(),
        "answered once"
    );
    assert_eq!(
        store.unanswered_gate_requests(REPO, true).await.unwrap(),
        vec![req(2, "production")]
    );
    // A redelivery of an answered request is not asked again.
    assert!(!store.record_gate_request(&req(1, "production")).await.unwrap());
    assert_eq!(store.unanswered_gate_requests(REPO, true).await.unwrap().len(), 1);
}
