//! `release:` section: semantic versioning per repository (and per component in a monorepo).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `release:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReleaseConfig {
    /// Prefix of release tags: `v` makes `v1.4.0`.
    pub tag_prefix: String,
    /// Also read tags without the prefix (`1.4.0`) as releases; new tags always get the prefix.
    pub accept_unprefixed: bool,
    /// Release branch name; placeholders `{major}`, `{minor}`, `{patch}`, `{version}`.
    pub release_branch: String,
    /// Hotfix branch name; placeholder `{key}` (the issue key, `PE-77`).
    pub hotfix_branch: String,
    /// Before 1.0.0 a breaking change bumps the minor version, not the major (release-please's
    /// `bump-minor-pre-major`); `false` makes it 1.0.0.
    pub bump_minor_pre_major: bool,
    /// Pull request labels that decide the bump when no commit is a Conventional Commit.
    pub labels: SemverLabels,
    /// Link for an issue key in the changelog; placeholders `{key}`, `{owner}`, `{repo}`. The
    /// default searches the repository's GitHub issues for the key. A key is left unlinked when a
    /// placeholder cannot be filled (no repository known).
    pub issue_url: String,
    /// Components of a monorepo, each versioned on its own by the files it touches.
    pub components: Vec<ReleaseComponent>,
}

impl Default for ReleaseConfig {
    fn default() -> Self {
        ReleaseConfig {
            tag_prefix: "v".into(),
            accept_unprefixed: true,
            release_branch: "release/{major}.{minor}".into(),
            hotfix_branch: "hotfix/{key}".into(),
            bump_minor_pre_major: true,
            labels: SemverLabels::default(),
            issue_url: "https://github.com/{owner}/{repo}/issues?q={key}".into(),
            components: Vec::new(),
        }
    }
}

/// The `semver:*` labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SemverLabels {
    /// Label for a major release.
    pub major: String,
    /// Label for a minor release.
    pub minor: String,
    /// Label for a patch release.
    pub patch: String,
}

impl Default for SemverLabels {
    fn default() -> Self {
        SemverLabels {
            major: "semver:major".into(),
            minor: "semver:minor".into(),
            patch: "semver:patch".into(),
        }
    }
}

/// One component of a monorepo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseComponent {
    /// Path prefix of its files, `/`-separated, e.g. `gateway/`.
    pub path: String,
    /// Prefix of its tags, e.g. `gateway-v` makes `gateway-v1.2.3`.
    pub tag_prefix: String,
    /// Its name in plans and changelogs; defaults to the path without the trailing `/`.
    #[serde(default)]
    pub name: Option<String>,
}

impl ReleaseComponent {
    /// The component's display name.
    pub fn display_name(&self) -> &str {
        match &self.name {
            Some(n) => n,
            None => self.path.trim_end_matches('/'),
        }
    }
}
