//! Many workers racing for jobs while triggers keep arriving: no key is ever worked by two workers
//! at once, and every trigger is eventually covered by a successful run. Run against SQLite (two
//! stores on one file, as two processes would) and PostgreSQL (three stores with their own pools
//! on one database, as three `serve` replicas would).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plasma_store::{
    Cause, FailOutcome, JobKey, QueueDepth, RecordOutcome, Store, StoreError, TriggerOutcome,
};
use rand::Rng;
use support::{Backend, T0, TestDb, delivery};

const KEYS: u64 = 50;
const PRODUCERS: usize = 2;
const TRIGGERS_PER_PRODUCER: usize = 300;
const WORKERS_PER_STORE: usize = 4;
/// Long against the work (a few milliseconds) but short against the virtual clock idle workers
/// push forward, so abandoned leases expire within the test.
const LEASE: Duration = Duration::from_secs(60);

/// Everything the test observes, for the assertions at the end.
#[derive(Default)]
struct Observed {
    /// key -> (worker, lease, expiry) of the newest lease whose worker may still be working.
    /// A lease is (job id, generation): ids grow, and generations grow within a job.
    holders: HashMap<JobKey, (String, (i64, i64), i64)>,
    /// Leases granted while another worker's unexpired lease on the same key was outstanding.
    overlaps: Vec<String>,
    /// (key, sequence number taken before the lease, causes) of every run that completed.
    completed: Vec<(JobKey, u64, Vec<Cause>)>,
    /// (key, cause, sequence number taken after the trigger committed).
    triggers: Vec<(JobKey, String, u64)>,
    outcomes: HashMap<&'static str, u64>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_workers_never_share_a_key_and_every_trigger_is_processed() {
    // Two stores on one file behave like two processes: SQLite's lock, not the in-process write
    // gate, has to keep them apart.
    let db = TestDb::new(Backend::Sqlite, "race").await;
    race(vec![db.open().await, db.open().await]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas_never_share_a_key_and_every_trigger_is_processed() {
    // Three pools on one database are three replicas: only row locks (`FOR UPDATE SKIP LOCKED`
    // in lease, `FOR UPDATE` in trigger, complete and fail) keep them apart.
    let db = TestDb::new(Backend::Postgres, "race").await;
    race(vec![db.open().await, db.open().await, db.open().await]).await;
}

async fn race(stores: Vec<Arc<dyn Store>>) {
    let clock = Arc::new(AtomicI64::new(T0));
    let seq = Arc::new(AtomicU64::new(0));
    let observed = Arc::new(Mutex::new(Observed::default()));
    let producing = Arc::new(AtomicBool::new(true));

    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        let store = stores[p % stores.len()].clone();
        let (clock, seq, observed) = (clock.clone(), seq.clone(), observed.clone());
        producers.push(tokio::spawn(async move {
            for n in 0..TRIGGERS_PER_PRODUCER {
                let (key, use_delivery, redeliver, pause) = {
                    let mut rng = rand::rng();
                    let key = JobKey::Pr {
                        repo: "plasma/engine".into(),
                        number: rng.random_range(0..KEYS),
                    };
                    (key, rng.random_bool(0.7), rng.random_bool(0.1), rng.random_range(0..300))
                };
                let cause = format!("d-{p}-{n}");
                let now = clock.load(Ordering::SeqCst);
                let outcome = if use_delivery {
                    match store
                        .record_delivery(&delivery(&cause), std::slice::from_ref(&key), now)
                        .await
                        .unwrap()
                    {
                        RecordOutcome::Recorded { job: Some(outcome) } => outcome,
                        other => panic!("{cause}: {other:?}"),
                    }
                } else {
                    store.trigger(&key, &Cause::from(cause.as_str()), now).await.unwrap()
                };
                let after = seq.fetch_add(1, Ordering::SeqCst);
                {
                    let mut o = observed.lock().unwrap();
                    o.triggers.push((key.clone(), cause.clone(), after));
                    let name = match outcome {
                        TriggerOutcome::Enqueued => "enqueued",
                        TriggerOutcome::Coalesced => "coalesced",
                        TriggerOutcome::Rerun => "rerun",
                    };
                    *o.outcomes.entry(name).or_default() += 1;
                }
                if use_delivery && redeliver {
                    let again = store
                        .record_delivery(&delivery(&cause), std::slice::from_ref(&key), now)
                        .await;
                    assert_eq!(again.unwrap(), RecordOutcome::Duplicate);
                }
                tokio::time::sleep(Duration::from_micros(pause)).await;
            }
        }));
    }

    let mut workers = Vec::new();
    for (s, store) in stores.iter().enumerate() {
        for w in 0..WORKERS_PER_STORE {
            let store = store.clone();
            let (clock, seq, observed, producing) =
                (clock.clone(), seq.clone(), observed.clone(), producing.clone());
            let name = format!("store{s}-worker{w}");
            workers.push(tokio::spawn(async move {
                loop {
                    let before = seq.fetch_add(1, Ordering::SeqCst);
                    let now = clock.load(Ordering::SeqCst);
                    let Some(job) = store.lease(&name, LEASE, now).await.unwrap() else {
                        let depth = store.queue_depth().await.unwrap();
                        if !producing.load(Ordering::SeqCst) && depth == QueueDepth::default() {
                            return;
                        }
                        // Idle: let virtual time pass, so backoffs and abandoned leases come due.
                        clock.fetch_add(100, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_micros(200)).await;
                        continue;
                    };
                    {
                        let mut o = observed.lock().unwrap();
                        let lease = (job.id, job.generation);
                        let previous = o.holders.get(&job.key).cloned();
                        if let Some((holder, other, expires)) = &previous
                            && *other < lease
                            && *expires > now
                        {
                            let overlap = format!(
                                "{} leased to {name} at {now} while {holder} held it until {expires}",
                                job.key
                            );
                            o.overlaps.push(overlap);
                        }
                        // A worker that was slow to get here must not overwrite a newer lease.
                        if previous.is_none_or(|(_, other, _)| other < lease) {
                            o.holders.insert(job.key.clone(), (name.clone(), lease, job.lease_expires));
                        }
                    }

                    let (work, roll) = {
                        let mut rng = rand::rng();
                        (rng.random_range(0..3_000), rng.random_range(0..100))
                    };
                    tokio::time::sleep(Duration::from_micros(work)).await;
                    let now = clock.load(Ordering::SeqCst);
                    if !store.renew(&job, LEASE, now).await.unwrap() {
                        continue; // lost it: the new holder does the work
                    }
                    if let Some((_, lease, expires)) =
                        observed.lock().unwrap().holders.get_mut(&job.key)
                        && *lease == (job.id, job.generation)
                    {
                        *expires = now + 60_000;
                    }

                    // The worker stops working before it reports back: until the report commits
                    // the store still counts the lease, so nobody else can take the key meanwhile.
                    let release = || {
                        let mut o = observed.lock().unwrap();
                        if o.holders.get(&job.key).is_some_and(|h| h.1 == (job.id, job.generation)) {
                            o.holders.remove(&job.key);
                        }
                    };
                    match roll {
                        // Crash: walk away holding the lease; it must expire before anyone else
                        // gets the key (the holder entry stays to check exactly that).
                        0..5 => {}
                        5..15 => {
                            release();
                            let retry = Some(Duration::from_millis(500));
                            match store.fail(&job, "502 from GitHub", retry, 1_000, now).await {
                                Ok(FailOutcome::Retry { .. }) => {}
                                Ok(FailOutcome::Dead) => panic!("{}: dead", job.key),
                                Err(StoreError::LeaseLost { .. }) => {}
                                Err(e) => panic!("{e}"),
                            }
                        }
                        _ => {
                            release();
                            match store.complete(&job, now).await {
                                Ok(()) => observed.lock().unwrap().completed.push((
                                    job.key.clone(),
                                    before,
                                    job.causes.clone(),
                                )),
                                Err(StoreError::LeaseLost { .. }) => {}
                                Err(e) => panic!("{e}"),
                            }
                        }
                    }
                }
            }));
        }
    }

    let run = async {
        for producer in producers {
            producer.await.unwrap();
        }
        producing.store(false, Ordering::SeqCst);
        for worker in workers {
            worker.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(120), run).await.expect("the queue drains");

    {
        let o = observed.lock().unwrap();
        println!(
            "triggers {}, runs completed {}, outcomes {:?}, virtual time {} s",
            o.triggers.len(),
            o.completed.len(),
            o.outcomes,
            (clock.load(Ordering::SeqCst) - T0) / 1000
        );
        assert!(o.overlaps.is_empty(), "overlapping leases: {:#?}", o.overlaps);
        assert_eq!(o.triggers.len(), PRODUCERS * TRIGGERS_PER_PRODUCER);
        assert!(o.outcomes.get("rerun").copied().unwrap_or(0) > 0, "no trigger hit a running job");

        let mut missed = Vec::new();
        for (key, cause, triggered) in &o.triggers {
            // Processed: a run that completed successfully was handed this cause, so it started
            // after the trigger committed. (Should the 50-cause cap ever drop the cause from the list,
            // a completed run of the key leased after the trigger returned proves it just as well.)
            let named = o
                .completed
                .iter()
                .any(|(k, _, causes)| k == key && causes.iter().any(|c| c == cause));
            let later = o.completed.iter().any(|(k, leased, _)| k == key && leased > triggered);
            if !named && !later {
                missed.push(format!("{cause} for {key}"));
            }
        }
        assert!(missed.is_empty(), "triggers never processed: {missed:#?}");
    }
    for store in &stores {
        assert_eq!(store.queue_depth().await.unwrap(), QueueDepth::default());
    }
}
