//! `issue-template`: the process's step 1 — an issue is made from a standard template, and fills
//! the fields that template requires. The template is the one the issue shows most of: its
//! `### <label>` sections (GitHub writes a form's answers so), then its labels, then its title
//! prefix. A required field that is missing, empty, left at `_No response_` or at the template's
//! own text is an error; required checkboxes must be ticked.

use crate::issue_form::{IssueTemplate, TemplateKind, sections, written};
use crate::snapshot::{IssueSnapshot, PrState};
use crate::{Finding, rule_id};

const RULE: &str = rule_id::ISSUE_TEMPLATE;

/// GitHub's text for a form field left empty.
const NO_RESPONSE: &str = "_No response_";

/// Judge an issue against the repository's templates (none read: nothing to judge).
pub fn check(issue: &IssueSnapshot, templates: &[IssueTemplate]) -> Vec<Finding> {
    if issue.state != PrState::Open || templates.is_empty() {
        return Vec::new();
    }
    let body = sections(&issue.body);
    let Some(t) = best(issue, &body, templates) else {
        let names: Vec<&str> = templates.iter().map(|t| t.name.as_str()).collect();
        return vec![Finding::warning(
            RULE,
            "the issue was not made from any of the repository's issue templates",
            format!(
                "open issues from a template ({}), or copy its sections into the body",
                names.join(", ")
            ),
        )];
    };
    let mut out = Vec::new();
    for field in t.fields.iter().filter(|f| f.required) {
        let section = body.iter().find(|(h, _)| h.eq_ignore_ascii_case(&field.label));
        let Some((_, content)) = section else {
            out.push(Finding::error(
                RULE,
                format!(
                    "the required field `{}` of the template `{}` is missing",
                    field.label, t.name
                ),
                format!("add a `### {}` section and fill it", field.label),
            ));
            continue;
        };
        if !field.required_options.is_empty() {
            for option in &field.required_options {
                if !ticked(content, option) {
                    out.push(Finding::error(
                        RULE,
                        format!(
                            "`{option}` under `{}` (template `{}`) is not ticked",
                            field.label, t.name
                        ),
                        format!("tick `- [x] {option}`"),
                    ));
                }
            }
            continue;
        }
        let text = written(content);
        let untouched = t.kind == TemplateKind::Markdown
            && t.placeholders
                .iter()
                .any(|(h, p)| h.eq_ignore_ascii_case(&field.label) && written(p) == text);
        if text.is_empty() || text == NO_RESPONSE || untouched {
            out.push(Finding::error(
                RULE,
                format!(
                    "the required field `{}` of the template `{}` is empty",
                    field.label, t.name
                ),
                format!("fill the `{}` section", field.label),
            ));
        }
    }
    out
}

fn ticked(content: &str, option: &str) -> bool {
    content.lines().any(|l| {
        let l = l.trim_start();
        let rest = l.strip_prefix("- [x]").or_else(|| l.strip_prefix("- [X]"));
        rest.is_some_and(|r| r.trim() == option)
    })
}

/// The template the issue shows most of; `None` when it shows nothing of any.
fn best<'t>(
    issue: &IssueSnapshot,
    body: &[(String, String)],
    templates: &'t [IssueTemplate],
) -> Option<&'t IssueTemplate> {
    let has_label = |l: &String| issue.labels.iter().any(|x| x.eq_ignore_ascii_case(l));
    templates
        .iter()
        .map(|t| {
            let headings = t
                .fields
                .iter()
                .filter(|f| body.iter().any(|(h, _)| h.eq_ignore_ascii_case(&f.label)))
                .count();
            let labels = !t.labels.is_empty() && t.labels.iter().all(has_label);
            let title = t
                .title_prefix
                .as_deref()
                .is_some_and(|p| !p.trim().is_empty() && issue.title.starts_with(p.trim()));
            (headings * 4 + usize::from(labels) * 2 + usize::from(title), t)
        })
        .filter(|(score, _)| *score > 0)
        // The first of equals, in path order, wins: `max_by_key` keeps the last.
        .fold(None, |acc: Option<(usize, &IssueTemplate)>, (s, t)| match acc {
            Some((best, _)) if best >= s => acc,
            _ => Some((s, t)),
        })
        .map(|(_, t)| t)
}

/// What `issue-template` is, for `explain_rule`.
pub const ABOUT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"issue-template"#,
    checks: r#"An issue is made from one of the repository's issue templates and fills the fields that template requires (forms: `validations.required`; Markdown: every heading)."#,
    config: &[],
    passes: r#"a bug form's `### What happened?` section filled in"#,
    fails: r#"`### What happened?` left at `_No response_`"#,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issue_form::parse;
    use crate::snapshot::{Actor, SNAPSHOT_VERSION};

    const BUG: &str = "name: Bug report\ndescription: d\ntitle: \"[Bug]: \"\nlabels: [bug]\nbody:\n  - type: textarea\n    id: what\n    attributes:\n      label: What happened?\n    validations:\n      required: true\n  - type: input\n    id: version\n    attributes:\n      label: Version\n  - type: checkboxes\n    id: terms\n    attributes:\n      label: Code of conduct\n      options:\n        - label: I agree\n          required: true\n";
    const TASK: &str = "---\nname: Task\nabout: a task\nlabels: task\n---\n## Goal\n<!-- say what -->\nDescribe the goal.\n\n## Done when\n";

    fn templates() -> Vec<IssueTemplate> {
        vec![
            parse(".github/ISSUE_TEMPLATE/bug.yml", BUG).unwrap(),
            parse(".github/ISSUE_TEMPLATE/task.md", TASK).unwrap(),
        ]
    }

    fn issue(title: &str, body: &str, labels: &[&str]) -> IssueSnapshot {
        IssueSnapshot {
            version: SNAPSHOT_VERSION,
            repository: "o/r".into(),
            number: 1,
            title: title.into(),
            state: PrState::Open,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            assignees: vec![],
            author: Actor::user("alice"),
            body: body.into(),
        }
    }

    #[test]
    fn table() {
        let full_bug = "### What happened?\n\nIt broke\n\n### Version\n\n_No response_\n\n### Code of conduct\n\n- [X] I agree\n";
        type Case<'a> = (&'a str, &'a str, &'a str, &'a [&'a str], &'a [&'a str]);
        let cases: &[Case<'_>] = &[
            ("a complete form", "[Bug]: x", full_bug, &["bug"], &[]),
            (
                "a required field left empty",
                "[Bug]: x",
                "### What happened?\n\n_No response_\n\n### Code of conduct\n\n- [X] I agree\n",
                &[],
                &["`What happened?` of the template `Bug report` is empty"],
            ),
            (
                "a required field missing, found by label",
                "x",
                "### Code of conduct\n- [ ] I agree\n",
                &["bug"],
                &[
                    "`What happened?` of the template `Bug report` is missing",
                    "`I agree` under `Code of conduct`",
                ],
            ),
            (
                "found by title prefix",
                "[Bug]: crash",
                "it crashed",
                &[],
                &[
                    "`What happened?` of the template `Bug report` is missing",
                    "`Code of conduct` of the template `Bug report` is missing",
                ],
            ),
            (
                "a complete markdown template",
                "t",
                "## Goal\nShip it\n## Done when\n- tests\n",
                &["task"],
                &[],
            ),
            (
                "a markdown section left as the template wrote it",
                "t",
                "## Goal\n<!-- say what -->\nDescribe the goal.\n## Done when\n<!-- nothing -->\n",
                &[],
                &[
                    "`Goal` of the template `Task` is empty",
                    "`Done when` of the template `Task` is empty",
                ],
            ),
            ("no template at all", "hello", "free text", &[], &["not made from any"]),
        ];
        for (name, title, body, labels, want) in cases {
            let f = check(&issue(title, body, labels), &templates());
            let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
            assert_eq!(f.len(), want.len(), "{name}: {msgs:?}");
            for w in *want {
                assert!(msgs.iter().any(|m| m.contains(w)), "{name}: {msgs:?} lacks {w}");
            }
        }
    }

    #[test]
    fn closed_issues_and_repositories_without_templates_are_not_judged() {
        let mut i = issue("x", "", &[]);
        assert!(check(&i, &[]).is_empty());
        i.state = PrState::Closed;
        assert!(check(&i, &templates()).is_empty());
    }
}
