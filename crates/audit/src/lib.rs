//! `plasma-ops audit`: the process's tooling checklist for one repository, as findings.
//!
//! Every rule here takes the repository as plain data (its file list and the contents of the
//! few files the rules read, see [`wanted`]) and returns [`RepoFinding`]s with a rule id, the
//! file and line, the offending value and the fix. Reading the checkout, git and the GitHub API
//! happens in the CLI; this module does no I/O.

use std::collections::BTreeMap;

use plasma_config::Config;
use plasma_config::report::RepoFinding;

pub mod adr;
pub mod caller;
pub mod codeowners;
pub mod coderabbit;
pub mod issue_templates;
pub mod json5;
pub mod pr_template;
pub mod protection;
pub mod renovate;
pub mod rube;
pub mod templates;
pub mod workflows;

/// The repository as the audit sees it.
#[derive(Debug, Clone, Default)]
pub struct Checkout {
    /// Every tracked file, repository-relative and `/`-separated.
    pub paths: Vec<String>,
    /// Contents of the files [`wanted`] asked for. A wanted path listed in `paths` but absent
    /// here could not be read; the reader reports why.
    pub files: BTreeMap<String, String>,
}

impl Checkout {
    /// A checkout holding exactly `files` (test and `--fix` helper).
    pub fn from_files<I, P, T>(files: I) -> Self
    where
        I: IntoIterator<Item = (P, T)>,
        P: Into<String>,
        T: Into<String>,
    {
        let files: BTreeMap<String, String> =
            files.into_iter().map(|(p, t)| (p.into(), t.into())).collect();
        Checkout { paths: files.keys().cloned().collect(), files }
    }

    /// Whether `path` is a file of the repository.
    pub fn has(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path)
    }

    /// The contents of `path`, if it was read.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }
}

/// Whether the audit reads the contents of `path` (so the reader loads only these).
pub fn wanted(path: &str) -> bool {
    codeowners::LOCATIONS.contains(&path)
        || issue_templates::wanted(path)
        || pr_template::wanted(path)
        || workflows::wanted(path)
        || renovate::LOCATIONS.contains(&path)
        || coderabbit::LOCATIONS.contains(&path)
        || path == rube::TEMPLATE_PATH
}

/// Every finding of the local audit of `checkout` under `config`.
pub fn audit(checkout: &Checkout, config: &Config) -> Vec<RepoFinding> {
    let mut findings = Vec::new();
    findings.extend(codeowners::check(checkout));
    findings.extend(issue_templates::check(checkout));
    findings.extend(pr_template::check(checkout, &config.checklist));
    findings.extend(workflows::check(checkout, &config.audit));
    findings.extend(renovate::check(checkout));
    findings.extend(coderabbit::check(checkout));
    findings.extend(rube::check(checkout));
    findings.extend(adr::check(checkout));
    findings
}

/// 1-based number of the first line at or after `from` (1-based) that contains `needle`.
pub(crate) fn line_of(text: &str, from: u32, needle: &str) -> Option<u32> {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1) as usize)
        .find(|(_, l)| l.contains(needle))
        .and_then(|(i, _)| u32::try_from(i + 1).ok())
}

/// The YAML error's `(line, column)`, 1-based, and its message without yaml_serde's trailing
/// "at line L column C" (the finding carries the location itself).
pub(crate) fn yaml_error(e: &yaml_serde::Error) -> (Option<(u32, u32)>, String) {
    let loc = e.location().map(|l| {
        (u32::try_from(l.line()).unwrap_or(u32::MAX), u32::try_from(l.column()).unwrap_or(u32::MAX))
    });
    let mut msg = e.to_string();
    if let Some(i) = msg.find(" at line ") {
        msg.truncate(i);
    }
    (loc, msg)
}

/// A finding at the error's location, when it has one.
pub(crate) fn place(f: RepoFinding, loc: Option<(u32, u32)>) -> RepoFinding {
    match loc {
        Some((l, c)) => f.line_col(l, c),
        None => f,
    }
}

/// Did-you-mean for an unknown key among `known`.
pub(crate) fn did_you_mean(key: &str, known: &[&str]) -> Option<String> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(key, k), *k))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.to_string())
}
