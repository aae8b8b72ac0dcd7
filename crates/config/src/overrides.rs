//! `rules:` overrides: a rule switched off or demoted to a warning, applied the same way to the
//! findings of every product (pull requests, history, audit).

use crate::finding::{Finding, Severity};
use crate::model::{Config, RuleSeverity};

impl Config {
    /// Whether a rule is switched off by configuration.
    pub fn is_off(&self, rule: &str) -> bool {
        self.rules.get(rule).is_some_and(|o| o.severity == RuleSeverity::Off)
    }

    /// Apply `rules:` overrides: drop findings of rules that are off, demote errors to warnings.
    pub fn apply_overrides(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter(|f| !self.is_off(&f.rule))
            .map(|mut f| {
                if f.severity == Severity::Error
                    && self.rules.get(&f.rule).is_some_and(|o| o.severity == RuleSeverity::Warning)
                {
                    f.severity = Severity::Warning;
                }
                f
            })
            .collect()
    }
}
