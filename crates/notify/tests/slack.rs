//! Slack incoming webhooks through the outbox, against a local receiver: delivery with Block Kit
//! and fallback text, a 429 with `Retry-After`, a receiver that is down (dead letter, then retry),
//! and exactly once under a duplicate event, a replica killed after sending and racing replicas,
//! counted at the receiver, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use plasma_config::NotificationsConfig;
use plasma_notify::{Step, message, plan};
use plasma_store::{NotificationFilter, NotificationState, OUTCOME_UNKNOWN, Store};
use serde_json::json;
use support::{Answer, Backend, Receiver, TestClock, TestDb, dispatcher, sender};

fn config() -> NotificationsConfig {
    serde_json::from_value(json!({
        "targets": {"devops": {"slack": {"webhook_url_env": "PLASMA_OPS_SLACK_WEBHOOK_URL",
                                          "channel": "#plasma-engine-devops"}}},
        "routes": [{"events": ["ready_to_merge", "release"], "targets": ["devops"]}]
    }))
    .unwrap()
}

async fn enqueue_ready(store: &Arc<dyn Store>, number: u64, now: i64) -> u64 {
    let m = message::ready_to_merge(
        "plasma-engine/gateway",
        number,
        "[PE-12] Gateway",
        "octocat",
        "abcdef0123",
        Some("2026-12-01T10:00:00Z".into()),
    );
    store.enqueue_notifications(&plan(&config(), &m, "abcdef0123"), now).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_arrives_as_block_kit_with_fallback_text() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.open().await;
    let receiver = Receiver::start(vec![]).await;
    let clock = TestClock::new();
    let worker = dispatcher(
        &store,
        &sender(&[("PLASMA_OPS_SLACK_WEBHOOK_URL", &receiver.url)]),
        "w",
        &clock,
    );
    enqueue_ready(&store, 12, clock.now()).await;
    assert!(matches!(worker.step().await.unwrap(), Step::Sent { .. }));
    assert_eq!(worker.step().await.unwrap(), Step::Idle);
    let got = receiver.accepted();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["channel"], json!("#plasma-engine-devops"));
    assert!(
        got[0]["text"].as_str().unwrap().starts_with("Ready to merge: plasma-engine/gateway#12")
    );
    assert_eq!(got[0]["blocks"][0]["type"], json!("header"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_retried_exactly_after_retry_after() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.open().await;
    let receiver = Receiver::start(vec![Answer::TooMany { retry_after_s: 1 }]).await;
    let clock = TestClock::new();
    let url = receiver.url.clone();
    let worker =
        dispatcher(&store, &sender(&[("PLASMA_OPS_SLACK_WEBHOOK_URL", &url)]), "w", &clock);
    enqueue_ready(&store, 1, clock.now()).await;
    match worker.step().await.unwrap() {
        Step::Retry { at, error, .. } => {
            assert_eq!(at, clock.now() + 1_000, "Retry-After: 1 honoured exactly");
            assert!(error.contains("429"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    clock.advance(999);
    assert_eq!(worker.step().await.unwrap(), Step::Idle, "not before Retry-After");
    clock.advance(1);
    // The sender also keeps to Retry-After for this webhook in real time before posting again.
    assert!(matches!(worker.step().await.unwrap(), Step::Sent { .. }));
    assert_eq!((receiver.requests(), receiver.accepted().len()), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_retry_after_holds_back_the_next_message_to_the_webhook_unsent() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.open().await;
    let receiver = Receiver::start(vec![Answer::TooMany { retry_after_s: 120 }]).await;
    let clock = TestClock::new();
    let worker = dispatcher(
        &store,
        &sender(&[("PLASMA_OPS_SLACK_WEBHOOK_URL", &receiver.url)]),
        "w",
        &clock,
    );
    enqueue_ready(&store, 1, clock.now()).await;
    enqueue_ready(&store, 2, clock.now()).await;
    assert!(matches!(worker.step().await.unwrap(), Step::Retry { .. }));
    // The second message is not posted into the rate limit, and not left `sending` while waiting.
    match worker.step().await.unwrap() {
        Step::Retry { at, error, .. } => {
            assert!(error.contains("Slack asked to wait"), "{error}");
            assert!(at > clock.now() + 100_000, "{at}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(receiver.requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_is_down_dead_letters_then_retry_sends_it() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.open().await;
    // A port that refuses connections: bound, noted, released.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}/services/T0/B0/secret");
    let clock = TestClock::new();
    let worker =
        dispatcher(&store, &sender(&[("PLASMA_OPS_SLACK_WEBHOOK_URL", &url)]), "w", &clock)
            .with_max_attempts(3);
    enqueue_ready(&store, 2, clock.now()).await;
    let mut dead = None;
    for _ in 0..3 {
        match worker.step().await.unwrap() {
            Step::Retry { at, error, .. } => {
                assert!(error.contains("cannot reach the Slack webhook"), "{error}");
                assert!(!error.contains("secret"), "the URL is a secret: {error}");
                clock.advance(at - clock.now());
            }
            Step::Dead { id, error } => dead = Some((id, error)),
            other => panic!("{other:?}"),
        }
    }
    let (id, error) = dead.expect("dead after three attempts");
    let rows = store.notifications(NotificationFilter::Dead).await.unwrap();
    assert_eq!(
        (rows.len(), rows[0].id, rows[0].last_error.as_deref()),
        (1, id, Some(error.as_str()))
    );
    // The receiver comes back; `plasma-ops notifications --retry ID` requeues the row.
    let receiver = Receiver::on(tokio::net::TcpListener::bind(addr).await.unwrap(), vec![]);
    assert_eq!(worker.step().await.unwrap(), Step::Idle, "dead stays dead");
    assert!(store.retry_notification(id, clock.now()).await.unwrap());
    assert_eq!(worker.step().await.unwrap(), Step::Sent { id });
    assert_eq!(receiver.accepted().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_refusing_the_webhook_is_dead_at_once_and_a_missing_variable_says_which() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.open().await;
    let receiver =
        Receiver::start(vec![Answer::Status(404, "no_service"), Answer::Status(500, "oops")]).await;
    let clock = TestClock::new();
    let worker = dispatcher(
        &store,
        &sender(&[("PLASMA_OPS_SLACK_WEBHOOK_URL", &receiver.url)]),
        "w",
        &clock,
    );
    enqueue_ready(&store, 3, clock.now()).await;
    match worker.step().await.unwrap() {
        Step::Dead { error, .. } => {
            assert!(error.contains("404") && error.contains("no_service"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    enqueue_ready(&store, 4, clock.now()).await;
    assert!(matches!(worker.step().await.unwrap(), Step::Retry { .. }), "a 5xx is retried");
    let unset = dispatcher(&store, &sender(&[]), "w2", &clock);
    enqueue_ready(&store, 5, clock.now()).await;
    match unset.step().await.unwrap() {
        Step::Dead { error, .. } => {
            assert!(error.contains("PLASMA_OPS_SLACK_WEBHOOK_URL"), "{error}")
        }
        other => panic!("{other:?}"),
    }
}

/// The exactly-once scenario, on both databases.
async fn each_notification_reaches_the_receiver_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let receiver = Receiver::start(vec![]).await;
    let env = [("PLASMA_OPS_SLACK_WEBHOOK_URL", receiver.url.as_str())];
    let clock = TestClock::new();
    let replica_a = db.open().await;
    let replica_b = db.open().await;

    // A duplicate delivery: the same ready pull request reconciled twice (a redelivered webhook,
    // then the sweep) enqueues one notification.
    let ready = message::ready_to_merge("o/r", 1, "T", "a", "sha1", None);
    let rows = plan(&config(), &ready, "sha1");
    let first =
        replica_a.record_reconcile_notify("o/r#1", "sha1", &[], None, None, &rows, clock.now());
    assert_eq!(first.await.unwrap(), 1);
    let again =
        replica_b.record_reconcile_notify("o/r#1", "sha1", &[], None, None, &rows, clock.now());
    assert_eq!(again.await.unwrap(), 0);

    // A replica killed after sending: it marked the row sending and the message left, then it
    // died before marking it sent. (Done by hand here: the dispatcher's own step would mark it.)
    let killed = replica_a
        .lease_notification("a", plasma_notify::dispatch::LEASE, clock.now())
        .await
        .unwrap()
        .unwrap();
    assert!(replica_a.notification_sending(&killed, clock.now()).await.unwrap());
    let payload = plasma_notify::Payload::parse(&killed.payload).unwrap();
    sender(&env).send(&killed.target, &payload.target, &payload.message, "k").await.unwrap();
    assert_eq!(receiver.accepted().len(), 1);
    // The other replica takes over once the lease expired: it does not send it again.
    clock.advance(plasma_notify::dispatch::LEASE.as_millis() as i64);
    let worker_b = dispatcher(&replica_b, &sender(&env), "b", &clock);
    assert_eq!(worker_b.step().await.unwrap(), Step::Idle);
    let dead = replica_b.notifications(NotificationFilter::Dead).await.unwrap();
    assert_eq!(dead[0].last_error.as_deref(), Some(OUTCOME_UNKNOWN));

    // Two replicas racing, two workers each, over 30 notifications.
    for n in 100..130 {
        let m = message::release("o/r", &format!("v{n}"), None, None);
        replica_a
            .enqueue_notifications(&plan(&config(), &m, &format!("v{n}")), clock.now())
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for (r, store) in [&replica_a, &replica_b].into_iter().enumerate() {
        for w in 0..2 {
            let worker = dispatcher(store, &sender(&env), &format!("r{r}w{w}"), &clock);
            tasks.push(tokio::spawn(async move {
                let mut sent = 0;
                loop {
                    match worker.step().await.unwrap() {
                        Step::Sent { .. } => sent += 1,
                        Step::Idle => return sent,
                        other => panic!("{other:?}"),
                    }
                }
            }));
        }
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 30);
    let accepted = receiver.accepted();
    let mut per_message: BTreeMap<String, usize> = BTreeMap::new();
    for body in &accepted {
        *per_message.entry(body["text"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert_eq!(accepted.len(), 31, "the ready pull request once, 30 releases once each");
    assert!(per_message.values().all(|n| *n == 1), "{per_message:?}");
    let sent = replica_a.notifications(NotificationFilter::All).await.unwrap();
    assert_eq!(sent.iter().filter(|r| r.state == NotificationState::Sent).count(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_once_on_sqlite() {
    each_notification_reaches_the_receiver_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_once_on_postgres() {
    each_notification_reaches_the_receiver_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_no_worker_can_send_are_given_up_with_the_reason() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.open().await;
    let clock = TestClock::new();
    let lease = plasma_notify::dispatch::LEASE.as_millis() as i64;
    // A payload written outside plasma-ops.
    let bad = plasma_store::NewNotification {
        event: "release".into(),
        subject: "o/r@v1".into(),
        dedupe_key: "v1".into(),
        target: "devops".into(),
        payload: "not json".into(),
    };
    store.enqueue_notifications(&[bad], clock.now()).await.unwrap();
    let worker = dispatcher(&store, &sender(&[]), "w", &clock).with_max_attempts(2);
    match worker.step().await.unwrap() {
        Step::Dead { error, .. } => assert!(error.contains("unreadable"), "{error}"),
        other => panic!("{other:?}"),
    }
    // A row whose workers keep dying before they send: every lease counts, then it is given up.
    enqueue_ready(&store, 9, clock.now()).await;
    for owner in ["a", "b"] {
        assert!(
            store
                .lease_notification(owner, plasma_notify::dispatch::LEASE, clock.now())
                .await
                .unwrap()
                .is_some()
        );
        clock.advance(lease);
    }
    match worker.step().await.unwrap() {
        Step::Dead { error, .. } => {
            assert!(error.contains("abandoned by its worker 2 times"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    // A worker that paused past its lease finds the row taken.
    enqueue_ready(&store, 10, clock.now()).await;
    let slow = dispatcher(&store, &sender(&[]), "slow", &clock)
        .with_lease(std::time::Duration::from_millis(1));
    let taken = store
        .lease_notification("other", plasma_notify::dispatch::LEASE, clock.now())
        .await
        .unwrap();
    assert!(taken.is_some());
    assert_eq!(slow.step().await.unwrap(), Step::Idle, "held by another worker");
}
