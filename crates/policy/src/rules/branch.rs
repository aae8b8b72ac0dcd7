//! The branch-name rule: every head branch is a feature, release or hotfix branch, or exempt.
//!
//! The forms are templates from `branches:` (defaults `{repo}/{issue_key}-{slug}`,
//! `release/{version}`, `hotfix/{issue_key}`). A name is classified in this order: exempt globs
//! (bots' branches are never judged), release, hotfix, feature. A name inside the release or hotfix
//! namespace (the template's leading literal up to its first `/`, e.g. `hotfix/`) is never a
//! feature branch even if it would match the feature form with repository part `hotfix`: a
//! mistaken `hotfix/PE-99-login` is far likelier than a repository called `hotfix`.
//!
//! An invalid name is matched again against a lenient form of each template (any case, any word
//! separator, near-miss keys, `v`-prefixed versions) to say exactly what is wrong and to suggest a
//! corrected name; only suggestions that pass the strict form are offered as such.

use std::ops::Range;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::{Captures, Regex};

use crate::{Finding, rule_id};
use plasma_config::issue_key::{IssueKey, IssueKeyFormat};
use plasma_config::pattern::{
    CompiledTemplate, PatternError, Placeholder, Segment, Template, bounded_regex, check_length,
};
use plasma_config::{BranchesConfig, IssueKeyConfig};

/// Lowercase kebab case, for `{repo}` and `{slug}`.
const KEBAB: &str = "[a-z0-9]+(?:-[a-z0-9]+)*";

/// `{version}`: semver `MAJOR.MINOR.PATCH` with optional pre-release and build, or `MAJOR.MINOR`
/// (the process's `release/1.4`). Numbers have no leading zeros, as semver requires.
const VERSION: &str = concat!(
    r"(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)",
    r"(?:\.(?:0|[1-9][0-9]*)",
    r"(?:-(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)",
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?",
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?",
);

/// Any text, for diagnosing a placeholder's value after the fact.
const ANYTHING: &str = ".*?";

/// What a branch name is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchKind {
    /// A feature branch; `repo` and `slug` are empty when the template has no such placeholder.
    Feature {
        /// The repository part, e.g. `gateway`.
        repo: String,
        /// The issue key, e.g. `PE-12`.
        key: IssueKey,
        /// The description, e.g. `bootstrap-fastapi`.
        slug: String,
    },
    /// A release branch.
    Release {
        /// The version as written, e.g. `1.4.0` or `1.4`.
        version: String,
    },
    /// A hotfix branch.
    Hotfix {
        /// The issue key, e.g. `PE-99`.
        key: IssueKey,
    },
    /// Exempt from naming rules by a glob of `branches.exempt`.
    Exempt {
        /// The first matching glob, as configured.
        glob: String,
    },
    /// None of the above.
    Invalid,
}

/// Which template a name is judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormKind {
    Feature,
    Release,
    Hotfix,
}

impl FormKind {
    fn noun(self) -> &'static str {
        match self {
            FormKind::Feature => "feature",
            FormKind::Release => "release",
            FormKind::Hotfix => "hotfix",
        }
    }
}

/// One compiled form.
#[derive(Debug, Clone)]
struct Form {
    kind: FormKind,
    compiled: CompiledTemplate,
    lenient: Regex,
    lenient_trailing: Regex,
    /// Leading literal up to and including its first `/`, if any (`release/`).
    namespace: Option<String>,
}

impl Form {
    fn new(
        kind: FormKind,
        key: &str,
        source: &str,
        placeholders: &[Placeholder<'_>],
    ) -> Result<Self, PatternError> {
        let compiled = CompiledTemplate::new(key, source, placeholders)?;
        let template = compiled.template();
        let lenient = template.lenient_regex(placeholders, false)?;
        let lenient_trailing = template.lenient_regex(placeholders, true)?;
        let namespace =
            template.leading_literal().find('/').map(|i| template.leading_literal()[..=i].into());
        Ok(Form { kind, compiled, lenient, lenient_trailing, namespace })
    }

    fn template(&self) -> &Template {
        self.compiled.template()
    }

    fn in_namespace(&self, name: &str) -> bool {
        self.namespace.as_deref().is_some_and(|ns| {
            name.get(..ns.len()).is_some_and(|head| head.eq_ignore_ascii_case(ns))
        })
    }
}

/// The compiled branch-name rule.
#[derive(Debug, Clone)]
pub struct BranchRule {
    keys: IssueKeyFormat,
    feature: Form,
    release: Form,
    hotfix: Form,
    exempt: GlobSet,
    exempt_globs: Vec<String>,
    match_title_key: bool,
    /// `{version}` alone, for diagnosing release names.
    version: Regex,
}

impl BranchRule {
    /// Compiles `branches:` with the issue keys of `issue_key:`.
    pub fn new(branches: &BranchesConfig, key: &IssueKeyConfig) -> Result<Self, PatternError> {
        let keys = IssueKeyFormat::new(key)?;
        let (key_strict, key_lenient) = (keys.fragment(), keys.lenient_fragment());
        let placeholder =
            |name, strict, required| Placeholder { name, strict, lenient: ANYTHING, required };
        let issue_key = Placeholder {
            name: "issue_key",
            strict: &key_strict,
            lenient: &key_lenient,
            required: true,
        };
        let feature = Form::new(
            FormKind::Feature,
            "branches.feature",
            &branches.feature,
            &[placeholder("repo", KEBAB, false), issue_key, placeholder("slug", KEBAB, false)],
        )?;
        let release = Form::new(
            FormKind::Release,
            "branches.release",
            &branches.release,
            &[placeholder("version", VERSION, true)],
        )?;
        let hotfix =
            Form::new(FormKind::Hotfix, "branches.hotfix", &branches.hotfix, &[issue_key])?;

        let mut set = GlobSetBuilder::new();
        for (i, glob) in branches.exempt.iter().enumerate() {
            let key = format!("branches.exempt[{i}]");
            check_length(&key, glob)?;
            let compiled = GlobBuilder::new(glob).literal_separator(true).build().map_err(|e| {
                PatternError::new(
                    &key,
                    glob,
                    format!(
                        "{}; write a glob such as `renovate/**` (`*` stays within one `/` \
                         segment, `**` crosses them)",
                        e.kind()
                    ),
                )
            })?;
            set.add(compiled);
        }
        let exempt = set.build().map_err(|e| {
            PatternError::new(
                "branches.exempt",
                &branches.exempt.join(", "),
                format!("the globs cannot be compiled together ({e}); use fewer, simpler globs"),
            )
        })?;
        Ok(BranchRule {
            keys,
            feature,
            release,
            hotfix,
            exempt,
            exempt_globs: branches.exempt.clone(),
            match_title_key: branches.match_title_key,
            version: bounded_regex(
                "branches.release",
                &branches.release,
                &format!("^(?:{VERSION})$"),
            )?,
        })
    }

    /// What `name` is; see the module documentation for the order of the forms.
    pub fn classify(&self, name: &str) -> BranchKind {
        self.classify_with_captures(name).0
    }

    fn classify_with_captures<'n>(&self, name: &'n str) -> (BranchKind, Option<Captures<'n>>) {
        if let Some(i) = self.exempt.matches(name).into_iter().min() {
            let glob = self.exempt_globs.get(i).cloned().unwrap_or_default();
            return (BranchKind::Exempt { glob }, None);
        }
        if let Some(caps) = self.release.compiled.captures(name) {
            let version = group(&caps, "version").to_string();
            return (BranchKind::Release { version }, Some(caps));
        }
        if let Some(caps) = self.hotfix.compiled.captures(name)
            && let Some(key) = self.keys.parse(group(&caps, "issue_key"))
        {
            return (BranchKind::Hotfix { key }, Some(caps));
        }
        if !self.reserved(name)
            && let Some(caps) = self.feature.compiled.captures(name)
            && let Some(key) = self.keys.parse(group(&caps, "issue_key"))
        {
            let repo = group(&caps, "repo").to_string();
            let slug = group(&caps, "slug").to_string();
            return (BranchKind::Feature { repo, key, slug }, Some(caps));
        }
        (BranchKind::Invalid, None)
    }

    /// Whether `name` lies in the release or hotfix namespace and the feature form does not
    /// deliberately share it.
    fn reserved(&self, name: &str) -> bool {
        [&self.release, &self.hotfix].iter().any(|form| {
            form.in_namespace(name)
                && !form
                    .namespace
                    .as_deref()
                    .is_some_and(|ns| self.feature.template().leading_literal().starts_with(ns))
        })
    }

    /// Findings for head branch `name`. `repo_short` (the repository's short name) pins the
    /// feature form's `{repo}`, compared in lowercase kebab case since `{repo}` can hold nothing
    /// else (`Gateway` expects `gateway`); when `None` any kebab-case name is accepted.
    /// `title_key` is the title's issue key, compared when `branches.match_title_key` is set.
    pub fn check(
        &self,
        name: &str,
        repo_short: Option<&str>,
        title_key: Option<&IssueKey>,
    ) -> Vec<Finding> {
        let expected_repo = repo_short.and_then(kebab);
        let (kind, caps) = self.classify_with_captures(name);
        let mut findings = Vec::new();
        match &kind {
            BranchKind::Exempt { .. } | BranchKind::Release { .. } => {}
            BranchKind::Invalid => findings.push(self.diagnose(name, expected_repo.as_deref())),
            BranchKind::Feature { repo, .. } => {
                if let (Some(expected), Some(range)) =
                    (&expected_repo, caps.as_ref().and_then(|c| c.name("repo")).map(|m| m.range()))
                    && repo != expected
                {
                    findings.push(Finding::error(
                        rule_id::BRANCH_NAME,
                        format!(
                            "Branch `{name}` names repository `{repo}`, but this repository's \
                             short name is `{expected}`."
                        ),
                        format!(
                            "Use the branch name `{}`.",
                            splice(name, vec![(range, expected.clone())])
                        ),
                    ));
                }
            }
            BranchKind::Hotfix { .. } => {}
        }
        if let (BranchKind::Feature { key, .. } | BranchKind::Hotfix { key }, Some(title_key)) =
            (&kind, title_key)
            && self.match_title_key
            && key != title_key
        {
            let renamed = caps.as_ref().and_then(|c| c.name("issue_key")).map(|k| {
                let mut edits = vec![(k.range(), title_key.to_string())];
                // Fix a wrong repository part at the same time, so the hint is one rename.
                if let (Some(expected), Some(r)) =
                    (&expected_repo, caps.as_ref().and_then(|c| c.name("repo")))
                {
                    edits.push((r.range(), expected.clone()));
                }
                splice(name, edits)
            });
            let rename = match renamed {
                Some(renamed) => format!("use the branch name `{renamed}`"),
                None => format!("put `{title_key}` in the branch name"),
            };
            findings.push(Finding::error(
                rule_id::BRANCH_NAME,
                format!(
                    "Branch `{name}` is for issue `{key}` but the title names `{title_key}`; \
                     both must name the same issue."
                ),
                format!(
                    "If the pull request is for {title_key}, {rename}; if it is for {key}, \
                     change the title's key to `{key}`."
                ),
            ));
        }
        findings
    }

    /// The finding for a name that matches no form.
    fn diagnose(&self, name: &str, expected_repo: Option<&str>) -> Finding {
        let namespaced =
            [&self.release, &self.hotfix].into_iter().find(|form| form.in_namespace(name));
        let candidates = match namespaced {
            Some(form) => vec![form],
            None => vec![&self.feature, &self.release, &self.hotfix],
        };
        for form in candidates {
            if let Some(diagnosis) = self.diagnose_form(form, name, expected_repo) {
                let hint = match diagnosis.suggestion {
                    Some(Suggestion::Name(s)) => format!("Use the branch name `{s}`."),
                    Some(Suggestion::Shape(s)) => format!(
                        "Use a name of the form `{s}`, e.g. `{}`.",
                        self.example(form, expected_repo)
                    ),
                    None => format!(
                        "Name it like `{}` (`{}`).",
                        self.example(form, expected_repo),
                        form.template().source()
                    ),
                };
                return Finding::error(
                    rule_id::BRANCH_NAME,
                    format!(
                        "Branch `{name}` is not a valid {} branch (`{}`): {}.",
                        form.kind.noun(),
                        form.template().source(),
                        diagnosis.problems.join("; ")
                    ),
                    hint,
                );
            }
        }
        self.unrecognised(name, namespaced, expected_repo)
    }

    /// Matches `name` against the lenient form of `form`; `None` when it does not even resemble
    /// it or nothing specific can be said.
    fn diagnose_form(
        &self,
        form: &Form,
        name: &str,
        expected_repo: Option<&str>,
    ) -> Option<Diagnosis> {
        let segments = form.template().segments();
        let (caps, trailing) = match form.lenient.captures(name) {
            Some(caps) => (caps, None),
            None => {
                let caps = form.lenient_trailing.captures(name)?;
                let trailing = caps.get(segments.len() + 1).map(|m| m.as_str().to_string());
                (caps, trailing)
            }
        };
        let mut problems = Vec::new();
        let mut values: Vec<(&str, String)> = Vec::new();
        let mut complete = true;
        let mut previous: Option<&str> = None;
        for (i, segment) in segments.iter().enumerate() {
            let text = caps.get(i + 1).map_or("", |m| m.as_str());
            match segment {
                Segment::Literal(expected) => {
                    // A name that simply stops early gets one problem (the missing part), not
                    // one for every separator that would have followed.
                    let stops_here = trailing.is_none()
                        && (i + 1..segments.len())
                            .all(|j| caps.get(j + 1).is_none_or(|m| m.as_str().is_empty()));
                    if text != expected && !(text.is_empty() && stops_here) {
                        problems.push(literal_problem(expected, text, previous));
                    }
                }
                Segment::Placeholder(placeholder) => {
                    let value = match placeholder.as_str() {
                        "repo" => repo_value(text, expected_repo, &mut problems),
                        "slug" => slug_value(text, &mut problems),
                        "version" => self.version_value(text, &mut problems),
                        _ => self.key_value(text, &mut problems),
                    };
                    let value = value.unwrap_or_else(|| {
                        complete = false;
                        format!("<{}>", placeholder_label(placeholder, &self.keys))
                    });
                    values.push((placeholder.as_str(), value));
                }
            }
            if !text.is_empty() {
                previous = Some(text);
            }
        }
        if let Some(trailing) = trailing {
            let after = previous.map_or(String::new(), |p| format!(" after `{p}`"));
            problems.push(format!(
                "unexpected `{trailing}`{after}; a {} branch name ends there",
                form.kind.noun()
            ));
        }
        if problems.is_empty() {
            return None;
        }
        let rendered = form.template().render(|p| {
            values.iter().find(|(n, _)| *n == p).map(|(_, v)| v.clone()).unwrap_or_default()
        });
        // Checked against the whole rule, not just this form: a repaired name could land in
        // another form's namespace.
        let valid = complete && self.classify(&rendered) != BranchKind::Invalid;
        let suggestion = if valid && rendered != name {
            Some(Suggestion::Name(rendered))
        } else if !complete {
            Some(Suggestion::Shape(rendered))
        } else {
            None
        };
        Some(Diagnosis { problems, suggestion })
    }

    /// The corrected key for a lenient `{issue_key}` value.
    fn key_value(&self, text: &str, problems: &mut Vec<String>) -> Option<String> {
        match self.keys.find_in(text) {
            Some(m) if m.range == (0..text.len()) => {
                if !m.is_exact() {
                    problems.push(m.explain());
                }
                Some(m.key.to_string())
            }
            _ => {
                problems.push(format!(
                    "`{text}` is not an issue key; write `{}`, e.g. `{}`",
                    self.keys.shape(),
                    self.keys.key(12)
                ));
                None
            }
        }
    }

    /// The corrected version for a lenient `{version}` value.
    fn version_value(&self, text: &str, problems: &mut Vec<String>) -> Option<String> {
        let unprefixed = text.strip_prefix(['v', 'V']).unwrap_or(text);
        if text.is_empty() {
            problems.push("the version is missing (`MAJOR.MINOR.PATCH` or `MAJOR.MINOR`)".into());
            None
        } else if self.version.is_match(unprefixed) {
            if unprefixed != text {
                problems.push(format!(
                    "the version `{text}` must be plain semver without `v`: `{unprefixed}`"
                ));
            }
            Some(unprefixed.to_string())
        } else {
            problems.push(format!(
                "`{text}` is not a version; use semver `MAJOR.MINOR.PATCH` or `MAJOR.MINOR`, \
                 e.g. `1.4.0` or `1.4`"
            ));
            None
        }
    }

    /// The finding for a name that resembles no form at all.
    fn unrecognised(
        &self,
        name: &str,
        namespaced: Option<&Form>,
        expected_repo: Option<&str>,
    ) -> Finding {
        let found = self.keys.find_in(name);
        let key_note = match &found {
            None => format!("; it contains no issue key (`{}`)", self.keys.shape()),
            Some(m) if !m.is_exact() => format!("; {}", m.explain()),
            Some(_) => String::new(),
        };
        if let Some(form) = namespaced {
            return Finding::error(
                rule_id::BRANCH_NAME,
                format!(
                    "Branch `{name}` is not a valid {} branch (`{}`){key_note}.",
                    form.kind.noun(),
                    form.template().source()
                ),
                format!("Name it like `{}`.", self.example(form, expected_repo)),
            );
        }
        let forms = [&self.feature, &self.release, &self.hotfix]
            .iter()
            .map(|form| {
                let mut examples = vec![format!("`{}`", self.example(form, expected_repo))];
                if form.kind == FormKind::Release {
                    let short = form.template().render(|_| "1.4".into());
                    if form.compiled.is_match(&short) {
                        examples.push(format!("`{short}`"));
                    }
                }
                format!(
                    "{} `{}` (e.g. {})",
                    form.kind.noun(),
                    form.template().source(),
                    examples.join(" or ")
                )
            })
            .collect::<Vec<_>>();
        let mut hint = format!(
            "Name the branch after one of the accepted forms: {}, {} or {}.",
            forms[0], forms[1], forms[2]
        );
        if let Some(m) = found {
            // The key is the one part we can trust; build the feature name around it.
            let after = kebab(&name[m.range.end..]);
            let before = kebab(name[..m.range.start].rsplit('/').next().unwrap_or_default());
            let slug = after.or(before).unwrap_or_else(|| "<description>".into());
            let repo = expected_repo.map_or_else(|| "<repo>".into(), str::to_string);
            let key = m.key.to_string();
            let suggestion = self.feature.template().render(|p| match p {
                "repo" => repo.clone(),
                "slug" => slug.clone(),
                _ => key.clone(),
            });
            hint.push_str(&format!(" For this issue: `{suggestion}`."));
        }
        Finding::error(
            rule_id::BRANCH_NAME,
            format!("Branch `{name}` matches none of the accepted forms{key_note}."),
            hint,
        )
    }

    /// An example name of `form`, filled with the configured prefix and the repository's short
    /// name when known (else the process's own example, `gateway`).
    fn example(&self, form: &Form, expected_repo: Option<&str>) -> String {
        let number = if form.kind == FormKind::Hotfix { 99 } else { 12 };
        form.template().render(|p| match p {
            "repo" => expected_repo.unwrap_or("gateway").to_string(),
            "slug" => "bootstrap-fastapi".to_string(),
            "version" => "1.4.0".to_string(),
            _ => self.keys.key(number).to_string(),
        })
    }
}

/// What the lenient match found.
struct Diagnosis {
    problems: Vec<String>,
    suggestion: Option<Suggestion>,
}

/// A corrected name, or its shape when some part cannot be derived.
enum Suggestion {
    /// A name that passes the strict form.
    Name(String),
    /// A name with `<...>` where a part must be chosen by a human.
    Shape(String),
}

/// The value of capture group `name`, empty when absent.
fn group<'t>(caps: &Captures<'t>, name: &str) -> &'t str {
    caps.name(name).map_or("", |m| m.as_str())
}

/// `name` with each (non-overlapping) range replaced by its text.
fn splice(name: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    // Back to front, so earlier ranges stay valid.
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut out = name.to_string();
    for (range, with) in edits {
        if out.get(range.clone()).is_some() {
            out.replace_range(range, &with);
        }
    }
    out
}

/// Lowercase kebab case of `text`: ASCII letters and digits, every other run of characters
/// becomes one `-`. `None` when nothing is left.
fn kebab(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    (!words.is_empty()).then(|| words.join("-"))
}

fn placeholder_label(placeholder: &str, keys: &IssueKeyFormat) -> String {
    match placeholder {
        "slug" => "description".into(),
        "issue_key" => keys.shape(),
        other => other.into(),
    }
}

fn literal_problem(expected: &str, found: &str, previous: Option<&str>) -> String {
    match (found.is_empty(), previous) {
        (true, Some(p)) => format!("`{expected}` is missing after `{p}`"),
        (true, None) => format!("the name must start with `{expected}`"),
        _ if found.eq_ignore_ascii_case(expected) => {
            format!("`{found}` must be written `{expected}`")
        }
        (false, Some(p)) => format!("`{found}` after `{p}` must be `{expected}`"),
        (false, None) => format!("the name must start with `{expected}`, not `{found}`"),
    }
}

fn repo_value(text: &str, expected: Option<&str>, problems: &mut Vec<String>) -> Option<String> {
    let normal = kebab(text);
    match expected {
        Some(expected) => {
            if text.is_empty() {
                problems.push(format!("the repository part `{expected}` is missing"));
            } else if normal.as_deref() == Some(expected) && text != expected {
                problems.push(format!(
                    "the repository part `{text}` must be lowercase kebab case: `{expected}`"
                ));
            } else if text != expected {
                problems.push(format!(
                    "the repository part is `{text}` but this repository's short name is \
                     `{expected}`"
                ));
            }
            Some(expected.to_string())
        }
        None => kebab_value(text, normal, "the repository part", problems),
    }
}

fn slug_value(text: &str, problems: &mut Vec<String>) -> Option<String> {
    kebab_value(text, kebab(text), "the description", problems)
}

fn kebab_value(
    text: &str,
    normal: Option<String>,
    what: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    match normal {
        Some(normal) => {
            if normal != text {
                problems.push(format!("{what} `{text}` must be lowercase kebab case: `{normal}`"));
            }
            Some(normal)
        }
        None if text.is_empty() => {
            problems.push(format!("{what} is missing (lowercase words joined by `-`)"));
            None
        }
        None => {
            problems.push(format!("{what} `{text}` has no letters or digits"));
            None
        }
    }
}

/// `branch-name`, explained (`explain_rule`).
pub const ABOUT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"branch-name"#,
    checks: r#"The head branch is `<repo>/<KEY>-<slug>` (feature), `release/<version>` or `hotfix/<KEY>`; bots' branches matching `branches.exempt` are not judged; with `branches.match_title_key` the branch's issue key equals the title's."#,
    config: &[
        crate::rules::about::ConfigKey {
            key: "branches.feature",
            default: r#""{repo}/{issue_key}-{slug}""#,
        },
        crate::rules::about::ConfigKey {
            key: "branches.release",
            default: r#""release/{version}""#,
        },
        crate::rules::about::ConfigKey {
            key: "branches.hotfix",
            default: r#""hotfix/{issue_key}""#,
        },
        crate::rules::about::ConfigKey {
            key: "branches.exempt",
            default: r#"["renovate/**", "dependabot/**"]"#,
        },
        crate::rules::about::ConfigKey { key: "branches.match_title_key", default: r#"true"# },
        crate::rules::about::ConfigKey { key: "issue_key.prefix", default: r#"PE"# },
        crate::rules::about::ConfigKey {
            key: "repository.strip_prefix",
            default: r#"plasma-engine-"#,
        },
    ],
    passes: r#"gateway/PE-12-bootstrap-fastapi (in plasma-engine/plasma-engine-gateway)"#,
    fails: r#"feature/bootstrap: no `<repo>/PE-<n>-` prefix"#,
};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule() -> BranchRule {
        BranchRule::new(&BranchesConfig::default(), &IssueKeyConfig::default()).unwrap()
    }

    fn key(text: &str) -> IssueKey {
        IssueKey::parse(text).unwrap()
    }

    fn feature(repo: &str, k: &str, slug: &str) -> BranchKind {
        BranchKind::Feature { repo: repo.into(), key: key(k), slug: slug.into() }
    }

    #[test]
    fn classifies_the_process_examples() {
        let rule = rule();
        let cases = [
            ("gateway/PE-12-bootstrap-fastapi", feature("gateway", "PE-12", "bootstrap-fastapi")),
            ("release/1.4.0", BranchKind::Release { version: "1.4.0".into() }),
            ("release/1.4", BranchKind::Release { version: "1.4".into() }),
            (
                "release/2.0.0-rc.1+build.5",
                BranchKind::Release { version: "2.0.0-rc.1+build.5".into() },
            ),
            ("hotfix/PE-99", BranchKind::Hotfix { key: key("PE-99") }),
            ("renovate/serde-1.x", BranchKind::Exempt { glob: "renovate/**".into() }),
            ("dependabot/cargo/serde-1.0.200", BranchKind::Exempt { glob: "dependabot/**".into() }),
            ("brain-api/PE-1-x", feature("brain-api", "PE-1", "x")),
            ("feature/bootstrap", BranchKind::Invalid),
            ("hotfix/PE-99-login", BranchKind::Invalid),
            ("release/PE-1-x", BranchKind::Invalid),
            ("release/v1.4.0", BranchKind::Invalid),
            ("release/1.4.0.1", BranchKind::Invalid),
            ("release/01.4", BranchKind::Invalid),
            ("gateway/PE-12", BranchKind::Invalid),
            ("gateway/pe-12-x", BranchKind::Invalid),
            ("Gateway/PE-12-Bootstrap_FastAPI", BranchKind::Invalid),
            ("main", BranchKind::Invalid),
            ("", BranchKind::Invalid),
            ("renovate", BranchKind::Invalid),
        ];
        for (name, expected) in cases {
            assert_eq!(rule.classify(name), expected, "{name}");
        }
    }

    #[test]
    fn valid_names_have_no_findings() {
        let rule = rule();
        let pe12 = key("PE-12");
        for (name, repo, title) in [
            ("gateway/PE-12-bootstrap-fastapi", Some("gateway"), Some(&pe12)),
            ("gateway/PE-12-bootstrap-fastapi", None, None),
            ("anything/PE-12-x", None, Some(&pe12)),
            ("release/1.4.0", Some("gateway"), Some(&pe12)),
            ("release/1.4", Some("gateway"), None),
            ("hotfix/PE-12", Some("gateway"), Some(&pe12)),
            ("renovate/all-minor-patch", Some("gateway"), Some(&pe12)),
            ("gateway/PE-12-x", Some("Gateway"), None),
        ] {
            assert_eq!(rule.check(name, repo, title), vec![], "{name}");
        }
    }

    /// (name, repo_short, title key, fragments of the message, fragments of the hint)
    type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [&'a str], &'a [&'a str]);

    #[test]
    fn every_diagnostic() {
        let cases: &[Case<'_>] = &[
            (
                "Gateway/PE-12-Bootstrap_FastAPI",
                Some("gateway"),
                None,
                &[
                    "not a valid feature branch (`{repo}/{issue_key}-{slug}`)",
                    "repository part `Gateway` must be lowercase kebab case: `gateway`",
                    "description `Bootstrap_FastAPI` must be lowercase kebab case: `bootstrap-fastapi`",
                ],
                &["Use the branch name `gateway/PE-12-bootstrap-fastapi`."],
            ),
            (
                "Gateway/PE-12-Bootstrap_FastAPI",
                None,
                None,
                &["repository part `Gateway` must be lowercase kebab case: `gateway`"],
                &["`gateway/PE-12-bootstrap-fastapi`"],
            ),
            (
                "feature/bootstrap",
                Some("gateway"),
                None,
                &[
                    "`feature/bootstrap` matches none of the accepted forms",
                    "no issue key (`PE-<number>`)",
                ],
                &[
                    "feature `{repo}/{issue_key}-{slug}` (e.g. `gateway/PE-12-bootstrap-fastapi`)",
                    "release `release/{version}` (e.g. `release/1.4.0` or `release/1.4`)",
                    "hotfix `hotfix/{issue_key}` (e.g. `hotfix/PE-99`)",
                ],
            ),
            (
                "release/v1.4.0",
                None,
                None,
                &[
                    "not a valid release branch",
                    "`v1.4.0` must be plain semver without `v`: `1.4.0`",
                ],
                &["Use the branch name `release/1.4.0`."],
            ),
            (
                "Release/1.4",
                None,
                None,
                &["`Release/` must be written `release/`"],
                &["`release/1.4`"],
            ),
            (
                "release/next",
                None,
                None,
                &["`next` is not a version", "`MAJOR.MINOR.PATCH` or `MAJOR.MINOR`"],
                &["Use a name of the form `release/<version>`, e.g. `release/1.4.0`."],
            ),
            ("release/", None, None, &["the version is missing"], &["`release/<version>`"]),
            (
                "gateway/pe-12-x",
                Some("gateway"),
                None,
                &["the issue key `pe-12` must be written `PE-12` (the prefix is `PE`)"],
                &["Use the branch name `gateway/PE-12-x`."],
            ),
            (
                "gateway/PE12-x",
                None,
                None,
                &["`PE12` must be written `PE-12`", "joined by `-`"],
                &["`gateway/PE-12-x`"],
            ),
            ("gateway/#12-x", None, None, &["`#12` is a GitHub reference"], &["`gateway/PE-12-x`"]),
            (
                "gatway/PE-12-x",
                Some("gateway"),
                None,
                &["names repository `gatway`", "short name is `gateway`"],
                &["Use the branch name `gateway/PE-12-x`."],
            ),
            (
                "gatway/pe-12-x",
                Some("gateway"),
                None,
                &[
                    "repository part is `gatway` but this repository's short name is `gateway`",
                    "`pe-12`",
                ],
                &["Use the branch name `gateway/PE-12-x`."],
            ),
            (
                "gateway/PE-12",
                Some("gateway"),
                None,
                &["the description is missing"],
                &["Use a name of the form `gateway/PE-12-<description>`"],
            ),
            (
                "gateway/PE-12_bootstrap",
                None,
                None,
                &["`_` after `PE-12` must be `-`"],
                &["`gateway/PE-12-bootstrap`"],
            ),
            (
                "gateway/PE-12bootstrap",
                None,
                None,
                &["`-` is missing after `PE-12`"],
                &["`gateway/PE-12-bootstrap`"],
            ),
            (
                "hotfix/PE-99-login",
                Some("gateway"),
                None,
                &[
                    "not a valid hotfix branch (`hotfix/{issue_key}`)",
                    "unexpected `-login` after `PE-99`",
                ],
                &["Use the branch name `hotfix/PE-99`."],
            ),
            (
                "hotfix/login",
                None,
                None,
                &["not a valid hotfix branch", "no issue key (`PE-<number>`)"],
                &["Name it like `hotfix/PE-99`."],
            ),
            (
                "hotfix/pe-99",
                None,
                None,
                &["the issue key `pe-99` must be written `PE-99`"],
                &["`hotfix/PE-99`"],
            ),
            (
                "PE-12-bootstrap",
                Some("gateway"),
                None,
                &["matches none of the accepted forms"],
                &["For this issue: `gateway/PE-12-bootstrap`."],
            ),
            (
                "main",
                None,
                None,
                &["`main` matches none", "no issue key"],
                &["hotfix `hotfix/{issue_key}`"],
            ),
            (
                "gateway/PE-12-x",
                Some("gateway"),
                Some("PE-13"),
                &["is for issue `PE-12` but the title names `PE-13`"],
                &[
                    "If the pull request is for PE-13, use the branch name `gateway/PE-13-x`",
                    "if it is for PE-12, change the title's key to `PE-12`",
                ],
            ),
            (
                "hotfix/PE-99",
                None,
                Some("PE-98"),
                &["`PE-99` but the title names `PE-98`"],
                &["`hotfix/PE-98`"],
            ),
        ];
        let rule = rule();
        for (name, repo, title, message, hint) in cases {
            let title = title.map(key);
            let findings = rule.check(name, *repo, title.as_ref());
            assert_eq!(findings.len(), 1, "{name}: {findings:#?}");
            let f = &findings[0];
            assert_eq!(f.rule, rule_id::BRANCH_NAME);
            assert_eq!(f.severity, crate::Severity::Error);
            for m in *message {
                assert!(f.message.contains(m), "{name}: message {:?} lacks {m:?}", f.message);
            }
            for h in *hint {
                assert!(f.hint.contains(h), "{name}: hint {:?} lacks {h:?}", f.hint);
            }
        }
    }

    #[test]
    fn repo_and_title_problems_are_separate_findings() {
        let findings = rule().check("gatway/PE-12-x", Some("gateway"), Some(&key("PE-13")));
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert!(findings[1].hint.contains("`gateway/PE-13-x`"), "{findings:#?}");
    }

    #[test]
    fn title_key_is_ignored_when_switched_off() {
        let config = BranchesConfig { match_title_key: false, ..BranchesConfig::default() };
        let rule = BranchRule::new(&config, &IssueKeyConfig::default()).unwrap();
        assert_eq!(rule.check("gateway/PE-12-x", None, Some(&key("PE-13"))), vec![]);
    }

    #[test]
    fn custom_prefix() {
        let rule = BranchRule::new(
            &BranchesConfig::default(),
            &IssueKeyConfig { prefix: "ABC".into(), tracker: None },
        )
        .unwrap();
        assert_eq!(rule.classify("gateway/ABC-7-x"), feature("gateway", "ABC-7", "x"));
        assert_eq!(rule.classify("hotfix/ABC-7"), BranchKind::Hotfix { key: key("ABC-7") });
        assert_eq!(rule.classify("gateway/PE-7-x"), BranchKind::Invalid);
        let f = &rule.check("feature/bootstrap", None, None)[0];
        assert!(f.message.contains("(`ABC-<number>`)"), "{}", f.message);
        assert!(f.hint.contains("`gateway/ABC-12-bootstrap-fastapi`"), "{}", f.hint);
        assert!(f.hint.contains("`hotfix/ABC-99`"), "{}", f.hint);
        let f = &rule.check("gateway/abc-7-x", Some("gateway"), None)[0];
        assert!(f.message.contains("must be written `ABC-7`"), "{}", f.message);
    }

    #[test]
    fn custom_templates() {
        let config = BranchesConfig {
            feature: "feature/{issue_key}/{slug}".into(),
            release: "rel-v{version}".into(),
            hotfix: "fix/{issue_key}".into(),
            exempt: vec!["bot-*".into()],
            match_title_key: true,
        };
        let rule = BranchRule::new(&config, &IssueKeyConfig::default()).unwrap();
        assert_eq!(rule.classify("feature/PE-3/add-x"), feature("", "PE-3", "add-x"));
        assert_eq!(rule.classify("rel-v2.1"), BranchKind::Release { version: "2.1".into() });
        assert_eq!(rule.classify("fix/PE-3"), BranchKind::Hotfix { key: key("PE-3") });
        assert_eq!(rule.classify("bot-x"), BranchKind::Exempt { glob: "bot-*".into() });
        // `*` does not cross `/`.
        assert_eq!(rule.classify("bot-x/y"), BranchKind::Invalid);
        // No `{repo}`: the repository's short name is not checked.
        assert_eq!(rule.check("feature/PE-3/add-x", Some("gateway"), None), vec![]);
        let f = &rule.check("Feature/pe-3/Add X", None, None)[0];
        assert!(f.hint.contains("`feature/PE-3/add-x`"), "{f:#?}");
        let f = &rule.check("garbage", None, None)[0];
        assert!(
            f.hint.contains(
                "feature `feature/{issue_key}/{slug}` (e.g. `feature/PE-12/bootstrap-fastapi`)"
            ),
            "{}",
            f.hint
        );
        assert!(
            f.hint.contains("release `rel-v{version}` (e.g. `rel-v1.4.0` or `rel-v1.4`)"),
            "{}",
            f.hint
        );

        // A feature form that shares the hotfix namespace keeps its names.
        let shared = BranchesConfig {
            feature: "hotfix/{issue_key}-{slug}".into(),
            ..BranchesConfig::default()
        };
        let rule = BranchRule::new(&shared, &IssueKeyConfig::default()).unwrap();
        assert_eq!(rule.classify("hotfix/PE-1-x"), feature("", "PE-1", "x"));
        assert_eq!(rule.classify("hotfix/PE-1"), BranchKind::Hotfix { key: key("PE-1") });
    }

    #[test]
    fn configuration_errors() {
        let cases: &[(BranchesConfig, &str, &str)] = &[
            (
                BranchesConfig { feature: "{repo}/{slug}".into(), ..Default::default() },
                "branches.feature",
                "must contain `{issue_key}`",
            ),
            (
                BranchesConfig {
                    feature: "{repo}/{issue_key}-{version}".into(),
                    ..Default::default()
                },
                "branches.feature",
                "unknown placeholder `{version}`",
            ),
            (
                BranchesConfig { release: "release/{issue_key}".into(), ..Default::default() },
                "branches.release",
                "unknown placeholder `{issue_key}`",
            ),
            (
                BranchesConfig { hotfix: "hotfix/".into(), ..Default::default() },
                "branches.hotfix",
                "must contain `{issue_key}`",
            ),
            (
                BranchesConfig {
                    exempt: vec!["ok/**".into(), "bad/[".into()],
                    ..Default::default()
                },
                "branches.exempt[1]",
                "write a glob such as",
            ),
            (
                BranchesConfig { exempt: vec!["a".repeat(1001)], ..Default::default() },
                "branches.exempt[0]",
                "the limit is 1000",
            ),
        ];
        for (config, key, reason) in cases {
            let err = BranchRule::new(config, &IssueKeyConfig::default()).unwrap_err();
            assert_eq!(err.key, *key);
            assert!(err.reason.contains(reason), "{key}: {}", err.reason);
        }
        let err = BranchRule::new(
            &BranchesConfig::default(),
            &IssueKeyConfig { prefix: "p-e".into(), tracker: None },
        )
        .unwrap_err();
        assert_eq!(err.key, "issue_key.prefix");
    }

    #[test]
    fn kebab_normalises() {
        assert_eq!(kebab("Bootstrap_FastAPI").as_deref(), Some("bootstrap-fastapi"));
        assert_eq!(kebab("-a--b-").as_deref(), Some("a-b"));
        assert_eq!(kebab("__"), None);
    }

    fn names() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,40}",
            "[a-zA-Z/_.#\\- ]{0,8}(PE|pe|Pe|#)?[-_ ]?[0-9]{0,4}[a-zA-Z/_.\\- ]{0,12}",
            "(release|Release|hotfix|HOTFIX)/[vV]?[0-9.a-z+\\-]{0,12}",
        ]
    }

    proptest! {
        #[test]
        fn never_panics_and_is_deterministic(name in names(), repo in proptest::option::of("[a-zA-Z_\\-]{0,8}"), title in proptest::option::of(1u64..50)) {
            let rule = rule();
            let title = title.map(|n| IssueKey::new("PE", n));
            let a = (rule.classify(&name), rule.check(&name, repo.as_deref(), title.as_ref()));
            let b = (rule.classify(&name), rule.check(&name, repo.as_deref(), title.as_ref()));
            prop_assert_eq!(&a, &b);
            // Invalid names always get a finding; offered names are valid.
            if a.0 == BranchKind::Invalid {
                prop_assert!(!a.1.is_empty());
                if let Some(s) = a.1[0].hint.strip_prefix("Use the branch name `").and_then(|h| h.strip_suffix("`.")) {
                    prop_assert_ne!(rule.classify(s), BranchKind::Invalid, "suggested {} for {}", s, name);
                }
            }
        }

        #[test]
        fn generated_feature_names_classify(repo in KEBAB, n in 1u64..100_000, slug in KEBAB) {
            prop_assume!(repo != "release" && repo != "hotfix");
            let name = format!("{repo}/PE-{n}-{slug}");
            prop_assert_eq!(rule().classify(&name), feature(&repo, &format!("PE-{n}"), &slug));
        }

        #[test]
        fn any_template_compiles_or_errors_cleanly(feature in "\\PC{0,30}", exempt in "\\PC{0,12}") {
            let config = BranchesConfig { feature, exempt: vec![exempt], ..Default::default() };
            let a = BranchRule::new(&config, &IssueKeyConfig::default()).map(|r| r.classify("gateway/PE-1-x"));
            let b = BranchRule::new(&config, &IssueKeyConfig::default()).map(|r| r.classify("gateway/PE-1-x"));
            prop_assert_eq!(a, b);
        }
    }
}
