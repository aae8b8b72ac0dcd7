//! A cheap look at a configuration file before the YAML parser sees it.
//!
//! `yaml_serde` refuses documents nested deeper than 128 levels, but only after its parser
//! (libyaml's algorithm) has read the whole document, and that parser slows down quadratically
//! with the depth of flow collections: 10,000 nested `[` (20 KB) took 12 s in a debug build
//! here, so a file under our size cap could hold a worker for minutes. One linear pass counts how
//! deep `[` and `{` nest outside quotes and comments and refuses the file, with the position
//! where the limit was crossed, before parsing.

/// How deep flow collections (`[...]`, `{...}`) may nest. Our configuration needs 3.
pub const MAX_FLOW_DEPTH: usize = 32;

/// How far a line may be indented. Our configuration needs 8 columns; deep block nesting costs
/// the parser the same way deep flow nesting does.
pub const MAX_INDENT: usize = 200;

/// Where the file nests too deeply: 1-based line and column, and what was too deep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, for the error message.
    pub message: String,
}

/// Checks flow nesting and indentation in one pass over `text`.
pub fn check_depth(text: &str) -> Result<(), TooDeep> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum In {
        Plain,
        Single,
        Double,
        Comment,
    }
    let mut state = In::Plain;
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut column = 0usize;
    let mut indent = 0usize;
    let mut at_line_start = true;
    let mut prev = '\n';
    // The last character other than a space on this line ('\n' at its start): a quote opens a
    // quoted scalar only where a scalar can start, as in `don't` it does not.
    let mut last_sig = '\n';
    let mut escaped = false;
    for c in text.chars() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
            indent = 0;
            at_line_start = true;
            if state == In::Comment {
                state = In::Plain;
            }
            prev = c;
            last_sig = c;
            continue;
        }
        if at_line_start {
            if c == ' ' {
                indent += 1;
                if indent > MAX_INDENT {
                    return Err(TooDeep {
                        line,
                        column,
                        message: format!(
                            "the line is indented more than {MAX_INDENT} columns; the \
                             configuration needs a handful of levels"
                        ),
                    });
                }
            } else {
                at_line_start = false;
            }
        }
        match state {
            In::Comment => {}
            In::Single => {
                // `''` inside a single-quoted scalar is a quote; leaving and re-entering is the
                // same thing for counting purposes.
                if c == '\'' {
                    state = In::Plain;
                }
            }
            In::Double => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    state = In::Plain;
                }
            }
            In::Plain => match c {
                '#' if prev.is_whitespace() => state = In::Comment,
                '\'' | '"' if matches!(last_sig, '\n' | ':' | '-' | '[' | '{' | ',' | '?') => {
                    state = if c == '"' { In::Double } else { In::Single };
                }
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Err(TooDeep {
                            line,
                            column,
                            message: format!(
                                "`[` and `{{` nest more than {MAX_FLOW_DEPTH} deep here; the \
                                 configuration needs 3 (quote the value if the brackets are text)"
                            ),
                        });
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        prev = c;
        if !c.is_whitespace() {
            last_sig = c;
        }
    }
    Ok(())
}

/// Where the first alias (`*name`) is, 1-based: `yaml_serde` reports an alias bomb
/// ("repetition limit exceeded") without a position, and this is the place to look.
pub fn first_alias(text: &str) -> Option<(usize, usize)> {
    for (i, line) in text.lines().enumerate() {
        let mut prev = ' ';
        for (col, c) in line.chars().enumerate() {
            if c == '#' && prev.is_whitespace() {
                break;
            }
            if prev == '*' && (c.is_alphanumeric() || c == '_') {
                // `prev` is the star; it counts as an alias where a value can start.
                let before = line.chars().nth(col.wrapping_sub(2)).unwrap_or(' ');
                if col < 2 || matches!(before, ' ' | '\t' | '[' | '{' | ',' | ':' | '-') {
                    return Some((i + 1, col));
                }
            }
            prev = c;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_measured_outside_quotes_and_comments() {
        let cases: &[(&str, Option<(usize, usize)>)] = &[
            ("title:\n  pattern: \"[{issue_key}] {summary}\"\n", None),
            ("a: [[[1]], {b: [2]}]\n", None),
            ("a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['\n", None),
            ("a: \"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\n", None),
            ("# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\nb: 1\n", None),
            ("a: don't\nb: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n", Some((2, 36))),
            ("a: 1 # {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\n", None),
            ("x:\n  y: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n", Some((2, 38))),
            (
                "a: {b: {c: {d: {e: {f: {g: {h: {i: {j: {k: {l: {m: {n: {o: {p: {q: {r: {s: {t: {u: {v: {w: {x: {y: {z: {a: {b: {c: {d: {e: {f: {g: {h: 1}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}\n",
                Some((1, 132)),
            ),
        ];
        for (text, want) in cases {
            let got = check_depth(text).err().map(|e| (e.line, e.column));
            assert_eq!(got, *want, "{text:?}");
        }
    }

    #[test]
    fn the_first_alias_is_found() {
        assert_eq!(first_alias("a: &x [1]\nb: [*x, *x]\n"), Some((2, 5)));
        assert_eq!(first_alias("a: '2*3'\nb: *x\n"), Some((2, 4)));
        assert_eq!(first_alias("*x: 1\n"), Some((1, 1)));
        assert_eq!(first_alias("a: 2*x # *y\n"), None);
    }

    #[test]
    fn deep_indentation_is_refused_at_its_line() {
        let text = format!("a:\n{}b: 1\n", " ".repeat(MAX_INDENT + 1));
        let e = check_depth(&text).unwrap_err();
        assert_eq!((e.line, e.column), (2, MAX_INDENT + 1));
        assert!(check_depth(&format!("a:\n{}b: 1\n", " ".repeat(MAX_INDENT))).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_is_linear(text in ".{0,2000}") {
            let _ = check_depth(&text);
        }
    }
}
