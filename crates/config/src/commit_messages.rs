//! `commit_messages:` section: what `history` requires of commit subjects, and the commitlint
//! rules (config-conventional's names, levels and values) that judge Conventional Commits.
//!
//! The defaults are `@commitlint/config-conventional` 21 exactly, so a team that already runs
//! commitlint gets the same verdicts without writing anything here.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::RuleSeverity;

/// `commit_messages:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CommitMessagesConfig {
    /// What a commit subject must follow: Conventional Commits, an issue key, or either.
    pub style: MessageStyle,
    /// Skip the messages commitlint skips by default: merges, `Revert "…"`, `Reapply …`,
    /// `fixup!`/`squash!`/`amend!`, and bare version bumps such as `1.2.3` or `chore: v1.2.3`.
    pub default_ignores: bool,
    /// Further messages to skip: regular expressions (Rust `regex` syntax) matched against the
    /// whole message; a match anywhere skips it, so anchor with `^` when you mean the start.
    pub ignores: Vec<String>,
    /// The commitlint rules, by commitlint's own names.
    pub rules: CommitlintRules,
}

impl Default for CommitMessagesConfig {
    fn default() -> Self {
        CommitMessagesConfig {
            style: MessageStyle::Either,
            default_ignores: true,
            ignores: Vec::new(),
            rules: CommitlintRules::default(),
        }
    }
}

/// What `history` requires of each commit subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MessageStyle {
    /// Conventional Commits, judged by the commitlint rules below.
    Conventional,
    /// The subject references an issue key (`PE-12`).
    IssueKey,
    /// Either of the two (the process asks for an issue reference; Conventional Commits is the
    /// common alternative).
    Either,
}

/// Whether a rule asks for the property (`always`) or forbids it (`never`), as in commitlint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum When {
    /// The property must hold.
    Always,
    /// The property must not hold.
    Never,
}

/// A rule without a value (`body-leading-blank`, `type-empty`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchRule {
    /// `error` (commitlint level 2), `warning` (1) or `off` (0).
    pub level: RuleSeverity,
    /// `always` or `never`.
    pub when: When,
}

/// A length limit (`header-max-length`, `body-max-line-length`, …), in UTF-16 code units as
/// commitlint counts them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LengthRule {
    /// `error`, `warning` or `off`.
    pub level: RuleSeverity,
    /// Longest allowed length.
    pub max: usize,
}

/// Letter-case conventions commitlint knows (the ones plasma-ops implements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CaseName {
    /// `all lower case`.
    LowerCase,
    /// `ALL UPPER CASE`.
    UpperCase,
    /// `First letter upper case`.
    SentenceCase,
    /// `Every Word Capitalised`.
    StartCase,
    /// `PascalCase`.
    PascalCase,
}

impl CaseName {
    /// commitlint's name for the case.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseName::LowerCase => "lower-case",
            CaseName::UpperCase => "upper-case",
            CaseName::SentenceCase => "sentence-case",
            CaseName::StartCase => "start-case",
            CaseName::PascalCase => "pascal-case",
        }
    }
}

/// A case rule (`subject-case`, `type-case`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseRule {
    /// `error`, `warning` or `off`.
    pub level: RuleSeverity,
    /// `always`: one of `cases` must hold; `never`: none may hold.
    pub when: When,
    /// The cases.
    pub cases: Vec<CaseName>,
}

/// `subject-full-stop`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FullStopRule {
    /// `error`, `warning` or `off`.
    pub level: RuleSeverity,
    /// `never`: the header must not end with `value` (an ellipsis `...` is allowed).
    pub when: When,
    /// The full-stop character.
    pub value: String,
}

/// `type-enum`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnumRule {
    /// `error`, `warning` or `off`.
    pub level: RuleSeverity,
    /// `always`: the type must be one of `values`; `never`: must not be.
    pub when: When,
    /// The types.
    pub values: Vec<String>,
}

/// The commitlint rules of `@commitlint/config-conventional`, keyed by commitlint's names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct CommitlintRules {
    /// A blank line between header and body.
    pub body_leading_blank: SwitchRule,
    /// Longest body line (lines containing an `http(s)://` URL are exempt, as in commitlint).
    pub body_max_line_length: LengthRule,
    /// A blank line before the footer.
    pub footer_leading_blank: SwitchRule,
    /// Longest footer line (URL lines exempt).
    pub footer_max_line_length: LengthRule,
    /// Longest header.
    pub header_max_length: LengthRule,
    /// No whitespace around the header.
    pub header_trim: SwitchRule,
    /// Subject letter case.
    pub subject_case: CaseRule,
    /// A subject after `type: `.
    pub subject_empty: SwitchRule,
    /// No full stop at the end of the header.
    pub subject_full_stop: FullStopRule,
    /// Type letter case.
    pub type_case: CaseRule,
    /// A type before `: `.
    pub type_empty: SwitchRule,
    /// Allowed types.
    pub type_enum: EnumRule,
}

impl Default for CommitlintRules {
    fn default() -> Self {
        use RuleSeverity::{Error, Warning};
        let switch = |level, when| SwitchRule { level, when };
        let length = |level, max| LengthRule { level, max };
        CommitlintRules {
            body_leading_blank: switch(Warning, When::Always),
            body_max_line_length: length(Error, 100),
            footer_leading_blank: switch(Warning, When::Always),
            footer_max_line_length: length(Error, 100),
            header_max_length: length(Error, 100),
            header_trim: switch(Error, When::Always),
            subject_case: CaseRule {
                level: Error,
                when: When::Never,
                cases: vec![
                    CaseName::SentenceCase,
                    CaseName::StartCase,
                    CaseName::PascalCase,
                    CaseName::UpperCase,
                ],
            },
            subject_empty: switch(Error, When::Never),
            subject_full_stop: FullStopRule { level: Error, when: When::Never, value: ".".into() },
            type_case: CaseRule {
                level: Error,
                when: When::Always,
                cases: vec![CaseName::LowerCase],
            },
            type_empty: switch(Error, When::Never),
            type_enum: EnumRule {
                level: Error,
                when: When::Always,
                values: [
                    "build", "chore", "ci", "docs", "feat", "fix", "perf", "refactor", "revert",
                    "style", "test",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            },
        }
    }
}
