//! `plasma-ops coverage --base REV [--threshold PERCENT] REPORT...`: the process's coverage gate.
//! Reads the reports (`plasma-coverage`), asks git which modules are new and which lines changed
//! (`plasma_gitrepo`), lets the policy core judge, and prints a table, JSON or GitHub annotations.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use plasma_config::Layer;
use plasma_config::report::RepoReport;
use plasma_coverage::gate::{CoverageGate, GateInput, GateResult, ModuleVerdict, show_percent};
use plasma_coverage::{PathMapper, read_files};
use plasma_github::client::{CheckAnnotation, NewCheckRun};
use plasma_gitrepo as git;
use plasma_policy::Severity;
use plasma_policy::render::cell;
use serde_json::json;

use crate::args::{Format, Global};
use crate::output::{Out, print_json, step_summary};

/// `coverage` arguments.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Base revision: files added between its merge base with HEAD and HEAD are the new modules
    /// (e.g. `origin/main`, or the last release tag).
    #[arg(long, value_name = "REV")]
    pub base: String,
    /// Minimum line coverage of a new module, in percent; replaces `coverage.threshold` (per-path
    /// thresholds still apply).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub threshold: Option<f64>,
    /// The repository (any directory inside it).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// Also post the result as a check run named `coverage` on this commit (`owner/repo@sha`),
    /// with the token in PLASMA_OPS_GITHUB_TOKEN or GITHUB_TOKEN (an App or Actions token; a
    /// personal token may not create check runs). Skipped with a warning when no token is set.
    #[arg(long, value_name = "OWNER/REPO@SHA")]
    pub post_check: Option<String>,
    /// Coverage reports, LCOV or Cobertura XML (detected from content); several are merged.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 =
        s.trim().trim_end_matches('%').parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{s} is not a percentage from 0 to 100"))
    }
}

/// Runs the gate and prints the result; exit 1 when a new module fails.
pub fn run(g: &Global, out: &Out, args: CoverageArgs) -> Result<u8> {
    let args = &args;
    let (gate, strip) = gate(g)?;
    let root = git::toplevel(&args.repo)?;
    git::verify_commit(&root, &args.base).with_context(|| {
        format!(
            "--base {:?} is not a commit of this repository (in CI, fetch it first: \
             `git fetch --tags origin` or actions/checkout with fetch-depth: 0)",
            args.base
        )
    })?;
    let mapper = PathMapper::new(Some(&root), &strip);
    let coverage = read_reports(&args.reports, &mapper, out.format)?;
    let new_files = git::added_files(&root, &args.base)?;
    let changed = git::changed_lines(&root, &args.base)?;
    let tracked = git::tracked_files(&root)?;
    let outside: Vec<String> =
        coverage.files.keys().filter(|p| !tracked.contains(*p)).cloned().collect();
    let result = gate.evaluate(&GateInput {
        base: &args.base,
        coverage: &coverage.files,
        new_files: &new_files,
        changed_lines: &changed,
        threshold: args.threshold,
        outside_repo: &outside,
    });
    let target = args.post_check.as_deref().map(parse_target).transpose()?;
    let check = target.as_ref().map(|_| check_run(&args.base, &result));
    let code = print(out, &args.base, result);
    if let (Some((repo, sha)), Some(mut run)) = (target, check) {
        run.head_sha = sha;
        post_check(&repo, &run)?;
    }
    Ok(code)
}

/// From this many bytes of reports, reading them shows a progress bar (when one is drawn).
const LARGE_REPORTS: u64 = 16 * 1024 * 1024;

/// The reports read and merged, with a bar over their bytes when they are large.
fn read_reports(
    reports: &[std::path::PathBuf],
    mapper: &PathMapper,
    format: crate::args::Format,
) -> Result<plasma_coverage::Coverage> {
    let sizes: Vec<u64> =
        reports.iter().map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).collect();
    let total: u64 = sizes.iter().sum();
    if total < LARGE_REPORTS {
        return Ok(read_files(reports, mapper)?);
    }
    let bar = crate::progress::Progress::new(format, total, "reading coverage reports (bytes)");
    let mut all = plasma_coverage::Coverage::default();
    for (p, size) in reports.iter().zip(sizes) {
        let (_, cov) = plasma_coverage::read_file(p, mapper)?;
        all.merge(cov);
        bar.inc(size);
    }
    Ok(all)
}

/// `owner/repo@sha` -> (`owner/repo`, sha).
fn parse_target(s: &str) -> Result<(String, String)> {
    let bad = || {
        anyhow!(
            "--post-check wants OWNER/REPO@SHA (e.g. plasma-engine/gateway@$GITHUB_SHA), got {s:?}"
        )
    };
    let (repo, sha) = s.rsplit_once('@').ok_or_else(bad)?;
    let (owner, name) = repo.split_once('/').ok_or_else(bad)?;
    let part = |p: &str| {
        !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    if !part(owner) || !part(name) || sha.len() < 7 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok((repo.to_string(), sha.to_string()))
}

/// The check run that carries the verdict to the pull request.
fn check_run(base: &str, r: &GateResult) -> NewCheckRun {
    let failing = r
        .modules
        .iter()
        .filter(|m| matches!(m.verdict, ModuleVerdict::Fail | ModuleVerdict::NoData))
        .count();
    let judged = r.modules.iter().filter(|m| m.verdict != ModuleVerdict::Excluded).count();
    let title = if failing == 0 {
        format!("{judged} new module(s) since {base} meet their coverage threshold")
    } else {
        format!(
            "{failing} of {judged} new module(s) since {base} are below their coverage threshold"
        )
    };
    let mut summary = markdown(base, r);
    for f in &r.findings {
        let _ = write!(
            summary,
            "\n- **{}** `{}`: {}\n  fix: {}",
            f.finding.severity.as_str(),
            f.finding.rule,
            f.finding.message,
            f.finding.hint
        );
    }
    let annotations = r
        .findings
        .iter()
        .filter_map(|f| {
            let path = f.location.path.clone()?;
            let line = f.location.line.unwrap_or(1);
            let level = match f.finding.severity {
                Severity::Error => "failure",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            Some(CheckAnnotation {
                path,
                start_line: line,
                end_line: line,
                annotation_level: level.into(),
                title: format!("plasma-ops coverage {}", f.finding.rule),
                message: format!("{}\nfix: {}", f.finding.message, f.finding.hint),
            })
        })
        .collect();
    NewCheckRun {
        name: "coverage".into(),
        head_sha: String::new(),
        conclusion: if failing == 0 { "success" } else { "failure" }.into(),
        title,
        summary,
        annotations,
    }
}

fn post_check(repo: &str, run: &NewCheckRun) -> Result<()> {
    let Some(client) = crate::github_env::client_from_env()? else {
        eprintln!(
            "warning: --post-check: no PLASMA_OPS_GITHUB_TOKEN or GITHUB_TOKEN, so no check run was posted"
        );
        return Ok(());
    };
    let rt = crate::github_env::runtime()?;
    let posted = rt.block_on(async { client.repo(None, repo)?.create_check_run(run).await });
    let posted = posted.map_err(|e| anyhow!("posting the coverage check run to {repo}: {e}"))?;
    eprintln!(
        "posted check run `coverage` #{} ({}) to {repo}@{}",
        posted.id, run.conclusion, run.head_sha
    );
    Ok(())
}

/// The effective `coverage` section, compiled; errors located in the file that set the value.
fn gate(g: &Global) -> Result<(CoverageGate, Vec<String>)> {
    use crate::input::{layer, read_layers};
    let texts = read_layers(g.org_config.as_deref(), g.config.as_deref())?;
    let (gate, eff) =
        plasma_config::compile(layer(&texts, Layer::Org), layer(&texts, Layer::Repo), |c| {
            CoverageGate::new(&c.coverage)
        })?;
    Ok((gate, eff.config.coverage.strip_prefixes))
}

fn print(out: &Out, base: &str, result: GateResult) -> u8 {
    let report = RepoReport::new(result.findings.clone());
    match out.format {
        Format::Json => {
            let mut v = serde_json::to_value(&report).unwrap_or_else(|_| json!({}));
            v["base"] = json!(base);
            v["modules"] = serde_json::to_value(&result.modules).unwrap_or_else(|_| json!([]));
            v["changed_lines"] =
                serde_json::to_value(&result.changed_lines).unwrap_or(serde_json::Value::Null);
            print_json(&v);
            if report.ok { crate::exit::OK } else { crate::exit::VIOLATIONS }
        }
        Format::Text | Format::Html => {
            print!("{}", table(out, base, &result));
            out.repo_report("coverage", &report)
        }
        Format::Github => {
            let code = out.repo_report("coverage", &report);
            step_summary(&markdown(base, &result));
            code
        }
        Format::Sarif => out.repo_report("coverage", &report),
    }
}

fn pct(p: Option<f64>) -> String {
    p.map(show_percent).unwrap_or_else(|| "-".into())
}

/// The text table: module, lines, covered, %, threshold, verdict.
fn table(out: &Out, base: &str, r: &GateResult) -> String {
    let mut s = String::new();
    if r.modules.is_empty() {
        let _ = writeln!(s, "no new modules since {base}");
        return s;
    }
    let rows: Vec<[String; 6]> = r
        .modules
        .iter()
        .map(|m| {
            [
                m.path.clone(),
                m.lines.to_string(),
                m.covered.to_string(),
                pct(m.percent),
                show_percent(m.threshold),
                m.verdict.as_str().to_string(),
            ]
        })
        .collect();
    let head = ["module", "lines", "covered", "%", "threshold", "verdict"];
    let mut width = head.map(str::len);
    for row in &rows {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut l = format!("{:<w$}", cells[0], w = width[0]);
        for i in 1..5 {
            let _ = write!(l, "  {:>w$}", cells[i], w = width[i]);
        }
        let _ = write!(l, "  {}", cells[5]);
        l
    };
    let _ = writeln!(s, "new modules since {base}:");
    let _ = writeln!(s, "{}", line(head));
    for (row, m) in rows.iter().zip(&r.modules) {
        let painted = match m.verdict {
            ModuleVerdict::Pass => out.paint("32", &row[5]),
            ModuleVerdict::Fail | ModuleVerdict::NoData => out.paint("31", &row[5]),
            ModuleVerdict::Excluded => out.paint("2", &row[5]),
        };
        let mut l = line([&row[0], &row[1], &row[2], &row[3], &row[4], ""]);
        l.truncate(l.trim_end().len());
        let _ = write!(l, "  {painted}");
        if let Some(reason) = &m.reason {
            let _ = write!(l, "  ({reason})");
        }
        let _ = writeln!(s, "{l}");
    }
    s.push('\n');
    s
}

/// The module table for `GITHUB_STEP_SUMMARY`.
fn markdown(base: &str, r: &GateResult) -> String {
    let mut md = format!("#### New modules since `{}`\n\n", cell(base));
    if r.modules.is_empty() {
        md.push_str("No new modules.\n");
    } else {
        md.push_str(
            "| Module | Lines | Covered | % | Threshold | Verdict |\n|---|--:|--:|--:|--:|---|\n",
        );
        for m in &r.modules {
            let verdict = match (&m.verdict, &m.reason) {
                (v, Some(reason)) => format!("{} ({})", v.as_str(), cell(reason)),
                (v, None) => v.as_str().to_string(),
            };
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | {} | {} |",
                cell(&m.path),
                m.lines,
                m.covered,
                pct(m.percent),
                show_percent(m.threshold),
                verdict
            );
        }
    }
    let c = &r.changed_lines;
    let _ = writeln!(
        md,
        "\nChanged lines: {} of {} executable changed lines covered ({}).",
        c.covered,
        c.lines,
        pct(c.percent)
    );
    md
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use plasma_config::CoverageConfig;

    fn verdicts(r: &GateResult) -> BTreeMap<String, &'static str> {
        r.modules.iter().map(|m| (m.path.clone(), m.verdict.as_str())).collect()
    }
    use plasma_coverage::gate::LineHits;

    #[test]
    fn percent_arguments() {
        assert_eq!(parse_percent("80"), Ok(80.0));
        assert_eq!(parse_percent("72.5%"), Ok(72.5));
        assert!(parse_percent("101").is_err());
        assert!(parse_percent("x").is_err());
    }

    #[test]
    fn table_and_markdown_show_every_module() {
        let gate = CoverageGate::new(&CoverageConfig::default()).unwrap();
        let cov = BTreeMap::from([("src/a.rs".to_string(), LineHits::from([(1, 1), (2, 0)]))]);
        let new = vec!["src/a.rs".into(), "src/b.rs".into(), "tests/t.rs".into()];
        let r = gate.evaluate(&GateInput {
            base: "v0.1.0",
            coverage: &cov,
            new_files: &new,
            changed_lines: &BTreeMap::new(),
            threshold: None,
            outside_repo: &[],
        });
        assert_eq!(
            verdicts(&r),
            BTreeMap::from([
                ("src/a.rs".into(), "fail"),
                ("src/b.rs".into(), "no-data"),
                ("tests/t.rs".into(), "excluded")
            ])
        );
        let t = table(&Out::new(Format::Text), "v0.1.0", &r);
        assert!(t.contains("src/a.rs        2        1  50.0%      80.0%  fail"), "{t}");
        let md = markdown("v0.1.0", &r);
        assert!(md.contains("| `src/b.rs` | 0 | 0 | - | 80.0% | no-data |"), "{md}");
    }
}
