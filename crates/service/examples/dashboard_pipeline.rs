//! Benchmark (BENCHMARKS.md, "Dashboard"): the pipeline page's server time at 1,000 open pull
//! requests — `GET /` through the service's router: the store read (SQLite, a file), the page
//! model (filter, grouping, paging) and the HTML rendering. Prints the median and the slowest of
//! 50 requests after 5 warm-up requests.
//!
//! `cargo run --release -p plasma-service --example dashboard_pipeline`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use plasma_service::{App, ServiceConfig};
use plasma_store::PrVerdictRow;
use tower::ServiceExt;

const PRS: u64 = 1_000;

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("plasma-ops-dash-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut env = std::collections::BTreeMap::new();
    env.insert(
        "PLASMA_OPS_DATABASE_URL".to_string(),
        format!("sqlite://{}", dir.join("bench.db").display()),
    );
    let cfg = ServiceConfig::load(&env, None).unwrap();
    let store = plasma_store::open(&cfg.database_url).await.unwrap();
    let states = ["needs_review", "needs_fix", "approved", "ready"];
    for n in 1..=PRS {
        let repo = format!("plasma-engine/service-{}", n % 12);
        let row = PrVerdictRow {
            job_key: format!("{repo}#{n}"),
            repository: repo,
            number: n,
            title: format!("[PE-{n}] Change number {n} of the benchmark's thousand"),
            author: format!("dev{}", n % 40),
            head_sha: format!("{n:040x}"),
            open: true,
            state: states[(n % 4) as usize].into(),
            first_blocker: (n % 3 == 0).then(|| "required check `lint` is missing".into()),
            findings: serde_json::json!([{"rule": "required-checks", "severity": "error",
                "message": "required check `lint` is missing", "hint": "run it"}]),
            agent_labels: vec![format!("agent:{}", ["rust", "python", "docs"][(n % 3) as usize])],
            summary: "## plasma-ops\n- one\n- two".into(),
            last_event_at: Some(1_764_979_000_000 + n as i64),
            dry_run: false,
            updated_at: 1_764_979_100_000,
            first_seen_at: 1_764_900_000_000,
        };
        store.record_reconcile(&row.job_key.clone(), "", &[], None, Some(&row), 1).await.unwrap();
    }
    let app = App::new(cfg, store, None, Arc::new(|| 1_764_979_200_000));
    let router = app.router();
    let mut times = Vec::new();
    let mut bytes = 0;
    for i in 0..55 {
        let req = Request::get("/").header("host", "127.0.0.1").body(Body::empty()).unwrap();
        let start = Instant::now();
        let resp = router.clone().oneshot(req).await.unwrap();
        let body = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
        let took = start.elapsed();
        bytes = body.len();
        if i >= 5 {
            times.push(took);
        }
    }
    times.sort();
    println!(
        "pipeline page, {PRS} open pull requests: median {:.2} ms, slowest {:.2} ms over {} requests ({} bytes of HTML)",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        times.len(),
        bytes
    );
    let _ = std::fs::remove_dir_all(&dir);
}
