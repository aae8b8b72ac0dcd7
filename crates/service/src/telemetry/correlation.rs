//! `delivery_id` and `job_key` on every span of a job: the job span puts them in its context's
//! baggage ([`super::job_started`]) and this processor writes them on each span started under it
//! (a GitHub call knows nothing of jobs). Baggage is never propagated: nothing here injects it
//! into a request.

use std::time::Duration;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::Span as _;
use opentelemetry::{Context, Key, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

/// The delivery that caused the work.
pub const DELIVERY_ID: &str = "delivery_id";
/// The reconcile job's key.
pub const JOB_KEY: &str = "job_key";

/// Copies the correlation baggage onto spans as attributes.
#[derive(Debug)]
pub struct CorrelationAttributes;

impl SpanProcessor for CorrelationAttributes {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        let baggage = cx.baggage();
        if baggage.is_empty() {
            return;
        }
        // A span that names them itself (the job span's own fields) keeps its own.
        let own: Vec<Key> = span
            .exported_data()
            .map(|d| d.attributes.into_iter().map(|kv| kv.key).collect())
            .unwrap_or_default();
        for key in [DELIVERY_ID, JOB_KEY] {
            let key = Key::from_static_str(key);
            if own.contains(&key) {
                continue;
            }
            if let Some(value) = baggage.get(key.clone()) {
                span.set_attribute(KeyValue::new(key, value.clone()));
            }
        }
    }

    fn on_end(&self, _span: SpanData) {}

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}
