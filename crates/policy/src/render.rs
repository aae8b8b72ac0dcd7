//! The Markdown summary: the body of plasma-ops's one sticky comment and of `GITHUB_STEP_SUMMARY`.
//!
//! Deterministic (no clock, no version, sorted input), escaped for tables, and never longer than
//! GitHub's 65,536-character comment limit.

use std::fmt::Write as _;

use crate::policy::Policy;
use crate::rules::checks::short_sha;
use crate::snapshot::{PrSnapshot, PrState};
use crate::verdict::{IssueVerdict, Verdict};
use crate::{Finding, Severity};

/// Hidden marker by which the service finds its own comment again.
pub const SUMMARY_MARKER: &str = "<!-- plasma-ops:summary -->";
/// GitHub's limit on a comment body, in characters.
pub const COMMENT_LIMIT: usize = 65_536;
/// File rows shown in the agent table.
pub const MAX_FILE_ROWS: usize = 50;
/// Open review thread rows shown.
pub const MAX_THREAD_ROWS: usize = 50;
/// Characters of one table cell before it is cut.
const MAX_CELL: usize = 400;

/// Escape text for a Markdown table cell: pipes, line breaks, and length.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_CELL + 8));
    for (n, ch) in text.chars().enumerate() {
        if n == MAX_CELL {
            out.push('…');
            break;
        }
        match ch {
            '|' => out.push_str("\\|"),
            '\r' => {}
            '\n' => out.push(' '),
            '<' => out.push_str("&lt;"),
            c => out.push(c),
        }
    }
    out
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "❌",
        Severity::Warning => "⚠️",
        Severity::Info => "ℹ️",
    }
}

/// Render the summary of a verdict.
pub fn summary(pr: &PrSnapshot, v: &Verdict, policy: &Policy) -> String {
    // Shrink the tables until the body fits; the counts stay exact.
    for (findings, files) in [(usize::MAX, MAX_FILE_ROWS), (200, 20), (50, 0), (10, 0)] {
        let s = render(pr, v, policy, findings, files);
        if s.chars().count() <= COMMENT_LIMIT {
            return s;
        }
    }
    let mut s: String = render(pr, v, policy, 0, 0).chars().take(COMMENT_LIMIT - 100).collect();
    s.push_str("\n\n_(summary cut to fit GitHub's comment limit)_\n");
    s
}

fn render(
    pr: &PrSnapshot,
    v: &Verdict,
    policy: &Policy,
    max_findings: usize,
    max_files: usize,
) -> String {
    let mut s = String::new();
    let blockers = v.blockers().count();
    let warnings = v.warnings().count();
    let _ = writeln!(s, "{SUMMARY_MARKER}");
    let headline = if pr.state == PrState::Closed {
        "⏹️ closed — not judged".to_string()
    } else if v.ready {
        "✅ ready to merge".to_string()
    } else if v.ok {
        "⏳ no blockers found, but not ready yet".to_string()
    } else {
        format!("❌ not ready — {blockers} blocker(s)")
    };
    let _ = writeln!(s, "### plasma-ops: {headline}\n");
    let _ = writeln!(
        s,
        "**{}** · `{}` → `{}` · head `{}`\n",
        cell(&pr.title),
        cell(&pr.head.name),
        cell(&pr.base.name),
        short_sha(&pr.head.sha)
    );
    if let Some(bot) = &v.dependency_bot {
        let rules: Vec<String> = bot.exempt_rules.iter().map(|r| format!("`{r}`")).collect();
        let _ = writeln!(
            s,
            "ℹ️ Opened by dependency bot `{}` (`dependency_bots.logins`): {} do not apply; the required checks, CodeRabbit and a human approval still do.\n",
            cell(&bot.login),
            rules.join(", ")
        );
    }
    let labels = &policy.config().labels.status;
    let loop_line = match v.review.state {
        Some(st) => format!("`{}`", st.label(labels)),
        None => "unknown (no reviews in the input)".into(),
    };
    let _ = writeln!(s, "CodeRabbit loop: {loop_line} · re-review: {}\n", cell(&rereview_text(v)));

    let shown: Vec<&Finding> = v.findings.iter().take(max_findings).collect();
    if v.findings.is_empty() {
        let _ = writeln!(s, "No findings: every rule passed.\n");
    } else {
        let _ = writeln!(s, "**{blockers}** blocker(s), **{warnings}** warning(s)\n");
        let _ = writeln!(s, "| | Rule | Finding | Fix |\n|---|---|---|---|");
        for f in &shown {
            let _ = writeln!(
                s,
                "| {} | `{}` | {} | {} |",
                icon(f.severity),
                f.rule,
                cell(&f.message),
                cell(&f.hint)
            );
        }
        if shown.len() < v.findings.len() {
            let _ = writeln!(
                s,
                "\n_…and {} more finding(s), not shown._",
                v.findings.len() - shown.len()
            );
        }
        s.push('\n');
    }

    if !v.review.open_threads.is_empty() {
        threads_section(&mut s, v, max_findings.min(MAX_THREAD_ROWS));
    }

    if let Some(d) = &v.dispatch {
        let when = if v.dispatch_applies {
            "applied"
        } else {
            "not applied now (`dispatch.when`: only while CodeRabbit asks for a fix)"
        };
        let _ = writeln!(s, "#### Agent dispatch — {when}\n");
        let _ = writeln!(s, "| Label | Files |\n|---|---|");
        for (label, count) in &d.counts {
            let _ = writeln!(s, "| `{}` | {count} |", cell(label));
        }
        if max_files > 0 && !d.files.is_empty() {
            let _ = writeln!(s, "\n<details><summary>{} file(s)</summary>\n", d.files.len());
            let _ = writeln!(s, "| File | Labels | Rule |\n|---|---|---|");
            for f in d.files.iter().take(max_files) {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {} |",
                    cell(&f.path),
                    cell(&f.labels.join(", ")),
                    cell(&f.rule)
                );
            }
            if d.files.len() > max_files {
                let _ = writeln!(s, "\n_…and {} more file(s)._", d.files.len() - max_files);
            }
            let _ = writeln!(s, "\n</details>");
        }
        s.push('\n');
    }
    match &v.desired_labels {
        Some(l) if !l.is_empty() => {
            let list: Vec<String> = l.iter().map(|x| format!("`{}`", cell(x))).collect();
            let _ = writeln!(s, "Labels wanted: {}", list.join(" "));
        }
        Some(_) => {
            let _ = writeln!(s, "Labels wanted: none of plasma-ops's own");
        }
        None => {
            let _ = writeln!(s, "Labels: left as they are");
        }
    }
    s
}

/// CodeRabbit's open threads, each with its place and link, and what to do about them.
fn threads_section(s: &mut String, v: &Verdict, max_rows: usize) {
    let threads = &v.review.open_threads;
    let _ = writeln!(s, "#### Open CodeRabbit review threads ({})\n", threads.len());
    let _ = writeln!(s, "Fix: {}.\n", crate::rules::review_loop::THREAD_FIX);
    let _ = writeln!(s, "| File | Line | Thread |\n|---|---|---|");
    for t in threads.iter().take(max_rows) {
        let line = match (t.line, t.outdated) {
            (Some(l), false) => l.to_string(),
            (Some(l), true) => format!("{l} (outdated)"),
            (None, _) => "file".to_string(),
        };
        // A link GitHub did not give us as https is shown as text, never as a link.
        let link = if t.url.starts_with("https://") && !t.url.contains([')', ' ', '<']) {
            format!("[open]({})", t.url)
        } else {
            cell(&t.url)
        };
        let _ = writeln!(s, "| `{}` | {} | {} |", cell(&t.path).replace('`', "'"), line, link);
    }
    if threads.len() > max_rows {
        let _ = writeln!(s, "\n_…and {} more thread(s)._", threads.len() - max_rows);
    }
    s.push('\n');
}

fn rereview_text(v: &Verdict) -> String {
    // Stable across applying the plan: posting the request must not change the summary.
    if v.review.rereview.requested_for_head && v.review.rereview.after_review {
        format!(
            "requested again for `{}` after CodeRabbit's review",
            short_sha(&v.review.rereview.sha)
        )
    } else if v.review.rereview.requested_for_head {
        format!("requested for `{}`", short_sha(&v.review.rereview.sha))
    } else {
        format!("not requested ({})", v.review.rereview.reason)
    }
}

/// The sticky comment of an issue: its label findings.
pub fn issue_summary(v: &IssueVerdict) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{SUMMARY_MARKER}");
    if v.findings.iter().all(|f| f.severity == Severity::Info) {
        let _ = writeln!(s, "### plasma-ops: ✅ the issue is labelled as the process asks");
        return s;
    }
    let _ = writeln!(s, "### plasma-ops: the issue's labels need attention\n");
    let _ = writeln!(s, "| | Rule | Finding | Fix |\n|---|---|---|---|");
    for f in v.findings.iter().take(100) {
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {} |",
            icon(f.severity),
            f.rule,
            cell(&f.message),
            cell(&f.hint)
        );
    }
    s
}

/// The sticky comment shown when the repository's configuration cannot be used.
pub fn config_error_summary(message: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{SUMMARY_MARKER}");
    let _ = writeln!(s, "### plasma-ops: ❌ the configuration cannot be used\n");
    let _ = writeln!(
        s,
        "The pull request was not judged because `.github/plasma.yml` (read from the base branch, or the organisation's `.github` repository) has errors:\n"
    );
    let body: String = message.chars().take(10_000).collect();
    // A fence inside the message must not end our code block early.
    let _ = writeln!(s, "```text\n{}\n```\n", body.replace("```", "'''"));
    let _ = writeln!(
        s,
        "Fix the file on the base branch; `plasma-ops config validate FILE` shows the same errors locally."
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{ReviewState, ReviewThread};
    use crate::test_support::{HEAD, pr, review};

    #[test]
    fn open_threads_are_listed_with_place_link_and_fix() {
        let mut p = pr();
        p.files = Some(vec![]);
        p.reviews = Some(vec![review(
            7,
            "coderabbitai[bot]",
            ReviewState::Commented,
            HEAD,
            "2026-01-02T00:00:00Z",
        )]);
        let t = |path: &str, line: Option<u64>, n: u32, url: &str| ReviewThread {
            id: format!("PRRT_{n}"),
            author: "coderabbitai".into(),
            resolved: false,
            outdated: false,
            path: path.into(),
            line,
            url: url.into(),
        };
        p.review_threads = Some(vec![
            t("src/b|c.py", Some(4), 2, "javascript:alert(1)"),
            t("src/a.py", Some(12), 1, "https://github.com/o/r/pull/12#discussion_r1"),
            t("README.md", None, 3, "https://github.com/o/r/pull/12#discussion_r3"),
        ]);
        let policy = Policy::process_default().unwrap_or_else(|e| panic!("{e:?}"));
        let v = crate::evaluate(&p, &policy);
        let start = v.summary.find("#### Open CodeRabbit").unwrap_or(0);
        let end = v.summary[start..].find("\n\n|").map_or(v.summary.len(), |i| {
            start + i + v.summary[start + i + 2..].find("\n\n").unwrap_or(0) + 3
        });
        insta::assert_snapshot!(&v.summary[start..end]);
    }
}
