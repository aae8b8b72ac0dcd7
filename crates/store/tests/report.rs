//! The weekly report's input on both databases: pull requests, reviews, labels, board moves and
//! tags from the deliveries' payloads (with GitHub's times, not the arrival time), incidents,
//! deployments with their outcome and pull requests, and waiting pull requests; the same input
//! after the deliveries are harvested and pruned; the scope keeps other repositories out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use plasma_report::{Reviewer, Scope};
use plasma_store::{
    DeploymentChange, IncidentRow, NewDelivery, NewDeployment, NewDeploymentStatus, PrVerdictRow,
    Prunable, Store,
};
use serde_json::json;
use support::shared_tests;
use support::{T0, TestDb};

const REPO: &str = "plasma/engine";
const HOUR: i64 = 3_600_000;

shared_tests!(the_input_comes_from_what_the_service_recorded);

/// RFC 3339 in UTC, as GitHub writes its timestamps.
fn iso(ms: i64) -> String {
    let secs = ms / 1000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn delivery(id: &str, event: &str, repo: Option<&str>, body: serde_json::Value) -> NewDelivery {
    NewDelivery {
        id: id.into(),
        event: event.into(),
        action: body["action"].as_str().map(String::from),
        repository: repo.map(String::from),
        installation: Some(1),
        // Arrival two days after GitHub's time: the report must not use it.
        received_at: T0 + 48 * HOUR,
        body: serde_json::to_vec(&body).unwrap(),
    }
}

fn pr(repo: &str, number: u64, action: &str, updated: i64) -> serde_json::Value {
    json!({
        "action": action,
        "repository": {"full_name": repo},
        "pull_request": {"number": number, "title": format!("change {number}"),
            "user": {"login": "alice"}, "head": {"ref": format!("b{number}")},
            "created_at": iso(T0), "updated_at": iso(updated), "merged_at": null, "closed_at": null}
    })
}

async fn record_all(store: &dyn Store) {
    let mut labeled = pr(REPO, 1, "labeled", T0 + HOUR);
    labeled["label"] = json!({"name": "status:needs-cursor-fix"});
    let mut merged = pr(REPO, 1, "closed", T0 + 5 * HOUR);
    merged["pull_request"]["merged_at"] = json!(iso(T0 + 5 * HOUR));
    merged["pull_request"]["closed_at"] = json!(iso(T0 + 5 * HOUR));
    let review = json!({
        "action": "submitted", "repository": {"full_name": REPO},
        "pull_request": {"number": 1},
        "review": {"user": {"login": "bob", "type": "User"}, "state": "APPROVED",
                   "submitted_at": iso(T0 + 2 * HOUR)}
    });
    let moved = json!({
        "action": "edited", "organization": {"login": "plasma"},
        "changes": {"field_value": {"field_type": "single_select", "field_node_id": "F",
                    "to": {"id": "o", "name": "In Progress"}}},
        "projects_v2_item": {"node_id": "PVTI_1", "updated_at": iso(T0 + 3 * HOUR)}
    });
    let release = json!({"action": "published", "repository": {"full_name": REPO},
                         "release": {"tag_name": "v1.0.0", "published_at": iso(T0 + 4 * HOUR)}});
    let deliveries = [
        delivery("d1", "pull_request", Some(REPO), pr(REPO, 1, "opened", T0)),
        delivery("d2", "pull_request", Some(REPO), labeled),
        delivery("d3", "pull_request_review", Some(REPO), review),
        delivery("d4", "projects_v2_item", None, moved),
        delivery("d5", "release", Some(REPO), release),
        delivery("d6", "pull_request", Some(REPO), merged),
        delivery("d7", "pull_request", Some("elsewhere/app"), pr("elsewhere/app", 9, "opened", T0)),
        delivery("d8", "issues", Some(REPO), json!({"action": "opened"})),
    ];
    for d in &deliveries {
        store.record_delivery(d, &[], d.received_at).await.unwrap();
    }
    let incident = IncidentRow {
        repo: REPO.into(),
        number: 50,
        title: "outage".into(),
        severity: None,
        state: "resolved".into(),
        opened_at: T0 + 7 * HOUR,
        acknowledged_at: Some(T0 + 8 * HOUR),
        resolved_at: Some(T0 + 9 * HOUR),
        ack_deadline: T0 + 8 * HOUR,
        deadline_checked: true,
        postmortem: None,
    };
    store.record_incident(&incident, &[], T0 + 9 * HOUR).await.unwrap();
    let d = NewDeployment {
        repo: REPO.into(),
        id: 70,
        environment: "prod-eu".into(),
        sha: "a".repeat(40),
        git_ref: "main".into(),
        creator: None,
        created_at: T0 + 5 * HOUR,
    };
    let ok = NewDeploymentStatus {
        repo: REPO.into(),
        deployment_id: 70,
        id: 700,
        state: "success".into(),
        created_at: T0 + 6 * HOUR,
        url: None,
        description: None,
    };
    store.record_deployment_status(&d, &ok).await.unwrap();
    let change = DeploymentChange {
        kind: "change".into(),
        previous_id: None,
        commits: vec![],
        pulls: vec![1],
    };
    store.set_deployment_change(REPO, 70, &change).await.unwrap();
    let staging = NewDeployment { id: 71, environment: "staging".into(), ..d.clone() };
    let failed = NewDeploymentStatus { deployment_id: 71, id: 710, state: "failure".into(), ..ok };
    store.record_deployment_status(&staging, &failed).await.unwrap();
    let verdict = PrVerdictRow {
        job_key: format!("{REPO}#2"),
        repository: REPO.into(),
        number: 2,
        title: "waiting one".into(),
        author: "carol".into(),
        head_sha: "b".into(),
        open: true,
        state: "needs_review".into(),
        first_blocker: Some("needs a human review".into()),
        findings: json!([]),
        agent_labels: vec![],
        summary: String::new(),
        last_event_at: None,
        dry_run: false,
        updated_at: T0 + HOUR,
        first_seen_at: T0 + HOUR,
    };
    store.record_reconcile(&verdict.job_key, "b", &[], None, Some(&verdict), T0).await.unwrap();
}

async fn the_input_comes_from_what_the_service_recorded(db: &TestDb) {
    let store = db.open().await;
    record_all(store.as_ref()).await;
    let scope = Scope::Repo(REPO.into());
    let production = ["production".to_string()];
    let input = store.report_input(&scope, T0 - HOUR, &production).await.unwrap();

    assert_eq!(input.pulls.len(), 1, "the other repository is out of scope");
    let p = &input.pulls[0];
    assert_eq!((p.number, p.opened_at, p.merged_at), (1, Some(T0), Some(T0 + 5 * HOUR)));
    assert_eq!(p.reviews.len(), 1);
    assert_eq!((p.reviews[0].reviewer, p.reviews[0].at), (Reviewer::Human, T0 + 2 * HOUR));
    assert_eq!(p.labels.len(), 1);
    assert_eq!(p.labels[0].at, T0 + HOUR, "GitHub's time, not the arrival");
    let board = input.board.as_ref().expect("a board move was recorded");
    assert_eq!((board[0].column.as_str(), board[0].at), ("In Progress", T0 + 3 * HOUR));
    assert_eq!(input.tags.len(), 1);
    assert_eq!(input.tags[0].at, T0 + 4 * HOUR);
    assert!(input.incidents_recorded);
    assert_eq!(input.incidents.len(), 1);
    assert_eq!(input.incidents[0].resolved_at, Some(T0 + 9 * HOUR));
    assert!(!input.incidents[0].postmortem);
    assert_eq!(input.deployments.len(), 2);
    let prod = &input.deployments[0];
    assert!(prod.production, "its change was recorded, so it is production whatever its name");
    assert_eq!((prod.succeeded_at, prod.pulls.clone()), (Some(T0 + 6 * HOUR), vec![1]));
    let stage = &input.deployments[1];
    assert!(!stage.production && stage.failed && stage.succeeded_at.is_none());
    assert_eq!(input.waiting.len(), 1);
    assert_eq!(input.waiting[0].blocker, "needs a human review");
    assert_eq!(input.waiting[0].since, T0 + HOUR, "first seen, as its opening is not recorded");

    // Another organisation's scope sees none of it.
    let other =
        store.report_input(&Scope::Org("elsewhere".into()), T0 - HOUR, &production).await.unwrap();
    assert_eq!(other.pulls.len(), 1);
    assert!(other.board.is_none() && other.incidents.is_empty() && !other.incidents_recorded);

    // Harvest, then prune every delivery: the input is the same.
    let n = store.harvest_report_facts(T0 + 100 * HOUR, 100).await.unwrap();
    assert_eq!(n, 7, "every report event, not the `issues` one");
    assert_eq!(store.harvest_report_facts(T0 + 100 * HOUR, 100).await.unwrap(), 0, "once");
    let ids: Vec<String> = (1..=8).map(|i| format!("d{i}")).collect();
    store.mark_deliveries_processed(&ids, "applied", T0 + 49 * HOUR).await.unwrap();
    let pruned = store.prune_batch(Prunable::Deliveries, T0 + 100 * HOUR, 100).await.unwrap();
    assert_eq!(pruned, 8);
    let after = store.report_input(&scope, T0 - HOUR, &production).await.unwrap();
    assert_eq!(after, input);
    // A window after the facts reads none of them.
    let later = store.report_input(&scope, T0 + 50 * HOUR, &production).await.unwrap();
    assert!(later.pulls.is_empty() && later.tags.is_empty() && later.deployments.is_empty());
}
