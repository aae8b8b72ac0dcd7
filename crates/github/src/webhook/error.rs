//! What can go wrong reading a webhook payload or turning it into a snapshot, said so that the
//! person holding the payload knows where to look and what to do.

use serde_json::error::Category;

/// A webhook payload that could not be read, or an event that cannot become the snapshot asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The body is empty or only whitespace.
    #[error(
        "the {event} payload is empty: expected a JSON object; pass the request body (or the event \
         file) through unchanged"
    )]
    Empty {
        /// Event name, or `webhook` when unknown.
        event: String,
    },

    /// The body is `application/x-www-form-urlencoded` (`payload=...`).
    #[error(
        "the {event} payload is form-encoded (`payload=...`), not JSON: set the webhook's content \
         type to `application/json` in the repository's or GitHub App's webhook settings"
    )]
    FormEncoded {
        /// Event name, or `webhook` when unknown.
        event: String,
    },

    /// The body is not JSON.
    #[error(
        "the {event} payload is not valid JSON at line {line}, column {column}: {detail}; pass the \
         request body (or the event file) through unchanged"
    )]
    Syntax {
        /// Event name, or `webhook` when unknown.
        event: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description.
        detail: String,
    },

    /// The body stops in the middle of the JSON document.
    #[error(
        "the {event} payload ends early at line {line}, column {column} ({detail}): it was cut off; \
         check the body size limits of any proxy in front of plasma-ops, then redeliver it from the \
         webhook's Recent Deliveries"
    )]
    Truncated {
        /// Event name, or `webhook` when unknown.
        event: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description.
        detail: String,
    },

    /// Valid JSON that is not shaped like the event it is said to be.
    #[error(
        "the {event} payload does not look like a GitHub `{event}` event: at `{path}` (line {line}, \
         column {column}): {detail}; check that the event name (the `X-GitHub-Event` header, or the \
         name given on the command line) matches the payload{}",
        looks_like_hint(looks_like.as_deref())
    )]
    Shape {
        /// Event name.
        event: String,
        /// JSON path of the offending field, e.g. `pull_request.head.sha`; `.` is the top level.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description, e.g. ``missing field `sha` ``.
        detail: String,
        /// The event the payload's shape suggests, when that is another one.
        looks_like: Option<String>,
    },

    /// No event name was given and the payload's shape matches none we know.
    #[error(
        "cannot tell which GitHub event this payload is (its top-level keys: {keys}); give the event \
         name (the `X-GitHub-Event` header's value, e.g. `pull_request`)"
    )]
    UnknownEvent {
        /// The payload's top-level keys, comma-separated.
        keys: String,
    },

    /// A pull request snapshot was asked of an event that carries no pull request.
    #[error(
        "a `{event}` event carries no pull request to judge{concerns}; build a pull request \
         snapshot from a `pull_request` or `pull_request_review` event, or fetch the pull request \
         from the GitHub API"
    )]
    NotAPullRequestEvent {
        /// Event name.
        event: String,
        /// What the event is about, e.g. ` (it concerns pull request #2, commit 0123abc)`; empty
        /// when nothing is known.
        concerns: String,
    },

    /// An issue snapshot was asked of an event that carries no issue.
    #[error(
        "a `{event}` event carries no issue; build an issue snapshot from an `issues` event or an \
         `issue_comment` event on an issue"
    )]
    NotAnIssueEvent {
        /// Event name.
        event: String,
    },

    /// The "issue" of an `issues` or `issue_comment` event is a pull request.
    #[error(
        "#{number} in this `{event}` event is a pull request, not an issue; judge it as pull request \
         #{number} (fetch it from the GitHub API, or use a `pull_request` event)"
    )]
    IssueIsPullRequest {
        /// Event name.
        event: String,
        /// The pull request's number.
        number: u64,
    },
}

impl WebhookError {
    /// Line and column (1-based) in the payload, for errors that have one.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            WebhookError::Syntax { line, column, .. }
            | WebhookError::Truncated { line, column, .. }
            | WebhookError::Shape { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }

    /// JSON path of the offending field, for shape errors.
    pub fn path(&self) -> Option<&str> {
        match self {
            WebhookError::Shape { path, .. } => Some(path),
            _ => None,
        }
    }

    /// From serde_json's error and, for shape errors, the path serde_path_to_error tracked.
    pub(crate) fn from_json(event: &str, path: Option<String>, err: &serde_json::Error) -> Self {
        let (line, column) = (err.line(), err.column());
        let event = event.to_string();
        let detail = detail_of(err);
        match err.classify() {
            Category::Eof => WebhookError::Truncated { event, line, column, detail },
            Category::Syntax | Category::Io => WebhookError::Syntax { event, line, column, detail },
            Category::Data => {
                let path = full_path(path.as_deref().unwrap_or("."), &detail);
                WebhookError::Shape { event, path, line, column, detail, looks_like: None }
            }
        }
    }
}

fn looks_like_hint(looks_like: Option<&str>) -> String {
    match looks_like {
        Some(name) => format!(" (it looks like a `{name}` payload)"),
        None => String::new(),
    }
}

/// serde_json's message without its trailing " at line L column C".
fn detail_of(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match text.strip_suffix(&suffix) {
        Some(detail) => detail.to_string(),
        None => text,
    }
}

/// serde reports a missing field at the object that lacks it; name the field itself.
fn full_path(path: &str, detail: &str) -> String {
    let missing = detail
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
        .filter(|field| !field.is_empty());
    match (missing, path) {
        (Some(field), ".") => field.to_string(),
        (Some(field), parent) => format!("{parent}.{field}"),
        (None, path) => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_field_path_names_the_field() {
        assert_eq!(full_path("pull_request.head", "missing field `sha`"), "pull_request.head.sha");
        assert_eq!(full_path(".", "missing field `repository`"), "repository");
        assert_eq!(full_path("pull_request.number", "invalid type: string"), "pull_request.number");
    }
}
