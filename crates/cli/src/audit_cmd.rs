//! `plasma-ops audit [PATH]`: reads a checked-out repository and hands it to the policy core's
//! audit rules. Only reading lives here: which files exist (`git ls-files`, or a walk when the
//! path is not a git work tree), the few files the rules read (bounded in size, never following
//! a symlink out of the tree), and `--fix` writing missing templates without overwriting.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use plasma_audit::protection::{self, RemoteSettings};
use plasma_audit::{self as audit, Checkout, templates};
use plasma_config::report::{RepoFinding, RepoReport};
use plasma_config::{self as config, Config, ConfigSource};

use crate::args::Global;
use crate::exit;
use crate::output::Out;

/// A file the rules read is refused above this size: none of them is legitimately this big, and
/// reading is bounded so a hostile checkout cannot exhaust memory.
pub const MAX_FILE: u64 = 1024 * 1024;
/// A walk (outside git) stops after this many files.
const MAX_FILES: usize = 1_000_000;

/// A file the audit needs is larger than [`MAX_FILE`].
pub const TOO_LARGE: &str = "audit-file-too-large";
/// A file the audit needs is not UTF-8, not a regular file, or unreadable.
pub const UNREADABLE: &str = "audit-file-unreadable";

/// `audit` arguments.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The checked-out repository.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Also read `main`'s branch protection, rulesets and the `production` environment of
    /// `OWNER/REPO` from GitHub (token from `GITHUB_TOKEN`).
    #[arg(long, value_name = "OWNER/REPO")]
    pub remote: Option<String>,
    /// Write the missing files from templates (never overwrites a file).
    #[arg(long)]
    pub fix: bool,
    /// With `--fix`: print the files as a unified diff and write nothing.
    #[arg(long, requires = "fix")]
    pub dry_run: bool,
}

/// Runs `audit`.
pub fn run(g: &Global, out: &Out, args: AuditArgs) -> Result<u8> {
    let args = &args;
    if !args.path.is_dir() {
        bail!("{} is not a directory; pass the repository's checkout", args.path.display());
    }
    let config = load_config(g, &args.path)?;
    let (mut checkout, mut findings) = read_checkout(&args.path)?;
    if args.fix {
        let files = templates::missing(&checkout, &config);
        if args.dry_run {
            let mut stdout = std::io::stdout().lock();
            for f in &files {
                write!(stdout, "{}", templates::new_file_diff(&f.path, &f.contents))?;
            }
            if files.is_empty() {
                eprintln!("audit --fix: nothing to add");
            }
            return Ok(exit::OK);
        }
        for f in &files {
            write_new(&args.path, &f.path, &f.contents)?;
            eprintln!("wrote {}", f.path);
        }
        (checkout, findings) = read_checkout(&args.path)?;
        // Files just written are not in the index yet; make sure the audit sees them.
        for f in files {
            if !checkout.has(&f.path) {
                checkout.paths.push(f.path.clone());
                checkout.files.insert(f.path, f.contents);
            }
        }
    }
    findings.extend(audit::audit(&checkout, &config));
    if let Some(repo) = &args.remote {
        findings.extend(remote(repo, &config, out.format)?);
    }
    Ok(out.repo_report("audit", &RepoReport::new(findings)))
}

/// `audit --format json` of the checkout at `path` without `--fix` or `--remote` (the MCP tool
/// `audit`).
pub(crate) fn report(g: &Global, path: &Path) -> Result<RepoReport> {
    if !path.is_dir() {
        bail!("{} is not a directory; pass the repository's checkout", path.display());
    }
    let config = load_config(g, path)?;
    let (checkout, mut findings) = read_checkout(path)?;
    findings.extend(audit::audit(&checkout, &config));
    Ok(RepoReport::new(findings))
}

/// The policy: `--org-config`, then `--config` or else the checkout's own `.github/plasma.yml`
/// (config is code: the repository audited says how it maps its stages).
fn load_config(g: &Global, root: &Path) -> Result<Config> {
    let own = root.join(".github/plasma.yml");
    let repo = g.config.clone().or_else(|| own.is_file().then_some(own));
    let org_text = g
        .org_config
        .as_deref()
        .map(|p| read_small(p).map(|t| (p.display().to_string(), t)))
        .transpose()?;
    let repo_text =
        repo.as_deref().map(|p| read_small(p).map(|t| (p.display().to_string(), t))).transpose()?;
    let eff = config::load(source(&org_text), source(&repo_text)).map_err(|e| anyhow!("{e}"))?;
    Ok(eff.config)
}

fn source(x: &Option<(String, String)>) -> Option<ConfigSource<'_>> {
    x.as_ref().map(|(n, t)| ConfigSource { name: n, text: t })
}

fn read_small(path: &Path) -> Result<String> {
    match read_bounded(path)? {
        Ok(t) => Ok(t),
        Err(why) => bail!("{}: {why}", path.display()),
    }
}

/// Reads `path` if it is a regular UTF-8 file of at most [`MAX_FILE`] bytes; `Ok(Err(why))` when
/// it is not (a finding, not a failure of the command).
fn read_bounded(path: &Path) -> Result<std::result::Result<String, String>> {
    let meta = std::fs::symlink_metadata(path)
        .with_context(|| format!("cannot stat {}", path.display()))?;
    if !meta.is_file() {
        return Ok(Err(
            "is not a regular file (a symlink or special file); the audit reads only regular files"
                .into(),
        ));
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut buf = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if buf.len() as u64 > MAX_FILE {
        return Ok(Err(format!("is larger than {} KiB", MAX_FILE / 1024)));
    }
    Ok(String::from_utf8(buf).map_err(|e| {
        format!("is not UTF-8 (invalid byte at offset {})", e.utf8_error().valid_up_to())
    }))
}

/// The file list and the contents of the files the rules read, plus findings for files that
/// could not be read.
pub fn read_checkout(root: &Path) -> Result<(Checkout, Vec<RepoFinding>)> {
    let mut paths = match plasma_gitrepo::listed_files(root) {
        Some(p) => p,
        None => walk(root)?,
    };
    paths.sort();
    paths.dedup();
    let mut checkout = Checkout { paths, ..Checkout::default() };
    let mut findings = Vec::new();
    for p in checkout.paths.iter().filter(|p| audit::wanted(p)) {
        match read_bounded(&root.join(p))? {
            Ok(text) => {
                checkout.files.insert(p.clone(), text);
            }
            Err(why) => {
                let rule = if why.starts_with("is larger") { TOO_LARGE } else { UNREADABLE };
                findings.push(
                    RepoFinding::error(rule, format!("`{p}` {why}, so it was not checked."), "Keep this file small, plain UTF-8 text and a regular file; GitHub reads it as such.")
                        .at(p.as_str()),
                );
            }
        }
    }
    Ok((checkout, findings))
}

/// Every file under `root`, skipping `.git`, `target` and `node_modules`; symlinks are listed,
/// never followed.
fn walk(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let child = rel.join(name);
            let ty =
                entry.file_type().with_context(|| format!("cannot stat {}", child.display()))?;
            if ty.is_dir() {
                if !matches!(name, ".git" | "target" | "node_modules") {
                    stack.push(child);
                }
            } else {
                let s: Vec<&str> = child.iter().filter_map(|c| c.to_str()).collect();
                out.push(s.join("/"));
                if out.len() > MAX_FILES {
                    bail!(
                        "{} holds more than {MAX_FILES} files outside git; run the audit on a git checkout",
                        root.display()
                    );
                }
            }
        }
    }
    Ok(out)
}

/// Creates `rel` under `root` with `contents`; fails rather than overwrite.
fn write_new(root: &Path, rel: &str, contents: &str) -> Result<()> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut f =
        std::fs::OpenOptions::new().write(true).create_new(true).open(&path).with_context(
            || format!("cannot create {} (it is never overwritten)", path.display()),
        )?;
    f.write_all(contents.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The branch whose protection the process prescribes.
const PROTECTED_BRANCH: &str = "main";

/// `--remote OWNER/REPO`: reads the settings with the token of [`crate::github_env`]
/// (`GITHUB_TOKEN`, API base `GITHUB_API_URL` as set inside GitHub Actions and for GitHub
/// Enterprise Server) and judges them.
fn remote(repo: &str, config: &Config, format: crate::args::Format) -> Result<Vec<RepoFinding>> {
    let Some(client) = crate::github_env::client_from_env()? else {
        bail!(
            "--remote {repo} needs a token: set GITHUB_TOKEN or PLASMA_OPS_GITHUB_TOKEN (read access to the repository; administration read to see classic branch protection)"
        );
    };
    let rt = crate::github_env::runtime()?;
    let _progress = crate::progress::Progress::spinner(
        format,
        &format!("reading {repo}'s branch protection, rulesets and environments"),
    );
    let settings = rt.block_on(async {
        let (classic, rules, production) = tokio::join!(
            client.branch_protection(repo, PROTECTED_BRANCH),
            client.branch_rules(repo, PROTECTED_BRANCH),
            client.environment(repo, "production"),
        );
        anyhow::Ok(RemoteSettings {
            repo: repo.to_string(),
            branch: PROTECTED_BRANCH.to_string(),
            classic: classic.map_err(|e| anyhow!("{e}"))?,
            rules: rules.map_err(|e| anyhow!("{e}"))?,
            production: production.map_err(|e| anyhow!("{e}"))?,
        })
    })?;
    Ok(protection::check(&settings, config))
}
