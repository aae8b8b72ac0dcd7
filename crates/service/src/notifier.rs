//! The notification worker: sends the outbox's rows (`plasma_notify::Dispatcher`) until stopped,
//! and what the reconciler enqueues there (`ready_to_merge`). Which events exist and where they go
//! is configuration; how a message is sent is `plasma-notify`'s.

use std::sync::Arc;
use std::time::Duration;

use plasma_config::NotificationsConfig;
use plasma_notify::{Dispatcher, Env, IssueCommenter, SendError, Sender, Step, message};
use plasma_policy::PrSnapshot;
use plasma_store::NewNotification;
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::app::App;
use crate::metrics::NOTIFICATIONS;

/// A fact GitHub dates longer ago than this when plasma-ops first records it (an incident, a
/// deployment or a tag older than the service's first look at it, or one recorded while the
/// service was down for days) is history, not news: it is recorded, not announced.
pub const ANNOUNCE_WITHIN: Duration = Duration::from_secs(86_400);

/// Whether a fact at `at` (unix ms, GitHub's time) is recent enough to announce at `now`.
pub fn is_news(at: i64, now: i64) -> bool {
    let window = i64::try_from(ANNOUNCE_WITHIN.as_millis()).unwrap_or(i64::MAX);
    at >= now.saturating_sub(window)
}

/// How often an idle notification worker looks for due rows (retries come due on their own).
const IDLE_POLL: Duration = Duration::from_secs(1);

/// How long the worker waits before asking a store that failed again.
const STORE_RETRY: Duration = Duration::from_secs(2);

/// GitHub issue comments for the `github` target, with the service's own credentials.
struct Comments {
    app: Arc<App>,
}

#[async_trait::async_trait]
impl IssueCommenter for Comments {
    async fn comment(&self, repository: &str, issue: u64, body: &str) -> Result<(), SendError> {
        let Some(gh) = &self.app.github else {
            return Err(SendError::permanent(
                "the github target needs GitHub credentials; the service runs without any",
            ));
        };
        let to_error = |e: plasma_github::GitHubError| SendError {
            retry_after: e.retry_after(),
            ..SendError::retry(format!("cannot comment on {repository}#{issue}: {e}"))
        };
        let repo = gh.repo(self.app.installation_of(repository), repository).map_err(to_error)?;
        repo.create_comment(issue, body).await.map_err(to_error)?;
        Ok(())
    }
}

/// The sender the service's workers use: secrets from the process environment, comments through
/// the service's GitHub client.
pub fn sender(app: &Arc<App>) -> Result<Arc<Sender>, SendError> {
    let comments: Arc<dyn IssueCommenter> = Arc::new(Comments { app: Arc::clone(app) });
    Ok(Arc::new(Sender::new(Env::process(), Some(comments))?))
}

/// Sends notifications until `stop` turns true.
pub async fn run(
    app: Arc<App>,
    sender: Arc<Sender>,
    owner: String,
    mut stop: watch::Receiver<bool>,
) {
    let clock = Arc::clone(&app.clock);
    let worker = Dispatcher::new(Arc::clone(&app.store), sender, owner, Arc::new(move || clock()));
    loop {
        if *stop.borrow() {
            return;
        }
        let wait = match worker.step().await {
            Ok(Step::Idle) => IDLE_POLL,
            Ok(step) => {
                record(&step);
                Duration::ZERO
            }
            Err(e) => {
                warn!(error = %e, "cannot take a notification from the store; retrying");
                STORE_RETRY
            }
        };
        if wait > Duration::ZERO {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = app.notify.notified() => {}
                _ = stop.changed() => {}
            }
        }
    }
}

fn record(step: &Step) {
    let outcome = match step {
        Step::Idle => return,
        Step::Sent { id } => {
            info!(notification = id, "notification sent");
            "sent"
        }
        Step::Retry { id, at, error } => {
            warn!(notification = id, retry_at = at, error = %error, "notification failed; will retry");
            "retry"
        }
        Step::Dead { id, error } => {
            error!(notification = id, error = %error, "notification dead-lettered");
            "dead"
        }
        Step::LeaseLost { id } => {
            warn!(notification = id, "notification lease lost to another worker");
            "lease_lost"
        }
    };
    metrics::counter!(NOTIFICATIONS, "outcome" => outcome).increment(1);
}

/// The notifications a reconcile's verdict (`ready`) causes: `ready_to_merge` when the pull request is
/// ready, once per head commit (the dedupe key), to the targets its configuration routes it to.
/// A redelivered event or a later sweep of the same head finds the row and adds nothing.
pub fn for_verdict(
    config: &NotificationsConfig,
    pr: &PrSnapshot,
    ready: bool,
) -> Vec<NewNotification> {
    if !ready {
        return Vec::new();
    }
    let m = message::ready_to_merge(
        &pr.repository,
        pr.number,
        &pr.title,
        &pr.author.login,
        &pr.head.sha,
        ready_since(pr),
    );
    message::plan(config, &m, &pr.head.sha)
}

/// `fix_waiting` when the pull request has carried the fix label (`labels.status.needs_fix`) for at
/// least `notifications.fix_waiting_after`, measured from when GitHub says the label was added
/// (its `labeled` issue event), once per labelling (the dedupe key is that time). Asks GitHub only
/// when the label is on and the event is routed somewhere. The sweep reconciles every open pull
/// request each period, so a wait is noticed within one sweep interval of passing the limit.
pub async fn fix_waiting(
    app: &App,
    installation: Option<u64>,
    config: &plasma_config::Config,
    pr: &PrSnapshot,
) -> Vec<NewNotification> {
    let label = &config.labels.status.needs_fix;
    let n = &config.notifications;
    let Some(gh) = &app.github else { return Vec::new() };
    if !pr.labels.iter().any(|l| l.eq_ignore_ascii_case(label))
        || n.targets_for(plasma_config::NotifyEvent::FixWaiting).is_empty()
    {
        return Vec::new();
    }
    let Ok(after) = n.fix_waiting_after_ms() else { return Vec::new() };
    let added = match gh.repo(installation, &pr.repository) {
        Ok(repo) => repo.label_added_at(pr.number, label).await,
        Err(e) => Err(e),
    };
    let labeled_at = match added {
        Ok(Some(at)) => at,
        Ok(None) => return Vec::new(),
        Err(e) => {
            // Secondary to the reconcile: the next sweep asks again.
            warn!(error = %e, repo = %pr.repository, number = pr.number, "cannot read when the fix label was added");
            return Vec::new();
        }
    };
    let waited = app.now().saturating_sub(labeled_at.as_millisecond());
    if waited < after {
        return Vec::new();
    }
    let agents: Vec<String> =
        pr.labels.iter().filter(|l| l.starts_with("agent:")).cloned().collect();
    let since = labeled_at.to_string();
    let m = message::fix_waiting(
        &pr.repository,
        pr.number,
        &pr.title,
        label,
        &since,
        &human(waited),
        &agents,
    );
    message::plan(n, &m, &since)
}

/// A wait as whole hours (or minutes under an hour): `5h`, `45m`.
fn human(ms: i64) -> String {
    let minutes = ms / 60_000;
    if minutes < 60 { format!("{minutes}m") } else { format!("{}h", minutes / 60) }
}

/// The newest GitHub timestamp among what the verdict rests on (reviews and checks): when the
/// pull request became ready, as far as GitHub's own clocks tell.
fn ready_since(pr: &PrSnapshot) -> Option<String> {
    let reviews = pr.reviews.iter().flatten().filter_map(|r| r.submitted_at.as_ref());
    let checks = pr.check_runs.iter().flatten().filter_map(|c| c.completed_at.as_ref());
    reviews.chain(checks).max().map(ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_hours_or_minutes() {
        assert_eq!(human(45 * 60_000), "45m");
        assert_eq!(human(5 * 3_600_000 + 59 * 60_000), "5h");
    }

    #[test]
    fn every_step_is_counted_without_a_recorder() {
        for step in [
            Step::Idle,
            Step::Sent { id: 1 },
            Step::Retry { id: 2, at: 3, error: "429".into() },
            Step::Dead { id: 4, error: "404".into() },
            Step::LeaseLost { id: 5 },
        ] {
            record(&step);
        }
    }

    #[test]
    fn only_a_ready_verdict_is_announced() {
        let pr: PrSnapshot = serde_json::from_value(serde_json::json!({
            "repository": "o/r", "number": 3, "title": "[PE-3] T", "state": "open",
            "author": {"login": "bob"}, "base": {"ref": "main", "sha": "b"},
            "head": {"ref": "r/PE-3-t", "sha": "abcdef0123"},
            "reviews": [{"id": 1, "author": {"login": "alice"}, "state": "APPROVED", "submitted_at": "2026-12-01T10:00:00Z"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let config: NotificationsConfig = serde_json::from_value(serde_json::json!({
            "targets": {"devops": {"slack": {"webhook_url_env": "HOOK"}}},
            "routes": [{"events": ["ready_to_merge"], "targets": ["devops"]}]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ready_since(&pr).as_deref(), Some("2026-12-01T10:00:00Z"));
        assert!(for_verdict(&config, &pr, false).is_empty());
        let rows = for_verdict(&config, &pr, true);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].subject.as_str(), rows[0].dedupe_key.as_str()),
            ("o/r#3", "abcdef0123")
        );
    }
}
