#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use plasma_config::{ConfigSource, Weekday};
use plasma_store::NotificationFilter;

use super::*;
use crate::config::ServiceConfig;

/// Monday 2026-12-07 00:00 UTC, the start of 2026-W50.
const W50: i64 = 1_796_601_600_000;
const HOUR: i64 = 3_600_000;

const CONFIG: &str = concat!(
    "report:\n",
    "  weekly: {enabled: true, day: monday, time: \"09:00\", time_zone: UTC}\n",
    "notifications:\n",
    "  targets:\n",
    "    devops: {slack: {webhook_url_env: PLASMA_OPS_SLACK_WEBHOOK_URL}}\n",
    "  routes:\n",
    "    - {events: [weekly_report], targets: [devops]}\n",
);

fn config(text: &str) -> Config {
    let src = ConfigSource { name: ".github/plasma.yml", text };
    plasma_policy::compile_policy(None, Some(src)).unwrap().config().clone()
}

fn app_on(store: Arc<dyn Store>, now: i64) -> Arc<App> {
    let cfg = ServiceConfig::load(&BTreeMap::new(), None).unwrap();
    App::new(cfg, store, None, Arc::new(move || now))
}

#[test]
fn the_moment_is_the_configured_day_and_time_of_this_week() {
    let mut w = WeeklyReportConfig::default();
    // Wednesday of W50, 12:00 UTC.
    let now = W50 + 2 * 24 * HOUR + 12 * HOUR;
    let (week, at) = due(&w, now, &TimeZone::UTC).unwrap();
    assert_eq!(week.to_string(), "2026-W49", "the last complete week");
    assert_eq!(at, W50 + 9 * HOUR);
    w.day = Weekday::Friday;
    w.time = "16:30".into();
    assert_eq!(due(&w, now, &TimeZone::UTC).unwrap().1, W50 + 4 * 24 * HOUR + 16 * HOUR + HOUR / 2);
    // Berlin is an hour ahead in winter: 09:00 there is 08:00 UTC.
    let berlin = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
    w.day = Weekday::Monday;
    w.time = "09:00".into();
    assert_eq!(due(&w, W50 + 12 * HOUR, &berlin).unwrap().1, W50 + 8 * HOUR);
    w.time = "25:00".into();
    assert!(due(&w, now, &TimeZone::UTC).is_none());
    assert!(time_zone("UTC").is_ok());
    assert!(matches!(time_zone("Not/AZone"), Err(ReportError::TimeZone(_))));
}

#[test]
fn the_status_follows_the_thresholds() {
    let mut input = plasma_report::ReportInput { incidents_recorded: true, ..Default::default() };
    let week: IsoWeek = "2026-W49".parse().unwrap();
    let w = WeeklyReportConfig::default();
    let report = |input: &plasma_report::ReportInput| {
        plasma_report::build(input, Scope::All, week, &TimeZone::UTC, "UTC").unwrap()
    };
    assert_eq!(status(&report(&input), &w), "ON_TRACK");
    // One incident opened and not resolved: past the at-risk limit of 0.
    let opened = W50 - 24 * HOUR;
    input.incidents.push(plasma_report::Incident {
        repo: "a/b".into(),
        opened_at: opened,
        ..Default::default()
    });
    assert_eq!(status(&report(&input), &w), "AT_RISK");
    // Three: past the off-track limit of 2.
    for n in 2..=3 {
        input.incidents.push(plasma_report::Incident {
            repo: "a/b".into(),
            number: n,
            opened_at: opened,
            ..Default::default()
        });
    }
    assert_eq!(status(&report(&input), &w), "OFF_TRACK");
    let m = message(&report(&input), "OFF_TRACK");
    assert_eq!(m.event, NotifyEvent::WeeklyReport);
    assert!(m.title.starts_with("Weekly report 2026-W49"));
    assert!(m.text.contains("### DORA four keys"));
    assert_eq!(m.fields[0], ("Status".to_string(), "OFF_TRACK".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_racing_for_the_week_post_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("store.db");
    let store = plasma_store::open(url.to_str().unwrap()).await.unwrap();
    let cfg = config(CONFIG);
    let now = W50 + 10 * HOUR;
    let (a, b) = (app_on(Arc::clone(&store), now), app_on(Arc::clone(&store), now));
    let (ta, tb) = tokio::join!(
        turn(&a, "plasma", "plasma/engine", &cfg, "replica-a", now),
        turn(&b, "plasma", "plasma/engine", &cfg, "replica-b", now)
    );
    let turns = [ta, tb];
    let posted: Vec<&Turn> = turns.iter().filter(|t| matches!(t, Turn::Posted { .. })).collect();
    assert_eq!(posted.len(), 1, "{turns:?}");
    assert!(turns.contains(&Turn::Elsewhere), "{turns:?}");
    assert!(
        matches!(posted[0], Turn::Posted { week, notifications: 1, status: "ON_TRACK" } if week == "2026-W49")
    );
    // A restarted replica a minute later, and the next day: still once.
    assert_eq!(
        turn(&a, "plasma", "plasma/engine", &cfg, "replica-c", now + 60_000).await,
        Turn::Elsewhere
    );
    assert_eq!(
        turn(&b, "plasma", "plasma/engine", &cfg, "replica-a", now + 24 * HOUR).await,
        Turn::Elsewhere
    );
    let rows = store.notifications(NotificationFilter::All).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].event.as_str(), rows[0].dedupe_key.as_str()),
        ("weekly_report", "2026-W49")
    );
    assert_eq!(rows[0].target, "devops");
    // The next week is posted again, once.
    let next = now + 7 * 24 * HOUR;
    assert!(matches!(
        turn(&a, "plasma", "plasma/engine", &cfg, "replica-a", next).await,
        Turn::Posted { .. }
    ));
    assert_eq!(store.notifications(NotificationFilter::All).await.unwrap().len(), 2);
}

#[tokio::test]
async fn nothing_is_posted_before_the_moment_or_when_disabled() {
    let store = plasma_store::open("sqlite::memory:").await.unwrap();
    let before = W50 + 8 * HOUR;
    let app = app_on(Arc::clone(&store), before);
    assert_eq!(
        turn(&app, "plasma", "plasma/engine", &config(CONFIG), "r", before).await,
        Turn::NotDue
    );
    assert_eq!(
        turn(&app, "plasma", "plasma/engine", &Config::default(), "r", W50 + 10 * HOUR).await,
        Turn::NotDue
    );
    let broken = config(&CONFIG.replace("time_zone: UTC", "time_zone: Nowhere/Land"));
    assert!(
        matches!(turn(&app, "plasma", "plasma/engine", &broken, "r", W50 + 10 * HOUR).await, Turn::Failed(e) if e.contains("Nowhere/Land"))
    );
    assert!(store.notifications(NotificationFilter::All).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_organisations_are_the_owners_of_the_configured_repositories_once_each() {
    let store = plasma_store::open("sqlite::memory:").await.unwrap();
    let mut cfg = ServiceConfig::load(&BTreeMap::new(), None).unwrap();
    cfg.repositories =
        vec!["plasma/engine".into(), "Plasma/gateway".into(), "other/tool".into(), "bare".into()];
    let app = App::new(cfg, store, None, Arc::new(|| W50));
    assert_eq!(
        organisations(&app).await,
        vec![
            ("Plasma".to_string(), "Plasma/gateway".to_string()),
            ("other".to_string(), "other/tool".to_string()),
        ],
        "one repository per organisation (any case); a name without an owner is none"
    );
    // Without GitHub the defaults hold: the report is off unless configured.
    assert!(!config_of(&app, "plasma/engine").await.report.weekly.enabled);
}

#[tokio::test]
async fn the_loop_stops_when_told() {
    let store = plasma_store::open("sqlite::memory:").await.unwrap();
    let app = app_on(store, W50);
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(run(app, rx));
    tx.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(30), task)
        .await
        .expect("the loop returns once stopped")
        .unwrap();
}

#[tokio::test]
async fn without_a_board_or_github_no_status_update_is_posted() {
    let store = plasma_store::open("sqlite::memory:").await.unwrap();
    let app = app_on(Arc::clone(&store), W50 + 10 * HOUR);
    let tz = time_zone("UTC").unwrap();
    let week: IsoWeek = "2026-W49".parse().unwrap();
    let report =
        load(store.as_ref(), Scope::Org("plasma".into()), week, &tz, "UTC", &[]).await.unwrap();
    assert_eq!(
        post_status_update(&app, &config(CONFIG), "plasma/engine", &report, "ON_TRACK").await,
        Ok(None)
    );
    let board = config("board: {project: plasma-engine/3}\n");
    assert_eq!(
        post_status_update(&app, &board, "plasma/engine", &report, "ON_TRACK").await,
        Ok(None),
        "without GitHub"
    );
    assert!(time_zone("Nowhere/Land").is_err());
}
