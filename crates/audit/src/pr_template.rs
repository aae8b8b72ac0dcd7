//! The pull request template: in one of GitHub's locations, holding a task for every checklist
//! item the policy requires (matched exactly as the `checklist` rule matches a body) and a
//! section where CodeRabbit writes its summary.

use super::Checkout;
use plasma_config::ChecklistConfig;
use plasma_config::report::RepoFinding;
use plasma_policy::rules::checklist::{matches, parse_tasks};

/// GitHub's single-template locations (matched case-insensitively), in its order.
pub const LOCATIONS: [&str; 3] = [
    ".github/pull_request_template.md",
    "pull_request_template.md",
    "docs/pull_request_template.md",
];
/// GitHub's multiple-template directories.
const DIRS: [&str; 3] =
    [".github/pull_request_template/", "pull_request_template/", "docs/pull_request_template/"];

/// No template.
pub const MISSING: &str = "pr-template-missing";
/// A checklist item is missing.
pub const CHECKLIST: &str = "pr-template-checklist";
/// No CodeRabbit summary section.
pub const CODERABBIT: &str = "pr-template-coderabbit";

/// CodeRabbit replaces this placeholder with its summary (its `high_level_summary_placeholder`).
pub const SUMMARY_PLACEHOLDER: &str = "@coderabbitai summary";

/// Whether the audit reads `path`.
pub fn wanted(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    LOCATIONS.contains(&lower.as_str())
        || DIRS.iter().any(|d| {
            lower.strip_prefix(d).is_some_and(|rest| !rest.contains('/') && rest.ends_with(".md"))
        })
}

/// The templates GitHub would use: the first single template, else every directory template.
pub fn templates(checkout: &Checkout) -> Vec<&str> {
    for loc in LOCATIONS {
        if let Some(p) = checkout.paths.iter().find(|p| p.to_ascii_lowercase() == loc) {
            return vec![p.as_str()];
        }
    }
    checkout.paths.iter().filter(|p| wanted(p)).map(String::as_str).collect()
}

/// All pull request template findings.
pub fn check(checkout: &Checkout, checklist: &ChecklistConfig) -> Vec<RepoFinding> {
    let found = templates(checkout);
    if found.is_empty() {
        return vec![RepoFinding::error(
            MISSING,
            "No pull request template, so pull requests start without the process's checklist or a place for CodeRabbit's summary.",
            "Add `.github/pull_request_template.md` (`plasma-ops audit --fix` writes one from the configured checklist).",
        )];
    }
    found
        .into_iter()
        .filter_map(|p| checkout.text(p).map(|t| check_text(p, t, checklist)))
        .flatten()
        .collect()
}

/// Findings for one template's text.
pub fn check_text(path: &str, text: &str, checklist: &ChecklistConfig) -> Vec<RepoFinding> {
    let tasks = parse_tasks(text);
    let mut out = Vec::new();
    for item in &checklist.items {
        let hit = tasks.iter().any(|t| {
            std::iter::once(&item.text).chain(&item.aliases).any(|phrase| matches(phrase, &t.text))
        });
        if !hit {
            out.push(
                RepoFinding::error(
                    CHECKLIST,
                    format!("The template has no task for the checklist item \"{}\" (`{}`), so authors must remember to add it.", item.text, item.id),
                    format!("Add the line `- [ ] {}` to the template's checklist.", item.text),
                )
                .at(path),
            );
        }
    }
    let has_section = text.contains(SUMMARY_PLACEHOLDER)
        || text.lines().any(|l| {
            l.trim_start().starts_with('#') && l.to_ascii_lowercase().contains("coderabbit")
        });
    if !has_section {
        out.push(
            RepoFinding::error(
                CODERABBIT,
                "The template has no section for CodeRabbit's summary.",
                format!("Add a `## CodeRabbit` heading with the line `{SUMMARY_PLACEHOLDER}`, which CodeRabbit replaces with its summary."),
            )
            .at(path),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cfg = ChecklistConfig::default();
        let full = "## Checklist\n- [ ] Tests run\n- [ ] Lint passes\n- [ ] Docs updated\n- [ ] ADR impact\n\n## CodeRabbit\n@coderabbitai summary\n";
        for (text, expect) in [
            (full, vec![]),
            (
                "- [ ] Tests run\n- [ ] Lint pass\n- [ ] Docs updated\n- [ ] ADR impact\n## Summary by CodeRabbit\n",
                vec![],
            ),
            (
                "- [ ] Tests run\n- [ ] Docs updated\n@coderabbitai summary\n",
                vec![CHECKLIST, CHECKLIST],
            ),
            (
                "<!-- - [ ] Tests run -->\n- [ ] Lint pass\n- [ ] Docs updated\n- [ ] ADR impact\n",
                vec![CHECKLIST, CODERABBIT],
            ),
        ] {
            let got: Vec<_> =
                check_text("t.md", text, &cfg).into_iter().map(|f| f.finding.rule).collect();
            assert_eq!(got, expect, "{text}");
        }
    }

    #[test]
    fn locations() {
        let cfg = ChecklistConfig::default();
        assert_eq!(check(&Checkout::from_files([("a", "")]), &cfg)[0].finding.rule, MISSING);
        let c = Checkout::from_files([(".github/PULL_REQUEST_TEMPLATE.md", "x")]);
        assert_eq!(templates(&c), vec![".github/PULL_REQUEST_TEMPLATE.md"]);
        let c = Checkout::from_files([
            (".github/PULL_REQUEST_TEMPLATE/a.md", "x"),
            (".github/PULL_REQUEST_TEMPLATE/b.md", "y"),
        ]);
        assert_eq!(templates(&c).len(), 2);
    }
}
