//! OpenTelemetry end to end: the real `plasma-ops serve` exporting to an OTLP/HTTP receiver run
//! by this test, which decodes what arrives with the published protocol types
//! (`opentelemetry-proto`). A signed delivery must come back as one trace, ingress → job →
//! GitHub calls, with the same `delivery_id`; the metrics must arrive too; and with the
//! variables unset (or the SDK disabled) nothing may be sent at all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric;
use opentelemetry_proto::tonic::trace::v1::Span;
use plasma_fakehub::FakeHub;
use prost::Message;

const REPO: &str = "plasma-engine/plasma-engine-gateway";
const SECRET: &str = "otlp-test-secret";
const TOKEN: &str = "otlp-test-token";

/// What the receiver was sent.
#[derive(Default)]
struct Received {
    traces: Vec<ExportTraceServiceRequest>,
    metrics: Vec<ExportMetricsServiceRequest>,
    /// Every request, decodable or not, with its path and content type.
    requests: Vec<(String, String)>,
}

type Shared = Arc<Mutex<Received>>;

fn content_type(headers: &axum::http::HeaderMap) -> String {
    headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

async fn traces(
    State(rx): State<Shared>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> (StatusCode, Vec<u8>) {
    let mut rx = rx.lock().unwrap();
    rx.requests.push(("/v1/traces".into(), content_type(&headers)));
    match ExportTraceServiceRequest::decode(body) {
        Ok(req) => {
            rx.traces.push(req);
            (StatusCode::OK, ExportTraceServiceResponse::default().encode_to_vec())
        }
        Err(_) => (StatusCode::BAD_REQUEST, Vec::new()),
    }
}

async fn metrics_in(
    State(rx): State<Shared>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> (StatusCode, Vec<u8>) {
    let mut rx = rx.lock().unwrap();
    rx.requests.push(("/v1/metrics".into(), content_type(&headers)));
    match ExportMetricsServiceRequest::decode(body) {
        Ok(req) => {
            rx.metrics.push(req);
            (StatusCode::OK, ExportMetricsServiceResponse::default().encode_to_vec())
        }
        Err(_) => (StatusCode::BAD_REQUEST, Vec::new()),
    }
}

/// An OTLP/HTTP receiver on 127.0.0.1; returns its base URL.
async fn receiver() -> (String, Shared) {
    let rx = Shared::default();
    let app = axum::Router::new()
        .route("/v1/traces", axum::routing::post(traces))
        .route("/v1/metrics", axum::routing::post(metrics_in))
        .fallback({
            let rx = Arc::clone(&rx);
            move |uri: axum::http::Uri| {
                rx.lock().unwrap().requests.push((uri.path().to_string(), String::new()));
                async { StatusCode::NOT_FOUND }
            }
        })
        .with_state(Arc::clone(&rx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), rx)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(db: &std::path::Path, api: &str, port: u16, otel: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plasma-ops"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PLASMA_OPS_LISTEN", format!("127.0.0.1:{port}"))
        .env("PLASMA_OPS_WEBHOOK_SECRET", SECRET)
        .env("PLASMA_OPS_DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("PLASMA_OPS_GITHUB_API_URL", api)
        .env("PLASMA_OPS_GITHUB_TOKEN", TOKEN)
        .env("PLASMA_OPS_SWEEP_INTERVAL", "1h")
        .env("PLASMA_OPS_LOG_FORMAT", "json");
    for (k, v) in otel {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn plasma-ops serve")
}

async fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn healthy(port: u16) {
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && r.status().is_success()
        {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SIGTERM, then wait for a clean exit: the telemetry is flushed on the way out.
async fn stop(mut child: Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    let start = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("serve did not stop within 30 s of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "serve did not stop cleanly: {exit}");
}

struct Fixture {
    hub: FakeHub,
    number: u64,
    dir: std::path::PathBuf,
}

async fn fixture(name: &str) -> Fixture {
    let hub = FakeHub::start().await.unwrap();
    let number = hub.add_ready_pull(REPO);
    let dir = std::env::temp_dir().join(format!("plasma-ops-otlp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Fixture { hub, number, dir }
}

/// Sends our example `pull_request` delivery for the fixture's pull request.
async fn deliver(port: u16, number: u64, delivery: &str, action: &str) {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/pull_request.opened.json");
    let mut payload: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example).unwrap()).unwrap();
    payload["action"] = serde_json::json!(action);
    payload["number"] = serde_json::json!(number);
    payload["pull_request"]["number"] = serde_json::json!(number);
    let body = serde_json::to_vec(&payload).unwrap();
    let answer = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/webhook"))
        .header("content-type", "application/json")
        .header("x-github-event", "pull_request")
        .header("x-github-delivery", delivery)
        .header("x-hub-signature-256", plasma_github::sign(SECRET.as_bytes(), &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202, "delivery {delivery}");
}

/// Waits until the queue is empty and nothing is leased: every job ran.
async fn drained(db: &std::path::Path) {
    let store = plasma_store::open(&format!("sqlite://{}", db.display())).await.unwrap();
    let start = Instant::now();
    loop {
        let d = store.queue_depth().await.unwrap();
        if d.pending == 0 && d.leased == 0 {
            assert_eq!(d.dead, 0, "a job dead-lettered");
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the queue never drained: {d:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn text(v: &Option<AnyValue>) -> Option<String> {
    match v.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::IntValue(i) => Some(i.to_string()),
        any_value::Value::BoolValue(b) => Some(b.to_string()),
        any_value::Value::DoubleValue(d) => Some(d.to_string()),
        _ => None,
    }
}

fn attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| text(&kv.value))
}

fn hex(id: &[u8]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_one_trace_from_ingress_to_github_and_metrics_arrive() {
    let (collector, rx) = receiver().await;
    let f = fixture("on").await;
    let db = f.dir.join("plasma-ops.db");
    let port = free_port();
    let child = serve(
        &db,
        &f.hub.url(),
        port,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector),
            ("OTEL_SERVICE_NAME", "plasma-ops-test"),
            ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test"),
            // Spans leave within a tenth of a second; metrics only when flushed at shutdown.
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "3600000"),
        ],
    );
    healthy(port).await;

    deliver(port, f.number, "otlp-1", "opened").await;
    drained(&db).await;
    // A second event for the same pull request: its job reads it again and GitHub answers 304.
    deliver(port, f.number, "otlp-2", "edited").await;
    drained(&db).await;
    // Spans are exported while the service runs, not only at the end.
    wait_until("spans to reach the collector", || !rx.lock().unwrap().traces.is_empty()).await;
    // The Prometheus endpoint is still there, OTLP or not.
    let prom = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap();
    let prom = prom.text().await.unwrap();
    assert!(prom.contains("plasma_ops_webhook_deliveries_total"), "{prom}");
    stop(child).await;

    let rx = rx.lock().unwrap();
    for (path, ct) in &rx.requests {
        assert!(path == "/v1/traces" || path == "/v1/metrics", "unexpected request to {path}");
        assert_eq!(ct, "application/x-protobuf", "{path}");
    }

    // Every span, with its resource.
    let mut spans: Vec<&Span> = Vec::new();
    for req in &rx.traces {
        for rs in &req.resource_spans {
            let res = &rs.resource.as_ref().unwrap().attributes;
            assert_eq!(attr(res, "service.name").as_deref(), Some("plasma-ops-test"));
            assert_eq!(attr(res, "deployment.environment").as_deref(), Some("test"));
            for ss in &rs.scope_spans {
                spans.extend(ss.spans.iter());
            }
        }
    }
    let by_id: HashMap<&[u8], &Span> = spans.iter().map(|s| (s.span_id.as_slice(), *s)).collect();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();

    for delivery in ["otlp-1", "otlp-2"] {
        let ingress: Vec<&&Span> = spans
            .iter()
            .filter(|s| {
                s.name == "POST /webhook"
                    && attr(&s.attributes, "delivery_id").as_deref() == Some(delivery)
            })
            .collect();
        assert_eq!(ingress.len(), 1, "{delivery}: one ingress span; spans: {names:?}");
        let ingress = ingress[0];
        assert!(ingress.parent_span_id.is_empty(), "the ingress span is a root");
        assert_eq!(attr(&ingress.attributes, "event").as_deref(), Some("pull_request"));
        assert_eq!(attr(&ingress.attributes, "http.response.status_code").as_deref(), Some("202"));
        let trace = &ingress.trace_id;
        let in_trace: Vec<&&Span> = spans.iter().filter(|s| &s.trace_id == trace).collect();

        let enqueued: Vec<_> = in_trace.iter().filter(|s| s.name == "webhook.enqueued").collect();
        assert_eq!(enqueued.len(), 1, "{delivery}");
        assert_eq!(enqueued[0].parent_span_id, ingress.span_id);
        // The delivery triggers the pull request's job (and, here, the board's).
        let key = format!("{REPO}#{}", f.number);
        let keys = attr(&enqueued[0].attributes, "job_keys").unwrap();
        assert!(keys.split(' ').any(|k| k == key), "{keys}");

        let jobs: Vec<_> = in_trace.iter().filter(|s| s.name == "job").collect();
        assert_eq!(jobs.len(), keys.split(' ').count(), "{delivery}: a job span per job: {keys}");
        for job in &jobs {
            assert_eq!(job.parent_span_id, enqueued[0].span_id, "the job hangs off the delivery");
            assert_eq!(attr(&job.attributes, "delivery_id").as_deref(), Some(delivery));
            let job_key = attr(&job.attributes, "job_key").unwrap();
            assert!(keys.split(' ').any(|k| k == job_key), "{job_key}");
        }
        let job = jobs
            .iter()
            .find(|j| attr(&j.attributes, "job_key").as_deref() == Some(key.as_str()))
            .expect("the pull request's job span");

        let calls: Vec<_> =
            in_trace.iter().filter(|s| attr(&s.attributes, "route").is_some()).collect();
        assert!(!calls.is_empty(), "{delivery}: no GitHub call spans; spans: {names:?}");
        assert!(calls.iter().any(|c| c.parent_span_id == job.span_id));
        for call in &calls {
            // Directly below a job of this delivery (nothing sits between), named by it.
            let parent = jobs
                .iter()
                .find(|j| j.span_id == call.parent_span_id)
                .unwrap_or_else(|| panic!("{} is not below a job", call.name));
            assert!(by_id.contains_key(call.parent_span_id.as_slice()));
            assert_eq!(attr(&call.attributes, "delivery_id").as_deref(), Some(delivery));
            assert_eq!(attr(&call.attributes, "job_key"), attr(&parent.attributes, "job_key"));
            // The templated route, never the concrete path.
            let route = attr(&call.attributes, "route").unwrap();
            let method = attr(&call.attributes, "method").unwrap();
            assert_eq!(call.name, format!("{method} {route}"));
            assert!(!call.name.contains("plasma-engine-gateway"), "{}", call.name);
            let status = attr(&call.attributes, "http.response.status_code");
            assert!(status.is_some(), "{} has no status", call.name);
            assert!(attr(&call.attributes, "github.not_modified").is_some());
        }
        assert!(
            calls.iter().any(|c| c.name == "GET /repos/{owner}/{repo}/pulls/{pull_number}"
                && attr(&c.attributes, "http.response.status_code")
                    .is_some_and(|s| s == "200" || s == "304")),
            "{delivery}: the pull request read: {:?}",
            calls.iter().map(|c| &c.name).collect::<Vec<_>>()
        );
        if delivery == "otlp-2" {
            // The re-read of an unchanged pull request: a 304, said so on its span.
            assert!(
                calls.iter().any(|c| {
                    attr(&c.attributes, "http.response.status_code").as_deref() == Some("304")
                        && attr(&c.attributes, "github.not_modified").as_deref() == Some("true")
                }),
                "no 304 in the second job's calls"
            );
        }
        // The two deliveries are two traces.
        assert!(!spans.iter().any(|s| &s.trace_id == trace
            && attr(&s.attributes, "delivery_id").is_some_and(|d| d != delivery)));
        eprintln!("{delivery}: trace {} with {} spans", hex(trace), in_trace.len());
    }

    // No secret and no body anywhere in what was exported.
    for s in &spans {
        for kv in &s.attributes {
            let v = text(&kv.value).unwrap_or_default();
            assert!(!v.contains(SECRET) && !v.contains(TOKEN), "{}: {}", s.name, kv.key);
            assert!(v.len() < 512, "{}: {} is {} bytes long", s.name, kv.key, v.len());
        }
        for e in &s.events {
            for kv in &e.attributes {
                let v = text(&kv.value).unwrap_or_default();
                assert!(!v.contains(SECRET) && !v.contains(TOKEN), "{}: event {}", s.name, kv.key);
            }
        }
    }

    // Metrics: the existing ones, over OTLP (flushed at shutdown).
    let mut found: HashMap<String, &opentelemetry_proto::tonic::metrics::v1::Metric> =
        HashMap::new();
    for req in &rx.metrics {
        for rm in &req.resource_metrics {
            let res = &rm.resource.as_ref().unwrap().attributes;
            assert_eq!(attr(res, "service.name").as_deref(), Some("plasma-ops-test"));
            for sm in &rm.scope_metrics {
                for m in &sm.metrics {
                    found.insert(m.name.clone(), m);
                }
            }
        }
    }
    let deliveries = found.get("plasma_ops_webhook_deliveries").unwrap_or_else(|| {
        panic!("no deliveries counter; metrics: {:?}", found.keys().collect::<Vec<_>>())
    });
    let Some(metric::Data::Sum(sum)) = &deliveries.data else { panic!("not a sum") };
    assert!(sum.is_monotonic);
    let accepted: i64 = sum
        .data_points
        .iter()
        .filter(|p| attr(&p.attributes, "outcome").as_deref() == Some("accepted"))
        .map(|p| match p.value {
            Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(i)) => i,
            _ => 0,
        })
        .sum();
    assert_eq!(accepted, 2);
    assert!(found.contains_key("plasma_ops_github_requests"), "{:?}", found.keys());
    let Some(metric::Data::Histogram(h)) =
        &found.get("plasma_ops_delivery_to_applied_seconds").expect("latency histogram").data
    else {
        panic!("not a histogram")
    };
    // One latency per job applied: the jobs of both deliveries (a pull request's, a board's).
    let jobs = spans.iter().filter(|s| s.name == "job").count() as u64;
    assert!(jobs >= 2);
    assert_eq!(h.data_points.iter().map(|p| p.count).sum::<u64>(), jobs);
    let _ = std::fs::remove_dir_all(&f.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_exported_when_the_variables_are_unset_or_the_sdk_disabled() {
    let (collector, rx) = receiver().await;
    let f = fixture("off").await;
    let runs: [&[(&str, &str)]; 2] = [
        // Unset: a service name alone does not turn anything on.
        &[("OTEL_SERVICE_NAME", "plasma-ops-test")],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &collector), ("OTEL_SDK_DISABLED", "true")],
    ];
    for (i, otel) in runs.iter().enumerate() {
        let db = f.dir.join(format!("plasma-ops-{i}.db"));
        let port = free_port();
        let child = serve(&db, &f.hub.url(), port, otel);
        healthy(port).await;
        deliver(port, f.number, &format!("off-{i}"), "opened").await;
        drained(&db).await;
        stop(child).await;
    }
    // The jobs ran (GitHub was called) and yet nothing reached the collector.
    assert!(!f.hub.requests().is_empty());
    assert!(rx.lock().unwrap().requests.is_empty(), "{:?}", rx.lock().unwrap().requests);
    let _ = std::fs::remove_dir_all(&f.dir);
}
