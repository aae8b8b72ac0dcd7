//! `plasma-ops actions [owner/repo#n] [--since 24h] [--planned]`: what the service wrote or
//! planned, from the store's action log, so a dry run can be reviewed without a database client.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use plasma_service::mcp::tools_json::action_json;
use plasma_service::system_clock;
use plasma_store::{ActionFilter, ActionRow};
use serde_json::json;

use crate::args::{Format, Global};
use crate::exit;
use crate::output::{Out, print_json};
use crate::service_cmds::{load_config, open_store, runtime};

/// At most this many entries are printed.
const LIMIT: u32 = 10_000;

/// `actions` arguments.
#[derive(Debug, Args)]
pub struct ActionsArgs {
    /// Only this pull request (or issue), `owner/repo#n`.
    pub target: Option<String>,
    /// Only entries this recent (`24h`, `7d`, `90m`).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// Only planned writes (dry run).
    #[arg(long)]
    pub planned: bool,
    /// Service configuration file, as for `serve` (the store: `PLASMA_OPS_DATABASE_URL`).
    #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
    pub service_config: Option<PathBuf>,
}

/// `owner/repo#n`, checked.
fn target_key(t: &str) -> Result<String> {
    let ok = t.rsplit_once('#').is_some_and(|(repo, n)| {
        n.parse::<u64>().is_ok() && {
            let mut p = repo.split('/');
            matches!((p.next(), p.next(), p.next()), (Some(o), Some(r), None) if !o.is_empty() && !r.is_empty())
        }
    });
    if !ok {
        bail!("`{t}` is not `owner/repo#number`");
    }
    Ok(t.to_string())
}

fn since_ms(since: Option<&str>, now: i64) -> Result<i64> {
    let Some(s) = since else { return Ok(0) };
    let d: Duration = humantime::parse_duration(s)
        .map_err(|e| anyhow!("--since `{s}`: {e}; write a duration like 24h, 7d or 90m"))?;
    let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    Ok(now.saturating_sub(ms))
}

/// Runs `actions`.
pub fn run(_g: &Global, out: &Out, args: ActionsArgs) -> Result<u8> {
    let key = args.target.as_deref().map(target_key).transpose()?;
    let since = since_ms(args.since.as_deref(), system_clock()())?;
    let cfg = load_config(args.service_config.as_deref())?;
    let rt = runtime()?;
    rt.block_on(async move {
        let store = open_store(&cfg).await?;
        let filter = ActionFilter { key, since, planned_only: args.planned, limit: LIMIT };
        let rows = store.find_actions(&filter).await.map_err(|e| anyhow!("{e}"))?;
        match out.format {
            Format::Json | Format::Sarif => {
                print_json(&json!({ "actions": rows.iter().map(action_json).collect::<Vec<_>>() }))
            }
            _ => print!("{}", text(&rows)),
        }
        Ok(exit::OK)
    })
}

fn text(rows: &[ActionRow]) -> String {
    if rows.is_empty() {
        return "no actions\n".into();
    }
    let mut s = String::new();
    for r in rows {
        let v = action_json(r);
        let at = v["at"].as_str().unwrap_or_default();
        let mode = if r.dry_run { "planned" } else { "applied" };
        let delivery =
            r.delivery_id.as_deref().map(|d| format!("  delivery {d}")).unwrap_or_default();
        s.push_str(&format!("{at}  {:<24} {mode:<8} {}{delivery}\n", r.job_key, r.kind));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_durations_are_checked() {
        assert_eq!(target_key("o/r#12").ok().as_deref(), Some("o/r#12"));
        for bad in ["o/r", "o#1", "o/r#x", "/r#1", "a/b/c#1"] {
            assert!(target_key(bad).is_err(), "{bad}");
        }
        assert_eq!(since_ms(None, 1_000).ok(), Some(0));
        assert_eq!(since_ms(Some("1s"), 5_000).ok(), Some(4_000));
        assert!(since_ms(Some("soon"), 5_000).is_err_and(|e| e.to_string().contains("24h")));
    }

    #[test]
    fn no_actions_say_so() {
        assert_eq!(text(&[]), "no actions\n");
    }
}
