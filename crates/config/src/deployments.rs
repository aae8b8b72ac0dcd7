//! `deployments:` section: which environments count as production and staging, and which ones
//! plasma-ops gates as a custom deployment protection rule.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `deployments:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DeploymentsConfig {
    /// Environments whose deployments are production deployments: rollbacks, redeploys and the
    /// changes each deployment brought are computed for these (exact names, any case).
    pub production: Vec<String>,
    /// Environments that are staging.
    pub staging: Vec<String>,
    /// Environments plasma-ops gates (opt-in): a deployment to one of them is approved only when
    /// every pull request it brings passed the process. Empty: plasma-ops gates nothing.
    pub gate: Vec<String>,
}

impl Default for DeploymentsConfig {
    fn default() -> Self {
        DeploymentsConfig {
            production: vec!["production".into()],
            staging: vec!["staging".into()],
            gate: Vec::new(),
        }
    }
}

impl DeploymentsConfig {
    /// Whether `environment` is one of the production environments. GitHub compares
    /// environment names without regard to case, so this does too.
    pub fn is_production(&self, environment: &str) -> bool {
        self.production.iter().any(|e| e.eq_ignore_ascii_case(environment))
    }

    /// Whether `environment` is one of the staging environments.
    pub fn is_staging(&self, environment: &str) -> bool {
        self.staging.iter().any(|e| e.eq_ignore_ascii_case(environment))
    }

    /// Whether plasma-ops gates deployments to `environment`.
    pub fn is_gated(&self, environment: &str) -> bool {
        self.gate.iter().any(|e| e.eq_ignore_ascii_case(environment))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_name_production_and_staging_and_gate_nothing() {
        let d = DeploymentsConfig::default();
        assert!(d.is_production("production") && d.is_production("Production"));
        assert!(!d.is_production("staging"));
        assert!(d.is_staging("STAGING"));
        assert!(!d.is_gated("production"));
    }

    #[test]
    fn a_file_opts_environments_in() {
        let d: DeploymentsConfig =
            yaml_serde::from_str("gate: [production, prod-eu]\nproduction: [production, prod-eu]")
                .unwrap();
        assert!(d.is_gated("prod-EU") && d.is_production("prod-eu"));
        assert_eq!(d.staging, vec!["staging".to_string()]);
        assert!(yaml_serde::from_str::<DeploymentsConfig>("gates: [x]").is_err());
    }
}
