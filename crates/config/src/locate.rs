//! Best-effort location of a key path (`dispatch.rules[2].globs[1]`) in block-style YAML text.
//!
//! Parsing gives us locations for syntax and type errors, but problems found later (a pattern that
//! does not compile) only know their key path. Pointing at the line is worth a small scanner; when
//! the text is written in flow style we return the deepest key we could find.

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let Some(end) = stripped.find(']') else { break };
            if let Ok(n) = stripped[..end].parse() {
                out.push(Seg::Index(n));
            }
            rest = &stripped[end + 1..];
        }
    }
    out
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#') || t == "---"
}

fn key_matches(content: &str, key: &str) -> bool {
    for quoted in [key.to_string(), format!("\"{key}\""), format!("'{key}'")] {
        if let Some(rest) = content.strip_prefix(quoted.as_str())
            && rest.trim_start().starts_with(':')
        {
            return true;
        }
    }
    false
}

/// 1-based (line, column) of the deepest part of `path` found in `text`.
pub(crate) fn locate_key(text: &str, path: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut best = None;
    // Scope: lines after `start` indented deeper than `parent` (None: top level).
    let mut start = 0usize;
    let mut parent: Option<usize> = None;
    // A key that sits on a list item's own line (`- label: x`), at this column.
    let mut inline: Option<(usize, usize)> = None;
    for seg in segments(path) {
        match seg {
            Seg::Key(key) => {
                let mut found = None;
                if let Some((li, col)) = inline.take()
                    && key_matches(&lines[li][col..], key)
                {
                    found = Some((li, col));
                }
                if found.is_none() {
                    for (i, line) in lines.iter().enumerate().skip(start) {
                        if is_blank(line) {
                            continue;
                        }
                        let ind = indent_of(line);
                        if parent.is_some_and(|p| ind <= p) {
                            break;
                        }
                        if key_matches(&line[ind..], key) {
                            found = Some((i, ind));
                            break;
                        }
                    }
                }
                let Some((li, col)) = found else { return best };
                best = Some((li + 1, col + 1));
                start = li + 1;
                parent = Some(col);
            }
            Seg::Index(n) => {
                let mut count = 0usize;
                let mut item_indent = None;
                let mut found = None;
                for (i, line) in lines.iter().enumerate().skip(start) {
                    if is_blank(line) {
                        continue;
                    }
                    let ind = indent_of(line);
                    if parent.is_some_and(|p| ind < p) {
                        break;
                    }
                    if !line[ind..].starts_with("- ") && line[ind..].trim() != "-" {
                        if parent.is_some_and(|p| ind == p) {
                            break;
                        }
                        continue;
                    }
                    if *item_indent.get_or_insert(ind) != ind {
                        continue;
                    }
                    if count == n {
                        found = Some((i, ind));
                        break;
                    }
                    count += 1;
                }
                let (li, col) = match found {
                    Some(f) => f,
                    None => return best,
                };
                best = Some((li + 1, col + 1));
                start = li + 1;
                parent = Some(col);
                let after = lines[li][col + 1..].len() - lines[li][col + 1..].trim_start().len();
                inline = Some((li, col + 1 + after));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::locate_key;

    const TEXT: &str = "\
# comment
branches:
  feature: \"{repo}/x\"
  exempt:
    - renovate/**
    - \"[\"
dispatch:
  rules:
    - label: agent:infra
      globs: [\"**/*.tf\"]
    - label: agent:docs
      globs:
        - \"docs/**\"
        - \"[bad\"
";

    #[test]
    fn finds_keys_items_and_nested_keys() {
        let cases = [
            ("branches", Some((2, 1))),
            ("branches.feature", Some((3, 3))),
            ("branches.exempt[1]", Some((6, 5))),
            ("dispatch.rules[1]", Some((11, 5))),
            ("dispatch.rules[1].label", Some((11, 7))),
            ("dispatch.rules[1].globs[1]", Some((14, 9))),
            ("dispatch.rules[0].globs[0]", Some((10, 7))),
            ("title.pattern", None),
            ("branches.release", Some((2, 1))),
        ];
        for (path, want) in cases {
            assert_eq!(locate_key(TEXT, path), want, "{path}");
        }
    }
}
