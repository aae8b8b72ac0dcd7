//! The process's `CURSOR_AGENT_CLASSIFIERS` string: `prefix=label,prefix=label`.
//!
//! The runbook sets this environment variable by hand, so the parser forgives what people type
//! (spaces around items, a trailing comma, `infra` for `agent:infra`, `infra/` for `infra`) and
//! refuses what cannot mean anything, pointing at the entry and column.

use std::fmt;

/// The syntax every classifier error quotes, so the fix is one read away.
pub const CLASSIFIERS_SYNTAX: &str =
    "`prefix=label[,prefix=label...]`, e.g. `infra=agent:infra, services/api=api`";

/// The label namespace classifiers live in; `infra` is short for `agent:infra`.
const AGENT_PREFIX: &str = "agent:";

/// A `CURSOR_AGENT_CLASSIFIERS` entry that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "entry [{index}] at column {column} ({text:?}): {kind}; expected {syntax}",
    syntax = CLASSIFIERS_SYNTAX
)]
pub struct ClassifiersError {
    /// 0-based index of the comma-separated entry, as in `dispatch.classifiers[1]`.
    pub index: usize,
    /// 1-based column (in characters) of the offending text within the whole string.
    pub column: usize,
    /// The offending text (the entry, or the part of it that is wrong).
    pub text: String,
    /// What is wrong with it.
    pub kind: ClassifiersErrorKind,
}

/// What is wrong with a classifier entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassifiersErrorKind {
    /// Two commas in a row (only a trailing comma is tolerated).
    EmptyEntry,
    /// No `=` between prefix and label.
    MissingEquals,
    /// More than one `=` in an entry.
    ExtraEquals,
    /// Nothing (or only `/`) before the `=`.
    EmptyPrefix,
    /// A prefix segment that no repository path has (`a//b`, `.`, `..`).
    BadSegment,
    /// Nothing (or only `agent:`) after the `=`.
    EmptyLabel,
}

impl fmt::Display for ClassifiersErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClassifiersErrorKind::EmptyEntry => "empty entry (two commas in a row)",
            ClassifiersErrorKind::MissingEquals => "missing `=` between prefix and label",
            ClassifiersErrorKind::ExtraEquals => "more than one `=` in the entry",
            ClassifiersErrorKind::EmptyPrefix => "empty path prefix before `=`",
            ClassifiersErrorKind::BadSegment => {
                "path prefix has an empty, `.` or `..` segment, which no repository path has"
            }
            ClassifiersErrorKind::EmptyLabel => "empty label after `=`",
        })
    }
}

/// Parses `prefix=label,prefix=label` into normalised `(prefix, label)` pairs, in order.
///
/// Prefixes lose leading and trailing `/` (`infra/` is `infra`: prefixes match whole path
/// segments from the repository root); labels gain `agent:` when they lack it. An empty or blank
/// string yields no classifiers.
pub fn parse_classifiers(s: &str) -> Result<Vec<(String, String)>, ClassifiersError> {
    let mut out = Vec::new();
    let mut offset = 0usize; // byte offset of the current raw entry within `s`
    let raw_entries: Vec<&str> = s.split(',').collect();
    let last = raw_entries.len().saturating_sub(1);
    for (index, raw) in raw_entries.iter().enumerate() {
        let start = offset;
        offset += raw.len() + 1;
        let lead = raw.len() - raw.trim_start().len();
        let entry = raw.trim();
        let col = |byte: usize| column(s, start + byte);
        if entry.is_empty() {
            // A trailing comma (or a blank variable) is harmless; a hole in the middle is a typo
            // that may have swallowed an entry.
            if index == last {
                continue;
            }
            return Err(ClassifiersError {
                index,
                column: col(lead),
                text: String::new(),
                kind: ClassifiersErrorKind::EmptyEntry,
            });
        }
        let err = |kind, at: usize, text: &str| ClassifiersError {
            index,
            column: col(at),
            text: text.to_string(),
            kind,
        };
        let Some(eq) = entry.find('=') else {
            return Err(err(ClassifiersErrorKind::MissingEquals, lead, entry));
        };
        let (prefix_raw, label_raw) = (&entry[..eq], &entry[eq + 1..]);
        if let Some(second) = label_raw.find('=') {
            return Err(err(ClassifiersErrorKind::ExtraEquals, lead + eq + 1 + second, entry));
        }
        let prefix = prefix_raw.trim().trim_matches('/');
        if prefix.is_empty() {
            return Err(err(ClassifiersErrorKind::EmptyPrefix, lead, entry));
        }
        if prefix.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
            let at = lead + (prefix_raw.len() - prefix_raw.trim_start().len());
            return Err(err(ClassifiersErrorKind::BadSegment, at, prefix_raw.trim()));
        }
        let label = label_raw.trim();
        let name = label.strip_prefix(AGENT_PREFIX).unwrap_or(label);
        if name.trim().is_empty() {
            return Err(err(ClassifiersErrorKind::EmptyLabel, lead + eq + 1, entry));
        }
        out.push((prefix.to_string(), format!("{AGENT_PREFIX}{name}")));
    }
    Ok(out)
}

/// 1-based character column of a byte offset (which always lies on a char boundary here, as it
/// comes from splitting and trimming ASCII).
fn column(s: &str, byte: usize) -> usize {
    s.get(..byte).map_or(byte, |head| head.chars().count()) + 1
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn parses_and_normalises() {
        let table: &[(&str, &[(&str, &str)])] = &[
            ("", &[]),
            ("   ", &[]),
            ("infra=infra", &[("infra", "agent:infra")]),
            ("infra=agent:infra", &[("infra", "agent:infra")]),
            ("infra/=infra", &[("infra", "agent:infra")]),
            ("/infra/=infra", &[("infra", "agent:infra")]),
            (
                " infra = infra , services/api=api,",
                &[("infra", "agent:infra"), ("services/api", "agent:api")],
            ),
            ("a=x,\tb=agent:y ,  ", &[("a", "agent:x"), ("b", "agent:y")]),
            ("my dir=docs team", &[("my dir", "agent:docs team")]),
            ("src/[x]=weird", &[("src/[x]", "agent:weird")]),
        ];
        for (input, want) in table {
            assert_eq!(parse_classifiers(input), Ok(pairs(want)), "input {input:?}");
        }
    }

    #[test]
    fn errors_name_entry_column_and_text() {
        use ClassifiersErrorKind::*;
        let table: &[(&str, usize, usize, &str, ClassifiersErrorKind)] = &[
            ("infra", 0, 1, "infra", MissingEquals),
            ("a=b, infra", 1, 6, "infra", MissingEquals),
            ("a=b,,c=d", 1, 5, "", EmptyEntry),
            ("a=b=c", 0, 4, "a=b=c", ExtraEquals),
            ("=x", 0, 1, "=x", EmptyPrefix),
            ("a=b,  /=x", 1, 7, "/=x", EmptyPrefix),
            ("a//b=x", 0, 1, "a//b", BadSegment),
            ("a=b, ../x=y", 1, 6, "../x", BadSegment),
            ("a=", 0, 3, "a=", EmptyLabel),
            ("a=agent:", 0, 3, "a=agent:", EmptyLabel),
            // Columns count characters, not bytes.
            ("é=x,b", 1, 5, "b", MissingEquals),
        ];
        for &(input, index, column, text, kind) in table {
            let err = parse_classifiers(input).unwrap_err();
            assert_eq!(
                (err.index, err.column, err.text.as_str(), err.kind),
                (index, column, text, kind),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn error_message_says_where_and_how_to_fix() {
        let err = parse_classifiers("infra=infra, docs").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("entry [1]"), "{msg}");
        assert!(msg.contains("column 14"), "{msg}");
        assert!(msg.contains("\"docs\""), "{msg}");
        assert!(msg.contains("prefix=label"), "{msg}");
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = parse_classifiers(&s);
        }

        #[test]
        fn never_panics_on_classifier_like_input(s in "[ a-z/=,:.é\t]{0,40}") {
            if let Err(e) = parse_classifiers(&s) {
                // The column always points inside (or just past) the input.
                prop_assert!(e.column >= 1 && e.column <= s.chars().count() + 1);
            }
        }

        #[test]
        fn output_is_normalised(s in "[ a-z/=,:]{0,40}") {
            if let Ok(v) = parse_classifiers(&s) {
                for (prefix, label) in v {
                    prop_assert!(!prefix.is_empty() && !prefix.starts_with('/') && !prefix.ends_with('/'));
                    prop_assert!(label.starts_with("agent:") && label.len() > "agent:".len());
                }
            }
        }
    }
}
