//! The REST routes: each reads or changes the state and answers what GitHub would.

mod checks;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::model::FakeStatus;
use crate::objects::{Objects, rate_limit};
use crate::state::{IssueRec, Missing, Repo, Shared, State as FakeState, fake_sha, iso, now};

/// GitHub's documentation root, named by error bodies.
const DOCS: &str = "https://docs.github.com/rest";

/// An answer: status, JSON body and, for lists, a `Link` header.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Option<Value>,
    pub link: Option<String>,
}

impl Reply {
    pub(crate) fn json(status: StatusCode, body: Value) -> Self {
        Self { status, body: Some(body), link: None }
    }

    /// GitHub's error body: `{"message", "documentation_url", "status"}`.
    pub(crate) fn error(status: StatusCode, message: &str, docs: &str) -> Self {
        Self::json(
            status,
            json!({"message": message, "documentation_url": docs, "status": status.as_u16().to_string()}),
        )
    }

    pub(crate) fn not_found() -> Self {
        Self::error(StatusCode::NOT_FOUND, "Not Found", DOCS)
    }

    /// 422 `Validation Failed` with one error entry.
    fn invalid(resource: &str, field: &str, code: &str, docs: &str) -> Self {
        Self::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({
                "message": "Validation Failed",
                "errors": [{"resource": resource, "code": code, "field": field}],
                "documentation_url": docs,
                "status": "422"
            }),
        )
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut resp = match self.body {
            Some(body) => (
                self.status,
                [(axum::http::header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body.to_string(),
            )
                .into_response(),
            None => self.status.into_response(),
        };
        if let Some(link) = self.link.and_then(|l| l.parse().ok()) {
            resp.headers_mut().insert(axum::http::header::LINK, link);
        }
        resp
    }
}

impl From<Missing> for Reply {
    fn from(_: Missing) -> Self {
        Self::not_found()
    }
}

type Answer = Result<Reply, Reply>;

/// Every route the fake serves; anything else is GitHub's 404.
pub(crate) fn router(shared: Shared) -> Router {
    Router::new()
        .route("/app", get(get_app))
        .route("/user", get(get_user))
        .route("/app/installations/{id}/access_tokens", post(access_token))
        .route("/installation/repositories", get(installation_repositories))
        .route("/rate_limit", get(get_rate_limit))
        .route("/repos/{owner}/{repo}/pulls", get(list_pulls))
        .route("/repos/{owner}/{repo}/pulls/{n}", get(get_pull))
        .route("/repos/{owner}/{repo}/pulls/{n}/files", get(list_files))
        .route("/repos/{owner}/{repo}/pulls/{n}/reviews", get(list_reviews))
        .route("/repos/{owner}/{repo}/pulls/{n}/commits", get(list_commits))
        .route("/repos/{owner}/{repo}/commits/{git_ref}/check-runs", get(list_check_runs))
        .route("/repos/{owner}/{repo}/commits/{git_ref}/statuses", get(list_statuses))
        .route("/repos/{owner}/{repo}/commits/{git_ref}/pulls", get(commit_pulls))
        .route("/repos/{owner}/{repo}/labels", get(list_labels).post(create_label))
        .route(
            "/repos/{owner}/{repo}/issues/{n}/labels",
            get(list_issue_labels).post(add_issue_labels).delete(clear_issue_labels),
        )
        .route("/repos/{owner}/{repo}/issues/{n}/labels/{name}", delete(remove_issue_label))
        .route("/repos/{owner}/{repo}/issues/{n}/comments", get(list_comments).post(create_comment))
        .route("/repos/{owner}/{repo}/issues/comments/{id}", patch(update_comment))
        .route("/repos/{owner}/{repo}/issues/{n}", get(get_issue))
        .route("/repos/{owner}/{repo}/issues/{n}/events", get(list_issue_events))
        .route("/repos/{owner}/{repo}/statuses/{sha}", post(create_status))
        .route("/repos/{owner}/{repo}/check-runs", post(checks::create_check_run))
        .route("/repos/{owner}/{repo}/contents/{*path}", get(get_contents))
        .route("/graphql", post(crate::graphql::graphql))
        .merge(crate::protection::routes())
        .merge(crate::teams::routes())
        .merge(crate::deployments::routes())
        .fallback(|| async { Reply::not_found() })
        .method_not_allowed_fallback(|| async { Reply::not_found() })
        .with_state(shared)
}

// ----- helpers -----------------------------------------------------------------------------------

/// Query parameters in their order, decoded.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: Option<&str>) -> Self {
        let decode =
            |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Self(pairs)
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn number(&self, key: &str, default: usize) -> usize {
        self.get(key).and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(default)
    }
}

/// One page of `items` and its `Link` header (GitHub's `per_page` default 30, at most 100), with
/// links under the public base URL so they lead back through a proxy in front of the fake.
fn paginate(
    items: Vec<Value>,
    public_url: &str,
    uri: &Uri,
    raw: Option<&str>,
) -> (Vec<Value>, Option<String>) {
    let query = Query::parse(raw);
    let per_page = query.number("per_page", 30).min(100);
    let page = query.number("page", 1);
    let last = items.len().div_ceil(per_page).max(1);
    let link = (last > 1).then(|| {
        let kept: Vec<&str> = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page="))
            .collect();
        let url = |n: usize| {
            let mut q = kept.join("&");
            if !q.is_empty() {
                q.push('&');
            }
            format!("<{public_url}{}?{q}page={n}>", uri.path())
        };
        let mut rels = Vec::new();
        if page > 1 {
            rels.push(format!("{}; rel=\"prev\"", url((page - 1).min(last))));
        }
        if page < last {
            rels.push(format!("{}; rel=\"next\"", url(page + 1)));
            rels.push(format!("{}; rel=\"last\"", url(last)));
        }
        if page > 1 {
            rels.push(format!("{}; rel=\"first\"", url(1)));
        }
        rels.join(", ")
    });
    let items =
        items.into_iter().skip((page - 1).saturating_mul(per_page)).take(per_page).collect();
    (items, link.filter(|l| !l.is_empty()))
}

pub(crate) fn list(items: Vec<Value>, public_url: &str, uri: &Uri, raw: Option<&str>) -> Reply {
    let (page, link) = paginate(items, public_url, uri, raw);
    Reply { status: StatusCode::OK, body: Some(Value::Array(page)), link }
}

fn number(n: &str) -> Result<u64, Reply> {
    n.parse().map_err(|_| Reply::not_found())
}

fn repo<'a>(st: &'a FakeState, owner: &str, name: &str) -> Result<&'a Repo, Reply> {
    st.repo(&format!("{owner}/{name}")).ok_or_else(Reply::not_found)
}

fn issue<'a>(repo: &'a Repo, n: &str) -> Result<&'a IssueRec, Reply> {
    repo.issues.get(&number(n)?).ok_or_else(Reply::not_found)
}

fn pull<'a>(repo: &'a Repo, n: &str) -> Result<(&'a IssueRec, &'a crate::state::PullRec), Reply> {
    let issue = issue(repo, n)?;
    let pull = issue.pull.as_ref().ok_or_else(Reply::not_found)?;
    Ok((issue, pull))
}

fn parse_body(body: &Bytes) -> Result<Value, Reply> {
    serde_json::from_slice(body)
        .map_err(|_| Reply::error(StatusCode::BAD_REQUEST, "Problems parsing JSON", DOCS))
}

pub(crate) fn objects(st: &FakeState) -> Objects<'_> {
    Objects { api: &st.public_url }
}

/// The object builder, for the routes of other modules.
pub(crate) fn objects_of(st: &FakeState) -> Objects<'_> {
    objects(st)
}

// ----- apps and installations --------------------------------------------------------------------

/// `GET /app` (a JWT; the middleware refuses anything else): the App whose bot writes as
/// [`FakeState::bot_login`], so its slug is that login without `[bot]`.
async fn get_app(State(shared): State<Shared>) -> Answer {
    let st = shared.lock();
    let slug = st.bot_login.trim_end_matches("[bot]").to_owned();
    Ok(Reply::json(StatusCode::OK, objects(&st).integration(&slug)))
}

/// `GET /user`: the token's owner, to whom the fake attributes every write. An installation
/// token is not a user: GitHub answers 403, and so does the fake.
async fn get_user(State(shared): State<Shared>, headers: HeaderMap) -> Answer {
    let st = shared.lock();
    let auth = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    if st.installation_of(auth).is_some() {
        return Err(Reply::error(
            StatusCode::FORBIDDEN,
            "Resource not accessible by integration",
            "https://docs.github.com/rest/users/users#get-the-authenticated-user",
        ));
    }
    Ok(Reply::json(StatusCode::OK, objects(&st).authenticated_user(&st.bot_login)))
}

async fn access_token(State(shared): State<Shared>, Path(id): Path<String>) -> Answer {
    let mut st = shared.lock();
    let id = number(&id)?;
    if !st.installations.contains_key(&id) {
        return Err(Reply::error(
            StatusCode::NOT_FOUND,
            "Not Found",
            "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app",
        ));
    }
    let serial = st.id();
    let mut token = fake_sha(&format!("installation {id} token {serial}"));
    token.truncate(36);
    let token = format!("ghs_{token}");
    st.tokens.insert(token.clone(), id);
    let expires = jiff::Timestamp::from_second(now().as_second() + 3600).unwrap_or_else(|_| now());
    Ok(Reply::json(
        StatusCode::CREATED,
        json!({
            "token": token,
            "expires_at": iso(expires),
            "permissions": {
                "checks": "read",
                "contents": "read",
                "issues": "write",
                "metadata": "read",
                "pull_requests": "write",
                "statuses": "write"
            },
            "repository_selection": "selected"
        }),
    ))
}

async fn installation_repositories(
    State(shared): State<Shared>,
    uri: Uri,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let st = shared.lock();
    let auth = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    // An installation token sees its installation; any other token sees every installation's.
    let mut names: Vec<String> = match st.installation_of(auth) {
        Some(id) => st.installations.get(&id).cloned().unwrap_or_default(),
        None if st.installations.is_empty() => st.repos.values().map(Repo::full_name).collect(),
        None => st.installations.values().flatten().cloned().collect(),
    };
    names.sort_by_key(|n| n.to_ascii_lowercase());
    names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let o = objects(&st);
    let repos: Vec<Value> =
        names.iter().filter_map(|n| st.repo(n)).map(|r| o.repository(r)).collect();
    let total = repos.len();
    let (page, link) = paginate(repos, &st.public_url, &uri, raw.as_deref());
    Ok(Reply {
        status: StatusCode::OK,
        body: Some(
            json!({"total_count": total, "repository_selection": "selected", "repositories": page}),
        ),
        link,
    })
}

async fn get_rate_limit(State(shared): State<Shared>) -> Answer {
    let st = shared.lock();
    Ok(Reply::json(StatusCode::OK, rate_limit(&st.rate)))
}

// ----- pull requests -----------------------------------------------------------------------------

async fn list_pulls(
    State(shared): State<Shared>,
    Path((owner, name)): Path<(String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let q = Query::parse(raw.as_deref());
    let state = q.get("state").unwrap_or("open");
    let mut pulls: Vec<&IssueRec> = repo
        .issues
        .values()
        .filter(|i| i.pull.is_some())
        .filter(|i| state == "all" || i.state == state)
        .filter(|i| {
            let p = i.pull.as_ref();
            q.get("base").is_none_or(|b| p.is_some_and(|p| p.base_ref == b))
                && q.get("head").is_none_or(|h| {
                    p.is_some_and(|p| h.rsplit(':').next() == Some(p.head_ref.as_str()))
                })
        })
        .collect();
    // Default order: newest first (sort=created, direction=desc).
    pulls.sort_by_key(|i| (i.created_at, i.number));
    if q.get("direction") != Some("asc") {
        pulls.reverse();
    }
    let o = objects(&st);
    let items =
        pulls.iter().filter_map(|i| i.pull.as_ref().map(|p| o.pull(repo, i, p, false))).collect();
    Ok(list(items, &st.public_url, &uri, raw.as_deref()))
}

async fn get_pull(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let (issue, pull) = pull(repo, &n)?;
    Ok(Reply::json(StatusCode::OK, objects(&st).pull(repo, issue, pull, true)))
}

async fn list_files(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let (_, pull) = pull(repo, &n)?;
    let o = objects(&st);
    let items = pull.files.iter().map(|f| o.file(repo, pull, f)).collect();
    Ok(list(items, &st.public_url, &uri, raw.as_deref()))
}

async fn list_reviews(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let (issue, pull) = pull(repo, &n)?;
    let o = objects(&st);
    let items = pull.reviews.iter().map(|r| o.review(repo, issue.number, r)).collect();
    Ok(list(items, &st.public_url, &uri, raw.as_deref()))
}

async fn list_commits(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let (issue, pull) = pull(repo, &n)?;
    let o = objects(&st);
    let created = iso(issue.created_at);
    let items = pull
        .commits
        .iter()
        .map(|c| o.commit(repo, c, c.date.as_deref().unwrap_or(&created)))
        .collect();
    Ok(list(items, &st.public_url, &uri, raw.as_deref()))
}

// ----- commits: checks, statuses, pull requests --------------------------------------------------

async fn list_check_runs(
    State(shared): State<Shared>,
    Path((owner, name, git_ref)): Path<(String, String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let sha = repo.resolve_ref(&git_ref);
    let q = Query::parse(raw.as_deref());
    let mut runs: Vec<_> = repo
        .check_runs
        .iter()
        .filter(|r| r.sha == sha)
        .filter(|r| q.get("check_name").is_none_or(|n| r.run.name == n))
        .filter(|r| q.get("status").is_none_or(|s| r.run.status == s))
        .collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.id));
    if q.get("filter") != Some("all") {
        // filter=latest (the default): only the most recent run of each name.
        let mut seen = std::collections::HashSet::new();
        runs.retain(|r| seen.insert(r.run.name.clone()));
    }
    let o = objects(&st);
    let pulls: Vec<Value> = repo
        .issues
        .values()
        .filter(|i| i.state == "open")
        .filter_map(|i| {
            i.pull.as_ref().filter(|p| p.head_sha == sha).map(|p| o.pull_minimal(repo, i, p))
        })
        .collect();
    let total = runs.len();
    let items = runs.iter().map(|r| o.check_run(repo, r, pulls.clone())).collect();
    let (page, link) = paginate(items, &st.public_url, &uri, raw.as_deref());
    Ok(Reply {
        status: StatusCode::OK,
        body: Some(json!({"total_count": total, "check_runs": page})),
        link,
    })
}

async fn list_statuses(
    State(shared): State<Shared>,
    Path((owner, name, git_ref)): Path<(String, String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let sha = repo.resolve_ref(&git_ref);
    let o = objects(&st);
    // Newest first, as GitHub lists them.
    let items =
        repo.statuses.iter().rev().filter(|s| s.sha == sha).map(|s| o.status(repo, s)).collect();
    Ok(list(items, &st.public_url, &uri, raw.as_deref()))
}

async fn commit_pulls(
    State(shared): State<Shared>,
    Path((owner, name, sha)): Path<(String, String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let o = objects(&st);
    let items = repo
        .issues
        .values()
        .rev()
        .filter_map(|i| i.pull.as_ref().map(|p| (i, p)))
        .filter(|(_, p)| {
            p.head_sha == sha
                || p.commits.iter().any(|c| c.sha == sha)
                || (p.merged_at.is_some() && p.merge_commit() == sha)
        })
        .map(|(i, p)| o.pull(repo, i, p, false))
        .collect();
    Ok(list(items, &st.public_url, &uri, raw.as_deref()))
}

async fn create_status(
    State(shared): State<Shared>,
    Path((owner, name, sha)): Path<(String, String, String)>,
    body: Bytes,
) -> Answer {
    let body = parse_body(&body)?;
    let mut st = shared.lock();
    let full = repo(&st, &owner, &name)?.full_name();
    let docs = "https://docs.github.com/rest/commits/statuses#create-a-commit-status";
    let state = body["state"].as_str().unwrap_or_default();
    if !matches!(state, "error" | "failure" | "pending" | "success") {
        return Err(Reply::invalid("Status", "state", "custom", docs));
    }
    let text = |k: &str| body[k].as_str().map(str::to_owned);
    let status = FakeStatus {
        state: state.to_owned(),
        context: text("context").unwrap_or_else(|| "default".to_owned()),
        description: text("description"),
        target_url: text("target_url"),
        creator: st.bot_login.clone(),
    };
    let id = st.add_status(&full, &sha, status);
    let repo = repo(&st, &owner, &name)?;
    let rec = repo.statuses.iter().find(|s| s.id == id).ok_or_else(Reply::not_found)?;
    Ok(Reply::json(StatusCode::CREATED, objects(&st).status(repo, rec)))
}

// ----- labels ------------------------------------------------------------------------------------

async fn list_labels(
    State(shared): State<Shared>,
    Path((owner, name)): Path<(String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let o = objects(&st);
    let items = repo.labels.iter().map(|l| o.label(repo, l)).collect();
    Ok(list(items, &st.public_url, &uri, raw.as_deref()))
}

async fn create_label(
    State(shared): State<Shared>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let body = parse_body(&body)?;
    let mut st = shared.lock();
    let full = repo(&st, &owner, &name)?.full_name();
    let docs = "https://docs.github.com/rest/issues/labels#create-a-label";
    let Some(label) = body["name"].as_str().filter(|n| !n.is_empty()) else {
        return Err(Reply::invalid("Label", "name", "missing_field", docs));
    };
    let color = body["color"].as_str().unwrap_or("ededed");
    let description = body["description"].as_str().map(str::to_owned);
    if !st.create_label(&full, label, color, description)? {
        return Err(Reply::invalid("Label", "name", "already_exists", docs));
    }
    let repo = repo(&st, &owner, &name)?;
    let rec = repo.label(label).ok_or_else(Reply::not_found)?;
    Ok(Reply::json(StatusCode::CREATED, objects(&st).label(repo, rec)))
}

/// The labels now on an issue, as the label routes answer.
fn labels_now(st: &FakeState, owner: &str, name: &str, n: &str) -> Answer {
    let repo = repo(st, owner, name)?;
    let issue = issue(repo, n)?;
    Ok(Reply::json(StatusCode::OK, Value::Array(objects(st).issue_labels(repo, issue))))
}

async fn list_issue_labels(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let issue = issue(repo, &n)?;
    Ok(list(objects(&st).issue_labels(repo, issue), &st.public_url, &uri, raw.as_deref()))
}

async fn add_issue_labels(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
    body: Bytes,
) -> Answer {
    let body = parse_body(&body)?;
    let mut st = shared.lock();
    let full = repo(&st, &owner, &name)?.full_name();
    let number = number(&n)?;
    // `{"labels": ["a", {"name": "b"}]}`, or the older bare array.
    let items = match &body {
        Value::Array(items) => items.clone(),
        other => other["labels"].as_array().cloned().unwrap_or_default(),
    };
    let names: Vec<String> = items
        .iter()
        .filter_map(|v| v.as_str().or_else(|| v["name"].as_str()).map(str::to_owned))
        .collect();
    let actor = st.bot_login.clone();
    for label in &names {
        st.add_issue_label(&full, number, label, Some(&actor))?;
    }
    labels_now(&st, &owner, &name, &n)
}

async fn clear_issue_labels(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
) -> Answer {
    let mut st = shared.lock();
    let full = repo(&st, &owner, &name)?.full_name();
    let number = number(&n)?;
    let actor = st.bot_login.clone();
    let labels = st.issue_mut(&full, number)?.labels.clone();
    for label in labels {
        st.remove_issue_label(&full, number, &label, &actor)?;
    }
    Ok(Reply { status: StatusCode::NO_CONTENT, body: None, link: None })
}

async fn remove_issue_label(
    State(shared): State<Shared>,
    Path((owner, name, n, label)): Path<(String, String, String, String)>,
) -> Answer {
    let mut st = shared.lock();
    let full = repo(&st, &owner, &name)?.full_name();
    let number = number(&n)?;
    let actor = st.bot_login.clone();
    if !st.remove_issue_label(&full, number, &label, &actor)? {
        return Err(Reply::error(
            StatusCode::NOT_FOUND,
            "Label does not exist",
            "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue",
        ));
    }
    labels_now(&st, &owner, &name, &n)
}

// ----- issues and comments -----------------------------------------------------------------------

async fn get_issue(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let issue = issue(repo, &n)?;
    Ok(Reply::json(StatusCode::OK, objects(&st).issue(repo, issue)))
}

async fn list_comments(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let issue = issue(repo, &n)?;
    let o = objects(&st);
    let is_pull = issue.pull.is_some();
    let items = repo
        .comments
        .iter()
        .filter(|c| c.issue == issue.number)
        .map(|c| o.comment(repo, c, is_pull))
        .collect();
    Ok(list(items, &st.public_url, &uri, raw.as_deref()))
}

/// `GET /repos/{owner}/{repo}/issues/{n}/events`: the label changes people and apps made, as
/// `labeled-issue-event` / `unlabeled-issue-event` objects, oldest first.
async fn list_issue_events(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let issue = issue(repo, &n)?;
    let o = objects(&st);
    let items = issue
        .label_events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let id = issue.number * 1_000 + i as u64 + 1;
            let color = repo.label(&e.label).map_or("ededed".to_owned(), |l| l.color.clone());
            json!({
                "id": id,
                "node_id": format!("LE_kwDO{id:08}"),
                "url": format!("{}/repos/{owner}/{name}/issues/events/{id}", st.public_url),
                "actor": o.user(&e.actor),
                "event": e.action,
                "commit_id": null,
                "commit_url": null,
                "created_at": iso(e.created_at),
                "performed_via_github_app": null,
                "label": {"name": e.label, "color": color}
            })
        })
        .collect();
    Ok(list(items, &st.public_url, &uri, raw.as_deref()))
}

async fn create_comment(
    State(shared): State<Shared>,
    Path((owner, name, n)): Path<(String, String, String)>,
    body: Bytes,
) -> Answer {
    let body = parse_body(&body)?;
    let mut st = shared.lock();
    let full = repo(&st, &owner, &name)?.full_name();
    let number = number(&n)?;
    let docs = "https://docs.github.com/rest/issues/comments#create-an-issue-comment";
    let Some(text) = body["body"].as_str() else {
        return Err(Reply::invalid("IssueComment", "body", "missing_field", docs));
    };
    let user = st.bot_login.clone();
    let id = st.add_comment(&full, number, &user, text)?;
    comment_reply(&st, &owner, &name, id, StatusCode::CREATED)
}

async fn update_comment(
    State(shared): State<Shared>,
    Path((owner, name, id)): Path<(String, String, String)>,
    body: Bytes,
) -> Answer {
    let body = parse_body(&body)?;
    let mut st = shared.lock();
    let id = number(&id)?;
    let docs = "https://docs.github.com/rest/issues/comments#update-an-issue-comment";
    let Some(text) = body["body"].as_str() else {
        return Err(Reply::invalid("IssueComment", "body", "missing_field", docs));
    };
    let full = repo(&st, &owner, &name)?.full_name();
    let repo_mut = st.repo_mut(&full).ok_or_else(Reply::not_found)?;
    let comment = repo_mut.comments.iter_mut().find(|c| c.id == id).ok_or_else(Reply::not_found)?;
    comment.body = text.to_owned();
    comment.updated_at = now();
    comment_reply(&st, &owner, &name, id, StatusCode::OK)
}

fn comment_reply(st: &FakeState, owner: &str, name: &str, id: u64, status: StatusCode) -> Answer {
    let repo = repo(st, owner, name)?;
    let comment = repo.comments.iter().find(|c| c.id == id).ok_or_else(Reply::not_found)?;
    let is_pull = repo.issues.get(&comment.issue).is_some_and(|i| i.pull.is_some());
    Ok(Reply::json(status, objects(st).comment(repo, comment, is_pull)))
}

// ----- contents ----------------------------------------------------------------------------------

async fn get_contents(
    State(shared): State<Shared>,
    Path((owner, name, path)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let st = shared.lock();
    let repo = repo(&st, &owner, &name)?;
    let q = Query::parse(raw.as_deref());
    let git_ref = q.get("ref").unwrap_or(&repo.default_branch).to_owned();
    let path = path.trim_start_matches('/').to_owned();
    // A ref may be a branch, or a SHA that some branch points at (a pull request's base.sha).
    let mut candidates = vec![git_ref.clone()];
    candidates.extend(repo.branches_at(&git_ref));
    if let Some(sha) = repo.branches.get(&git_ref) {
        candidates.push(sha.clone());
    }
    let heads = repo.issues.values().filter_map(|i| i.pull.as_ref());
    candidates.extend(heads.filter(|p| p.head_sha == git_ref).map(|p| p.head_ref.clone()));
    let text = candidates
        .iter()
        .find_map(|r| repo.contents.get(&(r.clone(), path.clone())))
        .ok_or_else(|| {
            Reply::error(
                StatusCode::NOT_FOUND,
                "Not Found",
                "https://docs.github.com/rest/repos/contents#get-repository-content",
            )
        })?;
    Ok(Reply::json(StatusCode::OK, objects(&st).content_file(repo, &git_ref, &path, text)))
}
