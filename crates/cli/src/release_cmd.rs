//! `plasma-ops release plan|cut` and `plasma-ops hotfix start|finish`: the version arithmetic of
//! the policy core (`plasma_history::release`) over the tags and commits of a real repository.
//!
//! Scope: without `release.components` the repository is one versioned unit. With components,
//! each is versioned on its own: its tags carry its `tag_prefix`, its commits are those touching
//! its `path`; `release plan` lists every component unless `--component` picks one, and `release
//! cut` needs `--component`.
//!
//! `hotfix` lives here rather than in a module of its own because a hotfix is a patch release cut
//! from a tag: it shares `RepoAt`, the planning and the reporting with `release`.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand};
use plasma_config::issue_key::IssueKeyFormat;
use plasma_config::{ReleaseComponent, ReleaseConfig};
use plasma_gitrepo::{GitError, GitRepo, ObjectId, RangeSpec};
use plasma_history::release::{
    Bump, ChangelogLinks, ReleaseCommit, ReleasePlan, decided_by_labels, hotfix_branch,
    hotfix_version, latest_release_for, plan_release_with,
};
use plasma_policy::Policy;
use semver::Version;
use serde_json::{Value, json};

use crate::args::{Format, Global};
use crate::exit;
use crate::input;
use crate::output::{Out, print_json};
use crate::release_labels::LabelSource;

/// Where the repository is and which part of it.
#[derive(Debug, Args)]
pub struct RepoAt {
    /// The repository (any path inside it).
    #[arg(long, short = 'C', value_name = "PATH", default_value = ".")]
    pub path: PathBuf,
    /// The main branch, where releases are cut.
    #[arg(long, default_value = "main", value_name = "BRANCH")]
    pub main: String,
    /// `owner/name`, to link issue keys in the changelog (default: from the `origin` URL).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
}

/// `release` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReleaseCmd {
    /// The next version from the commits since the latest release tag, its release branch and
    /// changelog.
    Plan {
        #[command(flatten)]
        at: RepoAt,
        #[command(flatten)]
        labels: LabelSource,
        /// Only this component (its `name`, or its path without the trailing `/`).
        #[arg(long, value_name = "NAME")]
        component: Option<String>,
    },
    /// Create the annotated tag and the release branch of the planned version, locally (pushing
    /// stays your step; the command is printed).
    Cut {
        #[command(flatten)]
        at: RepoAt,
        /// The component to release (required when `release.components` is configured).
        #[arg(long, value_name = "NAME")]
        component: Option<String>,
        /// Show what would be created; change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        labels: LabelSource,
    },
}

/// `hotfix` subcommands.
#[derive(Debug, Subcommand)]
pub enum HotfixCmd {
    /// Create `hotfix/<KEY>` from the latest release tag (the process's rule).
    Start {
        /// The issue key, e.g. `PE-77`.
        key: String,
        #[command(flatten)]
        at: RepoAt,
        /// The component whose latest tag to start from.
        #[arg(long, value_name = "NAME")]
        component: Option<String>,
    },
    /// Plan the patch release of the checked-out hotfix branch.
    Finish {
        #[command(flatten)]
        at: RepoAt,
        #[command(flatten)]
        labels: LabelSource,
        /// The component being fixed.
        #[arg(long, value_name = "NAME")]
        component: Option<String>,
    },
}

/// One versioned unit's plan and where it starts.
struct Planned {
    plan: ReleasePlan,
    current_tag: Option<String>,
    head: String,
    /// The repository whose pull request labels were read (`--pr-labels`).
    labels_from: Option<String>,
}

impl Planned {
    fn json(&self) -> Value {
        let mut v = serde_json::to_value(&self.plan).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("current_tag".into(), json!(self.current_tag));
            m.insert("head".into(), json!(self.head));
            m.insert("labels_read_from".into(), json!(self.labels_from));
        }
        v
    }

    fn text(&self) -> String {
        let p = &self.plan;
        let name = p.component.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
        let current = match (&self.current_tag, &p.current_version) {
            (Some(t), Some(v)) => format!("{v} (tag {t})"),
            _ => "none yet".into(),
        };
        let commits = |n: usize| {
            if n == 1 {
                "1 commit is not a Conventional Commit".to_string()
            } else {
                format!("{n} commits are not Conventional Commits")
            }
        };
        let labels = match (p.by_labels, &self.labels_from) {
            (0, _) => String::new(),
            (n, Some(repo)) => format!(
                "  labels:  {}; counted by the semver:* labels of their pull requests in {repo}\n",
                commits(n)
            ),
            (n, None) => format!(
                "  labels:  {} and released nothing: their pull requests' semver:* labels were not read (add --pr-labels with GITHUB_TOKEN set)\n",
                commits(n)
            ),
        };
        format!(
            "release plan{name}\n  current: {current}\n  next:    {} ({} bump, tag {})\n  branch:  {}\n  commits: {} since the current release\n{labels}\n{}\n",
            p.next_version,
            p.bump.as_str(),
            p.tag,
            p.release_branch,
            p.commits,
            p.changelog.trim_end()
        )
    }
}

fn links(policy: &Policy, repo: &GitRepo, at: &RepoAt) -> ChangelogLinks {
    ChangelogLinks {
        issue_prefix: policy.config().issue_key.prefix.clone(),
        repository: at.repo.clone().or_else(|| {
            crate::history_cmd::repository_from_url(&repo.config_string("remote.origin.url")?)
        }),
    }
}

fn pick<'a>(cfg: &'a ReleaseConfig, name: Option<&str>) -> Result<Option<&'a ReleaseComponent>> {
    let Some(name) = name else { return Ok(None) };
    let found = cfg.components.iter().find(|c| {
        c.display_name() == name || c.path.trim_end_matches('/') == name.trim_end_matches('/')
    });
    match found {
        Some(c) => Ok(Some(c)),
        None => {
            let known: Vec<&str> =
                cfg.components.iter().map(ReleaseComponent::display_name).collect();
            bail!(
                "no component `{name}` in release.components (known: {})",
                if known.is_empty() { "none configured".to_string() } else { known.join(", ") }
            )
        }
    }
}

/// The latest release of `component` reachable from `head` (a tag on another line of history,
/// e.g. a newer release when planning a hotfix, does not count), with its commit.
fn latest_reachable(
    repo: &GitRepo,
    cfg: &ReleaseConfig,
    component: Option<&ReleaseComponent>,
    head: ObjectId,
) -> Result<Option<(String, Version)>> {
    let tags = repo.tags()?;
    let mut candidates: Vec<&str> = Vec::new();
    for t in &tags {
        if let Some(target) = t.target
            && repo.is_ancestor(target, head)?
        {
            candidates.push(&t.name);
        }
    }
    Ok(latest_release_for(candidates, cfg, component, false))
}

fn plan_for(
    policy: &Policy,
    repo: &GitRepo,
    at: &RepoAt,
    labels: &LabelSource,
    component: Option<&ReleaseComponent>,
    format: Format,
) -> Result<Planned> {
    let cfg = &policy.config().release;
    let head = repo.head_id()?;
    let latest = latest_reachable(repo, cfg, component, head)?;
    let spec = match &latest {
        Some((tag, _)) => RangeSpec::Expr(format!("refs/tags/{tag}..{head}")),
        None => RangeSpec::Expr(head.to_string()),
    };
    let range = repo.resolve_range(&spec)?;
    let mut commits = Vec::new();
    for c in repo.commits(&range)? {
        if let Some(comp) = component
            && !repo.touches(&c, &comp.path)?
        {
            continue;
        }
        commits.push(ReleaseCommit { sha: c.id, message: c.message, labels: Vec::new() });
    }
    let links = links(policy, repo, at);
    let mut labels_from = None;
    if labels.pr_labels {
        let asked: Vec<String> = commits
            .iter()
            .filter(|c| decided_by_labels(&c.message))
            .map(|c| c.sha.clone())
            .collect();
        let mut found = labels.labels_for(links.repository.as_deref(), &asked, format)?;
        for c in &mut commits {
            if let Some(l) = found.remove(&c.sha) {
                c.labels = l;
            }
        }
        labels_from = links.repository.clone();
    }
    let current = latest.as_ref().map(|(_, v)| v);
    let plan = plan_release_with(current, &commits, cfg, component, &links);
    Ok(Planned { plan, current_tag: latest.map(|(t, _)| t), head: head.to_string(), labels_from })
}

/// `release plan --format json` of the checkout at `path` (the MCP tool `release_plan`): every
/// component's plan, or the one plan when the repository has no components.
pub(crate) fn plan_json(policy: &Policy, path: &std::path::Path) -> Result<Value> {
    let repo = GitRepo::discover(path)?;
    let at = RepoAt { path: path.to_path_buf(), main: "main".into(), repo: None };
    let labels = LabelSource::default();
    let cfg = &policy.config().release;
    if cfg.components.is_empty() {
        return Ok(plan_for(policy, &repo, &at, &labels, None, Format::Json)?.json());
    }
    let plans = cfg
        .components
        .iter()
        .map(|c| plan_for(policy, &repo, &at, &labels, Some(c), Format::Json).map(|p| p.json()))
        .collect::<Result<Vec<_>>>()?;
    Ok(json!({ "components": plans }))
}

/// Runs `release`.
pub fn release(g: &Global, out: &Out, cmd: ReleaseCmd) -> Result<u8> {
    let policy = &input::policy(g)?;
    match cmd {
        ReleaseCmd::Plan { at, labels, component } => {
            let repo = GitRepo::discover(&at.path)?;
            let cfg = &policy.config().release;
            let scopes: Vec<Option<&ReleaseComponent>> = match pick(cfg, component.as_deref())? {
                Some(c) => vec![Some(c)],
                None if cfg.components.is_empty() => vec![None],
                None => cfg.components.iter().map(Some).collect(),
            };
            let plans = scopes
                .into_iter()
                .map(|c| plan_for(policy, &repo, &at, &labels, c, out.format))
                .collect::<Result<Vec<_>>>()?;
            match out.format {
                Format::Json
                    if plans.len() == 1 && (component.is_some() || cfg.components.is_empty()) =>
                {
                    print_json(&plans[0].json());
                }
                Format::Json => print_json(
                    &json!({"components": plans.iter().map(Planned::json).collect::<Vec<_>>()}),
                ),
                Format::Text | Format::Html => {
                    let texts: Vec<String> = plans.iter().map(Planned::text).collect();
                    print!("{}", texts.join("\n"));
                }
                Format::Github | Format::Sarif => {
                    bail!("release plan writes text or json; use --format json")
                }
            }
            Ok(exit::OK)
        }
        ReleaseCmd::Cut { at, component, dry_run, labels } => {
            let repo = GitRepo::discover(&at.path)?;
            let cfg = &policy.config().release;
            let comp = pick(cfg, component.as_deref())?;
            if comp.is_none() && !cfg.components.is_empty() {
                bail!("this repository versions components separately; name one with --component");
            }
            if let Err(e) = repo.ensure_clean_on(&at.main) {
                return refused(e);
            }
            let p = plan_for(policy, &repo, &at, &labels, comp, out.format)?;
            if p.plan.bump == Bump::None {
                eprintln!(
                    "error: nothing to release: no commit since {} calls for a release (feat, fix, perf, a breaking change or a semver:* label)",
                    p.current_tag.as_deref().unwrap_or("the start of history")
                );
                return Ok(exit::VIOLATIONS);
            }
            if repo.tag_exists(&p.plan.tag) {
                return refused(GitError::Refused(format!(
                    "tag `{}` already exists; a released version is never moved",
                    p.plan.tag
                )));
            }
            let branch = &p.plan.release_branch;
            let new_branch = !repo.branch_exists(branch);
            let message =
                format!("Release {}\n\n{}", p.plan.next_version, p.plan.changelog.trim_end());
            let mut done = Vec::new();
            if !dry_run {
                repo.create_annotated_tag(&p.plan.tag, &p.head, &message)?;
                if new_branch {
                    repo.create_branch(branch, &p.head)?;
                }
            }
            let verb = if dry_run { "would create" } else { "created" };
            done.push(format!("{verb} annotated tag {} on {}", p.plan.tag, p.head));
            if new_branch {
                done.push(format!("{verb} branch {branch} at {}", p.head));
            } else {
                done.push(format!("branch {branch} exists already; left as it is"));
            }
            let push = if new_branch {
                format!("git push origin {} {branch}", p.plan.tag)
            } else {
                format!("git push origin {}", p.plan.tag)
            };
            report_write(out, dry_run, &done, &push, &p)
        }
    }
}

/// Runs `hotfix`.
pub fn hotfix(g: &Global, out: &Out, cmd: HotfixCmd) -> Result<u8> {
    let policy = &input::policy(g)?;
    let cfg = &policy.config().release;
    match cmd {
        HotfixCmd::Start { key, at, component } => {
            let keys =
                IssueKeyFormat::new(&policy.config().issue_key).map_err(|e| anyhow!("{e}"))?;
            let Some(parsed) = keys.parse(&key) else {
                bail!(
                    "`{key}` is not an issue key; write it as {} (e.g. {})",
                    keys.shape(),
                    keys.key(77)
                );
            };
            let repo = GitRepo::discover(&at.path)?;
            let comp = pick(cfg, component.as_deref())?;
            let names: Vec<String> = repo.tags()?.into_iter().map(|t| t.name).collect();
            let Some((tag, version)) =
                latest_release_for(names.iter().map(String::as_str), cfg, comp, false)
            else {
                return refused(GitError::Refused(
                    "there is no release tag to start a hotfix from; cut a release first (`plasma-ops release cut`)".into(),
                ));
            };
            let branch = hotfix_branch(cfg, &parsed.to_string());
            if let Err(e) = repo.create_branch(&branch, &format!("refs/tags/{tag}")) {
                return refused(e);
            }
            let next = hotfix_version(&version);
            let done = format!(
                "created branch {branch} from {tag} (release {version}); the fix releases {next}"
            );
            match out.format {
                Format::Json => print_json(&json!({
                    "branch": branch, "from_tag": tag, "current_version": version.to_string(),
                    "next_version": next.to_string(), "next_step": format!("git switch {branch}"),
                })),
                _ => println!("{done}\nnext: git switch {branch}"),
            }
            Ok(exit::OK)
        }
        HotfixCmd::Finish { at, labels, component } => {
            let repo = GitRepo::discover(&at.path)?;
            let comp = pick(cfg, component.as_deref())?;
            let branch = repo.current_branch()?.unwrap_or_else(|| "HEAD".into());
            let p = plan_for(policy, &repo, &at, &labels, comp, out.format)?;
            let Some(current) = p.plan.current_version.clone() else {
                return refused(GitError::Refused(format!(
                    "no release tag is reachable from {branch}; a hotfix branch starts from one (`plasma-ops hotfix start KEY`)"
                )));
            };
            let next = hotfix_version(&current);
            let prefix = comp.map_or(cfg.tag_prefix.as_str(), |c| c.tag_prefix.as_str());
            let tag = format!("{prefix}{next}");
            let mut warnings = Vec::new();
            if !branch.starts_with(cfg.hotfix_branch.split("{key}").next().unwrap_or("hotfix/")) {
                warnings.push(format!("`{branch}` is not a hotfix branch ({})", cfg.hotfix_branch));
            }
            if p.plan.bump > Bump::Patch {
                warnings.push(format!(
                    "the commits since {} call for a {} release; a hotfix releases only the patch {next} — move features to main",
                    p.current_tag.as_deref().unwrap_or("the release"),
                    p.plan.bump.as_str()
                ));
            }
            if repo.tag_exists(&tag) {
                warnings.push(format!("tag `{tag}` exists already; this hotfix was released"));
            }
            match out.format {
                Format::Json => {
                    let mut v = p.json();
                    if let Value::Object(m) = &mut v {
                        m.insert("next_version".into(), json!(next.to_string()));
                        m.insert("bump".into(), json!("patch"));
                        m.insert("tag".into(), json!(tag));
                        m.insert("branch".into(), json!(branch));
                        m.insert("warnings".into(), json!(warnings));
                    }
                    print_json(&v);
                }
                _ => {
                    println!(
                        "hotfix {branch}\n  current: {current} (tag {})\n  next:    {next} (patch, tag {tag})\n  commits: {}",
                        p.current_tag.as_deref().unwrap_or("?"),
                        p.plan.commits
                    );
                    for w in &warnings {
                        println!("  warning: {w}");
                    }
                    println!(
                        "next: git tag -a {tag} -m 'Release {next}' && git push origin {tag}, then bring the fix to main"
                    );
                }
            }
            Ok(if warnings.is_empty() { exit::OK } else { exit::VIOLATIONS })
        }
    }
}

fn refused(e: GitError) -> Result<u8> {
    match e {
        GitError::Refused(why) => {
            eprintln!("error: refused: {why}");
            Ok(exit::VIOLATIONS)
        }
        other => Err(other.into()),
    }
}

fn report_write(out: &Out, dry_run: bool, done: &[String], push: &str, p: &Planned) -> Result<u8> {
    match out.format {
        Format::Json => {
            let mut v = p.json();
            if let Value::Object(m) = &mut v {
                m.insert("dry_run".into(), json!(dry_run));
                m.insert("actions".into(), json!(done));
                m.insert("next_step".into(), json!(push));
            }
            print_json(&v);
        }
        _ => {
            print!("{}", p.text());
            println!();
            for d in done {
                println!("{d}");
            }
            println!("next: {push}");
        }
    }
    Ok(exit::OK)
}
