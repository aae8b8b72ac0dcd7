//! Equivalent spellings of globs that globset 0.4 matches faster.
//!
//! globset picks a strategy per glob from its shape. A plain literal followed by `/**`
//! (`docs/**`, `.github/workflows/**`, every classifier) gets the "prefix" strategy: an
//! Aho-Corasick overlapping search run on every path. With two or more such globs in one set that
//! search costs more than all the other globs together: on shared/bench's 100,440 paths,
//! labels.json's 30 globs go from 3.1M to 5.0M paths/s and the built-in rules from 3.7M to 4.3M
//! when the prefix globs are respelled. Writing the first segment as a one-branch alternation
//! (`{docs}/**`) matches exactly the same paths and moves the glob into the regex set the other
//! globs already share. A single prefix glob is as fast either way, so it is left alone.
//!
//! Only matching speed depends on this: explanations and errors quote the glob as configured.

/// Characters that would make the head of a glob anything but a plain literal, or that mean
/// something inside `{...}` (`,`).
const NOT_PLAIN: &[char] = &['*', '?', '[', ']', '{', '}', '\\', ',', '!'];

/// Whether globset would give `glob` its literal-prefix strategy (`literal/**`).
pub(super) fn is_literal_prefix(glob: &str) -> bool {
    glob.strip_suffix("/**")
        .is_some_and(|head| !head.is_empty() && !head.starts_with('/') && !head.contains(NOT_PLAIN))
}

/// `{first}/rest/**` for a literal-prefix glob `first/rest/**`; `None` for any other glob.
pub(super) fn as_alternation(glob: &str) -> Option<String> {
    if !is_literal_prefix(glob) {
        return None;
    }
    let (first, rest) = glob.split_once('/')?;
    Some(format!("{{{first}}}/{rest}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use globset::{GlobBuilder, GlobMatcher};
    use proptest::prelude::*;

    fn matcher(glob: &str) -> GlobMatcher {
        GlobBuilder::new(glob).literal_separator(true).build().unwrap().compile_matcher()
    }

    #[test]
    fn respells_only_literal_prefixes() {
        let table: &[(&str, Option<&str>)] = &[
            ("docs/**", Some("{docs}/**")),
            (".github/workflows/**", Some("{.github}/workflows/**")),
            ("services/api/**", Some("{services}/api/**")),
            ("**/helm/**", None),
            ("docs/*", None),
            ("docs/**/*.md", None),
            ("docs", None),
            ("/**", None),
            ("**", None),
            ("/docs/**", None),
            ("a,b/**", None),
            ("src/[[]x[]]/**", None),
            ("a\\*/**", None),
        ];
        for (glob, want) in table {
            assert_eq!(as_alternation(glob).as_deref(), *want, "{glob}");
        }
    }

    #[test]
    fn respelled_globs_match_the_same_paths() {
        let paths = [
            "docs",
            "docs/",
            "docs/a",
            "docs/a/b.md",
            "docsx/a",
            "a/docs/b",
            ".github/workflows/ci.yml",
        ];
        for glob in ["docs/**", ".github/workflows/**", "docs/a/**"] {
            let (a, b) = (matcher(glob), matcher(&as_alternation(glob).unwrap()));
            for p in paths {
                assert_eq!(a.is_match(p), b.is_match(p), "{glob} on {p}");
            }
        }
    }

    proptest! {
        #[test]
        fn respelling_never_changes_what_matches(
            head in "[a-z.é _-]{1,4}(/[a-z.é _-]{0,4}){0,2}",
            path in "[a-z.é _/-]{0,16}",
        ) {
            let glob = format!("{head}/**");
            if let Some(respelled) = as_alternation(&glob) {
                let original = matcher(&glob);
                let respelled = matcher(&respelled);
                prop_assert_eq!(original.is_match(&path), respelled.is_match(&path));
                // Paths under the prefix are the ones that matter most; try one for sure.
                let inside = format!("{head}/{path}");
                prop_assert_eq!(original.is_match(&inside), respelled.is_match(&inside));
            }
        }

        #[test]
        fn respelling_never_panics(glob in "\\PC{0,30}") {
            let _ = as_alternation(&glob);
        }
    }
}
