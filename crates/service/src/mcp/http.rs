//! `/mcp` on `plasma-ops serve`: the MCP tools over Streamable HTTP, nested in the service's
//! router. The checks run in this order, each refusal one status:
//!
//! 1. no `PLASMA_OPS_MCP_TOKEN` and a non-loopback bind -> 404: MCP over HTTP is off (a log line
//!    at start says why); nobody on the network may call the tools unauthenticated;
//! 2. a token is set and the request lacks it (`Authorization: Bearer ...`) -> 401, on loopback
//!    too (another local user or a browser tab is not the operator);
//! 3. a `Host` that is not the bind address or a loopback name, or any browser `Origin` that is
//!    not loopback -> 403 (DNS rebinding), checked by rmcp's transport;
//! 4. the MCP request itself (stateless, JSON responses: no session outlives a request).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tracing::warn;

use super::{PlasmaMcp, select_tools};
use crate::app::App;

/// Why `/mcp` is off, when it is.
pub fn refusal(app: &App) -> Option<&'static str> {
    let token = app.cfg.mcp_token.as_ref().is_some_and(|t| !t.is_empty());
    (!token && !app.cfg.listen.ip().is_loopback()).then_some(
        "MCP over HTTP is off: the service is bound to a non-loopback address and \
         PLASMA_OPS_MCP_TOKEN is not set",
    )
}

/// Hosts a request may name: loopback names and the bound address.
fn allowed_hosts(listen: SocketAddr) -> Vec<String> {
    let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    let ip = listen.ip();
    if !ip.is_loopback() && !ip.is_unspecified() {
        hosts.push(ip.to_string());
    }
    hosts
}

/// The `/mcp` routes for `app`; when MCP over HTTP is off, a route that says why (and a log line).
pub fn router(app: &Arc<App>) -> Router<Arc<App>> {
    if let Some(why) = refusal(app) {
        warn!("{why}");
        let off = move || async move { (StatusCode::NOT_FOUND, format!("{why}\n")) };
        return Router::new().route("/mcp", axum::routing::any(off));
    }
    let tools = match select_tools(app.cfg.mcp_tools.as_deref(), false) {
        Ok(t) => t,
        Err(e) => {
            warn!(error = %e, "PLASMA_OPS_MCP_TOOLS is invalid; MCP over HTTP is off");
            let msg = format!("MCP over HTTP is off: PLASMA_OPS_MCP_TOOLS: {e}\n");
            let off = move || async move { (StatusCode::NOT_FOUND, msg) };
            return Router::new().route("/mcp", axum::routing::any(off));
        }
    };
    let policy = match plasma_policy::compile_policy(None, None) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            warn!(error = ?e, "the built-in policy does not compile; MCP over HTTP is off");
            return Router::new();
        }
    };
    let server = PlasmaMcp::new(Arc::clone(app), policy, tools, None);
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_allowed_hosts(allowed_hosts(app.cfg.listen))
        .with_allowed_origins(["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"])
        .enforce_origin_validation();
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .route_service("/mcp", service)
        .layer(middleware::from_fn_with_state(Arc::clone(app), bearer))
}

/// Check 2: the bearer token, compared in constant time.
async fn bearer(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(token) = app.cfg.mcp_token.as_ref().filter(|t| !t.is_empty()) {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !same(given.as_bytes(), token.expose().as_bytes()) {
            metrics::counter!(crate::metrics::REJECTED, "reason" => "mcp_unauthorized")
                .increment(1);
            return Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header(header::WWW_AUTHENTICATE, "Bearer")
                .body(Body::from("a bearer token is required (PLASMA_OPS_MCP_TOKEN)\n"))
                .unwrap_or_else(|_| StatusCode::UNAUTHORIZED.into_response());
        }
    }
    next.run(req).await
}

/// Constant-time equality: the time taken does not say how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in b.iter().enumerate() {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ x);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abd", b"abc"));
        assert!(!same(b"ab", b"abc"));
        assert!(!same(b"abcd", b"abc"));
        assert!(!same(b"", b"abc"));
    }

    async fn app(vars: &[(&str, &str)]) -> Arc<App> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let db =
            std::env::temp_dir().join(format!("plasma-ops-mcp-http-{}-{n}.db", std::process::id()));
        let mut env: std::collections::BTreeMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        env.insert("PLASMA_OPS_DATABASE_URL".into(), format!("sqlite://{}", db.display()));
        let cfg = crate::ServiceConfig::load(&env, None).unwrap_or_else(|e| panic!("{e}"));
        let store = plasma_store::open(&cfg.database_url).await.unwrap_or_else(|e| panic!("{e}"));
        App::new(cfg, store, None, crate::system_clock())
    }

    async fn status(app: &Arc<App>, auth: Option<&str>) -> (StatusCode, String) {
        use tower::ServiceExt;
        let mut req = Request::post("/mcp")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("host", "127.0.0.1");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
        let resp = router(app)
            .with_state(Arc::clone(app))
            .oneshot(req.body(Body::from(body)).unwrap_or_else(|_| unreachable!()))
            .await
            .unwrap_or_else(|e| match e {});
        let code = resp.status();
        let bytes = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        (code, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn off_on_a_non_loopback_bind_without_a_token() {
        let app = app(&[("PLASMA_OPS_LISTEN", "0.0.0.0:0")]).await;
        assert!(refusal(&app).is_some());
        let (code, body) = status(&app, None).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert!(body.contains("PLASMA_OPS_MCP_TOKEN"), "{body}");
    }

    #[tokio::test]
    async fn off_with_an_invalid_tool_list() {
        let app = app(&[("PLASMA_OPS_MCP_TOOLS", "pr_status,bogus")]).await;
        let (code, body) = status(&app, None).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert!(body.contains("bogus"), "{body}");
    }

    #[tokio::test]
    async fn a_token_is_needed_when_set_even_on_loopback() {
        let app =
            app(&[("PLASMA_OPS_MCP_TOKEN", "s3cret"), ("PLASMA_OPS_LISTEN", "0.0.0.0:0")]).await;
        assert!(refusal(&app).is_none());
        assert_eq!(status(&app, None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(status(&app, Some("Bearer nope")).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(status(&app, Some("s3cret")).await.0, StatusCode::UNAUTHORIZED);
        let (code, body) = status(&app, Some("Bearer s3cret")).await;
        assert_eq!(code, StatusCode::OK, "{body}");
    }

    #[test]
    fn the_bound_address_is_an_allowed_host_beside_loopback() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(allowed_hosts(any), ["localhost", "127.0.0.1", "::1"]);
        let lan: SocketAddr = "10.1.2.3:8080".parse().unwrap_or_else(|_| unreachable!());
        assert!(allowed_hosts(lan).contains(&"10.1.2.3".to_string()));
    }
}
