//! What each rule is, for people and agents (`explain_rule` of `plasma-ops mcp`): what it checks,
//! the configuration keys that shape it with their built-in defaults, and an example that passes
//! and one that fails. Each rule's entry is a constant in the rule's own module, so it is read
//! and changed with the rule; [`ALL`] lists them in the order of `rule_id::ALL`, and the tests
//! hold the defaults to the configuration's and the examples to the rules' real behaviour.

use serde::Serialize;

/// One rule, explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleAbout {
    /// The stable rule id.
    pub rule: &'static str,
    /// What the rule checks, in one or two sentences.
    pub checks: &'static str,
    /// Configuration keys (dotted paths in `.github/plasma.yml`) and their defaults, as YAML.
    pub config: &'static [ConfigKey],
    /// Input that passes.
    pub passes: &'static str,
    /// Input that fails, and why.
    pub fails: &'static str,
}

/// A configuration key and its built-in default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConfigKey {
    /// Dotted path, e.g. `title.pattern`.
    pub key: &'static str,
    /// The built-in default, as YAML (flow style).
    pub default: &'static str,
}

/// Every rule's entry, in the order of `rule_id::ALL`.
pub const ALL: &[RuleAbout] = &[
    super::branch::ABOUT,
    super::title::ABOUT,
    super::checklist::ABOUT,
    super::checks::ABOUT,
    super::review_loop::ABOUT,
    super::approval::ABOUT,
    super::commits::ABOUT_SIGNED,
    super::commits::ABOUT_LINEAR,
    super::state::ABOUT_DRAFT,
    super::state::ABOUT_STATE,
    super::state::ABOUT_BASE,
    super::issue_labels::ABOUT,
    crate::dispatch::ABOUT,
    super::issue_template::ABOUT,
    super::issue_owner::ABOUT,
    crate::incident::ABOUT_SEVERITY,
    crate::incident::ABOUT_OWNER,
    crate::incident::ABOUT_POSTMORTEM,
    super::infra_approval::ABOUT,
    crate::board::ABOUT,
];

/// The entry of `rule`, if it is a rule id.
pub fn about(rule: &str) -> Option<&'static RuleAbout> {
    ALL.iter().find(|a| a.rule == rule)
}

#[cfg(test)]
mod tests;
