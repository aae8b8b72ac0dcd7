//! The HTTP side: our own accept loop (so one connection can be dropped on purpose) and the gate
//! every request passes: faults, authentication, rate limits, `ETag`/304 and request accounting.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, ETAG, HeaderName, HeaderValue, IF_NONE_MATCH,
    RETRY_AFTER,
};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt as _;

use crate::model::{Exchange, Fault, RecordedRequest};
use crate::routes::{Reply, router};
use crate::state::{Shared, State as FakeState};

/// Put into each request's extensions: notifying it closes that request's connection unanswered.
#[derive(Clone)]
struct ConnKill(Arc<Notify>);

/// The router with the gate in front of every route.
pub(crate) fn app(shared: Shared) -> Router {
    router(shared.clone()).layer(middleware::from_fn_with_state(shared, gate))
}

/// Serves HTTP/1.1 connections until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, app: Router) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: wait instead of spinning.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let app = app.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let ext = ConnKill(kill.clone());
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ext.clone());
                app.clone().oneshot(req.map(Body::new))
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            // Dropping the connection future closes the socket without a response.
            tokio::select! {
                _ = conn => {}
                () = kill.notified() => {}
            }
        });
    }
}

/// The next fault for this path, consumed.
fn take_fault(st: &mut FakeState, method: &str, path: &str) -> Option<Fault> {
    let pos = st.faults.iter().position(|f| match f {
        Fault::Status { route: Some(prefix), .. } => path.starts_with(prefix.as_str()),
        Fault::Stall { method: m, route, .. } => m == method && path.starts_with(route.as_str()),
        _ => true,
    })?;
    let fault = st.faults.get_mut(pos)?;
    let times = match fault {
        Fault::Status { times, .. }
        | Fault::SecondaryRateLimit { times, .. }
        | Fault::Slow { times, .. }
        | Fault::Stall { times, .. }
        | Fault::DropConnection { times } => times,
    };
    *times = times.saturating_sub(1);
    let left = *times;
    let taken = fault.clone();
    if left == 0 {
        st.faults.remove(pos);
    }
    Some(taken)
}

/// The background failure rate of [`crate::FakeHub::fail_every`]: deterministic, so a test's
/// figures repeat, and never two in a row, like GitHub's occasional 502.
/// How long this request waits before it is answered, by [`crate::FakeHub::set_latency`]: spread
/// over the range by a fixed mix of the request's sequence number, so a run is reproducible and
/// the delays are evenly spread rather than clustered.
fn latency(st: &mut FakeState) -> Option<Duration> {
    let (min, max, seen) = st.latency.as_mut()?;
    *seen = seen.wrapping_add(1);
    // SplitMix64's finaliser: consecutive numbers land far apart.
    let mut z = seen.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let span = max.saturating_sub(*min).saturating_add(1);
    Some(Duration::from_millis(min.saturating_add(z % span)))
}

fn periodic_fault(st: &mut FakeState) -> Option<Fault> {
    let (code, every, seen) = st.periodic.as_mut()?;
    *seen += 1;
    (*seen % *every == 0).then_some(Fault::Status { code: *code, times: 1, route: None })
}

/// A JSON Web Token has three non-empty dot-separated parts.
fn is_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
}

/// `true` when `If-None-Match` names this entity tag (weak comparison, as GitHub does).
fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    if_none_match.split(',').any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

async fn gate(State(shared): State<Shared>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // A block, so the closure's borrow of the (not `Sync`) request ends before any await.
    let (if_none_match, authorization) = {
        let header = |name: HeaderName| {
            req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
        };
        (header(IF_NONE_MATCH), header(AUTHORIZATION))
    };
    let mut record = RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        query: req.uri().query().unwrap_or_default().to_owned(),
        status: RecordedRequest::DROPPED,
        if_none_match: if_none_match.is_some(),
        authorization: authorization.clone(),
    };

    let (fault, delay) = {
        let mut st = shared.lock();
        let fault = take_fault(&mut st, method.as_str(), &path).or_else(|| periodic_fault(&mut st));
        (fault, latency(&mut st))
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let early: Option<Response> = match fault {
        Some(Fault::DropConnection { .. }) => {
            shared.lock().requests.push(record);
            if let Some(kill) = req.extensions().get::<ConnKill>() {
                kill.0.notify_one();
            }
            // The connection task drops this future together with the connection.
            return std::future::pending::<Response>().await;
        }
        Some(Fault::Slow { millis, .. } | Fault::Stall { millis, .. }) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            None
        }
        Some(Fault::Status { code, .. }) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = match code {
                502 => "Server Error",
                503 => "Service Unavailable",
                _ => "Internal Server Error",
            };
            Some(Reply::error(status, message, "https://docs.github.com/rest").into_response())
        }
        Some(Fault::SecondaryRateLimit { retry_after_secs, .. }) => {
            let mut resp = Reply::error(
                StatusCode::FORBIDDEN,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try \
                 again. If you reach out to GitHub Support for help, please include the request ID \
                 0000:0000:0000000:0000000:00000000.",
                "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            )
            .into_response();
            resp.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            Some(resp)
        }
        None => None,
    };

    let token = authorization.as_deref().and_then(|a| a.split_whitespace().nth(1)).unwrap_or("");
    let app_route = path.starts_with("/app/") || path == "/app";
    let rate_route = path == "/rate_limit";
    // GraphQL is charged in points to its own budget, by the route itself.
    let graphql_route = path == "/graphql";
    let mut charged = false;
    let resp = if let Some(resp) = early {
        resp
    } else if token.is_empty() {
        Reply::error(
            StatusCode::UNAUTHORIZED,
            "Requires authentication",
            "https://docs.github.com/rest",
        )
        .into_response()
    } else if app_route
        && !(authorization.as_deref().is_some_and(|a| a.starts_with("Bearer ")) && is_jwt(token))
    {
        Reply::error(
            StatusCode::UNAUTHORIZED,
            "A JSON web token could not be decoded",
            "https://docs.github.com/rest",
        )
        .into_response()
    } else {
        let exhausted = {
            let mut st = shared.lock();
            st.rate.roll();
            st.rate.remaining == 0 && !rate_route && !graphql_route
        };
        if exhausted {
            Reply::error(
                StatusCode::FORBIDDEN,
                "API rate limit exceeded for installation. If you reach out to GitHub Support for \
                 help, please include the request ID 0000:0000:0000000:0000000:00000000.",
                "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits",
            )
            .into_response()
        } else {
            charged = !rate_route && !graphql_route;
            next.run(req).await
        }
    };

    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let etag = format!("W/\"{}\"", hex::encode(Sha256::digest(&bytes)));
    let not_modified = (method == Method::GET || method == Method::HEAD)
        && parts.status == StatusCode::OK
        && if_none_match.as_deref().is_some_and(|inm| matches_etag(inm, &etag));

    // 304s are free on GitHub; everything else that reached a route costs one request.
    let rate = {
        let mut st = shared.lock();
        if charged && !not_modified {
            st.rate.remaining = st.rate.remaining.saturating_sub(1);
        }
        if graphql_route { st.graphql_rate } else { st.rate }
    };
    let status = if not_modified { StatusCode::NOT_MODIFIED } else { parts.status };
    record.status = status.as_u16();
    {
        let mut st = shared.lock();
        if st.record_exchanges {
            let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
            let exchange = Exchange {
                method: record.method.clone(),
                path: record.path.clone(),
                status: record.status,
                body: if not_modified { serde_json::Value::Null } else { body },
            };
            st.exchanges.push(exchange);
        }
        st.requests.push(record);
    }

    let h = &mut parts.headers;
    h.insert(ETAG, HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("W/\"0\"")));
    h.insert("x-ratelimit-limit", HeaderValue::from(rate.limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(rate.remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from(rate.reset));
    h.insert("x-ratelimit-used", HeaderValue::from(rate.limit.saturating_sub(rate.remaining)));
    let resource = if graphql_route { "graphql" } else { "core" };
    h.insert("x-ratelimit-resource", HeaderValue::from_static(resource));
    h.insert("x-github-api-version-selected", HeaderValue::from_static("2022-11-28"));
    if not_modified {
        parts.status = StatusCode::NOT_MODIFIED;
        h.remove(CONTENT_TYPE);
        h.remove(CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_off_by_default_and_spread_over_the_range_when_set() {
        let mut st = FakeState::default();
        assert_eq!(latency(&mut st), None);
        st.latency = Some((50, 150, 0));
        let delays: Vec<u64> = (0..2_000)
            .map(|_| latency(&mut st).map(|d| d.as_millis() as u64).unwrap_or(0))
            .collect();
        assert!(delays.iter().all(|d| (50..=150).contains(d)), "{delays:?}");
        // Both ends are reached and each tenth of the range gets a fair share.
        assert_eq!((delays.iter().min(), delays.iter().max()), (Some(&50), Some(&150)));
        for tenth in 0..10 {
            let lo = 50 + tenth * 10;
            let n = delays.iter().filter(|d| (lo..lo + 10).contains(*d)).count();
            assert!((120..=280).contains(&n), "{lo}..{}: {n}", lo + 10);
        }
        st.latency = Some((80, 80, 0));
        assert_eq!(latency(&mut st), Some(Duration::from_millis(80)));
    }

    #[test]
    fn etag_comparison_is_weak() {
        assert!(matches_etag("\"abc\"", "W/\"abc\""));
        assert!(matches_etag("W/\"x\", W/\"abc\"", "W/\"abc\""));
        assert!(matches_etag("*", "W/\"abc\""));
        assert!(!matches_etag("W/\"abd\"", "W/\"abc\""));
    }

    #[test]
    fn jwt_needs_three_parts() {
        assert!(is_jwt("a.b.c"));
        assert!(!is_jwt("a.b"));
        assert!(!is_jwt("a..c"));
        assert!(!is_jwt("ghs_token"));
    }
}
