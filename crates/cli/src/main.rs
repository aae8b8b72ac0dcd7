//! `plasma-ops`: the command-line front door. Each command is a thin shell over the policy core;
//! no rule lives here.

// Every command lives in a module named for it (`<command>_cmd`; `hotfix` beside `release` in
// `release_cmd`, the four service commands in `service_cmds`), owning its arguments and its
// `run`; `commands` only dispatches.
mod actions_cmd;
mod args;
mod audit_cmd;
mod board_cmd;
mod check_cmd;
mod commands;
mod config_cmd;
mod coverage_cmd;
mod deployments_cmd;
mod dispatch_cmd;
mod github_env;
mod history_cmd;
mod incidents_cmd;
mod input;
mod labels_cmd;
mod mcp_cmd;
mod notify_cmd;
mod output;
mod progress;
mod release_cmd;
mod release_labels;
mod report;
mod service_cmds;
mod snapshot_cmd;
mod weekly_cmd;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes shared by every command.
pub mod exit {
    /// Everything passed.
    pub const OK: u8 = 0;
    /// Violations found.
    pub const VIOLATIONS: u8 = 1;
    /// Usage or configuration error.
    pub const USAGE: u8 = 2;
    /// Standard output was closed by its reader (`plasma-ops ... | head`): the status a C tool
    /// killed by SIGPIPE leaves, 128 + 13, and no message.
    pub const BROKEN_PIPE: u8 = 141;
}

/// Whether a panic message is the standard library's for printing into a closed pipe.
fn is_broken_pipe_panic(msg: &str) -> bool {
    msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe")
}

/// Whether an error is, at bottom, a write into a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    // Input must never crash us with a backtrace; if a bug still panics, say so in one line and
    // use the usage/configuration exit code rather than Rust's 101.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if is_broken_pipe_panic(&msg) {
            std::process::exit(i32::from(exit::BROKEN_PIPE));
        }
        eprintln!(
            "error: internal error in plasma-ops: {msg}\n  please report it with the command and input that caused it"
        );
        std::process::exit(i32::from(exit::USAGE));
    }));
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(exit::BROKEN_PIPE),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_pipes_are_told_apart_from_other_failures() {
        assert!(is_broken_pipe_panic("failed printing to stdout: Broken pipe (os error 32)"));
        assert!(!is_broken_pipe_panic("failed printing to stdout: No space left on device"));
        assert!(!is_broken_pipe_panic("index out of bounds"));
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(is_broken_pipe(&anyhow::Error::new(pipe).context("writing the diff")));
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(!is_broken_pipe(&anyhow::Error::new(other)));
        assert!(!is_broken_pipe(&anyhow::anyhow!("no repository")));
    }
}
