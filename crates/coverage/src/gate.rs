//! The coverage gate: "minimum 80% test coverage for new modules". Pure: given per-file line hits
//! (already read and mapped by `plasma-coverage`), the files added since the base revision and the
//! changed lines (read from git by the caller), it returns one verdict per new module and the
//! findings. No I/O here, so the CLI, CI and tests all judge alike.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use globset::{GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::Serialize;

use plasma_config::CoverageConfig;
use plasma_config::PolicyError;
use plasma_config::report::RepoFinding;

/// A new module's line coverage is under its threshold.
pub const NEW_MODULE: &str = "coverage-new-module";
/// A new module appears in no coverage report: no test ran it.
pub const NO_DATA: &str = "coverage-no-data";
/// Coverage of the lines the change touched (information only).
pub const CHANGED_LINES: &str = "coverage-changed-lines";
/// Report paths that are not repository paths (information; a hint when a module has no data).
pub const OUTSIDE_REPO: &str = "coverage-outside-repo";

/// Line hits of one file: line -> times executed.
pub type LineHits = BTreeMap<u32, u64>;

/// The compiled `coverage` section.
#[derive(Debug, Clone)]
pub struct CoverageGate {
    threshold: f64,
    thresholds: Vec<(GlobMatcher, f64, String)>,
    include: GlobSet,
    exclude: GlobSet,
}

/// What the gate judges.
#[derive(Debug, Clone, Copy)]
pub struct GateInput<'a> {
    /// The base revision as the user named it (for messages).
    pub base: &'a str,
    /// Repository path -> line hits, all reports merged.
    pub coverage: &'a BTreeMap<String, LineHits>,
    /// Files added since the base (repository paths).
    pub new_files: &'a [String],
    /// Changed lines per file, as inclusive `(first, last)` ranges of the new version.
    pub changed_lines: &'a BTreeMap<String, Vec<(u32, u32)>>,
    /// Replaces the configured default threshold (`--threshold`); per-path thresholds still win.
    pub threshold: Option<f64>,
    /// Report paths that are not files of the repository.
    pub outside_repo: &'a [String],
}

/// The verdict on one new module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModuleVerdict {
    /// At or above its threshold (or nothing to cover, or exempt with threshold 0).
    Pass,
    /// Below its threshold.
    Fail,
    /// No report mentions it.
    NoData,
    /// Matches `coverage.exclude`: not a module.
    Excluded,
}

impl ModuleVerdict {
    /// The name used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleVerdict::Pass => "pass",
            ModuleVerdict::Fail => "fail",
            ModuleVerdict::NoData => "no-data",
            ModuleVerdict::Excluded => "excluded",
        }
    }
}

/// One new module's numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleCoverage {
    /// Repository path.
    pub path: String,
    /// Executable lines (lines the report lists).
    pub lines: u32,
    /// Executable lines run at least once.
    pub covered: u32,
    /// `covered / lines` in percent; `None` without data or without executable lines.
    pub percent: Option<f64>,
    /// The threshold that applies, in percent.
    pub threshold: f64,
    /// Why the threshold differs from the default, when a per-path entry set it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The verdict.
    pub verdict: ModuleVerdict,
}

/// Coverage of the changed lines.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChangedLines {
    /// Changed lines that are executable (listed in a report).
    pub lines: u32,
    /// Of those, run at least once.
    pub covered: u32,
    /// `covered / lines` in percent; `None` when no changed line is executable.
    pub percent: Option<f64>,
}

/// Everything the gate found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    /// One entry per new source file, by path.
    pub modules: Vec<ModuleCoverage>,
    /// Coverage of the change's lines.
    pub changed_lines: ChangedLines,
    /// Findings for the report.
    #[serde(skip)]
    pub findings: Vec<RepoFinding>,
}

fn glob(key: String, g: &str) -> Result<globset::Glob, PolicyError> {
    // literal_separator: without it `*` crosses `/` and `src/*.rs` would match the whole tree.
    GlobBuilder::new(g).literal_separator(true).build().map_err(|e| PolicyError {
        key,
        message: format!("invalid glob `{g}`: {}", e.kind()),
        hint: "fix the glob: `*` matches within a directory, `**` across directories".into(),
    })
}

fn glob_set(section: &str, globs: &[String], errors: &mut Vec<PolicyError>) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for (i, g) in globs.iter().enumerate() {
        match glob(format!("coverage.{section}[{i}]"), g) {
            Ok(g) => {
                b.add(g);
            }
            Err(e) => errors.push(e),
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

fn percent_ok(p: u8, key: String, errors: &mut Vec<PolicyError>) -> f64 {
    if p > 100 {
        errors.push(PolicyError {
            key,
            message: format!("threshold {p} is above 100 percent"),
            hint: "use a percentage from 0 to 100".into(),
        });
    }
    f64::from(p.min(100))
}

impl CoverageGate {
    /// Validates and compiles the section; every problem is returned, not just the first.
    pub fn new(cfg: &CoverageConfig) -> Result<Self, Vec<PolicyError>> {
        let mut errors = Vec::new();
        let threshold = percent_ok(cfg.threshold, "coverage.threshold".into(), &mut errors);
        let mut thresholds = Vec::new();
        for (i, t) in cfg.thresholds.iter().enumerate() {
            let key = format!("coverage.thresholds[{i}]");
            let pct = percent_ok(t.threshold, format!("{key}.threshold"), &mut errors);
            if t.reason.trim().is_empty() {
                errors.push(PolicyError {
                    key: format!("{key}.reason"),
                    message: format!("the threshold for `{}` gives no reason", t.path),
                    hint: "say why these modules are held to a different threshold; the report shows it".into(),
                });
            }
            match glob(format!("{key}.path"), &t.path) {
                Ok(g) => thresholds.push((g.compile_matcher(), pct, t.reason.trim().to_string())),
                Err(e) => errors.push(e),
            }
        }
        let include = glob_set("include", &cfg.include, &mut errors);
        let exclude = glob_set("exclude", &cfg.exclude, &mut errors);
        if errors.is_empty() {
            Ok(CoverageGate { threshold, thresholds, include, exclude })
        } else {
            Err(errors)
        }
    }

    /// Whether `path` is a source file the gate judges at all (`include`), before `exclude`.
    pub fn is_source(&self, path: &str) -> bool {
        self.include.is_match(path)
    }

    /// The threshold for `path` and the reason when a per-path entry set it.
    pub fn threshold_for(&self, path: &str, default: Option<f64>) -> (f64, Option<&str>) {
        self.thresholds
            .iter()
            .find(|(m, _, _)| m.is_match(path))
            .map(|(_, t, r)| (*t, Some(r.as_str())))
            .unwrap_or((default.unwrap_or(self.threshold), None))
    }

    /// Judges the new modules and measures the changed lines.
    pub fn evaluate(&self, input: &GateInput<'_>) -> GateResult {
        let mut findings = Vec::new();
        let mut modules = Vec::new();
        let mut new_files: Vec<&String> =
            input.new_files.iter().filter(|p| self.is_source(p)).collect();
        new_files.sort();
        new_files.dedup();
        for path in new_files {
            let (threshold, reason) = self.threshold_for(path, input.threshold);
            let mut m = ModuleCoverage {
                path: path.clone(),
                lines: 0,
                covered: 0,
                percent: None,
                threshold,
                reason: reason.map(str::to_string),
                verdict: ModuleVerdict::Pass,
            };
            if self.exclude.is_match(path.as_str()) {
                m.verdict = ModuleVerdict::Excluded;
                modules.push(m);
                continue;
            }
            let because = reason.map(|r| format!(" (set for this path: {r})")).unwrap_or_default();
            match input.coverage.get(path) {
                None if threshold > 0.0 => {
                    m.verdict = ModuleVerdict::NoData;
                    findings.push(no_data(path, input, threshold, &because));
                }
                None => {}
                Some(hits) => {
                    m.lines = u32::try_from(hits.len()).unwrap_or(u32::MAX);
                    m.covered = u32::try_from(hits.values().filter(|h| **h > 0).count())
                        .unwrap_or(u32::MAX);
                    if m.lines > 0 {
                        let pct = percent(m.covered, m.lines);
                        m.percent = Some(pct);
                        if pct < threshold {
                            m.verdict = ModuleVerdict::Fail;
                            findings.push(below(&m, hits, &because, input.base));
                        }
                    }
                }
            }
            modules.push(m);
        }
        let changed_lines = changed(input);
        findings.push(changed_finding(&changed_lines, input.base));
        if !input.outside_repo.is_empty() {
            findings.push(RepoFinding::info(
                OUTSIDE_REPO,
                format!(
                    "{} path(s) in the reports are not files of this repository and were ignored, e.g. `{}`",
                    input.outside_repo.len(),
                    input.outside_repo[0]
                ),
                "expected for dependencies and the standard library; for this repository's own files \
                 set coverage.strip_prefixes to the checkout directory the reports were made in",
            ));
        }
        GateResult { modules, changed_lines, findings }
    }
}

fn percent(covered: u32, lines: u32) -> f64 {
    if lines == 0 { 100.0 } else { f64::from(covered) * 100.0 / f64::from(lines) }
}

/// A percentage for messages, rounded down so 79.96% never reads as a passing 80.0%.
pub fn show_percent(p: f64) -> String {
    format!("{:.1}%", (p * 10.0).floor() / 10.0)
}

fn no_data(path: &str, input: &GateInput<'_>, threshold: f64, because: &str) -> RepoFinding {
    let suffix = format!("/{path}");
    let hint = match input.outside_repo.iter().find(|p| p.ends_with(&suffix)) {
        Some(p) => format!(
            "a report has `{p}`, which looks like this file in another checkout: set \
             coverage.strip_prefixes to [\"{}\"]",
            &p[..p.len() - path.len()]
        ),
        None => "run it in the tests that write the report(s), pass the report that covers it, or \
                 give it a per-path entry under coverage.thresholds (threshold 0 with a reason) if it \
                 cannot be measured"
            .to_string(),
    };
    RepoFinding::error(
        NO_DATA,
        format!(
            "new module `{path}` (added since {}) has no coverage data: no report mentions it, so no \
             test ran it; it needs {}{because}",
            input.base,
            show_percent(threshold)
        ),
        hint,
    )
    .at(path)
}

fn below(m: &ModuleCoverage, hits: &LineHits, because: &str, base: &str) -> RepoFinding {
    let uncovered: Vec<u32> = hits.iter().filter(|(_, h)| **h == 0).map(|(l, _)| *l).collect();
    let mut f = RepoFinding::error(
        NEW_MODULE,
        format!(
            "new module `{}` (added since {base}) has {} line coverage ({} of {} lines), below its {} threshold{because}",
            m.path,
            show_percent(m.percent.unwrap_or(0.0)),
            m.covered,
            m.lines,
            show_percent(m.threshold)
        ),
        format!(
            "add tests that run its uncovered lines ({}); {} more covered line(s) reach the threshold",
            ranges(&uncovered, 8),
            needed(m)
        ),
    )
    .at(&m.path);
    if let Some(first) = uncovered.first() {
        f = f.line(*first);
    }
    f
}

/// How many more lines must be covered to reach the threshold.
fn needed(m: &ModuleCoverage) -> u32 {
    let want = (m.threshold * f64::from(m.lines) / 100.0).ceil();
    // `want` is within 0..=lines, so the conversion is exact.
    let want = if want <= 0.0 { 0 } else { want.min(f64::from(m.lines)) as u32 };
    want.saturating_sub(m.covered)
}

/// `3, 7-9, 12` with at most `max` ranges, then `…`.
pub fn ranges(lines: &[u32], max: usize) -> String {
    let mut out = String::from("lines ");
    let mut n = 0;
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i];
        let mut end = start;
        while i + 1 < lines.len() && lines[i + 1] == end + 1 {
            i += 1;
            end = lines[i];
        }
        if n == max {
            out.push_str(", …");
            break;
        }
        if n > 0 {
            out.push_str(", ");
        }
        if start == end {
            let _ = write!(out, "{start}");
        } else {
            let _ = write!(out, "{start}-{end}");
        }
        n += 1;
        i += 1;
    }
    out
}

fn changed(input: &GateInput<'_>) -> ChangedLines {
    let mut c = ChangedLines::default();
    for (path, spans) in input.changed_lines {
        let Some(hits) = input.coverage.get(path) else { continue };
        for &(first, last) in spans {
            for (_, h) in hits.range(first..=last.max(first)) {
                c.lines = c.lines.saturating_add(1);
                if *h > 0 {
                    c.covered = c.covered.saturating_add(1);
                }
            }
        }
    }
    if c.lines > 0 {
        c.percent = Some(percent(c.covered, c.lines));
    }
    c
}

fn changed_finding(c: &ChangedLines, base: &str) -> RepoFinding {
    let message = match c.percent {
        Some(p) => format!(
            "changed lines since {base}: {} of {} executable changed lines are covered ({})",
            c.covered,
            c.lines,
            show_percent(p)
        ),
        None => format!("changed lines since {base}: no changed line is executable in the reports"),
    };
    RepoFinding::info(
        CHANGED_LINES,
        message,
        "information only: the gate judges new modules; uncovered changed lines are worth a test too",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use plasma_config::PathThreshold;
    use plasma_config::finding::Severity;

    fn hits(covered: u32, total: u32) -> LineHits {
        (1..=total).map(|l| (l, u64::from(l <= covered))).collect()
    }

    struct Case {
        name: &'static str,
        file: &'static str,
        data: Option<LineHits>,
        verdict: ModuleVerdict,
        rule: Option<&'static str>,
    }

    fn gate() -> CoverageGate {
        let mut cfg = CoverageConfig::default();
        cfg.thresholds.push(PathThreshold {
            path: "cli/**".into(),
            threshold: 50,
            reason: "spawned-binary tests are not measured".into(),
        });
        cfg.thresholds.push(PathThreshold {
            path: "gen/**".into(),
            threshold: 0,
            reason: "generated at build time".into(),
        });
        CoverageGate::new(&cfg).unwrap()
    }

    #[test]
    fn new_modules_table() {
        let cases = [
            Case {
                name: "80% passes",
                file: "src/a.rs",
                data: Some(hits(8, 10)),
                verdict: ModuleVerdict::Pass,
                rule: None,
            },
            Case {
                name: "79.x% fails",
                file: "src/b.rs",
                data: Some(hits(79, 100)),
                verdict: ModuleVerdict::Fail,
                rule: Some(NEW_MODULE),
            },
            Case {
                name: "no data fails",
                file: "src/c.py",
                data: None,
                verdict: ModuleVerdict::NoData,
                rule: Some(NO_DATA),
            },
            Case {
                name: "no executable lines pass",
                file: "src/d.rs",
                data: Some(LineHits::new()),
                verdict: ModuleVerdict::Pass,
                rule: None,
            },
            Case {
                name: "tests are excluded",
                file: "crates/x/tests/t.rs",
                data: None,
                verdict: ModuleVerdict::Excluded,
                rule: None,
            },
            Case {
                name: "per-path 50% passes",
                file: "cli/main.rs",
                data: Some(hits(5, 10)),
                verdict: ModuleVerdict::Pass,
                rule: None,
            },
            Case {
                name: "per-path 50% fails",
                file: "cli/other.rs",
                data: Some(hits(4, 10)),
                verdict: ModuleVerdict::Fail,
                rule: Some(NEW_MODULE),
            },
            Case {
                name: "threshold 0 exempts no data",
                file: "gen/x.rs",
                data: None,
                verdict: ModuleVerdict::Pass,
                rule: None,
            },
        ];
        let g = gate();
        for c in cases {
            let mut cov = BTreeMap::new();
            if let Some(d) = c.data {
                cov.insert(c.file.to_string(), d);
            }
            let new = vec![c.file.to_string(), "README.md".to_string()];
            let r = g.evaluate(&GateInput {
                base: "v0.1.0",
                coverage: &cov,
                new_files: &new,
                changed_lines: &BTreeMap::new(),
                threshold: None,
                outside_repo: &[],
            });
            assert_eq!(r.modules.len(), 1, "{}: README.md is not a module", c.name);
            assert_eq!(r.modules[0].verdict, c.verdict, "{}", c.name);
            let errors: Vec<&str> = r
                .findings
                .iter()
                .filter(|f| f.finding.severity == Severity::Error)
                .map(|f| f.finding.rule.as_str())
                .collect();
            assert_eq!(errors, c.rule.into_iter().collect::<Vec<_>>(), "{}", c.name);
        }
    }

    #[test]
    fn a_failing_module_names_numbers_lines_and_reason() {
        let cov = BTreeMap::from([(
            "cli/x.rs".to_string(),
            LineHits::from([(1, 1), (2, 0), (3, 0), (4, 0), (9, 0)]),
        )]);
        let new = vec!["cli/x.rs".to_string()];
        let r = gate().evaluate(&GateInput {
            base: "v0.1.0",
            coverage: &cov,
            new_files: &new,
            changed_lines: &BTreeMap::new(),
            threshold: None,
            outside_repo: &[],
        });
        let f = &r.findings[0];
        assert_eq!(
            f.finding.message,
            "new module `cli/x.rs` (added since v0.1.0) has 20.0% line coverage (1 of 5 lines), below its 50.0% threshold (set for this path: spawned-binary tests are not measured)"
        );
        assert_eq!(
            f.finding.hint,
            "add tests that run its uncovered lines (lines 2-4, 9); 2 more covered line(s) reach the threshold"
        );
        assert_eq!((f.location.path.as_deref(), f.location.line), (Some("cli/x.rs"), Some(2)));
    }

    #[test]
    fn the_command_line_threshold_replaces_only_the_default() {
        let cov = BTreeMap::from([
            ("src/a.rs".to_string(), hits(6, 10)),
            ("cli/b.rs".to_string(), hits(4, 10)),
        ]);
        let new = vec!["src/a.rs".to_string(), "cli/b.rs".to_string()];
        let r = gate().evaluate(&GateInput {
            base: "main",
            coverage: &cov,
            new_files: &new,
            changed_lines: &BTreeMap::new(),
            threshold: Some(60.0),
            outside_repo: &[],
        });
        let v: Vec<_> = r.modules.iter().map(|m| (m.path.as_str(), m.verdict)).collect();
        assert_eq!(v, [("cli/b.rs", ModuleVerdict::Fail), ("src/a.rs", ModuleVerdict::Pass)]);
    }

    #[test]
    fn changed_lines_are_counted_where_executable() {
        let cov = BTreeMap::from([(
            "src/a.rs".to_string(),
            LineHits::from([(1, 1), (2, 0), (5, 3), (9, 0)]),
        )]);
        let changed = BTreeMap::from([
            ("src/a.rs".to_string(), vec![(2, 5), (7, 7)]),
            ("docs/x.md".to_string(), vec![(1, 3)]),
        ]);
        let r = gate().evaluate(&GateInput {
            base: "main",
            coverage: &cov,
            new_files: &[],
            changed_lines: &changed,
            threshold: None,
            outside_repo: &[],
        });
        assert_eq!(r.changed_lines, ChangedLines { lines: 2, covered: 1, percent: Some(50.0) });
        let info = r.findings.iter().find(|f| f.finding.rule == CHANGED_LINES).unwrap();
        assert_eq!(info.finding.severity, Severity::Info);
        assert!(
            info.finding.message.contains("1 of 2 executable changed lines are covered (50.0%)"),
            "{}",
            info.finding.message
        );
    }

    #[test]
    fn a_module_missing_because_of_path_mapping_gets_the_fix() {
        let outside = vec!["/runner/work/p/p/src/new.rs".to_string()];
        let new = vec!["src/new.rs".to_string()];
        let r = gate().evaluate(&GateInput {
            base: "main",
            coverage: &BTreeMap::new(),
            new_files: &new,
            changed_lines: &BTreeMap::new(),
            threshold: None,
            outside_repo: &outside,
        });
        let f = r.findings.iter().find(|f| f.finding.rule == NO_DATA).unwrap();
        assert!(
            f.finding.hint.contains("coverage.strip_prefixes to [\"/runner/work/p/p/\"]"),
            "{}",
            f.finding.hint
        );
        assert!(r.findings.iter().any(|f| f.finding.rule == OUTSIDE_REPO));
    }

    #[test]
    fn bad_config_is_reported_by_key() {
        let mut cfg = CoverageConfig { threshold: 120, ..CoverageConfig::default() };
        cfg.include.push("src/[".into());
        cfg.thresholds.push(PathThreshold {
            path: "a/**".into(),
            threshold: 10,
            reason: " ".into(),
        });
        let keys: Vec<String> =
            CoverageGate::new(&cfg).unwrap_err().into_iter().map(|e| e.key).collect();
        assert_eq!(
            keys,
            ["coverage.threshold", "coverage.thresholds[0].reason", "coverage.include[13]"]
        );
    }

    #[test]
    fn percentages_round_down_and_ranges_shorten() {
        assert_eq!(show_percent(79.96), "79.9%");
        assert_eq!(show_percent(80.0), "80.0%");
        assert_eq!(ranges(&[1, 2, 3, 5, 7, 8], 8), "lines 1-3, 5, 7-8");
        assert_eq!(ranges(&[1, 3, 5, 7], 2), "lines 1, 3, …");
    }
}
