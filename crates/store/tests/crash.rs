//! A committed delivery survives the process dying without any shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;

use plasma_store::{RecordOutcome, Store, TriggerOutcome};
use support::{T0, TempDb, delivery};

/// Set in the child process: the database it records into before aborting.
const CHILD_DB: &str = "PLASMA_STORE_TEST_CRASH_DB";
const KEY: &str = "plasma/engine#7";

#[tokio::test]
async fn a_committed_delivery_survives_the_process_aborting() {
    if let Ok(path) = std::env::var(CHILD_DB) {
        // The child: commit, then die at once, as SIGKILL or a panic=abort would leave things.
        let store = plasma_store::SqliteStore::open(&path).await.unwrap();
        let outcome =
            store.record_delivery(&delivery("d-crash"), &[KEY.parse().unwrap()], T0).await.unwrap();
        assert_eq!(outcome, RecordOutcome::Recorded { job: Some(TriggerOutcome::Enqueued) });
        std::process::abort();
    }

    let db = TempDb::new("crash");
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["a_committed_delivery_survives_the_process_aborting", "--exact", "--nocapture"])
        .env(CHILD_DB, db.path_str())
        .status()
        .unwrap();
    assert!(!status.success(), "the child was meant to abort");

    let store = db.open().await;
    let row = store.delivery("d-crash").await.unwrap().expect("the delivery survived");
    assert_eq!(row.body, delivery("d-crash").body);
    let job = store.lease("w", std::time::Duration::from_secs(30), T0).await.unwrap();
    assert_eq!(
        job.map(|j| (j.key.to_string(), j.causes)),
        Some((KEY.to_owned(), vec![plasma_store::Cause::from("d-crash")]))
    );
}
