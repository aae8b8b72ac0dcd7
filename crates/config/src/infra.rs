//! `infra:` section: the process's "Terraform plans gated by `infra` approvals". A pull request
//! that changes a file matching `paths` needs an approval from someone allowed to approve
//! infrastructure: a member of `team`, or (with `approvers_from: codeowners`) an owner of each
//! such file in the base branch's CODEOWNERS.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `infra:` section (rule `infra-approval`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InfraConfig {
    /// Globs of infrastructure paths (`*` stays within one directory, `**` crosses directories).
    pub paths: Vec<String>,
    /// The team whose member must approve: a team slug in the repository owner's organisation
    /// (`infra`), or `org/team-slug`. With `approvers_from: codeowners` it approves the files
    /// CODEOWNERS gives no owner.
    pub team: String,
    /// Who may approve: members of `team`, or each file's CODEOWNERS owners.
    pub approvers_from: ApproversFrom,
}

/// Where the infrastructure approvers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApproversFrom {
    /// Members of `infra.team` (read from GitHub, cached).
    #[default]
    Team,
    /// The owners CODEOWNERS (base branch) gives each changed infrastructure file: `@user`,
    /// `@org/team` (its members), e-mail addresses (which name no login and so approve nothing).
    Codeowners,
}

impl Default for InfraConfig {
    fn default() -> Self {
        InfraConfig {
            paths: ["**/*.tf", "**/*.tfvars", "**/terraform/**", "**/helm/**", "**/charts/**"]
                .iter()
                .map(|g| g.to_string())
                .collect(),
            team: "infra".into(),
            approvers_from: ApproversFrom::Team,
        }
    }
}
