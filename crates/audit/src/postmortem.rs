//! The postmortem template: the process tracks incidents "linked to postmortems", and plasma-ops
//! reopens an incident closed without one, so every repository carries the template a
//! postmortem starts from (`incidents.postmortem.template`, default
//! `docs/postmortems/TEMPLATE.md`). `--fix` writes [`TEMPLATE`].

use plasma_config::IncidentsConfig;
use plasma_config::report::RepoFinding;

/// The template is missing.
pub const MISSING: &str = "postmortem-template-missing";

/// What `plasma-ops audit --fix` writes.
pub const TEMPLATE: &str = "\
# Postmortem: <incident title>

- **Incident:** <link to the issue labelled `incident`>
- **Severity:** sev1 | sev2 | sev3
- **Opened / acknowledged / restored:** <times, UTC, as the incident's issue shows them>
- **Authors:** <who wrote this>

Blameless: describe what the system and the process allowed, not who erred.

## Summary

What happened and who was affected, in three sentences.

## Impact

Users, requests, data and money affected; for how long.

## Timeline

All times UTC.

| time | event |
| --- | --- |
| | detected |
| | acknowledged |
| | mitigated |
| | restored |

## Root cause

The chain of causes, down to the one we can change.

## What went well, what did not

## Action items

Each one an issue, labelled and assigned.

| action | issue | owner |
| --- | --- | --- |
| | | |
";

/// The finding when the template is missing.
pub fn check(checkout: &super::Checkout, cfg: &IncidentsConfig) -> Vec<RepoFinding> {
    let path = cfg.postmortem.template.as_str();
    if checkout.has(path) {
        return Vec::new();
    }
    vec![RepoFinding::error(
        MISSING,
        format!(
            "No postmortem template at `{path}`; incidents must link a postmortem before they close."
        ),
        format!(
            "Add `{path}` (`plasma-ops audit --fix` writes one), or point `incidents.postmortem.template` at yours."
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Checkout;

    #[test]
    fn the_configured_path_is_required() {
        let cfg = IncidentsConfig::default();
        let f = check(&Checkout::from_files([("README.md", "")]), &cfg);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].finding.rule, MISSING);
        assert!(f[0].finding.message.contains("docs/postmortems/TEMPLATE.md"));
        assert!(
            check(&Checkout::from_files([("docs/postmortems/TEMPLATE.md", TEMPLATE)]), &cfg)
                .is_empty()
        );
        let mut other = cfg.clone();
        other.postmortem.template = "ops/pm.md".into();
        assert!(check(&Checkout::from_files([("ops/pm.md", "")]), &other).is_empty());
    }
}
