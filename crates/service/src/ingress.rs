//! `POST /webhook`: verify, persist, acknowledge. Nothing here calls GitHub: the delivery is
//! committed to the store (with its job triggered) before the answer goes back, and the workers
//! do the rest.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use plasma_github::{WebhookEvent, parse_event, verify_signature};
use plasma_store::{NewDelivery, RecordOutcome};
use tracing::{info, warn};

use crate::app::App;
use crate::keys::job_keys;
use crate::metrics::{DELIVERIES, SIGNATURE_FAILURES};

/// GitHub's cap on a webhook payload.
pub const MAX_BODY: usize = 25 * 1024 * 1024;

fn count(event: &str, outcome: &'static str) {
    metrics::counter!(DELIVERIES, "event" => event.to_string(), "outcome" => outcome).increment(1);
}

/// The webhook handler.
pub async fn webhook(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    // Verify before parsing anything: an unsigned body is never read.
    let secret = app.cfg.webhook_secret.as_ref().map(|s| s.expose().as_bytes());
    let signed = secret
        .is_some_and(|s| verify_signature(s, &body, header("x-hub-signature-256").as_deref()));
    if !signed {
        metrics::counter!(SIGNATURE_FAILURES).increment(1);
        count("unknown", "bad_signature");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let (Some(event), Some(delivery)) = (header("x-github-event"), header("x-github-delivery"))
    else {
        count("unknown", "bad_request");
        return (StatusCode::BAD_REQUEST, "missing X-GitHub-Event or X-GitHub-Delivery header\n")
            .into_response();
    };
    if event.len() > 100 || delivery.len() > 100 {
        count("unknown", "bad_request");
        return (StatusCode::BAD_REQUEST, "X-GitHub-Event or X-GitHub-Delivery is too long\n")
            .into_response();
    }
    if event == "ping" {
        count("ping", "accepted");
        return (StatusCode::OK, "pong\n").into_response();
    }
    let parsed = match parse_event(&event, &body) {
        Ok(ev) => ev,
        Err(e) => {
            warn!(delivery_id = %delivery, event = %event, error = %e, "malformed delivery refused");
            count(&event, "bad_request");
            return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response();
        }
    };
    let keys = job_keys(&parsed);
    let now = app.now();
    let d = NewDelivery {
        id: delivery.clone(),
        event: event.clone(),
        action: parsed.action().map(str::to_string),
        repository: parsed.repository().map(|r| r.full_name.clone()),
        installation: parsed.installation_id().and_then(|i| i64::try_from(i).ok()),
        received_at: now,
        body: body.to_vec(),
    };
    let rendered: Vec<String> = keys.iter().map(|k| k.render()).collect();
    let key_refs: Vec<&str> = rendered.iter().map(String::as_str).collect();
    // The delivery and every job it triggers commit together, before we answer.
    let outcome = match app.store.record_delivery(&d, &key_refs, now).await {
        Ok(o) => o,
        Err(e) => {
            warn!(delivery_id = %delivery, error = %e, "store unavailable; delivery refused for redelivery");
            count(&event, "unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, "store unavailable; redeliver later\n")
                .into_response();
        }
    };
    if matches!(outcome, RecordOutcome::Duplicate) {
        info!(delivery_id = %delivery, event = %event, "duplicate delivery acknowledged");
        count(&event, "duplicate");
        return (StatusCode::OK, "duplicate delivery\n").into_response();
    }
    if let Some(inst) = parsed.installation_id()
        && let Some(repo) = parsed.repository()
    {
        app.remember_installation(&repo.full_name, inst);
    }
    if matches!(event.as_str(), "installation" | "installation_repositories") {
        app.sweep_now.notify_one();
    }
    let outcome = if rendered.is_empty() { "ignored" } else { "accepted" };
    if matches!(parsed, WebhookEvent::Other { .. }) {
        info!(delivery_id = %delivery, event = %event, "event recorded, not processed");
    } else {
        info!(delivery_id = %delivery, event = %event, action = parsed.action().unwrap_or(""), jobs = ?rendered, "delivery accepted");
    }
    count(&event, outcome);
    app.notify.notify_waiters();
    (StatusCode::ACCEPTED, "accepted\n").into_response()
}
