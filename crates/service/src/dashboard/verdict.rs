//! The row the reconciler keeps per pull request for the dashboard: computed here from the
//! snapshot it judged and the policy's verdict, written by `record_reconcile`.

use plasma_policy::rules::review_loop::ReviewLoopState;
use plasma_policy::snapshot::{PrSnapshot, PrState};
use plasma_policy::{Severity, Verdict};
use plasma_store::PrVerdictRow;

/// The coordination state of a verdict: ready to merge wins, else the review loop's state;
/// unknown reviews count as "needs CodeRabbit review".
pub fn coordination_state(v: &Verdict) -> &'static str {
    if v.ready {
        return "ready";
    }
    match v.review.state {
        Some(ReviewLoopState::NeedsFix) => "needs_fix",
        Some(ReviewLoopState::Approved) => "approved",
        Some(ReviewLoopState::NeedsReview) | None => "needs_review",
    }
}

/// The newest GitHub timestamp on the snapshot (reviews, check runs, statuses), in Unix
/// milliseconds; never the time the delivery arrived.
pub fn last_event_at(pr: &PrSnapshot) -> Option<i64> {
    let reviews = pr.reviews.iter().flatten().filter_map(|r| r.submitted_at);
    let checks =
        pr.check_runs.iter().flatten().flat_map(|c| [c.started_at, c.completed_at]).flatten();
    let statuses = pr.statuses.iter().flatten().filter_map(|s| s.updated_at);
    reviews.chain(checks).chain(statuses).map(|t| t.as_millisecond()).max()
}

/// The row to keep for `pr` judged as `v`.
pub fn row(key: &str, pr: &PrSnapshot, v: &Verdict, dry_run: bool, now: i64) -> PrVerdictRow {
    let first_blocker =
        v.findings.iter().find(|f| f.severity == Severity::Error).map(|f| f.message.clone());
    let agent_labels = v.dispatch.as_ref().map(|d| d.labels.clone()).unwrap_or_default();
    PrVerdictRow {
        job_key: key.to_owned(),
        repository: pr.repository.clone(),
        number: pr.number,
        title: pr.title.clone(),
        author: pr.author.login.clone(),
        head_sha: pr.head.sha.clone(),
        open: pr.state == PrState::Open,
        state: coordination_state(v).to_owned(),
        first_blocker,
        findings: serde_json::to_value(&v.findings).unwrap_or_default(),
        agent_labels,
        summary: v.summary.clone(),
        last_event_at: last_event_at(pr),
        dry_run,
        updated_at: now,
        first_seen_at: now,
    }
}
