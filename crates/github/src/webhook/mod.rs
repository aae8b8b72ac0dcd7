//! Lenient types for the webhook events plasma-ops reacts to, read from the raw body.
//!
//! Only the fields plasma-ops uses are declared; the hundreds of others are skipped. Anything GitHub
//! may omit or send as `null` (old payloads, GitHub Enterprise Server, the examples that fail
//! GitHub's own current schema) is optional, so a payload is rejected only when it lacks what is
//! needed to know which repository, pull request, issue or commit to look at.

mod checks;
mod deployment;
mod error;
mod issues;
mod pull_request;
mod push;
mod review_thread;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

pub use crate::model::{
    Account, App, BranchRef, Comment, Installation, Issue, IssuePullRequest, Label, PullRequest,
    Repository,
};
pub use checks::{
    CheckRun, CheckRunEvent, CheckSuite, CheckSuiteEvent, CheckSuiteRef, PullRequestRef,
    RequestedAction, ShaRef, StatusBranch, StatusEvent,
};
pub use deployment::{
    Deployment, DeploymentEvent, DeploymentProtectionRuleEvent, DeploymentStatus,
    DeploymentStatusEvent, NumberOnly,
};
pub use error::WebhookError;
pub use issues::{IssueCommentEvent, IssuesEvent};
pub use pull_request::{PullRequestEvent, PullRequestReviewEvent, Review};
pub use push::{PushCommit, PushEvent, Pusher};
pub use review_thread::{PullRequestReviewThreadEvent, ThreadRef};

/// One parsed webhook delivery. Payloads are boxed: they are large and of very different sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    /// `pull_request`.
    PullRequest(Box<PullRequestEvent>),
    /// `pull_request_review`.
    PullRequestReview(Box<PullRequestReviewEvent>),
    /// `check_run`.
    CheckRun(Box<CheckRunEvent>),
    /// `check_suite`.
    CheckSuite(Box<CheckSuiteEvent>),
    /// `status`.
    Status(Box<StatusEvent>),
    /// `issues`.
    Issues(Box<IssuesEvent>),
    /// `issue_comment`.
    IssueComment(Box<IssueCommentEvent>),
    /// `push`.
    Push(Box<PushEvent>),
    /// `deployment`.
    Deployment(Box<DeploymentEvent>),
    /// `deployment_status`.
    DeploymentStatus(Box<DeploymentStatusEvent>),
    /// `deployment_protection_rule`.
    DeploymentProtectionRule(Box<DeploymentProtectionRuleEvent>),
    /// `pull_request_review_thread`.
    PullRequestReviewThread(Box<PullRequestReviewThreadEvent>),
    /// Any other event (`ping`, `installation`, ...); its body was checked to be JSON only.
    Other {
        /// The event name as given.
        name: String,
    },
}

/// The events [`parse_event`] reads into typed payloads.
pub const KNOWN_EVENTS: [&str; 12] = [
    "pull_request",
    "pull_request_review",
    "check_run",
    "check_suite",
    "status",
    "issues",
    "issue_comment",
    "push",
    "deployment",
    "deployment_status",
    "deployment_protection_rule",
    "pull_request_review_thread",
];

/// The null SHA GitHub sends as `before` of a created ref and `after` of a deleted one.
const NULL_SHA: &str = "0000000000000000000000000000000000000000";

/// Reads a webhook body given its event name (the `X-GitHub-Event` header's value). Names of events
/// plasma-ops does not read give [`WebhookEvent::Other`] once the body is known to be JSON.
pub fn parse_event(event_name: &str, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let name = event_name.trim();
    Ok(match name {
        "pull_request" => WebhookEvent::PullRequest(decode(name, body)?),
        "pull_request_review" => WebhookEvent::PullRequestReview(decode(name, body)?),
        "check_run" => WebhookEvent::CheckRun(decode(name, body)?),
        "check_suite" => WebhookEvent::CheckSuite(decode(name, body)?),
        "status" => WebhookEvent::Status(decode(name, body)?),
        "issues" => WebhookEvent::Issues(decode(name, body)?),
        "issue_comment" => WebhookEvent::IssueComment(decode(name, body)?),
        "push" => WebhookEvent::Push(decode(name, body)?),
        "deployment" => WebhookEvent::Deployment(decode(name, body)?),
        "deployment_status" => WebhookEvent::DeploymentStatus(decode(name, body)?),
        "deployment_protection_rule" => WebhookEvent::DeploymentProtectionRule(decode(name, body)?),
        "pull_request_review_thread" => WebhookEvent::PullRequestReviewThread(decode(name, body)?),
        _ => {
            decode::<IgnoredAny>(name, body)?;
            WebhookEvent::Other { name: name.to_string() }
        }
    })
}

/// Top-level keys that tell events apart; `null` counts as absent.
#[derive(Deserialize)]
struct Shape {
    #[serde(default)]
    pull_request: Option<IgnoredAny>,
    #[serde(default)]
    review: Option<IgnoredAny>,
    #[serde(default)]
    comment: Option<IgnoredAny>,
    #[serde(default)]
    thread: Option<IgnoredAny>,
    #[serde(default)]
    issue: Option<IgnoredAny>,
    #[serde(default)]
    deployment_status: Option<IgnoredAny>,
    #[serde(default)]
    deployment: Option<IgnoredAny>,
    #[serde(default)]
    deployment_callback_url: Option<IgnoredAny>,
    #[serde(default)]
    workflow_job: Option<IgnoredAny>,
    #[serde(default)]
    check_run: Option<IgnoredAny>,
    #[serde(default)]
    check_suite: Option<IgnoredAny>,
    #[serde(default)]
    state: Option<IgnoredAny>,
    #[serde(default)]
    sha: Option<IgnoredAny>,
    #[serde(default)]
    context: Option<IgnoredAny>,
    #[serde(default, rename = "ref")]
    git_ref: Option<IgnoredAny>,
    #[serde(default)]
    before: Option<IgnoredAny>,
    #[serde(default)]
    after: Option<IgnoredAny>,
    #[serde(default)]
    commits: Option<IgnoredAny>,
}

/// Guesses the event name from the payload's shape, for bodies that come without an
/// `X-GitHub-Event` header (GitHub Actions' `GITHUB_EVENT_PATH` file). `None` when the body is not
/// a JSON object or matches no known shape.
///
/// Events whose payloads resemble ours (`pull_request_review_comment`, `pull_request_review_thread`,
/// `deployment_status`) are recognised too, so that they are not mistaken for one of ours.
pub fn detect_event_name(body: &[u8]) -> Option<&'static str> {
    let body = strip_bom(body);
    // serde would read a struct from an array too; a payload is always an object.
    if first_byte(body).map(|(_, b)| b) != Some(b'{') {
        return None;
    }
    let s: Shape = serde_json::from_slice(body).ok()?;
    let name = if s.pull_request.is_some() {
        if s.review.is_some() {
            "pull_request_review"
        } else if s.comment.is_some() {
            "pull_request_review_comment"
        } else if s.thread.is_some() {
            "pull_request_review_thread"
        } else {
            "pull_request"
        }
    } else if s.issue.is_some() {
        if s.comment.is_some() { "issue_comment" } else { "issues" }
    } else if s.deployment_status.is_some() {
        // Carries the `check_run` that triggered the deployment.
        "deployment_status"
    } else if s.deployment_callback_url.is_some() {
        "deployment_protection_rule"
    } else if s.workflow_job.is_some() {
        // A job that deploys carries its `deployment` too.
        return None;
    } else if s.deployment.is_some() {
        "deployment"
    } else if s.check_run.is_some() {
        "check_run"
    } else if s.check_suite.is_some() {
        "check_suite"
    } else if s.state.is_some() && s.sha.is_some() && s.context.is_some() {
        "status"
    } else if s.git_ref.is_some()
        && s.before.is_some()
        && (s.after.is_some() || s.commits.is_some())
    {
        "push"
    } else {
        return None;
    };
    Some(name)
}

/// The top-level keys of a JSON object body, for messages about payloads of unknown shape.
pub(crate) fn top_level_keys(body: &[u8]) -> Result<Vec<String>, WebhookError> {
    let map: BTreeMap<String, IgnoredAny> = decode("webhook", body)?;
    Ok(map.into_keys().collect())
}

/// A UTF-8 byte order mark is not JSON, but editors on some systems add one to saved event files.
fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// Deserializes the whole body as `T`, naming the path, line and column of any failure.
fn decode<T: DeserializeOwned>(event: &str, body: &[u8]) -> Result<T, WebhookError> {
    let body = strip_bom(body);
    let event_label = if event.is_empty() { "webhook" } else { event };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(WebhookError::Empty { event: event_label.to_string() });
    }
    if body.starts_with(b"payload=") {
        return Err(WebhookError::FormEncoded { event: event_label.to_string() });
    }
    // The fast path: a well-formed payload is decoded once. Only a failure pays for the second,
    // path-tracking pass that names where it went wrong.
    if let Ok(value) = serde_json::from_slice::<T>(body) {
        return Ok(value);
    }
    require_object(event_label, body)?;
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let err = WebhookError::from_json(event_label, Some(path.clone()), e.inner());
        match err {
            // serde_json calls some type mismatches (a number where an enum is expected) syntax
            // errors; if the document is valid JSON, it is the shape that is wrong.
            WebhookError::Syntax { event, line, column, detail }
                if serde_json::from_slice::<IgnoredAny>(body).is_ok() =>
            {
                let detail = format!("{detail} (a value of the wrong type)");
                WebhookError::Shape { event, path, line, column, detail, looks_like: None }
            }
            other => other,
        }
    });
    let value = value.map_err(|err| match err {
        WebhookError::Shape { event, path, line, column, detail, .. } => {
            let looks_like = detect_event_name(body).filter(|n| *n != event).map(str::to_string);
            WebhookError::Shape { event, path, line, column, detail, looks_like }
        }
        other => other,
    })?;
    // Anything after the document (a second object, stray bytes) is an error too.
    de.end().map_err(|e| WebhookError::from_json(event_label, None, &e))?;
    Ok(value)
}

/// The first byte that is not whitespace, and where it is.
fn first_byte(body: &[u8]) -> Option<(usize, u8)> {
    body.iter().copied().enumerate().find(|(_, b)| !b.is_ascii_whitespace())
}

/// Every payload is a JSON object; serde would otherwise read a struct from an array by position.
fn require_object(event: &str, body: &[u8]) -> Result<(), WebhookError> {
    let Some((pos, first)) = first_byte(body) else { return Ok(()) };
    if first == b'{' {
        return Ok(());
    }
    // Not JSON at all is a syntax error, reported as such.
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::from_json(event, None, &e))?;
    let found = match value {
        serde_json::Value::Object(_) => return Ok(()),
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Null => "null",
    };
    let before = body.get(..pos).unwrap_or_default();
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = pos - before.iter().rposition(|b| *b == b'\n').map_or(0, |nl| nl + 1) + 1;
    Err(WebhookError::Shape {
        event: event.to_string(),
        path: ".".to_string(),
        line,
        column,
        detail: format!("expected a JSON object, found {found}"),
        looks_like: None,
    })
}

impl WebhookEvent {
    /// The event name, as in the `X-GitHub-Event` header.
    pub fn name(&self) -> &str {
        match self {
            WebhookEvent::PullRequest(_) => "pull_request",
            WebhookEvent::PullRequestReview(_) => "pull_request_review",
            WebhookEvent::CheckRun(_) => "check_run",
            WebhookEvent::CheckSuite(_) => "check_suite",
            WebhookEvent::Status(_) => "status",
            WebhookEvent::Issues(_) => "issues",
            WebhookEvent::IssueComment(_) => "issue_comment",
            WebhookEvent::Push(_) => "push",
            WebhookEvent::Deployment(_) => "deployment",
            WebhookEvent::DeploymentStatus(_) => "deployment_status",
            WebhookEvent::DeploymentProtectionRule(_) => "deployment_protection_rule",
            WebhookEvent::PullRequestReviewThread(_) => "pull_request_review_thread",
            WebhookEvent::Other { name } => name,
        }
    }

    /// The `action` (e.g. `opened`); `None` for `status`, `push`, other events and payloads
    /// without one.
    pub fn action(&self) -> Option<&str> {
        match self {
            WebhookEvent::PullRequest(e) => e.action.as_deref(),
            WebhookEvent::PullRequestReview(e) => e.action.as_deref(),
            WebhookEvent::CheckRun(e) => e.action.as_deref(),
            WebhookEvent::CheckSuite(e) => e.action.as_deref(),
            WebhookEvent::Issues(e) => e.action.as_deref(),
            WebhookEvent::IssueComment(e) => e.action.as_deref(),
            WebhookEvent::Deployment(e) => e.action.as_deref(),
            WebhookEvent::DeploymentStatus(e) => e.action.as_deref(),
            WebhookEvent::DeploymentProtectionRule(e) => e.action.as_deref(),
            WebhookEvent::PullRequestReviewThread(e) => e.action.as_deref(),
            WebhookEvent::Status(_) | WebhookEvent::Push(_) | WebhookEvent::Other { .. } => None,
        }
    }

    /// The repository the event happened in; `None` for other events.
    pub fn repository(&self) -> Option<&Repository> {
        match self {
            WebhookEvent::PullRequest(e) => Some(&e.repository),
            WebhookEvent::PullRequestReview(e) => Some(&e.repository),
            WebhookEvent::CheckRun(e) => Some(&e.repository),
            WebhookEvent::CheckSuite(e) => Some(&e.repository),
            WebhookEvent::Status(e) => Some(&e.repository),
            WebhookEvent::Issues(e) => Some(&e.repository),
            WebhookEvent::IssueComment(e) => Some(&e.repository),
            WebhookEvent::Push(e) => Some(&e.repository),
            WebhookEvent::Deployment(e) => Some(&e.repository),
            WebhookEvent::DeploymentStatus(e) => Some(&e.repository),
            WebhookEvent::DeploymentProtectionRule(e) => Some(&e.repository),
            WebhookEvent::PullRequestReviewThread(e) => Some(&e.repository),
            WebhookEvent::Other { .. } => None,
        }
    }

    /// The GitHub App installation id, when the payload has one.
    pub fn installation_id(&self) -> Option<u64> {
        let installation = match self {
            WebhookEvent::PullRequest(e) => e.installation.as_ref(),
            WebhookEvent::PullRequestReview(e) => e.installation.as_ref(),
            WebhookEvent::CheckRun(e) => e.installation.as_ref(),
            WebhookEvent::CheckSuite(e) => e.installation.as_ref(),
            WebhookEvent::Status(e) => e.installation.as_ref(),
            WebhookEvent::Issues(e) => e.installation.as_ref(),
            WebhookEvent::IssueComment(e) => e.installation.as_ref(),
            WebhookEvent::Push(e) => e.installation.as_ref(),
            WebhookEvent::Deployment(e) => e.installation.as_ref(),
            WebhookEvent::DeploymentStatus(e) => e.installation.as_ref(),
            WebhookEvent::DeploymentProtectionRule(e) => e.installation.as_ref(),
            WebhookEvent::PullRequestReviewThread(e) => e.installation.as_ref(),
            WebhookEvent::Other { .. } => None,
        };
        installation.map(|i| i.id)
    }

    /// Who triggered the event, when the payload says.
    pub fn sender(&self) -> Option<&Account> {
        match self {
            WebhookEvent::PullRequest(e) => e.sender.as_ref(),
            WebhookEvent::PullRequestReview(e) => e.sender.as_ref(),
            WebhookEvent::CheckRun(e) => e.sender.as_ref(),
            WebhookEvent::CheckSuite(e) => e.sender.as_ref(),
            WebhookEvent::Status(e) => e.sender.as_ref(),
            WebhookEvent::Issues(e) => e.sender.as_ref(),
            WebhookEvent::IssueComment(e) => e.sender.as_ref(),
            WebhookEvent::Push(e) => e.sender.as_ref(),
            WebhookEvent::Deployment(e) => e.sender.as_ref(),
            WebhookEvent::DeploymentStatus(e) => e.sender.as_ref(),
            WebhookEvent::DeploymentProtectionRule(e) => e.sender.as_ref(),
            WebhookEvent::PullRequestReviewThread(e) => e.sender.as_ref(),
            WebhookEvent::Other { .. } => None,
        }
    }

    /// Numbers of the pull requests this event names, sorted and without duplicates. Empty when
    /// it names none: for `status` and `push` events, and for check runs and suites of fork
    /// branches, the pull requests must be found from [`head_sha`](Self::head_sha) or the branch.
    pub fn pull_request_numbers(&self) -> Vec<u64> {
        let mut numbers: Vec<u64> = match self {
            WebhookEvent::PullRequest(e) => vec![e.pull_request.number],
            WebhookEvent::PullRequestReview(e) => vec![e.pull_request.number],
            WebhookEvent::PullRequestReviewThread(e) => vec![e.pull_request.number],
            WebhookEvent::CheckRun(e) => {
                e.check_run.pull_requests.iter().map(|p| p.number).collect()
            }
            WebhookEvent::CheckSuite(e) => {
                e.check_suite.pull_requests.iter().map(|p| p.number).collect()
            }
            WebhookEvent::Issues(e) if e.issue.is_pull_request() => vec![e.issue.number],
            WebhookEvent::IssueComment(e) if e.issue.is_pull_request() => vec![e.issue.number],
            _ => Vec::new(),
        };
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    }

    /// The commit this event is about: a pull request's head, a check's or status's commit, or a
    /// push's new tip (`None` when the push deleted the ref, and for issues and other events).
    pub fn head_sha(&self) -> Option<&str> {
        match self {
            WebhookEvent::PullRequest(e) => Some(&e.pull_request.head.sha),
            WebhookEvent::PullRequestReview(e) => Some(&e.pull_request.head.sha),
            WebhookEvent::PullRequestReviewThread(e) => Some(&e.pull_request.head.sha),
            WebhookEvent::CheckRun(e) => Some(&e.check_run.head_sha),
            WebhookEvent::CheckSuite(e) => Some(&e.check_suite.head_sha),
            WebhookEvent::Status(e) => Some(&e.sha),
            WebhookEvent::Push(e) if e.deleted || e.after == NULL_SHA => None,
            WebhookEvent::Push(e) => Some(&e.after),
            WebhookEvent::Deployment(e) => Some(&e.deployment.sha),
            WebhookEvent::DeploymentStatus(e) => Some(&e.deployment.sha),
            WebhookEvent::DeploymentProtectionRule(e) => e.commit(),
            WebhookEvent::Issues(_)
            | WebhookEvent::IssueComment(_)
            | WebhookEvent::Other { .. } => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]
mod tests;
