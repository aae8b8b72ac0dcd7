//! The notification outbox on both databases: written with the reconcile that caused it, never
//! enqueued twice, leased by one worker at a time, retried with the store's backoff,
//! dead-lettered with its reason, and never sent twice when a replica dies mid-send.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use plasma_store::{
    FailOutcome, NewAction, NewNotification, NotificationFilter, NotificationState,
    OUTCOME_UNKNOWN, PrMemory, Store, StoreError,
};
use serde_json::json;
use support::shared_tests;
use support::{T0, TestDb};

const LEASE: Duration = Duration::from_secs(60);
const KEY: &str = "plasma/engine#12";

shared_tests!(
    a_replayed_reconcile_enqueues_nothing_new,
    the_reconcile_and_its_notifications_are_one_commit,
    a_notification_is_leased_sent_and_never_leased_again,
    failures_back_off_then_dead_letter_and_retry_revives,
    a_worker_killed_before_sending_is_taken_over,
    a_worker_killed_after_sending_is_not_sent_again,
    two_replicas_racing_take_each_notification_once,
);

fn note(event: &str, dedupe: &str, target: &str) -> NewNotification {
    NewNotification {
        event: event.to_owned(),
        subject: KEY.to_owned(),
        dedupe_key: dedupe.to_owned(),
        target: target.to_owned(),
        payload: json!({"title": "ready"}).to_string(),
    }
}

fn action() -> NewAction {
    NewAction {
        job_key: KEY.to_owned(),
        delivery_id: Some("d-1".to_owned()),
        job_id: Some(1),
        kind: "set_status".to_owned(),
        dry_run: false,
        before: json!(null),
        after: json!({"state": "success"}),
        at: T0,
    }
}

async fn a_replayed_reconcile_enqueues_nothing_new(db: &TestDb) {
    let store = db.open().await;
    let notes = [note("ready_to_merge", "abc", "devops"), note("ready_to_merge", "abc", "rube")];
    let first =
        store.record_reconcile_notify(KEY, "abc", &[], None, None, &notes, T0).await.unwrap();
    assert_eq!(first, 2, "one row per target");
    // The same webhook redelivered, or the sweep reconciling the same head again.
    let again =
        store.record_reconcile_notify(KEY, "abc", &[], None, None, &notes, T0 + 5).await.unwrap();
    assert_eq!(again, 0);
    assert_eq!(store.enqueue_notifications(&notes, T0 + 9).await.unwrap(), 0);
    // A new head is a new occurrence.
    let next = [note("ready_to_merge", "def", "devops")];
    assert_eq!(store.enqueue_notifications(&next, T0 + 10).await.unwrap(), 1);
    let rows = store.notifications(NotificationFilter::All).await.unwrap();
    let keys: Vec<_> = rows.iter().map(|r| (r.dedupe_key.as_str(), r.target.as_str())).collect();
    assert_eq!(keys, [("abc", "devops"), ("abc", "rube"), ("def", "devops")]);
    assert!(rows.iter().all(|r| r.state == NotificationState::Pending && r.attempts == 0));
    assert_eq!(rows[0].created_at, T0);
}

async fn the_reconcile_and_its_notifications_are_one_commit(db: &TestDb) {
    let store = db.open().await;
    let memory = PrMemory {
        rereview_requested_for_head: true,
        applied_agent_labels: vec![("agent:backend".into(), "f1".into())],
    };
    let notes = [note("ready_to_merge", "abc", "devops")];
    store
        .record_reconcile_notify(KEY, "abc", &[action()], Some(&memory), None, &notes, T0)
        .await
        .unwrap();
    assert_eq!(store.actions(KEY, 10).await.unwrap().len(), 1);
    assert_eq!(store.pr_memory(KEY, "abc").await.unwrap(), memory);
    assert_eq!(store.notifications(NotificationFilter::All).await.unwrap().len(), 1);
    // The plain record_reconcile is the same transaction with no notification.
    store.record_reconcile(KEY, "def", &[action()], None, None, T0 + 1).await.unwrap();
    assert_eq!(store.actions(KEY, 10).await.unwrap().len(), 2);
    assert_eq!(store.notifications(NotificationFilter::All).await.unwrap().len(), 1);
}

async fn a_notification_is_leased_sent_and_never_leased_again(db: &TestDb) {
    let store = db.open().await;
    store.enqueue_notifications(&[note("release", "v1.2.0", "devops")], T0).await.unwrap();
    assert!(store.lease_notification("w1", LEASE, T0 - 1).await.unwrap().is_none(), "not due");
    let lease = store.lease_notification("w1", LEASE, T0).await.unwrap().expect("due");
    assert_eq!(
        (lease.event.as_str(), lease.attempt, lease.target.as_str()),
        ("release", 1, "devops")
    );
    assert!(store.lease_notification("w2", LEASE, T0).await.unwrap().is_none(), "held by w1");
    assert!(store.notification_sending(&lease, T0 + 1).await.unwrap());
    store.notification_sent(&lease, T0 + 2).await.unwrap();
    let rows = store.notifications(NotificationFilter::All).await.unwrap();
    assert_eq!((rows[0].state, rows[0].sent_at), (NotificationState::Sent, Some(T0 + 2)));
    let much_later = T0 + 86_400_000;
    assert!(store.lease_notification("w2", LEASE, much_later).await.unwrap().is_none());
    // Marking twice is a lost lease, not a second success.
    assert!(matches!(
        store.notification_sent(&lease, T0 + 3).await,
        Err(StoreError::LeaseLost { .. })
    ));
}

async fn failures_back_off_then_dead_letter_and_retry_revives(db: &TestDb) {
    let store = db.open().await;
    store.enqueue_notifications(&[note("fix_waiting", "t1", "devops")], T0).await.unwrap();
    // Slack said 429 with Retry-After: 30: exactly 30 s, whatever the backoff would say.
    let lease = store.lease_notification("w1", LEASE, T0).await.unwrap().unwrap();
    let wait = Some(Duration::from_secs(30));
    let outcome = store.notification_failed(&lease, "429", wait, 3, T0 + 1).await.unwrap();
    assert_eq!(outcome, FailOutcome::Retry { at: T0 + 1 + 30_000 });
    assert!(store.lease_notification("w1", LEASE, T0 + 30_000).await.unwrap().is_none());
    // The second failure backs off at most the store's ceiling for attempt 2.
    let lease = store.lease_notification("w1", LEASE, T0 + 30_001).await.unwrap().unwrap();
    assert_eq!(lease.attempt, 2);
    let now = T0 + 30_002;
    match store.notification_failed(&lease, "refused", None, 3, now).await.unwrap() {
        FailOutcome::Retry { at } => assert!((now..=now + 2_000).contains(&at), "{at}"),
        FailOutcome::Dead => panic!("two of three attempts"),
    }
    let lease = store.lease_notification("w1", LEASE, now + 2_000).await.unwrap().unwrap();
    let dead = store.notification_failed(&lease, "connection refused", None, 3, now + 2_001);
    assert_eq!(dead.await.unwrap(), FailOutcome::Dead);
    let rows = store.notifications(NotificationFilter::Dead).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].last_error.as_deref(), Some("connection refused"));
    assert_eq!(rows[0].attempts, 3);
    assert!(store.lease_notification("w1", LEASE, now + 999_999).await.unwrap().is_none());
    // `plasma-ops notifications --retry ID`.
    assert!(store.retry_notification(rows[0].id, now + 5).await.unwrap());
    assert!(!store.retry_notification(rows[0].id, now + 5).await.unwrap(), "no longer dead");
    assert!(!store.retry_notification(9_999, now + 5).await.unwrap());
    let lease = store.lease_notification("w2", LEASE, now + 5).await.unwrap().unwrap();
    assert_eq!(lease.attempt, 1, "a fresh series");
    assert!(store.notifications(NotificationFilter::Dead).await.unwrap().is_empty());
}

async fn a_worker_killed_before_sending_is_taken_over(db: &TestDb) {
    let replica_a = db.open().await;
    let replica_b = db.open().await;
    replica_a.enqueue_notifications(&[note("release", "v2", "devops")], T0).await.unwrap();
    let held = replica_a.lease_notification("a", LEASE, T0).await.unwrap().unwrap();
    // Replica A dies holding the lease; B may take the row only once the lease expired.
    assert!(replica_b.lease_notification("b", LEASE, T0 + 59_999).await.unwrap().is_none());
    let taken = replica_b.lease_notification("b", LEASE, T0 + 60_000).await.unwrap().unwrap();
    assert_eq!((taken.id, taken.attempt), (held.id, 2));
    // A, back from a pause, may not send any more.
    assert!(!replica_a.notification_sending(&held, T0 + 60_001).await.unwrap());
    assert!(replica_b.notification_sending(&taken, T0 + 60_001).await.unwrap());
    replica_b.notification_sent(&taken, T0 + 60_002).await.unwrap();
}

async fn a_worker_killed_after_sending_is_not_sent_again(db: &TestDb) {
    let replica_a = db.open().await;
    let replica_b = db.open().await;
    let notes = [note("release", "v3", "devops"), note("release", "v4", "devops")];
    replica_a.enqueue_notifications(&notes, T0).await.unwrap();
    let held = replica_a.lease_notification("a", LEASE, T0).await.unwrap().unwrap();
    assert!(replica_a.notification_sending(&held, T0 + 1).await.unwrap());
    // The message left; replica A is killed before it marks the row sent. B, after the lease
    // expired, dead-letters the row whose outcome is unknown and takes the next one.
    let next = replica_b.lease_notification("b", LEASE, T0 + 60_001).await.unwrap().unwrap();
    assert_eq!(next.dedupe_key, "v4");
    let dead = replica_b.notifications(NotificationFilter::Dead).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].dedupe_key, "v3");
    assert_eq!(dead[0].last_error.as_deref(), Some(OUTCOME_UNKNOWN));
    assert!(matches!(
        replica_a.notification_sent(&held, T0 + 60_002).await,
        Err(StoreError::LeaseLost { .. })
    ));
}

async fn two_replicas_racing_take_each_notification_once(db: &TestDb) {
    const N: usize = 40;
    let seed = db.open().await;
    let notes: Vec<_> = (0..N).map(|i| note("release", &format!("v{i}"), "devops")).collect();
    seed.enqueue_notifications(&notes, T0).await.unwrap();
    let replicas: Vec<Arc<dyn Store>> = vec![db.open().await, db.open().await];
    let mut tasks = Vec::new();
    for (r, store) in replicas.into_iter().enumerate() {
        for w in 0..2 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                let owner = format!("replica{r}-w{w}");
                let mut sent = Vec::new();
                while let Some(lease) = store.lease_notification(&owner, LEASE, T0).await.unwrap() {
                    assert!(store.notification_sending(&lease, T0).await.unwrap());
                    store.notification_sent(&lease, T0).await.unwrap();
                    sent.push(lease.id);
                }
                sent
            }));
        }
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: BTreeSet<_> = all.iter().copied().collect();
    assert_eq!((all.len(), distinct.len()), (N, N), "each sent exactly once: {all:?}");
    let rows = seed.notifications(NotificationFilter::All).await.unwrap();
    assert!(rows.iter().all(|r| r.state == NotificationState::Sent));
}
