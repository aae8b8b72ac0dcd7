//! The exporter's HTTP client: our own reqwest (rustls, already linked for GitHub), so OTLP adds
//! no second HTTP or TLS stack.
//!
//! The SDK exports from its own threads with a plain `block_on`, where reqwest's async client
//! cannot run (it needs the Tokio reactor); so each request is spawned on the service's runtime
//! and only its result is awaited on the exporter's thread. Nothing is added to the request: no
//! trace context is propagated to the collector or anywhere else.

use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use tokio::runtime::Handle;

/// A collector's answer is a small protobuf (a partial-success note at most); anything larger is
/// refused rather than buffered.
const MAX_RESPONSE: usize = 1024 * 1024;

/// Sends OTLP requests on the service's runtime.
#[derive(Debug, Clone)]
pub struct RuntimeClient {
    client: reqwest::Client,
    runtime: Handle,
}

impl RuntimeClient {
    /// A client with `timeout` per request, running its I/O on `runtime`.
    pub fn new(runtime: Handle, timeout: std::time::Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("plasma-ops/", env!("CARGO_PKG_VERSION"), " otlp"))
            .build()?;
        Ok(RuntimeClient { client, runtime })
    }
}

async fn send(
    client: reqwest::Client,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, HttpError> {
    let request = reqwest::Request::try_from(request)?;
    let mut resp = client.execute(request).await?;
    let mut builder = Response::builder().status(resp.status().as_u16());
    for (name, value) in resp.headers() {
        builder = builder.header(name, value);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_RESPONSE {
            return Err(format!("the collector's answer is over {MAX_RESPONSE} bytes").into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(builder.body(Bytes::from(body))?)
}

#[async_trait::async_trait]
impl HttpClient for RuntimeClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let task = self.runtime.spawn(send(self.client.clone(), request));
        task.await.map_err(|e| format!("the OTLP request task failed: {e}"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn sends_from_a_thread_without_a_runtime() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(|body: axum::body::Bytes| async move {
                (axum::http::StatusCode::OK, [("content-type", "application/x-protobuf")], body)
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client =
            RuntimeClient::new(Handle::current(), std::time::Duration::from_secs(10)).unwrap();
        // As the SDK's exporter thread does: no Tokio context there.
        let answer = tokio::task::spawn_blocking(move || {
            let req = Request::post(format!("http://{addr}/v1/traces"))
                .body(Bytes::from_static(b"abc"))
                .unwrap();
            futures_block_on(client.send_bytes(req))
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.body().as_ref(), b"abc");
        assert_eq!(answer.headers()["content-type"], "application/x-protobuf");
    }

    #[tokio::test]
    async fn a_refused_connection_is_an_error_not_a_panic() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let client =
            RuntimeClient::new(Handle::current(), std::time::Duration::from_secs(5)).unwrap();
        let req =
            Request::post(format!("http://127.0.0.1:{port}/v1/traces")).body(Bytes::new()).unwrap();
        assert!(client.send_bytes(req).await.is_err());
    }

    /// A minimal executor like the SDK's `futures_executor::block_on`.
    fn futures_block_on<F: std::future::Future>(f: F) -> F::Output {
        use std::sync::Arc;
        use std::task::{Context, Poll, Wake, Waker};
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    }
}
