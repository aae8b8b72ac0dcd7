//! Command-line arguments: `Cli`, the options every command takes (`Global`, `Format`) and the
//! list of commands. Each command's own arguments live in its module, next to its `run`. The
//! names here and there are an interface that scripts depend on; keep them.

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
    /// Human-readable (`md` is the same: the weekly report's text is Markdown).
    #[value(alias = "md")]
    Text,
    /// Machine-readable, documented in docs/cli-json.md.
    Json,
    /// GitHub Actions workflow commands.
    Github,
    /// SARIF 2.1.0, for GitHub code scanning (`audit`, `history`, `coverage` only).
    Sarif,
    /// One HTML page with SVG charts (`report weekly` only).
    Html,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge a branch name, title, body, pull request or issue.
    #[command(subcommand)]
    Check(crate::check_cmd::Check),
    /// Classify files into agent labels and say which rule labelled each.
    Dispatch(crate::dispatch_cmd::DispatchArgs),
    /// Print the labels plasma-ops manages, with colours and descriptions.
    Labels(crate::labels_cmd::LabelsArgs),
    /// Turn a webhook payload into the snapshot JSON the rules read.
    Snapshot(crate::snapshot_cmd::SnapshotArgs),
    /// Show, validate, describe or create the configuration.
    #[command(subcommand)]
    Config(crate::config_cmd::ConfigCmd),
    /// Run the GitHub App service (webhooks, reconciler, sweep). Configured by `PLASMA_OPS_*`
    /// environment variables and an optional YAML file; see the README.
    Serve(crate::service_cmds::ServeArgs),
    /// Sign a webhook payload and deliver it to a running server.
    Replay(crate::service_cmds::ReplayArgs),
    /// Reconcile one pull request now and print the plan.
    Reconcile(crate::service_cmds::ReconcileArgs),
    /// Audit a repository checkout against the process's tooling checklist (CODEOWNERS, issue
    /// and PR templates, workflows, Renovate, CodeRabbit, Rube template, ADRs).
    Audit(crate::audit_cmd::AuditArgs),
    /// Show the job queue; retry dead-lettered jobs.
    Jobs(crate::service_cmds::JobsArgs),
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
    /// Incidents the service recorded: severity, ages, time to acknowledge and to restore
    /// (median and p90 per severity), postmortem link or what is missing.
    Incidents(crate::incidents_cmd::IncidentsArgs),
    /// Show the notification outbox; retry dead-lettered notifications.
    Notifications(crate::notify_cmd::NotificationsArgs),
    /// Check a notification target's setup by sending it a test message.
    #[command(subcommand)]
    Notify(crate::notify_cmd::NotifyCmd),
    /// The MCP server for coding agents, over standard input and output (`/mcp` on `serve` is
    /// the same over HTTP).
    Mcp(crate::mcp_cmd::McpArgs),
    /// What the service wrote or planned (dry run), from the action log; newest first.
    Actions(crate::actions_cmd::ActionsArgs),
    /// A repository's recorded deployments: state, duration, rollback and redeploy flags and the
    /// pull requests each brought (from the service's store, `PLASMA_OPS_DATABASE_URL`).
    Deployments(crate::deployments_cmd::DeploymentsArgs),
    /// The project board (GitHub Projects): `board show ORG/NUMBER` prints its columns;
    /// `board sync OWNER/REPO [--dry-run]` puts every open issue's card in its column.
    #[command(subcommand)]
    Board(crate::board_cmd::BoardCmd),
    /// Reports from what the service recorded: `report weekly` (pull requests, board, incidents,
    /// releases and the DORA four keys of one ISO week).
    #[command(subcommand)]
    Report(crate::weekly_cmd::ReportCmd),
}

impl Command {
    /// Whether the command's findings are about a repository, and so can be written as SARIF.
    pub fn speaks_sarif(&self) -> bool {
        matches!(self, Command::Audit(_) | Command::Coverage(_) | Command::History(_))
    }
}
