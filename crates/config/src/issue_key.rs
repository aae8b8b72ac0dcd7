//! Issue keys, the `PE-12` that ties a branch, a pull request title and an issue together.
//!
//! A key is `<PREFIX>-<number>`: the configured prefix (default `PE`) exactly as configured, a
//! hyphen, and a positive number without leading zeros (at most 18 digits, so it always fits a
//! `u64`). Being strict means a key parsed from a branch and one parsed from a title compare
//! equal exactly when they are written the same, and `parse(k.to_string()) == k`.
//!
//! [`IssueKeyFormat::find_in`] is the lenient side, for diagnostics only: it also recognises the
//! usual near misses (`pe-12`, `PE12`, `PE 12`, `PE_12`, `PE-012`, `#12`) so a finding can say
//! which key was meant and how to write it.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use regex::Regex;

use crate::IssueKeyConfig;
use crate::pattern::{PatternError, bounded_regex, excerpt};

/// Longest accepted prefix, in characters.
pub const MAX_PREFIX_LEN: usize = 20;

/// Most digits of a key's number; 18 digits always fit a `u64`.
const MAX_DIGITS: usize = 18;

/// An issue key such as `PE-12`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IssueKey {
    /// The prefix, e.g. `PE`.
    pub prefix: String,
    /// The issue number, e.g. `12`.
    pub number: u64,
}

impl IssueKey {
    /// The key `<prefix>-<number>`.
    pub fn new(prefix: impl Into<String>, number: u64) -> Self {
        IssueKey { prefix: prefix.into(), number }
    }

    /// Parses `<PREFIX>-<number>` with any valid prefix (see [`is_valid_prefix`]); use
    /// [`IssueKeyFormat::parse`] to also require the configured prefix.
    pub fn parse(text: &str) -> Result<Self, ParseIssueKeyError> {
        let error = || ParseIssueKeyError { input: text.to_string() };
        let (prefix, digits) = text.rsplit_once('-').ok_or_else(error)?;
        if !is_valid_prefix(prefix) {
            return Err(error());
        }
        let number = parse_number(digits).ok_or_else(error)?;
        Ok(IssueKey::new(prefix, number))
    }
}

impl fmt::Display for IssueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.prefix, self.number)
    }
}

impl FromStr for IssueKey {
    type Err = ParseIssueKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IssueKey::parse(s)
    }
}

/// Text that is not an issue key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{}` is not an issue key: write `<PREFIX>-<number>`, e.g. `PE-12` (uppercase letters, a \
     hyphen, a number without leading zeros)",
    excerpt(input)
)]
pub struct ParseIssueKeyError {
    /// The rejected text.
    pub input: String,
}

/// Whether `prefix` can prefix issue keys: an uppercase ASCII letter followed by uppercase ASCII
/// letters or digits, at most [`MAX_PREFIX_LEN`] characters (Jira-style, `PE`, `ABC`, `OPS2`).
/// Uppercase only, so `pe-12` is always a near miss rather than another team's key; no hyphen, so
/// a key splits unambiguously.
pub fn is_valid_prefix(prefix: &str) -> bool {
    let mut chars = prefix.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && prefix.len() <= MAX_PREFIX_LEN
}

/// A positive number without sign or leading zeros, at most [`MAX_DIGITS`] digits.
fn parse_number(digits: &str) -> Option<u64> {
    let valid = !digits.is_empty()
        && digits.len() <= MAX_DIGITS
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if valid { digits.parse().ok() } else { None }
}

/// The configured key format: recognises keys with the configured prefix.
#[derive(Debug, Clone)]
pub struct IssueKeyFormat {
    prefix: String,
    near_miss: Regex,
}

impl IssueKeyFormat {
    /// The format of `issue_key:`; the prefix comes from an untrusted repository, so it is
    /// validated before it reaches any pattern.
    pub fn new(config: &IssueKeyConfig) -> Result<Self, PatternError> {
        let prefix = config.prefix.as_str();
        if !is_valid_prefix(prefix) {
            return Err(PatternError::new(
                "issue_key.prefix",
                prefix,
                format!(
                    "a prefix is 1 to {MAX_PREFIX_LEN} uppercase ASCII letters or digits, \
                     starting with a letter (e.g. `PE`); no hyphen, it separates the prefix from \
                     the number"
                ),
            ));
        }
        let source = format!(
            r"(?i:{})(?P<sep>[ \t]*[-_:]?[ \t]*)(?P<num>[0-9]+)|#(?P<hash>[0-9]+)",
            regex::escape(prefix)
        );
        let near_miss = bounded_regex("issue_key.prefix", prefix, &source)?;
        Ok(IssueKeyFormat { prefix: prefix.to_string(), near_miss })
    }

    /// The configured prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The key with this prefix and `number`.
    pub fn key(&self, number: u64) -> IssueKey {
        IssueKey::new(self.prefix.clone(), number)
    }

    /// How keys are written, for messages: `PE-<number>`.
    pub fn shape(&self) -> String {
        format!("{}-<number>", self.prefix)
    }

    /// Regular-expression fragment matching exactly the valid keys (no capture groups), for
    /// templates.
    pub fn fragment(&self) -> String {
        format!("{}-[1-9][0-9]{{0,{}}}", regex::escape(&self.prefix), MAX_DIGITS - 1)
    }

    /// Regular-expression fragment matching what [`find_in`](Self::find_in) recognises (no
    /// capture groups), for diagnosing templates.
    pub fn lenient_fragment(&self) -> String {
        format!(r"(?i:{})[ \t]*[-_:]?[ \t]*[0-9]+|#[0-9]+", regex::escape(&self.prefix))
    }

    /// Parses exactly one key with the configured prefix, nothing around it.
    pub fn parse(&self, text: &str) -> Option<IssueKey> {
        let digits = text.strip_prefix(self.prefix.as_str())?.strip_prefix('-')?;
        parse_number(digits).map(|n| self.key(n))
    }

    /// The key in `text`, written correctly or as a near miss; a correct key anywhere wins over
    /// near misses, then a prefixed near miss over `#12`, then the leftmost. Candidates glued to
    /// a preceding letter or digit (`type-12`) are not keys.
    pub fn find_in(&self, text: &str) -> Option<KeyMatch> {
        let mut best: Option<KeyMatch> = None;
        for caps in self.near_miss.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            let before = text[..whole.start()].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            let candidate = if let Some(hash) = caps.name("hash") {
                if before == Some('&') {
                    // `&#12;` is an HTML character reference, not an issue.
                    continue;
                }
                let Some(number) = number_lenient(hash.as_str()) else { continue };
                KeyMatch::new(
                    whole.range(),
                    whole.as_str(),
                    self.key(number),
                    vec![KeyProblem::GithubReference],
                )
            } else {
                let (Some(sep), Some(num)) = (caps.name("sep"), caps.name("num")) else {
                    continue;
                };
                let Some(number) = number_lenient(num.as_str()) else { continue };
                let written_prefix = &text[whole.start()..sep.start()];
                let mut problems = Vec::new();
                if written_prefix != self.prefix {
                    problems.push(KeyProblem::PrefixCase);
                }
                if sep.as_str() != "-" {
                    problems.push(KeyProblem::Separator);
                }
                if num.as_str().starts_with('0') {
                    problems.push(KeyProblem::LeadingZeros);
                }
                KeyMatch::new(whole.range(), whole.as_str(), self.key(number), problems)
            };
            if best.as_ref().is_none_or(|b| candidate.rank() < b.rank()) {
                best = Some(candidate);
            }
            if best.as_ref().is_some_and(KeyMatch::is_exact) {
                break;
            }
        }
        best
    }
}

/// A number as someone might write it: leading zeros allowed, but still positive and bounded.
fn number_lenient(digits: &str) -> Option<u64> {
    parse_number(digits.trim_start_matches('0'))
}

/// A key found in text by [`IssueKeyFormat::find_in`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMatch {
    /// Byte range of the key as written.
    pub range: Range<usize>,
    /// The key as written, e.g. `pe-12`.
    pub found: String,
    /// The key that was meant, e.g. `PE-12`.
    pub key: IssueKey,
    /// How the written key differs from the correct one; empty when it is correct.
    pub problems: Vec<KeyProblem>,
}

/// One way a written key differs from the correct one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyProblem {
    /// The prefix is in the wrong case (`pe-12`).
    PrefixCase,
    /// Prefix and number are not joined by exactly `-` (`PE12`, `PE 12`, `PE_12`).
    Separator,
    /// The number has leading zeros (`PE-012`).
    LeadingZeros,
    /// A GitHub reference (`#12`) instead of a key.
    GithubReference,
}

impl KeyMatch {
    fn new(range: Range<usize>, found: &str, key: IssueKey, problems: Vec<KeyProblem>) -> Self {
        KeyMatch { range, found: found.to_string(), key, problems }
    }

    /// Whether the key was written correctly.
    pub fn is_exact(&self) -> bool {
        self.problems.is_empty()
    }

    fn rank(&self) -> u8 {
        match self.problems.as_slice() {
            [] => 0,
            [KeyProblem::GithubReference] => 2,
            _ => 1,
        }
    }

    /// What is wrong with the written key and how to write it, for a finding's message; empty
    /// when the key is correct.
    pub fn explain(&self) -> String {
        if self.is_exact() {
            return String::new();
        }
        let (found, key, prefix) = (&self.found, &self.key, &self.key.prefix);
        if self.problems.contains(&KeyProblem::GithubReference) {
            return format!(
                "`{found}` is a GitHub reference, not an issue key: write `{key}` if that is the \
                 issue"
            );
        }
        let why: Vec<String> = self
            .problems
            .iter()
            .map(|p| match p {
                KeyProblem::PrefixCase => format!("the prefix is `{prefix}`"),
                KeyProblem::Separator => "prefix and number are joined by `-`".to_string(),
                KeyProblem::LeadingZeros => "the number has no leading zeros".to_string(),
                KeyProblem::GithubReference => String::new(),
            })
            .collect();
        format!("the issue key `{found}` must be written `{key}` ({})", why.join(", "))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn format(prefix: &str) -> IssueKeyFormat {
        IssueKeyFormat::new(&IssueKeyConfig { prefix: prefix.into(), tracker: None }).unwrap()
    }

    #[test]
    fn parse_and_display_round_trip() {
        for text in ["PE-12", "PE-1", "ABC-999", "OPS2-7", "PE-999999999999999999"] {
            let key: IssueKey = text.parse().unwrap();
            assert_eq!(key.to_string(), text);
        }
        assert_eq!(IssueKey::parse("PE-12").unwrap(), IssueKey::new("PE", 12));
    }

    #[test]
    fn parse_rejects() {
        for text in [
            "",
            "PE",
            "PE-",
            "-12",
            "PE12",
            "PE 12",
            "PE-012",
            "PE-0",
            "PE-1x",
            "1E-2",
            "P-E-1",
            "PE--1",
            "PE-+1",
            "PE-1000000000000000000",
            "#12",
            "PÉ-1",
            "pe-12",
            "P_E-1",
        ] {
            let err = IssueKey::parse(text).unwrap_err();
            assert!(err.to_string().contains("is not an issue key"), "{text}");
        }
    }

    #[test]
    fn format_parse_requires_the_configured_prefix() {
        let pe = format("PE");
        assert_eq!(pe.parse("PE-12"), Some(IssueKey::new("PE", 12)));
        for text in ["pe-12", "ABC-12", "PE-012", " PE-12", "PE-12 ", "PE-"] {
            assert_eq!(pe.parse(text), None, "{text}");
        }
        let abc = format("ABC");
        assert_eq!(abc.parse("ABC-7"), Some(IssueKey::new("ABC", 7)));
        assert_eq!(abc.parse("PE-7"), None);
        assert_eq!(abc.shape(), "ABC-<number>");
    }

    #[test]
    fn invalid_prefixes_are_pattern_errors() {
        for prefix in
            ["", "1PE", "P-E", "P E", "PE.", "(", "ÄB", "pe", "Pe", "P_E", &"A".repeat(21)]
        {
            let err = IssueKeyFormat::new(&IssueKeyConfig { prefix: prefix.into(), tracker: None })
                .unwrap_err();
            assert_eq!(err.key, "issue_key.prefix");
            assert!(err.reason.contains("starting with a letter"), "{prefix}");
        }
    }

    #[test]
    fn fragment_matches_exactly_the_valid_keys() {
        let pe = format("PE");
        let re = Regex::new(&format!("^(?:{})$", pe.fragment())).unwrap();
        for text in ["PE-1", "PE-12", "PE-999999999999999999"] {
            assert!(re.is_match(text), "{text}");
            assert!(pe.parse(text).is_some(), "{text}");
        }
        for text in ["PE-0", "PE-012", "pe-1", "PE-1000000000000000000", "PE1"] {
            assert!(!re.is_match(text), "{text}");
            assert!(pe.parse(text).is_none(), "{text}");
        }
    }

    #[test]
    fn find_in_recognises_near_misses() {
        use KeyProblem::*;
        let cases: &[(&str, &str, &str, &[KeyProblem])] = &[
            ("[PE-12] Gateway", "PE-12", "PE-12", &[]),
            ("gateway/PE-12-bootstrap", "PE-12", "PE-12", &[]),
            ("gateway/pe-12-x", "pe-12", "PE-12", &[PrefixCase]),
            ("Pe-12", "Pe-12", "PE-12", &[PrefixCase]),
            ("PE12 Gateway", "PE12", "PE-12", &[Separator]),
            ("PE 12 Gateway", "PE 12", "PE-12", &[Separator]),
            ("feature_PE_12", "PE_12", "PE-12", &[Separator]),
            ("PE - 12", "PE - 12", "PE-12", &[Separator]),
            ("PE: 12", "PE: 12", "PE-12", &[Separator]),
            ("pe12", "pe12", "PE-12", &[PrefixCase, Separator]),
            ("PE-012", "PE-012", "PE-12", &[LeadingZeros]),
            ("Fix #12 now", "#12", "PE-12", &[GithubReference]),
            // A correct key wins over an earlier near miss, a prefixed near miss over `#n`.
            ("#3 pe-4 PE-5", "PE-5", "PE-5", &[]),
            ("#3 pe-4", "pe-4", "PE-4", &[PrefixCase]),
            ("xPE-1 PE-2", "PE-2", "PE-2", &[]),
        ];
        let pe = format("PE");
        for (text, found, key, problems) in cases {
            let m = pe.find_in(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(m.found, *found, "{text}");
            assert_eq!(&text[m.range.clone()], *found, "{text}");
            assert_eq!(m.key.to_string(), *key, "{text}");
            assert_eq!(m.problems, *problems, "{text}");
            assert_eq!(m.is_exact(), problems.is_empty());
        }
    }

    #[test]
    fn find_in_ignores_non_keys() {
        let pe = format("PE");
        for text in [
            "",
            "no key here",
            "type-12",
            "recipe 12",
            "PE-0",
            "PE-",
            "&#12;",
            "a#12",
            "PE-0000",
            "PE-12345678901234567890",
        ] {
            assert_eq!(pe.find_in(text), None, "{text}");
        }
    }

    #[test]
    fn find_in_with_custom_prefix() {
        let abc = format("ABC");
        assert_eq!(abc.find_in("ABC-3 x").unwrap().key, IssueKey::new("ABC", 3));
        let m = abc.find_in("abc 3").unwrap();
        assert_eq!(
            m.explain(),
            "the issue key `abc 3` must be written `ABC-3` (the prefix is `ABC`, prefix and number are joined by `-`)"
        );
        assert_eq!(abc.find_in("PE-3"), None);
    }

    #[test]
    fn explanations() {
        let pe = format("PE");
        assert_eq!(pe.find_in("PE-12").unwrap().explain(), "");
        assert_eq!(
            pe.find_in("pe-12").unwrap().explain(),
            "the issue key `pe-12` must be written `PE-12` (the prefix is `PE`)"
        );
        assert_eq!(
            pe.find_in("PE-012").unwrap().explain(),
            "the issue key `PE-012` must be written `PE-12` (the number has no leading zeros)"
        );
        assert_eq!(
            pe.find_in("#12").unwrap().explain(),
            "`#12` is a GitHub reference, not an issue key: write `PE-12` if that is the issue"
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic_and_are_deterministic(text in "\\PC{0,40}") {
            let pe = format("PE");
            prop_assert_eq!(IssueKey::parse(&text), IssueKey::parse(&text));
            prop_assert_eq!(pe.parse(&text), pe.parse(&text));
            prop_assert_eq!(pe.find_in(&text), pe.find_in(&text));
        }

        #[test]
        fn near_key_text_never_panics(text in "[pPeE#0-9 _:\\-éſK]{0,24}") {
            let pe = format("PE");
            if let Some(m) = pe.find_in(&text) {
                prop_assert!(text.get(m.range.clone()).is_some());
                prop_assert_eq!(pe.parse(&m.key.to_string()), Some(m.key.clone()));
            }
            let _ = IssueKey::parse(&text);
        }

        #[test]
        fn valid_keys_round_trip(prefix in "[A-Z][A-Z0-9]{0,19}", number in 1u64..=999_999_999_999_999_999) {
            let key = IssueKey::new(prefix.clone(), number);
            prop_assert_eq!(IssueKey::parse(&key.to_string()), Ok(key.clone()));
            let fmt = format(&prefix);
            prop_assert_eq!(fmt.parse(&key.to_string()), Some(key.clone()));
            let found = fmt.find_in(&format!("x {key} y")).unwrap();
            prop_assert!(found.is_exact());
            prop_assert_eq!(found.key, key);
        }

        #[test]
        fn any_prefix_config_is_accepted_or_rejected_cleanly(prefix in "\\PC{0,24}") {
            let a = IssueKeyFormat::new(&IssueKeyConfig { prefix: prefix.clone(), tracker: None }).map(|f| f.fragment());
            let b = IssueKeyFormat::new(&IssueKeyConfig { prefix, tracker: None }).map(|f| f.fragment());
            prop_assert_eq!(a, b);
        }
    }
}
