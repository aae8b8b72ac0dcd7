//! `human-approval`: at least N approvals from distinct humans who are neither the author nor a
//! bot (CodeRabbit's approval is its own rule). As on GitHub, each reviewer's latest approving,
//! change-requesting or dismissed review decides; a later plain comment does not undo an approval.

use std::collections::BTreeMap;

use crate::rules::checks::short_sha;
use crate::rules::review_loop::ReviewLoopRule;
use crate::snapshot::{PrSnapshot, Review, ReviewState};
use crate::{Finding, rule_id};
use plasma_config::ApprovalsConfig;

const RULE: &str = rule_id::HUMAN_APPROVAL;

/// Judge human approvals.
pub fn check(pr: &PrSnapshot, cfg: &ApprovalsConfig, coderabbit: &ReviewLoopRule) -> Vec<Finding> {
    let Some(reviews) = &pr.reviews else {
        return vec![Finding::info(
            RULE,
            "human approval not evaluated: the input carries no reviews",
            "run with a full snapshot (`--snapshot`), or let the service fetch the reviews",
        )];
    };
    let author = pr.author.login.to_ascii_lowercase();
    let mut ignored: Vec<String> = Vec::new();
    let mut latest: BTreeMap<String, &Review> = BTreeMap::new();
    for r in reviews {
        let login = r.author.login.to_ascii_lowercase();
        if r.author.is_bot() || coderabbit.is_coderabbit(&login) || login == author {
            if r.state == ReviewState::Approved {
                let who = if login == author { "the author's own" } else { "a bot's" };
                ignored.push(format!("{who} approval by {}", r.author.login));
            }
            continue;
        }
        if !matches!(
            r.state,
            ReviewState::Approved | ReviewState::ChangesRequested | ReviewState::Dismissed
        ) {
            continue;
        }
        let newer = latest
            .get(&login)
            .is_none_or(|cur| (r.submitted_at, r.id) > (cur.submitted_at, cur.id));
        if newer {
            latest.insert(login, r);
        }
    }
    let mut approvers = Vec::new();
    let mut stale = Vec::new();
    let mut requesting = Vec::new();
    for r in latest.values() {
        match r.state {
            ReviewState::Approved => {
                if cfg.on_head_commit && r.commit_id.as_deref() != Some(pr.head.sha.as_str()) {
                    stale.push(r.author.login.clone());
                } else {
                    approvers.push(r.author.login.clone());
                }
            }
            ReviewState::ChangesRequested => requesting.push(r.author.login.clone()),
            _ => {}
        }
    }
    ignored.sort();
    ignored.dedup();
    let mut findings = Vec::new();
    if !requesting.is_empty() {
        findings.push(Finding::error(
            RULE,
            format!("changes requested by {}", requesting.join(", ")),
            "address the review and ask the reviewer to approve or re-review",
        ));
    }
    let required = cfg.required as usize;
    if approvers.len() < required {
        let mut msg = format!("{} of {required} required human approval(s)", approvers.len());
        if !approvers.is_empty() {
            msg.push_str(&format!(" (approved by {})", approvers.join(", ")));
        }
        if !stale.is_empty() {
            msg.push_str(&format!(
                "; approvals by {} are on an older commit, not on {}",
                stale.join(", "),
                short_sha(&pr.head.sha)
            ));
        }
        if !ignored.is_empty() {
            msg.push_str(&format!("; not counted: {}", ignored.join(", ")));
        }
        findings.push(Finding::error(
            RULE,
            msg,
            "request a review from a code owner who is not the author",
        ));
    }
    findings
}

/// `human-approval`, explained (`explain_rule`).
pub const ABOUT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"human-approval"#,
    checks: r#"At least `approvals.required` approvals from distinct humans who are neither the author nor bots (on the head commit when `approvals.on_head_commit`)."#,
    config: &[
        crate::rules::about::ConfigKey { key: "approvals.required", default: r#"1"# },
        crate::rules::about::ConfigKey { key: "approvals.on_head_commit", default: r#"false"# },
    ],
    passes: r#"alice (not the author) approved"#,
    fails: r#"only the author or coderabbitai[bot] approved"#,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{HEAD, OLD, pr, review};
    use ReviewState::*;
    use plasma_config::CodeRabbitConfig;

    fn judge(reviews: Vec<Review>, cfg: ApprovalsConfig) -> Vec<Finding> {
        let mut p = pr();
        p.reviews = Some(reviews);
        check(&p, &cfg, &ReviewLoopRule::new(&CodeRabbitConfig::default()))
    }

    #[test]
    fn table() {
        let t1 = "2026-01-01T00:00:00Z";
        let t2 = "2026-01-02T00:00:00Z";
        let one = ApprovalsConfig::default();
        let two = ApprovalsConfig { required: 2, on_head_commit: false };
        let head_only = ApprovalsConfig { required: 1, on_head_commit: true };
        let cases: Vec<(&str, Vec<Review>, &ApprovalsConfig, &[&str])> = vec![
            ("one human approval", vec![review(1, "alice", Approved, HEAD, t1)], &one, &[]),
            ("none", vec![], &one, &["0 of 1"]),
            (
                "author's own approval",
                vec![review(1, "bob", Approved, HEAD, t1)],
                &one,
                &["0 of 1", "the author's own approval by bob"],
            ),
            (
                "bot approval",
                vec![review(1, "renovate[bot]", Approved, HEAD, t1)],
                &one,
                &["0 of 1", "a bot's approval"],
            ),
            (
                "coderabbit approval",
                vec![review(1, "coderabbitai", Approved, HEAD, t1)],
                &one,
                &["0 of 1"],
            ),
            (
                "same human twice",
                vec![
                    review(1, "alice", Approved, HEAD, t1),
                    review(2, "alice", Approved, HEAD, t2),
                ],
                &two,
                &["1 of 2"],
            ),
            (
                "two humans",
                vec![
                    review(1, "alice", Approved, HEAD, t1),
                    review(2, "carol", Approved, HEAD, t2),
                ],
                &two,
                &[],
            ),
            (
                "latest decides",
                vec![
                    review(1, "alice", Approved, HEAD, t1),
                    review(2, "alice", ChangesRequested, HEAD, t2),
                ],
                &one,
                &["changes requested by alice", "0 of 1"],
            ),
            (
                "comment does not undo approval",
                vec![
                    review(1, "alice", Approved, HEAD, t1),
                    review(2, "alice", Commented, HEAD, t2),
                ],
                &one,
                &[],
            ),
            (
                "dismissed does not count",
                vec![
                    review(1, "alice", Approved, HEAD, t1),
                    review(2, "alice", Dismissed, HEAD, t2),
                ],
                &one,
                &["0 of 1"],
            ),
            (
                "old commit counts by default",
                vec![review(1, "alice", Approved, OLD, t1)],
                &one,
                &[],
            ),
            (
                "old commit does not count when configured",
                vec![review(1, "alice", Approved, OLD, t1)],
                &head_only,
                &["0 of 1", "older commit"],
            ),
        ];
        for (name, reviews, cfg, want) in cases {
            let f = judge(reviews, cfg.clone());
            let all: String = f.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" | ");
            if want.is_empty() {
                assert!(f.is_empty(), "{name}: {all}");
            }
            for w in want {
                assert!(all.contains(w), "{name}: {all} lacks {w}");
            }
        }
    }
}
