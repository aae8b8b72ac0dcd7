//! `POST /graphql`: the GraphQL operations plasma-ops sends, answered from the fake's state and
//! charged to a separate points budget reported as GitHub does (`x-ratelimit-resource: graphql`
//! and the operation's own `rateLimit { cost remaining resetAt }`).
//!
//! Operations are told apart by `operationName` (or, without it, the name in the document), as a
//! GraphQL server would; the document is not otherwise interpreted, so each answer carries
//! exactly the fields of plasma-ops's operation of that name. `tests/graphql_contract.rs` keeps
//! that honest: it executes the real operation file against GitHub's published schema with this
//! answer as the root value, which must give the answer back unchanged.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::FakeHub;
use crate::routes::Reply;
use crate::state::{Shared, State as FakeState, iso};

/// Points one query costs (GitHub charges at least one; ours select 100 nodes at most).
const QUERY_COST: u32 = 1;

/// A review thread to seed with [`FakeHub::add_review_thread`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeThread {
    /// The first comment's author as GraphQL names it (`coderabbitai`, not `coderabbitai[bot]`).
    pub author: String,
    /// File path.
    pub path: String,
    /// Line in the head's version; `None` for a thread on the whole file.
    pub line: Option<u64>,
    /// Resolved by someone.
    pub resolved: bool,
    /// Its lines changed since.
    pub outdated: bool,
}

impl FakeThread {
    /// An open, current thread by `author` on `path:line`.
    pub fn open(author: &str, path: &str, line: u64) -> Self {
        FakeThread {
            author: author.into(),
            path: path.into(),
            line: Some(line),
            resolved: false,
            outdated: false,
        }
    }
}

/// A stored thread: its ids and what it says.
#[derive(Clone, Debug)]
pub(crate) struct ThreadRec {
    pub id: u64,
    pub comment_id: u64,
    pub thread: FakeThread,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    query: String,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Value,
}

/// The name after `query`/`mutation` in a document, when `operationName` is not sent.
fn name_in(document: &str) -> Option<String> {
    let rest = document
        .split_once("query ")
        .or_else(|| document.split_once("mutation "))
        .map(|(_, r)| r)?;
    let name: String =
        rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

pub(crate) fn error(message: &str, path: &[&str], kind: &str) -> Value {
    json!({ "message": message, "path": path, "type": kind, "locations": [] })
}

/// The `POST /graphql` route.
pub(crate) async fn graphql(State(shared): State<Shared>, body: Bytes) -> Reply {
    let Ok(req) = serde_json::from_slice::<Request>(&body) else {
        return Reply::json(
            StatusCode::BAD_REQUEST,
            json!({"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/graphql"}),
        );
    };
    let name = req.operation_name.clone().or_else(|| name_in(&req.query)).unwrap_or_default();
    let mut st = shared.lock();
    st.graphql_rate.roll();
    if st.graphql_rate.remaining < QUERY_COST {
        let message = "API rate limit exceeded for installation.";
        return Reply::json(
            StatusCode::OK,
            json!({ "errors": [error(message, &[], "RATE_LIMITED")] }),
        );
    }
    st.graphql_rate.remaining -= QUERY_COST;
    let rate = st.graphql_rate;
    let rate_limit = json!({
        "cost": QUERY_COST,
        "remaining": rate.remaining,
        "resetAt": iso(jiff::Timestamp::from_second(rate.reset).unwrap_or_default()),
    });
    let answer = match name.as_str() {
        "ReviewThreads" => review_threads(&st, &req.variables, rate_limit),
        "ProjectBoardOrg" => crate::projects::project_board(&st, &req.variables, rate_limit, false),
        "ProjectBoardUser" => crate::projects::project_board(&st, &req.variables, rate_limit, true),
        "BoardIssue" => crate::projects::board_issue(&st, &req.variables, rate_limit),
        "ProjectItems" => crate::projects::items(&st, &req.variables, rate_limit),
        "KeyedPull" => crate::projects::pull(&st, &req.variables, rate_limit),
        "OpenIssues" => crate::projects::open_issues(&st, &req.variables, rate_limit),
        "AddProjectItem" => crate::projects::add_item(&mut st, &req.variables),
        "SetProjectItemStatus" => crate::projects::set_status(&mut st, &req.variables),
        "CreateProjectStatusUpdate" => {
            crate::projects::create_status_update(&mut st, &req.variables)
        }
        "AdrDiscussions" => crate::discussions::place(&st, &req.variables, rate_limit),
        "CreateDiscussion" => crate::discussions::create(&mut st, &req.variables),
        other => json!({ "errors": [error(
            &format!("fakehub answers no GraphQL operation named `{other}`"),
            &[],
            "UNKNOWN_OPERATION",
        )] }),
    };
    Reply::json(StatusCode::OK, answer)
}

fn review_threads(st: &FakeState, vars: &Value, rate_limit: Value) -> Value {
    let owner = vars["owner"].as_str().unwrap_or_default();
    let name = vars["name"].as_str().unwrap_or_default();
    let full = format!("{owner}/{name}");
    let number = vars["number"].as_u64().unwrap_or_default();
    let Some(repo) = st.repo(&full) else {
        let message = format!("Could not resolve to a Repository with the name '{full}'.");
        return json!({
            "data": { "rateLimit": rate_limit, "repository": null },
            "errors": [error(&message, &["repository"], "NOT_FOUND")],
        });
    };
    if repo.issues.get(&number).is_none_or(|i| i.pull.is_none()) {
        let message = format!("Could not resolve to a PullRequest with the number of {number}.");
        return json!({
            "data": { "rateLimit": rate_limit, "repository": { "pullRequest": null } },
            "errors": [error(&message, &["repository", "pullRequest"], "NOT_FOUND")],
        });
    }
    let all: &[ThreadRec] =
        st.threads.get(&(full.to_ascii_lowercase(), number)).map(Vec::as_slice).unwrap_or_default();
    // Cursors are opaque to clients; here they are the index after the page.
    let start = vars["after"]
        .as_str()
        .and_then(|c| c.strip_prefix("cursor:"))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0)
        .min(all.len());
    let end = (start + 100).min(all.len());
    let html = format!("https://github.com/{full}/pull/{number}");
    let nodes: Vec<Value> = all[start..end]
        .iter()
        .map(|t| {
            json!({
                "id": format!("PRRT_kwDOfake{}", t.id),
                "isResolved": t.thread.resolved,
                "isOutdated": t.thread.outdated,
                "path": t.thread.path,
                // GitHub has no current line for a thread whose lines are gone.
                "line": if t.thread.outdated { None } else { t.thread.line },
                "originalLine": t.thread.line,
                "comments": { "nodes": [{
                    "author": { "__typename": "Bot", "login": t.thread.author },
                    "url": format!("{html}#discussion_r{}", t.comment_id),
                }] },
            })
        })
        .collect();
    let end_cursor = (end > start).then(|| format!("cursor:{end}"));
    json!({ "data": {
        "rateLimit": rate_limit,
        "repository": { "pullRequest": { "reviewThreads": {
            "pageInfo": { "hasNextPage": end < all.len(), "endCursor": end_cursor },
            "nodes": nodes,
        } } },
    } })
}

impl FakeHub {
    /// Adds a review thread to a pull request; returns its id (the number in its node id).
    pub fn add_review_thread(&self, full_name: &str, number: u64, thread: FakeThread) -> u64 {
        let mut st = self.inner.shared.lock();
        let id = st.id();
        let comment_id = st.id();
        let key = (full_name.to_ascii_lowercase(), number);
        st.threads.entry(key).or_default().push(ThreadRec { id, comment_id, thread });
        id
    }

    /// Resolves (or unresolves) a thread, as a person clicking "Resolve conversation" does.
    pub fn set_thread_resolved(&self, full_name: &str, number: u64, id: u64, resolved: bool) {
        self.edit_thread(full_name, number, id, |t| t.resolved = resolved);
    }

    /// Marks a thread outdated (its lines changed in a later push).
    pub fn set_thread_outdated(&self, full_name: &str, number: u64, id: u64, outdated: bool) {
        self.edit_thread(full_name, number, id, |t| t.outdated = outdated);
    }

    fn edit_thread(&self, full_name: &str, number: u64, id: u64, f: impl FnOnce(&mut FakeThread)) {
        let mut st = self.inner.shared.lock();
        let key = (full_name.to_ascii_lowercase(), number);
        if let Some(t) = st.threads.get_mut(&key).and_then(|ts| ts.iter_mut().find(|t| t.id == id))
        {
            f(&mut t.thread);
        }
    }

    /// GraphQL points left in the current window.
    pub fn graphql_points_remaining(&self) -> u32 {
        self.inner.shared.lock().graphql_rate.remaining
    }

    /// Sets the GraphQL points budget (to test its exhaustion).
    pub fn set_graphql_rate_limit(&self, remaining: u32, reset_epoch: i64) {
        let mut st = self.inner.shared.lock();
        st.graphql_rate.remaining = remaining;
        st.graphql_rate.reset = reset_epoch;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_name_is_read_from_the_document_when_not_sent() {
        assert_eq!(name_in("query ReviewThreads($a: Int) { x }").as_deref(), Some("ReviewThreads"));
        assert_eq!(name_in("mutation Do_It { x }").as_deref(), Some("Do_It"));
        assert_eq!(name_in("{ viewer { login } }"), None);
    }
}
