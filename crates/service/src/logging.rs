//! Logs: JSON lines for machines (one correlation id, `delivery_id`, carried from ingress through
//! the job to every GitHub call it causes, via tracing spans), or text for terminals. Always to
//! standard error, so `plasma-ops` output on standard output stays clean.
//!
//! `RUST_LOG` filters the logs only: the OpenTelemetry layer, when `telemetry` adds one, has its
//! own filter.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::LogFormat;

/// A layer over the bare registry, as the subscriber is assembled here.
pub type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Install the global subscriber (once; later calls are ignored). `RUST_LOG` refines the filter.
pub fn init(format: LogFormat) {
    init_with_default(format, "info");
}

/// [`init`] with another default level when `RUST_LOG` is unset (`plasma-ops mcp`: `warn`, so an
/// agent's client does not show the SDK's per-session lines as errors).
pub fn init_with_default(format: LogFormat, level: &str) {
    install(format, level, None);
}

/// The log layer filtered by `RUST_LOG` (or `level`), plus `extra` (the OpenTelemetry layer).
/// Returns whether this call installed the subscriber (false when one was already set).
pub fn install(format: LogFormat, level: &str, extra: Option<BoxedLayer>) -> bool {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs: BoxedLayer = match format {
        LogFormat::Json => {
            fmt.json().with_current_span(true).with_span_list(true).with_filter(filter).boxed()
        }
        LogFormat::Text => fmt.with_filter(filter).boxed(),
    };
    let mut layers = vec![logs];
    layers.extend(extra);
    tracing_subscriber::registry().with(layers).try_init().is_ok()
}
