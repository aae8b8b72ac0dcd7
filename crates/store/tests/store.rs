//! The store's semantics, one behaviour per test. Every shared test body is an `async fn` over a
//! [`TestDb`]; `shared_tests!` runs each against a real SQLite file (`sqlite::*`) and a
//! PostgreSQL database of its own (`postgres::*`). Backend-specific tests follow the list.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use plasma_store::{
    Cause, FailOutcome, Job, JobFilter, MAX_CAUSES, NewAction, PRUNE_BATCH, PgStore, PrMemory,
    PrVerdictRow, Prunable, QueueDepth, RecordOutcome, SqliteStore, Store, StoreError,
    TriggerOutcome, backoff_ceiling, prune,
};
use serde_json::json;
use support::shared_tests;
use support::{PgDb, T0, TempDb, TestDb, delivery, key};

const LEASE: Duration = Duration::from_secs(30);
const KEY: &str = "plasma/engine#12";

async fn leased(store: &dyn Store, worker: &str, now: i64) -> Job {
    store.lease(worker, LEASE, now).await.unwrap().expect("a runnable job")
}

shared_tests!(
    recording_a_delivery_stores_it_and_enqueues_its_job,
    a_delivery_without_a_job_key_enqueues_nothing,
    a_duplicate_delivery_changes_nothing,
    a_recorded_delivery_survives_closing_and_reopening,
    deliveries_are_marked_processed_and_counted,
    triggers_for_a_pending_job_are_absorbed_by_it,
    causes_are_deduplicated_and_capped,
    a_trigger_during_a_run_makes_the_job_run_again,
    completing_an_untouched_job_finishes_it,
    a_job_is_not_leased_before_run_after,
    a_leased_job_is_not_handed_out_until_its_lease_expires,
    renewing_extends_the_lease,
    a_worker_that_lost_its_lease_cannot_touch_the_job,
    a_late_worker_may_still_finish_if_nobody_took_over,
    failed_attempts_back_off_with_full_jitter_within_bounds,
    retry_after_is_honoured_exactly,
    a_job_out_of_attempts_is_dead_lettered_with_its_last_error,
    retrying_a_dead_job_makes_it_pending_with_attempts_reset,
    a_trigger_brings_a_dead_job_back,
    a_trigger_during_the_last_attempt_starts_a_fresh_series,
    a_retry_keeps_the_triggers_that_arrived_during_the_failed_run,
    jobs_are_listed_by_state,
    the_action_log_returns_the_newest_entries_first,
    rereview_requests_are_remembered_per_head_sha,
    applied_agent_labels_are_replaced_as_a_set,
    a_pull_requests_memory_is_read_before_and_written_after_in_one_call_each,
    one_delivery_triggers_every_pull_request_it_names_atomically,
    concurrent_deliveries_keep_their_own_outcomes,
    deliveries_naming_pull_requests_in_opposite_orders_all_commit,
    a_schedule_is_claimed_once_per_period,
    the_last_verdict_per_pull_request_is_kept_with_the_reconcile,
    delivery_latencies_are_read_for_applied_deliveries,
    replicas_racing_for_a_schedule_period_let_exactly_one_win,
    batched_action_log_and_processed_marks_are_one_transaction_each,
    completing_a_job_marks_its_deliveries_processed_in_the_same_commit,
    retention_deletes_old_processed_deliveries_and_actions_only,
);

async fn completing_a_job_marks_its_deliveries_processed_in_the_same_commit(db: &TestDb) {
    let store = db.open().await;
    store.record_delivery(&delivery("c1"), &[key(KEY)], T0).await.unwrap();
    store.record_delivery(&delivery("c2"), &[key(KEY)], T0 + 1).await.unwrap();
    store.trigger(&key(KEY), &Cause::Sweep, T0 + 2).await.unwrap();
    let job = leased(&*store, "w1", T0 + 10).await;
    // A delivery arriving during the run belongs to the next run, not this one.
    store.record_delivery(&delivery("c3"), &[key(KEY)], T0 + 11).await.unwrap();
    store.complete(&job, T0 + 12).await.unwrap();
    for id in ["c1", "c2"] {
        let row = store.delivery(id).await.unwrap().unwrap();
        assert_eq!(row.processed_at, Some(T0 + 12), "{id}");
        assert_eq!(row.outcome.as_deref(), Some("applied"), "{id}");
    }
    assert_eq!(store.delivery("c3").await.unwrap().unwrap().processed_at, None);
    let next = leased(&*store, "w1", T0 + 20).await;
    assert_eq!(next.causes, vec!["c3".to_owned()]);
    store.complete(&next, T0 + 21).await.unwrap();
    assert_eq!(store.delivery("c3").await.unwrap().unwrap().processed_at, Some(T0 + 21));
}

// ---- opening (SQLite) ----

#[tokio::test]
async fn open_creates_the_file_in_wal_mode() {
    let db = TempDb::new("wal");
    assert!(!db.path.exists());
    let store = db.open().await;
    assert!(db.path.exists());
    assert_eq!(store.location(), db.path_str());

    let url = format!("sqlite://{}", db.path_str());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    let mode: String =
        sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut conn).await.unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn open_accepts_sqlite_urls_and_bare_paths() {
    for form in ["sqlite://", "sqlite:", ""] {
        let db = TempDb::new("forms");
        let store = SqliteStore::open(&format!("{form}{}", db.path_str())).await.unwrap();
        store.ping().await.unwrap();
        assert!(db.path.exists(), "{form}");
    }
}

#[tokio::test]
async fn open_explains_a_path_it_cannot_create() {
    let missing = std::env::temp_dir().join("plasma-store-no-such-dir").join("x").join("db.sqlite");
    let err = SqliteStore::open(missing.to_str().unwrap()).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(text.contains("plasma-store-no-such-dir"), "{text}");
    assert!(text.contains("check that the directory exists"), "{text}");
}

#[tokio::test]
async fn in_memory_database_keeps_its_data_across_calls() {
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    store.trigger(&key(KEY), &Cause::Sweep, T0).await.unwrap();
    assert_eq!(store.queue_depth().await.unwrap().pending, 1);
}

#[tokio::test]
async fn open_function_returns_a_shared_trait_object() {
    let db = TempDb::new("dyn");
    let store = plasma_store::open(&format!("sqlite://{}", db.path_str())).await.unwrap();
    store.ping().await.unwrap();
    // Nothing listens on port 1: the PostgreSQL backend is chosen, and its error keeps the
    // password to itself.
    let err = plasma_store::open("postgres://u:hunter2@127.0.0.1:1/x").await.err().unwrap();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    let err = plasma_store::open("mysql://u:hunter2@127.0.0.1/x").await.err().unwrap();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[tokio::test]
async fn sqlite_ping_answers_while_the_database_is_reachable() {
    let db = TempDb::new("ping");
    let store = db.open().await;
    store.ping().await.unwrap();
    store.close().await;
    let err = store.ping().await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
}

// ---- opening and connection loss (PostgreSQL) ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_open_dispatches_on_the_scheme_and_names_the_database_without_the_password() {
    let db = PgDb::create().await;
    for scheme in ["postgres", "postgresql"] {
        let url = db.url.replacen("postgres://", &format!("{scheme}://"), 1);
        let store = plasma_store::open(&url).await.unwrap();
        store.ping().await.unwrap();
    }
    let store = db.open().await;
    assert!(store.location().ends_with(&format!("/{}", db.name)), "{}", store.location());

    let err = PgStore::open("postgres://ops:hunter2@127.0.0.1:1/plasma").await.unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("postgres://ops@127.0.0.1:1/plasma"), "{text}");
    assert!(text.contains("check that the server is running"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas_opening_together_apply_the_migrations_once() {
    let db = PgDb::create().await;
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { PgStore::open(&url).await.unwrap() })
        })
        .collect();
    let mut stores = Vec::new();
    for open in opens {
        stores.push(open.await.unwrap());
    }
    for store in &stores {
        store.trigger(&key(KEY), &Cause::Sweep, T0).await.unwrap();
    }
    assert_eq!(stores[0].queue_depth().await.unwrap().pending, 1);
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
    // Every migration applied exactly once, successfully.
    let applied: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(applied.len(), files, "{applied:?}");
    assert!(applied.iter().all(|(_, success)| *success), "{applied:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_ping_after_close_is_unavailable() {
    let db = PgDb::create().await;
    let store = db.open().await;
    store.ping().await.unwrap();
    store.close().await;
    let err = store.ping().await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_killed_by_the_server_are_unavailable_then_replaced() {
    let db = PgDb::create().await;
    let store = db.open().await;
    store.trigger(&key(KEY), &Cause::Sweep, T0).await.unwrap();

    // What a database restart or failover does to every open connection.
    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect(&support::postgres_admin_url())
            .await
            .unwrap();
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(&db.name)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!killed.is_empty());

    // The pool may notice the dead connection before using it; if not, the error says
    // "unavailable" (503 and retry), never "bad request".
    let mut recovered = false;
    for _ in 0..20 {
        match store.queue_depth().await {
            Ok(depth) => {
                assert_eq!(depth.pending, 1, "nothing committed was lost");
                recovered = true;
                break;
            }
            Err(e) => assert!(e.is_unavailable(), "{e:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(recovered, "the pool reconnects without a restart");
}

// ---- deliveries ----

async fn recording_a_delivery_stores_it_and_enqueues_its_job(db: &TestDb) {
    let store = db.open().await;
    let mut d = delivery("d1");
    // Binary, with NUL bytes, and larger than a page: a BLOB, not text.
    d.body = (0..=255u8).cycle().take(1 << 20).collect();

    let outcome = store.record_delivery(&d, &[key(KEY)], T0).await.unwrap();
    assert_eq!(outcome, RecordOutcome::Recorded { job: Some(TriggerOutcome::Enqueued) });

    let row = store.delivery("d1").await.unwrap().unwrap();
    assert_eq!(row.body, d.body);
    assert_eq!(
        (row.event.as_str(), row.action.as_deref(), row.repository.as_deref()),
        ("pull_request", Some("opened"), Some("plasma/engine"))
    );
    assert_eq!((row.installation, row.received_at), (Some(42), T0));
    assert_eq!((row.processed_at, row.outcome), (None, None));

    let job = leased(&*store, "w1", T0).await;
    assert_eq!(
        (job.key.to_string(), job.causes.clone()),
        (KEY.to_owned(), vec![Cause::from("d1")])
    );
    assert_eq!(job.first_triggered_at, T0);
}

async fn a_delivery_without_a_job_key_enqueues_nothing(db: &TestDb) {
    let store = db.open().await;
    let outcome = store.record_delivery(&delivery("ping-1"), &[], T0).await.unwrap();
    assert_eq!(outcome, RecordOutcome::Recorded { job: None });
    assert_eq!(store.queue_depth().await.unwrap(), QueueDepth::default());
}

async fn a_duplicate_delivery_changes_nothing(db: &TestDb) {
    let store = db.open().await;
    store.record_delivery(&delivery("d1"), &[key(KEY)], T0).await.unwrap();

    // The same id again, even with another body and key: nothing is stored or triggered.
    let mut again = delivery("d1");
    again.body = b"different".to_vec();
    let outcome = store.record_delivery(&again, &[key("other/repo#1")], T0 + 5).await.unwrap();
    assert_eq!(outcome, RecordOutcome::Duplicate);
    assert_eq!(store.delivery("d1").await.unwrap().unwrap().body, delivery("d1").body);
    let jobs = store.jobs(JobFilter::All).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].key.as_str(), jobs[0].causes.clone()), (KEY, vec![Cause::from("d1")]));

    // A redelivery during the run does not make the job run again.
    let job = leased(&*store, "w1", T0 + 10).await;
    let outcome = store.record_delivery(&delivery("d1"), &[key(KEY)], T0 + 11).await.unwrap();
    assert_eq!(outcome, RecordOutcome::Duplicate);
    store.complete(&job, T0 + 12).await.unwrap();
    assert_eq!(store.queue_depth().await.unwrap(), QueueDepth::default());
}

async fn a_recorded_delivery_survives_closing_and_reopening(db: &TestDb) {
    {
        let store = db.open().await;
        store.record_delivery(&delivery("d-durable"), &[key(KEY)], T0).await.unwrap();
        // Dropped without `close`: nothing is flushed on the way out.
    }
    let store = db.open().await;
    let row = store.delivery("d-durable").await.unwrap().unwrap();
    assert_eq!(row.body, delivery("d-durable").body);
    let job = leased(&*store, "w1", T0).await;
    assert_eq!(job.causes, ["d-durable"]);
    // The second open re-ran migrations on an up-to-date schema without complaint.
    assert_eq!(
        store.record_delivery(&delivery("d-durable"), &[key(KEY)], T0).await.unwrap(),
        RecordOutcome::Duplicate
    );
}

async fn deliveries_are_marked_processed_and_counted(db: &TestDb) {
    let store = db.open().await;
    for id in ["a", "b", "c"] {
        store.record_delivery(&delivery(id), &[], T0).await.unwrap();
    }
    assert_eq!(store.deliveries_unprocessed().await.unwrap(), 3);
    store.mark_delivery_processed("b", "applied", T0 + 7).await.unwrap();
    assert_eq!(store.deliveries_unprocessed().await.unwrap(), 2);
    let b = store.delivery("b").await.unwrap().unwrap();
    assert_eq!((b.processed_at, b.outcome.as_deref()), (Some(T0 + 7), Some("applied")));

    let err = store.mark_delivery_processed("nope", "applied", T0).await.unwrap_err();
    assert!(matches!(err, StoreError::DeliveryNotFound { .. }), "{err:?}");
    assert!(store.delivery("nope").await.unwrap().is_none());
}

// ---- coalescing ----

async fn triggers_for_a_pending_job_are_absorbed_by_it(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(
        store.record_delivery(&delivery("d1"), &[key(KEY)], T0).await.unwrap(),
        RecordOutcome::Recorded { job: Some(TriggerOutcome::Enqueued) }
    );
    assert_eq!(
        store.record_delivery(&delivery("d2"), &[key(KEY)], T0 + 1).await.unwrap(),
        RecordOutcome::Recorded { job: Some(TriggerOutcome::Coalesced) }
    );
    assert_eq!(
        store.trigger(&key(KEY), &Cause::Sweep, T0 + 2).await.unwrap(),
        TriggerOutcome::Coalesced
    );
    assert_eq!(
        store.trigger(&key("other/repo#3"), &Cause::Sweep, T0 + 3).await.unwrap(),
        TriggerOutcome::Enqueued
    );

    let depth = store.queue_depth().await.unwrap();
    assert_eq!(depth, QueueDepth { pending: 2, leased: 0, dead: 0 });
    let job = leased(&*store, "w1", T0 + 4).await;
    assert_eq!(job.key, key(KEY));
    assert_eq!(job.causes, ["d1", "d2", "sweep"]);
    assert_eq!(job.first_triggered_at, T0);
}

async fn causes_are_deduplicated_and_capped(db: &TestDb) {
    let store = db.open().await;
    for i in 0..(MAX_CAUSES + 20) {
        store.trigger(&key(KEY), &Cause::from(format!("d{i}")), T0).await.unwrap();
        store.trigger(&key(KEY), &Cause::Sweep, T0).await.unwrap();
    }
    let job = leased(&*store, "w1", T0).await;
    assert_eq!(job.causes.len(), MAX_CAUSES);
    assert_eq!(job.causes[..3], ["d0", "sweep", "d1"]);
    assert_eq!(job.causes.iter().filter(|c| *c == "sweep").count(), 1);
}

async fn a_trigger_during_a_run_makes_the_job_run_again(db: &TestDb) {
    let store = db.open().await;
    store.record_delivery(&delivery("d1"), &[key(KEY)], T0).await.unwrap();
    let first = leased(&*store, "w1", T0 + 1).await;

    let outcome = store.record_delivery(&delivery("d2"), &[key(KEY)], T0 + 2).await.unwrap();
    assert_eq!(outcome, RecordOutcome::Recorded { job: Some(TriggerOutcome::Rerun) });
    assert_eq!(
        store.trigger(&key(KEY), &Cause::Sweep, T0 + 3).await.unwrap(),
        TriggerOutcome::Rerun
    );
    // Still one row, and nobody else can take the key meanwhile.
    assert_eq!(store.jobs(JobFilter::All).await.unwrap().len(), 1);
    assert!(store.lease("w2", LEASE, T0 + 3).await.unwrap().is_none());

    store.complete(&first, T0 + 4).await.unwrap();
    let rows = store.jobs(JobFilter::Pending).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].attempts, rows[0].run_after), (0, T0 + 4));

    // The rerun carries only what arrived during the first run.
    let second = leased(&*store, "w2", T0 + 5).await;
    assert_eq!(second.causes, ["d2", "sweep"]);
    assert_eq!(second.first_triggered_at, T0 + 2);
    assert_eq!(second.attempt, 1);
    assert!(second.generation > first.generation);
    store.complete(&second, T0 + 6).await.unwrap();
    assert_eq!(store.queue_depth().await.unwrap(), QueueDepth::default());
}

async fn completing_an_untouched_job_finishes_it(db: &TestDb) {
    let store = db.open().await;
    store.trigger(&key(KEY), &Cause::Sweep, T0).await.unwrap();
    let job = leased(&*store, "w1", T0).await;
    store.complete(&job, T0 + 1).await.unwrap();
    assert!(store.jobs(JobFilter::All).await.unwrap().is_empty());

    // A later trigger starts a new job with a new id: ids in the action log stay unambiguous.
    assert_eq!(
        store.trigger(&key(KEY), &Cause::Sweep, T0 + 2).await.unwrap(),
        TriggerOutcome::Enqueued
    );
    let next = leased(&*store, "w1", T0 + 2).await;
    assert_ne!(next.id, job.id);
}

// ---- leasing ----

async fn a_job_is_not_leased_before_run_after(db: &TestDb) {
    let store = db.open().await;
    store.trigger(&key(KEY), &Cause::Sweep, T0).await.unwrap();
    let job = leased(&*store, "w1", T0).await;
    let FailOutcome::Retry { at } =
        store.fail(&job, "502", Some(Duration::from_secs(60)), 5, T0).await.unwrap()
    else {
        panic!("expected a retry");
    };
    assert_eq!(at, T0 + 60_000);
    assert!(store.lease("w1", LEASE, at - 1).await.unwrap().is_none());
    assert_eq!(leased(&*store, "w1", at).await.attempt, 2);
}

async fn a_leased_job_is_not_handed_out_until_its_lease_expires(db: &TestDb) {
    let store = db.open().await;
    store.trigger(&key(KEY), &Cause::from("d1"), T0).await.unwrap();
    let job = leased(&*store, "w1", T0).await;
    assert_eq!((job.attempt, job.lease_owner.as_str()), (1, "w1"));
    assert_eq!(job.lease_expires, T0 + 30_000);

    assert!(store.lease("w2", LEASE, T0 + 29_999).await.unwrap().is_none());
    let rows = store.jobs(JobFilter::Leased).await.unwrap();
    assert_eq!(rows[0].lease_owner.as_deref(), Some("w1"));
    assert_eq!(rows[0].lease_expires, Some(T0 + 30_000));

    // w1 crashed: once the lease expires the job is taken over, as the next attempt.
    store.trigger(&key(KEY), &Cause::from("d2"), T0 + 10).await.unwrap();
    let taken = leased(&*store, "w2", T0 + 30_000).await;
    assert_eq!((taken.id, taken.attempt, taken.lease_owner.as_str()), (job.id, 2, "w2"));
    assert_eq!(taken.causes, ["d1", "d2"]);
    assert_eq!(taken.first_triggered_at, T0);
}

async fn renewing_extends_the_lease(db: &TestDb) {
    let store = db.open().await;
    store.trigger(&key(KEY), &Cause::Sweep, T0).await.unwrap();
    let job = leased(&*store, "w1", T0).await;
    assert!(store.renew(&job, LEASE, T0 + 20_000).await.unwrap());
    assert!(store.lease("w2", LEASE, T0 + 40_000).await.unwrap().is_none());
    assert_eq!(leased(&*store, "w2", T0 + 50_000).await.attempt, 2);
}

async fn a_worker_that_lost_its_lease_cannot_touch_the_job(db: &TestDb) {
    let store = db.open().await;
    store.trigger(&key(KEY), &Cause::Sweep, T0).await.unwrap();
    let stale = leased(&*store, "w1", T0).await;
    let fresh = leased(&*store, "w2", T0 + 30_000).await;
    let before = store.jobs(JobFilter::All).await.unwrap();

    assert!(!store.renew(&stale, LEASE, T0 + 30_001).await.unwrap());
    let err = store.complete(&stale, T0 + 30_002).await.unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost { id, .. } if id == stale.id), "{err:?}");
    let err = store.fail(&stale, "boom", None, 1, T0 + 30_003).await.unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err:?}");
    assert_eq!(store.jobs(JobFilter::All).await.unwrap(), before);

    // Even the same worker name, leasing again, is a different lease.
    let stale_again = Job { lease_owner: "w2".to_owned(), ..stale.clone() };
    assert!(!store.renew(&stale_again, LEASE, T0 + 30_004).await.unwrap());

    assert!(store.renew(&fresh, LEASE, T0 + 30_005).await.unwrap());
    store.complete(&fresh, T0 + 30_006).await.unwrap();
    assert_eq!(store.queue_depth().await.unwrap(), QueueDepth::default());
}

async fn a_late_worker_may_still_finish_if_nobody_took_over(db: &TestDb) {
    let store = db.open().await;
    store.trigger(&key(KEY), &Cause::Sweep, T0).await.unwrap();
    let job = leased(&*store, "w1", T0).await;
    store.complete(&job, T0 + 60_000).await.unwrap();
    assert!(store.jobs(JobFilter::All).await.unwrap().is_empty());
}

// ---- failures ----

async fn failed_attempts_back_off_with_full_jitter_within_bounds(db: &TestDb) {
    let store = db.open().await;
    let mut now = T0;
    for attempt in 1..=13u32 {
        let ceiling = i64::try_from(backoff_ceiling(attempt).as_millis()).unwrap();
        let mut waits = Vec::new();
        for sample in 0..8 {
            let key = format!("o/r-{sample}#{attempt}");
            store.trigger(&support::key(&key), &Cause::Sweep, now).await.unwrap();
            // Earlier attempts fail with a zero Retry-After to reach attempt `attempt` quickly.
            let mut job = leased(&*store, "w", now).await;
            while job.attempt < attempt {
                store.fail(&job, "again", Some(Duration::ZERO), 100, now).await.unwrap();
                job = leased(&*store, "w", now).await;
            }
            assert_eq!((job.key.to_string(), job.attempt), (key, attempt));
            let FailOutcome::Retry { at } = store.fail(&job, "502", None, 100, now).await.unwrap()
            else {
                panic!("expected a retry");
            };
            let wait = at - now;
            assert!((0..=ceiling).contains(&wait), "attempt {attempt}: waited {wait} > {ceiling}");
            waits.push(wait);
            // Retire the job so it does not come back in later rounds.
            let job = leased(&*store, "w", at).await;
            assert_eq!(store.fail(&job, "retire", None, 1, at).await.unwrap(), FailOutcome::Dead);
            now = at + 1;
        }
        assert!(waits.iter().any(|w| *w != ceiling), "attempt {attempt}: {waits:?}");
    }
    assert_eq!(backoff_ceiling(13), Duration::from_secs(600));
}

async fn retry_after_is_honoured_exactly(db: &TestDb) {
    let store = db.open().await;
    // Longer than the backoff cap, shorter than any jitter ceiling, and zero: used as given.
    for (attempt, wait) in [(1, 3_600_000), (9, 1), (4, 0)] {
        let key = format!("o/r#{wait}");
        store.trigger(&support::key(&key), &Cause::Sweep, T0).await.unwrap();
        let mut job = leased(&*store, "w", T0).await;
        while job.attempt < attempt {
            store.fail(&job, "again", Some(Duration::ZERO), 100, T0).await.unwrap();
            job = leased(&*store, "w", T0).await;
        }
        let retry_after = Some(Duration::from_millis(wait));
        let outcome = store.fail(&job, "rate limited", retry_after, 100, T0).await.unwrap();
        let at = T0 + i64::try_from(wait).unwrap();
        assert_eq!(outcome, FailOutcome::Retry { at });
        if wait > 0 {
            assert!(store.lease("w", LEASE, at - 1).await.unwrap().is_none());
        }
        // Retire it so the next round's lease finds only its own job.
        let job = leased(&*store, "w", at).await;
        assert_eq!(job.key.to_string(), key);
        assert_eq!(store.fail(&job, "retire", None, 1, at).await.unwrap(), FailOutcome::Dead);
    }
}

async fn a_job_out_of_attempts_is_dead_lettered_with_its_last_error(db: &TestDb) {
    let store = db.open().await;
    store.record_delivery(&delivery("d1"), &[key(KEY)], T0).await.unwrap();
    let mut now = T0;
    for attempt in 1..=3 {
        let job = leased(&*store, "w", now).await;
        assert_eq!(job.attempt, attempt);
        let outcome = store.fail(&job, &format!("502 on attempt {attempt}"), None, 3, now).await;
        match outcome.unwrap() {
            FailOutcome::Retry { at } => now = at,
            FailOutcome::Dead => assert_eq!(attempt, 3),
        }
    }
    assert!(store.lease("w", LEASE, now + 86_400_000).await.unwrap().is_none());
    let dead = store.jobs(JobFilter::Dead).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].key.as_str(), dead[0].state.as_str(), dead[0].attempts), (KEY, "dead", 3));
    assert_eq!(dead[0].last_error.as_deref(), Some("502 on attempt 3"));
    assert_eq!((dead[0].lease_owner.clone(), dead[0].lease_expires), (None, None));
    assert_eq!(dead[0].causes, ["d1"]);
    assert_eq!(store.queue_depth().await.unwrap(), QueueDepth { pending: 0, leased: 0, dead: 1 });
    assert!(store.jobs(JobFilter::Pending).await.unwrap().is_empty());
}

async fn retrying_a_dead_job_makes_it_pending_with_attempts_reset(db: &TestDb) {
    let store = db.open().await;
    store.trigger(&key(KEY), &Cause::Sweep, T0).await.unwrap();
    let job = leased(&*store, "w", T0).await;
    assert_eq!(store.fail(&job, "bad", None, 1, T0).await.unwrap(), FailOutcome::Dead);

    assert!(!store.retry_dead("no/such#1", T0 + 1).await.unwrap());
    assert!(store.retry_dead(KEY, T0 + 1).await.unwrap());
    assert!(!store.retry_dead(KEY, T0 + 2).await.unwrap(), "no longer dead");
    let pending = store.jobs(JobFilter::Pending).await.unwrap();
    assert_eq!((pending[0].attempts, pending[0].run_after), (0, T0 + 1));
    assert_eq!(pending[0].last_error.as_deref(), Some("bad"), "kept for the record");
    assert_eq!(leased(&*store, "w", T0 + 1).await.attempt, 1);
}

async fn a_trigger_brings_a_dead_job_back(db: &TestDb) {
    let store = db.open().await;
    store.trigger(&key(KEY), &Cause::from("d1"), T0).await.unwrap();
    let job = leased(&*store, "w", T0).await;
    store.fail(&job, "bad", None, 1, T0).await.unwrap();

    assert_eq!(
        store.trigger(&key(KEY), &Cause::from("d2"), T0 + 5).await.unwrap(),
        TriggerOutcome::Enqueued
    );
    let job = leased(&*store, "w", T0 + 5).await;
    assert_eq!(job.attempt, 1);
    assert_eq!(job.causes, ["d1", "d2"]);
}

async fn a_trigger_during_the_last_attempt_starts_a_fresh_series(db: &TestDb) {
    let store = db.open().await;
    store.trigger(&key(KEY), &Cause::from("d1"), T0).await.unwrap();
    let job = leased(&*store, "w", T0).await;
    store.trigger(&key(KEY), &Cause::from("d2"), T0 + 1).await.unwrap();
    let outcome = store.fail(&job, "bad", Some(Duration::from_secs(2)), 1, T0 + 2).await.unwrap();
    assert_eq!(outcome, FailOutcome::Retry { at: T0 + 2_002 });
    let job = leased(&*store, "w", T0 + 2_002).await;
    assert_eq!(job.attempt, 1);
    assert_eq!(job.causes, ["d1", "d2"]);
}

async fn a_retry_keeps_the_triggers_that_arrived_during_the_failed_run(db: &TestDb) {
    let store = db.open().await;
    store.trigger(&key(KEY), &Cause::from("d1"), T0).await.unwrap();
    let job = leased(&*store, "w", T0).await;
    assert_eq!(
        store.trigger(&key(KEY), &Cause::from("d2"), T0 + 1).await.unwrap(),
        TriggerOutcome::Rerun
    );
    store.fail(&job, "502", Some(Duration::ZERO), 5, T0 + 2).await.unwrap();
    let rows = store.jobs(JobFilter::All).await.unwrap();
    assert_eq!(
        (rows[0].state.as_str(), rows[0].causes.clone()),
        ("pending", vec!["d1".into(), "d2".into()])
    );
    let job = leased(&*store, "w", T0 + 2).await;
    assert_eq!((job.attempt, job.causes.len()), (2, 2));
    store.complete(&job, T0 + 3).await.unwrap();
    assert!(store.jobs(JobFilter::All).await.unwrap().is_empty());
}

// ---- listing ----

async fn jobs_are_listed_by_state(db: &TestDb) {
    let store = db.open().await;
    for key in ["a/b#1", "a/b#2", "a/b#3"] {
        store.trigger(&support::key(key), &Cause::Sweep, T0).await.unwrap();
    }
    let first = leased(&*store, "w", T0).await;
    let second = leased(&*store, "w", T0).await;
    store.fail(&second, "bad", None, 1, T0).await.unwrap();

    let keys =
        |rows: Vec<plasma_store::JobRow>| rows.into_iter().map(|r| r.key).collect::<Vec<_>>();
    assert_eq!(keys(store.jobs(JobFilter::All).await.unwrap()), ["a/b#1", "a/b#2", "a/b#3"]);
    assert_eq!(keys(store.jobs(JobFilter::Leased).await.unwrap()), [first.key.to_string()]);
    assert_eq!(keys(store.jobs(JobFilter::Dead).await.unwrap()), [second.key.to_string()]);
    assert_eq!(keys(store.jobs(JobFilter::Pending).await.unwrap()), ["a/b#3"]);
    assert_eq!(store.queue_depth().await.unwrap(), QueueDepth { pending: 1, leased: 1, dead: 1 });

    let json = serde_json::to_value(store.jobs(JobFilter::Dead).await.unwrap()).unwrap();
    assert_eq!(json[0]["state"], "dead");
    assert_eq!(json[0]["last_error"], "bad");
    assert_eq!(
        serde_json::to_value(QueueDepth { pending: 1, leased: 2, dead: 3 }).unwrap(),
        json!({"pending": 1, "leased": 2, "dead": 3})
    );
}

// ---- action log and memories ----

async fn the_action_log_returns_the_newest_entries_first(db: &TestDb) {
    let store = db.open().await;
    for i in 0..5 {
        store
            .log_action(&NewAction {
                job_key: KEY.to_owned(),
                delivery_id: (i % 2 == 0).then(|| format!("d{i}")),
                job_id: Some(7),
                kind: "add_label".to_owned(),
                dry_run: i == 4,
                before: json!({"labels": []}),
                after: json!({"labels": [format!("status:{i}")]}),
                at: T0 + i,
            })
            .await
            .unwrap();
    }
    store
        .log_action(&NewAction {
            job_key: "other/repo#1".to_owned(),
            delivery_id: None,
            job_id: None,
            kind: "set_status".to_owned(),
            dry_run: false,
            before: json!(null),
            after: json!({"state": "success"}),
            at: T0,
        })
        .await
        .unwrap();

    let rows = store.actions(KEY, 3).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.iter().map(|r| r.at).collect::<Vec<_>>(), [T0 + 4, T0 + 3, T0 + 2]);
    assert!(rows[0].id > rows[1].id);
    assert_eq!(
        (rows[0].delivery_id.as_deref(), rows[0].job_id, rows[0].dry_run),
        (Some("d4"), Some(7), true)
    );
    assert_eq!((rows[1].delivery_id.as_deref(), rows[1].dry_run), (None, false));
    assert_eq!(rows[0].after, json!({"labels": ["status:4"]}));
    assert_eq!(rows[0].before, json!({"labels": []}));
    assert_eq!(store.actions(KEY, 100).await.unwrap().len(), 5);
    let other = store.actions("other/repo#1", 10).await.unwrap();
    assert_eq!((other[0].before.clone(), other[0].kind.as_str()), (json!(null), "set_status"));
}

async fn rereview_requests_are_remembered_per_head_sha(db: &TestDb) {
    let store = db.open().await;
    assert!(!store.rereview_requested(KEY, "abc").await.unwrap());
    store.record_rereview(KEY, "abc", T0).await.unwrap();
    store.record_rereview(KEY, "abc", T0 + 1).await.unwrap();
    assert!(store.rereview_requested(KEY, "abc").await.unwrap());
    assert!(!store.rereview_requested(KEY, "def").await.unwrap());
    assert!(!store.rereview_requested("other/repo#1", "abc").await.unwrap());
}

async fn applied_agent_labels_are_replaced_as_a_set(db: &TestDb) {
    let store = db.open().await;
    assert!(store.applied_agent_labels(KEY).await.unwrap().is_empty());
    let pair = |l: &str, f: &str| (l.to_owned(), f.to_owned());

    store
        .set_applied_agent_labels(KEY, &[pair("agent:rust", "f1"), pair("agent:docs", "f2")])
        .await
        .unwrap();
    store.set_applied_agent_labels("other/repo#1", &[pair("agent:ci", "f9")]).await.unwrap();
    assert_eq!(
        store.applied_agent_labels(KEY).await.unwrap(),
        [pair("agent:docs", "f2"), pair("agent:rust", "f1")]
    );

    // Replaced, not merged; a label repeated in one call keeps its last fingerprint.
    store
        .set_applied_agent_labels(KEY, &[pair("agent:rust", "f3"), pair("agent:rust", "f4")])
        .await
        .unwrap();
    assert_eq!(store.applied_agent_labels(KEY).await.unwrap(), [pair("agent:rust", "f4")]);
    store.set_applied_agent_labels(KEY, &[]).await.unwrap();
    assert!(store.applied_agent_labels(KEY).await.unwrap().is_empty());
    assert_eq!(store.applied_agent_labels("other/repo#1").await.unwrap(), [pair("agent:ci", "f9")]);
}

async fn a_pull_requests_memory_is_read_before_and_written_after_in_one_call_each(db: &TestDb) {
    let store = db.open().await;
    let pair = |l: &str, f: &str| (l.to_owned(), f.to_owned());
    assert_eq!(store.pr_memory(KEY, "abc").await.unwrap(), PrMemory::default());
    let action = NewAction {
        job_key: KEY.to_owned(),
        delivery_id: None,
        job_id: None,
        kind: "request_rereview".to_owned(),
        dry_run: false,
        before: json!(null),
        after: json!({"sha": "abc"}),
        at: T0,
    };
    let memory = PrMemory {
        rereview_requested_for_head: true,
        applied_agent_labels: vec![pair("agent:docs", "f1")],
    };
    store
        .record_reconcile(KEY, "abc", std::slice::from_ref(&action), Some(&memory), None, T0)
        .await
        .unwrap();
    assert_eq!(store.pr_memory(KEY, "abc").await.unwrap(), memory);
    // The re-review is remembered per head; a new head starts without one.
    let next = store.pr_memory(KEY, "def").await.unwrap();
    assert!(!next.rereview_requested_for_head);
    assert_eq!(next.applied_agent_labels, memory.applied_agent_labels);
    // Without a memory (a dry run, a failure) only the actions are written.
    store.record_reconcile(KEY, "def", &[action], None, None, T0 + 1).await.unwrap();
    assert_eq!(store.pr_memory(KEY, "abc").await.unwrap(), memory);
    assert!(!store.pr_memory(KEY, "def").await.unwrap().rereview_requested_for_head);
    assert_eq!(store.actions(KEY, 10).await.unwrap().len(), 2);
}

async fn one_delivery_triggers_every_pull_request_it_names_atomically(db: &TestDb) {
    let store = db.open().await;
    let outcome = store
        .record_delivery(&delivery("d-multi"), &[key("o/r#1"), key("o/r#2")], T0)
        .await
        .unwrap();
    assert_eq!(outcome, RecordOutcome::Recorded { job: Some(TriggerOutcome::Enqueued) });
    let pending = store.jobs(JobFilter::Pending).await.unwrap();
    let keys: Vec<&str> = pending.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.contains(&"o/r#1") && keys.contains(&"o/r#2"));
}

async fn concurrent_deliveries_keep_their_own_outcomes(db: &TestDb) {
    let store = db.open().await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let store = std::sync::Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            // 50 distinct ids, 14 of them sent twice at the same time.
            let id = format!("g-{}", i % 50);
            let key = format!("o/r#{}", i % 10);
            store.record_delivery(&delivery(&id), &[support::key(&key)], T0).await.unwrap()
        }));
    }
    let mut recorded = 0;
    let mut duplicates = 0;
    for t in tasks {
        match t.await.unwrap() {
            RecordOutcome::Recorded { job: Some(_) } => recorded += 1,
            RecordOutcome::Duplicate => duplicates += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((recorded, duplicates), (50, 14));
    assert_eq!(store.jobs(JobFilter::Pending).await.unwrap().len(), 10);
}

async fn batched_action_log_and_processed_marks_are_one_transaction_each(db: &TestDb) {
    let store = db.open().await;
    let actions: Vec<NewAction> = (0..3)
        .map(|i| NewAction {
            job_key: KEY.to_owned(),
            delivery_id: Some("d1".into()),
            job_id: Some(1),
            kind: format!("write-{i}"),
            dry_run: false,
            before: json!(null),
            after: json!({"i": i}),
            at: T0 + i,
        })
        .collect();
    store.log_actions(&actions).await.unwrap();
    assert_eq!(store.actions(KEY, 10).await.unwrap().len(), 3);
    store.record_delivery(&delivery("m1"), &[key(KEY)], T0).await.unwrap();
    store.record_delivery(&delivery("m2"), &[key(KEY)], T0).await.unwrap();
    let ids = vec!["m1".to_string(), "m2".to_string(), "unknown".to_string()];
    assert_eq!(store.mark_deliveries_processed(&ids, "applied", T0 + 5).await.unwrap(), 2);
    assert_eq!(store.deliveries_unprocessed().await.unwrap(), 0);
}

async fn deliveries_naming_pull_requests_in_opposite_orders_all_commit(db: &TestDb) {
    // Two store instances (two replicas, or two processes on one SQLite file), each delivery
    // locking three job rows, half of them in the reverse order: none may deadlock or be lost.
    let stores = [db.open().await, db.open().await];
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = stores[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            let keys =
                if i % 2 == 0 { ["o/r#1", "o/r#2", "o/r#3"] } else { ["o/r#3", "o/r#2", "o/r#1"] };
            store.record_delivery(&delivery(&format!("x-{i}")), &keys.map(key), T0).await.unwrap()
        }));
    }
    for task in tasks {
        let outcome = task.await.unwrap();
        assert!(matches!(outcome, RecordOutcome::Recorded { job: Some(_) }), "{outcome:?}");
    }
    let pending = stores[0].jobs(JobFilter::Pending).await.unwrap();
    assert_eq!(pending.len(), 3);
    for job in &pending {
        assert_eq!(job.causes.len(), 40, "{}", job.key);
    }

    // The outcome reported is the first key's as given (here pending, so coalesced), whatever
    // order the store locks the rows in.
    let outcome = stores[1]
        .record_delivery(&delivery("x-order"), &[key("o/r#2"), key("a/b#1")], T0)
        .await
        .unwrap();
    assert_eq!(outcome, RecordOutcome::Recorded { job: Some(TriggerOutcome::Coalesced) });
    assert_eq!(stores[0].jobs(JobFilter::Pending).await.unwrap().len(), 4);
}

// ---- retention ----

async fn retention_deletes_old_processed_deliveries_and_actions_only(db: &TestDb) {
    let store = db.open().await;
    let day = 86_400_000;
    // More than one batch of old processed deliveries, so `prune` has to loop.
    let old = usize::try_from(PRUNE_BATCH).unwrap() + 250;
    for i in 0..old {
        let mut d = delivery(&format!("old-{i}"));
        d.received_at = T0 - 10 * day;
        store.record_delivery(&d, &[], T0 - 10 * day).await.unwrap();
    }
    let ids: Vec<String> = (0..old).map(|i| format!("old-{i}")).collect();
    store.mark_deliveries_processed(&ids, "applied", T0 - 10 * day).await.unwrap();
    // Old but never processed: owed work, kept whatever its age.
    let mut owed = delivery("old-unprocessed");
    owed.received_at = T0 - 30 * day;
    store.record_delivery(&owed, &[key(KEY)], T0 - 30 * day).await.unwrap();
    // Recent and processed: inside the retention.
    let mut fresh = delivery("fresh");
    fresh.received_at = T0 - day;
    store.record_delivery(&fresh, &[], T0 - day).await.unwrap();
    store.mark_delivery_processed("fresh", "applied", T0 - day).await.unwrap();
    for (i, at) in [T0 - 100 * day, T0 - 91 * day, T0 - 89 * day, T0].into_iter().enumerate() {
        store
            .log_action(&NewAction {
                job_key: KEY.to_owned(),
                delivery_id: None,
                job_id: None,
                kind: format!("kind-{i}"),
                dry_run: false,
                before: json!(null),
                after: json!(null),
                at,
            })
            .await
            .unwrap();
    }

    let pruned = prune(&*store, Prunable::Deliveries, T0 - 7 * day).await.unwrap();
    assert_eq!(pruned, u64::try_from(old).unwrap());
    assert!(store.delivery("old-0").await.unwrap().is_none());
    assert!(store.delivery("old-unprocessed").await.unwrap().is_some());
    assert!(store.delivery("fresh").await.unwrap().is_some());
    assert_eq!(store.deliveries_unprocessed().await.unwrap(), 1);
    // The owed delivery's job is untouched.
    assert_eq!(store.jobs(JobFilter::Pending).await.unwrap().len(), 1);

    assert_eq!(prune(&*store, Prunable::Actions, T0 - 90 * day).await.unwrap(), 2);
    let kinds: Vec<String> =
        store.actions(KEY, 10).await.unwrap().into_iter().map(|a| a.kind).collect();
    assert_eq!(kinds, ["kind-3", "kind-2"]);
    // Nothing left to prune: a second pass deletes nothing.
    assert_eq!(prune(&*store, Prunable::Deliveries, T0 - 7 * day).await.unwrap(), 0);
    assert_eq!(prune(&*store, Prunable::Actions, T0 - 90 * day).await.unwrap(), 0);
}

// ---- schedules ----

async fn a_schedule_is_claimed_once_per_period(db: &TestDb) {
    let store = db.open().await;
    let minute = Duration::from_secs(60);
    assert!(store.claim_schedule("sweep", "replica-a", minute, T0).await.unwrap());
    assert!(!store.claim_schedule("sweep", "replica-b", minute, T0 + 1).await.unwrap());
    assert!(!store.claim_schedule("sweep", "replica-a", minute, T0 + 59_999).await.unwrap());
    // Other tasks have periods of their own.
    assert!(store.claim_schedule("report", "replica-b", minute, T0 + 1).await.unwrap());
    assert!(store.claim_schedule("sweep", "replica-b", minute, T0 + 60_000).await.unwrap());
    assert!(!store.claim_schedule("sweep", "replica-a", minute, T0 + 60_001).await.unwrap());
    // A period nobody claimed (every replica was down) is simply skipped: the next claim wins.
    assert!(store.claim_schedule("sweep", "replica-a", minute, T0 + 600_000).await.unwrap());
}

async fn replicas_racing_for_a_schedule_period_let_exactly_one_win(db: &TestDb) {
    let stores = [db.open().await, db.open().await, db.open().await];
    for period in 0..5 {
        let now = T0 + period * 60_000;
        let mut tasks = Vec::new();
        for (r, store) in stores.iter().enumerate() {
            for w in 0..4 {
                let store = store.clone();
                tasks.push(tokio::spawn(async move {
                    let owner = format!("replica{r}-{w}");
                    store.claim_schedule("sweep", &owner, Duration::from_secs(60), now).await
                }));
            }
        }
        let mut winners = 0;
        for task in tasks {
            winners += usize::from(task.await.unwrap().unwrap());
        }
        assert_eq!(winners, 1, "period {period}");
    }
}

fn verdict_row(key: &str, title: &str, state: &str, open: bool, at: i64) -> PrVerdictRow {
    let (repository, number) = key.split_once('#').unwrap();
    PrVerdictRow {
        job_key: key.to_owned(),
        repository: repository.to_owned(),
        number: number.parse().unwrap(),
        title: title.to_owned(),
        author: "octocat".to_owned(),
        head_sha: "abc".to_owned(),
        open,
        state: state.to_owned(),
        first_blocker: Some("title must follow Conventional Commits".to_owned()),
        findings: json!([{"rule": "title-format", "severity": "error", "fix": "rename it"}]),
        agent_labels: vec!["agent:docs".to_owned(), "agent:rust".to_owned()],
        summary: "## plasma-ops\n- <b>x</b>".to_owned(),
        last_event_at: Some(at - 5),
        dry_run: true,
        updated_at: at,
        first_seen_at: at,
    }
}

async fn the_last_verdict_per_pull_request_is_kept_with_the_reconcile(db: &TestDb) {
    let store = db.open().await;
    assert!(store.open_verdicts().await.unwrap().is_empty());
    assert_eq!(store.verdict(KEY).await.unwrap(), None);
    let first = verdict_row(KEY, "<script>alert(1)</script>", "needs_fix", true, T0);
    let action = NewAction {
        job_key: KEY.to_owned(),
        delivery_id: Some("d-1".to_owned()),
        job_id: None,
        kind: "set_labels".to_owned(),
        dry_run: true,
        before: json!({"labels": []}),
        after: json!({"labels": ["x"]}),
        at: T0,
    };
    store.record_reconcile(KEY, "abc", &[action], None, Some(&first), T0).await.unwrap();
    assert_eq!(store.verdict(KEY).await.unwrap(), Some(first.clone()));
    assert_eq!(store.actions(KEY, 10).await.unwrap().len(), 1);
    // A later verdict replaces the earlier; other keys are their own rows, by repository, number.
    let later = PrVerdictRow {
        state: "ready".into(),
        first_blocker: None,
        updated_at: T0 + 1,
        ..first.clone()
    };
    store.record_reconcile(KEY, "abc", &[], None, Some(&later), T0 + 1).await.unwrap();
    let other = verdict_row("a/b#3", "fix: b", "needs_review", true, T0 + 2);
    store.record_reconcile("a/b#3", "abc", &[], None, Some(&other), T0 + 2).await.unwrap();
    let open = store.open_verdicts().await.unwrap();
    assert_eq!(open, [other.clone(), later.clone()]);
    // No verdict leaves the last one; a closed pull request leaves the pipeline but keeps its row.
    store.record_reconcile(KEY, "abc", &[], None, None, T0 + 3).await.unwrap();
    assert_eq!(store.verdict(KEY).await.unwrap(), Some(later.clone()));
    // The first time seen stays the first row's, whatever a later row says.
    let closed = PrVerdictRow { open: false, updated_at: T0 + 4, first_seen_at: 0, ..later };
    store.record_reconcile(KEY, "abc", &[], None, Some(&closed), T0 + 4).await.unwrap();
    assert_eq!(store.open_verdicts().await.unwrap(), [other]);
    assert_eq!(
        store.verdict(KEY).await.unwrap(),
        Some(PrVerdictRow { first_seen_at: T0, ..closed })
    );
}

async fn delivery_latencies_are_read_for_applied_deliveries(db: &TestDb) {
    let store = db.open().await;
    store.record_delivery(&delivery("d-a"), &[], T0).await.unwrap();
    store.record_delivery(&delivery("d-b"), &[], T0).await.unwrap();
    store.record_delivery(&delivery("d-c"), &[], T0).await.unwrap();
    store.mark_delivery_processed("d-a", "applied", T0 + 250).await.unwrap();
    store.mark_delivery_processed("d-b", "ignored", T0 + 10).await.unwrap();
    assert_eq!(store.delivery_latencies(T0, 10).await.unwrap(), [(T0, T0 + 250)]);
    assert!(store.delivery_latencies(T0 + 251, 10).await.unwrap().is_empty());
}
