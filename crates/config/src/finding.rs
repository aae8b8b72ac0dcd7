//! Findings: what a rule says about its input. Every finding names the rule, the offending value and
//! the fix, so a developer or an agent can act on it without reading our code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How much a finding matters.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks readiness; the CLI exits 1.
    Error,
    /// Shown, does not block.
    Warning,
    /// Context only: a rule that could not be evaluated, or a decision worth explaining.
    Info,
}

impl Severity {
    /// Lowercase name as used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One verdict of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable rule id, e.g. `branch-name`.
    pub rule: String,
    /// Severity after configuration overrides.
    pub severity: Severity,
    /// What is wrong, naming the offending value.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl Finding {
    /// A finding with the rule's configured severity applied later by the evaluator.
    pub fn new(
        rule: &str,
        severity: Severity,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Finding { rule: rule.to_string(), severity, message: message.into(), hint: hint.into() }
    }

    /// An error finding.
    pub fn error(rule: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(rule, Severity::Error, message, hint)
    }

    /// A warning finding.
    pub fn warning(rule: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(rule, Severity::Warning, message, hint)
    }

    /// An informational finding (not evaluated, or an explained decision).
    pub fn info(rule: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(rule, Severity::Info, message, hint)
    }
}

/// The stable rule ids. Scripts and configuration (`rules:` overrides) refer to these.
pub mod rule_id {
    /// Branch naming conventions.
    pub const BRANCH_NAME: &str = "branch-name";
    /// `[PE-12] Summary` titles.
    pub const TITLE_FORMAT: &str = "title-format";
    /// The four ticked checklist items.
    pub const CHECKLIST: &str = "checklist";
    /// Lint, tests, security scan, CodeRabbit summary.
    pub const REQUIRED_CHECKS: &str = "required-checks";
    /// The CodeRabbit review loop.
    pub const CODERABBIT_REVIEW: &str = "coderabbit-review";
    /// At least N human approvals.
    pub const HUMAN_APPROVAL: &str = "human-approval";
    /// Every commit signed and verified.
    pub const SIGNED_COMMITS: &str = "signed-commits";
    /// No merge commits.
    pub const LINEAR_HISTORY: &str = "linear-history";
    /// Drafts are never ready.
    pub const DRAFT: &str = "draft";
    /// Closed pull requests are not judged.
    pub const STATE: &str = "state";
    /// Base must be `main` or `release/*`.
    pub const BASE_BRANCH: &str = "base-branch";
    /// Issue phase, service and triage labels.
    pub const ISSUE_LABELS: &str = "issue-labels";
    /// Agent dispatch (informational: which agent labels and why).
    pub const AGENT_DISPATCH: &str = "agent-dispatch";
    /// The issue body fills the required fields of the template it was made from.
    pub const ISSUE_TEMPLATE: &str = "issue-template";
    /// A triaged issue (no `needs-review`) has an owner.
    pub const ISSUE_OWNER: &str = "issue-owner";
    /// An incident carries one severity label.
    pub const INCIDENT_SEVERITY: &str = "incident-severity";
    /// An incident has an assignee within the configured time.
    pub const INCIDENT_OWNER: &str = "incident-owner";
    /// An incident closed as completed links its postmortem (or is waived).
    pub const INCIDENT_POSTMORTEM: &str = "incident-postmortem";
    /// Infrastructure changes approved by the infra team (or the files' code owners).
    pub const INFRA_APPROVAL: &str = "infra-approval";
    /// The project board configured for the issue's repository can be used (visible to the
    /// credentials, with the status field and every configured column).
    pub const PROJECT_BOARD: &str = "project-board";

    /// Every rule id, for validating `rules:` overrides in configuration.
    pub const ALL: &[&str] = &[
        BRANCH_NAME,
        TITLE_FORMAT,
        CHECKLIST,
        REQUIRED_CHECKS,
        CODERABBIT_REVIEW,
        HUMAN_APPROVAL,
        SIGNED_COMMITS,
        LINEAR_HISTORY,
        DRAFT,
        STATE,
        BASE_BRANCH,
        ISSUE_LABELS,
        AGENT_DISPATCH,
        ISSUE_TEMPLATE,
        ISSUE_OWNER,
        INCIDENT_SEVERITY,
        INCIDENT_OWNER,
        INCIDENT_POSTMORTEM,
        INFRA_APPROVAL,
        PROJECT_BOARD,
    ];
}
