//! The service's own configuration: environment variables `PLASMA_OPS_*`, optionally a YAML file
//! with the same keys in lowercase (`listen:`, `database_url:`, ...). Environment wins over the
//! file. Secrets come only from the environment or from files, never from the command line, and
//! are wrapped so that `Debug` prints `[redacted]`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use plasma_github::Secret;
use serde::Deserialize;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// JSON lines, one correlation id per delivery.
    Json,
    /// Human-readable, for terminals.
    Text,
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Address to bind (`127.0.0.1:8080`; the service binds loopback unless told otherwise).
    pub listen: SocketAddr,
    /// Path of the webhook endpoint.
    pub webhook_path: String,
    /// The webhook secret; without one every delivery is refused (401).
    pub webhook_secret: Option<Secret>,
    /// `sqlite://PATH` (default `plasma-ops.db` in the working directory).
    pub database_url: String,
    /// GitHub REST base URL.
    pub github_api_url: String,
    /// A plain token (PAT or installation token).
    pub github_token: Option<Secret>,
    /// GitHub App id.
    pub github_app_id: Option<u64>,
    /// Path of the App's private key (PEM).
    pub github_private_key_path: Option<PathBuf>,
    /// Plan only, write nothing (forced when there are no credentials).
    pub dry_run: bool,
    /// Repositories to sweep with a plain token (`owner/repo`).
    pub repositories: Vec<String>,
    /// Period of the sweep over every open pull request.
    pub sweep_interval: Duration,
    /// How long a repository's configuration (present or absent) is trusted without a push
    /// webhook saying `.github/` changed; then it is read again (a 304 when unchanged).
    pub config_cache_ttl: Duration,
    /// Log format.
    pub log_format: LogFormat,
    /// Concurrent reconcile workers.
    pub workers: usize,
    /// Job lease length; renewed by a heartbeat while the job runs.
    pub lease: Duration,
    /// Attempts before a job is dead-lettered.
    pub max_attempts: u32,
    /// Commit status context.
    pub status_context: String,
    /// The login plasma-ops writes as (`<app-slug>[bot]`): only its comments count as ours
    /// (sticky summary, re-review markers), so nobody else can forge them. When unset it is
    /// learned from GitHub (`GET /app` or `GET /user`); set, it wins.
    pub bot_login: Option<String>,
    /// How long processed deliveries are kept (`None`: for ever).
    pub keep_deliveries: Option<Duration>,
    /// How long the action log is kept (`None`: for ever).
    pub keep_actions: Option<Duration>,
    /// How long sent notifications are kept (`None`: for ever); their rows are what makes a
    /// replayed event enqueue nothing new, so the window outlasts any replay.
    pub keep_notifications: Option<Duration>,
    /// How long dead-lettered notifications nobody retried are kept (`None`: for ever).
    pub keep_dead_notifications: Option<Duration>,
    /// MCP over HTTP (`/mcp`): the bearer token every request needs; without one `/mcp` answers
    /// only on a loopback bind.
    pub mcp_token: Option<Secret>,
    /// MCP: the comma-separated tools to offer (default: all).
    pub mcp_tools: Option<String>,
    /// The dashboard (`/`, `/pr/...`, `/ops`): the token a reader needs (bearer or the login
    /// form's cookie); without one the dashboard answers only on a loopback bind.
    pub dashboard_token: Option<Secret>,
    /// The fleet's shared conditional-request cache in the store (issue 14): at most this many
    /// answers (0 turns it off; each process keeps its own in-memory cache either way).
    pub shared_cache_entries: u64,
    /// ... and at most this many bytes of them.
    pub shared_cache_bytes: u64,
}

/// GitHub lets a delivery be redelivered for 3 days; a delivery row kept at least that long
/// makes every redelivery a recognised duplicate.
const MIN_KEEP_DELIVERIES: Duration = Duration::from_secs(3 * 86_400);
/// The action log answers "what did plasma-ops do to this pull request": a day at least.
const MIN_KEEP_ACTIONS: Duration = Duration::from_secs(86_400);
/// A sent notification's row is its deduplication key: kept at least as long as GitHub
/// redelivers (3 days), or a redelivered event would announce it again.
const MIN_KEEP_NOTIFICATIONS: Duration = Duration::from_secs(3 * 86_400);
/// A dead letter waits for a person to retry it: a week at least.
const MIN_KEEP_DEAD_NOTIFICATIONS: Duration = Duration::from_secs(7 * 86_400);

/// A configuration problem, naming the variable or key.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    /// The variable or file key.
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
}

fn err(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError { key: key.into(), message: message.into() }
}

/// The file form: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    webhook_path: Option<String>,
    webhook_secret_file: Option<PathBuf>,
    database_url: Option<String>,
    github_api_url: Option<String>,
    github_token_file: Option<PathBuf>,
    github_app_id: Option<u64>,
    github_private_key_path: Option<PathBuf>,
    dry_run: Option<bool>,
    repositories: Option<Vec<String>>,
    sweep_interval: Option<String>,
    config_cache_ttl: Option<String>,
    log_format: Option<String>,
    workers: Option<usize>,
    lease: Option<String>,
    max_attempts: Option<u32>,
    status_context: Option<String>,
    bot_login: Option<String>,
    keep_deliveries: Option<String>,
    keep_actions: Option<String>,
    keep_notifications: Option<String>,
    keep_dead_notifications: Option<String>,
    mcp_token_file: Option<PathBuf>,
    mcp_tools: Option<String>,
    shared_cache_entries: Option<u64>,
    shared_cache_mb: Option<u64>,
}

impl ServiceConfig {
    /// Read the configuration from `env` (normally `std::env::vars()`) and an optional file.
    pub fn load(env: &BTreeMap<String, String>, file: Option<&str>) -> Result<Self, ConfigError> {
        let f: FileConfig = match file {
            Some(text) => yaml_serde::from_str(text).map_err(|e| {
                let loc = e
                    .location()
                    .map(|l| format!("{}:{}: ", l.line(), l.column()))
                    .unwrap_or_default();
                err("config file", format!("{loc}{e}"))
            })?,
            None => FileConfig::default(),
        };
        let var = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        let listen_text =
            var("PLASMA_OPS_LISTEN").or(f.listen).unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = listen_text.parse().map_err(|_| {
            err(
                "PLASMA_OPS_LISTEN",
                format!("`{listen_text}` is not an address; write it like 127.0.0.1:8080"),
            )
        })?;
        let secret_from_file =
            |key: &str, p: &Option<PathBuf>| -> Result<Option<Secret>, ConfigError> {
                match p {
                    Some(p) => std::fs::read_to_string(p)
                        .map(|s| Some(Secret::new(s.trim_end())))
                        .map_err(|e| err(key, format!("cannot read {}: {e}", p.display()))),
                    None => Ok(None),
                }
            };
        let webhook_secret = match var("PLASMA_OPS_WEBHOOK_SECRET") {
            Some(s) => Some(Secret::new(s)),
            None => secret_from_file("webhook_secret_file", &f.webhook_secret_file)?,
        };
        let github_token = match var("PLASMA_OPS_GITHUB_TOKEN") {
            Some(s) => Some(Secret::new(s)),
            None => secret_from_file("github_token_file", &f.github_token_file)?,
        };
        let mcp_token = match var("PLASMA_OPS_MCP_TOKEN") {
            Some(s) => Some(Secret::new(s)),
            None => secret_from_file("mcp_token_file", &f.mcp_token_file)?,
        };
        let github_app_id =
            match var("PLASMA_OPS_GITHUB_APP_ID") {
                Some(s) => Some(s.parse().map_err(|_| {
                    err("PLASMA_OPS_GITHUB_APP_ID", format!("`{s}` is not a number"))
                })?),
                None => f.github_app_id,
            };
        let github_private_key_path = var("PLASMA_OPS_GITHUB_PRIVATE_KEY_PATH")
            .map(PathBuf::from)
            .or(f.github_private_key_path);
        if github_app_id.is_some() != github_private_key_path.is_some() {
            return Err(err(
                "PLASMA_OPS_GITHUB_APP_ID",
                "a GitHub App needs both PLASMA_OPS_GITHUB_APP_ID and PLASMA_OPS_GITHUB_PRIVATE_KEY_PATH",
            ));
        }
        let dry_run = match var("PLASMA_OPS_DRY_RUN") {
            Some(v) => parse_bool("PLASMA_OPS_DRY_RUN", &v)?,
            None => f.dry_run.unwrap_or(false),
        };
        let repositories = match var("PLASMA_OPS_REPOSITORIES") {
            Some(v) => {
                v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
            }
            None => f.repositories.unwrap_or_default(),
        };
        for r in &repositories {
            if r.split('/').count() != 2 || r.starts_with('/') || r.ends_with('/') {
                return Err(err("PLASMA_OPS_REPOSITORIES", format!("`{r}` is not `owner/repo`")));
            }
        }
        let duration =
            |key: &str, v: Option<String>, default: &str| -> Result<Duration, ConfigError> {
                let text = v.unwrap_or_else(|| default.into());
                humantime::parse_duration(&text).map_err(|e| {
                    err(key, format!("`{text}` is not a duration ({e}); write it like 30m or 45s"))
                })
            };
        let sweep_interval = duration(
            "PLASMA_OPS_SWEEP_INTERVAL",
            var("PLASMA_OPS_SWEEP_INTERVAL").or(f.sweep_interval),
            "30m",
        )?;
        let config_cache_ttl = duration(
            "PLASMA_OPS_CONFIG_CACHE_TTL",
            var("PLASMA_OPS_CONFIG_CACHE_TTL").or(f.config_cache_ttl),
            "24h",
        )?;
        let lease = duration("PLASMA_OPS_LEASE", var("PLASMA_OPS_LEASE").or(f.lease), "30s")?;
        let keep = |key: &str, v: Option<String>, default: &str, min: Duration, why: &str| {
            let text = v.unwrap_or_else(|| default.into());
            if text.trim() == "forever" {
                return Ok(None);
            }
            let d = duration(key, Some(text.clone()), default)?;
            if d < min {
                return Err(err(
                    key,
                    format!(
                        "`{text}` is shorter than {}: {why}; write a longer duration or `forever`",
                        humantime::format_duration(min)
                    ),
                ));
            }
            Ok(Some(d))
        };
        let keep_deliveries = keep(
            "PLASMA_OPS_KEEP_DELIVERIES",
            var("PLASMA_OPS_KEEP_DELIVERIES").or(f.keep_deliveries),
            "7d",
            MIN_KEEP_DELIVERIES,
            "GitHub redelivers deliveries up to 3 days old, and a pruned one would be applied again",
        )?;
        let keep_actions = keep(
            "PLASMA_OPS_KEEP_ACTIONS",
            var("PLASMA_OPS_KEEP_ACTIONS").or(f.keep_actions),
            "90d",
            MIN_KEEP_ACTIONS,
            "the action log is how plasma-ops explains what it did",
        )?;
        let keep_notifications = keep(
            "PLASMA_OPS_KEEP_NOTIFICATIONS",
            var("PLASMA_OPS_KEEP_NOTIFICATIONS").or(f.keep_notifications),
            "90d",
            MIN_KEEP_NOTIFICATIONS,
            "a sent notification's row keeps a redelivered event from announcing it again",
        )?;
        let keep_dead_notifications = keep(
            "PLASMA_OPS_KEEP_DEAD_NOTIFICATIONS",
            var("PLASMA_OPS_KEEP_DEAD_NOTIFICATIONS").or(f.keep_dead_notifications),
            "180d",
            MIN_KEEP_DEAD_NOTIFICATIONS,
            "a dead letter waits for `plasma-ops notifications --retry ID`",
        )?;
        let log_format = match var("PLASMA_OPS_LOG_FORMAT").or(f.log_format).as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("text") => LogFormat::Text,
            Some(other) => {
                return Err(err(
                    "PLASMA_OPS_LOG_FORMAT",
                    format!("`{other}` is neither `json` nor `text`"),
                ));
            }
        };
        let workers = match var("PLASMA_OPS_WORKERS") {
            Some(v) => v
                .parse()
                .map_err(|_| err("PLASMA_OPS_WORKERS", format!("`{v}` is not a number")))?,
            None => f.workers.unwrap_or(4),
        };
        let count = |key: &str, v: Option<String>, file: Option<u64>, default: u64| match v {
            Some(v) => v.trim().parse::<u64>().map_err(|_| {
                err(key, format!("`{v}` is not a whole number (0 turns the shared cache off)"))
            }),
            None => Ok(file.unwrap_or(default)),
        };
        let shared_cache_entries = count(
            "PLASMA_OPS_SHARED_CACHE_ENTRIES",
            var("PLASMA_OPS_SHARED_CACHE_ENTRIES"),
            f.shared_cache_entries,
            50_000,
        )?;
        let shared_cache_mb = count(
            "PLASMA_OPS_SHARED_CACHE_MB",
            var("PLASMA_OPS_SHARED_CACHE_MB"),
            f.shared_cache_mb,
            256,
        )?;
        // `DATABASE_URL` is the common convention (sqlx, platform add-ons); ours wins.
        let database_url = var("PLASMA_OPS_DATABASE_URL")
            .or(f.database_url)
            .or_else(|| var("DATABASE_URL"))
            .unwrap_or_else(|| "sqlite://plasma-ops.db".into());
        Ok(ServiceConfig {
            listen,
            webhook_path: var("PLASMA_OPS_WEBHOOK_PATH")
                .or(f.webhook_path)
                .unwrap_or_else(|| "/webhook".into()),
            webhook_secret,
            database_url,
            github_api_url: var("PLASMA_OPS_GITHUB_API_URL")
                .or(f.github_api_url)
                .unwrap_or_else(|| "https://api.github.com".into()),
            github_token,
            github_app_id,
            github_private_key_path,
            dry_run,
            repositories,
            sweep_interval,
            config_cache_ttl,
            log_format,
            workers: workers.clamp(1, 64),
            lease,
            max_attempts: f.max_attempts.unwrap_or(8).max(1),
            status_context: f.status_context.unwrap_or_else(|| "plasma-ops/process".into()),
            bot_login: var("PLASMA_OPS_BOT_LOGIN").or(f.bot_login),
            keep_deliveries,
            keep_actions,
            keep_notifications,
            keep_dead_notifications,
            mcp_token,
            mcp_tools: var("PLASMA_OPS_MCP_TOOLS").or(f.mcp_tools),
            dashboard_token: var("PLASMA_OPS_DASHBOARD_TOKEN").map(Secret::new),
            shared_cache_entries,
            shared_cache_bytes: shared_cache_mb.saturating_mul(1 << 20),
        })
    }

    /// Whether any GitHub credentials are configured.
    pub fn has_credentials(&self) -> bool {
        self.github_token.is_some() || self.github_app_id.is_some()
    }

    /// Dry run is forced without credentials.
    pub fn effective_dry_run(&self) -> bool {
        self.dry_run || !self.has_credentials()
    }
}

fn parse_bool(key: &str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(err(key, format!("`{v}` is not true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_safe() {
        let c = ServiceConfig::load(&env(&[]), None).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://plasma-ops.db");
        assert!(c.effective_dry_run(), "no credentials means dry run");
        assert_eq!(c.sweep_interval, Duration::from_secs(1800));
        assert_eq!(c.config_cache_ttl, Duration::from_secs(86_400));
        let c = ServiceConfig::load(&env(&[]), Some("config_cache_ttl: 6h\n")).unwrap();
        assert_eq!(c.config_cache_ttl, Duration::from_secs(6 * 3600));
    }

    #[test]
    fn env_wins_and_secrets_are_redacted() {
        let file = "listen: 127.0.0.1:9000\nworkers: 2\n";
        let c = ServiceConfig::load(
            &env(&[
                ("PLASMA_OPS_LISTEN", "127.0.0.1:9001"),
                ("PLASMA_OPS_WEBHOOK_SECRET", "s3cr3t-value"),
                ("PLASMA_OPS_GITHUB_TOKEN", "ghp_abc"),
            ]),
            Some(file),
        )
        .unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(c.workers, 2);
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("s3cr3t-value") && !dbg.contains("ghp_abc"), "{dbg}");
        assert!(!c.effective_dry_run());
    }

    #[test]
    fn database_url_is_a_fallback() {
        let pg = "postgres://postgres@127.0.0.1:5432/plasma";
        let c = ServiceConfig::load(&env(&[("DATABASE_URL", pg)]), None).unwrap();
        assert_eq!(c.database_url, pg);
        let c = ServiceConfig::load(
            &env(&[("DATABASE_URL", pg), ("PLASMA_OPS_DATABASE_URL", "sqlite://x.db")]),
            None,
        )
        .unwrap();
        assert_eq!(c.database_url, "sqlite://x.db");
    }

    #[test]
    fn errors_name_the_variable() {
        for (k, v, want) in [
            ("PLASMA_OPS_LISTEN", "nowhere", "PLASMA_OPS_LISTEN"),
            ("PLASMA_OPS_SWEEP_INTERVAL", "soon", "PLASMA_OPS_SWEEP_INTERVAL"),
            ("PLASMA_OPS_CONFIG_CACHE_TTL", "a day", "PLASMA_OPS_CONFIG_CACHE_TTL"),
            ("PLASMA_OPS_DRY_RUN", "maybe", "PLASMA_OPS_DRY_RUN"),
            ("PLASMA_OPS_REPOSITORIES", "justaname", "PLASMA_OPS_REPOSITORIES"),
            ("PLASMA_OPS_GITHUB_APP_ID", "12", "PLASMA_OPS_GITHUB_APP_ID"),
        ] {
            let e = ServiceConfig::load(&env(&[(k, v)]), None).unwrap_err();
            assert!(e.to_string().starts_with(want), "{e}");
        }
        let e = ServiceConfig::load(&env(&[]), Some("listne: x\n")).unwrap_err();
        assert!(e.to_string().contains("unknown field `listne`"), "{e}");
    }

    #[test]
    fn shared_cache_bounds_default_env_file_and_errors() {
        let c = ServiceConfig::load(&env(&[]), None).unwrap();
        assert_eq!((c.shared_cache_entries, c.shared_cache_bytes), (50_000, 256 << 20));
        let c = ServiceConfig::load(
            &env(&[("PLASMA_OPS_SHARED_CACHE_ENTRIES", "0")]),
            Some("shared_cache_entries: 7\nshared_cache_mb: 3\n"),
        )
        .unwrap();
        assert_eq!((c.shared_cache_entries, c.shared_cache_bytes), (0, 3 << 20));
        let e =
            ServiceConfig::load(&env(&[("PLASMA_OPS_SHARED_CACHE_MB", "lots")]), None).unwrap_err();
        assert!(e.to_string().starts_with("PLASMA_OPS_SHARED_CACHE_MB: `lots`"), "{e}");
    }

    #[test]
    fn retention_defaults_bounds_and_forever() {
        let day = Duration::from_secs(86_400);
        let c = ServiceConfig::load(&env(&[]), None).unwrap();
        assert_eq!((c.keep_deliveries, c.keep_actions), (Some(7 * day), Some(90 * day)));
        let c = ServiceConfig::load(
            &env(&[("PLASMA_OPS_KEEP_ACTIONS", "forever")]),
            Some("keep_deliveries: 14d\n"),
        )
        .unwrap();
        assert_eq!((c.keep_deliveries, c.keep_actions), (Some(14 * day), None));
        // Each refusal names the variable, the value, the floor and why.
        let cases = [
            ("PLASMA_OPS_KEEP_DELIVERIES", "1d", "shorter than 3days: GitHub redelivers"),
            ("PLASMA_OPS_KEEP_ACTIONS", "2h", "shorter than 1day: the action log"),
            ("PLASMA_OPS_KEEP_ACTIONS", "a while", "is not a duration"),
        ];
        for (k, v, want) in cases {
            let e = ServiceConfig::load(&env(&[(k, v)]), None).unwrap_err().to_string();
            assert!(e.starts_with(k) && e.contains(want) && e.contains(v), "{e}");
        }
    }
}
