//! A pull request's review threads, read with GraphQL (REST has no thread state: whether a
//! thread is resolved or outdated exists only in GraphQL's `PullRequestReviewThread`).

use plasma_policy::snapshot::ReviewThread;
use serde::Deserialize;
use serde_json::json;

use super::graphql::ops;
use super::{GitHubError, RepoClient};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadNode {
    id: String,
    is_resolved: bool,
    is_outdated: bool,
    path: String,
    #[serde(default)]
    line: Option<u64>,
    #[serde(default)]
    original_line: Option<u64>,
    comments: Comments,
}

#[derive(Deserialize)]
struct Comments {
    #[serde(default)]
    nodes: Vec<CommentNode>,
}

#[derive(Deserialize)]
struct CommentNode {
    /// `null` for a deleted account.
    #[serde(default)]
    author: Option<Author>,
    url: String,
}

#[derive(Deserialize)]
struct Author {
    login: String,
}

impl From<ThreadNode> for ReviewThread {
    fn from(t: ThreadNode) -> Self {
        let first = t.comments.nodes.into_iter().next();
        ReviewThread {
            id: t.id,
            author: first
                .as_ref()
                .and_then(|c| c.author.as_ref())
                .map(|a| a.login.clone())
                .unwrap_or_default(),
            resolved: t.is_resolved,
            outdated: t.is_outdated,
            path: t.path,
            // GitHub gives no current line once the lines are gone: show where it was.
            line: t.line.or(t.original_line),
            url: first.map(|c| c.url).unwrap_or_default(),
        }
    }
}

impl RepoClient {
    /// Every review thread of pull request `number` (pages of 100, up to the page bound).
    pub async fn review_threads(&self, number: u64) -> Result<Vec<ReviewThread>, GitHubError> {
        let vars = json!({ "owner": self.owner(), "name": self.name, "number": number });
        let nodes: Vec<ThreadNode> = self
            .graphql_nodes(
                &ops::REVIEW_THREADS,
                vars,
                &["repository", "pullRequest", "reviewThreads"],
            )
            .await?;
        Ok(nodes.into_iter().map(ReviewThread::from).collect())
    }
}
