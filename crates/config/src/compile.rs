//! Load the layers and compile a product's rules from them, with every error located: the one
//! way every front door (CLI, service) turns configuration text into rules, so a bad key reads
//! `file:line:col: key: message` with its hint wherever it is reported.

use std::fmt;

use crate::error::PolicyError;
use crate::load::{ConfigError, ConfigSource, EffectiveConfig, Layer, config_error_at, load};
use crate::model::Config;

/// Every error found while loading or compiling a configuration, each located in its layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedErrors(pub Vec<ConfigError>);

impl fmt::Display for LocatedErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid configuration:")?;
        for e in &self.0 {
            write!(f, "\n{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LocatedErrors {}

/// Where a compile error came from when no layer's text holds its key.
const DEFAULTS: &str = "built-in defaults";

/// Loads `org` < `repo` over the defaults and hands the result to `build`; a load error or any
/// of `build`'s errors comes back located in the layer that set the key.
pub fn compile<T>(
    org: Option<ConfigSource<'_>>,
    repo: Option<ConfigSource<'_>>,
    build: impl FnOnce(&Config) -> Result<T, Vec<PolicyError>>,
) -> Result<(T, EffectiveConfig), LocatedErrors> {
    let eff = load(org, repo).map_err(|e| LocatedErrors(vec![e]))?;
    match build(&eff.config) {
        Ok(v) => Ok((v, eff)),
        Err(errors) => Err(LocatedErrors(locate(&eff, org, repo, errors))),
    }
}

/// Each compile error at its key in the text of the layer that set it.
pub fn locate(
    eff: &EffectiveConfig,
    org: Option<ConfigSource<'_>>,
    repo: Option<ConfigSource<'_>>,
    errors: Vec<PolicyError>,
) -> Vec<ConfigError> {
    errors
        .into_iter()
        .map(|e| {
            let src = match eff.origin(&e.key) {
                Layer::Org => org,
                Layer::Repo => repo,
                Layer::Default => None,
            };
            let message = format!("{}: {}", e.key, e.message);
            match src {
                Some(s) => config_error_at(s, &e.key, message, Some(e.hint)),
                None => ConfigError::file(DEFAULTS, message, Some(e.hint)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad_threshold(c: &Config) -> Result<(), Vec<PolicyError>> {
        if c.approvals.required > 5 {
            return Err(vec![PolicyError {
                key: "approvals.required".into(),
                message: format!("{} approvals", c.approvals.required),
                hint: "ask for at most 5".into(),
            }]);
        }
        Ok(())
    }

    #[test]
    fn a_compile_error_is_located_in_the_layer_that_set_the_key() {
        let org = ConfigSource { name: "org.yml", text: "approvals:\n  required: 9\n" };
        let repo = ConfigSource { name: "repo.yml", text: "issue_key:\n  prefix: PE\n" };
        let e = compile(Some(org), Some(repo), bad_threshold).unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].file, "org.yml");
        assert_eq!((e.0[0].line, e.0[0].column), (Some(2), Some(3)));
        assert_eq!(
            e.to_string(),
            "invalid configuration:\norg.yml:2:3: approvals.required: 9 approvals\n  hint: ask for at most 5"
        );
    }

    #[test]
    fn a_load_error_and_a_default_error_are_reported_too() {
        let broken = ConfigSource { name: "repo.yml", text: "approvals: [\n" };
        let e = compile(None, Some(broken), bad_threshold).unwrap_err();
        assert_eq!(e.0[0].file, "repo.yml");
        let e = compile(None, None, |_| -> Result<(), _> {
            Err(vec![PolicyError { key: "k".into(), message: "m".into(), hint: "h".into() }])
        })
        .unwrap_err();
        assert_eq!(e.0, vec![ConfigError::file(DEFAULTS, "k: m", Some("h".into()))]);
        assert!(compile(None, None, bad_threshold).is_ok());
    }
}
