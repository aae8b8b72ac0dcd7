//! The trace shape, built with the SDK's in-memory exporter (the OTLP wire is tested end to end
//! by `crates/cli/tests/otlp.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use opentelemetry::trace::{SpanId, TraceId, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing::Instrument;
use tracing::instrument::WithSubscriber;
use tracing_subscriber::layer::SubscriberExt;

use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let pairs: Vec<(String, String)> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

#[test]
fn settings_follow_the_standard_variables() {
    let on = |pairs: &[(&str, &str)]| settings(env(pairs));
    // Off: nothing set, an empty endpoint, or the SDK disabled.
    assert_eq!(on(&[]).unwrap(), None);
    assert_eq!(on(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]).unwrap(), None);
    assert_eq!(on(&[("OTEL_SERVICE_NAME", "x")]).unwrap(), None);
    assert_eq!(
        on(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), ("OTEL_SDK_DISABLED", "TRUE")])
            .unwrap(),
        None
    );
    // On, with our default name unless the operator names the service.
    let s = on(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]).unwrap().unwrap();
    assert_eq!(s.default_service_name, Some("plasma-ops"));
    assert_eq!(s.timeout, Duration::from_secs(10));
    let s = on(&[
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://c/v1/traces"),
        ("OTEL_SDK_DISABLED", "false"),
        ("OTEL_SERVICE_NAME", "ops-eu"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(s.default_service_name, None);
    assert_eq!(s.timeout, Duration::from_millis(2500));
    let s = on(&[
        ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://c:4318/v1/metrics"),
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod, service.name=ops"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(s.default_service_name, None);
    // Refused, saying which variable and what to do.
    for (pairs, var) in [
        (vec![("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")], "OTEL_EXPORTER_OTLP_ENDPOINT"),
        (vec![("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://c")], "OTEL_EXPORTER_OTLP_ENDPOINT"),
        (
            vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ],
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
        (
            vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c"),
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon"),
            ],
            "OTEL_EXPORTER_OTLP_TIMEOUT",
        ),
    ] {
        let e = on(&pairs).unwrap_err().to_string();
        assert!(e.starts_with(var), "{e}");
        assert!(e.contains("set it") || e.contains("unset it"), "{e}");
    }
}

#[tokio::test]
async fn nothing_is_built_when_the_variables_are_unset() {
    let t = init_from(LogFormat::Text, env(&[])).unwrap();
    assert!(!t.is_on());
    assert!(METER.get().is_none());
    t.shutdown().await;
    let t = init_from(
        LogFormat::Text,
        env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9"),
            ("OTEL_SDK_DISABLED", "true"),
        ]),
    )
    .unwrap();
    assert!(!t.is_on());
}

#[test]
fn init_outside_a_runtime_is_an_error_not_a_panic() {
    let e = init_from(LogFormat::Text, env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]))
        .unwrap_err();
    assert!(e.to_string().contains("no Tokio runtime"), "{e}");
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
}

fn one<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "{name}: {spans:#?}");
    found[0]
}

/// The ingress on one "replica" and the job on another (two providers, as two processes): the
/// job's span is still the child of the delivery's `webhook.enqueued` span.
#[tokio::test]
async fn a_delivery_and_its_job_form_one_trace_across_replicas() {
    let provider = |exporter: &InMemorySpanExporter| {
        SdkTracerProvider::builder()
            .with_id_generator(ids::DeliveryIds::default())
            .with_span_processor(correlation::CorrelationAttributes)
            .with_simple_exporter(exporter.clone())
            .build()
    };
    let layer = |p: &SdkTracerProvider| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("test"))
            .with_context_activation(false)
            .with_filter(otel_filter())
    };
    let (ingress_spans, worker_spans) =
        (InMemorySpanExporter::default(), InMemorySpanExporter::default());
    let (ingress, worker) = (provider(&ingress_spans), provider(&worker_spans));
    let delivery = "d-0001";

    let sub = tracing_subscriber::registry().with(layer(&ingress));
    let dispatch = tracing::Dispatch::new(sub);
    async {
        let span = webhook_span();
        async {
            delivery_received(delivery, "pull_request");
            delivery_enqueued(delivery, &["o/r#1".to_string()]);
        }
        .instrument(span.clone())
        .await;
        span.record("http.response.status_code", 202u16);
        // A redelivery of the same id (a duplicate: no `webhook.enqueued`) joins the same trace.
        let again = webhook_span();
        async { delivery_received(delivery, "pull_request") }.instrument(again).await;
    }
    .with_subscriber(dispatch)
    .await;

    let sub = tracing_subscriber::registry().with(layer(&worker));
    let dispatch = tracing::Dispatch::new(sub);
    async {
        let job = tracing::info_span!("job", job_key = "o/r#1", delivery_id = delivery);
        job_started(&job, Some(delivery), "o/r#1", &[delivery, "d-0002"]);
        async {
            let call = tracing::info_span!(
                "github_request",
                otel.name = "GET /repos/{owner}/{repo}/pulls/{pull_number}",
                http.response.status_code = 304u16,
            );
            async {}.instrument(call).await;
        }
        .instrument(job)
        .await;
        // A sweep's job: a trace of its own, still named by its key.
        let sweep = tracing::info_span!("job", job_key = "o/r#2");
        job_started(&sweep, None, "o/r#2", &[]);
        async {
            let call = tracing::info_span!("github_request");
            async {}.instrument(call).await;
        }
        .instrument(sweep)
        .await;
    }
    .with_subscriber(dispatch)
    .await;

    let ing = ingress_spans.get_finished_spans().unwrap();
    let work = worker_spans.get_finished_spans().unwrap();
    let trace = ids::trace_id(delivery);
    let webhooks: Vec<_> = ing.iter().filter(|s| s.name == "POST /webhook").collect();
    assert_eq!(webhooks.len(), 2, "{ing:#?}");
    for w in &webhooks {
        assert_eq!(w.span_context.trace_id(), trace);
        assert_eq!(w.parent_span_id, SpanId::INVALID, "the ingress span is the root");
        assert_eq!(attr(w, "delivery_id").as_deref(), Some(delivery));
        assert_eq!(attr(w, "event").as_deref(), Some("pull_request"));
    }
    assert_ne!(webhooks[0].span_context.span_id(), webhooks[1].span_context.span_id());
    let enqueued = one(&ing, "webhook.enqueued");
    assert_eq!(enqueued.span_context.span_id(), ids::enqueued_span_id(delivery));
    assert_eq!(enqueued.span_context.trace_id(), trace);
    assert!(webhooks.iter().any(|w| w.span_context.span_id() == enqueued.parent_span_id));
    assert_eq!(attr(enqueued, "job_keys").as_deref(), Some("o/r#1"));

    let jobs: Vec<_> = work.iter().filter(|s| s.name == "job").collect();
    let job = jobs.iter().find(|j| attr(j, "job_key").as_deref() == Some("o/r#1")).unwrap();
    assert_eq!(job.span_context.trace_id(), trace);
    assert_eq!(job.parent_span_id, enqueued.span_context.span_id());
    assert!(job.parent_span_is_remote);
    // The other delivery it coalesced is a link, not a second parent.
    assert_eq!(job.links.len(), 1);
    assert_eq!(job.links[0].span_context.trace_id(), ids::trace_id("d-0002"));
    // Its own fields, not duplicated from the baggage.
    assert_eq!(job.attributes.iter().filter(|kv| kv.key.as_str() == "delivery_id").count(), 1);

    let call =
        work.iter().find(|s| s.name == "GET /repos/{owner}/{repo}/pulls/{pull_number}").unwrap();
    assert_eq!(call.span_context.trace_id(), trace);
    assert_eq!(call.parent_span_id, job.span_context.span_id());
    assert_eq!(attr(call, "delivery_id").as_deref(), Some(delivery));
    assert_eq!(attr(call, "job_key").as_deref(), Some("o/r#1"));
    assert_eq!(attr(call, "http.response.status_code").as_deref(), Some("304"));

    let sweep = jobs.iter().find(|j| attr(j, "job_key").as_deref() == Some("o/r#2")).unwrap();
    assert_ne!(sweep.span_context.trace_id(), trace);
    assert_ne!(sweep.span_context.trace_id(), TraceId::INVALID);
    let sweep_call = work
        .iter()
        .find(|s| {
            s.name == "github_request" && s.span_context.trace_id() == sweep.span_context.trace_id()
        })
        .unwrap();
    assert_eq!(attr(sweep_call, "job_key").as_deref(), Some("o/r#2"));
    assert_eq!(attr(sweep_call, "delivery_id"), None);
}
