#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The fast walk (`GitRepo::commits`, `GitRepo::for_each_commit`) against the way commits were
//! read before it (`GitRepo::commits_reference`: gix's walk, each commit looked up and decoded
//! field by field): same commits, same order, same fields, same errors, and the same findings of
//! the history rules, on repositories generated with `git fast-import` (merges, several roots,
//! equal and skewed commit times, odd messages and identities, signatures, a commit-graph).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use plasma_config::Finding;
use plasma_gitrepo::{GitError, GitRepo, RangeSpec};
use plasma_history::rules::{CommitFacts, HistoryRules, SignatureFact};
use plasma_policy::Policy;
use proptest::prelude::*;

fn git(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> String {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run git (apt-get install git): {e}"));
    child.stdin.take().unwrap().write_all(stdin.unwrap_or_default()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository filled by one `git fast-import` stream.
fn import(stream: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"], None);
    git(&dir, &["fast-import", "--quiet"], Some(stream));
    (tmp, dir)
}

/// One commit of a fast-import stream.
struct C<'a> {
    branch: &'a str,
    mark: usize,
    ident: &'a str,
    time: i64,
    message: &'a [u8],
    from: Option<usize>,
    merges: &'a [usize],
}

fn commit(out: &mut Vec<u8>, c: &C<'_>) {
    out.extend_from_slice(format!("commit refs/heads/{}\nmark :{}\n", c.branch, c.mark).as_bytes());
    out.extend_from_slice(format!("author {} {} +0000\n", c.ident, c.time).as_bytes());
    out.extend_from_slice(format!("committer {} {} +0100\n", c.ident, c.time).as_bytes());
    out.extend_from_slice(format!("data {}\n", c.message.len()).as_bytes());
    out.extend_from_slice(c.message);
    out.push(b'\n');
    if let Some(f) = c.from {
        out.extend_from_slice(format!("from :{f}\n").as_bytes());
    }
    for m in c.merges {
        out.extend_from_slice(format!("merge :{m}\n").as_bytes());
    }
    let body = format!("{}\n", c.mark);
    out.extend_from_slice(
        format!("M 100644 inline f{}.txt\ndata {}\n{body}\n", c.mark % 7, body.len()).as_bytes(),
    );
}

/// A small deterministic generator (xorshift), so the repository is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

const SUBJECTS: &[&str] = &[
    "feat(api): add retry",
    "fix: handle empty body",
    "Fix the build",
    "PE-12 add the thing",
    "[PE-7] tidy",
    "feat!: drop node 16",
    "chore(release): v1.2.3",
    "Merge branch 'x' into main",
    "Revert \"feat: x\"",
    "fixup! fix: y",
    "docs: update README.",
    " feat: leading space",
    "feat: trailing space ",
    "feat(scope): Übergröße",
    "wip",
    "feat: ",
    ": no type",
    "feat(a)(b): nested",
    "refactor: a header that is far too long for the default limit of one hundred characters, surely",
];

const BODIES: &[&str] = &[
    "",
    "\n\nA body line.",
    "\nno blank line before the body",
    "\n\nRefs: PE-1",
    "\n\nbody\nRefs: PE-1",
    "\n\nBREAKING CHANGE: the api moved",
    "\n\nA very long body line that goes on and on past the default limit of one hundred characters without a URL.",
    "\n\nsee https://example.com/a/very/long/url/that/goes/on/and/on/past/the/limit/of/one/hundred/characters",
    "\r\n\r\nwindows line ends\r\n",
    "\n\ngpg: a line git writes\nSigned-off-by: A <a@example.com>",
    "\n\n\n\n",
];

const IDENTS: &[&str] = &[
    "Ann Example <ann@example.com>",
    "<nobody@example.com>",
    "Bob  Two  Spaces <bob@example.com>",
    "Zoë Ünicode <zoe@exämple.com>",
];

/// A repository with merges, two roots, equal and skewed times and varied messages.
fn generated(seed: u64, n: usize) -> (tempfile::TempDir, PathBuf) {
    let mut rng = Rng(seed);
    let mut s = Vec::new();
    let mut messages = Vec::new();
    for i in 0..n {
        let mut m = format!("{}{}", rng.pick(SUBJECTS), rng.pick(BODIES)).into_bytes();
        if i % 17 == 5 {
            m.extend_from_slice(b"\n\ninvalid utf-8: \xff\xfe end");
        }
        if i % 23 == 3 {
            m.clear();
        }
        messages.push(m);
    }
    let mut last_main = None;
    let mut last_side = None;
    for (i, m) in messages.iter().enumerate() {
        let mark = i + 1;
        // Times: mostly increasing, some equal (ties in the queue), some older than the parent.
        let time = 1_700_000_000 + (i as i64 / 3) * 60 - if i % 11 == 0 { 3_600 } else { 0 };
        let ident = rng.pick(IDENTS);
        let (branch, from, merges): (&str, Option<usize>, Vec<usize>) = match i % 10 {
            // A side branch that starts from main and is merged back.
            3 | 4 => ("side", last_side.or(last_main), vec![]),
            6 if last_side.is_some() => ("main", last_main, vec![last_side.unwrap_or(0)]),
            // A second root, merged into main once.
            8 if i == 8 => ("other-root", None, vec![]),
            9 if i == 9 => ("main", last_main, vec![8]),
            _ => ("main", last_main, vec![]),
        };
        commit(&mut s, &C { branch, mark, ident, time, message: m, from, merges: &merges });
        match branch {
            "side" => last_side = Some(mark),
            "main" => {
                last_main = Some(mark);
                if !merges.is_empty() && branch == "main" && i % 10 == 6 {
                    last_side = None;
                }
            }
            _ => {}
        }
    }
    import(&s)
}

/// Findings of the history rules, per commit, the way `history --no-verify` judges them.
fn judge(
    policy: &Policy,
    rules: &HistoryRules,
    c: &plasma_gitrepo::CommitInfo,
) -> (String, Vec<Finding>) {
    let facts = CommitFacts {
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
    (c.id.clone(), policy.apply_overrides(rules.check_commit(&facts)))
}

/// Both paths over `spec`: commits, order, fields and findings must be identical.
fn same(repo: &GitRepo, spec: &str) -> usize {
    let policy = Policy::process_default().unwrap_or_else(|_| panic!("default policy"));
    let rules = HistoryRules::new(policy.config());
    let range = repo.resolve_range(&RangeSpec::Expr(spec.into())).unwrap();
    let old = repo.commits_reference(&range).unwrap();
    let new = repo.commits(&range).unwrap();
    assert_eq!(new.len(), old.len(), "{spec}: number of commits");
    for (n, o) in new.iter().zip(&old) {
        assert_eq!(n, o, "{spec}: commit {}", o.id);
    }
    let old_findings: Vec<_> = old.iter().map(|c| judge(&policy, &rules, c)).collect();
    let mut streamed = Vec::new();
    let count = repo
        .for_each_commit(&range, |c| {
            streamed.push(judge(&policy, &rules, &c));
            Ok::<(), GitError>(())
        })
        .unwrap();
    assert_eq!(count, old.len(), "{spec}: commits streamed");
    assert_eq!(streamed, old_findings, "{spec}: findings");
    old.len()
}

#[test]
fn fast_walk_matches_the_reference_on_a_generated_repository() {
    let (_tmp, dir) = generated(0x9e37_79b9_7f4a_7c15, 400);
    let repo = GitRepo::discover(&dir).unwrap();
    let all = same(&repo, "main");
    assert!(all > 300, "the walk crossed the merges and both roots: {all}");
    // With more than one tip in flight (merges), equal times must pop in the same order.
    let merges = repo
        .commits(&repo.resolve_range(&RangeSpec::Expr("main".into())).unwrap())
        .unwrap()
        .iter()
        .filter(|c| c.is_merge())
        .count();
    assert!(merges > 10, "merges: {merges}");
    let findings: usize = {
        let policy = Policy::process_default().unwrap_or_else(|_| panic!("default policy"));
        let rules = HistoryRules::new(policy.config());
        let range = repo.resolve_range(&RangeSpec::Expr("main".into())).unwrap();
        repo.commits(&range).unwrap().iter().map(|c| judge(&policy, &rules, c).1.len()).sum()
    };
    assert!(findings > all, "the messages break rules, so the comparison means something");
    for spec in ["other-root", "main~40", "main~40..main", "other-root...main", "main^!", "main^@"]
    {
        same(&repo, spec);
    }
    // With a commit-graph, gix's walk reads it; the decoding is still the fast one.
    git(&dir, &["commit-graph", "write", "--reachable"], None);
    let repo = GitRepo::discover(&dir).unwrap();
    assert_eq!(same(&repo, "main"), all);
    same(&repo, "main~40..main");
}

#[test]
fn signed_and_odd_commits_decode_as_before() {
    let (_tmp, dir) = generated(7, 12);
    let tip = git(&dir, &["rev-parse", "main"], None);
    let tree = git(&dir, &["rev-parse", "main^{tree}"], None);
    // Hand-made objects: a signature header (with continuation lines), an encoding header, an
    // unparsable time, an author with extra spaces, and a commit without an author.
    let raw: Vec<(String, bool)> = vec![
        (
            format!(
                "tree {tree}\nparent {tip}\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\ngpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lHAAAAAQ==\n -----END SSH SIGNATURE-----\n\nfeat: signed\n"
            ),
            false,
        ),
        (
            format!(
                "tree {tree}\nparent {{prev}}\nauthor  Spaced   <s@example.com>  1700000001 +0000\ncommitter C <c@example.com> 1700000001 -0130\nencoding ISO-8859-1\n\nfix: caf\u{e9}\n\nbody\n"
            ),
            false,
        ),
        (
            format!(
                "tree {tree}\nparent {{prev}}\nauthor A <a@example.com> soon +0000\ncommitter A <a@example.com> later +0000\n\nchore: odd times\n"
            ),
            true,
        ),
        (format!("tree {tree}\nparent {{prev}}\n\nno author at all\n"), true),
    ];
    let mut prev = tip;
    let mut ids = Vec::new();
    for (text, literally) in raw {
        let text = text.replace("{prev}", &prev);
        let mut args = vec!["hash-object", "-t", "commit", "-w", "--stdin"];
        if literally {
            args.push("--literally");
        }
        prev = git(&dir, &args, Some(text.as_bytes()));
        ids.push(prev.clone());
    }
    let repo = GitRepo::discover(&dir).unwrap();
    for (i, id) in ids.iter().enumerate() {
        // `X^!` reads X to find its parents: for the commit without an author that already fails.
        if let Ok(range) = repo.resolve_range(&RangeSpec::Expr(format!("{id}^!"))) {
            let old = repo.commits_reference(&range).map_err(|e| e.to_string());
            let new = repo.commits(&range).map_err(|e| e.to_string());
            assert_eq!(new, old, "hand-made commit {i}");
        }
        let all = repo.resolve_range(&RangeSpec::Expr(id.clone())).unwrap();
        let old = repo.commits_reference(&all).map_err(|e| e.to_string());
        let new = repo.commits(&all).map_err(|e| e.to_string());
        assert_eq!(new, old, "history of hand-made commit {i}");
        let mut streamed = Vec::new();
        let res = repo
            .for_each_commit(&all, |c| {
                streamed.push(c);
                Ok::<(), GitError>(())
            })
            .map_err(|e| e.to_string());
        match &old {
            Ok(old) => {
                assert_eq!(res, Ok(old.len()));
                assert_eq!(&streamed, old);
            }
            Err(e) => assert_eq!(res.as_ref().err(), Some(e), "streamed error, commit {i}"),
        }
    }
    let signed = repo.resolve_range(&RangeSpec::Expr(format!("{}^!", ids[0]))).unwrap();
    let c = &repo.commits(&signed).unwrap()[0];
    let sig = c.signature.as_ref().expect("the gpgsig header is read");
    assert_eq!(sig.kind, plasma_gitrepo::SignatureKind::Ssh);
    assert!(!String::from_utf8_lossy(&sig.payload).contains("gpgsig"));
    let no_author = repo.resolve_range(&RangeSpec::Expr(ids[3].clone())).unwrap();
    assert!(repo.commits(&no_author).is_err(), "a commit without an author is an error, as before");
}

#[test]
fn an_error_in_the_caller_stops_the_walk() {
    let (_tmp, dir) = generated(3, 3_000);
    let repo = GitRepo::discover(&dir).unwrap();
    let range = repo.resolve_range(&RangeSpec::Expr("main".into())).unwrap();
    let mut seen = 0;
    let res = repo.for_each_commit(&range, |_| {
        seen += 1;
        if seen == 10 {
            Err(GitError::Read { what: "stop".into(), detail: "enough".into() })
        } else {
            Ok(())
        }
    });
    assert!(matches!(res, Err(GitError::Read { .. })), "{res:?}");
    assert_eq!(seen, 10);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any message bytes and any times: the fast path reads every commit as the reference does.
    #[test]
    fn any_messages_and_times(
        commits in prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 0..200), 0i64..4_000_000_000, any::<bool>()),
            1..25,
        )
    ) {
        let mut s = Vec::new();
        let mut last = None;
        for (i, (message, time, branch)) in commits.iter().enumerate() {
            let branch = if *branch { "main" } else { "b" };
            commit(&mut s, &C {
                branch,
                mark: i + 1,
                ident: "P Q <p@example.com>",
                time: *time,
                message,
                from: last,
                merges: &[],
            });
            last = Some(i + 1);
        }
        let (_tmp, dir) = import(&s);
        let repo = GitRepo::discover(&dir).unwrap();
        let tip = if commits.last().is_some_and(|c| c.2) { "main" } else { "b" };
        let n = same(&repo, tip);
        prop_assert_eq!(n, commits.len());
    }
}
