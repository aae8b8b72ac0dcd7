//! CodeRabbit's review threads as the review loop reads them: which open threads still ask for a
//! fix (configuration `coderabbit.threads`), and which pre-merge checks CodeRabbit's review says
//! failed. Used by [`crate::rules::review_loop`] once CodeRabbit has reviewed the head commit
//! without approving it: then an open thread means "fix", and none means "ask for a new review".

use serde::Serialize;

use crate::snapshot::ReviewThread;
use plasma_config::CodeRabbitConfig;

/// GitHub's REST API names an App's account `<slug>[bot]`; GraphQL names it `<slug>`.
const BOT_SUFFIX: &str = "[bot]";
/// Pre-merge checks named at most (a review body is untrusted input).
const MAX_CHECKS: usize = 20;
/// Characters of one check name kept.
const MAX_CHECK_NAME: usize = 100;

/// An open thread that asks for a fix, as shown in the summary and the JSON verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenThread {
    /// File the thread is on.
    pub path: String,
    /// Line, when the thread is on one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Link to the thread.
    pub url: String,
    /// Whether GitHub marks it outdated (counted only with `count_outdated: true`).
    pub outdated: bool,
}

/// Which threads count: by author and, unless configured otherwise, not outdated.
#[derive(Debug, Clone)]
pub struct ThreadFilter {
    authors: Vec<String>,
    count_outdated: bool,
}

impl ThreadFilter {
    /// From the `coderabbit` section: `threads.authors`, or else CodeRabbit's logins without
    /// REST's `[bot]` suffix (`coderabbitai[bot]` and `coderabbitai` both give `coderabbitai`).
    pub fn new(cfg: &CodeRabbitConfig) -> Self {
        let source: Vec<&String> = if cfg.threads.authors.is_empty() {
            cfg.logins.iter().chain(&cfg.extra_logins).collect()
        } else {
            cfg.threads.authors.iter().collect()
        };
        let mut authors: Vec<String> = source
            .into_iter()
            .map(|l| l.trim().to_ascii_lowercase())
            .map(|l| l.strip_suffix(BOT_SUFFIX).map(str::to_string).unwrap_or(l))
            .filter(|l| !l.is_empty())
            .collect();
        authors.sort();
        authors.dedup();
        ThreadFilter { authors, count_outdated: cfg.threads.count_outdated }
    }

    /// Whether this thread holds the pull request on a fix: open, by a counted author, and not
    /// outdated (unless outdated threads count).
    pub fn counts(&self, t: &ReviewThread) -> bool {
        let author = t.author.to_ascii_lowercase();
        let author = author.strip_suffix(BOT_SUFFIX).unwrap_or(&author);
        !t.resolved
            && (self.count_outdated || !t.outdated)
            && self.authors.iter().any(|a| a == author)
    }

    /// The threads that count, sorted by path, line and link so the summary is stable.
    pub fn open(&self, threads: &[ReviewThread]) -> Vec<OpenThread> {
        let mut open: Vec<OpenThread> = threads
            .iter()
            .filter(|t| self.counts(t))
            .map(|t| OpenThread {
                path: t.path.clone(),
                line: t.line,
                url: t.url.clone(),
                outdated: t.outdated,
            })
            .collect();
        open.sort_by(|a, b| (&a.path, a.line, &a.url).cmp(&(&b.path, b.line, &b.url)));
        open
    }
}

/// The pre-merge checks CodeRabbit lists as failed in a review body: the first cell of each
/// table row under a "Failed checks" heading, up to the next "Passed checks" heading or the end
/// of the `<details>` block. CodeRabbit writes them as
///
/// ```text
/// <summary>❌ Failed checks (1 warning)</summary>
///
/// | Check name | Status | Explanation | Resolution |
/// | :---: | :---: | :--- | :--- |
/// | Docstring Coverage | ⚠️ Warning | ... | ... |
/// ```
pub fn failed_pre_merge_checks(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in body.lines() {
        let lower = line.to_ascii_lowercase();
        if lower.contains("failed checks") {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if lower.contains("passed checks")
            || lower.contains("inconclusive checks")
            || lower.contains("</details>")
        {
            inside = false;
            continue;
        }
        let Some(row) = line.trim().strip_prefix('|') else { continue };
        let Some(first) = row.split('|').next().map(str::trim) else { continue };
        let is_separator = !first.is_empty() && first.chars().all(|c| matches!(c, ':' | '-' | ' '));
        if first.is_empty() || is_separator || first.eq_ignore_ascii_case("check name") {
            continue;
        }
        let name: String = first.chars().take(MAX_CHECK_NAME).collect();
        if !out.contains(&name) {
            out.push(name);
        }
        if out.len() == MAX_CHECKS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use plasma_config::ReviewThreadsConfig;

    fn thread(author: &str, resolved: bool, outdated: bool, path: &str, line: u64) -> ReviewThread {
        ReviewThread {
            id: format!("PRRT_{path}{line}"),
            author: author.into(),
            resolved,
            outdated,
            path: path.into(),
            line: Some(line),
            url: format!("https://github.com/o/r/pull/1#discussion_r{line}"),
        }
    }

    #[test]
    fn which_threads_count() {
        let default = CodeRabbitConfig::default();
        let outdated_too = CodeRabbitConfig {
            threads: ReviewThreadsConfig { count_outdated: true, authors: vec![] },
            ..Default::default()
        };
        let alice_only = CodeRabbitConfig {
            threads: ReviewThreadsConfig { count_outdated: false, authors: vec!["Alice".into()] },
            ..Default::default()
        };
        let ghes = CodeRabbitConfig {
            extra_logins: vec!["rabbit-ghes[bot]".into()],
            ..Default::default()
        };
        let cases: Vec<(&str, &CodeRabbitConfig, ReviewThread, bool)> = vec![
            ("open, CodeRabbit", &default, thread("coderabbitai", false, false, "a", 1), true),
            (
                "GraphQL names bots without [bot]",
                &default,
                thread("CodeRabbitAI", false, false, "a", 1),
                true,
            ),
            (
                "a REST-style login still matches",
                &default,
                thread("coderabbitai[bot]", false, false, "a", 1),
                true,
            ),
            ("resolved", &default, thread("coderabbitai", true, false, "a", 1), false),
            ("outdated, by default", &default, thread("coderabbitai", false, true, "a", 1), false),
            ("outdated, counted", &outdated_too, thread("coderabbitai", false, true, "a", 1), true),
            (
                "resolved and outdated, counted",
                &outdated_too,
                thread("coderabbitai", true, true, "a", 1),
                false,
            ),
            ("a human's thread", &default, thread("alice", false, false, "a", 1), false),
            ("deleted account", &default, thread("", false, false, "a", 1), false),
            (
                "authors replace the default",
                &alice_only,
                thread("coderabbitai", false, false, "a", 1),
                false,
            ),
            ("authors, any case", &alice_only, thread("alice", false, false, "a", 1), true),
            ("extra_logins follow", &ghes, thread("rabbit-ghes", false, false, "a", 1), true),
        ];
        for (name, cfg, t, want) in cases {
            assert_eq!(ThreadFilter::new(cfg).counts(&t), want, "{name}");
        }
    }

    #[test]
    fn open_threads_are_sorted_for_a_stable_summary() {
        let f = ThreadFilter::new(&CodeRabbitConfig::default());
        let open = f.open(&[
            thread("coderabbitai", false, false, "src/b.rs", 3),
            thread("coderabbitai", true, false, "src/a.rs", 1),
            thread("coderabbitai", false, false, "src/a.rs", 9),
        ]);
        let at: Vec<(&str, Option<u64>)> = open.iter().map(|t| (t.path.as_str(), t.line)).collect();
        assert_eq!(at, vec![("src/a.rs", Some(9)), ("src/b.rs", Some(3))]);
    }

    #[test]
    fn failed_pre_merge_checks_are_read_from_the_failed_table_only() {
        let body = "**Actionable comments posted: 0**\n\n<details>\n<summary>❌ Failed checks (2 warnings)</summary>\n\n| Check name | Status | Explanation | Resolution |\n| :---: | :---: | :--- | :--- |\n| Docstring Coverage | ⚠️ Warning | 12% < 80% | `@coderabbitai generate docstrings` |\n| Title check | ❌ Error | vague | rename |\n\n</details>\n<details>\n<summary>✅ Passed checks (3 passed)</summary>\n\n| Check name | Status |\n| --- | --- |\n| Description Check | ✅ Passed |\n</details>\n";
        assert_eq!(failed_pre_merge_checks(body), vec!["Docstring Coverage", "Title check"]);
        assert!(failed_pre_merge_checks("| Check name | Status |\n| x | ✅ |").is_empty());
        assert!(failed_pre_merge_checks("").is_empty());
    }

    proptest! {
        #[test]
        fn the_check_reader_never_panics_and_stays_bounded(body in "(?s).{0,2000}") {
            let checks = failed_pre_merge_checks(&format!("Failed checks\n{body}"));
            prop_assert!(checks.len() <= MAX_CHECKS);
            prop_assert!(checks.iter().all(|c| c.chars().count() <= MAX_CHECK_NAME && !c.is_empty()));
        }
    }
}
