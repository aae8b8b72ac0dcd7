//! The checklist rule: the pull request body carries the process's checklist (tests run, lint
//! pass, docs updated, ADR impact), every item ticked.
//!
//! **Tasks.** A task is a GitHub task-list line: optional indentation (nested items count), a
//! bullet `-`, `*` or `+` or an ordered marker `1.` / `1)`, whitespace, then `[ ]`, `[x]` or `[X]`,
//! then whitespace and the text. Lines inside fenced code blocks (```` ``` ```` or `~~~`) and
//! inside HTML comments (`<!-- ... -->`, possibly spanning lines; pull request templates keep
//! their instructions there) are not tasks. CRLF line endings are accepted.
//!
//! **Matching.** A configured item (its `text` or any alias) matches a task when, after
//! normalising both, the item's words appear in the task's words in order, each as a prefix of a
//! task word. Normalising lowercases, treats every character that is not a letter or digit as a
//! separator (so punctuation is ignored) and, for the item's words only, strips one ending:
//! `ing`, `ed`, `es`, `s` or `e`, the first that leaves at least three letters. So `lint pass`
//! matches `Lint passes`, `docs updated` matches `Docs update`, `tests run` matches `tests
//! running` and `Tests were run`, but not `tests ran`; extra words anywhere are tolerated.
//!
//! **Verdict.** An item ticked on any matching line is satisfied, even if another matching line
//! is unticked. An item with matching lines, none ticked, is unticked (the finding names the
//! lines); an item with no matching line is missing. An empty body has every item missing.

use crate::{Finding, rule_id};
use plasma_config::pattern::{PatternError, check_length};
use plasma_config::{ChecklistConfig, ChecklistItem};

/// One task-list line of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// 1-based line number in the body.
    pub line: usize,
    /// Whether the box is ticked.
    pub checked: bool,
    /// The text after the box, trimmed.
    pub text: String,
}

/// The tasks of a Markdown body, in order; see the module documentation for what counts.
pub fn parse_tasks(body: &str) -> Vec<Task> {
    let mut tasks = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut in_comment = false;
    for (index, raw) in body.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let content = line.trim_start_matches([' ', '\t']);
        if let Some((fence_char, fence_len)) = fence {
            if closes_fence(content, fence_char, fence_len) {
                fence = None;
            }
            continue;
        }
        if in_comment {
            // The rest of the line that closes a comment block is still part of the HTML block
            // in CommonMark, so it cannot start a task either.
            in_comment = !line.contains("-->");
            continue;
        }
        if let Some(opened) = opens_fence(content) {
            fence = Some(opened);
            continue;
        }
        if let Some(comment) = content.strip_prefix("<!--") {
            in_comment = !comment.contains("-->");
            continue;
        }
        let (visible, unclosed) = strip_comments(line);
        in_comment = unclosed;
        if let Some((checked, text)) = task_of(&visible) {
            tasks.push(Task { line: index + 1, checked, text });
        }
    }
    tasks
}

/// A fence opener: three or more backticks or tildes (a backtick fence's info string has no
/// backtick).
fn opens_fence(content: &str) -> Option<(char, usize)> {
    let first = content.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = content.chars().take_while(|c| *c == first).count();
    let info = &content[len * first.len_utf8()..];
    (len >= 3 && !(first == '`' && info.contains('`'))).then_some((first, len))
}

/// A fence closer: at least as many of the same character, nothing else but spaces.
fn closes_fence(content: &str, fence_char: char, fence_len: usize) -> bool {
    let len = content.chars().take_while(|c| *c == fence_char).count();
    len >= fence_len && content[len * fence_char.len_utf8()..].trim().is_empty()
}

/// `line` without its inline comments, and whether a comment is left open at its end.
fn strip_comments(line: &str) -> (String, bool) {
    let mut visible = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("<!--") {
        visible.push_str(&rest[..start]);
        match rest[start + 4..].find("-->") {
            Some(end) => rest = &rest[start + 4 + end + 3..],
            None => return (visible, true),
        }
    }
    visible.push_str(rest);
    (visible, false)
}

/// The box and text of a task line, if it is one.
fn task_of(line: &str) -> Option<(bool, String)> {
    let content = line.trim_start_matches([' ', '\t']);
    let after_marker = if let Some(rest) = content.strip_prefix(['-', '*', '+']) {
        rest
    } else {
        let digits = content.bytes().take_while(u8::is_ascii_digit).count();
        // CommonMark allows at most nine digits in an ordered list marker.
        if digits == 0 || digits > 9 {
            return None;
        }
        content[digits..].strip_prefix(['.', ')'])?
    };
    let boxed = after_marker.trim_start_matches([' ', '\t']);
    if boxed.len() == after_marker.len() {
        return None;
    }
    let checked = match boxed.get(..3)? {
        "[ ]" => false,
        "[x]" | "[X]" => true,
        _ => return None,
    };
    let text = &boxed[3..];
    if !(text.is_empty() || text.starts_with([' ', '\t'])) {
        return None;
    }
    Some((checked, text.trim().to_string()))
}

/// The words of `text`: lowercase runs of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `word` without one common ending, keeping at least three letters.
fn stem(word: &str) -> String {
    for suffix in ["ing", "ed", "es", "s", "e"] {
        if let Some(stem) = word.strip_suffix(suffix)
            && stem.chars().count() >= 3
        {
            return stem.to_string();
        }
    }
    word.to_string()
}

/// An item's wording, ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Phrase {
    stems: Vec<String>,
}

impl Phrase {
    fn new(text: &str) -> Self {
        Phrase { stems: words(text).iter().map(|w| stem(w)).collect() }
    }

    /// Whether the stems appear in order, each as a prefix of one of `task_words`.
    fn matches(&self, task_words: &[String]) -> bool {
        let mut remaining = task_words.iter();
        !self.stems.is_empty()
            && self.stems.iter().all(|s| remaining.any(|w| w.starts_with(s.as_str())))
    }
}

/// Whether checklist wording `phrase` matches task text `task` (see the module documentation).
pub fn matches(phrase: &str, task: &str) -> bool {
    Phrase::new(phrase).matches(&words(task))
}

/// One configured item, compiled.
#[derive(Debug, Clone)]
struct Item {
    id: String,
    text: String,
    phrases: Vec<Phrase>,
}

/// The compiled checklist rule.
#[derive(Debug, Clone)]
pub struct ChecklistRule {
    items: Vec<Item>,
}

impl ChecklistRule {
    /// Compiles `checklist:`; an item wording without letters or digits would match every task,
    /// so it is a [`PatternError`].
    pub fn new(config: &ChecklistConfig) -> Result<Self, PatternError> {
        let items = config
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| compile_item(i, item))
            .collect::<Result<_, _>>()?;
        Ok(ChecklistRule { items })
    }

    /// Findings for the body: one per item that is missing or not ticked.
    pub fn check(&self, body: &str) -> Vec<Finding> {
        let tasks: Vec<(Task, Vec<String>)> = parse_tasks(body)
            .into_iter()
            .map(|t| {
                let w = words(&t.text);
                (t, w)
            })
            .collect();
        let mut findings = Vec::new();
        for item in &self.items {
            let matching: Vec<&Task> = tasks
                .iter()
                .filter(|(_, w)| item.phrases.iter().any(|p| p.matches(w)))
                .map(|(t, _)| t)
                .collect();
            if matching.iter().any(|t| t.checked) {
                continue;
            }
            let named = format!("Checklist item \"{}\" (`{}`)", item.text, item.id);
            findings.push(match matching.first() {
                None => Finding::error(
                    rule_id::CHECKLIST,
                    format!("{named} is missing from the pull request description."),
                    format!(
                        "Add the line `- [x] {}` to the description once it is done.",
                        capitalised(&item.text)
                    ),
                ),
                Some(first) => {
                    let at = lines_label(&matching);
                    Finding::error(
                        rule_id::CHECKLIST,
                        format!("{named} is not ticked ({at}: `- [ ] {}`).", first.text),
                        format!("Tick it once it is done: `- [x] {}`.", first.text),
                    )
                }
            });
        }
        findings
    }
}

fn compile_item(index: usize, item: &ChecklistItem) -> Result<Item, PatternError> {
    let wordings = std::iter::once(("text".to_string(), &item.text))
        .chain(item.aliases.iter().enumerate().map(|(j, a)| (format!("aliases[{j}]"), a)));
    let mut phrases = Vec::new();
    for (field, wording) in wordings {
        let key = format!("checklist.items[{index}].{field}");
        check_length(&key, wording)?;
        let phrase = Phrase::new(wording);
        if phrase.stems.is_empty() {
            return Err(PatternError::new(
                &key,
                wording,
                "it has no letters or digits, so it would match every task; write the item's \
                 words, e.g. `tests run`",
            ));
        }
        phrases.push(phrase);
    }
    Ok(Item { id: item.id.clone(), text: item.text.clone(), phrases })
}

/// `line 7` or `lines 7, 12`; a body pasted into itself a thousand times still gets a short
/// message.
fn lines_label(tasks: &[&Task]) -> String {
    const SHOWN: usize = 5;
    let mut lines: Vec<String> = tasks.iter().take(SHOWN).map(|t| t.line.to_string()).collect();
    if tasks.len() > SHOWN {
        lines.push(format!("and {} more", tasks.len() - SHOWN));
    }
    match lines.as_slice() {
        [one] => format!("line {one}"),
        many => format!("lines {}", many.join(", ")),
    }
}

/// `text` with its first letter in uppercase, as a checklist line is usually written.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `checklist`, explained (`explain_rule`).
pub const ABOUT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"checklist"#,
    checks: r#"The pull request body has every checklist item (tests run, lint pass, docs updated, ADR impact) and each is ticked; a missing item and an unticked one are different findings."#,
    config: &[crate::rules::about::ConfigKey {
        key: "checklist.items",
        default: r#"[tests-run, lint-pass, docs-updated, adr-impact]"#,
    }],
    passes: r#"- [x] Tests run
- [x] Lint pass
- [x] Docs updated
- [x] ADR impact"#,
    fails: r#"- [x] Tests run
- [ ] Lint pass: `lint pass` is not ticked, and docs updated and ADR impact are missing"#,
};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule() -> ChecklistRule {
        ChecklistRule::new(&ChecklistConfig::default()).unwrap()
    }

    fn task(line: usize, checked: bool, text: &str) -> Task {
        Task { line, checked, text: text.into() }
    }

    const TEMPLATE: &str = "\
## Summary
Bootstraps the gateway.

<!-- Tick each item when done:
- [ ] tests run
- [ ] lint pass
-->

## Checklist
- [x] Tests run
- [X] Lint passes
* [x] Docs updated
+ [ ] ADR impact
";

    #[test]
    fn parses_every_task_form() {
        let body = "\
- [ ] a
- [x] b
- [X] c
* [x] d
+ [x] e
1. [x] f
12) [ ] g
  - [x] nested
\t- [x] tabbed
-   [x]   spaced  
- [x]
not a task
- [x]no space
- [y] other box
-[x] no space after bullet
[x] no bullet
1234567890. [x] ten digits
- [ ]
";
        assert_eq!(
            parse_tasks(body),
            vec![
                task(1, false, "a"),
                task(2, true, "b"),
                task(3, true, "c"),
                task(4, true, "d"),
                task(5, true, "e"),
                task(6, true, "f"),
                task(7, false, "g"),
                task(8, true, "nested"),
                task(9, true, "tabbed"),
                task(10, true, "spaced"),
                task(11, true, ""),
                task(18, false, ""),
            ]
        );
    }

    #[test]
    fn ignores_code_and_comments() {
        let body = "\
```markdown
- [x] in backticks
```
~~~~
- [x] in tildes
~~~
- [x] still in tildes (the closer is shorter)
~~~~
  ```
  - [x] in an indented fence
  ```
<!-- one-line comment - [x] hidden -->
<!--
- [x] in a comment
--> - [x] after a closing comment
- [x] visible <!-- note -->
<!-- a --> trailing text
- [x] one <!-- open
- [x] hidden by the open comment
-->
- [ ] last
";
        assert_eq!(
            parse_tasks(body),
            vec![task(16, true, "visible"), task(18, true, "one"), task(21, false, "last")]
        );
    }

    #[test]
    fn crlf_bodies() {
        assert_eq!(
            parse_tasks("- [x] Tests run\r\n- [ ] Lint\r\n"),
            vec![task(1, true, "Tests run"), task(2, false, "Lint")]
        );
    }

    #[test]
    fn matching() {
        let cases = [
            ("lint pass", "Lint passes", true),
            ("lint pass", "lint: pass!", true),
            ("docs updated", "Docs update", true),
            ("docs updated", "Documentation updated", true),
            ("tests run", "tests running", true),
            ("tests run", "Tests were run locally", true),
            ("tests run", "Tests run", true),
            ("tests run", "tests ran", false),
            ("tests run", "run tests", false),
            ("ADR impact", "ADR impact: none", true),
            ("ADR impact", "adr-impact", true),
            ("ADR impact", "ADR", false),
            ("documentation updated", "Docs updated", false),
            ("linted", "Linting done", true),
            ("tests pass", "All tests passed", true),
        ];
        for (phrase, text, expected) in cases {
            assert_eq!(matches(phrase, text), expected, "{phrase:?} vs {text:?}");
        }
        assert_eq!(stem("uses"), "use");
        assert_eq!(stem("yes"), "yes");
        assert_eq!(stem("updated"), "updat");
        assert_eq!(stem("run"), "run");
    }

    #[test]
    fn a_complete_template_passes() {
        let body = TEMPLATE.replace("+ [ ] ADR impact", "+ [x] ADR impact: none");
        assert_eq!(rule().check(&body), vec![]);
    }

    /// (body, expected findings as (message fragment, hint fragment))
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)]);

    #[test]
    fn every_diagnostic() {
        let cases: &[Case<'_>] = &[
            (
                TEMPLATE,
                &[(
                    "Checklist item \"ADR impact\" (`adr-impact`) is not ticked (line 13: `- [ ] ADR impact`)",
                    "Tick it once it is done: `- [x] ADR impact`.",
                )],
            ),
            (
                "",
                &[
                    ("\"tests run\" (`tests-run`) is missing", "Add the line `- [x] Tests run`"),
                    ("\"lint pass\" (`lint-pass`) is missing", "`- [x] Lint pass`"),
                    ("\"docs updated\" (`docs-updated`) is missing", "`- [x] Docs updated`"),
                    ("\"ADR impact\" (`adr-impact`) is missing", "`- [x] ADR impact`"),
                ],
            ),
            (
                // Ticked anywhere counts; an unticked duplicate does not undo it.
                "- [ ] tests run\n- [x] Tests pass\n- [x] lint clean\n- [x] docs updated\n- [x] ADR considered",
                &[],
            ),
            (
                "- [ ] tests run\n- [ ] Tests added\n- [x] format check\n- [x] docs updated\n- [x] ADR",
                &[
                    (
                        "\"tests run\" (`tests-run`) is not ticked (lines 1, 2: `- [ ] tests run`)",
                        "`- [x] tests run`",
                    ),
                    ("\"lint pass\" (`lint-pass`) is missing", "`- [x] Lint pass`"),
                ],
            ),
            (
                "```\n- [x] tests run\n```\n<!-- - [x] lint pass -->\n- [x] docs updated\n- [x] ADR impact",
                &[("\"tests run\"", "Add the line"), ("\"lint pass\"", "Add the line")],
            ),
        ];
        let rule = rule();
        for (body, expected) in cases {
            let findings = rule.check(body);
            assert_eq!(findings.len(), expected.len(), "{body:?}: {findings:#?}");
            for (f, (message, hint)) in findings.iter().zip(expected.iter()) {
                assert_eq!(f.rule, rule_id::CHECKLIST);
                assert_eq!(f.severity, crate::Severity::Error);
                assert!(f.message.contains(message), "{body:?}: {:?} lacks {message:?}", f.message);
                assert!(f.hint.contains(hint), "{body:?}: {:?} lacks {hint:?}", f.hint);
            }
        }
    }

    #[test]
    fn many_unticked_lines_are_summarised() {
        let body = "- [ ] tests run\n".repeat(8);
        let f = &rule().check(&body)[0];
        assert!(
            f.message.contains("(lines 1, 2, 3, 4, 5, and 3 more: `- [ ] tests run`)"),
            "{}",
            f.message
        );
    }

    #[test]
    fn custom_items_and_errors() {
        let config = ChecklistConfig {
            items: vec![ChecklistItem {
                id: "changelog".into(),
                text: "Changelog entry".into(),
                aliases: vec!["CHANGES.md updated".into()],
            }],
        };
        let rule = ChecklistRule::new(&config).unwrap();
        assert_eq!(rule.check("- [x] changes.md updated"), vec![]);
        assert_eq!(rule.check("1. [X] Changelog entry added"), vec![]);
        assert_eq!(rule.check("- [x] tests run").len(), 1);

        let bad = ChecklistConfig {
            items: vec![ChecklistItem {
                id: "x".into(),
                text: "ok".into(),
                aliases: vec!["--".into()],
            }],
        };
        let err = ChecklistRule::new(&bad).unwrap_err();
        assert_eq!(err.key, "checklist.items[0].aliases[0]");
        assert!(err.reason.contains("would match every task"), "{}", err.reason);
        let long = ChecklistConfig {
            items: vec![ChecklistItem { id: "x".into(), text: "a".repeat(1001), aliases: vec![] }],
        };
        assert_eq!(ChecklistRule::new(&long).unwrap_err().key, "checklist.items[0].text");
        assert_eq!(
            ChecklistRule::new(&ChecklistConfig { items: vec![] }).unwrap().check(""),
            vec![]
        );
    }

    fn bodies() -> impl Strategy<Value = String> {
        let line = prop_oneof![
            "\\PC{0,30}",
            "[ \\t]{0,4}([-*+]|[0-9]{1,3}[.)])[ \\t]{0,2}\\[[ xX]\\][ \\t]?[A-Za-z ]{0,12}",
            Just("```".to_string()),
            Just("~~~".to_string()),
            Just("<!--".to_string()),
            Just("-->".to_string()),
            "[a-z ]{0,5}<!--[a-z ]{0,5}(-->)?[a-z ]{0,5}",
        ];
        proptest::collection::vec(line, 0..12)
            .prop_flat_map(|lines| (Just(lines), prop_oneof![Just("\n"), Just("\r\n")]))
            .prop_map(|(lines, eol)| lines.join(eol))
    }

    proptest! {
        #[test]
        fn never_panics_and_is_deterministic(body in bodies()) {
            let tasks = parse_tasks(&body);
            prop_assert_eq!(&tasks, &parse_tasks(&body));
            let line_count = body.split('\n').count();
            for pair in tasks.windows(2) {
                prop_assert!(pair[0].line < pair[1].line);
            }
            for t in &tasks {
                prop_assert!(t.line >= 1 && t.line <= line_count);
            }
            let rule = rule();
            let findings = rule.check(&body);
            prop_assert_eq!(&findings, &rule.check(&body));
            prop_assert!(findings.len() <= 4);
        }

        #[test]
        fn crlf_and_lf_agree(body in bodies()) {
            let lf = body.replace("\r\n", "\n");
            prop_assert_eq!(parse_tasks(&lf), parse_tasks(&lf.replace('\n', "\r\n")));
        }

        #[test]
        fn matching_is_deterministic(phrase in "\\PC{0,20}", text in "\\PC{0,30}") {
            prop_assert_eq!(matches(&phrase, &text), matches(&phrase, &text));
        }
    }
}
