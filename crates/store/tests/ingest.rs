//! Recording deliveries under concurrency: however the store commits them (SQLite groups
//! concurrent deliveries into one transaction, PostgreSQL commits each beside the others), each
//! caller gets the answer the sequential path would give, each delivery id is stored once, and each key has one job that
//! carries every delivery that triggered it. Every shared test runs against SQLite and PostgreSQL;
//! PostgreSQL-only tests follow.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use plasma_store::{
    Cause, JobFilter, JobKey, JobRow, NewDelivery, RecordOutcome, Store, TriggerOutcome,
};
use support::shared_tests;
use support::{Backend, PgDb, T0, TestDb, delivery, key};

const LEASE: Duration = Duration::from_secs(30);

shared_tests!(
    concurrent_deliveries_on_one_key_make_one_job_carrying_each,
    the_same_delivery_sent_concurrently_is_recorded_once,
    a_group_applies_the_queue_rules_to_pending_leased_dead_and_new_jobs,
    a_delivery_naming_several_pull_requests_triggers_each_once,
    replicas_recording_concurrently_lose_and_duplicate_nothing,
);

/// Records every `(delivery, keys)` at once, each from its own task; answers in the same order.
async fn record_all(
    store: &Arc<dyn Store>,
    items: Vec<(NewDelivery, Vec<JobKey>)>,
) -> Vec<RecordOutcome> {
    let tasks: Vec<_> = items
        .into_iter()
        .map(|(d, keys)| {
            let store = Arc::clone(store);
            tokio::spawn(async move { store.record_delivery(&d, &keys, T0).await.unwrap() })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    outcomes
}

async fn job(store: &dyn Store, text: &str) -> JobRow {
    let jobs = store.jobs(JobFilter::All).await.unwrap();
    jobs.into_iter().find(|j| j.key == text).unwrap_or_else(|| panic!("no job for {text}"))
}

fn sorted(causes: &[Cause]) -> Vec<String> {
    let mut v: Vec<String> = causes.iter().map(ToString::to_string).collect();
    v.sort();
    v
}

async fn concurrent_deliveries_on_one_key_make_one_job_carrying_each(db: &TestDb) {
    let store = db.open().await;
    let ids: Vec<String> = (0..40).map(|i| format!("d-{i:02}")).collect();
    let items = ids.iter().map(|id| (delivery(id), vec![key("plasma/engine#1")])).collect();
    let outcomes = record_all(&store, items).await;
    // The first to reach the store enqueued the job; every later one was absorbed by it.
    let enqueued = outcomes
        .iter()
        .filter(|o| **o == RecordOutcome::Recorded { job: Some(TriggerOutcome::Enqueued) })
        .count();
    let coalesced = outcomes
        .iter()
        .filter(|o| **o == RecordOutcome::Recorded { job: Some(TriggerOutcome::Coalesced) })
        .count();
    assert_eq!((enqueued, coalesced), (1, 39), "{outcomes:?}");
    let jobs = store.jobs(JobFilter::All).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, "pending");
    assert_eq!(sorted(&jobs[0].causes), ids);
    for id in &ids {
        let stored = store.delivery(id).await.unwrap().expect("every delivery is stored");
        assert_eq!(stored.body, format!("{{\"delivery\":\"{id}\"}}").into_bytes());
    }
    assert_eq!(store.deliveries_unprocessed().await.unwrap(), 40);
}

async fn the_same_delivery_sent_concurrently_is_recorded_once(db: &TestDb) {
    let store = db.open().await;
    let items = (0..20).map(|_| (delivery("same"), vec![key("plasma/engine#2")])).collect();
    let outcomes = record_all(&store, items).await;
    let recorded: Vec<_> = outcomes.iter().filter(|o| **o != RecordOutcome::Duplicate).collect();
    assert_eq!(recorded, [&RecordOutcome::Recorded { job: Some(TriggerOutcome::Enqueued) }]);
    let jobs = store.jobs(JobFilter::All).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(sorted(&jobs[0].causes), ["same"]);
    assert_eq!(store.deliveries_unprocessed().await.unwrap(), 1);
    // Sent again later, alone: still a duplicate, still one job with one cause.
    let again = store.record_delivery(&delivery("same"), &[key("plasma/engine#2")], T0).await;
    assert_eq!(again.unwrap(), RecordOutcome::Duplicate);
    assert_eq!(sorted(&job(store.as_ref(), "plasma/engine#2").await.causes), ["same"]);
}

async fn a_group_applies_the_queue_rules_to_pending_leased_dead_and_new_jobs(db: &TestDb) {
    let store = db.open().await;
    let (pending, leased, dead, new) =
        ("plasma/engine#10", "plasma/engine#11", "plasma/engine#12", "plasma/engine#13");
    // #11 is leased by a worker, #12 dead after its only attempt, #10 pending.
    store.trigger(&key(leased), &Cause::Sweep, T0).await.unwrap();
    let running = store.lease("w1", LEASE, T0).await.unwrap().unwrap();
    store.trigger(&key(dead), &Cause::Sweep, T0).await.unwrap();
    let dying = store.lease("w2", LEASE, T0).await.unwrap().unwrap();
    store.fail(&dying, "boom", None, 1, T0).await.unwrap();
    store.trigger(&key(pending), &Cause::Sweep, T0 + 1_000_000).await.unwrap();

    let all = [key(pending), key(leased), key(dead), key(new)];
    let items = (0..12)
        .map(|i| {
            // Every order of keys, and subsets: rows are still locked in one order.
            let mut keys = all.to_vec();
            keys.rotate_left(i % 4);
            keys.truncate(4 - (i % 3));
            (delivery(&format!("g-{i:02}")), keys)
        })
        .collect::<Vec<_>>();
    let mut expected: Vec<(String, Vec<String>)> = all
        .iter()
        .map(|k| {
            let ids = items
                .iter()
                .filter(|(_, keys)| keys.contains(k))
                .map(|(d, _)| d.id.clone())
                .collect::<Vec<_>>();
            (k.to_string(), ids)
        })
        .collect();
    let outcomes = record_all(&store, items).await;
    assert!(outcomes.iter().all(|o| matches!(o, RecordOutcome::Recorded { job: Some(_) })));

    let p = job(store.as_ref(), pending).await;
    assert_eq!((p.state.as_str(), p.attempts), ("pending", 0));
    let mut want = expected.remove(0).1;
    want.push("sweep".into());
    want.sort();
    assert_eq!(sorted(&p.causes), want);

    // The leased job keeps running; the deliveries are owed a run after it.
    // (A listed job shows the running attempt's causes followed by those owed a rerun.)
    let mut want = expected.remove(0).1;
    want.sort();
    let l = job(store.as_ref(), leased).await;
    assert_eq!(l.state, "leased");
    let mut listed = want.clone();
    listed.push("sweep".into());
    assert_eq!(sorted(&l.causes), listed);
    store.complete(&running, T0 + 1).await.unwrap();
    let l = job(store.as_ref(), leased).await;
    assert_eq!(l.state, "pending");
    assert_eq!(sorted(&l.causes), want);

    // The dead job is revived with a fresh series of attempts.
    let d = job(store.as_ref(), dead).await;
    assert_eq!((d.state.as_str(), d.attempts), ("pending", 0));
    let mut want = expected.remove(0).1;
    want.push("sweep".into());
    want.sort();
    assert_eq!(sorted(&d.causes), want);

    let n = job(store.as_ref(), new).await;
    assert_eq!((n.state.as_str(), n.attempts), ("pending", 0));
    let mut want = expected.remove(0).1;
    want.sort();
    assert_eq!(sorted(&n.causes), want);
}

async fn a_delivery_naming_several_pull_requests_triggers_each_once(db: &TestDb) {
    let store = db.open().await;
    // A check run naming #21 twice and #20: one job each, the outcome of the first key named.
    let keys = vec![key("plasma/engine#21"), key("plasma/engine#20"), key("plasma/engine#21")];
    let items = vec![
        (delivery("check"), keys),
        (delivery("other"), vec![key("plasma/engine#20")]),
        (delivery("no-key"), Vec::new()),
    ];
    let outcomes = record_all(&store, items).await;
    assert!(matches!(outcomes[0], RecordOutcome::Recorded { job: Some(_) }), "{outcomes:?}");
    assert_eq!(outcomes[2], RecordOutcome::Recorded { job: None });
    let jobs = store.jobs(JobFilter::All).await.unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(sorted(&job(store.as_ref(), "plasma/engine#21").await.causes), ["check"]);
    assert_eq!(sorted(&job(store.as_ref(), "plasma/engine#20").await.causes), ["check", "other"]);
    assert!(store.delivery("no-key").await.unwrap().is_some());
}

async fn replicas_recording_concurrently_lose_and_duplicate_nothing(db: &TestDb) {
    // Three stores on one database (three replicas' pools on PostgreSQL; three handles on one
    // SQLite file), each sent the same 60 deliveries on 6 pull requests at once.
    let stores = [db.open().await, db.open().await, db.open().await];
    let items = |round: usize| -> Vec<(NewDelivery, Vec<JobKey>)> {
        (0..60)
            .map(|i| {
                let i = (i + round * 20) % 60;
                (
                    delivery(&format!("r-{i:02}")),
                    vec![key(&format!("plasma/engine#{}", 30 + i % 6))],
                )
            })
            .collect()
    };
    let runs: Vec<_> = stores
        .iter()
        .enumerate()
        .map(|(round, store)| {
            let (store, items) = (Arc::clone(store), items(round));
            tokio::spawn(async move { record_all(&store, items).await })
        })
        .collect();
    let mut recorded = 0;
    for run in runs {
        recorded += run.await.unwrap().iter().filter(|o| **o != RecordOutcome::Duplicate).count();
    }
    assert_eq!(recorded, 60, "each delivery recorded by exactly one replica");
    let jobs = stores[0].jobs(JobFilter::All).await.unwrap();
    assert_eq!(jobs.len(), 6);
    for j in &jobs {
        let n: usize = j.key.trim_start_matches("plasma/engine#").parse().unwrap();
        let want: Vec<String> =
            (0..60).filter(|i| 30 + i % 6 == n).map(|i| format!("r-{i:02}")).collect();
        assert_eq!(sorted(&j.causes), want, "{}", j.key);
    }
}

/// A key whose job row another replica inserts after this delivery read it (so it planned an
/// insert): the insert waits for the other transaction, and the delivery coalesces into the row
/// it committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_job_row_inserted_by_another_replica_meanwhile_is_coalesced_into() {
    let db = PgDb::create().await;
    let store: Arc<dyn Store> = Arc::new(db.open().await);
    let mut other = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
    let mut watcher = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
    sqlx::raw_sql("BEGIN").execute(&mut other).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO jobs (job_key, state, run_after, causes, first_triggered_at, updated_at) \
         VALUES ('plasma/engine#40', 'pending', 1, '[\"sweep\"]', 1, 1)",
    )
    .execute(&mut other)
    .await
    .unwrap();
    let recording = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store.record_delivery(&delivery("late"), &[key("plasma/engine#40")], T0).await
        })
    };
    // Our insert of the same key now waits for the other transaction's outcome.
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sqlx::raw_sql("COMMIT").execute(&mut other).await.unwrap();
    let outcome = recording.await.unwrap().unwrap();
    // Recorded, and coalesced into the row the other replica committed.
    assert_eq!(outcome, RecordOutcome::Recorded { job: Some(TriggerOutcome::Coalesced) });
    let j = job(store.as_ref(), "plasma/engine#40").await;
    assert_eq!(sorted(&j.causes), ["late", "sweep"]);
    assert!(store.delivery("late").await.unwrap().is_some());
}

/// A delivery PostgreSQL refuses (a NUL character in a text column) fails alone: the others that
/// arrived with it are recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_one_refused_delivery_does_not_fail_the_others_beside_it() {
    let db = TestDb::new(Backend::Postgres, "refused").await;
    let store = db.open().await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut d = delivery(&format!("n-{i:02}"));
            if i == 7 {
                d.action = Some("open\0ed".into());
            }
            store.record_delivery(&d, &[key("plasma/engine#50")], T0).await
        }));
    }
    let mut refused = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(RecordOutcome::Recorded { .. }) => {}
            Ok(other) => panic!("n-{i:02}: {other:?}"),
            Err(e) => refused.push((i, e.is_unavailable())),
        }
    }
    assert_eq!(refused, [(7, false)]);
    let j = job(store.as_ref(), "plasma/engine#50").await;
    assert_eq!(j.causes.len(), 15);
    assert!(store.delivery("n-07").await.unwrap().is_none());
}
