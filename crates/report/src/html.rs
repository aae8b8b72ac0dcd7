//! The report as one HTML page with its charts drawn as inline SVG (no JavaScript): the same
//! page `plasma-ops report weekly --format html` writes and the dashboard serves at `/report`.
//! Text is escaped by askama; the SVGs hold only numbers and fixed labels (`crate::svg`).

use askama::Template;

use crate::fmt as f;
use crate::model::{Count, DoraFigure, Durations, Report};
use crate::svg::{self, BarSeries};

/// Where the page is shown.
#[derive(Debug, Clone, Default)]
pub struct PageContext {
    /// Served by the dashboard: its navigation and the week/scope form are shown.
    pub dashboard: bool,
    /// The `repo` filter as asked (the form's value).
    pub repo: String,
    /// The `org` filter as asked.
    pub org: String,
}

struct Key {
    id: &'static str,
    name: &'static str,
    value: String,
    band: Option<&'static str>,
    basis: String,
    previous: String,
    delta: String,
    no_data: Option<String>,
    definition: &'static str,
}

type Row = (String, String, String, String);

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    r: &'a Report,
    scope: String,
    dashboard: bool,
    repo_filter: &'a str,
    org_filter: &'a str,
    keys: Vec<Key>,
    throughput: String,
    latency: String,
    dora_charts: Vec<String>,
    pull_rows: Vec<Row>,
    waiting: Vec<(String, String, String)>,
    incident_rows: Vec<Row>,
    release_rows: Vec<Row>,
}

/// The report as an HTML page.
pub fn render(r: &Report, ctx: &PageContext) -> Result<String, askama::Error> {
    let weeks: Vec<String> = r.trend.iter().map(|t| format!("W{:02}", t.week.week())).collect();
    let opened: Vec<f64> = r.trend.iter().map(|t| t.opened as f64).collect();
    let merged: Vec<f64> = r.trend.iter().map(|t| t.merged as f64).collect();
    let throughput = svg::bars(
        "Pull requests opened and merged per week",
        "pull requests",
        &weeks,
        &[
            BarSeries { label: "opened", colour: "#0969da", values: &opened },
            BarSeries { label: "merged", colour: "#1a7f37", values: &merged },
        ],
    );
    let buckets: Vec<String> = r.review_latency.iter().map(|b| b.bucket.to_string()).collect();
    let counts: Vec<f64> = r.review_latency.iter().map(|b| b.count as f64).collect();
    let latency = svg::bars(
        "Time to first human review",
        "reviews",
        &buckets,
        &[BarSeries { label: "first reviews this week", colour: "#8250df", values: &counts }],
    );
    let series = |pick: fn(&crate::model::TrendWeek) -> Option<f64>| -> Vec<Option<f64>> {
        r.trend.iter().map(pick).collect()
    };
    let dora_charts = vec![
        svg::line(
            "Deployment frequency",
            "production deployments per week",
            "",
            "#0969da",
            &weeks,
            &series(|t| t.deployments),
        ),
        svg::line(
            "Lead time for changes",
            "median lead time",
            "hours",
            "#1a7f37",
            &weeks,
            &series(|t| t.lead_time_hours),
        ),
        svg::line(
            "Change failure rate",
            "change failure rate",
            "percent",
            "#cf222e",
            &weeks,
            &series(|t| t.change_failure_rate),
        ),
        svg::line(
            "Time to restore",
            "median time to restore",
            "hours",
            "#bc4c00",
            &weeks,
            &series(|t| t.time_to_restore_hours),
        ),
    ];
    let d = &r.dora;
    let keys = vec![
        key("frequency", "Deployment frequency", &d.deployment_frequency),
        key("lead-time", "Lead time for changes", &d.lead_time),
        key("change-failure", "Change failure rate", &d.change_failure_rate),
        key("restore", "Time to restore", &d.time_to_restore),
    ];
    let p = &r.pull_requests;
    let mut pull_rows = vec![
        count("Opened", &p.opened),
        count("Merged", &p.merged),
        count("Closed unmerged", &p.closed_unmerged),
        durations("Time to first human review (median / p90)", &p.time_to_first_review),
        durations("Time to CodeRabbit approval (median / p90)", &p.time_to_coderabbit_approval),
    ];
    for a in &p.needs_cursor_fix {
        let name = format!("In status:needs-cursor-fix, {} (median / p90)", a.agent);
        pull_rows.push(durations(&name, &a.durations));
    }
    let waiting = p
        .oldest_waiting
        .iter()
        .map(|w| {
            (
                format!("{}#{} {}", w.repo, w.number, w.title),
                f::hours(Some(w.waiting_hours)),
                w.blocker.clone(),
            )
        })
        .collect();
    let i = &r.incidents;
    let incident_rows = vec![
        count("Opened", &i.opened),
        count("Resolved", &i.resolved),
        durations("Time to acknowledge (median / p90)", &i.time_to_acknowledge),
        durations("Time to restore (median / p90)", &i.time_to_restore),
        count("Resolved without a postmortem", &i.postmortems_missing),
    ];
    let rel = &r.releases;
    let release_rows = vec![
        count("Tags cut", &rel.tags),
        count("Deployments (every environment)", &rel.deployments),
        count("Successful production deployments", &rel.production_succeeded),
        count("Failed production deployments", &rel.production_failed),
    ];
    Page {
        r,
        scope: r.scope.to_string(),
        dashboard: ctx.dashboard,
        repo_filter: &ctx.repo,
        org_filter: &ctx.org,
        keys,
        throughput,
        latency,
        dora_charts,
        pull_rows,
        waiting,
        incident_rows,
        release_rows,
    }
    .render()
}

fn key(id: &'static str, name: &'static str, d: &DoraFigure) -> Key {
    let previous = match d.previous {
        None => "no data".to_string(),
        Some(v) => f::dora_value(&DoraFigure { value: Some(v), share_of_days: None, ..d.clone() }),
    };
    Key {
        id,
        name,
        value: f::dora_value(d),
        band: d.band.map(crate::dora::Band::as_str),
        basis: d.basis.clone().unwrap_or_default(),
        previous,
        delta: f::dora_delta(d),
        no_data: d.no_data.clone(),
        definition: d.definition,
    }
}

fn count(name: &str, c: &Count) -> Row {
    (name.to_string(), c.value.to_string(), c.previous.to_string(), f::count_delta(c))
}

fn durations(name: &str, d: &Durations) -> Row {
    (name.to_string(), f::spread(d), f::spread_before(d), f::delta_hours(d.delta_median_hours))
}
