//! Rendering results as text, JSON or GitHub workflow commands. The JSON shapes are a documented
//! interface (docs/cli-json.md): fields are only ever added.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

use plasma_config::{ConfigError, LabelDefinition};
use plasma_policy::dispatch::DispatchReport;
use plasma_policy::render::cell;
use plasma_policy::{Finding, IssueVerdict, Severity, Verdict};
use serde_json::json;

use crate::args::Format;
use crate::exit;

/// Where and how results are printed.
pub struct Out {
    pub format: Format,
    color: bool,
}

impl Out {
    pub fn new(format: Format) -> Self {
        // NO_COLOR (https://no-color.org): any non-empty value disables colour.
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Out { format, color: !no_color && std::io::stdout().is_terminal() }
    }

    pub(crate) fn paint(&self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    fn code(findings: &[Finding]) -> u8 {
        if findings.iter().any(|f| f.severity == Severity::Error) {
            exit::VIOLATIONS
        } else {
            exit::OK
        }
    }

    /// A single-rule check (`check branch`, `check title`, `check body`).
    pub fn findings(&self, what: &str, subject: &str, findings: &[Finding]) -> u8 {
        let ok = !findings.iter().any(|f| f.severity == Severity::Error);
        match self.format {
            Format::Json | Format::Sarif => {
                print_json(&json!({ "ok": ok, "subject": subject, "findings": findings }))
            }
            Format::Text | Format::Html => {
                let mut s = String::new();
                if ok && findings.is_empty() {
                    let _ = writeln!(
                        s,
                        "{} {what} `{subject}` follows the process",
                        self.paint("32", "✓")
                    );
                } else {
                    let _ = writeln!(s, "{what} `{subject}`:");
                    s.push_str(&self.text_findings(findings));
                }
                print!("{s}");
            }
            Format::Github => {
                annotate(findings);
                let mut md = format!("### plasma-ops: {what} `{}`\n\n", cell(subject));
                md.push_str(&markdown_table(findings));
                step_summary(&md);
            }
        }
        Self::code(findings)
    }

    fn text_findings(&self, findings: &[Finding]) -> String {
        let mut s = String::new();
        for (sev, title, code) in [
            (Severity::Error, "errors", "31"),
            (Severity::Warning, "warnings", "33"),
            (Severity::Info, "notes", "36"),
        ] {
            let group: Vec<&Finding> = findings.iter().filter(|f| f.severity == sev).collect();
            if group.is_empty() {
                continue;
            }
            let _ = writeln!(s, "{}", self.paint(code, &format!("{title} ({}):", group.len())));
            for f in group {
                let _ = writeln!(s, "  {} [{}] {}", self.paint(code, mark(sev)), f.rule, f.message);
                let _ = writeln!(s, "      {} {}", self.paint("2", "fix:"), f.hint);
            }
        }
        s
    }

    /// `check pr`.
    pub fn verdict(&self, v: &Verdict) -> u8 {
        match self.format {
            Format::Json | Format::Sarif => {
                let mut value = serde_json::to_value(v).unwrap_or_default();
                if let Some(o) = value.as_object_mut() {
                    o.insert("summary".into(), json!(v.summary));
                }
                print_json(&value);
            }
            Format::Text | Format::Html => {
                let mut s = String::new();
                let head = if v.ready {
                    self.paint("32", "✓ ready to merge")
                } else if v.ok {
                    self.paint("33", "… no blockers, not ready yet")
                } else {
                    self.paint("31", "✗ not ready")
                };
                let _ =
                    writeln!(s, "{}#{} @ {}: {head}", v.repository, v.number, short(&v.head_sha));
                match v.review.state {
                    Some(st) => {
                        let _ = writeln!(
                            s,
                            "review loop: {}",
                            serde_json::to_value(st).unwrap_or_default().as_str().unwrap_or("")
                        );
                    }
                    None => {
                        let _ = writeln!(s, "review loop: unknown (no reviews in the input)");
                    }
                }
                if let Some(bot) = &v.dependency_bot {
                    let _ = writeln!(
                        s,
                        "dependency bot {}: {} not applied (dependency_bots.logins)",
                        bot.login,
                        bot.exempt_rules.join(", ")
                    );
                }
                let verb = if v.review.rereview.request { "request" } else { "no request" };
                let _ = writeln!(s, "re-review: {verb} ({})", v.review.rereview.reason);
                for t in &v.review.open_threads {
                    let line = t.line.map(|l| format!(":{l}")).unwrap_or_default();
                    let _ = writeln!(s, "open CodeRabbit thread: {}{line} {}", t.path, t.url);
                }
                match &v.desired_labels {
                    Some(l) => {
                        let _ = writeln!(
                            s,
                            "labels wanted: {}",
                            if l.is_empty() { "(none)".into() } else { l.join(", ") }
                        );
                    }
                    None => {
                        let _ = writeln!(s, "labels: left as they are");
                    }
                }
                if let Some(d) = &v.dispatch {
                    let counts: Vec<String> =
                        d.counts.iter().map(|(l, n)| format!("{l} ({n})")).collect();
                    let applied = if v.dispatch_applies { "applied" } else { "not applied now" };
                    let _ = writeln!(s, "agents ({applied}): {}", counts.join(", "));
                }
                s.push_str(&self.text_findings(&v.findings));
                print!("{s}");
            }
            Format::Github => {
                annotate(&v.findings);
                step_summary(&v.summary);
            }
        }
        Self::code(&v.findings)
    }

    /// `check issue`.
    pub fn issue_verdict(&self, v: &IssueVerdict) -> u8 {
        let subject = format!("{}#{}", v.repository, v.number);
        match self.format {
            Format::Json | Format::Sarif => print_json(&json!({
                "ok": v.ok, "repository": v.repository, "number": v.number, "findings": v.findings
            })),
            _ => return self.findings("issue", &subject, &v.findings),
        }
        Self::code(&v.findings)
    }

    /// `dispatch`.
    pub fn dispatch(&self, r: &DispatchReport) -> u8 {
        match self.format {
            Format::Json | Format::Sarif => {
                print_json(&json!({ "labels": r.labels, "counts": r.counts, "files": r.files }))
            }
            Format::Text | Format::Html | Format::Github => {
                let width =
                    r.files.iter().map(|f| f.path.chars().count()).max().unwrap_or(0).min(60);
                let mut s = String::new();
                for f in &r.files {
                    let _ = writeln!(
                        s,
                        "{:<width$}  {}  {}",
                        f.path,
                        f.labels.join(","),
                        self.paint("2", &f.rule)
                    );
                }
                let counts: Vec<String> =
                    r.counts.iter().map(|(l, n)| format!("{l}: {n}")).collect();
                let _ = writeln!(s, "{}", counts.join("  "));
                print!("{s}");
            }
        }
        exit::OK
    }

    /// `labels`.
    pub fn labels(&self, defs: &[LabelDefinition]) -> u8 {
        match self.format {
            Format::Json | Format::Sarif => print_json(&json!({ "labels": defs })),
            _ => {
                let width = defs.iter().map(|d| d.name.len()).max().unwrap_or(0);
                for d in defs {
                    println!("{:<width$}  #{}  {}", d.name, d.color, d.description);
                }
            }
        }
        exit::OK
    }

    /// `config validate`.
    pub fn config_errors(&self, file: &str, errors: &[ConfigError]) -> u8 {
        match self.format {
            Format::Json | Format::Sarif => print_json(&json!({
                "ok": errors.is_empty(),
                "file": file,
                "errors": errors.iter().map(|e| json!({
                    "file": e.file, "line": e.line, "column": e.column, "message": e.message, "hint": e.hint
                })).collect::<Vec<_>>()
            })),
            Format::Text | Format::Html => {
                if errors.is_empty() {
                    println!("{file}: valid");
                }
                for e in errors {
                    println!("{e}");
                }
            }
            Format::Github => {
                for e in errors {
                    let mut props = format!("file={}", escape_property(&e.file));
                    if let Some(l) = e.line {
                        let _ = write!(props, ",line={l}");
                    }
                    if let Some(c) = e.column {
                        let _ = write!(props, ",col={c}");
                    }
                    let msg = match &e.hint {
                        Some(h) => format!("{}\nhint: {h}", e.message),
                        None => e.message.clone(),
                    };
                    println!("::error {props},title=plasma-ops config::{}", escape_data(&msg));
                }
            }
        }
        if errors.is_empty() { exit::OK } else { exit::VIOLATIONS }
    }
}

fn mark(s: Severity) -> &'static str {
    match s {
        Severity::Error => "✗",
        Severity::Warning => "!",
        Severity::Info => "i",
    }
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

pub(crate) fn print_json(v: &serde_json::Value) {
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

/// Workflow command data escaping (GitHub's toolkit: `%`, CR, LF).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Workflow command property escaping (also `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn annotate(findings: &[Finding]) {
    for f in findings {
        let cmd = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let title = escape_property(&format!("plasma-ops {}", f.rule));
        println!(
            "::{cmd} title={title}::{}",
            escape_data(&format!("{}\nfix: {}", f.message, f.hint))
        );
    }
}

fn markdown_table(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "No findings.\n".into();
    }
    let mut s = String::from("| Severity | Rule | Finding | Fix |\n|---|---|---|---|\n");
    for f in findings {
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {} |",
            f.severity.as_str(),
            f.rule,
            cell(&f.message),
            cell(&f.hint)
        );
    }
    s
}

/// Append Markdown to the job summary when GitHub Actions gives us one.
pub(crate) fn step_summary(md: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(md.as_bytes()).and_then(|_| f.write_all(b"\n")));
    if let Err(e) = written {
        // The annotations already went out; a summary we could not write is worth a warning only.
        println!(
            "::warning title=plasma-ops::{}",
            escape_data(&format!("cannot append to GITHUB_STEP_SUMMARY: {e}"))
        );
    }
}
