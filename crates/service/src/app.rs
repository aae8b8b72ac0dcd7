//! The running service: shared state, the HTTP router and start-up.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use plasma_github::GitHubClient;
use plasma_policy::Policy;
use plasma_store::Store;
use tokio::sync::{Notify, watch};
use tokio::task::{JoinError, JoinHandle};
use tower_http::timeout::TimeoutLayer;
use tracing::info;

use crate::config::ServiceConfig;
use crate::ingress::{MAX_BODY, webhook};

/// Milliseconds since the Unix epoch; injectable so tests control time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    })
}

/// State shared by the ingress, the workers and the scheduler.
pub struct App {
    /// The service's configuration.
    pub cfg: ServiceConfig,
    /// Deliveries, jobs and the action log.
    pub store: Arc<dyn Store>,
    /// GitHub; `None` in a dry run without credentials.
    pub github: Option<GitHubClient>,
    /// Wakes idle workers when a delivery arrives.
    pub notify: Arc<Notify>,
    /// Asks the scheduler for a sweep now (an installation gained repositories).
    pub sweep_now: Arc<Notify>,
    /// Prometheus handle for `/metrics`.
    pub metrics: Option<PrometheusHandle>,
    /// The clock.
    pub clock: Clock,
    /// Installation of each repository, learnt from deliveries and the sweep.
    installations: Mutex<HashMap<String, u64>>,
    /// Compiled policies by a hash of their configuration texts (bounded).
    policies: Mutex<HashMap<u64, Arc<Policy>>>,
    /// Review threads read with GraphQL, kept while nothing changed them.
    pub threads: crate::threads::ThreadCache,
    /// Project boards resolved by name, and the state each card was last seen in.
    pub board: crate::board::BoardCache,
    /// The dashboard's minute samples for the ops charts (issue 10).
    pub history: crate::dashboard::history::OpsHistory,
    /// Repository configuration files, kept until a push changes them (issue 14).
    pub configs: crate::repo_config::ConfigCache,
    /// Repository labels: listed once at a time, created once (issue 14).
    pub labels: crate::repo_labels::LabelRegistry,
}

impl App {
    /// Build the shared state.
    pub fn new(
        cfg: ServiceConfig,
        store: Arc<dyn Store>,
        github: Option<GitHubClient>,
        clock: Clock,
    ) -> Arc<App> {
        crate::metrics::describe();
        crate::ops_metrics::describe();
        crate::shared_cache::describe();
        // Every replica revalidates through the store what any of them read (issue 14).
        if let Some(gh) = &github
            && crate::shared_cache::install(
                gh,
                store.clone(),
                clock.clone(),
                cfg.shared_cache_entries,
                cfg.shared_cache_bytes,
            )
        {
            tracing::debug!(
                entries = cfg.shared_cache_entries,
                bytes = cfg.shared_cache_bytes,
                "GitHub answers' validators shared through the store"
            );
        }
        Arc::new(App {
            cfg,
            store,
            github,
            notify: Arc::new(Notify::new()),
            sweep_now: Arc::new(Notify::new()),
            metrics: crate::metrics::install(),
            clock,
            installations: Mutex::new(HashMap::new()),
            policies: Mutex::new(HashMap::new()),
            threads: crate::threads::ThreadCache::default(),
            board: crate::board::BoardCache::default(),
            history: crate::dashboard::history::OpsHistory::default(),
            configs: crate::repo_config::ConfigCache::default(),
            labels: crate::repo_labels::LabelRegistry::default(),
        })
    }

    /// Now, in Unix milliseconds.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Whether writes are only planned.
    pub fn dry_run(&self) -> bool {
        self.cfg.effective_dry_run() || self.github.is_none()
    }

    /// Remember which installation covers a repository.
    pub fn remember_installation(&self, repo: &str, installation: u64) {
        if let Ok(mut m) = self.installations.lock() {
            m.insert(repo.to_string(), installation);
        }
    }

    /// The installation that covers a repository, if known.
    pub fn installation_of(&self, repo: &str) -> Option<u64> {
        self.installations.lock().ok().and_then(|m| m.get(repo).copied())
    }

    /// A policy compiled before from the same configuration texts.
    pub fn cached_policy(&self, key: u64) -> Option<Arc<Policy>> {
        self.policies.lock().ok().and_then(|m| m.get(&key).cloned())
    }

    /// Keep a compiled policy (at most 1,000: a fleet has few distinct configurations).
    pub fn cache_policy(&self, key: u64, policy: Arc<Policy>) {
        if let Ok(mut m) = self.policies.lock() {
            if m.len() >= 1_000 {
                m.clear();
            }
            m.insert(key, policy);
        }
    }

    /// The HTTP routes.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route(&self.cfg.webhook_path, post(webhook))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics_text))
            // MCP for coding agents (issue 10): its own checks, see `mcp::http`.
            .merge(crate::mcp::http::router(self))
            // The dashboard (issue 10): its own access checks, see `dashboard`.
            .merge(crate::dashboard::router(self))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            // A body trickled in byte by byte must not hold a connection for ever.
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                Duration::from_secs(15),
            ))
            .with_state(Arc::clone(self))
    }
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

/// A load balancer's health check must get its answer well within its own timeout, even while
/// the store's connection attempts hang.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

async fn readyz(State(app): State<Arc<App>>) -> impl IntoResponse {
    let ping = tokio::time::timeout(READY_TIMEOUT, app.store.ping()).await;
    let problem = match ping {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer within {} s", READY_TIMEOUT.as_secs())),
    };
    if let Some(e) = problem {
        metrics::gauge!(crate::metrics::STORE_UP).set(0.0);
        return (StatusCode::SERVICE_UNAVAILABLE, format!("store unreachable: {e}\n"));
    }
    metrics::gauge!(crate::metrics::STORE_UP).set(1.0);
    let mode = if app.dry_run() { "dry run" } else { "live" };
    (StatusCode::OK, format!("ready ({mode})\n"))
}

async fn metrics_text(State(app): State<Arc<App>>) -> impl IntoResponse {
    if let Ok(d) = app.store.queue_depth().await {
        metrics::gauge!(crate::metrics::QUEUE_DEPTH, "state" => "pending").set(d.pending as f64);
        metrics::gauge!(crate::metrics::QUEUE_DEPTH, "state" => "leased").set(d.leased as f64);
        metrics::gauge!(crate::metrics::QUEUE_DEPTH, "state" => "dead").set(d.dead as f64);
    }
    if let Some(gh) = &app.github {
        crate::ops_metrics::publish_github(gh);
    }
    match &app.metrics {
        Some(h) => (StatusCode::OK, [("content-type", "text/plain; version=0.0.4")], h.render())
            .into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics recorder unavailable\n").into_response(),
    }
}

/// A started service: its address and a way to stop it.
pub struct Running {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    /// Shared state.
    pub app: Arc<App>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stop accepting, let workers finish their current job, and wait.
    ///
    /// Returns how each task that did not end normally ended (a panic, with its message), empty
    /// when every task stopped cleanly: a worker that panicked is gone without a trace otherwise,
    /// and a test or an operator would take the stop for a clean one.
    #[must_use = "a task that panicked is reported only through the returned errors"]
    pub async fn shutdown(self) -> Vec<JoinError> {
        let _ = self.stop.send(true);
        self.app.notify.notify_waiters();
        let mut failed = Vec::new();
        for t in self.tasks {
            if let Err(e) = t.await {
                failed.push(e);
            }
        }
        failed
    }
}

/// Bind, start the HTTP server, the workers and the scheduler.
pub async fn start(app: Arc<App>) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(app.cfg.listen).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    let router = app.router();
    tasks.push(tokio::spawn(crate::http_server::serve(listener, router, stopped.clone())));
    for i in 0..app.cfg.workers {
        let id = format!("{}-w{i}", worker_prefix());
        tasks.push(tokio::spawn(crate::worker::run(Arc::clone(&app), id, stopped.clone())));
    }
    tasks.push(tokio::spawn(crate::scheduler::run(Arc::clone(&app), stopped.clone())));
    tasks.push(tokio::spawn(crate::retention::run(Arc::clone(&app), stopped.clone())));
    tasks.push(tokio::spawn(crate::incident_check::run(Arc::clone(&app), stopped.clone())));
    tasks.push(tokio::spawn(crate::weekly_report::run(Arc::clone(&app), stopped.clone())));
    // One notification worker per replica: Slack's pace is per webhook, and the outbox's lease
    // keeps replicas from sending a row twice.
    match crate::notifier::sender(&app) {
        Ok(sender) => {
            let owner = format!("{}-n0", worker_prefix());
            tasks.push(tokio::spawn(crate::notifier::run(
                Arc::clone(&app),
                sender,
                owner,
                stopped.clone(),
            )));
        }
        Err(e) => tracing::error!(error = %e, "notifications are not sent: no HTTP client"),
    }
    tasks.push(tokio::spawn(crate::dashboard::history::run(Arc::clone(&app), stopped.clone())));
    info!(%addr, dry_run = app.dry_run(), workers = app.cfg.workers, "plasma-ops serving");
    Ok(Running { addr, app, stop, tasks })
}

/// Worker ids are unique per process so a restarted process never mistakes an old lease for its own.
fn worker_prefix() -> String {
    format!("{}-{}", std::process::id(), rand::random::<u32>())
}
