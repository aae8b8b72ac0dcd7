//! The service's commands: `serve`, `replay`, `reconcile`, `jobs`. Thin shells over
//! `plasma-service` and `plasma-store`. One module for the four because they share what sets
//! them apart from the others: the async runtime, the service configuration (`PLASMA_OPS_*`),
//! the store and the GitHub client.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use plasma_github::{ClientConfig, GitHubClient, Secret};
use plasma_service::reconcile::{JobContext, reconcile_pr};
use plasma_service::{App, ServiceConfig, system_clock};
use plasma_store::{JobFilter, Store};

use crate::args::{Format, Global};
use crate::exit;
use crate::input::read_input;
use crate::output::Out;

/// `serve` arguments.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Service configuration file (YAML; keys as the variables, lowercase, without the prefix).
    #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
    pub service_config: Option<PathBuf>,
}

/// `replay` arguments.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The payload (`-` for standard input).
    pub file: String,
    /// Event name (the `X-GitHub-Event` header), e.g. `pull_request`.
    #[arg(long)]
    pub event: String,
    /// Where to deliver it.
    #[arg(long, default_value = "http://127.0.0.1:8080/webhook")]
    pub url: String,
    /// The webhook secret (default: `PLASMA_OPS_WEBHOOK_SECRET`).
    #[arg(long, env = "PLASMA_OPS_WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Delivery id (default: a fresh random one).
    #[arg(long)]
    pub delivery: Option<String>,
}

/// `reconcile` arguments.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// `owner/repo#n`.
    pub target: String,
    /// Only plan; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Service configuration file, as for `serve`.
    #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
    pub service_config: Option<PathBuf>,
}

/// `jobs` arguments.
#[derive(Debug, Args)]
pub struct JobsArgs {
    /// Only dead-lettered jobs.
    #[arg(long)]
    pub dead: bool,
    /// Put a dead-lettered job (`owner/repo#n`) back in the queue.
    #[arg(long, value_name = "KEY")]
    pub retry: Option<String>,
    /// Service configuration file, as for `serve`.
    #[arg(long, value_name = "FILE", env = "PLASMA_OPS_CONFIG_FILE")]
    pub service_config: Option<PathBuf>,
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) fn load_config(file: Option<&Path>) -> Result<ServiceConfig> {
    let env: BTreeMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("PLASMA_OPS_") || k == "DATABASE_URL")
        .collect();
    let text =
        match file {
            Some(p) => Some(std::fs::read_to_string(p).with_context(|| {
                format!("cannot read the service configuration {}", p.display())
            })?),
            None => None,
        };
    ServiceConfig::load(&env, text.as_deref()).map_err(|e| anyhow!("service configuration: {e}"))
}

/// The GitHub client the configuration asks for, if any.
pub(crate) fn github(cfg: &ServiceConfig) -> Result<Option<GitHubClient>> {
    let auth = match (&cfg.github_token, cfg.github_app_id, &cfg.github_private_key_path) {
        (_, Some(app_id), Some(path)) => {
            let pem = std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the GitHub App private key {}", path.display())
            })?;
            plasma_github::Auth::App { app_id, private_key_pem: Secret::new(pem) }
        }
        (Some(token), _, _) => plasma_github::Auth::Token(token.clone()),
        _ => return Ok(None),
    };
    let client = GitHubClient::new(ClientConfig::new(auth).base_url(cfg.github_api_url.clone()))
        .map_err(|e| anyhow!("cannot build the GitHub client: {e}"))?;
    Ok(Some(client))
}

pub(crate) async fn open_store(cfg: &ServiceConfig) -> Result<Arc<dyn Store>> {
    plasma_store::open(&cfg.database_url).await.map_err(|e| anyhow!("{e}"))
}

/// `plasma-ops serve`. Like the other service commands it takes `Global` only for the common
/// shape: the service is configured by `PLASMA_OPS_*` and `--service-config`, not the global
/// options.
pub fn serve(_g: &Global, _out: &Out, args: ServeArgs) -> Result<u8> {
    let cfg = load_config(args.service_config.as_deref())?;
    let rt = runtime()?;
    rt.block_on(async move {
        // Logs, and OTLP traces and metrics when OTEL_EXPORTER_OTLP_ENDPOINT asks for them; the
        // exporter sends from this runtime, so it is set up inside it.
        let telemetry = plasma_service::telemetry::init(cfg.log_format)
            .context("cannot set up OpenTelemetry (the OTEL_* variables)")?;
        let store = open_store(&cfg).await?;
        let gh = github(&cfg)?;
        if gh.is_none() {
            tracing::warn!(
                "no GitHub credentials: dry run (plans are recorded and logged, nothing is written)"
            );
        }
        if cfg.webhook_secret.is_none() {
            tracing::warn!(
                "PLASMA_OPS_WEBHOOK_SECRET is not set: every delivery will be refused with 401"
            );
        }
        let app = App::new(cfg, store, gh, system_clock());
        let running = plasma_service::start(app).await.context("cannot start the service")?;
        eprintln!("plasma-ops listening on http://{}", running.addr);
        shutdown_signal().await;
        tracing::info!("shutting down: finishing running jobs");
        let failed = running.shutdown().await;
        // After the workers: their last spans and metrics are flushed too.
        telemetry.shutdown().await;
        if failed.is_empty() {
            return Ok(exit::OK);
        }
        let failed: Vec<String> = failed.iter().map(ToString::to_string).collect();
        Err(anyhow!("service tasks ended abnormally: {}", failed.join("; ")))
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// `plasma-ops replay`.
pub fn replay(_g: &Global, _out: &Out, args: ReplayArgs) -> Result<u8> {
    let ReplayArgs { file, event, url, secret, delivery } = args;
    let body = read_input(&file, "webhook payload")?.into_bytes();
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        bail!(
            "no webhook secret: pass --secret or set PLASMA_OPS_WEBHOOK_SECRET (the server's secret)"
        );
    };
    let signature = plasma_github::sign(secret.as_bytes(), &body);
    let delivery = delivery.unwrap_or_else(|| format!("replay-{:016x}", rand_id()));
    let rt = runtime()?;
    rt.block_on(async move {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .context("cannot build the HTTP client")?;
        let resp = client
            .post(&url)
            .header("content-type", "application/json")
            .header("user-agent", "GitHub-Hookshot/plasma-ops-replay")
            .header("x-github-event", &event)
            .header("x-github-delivery", &delivery)
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
            .await
            .with_context(|| {
                format!("cannot deliver to {url}; is `plasma-ops serve` running there?")
            })?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        println!("{} {} (delivery {delivery})", status.as_u16(), text.trim());
        Ok(if status.is_success() { exit::OK } else { exit::VIOLATIONS })
    })
}

fn rand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// `plasma-ops reconcile owner/repo#n`.
pub fn reconcile(_g: &Global, out: &Out, args: ReconcileArgs) -> Result<u8> {
    let ReconcileArgs { target, dry_run, service_config } = args;
    let (repo, number) = target
        .rsplit_once('#')
        .and_then(|(r, n)| Some((r.to_string(), n.parse::<u64>().ok()?)))
        .filter(|(r, _)| r.split('/').count() == 2)
        .ok_or_else(|| anyhow!("`{target}` is not `owner/repo#number`"))?;
    let mut cfg = load_config(service_config.as_deref())?;
    cfg.dry_run |= dry_run;
    plasma_service::logging::init(plasma_service::LogFormat::Text);
    let rt = runtime()?;
    rt.block_on(async move {
        let store = open_store(&cfg).await?;
        let gh = github(&cfg)?;
        if gh.is_none() {
            bail!("no GitHub credentials: set PLASMA_OPS_GITHUB_TOKEN, or PLASMA_OPS_GITHUB_APP_ID and PLASMA_OPS_GITHUB_PRIVATE_KEY_PATH");
        }
        let app = App::new(cfg, store, gh, system_clock());
        let key = format!("{repo}#{number}");
        let causes = vec![plasma_store::Cause::Cli];
        let done = reconcile_pr(&app, &JobContext { key: &key, causes: &causes, job_id: None }, &repo, number)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        match out.format {
            Format::Json | Format::Sarif => println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "key": key, "dry_run": done.dry_run, "plan": done.plan, "verdict": done.verdict,
                }))?
            ),
            _ => {
                let mode = if done.dry_run { "planned (dry run)" } else { "applied" };
                println!("{key}: {} write(s) {mode}", done.plan.writes.len());
                for w in &done.plan.writes {
                    println!("  {}", describe(w));
                }
                if let Some(v) = &done.verdict {
                    println!("verdict: {}", if v.ready { "ready" } else if v.ok { "no blockers, not ready" } else { "not ready" });
                }
            }
        }
        Ok(exit::OK)
    })
}

fn describe(w: &plasma_policy::plan::Write) -> String {
    use plasma_policy::plan::Write;
    match w {
        Write::CreateLabel { name, color, .. } => format!("create label `{name}` (#{color})"),
        Write::AddLabels { labels } => format!("add labels {}", labels.join(", ")),
        Write::RemoveLabel { name } => format!("remove label `{name}`"),
        Write::CreateComment { .. } => "create the summary comment".into(),
        Write::UpdateComment { id, .. } => format!("update the summary comment #{id}"),
        Write::SetStatus { context, state, description, .. } => {
            format!("set status `{context}` = {state}: {description}")
        }
        Write::RequestRereview { sha, .. } => {
            format!("request a CodeRabbit review of {}", sha.get(..7).unwrap_or(sha))
        }
        Write::ReopenIssue => "reopen the issue".into(),
    }
}

/// `plasma-ops jobs`.
pub fn jobs(_g: &Global, out: &Out, args: JobsArgs) -> Result<u8> {
    let JobsArgs { dead, retry, service_config } = args;
    let cfg = load_config(service_config.as_deref())?;
    let rt = runtime()?;
    rt.block_on(async move {
        let store = open_store(&cfg).await?;
        if let Some(key) = retry.as_deref() {
            let now = system_clock()();
            return if store.retry_dead(key, now).await.map_err(|e| anyhow!("{e}"))? {
                println!("{key}: back in the queue");
                Ok(exit::OK)
            } else {
                bail!("{key}: no dead-lettered job with that key (see `plasma-ops jobs --dead`)")
            };
        }
        let filter = if dead { JobFilter::Dead } else { JobFilter::All };
        let rows = store.jobs(filter).await.map_err(|e| anyhow!("{e}"))?;
        match out.format {
            Format::Json | Format::Sarif => {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "jobs": rows }))?)
            }
            _ => {
                if rows.is_empty() {
                    println!("no jobs");
                }
                for r in &rows {
                    let err = r
                        .last_error
                        .as_deref()
                        .map(|e| format!("  last error: {e}"))
                        .unwrap_or_default();
                    println!("{:<40} {:<8} attempts {}{err}", r.key, r.state, r.attempts);
                }
            }
        }
        Ok(exit::OK)
    })
}
