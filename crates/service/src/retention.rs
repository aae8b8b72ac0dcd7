//! Retention: processed deliveries older than `keep_deliveries` (7 days by default), actions
//! older than `keep_actions` (90 days), notifications sent longer ago than `keep_notifications`
//! (90 days) and dead letters nobody retried for `keep_dead_notifications` (180 days) are deleted
//! once an hour, so a store serving dozens of
//! repositories for months stays the size of its retention window. Deliveries still owed work
//! are never deleted. With several replicas one of them prunes each hour (a schedule lease, as
//! for the sweep).

use std::sync::Arc;
use std::time::Duration;

use plasma_store::{Prunable, Timestamp};
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::app::App;
use crate::metrics::PRUNED;

/// How often retention runs.
pub const PERIOD: Duration = Duration::from_secs(3_600);

/// Run retention until stopped; the first pass comes a minute after start, out of the way of the
/// first sweep.
pub async fn run(app: Arc<App>, stop: watch::Receiver<bool>) {
    run_every(app, stop, Duration::from_secs(60), PERIOD).await;
}

async fn run_every(
    app: Arc<App>,
    mut stop: watch::Receiver<bool>,
    first: Duration,
    period: Duration,
) {
    let c = &app.cfg;
    if c.keep_deliveries.is_none()
        && c.keep_actions.is_none()
        && c.keep_notifications.is_none()
        && c.keep_dead_notifications.is_none()
    {
        return;
    }
    let owner = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let mut wait = first;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        wait = period;
        once(&app, &owner, period).await;
    }
}

/// What one period's turn did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// This replica claimed the period and deleted these rows (deliveries, actions).
    Pruned(u64, u64),
    /// Another replica has the period.
    Elsewhere,
    /// The store failed; the next period tries again.
    Failed(String),
}

/// One period's turn for `owner`: claim the period, then prune.
pub async fn once(app: &App, owner: &str, period: Duration) -> Turn {
    let turn = match app.store.claim_schedule("retention", owner, period, app.now()).await {
        Ok(true) => match prune_once(app).await {
            Ok((d, a)) => Turn::Pruned(d, a),
            Err(e) => Turn::Failed(e.to_string()),
        },
        Ok(false) => Turn::Elsewhere,
        Err(e) => Turn::Failed(e.to_string()),
    };
    match &turn {
        Turn::Pruned(..) => {}
        Turn::Elsewhere => debug!("another replica prunes this period"),
        Turn::Failed(e) => warn!(error = %e, "retention failed; trying again next period"),
    }
    turn
}

fn cutoff(now: Timestamp, keep: Duration) -> Timestamp {
    now.saturating_sub(i64::try_from(keep.as_millis()).unwrap_or(i64::MAX))
}

/// One retention pass: deletes what is older than the configured windows. Returns the rows
/// deleted (deliveries, actions); the notifications deleted are logged and counted in the metric.
pub async fn prune_once(app: &App) -> Result<(u64, u64), plasma_store::StoreError> {
    let now = app.now();
    let mut counts = [0u64; 4];
    let windows = [
        (Prunable::Deliveries, app.cfg.keep_deliveries),
        (Prunable::Actions, app.cfg.keep_actions),
        (Prunable::SentNotifications, app.cfg.keep_notifications),
        (Prunable::DeadNotifications, app.cfg.keep_dead_notifications),
    ];
    for (i, (what, keep)) in windows.into_iter().enumerate() {
        let Some(keep) = keep else { continue };
        if what == Prunable::Deliveries {
            // The weekly report's facts outlive the deliveries they came from.
            crate::weekly_report::harvest(app, cutoff(now, keep)).await?;
        }
        let n = plasma_store::prune(&*app.store, what, cutoff(now, keep)).await?;
        metrics::counter!(PRUNED, "table" => what.as_str()).increment(n);
        counts[i] = n;
    }
    info!(
        deliveries = counts[0],
        actions = counts[1],
        notifications_sent = counts[2],
        notifications_dead = counts[3],
        "retention deleted processed deliveries, actions and notifications older than their windows"
    );
    Ok((counts[0], counts[1]))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use plasma_store::{NewAction, NewDelivery};

    use super::*;
    use crate::config::ServiceConfig;

    const DAY: i64 = 86_400_000;
    const NOW: i64 = 1_800_000_000_000;

    async fn app(vars: &[(&str, &str)]) -> Arc<App> {
        app_on(vars, plasma_store::open("sqlite::memory:").await.unwrap())
    }

    fn app_on(vars: &[(&str, &str)], store: Arc<dyn plasma_store::Store>) -> Arc<App> {
        let env: BTreeMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let cfg = ServiceConfig::load(&env, None).unwrap();
        App::new(cfg, store, None, Arc::new(|| NOW))
    }

    async fn seed(app: &App) {
        let d = NewDelivery {
            id: "old".into(),
            event: "pull_request".into(),
            action: None,
            repository: None,
            installation: None,
            received_at: NOW - 8 * DAY,
            body: b"{}".to_vec(),
        };
        app.store.record_delivery(&d, &[], NOW - 8 * DAY).await.unwrap();
        app.store.mark_delivery_processed("old", "applied", NOW - 8 * DAY).await.unwrap();
        let a = NewAction {
            job_key: "o/r#1".into(),
            delivery_id: None,
            job_id: None,
            kind: "set_status".into(),
            dry_run: false,
            before: serde_json::json!(null),
            after: serde_json::json!(null),
            at: NOW - 91 * DAY,
        };
        app.store.log_action(&a).await.unwrap();
    }

    #[tokio::test]
    async fn one_replica_prunes_each_period_and_the_others_stand_aside() {
        let app = app(&[]).await;
        seed(&app).await;
        assert_eq!(once(&app, "replica-a", PERIOD).await, Turn::Pruned(1, 1));
        assert_eq!(once(&app, "replica-b", PERIOD).await, Turn::Elsewhere);
        assert!(app.store.delivery("old").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn windows_set_to_forever_keep_everything() {
        let app = app(&[("PLASMA_OPS_KEEP_ACTIONS", "forever")]).await;
        seed(&app).await;
        assert_eq!(once(&app, "replica-a", PERIOD).await, Turn::Pruned(1, 0));
        // With both windows `forever` the task does not even start.
        let app = app_forever().await;
        let (_tx, rx) = watch::channel(false);
        tokio::time::timeout(Duration::from_secs(5), run(app, rx)).await.unwrap();
    }

    async fn app_forever() -> Arc<App> {
        app(&[
            ("PLASMA_OPS_KEEP_ACTIONS", "forever"),
            ("PLASMA_OPS_KEEP_DELIVERIES", "forever"),
            ("PLASMA_OPS_KEEP_NOTIFICATIONS", "forever"),
            ("PLASMA_OPS_KEEP_DEAD_NOTIFICATIONS", "forever"),
        ])
        .await
    }

    fn note(key: &str) -> plasma_store::NewNotification {
        plasma_store::NewNotification {
            event: "release".into(),
            subject: "o/r@v1".into(),
            dedupe_key: key.into(),
            target: "devops".into(),
            payload: "{}".into(),
        }
    }

    /// Enqueues `key` at `at` and leaves it sent (or, with `dead`, dead-lettered) then.
    async fn settle_note(app: &App, key: &str, at: i64, dead: bool) {
        use plasma_store::NotificationFilter;
        app.store.enqueue_notifications(&[note(key)], at).await.unwrap();
        let lease = app.store.lease_notification("w", PERIOD, at).await.unwrap().unwrap();
        if dead {
            app.store.notification_failed(&lease, "410 gone", None, 1, at).await.unwrap();
        } else {
            assert!(app.store.notification_sending(&lease, at).await.unwrap());
            app.store.notification_sent(&lease, at).await.unwrap();
        }
        let rows = app.store.notifications(NotificationFilter::All).await.unwrap();
        assert!(rows.iter().any(|r| r.dedupe_key == key));
    }

    #[tokio::test]
    async fn sent_notifications_go_after_their_window_and_dead_letters_after_theirs() {
        use plasma_store::{NotificationFilter, NotificationState};
        let app = app(&[]).await;
        settle_note(&app, "sent-old", NOW - 91 * DAY, false).await;
        settle_note(&app, "sent-new", NOW - 89 * DAY, false).await;
        settle_note(&app, "dead-91d", NOW - 91 * DAY, true).await;
        settle_note(&app, "dead-old", NOW - 181 * DAY, true).await;
        app.store.enqueue_notifications(&[note("pending-old")], NOW - 200 * DAY).await.unwrap();
        prune_once(&app).await.unwrap();
        let rows = app.store.notifications(NotificationFilter::All).await.unwrap();
        let left: Vec<(&str, NotificationState)> =
            rows.iter().map(|r| (r.dedupe_key.as_str(), r.state)).collect();
        // A sent row past 90 days goes; a dead letter stays for 180 days; a row not yet sent
        // stays whatever its age.
        assert_eq!(
            left,
            [
                ("sent-new", NotificationState::Sent),
                ("dead-91d", NotificationState::Dead),
                ("pending-old", NotificationState::Pending),
            ]
        );
        // Kept for ever when so configured.
        let keep = app_forever().await;
        settle_note(&keep, "sent-old", NOW - 400 * DAY, false).await;
        prune_once(&keep).await.unwrap();
        assert_eq!(keep.store.notifications(NotificationFilter::All).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn the_loop_prunes_each_period_until_stopped() {
        let app = app(&[]).await;
        seed(&app).await;
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(run_every(
            Arc::clone(&app),
            rx,
            Duration::from_millis(1),
            Duration::from_millis(20),
        ));
        for _ in 0..500 {
            if app.store.delivery("old").await.unwrap().is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(app.store.delivery("old").await.unwrap().is_none(), "the loop pruned");
        tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_store_that_fails_is_reported_and_retried_next_period() {
        let store = Arc::new(plasma_store::SqliteStore::open("sqlite::memory:").await.unwrap());
        plasma_store::Store::close(store.as_ref()).await;
        let app = app_on(&[], store);
        assert!(matches!(once(&app, "replica-a", PERIOD).await, Turn::Failed(_)));
    }

    #[test]
    fn cutoff_saturates() {
        assert_eq!(cutoff(10_000, Duration::from_secs(3)), 7_000);
        assert_eq!(cutoff(0, Duration::from_secs(u64::MAX)), -i64::MAX);
    }
}
