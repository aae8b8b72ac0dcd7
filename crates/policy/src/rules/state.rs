//! `state`, `draft` and `base-branch`: what kind of pull request this is before any other rule
//! matters, so that drafts and closed pull requests are never judged like open ones.

use globset::GlobSet;

use crate::snapshot::{PrSnapshot, PrState};
use crate::{Finding, rule_id};

/// Closed pull requests are reported, not judged.
pub fn closed(pr: &PrSnapshot) -> Vec<Finding> {
    if pr.state == PrState::Open {
        return vec![];
    }
    let what = if pr.merged { "merged" } else { "closed" };
    vec![Finding::info(
        rule_id::STATE,
        format!("the pull request is {what}; it is not judged and its labels are left alone"),
        "reopen it to have it evaluated again",
    )]
}

/// A draft is never ready.
pub fn draft(pr: &PrSnapshot) -> Vec<Finding> {
    if !pr.draft || pr.state != PrState::Open {
        return vec![];
    }
    vec![Finding::error(
        rule_id::DRAFT,
        "the pull request is a draft",
        "mark it \"Ready for review\" when the work is complete",
    )]
}

/// The base branch must be one of the allowed globs (`main`, `release/*`).
pub fn base(pr: &PrSnapshot, allowed: &GlobSet, allowed_text: &[String]) -> Vec<Finding> {
    if allowed.is_match(&pr.base.name) {
        return vec![];
    }
    vec![Finding::error(
        rule_id::BASE_BRANCH,
        format!(
            "base branch `{}` is not allowed; pull requests target {}",
            pr.base.name,
            allowed_text.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(" or ")
        ),
        "change the base branch with \"Edit\" next to the title, or `gh pr edit --base main`",
    )]
}

/// `draft`, explained (`explain_rule`).
pub const ABOUT_DRAFT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"draft"#,
    checks: r#"A draft pull request is never ready to merge."#,
    config: &[],
    passes: r#"the pull request is marked ready for review"#,
    fails: r#"the pull request is a draft"#,
};

/// `state`, explained (`explain_rule`).
pub const ABOUT_STATE: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"state"#,
    checks: r#"Closed or merged pull requests are not judged."#,
    config: &[],
    passes: r#"the pull request is open"#,
    fails: r#"the pull request is closed: nothing is judged"#,
};

/// `base-branch`, explained (`explain_rule`).
pub const ABOUT_BASE: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"base-branch"#,
    checks: r#"The pull request targets an allowed base branch."#,
    config: &[crate::rules::about::ConfigKey {
        key: "base_branches.allowed",
        default: r#"[main, "release/*"]"#,
    }],
    passes: r#"base branch `main` or `release/1.4`"#,
    fails: r#"base branch `develop`"#,
};
