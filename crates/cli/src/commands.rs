//! The dispatcher: refuse a format the command cannot write, then hand the command its arguments.
//! Every command's `run` has the same shape, `(&Global, &Out, its arguments) -> Result<exit code>`,
//! so this stays a table; what a command reads and does is in its own module.

use anyhow::{Result, bail};

use crate::args::{Cli, Command, Format};
use crate::output::Out;
use crate::{
    audit_cmd, check_cmd, config_cmd, coverage_cmd, dispatch_cmd, history_cmd, incidents_cmd,
    labels_cmd, notify_cmd, release_cmd, service_cmds, snapshot_cmd,
};

/// Run one command, returning its exit code.
pub fn run(cli: Cli) -> Result<u8> {
    let g = &cli.global;
    if g.format == Format::Sarif && !cli.command.speaks_sarif() {
        bail!(
            "--format sarif is only for repository findings (audit, history, coverage); use --format json here"
        );
    }
    if g.format == Format::Html && !matches!(cli.command, Command::Report(_)) {
        bail!("--format html is only for `report weekly`; use --format text or json here");
    }
    let out = &Out::new(g.format);
    match cli.command {
        Command::Check(cmd) => check_cmd::run(g, out, cmd),
        Command::Dispatch(args) => dispatch_cmd::run(g, out, args),
        Command::Labels(args) => labels_cmd::run(g, out, args),
        Command::Snapshot(args) => snapshot_cmd::run(g, out, args),
        Command::Config(cmd) => config_cmd::run(g, out, cmd),
        Command::Serve(args) => service_cmds::serve(g, out, args),
        Command::Replay(args) => service_cmds::replay(g, out, args),
        Command::Reconcile(args) => service_cmds::reconcile(g, out, args),
        Command::Audit(args) => audit_cmd::run(g, out, args),
        Command::Jobs(args) => service_cmds::jobs(g, out, args),
        Command::Incidents(args) => incidents_cmd::run(g, out, args),
        Command::Coverage(args) => coverage_cmd::run(g, out, args),
        Command::History(args) => history_cmd::run(g, out, args),
        Command::Release(cmd) => release_cmd::release(g, out, cmd),
        Command::Hotfix(cmd) => release_cmd::hotfix(g, out, cmd),
        Command::Notifications(args) => notify_cmd::notifications(g, out, args),
        Command::Notify(cmd) => notify_cmd::run(g, out, cmd),
        Command::Mcp(args) => crate::mcp_cmd::run(g, out, args),
        Command::Actions(args) => crate::actions_cmd::run(g, out, args),
        Command::Deployments(args) => crate::deployments_cmd::run(g, out, args),
        Command::Board(cmd) => crate::board_cmd::run(g, out, cmd),
        Command::Report(cmd) => crate::weekly_cmd::run(g, out, cmd),
    }
}
