//! The tools' interface: names, argument names and descriptions (input schemas), result shapes
//! (output schemas). Names and argument names are a contract agents script against.

use std::collections::BTreeSet;
use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every tool, in the order `tools/list` gives them.
pub const TOOL_NAMES: &[&str] = &[
    "pr_status",
    "check_title",
    "check_branch",
    "check_body",
    "classify_files",
    "explain_rule",
    "lint_commit_messages",
    "agent_queue",
    "recent_actions",
    "release_plan",
    "audit",
];

/// Tools that read a local checkout: offered over stdio only, never over HTTP.
pub const STDIO_ONLY: &[&str] = &["release_plan", "audit"];

/// The tools to offer: all (less the stdio-only ones over HTTP), or the comma-separated `list`
/// (`--tools` / `PLASMA_OPS_MCP_TOOLS`). An unknown name is an error naming the known ones.
pub fn select_tools(list: Option<&str>, stdio: bool) -> Result<BTreeSet<&'static str>, String> {
    let offered = |n: &&str| stdio || !STDIO_ONLY.contains(n);
    let Some(list) = list.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(TOOL_NAMES.iter().copied().filter(offered).collect());
    };
    let mut out = BTreeSet::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match TOOL_NAMES.iter().find(|t| **t == name) {
            Some(t) if offered(t) => {
                out.insert(*t);
            }
            Some(t) => {
                return Err(format!("tool `{t}` is offered over stdio only (`plasma-ops mcp`)"));
            }
            None => {
                return Err(format!(
                    "unknown tool `{name}`; the tools are: {}",
                    TOOL_NAMES.join(", ")
                ));
            }
        }
    }
    Ok(out)
}

// ---- arguments ----

/// `pr_status` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PrStatusArgs {
    /// The repository, `owner/name`, e.g. `plasma-engine/gateway`.
    pub repo: String,
    /// The pull request number.
    pub number: u64,
}

/// `check_title` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckTitleArgs {
    /// The pull request title to judge, e.g. `[PE-12] Gateway bootstrap`.
    pub title: String,
}

/// `check_branch` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckBranchArgs {
    /// The branch name, e.g. `gateway/PE-12-bootstrap-fastapi`.
    pub name: String,
    /// `owner/name` of the repository, to check the `<repo>` part of a feature branch.
    #[serde(default)]
    #[schemars(with = "String")]
    pub repo: Option<String>,
}

/// `check_body` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckBodyArgs {
    /// The pull request body (Markdown) whose checklist to judge.
    pub body: String,
}

/// `classify_files` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ClassifyFilesArgs {
    /// Repository-relative paths of changed files, e.g. `services/api/main.py`.
    pub paths: Vec<String>,
}

/// `explain_rule` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ExplainRuleArgs {
    /// A rule id as findings name it, e.g. `title-format` or `required-checks`.
    pub rule: String,
}

/// `lint_commit_messages` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct LintCommitMessagesArgs {
    /// Whole commit messages (subject, blank line, body), one per element.
    pub messages: Vec<String>,
}

/// `agent_queue` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AgentQueueArgs {
    /// The agent, as `python` or `agent:python`.
    pub agent: String,
    /// Only this repository, `owner/name`.
    #[serde(default)]
    #[schemars(with = "String")]
    pub repo: Option<String>,
}

/// `recent_actions` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RecentActionsArgs {
    /// The repository, `owner/name`.
    pub repo: String,
    /// The pull request number.
    pub number: u64,
}

/// `release_plan` and `audit` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PathArgs {
    /// A local checkout of the repository (any path inside it).
    pub path: String,
}

// ---- results ----

/// A finding: rule id, what is wrong and how to fix it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FindingOut {
    /// The rule id, e.g. `title-format`.
    pub rule: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// A blocker or warning of `pr_status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Blocker {
    /// The rule id.
    pub rule: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// Label changes the service would make.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct LabelChanges {
    /// Labels to add.
    pub add: Vec<String>,
    /// Labels to remove.
    pub remove: Vec<String>,
}

/// `pr_status` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PrStatus {
    /// Ready to merge: open, not a draft, no blocker, every rule evaluated.
    pub ready: bool,
    /// Error findings: what must be fixed.
    pub blockers: Vec<Blocker>,
    /// Warning findings.
    pub warnings: Vec<Blocker>,
    /// The label changes the service would make now.
    pub labels: LabelChanges,
    /// The CodeRabbit review loop: `needs-review`, `needs-fix`, `approved`, or `unknown` (the
    /// input had no reviews).
    pub review_loop: String,
    /// The re-review decision.
    pub rereview: Rereview,
    /// The summary comment the service posts, as Markdown.
    pub summary_markdown: String,
    /// Where the verdict came from: `github` (live) or `store` (the last reconcile's payload).
    pub source: String,
}

/// Whether plasma-ops asks CodeRabbit for a review of the head commit.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Rereview {
    /// It would post the request now.
    pub request: bool,
    /// A request for this head exists or is being made now.
    pub requested_for_head: bool,
    /// The head SHA the decision is about.
    pub sha: String,
    /// Why (or why not).
    pub reason: String,
}

/// `check_title` / `check_branch` / `check_body` result (the CLI's `check --format json`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckResult {
    /// No error finding.
    pub ok: bool,
    /// What was judged.
    pub subject: String,
    /// The findings.
    pub findings: Vec<FindingOut>,
}

/// `classify_files` result (the CLI's `dispatch --format json`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClassifyResult {
    /// Every label given to at least one file, sorted.
    pub labels: Vec<String>,
    /// Label -> number of files.
    pub counts: std::collections::BTreeMap<String, usize>,
    /// Per file, in input order.
    pub files: Vec<FileOut>,
}

/// One file of `classify_files`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileOut {
    /// The path as given.
    pub path: String,
    /// Its `agent:*` labels.
    pub labels: Vec<String>,
    /// The dispatch rules that gave them.
    pub rule: String,
}

/// `explain_rule` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleExplained {
    /// The rule id.
    pub rule: String,
    /// What it checks.
    pub checks: String,
    /// Configuration keys and their built-in defaults.
    pub config: Vec<ConfigKeyOut>,
    /// An example that passes.
    pub passes: String,
    /// An example that fails, and why.
    pub fails: String,
}

/// A configuration key and its default.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConfigKeyOut {
    /// Dotted key in `.github/plasma.yml`.
    pub key: String,
    /// The built-in default, as YAML.
    pub default: String,
}

/// `lint_commit_messages` result (the CLI's `history --messages --format json`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct LintResult {
    /// No error finding.
    pub ok: bool,
    /// Findings, each with the 0-based `index` of its message.
    pub findings: Vec<LintFinding>,
}

/// A finding of `lint_commit_messages` (as `history --messages --format json` writes it).
#[derive(Debug, Serialize, JsonSchema)]
pub struct LintFinding {
    /// The rule id (commitlint's names).
    pub rule: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// Always null for messages (the shape is the repository findings').
    pub path: Option<String>,
    /// Always null for messages.
    pub line: Option<u32>,
    /// The 0-based position of the message in `messages`.
    pub index: usize,
}

/// One pull request of `agent_queue`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QueuedPr {
    /// `owner/name`.
    pub repo: String,
    /// The pull request number.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// When plasma-ops first acted on it (RFC 3339).
    pub since: String,
    /// What must be fixed.
    pub blockers: Vec<Blocker>,
}

/// `agent_queue` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AgentQueue {
    /// The agent label, e.g. `agent:python`.
    pub agent: String,
    /// Pull requests waiting on it, oldest first.
    pub pull_requests: Vec<QueuedPr>,
}

/// `recent_actions` result: the action log of one pull request, as `plasma-ops actions --format
/// json` writes it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ActionsResult {
    /// Newest first.
    pub actions: Vec<ActionOut>,
}

/// One entry of the action log.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ActionOut {
    /// `owner/repo#n`.
    pub key: String,
    /// The write: `add_labels`, `remove_label`, `set_status`, `create_comment`, ...
    pub kind: String,
    /// `applied` or `planned` (dry run).
    pub mode: String,
    /// The deliveries that caused it.
    pub delivery_ids: Vec<String>,
    /// When (RFC 3339).
    pub at: String,
    /// The state before: `{labels, head_sha}`.
    pub before: Value,
    /// The write, or what GitHub answered.
    pub after: Value,
}

/// A local tool's result: the CLI's JSON for `release plan` / `audit`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LocalResult {
    /// The command's JSON output.
    #[serde(flatten)]
    pub json: serde_json::Map<String, Value>,
}

fn schema<T: JsonSchema>() -> Arc<JsonObject> {
    let v = serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null);
    Arc::new(v.as_object().cloned().unwrap_or_default())
}

fn tool<I: JsonSchema, O: JsonSchema>(
    name: &'static str,
    title: &str,
    description: &'static str,
) -> Tool {
    let mut annotations = ToolAnnotations::new();
    annotations.title = Some(title.to_string());
    annotations.read_only_hint = Some(true);
    annotations.destructive_hint = Some(false);
    annotations.idempotent_hint = Some(true);
    Tool::new(name, description, schema::<I>())
        .with_title(title)
        .with_raw_output_schema(schema::<O>())
        .with_annotations(annotations)
}

/// The definition of tool `name`.
pub fn definition(name: &str) -> Option<Tool> {
    Some(match name {
        "pr_status" => tool::<PrStatusArgs, PrStatus>(
            "pr_status",
            "Pull request status",
            "What blocks a pull request and why: the same verdict plasma-ops posts (blockers with \
             rule id, message and fix hint; warnings; label changes; the CodeRabbit review loop \
             state; the summary comment). Live from GitHub, or from the service's last reconcile.",
        ),
        "check_title" => tool::<CheckTitleArgs, CheckResult>(
            "check_title",
            "Check a title",
            "Judge a pull request title against the process (`[PE-12] Summary`).",
        ),
        "check_branch" => tool::<CheckBranchArgs, CheckResult>(
            "check_branch",
            "Check a branch name",
            "Judge a branch name: `<repo>/PE-<n>-slug`, `release/<version>` or `hotfix/PE-<n>`.",
        ),
        "check_body" => tool::<CheckBodyArgs, CheckResult>(
            "check_body",
            "Check a body",
            "Judge a pull request body's checklist: every item present and ticked.",
        ),
        "classify_files" => tool::<ClassifyFilesArgs, ClassifyResult>(
            "classify_files",
            "Classify files",
            "Which `agent:*` labels changed files get, and which dispatch rule gave each.",
        ),
        "explain_rule" => tool::<ExplainRuleArgs, RuleExplained>(
            "explain_rule",
            "Explain a rule",
            "What a rule checks, its configuration keys with defaults, and an example that passes \
             and one that fails.",
        ),
        "lint_commit_messages" => tool::<LintCommitMessagesArgs, LintResult>(
            "lint_commit_messages",
            "Lint commit messages",
            "Lint commit messages (Conventional Commits / issue keys, commitlint's rules); each \
             finding carries the `index` of its message.",
        ),
        "agent_queue" => tool::<AgentQueueArgs, AgentQueue>(
            "agent_queue",
            "Agent queue",
            "Pull requests waiting on an agent (`agent:*` label, in status:needs-cursor-fix), \
             oldest first, each with its blockers: what the agent picks up next.",
        ),
        "recent_actions" => tool::<RecentActionsArgs, ActionsResult>(
            "recent_actions",
            "Recent actions",
            "What plasma-ops wrote or planned (dry run) on a pull request, newest first.",
        ),
        "release_plan" => tool::<PathArgs, LocalResult>(
            "release_plan",
            "Release plan",
            "The next semantic version of a local checkout, its release branch and changelog.",
        ),
        "audit" => tool::<PathArgs, LocalResult>(
            "audit",
            "Audit a checkout",
            "Audit a local checkout against the process's tooling checklist (CODEOWNERS, \
             templates, workflows, Renovate, CodeRabbit, ADRs).",
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_defined_read_only_with_described_arguments() {
        for name in TOOL_NAMES {
            let t = definition(name).unwrap_or_else(|| panic!("{name} has no definition"));
            assert_eq!(t.name, *name);
            let a = t.annotations.as_ref().and_then(|a| a.read_only_hint);
            assert_eq!(a, Some(true), "{name}");
            assert!(t.output_schema.is_some(), "{name}");
            let props = t.input_schema.get("properties").and_then(Value::as_object);
            for (arg, s) in props.into_iter().flatten() {
                assert!(s.get("description").is_some(), "{name}.{arg} has no description");
            }
        }
        assert!(definition("nope").is_none());
    }

    #[test]
    fn tools_are_selected_by_name_and_stdio_only_ones_stay_off_http() {
        assert_eq!(select_tools(None, true).map(|s| s.len()), Ok(TOOL_NAMES.len()));
        let http = select_tools(None, false).unwrap_or_default();
        assert!(!http.contains("audit") && http.contains("pr_status"));
        let some = select_tools(Some(" pr_status, explain_rule "), false).unwrap_or_default();
        assert_eq!(some.into_iter().collect::<Vec<_>>(), ["explain_rule", "pr_status"]);
        assert!(select_tools(Some("audit"), false).is_err_and(|e| e.contains("stdio only")));
        assert!(select_tools(Some("bogus"), true).is_err_and(|e| e.contains("pr_status")));
        assert_eq!(select_tools(Some(""), false), select_tools(None, false));
    }
}
