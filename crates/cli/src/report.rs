//! Rendering a [`RepoReport`] (`audit`, `history`, `coverage`) as text, JSON, GitHub workflow
//! commands or SARIF 2.1.0. The JSON shape is `{"ok", "findings": [...]}` (docs/cli-json.md).

use std::fmt::Write as _;

use plasma_config::report::{RepoFinding, RepoReport};
use plasma_policy::Severity;
use plasma_policy::render::cell;
use serde_json::{Value, json};

use crate::args::Format;
use crate::exit;
use crate::output::{Out, escape_data, escape_property, print_json, step_summary};

/// SARIF's published 2.1.0 schema, named in every log we write.
const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

impl Out {
    /// Prints `report` for the command `tool` (`audit`, `history`, `coverage`) and returns the
    /// exit code: 1 when any finding is an error.
    pub fn repo_report(&self, tool: &str, report: &RepoReport) -> u8 {
        match self.format {
            Format::Json => print_json(&serde_json::to_value(report).unwrap_or(Value::Null)),
            Format::Sarif => print_json(&sarif(tool, report)),
            Format::Text | Format::Html => print!("{}", self.repo_text(tool, report)),
            Format::Github => {
                for f in &report.findings {
                    println!("{}", annotation(tool, f));
                }
                step_summary(&markdown(tool, report));
            }
        }
        if report.ok { exit::OK } else { exit::VIOLATIONS }
    }

    fn repo_text(&self, tool: &str, report: &RepoReport) -> String {
        let mut s = String::new();
        for (sev, code) in
            [(Severity::Error, "31"), (Severity::Warning, "33"), (Severity::Info, "36")]
        {
            for f in report.findings.iter().filter(|f| f.finding.severity == sev) {
                let place = location(f);
                let place = if place.is_empty() { String::new() } else { format!("{place}: ") };
                let _ = writeln!(
                    s,
                    "{place}{}[{}] {}",
                    self.paint(code, sev.as_str()),
                    f.finding.rule,
                    f.finding.message
                );
                let _ = writeln!(s, "    {} {}", self.paint("2", "fix:"), f.finding.hint);
            }
        }
        let (e, w, i) = (
            report.count(Severity::Error),
            report.count(Severity::Warning),
            report.count(Severity::Info),
        );
        let head =
            if report.ok { self.paint("32", "✓ passed") } else { self.paint("31", "✗ failed") };
        let _ = writeln!(s, "{tool}: {head} ({e} errors, {w} warnings, {i} notes)");
        s
    }
}

/// `path:line:col`, `commit abc1234`, `message #3`, joined; empty when the finding has no place.
fn location(f: &RepoFinding) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &f.location.path {
        let mut s = p.clone();
        if let Some(l) = f.location.line {
            let _ = write!(s, ":{l}");
            if let Some(c) = f.location.column {
                let _ = write!(s, ":{c}");
            }
        }
        parts.push(s);
    }
    if let Some(c) = &f.location.commit {
        parts.push(format!("commit {}", c.get(..12).unwrap_or(c)));
    }
    if let Some(i) = f.location.index {
        parts.push(format!("message {i}"));
    }
    parts.join(" ")
}

fn annotation(tool: &str, f: &RepoFinding) -> String {
    let cmd = match f.finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut props = String::new();
    if let Some(p) = &f.location.path {
        let _ = write!(props, "file={},", escape_property(p));
        if let Some(l) = f.location.line {
            let _ = write!(props, "line={l},");
            if let Some(c) = f.location.column {
                let _ = write!(props, "col={c},");
            }
        }
    }
    let _ = write!(
        props,
        "title={}",
        escape_property(&format!("plasma-ops {tool} {}", f.finding.rule))
    );
    let mut msg = f.finding.message.clone();
    if let Some(c) = &f.location.commit {
        msg = format!("{msg} (commit {c})");
    }
    format!("::{cmd} {props}::{}", escape_data(&format!("{msg}\nfix: {}", f.finding.hint)))
}

fn markdown(tool: &str, report: &RepoReport) -> String {
    let verdict = if report.ok { "passed" } else { "failed" };
    let mut md = format!("### plasma-ops {tool}: {verdict}\n\n");
    if report.findings.is_empty() {
        md.push_str("No findings.\n");
        return md;
    }
    md.push_str("| Severity | Rule | Where | Finding | Fix |\n|---|---|---|---|---|\n");
    for f in &report.findings {
        let _ = writeln!(
            md,
            "| {} | `{}` | {} | {} | {} |",
            f.finding.severity.as_str(),
            f.finding.rule,
            cell(&location(f)),
            cell(&f.finding.message),
            cell(&f.finding.hint)
        );
    }
    md
}

/// A SARIF 2.1.0 log with one run, so GitHub code scanning can show the findings.
pub fn sarif(tool: &str, report: &RepoReport) -> Value {
    let mut rule_ids: Vec<&str> = report.findings.iter().map(|f| f.finding.rule.as_str()).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let hint = report
                .findings
                .iter()
                .find(|f| f.finding.rule == *id)
                .map(|f| f.finding.hint.as_str())
                .unwrap_or_default();
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": format!("plasma-ops {tool} rule {id}") },
                "help": { "text": hint },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let level = match f.finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            let rule_index = rule_ids.iter().position(|r| *r == f.finding.rule).unwrap_or(0);
            let mut text = f.finding.message.clone();
            if let Some(c) = &f.location.commit {
                let _ = write!(text, " (commit {c})");
            }
            let _ = write!(text, "\nFix: {}", f.finding.hint);
            let mut result = json!({
                "ruleId": f.finding.rule,
                "ruleIndex": rule_index,
                "level": level,
                "message": { "text": text },
            });
            if let Some(path) = &f.location.path {
                let mut physical = json!({
                    "artifactLocation": { "uri": path, "uriBaseId": "%SRCROOT%" }
                });
                if let Some(line) = f.location.line {
                    let mut region = json!({ "startLine": line });
                    if let Some(col) = f.location.column {
                        region["startColumn"] = json!(col);
                    }
                    physical["region"] = region;
                }
                result["locations"] = json!([{ "physicalLocation": physical }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "plasma-ops",
                "informationUri": "https://github.com/plasma-engine/plasma-ops",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sarif_names_rules_levels_and_locations() {
        let report = RepoReport::new(vec![
            RepoFinding::error("codeowners-owner", "bad owner `x`", "use @user")
                .at("CODEOWNERS")
                .line(3),
            RepoFinding::info("adr-folder", "no ADRs", "add docs/adr/0001-x.md"),
        ]);
        let v = sarif("audit", &report);
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"].as_array().map(Vec::len), Some(2));
        let results = run["results"].as_array().unwrap();
        let owner = results.iter().find(|r| r["ruleId"] == "codeowners-owner").unwrap();
        assert_eq!(owner["level"], "error");
        let loc = &owner["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "CODEOWNERS");
        assert_eq!(loc["region"]["startLine"], 3);
        let adr = results.iter().find(|r| r["ruleId"] == "adr-folder").unwrap();
        assert_eq!(adr["level"], "note");
        assert!(adr.get("locations").is_none());
        let idx = adr["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], "adr-folder");
    }

    #[test]
    fn annotations_carry_file_line_and_escape_text() {
        let f = RepoFinding::warning("wf-injection", "50% bad\nreally", "quote it")
            .at("a,b.yml")
            .line_col(2, 5);
        assert_eq!(
            annotation("audit", &f),
            "::warning file=a%2Cb.yml,line=2,col=5,title=plasma-ops audit wf-injection::50%25 bad%0Areally%0Afix: quote it"
        );
    }
}
