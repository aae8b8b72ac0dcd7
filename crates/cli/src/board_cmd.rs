//! `plasma-ops board show ORG/NUMBER`: a project board's columns with their counts and cards,
//! read with the token of [`crate::github_env`] (GraphQL `ProjectBoardOrg`/`ProjectBoardUser`
//! and `ProjectItems`).
//!
//! `plasma-ops board sync OWNER/REPO [--dry-run]`: every open issue's card put where the
//! service would put it, by the service's own decision path (`plasma_service::board::sync`, the
//! function the `board:` jobs call per card), with the repository's `.github/plasma.yml` and
//! its organisation layer read from GitHub as the service reads them.

use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand};
use plasma_config::ProjectRef;
use plasma_github::{GitHubClient, ProjectCard, ProjectLookup};
use plasma_service::board::{BoardCache, CardResult, SyncReport};
use serde::Serialize;

use crate::args::{Format, Global};
use crate::output::Out;

/// `board` subcommands.
#[derive(Debug, Subcommand)]
pub enum BoardCmd {
    /// A project's columns with counts and items.
    Show(ShowArgs),
    /// Put every open issue's card of a repository in its column, as the service does.
    Sync(SyncArgs),
}

/// `board sync` arguments.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The repository whose open issues' cards are reconciled.
    #[arg(value_name = "OWNER/REPO")]
    pub repo: String,
    /// Print the moves that would be made and write nothing.
    #[arg(long)]
    pub dry_run: bool,
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
    let args = match cmd {
        BoardCmd::Show(args) => args,
        BoardCmd::Sync(args) => return run_sync(out, &args),
    };
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

/// One move of `board sync`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoveOut {
    /// The issue's number.
    pub number: u64,
    /// The column it was in (`null`: no card, or no Status).
    pub from: Option<String>,
    /// The column it goes (or, in a dry run, would go) to.
    pub to: String,
}

/// A card left in a human's column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// The issue's number.
    pub number: u64,
    /// The column, outside the mapping (e.g. `Blocked`).
    pub column: String,
}

/// A problem that kept cards from moving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemOut {
    /// The issue (`null`: the board as a whole).
    pub number: Option<u64>,
    /// What is wrong and what to change.
    pub problem: String,
}

/// What `board sync --format json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncOut {
    /// `owner/name`.
    pub repo: String,
    /// `board.project` as configured (`null`: none).
    pub project: Option<String>,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Open issues looked at.
    pub open_issues: usize,
    /// Cards moved (or that would be, in a dry run), in issue order.
    pub moves: Vec<MoveOut>,
    /// Cards left in a human's column.
    pub left: Vec<LeftOut>,
    /// Cards already in their column (or issues with none, e.g. closed as not planned).
    pub unchanged: usize,
    /// Problems: the board's, or one card's.
    pub problems: Vec<ProblemOut>,
}

impl SyncOut {
    /// From the shared sync's answer.
    pub fn new(
        repo: &str,
        project: Option<String>,
        dry_run: bool,
        answer: Result<SyncReport, plasma_service::board::Problem>,
    ) -> Self {
        let mut out = SyncOut {
            repo: repo.to_string(),
            project,
            dry_run,
            open_issues: 0,
            moves: vec![],
            left: vec![],
            unchanged: 0,
            problems: vec![],
        };
        let report = match answer {
            Ok(r) => r,
            Err(p) => {
                out.problems.push(ProblemOut { number: None, problem: p.to_string() });
                return out;
            }
        };
        out.open_issues = report.open_issues;
        for (number, result) in report.cards {
            match result {
                CardResult::Moved { from, to } => out.moves.push(MoveOut { number, from, to }),
                CardResult::LeftHumanMove(column) => out.left.push(LeftOut { number, column }),
                CardResult::Problem(p) => {
                    out.problems.push(ProblemOut { number: Some(number), problem: p.to_string() })
                }
                CardResult::Stayed | CardResult::NoBoard => out.unchanged += 1,
            }
        }
        out
    }

    /// The text or JSON printed.
    pub fn render(&self, format: Format) -> Result<String> {
        if matches!(format, Format::Json | Format::Sarif) {
            return Ok(format!("{}\n", serde_json::to_string_pretty(self)?));
        }
        let mut s = String::new();
        let verb = if self.dry_run { "would move" } else { "moved" };
        for m in &self.moves {
            let from = m.from.as_deref().unwrap_or("(no card)");
            s.push_str(&format!("{}#{}: {verb} {from} -> {}\n", self.repo, m.number, m.to));
        }
        for l in &self.left {
            s.push_str(&format!(
                "{}#{}: left in `{}` (a person's column; it moves when the issue or its pull \
                 requests change)\n",
                self.repo, l.number, l.column
            ));
        }
        for p in &self.problems {
            match p.number {
                Some(n) => s.push_str(&format!("{}#{n}: {}\n", self.repo, p.problem)),
                None => s.push_str(&format!("{}: {}\n", self.repo, p.problem)),
            }
        }
        s.push_str(&format!(
            "{} open issues: {} {verb}, {} in a person's column, {} unchanged{}\n",
            self.open_issues,
            self.moves.len(),
            self.left.len(),
            self.unchanged,
            if self.dry_run { " (dry run: nothing written)" } else { "" }
        ));
        Ok(s)
    }
}

/// `board sync`: 0 when every card could be reconciled, 1 when a problem kept some from moving.
fn run_sync(out: &Out, args: &SyncArgs) -> Result<u8> {
    let repo = args.repo.trim();
    let valid = repo.split('/').count() == 2 && repo.split('/').all(|p| !p.is_empty());
    if !valid {
        bail!("`{repo}` is not a repository: write OWNER/REPO");
    }
    let Some(client) = crate::github_env::client_from_env()? else {
        bail!("board sync needs a token: set PLASMA_OPS_GITHUB_TOKEN (or GITHUB_TOKEN)");
    };
    let rt = crate::github_env::runtime()?;
    let result = rt.block_on(sync(&client, repo, args.dry_run, out.format))?;
    print!("{}", result.render(out.format)?);
    Ok(u8::from(!result.problems.is_empty()))
}

/// Reads the repository's policy and runs the shared sync, with a bar on a terminal.
pub async fn sync(
    client: &GitHubClient,
    repo: &str,
    dry_run: bool,
    format: Format,
) -> Result<SyncOut> {
    let policy = plasma_service::board::repo_policy(client, None, repo)
        .await
        .map_err(|e| anyhow!("{repo}: its .github/plasma.yml cannot be used: {e}"))?;
    let project = policy.config().board.project.clone();
    if project.is_none() {
        bail!(
            "{repo} has no board: set board.project in its .github/plasma.yml (or the \
             organisation's) to the project's URL"
        );
    }
    let rc = client.repo(None, repo).map_err(|e| anyhow!("{e}"))?;
    let cache = BoardCache::default();
    let bar = std::cell::RefCell::new(None::<crate::progress::Progress>);
    let answer = plasma_service::board::sync(&cache, &rc, &policy, dry_run, |_, total| {
        // Made at the first card, when the listing has said how many there are.
        let mut bar = bar.borrow_mut();
        bar.get_or_insert_with(|| {
            crate::progress::Progress::new(format, total as u64, "reconciling cards")
        })
        .inc(1);
    })
    .await
    .map_err(|e| anyhow!("{repo}: {e}"))?;
    Ok(SyncOut::new(repo, project, dry_run, answer))
}

#[cfg(test)]
mod tests {
    use plasma_fakehub::{FakeHub, FakeIssue, FakeProject};
    use plasma_github::{ClientConfig, Secret};

    use super::*;

    #[test]
    fn a_sync_report_reads_as_text_and_json() {
        use plasma_service::board::Problem;
        let report = SyncReport {
            open_issues: 4,
            cards: vec![
                (1, CardResult::Moved { from: Some("Backlog".into()), to: "Review".into() }),
                (2, CardResult::LeftHumanMove("Blocked".into())),
                (3, CardResult::Stayed),
                (4, CardResult::Problem(Problem { what: "refused".into(), fix: "retry".into() })),
            ],
        };
        let out = SyncOut::new("o/r", Some("o/3".into()), false, Ok(report));
        assert_eq!(
            (out.moves.len(), out.left.len(), out.unchanged, out.problems.len()),
            (1, 1, 1, 1)
        );
        let text = out.render(Format::Text).unwrap();
        assert!(text.contains("o/r#1: moved Backlog -> Review\n"), "{text}");
        assert!(text.contains("o/r#2: left in `Blocked`"), "{text}");
        assert!(text.contains("o/r#4: refused: retry\n"), "{text}");
        assert!(text.ends_with("4 open issues: 1 moved, 1 in a person's column, 1 unchanged\n"));
        let json: serde_json::Value =
            serde_json::from_str(&out.render(Format::Json).unwrap()).unwrap();
        assert_eq!(json["problems"][0]["number"], 4);
        let broken = Problem { what: "project o/3 is not visible".into(), fix: "grant".into() };
        let out = SyncOut::new("o/r", Some("o/3".into()), true, Err(broken));
        let text = out.render(Format::Text).unwrap();
        assert!(text.starts_with("o/r: project o/3 is not visible: grant\n"), "{text}");
        assert!(text.contains("(dry run: nothing written)"), "{text}");
    }

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
