//! The MCP tools in process, on a dry-run service without GitHub credentials: `pr_status`,
//! `recent_actions` and `agent_queue` answer from the store (the payloads of the last reconcile
//! and the action log), and every mistake an agent can make is a tool error, not a crash.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use plasma_service::mcp::{PlasmaMcp, select_tools};
use plasma_service::reconcile::{JobContext, reconcile_pr};
use plasma_service::{App, ServiceConfig, system_clock};
use plasma_store::{Cause, NewDelivery};
use serde_json::{Value, json};
use support::{REPO, pr_event, temp_db};

async fn dry_run_app(name: &str) -> Arc<App> {
    let db = temp_db(name);
    let env: BTreeMap<String, String> =
        [("PLASMA_OPS_DATABASE_URL".to_string(), format!("sqlite://{}", db.display()))].into();
    let cfg = ServiceConfig::load(&env, None).unwrap();
    let store = plasma_store::open(&cfg.database_url).await.unwrap();
    App::new(cfg, store, None, system_clock())
}

/// A pull request whose `opened` delivery the dry-run service reconciled.
async fn reconciled(app: &App, n: u64) {
    let body = serde_json::to_vec(&pr_event("opened", n)).unwrap();
    let d = NewDelivery {
        id: format!("mcp-{n}"),
        event: "pull_request".into(),
        action: Some("opened".into()),
        repository: Some(REPO.into()),
        installation: None,
        received_at: app.now(),
        body,
    };
    app.store.record_delivery(&d, &[], app.now()).await.unwrap();
    let key = format!("{REPO}#{n}");
    let causes = [Cause::Delivery(d.id.clone())];
    let ctx = JobContext { key: &key, causes: &causes, job_id: None };
    let done = reconcile_pr(app, &ctx, REPO, n).await.unwrap();
    assert!(done.dry_run && !done.plan.writes.is_empty());
}

fn server(app: Arc<App>, stdio: bool) -> PlasmaMcp {
    let policy = Arc::new(plasma_policy::compile_policy(None, None).unwrap());
    PlasmaMcp::new(app, policy, select_tools(None, stdio).unwrap(), None)
}

/// The structured result, or the error text.
async fn call(mcp: &PlasmaMcp, tool: &str, args: Value) -> Result<Value, String> {
    let r = mcp.call(tool, args).await;
    let text = r.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect();
    if r.is_error == Some(true) {
        assert!(r.structured_content.is_none());
        return Err(text);
    }
    assert!(!String::is_empty(&text));
    Ok(r.structured_content.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_github_the_verdict_and_the_log_come_from_the_store() {
    let app = dry_run_app("mcp-store").await;
    reconciled(&app, 7).await;
    let mcp = server(Arc::clone(&app), false);

    let s = call(&mcp, "pr_status", json!({"repo": REPO, "number": 7})).await.unwrap();
    assert_eq!(s["source"], json!("store"));
    assert_eq!(s["ready"], json!(false));
    assert!(s["summary_markdown"].as_str().unwrap().contains("plasma-ops"));
    assert_eq!(s["review_loop"], json!("unknown"), "a payload carries no reviews");

    let a = call(&mcp, "recent_actions", json!({"repo": REPO, "number": 7})).await.unwrap();
    let actions = a["actions"].as_array().unwrap();
    assert!(!actions.is_empty());
    assert!(actions.iter().all(|x| x["mode"] == json!("planned")));
    assert_eq!(actions[0]["delivery_ids"], json!(["mcp-7"]));
    let none = call(&mcp, "recent_actions", json!({"repo": REPO, "number": 8})).await.unwrap();
    assert_eq!(none, json!({"actions": []}));

    // No review is known, so nothing waits on an agent.
    let q = call(&mcp, "agent_queue", json!({"agent": "python", "repo": REPO})).await.unwrap();
    assert_eq!(q, json!({"agent": "agent:python", "pull_requests": []}));

    let unknown = call(&mcp, "pr_status", json!({"repo": REPO, "number": 8})).await.unwrap_err();
    assert!(unknown.contains("unknown pull request") && unknown.contains("hint:"), "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_mistakes_are_tool_errors_with_hints() {
    let app = dry_run_app("mcp-mistakes").await;
    let http = server(Arc::clone(&app), false);
    let stdio = server(app, true);
    for (mcp, tool, args, says) in [
        (&http, "audit", json!({"path": "."}), "unknown tool"),
        (&http, "nope", json!({}), "the tools offered here are"),
        (&stdio, "release_plan", json!({"path": "."}), "local checkout"),
        (&stdio, "audit", json!({}), "invalid arguments"),
        (&http, "check_branch", json!({"name": "x", "repo": "a/b/c"}), "owner/name"),
        (&http, "lint_commit_messages", json!({"messages": ["a\u{0}b"]}), "NUL"),
        (&http, "agent_queue", json!({"agent": ""}), "not an agent"),
        (&http, "agent_queue", json!({"agent": "python", "repo": "x"}), "owner/name"),
        (&http, "recent_actions", json!({"repo": "x", "number": 1}), "owner/name"),
        (&http, "explain_rule", json!({"rule": "nope"}), "branch-name"),
        (&http, "pr_status", json!({"repo": REPO, "number": "seven"}), "invalid arguments"),
    ] {
        let e = call(mcp, tool, args).await.unwrap_err();
        assert!(e.contains(says) && e.contains("hint:"), "{tool}: {e}");
    }
    let many: Vec<String> = (0..10_001).map(|i| format!("f{i}.py")).collect();
    let e = call(&http, "classify_files", json!({"paths": many})).await.unwrap_err();
    assert!(e.contains("at most"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_string_tools_give_the_clis_answers() {
    let mcp = server(dry_run_app("mcp-strings").await, false);
    let t = call(&mcp, "check_title", json!({"title": "[PE-1] Fine"})).await.unwrap();
    assert_eq!(t, json!({"ok": true, "subject": "[PE-1] Fine", "findings": []}));
    let b = call(&mcp, "check_body", json!({"body": ""})).await.unwrap();
    assert_eq!(
        (b["ok"].clone(), b["findings"][0]["rule"].clone()),
        (json!(false), json!("checklist"))
    );
    let br = call(&mcp, "check_branch", json!({"name": "release/1.4.0"})).await.unwrap();
    assert_eq!(br["ok"], json!(true));
    let c = call(&mcp, "classify_files", json!({"paths": []})).await.unwrap();
    assert_eq!(c["files"], json!([]));
    let l = call(&mcp, "lint_commit_messages", json!({"messages": []})).await.unwrap();
    assert_eq!(l, json!({"ok": true, "findings": []}));
    let l =
        call(&mcp, "lint_commit_messages", json!({"messages": ["fix: ok", "WIP"]})).await.unwrap();
    assert_eq!(l["findings"][0]["index"], json!(1));
    let e = call(&mcp, "explain_rule", json!({"rule": " required-checks "})).await.unwrap();
    assert_eq!(e["rule"], json!("required-checks"));
}
