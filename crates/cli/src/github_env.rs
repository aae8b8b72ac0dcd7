//! The GitHub client of the one-shot commands (`audit --remote`, `coverage --post-check`,
//! `release plan --pr-labels`): a token and an API base from the environment, as GitHub Actions
//! sets them (`GITHUB_TOKEN`, `GITHUB_API_URL`), with `PLASMA_OPS_*` taking precedence so a
//! token meant for plasma-ops can sit beside the workflow's own. The token only reaches the
//! client, which keeps it out of logs and errors.

use anyhow::{Context, Result, anyhow};
use plasma_github::{ClientConfig, GitHubClient, Secret};

/// Where the token is looked for, first match wins.
pub const TOKEN_VARS: [&str; 2] = ["PLASMA_OPS_GITHUB_TOKEN", "GITHUB_TOKEN"];
const API_URL_VARS: [&str; 2] = ["PLASMA_OPS_GITHUB_API_URL", "GITHUB_API_URL"];

fn first_set(vars: &[&str]) -> Option<String> {
    vars.iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
}

/// A client when a token is set, `None` otherwise (the caller says what that means for it).
pub fn client_from_env() -> Result<Option<GitHubClient>> {
    let Some(token) = first_set(&TOKEN_VARS) else { return Ok(None) };
    let mut config = ClientConfig::with_token(Secret::new(token));
    if let Some(url) = first_set(&API_URL_VARS) {
        config = config.base_url(url);
    }
    GitHubClient::new(config).map(Some).map_err(|e| anyhow!("{e}"))
}

/// A single-threaded runtime for one command's calls.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
