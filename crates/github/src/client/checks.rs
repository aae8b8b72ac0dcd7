//! Creating check runs (`POST /repos/{owner}/{repo}/check-runs`), so a command run in CI (the
//! coverage gate) can report to the pull request's checks under its own name. GitHub lets GitHub
//! Apps and the Actions `GITHUB_TOKEN` create check runs; a personal access token gets 403.

use reqwest::Method;
use serde::Serialize;
use serde_json::json;

use super::endpoints::RepoClient;
use super::types::CheckRunInfo;
use super::{Call, GitHubError};

/// GitHub accepts at most 50 annotations per request.
pub const MAX_ANNOTATIONS: usize = 50;
/// GitHub's limit on `output.summary` and `output.text` (characters).
const MAX_OUTPUT: usize = 65_535;

/// A completed check run to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckRun {
    /// Check name shown on the pull request, e.g. `coverage`.
    pub name: String,
    /// The commit it is about.
    pub head_sha: String,
    /// `success`, `failure`, `neutral`, ...
    pub conclusion: String,
    /// One-line title.
    pub title: String,
    /// Markdown summary (cut at GitHub's 65,535 characters).
    pub summary: String,
    /// Annotations; only the first [`MAX_ANNOTATIONS`] are sent.
    pub annotations: Vec<CheckAnnotation>,
}

/// One annotation of a check run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckAnnotation {
    /// Repository path.
    pub path: String,
    /// First line (1-based).
    pub start_line: u32,
    /// Last line.
    pub end_line: u32,
    /// `notice`, `warning` or `failure`.
    pub annotation_level: String,
    /// Title.
    pub title: String,
    /// Message.
    pub message: String,
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl RepoClient {
    /// Creates a completed check run. Sending it twice only adds a second run of the same name,
    /// and GitHub shows the newest, so a retry is harmless.
    pub async fn create_check_run(&self, run: &NewCheckRun) -> Result<CheckRunInfo, GitHubError> {
        let annotations: Vec<&CheckAnnotation> =
            run.annotations.iter().take(MAX_ANNOTATIONS).collect();
        let body = json!({
            "name": run.name,
            "head_sha": run.head_sha,
            "status": "completed",
            "conclusion": run.conclusion,
            "output": {
                "title": cut(&run.title, 255),
                "summary": cut(&run.summary, MAX_OUTPUT),
                "annotations": annotations,
            },
        });
        let call = Call::new(
            Method::POST,
            self.route("/repos/{owner}/{repo}/check-runs", &[]),
            self.scope(),
        )
        .json(body)
        .retry_safe();
        self.client.fetch(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_to_githubs_limits() {
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut(&"x".repeat(70_000), MAX_OUTPUT).chars().count(), MAX_OUTPUT);
    }
}
