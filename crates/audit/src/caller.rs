//! The workflow `plasma-ops audit --fix` writes into a repository that has none: the process's
//! six CI stages (Lint → Test → Build → Security → Package/Deploy → Notify), each a call to the
//! reusable workflows plasma-ops ships in its own `.github/workflows/reusable-*.yml`
//! (docs/workflows.md), for the repository's language.

use super::Checkout;
use plasma_config::{AuditConfig, AuditStage};

/// Where the reusable workflows live, and the tag callers pin them to.
pub const REUSABLE_REPOSITORY: &str = "plasma-engine/plasma-ops";
/// The tag the template pins (and builds the coverage gate's plasma-ops from).
pub const REUSABLE_TAG: &str = "v1";

/// The service languages the reusable workflows support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// pip / pytest / ruff / pip-audit.
    Python,
    /// npm / c8 / npm audit.
    Node,
}

impl Language {
    /// The `language` input of the reusable workflows.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::Node => "node",
        }
    }
}

/// The repository's language: Node when a `package.json` sits at the root, else Python (the
/// program's other service language).
pub fn language_of(checkout: &Checkout) -> Language {
    if checkout.has("package.json") { Language::Node } else { Language::Python }
}

/// The reusable workflow of each of the six stages, in the process's order (Package/Deploy is
/// two workflows).
const STAGES: [(&str, &[&str]); 6] = [
    ("Lint", &["lint"]),
    ("Test", &["test"]),
    ("Build", &["build"]),
    ("Security", &["security"]),
    ("Package/Deploy", &["package", "deploy"]),
    ("Notify", &["notify"]),
];

/// The job's display name: the configured stage's name, with its first match word added when
/// neither the name nor the called file would let `plasma-ops audit` recognise the stage.
fn job_name(stage: Option<&AuditStage>, default: &str, file: &str) -> String {
    let Some(stage) = stage else { return default.to_string() };
    let name = stage.name.to_ascii_lowercase();
    let found = stage.matches.iter().any(|m| {
        let m = m.to_ascii_lowercase();
        name.contains(&m) || file.contains(&m)
    });
    match stage.matches.first() {
        Some(word) if !found => format!("{} ({word})", stage.name),
        _ => stage.name.clone(),
    }
}

/// The caller workflow for `language`, with job names from `config.audit.stages` (matched to the
/// six stages by position).
pub fn caller_workflow(config: &AuditConfig, language: Language) -> String {
    let lang = language.as_str();
    let mut s = format!(
        "# The process's CI stages: Lint -> Test -> Build -> Security -> Package/Deploy -> Notify, each a
# call to the shared reusable workflows (ADR-0003) in {REUSABLE_REPOSITORY}. Pin `@{REUSABLE_TAG}` (and
# `plasma-ops-version`) to the release tag or commit SHA your organisation uses; what each stage
# needs (secrets, permissions, files) is in docs/workflows.md there. Written by
# `plasma-ops audit --fix`.
name: CI stages

on:
  pull_request:
  push:
    branches: [main]
    tags: [\"v*\"]

permissions:
  contents: read

concurrency:
  group: ci-${{{{ github.ref }}}}
  cancel-in-progress: ${{{{ github.event_name == 'pull_request' }}}}

jobs:
"
    );
    let uses = |stage: &str| {
        format!("{REUSABLE_REPOSITORY}/.github/workflows/reusable-{stage}.yml@{REUSABLE_TAG}")
    };
    let name = |i: usize, file: &str| {
        job_name(config.stages.get(i), STAGES.get(i).map_or("", |s| s.0), file)
    };
    let with_language = format!("    with:\n      language: {lang}\n");
    s.push_str(&format!(
        "  lint:\n    name: {}\n    uses: {}\n{with_language}",
        name(0, "reusable-lint.yml"),
        uses("lint")
    ));
    s.push_str(&format!(
        "  test:\n    name: {}\n    needs: lint\n    uses: {}\n{with_language}      plasma-ops-version: {REUSABLE_TAG}\n",
        name(1, "reusable-test.yml"),
        uses("test")
    ));
    s.push_str(&format!(
        "  build:\n    name: {}\n    needs: test\n    uses: {}\n{with_language}",
        name(2, "reusable-build.yml"),
        uses("build")
    ));
    s.push_str(&format!(
        "  security:\n    name: {}\n    needs: build\n    uses: {}\n{with_language}",
        name(3, "reusable-security.yml"),
        uses("security")
    ));
    s.push_str(&format!(
        "  package:
    name: {}
    # Pushes to ghcr.io/<org>/<repo> on main and tags only.
    if: github.event_name == 'push'
    needs: [build, security]
    permissions:
      contents: read
      packages: write
    uses: {}
  deploy:
    name: deploy
    # Staging after every merge to main, then production through the `production` environment.
    if: github.ref == 'refs/heads/main'
    needs: package
    uses: {}
    with:
      image: ${{{{ needs.package.outputs.image }}}}
    secrets: inherit
",
        name(4, "reusable-package.yml"),
        uses("package"),
        uses("deploy")
    ));
    s.push_str(&format!(
        "  notify:
    name: {}
    if: always()
    needs: [lint, test, build, security, package, deploy]
    uses: {}
    with:
      results: ${{{{ join(needs.*.result, ' ') }}}}
    secrets: inherit
",
        name(5, "reusable-notify.yml"),
        uses("notify")
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflows;
    use plasma_config::Severity;

    fn errors(text: &str, config: &AuditConfig) -> Vec<String> {
        let c = Checkout::from_files([(".github/workflows/plasma-stages.yml", text)]);
        workflows::check(&c, config)
            .into_iter()
            .filter(|f| f.finding.severity == Severity::Error)
            .map(|f| f.finding.message)
            .collect()
    }

    #[test]
    fn the_template_has_the_six_stages_for_either_language() {
        let config = AuditConfig::default();
        for lang in [Language::Python, Language::Node] {
            let text = caller_workflow(&config, lang);
            assert!(errors(&text, &config).is_empty(), "{text}");
            assert!(text.contains(&format!("language: {}", lang.as_str())), "{text}");
            for stage in ["lint", "test", "build", "security", "package", "deploy", "notify"] {
                let call = format!("plasma-ops/.github/workflows/reusable-{stage}.yml@v1");
                assert!(text.contains(&call), "{stage}: {text}");
            }
            let doc: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
            assert_eq!(doc["jobs"].as_mapping().unwrap().len(), 7);
        }
    }

    #[test]
    fn custom_stage_names_stay_recognisable() {
        let mut config = AuditConfig::default();
        config.stages[3] = AuditStage { name: "Scans".into(), matches: vec!["codeql".into()] };
        let text = caller_workflow(&config, Language::Python);
        assert!(text.contains("name: Scans (codeql)"), "{text}");
        assert!(errors(&text, &config).is_empty(), "{text}");
    }

    #[test]
    fn the_language_comes_from_the_root_manifest() {
        let node = Checkout::from_files([("package.json", "{}")]);
        assert_eq!(language_of(&node), Language::Node);
        let py = Checkout::from_files([("pyproject.toml", ""), ("web/package.json", "{}")]);
        assert_eq!(language_of(&py), Language::Python);
    }
}
