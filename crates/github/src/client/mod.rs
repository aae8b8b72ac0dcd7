//! The GitHub REST client: authentication (token or App), conditional requests, pagination, rate
//! limits, retries, metrics and logs, plus the snapshot fetcher ([`GitHubClient::fetch_pr`]) and
//! the plan executor ([`GitHubClient::execute`]).
//!
//! One [`GitHubClient`] is shared by every job of the service (it is a cheap `Clone`); its ETag
//! cache, installation tokens and rate-limit budgets are shared with it. Repository calls go
//! through a [`RepoClient`] from [`GitHubClient::repo`].

mod auth;
mod checks;
mod deployments;
mod discussions;
mod endpoints;
mod error;
mod etag;
mod execute;
mod fetch;
mod graphql;
mod infra;
mod issue_events;
mod issues;
mod pagination;
mod projects;
mod protection;
mod ratelimit;
mod route;
mod threads;
mod types;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

pub use crate::model::{
    Account, App, BranchRef, Comment, Installation, Issue, IssuePullRequest, Label, PullRequest,
    Repository,
};
pub use checks::{CheckAnnotation, NewCheckRun};
pub use deployments::{Compared, ComparedCommit};
pub use discussions::{DiscussionPlace, DiscussionRef, explain as explain_discussion_error};
pub use endpoints::{AddLabelsOutcome, CommentOutcome, LabelOutcome, RemoveOutcome, RepoClient};
pub use error::{GitHubError, RateLimitKind};
pub use etag::{SharedCache, SharedCacheError, SharedCacheFuture, SharedEntry, SharedLookup};
pub use execute::{Applied, Outcome};
pub use fetch::{
    DEFAULT_CONFIG_PATH, DEFAULT_STATUS_CONTEXT, FetchOptions, FetchedIssue, FetchedPr,
};
pub use graphql::{Operation, OperationKind, ops};
pub use issues::{IssueEvent, TEMPLATE_DIR};
pub use projects::{BoardIssue, IssueCard, KeyedPull, ProjectBoard, ProjectCard, ProjectLookup};
pub use ratelimit::RateLimitStatus;
pub use types::{
    CheckRunInfo, ContentFile, PullCommit, PullCommitDetail, PullFile, RateLimitOverview,
    RateLimitResource, ReviewInfo, ShaRef, StatusInfo, VerificationInfo,
};

use crate::secret::Secret;
use auth::{AccessToken, AppAuth, Credential};
use etag::{Cached, EtagCache};
use route::{Route, route};

/// GitHub.com's REST API.
pub const DEFAULT_BASE_URL: &str = "https://api.github.com";
/// The REST API version every request asks for.
pub const API_VERSION: &str = "2022-11-28";
/// The media type every request accepts.
pub const ACCEPT: &str = "application/vnd.github+json";
/// `plasma-ops/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("plasma-ops/", env!("CARGO_PKG_VERSION"));

/// How the client authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// A personal access token or any other ready token.
    Token(Secret),
    /// A GitHub App: its id and PEM private key; installation tokens are minted as needed.
    App {
        /// The App's numeric id.
        app_id: u64,
        /// The App's private key, PEM.
        private_key_pem: Secret,
    },
}

/// Everything the client needs; [`ClientConfig::new`] fills in the defaults.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API root, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`.
    pub base_url: String,
    /// Credentials.
    pub auth: Auth,
    /// `User-Agent` (GitHub rejects requests without one).
    pub user_agent: String,
    /// Time limit of one HTTP attempt (connect, send, answer).
    pub timeout: Duration,
    /// Retries after the first attempt for 5xx answers and network errors (idempotent requests).
    pub max_retries: u32,
    /// First backoff delay; doubled per retry, with jitter.
    pub retry_base_delay: Duration,
    /// Upper bound of one backoff delay.
    pub retry_max_delay: Duration,
    /// Below this many remaining requests, hold back until the window resets.
    pub rate_limit_floor: u64,
    /// The longest the client itself waits for a rate-limit reset; longer waits are returned as
    /// [`GitHubError::RateLimited`] so the job is rescheduled.
    pub rate_limit_max_pause: Duration,
    /// Page bound for every list (100 items a page; GitHub itself stops at 3,000 files).
    pub max_pages: usize,
    /// Answers the ETag cache keeps.
    pub etag_cache_entries: usize,
    /// Bytes of bodies the ETag cache keeps.
    pub etag_cache_bytes: usize,
    /// How long a file found absent (a 404 on contents, which carries no `ETag` and so cannot be
    /// revalidated for free) is taken as still absent. Most repositories have no
    /// `.github/plasma.yml`; without this every reconcile would spend two full reads on it.
    pub absent_content_ttl: Duration,
}

impl ClientConfig {
    /// The defaults: github.com, 10 s timeout, 4 retries, floor of 50 requests, 30 pages,
    /// 10,000 cached answers up to 64 MiB.
    pub fn new(auth: Auth) -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.to_string(),
            auth,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            timeout: Duration::from_secs(10),
            max_retries: 4,
            retry_base_delay: Duration::from_millis(250),
            retry_max_delay: Duration::from_secs(4),
            rate_limit_floor: 50,
            rate_limit_max_pause: Duration::from_secs(5),
            max_pages: 30,
            etag_cache_entries: 10_000,
            etag_cache_bytes: 64 << 20,
            absent_content_ttl: Duration::from_secs(300),
        }
    }

    /// The defaults with a token.
    pub fn with_token(token: impl Into<Secret>) -> Self {
        Self::new(Auth::Token(token.into()))
    }

    /// The defaults with GitHub App credentials.
    pub fn with_app(app_id: u64, private_key_pem: impl Into<Secret>) -> Self {
        Self::new(Auth::App { app_id, private_key_pem: private_key_pem.into() })
    }

    /// Another API root (GitHub Enterprise Server, a local fake).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }
}

/// Counters of what the client did, since it was built (shared by its clones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent (every attempt, 304s included).
    pub requests: u64,
    /// Answers served from the ETag cache after a `304 Not Modified`.
    pub not_modified: u64,
    /// Attempts repeated after a 5xx or a network error.
    pub retries: u64,
    /// Requests refused for rate limits (by GitHub or by the floor).
    pub rate_limited: u64,
    /// Installation tokens minted.
    pub tokens_minted: u64,
    /// Answers held in the ETag cache now.
    pub cached_answers: u64,
    /// GraphQL operations answered (each page counts once).
    pub graphql_requests: u64,
    /// GraphQL rate-limit points those answers cost, as GitHub reported them.
    pub graphql_points: u64,
    /// Answers served from the shared cache (another replica's) after a `304 Not Modified`.
    pub shared_hits: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    not_modified: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    tokens_minted: AtomicU64,
    graphql_requests: AtomicU64,
    graphql_points: AtomicU64,
    shared_hits: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

enum AuthState {
    Token(Secret),
    App(Box<AppAuth>),
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    /// The base URL without a trailing slash, to which paths are appended.
    base_str: String,
    auth: AuthState,
    config: ClientConfig,
    etags: EtagCache,
    limits: ratelimit::RateLimits,
    counters: Counters,
    /// Contents found absent, by repository, path and ref, until when.
    absent: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    /// The login our writes appear under, once learned ([`GitHubClient::login`]). A failure is
    /// not kept: the next caller asks again.
    login: tokio::sync::OnceCell<String>,
    /// Comparisons of two full SHAs ([`RepoClient::compare`]): the answer never changes.
    compares: deployments::CompareCache,
    /// The second level of the conditional-request cache, shared by the fleet, once set.
    shared: std::sync::OnceLock<Arc<dyn SharedCache>>,
    /// The cache scope of a plain token: a fingerprint (a hash), so two tokens never share
    /// entries and the token itself is never part of a key.
    token_scope: String,
}

/// A GitHub REST client. Cloning is cheap and shares caches, tokens and budgets.
#[derive(Clone)]
pub struct GitHubClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.inner.auth {
            AuthState::Token(_) => "token".to_string(),
            AuthState::App(app) => format!("app {}", app.app_id),
        };
        f.debug_struct("GitHubClient")
            .field("base_url", &self.inner.base_str)
            .field("auth", &auth)
            .finish_non_exhaustive()
    }
}

/// Whose credentials a call uses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// The App itself (JWT); with a token, the token.
    App,
    /// An installation (with a token, the token).
    Installation(Option<u64>),
    /// A repository's installation, looked up when not given.
    Repo { installation: Option<u64>, owner: &'a str, name: &'a str },
}

/// Whether a request may be repeated when its answer was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Repeating it changes nothing (GET, PUT, DELETE, PATCH, and POSTs we know to be safe).
    Safe,
    /// Repeating it could duplicate its effect: sent once; the caller checks before repeating.
    Unsafe,
}

/// One logical request.
#[derive(Debug, Clone)]
pub(crate) struct Call<'a> {
    pub method: Method,
    pub route: Route,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
    pub scope: Scope<'a>,
    pub retry: Retry,
    /// Not held back by the rate-limit floor (`GET /rate_limit` costs nothing).
    pub floor_exempt: bool,
}

impl<'a> Call<'a> {
    pub fn new(method: Method, route: Route, scope: Scope<'a>) -> Self {
        let retry = if method == Method::POST { Retry::Unsafe } else { Retry::Safe };
        Call { method, route, query: Vec::new(), body: None, scope, retry, floor_exempt: false }
    }

    pub fn get(route: Route, scope: Scope<'a>) -> Self {
        Self::new(Method::GET, route, scope)
    }

    pub fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn retry_safe(mut self) -> Self {
        self.retry = Retry::Safe;
        self
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub body: Arc<[u8]>,
    pub next: Option<String>,
    /// The budget the answer's `X-RateLimit-*` headers reported, if any.
    pub limit: Option<RateLimitStatus>,
}

/// Where a list's items are in a page.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// The page is a JSON array.
    Array,
    /// The page is an object with the array in this field (`check_runs`, `repositories`).
    Field(&'static str),
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        _ => "OTHER",
    }
}

/// Path and query of a URL, for messages (no host, never a credential).
fn where_(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

fn now_secs() -> i64 {
    Timestamp::now().as_second()
}

/// The chain of an error's messages, `a: b: c`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    errors: Option<Vec<serde_json::Value>>,
}

/// GitHub's `message` and validation codes from an error body.
fn error_details(body: &[u8]) -> (String, Vec<String>) {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(b) => {
            let codes = b
                .errors
                .unwrap_or_default()
                .iter()
                .filter_map(|e| match e {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Object(o) => {
                        o.get("code").and_then(|c| c.as_str()).map(str::to_string)
                    }
                    _ => None,
                })
                .collect();
            (b.message.unwrap_or_default(), codes)
        }
        Err(_) => {
            let text: String = String::from_utf8_lossy(body).chars().take(200).collect();
            (text.trim().to_string(), Vec::new())
        }
    }
}

/// Decodes a JSON body, naming the path of the first value that does not fit.
pub(crate) fn decode<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    body: &[u8],
) -> Result<T, GitHubError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| GitHubError::Decode {
        method: method.to_string(),
        path: path.to_string(),
        at: e.path().to_string(),
        detail: e.inner().to_string(),
    })
}

fn decode_page<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    body: &[u8],
    shape: Shape,
) -> Result<Vec<T>, GitHubError> {
    match shape {
        Shape::Array => decode(method, path, body),
        Shape::Field(field) => {
            let mut page: serde_json::Map<String, serde_json::Value> = decode(method, path, body)?;
            let Some(items) = page.remove(field) else {
                return Err(GitHubError::Decode {
                    method: method.to_string(),
                    path: path.to_string(),
                    at: field.to_string(),
                    detail: "missing field".to_string(),
                });
            };
            serde_path_to_error::deserialize(items).map_err(|e| GitHubError::Decode {
                method: method.to_string(),
                path: path.to_string(),
                at: format!("{field}.{}", e.path()),
                detail: e.inner().to_string(),
            })
        }
    }
}

/// `owner` and `name` of `owner/name`.
pub(crate) fn split_repo(repo: &str) -> Result<(&str, &str), GitHubError> {
    match repo.trim().split_once('/') {
        Some((o, n)) if !o.is_empty() && !n.is_empty() && !n.contains('/') => Ok((o, n)),
        _ => Err(GitHubError::InvalidRepo { repo: repo.to_string() }),
    }
}

fn config_error(message: String, hint: &str) -> GitHubError {
    GitHubError::Config { message, hint: hint.to_string() }
}

impl GitHubClient {
    /// Whether `key` (repository, path, ref) was found absent within the TTL.
    pub(crate) fn known_absent(&self, key: &str) -> bool {
        let mut m = self.inner.absent.lock().unwrap_or_else(|e| e.into_inner());
        match m.get(key) {
            Some(until) if *until > std::time::Instant::now() => true,
            Some(_) => {
                m.remove(key);
                false
            }
            None => false,
        }
    }

    /// Remember that `key` is absent (bounded: the map is cleared when it grows past 10,000).
    pub(crate) fn remember_absent(&self, key: String) {
        let ttl = self.inner.config.absent_content_ttl;
        if ttl.is_zero() {
            return;
        }
        let mut m = self.inner.absent.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= 10_000 {
            m.clear();
        }
        m.insert(key, std::time::Instant::now() + ttl);
    }

    /// Builds a client. Fails on a base URL that is not `http(s)://...`, an unusable App key, or
    /// a user agent or token that cannot be sent in a header.
    pub fn new(config: ClientConfig) -> Result<Self, GitHubError> {
        let base_str = config.base_url.trim().trim_end_matches('/').to_string();
        let base = Url::parse(&base_str)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                config_error(
                    format!("`{}` is not an http(s) URL", config.base_url),
                    "set PLASMA_OPS_GITHUB_API_URL to https://api.github.com, or \
                     https://HOST/api/v3 for GitHub Enterprise Server",
                )
            })?;
        let auth = match &config.auth {
            Auth::Token(t) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", t.expose())).ok();
                if t.is_empty() {
                    v = None;
                }
                if v.is_none() {
                    return Err(config_error(
                        "the GitHub token is empty or contains characters not allowed in an HTTP \
                         header"
                            .into(),
                        "check PLASMA_OPS_GITHUB_TOKEN (a stray newline from a file is trimmed \
                         by the service; quotes are not)",
                    ));
                }
                AuthState::Token(t.clone())
            }
            Auth::App { app_id, private_key_pem } => {
                AuthState::App(Box::new(AppAuth::new(*app_id, private_key_pem)?))
            }
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
        headers.insert("x-github-api-version", HeaderValue::from_static(API_VERSION));
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| {
                config_error(
                    format!("the HTTP client could not be built: {}", error_chain(&e)),
                    "check the user agent (printable ASCII only)",
                )
            })?;
        describe_metrics();
        let etags = EtagCache::new(config.etag_cache_entries, config.etag_cache_bytes);
        let token_scope = match &config.auth {
            Auth::Token(t) => token_scope(t),
            Auth::App { .. } => "token".to_string(),
        };
        Ok(GitHubClient {
            inner: Arc::new(Inner {
                http,
                base,
                base_str,
                auth,
                config,
                etags,
                limits: ratelimit::RateLimits::default(),
                counters: Counters::default(),
                absent: std::sync::Mutex::new(std::collections::HashMap::new()),
                login: tokio::sync::OnceCell::new(),
                compares: deployments::CompareCache::default(),
                shared: std::sync::OnceLock::new(),
                token_scope,
            }),
        })
    }

    /// The API root requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_str
    }

    /// Whether the client authenticates as a GitHub App.
    pub fn is_app(&self) -> bool {
        matches!(self.inner.auth, AuthState::App(_))
    }

    /// What the client did so far.
    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        ClientStats {
            requests: c.requests.load(Ordering::Relaxed),
            not_modified: c.not_modified.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            rate_limited: c.rate_limited.load(Ordering::Relaxed),
            tokens_minted: c.tokens_minted.load(Ordering::Relaxed),
            cached_answers: self.inner.etags.len() as u64,
            graphql_requests: c.graphql_requests.load(Ordering::Relaxed),
            graphql_points: c.graphql_points.load(Ordering::Relaxed),
            shared_hits: c.shared_hits.load(Ordering::Relaxed),
        }
    }

    /// Adds the shared second level under this client's conditional-request cache (memory ->
    /// `cache` -> GitHub). Set once; false (and nothing changes) when one was set before.
    /// Without one the client works alone (the CLI's one-shot commands).
    pub fn set_shared_cache(&self, cache: Arc<dyn SharedCache>) -> bool {
        self.inner.shared.set(cache).is_ok()
    }

    /// Whether a shared cache is set.
    pub fn has_shared_cache(&self) -> bool {
        self.inner.shared.get().is_some()
    }

    /// The last rate-limit budget GitHub reported, per identity and resource.
    pub fn rate_limits(&self) -> Vec<RateLimitStatus> {
        self.inner.limits.all()
    }

    /// Calls on one repository (`owner/name`) as `installation` (with an App and no installation,
    /// the repository's installation is looked up once and remembered).
    pub fn repo(&self, installation: Option<u64>, repo: &str) -> Result<RepoClient, GitHubError> {
        let (owner, name) = split_repo(repo)?;
        Ok(RepoClient::new(self.clone(), installation, owner, name))
    }

    pub(crate) fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub(crate) fn url_for(&self, call: &Call<'_>) -> Result<Url, GitHubError> {
        let mut url =
            Url::parse(&format!("{}{}", self.inner.base_str, call.route.path)).map_err(|e| {
                config_error(
                    format!("`{}{}` is not a valid URL: {e}", self.inner.base_str, call.route.path),
                    "check the base URL",
                )
            })?;
        if !call.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &call.query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Sends a call and decodes its JSON answer.
    pub(crate) async fn fetch<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<T, GitHubError> {
        let url = self.url_for(&call)?;
        let answer = self.send_to(&call, &url).await?;
        decode(&call.method, &where_(&url), &answer.body)
    }

    /// Sends a call whose answer body is not needed.
    pub(crate) async fn send(&self, call: Call<'_>) -> Result<Answer, GitHubError> {
        let url = self.url_for(&call)?;
        self.send_to(&call, &url).await
    }

    /// Reads every page of a list (up to the page bound).
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
        shape: Shape,
    ) -> Result<Vec<T>, GitHubError> {
        let call = call.query("per_page", "100");
        let max_pages = self.inner.config.max_pages.max(1);
        let mut url = self.url_for(&call)?;
        let mut out = Vec::new();
        let mut pages = 0usize;
        loop {
            let answer = self.send_to(&call, &url).await?;
            pages += 1;
            out.extend(decode_page::<T>(&call.method, &where_(&url), &answer.body, shape)?);
            let Some(next) = answer.next else { return Ok(out) };
            if pages >= max_pages {
                tracing::debug!(
                    route = call.route.template,
                    path = %call.route.path,
                    pages,
                    items = out.len(),
                    "stopped following pages at the page bound ({max_pages} pages of 100); \
                     GitHub itself lists at most 3,000 files of a pull request"
                );
                return Ok(out);
            }
            let next_url = Url::parse(&next)
                .ok()
                .filter(|u| pagination::same_origin(&self.inner.base, u))
                .ok_or_else(|| GitHubError::ForeignLink {
                    method: call.method.to_string(),
                    path: where_(&url),
                    url: next.clone(),
                })?;
            url = next_url;
        }
    }

    /// Sends a call to `url` with the right credential; an installation token GitHub rejects
    /// (401) is minted again once.
    pub(crate) async fn send_to(&self, call: &Call<'_>, url: &Url) -> Result<Answer, GitHubError> {
        // One span per call (retries included), exported as `github.request` when OpenTelemetry
        // is on: the templated route only, never the path's values, a header or a body.
        let method = method_label(&call.method);
        let span = tracing::info_span!(
            "github_request",
            otel.name = %format_args!("{method} {}", call.route.template),
            otel.kind = "client",
            method,
            route = call.route.template,
            http.response.status_code = tracing::field::Empty,
            github.not_modified = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        async {
            let cred = self.credential(call, url).await?;
            match self.send_as(call, url, &cred).await {
                Err(e) if e.status() == Some(401) => match (&self.inner.auth, cred.installation) {
                    (AuthState::App(app), Some(id)) => {
                        tracing::info!(
                            installation = id,
                            "installation token rejected; minting a new one"
                        );
                        app.forget_token(id);
                        let cred = self.credential(call, url).await?;
                        self.send_as(call, url, &cred).await
                    }
                    _ => Err(e),
                },
                other => other,
            }
        }
        .instrument(span)
        .await
    }

    async fn credential(&self, call: &Call<'_>, url: &Url) -> Result<Credential, GitHubError> {
        let app = match &self.inner.auth {
            AuthState::Token(t) => return Ok(Credential::bearer(t, "token".into(), None)),
            AuthState::App(app) => app,
        };
        let installation = match call.scope {
            Scope::App => {
                let jwt = app.jwt(now_secs())?;
                return Ok(Credential::bearer(&jwt, "app".into(), None));
            }
            Scope::Installation(Some(id)) | Scope::Repo { installation: Some(id), .. } => id,
            Scope::Repo { installation: None, owner, name } => {
                self.installation_for_repo(app, owner, name).await?
            }
            Scope::Installation(None) => {
                return Err(GitHubError::NoInstallation {
                    method: call.method.to_string(),
                    path: where_(url),
                });
            }
        };
        self.installation_credential(app, installation).await
    }

    async fn installation_credential(
        &self,
        app: &AppAuth,
        installation: u64,
    ) -> Result<Credential, GitHubError> {
        let identity = format!("installation:{installation}");
        if let Some(t) = app.cached_token(installation, Timestamp::now()) {
            return Ok(Credential::bearer(&t, identity, Some(installation)));
        }
        let _minting = app.minting.lock().await;
        if let Some(t) = app.cached_token(installation, Timestamp::now()) {
            return Ok(Credential::bearer(&t, identity, Some(installation)));
        }
        let jwt = Credential::bearer(&app.jwt(now_secs())?, "app".into(), None);
        let id = installation.to_string();
        // Minting twice is harmless, so the POST may be retried.
        let call = Call::new(
            Method::POST,
            route("/app/installations/{installation_id}/access_tokens", &[&id]),
            Scope::App,
        )
        .retry_safe();
        let url = self.url_for(&call)?;
        let answer = self.send_as(&call, &url, &jwt).await?;
        let token: AccessToken = decode(&call.method, &where_(&url), &answer.body)?;
        app.store_token(installation, &token, Timestamp::now());
        bump(&self.inner.counters.tokens_minted);
        tracing::debug!(installation, expires_at = ?token.expires_at, "minted an installation token");
        Ok(Credential::bearer(&token.token, identity, Some(installation)))
    }

    async fn installation_for_repo(
        &self,
        app: &AppAuth,
        owner: &str,
        name: &str,
    ) -> Result<u64, GitHubError> {
        let full = format!("{owner}/{name}");
        if let Some(id) = app.repo_installation(&full) {
            return Ok(id);
        }
        #[derive(Deserialize)]
        struct InstallationId {
            id: u64,
        }
        let jwt = Credential::bearer(&app.jwt(now_secs())?, "app".into(), None);
        let call =
            Call::get(route("/repos/{owner}/{repo}/installation", &[owner, name]), Scope::App);
        let url = self.url_for(&call)?;
        let answer = self.send_as(&call, &url, &jwt).await?;
        let found: InstallationId = decode(&call.method, &where_(&url), &answer.body)?;
        app.store_repo_installation(&full, found.id);
        Ok(found.id)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let cfg = &self.inner.config;
        let exp = cfg.retry_base_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let max = exp.min(cfg.retry_max_delay);
        // "Equal jitter": half fixed, half random, so retries of many jobs spread out.
        let half = max / 2;
        let extra = (max - half).as_millis() as u64;
        half + Duration::from_millis(if extra == 0 { 0 } else { rand::random_range(0..=extra) })
    }

    /// Holds back (briefly) or refuses when the identity's budget is below the floor.
    async fn check_floor(
        &self,
        call: &Call<'_>,
        url: &Url,
        identity: &str,
    ) -> Result<(), GitHubError> {
        if call.floor_exempt {
            return Ok(());
        }
        let cfg = &self.inner.config;
        // GraphQL has its own budget (points, not requests), reported as resource `graphql`.
        let resource = if call.route.template == graphql::ROUTE { "graphql" } else { "core" };
        let Some(wait) =
            self.inner.limits.wait_needed(identity, resource, cfg.rate_limit_floor, now_secs())
        else {
            return Ok(());
        };
        if wait <= cfg.rate_limit_max_pause {
            tracing::info!(
                wait_ms = wait.as_millis() as u64,
                identity,
                "rate limit nearly spent; pausing until it resets"
            );
            tokio::time::sleep(wait).await;
            return Ok(());
        }
        bump(&self.inner.counters.rate_limited);
        tracing::warn!(
            retry_after_s = wait.as_secs(),
            identity,
            "rate limit below the floor; refusing the request until the reset"
        );
        Err(GitHubError::RateLimited {
            method: call.method.to_string(),
            path: where_(url),
            retry_after: wait,
            kind: RateLimitKind::Primary,
        })
    }

    /// The request loop: conditional GETs, rate limits, retries with backoff.
    async fn send_as(
        &self,
        call: &Call<'_>,
        url: &Url,
        cred: &Credential,
    ) -> Result<Answer, GitHubError> {
        let inner = &self.inner;
        let method = method_label(&call.method);
        let template = call.route.template;
        let path = where_(url);
        let mut auth_value = HeaderValue::from_str(cred.header.expose()).map_err(|_| {
            config_error(
                "the credential contains characters not allowed in an HTTP header".into(),
                "check the token",
            )
        })?;
        auth_value.set_sensitive(true);
        let cache_key = (call.method == Method::GET).then(|| self.cache_key(cred, url));
        let mut use_cache = true;
        let mut attempt: u32 = 0;
        // The final answer on the call's span (once, whatever the retries before it).
        let answered = |status: u16, not_modified: bool, attempts: u32| {
            let span = tracing::Span::current();
            span.record("http.response.status_code", status);
            span.record("github.not_modified", not_modified);
            span.record("attempts", attempts);
        };
        loop {
            attempt += 1;
            self.check_floor(call, url, &cred.identity).await?;
            let (cached, from_shared) = match cache_key.as_deref() {
                Some(k) if use_cache => self.cached(k).await,
                _ => (None, false),
            };
            let mut req = inner
                .http
                .request(call.method.clone(), url.clone())
                .header(header::AUTHORIZATION, auth_value.clone());
            if let Some(c) = &cached {
                if let Some(v) = c.etag.as_deref().and_then(|e| HeaderValue::from_str(e).ok()) {
                    req = req.header(header::IF_NONE_MATCH, v);
                } else if let Some(v) =
                    c.last_modified.as_deref().and_then(|m| HeaderValue::from_str(m).ok())
                {
                    req = req.header(header::IF_MODIFIED_SINCE, v);
                }
            }
            if let Some(body) = &call.body {
                req = req.json(body);
            } else if matches!(call.method, Method::PUT | Method::PATCH) {
                // GitHub wants a length on bodiless PUT and PATCH.
                req = req.header(header::CONTENT_LENGTH, "0");
            }
            let started = Instant::now();
            bump(&inner.counters.requests);
            let sent = req.send().await;
            let (status, headers, body) = match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    match resp.bytes().await {
                        Ok(b) => (status, headers, b),
                        Err(e) => {
                            let err = self.transport_error(call, &path, &e, true, attempt);
                            record(method, template, "error", started, &path, attempt);
                            if attempt <= inner.config.max_retries && call.retry == Retry::Safe {
                                self.wait_to_retry(attempt, &err).await;
                                continue;
                            }
                            return Err(err);
                        }
                    }
                }
                Err(e) => {
                    let sent = !e.is_connect();
                    let err = self.transport_error(call, &path, &e, sent, attempt);
                    record(method, template, "error", started, &path, attempt);
                    if attempt <= inner.config.max_retries && (call.retry == Retry::Safe || !sent) {
                        self.wait_to_retry(attempt, &err).await;
                        continue;
                    }
                    return Err(err);
                }
            };
            record(method, template, &status.to_string(), started, &path, attempt);
            let had_entry = cached.is_some();
            let limit = inner.limits.observe(&cred.identity, &headers);
            if let Some(s) = &limit {
                metrics::gauge!("plasma_ops_github_rate_limit_remaining", "resource" => s.resource.clone())
                    .set(s.remaining as f64);
            }
            if status == 304 {
                if let Some(c) = cached {
                    bump(&inner.counters.not_modified);
                    answered(status, true, attempt);
                    metrics::counter!("plasma_ops_github_not_modified_total", "route" => template)
                        .increment(1);
                    if let Some(key) = &cache_key {
                        self.revalidated(key, &c, from_shared, template).await;
                    }
                    return Ok(Answer { body: c.body, next: c.next, limit });
                }
                // A 304 to a request we did not make conditional: ask again, plainly.
                use_cache = false;
                if attempt <= inner.config.max_retries {
                    continue;
                }
            }
            if (200..300).contains(&status) {
                let next = pagination::next_link(&headers);
                let body: Arc<[u8]> = Arc::from(body.as_ref());
                if let Some(key) = &cache_key {
                    let value_of = |name: header::HeaderName| {
                        headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
                    };
                    let fresh = Cached {
                        etag: value_of(header::ETAG),
                        last_modified: value_of(header::LAST_MODIFIED),
                        body: body.clone(),
                        next: next.clone(),
                        shared_at: None,
                    };
                    self.replaced(key, fresh, had_entry, from_shared, template).await;
                }
                answered(status, false, attempt);
                return Ok(Answer { body, next, limit });
            }
            let (message, codes) = error_details(&body);
            if let Some((retry_after, kind)) =
                ratelimit::classify(status, &headers, &message, now_secs())
            {
                bump(&inner.counters.rate_limited);
                tracing::warn!(method, route = template, path = %path, status, retry_after_s = retry_after.as_secs(), ?kind, "GitHub rate limit");
                answered(status, false, attempt);
                return Err(GitHubError::RateLimited {
                    method: call.method.to_string(),
                    path,
                    retry_after,
                    kind,
                });
            }
            let err = GitHubError::Status {
                method: call.method.to_string(),
                path: path.clone(),
                status,
                message,
                codes,
                hint: error::hint_for(status).to_string(),
                attempts: attempt,
            };
            if status >= 500 && attempt <= inner.config.max_retries && call.retry == Retry::Safe {
                self.wait_to_retry(attempt, &err).await;
                continue;
            }
            answered(status, false, attempt);
            return Err(err);
        }
    }

    /// The conditional-request cache key: the credential's scope and the URL. The scope of a
    /// plain token is its fingerprint, so different tokens never share an entry.
    fn cache_key(&self, cred: &Credential, url: &Url) -> String {
        if cred.identity == "token" {
            format!("{} {url}", self.inner.token_scope)
        } else {
            format!("{} {url}", cred.identity)
        }
    }

    /// The cached answer for `key` to make the request conditional with, and whether it came
    /// from the shared level. With a shared level, that level is asked every time: another
    /// replica may have read the URL since this process did (a comment it posted changed the
    /// list), and this process's older validator would cost a full, charged read where the newest
    /// earns a 304. The shared level sends the body only when its validators differ from this
    /// process's. A failing shared level counts as a miss.
    async fn cached(&self, key: &str) -> (Option<Cached>, bool) {
        let mine = self.inner.etags.get(key);
        let Some(shared) = self.inner.shared.get() else { return (mine, false) };
        let (etag, modified) = match &mine {
            Some(c) => (c.etag.as_deref(), c.last_modified.as_deref()),
            None => (None, None),
        };
        match shared.get_unless(key, etag, modified).await {
            Ok(SharedLookup::Same) => (mine, false),
            Ok(SharedLookup::Entry(entry)) => {
                let c = Cached::from(entry);
                if c.has_validator() { (Some(c), true) } else { (mine, false) }
            }
            Ok(SharedLookup::Missing) => {
                shared_metric("miss");
                (mine, false)
            }
            Err(e) => {
                shared_metric("error");
                tracing::warn!(error = %e, "shared HTTP cache unreadable; asking GitHub plainly");
                (mine, false)
            }
        }
    }

    /// GitHub answered 304 to `c`: keep it here, and tell the shared level it is still good
    /// (at most every [`SHARED_TOUCH_EVERY`] per entry, and stored there when it is missing).
    async fn revalidated(&self, key: &str, c: &Cached, from_shared: bool, route: &'static str) {
        let inner = &self.inner;
        if from_shared {
            bump(&inner.counters.shared_hits);
            shared_metric("hit");
            tracing::debug!(route, "answered from the shared cache after a 304");
            inner.etags.put(key.to_string(), c.clone());
        }
        let Some(shared) = inner.shared.get() else { return };
        if c.shared_at.is_some_and(|at| at.elapsed() < SHARED_TOUCH_EVERY) && !from_shared {
            return;
        }
        let present = match shared.touch(key).await {
            Ok(present) => present,
            Err(e) => {
                shared_metric("error");
                tracing::warn!(error = %e, "shared HTTP cache not updated");
                return;
            }
        };
        if !present && let Err(e) = shared.put(key, &SharedEntry::from(c)).await {
            shared_metric("error");
            tracing::warn!(error = %e, "shared HTTP cache not updated");
            return;
        }
        inner.etags.mark_shared(key);
    }

    /// GitHub answered 200: `fresh` replaces what both levels held (or, without a validator,
    /// both forget the URL: there is nothing to revalidate with).
    async fn replaced(
        &self,
        key: &str,
        fresh: Cached,
        had_entry: bool,
        from_shared: bool,
        route: &'static str,
    ) {
        let inner = &self.inner;
        let shared = inner.shared.get();
        if from_shared {
            shared_metric("stale");
        }
        if had_entry {
            tracing::debug!(route, "cached answer out of date; read afresh");
        }
        if !fresh.has_validator() {
            inner.etags.remove(key);
            if let Some(shared) = shared.filter(|_| had_entry)
                && let Err(e) = shared.remove(key).await
            {
                shared_metric("error");
                tracing::warn!(error = %e, "shared HTTP cache not updated");
            }
            return;
        }
        let entry = shared.map(|_| SharedEntry::from(&fresh));
        inner.etags.put(key.to_string(), fresh);
        if let (Some(shared), Some(entry)) = (shared, entry) {
            match shared.put(key, &entry).await {
                Ok(()) => inner.etags.mark_shared(key),
                Err(e) => {
                    shared_metric("error");
                    tracing::warn!(error = %e, "shared HTTP cache not updated");
                }
            }
        }
    }

    fn transport_error(
        &self,
        call: &Call<'_>,
        path: &str,
        e: &reqwest::Error,
        sent: bool,
        attempts: u32,
    ) -> GitHubError {
        let mut detail = error_chain(e);
        if e.is_timeout() {
            detail = format!("timed out after {:?}: {detail}", self.inner.config.timeout);
        }
        GitHubError::Transport {
            method: call.method.to_string(),
            path: path.to_string(),
            detail,
            sent,
            attempts,
        }
    }

    async fn wait_to_retry(&self, attempt: u32, err: &GitHubError) {
        bump(&self.inner.counters.retries);
        let delay = self.backoff(attempt);
        tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, error = %err, "retrying GitHub request");
        tokio::time::sleep(delay).await;
    }
}

/// How often a 304 on an entry this process already holds is passed on to the shared level (to
/// keep it from being evicted as unused), so revalidations do not each cost a store write.
const SHARED_TOUCH_EVERY: Duration = Duration::from_secs(600);

fn shared_metric(outcome: &'static str) {
    metrics::counter!("plasma_ops_github_shared_cache_total", "outcome" => outcome).increment(1);
}

/// The cache scope of a plain token: `token:` and the first 16 hex digits of its SHA-256.
fn token_scope(token: &Secret) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(token.expose().as_bytes());
    format!("token:{}", &hex::encode(digest)[..16])
}

fn record(
    method: &'static str,
    route: &'static str,
    status: &str,
    started: Instant,
    path: &str,
    attempt: u32,
) {
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    metrics::counter!(
        "plasma_ops_github_requests_total",
        "route" => route,
        "method" => method,
        "status" => status.to_string()
    )
    .increment(1);
    tracing::debug!(method, route, path, status, duration_ms, attempt, "GitHub request");
}

fn describe_metrics() {
    metrics::describe_counter!(
        "plasma_ops_github_requests_total",
        "HTTP requests sent to GitHub, by templated route, method and status (`error` when no answer came)"
    );
    metrics::describe_counter!(
        "plasma_ops_github_not_modified_total",
        "GitHub answers served from the ETag cache after 304 Not Modified (free of rate limit)"
    );
    metrics::describe_gauge!(
        "plasma_ops_github_rate_limit_remaining",
        "Requests left in GitHub's current rate-limit window, as last reported, by resource"
    );
    metrics::describe_counter!(
        "plasma_ops_github_shared_cache_total",
        "Lookups in the fleet's shared conditional-request cache (the store) after this process \
         missed: `hit` (GitHub answered 304: free), `stale` (GitHub answered 200: read afresh), \
         `miss`, `error`"
    );
    graphql::describe_metrics();
}
