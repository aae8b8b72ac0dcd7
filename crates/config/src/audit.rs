//! `audit:` section: how `plasma-ops audit` recognises the process's CI stages in a repository's
//! workflows. Defaults are the process's six stages (Lint → Test → Build → Security →
//! Package/Deploy → Notify) matched by the words teams usually give such jobs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `audit:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// The CI stages every repository's workflows must contain. A stage is present when a job
    /// id, a job `name:` or the file name of a called reusable workflow contains one of its
    /// `matches` (case-insensitive).
    pub stages: Vec<AuditStage>,
}

/// One CI stage and the words that recognise it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditStage {
    /// Stage name as the process writes it, e.g. `Security`.
    pub name: String,
    /// Case-insensitive substrings of a job id, job name or called workflow file name.
    pub matches: Vec<String>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        let stage = |name: &str, matches: &[&str]| AuditStage {
            name: name.into(),
            matches: matches.iter().map(|s| s.to_string()).collect(),
        };
        AuditConfig {
            stages: vec![
                stage("Lint", &["lint"]),
                stage("Test", &["test"]),
                stage("Build", &["build"]),
                stage("Security", &["security", "trivy", "audit", "scan"]),
                stage("Package/Deploy", &["package", "deploy", "publish", "release"]),
                stage("Notify", &["notify", "notification", "slack"]),
            ],
        }
    }
}
