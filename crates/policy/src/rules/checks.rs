//! `required-checks`: lint, tests, security scan and the CodeRabbit summary must have passed on
//! the head commit. Each process check maps to globs over real check-run names and status
//! contexts; both kinds count, and the newest result per real name wins (a re-run replaces the
//! failed run it re-ran).
//!
//! Real names are not the process's words: GitHub names a check run after its job, prefixes the
//! caller's job for a reusable workflow (`ci / lint`, `CI / Build / tests`), appends a matrix
//! job's values (`tests (3.12)`), and authors write `Security Scan`, `security-scan` or
//! `security_scan` as they like. So each glob is tried against the real name as it is (what
//! configurations written for plain globs expect), and, with case ignored and ` `, `-` and `_`
//! alike, against the whole name and against its job name alone (the part after the last ` / `),
//! each without matrix suffixes, and against the job name with its suffix (a glob naming one leg,
//! `tests (3.12)`). The job's whole name must match: a job that merely starts
//! with a check's name (`lint-docs-preview`, `test-report`) is another job, one that can pass while
//! the check itself failed or never ran.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use jiff::Timestamp;

use crate::snapshot::PrSnapshot;
use crate::{Finding, rule_id};
use plasma_config::pattern::PatternError;
use plasma_config::{ConclusionPolicy, RequiredChecksConfig};

const RULE: &str = rule_id::REQUIRED_CHECKS;

/// Near misses named in a missing check's hint, at most.
const MAX_NEAR_MISSES: usize = 3;

/// One compiled required check.
#[derive(Debug, Clone)]
struct Check {
    /// The process's name, for findings.
    name: String,
    /// The globs as configured, for findings.
    sources: Vec<String>,
    /// The globs as written, over real names as reported.
    raw: GlobSet,
    /// The globs in canonical form, over canonical names and job names.
    canonical: GlobSet,
    /// Canonical sources without glob syntax, for spotting near misses.
    literals: Vec<String>,
}

impl Check {
    fn matches(&self, real: &str) -> bool {
        self.raw.is_match(real) || {
            let (whole, job) = canonical_forms(real);
            // The job with its matrix suffix, for a glob that names one leg (`tests (3.12)`).
            let leg = fold(real.rsplit(" / ").next().unwrap_or(real));
            [whole, job, leg].iter().any(|form| self.canonical.is_match(form))
        }
    }

    /// A reported job whose name contains one of the check's words (`unit-tests` for `tests`):
    /// not accepted, but worth naming when the check is missing.
    fn near_miss(&self, real: &str) -> bool {
        let (_, job) = canonical_forms(real);
        self.literals.iter().any(|l| !l.is_empty() && job.contains(l.as_str()))
    }
}

/// The compiled `required_checks` section.
#[derive(Debug, Clone)]
pub struct RequiredChecksRule {
    checks: Vec<Check>,
    neutral: ConclusionPolicy,
    skipped: ConclusionPolicy,
}

/// What one real check or status says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Pass,
    Pending(String),
    Fail(String),
}

struct Observation<'a> {
    name: &'a str,
    kind: &'static str,
    when: Option<Timestamp>,
    id: u64,
    outcome: Outcome,
}

/// ` `, `-` and `_` (and runs of them) are one separator, written `-`.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || c == '-' || c == '_'
}

/// A trailing matrix suffix removed: `tests (ubuntu-latest, 3.12)` -> `tests`. Only a balanced
/// group at the very end counts, and a name that is nothing but the group is kept whole.
fn without_matrix(segment: &str) -> &str {
    let trimmed = segment.trim_end();
    if !trimmed.ends_with(')') {
        return segment;
    }
    let mut depth = 0usize;
    for (i, c) in trimmed.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let rest = trimmed[..i].trim_end();
                    return if rest.is_empty() { segment } else { rest };
                }
            }
            _ => {}
        }
    }
    segment
}

/// Lowercase, separators folded to one `-`, none at either end.
fn fold(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut pending = false;
    for c in segment.chars() {
        if is_separator(c) {
            pending = !out.is_empty();
        } else {
            if pending {
                out.push('-');
                pending = false;
            }
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The canonical whole name (every `/`-separated part folded and without its matrix suffix,
/// joined by `/`) and the canonical job name (the part after the last ` / `, GitHub's separator
/// between a reusable workflow's caller job and its own job). A slash without spaces stays inside
/// the job name: status contexts use it to name their producer (`security/snyk`).
fn canonical_forms(real: &str) -> (String, String) {
    let whole: Vec<String> = real.split('/').map(|p| fold(without_matrix(p))).collect();
    let job = real.rsplit(" / ").next().unwrap_or(real);
    let job: Vec<String> = job.split('/').map(|p| fold(without_matrix(p))).collect();
    (whole.join("/"), job.join("/"))
}

/// A glob in the canonical form of [`canonical_forms`]: outside character classes and escapes,
/// separators between words fold to one `-` and separators next to a `/` or at either end go, so
/// `* / Security Scan` becomes `*/Security-Scan`. Case is left to the case-insensitive matcher;
/// matrix suffixes stay (a glob naming one leg, `tests (3.12)`, means that leg).
fn canonical_glob(glob: &str) -> String {
    let mut out = String::with_capacity(glob.len());
    // Whether a separator was seen since the last character written in this part.
    let mut pending = false;
    // Whether this `/`-separated part has any character written yet.
    let mut started = false;
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        if is_separator(c) {
            pending = started;
            continue;
        }
        if c == '/' {
            out.push('/');
            pending = false;
            started = false;
            continue;
        }
        if pending {
            out.push('-');
            pending = false;
        }
        started = true;
        out.push(c);
        match c {
            '\\' => out.extend(chars.next()),
            '[' => {
                // A class is copied as written; `[]...]` and `[!]...]` hold a `]` as a member.
                if let Some(neg) = chars.next_if(|n| *n == '!' || *n == '^') {
                    out.push(neg);
                }
                if let Some(close) = chars.next_if(|n| *n == ']') {
                    out.push(close);
                }
                for member in chars.by_ref() {
                    out.push(member);
                    if member == ']' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether a glob is plain text (no wildcard, class, alternation or escape).
fn is_literal(glob: &str) -> bool {
    !glob.contains(['*', '?', '[', ']', '{', '}', '\\'])
}

fn compile(key: &str, globs: &[String]) -> Result<GlobSet, PatternError> {
    let mut set = GlobSetBuilder::new();
    for (j, g) in globs.iter().enumerate() {
        let glob =
            GlobBuilder::new(g).literal_separator(true).case_insensitive(true).build().map_err(
                |e| PatternError {
                    key: format!("{key}[{j}]"),
                    pattern: g.clone(),
                    reason: e.kind().to_string(),
                },
            )?;
        set.add(glob);
    }
    set.build().map_err(|e| PatternError {
        key: key.to_string(),
        pattern: globs.join(", "),
        reason: e.to_string(),
    })
}

impl RequiredChecksRule {
    /// Compile the globs of every required check.
    pub fn new(cfg: &RequiredChecksConfig) -> Result<Self, PatternError> {
        let mut checks = Vec::with_capacity(cfg.checks.len());
        for (i, check) in cfg.checks.iter().enumerate() {
            let key = format!("required_checks.checks[{i}].sources");
            // A glob that is valid as written but not once folded (a stray `]` left alone by
            // the folding, say) is reported against the glob as written: that is what to fix.
            let raw = compile(&key, &check.sources)?;
            let folded: Vec<String> = check.sources.iter().map(|g| canonical_glob(g)).collect();
            let canonical = compile(&key, &folded).map_err(|mut e| {
                e.pattern = check.sources.join(", ");
                e
            })?;
            let literals = check
                .sources
                .iter()
                .filter(|g| is_literal(g))
                .map(|g| canonical_forms(g).1)
                .collect();
            checks.push(Check {
                name: check.name.clone(),
                sources: check.sources.clone(),
                raw,
                canonical,
                literals,
            });
        }
        Ok(RequiredChecksRule { checks, neutral: cfg.neutral, skipped: cfg.skipped })
    }

    /// The process names of the checks that none of `names` satisfies (for the audit: which
    /// required checks branch protection does not require).
    pub fn unmatched<'a>(&self, names: impl IntoIterator<Item = &'a str> + Clone) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| !names.clone().into_iter().any(|n| c.matches(n)))
            .map(|c| c.name.clone())
            .collect()
    }

    fn conclusion(&self, c: &str) -> Outcome {
        let by = |p: ConclusionPolicy| match p {
            ConclusionPolicy::Pass => Outcome::Pass,
            ConclusionPolicy::Fail => Outcome::Fail(c.to_string()),
        };
        match c {
            "success" => Outcome::Pass,
            "neutral" => by(self.neutral),
            "skipped" => by(self.skipped),
            other => Outcome::Fail(other.to_string()),
        }
    }

    /// Judge the head commit's check runs and statuses.
    pub fn check(&self, pr: &PrSnapshot) -> Vec<Finding> {
        if pr.check_runs.is_none() && pr.statuses.is_none() {
            return vec![Finding::info(
                RULE,
                "required checks not evaluated: the input carries no check runs or statuses",
                "run `plasma-ops check pr --snapshot FILE` with a full snapshot, or let the service fetch them",
            )];
        }
        let mut obs: Vec<Observation<'_>> = Vec::new();
        for run in pr.check_runs.iter().flatten() {
            let outcome = match (run.status.as_str(), run.conclusion.as_deref()) {
                ("completed", Some(c)) => self.conclusion(c),
                ("completed", None) => Outcome::Fail("completed without a conclusion".into()),
                (status, _) => Outcome::Pending(status.to_string()),
            };
            obs.push(Observation {
                name: &run.name,
                kind: "check run",
                when: run.completed_at.or(run.started_at),
                id: run.id,
                outcome,
            });
        }
        for st in pr.statuses.iter().flatten() {
            let outcome = match st.state.as_str() {
                "success" => Outcome::Pass,
                "pending" => Outcome::Pending("pending".into()),
                other => Outcome::Fail(other.to_string()),
            };
            obs.push(Observation {
                name: &st.context,
                kind: "status",
                when: st.updated_at,
                id: st.id,
                outcome,
            });
        }
        // Newest result per real name: by time, then id (ids grow with each new run).
        let mut newest: BTreeMap<&str, &Observation<'_>> = BTreeMap::new();
        for o in &obs {
            let replace = newest.get(o.name).is_none_or(|cur| (o.when, o.id) > (cur.when, cur.id));
            if replace {
                newest.insert(o.name, o);
            }
        }
        let sha = short_sha(&pr.head.sha);
        let mut findings = Vec::new();
        for (i, check) in self.checks.iter().enumerate() {
            let name = &check.name;
            let matched: Vec<&&Observation<'_>> =
                newest.values().filter(|o| check.matches(o.name)).collect();
            if matched.is_empty() {
                let accepted =
                    check.sources.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
                let near: Vec<String> = newest
                    .keys()
                    .filter(|real| check.near_miss(real))
                    .take(MAX_NEAR_MISSES)
                    .map(|real| format!("`{real}`"))
                    .collect();
                let key = format!("required_checks.checks[{i}].sources");
                let hint = if near.is_empty() {
                    format!(
                        "run the job that reports `{name}` on this commit, or map its real name in `{key}`"
                    )
                } else {
                    format!(
                        "run the job that reports `{name}` on this commit; if {} is that job, add its name to `{key}` (a job whose name merely contains `{name}` is not taken for it)",
                        near.join(" or ")
                    )
                };
                findings.push(Finding::error(
                    RULE,
                    format!(
                        "required check `{name}` is missing: nothing reported on {sha} is named like {accepted} (any case, ` `, `-` and `_` alike, with or without a `<workflow> / ` prefix or a `(matrix)` suffix)"
                    ),
                    hint,
                ));
                continue;
            }
            let failed: Vec<String> = matched
                .iter()
                .filter_map(|o| match &o.outcome {
                    Outcome::Fail(c) => Some(format!("{} `{}` concluded `{c}`", o.kind, o.name)),
                    _ => None,
                })
                .collect();
            let pending: Vec<String> = matched
                .iter()
                .filter_map(|o| match &o.outcome {
                    Outcome::Pending(s) => Some(format!("{} `{}` is `{s}`", o.kind, o.name)),
                    _ => None,
                })
                .collect();
            if !failed.is_empty() {
                findings.push(Finding::error(
                    RULE,
                    format!("required check `{name}` failed on {sha}: {}", failed.join("; ")),
                    "open the failing run's log, fix the cause and push; a re-run that passes replaces this result",
                ));
            } else if !pending.is_empty() {
                findings.push(Finding::error(
                    RULE,
                    format!(
                        "required check `{name}` has not finished on {sha}: {}",
                        pending.join("; ")
                    ),
                    "wait for it to complete; plasma-ops re-evaluates when it does",
                ));
            }
        }
        findings
    }
}

/// The first seven characters of a SHA, as GitHub shows it.
pub fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// `required-checks`, explained (`explain_rule`).
pub const ABOUT: crate::rules::about::RuleAbout = crate::rules::about::RuleAbout {
    rule: r#"required-checks"#,
    checks: r#"The head commit has passing results for lint, tests, a security scan and the CodeRabbit summary, from check runs or commit statuses; the newest result per name wins."#,
    config: &[
        crate::rules::about::ConfigKey {
            key: "required_checks.checks",
            default: r#"[lint, tests, security scan, CodeRabbit summary]"#,
        },
        crate::rules::about::ConfigKey { key: "required_checks.neutral", default: r#"pass"# },
        crate::rules::about::ConfigKey { key: "required_checks.skipped", default: r#"pass"# },
    ],
    passes: r#"check runs `CI / lint`, `tests (3.12)`, `trivy` and `CodeRabbit` all succeeded on the head commit"#,
    fails: r#"`tests` failed on the head commit, or no `security scan` result was reported"#,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{CheckRun, CommitStatus};
    use crate::test_support::pr;

    fn run(id: u64, name: &str, status: &str, conclusion: Option<&str>, at: &str) -> CheckRun {
        CheckRun {
            id,
            name: name.into(),
            status: status.into(),
            conclusion: conclusion.map(str::to_string),
            started_at: None,
            completed_at: at.parse().ok(),
        }
    }

    fn status(id: u64, context: &str, state: &str, at: &str) -> CommitStatus {
        CommitStatus {
            id,
            context: context.into(),
            state: state.into(),
            updated_at: at.parse().ok(),
            description: None,
        }
    }

    fn all_green() -> (Vec<CheckRun>, Vec<CommitStatus>) {
        (
            vec![
                run(1, "lint", "completed", Some("success"), "2026-01-01T00:00:00Z"),
                run(2, "CI / test", "completed", Some("success"), "2026-01-01T00:00:00Z"),
                run(3, "security-scan", "completed", Some("success"), "2026-01-01T00:00:00Z"),
            ],
            vec![status(4, "CodeRabbit", "success", "2026-01-01T00:00:00Z")],
        )
    }

    fn judge(runs: Vec<CheckRun>, statuses: Vec<CommitStatus>) -> Vec<Finding> {
        judge_with(runs, statuses, RequiredChecksConfig::default())
    }

    fn judge_with(
        runs: Vec<CheckRun>,
        statuses: Vec<CommitStatus>,
        cfg: RequiredChecksConfig,
    ) -> Vec<Finding> {
        let mut p = pr();
        p.check_runs = Some(runs);
        p.statuses = Some(statuses);
        RequiredChecksRule::new(&cfg).unwrap().check(&p)
    }

    #[test]
    fn table() {
        type Mutate = fn(&mut Vec<CheckRun>, &mut Vec<CommitStatus>);
        let cases: &[(&str, Mutate, &[&str])] = &[
            ("all green", |_, _| {}, &[]),
            ("lint missing", |r, _| r.retain(|c| c.name != "lint"), &["`lint` is missing"]),
            (
                "tests failed",
                |r, _| r[1].conclusion = Some("failure".into()),
                &["`tests` failed", "`CI / test` concluded `failure`"],
            ),
            (
                "security pending",
                |r, _| {
                    r[2].status = "in_progress".into();
                    r[2].conclusion = None;
                },
                &["`security scan` has not finished", "`in_progress`"],
            ),
            (
                "coderabbit status failed",
                |_, s| s[0].state = "error".into(),
                &["`CodeRabbit summary` failed", "status `CodeRabbit` concluded `error`"],
            ),
            (
                "newer re-run replaces failure",
                |r, _| {
                    r[0].conclusion = Some("failure".into());
                    r.push(run(9, "lint", "completed", Some("success"), "2026-01-02T00:00:00Z"));
                },
                &[],
            ),
            (
                "newer failure replaces success",
                |r, _| r.push(run(9, "lint", "completed", Some("failure"), "2026-01-02T00:00:00Z")),
                &["`lint` failed"],
            ),
            ("neutral passes by default", |r, _| r[0].conclusion = Some("neutral".into()), &[]),
            ("skipped passes by default", |r, _| r[0].conclusion = Some("skipped".into()), &[]),
            (
                "cancelled fails",
                |r, _| r[0].conclusion = Some("cancelled".into()),
                &["concluded `cancelled`"],
            ),
            (
                "status counts like a check run",
                |r, s| {
                    r.retain(|c| c.name != "lint");
                    s.push(status(8, "lint", "success", "2026-01-01T00:00:00Z"));
                },
                &[],
            ),
            ("case-insensitive names", |r, _| r[0].name = "Lint".into(), &[]),
        ];
        for (name, mutate, want) in cases {
            let (mut runs, mut statuses) = all_green();
            mutate(&mut runs, &mut statuses);
            let findings = judge(runs, statuses);
            let text: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
            if want.is_empty() {
                assert!(findings.is_empty(), "{name}: {text:?}");
            } else {
                assert_eq!(findings.len(), 1, "{name}: {text:?}");
                for w in *want {
                    assert!(findings[0].message.contains(w), "{name}: {text:?} lacks {w}");
                }
                assert!(!findings[0].hint.is_empty());
            }
        }
    }

    /// The names real workflows report, and which required check each one satisfies under the
    /// defaults. GitHub names a check run after its job; a job in a reusable workflow is
    /// `<caller job> / <job>` (nested calls add more prefixes), a matrix job gets its values in
    /// parentheses, and case and word separators are whatever the workflow author typed.
    #[test]
    fn names_real_workflows_report() {
        let cases: &[(&str, Option<&str>)] = &[
            // The process's own words, as typed.
            ("lint", Some("lint")),
            ("tests", Some("tests")),
            ("security scan", Some("security scan")),
            ("CodeRabbit summary", Some("CodeRabbit summary")),
            // Case and separators.
            ("Lint", Some("lint")),
            ("Tests", Some("tests")),
            ("test", Some("tests")),
            ("Security Scan", Some("security scan")),
            ("security-scan", Some("security scan")),
            ("security_scan", Some("security scan")),
            ("SECURITY  SCAN", Some("security scan")),
            ("Security", Some("security scan")),
            ("coderabbit-summary", Some("CodeRabbit summary")),
            ("CodeRabbit", Some("CodeRabbit summary")),
            // Reusable-workflow prefixes, one or more levels.
            ("ci / lint", Some("lint")),
            ("CI / Lint", Some("lint")),
            ("CI / Build / tests", Some("tests")),
            ("ci / security-scan", Some("security scan")),
            ("CI / Security / Security Scan", Some("security scan")),
            // Matrix suffixes, alone and with prefixes (the caller's matrix sits in the prefix).
            ("tests (3.12)", Some("tests")),
            ("test (ubuntu-latest, 3.11)", Some("tests")),
            ("ci / tests (3.12)", Some("tests")),
            ("build (3.12) / lint", Some("lint")),
            ("Lint (node 20)", Some("lint")),
            // The scanners the process names.
            ("trivy", Some("security scan")),
            ("Trivy", Some("security scan")),
            ("trivy (fs)", Some("security scan")),
            ("pip-audit", Some("security scan")),
            ("pip audit", Some("security scan")),
            ("npm audit", Some("security scan")),
            ("npm-audit", Some("security scan")),
            ("Security / trivy (image)", Some("security scan")),
            ("CI / Security / pip-audit (3.12)", Some("security scan")),
            // Negatives. The job's whole name must be the check's: a job whose name merely
            // starts or ends with it is another job (a docs preview, a report upload, a summary)
            // that can pass while the check itself failed or never ran.
            ("lint-docs-preview", None),
            ("docs / lint-docs-preview", None),
            ("eslint", None),
            ("test-report", None),
            ("tests-summary", None),
            ("unit-tests", None),
            ("integration tests (3.12)", None),
            // The caller's name is not the job's: `lint / upload-report` is not lint.
            ("lint / upload-report", None),
            // A slash without spaces is part of the name (status contexts name their producer
            // that way), not a workflow prefix.
            ("security/snyk (plasma-engine)", None),
            ("npm", None),
            ("audit", None),
            ("CodeQL", None),
            // The process's own review-loop workflow is not CodeRabbit's summary.
            ("coderabbit-follow-up", None),
            ("cursor-agent-dispatch", None),
            // An empty or bare-matrix name satisfies nothing.
            ("", None),
            ("(3.12)", None),
        ];
        let all = ["lint", "tests", "security scan", "CodeRabbit summary"];
        let mut wrong = Vec::new();
        for (real, want) in cases {
            let runs = vec![run(1, real, "completed", Some("success"), "2026-01-01T00:00:00Z")];
            let findings = judge(runs, vec![]);
            let missing: Vec<&str> = all
                .iter()
                .copied()
                .filter(|c| {
                    findings.iter().any(|f| f.message.contains(&format!("`{c}` is missing")))
                })
                .collect();
            let satisfied: Vec<&str> =
                all.iter().copied().filter(|c| !missing.contains(c)).collect();
            if satisfied != want.iter().copied().collect::<Vec<_>>() {
                wrong.push(format!("`{real}` satisfies {satisfied:?}, want {want:?}"));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {} names:\n{}",
            wrong.len(),
            cases.len(),
            wrong.join("\n")
        );
    }

    /// Statuses are matched like check runs.
    #[test]
    fn a_status_named_as_the_process_names_it_counts() {
        let (mut runs, mut statuses) = all_green();
        runs.retain(|c| c.name != "security-scan");
        statuses.push(status(9, "Security Scan", "failure", "2026-01-01T00:00:00Z"));
        let f = judge(runs, statuses);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("status `Security Scan` concluded `failure`"), "{f:?}");
    }

    /// Configurations written for the glob-only matching keep their meaning, and gain the same
    /// tolerance of case, separators, prefixes and matrix suffixes.
    #[test]
    fn configured_sources_keep_working() {
        use plasma_config::RequiredCheck;
        let cfg = RequiredChecksConfig {
            checks: vec![
                RequiredCheck { name: "tests".into(), sources: vec!["[Uu]nit-tests".into()] },
                RequiredCheck { name: "e2e".into(), sources: vec!["e2e / *".into()] },
                RequiredCheck { name: "build".into(), sources: vec!["CI / build".into()] },
                // One matrix leg only.
                RequiredCheck { name: "smoke".into(), sources: vec!["smoke tests (3.12)".into()] },
            ],
            ..Default::default()
        };
        let cases: &[(&str, &[&str])] = &[
            ("unit-tests", &["tests"]),
            ("Unit_Tests (3.12)", &["tests"]),
            ("ci / unit tests", &["tests"]),
            ("e2e / cypress", &["e2e"]),
            ("E2E / Cypress (chrome)", &["e2e"]),
            ("CI / build", &["build"]),
            ("ci / Build (amd64)", &["build"]),
            ("build", &[]),
            ("e2e", &[]),
            ("Smoke Tests (3.12)", &["smoke"]),
            ("ci / smoke_tests (3.12)", &["smoke"]),
            ("smoke-tests (3.11)", &[]),
        ];
        let mut wrong = Vec::new();
        for (real, want) in cases {
            let runs = vec![run(1, real, "completed", Some("success"), "2026-01-01T00:00:00Z")];
            let f = judge_with(runs, vec![], cfg.clone());
            let satisfied: Vec<&str> = ["tests", "e2e", "build", "smoke"]
                .into_iter()
                .filter(|c| !f.iter().any(|x| x.message.contains(&format!("`{c}` is missing"))))
                .collect();
            if satisfied != want.to_vec() {
                wrong.push(format!("`{real}` satisfies {satisfied:?}, want {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// A missing check's finding says which names count, and its hint names a reported job that
    /// only contains the check's word, so mapping it is one edit away.
    #[test]
    fn a_missing_check_names_what_counts_and_near_misses() {
        let (mut runs, statuses) = all_green();
        runs.retain(|c| c.name != "CI / test");
        runs.push(run(
            7,
            "unit-tests (3.12)",
            "completed",
            Some("success"),
            "2026-01-01T00:00:00Z",
        ));
        let f = judge(runs, statuses);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, RULE);
        assert!(f[0].message.contains("`tests` is missing"), "{}", f[0].message);
        assert!(f[0].message.contains("`tests`, `test`"), "{}", f[0].message);
        assert!(f[0].message.contains("a1b2c3d"), "{}", f[0].message);
        assert!(f[0].hint.contains("`unit-tests (3.12)`"), "{}", f[0].hint);
        assert!(f[0].hint.contains("required_checks.checks[1].sources"), "{}", f[0].hint);
    }

    #[test]
    fn globs_and_names_fold_alike() {
        let globs: &[(&str, &str)] = &[
            ("* / Security Scan", "*/Security-Scan"),
            ("security_scan", "security-scan"),
            ("  npm   audit ", "npm-audit"),
            ("[a_z] x", "[a_z]-x"),
            ("[]_] x", "[]_]-x"),
            ("a\\ b", "a\\ b"),
            ("tests (3.12)", "tests-(3.12)"),
            ("{unit,e2e} tests", "{unit,e2e}-tests"),
        ];
        for (glob, want) in globs {
            assert_eq!(canonical_glob(glob), *want, "{glob}");
        }
        let names: &[(&str, &str, &str)] = &[
            ("CI / Build / Tests (3.12)", "ci/build/tests", "tests"),
            ("build (3.12) / lint", "build/lint", "lint"),
            ("security/snyk (org)", "security/snyk", "security/snyk"),
            ("tests (a (b))", "tests", "tests"),
            ("tests (3.12", "tests-(3.12", "tests-(3.12"),
            ("(3.12)", "(3.12)", "(3.12)"),
            ("", "", ""),
        ];
        for (real, whole, job) in names {
            assert_eq!(canonical_forms(real), (whole.to_string(), job.to_string()), "{real}");
        }
    }

    #[test]
    fn an_invalid_source_is_reported_with_its_key() {
        use plasma_config::RequiredCheck;
        let cfg = RequiredChecksConfig {
            checks: vec![RequiredCheck { name: "lint".into(), sources: vec!["lint[".into()] }],
            ..Default::default()
        };
        let e = RequiredChecksRule::new(&cfg).unwrap_err();
        assert_eq!(e.key, "required_checks.checks[0].sources[0]");
        assert_eq!(e.pattern, "lint[");
    }

    #[test]
    fn neutral_and_skipped_can_be_made_to_fail() {
        let cfg = RequiredChecksConfig {
            neutral: ConclusionPolicy::Fail,
            skipped: ConclusionPolicy::Fail,
            ..Default::default()
        };
        let (mut runs, statuses) = all_green();
        runs[0].conclusion = Some("neutral".into());
        runs[1].conclusion = Some("skipped".into());
        let f = judge_with(runs, statuses, cfg);
        assert_eq!(f.len(), 2, "{f:?}");
    }

    #[test]
    fn unknown_checks_are_not_evaluated() {
        let f = RequiredChecksRule::new(&RequiredChecksConfig::default()).unwrap().check(&pr());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, crate::Severity::Info);
    }
}
