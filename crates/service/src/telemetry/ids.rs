//! One trace per delivery, across replicas, with nothing stored: the trace id and the span id of
//! the delivery's `webhook.enqueued` span are derived from the `X-GitHub-Delivery` id, so a worker
//! on any replica that later runs a job triggered by that delivery can name its parent from the
//! job's causes alone (the store already keeps the delivery ids with the job).
//!
//! The SDK draws ids from its [`IdGenerator`]; [`DeliveryIds`] hands out a derived pair when the
//! calling thread asked for one just before starting the span ([`start_with_ids`]) and random ids
//! otherwise.

use std::cell::Cell;

use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};
use sha2::{Digest, Sha256};

/// The trace a delivery's spans belong to.
pub fn trace_id(delivery_id: &str) -> TraceId {
    let digest =
        Sha256::new().chain_update(b"plasma-ops trace\0").chain_update(delivery_id).finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    // An all-zero id is invalid; a hash reaching it is astronomically unlikely, but never emit it.
    if bytes == [0; 16] {
        bytes[15] = 1;
    }
    TraceId::from_bytes(bytes)
}

/// The span id of the delivery's `webhook.enqueued` span: the parent of every job span the
/// delivery caused.
pub fn enqueued_span_id(delivery_id: &str) -> SpanId {
    let digest =
        Sha256::new().chain_update(b"plasma-ops enqueued\0").chain_update(delivery_id).finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    if bytes == [0; 8] {
        bytes[7] = 1;
    }
    SpanId::from_bytes(bytes)
}

/// The remote parent a job span takes: the delivery's `webhook.enqueued` span, sampled (a
/// delivery's trace is recorded whole or not at all; the ingress decided).
pub fn enqueued_context(delivery_id: &str) -> SpanContext {
    SpanContext::new(
        trace_id(delivery_id),
        enqueued_span_id(delivery_id),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    )
}

thread_local! {
    /// Ids the next span started on this thread takes, each consumed once.
    static NEXT_TRACE: Cell<Option<TraceId>> = const { Cell::new(None) };
    static NEXT_SPAN: Cell<Option<SpanId>> = const { Cell::new(None) };
}

/// Runs `start` (which must start exactly one span, synchronously) with the given ids offered to
/// the SDK; whatever `start` did not consume is withdrawn afterwards.
pub fn start_with_ids<R>(
    trace: Option<TraceId>,
    span: Option<SpanId>,
    start: impl FnOnce() -> R,
) -> R {
    NEXT_TRACE.with(|c| c.set(trace));
    NEXT_SPAN.with(|c| c.set(span));
    let out = start();
    NEXT_TRACE.with(|c| c.set(None));
    NEXT_SPAN.with(|c| c.set(None));
    out
}

/// The SDK's id generator: random, unless [`start_with_ids`] offered ids on this thread.
#[derive(Debug, Default)]
pub struct DeliveryIds {
    random: RandomIdGenerator,
}

impl IdGenerator for DeliveryIds {
    fn new_trace_id(&self) -> TraceId {
        NEXT_TRACE.with(Cell::take).unwrap_or_else(|| self.random.new_trace_id())
    }

    fn new_span_id(&self) -> SpanId {
        NEXT_SPAN.with(Cell::take).unwrap_or_else(|| self.random.new_span_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_distinct_and_valid() {
        let a = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
        assert_eq!(trace_id(a), trace_id(a));
        assert_eq!(enqueued_span_id(a), enqueued_span_id(a));
        assert_ne!(trace_id(a), trace_id("another"));
        assert_ne!(enqueued_span_id(a), enqueued_span_id("another"));
        assert_ne!(trace_id(a), TraceId::INVALID);
        let cx = enqueued_context(a);
        assert!(cx.is_valid() && cx.is_remote() && cx.is_sampled());
        assert_eq!(cx.trace_id(), trace_id(a));
    }

    #[test]
    fn offered_ids_are_used_once_then_random_again() {
        let g = DeliveryIds::default();
        let (t, s) = (trace_id("d1"), enqueued_span_id("d1"));
        let (got_t, got_s) =
            start_with_ids(Some(t), Some(s), || (g.new_trace_id(), g.new_span_id()));
        assert_eq!((got_t, got_s), (t, s));
        // Consumed: the next ones are random.
        let r = start_with_ids(Some(t), None, || {
            let first = g.new_trace_id();
            (first, g.new_trace_id(), g.new_span_id())
        });
        assert_eq!(r.0, t);
        assert_ne!(r.1, t);
        assert_ne!(r.2, s);
        // Withdrawn after the closure even when unused.
        start_with_ids(Some(t), Some(s), || ());
        assert_ne!(g.new_trace_id(), t);
        assert_ne!(g.new_span_id(), s);
    }
}
