//! `plasma-ops dispatch`: which agent label each file gets, and which rule gave it.

use std::io::IsTerminal;

use anyhow::{Result, bail};
use clap::Args;

use crate::args::Global;
use crate::input::{policy, read_input};
use crate::output::Out;

/// `dispatch` arguments.
#[derive(Debug, Args)]
pub struct DispatchArgs {
    /// Paths, or `-` (or nothing) to read one path per line from standard input.
    pub files: Vec<String>,
}

/// Runs `dispatch`.
pub fn run(g: &Global, out: &Out, args: DispatchArgs) -> Result<u8> {
    let policy = policy(g)?;
    let paths = paths_from(args.files)?;
    let report = policy.dispatcher().classify_all(paths.iter().map(String::as_str));
    Ok(out.dispatch(&report))
}

/// The paths given, or read one a line from standard input; an interactive terminal with no
/// paths is a mistake, not a list, so it is refused rather than waited on.
fn paths_from(files: Vec<String>) -> Result<Vec<String>> {
    if files.is_empty() || files == ["-"] {
        if files.is_empty() && std::io::stdin().is_terminal() {
            bail!(
                "no files: pass paths as arguments, or `-` and one path per line on standard input"
            );
        }
        let text = read_input("-", "list of paths")?;
        return Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect());
    }
    Ok(files)
}
