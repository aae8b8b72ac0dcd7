//! `plasma-ops notifications [--dead] [--retry ID]` (the outbox, like `jobs`) and
//! `plasma-ops notify test TARGET` (one message to one configured target, to check its setup).

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand};
use plasma_config::{NotifyTarget, PolicyError, TargetKind};
use plasma_github::GitHubClient;
use plasma_notify::{Env, IssueCommenter, SendError, Sender, message};
use plasma_service::system_clock;
use plasma_store::NotificationFilter;

use crate::args::{Format, Global};
use crate::exit;
use crate::input::load_layers;
use crate::output::Out;
use crate::service_cmds::{github, load_config, open_store, runtime};

/// `notifications` arguments.
#[derive(Debug, Args)]
pub struct NotificationsArgs {
    /// Only dead-lettered notifications.
    #[arg(long)]
    pub dead: bool,
    /// Put a dead-lettered notification (its id, from the listing) back in the outbox; the
    /// service's notification worker sends it.
    #[arg(long, value_name = "ID")]
    pub retry: Option<i64>,
    /// Service configuration file, as for `serve`.
    #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
    pub service_config: Option<PathBuf>,
}

/// `notify` subcommands.
#[derive(Debug, Subcommand)]
pub enum NotifyCmd {
    /// Send a test message to TARGET (a name under `notifications.targets` of `--config` /
    /// `--org-config`), with the secrets of this environment.
    Test(NotifyTestArgs),
}

/// `notify test` arguments.
#[derive(Debug, Args)]
pub struct NotifyTestArgs {
    /// The target's name.
    pub target: String,
    /// Service configuration file, for the GitHub credentials of a `github` target.
    #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
    pub service_config: Option<PathBuf>,
}

/// `plasma-ops notifications`.
pub fn notifications(_g: &Global, out: &Out, args: NotificationsArgs) -> Result<u8> {
    let NotificationsArgs { dead, retry, service_config } = args;
    let cfg = load_config(service_config.as_deref())?;
    let rt = runtime()?;
    rt.block_on(async move {
        let store = open_store(&cfg).await?;
        if let Some(id) = retry {
            let now = system_clock()();
            return if store.retry_notification(id, now).await.map_err(|e| anyhow!("{e}"))? {
                println!("notification {id}: back in the outbox; the service sends it");
                Ok(exit::OK)
            } else {
                bail!(
                    "notification {id}: not dead-lettered (see `plasma-ops notifications --dead`)"
                )
            };
        }
        let filter = if dead { NotificationFilter::Dead } else { NotificationFilter::All };
        let rows = store.notifications(filter).await.map_err(|e| anyhow!("{e}"))?;
        match out.format {
            Format::Json | Format::Sarif => println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "notifications": rows }))?
            ),
            _ => {
                if rows.is_empty() {
                    println!("no notifications");
                }
                for r in &rows {
                    let err = r
                        .last_error
                        .as_deref()
                        .map(|e| format!("  last error: {e}"))
                        .unwrap_or_default();
                    println!(
                        "{:>5} {:<16} {:<32} -> {:<12} {:<8} attempts {}{err}",
                        r.id,
                        r.event,
                        r.subject,
                        r.target,
                        r.state.as_str(),
                        r.attempts
                    );
                }
            }
        }
        Ok(exit::OK)
    })
}

/// Comments with the CLI's GitHub credentials (a token; an App's installation is not known here).
struct CliComments(GitHubClient);

#[async_trait::async_trait]
impl IssueCommenter for CliComments {
    async fn comment(&self, repository: &str, issue: u64, body: &str) -> Result<(), SendError> {
        let repo =
            self.0.repo(None, repository).map_err(|e| SendError::permanent(e.to_string()))?;
        repo.create_comment(issue, body).await.map_err(|e| SendError::retry(e.to_string()))?;
        Ok(())
    }
}

/// `plasma-ops notify ...`.
pub fn run(g: &Global, out: &Out, cmd: NotifyCmd) -> Result<u8> {
    match cmd {
        NotifyCmd::Test(args) => test(g, out, args),
    }
}

fn test(g: &Global, out: &Out, args: NotifyTestArgs) -> Result<u8> {
    let (eff, _) = load_layers(g.org_config.as_deref(), g.config.as_deref())?;
    let notifications = &eff.config.notifications;
    let problems: Vec<String> =
        notifications.validate().iter().map(PolicyError::to_string).collect();
    if !problems.is_empty() {
        bail!("invalid notifications configuration:\n{}", problems.join("\n"));
    }
    let Some(target) = notifications.targets.get(&args.target) else {
        let known: Vec<&str> = notifications.targets.keys().map(String::as_str).collect();
        bail!(
            "no notification target named `{}`; configured: {} (notifications.targets of --config / --org-config)",
            args.target,
            if known.is_empty() { "none".to_owned() } else { known.join(", ") }
        );
    };
    let commenter = match target.github {
        Some(_) => {
            let cfg = load_config(args.service_config.as_deref())?;
            github(&cfg)?.map(|gh| {
                std::sync::Arc::new(CliComments(gh)) as std::sync::Arc<dyn IssueCommenter>
            })
        }
        None => None,
    };
    let sender = Sender::new(Env::process(), commenter).map_err(|e| anyhow!("{e}"))?;
    let m = message::test_message(&args.target);
    let rt = runtime()?;
    let sent = rt.block_on(sender.send(&args.target, target, &m, "plasma-ops-notify-test"));
    let kind = kind_name(target);
    match out.format {
        Format::Json | Format::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "target": args.target,
                "kind": kind,
                "sent": sent.is_ok(),
                "error": sent.as_ref().err().map(|e| e.message.clone()),
            }))?
        ),
        _ => match &sent {
            Ok(()) => println!("{} ({kind}): test message sent", args.target),
            Err(e) => println!("{} ({kind}): not sent: {}", args.target, e.message),
        },
    }
    Ok(if sent.is_ok() { exit::OK } else { exit::VIOLATIONS })
}

fn kind_name(target: &NotifyTarget) -> &'static str {
    match target.kind() {
        Some(TargetKind::Slack(_)) => "slack",
        Some(TargetKind::Mcp(_)) => "mcp",
        Some(TargetKind::Github(_)) => "github",
        None => "invalid",
    }
}
