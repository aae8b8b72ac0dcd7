//! Templates with placeholders (`{repo}/{issue_key}-{slug}`) compiled into bounded regular
//! expressions.
//!
//! Templates come from the configuration of untrusted repositories, so compiling one must never be
//! a way to make the service slow or large: templates are limited to [`MAX_PATTERN_LEN`] bytes,
//! the compiled automaton to [`REGEX_SIZE_LIMIT`] bytes and nesting to [`REGEX_NEST_LIMIT`], and we
//! use the `regex` crate, whose matching time is linear in the input (it never backtracks).
//!
//! Syntax: `{name}` is a placeholder; `{{` and `}}` are a literal brace; everything else is
//! literal text (regex metacharacters included). Each rule says which placeholders it accepts and
//! which are required; an unknown, repeated or missing placeholder is a [`PatternError`].

use std::fmt;

use regex::{Regex, RegexBuilder};

/// Longest accepted template or glob, in bytes.
pub const MAX_PATTERN_LEN: usize = 1_000;

/// Upper bound on the size of a compiled regular expression, in bytes. Our fragments are small;
/// this only stops pathological input from allocating without bound.
pub const REGEX_SIZE_LIMIT: usize = 512 * 1024;

/// Upper bound on the nesting depth of a compiled regular expression.
pub const REGEX_NEST_LIMIT: u32 = 32;

/// A configured pattern that cannot be used, with where it was configured and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PatternError {
    /// Configuration path of the pattern, e.g. `branches.feature`.
    pub key: String,
    /// The pattern as configured.
    pub pattern: String,
    /// What is wrong with it and what to do instead.
    pub reason: String,
}

impl PatternError {
    /// An error for the pattern configured at `key`.
    pub fn new(key: &str, pattern: &str, reason: impl Into<String>) -> Self {
        PatternError { key: key.to_string(), pattern: pattern.to_string(), reason: reason.into() }
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid pattern `{}` at `{}` in the plasma-ops configuration: {}",
            excerpt(&self.pattern),
            self.key,
            self.reason
        )
    }
}

/// The pattern as shown in messages: escaped (it may hold control characters) and shortened, so
/// a 1 MB pattern does not become a 1 MB log line.
pub(crate) fn excerpt(pattern: &str) -> String {
    const SHOWN: usize = 80;
    let mut out: String = pattern.chars().take(SHOWN).flat_map(char::escape_debug).collect();
    if pattern.chars().nth(SHOWN).is_some() {
        out.push('…');
    }
    out
}

/// One placeholder a rule accepts, with the regular expressions it expands to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placeholder<'a> {
    /// Name written between braces, e.g. `issue_key`.
    pub name: &'a str,
    /// Regular expression of a valid value; must not contain capture groups.
    pub strict: &'a str,
    /// Regular expression of anything that might have been meant as a value, used to diagnose
    /// near misses; must not contain capture groups.
    pub lenient: &'a str,
    /// Whether every template for this rule must contain the placeholder.
    pub required: bool,
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Literal text, braces already unescaped.
    Literal(String),
    /// A placeholder, by name.
    Placeholder(String),
}

/// A parsed, validated template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    key: String,
    source: String,
    segments: Vec<Segment>,
}

impl Template {
    /// Parses `source`, configured at `key`, accepting only the given placeholders and requiring
    /// the required ones exactly once.
    pub fn parse(
        key: &str,
        source: &str,
        placeholders: &[Placeholder<'_>],
    ) -> Result<Self, PatternError> {
        let error = |reason: String| PatternError::new(key, source, reason);
        check_length(key, source)?;
        let allowed = || {
            placeholders.iter().map(|p| format!("`{{{}}}`", p.name)).collect::<Vec<_>>().join(", ")
        };

        let mut segments: Vec<Segment> = Vec::new();
        let mut literal = String::new();
        let mut chars = source.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let rest = &source[at + 1..];
                    let Some(len) = rest.find('}') else {
                        return Err(error(format!(
                            "`{{` at byte {at} is never closed; write a placeholder such as \
                             {} or `{{{{` for a literal brace",
                            allowed()
                        )));
                    };
                    let name = &rest[..len];
                    // Skip the name and the closing brace.
                    for _ in 0..=name.chars().count() {
                        chars.next();
                    }
                    if !placeholders.iter().any(|p| p.name == name) {
                        // A typo (`{isue_key}`) is the usual cause; name the likely fix first.
                        let closest = placeholders
                            .iter()
                            .map(|p| (strsim::levenshtein(p.name, name), p.name))
                            .filter(|(distance, _)| *distance <= 2)
                            .min();
                        let did_you_mean = closest
                            .map(|(_, n)| format!("did you mean `{{{n}}}`? "))
                            .unwrap_or_default();
                        return Err(error(format!(
                            "unknown placeholder `{{{}}}`; {did_you_mean}the placeholders of \
                             `{key}` are {} (write `{{{{` and `}}}}` for literal braces)",
                            excerpt(name),
                            allowed()
                        )));
                    }
                    let seen = segments.iter().any(|s| *s == Segment::Placeholder(name.into()));
                    if seen {
                        return Err(error(format!(
                            "placeholder `{{{name}}}` appears more than once; use it once"
                        )));
                    }
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                    }
                    segments.push(Segment::Placeholder(name.to_string()));
                }
                '}' => {
                    return Err(error(format!(
                        "`}}` at byte {at} closes nothing; write `}}}}` for a literal brace"
                    )));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        let template = Template { key: key.to_string(), source: source.to_string(), segments };
        if let Some(missing) = placeholders.iter().find(|p| p.required && !template.has(p.name)) {
            return Err(error(format!("the pattern must contain `{{{}}}`; add it", missing.name)));
        }
        Ok(template)
    }

    /// Configuration path the template came from.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The template as configured.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed pieces, adjacent literals merged.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Whether the template contains placeholder `name`.
    pub fn has(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.segments.iter().position(|s| matches!(s, Segment::Placeholder(n) if n == name))
    }

    /// The literal text directly before placeholder `name` (empty if none).
    pub fn literal_before(&self, name: &str) -> &str {
        match self.position(name).and_then(|i| i.checked_sub(1)).map(|i| &self.segments[i]) {
            Some(Segment::Literal(text)) => text,
            _ => "",
        }
    }

    /// The literal text directly after placeholder `name` (empty if none).
    pub fn literal_after(&self, name: &str) -> &str {
        match self.position(name).and_then(|i| self.segments.get(i + 1)) {
            Some(Segment::Literal(text)) => text,
            _ => "",
        }
    }

    /// Whether no other placeholder comes before placeholder `name`.
    pub fn is_first(&self, name: &str) -> bool {
        self.position(name)
            .is_some_and(|i| self.segments[..i].iter().all(|s| matches!(s, Segment::Literal(_))))
    }

    /// Whether no other placeholder comes after placeholder `name`.
    pub fn is_last(&self, name: &str) -> bool {
        self.position(name).is_some_and(|i| {
            self.segments[i + 1..].iter().all(|s| matches!(s, Segment::Literal(_)))
        })
    }

    /// The literal text the template starts with (empty if it starts with a placeholder).
    pub fn leading_literal(&self) -> &str {
        match self.segments.first() {
            Some(Segment::Literal(text)) => text,
            _ => "",
        }
    }

    /// The template with each placeholder replaced by `value(name)`.
    pub fn render(&self, value: impl Fn(&str) -> String) -> String {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(text) => text.clone(),
                Segment::Placeholder(name) => value(name),
            })
            .collect()
    }

    /// The anchored regular expression of values the template accepts; each placeholder is a
    /// named capture group.
    pub fn regex(&self, placeholders: &[Placeholder<'_>]) -> Result<Regex, PatternError> {
        let mut source = String::from("^(?:");
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => source.push_str(&regex::escape(text)),
                Segment::Placeholder(name) => {
                    let fragment = self.fragment(placeholders, name, |p| p.strict)?;
                    source.push_str(&format!("(?P<{name}>{fragment})"));
                }
            }
        }
        source.push_str(")$");
        bounded_regex(&self.key, &self.source, &source)
    }

    /// An anchored regular expression of near misses: literal letters match in any case, the
    /// word separators `-`, `_` and space stand for one another and may be missing, and
    /// placeholders use their lenient fragments. Segment `i` is capture group `i + 1`; with
    /// `trailing`, a last group captures whatever follows a complete match.
    pub fn lenient_regex(
        &self,
        placeholders: &[Placeholder<'_>],
        trailing: bool,
    ) -> Result<Regex, PatternError> {
        let mut source = String::from("(?s)^");
        for segment in &self.segments {
            source.push('(');
            match segment {
                Segment::Literal(text) => {
                    for c in text.chars() {
                        match c {
                            '-' | '_' | ' ' => source.push_str("[-_ ]?"),
                            c if c.is_ascii_alphabetic() => {
                                source.push_str("(?i:");
                                source.push(c);
                                source.push(')');
                            }
                            c => source.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
                        }
                    }
                }
                Segment::Placeholder(name) => {
                    source.push_str("(?:");
                    source.push_str(self.fragment(placeholders, name, |p| p.lenient)?);
                    source.push(')');
                }
            }
            source.push(')');
        }
        if trailing {
            source.push_str("(.+)");
        }
        source.push('$');
        bounded_regex(&self.key, &self.source, &source)
    }

    fn fragment<'p>(
        &self,
        placeholders: &[Placeholder<'p>],
        name: &str,
        pick: impl Fn(&Placeholder<'p>) -> &'p str,
    ) -> Result<&'p str, PatternError> {
        placeholders.iter().find(|p| p.name == name).map(pick).ok_or_else(|| {
            PatternError::new(
                &self.key,
                &self.source,
                format!("placeholder `{{{name}}}` is not available here; remove it"),
            )
        })
    }
}

/// A template together with its strict regular expression.
#[derive(Debug, Clone)]
pub struct CompiledTemplate {
    template: Template,
    regex: Regex,
}

impl CompiledTemplate {
    /// Parses and compiles `source`, configured at `key`.
    pub fn new(
        key: &str,
        source: &str,
        placeholders: &[Placeholder<'_>],
    ) -> Result<Self, PatternError> {
        let template = Template::parse(key, source, placeholders)?;
        let regex = template.regex(placeholders)?;
        Ok(CompiledTemplate { template, regex })
    }

    /// The parsed template.
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// The anchored regular expression; placeholders are named groups.
    pub fn regex(&self) -> &Regex {
        &self.regex
    }

    /// The values of the placeholders if `text` matches the whole template.
    pub fn captures<'t>(&self, text: &'t str) -> Option<regex::Captures<'t>> {
        self.regex.captures(text)
    }

    /// Whether `text` matches the whole template.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// Rejects patterns over [`MAX_PATTERN_LEN`] bytes.
pub fn check_length(key: &str, pattern: &str) -> Result<(), PatternError> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(PatternError::new(
            key,
            pattern,
            format!(
                "it is {} bytes long, the limit is {MAX_PATTERN_LEN}; shorten it",
                pattern.len()
            ),
        ));
    }
    Ok(())
}

/// Compiles `regex_source` (built from the pattern configured at `key`) with bounded size and
/// nesting, turning failures into a [`PatternError`] about the configured pattern.
pub fn bounded_regex(key: &str, pattern: &str, regex_source: &str) -> Result<Regex, PatternError> {
    RegexBuilder::new(regex_source)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .map_err(|e| {
            let reason = match e {
                regex::Error::CompiledTooBig(limit) => format!(
                    "it compiles to a matcher larger than {limit} bytes; use a shorter, \
                     simpler pattern"
                ),
                // Only reachable through a bug in a fragment (literals are escaped), but the
                // message still has to be useful.
                other => format!("it cannot be compiled ({other}); simplify it"),
            };
            PatternError::new(key, pattern, reason)
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const WORD: Placeholder<'static> =
        Placeholder { name: "word", strict: "[a-z]+", lenient: ".*?", required: true };
    const NUM: Placeholder<'static> =
        Placeholder { name: "num", strict: "[0-9]+", lenient: ".*?", required: false };
    const PLACEHOLDERS: &[Placeholder<'static>] = &[WORD, NUM];

    fn compile(source: &str) -> Result<CompiledTemplate, PatternError> {
        CompiledTemplate::new("test.pattern", source, PLACEHOLDERS)
    }

    #[test]
    fn literals_are_escaped() {
        let t = compile("a.b+[{word}](x)*").unwrap();
        assert!(t.is_match("a.b+[abc](x)*"));
        assert!(!t.is_match("aXbb[abc](x)"));
        assert_eq!(t.captures("a.b+[abc](x)*").unwrap()["word"].to_string(), "abc");
    }

    #[test]
    fn doubled_braces_are_literal() {
        let t = compile("{{{word}}}").unwrap();
        assert!(t.is_match("{abc}"));
        assert_eq!(
            t.template().segments(),
            &[
                Segment::Literal("{".into()),
                Segment::Placeholder("word".into()),
                Segment::Literal("}".into())
            ]
        );
        assert_eq!(t.template().render(|n| n.to_uppercase()), "{WORD}");
    }

    #[test]
    fn match_is_anchored() {
        let t = compile("x-{word}").unwrap();
        assert!(!t.is_match("yx-abc"));
        assert!(!t.is_match("x-abc\n"));
        assert!(!t.is_match("x-abc1"));
    }

    #[test]
    fn errors() {
        let long = format!("{{word}}{}", "a".repeat(MAX_PATTERN_LEN));
        let cases: &[(&str, &str)] = &[
            ("{nope}-{word}", "unknown placeholder `{nope}`"),
            ("{}{word}", "unknown placeholder `{}`"),
            ("{word", "is never closed"),
            ("{word}}", "`}` at byte 6 closes nothing"),
            ("a}{word}", "`}` at byte 1 closes nothing"),
            ("{word}-{word}", "appears more than once"),
            ("{num}", "must contain `{word}`"),
            ("", "must contain `{word}`"),
            (&long, "the limit is 1000"),
        ];
        for (source, expected) in cases {
            let err = compile(source).unwrap_err();
            assert_eq!(err.key, "test.pattern");
            assert_eq!(err.pattern, *source);
            assert!(err.reason.contains(expected), "{source}: {}", err.reason);
            let shown = err.to_string();
            assert!(shown.contains("`test.pattern`"), "{shown}");
            assert!(shown.len() < 600, "display is bounded: {shown}");
        }
    }

    #[test]
    fn unknown_placeholder_suggests_the_closest() {
        let err = compile("{wrod}").unwrap_err();
        assert!(err.reason.contains("did you mean `{word}`?"), "{}", err.reason);
        let err = compile("{something}").unwrap_err();
        assert!(!err.reason.contains("did you mean"), "{}", err.reason);
    }

    #[test]
    fn unknown_placeholder_lists_the_allowed_ones() {
        let err = compile("{repo}").unwrap_err();
        assert!(err.reason.contains("`{word}`, `{num}`"), "{}", err.reason);
    }

    #[test]
    fn display_escapes_and_shortens() {
        let err = PatternError::new("k", &format!("a\nb{}", "c".repeat(200)), "r");
        let shown = err.to_string();
        assert!(shown.contains("a\\nb"), "{shown}");
        assert!(shown.contains('…'));
        assert!(!shown.contains('\n'));
    }

    #[test]
    fn size_limit_is_enforced() {
        let err = bounded_regex("k", "p", "(?:\\w{100}){100}").unwrap_err();
        assert!(err.reason.contains("larger than"), "{}", err.reason);
        let err =
            bounded_regex("k", "p", &format!("{}a{}", "(".repeat(40), ")".repeat(40))).unwrap_err();
        assert!(err.reason.contains("cannot be compiled"), "{}", err.reason);
    }

    #[test]
    fn neighbours() {
        let t = Template::parse("k", "[{word}] {num}!", PLACEHOLDERS).unwrap();
        assert_eq!(t.literal_before("word"), "[");
        assert_eq!(t.literal_after("word"), "] ");
        assert_eq!(t.literal_after("num"), "!");
        assert_eq!(t.literal_before("missing"), "");
        assert!(t.is_first("word") && !t.is_last("word"));
        assert!(t.is_last("num") && !t.is_first("num"));
        assert_eq!(t.leading_literal(), "[");
    }

    #[test]
    fn lenient_regex_groups_segments() {
        let t = Template::parse("k", "Rel-{word}", PLACEHOLDERS).unwrap();
        let lenient = t.lenient_regex(PLACEHOLDERS, false).unwrap();
        let caps = lenient.captures("rEL_abc").unwrap();
        assert_eq!(&caps[1], "rEL_");
        assert_eq!(&caps[2], "abc");
        let caps = lenient.captures("relabc").unwrap();
        assert_eq!(&caps[1], "rel");
        let digits = [Placeholder { lenient: "[0-9]+", ..NUM }];
        let trailing =
            Template::parse("k", "x/{num}", &digits).unwrap().lenient_regex(&digits, true).unwrap();
        let caps = trailing.captures("x/12-more").unwrap();
        assert_eq!((&caps[2], &caps[3]), ("12", "-more"));
    }

    proptest! {
        #[test]
        fn compile_never_panics_and_is_deterministic(source in ".{0,64}") {
            let a = compile(&source).map(|t| t.template().clone());
            let b = compile(&source).map(|t| t.template().clone());
            prop_assert_eq!(a, b);
        }

        #[test]
        fn brace_heavy_input_never_panics(source in "[{}a-z_]{0,32}") {
            if let Ok(t) = compile(&source) {
                // A parsed template renders back to text its own regex accepts.
                let rendered = t.template().render(|n| if n == "word" { "ab".into() } else { "1".into() });
                prop_assert!(t.is_match(&rendered));
            }
        }

        #[test]
        fn literal_text_round_trips(literal in "[^{}]{0,40}") {
            let t = compile(&format!("{literal}{{word}}")).unwrap();
            let text = format!("{literal}abc");
            prop_assert!(t.is_match(&text));
        }
    }
}
