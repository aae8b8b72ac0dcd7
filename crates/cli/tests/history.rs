#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `history`, `release` and `hotfix` on real repositories built with `git` and `ssh-keygen`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Fails the test because `program` could not be run, saying how to install it: a test whose tool
/// is missing has checked nothing, so it must not pass.
fn cannot_run(program: &str, e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::NotFound {
        let package = if program == "ssh-keygen" { "openssh-client" } else { program };
        panic!("{program} is not installed: apt-get install {package}");
    }
    panic!("cannot run {program}: {e}");
}

/// A scratch repository with a private HOME, fixed identities and dates.
struct Repo {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    home: PathBuf,
    tick: std::cell::Cell<u32>,
}

impl Repo {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let dir = tmp.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let r = Repo { _tmp: tmp, dir, home, tick: std::cell::Cell::new(0) };
        r.git(&["init", "-q", "-b", "main"]);
        r.git(&["config", "user.name", "Ann Example"]);
        r.git(&["config", "user.email", "ann@example.com"]);
        r.git(&[
            "config",
            "remote.origin.url",
            "git@github.com:plasma-engine/plasma-engine-gateway.git",
        ]);
        r
    }

    fn env(&self, c: &mut Command) {
        c.current_dir(&self.dir)
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.join(".gitconfig"))
            .env("NO_COLOR", "1");
        for var in
            ["GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"]
        {
            c.env_remove(var);
        }
    }

    fn git(&self, args: &[&str]) -> String {
        let t = self.tick.get() + 1;
        self.tick.set(t);
        let date = format!("{} +0000", 1_700_000_000 + u64::from(t) * 60);
        let mut c = Command::new("git");
        self.env(&mut c);
        let out = c
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

    /// An ed25519 key for ann@example.com, configured for signing and listed as an allowed signer.
    fn ssh_signing(&self) -> PathBuf {
        let key = self.home.join("ann");
        let mut c = Command::new("ssh-keygen");
        self.env(&mut c);
        assert!(
            c.args(["-q", "-t", "ed25519", "-N", "", "-C", "ann", "-f"])
                .arg(&key)
                .status()
                .unwrap_or_else(|e| cannot_run("ssh-keygen", &e))
                .success()
        );
        let pubkey = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        let allowed = self.home.join("allowed_signers");
        std::fs::write(&allowed, format!("ann@example.com {}", pubkey.trim())).unwrap();
        self.git(&["config", "gpg.format", "ssh"]);
        self.git(&["config", "user.signingkey", key.to_str().unwrap()]);
        allowed
    }

    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        self.run_with(args, stdin, &[])
    }

    fn run_with(&self, args: &[&str], stdin: Option<&[u8]>, vars: &[(&str, &str)]) -> Run {
        let mut c = Command::new(env!("CARGO_BIN_EXE_plasma-ops"));
        self.env(&mut c);
        for var in [
            "GITHUB_TOKEN",
            "PLASMA_OPS_GITHUB_TOKEN",
            "GITHUB_API_URL",
            "PLASMA_OPS_GITHUB_API_URL",
        ] {
            c.env_remove(var);
        }
        c.envs(vars.iter().copied());
        c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        if let Some(mut pipe) = child.stdin.take() {
            pipe.write_all(stdin.unwrap_or(b"")).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr))
}

/// `(rule, commit or index or message start)` of each finding, for table assertions.
fn rules_of(v: &serde_json::Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let at = f
                .get("commit")
                .and_then(|c| c.as_str().map(str::to_string))
                .or_else(|| f.get("index").map(|i| i.to_string()))
                .unwrap_or_else(|| {
                    f["message"].as_str().unwrap().split(':').next().unwrap().to_string()
                });
            (f["rule"].as_str().unwrap().to_string(), at)
        })
        .collect()
}

fn has(v: &[(String, String)], rule: &str, at: &str) -> bool {
    v.iter().any(|(r, a)| r == rule && a == at)
}

#[test]
fn history_reports_every_kind_of_finding_on_a_real_repository() {
    let r = Repo::new();
    let allowed = r.ssh_signing();
    let signed = r.commit("a.txt", "feat(gateway): bootstrap the service", &["-S"]);
    let unsigned = r.commit("a.txt", "[PE-12] Add retry", &[]);
    r.git(&["tag", "v1.0.0"]);
    r.git(&["tag", "-a", "-m", "rc", "v1.1.0-rc.1"]);
    r.git(&["tag", "v1.2"]);
    r.git(&["tag", "latest"]);
    r.git(&["switch", "-q", "-c", "gateway/PE-12-add-retry"]);
    let bad_subject = r.commit("b.txt", "Did some stuff", &["-S"]);
    r.git(&["switch", "-q", "main"]);
    let on_main = r.commit("c.txt", "fix: on main meanwhile", &["-S"]);
    r.git(&["switch", "-q", "gateway/PE-12-add-retry"]);
    r.git(&["merge", "-q", "--no-edit", "--no-ff", "-S", "main"]);
    let merge = r.git(&["rev-parse", "HEAD"]);
    r.git(&["branch", "Feature_Bad"]);
    r.git(&["update-ref", "refs/remotes/origin/renovate/all", &signed]);
    r.git(&["update-ref", "refs/remotes/origin/brain/PE-3-x", &signed]);

    // Default range on a branch: only its own commits (the merge and the bad subject).
    let out = r.run(
        &["history", "--format", "json", "--allowed-signers", allowed.to_str().unwrap()],
        None,
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("2 commits of gateway/PE-12-add-retry since it left main"),
        "{}",
        out.stderr
    );
    let v = json(&out);
    let got = rules_of(&v);
    assert!(has(&got, "merge-commit", &merge), "{got:?}");
    assert!(has(&got, "commit-subject", &bad_subject), "{got:?}");
    assert!(!got.iter().any(|(_, a)| a == &signed || a == &unsigned || a == &on_main), "{got:?}");
    assert!(has(&got, "branch-name", "refs/heads/Feature_Bad"), "{got:?}");
    assert!(has(&got, "branch-name", "refs/remotes/origin/brain/PE-3-x"), "{got:?}");
    assert!(
        !got.iter().any(|(_, a)| a.contains("renovate") || a.contains("gateway/PE-12")),
        "{got:?}"
    );
    assert!(has(&got, "tag-not-semver", "refs/tags/v1.2"), "{got:?}");
    assert!(
        !got.iter().any(|(_, a)| a.contains("v1.0.0")
            || a.contains("v1.1.0-rc.1")
            || a.contains("latest"))
    );
    for f in v["findings"].as_array().unwrap() {
        if let Some(c) = f.get("commit") {
            assert_eq!(c.as_str().unwrap().len(), 40, "full sha: {f}");
        }
        assert!(!f["hint"].as_str().unwrap().is_empty());
    }

    // The whole of main: the unsigned commit is found, signed ones verify.
    let out = r.run(
        &["history", "main", "--format", "json", "--allowed-signers", allowed.to_str().unwrap()],
        None,
    );
    let got = rules_of(&json(&out));
    let commit_rules: Vec<_> = got.iter().filter(|(_, a)| a.len() == 40).cloned().collect();
    assert_eq!(commit_rules, vec![("commit-unsigned".to_string(), unsigned.clone())]);

    // Without an allowed-signers file, SSH signatures are unverifiable: a warning, not an error.
    let out = r.run(&["history", &format!("{unsigned}..{on_main}"), "--format", "json"], None);
    let got = rules_of(&json(&out));
    let commit_rules: Vec<_> = got.iter().filter(|(_, a)| a.len() == 40).cloned().collect();
    assert_eq!(commit_rules, vec![("commit-signature-unverified".to_string(), on_main.clone())]);
    // ... and with --no-verify, nothing about signed commits at all.
    let out = r.run(
        &["history", &format!("{unsigned}..{on_main}"), "--format", "json", "--no-verify"],
        None,
    );
    assert!(!rules_of(&json(&out)).iter().any(|(_, a)| a == &on_main));

    // Text output names rule, commit and fix; SARIF is accepted for history.
    let out = r.run(
        &[
            "history",
            &format!("{signed}..{unsigned}"),
            "--allowed-signers",
            allowed.to_str().unwrap(),
        ],
        None,
    );
    let text = out.stdout.replace(&unsigned, "<UNSIGNED>");
    assert!(text.contains("error[commit-unsigned] commit "), "{text}");
    assert!(text.contains("fix: sign it"), "{text}");
    let out = r.run(&["history", "--format", "sarif", "main"], None);
    let sarif = json(&out);
    assert_eq!(sarif["version"], "2.1.0");

    // A bad range is a usage error (exit 2) that names the revision.
    let out = r.run(&["history", "no-such..main"], None);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("revision `no-such..main` does not resolve"), "{}", out.stderr);
}

#[test]
fn history_messages_from_a_file_and_stdin() {
    let r = Repo::new();
    let input = b"feat(gateway): add retry\0Did stuff\0[PE-3] Fix it\0fix: Ends with a dot.\0\0";
    let path = r.home.join("msgs.nul");
    std::fs::write(&path, input).unwrap();
    let from_file =
        r.run(&["history", "--messages", path.to_str().unwrap(), "--format", "json"], None);
    let from_stdin = r.run(&["history", "--messages", "-", "--format", "json"], Some(input));
    assert_eq!(from_file.stdout, from_stdin.stdout);
    assert_eq!(from_file.code, 1);
    let got = rules_of(&json(&from_file));
    assert!(has(&got, "commit-subject", "1"), "{got:?}");
    assert!(has(&got, "commit-subject", "3"), "{got:?}");
    assert!(!got.iter().any(|(_, a)| a == "0" || a == "2"), "{got:?}");
    // Outside any repository, no repository is needed.
    let out = r.run(&["history", "--messages", "-", "--format", "json"], Some(b"fix: fine\0"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 0);
    // --messages and a range do not mix.
    assert_eq!(r.run(&["history", "main", "--messages", "-"], None).code, 2);
}

fn released_repo() -> Repo {
    let r = Repo::new();
    r.commit("a.txt", "feat: first", &[]);
    r.git(&["tag", "-a", "-m", "v1.0.0", "v1.0.0"]);
    r.commit("a.txt", "fix(gateway): retry on 502 (PE-12)", &[]);
    r.commit("a.txt", "feat: add tracing", &[]);
    r.commit("a.txt", "docs: readme", &[]);
    r
}

#[test]
fn release_plan_text_and_json() {
    let r = released_repo();
    let out = r.run(&["release", "plan", "--format", "json"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    assert_eq!(v["current_version"], "1.0.0");
    assert_eq!(v["current_tag"], "v1.0.0");
    assert_eq!(v["next_version"], "1.1.0");
    assert_eq!(v["bump"], "minor");
    assert_eq!(v["tag"], "v1.1.0");
    assert_eq!(v["release_branch"], "release/1.1");
    assert_eq!(v["commits"], 3);
    let changelog = v["changelog"].as_str().unwrap();
    assert!(changelog.contains("add tracing") && changelog.contains("retry on 502"), "{changelog}");
    let text = r.run(&["release", "plan"], None).stdout;
    assert!(text.contains("next:    1.1.0 (minor bump, tag v1.1.0)"), "{text}");
    assert!(text.contains("branch:  release/1.1"), "{text}");
}

#[test]
fn release_plan_versions_monorepo_components_on_their_own() {
    let r = Repo::new();
    r.commit("gateway/app.py", "feat(gateway): first", &[]);
    r.commit("brain/app.py", "feat(brain): first", &[]);
    r.git(&["tag", "gateway-v1.2.0"]);
    r.git(&["tag", "brain-v0.3.0"]);
    r.commit("gateway/app.py", "fix(gateway): a bug", &[]);
    r.commit("brain/app.py", "feat(brain)!: new api", &[]);
    let cfg = r.home.join("plasma.yml");
    std::fs::write(
        &cfg,
        "release:\n  components:\n    - path: gateway/\n      tag_prefix: gateway-v\n    - path: brain/\n      tag_prefix: brain-v\n",
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let out = r.run(&["--config", cfg, "release", "plan", "--format", "json"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    let plans = v["components"].as_array().unwrap();
    let brief: Vec<(String, String, String, u64)> = plans
        .iter()
        .map(|p| {
            (
                p["component"].as_str().unwrap().to_string(),
                p["next_version"].as_str().unwrap().to_string(),
                p["tag"].as_str().unwrap().to_string(),
                p["commits"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        brief,
        vec![
            ("gateway".into(), "1.2.1".into(), "gateway-v1.2.1".into(), 1),
            // Before 1.0.0 a breaking change bumps the minor version.
            ("brain".into(), "0.4.0".into(), "brain-v0.4.0".into(), 1),
        ]
    );
    let one = json(&r.run(
        &["--config", cfg, "release", "plan", "--component", "brain", "--format", "json"],
        None,
    ));
    assert_eq!(one["next_version"], "0.4.0");
    let out = r.run(&["--config", cfg, "release", "cut", "--dry-run"], None);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--component"), "{}", out.stderr);
}

#[test]
fn release_cut_refuses_then_creates_tag_and_branch() {
    let r = released_repo();
    // Dirty tree.
    std::fs::write(r.dir.join("a.txt"), "edited").unwrap();
    let out = r.run(&["release", "cut"], None);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("uncommitted changes (a.txt)"), "{}", out.stderr);
    r.git(&["checkout", "-q", "--", "a.txt"]);
    // Not on main.
    r.git(&["switch", "-q", "-c", "gateway/PE-5-x"]);
    let out = r.run(&["release", "cut", "--dry-run"], None);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("on branch `gateway/PE-5-x`, not `main`"), "{}", out.stderr);
    r.git(&["switch", "-q", "main"]);
    // The planned tag exists already (made by hand on another line of history, so it is not the
    // current release).
    r.git(&["switch", "-q", "-c", "side", "v1.0.0"]);
    r.commit("side.txt", "fix: elsewhere", &[]);
    r.git(&["tag", "v1.1.0"]);
    r.git(&["switch", "-q", "main"]);
    let out = r.run(&["release", "cut"], None);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("tag `v1.1.0` already exists"), "{}", out.stderr);
    r.git(&["tag", "-d", "v1.1.0"]);

    // Dry run: says what it would do, does nothing.
    let out = r.run(&["release", "cut", "--dry-run"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("would create annotated tag v1.1.0"), "{}", out.stdout);
    assert!(out.stdout.contains("next: git push origin v1.1.0 release/1.1"), "{}", out.stdout);
    assert!(r.git(&["tag", "-l", "v1.1.0"]).is_empty());

    let out = r.run(&["release", "cut", "--format", "json"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    assert_eq!(v["next_step"], "git push origin v1.1.0 release/1.1");
    let head = r.git(&["rev-parse", "HEAD"]);
    assert_eq!(r.git(&["rev-parse", "v1.1.0^{commit}"]), head);
    assert_eq!(r.git(&["cat-file", "-t", "v1.1.0"]), "tag");
    assert_eq!(r.git(&["rev-parse", "release/1.1"]), head);
    // Nothing new since: nothing to release.
    let out = r.run(&["release", "cut"], None);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("nothing to release"), "{}", out.stderr);
}

#[test]
fn hotfix_start_from_the_latest_release_tag_and_finish_plans_the_patch() {
    let r = released_repo();
    let v1 = r.git(&["rev-parse", "v1.0.0^{commit}"]);
    r.git(&["tag", "-a", "-m", "v1.1.0", "v1.1.0"]);
    let v11 = r.git(&["rev-parse", "HEAD"]);
    r.git(&["tag", "v2.0.0-rc.1"]);
    r.commit("a.txt", "feat: after the release", &[]);

    let out = r.run(&["hotfix", "start", "pe-77"], None);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("not an issue key"), "{}", out.stderr);

    let out = r.run(&["hotfix", "start", "PE-77"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("created branch hotfix/PE-77 from v1.1.0"), "{}", out.stdout);
    assert_eq!(r.git(&["rev-parse", "hotfix/PE-77"]), v11);
    assert_ne!(v1, v11);
    // Twice is refused.
    assert_eq!(r.run(&["hotfix", "start", "PE-77"], None).code, 1);

    r.git(&["switch", "-q", "hotfix/PE-77"]);
    r.commit("a.txt", "fix: the urgent bug (PE-77)", &[]);
    let out = r.run(&["hotfix", "finish", "--format", "json"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    assert_eq!(v["current_version"], "1.1.0");
    assert_eq!(v["next_version"], "1.1.1");
    assert_eq!(v["tag"], "v1.1.1");
    assert_eq!(v["commits"], 1);
    // A feature on a hotfix branch is called out.
    r.commit("a.txt", "feat: sneaked in", &[]);
    let out = r.run(&["hotfix", "finish"], None);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("a hotfix releases only the patch 1.1.1"), "{}", out.stdout);
}

/// Commits that are not Conventional Commits release by their pull requests' `semver:*` labels,
/// read from GitHub (here the fake) with `--pr-labels`: only those commits are asked about, from
/// the merge commit a squash merge left on main.
#[test]
fn release_plan_reads_semver_labels_of_pull_requests_for_commits_that_are_not_conventional() {
    use plasma_fakehub::{FakeHub, FakePull};
    const TOKEN: &str = "ghs_release_labels_test_token";
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hub = rt.block_on(FakeHub::start()).unwrap();
    let full = "plasma-engine/plasma-engine-gateway";

    let r = Repo::new();
    r.commit("a.txt", "feat: first", &[]);
    r.git(&["tag", "-a", "-m", "v1.2.3", "v1.2.3"]);
    let login = r.commit("a.txt", "Add the login page (#7)", &[]);
    let docs = r.commit("a.txt", "docs: explain the login", &[]);
    let tidy = r.commit("a.txt", "Tidy the handlers (#8)", &[]);
    let pr7 = hub.add_pull(
        full,
        FakePull {
            title: "Add the login page".into(),
            labels: vec!["semver:minor".into(), "area:auth".into()],
            ..FakePull::default()
        },
    );
    hub.merge_pull(full, pr7, &login);
    let pr8 = hub.add_pull(
        full,
        FakePull {
            title: "Tidy the handlers".into(),
            labels: vec!["semver:patch".into()],
            ..FakePull::default()
        },
    );
    hub.merge_pull(full, pr8, &tidy);
    // An open pull request built on the same commit does not speak for it.
    hub.add_pull(
        full,
        FakePull {
            head_sha: login.clone(),
            labels: vec!["semver:major".into()],
            ..FakePull::default()
        },
    );
    hub.reset_requests();

    // Without --pr-labels the two commits release nothing, and the plan says why.
    let out = r.run(&["release", "plan"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("next:    1.2.3 (none bump"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "labels:  2 commits are not Conventional Commits and released nothing: their pull requests' semver:* labels were not read"
        ),
        "{}",
        out.stdout
    );

    // Without a token: a usage error that names what to set, and no call.
    let out = r.run(&["release", "plan", "--pr-labels"], None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--pr-labels needs a token: set GITHUB_TOKEN"), "{}", out.stderr);

    let url = hub.url();
    let vars = [("GITHUB_TOKEN", TOKEN), ("GITHUB_API_URL", url.as_str())];
    let out = r.run_with(&["release", "plan", "--pr-labels", "--format", "json"], None, &vars);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN), "the token leaked");
    let v = json(&out);
    assert_eq!(v["next_version"], "1.3.0", "{v}");
    assert_eq!(v["bump"], "minor");
    assert_eq!(v["by_labels"], 2);
    assert_eq!(v["labels_read_from"], full);
    let changelog = v["changelog"].as_str().unwrap();
    assert!(changelog.contains("Add the login page") && changelog.contains("Tidy"), "{changelog}");
    let mut asked: Vec<String> = hub
        .requests()
        .iter()
        .filter(|q| q.path.ends_with("/pulls") && q.path.contains("/commits/"))
        .map(|q| q.path.clone())
        .collect();
    asked.sort();
    let mut want = vec![
        format!("/repos/{full}/commits/{login}/pulls"),
        format!("/repos/{full}/commits/{tidy}/pulls"),
    ];
    want.sort();
    assert_eq!(asked, want, "only the commits that are not conventional are asked about");
    assert!(!asked.iter().any(|p| p.contains(&docs)));

    let text = r.run_with(&["release", "plan", "--pr-labels"], None, &vars).stdout;
    assert!(
        text.contains(&format!(
            "labels:  2 commits are not Conventional Commits; counted by the semver:* labels of their pull requests in {full}"
        )),
        "{text}"
    );
}

#[test]
fn no_repository_is_a_clear_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .args(["history", "-C"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"));
}

/// Unsigned commits with fixed identities and dates have fixed ids, so the rendered reports can be
/// snapshot-tested as users see them.
#[test]
fn rendered_reports_snapshots() {
    let r = Repo::new();
    r.commit("a.txt", "feat: first", &[]);
    r.git(&["tag", "-a", "-m", "v1.0.0", "v1.0.0"]);
    r.git(&["tag", "v1.1"]);
    r.git(&["switch", "-q", "-c", "gateway/PE-9-side"]);
    r.commit("b.txt", "fix(gateway): retry on 502 (PE-9)", &[]);
    r.git(&["switch", "-q", "main"]);
    r.commit("a.txt", "Update things", &[]);
    r.git(&["merge", "-q", "--no-edit", "--no-ff", "gateway/PE-9-side"]);
    r.git(&["branch", "wip"]);

    let out = r.run(&["history"], None);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!("history_text", out.stdout);
    let out = r.run(&["history", "--format", "github"], None);
    insta::assert_snapshot!("history_github", out.stdout);
    let out =
        r.run(&["history", "--messages", "-"], Some(b"fix: ok\0Update things\0feat: Add X.\0"));
    insta::assert_snapshot!("history_messages_text", out.stdout);
    let out = r.run(&["release", "plan"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("release_plan_text", out.stdout);
}
