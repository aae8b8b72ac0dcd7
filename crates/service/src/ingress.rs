//! `POST /webhook`: verify, persist, acknowledge. Nothing here calls GitHub: the delivery is
//! committed to the store (with its job triggered) before the answer goes back, and the workers
//! do the rest.
//!
//! Everything a request carries is untrusted until its signature checks out, so the cheap checks
//! come first and none of them reads the body: the headers (401 without a signature, 400 without
//! an event or delivery id, 415 for a body that is not JSON), then the body is read under a size
//! cap (413) and a deadline (408), then the signature is verified (401), then the payload is
//! parsed (400). Events plasma-ops does not handle are acknowledged (202) but not stored. Every
//! refusal is counted in `plasma_ops_webhook_rejected_total{reason}` and none reaches the store.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use plasma_github::webhook::KNOWN_EVENTS;
use plasma_github::{WebhookEvent, parse_event, verify_signature};
use plasma_store::{NewDelivery, RecordOutcome};
use tracing::{Instrument, info, warn};

use crate::app::App;
use crate::keys::job_keys;
use crate::metrics::{DELIVERIES, REJECTED, SIGNATURE_FAILURES};

/// GitHub's cap on a webhook payload.
pub const MAX_BODY: usize = 25 * 1024 * 1024;

/// How long a client has to send the body once its headers are in. 25 MiB in 10 s needs about
/// 20 Mbit/s, which GitHub's senders have; a client slower than that is slow on purpose. Shorter
/// than the router's 15 s request timeout, so the refusal is ours: answered 408 and counted. The
/// connection is all it holds meanwhile, never a worker or a store connection.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Events stored although they trigger no reconcile job: installations start a sweep.
const STORED_OTHER_EVENTS: [&str; 2] = ["installation", "installation_repositories"];

fn count(event: &str, outcome: &'static str) {
    metrics::counter!(DELIVERIES, "event" => event.to_string(), "outcome" => outcome).increment(1);
}

/// Why a request was not admitted to the queue (the `reason` label of [`REJECTED`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// No `X-Hub-Signature-256` header.
    MissingSignature,
    /// A signature that does not match the body under our secret.
    BadSignature,
    /// No webhook secret is configured, so nothing can be verified.
    NoSecret,
    /// No `X-GitHub-Event` or `X-GitHub-Delivery` header.
    MissingHeader,
    /// A header too long or not text.
    BadHeader,
    /// A `Content-Type` other than JSON (GitHub's `application/x-www-form-urlencoded` option).
    UnsupportedContentType,
    /// A body over [`MAX_BODY`].
    TooLarge,
    /// A body not complete within [`BODY_READ_TIMEOUT`].
    BodyTimeout,
    /// The connection failed while the body was being read.
    BodyRead,
    /// Signed, but not JSON or not the shape of its event.
    Malformed,
    /// Signed and well-formed, but an event plasma-ops does not handle.
    UnknownEvent,
}

impl Rejection {
    /// The metric label.
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::MissingSignature => "missing_signature",
            Rejection::BadSignature => "bad_signature",
            Rejection::NoSecret => "no_secret",
            Rejection::MissingHeader => "missing_header",
            Rejection::BadHeader => "bad_header",
            Rejection::UnsupportedContentType => "unsupported_content_type",
            Rejection::TooLarge => "too_large",
            Rejection::BodyTimeout => "body_timeout",
            Rejection::BodyRead => "body_read",
            Rejection::Malformed => "malformed",
            Rejection::UnknownEvent => "unknown_event",
        }
    }

    /// The answer's status: 401 for anything about the signature (GitHub shows it as a failed
    /// delivery), 202 for an unknown event (nothing to redeliver), the matching 4xx otherwise.
    pub fn status(self) -> StatusCode {
        match self {
            Rejection::MissingSignature | Rejection::BadSignature | Rejection::NoSecret => {
                StatusCode::UNAUTHORIZED
            }
            Rejection::MissingHeader
            | Rejection::BadHeader
            | Rejection::BodyRead
            | Rejection::Malformed => StatusCode::BAD_REQUEST,
            Rejection::UnsupportedContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Rejection::UnknownEvent => StatusCode::ACCEPTED,
        }
    }
}

/// Count a refusal and answer it. The text says what to do; it never echoes the body.
fn refuse(why: Rejection, event: &str, text: impl Into<String>) -> Response {
    metrics::counter!(REJECTED, "reason" => why.reason()).increment(1);
    let outcome = match why {
        Rejection::MissingSignature | Rejection::BadSignature | Rejection::NoSecret => {
            metrics::counter!(SIGNATURE_FAILURES).increment(1);
            "bad_signature"
        }
        Rejection::UnknownEvent => "ignored",
        _ => "bad_request",
    };
    count(event, outcome);
    let mut text = text.into();
    text.push('\n');
    (why.status(), text).into_response()
}

/// Whether a `Content-Type` names JSON. A missing one is accepted: GitHub always sends one, and
/// our own tools and older senders do not; the body must parse as JSON either way.
fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.contains('/') && essence.ends_with("+json"))
}

/// Read the body, at most `limit` bytes, within `deadline`.
async fn read_body(
    body: Body,
    declared: Option<usize>,
    limit: usize,
    deadline: Duration,
) -> Result<Vec<u8>, Rejection> {
    if declared.is_some_and(|n| n > limit) {
        return Err(Rejection::TooLarge);
    }
    let read = async move {
        let mut body = body;
        // Content-Length is the client's word: reserve by it only up to a small amount.
        let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(1024 * 1024));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| Rejection::BodyRead)?;
            if let Ok(data) = frame.into_data() {
                if buf.len().saturating_add(data.len()) > limit {
                    return Err(Rejection::TooLarge);
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(buf)
    };
    tokio::time::timeout(deadline, read).await.unwrap_or(Err(Rejection::BodyTimeout))
}

/// The webhook handler, in the `webhook` span (the root of the delivery's trace).
pub async fn webhook(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let span = crate::telemetry::webhook_span();
    let response = receive(app, headers, body).instrument(span.clone()).await;
    span.record("http.response.status_code", response.status().as_u16());
    response
}

async fn receive(app: Arc<App>, headers: HeaderMap, body: Body) -> Response {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().map(str::to_string));
    let Some(secret) = app.cfg.webhook_secret.as_ref() else {
        return refuse(
            Rejection::NoSecret,
            "unknown",
            "no webhook secret is configured; set PLASMA_OPS_WEBHOOK_SECRET",
        );
    };
    let signature = match header("x-hub-signature-256") {
        None => {
            return refuse(
                Rejection::MissingSignature,
                "unknown",
                "missing X-Hub-Signature-256; set the webhook's secret on GitHub",
            );
        }
        Some(Err(_)) => {
            return refuse(Rejection::BadSignature, "unknown", "signature does not match");
        }
        Some(Ok(s)) => s,
    };
    let (event, delivery) = match (header("x-github-event"), header("x-github-delivery")) {
        (Some(Ok(e)), Some(Ok(d))) => (e, d),
        (None, _) | (_, None) => {
            return refuse(
                Rejection::MissingHeader,
                "unknown",
                "missing X-GitHub-Event or X-GitHub-Delivery header",
            );
        }
        _ => {
            return refuse(
                Rejection::BadHeader,
                "unknown",
                "X-GitHub-Event or X-GitHub-Delivery is not text",
            );
        }
    };
    if event.is_empty() || delivery.is_empty() || event.len() > 100 || delivery.len() > 100 {
        return refuse(
            Rejection::BadHeader,
            "unknown",
            "X-GitHub-Event or X-GitHub-Delivery is empty or too long",
        );
    }
    let content_type = match header("content-type") {
        Some(Ok(ct)) => Some(ct),
        Some(Err(_)) => Some(String::new()),
        None => None,
    };
    if !is_json(content_type.as_deref()) {
        return refuse(
            Rejection::UnsupportedContentType,
            "unknown",
            "the body must be JSON; set the webhook's content type to application/json",
        );
    }
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let body = match read_body(body, declared, MAX_BODY, BODY_READ_TIMEOUT).await {
        Ok(b) => b,
        Err(why) => {
            let text = match why {
                Rejection::TooLarge => format!("the body is over {MAX_BODY} bytes"),
                Rejection::BodyTimeout => {
                    format!("the body did not arrive within {} s", BODY_READ_TIMEOUT.as_secs())
                }
                _ => "the body could not be read".to_string(),
            };
            warn!(delivery_id = %delivery, event = %event, reason = why.reason(), "webhook body refused");
            return refuse(why, "unknown", text);
        }
    };
    // Only now is the body looked at, and only by the HMAC.
    if !verify_signature(secret.expose().as_bytes(), &body, Some(&signature)) {
        return refuse(Rejection::BadSignature, "unknown", "signature does not match");
    }
    crate::telemetry::delivery_received(&delivery, &event);
    crate::ops_metrics::delivery_seen(app.now());
    if event == "ping" {
        count("ping", "accepted");
        return (StatusCode::OK, "pong\n").into_response();
    }
    if !KNOWN_EVENTS.contains(&event.as_str()) && !STORED_OTHER_EVENTS.contains(&event.as_str()) {
        // Signed, so GitHub sent it (the App subscribes to more than we read): acknowledge so it
        // is not shown as failed, but keep nothing. Its name stays out of the metric labels: only
        // the events we know may grow the label set.
        info!(delivery_id = %delivery, event = %event, "event not handled; acknowledged, not stored");
        return refuse(Rejection::UnknownEvent, "other", "event not handled; ignored");
    }
    let parsed = match parse_event(&event, &body) {
        Ok(ev) => ev,
        Err(e) => {
            warn!(delivery_id = %delivery, event = %event, error = %e, "malformed delivery refused");
            return refuse(Rejection::Malformed, &event, e.to_string());
        }
    };
    let keys = job_keys(&parsed);
    // A deployment's facts are stored before the delivery that states them, so nothing
    // acknowledged is lost; they are keyed by GitHub's ids, so a redelivery adds nothing.
    if let Err(e) = crate::deployments::record_facts(&app, &parsed, &delivery).await {
        warn!(delivery_id = %delivery, error = %e, "store unavailable; delivery refused for redelivery");
        count(&event, "unavailable");
        return (StatusCode::SERVICE_UNAVAILABLE, "store unavailable; redeliver later\n")
            .into_response();
    }
    let now = app.now();
    // A push that touched `.github/` invalidates the configuration every replica keeps; bumped
    // before the delivery is recorded, so an acknowledged push is never forgotten (a redelivery
    // bumps again, which costs one re-read).
    let stale = crate::repo_config::invalidations(&parsed);
    if !stale.is_empty()
        && let Err(e) = app.store.bump_config_epochs(&stale, now).await
    {
        warn!(delivery_id = %delivery, error = %e, "store unavailable; delivery refused for redelivery");
        count(&event, "unavailable");
        return (StatusCode::SERVICE_UNAVAILABLE, "store unavailable; redeliver later\n")
            .into_response();
    }
    let d = NewDelivery {
        id: delivery.clone(),
        event: event.clone(),
        action: parsed.action().map(str::to_string),
        repository: parsed.repository().map(|r| r.full_name.clone()),
        installation: parsed.installation_id().and_then(|i| i64::try_from(i).ok()),
        received_at: now,
        body,
    };
    // The keys as stored, for the log line.
    let rendered: Vec<String> = keys.iter().map(ToString::to_string).collect();
    // The delivery and every job it triggers commit together, before we answer.
    let outcome = match app.store.record_delivery(&d, &keys, now).await {
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
    crate::telemetry::delivery_enqueued(&delivery, &rendered);
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
