//! Prometheus metrics. Names follow Prometheus conventions (`_total` counters, base units,
//! `plasma_ops_` prefix); `/metrics` serves the text format. No label ever carries a secret.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Deliveries received, by event and outcome (`accepted`, `duplicate`, `ignored`, `bad_signature`,
/// `bad_request`, `unavailable`).
pub const DELIVERIES: &str = "plasma_ops_webhook_deliveries_total";
/// Webhook requests not admitted to the queue, by `reason` (see `ingress::Rejection::reason`).
pub const REJECTED: &str = "plasma_ops_webhook_rejected_total";
/// Requests whose signature was missing or wrong.
pub const SIGNATURE_FAILURES: &str = "plasma_ops_webhook_signature_failures_total";
/// Jobs waiting, running and dead-lettered (gauge, label `state`).
pub const QUEUE_DEPTH: &str = "plasma_ops_queue_jobs";
/// Job attempts by outcome (`done`, `retry`, `dead`, `lease_lost`).
pub const JOB_ATTEMPTS: &str = "plasma_ops_job_attempts_total";
/// Seconds from the first delivery that triggered a job to its plan being applied.
pub const DELIVERY_TO_APPLIED: &str = "plasma_ops_delivery_to_applied_seconds";
/// 1 while the store (SQLite or PostgreSQL) answers, 0 while it does not.
pub const STORE_UP: &str = "plasma_ops_store_up";
/// Rows deleted by retention, by `table` (`deliveries`, `actions`).
pub const PRUNED: &str = "plasma_ops_store_pruned_rows_total";
/// Writes made (or planned, in dry run) by kind.
pub const WRITES: &str = "plasma_ops_github_writes_total";
/// Notification attempts by outcome: `sent`, `retry`, `dead`, `lease_lost`.
pub const NOTIFICATIONS: &str = "plasma_ops_notifications_total";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Install the process-wide recorder once and return its handle.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            // Buckets past a minute: histogram_quantile never reports more than the highest finite
            // bound, so without them the "p99 over a minute" alert could never fire.
            let buckets = crate::telemetry::metrics_bridge::SECONDS_BUCKETS;
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DELIVERY_TO_APPLIED.into()), &buckets)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            // Fanned out to OTLP as well when `telemetry::init` turned it on.
            crate::telemetry::install_recorder(recorder).ok()?;
            Some(handle)
        })
        .clone()
}

/// Describe every metric once so `/metrics` carries HELP lines.
pub fn describe() {
    metrics::describe_counter!(DELIVERIES, "Webhook deliveries received, by event and outcome");
    metrics::describe_counter!(
        SIGNATURE_FAILURES,
        "Webhook requests with a missing or wrong X-Hub-Signature-256"
    );
    metrics::describe_counter!(
        REJECTED,
        "Webhook requests not admitted to the queue, by reason (nothing of them is stored)"
    );
    metrics::describe_gauge!(QUEUE_DEPTH, "Reconcile jobs by state (pending, leased, dead)");
    metrics::describe_counter!(JOB_ATTEMPTS, "Reconcile job attempts by outcome");
    metrics::describe_histogram!(
        DELIVERY_TO_APPLIED,
        metrics::Unit::Seconds,
        "Time from the first triggering delivery to the applied plan"
    );
    metrics::describe_gauge!(STORE_UP, "1 while the store answers, 0 while it is unreachable");
    metrics::describe_counter!(PRUNED, "Rows deleted by retention, by table");
    metrics::describe_counter!(WRITES, "Writes to GitHub by kind and mode (applied or planned)");
    metrics::describe_counter!(NOTIFICATIONS, "Notification attempts by outcome");
}
