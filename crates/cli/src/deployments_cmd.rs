//! `plasma-ops deployments OWNER/REPO [--env ENV] [--since 30d]`: the deployments the service
//! recorded for a repository, newest first, with their state (GitHub's statuses, judged by
//! `plasma_policy::delivery`), duration, rollback and redeploy flags and the pull requests each
//! brought. JSON shape: `docs/cli-json.md`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use plasma_policy::delivery::{self, ChangeKind};
use plasma_service::deployments::status_facts;
use plasma_store::DeploymentRow;
use serde::Serialize;

use crate::args::{Format, Global};
use crate::exit;
use crate::output::Out;
use crate::service_cmds::{load_config, open_store, runtime};

/// `deployments` arguments.
#[derive(Debug, Args)]
pub struct DeploymentsArgs {
    /// The repository, `OWNER/REPO`.
    pub repo: String,
    /// Only deployments to this environment (any case).
    #[arg(long = "env", value_name = "ENVIRONMENT")]
    pub environment: Option<String>,
    /// Only deployments created within this long before now (`30d`, `12h`, `2w`); all when absent.
    #[arg(long, value_name = "DURATION", value_parser = parse_since)]
    pub since: Option<Duration>,
    /// Service configuration file (for `database_url`).
    #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
    pub service_config: Option<PathBuf>,
}

fn parse_since(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration ({e}); write e.g. `30d`, `12h` or `2w`"))
}

/// One deployment as `--format json` prints it (the issue's interface: field names are a
/// contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploymentJson {
    pub id: i64,
    pub environment: String,
    pub sha: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub state: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub rollback: bool,
    pub redeploy: bool,
    pub pull_requests: Vec<u64>,
}

/// RFC 3339 of GitHub's time in unix milliseconds.
fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

/// What is printed of one stored deployment.
pub fn describe(row: &DeploymentRow) -> DeploymentJson {
    let settled = delivery::settle(&status_facts(row));
    let kind = row.change.as_ref().and_then(|c| ChangeKind::parse(&c.kind));
    let d = &row.deployment;
    DeploymentJson {
        id: d.id,
        environment: d.environment.clone(),
        sha: d.sha.clone(),
        git_ref: d.git_ref.clone(),
        state: settled.state.clone(),
        created_at: rfc3339(d.created_at),
        finished_at: settled.finished_at.map(rfc3339),
        rollback: kind == Some(ChangeKind::Rollback),
        redeploy: kind == Some(ChangeKind::Redeploy),
        pull_requests: row.change.as_ref().map(|c| c.pulls.clone()).unwrap_or_default(),
    }
}

/// `1h 2m`, `3m 5s`, `12s`.
fn duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m {sec}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

/// The text listing.
pub fn text(repo: &str, rows: &[DeploymentRow]) -> String {
    let mut out = format!("{repo}: {} deployment(s), newest first\n", rows.len());
    for row in rows {
        let j = describe(row);
        let settled = delivery::settle(&status_facts(row));
        let took = settled
            .finished_at
            .map(|f| duration(f - row.deployment.created_at))
            .unwrap_or_else(|| "-".into());
        let mut notes = Vec::new();
        if j.rollback {
            notes.push("rollback".to_string());
        }
        if j.redeploy {
            notes.push("redeploy".to_string());
        }
        if !j.pull_requests.is_empty() {
            let prs: Vec<String> = j.pull_requests.iter().map(|n| format!("#{n}")).collect();
            notes.push(format!("brought {}", prs.join(", ")));
        }
        out.push_str(&format!(
            "{:<12} {:<12} {:<7} {:<11} {} {:>8}  {}\n",
            j.id,
            j.environment,
            j.sha.get(..7).unwrap_or(&j.sha),
            j.state,
            j.created_at,
            took,
            notes.join("; ")
        ));
    }
    out
}

/// `plasma-ops deployments`.
pub fn run(_g: &Global, out: &Out, args: DeploymentsArgs) -> Result<u8> {
    let DeploymentsArgs { repo, environment, since, service_config } = args;
    if repo.split('/').count() != 2 || repo.split('/').any(str::is_empty) {
        bail!("`{repo}` is not a repository; write it as OWNER/REPO, e.g. plasma-engine/gateway");
    }
    let cfg = load_config(service_config.as_deref())?;
    // The only clock read: where `--since` starts. Every time printed is GitHub's.
    let cutoff = since.map(|d| {
        let now = jiff::Timestamp::now().as_millisecond();
        now.saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    });
    let rt = runtime()?;
    rt.block_on(async move {
        let store = open_store(&cfg).await?;
        let rows = store
            .deployments(&repo, environment.as_deref(), cutoff)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        match out.format {
            Format::Json | Format::Sarif => {
                let list: Vec<DeploymentJson> = rows.iter().map(describe).collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "deployments": list }))?
                );
            }
            _ => print!("{}", text(&repo, &rows)),
        }
        Ok(exit::OK)
    })
}

#[cfg(test)]
mod tests {
    use plasma_store::{DeploymentChange, DeploymentStatusRow, NewDeployment};

    use super::*;

    fn row(id: i64, statuses: &[(&str, i64)], change: Option<(&str, Vec<u64>)>) -> DeploymentRow {
        DeploymentRow {
            deployment: NewDeployment {
                repo: "o/r".into(),
                id,
                environment: "production".into(),
                sha: "0123456789abcdef".into(),
                git_ref: "main".into(),
                creator: None,
                created_at: 1_800_000_000_000,
            },
            statuses: statuses
                .iter()
                .enumerate()
                .map(|(i, (state, at))| DeploymentStatusRow {
                    id: i as i64,
                    state: (*state).into(),
                    created_at: 1_800_000_000_000 + at,
                    url: None,
                    description: None,
                })
                .collect(),
            change: change.map(|(kind, pulls)| DeploymentChange {
                kind: kind.into(),
                previous_id: None,
                commits: vec![],
                pulls,
            }),
        }
    }

    #[test]
    fn json_says_what_the_store_holds() {
        let r =
            row(7, &[("in_progress", 1_000), ("success", 125_000)], Some(("change", vec![3, 5])));
        let j = serde_json::to_value(describe(&r)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"id": 7, "environment": "production", "sha": "0123456789abcdef",
                "ref": "main", "state": "success", "created_at": "2027-01-15T08:00:00Z",
                "finished_at": "2027-01-15T08:02:05Z", "rollback": false, "redeploy": false,
                "pull_requests": [3, 5]})
        );
        let rb = describe(&row(8, &[("success", 1)], Some(("rollback", vec![]))));
        assert!(rb.rollback && !rb.redeploy);
        let pending = describe(&row(9, &[], None));
        assert_eq!((pending.state.as_str(), pending.finished_at), ("pending", None));
    }

    #[test]
    fn text_lists_state_duration_and_flags() {
        let rows = vec![
            row(9, &[("failure", 30_000)], None),
            row(8, &[("success", 3_700_000)], Some(("redeploy", vec![]))),
            row(7, &[("success", 125_000)], Some(("change", vec![3, 5]))),
            row(6, &[("queued", 1)], None),
        ];
        let t = text("o/r", &rows);
        assert!(t.starts_with("o/r: 4 deployment(s), newest first\n"), "{t}");
        assert!(t.contains("failure") && t.contains("30s"), "{t}");
        assert!(t.contains("1h 1m") && t.contains("redeploy"), "{t}");
        assert!(t.contains("2m 5s") && t.contains("brought #3, #5"), "{t}");
        assert!(t.lines().last().unwrap().contains("queued"), "{t}");
        assert!(parse_since("30d").is_ok());
        assert!(parse_since("soon").unwrap_err().contains("30d"));
    }
}
