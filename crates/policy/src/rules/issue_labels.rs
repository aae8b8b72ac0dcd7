//! `issue-labels`: the process's step 2 — every issue carries a phase label (`phase-0`, ...),
//! exactly one service label, and `needs-review` until it is triaged (has an owner).

use globset::GlobMatcher;

use crate::snapshot::{IssueSnapshot, PrState};
use crate::{Finding, rule_id};
use plasma_config::IssuesConfig;

const RULE: &str = rule_id::ISSUE_LABELS;

/// Judge one issue's labels.
pub fn check(issue: &IssueSnapshot, cfg: &IssuesConfig, phase: &GlobMatcher) -> Vec<Finding> {
    if issue.state != PrState::Open {
        return vec![Finding::info(
            RULE,
            "the issue is closed; it is not judged",
            "reopen it to have it evaluated",
        )];
    }
    if let Some(l) = issue.labels.iter().find(|l| cfg.exempt_labels.contains(l)) {
        return vec![Finding::info(
            RULE,
            format!("the issue carries `{l}`, which is exempt from the labelling rules"),
            "remove that label if the issue should follow the normal workflow",
        )];
    }
    let mut findings = Vec::new();
    let phases: Vec<&String> = issue.labels.iter().filter(|l| phase.is_match(l.as_str())).collect();
    if phases.is_empty() {
        findings.push(Finding::error(
            RULE,
            format!("no phase label (a label matching `{}`)", cfg.phase_label),
            "add the phase the issue belongs to, e.g. `phase-0`",
        ));
    }
    let services: Vec<&String> =
        issue.labels.iter().filter(|l| cfg.service_labels.contains(l)).collect();
    match services.len() {
        1 => {}
        0 => findings.push(Finding::error(
            RULE,
            "no service label",
            format!("add exactly one of: {}", cfg.service_labels.join(", ")),
        )),
        _ => findings.push(Finding::error(
            RULE,
            format!(
                "{} service labels ({}); an issue belongs to exactly one service",
                services.len(),
                services.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
            "split the issue per service, or keep the label of the service that owns the work",
        )),
    }
    let triaged = !issue.assignees.is_empty();
    let has_needs_review = issue.labels.contains(&cfg.needs_review_label);
    if !triaged && !has_needs_review {
        findings.push(Finding::error(
            RULE,
            format!("the issue has no owner and no `{}` label", cfg.needs_review_label),
            format!("add `{}` until an owner is assigned", cfg.needs_review_label),
        ));
    }
    if !triaged {
        findings.push(Finding::warning(
            RULE,
            "no owner assigned",
            "assign an owner when the issue is triaged (process step 2)",
        ));
    }
    findings
}

/// `issue-labels`, explained (`explain_rule`).
pub const ABOUT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"issue-labels"#,
    checks: r#"An issue carries a phase label, exactly one service label, and `needs-review` until it is triaged."#,
    config: &[
        crate::rules::about::ConfigKey { key: "issues.phase_label", default: r#""phase-*""# },
        crate::rules::about::ConfigKey {
            key: "issues.service_labels",
            default: r#"[gateway, research, brain, content, agent, shared, infra, frontend]"#,
        },
        crate::rules::about::ConfigKey {
            key: "issues.needs_review_label",
            default: r#"needs-review"#,
        },
        crate::rules::about::ConfigKey { key: "issues.exempt_labels", default: r#"[incident]"# },
    ],
    passes: r#"labels `phase-1`, `gateway` on a triaged issue"#,
    fails: r#"two service labels, or no phase label"#,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Actor, SNAPSHOT_VERSION};

    fn issue(labels: &[&str], assignees: &[&str]) -> IssueSnapshot {
        IssueSnapshot {
            version: SNAPSHOT_VERSION,
            repository: "plasma-engine/plasma-engine-gateway".into(),
            number: 13,
            title: "[PE-13] Rate limiting".into(),
            state: PrState::Open,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            assignees: assignees.iter().map(|s| s.to_string()).collect(),
            author: Actor::user("alice"),
        }
    }

    #[test]
    fn table() {
        let cfg = IssuesConfig::default();
        let phase = globset::Glob::new(&cfg.phase_label).unwrap().compile_matcher();
        type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);
        let cases: &[Case<'_>] = &[
            (
                "process example, untriaged",
                &["phase-0", "gateway", "needs-review"],
                &[],
                &["no owner assigned"],
            ),
            ("triaged", &["phase-1", "brain"], &["alice"], &[]),
            ("no phase", &["gateway", "needs-review"], &["alice"], &["no phase label"]),
            ("no service", &["phase-0", "needs-review"], &["alice"], &["no service label"]),
            (
                "two services",
                &["phase-0", "gateway", "brain"],
                &["alice"],
                &["2 service labels (gateway, brain)"],
            ),
            (
                "untriaged without needs-review",
                &["phase-0", "gateway"],
                &[],
                &["no owner and no `needs-review`", "no owner assigned"],
            ),
            ("incident exempt", &["incident"], &[], &["exempt"]),
        ];
        for (name, labels, assignees, want) in cases {
            let f = check(&issue(labels, assignees), &cfg, &phase);
            let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
            assert_eq!(f.len(), want.len(), "{name}: {msgs:?}");
            for w in *want {
                assert!(msgs.iter().any(|m| m.contains(w)), "{name}: {msgs:?} lacks {w}");
            }
        }
    }
}
