//! `issue-owner`: the process's step 2 — "assign owner". An issue counts as triaged once its
//! `needs-review` label is gone: from then on it needs an assignee. While it carries
//! `needs-review` it is waiting for triage, and having no owner yet is expected.

use crate::snapshot::{IssueSnapshot, PrState};
use crate::{Finding, rule_id};
use plasma_config::IssuesConfig;

const RULE: &str = rule_id::ISSUE_OWNER;

/// Judge whether a triaged issue has an owner.
pub fn check(issue: &IssueSnapshot, cfg: &IssuesConfig) -> Vec<Finding> {
    if issue.state != PrState::Open || !issue.assignees.is_empty() {
        return Vec::new();
    }
    if issue.labels.iter().any(|l| cfg.exempt_labels.contains(l)) {
        return Vec::new();
    }
    if issue.labels.iter().any(|l| l.eq_ignore_ascii_case(&cfg.needs_review_label)) {
        return vec![Finding::info(
            RULE,
            format!("waiting for triage (`{}`); no owner yet", cfg.needs_review_label),
            format!("assign an owner when you remove `{}`", cfg.needs_review_label),
        )];
    }
    vec![Finding::error(
        RULE,
        format!("the issue is triaged (no `{}`) but has no owner", cfg.needs_review_label),
        format!("assign an owner, or add `{}` back until one is chosen", cfg.needs_review_label),
    )]
}

/// What `issue-owner` is, for `explain_rule`.
pub const ABOUT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"issue-owner"#,
    checks: r#"A triaged issue (its `needs-review` label removed) has an assignee."#,
    config: &[crate::rules::about::ConfigKey {
        key: "issues.needs_review_label",
        default: r#"needs-review"#,
    }],
    passes: r#"an issue with `needs-review` and no assignee, or with an assignee"#,
    fails: r#"an issue without `needs-review` and without an assignee"#,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Actor, SNAPSHOT_VERSION};

    #[test]
    fn table() {
        let cfg = IssuesConfig::default();
        type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str], PrState, Option<&'a str>);
        let cases: &[Case<'_>] = &[
            (
                "untriaged",
                &["phase-0", "gateway", "needs-review"],
                &[],
                PrState::Open,
                Some("waiting for triage"),
            ),
            (
                "triaged without owner",
                &["phase-0", "gateway"],
                &[],
                PrState::Open,
                Some("triaged (no `needs-review`) but has no owner"),
            ),
            ("triaged with owner", &["phase-0", "gateway"], &["bob"], PrState::Open, None),
            ("owner while in review", &["needs-review"], &["bob"], PrState::Open, None),
            ("closed", &[], &[], PrState::Closed, None),
            ("incident exempt", &["incident"], &[], PrState::Open, None),
        ];
        for (name, labels, assignees, state, want) in cases {
            let issue = IssueSnapshot {
                version: SNAPSHOT_VERSION,
                repository: "o/r".into(),
                number: 1,
                title: "t".into(),
                state: *state,
                labels: labels.iter().map(|s| s.to_string()).collect(),
                assignees: assignees.iter().map(|s| s.to_string()).collect(),
                author: Actor::user("alice"),
                body: String::new(),
            };
            let f = check(&issue, &cfg);
            assert_eq!(
                f.first().map(|f| f.message.contains(want.unwrap_or("-"))),
                want.map(|_| true),
                "{name}: {f:?}"
            );
            assert!(f.len() <= 1, "{name}");
        }
    }
}
