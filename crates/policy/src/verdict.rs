//! `evaluate`: every rule over one pull request, folded into a verdict with the desired owned
//! labels, the re-review decision and the rendered summary.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::config::DispatchWhen;
use crate::dispatch::DispatchReport;
use crate::policy::Policy;
use crate::rules::review_loop::{ReviewLoop, ReviewLoopState};
use crate::rules::{approval, commits, issue_labels, state};
use crate::snapshot::{IssueSnapshot, PrSnapshot, PrState};
use crate::{Finding, Severity, rule_id};

/// The policy's judgement of one pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// No error findings.
    pub ok: bool,
    /// Open, not a draft, no error findings, and every rule could be evaluated.
    pub ready: bool,
    /// `owner/name`.
    pub repository: String,
    /// Pull request number.
    pub number: u64,
    /// Head SHA judged.
    pub head_sha: String,
    /// All findings: errors first, then warnings, then information; rules in a fixed order.
    pub findings: Vec<Finding>,
    /// The review loop's state and re-review decision.
    pub review: ReviewLoop,
    /// Owned labels the pull request should carry; `None` means "leave its labels alone" (it is
    /// closed, or the input lacks what is needed to decide).
    pub desired_labels: Option<Vec<String>>,
    /// Agent dispatch of the changed files; `None` when the files are unknown.
    pub dispatch: Option<DispatchReport>,
    /// Whether agent labels apply now (configuration `dispatch.when`).
    pub dispatch_applies: bool,
    /// The Markdown summary (the sticky comment's body).
    #[serde(skip)]
    pub summary: String,
}

impl Verdict {
    /// Error findings.
    pub fn blockers(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Error)
    }

    /// Warning findings.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Warning)
    }
}

/// Stable order: severity, then the rule's position in [`rule_id::ALL`], then emission order.
pub fn sort_findings(findings: &mut [Finding]) {
    let pos = |r: &str| rule_id::ALL.iter().position(|x| *x == r).unwrap_or(usize::MAX);
    findings.sort_by_key(|f| (f.severity, pos(&f.rule)));
}

/// Judge a pull request.
pub fn evaluate(pr: &PrSnapshot, policy: &Policy) -> Verdict {
    let cfg = policy.config();
    let mut findings = Vec::new();
    let open = pr.state == PrState::Open;
    findings.extend(state::closed(pr));
    if !policy.is_off(rule_id::DRAFT) {
        findings.extend(state::draft(pr));
    }
    if !policy.is_off(rule_id::BASE_BRANCH) {
        findings.extend(state::base(pr, &policy.base, &cfg.base_branches.allowed));
    }
    let title_key = policy.title.parse(&pr.title).map(|p| p.key);
    if !policy.is_off(rule_id::TITLE_FORMAT) {
        findings.extend(policy.title.check(&pr.title));
    }
    if !policy.is_off(rule_id::BRANCH_NAME) {
        let short = policy.repo_short_name(&pr.repository);
        findings.extend(policy.branch.check(&pr.head.name, Some(&short), title_key.as_ref()));
    }
    if !policy.is_off(rule_id::CHECKLIST) {
        findings.extend(policy.checklist.check(&pr.body));
    }
    if !policy.is_off(rule_id::REQUIRED_CHECKS) {
        findings.extend(policy.checks.check(pr));
    }
    let (mut review, review_findings) = policy.review.evaluate(pr);
    if policy.is_off(rule_id::CODERABBIT_REVIEW) {
        review.rereview.request = false;
        review.rereview.comment = None;
        review.rereview.reason = "the coderabbit-review rule is off".into();
    } else {
        findings.extend(review_findings);
    }
    if !policy.is_off(rule_id::HUMAN_APPROVAL) {
        findings.extend(approval::check(pr, &cfg.approvals, &policy.review));
    }
    if cfg.commits.require_signed && !policy.is_off(rule_id::SIGNED_COMMITS) {
        findings.extend(commits::signed(pr));
    }
    if cfg.commits.linear_history && !policy.is_off(rule_id::LINEAR_HISTORY) {
        findings.extend(commits::linear(pr));
    }
    let dispatch_on = !policy.is_off(rule_id::AGENT_DISPATCH);
    let dispatch = match (&pr.files, dispatch_on) {
        (Some(files), true) => {
            Some(policy.dispatcher.classify_all(files.iter().map(|f| f.path.as_str())))
        }
        _ => None,
    };
    let dispatch_applies = dispatch_on
        && open
        && match cfg.dispatch.when {
            DispatchWhen::Always => true,
            DispatchWhen::NeedsFix => review.state == Some(ReviewLoopState::NeedsFix),
        };
    if dispatch_on && pr.files.is_none() {
        findings.push(Finding::info(
            rule_id::AGENT_DISPATCH,
            "agent dispatch not evaluated: the input carries no changed files",
            "run with a full snapshot (`--snapshot`), or `plasma-ops dispatch FILES...`",
        ));
    }
    let mut findings = policy.apply_overrides(findings);
    sort_findings(&mut findings);

    let desired_labels = desired_labels(policy, open, &review, dispatch.as_ref(), dispatch_applies);
    let ok = !findings.iter().any(|f| f.severity == Severity::Error);
    let complete = !findings
        .iter()
        .any(|f| f.severity == Severity::Info && f.message.contains("not evaluated"));
    let ready = ok && open && !pr.draft && complete;
    let mut v = Verdict {
        ok,
        ready,
        repository: pr.repository.clone(),
        number: pr.number,
        head_sha: pr.head.sha.clone(),
        findings,
        review,
        desired_labels,
        dispatch,
        dispatch_applies,
        summary: String::new(),
    };
    v.summary = crate::render::summary(pr, &v, policy);
    v
}

fn desired_labels(
    policy: &Policy,
    open: bool,
    review: &ReviewLoop,
    dispatch: Option<&DispatchReport>,
    applies: bool,
) -> Option<Vec<String>> {
    if !open {
        return None;
    }
    let status = review.state?;
    let mut labels = BTreeSet::new();
    labels.insert(status.label(&policy.config().labels.status).to_string());
    // When dispatch does not apply (or is off) the wanted set holds no agent label, so any left
    // from an earlier round is removed: the old script never removed one.
    if applies {
        // Agent labels are wanted, so the files must be known to say which.
        labels.extend(dispatch?.labels.iter().cloned());
    }
    Some(labels.into_iter().collect())
}

/// The policy's judgement of one issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueVerdict {
    /// No error findings.
    pub ok: bool,
    /// `owner/name`.
    pub repository: String,
    /// Issue number.
    pub number: u64,
    /// Findings, errors first.
    pub findings: Vec<Finding>,
}

/// Judge an issue.
pub fn evaluate_issue(issue: &IssueSnapshot, policy: &Policy) -> IssueVerdict {
    let mut findings = if policy.is_off(rule_id::ISSUE_LABELS) {
        Vec::new()
    } else {
        policy.apply_overrides(issue_labels::check(issue, &policy.config().issues, &policy.phase))
    };
    sort_findings(&mut findings);
    IssueVerdict {
        ok: !findings.iter().any(|f| f.severity == Severity::Error),
        repository: issue.repository.clone(),
        number: issue.number,
        findings,
    }
}
