//! The title rule: a pull request title names its issue, `[PE-12] Gateway bootstrap`.
//!
//! The form is `title.pattern` (default `[{issue_key}] {summary}`); `{summary}` is non-empty and
//! starts and ends with a non-space character, so stray leading or trailing whitespace is a
//! finding too. When a title does not match, the key is looked for leniently (`pe-12`, `PE12`,
//! `#12`), the summary is what remains once the separators around the key are dropped, and a
//! corrected title is offered when it passes the strict form.

use crate::{Finding, rule_id};
use plasma_config::issue_key::{IssueKey, IssueKeyFormat};
use plasma_config::pattern::{CompiledTemplate, PatternError, Placeholder, Template};
use plasma_config::{IssueKeyConfig, TitleConfig};

/// `{summary}`: starts and ends with a non-space character, one line.
const SUMMARY: &str = r"\S(?:.*\S)?";

/// Characters that separate a key from the summary in the usual near misses
/// (`PE-12: x`, `x (PE-12)`, `PE-12 - x`, `[PE-12] x`).
const SEPARATORS: &[char] = &['[', ']', '(', ')', '{', '}', ':', '-', '–', '—', '|', '/', ',', ';'];

/// The parts of a valid title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleParts {
    /// The issue key, e.g. `PE-12`.
    pub key: IssueKey,
    /// The summary, e.g. `Gateway bootstrap`.
    pub summary: String,
}

/// The compiled title rule.
#[derive(Debug, Clone)]
pub struct TitleRule {
    keys: IssueKeyFormat,
    form: CompiledTemplate,
}

impl TitleRule {
    /// Compiles `title.pattern` with the issue keys of `issue_key:`.
    pub fn new(title: &TitleConfig, key: &IssueKeyConfig) -> Result<Self, PatternError> {
        let keys = IssueKeyFormat::new(key)?;
        let key_fragment = keys.fragment();
        let placeholders = [
            Placeholder { name: "issue_key", strict: &key_fragment, lenient: "", required: true },
            Placeholder { name: "summary", strict: SUMMARY, lenient: "", required: true },
        ];
        let form = CompiledTemplate::new("title.pattern", &title.pattern, &placeholders)?;
        Ok(TitleRule { keys, form })
    }

    /// The key and summary of a title that follows the form.
    pub fn parse(&self, title: &str) -> Option<TitleParts> {
        let caps = self.form.captures(title)?;
        let key = self.keys.parse(caps.name("issue_key")?.as_str())?;
        let summary = caps.name("summary")?.as_str().to_string();
        Some(TitleParts { key, summary })
    }

    /// Findings for `title`: none, or one naming every problem with a corrected title.
    pub fn check(&self, title: &str) -> Vec<Finding> {
        if self.parse(title).is_some() {
            return Vec::new();
        }
        vec![self.diagnose(title)]
    }

    fn template(&self) -> &Template {
        self.form.template()
    }

    fn render(&self, key: &str, summary: &str) -> String {
        self.template().render(|p| if p == "issue_key" { key.into() } else { summary.into() })
    }

    fn diagnose(&self, title: &str) -> Finding {
        let pattern = self.template().source();
        let trimmed = title.trim();
        if trimmed.is_empty() {
            return Finding::error(
                rule_id::TITLE_FORMAT,
                "The title is empty.",
                format!(
                    "Use `{pattern}`, e.g. `{}`.",
                    self.render(&self.keys.key(12).to_string(), "Gateway bootstrap")
                ),
            );
        }
        let mut problems = Vec::new();
        match (title.starts_with(char::is_whitespace), title.ends_with(char::is_whitespace)) {
            (true, true) => problems.push("it has leading and trailing whitespace".to_string()),
            (true, false) => problems.push("it has leading whitespace".to_string()),
            (false, true) => problems.push("it has trailing whitespace".to_string()),
            (false, false) => {}
        }

        let Some(found) = self.keys.find_in(trimmed) else {
            problems.push(format!("it contains no issue key (`{}`)", self.keys.shape()));
            let shape = self.render(&self.keys.shape(), trimmed);
            return Finding::error(
                rule_id::TITLE_FORMAT,
                format!("Title `{title}` does not follow `{pattern}`: {}.", problems.join("; ")),
                format!(
                    "Put the key of the issue this pull request implements in the title: \
                     `{shape}`."
                ),
            );
        };
        if !found.is_exact() {
            problems.push(found.explain());
        }
        let key = found.key.to_string();
        let before = &trimmed[..found.range.start];
        let after = &trimmed[found.range.end..];
        let summary = summary_around(before, &key, after);
        problems.extend(self.placement_problems(&key, before, after, &summary));
        if summary.is_empty() {
            problems.push("the summary is missing; describe the change".to_string());
        }

        let hint = if summary.is_empty() {
            format!("Change the title to `{}`.", self.render(&key, "<summary>"))
        } else {
            let corrected = self.render(&key, &summary);
            if self.parse(&corrected).is_some() {
                format!("Change the title to `{corrected}`.")
            } else {
                format!(
                    "Use `{pattern}`, e.g. `{}`.",
                    self.render(&self.keys.key(12).to_string(), "Gateway bootstrap")
                )
            }
        };
        if problems.is_empty() {
            // Whatever is left (doubled spaces inside the key's frame, a line break) is best
            // shown by the corrected title itself.
            problems.push(format!("it does not follow `{pattern}` exactly"));
        }
        Finding::error(
            rule_id::TITLE_FORMAT,
            format!("Title `{title}` does not follow `{pattern}`: {}.", problems.join("; ")),
            hint,
        )
    }

    /// Problems with where and how the key sits in the title, judged against the literal text
    /// the template puts around `{issue_key}`.
    fn placement_problems(
        &self,
        key: &str,
        before: &str,
        after: &str,
        summary: &str,
    ) -> Vec<String> {
        let template = self.template();
        let (lit_before, lit_after) =
            (template.literal_before("issue_key"), template.literal_after("issue_key"));
        // The characters that touch the key, e.g. `[` and `]`.
        let (open, close) = (lit_before.trim_start(), lit_after.trim_end());
        let has_words = |s: &str| s.chars().any(char::is_alphanumeric);
        let framed = format!("{open}{key}{close}");

        if template.is_first("issue_key") && has_words(before) {
            return vec![format!("the title must start with `{lit_before}{key}{close}`")];
        }
        if template.is_last("issue_key") && has_words(after) {
            return vec![format!("the title must end with `{open}{key}{lit_after}`")];
        }
        if !before.ends_with(open) || !after.starts_with(close) {
            return vec![if open == "[" && close == "]" {
                format!("the key must be in square brackets: `{framed}`")
            } else {
                format!("write the key as `{framed}`")
            }];
        }
        let mut problems = Vec::new();
        if !summary.is_empty() {
            if lit_after.len() > close.len() && !after.starts_with(lit_after) {
                problems.push(format!("a space is missing after `{framed}`"));
            }
            if lit_before.len() > open.len() && !before.ends_with(lit_before) {
                problems.push(format!("a space is missing before `{framed}`"));
            }
            let extra_after = after
                .strip_prefix(lit_after)
                .is_some_and(|rest| rest.starts_with(char::is_whitespace));
            let extra_before = before
                .strip_suffix(lit_before)
                .is_some_and(|rest| rest.ends_with(char::is_whitespace));
            if extra_after || extra_before {
                problems.push(format!("there is extra whitespace around `{framed}`"));
            }
        }
        problems
    }
}

/// The summary of a near-miss title: the text on both sides of the key without the separators
/// that framed the key. A bare key inside a sentence (`Follow-up to PE-11 for x`) belongs to the
/// sentence, so the sentence is kept whole, with the key written correctly.
fn summary_around(before: &str, key: &str, after: &str) -> String {
    let is_sep = |c: char| c.is_whitespace() || SEPARATORS.contains(&c);
    let framed = before.trim_end().ends_with(['[', '(', '{'])
        || after.trim_start().starts_with([']', ')', '}', ':']);
    let trimmed_before = before.trim_end_matches(is_sep).trim_start();
    let trimmed_after = after.trim_start_matches(is_sep).trim_end();
    match (trimmed_before.is_empty(), trimmed_after.is_empty()) {
        (false, false) if !framed => format!("{}{key}{}", before.trim_start(), after.trim_end()),
        (false, false) => format!("{trimmed_before} {trimmed_after}"),
        (false, true) => trimmed_before.to_string(),
        _ => trimmed_after.to_string(),
    }
}

/// `title-format`, explained (`explain_rule`).
pub const ABOUT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"title-format"#,
    checks: r#"The pull request title is `[<KEY>] <summary>`, e.g. `[PE-12] Gateway bootstrap`."#,
    config: &[
        crate::rules::about::ConfigKey {
            key: "title.pattern",
            default: r#""[{issue_key}] {summary}""#,
        },
        crate::rules::about::ConfigKey { key: "issue_key.prefix", default: r#"PE"# },
    ],
    passes: r#"[PE-12] Gateway bootstrap"#,
    fails: r#"Gateway bootstrap: no `[PE-<n>]` issue key"#,
};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule() -> TitleRule {
        TitleRule::new(&TitleConfig::default(), &IssueKeyConfig::default()).unwrap()
    }

    fn parts(key: &str, summary: &str) -> TitleParts {
        TitleParts { key: IssueKey::parse(key).unwrap(), summary: summary.into() }
    }

    #[test]
    fn parses_the_process_example() {
        let rule = rule();
        assert_eq!(
            rule.parse("[PE-12] Gateway bootstrap"),
            Some(parts("PE-12", "Gateway bootstrap"))
        );
        assert_eq!(rule.parse("[PE-1] x"), Some(parts("PE-1", "x")));
        assert_eq!(rule.parse("[PE-7] [WIP] a  b ]"), Some(parts("PE-7", "[WIP] a  b ]")));
        assert_eq!(rule.check("[PE-12] Gateway bootstrap"), vec![]);
    }

    #[test]
    fn parse_rejects() {
        let rule = rule();
        for title in [
            "",
            "PE-12 Gateway",
            "[pe-12] Gateway",
            "[PE-12]Gateway",
            "[PE-12] ",
            "[PE-12]",
            " [PE-12] Gateway",
            "[PE-12] Gateway ",
            "[PE-12]  Gateway",
            "[PE-012] Gateway",
            "[ABC-12] Gateway",
            "[PE-12] Gate\nway",
        ] {
            assert_eq!(rule.parse(title), None, "{title:?}");
        }
    }

    /// (title, fragments of the message, fragments of the hint)
    type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str]);

    #[test]
    fn every_diagnostic() {
        let cases: &[Case<'_>] = &[
            (
                "Gateway bootstrap",
                &[
                    "does not follow `[{issue_key}] {summary}`",
                    "it contains no issue key (`PE-<number>`)",
                ],
                &["`[PE-<number>] Gateway bootstrap`"],
            ),
            (
                "PE-12 Gateway",
                &["the key must be in square brackets: `[PE-12]`"],
                &["Change the title to `[PE-12] Gateway`."],
            ),
            (
                "PE-12: Gateway bootstrap",
                &["the key must be in square brackets: `[PE-12]`"],
                &["Change the title to `[PE-12] Gateway bootstrap`."],
            ),
            (
                "[pe-12] Gateway",
                &["the issue key `pe-12` must be written `PE-12` (the prefix is `PE`)"],
                &["Change the title to `[PE-12] Gateway`."],
            ),
            (
                "pe12 Gateway",
                &["`pe12` must be written `PE-12`", "square brackets"],
                &["`[PE-12] Gateway`"],
            ),
            ("#12 Gateway", &["`#12` is a GitHub reference"], &["`[PE-12] Gateway`"]),
            (
                "[PE-12]Gateway",
                &["a space is missing after `[PE-12]`"],
                &["Change the title to `[PE-12] Gateway`."],
            ),
            ("[PE-12]", &["the summary is missing"], &["Change the title to `[PE-12] <summary>`."]),
            ("PE-12", &["square brackets", "the summary is missing"], &["`[PE-12] <summary>`"]),
            (
                " [PE-12] Gateway",
                &["it has leading whitespace"],
                &["Change the title to `[PE-12] Gateway`."],
            ),
            ("[PE-12] Gateway ", &["it has trailing whitespace"], &["`[PE-12] Gateway`"]),
            (
                "\t[PE-12] Gateway\u{a0}",
                &["it has leading and trailing whitespace"],
                &["`[PE-12] Gateway`"],
            ),
            (
                "[PE-12] ",
                &["trailing whitespace", "the summary is missing"],
                &["`[PE-12] <summary>`"],
            ),
            (
                "   ",
                &["The title is empty."],
                &["Use `[{issue_key}] {summary}`, e.g. `[PE-12] Gateway bootstrap`."],
            ),
            ("", &["The title is empty."], &["`[PE-12] Gateway bootstrap`"]),
            (
                "Gateway bootstrap [PE-12]",
                &["the title must start with `[PE-12]`"],
                &["Change the title to `[PE-12] Gateway bootstrap`."],
            ),
            (
                "Gateway bootstrap (PE-12)",
                &["the title must start with `[PE-12]`"],
                &["`[PE-12] Gateway bootstrap`"],
            ),
            (
                "[PE-12]  Gateway",
                &["there is extra whitespace around `[PE-12]`"],
                &["`[PE-12] Gateway`"],
            ),
            (
                "[PE-012] Gateway",
                &["`PE-012` must be written `PE-12` (the number has no leading zeros)"],
                &["`[PE-12] Gateway`"],
            ),
            (
                "Follow-up to PE-11 for the gateway",
                &["the title must start with `[PE-11]`"],
                &["Change the title to `[PE-11] Follow-up to PE-11 for the gateway`."],
            ),
            (
                "WIP [PE-12] Gateway",
                &["the title must start with `[PE-12]`"],
                &["Change the title to `[PE-12] WIP Gateway`."],
            ),
            (
                "[PE-12] Gate\nway",
                &["does not follow `[{issue_key}] {summary}` exactly"],
                &["Use `[{issue_key}] {summary}`"],
            ),
        ];
        let rule = rule();
        for (title, message, hint) in cases {
            let findings = rule.check(title);
            assert_eq!(findings.len(), 1, "{title:?}: {findings:#?}");
            let f = &findings[0];
            assert_eq!(f.rule, rule_id::TITLE_FORMAT);
            assert_eq!(f.severity, crate::Severity::Error);
            for m in *message {
                assert!(f.message.contains(m), "{title:?}: message {:?} lacks {m:?}", f.message);
            }
            for h in *hint {
                assert!(f.hint.contains(h), "{title:?}: hint {:?} lacks {h:?}", f.hint);
            }
        }
    }

    #[test]
    fn custom_prefix() {
        let rule = TitleRule::new(
            &TitleConfig::default(),
            &IssueKeyConfig { prefix: "ABC".into(), tracker: None },
        )
        .unwrap();
        assert_eq!(rule.parse("[ABC-3] Ship it"), Some(parts("ABC-3", "Ship it")));
        assert_eq!(rule.parse("[PE-3] Ship it"), None);
        let f = &rule.check("Ship it")[0];
        assert!(f.message.contains("(`ABC-<number>`)"), "{}", f.message);
        assert!(f.hint.contains("`[ABC-<number>] Ship it`"), "{}", f.hint);
        let f = &rule.check("abc-3 Ship it")[0];
        assert!(f.hint.contains("`[ABC-3] Ship it`"), "{}", f.hint);
    }

    #[test]
    fn custom_templates() {
        let colon = TitleRule::new(
            &TitleConfig { pattern: "{issue_key}: {summary}".into() },
            &IssueKeyConfig::default(),
        )
        .unwrap();
        assert_eq!(colon.parse("PE-4: Add x"), Some(parts("PE-4", "Add x")));
        let f = &colon.check("[PE-4] Add x")[0];
        assert!(f.message.contains("write the key as `PE-4:`"), "{}", f.message);
        assert!(f.hint.contains("`PE-4: Add x`"), "{}", f.hint);
        let f = &colon.check("PE-4:Add x")[0];
        assert!(f.message.contains("a space is missing after `PE-4:`"), "{}", f.message);

        let suffix = TitleRule::new(
            &TitleConfig { pattern: "{summary} ({issue_key})".into() },
            &IssueKeyConfig::default(),
        )
        .unwrap();
        assert_eq!(suffix.parse("Add x (PE-4)"), Some(parts("PE-4", "Add x")));
        let f = &suffix.check("[PE-4] Add x")[0];
        assert!(f.message.contains("the title must end with `(PE-4)`"), "{}", f.message);
        assert!(f.hint.contains("`Add x (PE-4)`"), "{}", f.hint);
        let f = &suffix.check("Add x(PE-4)")[0];
        assert!(f.message.contains("a space is missing before `(PE-4)`"), "{}", f.message);
    }

    #[test]
    fn configuration_errors() {
        for (pattern, reason) in [
            ("{summary}", "must contain `{issue_key}`"),
            ("[{issue_key}]", "must contain `{summary}`"),
            ("[{issue_key}] {title}", "unknown placeholder `{title}`"),
            ("{issue_key} {summary} {issue_key}", "more than once"),
        ] {
            let err = TitleRule::new(
                &TitleConfig { pattern: pattern.into() },
                &IssueKeyConfig::default(),
            )
            .unwrap_err();
            assert_eq!(err.key, "title.pattern");
            assert!(err.reason.contains(reason), "{pattern}: {}", err.reason);
        }
    }

    fn titles() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,60}",
            "[ \\t]?[\\[(]?(PE|pe|#)?[-_ :]?[0-9]{0,3}[\\])]?[: ]{0,2}[A-Za-z ]{0,10}[ \\t]?",
        ]
    }

    proptest! {
        #[test]
        fn never_panics_and_is_deterministic(title in titles()) {
            let rule = rule();
            prop_assert_eq!(rule.parse(&title), rule.parse(&title));
            let findings = rule.check(&title);
            prop_assert_eq!(&findings, &rule.check(&title));
            prop_assert_eq!(findings.is_empty(), rule.parse(&title).is_some());
            // A corrected title offered as such is valid.
            if let Some(corrected) = findings.first()
                .and_then(|f| f.hint.strip_prefix("Change the title to `"))
                .and_then(|h| h.strip_suffix("`."))
                .filter(|c| !c.contains("<summary>"))
            {
                prop_assert!(rule.parse(corrected).is_some(), "{:?} -> {:?}", title, corrected);
            }
        }

        #[test]
        fn valid_titles_round_trip(n in 1u64..1_000_000, summary in "[A-Za-z0-9][A-Za-z0-9 ,.()]{0,30}[A-Za-z0-9]") {
            let title = format!("[PE-{n}] {summary}");
            prop_assert_eq!(rule().parse(&title), Some(TitleParts { key: IssueKey::new("PE", n), summary }));
        }

        #[test]
        fn any_pattern_compiles_or_errors_cleanly(pattern in "\\PC{0,40}") {
            let config = TitleConfig { pattern };
            let a = TitleRule::new(&config, &IssueKeyConfig::default()).map(|r| r.parse("[PE-1] x"));
            let b = TitleRule::new(&config, &IssueKeyConfig::default()).map(|r| r.parse("[PE-1] x"));
            prop_assert_eq!(a, b);
        }
    }
}
