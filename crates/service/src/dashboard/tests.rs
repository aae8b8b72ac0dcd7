//! Access to the dashboard and its pages over rows written straight into the store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use plasma_store::PrVerdictRow;
use tower::ServiceExt;

use super::*;

async fn app(vars: &[(&str, &str)]) -> Arc<App> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let db = std::env::temp_dir().join(format!("plasma-ops-dash-{}-{n}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let mut env: std::collections::BTreeMap<String, String> =
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    env.insert("PLASMA_OPS_DATABASE_URL".into(), format!("sqlite://{}", db.display()));
    let cfg = crate::ServiceConfig::load(&env, None).unwrap();
    let store = plasma_store::open(&cfg.database_url).await.unwrap();
    App::new(cfg, store, None, Arc::new(|| 1_764_979_200_000))
}

fn row(n: u64, title: &str, state: &str) -> PrVerdictRow {
    PrVerdictRow {
        job_key: format!("o/r#{n}"),
        repository: "o/r".into(),
        number: n,
        title: title.into(),
        author: "bob".into(),
        head_sha: "abc".into(),
        open: true,
        state: state.into(),
        first_blocker: Some("the title <b>must</b> name an issue".into()),
        findings: serde_json::json!([{"rule": "title-format", "severity": "error",
            "message": "title <i>bad</i>", "hint": "rename"}]),
        agent_labels: vec!["agent:docs".into()],
        summary: "## plasma-ops\n- <script>alert(3)</script>".into(),
        last_event_at: Some(1_764_979_000_000),
        dry_run: true,
        updated_at: 1_764_979_100_000,
        first_seen_at: 1_764_900_000_000,
    }
}

async fn call(
    app: &Arc<App>,
    req: axum::http::request::Builder,
) -> (StatusCode, HeaderMap, String) {
    let resp = router(app)
        .with_state(Arc::clone(app))
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap_or_else(|e| match e {});
    let code = resp.status();
    let headers = resp.headers().clone();
    let bytes = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
    (code, headers, String::from_utf8_lossy(&bytes).into_owned())
}

fn get(path: &str) -> axum::http::request::Builder {
    Request::get(path).header("host", "127.0.0.1:8080")
}

#[tokio::test]
async fn off_on_a_non_loopback_bind_without_a_token() {
    let app = app(&[("PLASMA_OPS_LISTEN", "0.0.0.0:0")]).await;
    assert!(refusal(&app).is_some());
    for path in ["/", "/ops", "/pr/o/r/1", "/login"] {
        let (code, _, body) = call(&app, get(path)).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("PLASMA_OPS_DASHBOARD_TOKEN"), "{body}");
    }
}

#[tokio::test]
async fn a_token_is_needed_when_set_by_bearer_or_login_cookie() {
    let app =
        app(&[("PLASMA_OPS_LISTEN", "0.0.0.0:0"), ("PLASMA_OPS_DASHBOARD_TOKEN", "s3cret")]).await;
    assert!(refusal(&app).is_none());
    // A browser is sent to the login form, a JSON client gets 401.
    let (code, headers, _) = call(&app, get("/")).await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login");
    let (code, _, _) = call(&app, get("/ops").header("accept", "application/json")).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let (code, _, _) = call(&app, get("/").header("authorization", "Bearer nope")).await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    let (code, _, _) = call(&app, get("/").header("authorization", "Bearer s3cret")).await;
    assert_eq!(code, StatusCode::OK);
    // The login form: a wrong token is refused, the right one sets an HttpOnly cookie that is
    // not the token and opens the pages.
    let (code, _, form) = call(&app, get("/login")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(form.contains("name=\"token\""), "{form}");
    let post = |token: &str| {
        Request::post("/login")
            .header("host", "127.0.0.1")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={token}")))
            .unwrap()
    };
    let resp = router(&app).with_state(Arc::clone(&app)).oneshot(post("wrong")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = router(&app).with_state(Arc::clone(&app)).oneshot(post("s3cret")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("s3cret"), "{cookie}");
    let value = cookie.split(';').next().unwrap().to_owned();
    let (code, _, page) = call(&app, get("/").header("cookie", format!("a=b; {value}"))).await;
    assert_eq!(code, StatusCode::OK);
    assert!(!page.contains("s3cret"));
    let (code, _, _) = call(&app, get("/").header("cookie", format!("{COOKIE}=s3cret"))).await;
    assert_eq!(code, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_foreign_host_is_refused_on_loopback() {
    let app = app(&[("PLASMA_OPS_LISTEN", "127.0.0.1:0")]).await;
    let (code, _, _) = call(&app, Request::get("/").header("host", "evil.example:8080")).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    for host in ["localhost:1", "127.0.0.1", "[::1]:80"] {
        let (code, _, _) = call(&app, Request::get("/").header("host", host)).await;
        assert_eq!(code, StatusCode::OK, "{host}");
    }
}

#[tokio::test]
async fn pages_escape_every_repository_string_and_answer_json() {
    let app = app(&[("PLASMA_OPS_LISTEN", "127.0.0.1:0")]).await;
    let hostile = row(1, "<script>alert(1)</script>", "needs_fix");
    let planned = plasma_store::NewAction {
        job_key: "o/r#1".into(),
        delivery_id: Some("d-<i>1</i>".into()),
        job_id: Some(7),
        kind: "add_labels".into(),
        dry_run: true,
        before: serde_json::json!({"labels": ["<b>x</b>"]}),
        after: serde_json::json!({"labels": ["status:needs-cursor-fix"]}),
        at: 1_764_979_100_000,
    };
    app.store.record_reconcile("o/r#1", "abc", &[planned], None, Some(&hostile), 1).await.unwrap();
    app.store
        .record_reconcile("o/r#2", "abc", &[], None, Some(&row(2, "fix: ok", "ready")), 1)
        .await
        .unwrap();
    let (code, headers, html) = call(&app, get("/")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<b>must</b>"), "{html}");
    // Without GitHub the service runs dry: the banner says the page shows what it would do.
    assert!(app.dry_run());
    assert!(html.contains("Dry run (shadow mode)") && html.contains("would do"), "{html}");
    let (_, _, html) = call(&app, get("/pr/o/r/1")).await;
    assert!(!html.contains("<script>") && !html.contains("<i>bad</i>"), "{html}");
    assert!(html.contains("<h3>plasma-ops</h3>"), "{html}");
    assert!(html.contains("would"), "{html}");
    assert!(html.contains("planned") && html.contains("Job 7"), "{html}");
    assert!(html.contains("d-&#60;i&#62;1&#60;/i&#62;") && !html.contains("<b>x</b>"), "{html}");
    let (_, headers, json) =
        call(&app, get("/pr/o/r/1").header("accept", "application/json")).await;
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["verdict"]["title"], "<script>alert(1)</script>");
    assert_eq!(v["verdict"]["findings"][0]["hint"], "rename");
    let (code, _, _) = call(&app, get("/pr/o/r/3")).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _, json) = call(&app, get("/ops").header("accept", "application/json")).await;
    assert_eq!(code, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["github"], serde_json::Value::Null);
    assert_eq!(v["samples"].as_array().unwrap().len(), 1, "{v}");
    let (_, _, html) = call(&app, get("/ops")).await;
    assert!(html.contains("No GitHub client"), "{html}");
}

#[tokio::test]
async fn a_thousand_pull_requests_are_grouped_and_paged() {
    let app = app(&[]).await;
    let states = ["needs_review", "needs_fix", "approved", "ready"];
    let rows: Vec<PrVerdictRow> = (1..=1000)
        .map(|n| row(n, &format!("feat: change {n}"), states[(n % 4) as usize]))
        .collect();
    let filter = pages::PipelineFilter::default();
    let page = pages::pipeline(rows.clone(), &filter, false, 1_764_979_200_000);
    assert_eq!(page.total, 1000);
    assert_eq!(page.groups.iter().map(|g| g.count).collect::<Vec<_>>(), [250, 250, 250, 250]);
    assert!(page.groups.iter().all(|g| g.rows.len() == pages::PAGE_SIZE));
    assert_eq!(page.pages, 5);
    assert_eq!(page.next_url.as_deref(), Some("/?page=2"));
    let html = pages::render_pipeline(&page).unwrap();
    assert!(html.contains("page 1 of 5"), "{html}");
    let last = pages::PipelineFilter { page: Some(5), author: Some("bob b".into()), ..filter };
    let page = pages::pipeline(rows, &last, false, 1_764_979_200_000);
    assert_eq!(page.prev_url.as_deref(), Some("/?author=bob%20b&page=4"));
    assert_eq!(page.next_url, None);
    let _ = app;
}

#[test]
fn ages_and_times_read_short() {
    assert_eq!(pages::age(-5), "<1m");
    assert_eq!(pages::age(5 * 60_000), "5m");
    assert_eq!(pages::age(125 * 60_000), "2h 5m");
    assert_eq!(pages::age(3 * 86_400_000 + 4 * 3_600_000), "3d 4h");
    assert_eq!(pages::when(1_764_979_200_000), "2025-12-06 00:00 UTC");
}

#[test]
fn wants_json_only_when_html_is_not_accepted() {
    let h = |v: &str| {
        let mut m = HeaderMap::new();
        m.insert(header::ACCEPT, v.parse().unwrap());
        m
    };
    assert!(wants_json(&h("application/json")));
    assert!(!wants_json(&h("text/html,application/xhtml+xml,application/json;q=0.9")));
    assert!(!wants_json(&HeaderMap::new()));
}
