//! The typed model of `.github/plasma.yml`. Its `Default` *is* the Plasma Engine process: a
//! repository without a file is judged exactly as the process document describes.
//!
//! Every struct denies unknown keys (a typo must never silently switch a rule off) and defaults
//! every field, so a file only states what it changes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "plasma-ops configuration (.github/plasma.yml)")]
pub struct Config {
    /// The issue key that ties branches, titles and issues together (`PE-12`).
    pub issue_key: IssueKeyConfig,
    /// How the repository's short name (the `<repo>` part of branch names) is found.
    pub repository: RepositoryConfig,
    /// Branch naming conventions.
    pub branches: BranchesConfig,
    /// Pull request title convention.
    pub title: TitleConfig,
    /// Branches a pull request may target.
    pub base_branches: BaseBranchesConfig,
    /// The checklist every pull request body carries.
    pub checklist: ChecklistConfig,
    /// Status checks that must pass on the head commit.
    pub required_checks: RequiredChecksConfig,
    /// The CodeRabbit review loop.
    pub coderabbit: CodeRabbitConfig,
    /// Human approvals.
    pub approvals: ApprovalsConfig,
    /// Bots that open dependency-update pull requests (Renovate, Dependabot).
    pub dependency_bots: DependencyBotsConfig,
    /// Commit signatures and linear history.
    pub commits: CommitsConfig,
    /// Label names, colours and descriptions, and which labels plasma-ops owns.
    pub labels: LabelsConfig,
    /// Classification of changed files into `agent:*` labels.
    pub dispatch: DispatchConfig,
    /// Issue labelling rules.
    pub issues: IssuesConfig,
    /// Commit messages: the subject style `history` requires and the commitlint rules.
    pub commit_messages: super::CommitMessagesConfig,
    /// Semantic versioning: tags, release and hotfix branches, changelog, components.
    pub release: super::ReleaseConfig,
    /// The coverage gate for new modules (`plasma-ops coverage`).
    pub coverage: super::CoverageConfig,
    /// Per-rule overrides, keyed by rule id (`signed-commits: { severity: warning }`).
    pub rules: BTreeMap<String, RuleOverride>,
    /// What `plasma-ops audit` looks for in a repository (CI stage names).
    pub audit: super::audit::AuditConfig,
    /// Incidents: the label, severities, the owner deadline and what counts as a postmortem.
    pub incidents: super::IncidentsConfig,
    /// Notifications: targets (Slack, Rube MCP, a GitHub issue) and which events go where.
    pub notifications: super::NotificationsConfig,
    /// Infrastructure changes and who must approve them (rule `infra-approval`).
    pub infra: super::infra::InfraConfig,
    /// Deployments: production and staging environments, and the production gate.
    pub deployments: super::DeploymentsConfig,
    /// The project board whose cards plasma-ops moves (GitHub Projects).
    pub board: super::BoardConfig,
    /// ADR proposals and where they are announced (GitHub Discussions).
    pub adr: super::AdrConfig,
    /// The weekly report: when the service posts it, and the board status thresholds.
    pub report: super::ReportConfig,
}

/// `issue_key:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IssueKeyConfig {
    /// Key prefix; a key is `<prefix>-<number>`, e.g. `PE-12`.
    pub prefix: String,
    /// The repository (`owner/name`) whose issue a key names (`PE-12` is its issue 12); unset:
    /// the pull request's own repository.
    pub tracker: Option<String>,
}

impl Default for IssueKeyConfig {
    fn default() -> Self {
        IssueKeyConfig { prefix: "PE".into(), tracker: None }
    }
}

/// `repository:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RepositoryConfig {
    /// The short name used in branch names; when unset it is the repository name with
    /// `strip_prefix` removed (`plasma-engine-gateway` -> `gateway`).
    pub short_name: Option<String>,
    /// Prefix removed from the repository name to get its short name.
    pub strip_prefix: String,
}

impl Default for RepositoryConfig {
    fn default() -> Self {
        RepositoryConfig { short_name: None, strip_prefix: "plasma-engine-".into() }
    }
}

/// `branches:` section. Patterns use placeholders: `{repo}` (the short name), `{issue_key}`,
/// `{slug}` (lowercase kebab case) and `{version}` (semver, `1.4.0` or `1.4`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BranchesConfig {
    /// Feature branches.
    pub feature: String,
    /// Release branches.
    pub release: String,
    /// Hotfix branches.
    pub hotfix: String,
    /// Globs of branch names that are exempt from naming rules (bots' branches).
    pub exempt: Vec<String>,
    /// Whether a branch's issue key must equal the title's.
    pub match_title_key: bool,
}

impl Default for BranchesConfig {
    fn default() -> Self {
        BranchesConfig {
            feature: "{repo}/{issue_key}-{slug}".into(),
            release: "release/{version}".into(),
            hotfix: "hotfix/{issue_key}".into(),
            exempt: vec!["renovate/**".into(), "dependabot/**".into()],
            match_title_key: true,
        }
    }
}

/// `title:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TitleConfig {
    /// Title pattern; placeholders `{issue_key}` and `{summary}` (non-empty, starts with a
    /// non-space character).
    pub pattern: String,
}

impl Default for TitleConfig {
    fn default() -> Self {
        TitleConfig { pattern: "[{issue_key}] {summary}".into() }
    }
}

/// `base_branches:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BaseBranchesConfig {
    /// Globs of allowed base branches.
    pub allowed: Vec<String>,
}

impl Default for BaseBranchesConfig {
    fn default() -> Self {
        BaseBranchesConfig { allowed: vec!["main".into(), "release/*".into()] }
    }
}

/// `checklist:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChecklistConfig {
    /// Items that must be present and ticked.
    pub items: Vec<ChecklistItem>,
}

impl Default for ChecklistConfig {
    fn default() -> Self {
        let item = |id: &str, text: &str, aliases: &[&str]| ChecklistItem {
            id: id.into(),
            text: text.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
        };
        ChecklistConfig {
            items: vec![
                item("tests-run", "tests run", &["tests pass", "tests added"]),
                item("lint-pass", "lint pass", &["lint clean", "linted"]),
                item("docs-updated", "docs updated", &["documentation updated"]),
                item("adr-impact", "ADR impact", &["ADR considered", "ADR"]),
            ],
        }
    }
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// Stable id used in findings.
    pub id: String,
    /// Text to match, case-insensitive, tolerant of punctuation, word endings and extra words.
    pub text: String,
    /// Other wordings accepted for the same item.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// `required_checks:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RequiredChecksConfig {
    /// The process's checks, each mapped to the real check-run or status names that satisfy it.
    pub checks: Vec<RequiredCheck>,
    /// How a `neutral` conclusion counts.
    pub neutral: ConclusionPolicy,
    /// How a `skipped` conclusion counts.
    pub skipped: ConclusionPolicy,
}

impl Default for RequiredChecksConfig {
    fn default() -> Self {
        let check = |name: &str, sources: &[&str]| RequiredCheck {
            name: name.into(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
        };
        RequiredChecksConfig {
            checks: vec![
                check("lint", &["lint"]),
                check("tests", &["tests", "test"]),
                // The process's "Security scans (Trivy, pip-audit, npm audit)": each scanner's
                // own job counts as the security scan.
                check(
                    "security scan",
                    &["security scan", "security", "trivy", "pip-audit", "npm audit"],
                ),
                check("CodeRabbit summary", &["CodeRabbit summary", "CodeRabbit"]),
            ],
            neutral: ConclusionPolicy::Pass,
            skipped: ConclusionPolicy::Pass,
        }
    }
}

/// One required check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredCheck {
    /// The process's name for it, used in findings.
    pub name: String,
    /// Globs over check-run names and status contexts (`*` does not cross `/`), case-insensitive.
    /// Each is tried against the name as reported and, with ` `, `-` and `_` alike and matrix
    /// suffixes (`(3.12)`) dropped, against the whole name and its job name (the part after the
    /// last ` / `), so `tests` accepts `CI / Build / Tests (3.12)`.
    pub sources: Vec<String>,
}

/// How a neutral or skipped conclusion counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConclusionPolicy {
    /// As a pass (GitHub's own branch protection does this).
    Pass,
    /// As a failure.
    Fail,
}

/// `coderabbit:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CodeRabbitConfig {
    /// CodeRabbit's logins; setting this replaces the defaults.
    pub logins: Vec<String>,
    /// Logins added to `logins` (use this to keep the defaults).
    pub extra_logins: Vec<String>,
    /// Comment that asks CodeRabbit for a review.
    pub rereview_trigger: String,
    /// How a COMMENTED CodeRabbit review is read.
    pub commented_review: CommentedReview,
    /// Which of CodeRabbit's review threads hold a pull request on `status:needs-cursor-fix`.
    pub threads: ReviewThreadsConfig,
}

/// `coderabbit.threads:` section: the open review threads that ask for a fix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewThreadsConfig {
    /// Whether a thread GitHub marks outdated (its lines changed since) still counts.
    pub count_outdated: bool,
    /// Logins whose threads count, as GitHub's GraphQL API names them (a bot without REST's
    /// `[bot]` suffix: `coderabbitai`). Empty: CodeRabbit's `logins` and `extra_logins`, each
    /// without the suffix.
    pub authors: Vec<String>,
}

impl Default for CodeRabbitConfig {
    fn default() -> Self {
        CodeRabbitConfig {
            logins: vec!["coderabbitai[bot]".into(), "coderabbitai".into()],
            extra_logins: Vec::new(),
            rereview_trigger: "@coderabbitai review".into(),
            commented_review: CommentedReview::NeedsReview,
            threads: ReviewThreadsConfig::default(),
        }
    }
}

/// Reading of a COMMENTED CodeRabbit review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CommentedReview {
    /// The process's conservative default: still needs a review.
    NeedsReview,
    /// By its `Actionable comments posted: N` line: N > 0 needs a fix, N = 0 is approved.
    ActionableCount,
}

/// `approvals:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalsConfig {
    /// Approvals from distinct humans (not the author, not bots) needed.
    pub required: u32,
    /// Whether only approvals on the head commit count.
    pub on_head_commit: bool,
}

impl Default for ApprovalsConfig {
    fn default() -> Self {
        ApprovalsConfig { required: 1, on_head_commit: false }
    }
}

/// `dependency_bots:` section. The process has Renovate open weekly batch pull requests; their
/// titles (`chore(deps): ...`), branches and generated bodies cannot carry an issue key or the
/// checklist, so a pull request whose author is listed here is exempt from `title-format`,
/// `branch-name` and `checklist`, and still needs the required checks, CodeRabbit and a human
/// approval. `branches.exempt` recognises the same bots by branch name where no author is known
/// (`check branch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DependencyBotsConfig {
    /// Author logins, compared ignoring case as GitHub does. Listing an account exempts every
    /// pull request it opens, so list only bots (a self-hosted Renovate's user, say).
    pub logins: Vec<String>,
}

impl Default for DependencyBotsConfig {
    fn default() -> Self {
        DependencyBotsConfig { logins: vec!["renovate[bot]".into(), "dependabot[bot]".into()] }
    }
}

/// `commits:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CommitsConfig {
    /// Every commit signed with a signature GitHub verified.
    pub require_signed: bool,
    /// No merge commits.
    pub linear_history: bool,
}

impl Default for CommitsConfig {
    fn default() -> Self {
        CommitsConfig { require_signed: true, linear_history: true }
    }
}

/// `labels:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LabelsConfig {
    /// Prefixes of the labels plasma-ops adds and removes; it never touches any other label.
    pub owned_prefixes: Vec<String>,
    /// The three coordination labels of the review loop.
    pub status: StatusLabels,
    /// Colours and descriptions of labels plasma-ops may create.
    pub definitions: Vec<LabelDefinition>,
}

impl Default for LabelsConfig {
    fn default() -> Self {
        let def = |name: &str, color: &str, description: &str| LabelDefinition {
            name: name.into(),
            color: color.into(),
            description: description.into(),
        };
        LabelsConfig {
            owned_prefixes: vec!["status:".into(), "agent:".into()],
            status: StatusLabels::default(),
            definitions: vec![
                def(
                    "status:needs-coderabbit-review",
                    "fbca04",
                    "Waiting for a CodeRabbit review of the head commit",
                ),
                def(
                    "status:needs-cursor-fix",
                    "d93f0b",
                    "CodeRabbit requested changes; an agent should push a fix",
                ),
                def("status:coderabbit-approved", "0e8a16", "CodeRabbit approved the head commit"),
                def("agent:infra", "5319e7", "Terraform, Helm, Dockerfiles, workflows"),
                def("agent:python", "3572a5", "Python code and manifests"),
                def("agent:javascript", "f1e05a", "JavaScript/TypeScript code and manifests"),
                def("agent:docs", "0075ca", "Documentation"),
                def("agent:content", "c5def5", "Content and marketing"),
                def("agent:ops", "bfd4f2", "Runbooks, playbooks, on-call"),
                def("agent:security", "b60205", "Security policies"),
                def("agent:general", "ededed", "Files no specialised agent covers"),
            ],
        }
    }
}

/// Names of the review loop's coordination labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StatusLabels {
    /// No CodeRabbit verdict on the head commit yet.
    pub needs_review: String,
    /// CodeRabbit requested changes.
    pub needs_fix: String,
    /// CodeRabbit approved.
    pub approved: String,
}

impl Default for StatusLabels {
    fn default() -> Self {
        StatusLabels {
            needs_review: "status:needs-coderabbit-review".into(),
            needs_fix: "status:needs-cursor-fix".into(),
            approved: "status:coderabbit-approved".into(),
        }
    }
}

/// One label's look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelDefinition {
    /// Label name.
    pub name: String,
    /// Six hex digits without `#`.
    pub color: String,
    /// Description shown on GitHub (at most 100 characters).
    #[serde(default)]
    pub description: String,
}

/// `dispatch:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DispatchConfig {
    /// When `agent:*` labels are applied.
    pub when: DispatchWhen,
    /// Label for files no rule matched.
    pub fallback: String,
    /// The process's `CURSOR_AGENT_CLASSIFIERS` string (`prefix=label,...`), taken as exclusive
    /// prefix rules evaluated before `rules`.
    pub classifiers: Option<String>,
    /// Ordered glob rules over path segments.
    pub rules: Vec<DispatchRule>,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        let rule = |label: &str, globs: &[&str]| DispatchRule {
            label: label.into(),
            globs: globs.iter().map(|g| g.to_string()).collect(),
            mode: DispatchMode::Additive,
        };
        DispatchConfig {
            when: DispatchWhen::NeedsFix,
            fallback: "agent:general".into(),
            classifiers: None,
            rules: vec![
                rule(
                    "agent:infra",
                    &[
                        "**/*.tf",
                        "**/*.tfvars",
                        "**/*.hcl",
                        "**/terraform/**",
                        "**/helm/**",
                        "**/charts/**",
                        "**/Chart.yaml",
                        "**/Dockerfile",
                        "**/Dockerfile.*",
                        "**/*.dockerfile",
                        "**/docker-compose*.yml",
                        "**/docker-compose*.yaml",
                        "**/.dockerignore",
                        ".github/workflows/**",
                        ".github/actions/**",
                        "**/k8s/**",
                        "**/kubernetes/**",
                    ],
                ),
                rule(
                    "agent:python",
                    &[
                        "**/*.py",
                        "**/*.pyi",
                        "**/pyproject.toml",
                        "**/requirements*.txt",
                        "**/setup.py",
                        "**/setup.cfg",
                        "**/Pipfile",
                        "**/Pipfile.lock",
                        "**/poetry.lock",
                        "**/uv.lock",
                        "**/tox.ini",
                    ],
                ),
                rule(
                    "agent:javascript",
                    &[
                        "**/*.js",
                        "**/*.jsx",
                        "**/*.mjs",
                        "**/*.cjs",
                        "**/*.ts",
                        "**/*.tsx",
                        "**/*.mts",
                        "**/*.cts",
                        "**/package.json",
                        "**/package-lock.json",
                        "**/yarn.lock",
                        "**/pnpm-lock.yaml",
                        "**/tsconfig*.json",
                    ],
                ),
                rule("agent:docs", &["**/*.md", "**/*.mdx", "**/*.rst", "docs/**", "**/docs/**"]),
                rule("agent:content", &["**/content/**", "**/marketing/**"]),
                rule(
                    "agent:ops",
                    &["**/runbooks/**", "**/playbooks/**", "**/oncall/**", "**/on-call/**"],
                ),
                rule(
                    "agent:security",
                    &["**/security/**", "**/SECURITY.md", "**/policies/**", "**/.trivyignore"],
                ),
            ],
        }
    }
}

/// When dispatch labels apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DispatchWhen {
    /// Only while the pull request carries the needs-fix label (the runbook's behaviour).
    NeedsFix,
    /// Always, for every open pull request.
    Always,
}

/// One dispatch rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchRule {
    /// Label given to matching files.
    pub label: String,
    /// Globs over the whole path; `*` stays within one segment, `**` crosses segments.
    pub globs: Vec<String>,
    /// Additive rules add their label and continue; an exclusive rule's match ends the file's
    /// classification.
    #[serde(default = "additive")]
    pub mode: DispatchMode,
}

fn additive() -> DispatchMode {
    DispatchMode::Additive
}

/// Additive or exclusive dispatch rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DispatchMode {
    /// Add the label and keep classifying.
    Additive,
    /// Add the label and stop.
    Exclusive,
}

/// `issues:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IssuesConfig {
    /// Glob that phase labels match.
    pub phase_label: String,
    /// Service labels; an issue carries exactly one.
    pub service_labels: Vec<String>,
    /// Label an untriaged (unassigned) issue must carry.
    pub needs_review_label: String,
    /// Labels of issues exempt from the phase and service rules (incidents).
    pub exempt_labels: Vec<String>,
}

impl Default for IssuesConfig {
    fn default() -> Self {
        IssuesConfig {
            phase_label: "phase-*".into(),
            service_labels: [
                "gateway", "research", "brain", "content", "agent", "shared", "infra", "frontend",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            needs_review_label: "needs-review".into(),
            exempt_labels: vec!["incident".into()],
        }
    }
}

/// Override of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleOverride {
    /// New severity, or `off`.
    pub severity: RuleSeverity,
}

/// Severity a rule can be set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleSeverity {
    /// Blocks.
    Error,
    /// Reported, does not block.
    Warning,
    /// Not evaluated.
    Off,
}
