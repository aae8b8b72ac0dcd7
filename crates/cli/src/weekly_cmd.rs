//! `plasma-ops report weekly`: the weekly report (pull requests, board, incidents, releases and
//! the DORA four keys of one ISO week) from the service's store, without calling GitHub. Text
//! (`--format text` or `md`) is Markdown for Slack or a Discussion; `json` is documented in
//! docs/cli-json.md; `html` is the page the dashboard serves at `/report`.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand};
use plasma_report::{IsoWeek, Scope};

use crate::args::{Format, Global};
use crate::exit;
use crate::output::{Out, print_json};
use crate::service_cmds::{load_config, open_store, runtime};

/// `report` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// One ISO week's report, by default the last complete week.
    Weekly(WeeklyArgs),
}

/// `report weekly` arguments.
#[derive(Debug, Args)]
pub struct WeeklyArgs {
    /// Only this organisation's repositories (and its board).
    #[arg(long, value_name = "ORG", conflicts_with = "repo")]
    pub org: Option<String>,
    /// Only this repository.
    #[arg(long, value_name = "OWNER/REPO")]
    pub repo: Option<String>,
    /// The ISO week (`2026-W49`); by default the last complete week in the time zone.
    #[arg(long, value_name = "YYYY-Www")]
    pub week: Option<String>,
    /// The IANA time zone of the week's bounds; by default `report.weekly.time_zone` of the
    /// configuration (`--config`, `--org-config`), else UTC.
    #[arg(long, value_name = "TZ")]
    pub time_zone: Option<String>,
    /// Service configuration file, as for `serve` (where the store is).
    #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
    pub service_config: Option<PathBuf>,
}

/// Runs `report`.
pub fn run(g: &Global, out: &Out, cmd: ReportCmd) -> Result<u8> {
    let ReportCmd::Weekly(args) = cmd;
    let scope = scope(&args)?;
    let policy = crate::input::policy(g)?;
    let config = policy.config();
    let tz_name = args.time_zone.clone().unwrap_or_else(|| config.report.weekly.time_zone.clone());
    let tz = plasma_service::weekly_report::time_zone(&tz_name)
        .map_err(|e| anyhow!("--time-zone: {e}"))?;
    let week = match &args.week {
        Some(w) => w.parse::<IsoWeek>().map_err(|e| anyhow!("--week: {e}"))?,
        None => plasma_service::weekly_report::last_complete_week(jiff::Timestamp::now(), &tz)
            .map_err(|e| anyhow!("{e}"))?,
    };
    let cfg = load_config(args.service_config.as_deref())?;
    let production = config.deployments.production.clone();
    let report = runtime()?.block_on(async {
        let store = open_store(&cfg).await?;
        let r = plasma_service::weekly_report::load(
            store.as_ref(),
            scope,
            week,
            &tz,
            &tz_name,
            &production,
        )
        .await
        .map_err(|e| anyhow!("{e}"));
        store.close().await;
        r
    })?;
    match out.format {
        Format::Json | Format::Sarif => print_json(&serde_json::to_value(&report)?),
        Format::Html => {
            let page =
                plasma_report::html::render(&report, &plasma_report::html::PageContext::default())?;
            print!("{page}");
        }
        Format::Text | Format::Github => print!("{}", plasma_report::markdown::render(&report)),
    }
    Ok(exit::OK)
}

fn scope(args: &WeeklyArgs) -> Result<Scope> {
    if let Some(org) = &args.org {
        if org.is_empty() || org.contains('/') {
            bail!(
                "--org `{org}` is not an organisation name; give the owner alone, e.g. `plasma-engine`"
            );
        }
        return Ok(Scope::Org(org.clone()));
    }
    if let Some(repo) = &args.repo {
        let ok = repo
            .split_once('/')
            .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'));
        if !ok {
            bail!("--repo `{repo}` is not OWNER/REPO, e.g. `plasma-engine/gateway`");
        }
        return Ok(Scope::Repo(repo.clone()));
    }
    Ok(Scope::All)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn args(org: Option<&str>, repo: Option<&str>) -> WeeklyArgs {
        WeeklyArgs {
            org: org.map(String::from),
            repo: repo.map(String::from),
            week: None,
            time_zone: None,
            service_config: None,
        }
    }

    #[test]
    fn the_scope_is_checked() {
        assert_eq!(scope(&args(None, None)).unwrap(), Scope::All);
        assert_eq!(scope(&args(Some("plasma"), None)).unwrap(), Scope::Org("plasma".into()));
        assert_eq!(scope(&args(None, Some("a/b"))).unwrap(), Scope::Repo("a/b".into()));
        for bad in [
            args(Some("a/b"), None),
            args(Some(""), None),
            args(None, Some("ab")),
            args(None, Some("a/b/c")),
        ] {
            assert!(scope(&bad).is_err());
        }
    }
}
