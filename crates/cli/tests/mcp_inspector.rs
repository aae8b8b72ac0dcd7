//! The MCP server driven by the official MCP Inspector CLI (`@modelcontextprotocol/inspector`,
//! pinned in tests/contract) as a real client, over both transports: `plasma-ops mcp` (stdio) and
//! `/mcp` on `plasma-ops serve` (Streamable HTTP), against the fake GitHub. The same harness runs
//! against `@modelcontextprotocol/server-everything` first, so a failure here is ours, not the
//! harness's. The Inspector exits 0 on success and 5 when a tool answers `isError: true`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use plasma_fakehub::{FakeHub, FakeReview};
use serde_json::{Value, json};

const REPO: &str = "plasma-engine/plasma-engine-gateway";
const TOKEN: &str = "mcp-test-token";
/// The Inspector's exit status when a tool answered `isError: true`.
const TOOL_ERROR: i32 = 5;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn node_bin(name: &str) -> PathBuf {
    let p = root().join("tests/contract/node_modules/.bin").join(name);
    assert!(p.exists(), "{} is missing: run tests/contract/install.sh", p.display());
    p
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One Inspector run: its exit status and the JSON it printed.
struct Run {
    code: i32,
    out: Value,
    text: String,
}

async fn inspect(target: &[String], rest: &[&str]) -> Run {
    let catalog = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(node_bin("mcp-inspector"));
    cmd.arg("--cli")
        .args(target)
        .args(rest)
        .env("MCP_CATALOG_PATH", catalog.path().join("mcp.json"))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(90), cmd.output())
        .await
        .expect("the Inspector answered within 90 s")
        .expect("the Inspector runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let json_part = text.find('{').map(|i| &text[i..]).unwrap_or("null");
    Run {
        code: out.status.code().unwrap_or(-1),
        out: serde_json::from_str(json_part).unwrap_or(Value::Null),
        text: format!("{text}\n{}", String::from_utf8_lossy(&out.stderr)),
    }
}

async fn list(target: &[String]) -> Vec<String> {
    let r = inspect(target, &["--method", "tools/list"]).await;
    assert_eq!(r.code, 0, "tools/list: {}", r.text);
    r.out["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().into()).collect()
}

async fn call(target: &[String], tool: &str, args: Value) -> Run {
    let args = args.to_string();
    inspect(target, &["--method", "tools/call", "--tool-name", tool, "--tool-args-json", &args])
        .await
}

/// A successful call's structured content.
async fn ok(target: &[String], tool: &str, args: Value) -> Value {
    let r = call(target, tool, args).await;
    assert_eq!(r.code, 0, "{tool}: {}", r.text);
    assert_eq!(r.out["isError"], json!(false), "{tool}: {}", r.text);
    r.out["structuredContent"].clone()
}

/// A tool error: status 5, `isError: true`, a message and a hint.
async fn tool_error(target: &[String], tool: &str, args: Value, says: &str) {
    let r = call(target, tool, args).await;
    assert_eq!(r.code, TOOL_ERROR, "{tool}: {}", r.text);
    assert_eq!(r.out["isError"], json!(true), "{tool}: {}", r.text);
    let text = r.out["content"][0]["text"].as_str().unwrap_or_default();
    assert!(text.contains(says) && text.contains("hint:"), "{tool}: {text}");
}

/// The fake GitHub with one pull request CodeRabbit asked changes of, touching Python.
async fn hub() -> (FakeHub, u64) {
    let hub = FakeHub::start().await.unwrap();
    let n = hub.add_ready_pull(REPO);
    hub.add_review(REPO, n, FakeReview::new("coderabbitai[bot]", "CHANGES_REQUESTED"));
    (hub, n)
}

fn service_env(db: &Path, api: &str) -> Vec<(String, String)> {
    vec![
        ("PLASMA_OPS_DATABASE_URL".into(), format!("sqlite://{}", db.display())),
        ("PLASMA_OPS_GITHUB_API_URL".into(), api.into()),
        ("PLASMA_OPS_GITHUB_TOKEN".into(), "mcp-test-github-token".into()),
        ("PLASMA_OPS_SWEEP_INTERVAL".into(), "1h".into()),
    ]
}

fn plasma_ops(env: &[(String, String)], args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_plasma-ops"));
    c.args(args).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        c.env(k, v);
    }
    // Under cargo llvm-cov the binary's coverage is written where the run says.
    if let Ok(p) = std::env::var("LLVM_PROFILE_FILE") {
        c.env("LLVM_PROFILE_FILE", p);
    }
    c
}

struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_healthy(port: u16) {
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && r.status().is_success()
        {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every tool over one transport; `stdio` adds the two local tools.
async fn every_tool(target: &[String], n: u64, stdio: bool) {
    let mut names = list(target).await;
    names.sort();
    let mut want = vec![
        "agent_queue",
        "check_body",
        "check_branch",
        "check_title",
        "classify_files",
        "explain_rule",
        "lint_commit_messages",
        "pr_status",
        "recent_actions",
    ];
    if stdio {
        want.extend(["audit", "release_plan"]);
        want.sort();
    }
    assert_eq!(names, want);

    let s = ok(target, "pr_status", json!({"repo": REPO, "number": n})).await;
    assert_eq!(s["ready"], json!(false));
    assert_eq!(s["review_loop"], json!("needs-fix"));
    assert_eq!(s["source"], json!("github"));
    let rules: Vec<&str> =
        s["blockers"].as_array().unwrap().iter().map(|b| b["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"coderabbit-review"), "{s}");
    assert!(s["blockers"][0]["hint"].as_str().is_some_and(|h| !h.is_empty()));
    assert!(s["summary_markdown"].as_str().unwrap().contains("plasma-ops"));

    let t = ok(target, "check_title", json!({"title": "[PE-12] Gateway bootstrap"})).await;
    assert_eq!(t["ok"], json!(true));
    let t = ok(target, "check_title", json!({"title": "Gateway bootstrap"})).await;
    assert_eq!(
        (t["ok"].clone(), t["findings"][0]["rule"].clone()),
        (json!(false), json!("title-format"))
    );
    let b =
        ok(target, "check_branch", json!({"name": "gateway/PE-12-bootstrap", "repo": REPO})).await;
    assert_eq!(b["ok"], json!(true), "{b}");
    let b = ok(target, "check_body", json!({"body": "- [x] Tests run\n- [ ] Lint pass"})).await;
    assert_eq!(b["ok"], json!(false));
    let c = ok(target, "classify_files", json!({"paths": ["app/main.py", "docs/a.md"]})).await;
    assert_eq!(c["files"][0]["labels"], json!(["agent:python"]));
    assert_eq!(c["labels"], json!(["agent:docs", "agent:python"]));
    let e = ok(target, "explain_rule", json!({"rule": "title-format"})).await;
    assert_eq!(e["config"][0]["key"], json!("title.pattern"));
    let l = ok(target, "lint_commit_messages", json!({"messages": ["feat: add x", "Bad message"]}))
        .await;
    assert!(l["findings"].as_array().unwrap().iter().all(|f| f["index"] == json!(1)), "{l}");
    assert!(!l["findings"].as_array().unwrap().is_empty());
    let q = ok(target, "agent_queue", json!({"agent": "python"})).await;
    assert_eq!(q["agent"], json!("agent:python"));
    assert_eq!(q["pull_requests"][0]["number"], json!(n), "{q}");
    let q = ok(target, "agent_queue", json!({"agent": "agent:docs"})).await;
    assert_eq!(q["pull_requests"], json!([]));
    let a = ok(target, "recent_actions", json!({"repo": REPO, "number": n})).await;
    let actions = a["actions"].as_array().unwrap();
    assert!(!actions.is_empty());
    assert!(
        actions
            .iter()
            .all(|x| x["key"] == json!(format!("{REPO}#{n}")) && x["mode"] == json!("applied"))
    );

    if stdio {
        let here = root().display().to_string();
        let au = ok(target, "audit", json!({"path": here})).await;
        assert!(au["findings"].is_array(), "{au}");
        let rp = ok(target, "release_plan", json!({"path": here})).await;
        assert!(rp.get("bump").is_some() || rp.get("components").is_some(), "{rp}");
        tool_error(target, "audit", json!({"path": "/nonexistent/checkout"}), "not a directory")
            .await;
    } else {
        // Not offered over HTTP: the client does not even find it.
        let r = call(target, "audit", json!({"path": "."})).await;
        assert!(r.code != 0 && r.text.contains("tool_not_found"), "{}", r.text);
    }

    // What an agent gets wrong is a tool error with a hint, and the server keeps serving.
    tool_error(target, "explain_rule", json!({"rule": "nope"}), "title-format").await;
    tool_error(target, "pr_status", json!({"repo": REPO, "number": 999}), "unknown pull request")
        .await;
    tool_error(target, "pr_status", json!({"repo": "not a repo", "number": 1}), "owner/name").await;
    tool_error(target, "pr_status", json!({"repo": REPO}), "invalid arguments").await;
    tool_error(target, "agent_queue", json!({"agent": "a b"}), "not an agent").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harness_works_against_the_reference_server_everything() {
    let everything = node_bin("mcp-server-everything").display().to_string();
    for target in [vec![everything.clone(), "stdio".into()]] {
        assert!(list(&target).await.contains(&"echo".to_string()));
        let r = call(&target, "echo", json!({"message": "hi"})).await;
        assert_eq!(
            (r.code, r.out["content"][0]["text"].clone()),
            (0, json!("Echo: hi")),
            "{}",
            r.text
        );
        let r = call(&target, "no-such-tool", json!({})).await;
        assert_eq!(r.code, TOOL_ERROR, "{}", r.text);
    }
    let port = free_port();
    let child = Command::new(&everything)
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _served = Served(child);
    let url = format!("http://127.0.0.1:{port}/mcp");
    let target = vec![url];
    let start = Instant::now();
    while inspect(&target, &["--method", "tools/list"]).await.code != 0 {
        assert!(start.elapsed() < Duration::from_secs(30), "server-everything did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = call(&target, "echo", json!({"message": "hi"})).await;
    assert_eq!((r.code, r.out["content"][0]["text"].clone()), (0, json!("Echo: hi")), "{}", r.text);
    assert_eq!(call(&target, "no-such-tool", json!({})).await.code, TOOL_ERROR);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_over_stdio_and_http_as_the_inspector_sees_it() {
    let (hub, n) = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mcp.db");
    let env = service_env(&db, &hub.url());

    // The service acts once, live: the action log and the labels now say needs-fix, agent:python.
    let out = plasma_ops(&env, &["reconcile", &format!("{REPO}#{n}")]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(hub.labels_of(REPO, n).contains(&"agent:python".to_string()));
    actions_command(&env, n);

    // stdio: the Inspector starts `plasma-ops mcp` with only the variables it is given.
    let mut stdio: Vec<String> = Vec::new();
    let profile = std::env::var("LLVM_PROFILE_FILE").ok().map(|p| ("LLVM_PROFILE_FILE".into(), p));
    for (k, v) in env.iter().chain(profile.iter()) {
        stdio.extend(["-e".into(), format!("{k}={v}")]);
    }
    stdio.extend([env!("CARGO_BIN_EXE_plasma-ops").to_string(), "mcp".into()]);
    every_tool(&stdio, n, true).await;

    // The tool list is selectable.
    let mut some = vec!["-e".to_string(), "PLASMA_OPS_MCP_TOOLS=pr_status,explain_rule".into()];
    some.extend(stdio.iter().cloned());
    assert_eq!(list(&some).await, ["pr_status", "explain_rule"]);

    // HTTP: `/mcp` on serve, with a token.
    let port = free_port();
    let mut senv = env.clone();
    senv.push(("PLASMA_OPS_LISTEN".into(), format!("127.0.0.1:{port}")));
    senv.push(("PLASMA_OPS_MCP_TOKEN".into(), TOKEN.into()));
    senv.push(("PLASMA_OPS_WEBHOOK_SECRET".into(), "mcp-test-secret".into()));
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let child = plasma_ops(&senv, &["serve"]).stdout(Stdio::null()).stderr(log).spawn().unwrap();
    let _served = Served(child);
    wait_healthy(port).await;
    let url = format!("http://127.0.0.1:{port}/mcp");
    let http = vec![url.clone(), "--header".into(), format!("Authorization: Bearer {TOKEN}")];
    let (cold, cold_charged) = pr_status_calls(&hub, &http, n).await;
    every_tool(&http, n, false).await;
    // Warm: the service's ETag cache answers with 304s, which GitHub does not charge.
    let (warm, warm_charged) = pr_status_calls(&hub, &http, n).await;
    let figures = format!(
        "pr_status over /mcp: cold {cold} GitHub calls ({cold_charged} charged), warm {warm} calls \
         ({warm_charged} charged)\n"
    );
    let _ = std::fs::write(root().join("target/mcp-pr-status-calls.txt"), &figures);
    assert!(warm_charged <= 1, "{figures}");

    // Without the token the Inspector is refused (it then wants OAuth: status 3, not 0).
    let r = inspect(std::slice::from_ref(&url), &["--method", "tools/list"]).await;
    assert_ne!(r.code, 0, "{}", r.text);
    let client = reqwest::Client::new();
    let post = |host: Option<&str>, origin: Option<&str>, token: Option<&str>| {
        let mut rq = client
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
        if let Some(h) = host {
            rq = rq.header("host", h);
        }
        if let Some(o) = origin {
            rq = rq.header("origin", o);
        }
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        rq.send()
    };
    assert_eq!(post(None, None, None).await.unwrap().status(), 401);
    assert_eq!(post(None, None, Some("wrong")).await.unwrap().status(), 401);
    // DNS rebinding: a foreign Host or a foreign browser Origin is refused even with the token.
    assert_eq!(post(Some("evil.example"), None, Some(TOKEN)).await.unwrap().status(), 403);
    assert_eq!(post(None, Some("http://evil.example"), Some(TOKEN)).await.unwrap().status(), 403);
    assert_eq!(
        post(None, Some(&format!("http://localhost:{port}")), Some(TOKEN)).await.unwrap().status(),
        200
    );
}

/// `plasma-ops actions`: the action log without a database client.
fn actions_command(env: &[(String, String)], n: u64) {
    let key = format!("{REPO}#{n}");
    let run = |args: &[&str]| {
        let out = plasma_ops(env, args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let all: Value = serde_json::from_str(&run(&["actions", "--format", "json"])).unwrap();
    let actions = all["actions"].as_array().unwrap();
    assert!(actions.len() >= 3, "{all}");
    let first = &actions[0];
    for field in ["key", "kind", "mode", "delivery_ids", "at", "before", "after"] {
        assert!(first.get(field).is_some(), "{field} missing: {first}");
    }
    assert_eq!(
        (first["key"].as_str(), first["mode"].as_str()),
        (Some(key.as_str()), Some("applied"))
    );
    let ats: Vec<&str> = actions.iter().map(|a| a["at"].as_str().unwrap()).collect();
    assert!(ats.windows(2).all(|w| w[0] >= w[1]), "newest first: {ats:?}");
    let one: Value =
        serde_json::from_str(&run(&["actions", &key, "--since", "24h", "--format", "json"]))
            .unwrap();
    assert_eq!(one["actions"].as_array().unwrap().len(), actions.len());
    let planned: Value =
        serde_json::from_str(&run(&["actions", "--planned", "--format", "json"])).unwrap();
    assert_eq!(planned, json!({"actions": []}));
    assert!(run(&["actions", &key]).contains("add_labels"));
    assert_eq!(run(&["actions", "other/repo#1"]), "no actions\n");
    let bad = plasma_ops(env, &["actions", "not-a-key"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// GitHub calls one `pr_status` makes: all, and those charged to the rate limit (not a 304).
async fn pr_status_calls(hub: &FakeHub, target: &[String], n: u64) -> (usize, usize) {
    hub.reset_requests();
    ok(target, "pr_status", json!({"repo": REPO, "number": n})).await;
    let r = hub.requests();
    (r.len(), r.iter().filter(|q| q.status != 304).count())
}
