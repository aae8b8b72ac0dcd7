//! The report as every front door prints it (`--format json` serializes this; the Markdown and
//! HTML renderers read it): this week's figures, each with the week before and the difference,
//! and eight weeks of the figures the charts draw.

use std::collections::BTreeSet;

use jiff::tz::TimeZone;
use serde::Serialize;

use crate::dora::{self, Band};
use crate::figures::{self, Span, WeekFigures};
use crate::input::ReportInput;
use crate::stats::{median, p90, round2};
use crate::week::{IsoWeek, WeekError};

/// Weeks the trend charts cover, this one included.
pub const TREND_WEEKS: usize = 8;
/// Oldest waiting pull requests listed.
pub const OLDEST_WAITING: usize = 5;

/// What the report covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Scope {
    /// Every repository recorded.
    All,
    /// The repositories of one organisation.
    Org(String),
    /// One repository, `owner/name`.
    Repo(String),
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::All => f.write_str("all repositories"),
            Scope::Org(o) => write!(f, "organisation {o}"),
            Scope::Repo(r) => f.write_str(r),
        }
    }
}

/// The weekly report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The ISO week, `2026-W49`.
    pub week: IsoWeek,
    /// Its first instant, RFC 3339 in the report's time zone.
    pub from: String,
    /// The first instant after it.
    pub to: String,
    /// The time zone the week's bounds are in.
    pub time_zone: String,
    /// What it covers.
    pub scope: Scope,
    /// Pull requests.
    pub pull_requests: PullRequests,
    /// The board; `None` when no board is set up.
    pub board: Option<BoardFigures>,
    /// Incidents.
    pub incidents: Incidents,
    /// Tags and deployments.
    pub releases: Releases,
    /// The four keys.
    pub dora: Dora,
    /// The last [`TREND_WEEKS`] weeks, oldest first (the charts).
    pub trend: Vec<TrendWeek>,
    /// First human review latencies of this week by bucket (the distribution chart).
    pub review_latency: Vec<Bucket>,
}

/// A count with the week before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Count {
    /// This week.
    pub value: u64,
    /// The week before.
    pub previous: u64,
    /// `value - previous`.
    pub delta: i64,
}

impl Count {
    fn new(value: u64, previous: u64) -> Self {
        let delta =
            i64::try_from(value).unwrap_or(i64::MAX) - i64::try_from(previous).unwrap_or(i64::MAX);
        Count { value, previous, delta }
    }
}

/// Durations summarised, in hours, with the week before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Durations {
    /// How many durations ended this week.
    pub count: u64,
    /// Their median.
    pub median_hours: Option<f64>,
    /// Their nearest-rank 90th percentile.
    pub p90_hours: Option<f64>,
    /// The week before's median.
    pub previous_median_hours: Option<f64>,
    /// The week before's p90.
    pub previous_p90_hours: Option<f64>,
    /// Median minus the week before's, when both exist.
    pub delta_median_hours: Option<f64>,
    /// p90 minus the week before's, when both exist.
    pub delta_p90_hours: Option<f64>,
    /// Why there is no figure, when there is none.
    pub no_data: Option<String>,
}

impl Durations {
    fn new(now: &[f64], before: &[f64], what: &str) -> Self {
        let (m, p) = (median(now).map(round2), p90(now).map(round2));
        let (pm, pp) = (median(before).map(round2), p90(before).map(round2));
        let diff = |a: Option<f64>, b: Option<f64>| Some(round2(a? - b?));
        Durations {
            count: now.len() as u64,
            median_hours: m,
            p90_hours: p,
            previous_median_hours: pm,
            previous_p90_hours: pp,
            delta_median_hours: diff(m, pm),
            delta_p90_hours: diff(p, pp),
            no_data: now.is_empty().then(|| format!("no {what} this week")),
        }
    }
}

/// Pull-request figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PullRequests {
    /// Opened this week.
    pub opened: Count,
    /// Merged this week.
    pub merged: Count,
    /// Closed without merging this week.
    pub closed_unmerged: Count,
    /// Opening to the first review by a person other than the author, for first reviews
    /// submitted this week.
    pub time_to_first_review: Durations,
    /// Opening to CodeRabbit's first approval, for approvals this week.
    pub time_to_coderabbit_approval: Durations,
    /// Time spent in `status:needs-cursor-fix`, per `agent:*` label, for waits that ended this
    /// week.
    pub needs_cursor_fix: Vec<AgentWait>,
    /// The open pull requests waiting longest, with what blocks each.
    pub oldest_waiting: Vec<WaitingPull>,
}

/// One agent's waits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentWait {
    /// The `agent:*` label (or `(no agent label)`).
    pub agent: String,
    /// The waits.
    #[serde(flatten)]
    pub durations: Durations,
}

/// A pull request waiting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitingPull {
    /// `owner/name`.
    pub repo: String,
    /// Number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Hours waited at the week's end.
    pub waiting_hours: f64,
    /// What blocks it.
    pub blocker: String,
}

/// Board figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardFigures {
    /// Items per column at the week's end (of the items whose column plasma-ops saw set).
    pub columns: Vec<Column>,
    /// Column changes during the week.
    pub moved: Count,
}

/// A column's item count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// The column.
    pub column: String,
    /// Items in it at the week's end.
    pub items: u64,
}

/// Incident figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incidents {
    /// Opened this week.
    pub opened: Count,
    /// Resolved this week.
    pub resolved: Count,
    /// Opening to acknowledgement, for acknowledgements this week.
    pub time_to_acknowledge: Durations,
    /// Opening to resolution, for incidents resolved this week.
    pub time_to_restore: Durations,
    /// Incidents resolved this week with no postmortem linked.
    pub postmortems_missing: Count,
}

/// Releases and deployments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Releases {
    /// Tags cut this week.
    pub tags: Count,
    /// Their names.
    pub tag_names: Vec<String>,
    /// Deployments created this week, every environment.
    pub deployments: Count,
    /// Successful production deployments this week.
    pub production_succeeded: Count,
    /// Production deployments of this week that failed.
    pub production_failed: Count,
}

/// The four keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dora {
    /// Successful production deployments per week.
    pub deployment_frequency: DoraFigure,
    /// Median lead time for changes.
    pub lead_time: DoraFigure,
    /// Change failure rate.
    pub change_failure_rate: DoraFigure,
    /// Median time to restore.
    pub time_to_restore: DoraFigure,
}

/// One key: a number and its band, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoraFigure {
    /// The figure; `None` with [`DoraFigure::no_data`].
    pub value: Option<f64>,
    /// Its unit.
    pub unit: &'static str,
    /// Its DORA band.
    pub band: Option<Band>,
    /// Why there is no figure.
    pub no_data: Option<String>,
    /// How it is computed, and the band thresholds.
    pub definition: &'static str,
    /// What it was computed from this week (counts), in words.
    pub basis: Option<String>,
    /// The week before's value.
    pub previous: Option<f64>,
    /// `value - previous`, when both exist.
    pub delta: Option<f64>,
    /// Deployment frequency only: the share of the week's days with a deployment, 0 to 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_of_days: Option<f64>,
}

/// One week of the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendWeek {
    /// The week.
    pub week: IsoWeek,
    /// Pull requests opened.
    pub opened: u64,
    /// Pull requests merged.
    pub merged: u64,
    /// Successful production deployments.
    pub deployments: Option<f64>,
    /// Median lead time, hours.
    pub lead_time_hours: Option<f64>,
    /// Change failure rate, percent.
    pub change_failure_rate: Option<f64>,
    /// Median time to restore, hours.
    pub time_to_restore_hours: Option<f64>,
}

/// A bucket of the review latency distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// Its label (`< 1 h`, ...).
    pub bucket: &'static str,
    /// Reviews in it.
    pub count: u64,
}

const BUCKETS: [(&str, f64); 5] =
    [("< 1 h", 1.0), ("1-4 h", 4.0), ("4-24 h", 24.0), ("1-3 d", 72.0), ("> 3 d", f64::INFINITY)];

/// Builds the report of `week` (bounds in `tz`, named `tz_name`) over `input`.
pub fn build(
    input: &ReportInput,
    scope: Scope,
    week: IsoWeek,
    tz: &TimeZone,
    tz_name: &str,
) -> Result<Report, WeekError> {
    let weeks = week.last(TREND_WEEKS)?;
    let mut all = Vec::with_capacity(weeks.len());
    for w in &weeks {
        let span = Span { days: w.day_starts(tz)? };
        all.push((*w, span, figures::week(input, &span)));
    }
    let n = all.len();
    let (_, span, now) = &all[n - 1];
    let (_, _, before) = &all[n - 2];
    let offset_rfc = |ms: i64| -> Result<String, WeekError> {
        let t = jiff::Timestamp::from_millisecond(ms).map_err(|_| WeekError::OutOfRange(ms))?;
        Ok(t.display_with_offset(tz.to_offset(t)).to_string())
    };
    let trend = all
        .iter()
        .map(|(w, _, f)| TrendWeek {
            week: *w,
            opened: f.opened,
            merged: f.merged,
            deployments: dora_figures(f).deployment_frequency.value,
            lead_time_hours: dora_figures(f).lead_time.value,
            change_failure_rate: dora_figures(f).change_failure_rate.value,
            time_to_restore_hours: dora_figures(f).time_to_restore.value,
        })
        .collect();
    Ok(Report {
        week,
        from: offset_rfc(span.from())?,
        to: offset_rfc(span.to())?,
        time_zone: tz_name.to_string(),
        scope,
        pull_requests: pull_requests(input, span.to(), now, before),
        board: now.board_columns.as_ref().map(|cols| BoardFigures {
            columns: cols.iter().map(|(c, n)| Column { column: c.clone(), items: *n }).collect(),
            moved: Count::new(now.board_moved, before.board_moved),
        }),
        incidents: Incidents {
            opened: Count::new(now.incidents_opened, before.incidents_opened),
            resolved: Count::new(now.incidents_resolved, before.incidents_resolved),
            time_to_acknowledge: Durations::new(
                &now.acknowledge,
                &before.acknowledge,
                "incident acknowledged",
            ),
            time_to_restore: Durations::new(&now.restore, &before.restore, "incident resolved"),
            postmortems_missing: Count::new(now.postmortems_missing, before.postmortems_missing),
        },
        releases: Releases {
            tags: Count::new(now.tags.len() as u64, before.tags.len() as u64),
            tag_names: now.tags.clone(),
            deployments: Count::new(now.deployments, before.deployments),
            production_succeeded: Count::new(now.production_succeeded, before.production_succeeded),
            production_failed: Count::new(now.production_failed, before.production_failed),
        },
        dora: with_previous(dora_figures(now), &dora_figures(before)),
        trend,
        review_latency: BUCKETS
            .iter()
            .enumerate()
            .map(|(i, (label, upper))| {
                let lower = if i == 0 { f64::NEG_INFINITY } else { BUCKETS[i - 1].1 };
                let count =
                    now.first_review.iter().filter(|h| lower <= **h && **h < *upper).count();
                Bucket { bucket: label, count: count as u64 }
            })
            .collect(),
    })
}

fn pull_requests(
    input: &ReportInput,
    to: i64,
    now: &WeekFigures,
    before: &WeekFigures,
) -> PullRequests {
    let agents: BTreeSet<&String> = now.fix_wait.keys().chain(before.fix_wait.keys()).collect();
    let mut waiting: Vec<_> = input.waiting.iter().filter(|w| w.since < to).collect();
    waiting.sort_by(|a, b| (a.since, &a.repo, a.number).cmp(&(b.since, &b.repo, b.number)));
    PullRequests {
        opened: Count::new(now.opened, before.opened),
        merged: Count::new(now.merged, before.merged),
        closed_unmerged: Count::new(now.closed_unmerged, before.closed_unmerged),
        time_to_first_review: Durations::new(
            &now.first_review,
            &before.first_review,
            "first human review",
        ),
        time_to_coderabbit_approval: Durations::new(
            &now.coderabbit_approval,
            &before.coderabbit_approval,
            "CodeRabbit approval",
        ),
        needs_cursor_fix: agents
            .into_iter()
            .map(|a| AgentWait {
                agent: a.clone(),
                durations: Durations::new(
                    now.fix_wait.get(a).map_or(&[][..], Vec::as_slice),
                    before.fix_wait.get(a).map_or(&[][..], Vec::as_slice),
                    "wait ended",
                ),
            })
            .collect(),
        oldest_waiting: waiting
            .into_iter()
            .take(OLDEST_WAITING)
            .map(|w| WaitingPull {
                repo: w.repo.clone(),
                number: w.number,
                title: w.title.clone(),
                waiting_hours: round2(crate::stats::hours(w.since, to)),
                blocker: w.blocker.clone(),
            })
            .collect(),
    }
}

fn figure(
    value: Result<(f64, Band, String), String>,
    unit: &'static str,
    definition: &'static str,
) -> DoraFigure {
    let (value, band, basis, no_data) = match value {
        Ok((v, b, basis)) => (Some(round2(v)), Some(b), Some(basis), None),
        Err(why) => (None, None, None, Some(why)),
    };
    DoraFigure {
        value,
        unit,
        band,
        no_data,
        definition,
        basis,
        previous: None,
        delta: None,
        share_of_days: None,
    }
}

fn dora_figures(f: &WeekFigures) -> Dora {
    let raw = &f.dora;
    let mut deployment_frequency = figure(
        raw.frequency.clone().map(|(n, days, month)| {
            let share = (days as f64 * 100.0 / 7.0).round();
            let basis =
                format!("{n} successful production deployment(s) on {days} of 7 days ({share} %)");
            (n as f64, dora::frequency_band(days, month), basis)
        }),
        "deployments per week",
        dora::FREQUENCY,
    );
    if let Ok((_, days, _)) = raw.frequency {
        deployment_frequency.share_of_days = Some(round2(days as f64 / 7.0));
    }
    let lead_time = figure(
        raw.lead_time.clone().and_then(|(v, opening)| {
            let m = median(&v).ok_or_else(|| "no lead time".to_string())?;
            let basis = format!(
                "{} pull request(s) first deployed to production this week, {opening} measured \
                 from their opening",
                v.len()
            );
            Ok((m, dora::lead_time_band(round2(m)), basis))
        }),
        "hours",
        dora::LEAD_TIME,
    );
    let change_failure_rate = figure(
        raw.change_failure.clone().map(|(failed, total)| {
            let pct = if total == 0 { 0.0 } else { failed as f64 * 100.0 / total as f64 };
            let basis =
                format!("{failed} of {total} production deployment(s) followed by an incident");
            (pct, dora::change_failure_band(round2(pct)), basis)
        }),
        "percent",
        dora::CHANGE_FAILURE,
    );
    let time_to_restore = figure(
        raw.restore.clone().and_then(|v| {
            let m = median(&v).ok_or_else(|| "no restore time".to_string())?;
            let basis = format!("{} incident(s) tied to a deployment resolved this week", v.len());
            Ok((m, dora::restore_band(round2(m)), basis))
        }),
        "hours",
        dora::RESTORE,
    );
    Dora { deployment_frequency, lead_time, change_failure_rate, time_to_restore }
}

fn with_previous(mut now: Dora, before: &Dora) -> Dora {
    let pair = |n: &mut DoraFigure, b: &DoraFigure| {
        n.previous = b.value;
        n.delta = match (n.value, b.value) {
            (Some(x), Some(y)) => Some(round2(x - y)),
            _ => None,
        };
    };
    pair(&mut now.deployment_frequency, &before.deployment_frequency);
    pair(&mut now.lead_time, &before.lead_time);
    pair(&mut now.change_failure_rate, &before.change_failure_rate);
    pair(&mut now.time_to_restore, &before.time_to_restore);
    now
}
