//! Logs: JSON lines for machines (one correlation id, `delivery_id`, carried from ingress through
//! the job to every GitHub call it causes, via tracing spans), or text for terminals. Always to
//! standard error, so `plasma-ops` output on standard output stays clean.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Install the global subscriber (once; later calls are ignored). `RUST_LOG` refines the filter.
pub fn init(format: LogFormat) {
    init_with_default(format, "info");
}

/// [`init`] with another default level when `RUST_LOG` is unset (`plasma-ops mcp`: `warn`, so an
/// agent's client does not show the SDK's per-session lines as errors).
pub fn init_with_default(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
