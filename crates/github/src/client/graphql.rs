//! GitHub's GraphQL API on the REST client's machinery: the same credentials (token, App JWT or
//! installation token), retries, rate-limit floor, logs and request metrics, with what GraphQL
//! adds: `errors` in a 200 answer, a budget of points rather than requests (resource `graphql`),
//! and connections paged by cursor.
//!
//! Every operation is a `.graphql` file under `crates/github/graphql/`, included at compile time
//! and listed in [`ops::ALL`]; a test validates every file there against GitHub's published
//! schema (`tests/contract`, `@octokit/graphql-schema`).

use reqwest::{Method, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::route::Route;
use super::{
    Call, GitHubClient, GitHubError, RateLimitKind, RepoClient, Scope, bump, config_error, decode,
};

/// The route label of every GraphQL request (metrics, logs, the rate-limit floor).
pub(crate) const ROUTE: &str = "/graphql";
/// Points GraphQL answers cost, by operation.
pub const POINTS: &str = "plasma_ops_github_graphql_points_total";
/// GraphQL answers that carried `errors`, by operation.
pub const ERRORS: &str = "plasma_ops_github_graphql_errors_total";

/// Whether an operation only reads (and so may be repeated when its answer is lost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// A `query`: repeating it is harmless.
    Query,
    /// A `mutation`: sent once; the caller checks before repeating.
    Mutation,
}

/// One GraphQL operation: its name (as in the document) and the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The operation's name, e.g. `ReviewThreads`.
    pub name: &'static str,
    /// Query or mutation.
    pub kind: OperationKind,
    /// The document, from `crates/github/graphql/<file>.graphql`.
    pub document: &'static str,
}

/// The operations plasma-ops sends.
pub mod ops {
    use super::{Operation, OperationKind};

    /// A pull request's review threads, a page of 100 at a time.
    pub const REVIEW_THREADS: Operation = Operation {
        name: "ReviewThreads",
        kind: OperationKind::Query,
        document: include_str!("../../graphql/review_threads.graphql"),
    };

    /// A project of an organisation, its status field and the field's options.
    pub const PROJECT_BOARD_ORG: Operation = Operation {
        name: "ProjectBoardOrg",
        kind: OperationKind::Query,
        document: include_str!("../../graphql/project_board_org.graphql"),
    };

    /// A project of a user, its status field and the field's options.
    pub const PROJECT_BOARD_USER: Operation = Operation {
        name: "ProjectBoardUser",
        kind: OperationKind::Query,
        document: include_str!("../../graphql/project_board_user.graphql"),
    };

    /// An issue's state and cards, and the pull requests that mention its key.
    pub const BOARD_ISSUE: Operation = Operation {
        name: "BoardIssue",
        kind: OperationKind::Query,
        document: include_str!("../../graphql/board_issue.graphql"),
    };

    /// Adds an issue to a project.
    pub const ADD_PROJECT_ITEM: Operation = Operation {
        name: "AddProjectItem",
        kind: OperationKind::Mutation,
        document: include_str!("../../graphql/add_project_item.graphql"),
    };

    /// Sets a card's status option.
    pub const SET_PROJECT_ITEM_STATUS: Operation = Operation {
        name: "SetProjectItemStatus",
        kind: OperationKind::Mutation,
        document: include_str!("../../graphql/set_project_item_status.graphql"),
    };

    /// A project's cards, 100 a page.
    pub const PROJECT_ITEMS: Operation = Operation {
        name: "ProjectItems",
        kind: OperationKind::Query,
        document: include_str!("../../graphql/project_items.graphql"),
    };

    /// A repository's open issue numbers, 100 a page (`board sync`, the sweep).
    pub const OPEN_ISSUES: Operation = Operation {
        name: "OpenIssues",
        kind: OperationKind::Query,
        document: include_str!("../../graphql/open_issues.graphql"),
    };

    /// One pull request with the fields the board reads.
    pub const KEYED_PULL: Operation = Operation {
        name: "KeyedPull",
        kind: OperationKind::Query,
        document: include_str!("../../graphql/keyed_pull.graphql"),
    };

    /// A repository's id, Discussion categories and newest Discussions (ADR announcements).
    pub const ADR_DISCUSSIONS: Operation = Operation {
        name: "AdrDiscussions",
        kind: OperationKind::Query,
        document: include_str!("../../graphql/adr_discussions.graphql"),
    };

    /// Creates a Discussion (an ADR proposal's announcement).
    pub const CREATE_DISCUSSION: Operation = Operation {
        name: "CreateDiscussion",
        kind: OperationKind::Mutation,
        document: include_str!("../../graphql/create_discussion.graphql"),
    };

    /// Posts a project status update (the weekly report's status on the board).
    pub const CREATE_PROJECT_STATUS_UPDATE: Operation = Operation {
        name: "CreateProjectStatusUpdate",
        kind: OperationKind::Mutation,
        document: include_str!("../../graphql/create_project_status_update.graphql"),
    };

    /// Every operation, one per file under `crates/github/graphql/`.
    pub const ALL: &[Operation] = &[
        REVIEW_THREADS,
        PROJECT_BOARD_ORG,
        PROJECT_BOARD_USER,
        BOARD_ISSUE,
        ADD_PROJECT_ITEM,
        SET_PROJECT_ITEM_STATUS,
        PROJECT_ITEMS,
        OPEN_ISSUES,
        KEYED_PULL,
        ADR_DISCUSSIONS,
        CREATE_DISCUSSION,
        CREATE_PROJECT_STATUS_UPDATE,
    ];
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    message: String,
    #[serde(default)]
    path: Vec<Value>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

impl ErrorEntry {
    /// `repository.pullRequest: message (TYPE)`; the message is cut at 300 characters.
    fn describe(&self) -> String {
        let path: Vec<String> = self
            .path
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        let path = if path.is_empty() { "(operation)".to_string() } else { path.join(".") };
        let message: String = self.message.chars().take(300).collect();
        match &self.kind {
            Some(k) => format!("{path}: {message} ({k})"),
            None => format!("{path}: {message}"),
        }
    }
}

/// GitHub.com serves GraphQL at `/graphql` beside the REST root; GitHub Enterprise Server at
/// `/api/graphql` when the REST root is `/api/v3`.
pub(crate) fn graphql_url(base: &str) -> Result<Url, GitHubError> {
    let url = match base.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{base}{ROUTE}"),
    };
    Url::parse(&url)
        .map_err(|e| config_error(format!("`{url}` is not a valid URL: {e}"), "check the base URL"))
}

/// The value at `path` (object keys) inside `data`.
fn at<'v>(data: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(data, |v, key| v.get(key))
}

fn decode_at<T: DeserializeOwned>(
    op: &Operation,
    url_path: &str,
    value: Value,
    prefix: &str,
) -> Result<T, GitHubError> {
    serde_path_to_error::deserialize(value).map_err(|e| GitHubError::Decode {
        method: "POST".into(),
        path: format!("{url_path} ({})", op.name),
        at: format!("{prefix}{}", e.path()),
        detail: e.inner().to_string(),
    })
}

/// A connection's page: its items and where the next page starts.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection {
    page_info: PageInfo,
    #[serde(default)]
    nodes: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    #[serde(default)]
    end_cursor: Option<String>,
}

impl GitHubClient {
    /// Runs one operation and decodes its `data` as `T`. An answer with `errors` is an error
    /// listing each (path and message), even when it carries partial data: plasma-ops never
    /// decides on half an answer.
    pub(crate) async fn graphql<T: DeserializeOwned>(
        &self,
        scope: Scope<'_>,
        op: &Operation,
        variables: Value,
    ) -> Result<T, GitHubError> {
        let url = graphql_url(&self.inner.base_str)?;
        let data = self.graphql_data(scope, op, &variables, &url).await?;
        decode_at(op, url.path(), data, "data.")
    }

    /// Every node of the connection at `connection` (keys from `data`), following `endCursor`
    /// through the operation's `$after` variable, up to the client's page bound.
    pub(crate) async fn graphql_nodes<T: DeserializeOwned>(
        &self,
        scope: Scope<'_>,
        op: &Operation,
        mut variables: Value,
        connection: &[&str],
    ) -> Result<Vec<T>, GitHubError> {
        let url = graphql_url(&self.inner.base_str)?;
        let max_pages = self.inner.config.max_pages.max(1);
        let prefix = format!("data.{}.", connection.join("."));
        let mut out = Vec::new();
        for page in 1..=max_pages {
            let data = self.graphql_data(scope, op, &variables, &url).await?;
            let Some(conn) = at(&data, connection).filter(|v| !v.is_null()) else {
                return Err(GitHubError::Decode {
                    method: "POST".into(),
                    path: format!("{} ({})", url.path(), op.name),
                    at: prefix.trim_end_matches('.').to_string(),
                    detail: "missing or null".into(),
                });
            };
            let conn: Connection = decode_at(op, url.path(), conn.clone(), &prefix)?;
            for node in conn.nodes {
                out.push(decode_at(op, url.path(), node, &format!("{prefix}nodes[]."))?);
            }
            match (conn.page_info.has_next_page, conn.page_info.end_cursor) {
                (true, Some(cursor)) if page < max_pages => variables["after"] = json!(cursor),
                (true, _) => {
                    tracing::debug!(
                        operation = op.name,
                        pages = page,
                        items = out.len(),
                        "stopped following GraphQL pages at the page bound or a missing cursor"
                    );
                    break;
                }
                (false, _) => break,
            }
        }
        Ok(out)
    }

    /// Sends the operation; counts its points; returns `data` or the `errors`.
    async fn graphql_data(
        &self,
        scope: Scope<'_>,
        op: &Operation,
        variables: &Value,
        url: &Url,
    ) -> Result<Value, GitHubError> {
        let path = url.path().to_string();
        let route = Route { template: ROUTE, path: path.clone() };
        let body =
            json!({ "query": op.document, "operationName": op.name, "variables": variables });
        let mut call = Call::new(Method::POST, route, scope).json(body);
        if op.kind == OperationKind::Query {
            call = call.retry_safe();
        }
        let answer = self.send_to(&call, url).await?;
        let resp: Response = decode(&Method::POST, &path, &answer.body)?;
        let counters = &self.inner.counters;
        bump(&counters.graphql_requests);
        let rate = resp.data.as_ref().and_then(|d| d.get("rateLimit"));
        // GitHub charges every query at least one point; an operation that does not select
        // `rateLimit { cost }` is counted at that minimum.
        let cost = rate.and_then(|r| r.get("cost")).and_then(Value::as_u64).unwrap_or(1);
        counters.graphql_points.fetch_add(cost, std::sync::atomic::Ordering::Relaxed);
        metrics::counter!(POINTS, "operation" => op.name).increment(cost);
        if let Some(remaining) = rate.and_then(|r| r.get("remaining")).and_then(Value::as_u64) {
            metrics::gauge!("plasma_ops_github_rate_limit_remaining", "resource" => "graphql")
                .set(remaining as f64);
        }
        tracing::debug!(operation = op.name, cost, "GraphQL answer");
        if !resp.errors.is_empty() {
            metrics::counter!(ERRORS, "operation" => op.name).increment(1);
            if resp.errors.iter().any(|e| e.kind.as_deref() == Some("RATE_LIMITED")) {
                bump(&counters.rate_limited);
                let now = super::now_secs();
                let wait = answer
                    .limit
                    .as_ref()
                    .filter(|l| l.resource == "graphql" && l.reset > now)
                    .map(|l| std::time::Duration::from_secs((l.reset - now) as u64 + 1))
                    .unwrap_or(super::ratelimit::SECONDARY_DEFAULT_WAIT);
                return Err(GitHubError::RateLimited {
                    method: "POST".into(),
                    path,
                    retry_after: wait,
                    kind: RateLimitKind::Primary,
                });
            }
            return Err(GitHubError::GraphQl {
                path,
                operation: op.name.to_string(),
                errors: resp.errors.iter().take(10).map(ErrorEntry::describe).collect(),
            });
        }
        resp.data.filter(|d| !d.is_null()).ok_or_else(|| GitHubError::Decode {
            method: "POST".into(),
            path: format!("{path} ({})", op.name),
            at: "data".into(),
            detail: "missing, and no errors given".into(),
        })
    }
}

impl RepoClient {
    /// Runs a GraphQL operation as this repository's installation (or the token) and decodes its
    /// `data` as `T`.
    pub async fn graphql<T: DeserializeOwned>(
        &self,
        op: &Operation,
        variables: Value,
    ) -> Result<T, GitHubError> {
        self.client.graphql(self.scope(), op, variables).await
    }

    /// Every node of the connection at `connection` (keys below `data`), as
    /// [`RepoClient::graphql`] does for one answer; the operation takes `$after: String`.
    pub async fn graphql_nodes<T: DeserializeOwned>(
        &self,
        op: &Operation,
        variables: Value,
        connection: &[&str],
    ) -> Result<Vec<T>, GitHubError> {
        self.client.graphql_nodes(self.scope(), op, variables, connection).await
    }
}

/// HELP lines for the GraphQL metrics.
pub(crate) fn describe_metrics() {
    metrics::describe_counter!(
        POINTS,
        "GitHub GraphQL rate-limit points spent, by operation (the answer's rateLimit.cost)"
    );
    metrics::describe_counter!(ERRORS, "GitHub GraphQL answers that carried errors, by operation");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_lives_beside_the_rest_root() {
        let u = |b: &str| graphql_url(b).map(|u| u.to_string()).unwrap_or_default();
        assert_eq!(u("https://api.github.com"), "https://api.github.com/graphql");
        assert_eq!(u("https://ghe.example.com/api/v3"), "https://ghe.example.com/api/graphql");
        assert_eq!(u("http://127.0.0.1:9000"), "http://127.0.0.1:9000/graphql");
        assert!(graphql_url("not a url").is_err());
    }

    #[test]
    fn errors_name_their_path_and_type() {
        let e = ErrorEntry {
            message: "Could not resolve to a Repository with the name 'o/x'.".into(),
            path: vec![json!("repository"), json!(0), json!("pullRequest")],
            kind: Some("NOT_FOUND".into()),
        };
        assert_eq!(
            e.describe(),
            "repository.0.pullRequest: Could not resolve to a Repository with the name 'o/x'. (NOT_FOUND)"
        );
        let e = ErrorEntry { message: "x".repeat(400), path: vec![], kind: None };
        assert_eq!(e.describe().chars().count(), "(operation): ".len() + 300);
    }

    /// Every file under `crates/github/graphql/` is an operation in [`ops::ALL`] (so the schema
    /// test, which validates the files, covers everything that is sent), and each names itself.
    #[test]
    fn every_graphql_file_is_an_operation() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/graphql");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "graphql"))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let mut docs: Vec<String> = ops::ALL.iter().map(|o| o.document.to_string()).collect();
        docs.sort();
        assert_eq!(files, docs, "crates/github/graphql and ops::ALL differ");
        for op in ops::ALL {
            let keyword = match op.kind {
                OperationKind::Query => "query",
                OperationKind::Mutation => "mutation",
            };
            assert!(op.document.contains(&format!("{keyword} {}(", op.name)), "{}", op.name);
            // Points are counted from the answer's `rateLimit.cost` (a root field of queries).
            if op.kind == OperationKind::Query {
                assert!(op.document.contains("rateLimit"), "{} selects no rateLimit", op.name);
            }
        }
    }
}
