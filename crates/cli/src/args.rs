//! Command-line arguments. The names here are an interface that scripts depend on; keep them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// plasma-ops: the Plasma Engine DevOps process as explainable rules.
#[derive(Debug, Parser)]
#[command(name = "plasma-ops", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Output format: text (grouped, coloured on a terminal), json (stable), github (workflow
    /// annotations and the step summary), sarif (`audit`, `history`, `coverage`).
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub format: Format,
    /// Repository configuration file (`.github/plasma.yml` of the base branch) to use instead of
    /// the built-in defaults.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Organisation defaults (`.github/plasma.yml` of the org's `.github` repository), applied
    /// between the built-in defaults and `--config`.
    #[arg(long, value_name = "FILE", global = true)]
    pub org_config: Option<PathBuf>,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable.
    Text,
    /// Machine-readable, documented in docs/cli-json.md.
    Json,
    /// GitHub Actions workflow commands.
    Github,
    /// SARIF 2.1.0, for GitHub code scanning (`audit`, `history`, `coverage` only).
    Sarif,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge a branch name, title, body, pull request or issue.
    #[command(subcommand)]
    Check(Check),
    /// Classify files into agent labels and say which rule labelled each.
    Dispatch {
        /// Paths, or `-` (or nothing) to read one path per line from standard input.
        files: Vec<String>,
    },
    /// Print the labels plasma-ops manages, with colours and descriptions.
    Labels,
    /// Turn a webhook payload into the snapshot JSON the rules read.
    Snapshot {
        /// Webhook payload file (`-` for standard input).
        #[arg(long, value_name = "FILE")]
        event: String,
        /// Event name (the `X-GitHub-Event` header); guessed from the payload when omitted.
        #[arg(long)]
        event_name: Option<String>,
    },
    /// Show, validate, describe or create the configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Run the GitHub App service (webhooks, reconciler, sweep). Configured by `PLASMA_OPS_*`
    /// environment variables and an optional YAML file; see the README.
    Serve {
        /// Service configuration file (YAML; keys as the variables, lowercase, without the prefix).
        #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
        service_config: Option<PathBuf>,
    },
    /// Sign a webhook payload and deliver it to a running server.
    Replay {
        /// The payload (`-` for standard input).
        file: String,
        /// Event name (the `X-GitHub-Event` header), e.g. `pull_request`.
        #[arg(long)]
        event: String,
        /// Where to deliver it.
        #[arg(long, default_value = "http://127.0.0.1:8080/webhook")]
        url: String,
        /// The webhook secret (default: `PLASMA_OPS_WEBHOOK_SECRET`).
        #[arg(long, env = "PLASMA_OPS_WEBHOOK_SECRET", hide_env_values = true)]
        secret: Option<String>,
        /// Delivery id (default: a fresh random one).
        #[arg(long)]
        delivery: Option<String>,
    },
    /// Reconcile one pull request now and print the plan.
    Reconcile {
        /// `owner/repo#n`.
        target: String,
        /// Only plan; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Service configuration file, as for `serve`.
        #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
        service_config: Option<PathBuf>,
    },
    /// Audit a repository checkout against the process's tooling checklist (CODEOWNERS, issue
    /// and PR templates, workflows, Renovate, CodeRabbit, Rube template, ADRs).
    Audit(crate::audit_cmd::AuditArgs),
    /// Show the job queue; retry dead-lettered jobs.
    Jobs {
        /// Only dead-lettered jobs.
        #[arg(long)]
        dead: bool,
        /// Put a dead-lettered job (`owner/repo#n`) back in the queue.
        #[arg(long, value_name = "KEY")]
        retry: Option<String>,
        /// Service configuration file, as for `serve`.
        #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
        service_config: Option<PathBuf>,
    },
    /// The coverage gate: every module added since `--base` needs its threshold (default 80%)
    /// of line coverage in the given LCOV or Cobertura reports.
    Coverage(crate::coverage_cmd::CoverageArgs),
    /// Check a repository's history: signatures, linear history, commit subjects, branch names,
    /// version tags. Or lint NUL-separated messages (`--messages`).
    History(crate::history_cmd::HistoryArgs),
    /// Plan or cut a semantic-versioning release.
    #[command(subcommand)]
    Release(crate::release_cmd::ReleaseCmd),
    /// Start a hotfix branch from the latest release tag, or plan its patch release.
    #[command(subcommand)]
    Hotfix(crate::release_cmd::HotfixCmd),
}

impl Command {
    /// Whether the command's findings are about a repository, and so can be written as SARIF.
    pub fn speaks_sarif(&self) -> bool {
        matches!(self, Command::Audit(_) | Command::Coverage(_) | Command::History(_))
    }
}

#[derive(Debug, Subcommand)]
pub enum Check {
    /// A branch name: `<repo>/PE-<n>-brief-description`, `release/<version>`, `hotfix/PE-<n>`.
    Branch {
        /// The branch name.
        name: String,
        /// `owner/name` of the repository, to check the `<repo>` part.
        #[arg(long)]
        repo: Option<String>,
        /// The pull request title, whose issue key the branch must carry.
        #[arg(long)]
        title: Option<String>,
    },
    /// A pull request title: `[PE-<n>] Summary`.
    Title {
        /// The title.
        text: String,
    },
    /// A pull request body's checklist.
    Body {
        /// Markdown file, or `-` for standard input.
        file: String,
    },
    /// A whole pull request, from a webhook payload or a snapshot. Inside GitHub Actions, with
    /// neither, reads `GITHUB_EVENT_PATH`.
    Pr {
        /// Webhook payload (`pull_request` or `pull_request_review`), `-` for standard input.
        #[arg(long, value_name = "FILE", conflicts_with = "snapshot")]
        event: Option<String>,
        /// Snapshot JSON (see `plasma-ops snapshot` and docs/snapshot.md).
        #[arg(long, value_name = "FILE")]
        snapshot: Option<String>,
    },
    /// An issue's labels, from an `issues` webhook payload.
    Issue {
        /// Webhook payload, `-` for standard input.
        #[arg(long, value_name = "FILE")]
        event: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// The effective configuration, each value annotated with the layer it came from.
    Show {
        /// Repository file (same as the global `--config`).
        #[arg(long, value_name = "FILE")]
        repo_config: Option<PathBuf>,
    },
    /// Validate a configuration file; errors as `file:line:col: message`.
    Validate {
        /// The file.
        file: PathBuf,
    },
    /// Print the JSON Schema of `.github/plasma.yml`.
    Schema,
    /// Write a commented file holding the defaults.
    Init {
        /// Where to write it (standard output when omitted).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}
