//! The contract harness: Stoplight Prism as a validating proxy, loaded with GitHub's official
//! OpenAPI description, in front of the fake (or of anything else).
//!
//! Prism checks each request against the description (an invalid one gets 422 and never reaches
//! the upstream) and each answer (one that breaks GitHub's schema becomes a 500 problem+json with
//! `--errors`); both also name the problem in an `sl-violations` header. [`violations`] recognises
//! either. Prism comes from `tests/contract/install.sh` (pinned in `tests/contract/package.json`).

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;

use crate::FakeHub;

/// How long Prism may take to load the 13 MB description (about 10 s on a quiet 2-core machine).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// Why Prism could not be started.
#[derive(Debug, thiserror::Error)]
pub enum PrismError {
    /// Prism or the OpenAPI description is not installed.
    #[error("{what} is missing ({path}): run tests/contract/install.sh first")]
    NotInstalled {
        /// What is missing.
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// `node` could not be run.
    #[error(
        "could not run node for Prism: {0} (install Node.js and npm, then run tests/contract/install.sh first)"
    )]
    Spawn(std::io::Error),
    /// Prism stopped while starting.
    #[error("Prism exited while starting ({status}); its log:\n{log}")]
    Exited {
        /// Its exit status.
        status: ExitStatus,
        /// The end of its log.
        log: String,
    },
    /// Prism did not listen in time.
    #[error("Prism did not listen within {secs} s; its log:\n{log}")]
    Timeout {
        /// Seconds waited.
        secs: u64,
        /// The end of its log.
        log: String,
    },
    /// A local I/O failure (free port, log file, the fake itself).
    #[error("contract harness I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// A running Prism proxy; killed (and reaped) when dropped.
pub struct Prism {
    child: Child,
    url: String,
    log: PathBuf,
    startup: Duration,
}

impl std::fmt::Debug for Prism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prism").field("pid", &self.child.id()).field("url", &self.url).finish()
    }
}

impl Prism {
    /// Prism's base URL, `http://127.0.0.1:PORT`: send the requests here.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How long Prism took from spawn to listening.
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// Prism's log file (stdout and stderr).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Log lines where Prism reported an error or warning: with `--errors` every violation shows
    /// up here as "Request terminated with error", so a client that does not expose response
    /// headers (the real plasma-ops client) can be checked through the log.
    pub fn logged_problems(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                l.contains('✖') || l.contains("error") || l.contains("warning") || l.contains('⚠')
            })
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// `tests/contract` of this checkout, or `$PLASMA_CONTRACT_DIR` when set.
pub fn contract_dir() -> PathBuf {
    match std::env::var_os("PLASMA_CONTRACT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/contract"),
    }
}

/// The OpenAPI description Prism loads: `tests/contract/openapi/api.github.com.json`.
pub fn spec_path() -> PathBuf {
    contract_dir().join("openapi/api.github.com.json")
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for line in &lines[lines.len().saturating_sub(30)..] {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// Starts `prism proxy --errors` on a free port of 127.0.0.1 in front of `upstream` and waits
/// until it listens.
pub async fn start_prism(upstream: &str) -> Result<Prism, PrismError> {
    let dir = contract_dir();
    let cli = dir.join("node_modules/@stoplight/prism-cli/dist/index.js");
    if !cli.is_file() {
        return Err(PrismError::NotInstalled { what: "Prism (@stoplight/prism-cli)", path: cli });
    }
    let spec = spec_path();
    if !spec.is_file() {
        return Err(PrismError::NotInstalled { what: "GitHub's OpenAPI description", path: spec });
    }
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
    let log = std::env::temp_dir().join(format!("plasma-prism-{}-{port}.log", std::process::id()));
    let out = File::create(&log)?;
    let err = out.try_clone()?;
    let started = Instant::now();
    let mut child = Command::new("node")
        .arg(&cli)
        .args(["proxy", "--errors", "-v", "warn", "-h", "127.0.0.1", "-p", &port.to_string()])
        .arg(&spec)
        .arg(upstream)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(PrismError::Spawn)?;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        if let Some(status) = child.try_wait()? {
            return Err(PrismError::Exited { status, log: tail(&log) });
        }
        if started.elapsed() > STARTUP_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PrismError::Timeout { secs: STARTUP_TIMEOUT.as_secs(), log: tail(&log) });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Prism { child, url: format!("http://127.0.0.1:{port}"), log, startup: started.elapsed() })
}

/// Starts a [`FakeHub`] and Prism in front of it, with the fake's links pointing at Prism.
pub async fn start_with_prism() -> Result<(FakeHub, Prism), PrismError> {
    let fake = FakeHub::start().await?;
    let prism = start_prism(&fake.url()).await?;
    fake.set_public_base_url(&prism.url());
    Ok((fake, prism))
}

/// What [`strict_check`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct StrictReport {
    /// Bodies validated against a schema.
    pub checked: usize,
    /// Bodies that break their schema, and answers to operations the description lacks.
    pub problems: Vec<String>,
    /// Statuses the description does not document for the operation (an injected 502, a 401):
    /// GitHub does answer them, so these are notes, not failures.
    pub undocumented: Vec<String>,
}

/// The validator [`strict_check`] runs with node (ajv from Prism's dependencies).
const STRICT_SCRIPT: &str = include_str!("strict_schema.js");

/// Validates answers the fake gave ([`FakeHub::exchanges`]) against GitHub's description without
/// Prism's type coercion (Prism accepts `"7"` for an integer and `5` for a string).
pub fn strict_check(exchanges: &[crate::Exchange]) -> Result<StrictReport, PrismError> {
    let dir = contract_dir();
    let ajv = dir.join("node_modules/ajv/package.json");
    if !ajv.is_file() {
        return Err(PrismError::NotInstalled { what: "ajv (a Prism dependency)", path: ajv });
    }
    let spec = spec_path();
    if !spec.is_file() {
        return Err(PrismError::NotInstalled { what: "GitHub's OpenAPI description", path: spec });
    }
    let stem = format!("plasma-strict-{}-{:p}", std::process::id(), exchanges.as_ptr());
    let script = std::env::temp_dir().join(format!("{stem}.js"));
    let input = std::env::temp_dir().join(format!("{stem}.jsonl"));
    std::fs::write(&script, STRICT_SCRIPT)?;
    let mut lines = String::new();
    for x in exchanges {
        let line = serde_json::json!({
            "method": x.method, "path": x.path, "status": x.status, "body": x.body
        });
        let _ = writeln!(lines, "{line}");
    }
    std::fs::write(&input, lines)?;
    let output = Command::new("node").arg(&script).arg(&dir).arg(&input).output();
    let _ = std::fs::remove_file(&script);
    let _ = std::fs::remove_file(&input);
    let output = output.map_err(PrismError::Spawn)?;
    serde_json::from_slice(&output.stdout).map_err(|e| {
        PrismError::Io(std::io::Error::other(format!(
            "strict schema check failed ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )))
    })
}

/// The contract violation Prism reported in a response, if any: an `sl-violations` header, or a
/// problem+json body whose `type` is one of Prism's (`https://stoplight.io/prism/errors#...`).
pub fn violations(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(v) = headers.get("sl-violations") {
        return Some(format!("sl-violations: {}", String::from_utf8_lossy(v.as_bytes())));
    }
    let problem = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("problem+json"));
    if problem {
        let parsed: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let kind = parsed["type"].as_str().unwrap_or_default();
        if kind.starts_with("https://stoplight.io/") || kind.starts_with("http://stoplight.io/") {
            return Some(String::from_utf8_lossy(body).into_owned());
        }
    }
    None
}

/// Prism's warning for a status the description does not list for the operation.
const UNDOCUMENTED_STATUS: &str = "Unable to match the returned status code";

/// `true` when a violation from [`violations`] (or a line from [`Prism::logged_problems`]) only
/// says the status is not in the description: GitHub does answer 401, 502 or a secondary-limit
/// 403 where the description lists none, so injected faults produce exactly this warning.
pub fn is_undocumented_status(violation: &str) -> bool {
    let Some(list) = violation.strip_prefix("sl-violations: ") else {
        return violation.contains(UNDOCUMENTED_STATUS);
    };
    let entries: Vec<serde_json::Value> = serde_json::from_str(list).unwrap_or_default();
    !entries.is_empty()
        && entries.iter().all(|e| {
            e["severity"] == "Warning"
                && e["message"].as_str().is_some_and(|m| m.contains(UNDOCUMENTED_STATUS))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn header_or_problem_body_is_a_violation() {
        let mut h = HeaderMap::new();
        assert_eq!(violations(&h, b"{}"), None);
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        let body = br#"{"type":"https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR","title":"Route not resolved"}"#;
        assert!(violations(&h, body).is_some_and(|v| v.contains("NO_PATH_MATCHED")));
        assert_eq!(violations(&h, br#"{"type":"about:blank"}"#), None);
        h.insert("sl-violations", HeaderValue::from_static("[{\"message\":\"x\"}]"));
        assert!(violations(&h, b"").is_some_and(|v| v.starts_with("sl-violations")));
    }

    #[test]
    fn undocumented_status_is_told_apart() {
        let warning = r#"sl-violations: [{"location":["response"],"severity":"Warning","message":"Unable to match the returned status code with those defined in the document: 200,304"}]"#;
        assert!(is_undocumented_status(warning));
        let schema = r#"sl-violations: [{"location":["response","body"],"severity":"Error","code":"required","message":"Response body must have required property 'id'"}]"#;
        assert!(!is_undocumented_status(schema));
        assert!(!is_undocumented_status("sl-violations: []"));
        let line = "[VALIDATOR] ⚠  warning   Violation: response Unable to match the returned status code with those defined in the document: 200";
        assert!(is_undocumented_status(line));
        assert!(!is_undocumented_status(
            "✖  error     Request terminated with error: https://stoplight.io/prism/errors#VIOLATIONS"
        ));
    }
}
