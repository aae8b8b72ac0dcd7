//! One week's raw figures: counts and the samples the medians are taken of. A fact belongs to the
//! week its GitHub time falls in (`[from, to)`); a duration belongs to the week it ended in (a
//! review submitted this week of a pull request opened last week counts this week).

use std::collections::{BTreeMap, BTreeSet};

use crate::input::{Deployment, Millis, Pull, ReportInput, Reviewer};
use crate::stats::hours;

/// The label a pull request carries while it waits for an agent's fix.
pub const NEEDS_FIX: &str = "status:needs-cursor-fix";
/// The prefix of the labels that name the agent.
pub const AGENT_PREFIX: &str = "agent:";
/// Where a wait with no agent label is counted.
pub const NO_AGENT: &str = "(no agent label)";

const DAY: i64 = 86_400_000;

/// The week being computed.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    /// Start of each of the seven days and of the next Monday.
    pub days: [Millis; 8],
}

impl Span {
    /// First instant of the week.
    pub fn from(&self) -> Millis {
        self.days[0]
    }

    /// First instant after the week.
    pub fn to(&self) -> Millis {
        self.days[7]
    }

    fn holds(&self, t: Millis) -> bool {
        self.from() <= t && t < self.to()
    }

    fn holds_opt(&self, t: Option<Millis>) -> bool {
        t.is_some_and(|t| self.holds(t))
    }
}

/// One week's figures before they are compared with the week before.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeekFigures {
    pub opened: u64,
    pub merged: u64,
    pub closed_unmerged: u64,
    pub first_review: Vec<f64>,
    pub coderabbit_approval: Vec<f64>,
    pub fix_wait: BTreeMap<String, Vec<f64>>,
    pub board_columns: Option<Vec<(String, u64)>>,
    pub board_moved: u64,
    pub incidents_opened: u64,
    pub incidents_resolved: u64,
    pub acknowledge: Vec<f64>,
    pub restore: Vec<f64>,
    pub postmortems_missing: u64,
    pub tags: Vec<String>,
    pub deployments: u64,
    pub production_succeeded: u64,
    pub production_failed: u64,
    pub dora: DoraRaw,
}

/// The inputs of the four keys for one week; `Err` holds why there is no figure.
#[derive(Debug, Clone, PartialEq)]
pub struct DoraRaw {
    /// (successful production deployments, days with one, any in the trailing four weeks).
    pub frequency: Result<(u64, u64, bool), String>,
    /// Lead times in hours, and how many were measured from the opening for want of a commit.
    pub lead_time: Result<(Vec<f64>, u64), String>,
    /// (deployments followed by an incident, all production deployments).
    pub change_failure: Result<(u64, u64), String>,
    /// Restore times in hours of the incidents tied to a deployment.
    pub restore: Result<Vec<f64>, String>,
}

impl Default for DoraRaw {
    fn default() -> Self {
        let none = || String::from("not computed");
        DoraRaw {
            frequency: Err(none()),
            lead_time: Err(none()),
            change_failure: Err(none()),
            restore: Err(none()),
        }
    }
}

/// Computes the figures of the week `span` from `input`.
pub fn week(input: &ReportInput, span: &Span) -> WeekFigures {
    let mut f = WeekFigures::default();
    for p in &input.pulls {
        pull(p, span, &mut f);
    }
    if let Some(moves) = &input.board {
        let mut last: BTreeMap<&str, (Millis, &str)> = BTreeMap::new();
        for m in moves.iter().filter(|m| m.at < span.to()) {
            let e = last.entry(m.item.as_str()).or_insert((m.at, m.column.as_str()));
            if m.at >= e.0 {
                *e = (m.at, m.column.as_str());
            }
        }
        let mut columns: BTreeMap<String, u64> = BTreeMap::new();
        for (_, column) in last.values() {
            *columns.entry((*column).to_string()).or_default() += 1;
        }
        f.board_columns = Some(columns.into_iter().collect());
        f.board_moved = moves.iter().filter(|m| span.holds(m.at)).count() as u64;
    }
    for i in &input.incidents {
        if span.holds(i.opened_at) {
            f.incidents_opened += 1;
        }
        if let Some(ack) = i.acknowledged_at.filter(|t| span.holds(*t)) {
            f.acknowledge.push(hours(i.opened_at, ack));
        }
        if let Some(done) = i.resolved_at.filter(|t| span.holds(*t)) {
            f.incidents_resolved += 1;
            f.restore.push(hours(i.opened_at, done));
            if !i.postmortem {
                f.postmortems_missing += 1;
            }
        }
    }
    let mut tags: Vec<&str> =
        input.tags.iter().filter(|t| span.holds(t.at)).map(|t| t.name.as_str()).collect();
    tags.sort_unstable();
    f.tags = tags.into_iter().map(String::from).collect();
    for d in &input.deployments {
        if span.holds(d.created_at) {
            f.deployments += 1;
        }
        if d.production && span.holds_opt(d.succeeded_at) {
            f.production_succeeded += 1;
        }
        if d.production && d.failed && d.succeeded_at.is_none() && span.holds(d.created_at) {
            f.production_failed += 1;
        }
    }
    f.dora = dora(input, span);
    f
}

fn pull(p: &Pull, span: &Span, f: &mut WeekFigures) {
    if span.holds_opt(p.opened_at) {
        f.opened += 1;
    }
    if span.holds_opt(p.merged_at) {
        f.merged += 1;
    }
    if p.merged_at.is_none() && span.holds_opt(p.closed_at) {
        f.closed_unmerged += 1;
    }
    if let Some(opened) = p.opened_at {
        let first = |keep: &dyn Fn(&crate::input::Review) -> bool| {
            p.reviews.iter().filter(|r| keep(r)).map(|r| r.at).min()
        };
        let human = first(&|r| r.reviewer == Reviewer::Human && r.login != p.author);
        if let Some(at) = human.filter(|t| span.holds(*t)) {
            f.first_review.push(hours(opened, at));
        }
        let rabbit = first(&|r| r.reviewer == Reviewer::CodeRabbit && r.state == "approved");
        if let Some(at) = rabbit.filter(|t| span.holds(*t)) {
            f.coderabbit_approval.push(hours(opened, at));
        }
    }
    for (agents, start, end) in fix_waits(p) {
        if span.holds(end) {
            for agent in agents {
                f.fix_wait.entry(agent).or_default().push(hours(start, end));
            }
        }
    }
}

/// Each finished stretch of [`NEEDS_FIX`] on `p`: the agent labels it carried meanwhile (or
/// [`NO_AGENT`]), its start and its end (the label's removal, or the close that ended it).
fn fix_waits(p: &Pull) -> Vec<(BTreeSet<String>, Millis, Millis)> {
    let mut changes: Vec<_> = p.labels.iter().collect();
    // Same instant: removals first, so a swap of labels in one edit is not an overlap.
    changes.sort_by_key(|c| (c.at, c.added));
    let mut on: BTreeSet<String> = BTreeSet::new();
    let mut open: Option<(Millis, BTreeSet<String>)> = None;
    let mut out = Vec::new();
    let agents_now = |on: &BTreeSet<String>| -> BTreeSet<String> {
        on.iter().filter(|l| l.starts_with(AGENT_PREFIX)).cloned().collect()
    };
    for c in changes {
        if p.closed_at.is_some_and(|closed| c.at > closed) {
            break;
        }
        if c.added {
            on.insert(c.label.clone());
        } else {
            on.remove(&c.label);
        }
        if c.label == NEEDS_FIX {
            match (&mut open, c.added) {
                (None, true) => open = Some((c.at, agents_now(&on))),
                (Some((start, agents)), false) => {
                    out.push((finish(std::mem::take(agents)), *start, c.at));
                    open = None;
                }
                _ => {}
            }
        } else if let Some((_, agents)) = &mut open {
            agents.extend(agents_now(&on));
        }
    }
    if let (Some((start, agents)), Some(closed)) = (open, p.closed_at) {
        out.push((finish(agents), start, closed));
    }
    out
}

fn finish(agents: BTreeSet<String>) -> BTreeSet<String> {
    if agents.is_empty() { BTreeSet::from([NO_AGENT.to_string()]) } else { agents }
}

fn dora(input: &ReportInput, span: &Span) -> DoraRaw {
    let production: Vec<&Deployment> = input.deployments.iter().filter(|d| d.production).collect();
    let succeeded: Vec<(&Deployment, Millis)> =
        production.iter().filter_map(|d| d.succeeded_at.map(|t| (*d, t))).collect();
    let this_week: Vec<(&Deployment, Millis)> =
        succeeded.iter().copied().filter(|(_, t)| span.holds(*t)).collect();
    let no_production = if input.deployments.is_empty() {
        "no deployment is recorded for this scope: plasma-ops records GitHub's `deployment` and \
         `deployment_status` events, so the App must receive them"
            .to_string()
    } else {
        "no deployment to a production environment is recorded for this scope: \
         `deployments.production` names the production environments"
            .to_string()
    };
    let none_this_week = || "no successful production deployment this week".to_string();

    let frequency = if production.is_empty() {
        Err(no_production.clone())
    } else {
        let days = (0..7)
            .filter(|i| {
                this_week.iter().any(|(_, t)| span.days[*i] <= *t && *t < span.days[*i + 1])
            })
            .count() as u64;
        let month = succeeded.iter().any(|(_, t)| span.to() - 28 * DAY <= *t && *t < span.to());
        Ok((this_week.len() as u64, days, month))
    };

    let lead_time = if production.is_empty() {
        Err(no_production.clone())
    } else if this_week.is_empty() {
        Err(none_this_week())
    } else {
        lead_times(input, &succeeded, span)
    };

    let no_incidents = "no incident is recorded for this scope, so a failure cannot be told from \
                        untracked incidents: label incident issues `incident`"
        .to_string();
    let change_failure = if production.is_empty() {
        Err(no_production.clone())
    } else if this_week.is_empty() {
        Err(none_this_week())
    } else if !input.incidents_recorded {
        Err(no_incidents.clone())
    } else {
        let failed =
            this_week.iter().filter(|(d, t)| followed_by_incident(input, &succeeded, d, *t));
        Ok((failed.count() as u64, this_week.len() as u64))
    };

    let restore = if !input.incidents_recorded {
        Err(no_incidents)
    } else if production.is_empty() {
        Err(no_production)
    } else {
        let tied: Vec<f64> = input
            .incidents
            .iter()
            .filter(|i| succeeded.iter().any(|(d, t)| d.repo == i.repo && *t <= i.opened_at))
            .filter_map(|i| i.resolved_at.filter(|t| span.holds(*t)).map(|t| hours(i.opened_at, t)))
            .collect();
        if tied.is_empty() {
            Err("no incident tied to a production deployment was resolved this week".to_string())
        } else {
            Ok(tied)
        }
    };
    DoraRaw { frequency, lead_time, change_failure, restore }
}

/// The lead time of every pull request whose first successful production deployment was this
/// week.
fn lead_times(
    input: &ReportInput,
    succeeded: &[(&Deployment, Millis)],
    span: &Span,
) -> Result<(Vec<f64>, u64), String> {
    let mut first: BTreeMap<(&str, u64), Millis> = BTreeMap::new();
    for (d, t) in succeeded {
        for n in &d.pulls {
            let e = first.entry((d.repo.as_str(), *n)).or_insert(*t);
            *e = (*e).min(*t);
        }
    }
    let mut out = Vec::new();
    let mut from_opening = 0u64;
    let mut unknown = 0u64;
    for ((repo, n), t) in first.into_iter().filter(|(_, t)| span.holds(*t)) {
        let p = input.pulls.iter().find(|p| p.repo == repo && p.number == n);
        match p
            .and_then(|p| p.first_commit_at.map(|c| (c, false)).or(p.opened_at.map(|o| (o, true))))
        {
            Some((start, opening)) => {
                out.push(hours(start, t));
                from_opening += u64::from(opening);
            }
            None => unknown += 1,
        }
    }
    if out.is_empty() {
        return Err(if unknown > 0 {
            format!(
                "the {unknown} pull request(s) first deployed this week have no recorded first \
                 commit or opening"
            )
        } else {
            "this week's production deployments brought no pull request plasma-ops recorded"
                .to_string()
        });
    }
    Ok((out, from_opening))
}

/// Whether an incident of `d`'s repository opened after `d` succeeded and before the next
/// successful production deployment of that repository.
fn followed_by_incident(
    input: &ReportInput,
    succeeded: &[(&Deployment, Millis)],
    d: &Deployment,
    at: Millis,
) -> bool {
    let next = succeeded
        .iter()
        .filter(|(o, t)| o.repo == d.repo && (*t > at || (*t == at && o.id > d.id)))
        .map(|(_, t)| *t)
        .min()
        .unwrap_or(Millis::MAX);
    input.incidents.iter().any(|i| i.repo == d.repo && at <= i.opened_at && i.opened_at < next)
}
