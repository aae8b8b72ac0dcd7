#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Real repositories made with the real `git`, `ssh-keygen` and `gpg` in temporary directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use plasma_gitrepo::{
    GitError, GitRepo, RangeSpec, RefKind, SignatureKind, SignatureStatus, VerifyOptions,
    verify_all,
};

/// Fails the test because `program` could not be run, saying how to install it: a test whose tool
/// is missing has checked nothing, so it must not pass.
fn cannot_run(program: &str, e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::NotFound {
        let package = match program {
            "ssh-keygen" => "openssh-client",
            "gpg" => "gnupg",
            _ => program,
        };
        panic!("{program} is not installed: apt-get install {package}");
    }
    panic!("cannot run {program}: {e}");
}

/// A scratch repository with a private HOME, so no user or system git configuration leaks in.
struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    home: PathBuf,
    tick: std::cell::Cell<u32>,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let dir = tmp.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let f = Fixture { _tmp: tmp, dir, home, tick: std::cell::Cell::new(0) };
        f.git(&["init", "-q", "-b", "main"]);
        f.git(&["config", "user.name", "Ann Example"]);
        f.git(&["config", "user.email", "ann@example.com"]);
        f.git(&["config", "commit.gpgsign", "false"]);
        f
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.current_dir(&self.dir)
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.join(".gitconfig"))
            .env("GNUPGHOME", self.home.join("gnupg"));
        c
    }

    fn git(&self, args: &[&str]) -> String {
        // Fixed, increasing dates make ids and the commit-time order reproducible.
        let t = self.tick.get() + 1;
        self.tick.set(t);
        let date = format!("{} +0000", 1_700_000_000 + u64::from(t) * 60);
        let out = self
            .cmd("git")
            .args(args)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap_or_else(|e| cannot_run("git", &e));
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn commit(&self, file: &str, msg: &str, extra: &[&str]) -> String {
        let p = self.dir.join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let old = std::fs::read_to_string(&p).unwrap_or_default();
        std::fs::write(&p, format!("{old}{msg}\n")).unwrap();
        self.git(&["add", file]);
        let mut args = vec!["commit", "-q", "-m", msg];
        args.extend_from_slice(extra);
        self.git(&args);
        self.git(&["rev-parse", "HEAD"])
    }

    fn ssh_key(&self, name: &str) -> PathBuf {
        let key = self.home.join(name);
        let st = self
            .cmd("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&key)
            .status()
            .unwrap_or_else(|e| cannot_run("ssh-keygen", &e));
        assert!(st.success());
        key
    }

    /// Allowed signers listing `email` with the public half of `key`.
    fn allowed_signers(&self, entries: &[(&str, &Path)]) -> PathBuf {
        let mut text = String::new();
        for (email, key) in entries {
            let pubkey = std::fs::read_to_string(key.with_extension("pub")).unwrap();
            text.push_str(&format!("{email} {}\n", pubkey.trim()));
        }
        let p = self.home.join("allowed_signers");
        std::fs::write(&p, text).unwrap();
        p
    }

    fn use_ssh_key(&self, key: &Path) {
        self.git(&["config", "gpg.format", "ssh"]);
        self.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    }

    fn repo(&self) -> GitRepo {
        GitRepo::discover(&self.dir).unwrap()
    }

    fn opts(&self, allowed: Option<PathBuf>) -> VerifyOptions {
        VerifyOptions {
            allowed_signers: allowed,
            gnupg_home: Some(self.home.join("gnupg")),
            ..VerifyOptions::default()
        }
    }
}

fn kind_of(s: &SignatureStatus) -> &'static str {
    match s {
        SignatureStatus::Unsigned => "unsigned",
        SignatureStatus::Good { .. } => "good",
        SignatureStatus::Bad { .. } => "bad",
        SignatureStatus::Unverifiable { .. } => "unverifiable",
    }
}

#[test]
fn ssh_signatures_good_bad_tampered_unverifiable_and_unsigned() {
    let f = Fixture::new();
    let ann = f.ssh_key("ann");
    let eve = f.ssh_key("eve");
    let allowed = f.allowed_signers(&[("ann@example.com", &ann)]);

    let unsigned = f.commit("a.txt", "chore: unsigned", &[]);
    f.use_ssh_key(&ann);
    let good = f.commit("a.txt", "feat: signed by ann", &["-S"]);
    f.use_ssh_key(&eve);
    let foreign = f.commit("a.txt", "fix: signed by eve", &["-S"]);

    // Alter a good commit's message after signing: same signature, different content.
    let raw = f.git(&["cat-file", "commit", &good]);
    let altered = raw.replace("feat: signed by ann", "feat: signed by ann, then edited");
    let mut child = f
        .cmd("git")
        .args(["hash-object", "-t", "commit", "-w", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| cannot_run("git", &e));
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), format!("{altered}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let tampered = String::from_utf8(out.stdout).unwrap().trim().to_string();
    f.git(&["update-ref", "refs/heads/tampered", &tampered]);

    let repo = f.repo();
    let main = repo.resolve_range(&RangeSpec::Default { main: "main".into() }).unwrap();
    assert!(main.on_main);
    let mut commits = repo.commits(&main).unwrap();
    commits.push(repo.commit_info(repo.resolve_commit("tampered").unwrap()).unwrap());
    let ids: Vec<&str> = commits.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec![foreign.as_str(), good.as_str(), unsigned.as_str(), tampered.as_str()]);
    assert_eq!(commits[1].signature.as_ref().unwrap().kind, SignatureKind::Ssh);

    let st = verify_all(&commits, &f.opts(Some(allowed)));
    let kinds: Vec<_> = st.iter().map(kind_of).collect();
    assert_eq!(kinds, vec!["bad", "good", "unsigned", "bad"]);
    match &st[0] {
        SignatureStatus::Bad { detail, .. } => {
            assert!(detail.contains("not allowed to sign as ann@example.com"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    match &st[3] {
        SignatureStatus::Bad { detail, .. } => {
            assert!(detail.contains("does not match the commit"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    match &st[1] {
        SignatureStatus::Good { signer, .. } => {
            assert!(signer.starts_with("ann@example.com (ED25519 key SHA256:"), "{signer}")
        }
        other => panic!("{other:?}"),
    }

    // A key whose allowed-signers entry expired before the commit was made does not verify it
    // (the commit time is what counts, as in git); one valid from before the commit does.
    let pubkey = std::fs::read_to_string(ann.with_extension("pub")).unwrap();
    let dated = f.home.join("dated_signers");
    std::fs::write(&dated, format!("ann@example.com valid-before=\"20200101\" {}", pubkey.trim()))
        .unwrap();
    assert_eq!(
        kind_of(&plasma_gitrepo::verify_one(&commits[1], &f.opts(Some(dated.clone())))),
        "bad"
    );
    std::fs::write(&dated, format!("ann@example.com valid-after=\"20200101\" {}", pubkey.trim()))
        .unwrap();
    assert_eq!(kind_of(&plasma_gitrepo::verify_one(&commits[1], &f.opts(Some(dated)))), "good");

    // Without an allowed-signers file nothing SSH-signed can be verified.
    let st = verify_all(&commits, &f.opts(None));
    let kinds: Vec<_> = st.iter().map(kind_of).collect();
    assert_eq!(kinds, vec!["unverifiable", "unverifiable", "unsigned", "unverifiable"]);

    // The allowed-signers file comes from git config when not given, relative to the work tree.
    std::fs::copy(f.home.join("allowed_signers"), f.dir.join(".allowed_signers")).unwrap();
    f.git(&["config", "gpg.ssh.allowedSignersFile", ".allowed_signers"]);
    let repo = f.repo();
    let opts = repo.verify_options(None);
    assert_eq!(opts.allowed_signers.as_deref(), Some(f.dir.join(".allowed_signers").as_path()));
    assert_eq!(kind_of(&plasma_gitrepo::verify_one(&commits[1], &opts)), "good");
}

#[test]
fn gpg_signatures_good_and_without_the_public_key() {
    let f = Fixture::new();
    let gnupg = f.home.join("gnupg");
    std::fs::create_dir_all(&gnupg).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let params = "%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\nName-Real: Ann Example\nName-Email: ann@example.com\nExpire-Date: 0\n%commit\n";
    let mut child = f
        .cmd("gpg")
        .args(["--batch", "--gen-key"])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| cannot_run("gpg", &e));
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), params.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());

    f.git(&["config", "gpg.format", "openpgp"]);
    f.git(&["config", "user.signingkey", "ann@example.com"]);
    f.commit("a.txt", "feat: gpg signed", &["-S"]);
    let repo = f.repo();
    let commits =
        repo.commits(&repo.resolve_range(&RangeSpec::Expr("HEAD".into())).unwrap()).unwrap();
    assert_eq!(commits[0].signature.as_ref().unwrap().kind, SignatureKind::OpenPgp);
    let st = verify_all(&commits, &f.opts(None));
    match &st[0] {
        SignatureStatus::Good { signer, .. } => {
            assert!(signer.contains("ann@example.com"), "{signer}")
        }
        other => panic!("{other:?}"),
    }
    // Another keyring without Ann's key: signed, but unverifiable here.
    let empty = tempfile::tempdir().unwrap();
    let mut opts = f.opts(None);
    opts.gnupg_home = Some(empty.path().to_path_buf());
    let st = verify_all(&commits, &opts);
    match &st[0] {
        SignatureStatus::Unverifiable { detail, .. } => {
            assert!(detail.contains("no public key"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
    let _ = f.cmd("gpgconf").args(["--kill", "gpg-agent"]).status();
}

#[test]
fn ranges_merges_and_the_default_rule() {
    let f = Fixture::new();
    let c1 = f.commit("a.txt", "one", &[]);
    let c2 = f.commit("a.txt", "two", &[]);
    f.git(&["switch", "-q", "-c", "plasma-ops/PE-1-x"]);
    let b1 = f.commit("b.txt", "branch one", &[]);
    f.git(&["switch", "-q", "main"]);
    let c3 = f.commit("c.txt", "three", &[]);
    f.git(&["switch", "-q", "plasma-ops/PE-1-x"]);
    f.git(&["merge", "-q", "--no-edit", "--no-ff", "main"]);
    let m = f.git(&["rev-parse", "HEAD"]);
    let repo = f.repo();

    // On a branch: only what it added since it left main, merge of main included.
    let r = repo.resolve_range(&RangeSpec::Default { main: "main".into() }).unwrap();
    assert!(!r.on_main);
    assert_eq!(r.label, "plasma-ops/PE-1-x since it left main");
    let got: Vec<_> =
        repo.commits(&r).unwrap().into_iter().map(|c| (c.id.clone(), c.is_merge())).collect();
    assert_eq!(got, vec![(m.clone(), true), (b1.clone(), false)]);

    let ids = |spec: &str| -> Vec<String> {
        let r = repo.resolve_range(&RangeSpec::Expr(spec.into())).unwrap();
        repo.commits(&r).unwrap().into_iter().map(|c| c.id).collect()
    };
    assert_eq!(ids(&format!("{c1}..{c2}")), vec![c2.clone()]);
    assert_eq!(ids("main"), vec![c3.clone(), c2.clone(), c1.clone()]);
    assert_eq!(ids(&format!("{b1}^!")), vec![b1.clone()]);
    assert_eq!(ids(&format!("{b1}...main")), vec![c3.clone(), b1.clone()]);
    let id = |r: &str| repo.resolve_commit(r).unwrap();
    assert!(repo.is_ancestor(id(&c1), id(&m)).unwrap());
    assert!(repo.is_ancestor(id(&m), id(&m)).unwrap());
    assert!(!repo.is_ancestor(id(&b1), id("main")).unwrap());
    assert!(!repo.is_ancestor(id(&m), id(&c1)).unwrap());
    assert!(matches!(
        repo.resolve_range(&RangeSpec::Expr("no-such-branch".into())),
        Err(GitError::BadRevision { .. })
    ));
    assert!(matches!(
        repo.resolve_range(&RangeSpec::Expr("^main".into())),
        Err(GitError::UnsupportedRange { .. })
    ));

    // Without main or origin/main, the default is the whole ancestry of HEAD.
    f.git(&["branch", "-q", "-m", "main", "trunk"]);
    let repo = f.repo();
    let r = repo.resolve_range(&RangeSpec::Default { main: "main".into() }).unwrap();
    assert_eq!(repo.commits(&r).unwrap().len(), 5);
    // With only origin/main, that is the base.
    f.git(&["update-ref", "refs/remotes/origin/main", &c3]);
    let r = repo.resolve_range(&RangeSpec::Default { main: "main".into() }).unwrap();
    assert_eq!(r.label, "plasma-ops/PE-1-x since it left origin/main");
    assert_eq!(repo.commits(&r).unwrap().len(), 2);
}

#[test]
fn branches_and_tags_lightweight_annotated_and_remote() {
    let f = Fixture::new();
    let c1 = f.commit("a.txt", "one", &[]);
    f.git(&["tag", "v1.0.0"]);
    f.git(&["tag", "-a", "-m", "release", "v1.1.0-rc.1"]);
    f.git(&["branch", "Bad_Name"]);
    f.git(&["update-ref", "refs/remotes/origin/gateway/PE-3-x", &c1]);
    f.git(&["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/gateway/PE-3-x"]);
    let repo = f.repo();
    let refs: Vec<_> = repo
        .refs()
        .unwrap()
        .into_iter()
        .map(|r| (r.kind, r.name, r.target.map(|t| t.to_string())))
        .collect();
    let c = Some(c1.clone());
    assert_eq!(
        refs,
        vec![
            (RefKind::LocalBranch, "Bad_Name".to_string(), c.clone()),
            (RefKind::LocalBranch, "main".to_string(), c.clone()),
            (RefKind::RemoteBranch, "gateway/PE-3-x".to_string(), c.clone()),
            (RefKind::LightweightTag, "v1.0.0".to_string(), c.clone()),
            (RefKind::AnnotatedTag, "v1.1.0-rc.1".to_string(), c.clone()),
        ]
    );
    assert_eq!(repo.tags().unwrap().len(), 2);
    assert_eq!(repo.branches().unwrap().len(), 3);
}

#[test]
fn writes_refuse_dirty_tree_other_branch_and_existing_tag() {
    let f = Fixture::new();
    let c1 = f.commit("a.txt", "one", &[]);
    f.git(&["tag", "-a", "-m", "v1.0.0", "v1.0.0"]);
    let repo = f.repo();
    assert!(repo.ensure_clean_on("main").is_ok());
    // Untracked files do not block a release.
    std::fs::write(f.dir.join("untracked.txt"), "x").unwrap();
    assert!(repo.ensure_clean_on("main").is_ok());

    std::fs::write(f.dir.join("a.txt"), "changed").unwrap();
    let err = repo.ensure_clean_on("main").unwrap_err().to_string();
    assert!(err.contains("uncommitted changes (a.txt)"), "{err}");
    f.git(&["checkout", "-q", "--", "a.txt"]);

    f.git(&["switch", "-q", "-c", "feature"]);
    let err = repo.ensure_clean_on("main").unwrap_err().to_string();
    assert!(err.contains("on branch `feature`, not `main`"), "{err}");
    f.git(&["switch", "-q", "main"]);

    let err = repo.create_annotated_tag("v1.0.0", "HEAD", "again").unwrap_err().to_string();
    assert!(err.contains("tag `v1.0.0` already exists"), "{err}");
    assert!(repo.create_annotated_tag("--force", "HEAD", "x").is_err());

    let c2 = f.commit("a.txt", "two", &[]);
    repo.create_annotated_tag("v1.1.0", &c2, "Release 1.1.0").unwrap();
    repo.create_branch("release/1.1", &c2).unwrap();
    repo.create_branch("hotfix/PE-77", "v1.0.0").unwrap();
    assert!(repo.create_branch("hotfix/PE-77", "v1.0.0").is_err());
    let repo = f.repo();
    let tags: Vec<_> = repo.tags().unwrap().into_iter().map(|t| (t.name, t.kind)).collect();
    assert!(tags.contains(&("v1.1.0".to_string(), RefKind::AnnotatedTag)));
    assert_eq!(repo.resolve_commit("hotfix/PE-77").unwrap().to_string(), c1);
    assert_eq!(repo.resolve_commit("release/1.1").unwrap().to_string(), c2);
    assert_eq!(f.git(&["cat-file", "-p", "v1.1.0"]).lines().last(), Some("Release 1.1.0"));
}

#[test]
fn component_paths_touched() {
    let f = Fixture::new();
    f.commit("gateway/app.py", "gateway one", &[]);
    f.commit("brain/app.py", "brain one", &[]);
    f.commit("gateway/sub/x.py", "gateway two", &[]);
    let repo = f.repo();
    let commits =
        repo.commits(&repo.resolve_range(&RangeSpec::Expr("HEAD".into())).unwrap()).unwrap();
    let touched: Vec<_> = commits.iter().map(|c| repo.touches(c, "gateway/").unwrap()).collect();
    assert_eq!(touched, vec![true, false, true]);
    let touched: Vec<_> = commits.iter().map(|c| repo.touches(c, "brain").unwrap()).collect();
    assert_eq!(touched, vec![false, true, false]);
}

#[test]
fn not_a_repository_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = GitRepo::discover(tmp.path()).err().unwrap().to_string();
    assert!(err.contains("not inside a git repository"), "{err}");
}
