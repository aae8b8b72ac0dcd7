//! GitHub Actions workflows under `.github/workflows/`: each parses as YAML; together they hold
//! the process's CI stages (`audit.stages`); reusable workflows are called by a path GitHub
//! accepts; security steps can fail; `run:` scripts do not interpolate attacker-controlled
//! expressions (GitHub's script-injection guidance: pass them through `env:`).

use std::sync::LazyLock;

use regex::Regex;
use yaml_serde::Value;

use super::{Checkout, line_of, place, yaml_error};
use plasma_config::AuditConfig;
use plasma_config::report::RepoFinding;

/// Where workflows live.
pub const DIR: &str = ".github/workflows/";

/// No workflow at all.
pub const MISSING: &str = "workflow-missing";
/// A file that is not YAML, or not a workflow.
pub const YAML: &str = "workflow-yaml";
/// A stage of the process that no job provides.
pub const STAGE: &str = "workflow-stage-missing";
/// A reusable workflow called by a path GitHub rejects.
pub const REUSABLE_PATH: &str = "workflow-reusable-path";
/// A security step that cannot fail.
pub const SECURITY_SOFT_FAIL: &str = "workflow-security-soft-fail";
/// An expression interpolated into a `run:` script.
pub const SCRIPT_INJECTION: &str = "workflow-script-injection";

/// Words that make a job or step a security scan.
const SECURITY_WORDS: [&str; 12] = [
    "security",
    "trivy",
    "audit",
    "scan",
    "codeql",
    "snyk",
    "grype",
    "gitleaks",
    "semgrep",
    "bandit",
    "cargo-deny",
    "osv",
];

static LOCAL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\./\.github/workflows/[^/]+\.ya?ml$").ok());
static REMOTE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/\.github/workflows/[^/@]+\.ya?ml@[^\s@]+$").ok()
});
static INJECTION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\$\{\{\s*((?:inputs|github\.event)\.[^}]*?)\s*\}\}").ok());
static SOFT_FAIL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\|\|\s*(?:true|:|exit\s+0)\b|\|\|\s*:\s*$").ok());

/// Whether the audit reads `path`.
pub fn wanted(path: &str) -> bool {
    path.strip_prefix(DIR).is_some_and(|rest| {
        !rest.contains('/') && (rest.ends_with(".yml") || rest.ends_with(".yaml"))
    })
}

/// Whether `uses` is a reusable-workflow reference GitHub accepts.
pub fn valid_reusable(uses: &str) -> bool {
    LOCAL.as_ref().is_some_and(|r| r.is_match(uses))
        || REMOTE.as_ref().is_some_and(|r| r.is_match(uses))
}

/// The names a job offers for stage matching: its id, its `name:`, the called workflow's file.
fn job_names(id: &str, job: &Value) -> Vec<String> {
    let mut names = vec![id.to_ascii_lowercase()];
    if let Some(n) = job.get("name").and_then(Value::as_str) {
        names.push(n.to_ascii_lowercase());
    }
    if let Some(u) = job.get("uses").and_then(Value::as_str) {
        let file = u.split('@').next().unwrap_or(u).rsplit('/').next().unwrap_or(u);
        names.push(file.to_ascii_lowercase());
    }
    names
}

fn contains_any(haystack: &str, words: &[&str]) -> bool {
    let h = haystack.to_ascii_lowercase();
    words.iter().any(|w| h.contains(w))
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim() == "true",
        _ => false,
    }
}

/// All workflow findings.
pub fn check(checkout: &Checkout, config: &AuditConfig) -> Vec<RepoFinding> {
    let files: Vec<&String> = checkout.paths.iter().filter(|p| wanted(p)).collect();
    if files.is_empty() {
        return vec![RepoFinding::error(
            MISSING,
            format!("No workflow under `{DIR}`, so none of the process's CI stages run."),
            "Add a workflow calling the shared reusable stages (`plasma-ops audit --fix` writes `.github/workflows/plasma-stages.yml`).",
        )];
    }
    let mut out = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for path in files {
        let Some(text) = checkout.text(path) else { continue };
        match yaml_serde::from_str::<Value>(text) {
            Err(e) => {
                let (loc, msg) = yaml_error(&e);
                out.push(place(
                    RepoFinding::error(
                        YAML,
                        format!("Not valid YAML: {msg}."),
                        "Fix the YAML here; GitHub does not run a workflow it cannot parse.",
                    )
                    .at(path.as_str()),
                    loc,
                ));
            }
            Ok(doc) => {
                let Some(jobs) = doc.get("jobs").and_then(Value::as_mapping) else {
                    out.push(
                        RepoFinding::error(
                            YAML,
                            "The workflow has no `jobs:` mapping.",
                            "Add `jobs:` with at least one job.",
                        )
                        .at(path.as_str()),
                    );
                    continue;
                };
                for (id, job) in jobs {
                    let id = id.as_str().unwrap_or("");
                    names.extend(job_names(id, job));
                    out.extend(check_job(path, text, id, job));
                }
            }
        }
    }
    for stage in &config.stages {
        let found =
            names.iter().any(|n| stage.matches.iter().any(|m| n.contains(&m.to_ascii_lowercase())));
        if !found {
            out.push(RepoFinding::error(
                STAGE,
                format!(
                    "No job provides the `{}` stage (no job id, job name or called workflow contains {}).",
                    stage.name,
                    stage.matches.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                ),
                format!(
                    "Add a `{}` job (or call the shared reusable workflow for it), or map the stage to your job names under `audit.stages` in `.github/plasma.yml`.",
                    stage.name.to_ascii_lowercase().replace('/', "-")
                ),
            ));
        }
    }
    out
}

/// Findings for one job of `path`.
fn check_job(path: &str, text: &str, id: &str, job: &Value) -> Vec<RepoFinding> {
    let mut out = Vec::new();
    let job_line = line_of(text, 1, &format!("{id}:")).unwrap_or(1);
    let at = |needle: &str| line_of(text, job_line, needle).unwrap_or(job_line);
    if let Some(uses) = job.get("uses").and_then(Value::as_str)
        && !valid_reusable(uses)
    {
        out.push(
            RepoFinding::error(
                REUSABLE_PATH,
                format!("Job `{id}` calls the reusable workflow `{uses}`, a path GitHub rejects."),
                "Call `./.github/workflows/NAME.yml` (same repository) or `OWNER/REPO/.github/workflows/NAME.yml@REF` (a tag or SHA).",
            )
            .at(path)
            .line(at(uses)),
        );
    }
    let job_is_security = job_names(id, job).iter().any(|n| contains_any(n, &SECURITY_WORDS));
    if job_is_security && truthy(job.get("continue-on-error")) {
        out.push(soft_fail(
            path,
            at("continue-on-error"),
            format!(
                "Security job `{id}` has `continue-on-error: true`, so a failed scan still passes."
            ),
        ));
    }
    let steps = job.get("steps").and_then(Value::as_sequence).map(Vec::as_slice).unwrap_or(&[]);
    for (i, step) in steps.iter().enumerate() {
        let run = step.get("run").and_then(Value::as_str);
        let uses = step.get("uses").and_then(Value::as_str).unwrap_or("");
        let name = step.get("name").and_then(Value::as_str).unwrap_or("");
        let label =
            if name.is_empty() { format!("step {}", i + 1) } else { format!("step `{name}`") };
        let is_security = job_is_security
            || contains_any(name, &SECURITY_WORDS)
            || contains_any(uses, &SECURITY_WORDS)
            || run.is_some_and(|r| contains_any(r, &SECURITY_WORDS));
        if let Some(run) = run {
            if let Some(re) = INJECTION.as_ref() {
                // The same expression may appear on several lines: each finding takes the next.
                let mut seen: Vec<(String, u32)> = Vec::new();
                for cap in re.captures_iter(run) {
                    let whole = cap.get(0).map_or("", |m| m.as_str());
                    let expr = cap.get(1).map_or("", |m| m.as_str());
                    let var = expr
                        .rsplit('.')
                        .next()
                        .unwrap_or("VALUE")
                        .to_ascii_uppercase()
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "_");
                    out.push(
                        RepoFinding::error(
                            SCRIPT_INJECTION,
                            format!("Job `{id}` {label} interpolates `{whole}` directly into its `run:` script: whoever controls that value can run commands (script injection)."),
                            format!("Pass it through the environment: `env: {{ {var}: ${{{{ {expr} }}}} }}` on the step, then use `\"${var}\"` in the script."),
                        )
                        .at(path)
                        .line({
                            let from = seen.iter().rev().find(|(w, _)| w == whole).map_or(job_line, |(_, l)| l + 1);
                            let line = line_of(text, from, whole).unwrap_or(job_line);
                            seen.push((whole.to_string(), line));
                            line
                        }),
                    );
                }
            }
            if is_security && SOFT_FAIL.as_ref().is_some_and(|r| r.is_match(run)) {
                out.push(soft_fail(path, at("||"), format!("Security {label} of job `{id}` ends its command with `|| true` (or similar), so a failed scan still passes.")));
            }
        }
        if is_security && truthy(step.get("continue-on-error")) {
            out.push(soft_fail(path, at("continue-on-error"), format!("Security {label} of job `{id}` has `continue-on-error: true`, so a failed scan still passes.")));
        }
        if uses.to_ascii_lowercase().contains("trivy-action") {
            let code = step.get("with").and_then(|w| w.get("exit-code"));
            let zero = match code {
                None => true,
                Some(Value::Number(n)) => n.as_i64() == Some(0),
                Some(Value::String(s)) => s.trim() == "0",
                _ => false,
            };
            if zero {
                let why = if code.is_none() {
                    "sets no `exit-code` (trivy-action's default is 0)"
                } else {
                    "sets `exit-code: 0`"
                };
                let line = if code.is_some() { at("exit-code") } else { at(uses) };
                out.push(soft_fail(
                    path,
                    line,
                    format!("Trivy {label} of job `{id}` {why}, so it passes whatever it finds."),
                ));
            }
        }
    }
    out
}

fn soft_fail(path: &str, line: u32, message: String) -> RepoFinding {
    RepoFinding::error(
        SECURITY_SOFT_FAIL,
        message,
        "Let the scan fail the job: remove `|| true` / `continue-on-error: true`, set Trivy's `exit-code: 1`; suppress known findings in the tool's ignore file (e.g. `.trivyignore`) instead.",
    )
    .at(path)
    .line(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<(String, Option<u32>)> {
        let c = Checkout::from_files([(".github/workflows/ci.yml", text)]);
        let cfg = AuditConfig { stages: vec![] };
        check(&c, &cfg).into_iter().map(|f| (f.finding.rule, f.location.line)).collect()
    }

    #[test]
    fn reusable_paths() {
        for (uses, ok) in [
            ("./.github/workflows/lint.yml", true),
            ("org/repo/.github/workflows/lint.yaml@v1", true),
            ("org/repo/.github/workflows/lint.yml@0123abc", true),
            ("org/repo/.github/workflows/lint.yml", false),
            ("./workflows/lint.yml", false),
            (".github/workflows/lint.yml", false),
            ("org/repo/workflows/lint.yml@v1", false),
            ("./.github/workflows/sub/lint.yml", false),
        ] {
            assert_eq!(valid_reusable(uses), ok, "{uses}");
        }
    }

    #[test]
    fn table() {
        type Case<'a> = (&'a str, Vec<(&'a str, Option<u32>)>);
        let cases: Vec<Case> = vec![
            ("jobs:\n  lint:\n    runs-on: x\n    steps:\n      - run: cargo clippy\n", vec![]),
            ("jobs: [\n", vec![(YAML, Some(2))]),
            ("on: push\n", vec![(YAML, None)]),
            (
                "jobs:\n  security:\n    steps:\n      - run: trivy fs . || true\n",
                vec![(SECURITY_SOFT_FAIL, Some(4))],
            ),
            (
                "jobs:\n  x:\n    steps:\n      - name: audit\n        run: npm audit\n        continue-on-error: true\n",
                vec![(SECURITY_SOFT_FAIL, Some(6))],
            ),
            (
                "jobs:\n  x:\n    steps:\n      - uses: aquasecurity/trivy-action@0.28.0\n        with:\n          exit-code: '0'\n",
                vec![(SECURITY_SOFT_FAIL, Some(6))],
            ),
            (
                "jobs:\n  x:\n    steps:\n      - uses: aquasecurity/trivy-action@0.28.0\n",
                vec![(SECURITY_SOFT_FAIL, Some(4))],
            ),
            (
                "jobs:\n  x:\n    steps:\n      - uses: aquasecurity/trivy-action@0.28.0\n        with:\n          exit-code: 1\n",
                vec![],
            ),
            (
                "jobs:\n  scan:\n    continue-on-error: true\n    steps:\n      - run: x\n",
                vec![(SECURITY_SOFT_FAIL, Some(3))],
            ),
            ("jobs:\n  build:\n    steps:\n      - run: make || true\n", vec![]),
            (
                "jobs:\n  r:\n    steps:\n      - run: |\n          echo hi\n          git tag v${{ inputs.version }}\n",
                vec![(SCRIPT_INJECTION, Some(6))],
            ),
            (
                "jobs:\n  r:\n    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n",
                vec![(SCRIPT_INJECTION, Some(4))],
            ),
            (
                "jobs:\n  r:\n    steps:\n      - env:\n          V: ${{ inputs.version }}\n        run: echo \"$V\"\n",
                vec![],
            ),
            (
                "jobs:\n  c:\n    uses: org/repo/.github/workflows/x.yml\n",
                vec![(REUSABLE_PATH, Some(3))],
            ),
        ];
        for (text, expect) in cases {
            let expect: Vec<(String, Option<u32>)> =
                expect.into_iter().map(|(r, l)| (r.to_string(), l)).collect();
            assert_eq!(rules(text), expect, "{text}");
        }
    }

    #[test]
    fn stages_come_from_ids_names_and_called_workflows() {
        let c = Checkout::from_files([
            (".github/workflows/a.yml", "jobs:\n  one:\n    name: Lint and Test\n    runs-on: x\n"),
            (
                ".github/workflows/b.yml",
                "jobs:\n  two:\n    uses: org/ci/.github/workflows/security.yml@v1\n",
            ),
        ]);
        let f = check(&c, &AuditConfig::default());
        let missing: Vec<_> = f
            .iter()
            .filter(|f| f.finding.rule == STAGE)
            .map(|f| f.finding.message.split('`').nth(1).unwrap_or(""))
            .collect();
        assert_eq!(missing, vec!["Build", "Package/Deploy", "Notify"]);
        assert_eq!(check(&Checkout::default(), &AuditConfig::default())[0].finding.rule, MISSING);
    }

    proptest::proptest! {
        /// Any workflow text gives findings and never panics (YAML errors become findings).
        #[test]
        fn arbitrary_workflows_never_panic(text in "(jobs:|  [a-z]+:|    steps:|      - run: [ -~]{0,30}|      - uses: [ -~]{0,30}|[ -~]{0,20}|\n){0,40}") {
            let c = Checkout::from_files([(".github/workflows/x.yml", text)]);
            let _ = check(&c, &AuditConfig::default());
        }
    }
}
