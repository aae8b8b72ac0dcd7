//! `plasma-ops board show ORG/NUMBER`: a project board's columns with their counts and cards,
//! read with the token of [`crate::github_env`] (GraphQL `ProjectBoardOrg`/`ProjectBoardUser`
//! and `ProjectItems`).

use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand};
use plasma_config::ProjectRef;
use plasma_github::{GitHubClient, ProjectCard, ProjectLookup};
use serde::Serialize;

use crate::args::{Format, Global};
use crate::output::Out;

/// `board` subcommands.
#[derive(Debug, Subcommand)]
pub enum BoardCmd {
    /// A project's columns with counts and items.
    Show(ShowArgs),
}

/// `board show` arguments.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The project: `ORG/NUMBER` or its URL.
    #[arg(value_name = "ORG/NUMBER")]
    pub project: String,
    /// The single-select field that holds the columns.
    #[arg(long, default_value = "Status")]
    pub field: String,
}

/// One card as `--format json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// `owner/name`.
    pub repo: String,
    /// Issue or pull request number.
    pub number: u64,
    /// Its title.
    pub title: String,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnOut {
    /// The option's name (`No Status` for cards without one).
    pub name: String,
    /// Cards in it.
    pub count: usize,
    /// The cards.
    pub items: Vec<Item>,
}

/// The board, columns in the field's order, then cards without a status.
pub fn columns(options: &[String], cards: &[ProjectCard]) -> Vec<ColumnOut> {
    let mut names: Vec<String> = options.to_vec();
    if cards.iter().any(|c| c.status.is_none()) {
        names.push("No Status".into());
    }
    names
        .into_iter()
        .map(|name| {
            let items: Vec<Item> = cards
                .iter()
                .filter(|c| c.status.as_deref().unwrap_or("No Status") == name)
                .filter_map(|c| {
                    Some(Item { repo: c.repo.clone()?, number: c.number?, title: c.title.clone()? })
                })
                .collect();
            ColumnOut { name, count: items.len(), items }
        })
        .collect()
}

/// Reads the board: (project URL, columns).
pub async fn read(
    client: &GitHubClient,
    project: &ProjectRef,
    field: &str,
) -> Result<(String, Vec<ColumnOut>)> {
    let rc =
        client.repo(None, &format!("{}/.github", project.owner)).map_err(|e| anyhow!("{e}"))?;
    let board = match rc.project_board(project, field).await.map_err(|e| anyhow!("{e}"))? {
        ProjectLookup::Found(b) => b,
        ProjectLookup::Invisible => bail!(
            "project {project} is not visible to this token: check the number, and that the token \
             (or App) has Projects read access to its owner"
        ),
        ProjectLookup::NoSuchField { title } => {
            bail!(
                "project {project} (`{title}`) has no single-select field `{field}`; pass --field"
            )
        }
    };
    let cards = rc.project_items(&board.id, field).await.map_err(|e| anyhow!("{e}"))?;
    Ok((board.url.clone(), columns(&board.option_names(), &cards)))
}

/// Runs `board`.
pub fn run(_g: &Global, out: &Out, cmd: BoardCmd) -> Result<u8> {
    let BoardCmd::Show(args) = cmd;
    let Some(project) = ProjectRef::parse(&args.project) else {
        bail!("`{}` is not a project: write ORG/NUMBER or the project's URL", args.project);
    };
    let Some(client) = crate::github_env::client_from_env()? else {
        bail!("board show needs a token: set PLASMA_OPS_GITHUB_TOKEN (or GITHUB_TOKEN)");
    };
    let rt = crate::github_env::runtime()?;
    let (url, cols) = rt.block_on(read(&client, &project, &args.field))?;
    print!("{}", render(out.format, &url, &cols)?);
    Ok(0)
}

/// The text or JSON the command prints.
pub fn render(format: Format, url: &str, cols: &[ColumnOut]) -> Result<String> {
    Ok(match format {
        Format::Json | Format::Sarif => {
            let v = serde_json::json!({ "project": url, "columns": cols });
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        _ => {
            let mut s = format!("{url}\n");
            for c in cols {
                s.push_str(&format!("\n{} ({})\n", c.name, c.count));
                for i in &c.items {
                    s.push_str(&format!("  {}#{}  {}\n", i.repo, i.number, i.title));
                }
            }
            s
        }
    })
}

#[cfg(test)]
mod tests {
    use plasma_fakehub::{FakeHub, FakeIssue, FakeProject};
    use plasma_github::{ClientConfig, Secret};

    use super::*;

    #[tokio::test]
    async fn a_board_is_read_into_columns_with_counts() {
        let hub = FakeHub::start().await.unwrap();
        let repo = "plasma-engine/plasma-engine-gateway";
        let a = hub.add_issue(repo, FakeIssue { title: "First".into(), ..FakeIssue::default() });
        let b = hub.add_issue(repo, FakeIssue { title: "Second".into(), ..FakeIssue::default() });
        let c = hub.add_issue(repo, FakeIssue { title: "Third".into(), ..FakeIssue::default() });
        hub.add_project(FakeProject::org("plasma-engine", 3));
        hub.move_project_card("plasma-engine", 3, repo, a, "Review");
        hub.move_project_card("plasma-engine", 3, repo, b, "Review");
        hub.move_project_card("plasma-engine", 3, repo, c, "Nowhere");
        let client = GitHubClient::new(
            ClientConfig::with_token(Secret::new("ghp_test".to_string())).base_url(hub.url()),
        )
        .unwrap();
        let project = ProjectRef::parse("plasma-engine/3").unwrap();
        let (url, cols) = read(&client, &project, "Status").await.unwrap();
        assert_eq!(url, "https://github.com/orgs/plasma-engine/projects/3");
        let counts: Vec<(&str, usize)> = cols.iter().map(|c| (c.name.as_str(), c.count)).collect();
        assert_eq!(
            counts,
            [
                ("Backlog", 0),
                ("In Progress", 0),
                ("Review", 2),
                ("Done", 0),
                ("Blocked", 0),
                ("No Status", 1)
            ]
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(Format::Json, &url, &cols).unwrap()).unwrap();
        assert_eq!(json["columns"][2]["items"][1]["title"], "Second");
        assert_eq!(json["columns"][2]["items"][0]["repo"], repo);
        let text = render(Format::Text, &url, &cols).unwrap();
        assert!(
            text.contains("Review (2)\n  plasma-engine/plasma-engine-gateway#1  First\n"),
            "{text}"
        );
        let missing = read(&client, &ProjectRef::parse("plasma-engine/9").unwrap(), "Status").await;
        assert!(missing.unwrap_err().to_string().contains("not visible"));
        let no_field = read(&client, &project, "Stage").await;
        assert!(no_field.unwrap_err().to_string().contains("--field"));
    }
}
