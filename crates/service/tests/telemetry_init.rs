//! `telemetry::init_from` with OTLP on, in a process of its own (it installs the global tracing
//! subscriber and the meter): the exporters are built, the metrics recorder fans out to them,
//! and `shutdown` flushes and stops them, with the collector unreachable (a flush that fails is
//! logged, never fatal). The export itself is checked against a real receiver by
//! crates/cli/tests/otlp.rs, in a `serve` subprocess.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use plasma_service::LogFormat;
use plasma_service::telemetry;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_on_builds_the_exporters_and_shutdown_flushes_them() {
    // A port nothing listens on: 127.0.0.1 only, and the flush must not hang or panic.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let var = |name: &str| match name {
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(endpoint.clone()),
        "OTEL_SERVICE_NAME" => Some("plasma-ops-test".to_string()),
        "OTEL_EXPORTER_OTLP_TIMEOUT" => Some("500".to_string()),
        _ => None,
    };
    let t = telemetry::init_from(LogFormat::Json, var).expect("OTLP set up");
    assert!(t.is_on());
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    telemetry::install_recorder(prometheus).expect("the fan-out recorder is the first one");
    metrics::counter!("plasma_ops_test_total").increment(1);
    tracing::info_span!("job", job_key = "pr:a/b#1").in_scope(|| tracing::info!("inside"));
    t.shutdown().await;
}

#[test]
fn without_an_endpoint_nothing_is_built() {
    let t = telemetry::init_from(LogFormat::Text, |_| None).unwrap();
    assert!(!t.is_on());
}
