//! `plasma-ops snapshot`: a webhook payload turned into the snapshot JSON the rules read
//! (docs/snapshot.md). It reads no configuration: the snapshot is the facts, not a judgement.

use anyhow::{Result, anyhow};
use clap::Args;
use plasma_github::{Snapshot, snapshot_from_payload};

use crate::args::Global;
use crate::exit;
use crate::input::{display_name, read_input};
use crate::output::Out;

/// `snapshot` arguments.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Webhook payload file (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub event: String,
    /// Event name (the `X-GitHub-Event` header); guessed from the payload when omitted.
    #[arg(long)]
    pub event_name: Option<String>,
}

/// Runs `snapshot`. The output is always JSON, whatever `--format` says: it is the input of
/// `check pr --snapshot`, not a report.
pub fn run(_g: &Global, _out: &Out, args: SnapshotArgs) -> Result<u8> {
    let body = read_input(&args.event, "webhook payload")?;
    let snap = snapshot_from_payload(args.event_name.as_deref(), body.as_bytes())
        .map_err(|e| anyhow!("{}: {e}", display_name(&args.event)))?;
    let json = match snap {
        Snapshot::Pr(p) => serde_json::to_string_pretty(&p)?,
        Snapshot::Issue(i) => serde_json::to_string_pretty(&i)?,
    };
    println!("{json}");
    Ok(exit::OK)
}
