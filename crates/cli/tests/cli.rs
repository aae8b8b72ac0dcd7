//! The CLI as users and scripts see it: outputs (snapshot-tested), exit codes and errors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure should stop the test

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_env(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plasma-ops"));
    cmd.args(args).current_dir(root()).env("NO_COLOR", "1");
    for var in ["GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn plasma-ops");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or("").as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(args: &[&str]) -> Run {
    run_env(args, None, &[])
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

#[test]
fn check_branch_title_body_text() {
    let cases: &[(&str, &[&str], i32)] = &[
        ("branch_ok", &["check", "branch", "gateway/PE-12-bootstrap-fastapi"], 0),
        ("branch_release", &["check", "branch", "release/1.4.0"], 0),
        ("branch_hotfix", &["check", "branch", "hotfix/PE-99"], 0),
        ("branch_bad", &["check", "branch", "Feature/bootstrap"], 1),
        (
            "branch_wrong_repo",
            &["check", "branch", "brain/PE-12-x", "--repo", "plasma-engine/plasma-engine-gateway"],
            1,
        ),
        (
            "branch_key_mismatch",
            &["check", "branch", "gateway/PE-12-x", "--title", "[PE-13] Other"],
            1,
        ),
        ("title_ok", &["check", "title", "[PE-12] Gateway bootstrap"], 0),
        ("title_bad", &["check", "title", "PE-12: gateway bootstrap"], 1),
        ("body_bad", &["check", "body", "-"], 1),
    ];
    for (name, args, code) in cases {
        let stdin = "## Checklist\n- [x] Tests run\n- [ ] Lint pass\n- [x] ADR impact: none\n";
        let r = run_env(args, Some(stdin), &[]);
        assert_eq!(r.code, *code, "{name}: {}{}", r.stdout, r.stderr);
        insta::assert_snapshot!(*name, r.stdout);
    }
}

#[test]
fn check_json_has_the_documented_shape() {
    let r = run(&["check", "title", "gateway", "--format", "json"]);
    assert_eq!(r.code, 1);
    let v = json(&r);
    assert_eq!(v["ok"], false);
    let f = &v["findings"][0];
    for key in ["rule", "severity", "message", "hint"] {
        assert!(f[key].is_string(), "{key} missing in {f}");
    }
    assert_eq!(f["rule"], "title-format");
}

#[test]
fn check_pr_snapshots() {
    for (name, file, code) in [
        ("pr_ready", "examples/snapshot.ready.json", 0),
        ("pr_needs_fix", "examples/snapshot.needs-fix.json", 1),
        ("pr_open_threads", "examples/snapshot.open-threads.json", 1),
    ] {
        let r = run(&["check", "pr", "--snapshot", file]);
        assert_eq!(r.code, code, "{name}: {}{}", r.stdout, r.stderr);
        insta::assert_snapshot!(format!("{name}_text"), r.stdout);
        let r = run(&["check", "pr", "--snapshot", file, "--format", "json"]);
        let v = json(&r);
        insta::assert_snapshot!(format!("{name}_summary"), v["summary"].as_str().unwrap_or(""));
        insta::assert_json_snapshot!(format!("{name}_json"), v);
    }
}

#[test]
fn check_pr_events() {
    let r = run(&["check", "pr", "--event", "examples/pull_request.opened.json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("pr_event_opened", r.stdout);
    let r = run(&["check", "pr", "--event", "examples/pull_request.bad.json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("pr_event_bad", r.stdout);
}

#[test]
fn check_pr_reads_github_event_path_and_writes_the_step_summary() {
    let dir = std::env::temp_dir().join(format!("plasma-ops-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let summary = dir.join("summary.md");
    let event = root().join("examples/pull_request.bad.json");
    let r = run_env(
        &["check", "pr", "--format", "github"],
        None,
        &[
            ("GITHUB_EVENT_PATH", event.to_str().unwrap_or_default()),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap_or_default()),
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("pr_event_bad_github", r.stdout);
    let md = std::fs::read_to_string(&summary).expect("summary written");
    assert!(md.starts_with("<!-- plasma-ops:summary -->"), "{md}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_issue() {
    let r = run(&["check", "issue", "--event", "examples/issues.opened.json"]);
    insta::assert_snapshot!("issue_opened", format!("exit {}\n{}", r.code, r.stdout));
}

#[test]
fn dispatch_fixes_the_old_misclassifications() {
    let r = run(&[
        "dispatch",
        "--format",
        "json",
        "docs/devops/x.md",
        "src/shops/cart.ts",
        "plasma-engine-content/app/main.py",
        ".github/workflows/reusable-security.yml",
        "Dockerfile",
        "package.json",
        "Makefile",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    let labels: Vec<(String, String)> = v["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| (f["path"].as_str().unwrap_or("").to_string(), f["labels"].to_string()))
        .collect();
    let want = [
        ("docs/devops/x.md", "[\"agent:docs\"]"),
        ("src/shops/cart.ts", "[\"agent:javascript\"]"),
        ("plasma-engine-content/app/main.py", "[\"agent:python\"]"),
        (".github/workflows/reusable-security.yml", "[\"agent:infra\"]"),
        ("Dockerfile", "[\"agent:infra\"]"),
        ("package.json", "[\"agent:javascript\"]"),
        ("Makefile", "[\"agent:general\"]"),
    ];
    for (i, (path, l)) in want.iter().enumerate() {
        assert_eq!(labels[i], (path.to_string(), l.to_string()));
        assert!(v["files"][i]["rule"].is_string());
    }
    let r = run_env(&["dispatch", "-"], Some("app/main.py\n\ndocs/README.md\n"), &[]);
    insta::assert_snapshot!("dispatch_text", r.stdout);
}

#[test]
fn labels_lists_the_owned_set() {
    let r = run(&["labels"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("labels", r.stdout);
}

#[test]
fn config_commands() {
    let r = run(&["config", "validate", "crates/cli/tests/fixtures/bad.yml"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("config_validate_bad", r.stdout);
    let r = run(&["config", "validate", "crates/cli/tests/fixtures/typo.yml"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("config_validate_typo", r.stdout);
    let r = run(&["config", "validate", "crates/cli/tests/fixtures/repo.yml"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = run(&[
        "config",
        "show",
        "--org-config",
        "crates/cli/tests/fixtures/org.yml",
        "--repo-config",
        "crates/cli/tests/fixtures/repo.yml",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("config_show_layers", r.stdout);
    let r = run(&["config", "schema"]);
    let published =
        std::fs::read_to_string(root().join("schema/plasma.schema.json")).unwrap_or_default();
    assert_eq!(r.stdout, published, "schema/plasma.schema.json is stale");
    let r = run(&["config", "init"]);
    assert!(r.stdout.contains("issue_key:\n  prefix: PE"));
}

#[test]
fn config_show_json_names_each_layer_and_init_writes_once() {
    let r = run(&[
        "config",
        "show",
        "--format",
        "json",
        "--org-config",
        "crates/cli/tests/fixtures/org.yml",
        "--repo-config",
        "crates/cli/tests/fixtures/repo.yml",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["config"]["issue_key"]["prefix"], "PE", "{v}");
    assert_eq!(v["origins"]["issue_key.prefix"], "default", "{v}");
    assert!(v["origins"].as_object().unwrap().values().any(|l| l == "org"), "{v}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plasma.yml");
    let path = file.to_str().unwrap();
    let r = run(&["config", "init", "--output", path]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("wrote "), "{}", r.stderr);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("issue_key:\n  prefix: PE"));
    // An existing file is kept unless the user asks for it to be replaced.
    std::fs::write(&file, "# mine\n").unwrap();
    let r = run(&["config", "init", "--output", path]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("already exists; pass --force to overwrite it"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\n");
    let r = run(&["config", "init", "--output", path, "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
}

#[test]
fn snapshot_turns_a_payload_into_the_json_check_pr_reads() {
    let r = run(&["snapshot", "--event", "examples/pull_request.opened.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["number"], 12);
    assert_eq!(v["title"], "[PE-12] Gateway bootstrap");
    assert_eq!(v["repository"], "plasma-engine/plasma-engine-gateway");
    // The output is the input of `check pr --snapshot`, whatever the output format.
    let r = run(&["snapshot", "--format", "json", "--event", "-"]);
    assert_eq!(r.code, 2, "an empty payload is an error: {}", r.stdout);
    let payload = std::fs::read_to_string(root().join("examples/issues.opened.json")).unwrap();
    let r = run_env(&["snapshot", "--event", "-", "--event-name", "issues"], Some(&payload), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(json(&r)["number"].is_u64(), "{}", r.stdout);
    let r = run(&["snapshot", "--event", "examples/no-such.json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("examples/no-such.json"), "{}", r.stderr);
}

#[test]
fn the_repository_config_is_used() {
    // A check that passes with the defaults fails when a config demands more.
    let r = run(&[
        "check",
        "pr",
        "--snapshot",
        "examples/snapshot.ready.json",
        "--config",
        "crates/cli/tests/fixtures/org.yml",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("1 of 2 required human approval"), "{}", r.stdout);
}

#[test]
fn errors_exit_2_with_a_message_and_no_backtrace() {
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["check", "pr", "--event", "no/such/file.json"],
            "",
            "cannot open the webhook payload no/such/file.json",
        ),
        (&["check", "pr", "--event", "-"], "{\"pull_request\": {\"title\": 3", "<stdin>"),
        (&["check", "pr", "--snapshot", "-"], "{\"title\": 1}", "<stdin>:1:"),
        (&["check", "pr"], "", "no input"),
        (
            &["check", "issue", "--event", "examples/pull_request.opened.json"],
            "",
            "not an issue event",
        ),
        (
            &["check", "title", "x", "--config", "crates/cli/tests/fixtures/typo.yml"],
            "",
            "typo.yml:2:3: approvals: unknown field `requried`",
        ),
        (
            &["check", "title", "x", "--config", "crates/cli/tests/fixtures/bad.yml"],
            "",
            "bad.yml:7:",
        ),
        (&["check", "bogus"], "", "unrecognized subcommand"),
        (&["check", "title", "x", "--format", "xml"], "", "invalid value 'xml'"),
    ];
    for (args, stdin, want) in cases {
        let r = run_env(args, Some(stdin), &[]);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(want), "{args:?}: stderr lacks {want:?}: {}", r.stderr);
        assert!(
            !r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn every_published_pull_request_example_is_checked() {
    let index = root()
        .join("tests/contract/node_modules/@octokit/webhooks-examples/api.github.com/index.json");
    let text = std::fs::read_to_string(&index).expect("run tests/contract/install.sh first");
    let groups: serde_json::Value = serde_json::from_str(&text).expect("index.json");
    let dir = std::env::temp_dir().join(format!("plasma-ops-examples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let mut checked = 0;
    for group in groups.as_array().into_iter().flatten() {
        if group["name"] != "pull_request" {
            continue;
        }
        for (i, example) in group["examples"].as_array().into_iter().flatten().enumerate() {
            let path = dir.join(format!("pull_request.{i}.json"));
            std::fs::write(&path, example.to_string()).expect("write example");
            let r = run(&[
                "check",
                "pr",
                "--event",
                path.to_str().unwrap_or_default(),
                "--format",
                "json",
            ]);
            assert!(
                r.code == 0 || r.code == 1,
                "example {i} ({}): {}{}",
                example["action"],
                r.stdout,
                r.stderr
            );
            let v = json(&r);
            assert!(v["findings"].is_array(), "example {i}");
            checked += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("checked {checked} pull_request examples");
    assert!(checked > 10, "only {checked} pull_request examples found");
}

/// `plasma-ops ... | head`: the reader closes standard output early. Like a C tool killed by
/// SIGPIPE, plasma-ops stops with status 141 and says nothing (it used to report an "internal
/// error").
#[test]
fn a_closed_standard_output_ends_quietly_with_the_sigpipe_status() {
    let messages = "not a conventional commit\0".repeat(5_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_plasma-ops"))
        .args(["history", "--messages", "-"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn plasma-ops");
    // Close the reading end before anything is written: every write then fails with EPIPE.
    drop(child.stdout.take());
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(messages.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert!(stderr.is_empty(), "nothing to say about a closed pipe: {stderr}");
}
