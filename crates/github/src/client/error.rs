//! What can go wrong talking to GitHub, with where (method and path, never a token) and what to do.

use std::time::Duration;

/// Why GitHub refused to serve a request for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitKind {
    /// The hourly budget of the token or installation is (nearly) spent.
    Primary,
    /// GitHub's secondary (abuse) limit: too many requests too quickly, or too much concurrency.
    Secondary,
}

impl RateLimitKind {
    fn describe(self) -> &'static str {
        match self {
            RateLimitKind::Primary => "the hourly rate limit is (nearly) spent",
            RateLimitKind::Secondary => "GitHub's secondary rate limit was hit",
        }
    }
}

/// An error from the GitHub REST client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitHubError {
    /// The client configuration cannot work.
    #[error("GitHub client configuration: {message}; {hint}")]
    Config {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },

    /// A repository name that is not `owner/name`.
    #[error(
        "`{repo}` is not a repository name: expected `owner/name`, e.g. `plasma-engine/plasma-ops`"
    )]
    InvalidRepo {
        /// The name as given.
        repo: String,
    },

    /// An App-authenticated call that needs an installation, with none given or discoverable.
    #[error(
        "{method} {path}: a GitHub App must act as one of its installations here and none is \
         known; pass the installation id (webhooks carry it as `installation.id`)"
    )]
    NoInstallation {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
    },

    /// The App's JWT could not be signed.
    #[error(
        "GitHub App authentication: could not sign the JWT with the configured private key \
         ({detail}); check that the key file holds the App's PEM private key as downloaded from \
         the App's settings page"
    )]
    Jwt {
        /// The signing library's message (never the key).
        detail: String,
    },

    /// GitHub asked us to wait, or the remaining budget is below the floor.
    #[error(
        "{method} {path}: {}; retry after {}s (reschedule the job rather than waiting inside the \
         request)",
        kind.describe(),
        retry_after.as_secs()
    )]
    RateLimited {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// How long to wait before trying again.
        retry_after: Duration,
        /// Which limit.
        kind: RateLimitKind,
    },

    /// GitHub answered with an unexpected status.
    #[error(
        "{method} {path}: GitHub answered {status}{}{}{}; {hint}",
        attempts_text(*attempts),
        message_text(message),
        codes_text(codes)
    )]
    Status {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// HTTP status.
        status: u16,
        /// GitHub's `message`, or the start of the body.
        message: String,
        /// GitHub's validation error codes (`errors[].code`), e.g. `already_exists`.
        codes: Vec<String>,
        /// What to do about it.
        hint: String,
        /// Attempts made (more than one when 5xx answers were retried).
        attempts: u32,
    },

    /// No (complete) answer: connection refused or dropped, timeout, unreadable body.
    #[error("{method} {path}: no answer from GitHub after {attempts} attempt(s): {detail}; {}",
        if *sent { "the request may have been carried out; it is retried only where that is safe" }
        else { "check the base URL and the network; the job will be retried" })]
    Transport {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The transport's message chain.
        detail: String,
        /// Whether the request may have reached GitHub (anything but a failed connect).
        sent: bool,
        /// Attempts made.
        attempts: u32,
    },

    /// A 2xx answer whose body does not have the shape we need.
    #[error(
        "{method} {path}: GitHub's answer does not have the expected shape at `{at}`: {detail}; \
         check that the base URL points at a GitHub REST API (GitHub Enterprise Server: \
         https://HOST/api/v3)"
    )]
    Decode {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// JSON path of the offending value.
        at: String,
        /// What is wrong with it.
        detail: String,
    },

    /// A `Link` header that points away from the configured base URL.
    #[error(
        "{method} {path}: the `Link` header points to {url}, outside the configured GitHub base \
         URL; not following it, since the credentials would be sent there"
    )]
    ForeignLink {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The link.
        url: String,
    },

    /// A GraphQL answer that carries `errors` (GitHub answers 200 with them).
    #[error(
        "POST {path}: GitHub's GraphQL API refused operation `{operation}`: {}; check the \
         operation against GitHub's schema (crates/github/graphql) and the token's permissions",
        errors.join("; ")
    )]
    GraphQl {
        /// Request path.
        path: String,
        /// The operation's name, e.g. `ReviewThreads`.
        operation: String,
        /// Each error as `path: message` (`type` added when GitHub gives one).
        errors: Vec<String>,
    },

    /// A file that exists but cannot be used as text.
    #[error("`{file}` at `{git_ref}` in {repo}: {detail}")]
    Content {
        /// Repository.
        repo: String,
        /// File path.
        file: String,
        /// Ref it was read at.
        git_ref: String,
        /// What is wrong and what to do.
        detail: String,
    },
}

fn attempts_text(attempts: u32) -> String {
    if attempts > 1 { format!(" (after {attempts} attempts)") } else { String::new() }
}

fn message_text(message: &str) -> String {
    if message.is_empty() { String::new() } else { format!(": {message}") }
}

fn codes_text(codes: &[String]) -> String {
    if codes.is_empty() { String::new() } else { format!(" ({})", codes.join(", ")) }
}

impl GitHubError {
    /// The HTTP status GitHub answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GitHubError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether GitHub answered 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// How long to wait before retrying, when GitHub said so (or the budget is spent).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GitHubError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// Whether retrying the job later may succeed (rate limits, 5xx, network trouble), as opposed to
    /// an error that needs a person (bad credentials, missing permission, bad configuration).
    pub fn is_transient(&self) -> bool {
        match self {
            GitHubError::RateLimited { .. } | GitHubError::Transport { .. } => true,
            GitHubError::Status { status, .. } => *status >= 500 || *status == 409,
            _ => false,
        }
    }

    /// Whether a request may have been carried out although its answer was lost (a 5xx, a
    /// timeout, a dropped connection): a non-idempotent write must be checked before repeating it.
    pub fn answer_lost(&self) -> bool {
        match self {
            GitHubError::Status { status, .. } => *status >= 500,
            GitHubError::Transport { sent, .. } => *sent,
            _ => false,
        }
    }

    /// GitHub's validation codes, e.g. `already_exists`.
    pub fn has_code(&self, code: &str) -> bool {
        matches!(self, GitHubError::Status { codes, .. } if codes.iter().any(|c| c == code))
    }
}

/// What to do about an HTTP status, for [`GitHubError::Status`].
pub(crate) fn hint_for(status: u16) -> &'static str {
    match status {
        401 => {
            "the credentials were rejected: check the token, or the App id and private key \
             (installation tokens expire after an hour and are renewed automatically)"
        }
        403 => {
            "the token or App installation lacks a permission for this call: the App needs pull \
             requests write, issues write, contents read, checks read, statuses write, metadata read"
        }
        404 => {
            "check that the repository, number, ref or file exists and that the token or App \
             installation can see the repository"
        }
        409 => "GitHub reported a conflict; the job will be retried",
        410 => "the resource is gone (issues may be disabled on this repository)",
        422 => "GitHub rejected the request's content; see the message and codes",
        s if s >= 500 => "GitHub had a server error; the job will be retried with backoff",
        _ => "see GitHub's message",
    }
}
