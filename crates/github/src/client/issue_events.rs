//! An issue's (or pull request's) events (`GET /repos/{owner}/{repo}/issues/{n}/events`), read
//! for when a label was added: GitHub's own time, which a notification about a wait measures from.

use jiff::Timestamp;
use serde::Deserialize;

use super::endpoints::RepoClient;
use super::{Call, GitHubError, Shape};

/// The fields of an issue event we read (GitHub sends many more kinds and fields).
#[derive(Debug, Clone, Deserialize)]
struct IssueEvent {
    event: String,
    created_at: Timestamp,
    #[serde(default)]
    label: Option<EventLabel>,
}

#[derive(Debug, Clone, Deserialize)]
struct EventLabel {
    name: String,
}

impl RepoClient {
    /// When `label` was last added to issue or pull request `number`, as GitHub recorded it;
    /// `None` when no `labeled` event for it is listed.
    pub async fn label_added_at(
        &self,
        number: u64,
        label: &str,
    ) -> Result<Option<Timestamp>, GitHubError> {
        let n = number.to_string();
        let call = Call::get(
            self.route("/repos/{owner}/{repo}/issues/{issue_number}/events", &[&n]),
            self.scope(),
        );
        let events: Vec<IssueEvent> = self.client.list(call, Shape::Array).await?;
        Ok(last_labeled(&events, label))
    }
}

fn last_labeled(events: &[IssueEvent], label: &str) -> Option<Timestamp> {
    events
        .iter()
        .filter(|e| e.event == "labeled")
        .filter(|e| e.label.as_ref().is_some_and(|l| l.name.eq_ignore_ascii_case(label)))
        .map(|e| e.created_at)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_labeled_event_of_the_label_counts() {
        let events: Vec<IssueEvent> = serde_json::from_value(serde_json::json!([
            {"event": "labeled", "created_at": "2026-12-01T10:00:00Z", "label": {"name": "status:needs-cursor-fix"}},
            {"event": "unlabeled", "created_at": "2026-12-01T11:00:00Z", "label": {"name": "status:needs-cursor-fix"}},
            {"event": "labeled", "created_at": "2026-12-01T12:00:00Z", "label": {"name": "Status:Needs-Cursor-Fix"}},
            {"event": "labeled", "created_at": "2026-12-01T13:00:00Z", "label": {"name": "bug"}},
            {"event": "closed", "created_at": "2026-12-01T14:00:00Z"}
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let at = last_labeled(&events, "status:needs-cursor-fix").map(|t| t.to_string());
        assert_eq!(at.as_deref(), Some("2026-12-01T12:00:00Z"));
        assert_eq!(last_labeled(&events, "agent:docs"), None);
    }
}
