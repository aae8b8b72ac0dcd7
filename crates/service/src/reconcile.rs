//! One reconcile: fetch the pull request as it is, judge it with the policy core, plan the
//! difference and apply it (or, in a dry run, record the plan). Level-triggered: the job only says
//! which pull request to look at, so duplicate, late or reordered deliveries change nothing.

use std::sync::Arc;
use std::time::Duration;

use plasma_config::ConfigSource;
use plasma_github::client::DEFAULT_CONFIG_PATH;
use plasma_github::{
    FetchOptions, GitHubClient, GitHubError, WebhookEvent, parse_event, pr_snapshot,
};
use plasma_policy::plan::{self, CurrentState, Memory, Plan, PlanOptions, Write};
use plasma_policy::snapshot::ReviewThread;
use plasma_policy::{Policy, PrSnapshot, Verdict, compile_policy};
use plasma_store::{Cause, Job, NewAction, PrMemory};
use serde_json::json;
use tracing::{info, warn};

use crate::app::App;
use crate::keys::JobKey;
use crate::metrics::WRITES;
use crate::threads::THREAD_EVENT;

/// Why a reconcile did not finish; the job is retried (honouring `retry_after`).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ReconcileError {
    /// What went wrong.
    pub message: String,
    /// GitHub asked us to wait this long.
    pub retry_after: Option<Duration>,
    /// GitHub's HTTP status, when GitHub refused (404: no such pull request or repository).
    pub status: Option<u16>,
}

impl From<GitHubError> for ReconcileError {
    fn from(e: GitHubError) -> Self {
        ReconcileError { retry_after: e.retry_after(), status: e.status(), message: e.to_string() }
    }
}

impl From<plasma_store::StoreError> for ReconcileError {
    fn from(e: plasma_store::StoreError) -> Self {
        ReconcileError { retry_after: None, status: None, message: format!("store: {e}") }
    }
}

fn fail(message: impl Into<String>) -> ReconcileError {
    ReconcileError { message: message.into(), retry_after: None, status: None }
}

/// What a reconcile did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Writes applied (or planned, in a dry run).
    pub writes: usize,
    /// Whether they were only planned.
    pub dry_run: bool,
}

/// Run the job.
pub async fn run(app: &App, job: &Job) -> Result<Outcome, ReconcileError> {
    match &job.key {
        JobKey::Pr { repo, number } => {
            let key = job.key.to_string();
            let ctx = JobContext { key: &key, causes: &job.causes, job_id: Some(job.id) };
            let done = reconcile_pr(app, &ctx, repo, *number).await?;
            Ok(Outcome { writes: done.plan.writes.len(), dry_run: done.dry_run })
        }
        JobKey::Sha { repo, sha } => fan_out_sha(app, job, repo, sha).await,
        JobKey::Issue { repo, number } => evaluate_issue(app, job, repo, *number).await,
        JobKey::Deployments { repo } => crate::deployments::analyse(app, job, repo).await,
        JobKey::Gate { repo } => crate::deployments::answer_gates(app, job, repo).await,
        JobKey::Board { repo, number } => {
            crate::board::card_of_issue(app, job, repo, *number).await
        }
        JobKey::BoardPr { repo, number } => {
            crate::board::card_of_pull(app, job, repo, *number).await
        }
    }
}

/// What a reconcile is about: its key, the deliveries that caused it, its job.
pub struct JobContext<'a> {
    /// `owner/repo#n`.
    pub key: &'a str,
    /// What triggered it since the last run.
    pub causes: &'a [Cause],
    /// The job, when run by a worker.
    pub job_id: Option<i64>,
}

/// The result of reconciling one pull request.
#[derive(Debug, Clone)]
pub struct PrReconciled {
    /// The snapshot judged.
    pub pr: PrSnapshot,
    /// The verdict; `None` when the configuration could not be used.
    pub verdict: Option<Verdict>,
    /// The plan, applied or (in a dry run) only recorded.
    pub plan: Plan,
    /// Whether the plan was only recorded.
    pub dry_run: bool,
}

/// The delivery that caused this run (for the action log and log correlation).
pub fn cause(job: &Job) -> Option<String> {
    first_delivery(&job.causes)
}

fn first_delivery(causes: &[Cause]) -> Option<String> {
    causes.iter().find_map(Cause::delivery_id).map(str::to_owned)
}

pub(crate) async fn installation(app: &App, causes: &[Cause], repo: &str) -> Option<u64> {
    if let Some(i) = app.installation_of(repo) {
        return Some(i);
    }
    for c in causes.iter().filter_map(Cause::delivery_id) {
        if let Ok(Some(d)) = app.store.delivery(c).await
            && let Some(i) = d.installation.and_then(|i| u64::try_from(i).ok())
        {
            app.remember_installation(repo, i);
            return Some(i);
        }
    }
    None
}

/// The login whose comments are ours (sticky summary, re-review markers): the configured one, else
/// the one GitHub names for our credentials (learned once by the client). When GitHub cannot say,
/// the reconcile fails and is retried: taking every marker as ours would let anyone forge them.
pub(crate) async fn marker_login(app: &App, gh: &GitHubClient) -> Result<String, ReconcileError> {
    if let Some(login) = &app.cfg.bot_login {
        return Ok(login.clone());
    }
    gh.login().await.map_err(|e| ReconcileError {
        retry_after: e.retry_after(),
        status: e.status(),
        message: format!(
            "cannot learn the login plasma-ops writes as ({e}); set PLASMA_OPS_BOT_LOGIN to \
             `<app-slug>[bot]` (or the token's user) if GitHub does not tell it"
        ),
    })
}

/// The policy for these files, compiled once per distinct pair of texts: compiling every glob and
/// pattern costs milliseconds, judging a pull request microseconds.
pub(crate) fn policy_for(
    app: &App,
    org: Option<&str>,
    base: Option<&str>,
) -> Result<Arc<Policy>, String> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (org, base).hash(&mut h);
    let key = h.finish();
    if let Some(p) = app.cached_policy(key) {
        return Ok(p);
    }
    let policy = Arc::new(policy_from(org, base)?);
    app.cache_policy(key, Arc::clone(&policy));
    Ok(policy)
}

/// Build the policy from the organisation's and the base branch's files. A broken file is not a
/// crash: it becomes a failing status that points at the error.
pub(crate) fn policy_from(org: Option<&str>, base: Option<&str>) -> Result<Policy, String> {
    let org_src = org.map(|text| ConfigSource { name: "<org>/.github/.github/plasma.yml", text });
    let repo_src = base.map(|text| ConfigSource { name: ".github/plasma.yml", text });
    compile_policy(org_src, repo_src)
        .map_err(|e| e.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
}

/// What a reconcile decided before anything is applied: the pull request as fetched, its
/// installation, the memory read and the policy core's decision. `plan` of the decision is what
/// `reconcile_pr` applies and what `pr_status` (MCP) reports.
#[derive(Debug, Clone)]
pub struct PrDecided {
    /// The snapshot judged.
    pub pr: PrSnapshot,
    /// The installation covering the repository, if known.
    pub installation: Option<u64>,
    /// What was remembered of the pull request.
    pub remembered: Memory,
    /// What plasma-ops left on the pull request (its labels, its sticky comment) as fetched.
    pub current: CurrentState,
    /// The verdict, the plan and the memory to keep.
    pub decision: plan::Decision,
    /// The compiled policy, when the configuration could be used (its notification routes).
    pub policy: Option<Arc<Policy>>,
    /// When the repository labels the plan was made from were listed (service clock), so a
    /// planned creation is skipped when someone created the label since.
    pub labels_listed_at: Option<i64>,
}

/// Fetch and decide, writing nothing: live GitHub when configured, else the newest stored payload
/// among the causes' deliveries (`None` when there is none). The store is only read.
pub async fn decide_pr(
    app: &App,
    ctx: &JobContext<'_>,
    repo: &str,
    number: u64,
) -> Result<Option<PrDecided>, ReconcileError> {
    let key = ctx.key;
    let opts = PlanOptions { status_context: app.cfg.status_context.clone() };
    let inst = installation(app, ctx.causes, repo).await;
    let mut unreadable_config = None;
    let mut labels_listed_at = None;
    let (mut pr, current, org, base) = match &app.github {
        Some(gh) => {
            // The configuration and the repository's labels are the service's to keep (one read
            // per repository however many workers ask; the configuration until a push changes
            // it), so the fetch reads neither.
            let fo = FetchOptions {
                status_context: app.cfg.status_context.clone(),
                marker_login: Some(marker_login(app, gh).await?),
                read_config: false,
                read_repo_labels: false,
                ..Default::default()
            };
            let (f, listing) = tokio::try_join!(
                async { gh.fetch_pr_with(inst, repo, number, &fo).await.map_err(Into::into) },
                app.labels.list(app, gh, inst, repo),
            )?;
            let mut current = f.current;
            current.repo_labels = Some(listing.names);
            labels_listed_at = Some(listing.started_at);
            // The default branch is one key whichever job reads it (the board and the weekly
            // report read it without naming it): one read, not one per name.
            let base_ref = f.snapshot.base.name.as_str();
            let at = (!base_ref.is_empty() && !f.base_is_default).then_some(base_ref);
            let layers =
                crate::repo_config::layers(app, gh, inst, repo, at, &fo.config_path).await?;
            if let crate::repo_config::ConfigFile::Unreadable(why) = &layers.repo {
                unreadable_config = Some(why.clone());
            }
            let org = layers.org.text().map(str::to_owned);
            let base = layers.repo.text().map(str::to_owned);
            (f.snapshot, current, org, base)
        }
        None => match snapshot_from_deliveries(app, ctx.causes).await? {
            Some(pr) => (pr, CurrentState::default(), None, None),
            None => return Ok(None),
        },
    };
    let remembered = memory_from(app.store.pr_memory(key, &pr.head.sha).await?);
    let policy = match unreadable_config {
        Some(why) => Err(why),
        None => policy_for(app, org.as_deref(), base.as_deref()),
    };
    // The infra rule's facts (team members, CODEOWNERS owners) depend on the policy, so they
    // are read after it is known, and only when the pull request changes infrastructure.
    if let (Ok(policy), Some(gh)) = (&policy, &app.github) {
        pr.infra = gh.fetch_infra_facts(inst, &pr, policy).await?;
    }
    if let (Some(gh), Ok(policy)) = (&app.github, &policy) {
        pr.review_threads = review_threads(app, gh, ctx, inst, &pr, &current, policy).await?;
    }
    let decision = match &policy {
        Ok(policy) => plan::decide(&pr, &current, &remembered, policy, &opts),
        Err(message) => plan::decide_config_error(&pr, message, &current, &remembered, &opts),
    };
    let policy = policy.ok();
    Ok(Some(PrDecided {
        pr,
        installation: inst,
        remembered,
        current,
        decision,
        policy,
        labels_listed_at,
    }))
}

/// Reconcile one pull request: fetch, decide, apply (or record, in a dry run). The store is read
/// once before deciding (what is remembered of the pull request) and written once after applying
/// (the actions, and the memory the policy returned); every rule is the policy core's.
pub async fn reconcile_pr(
    app: &App,
    ctx: &JobContext<'_>,
    repo: &str,
    number: u64,
) -> Result<PrReconciled, ReconcileError> {
    let key = ctx.key;
    let Some(PrDecided {
        pr,
        installation: inst,
        remembered,
        current,
        mut decision,
        policy,
        labels_listed_at,
    }) = decide_pr(app, ctx, repo, number).await?
    else {
        info!(job_key = key, "dry run without credentials and no payload to judge; nothing to do");
        let pr = PrSnapshot::unknown(repo, number);
        return Ok(PrReconciled { pr, verdict: None, plan: Plan::default(), dry_run: true });
    };
    let dry_run = app.dry_run();
    // An ADR proposal is announced (once) and the summary links its Discussion.
    if let (Some(gh), Some(policy)) = (&app.github, &policy)
        && let Some(proposal) = crate::adr::pull_proposal(policy.config(), &pr)
        && let Some(a) = crate::adr::announce(app, gh, policy.config(), &proposal).await
        && let Some(section) = crate::adr::summary_section(&a, &proposal)
    {
        crate::adr::add_to_summary(&mut decision, &current, &section);
    }
    let (actions, failure) =
        apply(app, ctx, inst, repo, number, &pr, &decision.plan, labels_listed_at, dry_run).await;
    // Only what was applied is remembered: a dry run changes nothing, so a later live run still
    // requests the re-review and does not take the labels it never added as removed by a human.
    let keep = (failure.is_none() && !dry_run && decision.memory != remembered)
        .then(|| store_memory(&decision.memory));
    // Notifications are outside effects like any write: none in a dry run or after a failed apply.
    let notes = match (&policy, &decision.verdict) {
        (Some(policy), Some(verdict)) if failure.is_none() && !dry_run => {
            let config = policy.config();
            let mut notes = crate::notifier::for_verdict(&config.notifications, &pr, verdict.ready);
            notes.extend(crate::notifier::fix_waiting(app, inst, config, &pr).await);
            notes
        }
        _ => Vec::new(),
    };
    // The verdict the dashboard shows, kept in the same transaction as the actions.
    let now = app.now();
    let shown = decision
        .verdict
        .as_ref()
        .map(|v| crate::dashboard::verdict::row(key, &pr, v, dry_run, now));
    let enqueued = app
        .store
        .record_reconcile_notify(
            key,
            &pr.head.sha,
            &actions,
            keep.as_ref(),
            shown.as_ref(),
            &notes,
            now,
        )
        .await?;
    if enqueued > 0 {
        app.notify.notify_waiters();
    }
    if let Some(e) = failure {
        app.threads.forget(key);
        return Err(e);
    }
    if pr.review_threads.is_some() {
        app.threads.settle(key, summary_left(&decision.plan, &current, dry_run).as_deref());
    }
    let mode = if dry_run { "planned" } else { "applied" };
    info!(job_key = %key, writes = decision.plan.writes.len(), mode, "reconciled");
    Ok(PrReconciled { pr, verdict: decision.verdict, plan: decision.plan, dry_run })
}

/// The pull request's review threads when the policy needs them (CodeRabbit reviewed the head
/// and has not approved), from GraphQL or, while nothing changed them, from the
/// [`crate::threads::ThreadCache`]; `None` (unknown) when the decision does not need them.
async fn review_threads(
    app: &App,
    gh: &GitHubClient,
    ctx: &JobContext<'_>,
    inst: Option<u64>,
    pr: &PrSnapshot,
    current: &CurrentState,
    policy: &Policy,
) -> Result<Option<Vec<ReviewThread>>, ReconcileError> {
    if !policy.needs_review_threads(pr) {
        return Ok(None);
    }
    let sticky = current.sticky_comment.as_ref().map(|(_, body)| body.as_str());
    if !thread_event_among(app, ctx.causes).await?
        && let Some(threads) = app.threads.get(ctx.key, pr, sticky)
    {
        return Ok(Some(threads));
    }
    let threads = gh.repo(inst, &pr.repository)?.review_threads(pr.number).await?;
    app.threads.put(ctx.key, pr, threads.clone());
    Ok(Some(threads))
}

/// Whether a delivery among the causes is a thread event (resolved, unresolved).
async fn thread_event_among(app: &App, causes: &[Cause]) -> Result<bool, ReconcileError> {
    for id in causes.iter().filter_map(Cause::delivery_id) {
        if app.store.delivery(id).await?.is_some_and(|d| d.event == THREAD_EVENT) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Our summary comment's body once the plan is applied: the one it writes, else the one there.
/// In a dry run nothing is written, so it is the one there.
fn summary_left(plan: &Plan, current: &CurrentState, dry_run: bool) -> Option<String> {
    let written = plan.writes.iter().find_map(|w| match w {
        Write::CreateComment { body } | Write::UpdateComment { body, .. } => Some(body.clone()),
        _ => None,
    });
    match written {
        Some(body) if !dry_run => Some(body),
        _ => current.sticky_comment.as_ref().map(|(_, body)| body.clone()),
    }
}

fn memory_from(m: PrMemory) -> Memory {
    Memory {
        rereview_requested_for_head: m.rereview_requested_for_head,
        applied_agent_labels: m.applied_agent_labels,
    }
}

fn store_memory(m: &Memory) -> PrMemory {
    PrMemory {
        rereview_requested_for_head: m.rereview_requested_for_head,
        applied_agent_labels: m.applied_agent_labels.clone(),
    }
}

/// Execute the plan (or, in a dry run, only describe it): the actions to log, every write that
/// happened included when a later one failed, and that failure. Labels to create go through the
/// [`crate::repo_labels::LabelRegistry`] (once per label, whatever the workers and replicas),
/// judged against the listing made at `labels_listed_at`; the other writes through the client.
#[allow(clippy::too_many_arguments)]
async fn apply(
    app: &App,
    ctx: &JobContext<'_>,
    inst: Option<u64>,
    repo: &str,
    number: u64,
    pr: &PrSnapshot,
    plan: &Plan,
    labels_listed_at: Option<i64>,
    dry_run: bool,
) -> (Vec<NewAction>, Option<ReconcileError>) {
    let mode = if dry_run { "planned" } else { "applied" };
    let delivery_id = first_delivery(ctx.causes);
    let before = json!({ "labels": pr.labels, "head_sha": pr.head.sha });
    let record = |kind: &str, after: serde_json::Value| NewAction {
        job_key: ctx.key.to_string(),
        delivery_id: delivery_id.clone(),
        job_id: ctx.job_id,
        kind: kind.to_string(),
        dry_run,
        before: before.clone(),
        after,
        at: app.now(),
    };
    let mut actions = Vec::new();
    let mut failure = None;
    match (&app.github, dry_run) {
        (Some(gh), false) => {
            let (creates, rest): (Vec<&Write>, Vec<&Write>) =
                plan.writes.iter().partition(|w| matches!(w, Write::CreateLabel { .. }));
            let wanted: Vec<crate::repo_labels::NewLabel> = creates
                .iter()
                .filter_map(|w| match w {
                    Write::CreateLabel { name, color, description } => {
                        Some(crate::repo_labels::NewLabel {
                            name: name.clone(),
                            color: color.clone(),
                            description: description.clone(),
                        })
                    }
                    _ => None,
                })
                .collect();
            if !wanted.is_empty() {
                // Without a listing time (a caller that listed nothing) nothing is taken as stale.
                let listed_at = labels_listed_at.unwrap_or(i64::MIN);
                match app.labels.ensure(app, gh, inst, repo, &wanted, listed_at).await {
                    Ok(done) => {
                        for (label, outcome) in done {
                            let applied = plasma_github::Applied {
                                write: Write::CreateLabel {
                                    name: label.name,
                                    color: label.color,
                                    description: label.description,
                                },
                                outcome,
                            };
                            let after = serde_json::to_value(&applied).unwrap_or_default();
                            actions.push(record(applied.write.kind(), after));
                        }
                    }
                    Err(e) => failure = Some(e),
                }
            }
            if failure.is_none() {
                let rest = Plan { writes: rest.into_iter().cloned().collect() };
                // Record every write that happened, the ones before an error included.
                let result = gh
                    .execute_with(inst, repo, number, &rest, |a| {
                        actions.push(record(
                            a.write.kind(),
                            serde_json::to_value(a).unwrap_or_default(),
                        ));
                    })
                    .await;
                if let Err(e) = result {
                    failure = Some(e.into());
                }
            }
        }
        _ => {
            for w in &plan.writes {
                actions.push(record(w.kind(), serde_json::to_value(w).unwrap_or_default()));
            }
        }
    }
    for a in &actions {
        metrics::counter!(WRITES, "kind" => a.kind.clone(), "mode" => mode).increment(1);
    }
    (actions, failure)
}

/// The repository's issue templates (default branch), as the template rule reads them; one that
/// cannot be read is skipped (the audit reports it).
async fn issue_templates(
    gh: &GitHubClient,
    inst: Option<u64>,
    repo: &str,
) -> Result<Vec<plasma_policy::issue_form::IssueTemplate>, ReconcileError> {
    use plasma_policy::issue_form::{MAX_TEMPLATES, parse};
    let files = gh.repo(inst, repo)?.issue_templates(MAX_TEMPLATES).await?;
    Ok(files.iter().filter_map(|(path, text)| parse(path, text)).collect())
}

/// Whether every delivery behind a job was sent by plasma-ops's own writes (its comments, its
/// reopen): it never reacts to its own events, so it cannot loop with itself. A job with any
/// other cause (a sweep, a human's event) runs.
async fn only_our_own(app: &App, causes: &[Cause], login: &str) -> Result<bool, ReconcileError> {
    if causes.is_empty() {
        return Ok(false);
    }
    for c in causes {
        let Some(id) = c.delivery_id() else { return Ok(false) };
        let Some(d) = app.store.delivery(id).await? else { return Ok(false) };
        let ours = parse_event(&d.event, &d.body)
            .ok()
            .and_then(|ev| ev.sender().map(|s| s.login.eq_ignore_ascii_case(login)))
            .unwrap_or(false);
        if !ours {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Without credentials: judge what the newest payload of the job's deliveries says.
async fn snapshot_from_deliveries(
    app: &App,
    causes: &[Cause],
) -> Result<Option<PrSnapshot>, ReconcileError> {
    for c in causes.iter().rev().filter_map(Cause::delivery_id) {
        let Some(d) = app.store.delivery(c).await? else { continue };
        match parse_event(&d.event, &d.body) {
            Ok(ev @ (WebhookEvent::PullRequest(_) | WebhookEvent::PullRequestReview(_))) => {
                if let Ok(pr) = pr_snapshot(&ev) {
                    return Ok(Some(pr));
                }
            }
            Ok(_) => {}
            Err(e) => warn!(delivery_id = %d.id, error = %e, "stored delivery no longer parses"),
        }
    }
    Ok(None)
}

async fn fan_out_sha(
    app: &App,
    job: &Job,
    repo: &str,
    sha: &str,
) -> Result<Outcome, ReconcileError> {
    let Some(gh) = &app.github else {
        return Ok(Outcome { writes: 0, dry_run: true });
    };
    let inst = installation(app, &job.causes, repo).await;
    let pulls = gh.repo(inst, repo)?.pulls_for_commit(sha).await?;
    let cause = cause(job).map_or(Cause::Sha, Cause::Delivery);
    for pr in pulls.iter().filter(|p| p.state == plasma_policy::snapshot::PrState::Open) {
        let key = JobKey::Pr { repo: repo.into(), number: pr.number };
        app.store.trigger(&key, &cause, app.now()).await?;
    }
    app.notify.notify_waiters();
    Ok(Outcome { writes: 0, dry_run: app.dry_run() })
}

async fn evaluate_issue(
    app: &App,
    job: &Job,
    repo: &str,
    number: u64,
) -> Result<Outcome, ReconcileError> {
    let Some(gh) = &app.github else {
        return Ok(Outcome { writes: 0, dry_run: true });
    };
    let inst = installation(app, &job.causes, repo).await;
    let login = marker_login(app, gh).await?;
    if only_our_own(app, &job.causes, &login).await? {
        info!(job_key = %job.key, "only plasma-ops's own events; nothing to react to");
        return Ok(Outcome { writes: 0, dry_run: app.dry_run() });
    }
    let issue = gh.fetch_issue(inst, repo, number, Some(&login)).await?;
    let layers = crate::repo_config::layers(app, gh, inst, repo, None, DEFAULT_CONFIG_PATH).await?;
    let (base, org) = (layers.repo.text(), layers.org.text());
    let policy = policy_for(app, org, base).map_err(fail)?;
    let templates = issue_templates(gh, inst, repo).await?;
    let mut verdict = plasma_policy::evaluate_issue_with(&issue.snapshot, &policy, &templates);
    let incident =
        crate::incidents::reconcile(app, gh, inst, repo, &issue, &policy, &login).await?;
    plasma_policy::add_issue_findings(&mut verdict, &policy, incident.findings);
    // A project board that cannot be used, with what to change (rule `project-board`).
    let board = crate::board::summary_findings(app, gh, inst, repo, &policy).await?;
    plasma_policy::add_issue_findings(&mut verdict, &policy, board);
    if let Some(proposal) = crate::adr::issue_proposal(policy.config(), &issue.snapshot) {
        crate::adr::announce(app, gh, policy.config(), &proposal).await;
    }
    let mut plan = plan::plan_issue(&verdict, issue.sticky_comment.as_ref());
    // The reopen and its comment go first: the summary then describes the issue as it will be.
    plan.writes.splice(0..0, incident.writes);
    let dry_run = app.dry_run();
    let key = job.key.to_string();
    let ctx = JobContext { key: &key, causes: &job.causes, job_id: Some(job.id) };
    let pr_like = PrSnapshot::unknown(repo, number);
    let (actions, failure) =
        apply(app, &ctx, inst, repo, number, &pr_like, &plan, None, dry_run).await;
    app.store.log_actions(&actions).await?;
    if let Some(e) = failure {
        return Err(e);
    }
    let mode = if dry_run { "planned" } else { "applied" };
    info!(job_key = %job.key, writes = plan.writes.len(), mode, "reconciled");
    Ok(Outcome { writes: plan.writes.len(), dry_run })
}
