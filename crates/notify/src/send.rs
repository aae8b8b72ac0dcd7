//! Sends one message to one target, whatever its kind, pacing each Slack webhook to about one
//! message per second (Slack's documented limit for incoming webhooks) and keeping to a
//! `Retry-After` for every later message to the same webhook.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use plasma_config::{NotifyTarget, TargetKind};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::env::Env;
use crate::error::SendError;
use crate::message::Message;
use crate::{mcp, slack};

/// Posts issue comments for the `github` target; the service implements it with its GitHub
/// client (and its App's installation tokens).
#[async_trait::async_trait]
pub trait IssueCommenter: Send + Sync {
    /// Comments `body` on `repository#issue`.
    async fn comment(&self, repository: &str, issue: u64, body: &str) -> Result<(), SendError>;
}

/// What sends messages: an HTTP client, where secrets come from, and the GitHub commenter.
pub struct Sender {
    http: reqwest::Client,
    env: Env,
    github: Option<Arc<dyn IssueCommenter>>,
    /// The least time between two messages to one Slack webhook.
    pace: Duration,
    /// When each Slack target may be sent to next.
    next_slot: Mutex<HashMap<String, Instant>>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").field("pace", &self.pace).finish_non_exhaustive()
    }
}

/// Slack's limit for incoming webhooks is about one message per second per webhook.
pub const SLACK_PACE: Duration = Duration::from_secs(1);

/// The longest a worker waits in-process for a webhook's next slot; beyond it the row is retried.
pub const MAX_SLOT_WAIT: Duration = Duration::from_secs(5);

/// How long one HTTP request to a webhook may take; well under the outbox lease, so a live
/// sender is never taken for a dead one while it waits.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

impl Sender {
    /// A sender reading secrets from `env`, posting GitHub comments with `github` when given.
    pub fn new(env: Env, github: Option<Arc<dyn IssueCommenter>>) -> Result<Sender, SendError> {
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .user_agent(concat!("plasma-ops/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SendError::permanent(format!("cannot build the HTTP client: {e}")))?;
        Ok(Sender { http, env, github, pace: SLACK_PACE, next_slot: Mutex::new(HashMap::new()) })
    }

    /// The same sender with another pace per Slack webhook (tests use none).
    pub fn with_pace(mut self, pace: Duration) -> Sender {
        self.pace = pace;
        self
    }

    /// Sends `message` to the target named `name`; `key` identifies this notification for
    /// receivers that can deduplicate (an MCP tool's `{{idempotency_key}}`, a GitHub comment's
    /// marker).
    pub async fn send(
        &self,
        name: &str,
        target: &NotifyTarget,
        message: &Message,
        key: &str,
    ) -> Result<(), SendError> {
        let kind = target.kind().ok_or_else(|| {
            SendError::permanent(format!(
                "target `{name}` is not exactly one of slack, mcp and github; fix \
                 notifications.targets.{name}"
            ))
        })?;
        match kind {
            TargetKind::Slack(s) => {
                self.wait_for_slot(name).await?;
                let sent = slack::send(&self.http, s, &self.env, message).await;
                let pause = match &sent {
                    Err(SendError { retry_after: Some(wait), .. }) => (*wait).max(self.pace),
                    _ => self.pace,
                };
                self.next_slot.lock().await.insert(name.to_owned(), Instant::now() + pause);
                sent
            }
            TargetKind::Mcp(m) => {
                let path = mcp::config_path(&self.env).ok_or_else(|| {
                    SendError::permanent(
                        "no MCP configuration: set RUBE_MCP_CONFIG to the file's path (or HOME, \
                         for ~/.config/rube/mcp-config.json)",
                    )
                })?;
                let server = mcp::load_server(&path, &m.server, &self.env)?;
                let (tool, arguments) = mcp::tool_call(m, message, key);
                mcp::call(&server, &tool, arguments).await.map(|_| ())
            }
            TargetKind::Github(g) => {
                let github = self.github.as_ref().ok_or_else(|| {
                    SendError::permanent(
                        "the github target needs plasma-ops's GitHub credentials \
                         (PLASMA_OPS_GITHUB_TOKEN or the App's), which this process does not have",
                    )
                })?;
                let body = comment_body(message, key);
                github.comment(&g.repository, g.issue, &body).await
            }
        }
    }

    /// Waits until the target's next slot (its pace, or the `Retry-After` it gave). A slot more
    /// than [`MAX_SLOT_WAIT`] away is not waited for while the row is marked `sending` (a long
    /// sleep could outlast the lease and make another replica take the row for a crashed one):
    /// the attempt fails, unsent, and the outbox retries it once the webhook accepts again.
    async fn wait_for_slot(&self, name: &str) -> Result<(), SendError> {
        let at = self.next_slot.lock().await.get(name).copied();
        let Some(at) = at else { return Ok(()) };
        let wait = at.saturating_duration_since(Instant::now());
        if wait > MAX_SLOT_WAIT {
            return Err(SendError {
                retry_after: Some(wait),
                ..SendError::retry(format!(
                    "not sent: Slack asked to wait {} s more before the next message to this webhook",
                    wait.as_secs()
                ))
            });
        }
        tokio::time::sleep_until(at).await;
        Ok(())
    }
}

/// The Markdown comment for the `github` target, with a marker naming the notification so a
/// retried post finds the comment it already made (the GitHub client's `create_comment` looks
/// for it after a lost answer).
pub fn comment_body(message: &Message, key: &str) -> String {
    let mut body = format!(
        "<!-- plasma-ops:notification:{key} -->\n**{}**\n\n{}",
        message.title, message.text
    );
    if let Some(url) = &message.url {
        body.push_str(&format!("\n\n{url}"));
    }
    if let Some(at) = &message.occurred_at {
        body.push_str(&format!("\n\n<sub>`{}` at {at}</sub>", message.event));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use plasma_config::{GitHubTarget, SlackTarget};

    struct Recorder(std::sync::Mutex<Vec<String>>);

    #[async_trait::async_trait]
    impl IssueCommenter for Recorder {
        async fn comment(&self, repository: &str, issue: u64, body: &str) -> Result<(), SendError> {
            if let Ok(mut v) = self.0.lock() {
                v.push(format!("{repository}#{issue}\n{body}"));
            }
            Ok(())
        }
    }

    fn github_target() -> NotifyTarget {
        NotifyTarget {
            github: Some(GitHubTarget { repository: "o/status".into(), issue: 4 }),
            ..NotifyTarget::default()
        }
    }

    #[tokio::test]
    async fn github_comments_carry_a_marker_and_the_message() {
        let recorder = Arc::new(Recorder(std::sync::Mutex::new(Vec::new())));
        let sender = Sender::new(Env::fixed(Default::default()), Some(recorder.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let m = crate::message::release(
            "o/r",
            "v1.0.0",
            Some("https://github.com/o/r/releases/tag/v1.0.0".into()),
            Some("2026-12-01T00:00:00Z".into()),
        );
        sender.send("status", &github_target(), &m, "n-3").await.unwrap_or_else(|e| panic!("{e}"));
        let sent = recorder.0.lock().map(|v| v.clone()).unwrap_or_default();
        insta::assert_snapshot!(sent.join("\n---\n"));
    }

    #[tokio::test]
    async fn a_target_that_cannot_be_used_is_a_permanent_failure() {
        let sender =
            Sender::new(Env::fixed(Default::default()), None).unwrap_or_else(|e| panic!("{e}"));
        let m = crate::message::test_message("x");
        let err = sender.send("status", &github_target(), &m, "k").await.unwrap_err();
        assert!(err.permanent && err.message.contains("credentials"), "{err}");
        let both = NotifyTarget { slack: Some(SlackTarget::default()), ..github_target() };
        let err = sender.send("x", &both, &m, "k").await.unwrap_err();
        assert!(err.permanent && err.message.contains("notifications.targets.x"), "{err}");
        let rube = NotifyTarget {
            mcp: Some(plasma_config::McpTarget::default()),
            ..NotifyTarget::default()
        };
        let err = sender.send("rube", &rube, &m, "k").await.unwrap_err();
        assert!(err.permanent && err.message.contains("RUBE_MCP_CONFIG"), "{err}");
    }
}
