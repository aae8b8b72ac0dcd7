//! `evaluate`: every rule over one pull request, folded into a verdict with the desired owned
//! labels, the re-review decision and the rendered summary.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::dispatch::DispatchReport;
use crate::plan::Memory;
use crate::policy::Policy;
use crate::rules::review_loop::{ReviewLoop, ReviewLoopState};
use crate::rules::{approval, commits, issue_labels, state};
use crate::snapshot::{IssueSnapshot, PrSnapshot, PrState};
use crate::{Finding, Severity, rule_id};
use plasma_config::DispatchWhen;

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
    /// Set when the author is a dependency bot, saying which rules were not applied and why;
    /// absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency_bot: Option<DependencyBot>,
    /// The Markdown summary (the sticky comment's body).
    #[serde(skip)]
    pub summary: String,
}

/// Rules a dependency bot's pull request is exempt from: its title (`chore(deps): ...`), branch
/// and generated body are the bot's and cannot name an issue or tick the checklist. What keeps a
/// bad update out (required checks, CodeRabbit, a human approval) still applies.
pub const DEPENDENCY_BOT_EXEMPT: &[&str] =
    &[rule_id::TITLE_FORMAT, rule_id::BRANCH_NAME, rule_id::CHECKLIST];

/// Why some rules were not applied to a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyBot {
    /// The author's login, e.g. `renovate[bot]`, as listed in `dependency_bots.logins`.
    pub login: String,
    /// The rules not applied ([`DEPENDENCY_BOT_EXEMPT`]).
    pub exempt_rules: Vec<String>,
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

/// Judge a pull request, with nothing remembered from earlier reconciles.
pub fn evaluate(pr: &PrSnapshot, policy: &Policy) -> Verdict {
    evaluate_with(pr, policy, &Memory::default())
}

/// Judge a pull request with what plasma-ops remembers of it (see [`crate::plan::memory`]): a
/// re-review already requested for the head is not requested again, even when the comment that
/// asked for it cannot be found.
pub fn evaluate_with(pr: &PrSnapshot, policy: &Policy, memory: &Memory) -> Verdict {
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
    let dependency_bot = policy.dependency_bot(&pr.author).map(|login| DependencyBot {
        login: login.to_string(),
        exempt_rules: DEPENDENCY_BOT_EXEMPT.iter().map(|r| r.to_string()).collect(),
    });
    let applies = |rule: &str| {
        !policy.is_off(rule)
            && dependency_bot.as_ref().is_none_or(|b| !b.exempt_rules.iter().any(|r| r == rule))
    };
    let title_key = policy.title.parse(&pr.title).map(|p| p.key);
    if applies(rule_id::TITLE_FORMAT) {
        findings.extend(policy.title.check(&pr.title));
    }
    if applies(rule_id::BRANCH_NAME) {
        let short = policy.repo_short_name(&pr.repository);
        findings.extend(policy.branch.check(&pr.head.name, Some(&short), title_key.as_ref()));
    }
    if applies(rule_id::CHECKLIST) {
        findings.extend(policy.checklist.check(&pr.body));
    }
    if !policy.is_off(rule_id::REQUIRED_CHECKS) {
        findings.extend(policy.checks.check(pr));
    }
    let (mut review, review_findings) = policy.review.evaluate(pr);
    // The memory records the request made before CodeRabbit's review; the one after it is known
    // by its own marker only.
    if memory.rereview_requested_for_head
        && review.rereview.request
        && !review.rereview.after_review
    {
        review.rereview = review.rereview.already_requested();
    }
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
    if !policy.is_off(rule_id::INFRA_APPROVAL) {
        findings.extend(policy.infra.check(pr, &cfg.approvals, &policy.review));
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
        dependency_bot,
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
    // from an earlier round is removed: a stale agent label sends an agent to work already done.
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

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::snapshot::*;
    use crate::test_support::{HEAD, OLD, pr, review};

    fn policy() -> Policy {
        Policy::process_default().unwrap()
    }

    fn full_pr() -> PrSnapshot {
        let mut p = pr();
        p.files = Some(vec![]);
        p.commits = Some(vec![]);
        p.reviews = Some(vec![
            review(1, "coderabbitai[bot]", ReviewState::Approved, HEAD, "2026-01-01T00:00:00Z"),
            review(2, "alice", ReviewState::Approved, HEAD, "2026-01-01T00:00:00Z"),
        ]);
        let run = |id, name: &str| CheckRun {
            id,
            name: name.into(),
            status: "completed".into(),
            conclusion: Some("success".into()),
            started_at: None,
            completed_at: None,
        };
        p.check_runs = Some(vec![run(1, "lint"), run(2, "test"), run(3, "security")]);
        p.statuses = Some(vec![CommitStatus {
            id: 4,
            context: "CodeRabbit".into(),
            state: "success".into(),
            updated_at: None,
            description: None,
        }]);
        p
    }

    #[test]
    fn a_complete_passing_pull_request_is_ready() {
        let v = evaluate(&full_pr(), &policy());
        assert!(v.ready && v.ok, "{:?}", v.findings);
        assert_eq!(v.desired_labels, Some(vec!["status:coderabbit-approved".to_string()]));
    }

    #[test]
    fn payload_only_input_is_ok_but_not_ready() {
        let v = evaluate(&pr(), &policy());
        assert!(v.ok && !v.ready);
        assert_eq!(v.desired_labels, None);
    }

    #[test]
    fn drafts_and_closed_pull_requests_are_never_ready() {
        let mut p = full_pr();
        p.draft = true;
        let v = evaluate(&p, &policy());
        assert!(!v.ready && v.findings.iter().any(|f| f.rule == rule_id::DRAFT));
        let mut p = full_pr();
        p.state = PrState::Closed;
        let v = evaluate(&p, &policy());
        assert!(!v.ready && v.desired_labels.is_none());
    }

    #[test]
    fn agent_labels_only_while_a_fix_is_needed_and_removed_after() {
        let mut p = full_pr();
        p.files = Some(vec![ChangedFile {
            path: "app/main.py".into(),
            status: "modified".into(),
            additions: 1,
            deletions: 0,
            previous_path: None,
        }]);
        p.labels = vec!["agent:python".into(), "status:needs-cursor-fix".into()];
        // Approved: the agent label from the earlier round is no longer wanted.
        let v = evaluate(&p, &policy());
        assert_eq!(v.desired_labels, Some(vec!["status:coderabbit-approved".to_string()]));
        // Changes requested: the agent label is wanted.
        p.reviews = Some(vec![review(
            3,
            "coderabbitai[bot]",
            ReviewState::ChangesRequested,
            HEAD,
            "2026-01-02T00:00:00Z",
        )]);
        let v = evaluate(&p, &policy());
        assert_eq!(
            v.desired_labels,
            Some(vec!["agent:python".to_string(), "status:needs-cursor-fix".to_string()])
        );
    }

    #[test]
    fn overrides_demote_and_switch_off() {
        let mut cfg = plasma_config::Config::default();
        let ov = |s| plasma_config::RuleOverride { severity: s };
        cfg.rules.insert("human-approval".into(), ov(plasma_config::RuleSeverity::Warning));
        cfg.rules.insert("title-format".into(), ov(plasma_config::RuleSeverity::Off));
        let policy = Policy::new(cfg).unwrap();
        let mut p = full_pr();
        p.title = "no key".into();
        p.reviews = Some(vec![review(
            1,
            "coderabbitai[bot]",
            ReviewState::Approved,
            HEAD,
            "2026-01-01T00:00:00Z",
        )]);
        let v = evaluate(&p, &policy);
        assert!(v.findings.iter().all(|f| f.rule != rule_id::TITLE_FORMAT));
        let approval: Vec<_> =
            v.findings.iter().filter(|f| f.rule == rule_id::HUMAN_APPROVAL).collect();
        assert_eq!(approval.len(), 1);
        assert_eq!(approval[0].severity, Severity::Warning);
        // The branch no longer has a title key to agree with, and nothing else blocks.
        assert!(v.ok, "{:?}", v.findings);
    }

    #[test]
    fn the_summary_fits_a_github_comment_however_large_the_pull_request() {
        let mut p = full_pr();
        p.title = "[PE-12] ".to_string() + &"x|<".repeat(5000);
        p.files = Some(
            (0..20_000)
                .map(|i| ChangedFile {
                    path: format!("{}/{i}.py", "deep/".repeat(40)),
                    status: "added".into(),
                    additions: 1,
                    deletions: 0,
                    previous_path: None,
                })
                .collect(),
        );
        p.commits = Some(
            (0..5_000)
                .map(|i| Commit {
                    sha: format!("{i:040}"),
                    parents: vec![OLD.into(), HEAD.into()],
                    message: "m".repeat(500),
                    verification: None,
                })
                .collect(),
        );
        let v = evaluate(&p, &policy());
        let n = v.summary.chars().count();
        assert!(n <= crate::render::COMMENT_LIMIT, "{n} characters");
        assert!(
            v.summary.contains("20000 file(s)") || v.summary.contains("| `agent:python` | 20000 |")
        );
    }

    /// Renovate's weekly batch pull request as it arrives: the grouped title, the
    /// `renovate/all-minor-patch` branch, the App's login and Renovate's generated body.
    fn renovate_batch() -> PrSnapshot {
        let mut p = full_pr();
        p.number = 57;
        p.title = "chore(deps): update all non-major dependencies".into();
        p.head.name = "renovate/all-minor-patch".into();
        p.author = Actor { login: "renovate[bot]".into(), kind: ActorKind::Bot };
        p.body = concat!(
            "This PR contains the following updates:\n\n",
            "| Package | Change | Age | Confidence |\n",
            "|---|---|---|---|\n",
            "| [fastapi](https://github.com/fastapi/fastapi) | `0.115.4` -> `0.115.6` | ",
            "[![age](https://developer.mend.io/api/mc/badges/age/pypi/fastapi/0.115.6?slim=true)]",
            "(https://docs.renovatebot.com/merge-confidence/) | ",
            "[![confidence](https://developer.mend.io/api/mc/badges/confidence/pypi/fastapi/0.115.4/0.115.6?slim=true)]",
            "(https://docs.renovatebot.com/merge-confidence/) |\n",
            "| [pytest](https://github.com/pytest-dev/pytest) | `8.3.3` -> `8.3.4` | | |\n",
            "| [typescript](https://www.typescriptlang.org/) | `5.6.3` -> `5.7.2` | | |\n\n",
            "---\n\n",
            "### Release Notes\n\n",
            "<details>\n<summary>fastapi/fastapi (fastapi)</summary>\n\n",
            "### [`v0.115.6`](https://github.com/fastapi/fastapi/releases/tag/0.115.6)\n\n",
            "- Fix tests run under Python 3.13 (lint pass, docs updated).\n\n",
            "</details>\n\n",
            "---\n\n",
            "### Configuration\n\n",
            "📅 **Schedule**: Branch creation - \"before 6am on monday\" (UTC), ",
            "Automerge - At any time (no schedule defined).\n\n",
            "🚦 **Automerge**: Disabled by config. Please merge this manually once you are satisfied.\n\n",
            "♻ **Rebasing**: Whenever PR becomes conflicted, or you tick the rebase/retry checkbox.\n\n",
            "🔕 **Ignore**: Close this PR and you won't be reminded about these updates again.\n\n",
            "---\n\n",
            " - [ ] <!-- rebase-check -->If you want to rebase/retry this PR, check this box\n\n",
            "---\n\n",
            "This PR was generated by [Mend Renovate](https://mend.io/renovate/). ",
            "View the [repository job log](https://developer.mend.io/github/plasma-engine/plasma-engine-gateway).\n",
            "<!--renovate-debug:eyJjcmVhdGVkSW5WZXIiOiIzOS40Mi40IiwidXBkYXRlZEluVmVyIjoiMzkuNDIuNCIsInRhcmdldEJyYW5jaCI6Im1haW4iLCJsYWJlbHMiOltdfQ==-->\n",
        )
        .into();
        p
    }

    fn rules_of(v: &Verdict) -> Vec<&str> {
        v.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.rule.as_str())
            .collect()
    }

    /// The process has Renovate open weekly batch pull requests: the title, issue-key and
    /// checklist rules (made for humans' pull requests) do not apply to them, and a green,
    /// reviewed, approved batch is ready.
    #[test]
    fn a_renovate_batch_is_judged_as_a_bot_and_can_be_ready() {
        let v = evaluate(&renovate_batch(), &policy());
        assert!(v.ready && v.ok, "{:?}", v.findings);
        for rule in [rule_id::TITLE_FORMAT, rule_id::BRANCH_NAME, rule_id::CHECKLIST] {
            assert!(v.findings.iter().all(|f| f.rule != rule), "{rule}: {:?}", v.findings);
        }
        // Nobody should wonder why a `chore(deps)` title passed.
        assert!(v.summary.contains("dependency bot `renovate[bot]`"), "{}", v.summary);
        assert!(
            v.summary.contains("`title-format`, `branch-name`, `checklist` do not apply"),
            "{}",
            v.summary
        );
        assert_eq!(
            v.dependency_bot,
            Some(DependencyBot {
                login: "renovate[bot]".into(),
                exempt_rules: vec!["title-format".into(), "branch-name".into(), "checklist".into()],
            })
        );
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["dependency_bot"]["login"], "renovate[bot]");
        // Everyone else's verdict keeps its JSON shape.
        let json = serde_json::to_value(evaluate(&full_pr(), &policy())).unwrap();
        assert!(json.get("dependency_bot").is_none(), "{json}");
    }

    /// What stays: the required checks, CodeRabbit's review and a human's approval.
    #[test]
    fn a_renovate_batch_still_needs_checks_coderabbit_and_a_human() {
        let mut p = renovate_batch();
        p.check_runs = Some(vec![]);
        p.statuses = Some(vec![]);
        p.reviews = Some(vec![]);
        let v = evaluate(&p, &policy());
        assert!(!v.ok && !v.ready);
        let rules = rules_of(&v);
        assert_eq!(
            rules.iter().filter(|r| **r == rule_id::REQUIRED_CHECKS).count(),
            4,
            "{:?}",
            v.findings
        );
        assert!(rules.contains(&rule_id::CODERABBIT_REVIEW), "{:?}", v.findings);
        assert!(rules.contains(&rule_id::HUMAN_APPROVAL), "{:?}", v.findings);
        for rule in [rule_id::TITLE_FORMAT, rule_id::BRANCH_NAME, rule_id::CHECKLIST] {
            assert!(!rules.contains(&rule), "{rule}: {:?}", v.findings);
        }
        // CodeRabbit's approval is not a human's, and the bot cannot approve its own.
        p.check_runs = full_pr().check_runs;
        p.statuses = full_pr().statuses;
        p.reviews = Some(vec![
            review(1, "coderabbitai[bot]", ReviewState::Approved, HEAD, "2026-01-01T00:00:00Z"),
            review(2, "renovate[bot]", ReviewState::Approved, HEAD, "2026-01-01T00:00:00Z"),
        ]);
        let v = evaluate(&p, &policy());
        assert_eq!(rules_of(&v), vec![rule_id::HUMAN_APPROVAL], "{:?}", v.findings);
    }

    /// The exemption follows the author, not the title or branch: the same pull request by a
    /// person is judged in full, and the list of bots is the configuration's.
    #[test]
    fn only_listed_dependency_bots_are_exempt() {
        let mut by_person = renovate_batch();
        by_person.author = Actor::user("alice");
        let v = evaluate(&by_person, &policy());
        let rules = rules_of(&v);
        assert!(rules.contains(&rule_id::TITLE_FORMAT), "{:?}", v.findings);
        assert!(rules.contains(&rule_id::CHECKLIST), "{:?}", v.findings);
        assert!(!v.summary.contains("dependency bot"), "{}", v.summary);

        // Which authors are exempt, under the defaults and under a configured list.
        let mut deps = plasma_config::Config::default();
        deps.dependency_bots.logins = vec!["plasma-deps".into()];
        let deps = Policy::new(deps).unwrap();
        let mut none = plasma_config::Config::default();
        none.dependency_bots.logins = vec![];
        let none = Policy::new(none).unwrap();
        let cases: &[(&str, ActorKind, &Policy, bool)] = &[
            ("renovate[bot]", ActorKind::Bot, &policy(), true),
            ("dependabot[bot]", ActorKind::Bot, &policy(), true),
            // GitHub logins ignore case.
            ("Renovate[bot]", ActorKind::Bot, &policy(), true),
            // Another bot is not a dependency bot.
            ("some-app[bot]", ActorKind::Bot, &policy(), false),
            ("coderabbitai[bot]", ActorKind::Bot, &policy(), false),
            // A person named like the bot without the App suffix is a person.
            ("renovate", ActorKind::User, &policy(), false),
            // An unknown author (a payload without one) is nobody's bot.
            ("", ActorKind::User, &policy(), false),
            // A self-hosted Renovate running as a user account, once listed.
            ("plasma-deps", ActorKind::User, &deps, true),
            ("renovate[bot]", ActorKind::Bot, &deps, false),
            // An empty list exempts nobody.
            ("renovate[bot]", ActorKind::Bot, &none, false),
        ];
        for (login, kind, policy, exempt) in cases {
            let mut p = renovate_batch();
            p.author = Actor { login: login.to_string(), kind: *kind };
            let v = evaluate(&p, policy);
            let judged = rules_of(&v).contains(&rule_id::TITLE_FORMAT);
            assert_eq!(v.dependency_bot.is_some(), *exempt, "`{login}`: {:?}", v.findings);
            assert_eq!(judged, !*exempt, "`{login}`: {:?}", v.findings);
        }
    }

    fn arb_review() -> impl Strategy<Value = Review> {
        (
            0u64..50,
            prop::sample::select(vec![
                "coderabbitai[bot]",
                "coderabbitai",
                "alice",
                "bob",
                "carol",
                "x[bot]",
            ]),
            prop::sample::select(vec![
                ReviewState::Approved,
                ReviewState::ChangesRequested,
                ReviewState::Commented,
                ReviewState::Dismissed,
                ReviewState::Pending,
            ]),
            prop::bool::ANY,
            0u32..5,
            ".{0,40}",
        )
            .prop_map(|(id, login, state, on_head, day, body)| {
                let mut r = review(
                    id,
                    login,
                    state,
                    if on_head { HEAD } else { OLD },
                    &format!("2026-01-0{}T00:00:00Z", day + 1),
                );
                r.body = body;
                r
            })
    }

    pub(crate) fn arb_pr() -> impl Strategy<Value = PrSnapshot> {
        (
            ".{0,60}",
            ".{0,200}",
            ".{0,60}",
            prop::bool::ANY,
            prop::bool::ANY,
            prop::option::of(prop::collection::vec(arb_review(), 0..12)),
            prop::option::of(prop::collection::vec("[a-zA-Z0-9_./-]{0,40}", 0..20)),
            prop::option::of(prop::collection::vec(
                (
                    0u64..9,
                    prop::sample::select(vec![
                        "lint",
                        "test",
                        "CI / test",
                        "security",
                        "CodeRabbit",
                        "other",
                    ]),
                    prop::sample::select(vec![
                        "success",
                        "failure",
                        "neutral",
                        "skipped",
                        "cancelled",
                    ]),
                    prop::bool::ANY,
                ),
                0..8,
            )),
            prop::collection::vec("[a-f0-9]{40}", 0..3),
        )
            .prop_map(
                |(title, body, branch, draft, closed, reviews, files, runs, requested)| {
                    let mut p = pr();
                    p.title = title;
                    p.body = body;
                    p.head.name = branch;
                    p.draft = draft;
                    p.state = if closed { PrState::Closed } else { PrState::Open };
                    p.reviews = reviews;
                    p.files = files.map(|fs| {
                        fs.into_iter()
                            .map(|path| ChangedFile {
                                path,
                                status: "modified".into(),
                                additions: 0,
                                deletions: 0,
                                previous_path: None,
                            })
                            .collect()
                    });
                    p.check_runs = runs.map(|rs| {
                        rs.into_iter()
                            .map(|(id, name, concl, done)| CheckRun {
                                id,
                                name: name.into(),
                                status: if done {
                                    "completed".into()
                                } else {
                                    "in_progress".into()
                                },
                                conclusion: done.then(|| concl.to_string()),
                                started_at: None,
                                completed_at: None,
                            })
                            .collect()
                    });
                    p.rereview_requested_shas = requested;
                    p
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn evaluation_is_deterministic_and_consistent(p in arb_pr()) {
            let policy = policy();
            let a = evaluate(&p, &policy);
            let b = evaluate(&p.clone(), &policy);
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
            prop_assert!(a.summary.chars().count() <= crate::render::COMMENT_LIMIT);
            prop_assert_eq!(a.ok, !a.findings.iter().any(|f| f.severity == Severity::Error));
            prop_assert!(!a.ready || (a.ok && p.state == PrState::Open && !p.draft));
            // Desired labels only ever use owned prefixes, with exactly one status label.
            if let Some(labels) = &a.desired_labels {
                prop_assert!(labels.iter().all(|l| l.starts_with("status:") || l.starts_with("agent:")));
                prop_assert_eq!(labels.iter().filter(|l| l.starts_with("status:")).count(), 1);
            }
            // A re-review is requested at most once per head SHA.
            if p.rereview_requested_shas.contains(&p.head.sha) {
                prop_assert!(!a.review.rereview.request);
            }
        }
    }
}
