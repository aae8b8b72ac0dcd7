//! Notifications written with the state change that causes them, on SQLite and PostgreSQL:
//! incidents, deployments, releases and ADR Discussions each enqueue their rows in the same
//! transaction as their record, once however often (or by however many replicas) the same fact
//! is recorded; and retention deletes sent and dead rows by age, never pending ones.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use plasma_store::{
    AdrDiscussion, DeploymentChange, IncidentRow, NewDeployment, NewIncidentEvent, NewNotification,
    NewRelease, NotificationFilter, NotificationState, Prunable, Store, prune,
};
use support::{T0, TestDb};

const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

macro_rules! shared_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::TestDb::new(crate::support::Backend::Sqlite, concat!("ann_", stringify!($name))).await;
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::TestDb::new(crate::support::Backend::Postgres, concat!("ann_", stringify!($name))).await;
                    super::$name(&db).await;
                }
            )*
        }
    };
}

shared_tests!(
    incident_notifications_go_with_new_facts_only,
    a_deployment_change_carries_its_notifications,
    a_release_is_recorded_once_and_announced_by_one_replica,
    an_adr_discussion_is_remembered_once_with_its_notifications,
    retention_prunes_sent_and_dead_rows_by_age,
);

fn note(event: &str, subject: &str, key: &str, target: &str) -> NewNotification {
    NewNotification {
        event: event.into(),
        subject: subject.into(),
        dedupe_key: key.into(),
        target: target.into(),
        payload: "{}".into(),
    }
}

async fn outbox(store: &Arc<dyn Store>) -> Vec<(String, String, String)> {
    store
        .notifications(NotificationFilter::All)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.event, r.dedupe_key, r.target))
        .collect()
}

fn incident() -> IncidentRow {
    IncidentRow {
        repo: "o/gw".into(),
        number: 7,
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
    NewIncidentEvent { repo: "o/gw".into(), number: 7, kind: kind.into(), at, body: "{}".into() }
}

async fn incident_notifications_go_with_new_facts_only(db: &TestDb) {
    let store = db.open().await;
    let opened = event("opened", T0);
    let notes = vec![vec![
        note("incident_opened", "o/gw#7", "t0", "devops"),
        note("incident_opened", "o/gw#7", "t0", "rube"),
    ]];
    let (new, enqueued) = store
        .record_incident_notify(&incident(), std::slice::from_ref(&opened), &notes, T0)
        .await
        .unwrap();
    assert_eq!((new.len(), enqueued), (1, 2));
    // The same fact again (a redelivery, a second replica): nothing new, even with other targets.
    let more = vec![vec![note("incident_opened", "o/gw#7", "t0", "devops-2")]];
    let (new, enqueued) = store
        .record_incident_notify(&incident(), std::slice::from_ref(&opened), &more, T0 + 1)
        .await
        .unwrap();
    assert_eq!((new.len(), enqueued), (0, 0));
    // A new fact with its own notes; a fact without notes (nothing routed) enqueues nothing.
    let resolved = event("resolved", T0 + 90 * MIN);
    let unack = event("unacknowledged", T0 + 30 * MIN);
    let notes = vec![vec![note("incident_resolved", "o/gw#7", "t1", "devops")], vec![]];
    let (new, enqueued) = store
        .record_incident_notify(&incident(), &[resolved, unack], &notes, T0 + 2)
        .await
        .unwrap();
    assert_eq!((new.len(), enqueued), (2, 1));
    let rows = outbox(&store).await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(store.incident_events(0, 10).await.unwrap().len(), 3);
}

async fn a_deployment_change_carries_its_notifications(db: &TestDb) {
    let store = db.open().await;
    let d = NewDeployment {
        repo: "o/r".into(),
        id: 9,
        environment: "production".into(),
        sha: "a".repeat(40),
        git_ref: "main".into(),
        creator: None,
        created_at: T0,
    };
    store.record_deployment(&d).await.unwrap();
    let change = DeploymentChange {
        kind: "rollback".into(),
        previous_id: Some(8),
        commits: vec![],
        pulls: vec![],
    };
    let notes = [note("rollback", "o/r@production", "9", "devops")];
    assert_eq!(store.set_deployment_change_notify("o/r", 9, &change, &notes, T0).await.unwrap(), 1);
    // Recomputed (a late status): the change is replaced, the notification is not repeated.
    assert_eq!(store.set_deployment_change_notify("o/r", 9, &change, &notes, T0).await.unwrap(), 0);
    let rows = store.deployments("o/r", None, None).await.unwrap();
    assert_eq!(rows[0].change.as_ref().map(|c| c.kind.as_str()), Some("rollback"));
    assert_eq!(outbox(&store).await, [("rollback".into(), "9".into(), "devops".into())]);
}

fn release(tag: &str, at: i64) -> NewRelease {
    NewRelease {
        repo: "o/r".into(),
        tag: tag.into(),
        sha: "c".repeat(40),
        pushed_at: at,
        pusher: Some("octocat".into()),
    }
}

async fn a_release_is_recorded_once_and_announced_by_one_replica(db: &TestDb) {
    let a = db.open().await;
    let b = db.open().await;
    assert!(a.record_release(&release("v1.2.0", T0 + 5)).await.unwrap());
    assert!(!b.record_release(&release("v1.2.0", T0 + 5)).await.unwrap(), "a redelivery");
    assert!(a.record_release(&release("v1.1.0", T0)).await.unwrap());
    let pending = b.unannounced_releases("o/r").await.unwrap();
    let tags: Vec<&str> = pending.iter().map(|r| r.release.tag.as_str()).collect();
    assert_eq!(tags, ["v1.1.0", "v1.2.0"], "oldest push first");
    assert!(pending.iter().all(|r| !r.announced));
    // Both replicas read the list before either announced: only one enqueues.
    let r = &pending[1].release;
    let notes = [note("release", "o/r@v1.2.0", &r.sha, "devops")];
    let (x, y) = tokio::join!(a.announce_release(r, &notes, T0), b.announce_release(r, &notes, T0));
    assert_eq!(x.unwrap() + y.unwrap(), 1);
    let left = a.unannounced_releases("o/r").await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].release, release("v1.1.0", T0));
    assert!(a.unannounced_releases("o/other").await.unwrap().is_empty());
    assert_eq!(outbox(&a).await.len(), 1);
}

async fn an_adr_discussion_is_remembered_once_with_its_notifications(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(store.adr_discussion("o/r", 5).await.unwrap(), None);
    let d = AdrDiscussion {
        repo: "o/r".into(),
        number: 5,
        adr: "docs/adr/0007-cache.md".into(),
        discussion_id: "D_1".into(),
        discussion_url: "https://github.com/o/d/discussions/1".into(),
        created_at: T0,
    };
    let notes = [note("adr_proposed", "o/r#5", "D_1", "devops")];
    let (kept, n) = store.record_adr_discussion(&d, &notes, T0).await.unwrap();
    assert_eq!((kept, n), (d.clone(), 1));
    // Another Discussion for the same proposal (a race that made two): the first one stays.
    let other = AdrDiscussion { discussion_id: "D_2".into(), ..d.clone() };
    let notes2 = [note("adr_proposed", "o/r#5", "D_2", "devops")];
    let (kept, n) = store.record_adr_discussion(&other, &notes2, T0).await.unwrap();
    assert_eq!((kept, n), (d.clone(), 0));
    assert_eq!(store.adr_discussion("o/r", 5).await.unwrap(), Some(d));
    assert_eq!(outbox(&store).await.len(), 1);
}

async fn retention_prunes_sent_and_dead_rows_by_age(db: &TestDb) {
    let store = db.open().await;
    let lease = Duration::from_secs(60);
    // Sent 100 days ago, sent today, dead 100 days ago, pending for 100 days.
    for (key, at) in [("sent-old", T0 - 100 * DAY), ("sent-new", T0), ("dead-old", T0 - 100 * DAY)]
    {
        store.enqueue_notifications(&[note("release", "o/r@v1", key, "devops")], at).await.unwrap();
        let l = store.lease_notification("w", lease, at).await.unwrap().unwrap();
        if key.starts_with("dead") {
            store.notification_failed(&l, "410", None, 1, at).await.unwrap();
        } else {
            assert!(store.notification_sending(&l, at).await.unwrap());
            store.notification_sent(&l, at).await.unwrap();
        }
    }
    store
        .enqueue_notifications(&[note("release", "o/r@v1", "pending", "devops")], T0 - 100 * DAY)
        .await
        .unwrap();
    // A row not sent yet stays whatever its age.
    assert_eq!(prune(&*store, Prunable::SentNotifications, T0 - 90 * DAY).await.unwrap(), 1);
    assert_eq!(prune(&*store, Prunable::DeadNotifications, T0 - 180 * DAY).await.unwrap(), 0);
    assert_eq!(prune(&*store, Prunable::DeadNotifications, T0 - 90 * DAY).await.unwrap(), 1);
    let left: Vec<(String, NotificationState)> = store
        .notifications(NotificationFilter::All)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.dedupe_key, r.state))
        .collect();
    assert_eq!(
        left,
        [
            ("sent-new".into(), NotificationState::Sent),
            ("pending".into(), NotificationState::Pending)
        ]
    );
    assert_eq!(Prunable::SentNotifications.as_str(), "notifications_sent");
    assert_eq!(Prunable::DeadNotifications.as_str(), "notifications_dead");
}
