//! CODEOWNERS, by GitHub's documented rules: the first of `.github/CODEOWNERS`, `CODEOWNERS`,
//! `docs/CODEOWNERS` is the one GitHub reads; each line is a gitignore-style pattern followed by
//! owners (`@user`, `@org/team` or an e-mail address); the last matching line wins. GitHub does
//! not support `\#` escapes, `!` negation or `[ ]` character ranges, and silently ignores such
//! lines, so they are errors here.

use std::sync::LazyLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

use super::Checkout;
use plasma_config::report::RepoFinding;

/// Where GitHub looks, in its order.
pub const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// Rule ids.
pub const MISSING: &str = "codeowners-missing";
/// A second CODEOWNERS file GitHub ignores.
pub const SHADOWED: &str = "codeowners-shadowed";
/// A pattern GitHub does not support.
pub const SYNTAX: &str = "codeowners-syntax";
/// An owner that is not `@user`, `@org/team` or an e-mail.
pub const OWNER: &str = "codeowners-owner";
/// Files without an owner.
pub const UNOWNED: &str = "codeowners-unowned";
/// A pattern that matches no file.
pub const UNMATCHED: &str = "codeowners-unmatched";

/// How many unowned paths are listed one by one before they are summarised.
const LIST_LIMIT: usize = 10;

static USER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^@[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$").ok());
static TEAM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^@[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}/[A-Za-z0-9][A-Za-z0-9._-]*$").ok()
});
static EMAIL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[^@\s]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$").ok());

fn is_match(re: &LazyLock<Option<Regex>>, s: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(s))
}

/// Whether `owner` is a syntactically valid CODEOWNERS owner.
pub fn valid_owner(owner: &str) -> bool {
    is_match(&USER, owner) || is_match(&TEAM, owner) || is_match(&EMAIL, owner)
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line.
    pub line: u32,
    /// The pattern as written.
    pub pattern: String,
    /// Owners as written.
    pub owners: Vec<String>,
}

/// Parses `text`, returning the usable entries and the syntax findings for `path`.
pub fn parse(path: &str, text: &str) -> (Vec<Entry>, Vec<RepoFinding>) {
    let mut entries = Vec::new();
    let mut findings = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // An inline comment starts at a `#` that follows whitespace.
        let content = match trimmed.find(" #").or_else(|| trimmed.find("\t#")) {
            Some(i) => trimmed[..i].trim_end(),
            None => trimmed,
        };
        let mut parts = content.split_whitespace();
        let Some(pattern) = parts.next() else { continue };
        let unsupported = if pattern.starts_with("\\#") {
            Some("a `\\#` escape")
        } else if pattern.starts_with('!') {
            Some("`!` negation")
        } else if pattern.contains('[') || pattern.contains(']') {
            Some("a `[ ]` character range")
        } else {
            None
        };
        if let Some(what) = unsupported {
            findings.push(
                RepoFinding::error(
                    SYNTAX,
                    format!(
                        "Pattern `{pattern}` uses {what}, which GitHub's CODEOWNERS does not support; GitHub ignores the whole line."
                    ),
                    "Rewrite the pattern with `*`, `**` and `/` only (list the paths, or use a narrower directory pattern); the last matching line wins, so order lines instead of negating.",
                )
                .at(path)
                .line(line),
            );
            continue;
        }
        let mut owners = Vec::new();
        let mut bad = false;
        for owner in parts {
            if valid_owner(owner) {
                owners.push(owner.to_string());
            } else {
                bad = true;
                findings.push(
                    RepoFinding::error(
                        OWNER,
                        format!(
                            "Owner `{owner}` of `{pattern}` is not `@user`, `@org/team` or an e-mail address; GitHub ignores the whole line."
                        ),
                        "Write owners as `@login`, `@org/team-slug` or `name@example.com`, separated by spaces.",
                    )
                    .at(path)
                    .line(line),
                );
            }
        }
        if !bad {
            entries.push(Entry { line, pattern: pattern.to_string(), owners });
        }
    }
    (entries, findings)
}

/// The globs (matched with `literal_separator`) that a gitignore-style CODEOWNERS pattern means.
pub fn globs(pattern: &str) -> Vec<String> {
    let dir_only = pattern.ends_with('/');
    let body = pattern.trim_end_matches('/');
    let anchored = body.starts_with('/') || body.contains('/');
    let body = body.trim_start_matches('/');
    if body.is_empty() {
        return vec!["**".into()];
    }
    let base =
        if anchored || body.starts_with("**") { body.to_string() } else { format!("**/{body}") };
    if dir_only {
        return vec![format!("{base}/**")];
    }
    // GitHub documents that `docs/*` matches `docs/a.md` but not `docs/b/c.md`.
    if body.ends_with("/*") {
        return vec![base];
    }
    vec![base.clone(), format!("{base}/**")]
}

/// Every line's globs in one set (one pass over each path instead of one per line), and the line
/// each glob belongs to.
struct Compiled {
    entries: Vec<Entry>,
    set: GlobSet,
    entry_of_glob: Vec<usize>,
}

fn compile(path: &str, entries: Vec<Entry>, findings: &mut Vec<RepoFinding>) -> Compiled {
    let mut b = GlobSetBuilder::new();
    let mut kept = Vec::new();
    let mut entry_of_glob = Vec::new();
    for entry in entries {
        let built: Result<Vec<_>, _> = globs(&entry.pattern)
            .iter()
            .map(|g| GlobBuilder::new(g).literal_separator(true).build())
            .collect();
        match built {
            Ok(list) => {
                for glob in list {
                    b.add(glob);
                    entry_of_glob.push(kept.len());
                }
                kept.push(entry);
            }
            Err(e) => findings.push(
                RepoFinding::error(
                    SYNTAX,
                    format!("Pattern `{}` is not a valid pattern: {e}.", entry.pattern),
                    "Use gitignore-style patterns with `*`, `**` and `/`.",
                )
                .at(path)
                .line(entry.line),
            ),
        }
    }
    let set = b.build().unwrap_or_else(|_| GlobSet::empty());
    Compiled { entries: kept, set, entry_of_glob }
}

/// All CODEOWNERS findings for `checkout`.
pub fn check(checkout: &Checkout) -> Vec<RepoFinding> {
    let present: Vec<&str> = LOCATIONS.iter().copied().filter(|p| checkout.has(p)).collect();
    let Some(&path) = present.first() else {
        return vec![RepoFinding::error(
            MISSING,
            "No CODEOWNERS file: branch protection's code-owner review has no one to ask.",
            "Create `.github/CODEOWNERS` with a catch-all line (`* @org/team`) and narrower lines for each domain (`plasma-ops audit --fix` writes a skeleton).",
        )];
    };
    let mut findings: Vec<RepoFinding> = present[1..]
        .iter()
        .map(|other| {
            RepoFinding::warning(
                SHADOWED,
                format!(
                    "`{other}` is ignored: GitHub reads only the first of {} and `{path}` exists.",
                    LOCATIONS.join(", ")
                ),
                format!("Merge its lines into `{path}` and delete `{other}`."),
            )
            .at(*other)
        })
        .collect();
    let Some(text) = checkout.text(path) else { return findings };
    let (entries, syntax) = parse(path, text);
    findings.extend(syntax);
    let rules = compile(path, entries, &mut findings);
    let mut used = vec![false; rules.entries.len()];
    let mut unowned = Vec::new();
    let mut hits = Vec::new();
    for file in &checkout.paths {
        rules.set.matches_into(file.as_str(), &mut hits);
        for g in &hits {
            if let Some(&e) = rules.entry_of_glob.get(*g) {
                used[e] = true;
            }
        }
        if hits.is_empty() {
            unowned.push(file.as_str());
        }
    }
    for (entry, used) in rules.entries.iter().zip(used) {
        if !used {
            findings.push(
                RepoFinding::warning(
                    UNMATCHED,
                    format!("Pattern `{}` matches no file in the repository.", entry.pattern),
                    "Fix the path (patterns are relative to the repository root; a leading `/` anchors them) or delete the line.",
                )
                .at(path)
                .line(entry.line),
            );
        }
    }
    let hint = format!(
        "Add a catch-all `* @org/team` as the first pattern line of `{path}`, or a line for these paths."
    );
    if unowned.len() <= LIST_LIMIT {
        for file in unowned {
            findings.push(
                RepoFinding::error(UNOWNED, format!("`{file}` has no code owner."), hint.clone())
                    .at(path),
            );
        }
    } else {
        let shown = unowned[..LIST_LIMIT].iter().map(|f| format!("`{f}`")).collect::<Vec<_>>();
        findings.push(
            RepoFinding::error(
                UNOWNED,
                format!(
                    "{} files have no code owner, e.g. {} and {} more.",
                    unowned.len(),
                    shown.join(", "),
                    unowned.len() - LIST_LIMIT
                ),
                hint,
            )
            .at(path),
        );
    }
    findings
}

/// Each of `files`' owners as GitHub reads `text` (the CODEOWNERS file at `path`): the owners
/// of the last matching line, `[]` when no line matches (or the line names no owner). Lines
/// GitHub ignores (unsupported syntax, a bad owner) are skipped, as GitHub skips them.
pub fn owners_of<'a>(
    path: &str,
    text: &str,
    files: impl IntoIterator<Item = &'a str>,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let (entries, mut ignored) = parse(path, text);
    let rules = compile(path, entries, &mut ignored);
    let mut hits = Vec::new();
    files
        .into_iter()
        .map(|file| {
            rules.set.matches_into(file, &mut hits);
            let last = hits.iter().filter_map(|g| rules.entry_of_glob.get(*g)).max();
            let owners = last.and_then(|e| rules.entries.get(*e)).map(|e| e.owners.clone());
            (file.to_string(), owners.unwrap_or_default())
        })
        .collect()
}

#[cfg(test)]
mod owners_of_tests {
    use super::*;

    #[test]
    fn the_last_matching_line_wins_and_ignored_lines_do_not_count() {
        let text = "* @org/all\n/infra/ @org/infra ops@example.com\n*.tfvars @alice\n!x.tf @bob\n/empty/\n";
        let got = owners_of(
            ".github/CODEOWNERS",
            text,
            ["infra/main.tf", "infra/prod.tfvars", "x.tf", "app/a.py", "empty/a.tf"],
        );
        let want = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(got["infra/main.tf"], want(&["@org/infra", "ops@example.com"]));
        assert_eq!(got["infra/prod.tfvars"], want(&["@alice"]));
        assert_eq!(got["x.tf"], want(&["@org/all"]));
        assert_eq!(got["empty/a.tf"], want(&[]));
        assert!(owners_of("CODEOWNERS", "/src/ @a\n", ["b.tf"])["b.tf"].is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(findings: &[RepoFinding]) -> Vec<(&str, Option<u32>)> {
        findings.iter().map(|f| (f.finding.rule.as_str(), f.location.line)).collect()
    }

    #[test]
    fn owners_table() {
        for (owner, ok) in [
            ("@octocat", true),
            ("@plasma-engine/platform", true),
            ("@org/team.name_x", true),
            ("dev@example.com", true),
            ("@-bad", false),
            ("@bad-", false),
            ("octocat", false),
            ("@org/", false),
            ("team", false),
            ("@a/b/c", false),
            ("x@localhost", false),
        ] {
            assert_eq!(valid_owner(owner), ok, "{owner}");
        }
    }

    #[test]
    fn globs_table() {
        for (pattern, file, hit) in [
            ("*", "a/b/c.rs", true),
            ("*.js", "src/app.js", true),
            ("*.js", "app.js", true),
            ("/build/logs/", "build/logs/x/y.log", true),
            ("/build/logs/", "a/build/logs/y.log", false),
            ("docs/*", "docs/a.md", true),
            ("docs/*", "docs/b/c.md", false),
            ("apps/", "x/apps/a.rs", true),
            ("/docs/", "docs/a.md", true),
            ("**/logs", "deep/logs/x", true),
            ("/scripts/test", "scripts/test", true),
            ("README.md", "sub/README.md", true),
            ("/README.md", "sub/README.md", false),
        ] {
            let set = {
                let mut b = GlobSetBuilder::new();
                for g in globs(pattern) {
                    b.add(GlobBuilder::new(&g).literal_separator(true).build().unwrap());
                }
                b.build().unwrap()
            };
            assert_eq!(set.is_match(file), hit, "{pattern} vs {file}");
        }
    }

    #[test]
    fn syntax_and_owner_errors_are_located() {
        let text = "# c\n* @org/all\n\\#file @a\n!x @a\n[ab].rs @a\n/src/ @org/team bad-owner\n/src/ @ok # comment\n";
        let (entries, findings) = parse("CODEOWNERS", text);
        assert_eq!(
            rules_of(&findings),
            vec![(SYNTAX, Some(3)), (SYNTAX, Some(4)), (SYNTAX, Some(5)), (OWNER, Some(6))]
        );
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].owners, vec!["@ok"]);
        assert!(findings[3].finding.message.contains("bad-owner"));
    }

    #[test]
    fn missing_shadowed_unowned_and_unmatched() {
        assert_eq!(rules_of(&check(&Checkout::from_files([("a.rs", "")]))), vec![(MISSING, None)]);
        let c = Checkout::from_files([
            ("CODEOWNERS", "/src/ @a\n/nothing/ @b\n"),
            ("docs/CODEOWNERS", "* @c\n"),
            ("src/main.rs", ""),
            ("README.md", ""),
        ]);
        let f = check(&c);
        let rules: Vec<_> =
            f.iter().map(|f| (f.finding.rule.as_str(), f.location.path.as_deref())).collect();
        assert!(rules.contains(&(SHADOWED, Some("docs/CODEOWNERS"))), "{rules:?}");
        assert!(rules.contains(&(UNMATCHED, Some("CODEOWNERS"))), "{rules:?}");
        let unowned: Vec<_> =
            f.iter().filter(|f| f.finding.rule == UNOWNED).map(|f| &f.finding.message).collect();
        assert_eq!(unowned.len(), 3, "{unowned:?}");
    }

    #[test]
    fn many_unowned_paths_are_summarised() {
        let mut files: Vec<(String, String)> =
            (0..25).map(|i| (format!("f{i}.txt"), String::new())).collect();
        files.push((".github/CODEOWNERS".into(), "/src/ @a\n".into()));
        files.push(("src/x".into(), String::new()));
        let f = check(&Checkout::from_files(files));
        let unowned: Vec<_> = f.iter().filter(|f| f.finding.rule == UNOWNED).collect();
        assert_eq!(unowned.len(), 1);
        assert!(
            unowned[0].finding.message.starts_with("26 files have no code owner"),
            "{}",
            unowned[0].finding.message
        );
    }

    #[test]
    fn a_catch_all_owns_everything() {
        let c = Checkout::from_files([(".github/CODEOWNERS", "* @org/t\n"), ("a/b/c", "")]);
        assert!(check(&c).is_empty());
    }

    proptest::proptest! {
        /// Any CODEOWNERS text, against any paths, gives findings and never panics.
        #[test]
        fn arbitrary_codeowners_never_panics(text in "[ -~\n\t]{0,300}", paths in proptest::collection::vec("[a-z./*\\[\\]!#@-]{1,20}", 0..20)) {
            let mut files: Vec<(String, String)> = paths.into_iter().map(|p| (p, String::new())).collect();
            files.push((".github/CODEOWNERS".into(), text));
            let _ = check(&Checkout::from_files(files));
        }
    }
}
