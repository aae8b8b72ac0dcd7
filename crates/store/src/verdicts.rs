//! The last verdict per pull request (issue 10, the dashboard): what the reconciler concluded the
//! last time it judged a pull request, kept so the dashboard's pages read the store and never
//! GitHub. Written by [`crate::Store::record_reconcile`] in the same transaction as the actions.

use crate::error::StoreError;
use crate::exec::Param;
use crate::rows::{StoreRow, to_u64};
use crate::types::Timestamp;

/// One pull request's last verdict.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PrVerdictRow {
    /// `owner/repo#n`.
    pub job_key: String,
    /// `owner/repo`.
    pub repository: String,
    /// Pull request number.
    pub number: u64,
    /// Title as GitHub gave it (repository-controlled: escape when rendering).
    pub title: String,
    /// Author's login.
    pub author: String,
    /// Head commit judged.
    pub head_sha: String,
    /// Open (closed pull requests leave the pipeline).
    pub open: bool,
    /// Coordination state: `needs_review`, `needs_fix`, `approved` or `ready`.
    pub state: String,
    /// The first error finding's message, if any.
    pub first_blocker: Option<String>,
    /// The findings (rule, severity, message, fix) as JSON.
    pub findings: serde_json::Value,
    /// Agent labels the verdict dispatches to.
    pub agent_labels: Vec<String>,
    /// The summary comment's Markdown.
    pub summary: String,
    /// The newest GitHub timestamp seen on the pull request (reviews, checks, commits), if any.
    pub last_event_at: Option<Timestamp>,
    /// Judged in a dry run: the actions were planned, not applied.
    pub dry_run: bool,
    /// When the reconciler wrote this row.
    pub updated_at: Timestamp,
    /// When the reconciler first wrote a row for this key (kept across updates; ignored on write).
    pub first_seen_at: Timestamp,
}

/// Coordination states in pipeline order.
pub const STATES: [&str; 4] = ["needs_review", "needs_fix", "approved", "ready"];

pub(crate) const UPSERT_VERDICT: &str = "INSERT INTO pr_verdicts (job_key, repository, number, \
     title, author, head_sha, open, state, first_blocker, findings, agent_labels, summary, \
     last_event_at, dry_run, updated_at, first_seen_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
     ON CONFLICT (job_key) DO UPDATE SET repository = excluded.repository, \
     number = excluded.number, title = excluded.title, author = excluded.author, \
     head_sha = excluded.head_sha, open = excluded.open, state = excluded.state, \
     first_blocker = excluded.first_blocker, findings = excluded.findings, \
     agent_labels = excluded.agent_labels, summary = excluded.summary, \
     last_event_at = excluded.last_event_at, dry_run = excluded.dry_run, \
     updated_at = excluded.updated_at";

macro_rules! select_verdicts {
    ($rest:literal) => {
        concat!(
            "SELECT job_key, repository, number, title, author, head_sha, open, state, ",
            "first_blocker, findings, agent_labels, summary, last_event_at, dry_run, updated_at, ",
            "first_seen_at ",
            "FROM pr_verdicts ",
            $rest
        )
    };
}

/// Open pull requests' verdicts, by repository and number.
pub(crate) const SELECT_OPEN_VERDICTS: &str =
    select_verdicts!("WHERE open ORDER BY repository, number");
/// One key's verdict: `$1` key.
pub(crate) const SELECT_VERDICT: &str = select_verdicts!("WHERE job_key = $1");

/// Writes `v` on `tx` (inside the reconcile's transaction).
pub(crate) async fn upsert<C: crate::exec::Conn>(
    tx: &mut C,
    v: &PrVerdictRow,
    op: &'static str,
) -> Result<(), StoreError> {
    let findings = v.findings.to_string();
    let labels = serde_json::Value::from(v.agent_labels.clone()).to_string();
    let number = i64::try_from(v.number).unwrap_or(i64::MAX);
    let params = [
        Param::Text(&v.job_key),
        Param::Text(&v.repository),
        Param::Int(number),
        Param::Text(&v.title),
        Param::Text(&v.author),
        Param::Text(&v.head_sha),
        Param::Bool(v.open),
        Param::Text(&v.state),
        Param::OptText(v.first_blocker.as_deref()),
        Param::Text(&findings),
        Param::Text(&labels),
        Param::Text(&v.summary),
        Param::OptInt(v.last_event_at),
        Param::Bool(v.dry_run),
        Param::Int(v.updated_at),
    ];
    tx.execute(UPSERT_VERDICT, &params, op).await?;
    Ok(())
}

/// A stored row back into a [`PrVerdictRow`].
pub(crate) fn decode(row: &impl StoreRow) -> Result<PrVerdictRow, StoreError> {
    const OP: &str = "read pull request verdicts";
    let job_key = row.text("job_key", OP)?;
    let corrupt = |column: &str, e: serde_json::Error| StoreError::Corrupt {
        what: format!("`{column}` of the verdict of {job_key}"),
        detail: e.to_string(),
    };
    let findings =
        serde_json::from_str(&row.text("findings", OP)?).map_err(|e| corrupt("findings", e))?;
    let agent_labels = serde_json::from_str(&row.text("agent_labels", OP)?)
        .map_err(|e| corrupt("agent_labels", e))?;
    Ok(PrVerdictRow {
        repository: row.text("repository", OP)?,
        number: to_u64(row.int("number", OP)?, "pull request number of a verdict")?,
        title: row.text("title", OP)?,
        author: row.text("author", OP)?,
        head_sha: row.text("head_sha", OP)?,
        open: row.boolean("open", OP)?,
        state: row.text("state", OP)?,
        first_blocker: row.opt_text("first_blocker", OP)?,
        findings,
        agent_labels,
        summary: row.text("summary", OP)?,
        last_event_at: row.opt_int("last_event_at", OP)?,
        dry_run: row.boolean("dry_run", OP)?,
        updated_at: row.int("updated_at", OP)?,
        first_seen_at: row.int("first_seen_at", OP)?,
        job_key,
    })
}

/// Deliveries processed since `$1`: when each arrived and when its processing ended, newest
/// first, at most `$2` (the ops page's delivery-to-applied latency; both are this service's
/// clock, which is what a latency of this service is about).
pub(crate) const DELIVERY_LATENCIES: &str = "SELECT received_at, processed_at FROM deliveries \
     WHERE processed_at IS NOT NULL AND processed_at >= $1 AND outcome = 'applied' \
     ORDER BY processed_at DESC LIMIT $2";
