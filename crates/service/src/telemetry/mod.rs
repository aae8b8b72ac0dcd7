//! OpenTelemetry: traces and metrics over OTLP/HTTP (protobuf), switched on and configured only
//! by the standard variables — `OTEL_EXPORTER_OTLP_ENDPOINT` (or the per-signal
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `_METRICS_ENDPOINT`), `OTEL_SERVICE_NAME`,
//! `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SDK_DISABLED` and the SDK's own (`OTEL_BSP_*`,
//! `OTEL_METRIC_EXPORT_INTERVAL`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`).
//! With none of the endpoints set nothing is built: no exporter, no thread, no OTel layer, and
//! the `metrics` facade goes straight to Prometheus as before.
//!
//! Traces: one per delivery (see [`ids`]): `webhook` (the ingress request) → `webhook.enqueued`
//! (the delivery committed with its jobs) → `job` (on whichever replica runs it) →
//! `github.request` (one per GitHub call: templated route, status, 304 or not). `delivery_id`
//! and `job_key` ride along as baggage inside the process and are written on every span below
//! the job ([`correlation`]); nothing is ever propagated out of the process: no `traceparent`
//! goes to GitHub, Slack or the collector.

pub mod correlation;
pub mod ids;
pub mod metrics_bridge;
pub mod transport;

use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Span;
use tracing::level_filters::LevelFilter;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;

use crate::config::LogFormat;

/// The variables that name a collector: one of them set turns OTLP on.
pub const ENDPOINT_VARS: [&str; 3] = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
];

/// The exporter's request timeout when `OTEL_EXPORTER_OTLP_TIMEOUT` is unset (the spec's 10 s).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why OTLP could not be set up. The service refuses to start rather than run unobserved when
/// an operator asked for telemetry.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// A variable with a value we cannot use.
    #[error("{var}={value:?}: {why}; {fix}")]
    Variable {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        why: String,
        /// What to do.
        fix: &'static str,
    },
    /// The SDK refused to build an exporter.
    #[error("cannot build the OTLP {signal} exporter: {detail}")]
    Exporter {
        /// `traces` or `metrics`.
        signal: &'static str,
        /// The SDK's message.
        detail: String,
    },
}

/// What the environment asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Request timeout of the exporter.
    pub timeout: Duration,
    /// `service.name` to set, when neither `OTEL_SERVICE_NAME` nor `OTEL_RESOURCE_ATTRIBUTES`
    /// names the service (the SDK reads both itself).
    pub default_service_name: Option<&'static str>,
}

/// Reads the variables through `var`; `Ok(None)` when OTLP is off (no endpoint, or
/// `OTEL_SDK_DISABLED=true`).
pub fn settings(var: impl Fn(&str) -> Option<String>) -> Result<Option<Settings>, TelemetryError> {
    let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    if set("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    let mut any = false;
    for name in ENDPOINT_VARS {
        let Some(value) = set(name) else { continue };
        any = true;
        let scheme_ok =
            reqwest::Url::parse(value.trim()).map_err(|e| e.to_string()).and_then(|u| {
                if matches!(u.scheme(), "http" | "https") {
                    Ok(())
                } else {
                    Err(format!("scheme `{}` is not http or https", u.scheme()))
                }
            });
        if let Err(why) = scheme_ok {
            return Err(TelemetryError::Variable {
                var: name,
                value,
                why,
                fix: "set it to the collector's OTLP/HTTP address, e.g. http://127.0.0.1:4318",
            });
        }
    }
    if !any {
        return Ok(None);
    }
    if let Some(p) = set("OTEL_EXPORTER_OTLP_PROTOCOL")
        && p.trim() != "http/protobuf"
    {
        return Err(TelemetryError::Variable {
            var: "OTEL_EXPORTER_OTLP_PROTOCOL",
            value: p,
            why: "plasma-ops exports OTLP over HTTP with protobuf only".into(),
            fix: "unset it or set it to http/protobuf (the collector's port 4318)",
        });
    }
    let timeout = match set("OTEL_EXPORTER_OTLP_TIMEOUT") {
        None => DEFAULT_TIMEOUT,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => Duration::from_millis(ms),
            _ => {
                return Err(TelemetryError::Variable {
                    var: "OTEL_EXPORTER_OTLP_TIMEOUT",
                    value: v,
                    why: "not a positive number of milliseconds".into(),
                    fix: "set it in milliseconds, e.g. 10000",
                });
            }
        },
    };
    let names_service = set("OTEL_SERVICE_NAME").is_some()
        || set("OTEL_RESOURCE_ATTRIBUTES")
            .is_some_and(|a| a.split(',').any(|kv| kv.trim().starts_with("service.name=")));
    Ok(Some(Settings { timeout, default_service_name: (!names_service).then_some("plasma-ops") }))
}

/// The OTel meter the metrics bridge writes to, once OTLP is on.
static METER: OnceLock<Meter> = OnceLock::new();

/// Installs `prometheus` as the `metrics` recorder, fanned out to OTLP when it is on.
pub fn install_recorder(
    prometheus: metrics_exporter_prometheus::PrometheusRecorder,
) -> Result<(), metrics::SetRecorderError<()>> {
    let done = match METER.get() {
        Some(meter) => {
            metrics::set_global_recorder(metrics_bridge::Fanout::new(prometheus, meter.clone()))
                .map_err(|_| ())
        }
        None => metrics::set_global_recorder(prometheus).map_err(|_| ()),
    };
    done.map_err(|()| metrics::SetRecorderError(()))
}

/// The providers to flush at shutdown; empty when OTLP is off.
#[derive(Debug, Default)]
#[must_use = "call `shutdown` when the service stops, or the last spans and metrics are lost"]
pub struct Telemetry {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
}

impl Telemetry {
    /// Whether OTLP export is on.
    pub fn is_on(&self) -> bool {
        self.tracer.is_some() || self.meter.is_some()
    }

    /// Exports what is still buffered and stops the exporters. The SDK blocks while it flushes,
    /// and its HTTP requests run on this runtime, so the wait happens on a blocking thread.
    pub async fn shutdown(self) {
        let Telemetry { tracer, meter } = self;
        if tracer.is_none() && meter.is_none() {
            return;
        }
        let done = tokio::task::spawn_blocking(move || {
            let mut errors = Vec::new();
            if let Some(t) = tracer
                && let Err(e) = t.shutdown()
            {
                errors.push(format!("traces: {e}"));
            }
            if let Some(m) = meter
                && let Err(e) = m.shutdown()
            {
                errors.push(format!("metrics: {e}"));
            }
            errors
        })
        .await;
        match done {
            Ok(errors) if errors.is_empty() => tracing::info!("telemetry flushed"),
            Ok(errors) => {
                tracing::warn!(errors = %errors.join("; "), "telemetry not fully flushed")
            }
            Err(e) => tracing::warn!(error = %e, "telemetry flush task failed"),
        }
    }
}

/// Sets up logging and, when the environment asks for it, OTLP export of traces and metrics.
/// Call it from inside the runtime the service runs on, before [`crate::App::new`] (which
/// installs the metrics recorder).
pub fn init(format: LogFormat) -> Result<Telemetry, TelemetryError> {
    init_from(format, |name| std::env::var(name).ok())
}

/// [`init`] reading the variables through `var`.
pub fn init_from(
    format: LogFormat,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Telemetry, TelemetryError> {
    let Some(settings) = settings(&var)? else {
        crate::logging::init(format);
        return Ok(Telemetry::default());
    };
    let runtime = tokio::runtime::Handle::try_current().map_err(|e| TelemetryError::Exporter {
        signal: "traces",
        detail: format!("no Tokio runtime to send from: {e}"),
    })?;
    let client = transport::RuntimeClient::new(runtime, settings.timeout)
        .map_err(|e| TelemetryError::Exporter { signal: "traces", detail: e.to_string() })?;
    let mut resource = Resource::builder()
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    if let Some(name) = settings.default_service_name {
        resource = resource.with_service_name(name);
    }
    let resource = resource.build();

    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_http_client(client.clone())
        .build()
        .map_err(|e| TelemetryError::Exporter { signal: "traces", detail: e.to_string() })?;
    let tracer_provider = SdkTracerProvider::builder()
        .with_resource(resource.clone())
        .with_id_generator(ids::DeliveryIds::default())
        .with_span_processor(correlation::CorrelationAttributes)
        .with_batch_exporter(spans)
        .build();

    let metrics_exporter = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_http_client(client)
        .build()
        .map_err(|e| TelemetryError::Exporter { signal: "metrics", detail: e.to_string() })?;
    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource)
        .with_periodic_exporter(metrics_exporter)
        .build();
    // A second `init` in one process (tests) keeps the first meter, as the recorder does.
    let _ = METER.set(meter_provider.meter("plasma-ops"));

    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer_provider.tracer("plasma-ops"))
        // Spans start when their ids are known (see `delivery_received`), not when first entered.
        .with_context_activation(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_filter(otel_filter());
    crate::logging::install(format, "info", Some(Box::new(layer)));
    Ok(Telemetry { tracer: Some(tracer_provider), meter: Some(meter_provider) })
}

/// What reaches OTLP: plasma-ops' own spans and events at info and above, none of the libraries'
/// (the exporter's own HTTP requests included).
fn otel_filter() -> Targets {
    Targets::new().with_target("plasma_", LevelFilter::INFO)
}

/// The ingress span, opened before anything is known about the request.
pub fn webhook_span() -> Span {
    tracing::info_span!(
        "webhook",
        otel.name = "POST /webhook",
        otel.kind = "server",
        delivery_id = tracing::field::Empty,
        event = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
    )
}

/// Called in the ingress span once the delivery's signature checked out: names the delivery on
/// the span and starts it in the delivery's trace.
pub fn delivery_received(delivery_id: &str, event: &str) {
    let span = Span::current();
    span.record("delivery_id", delivery_id);
    span.record("event", event);
    // A root of its own whatever encloses it; its trace is the delivery's.
    let _ = span.set_parent(Context::new());
    ids::start_with_ids(Some(ids::trace_id(delivery_id)), None, || span.context());
}

/// Called in the ingress span when the delivery and its jobs are committed (never for a
/// duplicate): the `webhook.enqueued` span, with the id job spans on any replica take as parent.
pub fn delivery_enqueued(delivery_id: &str, jobs: &[String]) {
    let span = tracing::info_span!(
        "webhook.enqueued",
        delivery_id,
        jobs = jobs.len(),
        job_keys = %jobs.join(" "),
    );
    ids::start_with_ids(
        Some(ids::trace_id(delivery_id)),
        Some(ids::enqueued_span_id(delivery_id)),
        || span.context(),
    );
}

/// Puts a job's span in the trace of the delivery that caused it (`delivery_id`, when the job
/// has one: a sweep's jobs start traces of their own), linked to the other deliveries it
/// coalesced, and hands `delivery_id` and `job_key` down to every span below it.
pub fn job_started(span: &Span, delivery_id: Option<&str>, job_key: &str, others: &[&str]) {
    let mut baggage = vec![KeyValue::new(correlation::JOB_KEY, job_key.to_string())];
    let parent = match delivery_id {
        Some(d) => {
            baggage.push(KeyValue::new(correlation::DELIVERY_ID, d.to_string()));
            Context::new().with_remote_span_context(ids::enqueued_context(d))
        }
        None => Context::new(),
    };
    let _ = span.set_parent(parent.with_baggage(baggage));
    for other in others.iter().filter(|o| Some(**o) != delivery_id) {
        span.add_link(ids::enqueued_context(other));
    }
}

#[cfg(test)]
mod tests;
