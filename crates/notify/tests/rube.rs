//! Rube through MCP: plasma-ops as an MCP client over Streamable HTTP, against a real MCP server
//! (`@modelcontextprotocol/server-everything`, pinned in tests/contract/package.json, whose `echo` tool stands
//! in for Rube's tools), configured through a file in the seed's format.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use plasma_config::NotificationsConfig;
use plasma_notify::{Env, Step, mcp, message, plan};
use plasma_store::NotificationFilter;
use serde_json::json;
use support::{Backend, TestClock, TestDb, dispatcher, sender};

/// A running server-everything, killed when dropped.
struct Peer {
    port: u16,
    _child: tokio::process::Child,
}

fn peer_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../tests/contract/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
    )
}

async fn start_peer() -> Peer {
    let script = peer_script();
    assert!(
        script.exists(),
        "the MCP peer is not installed at {}: run `bash tests/contract/install.sh` (scripts/test does)",
        script.display()
    );
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = tokio::process::Command::new("node")
        .arg(&script)
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs the MCP peer");
    // Ready when it accepts connections; node takes a second or two to start.
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Peer { port, _child: child };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the MCP peer did not listen on port {port} within 30 s");
}

/// The seed's `config/rube/mcp-config.template.json`, pointed at the peer.
fn seed_config(dir: &Path, port: u16) -> PathBuf {
    let template = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/rube/mcp-config.template.json"),
    )
    .unwrap();
    let text = template.replace("https://rube.app/mcp", &format!("http://127.0.0.1:{port}/mcp"));
    assert!(text.contains(&format!("127.0.0.1:{port}")), "the template names rube.app/mcp");
    let path = dir.join("mcp-config.json");
    std::fs::write(&path, text).unwrap();
    path
}

fn config() -> NotificationsConfig {
    serde_json::from_value(json!({
        "targets": {"rube": {"mcp": {"server": "rube", "tool": "echo",
            "arguments": {"message": "{{title}} [{{event}} {{idempotency_key}}]"}}}},
        "routes": [{"events": ["ready_to_merge"], "targets": ["rube"]}]
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_calls_the_configured_tool_of_the_rube_server() {
    let peer = start_peer().await;
    let dir = tempfile::tempdir().unwrap();
    let path = seed_config(dir.path(), peer.port);
    let path_text = path.to_str().unwrap().to_owned();
    let vars = [
        ("RUBE_MCP_CONFIG", path_text.as_str()),
        ("RUBE_API_KEY", "test-key"),
        ("RUBE_WORKSPACE", "plasma"),
        ("RUBE_DEFAULT_CONNECTIONS", "slack"),
    ];

    // The call itself: the echo comes back with the rendered template.
    let env = Env::fixed(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect());
    let server = mcp::load_server(&path, "rube", &env).unwrap();
    let m = message::ready_to_merge("o/r", 7, "[PE-7] Docs", "octocat", "abcdef0", None);
    let target = config().targets["rube"].mcp.clone().unwrap();
    let (tool, arguments) = mcp::tool_call(&target, &m, "key-1");
    let echoed = mcp::call(&server, &tool, arguments).await.unwrap();
    assert_eq!(echoed, "Echo: Ready to merge: o/r#7 [PE-7] Docs [ready_to_merge key-1]");

    // Through the outbox.
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.open().await;
    let clock = TestClock::new();
    store.enqueue_notifications(&plan(&config(), &m, "abcdef0"), clock.now()).await.unwrap();
    let worker = dispatcher(&store, &sender(&vars), "w", &clock);
    assert!(matches!(worker.step().await.unwrap(), Step::Sent { .. }));
    assert_eq!(worker.step().await.unwrap(), Step::Idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_the_server_lacks_is_a_failure_that_names_it() {
    let peer = start_peer().await;
    let dir = tempfile::tempdir().unwrap();
    let path = seed_config(dir.path(), peer.port);
    let env = Env::fixed([("RUBE_API_KEY".to_owned(), "k".to_owned())].into());
    let server = mcp::load_server(&path, "rube", &env).unwrap();
    let err = mcp::call(&server, "RUBE_MULTI_EXECUTE_TOOL", json!({})).await.unwrap_err();
    assert!(err.message.contains("RUBE_MULTI_EXECUTE_TOOL"), "{err}");
    assert!(!err.permanent);
    let err = mcp::call(&server, "echo", json!(["not", "an object"])).await.unwrap_err();
    assert!(err.permanent, "{err}");

    // Through the outbox, the failure is kept as the row's reason.
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.open().await;
    let clock = TestClock::new();
    let mut c = config();
    c.targets.get_mut("rube").unwrap().mcp.as_mut().unwrap().tool = "no_such_tool".into();
    let m = message::test_message("rube");
    store.enqueue_notifications(&plan(&c, &m, "t"), clock.now()).await.unwrap();
    let path_text = path.to_str().unwrap().to_owned();
    let vars = [("RUBE_MCP_CONFIG", path_text.as_str()), ("RUBE_API_KEY", "k")];
    let worker = dispatcher(&store, &sender(&vars), "w", &clock).with_max_attempts(1);
    assert!(matches!(worker.step().await.unwrap(), Step::Dead { .. }));
    let dead = store.notifications(NotificationFilter::Dead).await.unwrap();
    assert!(dead[0].last_error.as_deref().unwrap().contains("no_such_tool"), "{dead:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let path = seed_config(dir.path(), port);
    let env = Env::fixed([("RUBE_API_KEY".to_owned(), "k".to_owned())].into());
    let server = mcp::load_server(&path, "rube", &env).unwrap();
    let err = mcp::call(&server, "echo", json!({"message": "x"})).await.unwrap_err();
    assert!(!err.permanent && err.message.contains("cannot open an MCP session"), "{err}");
    assert!(!err.message.contains("Bearer") && !err.message.contains("127.0.0.1"), "{err}");
}
