//! `adr:` section: what an ADR proposal is (a pull request adding `NNNN-*.md` under one of
//! `dirs`, or an issue labelled `label`, the `adr-change` template's) and where it is announced
//! as a GitHub Discussion (`discussions`). Without `discussions` nothing is announced.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::PolicyError;

/// `adr:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AdrConfig {
    /// Folders (from the repository root, ending in `/`) whose `NNNN-*.md` files a pull request
    /// adds are ADR proposals.
    pub dirs: Vec<String>,
    /// The label of issues made from the `adr-change` template.
    pub label: String,
    /// Where proposals are announced. Unset: no Discussion is made.
    pub discussions: Option<AdrDiscussions>,
}

impl Default for AdrConfig {
    fn default() -> Self {
        AdrConfig { dirs: vec!["docs/adr/".into()], label: "adr".into(), discussions: None }
    }
}

/// `adr.discussions`: the repository and category of the announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdrDiscussions {
    /// `owner/name` of the repository the Discussion is made in; unset: the proposal's own.
    #[serde(default)]
    pub repo: Option<String>,
    /// The Discussion category, by name (any case): `Ideas`, `ADR`, ...
    #[serde(default = "default_category")]
    pub category: String,
}

fn default_category() -> String {
    "Ideas".into()
}

impl AdrConfig {
    /// The ADR file `path` is, when a pull request adding it proposes one: under one of `dirs`,
    /// named `NNNN-something.md` (four digits, a dash, a name).
    pub fn proposal_file<'p>(&self, path: &'p str) -> Option<&'p str> {
        let dir = self.dirs.iter().find(|d| path.starts_with(d.as_str()))?;
        let file = &path[dir.len()..];
        let (digits, rest) = file.split_at_checked(4)?;
        let name = rest.strip_prefix('-')?.strip_suffix(".md")?;
        let ok =
            digits.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty() && !name.contains('/');
        ok.then_some(path)
    }

    /// Problems with the section, each naming its key.
    pub fn validate(&self) -> Vec<PolicyError> {
        let mut errors = Vec::new();
        for (i, d) in self.dirs.iter().enumerate() {
            if d.is_empty() || !d.ends_with('/') || d.starts_with('/') {
                errors.push(PolicyError {
                    key: format!("adr.dirs[{i}]"),
                    message: format!("`{d}` is not a folder path"),
                    hint: "write a path from the repository root ending in `/`: `docs/adr/`".into(),
                });
            }
        }
        if let Some(d) = &self.discussions {
            if let Some(repo) = &d.repo {
                let parts: Vec<&str> = repo.split('/').collect();
                if parts.len() != 2 || parts.iter().any(|p| p.trim().is_empty()) {
                    errors.push(PolicyError {
                        key: "adr.discussions.repo".into(),
                        message: format!("`{repo}` is not `owner/name`"),
                        hint: "name the repository as `owner/name`, or leave it out to announce \
                               in the proposal's own repository"
                            .into(),
                    });
                }
            }
            if d.category.trim().is_empty() {
                errors.push(PolicyError {
                    key: "adr.discussions.category".into(),
                    message: "the category is empty".into(),
                    hint: "name a Discussion category of the repository: `Ideas`".into(),
                });
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_numbered_markdown_files_under_the_folders_are_proposals() {
        let c = AdrConfig::default();
        let cases = [
            ("docs/adr/0007-cache-layer.md", true),
            ("docs/adr/0007-x.md", true),
            ("docs/adr/007-cache.md", false),
            ("docs/adr/0007cache.md", false),
            ("docs/adr/0007-.md", false),
            ("docs/adr/0007-cache.txt", false),
            ("docs/adr/sub/0007-cache.md", false),
            ("docs/adr/abcd-cache.md", false),
            ("docs/adrs/0007-cache.md", false),
            ("src/docs/adr/0007-cache.md", false),
            ("docs/adr/é007-cache.md", false),
        ];
        for (path, want) in cases {
            assert_eq!(c.proposal_file(path).is_some(), want, "{path}");
        }
    }

    #[test]
    fn bad_folders_repositories_and_categories_are_named_by_key() {
        let c: AdrConfig = serde_json::from_value(serde_json::json!({
            "dirs": ["docs/adr", "/abs/"],
            "discussions": {"repo": "just-a-name", "category": " "}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<String> = c.validate().into_iter().map(|e| e.key).collect();
        assert_eq!(
            keys,
            ["adr.dirs[0]", "adr.dirs[1]", "adr.discussions.repo", "adr.discussions.category"]
        );
        let ok: AdrConfig =
            serde_json::from_value(serde_json::json!({"discussions": {"repo": "o/d"}}))
                .unwrap_or_else(|e| panic!("{e}"));
        assert!(ok.validate().is_empty());
        assert_eq!(ok.discussions.map(|d| d.category).as_deref(), Some("Ideas"));
        assert!(AdrConfig::default().validate().is_empty());
    }
}
