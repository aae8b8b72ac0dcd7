//! The dashboard's page models, computed from the store's rows, and their templates
//! (`templates/dashboard/`, askama: every `{{ }}` is HTML-escaped; only the summary, rendered by
//! [`super::markdown`], and the server-drawn charts are marked safe). The JSON answers are these
//! models serialised.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use plasma_github::{ClientStats, RateLimitStatus};
use plasma_store::{ActionRow, DeliveryRow, JobRow, PrVerdictRow, QueueDepth};
use serde::{Deserialize, Serialize};

use super::history::{Sample, WINDOW_MS};
use super::markdown;
use super::svg::{Series, chart};

/// Pull requests shown per group and page.
pub const PAGE_SIZE: usize = 50;
/// Action log entries read for a pull request's timeline.
pub const TIMELINE_LIMIT: u32 = 500;
/// Deliveries read for the latency figures.
pub const LATENCY_LIMIT: u32 = 5_000;

/// The coordination states in pipeline order, with their headings.
const GROUPS: [(&str, &str); 4] = [
    ("needs_review", "Needs CodeRabbit review"),
    ("needs_fix", "Needs fix"),
    ("approved", "CodeRabbit approved"),
    ("ready", "Ready to merge"),
];

fn state_title(state: &str) -> &'static str {
    GROUPS.iter().find(|(s, _)| *s == state).map_or("Unknown", |(_, t)| t)
}

/// `YYYY-MM-DD HH:MM UTC` of a Unix-millisecond time.
pub fn when(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| "-".into())
}

/// A short duration: `3d 4h`, `5h 10m`, `12m`, `<1m`.
pub fn age(ms: i64) -> String {
    let m = ms.max(0) / 60_000;
    match (m / 1440, (m % 1440) / 60, m % 60) {
        (0, 0, 0) => "<1m".into(),
        (0, 0, min) => format!("{min}m"),
        (0, h, min) => format!("{h}h {min}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

// ---------------------------------------------------------------- pipeline

/// The pipeline's query parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PipelineFilter {
    /// `owner/repo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// An agent label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// An author's login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// 1-based page (each group shows [`PAGE_SIZE`] pull requests a page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
}

impl PipelineFilter {
    fn keeps(&self, r: &PrVerdictRow) -> bool {
        fn set(f: &Option<String>) -> Option<&str> {
            f.as_deref().filter(|v| !v.is_empty())
        }
        set(&self.repo).is_none_or(|v| r.repository == v)
            && set(&self.author).is_none_or(|v| r.author == v)
            && set(&self.agent).is_none_or(|v| r.agent_labels.iter().any(|l| l == v))
    }

    /// The query string of this filter at `page`.
    fn query(&self, page: usize) -> String {
        let mut q = Vec::new();
        for (k, v) in [("repo", &self.repo), ("agent", &self.agent), ("author", &self.author)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.push(format!("{k}={}", enc(v)));
            }
        }
        if page > 1 {
            q.push(format!("page={page}"));
        }
        if q.is_empty() { "/".into() } else { format!("/?{}", q.join("&")) }
    }
}

/// One pull request on the pipeline.
#[derive(Debug, Serialize)]
pub struct PipelineRow {
    /// `owner/repo#n`.
    pub key: String,
    /// `owner/repo`.
    pub repository: String,
    /// Number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// The pull request on GitHub.
    pub github_url: String,
    /// Its dashboard page.
    pub page_url: String,
    /// Author's login.
    pub author: String,
    /// Since plasma-ops first judged it.
    pub age: String,
    /// The first error finding.
    pub first_blocker: Option<String>,
    /// Agent labels.
    pub agent_labels: Vec<String>,
    /// GitHub's newest timestamp on it.
    pub last_event: String,
    /// Judged in a dry run.
    pub dry_run: bool,
}

/// One coordination state's pull requests.
#[derive(Debug, Serialize)]
pub struct Group {
    /// `needs_review`, `needs_fix`, `approved`, `ready`.
    pub state: &'static str,
    /// Heading.
    pub title: &'static str,
    /// How many match the filter (all pages).
    pub count: usize,
    /// This page's.
    pub rows: Vec<PipelineRow>,
}

/// The pipeline page.
#[derive(Debug, Serialize, Template)]
#[template(path = "dashboard/pipeline.html")]
pub struct PipelinePage {
    /// The service runs in dry run: what is shown is what it would do.
    pub dry_run: bool,
    /// Open pull requests matching the filter.
    pub total: usize,
    /// The filter.
    pub filter: PipelineFilter,
    /// By coordination state.
    pub groups: Vec<Group>,
    /// Every repository, agent label and author seen, for the filter's choices.
    pub repos: Vec<String>,
    /// Agent labels seen.
    pub agents: Vec<String>,
    /// Authors seen.
    pub authors: Vec<String>,
    /// This page.
    pub page: usize,
    /// Pages.
    pub pages: usize,
    /// Link to the previous page, if any.
    pub prev_url: Option<String>,
    /// Link to the next page, if any.
    pub next_url: Option<String>,
}

/// The pipeline from the open verdicts.
pub fn pipeline(
    rows: Vec<PrVerdictRow>,
    filter: &PipelineFilter,
    dry_run: bool,
    now: i64,
) -> PipelinePage {
    let mut repos = BTreeSet::new();
    let mut agents = BTreeSet::new();
    let mut authors = BTreeSet::new();
    for r in &rows {
        repos.insert(r.repository.clone());
        authors.insert(r.author.clone());
        agents.extend(r.agent_labels.iter().cloned());
    }
    let page = filter.page.unwrap_or(1).max(1);
    let mut by_state: BTreeMap<&str, Vec<PrVerdictRow>> = BTreeMap::new();
    let mut total = 0;
    for r in rows.into_iter().filter(|r| filter.keeps(r)) {
        total += 1;
        let state = GROUPS.iter().find(|(s, _)| *s == r.state).map_or("needs_review", |(s, _)| s);
        by_state.entry(state).or_default().push(r);
    }
    let mut pages = 1;
    let groups = GROUPS
        .iter()
        .map(|(state, title)| {
            let all = by_state.remove(state).unwrap_or_default();
            pages = pages.max(all.len().div_ceil(PAGE_SIZE));
            let count = all.len();
            let rows = all
                .into_iter()
                .skip((page - 1) * PAGE_SIZE)
                .take(PAGE_SIZE)
                .map(|r| PipelineRow {
                    github_url: format!("https://github.com/{}/pull/{}", r.repository, r.number),
                    page_url: format!("/pr/{}/{}", r.repository, r.number),
                    age: age(now - r.first_seen_at),
                    last_event: r.last_event_at.map_or_else(|| "-".into(), when),
                    key: r.job_key,
                    repository: r.repository,
                    number: r.number,
                    title: r.title,
                    author: r.author,
                    first_blocker: r.first_blocker,
                    agent_labels: r.agent_labels,
                    dry_run: r.dry_run,
                })
                .collect();
            Group { state, title, count, rows }
        })
        .collect();
    PipelinePage {
        dry_run,
        total,
        filter: filter.clone(),
        groups,
        repos: repos.into_iter().collect(),
        agents: agents.into_iter().collect(),
        authors: authors.into_iter().collect(),
        page,
        pages,
        prev_url: (page > 1).then(|| filter.query(page - 1)),
        next_url: (page < pages).then(|| filter.query(page + 1)),
    }
}

/// The pipeline as HTML.
pub fn render_pipeline(p: &PipelinePage) -> Result<String, askama::Error> {
    p.render()
}

impl PipelinePage {
    fn selected(&self, which: &str, value: &str) -> bool {
        let f = match which {
            "repo" => &self.filter.repo,
            "agent" => &self.filter.agent,
            _ => &self.filter.author,
        };
        f.as_deref() == Some(value)
    }
}

// ---------------------------------------------------------------- pull request

/// A finding with its fix.
#[derive(Debug, Serialize, Deserialize)]
pub struct FindingView {
    /// Rule id.
    pub rule: String,
    /// `error`, `warning`, `info`.
    pub severity: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// A pull request's verdict.
#[derive(Debug, Serialize)]
pub struct VerdictView {
    /// Title.
    pub title: String,
    /// Author.
    pub author: String,
    /// Head commit judged.
    pub head_sha: String,
    /// Coordination state id.
    pub state: String,
    /// Its heading.
    pub state_title: &'static str,
    /// First error.
    pub first_blocker: Option<String>,
    /// Findings.
    pub findings: Vec<FindingView>,
    /// Agent labels.
    pub agent_labels: Vec<String>,
    /// The summary's Markdown.
    pub summary: String,
    /// The summary as (safe) HTML.
    #[serde(skip)]
    pub summary_html: String,
    /// GitHub's newest time on it.
    pub last_event: String,
    /// Judged in a dry run.
    pub dry_run: bool,
    /// Judged at.
    pub updated: String,
    /// Open.
    pub open: bool,
}

/// One write of a job, planned or applied.
#[derive(Debug, Serialize)]
pub struct WriteView {
    /// What kind of write.
    pub kind: String,
    /// `planned` (dry run) or `applied`.
    pub mode: &'static str,
    /// When.
    pub at: String,
    /// Before, pretty JSON.
    pub before: String,
    /// After, pretty JSON.
    pub after: String,
}

/// One job's writes.
#[derive(Debug, Serialize)]
pub struct JobView {
    /// The job's id, when the write came from a queued job.
    pub job_id: Option<i64>,
    /// Its writes, oldest first.
    pub writes: Vec<WriteView>,
}

/// One delivery and what followed.
#[derive(Debug, Serialize)]
pub struct DeliveryView {
    /// GitHub's delivery id (`None`: a sweep or the CLI).
    pub delivery_id: Option<String>,
    /// Event and action, when the delivery is still stored.
    pub event: Option<String>,
    /// When it arrived.
    pub received: Option<String>,
    /// The jobs it caused.
    pub jobs: Vec<JobView>,
}

/// The pull request page.
#[derive(Debug, Serialize, Template)]
#[template(path = "dashboard/pull_request.html")]
pub struct PrPage {
    /// `owner/repo#n`.
    pub key: String,
    /// On GitHub.
    pub github_url: String,
    /// The last verdict, if one was kept.
    pub verdict: Option<VerdictView>,
    /// Deliveries -> jobs -> writes, oldest first.
    pub timeline: Vec<DeliveryView>,
}

/// The pull request page from its verdict and action log.
pub fn pull_request(
    key: &str,
    verdict: Option<PrVerdictRow>,
    actions: &[ActionRow],
    deliveries: &[DeliveryRow],
    _now: i64,
) -> PrPage {
    let github_url = key
        .split_once('#')
        .map(|(repo, n)| format!("https://github.com/{repo}/pull/{n}"))
        .unwrap_or_default();
    let verdict = verdict.map(|v| VerdictView {
        findings: serde_json::from_value(v.findings).unwrap_or_default(),
        state_title: state_title(&v.state),
        summary_html: markdown::to_html(&v.summary),
        last_event: v.last_event_at.map_or_else(|| "-".into(), when),
        updated: when(v.updated_at),
        title: v.title,
        author: v.author,
        head_sha: v.head_sha,
        state: v.state,
        first_blocker: v.first_blocker,
        agent_labels: v.agent_labels,
        summary: v.summary,
        dry_run: v.dry_run,
        open: v.open,
    });
    // Actions come newest first; the timeline reads oldest first.
    let mut timeline: Vec<DeliveryView> = Vec::new();
    for a in actions.iter().rev() {
        let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
        let write = WriteView {
            kind: a.kind.clone(),
            mode: if a.dry_run { "planned" } else { "applied" },
            at: when(a.at),
            before: pretty(&a.before),
            after: pretty(&a.after),
        };
        let same_delivery = timeline.last().is_some_and(|d| d.delivery_id == a.delivery_id);
        if !same_delivery {
            let stored =
                a.delivery_id.as_deref().and_then(|id| deliveries.iter().find(|d| d.id == id));
            timeline.push(DeliveryView {
                delivery_id: a.delivery_id.clone(),
                event: stored.map(|d| match &d.action {
                    Some(action) => format!("{}.{action}", d.event),
                    None => d.event.clone(),
                }),
                received: stored.map(|d| when(d.received_at)),
                jobs: Vec::new(),
            });
        }
        if let Some(d) = timeline.last_mut() {
            match d.jobs.last_mut() {
                Some(j) if j.job_id == a.job_id => j.writes.push(write),
                _ => d.jobs.push(JobView { job_id: a.job_id, writes: vec![write] }),
            }
        }
    }
    PrPage { key: key.to_owned(), github_url, verdict, timeline }
}

/// The pull request page as HTML.
pub fn render_pull_request(p: &PrPage) -> Result<String, askama::Error> {
    p.render()
}

// ---------------------------------------------------------------- operations

/// A dead-lettered job.
#[derive(Debug, Serialize)]
pub struct DeadView {
    /// Its key.
    pub key: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last error.
    pub last_error: String,
    /// When it died.
    pub updated: String,
}

/// GitHub calls this process made.
#[derive(Debug, Serialize)]
pub struct GitHubView {
    /// Requests sent.
    pub requests: u64,
    /// Answered 304 from the ETag cache.
    pub not_modified: u64,
    /// Refused for rate limits.
    pub rate_limited: u64,
    /// Retried after a 5xx or network error.
    pub retries: u64,
    /// Share of requests answered 304, in percent.
    pub not_modified_percent: String,
}

/// A rate-limit budget.
#[derive(Debug, Serialize)]
pub struct BudgetView {
    /// `token`, `app`, `installation:<id>`.
    pub identity: String,
    /// `core`, `graphql`, ...
    pub resource: String,
    /// Left.
    pub remaining: u64,
    /// Window size.
    pub limit: Option<u64>,
    /// Reset time.
    pub reset: String,
}

/// Delivery-to-applied latency over the window.
#[derive(Debug, Serialize)]
pub struct LatencyView {
    /// Deliveries applied.
    pub count: usize,
    /// Median, ms.
    pub p50_ms: Option<i64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<i64>,
    /// Slowest, ms.
    pub max_ms: Option<i64>,
}

/// The ops page.
#[derive(Debug, Serialize, Template)]
#[template(path = "dashboard/ops.html")]
pub struct OpsPage {
    /// Queue depth now.
    pub queue: QueueDepth,
    /// Dead letters.
    pub dead_letters: Vec<DeadView>,
    /// GitHub calls (absent without a GitHub client: a dry run without credentials).
    pub github: Option<GitHubView>,
    /// Rate-limit budgets last seen.
    pub budgets: Vec<BudgetView>,
    /// Delivery-to-applied latency over 24 h.
    pub latency: LatencyView,
    /// The minute samples behind the charts.
    pub samples: Vec<Sample>,
    /// Queue depth chart (SVG).
    #[serde(skip)]
    pub queue_chart: String,
    /// GitHub calls per minute chart (SVG).
    #[serde(skip)]
    pub github_chart: String,
    /// Latency chart (SVG).
    #[serde(skip)]
    pub latency_chart: String,
}

fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let i = (sorted.len() * p).div_ceil(100).saturating_sub(1).min(sorted.len() - 1);
    sorted.get(i).copied()
}

/// The ops page from the store's and the client's figures.
pub fn ops(
    queue: QueueDepth,
    dead: &[JobRow],
    github: Option<(ClientStats, Vec<RateLimitStatus>)>,
    latencies: &[(i64, i64)],
    samples: &[Sample],
    now: i64,
) -> OpsPage {
    let from = now - WINDOW_MS;
    let dead_letters = dead
        .iter()
        .map(|j| DeadView {
            key: j.key.clone(),
            attempts: j.attempts,
            last_error: j.last_error.clone().unwrap_or_default(),
            updated: when(j.updated_at),
        })
        .collect();
    let (github, budgets) = match github {
        Some((s, limits)) => {
            let pct = if s.requests == 0 {
                "0.0".into()
            } else {
                format!("{:.1}", s.not_modified as f64 * 100.0 / s.requests as f64)
            };
            let view = GitHubView {
                requests: s.requests,
                not_modified: s.not_modified,
                rate_limited: s.rate_limited,
                retries: s.retries,
                not_modified_percent: pct,
            };
            let budgets = limits
                .into_iter()
                .map(|l| BudgetView {
                    reset: when(l.reset.saturating_mul(1000)),
                    identity: l.identity,
                    resource: l.resource,
                    remaining: l.remaining,
                    limit: l.limit,
                })
                .collect();
            (Some(view), budgets)
        }
        None => (None, Vec::new()),
    };
    let mut sorted: Vec<i64> = latencies.iter().map(|(r, p)| (p - r).max(0)).collect();
    sorted.sort_unstable();
    let latency = LatencyView {
        count: sorted.len(),
        p50_ms: percentile(&sorted, 50),
        p95_ms: percentile(&sorted, 95),
        max_ms: sorted.last().copied(),
    };
    let series = |f: fn(&Sample) -> u64| -> Vec<(i64, f64)> {
        samples.iter().filter(|s| s.minute >= from).map(|s| (s.minute, f(s) as f64)).collect()
    };
    let (pending, leased, dead_n) =
        (series(|s| s.pending), series(|s| s.leased), series(|s| s.dead));
    let queue_chart = chart(
        "Queue depth by state",
        from,
        now,
        &[
            Series { label: "pending", colour: "#0969da", points: &pending },
            Series { label: "leased", colour: "#1a7f37", points: &leased },
            Series { label: "dead", colour: "#cf222e", points: &dead_n },
        ],
    );
    // Calls per minute: differences of the client's running totals between samples.
    let delta = |f: fn(&Sample) -> u64| -> Vec<(i64, f64)> {
        samples
            .windows(2)
            .filter(|w| w[1].minute >= from)
            .map(|w| (w[1].minute, f(&w[1]).saturating_sub(f(&w[0])) as f64))
            .collect()
    };
    let (calls, n304, limited) = (
        delta(|s| s.github_requests),
        delta(|s| s.github_not_modified),
        delta(|s| s.github_rate_limited),
    );
    let github_chart = chart(
        "GitHub calls per minute",
        from,
        now,
        &[
            Series { label: "all", colour: "#0969da", points: &calls },
            Series { label: "304", colour: "#8250df", points: &n304 },
            Series { label: "rate-limited", colour: "#cf222e", points: &limited },
        ],
    );
    let mut lat: Vec<(i64, f64)> = latencies
        .iter()
        .filter(|(_, p)| *p >= from)
        .map(|(r, p)| (*p, (p - r).max(0) as f64))
        .collect();
    lat.sort_unstable_by_key(|p| p.0);
    let latency_chart = chart(
        "Delivery to applied, ms",
        from,
        now,
        &[Series { label: "latency ms", colour: "#bf8700", points: &lat }],
    );
    OpsPage {
        queue,
        dead_letters,
        github,
        budgets,
        latency,
        samples: samples.to_vec(),
        queue_chart,
        github_chart,
        latency_chart,
    }
}

/// The ops page as HTML.
pub fn render_ops(p: &OpsPage) -> Result<String, askama::Error> {
    p.render()
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage {
    failed: bool,
}

/// The login form; `failed` after a wrong token.
pub fn render_login(failed: bool) -> Result<String, askama::Error> {
    LoginPage { failed }.render()
}
