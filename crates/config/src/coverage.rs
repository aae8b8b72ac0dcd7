//! `coverage:` section: the process's quality gate "minimum 80% test coverage for new modules;
//! coverage enforced via CI". Defaults are exactly that: 80% line coverage per new module, where a
//! module is a source file of a common language that is not a test, bench, example, fixture or
//! generated file.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `coverage:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CoverageConfig {
    /// Minimum line coverage of every new module, in percent (0-100).
    pub threshold: u8,
    /// Thresholds for some paths instead of `threshold`; the first entry whose glob matches a
    /// module wins. Each names its reason, which the report shows.
    pub thresholds: Vec<PathThreshold>,
    /// What counts as a module: repository-relative source file globs (`*` stays within one
    /// directory, `**` crosses directories).
    pub include: Vec<String>,
    /// Files matching `include` that are still not modules (tests, benches, examples, fixtures,
    /// generated code).
    pub exclude: Vec<String>,
    /// Prefixes removed from paths in coverage reports before they are matched with repository
    /// paths, e.g. the checkout directory of the machine that produced the report. Absolute paths
    /// under the repository root are made relative without being listed here.
    pub strip_prefixes: Vec<String>,
}

/// One per-path threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathThreshold {
    /// Glob of repository paths.
    pub path: String,
    /// Minimum line coverage of matching new modules, in percent (0-100; 0 exempts them).
    pub threshold: u8,
    /// Why these modules are held to a different threshold; shown next to the verdict.
    pub reason: String,
}

impl Default for CoverageConfig {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|g| g.to_string()).collect::<Vec<_>>();
        CoverageConfig {
            threshold: 80,
            thresholds: Vec::new(),
            include: s(&[
                "**/*.rs",
                "**/*.py",
                "**/*.ts",
                "**/*.tsx",
                "**/*.mts",
                "**/*.cts",
                "**/*.js",
                "**/*.jsx",
                "**/*.mjs",
                "**/*.cjs",
                "**/*.go",
                "**/*.java",
                "**/*.kt",
            ]),
            exclude: s(&[
                "**/tests/**",
                "**/test/**",
                "**/__tests__/**",
                "**/benches/**",
                "**/examples/**",
                "**/fixtures/**",
                "**/testdata/**",
                "**/generated/**",
                "**/*_test.go",
                "**/test_*.py",
                "**/*_test.py",
                "**/conftest.py",
                "**/*.test.*",
                "**/*.spec.*",
                "**/*.d.ts",
                "**/*_pb2.py",
                "**/*.generated.*",
                "**/build.rs",
            ]),
            strip_prefixes: Vec::new(),
        }
    }
}
