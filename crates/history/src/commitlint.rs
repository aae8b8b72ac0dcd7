//! A commit-message linter that gives commitlint's verdicts (`@commitlint/config-conventional`
//! 21): the same rule names, levels, values and edge cases, so users recognise every finding.
//!
//! Notable commitlint semantics mirrored here (each has a test):
//! - Ignored messages pass without any rule: merges (`Merge pull request`, `Merge branch`,
//!   `Merge tag`, `Merge x into y` on any line, `Merged …`, `Merge remote-tracking branch`,
//!   `Automatic merge`, `Auto-merged … into …`), `Revert …`/`Reapply …`, `fixup!`/`squash!`/
//!   `amend!`, and a bare version (`1.2.3`, `v1.2.3`, `chore: 1.2.3`, `chore(release): v1.2.3
//!   [skip ci]`).
//! - Lengths count UTF-16 code units (JavaScript's `length`); body and footer lines containing an
//!   `http://` or `https://` URL are exempt from the line-length limits.
//! - `subject-case` only judges subjects that start with a cased letter, and first removes text
//!   in quotes or backticks; with config-conventional's `never [sentence-case, start-case,
//!   pascal-case, upper-case]` a subject fails exactly when its first letter is unchanged by
//!   upper-casing (`Add x`, `README update`, `X`); `v2 support` and `123 items` pass.
//! - `subject-full-stop` looks at the header's last character (an ellipsis `...` is allowed,
//!   and a header that ends with its first `:` is exempt).
//! - `body-leading-blank` and `footer-leading-blank` look at the raw message, so a message with
//!   leading blank lines fails `body-leading-blank` as it does in commitlint.

use regex::Regex;

use crate::conventional::{Parsed, is_js_line_terminator, is_js_space};
use plasma_config::finding::{Finding, Severity};
use plasma_config::issue_key::IssueKeyFormat;
use plasma_config::{
    CaseName, CommitMessagesConfig, CommitlintRules, MessageStyle, RuleSeverity, When,
};

/// The rule ids (commitlint's names).
pub mod rule {
    /// Blank line between header and body.
    pub const BODY_LEADING_BLANK: &str = "body-leading-blank";
    /// Longest body line.
    pub const BODY_MAX_LINE_LENGTH: &str = "body-max-line-length";
    /// Blank line before the footer.
    pub const FOOTER_LEADING_BLANK: &str = "footer-leading-blank";
    /// Longest footer line.
    pub const FOOTER_MAX_LINE_LENGTH: &str = "footer-max-line-length";
    /// Longest header.
    pub const HEADER_MAX_LENGTH: &str = "header-max-length";
    /// No surrounding whitespace in the header.
    pub const HEADER_TRIM: &str = "header-trim";
    /// Subject case.
    pub const SUBJECT_CASE: &str = "subject-case";
    /// Non-empty subject.
    pub const SUBJECT_EMPTY: &str = "subject-empty";
    /// No trailing full stop.
    pub const SUBJECT_FULL_STOP: &str = "subject-full-stop";
    /// Type case.
    pub const TYPE_CASE: &str = "type-case";
    /// Non-empty type.
    pub const TYPE_EMPTY: &str = "type-empty";
    /// Allowed types.
    pub const TYPE_ENUM: &str = "type-enum";
    /// The subject follows neither style `commit_messages.style` asks for (issue key or
    /// Conventional Commits).
    pub const SUBJECT_STYLE: &str = "commit-subject-style";
    /// A configured `ignores` pattern is not a valid regular expression.
    pub const IGNORES_CONFIG: &str = "commit-messages-config";

    /// Every rule id of this linter, in commitlint's (alphabetical) order.
    pub const ALL: &[&str] = &[
        BODY_LEADING_BLANK,
        BODY_MAX_LINE_LENGTH,
        FOOTER_LEADING_BLANK,
        FOOTER_MAX_LINE_LENGTH,
        HEADER_MAX_LENGTH,
        HEADER_TRIM,
        SUBJECT_CASE,
        SUBJECT_EMPTY,
        SUBJECT_FULL_STOP,
        TYPE_CASE,
        TYPE_EMPTY,
        TYPE_ENUM,
    ];
}

/// Lints commit messages with the configured commitlint rules.
#[derive(Debug, Clone)]
pub struct CommitLinter {
    style: MessageStyle,
    rules: CommitlintRules,
    default_ignores: bool,
    ignores: Vec<Regex>,
    /// Findings about the configuration itself (an invalid `ignores` pattern), reported with
    /// every lint so they cannot go unnoticed.
    config_findings: Vec<Finding>,
}

impl CommitLinter {
    /// A linter for `cfg`. An `ignores` entry that is not a valid regular expression is skipped
    /// and reported as a finding by every [`CommitLinter::lint`] call.
    pub fn new(cfg: &CommitMessagesConfig) -> Self {
        let mut ignores = Vec::new();
        let mut config_findings = Vec::new();
        for (i, pattern) in cfg.ignores.iter().enumerate() {
            match regex::RegexBuilder::new(pattern).size_limit(1 << 20).build() {
                Ok(r) => ignores.push(r),
                Err(e) => config_findings.push(Finding::error(
                    rule::IGNORES_CONFIG,
                    format!("commit_messages.ignores[{i}] is not a valid regular expression: {e}"),
                    "fix or remove the pattern (Rust `regex` syntax, e.g. `^WIP`)",
                )),
            }
        }
        CommitLinter {
            style: cfg.style,
            rules: cfg.rules.clone(),
            default_ignores: cfg.default_ignores,
            ignores,
            config_findings,
        }
    }

    /// Whether commitlint would skip `message` (merges, reverts, fixups, version bumps, or a
    /// configured `ignores` pattern).
    pub fn is_ignored(&self, message: &str) -> bool {
        let m = message.trim_end_matches(is_js_space);
        (self.default_ignores && is_default_ignored(m))
            || self.ignores.iter().any(|r| r.is_match(m))
    }

    /// The findings for one message; empty when it passes every rule (warnings included).
    pub fn lint(&self, message: &str) -> Vec<Finding> {
        let mut out = self.config_findings.clone();
        if self.is_ignored(message) {
            return out;
        }
        let p = Parsed::new(message);
        if p.is_empty() {
            return out;
        }
        self.check(&p, &mut out);
        out
    }

    /// What `history` checks of one message: `commit_messages.style`. `conventional`: the
    /// commitlint rules ([`CommitLinter::lint`]). `issue-key`: the header names an issue key
    /// written exactly (`PE-12`). `either`: a header that is a Conventional Commit is judged by
    /// the commitlint rules; any other header must name an issue key. Ignored messages (merges,
    /// reverts, fixups, version bumps) pass in every style.
    pub fn lint_with_style(&self, message: &str, keys: &IssueKeyFormat) -> Vec<Finding> {
        if self.style == MessageStyle::Conventional {
            return self.lint(message);
        }
        let mut out = self.config_findings.clone();
        if self.is_ignored(message) {
            return out;
        }
        let p = Parsed::new(message);
        let Some(header) = p.header else {
            return out;
        };
        if self.style == MessageStyle::Either && crate::conventional::parse(message).is_some() {
            self.check(&p, &mut out);
            return out;
        }
        let found = keys.find_in(header);
        if found.as_ref().is_some_and(|m| m.is_exact()) {
            return out;
        }
        let example = keys.key(12);
        let mut hint = match self.style {
            MessageStyle::IssueKey => {
                format!("name the issue in the subject, e.g. `[{example}] …`")
            }
            _ => format!(
                "write a Conventional Commit (`fix(api): handle empty body`) or name the issue \
                 in the subject (`[{example}] …`)"
            ),
        };
        if let Some(m) = found {
            hint = format!("{}; {hint}", m.explain());
        }
        let what = match self.style {
            MessageStyle::IssueKey => format!("names no issue key ({})", keys.shape()),
            _ => format!(
                "is neither a Conventional Commit nor names an issue key ({})",
                keys.shape()
            ),
        };
        out.push(Finding::error(
            rule::SUBJECT_STYLE,
            format!("commit subject `{}` {what}", excerpt(header)),
            hint,
        ));
        out
    }

    fn check(&self, p: &Parsed<'_>, out: &mut Vec<Finding>) {
        let r = &self.rules;
        let header = p.header.unwrap_or_default();
        let mut emit = |level: RuleSeverity, id: &str, msg: String, hint: String| {
            let sev = match level {
                RuleSeverity::Error => Severity::Error,
                RuleSeverity::Warning => Severity::Warning,
                RuleSeverity::Off => return,
            };
            out.push(Finding::new(id, sev, msg, hint));
        };
        let raw_line =
            |n: usize| p.raw.split('\n').nth(n).map(|l| l.strip_suffix('\r').unwrap_or(l));

        // body-leading-blank: the raw message's second line must be empty.
        if r.body_leading_blank.level != RuleSeverity::Off && p.has_body() {
            let blank = raw_line(1) == Some("");
            if blank != (r.body_leading_blank.when == When::Always) {
                let must =
                    if r.body_leading_blank.when == When::Always { "must" } else { "may not" };
                emit(
                    r.body_leading_blank.level,
                    rule::BODY_LEADING_BLANK,
                    format!("body {must} have leading blank line"),
                    "separate the header from the body with one empty line".into(),
                );
            }
        }
        // body-max-line-length
        if r.body_max_line_length.level != RuleSeverity::Off {
            let max = r.body_max_line_length.max;
            if let Some((n, len)) = long_line(p.body_lines(), max) {
                emit(
                    r.body_max_line_length.level,
                    rule::BODY_MAX_LINE_LENGTH,
                    format!(
                        "body's lines must not be longer than {max} characters (body line {n} has {len})"
                    ),
                    format!("wrap the body at {max} characters (lines with a URL are exempt)"),
                );
            }
        }
        // footer-leading-blank: the raw line before the footer's first line must be empty.
        if r.footer_leading_blank.level != RuleSeverity::Off
            && let Some(first) = p.footer_lines().next()
        {
            let raw: Vec<&str> =
                p.raw.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
            let before = match raw.iter().position(|l| *l == first) {
                Some(0) | None => {
                    // JavaScript's `slice(-1)` / `slice(-2)`: counted from the end.
                    let back = if raw.contains(&first) { 1 } else { 2 };
                    raw.len().checked_sub(back).or(Some(0)).and_then(|i| raw.get(i))
                }
                Some(i) => raw.get(i - 1),
            };
            let blank = before == Some(&"");
            if blank != (r.footer_leading_blank.when == When::Always) {
                let must =
                    if r.footer_leading_blank.when == When::Always { "must" } else { "may not" };
                emit(
                    r.footer_leading_blank.level,
                    rule::FOOTER_LEADING_BLANK,
                    format!("footer {must} have leading blank line (footer starts at `{}`)", excerpt(first)),
                    "put one empty line before the trailers (`Refs: …`, `BREAKING CHANGE: …`); a body line shaped like `Word: text` starts the footer".into(),
                );
            }
        }
        // footer-max-line-length
        if r.footer_max_line_length.level != RuleSeverity::Off {
            let max = r.footer_max_line_length.max;
            if let Some((n, len)) = long_line(p.footer_lines(), max) {
                emit(
                    r.footer_max_line_length.level,
                    rule::FOOTER_MAX_LINE_LENGTH,
                    format!(
                        "footer's lines must not be longer than {max} characters (footer line {n} has {len})"
                    ),
                    format!("wrap the footer at {max} characters (lines with a URL are exempt)"),
                );
            }
        }
        // header-max-length
        if r.header_max_length.level != RuleSeverity::Off {
            let max = r.header_max_length.max;
            let len = utf16_len(header);
            if len > max {
                emit(
                    r.header_max_length.level,
                    rule::HEADER_MAX_LENGTH,
                    format!(
                        "header must not be longer than {max} characters, current length is {len}"
                    ),
                    format!("shorten the first line to {max} characters; put details in the body"),
                );
            }
        }
        // header-trim
        if r.header_trim.level != RuleSeverity::Off {
            let start = header.starts_with(is_js_space);
            let end = header.ends_with(is_js_space);
            let what = match (start, end) {
                (true, true) => Some("must not be surrounded by whitespace"),
                (true, false) => Some("must not start with whitespace"),
                (false, true) => Some("must not end with whitespace"),
                (false, false) => None,
            };
            if let Some(what) = what {
                emit(
                    r.header_trim.level,
                    rule::HEADER_TRIM,
                    format!("header {what}"),
                    "remove the spaces around the first line".into(),
                );
            }
        }
        // subject-case
        if r.subject_case.level != RuleSeverity::Off
            && let Some(subject) = p.subject
            && subject.chars().next().is_some_and(is_cased_letter)
        {
            let rule_cfg = &r.subject_case;
            let input = case_input(subject);
            let matched: Vec<CaseName> =
                rule_cfg.cases.iter().copied().filter(|c| case_matches(&input, *c)).collect();
            let never = rule_cfg.when == When::Never;
            let ok = if never { matched.is_empty() } else { !matched.is_empty() };
            if !ok {
                let listed = if never { &matched } else { &rule_cfg.cases };
                let list: Vec<&str> = listed.iter().map(|c| c.as_str()).collect();
                let not = if never { " not" } else { "" };
                emit(
                    rule_cfg.level,
                    rule::SUBJECT_CASE,
                    format!(
                        "subject must{not} be {} (subject `{}`)",
                        list.join(", "),
                        excerpt(subject)
                    ),
                    if never {
                        "start the subject with a lower-case letter (`add x`, not `Add x`)".into()
                    } else {
                        format!("write the subject in {}", list.join(" or "))
                    },
                );
            }
        }
        // subject-empty
        if r.subject_empty.level != RuleSeverity::Off {
            let not_empty = p.subject.is_some_and(|s| !s.is_empty());
            let never = r.subject_empty.when == When::Never;
            if not_empty != never {
                let must = if never { "may not" } else { "must" };
                emit(
                    r.subject_empty.level,
                    rule::SUBJECT_EMPTY,
                    format!("subject {must} be empty (header `{}`)", excerpt(header)),
                    "write the header as `type(scope): subject`, e.g. `fix(api): handle empty body`".into(),
                );
            }
        }
        // subject-full-stop (judged on the whole header, as commitlint does)
        if r.subject_full_stop.level != RuleSeverity::Off {
            let stop = &r.subject_full_stop.value;
            let colon_at_end = header.find(':').is_some_and(|i| i > 0 && i + 1 == header.len());
            if !colon_at_end {
                let mut has_stop = last_utf16_unit_is(header, stop);
                if header.ends_with("...") {
                    has_stop = false;
                }
                let never = r.subject_full_stop.when == When::Never;
                if has_stop == never {
                    let must = if never { "may not" } else { "must" };
                    emit(
                        r.subject_full_stop.level,
                        rule::SUBJECT_FULL_STOP,
                        format!("subject {must} end with full stop `{stop}`"),
                        if never {
                            format!("remove the trailing `{stop}`")
                        } else {
                            format!("end the subject with `{stop}`")
                        },
                    );
                }
            }
        }
        // type-case
        if r.type_case.level != RuleSeverity::Off
            && let Some(kind) = p.kind.filter(|k| !k.is_empty())
        {
            let rule_cfg = &r.type_case;
            let input = case_input(kind);
            let matched: Vec<CaseName> =
                rule_cfg.cases.iter().copied().filter(|c| case_matches(&input, *c)).collect();
            let never = rule_cfg.when == When::Never;
            let ok = if never { matched.is_empty() } else { !matched.is_empty() };
            if !ok {
                let listed = if never { &matched } else { &rule_cfg.cases };
                let list: Vec<&str> = listed.iter().map(|c| c.as_str()).collect();
                let not = if never { " not" } else { "" };
                emit(
                    rule_cfg.level,
                    rule::TYPE_CASE,
                    format!("type must{not} be {} (type `{kind}`)", list.join(", ")),
                    format!("write the type as `{}`", kind.to_lowercase()),
                );
            }
        }
        // type-empty
        if r.type_empty.level != RuleSeverity::Off {
            let not_empty = p.kind.is_some_and(|s| !s.is_empty());
            let never = r.type_empty.when == When::Never;
            if not_empty != never {
                let must = if never { "may not" } else { "must" };
                emit(
                    r.type_empty.level,
                    rule::TYPE_EMPTY,
                    format!("type {must} be empty (header `{}`)", excerpt(header)),
                    format!(
                        "start the header with a type: one of {}",
                        r.type_enum.values.join(", ")
                    ),
                );
            }
        }
        // type-enum
        if r.type_enum.level != RuleSeverity::Off
            && let Some(kind) = p.kind.filter(|k| !k.is_empty())
        {
            let listed = r.type_enum.values.iter().any(|v| v == kind);
            let never = r.type_enum.when == When::Never;
            if listed == never {
                let not = if never { " not" } else { "" };
                let hint = match plasma_config::did_you_mean(
                    kind,
                    &r.type_enum.values.iter().map(String::as_str).collect::<Vec<_>>(),
                ) {
                    Some(best) if !never => format!("did you mean `{best}`?"),
                    _ => format!("use one of {}", r.type_enum.values.join(", ")),
                };
                emit(
                    r.type_enum.level,
                    rule::TYPE_ENUM,
                    format!(
                        "type must{not} be one of [{}] (type `{kind}`)",
                        r.type_enum.values.join(", ")
                    ),
                    hint,
                );
            }
        }
    }
}

/// A short, single-line excerpt of untrusted text for a message.
fn excerpt(s: &str) -> String {
    let mut out: String =
        s.chars().take(60).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if s.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

/// JavaScript's `String.prototype.length`.
pub(crate) fn utf16_len(s: &str) -> usize {
    if s.is_ascii() { s.len() } else { s.chars().map(char::len_utf16).sum() }
}

/// First line (1-based) longer than `max` that holds no URL, with its length.
fn long_line<'a>(lines: impl Iterator<Item = &'a str>, max: usize) -> Option<(usize, usize)> {
    lines.enumerate().find_map(|(i, l)| {
        // Cheap check first: a line of at most `max` bytes has at most `max` UTF-16 units.
        if l.len() <= max {
            return None;
        }
        let len = utf16_len(l);
        (len > max && !has_url(l)).then_some((i + 1, len))
    })
}

/// commitlint's URL exemption: `\bhttps?:\/\/\S+`.
fn has_url(line: &str) -> bool {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(i) = line[from..].find("http").map(|i| i + from) {
        let boundary = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        let rest = &line[i + 4..];
        let rest = rest.strip_prefix('s').unwrap_or(rest);
        if boundary
            && let Some(after) = rest.strip_prefix("://")
            && after.chars().next().is_some_and(|c| !is_js_space(c))
        {
            return true;
        }
        from = i + 4;
    }
    false
}

/// Whether the header's last UTF-16 code unit is `stop` (a one-unit string).
fn last_utf16_unit_is(header: &str, stop: &str) -> bool {
    let mut it = stop.chars();
    match (it.next(), it.next(), header.chars().last()) {
        (Some(s), None, Some(last)) => s.len_utf16() == 1 && last == s,
        _ => false,
    }
}

/// `/^[\p{Ll}\p{Lu}\p{Lt}]/iu`: a letter with case. Rust's `is_lowercase`/`is_uppercase` also
/// accept `Other_Lowercase`/`Other_Uppercase` characters that are not letters of those categories
/// (`ª`, modifier letters, Roman numerals, circled letters), which commitlint does not judge.
fn is_cased_letter(c: char) -> bool {
    ((c.is_lowercase() || c.is_uppercase()) && !is_other_cased(c)) || is_titlecase(c)
}

/// Unicode's `Other_Lowercase` and `Other_Uppercase` characters (Unicode 16).
fn is_other_cased(c: char) -> bool {
    matches!(c,
        '\u{AA}' | '\u{BA}' | '\u{2B0}'..='\u{2B8}' | '\u{2C0}'..='\u{2C1}' | '\u{2E0}'..='\u{2E4}'
        | '\u{345}' | '\u{37A}' | '\u{10FC}' | '\u{1D2C}'..='\u{1D6A}' | '\u{1D78}'
        | '\u{1D9B}'..='\u{1DBF}' | '\u{2071}' | '\u{207F}' | '\u{2090}'..='\u{209C}'
        | '\u{2160}'..='\u{217F}' | '\u{24B6}'..='\u{24E9}' | '\u{2C7C}'..='\u{2C7D}'
        | '\u{A69C}'..='\u{A69D}' | '\u{A770}' | '\u{A7F2}'..='\u{A7F4}' | '\u{A7F8}'..='\u{A7F9}'
        | '\u{AB5C}'..='\u{AB5F}' | '\u{AB69}' | '\u{10780}' | '\u{10783}'..='\u{10785}'
        | '\u{10787}'..='\u{107B0}' | '\u{107B2}'..='\u{107BA}' | '\u{1E030}'..='\u{1E06D}'
        | '\u{1F130}'..='\u{1F149}' | '\u{1F150}'..='\u{1F169}' | '\u{1F170}'..='\u{1F189}')
}

fn is_titlecase(c: char) -> bool {
    matches!(c, '\u{01C5}' | '\u{01C8}' | '\u{01CB}' | '\u{01F2}' | '\u{1F88}'..='\u{1F8F}' | '\u{1F98}'..='\u{1F9F}' | '\u{1FA8}'..='\u{1FAF}' | '\u{1FBC}' | '\u{1FCC}' | '\u{1FFC}')
}

/// `@commitlint/ensure`'s `case`: quoted parts removed, trimmed, then compared with its
/// conversion; an empty result or one starting with a digit counts as matching.
#[cfg(test)]
fn ensure_case(raw: &str, case: CaseName) -> bool {
    case_matches(&case_input(raw), case)
}

/// What `ensure_case` compares: quoted parts removed, JavaScript-trimmed.
fn case_input(raw: &str) -> std::borrow::Cow<'_, str> {
    match strip_quoted(raw) {
        std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.trim_matches(is_js_space)),
        std::borrow::Cow::Owned(s) => {
            std::borrow::Cow::Owned(s.trim_matches(is_js_space).to_string())
        }
    }
}

/// [`ensure_case`] on an input already prepared by [`case_input`].
fn case_matches(input: &str, case: CaseName) -> bool {
    if let Some(answer) = case_fast(input, case) {
        return answer;
    }
    let transformed = to_case(input, case);
    if transformed.is_empty() || transformed.starts_with(|c: char| c.is_ascii_digit()) {
        return true;
    }
    transformed == input
}

/// [`ensure_case`] without converting, for the common inputs; `None` when only the conversion
/// can tell. Proof sketch for the letter case: every conversion but lower-case starts its result
/// with the upper-case form of the input's first letter (the first word starts there), so a
/// first letter that upper-casing changes makes the result differ from the input, and the
/// result starts with a letter, never empty or a digit.
fn case_fast(input: &str, case: CaseName) -> Option<bool> {
    let Some(first) = input.chars().next() else {
        return Some(true); // every conversion of "" is "", which counts as matching
    };
    if input.is_ascii() && matches!(case, CaseName::LowerCase | CaseName::UpperCase) {
        if first.is_ascii_digit() {
            return Some(true);
        }
        let wrong = |b: &u8| {
            if case == CaseName::LowerCase {
                b.is_ascii_uppercase()
            } else {
                b.is_ascii_lowercase()
            }
        };
        return Some(!input.as_bytes().iter().any(wrong));
    }
    if first.is_ascii_lowercase() && case != CaseName::LowerCase {
        return Some(false);
    }
    if first.is_ascii_uppercase() && case == CaseName::SentenceCase {
        return Some(true); // upperFirst leaves the input as it is
    }
    None
}

/// Removes `` `…` ``, `"…"` and `'…'` spans (not crossing a line terminator), left to right.
fn strip_quoted(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['`', '"', '\'']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['`', '"', '\'']) {
        out.push_str(&rest[..i]);
        let q = rest.as_bytes()[i] as char;
        let after = &rest[i + 1..];
        let close = after.find(|c: char| c == q || is_js_line_terminator(c));
        match close {
            Some(j) if after[j..].starts_with(q) => rest = &after[j + 1..],
            _ => {
                out.push(q);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// `@commitlint/ensure`'s `toCase` for the cases we support.
fn to_case(input: &str, case: CaseName) -> String {
    match case {
        CaseName::LowerCase => input.to_lowercase(),
        CaseName::UpperCase => input.to_uppercase(),
        CaseName::SentenceCase => upper_first(input),
        CaseName::StartCase => {
            let normalized = normalize_for_case(input);
            let ws = words(&normalized);
            let mut out = String::with_capacity(input.len());
            for w in ws {
                if !out.is_empty() {
                    out.push(' ');
                }
                let mut cs = w.chars();
                if let Some(f) = cs.next() {
                    out.extend(f.to_uppercase());
                    out.push_str(cs.as_str());
                }
            }
            out
        }
        CaseName::PascalCase => {
            let normalized = normalize_for_case(input);
            let ws = words(&normalized);
            let mut out = String::with_capacity(input.len());
            for w in &ws {
                let mut cs = w.chars();
                if let Some(f) = cs.next() {
                    // camelCase lower-cases the first word, capitalises the others; upperFirst
                    // then capitalises the first letter.
                    out.extend(f.to_uppercase());
                    out.push_str(&cs.as_str().to_lowercase());
                }
            }
            out
        }
    }
}

/// JavaScript `upperFirst`: upper-cases the first UTF-16 unit (an astral character is a lone
/// surrogate there, which has no case).
fn upper_first(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(f) if f.len_utf16() == 1 => {
            let mut out: String = f.to_uppercase().collect();
            out.push_str(cs.as_str());
            out
        }
        _ => s.to_string(),
    }
}

/// es-toolkit's `normalizeForCase`: apostrophes dropped.
fn normalize_for_case(s: &str) -> String {
    s.replace(['\'', '\u{2019}'], "")
}

/// Word split of es-toolkit's `words`: `\p{Lu}?\p{Ll}+ | [0-9]+ | \p{Lu}+(?!\p{Ll}) | \p{L}+`.
fn words(s: &str) -> Vec<&str> {
    let cs: Vec<(usize, char)> = s.char_indices().collect();
    let end_of = |k: usize| cs.get(k).map_or(s.len(), |(i, _)| *i);
    let mut out = Vec::new();
    let mut k = 0;
    while k < cs.len() {
        let c = cs[k].1;
        let start = cs[k].0;
        let mut j = k;
        if c.is_uppercase() && cs.get(k + 1).is_some_and(|(_, d)| d.is_lowercase()) {
            j = k + 1;
            while cs.get(j).is_some_and(|(_, d)| d.is_lowercase()) {
                j += 1;
            }
        } else if c.is_lowercase() {
            while cs.get(j).is_some_and(|(_, d)| d.is_lowercase()) {
                j += 1;
            }
        } else if c.is_ascii_digit() {
            while cs.get(j).is_some_and(|(_, d)| d.is_ascii_digit()) {
                j += 1;
            }
        } else if c.is_uppercase() {
            // `\p{Lu}+(?!\p{Ll})`: a run of capitals, giving back the last one when a lower-case
            // letter follows (it starts the next word).
            while cs.get(j).is_some_and(|(_, d)| d.is_uppercase()) {
                j += 1;
            }
            if cs.get(j).is_some_and(|(_, d)| d.is_lowercase()) && j - k > 1 {
                j -= 1;
            }
        } else if c.is_alphabetic() {
            while cs.get(j).is_some_and(|(_, d)| d.is_alphabetic()) {
                j += 1;
            }
        } else {
            k += 1;
            continue;
        }
        out.push(&s[start..end_of(j)]);
        k = j;
    }
    out
}

/// commitlint's default ignores (`@commitlint/is-ignored`), on the message without trailing
/// whitespace.
fn is_default_ignored(m: &str) -> bool {
    // Patterns with the `m` flag look at every line; lines end at any JavaScript line terminator.
    // They all start with `Merge`, so only lines starting with it are looked at.
    for (i, _) in m.match_indices('M') {
        if !m[i..].starts_with("Merge") {
            continue;
        }
        let at_line_start = m[..i].chars().next_back().is_none_or(is_js_line_terminator);
        if !at_line_start {
            continue;
        }
        let line = m[i..].split(is_js_line_terminator).next().unwrap_or_default();
        if line.starts_with("Merge pull request")
            || line.starts_with("Merge branch ")
            || line.starts_with("Merge tag ")
            || line.strip_prefix("Merge ").is_some_and(|r| r.contains(" into "))
        {
            return true;
        }
    }
    let first_js_line = m.split(is_js_line_terminator).next().unwrap_or_default();
    if m.starts_with("Revert ")
        || m.starts_with("revert ")
        || m.starts_with("Reapply ")
        || m.starts_with("reapply ")
        || m.starts_with("amend!")
        || m.starts_with("fixup!")
        || m.starts_with("squash!")
        || m.starts_with("Merge remote-tracking branch")
        || m.starts_with("Automatic merge")
    {
        return true;
    }
    if let Some(r) = first_js_line.strip_prefix("Merged ")
        && (r.contains("in ")
            || r.contains("into ")
            || r.starts_with("PR ") && r[3..].contains(": "))
    {
        return true;
    }
    if let Some(r) = first_js_line.strip_prefix("Auto-merged ")
        && r.contains(" into ")
    {
        return true;
    }
    is_version_bump(m)
}

/// `isSemver`: the first line, without `chore(scope):` and one `[skip ci]`/`(skip ci)` marker,
/// is a valid semantic version (node-semver accepts a leading `v`).
fn is_version_bump(m: &str) -> bool {
    let first = m.split('\n').next().unwrap_or_default();
    let mut s = first;
    if let Some(r) = s.strip_prefix("chore") {
        if let Some(r) = r.strip_prefix(':') {
            s = r;
        } else if let Some(r) = r.strip_prefix('(')
            && let Some(close) = r.find(')')
            && close > 0
            && let Some(r2) = r[close + 1..].strip_prefix(':')
        {
            s = r2;
        }
    }
    // Cheap rejection: a version (possibly after a skip-ci marker) starts with a digit or `v`.
    if !s
        .trim_start_matches(is_js_space)
        .starts_with(|c: char| c.is_ascii_digit() || matches!(c, 'v' | '[' | '('))
    {
        return false;
    }
    let s = remove_skip_ci(s, '[', ']');
    let s = remove_skip_ci(&s, '(', ')');
    let s = s.trim_matches(is_js_space);
    let s = s.strip_prefix('v').unwrap_or(s);
    // node-semver also refuses numbers above JavaScript's MAX_SAFE_INTEGER.
    const MAX_SAFE: u64 = (1 << 53) - 1;
    s.len() <= 256
        && semver::Version::parse(s)
            .is_ok_and(|v| v.major <= MAX_SAFE && v.minor <= MAX_SAFE && v.patch <= MAX_SAFE)
}

/// Removes the first `[skip ci]`, `[ci skip]`, `[skip-ci]`, `[ci-skip]` (any letter case; with
/// the given brackets).
fn remove_skip_ci(s: &str, open: char, close: char) -> String {
    let lower = s.to_ascii_lowercase();
    for (i, _) in lower.match_indices(open) {
        let inner = &lower[i + 1..];
        for a in ["skip", "ci"] {
            for b in ["ci", "skip"] {
                for sep in ['-', ' ', '\t'] {
                    let pat_len = a.len() + 1 + b.len();
                    if inner.len() > pat_len
                        && inner.starts_with(a)
                        && inner[a.len()..].starts_with(sep)
                        && inner[a.len() + 1..].starts_with(b)
                        && inner[pat_len..].starts_with(close)
                    {
                        return format!("{}{}", &s[..i], &s[i + 1 + pat_len + 1..]);
                    }
                }
            }
        }
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lint(m: &str) -> Vec<String> {
        let l = CommitLinter::new(&CommitMessagesConfig::default());
        let mut v: Vec<String> =
            l.lint(m).into_iter().map(|f| format!("{}:{}", f.rule, f.severity.as_str())).collect();
        v.sort();
        v
    }

    #[test]
    fn each_rule_with_its_level() {
        let long = "x".repeat(101);
        let cases: Vec<(String, Vec<&str>)> = vec![
            ("feat: add x".into(), vec![]),
            ("feat(scope): add x\n\nbody\n\nRefs: #1".into(), vec![]),
            ("feat: add x\nbody".into(), vec!["body-leading-blank:warning"]),
            (format!("feat: add x\n\n{long}"), vec!["body-max-line-length:error"]),
            (format!("feat: add x\n\nsee https://example.com/{long}"), vec![]),
            ("feat: add x\n\nbody\nRefs: #1".into(), vec!["footer-leading-blank:warning"]),
            (format!("feat: add x\n\nRefs: #1 {long}"), vec!["footer-max-line-length:error"]),
            (format!("feat: {long}"), vec!["header-max-length:error"]),
            ("feat: add x ".into(), vec!["header-trim:error"]),
            (
                " feat: add x".into(),
                vec!["header-trim:error", "subject-empty:error", "type-empty:error"],
            ),
            ("feat: Add x".into(), vec!["subject-case:error"]),
            ("feat: ADD X".into(), vec!["subject-case:error"]),
            ("feat: add X Y".into(), vec![]),
            ("feat: v2 support".into(), vec![]),
            ("feat: 2FA support".into(), vec![]),
            ("feat: `Foo` support".into(), vec![]),
            ("feat: ".into(), vec!["header-trim:error", "subject-empty:error"]),
            ("feat: add x.".into(), vec!["subject-full-stop:error"]),
            ("feat: add x...".into(), vec![]),
            // Edge cases checked against commitlint 21.2.4 (benches/commitlint-compare.sh).
            ("feat: ªx".into(), vec![]),
            ("feat: ĸx".into(), vec!["subject-case:error"]),
            ("feat: Ädd x".into(), vec!["subject-case:error"]),
            ("feat: don't Panic".into(), vec![]),
            ("1Abc: y".into(), vec!["type-enum:error"]),
            ("fix: see:".into(), vec![]),
            ("feat(a)!: b): c".into(), vec![]),
            ("\nfeat: x\n\nbody".into(), vec!["body-leading-blank:warning"]),
            (
                "Refs: #1\n\nRefs: #1".into(),
                vec!["footer-leading-blank:warning", "type-case:error", "type-enum:error"],
            ),
            ("feat: x\n\nbody\nFixes #".into(), vec![]),
            ("feat: x\n\nbody\nsee:  ".into(), vec!["footer-leading-blank:warning"]),
            ("feat: x\u{2028}y".into(), vec!["subject-empty:error", "type-empty:error"]),
            ("Feat: add x".into(), vec!["type-case:error", "type-enum:error"]),
            ("add x".into(), vec!["subject-empty:error", "type-empty:error"]),
            ("feature: add x".into(), vec!["type-enum:error"]),
            (
                "WIP.".into(),
                vec!["subject-empty:error", "subject-full-stop:error", "type-empty:error"],
            ),
        ];
        for (m, want) in cases {
            assert_eq!(lint(&m), want, "{m:?}");
        }
    }

    #[test]
    fn default_ignores_skip_every_rule() {
        for m in [
            "Merge pull request #1 from a/b",
            "Merge branch 'main' into feature",
            "Merge tag 'v1.0.0'",
            "Revert \"feat: Add x\"\n\nThis reverts commit abc.",
            "revert Something",
            "Reapply \"X\"",
            "fixup! Feat: X",
            "squash! x",
            "amend! x",
            "1.2.3",
            "v1.2.3",
            "chore: 1.2.3",
            "chore(release): v1.2.3-rc.1 [skip ci]",
            "Merged PR 12: Something",
            "Merged x into y",
            "Merge remote-tracking branch 'origin/main'",
            "Automatic merge from x",
            "Auto-merged a into b",
            "Body first\n\nMerge branch 'x'",
        ] {
            assert_eq!(lint(m), Vec::<String>::new(), "{m:?}");
        }
        // `revert:` is a type, not an ignored revert.
        assert_eq!(lint("revert: Undo x"), vec!["subject-case:error"]);
        // Not a version, so it is linted like any other message.
        assert_eq!(lint("chore: Bump to 1.2"), vec!["subject-case:error"]);
    }

    #[test]
    fn empty_messages_are_skipped_and_rules_can_be_switched_off() {
        assert!(lint("").is_empty());
        assert!(lint("\n\n").is_empty());
        let mut cfg = CommitMessagesConfig::default();
        cfg.rules.subject_case.level = RuleSeverity::Off;
        cfg.rules.type_enum.level = RuleSeverity::Warning;
        let l = CommitLinter::new(&cfg);
        let f = l.lint("feature: Add x");
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].rule.as_str(), f[0].severity), ("type-enum", Severity::Warning));
        assert!(f[0].message.contains("`feature`"), "{}", f[0].message);
    }

    #[test]
    fn configured_ignores_and_invalid_patterns() {
        let cfg =
            CommitMessagesConfig { ignores: vec!["^WIP".into(), "(".into()], ..Default::default() };
        let l = CommitLinter::new(&cfg);
        let f = l.lint("WIP stuff");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, rule::IGNORES_CONFIG);
        assert!(f[0].message.contains("ignores[1]"));
    }

    #[test]
    fn lengths_are_utf16_units() {
        // 50 astral characters are 100 UTF-16 units: allowed; 51 are not.
        let ok = format!("feat: {}", "😀".repeat(47));
        assert_eq!(utf16_len(&ok), 100);
        assert!(lint(&ok).is_empty());
        let long = format!("feat: {}", "😀".repeat(48));
        assert_eq!(lint(&long), vec!["header-max-length:error"]);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn lint_never_panics(s in "\\PC*") {
                let _ = CommitLinter::new(&CommitMessagesConfig::default()).lint(&s);
            }

            #[test]
            fn lint_never_panics_on_message_shapes(s in "([A-Za-z]{0,5}(\\([^\\n]{0,8}\\))?!?: ?[^\\n]{0,30}|\\r|\\n|\\u{2028}|BREAKING CHANGE: |Refs #1|Merge |gpg: |v1.2.3|https://x|[ :#*!.`'\"]|ª|ǅ|😀){0,16}") {
                let _ = CommitLinter::new(&CommitMessagesConfig::default()).lint(&s);
            }
        }
    }

    #[test]
    fn styles_for_history() {
        let keys = IssueKeyFormat::new(&plasma_config::IssueKeyConfig::default()).unwrap();
        let with = |style| CommitLinter::new(&CommitMessagesConfig { style, ..Default::default() });
        let rules = |l: &CommitLinter, m: &str| -> Vec<String> {
            l.lint_with_style(m, &keys).into_iter().map(|f| f.rule).collect()
        };
        let either = with(MessageStyle::Either);
        assert!(rules(&either, "[PE-12] Add login page").is_empty());
        assert!(rules(&either, "feat: add login (PE-12)").is_empty());
        assert_eq!(rules(&either, "feat: Add login"), vec!["subject-case"]);
        assert_eq!(rules(&either, "Add login page"), vec![rule::SUBJECT_STYLE]);
        assert!(rules(&either, "Merge branch 'main' into x").is_empty());
        let key = with(MessageStyle::IssueKey);
        assert!(rules(&key, "[PE-12] Add login page").is_empty());
        assert_eq!(rules(&key, "feat: add login"), vec![rule::SUBJECT_STYLE]);
        let f = key.lint_with_style("Add login pe-12", &keys);
        assert!(f[0].hint.contains("PE-12"), "{}", f[0].hint);
        let conv = with(MessageStyle::Conventional);
        assert_eq!(rules(&conv, "[PE-12] Add login page"), vec!["subject-empty", "type-empty"]);
    }

    #[test]
    fn case_helpers() {
        assert!(ensure_case("Add Thing", CaseName::StartCase));
        assert!(!ensure_case("Add thing", CaseName::StartCase));
        assert!(ensure_case("AddThing", CaseName::PascalCase));
        assert!(!ensure_case("addThing", CaseName::PascalCase));
        assert!(ensure_case("ADD", CaseName::UpperCase));
        assert!(ensure_case("\"X\"", CaseName::LowerCase));
        assert_eq!(words("fooBar HTTPServer 42x"), vec!["foo", "Bar", "HTTP", "Server", "42", "x"]);
        assert_eq!(strip_quoted("a `b` \"c\" 'd"), "a   'd");
    }
}
