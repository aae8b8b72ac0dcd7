//! Architecture decision records: a folder (`docs/adr`, `docs/adrs` or `adr`) holding numbered
//! records (`0001-short-title.md`), the process's home for decisions announced in Discussions.

use std::collections::BTreeMap;

use super::Checkout;
use plasma_config::report::RepoFinding;

/// The folders looked at, in order.
pub const DIRS: [&str; 3] = ["docs/adr/", "docs/adrs/", "adr/"];

/// No ADR folder.
pub const MISSING: &str = "adr-missing";
/// A folder without numbered records.
pub const NONE: &str = "adr-none-numbered";
/// Two records with one number.
pub const DUPLICATE: &str = "adr-duplicate-number";

/// The record number of a file name like `0001-title.md` or `ADR-0001-title.md`.
pub fn number(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    let rest = lower.strip_prefix("adr-").unwrap_or(&lower);
    if !(rest.ends_with(".md") || rest.ends_with(".markdown")) {
        return None;
    }
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let sep = rest[digits.len()..].chars().next();
    (digits.len() >= 3 && matches!(sep, Some('-' | '_'))).then(|| digits.parse().ok()).flatten()
}

/// All ADR findings.
pub fn check(checkout: &Checkout) -> Vec<RepoFinding> {
    let Some(dir) = DIRS.iter().copied().find(|d| checkout.paths.iter().any(|p| p.starts_with(d)))
    else {
        return vec![RepoFinding::error(
            MISSING,
            "No ADR folder (`docs/adr/`, `docs/adrs/` or `adr/`), so decisions have no home.",
            "Create `docs/adr/` with `0001-record-architecture-decisions.md` (`plasma-ops audit --fix` writes it).",
        )];
    };
    let mut by_number: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for p in &checkout.paths {
        let Some(name) = p.strip_prefix(dir).filter(|n| !n.contains('/')) else { continue };
        if name.to_ascii_lowercase().contains("template") {
            continue;
        }
        if let Some(n) = number(name) {
            by_number.entry(n).or_default().push(p);
        }
    }
    if by_number.is_empty() {
        return vec![
            RepoFinding::error(
                NONE,
                format!("`{dir}` holds no numbered ADR (`0001-title.md`)."),
                format!(
                    "Record the first decision as `{dir}0001-record-architecture-decisions.md`."
                ),
            )
            .at(dir.trim_end_matches('/')),
        ];
    }
    by_number
        .into_iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(n, files)| {
            RepoFinding::warning(
                DUPLICATE,
                format!(
                    "ADR number {n:04} is used by {}.",
                    files.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" and ")
                ),
                "Renumber the later record; links cite ADRs by number.",
            )
            .at(files[1])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for (n, want) in [
            ("0001-x.md", Some(1)),
            ("ADR-0012-x.md", Some(12)),
            ("012_x.md", Some(12)),
            ("1-x.md", None),
            ("README.md", None),
            ("0001-x.txt", None),
        ] {
            assert_eq!(number(n), want, "{n}");
        }
    }

    #[test]
    fn table() {
        let rules = |files: &[&str]| -> Vec<String> {
            check(&Checkout::from_files(files.iter().map(|f| (*f, ""))))
                .into_iter()
                .map(|f| f.finding.rule)
                .collect()
        };
        assert_eq!(rules(&["src/a.rs"]), vec![MISSING]);
        assert_eq!(rules(&["docs/adr/README.md", "docs/adr/0000-template.md"]), vec![NONE]);
        assert_eq!(rules(&["adr/0001-a.md"]), Vec::<String>::new());
        assert_eq!(rules(&["docs/adrs/0001-a.md", "docs/adrs/0001-b.md"]), vec![DUPLICATE]);
    }
}
