//! The dashboard on `plasma-ops serve` (issue 10): server-rendered pages over what the store
//! keeps — the last verdict per pull request, the action log, the queue — and what this process
//! counted (GitHub calls, minute samples for the charts). No page calls GitHub and none needs
//! JavaScript. Each route answers JSON instead of HTML when asked (`Accept: application/json`).
//!
//! Access, checked in this order:
//! 1. bound to a non-loopback address without `PLASMA_OPS_DASHBOARD_TOKEN` -> every dashboard
//!    route answers 404 saying why (and a log line at start): nobody on the network reads it;
//! 2. a `Host` that is neither a loopback name nor the bound address -> 403 (DNS rebinding);
//! 3. a token is set -> the request carries it as `Authorization: Bearer ...` or as the session
//!    cookie the login form (`/login`) sets (HttpOnly, SameSite=Strict, a MAC of the token,
//!    never the token itself); otherwise HTML readers are sent to `/login`, others get 401.
//!
//! Everything is read-only: the only POST is the login form.

pub mod history;
pub mod markdown;
pub mod pages;
pub mod report;
pub mod svg;
pub mod verdict;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use tracing::warn;

use crate::app::App;

/// The session cookie the login form sets.
pub const COOKIE: &str = "plasma_ops_dashboard";

/// Why the dashboard is off, when it is.
pub fn refusal(app: &App) -> Option<&'static str> {
    (token(app).is_none() && !app.cfg.listen.ip().is_loopback()).then_some(
        "the dashboard is off: the service is bound to a non-loopback address and \
         PLASMA_OPS_DASHBOARD_TOKEN is not set",
    )
}

fn token(app: &App) -> Option<&str> {
    app.cfg.dashboard_token.as_ref().map(|t| t.expose()).filter(|t| !t.is_empty())
}

/// The dashboard's routes for `app`; when it is off, routes that say why (and a log line).
pub fn router(app: &Arc<App>) -> Router<Arc<App>> {
    if let Some(why) = refusal(app) {
        warn!("{why}");
        let off = move || async move { (StatusCode::NOT_FOUND, format!("{why}\n")) };
        return Router::new()
            .route("/", get(off))
            .route("/ops", get(off))
            .route("/report", get(off))
            .route("/login", get(off))
            .route("/pr/{owner}/{repo}/{number}", get(off));
    }
    Router::new()
        .route("/", get(pipeline))
        .route("/pr/{owner}/{repo}/{number}", get(pull_request))
        .route("/ops", get(ops))
        .route("/report", get(report::page))
        .route("/login", get(login_form).post(login))
        .layer(middleware::from_fn_with_state(Arc::clone(app), guard))
}

/// Checks 2 and 3 of the module's list.
async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !host_allowed(host, app.cfg.listen) {
        return (StatusCode::FORBIDDEN, "this Host may not read the dashboard\n").into_response();
    }
    let Some(token) = token(&app) else { return next.run(req).await };
    if req.uri().path() == "/login" || authorized(req.headers(), token) {
        return next.run(req).await;
    }
    if wants_json(req.headers()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a bearer token is required (PLASMA_OPS_DASHBOARD_TOKEN)\n",
        )
            .into_response();
    }
    Redirect::to("/login").into_response()
}

/// Loopback names and the bound address, with or without a port.
fn host_allowed(host: &str, listen: SocketAddr) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let ip = listen.ip();
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback())
        || (!ip.is_unspecified() && name == ip.to_string())
        // Bound to every address: any name reaches it, and the token (required there) guards it.
        || ip.is_unspecified()
}

fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_some_and(|b| same(b.as_bytes(), token.as_bytes())) {
        return true;
    }
    let expected = session(token);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .any(|v| same(v.as_bytes(), expected.as_bytes()))
}

/// The cookie's value: a MAC of a fixed message under the token, so the cookie does not carry
/// the token and changing the token ends every session.
fn session(token: &str) -> String {
    match hmac::Hmac::<sha2::Sha256>::new_from_slice(token.as_bytes()) {
        Ok(mut mac) => {
            mac.update(b"plasma-ops dashboard session v1");
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes a key of any length; keep a value no cookie can match.
        Err(_) => String::from("\u{0}"),
    }
}

/// Constant-time equality.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in b.iter().enumerate() {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ x);
    }
    diff == 0
}

/// Whether the client asked for JSON rather than a page.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// A page or its JSON model.
fn answer<T: serde::Serialize>(
    headers: &HeaderMap,
    model: &T,
    html: Result<String, askama::Error>,
) -> Response {
    if wants_json(headers) {
        return axum::Json(model).into_response();
    }
    match html {
        Ok(page) => (
            [(header::CACHE_CONTROL, "no-store"), (header::X_FRAME_OPTIONS, "DENY")],
            [(header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'")],
            Html(page),
        )
            .into_response(),
        Err(e) => {
            warn!(error = %e, "a dashboard page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page failed to render\n").into_response()
        }
    }
}

fn store_failed(e: &plasma_store::StoreError) -> Response {
    warn!(error = %e, "the dashboard could not read the store");
    (StatusCode::SERVICE_UNAVAILABLE, format!("the store could not be read: {e}\n")).into_response()
}

async fn pipeline(
    State(app): State<Arc<App>>,
    Query(filter): Query<pages::PipelineFilter>,
    headers: HeaderMap,
) -> Response {
    let rows = match app.store.open_verdicts().await {
        Ok(r) => r,
        Err(e) => return store_failed(&e),
    };
    let model = pages::pipeline(rows, &filter, app.dry_run(), app.now());
    let html = pages::render_pipeline(&model);
    answer(&headers, &model, html)
}

async fn pull_request(
    State(app): State<Arc<App>>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    headers: HeaderMap,
) -> Response {
    let key = format!("{owner}/{repo}#{number}");
    let verdict = match app.store.verdict(&key).await {
        Ok(v) => v,
        Err(e) => return store_failed(&e),
    };
    let filter = plasma_store::ActionFilter {
        key: Some(key.clone()),
        ..plasma_store::ActionFilter::all(pages::TIMELINE_LIMIT)
    };
    let actions = match app.store.find_actions(&filter).await {
        Ok(a) => a,
        Err(e) => return store_failed(&e),
    };
    if verdict.is_none() && actions.is_empty() {
        let msg = format!("plasma-ops has not reconciled {key}\n");
        return (StatusCode::NOT_FOUND, msg).into_response();
    }
    let mut deliveries = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for id in actions.iter().filter_map(|a| a.delivery_id.as_deref()) {
        if seen.insert(id.to_owned())
            && deliveries.len() < pages::TIMELINE_LIMIT as usize
            && let Ok(Some(d)) = app.store.delivery(id).await
        {
            deliveries.push(d);
        }
    }
    let model = pages::pull_request(&key, verdict, &actions, &deliveries, app.now());
    let html = pages::render_pull_request(&model);
    answer(&headers, &model, html)
}

async fn ops(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let now = app.now();
    history::sample(&app, now).await;
    let depth = match app.store.queue_depth().await {
        Ok(d) => d,
        Err(e) => return store_failed(&e),
    };
    let dead = match app.store.jobs(plasma_store::JobFilter::Dead).await {
        Ok(d) => d,
        Err(e) => return store_failed(&e),
    };
    let since = now - history::WINDOW_MS;
    let latencies = match app.store.delivery_latencies(since, pages::LATENCY_LIMIT).await {
        Ok(l) => l,
        Err(e) => return store_failed(&e),
    };
    let github = app.github.as_ref().map(|g| (g.stats(), g.rate_limits()));
    let model = pages::ops(depth, &dead, github, &latencies, &app.history.samples(), now);
    let html = pages::render_ops(&model);
    answer(&headers, &model, html)
}

async fn login_form() -> Response {
    // Always the page: there is no model to answer as JSON.
    answer(&HeaderMap::new(), &(), pages::render_login(false))
}

#[derive(Deserialize)]
struct Login {
    token: String,
}

async fn login(State(app): State<Arc<App>>, Form(form): Form<Login>) -> Response {
    let Some(token) = token(&app) else { return Redirect::to("/").into_response() };
    if !same(form.token.as_bytes(), token.as_bytes()) {
        metrics::counter!(crate::metrics::REJECTED, "reason" => "dashboard_login").increment(1);
        let page = pages::render_login(true).unwrap_or_default();
        return (StatusCode::UNAUTHORIZED, Html(page)).into_response();
    }
    let cookie =
        format!("{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200", session(token));
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

#[cfg(test)]
mod tests;
