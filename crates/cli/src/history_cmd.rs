//! `plasma-ops history [RANGE]` and `history --messages FILE`: the history rules of the policy core
//! (`plasma_history::rules`) over a real repository read by `plasma_gitrepo`, or over
//! NUL-separated messages without a repository.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use plasma_config::finding::Finding;
use plasma_config::report::{RepoFinding, RepoReport};
use plasma_gitrepo::{CommitInfo, GitRepo, RangeSpec, RefKind, SignatureStatus, verify_all};
use plasma_history::rules::{CommitFacts, HistoryRules, SignatureFact, lint_messages};
use plasma_policy::Policy;

use crate::args::Global;
use crate::input;
use crate::output::Out;

/// A message file larger than this is not a list of commit messages; refuse it rather than
/// allocate without bound (angular-cli's 10,000 messages are 2 MB).
const MAX_MESSAGES_INPUT: u64 = 256 * 1024 * 1024;

/// `history` arguments.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// `A..B`, `A...B`, a revision (it and its whole ancestry), or nothing: all of the main branch
    /// when it is checked out, otherwise the current branch since it left main (`main`, else
    /// `origin/main`).
    pub range: Option<String>,
    /// Lint NUL-separated commit messages from FILE (`-` for standard input) instead of a
    /// repository's history; findings carry the 0-based `index` of the message.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["range", "allowed_signers", "no_verify", "jobs"])]
    pub messages: Option<String>,
    /// The repository (any path inside it).
    #[arg(long, short = 'C', value_name = "PATH", default_value = ".")]
    pub path: PathBuf,
    /// SSH allowed-signers file (default: git config `gpg.ssh.allowedSignersFile`).
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// Do not verify signatures; unsigned commits are still reported.
    #[arg(long)]
    pub no_verify: bool,
    /// Verifier processes at once (default: twice the cores, at most 32).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// `owner/name`, for the `<repo>` part of branch names (default: from the `origin` URL).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// The main branch.
    #[arg(long, default_value = "main", value_name = "BRANCH")]
    pub main: String,
}

/// Runs `history`.
pub fn run(g: &Global, out: &Out, args: HistoryArgs) -> Result<u8> {
    let policy = &input::policy(g)?;
    let rules = HistoryRules::new(policy.config());
    let findings = match &args.messages {
        Some(file) => {
            let bytes = read_messages(file)?;
            let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
            lint_messages(policy.config(), &rules, &bytes, threads)
        }
        None => repo_findings(policy, &rules, &args, out.format)?,
    };
    Ok(out.repo_report("history", &RepoReport::new(findings)))
}

/// From this many commits a range is large enough for a progress bar.
const LARGE_RANGE: usize = 500;
/// Commits verified per step of the bar; each step still runs its verifiers in parallel.
const VERIFY_STEP: usize = 256;

/// Signatures of `commits`, with a progress bar over large ranges (when one is drawn).
fn verified(
    commits: &[plasma_gitrepo::CommitInfo],
    opts: &plasma_gitrepo::VerifyOptions,
    format: crate::args::Format,
) -> Vec<SignatureStatus> {
    if commits.len() < LARGE_RANGE {
        return verify_all(commits, opts);
    }
    let bar =
        crate::progress::Progress::new(format, commits.len() as u64, "verifying commit signatures");
    if bar.is_hidden() {
        return verify_all(commits, opts);
    }
    let mut out = Vec::with_capacity(commits.len());
    for chunk in commits.chunks(VERIFY_STEP) {
        out.extend(verify_all(chunk, opts));
        bar.inc(chunk.len() as u64);
    }
    out
}

fn read_messages(file: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let (name, n) = if file == "-" {
        let n = std::io::stdin()
            .take(MAX_MESSAGES_INPUT + 1)
            .read_to_end(&mut buf)
            .context("cannot read commit messages from standard input")?;
        ("<stdin>".to_string(), n)
    } else {
        let f = std::fs::File::open(file)
            .with_context(|| format!("{file}: cannot open the message file"))?;
        let n = f
            .take(MAX_MESSAGES_INPUT + 1)
            .read_to_end(&mut buf)
            .with_context(|| format!("{file}: cannot read the message file"))?;
        (file.to_string(), n)
    };
    if n as u64 > MAX_MESSAGES_INPUT {
        bail!(
            "{name}: more than {} MiB of commit messages; split the input (e.g. by range) and lint the parts",
            MAX_MESSAGES_INPUT / 1024 / 1024
        );
    }
    Ok(buf)
}

fn repo_findings(
    policy: &Policy,
    rules: &HistoryRules,
    args: &HistoryArgs,
    format: crate::args::Format,
) -> Result<Vec<RepoFinding>> {
    let repo = GitRepo::discover(&args.path)?;
    let spec = match &args.range {
        Some(r) => RangeSpec::Expr(r.clone()),
        None => RangeSpec::Default { main: args.main.clone() },
    };
    let range = repo.resolve_range(&spec)?;
    let mut out = Vec::new();
    let judge = |c: &CommitInfo, signature: SignatureFact, out: &mut Vec<RepoFinding>| {
        let facts = CommitFacts {
            sha: &c.id,
            parents: c.parents.len(),
            message: &c.message,
            committer_email: &c.committer_email,
            signature,
        };
        for f in policy.apply_overrides(rules.check_commit(&facts)) {
            out.push(RepoFinding::from_finding(f).commit(c.id.clone()));
        }
    };
    let (walked, signed) = if args.no_verify {
        // Nothing waits for the whole range: each commit is judged as the walk (on a second
        // thread) hands it over, and none is kept.
        let mut signed = 0;
        let walked = repo.for_each_commit(&range, |c| -> Result<()> {
            let fact = if c.signature.is_some() {
                signed += 1;
                SignatureFact::NotChecked
            } else {
                SignatureFact::Unsigned
            };
            judge(&c, fact, &mut out);
            Ok(())
        })?;
        (walked, signed)
    } else {
        // Verification runs signatures in parallel batches, so it needs the range first.
        let mut commits = Vec::new();
        repo.for_each_commit(&range, |c| -> Result<()> {
            commits.push(c);
            Ok(())
        })?;
        let mut opts = repo.verify_options(args.allowed_signers.clone());
        if let Some(j) = args.jobs {
            opts.jobs = usize::from(j);
        }
        let statuses = verified(&commits, &opts, format).into_iter().map(fact);
        for (c, sig) in commits.iter().zip(statuses) {
            judge(c, sig, &mut out);
        }
        (commits.len(), commits.iter().filter(|c| c.signature.is_some()).count())
    };
    eprintln!("history: {walked} commits of {} ({signed} signed)", range.label);

    let repository = args.repo.clone().or_else(|| origin_repository(&repo));
    for r in repo.refs()? {
        match r.kind {
            RefKind::LocalBranch | RefKind::RemoteBranch => {
                // The main branch is the base every rule measures from, not a work branch.
                if r.name == args.main || r.name == "HEAD" {
                    continue;
                }
                let found = policy.check_branch(&r.name, repository.as_deref(), None);
                out.extend(found.into_iter().map(|f| about_ref(f, &r.full_name)));
            }
            RefKind::LightweightTag | RefKind::AnnotatedTag => {
                if let Some(f) = rules.check_tag(&r.name) {
                    out.extend(
                        policy
                            .apply_overrides(vec![f])
                            .into_iter()
                            .map(|f| about_ref(f, &r.full_name)),
                    );
                }
            }
        }
    }
    Ok(out)
}

fn about_ref(f: Finding, full_name: &str) -> RepoFinding {
    let mut rf = RepoFinding::from_finding(f);
    rf.finding.message = format!("{full_name}: {}", rf.finding.message);
    rf
}

fn fact(s: SignatureStatus) -> SignatureFact {
    match s {
        SignatureStatus::Unsigned => SignatureFact::Unsigned,
        SignatureStatus::Good { signer, .. } => SignatureFact::Good { signer },
        SignatureStatus::Bad { kind, detail } => {
            SignatureFact::Bad { kind: kind.as_str().into(), detail }
        }
        SignatureStatus::Unverifiable { kind, detail } => {
            SignatureFact::Unverifiable { kind: kind.as_str().into(), detail }
        }
    }
}

/// `owner/name` from the `origin` remote's URL (`git@github.com:o/r.git`, `https://host/o/r`).
fn origin_repository(repo: &GitRepo) -> Option<String> {
    repository_from_url(&repo.config_string("remote.origin.url")?)
}

/// `owner/name` of a remote URL, if it has two path segments to take.
pub fn repository_from_url(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    let mut parts = url.rsplit(['/', ':']);
    let name = parts.next().filter(|s| !s.is_empty())?;
    let owner = parts.next().filter(|s| !s.is_empty() && !s.contains('@'))?;
    Some(format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_from_url_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("git@github.com:plasma-engine/gateway.git", Some("plasma-engine/gateway")),
            ("https://github.com/plasma-engine/gateway", Some("plasma-engine/gateway")),
            ("https://github.com/plasma-engine/gateway.git/", Some("plasma-engine/gateway")),
            ("ssh://git@host:22/o/r.git", Some("o/r")),
            ("/srv/git/o/r.git", Some("o/r")),
            ("r.git", None),
            ("", None),
        ];
        for (url, want) in cases {
            assert_eq!(repository_from_url(url).as_deref(), *want, "{url}");
        }
    }
}
