//! Findings about a repository rather than one pull request: files (`audit`), commits and
//! messages (`history`), modules (`coverage`). One shape for all of them, so every front door
//! renders them alike and the JSON interface stays one documented thing.

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Severity};

/// One finding, with where it was found: a [`Finding`] as every rule returns it, plus its
/// [`Location`]. Serialized flat (`rule`, `severity`, `message`, `hint`, `path`, `line`, ...), the
/// shape `--format json` has always printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoFinding {
    /// What the rule found.
    #[serde(flatten)]
    pub finding: Finding,
    /// Where.
    #[serde(flatten)]
    pub location: Location,
}

/// Where in a repository a finding was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// Repository-relative path, `/`-separated, when the finding is about a file.
    pub path: Option<String>,
    /// 1-based line in `path`.
    pub line: Option<u32>,
    /// 1-based column in `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Full commit SHA, when the finding is about a commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// 0-based position of a message in a `history --messages` input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

impl RepoFinding {
    /// A finding of `severity` with no location yet.
    pub fn new(
        rule: &str,
        severity: Severity,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self::from_finding(Finding::new(rule, severity, message, hint))
    }

    /// An error finding.
    pub fn error(rule: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(rule, Severity::Error, message, hint)
    }

    /// A warning finding.
    pub fn warning(rule: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(rule, Severity::Warning, message, hint)
    }

    /// An informational finding.
    pub fn info(rule: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(rule, Severity::Info, message, hint)
    }

    /// About the file at `path`.
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.location.path = Some(path.into());
        self
    }

    /// At `line` (1-based) of its file.
    pub fn line(mut self, line: u32) -> Self {
        self.location.line = Some(line);
        self
    }

    /// At `line:column` (both 1-based) of its file.
    pub fn line_col(mut self, line: u32, column: u32) -> Self {
        self.location.line = Some(line);
        self.location.column = Some(column);
        self
    }

    /// About the commit `sha`.
    pub fn commit(mut self, sha: impl Into<String>) -> Self {
        self.location.commit = Some(sha.into());
        self
    }

    /// About the message at `index` of a message list.
    pub fn index(mut self, index: usize) -> Self {
        self.location.index = Some(index);
        self
    }

    /// A rule's finding, not placed yet.
    pub fn from_finding(finding: Finding) -> Self {
        RepoFinding { finding, location: Location::default() }
    }
}

/// All findings of one run, and whether it passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoReport {
    /// No finding is an error.
    pub ok: bool,
    /// In a stable order: by path, line, commit, index, rule.
    pub findings: Vec<RepoFinding>,
}

impl RepoReport {
    /// Sorts the findings into their stable order and works out `ok`.
    pub fn new(mut findings: Vec<RepoFinding>) -> Self {
        findings.sort_by(|a, b| {
            let (l, r) = (&a.location, &b.location);
            (&l.path, l.line, l.column, &l.commit, l.index, &a.finding.rule, &a.finding.message)
                .cmp(&(
                    &r.path,
                    r.line,
                    r.column,
                    &r.commit,
                    r.index,
                    &b.finding.rule,
                    &b.finding.message,
                ))
        });
        let ok = !findings.iter().any(|f| f.finding.severity == Severity::Error);
        RepoReport { ok, findings }
    }

    /// Number of findings of `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.finding.severity == severity).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_is_false_only_with_an_error_and_order_is_stable() {
        let r = RepoReport::new(vec![
            RepoFinding::warning("b", "m", "h").at("z.txt"),
            RepoFinding::info("a", "m", "h").at("a.txt").line(3),
            RepoFinding::warning("a", "m", "h").at("a.txt").line(1),
        ]);
        assert!(r.ok);
        let order: Vec<_> =
            r.findings.iter().map(|f| (f.location.path.clone(), f.location.line)).collect();
        assert_eq!(
            order,
            vec![
                (Some("a.txt".into()), Some(1)),
                (Some("a.txt".into()), Some(3)),
                (Some("z.txt".into()), None)
            ]
        );
        let r = RepoReport::new(vec![RepoFinding::error("x", "m", "h").commit("abc")]);
        assert!(!r.ok);
        assert_eq!(r.count(Severity::Error), 1);
    }

    #[test]
    fn json_shape_keeps_path_and_line_and_omits_absent_extras() {
        let f = RepoFinding::error("r", "msg", "fix").at("CODEOWNERS").line(4);
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"rule": "r", "severity": "error", "message": "msg",
                "hint": "fix", "path": "CODEOWNERS", "line": 4})
        );
        let v = serde_json::to_value(RepoFinding::info("r", "m", "h").index(7)).unwrap();
        assert_eq!(v["index"], 7);
        assert!(v["path"].is_null());
    }
}
