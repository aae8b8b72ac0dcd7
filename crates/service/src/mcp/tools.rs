//! The tools' bodies. Each is a thin call into the policy core, the reconciler's decide path or
//! the store, returning its structured result and a short text rendering.

use std::collections::BTreeSet;
use std::time::{Duration, UNIX_EPOCH};

use plasma_config::report::{RepoFinding, RepoReport};
use plasma_policy::plan::Write;
use plasma_policy::rules::about;
use plasma_policy::rules::review_loop::ReviewLoopState;
use plasma_policy::{Finding, Policy, Severity, Verdict};
use plasma_store::{ActionFilter, ActionRow, Cause};
use serde::Serialize;
use serde_json::Value;

use super::catalog::*;
use super::server::{PlasmaMcp, ToolError};
use crate::reconcile::{JobContext, PrDecided, decide_pr};

/// A result and its short text.
pub struct Shown<T> {
    pub value: T,
    pub text: String,
}

impl<T: Serialize> Shown<T> {
    pub fn new(value: T, text: impl FnOnce(&T) -> String) -> Result<Self, ToolError> {
        let text = text(&value);
        Ok(Shown { value, text })
    }
}

/// At most `max` characters of `s`.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

fn severity(s: Severity) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

fn finding_out(f: &Finding) -> FindingOut {
    FindingOut {
        rule: f.rule.clone(),
        severity: severity(f.severity),
        message: f.message.clone(),
        hint: f.hint.clone(),
    }
}

fn check(subject: &str, findings: &[Finding]) -> Result<Shown<CheckResult>, ToolError> {
    let ok = !findings.iter().any(|f| f.severity == Severity::Error);
    let value = CheckResult {
        ok,
        subject: subject.to_string(),
        findings: findings.iter().map(finding_out).collect(),
    };
    Shown::new(value, |v| {
        if v.findings.is_empty() {
            return format!("`{}` follows the process", v.subject);
        }
        let lines: Vec<String> = v
            .findings
            .iter()
            .map(|f| format!("{} [{}] {} (fix: {})", f.severity, f.rule, f.message, f.hint))
            .collect();
        lines.join("\n")
    })
}

pub fn check_title(policy: &Policy, a: CheckTitleArgs) -> Result<Shown<CheckResult>, ToolError> {
    check(&a.title, &policy.check_title(&a.title))
}

pub fn check_branch(policy: &Policy, a: CheckBranchArgs) -> Result<Shown<CheckResult>, ToolError> {
    if let Some(r) = &a.repo {
        parse_repo(r)?;
    }
    check(&a.name, &policy.check_branch(&a.name, a.repo.as_deref(), None))
}

pub fn check_body(policy: &Policy, a: CheckBodyArgs) -> Result<Shown<CheckResult>, ToolError> {
    check("body", &policy.check_body(&a.body))
}

/// More paths than this in one call is not a pull request's change list.
const MAX_PATHS: usize = 10_000;

pub fn classify_files(
    policy: &Policy,
    a: ClassifyFilesArgs,
) -> Result<Shown<ClassifyResult>, ToolError> {
    if a.paths.len() > MAX_PATHS {
        return Err(ToolError::new(
            format!("{} paths; at most {MAX_PATHS} in one call", a.paths.len()),
            "split the list",
        ));
    }
    let r = policy.dispatcher().classify_all(a.paths.iter().map(String::as_str));
    let files = r
        .files
        .iter()
        .map(|f| FileOut { path: f.path.clone(), labels: f.labels.clone(), rule: f.rule.clone() })
        .collect();
    let value = ClassifyResult { labels: r.labels.clone(), counts: r.counts.clone(), files };
    Shown::new(value, |v| {
        let counts: Vec<String> = v.counts.iter().map(|(l, n)| format!("{l}: {n}")).collect();
        format!("labels: {}", counts.join(", "))
    })
}

pub fn explain_rule(a: ExplainRuleArgs) -> Result<Shown<RuleExplained>, ToolError> {
    let Some(r) = about::about(a.rule.trim()) else {
        let ids: Vec<&str> = about::ALL.iter().map(|r| r.rule).collect();
        return Err(ToolError::new(
            format!("unknown rule `{}`", a.rule),
            format!("the rule ids are: {}", ids.join(", ")),
        ));
    };
    let value = RuleExplained {
        rule: r.rule.into(),
        checks: r.checks.into(),
        config: r
            .config
            .iter()
            .map(|k| ConfigKeyOut { key: k.key.into(), default: k.default.into() })
            .collect(),
        passes: r.passes.into(),
        fails: r.fails.into(),
    };
    Shown::new(value, |v| {
        format!("{}: {}\npasses: {}\nfails: {}", v.rule, v.checks, v.passes, v.fails)
    })
}

/// At most this many messages (angular-cli's whole history is 10,000) and bytes in one call.
const MAX_MESSAGES: usize = 20_000;
const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

pub fn lint_commit_messages(
    policy: &Policy,
    a: LintCommitMessagesArgs,
) -> Result<Shown<LintResult>, ToolError> {
    let bytes: usize = a.messages.iter().map(String::len).sum();
    if a.messages.len() > MAX_MESSAGES || bytes > MAX_MESSAGE_BYTES {
        return Err(ToolError::new(
            format!("{} messages, {bytes} bytes: too many for one call", a.messages.len()),
            format!("lint at most {MAX_MESSAGES} messages (16 MiB) per call"),
        ));
    }
    if let Some(i) = a.messages.iter().position(|m| m.contains('\0')) {
        return Err(ToolError::new(
            format!("message {i} contains a NUL character"),
            "commit messages cannot contain NUL; remove it",
        ));
    }
    let joined = a.messages.join("\0");
    let rules = plasma_history::rules::HistoryRules::new(policy.config());
    let findings: Vec<RepoFinding> = if a.messages.is_empty() {
        Vec::new()
    } else {
        plasma_history::rules::lint_messages(policy.config(), &rules, joined.as_bytes(), 1)
    };
    let report = RepoReport::new(findings);
    let value = LintResult {
        ok: report.ok,
        findings: report
            .findings
            .iter()
            .map(|f| LintFinding {
                rule: f.finding.rule.clone(),
                severity: severity(f.finding.severity),
                message: f.finding.message.clone(),
                hint: f.finding.hint.clone(),
                path: f.location.path.clone(),
                line: f.location.line,
                index: f.location.index.unwrap_or(0),
            })
            .collect(),
    };
    Shown::new(value, |v| {
        let n = v.findings.len();
        format!(
            "{} message(s): {n} finding(s){}",
            a.messages.len(),
            if v.ok { "" } else { ", not ok" }
        )
    })
}

/// `owner/name`, or a tool error.
fn parse_repo(repo: &str) -> Result<(), ToolError> {
    let mut parts = repo.split('/');
    let ok = matches!((parts.next(), parts.next(), parts.next()), (Some(o), Some(n), None)
        if !o.is_empty() && !n.is_empty() && repo.len() <= 200
            && repo.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)));
    if ok {
        Ok(())
    } else {
        Err(ToolError::new(
            format!("`{}` is not a repository `owner/name`", clip(repo, 100)),
            "pass the repository as `owner/name`, e.g. `plasma-engine/gateway`",
        ))
    }
}

/// What the service would decide on `repo#number` now: live from GitHub when configured, else
/// from the payloads of the deliveries its last reconciles judged.
async fn decide(
    mcp: &PlasmaMcp,
    repo: &str,
    number: u64,
) -> Result<(PrDecided, &'static str), ToolError> {
    parse_repo(repo)?;
    let app = &mcp.app;
    let key = format!("{repo}#{number}");
    let (causes, source) = if app.github.is_some() {
        (vec![Cause::Cli], "github")
    } else {
        let rows = app.store.actions(&key, 100).await.map_err(store_error)?;
        let mut ids: Vec<String> = Vec::new();
        for id in rows.iter().rev().filter_map(|r| r.delivery_id.clone()) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        (ids.into_iter().map(Cause::Delivery).collect(), "store")
    };
    let ctx = JobContext { key: &key, causes: &causes, job_id: None };
    let unknown = || {
        ToolError::new(
            format!("unknown pull request {key}"),
            if source == "github" {
                "check the repository `owner/name` and the number; the GitHub App must be \
                 installed on the repository (or the token must see it)"
            } else {
                "plasma-ops has no reconcile of it: without GitHub credentials only pull requests \
                 whose webhooks reached `plasma-ops serve` are known (set PLASMA_OPS_GITHUB_TOKEN \
                 to ask GitHub)"
            },
        )
    };
    match decide_pr(app, &ctx, repo, number).await {
        Ok(Some(d)) => Ok((d, source)),
        Ok(None) => Err(unknown()),
        Err(e) if e.status == Some(404) => Err(unknown()),
        Err(e) => Err(ToolError::new(
            format!("cannot judge {key}: {}", e.message),
            match e.retry_after {
                Some(d) => format!("GitHub asked to wait {} s; try again then", d.as_secs()),
                None => "try again; if it persists, check the service's GitHub credentials".into(),
            },
        )),
    }
}

fn store_error(e: plasma_store::StoreError) -> ToolError {
    ToolError::new(
        format!("the store: {e}"),
        "check PLASMA_OPS_DATABASE_URL and that the database is up",
    )
}

fn blockers<'a>(it: impl Iterator<Item = &'a Finding>) -> Vec<Blocker> {
    it.map(|f| Blocker { rule: f.rule.clone(), message: f.message.clone(), hint: f.hint.clone() })
        .collect()
}

fn loop_state(s: Option<ReviewLoopState>) -> String {
    s.and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| "unknown".into())
}

fn status_of(d: &PrDecided, source: &str) -> PrStatus {
    let mut labels = LabelChanges::default();
    for w in &d.decision.plan.writes {
        match w {
            Write::AddLabels { labels: l } => labels.add.extend(l.iter().cloned()),
            Write::RemoveLabel { name } => labels.remove.push(name.clone()),
            _ => {}
        }
    }
    let v: Option<&Verdict> = d.decision.verdict.as_ref();
    PrStatus {
        ready: v.is_some_and(|v| v.ready),
        blockers: v.map(|v| blockers(v.blockers())).unwrap_or_default(),
        warnings: v.map(|v| blockers(v.warnings())).unwrap_or_default(),
        labels,
        review_loop: loop_state(v.and_then(|v| v.review.state)),
        rereview: v
            .map(|v| Rereview {
                request: v.review.rereview.request,
                requested_for_head: v.review.rereview.requested_for_head,
                sha: v.review.rereview.sha.clone(),
                reason: v.review.rereview.reason.clone(),
            })
            .unwrap_or_default(),
        summary_markdown: v.map(|v| v.summary.clone()).unwrap_or_else(|| {
            // No verdict: the configuration could not be used; the plan's comment says why.
            d.decision
                .plan
                .writes
                .iter()
                .find_map(|w| match w {
                    Write::CreateComment { body } | Write::UpdateComment { body, .. } => {
                        Some(body.clone())
                    }
                    _ => None,
                })
                .unwrap_or_default()
        }),
        source: source.to_string(),
    }
}

pub async fn pr_status(mcp: &PlasmaMcp, a: PrStatusArgs) -> Result<Shown<PrStatus>, ToolError> {
    let (d, source) = decide(mcp, &a.repo, a.number).await?;
    let value = status_of(&d, source);
    let key = format!("{}#{}", a.repo, a.number);
    Shown::new(value, |v| {
        let mut s = if v.ready {
            format!("{key}: ready to merge")
        } else {
            format!("{key}: not ready, {} blocker(s)", v.blockers.len())
        };
        for b in &v.blockers {
            s.push_str(&format!("\n- [{}] {} (fix: {})", b.rule, b.message, b.hint));
        }
        s
    })
}

/// `python` or `agent:python` -> `agent:python`.
fn agent_label(agent: &str) -> Result<String, ToolError> {
    let name = agent.trim().strip_prefix("agent:").unwrap_or(agent.trim());
    if name.is_empty()
        || name.len() > 100
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(ToolError::new(
            format!("`{}` is not an agent", clip(agent, 100)),
            "name the agent as `python` or `agent:python`",
        ));
    }
    Ok(format!("agent:{name}"))
}

/// Pull requests looked at per `agent_queue` call, at most.
const QUEUE_SCAN: u32 = 500;

pub async fn agent_queue(
    mcp: &PlasmaMcp,
    a: AgentQueueArgs,
) -> Result<Shown<AgentQueue>, ToolError> {
    let label = agent_label(&a.agent)?;
    if let Some(r) = &a.repo {
        parse_repo(r)?;
    }
    let keys = mcp.app.store.action_keys(QUEUE_SCAN).await.map_err(store_error)?;
    let mut out = Vec::new();
    for k in keys {
        let Some((repo, number)) = k.key.rsplit_once('#') else { continue };
        let Ok(number) = number.parse::<u64>() else { continue };
        if a.repo.as_deref().is_some_and(|r| r != repo) {
            continue;
        }
        // A pull request that can no longer be judged (closed and gone, say) is not in the queue.
        let Ok((d, _)) = decide(mcp, repo, number).await else { continue };
        let Some(v) = &d.decision.verdict else { continue };
        if v.review.state != Some(ReviewLoopState::NeedsFix) {
            continue;
        }
        // The labels it carries once the service has acted.
        let mut labels: BTreeSet<String> = d.pr.labels.iter().cloned().collect();
        for w in &d.decision.plan.writes {
            match w {
                Write::AddLabels { labels: l } => labels.extend(l.iter().cloned()),
                Write::RemoveLabel { name } => {
                    labels.remove(name);
                }
                _ => {}
            }
        }
        if !labels.contains(&label) {
            continue;
        }
        out.push(QueuedPr {
            repo: repo.to_string(),
            number,
            title: d.pr.title.clone(),
            since: rfc3339(k.first_at),
            blockers: blockers(v.blockers()),
        });
    }
    let value = AgentQueue { agent: label, pull_requests: out };
    Shown::new(value, |v| {
        let mut s = format!("{}: {} pull request(s) waiting", v.agent, v.pull_requests.len());
        for p in &v.pull_requests {
            s.push_str(&format!(
                "\n- {}#{} {} ({} blocker(s))",
                p.repo,
                p.number,
                p.title,
                p.blockers.len()
            ));
        }
        s
    })
}

/// A Unix-milliseconds time as RFC 3339.
pub fn rfc3339(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(t).to_string()
}

/// An action log entry as `plasma-ops actions --format json` and `recent_actions` give it.
pub fn action_out(r: &ActionRow) -> ActionOut {
    ActionOut {
        key: r.job_key.clone(),
        kind: r.kind.clone(),
        mode: if r.dry_run { "planned" } else { "applied" }.into(),
        delivery_ids: r.delivery_id.iter().cloned().collect(),
        at: rfc3339(r.at),
        before: r.before.clone(),
        after: r.after.clone(),
    }
}

/// [`action_out`] as JSON.
pub fn action_json(r: &ActionRow) -> Value {
    serde_json::to_value(action_out(r)).unwrap_or(Value::Null)
}

/// Entries per `recent_actions` call, at most.
const RECENT: u32 = 100;

pub async fn recent_actions(
    mcp: &PlasmaMcp,
    a: RecentActionsArgs,
) -> Result<Shown<ActionsResult>, ToolError> {
    parse_repo(&a.repo)?;
    let key = format!("{}#{}", a.repo, a.number);
    let filter = ActionFilter { key: Some(key.clone()), ..ActionFilter::all(RECENT) };
    let rows = mcp.app.store.find_actions(&filter).await.map_err(store_error)?;
    let value = ActionsResult { actions: rows.iter().map(action_out).collect() };
    Shown::new(value, |v| {
        let mut s = format!("{key}: {} action(s), newest first", v.actions.len());
        for r in &rows {
            s.push_str(&format!(
                "\n- {} {} {}",
                rfc3339(r.at),
                if r.dry_run { "planned" } else { "applied" },
                r.kind
            ));
        }
        s
    })
}
