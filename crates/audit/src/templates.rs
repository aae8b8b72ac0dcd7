//! What `plasma-ops audit --fix` writes: a template for each missing piece of the tooling
//! checklist. Each template passes the audit itself (tested below), and a file is proposed only
//! when nothing GitHub or Renovate would read in its place exists.

use super::caller::{self, Language};
use super::{
    Checkout, adr, codeowners, coderabbit, issue_templates, pr_template, renovate, workflows,
};
use plasma_config::Config;

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// Repository-relative path.
    pub path: String,
    /// Contents.
    pub contents: String,
}

const CODEOWNERS: &str = "\
# Code owners: GitHub asks them to review every pull request that touches their paths.
# The LAST matching pattern wins, so keep the catch-all first and narrower paths below it.
# Replace the placeholder team with your architecture and domain leads (teams need write access).
*            @plasma-engine/maintainers
";

fn issue_form(name: &str, description: &str, label: &str, fields: &[(&str, &str, &str)]) -> String {
    let mut s = format!(
        "name: {name}\ndescription: {description}\ntitle: \"[PE-<n>] \"\nlabels: [\"{label}\", \"needs-review\"]\nbody:\n  - type: markdown\n    attributes:\n      value: Replace `<n>` in the title with the issue key.\n"
    );
    for (id, label, description) in fields {
        s.push_str(&format!(
            "  - type: textarea\n    id: {id}\n    attributes:\n      label: {label}\n      description: {description}\n    validations:\n      required: true\n"
        ));
    }
    s
}

fn pr_template(config: &Config) -> String {
    let mut s = String::from(
        "## Summary\n\n<!-- What changes and why; link the issue (PE-<n>) and any ADR. -->\n\n## Checklist\n\n",
    );
    for item in &config.checklist.items {
        let mut text = item.text.clone();
        if let Some(first) = text.get(..1) {
            text = format!("{}{}", first.to_uppercase(), &text[1..]);
        }
        s.push_str(&format!("- [ ] {text}\n"));
    }
    s.push_str(&format!(
        "\n## CodeRabbit\n\n<!-- CodeRabbit replaces the next line with its summary; leave it in place. Ask for a new review with `@coderabbitai review`. -->\n\n{}\n",
        pr_template::SUMMARY_PLACEHOLDER
    ));
    s
}

const RENOVATE: &str = r#"{
  "$schema": "https://docs.renovatebot.com/renovate-schema.json",
  "extends": ["config:recommended"],
  "schedule": ["before 6am on monday"],
  "timezone": "Etc/UTC",
  "packageRules": [
    {
      "description": "Minor and patch updates arrive as one weekly pull request.",
      "matchUpdateTypes": ["minor", "patch"],
      "groupName": "weekly minor and patch updates"
    }
  ]
}
"#;

const CODERABBIT: &str = "\
# yaml-language-server: $schema=https://coderabbit.ai/integrations/schema.v2.json
reviews:
  # Without this CodeRabbit never approves or requests changes, and the review loop never ends.
  request_changes_workflow: true
  high_level_summary: true
  high_level_summary_placeholder: \"@coderabbitai summary\"
  auto_review:
    enabled: true
    drafts: false
";

const ADR: &str = "\
# 1. Record architecture decisions

## Status

Accepted

## Context

We need to record the architectural decisions made on this project, and the process announces
every ADR proposal in GitHub Discussions.

## Decision

We keep numbered Architecture Decision Records in `docs/adr/`, one Markdown file per decision.

## Consequences

Each significant decision gets a file `NNNN-title.md` reviewed like code.
";

/// Every template, whether or not the repository needs it (the workflow for Python).
pub fn all(config: &Config) -> Vec<NewFile> {
    all_for(config, Language::Python)
}

/// Every template, the CI workflow calling the reusable stages for `language`.
pub fn all_for(config: &Config, language: Language) -> Vec<NewFile> {
    let f = |p: &str, c: String| NewFile { path: p.into(), contents: c };
    let dir = issue_templates::DIR;
    vec![
        f(codeowners::LOCATIONS[0], CODEOWNERS.into()),
        f(
            &format!("{dir}bug.yml"),
            issue_form(
                "Bug report",
                "Something does not work as documented.",
                "bug",
                &[
                    ("what-happened", "What happened", "What you did and what you saw."),
                    ("expected", "What you expected", "What should have happened."),
                ],
            ),
        ),
        f(
            &format!("{dir}feature.yml"),
            issue_form(
                "Feature request",
                "A capability that does not exist yet.",
                "feature",
                &[
                    ("problem", "Problem", "Who needs what, and why."),
                    ("proposal", "Proposal", "What you suggest."),
                ],
            ),
        ),
        f(
            &format!("{dir}task.yml"),
            issue_form(
                "Task",
                "A piece of planned work.",
                "task",
                &[
                    ("goal", "Goal", "What is done when this is closed."),
                    ("steps", "Steps", "The work, as a list."),
                ],
            ),
        ),
        f(
            &format!("{dir}adr-change.yml"),
            issue_form(
                "ADR change",
                "Propose or change an architecture decision (announce it in Discussions).",
                "adr",
                &[
                    ("decision", "Decision", "The ADR number and the change."),
                    ("context", "Context", "Why now; the options considered."),
                ],
            ),
        ),
        f(pr_template::LOCATIONS[0], pr_template(config)),
        f(renovate::LOCATIONS[0], RENOVATE.into()),
        f(coderabbit::LOCATIONS[0], CODERABBIT.into()),
        f(
            &format!("{}plasma-stages.yml", workflows::DIR),
            caller::caller_workflow(&config.audit, language),
        ),
        f(&format!("{}0001-record-architecture-decisions.md", adr::DIRS[0]), ADR.into()),
    ]
}

/// The templates `checkout` is missing: only where nothing equivalent exists, never an existing
/// path.
pub fn missing(checkout: &Checkout, config: &Config) -> Vec<NewFile> {
    let findings = super::audit(checkout, config);
    let has = |rule: &str| findings.iter().any(|f| f.finding.rule == rule);
    all_for(config, caller::language_of(checkout))
        .into_iter()
        .filter(|t| !checkout.has(&t.path))
        .filter(|t| {
            let p = t.path.as_str();
            if p == codeowners::LOCATIONS[0] {
                has(codeowners::MISSING)
            } else if let Some(name) =
                p.strip_prefix(issue_templates::DIR).and_then(|n| n.strip_suffix(".yml"))
            {
                findings.iter().any(|f| {
                    f.finding.rule == issue_templates::MISSING
                        && f.finding.message.contains(&format!("`{name}`"))
                })
            } else if p == pr_template::LOCATIONS[0] {
                has(pr_template::MISSING)
            } else if p == renovate::LOCATIONS[0] {
                has(renovate::MISSING)
            } else if p == coderabbit::LOCATIONS[0] {
                has(coderabbit::MISSING)
            } else if p.starts_with(workflows::DIR) {
                has(workflows::MISSING) || has(workflows::STAGE)
            } else {
                has(adr::MISSING)
            }
        })
        .collect()
}

/// `contents` as a unified diff creating `path` (what `--fix --dry-run` prints).
pub fn new_file_diff(path: &str, contents: &str) -> String {
    let lines: Vec<&str> = contents.lines().collect();
    let mut s = format!("--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@\n", lines.len());
    for l in lines {
        s.push('+');
        s.push_str(l);
        s.push('\n');
    }
    if !contents.is_empty() && !contents.ends_with('\n') {
        s.push_str("\\ No newline at end of file\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use plasma_config::Severity;

    #[test]
    fn an_empty_repository_gets_every_template_and_then_passes() {
        let config = Config::default();
        let empty = Checkout::from_files([("src/main.rs", "fn main() {}\n")]);
        let files = missing(&empty, &config);
        assert_eq!(files.len(), all(&config).len());
        let mut with: Vec<(String, String)> =
            files.into_iter().map(|f| (f.path, f.contents)).collect();
        with.push(("src/main.rs".into(), String::new()));
        let fixed = Checkout::from_files(with);
        let errors: Vec<_> = super::super::audit(&fixed, &config)
            .into_iter()
            .filter(|f| f.finding.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(missing(&fixed, &config).is_empty());
    }

    #[test]
    fn existing_equivalents_are_respected() {
        let config = Config::default();
        let c = Checkout::from_files([
            ("CODEOWNERS", "* @a\n"),
            (".github/ISSUE_TEMPLATE/bug_report.md", "---\nname: b\nabout: c\n---\n"),
        ]);
        let paths: Vec<String> = missing(&c, &config).into_iter().map(|f| f.path).collect();
        assert!(!paths.contains(&".github/CODEOWNERS".to_string()));
        assert!(!paths.contains(&".github/ISSUE_TEMPLATE/bug.yml".to_string()));
        assert!(paths.contains(&".github/ISSUE_TEMPLATE/task.yml".to_string()));
    }

    #[test]
    fn diff_shape() {
        assert_eq!(
            new_file_diff("a/b", "x\ny\n"),
            "--- /dev/null\n+++ b/a/b\n@@ -0,0 +1,2 @@\n+x\n+y\n"
        );
        assert!(new_file_diff("a", "x").ends_with("\\ No newline at end of file\n"));
    }
}
