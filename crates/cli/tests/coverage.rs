#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test
//! `plasma-ops coverage` against a real git repository made with the `git` binary in a tempdir.

use std::path::Path;
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        // A missing git must fail the test with the fix, never as a bare "No such file".
        .unwrap_or_else(|e| panic!("cannot run git ({e}): apt-get install git"));
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn lines(n: u32) -> String {
    (1..=n).map(|i| format!("let x{i} = {i};\n")).collect()
}

/// A repository whose `v1` tag has `src/old.rs`; since then `src/high.rs`, `src/low.rs`,
/// `src/none.rs`, `cli/x.rs`, `crates/y/tests/t.rs` and a README were added, and `src/old.rs`
/// changed at lines 2-3.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "src/old.rs", &lines(5));
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "base"]);
    git(d, &["tag", "v1"]);
    write(d, "src/old.rs", "let x1 = 1;\nchanged();\nchanged();\nlet x4 = 4;\nlet x5 = 5;\n");
    for f in ["src/high.rs", "src/low.rs", "src/none.rs", "cli/x.rs", "crates/y/tests/t.rs"] {
        write(d, f, &lines(10));
    }
    write(d, "README.md", "# r\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "add modules"]);
    dir
}

/// LCOV as cargo-llvm-cov writes it: absolute paths under the repository.
fn lcov(d: &Path) -> String {
    let root = d.canonicalize().unwrap().display().to_string();
    let record = |file: &str, covered: u32| {
        let mut s = format!("SF:{root}/{file}\n");
        for l in 1..=10 {
            s.push_str(&format!("DA:{l},{}\n", u32::from(l <= covered) * 3));
        }
        s.push_str("end_of_record\n");
        s
    };
    let mut s = String::new();
    s.push_str(&record("src/high.rs", 9));
    s.push_str(&record("src/low.rs", 5));
    s.push_str(&record("cli/x.rs", 5));
    s.push_str(&format!("SF:{root}/src/old.rs\nDA:1,1\nDA:2,1\nDA:3,0\nend_of_record\n"));
    s.push_str("SF:/home/me/.cargo/registry/src/dep/lib.rs\nDA:1,1\nend_of_record\n");
    s
}

fn run(d: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plasma-ops"));
    cmd.args(args).current_dir(d).env("NO_COLOR", "1");
    for var in ["GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS", "GITHUB_TOKEN", "PLASMA_OPS_GITHUB_TOKEN"]
    {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1").env("GIT_CONFIG_GLOBAL", "/dev/null");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const CONFIG: &str = "coverage:\n  thresholds:\n    - path: \"cli/**\"\n      threshold: 50\n      reason: exercised through the spawned binary\n";

fn setup() -> (tempfile::TempDir, tempfile::TempDir) {
    let dir = repo();
    let work = tempfile::tempdir().unwrap();
    write(work.path(), "report.lcov", &lcov(dir.path()));
    write(work.path(), "plasma.yml", CONFIG);
    (dir, work)
}

#[test]
fn text_table_and_findings() {
    let (dir, work) = setup();
    let w = work.path().display().to_string();
    let r = run(
        dir.path(),
        &[
            "--config",
            &format!("{w}/plasma.yml"),
            "coverage",
            "--base",
            "v1",
            &format!("{w}/report.lcov"),
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("coverage_text", r.stdout);
}

#[test]
fn json_has_ok_findings_and_modules() {
    let (dir, work) = setup();
    let w = work.path().display().to_string();
    let r = run(
        dir.path(),
        &[
            "--config",
            &format!("{w}/plasma.yml"),
            "--format",
            "json",
            "coverage",
            "--base",
            "v1",
            &format!("{w}/report.lcov"),
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let modules: Vec<(String, String)> = v["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["path"].as_str().unwrap().into(), m["verdict"].as_str().unwrap().into()))
        .collect();
    let want = [
        ("cli/x.rs", "pass"),
        ("crates/y/tests/t.rs", "excluded"),
        ("src/high.rs", "pass"),
        ("src/low.rs", "fail"),
        ("src/none.rs", "no-data"),
    ];
    assert_eq!(modules, want.map(|(a, b)| (a.to_string(), b.to_string())));
    assert_eq!(v["modules"][0]["reason"], "exercised through the spawned binary");
    let rules: Vec<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(
        rules,
        [
            "coverage-changed-lines",
            "coverage-outside-repo",
            "coverage-new-module",
            "coverage-no-data"
        ]
    );
    // src/old.rs changed lines 2-3: line 2 covered, line 3 not; the new files' lines count too.
    assert_eq!(v["changed_lines"]["lines"], 32);
    assert_eq!(v["changed_lines"]["covered"], 20);
}

#[test]
fn thresholds_and_exemptions_decide_the_exit_code() {
    let (dir, work) = setup();
    let w = work.path().display().to_string();
    let report = format!("{w}/report.lcov");
    // --threshold 50 lets src/low.rs pass; src/none.rs still has no data.
    let r = run(
        dir.path(),
        &["--format", "json", "coverage", "--base", "v1", "--threshold", "50", &report],
        &[],
    );
    assert_eq!(r.code, 1);
    write(
        work.path(),
        "exempt.yml",
        "coverage:\n  thresholds:\n    - {path: src/none.rs, threshold: 0, reason: loaded only by the plugin host}\n",
    );
    let cfg = format!("{w}/exempt.yml");
    let r = run(
        dir.path(),
        &["--config", &cfg, "coverage", "--base", "v1", "--threshold", "50", &report],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("loaded only by the plugin host"), "{}", r.stdout);
}

#[test]
fn cobertura_and_lcov_merge() {
    let (dir, work) = setup();
    let root = dir.path().canonicalize().unwrap().display().to_string();
    let xml = format!(
        "<?xml version=\"1.0\" ?>\n<coverage version=\"7.6\">\n<sources><source>{root}/src</source></sources>\n<packages><package name=\"src\"><classes>\n<class name=\"none\" filename=\"none.rs\"><methods/><lines>{}</lines></class>\n</classes></package></packages></coverage>\n",
        (1..=10).map(|l| format!("<line number=\"{l}\" hits=\"1\"/>")).collect::<String>()
    );
    write(work.path(), "coverage.xml", &xml);
    let w = work.path().display().to_string();
    let r = run(
        dir.path(),
        &[
            "--format",
            "json",
            "coverage",
            "--base",
            "v1",
            "--threshold",
            "50",
            &format!("{w}/report.lcov"),
            &format!("{w}/coverage.xml"),
        ],
        &[],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["ok"], true, "{}", r.stdout);
    assert_eq!(r.code, 0);
}

#[test]
fn github_format_annotates_and_writes_the_summary() {
    let (dir, work) = setup();
    let w = work.path().display().to_string();
    let summary = work.path().join("summary.md");
    let r = run(
        dir.path(),
        &["--format", "github", "coverage", "--base", "v1", &format!("{w}/report.lcov")],
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains(
            "::error file=src/low.rs,line=6,title=plasma-ops coverage coverage-new-module::"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("::error file=src/none.rs,title=plasma-ops coverage coverage-no-data::"),
        "{}",
        r.stdout
    );
    let md = std::fs::read_to_string(summary).unwrap();
    assert!(md.contains("### plasma-ops coverage: failed"), "{md}");
    assert!(md.contains("| `src/low.rs` | 10 | 5 | 50.0% | 80.0% | fail |"), "{md}");
}

#[test]
fn bad_input_is_a_usage_error_with_a_location() {
    let (dir, work) = setup();
    write(work.path(), "bad.lcov", "TN:\nSF:src/a.rs\nDA:x\n");
    let w = work.path().display().to_string();
    let r = run(dir.path(), &["coverage", "--base", "v1", &format!("{w}/bad.lcov")], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("bad.lcov:3: DA record needs \"line,hits\", got \"DA:x\""),
        "{}",
        r.stderr
    );
    let r = run(dir.path(), &["coverage", "--base", "nope", &format!("{w}/report.lcov")], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--base \"nope\" is not a commit of this repository"),
        "{}",
        r.stderr
    );
    let r = run(dir.path(), &["coverage", "--base", "v1", &format!("{w}/missing.lcov")], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("missing.lcov: cannot read the report"), "{}", r.stderr);
    write(
        work.path(),
        "bad.yml",
        "coverage:\n  thresholds:\n    - {path: \"a/[\", threshold: 10, reason: x}\n",
    );
    let r = run(
        dir.path(),
        &[
            "--config",
            &format!("{w}/bad.yml"),
            "coverage",
            "--base",
            "v1",
            &format!("{w}/report.lcov"),
        ],
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("coverage.thresholds[0].path: invalid glob"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_result_is_posted_as_a_check_run() {
    let hub = plasma_fakehub::FakeHub::start().await.unwrap();
    hub.add_repo("o/r");
    hub.record_exchanges(true);
    let (dir, work) = setup();
    let w = work.path().display().to_string();
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let target = format!("o/r@{sha}");
    let url = hub.url();
    let args = ["coverage", "--base", "v1", "--post-check", &target, &format!("{w}/report.lcov")];
    let r = {
        let d = dir.path().to_path_buf();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            run(
                &d,
                &a,
                &[("PLASMA_OPS_GITHUB_TOKEN", "ghs_test"), ("PLASMA_OPS_GITHUB_API_URL", &url)],
            )
        })
        .await
        .unwrap()
    };
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("posted check run `coverage`"), "{}", r.stderr);
    let posted: Vec<_> = hub
        .exchanges()
        .into_iter()
        .filter(|e| e.method == "POST" && e.path == "/repos/o/r/check-runs")
        .collect();
    assert_eq!(posted.len(), 1);
    let b = &posted[0].body;
    assert_eq!(posted[0].status, 201);
    assert_eq!(b["name"], "coverage");
    assert_eq!(b["head_sha"], sha);
    assert_eq!(b["conclusion"], "failure");
    assert_eq!(
        b["output"]["title"],
        "3 of 4 new module(s) since v1 are below their coverage threshold"
    );
    assert!(
        b["output"]["summary"]
            .as_str()
            .unwrap()
            .contains("| `src/low.rs` | 10 | 5 | 50.0% | 80.0% | fail |")
    );
    assert_eq!(b["output"]["annotations_count"], 3);
    // Without a token the gate still runs; nothing is posted.
    let d = dir.path().to_path_buf();
    let report = format!("{w}/report.lcov");
    let r = tokio::task::spawn_blocking(move || {
        run(&d, &["coverage", "--base", "v1", "--post-check", "o/r@0123456", &report], &[])
    })
    .await
    .unwrap();
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no check run was posted"), "{}", r.stderr);
    let r = run(
        dir.path(),
        &["coverage", "--base", "v1", "--post-check", "o/r", &format!("{w}/report.lcov")],
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--post-check wants OWNER/REPO@SHA"), "{}", r.stderr);
}
