//! The HTTP accept loop. `axum::serve` gives hyper no timer, so hyper's header read timeout never
//! fires and a client that trickles its request line and headers in byte by byte holds its
//! connection for as long as it likes. Here each connection gets a timer and a deadline for its
//! headers; the body's deadline is the ingress's own (it answers 408 and counts the refusal).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tracing::{debug, warn};

use crate::metrics::REJECTED;

/// How long a client has to send its request line and headers, counted from the first byte of a
/// request (and, on a kept-alive connection, from the end of the previous answer). GitHub sends a
/// webhook's headers in one write; ten seconds is generous for anything honest.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long shutdown waits for connections still answering a request.
const DRAIN: Duration = Duration::from_secs(10);

/// Serve `router` on `listener` until `stop` turns true, then let open connections finish their
/// current request (at most [`DRAIN`]).
pub async fn serve(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) {
    let open = Arc::new(AtomicUsize::new(0));
    let drained = Arc::new(Notify::new());
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|s| *s) => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        let mut conn_stop = stop.clone();
        let open = Arc::clone(&open);
        let drained = Arc::clone(&drained);
        open.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            let stopping = tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        if e.is_timeout() {
                            // The only timer hyper has here is the header read timeout.
                            metrics::counter!(REJECTED, "reason" => "header_timeout").increment(1);
                            debug!("connection closed: headers not complete in time");
                        } else {
                            debug!(error = %e, "connection ended with an error");
                        }
                    }
                    false
                }
                _ = conn_stop.wait_for(|s| *s) => true,
            };
            if stopping {
                conn.as_mut().graceful_shutdown();
                if let Err(e) = conn.as_mut().await {
                    debug!(error = %e, "connection ended with an error during shutdown");
                }
            }
            if open.fetch_sub(1, Ordering::SeqCst) == 1 {
                drained.notify_waiters();
            }
        });
    }
    drop(listener);
    let wait = async {
        while open.load(Ordering::SeqCst) > 0 {
            let notified = drained.notified();
            if open.load(Ordering::SeqCst) == 0 {
                break;
            }
            // Re-check now and then: a notification can fall between the load and `notified`.
            let _ = tokio::time::timeout(Duration::from_millis(100), notified).await;
        }
    };
    if tokio::time::timeout(DRAIN, wait).await.is_err() {
        warn!(open = open.load(Ordering::SeqCst), "connections still open after the drain period");
    }
}
