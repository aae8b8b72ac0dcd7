//! The report on a fixed data set whose every figure was computed by hand (the arithmetic is in
//! the comments), and the cases where a DORA key has no data.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::field_reassign_with_default
)]

use jiff::tz::TimeZone;

use crate::dora::Band;
use crate::input::*;
use crate::model::{Count, DoraFigure, Durations, Report, Scope, build};
use crate::week::IsoWeek;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// Monday 2026-11-30 00:00 UTC, the start of 2026-W49.
const W49: i64 = 1_795_996_800_000;
const REPO: &str = "plasma/engine";

/// Day `d` (0 = Monday of W49; negative = the week before), hour `h`, UTC.
fn t(d: i64, h: i64) -> i64 {
    W49 + d * DAY + h * HOUR
}

fn review(login: &str, reviewer: Reviewer, state: &str, at: i64) -> Review {
    Review { login: login.into(), reviewer, state: state.into(), at }
}

fn label(label: &str, added: bool, at: i64) -> LabelChange {
    LabelChange { label: label.into(), added, at }
}

fn pull(number: u64, author: &str, opened: i64) -> Pull {
    Pull {
        repo: REPO.into(),
        number,
        title: format!("change {number}"),
        author: author.into(),
        opened_at: Some(opened),
        ..Pull::default()
    }
}

fn deployment(id: i64, env: &str, created: i64, ok: Option<i64>, pulls: &[u64]) -> Deployment {
    Deployment {
        repo: REPO.into(),
        id,
        environment: env.into(),
        production: env == "production",
        sha: format!("{id:040}"),
        created_at: created,
        succeeded_at: ok,
        failed: ok.is_none(),
        pulls: pulls.to_vec(),
    }
}

fn incident(repo: &str, number: u64, opened: i64) -> Incident {
    Incident { repo: repo.into(), number, opened_at: opened, ..Incident::default() }
}

/// The hand-computed data set: week 2026-W49 in UTC, and the week before (W48).
fn data() -> ReportInput {
    use Reviewer::*;
    const FIX: &str = "status:needs-cursor-fix";
    // #1 opened Mon 09:00, CodeRabbit approves after 1 h, bob reviews after 2 h, merged Tue.
    let mut p1 = pull(1, "alice", t(0, 9));
    p1.first_commit_at = Some(t(-1, 9));
    p1.merged_at = Some(t(1, 9));
    p1.closed_at = p1.merged_at;
    p1.reviews = vec![
        review("coderabbitai[bot]", CodeRabbit, "approved", t(0, 10)),
        review("bob", Human, "commented", t(0, 11)),
    ];
    // #2 opened last Friday 12:00; its author's own review and CodeRabbit's comment do not count;
    // CodeRabbit approves after 96 h, bob reviews after 120 h; waits 6 h on agent:cursor.
    let mut p2 = pull(2, "carol", t(-3, 12));
    p2.merged_at = Some(t(2, 18));
    p2.closed_at = p2.merged_at;
    p2.reviews = vec![
        review("carol", Human, "commented", t(-3, 13)),
        review("coderabbitai[bot]", CodeRabbit, "commented", t(-3, 13)),
        review("coderabbitai[bot]", CodeRabbit, "approved", t(1, 12)),
        review("bob", Human, "approved", t(2, 12)),
    ];
    p2.labels = vec![
        label(FIX, true, t(0, 8)),
        label("agent:cursor", true, t(0, 8)),
        label(FIX, false, t(0, 14)),
    ];
    // #3 closed unmerged Fri with the fix label still on: 24 h on agent:codex.
    let mut p3 = pull(3, "dave", t(2, 10));
    p3.closed_at = Some(t(4, 10));
    p3.labels = vec![label("agent:codex", true, t(2, 10)), label(FIX, true, t(3, 10))];
    // #4 opened Sat 09:00, reviewed after 24 h; 2 h of fix wait with no agent label.
    let mut p4 = pull(4, "erin", t(5, 9));
    p4.reviews = vec![review("frank", Human, "approved", t(6, 9))];
    p4.labels = vec![label(FIX, true, t(5, 10)), label(FIX, false, t(5, 12))];
    // #5 last week: reviewed after 1 h, merged, 4 h on agent:cursor.
    let mut p5 = pull(5, "alice", t(-6, 9));
    p5.first_commit_at = Some(t(-7, 9));
    p5.merged_at = Some(t(-5, 9));
    p5.closed_at = p5.merged_at;
    p5.reviews = vec![review("bob", Human, "approved", t(-6, 10))];
    p5.labels = vec![
        label("agent:cursor", true, t(-6, 11)),
        label(FIX, true, t(-6, 11)),
        label(FIX, false, t(-6, 15)),
    ];
    // #6 a bot's pull request, reviewed by another bot only.
    let mut p6 = pull(6, "renovate[bot]", t(3, 0));
    p6.reviews = vec![review("dependabot[bot]", OtherBot, "approved", t(3, 1))];

    let waiting = |number: u64, since: i64, blocker: &str| Waiting {
        repo: REPO.into(),
        number,
        title: format!("waiting {number}"),
        since,
        blocker: blocker.into(),
    };
    let mv = |item: &str, column: &str, at: i64| BoardMove {
        item: item.into(),
        column: column.into(),
        at,
    };
    let mut i1 = incident(REPO, 101, t(3, 3));
    i1.acknowledged_at = Some(t(3, 4));
    i1.resolved_at = Some(t(3, 6));
    i1.postmortem = true;
    let mut i2 = incident(REPO, 102, t(-4, 5));
    i2.acknowledged_at = Some(t(-4, 6));
    i2.resolved_at = Some(t(0, 5));
    let i3 = incident(REPO, 103, t(6, 0));
    let mut i4 = incident("plasma/other", 104, t(2, 0));
    i4.acknowledged_at = Some(t(2, 2));
    i4.resolved_at = Some(t(2, 12));
    let tag = |name: &str, at: i64| Tag { repo: REPO.into(), name: name.into(), at };

    ReportInput {
        pulls: vec![p1, p2, p3, p4, p5, p6],
        waiting: vec![
            waiting(8, t(4, 0), "waiting on CodeRabbit"),
            waiting(7, t(-10, 0), "CI failing: test"),
            waiting(9, t(8, 0), "opened after the week"),
        ],
        board: Some(vec![
            mv("A", "Todo", t(-2, 0)),
            mv("A", "In Progress", t(1, 0)),
            mv("B", "Todo", t(3, 0)),
            mv("C", "Done", t(6, 0)),
            mv("C", "In Progress", t(8, 0)),
        ]),
        incidents: vec![i1, i2, i3, i4],
        incidents_recorded: true,
        tags: vec![tag("v1.2.1", t(4, 0)), tag("v1.2.0", t(1, 12)), tag("v1.1.0", t(-2, 0))],
        deployments: vec![
            deployment(10, "production", t(-4, 0), Some(t(-4, 1)), &[5]),
            deployment(11, "production", t(1, 10), Some(t(1, 11)), &[1]),
            deployment(12, "production", t(3, 0), Some(t(3, 1)), &[2]),
            deployment(13, "production", t(3, 5), None, &[]),
            deployment(14, "staging", t(2, 0), Some(t(2, 1)), &[]),
            deployment(15, "production", t(5, 0), Some(t(5, 0)), &[]),
        ],
    }
}

fn report(input: &ReportInput) -> Report {
    build(input, Scope::Repo(REPO.into()), "2026-W49".parse().unwrap(), &TimeZone::UTC, "UTC")
        .unwrap()
}

fn count(value: u64, previous: u64) -> Count {
    Count { value, previous, delta: value as i64 - previous as i64 }
}

/// (count, median, p90, previous median, previous p90, delta median, delta p90).
type D = (u64, Option<f64>, Option<f64>, Option<f64>, Option<f64>, Option<f64>, Option<f64>);

fn assert_durations(what: &str, d: &Durations, want: D) {
    let got = (
        d.count,
        d.median_hours,
        d.p90_hours,
        d.previous_median_hours,
        d.previous_p90_hours,
        d.delta_median_hours,
        d.delta_p90_hours,
    );
    assert_eq!(got, want, "{what}");
    assert_eq!(d.no_data.is_some(), want.0 == 0, "{what}: no_data");
}

/// (value, band, previous, delta).
fn assert_dora(
    what: &str,
    d: &DoraFigure,
    want: (Option<f64>, Option<Band>, Option<f64>, Option<f64>),
) {
    assert_eq!((d.value, d.band, d.previous, d.delta), want, "{what}");
    assert_eq!(d.no_data.is_some(), want.0.is_none(), "{what}: no_data {:?}", d.no_data);
    assert!(d.definition.contains("DevLake"), "{what}: the definition cites its thresholds");
}

#[test]
fn every_figure_of_the_hand_computed_week() {
    let r = report(&data());
    assert_eq!(r.week.to_string(), "2026-W49");
    assert_eq!(r.from, "2026-11-30T00:00:00+00:00");
    assert_eq!(r.to, "2026-12-07T00:00:00+00:00");

    let p = &r.pull_requests;
    // Opened: #1, #3, #4, #6 (last week #2, #5). Merged: #1, #2 (last week #5). Closed: #3.
    assert_eq!(p.opened, count(4, 2));
    assert_eq!(p.merged, count(2, 1));
    assert_eq!(p.closed_unmerged, count(1, 0));
    // First human reviews this week: #1 2 h, #2 120 h, #4 24 h -> [2, 24, 120]: median 24,
    // p90 = rank ceil(2.7) = 3 -> 120. Last week #5 1 h.
    assert_durations(
        "first review",
        &p.time_to_first_review,
        (3, Some(24.0), Some(120.0), Some(1.0), Some(1.0), Some(23.0), Some(119.0)),
    );
    // CodeRabbit approvals: #1 1 h, #2 96 h -> median 48.5, p90 rank 2 -> 96; none last week.
    assert_durations(
        "coderabbit",
        &p.time_to_coderabbit_approval,
        (2, Some(48.5), Some(96.0), None, None, None, None),
    );
    let agents: Vec<&str> = p.needs_cursor_fix.iter().map(|a| a.agent.as_str()).collect();
    assert_eq!(agents, ["(no agent label)", "agent:codex", "agent:cursor"]);
    // #4 2 h without an agent label; #3 24 h (ended by its close); #2 6 h, last week #5 4 h.
    assert_durations(
        "no agent",
        &p.needs_cursor_fix[0].durations,
        (1, Some(2.0), Some(2.0), None, None, None, None),
    );
    assert_durations(
        "codex",
        &p.needs_cursor_fix[1].durations,
        (1, Some(24.0), Some(24.0), None, None, None, None),
    );
    assert_durations(
        "cursor",
        &p.needs_cursor_fix[2].durations,
        (1, Some(6.0), Some(6.0), Some(4.0), Some(4.0), Some(2.0), Some(2.0)),
    );
    // Oldest first, aged at the week's end (t(7, 0)); #9 came after the week.
    let waiting: Vec<(u64, f64, &str)> =
        p.oldest_waiting.iter().map(|w| (w.number, w.waiting_hours, w.blocker.as_str())).collect();
    assert_eq!(waiting, [(7, 408.0, "CI failing: test"), (8, 72.0, "waiting on CodeRabbit")]);

    let b = r.board.as_ref().expect("a board is set up");
    let columns: Vec<(&str, u64)> =
        b.columns.iter().map(|c| (c.column.as_str(), c.items)).collect();
    // A ends in In Progress, B in Todo, C in Done (its move on t(8) is after the week).
    assert_eq!(columns, [("Done", 1), ("In Progress", 1), ("Todo", 1)]);
    assert_eq!(b.moved, count(3, 1));

    let i = &r.incidents;
    assert_eq!(i.opened, count(3, 1));
    assert_eq!(i.resolved, count(3, 0));
    // Acknowledged this week: 101 after 1 h, 104 after 2 h; last week 102 after 1 h.
    assert_durations(
        "acknowledge",
        &i.time_to_acknowledge,
        (2, Some(1.5), Some(2.0), Some(1.0), Some(1.0), Some(0.5), Some(1.0)),
    );
    // Resolved this week: 101 3 h, 102 96 h, 104 12 h -> [3, 12, 96].
    assert_durations(
        "restore",
        &i.time_to_restore,
        (3, Some(12.0), Some(96.0), None, None, None, None),
    );
    assert_eq!(i.postmortems_missing, count(2, 0));

    let rel = &r.releases;
    assert_eq!(rel.tags, count(2, 1));
    assert_eq!(rel.tag_names, ["v1.2.0", "v1.2.1"]);
    assert_eq!(rel.deployments, count(5, 1));
    assert_eq!(rel.production_succeeded, count(3, 1));
    assert_eq!(rel.production_failed, count(1, 0));

    let d = &r.dora;
    // 3 successful production deployments (11, 12, 15) on Tue, Thu, Sat: 3 of 7 days -> high.
    assert_dora(
        "frequency",
        &d.deployment_frequency,
        (Some(3.0), Some(Band::High), Some(1.0), Some(2.0)),
    );
    assert_eq!(d.deployment_frequency.share_of_days, Some(0.43));
    // #1: first commit t(-1, 9) -> deployment 11 at t(1, 11) = 50 h; #2 (no commit recorded):
    // opened t(-3, 12) -> deployment 12 at t(3, 1) = 133 h; median 91.5 h -> high. Last week #5:
    // t(-7, 9) -> t(-4, 1) = 64 h.
    assert_dora("lead time", &d.lead_time, (Some(91.5), Some(Band::High), Some(64.0), Some(27.5)));
    assert_eq!(
        d.lead_time.basis.as_deref(),
        Some(
            "2 pull request(s) first deployed to production this week, 1 measured from their opening"
        )
    );
    // 11 is followed by no incident before 12; 12 by 101; 15 by 103: 2 of 3 = 66.67 % -> low.
    // Last week 10 was followed by 102: 100 %.
    assert_dora(
        "change failure",
        &d.change_failure_rate,
        (Some(66.67), Some(Band::Low), Some(100.0), Some(-33.33)),
    );
    assert_eq!(
        d.change_failure_rate.basis.as_deref(),
        Some("2 of 3 production deployment(s) followed by an incident")
    );
    // Tied to a deployment and resolved this week: 101 (3 h), 102 (96 h); 104's repository had
    // no deployment. Median 49.5 h -> medium. None last week.
    assert_dora("restore", &d.time_to_restore, (Some(49.5), Some(Band::Medium), None, None));

    // Eight weeks, W42..W49; only the last two hold data.
    let weeks: Vec<String> = r.trend.iter().map(|t| t.week.to_string()).collect();
    assert_eq!(weeks.first().map(String::as_str), Some("2026-W42"));
    assert_eq!(weeks.len(), 8);
    let opened: Vec<u64> = r.trend.iter().map(|t| t.opened).collect();
    assert_eq!(opened, [0, 0, 0, 0, 0, 0, 2, 4]);
    let deployments: Vec<Option<f64>> = r.trend.iter().map(|t| t.deployments).collect();
    assert_eq!(
        deployments,
        [Some(0.0), Some(0.0), Some(0.0), Some(0.0), Some(0.0), Some(0.0), Some(1.0), Some(3.0)]
    );
    let cfr: Vec<Option<f64>> = r.trend.iter().map(|t| t.change_failure_rate).collect();
    assert_eq!(cfr, [None, None, None, None, None, None, Some(100.0), Some(66.67)]);
    // First reviews this week by bucket: 2 h, 24 h (1-3 d), 120 h (> 3 d).
    let buckets: Vec<u64> = r.review_latency.iter().map(|b| b.count).collect();
    assert_eq!(buckets, [0, 1, 0, 1, 1]);
}

#[test]
fn the_json_has_the_interface_shape() {
    let v = serde_json::to_value(report(&data())).unwrap();
    assert_eq!(v["week"], "2026-W49");
    assert_eq!(v["scope"], serde_json::json!({"kind": "repo", "name": REPO}));
    for k in ["opened", "merged", "closed_unmerged"] {
        assert!(v["pull_requests"][k]["value"].is_u64(), "{k}");
    }
    for k in ["deployment_frequency", "lead_time", "change_failure_rate", "time_to_restore"] {
        let e = &v["dora"][k];
        for field in ["value", "unit", "band", "no_data", "definition"] {
            assert!(e.get(field).is_some(), "dora.{k}.{field}");
        }
    }
    assert_eq!(v["dora"]["change_failure_rate"]["band"], "low");
    assert_eq!(v["dora"]["time_to_restore"]["unit"], "hours");
}

#[test]
fn no_data_says_why_for_each_missing_input() {
    let empty = report(&ReportInput::default());
    let d = &empty.dora;
    for f in [&d.deployment_frequency, &d.lead_time, &d.change_failure_rate] {
        assert_eq!(f.value, None);
        assert_eq!(f.band, None);
        assert!(f.no_data.as_deref().unwrap().starts_with("no deployment is recorded"), "{f:?}");
    }
    assert!(d.time_to_restore.no_data.as_deref().unwrap().starts_with("no incident is recorded"));
    assert!(empty.board.is_none(), "no board set up");

    // Only staging deployments.
    let mut staging = ReportInput::default();
    staging.deployments = vec![deployment(1, "staging", t(1, 0), Some(t(1, 1)), &[])];
    staging.incidents_recorded = true;
    let r = report(&staging);
    let why = r.dora.deployment_frequency.no_data.unwrap();
    assert!(why.contains("deployments.production"), "{why}");

    // Production deployments, but incidents are not tracked: no failure rate, no restore time.
    let mut untracked = data();
    untracked.incidents.clear();
    untracked.incidents_recorded = false;
    let r = report(&untracked);
    assert_eq!(r.dora.deployment_frequency.value, Some(3.0));
    for f in [&r.dora.change_failure_rate, &r.dora.time_to_restore] {
        assert_eq!(f.value, None);
        assert!(f.no_data.as_deref().unwrap().starts_with("no incident is recorded"));
    }

    // No production deployment this week, one three weeks ago: frequency 0 (medium), the rest
    // no data for this week.
    let mut quiet = ReportInput::default();
    quiet.deployments = vec![deployment(1, "production", t(-20, 0), Some(t(-20, 1)), &[])];
    quiet.incidents_recorded = true;
    let r = report(&quiet);
    assert_eq!(r.dora.deployment_frequency.value, Some(0.0));
    assert_eq!(r.dora.deployment_frequency.band, Some(Band::Medium));
    for f in [&r.dora.lead_time, &r.dora.change_failure_rate] {
        assert_eq!(f.no_data.as_deref(), Some("no successful production deployment this week"));
    }
    assert_eq!(
        r.dora.time_to_restore.no_data.as_deref(),
        Some("no incident tied to a production deployment was resolved this week")
    );
    // Five weeks ago: low.
    quiet.deployments[0].succeeded_at = Some(t(-35, 0));
    assert_eq!(report(&quiet).dora.deployment_frequency.band, Some(Band::Low));

    // A deployment this week that brought nothing known, then one bringing an unknown PR.
    let mut unknown = ReportInput::default();
    unknown.deployments = vec![deployment(1, "production", t(1, 0), Some(t(1, 1)), &[])];
    let r = report(&unknown);
    assert!(r.dora.lead_time.no_data.unwrap().contains("brought no pull request"));
    unknown.deployments[0].pulls = vec![77];
    let r = report(&unknown);
    assert!(r.dora.lead_time.no_data.unwrap().contains("no recorded first commit or opening"));
}

#[test]
fn a_deployment_every_day_is_elite_and_a_fast_restore_too() {
    let mut input = ReportInput { incidents_recorded: true, ..ReportInput::default() };
    input.pulls = vec![pull(1, "a", t(0, 0))];
    for day in 0..7 {
        let pulls: &[u64] = if day == 0 { &[1] } else { &[] };
        input.deployments.push(deployment(day, "production", t(day, 2), Some(t(day, 3)), pulls));
    }
    let mut i = incident(REPO, 1, t(6, 4));
    i.resolved_at = Some(t(6, 4) + HOUR / 2);
    input.incidents = vec![i];
    let r = report(&input);
    assert_eq!(r.dora.deployment_frequency.value, Some(7.0));
    assert_eq!(r.dora.deployment_frequency.share_of_days, Some(1.0));
    assert_eq!(r.dora.deployment_frequency.band, Some(Band::Elite));
    assert_eq!(r.dora.lead_time.value, Some(3.0));
    assert_eq!(r.dora.lead_time.band, Some(Band::Elite));
    // 1 of 7 = 14.29 % -> medium.
    assert_eq!(r.dora.change_failure_rate.value, Some(14.29));
    assert_eq!(r.dora.change_failure_rate.band, Some(Band::Medium));
    assert_eq!(r.dora.time_to_restore.value, Some(0.5));
    assert_eq!(r.dora.time_to_restore.band, Some(Band::Elite));
}

#[test]
fn the_week_follows_the_time_zone() {
    // A pull request opened Sunday 23:30 UTC is Monday 00:30 in Berlin: next week there.
    let mut input = ReportInput::default();
    input.pulls = vec![pull(1, "a", t(6, 23) + HOUR / 2)];
    let berlin = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
    let w: IsoWeek = "2026-W49".parse().unwrap();
    let utc = build(&input, Scope::All, w, &TimeZone::UTC, "UTC").unwrap();
    let cet = build(&input, Scope::All, w, &berlin, "Europe/Berlin").unwrap();
    assert_eq!(utc.pull_requests.opened.value, 1);
    assert_eq!(cet.pull_requests.opened.value, 0);
    assert_eq!(cet.from, "2026-11-30T00:00:00+01:00");
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(crate::markdown::render(&report(&data())));
}

#[test]
fn html_snapshot_and_escaping() {
    let mut input = data();
    input.waiting[0].title = "<script>alert(1)</script>".into();
    let html = crate::html::render(&report(&input), &crate::html::PageContext::default()).unwrap();
    assert!(!html.contains("<script>"), "titles are escaped");
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
    assert_eq!(html.matches("<svg").count(), 6, "throughput, latency and four DORA trends");
    assert!(!html.contains("<nav>"), "no dashboard navigation outside the dashboard");
    insta::assert_snapshot!(html);
    let page = crate::html::render(
        &report(&input),
        &crate::html::PageContext { dashboard: true, repo: REPO.into(), org: String::new() },
    )
    .unwrap();
    assert!(page.contains("<nav>") && page.contains("name=\"week\" value=\"2026-W49\""));
}
