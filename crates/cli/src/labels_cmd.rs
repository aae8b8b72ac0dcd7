//! `plasma-ops labels`: the labels plasma-ops manages, as the effective configuration defines
//! them. A module of its own, small as it is, so that every command is found the same way.

use anyhow::Result;
use clap::Args;

use crate::args::Global;
use crate::input::policy;
use crate::output::Out;

/// `labels` takes no arguments of its own; the struct keeps its shape the same as the others'.
#[derive(Debug, Args)]
pub struct LabelsArgs {}

/// Runs `labels`.
pub fn run(g: &Global, out: &Out, _args: LabelsArgs) -> Result<u8> {
    let policy = policy(g)?;
    Ok(out.labels(&policy.config().labels.definitions))
}
