//! The history rules (`plasma-ops history`): signed commits, linear history, commit subjects,
//! branch names and version-like tags. Pure: git facts come in as plain data (read by the
//! `gitrepo` crate), findings go out.
//!
//! Rule ids:
//! - `commit-unsigned` (error when `commits.require_signed`): the commit has no signature.
//! - `commit-signature-bad` (error): verification failed — altered content, a key not allowed to
//!   sign as the committer, an expired or revoked key.
//! - `commit-signature-unverified` (warning): signed, but the verifier had no key or no
//!   allowed-signers file here; it is neither proof of a good nor of a bad signature, so it does
//!   not fail the run — the hint says how to make it checkable.
//! - `merge-commit` (error when `commits.linear_history`): a commit with several parents.
//! - `commit-subject` (error): the message follows neither an issue key nor Conventional Commits
//!   (`commit_messages.style`); commitlint's own rule ids (`type-enum`, `header-max-length`, …)
//!   for each Conventional Commits rule a message breaks.
//! - `branch-name`: the branch rules of pull requests (`Policy::check_branch`), for every local
//!   and remote-tracking branch.
//! - `tag-not-semver` (error): a tag that looks like a version (a digit after a release tag
//!   prefix) but is not a valid semantic version, so release planning would ignore it.

use plasma_config::issue_key::IssueKeyFormat;
use plasma_config::{Config, Finding, MessageStyle, ReleaseConfig, RepoFinding, Severity};

use crate::commitlint::CommitLinter;

/// Rule ids of this module.
pub mod rule {
    /// No signature.
    pub const UNSIGNED: &str = "commit-unsigned";
    /// Signature verification failed.
    pub const SIGNATURE_BAD: &str = "commit-signature-bad";
    /// Signed, but not checkable here.
    pub const SIGNATURE_UNVERIFIED: &str = "commit-signature-unverified";
    /// A merge commit in linear history.
    pub const MERGE_COMMIT: &str = "merge-commit";
    /// Neither an issue key nor Conventional Commits.
    pub const COMMIT_SUBJECT: &str = "commit-subject";
    /// A version-like tag that is not semver.
    pub const TAG_NOT_SEMVER: &str = "tag-not-semver";
}

/// What verifying a commit's signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureFact {
    /// No signature.
    Unsigned,
    /// Verified; `signer` as the verifier named them.
    Good {
        /// Who signed.
        signer: String,
    },
    /// Verification failed.
    Bad {
        /// `openpgp`, `ssh`, `x509`.
        kind: String,
        /// What the verifier found.
        detail: String,
    },
    /// Signed, not checkable here.
    Unverifiable {
        /// `openpgp`, `ssh`, `x509`.
        kind: String,
        /// Why not.
        detail: String,
    },
    /// Signed; verification was not asked for (`--no-verify`).
    NotChecked,
}

/// One commit as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitFacts<'a> {
    /// Full SHA.
    pub sha: &'a str,
    /// Number of parents.
    pub parents: usize,
    /// The whole message.
    pub message: &'a str,
    /// The committer's e-mail (named in SSH findings).
    pub committer_email: &'a str,
    /// The signature verdict.
    pub signature: SignatureFact,
}

/// The history rules, built once per run from the configuration.
#[derive(Debug, Clone)]
pub struct HistoryRules {
    linter: CommitLinter,
    keys: Option<IssueKeyFormat>,
    style: MessageStyle,
    require_signed: bool,
    linear_history: bool,
    release: ReleaseConfig,
}

impl HistoryRules {
    /// The rules of `cfg`.
    pub fn new(cfg: &Config) -> Self {
        HistoryRules {
            linter: CommitLinter::new(&cfg.commit_messages),
            // `None` only for a prefix that does not compile, which the front doors already report
            // as a configuration error when they compile the policy.
            keys: IssueKeyFormat::new(&cfg.issue_key).ok(),
            style: cfg.commit_messages.style,
            require_signed: cfg.commits.require_signed,
            linear_history: cfg.commits.linear_history,
            release: cfg.release.clone(),
        }
    }

    /// Findings about one message (the `commit-msg` hook and `history --messages`).
    pub fn check_message(&self, message: &str) -> Vec<Finding> {
        let subject = message.lines().next().unwrap_or("").trim();
        let has_key = || {
            self.keys
                .as_ref()
                .and_then(|k| k.find_in(subject))
                .is_some_and(|m| m.problems.is_empty())
        };
        let shape =
            self.keys.as_ref().map_or_else(|| "PE-<number>".to_string(), IssueKeyFormat::shape);
        match self.style {
            MessageStyle::Conventional => self.linter.lint(message),
            MessageStyle::IssueKey => {
                if has_key() || self.linter.is_ignored(message) {
                    Vec::new()
                } else {
                    vec![Finding::error(
                        rule::COMMIT_SUBJECT,
                        format!("subject `{}` references no issue key ({shape})", clip(subject)),
                        format!(
                            "put the issue key in the subject, e.g. `{} Add retry to the webhook client`",
                            shape.replace("<number>", "12")
                        ),
                    )]
                }
            }
            MessageStyle::Either => {
                if has_key() {
                    return Vec::new();
                }
                let found = self.linter.lint(message);
                let errors: Vec<&Finding> =
                    found.iter().filter(|f| f.severity == Severity::Error).collect();
                if errors.is_empty() {
                    return found;
                }
                let why: Vec<String> =
                    errors.iter().map(|f| format!("{}: {}", f.rule, f.message)).collect();
                let mut out = vec![Finding::error(
                    rule::COMMIT_SUBJECT,
                    format!(
                        "message `{}` neither references an issue key ({shape}) nor passes Conventional Commits ({})",
                        clip(subject),
                        why.join("; ")
                    ),
                    format!(
                        "reference the issue (`{}`) or write a Conventional Commit (`fix(gateway): retry on 502`)",
                        shape.replace("<number>", "12")
                    ),
                )];
                out.extend(found.into_iter().filter(|f| f.severity != Severity::Error));
                out
            }
        }
    }

    /// Findings about one commit: its signature, its parents, its message.
    pub fn check_commit(&self, c: &CommitFacts<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        let short = c.sha.get(..12).unwrap_or(c.sha);
        match &c.signature {
            SignatureFact::Unsigned if self.require_signed => out.push(Finding::error(
                rule::UNSIGNED,
                format!("commit {short} is not signed"),
                "sign it: `git commit --amend --no-edit -S` (or `git rebase --exec 'git commit --amend --no-edit -S' <base>`), with `commit.gpgsign true` so later commits are signed",
            )),
            SignatureFact::Bad { kind, detail } => out.push(Finding::error(
                rule::SIGNATURE_BAD,
                format!("commit {short} has a bad {kind} signature: {detail}"),
                "re-sign it with a key registered for the committer's e-mail (`git commit --amend --no-edit -S`); if you did not make this commit, treat it as forged",
            )),
            SignatureFact::Unverifiable { kind, detail } => out.push(Finding::warning(
                rule::SIGNATURE_UNVERIFIED,
                format!("commit {short} is {kind}-signed but cannot be verified here: {detail}"),
                if kind == "ssh" {
                    format!("list {} with their public key in an allowed-signers file and pass `--allowed-signers FILE` (or set `gpg.ssh.allowedSignersFile`)", c.committer_email)
                } else {
                    "import the signer's public key into the keyring (`gpg --import`), or for x509 its certificate into gpgsm".to_string()
                },
            )),
            _ => {}
        }
        if c.parents > 1 && self.linear_history {
            out.push(Finding::error(
                rule::MERGE_COMMIT,
                format!("commit {short} is a merge ({} parents); history must be linear", c.parents),
                "rebase instead of merging: `git rebase main` (drop the merge with `git rebase -i`), and merge pull requests with squash or rebase",
            ));
        }
        // commitlint skips merges by default too; a merge is already a finding of its own.
        if c.parents <= 1 {
            out.extend(self.check_message(c.message));
        }
        out
    }

    /// Whether `tag` looks like a version but is not a valid one: a finding, or `None`.
    pub fn check_tag(&self, tag: &str) -> Option<Finding> {
        let mut prefixes: Vec<&str> =
            self.release.components.iter().map(|c| c.tag_prefix.as_str()).collect();
        prefixes.push(self.release.tag_prefix.as_str());
        prefixes.push("v");
        prefixes.push("");
        // The longest prefix that is followed by a digit decides what the version part is.
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let (prefix, rest) = prefixes
            .iter()
            .filter_map(|p| tag.strip_prefix(p).map(|r| (*p, r)))
            .find(|(_, r)| r.starts_with(|c: char| c.is_ascii_digit()))?;
        if crate::release::parse_tag(tag, prefix).is_some() {
            return None;
        }
        Some(Finding::error(
            rule::TAG_NOT_SEMVER,
            format!(
                "tag `{}` looks like a version but `{}` is not a semantic version (MAJOR.MINOR.PATCH[-PRE][+BUILD])",
                clip(tag),
                clip(rest)
            ),
            format!(
                "release tags are `{}1.2.3` (or `{}1.2.3-rc.1` for a pre-release); tag the commit again with a valid version and delete this tag (`git tag -d {}`)",
                self.release.tag_prefix,
                self.release.tag_prefix,
                clip(tag)
            ),
        ))
    }
}

/// Below this many messages, starting threads costs more than linting them.
const PARALLEL_FROM: usize = 2_000;

/// The messages of a NUL-separated list, with their 0-based index. A final NUL ends the last
/// message rather than starting an empty one (`git log -z` writes one after every message).
pub fn split_messages(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    let body = bytes.strip_suffix(b"\0").unwrap_or(bytes);
    if body.is_empty() {
        return Vec::new();
    }
    body.split(|b| *b == 0).enumerate().collect()
}

/// Lints every message of a NUL-separated list (`history --messages`), on up to `threads` threads
/// for long inputs; findings carry the message's index, in input order. `rules: overrides` apply.
pub fn lint_messages(
    config: &Config,
    rules: &HistoryRules,
    bytes: &[u8],
    threads: usize,
) -> Vec<RepoFinding> {
    let messages = split_messages(bytes);
    let lint = |chunk: &[(usize, &[u8])]| -> Vec<RepoFinding> {
        let mut out = Vec::new();
        for (i, m) in chunk {
            let text = String::from_utf8_lossy(m);
            for f in config.apply_overrides(rules.check_message(&text)) {
                out.push(RepoFinding::from_finding(f).index(*i));
            }
        }
        out
    };
    if messages.len() < PARALLEL_FROM || threads < 2 {
        return lint(&messages);
    }
    let size = messages.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = messages.chunks(size).map(|c| s.spawn(move || lint(c))).collect();
        // A chunk's thread only fails on a bug; redo that chunk here so no message goes unlinted.
        handles
            .into_iter()
            .zip(messages.chunks(size))
            .flat_map(|(h, c)| h.join().unwrap_or_else(|_| lint(c)))
            .collect()
    })
}

/// Untrusted text goes into messages; keep it to a readable length.
fn clip(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(style: MessageStyle) -> HistoryRules {
        let mut cfg = Config::default();
        cfg.commit_messages.style = style;
        cfg.release.components.push(plasma_config::ReleaseComponent {
            path: "gateway/".into(),
            tag_prefix: "gateway-v".into(),
            name: None,
        });
        HistoryRules::new(&cfg)
    }

    fn ids(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.rule.as_str()).collect()
    }

    #[test]
    fn message_styles_table() {
        use MessageStyle::*;
        let cases: &[(MessageStyle, &str, &[&str])] = &[
            (Either, "[PE-12] Add retry", &[]),
            (Either, "fix(gateway): retry on 502", &[]),
            (Either, "Add retry", &["commit-subject"]),
            (Either, "pe-12 add retry", &["commit-subject"]),
            (IssueKey, "PE-12 add retry", &[]),
            (IssueKey, "fix: retry on 502", &["commit-subject"]),
            (IssueKey, "Merge branch 'x'", &[]),
            (Conventional, "fix: retry on 502", &[]),
            (Conventional, "PE-12 add retry", &["subject-empty", "type-empty"]),
            (Conventional, "foo: bar", &["type-enum"]),
        ];
        for (style, msg, want) in cases {
            let got = rules(*style).check_message(msg);
            assert_eq!(ids(&got), *want, "{style:?} {msg:?}: {got:?}");
        }
    }

    #[test]
    fn commits_table() {
        let r = rules(MessageStyle::Either);
        let facts = |parents, signature| CommitFacts {
            sha: "0123456789abcdef0123456789abcdef01234567",
            parents,
            message: "fix: x",
            committer_email: "a@x",
            signature,
        };
        let bad = SignatureFact::Bad { kind: "ssh".into(), detail: "d".into() };
        let unv = SignatureFact::Unverifiable { kind: "ssh".into(), detail: "d".into() };
        let cases: Vec<(CommitFacts<'_>, Vec<&str>)> = vec![
            (facts(1, SignatureFact::Good { signer: "a".into() }), vec![]),
            (facts(1, SignatureFact::NotChecked), vec![]),
            (facts(1, SignatureFact::Unsigned), vec!["commit-unsigned"]),
            (facts(1, bad), vec!["commit-signature-bad"]),
            (facts(0, unv), vec!["commit-signature-unverified"]),
            (facts(2, SignatureFact::Good { signer: "a".into() }), vec!["merge-commit"]),
        ];
        for (c, want) in cases {
            assert_eq!(ids(&r.check_commit(&c)), want, "{c:?}");
        }
        let f = r.check_commit(&facts(1, SignatureFact::Unsigned));
        assert_eq!(f[0].message, "commit 0123456789ab is not signed");
        assert_eq!(f[0].severity, Severity::Error);
    }

    #[test]
    fn split_messages_table() {
        let cases: &[(&[u8], &[&str])] = &[
            (b"", &[]),
            (b"\0", &[]),
            (b"a", &["a"]),
            (b"a\0", &["a"]),
            (b"a\0b\0", &["a", "b"]),
            (b"a\0\0b", &["a", "", "b"]),
        ];
        for (input, want) in cases {
            let got: Vec<String> = split_messages(input)
                .into_iter()
                .map(|(_, m)| String::from_utf8_lossy(m).into_owned())
                .collect();
            assert_eq!(got, *want, "{input:?}");
        }
        assert_eq!(split_messages(b"a\0b").iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![0, 1]);
    }

    #[test]
    fn parallel_and_sequential_lint_agree() {
        let config = Config::default();
        let rules = HistoryRules::new(&config);
        let mut input = Vec::new();
        for i in 0..(PARALLEL_FROM + 500) {
            let m = if i % 3 == 0 { format!("bad message {i}") } else { format!("fix: ok {i}") };
            input.extend_from_slice(m.as_bytes());
            input.push(0);
        }
        let got = lint_messages(&config, &rules, &input, 3);
        assert_eq!(got, lint_messages(&config, &rules, &input, 1));
        let indices: Vec<usize> = got.iter().filter_map(|f| f.location.index).collect();
        let want: Vec<usize> = (0..(PARALLEL_FROM + 500)).filter(|i| i % 3 == 0).collect();
        assert_eq!(indices, want);
        assert!(got.iter().all(|f| f.finding.rule == "commit-subject"));
    }

    #[test]
    fn tags_table() {
        let r = rules(MessageStyle::Either);
        let cases: &[(&str, bool)] = &[
            ("v1.2.3", false),
            ("1.2.3", false),
            ("v1.2.3-rc.1", false),
            ("v1.2.3+build.5", false),
            ("gateway-v0.4.0", false),
            ("v1.2", true),
            ("1.2.3.4", true),
            ("v01.2.3", true),
            ("gateway-v1.x", true),
            ("release-candidate", false),
            ("latest", false),
            ("vnext", false),
        ];
        for (tag, bad) in cases {
            assert_eq!(r.check_tag(tag).is_some(), *bad, "{tag}");
        }
        let f = r.check_tag("v1.2").unwrap_or_else(|| unreachable!());
        assert_eq!(f.rule, rule::TAG_NOT_SEMVER);
        assert!(f.message.contains("`1.2` is not a semantic version"), "{}", f.message);
    }
}
