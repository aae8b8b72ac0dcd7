//! The weekly report (issue 13): read from the store for any front door (`report weekly`, the
//! dashboard's `/report`), and posted once a week by the service. Each minute every replica looks
//! whether an organisation's configured moment (`report.weekly`: day, time, time zone) has passed
//! for the week; the one that claims the week's schedule (`weekly-report/ORG/WEEK` in the store,
//! a lease as for the sweep) writes the `weekly_report` notifications to the outbox, keyed by the
//! week, so the notification workers send it once. Several replicas, a restart, or a late start
//! post it once; a replica killed between the claim and the outbox write loses that week's post
//! (the claim says so in the log), the safe side of "exactly once". When a board is configured,
//! the same replica then posts the week's status (`ON_TRACK`, `AT_RISK`, `OFF_TRACK`) on the
//! project as a Projects v2 status update; a replica killed between the two loses the status
//! update alone, which the log says.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;
use plasma_config::{Config, NotifyEvent, ProjectRef, StatusLimits, WeeklyReportConfig};
use plasma_github::ProjectLookup;
use plasma_notify::message::{self, Message};
use plasma_report::{IsoWeek, Report, Scope, WeekError};
use plasma_store::{Store, StoreError, Timestamp};
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::app::App;

/// How often replicas look whether a report is due: it is posted at most this late.
pub const PERIOD: Duration = Duration::from_secs(60);

/// How long a week's claim holds: longer than a week, so a claimed week is never posted again.
const CLAIM: Duration = Duration::from_secs(8 * 86_400);

/// Facts before the trend's first week that a figure may still need (a review this week of a
/// pull request opened months ago needs its opening).
const LOOKBACK_MS: i64 = 12 * 7 * 86_400_000;

/// Why a report could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The week or time zone.
    #[error("{0}")]
    Week(#[from] WeekError),
    /// The store.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The time zone name.
    #[error(
        "`{0}` is not a time zone this system knows: use an IANA name such as Europe/Berlin or UTC"
    )]
    TimeZone(String),
}

/// Resolves an IANA time zone name (`UTC` needs no tz database).
pub fn time_zone(name: &str) -> Result<TimeZone, ReportError> {
    if name.eq_ignore_ascii_case("utc") {
        return Ok(TimeZone::UTC);
    }
    TimeZone::get(name).map_err(|_| ReportError::TimeZone(name.chars().take(60).collect()))
}

/// The ISO week before the one holding `now` in `tz`: the last complete week.
pub fn last_complete_week(now: jiff::Timestamp, tz: &TimeZone) -> Result<IsoWeek, ReportError> {
    Ok(IsoWeek::containing(now.as_millisecond(), tz)?.previous()?)
}

/// The report of `week` for `scope`, read from the store.
pub async fn load(
    store: &dyn Store,
    scope: Scope,
    week: IsoWeek,
    tz: &TimeZone,
    tz_name: &str,
    production: &[String],
) -> Result<Report, ReportError> {
    let first = week.last(plasma_report::TREND_WEEKS)?.first().copied().unwrap_or(week);
    let since = first.bounds(tz)?.0.saturating_sub(LOOKBACK_MS);
    let input = store.report_input(&scope, since, production).await?;
    Ok(plasma_report::build(&input, scope, week, tz, tz_name)?)
}

/// The moment the report of the week before `now`'s week is due: `day` at `time` of `now`'s
/// week, in the configured time zone. `None` when the configuration cannot say.
pub fn due(
    cfg: &WeeklyReportConfig,
    now: Timestamp,
    tz: &TimeZone,
) -> Option<(IsoWeek, Timestamp)> {
    let (h, m) = cfg.hour_minute().ok()?;
    let this = IsoWeek::containing(now, tz).ok()?;
    let days = this.day_starts(tz).ok()?;
    let day = usize::from(cfg.day.from_monday());
    let start = jiff::Timestamp::from_millisecond(*days.get(day)?).ok()?;
    let at = start
        .to_zoned_datetime(tz.clone())
        .date()
        .at(i8::try_from(h).ok()?, i8::try_from(m).ok()?, 0, 0)
        .to_zoned_datetime(tz.clone())
        .ok()?
        .timestamp()
        .as_millisecond();
    Some((this.previous().ok()?, at))
}

/// The board's status for the week, from the report and the thresholds: `OFF_TRACK` when any
/// off-track limit is passed, else `AT_RISK` when any at-risk limit is, else `ON_TRACK`.
pub fn status(report: &Report, cfg: &WeeklyReportConfig) -> &'static str {
    let passed = |l: &StatusLimits| {
        let over = |v: Option<f64>, limit: Option<u32>| match (v, limit) {
            (Some(v), Some(limit)) => v > f64::from(limit),
            _ => false,
        };
        let open = report.incidents.opened.value.saturating_sub(report.incidents.resolved.value);
        let oldest = report.pull_requests.oldest_waiting.first().map(|w| w.waiting_hours);
        over(report.dora.change_failure_rate.value, l.change_failure_rate_above)
            || over(report.dora.lead_time.value, l.lead_time_hours_above)
            || l.open_incidents_above.is_some_and(|limit| open > limit)
            || over(oldest, l.oldest_waiting_hours_above)
    };
    if passed(&cfg.status.off_track) {
        "OFF_TRACK"
    } else if passed(&cfg.status.at_risk) {
        "AT_RISK"
    } else {
        "ON_TRACK"
    }
}

/// The `weekly_report` message: the Markdown report as its text.
pub fn message(report: &Report, status: &str) -> Message {
    let subject = match &report.scope {
        Scope::All => "all".to_string(),
        Scope::Org(o) | Scope::Repo(o) => o.clone(),
    };
    let d = &report.dora;
    let fmt = plasma_report::fmt::dora_value;
    Message {
        event: NotifyEvent::WeeklyReport,
        title: format!("Weekly report {} · {}", report.week, report.scope),
        text: plasma_report::markdown::render(report),
        url: None,
        occurred_at: Some(report.to.clone()),
        fields: vec![
            ("Status".into(), status.to_string()),
            ("Merged".into(), report.pull_requests.merged.value.to_string()),
            ("Deployment frequency".into(), fmt(&d.deployment_frequency)),
            ("Lead time".into(), fmt(&d.lead_time)),
            ("Change failure rate".into(), fmt(&d.change_failure_rate)),
            ("Time to restore".into(), fmt(&d.time_to_restore)),
        ],
        subject,
    }
}

/// What one look at an organisation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// Not enabled, or its moment has not come this week.
    NotDue,
    /// This replica claimed the week and enqueued this many notifications.
    Posted {
        /// The week reported.
        week: String,
        /// Outbox rows written.
        notifications: u64,
        /// The board status judged.
        status: &'static str,
    },
    /// Another replica (or an earlier look) has the week.
    Elsewhere,
    /// The store or the configuration failed; the next minute tries again.
    Failed(String),
}

/// One look at `org` under `config` (read through its repository `repo`) at `now` by `owner`:
/// claim the week when its moment has passed, then write the report's notifications to the
/// outbox and post the week's status on the board.
pub async fn turn(
    app: &App,
    org: &str,
    repo: &str,
    config: &Config,
    owner: &str,
    now: Timestamp,
) -> Turn {
    let w = &config.report.weekly;
    if !w.enabled {
        return Turn::NotDue;
    }
    let tz = match time_zone(&w.time_zone) {
        Ok(tz) => tz,
        Err(e) => return Turn::Failed(format!("report.weekly.time_zone: {e}")),
    };
    let Some((week, at)) = due(w, now, &tz) else {
        return Turn::Failed(format!("report.weekly.time `{}` is not HH:MM", w.time));
    };
    if now < at {
        return Turn::NotDue;
    }
    let name = format!("weekly-report/{org}/{week}");
    match app.store.claim_schedule(&name, owner, CLAIM, now).await {
        Ok(true) => {}
        Ok(false) => return Turn::Elsewhere,
        Err(e) => return Turn::Failed(e.to_string()),
    }
    let scope = Scope::Org(org.to_string());
    let production = &config.deployments.production;
    let report = match load(app.store.as_ref(), scope, week, &tz, &w.time_zone, production).await {
        Ok(r) => r,
        Err(e) => {
            warn!(error = %e, %org, %week, "the weekly report was claimed but could not be read; this week's post is lost");
            return Turn::Failed(e.to_string());
        }
    };
    let status = status(&report, w);
    let rows = message::plan(&config.notifications, &message(&report, status), &week.to_string());
    match app.store.enqueue_notifications(&rows, now).await {
        Ok(n) => {
            app.notify.notify_waiters();
            match post_status_update(app, config, repo, &report, status).await {
                Ok(Some(id)) => info!(%org, %week, status, update = %id, "board status posted"),
                Ok(None) => {}
                Err(e) => warn!(%org, %week, status, error = %e, "the board status was not posted"),
            }
            Turn::Posted { week: week.to_string(), notifications: n, status }
        }
        Err(e) => {
            warn!(error = %e, %org, %week, "the weekly report was claimed but not enqueued; this week's post is lost");
            Turn::Failed(e.to_string())
        }
    }
}

/// Posts the week's `status` on the configured board as a Projects v2 status update, dated by the
/// week's first day, with the report's headline figures as its body. `Ok(None)` when no board is
/// configured, without GitHub, or in a dry run (then the log says what would have been posted).
pub async fn post_status_update(
    app: &App,
    config: &Config,
    repo: &str,
    report: &Report,
    status: &str,
) -> Result<Option<String>, String> {
    let Some(text) = config.board.project.as_deref() else { return Ok(None) };
    let Some(gh) = &app.github else { return Ok(None) };
    let Some(project) = ProjectRef::parse(text) else {
        return Err(format!(
            "board.project `{text}` is not a project: write https://github.com/orgs/ORG/projects/N or ORG/N"
        ));
    };
    let msg = message(report, status);
    let mut body = format!("**{}**\n", msg.title);
    for (name, value) in &msg.fields {
        body.push_str(&format!("\n- {name}: {value}"));
    }
    if app.dry_run() {
        info!(%project, status, "dry run: the board status would be posted");
        return Ok(None);
    }
    let rc = gh.repo(app.installation_of(repo), repo).map_err(|e| e.to_string())?;
    let board = match rc.project_board(&project, &config.board.status_field).await {
        Ok(ProjectLookup::Found(b)) => b,
        Ok(ProjectLookup::Invisible) => {
            return Err(format!(
                "project {project} is not visible to plasma-ops's credentials: use an organisation \
                 project and grant the App the organisation permission Projects: read and write"
            ));
        }
        Ok(ProjectLookup::NoSuchField { title }) => {
            return Err(format!(
                "project {project} ({title}) has no single-select field `{}`: set board.status_field",
                config.board.status_field
            ));
        }
        Err(e) => return Err(e.to_string()),
    };
    let start = report.from.get(..10).unwrap_or(&report.from);
    rc.create_project_status_update(&board.id, status, &body, start)
        .await
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Keeps the report's facts of every delivery received before `before` (retention calls it
/// before pruning them), a batch at a time.
pub async fn harvest(app: &App, before: Timestamp) -> Result<u64, StoreError> {
    const BATCH: u32 = 500;
    let mut total = 0u64;
    loop {
        let n = app.store.harvest_report_facts(before, BATCH).await?;
        total = total.saturating_add(n);
        if n < u64::from(BATCH) {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// The organisations the service serves: owners of the configured repositories and of the
/// pull requests it has judged.
async fn organisations(app: &App) -> Vec<(String, String)> {
    let mut repos: BTreeSet<String> = app.cfg.repositories.iter().cloned().collect();
    if let Ok(rows) = app.store.open_verdicts().await {
        repos.extend(rows.into_iter().map(|r| r.repository));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for repo in repos {
        if let Some((org, _)) = repo.split_once('/')
            && !out.iter().any(|(o, _)| o.eq_ignore_ascii_case(org))
        {
            out.push((org.to_string(), repo.clone()));
        }
    }
    out
}

/// The organisation's configuration, read through one of its repositories (the organisation
/// layer and that repository's base branch); the defaults without GitHub. Read through the
/// service's configuration cache: this runs every minute, and an absent file answers 404 with no
/// validator, so reading GitHub each time would cost two charged calls a minute per organisation.
async fn config_of(app: &App, repo: &str) -> Config {
    let Some(gh) = &app.github else { return Config::default() };
    let inst = app.installation_of(repo);
    let path = plasma_github::client::DEFAULT_CONFIG_PATH;
    match crate::repo_config::layers(app, gh, inst, repo, None, path).await {
        Ok(layers) => {
            match crate::reconcile::policy_for(app, layers.org.text(), layers.repo.text()) {
                Ok(p) => p.config().clone(),
                Err(e) => {
                    warn!(%repo, error = %e, "the configuration does not compile; no weekly report");
                    Config::default()
                }
            }
        }
        Err(e) => {
            debug!(%repo, error = %e, "cannot read the configuration for the weekly report");
            Config::default()
        }
    }
}

/// Looks each minute until stopped.
pub async fn run(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let owner = format!("{}-{}", std::process::id(), rand::random::<u32>());
    loop {
        tokio::select! {
            _ = tokio::time::sleep(PERIOD) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        for (org, repo) in organisations(&app).await {
            let config = config_of(&app, &repo).await;
            match turn(&app, &org, &repo, &config, &owner, app.now()).await {
                Turn::Posted { week, notifications, status } => {
                    info!(%org, %week, notifications, status, "weekly report posted to the outbox");
                }
                Turn::Failed(e) => warn!(%org, error = %e, "weekly report failed"),
                Turn::NotDue | Turn::Elsewhere => {}
            }
        }
    }
}

#[cfg(test)]
mod tests;
