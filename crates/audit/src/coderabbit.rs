//! `.coderabbit.yaml`: present, valid YAML, checked against the keys of CodeRabbit's published
//! schema (`https://coderabbit.ai/integrations/schema.v2.json`) that we could verify in its
//! documentation, and `reviews.request_changes_workflow: true`. Unknown keys are warnings (the
//! schema grows; CodeRabbit ignores what it does not know) with a did-you-mean.

use yaml_serde::Value;

use super::{Checkout, did_you_mean, line_of, place, yaml_error};
use plasma_config::report::RepoFinding;

/// The file names CodeRabbit reads.
pub const LOCATIONS: [&str; 2] = [".coderabbit.yaml", ".coderabbit.yml"];

/// No configuration.
pub const MISSING: &str = "coderabbit-config-missing";
/// Not YAML, or a known key with the wrong type.
pub const INVALID: &str = "coderabbit-config-invalid";
/// A key the schema does not have.
pub const UNKNOWN_KEY: &str = "coderabbit-config-unknown-key";
/// The request-changes workflow is off.
pub const REQUEST_CHANGES: &str = "coderabbit-request-changes";

const TOP: [&str; 10] = [
    "language",
    "tone_instructions",
    "early_access",
    "enable_free_tier",
    "inheritance",
    "reviews",
    "chat",
    "knowledge_base",
    "code_generation",
    "issue_enrichment",
];
const REVIEWS: [&str; 35] = [
    "profile",
    "request_changes_workflow",
    "high_level_summary",
    "high_level_summary_placeholder",
    "high_level_summary_in_walkthrough",
    "auto_title_placeholder",
    "auto_title_instructions",
    "review_status",
    "commit_status",
    "fail_commit_status",
    "collapse_walkthrough",
    "changed_files_summary",
    "sequence_diagrams",
    "estimate_code_review_effort",
    "assess_linked_issues",
    "related_issues",
    "related_prs",
    "suggested_labels",
    "auto_apply_labels",
    "suggested_reviewers",
    "auto_assign_reviewers",
    "in_progress_fortune",
    "poem",
    "labeling_instructions",
    "path_filters",
    "path_instructions",
    "abort_on_close",
    "disable_cache",
    "auto_review",
    "finishing_touches",
    "pre_merge_checks",
    "tools",
    "review_details",
    "enable_prompt_for_ai_agents",
    "slop_detection",
];
const REVIEWS_BOOL: [&str; 22] = [
    "request_changes_workflow",
    "high_level_summary",
    "high_level_summary_in_walkthrough",
    "review_status",
    "commit_status",
    "fail_commit_status",
    "collapse_walkthrough",
    "changed_files_summary",
    "sequence_diagrams",
    "estimate_code_review_effort",
    "assess_linked_issues",
    "related_issues",
    "related_prs",
    "suggested_labels",
    "auto_apply_labels",
    "suggested_reviewers",
    "auto_assign_reviewers",
    "in_progress_fortune",
    "poem",
    "abort_on_close",
    "disable_cache",
    "review_details",
];
const AUTO_REVIEW: [&str; 8] = [
    "enabled",
    "auto_incremental_review",
    "auto_pause_after_reviewed_commits",
    "ignore_title_keywords",
    "labels",
    "drafts",
    "base_branches",
    "ignore_usernames",
];
const CHAT: [&str; 4] = ["auto_reply", "art", "integrations", "allow_non_org_members"];

/// All CodeRabbit configuration findings.
pub fn check(checkout: &Checkout) -> Vec<RepoFinding> {
    let Some(path) = LOCATIONS.iter().copied().find(|p| checkout.has(p)) else {
        return vec![RepoFinding::error(
            MISSING,
            "No `.coderabbit.yaml`: CodeRabbit runs with its defaults, which never approve or request changes, so the review loop can never finish.",
            "Add `.coderabbit.yaml` with `reviews: { request_changes_workflow: true }` (`plasma-ops audit --fix` writes one).",
        )];
    };
    let Some(text) = checkout.text(path) else { return vec![] };
    check_text(path, text)
}

/// Findings for one configuration text.
pub fn check_text(path: &str, text: &str) -> Vec<RepoFinding> {
    let v: Value = match yaml_serde::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let (loc, msg) = yaml_error(&e);
            return vec![place(RepoFinding::error(INVALID, format!("Not valid YAML: {msg}."), "Fix the YAML here; CodeRabbit falls back to its defaults when it cannot read the file.").at(path), loc)];
        }
    };
    let mut out = Vec::new();
    let at = |key: &str, f: RepoFinding| match line_of(text, 1, &format!("{key}:")) {
        Some(l) => f.at(path).line(l),
        None => f.at(path),
    };
    unknown_keys(&v, "", &TOP, &mut out, &at);
    let reviews = v.get("reviews");
    if let Some(r) = reviews {
        unknown_keys(r, "reviews.", &REVIEWS, &mut out, &at);
        for key in REVIEWS_BOOL {
            if let Some(val) = r.get(key).filter(|v| !v.is_bool()) {
                out.push(at(
                    key,
                    RepoFinding::error(
                        INVALID,
                        format!("`reviews.{key}` is `{}`, not true or false.", show(val)),
                        format!("Write `{key}: true` or `{key}: false`."),
                    ),
                ));
            }
        }
        if let Some(p) = r.get("profile")
            && !matches!(p.as_str(), Some("chill" | "assertive"))
        {
            out.push(at(
                "profile",
                RepoFinding::error(
                    INVALID,
                    format!(
                        "`reviews.profile` is `{}`; CodeRabbit accepts `chill` or `assertive`.",
                        show(p)
                    ),
                    "Write `profile: chill` or `profile: assertive`.",
                ),
            ));
        }
        if let Some(a) = r.get("auto_review") {
            unknown_keys(a, "reviews.auto_review.", &AUTO_REVIEW, &mut out, &at);
        }
    }
    if let Some(c) = v.get("chat") {
        unknown_keys(c, "chat.", &CHAT, &mut out, &at);
    }
    let rcw = reviews.and_then(|r| r.get("request_changes_workflow"));
    if rcw.and_then(Value::as_bool) != Some(true) {
        let now = rcw.map_or("unset (default false)".to_string(), |v| format!("`{}`", show(v)));
        out.push(at("request_changes_workflow", RepoFinding::error(
            REQUEST_CHANGES,
            format!("`reviews.request_changes_workflow` is {now}: without it CodeRabbit only comments, never approves or requests changes, so the review loop (CodeRabbit review plus one human approval) can never finish."),
            "Set `request_changes_workflow: true` under `reviews:` so CodeRabbit requests changes on findings and approves once they are resolved.",
        )));
    }
    out
}

fn show(v: &Value) -> String {
    yaml_serde::to_string(v).map(|s| s.trim().to_string()).unwrap_or_default()
}

fn unknown_keys(
    v: &Value,
    prefix: &str,
    known: &[&str],
    out: &mut Vec<RepoFinding>,
    at: &dyn Fn(&str, RepoFinding) -> RepoFinding,
) {
    let Some(map) = v.as_mapping() else {
        if !v.is_null() {
            out.push(at(
                prefix.trim_end_matches('.'),
                RepoFinding::error(
                    INVALID,
                    format!(
                        "`{}` must be a mapping.",
                        if prefix.is_empty() { "the file" } else { prefix.trim_end_matches('.') }
                    ),
                    "Write it as `key: value` lines.",
                ),
            ));
        }
        return;
    };
    for k in map.keys() {
        let key = k.as_str().unwrap_or("");
        if key.is_empty() || known.contains(&key) {
            continue;
        }
        let hint = match did_you_mean(key, known) {
            Some(s) => format!("Did you mean `{prefix}{s}`? CodeRabbit ignores keys its schema does not have."),
            None => "Check the key against https://coderabbit.ai/integrations/schema.v2.json; CodeRabbit ignores keys its schema does not have.".into(),
        };
        out.push(at(
            key,
            RepoFinding::warning(
                UNKNOWN_KEY,
                format!("`{prefix}{key}` is not a CodeRabbit configuration key."),
                hint,
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for (text, expect) in [
            ("reviews:\n  request_changes_workflow: true\n", vec![]),
            (
                "language: en-US\nreviews:\n  profile: chill\n  request_changes_workflow: true\n  auto_review:\n    enabled: true\n    drafts: false\nchat:\n  auto_reply: true\n",
                vec![],
            ),
            ("reviews:\n  request_changes_workflow: false\n", vec![(REQUEST_CHANGES, Some(2))]),
            ("language: en\n", vec![(REQUEST_CHANGES, None)]),
            (
                "reviews:\n  request_change_workflow: true\n",
                vec![(UNKNOWN_KEY, Some(2)), (REQUEST_CHANGES, None)],
            ),
            (
                "reviews:\n  request_changes_workflow: 'yes'\n",
                vec![(INVALID, Some(2)), (REQUEST_CHANGES, Some(2))],
            ),
            (
                "reviews:\n  profile: loud\n  request_changes_workflow: true\n",
                vec![(INVALID, Some(2))],
            ),
            ("reviews: [\n", vec![(INVALID, Some(2))]),
            (
                "review:\n  request_changes_workflow: true\n",
                vec![(UNKNOWN_KEY, Some(1)), (REQUEST_CHANGES, Some(2))],
            ),
        ] {
            let got: Vec<_> = check_text(".coderabbit.yaml", text)
                .into_iter()
                .map(|f| (f.finding.rule, f.location.line))
                .collect();
            let expect: Vec<_> = expect.into_iter().map(|(r, l)| (r.to_string(), l)).collect();
            assert_eq!(got, expect, "{text}");
        }
    }

    #[test]
    fn did_you_mean_and_the_loop_explanation() {
        let f = check_text("c.yml", "reviews:\n  request_change_workflow: true\n");
        assert!(
            f[0].finding.hint.contains("`reviews.request_changes_workflow`"),
            "{}",
            f[0].finding.hint
        );
        assert!(f[1].finding.message.contains("can never finish"));
        assert_eq!(check(&Checkout::default())[0].finding.rule, MISSING);
    }
}
