//! What the issue and incident rules read and write beyond the pull-request reconcile: an
//! issue's events (assignment times), reopening an issue, and the repository's issue templates.

use jiff::Timestamp;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{Call, GitHubError, RepoClient, Shape};
use crate::model::{Account, Issue, null_as_default};

/// The directory GitHub reads issue templates from.
pub const TEMPLATE_DIR: &str = ".github/ISSUE_TEMPLATE";

/// One entry of an issue's event list (`GET .../issues/{n}/events`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IssueEvent {
    /// `assigned`, `labeled`, `closed`, `reopened`, ...
    #[serde(default, deserialize_with = "null_as_default")]
    pub event: String,
    /// Who did it.
    #[serde(default)]
    pub actor: Option<Account>,
    /// When GitHub recorded it.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
}

/// One entry of a directory listing of the contents API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct DirEntry {
    #[serde(default, deserialize_with = "null_as_default")]
    path: String,
    #[serde(default, rename = "type", deserialize_with = "null_as_default")]
    kind: String,
}

impl RepoClient {
    /// Every event of an issue, oldest first.
    pub async fn list_issue_events(&self, number: u64) -> Result<Vec<IssueEvent>, GitHubError> {
        let n = number.to_string();
        let call = Call::get(
            self.route("/repos/{owner}/{repo}/issues/{issue_number}/events", &[&n]),
            self.scope(),
        );
        self.client.list(call, Shape::Array).await
    }

    /// Reopens an issue (`PATCH` with `state: open`); repeating it changes nothing, so it is
    /// retried like an idempotent request.
    pub async fn reopen_issue(&self, number: u64) -> Result<Issue, GitHubError> {
        let n = number.to_string();
        let call = Call::new(
            Method::PATCH,
            self.route("/repos/{owner}/{repo}/issues/{issue_number}", &[&n]),
            self.scope(),
        )
        .json(json!({ "state": "open" }))
        .retry_safe();
        self.client.fetch(call).await
    }

    /// The issue templates of the default branch, `(path, text)` sorted by path, at most
    /// `limit`; none when the directory does not exist.
    pub async fn issue_templates(
        &self,
        limit: usize,
    ) -> Result<Vec<(String, String)>, GitHubError> {
        let absent_key = format!("{}:{TEMPLATE_DIR}/@", self.full_name());
        if self.client.known_absent(&absent_key) {
            return Ok(Vec::new());
        }
        let call = Call::get(
            self.route("/repos/{owner}/{repo}/contents/{path}", &[TEMPLATE_DIR]),
            self.scope(),
        );
        let listing: serde_json::Value = match self.client.fetch(call).await {
            Ok(v) => v,
            Err(e) if e.is_not_found() => {
                self.client.remember_absent(absent_key);
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        // A file where the directory should be is no template directory.
        let entries: Vec<DirEntry> = serde_json::from_value(listing).unwrap_or_default();
        let mut paths: Vec<String> = entries
            .into_iter()
            .filter(|e| e.kind == "file" && plasma_policy::issue_form::is_template_path(&e.path))
            .map(|e| e.path)
            .collect();
        paths.sort();
        paths.truncate(limit);
        let mut out = Vec::with_capacity(paths.len());
        for path in paths {
            match self.get_content(&path, None).await {
                Ok(Some(text)) => out.push((path, text)),
                Ok(None) => {}
                // One template GitHub will not serve (too large, not UTF-8) is skipped; the
                // audit reports it.
                Err(GitHubError::Content { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}
