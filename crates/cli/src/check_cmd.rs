//! `plasma-ops check branch|title|body|pr|issue`: one of the policy core's judgements over one
//! piece of a pull request or issue, read from the command line, a file or a webhook payload.

use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use plasma_github::{Snapshot, snapshot_from_payload};
use plasma_policy::{IssueSnapshot, PrSnapshot, evaluate, evaluate_issue};

use crate::args::Global;
use crate::input::{display_name, policy, read_input};
use crate::output::Out;

/// `check` subcommands.
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

/// Runs `check`.
pub fn run(g: &Global, out: &Out, cmd: Check) -> Result<u8> {
    let policy = policy(g)?;
    match cmd {
        Check::Branch { name, repo, title } => {
            let f = policy.check_branch(&name, repo.as_deref(), title.as_deref());
            Ok(out.findings("branch", &name, &f))
        }
        Check::Title { text } => Ok(out.findings("title", &text, &policy.check_title(&text))),
        Check::Body { file } => {
            let body = read_input(&file, "pull request body")?;
            Ok(out.findings("body", &display_name(&file), &policy.check_body(&body)))
        }
        Check::Pr { event, snapshot } => {
            let pr = load_pr(event, snapshot)?;
            Ok(out.verdict(&evaluate(&pr, &policy)))
        }
        Check::Issue { event } => {
            let issue = load_issue(&event)?;
            Ok(out.issue_verdict(&evaluate_issue(&issue, &policy)))
        }
    }
}

fn load_pr(event: Option<String>, snapshot: Option<String>) -> Result<PrSnapshot> {
    if let Some(s) = snapshot {
        let text = read_input(&s, "snapshot")?;
        return serde_json::from_str(&text).map_err(|e| {
            anyhow!(
                "{}:{}:{}: not a pull request snapshot: {e}\n  hint: produce one with `plasma-ops snapshot --event FILE`; the format is in docs/snapshot.md",
                display_name(&s),
                e.line(),
                e.column()
            )
        });
    }
    let (path, name) = match event {
        Some(e) => (e, None),
        None => match std::env::var("GITHUB_EVENT_PATH") {
            Ok(p) if !p.is_empty() => (p, std::env::var("GITHUB_EVENT_NAME").ok()),
            _ => bail!(
                "no input: pass --event FILE or --snapshot FILE (inside GitHub Actions GITHUB_EVENT_PATH is read)"
            ),
        },
    };
    let body = read_input(&path, "webhook payload")?;
    match snapshot_from_payload(name.as_deref(), body.as_bytes())
        .map_err(|e| anyhow!("{}: {e}", display_name(&path)))?
    {
        Snapshot::Pr(p) => Ok(p),
        Snapshot::Issue(_) => bail!(
            "{}: this is an issue event, not a pull request event\n  hint: use `plasma-ops check issue --event FILE`",
            display_name(&path)
        ),
    }
}

fn load_issue(event: &str) -> Result<IssueSnapshot> {
    let body = read_input(event, "webhook payload")?;
    match snapshot_from_payload(None, body.as_bytes())
        .map_err(|e| anyhow!("{}: {e}", display_name(event)))?
    {
        Snapshot::Issue(i) => Ok(i),
        Snapshot::Pr(_) => bail!(
            "{}: this is a pull request event, not an issue event\n  hint: use `plasma-ops check pr --event FILE`",
            display_name(event)
        ),
    }
}
