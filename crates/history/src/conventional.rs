//! Conventional Commits parsing that agrees with commitlint.
//!
//! commitlint (`@commitlint/parse`, with `@commitlint/config-conventional`'s parser preset
//! `conventional-changelog-conventionalcommits`) reads a message like this, and so do we:
//!
//! - Leading and trailing line breaks are dropped, lines are split at `\n` or `\r\n`, and lines
//!   that start with `gpg:` (after optional whitespace) are ignored.
//! - The first line is the header. It is Conventional when it is `type(scope)!: subject` with
//!   `type` made of ASCII word characters (`[A-Za-z0-9_]`, possibly empty), an optional scope in
//!   parentheses that may contain anything (the scope ends at the *last* `)` that is followed by
//!   `: ` or `!: `), an optional `!`, a colon and exactly one space. The subject is the rest.
//! - The footer starts at the first later line that is a breaking-change note
//!   (`BREAKING CHANGE:` or `BREAKING-CHANGE:`, any letter case, optionally after `* `) or a
//!   git-trailer-like token (`Token: value`, `Token #value`); everything after it is footer. The
//!   lines between header and footer are the body. Body and footer lose leading and trailing
//!   blank lines.
//! - A change is breaking when the header has `!` before the colon or any line after the header
//!   is a breaking-change note.
//!
//! All of this is linear in the message length and allocates one small vector of line ranges.

use std::ops::Range;

/// A Conventional Commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventional<'a> {
    /// The type, e.g. `feat` (never empty).
    pub kind: &'a str,
    /// The scope inside the parentheses, when present and non-empty.
    pub scope: Option<&'a str>,
    /// `!` in the header or a `BREAKING CHANGE:` note.
    pub breaking: bool,
    /// The description after `: ` (never empty).
    pub subject: &'a str,
    /// The body: the original text between header and footer, without surrounding blank lines.
    pub body: Option<&'a str>,
    /// The footers (trailers), in order.
    pub footers: Vec<Footer<'a>>,
}

/// One footer, `Token: value` or `Token #value`; a value may continue over several lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer<'a> {
    /// The token, e.g. `Refs`, `BREAKING CHANGE`.
    pub token: &'a str,
    /// The value after `: ` (or from `#` on for `Token #value`), continuation lines included.
    pub value: &'a str,
}

impl Footer<'_> {
    /// Whether this footer is a breaking-change note.
    pub fn is_breaking(&self) -> bool {
        is_breaking_keyword(self.token)
    }
}

/// Parses `message` as a Conventional Commit; `None` when its header is not one (no type, no
/// `: `, or an empty subject).
pub fn parse(message: &str) -> Option<Conventional<'_>> {
    let p = Parsed::new(message);
    let kind = p.kind.filter(|k| !k.is_empty())?;
    let subject = p.subject.filter(|s| !s.is_empty())?;
    let body = p.body.clone().map(|r| &message[p.text_of(r)]);
    Some(Conventional {
        kind,
        scope: p.scope,
        breaking: p.breaking,
        subject,
        body,
        footers: p.footers(),
    })
}

/// A message read the way commitlint reads it, before any rule runs. Field names follow
/// conventional-commits-parser; `None` is its `null`.
#[derive(Debug, Clone)]
pub struct Parsed<'a> {
    /// The whole message as given.
    pub raw: &'a str,
    /// The lines that count, as byte ranges of `raw` (line breaks excluded).
    lines: Vec<Range<usize>>,
    /// First line.
    pub header: Option<&'a str>,
    /// Type, when the header matched (possibly empty).
    pub kind: Option<&'a str>,
    /// Scope, when present and non-empty.
    pub scope: Option<&'a str>,
    /// Subject, when the header matched (possibly empty).
    pub subject: Option<&'a str>,
    /// Breaking by header `!` or a note.
    pub breaking: bool,
    /// Indexes into `lines` of the body, without surrounding blank lines; `None` when empty.
    body: Option<Range<usize>>,
    /// Indexes into `lines` of the footer; `None` when there is none.
    footer: Option<Range<usize>>,
}

impl<'a> Parsed<'a> {
    /// Reads `raw`.
    pub fn new(raw: &'a str) -> Self {
        let lines = split_lines(raw);
        let mut p = Parsed {
            raw,
            lines,
            header: None,
            kind: None,
            scope: None,
            subject: None,
            breaking: false,
            body: None,
            footer: None,
        };
        let Some(first) = p.lines.first().cloned() else {
            return p;
        };
        let header = &raw[first];
        p.header = Some(header);
        if let Some(h) = match_header(header) {
            p.kind = Some(h.kind);
            p.scope = h.scope;
            p.subject = Some(h.subject);
            p.breaking = h.breaking;
        }
        let n = p.lines.len();
        let mut footer_start = n;
        for i in 1..n {
            let line = &raw[p.lines[i].clone()];
            let note = is_note(line);
            p.breaking |= note;
            if footer_start == n && (note || is_footer_token(line)) {
                footer_start = i;
                if p.breaking {
                    break;
                }
            }
        }
        p.body = p.trimmed(1..footer_start);
        p.footer = p.trimmed(footer_start..n);
        p
    }

    /// Whether there is nothing to lint (commitlint skips such a message).
    pub fn is_empty(&self) -> bool {
        self.header.is_none()
    }

    /// The body's lines.
    pub fn body_lines(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.section_lines(self.body.clone())
    }

    /// The footer's lines.
    pub fn footer_lines(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.section_lines(self.footer.clone())
    }

    /// Whether a body is present.
    pub fn has_body(&self) -> bool {
        self.body.is_some()
    }

    /// Whether a footer is present.
    pub fn has_footer(&self) -> bool {
        self.footer.is_some()
    }

    fn section_lines(&self, r: Option<Range<usize>>) -> impl Iterator<Item = &'a str> + '_ {
        let raw = self.raw;
        r.into_iter().flat_map(move |r| self.lines[r].iter().map(move |l| &raw[l.clone()]))
    }

    /// Byte range of `raw` covering the lines `r`.
    fn text_of(&self, r: Range<usize>) -> Range<usize> {
        match (self.lines.get(r.start), r.end.checked_sub(1).and_then(|e| self.lines.get(e))) {
            (Some(a), Some(b)) => a.start..b.end,
            _ => 0..0,
        }
    }

    /// `r` without blank lines at either end; `None` when nothing is left.
    fn trimmed(&self, mut r: Range<usize>) -> Option<Range<usize>> {
        let blank = |i: usize| self.raw[self.lines[i].clone()].bytes().all(|b| b == b'\r');
        while r.start < r.end && blank(r.start) {
            r.start += 1;
        }
        while r.start < r.end && blank(r.end - 1) {
            r.end -= 1;
        }
        (r.start < r.end).then_some(r)
    }

    /// The footer's trailers, continuation lines joined into the value before them.
    pub fn footers(&self) -> Vec<Footer<'a>> {
        let mut out: Vec<Footer<'a>> = Vec::new();
        let Some(r) = self.footer.clone() else {
            return out;
        };
        let raw = self.raw;
        let mut current: Option<(usize, Range<usize>)> = None; // (index in out, value bytes)
        for l in &self.lines[r] {
            let line = &raw[l.clone()];
            if let Some((tok, val)) = split_trailer(line) {
                if let Some((i, v)) = current.take() {
                    out[i].value = &raw[v];
                }
                let tok_start = l.start + (tok.as_ptr() as usize - line.as_ptr() as usize);
                let val_start = l.start + (val.as_ptr() as usize - line.as_ptr() as usize);
                out.push(Footer { token: &raw[tok_start..tok_start + tok.len()], value: val });
                current = Some((out.len() - 1, val_start..l.end));
            } else if let Some((_, v)) = current.as_mut()
                && !line.is_empty()
            {
                v.end = l.end;
            }
        }
        if let Some((i, v)) = current {
            out[i].value = raw[v].trim_end_matches(['\r', '\n']);
        }
        out
    }
}

/// Lines of `raw` as commitlint's parser sees them: surrounding line breaks dropped, split at
/// `\n` / `\r\n`, `gpg:` lines removed.
fn split_lines(raw: &str) -> Vec<Range<usize>> {
    let start = raw.find(|c| c != '\r' && c != '\n');
    let Some(start) = start else {
        return Vec::new();
    };
    let end = raw.trim_end_matches(['\r', '\n']).len();
    let mut lines = Vec::with_capacity(8);
    let mut pos = start;
    let text = &raw[..end];
    loop {
        let (line_end, next) = match text[pos..].find('\n') {
            Some(i) => (pos + i, Some(pos + i + 1)),
            None => (end, None),
        };
        let line_end = if line_end > pos && text.as_bytes()[line_end - 1] == b'\r' && next.is_some()
        {
            line_end - 1
        } else {
            line_end
        };
        if !is_gpg_line(&text[pos..line_end]) {
            lines.push(pos..line_end);
        }
        match next {
            Some(n) => pos = n,
            None => break,
        }
    }
    lines
}

fn is_gpg_line(line: &str) -> bool {
    line.trim_start_matches(is_js_space).starts_with("gpg:")
}

/// JavaScript's `\s` (and `String.prototype.trim`'s whitespace).
pub(crate) fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// JavaScript's line terminators, which `.` does not match.
pub(crate) fn is_js_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

struct Header<'a> {
    kind: &'a str,
    scope: Option<&'a str>,
    subject: &'a str,
    breaking: bool,
}

/// The preset's `breakingHeaderPattern` `^(\w*)(?:\((.*)\))?!: (.*)$`, then its
/// `headerPattern` `^(\w*)(?:\((.*)\))?!?: (.*)$`.
fn match_header(h: &str) -> Option<Header<'_>> {
    if h.contains(is_js_line_terminator) {
        return None;
    }
    let type_end =
        h.bytes().position(|b| !(b.is_ascii_alphanumeric() || b == b'_')).unwrap_or(h.len());
    let kind = &h[..type_end];
    let rest = &h[type_end..];
    if let Some(after_paren) = rest.strip_prefix('(') {
        // `(.*)` is greedy: the scope ends at the last `)` that the rest of the pattern accepts.
        // The breaking pattern is tried first, so any `)!: ` wins over `): `.
        // One backwards pass over the `)`s: the last `)!: ` if any, else the last `): `.
        let mut plain = None;
        let mut found = None;
        for (i, _) in after_paren.rmatch_indices(')') {
            let tail = &after_paren[i + 1..];
            if tail.starts_with("!: ") {
                found = Some((i, 4, true));
                break;
            }
            if plain.is_none() && tail.starts_with(": ") {
                plain = Some((i, 3, false));
            }
        }
        let (i, skip, breaking) = found.or(plain)?;
        let scope = &after_paren[..i];
        return Some(Header {
            kind,
            scope: (!scope.is_empty()).then_some(scope),
            subject: &after_paren[i + skip..],
            breaking,
        });
    }
    if let Some(subject) = rest.strip_prefix("!: ") {
        return Some(Header { kind, scope: None, subject, breaking: true });
    }
    rest.strip_prefix(": ").map(|subject| Header { kind, scope: None, subject, breaking: false })
}

fn is_breaking_keyword(token: &str) -> bool {
    token.eq_ignore_ascii_case("BREAKING CHANGE") || token.eq_ignore_ascii_case("BREAKING-CHANGE")
}

/// The parser's notes pattern: `^(?:\*\s+)?(BREAKING CHANGE|BREAKING-CHANGE):\s*(.*)`, `i`.
fn note_split(line: &str) -> Option<(&str, &str)> {
    let mut rest = line;
    if let Some(r) = rest.strip_prefix('*') {
        let trimmed = r.trim_start_matches(is_js_space);
        if trimmed.len() == r.len() {
            return None;
        }
        rest = trimmed;
    }
    let kw = rest.get(..15)?;
    if !is_breaking_keyword(kw) {
        return None;
    }
    let value = rest[15..].strip_prefix(':')?;
    Some((kw, value.trim_start_matches(is_js_space)))
}

fn is_note(line: &str) -> bool {
    note_split(line).is_some()
}

/// The parser's footer-token pattern `^(?:BREAKING CHANGE|[\w-]+)(?::\s+|\s+(?:#)).+`, `i`.
fn is_footer_token(line: &str) -> bool {
    token_split(line).is_some()
}

/// Token and value of a trailer line (`value` starts after `: ` or at the `#`).
fn token_split(line: &str) -> Option<(&str, &str)> {
    let tok_len = match line.get(..15) {
        Some(k)
            if k.eq_ignore_ascii_case("BREAKING CHANGE") && token_tail(&line[15..]).is_some() =>
        {
            15
        }
        _ => line
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
            .unwrap_or(line.len()),
    };
    if tok_len == 0 {
        return None;
    }
    let value = token_tail(&line[tok_len..])?;
    Some((&line[..tok_len], value))
}

/// `:\s+.+` or `\s+#.+` after a token; returns the value.
fn token_tail(rest: &str) -> Option<&str> {
    if let Some(after) = rest.strip_prefix(':') {
        // `\s+` then `.+`: some whitespace, then at least one character that is not a line
        // terminator (which may itself be whitespace).
        let mut chars = after.char_indices();
        let (_, first) = chars.next()?;
        if !is_js_space(first) {
            return None;
        }
        let mut prev_space = true;
        for (_, c) in chars {
            if !prev_space {
                break;
            }
            if !is_js_line_terminator(c) {
                return Some(after.trim_start_matches(is_js_space));
            }
            prev_space = is_js_space(c);
        }
        return None;
    }
    let trimmed = rest.trim_start_matches(is_js_space);
    if trimmed.len() == rest.len() {
        return None;
    }
    let after_hash = trimmed.strip_prefix('#')?;
    after_hash.chars().next().filter(|c| !is_js_line_terminator(*c))?;
    Some(trimmed)
}

/// A trailer line: a breaking-change note or a token.
fn split_trailer(line: &str) -> Option<(&str, &str)> {
    note_split(line).or_else(|| token_split(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_shapes_follow_the_preset_patterns() {
        // (message, kind, scope, subject, breaking); `None` kind = not conventional.
        type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str, bool);
        let cases: &[Case<'_>] = &[
            ("feat: add x", Some("feat"), None, "add x", false),
            ("feat(api): add x", Some("feat"), Some("api"), "add x", false),
            ("feat(api)!: drop x", Some("feat"), Some("api"), "drop x", true),
            ("feat!: drop x", Some("feat"), None, "drop x", true),
            // Greedy scope: ends at the last `): `.
            ("fix(a): b (c): d", Some("fix"), Some("a): b (c"), "d", false),
            ("fix(@angular/cli): x", Some("fix"), Some("@angular/cli"), "x", false),
            ("fix(): x", Some("fix"), None, "x", false),
            ("feat:add x", None, None, "", false),
            ("feat : add x", None, None, "", false),
            ("Merge branch 'x'", None, None, "", false),
            ("feat-x: y", None, None, "", false),
        ];
        for (msg, kind, scope, subject, breaking) in cases {
            let c = parse(msg);
            match kind {
                Some(k) => {
                    let c = c.unwrap_or_else(|| panic!("{msg}"));
                    assert_eq!(
                        (c.kind, c.scope, c.subject, c.breaking),
                        (*k, *scope, *subject, *breaking),
                        "{msg}"
                    );
                }
                None => assert!(c.is_none(), "{msg}"),
            }
        }
    }

    #[test]
    fn empty_type_or_subject_is_not_conventional_but_commitlint_sees_the_parts() {
        assert!(parse(": x").is_none());
        assert!(parse("feat: ").is_none());
        let p = Parsed::new(": x");
        assert_eq!((p.kind, p.subject), (Some(""), Some("x")));
    }

    #[test]
    fn body_and_footers_split_at_the_first_trailer_or_note() {
        let m = "fix: x\n\nbody line\n\nmore body\n\nRefs: #12\nBREAKING CHANGE: the api\n  is gone\nCloses #3\n";
        let c = parse(m).unwrap();
        assert_eq!(c.body, Some("body line\n\nmore body"));
        assert!(c.breaking);
        let f: Vec<_> = c.footers.iter().map(|f| (f.token, f.value)).collect();
        assert_eq!(
            f,
            vec![("Refs", "#12"), ("BREAKING CHANGE", "the api\n  is gone"), ("Closes", "#3")]
        );
        assert!(c.footers[1].is_breaking());
    }

    #[test]
    fn breaking_notes_are_case_insensitive_and_may_be_bulleted() {
        for m in [
            "feat: x\n\nbreaking change: y",
            "feat: x\n\n* BREAKING-CHANGE: y",
            "feat: x\n\nBREAKING CHANGE:y",
        ] {
            assert!(parse(m).unwrap().breaking, "{m}");
        }
        assert!(!parse("feat: x\n\nBREAKING CHANGES: y").unwrap().breaking);
    }

    #[test]
    fn crlf_gpg_lines_and_surrounding_newlines() {
        let c = parse("\n\nfeat: x\r\n\r\ngpg: Signature made\r\nbody\r\n\r\n").unwrap();
        assert_eq!(c.subject, "x");
        assert_eq!(c.body, Some("body"));
        assert!(Parsed::new("\n\r\n").is_empty());
    }

    #[test]
    fn footer_token_needs_a_value() {
        assert!(is_footer_token("Refs: x"));
        assert!(is_footer_token("Refs:  "));
        assert!(!is_footer_token("Refs: "));
        assert!(is_footer_token("Fixes #1"));
        assert!(!is_footer_token("Fixes #"));
        assert!(!is_footer_token("see: "));
        assert!(!is_footer_token("  Refs: x"));
        assert!(!is_footer_token("two words: x"));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(s in "\\PC*") {
                let _ = parse(&s);
                let p = Parsed::new(&s);
                let _ = p.body_lines().count() + p.footer_lines().count() + p.footers().len();
            }

            #[test]
            fn never_panics_on_message_shapes(s in "([a-z]{0,5}(\\([^\\n]{0,8}\\))?!?: ?[^\\n]{0,20}|\\r|\\n|BREAKING CHANGE: |Refs #1|gpg: |[ :#*!]){0,12}") {
                let _ = parse(&s);
                let _ = Parsed::new(&s).footers();
            }

            #[test]
            fn headers_it_built_round_trip(
                kind in "[a-z]{1,8}",
                scope in proptest::option::of("[a-z0-9/@.-]{1,10}"),
                bang in any::<bool>(),
                subject in "[a-zA-Z0-9][^\\n\\r\\u{2028}\\u{2029})]{0,40}",
                body in proptest::option::of("[a-z ]{1,30}"),
            ) {
                let mut m = kind.clone();
                if let Some(s) = &scope { m.push_str(&format!("({s})")); }
                if bang { m.push('!'); }
                m.push_str(": ");
                m.push_str(&subject);
                if let Some(b) = &body { m.push_str("\n\nx"); m.push_str(b); }
                let c = parse(&m).unwrap();
                prop_assert_eq!(c.kind, kind.as_str());
                prop_assert_eq!(c.scope, scope.as_deref());
                prop_assert_eq!(c.subject, subject.as_str());
                prop_assert_eq!(c.breaking, bang);
            }
        }
    }
}
