//! Incidents and the incident event outbox, on SQLite and on PostgreSQL: the same figures
//! whatever order or however often an incident is recorded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use plasma_store::{IncidentRow, NewIncidentEvent};
use support::{T0, TestDb};

const MIN: i64 = 60_000;

macro_rules! shared_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::TestDb::new(crate::support::Backend::Sqlite, concat!("inc_", stringify!($name))).await;
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::TestDb::new(crate::support::Backend::Postgres, concat!("inc_", stringify!($name))).await;
                    super::$name(&db).await;
                }
            )*
        }
    };
}

shared_tests!(
    an_incident_is_recorded_and_refreshed,
    acknowledgement_only_moves_earlier,
    events_are_appended_once_per_fact,
    due_incidents_are_listed_until_checked,
    incidents_are_filtered_by_org_and_time,
);

fn row(repo: &str, number: i64) -> IncidentRow {
    IncidentRow {
        repo: repo.into(),
        number,
        title: "Gateway down".into(),
        severity: Some("sev1".into()),
        state: "open".into(),
        opened_at: T0,
        acknowledged_at: None,
        resolved_at: None,
        ack_deadline: T0 + 30 * MIN,
        deadline_checked: false,
        postmortem: None,
    }
}

fn event(kind: &str, at: i64) -> NewIncidentEvent {
    NewIncidentEvent {
        repo: "o/gateway".into(),
        number: 7,
        kind: kind.into(),
        at,
        body: format!("{{\"kind\":\"{kind}\"}}"),
    }
}

async fn an_incident_is_recorded_and_refreshed(db: &TestDb) {
    let store = db.open().await;
    store.record_incident(&row("o/gateway", 7), &[], T0).await.unwrap();
    let mut r = row("o/gateway", 7);
    r.state = "resolved".into();
    r.resolved_at = Some(T0 + 90 * MIN);
    r.postmortem = Some("https://github.com/o/docs/blob/main/docs/postmortems/a.md".into());
    store.record_incident(&r, &[], T0 + 100 * MIN).await.unwrap();
    store.record_incident(&r, &[], T0 + 200 * MIN).await.unwrap();
    let all = store.incidents(None, 0).await.unwrap();
    assert_eq!(all, vec![r]);
}

async fn acknowledgement_only_moves_earlier(db: &TestDb) {
    let store = db.open().await;
    let mut r = row("o/gateway", 7);
    r.acknowledged_at = Some(T0 + 10 * MIN);
    store.record_incident(&r, &[], T0).await.unwrap();
    // A later figure (a comment read after the assignment) and none at all leave it.
    r.acknowledged_at = Some(T0 + 20 * MIN);
    store.record_incident(&r, &[], T0).await.unwrap();
    r.acknowledged_at = None;
    store.record_incident(&r, &[], T0).await.unwrap();
    assert_eq!(store.incidents(None, 0).await.unwrap()[0].acknowledged_at, Some(T0 + 10 * MIN));
    r.acknowledged_at = Some(T0 + 5 * MIN);
    store.record_incident(&r, &[], T0).await.unwrap();
    assert_eq!(store.incidents(None, 0).await.unwrap()[0].acknowledged_at, Some(T0 + 5 * MIN));
}

async fn events_are_appended_once_per_fact(db: &TestDb) {
    let store = db.open().await;
    let r = row("o/gateway", 7);
    let first = store.record_incident(&r, &[event("opened", T0)], T0).await.unwrap();
    assert_eq!(first, vec![event("opened", T0)]);
    let again = store
        .record_incident(&r, &[event("opened", T0), event("unacknowledged", T0 + 30 * MIN)], T0)
        .await
        .unwrap();
    assert_eq!(again, vec![event("unacknowledged", T0 + 30 * MIN)]);
    let outbox = store.incident_events(0, 10).await.unwrap();
    let kinds: Vec<&str> = outbox.iter().map(|e| e.event.kind.as_str()).collect();
    assert_eq!(kinds, ["opened", "unacknowledged"]);
    assert_eq!(outbox[1].event.body, "{\"kind\":\"unacknowledged\"}");
    let after = store.incident_events(outbox[0].id, 10).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].event.kind, "unacknowledged");
    assert_eq!(store.incident_events(0, 1).await.unwrap().len(), 1);
}

async fn due_incidents_are_listed_until_checked(db: &TestDb) {
    let store = db.open().await;
    store.record_incident(&row("o/gateway", 7), &[], T0).await.unwrap();
    let mut closed = row("o/gateway", 8);
    closed.state = "resolved".into();
    store.record_incident(&closed, &[], T0).await.unwrap();
    assert!(store.incidents_due(T0 + 29 * MIN, 10).await.unwrap().is_empty());
    let due = store.incidents_due(T0 + 30 * MIN, 10).await.unwrap();
    assert_eq!(due.iter().map(|r| r.number).collect::<Vec<_>>(), [7]);
    let mut checked = row("o/gateway", 7);
    checked.deadline_checked = true;
    store.record_incident(&checked, &[], T0 + 31 * MIN).await.unwrap();
    assert!(store.incidents_due(T0 + 60 * MIN, 10).await.unwrap().is_empty());
    // Once checked, a refresh that does not know it keeps it checked.
    store.record_incident(&row("o/gateway", 7), &[], T0 + 32 * MIN).await.unwrap();
    assert!(store.incidents_due(T0 + 60 * MIN, 10).await.unwrap().is_empty());
}

async fn incidents_are_filtered_by_org_and_time(db: &TestDb) {
    let store = db.open().await;
    store.record_incident(&row("o/gateway", 1), &[], T0).await.unwrap();
    let mut later = row("other/x", 2);
    later.opened_at = T0 + 60 * MIN;
    store.record_incident(&later, &[], T0).await.unwrap();
    let mut prefix_trap = row("ot/x", 3);
    prefix_trap.opened_at = T0 + 61 * MIN;
    store.record_incident(&prefix_trap, &[], T0).await.unwrap();
    let n = |v: Vec<IncidentRow>| v.iter().map(|r| r.number).collect::<Vec<_>>();
    assert_eq!(n(store.incidents(None, 0).await.unwrap()), [1, 2, 3]);
    assert_eq!(n(store.incidents(Some("o"), 0).await.unwrap()), [1]);
    assert_eq!(n(store.incidents(Some("other"), 0).await.unwrap()), [2]);
    assert_eq!(n(store.incidents(None, T0 + MIN).await.unwrap()), [2, 3]);
}
