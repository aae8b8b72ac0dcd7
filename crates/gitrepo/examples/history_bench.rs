#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The work of `plasma-ops history RANGE` without the CLI around it (argument parsing and
//! rendering), so the benchmark can be built in release mode without the service's dependencies:
//! open, resolve, walk with gix, verify signatures in parallel, apply the history rules to every
//! commit, branch and tag. Prints the count of findings per rule.
//!
//! With `--no-verify` the commits are judged as the walk hands them over
//! ([`GitRepo::for_each_commit`]: a second thread reads ahead); `--reference` walks and decodes
//! the way plasma-ops did before that (gix's walk, then each commit looked up again), for
//! side-by-side runs: both print the same counts.
//!
//! Usage: history_bench PATH RANGE [--no-verify] [--reference]
//!        history_bench --messages FILE [THREADS]   (what `history --messages FILE` does)

use std::collections::BTreeMap;
use std::path::Path;

use plasma_gitrepo::{GitRepo, RangeSpec, RefKind, SignatureStatus, verify_all};
use plasma_history::rules::{CommitFacts, HistoryRules, SignatureFact};
use plasma_policy::Policy;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args[1] == "--messages" {
        let policy = Policy::process_default().unwrap_or_else(|_| panic!("default policy"));
        let rules = HistoryRules::new(policy.config());
        let bytes = std::fs::read(&args[2]).unwrap();
        let threads = args.get(3).map_or_else(
            || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            |t| t.parse().unwrap(),
        );
        let found = plasma_history::rules::lint_messages(policy.config(), &rules, &bytes, threads);
        let mut rejected: Vec<usize> = found
            .iter()
            .filter(|f| f.finding.severity == plasma_config::Severity::Error)
            .filter_map(|f| f.location.index)
            .collect();
        rejected.dedup();
        println!("findings {} rejected {}", found.len(), rejected.len());
        return;
    }
    let (path, range) = (&args[1], &args[2]);
    let no_verify = args.iter().any(|a| a == "--no-verify");
    let reference = args.iter().any(|a| a == "--reference");
    let policy = Policy::process_default().unwrap_or_else(|_| panic!("default policy"));
    let rules = HistoryRules::new(policy.config());
    let repo = GitRepo::discover(Path::new(path)).unwrap();
    let resolved = repo.resolve_range(&RangeSpec::Expr(range.clone())).unwrap();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    if no_verify && !reference {
        let n = repo
            .for_each_commit(&resolved, |c| {
                let f = CommitFacts {
                    sha: &c.id,
                    parents: c.parents.len(),
                    message: &c.message,
                    committer_email: &c.committer_email,
                    signature: if c.signature.is_some() {
                        SignatureFact::NotChecked
                    } else {
                        SignatureFact::Unsigned
                    },
                };
                for f in policy.apply_overrides(rules.check_commit(&f)) {
                    *counts.entry(f.rule).or_default() += 1;
                }
                Ok::<(), plasma_gitrepo::GitError>(())
            })
            .unwrap();
        refs_and_print(&repo, &policy, &rules, n, counts);
        return;
    }
    let commits = if reference {
        repo.commits_reference(&resolved).unwrap()
    } else {
        repo.commits(&resolved).unwrap()
    };
    let facts: Vec<SignatureFact> = if no_verify {
        commits
            .iter()
            .map(|c| {
                if c.signature.is_some() {
                    SignatureFact::NotChecked
                } else {
                    SignatureFact::Unsigned
                }
            })
            .collect()
    } else {
        verify_all(&commits, &repo.verify_options(None))
            .into_iter()
            .map(|s| match s {
                SignatureStatus::Unsigned => SignatureFact::Unsigned,
                SignatureStatus::Good { signer, .. } => SignatureFact::Good { signer },
                SignatureStatus::Bad { kind, detail } => {
                    SignatureFact::Bad { kind: kind.as_str().into(), detail }
                }
                SignatureStatus::Unverifiable { kind, detail } => {
                    SignatureFact::Unverifiable { kind: kind.as_str().into(), detail }
                }
            })
            .collect()
    };
    for (c, sig) in commits.iter().zip(facts) {
        let f = CommitFacts {
            sha: &c.id,
            parents: c.parents.len(),
            message: &c.message,
            committer_email: &c.committer_email,
            signature: sig,
        };
        for f in policy.apply_overrides(rules.check_commit(&f)) {
            *counts.entry(f.rule).or_default() += 1;
        }
    }
    refs_and_print(&repo, &policy, &rules, commits.len(), counts);
}

/// Judges the branches and tags, then prints the counts per rule.
fn refs_and_print(
    repo: &GitRepo,
    policy: &Policy,
    rules: &HistoryRules,
    commits: usize,
    mut counts: BTreeMap<String, usize>,
) {
    for r in repo.refs().unwrap() {
        let found = match r.kind {
            RefKind::LocalBranch | RefKind::RemoteBranch if r.name != "main" => {
                policy.check_branch(&r.name, None, None)
            }
            RefKind::LightweightTag | RefKind::AnnotatedTag => {
                rules.check_tag(&r.name).into_iter().collect()
            }
            _ => Vec::new(),
        };
        for f in found {
            *counts.entry(f.rule).or_default() += 1;
        }
    }
    println!("commits {commits}");
    for (rule, n) in counts {
        println!("{rule} {n}");
    }
}
