//! `plasma-ops`: the command-line front door. Each command is a thin shell over the policy core;
//! no rule lives here.

mod args;
mod audit_cmd;
mod commands;
mod coverage_cmd;
mod coverage_git;
mod github_env;
mod history_cmd;
mod output;
mod release_cmd;
mod release_labels;
mod report;
mod service_cmds;

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
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}
