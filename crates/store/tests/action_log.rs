//! Reading the action log across keys (`plasma-ops actions`, the MCP tools), on SQLite and
//! PostgreSQL alike.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use plasma_store::{ActionFilter, NewAction, Store};
use serde_json::json;
use support::{T0, TestDb};

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::TestDb::new(crate::support::Backend::Sqlite, stringify!($name)).await;
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::TestDb::new(crate::support::Backend::Postgres, stringify!($name)).await;
                    super::$name(&db).await;
                }
            )*
        }
    };
}

both_backends!(
    actions_are_filtered_by_key_time_and_mode_newest_first,
    keys_are_listed_first_written_about_first,
    an_empty_log_reads_as_nothing,
);

async fn log(store: &dyn Store, key: &str, kind: &str, dry_run: bool, at: i64) {
    store
        .log_action(&NewAction {
            job_key: key.to_owned(),
            delivery_id: Some(format!("d-{at}")),
            job_id: None,
            kind: kind.to_owned(),
            dry_run,
            before: json!({"labels": []}),
            after: json!({"kind": kind}),
            at,
        })
        .await
        .unwrap();
}

async fn actions_are_filtered_by_key_time_and_mode_newest_first(db: &TestDb) {
    let store = db.open().await;
    log(&*store, "o/a#1", "add_labels", false, T0).await;
    log(&*store, "o/b#2", "set_status", true, T0 + 10).await;
    log(&*store, "o/a#1", "create_comment", true, T0 + 20).await;
    log(&*store, "o/a#1", "set_status", false, T0 + 30).await;

    let all = store.find_actions(&ActionFilter::all(100)).await.unwrap();
    let at: Vec<i64> = all.iter().map(|r| r.at).collect();
    assert_eq!(at, [T0 + 30, T0 + 20, T0 + 10, T0]);

    let key = ActionFilter { key: Some("o/a#1".into()), ..ActionFilter::all(100) };
    let kinds: Vec<String> =
        store.find_actions(&key).await.unwrap().into_iter().map(|r| r.kind).collect();
    assert_eq!(kinds, ["set_status", "create_comment", "add_labels"]);

    let planned = ActionFilter { planned_only: true, ..ActionFilter::all(100) };
    let rows = store.find_actions(&planned).await.unwrap();
    assert!(rows.iter().all(|r| r.dry_run));
    assert_eq!(rows.len(), 2);

    let since = ActionFilter { since: T0 + 20, ..ActionFilter::all(100) };
    assert_eq!(store.find_actions(&since).await.unwrap().len(), 2);

    let everything =
        ActionFilter { key: Some("o/a#1".into()), since: T0 + 5, planned_only: true, limit: 100 };
    let rows = store.find_actions(&everything).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].kind.as_str(), rows[0].delivery_id.clone()),
        ("create_comment", Some(format!("d-{}", T0 + 20)))
    );

    assert_eq!(store.find_actions(&ActionFilter::all(1)).await.unwrap().len(), 1);
}

async fn keys_are_listed_first_written_about_first(db: &TestDb) {
    let store = db.open().await;
    log(&*store, "o/b#2", "set_status", true, T0 + 10).await;
    log(&*store, "o/a#1", "add_labels", false, T0).await;
    log(&*store, "o/a#1", "set_status", false, T0 + 30).await;
    let keys = store.action_keys(10).await.unwrap();
    let got: Vec<(&str, i64, i64)> =
        keys.iter().map(|k| (k.key.as_str(), k.first_at, k.last_at)).collect();
    assert_eq!(got, [("o/a#1", T0, T0 + 30), ("o/b#2", T0 + 10, T0 + 10)]);
    assert_eq!(store.action_keys(1).await.unwrap().len(), 1);
}

async fn an_empty_log_reads_as_nothing(db: &TestDb) {
    let store = db.open().await;
    assert!(store.find_actions(&ActionFilter::all(10)).await.unwrap().is_empty());
    assert!(store.action_keys(10).await.unwrap().is_empty());
}
