//! Where secrets come from: the service's environment and files, looked up at send time (so a
//! fixed variable and `--retry` heal a dead letter), never from the configuration file.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Looks up environment variables; the process's own, or a fixed map in tests (the workspace
/// forbids `unsafe`, so tests cannot set the process environment).
#[derive(Clone)]
pub struct Env(Arc<Lookup>);

/// A variable lookup.
type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Env {
    /// The process environment.
    pub fn process() -> Env {
        Env(Arc::new(|name| std::env::var(name).ok()))
    }

    /// A fixed set of variables.
    pub fn fixed(vars: BTreeMap<String, String>) -> Env {
        Env(Arc::new(move |name| vars.get(name).cloned()))
    }

    /// The variable `name`, when set and not empty.
    pub fn var(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Env([values not shown])")
    }
}

/// A secret value: printed as `[redacted]` by `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The largest secret file read (a webhook URL is under 200 bytes).
const MAX_SECRET_FILE: u64 = 16 * 1024;

/// Reads a one-line secret from `path`; the error says which file and what to do, never the value.
pub fn read_secret_file(path: &str) -> Result<Secret, String> {
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("cannot read the secret file {path}: {e}; check the path and that the service may read it"))?;
    if meta.len() > MAX_SECRET_FILE {
        return Err(format!(
            "the secret file {path} is {} bytes; it should hold one line (the webhook URL)",
            meta.len()
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the secret file {path}: {e}"))?;
    let value = text.trim();
    if value.is_empty() {
        return Err(format!("the secret file {path} is empty; write the webhook URL into it"));
    }
    Ok(Secret::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("https://hooks.slack.com/services/T/B/XYZ");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "https://hooks.slack.com/services/T/B/XYZ");
        let env = Env::fixed([("A".to_owned(), "secret".to_owned())].into());
        assert!(!format!("{env:?}").contains("secret"));
        assert_eq!(env.var("A").as_deref(), Some("secret"));
        assert_eq!(env.var("B"), None);
        assert!(Env::process().var("PLASMA_NOTIFY_SURELY_UNSET_VARIABLE").is_none());
    }

    #[test]
    fn secret_files_are_read_trimmed_and_bounded() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("hook");
        std::fs::write(&path, "https://hooks.example/x\n").unwrap_or_else(|e| panic!("{e}"));
        let p = path.to_string_lossy().to_string();
        assert_eq!(
            read_secret_file(&p).map(|s| s.expose().to_owned()),
            Ok("https://hooks.example/x".into())
        );
        std::fs::write(&path, "  \n").unwrap_or_else(|e| panic!("{e}"));
        assert!(read_secret_file(&p).unwrap_err().contains("empty"));
        std::fs::write(&path, vec![b'a'; 20_000]).unwrap_or_else(|e| panic!("{e}"));
        assert!(read_secret_file(&p).unwrap_err().contains("20000 bytes"));
        let missing = dir.path().join("none").to_string_lossy().to_string();
        assert!(read_secret_file(&missing).unwrap_err().contains("cannot read"));
    }
}
