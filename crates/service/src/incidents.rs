//! Incidents, reconciled like any issue: gather what GitHub shows of one (the issue, its
//! comments, its assignment events, the labels of issues its links name), let
//! `plasma_policy::incident` decide, record the incident and its events in the store, and hand
//! back the findings and the writes (a reopen comment and the reopen) for the issue's plan.
//!
//! The notification hook: every [`IncidentEvent`] decided is appended to the store's incident
//! event outbox (`Store::incident_events`, table `incident_events`), once per fact, and each new
//! one is logged with target `plasma_ops::incident_events`. In the same transaction each new
//! fact's notifications (`incident_opened`, `incident_unacknowledged`, `incident_resolved`, to
//! the targets `notifications.routes` names) are written to the notification outbox, so a
//! redelivered or replayed event, or a second replica, announces nothing twice. A dry run
//! records the facts and announces nothing; so does a fact GitHub dates more than
//! [`crate::notifier::ANNOUNCE_WITHIN`] ago (an incident older than plasma-ops's first look at it).

use jiff::Timestamp;
use plasma_config::NotificationsConfig;
use plasma_github::client::Comment;
use plasma_github::{FetchedIssue, GitHubClient};
use plasma_notify::message;
use plasma_policy::incident::{
    self, IncidentDecision, IncidentEvent, IncidentFacts, IncidentRecord, LinkCandidate,
};
use plasma_policy::plan::Write;
use plasma_policy::{Finding, Policy};
use plasma_store::{IncidentRow, NewIncidentEvent, NewNotification};
use tracing::info;

use crate::app::App;
use crate::reconcile::ReconcileError;

/// Most linked issues looked up for their `postmortem` label per incident: a body full of links
/// costs at most this many calls.
const MAX_LABEL_LOOKUPS: usize = 10;

/// What the incident rules add to an issue's reconcile.
#[derive(Debug, Default)]
pub struct IncidentOutcome {
    /// Findings for the summary.
    pub findings: Vec<Finding>,
    /// Writes to make before the summary.
    pub writes: Vec<Write>,
}

/// Milliseconds since the epoch as GitHub-style time; the store's unit.
fn millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// Reconciles the incident side of an issue; nothing when it is not an incident.
pub async fn reconcile(
    app: &App,
    gh: &GitHubClient,
    inst: Option<u64>,
    repo: &str,
    fetched: &FetchedIssue,
    policy: &Policy,
    our_login: &str,
) -> Result<IncidentOutcome, ReconcileError> {
    let rules = policy.incident_rules();
    if !rules.is_incident(&fetched.snapshot.labels) || fetched.issue.is_pull_request() {
        return Ok(IncidentOutcome::default());
    }
    let number = fetched.snapshot.number;
    let rc = gh.repo(inst, repo)?;
    let events = rc.list_issue_events(number).await?;
    let ours =
        |c: &Comment| c.user.as_ref().is_some_and(|u| u.login.eq_ignore_ascii_case(our_login));
    let author = &fetched.snapshot.author;
    let first_response_at = fetched
        .comments
        .iter()
        .filter(|c| !ours(c))
        .filter(|c| {
            c.user.as_ref().is_some_and(|u| {
                !u.login.eq_ignore_ascii_case(&author.login) && !u.to_actor().is_bot()
            })
        })
        .filter_map(|c| c.created_at)
        .min();
    let first_assigned_at =
        events.iter().filter(|e| e.event == "assigned").filter_map(|e| e.created_at).min();
    let org = repo.split('/').next().unwrap_or_default();
    let texts = std::iter::once(fetched.issue.body.as_deref().unwrap_or(""))
        .chain(fetched.comments.iter().filter(|c| !ours(c)).map(|c| c.body.as_str()));
    let candidates: Vec<LinkCandidate> =
        texts.flat_map(|t| rules.link_candidates(org, t)).collect();
    let postmortem =
        postmortem_link(gh, inst, &candidates, &rules.config().postmortem.label).await?;
    let reopened = incident::reopen_marks(
        fetched.comments.iter().filter(|c| ours(c)).map(|c| c.body.as_str()),
    );
    let Some(created_at) =
        fetched.issue.created_at.as_deref().and_then(|t| t.parse::<Timestamp>().ok())
    else {
        return Err(ReconcileError {
            message: format!(
                "{repo}#{number}: GitHub sent no readable created_at for the incident ({:?})",
                fetched.issue.created_at
            ),
            retry_after: None,
            status: None,
        });
    };
    let facts = IncidentFacts {
        repository: repo.to_string(),
        number,
        title: fetched.snapshot.title.clone(),
        author: author.clone(),
        labels: fetched.snapshot.labels.clone(),
        assignees: fetched.snapshot.assignees.clone(),
        state: fetched.snapshot.state,
        state_reason: fetched.issue.state_reason.clone(),
        created_at,
        closed_at: fetched.issue.closed_at.as_deref().and_then(|t| t.parse().ok()),
        closed_by: fetched.issue.closed_by.as_ref().map(|a| a.to_actor()),
        first_assigned_at,
        first_response_at,
        postmortem,
        reopened,
        our_login: our_login.to_string(),
    };
    let now = Timestamp::from_millisecond(app.now()).unwrap_or(Timestamp::UNIX_EPOCH);
    let decision = incident::decide(&facts, rules, now);
    let notes = if app.dry_run() {
        Vec::new()
    } else {
        notifications(&policy.config().notifications, &decision, now)
    };
    record(app, &decision, &notes, now).await?;
    let IncidentDecision { findings, reopen, .. } = decision;
    let mut writes = Vec::new();
    if let Some(r) = reopen {
        if let Some(body) = r.comment {
            writes.push(Write::CreateComment { body });
        }
        writes.push(Write::ReopenIssue);
    }
    Ok(IncidentOutcome { findings, writes })
}

/// The first candidate that is a postmortem: a direct link, or an issue or pull request carrying
/// the postmortem label (looked up, at most [`MAX_LABEL_LOOKUPS`]; one that cannot be read does
/// not count).
async fn postmortem_link(
    gh: &GitHubClient,
    inst: Option<u64>,
    candidates: &[LinkCandidate],
    label: &str,
) -> Result<Option<String>, ReconcileError> {
    if let Some(LinkCandidate::Postmortem(url)) =
        candidates.iter().find(|c| matches!(c, LinkCandidate::Postmortem(_)))
    {
        return Ok(Some(url.clone()));
    }
    let labelled = candidates.iter().filter_map(|c| match c {
        LinkCandidate::NeedsLabel { url, repo, number } => Some((url, repo, *number)),
        LinkCandidate::Postmortem(_) => None,
    });
    for (url, repo, number) in labelled.take(MAX_LABEL_LOOKUPS) {
        let Ok(rc) = gh.repo(inst, repo) else { continue };
        match rc.get_issue(number).await {
            Ok(issue) if issue.label_names().iter().any(|l| l.eq_ignore_ascii_case(label)) => {
                return Ok(Some(url.clone()));
            }
            Ok(_) => {}
            Err(e) if matches!(e.status(), Some(403 | 404 | 410)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

/// The notifications of each of the decision's events (same order), each keyed by the fact's
/// kind and GitHub time; none for a fact older than [`crate::notifier::ANNOUNCE_WITHIN`].
pub fn notifications(
    config: &NotificationsConfig,
    d: &IncidentDecision,
    now: Timestamp,
) -> Vec<Vec<NewNotification>> {
    let r: &IncidentRecord = &d.record;
    let facts = message::IncidentFacts {
        repository: &r.repository,
        number: r.number,
        title: &r.title,
        severity: r.severity.as_deref(),
    };
    let horizon =
        now.checked_sub(crate::notifier::ANNOUNCE_WITHIN).unwrap_or(Timestamp::UNIX_EPOCH);
    d.events
        .iter()
        .map(|e| {
            if e.at() < horizon {
                return Vec::new();
            }
            let at = e.at().to_string();
            let m = match e {
                IncidentEvent::Opened { .. } => message::incident_opened(&facts, &at),
                IncidentEvent::Unacknowledged { .. } => {
                    message::incident_unacknowledged(&facts, &at)
                }
                IncidentEvent::Resolved { postmortem, .. } => {
                    message::incident_resolved(&facts, &at, postmortem.as_deref())
                }
            };
            message::plan(config, &m, &at)
        })
        .collect()
}

/// Records the incident, appends its new events to the outbox and, in the same transaction, the
/// notifications of the new ones.
async fn record(
    app: &App,
    d: &IncidentDecision,
    notes: &[Vec<NewNotification>],
    now: Timestamp,
) -> Result<(), ReconcileError> {
    let r: &IncidentRecord = &d.record;
    let row = IncidentRow {
        repo: r.repository.clone(),
        number: i64::try_from(r.number).unwrap_or(i64::MAX),
        title: r.title.clone(),
        severity: r.severity.clone(),
        state: r.state.as_str().to_string(),
        opened_at: millis(r.opened_at),
        acknowledged_at: r.acknowledged_at.map(millis),
        resolved_at: r.resolved_at.map(millis),
        ack_deadline: millis(r.ack_deadline),
        deadline_checked: now >= r.ack_deadline,
        postmortem: r.postmortem.clone(),
    };
    let events: Vec<NewIncidentEvent> = d
        .events
        .iter()
        .map(|e: &IncidentEvent| NewIncidentEvent {
            repo: row.repo.clone(),
            number: row.number,
            kind: e.kind().to_string(),
            at: millis(e.at()),
            body: serde_json::to_string(e).unwrap_or_default(),
        })
        .collect();
    let (new, enqueued) = app.store.record_incident_notify(&row, &events, notes, app.now()).await?;
    if enqueued > 0 {
        app.notify.notify_waiters();
    }
    for e in new {
        info!(
            target: "plasma_ops::incident_events",
            repo = %e.repo, number = e.number, kind = %e.kind, at = e.at, event = %e.body,
            "incident event"
        );
    }
    Ok(())
}
