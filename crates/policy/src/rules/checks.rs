//! `required-checks`: lint, tests, security scan and the CodeRabbit summary must have passed on
//! the head commit. Each process check maps to globs over real check-run names and status
//! contexts; both kinds count, and the newest result per real name wins (a re-run replaces the
//! failed run it re-ran).

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use jiff::Timestamp;

use crate::snapshot::PrSnapshot;
use crate::{Finding, rule_id};
use plasma_config::pattern::PatternError;
use plasma_config::{ConclusionPolicy, RequiredChecksConfig};

const RULE: &str = rule_id::REQUIRED_CHECKS;

/// The compiled `required_checks` section.
#[derive(Debug, Clone)]
pub struct RequiredChecksRule {
    checks: Vec<(String, Vec<String>, GlobSet)>,
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

impl RequiredChecksRule {
    /// Compile the globs of every required check.
    pub fn new(cfg: &RequiredChecksConfig) -> Result<Self, PatternError> {
        let mut checks = Vec::with_capacity(cfg.checks.len());
        for (i, check) in cfg.checks.iter().enumerate() {
            let mut set = GlobSetBuilder::new();
            for (j, g) in check.sources.iter().enumerate() {
                let glob = GlobBuilder::new(g)
                    .literal_separator(true)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| PatternError {
                        key: format!("required_checks.checks[{i}].sources[{j}]"),
                        pattern: g.clone(),
                        reason: e.kind().to_string(),
                    })?;
                set.add(glob);
            }
            let set = set.build().map_err(|e| PatternError {
                key: format!("required_checks.checks[{i}].sources"),
                pattern: check.sources.join(", "),
                reason: e.to_string(),
            })?;
            checks.push((check.name.clone(), check.sources.clone(), set));
        }
        Ok(RequiredChecksRule { checks, neutral: cfg.neutral, skipped: cfg.skipped })
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
        for (i, (name, sources, set)) in self.checks.iter().enumerate() {
            let matched: Vec<&&Observation<'_>> =
                newest.values().filter(|o| set.is_match(o.name)).collect();
            if matched.is_empty() {
                findings.push(Finding::error(
                    RULE,
                    format!(
                        "required check `{name}` is missing: nothing named like {} reported on {sha}",
                        sources.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                    ),
                    format!(
                        "run the job that reports `{name}` on this commit, or map its real name in `required_checks.checks[{i}].sources`"
                    ),
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
