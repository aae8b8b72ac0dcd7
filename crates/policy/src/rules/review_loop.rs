//! `coderabbit-review`: the autonomous review loop. Decides which one of the three coordination
//! labels a pull request carries and whether CodeRabbit should be asked for a review now.
//!
//! Every review counts (a long-lived pull request has more than one page of them), the latest is
//! chosen by `submitted_at` then id, and a re-review is requested at most once per head SHA, with
//! the configured trigger (`@coderabbitai review`: another handle reaches another account).
//! ADR-0001 lists the defects of the scripts this replaces.

use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

use crate::rules::checks::short_sha;
use crate::rules::review_threads::{OpenThread, ThreadFilter, failed_pre_merge_checks};
use crate::snapshot::{PrSnapshot, PrState, Review, ReviewState};
use crate::{Finding, rule_id};
use plasma_config::{CodeRabbitConfig, CommentedReview, StatusLabels};

const RULE: &str = rule_id::CODERABBIT_REVIEW;

/// Where the loop stands for the head commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewLoopState {
    /// No CodeRabbit verdict on the head commit.
    NeedsReview,
    /// CodeRabbit asked for changes.
    NeedsFix,
    /// CodeRabbit approved the head commit.
    Approved,
}

impl ReviewLoopState {
    /// The coordination label for this state.
    pub fn label(self, labels: &StatusLabels) -> &str {
        match self {
            ReviewLoopState::NeedsReview => &labels.needs_review,
            ReviewLoopState::NeedsFix => &labels.needs_fix,
            ReviewLoopState::Approved => &labels.approved,
        }
    }
}

/// Whether to ask CodeRabbit for a review now, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RereviewDecision {
    /// Post the trigger comment now.
    pub request: bool,
    /// A request for this head exists or is being made now (stable across applying the plan, so
    /// the summary does not change merely because the request was posted).
    pub requested_for_head: bool,
    /// The head SHA the decision is about (record it once the comment is posted).
    pub sha: String,
    /// The comment to post when `request` is true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// CodeRabbit already reviewed the head without approving and left no open thread: this is
    /// the one request made after its review (the one made before it does not count).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub after_review: bool,
    /// Why (or why not).
    pub reason: String,
}

/// The loop's outcome for one pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewLoop {
    /// `None` when reviews are unknown: the current label is left alone.
    pub state: Option<ReviewLoopState>,
    /// The CodeRabbit review that decided, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deciding_review: Option<u64>,
    /// Re-review decision.
    pub rereview: RereviewDecision,
    /// CodeRabbit's open review threads that ask for a fix (when they were read).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub open_threads: Vec<OpenThread>,
    /// Pre-merge checks CodeRabbit's deciding review lists as failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_pre_merge_checks: Vec<String>,
}

/// What an agent is told to do about an open CodeRabbit review thread.
pub const THREAD_FIX: &str =
    "address the thread and resolve it, or push a fix and let CodeRabbit re-review";

/// The compiled `coderabbit` section.
#[derive(Debug, Clone)]
pub struct ReviewLoopRule {
    logins: Vec<String>,
    trigger: String,
    commented: CommentedReview,
    threads: ThreadFilter,
}

fn actionable_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)actionable\s+comments\s+posted:?\s*\**\s*(\d{1,6})").ok())
        .as_ref()
}

/// `N` of CodeRabbit's "Actionable comments posted: N" line, if the body has one.
pub fn actionable_comments(body: &str) -> Option<u32> {
    actionable_re()?.captures(body)?.get(1)?.as_str().parse().ok()
}

impl ReviewLoopRule {
    /// From the configuration: `logins` (or the defaults) plus `extra_logins`.
    pub fn new(cfg: &CodeRabbitConfig) -> Self {
        let mut logins: Vec<String> =
            cfg.logins.iter().chain(&cfg.extra_logins).map(|l| l.to_ascii_lowercase()).collect();
        logins.sort();
        logins.dedup();
        ReviewLoopRule {
            logins,
            trigger: cfg.rereview_trigger.clone(),
            commented: cfg.commented_review,
            threads: ThreadFilter::new(cfg),
        }
    }

    /// Whether `login` is one of CodeRabbit's accounts (logins are case-insensitive on GitHub).
    pub fn is_coderabbit(&self, login: &str) -> bool {
        let l = login.to_ascii_lowercase();
        self.logins.contains(&l)
    }

    /// Run the loop for one pull request.
    pub fn evaluate(&self, pr: &PrSnapshot) -> (ReviewLoop, Vec<Finding>) {
        let sha = pr.head.sha.clone();
        let short = short_sha(&pr.head.sha).to_string();
        let Some(reviews) = &pr.reviews else {
            let rl = ReviewLoop {
                state: None,
                deciding_review: None,
                rereview: RereviewDecision {
                    request: false,
                    requested_for_head: false,
                    sha,
                    comment: None,
                    after_review: false,
                    reason: "reviews are unknown in this input; no decision".into(),
                },
                open_threads: Vec::new(),
                failed_pre_merge_checks: Vec::new(),
            };
            let f = Finding::info(
                RULE,
                "CodeRabbit review not evaluated: the input carries no reviews",
                "run with a full snapshot (`--snapshot`), or let the service fetch the reviews",
            );
            return (rl, vec![f]);
        };
        // Dismissed reviews were overruled by a human, pending ones are not submitted yet.
        let latest = reviews
            .iter()
            .filter(|r| self.is_coderabbit(&r.author.login))
            .filter(|r| !matches!(r.state, ReviewState::Pending | ReviewState::Dismissed))
            .max_by_key(|r| (r.submitted_at, r.id));
        let on_head = reviews.iter().any(|r| {
            self.is_coderabbit(&r.author.login)
                && r.state != ReviewState::Pending
                && r.commit_id.as_deref() == Some(pr.head.sha.as_str())
        });
        let (mut state, mut finding) = self.judge(latest, pr, &short);
        let mut open_threads = Vec::new();
        let mut failed_checks = Vec::new();
        let mut ask_again = false;
        // CodeRabbit only commented on the head: its open threads decide, when known. (A change
        // request already says "fix"; CodeRabbit turns it into an approval itself once the
        // threads it requires are resolved.)
        if let (Some(r), Some(threads)) = (latest, &pr.review_threads)
            && self.threads_decide(r, pr)
        {
            open_threads = self.threads.open(threads);
            if open_threads.is_empty() {
                failed_checks = failed_pre_merge_checks(&r.body);
                ask_again = true;
                state = ReviewLoopState::NeedsReview;
                finding = Some(no_open_thread(r.id, &short, &failed_checks, &self.trigger));
            } else {
                state = ReviewLoopState::NeedsFix;
                finding = Some(Finding::error(
                    RULE,
                    format!(
                        "CodeRabbit reviewed {short} (review #{}) without approving, and {} of its review thread(s) are open",
                        r.id,
                        open_threads.len()
                    ),
                    THREAD_FIX,
                ));
            }
        }
        let rereview = self.rereview(pr, on_head, ask_again, sha);
        let rl = ReviewLoop {
            state: Some(state),
            deciding_review: latest.map(|r| r.id),
            rereview,
            open_threads,
            failed_pre_merge_checks: failed_checks,
        };
        (rl, finding.into_iter().collect())
    }

    /// Whether the decision needs the pull request's review threads: CodeRabbit's latest review
    /// is on the head commit and only commented (without being read as an approval). Anything
    /// else (no review yet, a review of an older commit, an approval, a change request) is
    /// decided without them, so it costs no GraphQL call.
    pub fn needs_threads(&self, pr: &PrSnapshot) -> bool {
        let Some(reviews) = &pr.reviews else { return false };
        let latest = reviews
            .iter()
            .filter(|r| self.is_coderabbit(&r.author.login))
            .filter(|r| !matches!(r.state, ReviewState::Pending | ReviewState::Dismissed))
            .max_by_key(|r| (r.submitted_at, r.id));
        latest.is_some_and(|r| self.threads_decide(r, pr))
    }

    /// The deciding review is a COMMENTED review of the head that is not read as an approval.
    fn threads_decide(&self, r: &Review, pr: &PrSnapshot) -> bool {
        let short = short_sha(&pr.head.sha).to_string();
        r.state == ReviewState::Commented
            && r.commit_id.as_deref() == Some(pr.head.sha.as_str())
            && self.judge(Some(r), pr, &short).0 != ReviewLoopState::Approved
    }

    fn judge(
        &self,
        latest: Option<&Review>,
        pr: &PrSnapshot,
        short: &str,
    ) -> (ReviewLoopState, Option<Finding>) {
        let wait_hint = format!(
            "wait for CodeRabbit to review {short}, or comment `{}` on the pull request",
            self.trigger
        );
        let Some(r) = latest else {
            return (
                ReviewLoopState::NeedsReview,
                Some(Finding::error(
                    RULE,
                    format!(
                        "CodeRabbit has not reviewed {short} yet (no CodeRabbit review at all)"
                    ),
                    wait_hint,
                )),
            );
        };
        let on = r.commit_id.as_deref().map(short_sha).unwrap_or("an unknown commit");
        if r.commit_id.as_deref() != Some(pr.head.sha.as_str()) {
            return (
                ReviewLoopState::NeedsReview,
                Some(Finding::error(
                    RULE,
                    format!(
                        "CodeRabbit's latest review (#{}) is on {on}, not on the head commit {short}",
                        r.id
                    ),
                    wait_hint,
                )),
            );
        }
        let needs_fix = |why: String| {
            (
                ReviewLoopState::NeedsFix,
                Some(Finding::error(
                    RULE,
                    why,
                    "address CodeRabbit's comments and push; the agent labels say which specialised agent should take it",
                )),
            )
        };
        match r.state {
            ReviewState::Approved => (ReviewLoopState::Approved, None),
            ReviewState::ChangesRequested => {
                needs_fix(format!("CodeRabbit requested changes on {short} (review #{})", r.id))
            }
            ReviewState::Commented => match (self.commented, actionable_comments(&r.body)) {
                (CommentedReview::ActionableCount, Some(0)) => (ReviewLoopState::Approved, None),
                (CommentedReview::ActionableCount, Some(n)) => needs_fix(format!(
                    "CodeRabbit posted {n} actionable comment(s) on {short} (review #{})",
                    r.id
                )),
                (CommentedReview::ActionableCount, None) => (
                    ReviewLoopState::NeedsReview,
                    Some(Finding::error(
                        RULE,
                        format!(
                            "CodeRabbit's review #{} on {short} only commented and has no \"Actionable comments posted: N\" line",
                            r.id
                        ),
                        wait_hint,
                    )),
                ),
                (CommentedReview::NeedsReview, _) => (
                    ReviewLoopState::NeedsReview,
                    Some(Finding::error(
                        RULE,
                        format!(
                            "CodeRabbit's review #{} on {short} only commented; the process needs an approval or a change request",
                            r.id
                        ),
                        "set `reviews.request_changes_workflow: true` in .coderabbit.yaml, or `coderabbit.commented_review: actionable-count` in .github/plasma.yml to read the actionable-comment count",
                    )),
                ),
            },
            // Filtered out above; kept total for the compiler.
            ReviewState::Dismissed | ReviewState::Pending => (ReviewLoopState::NeedsReview, None),
        }
    }

    fn rereview(
        &self,
        pr: &PrSnapshot,
        on_head: bool,
        after_review: bool,
        sha: String,
    ) -> RereviewDecision {
        let no = |reason: &str| RereviewDecision {
            request: false,
            requested_for_head: false,
            sha: sha.clone(),
            comment: None,
            after_review: false,
            reason: reason.into(),
        };
        if pr.state != PrState::Open {
            return no("the pull request is closed");
        }
        if pr.draft {
            return no("the pull request is a draft");
        }
        if on_head && !after_review {
            return no("CodeRabbit already reviewed the head commit");
        }
        let reason = if after_review {
            format!(
                "CodeRabbit reviewed {} without approving and none of its review threads is open",
                short_sha(&sha)
            )
        } else {
            format!("no CodeRabbit review on the head commit {}", short_sha(&sha))
        };
        let ask = RereviewDecision {
            request: true,
            requested_for_head: true,
            sha: sha.clone(),
            comment: Some(self.trigger.clone()),
            after_review,
            reason,
        };
        if pr.rereview_requested_shas.contains(&ask.marker_key()) {
            return ask.already_requested();
        }
        ask
    }
}

/// The finding when CodeRabbit reviewed the head without approving and left no open thread:
/// ask it again, naming the pre-merge checks its review says failed.
fn no_open_thread(review: u64, short: &str, failed: &[String], trigger: &str) -> Finding {
    if failed.is_empty() {
        Finding::error(
            RULE,
            format!(
                "CodeRabbit reviewed {short} (review #{review}) without approving, and none of its review threads is open"
            ),
            format!(
                "a new CodeRabbit review of {short} is requested once (`{trigger}`); it approves when nothing is left to fix"
            ),
        )
    } else {
        let names: Vec<String> = failed.iter().map(|c| format!("`{c}`")).collect();
        Finding::error(
            RULE,
            format!(
                "CodeRabbit reviewed {short} (review #{review}) without approving: its pre-merge checks failed ({}), and none of its review threads is open",
                names.join(", ")
            ),
            format!(
                "fix what the failing pre-merge checks ask for and push, or comment `{trigger}` once they are fixed another way; a new review of {short} is requested once"
            ),
        )
    }
}

/// Appended to the head SHA in the marker of the request made after CodeRabbit reviewed the head
/// without approving, so that request is told apart from the one made before its review.
pub const AFTER_REVIEW_SUFFIX: &str = "+reviewed";

impl RereviewDecision {
    /// What the request's marker records: the head SHA, with [`AFTER_REVIEW_SUFFIX`] for the
    /// request made after CodeRabbit's review.
    pub fn marker_key(&self) -> String {
        if self.after_review {
            format!("{}{AFTER_REVIEW_SUFFIX}", self.sha)
        } else {
            self.sha.clone()
        }
    }

    /// This decision once a request for the head is known to exist: nothing to post, and the
    /// summary reads as it did when the request was made.
    pub fn already_requested(self) -> Self {
        RereviewDecision {
            request: false,
            requested_for_head: true,
            comment: None,
            reason: "a review of this head commit was already requested".into(),
            after_review: self.after_review,
            sha: self.sha,
        }
    }
}

/// `coderabbit-review`, explained (`explain_rule`).
pub const ABOUT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"coderabbit-review"#,
    checks: r#"CodeRabbit's newest review of the head commit decides the loop: no verdict -> status:needs-coderabbit-review, changes requested -> status:needs-cursor-fix, approved -> status:coderabbit-approved; a re-review is requested at most once per head SHA."#,
    config: &[
        crate::rules::about::ConfigKey {
            key: "coderabbit.logins",
            default: r#"["coderabbitai[bot]", coderabbitai]"#,
        },
        crate::rules::about::ConfigKey { key: "coderabbit.extra_logins", default: r#"[]"# },
        crate::rules::about::ConfigKey {
            key: "coderabbit.rereview_trigger",
            default: r#""@coderabbitai review""#,
        },
        crate::rules::about::ConfigKey {
            key: "coderabbit.commented_review",
            default: r#"needs-review"#,
        },
    ],
    passes: r#"coderabbitai[bot] approved the head commit"#,
    fails: r#"coderabbitai[bot] requested changes on the head commit (status:needs-cursor-fix)"#,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::ReviewThread;
    use crate::test_support::{HEAD, OLD, pr, review};
    use ReviewState::*;

    const BOT: &str = "coderabbitai[bot]";

    fn run(reviews: Vec<Review>, cfg: CodeRabbitConfig) -> (ReviewLoop, Vec<Finding>) {
        let mut p = pr();
        p.reviews = Some(reviews);
        ReviewLoopRule::new(&cfg).evaluate(&p)
    }

    #[test]
    fn table() {
        use ReviewLoopState as S;
        let t1 = "2026-01-01T00:00:00Z";
        let t2 = "2026-01-02T00:00:00Z";
        let commented = |id, n: Option<u32>| {
            let mut r = review(id, BOT, Commented, HEAD, t2);
            if let Some(n) = n {
                r.body = format!("**Actionable comments posted: {n}**\n\n<details>...");
            }
            r
        };
        let cases: Vec<(&str, Vec<Review>, CommentedReview, S, bool)> = vec![
            ("no review", vec![], CommentedReview::NeedsReview, S::NeedsReview, true),
            (
                "approved on head",
                vec![review(1, BOT, Approved, HEAD, t1)],
                CommentedReview::NeedsReview,
                S::Approved,
                false,
            ),
            (
                "changes requested on head",
                vec![review(1, BOT, ChangesRequested, HEAD, t1)],
                CommentedReview::NeedsReview,
                S::NeedsFix,
                false,
            ),
            (
                "approved on old sha",
                vec![review(1, BOT, Approved, OLD, t1)],
                CommentedReview::NeedsReview,
                S::NeedsReview,
                true,
            ),
            (
                "latest by time wins, not by position",
                vec![
                    review(2, BOT, Approved, HEAD, t2),
                    review(1, BOT, ChangesRequested, HEAD, t1),
                ],
                CommentedReview::NeedsReview,
                S::Approved,
                false,
            ),
            (
                "ties on time broken by id",
                vec![
                    review(7, BOT, ChangesRequested, HEAD, t1),
                    review(5, BOT, Approved, HEAD, t1),
                ],
                CommentedReview::NeedsReview,
                S::NeedsFix,
                false,
            ),
            (
                "commented is conservative",
                vec![commented(1, Some(0))],
                CommentedReview::NeedsReview,
                S::NeedsReview,
                false,
            ),
            (
                "commented, 0 actionable",
                vec![commented(1, Some(0))],
                CommentedReview::ActionableCount,
                S::Approved,
                false,
            ),
            (
                "commented, 3 actionable",
                vec![commented(1, Some(3))],
                CommentedReview::ActionableCount,
                S::NeedsFix,
                false,
            ),
            (
                "commented, no count line",
                vec![commented(1, None)],
                CommentedReview::ActionableCount,
                S::NeedsReview,
                false,
            ),
            (
                "human reviews do not count",
                vec![review(1, "alice", Approved, HEAD, t1)],
                CommentedReview::NeedsReview,
                S::NeedsReview,
                true,
            ),
            (
                "plain login counts too",
                vec![review(1, "coderabbitai", Approved, HEAD, t1)],
                CommentedReview::NeedsReview,
                S::Approved,
                false,
            ),
            (
                "dismissed changes request does not count",
                vec![review(1, BOT, Approved, HEAD, t1), review(2, BOT, Dismissed, HEAD, t2)],
                CommentedReview::NeedsReview,
                S::Approved,
                false,
            ),
        ];
        for (name, reviews, commented_review, want, want_request) in cases {
            let cfg = CodeRabbitConfig { commented_review, ..Default::default() };
            let (rl, findings) = run(reviews, cfg);
            assert_eq!(rl.state, Some(want), "{name}");
            assert_eq!(rl.rereview.request, want_request, "{name}: {}", rl.rereview.reason);
            assert_eq!(findings.is_empty(), want == S::Approved, "{name}: {findings:?}");
        }
    }

    fn thread(author: &str, resolved: bool, outdated: bool, line: u64) -> ReviewThread {
        ReviewThread {
            id: format!("PRRT_{line}"),
            author: author.into(),
            resolved,
            outdated,
            path: "src/app.py".into(),
            line: Some(line),
            url: format!("https://github.com/o/r/pull/12#discussion_r{line}"),
        }
    }

    #[test]
    fn threads_table() {
        use ReviewLoopState as S;
        let t = "2026-01-02T00:00:00Z";
        let cr = "coderabbitai";
        let open2 = vec![thread(cr, false, false, 3), thread(cr, false, false, 9)];
        let resolved_outdated = vec![thread(cr, true, false, 3), thread(cr, false, true, 9)];
        let outdated_only = vec![thread(cr, false, true, 9)];
        let commented = vec![review(1, BOT, Commented, HEAD, t)];
        let mut with_checks = review(1, BOT, Commented, HEAD, t);
        with_checks.body = "<summary>❌ Failed checks (1 warning)</summary>\n\n| Check name | Status |\n| --- | --- |\n| Docstring Coverage | ⚠️ Warning |\n</details>".into();
        let counted = CodeRabbitConfig {
            threads: plasma_config::ReviewThreadsConfig { count_outdated: true, authors: vec![] },
            ..Default::default()
        };
        // (name, reviews, threads, config, already requested, state, request, open threads)
        type Case = (
            &'static str,
            Vec<Review>,
            Option<Vec<ReviewThread>>,
            CodeRabbitConfig,
            bool,
            S,
            bool,
            usize,
        );
        let d = CodeRabbitConfig::default;
        let cases: Vec<Case> = vec![
            (
                "commented, two open threads",
                commented.clone(),
                Some(open2.clone()),
                d(),
                false,
                S::NeedsFix,
                false,
                2,
            ),
            (
                "commented, one resolved, one outdated",
                commented.clone(),
                Some(resolved_outdated.clone()),
                d(),
                false,
                S::NeedsReview,
                true,
                0,
            ),
            (
                "... the request made before the review does not count",
                commented.clone(),
                Some(resolved_outdated.clone()),
                d(),
                true,
                S::NeedsReview,
                true,
                0,
            ),
            (
                "... the request after the review was made",
                commented.clone(),
                Some(resolved_outdated.clone()),
                d(),
                false,
                S::NeedsReview,
                false,
                0,
            ),
            (
                "outdated threads counted",
                commented.clone(),
                Some(outdated_only.clone()),
                counted,
                false,
                S::NeedsFix,
                false,
                1,
            ),
            (
                "changes requested: a fix, whatever the threads",
                vec![review(1, BOT, ChangesRequested, HEAD, t)],
                Some(vec![thread(cr, true, false, 1)]),
                d(),
                false,
                S::NeedsFix,
                false,
                0,
            ),
            (
                "a later COMMENTED review decides over an earlier change request",
                vec![
                    review(1, BOT, ChangesRequested, HEAD, "2026-01-01T00:00:00Z"),
                    review(2, BOT, Commented, HEAD, t),
                ],
                Some(vec![]),
                d(),
                false,
                S::NeedsReview,
                true,
                0,
            ),
            (
                "approved, threads do not matter",
                vec![review(1, BOT, Approved, HEAD, t)],
                Some(open2.clone()),
                d(),
                false,
                S::Approved,
                false,
                0,
            ),
            (
                "review of an older commit: as before",
                vec![review(1, BOT, Commented, OLD, t)],
                Some(open2.clone()),
                d(),
                false,
                S::NeedsReview,
                true,
                0,
            ),
            (
                "threads unknown: as before",
                commented.clone(),
                None,
                d(),
                false,
                S::NeedsReview,
                false,
                0,
            ),
            (
                "a human's open thread does not count",
                commented.clone(),
                Some(vec![thread("alice", false, false, 1)]),
                d(),
                false,
                S::NeedsReview,
                true,
                0,
            ),
            (
                "no thread, failing pre-merge check",
                vec![with_checks],
                Some(vec![]),
                d(),
                false,
                S::NeedsReview,
                true,
                0,
            ),
        ];
        for (name, reviews, threads, cfg, requested, want, want_request, want_open) in cases {
            let mut p = pr();
            p.reviews = Some(reviews);
            p.review_threads = threads;
            if requested {
                p.rereview_requested_shas = vec![HEAD.into()];
            }
            if name.contains("after the review was made") {
                p.rereview_requested_shas = vec![format!("{HEAD}{AFTER_REVIEW_SUFFIX}")];
            }
            let (rl, findings) = ReviewLoopRule::new(&cfg).evaluate(&p);
            assert_eq!(rl.state, Some(want), "{name}: {findings:?}");
            assert_eq!(rl.rereview.request, want_request, "{name}: {}", rl.rereview.reason);
            assert_eq!(rl.open_threads.len(), want_open, "{name}");
            assert_eq!(findings.is_empty(), want == S::Approved, "{name}: {findings:?}");
            if want_open > 0 {
                assert_eq!(findings[0].hint, THREAD_FIX, "{name}");
            }
        }
    }

    #[test]
    fn failing_pre_merge_checks_are_named() {
        let mut r = review(1, BOT, Commented, HEAD, "2026-01-02T00:00:00Z");
        r.body = "❌ Failed checks (1 warning)\n| Check name | Status |\n| :---: | :---: |\n| Docstring Coverage | ⚠️ Warning |\n".into();
        let mut p = pr();
        p.reviews = Some(vec![r]);
        p.review_threads = Some(vec![]);
        let (rl, f) = ReviewLoopRule::new(&CodeRabbitConfig::default()).evaluate(&p);
        assert_eq!(rl.failed_pre_merge_checks, vec!["Docstring Coverage".to_string()]);
        assert!(f[0].message.contains("pre-merge checks failed (`Docstring Coverage`)"), "{f:?}");
    }

    #[test]
    fn threads_are_needed_only_when_coderabbit_only_commented_on_the_head() {
        let t = "2026-01-02T00:00:00Z";
        let mut zero = review(1, BOT, Commented, HEAD, t);
        zero.body = "Actionable comments posted: 0".into();
        let actionable = CodeRabbitConfig {
            commented_review: CommentedReview::ActionableCount,
            ..Default::default()
        };
        let d = CodeRabbitConfig::default;
        let cases: Vec<(&str, Option<Vec<Review>>, CodeRabbitConfig, bool)> = vec![
            ("reviews unknown", None, d(), false),
            ("no review", Some(vec![]), d(), false),
            ("approved on head", Some(vec![review(1, BOT, Approved, HEAD, t)]), d(), false),
            ("commented on head", Some(vec![review(1, BOT, Commented, HEAD, t)]), d(), true),
            (
                "changes requested on head: already a fix",
                Some(vec![review(1, BOT, ChangesRequested, HEAD, t)]),
                d(),
                false,
            ),
            (
                "commented on an older commit",
                Some(vec![review(1, BOT, Commented, OLD, t)]),
                d(),
                false,
            ),
            ("0 actionable read as approval", Some(vec![zero]), actionable, false),
            ("a human's review", Some(vec![review(1, "alice", Commented, HEAD, t)]), d(), false),
        ];
        for (name, reviews, cfg, want) in cases {
            let mut p = pr();
            p.reviews = reviews;
            assert_eq!(ReviewLoopRule::new(&cfg).needs_threads(&p), want, "{name}");
        }
    }

    #[test]
    fn every_review_counts_past_the_first_hundred() {
        let mut reviews: Vec<Review> = (1..=250)
            .map(|i| review(i, BOT, ChangesRequested, OLD, "2026-01-01T00:00:00Z"))
            .collect();
        reviews.push(review(251, BOT, Approved, HEAD, "2026-01-03T00:00:00Z"));
        reviews.reverse();
        let (rl, _) = run(reviews, CodeRabbitConfig::default());
        assert_eq!(rl.state, Some(ReviewLoopState::Approved));
        assert_eq!(rl.deciding_review, Some(251));
    }

    #[test]
    fn rereview_at_most_once_per_sha_and_never_for_drafts_or_closed() {
        let rule = ReviewLoopRule::new(&CodeRabbitConfig::default());
        let mut p = pr();
        p.reviews = Some(vec![]);
        let (rl, _) = rule.evaluate(&p);
        assert!(rl.rereview.request);
        assert_eq!(rl.rereview.comment.as_deref(), Some("@coderabbitai review"));
        assert_eq!(rl.rereview.sha, HEAD);
        p.rereview_requested_shas = vec![HEAD.into()];
        assert!(!rule.evaluate(&p).0.rereview.request);
        p.rereview_requested_shas = vec![OLD.into()];
        assert!(rule.evaluate(&p).0.rereview.request, "a new head needs a new request");
        p.draft = true;
        assert!(!rule.evaluate(&p).0.rereview.request);
        p.draft = false;
        p.state = PrState::Closed;
        assert!(!rule.evaluate(&p).0.rereview.request);
    }

    #[test]
    fn unknown_reviews_leave_the_label_alone() {
        let (rl, f) = ReviewLoopRule::new(&CodeRabbitConfig::default()).evaluate(&pr());
        assert_eq!(rl.state, None);
        assert!(!rl.rereview.request);
        assert_eq!(f[0].severity, crate::Severity::Info);
    }

    #[test]
    fn extra_logins_add_to_the_defaults_and_logins_replace_them() {
        let cfg =
            CodeRabbitConfig { extra_logins: vec!["rabbit-ghes".into()], ..Default::default() };
        let r = ReviewLoopRule::new(&cfg);
        assert!(r.is_coderabbit("CodeRabbitAI[bot]") && r.is_coderabbit("rabbit-ghes"));
        let cfg = CodeRabbitConfig { logins: vec!["rabbit-ghes".into()], ..Default::default() };
        let r = ReviewLoopRule::new(&cfg);
        assert!(!r.is_coderabbit("coderabbitai[bot]") && r.is_coderabbit("rabbit-ghes"));
    }

    #[test]
    fn actionable_count_line_variants() {
        assert_eq!(actionable_comments("**Actionable comments posted: 2**"), Some(2));
        assert_eq!(actionable_comments("Actionable comments posted: 0"), Some(0));
        assert_eq!(actionable_comments("nothing"), None);
    }
}
